/**
 * Every stateful data resource and user-assigned identity in a protected stack sits under a CanNotDelete management lock (its own, its group's or a scope lock above it); a workspace Microsoft Sentinel is onboarded on takes none (its delete guard instead).
 */
import type { PolicyResource } from "@pulumi/policy";
import { extensionScopeOf, pointsAt, refersTo, stackPolicy } from "../../lib/policy";
import { inStacks } from "../../lib/scope";
import { typeIn } from "../../lib/typeToken";
import { idPending, oneOf, presence, requireId, safeGet, sameText, valueAt } from "../../lib/values";
import { LOCKED_TYPES, IDENTITY_TYPES, stackKnob, type StackConfig } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Management locks
// ---------------------------------------------------------------------------------------------------------------

const LOCK_TYPES = [
  "azure-native:authorization:ManagementLockAtResourceLevel",
  "azure-native:authorization:ManagementLockByScope",
];
const RG_LOCK_TYPE = "azure-native:authorization:ManagementLockAtResourceGroupLevel";
const SCOPE_LOCK_TYPE = "azure-native:authorization:ManagementLockByScope";
const RG_TYPE = "azure-native:resources:ResourceGroup";
const LOG_WORKSPACE_TYPE = "azure-native:operationalinsights:Workspace";
const SENTINEL_ONBOARDING_TYPE = "azure-native:securityinsights:SentinelOnboardingState";
const SENTINEL_SOLUTION_TYPE = "azure-native:operationsmanagement:Solution";
const SENTINEL_TYPES = [SENTINEL_ONBOARDING_TYPE, SENTINEL_SOLUTION_TYPE];

/**
 * The ARM namespace and type of the types the lock rule checks, and the input naming a child's parent (the lock's
 * `parentResourcePath` ends with it): what a lock's known parts must say of a target whose id is unknown.
 */
const ARM_PLACES: Readonly<Record<string, { namespace: string; type: string; parentKey?: string }>> = {
  "azure-native:sql:Server": { namespace: "Microsoft.Sql", type: "servers" },
  "azure-native:sql:Database": { namespace: "Microsoft.Sql", type: "databases", parentKey: "serverName" },
  "azure-native:cosmosdb:DatabaseAccount": { namespace: "Microsoft.DocumentDB", type: "databaseAccounts" },
  "azure-native:synapse:Workspace": { namespace: "Microsoft.Synapse", type: "workspaces" },
  "azure-native:synapse:SqlPool": { namespace: "Microsoft.Synapse", type: "sqlPools", parentKey: "workspaceName" },
  "azure-native:storage:StorageAccount": { namespace: "Microsoft.Storage", type: "storageAccounts" },
  "azure-native:keyvault:Vault": { namespace: "Microsoft.KeyVault", type: "vaults" },
  "azure-native:eventhub:Namespace": { namespace: "Microsoft.EventHub", type: "namespaces" },
  "azure-native:operationalinsights:Workspace": { namespace: "Microsoft.OperationalInsights", type: "workspaces" },
  "azure-native:machinelearningservices:Workspace": {
    namespace: "Microsoft.MachineLearningServices",
    type: "workspaces",
  },
  "azure-native:managedidentity:UserAssignedIdentity": {
    namespace: "Microsoft.ManagedIdentity",
    type: "userAssignedIdentities",
  },
};

/**
 * Whether a lock's known namespace, type and parent path can be `target`'s (policy review nit 9): a lock with
 * `resourceType: storageAccounts` does not hold a key vault of the same name, nor one on database `payments` of
 * server `sql-neu` the same database of `sql-weu`. A part unknown, or a type outside ARM_PLACES, does not refuse.
 */
function samePlace(parts: readonly (string | undefined)[], target: PolicyResource): boolean {
  const place = ARM_PLACES[target.type];
  if (place === undefined) return true;
  const [, namespace, parentPath, type] = parts;
  if (namespace !== undefined && !sameText(namespace, place.namespace)) return false;
  if (type !== undefined && !sameText(type, place.type)) return false;
  if (parentPath === undefined) return true;
  if (place.parentKey === undefined) return parentPath === "";
  const parent = presence(target.props, place.parentKey) === "set" ? safeGet(target.props, place.parentKey) : undefined;
  return typeof parent !== "string" || sameText(parentPath.split("/").pop() ?? "", parent);
}

/**
 * Whether a `ManagementLockAtResourceLevel` locks `target` itself: its resource group, provider namespace, parent
 * path, type and name, put together, end `target`'s id (case-insensitively). A lock on a child (`parentResourcePath`
 * "servers/sql-a", `resourceType` "databases") or on a sibling does not hold `target`, even though it depends on it.
 * When a part or the id is unknown during preview, `resourceName` decides: its recorded property dependency, else its
 * value against `target`'s name, else (neither known nor recorded) a plain dependency on `target`; a resource group
 * known on both sides must agree, and so must the namespace, type and parent path (`samePlace`).
 */
