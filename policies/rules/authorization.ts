/**
 * Azure RBAC the stack grants (PCI DSS 7.2.1, 7.2.2, 7.2.5; GDPR Art. 25 and 32(4)): no role that manages access
 * (Owner, User Access Administrator, Role Based Access Control Administrator, Key Vault Data Access Administrator),
 * assigned or made eligible through PIM, no Contributor over a resource group or wider, and no custom role that can
 * grant roles, lift locks or policies, acts on every resource provider or names its data actions by wildcard.
 * Least privilege means an identity's roles are named data or resource roles on the resources it uses.
 */
import type * as authorization from "@pulumi/azure-native/authorization";
import type { Policies, PolicyResource } from "@pulumi/policy";
import { ofType, pointsAt, resourcePolicy, stackPolicy, stringListKnob } from "../lib/policy";
import { globMatch, presence, requireKnown, roleGuid, show, stringsAt, valueAt, who } from "../lib/values";

const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
/** A PIM eligibility: the principal can activate the role itself, so it counts as an assignment. */
const ELIGIBILITY = "azure-native:authorization:PimRoleEligibilitySchedule";
const ROLE_DEFINITION = "azure-native:authorization:RoleDefinition";
const DOCS = "https://learn.microsoft.com/azure/role-based-access-control";

/**
 * Built-in roles by id (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles, "Privileged"
 * roles: "Privileged administrator roles are roles that grant privileged administrator access, such as the ability to
 * manage Azure resources or assign roles to other users").
 */
export const PRIVILEGED_ROLES: Readonly<Record<string, string>> = {
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
  "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
  // "Manage access to Azure Key Vault by adding or removing role assignments for the Key Vault Administrator, …"
  "8b54135c-b56d-4d72-a534-26097cfdc8d8": "Key Vault Data Access Administrator",
};
export const CONTRIBUTOR_ROLE = "b24988ac-6180-42a0-ab88-20f7382dd24c";

/**
 * Built-in roles the broad-scope rule refuses on a resource group or wider by default: Contributor, and the data
 * and security roles that over a whole group or subscription read or change every account's data, keys or audit
 * (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles; a mutation review of the pack found
 * each passing at subscription scope). The ids are the built-in roles' own, the same in every tenant.
 */
export const BROAD_SCOPE_ROLES: Readonly<Record<string, string>> = {
  [CONTRIBUTOR_ROLE]: "Contributor",
  "17d1049b-9a84-46fb-8f53-869881c3d3ab": "Storage Account Contributor",
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
  "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
  "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
  "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
  "14b46e9e-c2b7-41b4-b07b-48a6ebf60603": "Key Vault Crypto Officer",
  "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
  "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
  "056cd41c-7e88-42e1-933e-88ba6a50c9c3": "SQL Security Manager",
  "6d8ee4ec-f05a-4a1d-8b00-a9b17e38b437": "SQL Server Contributor",
  "9b7fa17d-e63e-47b0-bb0a-15c516ac86ec": "SQL DB Contributor",
  "5bd9cd88-fe45-4216-938b-f97437e15450": "DocumentDB Account Contributor",
  "f526a384-b230-433a-b45c-95f59c4a2dec": "Azure Event Hubs Data Owner",
  "749f88d5-cbae-40b8-bcfc-e573ddc772fa": "Monitoring Contributor",
  "92aaf0da-9dab-42b6-94a3-d43ce8d16293": "Log Analytics Contributor",
  "81a9662b-bebf-436f-a333-f67b29880f12": "Storage Account Key Operator Service Role",
};

export type ScopeKind = "resource" | "resourceGroup" | "subscriptionOrWider";

/** The scope kind of an ARM scope string: a single resource, a resource group, or wider (subscription and up). */
export function scopeKind(scope: string): ScopeKind {
  const path = scope.replace(/\/+$/, "");
  if (/\/providers\/Microsoft\.Management\/managementGroups\/[^/]+$/i.test(path)) return "subscriptionOrWider";
  if (path === "" || /^\/subscriptions\/[^/]+$/i.test(path)) return "subscriptionOrWider";
  if (/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+$/i.test(path)) return "resourceGroup";
  return "resource";
}

