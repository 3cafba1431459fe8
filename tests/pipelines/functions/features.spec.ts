import { strict as assert } from "node:assert";
import {
  applyPayments,
  APPLIED_WINDOW_SECONDS,
  cardStatesBefore,
  decay,
  entitiesOf,
  EWMA_ALPHA,
  featureVector,
  FEATURE_ORDER,
  hasHistory,
  MAX_APPLIED_IDS,
  paymentTime,
  updateFeatures,
  type FeatureItem,
} from "../../../pipelines/functions/src/lib/features";
import { payment } from "./fakes";

const t0 = new Date("2026-12-02T10:00:00.000Z");
const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
/** A payment inserted `seconds` after t0 (its CreatedAt: the time its features are measured at). */
const paid = (seconds: number, over: Parameters<typeof payment>[0] = {}) =>
  payment({ CreatedAt: later(seconds).toISOString(), ...over });

describe("functions: fraud features", () => {
  it("tracks the card and the merchant of a payment", () => {
    assert.deepEqual(entitiesOf(payment()), [
      { key: "paymentMethod:7", type: "paymentMethod" },
      { key: "merchant:42", type: "merchant" },
    ]);
  });

  it("halves a counter every half-life and never grows it", () => {
    assert.equal(decay(8, 3600, 3600), 4);
    assert.equal(decay(8, 7200, 3600), 2);
    assert.equal(decay(8, -5, 3600), 8);
  });

  it("starts an entity at its first payment and updates velocity and the EWMA after", () => {
    const [card] = entitiesOf(payment());
    const first = updateFeatures(undefined, card, payment(), t0);
    assert.equal(first.count1h, 1);
    assert.equal(first.amountEwma, 1000);
    assert.equal(first.paymentsSeen, 1);
    const second = updateFeatures(first, card, paid(3600, { AmountMinor: 3000 }), later(3600));
    assert.equal(second.count1h, 1.5, "one decayed by one half-life, plus this one");
    assert.equal(second.amountEwma, (1 - EWMA_ALPHA) * 1000 + EWMA_ALPHA * 3000);
    assert.equal(second.paymentsSeen, 2);
    assert.equal(second.lastPaymentAt, later(3600).toISOString());
    const switched = updateFeatures(second, card, payment({ AmountMinor: 50, CurrencyCode: "JPY" }), later(3700));
    assert.equal(switched.amountEwma, 50, "another currency restarts the average");
  });

  it("a batch's earlier payments of a card count before the next (PaymentId order), but none twice", () => {
    const a = payment({ PaymentId: 11 });
    const b = payment({ PaymentId: 12, AmountMinor: 5000 });
    const other = payment({ PaymentId: 10, PaymentMethodId: 8 });
    const [card] = entitiesOf(a);
    const before = cardStatesBefore([b, other, a], () => undefined, t0);
    assert.equal(before[2], undefined, "11 is the card's first payment");
    assert.equal(before[1], undefined, "another card has its own state");
    assert.deepEqual(before[0], updateFeatures(undefined, card, a, t0), "12 sees 11");
    // A batch run again: the card read already counts 11, so 12 sees it once, not twice.
    const counted = updateFeatures(undefined, card, a, t0);
    const again = cardStatesBefore([a, b], (key) => (key === card.key ? counted : undefined), t0);
    assert.deepEqual(again, [counted, counted]);
  });

  it("judges a payment against the state before it", () => {
    const [card, merchant] = entitiesOf(payment());
    const c = updateFeatures(undefined, card, payment(), t0);
    const m = updateFeatures(undefined, merchant, payment(), t0);
    const v = featureVector(paid(60, { AmountMinor: 10_000 }), c, m, later(60));
    assert.equal(v.amountRatioCard, 10);
    assert.equal(v.newCard, 0);
    assert.equal(v.secondsSinceLastCard, 60);
    const fresh = featureVector(payment(), undefined, undefined, t0);
    assert.deepEqual(
      FEATURE_ORDER.map((k) => fresh[k]),
      [1000, 0, 0, 0, 0, 0, 1, 0, -1],
    );
  });

  it("remembers the payments it counted, so a batch run again counts nothing twice", () => {
    const card = { key: "paymentMethod:7", type: "paymentMethod" as const };
    const once = applyPayments(undefined, card, [payment({ PaymentId: 1 }), payment({ PaymentId: 2 })], t0);
    assert.deepEqual([once?.paymentsSeen, once?.appliedPaymentIds], [2, [1, 2]]);
    assert.equal(applyPayments(once, card, [payment({ PaymentId: 1 }), payment({ PaymentId: 2 })], t0), undefined);
    const more = applyPayments(once, card, [payment({ PaymentId: 2 }), payment({ PaymentId: 3 })], later(60));
    assert.deepEqual([more?.paymentsSeen, more?.appliedPaymentIds], [3, [1, 2, 3]]);
  });

  it("keeps the ids of the last ten minutes only, at most MAX_APPLIED_IDS", () => {
    const card = { key: "paymentMethod:7", type: "paymentMethod" as const };
    const first = updateFeatures(undefined, card, payment({ PaymentId: 1 }), t0);
    const quiet = updateFeatures(
      first,
      card,
      paid(APPLIED_WINDOW_SECONDS + 1, { PaymentId: 2 }),
      later(APPLIED_WINDOW_SECONDS + 1),
    );
    assert.deepEqual(quiet.appliedPaymentIds, [2]);
    let burst = first;
    for (let i = 2; i <= MAX_APPLIED_IDS + 5; i++) burst = updateFeatures(burst, card, payment({ PaymentId: i }), t0);
    assert.equal(burst.appliedPaymentIds?.length, MAX_APPLIED_IDS);
    assert.equal(burst.appliedPaymentIds?.at(-1), MAX_APPLIED_IDS + 5);
  });

  it("keeps each counted payment's decision for exactly the ids it keeps", () => {
    const card = { key: "paymentMethod:7", type: "paymentMethod" as const };
    let item = updateFeatures(undefined, card, payment({ PaymentId: 1 }), t0, [0.1, "approve", "azureml"]);
    item = updateFeatures(item, card, payment({ PaymentId: 2 }), later(10), [0.9, "decline", "rules"]);
    assert.deepEqual(item.appliedResults, { 1: [0.1, "approve", "azureml"], 2: [0.9, "decline", "rules"] });
    const quiet = updateFeatures(
      item,
      card,
      paid(APPLIED_WINDOW_SECONDS + 20, { PaymentId: 3 }),
      later(APPLIED_WINDOW_SECONDS + 20),
      [0.2, "approve", "azureml"],
    );
    assert.deepEqual(Object.keys(quiet.appliedResults ?? {}), ["3"]);
    let burst = item;
    for (let i = 3; i <= MAX_APPLIED_IDS + 5; i++)
      burst = updateFeatures(burst, card, payment({ PaymentId: i }), later(10), [0.1, "approve", "azureml"]);
    assert.deepEqual(Object.keys(burst.appliedResults ?? {}).map(Number), [...(burst.appliedPaymentIds ?? [])]);
    // Without a result, stale entries still go with the ids they belonged to.
    const drifted = { ...item, appliedPaymentIds: [2], appliedResults: { 1: [0.1, "approve", "azureml"] as const } };
    const next = updateFeatures(drifted, card, payment({ PaymentId: 5 }), later(20));
    assert.deepEqual([next.appliedPaymentIds, next.appliedResults], [[2, 5], {}]);
  });

  it("never moves a card's last payment time back when another instance applied a later batch first", () => {
    const card = { key: "paymentMethod:7", type: "paymentMethod" as const };
    const newer = updateFeatures(undefined, card, paid(30, { PaymentId: 2 }), later(30));
    const older = updateFeatures(newer, card, payment({ PaymentId: 1 }), t0);
    assert.equal(older.lastPaymentAt, later(30).toISOString());
    assert.equal(older.count1h, 2, "counted, not decayed backwards");
  });
  it("measures a payment at its own time: a backlog scored at once is not one burst", () => {
    // Six payments of one card an hour apart, scored together at 12:00 (a restart, a stalled trigger).
    const batch = [0, 1, 2, 3, 4, 5].map((h) => paid(h * 3600, { PaymentId: 100 + h }));
    const noon = later(6 * 3600);
    const before = cardStatesBefore(batch, () => undefined, noon);
    const last = featureVector(batch[5], before[5], undefined, noon);
    assert.equal(last.secondsSinceLastCard, 3600, "an hour after the previous one, not 0");
    // Five earlier payments decayed by 1 to 5 hours (half-life one hour): under 1, not 5.
    assert.ok(Math.abs(last.cardCount1h - (0.5 + 0.25 + 0.125 + 0.0625 + 0.03125)) < 1e-9, String(last.cardCount1h));
    const item = applyPayments(undefined, entitiesOf(batch[0])[0], batch, noon);
    assert.equal(item?.lastPaymentAt, later(5 * 3600).toISOString(), "the last payment's own time");
    assert.equal(item?.updatedAt, noon.toISOString(), "when it was written");
    // The batch run again a minute later (an event create failed) counts none of them twice, although they are hours
    // apart: the ids are kept on processing time.
    assert.deepEqual(item?.appliedPaymentIds, [100, 101, 102, 103, 104, 105]);
    assert.equal(applyPayments(item, entitiesOf(batch[0])[0], batch, later(6 * 3600 + 60)), undefined);
  });

  it("reads the trigger's CreatedAt as UTC with or without an offset, never after now, now without one", () => {
    const now = later(60);
    assert.equal(paymentTime({ CreatedAt: "2026-12-02T10:00:30.123" }, now).toISOString(), "2026-12-02T10:00:30.123Z");
    assert.equal(
      paymentTime({ CreatedAt: "2026-12-02T11:00:30+01:00" }, now).toISOString(),
      "2026-12-02T10:00:30.000Z",
    );
    assert.equal(paymentTime({ CreatedAt: "2026-12-02T10:05:00Z" }, now), now, "a database clock ahead: now");
    assert.equal(paymentTime({ CreatedAt: "" }, now), now);
    assert.equal(paymentTime({ CreatedAt: "not a time" }, now), now);
  });

  it("never reads a negative time since the card's last payment (another instance counted a later one first)", () => {
    const [card] = entitiesOf(payment());
    const ahead = updateFeatures(undefined, card, paid(30, { PaymentId: 2 }), later(30));
    const v = featureVector(paid(10, { PaymentId: 1 }), ahead, undefined, later(40));
    assert.deepEqual([v.newCard, v.secondsSinceLastCard], [0, 0]);
  });

  it("an erasure's short-lived stub counts as no history: no NaN features, no stub fields carried over", () => {
    const [card, merchant] = entitiesOf(payment());
    const stub = { id: card.key, entityKey: card.key, ttl: 1 } as unknown as FeatureItem;
    assert.ok(!hasHistory(stub));
    const v = featureVector(
      paid(0),
      stub,
      { id: merchant.key, entityKey: merchant.key, ttl: 1 } as unknown as FeatureItem,
      t0,
    );
    assert.deepEqual(
      FEATURE_ORDER.map((k) => v[k]),
      [1000, 0, 0, 0, 0, 0, 1, 0, -1],
    );
    const item = updateFeatures(stub, card, paid(0), t0);
    assert.deepEqual([item.count1h, item.paymentsSeen, "ttl" in item], [1, 1, false]);
  });
});
