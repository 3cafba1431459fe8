/**
 * The capacity model's Cosmos DB figures per transaction of flow 1 (`load.cosmos` in lib/usage.ts, used by
 * docs/capacity.md and the prod maxima) are what the function handlers do: each test runs a handler against fakes,
 * counts its Cosmos DB operations per payment and measures its items, and fails when the code does more than the
 * model counts (a new write, a bigger item, one more indexed property).
 */
import { strict as assert } from "node:assert";
import type { HttpRequest } from "@azure/functions";
import { DEFAULT_LOAD, type CosmosLoad } from "../../../lib/usage";
import { scorePayment } from "../../../pipelines/functions/src/functions/fraudScoring";
import type { PaymentChangeRow } from "../../../pipelines/functions/src/lib/payment";
import { SQL_TRIGGER_MAX_BATCH_SIZE } from "../../../components/ingestion";
import { CONTAINERS } from "../../../components/nosql";
import { change, fakeContext, fakePaymentTable, fakeScoringWorld, payment, paymentApiOver, scoringEnv } from "./fakes";

/**
 * What Cosmos DB adds to every stored item (`_rid`, `_self`, `_etag`, `_attachments`, `_ts`): about 200 bytes of
 * JSON; 256 is the bound used here.
 */
const SYSTEM_PROPERTIES_BYTES = 256;

/** JSON paths of an item's leaves (`/a/b`, arrays as `/a/0`). */
function leaves(v: unknown, at = ""): string[] {
  if (v === null || typeof v !== "object") return [at];
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.length === 0 ? [at] : entries.flatMap(([k, x]) => leaves(x, `${at}/${k}`));
}

/**
 * The largest item's size with its system properties, in KB, and its property count as the model counts it: the
 * top-level properties, where no leaf outside the container's excluded subtrees may hide below the top level (each
 * such leaf would be one more index term under a `/*` policy).
 */
function measure(items: readonly object[], excluded: readonly string[]): { kb: number; properties: number } {
  assert.ok(items.length > 0, "no item to measure");
  const prefixes = excluded.filter((p) => p.endsWith("/*")).map((p) => p.slice(0, -2));
  for (const item of items) {
    const nested = leaves(item).filter((l) => l.split("/").length > 2 && !prefixes.some((p) => l.startsWith(`${p}/`)));
    assert.deepEqual(nested, [], "nested leaves the index would count, and the model does not");
  }
  return {
    kb: Math.max(...items.map((i) => (Buffer.byteLength(JSON.stringify(i)) + SYSTEM_PROPERTIES_BYTES) / 1024)),
    properties: Math.max(...items.map((i) => Object.keys(i).length)),
  };
}

/** The model's item is at least as big, with at least as many properties, as the handler's. */
function assertItemWithin(
  model: CosmosLoad,
  items: readonly object[],
  what: string,
  design: { readonly excludedPaths: readonly string[] },
): void {
  const m = measure(items, design.excludedPaths);
  assert.ok(model.itemKb >= m.kb, `${what}: items of ${m.kb.toFixed(2)} KB, the model counts ${model.itemKb} KB`);
  assert.ok(
    model.properties >= m.properties,
    `${what}: ${m.properties} top-level properties, the model counts ${model.properties}`,
  );
}

/** A merchant's request as the gateway forwards it: its client certificate verified (lib/merchantAuth.ts). */
const request = (body: { merchantId: number } & Record<string, unknown>) =>
  ({
    json: async () => body,
    headers: new Headers({
      "x-correlation-id": "corr-1",
      "x-client-certificate-verification": "SUCCESS",
      "x-client-certificate-subject": `CN=merchant-${body.merchantId},O=Merchant`,
    }),
  }) as unknown as HttpRequest;

/** A feature item as the store holds it before the batch (every entity seen before: upserts replace). */
const existingFeatures = (key: string): Record<string, unknown> => ({
  id: key,
  entityKey: key,
  entityType: key.split(":")[0],
  count1h: 3.2,
  count24h: 17.9,
  amountEwma: 12_345.6789,
  lastCurrency: "EUR",
  lastPaymentAt: "2026-12-02T09:59:00.000Z",
  paymentsSeen: 1_234_567,
  updatedAt: "2026-12-02T09:59:00.000Z",
  // Two payments of the card in the last ten minutes already (the ids a re-run is checked against).
  appliedPaymentIds: [8_999_999_998, 8_999_999_999],
  appliedResults: { "8999999998": [0.0123, "approve", "azureml"], "8999999999": [0.9876, "review", "azureml"] },
});

/** Runs the scorer on a batch against fakes: the managed identity, the feature store (every entity seen before) and the endpoint. */
async function runScorer(batch: readonly PaymentChangeRow[]) {
  const keys = batch.flatMap((p) => [`paymentMethod:${p.PaymentMethodId}`, `merchant:${p.MerchantId}`]);
  const world = fakeScoringWorld({
    items: Object.fromEntries(keys.map((k) => [k, existingFeatures(k)])),
    scores: (rows) => Array.from({ length: rows }, () => 0.01234567),
  });
  const { context, outputs } = fakeContext();
  await scorePayment(
    batch.map((p) => change(p)),
    context,
    { env: scoringEnv, fetch: world.fetch, now: () => new Date("2026-12-02T10:00:00Z") },
  );
  return {
    reads: world.reads,
    scoringCalls: world.scoringCalls,
    writes: world.writes,
    eventWrites: world.eventWrites,
    outputs,
  };
}

