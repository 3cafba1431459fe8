/**
 * The payments data platform, one stack program: read and validate the stack's config, build the platform base,
 * then each tier on top of it. Every tier is a ComponentResource in components/; the shared Azure interfaces
 * (private endpoints, diagnostics, customer-managed keys, identities, role assignments, locks, tags) live in
 * components/shared/ and every tier receives them filled in by `platform.dataServiceArgs(...)`.
 *
 *   Ingestion (App Gateway WAF_v2 → payment API / fraud scoring functions)
 *   Operations: SLA and infrastructure alerts by priority · workbooks · Sentinel · budget · subscription governance
 *   Streaming (api_logs change feed → relay function → Event Hubs → Stream Analytics → Event Hubs → loader → Synapse)
 *   ETL (Data Factory: managed VNet, managed private endpoints to every store, identity-only linked services)
 *   OLAP (ADLS Gen2 lake + Synapse dedicated pool) · ML (Azure ML: fraud model training and private scoring)
 *   OLTP (Azure SQL) · NoSQL (Cosmos DB)
 *   ───────────────────────────────────────────────────────────────────────────────────────────────────
 *   Platform: network · private DNS · Key Vault + CMK keys · identities · Log Analytics · Entra groups · alerts
 */
import { Ml } from "./components/ml";
import { Ingestion, identityName } from "./components/ingestion";
import { Etl, ETL_COSMOS_CONTAINERS, etlIdentityName, offHoursOf } from "./components/etl";
import { NoSql } from "./components/nosql";
import { Olap } from "./components/olap";
import { Oltp } from "./components/oltp";
import { actionGroupFor, Operations } from "./components/operations";
import { Platform } from "./components/platform";
import { Streaming, streamingIdentityName } from "./components/streaming";
import * as pulumi from "@pulumi/pulumi";
import { stackContext } from "./components/shared";
import { loadConfig } from "./lib/config";
import { offHoursQuietMinutes } from "./lib/offHours";
import { generateAdfDefinitions } from "./pipelines/etl";

// Config first: every key is validated before any resource is registered.
const config = loadConfig();
const context = stackContext(config);

// Platform base.
const platform = new Platform("platform", { context });

// OLTP: the payments database (Azure SQL); prod adds a geo-secondary in the paired region behind a failover group.
const oltp = new Oltp("oltp", {
  ...platform.dataServiceArgs("sql"),
  sql: config.sql,
  entraAdmin: {
    // The database admins group (the ETL deployment identity is a member), not the platform admins, who hold the keys.
    objectId: platform.groupObjectIds.databaseAdmins,
    login: platform.groupDisplayNames.databaseAdmins,
    tenantId: platform.tenantId,
  },
  securityAlertEmails: config.alertEmails,
  // With sql.archiveTriggerAudit: the fraud scorer's SQL trigger batches are audited to an immutable account.
  triggerAuditArchive: {
    databaseUser: identityName(context, "fraudScoring"),
    storageKey: platform.customerManagedKeys.storage,
  },
});

// NoSQL: API logs, sessions, fraud features, webhook events (Cosmos DB). Data engineers read (queries, change
// feed); the ingestion, streaming and ETL tiers grant their own identities below (`nosql.grantDataAccess`).
const nosql = new NoSql("nosql", {
  ...platform.dataServiceArgs("cosmos"),
  cosmos: config.cosmos,
  dataReaders: [
    { key: "data-engineers", principalId: platform.groupObjectIds.dataEngineers },
    // The fraud/ML team reads the online feature store only (training jobs read it with the submitting user's identity).
    { key: "fraud-ml", principalId: platform.groupObjectIds.fraudMl, containers: ["fraudFeatures"] },
  ],
  dataContributors: [],
});

