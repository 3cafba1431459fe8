/**
 * The platform's keys: the three vaults (components/platform/keyVaults.ts), one customer-managed key and identity per
 * service, and the OLTP database's Always Encrypted column master key.
 */
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as pulumi from "@pulumi/pulumi";
import { kebabCase } from "../../lib/naming";
import {
  customerManagedKey,
  serviceKey,
  vaultKey,
  type CustomerManagedKey,
  type Serial,
  type CustomerManagedKeyArgs,
  type ServiceKey,
  type DiagnosticSettingsTarget,
  type PrivateEndpointTarget,
  type StackContext,
  type Tags,
} from "../shared";
import { platformVault, type PlatformVault } from "./keyVaults";

/** Services that get a customer-managed key (one key and one identity each, least privilege). */
export const CMK_SERVICES = ["sql", "cosmos", "synapse", "dataFactory", "storage", "eventHubs", "ml"] as const;
export type CmkService = (typeof CMK_SERVICES)[number];
/**
 * Keys their services reach as trusted Azure services, which therefore live in vaults that admit them (not
 * private-only): Cosmos DB's and Event Hubs' in the trusted-services vault, the ML workspace's in its own.
 */
// Event Hubs wraps its keys from the service, not from the VNet: it reaches a firewalled vault only as a trusted
// service (Key Vault's trusted services list: "Azure Event Hubs ... customer-managed keys scenario").
export const TRUSTED_SERVICES_KEYS: readonly CmkService[] = ["cosmos", "ml", "eventHubs"];
/**
 * Keys with a trusted-services vault of their own: Azure ML asks a user-assigned workspace identity for the
 * Contributor role on the vault of its key (how-to-setup-customer-managed-keys), which on a shared vault would let it
 * change the network rules the Cosmos DB and Event Hubs keys depend on.
 */
export const OWN_VAULT_KEYS = ["ml"] as const satisfies readonly CmkService[];
/**
 * Keys a service reaches with its own system-assigned identity, so the platform creates no user-assigned identity
 * for them: Synapse, because "A User-assigned Managed Identity cannot be configured to access customer-managed key
 * when Azure Key Vault is behind a firewall" (MicrosoftDocs/azure-docs articles/synapse-analytics/security/
 * workspaces-encryption.md). The OLAP tier grants the workspace's identity on the key and activates the workspace.
 */
export const SYSTEM_IDENTITY_KEYS = ["synapse"] as const satisfies readonly CmkService[];

/** The Always Encrypted column master key's name (OLTP; `alwaysEncryptedColumnMasterKey`). */
export const ALWAYS_ENCRYPTED_KEY_NAME = "ae-cmk-oltp";

/**
 * Keys whose consumer stays on the version it was given when the rotation policy adds one, so each rotation needs a
 * step by hand before the old version expires (docs/runbook.md#key-rotated): Synapse ("Azure Synapse Analytics does not
 * automatically re-encrypt data when new key versions are created", learn.microsoft.com/azure/synapse-analytics/
 * security/workspaces-encryption), the Always Encrypted column master key (its metadata names a version), and Data
 * Factory until the first deploy settles whether its versionless key follows (Microsoft's CMK page asks to update the
 * factory to each new version; docs/operations.md). All three are in the private (main) vault.
 */
export const MANUAL_ROTATION_KEYS = [
  `cmk-${kebabCase("synapse" satisfies CmkService)}`,
  `cmk-${kebabCase("dataFactory" satisfies CmkService)}`,
  ALWAYS_ENCRYPTED_KEY_NAME,
] as const;
type SystemIdentityKey = (typeof SYSTEM_IDENTITY_KEYS)[number];
/** The platform's keys: a bare key for SYSTEM_IDENTITY_KEYS, a key with its user-assigned identity otherwise. */
export type ServiceKeys = {
  readonly [S in CmkService]: S extends SystemIdentityKey ? ServiceKey : CustomerManagedKey;
};

export interface KeysArgs {
  readonly context: StackContext;
  /** The platform's security resource group. */
  readonly resourceGroupName: pulumi.Input<string>;
  readonly tags: Tags;
}

/**
 * The main vault (private endpoint only), Cosmos DB's and the ML workspace's (trusted Azure services admitted), Key
 * Vault administrators the platform admins group.
 */
