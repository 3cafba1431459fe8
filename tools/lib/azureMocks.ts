/**
 * Realistic ARM ids and provider outputs for the offline preview's mock engine. Each resource type the program
 * uses has an entry: its ARM path template (placeholders are input names) and the outputs Azure computes
 * (FQDNs, principal ids, key URIs, ...). Inputs are echoed as outputs here; the engine then keeps an azure-native
 * resource's output properties only, as its state does (tools/lib/outputShape.ts).
 */
import { nthAddress, parseCidr } from "../../lib/cidr";
import { uuidv5 } from "../../lib/uuid";
import { defaultTypeToken } from "./sdkType";

export const SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001";
export const TENANT_ID = "00000000-0000-4000-8000-0000000000aa";
export const DEPLOYER_OBJECT_ID = "00000000-0000-4000-8000-0000000000bb";

type Inputs = Record<string, unknown>;

export interface ArmSpec {
  /**
   * Path after the scope, e.g. `Microsoft.KeyVault/vaults/{vaultName}/keys/{keyName}`. `{…}` names an input;
   * the resource's logical name stands in for a missing one.
   */
  readonly path: string;
  /** Where the id is rooted: the resource group (default), the subscription, or the `scope`/`resourceUri` input. */
  readonly root?: "resourceGroup" | "subscription" | "scope" | "resourceUri" | "none" | "scopeId";
  /** Outputs Azure computes. */
  readonly outputs?: (inputs: Inputs, ctx: MockContext) => Inputs;
}

/** What a resource's computed outputs may depend on: its own id and names, and the state of the run's other resources. */
export interface MockContext {
  readonly id: string;
  readonly name: string;
  readonly urn: string;
  /** The state the mock gave an earlier resource of the run, by ARM id (case-insensitive), if any. */
  readonly lookup: (id: string) => Inputs | undefined;
}

/**
 * The private IP the mock gives a firewall in a subnet: the subnet's first usable address (Azure reserves the first
 * four of every subnet), where Azure has been seen to place the firewall's internal load balancer; no page promises
 * it (components/platform/network.ts; the pack compares the routes with the real one). Read from the subnet's range in
 * its VNet's state; 10.0.0.4 for a subnet outside the run.
 */
function firewallPrivateIp(subnetId: unknown, lookup: MockContext["lookup"]): string {
  const match = typeof subnetId === "string" ? /^(.*)\/subnets\/([^/]+)$/i.exec(subnetId) : null;
  const subnets = match ? lookup(match[1])?.subnets : undefined;
  const subnet = Array.isArray(subnets)
    ? (subnets as Inputs[]).find((s) => String(s.name).toLowerCase() === match?.[2].toLowerCase())
    : undefined;
  const range = typeof subnet?.addressPrefix === "string" ? parseCidr(subnet.addressPrefix) : undefined;
  return range ? nthAddress(range, 4) : "10.0.0.4";
}

const guidFor = (seed: string) => uuidv5(seed);