// OLAP: the data lake (ADLS Gen2) and the Synapse workspace with its dedicated SQL pool. The workspace identity
// writes the lake; data engineers read it and, where the pool pauses outside working hours (dev), pause and resume
// it. The ETL tier grants its own identity through olap.grantLakeAccess / olap.grantPoolOperator.
const olap = new Olap("olap", {
  ...platform.dataServiceArgs("synapse"),
  olap: config.olap,
  lakeCustomerManagedKey: platform.customerManagedKeys.storage,
  sqlAdmin: { objectId: platform.groupObjectIds.databaseAdmins, login: platform.groupDisplayNames.databaseAdmins },
  tenantId: platform.tenantId,
  analystsGroupName: platform.groupDisplayNames.analysts,
  lakeReaders: [{ key: "data-engineers", principalId: platform.groupObjectIds.dataEngineers, principalType: "Group" }],
  poolOperators: config.olap.pauseSchedule
    ? [{ key: "data-engineers", principalId: platform.groupObjectIds.dataEngineers, principalType: "Group" }]
    : [],
  securityAlertEmails: config.alertEmails,
});

// ML: the fraud model's Azure ML workspace (managed network with a private endpoint to fraud_features), its training
// cluster and the private fraud-scoring endpoint. The ingestion tier's scoring function gets only score/action on it
// (`ml.grantScoring(...)`).
const ml = new Ml("ml", {
  ...platform.dataServiceArgs("ml", "ml"),
  ml: config.ml,
  resourceGroupId: platform.resourceGroups.ml.id,
  tenantId: platform.tenantId,
  linkToMonitorScope: (name, id, parent) => platform.linkToMonitorScope(name, id, parent),
  keyVaultAdminsGroupId: platform.groupObjectIds.platformAdmins,
  alertRouting: platform.alertRouting,
  // The managed network adds a private endpoint to the Cosmos DB account: only once the NoSQL tier's operations on
  // that account are done (Cosmos DB serialises them; a concurrent one fails with 412). Depending on the component
  // covers its children registered later too (the ingestion grants below): the SDK expands it to the component's
  // children when it prepares the workspace, after this program's synchronous part has run.
  featureStore: { accountId: nosql.accountId, after: [nosql] },
  dataScientistsGroupId: platform.groupObjectIds.fraudMl,
});

/** The Application Gateway's subnet: the gateway is deployed in it, and starting the gateway joins it (off hours). */
const appGatewaySubnetId = platform.subnetIds.appGateway as pulumi.Output<string>;

