import { strict as assert } from "node:assert";
import type { HttpRequest } from "@azure/functions";
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import type { Connection, Request } from "tedious";
import { TokenUnavailableError } from "../../../pipelines/functions/src/lib/azure";
import {
  handleLateErrors,
  loginWithErrorNumber,
  loginWithin,
  recordLoginExpiry,
  tokenExpiry,
} from "../../../pipelines/functions/src/lib/tds";
import { dataModel } from "../../../pipelines/model";
import { renderType, type OltpTable } from "../../../pipelines/model/types";
import {
  FOREIGN_KEYS,
  INSERT_PAYMENT_SQL,
  isConnectionFatal,
  isTransient,
  outcomeOf,
  REQUEST_TOKEN_BYTES,
  RETRY_BUDGET_MS,
  runInsert,
  storePayment,
  TOKEN_EXPIRED,
  TrackedConnection,
  unknownReference,
  type PaymentWriter,
  type StoredPaymentRow,
} from "../../../pipelines/functions/src/lib/paymentStore";
import {
  PoolTimeoutError,
  TdsPool,
  TOKEN_MARGIN_MS,
  type PooledConnection,
} from "../../../pipelines/functions/src/lib/tdsPool";
import { RETRY_AFTER_SECONDS } from "../../../pipelines/functions/src/functions/paymentApi";
import { fakeContext, fakePaymentTable, paymentApiOver, paymentRequest } from "./fakes";

const request = paymentRequest;
/** A row as tedious returns it: bigint columns as strings. */
const row = (over: Partial<StoredPaymentRow> = {}): StoredPaymentRow => ({
  PaymentId: "9000000001",
  PaymentMethodId: "7",
  AmountMinor: "1999",
  CurrencyCode: "EUR",
  Status: "authorized",
  Created: false,
  ...over,
});
/** tedious' errors: RequestError carries the server's number, ConnectionError a code. */
const sqlError = (number: number, message = `error ${number}`) =>
  Object.assign(new Error(message), { number, class: 16 });
const connError = (code: string) => Object.assign(new Error(`connection ${code}`), { code });