export const ARM_TYPES: Record<string, ArmSpec> = {
  "azure-native:resources:ResourceGroup": { path: "resourceGroups/{resourceGroupName}", root: "subscription" },
  "azure-native:operationalinsights:Workspace": {
    path: "Microsoft.OperationalInsights/workspaces/{workspaceName}",
    outputs: (_i, c) => ({ customerId: guidFor(`${c.id}/customerId`) }),
  },
  "azure-native:operationalinsights:Table": {
    path: "Microsoft.OperationalInsights/workspaces/{workspaceName}/tables/{tableName}",
  },
  "azure-native:network:NetworkSecurityGroup": {
    path: "Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}",
  },
  "azure-native:network:VirtualNetwork": {
    path: "Microsoft.Network/virtualNetworks/{virtualNetworkName}",
    outputs: (i, c) => ({
      subnets: ((i.subnets as Inputs[] | undefined) ?? []).map((s) => ({
        ...s,
        id: `${c.id}/subnets/${String(s.name)}`,
      })),
    }),
  },
  "azure-native:network:VirtualNetworkPeering": {
    path: "Microsoft.Network/virtualNetworks/{virtualNetworkName}/virtualNetworkPeerings/{virtualNetworkPeeringName}",
  },
  "azure-native:network:DdosProtectionPlan": { path: "Microsoft.Network/ddosProtectionPlans/{ddosProtectionPlanName}" },
  "azure-native:network:FlowLog": {
    path: "Microsoft.Network/networkWatchers/{networkWatcherName}/flowLogs/{flowLogName}",
    outputs: (_i, c) => ({ targetResourceGuid: guidFor(`${c.id}/targetResourceGuid`) }),
  },
  "azure-native:network:PublicIPAddress": {
    path: "Microsoft.Network/publicIPAddresses/{publicIpAddressName}",
    outputs: () => ({ ipAddress: "20.50.0.10" }),
  },
  "azure-native:network:FirewallPolicy": { path: "Microsoft.Network/firewallPolicies/{firewallPolicyName}" },
  "azure-native:network:FirewallPolicyRuleCollectionGroup": {
    path: "Microsoft.Network/firewallPolicies/{firewallPolicyName}/ruleCollectionGroups/{ruleCollectionGroupName}",
  },
  "azure-native:network:RouteTable": { path: "Microsoft.Network/routeTables/{routeTableName}" },
  "azure-native:network:AzureFirewall": {
    path: "Microsoft.Network/azureFirewalls/{azureFirewallName}",
    outputs: (i, c) => ({
      ipConfigurations: ((i.ipConfigurations as Inputs[] | undefined) ?? []).map((ip) => ({
        ...ip,
        privateIPAddress: firewallPrivateIp((ip.subnet as Inputs | undefined)?.id, c.lookup),
      })),
    }),
  },
  "azure-native:network:PrivateEndpoint": {
    path: "Microsoft.Network/privateEndpoints/{privateEndpointName}",
    outputs: () => ({ customDnsConfigs: [] }),
  },
  "azure-native:network:PrivateDnsZoneGroup": {
    path: "Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups/{privateDnsZoneGroupName}",
  },
  "azure-native:privatedns:PrivateZone": { path: "Microsoft.Network/privateDnsZones/{privateZoneName}" },
  "azure-native:privatedns:VirtualNetworkLink": {
    path: "Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}",
  },
  "azure-native:keyvault:Vault": {
    path: "Microsoft.KeyVault/vaults/{vaultName}",
    outputs: (i, c) => ({
      properties: { ...((i.properties as Inputs | undefined) ?? {}), vaultUri: `https://${c.name}.vault.azure.net/` },
    }),
  },
  "azure-native:keyvault:Key": {
    path: "Microsoft.KeyVault/vaults/{vaultName}/keys/{keyName}",
    outputs: (i, c) => ({
      keyUri: `https://${String(i.vaultName)}.vault.azure.net/keys/${c.name}`,
      keyUriWithVersion: `https://${String(i.vaultName)}.vault.azure.net/keys/${c.name}/${guidFor(c.id).replace(/-/g, "")}`,
    }),
  },
  "azure-native:managedidentity:UserAssignedIdentity": {
    path: "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}",
    outputs: (_i, c) => ({
      principalId: guidFor(`${c.id}/principal`),
      clientId: guidFor(`${c.id}/client`),
      tenantId: TENANT_ID,
    }),
  },
  "azure-native:authorization:RoleAssignment": {
    path: "providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
    root: "scope",
  },
  "azure-native:authorization:ManagementLockByScope": {
    path: "providers/Microsoft.Authorization/locks/{lockName}",
    root: "scope",
  },
  "azure-native:monitor:DiagnosticSetting": {
    path: "providers/Microsoft.Insights/diagnosticSettings/{name}",
    root: "resourceUri",
  },
  "azure-native:monitor:ActionGroup": { path: "Microsoft.Insights/actionGroups/{actionGroupName}" },
  // The SDK's class name is not the ARM type: alert processing rules are Microsoft.AlertsManagement/actionRules.
  "azure-native:alertsmanagement:AlertProcessingRuleByName": {
    path: "Microsoft.AlertsManagement/actionRules/{alertProcessingRuleName}",
  },
  "azure-native:eventgrid:SystemTopic": {
    path: "Microsoft.EventGrid/systemTopics/{systemTopicName}",
    outputs: (_i, c) => ({ metricResourceId: guidFor(`${c.id}/metrics`) }),
  },
  "azure-native:eventgrid:SystemTopicEventSubscription": {
    path: "Microsoft.EventGrid/systemTopics/{systemTopicName}/eventSubscriptions/{eventSubscriptionName}",
  },
  "time:index/sleep:Sleep": { path: "{createDuration}", root: "none" },
  "azure-native:monitor:PrivateLinkScope": { path: "Microsoft.Insights/privateLinkScopes/{scopeName}" },
  "azure-native:monitor:PrivateLinkScopedResource": {
    path: "Microsoft.Insights/privateLinkScopes/{scopeName}/scopedResources/{name}",
  },
  "azure-native:storage:StorageAccount": {
    path: "Microsoft.Storage/storageAccounts/{accountName}",
    // The Azure name is the `accountName` input (azure-native returns it as `name`).
    outputs: (i) => ({
      name: String(i.accountName),
      primaryEndpoints: {
        blob: `https://${String(i.accountName)}.blob.core.windows.net/`,
        dfs: `https://${String(i.accountName)}.dfs.core.windows.net/`,
      },
    }),
  },
  "azure-native:storage:BlobServiceProperties": {
    path: "Microsoft.Storage/storageAccounts/{accountName}/blobServices/{blobServicesName}",
    outputs: (i) => ({ name: String(i.blobServicesName) }),
  },
  // Cosmos DB (NoSQL API). azure-native returns the Azure name as `name` (not the logical name).
  "azure-native:cosmosdb:DatabaseAccount": {
    path: "Microsoft.DocumentDB/databaseAccounts/{accountName}",
    outputs: (i) => ({
      name: String(i.accountName),
      documentEndpoint: `https://${String(i.accountName)}.documents.azure.com:443/`,
    }),
  },
  "azure-native:cosmosdb:SqlResourceSqlDatabase": {
    path: "Microsoft.DocumentDB/databaseAccounts/{accountName}/sqlDatabases/{databaseName}",
    outputs: (i) => ({ name: String(i.databaseName) }),
  },
  "azure-native:cosmosdb:SqlResourceSqlContainer": {
    path: "Microsoft.DocumentDB/databaseAccounts/{accountName}/sqlDatabases/{databaseName}/containers/{containerName}",
    outputs: (i) => ({ name: String(i.containerName) }),
  },
  "azure-native:cosmosdb:SqlResourceSqlRoleDefinition": {
    path: "Microsoft.DocumentDB/databaseAccounts/{accountName}/sqlRoleDefinitions/{roleDefinitionId}",
    outputs: (i) => ({ name: String(i.roleDefinitionId) }),
  },
  "azure-native:cosmosdb:SqlResourceSqlRoleAssignment": {
    path: "Microsoft.DocumentDB/databaseAccounts/{accountName}/sqlRoleAssignments/{roleAssignmentId}",
    outputs: (i) => ({ name: String(i.roleAssignmentId) }),
  },
  // Azure SQL Database (OLTP). Sub-resources return their fixed Azure name (`current`, `default`, ...) as `name`.
  "azure-native:sql:Server": {
    path: "Microsoft.Sql/servers/{serverName}",
    outputs: (i) => ({
      name: String(i.serverName),
      fullyQualifiedDomainName: `${String(i.serverName)}.database.windows.net`,
      state: "Ready",
      kind: "v12.0",
    }),
  },
  "azure-native:sql:Database": {
    path: "Microsoft.Sql/servers/{serverName}/databases/{databaseName}",
    outputs: (i) => ({ name: String(i.databaseName), status: "Online" }),
  },
  "azure-native:sql:EncryptionProtector": {
    path: "Microsoft.Sql/servers/{serverName}/encryptionProtector/{encryptionProtectorName}",
    outputs: (i) => ({ name: String(i.encryptionProtectorName) }),
  },
  "azure-native:sql:ExtendedServerBlobAuditingPolicy": {
    path: "Microsoft.Sql/servers/{serverName}/extendedAuditingSettings/{blobAuditingPolicyName}",
    outputs: (i) => ({ name: String(i.blobAuditingPolicyName) }),
  },
  "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy": {
    path: "Microsoft.Sql/servers/{serverName}/databases/{databaseName}/extendedAuditingSettings/{blobAuditingPolicyName}",
    outputs: (i) => ({ name: String(i.blobAuditingPolicyName) }),
  },
  "azure-native:sql:OutboundFirewallRule": {
    path: "Microsoft.Sql/servers/{serverName}/outboundFirewallRules/{outboundRuleFqdn}",
    outputs: (i) => ({ name: String(i.outboundRuleFqdn), provisioningState: "Ready" }),
  },
  "azure-native:sql:ServerSecurityAlertPolicy": {
    path: "Microsoft.Sql/servers/{serverName}/securityAlertPolicies/{securityAlertPolicyName}",
    outputs: (i) => ({ name: String(i.securityAlertPolicyName) }),
  },
  "azure-native:sql:SqlVulnerabilityAssessmentsSetting": {
    path: "Microsoft.Sql/servers/{serverName}/sqlVulnerabilityAssessments/{vulnerabilityAssessmentName}",
    outputs: (i) => ({ name: String(i.vulnerabilityAssessmentName) }),
  },
  "azure-native:sql:TransparentDataEncryption": {
    path: "Microsoft.Sql/servers/{serverName}/databases/{databaseName}/transparentDataEncryption/{tdeName}",
    outputs: (i) => ({ name: String(i.tdeName) }),
  },
  "azure-native:sql:DataMaskingPolicy": {
    path: "Microsoft.Sql/servers/{serverName}/databases/{databaseName}/dataMaskingPolicies/{dataMaskingPolicyName}",
    outputs: (i) => ({ name: String(i.dataMaskingPolicyName) }),
  },
  "azure-native:sql:BackupShortTermRetentionPolicy": {
    path: "Microsoft.Sql/servers/{serverName}/databases/{databaseName}/backupShortTermRetentionPolicies/{policyName}",
    outputs: (i) => ({ name: String(i.policyName) }),
  },
  "azure-native:sql:LongTermRetentionPolicy": {
    path: "Microsoft.Sql/servers/{serverName}/databases/{databaseName}/backupLongTermRetentionPolicies/{policyName}",
    outputs: (i) => ({ name: String(i.policyName) }),
  },
  "azure-native:sql:FailoverGroup": {
    path: "Microsoft.Sql/servers/{serverName}/failoverGroups/{failoverGroupName}",
    outputs: (i) => ({ name: String(i.failoverGroupName), replicationRole: "Primary", replicationState: "CATCH_UP" }),
  },
  // Analytical tier: the lake's children and the Synapse workspace, pool and settings (Azure names as `name`).
  "azure-native:storage:BlobContainer": {
    path: "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{containerName}",
    outputs: (i) => ({ name: String(i.containerName) }),
  },
  "azure-native:storage:BlobContainerImmutabilityPolicy": {
    path: "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{containerName}/immutabilityPolicies/{immutabilityPolicyName}",
    outputs: (i) => ({ name: String(i.immutabilityPolicyName), state: "Unlocked" }),
  },
  "azure-native:storage:ManagementPolicy": {
    path: "Microsoft.Storage/storageAccounts/{accountName}/managementPolicies/{managementPolicyName}",
    outputs: (i) => ({ name: String(i.managementPolicyName) }),
  },
  "azure-native:synapse:Workspace": {
    path: "Microsoft.Synapse/workspaces/{workspaceName}",
    outputs: (i, c) => ({
      name: String(i.workspaceName),
      identity: {
        ...((i.identity as Inputs | undefined) ?? {}),
        principalId: guidFor(`${c.id}/principal`),
        tenantId: TENANT_ID,
      },
      connectivityEndpoints: {
        dev: `https://${String(i.workspaceName)}.dev.azuresynapse.net`,
        sql: `${String(i.workspaceName)}.sql.azuresynapse.net`,
        sqlOnDemand: `${String(i.workspaceName)}-ondemand.sql.azuresynapse.net`,
        web: `https://web.azuresynapse.net?workspace=${encodeURIComponent(c.id)}`,
      },
      provisioningState: "Succeeded",
    }),
  },
  "azure-native:synapse:WorkspaceSqlAadAdmin": {
    path: "Microsoft.Synapse/workspaces/{workspaceName}/sqlAdministrators/activeDirectory",
    outputs: () => ({ name: "activeDirectory" }),
  },
  "azure-native:synapse:SqlPool": {
    path: "Microsoft.Synapse/workspaces/{workspaceName}/sqlPools/{sqlPoolName}",
    outputs: (i) => ({ name: String(i.sqlPoolName), status: "Online" }),
  },
  "azure-native:synapse:SqlPoolTransparentDataEncryption": {
    path: "Microsoft.Synapse/workspaces/{workspaceName}/sqlPools/{sqlPoolName}/transparentDataEncryption/{transparentDataEncryptionName}",
    outputs: (i) => ({ name: String(i.transparentDataEncryptionName) }),
  },
  "azure-native:synapse:SqlPoolWorkloadGroup": {
    path: "Microsoft.Synapse/workspaces/{workspaceName}/sqlPools/{sqlPoolName}/workloadGroups/{workloadGroupName}",
    outputs: (i) => ({ name: String(i.workloadGroupName) }),
  },
  "azure-native:synapse:SqlPoolWorkloadClassifier": {
    path: "Microsoft.Synapse/workspaces/{workspaceName}/sqlPools/{sqlPoolName}/workloadGroups/{workloadGroupName}/workloadClassifiers/{workloadClassifierName}",
    outputs: (i) => ({ name: String(i.workloadClassifierName) }),
  },
  "azure-native:synapse:PrivateLinkHub": {
    path: "Microsoft.Synapse/privateLinkHubs/{privateLinkHubName}",
    outputs: (i) => ({ name: String(i.privateLinkHubName) }),
  },
  "azure-native:resources:Deployment": {
    path: "Microsoft.Resources/deployments/{deploymentName}",
    outputs: (i) => ({
      name: String(i.deploymentName),
      properties: { ...((i.properties as Inputs) ?? {}), provisioningState: "Succeeded" },
    }),
  },
  "azure-native:resources:DeploymentAtSubscriptionScope": {
    path: "providers/Microsoft.Resources/deployments/{deploymentName}",
    root: "subscription",
    outputs: (i) => ({
      name: String(i.deploymentName),
      properties: { ...((i.properties as Inputs) ?? {}), provisioningState: "Succeeded" },
    }),
  },
  // Azure ML (ML tier) and its dependencies.
  "azure-native:machinelearningservices:Workspace": {
    path: "Microsoft.MachineLearningServices/workspaces/{workspaceName}",
    outputs: (i, c) => ({
      name: String(i.workspaceName),
      workspaceId: guidFor(`${c.id}/workspaceId`),
      discoveryUrl: `https://${String(i.location)}.api.azureml.ms/discovery`,
    }),
  },
  "azure-native:machinelearningservices:Compute": {
    path: "Microsoft.MachineLearningServices/workspaces/{workspaceName}/computes/{computeName}",
    outputs: (i) => ({ name: String(i.computeName) }),
  },
  "azure-native:machinelearningservices:OnlineEndpoint": {
    path: "Microsoft.MachineLearningServices/workspaces/{workspaceName}/onlineEndpoints/{endpointName}",
    outputs: (i) => ({
      name: String(i.endpointName),
      properties: {
        ...((i.properties as Inputs | undefined) ?? {}),
        scoringUri: `https://${String(i.endpointName)}.${String(i.location)}.inference.ml.azure.com/score`,
        swaggerUri: `https://${String(i.endpointName)}.${String(i.location)}.inference.ml.azure.com/swagger.json`,
        provisioningState: "Succeeded",
      },
    }),
  },
  "azure-native:containerregistry:Registry": {
    path: "Microsoft.ContainerRegistry/registries/{registryName}",
    outputs: (i) => ({ name: String(i.registryName), loginServer: `${String(i.registryName)}.azurecr.io` }),
  },
  "azure-native:applicationinsights:Component": {
    path: "Microsoft.Insights/components/{resourceName}",
    outputs: (i, c) => ({
      name: String(i.resourceName),
      appId: guidFor(`${c.id}/appId`),
      connectionString: `InstrumentationKey=${guidFor(`${c.id}/ikey`)}`,
    }),
  },
  "azure-native:authorization:RoleDefinition": {
    path: "providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}",
    root: "scope",
    outputs: (i) => ({ name: String(i.roleDefinitionId), type: "Microsoft.Authorization/roleDefinitions" }),
  },
  // Ingestion tier: gateway, function apps and their settings.
  "azure-native:web:WebApp": {
    path: "Microsoft.Web/sites/{name}",
    outputs: (_i, c) => ({
      defaultHostName: `${c.name}.azurewebsites.net`,
      state: "Running",
    }),
  },
  "azure-native:web:WebAppApplicationSettings": {
    path: "Microsoft.Web/sites/{name}/config/appsettings",
    outputs: () => ({ name: "appsettings" }),
  },
  "azure-native:web:WebAppFtpAllowed": {
    path: "Microsoft.Web/sites/{name}/basicPublishingCredentialsPolicies/ftp",
    outputs: () => ({ name: "ftp" }),
  },
  "azure-native:web:WebAppScmAllowed": {
    path: "Microsoft.Web/sites/{name}/basicPublishingCredentialsPolicies/scm",
    outputs: () => ({ name: "scm" }),
  },
  "azure-native:network:WebApplicationFirewallPolicy": {
    path: "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/{policyName}",
  },
  "azure-native:network:ApplicationSecurityGroup": {
    path: "Microsoft.Network/applicationSecurityGroups/{applicationSecurityGroupName}",
  },
  "azure-native:network:ApplicationGateway": {
    path: "Microsoft.Network/applicationGateways/{applicationGatewayName}",
    outputs: () => ({ operationalState: "Running", provisioningState: "Succeeded" }),
  },
  "azure-native:web:AppServicePlan": { path: "Microsoft.Web/serverfarms/{name}" },
  "azuread:index/group:Group": {
    path: "groups/{displayName}",
    root: "none",
    outputs: (_i, c) => ({ objectId: guidFor(`${c.urn}/objectId`) }),
  },
  // Streaming tier: Event Hubs (hubs, consumer groups, the namespace's network rule set), the Stream Analytics job
  // (typed, with its system-assigned identity), the cluster types a stack may still use, and the alerts.
  "azure-native:eventhub:Namespace": {
    path: "Microsoft.EventHub/namespaces/{namespaceName}",
    outputs: (i) => ({
      serviceBusEndpoint: `https://${String(i.namespaceName)}.servicebus.windows.net:443/`,
      status: "Active",
      ...(i.identity ? { identity: { ...(i.identity as Inputs), tenantId: TENANT_ID } } : {}),
    }),
  },
  "azure-native:eventhub:EventHub": { path: "Microsoft.EventHub/namespaces/{namespaceName}/eventhubs/{eventHubName}" },
  "azure-native:eventhub:ConsumerGroup": {
    path: "Microsoft.EventHub/namespaces/{namespaceName}/eventhubs/{eventHubName}/consumergroups/{consumerGroupName}",
  },
  // A singleton child: ARM names it "default" (NamespaceNetworkRuleSet has no name input).
  "azure-native:eventhub:NamespaceNetworkRuleSet": {
    path: "Microsoft.EventHub/namespaces/{namespaceName}/networkRuleSets/default",
    outputs: () => ({ name: "default" }),
  },
  "azure-native:streamanalytics:StreamingJob": {
    path: "Microsoft.StreamAnalytics/streamingjobs/{jobName}",
    outputs: (i, c) => ({
      jobState: "Created",
      ...(i.identity
        ? { identity: { ...(i.identity as Inputs), principalId: guidFor(`${c.id}/principal`), tenantId: TENANT_ID } }
        : {}),
    }),
  },
  "azure-native:streamanalytics:Cluster": {
    path: "Microsoft.StreamAnalytics/clusters/{clusterName}",
    outputs: () => ({ provisioningState: "Succeeded" }),
  },
  "azure-native:streamanalytics:PrivateEndpoint": {
    path: "Microsoft.StreamAnalytics/clusters/{clusterName}/privateEndpoints/{privateEndpointName}",
  },
  // The generic resource: `parentResourcePath` may be "" (a top-level type); the id collapses the empty segment.
  "azure-native:resources:Resource": {
    path: "{resourceProviderNamespace}/{parentResourcePath}/{resourceType}/{resourceName}",
    outputs: (i, c) => {
      const identity = i.identity as Inputs | undefined;
      const name = { name: String(i.resourceName) };
      return identity && String(identity.type).includes("SystemAssigned")
        ? { ...name, identity: { ...identity, principalId: guidFor(`${c.id}/principal`), tenantId: TENANT_ID } }
        : name;
    },
  },
  "azure-native:monitor:ScheduledQueryRule": { path: "Microsoft.Insights/scheduledQueryRules/{ruleName}" },
  "random:index/randomString:RandomString": {
    path: "{length}",
    root: "none",
    outputs: (i, c) => ({
      result: guidFor(c.urn)
        .replace(/-/g, "")
        .slice(0, Number(i.length ?? 8)),
    }),
  },
  // ETL tier: Data Factory and its children (the managed VNet is a generic resources.Resource).
  "azure-native:datafactory:Factory": {
    path: "Microsoft.DataFactory/factories/{factoryName}",
    outputs: (i) => ({ name: String(i.factoryName), provisioningState: "Succeeded" }),
  },
  "azure-native:datafactory:IntegrationRuntime": {
    path: "Microsoft.DataFactory/factories/{factoryName}/integrationRuntimes/{integrationRuntimeName}",
    outputs: (i) => ({ name: String(i.integrationRuntimeName) }),
  },
  "azure-native:datafactory:ManagedPrivateEndpoint": {
    path: "Microsoft.DataFactory/factories/{factoryName}/managedVirtualNetworks/{managedVirtualNetworkName}/managedPrivateEndpoints/{managedPrivateEndpointName}",
    outputs: (i) => ({
      name: String(i.managedPrivateEndpointName),
      properties: {
        ...((i.properties as Inputs | undefined) ?? {}),
        // Created Pending on the target until its owner approves it (docs/operations.md).
        connectionState: { status: "Pending", description: "", actionsRequired: "" },
        provisioningState: "Succeeded",
      },
    }),
  },
  "azure-native:datafactory:CredentialOperation": {
    path: "Microsoft.DataFactory/factories/{factoryName}/credentials/{credentialName}",
    outputs: (i) => ({ name: String(i.credentialName) }),
  },
  "azure-native:datafactory:LinkedService": {
    path: "Microsoft.DataFactory/factories/{factoryName}/linkedservices/{linkedServiceName}",
    outputs: (i) => ({ name: String(i.linkedServiceName) }),
  },
  "azure-native:datafactory:GlobalParameter": {
    path: "Microsoft.DataFactory/factories/{factoryName}/globalParameters/{globalParameterName}",
    outputs: (i) => ({ name: String(i.globalParameterName) }),
  },
  "azure-native:datafactory:Dataset": {
    path: "Microsoft.DataFactory/factories/{factoryName}/datasets/{datasetName}",
    outputs: (i) => ({ name: String(i.datasetName) }),
  },
  "azure-native:datafactory:Pipeline": {
    path: "Microsoft.DataFactory/factories/{factoryName}/pipelines/{pipelineName}",
    outputs: (i) => ({ name: String(i.pipelineName) }),
  },
  "azuread:index/groupMember:GroupMember": {
    path: "{groupObjectId}/member/{memberObjectId}",
    root: "none",
  },
  "azure-native:datafactory:Trigger": {
    path: "Microsoft.DataFactory/factories/{factoryName}/triggers/{triggerName}",
    // A new trigger is Stopped until the deploy workflow starts it.
    outputs: (i) => ({
      name: String(i.triggerName),
      properties: { ...((i.properties as Inputs | undefined) ?? {}), runtimeState: "Stopped" },
    }),
  },
  // Operations tier (components/operations).
  "azure-native:monitor:MetricAlert": { path: "Microsoft.Insights/metricAlerts/{ruleName}" },
  "azure-native:monitor:ActivityLogAlert": { path: "Microsoft.Insights/activityLogAlerts/{activityLogAlertName}" },
  "azure-native:monitor:SubscriptionDiagnosticSetting": {
    path: "providers/Microsoft.Insights/diagnosticSettings/{name}",
    root: "subscription",
  },
  "azure-native:applicationinsights:Workbook": { path: "Microsoft.Insights/workbooks/{resourceName}" },
  "azure-native:costmanagement:Budget": {
    path: "providers/Microsoft.CostManagement/budgets/{budgetName}",
    root: "scope",
  },
  "azure-native:security:Pricing": {
    path: "providers/Microsoft.Security/pricings/{pricingName}",
    root: "scopeId",
  },
  "azure-native:security:SecurityContact": {
    path: "providers/Microsoft.Security/securityContacts/{securityContactName}",
    root: "subscription",
  },
  "azure-native:authorization:PolicyDefinition": {
    path: "providers/Microsoft.Authorization/policyDefinitions/{policyDefinitionName}",
    root: "subscription",
  },
  "azure-native:authorization:PolicyAssignment": {
    path: "providers/Microsoft.Authorization/policyAssignments/{policyAssignmentName}",
    root: "scope",
  },
  "azure-native:securityinsights:SentinelOnboardingState": {
    path: "Microsoft.OperationalInsights/workspaces/{workspaceName}/providers/Microsoft.SecurityInsights/onboardingStates/{sentinelOnboardingStateName}",
  },
  "azure-native:securityinsights:ASCDataConnector": {
    path: "Microsoft.OperationalInsights/workspaces/{workspaceName}/providers/Microsoft.SecurityInsights/dataConnectors/{dataConnectorId}",
  },
  "azure-native:securityinsights:ScheduledAlertRule": {
    path: "Microsoft.OperationalInsights/workspaces/{workspaceName}/providers/Microsoft.SecurityInsights/alertRules/{ruleId}",
  },
  "azure-native:securityinsights:MicrosoftSecurityIncidentCreationAlertRule": {
    path: "Microsoft.OperationalInsights/workspaces/{workspaceName}/providers/Microsoft.SecurityInsights/alertRules/{ruleId}",
  },
};

