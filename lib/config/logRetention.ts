/**
 * Long-term retention of the workspace's tables (config `logLongTermRetention`): the listed tables keep
 * `interactiveDays` of immediately queryable logs and the rest of `logRetentionDays` in long-term retention (formerly
 * "archive"), a fifth of the price of interactive retention, reached through search jobs or a restore. Every other
 * table keeps the workspace's `logRetentionDays` interactively (components/operations/retention.ts).
 *
 * PCI DSS 10.5.1: "Retain audit log history for at least 12 months, with at least the most recent three months
 * immediately available for analysis": the three months are the interactive days (at least 92), the twelve the total
 * (`logRetentionDays`, at least 365 in prod). Azure moves what a shorter interactive retention leaves to long-term
 * retention when the total covers it, and deletes nothing ("Azure Monitor automatically treats the remaining 90 days
 * ... as low-cost, long-term retention": azure-monitor-docs articles/azure-monitor/logs/data-retention-configure.md).
 */
import { z } from "../zod";
import { settings } from "./strict";
import { int, list } from "./common";

/**
 * The tables `logLongTermRetention.tables` takes: the catalogue's tables (components/operations/tables.ts) that the
 * stack's own diagnostic settings, workspace-based Application Insights and metrics fill, so that they exist in the
 * workspace when the retention is set ("Azure Monitor Logs creates Azure tables automatically based on Azure services
 * you use and diagnostic settings you configure", manage-logs-tables). Not the tables others fill (Entra's sign-ins,
 * Sentinel's incidents, Defender's alerts, the workspace's Operation), nor AzureActivity (the subscription's activity
 * log, sent by the stack that governs the subscription, and kept 90 days without charge anyway). A test holds this
 * list to the catalogue.
 */
export const LONG_TERM_RETENTION_TABLES = [
  "AzureDiagnostics",
  "SQLSecurityAuditEvents",
  "StorageBlobLogs",
  "CDBDataPlaneRequests",
  "AZKVAuditLogs",
  "AGWAccessLogs",
  "AGWFirewallLogs",
  "AZFWThreatIntel",
  "SynapseSqlPoolExecRequests",
  "ADFPipelineRun",
  "ADFActivityRun",
  "AppRequests",
  "AppDependencies",
  "AppTraces",
  "AzureMetrics",
] as const;
export type LongTermRetentionTable = (typeof LONG_TERM_RETENTION_TABLES)[number];

/**
 * PCI DSS 10.5.1's "most recent three months immediately available for analysis", in days: three calendar months
 * span 89 to 92 days (June to August: 92), so 92 keeps every day of them queryable whatever the date.
 */
export const MIN_INTERACTIVE_RETENTION_DAYS = 92;

export const logLongTermRetentionSchema = settings({
  /**
   * Days the listed tables keep logs immediately queryable (the table's `retentionInDays`); the rest of
   * `logRetentionDays` is long-term retention (`totalRetentionInDays`). At least 92 (PCI DSS 10.5.1), less than
   * `logRetentionDays`.
   */
  interactiveDays: int(
    MIN_INTERACTIVE_RETENTION_DAYS,
    729,
    " days (at least 92: PCI DSS 10.5.1's three most recent months, up to 92 days, immediately available; less than logRetentionDays)",
  ),
  /** The tables that keep `interactiveDays` interactively: the busiest (AzureDiagnostics holds the SQL audit). */
  tables: z
    .array(
      z.enum(LONG_TERM_RETENTION_TABLES, {
        error: () => `must be one of ${list(LONG_TERM_RETENTION_TABLES)}`,
      }),
    )
    .min(1, `must list at least one table (${list(LONG_TERM_RETENTION_TABLES)}), or leave logLongTermRetention out`),
}).optional();
export type LogLongTermRetentionConfig = z.infer<typeof logLongTermRetentionSchema>;

/** The rules across keys (pure): a total beyond the interactive days, each table once, the firewall's table with it. */
export function logLongTermRetentionIssues(c: {
  readonly logRetentionDays: number;
  readonly logLongTermRetention?: LogLongTermRetentionConfig;
  readonly enableFirewall: boolean;
}): { readonly path: readonly (string | number)[]; readonly message: string }[] {
  const l = c.logLongTermRetention;
  if (!l) return [];
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (l.interactiveDays >= c.logRetentionDays)
    issues.push({
      path: ["logLongTermRetention", "interactiveDays"],
      message: `must be less than logRetentionDays (${c.logRetentionDays}), the tables' total retention: with ${l.interactiveDays} nothing is kept in long-term retention (leave logLongTermRetention out)`,
    });
  l.tables.forEach((t, i) => {
    if (l.tables.indexOf(t) !== i)
      issues.push({
        path: ["logLongTermRetention", "tables", i],
        message: `must be unique ('${t}' is listed twice)`,
      });
    if (t === "AZFWThreatIntel" && !c.enableFirewall)
      issues.push({
        path: ["logLongTermRetention", "tables", i],
        message:
          "AZFWThreatIntel is filled by Azure Firewall, which this stack does not deploy (enableFirewall false): the table may not exist in the workspace, and setting its retention would fail",
      });
  });
  return issues;
}
