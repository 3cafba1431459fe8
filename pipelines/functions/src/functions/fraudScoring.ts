/**
 * The fraud scoring app: an Azure SQL trigger on dbo.Payment (change tracking) receives each new payment, reads the
 * card's and the merchant's features (fraud_features), scores the payment (Azure ML endpoint, or the rules model),
 * then writes the card's updated features (a conditional replace, below) and queues the merchant's webhook event
 * (webhook_events, a create) — all over Cosmos DB's REST API with the app's managed identity. Merchant items are read
 * here and written once a minute by the merchant refresh (src/functions/merchantFeatures.ts): a merchant is in most
 * batches, and concurrent batches would overwrite each other's updates.
 *
 * A card's item is written with optimistic concurrency: the trigger leases rows, not cards, so two instances can
 * score two payments of one card at once, and a blind upsert would drop one of them from its velocity. The write is
 * conditional on the item's `_etag` as read (412 → wait, read again, re-apply, up to CARD_WRITE_ATTEMPTS; a card still
 * contended then sends its payments to review rather than failing the batch), and the item keeps the ids of the
 * payments it counts with the decision each got, so a batch the trigger runs again (an event write failed after the
 * cards were written) counts nothing twice and decides the same.
 *
 * Webhook events are created, never upserted: an event queued by an earlier run of the batch stays as it is (409 →
 * "already queued"), so a re-run cannot reset an event the dispatcher already delivered to `pending` and have it
 * sent twice (a Cosmos DB output binding upserts). A create that still fails fails the batch, and the trigger runs
 * it again.
 *
 * It writes no api_logs item: the payment API logs the call once (the seed's flow 1, step 5), and every api_logs
 * item becomes an Event Hubs event (flow 3), so a second log per payment would double both loads
 * (docs/capacity.md). The endpoint is called once per batch, not per payment; its latency is in the online
 * endpoint's own request metrics.
 */
import { app, type InvocationContext, type SqlChange } from "@azure/functions";
import {
  callScoringEndpoint,
  createItem,
  ManagedIdentityTokens,
  mapLimited,
  readItem,
  writeItem,
  type CosmosTarget,
  type Fetch,
} from "../lib/azure";
import {
  applyPayments,
  cardStatesBefore,
  entitiesOf,
  featureVector,
  type AppliedResult,
  type FeatureItem,
} from "../lib/features";
import type { PaymentChangeRow } from "../lib/payment";
import { asRescored, scorePayments, webhookEvent, withMissingFeatures, type ScoreResult } from "../lib/scoring";
import { businessEvent } from "../lib/telemetry";

/** Conditional writes of one card before its payments go to review (the card stays contended). */
export const CARD_WRITE_ATTEMPTS = 4;
/** Card writes in flight at once (a batch has at most 100 cards); webhook event creates likewise. */
export const CARD_WRITE_CONCURRENCY = 16;

/**
 * Deadlines of a batch's Cosmos DB calls, from its start, under the host's 30-second function timeout (host.json): the
 * feature reads and card writes by 20 s (what misses it goes to review, as a card that cannot be read or written),
 * the webhook event creates by 27 s (what misses it fails the batch, which the trigger runs again: every decision
 * kept, the missing events created). Without them a slow Cosmos DB let one batch run past 30 s, ending the worker.
 */
export const FEATURES_DEADLINE_MS = 20_000;
export const EVENTS_DEADLINE_MS = 27_000;

/** The containers a batch started at `startedAt` (epoch ms) writes, each with its deadline. */
export function scorerTargets(
  env: NodeJS.ProcessEnv,
  startedAt: number,
): { readonly features: CosmosTarget; readonly events: CosmosTarget } {
  const target = (container: string | undefined, deadlineMs: number): CosmosTarget => ({
    endpoint: env.CosmosDb__accountEndpoint ?? "",
    database: env.COSMOS_DATABASE ?? "",
    container: container ?? "",
    deadline: startedAt + deadlineMs,
  });
  return {
    features: target(env.COSMOS_CONTAINER_FRAUD_FEATURES, FEATURES_DEADLINE_MS),
    events: target(env.COSMOS_CONTAINER_WEBHOOK_EVENTS, EVENTS_DEADLINE_MS),
  };
}