// Ingestion (flow 1): merchants → Application Gateway WAF_v2 → payment API function (INSERT dbo.Payment, api_logs)
// → SQL change tracking → fraud scoring function (features → score → fraud_features cards, webhook_events); the
// merchant refresh (same app, every minute) writes merchant features.
const ingestion = new Ingestion("ingestion", {
  context,
  resourceGroupName: platform.resourceGroups.ingestion.name,
  suffix: platform.suffix,
  ingestion: config.ingestion,
  subnets: {
    appGateway: appGatewaySubnetId,
    functions: platform.flexFunctionsSubnet,
  },
  privateEndpoints: platform.privateEndpointTarget,
  // With merchant authentication only the gateway and the deploy runners reach the payment API's endpoint.
  paymentApiEndpointAsgId: platform.paymentApiEndpointAsgId,
  diagnosticSettings: platform.diagnostics,
  linkToMonitorScope: (name, id, parent) => platform.linkToMonitorScope(name, id, parent),
  // The apps' host storage under the platform's storage key, as the streaming app's.
  storageKey: platform.customerManagedKeys.storage,
  keyVault: { ...platform.keyVault, reachable: platform.keyVaultReachable },
  // The failover group listener when there is one: it follows a failover to the secondary.
  sql: { serverFqdn: oltp.failoverGroupListenerFqdn ?? oltp.serverFqdn, databaseName: oltp.databaseName },
  cosmos: { endpoint: nosql.documentEndpoint, databaseName: nosql.databaseName, containerNames: nosql.containerNames },
  // The ML tier's private scoring endpoint; the scorer's identity gets score/action on it and nothing else.
  fraudScoringEndpoint: { scoringUri: ml.scoringEndpoint.scoringUri, grantScoring: (p) => ml.grantScoring(p) },
  // Each app gets only the item actions its code performs, per container (custom item-level roles: CONTAINER_ACCESS in
  // components/ingestion/settings.ts) and reads the account's metadata, through the NoSQL tier's serialised grants;
  // the apps start after them.
  grantCosmosAccess: (role, principal) => nosql.grantDataAccess(role, principal),
  grantCosmosMetadataRead: (principal) => nosql.grantMetadataRead(principal),
  // Its one alert (merchant features going stale) is Sev2: the P2 group.
  alerts: {
    actionGroupId: actionGroupFor(platform.alertRouting, 2),
    sleepsOffHours: config.olap.pauseSchedule?.alsoStop.includes("fraudScoring"),
  },
});
// Streaming (flow 3): api_logs change feed → relay function → Event Hubs → Stream Analytics (trusted services, no
// cluster) → Event Hubs → loader function → Synapse Fact_API_Performance, under 5 minutes; the relay's Cosmos DB
// access goes through the NoSQL tier's serialised grants (read api_logs, write leases).
const streaming = new Streaming("streaming", {
  context,
  resourceGroupName: platform.resourceGroups.integration.name,
  resourceGroupAzureName: platform.resourceGroups.integration.azureName,
  suffix: platform.suffix,
  streaming: config.streaming,
  functionsSubnet: platform.flexFunctionsSubnet,
  privateEndpoints: platform.privateEndpointTarget,
  diagnosticSettings: platform.diagnostics,
  linkToMonitorScope: (name, id, parent) => platform.linkToMonitorScope(name, id, parent),
  keys: { eventHubs: platform.customerManagedKeys.eventHubs, storage: platform.customerManagedKeys.storage },
  cosmos: { endpoint: nosql.documentEndpoint, databaseName: nosql.databaseName, containerNames: nosql.containerNames },
  grantCosmosAccess: (role, principal) => nosql.grantDataAccess(role, principal),
  grantCosmosMetadataRead: (principal) => nosql.grantMetadataRead(principal),
  // The loader reaches the pool through the OLAP tier's private endpoint: the app starts once the tier is in place.
  synapse: { sqlEndpoint: olap.dedicatedSqlEndpoint, sqlPoolName: olap.sqlPoolName, privateDns: [olap] },
  // Both of its alerts (watermark delay, freshness) are Sev1: they page the P1 group; where the pool sleeps until
  // someone resumes it (dev), no row loaded during the day is expected, and freshness is Sev3 (P3), not a page.
  actionGroupId: actionGroupFor(platform.alertRouting, 1),
  sleepsOffHours: config.olap.pauseSchedule?.alsoStop.includes("streamingJob"),
  freshnessAlert:
    config.olap.pauseSchedule && !config.olap.pauseSchedule.resumePool
      ? // Quiet for a day after it notifies: one e-mail a working day while the pool sleeps. Azure takes only 5, 10, 15,
        // 30, 45, 60, 120, 180, 240, 300, 360, 1440 or 2880 minutes ("MuteActionsDuration … Supported values are",
        // Azure/azure-cli#22055): 12 hours is refused.
        { severity: 3, actionGroupId: actionGroupFor(platform.alertRouting, 3), muteActionsDuration: "P1D" }
      : undefined,
  protect: config.protectStatefulResources,
});

// Minutes after each off-hours target starts before its alerts mean something again (lib/offHours.ts, which the
// config's cross-key checks use to refuse a schedule whose silenced window does not fit the day).
const offHoursQuiet = offHoursQuietMinutes(config.streaming.freshnessMinutes);

