/**
 * The payment API's write to dbo.Payment, idempotent on (merchant, idempotency key): one batch inserts the payment
 * or, when UQ_Payment_MerchantId_IdempotencyKey already holds the key, reads back the payment it names, so a retried
 * request learns what happened to the first instead of failing (the SQL output binding this replaces inserted after
 * the handler returned, and answered a retry 500).
 *
 * Because the write is idempotent, a request whose connection fails or times out is retried once, on a newly opened
 * connection (an idle one may be as dead as the one that failed; after a transient error the server answered, any
 * pooled one): if the first attempt committed, the retry reads the payment back, and
 * knows it for its own by the random token the insert stored (`CreatedByRequest`), not by when it was inserted: a
 * merchant's retry sent while the first request was still trying finds the same row, with the first request's token.
 */
import { randomBytes } from "node:crypto";
import { Request, TYPES, type Connection } from "tedious";
import type { CreatePaymentRequest } from "./payment";
import { connectTds, loginTokenExpiresAt, type TdsTarget } from "./tds";
import type { ManagedIdentityTokens } from "./azure";
import { POOL_DEFAULTS, PoolTimeoutError, TdsPool, type PooledConnection } from "./tdsPool";

/**
 * Inserts the payment unless its (merchant, key) is already taken, then returns the row: the new one, or the one the
 * key names. A retry (the common duplicate) finds the key in the NOT EXISTS and raises no error at all; only two
 * requests with one key at the same moment reach the unique constraint, whose error (2627 for a UNIQUE constraint,
 * 2601 for a unique index) the CATCH swallows, and the read below then sees the row the other request committed (the
 * key check waited for it; read committed snapshot, Azure SQL's default, reads the latest committed version). Any
 * other error is re-thrown with its own number (`THROW;`). No explicit transaction, and tedious sets XACT_ABORT off at
 * login, so nothing is left doomed. No OUTPUT clause: SCOPE_IDENTITY() gives the new key without OUTPUT's limits.
 *
 * A new payment needs its merchant `active` (not pending onboarding, suspended or closed: dbo.Merchant.Status) and its
 * currency still offered (the reference data deactivates a currency, never deletes it: IsActive = 0); otherwise the
 * batch inserts nothing and answers why (`Refused`). A merchant or currency that does not exist is left to the foreign
 * keys (547, `unknown_reference`). A retry of a payment stored before a suspension is still read back and answered.
 * The payment API's identity reads only those two columns of each table (pipelines/functions/sql/flow1_access.sql);
 * until that script has granted them (a database set up before), the checks are skipped (error 229 caught), the foreign
 * keys alone decide and the row says `Unchecked`, which the payment API logs.
 */
export const INSERT_PAYMENT_SQL = [
  "SET NOCOUNT ON;",
  "DECLARE @Inserted INT = 0;",
  "DECLARE @Refused VARCHAR(32) = NULL, @Unchecked BIT = 0;",
  "BEGIN TRY",
  "    SET @Refused = CASE",
  "        WHEN EXISTS (SELECT 1 FROM dbo.Merchant WHERE MerchantId = @MerchantId AND Status <> 'active') THEN 'merchant_not_active'",
  "        WHEN EXISTS (SELECT 1 FROM dbo.Currency WHERE CurrencyCode = @CurrencyCode AND IsActive = 0) THEN 'currency_not_active'",
  "    END;",
  "END TRY",
  "BEGIN CATCH",
  // 229: the access script's column grants not applied yet (a database deployed before them): the foreign keys alone
  // decide, as before, and the row says so (the app logs it) instead of every payment failing.
  "    IF ERROR_NUMBER() <> 229 THROW;",
  "    SET @Unchecked = 1;",
  "END CATCH;",
  "BEGIN TRY",
  "    INSERT INTO dbo.Payment (MerchantId, PaymentMethodId, IdempotencyKey, AmountMinor, CurrencyCode, CreatedByRequest)",
  "    SELECT @MerchantId, @PaymentMethodId, @IdempotencyKey, @AmountMinor, @CurrencyCode, @CreatedByRequest",
  "    WHERE @Refused IS NULL",
  "    AND NOT EXISTS (SELECT 1 FROM dbo.Payment WHERE MerchantId = @MerchantId AND IdempotencyKey = @IdempotencyKey);",
  "    SET @Inserted = @@ROWCOUNT;",
  "END TRY",
  "BEGIN CATCH",
  "    IF ERROR_NUMBER() NOT IN (2601, 2627) THROW;",
  "END CATCH;",
  "IF @Inserted = 1",
  "    SELECT CAST(SCOPE_IDENTITY() AS BIGINT) AS PaymentId, @PaymentMethodId AS PaymentMethodId, @AmountMinor AS AmountMinor,",
  "        @CurrencyCode AS CurrencyCode, CAST('pending' AS VARCHAR(20)) AS Status, CAST(1 AS BIT) AS Created,",
  "        CAST(1 AS BIT) AS Ours, CAST(NULL AS VARCHAR(32)) AS Refused, @Unchecked AS Unchecked;",
  "ELSE IF EXISTS (SELECT 1 FROM dbo.Payment WHERE MerchantId = @MerchantId AND IdempotencyKey = @IdempotencyKey)",
  "    SELECT PaymentId, PaymentMethodId, AmountMinor, CurrencyCode, Status, CAST(0 AS BIT) AS Created,",
  "        CAST(CASE WHEN CreatedByRequest = @CreatedByRequest THEN 1 ELSE 0 END AS BIT) AS Ours,",
  "        CAST(NULL AS VARCHAR(32)) AS Refused, @Unchecked AS Unchecked",
  "    FROM dbo.Payment WHERE MerchantId = @MerchantId AND IdempotencyKey = @IdempotencyKey;",
  "ELSE IF @Refused IS NOT NULL",
  "    SELECT CAST(NULL AS BIGINT) AS PaymentId, @PaymentMethodId AS PaymentMethodId, @AmountMinor AS AmountMinor,",
  "        @CurrencyCode AS CurrencyCode, CAST(NULL AS VARCHAR(20)) AS Status, CAST(0 AS BIT) AS Created,",
  "        CAST(0 AS BIT) AS Ours, @Refused AS Refused, @Unchecked AS Unchecked;",
].join("\n");

