// The change windows: their control table, the full reloads asked for, and the procedure that opens a run's
// windows (idempotent per run date).
import { captureInstance } from "../../../model/validate";
import { indent, nstr, q } from "../../../generators/tsql";
import type { ExtractedTable, FactGroup } from "../../groups";
import { ETL_SCHEMA } from "../../names";
import { procedure } from "../procedure";

export const WINDOW_TABLE = `${q(ETL_SCHEMA)}.[ExtractionWindow]`;

/** Variable names holding a table's window bounds inside a procedure. */
export const fromVar = (table: string) => `@From_${table}`;
export const toVar = (table: string) => `@To_${table}`;
export const positionType = (mode: ExtractedTable["mode"]) => (mode === "cdc" ? "BINARY(10)" : "BIGINT");
export const fromColumn = (mode: ExtractedTable["mode"]) => (mode === "cdc" ? "[FromLsn]" : "[FromVersion]");
export const toColumn = (mode: ExtractedTable["mode"]) => (mode === "cdc" ? "[ToLsn]" : "[ToVersion]");

/** The model's extraction query of a table, bound to that table's window variables, without its final `;`. */
export function boundQuery(x: ExtractedTable): string {
  return x.query.query
    .replace(/;$/, "")
    .replace(/@last_version\b/g, fromVar(x.table.name))
    .replace(/@from_lsn\b/g, fromVar(x.table.name))
    .replace(/@to_lsn\b/g, toVar(x.table.name));
}

/** The changes of a table in its window (CT: bounded above by the window's end version). */
export function changesOf(x: ExtractedTable, select: string): string {
  const where = x.mode === "changeTracking" ? `\nWHERE x.${q(x.positionColumn)} <= ${toVar(x.table.name)}` : "";
  return `SELECT ${select}\nFROM (\n${indent(boundQuery(x))}\n) AS x${where}`;
}

/** A guard that skips an empty CDC window (the CDC functions reject a start above the end); none for CT. */
export const nonEmpty = (x: ExtractedTable) =>
  x.mode === "cdc" ? `${fromVar(x.table.name)} <= ${toVar(x.table.name)}` : undefined;

/** A statement, behind `IF <condition>` when there is one. */
export const guarded = (condition: string | undefined, statement: string): string[] =>
  condition ? [`IF ${condition}`, indent(statement)] : [statement];

/** Full reloads an operator asked for (usp_RequestFullReload): one row per table until a full reload is published. */
export const REQUEST_TABLE = `${q(ETL_SCHEMA)}.[FullReloadRequest]`;

export function fullReloadRequestTableDdl(): string {
  return [
    "-- Full reloads an operator asked for (etl.usp_RequestFullReload): a column newly mapped into the warehouse reaches",
    "-- rows that never change again only when their table reloads in full. The table's next window reloads it (and its",
    "-- fact group); the request ends when a full reload opened after it is published.",
    `IF OBJECT_ID(N'${ETL_SCHEMA}.FullReloadRequest', N'U') IS NULL`,
    `    CREATE TABLE ${REQUEST_TABLE}`,
    "    (",
    "        [TableName] SYSNAME NOT NULL,",
    "        [Reason] NVARCHAR(300) NOT NULL,",
    "        [RequestedAt] DATETIME2(3) NOT NULL CONSTRAINT [DF_FullReloadRequest_RequestedAt] DEFAULT (SYSUTCDATETIME()),",
    "        CONSTRAINT [PK_FullReloadRequest] PRIMARY KEY CLUSTERED ([TableName])",
    "    );",
  ].join("\n");
}