// ETL (flow 2): Data Factory in the integration resource group, private (managed VNet, managed private endpoints to
// each store, approved after `pulumi up` by scripts in the deploy workflow) and identity-only (one user-assigned
// identity behind every linked service). Each managed endpoint adds a connection to its target: it waits for the
// target tier's operations (Storage, Synapse and Cosmos DB run one at a time), and for the ML workspace's own
// endpoint to the Cosmos DB account.
const etl = new Etl("etl", {
  ...platform.dataServiceArgs("dataFactory", "integration"),
  etl: config.etl,
  targets: {
    // The failover group listener when there is one: it follows a failover (a managed endpoint goes to each server).
    oltp: {
      server: oltp.failoverGroupListenerFqdn ?? oltp.serverFqdn,
      database: oltp.databaseName,
      servers: [
        oltp.serverFqdn,
        ...(oltp.secondaryServerName ? [pulumi.interpolate`${oltp.secondaryServerName}.database.windows.net`] : []),
      ],
    },
    warehouse: { server: olap.dedicatedSqlEndpoint, database: olap.sqlPoolName },
    lake: { url: olap.lakeDfsEndpoint },
    cosmos: { accountEndpoint: nosql.documentEndpoint, database: nosql.databaseName },
  },
  managedEndpoints: {
    oltpSql: { resourceId: oltp.serverId, after: [oltp] },
    ...(oltp.secondaryServerId ? { oltpSqlSecondary: { resourceId: oltp.secondaryServerId, after: [oltp] } } : {}),
    warehouseSql: { resourceId: olap.workspaceId, after: [olap] },
    lakeDfs: { resourceId: olap.lakeAccountId, after: [olap] },
    lakeBlob: { resourceId: olap.lakeAccountId, after: [olap] },
    cosmosSql: { resourceId: nosql.accountId, after: [nosql, ml] },
  },
  // The pipelines, datasets and triggers generated from the data model (pipelines/etl/, committed in pipelines/adf/),
  // with dev's pool pause/resume schedule; and the values of the global parameters they read.
  definitions: generateAdfDefinitions(undefined, { poolPauseSchedule: config.olap.pauseSchedule }),
  // Dev: what sleeps with the pool outside working hours (olap.pauseSchedule.alsoStop), and the alerts its stop fires.
  offHours: offHoursOf(
    config.olap.pauseSchedule,
    {
      fraudScoring: {
        resourceId: ingestion.fraudScoring.app.id,
        alertRuleIds: [ingestion.merchantRefreshAlertId, ingestion.scorerStalledAlertId].filter(
          (id): id is pulumi.Output<string> => id !== undefined,
        ),
        quietMinutes: offHoursQuiet.fraudScoring,
      },
      streamingJob: {
        resourceId: streaming.jobId,
        alertRuleIds: [streaming.freshnessAlertId],
        quietMinutes: offHoursQuiet.streamingJob,
      },
      // A stopped gateway reports no metrics and writes no access logs: its alerts have nothing to fire on.
      gateway: {
        resourceId: ingestion.gatewayId,
        alertRuleIds: [],
        quietMinutes: offHoursQuiet.gateway,
        // The subnet the gateway is deployed in (the same value Ingestion is given).
        joinedSubnetId: appGatewaySubnetId,
      },
    },
    [platform.logAnalytics.id],
  ),
  globalParameterValues: {
    lakeDfsEndpoint: olap.lakeDfsEndpoint.apply((u) => u.replace(/\/$/, "")),
    lakeRawFileSystem: olap.fileSystemNames.raw,
    etlPrincipalName: etlIdentityName(context),
    streamingPrincipalName: streamingIdentityName(context),
    analystsPrincipalName: platform.groupDisplayNames.analysts,
    alwaysEncryptedColumnMasterKeyId: platform.alwaysEncryptedKey.keyUriWithVersion,
    sqlPoolResourceId: olap.sqlPoolId,
  },
  sqlAdminGroupObjectId: platform.groupObjectIds.databaseAdmins,
});
// The ETL identity's least roles: write the lake, write the Cosmos DB containers the erasure touches, run in the
// pool's ETL workload group, and (where the pool pauses) pause and resume it. SQL rights: pipelines/sql/*_etl_access.sql
// with EtlPrincipalName = etlDatabaseUserName.
const etlGrantee = {
  key: "adf-etl",
  principalId: etl.identity.principalId,
  principalType: "ServicePrincipal",
} as const;
// The raw file system only: extraction and the erasure write there; COPY INTO runs as the workspace's identity.
olap.grantLakeAccess(etlGrantee, "contributor", "raw");
if (config.olap.pauseSchedule) olap.grantPoolOperator(etlGrantee);
if (!config.olap.workloadIsolation.etl.memberName) olap.classifyEtlIdentity(etl.databaseUserName);
olap.classifyStreamLoader(streaming.loaderDatabaseUserName);
nosql.grantDataAccess("DataContributor", {
  key: "adf-etl",
  principalId: etl.identity.principalId,
  containers: ETL_COSMOS_CONTAINERS,
});
nosql.grantMetadataRead({ key: "adf-etl", principalId: etl.identity.principalId });

