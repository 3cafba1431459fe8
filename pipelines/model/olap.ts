// OLAP model: the Synapse dedicated SQL pool star schema, and how each table is loaded.
//
//   Dim_Date, Dim_Merchant, Dim_Customer, Dim_PaymentMethod, Dim_Currency, Dim_PaymentStatus   (6 dimensions)
//   Fact_Payment            one row per OLTP payment, loaded nightly from the extracted changes
//   Fact_API_Performance    one row per minute, endpoint and merchant (request and error counts, p50/p95/p99
//                           latency), written by the streaming path (Cosmos DB api_logs → Stream Analytics → Synapse)
//   stg.<Table>             staging heaps for every extracted OLTP table, derived from the mappings below
//   mv_*                    materialized views the dashboards read (Synapse keeps them current on every load)
//
// Dimension keys are the OLTP surrogate keys (immutable BIGINT IDENTITY values, never reused) or the natural code
// (currency, status). Key 0 is the "unknown member" (OLTP identities start at 1), so fact keys are never NULL.
// Merchant and customer attributes keep their history (type 2 with a durable key, `history` below): the key stays
// the OLTP id, so facts reference it as before, and each version carries ValidFrom/ValidTo/IsCurrent; reports join
// `IsCurrent = 1` for today's attributes or the validity range for the attributes at the payment's time. The other
// dimensions are type 1 (overwrite).
//
// The warehouse holds no personal or card data: mappings may not read classified OLTP columns (validate/), CDC
// does not capture them, and the Always Encrypted ones are ciphertext to the ETL anyway. Dimensions describe customers by country and age, not by name.
//
// Distribution / index rules of the house (validate/ enforces them):
//   facts      HASH on a high-cardinality, NOT NULL, non-identity column + CLUSTERED COLUMNSTORE INDEX
//   dimensions REPLICATE (small, joined by every fact query: a full copy per compute node means no data
//              movement) + CLUSTERED INDEX on the key (columnstore needs ~60M+ rows to compress well; these are
//              far smaller — Microsoft recommends heap or clustered index below that size)
//   staging    HEAP (fastest load; read once by the load into the star), HASH on the fact's distribution column when
//              the fact's load joins on it (Payment, Refund, Dispute on PaymentId: the build of the changed fact rows
//              and their application to Fact_Payment then join distribution-compatible tables, no shuffle),
//              ROUND_ROBIN otherwise
import { oltpModel, paymentStatuses } from "./oltp";
import type {
  Column,
  DimensionHistory,
  MaterializedView,
  OlapModel,
  OlapTable,
  OltpModel,
  OltpTable,
  SqlType,
  TableMapping,
} from "./types";
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

/**
 * Change metadata carried by every staging table, by extraction mode. NULL for a row that did not change itself but
 * is re-read because a related row did (e.g. all refunds of a payment whose refund changed, to recompute
 * Fact_Payment.RefundedAmountMinor).
 * - CDC: `__$start_lsn` and `__$operation` of the cdc.fn_cdc_get_net_changes_* row (1 delete, 2 insert, 4 update).
 * - Change tracking: `SYS_CHANGE_VERSION` and `SYS_CHANGE_OPERATION` of CHANGETABLE(CHANGES …) (I, U, D).
 */
export const stagingChangeColumns: Record<"cdc" | "changeTracking", Column[]> = {
  cdc: [col("CdcStartLsn", t.binary(10), true), col("CdcOperation", t.int(), true)],
  changeTracking: [col("ChangeVersion", t.bigint(), true), col("ChangeOperation", t.char(1), true)],
};
/** Names of the change-metadata columns (they have no OLTP counterpart). */
export const stagingChangeColumnNames = new Set(
  Object.values(stagingChangeColumns).flatMap((cols) => cols.map((c) => c.name)),
);

/**
 * The staging distribution column of an OLTP table: the column on which a fact's load joins it to the fact's own
 * distribution key (the fact's root table's key, or the child column of a join from it), if any.
 */
