/** Settings of the ingestion tier's function apps: names, SQL trigger tuning, connections, what each app writes. */
import type { CosmosContainerKey } from "../../lib/config";
import type { CosmosItemRoles } from "../nosql/settings";
import { ruleSource } from "../operations/sentinel";
import type { StackContext } from "../shared/context";

/** Qualifiers of the ingestion tier's user-assigned identities' names (`id-<workload>-<env>-<region>-<qualifier>`). */
export const IDENTITY_QUALIFIERS = { paymentApi: "payapi", fraudScoring: "fraud", gateway: "agw" } as const;

/**
 * An app identity's Azure name, which is also its SQL database user's name (pipelines/functions/sql/flow1_access.sql
 * creates the users `FROM EXTERNAL PROVIDER` under these names): the OLTP tier's audit archive names the scorer's.
 */
export const identityName = (context: Pick<StackContext, "name">, who: keyof typeof IDENTITY_QUALIFIERS): string =>
  context.name("userAssignedIdentity", IDENTITY_QUALIFIERS[who]);

/** Function names the trigger-group settings refer to (pipelines/functions/src/functions/). */
export const FUNCTION_NAMES = {
  createPayment: "createPayment",
  scorePayment: "scorePayment",
  refreshMerchantFeatures: "refreshMerchantFeatures",
} as const;

/** Changes per scoring batch (Sql_Trigger_MaxBatchSize): one Azure ML request, and one conditional replace per card. */
export const SQL_TRIGGER_MAX_BATCH_SIZE = 100;
/**
 * Pending changes allowed per instance before the scale controller adds one (Sql_Trigger_MaxChangesPerWorker,
 * default 1,000: learn.microsoft.com/azure/azure-functions/functions-bindings-azure-sql-trigger). Inert today: the
 * Flex scale controller cannot count pending changes with a managed identity (azure-functions-sql-extension#1235),
 * so the trigger runs on its always-ready instances (28 in prod, docs/capacity.md). Once that is fixed, 100 keeps the
 * scorer about half a second behind the inserts at 10K payments/s where 1,000 would leave it ~2.6 s behind.
 */
export const SQL_TRIGGER_MAX_CHANGES_PER_WORKER = 100;

/**
 * Minutes without a successful merchant refresh run before the alert fires (it runs every minute). Defined in
 * lib/offHours.ts: the config's off-hours check counts it in the silenced window.
 */
export { MERCHANT_REFRESH_STALE_MINUTES, SCORER_STALLED_WINDOW_MINUTES } from "../../lib/offHours";

/**
 * KQL over the window: successful runs of the merchant refresh (0 when none). A run whose Cosmos DB writes fail
 * (a 403, throttling past its retries) is a failed request, so it does not count; requests are not sampled
 * (host.json).
 */
export function merchantRefreshQuery(appName: string): string {
  return appRunsQuery(appName, "refreshMerchantFeatures", true, "runs");
}

/**
 * KQL over the window: the app's runs of one function that succeeded or failed, weighted by sampling (`ItemCount`,
 * 1 for requests, which host.json never samples), 0 when none. Read through a fuzzy union: no AppRequests table yet
 * must still answer 0 (the alert), not fail; with a time column, as in freshnessQuery (components/streaming/freshness.ts).
 */
function appRunsQuery(appName: string, operation: string, success: boolean, name: string): string {
  return [
    ...appRunsLet(appName, operation, success, name),
    `print Runs = coalesce(${name}, 0), TimeGenerated = now()`,
  ].join("\n");
}

/** `let <name> = …`: the app's runs of one function that succeeded or failed (appRunsQuery's, and the stalled scorer's). */
function appRunsLet(appName: string, operation: string, success: boolean, name: string): string[] {
  return [
    `let ${name} = toscalar(${ruleSource("AppRequests")}`,
    `    | where AppRoleName =~ "${appName}" and OperationName == "${operation}" and Success == ${success}`,
    "    | summarize sum(ItemCount));",
  ];
}

/** The window of the scorer failures alert (evaluated every 5 minutes, the shortest a log alert over a union takes). */
export const SCORER_FAILURES_WINDOW_MINUTES = 10;

