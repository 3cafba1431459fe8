// One extraction procedure per extracted table (the Copy activity's source), and the procedures that record an
// extraction and ask for a full reload.
import type { DataModel } from "../../../model/types";
import { renderType } from "../../../model/types";
import { indent, list, nstr, q, qualified } from "../../../generators/tsql";
import { groupsOf, oltpTableOf, type ExtractedTable, type FactGroup } from "../../groups";
import { procedure } from "../procedure";
import {
  WINDOW_TABLE,
  fromVar,
  toVar,
  positionType,
  fromColumn,
  toColumn,
  boundQuery,
  changesOf,
  nonEmpty,
  guarded,
  REQUEST_TABLE,
} from "./windows";

/** `#changed` and the INSERT of the table's own changes (or of the whole table on a full reload). */
export function extractionProcedure(
  model: DataModel,
  x: ExtractedTable,
  all: ExtractedTable[],
  groups: FactGroup[],
): string[] {
  const t = x.table;
  const cols = x.staging.columns.map((c) => c.name);
  const dataCols = x.dataColumns.map((c) => c.name);
  const key = t.primaryKey.columns;
  const mine = groupsOf(groups, t.name);
  // The tables whose windows this procedure reads: its own, and every table of its groups.
  const windowTables = [
    x,
    ...all.filter(
      (o) => o !== x && mine.some((g) => g.root === o.table.name || g.members.some((m) => m.table === o.table.name)),
    ),
  ];
  const declare = windowTables.flatMap((w) => [
    `DECLARE ${fromVar(w.table.name)} ${positionType(w.mode)}, ${toVar(w.table.name)} ${positionType(w.mode)};`,
    `SELECT ${fromVar(w.table.name)} = ${fromColumn(w.mode)}, ${toVar(w.table.name)} = ${toColumn(w.mode)}${w === x ? ", @Full = [IsFullReload]" : ""}`,
    `FROM ${WINDOW_TABLE} WHERE [RunDate] = @RunDate AND [TableName] = ${nstr(w.table.name)};`,
  ]);
  const insertInto = `INSERT INTO #changed (${list(cols)})`;
  const full = [
    insertInto,
    `SELECT NULL, NULL, ${dataCols.map((c) => `t.${q(c)}`).join(", ")}`,
    `FROM ${qualified(t.schema, t.name)} AS t;`,
  ];
  const own = guarded(nonEmpty(x), [insertInto, `${changesOf(x, "x.*")};`].join("\n"));
  const related: string[] = [];
  for (const g of mine) {
    const root = oltpTableOf(model, g.root);
    const rootRef = qualified(root.schema, root.name);
    const rootKey = q(g.rootKey);
    const affected: string[] = [];
    // The root keys whose fact row the run re-derives, from the changes of every table of the group.
    for (const w of windowTables.filter(
      (o) => o.table.name === g.root || g.members.some((m) => m.table === o.table.name),
    )) {
      const member = g.members.find((m) => m.table === w.table.name);
      const source = w === x ? "#changed AS x" : `(\n${indent(boundQuery(w))}\n) AS x`;
      const bound =
        w !== x && w.mode === "changeTracking" ? ` WHERE x.${q(w.positionColumn)} <= ${toVar(w.table.name)}` : "";
      let select: string;
      if (!member) select = `SELECT x.${rootKey} FROM ${source}${bound}`;
      else if (member.relation === "child") select = `SELECT x.${q(member.column)} FROM ${source}${bound}`;
      else
        select = [
          `SELECT r.${rootKey} FROM ${rootRef} AS r WHERE r.${q(member.rootColumn)} IN (`,
          indent(`SELECT x.${q(member.column)} FROM ${source}${bound}`),
          ")",
        ].join("\n");
      affected.push(
        ...guarded(w === x ? undefined : nonEmpty(w), [`INSERT INTO #affected (${rootKey})`, `${select};`].join("\n")),
      );
    }
    const member = g.members.find((m) => m.table === t.name);
    const affectedKeys = `SELECT a.${rootKey} FROM #affected AS a`;
    const predicate = !member
      ? `t.${rootKey} IN (${affectedKeys})`
      : member.relation === "child"
        ? `t.${q(member.column)} IN (${affectedKeys})`
        : `t.${q(member.column)} IN (SELECT r.${q(member.rootColumn)} FROM ${rootRef} AS r WHERE r.${rootKey} IN (${affectedKeys}))`;
    related.push(
      `-- ${g.fact}: the current rows of every payment whose ${[g.root, ...g.members.map((m) => m.table)].join(", ")} rows changed.`,
      "DELETE FROM #affected;",
      ...affected,
      insertInto,
      `SELECT NULL, NULL, ${dataCols.map((c) => `t.${q(c)}`).join(", ")}`,
      `FROM ${qualified(t.schema, t.name)} AS t`,
      `WHERE ${predicate}`,
      `    AND NOT EXISTS (SELECT 1 FROM #changed AS c WHERE ${key.map((k) => `c.${q(k)} = t.${q(k)}`).join(" AND ")});`,
    );
  }
  const rootKeyType = mine.length
    ? renderType(
        oltpTableOf(model, mine[0].root).columns.find((c) => c.name === mine[0].rootKey)?.type ?? { kind: "bigint" },
      )
    : undefined;
  return procedure(
    `usp_Extract_${t.name}`,
    ["@RunDate DATE"],
    [
      "SET NOCOUNT ON;",
      "SET XACT_ABORT ON;",
      "DECLARE @Full BIT;",
      ...declare,
      "IF @Full IS NULL",
      `    THROW 50102, N'No extraction window for ${t.schema}.${t.name} on this runDate: etl.usp_OpenExtractionWindows opens it (the master pipeline calls it first).', 1;`,
      "CREATE TABLE #changed",
      "(",
      indent(x.staging.columns.map((c) => `${q(c.name)} ${renderType(c.type)} NULL`).join(",\n")),
      ");",
      ...(rootKeyType ? [`CREATE TABLE #affected (${q(mine[0].rootKey)} ${rootKeyType} NOT NULL);`] : []),
      ...(x.mode === "changeTracking"
        ? ["-- Change tracking reads are consistent only under snapshot isolation (one snapshot for the whole read)."]
        : []),
      "SET TRANSACTION ISOLATION LEVEL SNAPSHOT;",
      "BEGIN TRANSACTION;",
      "IF @Full = 1",
      "BEGIN",
      indent(full.join("\n")),
      "END",
      "ELSE",
      "BEGIN",
      indent([...own, ...related].join("\n")),
      "END;",
      "COMMIT TRANSACTION;",
      `SELECT ${list(cols)} FROM #changed;`,
    ],
    [
      `The Copy activity's source for ${t.schema}.${t.name} → ${x.staging.schema}.${x.staging.name}: the rows changed in the run's window`,
      "(with their change metadata), or the whole table on a full reload; columns in staging order.",
      ...(mine.length
        ? ["Also the current rows the fact group needs (NULL change metadata), see the file header."]
        : []),
    ],
  );
}