export const roleAssignmentPrivileged = resourcePolicy<authorization.RoleAssignmentArgs>(
  {
    name: "azure-native-authorization-roleassignment-disallow-privileged-role",
    description:
      "The stack assigns, or makes a principal eligible for (PIM), no role that manages access (Owner, User Access Administrator, Role Based Access Control Administrator, Key Vault Data Access Administrator), at any scope: identities get named roles on the resources they use.",
    severity: "high",
    pci: ["7.2.1", "7.2.2", "7.2.5"],
    gdpr: ["25", "32(4)"],
    soc2: ["CC6.1", "CC6.3"],
    service: "authorization",
    remediationSteps:
      "Assign the narrowest built-in role that covers the job (e.g. Storage Blob Data Reader, Key Vault Crypto Service Encryption User) on the resource itself. Access management stays with the platform team's privileged (PIM) assignments outside the stack; a reviewed exception gets a dated exemption.",
    url: `${DOCS}/best-practices#limit-privileged-administrator-role-assignments`,
  },
  [ROLE_ASSIGNMENT, ELIGIBILITY],
  (props, args, report) => {
    // A built-in role's id is a constant the program writes, with the deployer's subscription (known in a preview). An
    // id unknown during preview is another resource's output: a custom role the stack defines (its permissions checked
    // by `…-roledefinition-disallow-privileged-actions`), or a built-in role's id built from an unknown value, which
    // could be Owner: undecided until it is known (a resource rule cannot see which resource the value comes from).
    if (presence(props, "roleDefinitionId") === "unknown") requireKnown(props, "roleDefinitionId");
    const role = roleGuid(String(valueAt(props, "roleDefinitionId") ?? ""));
    const privileged = PRIVILEGED_ROLES[role];
    if (privileged) {
      report(
        `${who(args)} ${args.type === ELIGIBILITY ? "makes a principal eligible for" : "assigns"} ${privileged} (${role}), which manages access (grants roles, its own included): assign a named role on the resource instead.`,
      );
    }
  },
);

/**
 * How wide an assignment's scope is: from its value, or, while unknown in a first preview, from what it points at. A
 * scope built from several resources (`${rg.id}/providers/…/${account.name}`) is the narrowest of them: any target that
 * is not a resource group or wider makes it a resource scope.
 */
function scopeOf(assignment: PolicyResource, resources: readonly PolicyResource[]): ScopeKind | undefined {
  if (presence(assignment.props, "scope") === "set") return scopeKind(String(valueAt(assignment.props, "scope")));
  const kinds = resources
    .filter((r) => r !== assignment && pointsAt(assignment, r, "scope"))
    .map((r): ScopeKind =>
      WIDE_SCOPE_TYPES.includes(r.type)
        ? "subscriptionOrWider"
        : r.type === RESOURCE_GROUP
          ? "resourceGroup"
          : "resource",
    );
  if (kinds.length === 0) return undefined;
  if (kinds.includes("resource")) return "resource";
  return kinds.includes("resourceGroup") ? "resourceGroup" : "subscriptionOrWider";
}
const RESOURCE_GROUP = "azure-native:resources:ResourceGroup";
const WIDE_SCOPE_TYPES = ["azure-native:subscription:Alias", "azure-native:management:ManagementGroup"];

