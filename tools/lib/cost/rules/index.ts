/**
 * Pricing rules: one per Azure resource type, each mapping the resource's own inputs (SKU, capacity, autoscale
 * maximum, zones, regions, retention) and the stack's usage assumptions to monthly lines over the price table.
 * Types with no charge of their own say why (`free`); types the table cannot price say why (`not-estimated`).
 */
import type { Rule } from "../model";
import { AN } from "./common";
import {
  acrReplication,
  appServicePlan,
  containerRegistry,
  dataFactory,
  eventHubsNamespace,
  genericResource,
  integrationRuntime,
  mlCompute,
  mlOnlineDeployment,
  mlOnlineEndpoint,
  mlWorkspace,
  streamAnalytics,
  streamAnalyticsCluster,
  webApp,
} from "./compute";
import { cosmosAccount, cosmosContainer, cosmosDatabase, sqlDatabase, storageAccount, synapsePool } from "./data";
import {
  actionGroup,
  defenderPlan,
  subscriptionDeployment,
  keyVaultKey,
  logAnalytics,
  metricAlert,
  omsSolution,
  scheduledQueryRule,
  sentinel,
  sqlSecurityAlertPolicy,
} from "./monitoring";
import {
  applicationGateway,
  ddosPlan,
  firewall,
  natGateway,
  privateDnsZone,
  privateEndpoint,
  publicIp,
  virtualNetworkPeering,
} from "./network";
import { flowLog } from "./flowLogs";
import { sqlAuditPolicy, sqlDatabaseAuditPolicy } from "./sqlAudit";

/** Rules by type token. */
export const RULES: Readonly<Record<string, Rule>> = {
  [`${AN}:sql:Database`]: sqlDatabase,
  [`${AN}:cosmosdb:DatabaseAccount`]: cosmosAccount,
  [`${AN}:cosmosdb:SqlResourceSqlContainer`]: cosmosContainer,
  [`${AN}:cosmosdb:SqlResourceSqlDatabase`]: cosmosDatabase,
  [`${AN}:network:AzureFirewall`]: firewall,
  [`${AN}:network:DdosProtectionPlan`]: ddosPlan,
  [`${AN}:network:PrivateEndpoint`]: privateEndpoint,
  [`${AN}:network:PublicIPAddress`]: publicIp,
  [`${AN}:network:VirtualNetworkPeering`]: virtualNetworkPeering,
  [`${AN}:network:NatGateway`]: natGateway,
  [`${AN}:network:ApplicationGateway`]: applicationGateway,
  [`${AN}:network:FlowLog`]: flowLog,
  [`${AN}:privatedns:PrivateZone`]: privateDnsZone,
  [`${AN}:operationalinsights:Workspace`]: logAnalytics,
  [`${AN}:keyvault:Key`]: keyVaultKey,
  [`${AN}:synapse:SqlPool`]: synapsePool,
  [`${AN}:storage:StorageAccount`]: storageAccount,
  [`${AN}:datafactory:Factory`]: dataFactory,
  [`${AN}:eventhub:Namespace`]: eventHubsNamespace,
  [`${AN}:streamanalytics:StreamingJob`]: streamAnalytics,
  [`${AN}:streamanalytics:Cluster`]: streamAnalyticsCluster,
  [`${AN}:web:AppServicePlan`]: appServicePlan,
  [`${AN}:web:WebApp`]: webApp,
  [`${AN}:machinelearningservices:Compute`]: mlCompute,
  [`${AN}:machinelearningservices:OnlineDeployment`]: mlOnlineDeployment,
  [`${AN}:machinelearningservices:OnlineEndpoint`]: mlOnlineEndpoint,
  [`${AN}:machinelearningservices:Workspace`]: mlWorkspace,
  [`${AN}:containerregistry:Registry`]: containerRegistry,
  [`${AN}:containerregistry:Replication`]: acrReplication,
  [`${AN}:datafactory:IntegrationRuntime`]: integrationRuntime,
  [`${AN}:resources:Resource`]: genericResource,
  [`${AN}:security:Pricing`]: defenderPlan,
  [`${AN}:resources:DeploymentAtSubscriptionScope`]: subscriptionDeployment,
  [`${AN}:sql:ServerSecurityAlertPolicy`]: sqlSecurityAlertPolicy,
  [`${AN}:sql:ExtendedServerBlobAuditingPolicy`]: sqlAuditPolicy,
  [`${AN}:sql:ExtendedDatabaseBlobAuditingPolicy`]: sqlDatabaseAuditPolicy,
  [`${AN}:monitor:MetricAlert`]: metricAlert,
  [`${AN}:monitor:ScheduledQueryRule`]: scheduledQueryRule,
  [`${AN}:monitor:ActionGroup`]: actionGroup,
  [`${AN}:securityinsights:SentinelOnboardingState`]: sentinel,
  [`${AN}:operationsmanagement:Solution`]: omsSolution,
};
