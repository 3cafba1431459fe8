/**
 * The Stream Analytics side of flow 3: a multi-tenant job (no cluster) that reads the api-logs hub and writes its
 * one-minute rows to the api-performance hub, both through Event Hubs' trusted services exception with the job's
 * managed identity; its query is pipelines/streaming/apiPerformance.asaql; its own CMK storage account; diagnostics.
 * The Synapse loader function (components/streaming/index.ts) takes the rows on into the private pool.
 *
 * Why no cluster (docs/streaming.md): a job reaches a private Synapse pool only from a cluster's managed private
 * endpoints (36 SU V1 minimum, about $2,900 a month, in every stack) or VNet injection, which ARM cannot declare
 * (Azure/azure-stream-analytics#187). Event Hubs and storage, though, let a job's managed identity through their
 * trusted services exception "without requiring a Stream Analytics cluster" (Event Hubs "can be your job's streaming
 * input or output": learn.microsoft.com/azure/stream-analytics/connect-job-to-vnet), so the job writes to Event Hubs
 * and a function in the VNet takes the rows on to Synapse.
 *
 * The job is azure-native's typed `StreamingJob` (API 2020-03-01, which has managed identity on the Event Hubs input
 * and output and on the job storage account). The whole job (inputs, transformation, outputs) is one PUT, as
 * Microsoft's own ARM templates declare it: a separate output resource would be dropped by the next
 * CreateOrReplace of the job, and separate inputs fail the job's update (pulumi/pulumi-azure-native#688).
 *
 * But Azure validates the Event Hubs input and output when that PUT creates the job, with the job's identity, which
 * has no role yet: "Stream Analytics job has validation errors: Access to EventHub ... is not authorized"
 * (pulumi/pulumi-azure-native#2607), and Microsoft's order is identity, then roles, then the Event Hubs input and
 * output ("Changes should be reflected within 8 minutes", stream-analytics/event-hubs-managed-identity.md). So a new
 * stack's first `up` creates the job without them (identity and job storage only), grants its identity and
 * waits for the grants; the next `up` finds the job and its grants in Azure (`endpointsReady`) and PUTs the whole
 * job. The query waits for that second PUT too: with `contentStoragePolicy: JobStorageAccount` the job keeps its query
 * in its own storage account ("If you do not give your job access, the job will not be able to perform any
 * operations", stream-analytics/data-protection.md), which its identity cannot write before its grant. The job storage
 * itself is set when the job is created ("must be configured at the time of Stream Analytics job creation", same page).
 * That Azure takes it with `Msi` before any grant exists rests on one source, which is not this case:
 * hashicorp/terraform-provider-azurerm's acceptance test of `azurerm_stream_analytics_job_storage_account` sets it
 * with a PATCH on an existing job whose identity has no role on an account without a firewall. The creating PUT is a
 * first-deploy check (docs/operations.md, with the PATCH-afterwards fallback). The deploy workflow runs that second
 * `up` when the first reports the endpoints pending (`streamingPath.streamAnalyticsEndpointsConnected`).
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as storage from "@pulumi/azure-native/storage";
import * as streamanalytics from "@pulumi/azure-native/streamanalytics";
import * as pulumi from "@pulumi/pulumi";
import type { StreamingConfig } from "../../lib/config";
import { armResourceId } from "../../lib/naming";
import { roleAssignmentName } from "../../lib/uuid";
import { INPUT_ALIAS, OUTPUT_ALIAS } from "../../pipelines/streaming/query";
import {
  BuiltInRoles,
  deployedOrNone,
  deployer,
  diagnosticSetting,
  storageServiceDiagnostics,
  hardenedStorageAccount,
  lockFor,
  managementLock,
  privateEndpoint,
  grantsPropagation,
  roleAssignment,
  roleDefinitionId,
  type CustomerManagedKey,
  type DiagnosticSettingsTarget,
  type PrivateEndpointTarget,
  type StackContext,
  type Tags,
} from "../shared";

/**
 * Streaming units as the REST API writes them. The job uses the `Standard` SKU (SU V1: 1, 3, 6, then multiples of
 * 6), the only SKU name API 2020-03-01 declares; SU V2 (`StandardV2`, written 3, 7, 10, 20, ...) is the recommended
 * successor (docs/streaming.md: move when an API version azure-native ships declares it).
 */
export function restStreamingUnits(su: number): number {
  if (!(su === 1 || su === 3 || (Number.isInteger(su) && su % 6 === 0 && su >= 6 && su <= 216)))
    throw new Error(`streamingUnits ${su} must be 1, 3 or a multiple of 6 up to 216 (SU V1)`);
  return su;
}

