/**
 * What a change renames, deletes, replaces, forgets or updates in Azure, from two exports of one stack (the offline preview's `--export` of the
 * base branch and of the pull request, or two real `pulumi stack export`s): the part of a `pulumi preview` a reviewer
 * most needs and the offline gate could not show, since the offline preview starts from no state.
 *
 * - Renamed: a resource of the base that the head has under another URN with the same Azure id (its logical name,
 *   type or parent changed) and no alias to the old URN: Pulumi deletes the old one and creates the new one under the
 *   same Azure name (a protected one makes `up` fail; otherwise the delete may run after the create and remove it).
 *   With an alias (`aliases: [{ name: "<old>" }]`) it moves instead: the offline export keeps the program's aliases
 *   for this (a real state drops them, so two real exports show such a move as a rename).
 * - Deleted: a resource in Azure or Entra of the base that the head no longer has under its URN, nor through an
 *   alias; not a package's local resources (`time` waits, `random` values).
 * - Forgotten: one the base keeps on delete (`retainOnDelete`): it stays in Azure, unmanaged (a protected one still
 *   makes `up` fail).
 * - Locked: a deletion (a delete, a replacement, a rename) of a resource that lies under a resource locked in the base
 *   or the head (a role assignment or diagnostic setting of a locked vault), or of a private endpoint whose target is
 *   locked (its connection there is deleted with it): Azure refuses it (`ScopeLocked`). Pulumi deletes after it
 *   creates (a lock the change adds is in force), and nothing orders a lock's deletion before a sibling's (both wait
 *   only for the locked resource), so dropping the lock in the same change does not help. The locked resource's own
 *   deletion is not counted: its lock waits for it, so Pulumi deletes the lock first (it is protected anyway).
 * - Replaced: a custom resource of both whose Azure id changed (a new name or resource group is a new resource), or
 *   whose value changed at a path the program declares `replaceOnChanges`, or at one the azure-native provider
 *   always replaces on (pulumi-azure-native provider/pkg/gen/replacement.go `forceNewMap`, plus `location`). The
 *   provider also replaces on properties its Azure API spec marks create-only (`x-ms-mutability`), which an export
 *   does not carry: the real preview remains the authority, and this list is what is known without it.
 *
 * Each names whether the base protects it (Pulumi then refuses the delete or replacement: the `up` fails until a
 * reviewed change unprotects it) and whether it is one of the stateful types the pack protects.
 */
import { PROTECTED_CHILD_TYPES, STATEFUL_TYPES } from "../../policies/rules/protection";
import type { ResourceRecord } from "./policyRunner";
import { defaultTypeToken, isAzureNative, sdkTypeOf } from "./sdkType";
import { TABLE_TYPE, tableOfEntryName } from "../../components/operations/retention";
import { templateResources } from "../../policies/lib/templates";

export interface PlannedChange {
  readonly kind: "delete" | "replace" | "rename" | "forget" | "update";
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** The base protects it: `pulumi up` refuses to delete or replace it. */
  readonly protected: boolean;
  /** One of the stateful types (policies/rules/protection.ts): its data goes with it. */
  readonly stateful: boolean;
  /** What makes it a replacement: `id` or the changed property paths. */
  readonly because?: readonly string[];
  /** A rename: the head's URN and name for the same Azure resource. */
  readonly renamedTo?: { readonly urn: string; readonly name: string };
  /** An update: the changed input paths a preview of the deployed stack compares with Azure first (CHECKED_AT_DEPLOY). */
  readonly checked?: readonly string[];
  /** An update that interrupts a service (DISRUPTIVE_UPDATES): the changed path and what Azure does. */
  readonly disrupts?: readonly { readonly path: string; readonly what: string }[];
  /**
   * A deletion (a delete, a replacement, a rename) Azure refuses with `ScopeLocked`: every management lock, of the base
   * or the head, on a resource above it or on a private endpoint's target (logical name and scope, outermost first).
   */
  readonly locked?: readonly Lock[];
  /**
   * A table-retention deployment (components/operations/retention.ts) that stops naming tables, updated or deleted:
   * Azure keeps their retention (the deployment's update or deletion does not touch them), and the command that returns
   * each to the workspace's.
   */
  readonly leaves?: { readonly tables: readonly string[]; readonly reset: string };
}

