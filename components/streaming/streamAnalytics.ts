/**
 * The Stream Analytics side of flow 3: a cluster whose managed private endpoints reach the private Event Hubs
 * namespace, the job's storage account and the private Synapse workspace, the job on that cluster (its query read
 * from pipelines/streaming/apiPerformance.asaql), the job's own storage, and its diagnostics.
 *
 * Why a cluster (docs/streaming.md): Synapse has no public endpoint, and Stream Analytics reaches a private
 * Synapse pool only through a cluster's managed private endpoints
 * (learn.microsoft.com/azure/stream-analytics/connect-job-to-vnet); VNet injection cannot be declared through ARM
 * (Azure/azure-stream-analytics#187), and the trusted-service path covers Event Hubs and storage, not Synapse.
 *
 * Why a generic `resources.Resource` for the job: API 2020-03-01 (azure-native's StreamingJob) has no managed
 * identity on the Synapse output (`AzureSynapseOutputDataSource` takes a user and password only); 2021-10-01-preview
 * has `authenticationMode: "Msi"` on `Microsoft.Sql/Server/DataWarehouse`. The whole job (inputs, transformation,
 * outputs) is one PUT, as Microsoft's own ARM templates declare it: a separate output resource would be dropped by
 * the next CreateOrReplace of the job, and separate inputs fail the job's update
 * (pulumi/pulumi-azure-native#688).
 */
import * as monitor from "@pulumi/azure-native/monitor";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import * as streamanalytics from "@pulumi/azure-native/streamanalytics";
import * as pulumi from "@pulumi/pulumi";
import type { StreamingConfig } from "../../lib/config";
import { INPUT_ALIAS, OUTPUT_ALIAS } from "../../pipelines/streaming/query";
import {
  BuiltInRoles,
  diagnosticSetting,
  lockFor,
  managementLock,
  privateEndpoint,
  roleAssignment,
  type CustomerManagedKey,
  type DiagnosticSettingsTarget,
  type PrivateEndpointTarget,
  type StackContext,
  type Tags,
} from "../shared";
import { jobLogAlert, type JobAlertTarget } from "./freshness";

/** API version of the job (the first with managed identity on the Synapse output). */
export const JOB_API_VERSION = "2021-10-01-preview";

/**
 * Streaming units as the REST API writes them. The job uses the `Standard` SKU (SU V1: 1, 3, 6, then multiples of
 * 6), the only SKU name the published 2021-10-01-preview schema accepts; SU V2 (`StandardV2`, written 3, 7, 10,
 * 20, ...) is the recommended successor (docs/streaming.md: move when the API version that declares it is usable).
 */
export function restStreamingUnits(su: number): number {
  if (!(su === 1 || su === 3 || (Number.isInteger(su) && su % 6 === 0 && su >= 6 && su <= 216)))
    throw new Error(`streamingUnits ${su} must be 1, 3 or a multiple of 6 up to 216 (SU V1)`);
  return su;
}

/** What the job reads and writes (ids and names may be outputs: the body stays known, only they are computed). */
export interface JobEndpoints {
  readonly clusterId: pulumi.Input<string>;
  readonly eventHubNamespace: pulumi.Input<string>;
  readonly eventHubName: pulumi.Input<string>;
  readonly consumerGroupName: pulumi.Input<string>;
  /** `<workspace>.sql.azuresynapse.net` */
  readonly synapseSqlEndpoint: pulumi.Input<string>;
  readonly sqlPoolName: pulumi.Input<string>;
  /** `schema.table` of the fact the job appends to. */
  readonly table: string;
  readonly jobStorageAccountName: pulumi.Input<string>;
  readonly query: string;
}

/**
 * The job's ARM `properties` (API 2021-10-01-preview): pure, so tests check the exact body. Every data source uses
 * the job's system-assigned identity (`authenticationMode: "Msi"`); nothing carries a key or a password.
 */