export const roleAssignmentBroadScope = stackPolicy(
  {
    name: "azure-native-authorization-roleassignment-disallow-contributor-on-broad-scope",
    description:
      "The stack assigns Contributor and the data and security roles that read or change every account's data, keys or audit (Storage Account Contributor, Storage Blob Data Owner/Contributor/Reader, Key Vault Administrator/Crypto Officer/Secrets Officer/Secrets User, SQL Security Manager, SQL Server and SQL DB Contributor, DocumentDB Account Contributor, Event Hubs Data Owner, Monitoring and Log Analytics Contributor, Storage Account Key Operator: `broadScopeRoleIds`) only on a single resource (or below it), never on a resource group, subscription or management group, where they reach every resource of the scope.",
    severity: "high",
    pci: ["7.2.1", "7.2.2"],
    gdpr: ["25", "32(4)"],
    soc2: ["CC6.3"],
    service: "authorization",
    remediationSteps:
      "Assign Contributor on the one resource Microsoft requires it for (e.g. an Azure ML workspace's storage and key vault), or a narrower role on the resource group.",
    url: `${DOCS}/best-practices#assign-roles-at-the-narrowest-scope`,
    config: {
      broadScopeRoleIds: stringListKnob(
        "Role definition GUIDs allowed on a single resource but not on a resource group or wider (default: BROAD_SCOPE_ROLES, Contributor and the data and security roles).",
        Object.keys(BROAD_SCOPE_ROLES),
      ),
    },
  },
  (args, report) => {
    const { broadScopeRoleIds } = args.getConfig<{ broadScopeRoleIds: string[] }>();
    const wanted = new Set(broadScopeRoleIds.map((id) => id.toLowerCase()));
    const all = ofType(args.resources, ROLE_ASSIGNMENT, ELIGIBILITY);
    // A role id unknown during preview comes from another resource: when every role definition it depends on is one
    // of the stack's custom roles with a known id outside broadScopeRoleIds, the assignment is not one this rule
    // checks; otherwise (a built-in id built from an unknown value could be Contributor) undecided.
    // Every recorded dependency must be such a role: a value built from a custom role and something else (a
    // `pulumi.all`) could be any role.
    const roleDefinitions = ofType(args.resources, ROLE_DEFINITION);
    for (const a of all.filter((x) => presence(x.props, "roleDefinitionId") === "unknown")) {
      const deps = a.propertyDependencies.roleDefinitionId ?? [];
      const definitions = roleDefinitions.filter((d) => deps.some((r) => r.urn === d.urn));
      // A definition's GUID is its `name` once created (`roleDefinitionId` is a path input, never an output); unknown
      // in the preview that creates it, which leaves the assignment undecided.
      const outside = definitions.map((d) => valueAt(d.props, "name"));
      if (
        outside.length === 0 ||
        definitions.length !== deps.length ||
        !outside.every((g) => typeof g === "string" && !wanted.has(g.toLowerCase()))
      )
        requireKnown(a.props, "roleDefinitionId");
    }
    const assignments = all.filter(
      (a) =>
        presence(a.props, "roleDefinitionId") === "set" &&
        wanted.has(roleGuid(String(valueAt(a.props, "roleDefinitionId")))),
    );
    if (assignments.length === 0) args.notApplicable("no assignment of a role in broadScopeRoleIds");
    for (const a of assignments) {
      const kind = scopeOf(a, args.resources);
      // A scope neither known nor pointing at a resource of the stack: undecided (the engine's "can't run").
      if (kind === undefined) requireKnown(a.props, "scope");
      if (kind === "resource") continue;
      const role = roleGuid(String(valueAt(a.props, "roleDefinitionId")));
      report(
        `${a.name} (${a.type}) assigns role ${BROAD_SCOPE_ROLES[role] ? `${BROAD_SCOPE_ROLES[role]} (${role})` : role} on ${kind === "resourceGroup" ? "a resource group" : "a subscription or wider"} (${show(valueAt(a.props, "scope") ?? "its scope")}): assign it on the single resource that needs it, or a narrower role.`,
        a.urn,
      );
    }
  },
);

/** Operations that change who can do what, or lift the guards around it: a custom role holding one can escalate. */
export const ACCESS_MANAGEMENT_OPERATIONS = [
  "Microsoft.Authorization/roleAssignments/write",
  "Microsoft.Authorization/roleAssignments/delete",
  "Microsoft.Authorization/roleAssignmentScheduleRequests/write",
  "Microsoft.Authorization/roleEligibilityScheduleRequests/write",
  "Microsoft.Authorization/roleManagementPolicies/write",
  "Microsoft.Authorization/roleDefinitions/write",
  "Microsoft.Authorization/denyAssignments/delete",
  "Microsoft.Authorization/policyAssignments/write",
  "Microsoft.Authorization/policyAssignments/delete",
  "Microsoft.Authorization/policyAssignments/exempt/action",
  "Microsoft.Authorization/policyDefinitions/write",
  "Microsoft.Authorization/policySetDefinitions/write",
  "Microsoft.Authorization/policyExemptions/write",
  "Microsoft.Authorization/locks/delete",
  "Microsoft.Authorization/elevateAccess/action",
] as const;

/**
 * Operations that switch off or rewrite the audit trail, or hand out keys that bypass Entra authorisation (resource
 * provider operations, https://learn.microsoft.com/azure/role-based-access-control/resource-provider-operations). A
 * custom role granting one could erase the record of what it does (PCI DSS 10.3.2, 10.3.3) or reach data with a
 * shared key no identity is named by (7.2.2, 8.2.2).
 */
