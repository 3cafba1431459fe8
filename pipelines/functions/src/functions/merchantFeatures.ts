/**
 * Merchant features, once a minute (fraud-scoring app, timer trigger): a merchant is a heavy hitter, so the scorer
 * reads its fraud_features item and never writes it (docs/cosmos-partitioning.md). This refresh is the item's one
 * writer: it aggregates the payments inserted since its watermark from dbo.Payment (a clustered-key range, on the
 * primary: see READ_FROM_PRIMARY) per merchant and currency, merges each merchant's window into its item, and writes
 * the items between two watermark writes, each item conditional on the `_etag` it was read with (WRITE_CONCURRENCY
 * in flight, to a deadline). Timer functions run as a singleton across instances, so no two refreshes race.
 *
 * - A window ends at the highest PaymentId the previous run saw: by then the inserts below it have committed (a
 *   replica reads under snapshot isolation, and an IDENTITY value can commit after a higher one).
 * - A run that fails part-way leaves `pendingUpTo` in the watermark: the next run takes the same window again and
 *   skips the merchants already merged (their item's `windowUpTo`), so no payment is counted twice.
 * - Throttled point reads and writes are retried (readItem, writeItem), at most 32 reads and 16 writes in flight.
 * - Reads (the SQL queries' logins and requests included) stop at READS_DEADLINE_MS and writes at WRITES_DEADLINE_MS
 *   from the run's start, within the host's 30 s: the merchants not read or written in time are left for the next
 *   run (the window stays pending), so a minute with more active merchants than one run writes is finished by the
 *   next runs, not dropped. A SQL read that does not answer in time fails the run (the next one tries again).
 * - The window is read on the same connection as the newest PaymentId: a database that has not reached the window's
 *   end (after a point-in-time restore) fails the run before anything is written (the next run takes it again).
 * - The first run starts at the newest payment (no backfill); merchant features lag their payments by one to two
 *   minutes, more while a long outage is caught up (at most MAX_PAYMENTS_PER_RUN per run).
 */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import {
  DeadlineError,
  ManagedIdentityTokens,
  mapLimited,
  readItem,
  upsertItem,
  writeItem,
  type CosmosTarget,
  type Fetch,
} from "../lib/azure";
import { entityKey, mergeMerchantWindow, type MerchantItem, type MerchantWindowRow } from "../lib/features";
import { parseSqlConnection, TdsReader, type SqlReader, type TdsTarget } from "../lib/tds";

/** The watermark item (same container; its key sorts apart from entities). */
export const REFRESH_KEY = "refresh:merchant";
export interface RefreshState {
  readonly id: string;
  readonly entityKey: string;
  readonly entityType: "control";
  /** The last dbo.Payment PaymentId the merchant items include. */
  readonly lastPaymentId: number;
  /** The highest PaymentId the last run saw: the next window ends there. */
  readonly seenMax: number;
  /** Set while a window's items are being written: a run that finds it takes that window again. */
  readonly pendingUpTo?: number;
  readonly updatedAt: string;
}

/**
 * Every run logs one line starting so (AppTraces), for the operator reading the logs; the ingestion tier's alert counts
 * the function's successful runs instead (AppRequests: merchantRefreshQuery) and alerts (Sev2, P2) when none came for
 * 15 minutes.
 */
export const REFRESH_LOG_PREFIX = "merchant refresh: ";

/** The watermark item. */
export function refreshState(
  lastPaymentId: number,
  seenMax: number,
  updatedAt: string,
  pendingUpTo?: number,
): RefreshState {
  return {
    id: REFRESH_KEY,
    entityKey: REFRESH_KEY,
    entityType: "control",
    lastPaymentId,
    seenMax,
    ...(pendingUpTo === undefined ? {} : { pendingUpTo }),
    updatedAt,
  };
}

/** Payments aggregated per run at most (about 3 minutes of the seed's 10K/s peak): a long outage catches up in steps. */
export const MAX_PAYMENTS_PER_RUN = 2_000_000;
/** Point reads of merchant items in flight at once. */
export const READ_CONCURRENCY = 32;
/**
 * Merchant item writes in flight at once: about 1,000 writes a second at Cosmos DB's usual 10-15 ms, so ~9,000
 * merchants a run, at a peak of ~10K RU/s (under 1 KB items: docs/capacity.md) against fraud_features' autoscale
 * maximum (prod 150K RU/s; a smaller one throttles and the writes are retried). The Cosmos DB output binding this
 * replaces wrote one item at a time, about 1,000 a run, and fell behind without bound above that.
 */
