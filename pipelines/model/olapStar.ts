// The star schema: six dimensions (merchant and customer with type 2 history) and two facts, with the rules of
// the house each states (pipelines/model/olap.ts assembles the model).
import type { Column, DimensionHistory, OlapTable, SqlType } from "./types";
import { t } from "./types";

export const col = (name: string, type: SqlType, nullable = false): Column => ({ name, type, nullable });

const dimension = (
  name: string,
  key: string,
  columns: Column[],
  rationale: string,
  unknownMember?: OlapTable["unknownMember"],
): OlapTable => ({
  schema: "dbo",
  name,
  role: "dimension",
  description: "",
  columns,
  primaryKey: { name: `PK_${name}`, columns: [key] },
  distribution: { kind: "REPLICATE" },
  index: { kind: "CLUSTERED INDEX", columns: [key] },
  rationale,
  ...(unknownMember ? { unknownMember } : {}),
});

/** Type 2 history columns (validity, current flag, inferred member flag) and their unknown-member values. */
const HISTORY_COLUMNS: Column[] = [
  col("ValidFrom", t.datetime2(3)),
  col("ValidTo", t.datetime2(3)),
  col("IsCurrent", t.bit()),
  col("IsInferred", t.bit()),
];
const historyOf = (tracked: string[]): DimensionHistory => ({
  kind: "type2",
  tracked,
  validFrom: "ValidFrom",
  validTo: "ValidTo",
  isCurrent: "IsCurrent",
  isInferred: "IsInferred",
  changedAt: "UpdatedAt",
});
const UNKNOWN_VERSION = { ValidFrom: "1900-01-01", ValidTo: "9999-12-31", IsCurrent: true, IsInferred: false };

/** A type 2 dimension: history columns appended, primary key (key, ValidFrom): one row per version. */
function withHistory(dim: OlapTable, tracked: string[], rationale: string): OlapTable {
  const key = dim.primaryKey?.columns[0] ?? dim.columns[0].name;
  return {
    ...dim,
    columns: [...dim.columns, ...HISTORY_COLUMNS],
    primaryKey: { name: `PK_${dim.name}`, columns: [key, "ValidFrom"] },
    history: historyOf(tracked),
    rationale: `${dim.rationale} ${rationale}`,
    ...(dim.unknownMember ? { unknownMember: { ...dim.unknownMember, ...UNKNOWN_VERSION } } : {}),
  };
}

const dimDate: OlapTable = {
  ...dimension(
    "Dim_Date",
    "DateKey",
    [
      col("DateKey", t.int()),
      // Nullable attributes: only the unknown member (DateKey 0) leaves them empty.
      col("Date", t.date(), true),
      col("Year", t.smallint(), true),
      col("Quarter", t.tinyint(), true),
      col("Month", t.tinyint(), true),
      col("MonthName", t.varchar(9)),
      col("DayOfMonth", t.tinyint(), true),
      col("IsoWeek", t.tinyint(), true),
      col("IsoDayOfWeek", t.tinyint(), true),
      col("IsWeekend", t.bit(), true),
    ],
    "REPLICATE: ~10k rows, joined by every fact. CLUSTERED INDEX (DateKey): far below columnstore size.",
    {
      DateKey: 0,
      Date: null,
      Year: null,
      Quarter: null,
      Month: null,
      MonthName: "Unknown",
      DayOfMonth: null,
      IsoWeek: null,
      IsoDayOfWeek: null,
      IsWeekend: null,
    },
  ),
  description:
    "Calendar, one row per day; DateKey = yyyymmdd. DateKey 0 is the unknown member (a date outside the calendar).",
};

const dimMerchant: OlapTable = {
  ...dimension(
    "Dim_Merchant",
    "MerchantKey",
    [
      col("MerchantKey", t.bigint()),
      col("MerchantCode", t.varchar(32)),
      col("LegalName", t.nvarchar(200)),
      col("DisplayName", t.nvarchar(100), true),
      col("MerchantCategoryCode", t.char(4)),
      col("CountryCode", t.char(2)),
      col("SettlementCurrencyCode", t.char(3)),
      col("Status", t.varchar(16)),
      col("OnboardedAt", t.datetime2(3), true),
    ],
    "REPLICATE: thousands to low millions of narrow rows (< 2 GB). CLUSTERED INDEX (MerchantKey) for lookups.",
    {
      MerchantKey: 0,
      MerchantCode: "unknown",
      LegalName: "Unknown merchant",
      DisplayName: null,
      MerchantCategoryCode: "0000",
      CountryCode: "ZZ",
      SettlementCurrencyCode: "XXX",
      Status: "unknown",
      OnboardedAt: null,
    },
  ),
  description:
    "Merchant accounts, one row per version of the tracked attributes (type 2 on legal and display name, category, " +
    "country, settlement currency, status). Contact person details are deliberately not copied.",
};
const dimMerchantVersioned = withHistory(
  dimMerchant,
  ["LegalName", "DisplayName", "MerchantCategoryCode", "CountryCode", "SettlementCurrencyCode", "Status"],
  "Type 2: a few versions per merchant keep it small; the clustered index on the key groups them.",
);