export function recordProcedures(xs: ExtractedTable[]): string[] {
  return [
    ...procedure(
      "usp_RecordExtraction",
      ["@RunDate DATE", "@TableName SYSNAME", "@Rows BIGINT"],
      [
        "SET NOCOUNT ON;",
        `UPDATE ${WINDOW_TABLE} SET [RowsExtracted] = @Rows, [ExtractedAt] = SYSUTCDATETIME()`,
        "WHERE [RunDate] = @RunDate AND [TableName] = @TableName;",
        "IF @@ROWCOUNT = 0",
        "    THROW 50102, N'No extraction window for this table and runDate.', 1;",
      ],
      ["Records how many rows a table's extraction returned (the source count of the data-quality gate)."],
    ),
    ...procedure(
      "usp_ExtractionWindow",
      ["@RunDate DATE", "@TableName SYSNAME"],
      [
        "SET NOCOUNT ON;",
        "SELECT [TableName], [Mode], CONVERT(VARCHAR(22), [FromLsn], 1) AS [FromLsn], CONVERT(VARCHAR(22), [ToLsn], 1) AS [ToLsn],",
        "    [FromVersion], [ToVersion], [IsFullReload], [Reason]",
        `FROM ${WINDOW_TABLE} WHERE [RunDate] = @RunDate AND [TableName] = @TableName;`,
      ],
      ["One table's window for a run date (the extract pipeline picks the full-reload or the changes path from it)."],
    ),
    ...procedure(
      "usp_MarkPublished",
      ["@RunDate DATE"],
      [
        "SET NOCOUNT ON;",
        `UPDATE ${WINDOW_TABLE} SET [PublishedAt] = SYSUTCDATETIME() WHERE [RunDate] = @RunDate AND [PublishedAt] IS NULL;`,
        "-- A requested full reload is done once a full reload opened after the request is published.",
        `DELETE r FROM ${REQUEST_TABLE} AS r JOIN ${WINDOW_TABLE} AS w ON w.[TableName] = r.[TableName]`,
        "WHERE w.[RunDate] = @RunDate AND w.[IsFullReload] = 1 AND w.[PublishedAt] IS NOT NULL AND w.[OpenedAt] >= r.[RequestedAt];",
      ],
      ["After the warehouse published a run: the next windows start after these ones."],
    ),
    ...procedure(
      "usp_RequestFullReload",
      ["@TableName SYSNAME", "@Reason NVARCHAR(300)"],
      [
        "SET NOCOUNT ON;",
        `IF @TableName IS NULL OR @TableName NOT IN (${xs.map((x) => nstr(x.table.name)).join(", ")})`,
        `    THROW 50105, N'@TableName must be an extracted table: ${xs.map((x) => x.table.name).join(", ")}.', 1;`,
        "IF NULLIF(LTRIM(@Reason), N'') IS NULL",
        "    THROW 50105, N'@Reason is required (it is recorded as the window''s reason).', 1;",
        `UPDATE ${REQUEST_TABLE} SET [Reason] = @Reason, [RequestedAt] = SYSUTCDATETIME() WHERE [TableName] = @TableName;`,
        "IF @@ROWCOUNT = 0",
        `    INSERT INTO ${REQUEST_TABLE} ([TableName], [Reason]) VALUES (@TableName, @Reason);`,
      ],
      [
        "Asks for a full reload of a table (and its fact group) on the next nightly run: after a column is newly",
        "mapped into the warehouse, the rows that never change again get it only this way (pipelines/README.md).",
      ],
    ),
  ];
}