/** The app settings the scorer reads (components/ingestion/index.ts sets them). */
const REQUIRED_SETTINGS = [
  "CosmosDb__accountEndpoint",
  "COSMOS_DATABASE",
  "COSMOS_CONTAINER_FRAUD_FEATURES",
  "COSMOS_CONTAINER_WEBHOOK_EVENTS",
] as const;

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
  const missing = REQUIRED_SETTINGS.filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`${missing.join(", ")} must be set (the fraud scorer's app settings)`);
  const tokens = ManagedIdentityTokens.fromEnvironment(env, fetch);
  const { features: featuresTarget, events: eventsTarget } = scorerTargets(env, Date.now());
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
  // Each payment against its card as it stands just before it (the batch's earlier payments of the card included).
  const cardBefore = cardStatesBefore(payments, (key) => state.get(key), now);
  const vectors = payments.map((p, i) => featureVector(p, cardBefore[i], state.get(entitiesOf(p)[1].key), now));
  const scoringUri = env.FRAUD_SCORING_URI;
  const timeoutMs = Number(env.FRAUD_SCORING_TIMEOUT_MS ?? "80");
  // Payments this batch already counted in an earlier run: their decision is the one sent then.
  const repeated = new Set<number>();
  const results = (
    await scorePayments(
      vectors,
      scoringUri ? (body) => callScoringEndpoint(fetch, tokens, scoringUri, body, timeoutMs) : undefined,
      (reason) => context.warn(`scoring endpoint unavailable, rules model used: ${reason}`),
    )
  ).map((r, i) => {
    const p = payments[i];
    const card = state.get(entitiesOf(p)[0].key);
    // A batch the trigger runs again: the card already counts this payment and holds the decision it got then; the
    // same decision goes out again (the features now include the payment and would judge it differently). Counted
    // but without a kept decision (an item written before decisions were kept): review at least.
    if (card?.appliedPaymentIds?.includes(p.PaymentId)) {
      repeated.add(p.PaymentId);
      const before = card.appliedResults?.[String(p.PaymentId)];
      return before ? asDecidedBefore(before) : asRescored(r);
    }
    return withMissingFeatures(
      r,
      entitiesOf(p)
        .filter((e) => unavailable.has(e.key))
        .map((e) => e.type),
    );
  });
  // Cards only: a merchant's item has one writer, the once-a-minute refresh (src/functions/merchantFeatures.ts). An
  // unreadable card is not written (a write from an empty state would erase its history).
  const writable = keys.filter((e) => e.type !== "merchant" && !unavailable.has(e.key));
  const resultById = new Map(payments.map((p, i) => [p.PaymentId, results[i]] as const));
  const contended = new Set<string>();
  await mapLimited(writable, CARD_WRITE_CONCURRENCY, async (card) => {
    let outcome: Awaited<ReturnType<typeof writeCard>>;
    try {
      outcome = await writeCard(
        card,
        // In PaymentId order, as they were scored (cardStatesBefore).
        payments.filter((p) => entitiesOf(p)[0].key === card.key).sort((a, b) => a.PaymentId - b.PaymentId),
        state.get(card.key),
        now,
        (item, etag) => writeItem(fetch, tokens, featuresTarget, item, card.key, etag),
        () => readItem<FeatureItem>(fetch, tokens, featuresTarget, card.key, card.key),
        (p) => {
          const r = resultById.get(p.PaymentId);
          return r ? [r.score, r.decision, r.model] : undefined;
        },
      );
    } catch (err) {
      // A write or re-read still throttled (or failing) after its retries: like an unreadable card, its payments go
      // to review and the batch goes on, since failing it five times makes the trigger drop its rows for good.
      contended.add(card.key);
      context.warn(
        `features of ${card.key} could not be written, its payments go to review: ${(err as Error).message}`,
      );
      return;
    }
    if (outcome === "contended") {
      contended.add(card.key);
      context.warn(
        `features of ${card.key} still changed by other batches after ${CARD_WRITE_ATTEMPTS} attempts: its payments go to review`,
      );
    }
  });
  // A card whose features could not be written (others kept changing it, or the service kept refusing): its payments
  // are not approved on features that miss them, and the batch is not failed (the trigger would give up on its rows
  // after five runs).
  const final = results.map((r, i) =>
    contended.has(entitiesOf(payments[i])[0].key) && !repeated.has(payments[i].PaymentId)
      ? withMissingFeatures(r, ["paymentMethod (write contention)"])
      : r,
  );
  // Each payment's webhook event, created once: an event an earlier run queued is not touched (its delivery state is
  // the dispatcher's). Every create is tried, whatever the others answer.
  const created = await mapLimited(
    payments.map((p, i) => webhookEvent(p, final[i], now)),
    CARD_WRITE_CONCURRENCY,
    async (event): Promise<"created" | "exists" | Error> => {
      try {
        return await createItem(fetch, tokens, eventsTarget, event, [event.merchantId, event.id]);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    },
  );
  // Fraud detection rate in the business workbook (AppTraces; components/operations/workbooks.ts): each payment once,
  // with the run that queued its event (a run again finds it there and logs nothing).
  final.forEach((r, i) => {
    if (created[i] === "created")
      context.log(businessEvent("payment.scored", { decision: r.decision, model: r.model }));
  });
  // Already there: queued by an earlier run of the batch.
  const existing = created.filter((c) => c === "exists").length;
  if (existing > 0) context.log(`${existing} webhook event(s) already queued, left as they are`);
  const failed = payments.filter((_, i) => created[i] instanceof Error).map((p) => p.PaymentId);
  if (failed.length > 0) {
    // The trigger runs the batch again (every decision kept, the missing events created), but gives up on its rows
    // after five failed runs (functions-bindings-azure-sql-trigger). The error names every payment whose event is
    // missing (ids only): the host records it as the failed invocation's exception, which is never sampled, so the ids
    // are there for the recovery (docs/runbook.md#scorer-failures).
    const first = created.find((c) => c instanceof Error) as Error;
    throw new Error(
      `${WEBHOOK_NOT_QUEUED_PREFIX}${failed.join(",")} (${failed.length} of ${payments.length}): ${first.message}`,
      { cause: first },
    );
  }
}

