// Azure Synapse dedicated SQL pool scripts: the star schema and staging tables, reference data (enum dimensions,
// unknown members, the calendar) and the dashboards' materialized views. Everything here is written for what a
// dedicated pool accepts (Microsoft's T-SQL pages for Azure Synapse Analytics): no FOREIGN KEY, PRIMARY KEY only
// NONCLUSTERED NOT ENFORCED, no CTE in front of INSERT, no recursive CTE or GENERATE_SERIES, MATERIALIZED VIEW only
// HASH/ROUND_ROBIN with SUM/COUNT_BIG here.
import { createHash } from "node:crypto";
import type { CalendarTableMapping, Column, MaterializedView, OlapModel, OlapTable } from "../model/types";
import {
  batches,
  catalogType,
  columnDefinition,
  comment,
  differsFromModel,
  externalPrincipal,
  header,
  indent,
  list,
  literal,
  objectName,
  q,
  qualified,
  schemaStatements,
  shapeGuard,
} from "./tsql";

/** Procedure the nightly load calls after publishing (flow 2, step 5: "refresh aggregate tables"). */
export const REFRESH_PROCEDURE = { schema: "dbo", name: "usp_RefreshDashboardAggregates" };

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
function lacksColumn(name: string, columns: readonly string[]): string {
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

// --- reference data: enum dimensions, unknown members, calendar ---------------------------------------------------

/** One row per day of the calendar, set-based: a cross join of digit sets numbers the days (no loop, no CTE). */
export function calendarStatement(table: OlapTable, mapping: CalendarTableMapping): string {
  const from = `CAST('${mapping.from}' AS DATE)`;
  const to = `CAST('${mapping.to}' AS DATE)`;
  const days = Math.round((Date.parse(mapping.to) - Date.parse(mapping.from)) / 86_400_000) + 1;
  const digits = Math.max(1, Math.ceil(Math.log10(days)));
  const digitSet = `(SELECT 0 AS n UNION ALL ${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `SELECT ${n}`).join(" UNION ALL ")})`;
  const sources = Array.from({ length: digits }, (_, i) => `${digitSet} AS d${i}`);
  const number = Array.from({ length: digits }, (_, i) => (i === 0 ? "d0.n" : `${10 ** i} * d${i}.n`)).join(" + ");
  const key = table.primaryKey?.columns[0] ?? "DateKey";
  const expr = (c: Column) => (mapping.columns[c.name] ?? "NULL").replace(/\[Date\]/g, "c.[Date]");
  return [
    ...comment(
      `${table.name}: ${mapping.description} One row per day from ${mapping.from} to ${mapping.to} (${days} days); inserts only the days that are missing, so re-runs and a widened range are safe.`,
    ),
    `INSERT INTO ${qualified(table.schema, table.name)} (${list(table.columns.map((c) => c.name))})`,
    `SELECT ${table.columns.map((c) => `${expr(c)} AS ${q(c.name)}`).join(",\n       ")}`,
    "FROM (",
    `    SELECT DATEADD(DAY, ${number}, ${from}) AS [Date]`,
    `    FROM ${sources.join("\n    CROSS JOIN ")}`,
    `    WHERE ${number} <= DATEDIFF(DAY, ${from}, ${to})`,
    ") AS c",
    `LEFT OUTER JOIN ${qualified(table.schema, table.name)} AS x ON x.${q(key)} = ${expr(table.columns.find((c) => c.name === key) ?? table.columns[0])}`,
    `WHERE x.${q(key)} IS NULL;`,
  ].join("\n");
}

export function generateOlapReferenceData(model: OlapModel): string {
  const parts: string[] = [];
  for (const table of model.tables) {
    const name = qualified(table.schema, table.name);
    const col = (n: string) => table.columns.find((c) => c.name === n);
    const mapping = model.mappings.find((m) => m.target === table.name);
    if (table.unknownMember && table.primaryKey) {
      const keyName = table.primaryKey.columns[0];
      const key = col(keyName);
      const member = table.unknownMember;
      if (key) {
        const cols = table.columns.filter((c) => c.name in member);
        const attrs = cols.filter((c) => c.name !== keyName);
        const keyValue = literal(member[keyName] ?? null, key.type);
        parts.push(
          [
            `-- ${table.name} unknown member (upserted: the model's values win)`,
            `IF NOT EXISTS (SELECT 1 FROM ${name} WHERE ${q(keyName)} = ${keyValue})`,
            `    INSERT INTO ${name} (${list(cols.map((c) => c.name))}) VALUES (${cols.map((c) => literal(member[c.name] ?? null, c.type)).join(", ")});`,
            "ELSE",
            `    UPDATE ${name} SET ${attrs.map((c) => `${q(c.name)} = ${literal(member[c.name] ?? null, c.type)}`).join(", ")} WHERE ${q(keyName)} = ${keyValue};`,
          ].join("\n"),
        );
      }
    }
    if (mapping?.kind === "calendar") parts.push(calendarStatement(table, mapping));
    if (mapping?.kind === "enum") {
      const key = col(mapping.keyColumn);
      if (!key) continue;
      const values = Object.keys(mapping.rows).map((v) => literal(v, key.type));
      const attrs = table.columns.filter((c) => c.name !== mapping.keyColumn);
      for (const [value, row] of Object.entries(mapping.rows)) {
        const v = (c: Column) => literal(row[c.name] ?? null, c.type);
        parts.push(
          [
            `-- ${table.name} '${value}' (from ${mapping.source.table}.${mapping.source.column})`,
            `IF NOT EXISTS (SELECT 1 FROM ${name} WHERE ${q(key.name)} = ${literal(value, key.type)})`,
            `    INSERT INTO ${name} (${list([key.name, ...attrs.map((c) => c.name)])}) VALUES (${[literal(value, key.type), ...attrs.map(v)].join(", ")});`,
            "ELSE",
            `    UPDATE ${name} SET ${attrs.map((c) => `${q(c.name)} = ${v(c)}`).join(", ")} WHERE ${q(key.name)} = ${literal(value, key.type)};`,
          ].join("\n"),
        );
      }
      // Values the model removed leave the dimension, unless facts still use them (they would lose their member).
      const facts = model.tables.filter((t) => (t.references ?? []).some((r) => r.dimension === table.name));
      const keep = table.unknownMember ? [...values, literal(table.unknownMember[key.name] ?? null, key.type)] : values;
      const referencing = facts.flatMap((f) =>
        (f.references ?? [])
          .filter((r) => r.dimension === table.name)
          .map(
            (r) =>
              `EXISTS (SELECT 1 FROM ${qualified(f.schema, f.name)} WHERE ${q(r.column)} NOT IN (${keep.join(", ")}))`,
          ),
      );
      if (referencing.length) {
        parts.push(
          [
            `-- ${table.name}: values no longer in dbo.${mapping.source.table}.${mapping.source.column} are removed below; facts must not use them.`,
            `IF ${referencing.join("\n    OR ")}`,
            "BEGIN",
            `    THROW 50021, N'Facts still use ${table.name} values that the model removed from ${mapping.source.table}.${mapping.source.column}: migrate those facts first (the OLTP CHECK no longer allows the values).', 1;`,
            "END;",
          ].join("\n"),
        );
      }
      parts.push(`DELETE FROM ${name} WHERE ${q(key.name)} NOT IN (${keep.join(", ")});`);
    }
  }
  return [
    header("Azure Synapse dedicated SQL pool (OLAP) reference data: unknown members, the calendar, enum dimensions.", [
      "Source: pipelines/model/olap.ts. Regenerate with `npm run sql:generate`. Run after 10_olap_schema.sql.",
      "Enum dimensions are reconciled with the OLTP CHECK-constraint values (upserted, and removed values deleted), so",
      "they cannot drift from the source. Dim_Date is generated set-based in the pool; facts point dates outside it",
      "at its unknown member 0.",
    ]),
    batches(parts),
  ].join("\n");
}

// --- dashboards: materialized views and their refresh -------------------------------------------------------------

function materializedViewSelect(mv: MaterializedView, fact: OlapTable): string {
  const measures = mv.measures.map((m) =>
    m.aggregate === "COUNT_BIG"
      ? `COUNT_BIG(${m.column ? q(m.column) : "*"}) AS ${q(m.name)}`
      : `SUM(${q(m.column ?? "")}) AS ${q(m.name)}`,
  );
  return [
    `SELECT ${[...mv.groupBy.map(q), ...measures].join(", ")}`,
    `FROM ${qualified(fact.schema, fact.name)}`,
    `GROUP BY ${mv.groupBy.map(q).join(", ")}`,
  ].join(" ");
}

/**
 * Where `12` records each dashboard view's definition (a SHA-256 of its CREATE statement, computed here): a dedicated
 * pool has neither OBJECT_DEFINITION nor extended properties, and no page says what `sys.sql_modules` holds for a
 * materialized view, so the pool is not asked to give the text back. A tiny replicated heap, in no grant.
 */
export const DASHBOARD_DEFINITIONS = { schema: "dbo", name: "DashboardViewDefinition" };

/**
 * The SHA-256 of a view's CREATE statement with its whitespace collapsed, as a T-SQL binary literal: a change of
 * layout in the generator does not rebuild every view from its whole fact; any change of what the statement says does.
 */
export function definitionHash(create: string): string {
  const canonical = create.replace(/\s+/g, " ").trim();
  return `0x${createHash("sha256").update(canonical, "utf8").digest("hex").toUpperCase()}`;
}

export function generateDashboardsScript(model: OlapModel): string {
  const definitions = qualified(DASHBOARD_DEFINITIONS.schema, DASHBOARD_DEFINITIONS.name);
  const definitionsName = objectName(DASHBOARD_DEFINITIONS.schema, DASHBOARD_DEFINITIONS.name);
  const parts: string[] = [
    [
      `-- ${definitionsName}: the definition (SHA-256 of its CREATE statement) each dashboard view was created from.`,
      `IF OBJECT_ID(N'${definitionsName}', N'U') IS NULL`,
      `    CREATE TABLE ${definitions} ([ViewName] NVARCHAR(256) NOT NULL, [DefinitionHash] BINARY(32) NOT NULL, [RecordedAt] DATETIME2(0) NOT NULL) WITH (DISTRIBUTION = REPLICATE, HEAP);`,
    ].join("\n"),
  ];
  for (const mv of model.materializedViews) {
    const fact = model.tables.find((t) => t.name === mv.fact);
    if (!fact) continue;
    const distribution = mv.distribution.kind === "HASH" ? `HASH(${q(mv.distribution.column)})` : "ROUND_ROBIN";
    const create = `CREATE MATERIALIZED VIEW ${qualified(mv.schema, mv.name)} WITH (DISTRIBUTION = ${distribution}) AS ${materializedViewSelect(mv, fact)};`;
    const name = objectName(mv.schema, mv.name);
    const columns = [...mv.groupBy, ...mv.measures.map((m) => m.name)];
    const hash = definitionHash(create);
    const record = [
      `IF NOT EXISTS (SELECT 1 FROM ${definitions} WHERE [ViewName] = N'${name}') AND OBJECT_ID(N'${name}', N'V') IS NOT NULL`,
      // INSERT … SELECT: a dedicated pool's VALUES takes literals and variables only (INSERT page, Azure Synapse).
      `    INSERT INTO ${definitions} ([ViewName], [DefinitionHash], [RecordedAt]) SELECT N'${name}', ${hash}, SYSUTCDATETIME();`,
    ].join("\n");
    parts.push(
      // CREATE runs only when the view is missing, so a grouping, measure, aggregate, fact or distribution the model
      // changed would never reach a deployed pool: a view whose columns differ from the model's, or that has no record
      // of this definition (another one, or none: a view made by hand or by a 12 from before the record, whose
      // definition nothing can tell), is dropped here and re-created below, from the fact (13 and 16 grant it again).
      [
        `-- ${name}: dropped when its columns differ from the model's or it has no record of this definition, to be re-created below.`,
        `IF OBJECT_ID(N'${name}', N'V') IS NOT NULL AND (${lacksColumn(name, columns)} OR EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'${name}') AND name NOT IN (${columns.map((c) => `N'${c}'`).join(", ")})) OR NOT EXISTS (SELECT 1 FROM ${definitions} WHERE [ViewName] = N'${name}' AND [DefinitionHash] = ${hash}))`,
        `    DROP VIEW ${qualified(mv.schema, mv.name)};`,
      ].join("\n"),
      [
        `-- ${name}: the record of an earlier definition goes (its view was dropped above).`,
        `DELETE FROM ${definitions} WHERE [ViewName] = N'${name}' AND [DefinitionHash] <> ${hash};`,
      ].join("\n"),
      [
        ...comment(`${mv.schema}.${mv.name}: ${mv.description}`),
        ...comment(`Distribution: ${mv.rationale}`),
        `IF OBJECT_ID(N'${name}', N'V') IS NULL`,
        `    EXEC(N'${create.replace(/'/g, "''")}');`,
        record,
      ].join("\n"),
    );
  }
  const proc = qualified(REFRESH_PROCEDURE.schema, REFRESH_PROCEDURE.name);
  const procName = objectName(REFRESH_PROCEDURE.schema, REFRESH_PROCEDURE.name);
  parts.push(
    [
      `IF OBJECT_ID(N'${procName}', N'P') IS NULL`,
      `    EXEC(N'CREATE PROCEDURE ${proc} AS BEGIN SET NOCOUNT ON; END');`,
    ].join("\n"),
    [
      ...comment(
        "Called by the nightly load after it publishes (flow 2, step 5). Synapse already folds every load into the " +
          "views; REBUILD compacts the deltas they accumulate (DBCC PDW_SHOWMATERIALIZEDVIEWOVERHEAD shows them) so " +
          "dashboard queries keep reading one compact columnstore.",
      ),
      `ALTER PROCEDURE ${proc}`,
      "AS",
      "BEGIN",
      indent(
        [
          "SET NOCOUNT ON;",
          ...model.materializedViews.map((mv) => `ALTER MATERIALIZED VIEW ${qualified(mv.schema, mv.name)} REBUILD;`),
        ].join("\n"),
      ),
      "END;",
    ].join("\n"),
  );
  return [
    header("Azure Synapse dedicated SQL pool (OLAP): the materialized views the dashboards read, and their refresh.", [
      "Source: pipelines/model/olap.ts (materializedViews). Regenerate with `npm run sql:generate`. Run after 11.",
      "Restrictions of CREATE MATERIALIZED VIEW AS SELECT (dedicated pools) the model is validated against: HASH or",
      "ROUND_ROBIN only, SUM and COUNT_BIG over one fact, every GROUP BY column selected, no DDM on the fact.",
      "Idempotent: each view is created when missing (dropped first when its columns differ from the model's or the",
      `definition recorded in ${definitionsName} is not the model's);`,
      `${procName} is (re)defined on every run.`,
    ]),
    batches(parts),
  ].join("\n");
}

// --- the ETL identity's access to the pool --------------------------------------------------------------------

/** sqlcmd variable naming the ETL identity (the Data Factory managed identity's display name) in 13. */
export const OLAP_ETL_PRINCIPAL_VARIABLE = "EtlPrincipalName";

export function generateOlapEtlAccessScript(model: OlapModel): string {
  const etl = externalPrincipal(OLAP_ETL_PRINCIPAL_VARIABLE);
  const principal = etl.name;
  const parts: string[] = [
    etl.createUser,
    [
      "-- COPY INTO the staging tables needs INSERT on them and this database permission (COPY INTO page).",
      `GRANT ADMINISTER DATABASE BULK OPERATIONS TO ${principal};`,
    ].join("\n"),
    [
      // The load's procedures build their working sets as #temp tables with CTAS, under the caller's permissions (no
      // ownership chain covers DDL). The pool's CREATE TABLE page names no exemption for temporary tables, unlike
      // SQL Server's (unverified on a pool): granted, it lets the identity create tables in stg only, the one schema it
      // holds ALTER on.
      "-- #temp tables the load's procedures create (CTAS), and nothing outside stg: CREATE TABLE needs ALTER on the schema.",
      `GRANT CREATE TABLE TO ${principal};`,
    ].join("\n"),
  ];
  for (const schema of [...new Set(model.tables.filter((t) => t.role === "staging").map((t) => t.schema))]) {
    parts.push(
      [
        `-- ${schema}: landing tables, truncated (ALTER) and reloaded every run.`,
        `GRANT SELECT, INSERT, UPDATE, DELETE, ALTER ON SCHEMA::${q(schema)} TO ${principal};`,
      ].join("\n"),
    );
  }
  for (const t of model.tables.filter((x) => x.role !== "staging")) {
    parts.push(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${qualified(t.schema, t.name)} TO ${principal};`);
  }
  parts.push(
    [
      "-- The refresh after each load: EXECUTE the procedure, ALTER (REBUILD) each materialized view it rebuilds.",
      `GRANT EXECUTE ON ${qualified(REFRESH_PROCEDURE.schema, REFRESH_PROCEDURE.name)} TO ${principal};`,
      ...model.materializedViews.map((mv) => `GRANT ALTER ON ${qualified(mv.schema, mv.name)} TO ${principal};`),
    ].join("\n"),
  );
  return [
    header("Azure Synapse dedicated SQL pool (OLAP): what the ETL identity may do, and nothing more.", [
      "Source: pipelines/model/olap.ts. Regenerate with `npm run sql:generate`. Run after 12, as the Entra admin:",
      `sqlcmd ... -I -v ${OLAP_ETL_PRINCIPAL_VARIABLE}="<display name of the Data Factory managed identity>" -i 13_olap_etl_access.sql`,
      "No db_owner, no CONTROL, no DDL outside the staging schema. Idempotent: GRANT is, and the user is guarded.",
    ]),
    batches(parts),
  ].join("\n");
}

// --- the streaming loader's access to the pool ----------------------------------------------------------------

/** sqlcmd variable naming the streaming app's identity (the Synapse loader's managed identity) in 15. */
export const OLAP_STREAMING_PRINCIPAL_VARIABLE = "StreamingPrincipalName";
export const OLAP_STREAMING_ACCESS_FILE = "15_olap_streaming_access.sql";

/**
 * An access script of the pool: the principal's database user (guarded), then one commented GRANT per object, under
 * the generated header; the user's name is the sqlcmd variable `variable`.
 */
function accessScript(o: {
  readonly title: string;
  readonly header: readonly string[];
  readonly variable: string;
  readonly grants: readonly { readonly comment: string; readonly sql: (principal: string) => string }[];
}): string {
  const principal = externalPrincipal(o.variable);
  const parts = [principal.createUser, ...o.grants.map((g) => [`-- ${g.comment}`, g.sql(principal.name)].join("\n"))];
  return [header(o.title, [...o.header, "Idempotent: GRANT is, and the user is guarded."]), batches(parts)].join("\n");
}

/** INSERT on the tables the streaming path writes (the model's `stream` mappings), and nothing else. */
export function generateOlapStreamingAccessScript(model: OlapModel): string {
  const targets = model.mappings.flatMap((m) => (m.kind === "stream" ? [m.target] : []));
  return accessScript({
    title: "Azure Synapse dedicated SQL pool (OLAP): what the streaming loader may do, and nothing more.",
    header: [
      "Source: pipelines/model/olap.ts (stream mappings). Regenerate with `npm run sql:generate`. Run after 10, as the",
      "Entra admin (the schema deployment pipeline does, with global parameter streamingPrincipalName):",
      `sqlcmd ... -I -v ${OLAP_STREAMING_PRINCIPAL_VARIABLE}="<display name of the streaming app's managed identity>" -i ${OLAP_STREAMING_ACCESS_FILE}`,
    ],
    variable: OLAP_STREAMING_PRINCIPAL_VARIABLE,
    grants: targets.map((name) => {
      const table = model.tables.find((t) => t.name === name);
      if (!table) throw new Error(`stream mapping targets unknown table ${name}`);
      return {
        comment: `${table.name}: the loader appends the Stream Analytics job's rows (no read, update or delete).`,
        sql: (principal: string) => `GRANT INSERT ON ${qualified(table.schema, table.name)} TO ${principal};`,
      };
    }),
  });
}

