/**
 * Customer-managed key: a Key Vault key (RSA-HSM in prod, RSA >= 3072 bits) with a rotation policy and expiry,
 * the user-assigned identity a service uses to reach it, and the role assignment that lets that identity wrap
 * and unwrap with this key only (scope = the key, not the vault).
 */
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import { KEY_EXPIRY_NOTICE_DAYS } from "../../lib/config";
import type { CustomerManagedKey, ServiceKey, Tags } from "./interfaces";
import { workloadIdentity } from "./identity";
import { BuiltInRoles, roleAssignment } from "./rbac";
import type { Serial } from "./serial";

export interface KeyPolicy {
  /** RSA-HSM (premium vault) instead of software-protected RSA. */
  readonly hsm: boolean;
  readonly keySize: 3072;
  /** Rotate this many days after creation of each version. */
  readonly rotationDays: number;
  /** Each version expires this many days after creation. */
  readonly expiryDays: number;
}

export interface CustomerManagedKeyArgs {
  readonly vault: {
    readonly name: pulumi.Input<string>;
    readonly id: pulumi.Input<string>;
    readonly uri: pulumi.Output<string>;
    /** The vault resource: its keys go with it (deletedWith). */
    readonly resource: pulumi.Resource;
    /** The vault's writes, one at a time: the key joins them (VaultKeyArgs.writes). */
    readonly writes: Serial;
  };
  /** Key name in the vault (e.g. `cmk-sql`). */
  readonly keyName: string;
  /** Azure name of the identity (e.g. `id-pay-prod-weu-sql`). */
  readonly identityName: string;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly policy: KeyPolicy;
  readonly tags: Tags;
  /**
   * Prod: the key is protected (`protect`) and kept in the vault if the program ever drops it (`retainOnDelete`). A
   * service reads its key at creation and some never take another (Data Factory), so a renamed key or a service moved
   * to another vault must not delete the key it still encrypts with (docs/operations.md, "Keys"). The user-assigned
   * identity that reaches the key is protected too, with a `CanNotDelete` lock (customerManagedKey).
   */
  readonly protect?: boolean;
}

/**
 * Azure RBAC role assignment changes can take up to 10 minutes to take effect (Azure RBAC troubleshooting,
 * https://learn.microsoft.com/azure/role-based-access-control/troubleshooting),
 * and SQL and Cosmos DB check key access once, at creation, without retrying: services wait this long after the
 * grant (on the first deployment only; docs/operations.md says what to do if a create still fails).
 */
export const RBAC_PROPAGATION_DELAY = "10m";

/**
 * Waits RBAC_PROPAGATION_DELAY after `grant` is created (`name` is the wait's logical name): a service that checks
 * its access once, when it is created, depends on this instead of on the role assignment.
 */
export function grantPropagation(
  name: string,
  grant: pulumi.Resource & { id: pulumi.Output<string> },
  parent: pulumi.Resource,
): time.Sleep {
  return new time.Sleep(name, { createDuration: RBAC_PROPAGATION_DELAY, triggers: { grant: grant.id } }, { parent });
}

/** `grantPropagation` for several grants at once: one wait after all of them (created again if any is replaced). */
export function grantsPropagation(
  name: string,
  grants: readonly (pulumi.Resource & { id: pulumi.Output<string> })[],
  parent: pulumi.Resource,
): time.Sleep {
  return new time.Sleep(
    name,
    {
      createDuration: RBAC_PROPAGATION_DELAY,
      triggers: { grants: pulumi.all(grants.map((g) => g.id)).apply((ids) => ids.join(",")) },
    },
    { parent },
  );
}

/** Rotation policy: rotate at `rotationDays`, notify 30 days before expiry, new versions expire after `expiryDays`. */
export function rotationPolicy(policy: KeyPolicy) {
  return {
    attributes: { expiryTime: `P${policy.expiryDays}D` },
    lifetimeActions: [
      {
        action: { type: keyvault.KeyRotationPolicyActionType.Rotate },
        trigger: { timeAfterCreate: `P${policy.rotationDays}D` },
      },
      {
        action: { type: keyvault.KeyRotationPolicyActionType.Notify },
        trigger: { timeBeforeExpiry: `P${KEY_EXPIRY_NOTICE_DAYS}D` },
      },
    ],
  };
}

/** Expiry (Unix seconds) of the first key version, on a day boundary; later versions follow the rotation policy. */
export function initialExpiry(expiryDays: number, now: Date = new Date()): number {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.floor(day / 1000) + expiryDays * 86400;
}

