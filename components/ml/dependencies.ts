/**
 * The workspace's associated resources, private and hardened: its default storage account, its own key vault, its
 * container registry and its workspace-based Application Insights component. Each is encrypted with the ML tier's
 * customer-managed key where the service supports it, reached only through private endpoints, and logs to the
 * central workspace.
 */
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import type { LinkToMonitorScope } from "../shared/functionApp";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { keyExpiryAlerts, platformVault } from "../platform/keyVaults";
import type { AlertRouting } from "../operations/routing";
import {
  diagnosticSetting,
  storageServiceDiagnostics,
  hardenedStorageAccount,
  managementLock,
  privateEndpoint,
  Serial,
  type CustomerManagedKey,
  type DiagnosticSettingsTarget,
  type LockSpec,
  type DataServiceArgs,
  type Tags,
} from "../shared";

/** What every dependency needs: names, where it goes, its key, diagnostics and protection. */
export interface DependencyContext extends Pick<
  DataServiceArgs,
  "context" | "suffix" | "resourceGroupName" | "privateEndpoints"
> {
  readonly name: string;
  readonly parent: pulumi.Resource;
  readonly diagnostics: DiagnosticSettingsTarget;
  readonly cmk: CustomerManagedKey;
  readonly protect: boolean;
  readonly lock: (what: string) => LockSpec;
  readonly tags: Tags;
}

export interface Dependency {
  readonly id: pulumi.Output<string>;
  readonly name: pulumi.Output<string>;
  /** The resource itself, for dependsOn. */
  readonly resource: pulumi.CustomResource;
  /**
   * The resource's own private endpoints. The workspace's managed network adds its private endpoints to the same
   * resource, and a storage account takes one connection change at a time (409 StorageAccountOperationInProgress
   * on a running operation, which the provider does not retry): the workspace waits for these.
   */
  readonly settled: readonly pulumi.Resource[];
}

/**
 * Default storage: no shared keys (the workspace uses `systemDatastoresAuthMode: identity`), no public network
 * access, no anonymous blobs, TLS 1.2, infrastructure encryption and the ML key; private endpoints for blob and file
 * (the two services Azure ML uses in the VNet; the managed network makes its own). No hierarchical namespace: the
 * workspace's default storage does not support it.
 */
export function mlStorage(d: DependencyContext): Dependency & {
  /** The account's private endpoints, on which the workspace identity reads (Reader). */
  readonly endpointIds: Readonly<Record<"blob" | "file", pulumi.Output<string>>>;
} {
  const account = hardenedStorageAccount(
    `${d.name}-st`,
    {
      accountName: d.context.globalName("storageAccount", d.suffix, "ml"),
      resourceGroupName: d.resourceGroupName,
      location: d.context.config.location,
      sku: d.context.config.isProd ? storage.SkuName.Standard_GZRS : storage.SkuName.Standard_ZRS,
      hierarchicalNamespace: false,
      customerManagedKey: d.cmk,
      // Trusted Azure services keep the bypass Microsoft asks for on a workspace's storage (how-to-managed-network,
      // "Secured associated resources").
      firewall: { bypass: storage.Bypass.AzureServices },
      protect: d.protect,
      tags: d.tags,
    },
    d.parent,
  );
  // One management operation on the account at a time (409 StorageAccountOperationInProgress otherwise): the blob
  // service settings, then each private endpoint's connection (a `Serial`: deletes one at a time too).
  const onAccount = new Serial();
  onAccount.next(
    () =>
      new storage.BlobServiceProperties(
        `${d.name}-st-blob`,
        {
          accountName: account.name,
          resourceGroupName: d.resourceGroupName,
          blobServicesName: "default",
          deleteRetentionPolicy: { enabled: true, days: 14 },
          containerDeleteRetentionPolicy: { enabled: true, days: 14 },
        },
        { parent: d.parent },
      ),
  );
  const endpointIds = {} as Record<"blob" | "file", pulumi.Output<string>>;
  for (const service of ["storageBlob", "storageFile"] as const) {
    const kind = service === "storageBlob" ? "blob" : "file";
    const endpoint = onAccount.next(
      (dependsOn) =>
        privateEndpoint(
          `${d.name}-st-${kind}`,
          {
            service,
            targetId: account.id,
            targetName: account.name,
            target: d.privateEndpoints,
            tags: d.tags,
            dependsOn,
          },
          d.parent,
        ).endpoint,
    );
    endpointIds[kind] = endpoint.id;
  }
  // Storage logs are per service (the account itself only has metrics).
  for (const service of ["blob", "file"] as const) {
    storageServiceDiagnostics(`${d.name}-st-${service}`, account.id, service, d.diagnostics, d.parent);
  }
  managementLock(`${d.name}-st`, account.id, d.lock("the ML workspace's default storage"), d.parent, account);
  return { id: account.id, name: account.name, resource: account, endpointIds, settled: onAccount.tail };
}