const dimCustomer: OlapTable = {
  ...dimension(
    "Dim_Customer",
    "CustomerKey",
    [
      col("CustomerKey", t.bigint()),
      col("BillingCountryCode", t.char(2), true),
      col("CustomerSince", t.datetime2(3), true),
      col("IsErased", t.bit()),
    ],
    "REPLICATE while it stays under ~2 GB compressed (4 narrow columns: tens of millions of rows fit); " +
      "if it outgrows that, switch to HASH(CustomerKey) + CLUSTERED COLUMNSTORE INDEX. CLUSTERED INDEX (CustomerKey).",
    { CustomerKey: 0, BillingCountryCode: null, CustomerSince: null, IsErased: false },
  ),
  description:
    "Payers, pseudonymous: key, billing country (type 2: kept per version) and tenure only — no name, e-mail, " +
    "address or IP. Erasure empties every version.",
};
const dimCustomerVersioned = withHistory(
  dimCustomer,
  ["BillingCountryCode"],
  "Type 2 on the billing country only: customers rarely move, so versions stay few.",
);

const dimPaymentMethod: OlapTable = {
  ...dimension(
    "Dim_PaymentMethod",
    "PaymentMethodKey",
    [
      col("PaymentMethodKey", t.bigint()),
      col("Brand", t.varchar(16)),
      col("Funding", t.varchar(8)),
      col("WalletType", t.varchar(16), true),
      col("IssuerCountryCode", t.char(2), true),
      col("CreatedAt", t.datetime2(3), true),
    ],
    "REPLICATE: narrow rows, joined by every payment query. CLUSTERED INDEX (PaymentMethodKey).",
  ),
  description: "Tokenised cards described by brand/funding/issuer country only: no last4, expiry or fingerprint.",
};

const dimCurrency: OlapTable = {
  ...dimension(
    "Dim_Currency",
    "CurrencyCode",
    [
      col("CurrencyCode", t.char(3)),
      col("Name", t.nvarchar(64)),
      col("MinorUnits", t.tinyint()),
      col("IsActive", t.bit()),
    ],
    "REPLICATE: a few dozen rows. CLUSTERED INDEX (CurrencyCode).",
  ),
  description: "ISO 4217 currencies; amount in major units = AmountMinor / POWER(10, MinorUnits).",
};

const dimPaymentStatus: OlapTable = {
  ...dimension(
    "Dim_PaymentStatus",
    "PaymentStatusCode",
    [col("PaymentStatusCode", t.varchar(20)), col("IsFinal", t.bit()), col("IsSuccessful", t.bit())],
    "REPLICATE: one row per status value. CLUSTERED INDEX (PaymentStatusCode).",
  ),
  description: "Payment lifecycle states, seeded from the OLTP Payment.Status enum (11_olap_reference_data.sql).",
};

