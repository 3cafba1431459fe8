// The run: its control tables, its start, the staged tables' record and the staging gate, its failure and its
// result.
import type { DataModel } from "../../../model/types";
import { indent, nstr, q, qualified } from "../../../generators/tsql";
import type { ExtractedTable } from "../../groups";
import { procedure } from "../procedure";
import { subjectTables } from "../oltp";
import { RUN_LOG, STAGED, DQ, SUBJECT, NUMBER, table, dqCheck, failOnChecks } from "./shared";

export function controlTables(): string[] {
  return [
    table(
      "RunLog",
      [
        "[RunDate] DATE NOT NULL",
        "[RunId] NVARCHAR(64) NOT NULL",
        "[Status] VARCHAR(16) NOT NULL",
        "[StartedAt] DATETIME2(3) NOT NULL",
        "[FinishedAt] DATETIME2(3) NULL",
        "[Reason] NVARCHAR(4000) NULL",
      ],
      "One row per run of the master pipeline: running, published or failed (with the reason).",
    ),
    table(
      "StagedTable",
      [
        "[RunDate] DATE NOT NULL",
        "[RunId] NVARCHAR(64) NOT NULL",
        "[TableName] NVARCHAR(128) NOT NULL",
        "[SourceRows] BIGINT NOT NULL",
        "[StagedRows] BIGINT NOT NULL",
        "[StagedAt] DATETIME2(3) NOT NULL",
      ],
      "Rows read from the source (the Copy activity's count) and rows staged, per table and run.",
    ),
    table(
      "DataQualityResult",
      [
        "[RunDate] DATE NOT NULL",
        "[RunId] NVARCHAR(64) NOT NULL",
        "[Stage] VARCHAR(16) NOT NULL",
        "[CheckName] VARCHAR(64) NOT NULL",
        "[Subject] NVARCHAR(256) NOT NULL",
        `[Expected] ${NUMBER} NULL`,
        `[Actual] ${NUMBER} NULL`,
        "[Passed] BIT NOT NULL",
        "[Detail] NVARCHAR(1000) NULL",
        "[CheckedAt] DATETIME2(3) NOT NULL",
      ],
      "Every data-quality check of every run: what was expected, what was found, passed or not.",
    ),
    table(
      "SubjectPartition",
      ["[CustomerKey] BIGINT NOT NULL", "[TableName] NVARCHAR(128) NOT NULL", "[RunDate] DATE NOT NULL"],
      "Which raw-zone partitions (table, run date) hold a data subject's rows: the erasure deletes exactly those.",
    ),
    table(
      "ErasureAudit",
      [
        "[RequestId] NVARCHAR(64) NOT NULL",
        "[CustomerKey] BIGINT NOT NULL",
        "[Store] NVARCHAR(64) NOT NULL",
        "[Action] NVARCHAR(400) NOT NULL",
        "[Items] BIGINT NOT NULL",
        "[RecordedAt] DATETIME2(3) NOT NULL",
      ],
      "GDPR erasure audit trail in the warehouse (ids and counts only).",
    ),
  ];
}

export function beginRun(): string[] {
  return procedure(
    "usp_BeginRun",
    ["@RunDate DATE", "@RunId NVARCHAR(64)"],
    [
      "SET NOCOUNT ON;",
      "IF @RunDate IS NULL OR @RunId IS NULL",
      "    THROW 50200, N'runDate and runId are required.', 1;",
      `IF NOT EXISTS (SELECT 1 FROM ${RUN_LOG} WHERE [RunDate] = @RunDate AND [RunId] = @RunId)`,
      `    INSERT INTO ${RUN_LOG} ([RunDate], [RunId], [Status], [StartedAt]) SELECT @RunDate, @RunId, 'running', SYSUTCDATETIME();`,
      `DELETE FROM ${DQ} WHERE [RunDate] = @RunDate AND [RunId] = @RunId;`,
      `DELETE FROM ${STAGED} WHERE [RunDate] = @RunDate AND [RunId] = @RunId;`,
    ],
    ["Starts a run (idempotent per run id): the run log row; the results of an earlier attempt of this run id go."],
  );
}

