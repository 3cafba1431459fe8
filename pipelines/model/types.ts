// The payments data model as typed data. Everything that touches table shape — the OLTP DDL, the change extraction,
// the Synapse star schema, the staging tables and the ETL mappings — is derived from values of these types,
// so the pieces cannot drift apart. `validate/` checks the invariants the type system cannot express.

/** SQL data types used by the model (T-SQL spelling). `rowversion` exists only in Azure SQL, not in Synapse. */
export type SqlType =
  | { kind: "bigint" | "int" | "smallint" | "tinyint" | "bit" | "date" | "rowversion" }
  | { kind: "char" | "varchar" | "nchar" | "nvarchar" | "binary" | "varbinary"; length: number }
  | { kind: "decimal"; precision: number; scale: number }
  | { kind: "datetime2"; precision: number };

/** Small constructors so model files read like DDL: `t.char(3)`, `t.datetime2(3)`. */
export const t = {
  bigint: (): SqlType => ({ kind: "bigint" }),
  int: (): SqlType => ({ kind: "int" }),
  smallint: (): SqlType => ({ kind: "smallint" }),
  tinyint: (): SqlType => ({ kind: "tinyint" }),
  bit: (): SqlType => ({ kind: "bit" }),
  date: (): SqlType => ({ kind: "date" }),
  rowversion: (): SqlType => ({ kind: "rowversion" }),
  char: (length: number): SqlType => ({ kind: "char", length }),
  varchar: (length: number): SqlType => ({ kind: "varchar", length }),
  nchar: (length: number): SqlType => ({ kind: "nchar", length }),
  nvarchar: (length: number): SqlType => ({ kind: "nvarchar", length }),
  binary: (length: number): SqlType => ({ kind: "binary", length }),
  varbinary: (length: number): SqlType => ({ kind: "varbinary", length }),
  decimal: (precision: number, scale: number): SqlType => ({ kind: "decimal", precision, scale }),
  datetime2: (precision: number): SqlType => ({ kind: "datetime2", precision }),
};

/**
 * Dynamic Data Masking functions (Azure SQL / Synapse). `random` applies to numeric columns only; `email` and
 * `partial` to character columns; `default` to anything. `partial(prefix, "padding", suffix)` exposes the first
 * `prefix` and last `suffix` characters.
 */
export type MaskingFunction =
  | { fn: "default" }
  | { fn: "email" }
  | { fn: "partial"; prefix: number; padding: string; suffix: number }
  | { fn: "random"; from: number; to: number };

/**
 * Per-column classification.
 * - `personal`: GDPR personal data (Art. 4(1)): must be masked, must be erasable (nullable), must not be copied
 *   into CDC change tables, ledger tables or the warehouse.
 * - `card`: PCI DSS cardholder-data-derived values we are allowed to keep (last4, expiry, fingerprint) — never
 *   a full PAN, never sensitive authentication data (CVV, track, PIN). Masked as well.
 */
export type Classification = { kind: "personal"; mask?: MaskingFunction } | { kind: "card"; mask?: MaskingFunction };

/**
 * Always Encrypted (column-level, client-side encryption: the database, its administrators and its backups only
 * ever see ciphertext). `key` names a column encryption key of `OltpModel.alwaysEncrypted`.
 * - `Deterministic`: equality lookups, joins and indexes work (character columns need a BIN2 collation); equal
 *   plaintexts give equal ciphertexts, so use it only where lookups are needed.
 * - `Randomized`: no server-side computation at all; the stronger choice for everything that is only stored.
 * Encrypted columns cannot be masked (DDM), captured by CDC, referenced by a CHECK or DEFAULT, or read by the ETL.
 */
export interface ColumnEncryption {
  key: string;
  type: "Deterministic" | "Randomized";
}

