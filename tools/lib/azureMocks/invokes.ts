/**
 * The invoke mocks: the program's own ARM reads, the reads of the checks of what is deployed (nothing deployed), the
 * lookups and client configs the program calls.
 */
import { DEPLOYER_OBJECT_ID, guidFor, SUBSCRIPTION_ID, TENANT_ID, type Inputs } from "./common";

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
      `the offline preview has no mock for the ARM read of '${resourceId}' (add one in tools/lib/azureMocks/invokes.ts)`,
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
      throw invokeError(
        `the offline preview has no mock for invoke '${token}' (add one in tools/lib/azureMocks/invokes.ts)`,
      );
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