describe("functions: payment store (idempotent insert)", () => {
  it("a new row is created; a stored row with the same fields is a replay; other fields are a reused key", () => {
    assert.deepEqual(outcomeOf(request, row({ Created: true, Status: "pending" })), {
      kind: "created",
      paymentId: "9000000001",
      status: "pending",
    });
    assert.deepEqual(outcomeOf(request, row()), { kind: "replayed", paymentId: "9000000001", status: "authorized" });
    assert.deepEqual(outcomeOf(request, row({ AmountMinor: "2000", CurrencyCode: "USD" })), {
      kind: "key_reused",
      paymentId: "9000000001",
      fields: ["amountMinor", "currencyCode"],
    });
    assert.throws(() => outcomeOf(request, undefined), /returned no row/);
  });

  it("a new payment of a merchant not active, or in a currency no longer offered, is refused with the reason", () => {
    for (const reason of ["merchant_not_active", "currency_not_active"] as const)
      assert.deepEqual(outcomeOf(request, row({ PaymentId: "", Created: false, Refused: reason })), {
        kind: "refused",
        reason,
      });
    assert.throws(() => outcomeOf(request, row({ Created: false, Refused: "other" })), /unknown reason 'other'/);
    // The batch checks both before the insert, on the two columns its identity may read, and inserts only when neither
    // refuses; a retry of a stored payment is read back first (the refusal row comes last).
    assert.match(
      INSERT_PAYMENT_SQL,
      /FROM dbo\.Merchant WHERE MerchantId = @MerchantId AND Status <> 'active'\) THEN 'merchant_not_active'/,
    );
    assert.match(
      INSERT_PAYMENT_SQL,
      /FROM dbo\.Currency WHERE CurrencyCode = @CurrencyCode AND IsActive = 0\) THEN 'currency_not_active'/,
    );
    assert.match(INSERT_PAYMENT_SQL, /WHERE @Refused IS NULL\n {4}AND NOT EXISTS/);
    assert.ok(
      INSERT_PAYMENT_SQL.indexOf("ELSE IF EXISTS (SELECT 1 FROM dbo.Payment") <
        INSERT_PAYMENT_SQL.indexOf("@Refused AS Refused"),
    );
    // Only a refusal reaches the last row; anything else that inserted nothing and found nothing returns no row (500).
    assert.match(INSERT_PAYMENT_SQL, /\nELSE IF @Refused IS NOT NULL\n/);
  });

  it("without the access script's column grants (229) the checks are skipped and the row says so; other errors throw", () => {
    assert.match(
      INSERT_PAYMENT_SQL,
      /BEGIN CATCH\n {4}IF ERROR_NUMBER\(\) <> 229 THROW;\n {4}SET @Unchecked = 1;\nEND CATCH;/,
    );
    assert.equal((INSERT_PAYMENT_SQL.match(/@Unchecked AS Unchecked/g) ?? []).length, 3, "every row carries it");
    assert.deepEqual(outcomeOf(request, row({ Created: true, Status: "pending", Unchecked: true })), {
      kind: "created",
      paymentId: "9000000001",
      status: "pending",
      unchecked: true,
    });
    assert.equal("unchecked" in outcomeOf(request, row({ Created: true, Unchecked: false })), false);
  });

  it("maps dbo.Payment's foreign keys to the request field they check, and nothing else", () => {
    const fk = (name: string) =>
      sqlError(
        547,
        `The INSERT statement conflicted with the FOREIGN KEY constraint "${name}". The conflict occurred in database "db", table "dbo.PaymentMethod", column 'PaymentMethodId'.`,
      );
    assert.equal(unknownReference(fk("FK_Payment_PaymentMethod")), "paymentMethodId");
    assert.equal(unknownReference(fk("FK_Payment_Merchant")), "merchantId");
    assert.equal(unknownReference(fk("FK_Payment_Currency")), "currencyCode");
    assert.equal(
      unknownReference(sqlError(547, 'conflicted with the CHECK constraint "CK_Payment_AmountMinor"')),
      undefined,
    );
    assert.equal(unknownReference(sqlError(2627)), undefined);
  });

  it("retries transient failures only: the database moving or throttling, a dropped connection", () => {
    for (const n of [40613, 40197, 40501, 1205, 49918]) assert.ok(isTransient(sqlError(n)), String(n));
    assert.ok(isTransient(connError("ESOCKET")));
    assert.ok(isTransient(connError("ETIMEOUT")));
    assert.ok(!isTransient(connError("ELOGIN")), "a refused login does not heal in 200 ms");
    assert.ok(!isTransient(sqlError(2627)));
    assert.ok(!isTransient(sqlError(229)), "permission denied");
    assert.ok(!isTransient(new Error("IDENTITY_ENDPOINT, IDENTITY_HEADER and AZURE_CLIENT_ID must be set")));
    assert.ok(!isTransient(new PoolTimeoutError("no SQL connection free")));
  });

  it("keeps a connection after an error the server answered, drops it otherwise", () => {
    assert.ok(!isConnectionFatal(sqlError(547)));
    assert.ok(isConnectionFatal(connError("ESOCKET")));
    assert.ok(isConnectionFatal(Object.assign(sqlError(0), { code: "ETIMEOUT" })), "a timed-out request");
    assert.ok(isConnectionFatal(Object.assign(sqlError(40613), { class: 20 })), "severity 20+ ends the session");
    assert.ok(isConnectionFatal(sqlError(37396)), "an expired session token: the session cannot go on");
  });

  /** Request tokens the tests choose (a request draws a random one). */
  const token = (n: number) => Buffer.alloc(REQUEST_TOKEN_BYTES, n);

  it("retries once after a dropped connection; a payment it then finds is its own (created, not replayed)", async () => {
    const table = fakePaymentTable();
    // The first attempt committed, then its connection died before the answer.
    let calls = 0;
    const write: typeof table.write = async (r, t) => {
      const row = await table.write(r, t);
      if (++calls === 1) throw connError("ECLOSE");
      return row;
    };
    const outcome = await storePayment(request, write, { retryDelayMs: 0 });
    assert.deepEqual(outcome, { kind: "created", paymentId: "1000", status: "pending" });
  });

  it("retries a connection-level failure on a new connection, a deadlock (the server answered) on any", async () => {
    const asked: (boolean | undefined)[] = [];
    const failing =
      (error: unknown): PaymentWriter =>
      async (r, t, o) => {
        asked.push(o?.fresh);
        if (asked.length % 2 === 1) throw error;
        return fakePaymentTable().write(r, t);
      };
    await storePayment(request, failing(Object.assign(new Error("timeout"), { code: "ETIMEOUT" })), {
      retryDelayMs: 0,
    });
    await storePayment(request, failing(sqlError(1205)), { retryDelayMs: 0 });
    // The session's token expired (the server checked it again): only a new login has a fresh one.
    await storePayment(request, failing(sqlError(TOKEN_EXPIRED)), { retryDelayMs: 0 });
    assert.deepEqual(asked, [undefined, true, undefined, undefined, undefined, true]);
    assert.equal(TOKEN_EXPIRED, 37396);
  });

  it("both attempts carry one random token of the column's size; each request draws its own", async () => {
    const seen: Buffer[] = [];
    const table = fakePaymentTable();
    table.fail(connError("ECLOSE"));
    const write: typeof table.write = async (r, t) => {
      seen.push(t);
      return table.write(r, t);
    };
    await storePayment(request, write, { retryDelayMs: 0 });
    await storePayment({ ...request, idempotencyKey: "order-2" }, write, { retryDelayMs: 0 });
    assert.equal(seen.length, 3);
    assert.ok(seen.every((t) => t.length === REQUEST_TOKEN_BYTES));
    assert.ok(seen[0].equals(seen[1]), "the retry sends the first attempt's token");
    assert.ok(!seen[2].equals(seen[0]), "another request, another token");
    const column = dataModel.oltp.tables
      .find((t) => t.name === "Payment")
      ?.columns.find((c) => c.name === "CreatedByRequest");
    assert.equal(column && renderType(column.type), `BINARY(${REQUEST_TOKEN_BYTES})`);
  });

  it("a merchant's retry racing its own first request finds the first request's payment: a replay, not created twice", async () => {
    // Request A's answer is lost (its insert committed); the merchant's client gives up and sends B with the same
    // key; B's first attempt is lost too, and its retry reads A's row. Whatever the timing, the row is A's.
    const table = fakePaymentTable();
    await table.write(request, token(1)); // A's insert
    table.fail(connError("ETIMEOUT")); // B's first attempt
    const b = await storePayment(request, table.write, { retryDelayMs: 0, requestToken: token(2) });
    assert.equal(b.kind, "replayed", "a second 202 would count the payment twice");
    assert.equal(table.inserts.length, 1);
  });

  it("a payment inserted long before (a merchant's retry a minute later) is a replay, after any failure", async () => {
    const table = fakePaymentTable();
    await table.write(request, token(1));
    for (const failure of [connError("ECLOSE"), connError("ESOCKET"), sqlError(40613)]) {
      table.fail(failure);
      assert.equal(
        (await storePayment(request, table.write, { retryDelayMs: 0, requestToken: token(3) })).kind,
        "replayed",
      );
    }
  });

  it("a row read back without a token (written before the column existed) is never a request's own", async () => {
    const legacy = row({
      PaymentMethodId: String(request.paymentMethodId),
      AmountMinor: String(request.amountMinor),
      CurrencyCode: request.currencyCode,
    });
    assert.equal((await storePayment(request, async () => legacy, { retryDelayMs: 0 })).kind, "replayed");
    assert.equal(
      (await storePayment(request, async () => ({ ...legacy, Ours: true }), { retryDelayMs: 0 })).kind,
      "created",
    );
  });

  it("makes exactly two attempts at most, never retries a permanent error, and none past the retry budget", async () => {
    const table = fakePaymentTable();
    table.fail(sqlError(40613), sqlError(40613), sqlError(40613));
    await assert.rejects(storePayment(request, table.write, { retryDelayMs: 0 }), /error 40613/);
    assert.equal(table.pendingFailures(), 1, "two attempts");
    assert.equal(table.inserts.length, 0);
    const once = fakePaymentTable();
    once.fail(sqlError(229, "The INSERT permission was denied"), sqlError(229));
    await assert.rejects(storePayment(request, once.write, { retryDelayMs: 0 }), /permission was denied/);
    assert.equal(once.pendingFailures(), 1, "one attempt");
    // A first attempt that used up the budget (a long login) leaves no time for a second within the host's timeout.
    const slow = fakePaymentTable();
    slow.fail(connError("ETIMEOUT"), sqlError(40613));
    let t = 0;
    const clock = () => (t += RETRY_BUDGET_MS + 1);
    await assert.rejects(storePayment(request, slow.write, { retryDelayMs: 0, clock }), /ETIMEOUT/);
    assert.equal(slow.pendingFailures(), 1);
  });

  it("a foreign-key refusal is an outcome (422), not an error", async () => {
    const table = fakePaymentTable();
    table.fail(sqlError(547, 'conflicted with the FOREIGN KEY constraint "FK_Payment_Merchant"'));
    assert.deepEqual(await storePayment(request, table.write, { retryDelayMs: 0 }), {
      kind: "unknown_reference",
      field: "merchantId",
    });
  });

  describe("the batch against the data model (pipelines/model/oltp.ts)", () => {
    const found = dataModel.oltp.tables.find((t) => t.schema === "dbo" && t.name === "Payment");
    if (!found) throw new Error("dbo.Payment is not in the data model");
    const payment: OltpTable = found;

    it("inserts columns dbo.Payment has, and every column it requires without a default", () => {
      const inserted = /INSERT INTO dbo\.Payment \(([^)]+)\)/.exec(INSERT_PAYMENT_SQL)?.[1].split(/,\s*/) ?? [];
      const names = payment.columns.map((c) => c.name);
      for (const c of inserted) assert.ok(names.includes(c), `${c} is a column of dbo.Payment`);
      const required = payment.columns.filter((c) => !c.nullable && c.default === undefined && !c.identity);
      assert.deepEqual(
        required.map((c) => c.name).filter((c) => !inserted.includes(c)),
        [],
      );
    });

    it("catches only the duplicate of the unique key it reads back by", () => {
      const unique = payment.uniques?.find((u) => u.name === "UQ_Payment_MerchantId_IdempotencyKey");
      assert.deepEqual(unique?.columns, ["MerchantId", "IdempotencyKey"]);
      assert.match(INSERT_PAYMENT_SQL, /IF ERROR_NUMBER\(\) NOT IN \(2601, 2627\) THROW;/);
      // A plain retry raises no error: the key is found before the insert.
      assert.match(
        INSERT_PAYMENT_SQL,
        /AND NOT EXISTS \(SELECT 1 FROM dbo\.Payment WHERE MerchantId = @MerchantId AND IdempotencyKey = @IdempotencyKey\);/,
      );
      assert.match(INSERT_PAYMENT_SQL, /WHERE MerchantId = @MerchantId AND IdempotencyKey = @IdempotencyKey;/);
    });

    it("compares keys case-sensitively: the database's collation ignores case, the key's column does not", () => {
      const key = payment.columns.find((c) => c.name === "IdempotencyKey");
      assert.match(key?.collation ?? "(database default: case-insensitive)", /_BIN2?$|_CS_/);
      const sql = fs.readFileSync("pipelines/sql/01_oltp_schema.sql", "utf8");
      assert.match(sql, /\[IdempotencyKey\] VARCHAR\(64\) COLLATE Latin1_General_100_BIN2 NOT NULL/);
    });

    it("names dbo.Payment's foreign keys as the model declares them", () => {
      assert.deepEqual(Object.keys(FOREIGN_KEYS).sort(), (payment.foreignKeys ?? []).map((f) => f.name).sort());
      for (const fk of payment.foreignKeys ?? []) {
        const field = FOREIGN_KEYS[fk.name as keyof typeof FOREIGN_KEYS];
        assert.equal(fk.columns[0].toLowerCase(), field.toLowerCase(), fk.name);
      }
    });

    it("keeps the row read back when tedious flags the caught duplicate as an unknown error", async () => {
      const connection = (err: Error, rowFirst: boolean) => ({
        execSql: (r: Request) => {
          if (rowFirst) r.emit("row", [{ metadata: { colName: "PaymentId" }, value: "5" }]);
          (r as unknown as { callback: (e?: Error) => void }).callback(err);
        },
      });
      const unknown = Object.assign(new Error("An unknown error has occurred."), { code: "UNKNOWN" });
      const t = Buffer.alloc(REQUEST_TOKEN_BYTES);
      assert.deepEqual(await runInsert(connection(unknown, true), request, t), { PaymentId: "5" });
      await assert.rejects(runInsert(connection(unknown, false), request, t), /unknown error/);
      await assert.rejects(runInsert(connection(sqlError(547), true), request, t), /error 547/);
    });

    it("sends parameters of each column's own type, so the unique index is sought without conversion", () => {
      const seen: [string, string, unknown, number | undefined][] = [];
      let sql = "";
      const connection = {
        execSql: (r: Request) => {
          const req = r as unknown as {
            sqlTextOrProcedure: string;
            parameters: { name: string; type: { name: string }; value: unknown; length?: number }[];
            callback: (err?: Error) => void;
          };
          sql = req.sqlTextOrProcedure;
          for (const p of req.parameters) seen.push([p.name, p.type.name, p.value, p.length]);
          r.emit("row", [
            { metadata: { colName: "PaymentId" }, value: "5" },
            { metadata: { colName: "Created" }, value: true },
          ]);
          req.callback(undefined);
        },
      };
      return runInsert(connection, request, Buffer.alloc(REQUEST_TOKEN_BYTES, 9)).then((r) => {
        assert.equal(sql, INSERT_PAYMENT_SQL);
        assert.deepEqual(r, { PaymentId: "5", Created: true });
        const types = Object.fromEntries(
          seen.map(([n, t, , len]) => [n, len ? `${t.toUpperCase()}(${len})` : t.toUpperCase()]),
        );
        for (const [name, type] of Object.entries(types)) {
          const column = payment.columns.find((c) => c.name === name);
          assert.ok(column, name);
          assert.equal(type, renderType(column.type), name);
        }
        assert.equal(seen.length, 6);
        // The token is stored with the insert and compared on the read back (the row is this request's own or not).
        assert.match(INSERT_PAYMENT_SQL, /, CreatedByRequest\)\n {4}SELECT .*, @CreatedByRequest\n/);
        assert.match(
          INSERT_PAYMENT_SQL,
          /CASE WHEN CreatedByRequest = @CreatedByRequest THEN 1 ELSE 0 END AS BIT\) AS Ours/,
        );
      });
    });
  });
});