export interface Column {
  name: string;
  type: SqlType;
  nullable: boolean;
  /** A T-SQL expression, emitted as a named DEFAULT constraint (`SYSUTCDATETIME()`, `0`, `'pending'`). */
  default?: string;
  identity?: { seed: number; increment: number };
  /** Column CHECK expression; refers to columns as `[Name]`. Emitted as `CK_<Table>_<Column>`. */
  check?: string;
  /** Closed set of values (status enums); emitted as `CK_<Table>_<Column>_Values` = `[Col] IN (...)`. */
  allowedValues?: string[];
  classification?: Classification;
  /** Always Encrypted (see ColumnEncryption); a classified column is either masked or encrypted, never both. */
  encryption?: ColumnEncryption;
  /** Column collation; deterministic encryption of character columns requires a `*_BIN2` collation. */
  collation?: string;
  description?: string;
  /**
   * OLTP only: the column's name looks like personal data (e-mail, phone, name, address, birth date, IP address) but
   * it holds none, and why. validate/ refuses such a name without a classification or this reason.
   */
  notPersonal?: { reason: string };
}

export interface KeyConstraint {
  name: string;
  columns: string[];
}

export interface ForeignKey {
  name: string;
  columns: string[];
  references: { table: string; columns: string[] };
}

export interface Index {
  name: string;
  columns: string[];
  include?: string[];
  unique?: boolean;
  /** Filter predicate for a filtered index, e.g. `[Fingerprint] IS NOT NULL`. */
  where?: string;
}

export interface CheckConstraint {
  name: string;
  expression: string;
}

/** Azure SQL ledger table flavour (see oltp.ts for why and oltpTables.ts for where ledger is used). */
export type LedgerKind = "append-only" | "updatable";

/**
 * How the nightly ETL finds the rows of an OLTP table that changed since its last run (docs/data-model-decisions.md):
 * - `cdc`: change data capture, capture instance `<schema>_<table>`, read with
 *   `cdc.fn_cdc_get_net_changes_<instance>` over an LSN window (values of the captured columns, deletes included).
 * - `changeTracking`: SQL change tracking; `CHANGETABLE(CHANGES <table>, @last_version)` gives the keys and the
 *   operation of every row changed since a version, and the ETL reads the current row (snapshot isolation). Used for
 *   ledger tables (Microsoft's ledger limitations page has said CDC isn't supported for them, a later revision
 *   allows it on the ledger table but not its history table; change tracking is allowed in both) and for tables with Always Encrypted columns (CDC cannot capture them).
 * - `none`: not read by the nightly ETL.
 */
export type ExtractionMode = "cdc" | "changeTracking" | "none";

export interface Extraction {
  mode: ExtractionMode;
  /** Why this mode for this table (printed into the generated script and docs). */
  rationale: string;
}

export interface OltpTable {
  schema: string;
  name: string;
  description: string;
  columns: Column[];
  primaryKey: KeyConstraint;
  uniques?: KeyConstraint[];
  foreignKeys?: ForeignKey[];
  indexes?: Index[];
  checks?: CheckConstraint[];
  /** How the nightly ETL extracts changed rows (CDC, change tracking, or not at all). */
  extraction: Extraction;
  /**
   * Azure SQL ledger table (tamper evidence for payment records, PCI DSS 10.3.2). A ledger table can never be
   * turned back into an ordinary table, its history can never be deleted, and only nullable columns can be
   * added later — so it must never hold personal data (erasure would be impossible).
   */
  ledger?: LedgerKind;
  /**
   * GDPR erasure marker column (Art. 17). When set, a CHECK is generated requiring every `personal` column to be
   * NULL once the row is erased — the financial record stays, the person's data goes.
   */
  erasedAtColumn?: string;
}

/** A column encryption key: generated client-side, wrapped by the column master key (Key Vault). */
export interface ColumnEncryptionKey {
  name: string;
  columnMasterKey: string;
  description: string;
}

