/**
 * The payments data platform, one stack program: read and validate the stack's config, then build each tier on
 * the one below it. Every tier is a ComponentResource in components/; the shared Azure interfaces
 * (private endpoints, diagnostics, customer-managed keys, identities, role assignments, locks, tags) live in
 * components/shared/ and are used by all of them.
 *
 *   ingestion / operations (later issues)
 *              │
 *   OLTP (Azure SQL) · NoSQL (Cosmos DB) · OLAP · ETL · ML   ← tiers
 *              │
 *   Platform: network · private DNS · Key Vault + CMK keys · identities · Log Analytics · Entra groups · alerts
 */
import { loadConfig } from "./lib/config";
import { Platform } from "./components/platform";
import { NoSql } from "./components/nosql";
import { Oltp } from "./components/oltp";
import { stackContext } from "./components/shared";

const config = loadConfig();
const context = stackContext(config);

const platform = new Platform("platform", { context });

// Stack outputs an operator needs (names, ids, endpoints; nothing secret).
export const environment = config.environment;
export const location = config.location;
export const resourceGroups = Object.fromEntries(
  Object.entries(platform.resourceGroups).map(([role, rg]) => [role, rg.name]),
);
export const vnetId = platform.vnetId;
export const subnetIds = platform.subnetIds;
export const keyVaultUri = platform.keyVault.uri;
export const logAnalyticsWorkspaceId = platform.logAnalytics.id;
export const actionGroupId = platform.actionGroupId;
export const entraGroupObjectIds = platform.groupObjectIds;
export const customerManagedKeyUris = Object.fromEntries(
  Object.entries(platform.customerManagedKeys).map(([service, key]) => [service, key.keyUri]),
);

// OLTP tier (Azure SQL Database): the payments database; prod adds a geo-secondary behind a failover group.
const oltp = new Oltp("oltp", {
  context,
  sql: config.sql,
  resourceGroupName: platform.resourceGroups.data.name,
  suffix: platform.suffix,
  privateEndpoints: platform.privateEndpointTarget,
  diagnosticSettings: platform.diagnostics,
  customerManagedKey: platform.customerManagedKeys.sql,
  entraAdmin: {
    objectId: platform.groupObjectIds.platformAdmins,
    login: platform.groupDisplayNames.platformAdmins,
    tenantId: platform.tenantId,
  },
  securityAlertEmails: config.alertEmails,
  protect: config.protectStatefulResources,
});
export const sqlServerName = oltp.serverName;
export const sqlServerFqdn = oltp.serverFqdn;
export const sqlDatabaseName = oltp.databaseName;
export const sqlDatabaseId = oltp.databaseId;
// What applications connect to: the failover group listener when there is one (it follows failovers), else the server.
export const sqlEndpoints = {
  readWrite: oltp.failoverGroupListenerFqdn ?? oltp.serverFqdn,
  ...(oltp.failoverGroupReadOnlyListenerFqdn ? { geoSecondaryReadOnly: oltp.failoverGroupReadOnlyListenerFqdn } : {}),
  ...(oltp.secondaryServerName ? { secondaryServerName: oltp.secondaryServerName } : {}),
  ...(oltp.readOnlyEndpoint ? { readOnlyConnection: oltp.readOnlyEndpoint } : {}),
};

// NoSQL tier (Cosmos DB): API logs, sessions, fraud features, webhook events.
const nosql = new NoSql("nosql", {
  context,
  cosmos: config.cosmos,
  resourceGroupName: platform.resourceGroups.data.name,
  suffix: platform.suffix,
  privateEndpoints: platform.privateEndpointTarget,
  diagnosticSettings: platform.diagnostics,
  customerManagedKey: platform.customerManagedKeys.cosmos,
  // Data engineers read (queries, change feed); the ingestion/ETL tiers add their identities as contributors.
  dataReaders: [{ key: "data-engineers", principalId: platform.groupObjectIds.dataEngineers }],
  dataContributors: [],
  protect: config.protectStatefulResources,
});
export const cosmosAccountName = nosql.accountName;
export const cosmosAccountId = nosql.accountId;
export const cosmosEndpoint = nosql.documentEndpoint;
export const cosmosDatabaseName = nosql.databaseName;
export const cosmosContainerNames = nosql.containerNames;