describe("capacity model: Cosmos DB operations per transaction are the handlers'", () => {
  const load = DEFAULT_LOAD.cosmos;

  it("api_logs: the payment API writes one item per call (the scorer none), within the modelled size", async () => {
    const { context, outputs } = fakeContext("0f8fad5b-d9cb-469f-a165-70867728950e");
    const res = await paymentApiOver(fakePaymentTable())(
      request({
        merchantId: 2_147_483_647,
        paymentMethodId: 2_147_483_647,
        idempotencyKey: "k".repeat(64),
        amountMinor: 999_999_999,
        currencyCode: "EUR",
      }),
      context,
    );
    assert.equal(res.status, 202);
    const log = outputs.get("%COSMOS_CONTAINER_API_LOGS%") as object;
    assert.ok(log && !Array.isArray(log), "one api_logs item per call");
    assert.equal(load.apiLogs.createsPerTransaction, 1);
    // The streaming relay reads each item once from the change feed (flow 3).
    assert.equal(load.apiLogs.changeFeedReadsPerTransaction, 1);
    assertItemWithin(load.apiLogs, [log], "api_logs", CONTAINERS.apiLogs);
  });

  it("fraud_features and webhook_events: two point reads, one replace and one event create per payment", async () => {
    // The worst case: every payment of the batch has its own card and its own merchant (no entity shared, so no
    // read or write saved by the batch).
    const batch = Array.from({ length: SQL_TRIGGER_MAX_BATCH_SIZE }, (_, i) =>
      payment({
        PaymentId: 9_000_000_000 + i,
        MerchantId: 1_000_000 + i,
        PaymentMethodId: 5_000_000 + i,
        IdempotencyKey: `order-${"x".repeat(50)}-${i}`,
        AmountMinor: 999_999_999,
      }),
    );
    const { reads, scoringCalls, writes, eventWrites, outputs } = await runScorer(batch);
    const features = writes.map((w) => w.body);
    const events = eventWrites.map((w) => w.body);
    assert.deepEqual(
      [...outputs.keys()],
      [],
      "the scorer writes features (conditional replaces) and events (creates) itself, nothing through bindings",
    );
    assert.ok(eventWrites.every((w) => w.method === "POST" && w.status === 201));
    // Every feature item exists already, so each write is a replace (dearer than a create), conditional on its etag.
    assert.ok(writes.every((w) => w.method === "PUT" && w.ifMatch && w.status === 200));
    assert.equal(reads.length / batch.length, 2);
    assert.equal(features.length / batch.length, 1, "the card's item; the merchant's has its own once-a-minute writer");
    assert.equal(load.fraudFeatures.readsPerTransaction, 2);
    assert.equal(load.fraudFeatures.replacesPerTransaction, 1);
    assert.equal(load.fraudFeatures.createsPerTransaction, 0);
    // The indexed properties an update moves (the container's included paths): `updatedAt` only.
    const indexed = CONTAINERS.fraudFeatures.includedPaths.map((p) => p.replace(/^\/|\/\?$/g, ""));
    const before = existingFeatures("paymentMethod:5000000");
    const moved = indexed.filter((k) => features.some((f) => f.entityKey === before.entityKey && f[k] !== before[k]));
    assert.deepEqual(moved, ["updatedAt"]);
    assert.equal(load.fraudFeatures.modifiedIndexedTerms, moved.length);
    assertItemWithin(load.fraudFeatures, features, "fraud_features", CONTAINERS.fraudFeatures);

    // One Azure ML request per trigger batch, full at the peak (Sql_Trigger_MaxBatchSize).
    assert.equal(batch.length, SQL_TRIGGER_MAX_BATCH_SIZE);
    assert.deepEqual(scoringCalls, [scoringEnv.FRAUD_SCORING_URI]);
    assert.equal(DEFAULT_LOAD.scoringRequestsPerTransaction, scoringCalls.length / batch.length);

    assert.equal(events.length / batch.length, 1);
    assert.equal(load.webhookEvents.createsPerTransaction, 1);
    assert.equal(load.webhookEvents.replacesPerTransaction, 0);
    assertItemWithin(load.webhookEvents, events, "webhook_events", CONTAINERS.webhookEvents);
  });

  it("fraud_features: payments of one merchant in a batch share its read (the model counts none)", async () => {
    const batch = Array.from({ length: 10 }, (_, i) => payment({ PaymentId: i + 1, PaymentMethodId: 100 + i }));
    const { reads, writes } = await runScorer(batch);
    assert.equal(reads.length, 11);
    assert.equal(writes.length, 10);
  });
});
