/**
 * Protection of stateful data resources in production stacks: Pulumi `protect` (a `pulumi destroy` or a refactor
 * that drops the resource fails instead of deleting cardholder or personal data) and an Azure management lock
 * (`CanNotDelete`) so that a portal/CLI/other-pipeline deletion fails too. Both are needed: `protect` only guards the
 * Pulumi program, the lock only guards Azure Resource Manager.
 */
import type { Policies, PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import {
  enforcedAssignments,
  extensionScopeOf,
  ofType,
  pointsAt,
  recordedDependency,
  refersTo,
  resourcePolicy,
  stackOfUrn,
  stackPolicy,
} from "../lib/policy";
import { inStacks } from "../lib/scope";
import { typeIn } from "../lib/typeToken";
import { oneOf, presence, roleGuid, safeGet, sameText, valueAt, who } from "../lib/values";

/** Key Vault Crypto Service Encryption User: the role a service's identity wraps and unwraps its key with. */
const CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6";

/** Stateful resources whose loss destroys cardholder or personal data or the audit trail. */
export const STATEFUL_TYPES = [
  "azure-native:sql:Server",
  "azure-native:sql:Database",
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:synapse:Workspace",
  "azure-native:synapse:SqlPool",
  "azure-native:storage:StorageAccount",
  "azure-native:keyvault:Vault",
  "azure-native:eventhub:Namespace",
  "azure-native:operationalinsights:Workspace",
  "azure-native:machinelearningservices:Workspace",
];

/**
 * What the lock rule checks by default: the stateful types but an Azure ML workspace. A lock on a workspace applies
 * to its child resources (online deployments, compute), which a model release deletes (Microsoft asks for locks to be
 * lifted before deleting Azure ML resources: machine-learning/how-to-managed-network.md, Limitations); what the
 * workspace stores lives in its storage account and key vault, which stay on the list. `protect` still applies.
 */
export const LOCKED_TYPES = STATEFUL_TYPES.filter((t) => t !== "azure-native:machinelearningservices:Workspace");

/**
 * Identities others are bound to: a user-assigned identity deleted and re-created under its name is another principal,
 * so the database users created for it, the sites, gateway and workspace that reference it and its role assignments
 * stop working (components/shared/identity.ts). Protected and locked like the stateful types.
 */
export const IDENTITY_TYPES = ["azure-native:managedidentity:UserAssignedIdentity"];

/**
 * Children that hold the data themselves: protecting the parent does not stop Pulumi deleting a child the program
 * drops or renames (a Cosmos DB database or container, an event hub with events in flight). `protect` only: the
 * parent's lock already covers them in Azure. Not blob containers: most hold deployment packages; the lake's file
 * systems are protected by its component, and every storage account by this rule.
 */
export const PROTECTED_CHILD_TYPES = [
  "azure-native:cosmosdb:SqlResourceSqlDatabase",
  "azure-native:cosmosdb:SqlResourceSqlContainer",
  "azure-native:eventhub:EventHub",
];

const stackKnob: PolicyConfigSchema["properties"] = {
  protectedStacks: {
    type: "array",
    items: { type: "string" },
    default: ["prod"],
    description: "Stacks (the stack segment of the URN) where stateful resources must be protected.",
  },
  resourceTypes: {
    type: "array",
    items: { type: "string" },
    default: STATEFUL_TYPES,
    description: "Type tokens of the stateful resources the rule checks.",
  },
};

interface StackConfig {
  protectedStacks: string[];
  resourceTypes: string[];
}

export const requireProtect = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-general-resource-require-protect",
    description:
      "Stateful data resources (databases, storage, key vaults, event hubs, log workspaces, ML workspaces, and the Cosmos DB databases and containers and event hubs inside them) and user-assigned identities (a re-created one is another principal, which the database users, sites and gateways bound to the old one do not follow) in protected stacks have the Pulumi `protect` option set, so no update or destroy can delete them.",
    severity: "high",
    pci: ["6.5.1", "10.5.1"],
    gdpr: ["32(1)(b)", "32(1)(c)"],
    soc2: ["A1.2", "CC8.1"],
    service: "general",
    remediationSteps:
      "Pass `{ protect: true }` in the resource options of every stateful resource in the prod stack (the program's component `protect` flag); to delete one deliberately, unprotect it first in a reviewed change.",
    url: "https://www.pulumi.com/docs/iac/concepts/options/protect/",
    config: {
      ...stackKnob,
      resourceTypes: {
        ...stackKnob.resourceTypes,
        default: [...STATEFUL_TYPES, ...PROTECTED_CHILD_TYPES, ...IDENTITY_TYPES],
      },
    },
  },
  [], // every azure-native type; narrowed by the `resourceTypes` knob below
  (_props, args, report) => {
    const { protectedStacks, resourceTypes } = args.getConfig<StackConfig>();
    if (!typeIn(resourceTypes, args.type)) args.notApplicable("not a stateful resource type (resourceTypes)");
    if (!inStacks(args.urn, protectedStacks)) {
      args.notApplicable(`stack '${stackOfUrn(args.urn)}' is not in protectedStacks`);
    }
    // `protect` absent means false (Pulumi's default).
    if (args.opts.protect !== true) {
      report(
        `${who(args)} in stack '${stackOfUrn(args.urn)}' is not protected: set the resource option \`protect: true\`.`,
      );
    }
  },
);

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
function sentinelHost(resources: readonly PolicyResource[]): (r: PolicyResource) => boolean {
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
function locksOf(resources: readonly PolicyResource[], levels: readonly string[]): PolicyResource[] {
  return resources.filter(
    (r) => [...LOCK_TYPES, RG_LOCK_TYPE].includes(r.type) && oneOf(safeGet(r.props, "level"), levels),
  );
}

/**
 * Whether one of `locks` holds `target` itself (never a child's lock: one on a pool or a database does not hold its
 * parent), or, when `acceptResourceGroupLocks`, its resource group's.
 */
function isLocked(
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
        report(
          `${target.name} (${target.urn}) has no management lock: add an authorization.ManagementLockAtResourceLevel with level "CanNotDelete" that references it.`,
          target.urn,
        );
      }
    }
  },
);

