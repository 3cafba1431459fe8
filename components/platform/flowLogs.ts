/**
 * The VNet's flow logs: the flows of the VNet's interfaces Azure can record (source, destination, ports, protocol, the
 * NSG rule that allowed or denied it, bytes and packets). PCI DSS 10.2.1 (audit logs capture the activity of system
 * components in the CDE), 10.5.1 (kept a year), 11.5.1 (intrusion detection on the CDE's traffic); and what an
 * investigation asks first: which host reached which endpoint.
 *
 * What they cover here: the Application Gateway's instances (the internet-facing entry) and any VM placed in the VNet
 * (VNet-injected ML compute, with `ml.vnetComputeEgress`; the workspace's own compute runs in its managed network);
 * not the function apps ("these Azure services don't support virtual network flow logs: ...
 * Azure Functions, ... App Service") nor the private endpoints ("Traffic can't be recorded at the private endpoint
 * itself. You can capture traffic to a private endpoint at the source VM": vnet-flow-logs-overview, "Incompatible
 * services"). The apps' outbound traffic is in the firewall's logs; who read a data store is in the store's own audit
 * (SQL audit, Cosmos DB, Key Vault and storage logs).
 *
 * Virtual network flow logs, not NSG flow logs: "On September 30, 2027, network security group (NSG) flow logs will be
 * retired ... you'll no longer be able to create new NSG flow logs starting June 30, 2025" (nsg-flow-logs-overview).
 * One flow log on the VNet covers every subnet and interface ("Create a flow log for your virtual network, subnet, or
 * network interface", vnet-flow-logs-manage).
 *
 * Where things are (learn.microsoft.com/azure/network-watcher):
 * - the flow log is a child of the region's Network Watcher, which Azure enables when a VNet is created
 *   ("NetworkWatcher_<region>" in "NetworkWatcherRG", network-watcher-create) and which may exist only once per
 *   region and subscription (a second one fails with NetworkWatcherCountLimitReached): the program names it, never
 *   creates it (config `flowLogs.networkWatcherName`, `flowLogs.networkWatcherResourceGroup`);
 * - the logs go to a storage account of their own in the VNet's region ("The storage account must be in the same
 *   region as the virtual network"; standard, general-purpose v2 for the retention: vnet-flow-logs-overview,
 *   vnet-flow-logs-manage): the platform's hardened account (Entra only, no shared keys, the storage key), which
 *   Network Watcher reaches as a trusted service ("Allow Azure services on the trusted services list", the flow logs
 *   FAQ: `Microsoft.Network` is on Storage's trusted list) and writes with a user-assigned identity holding Storage
 *   Blob Data Contributor ("Virtual network flow logs can use user-assigned managed identities to securely
 *   authenticate to the storage account", vnet-flow-logs-managed-identity): no account key, which an account
 *   without shared keys would refuse anyway;
 * - with traffic analytics (`flowLogs.trafficAnalyticsIntervalMinutes`, 60 by default), Network Watcher also
 *   aggregates them into the platform's workspace (the NTANetAnalytics table), where Sentinel and the runbook's KQL
 *   read them. Enabling it needs the deploy identity's role assigned on the subscription itself ("Management group
 *   inherited permissions are currently not supported for enabling traffic analytics",
 *   network-watcher/required-rbac-permissions), and traffic analytics creates a data collection rule and endpoint of
 *   its own (`NWTA…`) in the workspace's resource group, outside the program. Format JSON version 2, as Microsoft's own landing zone sets it (Azure/missionlz,
 *   src/bicep/modules/virtual-network-flowlogs.bicep).
 *
 * Ordering. Nothing joins the VNet before the flow log exists (platform `subnetIds` wait for `ready`): a subnet join
 * puts the VNet in Updating, and a flow log's write fails while its target is updating ("Invalid provisioning state
 * ... 'Updating'", hashicorp/terraform-provider-azurerm#9395, for an NSG target; Azure refuses the hub peering the same
 * way: network.ts); and whatever the log can record is recorded from the first packet. So the writer's grant is on
 * the network resource group, created at once, and its propagation wait runs beside the storage key's instead of after
 * the account (the account is the only storage account of that group).
 */
import * as network from "@pulumi/azure-native/network";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../lib/config";
import {
  BuiltInRoles,
  blobSoftDelete,
  grantPropagation,
  hardenedStorageAccount,
  lockFor,
  managementLock,
  privateEndpoint,
  roleAssignment,
  storageServiceDiagnostics,
  type CustomerManagedKey,
  type DiagnosticSettingsTarget,
  type PrivateEndpointTarget,
  type StackContext,
  type Tags,
  workloadIdentity,
} from "../shared";