export function jobProperties(e: JobEndpoints, cfg: StreamingConfig["streamAnalytics"]): Record<string, unknown> {
  return {
    sku: { name: "Standard" },
    cluster: { id: e.clusterId },
    jobType: "Cloud",
    compatibilityLevel: "1.2",
    dataLocale: "en-US",
    // Event time (the query's TIMESTAMP BY): reorder within 5 s, accept events up to lateArrivalSeconds late.
    eventsOutOfOrderPolicy: "Adjust",
    eventsOutOfOrderMaxDelayInSeconds: 5,
    eventsLateArrivalMaxDelayInSeconds: cfg.lateArrivalSeconds,
    // A row Synapse rejects stops the job (the freshness alert fires) rather than silently dropping a minute.
    outputErrorPolicy: "Stop",
    // Query, checkpoints and logs in our own CMK-encrypted, private account, reached with the job's identity.
    contentStoragePolicy: "JobStorageAccount",
    jobStorageAccount: { accountName: e.jobStorageAccountName, authenticationMode: "Msi" },
    inputs: [
      {
        name: INPUT_ALIAS,
        properties: {
          type: "Stream",
          datasource: {
            type: "Microsoft.EventHub/EventHub",
            properties: {
              serviceBusNamespace: e.eventHubNamespace,
              eventHubName: e.eventHubName,
              consumerGroupName: e.consumerGroupName,
              authenticationMode: "Msi",
            },
          },
          serialization: { type: "Json", properties: { encoding: "UTF8" } },
        },
      },
    ],
    transformation: {
      name: "Transformation",
      properties: { query: e.query, streamingUnits: restStreamingUnits(cfg.streamingUnits) },
    },
    outputs: [
      {
        name: OUTPUT_ALIAS,
        properties: {
          datasource: {
            type: "Microsoft.Sql/Server/DataWarehouse",
            properties: {
              server: e.synapseSqlEndpoint,
              database: e.sqlPoolName,
              table: e.table,
              authenticationMode: "Msi",
            },
          },
        },
      },
    ],
  };
}

export interface StreamAnalyticsArgs {
  readonly context: StackContext;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly suffix: pulumi.Output<string>;
  readonly config: StreamingConfig["streamAnalytics"];
  readonly diagnosticSettings: DiagnosticSettingsTarget;
  /** Where the job storage's own private endpoint goes (operators reading job logs and checkpoints). */
  readonly privateEndpoints: PrivateEndpointTarget;
  /** The platform's storage key (the job storage account). */
  readonly storageKey: CustomerManagedKey;
  /** What the job reads (the api-logs hub through its consumer group) and where it writes (the Synapse pool). */
  readonly eventHubs: {
    readonly namespaceId: pulumi.Input<string>;
    readonly namespaceName: pulumi.Input<string>;
    readonly hubId: pulumi.Input<string>;
    readonly hubName: pulumi.Input<string>;
    readonly consumerGroupName: pulumi.Input<string>;
  };
  readonly synapse: {
    readonly workspaceId: pulumi.Input<string>;
    readonly sqlEndpoint: pulumi.Input<string>;
    readonly sqlPoolName: pulumi.Input<string>;
    /** What the cluster's endpoint to the workspace waits for (other tiers' connections to it). */
    readonly after?: readonly pulumi.Resource[];
    readonly table: string;
  };
  readonly query: string;
  readonly protect: boolean;
  readonly tags: Tags;
}

export interface StreamAnalyticsResources {
  readonly cluster: streamanalytics.Cluster;
  readonly job: resources.Resource;
  readonly jobName: string;
  readonly jobPrincipalId: pulumi.Output<string>;
  readonly jobStorage: storage.StorageAccount;
  /** Managed private endpoints of the cluster by target (pending until approved on the target). */
  readonly managedEndpoints: Readonly<Record<"eventHubs" | "synapse" | "jobStorage", streamanalytics.PrivateEndpoint>>;
}