const POLICY_DEFINITION_TYPE = "azure-native:authorization:PolicyDefinition";

/**
 * Whether a custom policy definition refuses deleting resources of `armType`: effect `denyAction` with `delete` among
 * its actionNames, and a condition that names the type (its `if` is not evaluated further).
 */
function deniesDelete(definition: PolicyResource, armType: string): boolean {
  const rule = valueAt(definition.props, "policyRule");
  if (!rule || typeof rule !== "object") return false;
  const then = (rule as { then?: { effect?: unknown; details?: { actionNames?: unknown } } }).then;
  const actions = then?.details?.actionNames;
  return (
    typeof then?.effect === "string" &&
    sameText(then.effect, "denyAction") &&
    Array.isArray(actions) &&
    actions.some((a) => typeof a === "string" && sameText(a, "delete")) &&
    JSON.stringify((rule as { if?: unknown }).if ?? null)
      .toLowerCase()
      .includes(`"${armType.toLowerCase()}"`)
  );
}

/**
 * The `targets` no enforced policy assignment of the stack guards: one scoped to the target whose definition refuses
 * deleting resources of `armType`.
 */
function unguarded(
  resources: readonly PolicyResource[],
  targets: readonly PolicyResource[],
  armType: string,
): PolicyResource[] {
  const definitions = ofType(resources, POLICY_DEFINITION_TYPE).filter((r) => deniesDelete(r, armType));
  const assignments = enforcedAssignments(resources).filter((r) =>
    definitions.some((d) => pointsAt(r, d, ["policyDefinitionId"])),
  );
  return targets.filter((t) => !assignments.some((a) => pointsAt(a, t, ["scope"])));
}

