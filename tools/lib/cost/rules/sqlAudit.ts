/**
 * The SQL audit stream an Azure SQL trigger's polling creates: every idle poll of every always-ready instance is one
 * transaction of three batches (Azure/azure-functions-sql-extension src/TriggerBinding/SqlTableChangeMonitor.cs,
 * GetTableChangesAsync), and a server audit with BATCH_COMPLETED_GROUP sent to Azure Monitor writes one
 * SQLSecurityAuditEvents record per batch, with the batch's whole text, to the workspace of the master database's
 * diagnostic setting. Priced on the audit policy as Log Analytics ingestion, Sentinel analysis where the workspace has
 * Sentinel, and retention beyond the included days, with the workspace's own price rows.
 */
import type { ResourceRecord } from "../../policyRunner";
import { DAYS_PER_MONTH, HOURS_PER_MONTH } from "../prices";
import {
  sqlTriggerInstances,
  at,
  free,
  isSqlTriggerSettings,
  notEstimated,
  num,
  priced,
  pricedInPart,
  str,
  type Rule,
  type RuleContext,
} from "../model";
import { AN, stoppingSchedule } from "./common";
import { STORAGE_REDUNDANCY } from "./data";
import { workspaceRecordLines } from "./monitoring";
import { sdkTypeOf } from "../../sdkType";

/** The extension's default polling interval, when an app does not set Sql_Trigger_PollingIntervalMs (SqlOptions.cs). */
export const DEFAULT_SQL_TRIGGER_POLLING_MS = 1_000;
/** Log Analytics bills GB of 10^9 bytes (learn.microsoft.com/azure/azure-monitor/logs/cost-logs). */
export const BYTES_PER_GB = 1e9;

/** One Azure SQL trigger app polling a server: its pollers, their interval and the hours a month they run. */
export interface TriggerPoller {
  readonly app: string;
  /** Always-ready instances, each running its own poll loop (Flex cannot scale the trigger out: capacity/). */
  readonly instances: number;
  readonly pollIntervalMs: number;
  readonly hoursPerMonth: number;
  /** The off-hours schedule that stops the app, for the meter ("07:00–19:00 on 5 days a week"). */
  readonly schedule?: string;
}

/**
 * Polls a month of one app, free-running: each instance polls every interval. The loop also spends the poll's own
 * transaction time between two waits (and waits for the app lock `_az_func_Trigger` behind the other instances), so
 * the real rate is somewhat lower: an upper bound until a measured dev day replaces it (docs/cost.md).
 */
export function pollsPerMonth(p: TriggerPoller): number {
  return p.instances * (1000 / p.pollIntervalMs) * p.hoursPerMonth * 3600;
}

/** GB a month of audit records the pollers write (bytes per poll × polls). */
export function auditGbPerMonth(pollers: readonly TriggerPoller[], bytesPerPoll: number): number {
  return pollers.reduce((sum, p) => sum + (pollsPerMonth(p) * bytesPerPoll) / BYTES_PER_GB, 0);
}

/**
 * Whether an audit predicate (`predicateExpression`, the WHERE clause of the server audit) leaves out the statements
 * of the trigger's bookkeeping: a negated match on its schema or lock name, `az_func` (`az[_]func` in LIKE's escaping),
 * which every batch of a poll names (SqlTriggerConstants: schema `az_func`, app lock `_az_func_Trigger`).
 */
export function excludesTriggerStatements(predicate: string | undefined): boolean {
  return predicate !== undefined && /\bnot\b/i.test(predicate) && /az(?:_|\[_\])func/i.test(predicate);
}

/**
 * Whether an audit predicate keeps exactly the trigger's statements (the database audit of the audit archive,
 * components/oltp/auditArchive.ts): a positive match on `az_func`, no negation.
 */
