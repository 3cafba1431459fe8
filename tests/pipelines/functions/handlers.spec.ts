import { strict as assert } from "node:assert";
import {
  CARD_WRITE_ATTEMPTS,
  cardRetryWaitMs,
  EVENTS_DEADLINE_MS,
  FEATURES_DEADLINE_MS,
  newPayments,
  scorePayment,
  scorerTargets,
  WEBHOOK_NOT_QUEUED_PREFIX,
} from "../../../pipelines/functions/src/functions/fraudScoring";
import { READ_ATTEMPTS } from "../../../pipelines/functions/src/lib/azure";
import { FEATURE_ORDER } from "../../../pipelines/functions/src/lib/features";
import { change, fakeContext, fakeScoringWorld, payment, scoringEnv } from "./fakes";

/** A card's feature item as stored before the batch (seen 10 times, last a minute before). */
const card = (key: string) => ({
  id: key,
  entityKey: key,
  entityType: "paymentMethod",
  count1h: 2,
  count24h: 5,
  amountEwma: 1000,
  lastCurrency: "EUR",
  lastPaymentAt: "2026-12-02T09:59:00.000Z",
  paymentsSeen: 10,
  updatedAt: "2026-12-02T09:59:00.000Z",
});

const env = scoringEnv;

/** The webhook events the fake webhook_events container holds, in the order they were created. */
type StoredEvent = {
  id: string;
  status: string;
  payload: { paymentId: number; decision: string; score: number; model: string };
};
const eventsIn = (world: { events: Map<string, Record<string, unknown>> }) =>
  [...world.events.values()] as unknown as StoredEvent[];