export function recordStaged(model: DataModel, xs: ExtractedTable[]): string[] {
  const subjects = subjectTables(model);
  const subjectKey = subjects[0]?.table.primaryKey.columns[0];
  const per = xs.flatMap((x) => {
    const s = qualified(x.staging.schema, x.staging.name);
    const subject = subjects.find(
      (st) => st.table.name === x.table.name && x.dataColumns.some((c) => c.name === st.column),
    );
    return [
      `IF @TableName = ${nstr(x.table.name)}`,
      "BEGIN",
      indent(
        [
          `SET @Staged = (SELECT COUNT_BIG(*) FROM ${s});`,
          ...(subject && subjectKey
            ? [
                `-- Rows of data subjects (${subjectKey}) in this raw partition, for the erasure.`,
                `INSERT INTO ${SUBJECT} ([CustomerKey], [TableName], [RunDate])`,
                `SELECT DISTINCT s.${q(subject.column)}, @TableName, @RunDate FROM ${s} AS s`,
                `WHERE s.${q(subject.column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${SUBJECT} AS p WHERE p.[CustomerKey] = s.${q(subject.column)} AND p.[TableName] = @TableName AND p.[RunDate] = @RunDate);`,
              ]
            : []),
        ].join("\n"),
      ),
      "END;",
    ];
  });
  return procedure(
    "usp_RecordStaged",
    ["@RunDate DATE", "@RunId NVARCHAR(64)", "@TableName NVARCHAR(128)", "@SourceRows BIGINT"],
    [
      "SET NOCOUNT ON;",
      "DECLARE @Staged BIGINT;",
      ...per,
      "IF @Staged IS NULL",
      "    THROW 50210, N'Unknown staging table: the extract pipelines and the model disagree (regenerate both).', 1;",
      `DELETE FROM ${STAGED} WHERE [RunDate] = @RunDate AND [RunId] = @RunId AND [TableName] = @TableName;`,
      `INSERT INTO ${STAGED} ([RunDate], [RunId], [TableName], [SourceRows], [StagedRows], [StagedAt]) SELECT @RunDate, @RunId, @TableName, @SourceRows, @Staged, SYSUTCDATETIME();`,
    ],
    ["After a table's COPY INTO staging: the source and staged row counts (reconciled by the gate)."],
  );
}

/** The staging gate: counts source vs staging, every table staged, required columns present. */
export function checkStaging(model: DataModel, xs: ExtractedTable[]): string[] {
  const checks: string[] = [];
  checks.push(
    "-- Rows: source (read by the Copy activity) = staged (counted in the pool), per table.",
    [
      `INSERT INTO ${DQ} ([RunDate], [RunId], [Stage], [CheckName], [Subject], [Expected], [Actual], [Passed], [Detail], [CheckedAt])`,
      `SELECT @RunDate, @RunId, 'staging', 'rows_source_vs_staging', CONCAT(N'stg.', s.[TableName]), s.[SourceRows], s.[StagedRows],`,
      "    CASE WHEN s.[SourceRows] = s.[StagedRows] THEN 1 ELSE 0 END, NULL, SYSUTCDATETIME()",
      `FROM ${STAGED} AS s WHERE s.[RunDate] = @RunDate AND s.[RunId] = @RunId;`,
    ].join("\n"),
    "-- Every extracted table was staged by this run.",
    dqCheck(
      "staging",
      "tables_staged",
      "N'stg.*'",
      xs.length,
      `(SELECT COUNT(DISTINCT [TableName]) FROM ${STAGED} WHERE [RunDate] = @RunDate AND [RunId] = @RunId AND [TableName] IN (${xs.map((x) => nstr(x.table.name)).join(", ")}))`,
    ),
  );
  for (const x of xs) {
    const s = qualified(x.staging.schema, x.staging.name);
    const notDeleted =
      x.mode === "cdc"
        ? `(${q(x.operationColumn)} IS NULL OR ${q(x.operationColumn)} <> 1)`
        : `(${q(x.operationColumn)} IS NULL OR ${q(x.operationColumn)} <> 'D')`;
    const required = x.dataColumns.filter((c) => !x.table.columns.find((o) => o.name === c.name)?.nullable);
    if (!required.length) continue;
    const nulls = `(SELECT COUNT_BIG(*) FROM ${s} WHERE ${notDeleted} AND (${required.map((c) => `${q(c.name)} IS NULL`).join(" OR ")}))`;
    checks.push(
      `-- ${s}: NOT NULL in the source (${required.map((c) => c.name).join(", ")}), so never NULL in a row that is not a delete.`,
      dqCheck("staging", "required_not_null", nstr(s), 0, nulls),
    );
  }
  void model;
  return procedure(
    "usp_CheckStaging",
    ["@RunDate DATE", "@RunId NVARCHAR(64)"],
    [
      "SET NOCOUNT ON;",
      `DECLARE @Reason NVARCHAR(4000), @Actual ${NUMBER};`,
      `DELETE FROM ${DQ} WHERE [RunDate] = @RunDate AND [RunId] = @RunId AND [Stage] = 'staging';`,
      ...checks,
      ...failOnChecks("staging", 50201),
    ],
    [
      "Data-quality gate, part 1 (before anything is published): source vs staging row counts, every table staged,",
      "required columns present. A failed check fails the run with the reason; the published tables are untouched.",
    ],
  );
}