/** What the job reads and writes (ids and names may be outputs: the body stays known, only they are computed). */
export interface JobEndpoints {
  readonly eventHubNamespace: pulumi.Input<string>;
  /** The hub the job reads (api-logs) and its consumer group. */
  readonly eventHubName: pulumi.Input<string>;
  readonly consumerGroupName: pulumi.Input<string>;
  /** The hub the job writes its rows to (api-performance). */
  readonly outputEventHubName: pulumi.Input<string>;
  readonly jobStorageAccountName: pulumi.Input<string>;
  readonly query: string;
}

/** The output column the rows are partitioned on in the api-performance hub (a merchant's minutes stay in order). */
export const OUTPUT_PARTITION_KEY = "MerchantKey";

/** What the job's definition holds besides its name, group, location and tags. */
export type JobDefinition = Omit<
  streamanalytics.StreamingJobArgs,
  "resourceGroupName" | "jobName" | "location" | "tags"
>;

/**
 * How far out of order the job waits for events before it closes a minute. The relay sends each batch round-robin to
 * 32 partitions from several instances, and a lagging lease or a retried batch mixes older calls into every
 * partition; with 5 s they were re-timed into a later minute ("Events that arrive later will either be dropped or
 * adjusted to the maximum out-of-order policy value", learn.microsoft.com/azure/stream-analytics/event-ordering).
 * 30 s delays each minute's row by as much, well inside the 5-minute freshness SLA.
 */
export const OUT_OF_ORDER_SECONDS = 30;

/**
 * The job's definition (azure-native `StreamingJobArgs`): pure, so tests check the exact inputs. Every data source
 * uses the job's system-assigned identity (`authenticationMode: Msi`); nothing carries a key or a password.
 */
export function jobDefinition(e: JobEndpoints, cfg: StreamingConfig["streamAnalytics"]): JobDefinition {
  const sa = streamanalytics;
  return {
    sku: { name: sa.SkuName.Standard },
    identity: { type: "SystemAssigned" },
    jobType: sa.JobType.Cloud,
    compatibilityLevel: sa.CompatibilityLevel.CompatibilityLevel_1_2,
    dataLocale: "en-US",
    // Event time (the query's TIMESTAMP BY): reorder within OUT_OF_ORDER_SECONDS, accept events up to
    // lateArrivalSeconds late.
    eventsOutOfOrderPolicy: sa.EventsOutOfOrderPolicy.Adjust,
    eventsOutOfOrderMaxDelayInSeconds: OUT_OF_ORDER_SECONDS,
    eventsLateArrivalMaxDelayInSeconds: cfg.lateArrivalSeconds,
    // A row Event Hubs rejects stops the job (the freshness alert fires) rather than silently dropping a minute.
    outputErrorPolicy: sa.OutputErrorPolicy.Stop,
    // Query, checkpoints and logs in our own CMK-encrypted account, reached with the job's identity.
    contentStoragePolicy: sa.ContentStoragePolicy.JobStorageAccount,
    jobStorageAccount: { accountName: e.jobStorageAccountName, authenticationMode: sa.AuthenticationMode.Msi },
    inputs: [
      {
        name: INPUT_ALIAS,
        properties: {
          type: "Stream",
          datasource: {
            type: "Microsoft.EventHub/EventHub",
            serviceBusNamespace: e.eventHubNamespace,
            eventHubName: e.eventHubName,
            consumerGroupName: e.consumerGroupName,
            authenticationMode: sa.AuthenticationMode.Msi,
          },
          serialization: { type: "Json", encoding: sa.Encoding.UTF8 },
        },
      },
    ],
    transformation: { name: "Transformation", query: e.query, streamingUnits: restStreamingUnits(cfg.streamingUnits) },
    outputs: [
      {
        name: OUTPUT_ALIAS,
        datasource: {
          type: "Microsoft.EventHub/EventHub",
          serviceBusNamespace: e.eventHubNamespace,
          eventHubName: e.outputEventHubName,
          partitionKey: OUTPUT_PARTITION_KEY,
          authenticationMode: sa.AuthenticationMode.Msi,
        },
        // One JSON object per line; an event may carry several rows (the loader splits them).
        serialization: {
          type: "Json",
          encoding: sa.Encoding.UTF8,
          format: sa.JsonOutputSerializationFormat.LineSeparated,
        },
      },
    ],
  };
}