function resourceLockPointsAt(lock: PolicyResource, target: PolicyResource): boolean {
  const id = safeGet(target.props, "id");
  const keys = ["resourceGroupName", "resourceProviderNamespace", "parentResourcePath", "resourceType", "resourceName"];
  const parts = keys.map((k) => {
    const state = presence(lock.props, k);
    // An empty parent path is a top-level resource (the API takes "").
    if (state === "absent") return k === "parentResourcePath" ? "" : undefined;
    const value = state === "set" ? safeGet(lock.props, k) : undefined;
    return typeof value === "string" ? value.replace(/^\/+|\/+$/g, "") : undefined;
  });
  if (typeof id !== "string" || id.length === 0 || parts.some((p) => p === undefined)) {
    // A resource group both name, when known, must be the same: a lock on the North Europe database `payments`
    // does not hold the West Europe one of the same name (policy review N7).
    const group = parts[0];
    const targetGroup =
      presence(target.props, "resourceGroupName") === "set" ? safeGet(target.props, "resourceGroupName") : undefined;
    if (group !== undefined && typeof targetGroup === "string" && !sameText(group, targetGroup)) return false;
    if (!samePlace(parts, target)) return false;
    return refersTo(lock, target, { properties: ["resourceName"], byName: {} });
  }
  const [group, namespace, parentPath, type, name] = parts as string[];
  const path = `/resourceGroups/${group}/providers/${namespace}/${parentPath ? `${parentPath}/` : ""}${type}/${name}`;
  return id.toLowerCase().endsWith(path.toLowerCase());
}

/** Whether `lock` holds `target` itself: by the lock's id when known, else from its inputs (`scope` or the parts). */
function lockHolds(lock: PolicyResource, target: PolicyResource): boolean {
  // A deployed lock's outputs carry no `scope` nor the parts of a resource-level lock (they are its path), but its
  // id (`<scope>/providers/Microsoft.Authorization/locks/<name>`) names the scope exactly.
  const scope = extensionScopeOf(lock);
  const id = safeGet(target.props, "id");
  if (scope !== undefined && typeof id === "string" && id.length > 0) {
    return scope.toLowerCase() === id.replace(/\/+$/, "").toLowerCase();
  }
  return lock.type === SCOPE_LOCK_TYPE ? pointsAt(lock, target, "scope") : resourceLockPointsAt(lock, target);
}

