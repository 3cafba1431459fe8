/**
 * Resource types with no charge of their own (and why), and types deliberately not estimated (and why): the
 * estimator lists both, so nothing is ever silently zero.
 */
const AN = "azure-native";

/** Types with no charge of their own, and why. */
export const FREE: Readonly<Record<string, string>> = {
  [`${AN}:resources:ResourceGroup`]: "resource groups have no charge",
  [`${AN}:authorization:RoleAssignment`]: "Azure RBAC has no charge",
  [`${AN}:authorization:ManagementLockByScope`]: "management locks have no charge",
  [`${AN}:authorization:ManagementLockAtResourceGroupLevel`]: "management locks have no charge",
  [`${AN}:managedidentity:UserAssignedIdentity`]: "managed identities have no charge",
  [`${AN}:network:VirtualNetwork`]: "a virtual network has no charge (its peerings and gateways are separate meters)",
  [`${AN}:network:Subnet`]: "subnets have no charge",
  [`${AN}:network:NetworkSecurityGroup`]: "network security groups have no charge",
  [`${AN}:network:ApplicationSecurityGroup`]: "application security groups have no charge",
  [`${AN}:network:RouteTable`]: "route tables have no charge",
  [`${AN}:network:PrivateDnsZoneGroup`]: "DNS zone groups have no charge (the zone and the endpoint are priced)",
  [`${AN}:network:FirewallPolicy`]: "a firewall policy associated with a single firewall has no charge",
  [`${AN}:network:FirewallPolicyRuleCollectionGroup`]: "rule collection groups are part of the firewall policy",
  [`${AN}:network:WebApplicationFirewallPolicy`]:
    "the WAF policy of an Application Gateway WAF_v2 is included in the gateway",
  [`${AN}:privatedns:VirtualNetworkLink`]: "virtual network links are not a meter (zones and queries are)",
  [`${AN}:monitor:DiagnosticSetting`]:
    "no charge; the logs it sends are priced as Log Analytics ingestion on the workspace",
  [`${AN}:operationalinsights:Table`]:
    "no charge of its own; the retention it sets is priced on the records that reach the table (the SQL audit's, on the audit policy)",
  [`${AN}:monitor:PrivateLinkScope`]: "no charge; its private endpoint is priced",
  [`${AN}:monitor:PrivateLinkScopedResource`]: "no charge; its private endpoint is priced",
  [`${AN}:keyvault:Vault`]: "no charge for the vault; its keys and operations are priced on the keys",
  [`${AN}:keyvault:Secret`]: "no per-secret fee; secret operations ($0.03 per 10K) are negligible",
  [`${AN}:cosmosdb:SqlResourceSqlRoleAssignment`]: "Cosmos DB data-plane RBAC has no charge",
  [`${AN}:sql:Server`]: "the logical server has no charge; its databases are priced",
  [`${AN}:sql:BackupShortTermRetentionPolicy`]:
    "PITR backup storage up to the database's size is included in its price",
  [`${AN}:sql:LongTermRetentionPolicy`]: "its backup storage is priced on the database (usage.sqlLtrBackupGb)",
  [`${AN}:sql:EncryptionProtector`]: "TDE with a customer-managed key has no SQL charge (the key is priced)",
  [`${AN}:sql:TransparentDataEncryption`]: "TDE has no charge",
  [`${AN}:sql:DataMaskingPolicy`]: "dynamic data masking has no charge",
  [`${AN}:sql:OutboundFirewallRule`]: "outbound firewall rules have no charge",
  [`${AN}:sql:FailoverGroup`]: "a failover group has no charge (the geo-secondary database is priced)",
  [`${AN}:synapse:Workspace`]:
    "the workspace has no charge of its own; pools are priced; serverless SQL ($5/TB scanned) is not modelled",
  [`${AN}:synapse:WorkspaceSqlAadAdmin`]: "the workspace's Entra admin is a setting, with no charge",
  [`${AN}:synapse:SqlPoolTransparentDataEncryption`]: "TDE on a dedicated pool has no charge",
  [`${AN}:synapse:SqlPoolWorkloadGroup`]: "workload groups share the pool's DWUs (priced on the pool)",
  [`${AN}:synapse:SqlPoolWorkloadClassifier`]: "workload classifiers have no charge",
  [`${AN}:authorization:RoleDefinition`]: "custom role definitions have no charge",
  [`${AN}:alertsmanagement:AlertProcessingRuleByName`]:
    "alert processing rules have no charge (the alert rules they act on are priced)",
  [`${AN}:resources:Deployment`]:
    "an ARM deployment has no charge; what it deploys here is settings or has no charge of its own (the Synapse workspace's key activation, SQL admin and SQL security settings; the factory's managed virtual network, whose compute the factory's managed VNet activity hours price; the workspace tables' retention, priced on the records that reach them)",
  [`${AN}:web:WebAppApplicationSettings`]: "app settings have no charge (the plan and executions are priced)",
  [`${AN}:web:WebAppFtpAllowed`]: "publishing-credential policies are settings, with no charge",
  [`${AN}:web:WebAppScmAllowed`]: "publishing-credential policies are settings, with no charge",
  [`${AN}:applicationinsights:Component`]:
    "workspace-based Application Insights bills its telemetry as Log Analytics ingestion on the workspace",
  [`${AN}:synapse:PrivateLinkHub`]: "private link hubs have no charge (their private endpoints are priced)",
  [`${AN}:storage:BlobContainer`]: "containers have no charge (capacity is priced on the account)",
  [`${AN}:storage:BlobServiceProperties`]: "service settings have no charge",
  [`${AN}:storage:ManagementPolicy`]: "lifecycle policies have no charge",
  [`${AN}:storage:BlobContainerImmutabilityPolicy`]:
    "immutability policies have no charge (the blobs they keep are priced: the audit archive on its audit policy)",
  [`${AN}:datafactory:Pipeline`]: "pipelines are billed as activity runs on the factory",
  [`${AN}:datafactory:LinkedService`]: "linked services have no charge",
  [`${AN}:datafactory:Dataset`]: "datasets have no charge",
  [`${AN}:datafactory:Trigger`]: "triggers are billed as activity runs on the factory",
  [`${AN}:datafactory:ManagedPrivateEndpoint`]: "managed private endpoints have no charge of their own in ADF",
  [`${AN}:eventhub:EventHub`]: "event hubs are billed on their namespace",
  [`${AN}:eventhub:ConsumerGroup`]: "consumer groups have no charge",
  [`${AN}:streamanalytics:Input`]: "inputs are billed on the job",
  [`${AN}:streamanalytics:Output`]: "outputs are billed on the job",
  [`${AN}:eventgrid:SystemTopic`]:
    "system topics have no charge of their own (event operations are billed per delivery)",
  [`${AN}:eventgrid:SystemTopicEventSubscription`]:
    "event operations are billed per million; Key Vault lifecycle events are a handful a month (negligible)",
  [`${AN}:datafactory:CredentialOperation`]: "credentials are factory settings, with no charge",
  [`${AN}:datafactory:ChangeDataCapture`]: "billed as the factory's activity and data flow hours",
  [`${AN}:datafactory:GlobalParameter`]: "global parameters are factory settings, with no charge",
  [`${AN}:eventhub:NamespaceNetworkRuleSet`]: "network rules are namespace settings, with no charge",
  [`${AN}:eventhub:NamespaceAuthorizationRule`]: "authorization rules have no charge",
  [`${AN}:eventhub:SchemaRegistry`]: "the schema registry is included in Standard and Premium",
  [`${AN}:streamanalytics:Function`]: "functions are billed on the job's streaming units",
  [`${AN}:streamanalytics:PrivateEndpoint`]: "a cluster's managed private endpoints are included in the cluster",
  [`${AN}:monitor:ActivityLogAlert`]: "activity log alert rules have no charge",
  [`${AN}:monitor:SubscriptionDiagnosticSetting`]:
    "no charge; the activity log it sends is free to ingest into Log Analytics",
  [`${AN}:applicationinsights:Workbook`]: "workbooks have no charge (their queries read data already ingested)",
  [`${AN}:consumption:Budget`]: "budgets have no charge",
  [`${AN}:authorization:PolicyAssignment`]: "Azure Policy has no charge for Azure resources",
  [`${AN}:authorization:PolicyDefinition`]: "Azure Policy has no charge for Azure resources",
  [`${AN}:authorization:PolicySetDefinition`]: "Azure Policy has no charge for Azure resources",
  [`${AN}:security:SecurityContact`]: "security contacts are Defender for Cloud settings, with no charge",
  [`${AN}:security:AutoProvisioningSetting`]: "a Defender for Cloud setting, with no charge",
  [`${AN}:security:WorkspaceSetting`]: "a Defender for Cloud setting, with no charge",
  [`${AN}:securityinsights:AADDataConnector`]: "data connectors bill their data as Sentinel analysis on the workspace",
  [`${AN}:securityinsights:ASCDataConnector`]: "data connectors bill their data as Sentinel analysis on the workspace",
  [`${AN}:securityinsights:ScheduledAlertRule`]: "analytics rules are included in Sentinel's per-GB price",
  [`${AN}:securityinsights:MicrosoftSecurityIncidentCreationAlertRule`]:
    "analytics rules are included in Sentinel's per-GB price",
  [`${AN}:securityinsights:AutomationRule`]:
    "automation rules are included in Sentinel (playbooks are Logic Apps runs)",
  [`${AN}:securityinsights:Watchlist`]: "watchlists are included in Sentinel",
  [`${AN}:insights:DataCollectionRule`]: "data collection rules bill their data as workspace ingestion",
  "azuread:index/group:Group": "Entra ID groups have no Azure charge",
  "random:index/randomString:RandomString": "not a cloud resource",
  "time:index/sleep:Sleep": "not a cloud resource",
  "azuread:index/groupMember:GroupMember": "Entra ID group memberships have no Azure charge",
  [`${AN}:cosmosdb:SqlResourceSqlRoleDefinition`]: "Cosmos DB data-plane role definitions have no charge",
  [`${AN}:costmanagement:Budget`]: "Cost Management budgets have no charge",
};

/** Types deliberately not estimated, and why. */
export const NOT_ESTIMATED: Readonly<Record<string, string>> = {
  [`${AN}:applicationinsights:WebTest`]:
    "standard availability tests are billed per test execution; no sourced price in the table",
};
