/**
 * The streaming tier's Event Hubs namespace: the `api-logs` hub (the relay writes it, the Stream Analytics job reads
 * it through its own consumer group) and the `api-performance` hub (the job writes its one-minute rows, the Synapse
 * loader function reads them through its own consumer group). Private endpoint only for clients in the VNet,
 * Entra-only (SAS keys off), TLS 1.2, diagnostics; Premium namespaces are encrypted with the platform's `eventHubs`
 * customer-managed key (Standard cannot be: dev only, docs/streaming.md).
 *
 * The Stream Analytics job is multi-tenant (no cluster): it reaches the namespace through the trusted Microsoft
 * services exception with its managed identity, which Event Hubs honours with public network access disabled
 * (learn.microsoft.com/azure/event-hubs/private-link-service "Disable public access", and the trusted services table:
 * "Azure Stream Analytics: allows a job to read data from (input) or write data to (output) event hubs; the job
 * should be configured to use a managed identity").
 */
import * as eventhub from "@pulumi/azure-native/eventhub";
import * as pulumi from "@pulumi/pulumi";
import type { StreamingConfig } from "../../lib/config";
import {
  afterCreationOnlyCheck,
  deployedOrNone,
  diagnosticSetting,
  lockFor,
  managementLock,
  privateEndpoint,
  type CreationOnlyConflict,
  type CustomerManagedKey,
  type DiagnosticSettingsTarget,
  type PrivateEndpointTarget,
  type StackContext,
  type Tags,
} from "../shared";

/** The hub the relay writes and the job reads. */
export const API_LOGS_HUB = "api-logs";
/** The consumer group reserved for the Stream Analytics job (a reader per group keeps its own offsets). */
export const ASA_CONSUMER_GROUP = "stream-analytics";
/** The hub the job writes its one-minute rows to and the Synapse loader reads. */
export const API_PERFORMANCE_HUB = "api-performance";
/** The consumer group reserved for the Synapse loader function. */
export const LOADER_CONSUMER_GROUP = "synapse-loader";
/** Partitions of the api-performance hub: a few rows a second at most (one per minute, merchant and endpoint). */
export const API_PERFORMANCE_PARTITIONS = 2;

/**
 * A lower partition count than the deployed hub's: Azure refuses it on Premium ("you can't decrease the partition
 * count after creation", well-architected/service-guides/azure-event-hubs; increases are dynamic there:
 * event-hubs/dynamically-add-partitions). On Standard a new count replaces the hub (`replaceOnChanges`).
 */
export function partitionCountConflicts(
  deployed: { readonly partitionCount?: number },
  cfg: StreamingConfig["eventHubs"],
): CreationOnlyConflict[] {
  const count = deployed.partitionCount;
  if (cfg.sku !== "Premium" || count === undefined || cfg.partitions >= count) return [];
  return [
    {
      key: "streaming.eventHubs.partitions",
      deployed: String(count),
      wanted: String(cfg.partitions),
      kind: "refused",
      remedy: `Azure adds partitions to a Premium hub but never removes them: set it to ${count} or more (fewer partitions need a new hub under another name, and the events in flight drained first).`,
    },
  ];
}

/** SKU block of the namespace from config: throughput units (Standard) or processing units (Premium). */
export function namespaceSku(cfg: StreamingConfig["eventHubs"]): {
  name: eventhub.SkuName;
  tier: eventhub.SkuTier;
  capacity: number;
} {
  return { name: eventhub.SkuName[cfg.sku], tier: eventhub.SkuTier[cfg.sku], capacity: cfg.capacity };
}

export interface EventHubsArgs {
  readonly context: StackContext;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly suffix: pulumi.Output<string>;
  readonly config: StreamingConfig["eventHubs"];
  readonly privateEndpoints: PrivateEndpointTarget;
  readonly diagnosticSettings: DiagnosticSettingsTarget;
  /** Used on Premium only (CMK is not available on Standard). */
  readonly customerManagedKey: CustomerManagedKey;
  readonly protect: boolean;
  readonly tags: Tags;
}