export const requireWorkspaceDeleteGuard = stackPolicy(
  {
    name: "azure-native-operationalinsights-workspace-require-delete-guard-without-lock",
    description:
      "In protected stacks, a Log Analytics workspace Microsoft Sentinel is onboarded on (which cannot take a management lock) has an Azure Policy denyAction assignment on it that refuses its deletion, so a forced delete cannot destroy the audit trail.",
    severity: "high",
    pci: ["10.3.3", "10.5.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["A1.2", "CC8.1"],
    service: "operationalinsights",
    remediationSteps:
      'Assign, on the workspace, a custom policy definition (mode Indexed) whose rule is `if type equals Microsoft.OperationalInsights/workspaces then denyAction` with `actionNames: ["delete"]` (components/platform/monitoring.ts `workspaceDeleteGuard`).',
    url: "https://learn.microsoft.com/azure/governance/policy/concepts/effect-deny-action",
    config: { protectedStacks: stackKnob.protectedStacks },
  },
  (args, report) => {
    const { protectedStacks } = args.getConfig<Pick<StackConfig, "protectedStacks">>();
    const hostsSentinel = sentinelHost(args.resources);
    const targets = args.resources.filter((r) => inStacks(r.urn, protectedStacks) && hostsSentinel(r));
    if (targets.length === 0)
      args.notApplicable(
        "no Log Analytics workspace with Sentinel on it in a protected stack (the lock rule covers the others)",
      );
    for (const ws of unguarded(args.resources, targets, "Microsoft.OperationalInsights/workspaces"))
      report(
        `${ws.name} (${ws.urn}) holds Sentinel, so it cannot be locked, and no enforced denyAction policy assignment on it refuses its deletion: assign one (effect-deny-action).`,
        ws.urn,
      );
  },
);

const ML_WORKSPACE_TYPE = "azure-native:machinelearningservices:Workspace";

export const requireMlWorkspaceDeleteGuard = stackPolicy(
  {
    name: "azure-native-machinelearningservices-workspace-require-delete-guard",
    description:
      "In protected stacks, every Azure Machine Learning workspace (which takes no management lock: a lock would refuse deleting its online deployments) has an Azure Policy denyAction assignment on it that refuses its deletion: a deleted workspace with only user-assigned identities cannot be recovered, and takes its run history and model registry with it.",
    severity: "high",
    pci: ["6.5.1"],
    gdpr: ["32(1)(b)", "32(1)(c)"],
    soc2: ["A1.2", "CC8.1"],
    service: "machinelearningservices",
    remediationSteps:
      'Assign, on the workspace, a custom policy definition (mode Indexed) whose rule is `if type equals Microsoft.MachineLearningServices/workspaces then denyAction` with `actionNames: ["delete"]` (components/shared/protection.ts `deleteGuard`).',
    url: "https://learn.microsoft.com/azure/machine-learning/concept-soft-delete",
    config: { protectedStacks: stackKnob.protectedStacks },
  },
  (args, report) => {
    const { protectedStacks } = args.getConfig<Pick<StackConfig, "protectedStacks">>();
    const targets = args.resources.filter(
      (r) => typeIn([ML_WORKSPACE_TYPE], r.type) && inStacks(r.urn, protectedStacks),
    );
    if (targets.length === 0) args.notApplicable("no Azure Machine Learning workspace in a protected stack");
    for (const ws of unguarded(args.resources, targets, "Microsoft.MachineLearningServices/workspaces"))
      report(
        `${ws.name} (${ws.urn}) is an Azure ML workspace in a protected stack with no enforced denyAction policy assignment on it refusing its deletion, which would be permanent (no soft delete with user-assigned identities only): assign one (effect-deny-action).`,
        ws.urn,
      );
  },
);

const IDENTITY_TYPE = "azure-native:managedidentity:UserAssignedIdentity";
const ROLE_ASSIGNMENT_TYPE = "azure-native:authorization:RoleAssignment";

/** Whether role assignment `ra` grants to `identity`: its principal id by value, else the recorded dependency. */
function grantsToIdentity(ra: PolicyResource, identity: PolicyResource): boolean {
  const given = safeGet(ra.props, "principalId");
  const principal = safeGet(identity.props, "principalId");
  if (typeof given === "string" && typeof principal === "string") return sameText(given, principal);
  return recordedDependency(ra, identity, "principalId");
}

export const requireKeyIdentityProtection = stackPolicy(
  {
    name: "azure-native-managedidentity-userassignedidentity-require-lock-for-customer-managed-key",
    description:
      "In protected stacks, a user-assigned identity a service reaches its customer-managed key with (it holds Key Vault Crypto Service Encryption User) is protected (`protect`) and has a management lock (CanNotDelete), because deleting it makes the key unreachable: after 30 minutes an Azure SQL server loses its failover group and its point-in-time-restore history, and a re-created identity of the same name is another principal.",
    severity: "high",
    pci: ["3.6.1", "10.5.1"],
    gdpr: ["32(1)(b)", "32(1)(c)"],
    soc2: ["A1.2", "CC8.1"],
    service: "managedidentity",
    remediationSteps:
      'Create the identity with `{ protect: true }` and add an `authorization.ManagementLockByScope` (or `ManagementLockAtResourceLevel`) with `level: "CanNotDelete"` on its id (components/shared/cmk.ts `customerManagedKey` does both when its `protect` flag is set).',
    url: "https://learn.microsoft.com/azure/azure-sql/database/transparent-data-encryption-byok-overview",
    config: {
      protectedStacks: stackKnob.protectedStacks,
      roleDefinitionIds: {
        type: "array",
        items: { type: "string" },
        default: [CRYPTO_SERVICE_ENCRYPTION_USER],
        description:
          "Role definition GUIDs (or ids) whose holder reaches a customer-managed key (default: Key Vault Crypto Service Encryption User).",
      },
      acceptResourceGroupLocks: {
        type: "boolean",
        default: true,
        description: "Count a ManagementLockAtResourceGroupLevel on the identity's resource group.",
      },
    },
  },
  (args, report) => {
    const { protectedStacks, roleDefinitionIds, acceptResourceGroupLocks } = args.getConfig<{
      protectedStacks: string[];
      roleDefinitionIds: string[];
      acceptResourceGroupLocks: boolean;
    }>();
    const roles = new Set(roleDefinitionIds.map(roleGuid));
    // A grant whose role is unknown during preview is not counted: the role is a literal GUID in every program here.
    const keyGrants = args.resources.filter(
      (r) => r.type === ROLE_ASSIGNMENT_TYPE && roles.has(roleGuid(safeGet(r.props, "roleDefinitionId"))),
    );
    const targets = args.resources.filter(
      (r) =>
        r.type === IDENTITY_TYPE && inStacks(r.urn, protectedStacks) && keyGrants.some((ra) => grantsToIdentity(ra, r)),
    );
    if (targets.length === 0)
      args.notApplicable(
        "no user-assigned identity in a protected stack holds a key-wrapping role (roleDefinitionIds): services here reach their keys otherwise",
      );
    const locks = locksOf(args.resources, ["CanNotDelete", "ReadOnly"]);
    for (const identity of targets) {
      const locked = isLocked(identity, locks, acceptResourceGroupLocks);
      const missing = [
        ...(identity.opts.protect === true ? [] : ["is not protected (set `protect: true`)"]),
        ...(locked ? [] : ['has no management lock (add one with level "CanNotDelete" on its id)']),
      ];
      if (missing.length > 0)
        report(
          `${identity.name} (${identity.urn}) reaches a customer-managed key and ${missing.join(" and ")}: deleting it makes the key unreachable (an Azure SQL server loses its failover group and restore history after 30 minutes).`,
          identity.urn,
        );
    }
  },
);

export const protectionPolicies: Policies = [
  requireProtect,
  requireManagementLock,
  requireWorkspaceDeleteGuard,
  requireMlWorkspaceDeleteGuard,
  requireKeyIdentityProtection,
];
