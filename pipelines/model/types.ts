// The payments data model as typed data. Everything that touches table shape — the OLTP DDL, the CDC setup,
// the Synapse star schema, the staging tables and the ETL mappings — is derived from values of these types,
// so the pieces cannot drift apart. `validate.ts` checks the invariants the type system cannot express.

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
export type Classification = { kind: "personal"; mask: MaskingFunction } | { kind: "card"; mask: MaskingFunction };

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
  description?: string;
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

/** Azure SQL ledger table flavour (see oltp.ts for why and where ledger is used). */
export type LedgerKind = "append-only" | "updatable";

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
  /** Read by the nightly ETL through change data capture (`cdc.<schema>_<table>_CT`). */
  cdc: boolean;
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

export interface OltpModel {
  tables: OltpTable[];
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
  /** datetime2/date → INT yyyymmdd key of Dim_Date. */
  | { kind: "dateKey" }
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

/** A fact/dimension loaded by the nightly ETL from OLTP change data (CDC). */
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

/** A dimension generated without a source (calendar). */
export interface GeneratedTableMapping {
  kind: "generated";
  target: string;
  description: string;
}

/** A fact written by the streaming path (not the nightly ETL). */
export interface StreamTableMapping {
  kind: "stream";
  target: string;
  source: string;
  columns: { target: string; field: string; transform?: string }[];
}

export type TableMapping = OltpTableMapping | EnumTableMapping | GeneratedTableMapping | StreamTableMapping;

export interface OlapModel {
  tables: OlapTable[];
  mappings: TableMapping[];
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