/** Network Watcher keeps flow logs 1 to 365 days ("from one day to 365 days", vnet-flow-logs-overview). */
export const MAX_FLOW_LOG_RETENTION_DAYS = 365;
/** Soft delete on the flow log account's blob service: a deleted log blob stays recoverable a month. */
export const FLOW_LOG_SOFT_DELETE_DAYS = 30;
/** The flow log record format: JSON, version 2 (FlowLogFormatType has JSON only). */
export const FLOW_LOG_FORMAT_VERSION = 2;

/** The stack's flow log settings, its config resolved. */
export interface FlowLogSettings {
  readonly retentionDays: number;
  /** Traffic analytics' interval in minutes, or 0 for none. */
  readonly trafficAnalyticsIntervalMinutes: 0 | 10 | 60;
  readonly networkWatcherName: string;
  readonly networkWatcherResourceGroup: string;
}

/** Defaults: the workspace's retention (at most Network Watcher's 365 days), and the region's auto-enabled watcher. */
export function flowLogSettings(
  cfg: Pick<PlatformConfig, "flowLogs" | "logRetentionDays" | "location">,
): FlowLogSettings {
  return {
    retentionDays: cfg.flowLogs.retentionDays ?? Math.min(cfg.logRetentionDays, MAX_FLOW_LOG_RETENTION_DAYS),
    trafficAnalyticsIntervalMinutes: cfg.flowLogs.trafficAnalyticsIntervalMinutes,
    networkWatcherName: cfg.flowLogs.networkWatcherName ?? `NetworkWatcher_${cfg.location}`,
    networkWatcherResourceGroup: cfg.flowLogs.networkWatcherResourceGroup,
  };
}

/** The flow log's inputs: pure, so tests check every setting without an engine. */
export function flowLogInputs(a: {
  readonly flowLogName: string;
  readonly location: string;
  readonly settings: FlowLogSettings;
  readonly vnetId: pulumi.Input<string>;
  readonly storageAccountId: pulumi.Input<string>;
  readonly identityId: pulumi.Input<string>;
  /** The workspace traffic analytics writes to: its id, its customer id (the GUID) and its region. */
  readonly workspace: {
    readonly id: pulumi.Input<string>;
    readonly customerId: pulumi.Input<string>;
    readonly location: pulumi.Input<string>;
  };
  readonly tags: Tags;
}): network.FlowLogArgs {
  const interval = a.settings.trafficAnalyticsIntervalMinutes;
  return {
    flowLogName: a.flowLogName,
    networkWatcherName: a.settings.networkWatcherName,
    resourceGroupName: a.settings.networkWatcherResourceGroup,
    location: a.location,
    targetResourceId: a.vnetId,
    storageId: a.storageAccountId,
    enabled: true,
    format: { type: network.FlowLogFormatType.JSON, version: FLOW_LOG_FORMAT_VERSION },
    retentionPolicy: { enabled: true, days: a.settings.retentionDays },
    identity: { type: network.ResourceIdentityType.UserAssigned, userAssignedIdentities: [a.identityId] },
    flowAnalyticsConfiguration: {
      networkWatcherFlowAnalyticsConfiguration:
        interval > 0
          ? {
              enabled: true,
              workspaceResourceId: a.workspace.id,
              workspaceId: a.workspace.customerId,
              workspaceRegion: a.workspace.location,
              trafficAnalyticsInterval: interval,
            }
          : { enabled: false },
    },
    tags: a.tags,
  };
}

export interface VnetFlowLogArgs {
  readonly context: StackContext;
  /** The platform's network resource group: the account and the writer's identity live there. */
  readonly resourceGroup: { readonly name: pulumi.Input<string>; readonly id: pulumi.Input<string> };
  readonly suffix: pulumi.Output<string>;
  /** The VNet's id, once the VNet and its hub peering are done (network.ts `readyId`). */
  readonly vnetId: pulumi.Input<string>;
  /** The workspace traffic analytics writes to: its id, its customer id (the GUID) and its region. */
  readonly workspace: {
    readonly id: pulumi.Input<string>;
    readonly customerId: pulumi.Input<string>;
    readonly location: pulumi.Input<string>;
  };
  readonly storageKey: CustomerManagedKey;
  /** Where the account's private endpoint goes (its subnet waits for `ready`, so the endpoint comes after the log). */
  readonly privateEndpoints: PrivateEndpointTarget;
  readonly diagnostics: DiagnosticSettingsTarget;
  /** Who reads the logs in an incident (the platform admins): Storage Blob Data Reader on the account. */
  readonly readerGroupId: pulumi.Input<string>;
  readonly tags: Tags;
}

export interface VnetFlowLogs {
  readonly flowLog: network.FlowLog;
  readonly account: storage.StorageAccount;
  /** The VNet's id once its flow log exists: what subnet joins wait for. */
  readonly ready: pulumi.Output<string>;
}

