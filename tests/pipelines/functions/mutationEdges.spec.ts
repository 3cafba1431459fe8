/**
 * Edges of the functions' behaviour that a mutation audit found untested: each test pins one thing a merchant, an
 * operator or an auditor relies on, through the module's public function or the handler.
 */
import { strict as assert } from "node:assert";
import * as net from "node:net";
import type { HttpRequest, InvocationContext } from "@azure/functions";
import { apiPerformanceHandler } from "../../../pipelines/functions/src/functions/apiPerformanceLoader";
import { CARD_WRITE_ATTEMPTS, scorePayment, writeCard } from "../../../pipelines/functions/src/functions/fraudScoring";
import { relayBatch, routeTemplate } from "../../../pipelines/functions/src/lib/apiLogEvents";
import {
  DeadlineError,
  ManagedIdentityTokens,
  readItem,
  TokenUnavailableError,
  type Fetch,
} from "../../../pipelines/functions/src/lib/azure";
import { applyPayments, featureVector, type FeatureItem } from "../../../pipelines/functions/src/lib/features";
import { CLIENT_CERTIFICATE_HEADERS, merchantFromCertificate } from "../../../pipelines/functions/src/lib/merchantAuth";
import { looksLikePan } from "../../../pipelines/functions/src/lib/payment";
import { storePayment } from "../../../pipelines/functions/src/lib/paymentStore";
import { scorePayments } from "../../../pipelines/functions/src/lib/scoring";
import { connectTds } from "../../../pipelines/functions/src/lib/tds";
import { TdsPool, type PooledConnection } from "../../../pipelines/functions/src/lib/tdsPool";
import {
  change,
  fakeContext,
  fakePaymentTable,
  fakeScoringWorld,
  payment,
  paymentApiOver,
  paymentRequest,
  scoringEnv,
} from "./fakes";

const request = paymentRequest;
const sqlError = (number: number, message = `error ${number}`) =>
  Object.assign(new Error(message), { number, class: 16 });
const connError = (code: string) => Object.assign(new Error(`connection ${code}`), { code });

/** A card's feature item (EUR, usual amount 1,000, last paid at `lastPaymentAt`). */
const cardItem = (over: Partial<FeatureItem> = {}): FeatureItem => ({
  id: "paymentMethod:7",
  entityKey: "paymentMethod:7",
  entityType: "paymentMethod",
  count1h: 1,
  count24h: 1,
  amountEwma: 1000,
  lastCurrency: "EUR",
  lastPaymentAt: "2026-12-02T10:00:00.000Z",
  paymentsSeen: 1,
  updatedAt: "2026-12-02T10:00:00.000Z",
  ...over,
});

