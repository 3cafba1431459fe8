// How each star table is loaded: from the OLTP extract (nightly), the calendar, the status enum, or the streaming
// path (pipelines/model/olap.ts assembles the model).
import { paymentStatuses } from "./oltpColumns";
import type { TableMapping } from "./types";

const monthNames = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

const copy = (target: string, table: string, column: string = target) => ({
  target,
  source: { table, column },
  transform: { kind: "copy" as const },
});

export const olapMappings: TableMapping[] = [
  {
    kind: "calendar",
    target: "Dim_Date",
    from: "2015-01-01",
    to: "2040-12-31",
    description: "Calendar generated set-based in the pool by 11_olap_reference_data.sql; ISO weeks, Monday = 1.",
    columns: {
      DateKey: "YEAR([Date]) * 10000 + MONTH([Date]) * 100 + DAY([Date])",
      Date: "[Date]",
      Year: "YEAR([Date])",
      Quarter: "DATEPART(QUARTER, [Date])",
      Month: "MONTH([Date])",
      MonthName: `CASE MONTH([Date]) ${monthNames.map((m, i) => `WHEN ${i + 1} THEN '${m}'`).join(" ")} END`,
      DayOfMonth: "DAY([Date])",
      IsoWeek: "DATEPART(ISO_WEEK, [Date])",
      // 1900-01-01 was a Monday: independent of SET DATEFIRST and of the session language.
      IsoDayOfWeek: "DATEDIFF(DAY, CAST('19000101' AS DATE), [Date]) % 7 + 1",
      IsWeekend: "CASE WHEN DATEDIFF(DAY, CAST('19000101' AS DATE), [Date]) % 7 >= 5 THEN 1 ELSE 0 END",
    },
  },
  {
    kind: "oltp",
    target: "Dim_Merchant",
    root: "Merchant",
    joins: [],
    columns: [
      copy("MerchantKey", "Merchant", "MerchantId"),
      copy("MerchantCode", "Merchant"),
      copy("LegalName", "Merchant"),
      copy("DisplayName", "Merchant"),
      copy("MerchantCategoryCode", "Merchant"),
      copy("CountryCode", "Merchant"),
      copy("SettlementCurrencyCode", "Merchant"),
      copy("Status", "Merchant"),
      copy("OnboardedAt", "Merchant", "CreatedAt"),
    ],
  },
  {
    kind: "oltp",
    target: "Dim_Customer",
    root: "Customer",
    joins: [],
    columns: [
      copy("CustomerKey", "Customer", "CustomerId"),
      copy("BillingCountryCode", "Customer"),
      copy("CustomerSince", "Customer", "CreatedAt"),
      { target: "IsErased", source: { table: "Customer", column: "ErasedAt" }, transform: { kind: "isNotNull" } },
    ],
  },
  {
    kind: "oltp",
    target: "Dim_PaymentMethod",
    root: "PaymentMethod",
    joins: [],
    columns: [
      copy("PaymentMethodKey", "PaymentMethod", "PaymentMethodId"),
      copy("Brand", "PaymentMethod"),
      copy("Funding", "PaymentMethod"),
      copy("WalletType", "PaymentMethod"),
      copy("IssuerCountryCode", "PaymentMethod"),
      copy("CreatedAt", "PaymentMethod"),
    ],
  },
  {
    kind: "oltp",
    target: "Dim_Currency",
    root: "Currency",
    joins: [],
    columns: [
      copy("CurrencyCode", "Currency"),
      copy("Name", "Currency"),
      copy("MinorUnits", "Currency"),
      copy("IsActive", "Currency"),
    ],
  },
  {
    kind: "enum",
    target: "Dim_PaymentStatus",
    source: { table: "Payment", column: "Status" },
    keyColumn: "PaymentStatusCode",
    rows: Object.fromEntries(
      paymentStatuses.map((s) => [s.code, { IsFinal: s.isFinal, IsSuccessful: s.isSuccessful }]),
    ),
  },
  {
    kind: "oltp",
    target: "Fact_Payment",
    root: "Payment",
    joins: [
      {
        from: { table: "Payment", column: "PaymentMethodId" },
        to: { table: "PaymentMethod", column: "PaymentMethodId" },
      },
      { from: { table: "Payment", column: "PaymentId" }, to: { table: "Refund", column: "PaymentId" } },
      { from: { table: "Payment", column: "PaymentId" }, to: { table: "Dispute", column: "PaymentId" } },
    ],
    columns: [
      copy("PaymentId", "Payment"),
      {
        target: "DateKey",
        source: { table: "Payment", column: "CreatedAt" },
        transform: { kind: "dateKey", unknown: 0 },
      },
      copy("MerchantKey", "Payment", "MerchantId"),
      {
        target: "CustomerKey",
        source: { table: "PaymentMethod", column: "CustomerId" },
        transform: { kind: "unknownMember", value: 0 },
      },
      copy("PaymentMethodKey", "Payment", "PaymentMethodId"),
      copy("CurrencyCode", "Payment"),
      copy("PaymentStatusCode", "Payment", "Status"),
      copy("AmountMinor", "Payment"),
      copy("CapturedAmountMinor", "Payment"),
      {
        target: "RefundedAmountMinor",
        source: { table: "Refund", column: "AmountMinor" },
        transform: { kind: "sum", where: { column: "Status", in: ["succeeded"] } },
      },
      {
        target: "RefundCount",
        source: { table: "Refund", column: "RefundId" },
        transform: { kind: "count", where: { column: "Status", in: ["succeeded"] } },
      },
      { target: "DisputeCount", source: { table: "Dispute", column: "DisputeId" }, transform: { kind: "count" } },
      copy("CreatedAt", "Payment"),
      copy("AuthorizedAt", "Payment"),
      copy("CapturedAt", "Payment"),
      copy("UpdatedAt", "Payment"),
    ],
  },
  {
    kind: "stream",
    target: "Fact_API_Performance",
    source:
      "Cosmos DB container api_logs, its change feed relayed to the Stream Analytics job (the streaming tier), " +
      "one-minute tumbling windows",
    window: { timestampField: "timestamp", seconds: 60 },
    columns: [
      { target: "MinuteStart", value: { kind: "windowStart" } },
      { target: "DateKey", value: { kind: "windowDateKey" } },
      { target: "HourOfDay", value: { kind: "windowHour" } },
      {
        target: "MerchantKey",
        value: { kind: "group", field: "merchantId", whenNull: 0, description: "0 when unauthenticated" },
      },
      { target: "HttpMethod", value: { kind: "group", field: "method" } },
      {
        target: "Endpoint",
        value: { kind: "group", field: "route", description: "route template, e.g. /v1/payments/{id}" },
      },
      { target: "RequestCount", value: { kind: "count" } },
      { target: "ErrorCount", value: { kind: "countWhere", field: "statusCode", min: 500, max: 599 } },
      { target: "ClientErrorCount", value: { kind: "countWhere", field: "statusCode", min: 400, max: 499 } },
      { target: "ErrorRate", value: { kind: "ratio", numerator: "ErrorCount", denominator: "RequestCount" } },
      { target: "LatencySumMs", value: { kind: "sum", field: "durationMs" } },
      { target: "LatencyMaxMs", value: { kind: "max", field: "durationMs" } },
      { target: "LatencyP50Ms", value: { kind: "percentile", field: "durationMs", p: 0.5 } },
      { target: "LatencyP95Ms", value: { kind: "percentile", field: "durationMs", p: 0.95 } },
      { target: "LatencyP99Ms", value: { kind: "percentile", field: "durationMs", p: 0.99 } },
    ],
  },
];
