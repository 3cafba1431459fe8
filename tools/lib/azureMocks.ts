/**
 * Realistic ARM ids and provider outputs for the offline preview's mock engine. Each resource type the program
 * uses has an entry: its ARM path template (placeholders are input names) and the outputs Azure computes
 * (FQDNs, principal ids, key URIs, ...). Inputs are echoed as outputs, as azure-native does.
 */
import { uuidv5 } from "../../lib/uuid";

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
  readonly root?: "resourceGroup" | "subscription" | "scope" | "resourceUri" | "none";
  /** Outputs Azure computes. */
  readonly outputs?: (inputs: Inputs, ctx: { id: string; name: string; urn: string }) => Inputs;
}

const guidFor = (seed: string) => uuidv5(seed);

export const ARM_TYPES: Record<string, ArmSpec> = {
  "azure-native:resources:ResourceGroup": { path: "resourceGroups/{resourceGroupName}", root: "subscription" },
  "azure-native:operationalinsights:Workspace": {
    path: "Microsoft.OperationalInsights/workspaces/{workspaceName}",
    outputs: (_i, c) => ({ customerId: guidFor(`${c.id}/customerId`) }),
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
  "azure-native:network:DdosProtectionPlan": { path: "Microsoft.Network/ddosProtectionPlans/{ddosProtectionPlanName}" },
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
    outputs: (i) => ({
      ipConfigurations: ((i.ipConfigurations as Inputs[] | undefined) ?? []).map((c) => ({
        ...c,
        privateIPAddress: "10.0.0.4",
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
    // The Azure name is the `accountName` input (not `storageAccountName`).
    outputs: (i, c) => {
      const name = typeof i.accountName === "string" ? i.accountName : c.name;
      return {
        name,
        primaryEndpoints: {
          blob: `https://${name}.blob.core.windows.net/`,
          dfs: `https://${name}.dfs.core.windows.net/`,
          queue: `https://${name}.queue.core.windows.net/`,
          table: `https://${name}.table.core.windows.net/`,
        },
      };
    },
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
  // Ingestion tier and the shared function app hosting.
  "azure-native:storage:BlobServiceProperties": {
    path: "Microsoft.Storage/storageAccounts/{accountName}/blobServices/{blobServicesName}",
  },
  "azure-native:storage:BlobContainer": {
    path: "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{containerName}",
    outputs: (i) => ({ name: String(i.containerName) }),
  },
  "azure-native:applicationinsights:Component": {
    path: "Microsoft.Insights/components/{resourceName}",
    outputs: (_i, c) => {
      const key = guidFor(`${c.id}/instrumentationKey`);
      return {
        name: c.name,
        instrumentationKey: key,
        appId: guidFor(`${c.id}/appId`),
        connectionString: `InstrumentationKey=${key};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/`,
      };
    },
  },
  "azure-native:web:AppServicePlan": { path: "Microsoft.Web/serverfarms/{name}" },
  "azure-native:web:WebApp": {
    path: "Microsoft.Web/sites/{name}",
    outputs: (_i, c) => ({
      defaultHostName: `${c.name}.azurewebsites.net`,
      state: "Running",
    }),
  },
  // Fixed-name children of a site: `name` is the site (a path parameter); the child's Azure name is fixed.
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
  "azure-native:network:ApplicationGateway": {
    path: "Microsoft.Network/applicationGateways/{applicationGatewayName}",
    outputs: () => ({ operationalState: "Running", provisioningState: "Succeeded" }),
  },
  "azure-native:authorization:RoleDefinition": {
    path: "providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}",
    root: "scope",
  },
  "azuread:index/group:Group": {
    path: "groups/{displayName}",
    root: "none",
    outputs: (_i, c) => ({ objectId: guidFor(`${c.urn}/objectId`) }),
  },
  "random:index/randomString:RandomString": {
    path: "{length}",
    root: "none",
    outputs: (i, c) => ({
      result: guidFor(c.urn)
        .replace(/-/g, "")
        .slice(0, Number(i.length ?? 8)),
    }),
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
): { id: string; state: Inputs } {
  const spec = ARM_TYPES[type];
  const name = azureName(type, logical, inputs);
  let id: string;
  if (!spec) {
    // Generic fallback (tests require an explicit entry for every type the program uses).
    const [, module = "unknown", cls = "Resource"] = type.split(":");
    id = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${String(inputs.resourceGroupName ?? "rg")}/providers/Microsoft.${module}/${cls.toLowerCase()}s/${name}`;
  } else {
    const path = fill(spec.path, { ...inputs, name }, name);
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
      case "none":
        id = guidFor(urn);
        break;
      default:
        id = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${String(inputs.resourceGroupName)}/providers/${path}`;
    }
  }
  // Azure answers with the resource's own name as `name`: always the last segment of its ARM id.
  const armName = spec?.root === "none" ? name : (id.split("/").pop() ?? name);
  const extra = spec?.outputs ? spec.outputs(inputs, { id, name: armName, urn }) : {};
  return {
    id,
    state: { ...inputs, ...extra, name: armName, ...(spec?.root === "none" ? {} : { id }) },
  };
}

/** Invokes the program calls. */
export function mockCall(token: string, inputs: Inputs): Inputs {
  switch (token) {
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
    case "azuread:index/getClientConfig:getClientConfig":
      return { clientId: DEPLOYER_OBJECT_ID, objectId: DEPLOYER_OBJECT_ID, tenantId: TENANT_ID };
    default:
      throw new Error(`the offline preview has no mock for invoke '${token}' (add one in tools/lib/azureMocks.ts)`);
  }
}
