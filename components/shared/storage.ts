/**
 * The platform's storage account, hardened once for every tier that needs one (the lake, the ML workspace's default
 * storage, every function app's host storage, the Stream Analytics job storage): Entra ID only (no account keys,
 * SAS or local users, OAuth by default in the portal), HTTPS and TLS 1.2, no anonymous blobs, no cross-tenant
 * replication, infrastructure encryption plus the service's customer-managed key (versionless: Storage follows each
 * version the rotation policy creates), and a firewall that denies by default with public network access disabled.
 *
 * The one exception a caller may ask for is a list of resource instances (a multi-tenant service's managed identity,
 * e.g. a Stream Analytics job): a resource instance rule filters the public endpoint, so it needs public network
 * access Enabled with default action Deny (learn.microsoft.com/azure/storage/common/storage-network-security-resource-instances).
 */
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import type { CustomerManagedKey, Tags } from "./interfaces";

export type StorageService = "blob" | "file" | "queue" | "table";

export interface HardenedStorageArgs {
  /** Azure name (globally unique, 3–24 lower-case letters and digits). */
  readonly accountName: pulumi.Input<string>;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly sku: pulumi.Input<string>;
  /** The account's default access tier (append blobs take it; default Hot). */
  readonly accessTier?: storage.AccessTier;
  /** ADLS Gen2 (create-only). */
  readonly hierarchicalNamespace?: boolean;
  /**
   * The customer-managed key and its identity; absent only where a caller deliberately uses Microsoft-managed keys
   * (the shared function hosting's optional key).
   */
  readonly customerManagedKey?: CustomerManagedKey;
  /**
   * Who passes the firewall besides private endpoints: trusted Azure services (`AzureServices`, only where Microsoft
   * requires it), and resource instances by id (which opens the public endpoint to them alone).
   */
  readonly firewall?: {
    readonly bypass?: storage.Bypass;
    readonly resourceInstances?: readonly {
      readonly tenantId: pulumi.Input<string>;
      readonly resourceId: pulumi.Input<string>;
    }[];
  };
  /** Server-side copies only from accounts in this scope (e.g. `PrivateLink`). */
  readonly allowedCopyScope?: storage.AllowedCopyScope;
  readonly protect?: boolean;
  /** Pulumi never deletes the account: dropping it from the program (or `destroy`) leaves it in Azure. */
  readonly retainOnDelete?: boolean;
  readonly tags?: Tags;
  /** Resources the account waits for besides the key grant. */
  readonly dependsOn?: readonly pulumi.Resource[];
}

/** The account's inputs: pure, so tests check every setting without an engine. */
export function hardenedStorageInputs(args: HardenedStorageArgs): storage.StorageAccountArgs {
  const cmk = args.customerManagedKey;
  const instances = args.firewall?.resourceInstances ?? [];
  // Every service under the account's key, the customer-managed key: queues and tables would otherwise use a key
  // scoped to the service and managed by Microsoft, and "The scope of the encryption key cannot be changed after the
  // account is created" (https://learn.microsoft.com/azure/storage/common/account-encryption-key-create).
  const services: readonly StorageService[] = ["blob", "file", "queue", "table"];
  return {
    accountName: args.accountName,
    resourceGroupName: args.resourceGroupName,
    location: args.location,
    kind: storage.Kind.StorageV2,
    sku: { name: args.sku },
    accessTier: args.accessTier ?? storage.AccessTier.Hot,
    ...(args.hierarchicalNamespace === undefined ? {} : { isHnsEnabled: args.hierarchicalNamespace }),
    enableHttpsTrafficOnly: true,
    minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
    allowBlobPublicAccess: false,
    allowSharedKeyAccess: false,
    defaultToOAuthAuthentication: true,
    allowCrossTenantReplication: false,
    isLocalUserEnabled: false,
    isSftpEnabled: false,
    ...(args.allowedCopyScope ? { allowedCopyScope: args.allowedCopyScope } : {}),
    publicNetworkAccess: instances.length ? storage.PublicNetworkAccess.Enabled : storage.PublicNetworkAccess.Disabled,
    networkRuleSet: {
      defaultAction: storage.DefaultAction.Deny,
      bypass: args.firewall?.bypass ?? storage.Bypass.None,
      ipRules: [],
      virtualNetworkRules: [],
      ...(instances.length
        ? { resourceAccessRules: instances.map((r) => ({ tenantId: r.tenantId, resourceId: r.resourceId })) }
        : {}),
    },
    encryption: {
      requireInfrastructureEncryption: true,
      services: Object.fromEntries(services.map((s) => [s, { enabled: true, keyType: storage.KeyType.Account }])),
      ...(cmk
        ? {
            keySource: storage.KeySource.Microsoft_Keyvault,
            keyVaultProperties: { keyName: cmk.keyName, keyVaultUri: cmk.keyVaultUri },
            encryptionIdentity: { encryptionUserAssignedIdentity: cmk.identity.id },
          }
        : { keySource: storage.KeySource.Microsoft_Storage }),
    },
    ...(cmk
      ? { identity: { type: storage.IdentityType.UserAssigned, userAssignedIdentities: [cmk.identity.id] } }
      : {}),
    tags: args.tags,
  };
}

/**
 * Soft delete of an account's blobs and containers for `days`, with no permanent delete of a soft-deleted blob: the
 * blob service settings of an account that holds evidence (the SQL audit archive, the VNet's flow logs).
 */
export function blobSoftDelete(
  days: number,
): Pick<storage.BlobServicePropertiesArgs, "deleteRetentionPolicy" | "containerDeleteRetentionPolicy"> {
  return {
    deleteRetentionPolicy: { enabled: true, days, allowPermanentDelete: false },
    containerDeleteRetentionPolicy: { enabled: true, days },
  };
}

/**
 * The account, created after its identity's grant on the key: Storage checks key access once, at creation.
 */
export function hardenedStorageAccount(
  logicalName: string,
  args: HardenedStorageArgs,
  parent: pulumi.Resource,
): storage.StorageAccount {
  const cmk = args.customerManagedKey;
  return new storage.StorageAccount(logicalName, hardenedStorageInputs(args), {
    parent,
    protect: args.protect ?? false,
    ...(args.retainOnDelete ? { retainOnDelete: true } : {}),
    dependsOn: [...(cmk ? [cmk.accessGrant] : []), ...(args.dependsOn ?? [])],
  });
}
