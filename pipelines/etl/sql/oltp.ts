// The OLTP side of the nightly ETL, generated from the model (05_oltp_etl_extraction.sql): the control table of
// change windows, the procedure that opens a run's windows, one extraction procedure per extracted table (the Copy
// activity's source), and the GDPR erasure of a customer.
//
// Windows. A run date D gets one window per extracted table, kept in [etl].[ExtractionWindow]: an LSN range for CDC
// tables, a change-tracking version range for the others. A window starts after the last *published* window of the
// table (so the changes of a run that failed are carried by the next one) and ends at the database's position when
// it is opened. Opening is idempotent: a re-run of D reads D's saved window again, so it extracts the same changes
// (with the rows' current values). A window whose start fell out of the retention (CDC: 3 days, change tracking:
// `changeTrackingRetentionDays`) or a table's first run reloads the table in full.
//
// Related rows. A fact row is re-derived from its root row and every row joined to it (Fact_Payment: the payment,
// its payment method, all its refunds and disputes). So each table of a fact group also returns the current rows
// of the group's "affected" root keys (those whose root, child or parent row changed in the run's windows) with
// NULL change metadata; staging then holds everything the fact load needs, and nothing else.
import {
  captureInstance,
  capturedColumns,
  erasedColumns,
  erasureColumns,
  erasurePaths,
  rowOwners,
  type ErasurePath,
} from "../../model/validate";
import type { DataModel, ErasureSubject } from "../../model/types";
import { renderType } from "../../model/types";
import { externalPrincipal, header, indent, list, nstr, q, qualified } from "../../generators/tsql";
import { batches } from "../../generators/tsql";
import { ETL_PRINCIPAL_VARIABLE } from "../../generators/oltp";
import { extractedTables, factGroups, groupsOf, oltpTableOf, type ExtractedTable, type FactGroup } from "../groups";
import { subjectCosmosTargets } from "../cosmosErasure";
import { ETL_SCHEMA, PIPELINES } from "../names";
import { procedure } from "./procedure";

export const OLTP_ETL_FILE = "05_oltp_etl_extraction.sql";

const WINDOW_TABLE = `${q(ETL_SCHEMA)}.[ExtractionWindow]`;
const AUDIT_TABLE = `${q(ETL_SCHEMA)}.[ErasureAudit]`;

/** Variable names holding a table's window bounds inside a procedure. */
const fromVar = (table: string) => `@From_${table}`;
const toVar = (table: string) => `@To_${table}`;
const positionType = (mode: ExtractedTable["mode"]) => (mode === "cdc" ? "BINARY(10)" : "BIGINT");
const fromColumn = (mode: ExtractedTable["mode"]) => (mode === "cdc" ? "[FromLsn]" : "[FromVersion]");
const toColumn = (mode: ExtractedTable["mode"]) => (mode === "cdc" ? "[ToLsn]" : "[ToVersion]");

/** The model's extraction query of a table, bound to that table's window variables, without its final `;`. */
export function boundQuery(x: ExtractedTable): string {
  return x.query.query
    .replace(/;$/, "")
    .replace(/@last_version\b/g, fromVar(x.table.name))
    .replace(/@from_lsn\b/g, fromVar(x.table.name))
    .replace(/@to_lsn\b/g, toVar(x.table.name));
}

/** The changes of a table in its window (CT: bounded above by the window's end version). */
function changesOf(x: ExtractedTable, select: string): string {
  const where = x.mode === "changeTracking" ? `\nWHERE x.${q(x.positionColumn)} <= ${toVar(x.table.name)}` : "";
  return `SELECT ${select}\nFROM (\n${indent(boundQuery(x))}\n) AS x${where}`;
}

/** A guard that skips an empty CDC window (the CDC functions reject a start above the end); none for CT. */
const nonEmpty = (x: ExtractedTable) =>
  x.mode === "cdc" ? `${fromVar(x.table.name)} <= ${toVar(x.table.name)}` : undefined;

/** A statement, behind `IF <condition>` when there is one. */
const guarded = (condition: string | undefined, statement: string): string[] =>
  condition ? [`IF ${condition}`, indent(statement)] : [statement];

/** Full reloads an operator asked for (usp_RequestFullReload): one row per table until a full reload is published. */
const REQUEST_TABLE = `${q(ETL_SCHEMA)}.[FullReloadRequest]`;