export const WRITE_CONCURRENCY = 16;

export const MAX_PAYMENT_ID_SQL = "SELECT MAX([PaymentId]) AS [UpTo] FROM [dbo].[Payment];";
/** A seek on the clustered key (PK_Payment), grouped per merchant and currency. */
export const MERCHANT_WINDOW_SQL = [
  "SELECT [MerchantId], [CurrencyCode], COUNT_BIG(*) AS [Payments],",
  "  SUM(CAST([AmountMinor] AS FLOAT)) AS [AmountSum],",
  "  CONVERT(VARCHAR(30), MIN([CreatedAt]), 127) + 'Z' AS [FirstCreatedAt],",
  "  CONVERT(VARCHAR(30), MAX([CreatedAt]), 127) + 'Z' AS [LastCreatedAt]",
  "FROM [dbo].[Payment]",
  "WHERE [PaymentId] > @after AND [PaymentId] <= @upTo",
  "GROUP BY [MerchantId], [CurrencyCode];",
].join("\n");

export interface RefreshDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly fetch: Fetch;
  readonly now: () => Date;
  /** The payments database, on its primary (tests pass a fake). */
  readonly sql: (env: NodeJS.ProcessEnv, tokens: ManagedIdentityTokens) => SqlReader;
  /** How long the run may read, from its start (default READS_DEADLINE_MS; tests shorten it). */
  readonly readsDeadlineMs?: number;
  /** How long the run may write merchant items, from its start (default WRITES_DEADLINE_MS; tests shorten it). */
  readonly writesDeadlineMs?: number;
  /** The merchants' read order is shuffled with it (default Math.random; tests fix it). */
  readonly random?: () => number;
}

/** A random permutation of 0 … n-1 (Fisher-Yates). */
export function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * The merchant item reads' deadline, from the run's start: the writes need what is left of the host's 30 s
 * (host.json). A slow Cosmos DB otherwise let the reads alone (about 11 s each in the worst case) overrun it and end
 * the worker, the scorer's batches in it included. The merchants not read in time are left for the next run (the
 * window stays pending).
 */
export const READS_DEADLINE_MS = 15_000;
/** The merchant item writes' deadline, from the run's start; what is not written by then is left for the next run. */
export const WRITES_DEADLINE_MS = 24_000;
/** The watermark writes' deadline, from the run's start: 3 s after the last merchant write may start, 3 s before 30. */
export const WATERMARK_DEADLINE_MS = 27_000;

/**
 * The refresh reads the primary, not a readable secondary (ApplicationIntent=ReadOnly). A window ends at the highest
 * payment the previous run saw, a minute earlier, so that inserts holding a lower IDENTITY value have committed by
 * then: that minute holds on one timeline only. Each run connects anew, and a new connection to a readable secondary
 * "may connect to a replica that is at a different point in time than the original replica", with "no fixed upper
 * bound on data propagation latency" (Microsoft, read-scale-out, "Data consistency"): a replica further behind than
 * the previous run's could show the window's end without a lower payment committed after it, and that payment would
 * never be counted. The primary already serves the scorer's SQL trigger (every always-ready instance polls it); one
 * clustered-key range a minute adds little to that.
 */
export const READ_FROM_PRIMARY = true;

const defaultDeps: RefreshDeps = {
  env: process.env,
  fetch,
  now: () => new Date(),
  sql: (env, tokens) => new TdsReader(refreshSqlTarget(env), tokens),
};

/** Where the refresh reads: the SQL bindings' server and database, on the primary (READ_FROM_PRIMARY). */
export function refreshSqlTarget(env: NodeJS.ProcessEnv): TdsTarget {
  return { ...parseSqlConnection(env.SqlConnection ?? ""), readOnlyIntent: !READ_FROM_PRIMARY };
}

