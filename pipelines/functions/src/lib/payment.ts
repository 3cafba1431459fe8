/**
 * The payment API's request contract (POST /api/payments) and what it writes: the dbo.Payment row (the column
 * names of pipelines/model/oltp.ts) and the API log item (api_logs container). Pure: no I/O.
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

/** The dbo.Payment columns the API sets; PaymentId (identity), Status ('pending'), timestamps are defaults. */
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
const CURRENCY = /^[A-Z]{3}$/;
const positiveId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** Validates a request body; returns the request or the list of problems (each naming the field). */
export function parseCreatePayment(
  body: unknown,
): { ok: true; request: CreatePaymentRequest } | { ok: false; problems: string[] } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { ok: false, problems: ["body must be a JSON object"] };
  }
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  if (!positiveId(b.merchantId)) problems.push("merchantId must be a positive integer");
  if (!positiveId(b.paymentMethodId)) problems.push("paymentMethodId must be a positive integer");
  if (typeof b.idempotencyKey !== "string" || !IDEMPOTENCY_KEY.test(b.idempotencyKey))
    problems.push("idempotencyKey must be 1-64 characters: letters, digits, '-' or '_'");
  if (!positiveId(b.amountMinor)) problems.push("amountMinor must be a positive integer (minor units)");
  if (typeof b.currencyCode !== "string" || !CURRENCY.test(b.currencyCode))
    problems.push("currencyCode must be an ISO 4217 code in upper case, e.g. EUR");
  // Card data never enters this API (PCI DSS: the platform only sees vault tokens): refuse anything like a PAN.
  for (const [key, value] of Object.entries(b)) {
    if (typeof value === "string" && /\b\d{13,19}\b/.test(value.replace(/[\s-]/g, "")))
      problems.push(`${key} looks like a card number: send the payment method id, never a PAN`);
  }
  const known = new Set(["merchantId", "paymentMethodId", "idempotencyKey", "amountMinor", "currencyCode"]);
  for (const key of Object.keys(b)) if (!known.has(key)) problems.push(`${key} is not a field of the request`);
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

/** The row the SQL output binding inserts into dbo.Payment. */
export function paymentRow(r: CreatePaymentRequest): PaymentRow {
  return {
    MerchantId: r.merchantId,
    PaymentMethodId: r.paymentMethodId,
    IdempotencyKey: r.idempotencyKey,
    AmountMinor: r.amountMinor,
    CurrencyCode: r.currencyCode,
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

/** The log item of one API call. Only identifiers and outcome: no request body, no personal data. */
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