/** Class name of a type token: `azure-native:keyvault:Vault` → `Vault`. */
function className(type: string): string {
  return type.split(":").pop()?.split("/").pop() ?? type;
}

/** The Azure name a resource gets: its `<class>Name` input, `name`, or the logical name. */
export function azureName(type: string, logical: string, inputs: Inputs): string {
  const cls = className(type);
  const own = `${cls.charAt(0).toLowerCase()}${cls.slice(1)}Name`;
  for (const key of [own, "name", "resourceName"]) {
    const v = inputs[key];
    if (typeof v === "string" && v.length > 0) return v;
  }
  return logical;
}

function fill(template: string, inputs: Inputs, logical: string): string {
  return template.replace(/\{(\w+)\}/g, (_m, key: string) => {
    const v = inputs[key];
    return typeof v === "string" || typeof v === "number" ? String(v) : logical;
  });
}

/** The id and outputs a resource gets from the mock provider. */
export function mockResource(
  type: string,
  logical: string,
  urn: string,
  inputs: Inputs,
  lookup: MockContext["lookup"] = () => undefined,
): { id: string; state: Inputs } {
  const spec = ARM_TYPES[defaultTypeToken(type)];
  const name = azureName(type, logical, inputs);
  let id: string;
  if (!spec) {
    // Generic fallback (tests require an explicit entry for every type the program uses).
    const [, module = "unknown", cls = "Resource"] = type.split(":");
    id = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${String(inputs.resourceGroupName ?? "rg")}/providers/Microsoft.${module}/${cls.toLowerCase()}s/${name}`;
  } else {
    // An empty segment (a generic resource's "" parentResourcePath) is not part of an ARM id.
    const path = fill(spec.path, { ...inputs, name }, name).replace(/\/{2,}/g, "/");
    switch (spec.root ?? "resourceGroup") {
      case "subscription":
        id = `/subscriptions/${SUBSCRIPTION_ID}/${path}`;
        break;
      case "scope":
        id = `${String(inputs.scope)}/${path}`;
        break;
      case "resourceUri":
        id = `${String(inputs.resourceUri)}/${path}`;
        break;
      case "scopeId":
        // Defender pricings: `scopeId` is `subscriptions/<id>`, without the leading slash.
        id = `/${String(inputs.scopeId)}/${path}`;
        break;
      case "none":
        id = guidFor(urn);
        break;
      default:
        id = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${String(inputs.resourceGroupName)}/providers/${path}`;
    }
  }
  // Azure answers with the resource's own name as `name`: always the last segment of its ARM id.
  const armName = spec?.root === "none" ? name : (id.split("/").pop() ?? name);
  const extra = spec?.outputs ? spec.outputs(inputs, { id, name: armName, urn, lookup }) : {};
  return {
    id,
    state: { ...inputs, ...extra, name: armName, ...(spec?.root === "none" ? {} : { id }) },
  };
}