/**
 * KQL over the window: the scorer's failed runs. The scorer fails a run only when it must be run again (a webhook
 * event it could not queue, a missing setting): reads and writes that fail send payments to review instead, because
 * the SQL trigger drops a batch's rows after its fifth failed run. Requests are not sampled (host.json), so each failed
 * run counts.
 */
export function scorerFailuresQuery(appName: string): string {
  return appRunsQuery(appName, "scorePayment", false, "failed");
}

/** How old an accepted payment must be to count in the stalled scorer alert (the scorer's time, its logs' delay). */
export const SCORER_STALLED_GRACE_MINUTES = 5;

/**
 * KQL over the window: the payments the payment API accepted (its `payment.accepted` lines, sampled: each weighs its
 * ItemCount) up to SCORER_STALLED_GRACE_MINUTES ago, when the scorer had no successful run in the whole window; 0
 * otherwise. The SQL trigger's own polling (change tracking, leases) runs outside any function run: when it fails
 * the scorer runs nothing, so neither the failures alert nor the refresh alert (a timer of the same app) sees it, and
 * the extension reconnects only on a connection-level error (Azure/azure-functions-sql-extension,
 * SqlTableChangeMonitor.cs and SqlBindingUtilities.cs `IsFatalSqlException`). Accepted payments and no scoring is the
 * symptom, whatever the cause. Through fuzzy unions, as appRunsQuery.
 */
export function scorerStalledQuery(paymentApiName: string, scorerName: string): string {
  return [
    `let accepted = toscalar(${ruleSource("AppTraces")}`,
    `    | where AppRoleName =~ "${paymentApiName}" and Message startswith "payment.accepted "`,
    `    | where TimeGenerated < ago(${SCORER_STALLED_GRACE_MINUTES}m)`,
    "    | summarize sum(ItemCount));",
    ...appRunsLet(scorerName, "scorePayment", true, "scored"),
    "print Unscored = iff(coalesce(scored, 0) == 0, coalesce(accepted, 0), 0), TimeGenerated = now()",
  ].join("\n");
}

/**
 * The containers each app writes, each with the custom item-level role that allows exactly what its code does there
 * (least privilege: no delete, no query, no change feed):
 * - the payment API's `api_logs`: its Cosmos DB output binding, which writes with upsert;
 * - the scorer's `fraud_features`: point reads, creates and If-Match replaces (pipelines/functions/src/lib/cosmos.ts),
 *   the merchant refresh's too, and its watermark's upserts;
 * - the scorer's `webhook_events`: creates only (an event already queued is left as it is).
 */
export const CONTAINER_ACCESS: Readonly<
  Record<"paymentApi" | "fraudScoring", Readonly<Partial<Record<CosmosContainerKey, keyof typeof CosmosItemRoles>>>>
> = {
  paymentApi: { apiLogs: "ItemUpserter" },
  fraudScoring: { fraudFeatures: "ItemWriter", webhookEvents: "ItemCreator" },
};

/** The containers an app writes (the keys of its CONTAINER_ACCESS entry). */
export function containersOf(access: Readonly<Partial<Record<CosmosContainerKey, unknown>>>): CosmosContainerKey[] {
  return Object.keys(access) as CosmosContainerKey[];
}

/** Identity-based SQL connection string (Microsoft.Data.SqlClient / mssql "Active Directory Managed Identity"). */
export function sqlConnectionString(serverFqdn: string, database: string, clientId: string): string {
  return [
    `Server=tcp:${serverFqdn},1433`,
    `Database=${database}`,
    "Authentication=Active Directory Managed Identity",
    `User Id=${clientId}`,
    "Encrypt=True",
    "TrustServerCertificate=False",
    // SqlClient's default: a login first fetches the identity's token, then crosses the private endpoint; 5 s could
    // fail cold starts. Under the host's 30-second function timeout.
    "Connection Timeout=15",
  ].join(";");
}

/** Cosmos DB identity-based connection settings for the `CosmosDb` connection of the Functions extension (>= 4). */
export function cosmosConnectionSettings(endpoint: string, clientId: string): Record<string, string> {
  return {
    CosmosDb__accountEndpoint: endpoint,
    CosmosDb__credential: "managedidentity",
    CosmosDb__clientId: clientId,
  };
}