export function streamAnalytics(
  name: string,
  args: StreamAnalyticsArgs,
  parent: pulumi.Resource,
): StreamAnalyticsResources {
  const { context, tags } = args;
  const location = context.config.location;
  const rg = args.resourceGroupName;
  const cmk = args.storageKey;

  // Job storage: query, checkpoints and reference data, reached only through the cluster's managed private endpoint
  // with the job's identity; no shared keys, no public access.
  const jobStorage = new storage.StorageAccount(
    `${name}-st`,
    {
      accountName: context.globalName("storageAccount", args.suffix, "asa"),
      resourceGroupName: rg,
      location,
      kind: storage.Kind.StorageV2,
      sku: { name: storage.SkuName.Standard_ZRS },
      accessTier: storage.AccessTier.Hot,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      allowCrossTenantReplication: false,
      publicNetworkAccess: storage.PublicNetworkAccess.Disabled,
      networkRuleSet: { defaultAction: storage.DefaultAction.Deny, bypass: storage.Bypass.None },
      identity: { type: storage.IdentityType.UserAssigned, userAssignedIdentities: [cmk.identity.id] },
      encryption: {
        keySource: storage.KeySource.Microsoft_Keyvault,
        keyVaultProperties: { keyName: cmk.keyName, keyVaultUri: cmk.keyVaultUri },
        encryptionIdentity: { encryptionUserAssignedIdentity: cmk.identity.id },
        requireInfrastructureEncryption: true,
        services: {
          blob: { enabled: true, keyType: storage.KeyType.Account },
          file: { enabled: true, keyType: storage.KeyType.Account },
          queue: { enabled: true, keyType: storage.KeyType.Account },
          table: { enabled: true, keyType: storage.KeyType.Account },
        },
      },
      tags,
    },
    { parent, protect: args.protect, dependsOn: [cmk.accessGrant] },
  );
  managementLock(
    `${name}-st`,
    jobStorage.id,
    lockFor(args.protect, "the Stream Analytics job storage"),
    parent,
    jobStorage,
  );
  // Its own private endpoint in the VNet (the job itself uses the cluster's managed one): operators read job logs
  // and checkpoints from inside the network, like every other account of the platform.
  const storageEndpoint = privateEndpoint(
    `${name}-st-blob`,
    {
      service: "storageBlob",
      targetId: jobStorage.id,
      targetName: jobStorage.name,
      target: args.privateEndpoints,
      tags,
    },
    parent,
  );
  diagnosticSetting(
    `${name}-st-blob`,
    pulumi.interpolate`${jobStorage.id}/blobServices/default`,
    args.diagnosticSettings,
    parent,
  );

  // The cluster: dedicated capacity and the only declarable private path to Synapse.
  const cluster = new streamanalytics.Cluster(
    `${name}-cluster`,
    {
      clusterName: context.name("streamAnalytics", "cluster"),
      resourceGroupName: rg,
      location,
      sku: { name: streamanalytics.ClusterSkuName.Default, capacity: args.config.clusterCapacity },
      tags,
    },
    { parent },
  );
  diagnosticSetting(`${name}-cluster`, cluster.id, args.diagnosticSettings, parent);

  // Managed private endpoints, one at a time (one cluster operation at a time). Each is created pending and must be
  // approved on its target (docs/streaming.md; the deploy workflow approves them).
  const targets = [
    ["eventHubs", "evhns", args.eventHubs.namespaceId, "namespace"],
    ["jobStorage", "st", jobStorage.id, "blob"],
    ["synapse", "synw", args.synapse.workspaceId, "Sql"],
  ] as const;
  const managed: Partial<Record<(typeof targets)[number][0], streamanalytics.PrivateEndpoint>> = {};
  // Start after the job storage's own endpoint: Storage updates its private endpoint connections one at a time.
  let previous: pulumi.Resource = storageEndpoint.endpoint;
  for (const [key, short, targetId, groupId] of targets) {
    const pe: streamanalytics.PrivateEndpoint = new streamanalytics.PrivateEndpoint(
      `${name}-mpe-${short}`,
      {
        clusterName: cluster.name,
        resourceGroupName: rg,
        privateEndpointName: `mpe-${short}-${groupId.toLowerCase()}`,
        manualPrivateLinkServiceConnections: [{ privateLinkServiceId: targetId, groupIds: [groupId] }],
      },
      { parent, dependsOn: key === "synapse" ? [previous, ...(args.synapse.after ?? [])] : [previous] },
    );
    managed[key] = pe;
    previous = pe;
  }
  const managedEndpoints = managed as StreamAnalyticsResources["managedEndpoints"];

  const jobName = context.name("streamAnalytics", "apiperf");
  const job = new resources.Resource(
    `${name}-job`,
    {
      resourceProviderNamespace: "Microsoft.StreamAnalytics",
      parentResourcePath: "",
      resourceType: "streamingjobs",
      resourceName: jobName,
      apiVersion: JOB_API_VERSION,
      resourceGroupName: rg,
      location,
      identity: { type: resources.ResourceIdentityType.SystemAssigned },
      // A plain object with outputs inside (not one apply): identity, auth modes and the query stay known during
      // preview, so the policy pack can check them on the first preview.
      properties: jobProperties(
        {
          clusterId: cluster.id,
          eventHubNamespace: args.eventHubs.namespaceName,
          eventHubName: args.eventHubs.hubName,
          consumerGroupName: args.eventHubs.consumerGroupName,
          synapseSqlEndpoint: args.synapse.sqlEndpoint,
          sqlPoolName: args.synapse.sqlPoolName,
          table: args.synapse.table,
          jobStorageAccountName: jobStorage.name,
          query: args.query,
        },
        args.config,
      ),
      tags,
    },
    // The job is validated against its inputs and outputs when started, not when created; the endpoints first.
    { parent, dependsOn: Object.values(managedEndpoints) },
  );
  const jobPrincipalId = job.identity.apply((i) => i?.principalId ?? "");
  diagnosticSetting(`${name}-job`, job.id, args.diagnosticSettings, parent);

  // The job's identity: reads the hub (Data Receiver on the hub only) and its own storage (Blob Data Contributor).
  roleAssignment(
    `${name}-job-evh`,
    args.eventHubs.hubId,
    {
      key: "data-receiver",
      principalId: jobPrincipalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: BuiltInRoles.EventHubsDataReceiver,
      description: `Stream Analytics job ${jobName} reads the api-logs hub.`,
    },
    parent,
  );
  roleAssignment(
    `${name}-job-st`,
    jobStorage.id,
    {
      key: "blob-data-contributor",
      principalId: jobPrincipalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: BuiltInRoles.StorageBlobDataContributor,
      description: `Stream Analytics job ${jobName} keeps its query, checkpoints and logs here.`,
    },
    parent,
  );

  return { cluster, job, jobName, jobPrincipalId, jobStorage, managedEndpoints };
}