describe("functions: TDS connection pool", () => {
  class Fake implements PooledConnection {
    static opened = 0;
    closed = false;
    broken = false;
    readonly id = ++Fake.opened;
    close() {
      this.closed = true;
    }
  }
  const pool = (over: Partial<ConstructorParameters<typeof TdsPool<Fake>>[0]> = {}) =>
    new TdsPool<Fake>({
      open: async () => new Fake(),
      max: 2,
      idleMs: 1_000,
      maxAgeMs: 10_000,
      acquireTimeoutMs: 50,
      ...over,
    });

  it("a fresh use opens a new connection, closing an idle one at the pool's size, never reusing one", async () => {
    const p = pool();
    const [a, b] = await Promise.all([p.use(async (c) => c.id), p.use(async (c) => c.id)]);
    assert.equal(p.idleCount, 2);
    const fresh = await p.use(async (c) => c.id, undefined, { fresh: true });
    assert.ok(fresh !== a && fresh !== b, "a new login");
    assert.equal(p.size, 2, "within the pool's size: an idle one was closed for it");
  });

  it("reuses a released connection instead of logging in again", async () => {
    const p = pool();
    const a = await p.use(async (c) => c.id);
    const b = await p.use(async (c) => c.id);
    assert.equal(a, b);
    assert.equal(p.size, 1);
  });

  it("opens up to max at once; the next caller waits for a release and gets that connection", async () => {
    const p = pool();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = p.use(async (c) => (await held, c.id));
    const second = p.use(async (c) => (await held, c.id));
    const third = p.use(async (c) => c.id);
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(p.size, 2);
    release();
    const ids = await Promise.all([first, second, third]);
    assert.ok(ids.slice(0, 2).includes(ids[2]), "the waiter got a released connection");
    assert.equal(p.size, 2);
  });

  it("a caller that finds no connection free in time fails with PoolTimeoutError", async () => {
    const p = pool({ max: 1, acquireTimeoutMs: 10 });
    let release!: () => void;
    const busy = p.use(() => new Promise<void>((r) => (release = r)));
    await assert.rejects(
      p.use(async () => 1),
      (e) => e instanceof PoolTimeoutError && /within 10 ms \(pool of 1\)/.test(e.message),
    );
    release();
    await busy;
  });

  it("closes a connection after a fatal error, when broken, when idle too long and when too old", async () => {
    let now = 0;
    const p = pool({ now: () => now });
    const ids: number[] = [];
    await assert.rejects(p.use(async (c) => (ids.push(c.id), Promise.reject(new Error("socket")))));
    assert.equal(p.size, 0, "fatal error: closed");
    await p.use(async (c) => void (ids.push(c.id), (c.broken = true)));
    assert.equal(p.size, 0, "broken: closed");
    await p.use(async (c) => void ids.push(c.id));
    now += 1_000;
    await p.use(async (c) => void ids.push(c.id));
    assert.equal(new Set(ids).size, 4, "idle for idleMs: a new login");
    await p.use(async () => void (now += 10_000));
    assert.equal(p.size, 0, "older than maxAgeMs when released: closed");
    // A non-fatal error (the server answered) keeps the connection.
    const q = pool();
    await assert.rejects(
      q.use(
        async () => Promise.reject(sqlError(547)),
        () => false,
      ),
    );
    assert.equal(q.idleCount, 1);
  });

  it("retires a connection before its login token expires, and never hands out one that is about to", async () => {
    let now = 0;
    const expiring = (expiresAt: number | undefined) => Object.assign(new Fake(), { expiresAt });
    // Logged in with a token that expires at 20 min: reused until 18 min (TOKEN_MARGIN_MS before), then replaced.
    const tokens: (number | undefined)[] = [20 * 60_000, 80 * 60_000];
    const p = pool({
      now: () => now,
      maxAgeMs: 60 * 60_000,
      idleMs: 60 * 60_000,
      open: async () => expiring(tokens.shift()),
    });
    const first = await p.use(async (c) => c.id);
    // Opened with a token 4 minutes from expiry (the cache's old token while it refreshes): still reused a while.
    now = 16 * 60_000;
    assert.equal(await p.use(async (c) => c.id), first, "4 minutes before the token's expiry: reused");
    now = 18 * 60_000;
    const second = await p.use(async (c) => c.id);
    assert.notEqual(second, first, "within TOKEN_MARGIN_MS of the expiry: a new login");
    assert.equal(TOKEN_MARGIN_MS, 2 * 60_000);
    // Released after its token's margin began, a connection is closed rather than kept idle.
    now = 77 * 60_000;
    await p.use(async () => void (now = 78 * 60_000));
    assert.equal(p.size, 0);
    // A connection whose token said nothing keeps the age limit only.
    const q = pool({ now: () => now, open: async () => expiring(undefined) });
    const a = await q.use(async (c) => c.id);
    now += 900;
    assert.equal(await q.use(async (c) => c.id), a);
  });

  it("the payment API's pooled connection carries the expiry of the token its login used", () => {
    const jwt = ["e30", Buffer.from(JSON.stringify({ exp: 1_800_000_000 })).toString("base64url"), "sig"].join(".");
    const connection = Object.assign(new EventEmitter(), { close: () => undefined }) as unknown as Connection;
    recordLoginExpiry(connection, jwt);
    assert.equal(new TrackedConnection(connection).expiresAt, 1_800_000_000_000);
    const other = Object.assign(new EventEmitter(), { close: () => undefined }) as unknown as Connection;
    assert.equal(new TrackedConnection(other).expiresAt, undefined, "no login recorded: the age limit only");
    // connectTds records it after the login (the wiring a pool test with fakes cannot see).
    const source = fs.readFileSync("pipelines/functions/src/lib/tds.ts", "utf8");
    assert.match(
      source,
      /await loginWithin\(connection, limits\.connectTimeoutMs\);\n\s+recordLoginExpiry\(connection, token\);/,
    );
  });

  it("reads a login's expiry from its access token's exp claim (seconds, RFC 7519), nothing from a token without one", () => {
    const jwt = (payload: object) =>
      ["e30", Buffer.from(JSON.stringify(payload)).toString("base64url"), "sig"].join(".");
    assert.equal(tokenExpiry(jwt({ aud: "https://database.windows.net/", exp: 1_800_000_000 })), 1_800_000_000_000);
    assert.equal(tokenExpiry(jwt({ aud: "x" })), undefined);
    assert.equal(tokenExpiry("not-a-jwt"), undefined);
    assert.equal(tokenExpiry("a.%%%.c"), undefined);
  });

  it("a caller waiting for a connection that is then closed (broken) gets a new one", async () => {
    const p = pool({ max: 1, acquireTimeoutMs: 1_000 });
    let release!: () => void;
    let first = 0;
    const busy = p.use(async (c) => {
      first = c.id;
      await new Promise<void>((r) => (release = r));
      c.broken = true;
    });
    const waiting = p.use(async (c) => c.id);
    await new Promise((r) => setTimeout(r, 5));
    release();
    await busy;
    const second = await waiting;
    assert.notEqual(second, first);
    assert.equal(p.size, 1);
  });

  it("a failed login frees its place for the next caller", async () => {
    let fail = true;
    const p = pool({
      max: 1,
      open: async () => {
        if (fail) throw connError("ELOGIN");
        return new Fake();
      },
    });
    await assert.rejects(
      p.use(async () => 1),
      /ELOGIN/,
    );
    fail = false;
    assert.equal(await p.use(async () => 2), 2);
  });
});

