/**
 * The fraud scoring app: an Azure SQL trigger on dbo.Payment (change tracking) receives each new payment, reads the
 * card's and the merchant's features (fraud_features), scores the payment (Azure ML endpoint, or the rules model),
 * then upserts the card's updated features and queues the merchant's webhook event (webhook_events) through Cosmos DB
 * output bindings — all with the app's managed identity. Merchant items are read here and written once a minute by
 * the merchant refresh (src/functions/merchantFeatures.ts): a merchant is in most batches, and concurrent batches
 * would overwrite each other's updates.
 *
 * It writes no api_logs item: the payment API logs the call once (the seed's flow 1, step 5), and every api_logs
 * item becomes an Event Hubs event (flow 3), so a second log per payment would double both loads
 * (docs/capacity.md). The endpoint is called once per batch, not per payment; its latency is in the online
 * endpoint's own request metrics.
 */
import { app, output, type InvocationContext, type SqlChange } from "@azure/functions";
import { callScoringEndpoint, ManagedIdentityTokens, readItem, type Fetch } from "../lib/azure";
import { entitiesOf, featureVector, updateFeatures, type FeatureItem } from "../lib/features";
import type { PaymentChangeRow } from "../lib/payment";
import { scorePayments, webhookEvent, withMissingFeatures } from "../lib/scoring";
import { businessEvent } from "../lib/telemetry";

const cosmos = (container: string) =>
  output.cosmosDB({
    connection: "CosmosDb",
    databaseName: "%COSMOS_DATABASE%",
    containerName: `%${container}%`,
    createIfNotExists: false,
  });
const featuresOut = cosmos("COSMOS_CONTAINER_FRAUD_FEATURES");
const webhooksOut = cosmos("COSMOS_CONTAINER_WEBHOOK_EVENTS");

/**
 * The SQL trigger reports inserts, updates and deletes; every inserted payment is scored, whatever its status: the
 * trigger batches the changes a row had between two polls into a single entry, the difference between its last
 * processed state and its current one (functions-bindings-azure-sql-trigger, "Functionality Overview"), so a payment
 * whose status moved on before the scorer caught up arrives as one insert with its current status, and filtering on
 * 'pending' would leave it unscored without a trace.
 */
export function newPayments(changes: readonly SqlChange<PaymentChangeRow>[]): PaymentChangeRow[] {
  return changes.filter((c) => c.Operation === 0).map((c) => c.Item);
}

/** What the handler takes from its surroundings (replaced in tests). */
export interface ScoringDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly fetch: Fetch;
  readonly now: () => Date;
}

export async function scorePayment(
  changes: SqlChange<PaymentChangeRow>[],
  context: InvocationContext,
  deps: ScoringDeps = { env: process.env, fetch, now: () => new Date() },
): Promise<void> {
  const { env, fetch } = deps;
  const payments = newPayments(changes);
  if (payments.length === 0) return;
  const tokens = ManagedIdentityTokens.fromEnvironment(env, fetch);
  const target = (container: string) => ({
    endpoint: env.CosmosDb__accountEndpoint ?? "",
    database: env.COSMOS_DATABASE ?? "",
    container,
  });
  const featuresTarget = target(env.COSMOS_CONTAINER_FRAUD_FEATURES ?? "");
  // The state of every entity before this batch (one point read each, in parallel). A read that still fails after
  // its retries does not fail the batch: the SQL trigger ignores a row for good after five failed executions
  // ("that row is completely ignored for all future changes", functions-bindings-azure-sql-trigger), which would
  // leave the payment unscored and its merchant never told. Its payments go to review instead, and its item is not
  // written (a write from an empty state would erase the entity's history).
  const keys = [...new Map(payments.flatMap(entitiesOf).map((e) => [e.key, e])).values()];
  const unavailable = new Set<string>();
  const state = new Map<string, FeatureItem | undefined>(
    await Promise.all(
      keys.map(async (e) => {
        try {
          return [e.key, await readItem<FeatureItem>(fetch, tokens, featuresTarget, e.key, e.key)] as const;
        } catch (err) {
          unavailable.add(e.key);
          context.warn(`features of ${e.key} unavailable, its payments go to review: ${(err as Error).message}`);
          return [e.key, undefined] as const;
        }
      }),
    ),
  );
  const now = deps.now();
  const vectors = payments.map((p) => {
    const [card, merchant] = entitiesOf(p);
    return featureVector(p, state.get(card.key), state.get(merchant.key), now);
  });
  const scoringUri = env.FRAUD_SCORING_URI;
  const timeoutMs = Number(env.FRAUD_SCORING_TIMEOUT_MS ?? "80");
  const results = (
    await scorePayments(
      vectors,
      scoringUri ? (body) => callScoringEndpoint(fetch, tokens, scoringUri, body, timeoutMs) : undefined,
      (reason) => context.warn(`scoring endpoint unavailable, rules model used: ${reason}`),
    )
  ).map((r, i) =>
    withMissingFeatures(
      r,
      entitiesOf(payments[i])
        .filter((e) => unavailable.has(e.key))
        .map((e) => e.type),
    ),
  );
  // Fraud detection rate in the business workbook (AppTraces; components/operations/workbooks.ts).
  for (const r of results) context.log(businessEvent("payment.scored", { decision: r.decision, model: r.model }));
  // Features after the batch: payments of one entity are applied in order.
  for (const p of payments) {
    for (const e of entitiesOf(p)) state.set(e.key, updateFeatures(state.get(e.key), e, p, now));
  }
  // Cards only: a merchant's item has one writer, the once-a-minute refresh (src/functions/merchantFeatures.ts).
  context.extraOutputs.set(
    featuresOut,
    keys.filter((e) => e.type !== "merchant" && !unavailable.has(e.key)).map((e) => state.get(e.key)),
  );
  context.extraOutputs.set(
    webhooksOut,
    payments.map((p, i) => webhookEvent(p, results[i], now)),
  );
}

export function registerFraudScoring(): void {
  app.sql<PaymentChangeRow>("scorePayment", {
    tableName: "dbo.Payment",
    connectionStringSetting: "SqlConnection",
    extraOutputs: [featuresOut, webhooksOut],
    handler: (changes, context) => scorePayment(changes, context),
  });
}