function stagingHashColumn(table: OltpTable, facts: OlapTable[], mappings: TableMapping[]): string | undefined {
  for (const fact of facts) {
    const m = mappings.find((x) => x.target === fact.name);
    if (m?.kind !== "oltp" || fact.distribution.kind !== "HASH") continue;
    const hashColumn = fact.distribution.column;
    const key = m.columns.find((c) => c.target === hashColumn)?.source;
    if (!key || key.table !== m.root) continue;
    if (table.name === m.root) return key.column;
    const join = m.joins.find(
      (j) => j.from.table === m.root && j.from.column === key.column && j.to.table === table.name,
    );
    if (join) return join.to.column;
  }
  return undefined;
}

/**
 * One staging heap per extracted OLTP table, holding exactly the columns the mappings need (keys, join columns,
 * mapped and filter columns, the change time of a type 2 dimension's source) plus the change metadata of its
 * extraction mode — derived, so staging can never lack a mapped column or carry columns (such as personal data) that
 * no mapping needs. `star` are the star's tables: facts decide the hash columns, dimensions with history add their
 * change-time column.
 */
export function deriveStagingTables(oltp: OltpModel, mappings: TableMapping[], star: OlapTable[] = []): OlapTable[] {
  const facts = star.filter((t) => t.role === "fact");
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
    // A type 2 dimension dates each new version with its source row's change time.
    const target = star.find((t) => t.name === m.target);
    const history = target?.history;
    if (history) need(m.root, history.changedAt);
    // A dimension of the erasure subject loads an erased row's attributes as NULL (pipelines/etl/sql/load.ts): it
    // reads the subject's erasure time whether or not a column maps it.
    const erasedAt = oltp.tables.find((t) => t.name === m.root)?.erasedAtColumn;
    if (erasedAt && target?.role === "dimension") need(m.root, erasedAt);
  }
  const staging: OlapTable[] = [];
  for (const table of oltp.tables) {
    const cols = needed.get(table.name);
    if (!cols || table.extraction.mode === "none") continue;
    for (const pk of table.primaryKey.columns) cols.add(pk);
    const hash = stagingHashColumn(table, facts, mappings);
    const keyLike = (name: string) => table.primaryKey.columns.includes(name) || name === hash;
    const columns = table.columns
      .filter((c) => cols.has(c.name))
      .map<Column>((c) => ({
        name: c.name,
        type: c.type,
        // Keys (and the distribution column, which the extraction always fills: from the ledger history for a
        // deleted row) are always present; anything else may be absent on a delete or a related row.
        nullable: !keyLike(c.name),
      }));
    staging.push({
      schema: "stg",
      name: table.name,
      role: "staging",
      description: `Changed (and related) rows of dbo.${table.name} for the nightly load; truncated before each run.`,
      columns: [...stagingChangeColumns[table.extraction.mode], ...columns],
      distribution: hash ? { kind: "HASH", column: hash } : { kind: "ROUND_ROBIN" },
      index: { kind: "HEAP" },
      rationale: hash
        ? `HASH(${hash}) HEAP: the fact load joins this table on ${hash}, the distribution column of the fact, so ` +
          "the join and the apply to the fact move no data; a heap loads fastest and is read once. Never queried by reports."
        : "ROUND_ROBIN HEAP: load-once/read-once landing table; round-robin spreads the bulk insert evenly with no " +
          "hashing cost and a heap loads fastest. Never queried by reports.",
      stages: { table: table.name, extraction: table.extraction.mode },
    });
  }
  return staging;
}

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

const starTables: OlapTable[] = [
  dimDate,
  dimMerchantVersioned,
  dimCustomerVersioned,
  dimPaymentMethod,
  dimCurrency,
  dimPaymentStatus,
  factPayment,
  factApiPerformance,
];

export const olapModel: OlapModel = {
  tables: [...starTables, ...deriveStagingTables(oltpModel, olapMappings, starTables)],
  mappings: olapMappings,
  materializedViews,
};
