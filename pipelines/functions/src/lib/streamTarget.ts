/**
 * The Synapse loader's pure part (flow 3): rows the Stream Analytics job wrote to the api-performance hub become
 * parameterised INSERTs into the fact table, column by column as the data model declares it
 * (src/generated/streamTargets.ts, generated from pipelines/model/olap.ts). No I/O.
 *
 * A dedicated SQL pool takes no multi-row VALUES list, so a batch is `INSERT … SELECT … UNION ALL SELECT …` with one
 * parameter per value (at most 2,100 parameters a request). Rows are appended as they come: the job delivers at
 * least once, and the fact has no key on purpose: the nightly compaction deduplicates a replayed minute on the grain
 * (pipelines/model/olap.ts).
 */

/** A column type as the data model writes it (pipelines/model/types.ts `SqlType`). */
export type SqlType =
  | { readonly kind: "bigint" | "int" | "smallint" | "tinyint" | "bit" | "date" | "rowversion" }
  | {
      readonly kind: "char" | "varchar" | "nchar" | "nvarchar" | "binary" | "varbinary";
      readonly length: number;
    }
  | { readonly kind: "decimal"; readonly precision: number; readonly scale: number }
  | { readonly kind: "datetime2"; readonly precision: number };

export interface StreamTarget {
  /** `schema.table` */
  readonly table: string;
  readonly columns: readonly { readonly name: string; readonly type: SqlType; readonly nullable: boolean }[];
}

/** A value ready for the driver: number, string, boolean, Date or null. */
export type SqlValue = number | string | boolean | Date | null;

export interface SqlParameter {
  readonly name: string;
  readonly type: SqlType;
  readonly value: SqlValue;
}

export interface SqlStatement {
  readonly sql: string;
  readonly parameters: readonly SqlParameter[];
  readonly rows: number;
}

/**
 * The label every insert carries (`OPTION (LABEL = …)`, which Synapse's INSERT … SELECT takes), so the pool's logs
 * (`Label`) show the loader's requests; it is also the workload context the loader sets on its session
 * (src/lib/synapse.ts), by which the pool classifies them where the loader runs as `dbo`
 * (components/olap/settings.ts, STREAM_LOAD_LABEL, which a test keeps equal to this one).
 */
export const STREAM_LOAD_LABEL = "stream_load";

/** SQL Server's limit is 2,100 parameters a request; keep a margin. */
export const MAX_PARAMETERS = 2000;
/** Rows per INSERT at most (a long UNION ALL costs the pool's optimiser more than a second statement). */
export const MAX_ROWS_PER_STATEMENT = 100;
/**
 * The longest statement text, and the longest parameter declaration list, a statement may have. tedious sends both to
 * `sp_executesql` as nvarchar parameters, as nvarchar(max) once longer than 4,000 characters (tedious
 * lib/data-types/nvarchar.js, `maximumLength: 4000`), and a dedicated pool takes no blob type there: "Dedicated SQL
 * pools don't support blob data types at this time … If the string is short, you can use sp_executesql as normal"
 * (https://learn.microsoft.com/azure/synapse-analytics/sql-data-warehouse/sql-data-warehouse-develop-dynamic-sql); a
 * tedious user's 8,300-character statement was refused by a dedicated pool with "Unsupported parameter type found
 * while parsing RPC request" (tediousjs/tedious#320). At 100 rows the fact's statement was 14,236 characters and its
 * declarations 22,848: every batch of more than 17 rows would have failed, and been retried for ever.
 */
export const MAX_STATEMENT_CHARS = 4000;

/**
 * A parameter's type as tedious declares it to `sp_executesql` (`@p0_1 varchar(64)`, the data-types' `declaration`
 * with the length, precision or scale tediousType passes); a test compares every kind with tedious' own.
 */
