/**
 * The ARM types of the platform: the resource group, Log Analytics, the network (firewall, private endpoints and DNS),
 * Key Vault, identities and role assignments, monitoring, Event Grid, time sleeps, the storage account and its blob
 * service.
 */
import { nthAddress, parseCidr } from "../../../lib/cidr";
import { guidFor, TENANT_ID, type ArmSpec, type Inputs, type MockContext } from "./common";

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

export const PLATFORM_TYPES: Record<string, ArmSpec> = {
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
};