describe("functions: POST /api/payments against dbo.Payment", () => {
  const body = { ...request };
  const call = async (table: ReturnType<typeof fakePaymentTable>, json: unknown = body) => {
    const { context, outputs, logs, warnings } = fakeContext();
    const res = await paymentApiOver(table, { MERCHANT_AUTHENTICATION: "none" })(
      { json: async () => json, headers: new Headers() } as unknown as HttpRequest,
      context,
    );
    const log = outputs.get("%COSMOS_CONTAINER_API_LOGS%") as { statusCode: number; problems?: string[] };
    return { res, log, logs, warnings };
  };

  it("202 for a new payment, with its id; the accepted event carries the write's time", async () => {
    const table = fakePaymentTable();
    const { res, log, logs } = await call(table);
    assert.equal(res.status, 202);
    assert.deepEqual(res.jsonBody, { status: "pending", paymentId: "1000", merchantId: 42, idempotencyKey: "order-1" });
    assert.equal(log.statusCode, 202);
    assert.deepEqual(logs, ["payment.accepted amountMinor=1999 currencyCode=EUR sqlMs=3"]);
  });

  it("a retry with the same key answers 200 with the same payment, and counts no second payment", async () => {
    const table = fakePaymentTable();
    await call(table);
    const { res, log, logs } = await call(table);
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers, { "Idempotent-Replayed": "true" });
    assert.equal((res.jsonBody as { paymentId: string }).paymentId, "1000");
    assert.equal(table.inserts.length, 1);
    // Not 202 and no payment.accepted: the workbook's payments/s and revenue count the payment once.
    assert.equal(log.statusCode, 200);
    assert.deepEqual(logs, ["payment.store outcome=replayed sqlMs=3"]);
  });

  it("422 when the key names a payment with other fields, or a field names nothing", async () => {
    const table = fakePaymentTable();
    await call(table);
    const reused = await call(table, { ...body, amountMinor: 5000 });
    assert.equal(reused.res.status, 422);
    assert.deepEqual(reused.res.jsonBody, {
      error: "idempotency_key_reused",
      problems: [
        "idempotencyKey already names payment 1000, whose amountMinor differ: use a new key for a new payment",
      ],
    });
    table.fail(sqlError(547, 'conflicted with the FOREIGN KEY constraint "FK_Payment_PaymentMethod"'));
    const unknown = await call(table, { ...body, idempotencyKey: "order-2", paymentMethodId: 99 });
    assert.equal(unknown.res.status, 422);
    assert.deepEqual(unknown.res.jsonBody, {
      error: "unknown_reference",
      problems: ["paymentMethodId 99 does not exist"],
    });
    assert.equal(unknown.log.statusCode, 422);
  });

  it("503 with Retry-After when the database stays unreachable, 500 for anything else; both say to retry with the key", async () => {
    const table = fakePaymentTable();
    table.fail(connError("ESOCKET"), connError("ESOCKET"));
    const down = await call(table);
    assert.equal(down.res.status, 503);
    assert.deepEqual(down.res.headers, { "Retry-After": String(RETRY_AFTER_SECONDS) });
    assert.equal((down.res.jsonBody as { error: string }).error, "payment_store_unavailable");
    assert.deepEqual(down.logs, ["payment.store outcome=failed sqlMs=3"]);
    assert.match(down.warnings[0], /code ESOCKET/);
    assert.equal(down.log.statusCode, 503);
    // The managed identity endpoint throttling or silent: nothing reached the database, so unavailable (503) too.
    table.fail(new TokenUnavailableError("managed identity endpoint answered 429 for https://database.windows.net/"));
    assert.equal((await call(table)).res.status, 503);
    table.fail(sqlError(229, "The INSERT permission was denied"));
    const denied = await call(table);
    assert.equal(denied.res.status, 500);
    // A server error is logged by number, class and state: its text may quote what the request sent.
    table.fail(sqlError(2628, "String or binary data would be truncated ... Truncated value: 'order-0612345678'"));
    const truncated = await call(table);
    assert.match(truncated.warnings[0], /^payment store failed \(number 2628, code -\): class 16, state -$/);
    assert.deepEqual(denied.res.jsonBody, {
      error: "payment_store_failed",
      problems: ["the payment may not be stored: retry with the same idempotencyKey"],
    });
  });

  it("503 at once when the instance has no connection free (overloaded): no retry inside", async () => {
    const table = fakePaymentTable();
    table.fail(new PoolTimeoutError("no SQL connection free within 2000 ms (pool of 32)"), sqlError(40613));
    const full = await call(table);
    assert.equal(full.res.status, 503);
    assert.equal(table.pendingFailures(), 1);
  });

  it("validates before it writes: a bad body never reaches the database", async () => {
    const table = fakePaymentTable();
    assert.equal((await call(table, { ...body, amountMinor: 0 })).res.status, 400);
    assert.equal(table.inserts.length, 0);
  });

  it("a card number sent as a number is refused and reaches neither the log's partition nor its problems", async () => {
    const table = fakePaymentTable();
    for (const field of ["merchantId", "paymentMethodId", "amountMinor"]) {
      const { res, log } = await call(table, { ...body, [field]: 4111111111111111 });
      assert.equal(res.status, 400, field);
      const logged = log as unknown as { merchantId: string; problems: string[] };
      assert.ok(!JSON.stringify(logged).includes("4111111111111111"), `${field}: ${JSON.stringify(logged)}`);
      assert.ok(!JSON.stringify(res.jsonBody).includes("4111111111111111"), field);
      assert.ok(logged.problems.includes(`${field} looks like a card number: send the payment method id, never a PAN`));
    }
    // The claimed merchant is the log's partition only when it is an id the API takes.
    assert.equal(
      ((await call(table, { ...body, amountMinor: 0 })).log as unknown as { merchantId: string }).merchantId,
      String(body.merchantId),
    );
    assert.equal(table.inserts.length, 0);
  });
});

