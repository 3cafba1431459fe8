import { strict as assert } from "node:assert";
import type { InvocationContext } from "@azure/functions";
import { relayApiLogs } from "../../../pipelines/functions/src/functions/changeFeedRelay";
import { relayBatch, routeTemplate, toApiLogEvent } from "../../../pipelines/functions/src/lib/apiLogEvents";
import { DEFAULT_LOAD } from "../../../lib/usage";
import { apiLogItem } from "../../../pipelines/functions/src/lib/payment";

const item = (over: Record<string, unknown> = {}) => ({
  ...apiLogItem({
    invocationId: "inv-1",
    merchantId: 42,
    endpoint: "POST /api/payments",
    method: "POST",
    statusCode: 202,
    startedAt: new Date("2026-03-01T10:00:00.000Z"),
    finishedAt: new Date("2026-03-01T10:00:00.035Z"),
  }),
  ...over,
});

describe("change-feed relay: mapping", () => {
  it("maps an api_logs item to the event the stream query reads", () => {
    assert.deepEqual(toApiLogEvent(item()), {
      ok: true,
      event: {
        id: "inv-1",
        merchantId: 42,
        timestamp: "2026-03-01T10:00:00.035Z",
        method: "POST",
        route: "/api/payments",
        statusCode: 202,
        durationMs: 35,
      },
    });
  });

  it("unauthenticated calls carry no merchant (the query files them under 0)", () => {
    const mapped = toApiLogEvent(item({ merchantId: "unknown" }));
    assert.ok(mapped.ok);
    assert.equal(mapped.event.merchantId, null);
  });

  it("routes are templates: ids, GUIDs and opaque tokens never reach the fact table", () => {
    assert.equal(routeTemplate("GET /api/payments/12345?expand=x"), "/api/payments/{id}");
    assert.equal(
      routeTemplate("GET /api/payments/0b6f7c1e-8d2a-4c7b-9a3e-2f1d5c6b7a8e/refunds"),
      "/api/payments/{id}/refunds",
    );
    assert.equal(routeTemplate("/api/health"), "/api/health");
  });

  it("rejects what is not an API log item, naming why", () => {
    assert.deepEqual(toApiLogEvent(item({ timestamp: "yesterday" })), {
      ok: false,
      reason: "timestamp is not an ISO 8601 date",
    });
    assert.deepEqual(toApiLogEvent(item({ statusCode: "500" })), { ok: false, reason: "statusCode is not an integer" });
  });
});

describe("change-feed relay: batching", () => {
  it("relays each item once (its newest version), in event-time order, and reports what it skipped", () => {
    const batch = relayBatch([
      item({ id: "b", timestamp: "2026-03-01T10:00:02.000Z", _ts: 1 }),
      item({ id: "a", timestamp: "2026-03-01T10:00:01.000Z", statusCode: 500, _ts: 1 }),
      item({ id: "a", timestamp: "2026-03-01T10:00:01.000Z", statusCode: 502, _ts: 2 }),
      item({ id: "c", endpoint: "" }),
      { _ts: 3 },
    ]);
    assert.deepEqual(
      batch.events.map((e) => [e.id, e.statusCode]),
      [
        ["a", 502],
        ["b", 202],
      ],
    );
    assert.deepEqual(batch.skipped, [
      { id: "(none)", reason: "no id" },
      { id: "c", reason: "no endpoint" },
    ]);
  });

  it("the handler returns the events for the Event Hubs output binding and logs skipped items", async () => {
    const warnings: string[] = [];
    const context = { warn: (m: string) => warnings.push(m), log: () => undefined } as unknown as InvocationContext;
    const events = await relayApiLogs([item(), item({ id: "x", statusCode: 1.5 })], context);
    assert.equal(events.length, 1);
    assert.deepEqual(warnings, ["api_logs item x not relayed: statusCode is not an integer"]);
  });
});

describe("change-feed relay: event size (the Event Hubs capacity row's eventKb)", () => {
  it("the largest event the relay can send fits the load model's eventKb", () => {
    const mapped = toApiLogEvent(
      item({
        id: "0b6f7c1e-8d2a-4c7b-9a3e-2f1d5c6b7a8e",
        merchantId: Number.MAX_SAFE_INTEGER,
        method: "OPTIONS",
        endpoint: `DELETE /${"segment/".repeat(40)}`,
        statusCode: 504,
        latencyMs: 86_400_000,
      }),
    );
    assert.ok(mapped.ok);
    assert.equal(mapped.event.route.length, 128);
    const bytes = Buffer.byteLength(JSON.stringify(mapped.event));
    assert.ok(bytes <= DEFAULT_LOAD.eventKb * 1024, `${bytes} bytes > eventKb ${DEFAULT_LOAD.eventKb}`);
  });
});
