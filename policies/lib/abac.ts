/**
 * Azure role assignment conditions (ABAC) on blob storage, as far as the pack reads them (pure): the blob data actions
 * that change a blob, and an evaluator for the part of the condition language these conditions use
 * (role-based-access-control/conditions-format): `!`, `AND`, `OR` (never both at one level without parentheses, which
 * Azure refuses), parentheses, `ActionMatches{'<action>'}` and
 * `@Resource[<attribute>] StringEquals|StringNotEquals|StringEqualsIgnoreCase|StringNotEqualsIgnoreCase '<value>'`
 * on a storage account's or a container's name (a lower-case value: those names are). A condition using anything else is unreadable here (undefined): a
 * rule then cannot tell what it allows, and says so.
 */

const BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

/**
 * The blob data actions that change a blob (storage-auth-abac-attributes: every write-class data action of Storage
 * Blob Data Owner; `runAsSuperUser` because Microsoft's examples list it for that role).
 */
export const BLOB_WRITE_DATA_ACTIONS = [
  `${BLOBS}/write`,
  `${BLOBS}/add/action`,
  `${BLOBS}/delete`,
  `${BLOBS}/move/action`,
  `${BLOBS}/deleteBlobVersion/action`,
  `${BLOBS}/permanentDelete/action`,
  `${BLOBS}/tags/write`,
  `${BLOBS}/immutableStorage/runAsSuperUser/action`,
  `${BLOBS}/runAsSuperUser/action`,
] as const;

/** Built-in roles whose data actions write blobs (learn.microsoft.com/azure/role-based-access-control/built-in-roles). */
export const BLOB_WRITER_ROLES: Readonly<Record<string, string>> = {
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
  "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
};

/**
 * Built-in roles that write no blob and cannot give themselves a way to (learn.microsoft.com/azure/role-based-access-
 * control/built-in-roles): a grant of one of them over a blob container is harmless to what it holds.
 */
export const NON_WRITING_ROLES: Readonly<Record<string, string>> = {
  "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
  "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
  "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
  "76199698-9eea-4c19-bc75-cec21354c6b6": "Storage Table Data Reader",
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
  "19e7f393-937e-4f77-808e-94535e297925": "Storage Queue Data Reader",
  "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
  "e147488a-f6f5-4113-8e2d-b22465e65bf6": "Key Vault Crypto Service Encryption User",
  "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
};

/**
 * Built-in roles that write no blob themselves but can give themselves the way: turn shared keys back on and list
 * them (`storageAccounts/write`, `listKeys/action`: "a user can use the account access keys to access all data in a
 * storage account", shared-key-authorization-prevent), or grant themselves a blob role (`roleAssignments/write`). A
 * condition limits data actions only, so none makes these safe.
 */
export const CONTROL_PLANE_WRITERS: Readonly<Record<string, string>> = {
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "17d1049b-9a84-46fb-8f53-869881c3d3ab": "Storage Account Contributor",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
  "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
};

/** The control-plane actions of CONTROL_PLANE_WRITERS that open the way to the blobs. */
export const WAY_IN_ACTIONS = [
  "Microsoft.Storage/storageAccounts/write",
  "Microsoft.Storage/storageAccounts/listKeys/action",
  "Microsoft.Authorization/roleAssignments/write",
] as const;

/** A role definition's permissions, as ARM and azure-native hold them (only what the classification reads). */
export interface RolePermissions {
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly dataActions?: readonly string[];
  readonly notDataActions?: readonly string[];
}

/** What a role lets its holder do to blobs. */
export type BlobWrites =
  | { readonly kind: "data"; readonly actions: string[] }
  | { readonly kind: "control"; readonly role: string }
  | { readonly kind: "unknown"; readonly role: string };

/**
 * What a role lets its holder do to blobs (pure): a built-in blob writer's every write; a role that can turn shared
 * keys back on or grant roles, a way in whatever its condition; a known harmless built-in, nothing; a role whose
 * `permissions` are given, the write actions it holds (its not-actions taken out); anything else, unknown.
 */
