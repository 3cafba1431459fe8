/**
 * The payment API app (behind the Application Gateway; reachable only through its private endpoint):
 * `POST /api/payments` validates the request, inserts the payment into dbo.Payment (SQL output binding, managed
 * identity) and logs the call to api_logs (Cosmos DB output binding, managed identity); `GET /api/health` is the
 * gateway's probe. Scoring happens next, in the fraud scoring app, triggered by the insert.
 */
import { app, output, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { apiLogItem, parseCreatePayment, paymentRow } from "../lib/payment";
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
  const correlationId = request.headers.get("x-correlation-id") ?? undefined;
  const merchantId = (body as { merchantId?: number } | undefined)?.merchantId;
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
  if (!parsed.ok) {
    context.extraOutputs.set(apiLogs, log(400, { problems: parsed.problems }));
    return { status: 400, jsonBody: { error: "invalid_request", problems: parsed.problems } };
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
    // Only the gateway reaches the app (public network access is off); merchants are authenticated at the edge.
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