export function keepsOnlyTriggerStatements(predicate: string | undefined): boolean {
  return predicate !== undefined && !/\bnot\b|<>|!=/i.test(predicate) && /az(?:_|\[_\])func/i.test(predicate);
}

/** The server host names a connection string setting names (`Server=tcp:<host>.database.windows.net,1433`). */
const hostsOf = (settings: ResourceRecord): string[] =>
  Object.values((at(settings.inputs, "properties") ?? {}) as Record<string, unknown>).flatMap((v) => {
    const m = typeof v === "string" ? /Server=(?:tcp:)?([A-Za-z0-9-]+)\.database\.windows\.net/i.exec(v) : null;
    return m ? [m[1].toLowerCase()] : [];
  });

/** The Azure SQL trigger apps whose connection reaches a server: by its name or a failover group it is primary of. */
export function triggerPollers(serverName: string, ctx: RuleContext): TriggerPoller[] {
  const names = new Set([
    serverName.toLowerCase(),
    ...ctx
      .ofType(`${AN}:sql:FailoverGroup`)
      .filter((g) => str(g.inputs, "serverName") === serverName)
      .map((g) => (str(g.inputs, "failoverGroupName") ?? "").toLowerCase()),
  ]);
  const pollers: TriggerPoller[] = [];
  for (const s of ctx.ofType(`${AN}:web:WebAppApplicationSettings`)) {
    if (!isSqlTriggerSettings(s) || !hostsOf(s).some((h) => names.has(h))) continue;
    const app = ctx
      .ofType(`${AN}:web:WebApp`)
      .find(
        (a) =>
          str(a.inputs, "name") === str(s.inputs, "name") &&
          str(a.inputs, "resourceGroupName") === str(s.inputs, "resourceGroupName"),
      );
    if (!app) continue;
    const instances = sqlTriggerInstances(app);
    if (instances === 0) continue;
    const pollIntervalMs = Number(
      (at(s.inputs, "properties") as Record<string, unknown>).Sql_Trigger_PollingIntervalMs ??
        DEFAULT_SQL_TRIGGER_POLLING_MS,
    );
    const schedule = stoppingSchedule(app, ctx);
    pollers.push({
      app: app.name,
      instances,
      pollIntervalMs:
        Number.isFinite(pollIntervalMs) && pollIntervalMs > 0 ? pollIntervalMs : DEFAULT_SQL_TRIGGER_POLLING_MS,
      hoursPerMonth: schedule?.runningHoursPerMonth ?? HOURS_PER_MONTH,
      ...(schedule ? { schedule: schedule.label } : {}),
    });
  }
  return pollers;
}

/** Whether a diagnostic setting is a master database's that sends SQLSecurityAuditEvents (of `serverName`, or any). */
function isMasterAuditSetting(d: ResourceRecord, serverName = "[^/]+"): boolean {
  const uri = str(d.inputs, "resourceUri") ?? "";
  const logs = (at(d.inputs, "logs") as { category?: string; enabled?: boolean }[] | undefined) ?? [];
  return (
    new RegExp(`/servers/${serverName}/databases/master$`, "i").test(uri) &&
    logs.some((l) => l.category === "SQLSecurityAuditEvents" && l.enabled !== false)
  );
}

/** The table a master database's audit setting writes to: SQLSecurityAuditEvents (resource-specific), else AzureDiagnostics. */
const auditTableOf = (setting: ResourceRecord): string =>
  (str(setting.inputs, "logAnalyticsDestinationType") ?? "").toLowerCase() === "dedicated"
    ? "SQLSecurityAuditEvents"
    : "AzureDiagnostics";

/** The tables the stack's SQL server audits land in (docs/cost.md's long-term retention lever), each once. */
export function sqlAuditTables(resources: readonly ResourceRecord[]): string[] {
  const tables = resources
    .filter((r) => sdkTypeOf(r) === `${AN}:monitor:DiagnosticSetting` && isMasterAuditSetting(r))
    .map(auditTableOf);
  return [...new Set(tables)].sort();
}