export interface EventHubsResources {
  readonly namespace: eventhub.Namespace;
  /** api-logs: relay → job. */
  readonly hub: eventhub.EventHub;
  readonly consumerGroup: eventhub.ConsumerGroup;
  /** api-performance: job → Synapse loader. */
  readonly outputHub: eventhub.EventHub;
  readonly loaderConsumerGroup: eventhub.ConsumerGroup;
  /** Public access disabled, default deny, trusted services (the job) allowed. */
  readonly networkRules: eventhub.NamespaceNetworkRuleSet;
  /** DNS registration of the namespace's private endpoint: clients resolve the private address once it exists. */
  readonly privateDns: pulumi.Resource;
  /** `<namespace>.servicebus.windows.net` */
  readonly fullyQualifiedNamespace: pulumi.Output<string>;
}

export function eventHubs(name: string, args: EventHubsArgs, parent: pulumi.Resource): EventHubsResources {
  const { context, config: cfg, tags } = args;
  const premium = cfg.sku === "Premium";
  const cmk = args.customerManagedKey;
  const namespace = new eventhub.Namespace(
    `${name}-evhns`,
    {
      namespaceName: context.globalName("eventHubNamespace", args.suffix),
      resourceGroupName: args.resourceGroupName,
      location: context.config.location,
      sku: namespaceSku(cfg),
      // Entra only: producers and consumers use Data Sender/Receiver roles; no SAS keys or connection strings.
      disableLocalAuth: true,
      minimumTlsVersion: eventhub.TlsVersion.TlsVersion_1_2,
      publicNetworkAccess: eventhub.PublicNetworkAccess.Disabled,
      // Throughput is provisioned from config; auto-inflate would hide a sizing problem behind a growing bill.
      ...(premium ? {} : { isAutoInflateEnabled: false }),
      // No `kafkaEnabled`: Standard and Premium namespaces always expose the Kafka endpoint and Azure ignores `false`
      // (Azure/azure-rest-api-specs#19758). It is reached like AMQP: private endpoint only, Entra tokens only.
      // Zone redundancy is automatic in regions with availability zones (the property is kept for older API users).
      zoneRedundant: true,
      // Premium: the CMK, through the platform's eventHubs identity (granted on the key only). It can only be set on
      // a new or empty namespace (learn.microsoft.com/azure/event-hubs/configure-customer-managed-key).
      ...(premium
        ? {
            identity: {
              type: eventhub.ManagedServiceIdentityType.UserAssigned,
              userAssignedIdentities: [cmk.identity.id],
            },
            encryption: {
              keySource: eventhub.KeySource.Microsoft_KeyVault,
              keyVaultProperties: [
                {
                  keyName: cmk.keyName,
                  keyVaultUri: cmk.keyVaultUri,
                  identity: { userAssignedIdentity: cmk.identity.id },
                },
              ],
              requireInfrastructureEncryption: true,
            },
          }
        : {}),
      tags,
    },
    {
      parent,
      protect: args.protect,
      dependsOn: premium ? [cmk.accessGrant] : [],
      // A new tier is a new namespace: a Standard namespace holding hubs cannot take a key (the CMK page above), and a
      // Premium one cannot drop it. Same name, so the old one goes first (prod's `protect` stops it there);
      // `npm run stream:ops -- stop-for-update` stops the job for it, and its hubs are re-created with it.
      // The tier only: a new capacity (throughput or processing units) is an in-place update.
      replaceOnChanges: ["sku.name", "sku.tier"],
      deleteBeforeReplace: true,
    },
  );
  // Azure adds partitions to a Premium hub but never removes them: a preview of a deployed stack reads the hub and
  // refuses a lower count, naming the key, before the hub registers (components/shared/deployed.ts).
  const eventHubName = afterCreationOnlyCheck(pulumi.all([namespace.name, args.resourceGroupName]), {
    resource: ([namespaceName]) => `the event hub '${API_LOGS_HUB}' of '${namespaceName}'`,
    read: ([namespaceName, resourceGroupName]) =>
      deployedOrNone(() =>
        eventhub.getEventHub({ resourceGroupName, namespaceName, eventHubName: API_LOGS_HUB }, { parent }),
      ),
    conflicts: (deployed) => partitionCountConflicts(deployed, cfg),
  }).apply(() => API_LOGS_HUB);
  const hub = new eventhub.EventHub(
    `${name}-evh`,
    {
      eventHubName,
      namespaceName: namespace.name,
      resourceGroupName: args.resourceGroupName,
      partitionCount: cfg.partitions,
      retentionDescription: {
        cleanupPolicy: eventhub.CleanupPolicyRetentionDescription.Delete,
        retentionTimeInHours: cfg.retentionHours,
      },
    },
    // The partition count of a Standard hub cannot change: a new count is a new hub (events in flight are lost).
    // Protected with the namespace (prod): dropping the hub from the program would lose the events in flight.
    {
      parent,
      protect: args.protect,
      replaceOnChanges: cfg.sku === "Premium" ? [] : ["partitionCount"],
      deleteBeforeReplace: true,
    },
  );
  const consumerGroup = new eventhub.ConsumerGroup(
    `${name}-evh-cg`,
    {
      consumerGroupName: ASA_CONSUMER_GROUP,
      eventHubName: hub.name,
      namespaceName: namespace.name,
      resourceGroupName: args.resourceGroupName,
      userMetadata: "Stream Analytics job (flow 3): the only reader of this group.",
    },
    { parent },
  );
  const outputHub = new eventhub.EventHub(
    `${name}-evh-perf`,
    {
      eventHubName: API_PERFORMANCE_HUB,
      namespaceName: namespace.name,
      resourceGroupName: args.resourceGroupName,
      partitionCount: API_PERFORMANCE_PARTITIONS,
      retentionDescription: {
        cleanupPolicy: eventhub.CleanupPolicyRetentionDescription.Delete,
        retentionTimeInHours: cfg.retentionHours,
      },
    },
    { parent, protect: args.protect },
  );
  const loaderConsumerGroup = new eventhub.ConsumerGroup(
    `${name}-evh-perf-cg`,
    {
      consumerGroupName: LOADER_CONSUMER_GROUP,
      eventHubName: outputHub.name,
      namespaceName: namespace.name,
      resourceGroupName: args.resourceGroupName,
      userMetadata: "Synapse loader function (flow 3): the only reader of this group.",
    },
    { parent },
  );
  // The private endpoint's connection is a namespace update too: after the hubs and groups, so no entity PUT
  // overlaps it (Event Hubs answers 409 "Namespace update failed with conflict in backend" or 429 "Namespace
  // provisioning in transition" to an operation that does: learn.microsoft.com/azure/event-hubs/resource-manager-exceptions).
  const endpoint = privateEndpoint(
    `${name}-evhns`,
    {
      service: "eventHubs",
      targetId: namespace.id,
      targetName: namespace.name,
      target: args.privateEndpoints,
      tags,
      dependsOn: [hub, consumerGroup, outputHub, loaderConsumerGroup],
      // A new tier replaces the namespace: the endpoint goes and comes back with it instead of staying Disconnected.
      replacedWith: namespace,
    },
    parent,
  );
  // The namespace's firewall: no public access, deny by default, and the trusted services exception so the
  // multi-tenant Stream Analytics job (managed identity, Data Receiver/Sender roles) reads and writes the hubs. Last
  // of the namespace's operations: after the private endpoint (both change the namespace's network, one at a time),
  // which comes after the hubs and consumer groups, so no entity PUT overlaps a namespace update.
  const networkRules = new eventhub.NamespaceNetworkRuleSet(
    `${name}-evhns-net`,
    {
      namespaceName: namespace.name,
      resourceGroupName: args.resourceGroupName,
      publicNetworkAccess: eventhub.PublicNetworkAccessFlag.Disabled,
      defaultAction: eventhub.DefaultAction.Deny,
      trustedServiceAccessEnabled: true,
      ipRules: [],
      virtualNetworkRules: [],
    },
    { parent, dependsOn: [endpoint.zoneGroup, hub, consumerGroup, outputHub, loaderConsumerGroup] },
  );
  diagnosticSetting(`${name}-evhns`, namespace.id, args.diagnosticSettings, parent);
  managementLock(
    `${name}-evhns`,
    namespace.id,
    lockFor(args.protect, "the Event Hubs namespace (events in flight to Synapse)"),
    parent,
    namespace,
  );
  return {
    namespace,
    hub,
    consumerGroup,
    outputHub,
    loaderConsumerGroup,
    networkRules,
    privateDns: endpoint.zoneGroup,
    fullyQualifiedNamespace: pulumi.interpolate`${namespace.name}.servicebus.windows.net`,
  };
}