/** A Log Analytics solution that is Microsoft Sentinel (`SecurityInsights`), not another gallery solution. */
function isSentinelSolution(solution: PolicyResource): boolean {
  const product = valueAt(solution.props, "plan", "product");
  // Unknown during preview: the solution's name (`SecurityInsights(<workspace>)`) says what it is.
  const name = safeGet(solution.props, "solutionName") ?? safeGet(solution.props, "name");
  return typeof product === "string"
    ? sameText(product, "OMSGallery/SecurityInsights")
    : typeof name === "string" && /^securityinsights\(/i.test(name);
}

/**
 * Whether a Sentinel onboarding state is on `workspace`: its workspaceName in the workspace's resource group, or once
 * deployed (its outputs carry no workspaceName) its id under the workspace's (`refersTo` by ids).
 */
function onboardedOn(onboarding: PolicyResource, workspace: PolicyResource): boolean {
  return refersTo(onboarding, workspace, {
    properties: ["workspaceName"],
    byName: { nameKeys: ["workspaceName"], siblingKeys: ["resourceGroupName"] },
  });
}

/**
 * Whether a resource is a Log Analytics workspace Microsoft Sentinel is onboarded on, among `resources`: the
 * workspace itself (the onboarding's workspaceName in its resource group, or the solution's
 * properties.workspaceResourceId exactly); Sentinel on another workspace that merely depends on this one, or whose id
 * starts with this one's, does not count.
 */
export function sentinelHost(resources: readonly PolicyResource[]): (r: PolicyResource) => boolean {
  const sentinel = resources.filter((r) => SENTINEL_TYPES.includes(r.type));
  return (r) =>
    r.type === LOG_WORKSPACE_TYPE &&
    sentinel.some((s) =>
      s.type === SENTINEL_SOLUTION_TYPE
        ? isSentinelSolution(s) && pointsAt(s, r, ["properties", "workspaceResourceId"])
        : onboardedOn(s, r),
    );
}

/**
 * The resource group a resource lives in: the one its `resourceGroupName` input comes from. Not any group it merely
 * depends on: a database whose name is checked against a secondary group's resources depends on that group too, and
 * a lock there does not hold it (an independent review's mutation: the primary database passed with a lock on the
 * DR group only).
 */
function resourceGroupsOf(r: PolicyResource): string[] {
  return (r.propertyDependencies["resourceGroupName"] ?? []).filter((d) => d.type === RG_TYPE).map((d) => d.urn);
}

/** The stack's locks at one of `levels` (an absent or unknown level is none: the level is a literal, known in preview). */
export function locksOf(resources: readonly PolicyResource[], levels: readonly string[]): PolicyResource[] {
  return resources.filter(
    (r) => [...LOCK_TYPES, RG_LOCK_TYPE].includes(r.type) && oneOf(safeGet(r.props, "level"), levels),
  );
}

/**
 * Whether one of `locks` holds `target` itself (never a child's lock: one on a pool or a database does not hold its
 * parent), or, when `acceptResourceGroupLocks`, its resource group's.
 */
export function isLocked(
  target: PolicyResource,
  locks: readonly PolicyResource[],
  acceptResourceGroupLocks: boolean,
): boolean {
  const groups = resourceGroupsOf(target);
  return locks.some((lock) =>
    lock.type === RG_LOCK_TYPE
      ? acceptResourceGroupLocks && resourceGroupsOf(lock).some((g) => groups.includes(g))
      : lockHolds(lock, target),
  );
}

export const requireManagementLock = stackPolicy(
  {
    name: "azure-native-authorization-managementlock-missing-for-stateful-resource",
    description:
      "Every stateful data resource and user-assigned identity in a protected stack has an Azure management lock (CanNotDelete) on it, so it cannot be deleted outside the Pulumi program either; a Log Analytics workspace Microsoft Sentinel is onboarded on is exempt (Sentinel does not support a locked workspace), and an Azure ML workspace is not checked by default (a lock would also lock the online deployments and compute a model release deletes; its storage and key vault are checked).",
    severity: "high",
    pci: ["6.5.1", "10.5.1"],
    gdpr: ["32(1)(b)", "32(1)(c)"],
    soc2: ["A1.2", "CC8.1"],
    service: "authorization",
    remediationSteps:
      'Add an `authorization.ManagementLockAtResourceLevel` (or `ManagementLockByScope` with `scope` = the resource id) with `level: "CanNotDelete"` whose inputs come from the resource (resourceName/scope from its outputs), e.g. through the component\'s `lock` option.',
    url: "https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources",
    config: {
      ...stackKnob,
      resourceTypes: { ...stackKnob.resourceTypes, default: [...LOCKED_TYPES, ...IDENTITY_TYPES] },
      allowedLevels: {
        type: "array",
        items: { type: "string", enum: ["CanNotDelete", "ReadOnly"] },
        default: ["CanNotDelete", "ReadOnly"],
        description: "Lock levels that count (NotSpecified never does).",
      },
      acceptResourceGroupLocks: {
        type: "boolean",
        default: true,
        description:
          "Count a ManagementLockAtResourceGroupLevel on the resource group the resource depends on (through resourceGroupName).",
      },
    },
  },
  (args, report) => {
    const { protectedStacks, resourceTypes, allowedLevels, acceptResourceGroupLocks } = args.getConfig<
      StackConfig & { allowedLevels: string[]; acceptResourceGroupLocks: boolean }
    >();
    // Microsoft Sentinel does not support a locked workspace: "The Log Analytics workspace must not have a resource
    // lock applied ... resource locks aren't supported when enabling Microsoft Sentinel" (sentinel/prerequisites):
    // a workspace Sentinel is onboarded on (onboarding state or SecurityInsights solution wired to it) is guarded by
    // `protect` (the rule above) and the workspace's soft delete instead.
    const hostsSentinel = sentinelHost(args.resources);
    const targets = args.resources.filter(
      (r) => typeIn(resourceTypes, r.type) && inStacks(r.urn, protectedStacks) && !hostsSentinel(r),
    );
    if (targets.length === 0)
      args.notApplicable(
        "no stateful resources in a protected stack (but Sentinel workspaces, which cannot be locked)",
      );
    const locks = locksOf(args.resources, allowedLevels);
    for (const target of targets) {
      if (!isLocked(target, locks, acceptResourceGroupLocks)) {
        // A lock created in a first preview with its target's names written out (path inputs, no id yet, no
        // dependency recorded) may be this one: undecided until its id says (never a failure it may not be).
        const pending = locks.find(
          (l) =>
            l.type === "azure-native:authorization:ManagementLockAtResourceLevel" &&
            idPending(l.props) &&
            (l.propertyDependencies["resourceName"] ?? []).length === 0,
        );
        if (pending) requireId(pending.props);
        report(
          `${target.name} (${target.urn}) has no management lock: add an authorization.ManagementLockAtResourceLevel with level "CanNotDelete" that references it.`,
          target.urn,
        );
      }
    }
  },
);