// --- the analysts' read access to the pool ----------------------------------------------------------------------

/** sqlcmd variable naming the analysts' Entra group (its display name) in 16. */
export const OLAP_ANALYSTS_PRINCIPAL_VARIABLE = "AnalystsPrincipalName";
export const OLAP_ANALYST_ACCESS_FILE = "16_olap_analyst_access.sql";

/**
 * SELECT on what the dashboards read (the star's dimensions and facts, and the materialized views over them), for the
 * analysts' Entra group: its database user is what lets its members sign in to the pool at all (the BI workload
 * classifier only places their sessions). Nothing else: no staging, no ETL schema, no procedure. The warehouse holds
 * no personal or card data (model/olap.ts), so there is nothing to mask for them.
 */
export function generateOlapAnalystAccessScript(model: OlapModel): string {
  const read = (schema: string, name: string, what: string) => ({
    comment: `${objectName(schema, name)} (${what}): read only.`,
    sql: (principal: string) => `GRANT SELECT ON ${qualified(schema, name)} TO ${principal};`,
  });
  return accessScript({
    title: "Azure Synapse dedicated SQL pool (OLAP): what the analysts may read, and nothing more.",
    header: [
      "Source: pipelines/model/olap.ts (dimensions, facts, materialized views). Regenerate with `npm run sql:generate`.",
      "Run after 12, as the Entra admin (the schema deployment pipeline does, with global parameter",
      "analystsPrincipalName):",
      `sqlcmd ... -I -v ${OLAP_ANALYSTS_PRINCIPAL_VARIABLE}="<display name of the analysts Entra group>" -i ${OLAP_ANALYST_ACCESS_FILE}`,
      "The group's database user lets its members sign in; the pool's BI classifier (wc_bi) places their sessions.",
    ],
    variable: OLAP_ANALYSTS_PRINCIPAL_VARIABLE,
    grants: [
      ...model.tables.filter((t) => t.role !== "staging").map((t) => read(t.schema, t.name, t.role)),
      ...model.materializedViews.map((v) => read(v.schema, v.name, `materialized view over ${v.fact}`)),
    ],
  });
}
