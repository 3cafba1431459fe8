/** Children and references that do not wait for what they name, and one Azure resource declared twice (pure). */
import { UNKNOWN } from "../engine";
import type { ResourceRecord } from "../policyRunner";
import { isAzureNative } from "../sdkType";
import { EXISTS, waitsForOf, type Hazard, type WaitsFor } from "./common";

/** Children Azure creates with their parent: what lies under them needs only the parent's parent. */
const IMPLICIT_CHILD =
  /\/providers\/microsoft\.storage\/storageaccounts\/[^/]+\/(blob|file|queue|table)services\/default$/;

/** An Azure resource of the program whose ARM id is known (the deployed view): Entra and local ones have none. */
const withArmId = (r: ResourceRecord): r is ResourceRecord & { readonly id: string } =>
  r.custom && isAzureNative(r) && r.id?.startsWith("/") === true && !r.id.includes(UNKNOWN);

/** The run's Azure resources with a known id, by id in lower case (Azure compares ids without case). */
const byArmId = (records: readonly ResourceRecord[]) =>
  new Map(records.filter(withArmId).map((r) => [r.id.toLowerCase(), r]));

/**
 * The resource of the program a lower-case id names: itself, or the nearest one it lies under (a subnet declared in
 * its VNet is the VNet's), past a storage service singleton to its account.
 */
function declaredUnder(byId: ReadonlyMap<string, ResourceRecord>, id: string): ResourceRecord | undefined {
  const segments = id.split("/");
  for (let i = segments.length; i > 3; i--) {
    const prefix = segments.slice(0, i).join("/");
    const found = byId.get(prefix);
    if (found && !IMPLICIT_CHILD.test(prefix)) return found;
  }
  return undefined;
}

/**
 * Resources that lie under another resource of the program (their ARM id starts with its id: a child, an extension
 * resource, a role assignment on it) without waiting for it, directly or through others (pure). Only ids known (the
 * deployed view), compared without case.
 */
export function parentsNotAwaited(records: readonly ResourceRecord[], waits: WaitsFor = waitsForOf(records)): Hazard[] {
  const byId = byArmId(records);
  const out: Hazard[] = [];
  for (const r of records.filter(withArmId)) {
    // The nearest resource of the program it lies under, if it does not wait for it (a parent waits for its own
    // parents: what lies further out is that parent's to wait for, and reported there).
    const parent = declaredUnder(byId, r.id.toLowerCase().split("/").slice(0, -1).join("/"));
    if (!parent || waits(r).has(parent.urn)) continue;
    out.push({
      rule: "parent-not-awaited",
      urn: r.urn,
      name: r.name,
      message: `${r.name} lies under ${parent.name} (${parent.id}) but does not wait for it: the engine may create it first, and Azure refuses a child of a resource that does not exist yet; pass ${parent.name}'s outputs (its name or id) instead of a plain string, or add dependsOn`,
    });
  }
  return out;
}

/**
 * Input paths that name a resource which may be created later, or hold an id as data: a storage account's resource
 * instance rules and a Cosmos DB account's network bypass (each names a service that needs the account first), and
 * a Data Factory global parameter's value (a string the pipelines read).
 */
const MAY_COME_LATER =
  /^(networkRuleSet\.resourceAccessRules\[\d+\]\.resourceId|networkAclBypassResourceIds\[\d+\]|globalParameters\.[^.]+\.value)$/;

/**
 * Resources whose inputs name another resource of the program by its ARM id (anywhere in the inputs, without case)
 * without waiting for it, directly or through others (pure). Only ids known (the deployed view).
 */
export function referencesNotAwaited(
  records: readonly ResourceRecord[],
  waits: WaitsFor = waitsForOf(records),
): Hazard[] {
  const byId = byArmId(records);
  const out: Hazard[] = [];
  // The path is kept as a stack of segments and written out only for a reference (inputs hold whole pipelines).
  const at: string[] = [];
  const pathOf = () => at.join("").replace(/^\./, "");
  for (const r of records.filter((x) => x.custom && isAzureNative(x))) {
    // What it lies under is the parent rule's to report.
    const own = r.id?.toLowerCase() ?? "";
    const walk = (v: unknown): void => {
      if (Array.isArray(v))
        v.forEach((e, i) => {
          at.push(`[${i}]`);
          walk(e);
          at.pop();
        });
      else if (v && typeof v === "object")
        for (const [k, e] of Object.entries(v)) {
          at.push(`.${k}`);
          walk(e);
          at.pop();
        }
      else if (typeof v === "string" && /^\/subscriptions\//i.test(v)) {
        const named = declaredUnder(byId, v.toLowerCase());
        if (!named || named === r || own.startsWith(`${named.id?.toLowerCase()}/`)) return;
        const path = pathOf();
        if (MAY_COME_LATER.test(path) || waits(r).has(named.urn)) return;
        out.push({
          rule: "reference-not-awaited",
          urn: r.urn,
          name: r.name,
          message: `${r.name}'s ${path} names ${v.toLowerCase() === named.id?.toLowerCase() ? named.name : `${v}, of ${named.name}`} (${named.id}) but ${r.name} does not wait for it: the engine may create ${r.name} first, and Azure refuses a reference to a resource that does not exist yet; pass ${named.name}'s id output instead of a plain string, or add dependsOn`,
        });
      }
    };
    walk(r.inputs);
  }
  return out;
}

/**
 * Resources of the program that are one Azure resource: the same ARM id, compared without case as Azure does (pure).
 * Only Azure resources with a known id (the deployed view): Entra objects and local resources carry no ARM id.
 */
export function sharedAzureIds(records: readonly ResourceRecord[]): Hazard[] {
  const byId = new Map<string, ResourceRecord[]>();
  for (const r of records.filter(withArmId)) {
    const key = r.id.toLowerCase();
    byId.set(key, [...(byId.get(key) ?? []), r]);
  }
  return [...byId.values()]
    .filter((same) => same.length > 1)
    .flatMap(([first, ...others]) =>
      others.map((r) => ({
        rule: "one-azure-resource-twice",
        urn: r.urn,
        name: r.name,
        message: `${first.name} and ${r.name} are the same Azure resource (${first.id}): the second create is refused (${EXISTS}), or, where azure-native creates without that read, each \`up\` overwrites the other's settings; declare it once`,
      })),
    );
}
