/**
 * The Azure resource providers a stack needs registered in its subscription before `pulumi up`.
 *
 * azure-native calls the REST API, which does not register a provider on first use (only the portal and ARM template
 * deployments do: "Before you use a resource provider, you must make sure your Azure subscription is registered for
 * the resource provider", azure-resource-manager/management/resource-providers-and-types.md; pulumi-azure-native#3479
 * is the same failure, "The subscription ... is not registered to use microsoft.insights"). On a new subscription the
 * first `up` would stop at the first unregistered namespace. The list comes from the stack's own resources (their ARM
 * types, and the types the ARM deployments' templates declare) plus the providers Azure needs behind them, so a tier
 * added later brings its provider without a hand-kept list.
 */
import { templateResources } from "../../policies/lib/templates";
import { armIdentityFromId } from "./armSchema/identity";
import type { ResourceRecord } from "./policyRunner";
import { isAzureNative, sdkTypeOf } from "./sdkType";

/** Providers a stack needs that none of its resource types names, each with the type that needs it and why. */
export const INDIRECT_PROVIDERS: readonly {
  readonly namespace: string;
  readonly when: string;
  readonly why: string;
}[] = [
  {
    namespace: "Microsoft.App",
    when: "azure-native:web:AppServicePlan",
    why: "a Flex Consumption app's integration subnet is delegated to Microsoft.App/environments (flex-consumption-plan)",
  },
  {
    namespace: "Microsoft.DocumentDB",
    when: "azure-native:machinelearningservices:Workspace",
    why: "a customer-managed-key ML workspace keeps its metadata in a Microsoft-managed Cosmos DB account (concept-customer-managed-keys)",
  },
  {
    namespace: "Microsoft.Search",
    when: "azure-native:machinelearningservices:Workspace",
    why: "a customer-managed-key ML workspace indexes its metadata in a Microsoft-managed AI Search service (concept-customer-managed-keys)",
  },
];

/** ARM deployment types whose inline templates declare further resources. */
const DEPLOYMENT_TYPES = new Set([
  "azure-native:resources:Deployment",
  "azure-native:resources:DeploymentAtSubscriptionScope",
]);

/** The provider namespace of an ARM type or id segment (`Microsoft.Web/sites` → `Microsoft.Web`). */
const namespaceOf = (armType: string) => armType.split("/")[0];

/** Namespaces of the resources an ARM deployment's inline template declares. */
function templateNamespaces(r: ResourceRecord): string[] {
  return templateResources({ props: r.inputs })
    .map((e) => e.type)
    .filter((t) => t.includes("/"))
    .map(namespaceOf);
}

export interface RequiredProvider {
  readonly namespace: string;
  /** Why the stack needs it: the ARM types that name it, or the indirect reason. */
  readonly reasons: readonly string[];
}

/** The providers a run's resources need, sorted, each with its reasons (pure). */
export function requiredProviders(records: readonly ResourceRecord[]): RequiredProvider[] {
  const reasons = new Map<string, Set<string>>();
  // One spelling per namespace (ARM ids differ in case: Microsoft.Insights, microsoft.insights).
  const canonical = new Map<string, string>();
  const add = (namespace: string, reason: string) => {
    const key = namespace.toLowerCase();
    if (!canonical.has(key)) canonical.set(key, namespace);
    const set = reasons.get(key) ?? new Set<string>();
    set.add(reason);
    reasons.set(key, set);
  };
  for (const r of records) {
    if (!r.custom || !isAzureNative(r) || !r.id) continue;
    const identity = armIdentityFromId(r.id);
    if (identity) add(namespaceOf(identity.armType), identity.armType);
    if (DEPLOYMENT_TYPES.has(sdkTypeOf(r)))
      for (const ns of templateNamespaces(r)) add(ns, `${r.name}'s template (${r.type.split(":").pop()})`);
  }
  const types = new Set(records.map(sdkTypeOf));
  for (const p of INDIRECT_PROVIDERS) if (types.has(p.when)) add(p.namespace, p.why);
  return [...reasons.entries()]
    .map(([key, set]) => ({ namespace: canonical.get(key) as string, reasons: [...set].sort() }))
    .sort((a, b) => a.namespace.localeCompare(b.namespace));
}

