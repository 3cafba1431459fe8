/**
 * Scoring a payment: the Azure ML managed online endpoint when it answers in time, otherwise a transparent rules
 * model (so a slow or absent endpoint never blocks payments: the outcome records which model decided). Also the
 * decision thresholds and the webhook event the merchant receives. Pure, except `scorePayment`'s injected caller.
 */
import { FEATURE_ORDER, type FeatureVector } from "./features";
import type { PaymentChangeRow } from "./payment";

export type Decision = "approve" | "review" | "decline";

/** Scores at or above `review` go to manual review; at or above `decline` are declined. */
export const THRESHOLDS = { review: 0.5, decline: 0.85 } as const;

export interface ScoreResult {
  readonly score: number;
  readonly decision: Decision;
  readonly model: "azureml" | "rules";
  /** Why the rules model scored high (empty for the ML model). */
  readonly reasons: readonly string[];
}

export function decide(score: number): Decision {
  if (score >= THRESHOLDS.decline) return "decline";
  if (score >= THRESHOLDS.review) return "review";
  return "approve";
}

const logistic = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The fallback model: a logistic score over a few well-understood signals (velocity, unusual amount, new card,
 * currency switch). Deliberately simple and explainable; the ML model replaces it whenever it answers.
 */
export function rulesScore(f: FeatureVector): { score: number; reasons: string[] } {
  const reasons: string[] = [];
  let z = -3;
  if (f.cardCount1h >= 5) {
    z += 2.5;
    reasons.push("card velocity: 5+ payments in the last hour");
  } else if (f.cardCount1h >= 3) {
    z += 1.2;
    reasons.push("card velocity: 3+ payments in the last hour");
  }
  if (f.amountRatioCard >= 5) {
    z += 2;
    reasons.push("amount 5x the card's usual amount");
  }
  if (f.amountRatioMerchant >= 10) {
    z += 1;
    reasons.push("amount 10x the merchant's usual amount");
  }
  if (f.newCard === 1 && f.amountMinor >= 50_000) {
    z += 1.5;
    reasons.push("first payment of a card with a large amount");
  }
  if (f.currencyChange === 1) {
    z += 0.8;
    reasons.push("card switched currency");
  }
  return { score: logistic(z), reasons };
}

/** The scoring request the endpoint's scoring script accepts: named columns, one row per payment. */
export function mlRequest(vectors: readonly FeatureVector[]): { input_data: { columns: string[]; data: number[][] } } {
  return {
    input_data: { columns: [...FEATURE_ORDER], data: vectors.map((v) => FEATURE_ORDER.map((k) => v[k])) },
  };
}

/** Fraud probabilities from the endpoint's response (`[p, …]` or `{ "scores": [p, …] }`); throws when malformed. */
export function parseMlResponse(body: unknown, expected: number): number[] {
  const list = Array.isArray(body) ? body : (body as { scores?: unknown } | null)?.scores;
  if (!Array.isArray(list) || list.length !== expected)
    throw new Error(`scoring endpoint returned ${JSON.stringify(body)?.slice(0, 200)}; expected ${expected} scores`);
  return list.map((v) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1)
      throw new Error(`scoring endpoint returned a score outside [0, 1]: ${String(v)}`);
    return v;
  });
}

/** Scores with the endpoint when there is one and it answers; otherwise with the rules model. */
export async function scorePayments(
  vectors: readonly FeatureVector[],
  callEndpoint: ((body: unknown) => Promise<unknown>) | undefined,
  onFallback: (reason: string) => void = () => undefined,
): Promise<ScoreResult[]> {
  if (callEndpoint && vectors.length > 0) {
    try {
      const scores = parseMlResponse(await callEndpoint(mlRequest(vectors)), vectors.length);
      return scores.map((score) => ({ score, decision: decide(score), model: "azureml", reasons: [] }));
    } catch (e) {
      onFallback((e as Error).message);
    }
  }
  return vectors.map((v) => {
    const { score, reasons } = rulesScore(v);
    return { score, decision: decide(score), model: "rules", reasons };
  });
}

/**
 * A payment scored again (the trigger re-ran its batch) against a card item that already counts it but keeps no
 * decision for it (an item written before decisions were kept): its features no longer show the card as it was
 * before the payment, so it is never approved on them; it goes to review at least.
 */
export function asRescored(result: ScoreResult): ScoreResult {
  return {
    ...result,
    decision: result.decision === "decline" ? "decline" : "review",
    reasons: [...result.reasons, "scored again on features that already count it: sent to review"],
  };
}

/**
 * A payment scored without some of its features (their read failed): never approved on a partial picture, it goes to
 * manual review at least (a decline stays a decline), and the reason says which features were missing.
 */
export function withMissingFeatures(result: ScoreResult, missing: readonly string[]): ScoreResult {
  if (missing.length === 0) return result;
  return {
    ...result,
    decision: result.decision === "decline" ? "decline" : "review",
    reasons: [...result.reasons, `features unavailable (${missing.join(", ")}): sent to review`],
  };
}

/** A webhook_events item (partition key [/merchantId, /id]): the merchant is told the payment's fraud outcome. */
export interface WebhookEventItem {
  readonly id: string;
  readonly merchantId: string;
  readonly type: "payment.fraud_scored";
  readonly createdAt: string;
  readonly status: "pending";
  readonly attempts: readonly unknown[];
  readonly payload: {
    readonly paymentId: number;
    readonly idempotencyKey: string;
    readonly score: number;
    readonly decision: Decision;
    readonly model: string;
  };
}

/**
 * One event per payment; the id is derived from the payment, so a batch the trigger runs again finds the event it
 * queued before (the scorer creates events and leaves an existing one alone: no duplicate, no reset of its delivery).
 */
export function webhookEvent(p: PaymentChangeRow, result: ScoreResult, now: Date): WebhookEventItem {
  return {
    id: `payment-${p.PaymentId}-fraud-scored`,
    merchantId: String(p.MerchantId),
    type: "payment.fraud_scored",
    createdAt: now.toISOString(),
    status: "pending",
    attempts: [],
    payload: {
      paymentId: p.PaymentId,
      idempotencyKey: p.IdempotencyKey,
      score: Math.round(result.score * 10_000) / 10_000,
      decision: result.decision,
      model: result.model,
    },
  };
}