/** The flow log account, its writer, the VNet's flow log, then the account's private endpoint, diagnostics and lock. */
export function vnetFlowLogs(name: string, a: VnetFlowLogArgs, parent: pulumi.Resource): VnetFlowLogs {
  const { context, tags } = a;
  const cfg = context.config;
  const protect = cfg.protectStatefulResources;
  const settings = flowLogSettings(cfg);
  const writer = workloadIdentity(
    `${name}-flowlog-id`,
    {
      resourceName: context.name("userAssignedIdentity", "flowlogs"),
      resourceGroupName: a.resourceGroup.name,
      location: cfg.location,
      tags,
      protect,
      what: "the identity of the VNet flow log",
    },
    parent,
  );
  const grant = roleAssignment(
    `${name}-flowlog`,
    a.resourceGroup.id,
    {
      key: "flow-log-writer",
      principalId: writer.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: BuiltInRoles.StorageBlobDataContributor,
      description:
        "Network Watcher writes the VNet's flow logs with this identity (the network resource group's only storage account holds them).",
    },
    parent,
  );
  const propagated = grantPropagation(`${name}-flowlog-grant-propagation`, grant, parent);
  const account = hardenedStorageAccount(
    `${name}-flowlog-st`,
    {
      accountName: context.globalName("storageAccount", a.suffix, "flow"),
      resourceGroupName: a.resourceGroup.name,
      location: cfg.location,
      // Zone-redundant like every account of the platform (the pack allows no locally redundant SKU); hot: a block is
      // appended to each hour's blob every minute.
      sku: storage.SkuName.Standard_ZRS,
      customerManagedKey: a.storageKey,
      allowedCopyScope: storage.AllowedCopyScope.PrivateLink,
      // Network Watcher writes as a trusted service; public network access stays Disabled (trusted access is still
      // allowed then: private-link/network-security-perimeter-transition), readers use the private endpoint.
      firewall: { bypass: storage.Bypass.AzureServices },
      protect,
      // Where protected (prod), the logs outlive the program's declaration of them (PCI DSS 10.5.1 keeps them a year).
      retainOnDelete: protect,
      tags,
    },
    parent,
  );
  const scope = { resourceGroupName: a.resourceGroup.name, accountName: account.name };
  // One management operation on the account at a time: the blob service, then the endpoint.
  const blobService = new storage.BlobServiceProperties(
    `${name}-flowlog-blob`,
    {
      ...scope,
      blobServicesName: "default",
      ...blobSoftDelete(FLOW_LOG_SOFT_DELETE_DAYS),
    },
    { parent },
  );
  const flowLog = new network.FlowLog(
    `${name}-flowlog`,
    flowLogInputs({
      flowLogName: context.name("flowLog"),
      location: cfg.location,
      settings,
      vnetId: a.vnetId,
      storageAccountId: account.id,
      identityId: writer.id,
      workspace: a.workspace,
      tags,
    }),
    // Where protected (prod), locked like the account (it lives in the watcher's group, outside the stack's), and left
    // in Azure if the program ever drops it: the flows keep being logged until someone decides otherwise.
    { parent, protect, ...(protect ? { retainOnDelete: true } : {}), dependsOn: [propagated, blobService] },
  );
  managementLock(`${name}-flowlog-log`, flowLog.id, lockFor(protect, "the VNet's flow log"), parent, flowLog, protect);
  roleAssignment(
    `${name}-flowlog`,
    account.id,
    {
      key: "platform-admins-flow-log-reader",
      principalId: a.readerGroupId,
      principalType: "Group",
      roleDefinitionId: BuiltInRoles.StorageBlobDataReader,
      description: "Platform admins read the VNet's flow logs in an investigation (docs/operations.md).",
    },
    parent,
  );
  privateEndpoint(
    `${name}-flowlog-blob`,
    {
      service: "storageBlob",
      targetId: account.id,
      targetName: account.name,
      target: a.privateEndpoints,
      tags,
      dependsOn: [blobService],
      retainOnDelete: protect,
    },
    parent,
  );
  storageServiceDiagnostics(`${name}-flowlog-blob`, account.id, "blob", a.diagnostics, parent, protect);
  managementLock(`${name}-flowlog`, account.id, lockFor(protect, "the VNet's flow logs"), parent, account, protect);
  // Through the flow log's URN, not its id: the URN carries the same dependency (it resolves when the engine answers
  // the flow log's registration, once it is created) but is known in every preview, so a flow log to be created or
  // replaced never makes the subnets' ids unknown, which would show every endpoint and app as replaced there.
  return { flowLog, account, ready: pulumi.all([a.vnetId, flowLog.urn]).apply(([id]) => id) };
}
