/**
 * Entry point of the function package (package.json `main`). One package serves the two apps of flow 1 and the
 * streaming app of flow 3 (change-feed relay and Synapse loader); the app's FUNCTIONS_APP_ROLE setting (set by
 * components/ingestion/ and components/streaming) decides which functions it registers, so the payment API never
 * runs the SQL trigger, the scorer exposes no HTTP route and the streaming app serves no HTTP at all.
 */
import { app } from "@azure/functions";
import { registerApiPerformanceLoader } from "./functions/apiPerformanceLoader";
import { registerChangeFeedRelay } from "./functions/changeFeedRelay";
import { registerFraudScoring } from "./functions/fraudScoring";
import { registerMerchantFeatures } from "./functions/merchantFeatures";
import { registerPaymentApi } from "./functions/paymentApi";

export const APP_ROLES = {
  "payment-api": registerPaymentApi,
  "fraud-scoring": () => {
    registerFraudScoring();
    registerMerchantFeatures();
  },
  // Flow 3 (components/streaming): api_logs change feed -> Event Hubs api-logs; and Event Hubs api-performance (the
  // Stream Analytics job's rows) -> Synapse.
  streaming: () => {
    registerChangeFeedRelay();
    registerApiPerformanceLoader();
  },
} as const;

const role = process.env.FUNCTIONS_APP_ROLE;
const register = role ? APP_ROLES[role as keyof typeof APP_ROLES] : undefined;
if (!register) {
  throw new Error(`FUNCTIONS_APP_ROLE must be one of ${Object.keys(APP_ROLES).join(", ")}; got '${role ?? ""}'`);
}
app.setup({ enableHttpStream: false });
register();
