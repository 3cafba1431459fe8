/** Fakes of the Functions host and the apps' environment, shared by the handler and load-profile tests. */
import type { InvocationContext, SqlChange } from "@azure/functions";
import type { CreatePaymentRequest, PaymentChangeRow } from "../../../pipelines/functions/src/lib/payment";
import { paymentHandler } from "../../../pipelines/functions/src/functions/paymentApi";
import type { PaymentWriter, StoredPaymentRow } from "../../../pipelines/functions/src/lib/paymentStore";

/** A context that records extra outputs by the output's container setting, warnings and log lines. */
export function fakeContext(invocationId = "inv-9") {
  const outputs = new Map<string, unknown>();
  const warnings: string[] = [];
  const logs: string[] = [];
  const context = {
    invocationId,
    warn: (m: string) => warnings.push(m),
    log: (m: string) => logs.push(m),
    extraOutputs: {
      set: (o: { containerName?: string; commandText?: string }, v: unknown) =>
        outputs.set(String(o.containerName ?? o.commandText), v),
      get: () => undefined,
    },
  } as unknown as InvocationContext;
  return { context, outputs, warnings, logs };
}

/** The fraud scoring app's settings as the ingestion tier sets them. */
export const scoringEnv = {
  IDENTITY_ENDPOINT: "http://localhost/msi",
  IDENTITY_HEADER: "h",
  AZURE_CLIENT_ID: "client",
  CosmosDb__accountEndpoint: "https://acct.documents.azure.com:443/",
  COSMOS_DATABASE: "payments",
  COSMOS_CONTAINER_FRAUD_FEATURES: "fraud_features",
  FRAUD_SCORING_URI: "https://ep.westeurope.inference.ml.azure.com/score",
  FRAUD_SCORING_TIMEOUT_MS: "80",
};

/** One row of the Azure SQL trigger's batch (0 = insert). */
export const change = (p: PaymentChangeRow, Operation = 0) => ({ Item: p, Operation }) as SqlChange<PaymentChangeRow>;

/** A new pending payment as the SQL trigger reports it (dbo.Payment columns). */
export const payment = (over: Partial<PaymentChangeRow> = {}): PaymentChangeRow => ({
  PaymentId: 1,
  MerchantId: 42,
  PaymentMethodId: 7,
  IdempotencyKey: "order-1",
  AmountMinor: 1000,
  CurrencyCode: "EUR",
  Status: "pending",
  CreatedAt: "2026-12-02T10:00:00.000Z",
  ...over,
});

/**
 * dbo.Payment as the payment API's writer sees it: inserts a row per (merchant, key) and returns the stored row for a
 * key already used, like INSERT_PAYMENT_SQL does (lib/paymentStore.ts). `fail` makes the next writes throw.
 */
export function fakePaymentTable() {
  const rows = new Map<string, StoredPaymentRow & { MerchantId: number; IdempotencyKey: string }>();
  const inserts: CreatePaymentRequest[] = [];
  const failures: unknown[] = [];
  let nextId = 1000;
  const write: PaymentWriter = async (r) => {
    const failure = failures.shift();
    if (failure !== undefined) throw failure;
    const key = `${r.merchantId}/${r.idempotencyKey}`;
    const existing = rows.get(key);
    if (existing) return { ...existing, Created: false };
    inserts.push(r);
    const row = {
      PaymentId: String(nextId++),
      MerchantId: r.merchantId,
      IdempotencyKey: r.idempotencyKey,
      PaymentMethodId: String(r.paymentMethodId),
      AmountMinor: String(r.amountMinor),
      CurrencyCode: r.currencyCode,
      Status: "pending",
      Created: true,
    };
    rows.set(key, row);
    return row;
  };
  return { write, rows, inserts, fail: (...errors: unknown[]) => failures.push(...errors) };
}

/** The payment API's handler over a fake dbo.Payment (and a clock that advances 3 ms per reading). */
export function paymentApiOver(table: ReturnType<typeof fakePaymentTable>) {
  let t = 0;
  return paymentHandler({ writer: () => table.write, clock: () => (t += 3) });
}