/** The row the batch returns (bigint columns arrive as strings from tedious). */
export interface StoredPaymentRow {
  readonly PaymentId: string | number;
  readonly PaymentMethodId: string | number;
  readonly AmountMinor: string | number;
  readonly CurrencyCode: string;
  readonly Status: string;
  readonly Created: boolean;
  /**
   * The row was inserted with this request's token: a new row, or one an earlier attempt of the same request committed
   * before its answer was lost. A row without a token (NULL: another writer, or a row older than the column) is never
   * ours.
   */
  readonly Ours?: boolean;
  /** Why the batch inserted nothing and found no payment under the key (INSERT_PAYMENT_SQL); null otherwise. */
  readonly Refused?: string | null;
  /** The merchant and currency could not be checked: the identity lacks the access script's column grants. */
  readonly Unchecked?: boolean;
}

/** Why a new payment is refused before its insert (INSERT_PAYMENT_SQL's `@Refused`). */
export const REFUSALS = ["merchant_not_active", "currency_not_active"] as const;
export type Refusal = (typeof REFUSALS)[number];

/** Bytes of the random token a request stores with its insert (`dbo.Payment.CreatedByRequest`, BINARY(16)). */
export const REQUEST_TOKEN_BYTES = 16;

/** The request fields a replay must repeat, with their dbo.Payment columns. */
const REPEATED = [
  ["paymentMethodId", "PaymentMethodId"],
  ["amountMinor", "AmountMinor"],
  ["currencyCode", "CurrencyCode"],
] as const;

export type StoreOutcome = StoreResult & {
  /** The merchant's status and the currency were not checked (StoredPaymentRow.Unchecked). */
  readonly unchecked?: true;
};

type StoreResult =
  /** A new payment. */
  | { readonly kind: "created"; readonly paymentId: string; readonly status: string }
  /** The key names a payment with the same fields: the request is a retry. */
  | { readonly kind: "replayed"; readonly paymentId: string; readonly status: string }
  /** The key names a payment with other fields: the merchant reused a key (the fields that differ). */
  | { readonly kind: "key_reused"; readonly paymentId: string; readonly fields: readonly string[] }
  /** A foreign key refused the row: the request names a merchant, payment method or currency that does not exist. */
  | { readonly kind: "unknown_reference"; readonly field: "merchantId" | "paymentMethodId" | "currencyCode" }
  /** A new payment for a merchant that is not active, or in a currency no longer offered. */
  | { readonly kind: "refused"; readonly reason: Refusal };

/** What the batch's row means for the request (pure). */
export function outcomeOf(request: CreatePaymentRequest, row: StoredPaymentRow | undefined): StoreOutcome {
  if (!row) throw new Error("the payment insert returned no row");
  const result = resultOf(request, row);
  return row.Unchecked ? { ...result, unchecked: true } : result;
}