export interface StreamAnalyticsArgs {
  readonly context: StackContext;
  readonly resourceGroupName: pulumi.Input<string>;
  /** The group's Azure name (the job's resource id is built before the job exists). */
  readonly resourceGroupAzureName: string;
  readonly suffix: pulumi.Output<string>;
  readonly config: StreamingConfig["streamAnalytics"];
  readonly diagnosticSettings: DiagnosticSettingsTarget;
  /** Where the job storage's own private endpoint goes (operators reading job logs and checkpoints). */
  readonly privateEndpoints: PrivateEndpointTarget;
  /** The platform's storage key (the job storage account). */
  readonly storageKey: CustomerManagedKey;
  /** What the job reads (the api-logs hub through its consumer group) and where it writes (the api-performance hub). */
  readonly eventHubs: {
    readonly namespaceName: pulumi.Input<string>;
    readonly hubId: pulumi.Input<string>;
    readonly hubName: pulumi.Input<string>;
    readonly consumerGroupName: pulumi.Input<string>;
    readonly outputHubId: pulumi.Input<string>;
    readonly outputHubName: pulumi.Input<string>;
    /** The namespace's firewall (trusted services on): the job connects once it is in place. */
    readonly networkRules: pulumi.Resource;
  };
  readonly query: string;
  readonly protect: boolean;
  readonly tags: Tags;
}

export interface StreamAnalyticsResources {
  readonly job: streamanalytics.StreamingJob;
  readonly jobName: string;
  readonly jobPrincipalId: pulumi.Output<string>;
  readonly jobStorage: storage.StorageAccount;
  /** False on a new stack's first `up`: the job is created without its Event Hubs input and output (`endpointsReady`). */
  readonly endpointsConnected: pulumi.Output<boolean>;
}

/** One role of the job's identity (logical name `<component>-<logicalSuffix>-ra-<key>`). */
export interface JobGrant {
  readonly logicalSuffix: string;
  readonly key: string;
  readonly scope: pulumi.Input<string>;
  /** Built-in role GUID. */
  readonly role: string;
  readonly description: string;
}

/** What the job's identity is granted (pure): the hub it reads, the hub it writes, its own storage. */
export function jobGrants(
  jobName: string,
  on: {
    readonly inputHubId: pulumi.Input<string>;
    readonly outputHubId: pulumi.Input<string>;
    readonly jobStorageId: pulumi.Input<string>;
  },
): JobGrant[] {
  return [
    {
      logicalSuffix: "job-evh",
      key: "data-receiver",
      scope: on.inputHubId,
      role: BuiltInRoles.EventHubsDataReceiver,
      description: `Stream Analytics job ${jobName} reads the api-logs hub.`,
    },
    {
      logicalSuffix: "job-evh-perf",
      key: "data-sender",
      scope: on.outputHubId,
      role: BuiltInRoles.EventHubsDataSender,
      description: `Stream Analytics job ${jobName} writes its one-minute rows to the api-performance hub.`,
    },
    {
      logicalSuffix: "job-st",
      key: "blob-data-contributor",
      scope: on.jobStorageId,
      role: BuiltInRoles.StorageBlobDataContributor,
      description: `Stream Analytics job ${jobName} keeps its query, checkpoints and logs here.`,
    },
  ];
}

/** What Azure holds already, as `endpointsReady` asks it. */
export interface ExistingJobLookup {
  /**
   * The job as Azure holds it: its identity's principal id and its job storage account's name; undefined when Azure
   * has no such job (or no such group yet).
   */
  job(): Promise<{ readonly principalId?: string; readonly jobStorageAccountName?: string } | undefined>;
  /** Whether the job has its Event Hubs input already (`INPUT_ALIAS`). */
  hasInput(): Promise<boolean>;
  /** Whether the role assignment of that name exists on that scope. */
  hasAssignment(scope: string, name: string): Promise<boolean>;
}

/**
 * Whether the job's PUT may carry its Event Hubs input and output: the job exists and either has them already (one
 * way: a grant removed since fails the next `up` on Azure's validation, loudly, rather than a PUT without them
 * dropping them) or has every grant of its identity in place, each under the deterministic name `roleAssignment`
 * gives it. A job created by a first `up` that stopped before its grants stays without them, rather than failing
 * every later `up` on the same validation. A job on another job storage account than `jobStorageAccountName` is about
 * to be replaced (Azure cannot change a job's storage; `replaceOnChanges`): its successor has a new identity without
 * roles, so it is created bare too, and the next `up` completes it.
 */
