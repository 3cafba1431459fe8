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

/**
 * Tokens that are identifiers, never card numbers, whatever digit runs they hold: canonical UUIDs, and hex strings
 * with a letter at an identifier's length: 16 (span ids), 24 (object ids), 32 (dashless UUIDs, trace ids, MD5), 40
 * (SHA-1), 64 (SHA-256). Only those lengths: a card number glued to a few hex letters (`cc4111111111111111`) is not
 * an identifier and stays visible. The accepted gap: a card number inside a hex-only token of exactly such a length
 * (`deadbeef4111111111111111deadbeef`, or a 15-digit one with one letter) passes as an identifier. Screening the
 * digit runs inside them too would refuse one random hex key in about 1,260 (32 characters) to 490 (64), measured
 * with this file's card checks, and refuse it again on every retry with the same key; a merchant's real key is a
 * hash or an id, not a card number framed in hex.
 */
const IDENTIFIER_TOKENS = [
  // A whole UUID only: one glued to more hex (`4111111111111111-0000-0000-0000-000000000042`, a card number then
  // 4-4-4-12; or a 16-digit last group) would otherwise blank part of a card number before it is screened.
  /(?<![0-9a-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-z])/gi,
  /(?<![0-9a-z])(?=[0-9a-f]*[a-f])(?:[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32}|[0-9a-f]{24}|[0-9a-f]{16})(?![0-9a-z])/gi,
];

/**
 * How the card brands' numbers start (ISO/IEC 7812 issuer ranges of the brands PCI DSS covers, and UnionPay's 81):
 * Mir 2200-2204 and Mastercard 2221-2720 (22-27), American Express, Diners and JCB (3), Visa (4), Mastercard and
 * Maestro (5), Discover, UnionPay and Maestro (6), UnionPay (81). Not 1, 20, 21, 7, 80, 82-99 or 0: a year (2026…),
 * an epoch time (17…) or an order number starting so is never taken for one.
 */
const CARD_PREFIX = /^(?:2[2-7]|[3-6]|81)/;

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
 * Whether text may hold a payment card number (PCI DSS: such text never reaches a log): 13 to 19 digits that start as
 * a card brand's do (`CARD_PREFIX`) and pass the Luhn check, as card data discovery tools test. Digits may be written
 * in groups separated by spaces, dashes, dots, colons or underscores (`4111 1111 1111 1111`, and a correlation id's
 * `req:4111:1111:1111:1111`), next to other numbers
 * (`ref 12 4111 1111 1111 1111 exp 12 26`: every run of consecutive groups is tried) or glued to letters
 * (`card_4111111111111111`). Identifier tokens (`IDENTIFIER_TOKENS`) are left out first. Without the brand prefix,
 * the Luhn check and the identifiers left out, common keys were refused: epoch milliseconds, year-prefixed order
 * numbers, one dashed UUID in 1,700, one dashless UUID or hash in 500-1,000.
 */
export function looksLikePan(text: string): boolean {
  const bare = IDENTIFIER_TOKENS.reduce((t, re) => t.replace(re, " "), text);
  for (const sequence of bare.match(/\d+(?:[\s._:-]+\d+)*/g) ?? []) {
    const groups = sequence.split(/[\s._:-]+/);
    for (let i = 0; i < groups.length; i++) {
      let digits = "";
      for (let j = i; j < groups.length && digits.length < 19; j++) {
        digits += groups[j];
        if (digits.length >= 13 && digits.length <= 19 && CARD_PREFIX.test(digits) && luhnValid(digits)) return true;
      }
    }
  }
  return false;
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

/**
 * A field name as an error may repeat it: the name itself, or a placeholder when it could carry data (a long digit
 * run, or a card number however grouped: `card_4111_1111_1111_1111`).
 */
export function fieldLabel(key: string): string {
  return SAFE_FIELD_NAME.test(key) && !/\d{6}/.test(key) && !looksLikePan(key)
    ? key
    : "a field whose name is not an identifier";
}

/**
 * The correlation id of the API log: the caller's `x-correlation-id` when it is a short token that cannot be a card
 * number, otherwise the invocation id (the header is free text the caller controls, and the log keeps it 30 days).
 */
export function correlationIdOf(header: string | null | undefined, invocationId: string): string {
  return header && CORRELATION_ID.test(header) && !looksLikePan(header) ? header : invocationId;
}
const CURRENCY = /^[A-Z]{3}$/;

/** Fields a request body may have before it is refused as a whole, unscreened (a request has 5). */
export const MAX_REQUEST_FIELDS = 20;
/** Problems an answer (and its API log item) lists at most; the last says how many more there were. */
export const MAX_PROBLEMS = 10;

/** Validates a request body; returns the request or the list of problems (each naming the field). */
export function parseCreatePayment(
  body: unknown,
): { ok: true; request: CreatePaymentRequest } | { ok: false; problems: string[] } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { ok: false, problems: ["body must be a JSON object"] };
  }
  const b = body as Record<string, unknown>;
  // A request has five fields: a body of many is refused as a whole, before each is screened (the WAF admits 128 KB,
  // about 12,600 short fields, whose problems would make a ~1 MB answer and API log item, ~625 RU each).
  const fields = Object.keys(b).length;
  if (fields > MAX_REQUEST_FIELDS)
    return {
      ok: false,
      problems: [`body has ${fields} fields; a payment request has 5 (at most ${MAX_REQUEST_FIELDS} are read)`],
    };
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
  if (problems.length > MAX_PROBLEMS)
    return {
      ok: false,
      problems: [...problems.slice(0, MAX_PROBLEMS - 1), `and ${problems.length - MAX_PROBLEMS + 1} more problems`],
    };
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
