/**
 * The payment API app (behind the Application Gateway; reachable only through its private endpoint):
 * `POST /api/payments` authenticates the merchant (the client certificate the gateway verified, lib/merchantAuth.ts),
 * validates the request, stores the payment in dbo.Payment (lib/paymentStore.ts: pooled TDS connections with the
 * app's managed identity, idempotent on the merchant's key) and logs the call to api_logs (Cosmos DB output binding,
 * managed identity); `GET /api/health` is the gateway's probe. Scoring happens next, in the fraud scoring app,
 * triggered by the insert.
 *
 * Answers: 202 for a new payment; 200 with `Idempotent-Replayed: true` and the same payment for a retry (same key,
 * same fields); 422 for a key reused with other fields or a merchant, payment method or currency that does not exist
 * (draft-ietf-httpapi-idempotency-key-header §2.7 asks 422 for a reused key); 503 with `Retry-After` when the database
 * could not be reached or the instance has no connection free (retrying with the same key is safe), 500 for any other
 * failure of the write.
 */
import { app, output, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { performance } from "node:perf_hooks";
import { ManagedIdentityTokens, TokenUnavailableError } from "../lib/azure";
import { merchantAuthenticationMode, merchantFromCertificate } from "../lib/merchantAuth";
import { apiLogItem, correlationIdOf, isRequestNumber, parseCreatePayment } from "../lib/payment";
import {
  isTransient,
  pooledPaymentWriter,
  storePayment,
  type PaymentWriter,
  type StoreOutcome,
} from "../lib/paymentStore";
import { parseSqlConnection } from "../lib/tds";
import { PoolTimeoutError } from "../lib/tdsPool";
import { businessEvent } from "../lib/telemetry";

const apiLogs = output.cosmosDB({
  connection: "CosmosDb",
  databaseName: "%COSMOS_DATABASE%",
  containerName: "%COSMOS_CONTAINER_API_LOGS%",
  createIfNotExists: false,
});

/** Seconds a merchant waits before retrying a 503 (the write is retried once inside the request already). */
export const RETRY_AFTER_SECONDS = 1;

/** What the handler needs from its process: its settings, the database writer and a clock in milliseconds. */
export interface PaymentApiDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly writer: () => PaymentWriter;
  readonly clock: () => number;
}

let processWriter: PaymentWriter | undefined;
/** The process's pooled writer, built on first use from the app's settings (`SqlConnection`, managed identity). */
function defaultWriter(): PaymentWriter {
  processWriter ??= pooledPaymentWriter(
    parseSqlConnection(process.env.SqlConnection ?? ""),
    ManagedIdentityTokens.fromEnvironment(process.env, fetch),
  );
  return processWriter;
}

const DEFAULT_DEPS: PaymentApiDeps = { env: process.env, writer: defaultWriter, clock: () => performance.now() };

/** The response body of a stored payment (new or replayed). */
function paymentBody(merchantId: number, idempotencyKey: string, paymentId: string, status: string) {
  return { status, paymentId, merchantId, idempotencyKey };
}

