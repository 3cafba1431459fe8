import { strict as assert } from "node:assert";
import type { Timer } from "@azure/functions";
import { sqlConnectionString } from "../../../components/ingestion";
import {
  MAX_PAYMENTS_PER_RUN,
  MAX_PAYMENT_ID_SQL,
  MERCHANT_WINDOW_SQL,
  REFRESH_KEY,
  refreshMerchantFeatures,
  type RefreshState,
} from "../../../pipelines/functions/src/functions/merchantFeatures";
import {
  decay,
  EWMA_ALPHA,
  mergeMerchantWindow,
  type FeatureItem,
} from "../../../pipelines/functions/src/lib/features";
import { parseSqlConnection, type SqlReader } from "../../../pipelines/functions/src/lib/tds";
import { fakeContext, scoringEnv } from "./fakes";

const t0 = "2026-12-02T10:00:00.000Z";
const merchant42: FeatureItem = {
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
};
const row = (
  over: Partial<{ merchantId: number; currencyCode: string; payments: number; amountSum: number }> = {},
) => ({
  merchantId: 42,
  currencyCode: "EUR",
  payments: 10,
  amountSum: 10 * 3000,
  lastCreatedAt: "2026-12-02T11:00:00.000Z",
  ...over,
});

describe("functions: merchant features (one writer, once a minute)", () => {
  it("starts a merchant at its first window", () => {
    const item = mergeMerchantWindow(undefined, 42, [row()], new Date("2026-12-02T11:00:30Z"));
    assert.deepEqual(
      [item.entityKey, item.count1h, item.count24h, item.amountEwma, item.paymentsSeen, item.lastPaymentAt],
      ["merchant:42", 10, 10, 3000, 10, "2026-12-02T11:00:00.000Z"],
    );
  });

  it("decays the counters to the window's last payment and adds its payments in every currency", () => {
    const item = mergeMerchantWindow(
      merchant42,
      42,
      [row(), row({ currencyCode: "USD", payments: 2, amountSum: 2 * 99 })],
      new Date("2026-12-02T11:00:30Z"),
    );
    assert.equal(item.count1h, decay(100, 3600, 3600) + 12);
    assert.equal(item.count24h, decay(1000, 3600, 86400) + 12);
    assert.equal(item.paymentsSeen, 5012);
    // The main currency (EUR, 10 payments) blends its mean with the weight of ten payments one by one.
    const w = 1 - Math.pow(1 - EWMA_ALPHA, 10);
    assert.equal(item.amountEwma, (1 - w) * 2000 + w * 3000);
    assert.equal(item.lastCurrency, "EUR");
  });

  it("restarts the amount average when the main currency changes, and refuses another merchant's rows", () => {
    const item = mergeMerchantWindow(merchant42, 42, [row({ currencyCode: "GBP", amountSum: 10 * 700 })], new Date());
    assert.deepEqual([item.lastCurrency, item.amountEwma], ["GBP", 700]);
    assert.throws(() => mergeMerchantWindow(merchant42, 42, [row({ merchantId: 43 })], new Date()), /merchant 42's/);
  });

  it("reads the server and database from the SQL bindings' connection setting", () => {
    assert.deepEqual(parseSqlConnection(sqlConnectionString("sql-pay.database.windows.net", "payments", "c")), {
      server: "sql-pay.database.windows.net",
      database: "payments",
    });
    assert.throws(() => parseSqlConnection("Authentication=Active Directory Managed Identity"), /no Server/);
  });
});

describe("functions: merchant refresh timer", () => {
  /** A fake readable secondary: MAX(PaymentId), then the window's rows; records what it was asked. */
  function fakeSql(newest: number | null, rows: Record<string, unknown>[]) {
    const asked: { sql: string; params?: Readonly<Record<string, number>> }[] = [];
    const reader: SqlReader = {
      query: async (sql, params) => {
        asked.push({ sql, params });
        return sql === MAX_PAYMENT_ID_SQL ? [{ UpTo: newest === null ? null : String(newest) }] : rows;
      },
    };
    return { reader, asked };
  }
  /** Managed identity, the watermark and merchant 42's item exist; every other item is absent. */
  function fakeFetch(state: RefreshState | undefined) {
    return async (url: string) => {
      if (url.startsWith("http://localhost/msi"))
        return new Response(JSON.stringify({ access_token: "t", expires_on: "9999999999" }));
      const id = decodeURIComponent(url.slice(url.lastIndexOf("/") + 1));
      if (id === REFRESH_KEY && state) return new Response(JSON.stringify(state));
      if (id === "merchant:42") return new Response(JSON.stringify(merchant42));
      return new Response("", { status: 404 });
    };
  }
  const state = (lastPaymentId: number): RefreshState => ({
    id: REFRESH_KEY,
    entityKey: REFRESH_KEY,
    entityType: "control",
    lastPaymentId,
    updatedAt: t0,
  });
  const run = async (s: RefreshState | undefined, newest: number | null, rows: Record<string, unknown>[] = []) => {
    const sql = fakeSql(newest, rows);
    const { context, outputs } = fakeContext();
    const written = await refreshMerchantFeatures({} as Timer, context, {
      env: scoringEnv,
      fetch: fakeFetch(s),
      now: () => new Date("2026-12-02T11:01:00Z"),
      sql: () => sql.reader,
    });
    return { written, asked: sql.asked, out: outputs.get("%COSMOS_CONTAINER_FRAUD_FEATURES%") as object[] | undefined };
  };

  it("first run: writes only the watermark at the newest payment (no backfill)", async () => {
    const r = await run(undefined, 9_000);
    assert.equal(r.written, 0);
    assert.deepEqual(r.out, [{ ...state(9_000), updatedAt: "2026-12-02T11:01:00.000Z" }]);
    assert.equal(r.asked.length, 1, "no window query");
  });

  it("merges each merchant's window into its item and moves the watermark in the same write", async () => {
    const rows = [
      {
        MerchantId: "42",
        CurrencyCode: "EUR",
        Payments: "10",
        AmountSum: 30000,
        LastCreatedAt: "2026-12-02T11:00:59.000Z",
      },
      {
        MerchantId: "43",
        CurrencyCode: "EUR",
        Payments: "1",
        AmountSum: 500,
        LastCreatedAt: "2026-12-02T11:00:10.000Z",
      },
    ];
    const r = await run(state(9_000), 9_011, rows);
    assert.equal(r.written, 2);
    assert.deepEqual(r.asked[1], { sql: MERCHANT_WINDOW_SQL, params: { after: 9_000, upTo: 9_011 } });
    const out = r.out as (FeatureItem | RefreshState)[];
    assert.deepEqual(
      out.map((i) => [i.entityKey, "paymentsSeen" in i ? i.paymentsSeen : i.lastPaymentId]),
      [
        ["merchant:42", 5010],
        ["merchant:43", 1],
        [REFRESH_KEY, 9_011],
      ],
    );
  });

  it("catches up a long outage in steps, and writes nothing when no payment is new", async () => {
    const behind = await run(state(1_000), 1_000 + 3 * MAX_PAYMENTS_PER_RUN);
    assert.deepEqual(behind.asked[1].params, { after: 1_000, upTo: 1_000 + MAX_PAYMENTS_PER_RUN });
    const idle = await run(state(9_000), 9_000);
    assert.deepEqual([idle.written, idle.out, idle.asked.length], [0, undefined, 1]);
    const empty = await run(state(0), null);
    assert.deepEqual([empty.written, empty.out], [0, undefined]);
  });

  it("aggregates a clustered-key range of dbo.Payment, never a scan by time", () => {
    assert.match(MERCHANT_WINDOW_SQL, /WHERE \[PaymentId\] > @after AND \[PaymentId\] <= @upTo/);
    assert.match(MERCHANT_WINDOW_SQL, /GROUP BY \[MerchantId\], \[CurrencyCode\]/);
  });
});
