/** Fakes of the Functions host and the apps' environment, shared by the handler and load-profile tests. */
import type { InvocationContext, SqlChange } from "@azure/functions";
import type { PaymentChangeRow } from "../../../pipelines/functions/src/lib/payment";

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