/** The window's rows, grouped by merchant (bigint columns arrive as strings from the driver). */
export function windowRows(records: readonly Record<string, unknown>[]): Map<number, MerchantWindowRow[]> {
  const byMerchant = new Map<number, MerchantWindowRow[]>();
  for (const r of records) {
    const row: MerchantWindowRow = {
      merchantId: Number(r.MerchantId),
      currencyCode: String(r.CurrencyCode),
      payments: Number(r.Payments),
      amountSum: Number(r.AmountSum),
      firstCreatedAt: String(r.FirstCreatedAt),
      lastCreatedAt: String(r.LastCreatedAt),
    };
    byMerchant.set(row.merchantId, [...(byMerchant.get(row.merchantId) ?? []), row]);
  }
  return byMerchant;
}

/** Returns how many merchant items it wrote. */
export async function refreshMerchantFeatures(
  _timer: Timer,
  context: InvocationContext,
  deps: RefreshDeps = defaultDeps,
): Promise<number> {
  const started = Date.now();
  const tokens = ManagedIdentityTokens.fromEnvironment(deps.env, deps.fetch);
  const container: CosmosTarget = {
    endpoint: deps.env.CosmosDb__accountEndpoint ?? "",
    database: deps.env.COSMOS_DATABASE ?? "",
    container: deps.env.COSMOS_CONTAINER_FRAUD_FEATURES ?? "",
  };
  const reads = { ...container, deadline: started + (deps.readsDeadlineMs ?? READS_DEADLINE_MS) };
  const writes = { ...container, deadline: started + (deps.writesDeadlineMs ?? WRITES_DEADLINE_MS) };
  const watermark = { ...container, deadline: started + WATERMARK_DEADLINE_MS };
  const sql = deps.sql(deps.env, tokens);
  const state = await readItem<RefreshState>(deps.fetch, tokens, reads, REFRESH_KEY, REFRESH_KEY);
  // The SQL reads end by the reads' deadline too (login, request and a timed-out request's cancel): with the
  // connection's own limits two of them could outlast the host's 30 s and end the worker, the scorer's invocations
  // with it.
  const sqlDeadline = { deadline: reads.deadline };
  const newestOf = (rows: readonly Record<string, unknown>[]) =>
    rows[0]?.UpTo === null || rows[0]?.UpTo === undefined ? 0 : Number(rows[0].UpTo);
  const now = deps.now().toISOString();
  // The watermark has one writer (this singleton timer): an upsert, as the output binding wrote it.
  const control = (lastPaymentId: number, seenMax: number, pendingUpTo?: number) =>
    upsertItem(deps.fetch, tokens, watermark, refreshState(lastPaymentId, seenMax, now, pendingUpTo), REFRESH_KEY);
  if (!state) {
    const newest = newestOf(await sql.query(MAX_PAYMENT_ID_SQL, {}, sqlDeadline));
    await control(newest, newest);
    context.log(`${REFRESH_LOG_PREFIX}first run, starting after payment ${newest} (no backfill)`);
    return 0;
  }
  const after = state.lastPaymentId;
  const upTo = state.pendingUpTo ?? Math.min(state.seenMax ?? after, after + MAX_PAYMENTS_PER_RUN);
  if (upTo <= after) {
    const seenMax = Math.max(state.seenMax ?? after, newestOf(await sql.query(MAX_PAYMENT_ID_SQL, {}, sqlDeadline)));
    if (seenMax !== state.seenMax) await control(after, seenMax);
    context.log(`${REFRESH_LOG_PREFIX}up to date after payment ${after}, next window ends at ${seenMax}`);
    return 0;
  }
  // The newest payment, then the window, on one connection: the window is answered at least as up to date as the
  // newest payment was. A database that has not reached the window's end (a point-in-time restore brought it back
  // before payments the previous run saw) fails the run without writing anything (the next one takes the same
  // window), and the staleness alert, which counts successful runs, pages if it lasts.
  const [maxRows, windowed] = await sql.queries(
    [{ sql: MAX_PAYMENT_ID_SQL }, { sql: MERCHANT_WINDOW_SQL, params: { after, upTo } }],
    sqlDeadline,
  );
  const newest = newestOf(maxRows);
  if (newest < upTo)
    throw new Error(
      `${REFRESH_LOG_PREFIX}the database is behind the window (its newest payment is ${newest}, the window ends at ${upTo}): payments ${after + 1}-${upTo} left for the next run`,
    );
  const seenMax = Math.max(state.seenMax ?? after, newest);
  const byMerchant = [...windowRows(windowed).entries()];
  // In a new order each run: a slow account that leaves merchants unread at the deadline must not spend every run
  // re-reading the same first ones (already merged) while the last are never reached.
  const order = shuffled(byMerchant.length, deps.random ?? Math.random);
  const readInOrder = await mapLimited(order, READ_CONCURRENCY, async (index) => {
    const [merchantId, rows] = byMerchant[index];
    const key = entityKey("merchant", merchantId);
    let previous: MerchantItem | undefined;
    try {
      previous = await readItem<MerchantItem>(deps.fetch, tokens, reads, key, key);
    } catch (err) {
      if (err instanceof DeadlineError) return "late" as const;
      throw err;
    }
    // Already merged by an earlier attempt at this window that failed part-way.
    if (previous?.windowUpTo !== undefined && previous.windowUpTo >= upTo) return undefined;
    return { merchantId, rows, previous };
  });
  // Back in the window's order (the items are written in it).
  const merged = new Array<(typeof readInOrder)[number]>(byMerchant.length);
  order.forEach((index, k) => (merged[index] = readInOrder[k]));
  const notRead = merged.filter((i) => i === "late").length;
  const pending = merged.filter((i) => i !== undefined && i !== "late");
  // The window is pending before any merchant item includes it: a run that stops part-way leaves it to the next.
  await control(after, seenMax, upTo);
  const failures: Error[] = [];
  // Merged and written conditional on the etag read. Changed since (a straggling write of an earlier run, a scorer of
  // the previous release): read, merged and tried once more, then left for the next run. After a refused write
  // (a 403: a missing grant) the rest are not tried: each would fail the same way.
  const writeMerged = async (
    { merchantId, rows, previous }: (typeof pending)[number],
    again: boolean,
  ): Promise<"written" | "merged" | "conflict"> => {
    if (previous?.windowUpTo !== undefined && previous.windowUpTo >= upTo) return "merged";
    const item = mergeMerchantWindow(previous, merchantId, rows, upTo, new Date(now));
    if ((await writeItem(deps.fetch, tokens, writes, item, item.entityKey, previous?._etag)) === "written")
      return "written";
    if (!again) return "conflict";
    const current = await readItem<MerchantItem>(deps.fetch, tokens, writes, item.entityKey, item.entityKey);
    return writeMerged({ merchantId, rows, previous: current }, false);
  };
  const outcomes = await mapLimited(pending, WRITE_CONCURRENCY, async (merchant) => {
    if (failures.length > 0) return "skipped" as const;
    try {
      return await writeMerged(merchant, true);
    } catch (err) {
      if (!(err instanceof DeadlineError)) failures.push(err as Error);
      return "late" as const;
    }
  });
  const written = outcomes.filter((o) => o === "written").length;
  const conflicts = outcomes.filter((o) => o === "conflict").length;
  const left = notRead + outcomes.filter((o) => o !== "written" && o !== "merged").length;
  if (failures.length > 0)
    throw new Error(
      `merchant refresh: a merchant write failed (window ${after + 1}-${upTo} left pending, ${written} merchants written, the rest not tried): ${failures[0].message}`,
    );
  if (left === 0) await control(upTo, seenMax);
  context.log(
    `${REFRESH_LOG_PREFIX}payments ${after + 1}-${upTo}, ${written} merchants${left === 0 ? "" : `, ${left} left for the next run${notRead > 0 ? ` (${notRead} not read in time)` : ""}${conflicts > 0 ? ` (${conflicts} changed by another writer twice)` : ""}`}`,
  );
  return written;
}

/** Every minute, on the minute. */
export const REFRESH_SCHEDULE = "0 */1 * * * *";

export function registerMerchantFeatures(): void {
  app.timer("refreshMerchantFeatures", {
    schedule: REFRESH_SCHEDULE,
    runOnStartup: false,
    handler: async (timer, context) => {
      await refreshMerchantFeatures(timer, context);
    },
  });
}