/**
 * In-place updates Azure applies by interrupting a service, by type and input path, with what happens (Microsoft's
 * words): a pull request's reviewer plans them for a quiet window, which neither the offline gate nor the real
 * preview says.
 */
export const DISRUPTIVE_UPDATES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "azure-native:web:AppServicePlan": {
    zoneRedundant:
      'restarts its app ("Changing the zone redundancy of your app requires a restart, which causes downtime in your app", azure-functions/functions-zone-redundancy)',
  },
  "azure-native:sql:Database": {
    sku: 'drops its connections when the new size takes over ("a brief service interruption when the database is unavailable generally for less than 30 seconds and often for only a few seconds", azure-sql/database/single-database-scale, Impact: the provisioned tier; a serverless database by the same steps, inferred)',
    zoneRedundant:
      'moves it ("an online operation with a brief disconnect towards the end to finish the migration process", reliability/migrate-sql-database, Downtime requirements)',
  },
  "azure-native:web:WebAppApplicationSettings": {
    properties:
      'restarts the app ("Changing application settings causes your function app to restart by default across all hosting plans", azure-functions/functions-how-to-use-azure-function-app-settings)',
  },
  "azure-native:synapse:SqlPool": {
    sku: 'cancels its running queries and rolls back their transactions ("your queries are canceled when you initiate the pause or scale request", sql-data-warehouse-manage-compute-overview)',
  },
  "azure-native:network:VirtualNetwork": {
    dhcpOptions:
      'changes the DNS servers, which the function apps take at their next restart and the gateway after a stop and start (docs/operations.md, "Using the hub\'s private DNS zones")',
  },
};

/**
 * The inputs a `pulumi preview` or `up` of a deployed stack compares with what is deployed before the resource
 * registers, and refuses where Azure would refuse the update mid-`up` (components/shared/deployed.ts and its uses;
 * README, "Deploying for real"): an update of one is decided against live Azure, which neither the offline gate nor
 * two exports can see. A key is a type (every resource of it) or `type::name` (the resource of that logical name
 * only: the data lake's account, not the platform's other accounts, whose SKUs the code fixes).
 */
export const CHECKED_AT_DEPLOY: Readonly<Record<string, readonly string[]>> = {
  "azure-native:cosmosdb:DatabaseAccount": ["capabilities", "locations", "backupPolicy", "consistencyPolicy"],
  "azure-native:cosmosdb:SqlResourceSqlContainer": ["options"],
  "azure-native:sql:Database": [
    "sku",
    "maxSizeBytes",
    "isLedgerOn",
    "secondaryType",
    "zoneRedundant",
    "requestedBackupStorageRedundancy",
  ],
  "azure-native:sql:Server": ["administrators"],
  "azure-native:datafactory:Factory": ["encryption"],
  "azure-native:eventhub:EventHub": ["partitionCount"],
  "azure-native:storage:BlobContainerImmutabilityPolicy": ["immutabilityPeriodSinceCreationInDays"],
  "azure-native:network:ApplicationGateway": ["sslCertificates"],
  "azure-native:network:VirtualNetwork": ["subnets", "addressSpace"],
  "azure-native:storage:StorageAccount::olap-lake": ["sku"],
};

/** The inputs CHECKED_AT_DEPLOY names for a resource: its type's and its own. */
export function checkedAtDeploy(type: string, name: string): readonly string[] {
  return [...(CHECKED_AT_DEPLOY[type] ?? []), ...(CHECKED_AT_DEPLOY[`${type}::${name}`] ?? [])];
}

/**
 * What loses data or access when it goes: the pack's stateful types and the children it protects, and the vault's keys
 * and secrets (a customer-managed key deleted makes its service's data unreadable).
 */
export const DATA_TYPES: readonly string[] = [
  ...STATEFUL_TYPES,
  ...PROTECTED_CHILD_TYPES,
  "azure-native:keyvault:Key",
  "azure-native:keyvault:Secret",
];

/**
 * A change `pulumi up` refuses or that destroys what it should keep: a protected resource's, a deletion under a lock,
 * or a rename.
 */
export const blocking = (c: PlannedChange) =>
  c.kind === "rename" || ((c.protected || c.locked !== undefined) && c.kind !== "update");