/**
 * An invoke's failure as the engine hands it to the SDK: a gRPC error whose `details` carry the provider's message
 * (the SDK rejects the invoke with `new Error(err.details)`, @pulumi/pulumi runtime/invoke.js).
 */
function invokeError(message: string): Error {
  return Object.assign(new Error(message), { details: message });
}

/** The token under which the offline engine lists the program's own ARM reads with its invokes (ProgramRun.invokes). */
export const ARM_READ = "arm:GET";

/** The ARM paths the program reads itself (components/shared/armRead.ts), as patterns. */
const ARM_READS: readonly RegExp[] = [
  // A Cosmos DB container's throughput settings (components/nosql/throughput.ts).
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.DocumentDB\/databaseAccounts\/[^/]+\/sqlDatabases\/[^/]+\/containers\/[^/]+\/throughputSettings\/default$/,
  // An Azure SQL database's space (components/oltp/space.ts).
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Sql\/servers\/[^/]+\/databases\/[^/]+\/usages$/,
  // A storage account's pending conversion (components/olap/lake.ts).
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+\/accountMigrations\/default$/,
];

/**
 * The program's own ARM reads (components/shared/armRead.ts: a Cosmos DB container's throughput settings, a SQL
 * database's space, a storage account's pending conversion), as the invokes of the creation-only checks are answered: nothing deployed (a first preview never
 * reads: the names are unknown then). An ARM path it does not know fails the run, naming it, as an invoke without a
 * mock does.
 */