/**
 * The workspace's own key vault (connection secrets and the Azure Batch back end of HBI compute), built like the
 * platform's main vault (`platformVault`: RBAC, purge protection, 90-day soft delete, private endpoint only,
 * diagnostics, lock in prod, platform admins as administrators). Not the platform vault: Azure ML's identity needs
 * Key Vault Administrator on its vault (how-to-identity-based-service-authentication), which on the platform vault
 * would let it read and delete every tier's customer-managed key.
 */
export function mlKeyVault(
  d: DependencyContext,
  tenantId: pulumi.Input<string>,
  adminGroupId: pulumi.Input<string>,
  routing: AlertRouting,
): Dependency {
  const cfg = d.context.config;
  const { vault, ref, connectPrivateEndpoint, writes } = platformVault(
    `${d.name}-kv`,
    {
      vaultName: d.context.globalName("mlWorkspaceKeyVault", d.suffix),
      resourceGroupName: d.resourceGroupName,
      location: cfg.location,
      tenantId,
      premium: cfg.keyVaultSku === "premium",
      network: "privateEndpointOnly",
      purpose: "the ML workspace's key vault",
      protect: d.protect,
      privateEndpoints: d.privateEndpoints,
      diagnostics: d.diagnostics,
      adminGroupId,
      tags: d.tags,
    },
    d.parent,
  );
  // The program creates no key or secret in this vault (Azure ML writes its connection secrets there itself, once the
  // workspace exists, and the workspace waits for this endpoint): the endpoint and the expiry event subscriptions
  // below are its only writes (PlatformVault.writes).
  const vaultEndpoint = connectPrivateEndpoint();
  // Secret (and key) expiry events page the on-call action group, like the platform's vaults. Each event subscription
  // is a write to the vault, in line after the endpoint; the workspace (whose service writes secrets there) waits too.
  const { subscriptions } = keyExpiryAlerts(
    `${d.name}-kv`,
    {
      systemTopicName: d.context.name("eventGridSystemTopic", "kv-ml"),
      vaultId: vault.id,
      location: cfg.location,
      resourceGroupName: d.resourceGroupName,
      routing,
      diagnostics: d.diagnostics,
      writes,
      tags: d.tags,
    },
    d.parent,
  );
  return { id: ref.id, name: ref.name, resource: vault, settled: [vaultEndpoint, ...subscriptions] };
}

/**
 * Container registry for training and scoring images: Premium (private endpoints, retention), admin user and
 * anonymous pull off, no public network access, no export. Images are built on the training cluster (the
 * workspace's `imageBuildCompute`): ACR Tasks cannot reach a registry behind a private endpoint.
 *
 * Encrypted at rest with Microsoft-managed keys, not `cmk-ml`: a registry's customer-managed key is set at creation
 * with a user-assigned identity, and "an Azure container registry can only bypass the firewall when using its
 * system-managed identity" (azure-docs articles/container-registry/container-registry-customer-managed-keys.md,
 * "Advanced scenario: Key Vault firewall"). Every platform vault denies public networks, so the create would fail;
 * Microsoft's workaround is a temporary vault outside the firewall, which this platform does not open. The registry
 * holds images (code and model files), no cardholder or personal data (docs/ml-operations.md).
 */
