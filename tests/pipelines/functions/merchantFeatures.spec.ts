import { strict as assert } from "node:assert";
import type { Timer } from "@azure/functions";
import type { Request } from "tedious";
import { sqlConnectionString } from "../../../components/ingestion";
import {
  MAX_PAYMENTS_PER_RUN,
  MAX_PAYMENT_ID_SQL,
  MERCHANT_WINDOW_SQL,
  READS_DEADLINE_MS,
  READ_FROM_PRIMARY,
  REFRESH_KEY,
  refreshSqlTarget,
  refreshMerchantFeatures,
  refreshState,
  shuffled,
  WRITE_CONCURRENCY,
  type RefreshDeps,
  type RefreshState,
} from "../../../pipelines/functions/src/functions/merchantFeatures";
import {
  COSMOS_CALL_TIMEOUT_MS,
  createItem,
  DeadlineError,
  mapLimited,
  READ_ATTEMPTS,
  readItem,
  writeItem,
} from "../../../pipelines/functions/src/lib/azure";
import {
  decay,
  EWMA_ALPHA,
  mergeMerchantWindow,
  spreadDecay,
  type FeatureItem,
  type MerchantItem,
} from "../../../pipelines/functions/src/lib/features";
import {
  CONNECT_TIMEOUT_MS,
  parseSqlConnection,
  READ_CANCEL_TIMEOUT_MS,
  readLimits,
  REQUEST_TIMEOUT_MS,
  TdsReader,
  type SqlReader,
  type TdsLimits,
  type TdsTarget,
} from "../../../pipelines/functions/src/lib/tds";
import { fakeContext, scoringEnv } from "./fakes";

const t0 = "2026-12-02T10:00:00.000Z";
const merchant42: MerchantItem = {
  id: "merchant:42",
  entityKey: "merchant:42",
  entityType: "merchant",
  count1h: 100,
  count24h: 1000,
  amountEwma: 2000,
  lastCurrency: "EUR",
  lastPaymentAt: t0,
  paymentsSeen: 5000,
  updatedAt: t0,
  windowUpTo: 8_000,
};
const row = (
  over: Partial<{ merchantId: number; currencyCode: string; payments: number; amountSum: number; first: string }> = {},
) => ({
  merchantId: over.merchantId ?? 42,
  currencyCode: over.currencyCode ?? "EUR",
  payments: over.payments ?? 10,
  amountSum: over.amountSum ?? 10 * 3000,
  firstCreatedAt: over.first ?? "2026-12-02T11:00:00Z",
  lastCreatedAt: "2026-12-02T11:00:00Z",
});
const now = new Date("2026-12-02T11:00:30Z");

