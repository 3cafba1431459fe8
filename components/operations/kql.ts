/**
 * The tables the analytics rules and log alerts read, with Microsoft's column types, and the KQL they are read with:
 * each table through `union isfuzzy=true` with an empty `datatable` of its columns, so a query resolves on a workspace
 * where the table does not exist yet (detections.ts says why rules and alerts need that).
 */
/** KQL scalar types of the columns the rules read. */
export type KqlType = "string" | "int" | "long" | "real" | "bool" | "datetime" | "dynamic";

/** The columns the failed-login detections read from one of Entra's sign-in tables, which names its principal so. */
function signInColumns<P extends "UserPrincipalName" | "ServicePrincipalName">(principal: P) {
  return {
    TimeGenerated: "datetime",
    ResourceIdentity: "string",
    ResourceDisplayName: "string",
    ResultType: "string",
    IPAddress: "string",
    Type: "string",
    [principal]: "string",
  } as { readonly TimeGenerated: "datetime" } & Readonly<
    Record<"ResourceIdentity" | "ResourceDisplayName" | "ResultType" | "IPAddress" | "Type" | P, "string">
  >;
}

/**
 * The columns each analytics rule's or log alert's table provides to its steps, with their types in Microsoft's table
 * reference
 * (learn.microsoft.com/azure/azure-monitor/reference/tables/<table>; AzureDiagnostics' suffixes name the type:
 * `_s` string, `_d` real). A column typed differently from the real table would split into two suffixed columns in
 * the union, so the types must be Microsoft's.
 */
export const RULE_COLUMNS = {
  AzureDiagnostics: {
    Category: "string",
    action_id_s: "string",
    action_name_s: "string",
    succeeded_s: "string",
    statement_s: "string",
    affected_rows_d: "real",
    response_rows_d: "real",
    server_principal_name_s: "string",
    database_principal_name_s: "string",
    client_ip_s: "string",
    database_name_s: "string",
  },
  AZKVAuditLogs: {
    TimeGenerated: "datetime",
    OperationName: "string",
    ResultType: "string",
    RequestUri: "string",
    CallerIpAddress: "string",
    Identity: "dynamic",
    _ResourceId: "string",
  },
  AzureActivity: {
    TimeGenerated: "datetime",
    OperationNameValue: "string",
    ActivityStatusValue: "string",
    Properties_d: "dynamic",
    Caller: "string",
    CallerIpAddress: "string",
    ResourceGroup: "string",
    _ResourceId: "string",
  },
  AZFWThreatIntel: {
    SourceIp: "string",
    DestinationIp: "string",
    Fqdn: "string",
    ThreatDescription: "string",
  },
  // The workspace's own operation log (daily cap, ingestion rate limit, dropped data), read by the ingestion alert:
  // it gets a row only when the workspace reports something, so a healthy workspace may have none for weeks, and a
  // query fails when "data stopped flowing to a table in the query for more than 30 days" (alerts-troubleshoot-log):
  // a week of failures would switch the PCI DSS 10.7.2 alert off. Columns as Microsoft's table reference types them
  // (learn.microsoft.com/azure/azure-monitor/reference/tables/operation).
  Operation: { OperationCategory: "string", OperationStatus: "string", Detail: "string" },
  // The SLA alerts' tables (components/operations/sla.ts): each fills as soon as its service is used, but a quiet dev
  // stack can leave one empty for a week.
  AppTraces: {
    Message: "string",
    ItemCount: "int",
    AppRoleName: "string",
    OperationName: "string",
    TimeGenerated: "datetime",
  },
  AppRequests: { AppRoleName: "string", OperationName: "string", Success: "bool", ItemCount: "int" },
  SynapseSqlPoolExecRequests: {
    _ResourceId: "string",
    Status: "string",
    StartTime: "datetime",
    EndTime: "datetime",
    ClassifierName: "string",
    RequestId: "string",
  },
  CDBDataPlaneRequests: { _ResourceId: "string", DurationMs: "real", CollectionName: "string" },
  AGWAccessLogs: { _ResourceId: "string", HttpStatus: "int" },
  // The Synapse pool's and workspace's SQL audit (their diagnostics are resource-specific), read under
  // AzureDiagnostics' names (SQL_AUDIT_UNDER_LEGACY_NAMES).
  SQLSecurityAuditEvents: {
    TimeGenerated: "datetime",
    _ResourceId: "string",
    ActionId: "string",
    ActionName: "string",
    Succeeded: "bool",
    Statement: "string",
    AffectedRows: "long",
    ResponseRows: "long",
    ServerPrincipalName: "string",
    DatabasePrincipalName: "string",
    ClientIp: "string",
    DatabaseName: "string",
  },
  ADFPipelineRun: { _ResourceId: "string", PipelineName: "string", Status: "string", End: "datetime" },
  // Microsoft Entra's sign-in logs (users, interactive and not; service principals; managed identities), sent by the
  // tenant's Entra diagnostic setting, which the stack cannot create (docs/operations.md): read by the failed-login
  // detections. Every one of the four has ResourceIdentity and ResourceDisplayName (the resource signed in to),
  // IPAddress and ResultType, a string ("0" is success; other values are failures: tables/signinlogs).
  SigninLogs: signInColumns("UserPrincipalName"),
  AADNonInteractiveUserSignInLogs: signInColumns("UserPrincipalName"),
  AADServicePrincipalSignInLogs: signInColumns("ServicePrincipalName"),
  AADManagedIdentitySignInLogs: signInColumns("ServicePrincipalName"),
  // The storage accounts' blob reads (the lake's included: ADLS Gen2 reads are logged here too), read by the bulk-read
  // rule, and writes, read by the package rule; StatusCode is a string in this table, and CallerIpAddress carries the
  // port.
  StorageBlobLogs: {
    TimeGenerated: "datetime",
    Category: "string",
    AccountName: "string",
    OperationName: "string",
    StatusText: "string",
    StatusCode: "string",
    ResponseBodySize: "long",
    Uri: "string",
    RequesterUpn: "string",
    RequesterObjectId: "string",
    CallerIpAddress: "string",
    _ResourceId: "string",
  },
  // Sentinel's own incidents (one row per incident change), read by the alert that notifies security operations.
  SecurityIncident: { TimeGenerated: "datetime", IncidentNumber: "int", Status: "string" },
} as const satisfies Record<string, Record<string, KqlType>>;
export type RuleTable = keyof typeof RULE_COLUMNS;