export interface VaultKeyArgs {
  readonly vaultName: pulumi.Input<string>;
  /**
   * The vault resource. The key is deleted with it: azure-native deletes a key through the vault's data plane (ARM
   * has no key DELETE: pulumi-azure-native custom_keyvault.go), which a private vault refuses from outside its
   * network, so a `pulumi destroy` would fail on the keys; the vault's own deletion soft-deletes them.
   */
  readonly vault: pulumi.Resource;
  /**
   * The vault's writes (components/platform/keyVaults.ts `PlatformVault.writes`): the key is created after every
   * earlier write to the vault and deleted before them. Key Vault refuses two overlapping operations on one vault
   * (409 ConflictError), which azure-native does not retry (the evidence is on `PlatformVault.writes`).
   */
  readonly writes: Serial;
  readonly keyName: string;
  /** The vault's resource group. */
  readonly resourceGroupName: pulumi.Input<string>;
  readonly policy: KeyPolicy;
  /** What the key may do (wrap/unwrap for a service's CMK; also sign/verify for an Always Encrypted master key). */
  readonly keyOps: readonly keyvault.JsonWebKeyOperation[];
  readonly tags: Tags;
  /** Prod: protected, and kept in the vault when the program drops it (CustomerManagedKeyArgs.protect). */
  readonly protect?: boolean;
}

/**
 * An RSA key (RSA-HSM when `policy.hsm`) with an expiry and the rotation policy, named `name`. ARM creates keys but
 * does not update them (Keys_CreateIfNotExist): a later change to keyOps, the rotation policy or tags is reported
 * as applied yet not made; change those through the data plane (docs/operations.md).
 */
export function vaultKey(name: string, args: VaultKeyArgs, parent: pulumi.Resource): keyvault.Key {
  return args.writes.next(
    (dependsOn) =>
      new keyvault.Key(
        name,
        {
          keyName: args.keyName,
          vaultName: args.vaultName,
          resourceGroupName: args.resourceGroupName,
          properties: {
            kty: args.policy.hsm ? keyvault.JsonWebKeyType.RSA_HSM : keyvault.JsonWebKeyType.RSA,
            keySize: args.policy.keySize,
            keyOps: [...args.keyOps],
            attributes: { enabled: true, expires: initialExpiry(args.policy.expiryDays) },
            rotationPolicy: rotationPolicy(args.policy),
          },
          tags: args.tags,
        },
        // The first version's expiry is set once; the rotation policy renews it, so later runs must not fight it.
        {
          parent,
          dependsOn,
          ignoreChanges: ["properties.attributes.expires"],
          deletedWith: args.vault,
          protect: args.protect,
          retainOnDelete: args.protect,
        },
      ),
  );
}

/** Creates `${name}-id`, `${name}-key` and the key-scoped role assignment, children of `parent`. */
export function customerManagedKey(
  name: string,
  args: CustomerManagedKeyArgs,
  parent: pulumi.Resource,
): CustomerManagedKey & {
  readonly key: keyvault.Key;
  readonly identityResource: managedidentity.UserAssignedIdentity;
} {
  // The service's only way to its key: deleting the identity makes SQL's TDE protector inaccessible, and after 30
  // minutes the server loses its failover group configuration and point-in-time-restore history ("Inaccessible TDE
  // protector", transparent-data-encryption-byok-overview); Cosmos DB's restore needs the same identity declared
  // (how-to-setup-cmk). A re-created identity of the same name is another principal. So prod protects and locks it.
  const identity = workloadIdentity(
    `${name}-id`,
    {
      resourceName: args.identityName,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      tags: args.tags,
      protect: args.protect === true,
      what: `the identity ${args.identityName} uses to reach its customer-managed key`,
    },
    parent,
  );
  const { key, ...handles } = serviceKey(name, args, parent);
  const grant = roleAssignment(
    name,
    key.id,
    {
      key: "crypto-user",
      principalId: identity.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: BuiltInRoles.KeyVaultCryptoServiceEncryptionUser,
      description: `Lets ${args.identityName} wrap/unwrap with ${args.keyName} (customer-managed key).`,
    },
    parent,
  );
  const accessGrant = grantPropagation(`${name}-grant-propagation`, grant, parent);
  return {
    ...handles,
    key,
    identityResource: identity.resource,
    identity: { id: identity.id, principalId: identity.principalId, clientId: identity.clientId },
    accessGrant,
  };
}

const keyHandles = (key: keyvault.Key, vault: CustomerManagedKeyArgs["vault"]): ServiceKey => ({
  keyVaultId: pulumi.output(vault.id),
  keyVaultUri: vault.uri,
  keyId: key.id,
  keyName: key.name,
  keyUri: key.keyUri,
  keyUriWithVersion: key.keyUriWithVersion,
});

/**
 * A customer-managed key without a user-assigned identity (`${name}-key`): for a service that reaches its key with
 * its own system-assigned identity, which the tier grants on `keyId` after creating the resource.
 */
export function serviceKey(
  name: string,
  args: Omit<CustomerManagedKeyArgs, "identityName">,
  parent: pulumi.Resource,
): ServiceKey & { readonly key: keyvault.Key } {
  const key = vaultKey(
    `${name}-key`,
    {
      vaultName: args.vault.name,
      vault: args.vault.resource,
      writes: args.vault.writes,
      keyName: args.keyName,
      resourceGroupName: args.resourceGroupName,
      policy: args.policy,
      keyOps: [keyvault.JsonWebKeyOperation.WrapKey, keyvault.JsonWebKeyOperation.UnwrapKey],
      tags: args.tags,
      protect: args.protect,
    },
    parent,
  );
  return { ...keyHandles(key, args.vault), key };
}
