/** Fakes of the Functions host and the apps' environment, shared by the handler and load-profile tests. */
import type { InvocationContext, SqlChange } from "@azure/functions";
import type { CreatePaymentRequest, PaymentChangeRow } from "../../../pipelines/functions/src/lib/payment";
import { paymentHandler } from "../../../pipelines/functions/src/functions/paymentApi";
import type { PaymentWriter, StoredPaymentRow } from "../../../pipelines/functions/src/lib/paymentStore";

/** A context that records extra outputs by the output's container setting, warnings and log lines. */
export function fakeContext(invocationId = "inv-9") {
  const outputs = new Map<string, unknown>();
  const warnings: string[] = [];
  const logs: string[] = [];
  const context = {
    invocationId,
    warn: (m: string) => warnings.push(m),
    log: (m: string) => logs.push(m),
    extraOutputs: {
      set: (o: { containerName?: string; commandText?: string }, v: unknown) =>
        outputs.set(String(o.containerName ?? o.commandText), v),
      get: () => undefined,
    },
  } as unknown as InvocationContext;
  return { context, outputs, warnings, logs };
}

/** The fraud scoring app's settings as the ingestion tier sets them. */
export const scoringEnv = {
  IDENTITY_ENDPOINT: "http://localhost/msi",
  IDENTITY_HEADER: "h",
  AZURE_CLIENT_ID: "client",
  CosmosDb__accountEndpoint: "https://acct.documents.azure.com:443/",
  COSMOS_DATABASE: "payments",
  COSMOS_CONTAINER_FRAUD_FEATURES: "fraud_features",
  COSMOS_CONTAINER_WEBHOOK_EVENTS: "webhook_events",
  FRAUD_SCORING_URI: "https://ep.westeurope.inference.ml.azure.com/score",
  FRAUD_SCORING_TIMEOUT_MS: "80",
};

/** One row of the Azure SQL trigger's batch (0 = insert). */
/** A payment request as a merchant sends it (merchant 42, card 7, key order-1, €19.99). */
export const paymentRequest: Readonly<CreatePaymentRequest> = {
  merchantId: 42,
  paymentMethodId: 7,
  idempotencyKey: "order-1",
  amountMinor: 1999,
  currencyCode: "EUR",
};

export const change = (p: PaymentChangeRow, Operation = 0) => ({ Item: p, Operation }) as SqlChange<PaymentChangeRow>;

/** A new pending payment as the SQL trigger reports it (dbo.Payment columns). */
export const payment = (over: Partial<PaymentChangeRow> = {}): PaymentChangeRow => ({
  PaymentId: 1,
  MerchantId: 42,
  PaymentMethodId: 7,
  IdempotencyKey: "order-1",
  AmountMinor: 1000,
  CurrencyCode: "EUR",
  Status: "pending",
  CreatedAt: "2026-12-02T10:00:00.000Z",
  ...over,
});

/**
 * dbo.Payment as the payment API's writer sees it: inserts a row per (merchant, key) and returns the stored row for a
 * key already used, like INSERT_PAYMENT_SQL does (lib/paymentStore.ts); a new payment of an inactive merchant or in
 * an inactive currency is refused (`inactive`). `fail` makes the next writes throw.
 */
export function fakePaymentTable(
  inactive: { readonly merchants?: readonly number[]; readonly currencies?: readonly string[] } = {},
) {
  const rows = new Map<
    string,
    StoredPaymentRow & { MerchantId: number; IdempotencyKey: string; CreatedByRequest: Buffer }
  >();
  const inserts: CreatePaymentRequest[] = [];
  const failures: unknown[] = [];
  let nextId = 1000;
  const write: PaymentWriter = async (r, requestToken) => {
    const failure = failures.shift();
    if (failure !== undefined) throw failure;
    const key = `${r.merchantId}/${r.idempotencyKey}`;
    const existing = rows.get(key);
    if (existing) {
      const { CreatedByRequest, MerchantId: _m, IdempotencyKey: _k, ...stored } = existing;
      return { ...stored, Created: false, Ours: CreatedByRequest.equals(requestToken) };
    }
    const refused = inactive.merchants?.includes(r.merchantId)
      ? "merchant_not_active"
      : inactive.currencies?.includes(r.currencyCode)
        ? "currency_not_active"
        : undefined;
    if (refused)
      return {
        PaymentId: "",
        PaymentMethodId: String(r.paymentMethodId),
        AmountMinor: String(r.amountMinor),
        CurrencyCode: r.currencyCode,
        Status: "",
        Created: false,
        Ours: false,
        Refused: refused,
      };
    inserts.push(r);
    const row = {
      PaymentId: String(nextId++),
      MerchantId: r.merchantId,
      IdempotencyKey: r.idempotencyKey,
      PaymentMethodId: String(r.paymentMethodId),
      AmountMinor: String(r.amountMinor),
      CurrencyCode: r.currencyCode,
      Status: "pending",
      Created: true,
      Ours: true,
    };
    rows.set(key, { ...row, CreatedByRequest: requestToken });
    return row;
  };
  return {
    write,
    rows,
    inserts,
    fail: (...errors: unknown[]) => failures.push(...errors),
    /** Failures queued and not thrown yet. */
    pendingFailures: () => failures.length,
  };
}

/**
 * The payment API's handler over a fake dbo.Payment, with the app's settings `env` (none: merchant authentication
 * fails closed to client certificates) and a clock that advances 3 ms per reading.
 */
export function paymentApiOver(table: ReturnType<typeof fakePaymentTable>, env: NodeJS.ProcessEnv = {}) {
  let t = 0;
  return paymentHandler({ env, writer: () => table.write, clock: () => (t += 3) });
}

