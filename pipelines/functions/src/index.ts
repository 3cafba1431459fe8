/**
 * Entry point of the function package (package.json `main`). One package serves both apps of flow 1; the app's
 * FUNCTIONS_APP_ROLE setting (set by components/ingestion.ts) decides which functions it registers, so the payment
 * API never runs the SQL trigger and the scorer exposes no HTTP route.
 */
import { app } from "@azure/functions";
import { registerFraudScoring } from "./functions/fraudScoring";
import { registerPaymentApi } from "./functions/paymentApi";

export const APP_ROLES = { "payment-api": registerPaymentApi, "fraud-scoring": registerFraudScoring } as const;

const role = process.env.FUNCTIONS_APP_ROLE;
const register = role ? APP_ROLES[role as keyof typeof APP_ROLES] : undefined;
if (!register) {
  throw new Error(`FUNCTIONS_APP_ROLE must be one of ${Object.keys(APP_ROLES).join(", ")}; got '${role ?? ""}'`);
}
app.setup({ enableHttpStream: false });
register();
