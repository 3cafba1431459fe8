// Set-based load expressions over the deduplicated staging rows, derived from the mappings (shared by the publish
// procedure and the tests): the SELECT that builds a dimension's or a fact's candidate rows.
import type {
  CalendarTableMapping,
  Column,
  DataModel,
  OlapTable,
  OltpColumnMapping,
  OltpTableMapping,
} from "../../model/types";
import { isCharacterType, isUnicodeType, renderType } from "../../model/types";
import { literal, q, qualified } from "../../generators/tsql";
import { extractedTables, type ExtractedTable } from "../groups";

/** Temp table of a staging table's rows deduplicated per key (`#s_<Table>`), with `IsDeleted`. */
export const dedupedName = (table: string) => `#s_${table}`;
/** Temp table of a dimension's or fact's candidate rows (`#c_<Target>`). */
export const candidateName = (target: string) => `#c_${target}`;
/** Column carrying the source row's change time in a type 2 dimension's candidate rows. */
export const CHANGED_AT = "__ChangedAt";

/**
 * `CREATE TABLE #name WITH (DISTRIBUTION = …, HEAP) AS`, after dropping one left by an earlier call: a dedicated
 * pool's temp table lives for the session, not the procedure ("when the stored procedure completes, the created
 * table remains", sql-data-warehouse-tables-temporary), so a second call on the same session (an operator's re-run,
 * a pooled connection) would fail with "There is already an object named …".
 */
export function createTempTableAs(name: string, distribution: string): string[] {
  return [
    `IF OBJECT_ID(N'tempdb..${name}') IS NOT NULL DROP TABLE ${name};`,
    `CREATE TABLE ${name} WITH (DISTRIBUTION = ${distribution}, HEAP) AS`,
  ];
}

/** Distribution clause of a temp table copied from a staging table (same distribution: no data movement). */
export const distributionOf = (t: OlapTable) =>
  t.distribution.kind === "HASH" ? `HASH(${q(t.distribution.column)})` : t.distribution.kind;

/** `CREATE TABLE #s_<T> … AS`: the staging rows, one per primary key (the latest change wins, related rows last). */
export function dedupeStatement(x: ExtractedTable): string {
  const key = x.table.primaryKey.columns.map(q).join(", ");
  const deleted =
    x.mode === "cdc"
      ? `CASE WHEN s.${q(x.operationColumn)} = 1 THEN 1 ELSE 0 END`
      : `CASE WHEN s.${q(x.operationColumn)} = 'D' THEN 1 ELSE 0 END`;
  const cols = x.dataColumns.map((c) => q(c.name));
  return [
    ...createTempTableAs(dedupedName(x.table.name), distributionOf(x.staging)),
    `SELECT ${[...cols.map((c) => `d.${c}`), "CAST(d.[IsDeleted] AS BIT) AS [IsDeleted]"].join(", ")}`,
    "FROM (",
    `    SELECT ${cols.map((c) => `s.${c}`).join(", ")}, ${deleted} AS [IsDeleted],`,
    `        ROW_NUMBER() OVER (PARTITION BY ${x.table.primaryKey.columns.map((k) => `s.${q(k)}`).join(", ")} ORDER BY s.${q(x.positionColumn)} DESC) AS [RowNumber]`,
    `    FROM ${qualified(x.staging.schema, x.staging.name)} AS s`,
    ") AS d",
    `WHERE d.[RowNumber] = 1; -- one row per ${key}`,
  ].join("\n");
}

/** The calendar dimension (for `dateKey`): its table, key and the column holding the date. */
export function calendarOf(model: DataModel): { table: OlapTable; key: string; date: string } | undefined {
  const m = model.olap.mappings.find((x): x is CalendarTableMapping => x.kind === "calendar");
  const table = m && model.olap.tables.find((t) => t.name === m.target);
  if (!m || !table?.primaryKey) return undefined;
  const date = Object.entries(m.columns).find(([, e]) => e.trim() === "[Date]")?.[0];
  return date ? { table, key: table.primaryKey.columns[0], date } : undefined;
}

/** A value of the target's type for an inferred member's attribute (the unknown member's, else a neutral one). */
export function inferredValue(dim: OlapTable, c: Column): string {
  const member = dim.unknownMember?.[c.name];
  if (member !== undefined) return literal(member, c.type);
  if (c.nullable) return "NULL";
  if (isCharacterType(c.type)) {
    const len = "length" in c.type ? c.type.length : 7;
    return literal("unknown".slice(0, len), c.type);
  }
  if (c.type.kind === "datetime2" || c.type.kind === "date") return "'1900-01-01'";
  return "0";
}

const aggAlias = (target: string) => `agg_${target}`;

/**
 * The SELECT building a mapping's candidate rows from the deduplicated staging tables: copy / dateKey /
 * unknownMember / isNotNull columns read the root (or a parent joined many-to-one), sum / count aggregate a child
 * (one-to-many) grouped by its key, all cast to the target's types. Deleted root rows are left out.
 */
