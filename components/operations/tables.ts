/**
 * The Log Analytics tables this program's diagnostics fill, with the columns the operations tier's queries read,
 * and what sends each one (resource type + log category + destination mode, or Application Insights, or metrics).
 * Tests derive from the offline preview which tables the stack really sends (its diagnostic settings, the
 * workspace-based Application Insights components) and check every alert, workbook and analytics-rule query
 * against this catalogue (kqlNames.ts), so a query never names a table or column nothing sends.
 * Column names: the Azure Monitor table reference, https://learn.microsoft.com/azure/azure-monitor/reference/tables/<table>.
 */

/** What fills a table. */
export type TableSource =
  /** A diagnostic log category of a resource type (lower-case ARM type), in resource-specific or legacy mode. */
  | {
      readonly kind: "diagnostics";
      readonly resourceType: string;
      readonly category: string;
      readonly destination: "Dedicated" | "AzureDiagnostics";
    }
  /** A workspace-based Application Insights component. */
  | { readonly kind: "appInsights" }
  /** `AllMetrics` of any diagnostic setting. */
  | { readonly kind: "metrics" }
  /** The subscription's activity log (SubscriptionDiagnosticSetting). */
  | { readonly kind: "activityLog" }
  /** Microsoft Sentinel's Defender for Cloud connector. */
  | { readonly kind: "defenderConnector" }
  /** Microsoft Sentinel itself (onboarded on the workspace): its incidents. */
  | { readonly kind: "sentinel" }
  /**
   * Microsoft Entra's tenant diagnostic setting (`microsoft.aadiam/diagnosticSettings`): outside the stack (a
   * tenant-level resource a Security Administrator creates), a prerequisite docs/operations.md lists.
   */
  | { readonly kind: "entraTenant" }
  /**
   * The workspace's own operation log (`Operation`: daily cap, ingestion limits), written by every workspace when it
   * has something to report (no row while it has nothing: its alert reads it through a fuzzy union, kql.ts).
   */
  | { readonly kind: "workspace" };

export interface TableSpec {
  /** Any one of these sources fills the table. */
  readonly sources: readonly TableSource[];
  readonly columns: readonly string[];
}

/**
 * Platform metrics Azure Monitor does not export through diagnostic settings ("DS Export: No" in
 * learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/<namespace>-metrics): they never reach
 * AzureMetrics, so a log query over them is always empty. Read them as platform metrics (workbook metrics items,
 * metric alerts).
 */
export const METRICS_NOT_EXPORTED: Readonly<Record<string, readonly string[]>> = {
  "microsoft.synapse/workspaces/sqlpools": [
    "DWUUsedPercent",
    "CPUPercent",
    "MemoryUsedPercent",
    "LocalTempDBUsedPercent",
  ],
  "microsoft.documentdb/databaseaccounts": ["NormalizedRUConsumption"],
  // Both export the bytes they move instead: BytesSent/BytesReceived (gateway), DataProcessed (firewall).
  "microsoft.network/applicationgateways": ["Throughput", "CapacityUnits", "ComputeUnits", "CpuUtilization"],
  "microsoft.network/azurefirewalls": ["Throughput"],
};

/** Columns every table has. */
export const STANDARD_COLUMNS = ["TimeGenerated", "_ResourceId", "Type", "_SubscriptionId", "TenantId"] as const;

const diag = (resourceType: string, category: string, destination: "Dedicated" | "AzureDiagnostics" = "Dedicated") =>
  ({ kind: "diagnostics", resourceType, category, destination }) as const;

/** One of Microsoft Entra's sign-in tables (the tenant's Entra diagnostic setting): the failed-login detections' columns. */
const signInTable = (principal: "UserPrincipalName" | "ServicePrincipalName"): TableSpec => ({
  sources: [{ kind: "entraTenant" }],
  columns: ["ResourceIdentity", "ResourceDisplayName", "ResultType", "ResultDescription", "IPAddress", principal],
});

