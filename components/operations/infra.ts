/**
 * The infrastructure alerts an operator expects per tier, beside the SLA rows: capacity, throttling, failed logins,
 * Key Vault availability, firewall threat-intelligence hits, and availability (Resource Health of every resource in
 * the stack's resource groups) and Cosmos DB replication latency. The SQL geo-secondary's lag has no alert (the
 * runbook says how to read it on the primary). Threat detection itself (SQL
 * injection, anomalous access, brute force patterns) is Defender for Cloud's: nothing here re-alerts on it.
 * Metric names: https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/metrics-index
 */
import type { Signal } from "./sla";
import type { AlertSeverity } from "./routing";
import { failedSqlLogins } from "./sentinel";

/** What the infrastructure alerts watch (plain ids; each block optional). */
export interface InfraTierInputs<T = string> {
  readonly oltp?: { readonly databaseIds: readonly T[] };
  readonly nosql?: { readonly accountId: T; readonly serverless: boolean; readonly multiRegion: boolean };
  readonly olap?: { readonly sqlPoolId: T; readonly lakeAccountId: T };
  readonly ingestion?: { readonly gatewayId: T };
  /** The platform's vaults by key (customer-managed keys: every data service depends on them). */
  readonly keyVaults?: Readonly<Record<string, T>>;
  /** The platform's Azure Firewall sends AZFWThreatIntel (only when it is deployed). */
  readonly firewall?: boolean;
  /**
   * The SQL engines are audited to the workspace (master database diagnostic setting, AzureDiagnostics): failed
   * logins, read with Microsoft Entra's sign-in tables (the tenant's diagnostic setting, docs/operations.md).
   */
  readonly sqlAudit?: boolean;
  /** The workspace that keeps the audit trail watches its own operation log (ingestion stopped or dropped). */
  readonly workspace?: boolean;
}

export interface InfraAlert {
  readonly key: string;
  /** Anchor in docs/runbook.md when several resources share one section. */
  readonly runbook?: string;
  readonly tier: keyof InfraTierInputs;
  readonly severity: AlertSeverity;
  readonly displayName: string;
  readonly description: string;
  /** Metric signals: the resource; log signals run on the workspace. */
  readonly scope?: string;
  readonly signal: Signal;
}

const metric = (
  metricNamespace: string,
  metricName: string,
  aggregation: "Average" | "Maximum" | "Minimum" | "Total" | "Count",
  operator: "GreaterThan" | "LessThan",
  threshold: number,
  windowMinutes: number,
  frequencyMinutes: number,
  dimensions?: { name: string; values: string[] }[],
): Signal => ({
  kind: "metric",
  metricNamespace,
  metricName,
  aggregation,
  operator,
  threshold,
  windowMinutes,
  frequencyMinutes,
  ...(dimensions ? { dimensions } : {}),
});

const SQL_DB = "Microsoft.Sql/servers/databases";
const COSMOS = "Microsoft.DocumentDB/databaseAccounts";
const POOL = "Microsoft.Synapse/workspaces/sqlPools";
const STORAGE = "Microsoft.Storage/storageAccounts";
const AGW = "Microsoft.Network/applicationGateways";
const VAULT = "Microsoft.KeyVault/vaults";

