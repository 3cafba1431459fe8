/**
 * A workload's user-assigned managed identity (AVM's `managedIdentities`, the user-assigned kind), written once for
 * every tier. In prod it is protected (`protect`) and locked (`CanNotDelete`): an identity deleted and re-created under
 * the same name is another principal, and what was bound to the old one does not follow. A SQL database user is
 * created FROM EXTERNAL PROVIDER with the old client id; a site, a gateway or a workspace keeps referencing the deleted
 * identity until it is sent again (an Application Gateway that cannot read its Key Vault certificate disables the
 * listener: application-gateway/key-vault-certs, "Verify permissions to Key Vault"); role assignments name the old
 * principal. The customer-managed key identities (cmk.ts) are protected and locked for the same reason.
 */
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as pulumi from "@pulumi/pulumi";
import type { ManagedIdentity, Tags } from "./interfaces";
import { lockFor, managementLock } from "./protection";

export interface WorkloadIdentityArgs {
  /** The identity's Azure name (`id-…`). */
  readonly resourceName: pulumi.Input<string>;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly tags: pulumi.Input<Tags>;
  /** Prod: `protect` and a `CanNotDelete` lock. */
  readonly protect: boolean;
  /** The lock's subject ("the identity of the payment API"). */
  readonly what: string;
}

/** The identity (`name`) and, when protected, its lock (`${name}-lock`). */
export function workloadIdentity(
  name: string,
  args: WorkloadIdentityArgs,
  parent: pulumi.Resource,
): ManagedIdentity & { readonly resource: managedidentity.UserAssignedIdentity } {
  const identity = new managedidentity.UserAssignedIdentity(
    name,
    {
      resourceName: args.resourceName,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      tags: args.tags,
    },
    { parent, protect: args.protect },
  );
  managementLock(name, identity.id, lockFor(args.protect, args.what), parent, identity);
  return { id: identity.id, principalId: identity.principalId, clientId: identity.clientId, resource: identity };
}