/**
 * The workspace the master database's diagnostic setting sends SQLSecurityAuditEvents to, by its name, and the table
 * they land in: SQLSecurityAuditEvents in resource-specific mode (`logAnalyticsDestinationType: Dedicated`), else
 * AzureDiagnostics.
 */
function auditWorkspace(
  serverName: string,
  ctx: RuleContext,
): { readonly ws: ResourceRecord | undefined; readonly table: string } | "none" {
  const settings = ctx.ofType(`${AN}:monitor:DiagnosticSetting`).filter((d) => isMasterAuditSetting(d, serverName));
  if (settings.length === 0) return "none";
  const workspaces = ctx.ofType(`${AN}:operationalinsights:Workspace`);
  const name = /\/workspaces\/([^/]+)$/i.exec(str(settings[0].inputs, "workspaceId") ?? "")?.[1];
  return {
    ws:
      workspaces.find((w) => str(w.inputs, "workspaceName")?.toLowerCase() === name?.toLowerCase()) ??
      (workspaces.length === 1 ? workspaces[0] : undefined),
    table: auditTableOf(settings[0]),
  };
}

/**
 * A server audit policy: the audit records of its Azure SQL trigger apps' polls, when it audits BATCH_COMPLETED_GROUP
 * to Azure Monitor and the master database sends them to a workspace of the stack. Everything else it audits (logins,
 * the payment inserts, permission changes) is part of `usage.logIngestionGbPerDay`.
 */
export const sqlAuditPolicy: Rule = (r, ctx) => {
  const groups = (at(r.inputs, "auditActionsAndGroups") as string[] | undefined) ?? [];
  if ((str(r.inputs, "state") ?? "Disabled") !== "Enabled" || r.inputs.isAzureMonitorTargetEnabled !== true)
    return free("no audit records to Azure Monitor (storage or Event Hubs targets are not priced here)");
  if (!groups.includes("BATCH_COMPLETED_GROUP"))
    return free("no BATCH_COMPLETED_GROUP: its records are part of usage.logIngestionGbPerDay");
  const predicate = str(r.inputs, "predicateExpression");
  // A predicate on the trigger's statements leaves its three batches out, not the begin and commit of each poll's
  // transaction (no statement text of the trigger's): those are still priced.
  const leftOut = excludesTriggerStatements(predicate);
  const server = str(r.inputs, "serverName") ?? "";
  const pollers = triggerPollers(server, ctx);
  if (pollers.length === 0)
    return free(
      "no Azure SQL trigger polls this server (a geo-secondary runs no statement): its records are part of usage.logIngestionGbPerDay",
    );
  const audit = auditWorkspace(server, ctx);
  if (audit === "none")
    return free("the master database sends no SQLSecurityAuditEvents to a workspace (no diagnostic setting)");
  const { ws, table } = audit;
  if (!ws) return notEstimated("the audit's workspace is not a workspace of this stack");
  const bytes = leftOut ? ctx.usage.sqlTriggerAuditTransactionBytesPerPoll : ctx.usage.sqlTriggerAuditBytesPerPoll;
  const gb = auditGbPerMonth(pollers, bytes);
  const who = pollers
    .map(
      (p) =>
        `${p.app}: ${p.instances} always-ready × ${1000 / p.pollIntervalMs} polls/s, ${Math.round(p.hoursPerMonth)} h/month${p.schedule ? ` (stopped off hours: ${p.schedule})` : ""}`,
    )
    .join("; ");
  const what = `SQL audit of the trigger's polls (${who}; ${bytes.toLocaleString("en-US")} B/poll${leftOut ? `: the begin and commit records its predicate keeps (${predicate})` : ""})`;
  const note =
    "free-running poll rate (an upper bound: each loop also spends its transaction's time); bytes per poll unmeasured (usage.sqlTriggerAuditBytesPerPoll)";
  const { lines, unpriced } = workspaceRecordLines(ws, ctx, gb, what, note, table);
  return pricedInPart(lines, unpriced);
};

