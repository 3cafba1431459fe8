/**
 * The ARM types of the workload tiers: Azure ML, ingestion (gateway, function apps, Entra ID groups), streaming and its
 * alerts, the generic resource, random strings, the ETL tier's Data Factory and Entra ID group members.
 */
import { guidFor, TENANT_ID, type ArmSpec, type Inputs } from "./common";

export const WORKLOAD_TYPES: Record<string, ArmSpec> = {
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
};
