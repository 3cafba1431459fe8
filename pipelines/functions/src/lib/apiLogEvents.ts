/**
 * The change-feed relay's mapping and batching (flow 3): api_logs items (src/lib/payment.ts `ApiLogItem`, as the
 * Cosmos DB change feed delivers them) become the events the Stream Analytics query reads
 * (pipelines/streaming/apiPerformance.asaql). Pure: no I/O.
 */
import type { ApiLogItem } from "./payment";

/** One API call as the stream job reads it: only what the Fact_API_Performance aggregates need. */
export interface ApiLogEvent {
  readonly id: string;
  /** The merchant's id, or null for unauthenticated calls (the query stores those under MerchantKey 0). */
  readonly merchantId: number | null;
  /** Event time (ISO 8601, UTC): the query's `TIMESTAMP BY`. */
  readonly timestamp: string;
  readonly method: string;
  /** Route template (never a raw path with ids), e.g. `/api/payments`. */
  readonly route: string;
  readonly statusCode: number;
  readonly durationMs: number;
}

/** Event Hubs' maximum event size on Standard (1 MB); larger events fail the whole send. */
export const MAX_EVENT_BYTES = 1024 * 1024;

/** A change feed document: an api_logs item plus the system properties Cosmos DB adds. */
export type ChangeFeedDocument = Partial<ApiLogItem> & { readonly _ts?: number; readonly [key: string]: unknown };

/**
 * Route template of an api_logs `endpoint` ("POST /api/payments" → "/api/payments"): numbers, GUIDs and long
 * opaque segments become `{id}`, so a route never carries an identifier and the grain stays small.
 */
export function routeTemplate(endpoint: string): string {
  const path = endpoint.includes(" ") ? endpoint.slice(endpoint.indexOf(" ") + 1) : endpoint;
  const clean = path.split("?")[0].trim() || "/";
  return clean
    .split("/")
    .map((segment) =>
      /^\d+$/.test(segment) ||
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment) ||
      /^[A-Za-z0-9_-]{20,}$/.test(segment)
        ? "{id}"
        : segment,
    )
    .join("/")
    .slice(0, 128);
}

/** The event of one api_logs document, or the reason it cannot be relayed. */
export function toApiLogEvent(
  doc: ChangeFeedDocument,
): { ok: true; event: ApiLogEvent } | { ok: false; reason: string } {
  if (typeof doc.id !== "string" || doc.id === "") return { ok: false, reason: "no id" };
  if (typeof doc.timestamp !== "string" || Number.isNaN(Date.parse(doc.timestamp)))
    return { ok: false, reason: "timestamp is not an ISO 8601 date" };
  if (typeof doc.endpoint !== "string" || doc.endpoint === "") return { ok: false, reason: "no endpoint" };
  if (!Number.isInteger(doc.statusCode)) return { ok: false, reason: "statusCode is not an integer" };
  const merchant = Number(doc.merchantId);
  const method = (typeof doc.method === "string" && doc.method) || doc.endpoint.split(" ")[0];
  return {
    ok: true,
    event: {
      id: doc.id,
      merchantId: Number.isSafeInteger(merchant) && merchant > 0 ? merchant : null,
      timestamp: new Date(doc.timestamp).toISOString(),
      method: method.toUpperCase().slice(0, 8),
      route: routeTemplate(doc.endpoint),
      statusCode: doc.statusCode as number,
      durationMs: typeof doc.latencyMs === "number" && doc.latencyMs >= 0 ? Math.round(doc.latencyMs) : 0,
    },
  };
}

/** What one change feed batch turns into: the events to send, in event-time order, and what was skipped. */
export interface RelayBatch {
  readonly events: ApiLogEvent[];
  readonly skipped: { readonly id: string; readonly reason: string }[];
}

/**
 * Maps a change feed batch. The latest-version feed can deliver an item more than once in a batch (updated between
 * reads): only its newest version (highest `_ts`, then last seen) is relayed. Documents that are not API log
 * items are skipped with the reason (the caller logs them; they never block the feed).
 */
export function relayBatch(docs: readonly ChangeFeedDocument[]): RelayBatch {
  const newest = new Map<string, ChangeFeedDocument>();
  const skipped: { id: string; reason: string }[] = [];
  for (const doc of docs) {
    if (typeof doc.id !== "string" || doc.id === "") {
      skipped.push({ id: "(none)", reason: "no id" });
      continue;
    }
    const seen = newest.get(doc.id);
    if (!seen || (doc._ts ?? 0) >= (seen._ts ?? 0)) newest.set(doc.id, doc);
  }
  const events: ApiLogEvent[] = [];
  for (const doc of newest.values()) {
    const mapped = toApiLogEvent(doc);
    if (!mapped.ok) {
      skipped.push({ id: String(doc.id), reason: mapped.reason });
      continue;
    }
    if (Buffer.byteLength(JSON.stringify(mapped.event)) > MAX_EVENT_BYTES) {
      skipped.push({ id: mapped.event.id, reason: `larger than ${MAX_EVENT_BYTES} bytes` });
      continue;
    }
    events.push(mapped.event);
  }
  events.sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id.localeCompare(b.id));
  return { events, skipped };
}
