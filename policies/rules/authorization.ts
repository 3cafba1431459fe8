/**
 * Azure RBAC the stack grants (PCI DSS 7.2.1, 7.2.2, 7.2.5; GDPR Art. 25 and 32(4)): no role that manages access
 * (Owner, User Access Administrator, Role Based Access Control Administrator) and no Contributor over a resource group
 * or wider, and no custom role that can grant roles, lift locks or policies, or acts on every resource provider.
 * Least privilege means an identity's roles are named data or resource roles on the resources it uses.
 */
import type * as authorization from "@pulumi/azure-native/authorization";
import type { Policies } from "@pulumi/policy";
import { resourcePolicy, stringListKnob } from "../lib/policy";
import { globMatch, presence, requireKnown, show, stringsAt, valueAt, who } from "../lib/values";

const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
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
};
export const CONTRIBUTOR_ROLE = "b24988ac-6180-42a0-ab88-20f7382dd24c";

/** The scope kind of an ARM scope string: a single resource, a resource group, or wider (subscription and up). */
export function scopeKind(scope: string): "resource" | "resourceGroup" | "subscriptionOrWider" {
  const path = scope.replace(/\/+$/, "");
  if (/\/providers\/Microsoft\.Management\/managementGroups\/[^/]+$/i.test(path)) return "subscriptionOrWider";
  if (path === "" || /^\/subscriptions\/[^/]+$/i.test(path)) return "subscriptionOrWider";
  if (/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+$/i.test(path)) return "resourceGroup";
  return "resource";
}

/** The role definition's GUID from `/subscriptions/…/providers/Microsoft.Authorization/roleDefinitions/<guid>`. */
function roleGuid(roleDefinitionId: string): string {
  return (roleDefinitionId.split("/").pop() ?? "").toLowerCase();
}

export const roleAssignmentPrivileged = resourcePolicy<authorization.RoleAssignmentArgs>(
  {
    name: "azure-native-authorization-roleassignment-disallow-privileged-role",
    description:
      "The stack assigns no role that manages access (Owner, User Access Administrator, Role Based Access Control Administrator) at any scope, and no Contributor on a resource group, subscription or management group: identities get named roles on the resources they use.",
    severity: "high",
    pci: ["7.2.1", "7.2.2", "7.2.5"],
    gdpr: ["25", "32(4)"],
    soc2: ["CC6.1", "CC6.3"],
    service: "authorization",
    remediationSteps:
      "Assign the narrowest built-in role that covers the job (e.g. Storage Blob Data Reader, Key Vault Crypto Service Encryption User) on the resource itself; Contributor only on a single resource Microsoft requires it for. Access management stays with the platform team's privileged (PIM) assignments outside the stack; a reviewed exception gets a dated exemption.",
    url: `${DOCS}/best-practices#limit-privileged-administrator-role-assignments`,
    config: {
      broadScopeRoleIds: stringListKnob(
        "Role definition GUIDs allowed on a single resource but not on a resource group or wider (default: Contributor).",
        [CONTRIBUTOR_ROLE],
      ),
    },
  },
  ROLE_ASSIGNMENT,
  (props, args, report) => {
    const { broadScopeRoleIds } = args.getConfig<{ broadScopeRoleIds: string[] }>();
    // A built-in role's id is a constant the program writes; an id unknown during preview is another resource's output:
    // a custom role the stack defines, which `…-roledefinition-disallow-privileged-actions` checks.
    if (presence(props, "roleDefinitionId") === "unknown") {
      args.notApplicable("the role is another resource's output (a custom role, checked by its definition's rule)");
    }
    const role = roleGuid(String(valueAt(props, "roleDefinitionId") ?? ""));
    const privileged = PRIVILEGED_ROLES[role];
    if (privileged) {
      report(
        `${who(args)} assigns ${privileged} (${role}), which manages access (grants any role, including itself): assign a named role on the resource instead.`,
      );
      return;
    }
    if (!broadScopeRoleIds.some((id) => id.toLowerCase() === role)) return;
    // The scope of a role over a resource the stack creates is that resource's id, unknown in a first preview; a
    // subscription, management group or resource group scope the stack does not create is known. Unknown = a resource.
    if (presence(props, "scope") === "unknown") return;
    const scope = String(valueAt(props, "scope") ?? "");
    const kind = scopeKind(scope);
    if (kind !== "resource") {
      report(
        `${who(args)} assigns Contributor-level role ${role} on ${kind === "resourceGroup" ? "a resource group" : "a subscription or wider"} (${show(scope)}): assign it on the single resource that needs it, or a narrower role.`,
      );
    }
  },
);

/** Operations that change who can do what, or lift the guards around it: a custom role holding one can escalate. */
export const ACCESS_MANAGEMENT_OPERATIONS = [
  "Microsoft.Authorization/roleAssignments/write",
  "Microsoft.Authorization/roleAssignments/delete",
  "Microsoft.Authorization/roleDefinitions/write",
  "Microsoft.Authorization/denyAssignments/delete",
  "Microsoft.Authorization/policyAssignments/write",
  "Microsoft.Authorization/policyAssignments/delete",
  "Microsoft.Authorization/policyExemptions/write",
  "Microsoft.Authorization/locks/delete",
  "Microsoft.Authorization/elevateAccess/action",
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
      "Custom roles cannot manage access (assign or define roles, delete locks, change policy assignments or exemptions, elevate access) and do not grant actions or data actions across every resource provider (a leading wildcard).",
    severity: "high",
    pci: ["7.2.1", "7.2.2"],
    gdpr: ["25", "32(4)"],
    soc2: ["CC6.3"],
    service: "authorization",
    remediationSteps:
      "List the provider's operations the role needs in `permissions[*].actions` (e.g. `Microsoft.Synapse/workspaces/sqlPools/pause/action`), without `Microsoft.Authorization/*` writes; add them to `notActions` if a provider-level wildcard is kept; name data actions one by one.",
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
      const wide = [...actions, ...stringsAt(permission, "dataActions")].filter(providerWide);
      if (wide.length > 0) {
        report(
          `${who(args)} grants ${wide.map((w) => `'${w}'`).join(", ")} across every resource provider: name the provider's operations the role needs.`,
        );
      }
    }
  },
);

export const authorizationPolicies: Policies = [roleAssignmentPrivileged, roleDefinitionPrivileged];