/** The start of the error naming the payments whose webhook event a run could not queue (ids only). */
export const WEBHOOK_NOT_QUEUED_PREFIX = "webhook events not queued for payments ";

/** The result a payment got when its batch first ran, as its card keeps it. */
function asDecidedBefore([score, decision, model]: AppliedResult): ScoreResult {
  return {
    score,
    decision: decision as ScoreResult["decision"],
    model: model as ScoreResult["model"],
    reasons: ["decided when its batch first ran (this run repeats a batch whose output failed)"],
  };
}

/** Waits between conditional writes of a contended card: random, growing (25, 50, 100 ms at most). */
export const cardRetryWaitMs = (attempt: number, random: () => number = Math.random) =>
  Math.round(random() * 25 * 2 ** (attempt - 1));

/**
 * Applies a card's payments of the batch to its item and writes it if nobody wrote it since it was read; on a
 * conflict, waits a little, reads it again and re-applies (payments it already counts are skipped). "contended" after
 * CARD_WRITE_ATTEMPTS.
 */
export async function writeCard(
  card: { key: string; type: "paymentMethod" | "merchant" },
  payments: readonly PaymentChangeRow[],
  read: FeatureItem | undefined,
  now: Date,
  write: (item: FeatureItem, etag: string | undefined) => Promise<"written" | "conflict">,
  reread: () => Promise<FeatureItem | undefined>,
  resultOf: (p: PaymentChangeRow) => AppliedResult | undefined = () => undefined,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<"written" | "unchanged" | "contended"> {
  let current = read;
  for (let attempt = 1; attempt <= CARD_WRITE_ATTEMPTS; attempt++) {
    const next = applyPayments(current, card, payments, now, resultOf);
    if (!next) return "unchanged";
    if ((await write(next, current?._etag)) === "written") return "written";
    if (attempt === CARD_WRITE_ATTEMPTS) break;
    await wait(cardRetryWaitMs(attempt));
    current = await reread();
  }
  return "contended";
}

export function registerFraudScoring(): void {
  app.sql<PaymentChangeRow>("scorePayment", {
    tableName: "dbo.Payment",
    connectionStringSetting: "SqlConnection",
    handler: (changes, context) => scorePayment(changes, context),
  });
}