export function declaredType(type: SqlType): string {
  switch (type.kind) {
    case "datetime2":
      return `datetime2(${type.precision})`;
    case "decimal":
      return `decimal(${type.precision}, ${type.scale})`;
    case "char":
    case "nchar": {
      // A fixed length the type's maximum or longer is declared as the maximum.
      const max = type.kind === "nchar" ? 4000 : 8000;
      return `${type.kind}(${Math.min(type.length, max)})`;
    }
    case "varchar":
    case "nvarchar":
    case "binary":
    case "varbinary": {
      // tedious binds binary as varbinary (src/lib/synapse.ts tediousType); past the maximum it is the max type.
      const kind = type.kind === "binary" ? "varbinary" : type.kind;
      return `${kind}(${type.length <= (kind === "nvarchar" ? 4000 : 8000) ? type.length : "max"})`;
    }
    default:
      return type.kind;
  }
}

const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  tinyint: [0, 255],
  smallint: [-32768, 32767],
  int: [-2147483648, 2147483647],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** One value of a row checked against its column type: the value to bind, or why it cannot be. */
export function toSqlValue(
  value: unknown,
  column: StreamTarget["columns"][number],
): { ok: true; value: SqlValue } | { ok: false; reason: string } {
  const { name, type } = column;
  if (value === null || value === undefined) {
    return column.nullable ? { ok: true, value: null } : { ok: false, reason: `${name} is missing` };
  }
  switch (type.kind) {
    case "tinyint":
    case "smallint":
    case "int":
    case "bigint": {
      const [min, max] = INTEGER_RANGES[type.kind];
      if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
        return { ok: false, reason: `${name} is not a ${type.kind}: ${JSON.stringify(value)}` };
      return { ok: true, value };
    }
    case "bit":
      if (typeof value === "boolean") return { ok: true, value };
      if (value === 0 || value === 1) return { ok: true, value: value === 1 };
      return { ok: false, reason: `${name} is not a bit: ${JSON.stringify(value)}` };
    case "decimal": {
      // Checked after rounding to the scale, as the pool stores it (99.996 in decimal(4, 2) is 100.00: too wide).
      const limit = 10 ** (type.precision - type.scale);
      const rounded = typeof value === "number" && Number.isFinite(value) ? Number(value.toFixed(type.scale)) : NaN;
      if (Number.isNaN(rounded) || Math.abs(rounded) >= limit)
        return { ok: false, reason: `${name} does not fit decimal(${type.precision}, ${type.scale})` };
      return { ok: true, value: rounded };
    }
    case "date":
    case "datetime2": {
      const time = typeof value === "string" ? Date.parse(value) : Number.NaN;
      if (Number.isNaN(time)) return { ok: false, reason: `${name} is not an ISO 8601 date: ${JSON.stringify(value)}` };
      return { ok: true, value: new Date(time) };
    }
    case "char":
    case "varchar":
    case "nchar":
    case "nvarchar": {
      if (typeof value !== "string") return { ok: false, reason: `${name} is not a string` };
      // varchar/char lengths are bytes, nvarchar/nchar lengths UTF-16 code units (what a JS string's length counts).
      const size = type.kind.startsWith("n") ? value.length : Buffer.byteLength(value, "utf8");
      if (size > type.length) return { ok: false, reason: `${name} is longer than ${type.length}` };
      return { ok: true, value };
    }
    default:
      return { ok: false, reason: `${name}: ${type.kind} columns are not loaded from a stream` };
  }
}

/** The rows of one event body: LineSeparated JSON (the job's output format), a JSON array, or one object. */
export function parseRows(body: unknown): { rows: Record<string, unknown>[]; errors: string[] } {
  const rows: Record<string, unknown>[] = [];
  const errors: string[] = [];
  const take = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(take);
    else if (v !== null && typeof v === "object") rows.push(v as Record<string, unknown>);
    else errors.push(`not a JSON object: ${JSON.stringify(v)?.slice(0, 80)}`);
  };
  if (typeof body === "string" || body instanceof Uint8Array) {
    const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim()) continue;
      try {
        take(JSON.parse(line));
      } catch {
        errors.push(`not JSON: ${line.slice(0, 80)}`);
      }
    }
  } else take(body);
  return { rows, errors };
}