export function endpointsReady(
  lookup: ExistingJobLookup,
  grants: readonly { readonly scope: pulumi.Input<string>; readonly role: pulumi.Input<string> }[],
  jobStorageAccountName: pulumi.Input<string>,
): pulumi.Output<boolean> {
  const allGranted = (principalId: string) =>
    pulumi
      .all(grants.map((g) => pulumi.all([g.scope, g.role])))
      .apply(async (pairs) =>
        (
          await Promise.all(
            pairs.map(([scope, role]) => lookup.hasAssignment(scope, roleAssignmentName(scope, principalId, role))),
          )
        ).every(Boolean),
      );
  const connected = (principalId: string) =>
    pulumi
      .output(lookup.hasInput())
      .apply((has): pulumi.Output<boolean> => (has ? pulumi.output(true) : allGranted(principalId)));
  // The wanted storage name is read only once a job exists (on a new stack its random suffix is not known yet).
  return pulumi.output(lookup.job()).apply((job): pulumi.Output<boolean> => {
    const principalId = job?.principalId;
    if (!principalId) return pulumi.output(false);
    return pulumi
      .output(jobStorageAccountName)
      .apply((wanted): pulumi.Output<boolean> =>
        job.jobStorageAccountName !== undefined && job.jobStorageAccountName !== wanted
          ? pulumi.output(false)
          : connected(principalId),
      );
  });
}

/** `ExistingJobLookup` against Azure (azure-native invokes: a GET each, during preview and `up` alike). */
export function azureJobLookup(resourceGroupName: string, jobName: string, parent: pulumi.Resource): ExistingJobLookup {
  return {
    job: async () => {
      const j = await deployedOrNone(() => streamanalytics.getStreamingJob({ resourceGroupName, jobName }, { parent }));
      return j && { principalId: j.identity?.principalId, jobStorageAccountName: j.jobStorageAccount?.accountName };
    },
    hasInput: async () =>
      (await deployedOrNone(() =>
        streamanalytics.getInput({ resourceGroupName, jobName, inputName: INPUT_ALIAS }, { parent }),
      )) !== undefined,
    hasAssignment: async (scope, roleAssignmentName) =>
      (await deployedOrNone(() => authorization.getRoleAssignment({ scope, roleAssignmentName }, { parent }))) !==
      undefined,
  };
}

