/**
 * Merchant features, once a minute (fraud-scoring app, timer trigger): a merchant is a heavy hitter, so the scorer
 * reads its fraud_features item and never writes it (docs/cosmos-partitioning.md). This refresh is the item's one
 * writer: it aggregates the payments inserted since its watermark from dbo.Payment (a clustered-key range, on the
 * database's readable secondary), merges each merchant's window into its item, and writes the items and the new
 * watermark through the Cosmos DB output binding only when the whole window succeeded (a failed run is re-run over
 * the same window). Timer functions run on one instance at a time, so no two refreshes race.
 *
 * Limits, by design: the first run starts at the newest payment (no backfill); a merchant's features lag its
 * payments by up to a minute; an IDENTITY value committed after a higher one was read is missed by the window.
 */
import { app, output, type InvocationContext, type Timer } from "@azure/functions";
import { ManagedIdentityTokens, readItem, type Fetch } from "../lib/azure";
import { entityKey, mergeMerchantWindow, type FeatureItem, type MerchantWindowRow } from "../lib/features";
import { parseSqlConnection, TdsReader, type SqlReader } from "../lib/tds";

/** The watermark item (same container; its key sorts apart from entities). */
export const REFRESH_KEY = "refresh:merchant";
export interface RefreshState {
  readonly id: string;
  readonly entityKey: string;
  readonly entityType: "control";
  /** The last dbo.Payment PaymentId the merchant items include. */
  readonly lastPaymentId: number;
  readonly updatedAt: string;
}

/** Payments aggregated per run at most (about 3 minutes of the seed's 10K/s peak): a long outage catches up in steps. */
export const MAX_PAYMENTS_PER_RUN = 2_000_000;

export const MAX_PAYMENT_ID_SQL = "SELECT MAX([PaymentId]) AS [UpTo] FROM [dbo].[Payment];";
/** A seek on the clustered key (PK_Payment), grouped per merchant and currency. */
export const MERCHANT_WINDOW_SQL = [
  "SELECT [MerchantId], [CurrencyCode], COUNT_BIG(*) AS [Payments],",
  "  SUM(CAST([AmountMinor] AS FLOAT)) AS [AmountSum],",
  "  CONVERT(VARCHAR(30), MAX([CreatedAt]), 127) + 'Z' AS [LastCreatedAt]",
  "FROM [dbo].[Payment]",
  "WHERE [PaymentId] > @after AND [PaymentId] <= @upTo",
  "GROUP BY [MerchantId], [CurrencyCode];",
].join("\n");

const featuresOut = output.cosmosDB({
  connection: "CosmosDb",
  databaseName: "%COSMOS_DATABASE%",
  containerName: "%COSMOS_CONTAINER_FRAUD_FEATURES%",
  createIfNotExists: false,
});

export interface RefreshDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly fetch: Fetch;
  readonly now: () => Date;
  /** The readable secondary of the payments database (tests pass a fake). */
  readonly sql: (env: NodeJS.ProcessEnv, tokens: ManagedIdentityTokens) => SqlReader;
}

const defaultDeps: RefreshDeps = {
  env: process.env,
  fetch,
  now: () => new Date(),
  sql: (env, tokens) => new TdsReader({ ...parseSqlConnection(env.SqlConnection ?? ""), readOnlyIntent: true }, tokens),
};

/** The window's rows, grouped by merchant. */
export function windowRows(records: readonly Record<string, unknown>[]): Map<number, MerchantWindowRow[]> {
  const byMerchant = new Map<number, MerchantWindowRow[]>();
  for (const r of records) {
    const row: MerchantWindowRow = {
      merchantId: Number(r.MerchantId),
      currencyCode: String(r.CurrencyCode),
      payments: Number(r.Payments),
      amountSum: Number(r.AmountSum),
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
  const tokens = ManagedIdentityTokens.fromEnvironment(deps.env, deps.fetch);
  const target = {
    endpoint: deps.env.CosmosDb__accountEndpoint ?? "",
    database: deps.env.COSMOS_DATABASE ?? "",
    container: deps.env.COSMOS_CONTAINER_FRAUD_FEATURES ?? "",
  };
  const sql = deps.sql(deps.env, tokens);
  const state = await readItem<RefreshState>(deps.fetch, tokens, target, REFRESH_KEY, REFRESH_KEY);
  const [max] = await sql.query(MAX_PAYMENT_ID_SQL);
  const newest = max?.UpTo === null || max?.UpTo === undefined ? 0 : Number(max.UpTo);
  const now = deps.now();
  const watermark = (lastPaymentId: number): RefreshState => ({
    id: REFRESH_KEY,
    entityKey: REFRESH_KEY,
    entityType: "control",
    lastPaymentId,
    updatedAt: now.toISOString(),
  });
  if (!state) {
    context.log(`merchant refresh: first run, starting after payment ${newest} (no backfill)`);
    context.extraOutputs.set(featuresOut, [watermark(newest)]);
    return 0;
  }
  const upTo = Math.min(newest, state.lastPaymentId + MAX_PAYMENTS_PER_RUN);
  if (upTo <= state.lastPaymentId) return 0;
  const byMerchant = windowRows(await sql.query(MERCHANT_WINDOW_SQL, { after: state.lastPaymentId, upTo }));
  const items = await Promise.all(
    [...byMerchant.entries()].map(async ([merchantId, rows]) => {
      const key = entityKey("merchant", merchantId);
      const previous = await readItem<FeatureItem>(deps.fetch, tokens, target, key, key);
      return mergeMerchantWindow(previous, merchantId, rows, now);
    }),
  );
  context.extraOutputs.set(featuresOut, [...items, watermark(upTo)]);
  context.log(`merchant refresh: payments ${state.lastPaymentId + 1}-${upTo}, ${items.length} merchants`);
  return items.length;
}

/** Every minute, on the minute. */
export const REFRESH_SCHEDULE = "0 */1 * * * *";

export function registerMerchantFeatures(): void {
  app.timer("refreshMerchantFeatures", {
    schedule: REFRESH_SCHEDULE,
    runOnStartup: false,
    extraOutputs: [featuresOut],
    handler: async (timer, context) => {
      await refreshMerchantFeatures(timer, context);
    },
  });
}
