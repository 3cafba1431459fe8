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