export function paymentHandler(deps: PaymentApiDeps = DEFAULT_DEPS) {
  return async function createPayment(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const startedAt = new Date();
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      body = undefined;
    }
    const parsed = parseCreatePayment(body);
    const correlationId = correlationIdOf(request.headers.get("x-correlation-id"), context.invocationId);
    const caller = merchantFromCertificate(merchantAuthenticationMode(deps.env), (h) => request.headers.get(h));
    const claimed = (body as { merchantId?: unknown } | undefined)?.merchantId;
    // The log's partition: the authenticated merchant, else (merchant authentication off) what the body claims if it
    // is an id the API takes (never a 13-digit or longer number, which could be a card number and would travel on to
    // the relay and Synapse). A caller whose certificate was refused is nobody's: its call is not counted under the
    // merchant its body names.
    const merchantId = !caller.ok
      ? undefined
      : caller.merchantId !== undefined
        ? caller.merchantId
        : isRequestNumber(claimed)
          ? claimed
          : undefined;
    const log = (statusCode: number, extra: { idempotencyKey?: string; problems?: string[] } = {}) =>
      apiLogItem({
        invocationId: context.invocationId,
        merchantId,
        endpoint: "POST /api/payments",
        method: "POST",
        statusCode,
        startedAt,
        finishedAt: new Date(),
        correlationId,
        ...extra,
      });
    if (!caller.ok) {
      context.extraOutputs.set(apiLogs, log(caller.status, { problems: [caller.detail] }));
      return { status: caller.status, jsonBody: { error: caller.error, problems: [caller.detail] } };
    }
    if (!parsed.ok) {
      context.extraOutputs.set(apiLogs, log(400, { problems: parsed.problems }));
      return { status: 400, jsonBody: { error: "invalid_request", problems: parsed.problems } };
    }
    const req = parsed.request;
    // A merchant creates payments for itself only.
    if (caller.merchantId !== undefined && req.merchantId !== caller.merchantId) {
      const detail = `merchantId ${req.merchantId} is not the certificate's merchant (${caller.merchantId})`;
      context.extraOutputs.set(apiLogs, log(403, { problems: [detail] }));
      return { status: 403, jsonBody: { error: "merchant_mismatch", problems: [detail] } };
    }

    const keyed = { idempotencyKey: req.idempotencyKey };
    const t0 = deps.clock();
    const sqlMs = () => Math.max(0, Math.round(deps.clock() - t0));
    let outcome: StoreOutcome;
    try {
      outcome = await storePayment(req, deps.writer());
    } catch (error) {
      // The payment may or may not be stored (a timeout after the insert was sent): the same key finds out. A full
      // pool is an overloaded instance: 503 too, so the merchant comes back shortly.
      // So is a managed identity endpoint that throttles or does not answer: nothing reached the database.
      const transient =
        isTransient(error) || error instanceof PoolTimeoutError || error instanceof TokenUnavailableError;
      // A server's error is logged by its number, class and state, not its text: some messages quote the values sent
      // (2628, string truncation: "Truncated value: '…'"), and the request's values stay out of the logs. A
      // connection-level error (no number) has no request data in its text.
      const e = error as { number?: unknown; code?: unknown; class?: unknown; state?: unknown; message?: unknown };
      const detail =
        typeof e.number === "number"
          ? `class ${String(e.class ?? "-")}, state ${String(e.state ?? "-")}`
          : String(e.message ?? error);
      context.warn(
        `payment store failed (number ${String(e.number ?? "-")}, code ${String(e.code ?? "-")}): ${detail}`,
      );
      context.log(businessEvent("payment.store", { outcome: "failed", sqlMs: sqlMs() }));
      const status = transient ? 503 : 500;
      const problems = [`the payment may not be stored: retry with the same idempotencyKey`];
      context.extraOutputs.set(apiLogs, log(status, { ...keyed, problems }));
      return {
        status,
        ...(transient ? { headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } } : {}),
        jsonBody: { error: transient ? "payment_store_unavailable" : "payment_store_failed", problems },
      };
    }

    if (outcome.unchecked && !warnedUnchecked) {
      warnedUnchecked = true;
      context.warn(
        "payment.store: merchant status and currency not checked (SELECT denied): run pipelines/functions/sql/flow1_access.sql, whose column grants the payment API now reads",
      );
    }
    switch (outcome.kind) {
      case "created":
        context.extraOutputs.set(apiLogs, log(202, keyed));
        // Revenue in the business workbook and the OLTP latency alert (AppTraces; components/operations).
        context.log(
          businessEvent("payment.accepted", {
            amountMinor: req.amountMinor,
            currencyCode: req.currencyCode,
            sqlMs: sqlMs(),
          }),
        );
        // The outcome arrives as a payment.fraud_scored webhook event.
        return {
          status: 202,
          jsonBody: paymentBody(req.merchantId, req.idempotencyKey, outcome.paymentId, outcome.status),
        };
      case "replayed":
        // A retry: the payment exists once; 200 so that neither the API's payment rate nor revenue counts it twice.
        context.extraOutputs.set(apiLogs, log(200, keyed));
        context.log(businessEvent("payment.store", { outcome: "replayed", sqlMs: sqlMs() }));
        return {
          status: 200,
          headers: { "Idempotent-Replayed": "true" },
          jsonBody: paymentBody(req.merchantId, req.idempotencyKey, outcome.paymentId, outcome.status),
        };
      case "key_reused": {
        const problems = [
          `idempotencyKey already names payment ${outcome.paymentId}, whose ${outcome.fields.join(", ")} differ: use a new key for a new payment`,
        ];
        context.extraOutputs.set(apiLogs, log(422, { ...keyed, problems }));
        context.log(businessEvent("payment.store", { outcome: "key_reused", sqlMs: sqlMs() }));
        return { status: 422, jsonBody: { error: "idempotency_key_reused", problems } };
      }
      case "refused": {
        // A merchant that is not active may not take new payments (403); a currency no longer offered is the
        // request's (422).
        const merchant = outcome.reason === "merchant_not_active";
        const problems = [
          merchant
            ? `merchant ${req.merchantId} is not active: it cannot take new payments`
            : `currencyCode ${req.currencyCode} is no longer offered`,
        ];
        const status = merchant ? 403 : 422;
        context.extraOutputs.set(apiLogs, log(status, { ...keyed, problems }));
        context.log(businessEvent("payment.store", { outcome: outcome.reason, sqlMs: sqlMs() }));
        return { status, jsonBody: { error: outcome.reason, problems } };
      }
      case "unknown_reference": {
        const problems = [`${outcome.field} ${String(req[outcome.field])} does not exist`];
        context.extraOutputs.set(apiLogs, log(422, { ...keyed, problems }));
        context.log(businessEvent("payment.store", { outcome: "unknown_reference", sqlMs: sqlMs() }));
        return { status: 422, jsonBody: { error: "unknown_reference", problems } };
      }
    }
  };
}

/** One warning per instance while the access script's column grants are missing (INSERT_PAYMENT_SQL's `Unchecked`). */
let warnedUnchecked = false;

export const createPayment = paymentHandler();

export function registerPaymentApi(): void {
  app.http("createPayment", {
    route: "payments",
    methods: ["POST"],
    // Only the gateway reaches the app (public network access is off). No function key: the merchant is
    // authenticated by the client certificate the gateway verifies, checked above (lib/merchantAuth.ts).
    authLevel: "anonymous",
    extraOutputs: [apiLogs],
    handler: createPayment,
  });
  app.http("health", {
    route: "health",
    methods: ["GET"],
    authLevel: "anonymous",
    handler: async () => ({ status: 200, jsonBody: { status: "ok" } }),
  });
}