/** Always Encrypted key metadata: one column master key in Key Vault, and the column encryption keys it wraps. */
export interface AlwaysEncryptedKeys {
  columnMasterKey: {
    name: string;
    /** sqlcmd variable holding the Key Vault key URI (`KEY_PATH`). */
    keyPathVariable: string;
  };
  columnEncryptionKeys: ColumnEncryptionKey[];
}

/**
 * A GDPR data subject (Art. 17) whose personal data a generated procedure, `etl.usp_Erase<name>`, erases in the OLTP
 * database: every classified column of the subject's row in `table` (found by its single-column primary key, the
 * procedure's parameter) and, when `erasesReferencingRows`, of the rows of every table with a single-column foreign
 * key to that row. validate/ refuses a classified column that no subject's erasure reaches.
 */
export interface ErasureSubject {
  /** PascalCase: names the procedure (`usp_Erase<name>`) and, but for the table with `erasedAtColumn`, its audit table. */
  name: string;
  table: string;
  /** Also erase the classified columns of the rows that reference the subject's row (a customer's payment methods). */
  erasesReferencingRows: boolean;
  /** Who the person is and when the erasure is run (printed into the generated procedure). */
  description: string;
  /**
   * Subjects that also reach this subject's table through a foreign key and erase the same people's rows there (a
   * customer's cards are the customer's; a guest's card is its holder's). validate/ refuses any other overlap, and
   * requires each key through which one of them reaches the table in `onlyWhereNull`: the two never erase one row.
   */
  sharesRowsWith?: string[];
  /**
   * Foreign key columns of `table` that must be NULL for this subject's erasure to touch a row: a row where one is set
   * belongs to the subject that reaches the table through it (a card with a `CustomerId` is that customer's), so the
   * generated procedure refuses it (THROW, nothing erased, the refusal audited) and names the subject to erase
   * instead. A wrong id then cannot clear another person's data, and what the subject's audit records is always that
   * person's (a guest's card, never a customer's). validate/ requires a nullable key through which a `sharesRowsWith`
   * subject reaches the table.
   */
  onlyWhereNull?: string[];
}