describe("functions: merchant features (one writer, once a minute)", () => {
  it("starts a merchant at its first window, and marks the window it includes", () => {
    const item = mergeMerchantWindow(undefined, 42, [row()], 9_011, now);
    assert.deepEqual(
      [item.entityKey, item.count1h, item.count24h, item.amountEwma, item.paymentsSeen, item.windowUpTo],
      ["merchant:42", 10, 10, 3000, 10, 9_011],
    );
    assert.equal(item.lastPaymentAt, "2026-12-02T11:00:00.000Z");
  });

  it("decays the counters to the window's last payment and adds its payments in every currency", () => {
    const item = mergeMerchantWindow(
      merchant42,
      42,
      [row(), row({ currencyCode: "USD", payments: 2, amountSum: 2 * 99 })],
      9_011,
      now,
    );
    assert.equal(item.count1h, decay(100, 3600, 3600) + 12);
    assert.equal(item.count24h, decay(1000, 3600, 86400) + 12);
    assert.equal(item.paymentsSeen, 5012);
    const w = 1 - Math.pow(1 - EWMA_ALPHA, 10);
    assert.equal(item.amountEwma, (1 - w) * 2000 + w * 3000);
  });

  it("decays a long window's payments from their place in it (a catch-up does not inflate the hour's count)", () => {
    assert.equal(spreadDecay(0, 3600), 1);
    // Spread evenly over two hours, 100 payments count as 100 × (1 − 2^−2) / (2 ln 2) ≈ 54 in the last hour's counter.
    const item = mergeMerchantWindow(undefined, 42, [row({ payments: 100, first: "2026-12-02T09:00:00Z" })], 1, now);
    assert.ok(Math.abs(item.count1h - (100 * 0.75) / (2 * Math.LN2)) < 1e-9, String(item.count1h));
    assert.ok(item.count24h > 97 && item.count24h < 100);
  });

  it("keeps the merchant's currency while the window has it, restarts on another, refuses another merchant's rows", () => {
    const split = mergeMerchantWindow(
      merchant42,
      42,
      [row({ currencyCode: "EUR", payments: 4, amountSum: 4 * 3000 }), row({ currencyCode: "GBP", payments: 6 })],
      9_011,
      now,
    );
    assert.equal(split.lastCurrency, "EUR", "a 40/60 split does not flip the average");
    const other = mergeMerchantWindow(merchant42, 42, [row({ currencyCode: "GBP", amountSum: 10 * 700 })], 9_011, now);
    assert.deepEqual([other.lastCurrency, other.amountEwma], ["GBP", 700]);
    assert.throws(() => mergeMerchantWindow(merchant42, 42, [row({ merchantId: 43 })], 1, now), /merchant 42's/);
  });

  it("compares payment times as times, not text (style 127 drops .000)", () => {
    const later = { ...row(), lastCreatedAt: "2026-12-02T11:00:59.5Z" };
    const item = mergeMerchantWindow(
      undefined,
      42,
      [later, { ...row(), lastCreatedAt: "2026-12-02T11:00:59Z" }],
      1,
      now,
    );
    assert.equal(item.lastPaymentAt, "2026-12-02T11:00:59.500Z");
  });

  it("reads the server and database from the SQL bindings' connection setting", () => {
    assert.deepEqual(parseSqlConnection(sqlConnectionString("sql-pay.database.windows.net", "payments", "c")), {
      server: "sql-pay.database.windows.net",
      database: "payments",
    });
    assert.throws(() => parseSqlConnection("Authentication=Active Directory Managed Identity"), /no Server/);
  });
});

describe("functions: SQL reads (tedious)", () => {
  it("binds bigint parameters, maps row columns by name, asks for the readable secondary, closes", async () => {
    const seen: { target?: TdsTarget; params?: unknown; closed?: boolean } = {};
    const reader = new TdsReader(
      { server: "s", database: "d", readOnlyIntent: true },
      { token: async () => "t" },
      async (target) => {
        seen.target = target;
        return {
          execSql: (request: Request) => {
            seen.params = (
              request as unknown as { parameters: { name: string; type: { name: string }; value: unknown }[] }
            ).parameters.map((p) => [p.name, p.type.name, p.value]);
            request.emit("row", [
              { metadata: { colName: "MerchantId" }, value: "42" },
              { metadata: { colName: "AmountSum" }, value: 30000 },
            ]);
            (request as unknown as { callback: (err?: Error, rowCount?: number) => void }).callback(undefined, 1);
          },
          close: () => {
            seen.closed = true;
          },
        } as never;
      },
    );
    const rows = await reader.query(MERCHANT_WINDOW_SQL, { after: 1, upTo: 2 });
    assert.deepEqual(rows, [{ MerchantId: "42", AmountSum: 30000 }]);
    assert.deepEqual(seen.params, [
      ["after", "BigInt", 1],
      ["upTo", "BigInt", 2],
    ]);
    assert.equal(seen.target?.readOnlyIntent, true);
    assert.equal(seen.closed, true);
  });
});

describe("functions: where the merchant refresh reads", () => {
  it("reads the SQL bindings' database on its primary, never a readable secondary (one timeline for the window's minute)", () => {
    assert.equal(READ_FROM_PRIMARY, true);
    assert.deepEqual(
      refreshSqlTarget({ SqlConnection: sqlConnectionString("sql-pay.database.windows.net", "payments", "c") }),
      {
        server: "sql-pay.database.windows.net",
        database: "payments",
        readOnlyIntent: false,
      },
    );
  });
});

describe("functions: SQL reads on one connection", () => {
  it("runs the statements in order on one connection, each with its own rows, then closes it", async () => {
    const connected: string[] = [];
    const executed: string[] = [];
    let closed = 0;
    const reader = new TdsReader(
      { server: "s", database: "d", readOnlyIntent: true },
      { token: async () => "t" },
      async () => {
        connected.push("connection");
        return {
          execSql: (request: Request) => {
            const sql = (request as unknown as { sqlTextOrProcedure: string }).sqlTextOrProcedure;
            executed.push(sql);
            request.emit("row", [{ metadata: { colName: "Statement" }, value: executed.length }]);
            (request as unknown as { callback: (err?: Error) => void }).callback(undefined);
          },
          close: () => {
            closed++;
          },
        } as never;
      },
    );
    const results = await reader.queries([
      { sql: MAX_PAYMENT_ID_SQL },
      { sql: MERCHANT_WINDOW_SQL, params: { after: 1, upTo: 2 } },
    ]);
    assert.deepEqual(connected, ["connection"], "one connection, so one replica, for both statements");
    assert.deepEqual(executed, [MAX_PAYMENT_ID_SQL, MERCHANT_WINDOW_SQL]);
    assert.deepEqual(results, [[{ Statement: 1 }], [{ Statement: 2 }]]);
    assert.equal(closed, 1);
  });

  it("a failed statement fails the call, runs none after it, and still closes the connection", async () => {
    const executed: string[] = [];
    let closed = 0;
    const reader = new TdsReader(
      { server: "s", database: "d" },
      { token: async () => "t" },
      async () =>
        ({
          execSql: (request: Request) => {
            executed.push((request as unknown as { sqlTextOrProcedure: string }).sqlTextOrProcedure);
            (request as unknown as { callback: (err?: Error) => void }).callback(new Error("replica gone"));
          },
          close: () => {
            closed++;
          },
        }) as never,
    );
    await assert.rejects(reader.queries([{ sql: "SELECT 1;" }, { sql: "SELECT 2;" }]), /replica gone/);
    assert.deepEqual([executed, closed], [["SELECT 1;"], 1]);
  });
});

describe("functions: SQL reads with a deadline", () => {
  it("the login and the request each get what is left of the deadline, less the cancellation's time", () => {
    assert.deepEqual(readLimits(undefined, 0), {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    // One login attempt: tedious' own retries of a refused login would each start a fresh connect timeout.
    assert.deepEqual(readLimits(15_000, 0), {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      requestTimeoutMs: 15_000 - READ_CANCEL_TIMEOUT_MS,
      cancelTimeoutMs: READ_CANCEL_TIMEOUT_MS,
      loginRetries: 0,
    });
    assert.deepEqual(readLimits(15_000, 12_000), {
      connectTimeoutMs: 2_000,
      requestTimeoutMs: 2_000,
      cancelTimeoutMs: READ_CANCEL_TIMEOUT_MS,
      loginRetries: 0,
    });
    assert.throws(() => readLimits(15_000, 13_800), DeadlineError, "too little left to try");
  });

  it("a slow token and login leave the request only the rest: token, login, request and cancel end by the deadline", async () => {
    let clock = 1_000;
    const deadline = clock + 15_000;
    const seen: { limits?: TdsLimits; timeout?: number; tokenDeadline?: number } = {};
    const reader = new TdsReader(
      { server: "s", database: "d", readOnlyIntent: true },
      {
        token: async (_resource: string, tokenDeadline?: number) => {
          seen.tokenDeadline ??= tokenDeadline;
          if (tokenDeadline !== undefined) clock += 3_000; // the identity endpoint is slow; the connection's own ask is cached
          return "t";
        },
      },
      async (_target, _tokens, limits) => {
        seen.limits = limits;
        clock += limits.connectTimeoutMs - 1; // the login takes almost all it may
        return {
          execSql: (request: Request) => {
            seen.timeout = (request as unknown as { timeout?: number }).timeout;
            (request as unknown as { callback: (err?: Error) => void }).callback(undefined);
          },
          close: () => undefined,
        } as never;
      },
      () => clock,
    );
    await reader.query(MAX_PAYMENT_ID_SQL, {}, { deadline });
    assert.ok(seen.limits && seen.timeout !== undefined);
    assert.equal(seen.tokenDeadline, deadline, "the token is asked within the deadline");
    assert.equal(seen.limits.cancelTimeoutMs, READ_CANCEL_TIMEOUT_MS);
    assert.equal(seen.limits.connectTimeoutMs, CONNECT_TIMEOUT_MS, "12 s left after the token: the whole 10 s");
    // Started at 1 s, token at 4 s, logged in at 14 s: the request may take 1 s, and its cancel 1 s, to end at 16 s.
    assert.equal(seen.timeout, deadline - clock - READ_CANCEL_TIMEOUT_MS);
    assert.ok(clock + seen.timeout + READ_CANCEL_TIMEOUT_MS <= deadline);
  });
});

describe("functions: merchant refresh timer", () => {
  /**
   * A fake readable secondary: MAX(PaymentId), then the window's rows; records what it was asked (each statement
   * with its call's deadline) and which statements ran on one connection.
   */
  function fakeSql(newest: number | null, rows: Record<string, unknown>[]) {
    const asked: { sql: string; params?: Readonly<Record<string, number>> }[] = [];
    const deadlines: (number | undefined)[] = [];
    const connections: string[][] = [];
    const answer = (sql: string) =>
      sql === MAX_PAYMENT_ID_SQL ? [{ UpTo: newest === null ? null : String(newest) }] : rows;
    const reader: SqlReader = {
      query: async (sql, params, options) => {
        asked.push({ sql, params });
        deadlines.push(options?.deadline);
        connections.push([sql]);
        return answer(sql);
      },
      queries: async (statements, options) => {
        connections.push(statements.map((st) => st.sql));
        return statements.map(({ sql, params }) => {
          asked.push({ sql, params });
          deadlines.push(options?.deadline);
          return answer(sql);
        });
      },
    };
    return { reader, asked, deadlines, connections };
  }
  /** A write the refresh sent to Cosmos DB: the item, and whether it was an upsert or conditional on an etag. */
  interface Sent {
    readonly item: MerchantItem | RefreshState;
    readonly upsert: boolean;
    readonly ifMatch: string | null;
  }
  /**
   * Managed identity, the watermark and the given merchant items exist (each read with an etag); every other item is
   * absent. Records the writes in the order they were sent; `answer` may refuse one.
   */
  function fakeCosmos(
    state: RefreshState | undefined,
    items: Record<string, FeatureItem> = { "merchant:42": merchant42 },
    answer: (item: MerchantItem | RefreshState) => number = () => 200,
  ) {
    const sent: Sent[] = [];
    const fetch = async (url: string, init?: RequestInit) => {
      if (url.startsWith("http://localhost/msi"))
        return new Response(JSON.stringify({ access_token: "t", expires_on: "9999999999" }));
      if (init?.method === "POST" || init?.method === "PUT") {
        const item = JSON.parse(String(init.body)) as MerchantItem | RefreshState;
        const headers = new Headers(init.headers);
        sent.push({
          item,
          upsert: headers.get("x-ms-documentdb-is-upsert") === "True",
          ifMatch: headers.get("If-Match"),
        });
        const status = answer(item);
        return new Response(status < 300 ? JSON.stringify(item) : "", { status });
      }
      const id = decodeURIComponent(url.slice(url.lastIndexOf("/") + 1));
      if (id === REFRESH_KEY && state) return new Response(JSON.stringify({ ...state, _etag: '"w"' }));
      if (items[id]) return new Response(JSON.stringify({ ...items[id], _etag: `"${id}"` }));
      return new Response("", { status: 404 });
    };
    return { fetch, sent };
  }
  const state = (lastPaymentId: number, seenMax: number, pendingUpTo?: number): RefreshState =>
    refreshState(lastPaymentId, seenMax, t0, pendingUpTo);
  const at = "2026-12-02T11:01:00.000Z";
  const run = async (
    s: RefreshState | undefined,
    newest: number | null,
    rows: Record<string, unknown>[] = [],
    items?: Record<string, FeatureItem>,
    over: Partial<Omit<RefreshDeps, "fetch">> & {
      /** The status a write gets (default 200). */
      readonly answer?: (item: MerchantItem | RefreshState) => number;
      /** An answer of its own to a call, before the fake's (undefined: the fake answers). */
      readonly intercept?: (url: string, init?: RequestInit) => Response | undefined;
    } = {},
  ) => {
    const sql = fakeSql(newest, rows);
    const { context, logs } = fakeContext();
    const { answer, intercept, ...deps } = over;
    const cosmos = fakeCosmos(s, items, answer);
    let written = 0;
    let error: Error | undefined;
    try {
      written = await refreshMerchantFeatures({} as Timer, context, {
        env: scoringEnv,
        fetch: async (url: string, init?: RequestInit) => intercept?.(url, init) ?? cosmos.fetch(url, init),
        now: () => new Date(at),
        sql: () => sql.reader,
        ...deps,
      });
    } catch (e) {
      error = e as Error;
    }
    const out = cosmos.sent.length === 0 ? undefined : cosmos.sent.map((w) => w.item);
    return {
      written,
      error,
      asked: sql.asked,
      deadlines: sql.deadlines,
      connections: sql.connections,
      out,
      sent: cosmos.sent,
      logs,
    };
  };
  const windowRow = (merchantId: string, payments: string, amountSum: number) => ({
    MerchantId: merchantId,
    CurrencyCode: "EUR",
    Payments: payments,
    AmountSum: amountSum,
    FirstCreatedAt: "2026-12-02T11:00:00Z",
    LastCreatedAt: "2026-12-02T11:00:59Z",
  });
  const rows = [windowRow("42", "10", 30000), windowRow("43", "1", 500)];

  /**
   * A run at 9,011 over `rows` in which the calls `slow` picks take longer than any deadline (they are aborted at it);
   * every other call answers at once.
   */
  const runWithSlowCalls = async (slow: (url: string, init?: RequestInit) => boolean, over: Partial<RefreshDeps>) => {
    const cosmos = fakeCosmos(state(9_000, 9_011));
    let slowCalls = 0;
    const fetch = async (url: string, init?: RequestInit) => {
      if (slow(url, init)) {
        slowCalls++;
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 5_000);
          init?.signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(init.signal?.reason);
          });
        });
      }
      return cosmos.fetch(url, init);
    };
    const { context, logs } = fakeContext();
    const written = await refreshMerchantFeatures({} as Timer, context, {
      env: scoringEnv,
      fetch,
      now: () => new Date(at),
      sql: () => fakeSql(9_011, rows).reader,
      ...over,
    });
    return { written, sent: cosmos.sent, logs, slowCalls };
  };

  it("first run: writes only the watermark at the newest payment (no backfill)", async () => {
    const r = await run(undefined, 9_000);
    assert.equal(r.written, 0);
    assert.deepEqual(r.out, [{ ...state(9_000, 9_000), updatedAt: at }]);
    assert.equal(r.asked.length, 1, "no window query");
  });

  it("both SQL reads end by the reads' deadline, inside the host's 30 s (a read past it would end the worker)", async () => {
    const before = Date.now();
    const r = await run(state(9_000, 9_011), 9_500, rows);
    const after = Date.now();
    assert.equal(r.deadlines.length, 2);
    for (const d of r.deadlines) {
      assert.ok(d !== undefined && d >= before + READS_DEADLINE_MS && d <= after + READS_DEADLINE_MS, String(d));
    }
    assert.ok(READS_DEADLINE_MS + READ_CANCEL_TIMEOUT_MS < 30_000);
  });

  it("a window ends at the highest payment the previous run saw (inserts below it have committed)", async () => {
    const r = await run(state(9_000, 9_011), 9_500, rows);
    assert.equal(r.written, 2);
    assert.deepEqual(r.asked[1], { sql: MERCHANT_WINDOW_SQL, params: { after: 9_000, upTo: 9_011 } });
    const out = r.out as (MerchantItem | RefreshState)[];
    assert.deepEqual(
      out.map((i) => [i.entityKey, "paymentsSeen" in i ? i.paymentsSeen : [i.lastPaymentId, i.seenMax, i.pendingUpTo]]),
      [
        [REFRESH_KEY, [9_000, 9_500, 9_011]],
        ["merchant:42", 5010],
        ["merchant:43", 1],
        [REFRESH_KEY, [9_011, 9_500, undefined]],
      ],
      "the pending window first, the merchants, then the window closed",
    );
  });

  it("reads the window on the connection that read the newest payment", async () => {
    const r = await run(state(9_000, 9_011), 9_500, rows);
    assert.deepEqual(r.connections, [[MAX_PAYMENT_ID_SQL, MERCHANT_WINDOW_SQL]]);
  });

  it("a database that has not reached the window's end fails the run before anything is written", async () => {
    // The previous run saw payment 9,011 (on one replica); this run's connection reached one that has applied up to
    // 9,005 only: its window would lack 9,006-9,011, and the watermark would pass them for good.
    const r = await run(state(9_000, 9_011), 9_005, rows);
    assert.match(
      r.error?.message ?? "",
      /^merchant refresh: the database is behind the window \(its newest payment is 9005, the window ends at 9011\): payments 9001-9011 left for the next run$/,
    );
    assert.equal(r.out, undefined, "neither the watermark nor any merchant item is written");
  });

  it("a replica that answered part of a window never costs a payment: the next run on a caught-up replica counts it", async () => {
    // The same watermark and merchant items across runs; each run's connection sees payments up to `visible`.
    const store = new Map<string, Record<string, unknown>>([[REFRESH_KEY, { ...state(9_000, 9_000) }]]);
    const fetch = async (url: string, init?: RequestInit) => {
      if (url.startsWith("http://localhost/msi"))
        return new Response(JSON.stringify({ access_token: "t", expires_on: "9999999999" }));
      if (init?.method === "POST" || init?.method === "PUT") {
        const item = JSON.parse(String(init.body)) as Record<string, unknown> & { id: string };
        store.set(item.id, item);
        return new Response(JSON.stringify(item));
      }
      const item = store.get(decodeURIComponent(url.slice(url.lastIndexOf("/") + 1)));
      return item ? new Response(JSON.stringify({ ...item, _etag: '"e"' })) : new Response("", { status: 404 });
    };
    let visible = 9_100;
    const counted = new Set<number>();
    const answer = (sql: string, params?: Readonly<Record<string, number>>) => {
      if (sql === MAX_PAYMENT_ID_SQL) return [{ UpTo: String(visible) }];
      const window: Record<string, unknown>[] = [];
      for (let id = (params?.after ?? 0) + 1; id <= Math.min(params?.upTo ?? 0, visible); id++) {
        counted.add(id);
        window.push({ ...windowRow(String(id - 9_000), "1", 100) });
      }
      return window;
    };
    const reader: SqlReader = {
      query: async (sql, params) => answer(sql, params),
      queries: async (statements) => statements.map(({ sql, params }) => answer(sql, params)),
    };
    const refresh = () =>
      refreshMerchantFeatures({} as Timer, fakeContext().context, {
        env: scoringEnv,
        fetch,
        now: () => new Date(at),
        sql: () => reader,
      }).catch((e: Error) => e.message);
    await refresh(); // sees up to 9,100: the next window ends there
    visible = 9_050; // the next run's connection reaches a replica behind the previous one
    assert.match(String(await refresh()), /database is behind the window/);
    visible = 9_200;
    await refresh();
    await refresh();
    const missing = [...Array(100).keys()].map((k) => 9_001 + k).filter((id) => !counted.has(id));
    assert.deepEqual(missing, [], "every payment up to 9,100 is merged into its merchant's item");
    assert.equal((store.get(REFRESH_KEY) as unknown as RefreshState).lastPaymentId, 9_200);
  });

  it("a run that failed part-way takes the same window again and skips the merchants it had merged", async () => {
    const merged42 = { ...merchant42, paymentsSeen: 5010, windowUpTo: 9_011 };
    const r = await run(state(9_000, 9_500, 9_011), 9_800, rows, { "merchant:42": merged42 });
    assert.deepEqual(r.asked[1].params, { after: 9_000, upTo: 9_011 }, "the pending window, not a new one");
    const out = r.out as (MerchantItem | RefreshState)[];
    assert.deepEqual(
      out.filter((i) => i.entityKey !== REFRESH_KEY).map((i) => i.entityKey),
      ["merchant:43"],
      "merchant 42 already includes this window: not counted twice",
    );
    assert.equal((out[out.length - 1] as RefreshState).lastPaymentId, 9_011);
  });

  it("writes each merchant item conditional on the etag it read (new ones as creates), the watermark as an upsert", async () => {
    const r = await run(state(9_000, 9_011), 9_500, rows);
    assert.deepEqual(
      r.sent.map((w) => [w.item.entityKey, w.upsert, w.ifMatch]),
      [
        [REFRESH_KEY, true, null],
        ["merchant:42", false, '"merchant:42"'],
        ["merchant:43", false, null],
        [REFRESH_KEY, true, null],
      ],
    );
    assert.ok(
      r.sent.every((w) => !("_etag" in w.item)),
      "system properties are not sent back",
    );
  });

  it("writes thousands of merchants in one run (the output binding's one-at-a-time writes stopped at 1,000)", async () => {
    const many = Array.from({ length: 3_000 }, (_, k) => windowRow(String(1_000 + k), "1", 500));
    let inFlight = 0;
    let most = 0;
    const cosmos = fakeCosmos(state(9_000, 9_011), {});
    const counting = async (url: string, init?: RequestInit) => {
      const write = init?.method === "POST" || init?.method === "PUT";
      if (write) most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      const res = await cosmos.fetch(url, init);
      if (write) inFlight--;
      return res;
    };
    const { context } = fakeContext();
    const written = await refreshMerchantFeatures({} as Timer, context, {
      env: scoringEnv,
      fetch: counting,
      now: () => new Date(at),
      sql: () => fakeSql(9_011, many).reader,
    });
    assert.equal(written, 3_000);
    assert.equal(cosmos.sent.length, 3_002, "the pending watermark, 3,000 merchants, the closed watermark");
    assert.equal((cosmos.sent[3_001].item as RefreshState).lastPaymentId, 9_011);
    assert.equal(most, WRITE_CONCURRENCY, "at most WRITE_CONCURRENCY writes in flight");
  });

  it("stops writing at its deadline and finishes the window in the next runs", async () => {
    // Merchant 43's write takes longer than the writes' deadline.
    const { written, sent, logs } = await runWithSlowCalls(
      (_url, init) => init?.method === "POST" && String(init.body).includes('"merchant:43"'),
      { writesDeadlineMs: 100 },
    );
    assert.equal(written, 1);
    const keys = sent.map((w) => w.item.entityKey);
    assert.deepEqual(
      keys,
      [REFRESH_KEY, "merchant:42"],
      "43 cut at the deadline, no closing watermark: the window stays pending",
    );
    assert.match(logs.join("\n"), /1 merchants, 1 left for the next run/);
    // The next run takes the same window and writes only merchant 43 (42's item already includes it).
    const merged42 = { ...merchant42, windowUpTo: 9_011 };
    const second = await run(state(9_000, 9_011, 9_011), 9_011, rows, { "merchant:42": merged42 });
    assert.deepEqual(
      second.sent.map((w) => w.item.entityKey),
      [REFRESH_KEY, "merchant:43", REFRESH_KEY],
      "the last merchant closes it",
    );
    assert.equal((second.out as RefreshState[])[2].lastPaymentId, 9_011);
  });

  it("reads and merges a merchant changed since its read once more; leaves it for the next run if it changes again", async () => {
    let refusals = 1;
    const once = await run(state(9_000, 9_011), 9_011, rows, undefined, {
      answer: (item) => (item.entityKey === "merchant:42" && refusals-- > 0 ? 412 : 200),
    });
    assert.equal(once.written, 2);
    assert.deepEqual(
      once.sent.map((w) => [w.item.entityKey, w.ifMatch]),
      [
        [REFRESH_KEY, null],
        ["merchant:42", '"merchant:42"'],
        ["merchant:43", null],
        ["merchant:42", '"merchant:42"'],
        [REFRESH_KEY, null],
      ],
      "re-read, re-merged, written again; the window closes",
    );
    const twice = await run(state(9_000, 9_011), 9_011, rows, undefined, {
      answer: (item) => (item.entityKey === "merchant:42" ? 412 : 200),
    });
    assert.equal(twice.written, 1);
    assert.equal(
      twice.sent.filter((w) => w.item.entityKey === "merchant:42").length,
      2,
      "two tries, then the next run",
    );
    assert.notEqual(twice.sent[twice.sent.length - 1].item.entityKey, REFRESH_KEY, "the window stays pending");
    assert.match(twice.logs.join("\n"), /1 left for the next run \(1 changed by another writer twice\)/);
    // Changed by a writer that had merged the window already: nothing more to write.
    const mergedMeanwhile = { ...merchant42, windowUpTo: 9_011 };
    let reads = 0;
    const merged = await run(state(9_000, 9_011), 9_011, rows, undefined, {
      answer: (item) => (item.entityKey === "merchant:42" ? 412 : 200),
      intercept: (url, init) =>
        // The first read of merchant 42 finds the old item; the re-read after the 412 finds it merged.
        url.endsWith("merchant%3A42") && init?.method === undefined && reads++ > 0
          ? new Response(JSON.stringify({ ...mergedMeanwhile, _etag: '"m2"' }))
          : undefined,
    });
    assert.equal(reads, 2);
    assert.deepEqual(
      merged.sent.map((w) => w.item.entityKey),
      [REFRESH_KEY, "merchant:42", "merchant:43", REFRESH_KEY],
      "not written again; the window closes",
    );
  });

  it("fails the run, window pending, when a write is refused, and tries no more merchants", async () => {
    const refused = await run(state(9_000, 9_011), 9_011, rows, undefined, {
      answer: (item) => (item.entityKey === "merchant:43" ? 403 : 200),
    });
    assert.match(
      String(refused.error),
      /a merchant write failed \(window 9001-9011 left pending, 1 merchants written, the rest not tried\): .*merchant:43 answered 403/,
    );
    assert.notEqual(refused.sent[refused.sent.length - 1].item.entityKey, REFRESH_KEY, "the window stays pending");
    // A missing grant refuses every write: the first ones in flight fail, the rest are not tried.
    const many = Array.from({ length: 500 }, (_, k) => windowRow(String(1_000 + k), "1", 500));
    const denied = await run(
      state(9_000, 9_011),
      9_011,
      many,
      {},
      {
        answer: (item) => (item.entityKey === REFRESH_KEY ? 200 : 403),
      },
    );
    assert.ok(denied.error);
    const merchantWrites = denied.sent.filter((w) => w.item.entityKey !== REFRESH_KEY).length;
    assert.ok(merchantWrites <= WRITE_CONCURRENCY, `${merchantWrites} writes tried of 500`);
  });

  it("reads the merchants in a new order each run (a slow account does not re-read the same first ones forever)", () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const orders = [shuffled(8, random), shuffled(8, random)];
    for (const o of orders)
      assert.deepEqual(
        [...o].sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6, 7],
        "a permutation",
      );
    assert.notDeepEqual(orders[0], orders[1]);
    assert.deepEqual(shuffled(0, random), []);
  });

  it("stops reading at its deadline and leaves the merchants it could not read, and the window, for the next run", async () => {
    // The watermark answers at once; merchant 42's read would take longer than the whole deadline.
    const { written, sent, logs, slowCalls } = await runWithSlowCalls(
      (url, init) => url.endsWith("merchant%3A42") && init?.method === undefined,
      { readsDeadlineMs: 100 },
    );
    assert.equal(written, 1);
    assert.deepEqual(
      sent.map((w) => w.item.entityKey),
      [REFRESH_KEY, "merchant:43"],
      "merchant 43 merged; 42 not read in time; the window stays pending",
    );
    assert.equal((sent[0].item as RefreshState).pendingUpTo, 9_011);
    assert.ok(slowCalls >= 1);
    assert.match(logs.join("\n"), /1 left for the next run \(1 not read in time\)/);
  });

  it("catches up a long outage in steps, records what it saw when idle, writes nothing when nothing moved", async () => {
    const behind = await run(state(1_000, 1_000 + 3 * MAX_PAYMENTS_PER_RUN), 1_000 + 3 * MAX_PAYMENTS_PER_RUN);
    assert.deepEqual(behind.asked[1].params, { after: 1_000, upTo: 1_000 + MAX_PAYMENTS_PER_RUN });
    const seen = await run(state(9_000, 9_000), 9_200);
    assert.deepEqual([seen.written, seen.asked.length], [0, 1]);
    assert.deepEqual(seen.out, [{ ...state(9_000, 9_200), updatedAt: at }], "the next window will end at 9,200");
    const idle = await run(state(9_000, 9_000), 9_000);
    assert.deepEqual([idle.written, idle.out], [0, undefined]);
    const empty = await run(state(0, 0), null);
    assert.deepEqual([empty.written, empty.out], [0, undefined]);
  });

  it("aggregates a clustered-key range of dbo.Payment, never a scan by time", () => {
    assert.match(MERCHANT_WINDOW_SQL, /WHERE \[PaymentId\] > @after AND \[PaymentId\] <= @upTo/);
    assert.match(MERCHANT_WINDOW_SQL, /GROUP BY \[MerchantId\], \[CurrencyCode\]/);
  });
});