export function blobWritesOf(
  roleDefinitionId: string,
  permissions?: readonly RolePermissions[],
  name?: string,
): BlobWrites {
  const guid = (roleDefinitionId.split("/").pop() ?? "").toLowerCase();
  if (BLOB_WRITER_ROLES[guid]) return { kind: "data", actions: [...BLOB_WRITE_DATA_ACTIONS] };
  if (CONTROL_PLANE_WRITERS[guid]) return { kind: "control", role: CONTROL_PLANE_WRITERS[guid] };
  if (NON_WRITING_ROLES[guid]) return { kind: "data", actions: [] };
  if (!permissions) return { kind: "unknown", role: roleDefinitionId || "an unknown role" };
  const holds = (key: "actions" | "dataActions", notKey: "notActions" | "notDataActions", action: string) =>
    permissions.some(
      (p) =>
        (p[key] ?? []).some((d) => dataActionCovers(d, action)) &&
        !(p[notKey] ?? []).some((d) => dataActionCovers(d, action)),
    );
  if (WAY_IN_ACTIONS.some((a) => holds("actions", "notActions", a)))
    return { kind: "control", role: name ?? roleDefinitionId };
  return { kind: "data", actions: BLOB_WRITE_DATA_ACTIONS.filter((a) => holds("dataActions", "notDataActions", a)) };
}

/** A blob request, as a condition sees it. */
export interface BlobRequest {
  readonly action: string;
  readonly account: string;
  readonly container: string;
}

const ATTRIBUTES: Readonly<Record<string, (r: BlobRequest) => string>> = {
  "microsoft.storage/storageaccounts:name": (r) => r.account,
  "microsoft.storage/storageaccounts/blobservices/containers:name": (r) => r.container,
};

const COMPARISONS: Readonly<Record<string, (a: string, b: string) => boolean>> = {
  StringEquals: (a, b) => a === b,
  StringNotEquals: (a, b) => a !== b,
  StringEqualsIgnoreCase: (a, b) => a.toLowerCase() === b.toLowerCase(),
  StringNotEqualsIgnoreCase: (a, b) => a.toLowerCase() !== b.toLowerCase(),
};

class Unreadable extends Error {}

/**
 * Whether `condition` allows `request` (the assignment then grants what its role holds), or undefined when the
 * condition uses more of the language than this reads. An action matches by name, case-insensitively (a suboperation
 * such as `Blob.Write.Tier` is part of its action).
 */
export function conditionAllows(condition: string, request: BlobRequest): boolean | undefined {
  const tokens =
    condition.match(
      /\(|\)|!|\bAND\b|\bOR\b|ActionMatches\{'[^']*'\}|@Resource\[[^\]]*\]|String[A-Za-z]+|'[^']*'|\S+/g,
    ) ?? [];
  let i = 0;
  const next = () => tokens[i++];
  const factor = (): boolean => {
    const t = next();
    if (t === "!") return !factor();
    if (t === "(") {
      const v = expr();
      if (next() !== ")") throw new Unreadable();
      return v;
    }
    // A pattern ("Checks if the current action matches the specified action pattern": `…/blobs/*` matches every blob
    // action), compared without case.
    const action = /^ActionMatches\{'(.*)'\}$/.exec(t ?? "");
    if (action) return dataActionCovers(action[1], request.action);
    const attribute = /^@Resource\[(.*)\]$/.exec(t ?? "");
    const read = attribute ? ATTRIBUTES[attribute[1].toLowerCase()] : undefined;
    const compare = COMPARISONS[next() ?? ""];
    const value = /^'(.*)'$/.exec(next() ?? "")?.[1];
    // Storage account and container names are lower case: a value in another case is compared in a way Microsoft
    // leaves open ("considered case-insensitive, unless stated otherwise", storage-auth-abac-attributes), so unread.
    if (!read || !compare || value === undefined || value !== value.toLowerCase()) throw new Unreadable();
    return compare(read(request), value);
  };
  // Azure asks for parentheses where AND and OR meet ("a AND b OR c" is refused: conditions-format, "Grouping"): a
  // level that mixes them is unreadable here. Both operands are read (no short-circuit), so an unreadable part is
  // always found.
  const expr = (): boolean => {
    let v = factor();
    let op: string | undefined;
    while (tokens[i] === "AND" || tokens[i] === "OR") {
      if (op !== undefined && tokens[i] !== op) throw new Unreadable();
      op = tokens[i++];
      const w = factor();
      v = op === "AND" ? v && w : v || w;
    }
    return v;
  };
  try {
    const value = expr();
    return i === tokens.length && tokens.length > 0 ? value : undefined;
  } catch (e) {
    if (e instanceof Unreadable) return undefined;
    throw e;
  }
}

/** Whether a data action pattern of a role (`*` wildcards, case-insensitive) covers `action`. */
export function dataActionCovers(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
      .join(".*")}$`,
    "i",
  );
  return re.test(action);
}