function resultOf(request: CreatePaymentRequest, row: StoredPaymentRow): StoreResult {
  if (row.Refused) {
    const reason = REFUSALS.find((r) => r === row.Refused);
    if (!reason) throw new Error(`the payment insert refused the payment for an unknown reason '${row.Refused}'`);
    return { kind: "refused", reason };
  }
  const paymentId = String(row.PaymentId);
  if (row.Created) return { kind: "created", paymentId, status: row.Status };
  const fields = REPEATED.filter(([field, column]) => String(request[field]) !== String(row[column]).trim()).map(
    ([field]) => field,
  );
  return fields.length > 0
    ? { kind: "key_reused", paymentId, fields }
    : { kind: "replayed", paymentId, status: row.Status };
}

/** dbo.Payment's foreign keys (pipelines/sql/01_oltp_schema.sql) and the request field each checks. */
export const FOREIGN_KEYS = {
  FK_Payment_Merchant: "merchantId",
  FK_Payment_PaymentMethod: "paymentMethodId",
  FK_Payment_Currency: "currencyCode",
} as const;

/** The request field a foreign-key violation (error 547 naming one of dbo.Payment's keys) points at. */
export function unknownReference(error: unknown): "merchantId" | "paymentMethodId" | "currencyCode" | undefined {
  const { number, message } = sqlError(error);
  if (number !== 547) return undefined;
  const key = (Object.keys(FOREIGN_KEYS) as (keyof typeof FOREIGN_KEYS)[]).find((k) => message.includes(`"${k}"`));
  return key ? FOREIGN_KEYS[key] : undefined;
}

/**
 * The session's access token expired (the server checked it again mid-session): "Query cannot be executed, access token
 * is expired. Please login with a new access token and execute query again" (dotnet/SqlClient#2792). The connection is
 * done for; a new one logs in with a fresh token, so the write is tried again on one.
 */
export const TOKEN_EXPIRED = 37396;

/**
 * The server-side errors of Microsoft.Data.SqlClient's baseline transient list (deadlock victim, lock timeouts, the
 * database moving, reconfiguring or throttling: learn.microsoft.com/dotnet/api/
 * microsoft.data.sqlclient.sqlconfigurableretryfactory.baselinetransienterrors); its network errors arrive here as
 * connection errors with no number.
 */
export const TRANSIENT_SQL_ERRORS: readonly number[] = [
  1204,
  1205,
  1222,
  4060,
  4221,
  10928,
  10929,
  40143,
  40197,
  40501,
  40540,
  40613,
  42108,
  42109,
  49918,
  49919,
  49920,
  TOKEN_EXPIRED,
];

/**
 * Worth one more attempt: a transient SQL error (at login too: connectTds puts the server's number on a refused login),
 * or a connection-level failure (a tedious or socket error code, no SQL error number) other than a refused login. Not a
 * full pool (the instance is overloaded: the merchant gets 503 at once) nor an error of the app's own (a missing
 * setting, the token endpoint).
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof PoolTimeoutError) return false;
  const { number, code } = sqlError(error);
  if (number !== undefined) return TRANSIENT_SQL_ERRORS.includes(number);
  return code !== undefined && code !== "ELOGIN";
}

/**
 * Leaves the connection unusable: anything but an error the server answered with a number (the session goes on), and
 * an expired session token (TOKEN_EXPIRED), which only a new login replaces.
 */
export function isConnectionFatal(error: unknown): boolean {
  const e = sqlError(error);
  return e.number === undefined || e.number === TOKEN_EXPIRED || e.code === "ETIMEOUT" || (e.severity ?? 0) >= 20;
}

function sqlError(error: unknown): { number?: number; code?: string; severity?: number; message: string } {
  const e = (error ?? {}) as { number?: unknown; code?: unknown; class?: unknown; message?: unknown };
  return {
    number: typeof e.number === "number" ? e.number : undefined,
    code: typeof e.code === "string" ? e.code : undefined,
    severity: typeof e.class === "number" ? e.class : undefined,
    message: typeof e.message === "string" ? e.message : String(error),
  };
}

/** Runs the batch for a request and returns its row. */
export type PaymentWriter = (
  request: CreatePaymentRequest,
  requestToken: Buffer,
  /** Run on a newly opened connection (the retry after a connection-level failure). */
  options?: { readonly fresh?: boolean },
) => Promise<StoredPaymentRow | undefined>;

/**
 * The payment API's time limits, so that two attempts end within the host's 30-second function timeout (host.json)
 * and the merchant always gets an answer (and the call its api_logs item): one attempt takes at most the pool wait,
 * the token, the login (its wall clock, Azure SQL's redirect included: tds.ts `loginWithin`), the statement and its
 * cancellation (about 18 s); a second starts only within RETRY_BUDGET_MS
 * of the first.
 */
export const PAYMENT_LIMITS = {
  acquireTimeoutMs: 2_000,
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 5_000,
  cancelTimeoutMs: 1_000,
} as const;
export const RETRY_BUDGET_MS = 8_000;