/** The Stream Analytics metric of output lag (event time of the last output vs. wall clock), in seconds. */
export const WATERMARK_METRIC = "OutputWatermarkDelaySeconds";

/** KQL over the window: the job's worst output watermark delay, in seconds (AzureMetrics, from its diagnostics). */
export function watermarkQuery(jobId: string): string {
  return [
    "AzureMetrics",
    `| where ResourceId =~ "${jobId}" and MetricName == "${WATERMARK_METRIC}"`,
    "| summarize DelaySeconds = max(Maximum)",
  ].join("\n");
}

/**
 * Alert when the job's output lags more than `seconds` behind (the 5-minute streaming SLA): a log alert over the
 * metric as the job's diagnostic setting exports it, evaluated every minute over 5 minutes. (A job that reports
 * nothing at all is the freshness alert's case.)
 */
export function watermarkAlert(
  name: string,
  args: JobAlertTarget & { readonly jobName: string; readonly seconds: number },
  parent: pulumi.Resource,
): monitor.ScheduledQueryRule {
  return jobLogAlert(
    `${name}-watermark-alert`,
    {
      ruleKey: "asa-watermark",
      displayName: `${args.jobName} output watermark delay`,
      description: `Stream Analytics job ${args.jobName}: Fact_API_Performance lags more than ${args.seconds / 60} minutes behind the API (streaming SLA); see docs/streaming.md.`,
      runbook: "streaming-watermark-delay",
      query: watermarkQuery,
      evaluationFrequency: "PT1M",
      windowSize: "PT5M",
      timeAggregation: monitor.TimeAggregation.Maximum,
      metricMeasureColumn: "DelaySeconds",
      operator: monitor.Operator.GreaterThan,
      threshold: args.seconds,
    },
    args,
    parent,
  );
}
