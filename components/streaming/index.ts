/**
 * Streaming tier (flow 3: API performance in Synapse within 5 minutes, every store private and identity-only):
 *
 *   Cosmos DB api_logs ──change feed (leases container)──▶ relay function (streaming app: Flex, VNet-integrated,
 *     private endpoint) ──Event Hubs output binding, Entra (Data Sender on the hub)──▶ Event Hubs api-logs (private
 *     endpoint, no SAS, CMK on Premium) ──consumer group stream-analytics, trusted services exception, job identity
 *     (Data Receiver)──▶ Stream Analytics job (pipelines/streaming/apiPerformance.asaql: 1-minute tumbling windows per
 *     merchant, method and endpoint) ──trusted services exception, job identity (Data Sender)──▶ Event Hubs
 *     api-performance ──consumer group synapse-loader (Data Receiver)──▶ Synapse loader function (same app, through
 *     the OLAP tier's private endpoint, Entra token, database user from pipelines/sql/15)──▶
 *   Synapse dedicated pool dbo.Fact_API_Performance
 *
 * Alerts (log queries over the job's exported metrics): output watermark delay > 5 minutes, and no row written for
 * `freshnessMinutes`.
 * Why this shape, its cost and its residual risks: docs/streaming.md.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CosmosContainerKey, StreamingConfig } from "../../lib/config";
import { readQuery } from "../../pipelines/streaming/query";
import { cosmosConnectionSettings } from "../ingestion";
import type { CosmosDataGrant, CosmosMetadataGrant } from "../nosql/settings";
import {
  BuiltInRoles,
  functionApp,
  functionPackageWriterRole,
  roleAssignment,
  type CustomerManagedKey,
  type DiagnosticSettingsTarget,
  type FunctionAppResources,
  type IntegrationSubnet,
  type LinkToMonitorScope,
  type ManagedIdentity,
  type PrivateEndpointTarget,
  type StackContext,
  type Tags,
  workloadIdentity,
} from "../shared";
import { API_LOGS_HUB, API_PERFORMANCE_HUB, eventHubs } from "./eventHubs";
import type { AlertSeverity } from "../operations/routing";
import { freshnessAlert } from "./freshness";
import { streamAnalytics } from "./streamAnalytics";
import { watermarkAlert } from "./freshness";

export {
  API_LOGS_HUB,
  API_PERFORMANCE_HUB,
  ASA_CONSUMER_GROUP,
  LOADER_CONSUMER_GROUP,
  namespaceSku,
  partitionCountConflicts,
} from "./eventHubs";
export { freshnessQuery, LOADER_LOG_PREFIX } from "./freshness";
export {
  endpointsReady,
  jobDefinition,
  jobGrants,
  jobResourceId,
  type ExistingJobLookup,
  OUTPUT_PARTITION_KEY,
  restStreamingUnits,
} from "./streamAnalytics";
export { WATERMARK_METRIC, watermarkQuery } from "./freshness";

/** The fact the job appends to (pipelines/model/olap.ts, stream mapping). */
export const FACT_TABLE = "dbo.Fact_API_Performance";
/** The streaming SLA: rows in Synapse within 5 minutes of the API call. */
export const WATERMARK_SLA_SECONDS = 300;
/** The relay function's name (pipelines/functions/src/functions/changeFeedRelay.ts). */
export const RELAY_FUNCTION = "relayApiLogs";
/** The Synapse loader function's name (pipelines/functions/src/functions/apiPerformanceLoader.ts). */
export const LOADER_FUNCTION = "loadApiPerformance";
/** The app role that registers both (pipelines/functions/src/index.ts). */
export const STREAMING_APP_ROLE = "streaming";

/** Cosmos DB access of the relay: it reads the api_logs change feed and writes its leases. */
export const RELAY_CONTAINER_ACCESS: Readonly<Record<"DataReader" | "DataContributor", readonly CosmosContainerKey[]>> =
  {
    DataReader: ["apiLogs"],
    DataContributor: ["leases"],
  };

/**
 * Azure name of the streaming app's identity: also its Entra display name, hence the Synapse database user of
 * pipelines/sql/15_olap_streaming_access.sql (`StreamingPrincipalName`, the factory's `streamingPrincipalName`).
 */
export function streamingIdentityName(context: StackContext): string {
  return context.name("userAssignedIdentity", "relay");
}

