/** What the hazard rules share: the hazard, the per-resource rule's shape, the nested reader, what each resource waits for. */
import { UNKNOWN } from "../engine";
import type { ResourceRecord } from "../policyRunner";

export interface Hazard {
  readonly rule: string;
  readonly urn: string;
  readonly name: string;
  readonly message: string;
}

/** A known string in lower case (names and ids compare as Azure compares them); undefined otherwise. */
export const lower = (v: unknown): string | undefined =>
  typeof v === "string" && v !== UNKNOWN ? v.toLowerCase() : undefined;

/** A nested value by its keys (undefined where a level is missing). */
export const at = (o: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), o);

export interface Rule {
  readonly id: string;
  /** The message when `r` is a hazard in `all`, else undefined. */
  readonly check: (r: ResourceRecord, all: readonly ResourceRecord[]) => string | undefined;
}

export const EXISTS = "azure-native refuses to create a resource that already exists (a GET answering 200)";
export const VIA_DEPLOYMENT =
  "PUT it through an ARM deployment (resources.Deployment or DeploymentAtSubscriptionScope)";

/**
 * Every resource `r` waits for, directly or through others (the engine's order): its dependencies, and a custom
 * resource that is its Pulumi parent (the Node SDK registers a child once its parent's URN resolves, after the
 * parent's registration). The memo holds a set before it is complete, which is only right on an acyclic graph: Pulumi
 * refuses cycles, so a run's dependencies have none.
 */
function ancestors(r: ResourceRecord, byUrn: ReadonlyMap<string, ResourceRecord>, memo: Map<string, Set<string>>) {
  const known = memo.get(r.urn);
  if (known) return known;
  const set = new Set<string>();
  memo.set(r.urn, set);
  const parent = r.parent ? byUrn.get(r.parent) : undefined;
  for (const d of parent?.custom ? [...r.dependencies, parent.urn] : r.dependencies) {
    set.add(d);
    const dep = byUrn.get(d);
    if (dep) for (const a of ancestors(dep, byUrn, memo)) set.add(a);
  }
  return set;
}

/** What each resource of a run waits for, directly or through others (one memo for every rule of a run). */
export type WaitsFor = (r: ResourceRecord) => ReadonlySet<string>;

export function waitsForOf(records: readonly ResourceRecord[]): WaitsFor {
  const byUrn = new Map(records.map((r) => [r.urn, r]));
  const memo = new Map<string, Set<string>>();
  return (r) => ancestors(r, byUrn, memo);
}
