// The dashboards' materialized views and their refresh procedure, each view rebuilt only when its definition changed.
import { createHash } from "node:crypto";
import type { MaterializedView, OlapModel, OlapTable } from "../../model/types";
import { batches, comment, header, indent, objectName, q, qualified } from "../tsql";
import { lacksColumn } from "./ddl";

/** Procedure the nightly load calls after publishing (flow 2, step 5: "refresh aggregate tables"). */
export const REFRESH_PROCEDURE = { schema: "dbo", name: "usp_RefreshDashboardAggregates" };

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
