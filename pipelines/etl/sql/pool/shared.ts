// The pool ETL's control tables' names and the T-SQL pieces every stage writes with: a table created when
// missing, a data-quality check and its gate.
import { indent, q } from "../../../generators/tsql";
import type { ExtractedTable } from "../../groups";
import { ETL_SCHEMA } from "../../names";

export const etl = (name: string) => `${q(ETL_SCHEMA)}.${q(name)}`;
export const RUN_LOG = etl("RunLog");
export const STAGED = etl("StagedTable");
export const DQ = etl("DataQualityResult");
export const SUBJECT = etl("SubjectPartition");
export const AUDIT = etl("ErasureAudit");

/** Distinct money columns of a fact (house rule: `*AmountMinor`), summed per day by the gate. */
export const AMOUNT = /AmountMinor$/;
/** Largest integer a DECIMAL(38, 0) holds comfortably: counts and sums of minor units. */
export const NUMBER = "DECIMAL(38, 0)";

export function table(name: string, columns: string[], comment: string): string {
  return [
    `-- ${comment}`,
    `IF OBJECT_ID(N'${ETL_SCHEMA}.${name}', N'U') IS NULL`,
    "BEGIN",
    `    CREATE TABLE ${etl(name)}`,
    "    (",
    indent(columns.join(",\n"), 8),
    "    )",
    "    WITH (DISTRIBUTION = ROUND_ROBIN, HEAP);",
    "END;",
  ].join("\n");
}

/**
 * One data-quality check: the actual value (a scalar subquery) into @Actual, then its result row. `expected` null
 * = informational (always passes, recorded for the run output).
 */
export function dqCheck(
  stage: string,
  check: string,
  subject: string,
  expected: number | null,
  actual: string,
  detail = "NULL",
): string {
  const passed = expected === null ? "1" : `CASE WHEN @Actual = ${expected} THEN 1 ELSE 0 END`;
  return [
    `SET @Actual = ${actual};`,
    `INSERT INTO ${DQ} ([RunDate], [RunId], [Stage], [CheckName], [Subject], [Expected], [Actual], [Passed], [Detail], [CheckedAt])`,
    `SELECT @RunDate, @RunId, '${stage}', '${check}', ${subject}, ${expected === null ? "NULL" : expected}, @Actual, ${passed}, ${detail}, SYSUTCDATETIME();`,
  ].join("\n");
}

/** Raise the failed checks of a stage (after recording them): the reason lists each failed check. */
export function failOnChecks(stage: string, code: number): string[] {
  return [
    `IF EXISTS (SELECT 1 FROM ${DQ} WHERE [RunDate] = @RunDate AND [RunId] = @RunId AND [Stage] = '${stage}' AND [Passed] = 0)`,
    "BEGIN",
    indent(
      [
        `SET @Reason = (SELECT CONCAT(N'data-quality gate (${stage}) failed: ', STRING_AGG(CAST(CONCAT([CheckName], N' ', [Subject], N': expected ', [Expected], N', got ', [Actual]) AS NVARCHAR(MAX)), N'; ')) FROM ${DQ} WHERE [RunDate] = @RunDate AND [RunId] = @RunId AND [Stage] = '${stage}' AND [Passed] = 0);`,
        `UPDATE ${RUN_LOG} SET [Status] = 'failed', [FinishedAt] = SYSUTCDATETIME(), [Reason] = LEFT(@Reason, 4000) WHERE [RunDate] = @RunDate AND [RunId] = @RunId;`,
        `SET @Reason = LEFT(@Reason, 2000);`,
        `THROW ${code}, @Reason, 1;`,
      ].join("\n"),
    ),
    "END;",
  ];
}

export const stagingOf = (xs: ExtractedTable[], name: string) => xs.find((x) => x.table.name === name);