export function candidateSelect(
  model: DataModel,
  m: OltpTableMapping,
  target: OlapTable,
  extra: string[] = [],
  where: string[] = [],
): string {
  const xs = extractedTables(model);
  const root = xs.find((x) => x.table.name === m.root);
  if (!root) throw new Error(`${m.target}: root dbo.${m.root} is not extracted`);
  const rootKey = root.table.primaryKey.columns[0];
  const calendar = calendarOf(model);
  const joins: string[] = [];
  const childAggregates = new Map<string, { column: string; selects: string[] }>();
  for (const j of m.joins) {
    if (j.from.column === rootKey) childAggregates.set(j.to.table, { column: j.to.column, selects: [] });
    else
      joins.push(
        `LEFT OUTER JOIN ${dedupedName(j.to.table)} AS ${q(j.to.table)} ON ${q(j.to.table)}.${q(j.to.column)} = ${q(m.root)}.${q(j.from.column)} AND ${q(j.to.table)}.[IsDeleted] = 0`,
      );
  }
  const dateJoins: string[] = [];
  const expr = (c: OltpColumnMapping): string => {
    const src = `${q(c.source.table)}.${q(c.source.column)}`;
    switch (c.transform.kind) {
      case "copy":
        return src;
      case "isNotNull":
        return `CASE WHEN ${src} IS NOT NULL THEN 1 ELSE 0 END`;
      case "unknownMember":
        return `ISNULL(${src}, ${c.transform.value})`;
      case "dateKey": {
        if (!calendar) throw new Error(`${m.target}.${c.target}: dateKey needs a calendar dimension`);
        const alias = q(`dk_${c.target}`);
        dateJoins.push(
          `LEFT OUTER JOIN ${qualified(calendar.table.schema, calendar.table.name)} AS ${alias} ON ${alias}.${q(calendar.date)} = CAST(${src} AS DATE)`,
        );
        return `ISNULL(${alias}.${q(calendar.key)}, ${c.transform.unknown})`;
      }
      case "sum":
      case "count": {
        const child = childAggregates.get(c.source.table);
        if (!child) throw new Error(`${m.target}.${c.target}: ${c.source.table} is not joined one-to-many`);
        const value = c.transform.kind === "sum" ? q(c.source.column) : "1";
        const filtered = c.transform.where
          ? `CASE WHEN ${q(c.transform.where.column)} IN (${c.transform.where.in.map((v) => `'${v.replace(/'/g, "''")}'`).join(", ")}) THEN ${value} ELSE 0 END`
          : value;
        child.selects.push(`SUM(${filtered}) AS ${q(aggAlias(c.target))}`);
        return `ISNULL(${q(c.source.table)}.${q(aggAlias(c.target))}, 0)`;
      }
    }
  };
  // An erased subject's dimension attributes load as NULL, as the warehouse erasure leaves them (usp_EraseCustomer in
  // the pool): the OLTP row keeps some non-personal columns, and its erasure is itself a change the next night
  // extracts, which would otherwise write them back into every version.
  const erasedAt = root.table.erasedAtColumn;
  const dimKey = target.role === "dimension" ? target.primaryKey?.columns[0] : undefined;
  const erasable = (tc: OlapTable["columns"][number], c: OltpColumnMapping) =>
    erasedAt !== undefined &&
    dimKey !== undefined &&
    tc.nullable &&
    tc.name !== dimKey &&
    !(c.transform.kind === "isNotNull" && c.source.column === erasedAt);
  const selects = target.columns
    .filter((tc) => m.columns.some((c) => c.target === tc.name))
    .map((tc) => {
      const c = m.columns.find((x) => x.target === tc.name) as OltpColumnMapping;
      const value = erasable(tc, c)
        ? `CASE WHEN ${q(m.root)}.${q(erasedAt as string)} IS NOT NULL THEN NULL ELSE ${expr(c)} END`
        : expr(c);
      return `CAST(${value} AS ${renderType(tc.type)}) AS ${q(tc.name)}`;
    });
  for (const [table, agg] of childAggregates) {
    if (!agg.selects.length) continue;
    joins.push(
      [
        "LEFT OUTER JOIN (",
        `    SELECT ${q(agg.column)}, ${agg.selects.join(", ")}`,
        `    FROM ${dedupedName(table)} WHERE [IsDeleted] = 0 GROUP BY ${q(agg.column)}`,
        `) AS ${q(table)} ON ${q(table)}.${q(agg.column)} = ${q(m.root)}.${q(rootKey)}`,
      ].join("\n"),
    );
  }
  return [
    `SELECT ${[...selects, ...extra].join(",\n       ")}`,
    `FROM ${dedupedName(m.root)} AS ${q(m.root)}`,
    ...joins,
    ...dateJoins,
    `WHERE ${[`${q(m.root)}.[IsDeleted] = 0`, ...where].join(" AND ")}`,
  ].join("\n");
}

/** Null-safe "differs" between two column references. */
export const differs = (a: string, b: string) =>
  `(${a} <> ${b} OR (${a} IS NULL AND ${b} IS NOT NULL) OR (${a} IS NOT NULL AND ${b} IS NULL))`;

/** N'…' or '…' literal of a string in the type of a column (for messages). */
export const textLiteral = (c: Column, s: string) => (isUnicodeType(c.type) ? `N'${s}'` : `'${s}'`);