export interface OltpModel {
  tables: OltpTable[];
  /** Whose personal data the GDPR erasure removes, and where (the erasure procedures are generated from these). */
  erasureSubjects: ErasureSubject[];
  alwaysEncrypted: AlwaysEncryptedKeys;
  /** Change tracking retention (days) for `changeTracking` tables: how long a failed nightly run can be retried. */
  changeTrackingRetentionDays: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Synapse dedicated SQL pool (OLAP)

export type Distribution = { kind: "HASH"; column: string } | { kind: "REPLICATE" } | { kind: "ROUND_ROBIN" };

export type OlapIndex =
  { kind: "CLUSTERED COLUMNSTORE INDEX" } | { kind: "HEAP" } | { kind: "CLUSTERED INDEX"; columns: string[] };

export type OlapRole = "dimension" | "fact" | "staging";

/** Value of a column in a seeded row (unknown members, enum dimensions). */
export type SeedValue = string | number | boolean | null;

export interface OlapTable {
  schema: string;
  name: string;
  role: OlapRole;
  description: string;
  /** Synapse columns: no CHECK / allowedValues (unsupported), defaults must be literals. */
  columns: Column[];
  /** Emitted as `PRIMARY KEY NONCLUSTERED (...) NOT ENFORCED`: the loader must guarantee uniqueness. */
  primaryKey?: KeyConstraint;
  /** Logical fact → dimension relationships. Synapse has no FOREIGN KEY constraints; these are not emitted. */
  references?: { column: string; dimension: string; dimensionColumn: string }[];
  distribution: Distribution;
  index: OlapIndex;
  /** Why this distribution and index (kept next to the choice, and printed into the generated DDL). */
  rationale: string;
  /** Kimball "unknown member" row (key 0) seeded so facts never need a NULL dimension key. */
  unknownMember?: Record<string, SeedValue>;
  /**
   * Staging only: the OLTP table it stages and how that table is extracted (decides the change-metadata columns).
   */
  stages?: { table: string; extraction: ExtractionMode };
  /** Dimensions only: keep the history of some attributes (slowly changing dimension type 2). */
  history?: DimensionHistory;
}

/**
 * Slowly changing dimension type 2 with a durable key: the dimension's key stays the OLTP identity (facts keep
 * referencing it), and each change of a tracked attribute closes the current version (`validTo`, `isCurrent` = 0)
 * and adds a new one from the source row's change time. The primary key is (key, `validFrom`). Queries join
 * `isCurrent = 1` for today's attributes, or `fact time >= validFrom AND < validTo` for the attributes as they were.
 * Untracked attributes are overwritten in every version (type 1). `isInferred` marks a member created for a
 * late-arriving key (a fact arrived before its dimension row): the real row replaces it in place.
 */
export interface DimensionHistory {
  kind: "type2";
  /** Attributes whose change starts a new version. */
  tracked: string[];
  validFrom: string;
  validTo: string;
  isCurrent: string;
  isInferred: string;
  /** Column of the mapping's root OLTP table that dates a change (the new version's `validFrom`). */
  changedAt: string;
}

/**
 * A materialized view over one fact, for the dashboards (Synapse maintains it on every load; the post-load script
 * rebuilds it to fold the accumulated deltas back in). Restrictions of Microsoft's CREATE MATERIALIZED VIEW AS
 * SELECT page that the validator enforces: HASH or ROUND_ROBIN only; aggregates limited to SUM and COUNT_BIG here
 * (MIN/MAX would need FOR_APPEND and disable the view on every UPDATE/DELETE of the fact); every GROUP BY column in
 * the SELECT list (at most 32); SUM over a nullable column needs its COUNT_BIG; no views, no tables with DDM.
 */
export interface MaterializedView {
  schema: string;
  name: string;
  description: string;
  fact: string;
  groupBy: string[];
  measures: { name: string; aggregate: "SUM" | "COUNT_BIG"; column?: string }[];
  distribution: { kind: "HASH"; column: string } | { kind: "ROUND_ROBIN" };
  rationale: string;
}

export interface ColumnRef {
  table: string;
  column: string;
}

/** An equi-join between two OLTP tables; must follow a declared foreign key (in either direction). */
export interface JoinRef {
  from: ColumnRef;
  to: ColumnRef;
}

export interface ValueFilter {
  /** Column of the same source table as the measure. */
  column: string;
  in: string[];
}

export type Transform =
  | { kind: "copy" }
  /** datetime2/date → INT yyyymmdd key of Dim_Date; `unknown` (the unknown member) when outside the calendar. */
  | { kind: "dateKey"; unknown: number }
  /** NULL → the dimension's unknown-member key. */
  | { kind: "unknownMember"; value: number }
  /** BIT: 1 when the source value is not NULL. */
  | { kind: "isNotNull" }
  /** SUM over the joined child rows (0 when none), optionally filtered. */
  | { kind: "sum"; where?: ValueFilter }
  /** COUNT of the joined child rows, optionally filtered. */
  | { kind: "count"; where?: ValueFilter };

export interface OltpColumnMapping {
  target: string;
  source: ColumnRef;
  transform: Transform;
}

/** A fact/dimension loaded by the nightly ETL from OLTP change data (CDC or change tracking, per table). */
export interface OltpTableMapping {
  kind: "oltp";
  target: string;
  /** The table whose rows define the grain (one target row per root row). */
  root: string;
  joins: JoinRef[];
  columns: OltpColumnMapping[];
}

/** A dimension whose rows are the closed value set of an OLTP enum column (seeded from the model). */
export interface EnumTableMapping {
  kind: "enum";
  target: string;
  source: ColumnRef;
  keyColumn: string;
  /** One row per allowed value of `source`, keyed by that value; attribute values per target column. */
  rows: Record<string, Record<string, SeedValue>>;
}

/** A calendar dimension generated set-based in the pool, one row per day of [from, to] (ISO dates). */
export interface CalendarTableMapping {
  kind: "calendar";
  target: string;
  from: string;
  to: string;
  description: string;
  /**
   * T-SQL expression of every target column over the day, written `[Date]` (a DATE). Valid in a dedicated SQL pool
   * and independent of session settings (language, DATEFIRST).
   */
  columns: Record<string, string>;
}

/** How one column of a windowed streaming aggregate is computed from the source events. */
export type StreamColumn =
  /** Start of the tumbling window (UTC). */
  | { kind: "windowStart" }
  /** yyyymmdd of the window start: the Dim_Date key. */
  | { kind: "windowDateKey" }
  /** Hour (0-23, UTC) of the window start. */
  | { kind: "windowHour" }
  /** Grouping field of the event (part of the grain); `whenNull` replaces a missing value. */
  | { kind: "group"; field: string; whenNull?: SeedValue; description?: string }
  /** Number of events in the group. */
  | { kind: "count" }
  /** Number of events whose numeric `field` lies in [min, max]. */
  | { kind: "countWhere"; field: string; min: number; max: number }
  /** Sum / maximum of a numeric field. */
  | { kind: "sum" | "max"; field: string }
  /** Continuous percentile (0 < p < 1) of a numeric field. */
  | { kind: "percentile"; field: string; p: number }
  /** numerator / denominator of two other columns of the same row. */
  | { kind: "ratio"; numerator: string; denominator: string };

/** A fact written by the streaming path (not the nightly ETL): tumbling-window aggregates of an event stream. */
export interface StreamTableMapping {
  kind: "stream";
  target: string;
  source: string;
  /** Event time field and window length: one row per window and group. */
  window: { timestampField: string; seconds: number };
  columns: { target: string; value: StreamColumn }[];
}

export type TableMapping = OltpTableMapping | EnumTableMapping | CalendarTableMapping | StreamTableMapping;

export interface OlapModel {
  tables: OlapTable[];
  mappings: TableMapping[];
  materializedViews: MaterializedView[];
}

export interface DataModel {
  oltp: OltpModel;
  olap: OlapModel;
}

// ---------------------------------------------------------------------------------------------------------------
// Type helpers shared by the validator and the generator

/** T-SQL spelling of a type: `BIGINT`, `CHAR(3)`, `DECIMAL(19, 4)`, `DATETIME2(3)`. */
export function renderType(type: SqlType): string {
  switch (type.kind) {
    case "char":
    case "varchar":
    case "nchar":
    case "nvarchar":
    case "binary":
    case "varbinary":
      return `${type.kind.toUpperCase()}(${type.length})`;
    case "decimal":
      return `DECIMAL(${type.precision}, ${type.scale})`;
    case "datetime2":
      return `DATETIME2(${type.precision})`;
    default:
      return type.kind.toUpperCase();
  }
}

export const isCharacterType = (type: SqlType): boolean =>
  type.kind === "char" || type.kind === "varchar" || type.kind === "nchar" || type.kind === "nvarchar";
export const isUnicodeType = (type: SqlType): boolean => type.kind === "nchar" || type.kind === "nvarchar";
export const isIntegerType = (type: SqlType): boolean =>
  type.kind === "bigint" || type.kind === "int" || type.kind === "smallint" || type.kind === "tinyint";
export const isNumericType = (type: SqlType): boolean => isIntegerType(type) || type.kind === "decimal";
export const isBinaryType = (type: SqlType): boolean => type.kind === "binary" || type.kind === "varbinary";
/** Declared length of a character/binary type, or undefined. */
export const typeLength = (type: SqlType): number | undefined => ("length" in type ? type.length : undefined);
