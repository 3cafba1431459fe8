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
 *
 * This file compares the two exports; azure.ts has what Azure and the provider do with a change, locks.ts the locks
 * that refuse a deletion, paths.ts the inputs compared by path, format.ts the list for a person or a job summary,
 * common.ts the change and the lock.
 */
import type { ResourceRecord } from "../policyRunner";
import { isAzureNative, sdkTypeOf } from "../sdkType";
import { TABLE_TYPE, tableOfEntryName } from "../../../components/operations/retention";
import { templateResources } from "../../../policies/lib/templates";
import type { PlannedChange } from "./common";
import { checkedAtDeploy, DATA_TYPES, DISRUPTIVE_UPDATES, PROVIDER_FORCE_NEW } from "./azure";
import { locksOf, locksOver } from "./locks";
import { canonical, valueAt, withoutPaths } from "./paths";

export type { PlannedChange, Lock } from "./common";
export { DISRUPTIVE_UPDATES, CHECKED_AT_DEPLOY, checkedAtDeploy, DATA_TYPES, PROVIDER_FORCE_NEW } from "./azure";
export { pathSegments } from "./paths";
export { blocking, blockingTitle, formatChanges } from "./format";

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
