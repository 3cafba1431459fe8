// OLAP model: the Synapse dedicated SQL pool star schema, and how each table is loaded.
//
//   Dim_Date, Dim_Merchant, Dim_Customer, Dim_PaymentMethod, Dim_Currency, Dim_PaymentStatus   (6 dimensions)
//   Fact_Payment            one row per OLTP payment, loaded nightly from CDC
//   Fact_API_Performance    one row per API request, written by the streaming path
//                           (Cosmos DB api_logs → Stream Analytics → Synapse)
//   stg.<Table>             staging heaps for the CDC extracts, derived from the mappings below
//
// Dimension keys are the OLTP surrogate keys (immutable BIGINT IDENTITY values, never reused) or the natural code
// (currency, status): the dimensions are Type 1 (overwrite), so a second surrogate key would only add a lookup.
// Key 0 is the "unknown member" (OLTP identities start at 1), so fact keys are never NULL. If a dimension ever
// needs history (Type 2), give it its own surrogate key then.
//
// The warehouse holds no personal or card data: mappings may not read classified OLTP columns (validate.ts), and
// CDC does not even capture them. Dimensions describe customers by country and age, not by name.
//
// Distribution / index rules of the house (validate.ts enforces them):
//   facts      HASH on a high-cardinality, NOT NULL, non-identity column + CLUSTERED COLUMNSTORE INDEX
//   dimensions REPLICATE (small, joined by every fact query: a full copy per compute node means no data
//              movement) + CLUSTERED INDEX on the key (columnstore needs ~60M+ rows to compress well; these are
//              far smaller — Microsoft recommends heap or clustered index below that size)
//   staging    ROUND_ROBIN HEAP (fastest load; read once by the MERGE into the star)
import { oltpModel, paymentStatuses } from "./oltp";
import type { Column, OlapModel, OlapTable, OltpModel, SqlType, TableMapping } from "./types";
import { t } from "./types";

const col = (name: string, type: SqlType, nullable = false): Column => ({ name, type, nullable });

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

const dimDate: OlapTable = {
  ...dimension(
    "Dim_Date",
    "DateKey",
    [
      col("DateKey", t.int()),
      col("Date", t.date()),
      col("Year", t.smallint()),
      col("Quarter", t.tinyint()),
      col("Month", t.tinyint()),
      col("MonthName", t.varchar(9)),
      col("DayOfMonth", t.tinyint()),
      col("IsoWeek", t.tinyint()),
      col("IsoDayOfWeek", t.tinyint()),
      col("IsWeekend", t.bit()),
    ],
    "REPLICATE: ~10k rows, joined by every fact. CLUSTERED INDEX (DateKey): far below columnstore size.",
  ),
  description: "Calendar, one row per day; DateKey = yyyymmdd.",
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
  description: "Merchant accounts (Type 1). Contact person details are deliberately not copied.",
};

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
  description: "Payers, pseudonymous: key, billing country and tenure only — no name, e-mail, address or IP.",
};

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
  // PaymentId is unique by construction: the loader MERGEs on it. NOT ENFORCED, so the loader must keep it so.
  primaryKey: { name: "PK_Fact_Payment", columns: ["PaymentId"] },
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
    "big merchants, CustomerKey towards the unknown member 0), and the nightly MERGE of changed payments is " +
    "distribution-local. Every dimension is replicated, so star joins need no data movement anyway. " +
    "CLUSTERED COLUMNSTORE INDEX: large, append-mostly, scanned by aggregates.",
};

const factApiPerformance: OlapTable = {
  schema: "dbo",
  name: "Fact_API_Performance",
  role: "fact",
  description: "One row per API request (latency, outcome). Route templates only: no raw paths, bodies or IPs.",
  columns: [
    col("RequestId", t.varchar(64)),
    col("DateKey", t.int()),
    col("MerchantKey", t.bigint()),
    col("RequestedAt", t.datetime2(3)),
    col("Endpoint", t.varchar(128)),
    col("HttpMethod", t.varchar(8)),
    col("StatusCode", t.smallint()),
    col("LatencyMs", t.int()),
    col("Region", t.varchar(32)),
    col("ApiVersion", t.varchar(16), true),
  ],
  // No PRIMARY KEY on purpose: Stream Analytics delivers at least once, and a NOT ENFORCED key over duplicate
  // rows makes Synapse return wrong results. Deduplicate on RequestId at query time or in a nightly compaction.
  references: [
    { column: "DateKey", dimension: "Dim_Date", dimensionColumn: "DateKey" },
    { column: "MerchantKey", dimension: "Dim_Merchant", dimensionColumn: "MerchantKey" },
  ],
  distribution: { kind: "HASH", column: "RequestId" },
  index: { kind: "CLUSTERED COLUMNSTORE INDEX" },
  rationale:
    "HASH(RequestId): unique per request, so the highest-volume table spreads evenly and duplicates from " +
    "at-least-once delivery land in the same distribution (cheap dedup). CLUSTERED COLUMNSTORE INDEX: " +
    "append-only, huge, queried by time-window aggregates.",
};