function fullReloadRequestTableDdl(): string {
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

function windowsTableDdl(): string {
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

/** The erasure audit table of a subject (`etl.ErasureAudit` for the customer, `etl.ErasureAudit_<subject>` otherwise). */
function auditTableDdl(model: DataModel, subject: ErasureSubject): string {
  const { auditTable, key, keyType } = erasureNames(model, subject);
  return [
    auditTable === "ErasureAudit"
      ? "-- GDPR erasure audit trail: what was erased where, per request (no personal data: ids and counts only)."
      : `-- GDPR erasure audit trail of the ${subject.name} subject (no personal data: ids and counts only).`,
    `IF OBJECT_ID(N'${ETL_SCHEMA}.${auditTable}', N'U') IS NULL`,
    `    CREATE TABLE ${q(ETL_SCHEMA)}.${q(auditTable)}`,
    "    (",
    "        [AuditId] BIGINT IDENTITY(1, 1) NOT NULL,",
    "        [RequestId] NVARCHAR(64) NOT NULL,",
    `        ${q(key)} ${keyType} NOT NULL,`,
    "        [Store] NVARCHAR(64) NOT NULL,",
    "        [Action] NVARCHAR(400) NOT NULL,",
    "        [Items] BIGINT NOT NULL,",
    `        [RecordedAt] DATETIME2(3) NOT NULL CONSTRAINT [DF_${auditTable}_RecordedAt] DEFAULT (SYSUTCDATETIME()),`,
    `        CONSTRAINT [PK_${auditTable}] PRIMARY KEY CLUSTERED ([AuditId])`,
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

function openWindowsProcedure(xs: ExtractedTable[], groups: FactGroup[]): string[] {
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

/** `#changed` and the INSERT of the table's own changes (or of the whole table on a full reload). */
function extractionProcedure(
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

/**
 * The subject whose table carries the erasure marker (`erasedAtColumn`: the customer): the one the warehouse, Cosmos
 * DB and the lake erase too, through `gdpr_erasure`.
 */
export function markedSubject(model: DataModel): ErasureSubject | undefined {
  return model.oltp.erasureSubjects.find((s) => model.oltp.tables.find((t) => t.name === s.table)?.erasedAtColumn);
}

/** The tables holding the customer's rows: the erasure table, and every table with a foreign key to it. */
export function subjectTables(model: DataModel): ErasurePath[] {
  const subject = markedSubject(model);
  return subject ? erasurePaths(model.oltp, subject) : [];
}

/** How a subject's erasure procedure is called and where it audits (the customer's names predate the others). */
export function erasureNames(model: DataModel, subject: ErasureSubject) {
  const table = model.oltp.tables.find((t) => t.name === subject.table);
  const key = table?.primaryKey.columns[0] ?? `${subject.table}Id`;
  const keyColumn = table?.columns.find((c) => c.name === key);
  const marked = subject === markedSubject(model);
  return {
    procedure: `usp_Erase${subject.name}`,
    /** The subject's key column in the audit table, and the procedure's parameter. */
    key: marked ? "CustomerId" : key,
    keyType: keyColumn ? renderType(keyColumn.type) : "BIGINT",
    auditTable: marked ? "ErasureAudit" : `ErasureAudit_${subject.name}`,
    /** What the subject's pipeline calls to audit a step outside this database (a Cosmos DB expiry). */
    auditProcedure: marked ? "usp_AuditErasure" : `usp_AuditErasure_${subject.name}`,
  };
}

/**
 * Erasure of one data subject (GDPR Art. 17) in the OLTP database: every classified column of the subject's row and,
 * for a subject that erases referencing rows, of the rows that reference it (a customer's payment methods) set to
 * NULL, and `ErasedAt` set where the table has one; ledger tables hold no classified column, so payments, refunds and
 * disputes keep their non-personal fields (the validator guarantees it, and that every classified column is reached
 * by exactly one subject). Idempotent: a second run changes nothing and records that.
 */
function eraseProcedure(model: DataModel, subject: ErasureSubject): string[] {
  const tables = erasurePaths(model.oltp, subject);
  if (!tables.length) return [];
  const own = tables[0].table;
  const names = erasureNames(model, subject);
  const param = `@${names.key}`;
  const audit = `${q(ETL_SCHEMA)}.${q(names.auditTable)}`;
  const erasedAt = own.erasedAtColumn;
  const guarded = subject.onlyWhereNull ?? [];
  const steps = tables.flatMap(({ table, column }) => {
    const classified = erasedColumns(table);
    const marks = table === own && erasedAt !== undefined;
    if (!classified.length && !marks) return [];
    const set = [
      ...classified.map((c) => `${q(c)} = NULL`),
      ...(marks ? [`${q(erasedAt)} = COALESCE(${q(erasedAt)}, SYSUTCDATETIME())`] : []),
    ];
    const changed = classified.map((c) => `${q(c)} IS NOT NULL`).concat(marks ? [`${q(erasedAt)} IS NULL`] : []);
    // The guard again in the UPDATE itself: the row is locked since the check, so this only documents it and keeps a
    // later edit of the check from erasing another subject's row.
    const nulls = table === own ? guarded.map((g) => ` AND ${q(g)} IS NULL`).join("") : "";
    const whose = table === own && guarded.length ? ` (${guarded.join(", ")} NULL)` : "";
    const stepAction = nstr(
      `${table.schema}.${table.name}${whose}: classified columns set to NULL (${classified.join(", ")})`,
    );
    return [
      `-- ${table.schema}.${table.name}: ${classified.join(", ")}${marks ? ` (Always Encrypted ones included; NULL needs no encryption), ${erasedAt}` : ""}.`,
      `UPDATE ${qualified(table.schema, table.name)}`,
      `SET ${set.join(", ")}`,
      `WHERE ${q(column)} = ${param}${nulls} AND (${changed.join(" OR ")});`,
      "SET @Rows = @@ROWCOUNT;",
      // Once per request and step: a retry of the pipeline's activity after this commit (a lost connection) finds
      // nothing left to clear and records nothing more, unless it did clear something.
      `IF @Rows > 0 OR NOT EXISTS (SELECT 1 FROM ${audit} WHERE [RequestId] = @RequestId AND ${q(names.key)} = ${param} AND [Action] = ${stepAction})`,
      `    INSERT INTO ${audit} ([RequestId], ${q(names.key)}, [Store], [Action], [Items]) VALUES (@RequestId, ${param}, N'oltp', ${stepAction}, @Rows);`,
    ];
  });
  const key = own.primaryKey.columns[0];
  const ownRef = qualified(own.schema, own.name);
  // A row whose onlyWhereNull key is set is another subject's (a customer's card): refused, nothing erased. The
  // check locks the row (UPDLOCK) until the commit, so the key cannot be set between the check and the UPDATE. The
  // THROW fails the pipeline's EraseOltp activity, which skips every later step and fails the run ("Pipeline result
  // is success if and only if all leaves succeed", learn.microsoft.com/azure/data-factory/
  // tutorial-pipeline-failure-error-handling). Its message names the request only: ADFActivityRun keeps ErrorMessage
  // in a column apart from the Output that secureOutput hides (learn.microsoft.com/azure/azure-monitor/reference/
  // tables/adfactivityrun); whether secureOutput masks the error too is unproven.
  const refusals = guarded.flatMap((g) => {
    const owners = rowOwners(model.oltp, subject, g);
    const ownerText = owners.length ? owners.map((o) => o.name).join(" or ") : "another subject";
    const pipelines = owners.map((o) =>
      o === markedSubject(model) ? PIPELINES.erasure : PIPELINES.subjectErasure(o.name),
    );
    const action = `refused: the ${own.schema}.${own.name} row has a ${g}, so it is a ${ownerText}'s: erase that ${ownerText}${pipelines.length ? ` (${pipelines.join(", ")})` : ""}`;
    return [
      `-- A ${own.name} whose ${g} is set is a ${ownerText}'s: only that subject's erasure clears it (a wrong id must not erase another person's data).`,
      `IF EXISTS (SELECT 1 FROM ${ownRef} WITH (UPDLOCK, HOLDLOCK) WHERE ${q(key)} = ${param} AND ${q(g)} IS NOT NULL)`,
      "BEGIN",
      indent(
        [
          "ROLLBACK TRANSACTION;",
          "-- Recorded once per request (the pipeline's retries call again); the id stays in this table, not in the error,",
          "-- which Data Factory keeps in its run history and ADFActivityRun.",
          `IF NOT EXISTS (SELECT 1 FROM ${audit} WHERE [RequestId] = @RequestId AND ${q(names.key)} = ${param} AND [Action] = ${nstr(action)})`,
          `    INSERT INTO ${audit} ([RequestId], ${q(names.key)}, [Store], [Action], [Items]) VALUES (@RequestId, ${param}, N'oltp', ${nstr(action)}, 0);`,
          `SET @Message = CONCAT(N'Erasure request ', @RequestId, ${nstr(
            `: ${names.procedure} refused the ${own.name} given: its ${g} is set, so it is a ${ownerText}'s data and ` +
              `nothing was erased. Erase that ${ownerText} instead${pipelines.length ? ` (${pipelines.join(", ")})` : ""}; ` +
              `this erasure takes only a ${own.name} whose ${g} is NULL. The id is in etl.${names.auditTable} under this request.`,
          )});`,
          "THROW 50110, @Message, 1;",
        ].join("\n"),
      ),
      "END;",
    ];
  });
  const missing = erasedAt ? "no such customer" : `no such ${own.schema}.${own.name} row`;
  return procedure(
    names.procedure,
    [`${param} ${names.keyType}`, "@RequestId NVARCHAR(64)"],
    [
      "SET NOCOUNT ON;",
      "SET XACT_ABORT ON;",
      "DECLARE @Rows BIGINT;",
      ...(refusals.length ? ["DECLARE @Message NVARCHAR(2048);"] : []),
      `IF NOT EXISTS (SELECT 1 FROM ${ownRef} WHERE ${q(key)} = ${param})`,
      "BEGIN",
      `    IF NOT EXISTS (SELECT 1 FROM ${audit} WHERE [RequestId] = @RequestId AND ${q(names.key)} = ${param} AND [Action] = ${nstr(missing)})`,
      `        INSERT INTO ${audit} ([RequestId], ${q(names.key)}, [Store], [Action], [Items]) VALUES (@RequestId, ${param}, N'oltp', ${nstr(missing)}, 0);`,
      "    RETURN;",
      "END;",
      "BEGIN TRANSACTION;",
      ...refusals,
      ...steps,
      "COMMIT TRANSACTION;",
    ],
    erasedAt
      ? [
          `GDPR erasure in the OLTP database (${erasureColumns(own).length} checked personal columns + the encrypted ones). Runs with the`,
          "owner's rights (ownership chaining): the ETL identity can erase through it but cannot read what it erases.",
        ]
      : [
          `GDPR erasure of the ${subject.name} subject (pipelines/model/oltp.ts, erasureSubjects). ${subject.description}`,
          "Runs with the owner's rights (ownership chaining): the ETL identity can erase through it but cannot read what it erases.",
        ],
  );
}

/**
 * The audit of a subject's steps outside this database (its Cosmos DB items: subjectCosmosTargets), into its own
 * audit table; only for a subject that has such steps.
 */
function subjectAuditProcedure(model: DataModel, subject: ErasureSubject): string[] {
  if (subject === markedSubject(model) || !subjectCosmosTargets(subject).length) return [];
  const names = erasureNames(model, subject);
  return procedure(
    names.auditProcedure,
    [
      `@${names.key} ${names.keyType}`,
      "@RequestId NVARCHAR(64)",
      "@Store NVARCHAR(64)",
      "@Action NVARCHAR(400)",
      "@Items BIGINT",
    ],
    [
      "SET NOCOUNT ON;",
      // Once per request, store and action: the pipeline's retries of the step record nothing more.
      `IF NOT EXISTS (SELECT 1 FROM ${q(ETL_SCHEMA)}.${q(names.auditTable)} WHERE [RequestId] = @RequestId AND ${q(names.key)} = @${names.key} AND [Store] = @Store AND [Action] = @Action)`,
      `    INSERT INTO ${q(ETL_SCHEMA)}.${q(names.auditTable)} ([RequestId], ${q(names.key)}, [Store], [Action], [Items]) VALUES (@RequestId, @${names.key}, @Store, @Action, @Items);`,
    ],
    [`The ${subject.name} erasure pipeline records what it did in Cosmos DB.`],
  );
}

/** The keys of the subject's rows in the tables that reference it (the erasure pipeline's Cosmos DB step needs them). */
function auditProcedure(): string[] {
  return procedure(
    "usp_AuditErasure",
    ["@RequestId NVARCHAR(64)", "@CustomerId BIGINT", "@Store NVARCHAR(64)", "@Action NVARCHAR(400)", "@Items BIGINT"],
    [
      "SET NOCOUNT ON;",
      // Once per request, store and action: the pipeline's retries of the step record nothing more.
      `IF NOT EXISTS (SELECT 1 FROM ${AUDIT_TABLE} WHERE [RequestId] = @RequestId AND [CustomerId] = @CustomerId AND [Store] = @Store AND [Action] = @Action)`,
      `    INSERT INTO ${AUDIT_TABLE} ([RequestId], [CustomerId], [Store], [Action], [Items]) VALUES (@RequestId, @CustomerId, @Store, @Action, @Items);`,
    ],
    ["The erasure pipeline records what it did in the stores outside this database (Cosmos DB, the lake)."],
  );
}

function subjectReferencesProcedure(model: DataModel): string[] {
  const refs = subjectTables(model).slice(1);
  if (!refs.length) return [];
  const selects = refs.map(
    ({ table, column }) =>
      `SELECT ${nstr(table.name)} AS [TableName], CAST(t.${q(table.primaryKey.columns[0])} AS NVARCHAR(64)) AS [KeyValue] FROM ${qualified(table.schema, table.name)} AS t WHERE t.${q(column)} = @CustomerId`,
  );
  return procedure(
    "usp_SubjectReferences",
    ["@CustomerId BIGINT"],
    ["SET NOCOUNT ON;", `${selects.join("\nUNION ALL\n")};`],
    [
      "The rows that reference a customer, by table and key: the erasure pipeline erases what other stores keep per row.",
    ],
  );
}

function recordProcedures(xs: ExtractedTable[]): string[] {
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

export function generateOltpEtlScript(model: DataModel): string {
  const xs = extractedTables(model);
  const groups = factGroups(model);
  const etl = externalPrincipal(ETL_PRINCIPAL_VARIABLE);
  const parts = [
    `IF SCHEMA_ID(N'${ETL_SCHEMA}') IS NULL\n    EXEC(N'CREATE SCHEMA ${q(ETL_SCHEMA)}');`,
    windowsTableDdl(),
    fullReloadRequestTableDdl(),
    ...model.oltp.erasureSubjects.map((s) => auditTableDdl(model, s)),
    ...openWindowsProcedure(xs, groups),
    ...xs.flatMap((x) => extractionProcedure(model, x, xs, groups)),
    ...recordProcedures(xs),
    ...model.oltp.erasureSubjects.flatMap((s) => eraseProcedure(model, s)),
    ...subjectReferencesProcedure(model),
    ...auditProcedure(),
    ...model.oltp.erasureSubjects.flatMap((s) => subjectAuditProcedure(model, s)),
    etl.createUser,
    [
      "-- The ETL identity runs the procedures of this schema and reads nothing else through it: no SELECT on the control",
      "-- tables, no UPDATE on dbo (the procedures reach dbo by ownership chaining).",
      `GRANT EXECUTE ON SCHEMA::${q(ETL_SCHEMA)} TO ${etl.name};`,
    ].join("\n"),
  ];
  const captured = xs.map(
    (x) =>
      `${x.table.schema}.${x.table.name} (${x.mode}): ${list(capturedColumns(x.table).filter((c) => x.dataColumns.some((d) => d.name === c)))}`,
  );
  return [
    header("Azure SQL Database (OLTP): the nightly ETL's change windows, extraction procedures and GDPR erasure.", [
      "Source: pipelines/model (extraction modes, staging tables, mappings) via pipelines/etl. Regenerate with `npm run sql:generate`.",
      `Run after 04, as the Entra admin: sqlcmd ... -v ${ETL_PRINCIPAL_VARIABLE}="<Data Factory managed identity>" -i 05_oltp_etl_extraction.sql`,
      "Idempotent: the schema and tables are created when missing, each procedure is (re)defined on every run.",
      "",
      "Extracted (columns in staging order):",
      ...captured,
    ]),
    batches(parts),
  ].join("\n");
}