/**
 * Stores the payment: one attempt, and a second one after `retryDelayMs` when the first failed transiently within
 * RETRY_BUDGET_MS. A foreign-key refusal is an outcome, not an error; anything else is thrown. Both attempts carry one
 * random token, which the insert stores: a payment the second attempt finds under the key with that token is the
 * first attempt's, committed before its answer was lost, so it is reported as created, not replayed; one with another
 * token is a merchant's other request (a retry sent meanwhile, or long before), a replay.
 */
export async function storePayment(
  request: CreatePaymentRequest,
  write: PaymentWriter,
  options: {
    readonly retryDelayMs?: number;
    readonly clock?: () => number;
    /** This request's token (random by default; tests choose it). */
    readonly requestToken?: Buffer;
  } = {},
): Promise<StoreOutcome> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const token = options.requestToken ?? randomBytes(REQUEST_TOKEN_BYTES);
  if (token.length !== REQUEST_TOKEN_BYTES) throw new Error(`a request token is ${REQUEST_TOKEN_BYTES} bytes`);
  let fresh = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const row = await write(request, token, fresh ? { fresh } : undefined);
      const outcome = outcomeOf(request, row);
      return row?.Ours === true && outcome.kind === "replayed" ? { ...outcome, kind: "created" } : outcome;
    } catch (error) {
      const field = unknownReference(error);
      if (field) return { kind: "unknown_reference", field };
      if (attempt >= 2 || !isTransient(error) || clock() - started > RETRY_BUDGET_MS) throw error;
      // The connection failed (no answer, or a socket error): retry on a new one, not on an idle one of its age.
      fresh = isConnectionFatal(error);
      await new Promise((r) => setTimeout(r, options.retryDelayMs ?? 200));
    }
  }
}

/** A tedious connection that knows when it ended, and when its login token expires. */
export class TrackedConnection implements PooledConnection {
  private ended = false;
  readonly expiresAt: number | undefined;
  constructor(readonly connection: Connection) {
    this.expiresAt = loginTokenExpiresAt(connection);
    connection.on("end", () => (this.ended = true));
    connection.on("error", () => (this.ended = true));
  }
  get broken(): boolean {
    return this.ended;
  }
  close(): void {
    this.connection.close();
  }
}

/** Runs the batch on a connection, with typed parameters matching dbo.Payment's columns (no implicit conversion). */
export function runInsert(
  connection: Pick<Connection, "execSql">,
  r: CreatePaymentRequest,
  requestToken: Buffer,
): Promise<StoredPaymentRow | undefined> {
  return new Promise((resolve, reject) => {
    let row: StoredPaymentRow | undefined;
    // tedious turns a DONE token flagged with an error but carrying no error message into "UNKNOWN"; if the server
    // flags the duplicate the CATCH swallowed that way, the row read back is still the answer.
    const request = new Request(INSERT_PAYMENT_SQL, (err) =>
      err && !(row && (err as { code?: string }).code === "UNKNOWN") ? reject(err) : resolve(row),
    );
    request.addParameter("MerchantId", TYPES.BigInt, r.merchantId);
    request.addParameter("PaymentMethodId", TYPES.BigInt, r.paymentMethodId);
    request.addParameter("IdempotencyKey", TYPES.VarChar, r.idempotencyKey, { length: 64 });
    request.addParameter("AmountMinor", TYPES.BigInt, r.amountMinor);
    request.addParameter("CurrencyCode", TYPES.Char, r.currencyCode, { length: 3 });
    request.addParameter("CreatedByRequest", TYPES.Binary, requestToken, { length: REQUEST_TOKEN_BYTES });
    request.on("row", (columns: { metadata: { colName: string }; value: unknown }[]) => {
      row ??= Object.fromEntries(columns.map((c) => [c.metadata.colName, c.value])) as unknown as StoredPaymentRow;
    });
    connection.execSql(request);
  });
}

/** The process's writer: pooled connections to the payments database with the app's managed identity. */
export function pooledPaymentWriter(target: TdsTarget, tokens: Pick<ManagedIdentityTokens, "token">): PaymentWriter {
  const pool = new TdsPool<TrackedConnection>({
    ...POOL_DEFAULTS,
    acquireTimeoutMs: PAYMENT_LIMITS.acquireTimeoutMs,
    // No login retries inside tedious: storePayment retries the whole write, within its budget.
    open: async () => new TrackedConnection(await connectTds(target, tokens, { ...PAYMENT_LIMITS, loginRetries: 0 })),
  });
  return (request, requestToken, options) =>
    pool.use((c) => runInsert(c.connection, request, requestToken), isConnectionFatal, options);
}