// Operations: the seed's SLA table as alerts (one row per tier signal), each tier's infrastructure alerts routed by
// severity to the platform's P1/P2/P3 action groups, the four dashboards, Sentinel, the budget and (in the owning
// stack) the subscription-wide governance. A tier that lands later joins with one line here.
const operations = new Operations("operations", {
  context,
  resourceGroupName: platform.resourceGroups.monitoring.name,
  workspace: platform.logAnalytics,
  routing: platform.alertRouting,
  // The platform's groups, and the SQL geo-secondary's in the secondary region.
  resourceGroups: [
    ...Object.values(platform.resourceGroups),
    ...(oltp.secondaryResourceGroup ? [oltp.secondaryResourceGroup] : []),
  ],
  keyVaults: { main: platform.keyVault.id, cosmos: platform.cosmosKeyVault.id, ml: platform.mlKeyVault.id },
  firewall: config.enableFirewall,
  oltp: {
    databaseIds: [oltp.databaseId, ...(oltp.secondaryDatabaseId ? [oltp.secondaryDatabaseId] : [])],
  },
  nosql: { accountId: nosql.accountId, serverless: config.cosmos.serverless, multiRegion: config.cosmos.multiRegion },
  olap: { sqlPoolId: olap.sqlPoolId, lakeAccountId: olap.lakeAccountId },
  ingestion: { gatewayId: ingestion.gatewayId },
  etl: { factoryId: etl.factoryId, ...(etl.olapLoad ? { olapLoad: etl.olapLoad } : {}) },
  streaming: { streamingJobId: streaming.jobId },
  // The groups' package writer roles (one for the ingestion apps, one for the relay); none with functionPackageWrites always.
  functionPackageWriterRoleIds: [ingestion.paymentApi.packageWriterRoleId, streaming.relay.packageWriterRoleId].filter(
    (id): id is pulumi.Output<string> => id !== undefined,
  ),
  // The Sentinel rules validate their tables at creation: they wait for the tiers whose diagnostics create them.
  dataSources: [oltp, nosql, ingestion],
  logSources: [platform, oltp, nosql, olap, ml, ingestion, streaming, etl],
  // Their bulk reads are the platform's work (the nightly extraction, the scorer's change polls), not exfiltration.
  platformSqlPrincipals: {
    bulk: [etl.databaseUserName],
    apps: [...ingestion.sqlPrincipalNames, streaming.loaderDatabaseUserName],
  },
});