const factPayment: OlapTable = {
  schema: "dbo",
  name: "Fact_Payment",
  role: "fact",
  description:
    "One row per payment (grain: dbo.Payment row), with refund and dispute roll-ups. Amounts in minor units.",
  columns: [
    col("PaymentId", t.bigint()),
    col("DateKey", t.int()),
    col("MerchantKey", t.bigint()),
    col("CustomerKey", t.bigint()),
    col("PaymentMethodKey", t.bigint()),
    col("CurrencyCode", t.char(3)),
    col("PaymentStatusCode", t.varchar(20)),
    col("AmountMinor", t.bigint()),
    col("CapturedAmountMinor", t.bigint()),
    col("RefundedAmountMinor", t.bigint()),
    col("RefundCount", t.int()),
    col("DisputeCount", t.int()),
    col("CreatedAt", t.datetime2(3)),
    col("AuthorizedAt", t.datetime2(3), true),
    col("CapturedAt", t.datetime2(3), true),
    col("UpdatedAt", t.datetime2(3)),
  ],
  // No PRIMARY KEY: in a dedicated pool it could only be NONCLUSTERED NOT ENFORCED, i.e. a secondary rowstore index
  // on the columnstore fact that every load maintains; Microsoft's MERGE page (Azure Synapse) warns about MERGE into
  // HASH tables with secondary indexes and columnstore targets. PaymentId is unique because the load applies one row
  // per PaymentId; the load's data-quality gate checks it.
  references: [
    { column: "DateKey", dimension: "Dim_Date", dimensionColumn: "DateKey" },
    { column: "MerchantKey", dimension: "Dim_Merchant", dimensionColumn: "MerchantKey" },
    { column: "CustomerKey", dimension: "Dim_Customer", dimensionColumn: "CustomerKey" },
    { column: "PaymentMethodKey", dimension: "Dim_PaymentMethod", dimensionColumn: "PaymentMethodKey" },
    { column: "CurrencyCode", dimension: "Dim_Currency", dimensionColumn: "CurrencyCode" },
    { column: "PaymentStatusCode", dimension: "Dim_PaymentStatus", dimensionColumn: "PaymentStatusCode" },
  ],
  distribution: { kind: "HASH", column: "PaymentId" },
  index: { kind: "CLUSTERED COLUMNSTORE INDEX" },
  rationale:
    "HASH(PaymentId): unique, so rows spread evenly over the 60 distributions (MerchantKey would skew towards " +
    "big merchants, CustomerKey towards the unknown member 0). stg.Payment, stg.Refund and stg.Dispute are " +
    "hashed on PaymentId too, so building the changed fact rows and applying them here join on the " +
    "distribution column on both sides, with no data movement. Every dimension is replicated, so star joins " +
    "need none either. CLUSTERED COLUMNSTORE INDEX: large, append-mostly, scanned by aggregates.",
};

const factApiPerformance: OlapTable = {
  schema: "dbo",
  name: "Fact_API_Performance",
  role: "fact",
  description:
    "One row per minute, merchant, HTTP method and endpoint (route template, never a raw path): request and " +
    "error counts, error rate and latency percentiles, aggregated by Stream Analytics over one-minute tumbling " +
    "windows. Percentiles are per minute and cannot be summed: coarser dashboards use the sums (average latency, " +
    "error rate) or the worst minute.",
  columns: [
    col("MinuteStart", t.datetime2(0)),
    col("DateKey", t.int()),
    col("HourOfDay", t.tinyint()),
    col("MerchantKey", t.bigint()),
    col("HttpMethod", t.varchar(8)),
    col("Endpoint", t.varchar(128)),
    col("RequestCount", t.int()),
    col("ErrorCount", t.int()),
    col("ClientErrorCount", t.int()),
    col("ErrorRate", t.decimal(9, 6)),
    col("LatencySumMs", t.bigint()),
    col("LatencyMaxMs", t.int()),
    col("LatencyP50Ms", t.int()),
    col("LatencyP95Ms", t.int()),
    col("LatencyP99Ms", t.int()),
  ],
  // No PRIMARY KEY on purpose: Stream Analytics delivers at least once, and a NOT ENFORCED key over duplicate
  // rows makes Synapse return wrong results. A replayed window is deduplicated on the grain
  // (MinuteStart, MerchantKey, HttpMethod, Endpoint) by the nightly compaction.
  references: [
    { column: "DateKey", dimension: "Dim_Date", dimensionColumn: "DateKey" },
    { column: "MerchantKey", dimension: "Dim_Merchant", dimensionColumn: "MerchantKey" },
  ],
  distribution: { kind: "HASH", column: "MinuteStart" },
  index: { kind: "CLUSTERED COLUMNSTORE INDEX" },
  rationale:
    "HASH(MinuteStart): 1,440 values a day spread evenly over the 60 distributions and a time-range query reads " +
    "all of them in parallel; the duplicates of a replayed window land in the same distribution (cheap dedup). " +
    "MerchantKey would skew towards big merchants and unauthenticated traffic (0), Endpoint has too few values. " +
    "CLUSTERED COLUMNSTORE INDEX: append-only, queried by time-window aggregates.",
};

export const starTables: OlapTable[] = [
  dimDate,
  dimMerchantVersioned,
  dimCustomerVersioned,
  dimPaymentMethod,
  dimCurrency,
  dimPaymentStatus,
  factPayment,
  factApiPerformance,
];