/**
 * A database audit policy to storage: the audit archive's (components/oltp/auditArchive.ts), which keeps exactly the
 * SQL trigger's batches that the server audit's predicate leaves out. Priced as the archive's capacity at steady
 * state (each day's records kept for the policy's retention) at the account's default tier (append blobs take it),
 * from the same polls and bytes as the server audit: the three batches' share of a poll. Write operations are not
 * priced: how many appends Azure SQL makes is not published (a measured dev day gives it).
 */
export const sqlDatabaseAuditPolicy: Rule = (r, ctx) => {
  if ((str(r.inputs, "state") ?? "Disabled") !== "Enabled") return free("auditing disabled");
  if (r.inputs.isAzureMonitorTargetEnabled === true)
    return notEstimated("a database audit to Azure Monitor has no volume model (the stack's server audit does)");
  const endpoint = str(r.inputs, "storageEndpoint");
  if (!endpoint) return free("no storage destination");
  const groups = (at(r.inputs, "auditActionsAndGroups") as string[] | undefined) ?? [];
  const predicate = str(r.inputs, "predicateExpression");
  if (!groups.includes("BATCH_COMPLETED_GROUP") || !keepsOnlyTriggerStatements(predicate))
    return notEstimated(
      `a database audit to storage of anything but the SQL trigger's batches has no volume model (predicate: ${predicate ?? "none"})`,
    );
  const server = str(r.inputs, "serverName") ?? "";
  const pollers = triggerPollers(server, ctx);
  if (pollers.length === 0) return free("no Azure SQL trigger polls this server: the predicate keeps nothing");
  const host = /^https:\/\/([a-z0-9]+)\.blob\.core\.windows\.net\/?$/i.exec(endpoint)?.[1]?.toLowerCase();
  const account = ctx
    .ofType(`${AN}:storage:StorageAccount`)
    .find((a) => host !== undefined && str(a.inputs, "accountName")?.toLowerCase() === host);
  if (!account) return notEstimated(`the audit's storage account (${endpoint}) is not an account of this stack`);
  const sku = str(account.inputs, "sku.name") ?? "Standard_LRS";
  const [perf, red] = sku.split("_");
  const redundancy = STORAGE_REDUNDANCY[red ?? ""];
  const tier = (str(account.inputs, "accessTier") ?? "Hot").toLowerCase();
  if (perf !== "Standard" || !redundancy || !["hot", "cool"].includes(tier))
    return notEstimated(`the archive's SKU ${sku} and tier ${tier} have no price row (Standard hot or cool)`);
  const retentionDays = num(r.inputs, "retentionDays") ?? 0;
  if (retentionDays <= 0) return notEstimated("retentionDays 0 keeps the records for ever: no steady state to price");
  const bytes = ctx.usage.sqlTriggerAuditBytesPerPoll - ctx.usage.sqlTriggerAuditTransactionBytesPerPoll;
  const gbMonth = auditGbPerMonth(pollers, bytes);
  const stored = (gbMonth / DAYS_PER_MONTH) * retentionDays;
  const who = pollers
    .map((p) => `${p.app}: ${p.instances} always-ready × ${1000 / p.pollIntervalMs} polls/s`)
    .join("; ");
  return priced({
    meter: `Audit archive of the trigger's batches, ${tier} ${Math.round(stored).toLocaleString("en-US")} GB (${redundancy}; ${who}; ${bytes.toLocaleString("en-US")} B/poll kept ${retentionDays} days)`,
    priceId: `storage-${tier}-${redundancy}`,
    quantity: stored,
    note: `steady state: ${gbMonth.toFixed(0)} GB a month kept ${retentionDays} days; record size in storage taken equal to the workspace's (unmeasured); append operations not priced`,
  });
};
