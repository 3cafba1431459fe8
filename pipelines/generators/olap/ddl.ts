// The pool's star schema and staging tables (10_olap_ddl.sql): created when missing, guarded against a table that
// differs from the model, the model's added columns added.
import type { Column, OlapModel, OlapTable } from "../../model/types";
import {
  batches,
  catalogType,
  columnDefinition,
  comment,
  differsFromModel,
  header,
  list,
  objectName,
  q,
  qualified,
  schemaStatements,
  shapeGuard,
} from "../tsql";

function withClause(table: OlapTable): string {
  const d = table.distribution;
  const distribution = d.kind === "HASH" ? `HASH(${q(d.column)})` : d.kind;
  const index =
    table.index.kind === "CLUSTERED INDEX" ? `CLUSTERED INDEX (${list(table.index.columns)})` : table.index.kind;
  return `WITH (DISTRIBUTION = ${distribution}, ${index})`;
}

/**
 * A re-run never changes an existing table, so a table created with another distribution than the model's would
 * silently keep it: stop and say how to move it (CTAS into the new distribution, then RENAME OBJECT).
 */
function distributionGuard(table: OlapTable): string {
  const name = objectName(table.schema, table.name);
  const policy = table.distribution.kind;
  const column = table.distribution.kind === "HASH" ? table.distribution.column : undefined;
  const wrongColumn = column
    ? ` OR EXISTS (SELECT 1 FROM sys.pdw_column_distribution_properties AS p JOIN sys.columns AS c ON c.object_id = p.object_id AND c.column_id = p.column_id WHERE p.object_id = OBJECT_ID(N'${name}') AND p.distribution_ordinal = 1 AND c.name <> N'${column}')`
    : "";
  return [
    `IF EXISTS (SELECT 1 FROM sys.pdw_table_distribution_properties WHERE object_id = OBJECT_ID(N'${name}') AND distribution_policy_desc <> N'${policy}')${wrongColumn}`,
    "BEGIN",
    `    THROW 50020, N'${name} exists with another distribution than the model''s (${policy}${column ? `(${column})` : ""}). Re-create it with CREATE TABLE AS SELECT in the new distribution and RENAME OBJECT${table.role === "fact" ? " (drop the dashboards'' materialized views over it first: 12 re-creates them)" : ""}, then re-run.', 1;`,
    "END;",
  ].join("\n");
}

/**
 * The condition "the table exists and lacks a column of the model" (CREATE TABLE runs only when the table is missing,
 * so a table created before the model added a column keeps its old shape). Plain subqueries over sys.columns, as the
 * distribution guard reads the pool's catalog.
 */
function lacksModelColumn(table: OlapTable, columns: readonly Column[] = table.columns): string {
  const name = objectName(table.schema, table.name);
  return `OBJECT_ID(N'${name}', N'U') IS NOT NULL AND ${lacksColumn(
    name,
    columns.map((c) => c.name),
  )}`;
}

/**
 * Whether `10` adds `c` to an existing fact or dimension that lacks it: a nullable column with no DEFAULT and no
 * IDENTITY (existing rows read NULL, as after a hand-written `ALTER TABLE … ADD … NULL`; the nightly load fills the
 * rows it touches, a full reload the others). Not a tracked attribute of a type 2 dimension: the load writes one only
 * into a new version, so its backfill (an UPDATE over every version) belongs in the migration that adds it, and a
 * NOT NULL column needs a value for the existing rows; both stop at the missing-column guard (THROW 50022) instead.
 */
export function addableToPool(table: OlapTable, c: Column): boolean {
  if (table.role === "staging" || !c.nullable || c.default !== undefined || c.identity) return false;
  return !(table.history?.tracked ?? []).includes(c.name);
}

/**
 * The nullable columns the model added to a fact or dimension since it was created: added, one guarded ALTER TABLE
 * each (ALTER TABLE … ADD on dedicated pools: Microsoft's ALTER TABLE page, Azure Synapse Analytics). Static
 * statements, no dynamic SQL. A materialized view over a fact selects named columns only, so a column added to its
 * fact is not in it (a measure the model adds to a view re-creates the view in `12`).
 */
function addedColumns(table: OlapTable): string[] {
  const name = objectName(table.schema, table.name);
  const added = table.columns.filter((c) => addableToPool(table, c));
  if (added.length === 0) return [];
  return [
    [
      `-- ${name}: nullable columns the model added since the table was created are added, NULL in existing rows (backfill: pipelines/README.md).`,
      ...added.map((c) =>
        [
          `IF OBJECT_ID(N'${name}', N'U') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'${name}') AND name = N'${c.name}')`,
          `    ALTER TABLE ${qualified(table.schema, table.name)} ADD ${columnDefinition(table, c, "olap")};`,
        ].join("\n"),
      ),
    ].join("\n"),
  ];
}

/** "The object `name` lacks one of `columns`": a derived table of the names, each looked up in sys.columns. */
export function lacksColumn(name: string, columns: readonly string[]): string {
  const names = columns.map((c, i) => (i === 0 ? `SELECT N'${c}' AS name` : `SELECT N'${c}'`)).join(" UNION ALL ");
  return `EXISTS (SELECT 1 FROM (${names}) AS m WHERE NOT EXISTS (SELECT 1 FROM sys.columns AS c WHERE c.object_id = OBJECT_ID(N'${name}') AND c.name = m.name))`;
}