/** A management lock: its logical name and the id of what it locks. */
export interface Lock {
  readonly name: string;
  readonly scope: string;
}

/**
 * Types whose deletion sends Azure no ARM DELETE, which is all a `CanNotDelete` lock refuses ("authorized users can
 * read and modify a resource, but they can't delete it"; locks apply to Resource Manager requests, not to a
 * service's data plane: azure-resource-manager/management/lock-resources). Key Vault keys and secrets have no ARM
 * DELETE: azure-native deletes them with the vault's key and secret clients (pulumi-azure-native
 * provider/pkg/resources/customresources/custom_keyvault.go). Settings Azure creates with their parent are put back to
 * their default state by a PUT, or left (SQL database TDE), never deleted (provider/pkg/openapi/defaults/
 * defaultResourcesState.go); a site's app settings and publishing policies have no DELETE in their API.
 */
const NOT_DELETED_IN_AZURE: readonly string[] = [
  "azure-native:keyvault:Key",
  "azure-native:keyvault:Secret",
  "azure-native:eventhub:NamespaceNetworkRuleSet",
  "azure-native:sql:BackupShortTermRetentionPolicy",
  "azure-native:sql:DataMaskingPolicy",
  "azure-native:sql:EncryptionProtector",
  "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy",
  "azure-native:sql:ExtendedServerBlobAuditingPolicy",
  "azure-native:sql:LongTermRetentionPolicy",
  "azure-native:sql:ServerSecurityAlertPolicy",
  "azure-native:sql:TransparentDataEncryption",
  "azure-native:storage:BlobServiceProperties",
  "azure-native:synapse:SqlPoolTransparentDataEncryption",
  "azure-native:web:WebAppApplicationSettings",
  "azure-native:web:WebAppFtpAllowed",
  "azure-native:web:WebAppScmAllowed",
];

/** What makes a blocking change fail `pulumi up`, for its annotation's title (`npm run changes` in GitHub Actions). */
export function blockingTitle(c: PlannedChange): string {
  if (c.kind === "rename") return "renamed without an alias";
  const done = c.kind === "replace" ? "replaced" : c.kind === "forget" ? "forgotten (kept in Azure)" : "deleted";
  return c.protected
    ? `protected resource ${done}`
    : `${done} under the lock${(c.locked ?? []).length > 1 ? "s" : ""} ${(c.locked ?? []).map((l) => l.name).join(", ")}`;
}

/**
 * The management locks of the base and the head: one declared in both is one lock, and one the change moves holds
 * both scopes (the old one until its replacement's deletion, which comes with the other deletions).
 */
function locksOf(base: readonly ResourceRecord[], head: readonly ResourceRecord[]): Lock[] {
  const locks = new Map<string, Lock>();
  for (const r of [...base, ...head])
    if (sdkTypeOf(r) === "azure-native:authorization:ManagementLockByScope" && typeof r.inputs.scope === "string")
      locks.set(`${r.urn}\u0000${r.inputs.scope.toLowerCase()}`, { name: r.name, scope: r.inputs.scope });
  return [...locks.values()];
}

/** Private endpoints: deleting one deletes its connection on its target too. */
const ENDPOINT_TYPES: readonly string[] = [
  "azure-native:network:PrivateEndpoint",
  "azure-native:datafactory:ManagedPrivateEndpoint",
];

/** The ARM ids a private endpoint's deletion also deletes a connection under: its targets. */
function endpointTargets(r: ResourceRecord): string[] {
  const links = ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"].flatMap((k) => {
    const list = r.inputs[k];
    return Array.isArray(list) ? list : [];
  });
  const ids =
    sdkTypeOf(r) === "azure-native:network:PrivateEndpoint"
      ? links.map((c) => (c as { privateLinkServiceId?: unknown }).privateLinkServiceId)
      : sdkTypeOf(r) === "azure-native:datafactory:ManagedPrivateEndpoint"
        ? [(r.inputs.properties as { privateLinkResourceId?: unknown } | undefined)?.privateLinkResourceId]
        : [];
  return ids.filter((id): id is string => typeof id === "string");
}

/**
 * The locks that refuse deleting `r` (pure): those on a resource above it, not on itself (its own lock waits for it,
 * so Pulumi deletes the lock first), and those on a private endpoint's target or above it; outermost first, each once.
 */