export function mlRegistry(d: DependencyContext): Dependency {
  const cfg = d.context.config;
  const registry = new containerregistry.Registry(
    `${d.name}-cr`,
    {
      registryName: d.context.globalName("containerRegistry", d.suffix),
      resourceGroupName: d.resourceGroupName,
      location: cfg.location,
      sku: { name: containerregistry.SkuName.Premium },
      adminUserEnabled: false,
      anonymousPullEnabled: false,
      publicNetworkAccess: containerregistry.PublicNetworkAccess.Disabled,
      networkRuleSet: { defaultAction: containerregistry.DefaultAction.Deny, ipRules: [] },
      // Trusted Azure services (Azure ML among them) keep the bypass Microsoft asks for (how-to-managed-network).
      networkRuleBypassOptions: containerregistry.NetworkRuleBypassOptions.AzureServices,
      zoneRedundancy: cfg.isProd ? containerregistry.ZoneRedundancy.Enabled : containerregistry.ZoneRedundancy.Disabled,
      encryption: { status: containerregistry.EncryptionStatus.Disabled },
      policies: {
        exportPolicy: { status: containerregistry.ExportPolicyStatus.Disabled },
        retentionPolicy: { status: containerregistry.PolicyStatus.Enabled, days: 30 },
      },
      tags: d.tags,
    },
    // Protected in prod, not locked: it holds the live scoring image, which online deployments pull again on scale-out
    // and node repair (an outage, not data loss: images can be rebuilt).
    { parent: d.parent, protect: d.protect },
  );
  const endpoint = privateEndpoint(
    `${d.name}-cr`,
    {
      service: "containerRegistry",
      targetId: registry.id,
      targetName: registry.name,
      target: d.privateEndpoints,
      tags: d.tags,
    },
    d.parent,
  ).endpoint;
  diagnosticSetting(`${d.name}-cr`, registry.id, d.diagnostics, d.parent);
  return { id: registry.id, name: registry.name, resource: registry, settled: [endpoint] };
}

/**
 * Workspace-based Application Insights on the platform's Log Analytics workspace: Entra-only ingestion, no public
 * ingestion or query, IP masking on. The platform's Azure Monitor Private Link Scope is PrivateOnly, so the
 * component joins it (otherwise nothing in the VNet could reach it).
 */
export function mlAppInsights(
  d: DependencyContext,
  workspaceId: pulumi.Input<string>,
  linkToMonitorScope: LinkToMonitorScope,
): Dependency {
  const component = new applicationinsights.Component(
    `${d.name}-appi`,
    {
      resourceName: d.context.name("applicationInsights", "ml"),
      resourceGroupName: d.resourceGroupName,
      location: d.context.config.location,
      kind: "web",
      applicationType: applicationinsights.ApplicationType.Other,
      workspaceResourceId: workspaceId,
      ingestionMode: applicationinsights.IngestionMode.LogAnalytics,
      disableLocalAuth: true,
      disableIpMasking: false,
      publicNetworkAccessForIngestion: applicationinsights.PublicNetworkAccessType.Disabled,
      publicNetworkAccessForQuery: applicationinsights.PublicNetworkAccessType.Disabled,
      tags: d.tags,
    },
    { parent: d.parent },
  );
  // Serialised with every other link to the scope (the platform chains them: one scope, one update at a time).
  linkToMonitorScope(`${d.name}-appi`, component.id, d.parent);
  return { id: component.id, name: component.name, resource: component, settled: [] };
}