/** The job's resource id, known before the job exists (the storage account's resource instance rule names it). */
export function jobResourceId(subscriptionId: string, resourceGroupName: string, jobName: string): string {
  return armResourceId(subscriptionId, resourceGroupName, "Microsoft.StreamAnalytics/streamingjobs", jobName);
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

  const jobName = context.name("streamAnalytics", "apiperf");
  const client = deployer();
  // Job storage: query, checkpoints and reference data, encrypted with the platform's storage key. The multi-tenant
  // job reaches it with its managed identity through a resource instance rule that names this job only: the
  // firewall denies everything else (no IP or VNet rule, no trusted services bypass), and people use the private
  // endpoint. A resource instance rule needs public network access "Enabled" with default action Deny
  // (learn.microsoft.com/azure/storage/common/storage-network-security-resource-instances; Stream Analytics is in
  // the trusted-access-by-managed-identity table of storage-network-security-trusted-azure-services).
  const jobStorage = hardenedStorageAccount(
    `${name}-st`,
    {
      accountName: context.globalName("storageAccount", args.suffix, "asa"),
      resourceGroupName: rg,
      location,
      sku: storage.SkuName.Standard_ZRS,
      customerManagedKey: cmk,
      firewall: {
        resourceInstances: [
          {
            tenantId: client.tenantId,
            resourceId: client.subscriptionId.apply((sub) => jobResourceId(sub, args.resourceGroupAzureName, jobName)),
          },
        ],
      },
      protect: args.protect,
      tags,
    },
    parent,
  );
  managementLock(
    `${name}-st`,
    jobStorage.id,
    lockFor(args.protect, "the Stream Analytics job storage"),
    parent,
    jobStorage,
  );
  // Soft delete for the job's query, checkpoints and logs, as every account of the platform (a deleted checkpoint
  // otherwise means a job restart from an arbitrary point).
  const blobService = new storage.BlobServiceProperties(
    `${name}-st-blob`,
    {
      accountName: jobStorage.name,
      resourceGroupName: rg,
      blobServicesName: "default",
      deleteRetentionPolicy: { enabled: true, days: 7 },
      containerDeleteRetentionPolicy: { enabled: true, days: 7 },
    },
    { parent },
  );
  // Its own private endpoint in the VNet: operators read job logs and checkpoints from inside the network, like
  // every other account of the platform. After the blob service settings: one operation on the account at a time.
  privateEndpoint(
    `${name}-st-blob`,
    {
      service: "storageBlob",
      targetId: jobStorage.id,
      targetName: jobStorage.name,
      target: args.privateEndpoints,
      tags,
      dependsOn: [blobService],
    },
    parent,
  );
  storageServiceDiagnostics(`${name}-st-blob`, jobStorage.id, "blob", args.diagnosticSettings, parent);

  const grants = jobGrants(jobName, {
    inputHubId: args.eventHubs.hubId,
    outputHubId: args.eventHubs.outputHubId,
    jobStorageId: jobStorage.id,
  });
  // Whether the job and its grants are in Azure already: only then does the PUT carry the Event Hubs input and output.
  const endpointsConnected = endpointsReady(
    azureJobLookup(args.resourceGroupAzureName, jobName, parent),
    grants.map((g) => ({ scope: g.scope, role: roleDefinitionId(g.role) })),
    jobStorage.name,
  );
  const { inputs, outputs, transformation, ...definition } = jobDefinition(
    {
      eventHubNamespace: args.eventHubs.namespaceName,
      eventHubName: args.eventHubs.hubName,
      consumerGroupName: args.eventHubs.consumerGroupName,
      outputEventHubName: args.eventHubs.outputHubName,
      jobStorageAccountName: jobStorage.name,
      query: args.query,
    },
    args.config,
  );
  const job = new streamanalytics.StreamingJob(
    `${name}-job`,
    {
      jobName,
      resourceGroupName: rg,
      location,
      ...definition,
      // Known (absent) during a new stack's first preview, even though the hubs' names are not known yet.
      inputs: endpointsConnected.apply((on) => (on ? pulumi.output(inputs) : pulumi.output(undefined))),
      outputs: endpointsConnected.apply((on) => (on ? pulumi.output(outputs) : pulumi.output(undefined))),
      // The query, kept in the job storage account, once the job's identity can write there (see the header).
      transformation: endpointsConnected.apply((on) => (on ? pulumi.output(transformation) : pulumi.output(undefined))),
      tags,
    },
    // The firewalls first (the job storage account admits the job as a resource instance).
    {
      parent,
      dependsOn: [args.eventHubs.networkRules, jobStorage],
      // Every start (stream:ops after an `up`, the dev schedule each morning) writes the mode and time it started
      // from onto the job (writable job properties, StreamingJobProperties in the Microsoft.StreamAnalytics spec); the
      // program never sets them, so a refresh would otherwise turn each start into a change: the nightly drift check
      // failing and every prod deploy stopping the job for nothing.
      ignoreChanges: ["outputStartMode", "outputStartTime"],
      // The job storage "must be configured at the time of Stream Analytics job creation, and it can't be modified
      // throughout the job's life cycle" (stream-analytics/data-protection.md): a new account (name) means a new job.
      // Same name, so the old one goes first; `endpointsReady` sees the old job on another account and creates the
      // new one bare, and the next `up` gives it its endpoints (docs/streaming.md).
      replaceOnChanges: ["jobStorageAccount.accountName", "contentStoragePolicy"],
      deleteBeforeReplace: true,
      // Deleting or replacing the job loses where it stood in the hub (a new job starts from its own start, not from
      // the old one's last output): in prod that takes lifting `protect` and the lock first, deliberately.
      protect: args.protect,
    },
  );
  managementLock(`${name}-job`, job.id, lockFor(args.protect, "the Stream Analytics job"), parent, job);
  const jobPrincipalId = job.identity.apply((i) => i?.principalId ?? "");
  // Execution and Authoring logs in AzureDiagnostics, the only table Stream Analytics writes besides AzureMetrics and
  // AzureActivity (azure-docs stream-analytics/monitor-azure-stream-analytics-reference.md); a `Dedicated` request
  // reads back unset (Azure/azure-rest-api-specs#9281). The watermark alert reads AzureMetrics.
  diagnosticSetting(`${name}-job`, job.id, { ...args.diagnosticSettings, destination: "AzureDiagnostics" }, parent);

  // The job's identity: reads api-logs (Data Receiver on that hub only), writes api-performance (Data Sender on that
  // hub only) and its own storage (Blob Data Contributor). Then the wait for them to take effect, so that the `up`
  // that follows a new stack's first one finds them working when it gives the job its Event Hubs input and output.
  const assignments = grants.map((g) =>
    roleAssignment(
      `${name}-${g.logicalSuffix}`,
      g.scope,
      {
        key: g.key,
        principalId: jobPrincipalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: g.role,
        description: g.description,
      },
      parent,
    ),
  );
  grantsPropagation(`${name}-job-grants-propagation`, assignments, parent);

  return { job, jobName, jobPrincipalId, jobStorage, endpointsConnected };
}