/** Identity-based Event Hubs settings of the `EventHubs` connection (Functions Event Hubs extension >= 5). */
export function eventHubsConnectionSettings(fullyQualifiedNamespace: string, clientId: string): Record<string, string> {
  return {
    EventHubs__fullyQualifiedNamespace: fullyQualifiedNamespace,
    EventHubs__credential: "managedidentity",
    EventHubs__clientId: clientId,
  };
}

export interface StreamingArgs {
  /** Names, tags and the validated stack config. */
  readonly context: StackContext;
  /** Resource group of the tier (the platform's `integration` group). */
  readonly resourceGroupName: pulumi.Input<string>;
  /**
   * That group's Azure name, known before the group exists: the job storage's firewall names the job by resource id,
   * and a known id keeps the rule checkable on the first preview.
   */
  readonly resourceGroupAzureName: string;
  /** The stack's random suffix (globally unique names). */
  readonly suffix: pulumi.Output<string>;
  /** The validated `streaming` section of the stack config. */
  readonly streaming: StreamingConfig;
  /** The Flex Consumption integration subnet (delegated to Microsoft.App/environments), joined one app at a time. */
  readonly functionsSubnet: IntegrationSubnet;
  readonly privateEndpoints: PrivateEndpointTarget;
  readonly diagnosticSettings: DiagnosticSettingsTarget;
  readonly linkToMonitorScope: LinkToMonitorScope;
  /** The platform's customer-managed keys: `eventHubs` (Premium namespace) and `storage` (the job's storage). */
  readonly keys: { readonly eventHubs: CustomerManagedKey; readonly storage: CustomerManagedKey };
  /** The Cosmos DB account the relay reads. */
  readonly cosmos: {
    readonly endpoint: pulumi.Input<string>;
    readonly databaseName: pulumi.Input<string>;
    readonly containerNames: Readonly<Record<CosmosContainerKey, pulumi.Input<string>>>;
  };
  /**
   * Grants the relay's identity a Cosmos DB data-plane role on some containers (the NoSQL tier's `grantDataAccess`,
   * which serialises every grant on the account); the app starts after these grants.
   */
  readonly grantCosmosAccess: CosmosDataGrant;
  /**
   * Grants the relay's identity `readMetadata` on the account only (the NoSQL tier's `grantMetadataRead`): the change
   * feed processor reads database metadata, which container-scoped grants do not cover.
   */
  readonly grantCosmosMetadataRead: CosmosMetadataGrant;
  /** The Synapse workspace and dedicated pool the loader writes to. */
  readonly synapse: {
    readonly sqlEndpoint: pulumi.Input<string>;
    readonly sqlPoolName: pulumi.Input<string>;
    /**
     * The OLAP tier's private endpoint (and DNS record) of the workspace's SQL endpoint: the loader resolves the
     * workspace to it, so the app starts after it.
     */
    readonly privateDns: readonly pulumi.Resource[];
  };
  /** Where both alerts go (the platform's on-call action group for now). */
  readonly actionGroupId: pulumi.Input<string>;
  /** Pulumi `protect` on the stateful resources (the namespace and the job storage). */
  readonly protect?: boolean;
  /**
   * The job sleeps outside working hours (`olap.pauseSchedule.alsoStop`, dev): its freshness alert, silenced then,
   * is stateless so that it pages again once the silenced window ends.
   */
  readonly sleepsOffHours?: boolean;
  /**
   * The freshness alert's severity and action group where a gap during working hours is expected, so Sev1 (the
   * default, with `actionGroupId`) would page for it: in a stack whose dedicated pool stays paused until someone
   * resumes it (dev: `olap.pauseSchedule.resumePool: false`), the loader cannot insert while the job runs.
   */
  readonly freshnessAlert?: {
    readonly severity: AlertSeverity;
    readonly actionGroupId: pulumi.Input<string>;
    /** Quiet time after each notification (stateless alert): a day's expected gap notifies once. */
    readonly muteActionsDuration?: string;
  };
  readonly tags?: Tags;
}

