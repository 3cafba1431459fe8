/** The ARM types of the data tiers: Cosmos DB, Azure SQL, the lake's children and Synapse; ARM deployments. */
import { guidFor, TENANT_ID, type ArmSpec, type Inputs } from "./common";

export const DATA_TYPES: Record<string, ArmSpec> = {
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
};