/** `az provider show` states that mean nothing is left to do. */
const DONE = new Set(["Registered"]);

/**
 * What to register, from each namespace's current state (`az provider show --query registrationState`): those not
 * `Registered` (`NotRegistered`, `Unregistered`, or `Registering` after an earlier attempt), in order (pure).
 */
export function registrationPlan(
  required: readonly RequiredProvider[],
  states: Readonly<Record<string, string | undefined>>,
): string[] {
  return required.map((p) => p.namespace).filter((ns) => !DONE.has(states[ns] ?? "NotRegistered"));
}

/** A region as Resource Manager and the CLI spell it in one form (`West Europe`, `westeurope` → `westeurope`). */
const regionKey = (location: string) => location.replace(/\s+/g, "").toLowerCase();

/** Where the stack puts resources of one ARM type, with the resources there. */
export interface RegionNeed {
  readonly armType: string;
  readonly location: string;
  readonly resources: readonly string[];
}

/** Each ARM type the stack creates with a location of its own, per region (pure; `global` resources left out). */
export function regionNeeds(records: readonly ResourceRecord[]): RegionNeed[] {
  const needs = new Map<string, { armType: string; location: string; resources: string[] }>();
  for (const r of records) {
    if (!r.custom || !isAzureNative(r) || !r.id) continue;
    const location = r.inputs.location;
    if (typeof location !== "string" || regionKey(location) === "global") continue;
    const identity = armIdentityFromId(r.id);
    if (!identity) continue;
    const key = `${identity.armType.toLowerCase()}|${regionKey(location)}`;
    const need = needs.get(key) ?? { armType: identity.armType, location: regionKey(location), resources: [] };
    need.resources.push(r.name);
    needs.set(key, need);
  }
  return [...needs.values()].sort((a, b) => a.armType.localeCompare(b.armType) || a.location.localeCompare(b.location));
}

/**
 * The needs a region does not offer, from each type's locations as its provider lists them (`az provider show`:
 * `resourceTypes[].locations`, display names). A type the provider lists with no location is global or unlisted:
 * not judged; a child type it does not list is judged by its parent's; a top-level type it does not list at all is
 * reported (pure).
 */
export function regionProblems(
  needs: readonly RegionNeed[],
  offered: Readonly<Record<string, readonly string[] | undefined>>,
): string[] {
  const problems: string[] = [];
  for (const n of needs) {
    // A child type its provider does not list (providers may leave some out) is offered where its parent is.
    let locations = offered[n.armType.toLowerCase()];
    for (let t = n.armType; locations === undefined && t.split("/").length > 2;) {
      t = t.slice(0, t.lastIndexOf("/"));
      locations = offered[t.toLowerCase()];
    }
    if (locations === undefined) {
      problems.push(`${n.armType}: its provider lists no such resource type (${n.resources.join(", ")})`);
      continue;
    }
    if (locations.length === 0) continue;
    if (!locations.map(regionKey).includes(n.location))
      problems.push(
        `${n.armType} is not offered in ${n.location}: ${n.resources.join(", ")} (offered in ${locations.length} regions, e.g. ${locations.slice(0, 5).join(", ")})`,
      );
  }
  return problems;
}

/**
 * The Flex Consumption plans the region cannot host: `list-flexconsumption-locations` (with `--zone-redundant=true`
 * for a zone-redundant plan) names the regions that offer them (flex-consumption-how-to, reliability-functions) (pure).
 */
export function flexProblems(
  records: readonly ResourceRecord[],
  flexRegions: readonly string[],
  zoneRedundantFlexRegions: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const r of records) {
    if (sdkTypeOf(r) !== "azure-native:web:AppServicePlan") continue;
    const sku = r.inputs.sku as { tier?: unknown } | undefined;
    if (sku?.tier !== "FlexConsumption" || typeof r.inputs.location !== "string") continue;
    const location = regionKey(r.inputs.location);
    const zoneRedundant = r.inputs.zoneRedundant === true;
    const offered = (zoneRedundant ? zoneRedundantFlexRegions : flexRegions).map(regionKey);
    if (!offered.includes(location))
      problems.push(
        `${r.name}: a ${zoneRedundant ? "zone-redundant " : ""}Flex Consumption plan is not offered in ${location}`,
      );
  }
  return problems;
}