export class Streaming extends pulumi.ComponentResource {
  /** The streaming app's user-assigned identity (relay and loader). */
  public readonly relayIdentity: ManagedIdentity;
  /** Its Synapse database user (`$(StreamingPrincipalName)` of pipelines/sql/15_olap_streaming_access.sql). */
  public readonly loaderDatabaseUserName: string;
  /** The streaming function app: the change-feed relay and the Synapse loader. */
  public readonly relay: FunctionAppResources;
  public readonly eventHubsNamespaceName: pulumi.Output<string>;
  public readonly eventHubName: pulumi.Output<string>;
  public readonly outputEventHubName: pulumi.Output<string>;
  public readonly jobName: string;
  public readonly jobId: pulumi.Output<string>;
  public readonly jobPrincipalId: pulumi.Output<string>;
  /**
   * Whether the job carries its Event Hubs input and output: false after a new stack's first `up`, which creates the
   * job and its grants first; the next `up` adds them (components/streaming/streamAnalytics.ts).
   */
  public readonly jobEndpointsConnected: pulumi.Output<boolean>;
  /** The freshness alert (no row loaded for `freshnessMinutes`): what a stopped job or app fires. */
  public readonly freshnessAlertId: pulumi.Output<string>;

  constructor(name: string, args: StreamingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("payments:streaming:Streaming", name, {}, opts);
    const { context, streaming: cfg } = args;
    const rg = args.resourceGroupName;
    const protect = args.protect ?? false;
    // API logs carry merchant ids, routes and status codes only (no card data): PCI "connected", confidential.
    const tags =
      args.tags ?? context.tags({ dataClassification: "confidential", pciScope: "connected", component: "streaming" });

    // --- Event Hubs --------------------------------------------------------------------------------------------
    const hubs = eventHubs(
      name,
      {
        context,
        resourceGroupName: rg,
        suffix: args.suffix,
        config: cfg.eventHubs,
        privateEndpoints: args.privateEndpoints,
        diagnosticSettings: args.diagnosticSettings,
        customerManagedKey: args.keys.eventHubs,
        protect,
        tags,
      },
      this,
    );

    // --- Relay function: its identity first, granted before the app starts ------------------------------------
    const identityName = streamingIdentityName(context);
    const { id, principalId, clientId } = workloadIdentity(
      `${name}-id-relay`,
      {
        resourceName: identityName,
        resourceGroupName: rg,
        location: context.config.location,
        tags,
        protect,
        what: "the identity of the change-feed relay",
      },
      this,
    );
    const relayIdentity = { id, principalId, clientId };
    const cosmosGrants = (["DataReader", "DataContributor"] as const).flatMap((role) =>
      args.grantCosmosAccess(role, {
        key: "streaming-relay",
        principalId: relayIdentity.principalId,
        containers: RELAY_CONTAINER_ACCESS[role],
      }),
    );
    cosmosGrants.push(args.grantCosmosMetadataRead({ key: "streaming-relay", principalId: relayIdentity.principalId }));
    const senderGrant = roleAssignment(
      `${name}-relay-evh`,
      hubs.hub.id,
      {
        key: "data-sender",
        principalId: relayIdentity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: BuiltInRoles.EventHubsDataSender,
        description: "The change-feed relay sends API log events to the api-logs hub.",
      },
      this,
    );
    const receiverGrant = roleAssignment(
      `${name}-loader-evh`,
      hubs.outputHub.id,
      {
        key: "data-receiver",
        principalId: relayIdentity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: BuiltInRoles.EventHubsDataReceiver,
        description: "The Synapse loader reads the job's one-minute rows from the api-performance hub.",
      },
      this,
    );
    const setting = <T extends Record<string, string>>(
      make: (a: string, b: string) => T,
      a: pulumi.Input<string>,
      b: pulumi.Input<string>,
    ) =>
      Object.fromEntries(
        Object.keys(make("a", "b")).map((k) => [k, pulumi.all([a, b]).apply(([x, y]) => make(x, y)[k])]),
      );
    this.relay = functionApp(
      `${name}-relay`,
      {
        context,
        qualifier: "relay",
        resourceGroupName: rg,
        suffix: args.suffix,
        identity: relayIdentity,
        plan: {
          instanceMemoryMB: cfg.relay.instanceMemoryMB,
          maximumInstanceCount: cfg.relay.maximumInstanceCount,
          alwaysReady: [
            { name: `function:${RELAY_FUNCTION}`, instanceCount: cfg.relay.alwaysReady },
            { name: `function:${LOADER_FUNCTION}`, instanceCount: cfg.relay.loaderAlwaysReady },
          ],
          zoneRedundant: cfg.relay.zoneRedundant,
        },
        integrationSubnet: args.functionsSubnet,
        privateEndpoints: args.privateEndpoints,
        diagnosticSettings: args.diagnosticSettings,
        linkToMonitorScope: args.linkToMonitorScope,
        // Host storage: packages and host state only (leases live in Cosmos DB); the platform's storage key.
        customerManagedKey: args.keys.storage,
        protect,
        // The group's package writer role, granted by the deploy workflow for a ship only.
        packageWriter: functionPackageWriterRole(name, { context, resourceGroupName: rg, tier: "streaming" }, this),
        appSettings: {
          FUNCTIONS_APP_ROLE: STREAMING_APP_ROLE,
          ...setting(cosmosConnectionSettings, args.cosmos.endpoint, relayIdentity.clientId),
          COSMOS_DATABASE: args.cosmos.databaseName,
          COSMOS_CONTAINER_API_LOGS: args.cosmos.containerNames.apiLogs,
          COSMOS_CONTAINER_LEASES: args.cosmos.containerNames.leases,
          ...setting(eventHubsConnectionSettings, hubs.fullyQualifiedNamespace, relayIdentity.clientId),
          EVENT_HUB_NAME: hubs.hub.name,
          EVENT_HUB_OUTPUT_NAME: hubs.outputHub.name,
          EVENT_HUB_LOADER_CONSUMER_GROUP: hubs.loaderConsumerGroup.name,
          SYNAPSE_SQL_ENDPOINT: args.synapse.sqlEndpoint,
          SYNAPSE_SQL_POOL: args.synapse.sqlPoolName,
        },
        // The triggers and the binding connect at start-up: grants and the private DNS of the namespace and the
        // Synapse workspace first.
        dependsOn: [...cosmosGrants, senderGrant, receiverGrant, hubs.privateDns, ...args.synapse.privateDns],
        tags,
      },
      this,
    );

    // --- Stream Analytics ----------------------------------------------------------------------------------------
    const asa = streamAnalytics(
      name,
      {
        context,
        resourceGroupName: rg,
        resourceGroupAzureName: args.resourceGroupAzureName,
        suffix: args.suffix,
        config: cfg.streamAnalytics,
        diagnosticSettings: args.diagnosticSettings,
        privateEndpoints: args.privateEndpoints,
        storageKey: args.keys.storage,
        eventHubs: {
          namespaceName: hubs.namespace.name,
          hubId: hubs.hub.id,
          hubName: hubs.hub.name,
          consumerGroupName: hubs.consumerGroup.name,
          outputHubId: hubs.outputHub.id,
          outputHubName: hubs.outputHub.name,
          networkRules: hubs.networkRules,
        },
        query: readQuery(),
        protect,
        tags,
      },
      this,
    );
    watermarkAlert(
      name,
      {
        context,
        resourceGroupName: rg,
        workspaceId: args.diagnosticSettings.workspaceId,
        subject: asa.job.id,
        jobName: asa.jobName,
        seconds: WATERMARK_SLA_SECONDS,
        actionGroupId: args.actionGroupId,
        tags,
      },
      this,
    );
    const freshness = freshnessAlert(
      name,
      {
        context,
        resourceGroupName: rg,
        workspaceId: args.diagnosticSettings.workspaceId,
        subject: this.relay.name,
        functionName: LOADER_FUNCTION,
        minutes: cfg.freshnessMinutes,
        table: FACT_TABLE,
        sleepsOffHours: args.sleepsOffHours,
        actionGroupId: args.freshnessAlert?.actionGroupId ?? args.actionGroupId,
        severity: args.freshnessAlert?.severity,
        muteActionsDuration: args.freshnessAlert?.muteActionsDuration,
        tags,
      },
      this,
    );

    this.relayIdentity = relayIdentity;
    this.loaderDatabaseUserName = identityName;
    this.eventHubsNamespaceName = hubs.namespace.name;
    this.eventHubName = pulumi.output(API_LOGS_HUB);
    this.outputEventHubName = pulumi.output(API_PERFORMANCE_HUB);
    this.jobName = asa.jobName;
    this.jobId = asa.job.id;
    this.jobPrincipalId = asa.jobPrincipalId;
    this.jobEndpointsConnected = asa.endpointsConnected;
    this.freshnessAlertId = freshness.id;
    this.registerOutputs({
      relay: this.relay.name,
      eventHubsNamespace: this.eventHubsNamespaceName,
      jobName: this.jobName,
      jobId: this.jobId,
    });
  }
}