describe("functions: a refused login carries the server's error number", () => {
  const fakeLogin = (serverNumber: number | undefined, err: Error | undefined) => {
    const c = new EventEmitter() as EventEmitter & { connect: (cb: (e?: Error) => void) => void };
    c.connect = (cb) => {
      if (serverNumber !== undefined) c.emit("errorMessage", { number: serverNumber, message: "refused" });
      cb(err);
    };
    return c as unknown as Connection;
  };
  it("bounds the whole login by the wall clock, redirect included: past it the connection is closed, a transient timeout", async () => {
    let closed = 0;
    const hanging = new EventEmitter() as EventEmitter & {
      connect: (cb: (e?: Error) => void) => void;
      close: () => void;
    };
    // A login that never answers (slow at the gateway, then again at the node after the redirect).
    hanging.connect = () => undefined;
    hanging.close = () => void (closed += 1);
    const started = Date.now();
    const e = await loginWithin(hanging as unknown as Connection, 50).catch((x: unknown) => x);
    assert.ok(Date.now() - started < 1000);
    assert.equal((e as { code?: string }).code, "ETIMEOUT");
    assert.match((e as Error).message, /within 50ms/);
    assert.equal(closed, 1);
    assert.ok(isTransient(e) && isConnectionFatal(e));
    // A login tedious completes anyway after the close (a socket already opening): closed again once it does.
    let finish: (e?: Error) => void = () => undefined;
    const late = new EventEmitter() as EventEmitter & { connect: (cb: (e?: Error) => void) => void; close: () => void };
    late.connect = (cb) => void (finish = cb);
    late.close = () => void (closed += 1);
    await loginWithin(late as unknown as Connection, 20).catch(() => undefined);
    assert.equal(closed, 2);
    finish();
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, 3, "the late login's connection closed");
    // A login that answers in time is not closed.
    const quick = new EventEmitter() as EventEmitter & {
      connect: (cb: (e?: Error) => void) => void;
      close: () => void;
    };
    quick.connect = (cb) => setTimeout(() => cb(), 5);
    quick.close = () => void (closed += 1);
    await loginWithin(quick as unknown as Connection, 1000);
    assert.equal(closed, 3);
  });

  it("takes the first message: a database that cannot be opened (4060, then 18456) is transient", async () => {
    const c = new EventEmitter() as EventEmitter & { connect: (cb: (e?: Error) => void) => void };
    c.connect = (cb) => {
      c.emit("errorMessage", { number: 4060, message: "Cannot open database" });
      c.emit("errorMessage", { number: 18456, message: "Login failed" });
      cb(connError("ELOGIN"));
    };
    const e = await loginWithErrorNumber(c as unknown as Connection).catch((x: unknown) => x);
    assert.equal((e as { number?: number }).number, 4060);
    assert.ok(isTransient(e));
  });

  it("40613 during a failover is transient, 18456 is not; a socket failure stays a connection error", async () => {
    const login = (n: number | undefined) =>
      loginWithErrorNumber(fakeLogin(n, connError("ELOGIN"))).then(
        () => assert.fail("connected"),
        (e: unknown) => e,
      );
    const failover = await login(40613);
    assert.equal((failover as { number?: number }).number, 40613);
    assert.ok(isTransient(failover));
    assert.ok(!isTransient(await login(18456)));
    assert.ok(!isTransient(await login(undefined)), "ELOGIN without a server message");
    await loginWithErrorNumber(fakeLogin(undefined, undefined));
  });
});