export function windowsTableDdl(): string {
  return [
    "-- One row per run date and extracted table: the change window the run reads (re-read on a re-run).",
    `IF OBJECT_ID(N'${ETL_SCHEMA}.ExtractionWindow', N'U') IS NULL`,
    `    CREATE TABLE ${WINDOW_TABLE}`,
    "    (",
    "        [RunDate] DATE NOT NULL,",
    "        [TableName] SYSNAME NOT NULL,",
    "        [Mode] VARCHAR(16) NOT NULL,",
    "        [FromLsn] BINARY(10) NULL,",
    "        [ToLsn] BINARY(10) NULL,",
    "        [FromVersion] BIGINT NULL,",
    "        [ToVersion] BIGINT NULL,",
    "        [IsFullReload] BIT NOT NULL,",
    "        [Reason] NVARCHAR(400) NULL,",
    "        [OpenedAt] DATETIME2(3) NOT NULL CONSTRAINT [DF_ExtractionWindow_OpenedAt] DEFAULT (SYSUTCDATETIME()),",
    "        [ExtractedAt] DATETIME2(3) NULL,",
    "        [RowsExtracted] BIGINT NULL,",
    "        [PublishedAt] DATETIME2(3) NULL,",
    "        CONSTRAINT [PK_ExtractionWindow] PRIMARY KEY CLUSTERED ([RunDate], [TableName])",
    "    );",
  ].join("\n");
}

/** Opening one table's window for @RunDate (inside the open procedure's transaction). */
function openWindow(x: ExtractedTable): string {
  const t = x.table.name;
  const prev = `@Prev_${t}`;
  const min = `@Min_${t}`;
  const requested = `@Requested_${t}`;
  const last = `SELECT TOP (1) ${toColumn(x.mode)} FROM ${WINDOW_TABLE} WHERE [TableName] = ${nstr(t)} AND [PublishedAt] IS NOT NULL ORDER BY [RunDate] DESC`;
  const lines =
    x.mode === "cdc"
      ? [
          `DECLARE ${prev} BINARY(10) = (${last});`,
          `DECLARE ${min} BINARY(10) = sys.fn_cdc_get_min_lsn(N'${captureInstance(x.table)}');`,
          `IF ${min} IS NULL OR ${min} = 0x00000000000000000000`,
          `    THROW 50103, N'CDC capture instance ${captureInstance(x.table)} is missing or not readable by this identity (sys.fn_cdc_get_min_lsn returned 0x00): run 02_oltp_change_extraction.sql and 04_oltp_etl_access.sql.', 1;`,
          `IF ${prev} IS NOT NULL SET ${prev} = sys.fn_cdc_increment_lsn(${prev});`,
          `INSERT INTO ${WINDOW_TABLE} ([RunDate], [TableName], [Mode], [FromLsn], [ToLsn], [IsFullReload], [Reason])`,
          `SELECT @RunDate, ${nstr(t)}, 'cdc', ${prev}, @MaxLsn,`,
          `    CASE WHEN ${prev} IS NULL OR ${prev} < ${min} OR ${requested} IS NOT NULL THEN 1 ELSE 0 END,`,
          `    CASE WHEN ${prev} IS NULL THEN N'first extraction: full reload'`,
          `         WHEN ${prev} < ${min} THEN N'the last published position is older than the CDC retention: full reload'`,
          `         WHEN ${requested} IS NOT NULL THEN CONCAT(N'requested: ', ${requested}) END;`,
        ]
      : [
          `DECLARE ${prev} BIGINT = (${last});`,
          `DECLARE ${min} BIGINT = CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(N'${x.table.schema}.${t}'));`,
          `IF ${min} IS NULL`,
          `    THROW 50103, N'Change tracking is not enabled on ${x.table.schema}.${t} or not readable by this identity: run 02_oltp_change_extraction.sql and 04_oltp_etl_access.sql.', 1;`,
          `INSERT INTO ${WINDOW_TABLE} ([RunDate], [TableName], [Mode], [FromVersion], [ToVersion], [IsFullReload], [Reason])`,
          `SELECT @RunDate, ${nstr(t)}, 'changeTracking', ${prev}, @Version,`,
          `    CASE WHEN ${prev} IS NULL OR ${prev} < ${min} OR ${requested} IS NOT NULL THEN 1 ELSE 0 END,`,
          `    CASE WHEN ${prev} IS NULL THEN N'first extraction: full reload'`,
          `         WHEN ${prev} < ${min} THEN N'the last published version is older than the change tracking retention: full reload'`,
          `         WHEN ${requested} IS NOT NULL THEN CONCAT(N'requested: ', ${requested}) END;`,
        ];
  return [
    `-- ${x.table.schema}.${t} (${x.mode})`,
    `IF NOT EXISTS (SELECT 1 FROM ${WINDOW_TABLE} WHERE [RunDate] = @RunDate AND [TableName] = ${nstr(t)})`,
    "BEGIN",
    indent(
      [
        `IF EXISTS (SELECT 1 FROM ${WINDOW_TABLE} WHERE [TableName] = ${nstr(t)} AND [RunDate] > @RunDate)`,
        "BEGIN",
        `    SET @Message = CONCAT(N'runDate ', CONVERT(CHAR(10), @RunDate, 23), N' was never extracted for ${x.table.schema}.${t} and a later run date already was: its changes were extracted by that later run. Re-run a date that has windows, or a later one.');`,
        "    THROW 50101, @Message, 1;",
        "END;",
        `DECLARE ${requested} NVARCHAR(300) = (SELECT [Reason] FROM ${REQUEST_TABLE} WHERE [TableName] = ${nstr(t)});`,
        ...lines,
      ].join("\n"),
    ),
    "END;",
  ].join("\n");
}