describe("functions: Cosmos DB reads under throttling", () => {
  it("retries a throttled point read after the wait Cosmos DB asks for, then gives up", async () => {
    let calls = 0;
    const throttledThenOk = async (url: string) => {
      if (url.startsWith("http://localhost/msi"))
        return new Response(JSON.stringify({ access_token: "t", expires_on: "9999999999" }));
      calls++;
      return calls < 3
        ? new Response("", { status: 429, headers: { "x-ms-retry-after-ms": "1" } })
        : new Response(JSON.stringify({ id: "x" }));
    };
    const target = { endpoint: "https://a.documents.azure.com:443/", database: "d", container: "c" };
    const tokens = { token: async () => "t" };
    assert.deepEqual(await readItem(throttledThenOk, tokens, target, "x", "x"), { id: "x" });
    assert.equal(calls, 3);
    const always429 = async () => new Response("", { status: 429, headers: { "x-ms-retry-after-ms": "1" } });
    await assert.rejects(readItem(always429, tokens, target, "x", "x"), /answered 429/);
  });

  it("reads a missing item as none, but a missing container or a lagging replica as a failure", async () => {
    const target = { endpoint: "https://a.documents.azure.com:443/", database: "d", container: "c" };
    const tokens = { token: async () => "t" };
    const answering = (substatus?: string) => async () =>
      new Response("", { status: 404, headers: substatus ? { "x-ms-substatus": substatus } : {} });
    assert.equal(await readItem(answering("0"), tokens, target, "x", "x"), undefined);
    assert.equal(await readItem(answering(), tokens, target, "x", "x"), undefined);
    // 1003: the container or database does not exist; 1002: the read session is not available on this replica.
    await assert.rejects(readItem(answering("1003"), tokens, target, "x", "x"), /answered 404/);
    await assert.rejects(readItem(answering("1002"), tokens, target, "x", "x"), /answered 404/);
  });

  it("bounds every Cosmos DB call in time (a stalled connection would outlive the 30 s function timeout)", async () => {
    const target = { endpoint: "https://a.documents.azure.com:443/", database: "d", container: "c" };
    const tokens = { token: async () => "t" };
    const signals: (AbortSignal | null | undefined)[] = [];
    const recording = async (_url: string, init?: RequestInit) => {
      signals.push(init?.signal);
      return init?.method ? new Response("{}", { status: 201 }) : new Response(JSON.stringify({ id: "x" }));
    };
    await readItem(recording, tokens, target, "x", "x");
    await writeItem(recording, tokens, target, { id: "x" }, "x", undefined);
    await createItem(recording, tokens, target, { id: "x" }, ["m", "x"]);
    assert.equal(signals.length, 3);
    for (const s of signals) assert.ok(s instanceof AbortSignal, "each call carries a deadline");
    assert.ok(COSMOS_CALL_TIMEOUT_MS * READ_ATTEMPTS < 10_000, "each phase well within the host's 30 s");
  });

  it("tries a call that ran out of time again (a repeat is safe), then fails naming the timeout", async () => {
    const target = { endpoint: "https://a.documents.azure.com:443/", database: "d", container: "c" };
    const tokens = { token: async () => "t" };
    let calls = 0;
    const timingOut = async (): Promise<Response> => {
      calls++;
      throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
    };
    await assert.rejects(readItem(timingOut, tokens, target, "x", "x"), /answered 408/);
    assert.equal(calls, READ_ATTEMPTS);
    calls = 0;
    await assert.rejects(createItem(timingOut, tokens, target, { id: "x" }, ["m", "x"]), /answered 408/);
    assert.equal(calls, READ_ATTEMPTS);
    // A create that landed before its answer timed out: the repeat finds it (409) and leaves it as it is, and knows
    // it for this call's own (created: the scorer then logs the payment once); a card write sees a conflict (it reads
    // again, since another writer may have created the item).
    for (const lost of [
      () => Promise.reject(new DOMException("timeout", "TimeoutError")),
      async () => new Response("", { status: 503 }),
      async () => new Response("", { status: 408 }),
    ]) {
      let n = 0;
      const landedThenConflict = async (): Promise<Response> =>
        n++ === 0 ? lost() : new Response("", { status: 409 });
      assert.equal(await createItem(landedThenConflict, tokens, target, { id: "x" }, ["m", "x"]), "created");
      n = 0;
      assert.equal(await writeItem(landedThenConflict, tokens, target, { id: "x" }, "x", undefined), "conflict");
    }
    // A 409 after a refusal (429: not applied) or at once is another writer's: exists.
    let m = 0;
    const throttledThenConflict = async (): Promise<Response> =>
      new Response("", { status: m++ === 0 ? 429 : 409, headers: { "x-ms-retry-after-ms": "1" } });
    assert.equal(await createItem(throttledThenConflict, tokens, target, { id: "x" }, ["m", "x"]), "exists");
    assert.equal(
      await createItem(async () => new Response("", { status: 409 }), tokens, target, { id: "x" }, ["m", "x"]),
      "exists",
    );
    // Any other failure of the call is not retried.
    calls = 0;
    const refused = async (): Promise<Response> => {
      calls++;
      throw new TypeError("fetch failed");
    };
    await assert.rejects(readItem(refused, tokens, target, "x", "x"), /fetch failed/);
    assert.equal(calls, 1);
  });

  it("keeps at most the given number of calls in flight, in order", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return n * 10;
    });
    assert.deepEqual(out, [10, 20, 30, 40, 50, 60, 70]);
    assert.equal(peak, 3);
  });
});
