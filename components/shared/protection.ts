/**
 * Protection of stateful resources in prod: Pulumi `protect` (no `pulumi destroy` or replacement without an
 * explicit unprotect) and an Azure `CanNotDelete` management lock (no deletion from the portal or CLI either).
 */
import * as authorization from "@pulumi/azure-native/authorization";
import type * as pulumi from "@pulumi/pulumi";
import type { LockSpec } from "./interfaces";

/** The lock to apply when protection is on. */
export function lockFor(protect: boolean, what: string): LockSpec {
  return protect
    ? { kind: "CanNotDelete", notes: `Protects ${what} (stateful, PCI DSS scope) from deletion. Managed by Pulumi.` }
    : { kind: "None" };
}

/** Creates `${name}-lock` on `scope` (the resource id) unless the spec is `None`. */
export function managementLock(
  name: string,
  scope: pulumi.Input<string>,
  spec: LockSpec,
  parent: pulumi.Resource,
  resource: pulumi.Resource,
  /** Left in Azure when the program drops it (a retained resource keeps its lock). */
  retainOnDelete = false,
): authorization.ManagementLockByScope | undefined {
  if (spec.kind === "None") return undefined;
  return new authorization.ManagementLockByScope(
    `${name}-lock`,
    {
      scope,
      lockName: spec.kind === "CanNotDelete" ? "do-not-delete" : "read-only",
      level: authorization.LockLevel[spec.kind],
      notes: spec.notes,
    },
    { parent, dependsOn: [resource], ...(retainOnDelete ? { retainOnDelete } : {}) },
  );
}

/** A custom definition's rule refusing DELETE of resources of `armType` in scope, and of a resource group holding one. */
export function denyDeleteRule(armType: string) {
  return {
    if: { field: "type", equals: armType },
    then: { effect: "denyAction", details: { actionNames: ["delete"], cascadeBehaviors: { resourceGroup: "deny" } } },
  } as const;
}

/** What `deleteGuard` protects and how its definition and assignment are named and described. */
export interface DeleteGuardSpec {
  /** The resource to protect; the assignment is scoped to its id and waits for it. */
  readonly resource: pulumi.CustomResource & { readonly id: pulumi.Output<string> };
  /** Its ARM type (`Microsoft.OperationalInsights/workspaces`): what the rule matches. */
  readonly armType: string;
  /** The definition's name (unique in the subscription, so named after the resource). */
  readonly definitionName: pulumi.Input<string>;
  /** The definition's display name. */
  readonly definitionDisplayName: pulumi.Input<string>;
  /** The assignment's name (unique at its scope) and display name. */
  readonly assignmentName: string;
  readonly assignmentDisplayName: string;
  /** What the definition refuses and why a lock cannot do it (its description; Pulumi's ownership is appended). */
  readonly definitionDescription: string;
  /** Why the resource cannot be locked (the assignment's description). */
  readonly why: string;
  /** The message Azure returns to a refused DELETE. */
  readonly message: string;
}

/**
 * Where a management lock cannot be used (Sentinel forbids it on its workspace; on an Azure ML workspace it would
 * refuse the release's deletion of online deployments), an Azure Policy `denyAction` assigned on the resource refuses
 * its deletion instead: "The denyAction effect is used to block requests based on intended action ... The only
 * supported action today is DELETE", returned as 403; a child's deletion is not refused ("Child resource | Parent
 * resource | Parent is protected; child is deleted"), and `cascadeBehaviors` `deny` also refuses deleting its
 * resource group, which needs an Indexed definition (governance/policy/concepts/effect-deny-action). A custom
 * definition in the subscription, assigned on the resource only. Policy assignments and locks are exempt from
 * denyAction (no lockout): removing the assignment in a reviewed change is the way to delete the resource on purpose.
 */
export function deleteGuard(
  name: string,
  spec: DeleteGuardSpec,
  parent: pulumi.Resource,
): { readonly definition: authorization.PolicyDefinition; readonly assignment: authorization.PolicyAssignment } {
  const definition = new authorization.PolicyDefinition(
    `${name}-deny-delete`,
    {
      policyDefinitionName: spec.definitionName,
      policyType: authorization.PolicyType.Custom,
      mode: "Indexed",
      displayName: spec.definitionDisplayName,
      description: `${spec.definitionDescription} Managed by Pulumi (payments-data-platform).`,
      policyRule: denyDeleteRule(spec.armType),
    },
    { parent },
  );
  const assignment = new authorization.PolicyAssignment(
    `${name}-deny-delete`,
    {
      policyAssignmentName: spec.assignmentName,
      scope: spec.resource.id,
      policyDefinitionId: definition.id,
      displayName: spec.assignmentDisplayName,
      description: spec.why,
      enforcementMode: authorization.EnforcementMode.Default,
      nonComplianceMessages: [{ message: spec.message }],
    },
    { parent, dependsOn: [spec.resource] },
  );
  return { definition, assignment };
}