/**
 * The Synapse SQL audit (table SQLSecurityAuditEvents: the pool's and workspace's diagnostics are resource-specific)
 * under the names the OLTP server's audit has in AzureDiagnostics (legacy mode), so one set of steps reads both
 * engines' audits (learn.microsoft.com/azure/azure-monitor/reference/tables/sqlsecurityauditevents).
 */
export const SQL_AUDIT_UNDER_LEGACY_NAMES =
  '| project TimeGenerated, _ResourceId, Category = "SQLSecurityAuditEvents", action_id_s = ActionId, action_name_s = ActionName, ' +
  "succeeded_s = tostring(Succeeded), statement_s = Statement, affected_rows_d = todouble(AffectedRows), " +
  "response_rows_d = todouble(ResponseRows), server_principal_name_s = ServerPrincipalName, " +
  "database_principal_name_s = DatabasePrincipalName, client_ip_s = ClientIp, " +
  "database_name_s = DatabaseName";

/** A second table a rule reads, projected onto its first table's column names. */
export interface AlsoRead {
  readonly table: RuleTable;
  readonly projection: string;
}

/** Both SQL audits: the OLTP server's (AzureDiagnostics) and Synapse's (resource-specific). */
export const SYNAPSE_SQL_AUDIT: AlsoRead = {
  table: "SQLSecurityAuditEvents",
  projection: SQL_AUDIT_UNDER_LEGACY_NAMES,
};

/**
 * The FROM part of a rule's query: the table's rows (after `window`, when given), those of `also` projected onto the
 * table's names, and an empty table of the table's columns, in a fuzzy union: on a workspace where a table does not
 * exist yet its leg is dropped and the query still resolves.
 */
export function ruleSource(table: RuleTable, window?: string, also?: AlsoRead): string {
  const columns = Object.entries(RULE_COLUMNS[table]).map(([name, type]) => `${name}: ${type}`);
  const legs = [
    [table, ...(window ? [window] : [])],
    ...(also ? [[also.table, ...(window ? [window] : []), also.projection]] : []),
  ];
  return `union isfuzzy=true ${legs.map((l) => `(${l.join("\n")})`).join(", ")}, (datatable(${columns.join(", ")})[])`;
}

/** One operand of a union over several tables: the table, then its steps (filters, a projection onto the union's columns). */
export interface UnionLeg {
  readonly table: RuleTable;
  readonly steps: readonly string[];
}

/**
 * A fuzzy union of `legs` (each after `window`, when given, then its steps) and an empty table of `columns`: a leg
 * whose table does not exist in the workspace is dropped, and with no table at all the query still resolves (to no
 * row), so neither a log alert nor an analytics rule fails on a workspace that lacks one of its tables.
 */
export function unionOf(
  legs: readonly UnionLeg[],
  columns: Readonly<Record<string, KqlType>>,
  window?: string,
): string {
  const operands = legs.map((l) => `(${[l.table, ...(window ? [window] : []), ...l.steps].join("\n")})`);
  const empty = `(datatable(${Object.entries(columns)
    .map(([name, type]) => `${name}: ${type}`)
    .join(", ")})[])`;
  return `union isfuzzy=true ${[...operands, empty].join(", ")}`;
}

