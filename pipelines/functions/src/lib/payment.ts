/**
 * The payment API's request contract (POST /api/payments), the dbo.Payment columns (pipelines/model/oltp.ts) and the
 * API log item (api_logs container). Pure: no I/O.
 */

/** What a merchant sends. Amounts are integer minor units (no floating point), currency ISO 4217. */
export interface CreatePaymentRequest {
  readonly merchantId: number;
  readonly paymentMethodId: number;
  /** Merchant-supplied key: one payment per (merchant, key) — UQ_Payment_MerchantId_IdempotencyKey. */
  readonly idempotencyKey: string;
  readonly amountMinor: number;
  readonly currencyCode: string;
}

/** The dbo.Payment columns the API sets (lib/paymentStore.ts); PaymentId (identity), Status ('pending'), timestamps are defaults. */
export interface PaymentRow {
  readonly MerchantId: number;
  readonly PaymentMethodId: number;
  readonly IdempotencyKey: string;
  readonly AmountMinor: number;
  readonly CurrencyCode: string;
}

/** A row as the SQL trigger delivers it (the columns the scorer reads). */
export interface PaymentChangeRow extends PaymentRow {
  readonly PaymentId: number;
  readonly Status: string;
  readonly CreatedAt: string;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{1,64}$/;
/** A caller's correlation id worth keeping: a short token (a UUID, a trace id), never free text. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** A field name safe to repeat in an error and the API log: an identifier with no long digit run (no PAN). */
const SAFE_FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A canonical UUID (a common idempotency key and correlation id): never a card number, whatever its digit groups. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** The Luhn check every payment card number passes (ISO/IEC 7812-1). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let n = Number(digits[i]);
    if (double) n = n * 2 > 9 ? n * 2 - 9 : n * 2;
    sum += n;
  }
  return sum % 10 === 0;
}

/**
 * Whether text may hold a payment card number (PCI DSS: such text never reaches a log): a run of 13 to 19 digits
 * that starts as the card brands' numbers do (2 to 6: Mastercard, American Express, Diners and JCB, Visa, Mastercard
 * and Maestro, Discover and UnionPay) and passes the Luhn check, as card data discovery tools test. Digit groups
 * joined by spaces, dashes, dots or underscores count as one number (`4111 1111 1111 1111`, `4111.1111.…`), and a run
 * glued to letters counts too (`card_4111111111111111`). Canonical UUIDs are left out first. Without the brand digit
 * and the Luhn check, common keys were refused: epoch milliseconds (`order-1733325872000`) and about one UUID in
 * 1,700 (`…-9484-274081935147` joins into 16 digits).
 */
export function looksLikePan(text: string): boolean {
  const bare = text.replace(UUID, " ");
  // As written, and with digit groups joined (a joined group may also swallow a neighbouring number: both are tried).
  return [bare, bare.replace(/(?<=\d)[\s._-]+(?=\d)/g, "")].some((t) =>
    [...t.matchAll(/(?<!\d)[2-6]\d{12,18}(?!\d)/g)].some((run) => luhnValid(run[0])),
  );
}

/**
 * The largest id or amount the API takes: 12 digits. A card number has 13 to 19, so a number sent in a numeric field
 * can never be one (it would reach the log's partition key, an error message or the business events otherwise).
 * dbo.Payment's ids are BIGINT identities and amounts minor units: 999,999,999,999 of either is far off.
 */
export const MAX_REQUEST_NUMBER = 999_999_999_999;

/** A positive whole number of at most 12 digits (`MAX_REQUEST_NUMBER`): an id or an amount the API accepts. */
export function isRequestNumber(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= MAX_REQUEST_NUMBER;
}

/** A field name as an error may repeat it: the name itself, or a placeholder when it could carry data. */
export function fieldLabel(key: string): string {
  return SAFE_FIELD_NAME.test(key) && !/\d{6}/.test(key) ? key : "a field whose name is not an identifier";
}

/**
 * The correlation id of the API log: the caller's `x-correlation-id` when it is a short token that cannot be a card
 * number, otherwise the invocation id (the header is free text the caller controls, and the log keeps it 30 days).
 */