describe("functions: TDS connections survive a socket error after login", () => {
  it("a late 'error' event has a listener, so it cannot end the worker process", () => {
    const connection = new EventEmitter();
    assert.throws(() => connection.emit("error", new Error("ECONNRESET")), /ECONNRESET/, "an unhandled 'error' throws");
    handleLateErrors(connection as unknown as Connection);
    assert.doesNotThrow(() => connection.emit("error", new Error("ECONNRESET")));
  });
});

describe("functions: the payment API's database grants", () => {
  it("the access script grants what the batch does (INSERT, the replay's SELECT) and takes UPDATE back", () => {
    const sql = fs.readFileSync("pipelines/functions/sql/flow1_access.sql", "utf8");
    assert.match(sql, /GRANT SELECT, INSERT ON dbo\.Payment TO \[\$\(PaymentApiIdentity\)\];/);
    assert.match(sql, /REVOKE UPDATE ON dbo\.Payment FROM \[\$\(PaymentApiIdentity\)\];/);
    // The refusals' two columns of each table, no more (Merchant holds contacts, Currency nothing the API needs else).
    assert.match(sql, /GRANT SELECT \(MerchantId, Status\) ON dbo\.Merchant TO \[\$\(PaymentApiIdentity\)\];/);
    assert.match(sql, /GRANT SELECT \(CurrencyCode, IsActive\) ON dbo\.Currency TO \[\$\(PaymentApiIdentity\)\];/);
    assert.doesNotMatch(INSERT_PAYMENT_SQL, /\b(UPDATE|DELETE|MERGE)\b/);
  });

  it("the scorer owns its lease schema, so nothing it creates there chains to dbo's tables", () => {
    const sql = fs.readFileSync("pipelines/functions/sql/flow1_access.sql", "utf8");
    assert.match(sql, /CREATE SCHEMA az_func AUTHORIZATION \[\$\(FraudScoringIdentity\)\]/);
    assert.match(sql, /ALTER AUTHORIZATION ON SCHEMA::az_func TO \[\$\(FraudScoringIdentity\)\];/);
    assert.doesNotMatch(sql, /AUTHORIZATION dbo/);
    // No grant on the schema (the owner has every right on it, and cannot be granted one).
    assert.doesNotMatch(sql, /GRANT [^;]*ON SCHEMA::az_func/);
    assert.match(sql, /GRANT SELECT, VIEW CHANGE TRACKING ON dbo\.Payment TO \[\$\(FraudScoringIdentity\)\];/);
  });
});