export function mockArmRead(resourceId: string): undefined {
  if (!ARM_READS.some((r) => r.test(resourceId)))
    throw new Error(
      `the offline preview has no mock for the ARM read of '${resourceId}' (add one in tools/lib/azureMocks.ts)`,
    );
  return undefined;
}

// The checks of what is deployed (components/shared/deployed.ts) read what they guard: the Cosmos DB account, the
// SQL servers and databases, the factory, the hub, the audit archive's retention policy, the gateway and its
// certificate, the VNet, the data lake's account, the key vaults, the ML scoring endpoint's traffic split, the Log
// Analytics workspace's commitment tier. The offline engine holds no copy of Azure to answer with: it reports them missing (a first
// preview reads only the VNet, whose names are known then, and is answered as Azure answers before the group exists),
// so these checks pass offline; a `pulumi preview` of a
// deployed stack reads the real resources.
const DEPLOYED_READS: Readonly<Record<string, (inputs: Inputs) => string>> = {
  "azure-native:cosmosdb:getDatabaseAccount": (i) => `Microsoft.DocumentDB/databaseAccounts/${String(i.accountName)}`,
  "azure-native:sql:getDatabase": (i) =>
    `Microsoft.Sql/servers/${String(i.serverName)}/databases/${String(i.databaseName)}`,
  "azure-native:sql:getServer": (i) => `Microsoft.Sql/servers/${String(i.serverName)}`,
  "azure-native:datafactory:getFactory": (i) => `Microsoft.DataFactory/factories/${String(i.factoryName)}`,
  "azure-native:eventhub:getEventHub": (i) =>
    `Microsoft.EventHub/namespaces/${String(i.namespaceName)}/eventhubs/${String(i.eventHubName)}`,
  "azure-native:storage:getBlobContainerImmutabilityPolicy": (i) =>
    `Microsoft.Storage/storageAccounts/${String(i.accountName)}/blobServices/default/containers/${String(i.containerName)}/immutabilityPolicies/${String(i.immutabilityPolicyName)}`,
  "azure-native:network:getApplicationGateway": (i) =>
    `Microsoft.Network/applicationGateways/${String(i.applicationGatewayName)}`,
  "azure-native:keyvault:getSecret": (i) =>
    `Microsoft.KeyVault/vaults/${String(i.vaultName)}/secrets/${String(i.secretName)}`,
  "azure-native:network:getVirtualNetwork": (i) => `Microsoft.Network/virtualNetworks/${String(i.virtualNetworkName)}`,
  "azure-native:storage:getStorageAccount": (i) => `Microsoft.Storage/storageAccounts/${String(i.accountName)}`,
  "azure-native:keyvault:getVault": (i) => `Microsoft.KeyVault/vaults/${String(i.vaultName)}`,
  "azure-native:operationalinsights:getWorkspace": (i) =>
    `Microsoft.OperationalInsights/workspaces/${String(i.workspaceName)}`,
  "azure-native:machinelearningservices:getOnlineEndpoint": (i) =>
    `Microsoft.MachineLearningServices/workspaces/${String(i.workspaceName)}/onlineEndpoints/${String(i.endpointName)}`,
};

