/**
 * The Log Analytics tables this program's diagnostics fill, with the columns the operations tier's queries read,
 * and what sends each one (resource type + log category + destination mode, or Application Insights, or metrics).
 * Tests derive from the offline preview which tables the stack really sends (its diagnostic settings, the
 * workspace-based Application Insights components) and check every alert, workbook and analytics-rule query
 * against this catalogue, so a query never names a table or column nothing sends.
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

/**
 * KQL words a query may use besides its tables' columns and the names it defines: operators, functions, keywords
 * and literals. A word outside this list and the catalogue fails the tests (a typo or an unsent column).
 */
export const KQL_WORDS = new Set([
  "let",
  "toscalar",
  "print",
  "coalesce",
  "lookup",
  "pow",
  "where",
  "summarize",
  "by",
  "extend",
  "project",
  "order",
  "asc",
  "desc",
  "top",
  "take",
  "limit",
  "and",
  "or",
  "not",
  "in",
  "has",
  "contains",
  "startswith",
  "matches",
  "regex",
  "endswith",
  "between",
  "join",
  "kind",
  "inner",
  "leftouter",
  "on",
  "union",
  "isfuzzy",
  "datatable",
  "render",
  "timechart",
  "barchart",
  "piechart",
  "columnchart",
  "areachart",
  "with",
  "parse",
  "let",
  "count",
  "countif",
  "dcount",
  "sum",
  "sumif",
  "avg",
  "avgif",
  "min",
  "max",
  "percentile",
  "percentiles",
  "percentilew",
  "bin",
  "ago",
  "now",
  "datetime_diff",
  "isnull",
  "isnotnull",
  "isempty",
  "isnotempty",
  "iff",
  "case",
  "todouble",
  "toint",
  "tolong",
  "tostring",
  "round",
  "strcat",
  "tolower",
  "toupper",
  "long",
  "string",
  "int",
  "real",
  "double",
  "bool",
  "datetime",
  "dynamic",
  "true",
  "false",
  "make_set",
  "arg_max",
  "take_any",
  "millisecond",
  "minute",
  "hour",
  "day",
  "h",
  "m",
  "d",
  "s",
  "ms",
  "distinct",
  "mv_expand",
  "mv",
  "expand",
  "typeof",
  "column_ifexists",
  "to",
  "todynamic",
  "parse_json",
  "tostring",
  "tobool",
  "split",
  "array_length",
  "extract",
  "format_datetime",
  "startofday",
  "series_stats",
  "has_any",
  "in~",
  "contains_cs",
  "ingestion_time",
  "trim_start",
  "coalesce",
  "count_",
  "split",
  "row_number",
  "prev",
  "sort",
  "serialize",
  "project_away",
  "getschema",
  "toupper",
  "trim",
]);

/**
 * The tables a `union [option=value …] A, (B | …), (datatable(…)[])` statement starting at `from` reads: the first
 * word of each top-level operand, except a `datatable` literal.
 */
function unionOperands(body: string, from: number): string[] {
  const rest = body.slice(from).replace(/^union\b(?:\s+\w+\s*=\s*\w+)*/, "");
  const operands: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of rest) {
    if (depth === 0 && (ch === "|" || ch === ";")) break;
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth === 0 && ch === ",") {
      operands.push(current);
      current = "";
    } else current += ch;
  }
  operands.push(current);
  return operands
    .map((o) => /^[\s(]*([A-Za-z_][A-Za-z0-9_]*)/.exec(o)?.[1])
    .filter((t): t is string => t !== undefined && t !== "datatable");
}

/** Tables a query reads: the first word, each operand of a `union`, and each table after `join (`. */
export function tablesOf(query: string): string[] {
  const body = stripStrings(query).replace(/\/\/[^\n]*/g, "");
  const tables = new Set<string>();
  // Statements: `let x = T | …;` / `let x = toscalar(T | …);` read T; the final statement starts with its table, or
  // with `print` (no table).
  for (const statement of body.split(";").map((x) => x.trim())) {
    const bound = /^let\s+\w+\s*=\s*(?:toscalar\s*\(\s*)?([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()/.exec(statement);
    // `toscalar(union …)`: the union's operands are read below.
    if (bound && bound[1] !== "union") tables.add(bound[1]);
    else if (/^let\b/.test(statement)) continue;
    else {
      const first = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(statement);
      if (first && first[1] !== "print" && first[1] !== "union") tables.add(first[1]);
    }
  }
  for (const m of body.matchAll(/\bjoin(?:\s+kind\s*=\s*\w+)?\s*\(?\s*([A-Za-z_][A-Za-z0-9_]*)/g)) tables.add(m[1]);
  for (const m of body.matchAll(/\bunion\b/g)) unionOperands(body, m.index).forEach((t) => tables.add(t));
  // A `let` name joined or unioned later is the query's own tabular value, not a table of the workspace.
  for (const m of body.matchAll(/(?:^|;)\s*let\s+([A-Za-z_][A-Za-z0-9_]*)\s*=/g)) tables.delete(m[1]);
  return [...tables];
}

/** The query with string literals removed (their content is data, not names). */
export function stripStrings(query: string): string {
  return query.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
}

/** Names a query defines: `X =` in extend/summarize/project/let, and `X:type` in parse patterns. */
export function definedNames(query: string): Set<string> {
  const body = stripStrings(query);
  const names = new Set<string>();
  for (const m of body.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=|~)/g)) names.add(m[1]);
  for (const m of body.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?:long|string|int|real|double|datetime|bool)\b/g))
    names.add(m[1]);
  return names;
}

/**
 * Words of `query` that are neither KQL, nor a column of its tables (from the catalogue), nor defined by the query:
 * empty when the query only names what the diagnostics send. Unknown tables are reported as `table:<name>`.
 */
export function unknownNames(query: string, sentTables: ReadonlySet<string>): string[] {
  const tables = tablesOf(query);
  const problems: string[] = [];
  const columns = new Set<string>(STANDARD_COLUMNS);
  for (const t of tables) {
    const spec = TABLES[t];
    if (!spec || !sentTables.has(t)) {
      problems.push(`table:${t}`);
      continue;
    }
    spec.columns.forEach((c) => columns.add(c));
  }
  const defined = definedNames(query);
  const body = stripStrings(query).replace(/\/\/[^\n]*/g, "");
  for (const m of body.matchAll(/(?<![.\w])([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const word = m[1];
    if (KQL_WORDS.has(word) || columns.has(word) || defined.has(word) || tables.includes(word)) continue;
    if (/^\d/.test(word)) continue;
    problems.push(word);
  }
  return [...new Set(problems)];
}