export function correlationIdOf(header: string | null | undefined, invocationId: string): string {
  return header && CORRELATION_ID.test(header) && !looksLikePan(header) ? header : invocationId;
}
const CURRENCY = /^[A-Z]{3}$/;

/** Validates a request body; returns the request or the list of problems (each naming the field). */
export function parseCreatePayment(
  body: unknown,
): { ok: true; request: CreatePaymentRequest } | { ok: false; problems: string[] } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { ok: false, problems: ["body must be a JSON object"] };
  }
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  if (!isRequestNumber(b.merchantId)) problems.push("merchantId must be a positive integer of at most 12 digits");
  if (!isRequestNumber(b.paymentMethodId))
    problems.push("paymentMethodId must be a positive integer of at most 12 digits");
  if (typeof b.idempotencyKey !== "string" || !IDEMPOTENCY_KEY.test(b.idempotencyKey))
    problems.push("idempotencyKey must be 1-64 characters: letters, digits, '-' or '_'");
  if (!isRequestNumber(b.amountMinor))
    problems.push("amountMinor must be a positive integer of at most 12 digits (minor units)");
  if (typeof b.currencyCode !== "string" || !CURRENCY.test(b.currencyCode))
    problems.push("currencyCode must be an ISO 4217 code in upper case, e.g. EUR");
  // Card data never enters this API (PCI DSS: the platform only sees vault tokens): refuse anything like a PAN.
  // Problems name fields, never values; a field name that could carry data is not repeated either (the problems go to
  // the API log).
  for (const [key, value] of Object.entries(b)) {
    if (((typeof value === "string" || typeof value === "number") && looksLikePan(String(value))) || looksLikePan(key))
      problems.push(`${fieldLabel(key)} looks like a card number: send the payment method id, never a PAN`);
  }
  const known = new Set(["merchantId", "paymentMethodId", "idempotencyKey", "amountMinor", "currencyCode"]);
  for (const key of Object.keys(b))
    if (!known.has(key) && !looksLikePan(key)) problems.push(`${fieldLabel(key)} is not a field of the request`);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    request: {
      merchantId: b.merchantId as number,
      paymentMethodId: b.paymentMethodId as number,
      idempotencyKey: b.idempotencyKey as string,
      amountMinor: b.amountMinor as number,
      currencyCode: b.currencyCode as string,
    },
  };
}

/** An api_logs item (partition key [/merchantId, /id]; indexed: merchantId, timestamp, statusCode, endpoint, correlationId). */
export interface ApiLogItem {
  readonly id: string;
  readonly merchantId: string;
  readonly timestamp: string;
  readonly endpoint: string;
  readonly method: string;
  readonly statusCode: number;
  readonly latencyMs: number;
  readonly correlationId: string;
  readonly idempotencyKey?: string;
  readonly problems?: readonly string[];
}

/**
 * The log item of one API call. Only identifiers and outcome: no request body, no personal data, no card data (the
 * correlation id is checked by `correlationIdOf`, problems name fields through `fieldLabel`).
 */
export function apiLogItem(args: {
  readonly invocationId: string;
  readonly merchantId: number | string | undefined;
  readonly endpoint: string;
  readonly method: string;
  readonly statusCode: number;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly correlationId?: string;
  readonly idempotencyKey?: string;
  readonly problems?: readonly string[];
}): ApiLogItem {
  return {
    id: args.invocationId,
    // Unauthenticated garbage still gets logged, under a fixed partition value.
    merchantId: args.merchantId === undefined ? "unknown" : String(args.merchantId),
    timestamp: args.finishedAt.toISOString(),
    endpoint: args.endpoint,
    method: args.method,
    statusCode: args.statusCode,
    latencyMs: Math.max(0, args.finishedAt.getTime() - args.startedAt.getTime()),
    correlationId: args.correlationId ?? args.invocationId,
    ...(args.idempotencyKey ? { idempotencyKey: args.idempotencyKey } : {}),
    ...(args.problems && args.problems.length > 0 ? { problems: args.problems } : {}),
  };
}