/**
 * A staging table holds nothing between runs (each run truncates and reloads it, and its grants are the schema's), so
 * one that lacks a column the model added is dropped here and re-created below. A fact or dimension keeps its rows:
 * refuse, naming the model's columns, before the nightly load fails on the missing one.
 */
function missingColumnGuard(table: OlapTable): string[] {
  const name = objectName(table.schema, table.name);
  const shape = table.columns.map((c) => ({ name: c.name, type: catalogType(c.type) }));
  if (table.role === "staging")
    return [
      [
        `-- ${name}: re-created when it lacks a column the model added since, holds one it no longer names, or one of`,
        "-- another type (staging holds nothing between runs; a narrower model type would otherwise truncate in the load).",
        `IF ${lacksModelColumn(table)} OR ${differsFromModel({ name, columns: shape })}`,
        `    DROP TABLE ${qualified(table.schema, table.name)};`,
      ].join("\n"),
    ];
  const required = table.columns.filter((c) => !addableToPool(table, c));
  return [
    [
      `-- ${name}: every column of the model this script does not add exists (the table may predate a column the model added since).`,
      `IF ${lacksModelColumn(table, required)}`,
      "BEGIN",
      `    THROW 50022, N'${name} lacks one of the model''s columns that this script does not add (${required.map((c) => c.name).join(", ")}: NOT NULL, with a DEFAULT${table.history ? " or tracked by the type 2 history" : ""}, so the existing rows need a value): the table predates the model adding it. Before this script, add it with ALTER TABLE … ADD and backfill it in the same migration, see pipelines/README.md ("Changing the schema later").', 1;`,
      "END;",
    ].join("\n"),
  ];
}

function createOlapTable(table: OlapTable): string[] {
  const name = objectName(table.schema, table.name);
  const intro = [
    ...comment(`${name} (${table.role}): ${table.description}`),
    ...comment(`Distribution/index: ${table.rationale}`),
    ...(table.references ?? []).map(
      (r) => `-- ${table.name}.${r.column} → ${r.dimension}.${r.dimensionColumn} (logical: Synapse has no FOREIGN KEY)`,
    ),
  ];
  const parts = [
    ...(table.role === "staging" ? missingColumnGuard(table) : []),
    [
      ...intro,
      `IF OBJECT_ID(N'${name}', N'U') IS NULL`,
      "BEGIN",
      `    CREATE TABLE ${qualified(table.schema, table.name)}`,
      "    (",
      table.columns.map((c) => `        ${columnDefinition(table, c, "olap")}`).join(",\n"),
      "    )",
      `    ${withClause(table)};`,
      "END;",
    ].join("\n"),
    distributionGuard(table),
    ...(table.role === "staging" ? [] : [...addedColumns(table), ...missingColumnGuard(table)]),
  ];
  if (table.primaryKey) {
    parts.push(
      [
        `IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'${name}') AND is_primary_key = 1)`,
        `    ALTER TABLE ${qualified(table.schema, table.name)} ADD CONSTRAINT ${q(table.primaryKey.name)} PRIMARY KEY NONCLUSTERED (${list(table.primaryKey.columns)}) NOT ENFORCED;`,
      ].join("\n"),
    );
  }
  return parts;
}

export function generateOlapDdl(model: OlapModel): string {
  // A column dropped from the model, or classified away from the warehouse, keeps its values in a fact or dimension
  // (the analysts' SELECT covers the whole table; no erasure names it); a type the model narrowed would truncate in
  // the load. Staging tables are rebuilt instead (missingColumnGuard).
  const star = model.tables.filter((t) => t.role !== "staging");
  const shape = shapeGuard({
    tables: star.map((t) => ({
      name: objectName(t.schema, t.name),
      columns: t.columns.map((c) => ({ name: c.name, type: catalogType(c.type) })),
    })),
    error: 50023,
    how: "Drop a column the model no longer names (ALTER TABLE … DROP COLUMN, after a dashboard's materialized view that reads it) and change a type (CREATE TABLE AS SELECT with the model's type, then RENAME OBJECT) in a reviewed migration, see pipelines/README.md (\"Changing the schema later\").",
  });
  // The shape guard runs first, as `01`'s does: a renamed column is refused before its new name is added empty.
  const parts = [
    ...schemaStatements(model.tables.map((t) => t.schema)),
    shape,
    ...model.tables.flatMap(createOlapTable),
  ];
  return [
    header("Azure Synapse dedicated SQL pool (OLAP) star schema and staging tables.", [
      "Source: pipelines/model/olap.ts. Regenerate with `npm run sql:generate`; see pipelines/README.md.",
      "Run against <workspace>.sql.azuresynapse.net, database = the dedicated pool, with Entra authentication.",
      "Synapse enforces no FOREIGN KEY and only NONCLUSTERED NOT ENFORCED primary keys: the loader guarantees them.",
      "Idempotent: every statement is guarded; a table whose distribution differs from the model stops the run, and",
      "so does a column the model does not name or types otherwise; nullable columns the model added are added.",
    ]),
    batches(parts),
  ].join("\n");
}