export function failRun(): string[] {
  return procedure(
    "usp_FailRun",
    ["@RunDate DATE", "@RunId NVARCHAR(64)", "@Reason NVARCHAR(4000)"],
    [
      "SET NOCOUNT ON;",
      `IF NOT EXISTS (SELECT 1 FROM ${RUN_LOG} WHERE [RunDate] = @RunDate AND [RunId] = @RunId)`,
      `    INSERT INTO ${RUN_LOG} ([RunDate], [RunId], [Status], [StartedAt]) SELECT @RunDate, @RunId, 'failed', SYSUTCDATETIME();`,
      "-- Keeps the first (most specific) reason a procedure recorded; otherwise the pipeline's error.",
      `UPDATE ${RUN_LOG} SET [Status] = 'failed', [FinishedAt] = SYSUTCDATETIME(), [Reason] = COALESCE([Reason], LEFT(@Reason, 4000))`,
      "WHERE [RunDate] = @RunDate AND [RunId] = @RunId;",
    ],
    [
      "The master pipeline's failure path: the run is failed, with its reason (nothing was published, or only the",
      "committed batches of a full reload its reason names).",
    ],
  );
}

export function runResult(): string[] {
  return procedure(
    "usp_RunResult",
    ["@RunDate DATE", "@RunId NVARCHAR(64)"],
    [
      "SET NOCOUNT ON;",
      "SELECT r.[Status], r.[Reason],",
      `    (SELECT COUNT(*) FROM ${DQ} AS d WHERE d.[RunDate] = r.[RunDate] AND d.[RunId] = r.[RunId]) AS [ChecksRun],`,
      `    (SELECT COUNT(*) FROM ${DQ} AS d WHERE d.[RunDate] = r.[RunDate] AND d.[RunId] = r.[RunId] AND d.[Passed] = 0) AS [ChecksFailed],`,
      `    (SELECT STRING_AGG(CAST(CONCAT(d.[CheckName], N' ', d.[Subject]) AS NVARCHAR(MAX)), N'; ') FROM ${DQ} AS d WHERE d.[RunDate] = r.[RunDate] AND d.[RunId] = r.[RunId] AND d.[Passed] = 0) AS [FailedChecks]`,
      `FROM ${RUN_LOG} AS r`,
      "WHERE r.[RunDate] = @RunDate AND r.[RunId] = @RunId;",
    ],
    ["One row for the run's output: status, reason, how many checks ran and which failed."],
  );
}