/** Invokes the program calls; `firstPreview`: as during a new stack's first preview, when nothing exists in Azure. */
export function mockCall(token: string, inputs: Inputs, when: { readonly firstPreview: boolean }): Inputs {
  switch (token) {
    // What exists already (components/streaming/streamAnalytics.ts `endpointsReady`): nothing during a first preview,
    // as azure-native reports a missing group; once deployed, the job with the identity its resource mock gives it.
    case "azure-native:streamanalytics:getStreamingJob": {
      const id = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${String(inputs.resourceGroupName)}/providers/Microsoft.StreamAnalytics/streamingjobs/${String(inputs.jobName)}`;
      if (when.firstPreview)
        throw invokeError(
          `invocation of ${token} returned an error: request failed ${id}: Status=404 Code="ResourceGroupNotFound" Message="Resource group '${String(inputs.resourceGroupName)}' could not be found."`,
        );
      return {
        id,
        name: inputs.jobName,
        identity: { type: "SystemAssigned", principalId: guidFor(`${id}/principal`), tenantId: TENANT_ID },
      };
    }
    // Once deployed, the job has its input (the program's second `up` gave it).
    case "azure-native:streamanalytics:getInput": {
      const id = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${String(inputs.resourceGroupName)}/providers/Microsoft.StreamAnalytics/streamingjobs/${String(inputs.jobName)}/inputs/${String(inputs.inputName)}`;
      if (when.firstPreview)
        throw invokeError(
          `invocation of ${token} returned an error: request failed ${id}: Status=404 Code="ResourceGroupNotFound" Message="Resource group '${String(inputs.resourceGroupName)}' could not be found."`,
        );
      return { id, name: inputs.inputName };
    }
    // Once deployed, the role assignments the program declares exist (tests compare what it asks with what it grants).
    case "azure-native:authorization:getRoleAssignment":
      if (when.firstPreview)
        throw invokeError(
          `invocation of ${token} returned an error: request failed ${String(inputs.scope)}/providers/Microsoft.Authorization/roleAssignments/${String(inputs.roleAssignmentName)}: Status=404 Code="RoleAssignmentNotFound" Message="The role assignment '${String(inputs.roleAssignmentName)}' is not found."`,
        );
      return {
        id: `${String(inputs.scope)}/providers/Microsoft.Authorization/roleAssignments/${String(inputs.roleAssignmentName)}`,
        name: inputs.roleAssignmentName,
        scope: inputs.scope,
      };
    // The stack's budget (components/operations/governance.ts), read only when its configured start date is one Azure
    // refuses at creation: nothing deployed, as for the other checks' reads.
    case "azure-native:costmanagement:getBudget":
      throw invokeError(
        `invocation of ${token} returned an error: request failed ${String(inputs.scope)}/providers/Microsoft.CostManagement/budgets/${String(inputs.budgetName)}: Status=404 Code="NotFound" Message="The offline preview holds no deployed resources to read."`,
      );
    default: {
      const path = DEPLOYED_READS[token];
      if (path) {
        const id = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${String(inputs.resourceGroupName)}/providers/${path(inputs)}`;
        throw invokeError(
          when.firstPreview
            ? `invocation of ${token} returned an error: request failed ${id}: Status=404 Code="ResourceGroupNotFound" Message="Resource group '${String(inputs.resourceGroupName)}' could not be found."`
            : `invocation of ${token} returned an error: request failed ${id}: Status=404 Code="ResourceNotFound" Message="The offline preview holds no deployed resources to read."`,
        );
      }
      // As an invoke error (its `details`), or the SDK reports an empty message: the program's error then names the
      // input being serialised and nothing else.
      throw invokeError(`the offline preview has no mock for invoke '${token}' (add one in tools/lib/azureMocks.ts)`);
    }
    case "azure-native:authorization:getClientConfig":
      return {
        clientId: DEPLOYER_OBJECT_ID,
        objectId: DEPLOYER_OBJECT_ID,
        subscriptionId: SUBSCRIPTION_ID,
        tenantId: TENANT_ID,
      };
    case "azuread:index/getGroup:getGroup":
      return {
        objectId: inputs.objectId,
        displayName: `existing-group-${String(inputs.objectId).slice(0, 8)}`,
        securityEnabled: true,
      };
    case "azuread:index/getServicePrincipal:getServicePrincipal":
      return {
        clientId: inputs.clientId,
        objectId: guidFor(`serviceprincipal/${String(inputs.clientId)}`),
        displayName: `service-principal-${String(inputs.clientId).slice(0, 8)}`,
      };
    case "azuread:index/getClientConfig:getClientConfig":
      return { clientId: DEPLOYER_OBJECT_ID, objectId: DEPLOYER_OBJECT_ID, tenantId: TENANT_ID };
  }
}