/** A write the fake Cosmos DB received: method (PUT replace, POST create), item id, its body and the If-Match sent. */
export interface CosmosWrite {
  readonly method: "PUT" | "POST";
  readonly id: string;
  readonly body: Record<string, unknown>;
  readonly ifMatch?: string;
  readonly status: number;
  /** The `x-ms-documentdb-partitionkey` and `x-ms-version` headers sent. */
  readonly partitionKey: string | null;
  readonly version: string | null;
}

/** The partition key paths of the containers the fake serves (components/nosql/settings.ts). */
const FAKE_PARTITION_KEYS: Record<string, readonly string[]> = {
  fraud_features: ["entityKey"],
  webhook_events: ["merchantId", "id"],
};

/**
 * The fraud scorer's surroundings over HTTP: the managed identity endpoint, a fraud_features container with etags
 * (GET point reads, PUT replaces with If-Match → 412 when stale, POST creates → 409 when present), a webhook_events
 * container (POST creates → 409 when present) and the scoring endpoint. Like the service, a write whose
 * partition key header does not match the item's partition key paths is refused (400), and a point read with another
 * key finds nothing (404). `readStatus` forces a status on reads of a key, `writeStatus` on its writes, `eventStatus`
 * on event creates; `scores` answers the endpoint (or its status).
 */
export function fakeScoringWorld(
  options: {
    readonly items?: Record<string, Record<string, unknown>>;
    readonly events?: Record<string, Record<string, unknown>>;
    readonly readStatus?: (key: string) => number | undefined;
    /** Forces a status on feature writes of a key (e.g. 429 after every retry). */
    readonly writeStatus?: (key: string) => number | undefined;
    readonly eventStatus?: (id: string) => number | undefined;
    readonly scores?: (rows: number) => number[] | number;
    /** Called before each feature write; may change the stored items (another instance writing meanwhile). */
    readonly beforeWrite?: (items: Map<string, Record<string, unknown>>, w: { method: string; id: string }) => void;
  } = {},
) {
  const items = new Map<string, Record<string, unknown>>(
    Object.entries(options.items ?? {}).map(([k, v]) => [k, { ...v, _etag: `"e-${k}-0"` }]),
  );
  const events = new Map<string, Record<string, unknown>>(Object.entries(options.events ?? {}));
  let version = 0;
  const reads: string[] = [];
  const writes: CosmosWrite[] = [];
  const eventWrites: CosmosWrite[] = [];
  const scoringCalls: string[] = [];
  /** The feature rows of each scoring request (input_data.data), in the order sent. */
  const scoringRows: number[][][] = [];
  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    if (url.startsWith("http://localhost/msi"))
      return new Response(JSON.stringify({ access_token: "t", expires_on: "9999999999" }));
    const docs = /\/colls\/([^/]+)\/docs(?:\/([^/?]+))?$/.exec(url);
    if (docs) {
      const container = decodeURIComponent(docs[1]);
      const method = (init?.method ?? "GET").toUpperCase();
      const id = docs[2] ? decodeURIComponent(docs[2]) : undefined;
      const headers = new Headers(init?.headers);
      if (method === "GET" && id) {
        reads.push(url);
        const forced = options.readStatus?.(id);
        if (forced) return new Response("", { status: forced });
        const item = items.get(id);
        // A point read is scoped to its logical partition: a wrong partition key finds nothing, as in the service.
        const keyOfItem = item && JSON.stringify((FAKE_PARTITION_KEYS[container] ?? []).map((path) => item[path]));
        return item && keyOfItem === headers.get("x-ms-documentdb-partitionkey")
          ? new Response(JSON.stringify(item))
          : new Response("", { status: 404, headers: { "x-ms-substatus": "0" } });
      }
      const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
      const key = String(body.id);
      const partitionKey = headers.get("x-ms-documentdb-partitionkey");
      const ifMatch = headers.get("If-Match") ?? undefined;
      const sent = { method: method as "PUT" | "POST", id: key, body, ifMatch, partitionKey };
      const expected = JSON.stringify((FAKE_PARTITION_KEYS[container] ?? []).map((path) => body[path]));
      const store = container === "webhook_events" ? events : items;
      const log = container === "webhook_events" ? eventWrites : writes;
      let status: number;
      if (partitionKey !== expected) status = 400;
      else if (container === "webhook_events") {
        const current = store.get(key);
        status =
          options.eventStatus?.(key) ??
          (method !== "POST" || headers.has("x-ms-documentdb-is-upsert") ? 405 : current ? 409 : 201);
      } else {
        options.beforeWrite?.(items, { method, id: key });
        const current = store.get(key);
        const forced = options.writeStatus?.(key);
        if (forced) status = forced;
        else if (method === "PUT") status = !current ? 404 : current._etag !== ifMatch ? 412 : 200;
        else status = current ? 409 : 201;
      }
      if (status < 300) store.set(key, { ...body, _etag: `"e-${key}-${++version}"` });
      log.push({ ...sent, status, version: headers.get("x-ms-version") });
      return new Response(status < 300 ? JSON.stringify(body) : "", { status });
    }
    scoringCalls.push(url);
    const rows = (JSON.parse(String(init?.body)) as { input_data: { data: number[][] } }).input_data.data;
    scoringRows.push(rows);
    const answer = options.scores?.(rows.length) ?? [0.1];
    return typeof answer === "number" ? new Response("", { status: answer }) : new Response(JSON.stringify(answer));
  };
  return { fetch, items, events, reads, writes, eventWrites, scoringCalls, scoringRows };
}