/**
 * Azure SQL Database's first-party application in Microsoft Entra ID: the resource an Entra token for either SQL
 * engine is issued for (`https://database.windows.net/`; Synapse SQL takes the same tokens), so the resource of a
 * sign-in to the OLTP server or to Synapse SQL (application ID and name as listed in Microsoft Entra's
 * "Conditional Access: Target resources" and Fabric's "Azure SQL Database | 022907d3-…" tables).
 */
export const AZURE_SQL_APP = { id: "022907d3-0f1b-48f7-badc-1ba6abab6d66", name: "Azure SQL Database" } as const;

/** Microsoft Entra's sign-in tables and the column naming the principal in each. */
export const ENTRA_SIGNIN_TABLES = {
  SigninLogs: "UserPrincipalName",
  AADNonInteractiveUserSignInLogs: "UserPrincipalName",
  AADServicePrincipalSignInLogs: "ServicePrincipalName",
  AADManagedIdentitySignInLogs: "ServicePrincipalName",
} as const satisfies Partial<Record<RuleTable, string>>;

/** The columns every leg of the failed-login union provides. */
export const FAILED_LOGIN_COLUMNS = {
  TimeGenerated: "datetime",
  ClientIp: "string",
  Principal: "string",
  Source: "string",
} as const satisfies Record<string, KqlType>;

/**
 * Failed logins to either SQL engine, one row each (ClientIp, Principal, Source = the table that saw it), read
 * through a fuzzy union (`window` applied to each table). Both engines are Entra-only, and "when using Microsoft
 * Entra authentication, failed logins records don't appear in the SQL audit log. To view failed login audit records,
 * you need to visit the Microsoft Entra admin center" (learn.microsoft.com/azure/azure-sql/database/auditing-overview,
 * "Remarks"; the page covers Azure SQL Database and Azure Synapse Analytics): the failures are Entra's sign-ins to
 * Azure SQL Database's application that did not succeed (ResultType other than "0"), in its four sign-in tables.
 * The SQL audit's DATABASE AUTHENTICATION FAILED stays a leg: Entra never sees a SQL-authentication attempt (a
 * password sprayer does not know the servers refuse them), nor a token Entra issued that the database then refuses
 * (no user for that principal), and the audit is the only place either can appear; a failure Entra logs never
 * reaches the database ("the requested database is never accessed, so no auditing occurs"), so none counts twice.
 */
export function failedSqlLogins(window?: string): string {
  const entra = Object.entries(ENTRA_SIGNIN_TABLES).map(([table, principal]): UnionLeg => ({
    table: table as RuleTable,
    steps: [
      `| where ResourceIdentity == "${AZURE_SQL_APP.id}" or ResourceDisplayName =~ "${AZURE_SQL_APP.name}"`,
      '| where ResultType != "0"',
      `| project TimeGenerated, ClientIp = IPAddress, Principal = ${principal}, Source = Type`,
    ],
  }));
  const audit: UnionLeg[] = [
    {
      table: "AzureDiagnostics",
      // AzureDiagnostics has a suffixed column only once a row carried it, and other resources' legacy-mode logs
      // can create the table before any SQL audit row does: read through column_ifexists, the leg always resolves.
      steps: [
        '| where Category == "SQLSecurityAuditEvents" and column_ifexists("action_name_s", "") == "DATABASE AUTHENTICATION FAILED"',
        '| project TimeGenerated, ClientIp = column_ifexists("client_ip_s", ""), Principal = column_ifexists("server_principal_name_s", ""), Source = Type',
      ],
    },
    {
      table: "SQLSecurityAuditEvents",
      steps: [
        '| where ActionName == "DATABASE AUTHENTICATION FAILED"',
        "| project TimeGenerated, ClientIp, Principal = ServerPrincipalName, Source = Type",
      ],
    },
  ];
  return unionOf([...entra, ...audit], FAILED_LOGIN_COLUMNS, window);
}

/**
 * A log alert's query made to run on a workspace where its table does not exist yet: when its first line is a table
 * of `RULE_COLUMNS`, it becomes a fuzzy union with an empty table of Microsoft's columns, as the analytics rules do.
 * Log alerts skip validation (a new workspace has no table yet), and "if a log search alert rule query fails to
 * evaluate continuously for a week, Azure Monitor disables it automatically" (azure-monitor alerts-troubleshoot-log):
 * a table that gets rows only on an event (a threat-intelligence hit) would otherwise switch its own alert off.
 */
export function tolerantQuery(query: string): string {
  const [first, ...rest] = query.split("\n");
  const table = first.trim();
  if (!(table in RULE_COLUMNS)) return query;
  return [ruleSource(table as RuleTable), ...rest].join("\n");
}