function locksOver(r: ResourceRecord, locks: readonly Lock[]): Lock[] {
  if (
    sdkTypeOf(r) === "azure-native:authorization:ManagementLockByScope" ||
    NOT_DELETED_IN_AZURE.includes(sdkTypeOf(r))
  )
    return [];
  const under = (id: string, strictly: boolean) =>
    locks.filter((l) => {
      const [own, scope] = [id.toLowerCase(), l.scope.toLowerCase()];
      return own.startsWith(`${scope}/`) || (!strictly && own === scope);
    });
  const found = new Set([...(r.id ? under(r.id, true) : []), ...endpointTargets(r).flatMap((t) => under(t, false))]);
  return [...found].sort((a, b) => a.scope.length - b.scope.length);
}

/** Property paths the azure-native provider replaces on, whatever the API spec says (replacement.go, `location`). */
export const PROVIDER_FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  "*": ["location"],
  "azure-native:storage:StorageAccount": ["isHnsEnabled"],
  "azure-native:web:WebApp": ["kind"],
  "azure-native:network:PublicIPAddress": ["sku"],
  "azure-native:network:PrivateEndpoint": ["subnet"],
};

/** The value at a dotted path (`sku.name`); `[*]` and indexes are not followed (compared as a whole above them). */
function valueAt(o: unknown, path: string): unknown {
  let v = o;
  for (const k of path.replace(/\[[^\]]*\].*$/, "").split(".")) {
    if (!v || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** The segments of a Pulumi property path (`a.b[0].c`, `tags["cost-center"]`, `rules[*].name`). */
export function pathSegments(path: string): string[] {
  return [...path.matchAll(/\[("(?:[^"\\]|\\.)*"|\d+|\*)\]|([^.[\]]+)/g)].map((m) =>
    m[2] !== undefined ? m[2] : m[1].startsWith('"') ? (JSON.parse(m[1]) as string) : m[1],
  );
}

/** Removes what `segs` names below `node` (`*`: every element or key). */
function deletePath(node: unknown, segs: readonly string[]): void {
  if (node === null || typeof node !== "object" || segs.length === 0) return;
  const [head, ...rest] = segs;
  for (const k of head === "*" ? Object.keys(node) : [head]) {
    if (rest.length > 0) deletePath((node as Record<string, unknown>)[k], rest);
    else if (Array.isArray(node)) node[Number(k)] = undefined;
    else delete (node as Record<string, unknown>)[k];
  }
}

/** `inputs` without the paths `ignoreChanges` names (Pulumi keeps the old value there: no update, no replacement). */
function withoutPaths(inputs: Record<string, unknown>, paths: readonly string[] | undefined): Record<string, unknown> {
  if (!paths?.length) return inputs;
  const copy = structuredClone(inputs);
  for (const p of paths) deletePath(copy, pathSegments(p));
  return copy;
}

/** Stable JSON (keys sorted) for comparing two values. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "undefined";
}

/** Resources in Azure or Entra: not providers, and not a package's local ones (`time` waits, `random` values). */
const inAzure = (r: ResourceRecord) => isAzureNative(r) || r.type.startsWith("azuread:");

/**
 * Where a base resource the head no longer has under its URN went: to a resource new to the head that names it in its
 * aliases (Pulumi matches aliases of new URNs only: a move), or to one with the same Azure id (a rename).
 */
function counterparts(base: readonly ResourceRecord[], head: readonly ResourceRecord[]) {
  const bases = new Set(base.map((r) => r.urn));
  const fresh = head.filter((r) => !bases.has(r.urn));
  const byAlias = new Map(fresh.flatMap((r) => (r.aliases ?? []).map((a) => [a, r] as const)));
  const byId = new Map(fresh.filter((r) => r.id).map((r) => [(r.id ?? "").toLowerCase(), r] as const));
  return {
    movedTo: (b: ResourceRecord) => byAlias.get(b.urn),
    renamedTo: (b: ResourceRecord) => (b.id ? byId.get(b.id.toLowerCase()) : undefined),
  };
}

/**
 * The base URNs the head has under another URN: moved through the program's aliases, or renamed without one (the same
 * Azure id). What prices one resource on both sides (`cost:diff`) is then compared as one, not as a removal and an
 * addition that net to nothing.
 */
export function movedUrns(base: readonly ResourceRecord[], head: readonly ResourceRecord[]): Map<string, string> {
  const heads = new Set(head.map((r) => r.urn));
  const { movedTo, renamedTo } = counterparts(base, head);
  const moved = new Map<string, string>();
  for (const b of base) {
    const to = heads.has(b.urn) ? undefined : (movedTo(b) ?? renamedTo(b));
    if (to) moved.set(b.urn, to.urn);
  }
  return moved;
}

/** The Azure tables an inline ARM deployment's template sets (their retention), by name (the pack's template reader). */
function retentionTables(r: ResourceRecord | undefined): string[] {
  if (!r || sdkTypeOf(r) !== "azure-native:resources:Deployment") return [];
  return templateResources({ props: r.inputs }).flatMap((e) => {
    const table = tableOfEntryName(e.name);
    return e.type.toLowerCase() === TABLE_TYPE.toLowerCase() && table ? [table] : [];
  });
}

/** The tables `b`'s template sets that `h`'s (none when deleted) no longer does, with the command that resets them. */
function tablesLeft(b: ResourceRecord, h: ResourceRecord | undefined): PlannedChange["leaves"] {
  const kept = new Set(retentionTables(h));
  const tables = retentionTables(b).filter((t) => !kept.has(t));
  if (tables.length === 0) return undefined;
  const workspace = String(valueAt(b.inputs, "properties.parameters.workspaceName.value") ?? "<workspace>");
  const group = String(valueAt(b.inputs, "resourceGroupName") ?? "<resource group>");
  return {
    tables,
    reset: `az monitor log-analytics workspace table update -g ${group} --workspace-name ${workspace} -n <table> --retention-time -1 --total-retention-time -1`,
  };
}

export function plannedChanges(base: readonly ResourceRecord[], head: readonly ResourceRecord[]): PlannedChange[] {
  const heads = new Map(head.map((r) => [r.urn, r]));
  const stateful = new Set<string>(DATA_TYPES);
  const { movedTo, renamedTo } = counterparts(base, head);
  const locks = locksOf(base, head);
  const out: PlannedChange[] = [];
  for (const b of base) {
    if (!b.custom || !inAzure(b)) continue;
    // A resource moved through an alias is compared with its new self, as Pulumi diffs the moved resource.
    const h = heads.get(b.urn) ?? movedTo(b);
    const lock = locksOver(b, locks);
    const common = {
      urn: b.urn,
      type: b.type,
      name: b.name,
      protected: b.protect,
      stateful: stateful.has(sdkTypeOf(b)),
    };
    // What deletes in Azure carries the lock that refuses it; an update or a forget deletes nothing.
    const deleting = { ...common, ...(lock.length > 0 ? { locked: lock } : {}) };
    if (!h) {
      const renamed = renamedTo(b);
      if (renamed) out.push({ kind: "rename", ...deleting, renamedTo: { urn: renamed.urn, name: renamed.name } });
      // `retainOnDelete`: Pulumi forgets it and leaves it in Azure.
      else {
        const leaves = tablesLeft(b, undefined);
        out.push(
          b.retainOnDelete
            ? { kind: "forget", ...common }
            : { kind: "delete", ...deleting, ...(leaves ? { leaves } : {}) },
        );
      }
      continue;
    }
    const [before, after] = [withoutPaths(b.inputs, h.ignoreChanges), withoutPaths(h.inputs, h.ignoreChanges)];
    const because: string[] = [];
    if (b.id && h.id && b.id.toLowerCase() !== h.id.toLowerCase()) because.push("id");
    const paths = new Set([
      ...(h.replaceOnChanges ?? []),
      ...(PROVIDER_FORCE_NEW["*"] ?? []),
      ...(PROVIDER_FORCE_NEW[sdkTypeOf(h)] ?? []),
    ]);
    for (const p of paths) {
      const [was, is] = [valueAt(before, p), valueAt(after, p)];
      if (was === undefined && is === undefined) continue;
      if (canonical(was) !== canonical(is)) because.push(p);
    }
    if (because.length > 0) out.push({ kind: "replace", ...deleting, because });
    else if (canonical(before) !== canonical(after)) {
      const checked = checkedAtDeploy(sdkTypeOf(h), h.name).filter(
        (p) => canonical(valueAt(before, p)) !== canonical(valueAt(after, p)),
      );
      const disrupts = Object.entries(DISRUPTIVE_UPDATES[sdkTypeOf(h)] ?? {})
        .filter(([p]) => canonical(valueAt(before, p)) !== canonical(valueAt(after, p)))
        .map(([path, what]) => ({ path, what }));
      const leaves = tablesLeft(b, h);
      out.push({
        kind: "update",
        ...common,
        ...(checked.length > 0 ? { checked } : {}),
        ...(disrupts.length > 0 ? { disrupts } : {}),
        ...(leaves ? { leaves } : {}),
      });
    }
  }
  return out;
}

/**
 * Data Factory pipelines generated from the data model (pipelines/etl): an update of one is a change of the model,
 * which the deploy carries on into the databases (`etl:ops schema-deploy` right after `up`).
 */
const MODEL_PIPELINE = /etl_(schema_deploy|extract)_/;

function line(c: PlannedChange, markdown: boolean): string {
  const code = (t: string) => (markdown ? `\`${t}\`` : t);
  const what =
    c.kind === "delete"
      ? "deleted"
      : c.kind === "forget"
        ? "no longer managed (kept in Azure on delete)"
        : c.kind === "rename"
          ? `renamed to ${code(c.renamedTo?.name ?? "?")} without an alias: Pulumi deletes it and creates the new one under the same Azure name; add ${code(`aliases: [{ name: "${c.name}" }]`)} to the new one (or ${code(`aliases: ["${c.urn}"]`)} if its parent or type changed)`
          : `replaced (${(c.because ?? []).join(", ")})`;
  const flags = [
    c.leaves ? leavesText(c, markdown) : undefined,
    c.stateful ? "stateful: its data goes with it" : undefined,
    c.protected ? "protected: `pulumi up` refuses it until a reviewed change unprotects it" : undefined,
    c.locked
      ? `${ENDPOINT_TYPES.includes(defaultTypeToken(c.type)) ? "its connection on its target goes with it, " : ""}under ${c.locked.map((l) => `the lock ${code(l.name)} (on ${code(l.scope)})`).join(" and ")}: Azure refuses its deletion (ScopeLocked), even with the lock dropped in the same change; lift ${c.locked.length > 1 ? "them" : "it"} in an \`up\` of ${c.locked.length > 1 ? "their" : "its"} own first (docs/operations.md, "Locks also block removing role assignments and diagnostic settings")`
      : undefined,
  ].filter(Boolean);
  const name = markdown ? `\`${c.name}\` (\`${c.type}\`)` : `${c.name} (${c.type})`;
  return `${markdown ? "- " : "  "}${name}: ${what}${flags.length ? `; ${flags.join("; ")}` : ""}`;
}

/** What a table-retention deployment that stops naming tables leaves in Azure, and the reset (docs/operations.md). */
function leavesText(c: PlannedChange, markdown: boolean): string {
  const code = (t: string) => (markdown ? `\`${t}\`` : t);
  const tables = (c.leaves?.tables ?? []).map(code).join(", ");
  return `${tables} keep${c.leaves?.tables.length === 1 ? "s" : ""} ${c.leaves?.tables.length === 1 ? "its" : "their"} long-term retention in Azure, which nothing then follows: return each to the workspace's in the same change (${code(c.leaves?.reset ?? "")}; docs/operations.md, "Long-term retention of the busiest tables")`;
}

/** What the head updates in place: one line, or bullets, naming them (at most `UPDATES_SHOWN`), and what follows. */
const UPDATES_SHOWN = 20;
function updatesText(updates: readonly PlannedChange[], markdown: boolean): string[] {
  if (updates.length === 0) return [];
  const names = updates
    .slice(0, UPDATES_SHOWN)
    .map((c) => (markdown ? `\`${c.name}\` (\`${c.type}\`)` : `${c.name} (${c.type})`));
  const more = updates.length > UPDATES_SHOWN ? ` and ${updates.length - UPDATES_SHOWN} more` : "";
  const model = updates.some(
    (c) => sdkTypeOf(c) === "azure-native:datafactory:Pipeline" && MODEL_PIPELINE.test(c.name),
  );
  const checked = updates.filter((c) => c.checked !== undefined);
  const disruptive = updates.filter((c) => c.disrupts !== undefined);
  const leaving = updates.filter((c) => c.leaves !== undefined);
  return [
    "",
    `${markdown ? "" : "  "}Updated in place (${updates.length}): ${names.join(", ")}${more}.`,
    ...(model
      ? [
          "",
          `${markdown ? "" : "  "}${markdown ? "**" : ""}The data model changes${markdown ? "**" : ""}: its generated pipelines are updated, and \`deploy.yml\` applies the generated SQL right after \`up\` (\`etl:ops schema-deploy\`). A column the scripts do not add (NOT NULL, defaulted, a tracked type 2 attribute) needs its migration before the merge; existing rows of a new column stay NULL until a full reload is requested after the deploy (pipelines/README.md, "Changing the schema later").`,
        ]
      : []),
    ...(disruptive.length > 0
      ? [
          "",
          `${markdown ? "" : "  "}${markdown ? "**" : ""}Interrupts a service${markdown ? "**" : ""} (deploy in a quiet window): ${disruptive
            .flatMap((c) =>
              (c.disrupts ?? []).map((d) => `${markdown ? `\`${c.name}\`` : c.name} (${d.path}) ${d.what}`),
            )
            .join("; ")}.`,
        ]
      : []),
    ...leaving.map(
      (c) =>
        `\n${markdown ? "" : "  "}${markdown ? "**" : ""}Tables left at their retention${markdown ? "**" : ""}: ${leavesText(c, markdown)} (${markdown ? `\`${c.name}\`` : c.name} no longer sets them).`,
    ),
    ...(checked.length > 0
      ? [
          "",
          `${markdown ? "" : "  "}${markdown ? "**" : ""}Checked against Azure at deploy${markdown ? "**" : ""}: ${checked
            .map((c) => `${markdown ? `\`${c.name}\`` : c.name} (${(c.checked ?? []).join(", ")})`)
            .join(
              ", ",
            )}. A preview or \`up\` of the deployed stack (prod's \`preview-prod\` before the approval, dev's \`up\`) compares ${checked.length === 1 ? "this change" : "these changes"} with what is deployed and stops where Azure would refuse ${checked.length === 1 ? "it" : "them"} in the middle of the \`up\` (a floor, the space in use, a locked policy, an occupied subnet, a certificate not in the vault; README, "Deploying for real"): the offline gate cannot.`,
        ]
      : []),
  ];
}

/** The list for a person or a job summary; says so when nothing is deleted or replaced. */
export function formatChanges(all: readonly PlannedChange[], stack: string, markdown: boolean): string {
  const changes = all.filter((c) => c.kind !== "update");
  const updates = updatesText(
    all.filter((c) => c.kind === "update"),
    markdown,
  );
  const title = markdown ? `### Deleted or replaced in Azure (${stack})` : `Deleted or replaced in Azure (${stack}):`;
  if (changes.length === 0)
    return [
      `${title}\n${markdown ? "\n" : "  "}Nothing this change deletes or replaces, as far as two exports show (the real preview also knows the provider's create-only properties).`,
      ...updates,
    ].join("\n");
  const risky = changes.filter((c) => c.protected || c.stateful).length;
  const blocked = changes.filter(blocking).length;
  // The ones that break the deploy or lose data first.
  const ordered = [...changes].sort((a, b) => Number(blocking(b)) - Number(blocking(a)));
  return [
    title,
    ...(markdown ? [""] : []),
    ...(blocked > 0
      ? [
          `${markdown ? "**" : "  "}${blocked} of them would fail \`pulumi up\` or delete what a rename meant to keep: fix them before merging.${markdown ? "**" : ""}`,
          ...(markdown ? [""] : []),
        ]
      : []),
    ...ordered.map((c) => line(c, markdown)),
    ...(markdown ? [""] : []),
    `${markdown ? "" : "  "}${changes.length} resource${changes.length === 1 ? "" : "s"}, ${risky} stateful or protected. A rename through an alias the program declares is a move, not listed; the real preview is the authority.`,
    ...updates,
  ].join("\n");
}