// Stack outputs an operator needs: names, ids, endpoints. Nothing secret.
export const environment = config.environment;
export const location = config.location;
export const resourceGroups = {
  ...Object.fromEntries(Object.entries(platform.resourceGroups).map(([role, rg]) => [role, rg.name])),
  // The SQL geo-secondary's, in `secondaryLocation` (failover group only).
  ...(oltp.secondaryResourceGroup ? { dataSecondary: oltp.secondaryResourceGroup.name } : {}),
};
export const vnetId = platform.vnetId;
export const subnetIds = platform.subnetIds;
export const keyVaultUri = platform.keyVault.uri;
export const logAnalyticsWorkspaceId = platform.logAnalytics.id;
/**
 * What the hub's owner adds to the hub's own Azure Monitor Private Link Scope so that operators there can query the
 * workspace, Sentinel and Application Insights (docs/operations.md, "Reaching the private endpoints"). Read when the
 * program ends, after every tier has linked its components.
 */
export const azureMonitorScopedResourceIds = pulumi.all(platform.monitorScopedResourceIds);
/** Action groups per alert priority (P1 paged within 15 min, P2 1 h, P3 24 h). */
export const actionGroupIds = platform.alertRouting.actionGroupIds;
/** The alert rules the operations tier created (docs/runbook.md has a section per key) and its dashboards. */
export const operationsAlerts = operations.alertKeys;
export const workbookIds = operations.workbookIds;
export const budgetName = operations.budgetName;
export const entraGroupObjectIds = platform.groupObjectIds;
/**
 * Always Encrypted column master key (versioned key URI): the KEY_PATH of the T-SQL `CREATE COLUMN MASTER KEY`
 * (pipelines/). After a rotation this shows the newest version; see docs/operations.md before switching to it.
 */
export const alwaysEncryptedColumnMasterKeyId = platform.alwaysEncryptedKey.keyUriWithVersion;
export const customerManagedKeyUris = Object.fromEntries(
  Object.entries(platform.customerManagedKeys)
    // The keys that encrypt something (PCI DSS 3.6.1's inventory): the factory's only when it was created with it.
    .filter(([service]) => service !== "dataFactory" || config.etl.customerManagedKey)
    .map(([service, key]) => [service, key.keyUri]),
);

export const sqlServerName = oltp.serverName;
export const sqlServerFqdn = oltp.serverFqdn;
export const sqlDatabaseName = oltp.databaseName;
export const sqlDatabaseId = oltp.databaseId;
/** Grant this principal Directory Readers once per environment (see docs/operations.md). */
export const sqlServerIdentityPrincipalId = oltp.serverIdentityPrincipalId;
/** What applications connect to: the failover group listener when there is one (it follows failovers). */
export const sqlEndpoints = {
  readWrite: oltp.failoverGroupListenerFqdn ?? oltp.serverFqdn,
  ...(oltp.failoverGroupReadOnlyListenerFqdn ? { geoSecondaryReadOnly: oltp.failoverGroupReadOnlyListenerFqdn } : {}),
  ...(oltp.secondaryServerName ? { secondaryServerName: oltp.secondaryServerName } : {}),
  ...(oltp.readOnlyEndpoint ? { readOnlyConnection: oltp.readOnlyEndpoint } : {}),
};

export const cosmosAccountName = nosql.accountName;
export const cosmosAccountId = nosql.accountId;
export const cosmosEndpoint = nosql.documentEndpoint;
export const cosmosDatabaseName = nosql.databaseName;
export const cosmosContainerNames = nosql.containerNames;