/** `schema.table` or a column name as a bracketed identifier (the model's names never contain `]`). */
const quote = (name: string) =>
  name
    .split(".")
    .map((part) => `[${part.replace(/]/g, "]]")}]`)
    .join(".");

/** The loadable columns of a target (a rowversion is set by the pool). */
export const loadableColumns = (target: StreamTarget) => target.columns.filter((c) => c.type.kind !== "rowversion");

/**
 * Rows → INSERT statements of at most MAX_ROWS_PER_STATEMENT rows, MAX_PARAMETERS parameters and MAX_STATEMENT_CHARS
 * characters of text and of declarations, plus the rows that were refused (a value missing or out of its column's
 * type), each with its reason.
 */
export function insertStatements(
  target: StreamTarget,
  rows: readonly Record<string, unknown>[],
): { statements: SqlStatement[]; rejected: { row: number; reason: string }[] } {
  const columns = loadableColumns(target);
  const accepted: SqlValue[][] = [];
  const rejected: { row: number; reason: string }[] = [];
  rows.forEach((row, i) => {
    const values: SqlValue[] = [];
    for (const c of columns) {
      const v = toSqlValue(row[c.name], c);
      if (!v.ok) {
        rejected.push({ row: i, reason: v.reason });
        return;
      }
      values.push(v.value);
    }
    accepted.push(values);
  });
  const perStatement = Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / columns.length)));
  const head = `INSERT INTO ${quote(target.table)} (${columns.map((c) => quote(c.name)).join(", ")})`;
  const tail = `\nOPTION (LABEL = '${STREAM_LOAD_LABEL}');`;
  const types = columns.map((c) => declaredType(c.type));
  const statements: SqlStatement[] = [];
  // Rows join a statement while it keeps within the row and parameter limits and both of its sp_executesql strings
  // (the text and tedious' declaration list, `@p0_0 datetime2(0), @p0_1 int, …`) within MAX_STATEMENT_CHARS.
  let parameters: SqlParameter[] = [];
  let selects: string[] = [];
  let sqlChars = head.length + tail.length;
  let declarationChars = 0;
  const flush = () => {
    if (!selects.length) return;
    statements.push({ sql: `${head}\n${selects.join("\nUNION ALL ")}${tail}`, parameters, rows: selects.length });
    parameters = [];
    selects = [];
    sqlChars = head.length + tail.length;
    declarationChars = 0;
  };
  for (const values of accepted) {
    const rowOf = (r: number) => {
      const names = values.map((_, c) => `p${r}_${c}`);
      return {
        names,
        select: `SELECT ${names.map((n) => `@${n}`).join(", ")}`,
        declarations: names.map((n, c) => `@${n} ${types[c]}`).join(", "),
      };
    };
    let row = rowOf(selects.length);
    const fits = () =>
      sqlChars + (selects.length ? "\nUNION ALL ".length : 1) + row.select.length <= MAX_STATEMENT_CHARS &&
      declarationChars + (selects.length ? 2 : 0) + row.declarations.length <= MAX_STATEMENT_CHARS;
    if (selects.length >= perStatement || (selects.length && !fits())) {
      flush();
      row = rowOf(0);
    }
    sqlChars += (selects.length ? "\nUNION ALL ".length : 1) + row.select.length;
    declarationChars += (selects.length ? 2 : 0) + row.declarations.length;
    selects.push(row.select);
    row.names.forEach((name, c) => parameters.push({ name, type: columns[c].type, value: values[c] }));
  }
  flush();
  return { statements, rejected };
}

/** What runs the statements (src/lib/synapse.ts against the pool; a fake in tests). */
export interface SqlExecutor {
  /** Runs the statements in order on one connection; resolves with the rows inserted. */
  run(statements: readonly SqlStatement[]): Promise<number>;
}
