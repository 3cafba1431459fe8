/**
 * In protected stacks, a user-assigned identity a service reaches its customer-managed key with is protected and locked.
 */
import type { PolicyResource } from "@pulumi/policy";
import { recordedDependency, stackPolicy } from "../../lib/policy";
import { inStacks } from "../../lib/scope";
import { roleGuid, safeGet, sameText } from "../../lib/values";
import { CRYPTO_SERVICE_ENCRYPTION_USER, stackKnob } from "./shared";
import { isLocked, locksOf } from "./locks";

// ---------------------------------------------------------------------------------------------------------------
// Key identities
// ---------------------------------------------------------------------------------------------------------------

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