const copy = (target: string, table: string, column: string = target) => ({
  target,
  source: { table, column },
  transform: { kind: "copy" as const },
});

export const olapMappings: TableMapping[] = [
  {
    kind: "generated",
    target: "Dim_Date",
    description: "Calendar generated by the ETL (2015-01-01 .. 2040-12-31), ISO weeks, Monday = 1.",
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
      { target: "DateKey", source: { table: "Payment", column: "CreatedAt" }, transform: { kind: "dateKey" } },
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
    source: "Cosmos DB container api_logs → Stream Analytics job (pass-through, one row per request)",
    columns: [
      { target: "RequestId", field: "requestId" },
      { target: "DateKey", field: "timestamp", transform: "yyyymmdd of the UTC timestamp" },
      { target: "MerchantKey", field: "merchantId", transform: "0 when the request was unauthenticated" },
      { target: "RequestedAt", field: "timestamp" },
      { target: "Endpoint", field: "route", transform: "route template, e.g. /v1/payments/{id}" },
      { target: "HttpMethod", field: "method" },
      { target: "StatusCode", field: "statusCode" },
      { target: "LatencyMs", field: "durationMs" },
      { target: "Region", field: "region" },
      { target: "ApiVersion", field: "apiVersion" },
    ],
  },
];

/**
 * CDC metadata carried by every staging table: `__$start_lsn` and `__$operation` of the
 * cdc.fn_cdc_get_net_changes_* row (1 = delete, 2 = insert, 4 = update). NULL for a row that did not change
 * itself but is re-read because a related row did (e.g. all refunds of a payment whose refund changed, to
 * recompute Fact_Payment.RefundedAmountMinor).
 */
export const stagingCdcColumns: Column[] = [col("CdcStartLsn", t.binary(10), true), col("CdcOperation", t.int(), true)];

/**
 * One staging heap per OLTP table the nightly ETL reads, holding exactly the columns the mappings need (keys,
 * join columns, mapped and filter columns) — derived, so staging can never lack a mapped column or carry
 * columns (such as personal data) that no mapping needs.
 */
export function deriveStagingTables(oltp: OltpModel, mappings: TableMapping[]): OlapTable[] {
  const needed = new Map<string, Set<string>>();
  const touch = (table: string): Set<string> => {
    const existing = needed.get(table);
    if (existing) return existing;
    const created = new Set<string>();
    needed.set(table, created);
    return created;
  };
  const need = (table: string, column: string) => touch(table).add(column);
  for (const m of mappings) {
    if (m.kind === "enum") need(m.source.table, m.source.column);
    if (m.kind !== "oltp") continue;
    touch(m.root);
    for (const j of m.joins) {
      need(j.from.table, j.from.column);
      need(j.to.table, j.to.column);
    }
    for (const c of m.columns) {
      need(c.source.table, c.source.column);
      if ((c.transform.kind === "sum" || c.transform.kind === "count") && c.transform.where) {
        need(c.source.table, c.transform.where.column);
      }
    }
  }
  const staging: OlapTable[] = [];
  for (const table of oltp.tables) {
    const cols = needed.get(table.name);
    if (!cols) continue;
    for (const pk of table.primaryKey.columns) cols.add(pk);
    const columns = table.columns
      .filter((c) => cols.has(c.name))
      .map<Column>((c) => ({
        name: c.name,
        type: c.type,
        // Key columns are always present; everything else may be absent on a net-change delete row.
        nullable: !table.primaryKey.columns.includes(c.name),
      }));
    staging.push({
      schema: "stg",
      name: table.name,
      role: "staging",
      description: `Changed (and related) rows of dbo.${table.name} for the nightly load; truncated before each run.`,
      columns: [...stagingCdcColumns, ...columns],
      distribution: { kind: "ROUND_ROBIN" },
      index: { kind: "HEAP" },
      rationale:
        "ROUND_ROBIN HEAP: load-once/read-once landing table; round-robin spreads the bulk insert evenly with no " +
        "hashing cost and a heap loads fastest. Never queried by reports.",
    });
  }
  return staging;
}

const starTables: OlapTable[] = [
  dimDate,
  dimMerchant,
  dimCustomer,
  dimPaymentMethod,
  dimCurrency,
  dimPaymentStatus,
  factPayment,
  factApiPerformance,
];

export const olapModel: OlapModel = {
  tables: [...starTables, ...deriveStagingTables(oltpModel, olapMappings)],
  mappings: olapMappings,
};