/** The infrastructure alerts for the tiers present (pure). */
export function infraAlerts(t: InfraTierInputs): InfraAlert[] {
  const alerts: InfraAlert[] = [];
  t.oltp?.databaseIds.forEach((id, i) => {
    const which = i === 0 ? "primary" : `replica-${i}`;
    alerts.push(
      {
        key: `sql-cpu-${which}`,
        runbook: "sql-cpu",
        tier: "oltp",
        severity: 2,
        displayName: `SQL ${which}: CPU > 80 % for 15 min`,
        description: "Sustained CPU on the payments database: scale up or find the query (docs/runbook.md#sql-cpu).",
        scope: id,
        signal: metric(SQL_DB, "cpu_percent", "Average", "GreaterThan", 80, 15, 5),
      },
      {
        key: `sql-workers-${which}`,
        runbook: "sql-workers",
        tier: "oltp",
        severity: 1,
        displayName: `SQL ${which}: workers > 80 %`,
        description:
          "Worker threads near the limit: new requests will be refused (error 10928). docs/runbook.md#sql-workers",
        scope: id,
        signal: metric(SQL_DB, "workers_percent", "Maximum", "GreaterThan", 80, 5, 1),
      },
      {
        key: `sql-storage-${which}`,
        runbook: "sql-storage",
        tier: "oltp",
        severity: 2,
        displayName: `SQL ${which}: data space > 85 %`,
        description: "The database approaches its max size; inserts fail at 100 %. docs/runbook.md#sql-storage",
        scope: id,
        signal: metric(SQL_DB, "storage_percent", "Maximum", "GreaterThan", 85, 30, 15),
      },
    );
  });
  if (t.sqlAudit) {
    alerts.push({
      key: "sql-failed-logins",
      tier: "oltp",
      severity: 2,
      displayName: "SQL: repeated failed logins from one client",
      description:
        "More than 20 failed logins from one client address in 15 minutes to Azure SQL (the payments database or Synapse SQL): Microsoft Entra sign-ins to Azure SQL Database that failed, and the SQL audit's failed authentications. Needs the tenant's Entra sign-in logs in this workspace. docs/runbook.md#sql-failed-logins",
      signal: {
        kind: "log",
        // Both engines are Entra-only, and Entra failures never reach the SQL audit: Entra's sign-in tables, with
        // both engines' audits, through a fuzzy union (failedSqlLogins: a table the workspace lacks answers nothing).
        query: [
          failedSqlLogins(),
          "| summarize Failures = count(), Principals = make_set(Principal, 20) by ClientIp",
          "| where Failures > 20",
        ].join("\n"),
        windowMinutes: 15,
        frequencyMinutes: 5,
        dimensions: ["ClientIp"],
      },
    });
  }
  if (t.nosql) {
    const id = t.nosql.accountId;
    if (!t.nosql.serverless) {
      alerts.push({
        key: "cosmos-ru-consumption",
        tier: "nosql",
        severity: 2,
        displayName: "Cosmos DB: a partition key range above 90 % normalized RU consumption on average over 15 min",
        description:
          "A partition key range runs near its share of the provisioned RU/s (autoscale maximum) for 15 minutes on average: raise maxThroughput or fix a hot partition. docs/runbook.md#cosmos-ru-consumption",
        scope: id,
        // Average, not Maximum: the metric is already each minute's peak ("Max RU consumption percentage per
        // minute", supported-metrics/microsoft-documentdb-databaseaccounts-metrics), and with Maximum over the window
        // one busy minute of one partition range would page; a single range at 100 % is normal while requests are
        // not throttled (the throttling alert covers those).
        // Split per container and partition key range (every value, "*"): unsplit, the Average would run over every
        // range of every container at once, so one saturated range among prod's few dozen would never reach 90 %,
        // while a container's own figure is the maximum over its ranges (cosmos-db/monitor-normalized-request-units:
        // "The overall normalized RU consumption of the entire container is MAX(60%, 80%) = 80%"). Each series is one
        // range, so the alert names the container and range that run hot.
        signal: metric(COSMOS, "NormalizedRUConsumption", "Average", "GreaterThan", 90, 15, 5, [
          { name: "CollectionName", values: ["*"] },
          { name: "PartitionKeyRangeId", values: ["*"] },
        ]),
      });
    }
    alerts.push({
      key: "cosmos-throttling",
      tier: "nosql",
      severity: 2,
      displayName: "Cosmos DB: throttled requests (429)",
      description:
        "More than 100 requests answered 429 in 5 minutes: the SDK retries, latency grows. docs/runbook.md#cosmos-throttling",
      scope: id,
      signal: metric(COSMOS, "TotalRequests", "Count", "GreaterThan", 100, 5, 1, [
        { name: "StatusCode", values: ["429"] },
      ]),
    });
    alerts.push({
      key: "cosmos-availability",
      tier: "nosql",
      severity: 1,
      displayName: "Cosmos DB: service availability < 99.99 %",
      description: "The account's hourly availability fell below its SLA. docs/runbook.md#cosmos-availability",
      scope: id,
      // Azure computes this metric hourly only (time grain PT1H: Azure Monitor's supported metrics for
      // Microsoft.DocumentDB/databaseAccounts), so the rule looks once an hour: evaluations in between see no new point.
      signal: metric(COSMOS, "ServiceAvailability", "Average", "LessThan", 99.99, 60, 60),
    });
    if (t.nosql.multiRegion) {
      alerts.push({
        key: "cosmos-replication-latency",
        tier: "nosql",
        severity: 2,
        displayName: "Cosmos DB: geo-replication latency > 1 s",
        description:
          "Writes reach the secondary region late: a regional failover now would lose more. docs/runbook.md#cosmos-replication-latency",
        scope: id,
        signal: metric(COSMOS, "ReplicationLatency", "Average", "GreaterThan", 1000, 15, 5),
      });
    }
  }
  if (t.olap) {
    alerts.push(
      {
        key: "synapse-dwu",
        tier: "olap",
        severity: 3,
        displayName: "Synapse pool: DWU used > 90 % for 30 min",
        description:
          "The dedicated pool is saturated: queries queue. Scale the SKU or move the load. docs/runbook.md#synapse-dwu",
        scope: t.olap.sqlPoolId,
        // Minimum: every minute of the 30 above 90 % (Maximum fired on one busy minute).
        signal: metric(POOL, "DWUUsedPercent", "Minimum", "GreaterThan", 90, 30, 5),
      },
      {
        key: "synapse-tempdb",
        tier: "olap",
        severity: 2,
        displayName: "Synapse pool: tempdb > 85 %",
        description: "A query spills into tempdb; at 100 % queries fail. docs/runbook.md#synapse-tempdb",
        scope: t.olap.sqlPoolId,
        signal: metric(POOL, "LocalTempDBUsedPercent", "Maximum", "GreaterThan", 85, 15, 5),
      },
      {
        key: "lake-availability",
        tier: "olap",
        severity: 2,
        displayName: "Data lake: availability < 99.9 %",
        description: "Storage requests to the lake fail (server or network errors). docs/runbook.md#lake-availability",
        scope: t.olap.lakeAccountId,
        signal: metric(STORAGE, "Availability", "Average", "LessThan", 99.9, 15, 5),
      },
    );
  }
  if (t.ingestion) {
    alerts.push({
      key: "gateway-unhealthy-backends",
      tier: "ingestion",
      severity: 1,
      displayName: "App Gateway: unhealthy backend",
      description:
        "The health probe (/api/health) fails on a backend: the payments API is degraded or down. docs/runbook.md#gateway-unhealthy-backends",
      scope: t.ingestion.gatewayId,
      signal: metric(AGW, "UnhealthyHostCount", "Average", "GreaterThan", 0, 5, 1),
    });
  }
  for (const [vault, id] of Object.entries(t.keyVaults ?? {})) {
    alerts.push({
      key: `key-vault-availability-${vault}`,
      runbook: "key-vault-availability",
      tier: "keyVaults",
      severity: 1,
      displayName: `Key Vault (${vault}): availability < 99.9 %`,
      description:
        "Key Vault requests fail: services that unwrap their customer-managed key will lose access. docs/runbook.md#key-vault-availability",
      scope: id,
      signal: metric(VAULT, "Availability", "Average", "LessThan", 99.9, 5, 1),
    });
  }
  if (Object.keys(t.keyVaults ?? {}).length > 0) {
    // A customer-managed key disabled or deleted takes its service down, and Azure SQL heals on its own only if the
    // key is back within 30 minutes (docs/runbook.md#key-disabled): on-call is paged at once (P1), beside the Sentinel
    // incident security operations get. The stack never updates a key (Resource Manager creates keys; rotation makes
    // new versions), so any key update is looked at.
    alerts.push({
      key: "cmk-key-disabled-or-deleted",
      runbook: "key-disabled",
      tier: "keyVaults",
      severity: 1,
      displayName: "Key Vault: a key updated (disabled?) or deleted",
      description:
        "A key in the platform's vaults was updated, deleted or purged, or a vault deleted: a disabled or deleted customer-managed key takes its service down, and SQL heals on its own only within 30 minutes. docs/runbook.md#key-disabled",
      signal: {
        kind: "log",
        query: [
          "AZKVAuditLogs",
          '| where OperationName in ("KeyUpdate", "KeyDelete", "KeyPurge", "VaultDelete") and ResultType == "Success"',
          "| summarize Events = count(), Operations = make_set(OperationName, 5), Keys = make_set(RequestUri, 5) by _ResourceId",
          "| where Events > 0",
        ].join("\n"),
        // Looked at every 5 minutes over the last 15: a Key Vault log row that arrives up to 10 minutes late is still
        // seen; the alert is stateful, so one event pages once and resolves when it leaves the window.
        windowMinutes: 15,
        frequencyMinutes: 5,
        dimensions: ["_ResourceId"],
      },
    });
  }
  if (t.workspace) {
    // PCI DSS 10.7.2: a failure of the audit logging mechanism is detected. The workspace writes its own warnings and
    // errors to `Operation` (OperationStatus "Warning", "Failed", "Error"): a daily cap reached ("data collection
    // stops"), an ingestion rate over the limit (diagnostic data retried and then dropped), data refused. Read by the
    // documented columns only, whatever the category's wording.
    alerts.push({
      key: "workspace-ingestion",
      tier: "workspace",
      severity: 2,
      displayName: "Log Analytics: the workspace reports an ingestion warning or error",
      description:
        "The workspace that keeps the audit trail reports a warning or error in its own operation log (daily cap, ingestion rate limit, dropped data): audit records may be missing. docs/runbook.md#workspace-ingestion",
      signal: {
        kind: "log",
        query: [
          "Operation",
          '| where OperationStatus in~ ("Warning", "Failed", "Error")',
          "| summarize Events = count(), Details = make_set(Detail, 5) by OperationCategory",
          "| where Events > 0",
        ].join("\n"),
        windowMinutes: 60,
        frequencyMinutes: 15,
        dimensions: ["OperationCategory"],
      },
    });
  }
  if (t.firewall) {
    alerts.push({
      key: "firewall-threat-intel",
      tier: "firewall",
      severity: 1,
      displayName: "Azure Firewall: threat-intelligence hit",
      description:
        "A workload tried to reach (or was reached from) an address or domain on Microsoft's threat-intelligence feed; the firewall denied it. Treat the source as possibly compromised. docs/runbook.md#firewall-threat-intel",
      signal: {
        kind: "log",
        query: ["AZFWThreatIntel", "| summarize Hits = count() by SourceIp", "| where Hits > 0"].join("\n"),
        windowMinutes: 5,
        frequencyMinutes: 5,
        dimensions: ["SourceIp"],
      },
    });
  }
  return alerts;
}
