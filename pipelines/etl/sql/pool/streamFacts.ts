// The nightly compaction of the stream facts' replayed grains.
import type { Column, DataModel } from "../../../model/types";
import { indent, q, qualified } from "../../../generators/tsql";
import { procedure } from "../procedure";
import { candidateName } from "../load";

/**
 * A grain as one text key (for `IN`): each column as text (date/times in ISO 8601, style 126), separated by the
 * unit separator CHAR(31), which no key column holds.
 */
export function grainKey(columns: readonly Column[], prefix = ""): string {
  const parts = columns.map((c) =>
    c.type.kind === "datetime2" || c.type.kind === "date"
      ? `CONVERT(VARCHAR(33), ${prefix}${q(c.name)}, 126)`
      : `CAST(${prefix}${q(c.name)} AS NVARCHAR(4000))`,
  );
  return `CONCAT(${parts.join(", NCHAR(31), ")})`;
}

/**
 * Stream facts (Stream Analytics, at-least-once): a replayed window can insert a grain twice. Nightly, the run date's
 * duplicated grains (window start + grouping fields) are kept once, the most complete row (highest count). Only the
 * rows of duplicated grains are deleted and put back: a row the loader inserts for the run date meanwhile (a replay
 * or a backlog crossing midnight) stays, where deleting the whole date would have lost it. Dedicated pools take no
 * join in a DELETE: the grain is matched as one text key (`grainKey`) with IN.
 */
export function compactStreamFacts(model: DataModel): string[] {
  const steps: string[] = [];
  for (const m of model.olap.mappings) {
    if (m.kind !== "stream") continue;
    const fact = model.olap.tables.find((t) => t.name === m.target);
    const dateKey = m.columns.find((c) => c.value.kind === "windowDateKey")?.target;
    const grainColumns = m.columns
      .filter((c) => c.value.kind === "windowStart" || c.value.kind === "group")
      .map((c) => fact?.columns.find((col) => col.name === c.target))
      .filter((c): c is Column => c !== undefined);
    const grain = grainColumns.map((c) => q(c.name));
    const count = m.columns.find((c) => c.value.kind === "count")?.target;
    if (!fact || !dateKey || !grain.length) continue;
    const f = qualified(fact.schema, fact.name);
    const cols = fact.columns.map((c) => q(c.name));
    const dist = fact.distribution.kind === "HASH" ? `HASH(${q(fact.distribution.column)})` : "ROUND_ROBIN";
    const keep = candidateName(`${fact.name}_compacted`);
    const keys = candidateName(`${fact.name}_duplicated`);
    steps.push(
      `-- ${f}: grain (${grain.join(", ")}).`,
      // A temp table lives for the session: a retried call on the same session would find it (the documented
      // dedicated-pool pattern drops it first).
      `IF OBJECT_ID(N'tempdb..${keys}') IS NOT NULL DROP TABLE ${keys};`,
      `CREATE TABLE ${keys} WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS`,
      `SELECT ${grainKey(grainColumns)} AS [GrainKey] FROM ${f} WHERE ${q(dateKey)} = @DateKey GROUP BY ${grain.join(", ")} HAVING COUNT_BIG(*) > 1;`,
      `SET @Duplicates = (SELECT COUNT_BIG(*) FROM ${keys});`,
      "IF @Duplicates > 0",
      "BEGIN",
      indent(
        [
          `IF OBJECT_ID(N'tempdb..${keep}') IS NOT NULL DROP TABLE ${keep};`,
          `CREATE TABLE ${keep} WITH (DISTRIBUTION = ${dist}, HEAP) AS`,
          `SELECT ${cols.map((c) => `x.${c}`).join(", ")}`,
          `FROM (SELECT f.*, ROW_NUMBER() OVER (PARTITION BY ${grain.map((g) => `f.${g}`).join(", ")} ORDER BY ${count ? `f.${q(count)} DESC` : `f.${grain[0]}`}) AS [RowNumber] FROM ${f} AS f WHERE f.${q(dateKey)} = @DateKey AND ${grainKey(grainColumns, "f.")} IN (SELECT [GrainKey] FROM ${keys})) AS x`,
          "WHERE x.[RowNumber] = 1;",
          "BEGIN TRY",
          indent(
            [
              "BEGIN TRANSACTION;",
              `DELETE FROM ${f} WHERE ${q(dateKey)} = @DateKey AND ${grainKey(grainColumns)} IN (SELECT [GrainKey] FROM ${keys});`,
              `INSERT INTO ${f} (${cols.join(", ")})`,
              `SELECT ${cols.map((c) => `k.${c}`).join(", ")} FROM ${keep} AS k;`,
              "COMMIT TRANSACTION;",
            ].join("\n"),
          ),
          "END TRY",
          "BEGIN CATCH",
          indent(
            [
              "IF @@TRANCOUNT > 0",
              "    ROLLBACK TRANSACTION;",
              `SET @Reason = LEFT(CONCAT(N'compaction of ${f} rolled back: ', ERROR_MESSAGE()), 2000);`,
              "THROW 50205, @Reason, 1;",
            ].join("\n"),
          ),
          "END CATCH;",
        ].join("\n"),
      ),
      "END;",
    );
  }
  if (!steps.length) return [];
  return procedure(
    "usp_CompactStreamFacts",
    ["@RunDate DATE"],
    [
      "SET NOCOUNT ON;",
      "DECLARE @Reason NVARCHAR(4000), @Duplicates BIGINT;",
      "DECLARE @DateKey INT = YEAR(@RunDate) * 10000 + MONTH(@RunDate) * 100 + DAY(@RunDate);",
      ...steps,
    ],
    [
      "The nightly compaction of the streamed facts: a window Stream Analytics delivered twice (at-least-once) is",
      "kept once per grain for the run date. Nothing happens when there is no duplicate.",
    ],
  );
}
