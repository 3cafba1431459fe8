/**
 * The Synapse loader (flow 3): an Event Hubs trigger on the api-performance hub (its own consumer group) takes the
 * one-minute rows the Stream Analytics job writes there and inserts them into the fact table in the private pool,
 * as the data model declares it (src/generated/streamTargets.ts). Every connection uses the app's managed identity
 * (`EventHubs__*` settings; an Entra token for Synapse SQL); no keys, no passwords.
 *
 * Delivery is at least once: a failed insert throws, the retry policy re-runs the same batch (the checkpoint is not
 * advanced) until it succeeds, from the first statement that had not committed (src/lib/synapse.ts, BatchProgress);
 * a statement whose commit was not confirmed, or a batch retried on another instance, inserts again what had
 * committed, and a replayed minute is deduplicated on the fact's grain by the nightly compaction
 * (pipelines/model/olap.ts). A row that does not fit its
 * column (a model/query mismatch) cannot succeed on retry: it is logged as an error and skipped.
 */
import { app, type InvocationContext } from "@azure/functions";
import { STREAM_TARGETS } from "../generated/streamTargets";
import { ManagedIdentityTokens } from "../lib/azure";
import { insertStatements, parseRows, type SqlExecutor, type StreamTarget } from "../lib/streamTarget";
import { SynapseWriter } from "../lib/synapse";

/** The fact this loader writes (the model's only stream target today). */
export const LOADER_TABLE = "dbo.Fact_API_Performance";

export function loaderTarget(targets: readonly StreamTarget[] = STREAM_TARGETS): StreamTarget {
  const target = targets.find((t) => t.table === LOADER_TABLE);
  if (!target) throw new Error(`the data model has no stream target ${LOADER_TABLE}`);
  return target;
}

/** The handler with its executor injected (tests pass a fake; the app passes the Synapse writer). */
export function apiPerformanceHandler(executor: () => SqlExecutor, target: StreamTarget = loaderTarget()) {
  return async (events: unknown[], context: InvocationContext): Promise<number> => {
    const rows: Record<string, unknown>[] = [];
    for (const event of events) {
      const parsed = parseRows(event);
      rows.push(...parsed.rows);
      for (const e of parsed.errors) context.error(`api-performance event skipped: ${e}`);
    }
    const { statements, rejected } = insertStatements(target, rows);
    for (const r of rejected) context.error(`api-performance row ${r.row} skipped: ${r.reason}`);
    const inserted = await executor().run(statements);
    context.log(`inserted ${inserted} of ${rows.length} rows from ${events.length} events into ${target.table}`);
    return inserted;
  };
}

/**
 * The loader's Synapse writer from the app settings, or the error that names what is missing. Read when the function
 * registers, but never thrown there: the streaming app's one process also registers the change-feed relay, and a
 * throw at load would stop the host indexing either (api_logs would no longer reach Event Hubs for want of an OLAP
 * setting). The loader's invocations fail instead, each with the message (the checkpoint held, the retry policy
 * trying again, the streaming freshness alert firing) until the setting is there.
 */
export function loaderWriter(env: NodeJS.ProcessEnv, fetchFn: typeof fetch): SynapseWriter | Error {
  const server = env.SYNAPSE_SQL_ENDPOINT;
  const database = env.SYNAPSE_SQL_POOL;
  const missing = [...(server ? [] : ["SYNAPSE_SQL_ENDPOINT"]), ...(database ? [] : ["SYNAPSE_SQL_POOL"])];
  if (missing.length > 0) return new Error(`${missing.join(" and ")} must be set (the Synapse loader's app settings)`);
  try {
    return new SynapseWriter(
      { server: server as string, database: database as string },
      ManagedIdentityTokens.fromEnvironment(env, fetchFn),
    );
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

export function registerApiPerformanceLoader(env: NodeJS.ProcessEnv = process.env): void {
  const writer = loaderWriter(env, fetch);
  if (writer instanceof Error) console.error(`loadApiPerformance cannot run: ${writer.message}`);
  const handler = apiPerformanceHandler(() => {
    if (writer instanceof Error) throw writer;
    return writer;
  });
  app.eventHub("loadApiPerformance", {
    connection: "EventHubs",
    eventHubName: "%EVENT_HUB_OUTPUT_NAME%",
    consumerGroup: "%EVENT_HUB_LOADER_CONSUMER_GROUP%",
    cardinality: "many",
    retry: { strategy: "exponentialBackoff", maxRetryCount: -1, minimumInterval: 1000, maximumInterval: 60_000 },
    handler: async (events: unknown, context: InvocationContext) => {
      await handler(Array.isArray(events) ? events : [events], context);
    },
  });
}