describe("functions: edges a mutation audit found untested", () => {
  describe("POST /api/payments", () => {
    /** Calls the handler (no merchant authentication) with a body and request headers; returns the answer and log. */
    const call = async (
      table: ReturnType<typeof fakePaymentTable>,
      json: unknown = request,
      headers: Record<string, string> = {},
    ) => {
      const { context, outputs } = fakeContext("inv-7");
      const res = await paymentApiOver(table, { MERCHANT_AUTHENTICATION: "none" })(
        { json: async () => json, headers: new Headers(headers) } as unknown as HttpRequest,
        context,
      );
      const log = outputs.get("%COSMOS_CONTAINER_API_LOGS%") as {
        statusCode: number;
        correlationId: string;
        idempotencyKey?: string;
      };
      return { res, log };
    };

    it("a call whose certificate was refused is logged under no merchant, whatever its body claims", async () => {
      const { context, outputs } = fakeContext("inv-8");
      // No settings: merchant authentication fails closed to client certificates; this call sends none.
      const res = await paymentApiOver(fakePaymentTable())(
        { json: async () => request, headers: new Headers() } as unknown as HttpRequest,
        context,
      );
      const log = outputs.get("%COSMOS_CONTAINER_API_LOGS%") as { statusCode: number; merchantId?: unknown };
      assert.equal(res.status, 401);
      assert.equal(log.statusCode, 401);
      assert.equal(log.merchantId, "unknown", "not the merchant the body names");
    });

    it("refuses an idempotency key with characters outside letters, digits, '-' and '_' (400, nothing stored)", async () => {
      const table = fakePaymentTable();
      for (const key of ["order.1", "order 1", "order/1", "a".repeat(65)]) {
        const { res } = await call(table, { ...request, idempotencyKey: key });
        assert.equal(res.status, 400, `idempotencyKey ${JSON.stringify(key)} must be refused`);
      }
      assert.equal(table.inserts.length, 0);
      assert.equal((await call(table, { ...request, idempotencyKey: "A-z_09" })).res.status, 202);
    });

    it("refuses a Mastercard 2-series number (2221-2720) anywhere in the body", async () => {
      const table = fakePaymentTable();
      assert.ok(looksLikePan("2720990000000007"), "a Luhn-valid 2720… number is a card number");
      assert.ok(looksLikePan("2221000000000009"), "a Luhn-valid 2221… number is a card number");
      const { res, log } = await call(table, { ...request, idempotencyKey: "2720990000000007" });
      assert.equal(res.status, 400);
      assert.ok(!JSON.stringify(log).includes("2720990000000007"), "the card number never reaches the API log");
      assert.equal(table.inserts.length, 0);
    });

    it("keeps the caller's x-correlation-id in the API log when it is a short token; a long one is replaced", async () => {
      const table = fakePaymentTable();
      const kept = await call(table, request, { "x-correlation-id": "trace-0af7651916cd43dd" });
      assert.equal(kept.log.correlationId, "trace-0af7651916cd43dd", "the caller's correlation id links its calls");
      const tooLong = await call(
        table,
        { ...request, idempotencyKey: "order-2" },
        { "x-correlation-id": "t".repeat(65) },
      );
      assert.equal(tooLong.log.correlationId, "inv-7", "more than 64 characters: the invocation id instead");
      const longest = await call(
        table,
        { ...request, idempotencyKey: "order-3" },
        { "x-correlation-id": "t".repeat(64) },
      );
      assert.equal(longest.log.correlationId, "t".repeat(64));
    });

    it("logs the idempotency key of a 422 for a reused key (the merchant's support case is found by it)", async () => {
      const table = fakePaymentTable();
      await call(table);
      const { res, log } = await call(table, { ...request, amountMinor: 5000 });
      assert.equal(res.status, 422);
      assert.equal(log.statusCode, 422);
      assert.equal(log.idempotencyKey, "order-1");
    });

    it("tells only a transient failure to come back shortly: Retry-After of a few seconds on 503, none on a 500", async () => {
      const table = fakePaymentTable();
      table.fail(connError("ESOCKET"), connError("ESOCKET"));
      const down = await call(table);
      assert.equal(down.res.status, 503);
      const seconds = Number((down.res.headers as Record<string, string>)["Retry-After"]);
      assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= 5, `Retry-After ${seconds}: 1-5 s`);
      table.fail(sqlError(229, "The INSERT permission was denied"));
      const denied = await call(table);
      assert.equal(denied.res.status, 500);
      assert.equal(denied.res.headers, undefined, "a permanent failure is not retried after a delay");
    });
  });

  describe("payment store", () => {
    it("a row read back with this request's token is its own, however long ago the database's clock says it was", async () => {
      // The time window this replaces (5 s of clock skew) called a row stamped a minute earlier a replay.
      const table = fakePaymentTable();
      const token = Buffer.alloc(16, 7);
      await table.write(request, token); // the first attempt landed; its answer was lost
      table.fail(connError("ECLOSE"));
      const outcome = await storePayment(request, table.write, { retryDelayMs: 0, requestToken: token });
      assert.equal(outcome.kind, "created", "202, not a replay: the payment is counted once as accepted");
    });

    it("after a numbered error (rolled back) a payment another request inserted meanwhile is a replay, not ours", async () => {
      const table = fakePaymentTable();
      let calls = 0;
      const write: typeof table.write = async (r, t) => {
        if (++calls === 1) {
          await table.write(r, Buffer.alloc(t.length, 0xff)); // the merchant's concurrent duplicate commits
          throw sqlError(1205, "Transaction was deadlocked"); // this statement was rolled back
        }
        return table.write(r, t);
      };
      const outcome = await storePayment(request, write, { retryDelayMs: 0 });
      assert.equal(outcome.kind, "replayed", "a second 202 would count the payment twice");
    });
  });

  describe("merchant authentication", () => {
    const headers = (subject: string) => (name: string) =>
      ({ [CLIENT_CERTIFICATE_HEADERS.verification]: "SUCCESS", [CLIENT_CERTIFICATE_HEADERS.subject]: subject })[name];

    it("reads a common name written by its OID (2.5.4.3), and counts it with a CN= one", () => {
      assert.deepEqual(merchantFromCertificate("client-certificate", headers("2.5.4.3=merchant-7,O=Contoso")), {
        ok: true,
        merchantId: 7,
      });
      const two = merchantFromCertificate("client-certificate", headers("2.5.4.3=merchant-1,CN=merchant-2"));
      assert.equal(two.ok, false, "two common names name no one merchant");
      assert.equal(!two.ok && two.status, 403);
    });
  });

  describe("Azure calls", () => {
    it("a token endpoint that resets the connection is unavailable for now (the payment API answers 503)", async () => {
      const reset: Fetch = async () => {
        throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
      };
      const tokens = new ManagedIdentityTokens({ endpoint: "http://localhost/msi", header: "h", clientId: "c" }, reset);
      await assert.rejects(tokens.token("https://database.windows.net/"), TokenUnavailableError);
    });

    const target = {
      endpoint: "https://acct.documents.azure.com:443/",
      database: "payments",
      container: "fraud_features",
    };
    const tokens = { token: async () => "t" };

    it("waits at most 1 s before retrying a throttled read, whatever x-ms-retry-after-ms asks", async () => {
      let calls = 0;
      const fetch: Fetch = async () =>
        ++calls === 1
          ? new Response("", { status: 429, headers: { "x-ms-retry-after-ms": "10000" } })
          : new Response(JSON.stringify({ id: "x" }));
      const started = Date.now();
      assert.deepEqual(await readItem(fetch, tokens, target, "x", "x"), { id: "x" });
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 5_000, `read took ${elapsed} ms: the wait must be capped at 1 s`);
    });

    it("a last attempt cut by the invocation's deadline is a DeadlineError (left for later), not a failed read", async () => {
      let calls = 0;
      const fetch: Fetch = (_url, init) => {
        if (++calls < 4) return Promise.resolve(new Response("", { status: 408 }));
        // The fourth attempt hangs until the deadline aborts it.
        return new Promise((_, reject) =>
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason as Error)),
        );
      };
      const deadline = Date.now() + 1_500;
      await assert.rejects(readItem(fetch, tokens, { ...target, deadline }, "x", "x"), DeadlineError);
    });
  });

  describe("TDS connections", () => {
    it("asks for an encrypted connection in its first (PRELOGIN) packet", async function () {
      const server = net.createServer();
      const first = new Promise<Buffer>((resolve) =>
        server.on("connection", (socket) =>
          socket.once("data", (data: Buffer) => {
            resolve(data);
            socket.destroy();
          }),
        ),
      );
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(1433, "127.0.0.1", resolve);
        });
      } catch {
        this.skip(); // port 1433 is taken on this machine
      }
      try {
        const connecting = connectTds(
          { server: "127.0.0.1", database: "payments" },
          { token: async () => "t" },
          { connectTimeoutMs: 5_000, requestTimeoutMs: 5_000 },
        );
        await assert.rejects(connecting);
        const packet = await first;
        assert.equal(packet[0], 0x12, "a PRELOGIN packet");
        const payload = packet.subarray(8);
        let encryption: number | undefined;
        for (let i = 0; payload[i] !== 0xff && i < payload.length; i += 5)
          if (payload[i] === 0x01) encryption = payload[payload.readUInt16BE(i + 1)];
        assert.equal(encryption, 0x01, "ENCRYPT_ON: the payments database is reached over TLS");
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe("connection pool", () => {
    it("reuses the most recently released connection first (the least likely to have been closed)", async () => {
      class Fake implements PooledConnection {
        broken = false;
        constructor(readonly id: number) {}
        close(): void {}
      }
      let opened = 0;
      const pool = new TdsPool<Fake>({
        open: async () => new Fake(++opened),
        max: 2,
        idleMs: 60_000,
        maxAgeMs: 3_600_000,
        acquireTimeoutMs: 100,
      });
      let releaseA: () => void = () => undefined;
      let releaseB: () => void = () => undefined;
      const a = pool.use((c) => new Promise<number>((resolve) => (releaseA = () => resolve(c.id))));
      const b = pool.use((c) => new Promise<number>((resolve) => (releaseB = () => resolve(c.id))));
      await new Promise((resolve) => setImmediate(resolve));
      releaseA();
      const first = await a;
      releaseB();
      const last = await b;
      assert.notEqual(first, last);
      assert.equal(await pool.use(async (c) => c.id), last);
    });
  });

  describe("fraud features and scoring", () => {
    const now = new Date("2026-12-02T10:00:00.000Z");

    it("remembers a card's counted payments for 10 minutes, so a batch re-run after a later one counts nothing twice", () => {
      const entity = { key: "paymentMethod:7", type: "paymentMethod" as const };
      const first = applyPayments(undefined, entity, [payment({ PaymentId: 1 })], now);
      // Another batch counts payment 2 five minutes later; then payment 1's batch runs again (its event write failed).
      const later = new Date(now.getTime() + 5 * 60_000);
      const second = applyPayments(first, entity, [payment({ PaymentId: 2 })], later);
      assert.deepEqual(second?.appliedPaymentIds, [1, 2]);
      const rerun = applyPayments(second, entity, [payment({ PaymentId: 1 })], new Date(later.getTime() + 60_000));
      assert.equal(rerun, undefined, "payment 1 is already counted: nothing to write");
    });

    it("caps the seconds since the card's last payment at 30 days (the model's input range)", () => {
      const old = cardItem({ lastPaymentAt: "2026-09-01T10:00:00.000Z" });
      assert.equal(featureVector(payment(), old, undefined, now).secondsSinceLastCard, 30 * 86_400);
    });

    it("compares an amount with the card's and merchant's usual amount only in the same currency", () => {
      const eur = cardItem({ amountEwma: 1000, lastCurrency: "EUR", lastPaymentAt: "2026-12-02T09:00:00.000Z" });
      const v = featureVector(payment({ AmountMinor: 150_000, CurrencyCode: "JPY" }), eur, eur, now);
      assert.equal(v.amountRatioCard, 0, "yen and euro minor units are not comparable");
      assert.equal(v.amountRatioMerchant, 0);
      assert.equal(v.currencyChange, 1);
    });

    it("sends a score of exactly 0.5 to review and just below it approves", async () => {
      const decisions = await scorePayments(
        [0.5, 0.4999].map(() => featureVector(payment(), undefined, undefined, now)),
        async () => [0.5, 0.4999],
      );
      assert.deepEqual(
        decisions.map((d) => d.decision),
        ["review", "approve"],
      );
    });

    it("a payment scored again without a kept decision stays declined when the model declines it", async () => {
      const world = fakeScoringWorld({
        items: { "paymentMethod:7": { ...cardItem(), appliedPaymentIds: [8] } },
        scores: () => [0.95],
      });
      await scorePayment([change(payment({ PaymentId: 8 }))], fakeContext().context, {
        env: scoringEnv,
        fetch: world.fetch,
        now: () => now,
      });
      const [event] = [...world.events.values()] as { payload: { decision: string } }[];
      assert.equal(event.payload.decision, "decline", "never softened to review");
    });

    /** Card 7's write of payment 9, over the given write and re-read (no waits). */
    const writeCard7 = (write: () => Promise<"written" | "conflict">, reread: () => Promise<FeatureItem>) =>
      writeCard(
        { key: "paymentMethod:7", type: "paymentMethod" },
        [payment({ PaymentId: 9 })],
        cardItem({ _etag: '"e0"' }),
        now,
        write,
        reread,
        () => undefined,
        async () => undefined,
      );

    it("a card changed by others three times in a row is still written on its fourth attempt", async () => {
      let writes = 0;
      const outcome = await writeCard7(
        async () => (++writes < 4 ? "conflict" : "written"),
        async () => cardItem({ _etag: `"e${writes}"` }),
      );
      assert.equal(outcome, "written");
      assert.equal(writes, 4);
    });

    it("a card still contended after its last attempt is not read again (the read would be thrown away)", async () => {
      let reads = 0;
      const outcome = await writeCard7(
        async () => "conflict",
        async () => cardItem({ _etag: `"e${++reads}"` }),
      );
      assert.deepEqual([outcome, reads], ["contended", CARD_WRITE_ATTEMPTS - 1]);
    });

    it("without FRAUD_SCORING_TIMEOUT_MS, a silent scoring endpoint is given up quickly (rules model)", async () => {
      const world = fakeScoringWorld();
      const fetch: Fetch = (url, init) =>
        url === scoringEnv.FRAUD_SCORING_URI
          ? new Promise((_, reject) =>
              init?.signal?.addEventListener("abort", () => reject(init.signal?.reason as Error)),
            )
          : world.fetch(url, init);
      const env: NodeJS.ProcessEnv = { ...scoringEnv };
      delete env.FRAUD_SCORING_TIMEOUT_MS;
      const started = Date.now();
      await scorePayment([change(payment({ PaymentId: 11 }))], fakeContext().context, {
        env,
        fetch,
        now: () => now,
      });
      const elapsed = Date.now() - started;
      const [event] = [...world.events.values()] as { payload: { model: string } }[];
      assert.equal(event.payload.model, "rules");
      assert.ok(elapsed < 600, `the batch waited ${elapsed} ms for the endpoint (default 80 ms)`);
    });
  });

  describe("API log relay and Synapse loader", () => {
    it("relays the last seen version of an item delivered twice with the same _ts", () => {
      const doc = { id: "a", timestamp: "2026-12-02T10:00:00.000Z", endpoint: "POST /api/payments", _ts: 5 };
      const { events } = relayBatch([
        { ...doc, statusCode: 503 },
        { ...doc, statusCode: 202 },
      ]);
      assert.deepEqual(
        events.map((e) => e.statusCode),
        [202],
      );
    });

    it("replaces an opaque segment of 20 or more characters in a route by {id}", () => {
      assert.equal(routeTemplate("GET /api/payments/pay_01HZX3K9Q2M4N5P6R7S8"), "/api/payments/{id}");
      assert.equal(routeTemplate("GET /api/payments/abcdefghijklmnopqrs"), "/api/payments/abcdefghijklmnopqrs");
    });

    it("logs a row that does not fit the fact as an error, naming the row and why", async () => {
      const errors: string[] = [];
      const ctx = { log: () => undefined, error: (m: string) => errors.push(m) } as unknown as InvocationContext;
      const executor = { run: async () => 0 };
      await apiPerformanceHandler(() => executor)([JSON.stringify({ MerchantKey: 1 })], ctx);
      assert.equal(errors.length, 1, errors.join("\n"));
      assert.match(errors[0], /^api-performance row 0 skipped: \S+ is missing/);
    });
  });
});