export function openWindowsProcedure(xs: ExtractedTable[], groups: FactGroup[]): string[] {
  const groupLines = groups.flatMap((g) => {
    const names = [g.root, ...g.members.map((m) => m.table)].filter((n) => xs.some((x) => x.table.name === n));
    const inList = names.map(nstr).join(", ");
    return [
      `-- ${g.fact} is re-derived from ${names.join(", ")}: when one of them reloads in full, all of them do.`,
      `IF EXISTS (SELECT 1 FROM ${WINDOW_TABLE} WHERE [RunDate] = @RunDate AND [IsFullReload] = 1 AND [TableName] IN (${inList}))`,
      `    UPDATE ${WINDOW_TABLE}`,
      `    SET [IsFullReload] = 1, [Reason] = N'another table of the ${g.fact} group reloads in full'`,
      `    WHERE [RunDate] = @RunDate AND [IsFullReload] = 0 AND [PublishedAt] IS NULL AND [TableName] IN (${inList});`,
    ];
  });
  return procedure(
    "usp_OpenExtractionWindows",
    ["@RunDate DATE"],
    [
      "SET NOCOUNT ON;",
      "SET XACT_ABORT ON;",
      "DECLARE @Message NVARCHAR(2048);",
      "IF @RunDate IS NULL",
      "    THROW 50100, N'runDate is required (yyyy-MM-dd).', 1;",
      "BEGIN TRANSACTION;",
      "-- One caller at a time: a second run of the same date waits, then reads the windows the first one opened.",
      "DECLARE @Lock INT;",
      "EXEC @Lock = sys.sp_getapplock @Resource = N'etl.ExtractionWindow', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 600000;",
      "IF @Lock < 0",
      "    THROW 50104, N'Another run holds the extraction windows lock for more than 10 minutes.', 1;",
      "-- The end of every new window: the database's current position (changes committed so far).",
      "DECLARE @MaxLsn BINARY(10) = sys.fn_cdc_get_max_lsn();",
      "DECLARE @Version BIGINT = CHANGE_TRACKING_CURRENT_VERSION();",
      ...xs.map(openWindow),
      ...groupLines,
      "COMMIT TRANSACTION;",
      "SELECT [TableName], [Mode], CONVERT(VARCHAR(22), [FromLsn], 1) AS [FromLsn], CONVERT(VARCHAR(22), [ToLsn], 1) AS [ToLsn],",
      "    [FromVersion], [ToVersion], [IsFullReload], [Reason], [PublishedAt]",
      `FROM ${WINDOW_TABLE}`,
      "WHERE [RunDate] = @RunDate",
      "ORDER BY [TableName];",
    ],
    [
      "Opens (or, on a re-run, returns) the change window of every extracted table for @RunDate. The master",
      "pipeline calls it first; each extraction procedure then reads its window (and its group's) from the table.",
    ],
  );
}