describe("functions: fraud scoring trigger", () => {
  it("scores every inserted payment, also one whose status moved on before the poll (the trigger folds changes)", () => {
    const rows = newPayments([
      change(payment({ PaymentId: 1 })),
      change(payment({ PaymentId: 2 }), 1),
      change(payment({ PaymentId: 3, Status: "captured" })),
      change(payment({ PaymentId: 4 }), 2),
    ]);
    assert.deepEqual(
      rows.map((r) => r.PaymentId),
      [1, 3],
    );
  });

  it("bounds a batch's Cosmos DB calls: feature reads and card writes by 20 s, event creates by 27 s (host: 30 s)", () => {
    const t = scorerTargets(env, 1_000_000);
    assert.deepEqual(t.features, {
      endpoint: env.CosmosDb__accountEndpoint,
      database: env.COSMOS_DATABASE,
      container: env.COSMOS_CONTAINER_FRAUD_FEATURES,
      deadline: 1_020_000,
    });
    assert.equal(t.events.container, env.COSMOS_CONTAINER_WEBHOOK_EVENTS);
    assert.equal(t.events.deadline, 1_027_000);
    assert.ok(FEATURES_DEADLINE_MS < EVENTS_DEADLINE_MS && EVENTS_DEADLINE_MS < 30_000);
  });

  it("scores a burst on one card within one batch against the card as each payment finds it (card testing)", async () => {
    const world = fakeScoringWorld({ scores: (n) => new Array<number>(n).fill(0.1) });
    const { context } = fakeContext();
    // Three tries of a never-seen card in one poll, delivered out of order.
    await scorePayment(
      [3, 1, 2].map((id) => change(payment({ PaymentId: id }))),
      context,
      { env, fetch: world.fetch, now: () => new Date("2026-12-02T10:00:00Z") },
    );
    const column = (k: (typeof FEATURE_ORDER)[number]) =>
      world.scoringRows[0].map((row) => row[FEATURE_ORDER.indexOf(k)]);
    // Rows in the batch's order (3, 1, 2); by PaymentId, the first is the card's first payment, the next ones count it.
    assert.deepEqual(column("newCard"), [0, 1, 0]);
    assert.deepEqual(column("cardCount1h"), [2, 0, 1]);
    // The card is written once, with all three, in PaymentId order.
    assert.deepEqual(
      world.writes.map((w) => [w.id, w.body.appliedPaymentIds, w.body.paymentsSeen]),
      [["paymentMethod:7", [1, 2, 3], 3]],
    );
  });

  it("reads features, scores with the endpoint, writes features and webhook events, and no second API log", async () => {
    const world = fakeScoringWorld({ scores: () => [0.95] });
    const { context, outputs, warnings, logs } = fakeContext();
    await scorePayment([change(payment({ PaymentId: 5 }))], context, {
      env,
      fetch: world.fetch,
      now: () => new Date("2026-12-02T10:00:00Z"),
    });
    assert.deepEqual(warnings, []);
    // The business workbook's fraud detection rate reads this line (AppTraces).
    assert.deepEqual(logs, ["payment.scored decision=decline model=azureml"]);
    assert.ok(
      world.reads.includes("https://acct.documents.azure.com/dbs/payments/colls/fraud_features/docs/paymentMethod%3A7"),
    );
    assert.deepEqual(world.scoringCalls, [env.FRAUD_SCORING_URI]);
    // The card only (a create: it did not exist); the merchant's item has one writer, the once-a-minute refresh.
    assert.deepEqual(
      world.writes.map((w) => [w.method, w.id, w.body.paymentsSeen, w.body.appliedPaymentIds, w.status]),
      [["POST", "paymentMethod:7", 1, [5], 201]],
    );
    // The merchant's event: a create (never an upsert) under the container's hierarchical key [merchantId, id], with
    // the API version Microsoft's SDK sends with such keys.
    assert.deepEqual(
      world.eventWrites.map((w) => [w.method, w.partitionKey, w.version, w.status]),
      [["POST", '["42","payment-5-fraud-scored"]', "2020-07-15", 201]],
    );
    const [event] = eventsIn(world);
    assert.deepEqual([event.status, event.payload.decision, event.payload.model], ["pending", "decline", "azureml"]);
    // No output binding: the payment API logs the call once; a log here would double api_logs and the relay's Event
    // Hubs events.
    assert.deepEqual([...outputs.keys()], []);
  });

  it("a card another instance wrote meanwhile is read again and both payments count (no lost update)", async () => {
    const before = { ...card("paymentMethod:7"), appliedPaymentIds: [1] };
    let raced = false;
    const world = fakeScoringWorld({
      items: { "paymentMethod:7": before },
      // Another instance counts payment 2 of the same card between this batch's read and its write.
      beforeWrite: (items, w) => {
        if (raced || w.id !== "paymentMethod:7") return;
        raced = true;
        const other = items.get(w.id) ?? {};
        items.set(w.id, { ...other, paymentsSeen: 11, appliedPaymentIds: [1, 2], _etag: '"e-other"' });
      },
    });
    const { context } = fakeContext();
    await scorePayment([change(payment({ PaymentId: 3 }))], context, {
      env,
      fetch: world.fetch,
      now: () => new Date("2026-12-02T10:00:00Z"),
    });
    assert.deepEqual(
      world.writes.map((w) => [w.method, w.ifMatch, w.status]),
      [
        ["PUT", '"e-paymentMethod:7-0"', 412],
        ["PUT", '"e-other"', 200],
      ],
    );
    const stored = world.items.get("paymentMethod:7");
    assert.deepEqual([stored?.paymentsSeen, stored?.appliedPaymentIds], [12, [1, 2, 3]]);
  });

  it("a batch the trigger runs again (an event create failed) counts its payments once and sends each event once", async () => {
    let failing = true;
    const world = fakeScoringWorld({
      items: { "paymentMethod:7": card("paymentMethod:7") },
      // The first run's second event create fails (500: not retried); the batch fails.
      eventStatus: (id) => (failing && id === "payment-9-fraud-scored" ? 500 : undefined),
    });
    const scoredLogs: string[] = [];
    const run = async () => {
      const { context, logs } = fakeContext();
      try {
        await scorePayment([change(payment({ PaymentId: 8 })), change(payment({ PaymentId: 9 }))], context, {
          env,
          fetch: world.fetch,
          now: () => new Date("2026-12-02T10:00:00Z"),
        });
      } finally {
        scoredLogs.push(...logs.filter((l) => l.startsWith("payment.scored")));
      }
      return logs;
    };
    // The failed run's exception names every payment whose event is missing (the trigger drops rows after five
    // failed runs), and the cause.
    await assert.rejects(run(), (e: Error) => {
      assert.equal(
        e.message,
        `${WEBHOOK_NOT_QUEUED_PREFIX}9 (1 of 2): Cosmos DB write of webhook_events/payment-9-fraud-scored answered 500`,
      );
      assert.match(String((e.cause as Error).message), /answered 500/);
      return true;
    });
    // Payment 8's event was queued: it is logged as scored now, and never again.
    assert.equal(scoredLogs.length, 1);
    // The dispatcher delivers payment 8's event before the trigger runs the batch again.
    const first = eventsIn(world).map((e) => [e.payload.paymentId, e.payload.decision, e.payload.score]);
    world.events.set("payment-8-fraud-scored", { ...world.events.get("payment-8-fraud-scored"), status: "delivered" });
    failing = false;
    const logs = await run();
    assert.equal(world.items.get("paymentMethod:7")?.paymentsSeen, 12, "10 before, +2 once");
    assert.equal(world.writes.length, 1, "the second run writes no card");
    assert.deepEqual(Object.keys(world.items.get("paymentMethod:7")?.appliedResults as object), ["8", "9"]);
    // Payment 8's event is not rewritten (an upsert would make it pending again, and the dispatcher send it twice);
    // payment 9's is created with the decision the card kept from the first run.
    assert.deepEqual(
      eventsIn(world).map((e) => [e.payload.paymentId, e.status]),
      [
        [8, "delivered"],
        [9, "pending"],
      ],
    );
    assert.deepEqual(eventsIn(world)[0].payload.decision, first[0][1]);
    assert.ok(world.eventWrites.every((w) => w.method === "POST"));
    assert.ok(logs.includes("1 webhook event(s) already queued, left as they are"));
    assert.equal(scoredLogs.length, 2, "each payment logged as scored once, with the run that queued its event");
  });

  it("refuses to run without the settings it writes with, naming them", async () => {
    const world = fakeScoringWorld();
    const { context } = fakeContext();
    const { COSMOS_CONTAINER_WEBHOOK_EVENTS: _omitted, ...partial } = env;
    await assert.rejects(
      scorePayment([change(payment())], context, { env: partial, fetch: world.fetch, now: () => new Date() }),
      /^Error: COSMOS_CONTAINER_WEBHOOK_EVENTS must be set \(the fraud scorer's app settings\)$/,
    );
    assert.deepEqual([world.reads, world.writes], [[], []]);
  });

  it("a card still changed by others after every attempt sends its payments to review, without failing the batch", async () => {
    let n = 0;
    const world = fakeScoringWorld({
      items: { "paymentMethod:7": card("paymentMethod:7") },
      beforeWrite: (items, w) => {
        items.set(w.id, { ...(items.get(w.id) ?? {}), _etag: `"e-busy-${n++}"` });
      },
    });
    const { context, warnings } = fakeContext();
    await scorePayment([change(payment({ PaymentId: 4 }))], context, {
      env,
      fetch: world.fetch,
      now: () => new Date(),
    });
    assert.equal(world.writes.length, CARD_WRITE_ATTEMPTS);
    assert.match(
      warnings.join("\n"),
      /features of paymentMethod:7 still changed by other batches .*: its payments go to review/,
    );
    const [event] = eventsIn(world);
    assert.notEqual(event.payload.decision, "approve");
  });

  it("a re-run keeps each counted payment's decision, also when a new payment's write is contended, and logs it once", async () => {
    const counted = {
      ...card("paymentMethod:7"),
      appliedPaymentIds: [8],
      appliedResults: { 8: [0.0421, "approve", "azureml"] },
    };
    let n = 0;
    const world = fakeScoringWorld({
      items: { "paymentMethod:7": counted },
      scores: () => [0.3, 0.3],
      beforeWrite: (items, w) => {
        items.set(w.id, { ...(items.get(w.id) ?? {}), _etag: `"e-busy-${n++}"` });
      },
    });
    const { context, logs } = fakeContext();
    await scorePayment([change(payment({ PaymentId: 8 })), change(payment({ PaymentId: 10 }))], context, {
      env,
      fetch: world.fetch,
      now: () => new Date("2026-12-02T10:00:00Z"),
    });
    const events = eventsIn(world);
    assert.deepEqual(
      events.map((e) => [e.payload.paymentId, e.payload.decision]),
      [
        [8, "approve"],
        [10, "review"],
      ],
    );
    assert.equal(events[0].payload.score, 0.0421);
    // Each payment is logged with the run that queues its event: 8's first run failed before queuing it, so this one.
    assert.equal(logs.filter((l) => l.startsWith("payment.scored")).length, 2);
  });

  it("a payment its card counts without a kept decision (an older item) is never approved on features that include it", async () => {
    const world = fakeScoringWorld({
      items: { "paymentMethod:7": { ...card("paymentMethod:7"), appliedPaymentIds: [8] } },
      scores: () => [0.01],
    });
    const { context } = fakeContext();
    await scorePayment([change(payment({ PaymentId: 8 }))], context, {
      env,
      fetch: world.fetch,
      now: () => new Date(),
    });
    const [event] = eventsIn(world);
    assert.equal(event.payload.decision, "review");
    assert.equal(world.writes.length, 0, "nothing new to count");
  });

  it("waits a little longer after each conflict (random, at most 25, 50, 100 ms)", () => {
    assert.deepEqual(
      [1, 2, 3].map((a) => cardRetryWaitMs(a, () => 1)),
      [25, 50, 100],
    );
    assert.equal(
      cardRetryWaitMs(2, () => 0),
      0,
    );
  });

  it("a card write the service keeps refusing (throttled past its retries) sends its payments to review, batch kept", async () => {
    const world = fakeScoringWorld({
      items: { "paymentMethod:7": card("paymentMethod:7") },
      writeStatus: (key) => (key === "paymentMethod:7" ? 503 : undefined),
    });
    const { context, warnings, logs } = fakeContext();
    await scorePayment([change(payment({ PaymentId: 8 }))], context, {
      env,
      fetch: world.fetch,
      now: () => new Date(),
    });
    assert.match(
      warnings.join("\n"),
      /features of paymentMethod:7 could not be written, its payments go to review: .*503/,
    );
    assert.deepEqual(logs, ["payment.scored decision=review model=azureml"]);
    const [event] = eventsIn(world);
    assert.equal(event.payload.decision, "review");
    assert.equal(world.writes.filter((w) => w.status === 503).length, READ_ATTEMPTS, "tried as often as a read");
  });

  it("a feature read that keeps failing sends its payments to review instead of failing the batch (never dropped)", async () => {
    // The card's item cannot be read; the merchant's is simply absent.
    const world = fakeScoringWorld({ readStatus: (key) => (key.startsWith("paymentMethod") ? 503 : undefined) });
    const { context, warnings, logs } = fakeContext();
    await scorePayment([change(payment({ PaymentId: 6 }))], context, {
      env,
      fetch: world.fetch,
      now: () => new Date(),
    });
    assert.match(warnings[0], /features of paymentMethod:7 unavailable, its payments go to review: .*503/);
    // Scored all the same (the SQL trigger would drop the row after five failed runs), but never approved blind.
    assert.deepEqual(logs, ["payment.scored decision=review model=azureml"]);
    const [event] = eventsIn(world);
    assert.equal(event.payload.decision, "review");
    // The card's item is not rewritten from an empty state (that would erase its history).
    assert.deepEqual(world.writes, []);
  });

  it("falls back to the rules model when the endpoint fails, and says so", async () => {
    const world = fakeScoringWorld({ scores: () => 503 });
    const { context, warnings } = fakeContext();
    await scorePayment([change(payment())], context, { env, fetch: world.fetch, now: () => new Date() });
    assert.match(warnings[0], /rules model used: scoring endpoint answered 503/);
    const [event] = eventsIn(world);
    assert.equal(event.payload.model, "rules");
  });
});