export const lakeAccountName = olap.lakeAccountName;
export const lakeAccountId = olap.lakeAccountId;
export const lakeDfsEndpoint = olap.lakeDfsEndpoint;
export const lakeFileSystems = olap.fileSystemNames;
export const synapseWorkspaceName = olap.workspaceName;
export const synapseWorkspaceId = olap.workspaceId;
/** Grant this principal Directory Readers once per environment too (docs/operations.md: Entra users in the pool). */
export const synapseWorkspacePrincipalId = olap.workspacePrincipalId;
export const synapseSqlEndpoints = { dedicated: olap.dedicatedSqlEndpoint, serverless: olap.serverlessSqlEndpoint };
export const synapseSqlPoolName = olap.sqlPoolName;
export const synapseSqlPoolId = olap.sqlPoolId;
/** Assign this role on the pool to the identity that runs the pause/resume schedule (least privilege). */
export const synapsePoolOperatorRoleDefinitionId = olap.poolOperatorRoleDefinitionId;
export const synapsePauseSchedule = olap.pauseSchedule ?? null;
export const mlWorkspaceName = ml.workspaceName;
export const mlWorkspaceId = ml.workspaceId;
export const mlComputeClusterName = ml.computeClusterName;
export const mlContainerRegistryName = ml.containerRegistryName;
/** What the ingestion tier and the release pipeline need: the endpoint, its URI, the invoker role, the deployment size. */
export const fraudScoring = {
  endpointName: ml.scoringEndpoint.name,
  endpointId: ml.scoringEndpoint.id,
  scoringUri: ml.scoringEndpoint.scoringUri,
  invokerRoleDefinitionId: ml.scoringEndpoint.invokerRoleDefinitionId,
  deployment: ml.scoringEndpoint.deployment,
};
/** Point the API's DNS name (ingestion.apiHostName) at this address. */
export const apiGatewayPublicIp = ingestion.publicIpAddress;
export const apiGatewayName = ingestion.gatewayName;
export const functionAppNames = { paymentApi: ingestion.paymentApi.name, fraudScoring: ingestion.fraudScoring.name };
/**
 * The role the deploy workflow grants each app's identity for a ship (`npm run functions:ops -- ship --role`), null
 * with `functionPackageWrites: always` (pipelines/functions/README.md, "How code reaches the apps").
 */
export const functionPackageWriterRoleIds = {
  paymentApi: ingestion.paymentApi.packageWriterRoleId ?? null,
  fraudScoring: ingestion.fraudScoring.packageWriterRoleId ?? null,
  relay: streaming.relay.packageWriterRoleId ?? null,
};
/** Create the SQL database users of these identities (pipelines/functions/README.md). */
export const functionIdentities = {
  paymentApi: {
    principalId: ingestion.identities.paymentApi.principalId,
    clientId: ingestion.identities.paymentApi.clientId,
  },
  fraudScoring: {
    principalId: ingestion.identities.fraudScoring.principalId,
    clientId: ingestion.identities.fraudScoring.clientId,
  },
};
/** The ETL tier: what the deploy workflow (trigger start, endpoint approval) and the operations tier's alerts need. */
export const dataFactoryName = etl.factoryName;
export const dataFactoryId = etl.factoryId;
export const etlPipelineNames = etl.pipelineNames;
export const etlTriggerNames = etl.triggerNames;
/** The ETL identity: its SQL database user is `databaseUserName` (pipelines/sql/*_etl_access.sql, EtlPrincipalName). */
export const etlIdentity = {
  principalId: etl.identity.principalId,
  clientId: etl.identity.clientId,
  databaseUserName: etl.databaseUserName,
};
/**
 * Streaming (flow 3): the streaming app (relay and Synapse loader) and its Synapse user
 * (`StreamingPrincipalName` of pipelines/sql/15_olap_streaming_access.sql), the hubs, and the job to start after `up`.
 */
export const streamingPath = {
  relayFunctionApp: streaming.relay.name,
  relayIdentity: {
    principalId: streaming.relayIdentity.principalId,
    clientId: streaming.relayIdentity.clientId,
    databaseUserName: streaming.loaderDatabaseUserName,
  },
  eventHubsNamespace: streaming.eventHubsNamespaceName,
  eventHub: streaming.eventHubName,
  outputEventHub: streaming.outputEventHubName,
  streamAnalyticsJob: streaming.jobName,
  streamAnalyticsJobPrincipalId: streaming.jobPrincipalId,
  /** False after a new stack's first `up`: run `up` again to give the job its Event Hubs input and output. */
  streamAnalyticsEndpointsConnected: streaming.jobEndpointsConnected,
};