export const AUDIT_AND_KEY_OPERATIONS = [
  "Microsoft.Insights/diagnosticSettings/write",
  "Microsoft.Insights/diagnosticSettings/delete",
  "Microsoft.Sql/servers/auditingSettings/write",
  "Microsoft.Sql/servers/extendedAuditingSettings/write",
  "Microsoft.Sql/servers/databases/auditingSettings/write",
  "Microsoft.Sql/servers/databases/extendedAuditingSettings/write",
  "Microsoft.Sql/servers/databases/transparentDataEncryption/write",
  "Microsoft.OperationalInsights/workspaces/purge/action",
  "Microsoft.OperationalInsights/workspaces/sharedKeys/action",
  "Microsoft.OperationalInsights/workspaces/delete",
  "Microsoft.Network/networkWatchers/flowLogs/delete",
  "Microsoft.Storage/storageAccounts/listKeys/action",
  "Microsoft.Storage/storageAccounts/regeneratekey/action",
  "Microsoft.DocumentDB/databaseAccounts/listKeys/action",
  "Microsoft.EventHub/namespaces/authorizationRules/listkeys/action",
  "Microsoft.EventHub/namespaces/eventhubs/authorizationRules/listkeys/action",
  "Microsoft.Storage/storageAccounts/listAccountSas/action",
  "Microsoft.Storage/storageAccounts/listServiceSas/action",
  "Microsoft.DocumentDB/databaseAccounts/readonlykeys/action",
  "Microsoft.DocumentDB/databaseAccounts/regenerateKey/action",
  "Microsoft.Synapse/workspaces/extendedAuditingSettings/write",
  "Microsoft.Synapse/workspaces/sqlPools/transparentDataEncryption/write",
] as const;

/** The operations a permission's `actions` grant among `operations`, once its `notActions` are taken away. */
export function grantedOperations(
  actions: readonly string[],
  notActions: readonly string[],
  operations: readonly string[],
): string[] {
  return operations.filter((op) => actions.some((a) => globMatch(a, op)) && !notActions.some((n) => globMatch(n, op)));
}

/** Patterns that start with a wildcard: they act on every resource provider, not one provider's resources. */ export function providerWide(
  pattern: string,
): boolean {
  return pattern.trim().startsWith("*");
}

export const roleDefinitionPrivileged = resourcePolicy<authorization.RoleDefinitionArgs>(
  {
    name: "azure-native-authorization-roledefinition-disallow-privileged-actions",
    description:
      "Custom roles cannot manage access (assign or define roles, delete locks, change policy assignments or exemptions, elevate access), cannot change the audit trail or list keys (diagnostic settings, SQL auditing and TDE, workspace purge and shared keys, flow log deletion, storage, Cosmos DB and Event Hubs keys), do not grant actions across every resource provider (a leading wildcard), and name their data actions one by one (no wildcard).",
    severity: "high",
    pci: ["7.2.1", "7.2.2"],
    gdpr: ["25", "32(4)"],
    soc2: ["CC6.3"],
    service: "authorization",
    remediationSteps:
      "List the provider's operations the role needs in `permissions[*].actions` (e.g. `Microsoft.Synapse/workspaces/sqlPools/pause/action`), without `Microsoft.Authorization/*` writes or the audit and key operations (AUDIT_AND_KEY_OPERATIONS); add them to `notActions` if a provider-level wildcard is kept; name data actions one by one.",
    url: `${DOCS}/custom-roles#custom-role-properties`,
  },
  ROLE_DEFINITION,
  (props, args, report) => {
    requireKnown(props, "permissions");
    const permissions = valueAt(props, "permissions");
    if (!Array.isArray(permissions) || permissions.length === 0) args.notApplicable("the role grants no permissions");
    for (const permission of permissions as unknown[]) {
      for (const key of ["actions", "notActions", "dataActions"]) requireKnown(permission, key);
      const actions = stringsAt(permission, "actions");
      const escalation = grantedOperations(actions, stringsAt(permission, "notActions"), ACCESS_MANAGEMENT_OPERATIONS);
      if (escalation.length > 0) {
        report(
          `${who(args)} can manage access (${escalation.join(", ")}): remove it from actions or add it to notActions.`,
        );
      }
      const tampering = grantedOperations(actions, stringsAt(permission, "notActions"), AUDIT_AND_KEY_OPERATIONS);
      if (tampering.length > 0) {
        report(
          `${who(args)} can change the audit trail or list keys (${tampering.join(", ")}): remove it from actions or add it to notActions.`,
        );
      }
      const wide = actions.filter(providerWide);
      if (wide.length > 0) {
        report(
          `${who(args)} grants ${wide.map((w) => `'${w}'`).join(", ")} across every resource provider: name the provider's operations the role needs.`,
        );
      }
      // Data actions read and write the data itself (blobs, secrets, keys, messages): each one by name.
      const dataWildcards = stringsAt(permission, "dataActions").filter((d) => d.includes("*"));
      if (dataWildcards.length > 0) {
        report(
          `${who(args)} grants data actions by wildcard (${dataWildcards.map((w) => `'${w}'`).join(", ")}): name each data action the role needs.`,
        );
      }
    }
  },
);

export const authorizationPolicies: Policies = [
  roleAssignmentPrivileged,
  roleAssignmentBroadScope,
  roleDefinitionPrivileged,
];
