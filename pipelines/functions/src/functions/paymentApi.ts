/**
 * The payment API app (behind the Application Gateway; reachable only through its private endpoint):
 * `POST /api/payments` authenticates the merchant (the client certificate the gateway verified, lib/merchantAuth.ts),
 * validates the request, inserts the payment into dbo.Payment (SQL output binding, managed
 * identity) and logs the call to api_logs (Cosmos DB output binding, managed identity); `GET /api/health` is the
 * gateway's probe. Scoring happens next, in the fraud scoring app, triggered by the insert.
 */
import { app, output, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { merchantAuthenticationMode, merchantFromCertificate } from "../lib/merchantAuth";
import { apiLogItem, correlationIdOf, parseCreatePayment, paymentRow } from "../lib/payment";
import { businessEvent } from "../lib/telemetry";

const paymentsTable = output.sql({ commandText: "dbo.Payment", connectionStringSetting: "SqlConnection" });
const apiLogs = output.cosmosDB({
  connection: "CosmosDb",
  databaseName: "%COSMOS_DATABASE%",
  containerName: "%COSMOS_CONTAINER_API_LOGS%",
  createIfNotExists: false,
});

export async function createPayment(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const startedAt = new Date();
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    body = undefined;
  }
  const parsed = parseCreatePayment(body);
  const correlationId = correlationIdOf(request.headers.get("x-correlation-id"), context.invocationId);
  const caller = merchantFromCertificate(merchantAuthenticationMode(process.env), (h) => request.headers.get(h));
  const claimed = (body as { merchantId?: number } | undefined)?.merchantId;
  // The log's partition: the authenticated merchant, else what the body claims.
  const merchantId = caller.ok && caller.merchantId !== undefined ? caller.merchantId : claimed;
  const log = (statusCode: number, extra: { idempotencyKey?: string; problems?: string[] } = {}) =>
    apiLogItem({
      invocationId: context.invocationId,
      merchantId: typeof merchantId === "number" ? merchantId : undefined,
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
  // A merchant creates payments for itself only.
  if (caller.merchantId !== undefined && parsed.request.merchantId !== caller.merchantId) {
    const detail = `merchantId ${parsed.request.merchantId} is not the certificate's merchant (${caller.merchantId})`;
    context.extraOutputs.set(apiLogs, log(403, { problems: [detail] }));
    return { status: 403, jsonBody: { error: "merchant_mismatch", problems: [detail] } };
  }
  // A second request with the same (merchant, idempotency key) fails the insert on
  // UQ_Payment_MerchantId_IdempotencyKey: the payment exists once.
  context.extraOutputs.set(paymentsTable, paymentRow(parsed.request));
  context.extraOutputs.set(apiLogs, log(202, { idempotencyKey: parsed.request.idempotencyKey }));
  // Revenue in the business workbook (AppTraces; components/operations/workbooks.ts).
  context.log(
    businessEvent("payment.accepted", {
      amountMinor: parsed.request.amountMinor,
      currencyCode: parsed.request.currencyCode,
    }),
  );
  return {
    status: 202,
    jsonBody: {
      status: "pending",
      merchantId: parsed.request.merchantId,
      idempotencyKey: parsed.request.idempotencyKey,
      // The outcome arrives as a payment.fraud_scored webhook event.
    },
  };
}

export function registerPaymentApi(): void {
  app.http("createPayment", {
    route: "payments",
    methods: ["POST"],
    // Only the gateway reaches the app (public network access is off). No function key: the merchant is
    // authenticated by the client certificate the gateway verifies, checked above (lib/merchantAuth.ts).
    authLevel: "anonymous",
    extraOutputs: [paymentsTable, apiLogs],
    handler: createPayment,
  });
  app.http("health", {
    route: "health",
    methods: ["GET"],
    authLevel: "anonymous",
    handler: async () => ({ status: 200, jsonBody: { status: "ok" } }),
  });
}
