// The materialized views the dashboards read (pipelines/model/olap.ts assembles the model).
import type { MaterializedView } from "./types";

/** SUM of a fact column, under the same name. */
const sumOf = (column: string) => ({ name: column, aggregate: "SUM" as const, column });

/** Materialized views the dashboards read (validate/ checks them against Synapse's restrictions). */
export const materializedViews: MaterializedView[] = [
  {
    schema: "dbo",
    name: "mv_Payment_DailyByMerchant",
    description:
      "Business dashboard: payments, volume, captures, refunds and disputes per day, merchant, currency and status.",
    fact: "Fact_Payment",
    groupBy: ["DateKey", "MerchantKey", "CurrencyCode", "PaymentStatusCode"],
    measures: [
      { name: "PaymentCount", aggregate: "COUNT_BIG" },
      sumOf("AmountMinor"),
      sumOf("CapturedAmountMinor"),
      sumOf("RefundedAmountMinor"),
      sumOf("RefundCount"),
      sumOf("DisputeCount"),
    ],
    distribution: { kind: "HASH", column: "MerchantKey" },
    rationale:
      "HASH(MerchantKey): merchant dashboards read one distribution; a big merchant adds at most one row per day, " +
      "currency and status, so volume cannot skew the view the way it would skew the fact.",
  },
  {
    schema: "dbo",
    name: "mv_API_Performance_Hourly",
    description:
      "API dashboard: requests, errors and total latency per hour, merchant and endpoint (error rate and average " +
      "latency = ratios of the sums; percentiles come from the minute rows of the fact).",
    fact: "Fact_API_Performance",
    groupBy: ["DateKey", "HourOfDay", "MerchantKey", "HttpMethod", "Endpoint"],
    measures: [
      sumOf("RequestCount"),
      sumOf("ErrorCount"),
      sumOf("ClientErrorCount"),
      sumOf("LatencySumMs"),
      { name: "MinuteCount", aggregate: "COUNT_BIG" },
    ],
    distribution: { kind: "HASH", column: "MerchantKey" },
    rationale:
      "HASH(MerchantKey): per-merchant API dashboards read one distribution; hourly rows bound the skew of " +
      "unauthenticated traffic (MerchantKey 0) to 24 rows per endpoint and day.",
  },
];