export function platformVaults(
  name: string,
  args: KeysArgs & {
    readonly tenantId: pulumi.Input<string>;
    readonly suffix: pulumi.Output<string>;
    readonly privateEndpoints: PrivateEndpointTarget;
    readonly diagnostics: DiagnosticSettingsTarget;
    readonly adminGroupId: pulumi.Input<string>;
  },
  parent: pulumi.Resource,
): { readonly main: PlatformVault; readonly cosmos: PlatformVault; readonly ml: PlatformVault } {
  const { context } = args;
  const cfg = context.config;
  // Key vaults (keyVaults.ts): the main vault is reachable only through its private endpoint; the keys reached as
  // trusted Azure services (TRUSTED_SERVICES_KEYS: Cosmos DB's and Event Hubs') are in a vault whose firewall also
  // admits them, as neither service can use a vault that only private endpoints reach; the ML workspace's key has a
  // vault of its own. Every other key stays in the private vault.
  const vaultArgs = {
    resourceGroupName: args.resourceGroupName,
    location: cfg.location,
    tenantId: args.tenantId,
    premium: cfg.keyVaultSku === "premium",
    protect: cfg.protectStatefulResources,
    privateEndpoints: args.privateEndpoints,
    diagnostics: args.diagnostics,
    adminGroupId: args.adminGroupId,
    tags: args.tags,
    // The three hold the program's keys (HSM-backed with hsmKeys): a move to standard is checked against them.
    holdsKeys: true,
  };
  const mainVault = platformVault(
    `${name}-kv`,
    {
      ...vaultArgs,
      vaultName: context.globalName("keyVault", args.suffix),
      network: "privateEndpointOnly",
      purpose: "the key vault holding the customer-managed keys",
    },
    parent,
  );
  const cosmosVault = platformVault(
    `${name}-kv-cosmos`,
    {
      ...vaultArgs,
      vaultName: context.globalName("cosmosKeyVault", args.suffix),
      network: "trustedServices",
      purpose: "the key vault holding the keys reached as trusted services (Cosmos DB, Event Hubs)",
    },
    parent,
  );
  // The ML workspace's key: reached as a trusted service like Cosmos DB's (its metadata sits in a Microsoft-managed
  // Cosmos DB account), in a vault of its own, where the workspace identity holds what Microsoft asks (OWN_VAULT_KEYS).
  const mlVault = platformVault(
    `${name}-kv-ml`,
    {
      ...vaultArgs,
      vaultName: context.globalName("mlKeyVault", args.suffix),
      network: "trustedServices",
      purpose: "the key vault holding the ML workspace's customer-managed key",
    },
    parent,
  );
  return { main: mainVault, cosmos: cosmosVault, ml: mlVault };
}

/**
 * One customer-managed key and identity per service, in the vault its service can reach. The keys of one vault join
 * its writes (`PlatformVault.writes`) in CMK_SERVICES order, one at a time.
 */
export function serviceKeys(
  name: string,
  args: KeysArgs & {
    readonly vaults: {
      readonly main: CustomerManagedKeyArgs["vault"];
      readonly cosmos: CustomerManagedKeyArgs["vault"];
      readonly ml: CustomerManagedKeyArgs["vault"];
    };
  },
  parent: pulumi.Resource,
): ServiceKeys {
  const { context } = args;
  const cfg = context.config;
  const location = cfg.location;
  const keys: Partial<Record<CmkService, ServiceKey>> = {};
  for (const service of CMK_SERVICES) {
    const kebab = kebabCase(service);
    const make = (SYSTEM_IDENTITY_KEYS as readonly CmkService[]).includes(service) ? serviceKey : customerManagedKey;
    keys[service] = make(
      `${name}-cmk-${kebab}`,
      {
        // Cosmos DB reads its key over the vault's firewall (trusted services), and so does Azure ML's: without
        // service-side encryption, the workspace metadata lives in a Microsoft-managed Cosmos DB account encrypted
        // with cmk-ml (docs/ml-operations.md).
        vault: (OWN_VAULT_KEYS as readonly CmkService[]).includes(service)
          ? args.vaults.ml
          : TRUSTED_SERVICES_KEYS.includes(service)
            ? args.vaults.cosmos
            : args.vaults.main,
        keyName: `cmk-${kebab}`,
        identityName: context.name("userAssignedIdentity", `cmk-${kebab}`),
        resourceGroupName: args.resourceGroupName,
        location,
        policy: {
          hsm: cfg.hsmKeys,
          keySize: cfg.cmkKeySize,
          rotationDays: cfg.keyRotationDays,
          expiryDays: cfg.keyExpiryDays,
        },
        tags: args.tags,
        protect: cfg.protectStatefulResources,
      },
      parent,
    );
  }
  return keys as ServiceKeys;
}

/**
 * The Always Encrypted column master key (OLTP): in the private vault, RSA-HSM in prod. SQL never sees it: clients
 * (the apps, the ETL identity, the key provisioning script) wrap and unwrap the column encryption keys with it and
 * sign/verify the key metadata. The T-SQL `CREATE COLUMN MASTER KEY` names its versioned URI (stack output
 * `alwaysEncryptedColumnMasterKeyId`). No service identity is granted here: readers get Key Vault Crypto User on
 * this key (get, unwrapKey, verify), provisioners Key Vault Crypto Officer (docs/operations.md).
 */
export function alwaysEncryptedColumnMasterKey(
  name: string,
  args: KeysArgs & {
    readonly vaultName: pulumi.Input<string>;
    readonly vault: pulumi.Resource;
    /** The vault's writes (PlatformVault.writes): the key joins them. */
    readonly writes: Serial;
  },
  parent: pulumi.Resource,
): ReturnType<typeof vaultKey> {
  const cfg = args.context.config;
  const aeKey = vaultKey(
    `${name}-ae-cmk`,
    {
      vaultName: args.vaultName,
      vault: args.vault,
      writes: args.writes,
      keyName: ALWAYS_ENCRYPTED_KEY_NAME,
      resourceGroupName: args.resourceGroupName,
      policy: {
        hsm: cfg.hsmKeys,
        keySize: cfg.cmkKeySize,
        rotationDays: cfg.keyRotationDays,
        expiryDays: cfg.keyExpiryDays,
      },
      keyOps: [
        keyvault.JsonWebKeyOperation.WrapKey,
        keyvault.JsonWebKeyOperation.UnwrapKey,
        keyvault.JsonWebKeyOperation.Sign,
        keyvault.JsonWebKeyOperation.Verify,
      ],
      tags: args.tags,
      // The column encryption keys are wrapped with it: losing it loses the encrypted columns.
      protect: cfg.protectStatefulResources,
    },
    parent,
  );
  return aeKey;
}
