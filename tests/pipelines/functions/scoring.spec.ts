import { strict as assert } from "node:assert";
import { payment } from "./fakes";
import { featureVector, FEATURE_ORDER, type FeatureVector } from "../../../pipelines/functions/src/lib/features";
import {
  decide,
  mlRequest,
  parseMlResponse,
  rulesScore,
  scorePayments,
  THRESHOLDS,
  webhookEvent,
  withMissingFeatures,
} from "../../../pipelines/functions/src/lib/scoring";

const quiet: FeatureVector = featureVector(payment(), undefined, undefined, new Date());
const normal: FeatureVector = { ...quiet, newCard: 0, amountRatioCard: 1, cardCount1h: 1, secondsSinceLastCard: 86400 };

describe("functions: scoring", () => {
  it("decides by thresholds", () => {
    assert.equal(decide(0), "approve");
    assert.equal(decide(THRESHOLDS.review), "review");
    assert.equal(decide(THRESHOLDS.decline), "decline");
  });

  it("rules model: a usual payment is approved, a burst of large payments on a new currency is declined", () => {
    assert.equal(decide(rulesScore(normal).score), "approve");
    const risky = rulesScore({ ...normal, cardCount1h: 6, amountRatioCard: 8, currencyChange: 1 });
    assert.equal(decide(risky.score), "decline");
    assert.deepEqual(risky.reasons, [
      "card velocity: 5+ payments in the last hour",
      "amount 5x the card's usual amount",
      "card switched currency",
    ]);
  });

  it("rules model: each signal starts at its stated threshold (5 and 3 payments an hour, a new card's 500.00)", () => {
    const reasons = (f: Partial<FeatureVector>) => rulesScore({ ...normal, ...f }).reasons;
    assert.deepEqual(reasons({ cardCount1h: 5 }), ["card velocity: 5+ payments in the last hour"]);
    assert.deepEqual(reasons({ cardCount1h: 4.99 }), ["card velocity: 3+ payments in the last hour"]);
    assert.deepEqual(reasons({ cardCount1h: 2.99 }), []);
    assert.deepEqual(reasons({ amountRatioCard: 5 }), ["amount 5x the card's usual amount"]);
    assert.deepEqual(reasons({ amountRatioMerchant: 10 }), ["amount 10x the merchant's usual amount"]);
    assert.deepEqual(reasons({ newCard: 1, amountMinor: 50_000 }), ["first payment of a card with a large amount"]);
    assert.deepEqual(reasons({ newCard: 1, amountMinor: 49_999 }), []);
  });

  it("sends the endpoint named columns in the feature order, one row per payment", () => {
    const body = mlRequest([normal, quiet]);
    assert.deepEqual(body.input_data.columns, FEATURE_ORDER);
    assert.equal(body.input_data.data.length, 2);
    assert.equal(body.input_data.data[0][FEATURE_ORDER.indexOf("cardCount1h")], 1);
  });

  it("accepts only one probability in [0, 1] per payment", () => {
    assert.deepEqual(parseMlResponse([0.1, 0.9], 2), [0.1, 0.9]);
    assert.deepEqual(parseMlResponse({ scores: [0.2] }, 1), [0.2]);
    assert.throws(() => parseMlResponse([0.1], 2), /expected 2 scores/);
    assert.throws(() => parseMlResponse([1.5], 1), /outside \[0, 1\]/);
  });

  it("uses the endpoint when it answers, and the rules model when it fails or times out", async () => {
    const ml = await scorePayments([normal], async () => [0.91]);
    assert.deepEqual(ml, [{ score: 0.91, decision: "decline", model: "azureml", reasons: [] }]);
    const reasons: string[] = [];
    const fallback = await scorePayments(
      [normal],
      async () => {
        throw new Error("The operation was aborted due to timeout");
      },
      (r) => reasons.push(r),
    );
    assert.equal(fallback[0].model, "rules");
    assert.deepEqual(reasons, ["The operation was aborted due to timeout"]);
    assert.equal((await scorePayments([normal], undefined))[0].model, "rules");
  });

  it("a payment scored without some features goes to review at least, saying which were missing", () => {
    const approve = { score: 0.1, decision: "approve" as const, model: "azureml" as const, reasons: [] };
    assert.deepEqual(withMissingFeatures(approve, []), approve);
    assert.deepEqual(withMissingFeatures(approve, ["paymentMethod"]), {
      ...approve,
      decision: "review",
      reasons: ["features unavailable (paymentMethod): sent to review"],
    });
    const decline = { score: 0.9, decision: "decline" as const, model: "rules" as const, reasons: ["card velocity"] };
    assert.equal(withMissingFeatures(decline, ["merchant"]).decision, "decline");
    assert.deepEqual(withMissingFeatures(decline, ["merchant"]).reasons, [
      "card velocity",
      "features unavailable (merchant): sent to review",
    ]);
  });

  it("queues one webhook event per payment, idempotent on re-delivery", () => {
    const e = webhookEvent(
      payment({ PaymentId: 99 }),
      { score: 0.123456, decision: "approve", model: "azureml", reasons: [] },
      new Date("2026-12-02T10:00:00Z"),
    );
    assert.equal(e.id, "payment-99-fraud-scored");
    assert.equal(e.merchantId, "42");
    assert.deepEqual(e.payload, {
      paymentId: 99,
      idempotencyKey: "order-1",
      score: 0.1235,
      decision: "approve",
      model: "azureml",
    });
    assert.equal(e.status, "pending");
  });
});