export const TABLES: Readonly<Record<string, TableSpec>> = {
  AppRequests: {
    sources: [{ kind: "appInsights" }],
    columns: ["Name", "Success", "ResultCode", "DurationMs", "ItemCount", "OperationName", "AppRoleName", "Url"],
  },
  AppDependencies: {
    sources: [{ kind: "appInsights" }],
    columns: ["Name", "DependencyType", "Target", "Success", "ResultCode", "DurationMs", "ItemCount", "AppRoleName"],
  },
  AppTraces: {
    sources: [{ kind: "appInsights" }],
    columns: ["Message", "SeverityLevel", "ItemCount", "AppRoleName", "OperationName"],
  },
  AGWAccessLogs: {
    sources: [diag("microsoft.network/applicationgateways", "ApplicationGatewayAccessLog")],
    columns: [
      "HttpStatus",
      "ServerStatus",
      "HttpMethod",
      "RequestUri",
      "Host",
      "ClientIp",
      "ListenerName",
      "BackendPoolName",
      "TimeTaken",
      "ServerResponseLatency",
      "ReceivedBytes",
      "SentBytes",
    ],
  },
  AGWFirewallLogs: {
    sources: [diag("microsoft.network/applicationgateways", "ApplicationGatewayFirewallLog")],
    columns: ["Action", "RuleId", "Message", "ClientIp", "RequestUri", "Hostname"],
  },
  StorageBlobLogs: {
    sources: [
      diag("microsoft.storage/storageaccounts/blobservices", "StorageRead"),
      diag("microsoft.storage/storageaccounts/blobservices", "StorageWrite"),
      diag("microsoft.storage/storageaccounts/blobservices", "StorageDelete"),
    ],
    columns: [
      "Category",
      "AccountName",
      "OperationName",
      "StatusText",
      "StatusCode",
      "ResponseBodySize",
      "Uri",
      "RequesterUpn",
      "RequesterObjectId",
      "CallerIpAddress",
    ],
  },
  CDBDataPlaneRequests: {
    sources: [diag("microsoft.documentdb/databaseaccounts", "DataPlaneRequests")],
    columns: [
      "DurationMs",
      "StatusCode",
      "OperationName",
      "RequestCharge",
      "DatabaseName",
      "CollectionName",
      "RegionName",
      "ResponseLength",
    ],
  },
  SynapseSqlPoolExecRequests: {
    sources: [diag("microsoft.synapse/workspaces/sqlpools", "ExecRequests")],
    columns: [
      "RequestId",
      "Status",
      "SubmitTime",
      "StartTime",
      "EndTime",
      "Label",
      "Command",
      "ResourceClass",
      "ClassifierName",
      "Importance",
      "ResultCacheHit",
    ],
  },
  ADFPipelineRun: {
    sources: [diag("microsoft.datafactory/factories", "PipelineRuns")],
    columns: ["PipelineName", "RunId", "Status", "Start", "End", "FailureType"],
  },
  // learn.microsoft.com/azure/azure-monitor/reference/tables/adfactivityrun (the runbook's failed-activity query).
  ADFActivityRun: {
    sources: [diag("microsoft.datafactory/factories", "ActivityRuns")],
    columns: [
      "PipelineName",
      "ActivityName",
      "ActivityType",
      "Status",
      "PipelineRunId",
      "ActivityRunId",
      "Start",
      "End",
    ],
  },
  AZKVAuditLogs: {
    sources: [diag("microsoft.keyvault/vaults", "AuditEvent")],
    columns: [
      "OperationName",
      "ResultSignature",
      "ResultType",
      "HttpStatusCode",
      "CallerIpAddress",
      "Identity",
      "RequestUri",
      "Id",
    ],
  },
  AZFWThreatIntel: {
    sources: [diag("microsoft.network/azurefirewalls", "AZFWThreatIntel")],
    columns: [
      "SourceIp",
      "SourcePort",
      "DestinationIp",
      "DestinationPort",
      "Protocol",
      "Action",
      "Fqdn",
      "ThreatDescription",
    ],
  },
  // "Operational log of important activities affecting workspace. Includes both user-initiated activities and
  // notifications from Log Analytics workspace services such as data-capping" (the table reference).
  Operation: {
    sources: [{ kind: "workspace" }],
    columns: ["OperationCategory", "OperationStatus", "OperationKey", "Detail", "Solution"],
  },
  AzureMetrics: {
    sources: [{ kind: "metrics" }],
    columns: [
      "ResourceId",
      "ResourceProvider",
      "Resource",
      "MetricName",
      "Average",
      "Maximum",
      "Minimum",
      "Total",
      "Count",
    ],
  },
  SQLSecurityAuditEvents: {
    // The SQL audit of the Synapse dedicated pool and the workspace's SQL endpoints, resource-specific (their
    // diagnostic settings are Dedicated); the OLTP server's audit goes to AzureDiagnostics instead.
    sources: [
      diag("microsoft.synapse/workspaces/sqlpools", "SQLSecurityAuditEvents"),
      diag("microsoft.synapse/workspaces", "SQLSecurityAuditEvents"),
    ],
    columns: [
      "ActionId",
      "ActionName",
      "Succeeded",
      "Statement",
      "AffectedRows",
      "ResponseRows",
      "ServerPrincipalName",
      "DatabasePrincipalName",
      "ClientIp",
      "DatabaseName",
    ],
  },
  AzureDiagnostics: {
    // The SQL audit of the master database (server auditing to Azure Monitor) in legacy mode: suffixed columns.
    sources: [diag("microsoft.sql/servers/databases", "SQLSecurityAuditEvents", "AzureDiagnostics")],
    columns: [
      "Category",
      "ResourceProvider",
      "Resource",
      "action_id_s",
      "action_name_s",
      "succeeded_s",
      "affected_rows_d",
      "response_rows_d",
      "server_principal_name_s",
      "database_principal_name_s",
      "client_ip_s",
      "database_name_s",
      "statement_s",
    ],
  },
  AzureActivity: {
    sources: [{ kind: "activityLog" }],
    columns: [
      "OperationNameValue",
      "ActivityStatusValue",
      "CategoryValue",
      "Caller",
      "CallerIpAddress",
      "ResourceGroup",
      "Properties_d",
    ],
  },
  SecurityAlert: {
    sources: [{ kind: "defenderConnector" }],
    columns: ["AlertName", "AlertSeverity", "ProductName", "CompromisedEntity"],
  },
  SecurityIncident: {
    sources: [{ kind: "sentinel" }],
    columns: ["IncidentNumber", "Status"],
  },
  // Microsoft Entra's sign-in logs (categories SignInLogs, NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs,
  // ManagedIdentitySignInLogs of the tenant's Entra diagnostic setting): the failed logins to the SQL engines.
  SigninLogs: signInTable("UserPrincipalName"),
  AADNonInteractiveUserSignInLogs: signInTable("UserPrincipalName"),
  AADServicePrincipalSignInLogs: signInTable("ServicePrincipalName"),
  AADManagedIdentitySignInLogs: signInTable("ServicePrincipalName"),
};
