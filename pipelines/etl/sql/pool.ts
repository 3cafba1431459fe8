// The warehouse side of the nightly ETL, generated from the model (14_olap_etl_load.sql): the run log, the
// data-quality results, the staging gate, the publish procedure (dimensions, late-arriving members, facts) and the
// GDPR erasure in the pool. Written for what a dedicated SQL pool supports (Microsoft's T-SQL pages for Azure Synapse):
// - no MERGE: a MERGE that inserts needs a HASH target, and the dimensions are REPLICATE; MERGE into a columnstore fact
//   is not needed either. Dimensions load by UPDATE…FROM (implicit join: ANSI joins are not allowed in an UPDATE) plus
//   INSERT…WHERE NOT EXISTS; facts by DELETE of the run's keys plus INSERT (idempotent: a re-run replaces the same
//   rows).
// - staging is deduplicated per key first (ROW_NUMBER, latest change wins), into temp tables distributed like the
//   staging table (hash on the fact's distribution column where the fact load joins on it: no data movement).
// - every CREATE TABLE AS SELECT (DDL) runs before the transaction: a dedicated pool allows no DDL inside one.
// - no @@ROWCOUNT, no table variables, no SET XACT_ABORT, no CTE in front of an INSERT (not supported there).
// Publishing is one transaction: the candidate rows are checked first (nothing written when a check fails), then
// applied, re-checked and committed, or rolled back with the reason. The published tables change only on success.
// A full reload with more keys than one transaction of the smallest pool can replace (publishBatchRows) commits in
// batches of keys instead, each re-checked; a failed batch rolls back alone and the reason names those committed
// (a WHILE loop: Microsoft's "Use T-SQL loops for dedicated SQL pools in Azure Synapse Analytics").
import { erasureColumns } from "../../model/validate";
import type { Column, DataModel, OlapTable, OltpTableMapping } from "../../model/types";
import { batches, externalPrincipal, header, indent, list, nstr, q, qualified } from "../../generators/tsql";
import { OLAP_ETL_PRINCIPAL_VARIABLE } from "../../generators/olap";
import { extractedTables, factGroups, oltpMappings, type ExtractedTable } from "../groups";
import { ETL_SCHEMA } from "../names";
import { procedure } from "./procedure";
import { subjectTables } from "./oltp";
import {
  CHANGED_AT,
  candidateName,
  createTempTableAs,
  candidateSelect,
  dedupeStatement,
  dedupedName,
  differs,
  inferredValue,
} from "./load";

export const POOL_ETL_FILE = "14_olap_etl_load.sql";

const etl = (name: string) => `${q(ETL_SCHEMA)}.${q(name)}`;
const RUN_LOG = etl("RunLog");
const STAGED = etl("StagedTable");
const DQ = etl("DataQualityResult");
const SUBJECT = etl("SubjectPartition");
const AUDIT = etl("ErasureAudit");

/** Distinct money columns of a fact (house rule: `*AmountMinor`), summed per day by the gate. */
const AMOUNT = /AmountMinor$/;
/** Largest integer a DECIMAL(38, 0) holds comfortably: counts and sums of minor units. */
const NUMBER = "DECIMAL(38, 0)";

/**
 * Largest transaction of the smallest dedicated pool (DW100c): 1 GB per distribution × 60 distributions, "a single
 * data modification transaction is limited in size ... applied per distribution" (Microsoft, "Use transactions in a
 * SQL pool in Azure Synapse", Transaction size; its table assumes evenly distributed rows of 250 bytes).
 */
export const SMALLEST_POOL_TRANSACTION_BYTES = 60 * 1024 ** 3;
/** The row size Microsoft's table assumes: a narrower row is still counted at 250 bytes (log overhead). */
const MIN_LOGGED_ROW_BYTES = 250;

/** Bytes a value of the type takes at most in a row (SQL Server's storage sizes). */
export function typeBytes(type: Column["type"]): number {
  switch (type.kind) {
    case "bigint":
    case "rowversion":
      return 8;
    case "int":
      return 4;
    case "smallint":
      return 2;
    case "tinyint":
    case "bit":
      return 1;
    case "date":
      return 3;
    case "datetime2":
      return type.precision < 3 ? 6 : type.precision < 5 ? 7 : 8;
    case "decimal":
      return type.precision <= 9 ? 5 : type.precision <= 19 ? 9 : type.precision <= 28 ? 13 : 17;
    case "char":
    case "binary":
      return type.length;
    case "nchar":
      return 2 * type.length;
    case "varchar":
    case "varbinary":
      return (type.length > 0 ? type.length : 8000) + 2;
    case "nvarchar":
      return 2 * (type.length > 0 ? type.length : 4000) + 2;
  }
}

/**
 * Keys one publish batch replaces in a fact: a full reload (the first run, a window past the change retention, or
 * `etl.usp_RequestFullReload`) replaces every row of the fact, which in one transaction would outgrow the pool's cap
 * as the fact grows (DW500c: ~900M rows of 250 bytes, i.e. ~450M replaced rows, a year and a quarter of prod's
 * payments). A batch deletes and inserts each key's row (two row images), and a transaction holds at most two
 * batches (a fact's last batch commits with the next fact's first): 40 % of the smallest pool's cap each, so any
 * pool carries it with room for the dimensions. The row size comes from the model, so a wider fact batches smaller.
 */
export function publishBatchRows(fact: OlapTable): number {
  const rowBytes = Math.max(
    MIN_LOGGED_ROW_BYTES,
    fact.columns.reduce((n, c) => n + typeBytes(c.type), 0),
  );
  const rows = Math.floor((0.4 * SMALLEST_POOL_TRANSACTION_BYTES) / (2 * rowBytes));
  return Math.max(1, Math.floor(rows / 1_000_000) * 1_000_000 || rows);
}

function table(name: string, columns: string[], comment: string): string {
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
function dqCheck(
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
function failOnChecks(stage: string, code: number): string[] {
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

const stagingOf = (xs: ExtractedTable[], name: string) => xs.find((x) => x.table.name === name);

function controlTables(): string[] {
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

function beginRun(): string[] {
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

function recordStaged(model: DataModel, xs: ExtractedTable[]): string[] {
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
function checkStaging(model: DataModel, xs: ExtractedTable[]): string[] {
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

/** A dimension's load inside the publish transaction (type 1, or type 2 with history). */
function dimensionLoad(dim: OlapTable, m: OltpTableMapping): string[] {
  const d = qualified(dim.schema, dim.name);
  const c = candidateName(dim.name);
  const key = dim.primaryKey?.columns[0];
  if (!key) throw new Error(`${dim.name}: no key`);
  const self = `${q(dim.name)}.${q(key)}`;
  const mapped = dim.columns.filter((col) => m.columns.some((x) => x.target === col.name)).map((col) => col.name);
  const attrs = mapped.filter((n) => n !== key);
  const h = dim.history;
  if (!h) {
    return [
      `-- ${d} (type 1): overwrite the staged members, add the new ones.`,
      `UPDATE ${d}`,
      `SET ${attrs.map((a) => `${q(a)} = s.${q(a)}`).join(", ")}`,
      `FROM ${c} AS s`,
      `WHERE ${self} = s.${q(key)};`,
      `INSERT INTO ${d} (${list(mapped)})`,
      `SELECT ${mapped.map((n) => `s.${q(n)}`).join(", ")} FROM ${c} AS s`,
      `WHERE NOT EXISTS (SELECT 1 FROM ${d} AS x WHERE x.${q(key)} = s.${q(key)});`,
    ];
  }
  const type1 = attrs.filter((a) => !h.tracked.includes(a));
  const all = [...mapped, h.validFrom, h.validTo, h.isCurrent, h.isInferred];
  return [
    `-- ${d} (type 2 on ${h.tracked.join(", ")}).`,
    "-- A member inferred for a late-arriving key takes the real attributes in place (no new version).",
    `UPDATE ${d}`,
    `SET ${[...attrs.map((a) => `${q(a)} = s.${q(a)}`), `${q(h.isInferred)} = 0`].join(", ")}`,
    `FROM ${c} AS s`,
    `WHERE ${self} = s.${q(key)} AND ${q(dim.name)}.${q(h.isInferred)} = 1;`,
    ...(type1.length
      ? [
          "-- Untracked attributes are overwritten in every version (type 1).",
          `UPDATE ${d}`,
          `SET ${type1.map((a) => `${q(a)} = s.${q(a)}`).join(", ")}`,
          `FROM ${c} AS s`,
          `WHERE ${self} = s.${q(key)};`,
        ]
      : []),
    "-- A tracked attribute changed: close the current version at the change time, then open the new version.",
    `UPDATE ${d}`,
    `SET ${q(h.validTo)} = s.${q(CHANGED_AT)}, ${q(h.isCurrent)} = 0`,
    `FROM ${candidateName(`${dim.name}_changed`)} AS s`,
    `WHERE ${self} = s.${q(key)} AND ${q(dim.name)}.${q(h.isCurrent)} = 1;`,
    `INSERT INTO ${d} (${list(all)})`,
    `SELECT ${[...mapped.map((n) => `s.${q(n)}`), `s.${q(CHANGED_AT)}`, "'9999-12-31'", "1", "0"].join(", ")}`,
    `FROM ${candidateName(`${dim.name}_changed`)} AS s;`,
    "-- New members: one version valid from the beginning of time.",
    `INSERT INTO ${d} (${list(all)})`,
    `SELECT ${[...mapped.map((n) => `s.${q(n)}`), "'1900-01-01'", "'9999-12-31'", "1", "0"].join(", ")}`,
    `FROM ${c} AS s`,
    `WHERE NOT EXISTS (SELECT 1 FROM ${d} AS x WHERE x.${q(key)} = s.${q(key)});`,
  ];
}

/** The SCD2 "changed" candidates, computed before the transaction (CTAS is DDL). */
function changedVersions(dim: OlapTable): string[] {
  const h = dim.history;
  const key = dim.primaryKey?.columns[0];
  if (!h || !key) return [];
  const d = qualified(dim.schema, dim.name);
  return [
    `-- ${d}: staged members whose tracked attributes differ from their current version, changed after it began.`,
    ...createTempTableAs(candidateName(`${dim.name}_changed`), "ROUND_ROBIN"),
    `SELECT s.* FROM ${candidateName(dim.name)} AS s`,
    `INNER JOIN ${d} AS d ON d.${q(key)} = s.${q(key)} AND d.${q(h.isCurrent)} = 1 AND d.${q(h.isInferred)} = 0`,
    `WHERE s.${q(CHANGED_AT)} > d.${q(h.validFrom)}`,
    `    AND (${h.tracked.map((a) => differs(`s.${q(a)}`, `d.${q(a)}`)).join("\n        OR ")});`,
  ];
}

/** Inferred members for the fact's keys that no dimension row (staged or published) has yet. */
function inferredMembers(model: DataModel, fact: OlapTable, dims: Map<string, OltpTableMapping>): string[] {
  const f = candidateName(fact.name);
  return (fact.references ?? []).flatMap((r) => {
    const dim = model.olap.tables.find((t) => t.name === r.dimension);
    if (!dim || !dims.has(dim.name)) return [];
    const d = qualified(dim.schema, dim.name);
    const h = dim.history;
    const cols = dim.columns.filter((c) => !h || ![h.validFrom, h.validTo, h.isCurrent, h.isInferred].includes(c.name));
    const values = cols.map((c) => (c.name === r.dimensionColumn ? `f.${q(r.column)}` : inferredValue(dim, c)));
    const names = cols.map((c) => c.name);
    if (h) {
      names.push(h.validFrom, h.validTo, h.isCurrent, h.isInferred);
      values.push("'1900-01-01'", "'9999-12-31'", "1", "1");
    }
    return [
      `-- Late-arriving ${r.dimension} keys of ${fact.name}: an inferred member until the real row arrives.`,
      `INSERT INTO ${d} (${list(names)})`,
      `SELECT DISTINCT ${values.join(", ")}`,
      `FROM ${f} AS f`,
      `WHERE NOT EXISTS (SELECT 1 FROM ${d} AS x WHERE x.${q(r.dimensionColumn)} = f.${q(r.column)});`,
    ];
  });
}

/** The publish procedure: candidates, checks, one transaction (dimensions, inferred members, facts), re-check. */
function publish(model: DataModel, xs: ExtractedTable[]): string[] {
  const mappings = oltpMappings(model.olap.mappings);
  const dims = new Map<string, OltpTableMapping>();
  const facts: { table: OlapTable; m: OltpTableMapping }[] = [];
  for (const m of mappings) {
    const t = model.olap.tables.find((x) => x.name === m.target);
    if (t?.role === "dimension") dims.set(t.name, m);
    if (t?.role === "fact") facts.push({ table: t, m });
  }
  const groups = factGroups(model);
  const prepare: string[] = [
    "-- 1. Staging deduplicated per key (latest change first, related rows last), distributed like staging.",
    ...xs.map((x) => dedupeStatement(x)),
  ];
  const pre: string[] = [];
  const apply: string[] = [];
  const postRecord: string[] = [];
  // Dimensions
  for (const [name, m] of dims) {
    const dim = model.olap.tables.find((t) => t.name === name) as OlapTable;
    const h = dim.history;
    const changedAt = h ? [`CAST(${q(m.root)}.${q(h.changedAt)} AS DATETIME2(3)) AS ${q(CHANGED_AT)}`] : [];
    if (h && !stagingOf(xs, m.root)?.dataColumns.some((c) => c.name === h.changedAt))
      throw new Error(`${name}: history.changedAt ${m.root}.${h.changedAt} is not staged`);
    prepare.push(
      `-- 2. ${name} candidates.`,
      ...createTempTableAs(candidateName(name), "ROUND_ROBIN"),
      `${candidateSelect(model, m, dim, changedAt)};`,
      ...changedVersions(dim),
    );
    const required = dim.columns.filter((c) => !c.nullable && m.columns.some((x) => x.target === c.name));
    if (required.length) {
      const n = `(SELECT COUNT_BIG(*) FROM ${candidateName(name)} WHERE ${required.map((c) => `${q(c.name)} IS NULL`).join(" OR ")})`;
      pre.push(dqCheck("publish", "required_not_null", nstr(`dbo.${name}`), 0, n));
    }
    apply.push(...dimensionLoad(dim, m));
  }
  // Facts
  for (const { table: fact, m } of facts) {
    const group = groups.find((g) => g.fact === fact.name);
    const root = stagingOf(xs, m.root);
    if (!group || !root) continue;
    const rootKey = group.rootKey;
    const keyTarget = m.columns.find(
      (c) => c.transform.kind === "copy" && c.source.table === m.root && c.source.column === rootKey,
    )?.target;
    if (!keyTarget) throw new Error(`${fact.name}: no column is copied from its root key ${m.root}.${rootKey}`);
    const updatedAt = m.columns.find(
      (c) => c.transform.kind === "copy" && c.source.table === m.root && c.source.column === "UpdatedAt",
    )?.target;
    const keys = candidateName(`${fact.name}_keys`);
    const f = qualified(fact.schema, fact.name);
    const dist = fact.distribution.kind === "HASH" ? `HASH(${q(fact.distribution.column)})` : "ROUND_ROBIN";
    prepare.push(
      `-- 3. ${fact.name}: the root keys the run replaces (a newer published row is kept: re-runs and backfills of`,
      "--    older dates never overwrite newer data), then the candidate rows, built set-based from staging.",
      ...createTempTableAs(keys, dist),
      `SELECT s.${q(rootKey)} AS ${q(keyTarget)}`,
      `FROM ${dedupedName(m.root)} AS s`,
      ...(updatedAt
        ? [
            `WHERE NOT EXISTS (SELECT 1 FROM ${f} AS x WHERE x.${q(keyTarget)} = s.${q(rootKey)} AND x.${q(updatedAt)} > s.[UpdatedAt]);`,
          ]
        : [";"]),
      ...createTempTableAs(candidateName(fact.name), dist),
      `${candidateSelect(model, m, fact, [], [`${q(m.root)}.${q(rootKey)} IN (SELECT k.${q(keyTarget)} FROM ${keys} AS k)`])};`,
    );
    const c = candidateName(fact.name);
    const required = fact.columns.filter((x) => !x.nullable);
    const nulls = `(SELECT COUNT_BIG(*) FROM ${c} WHERE ${required.map((x) => `${q(x.name)} IS NULL`).join(" OR ")})`;
    pre.push(
      `-- ${fact.name}: required columns, orphan keys, amounts per day.`,
      dqCheck("publish", "required_not_null", nstr(`dbo.${fact.name}`), 0, nulls),
    );
    for (const r of fact.references ?? []) {
      const dim = model.olap.tables.find((t) => t.name === r.dimension);
      if (!dim) continue;
      const d = qualified(dim.schema, dim.name);
      const inDim = `EXISTS (SELECT 1 FROM ${d} AS d WHERE d.${q(r.dimensionColumn)} = f.${q(r.column)})`;
      if (dims.has(dim.name)) {
        const late = `(SELECT COUNT_BIG(DISTINCT f.${q(r.column)}) FROM ${c} AS f WHERE NOT ${inDim} AND NOT EXISTS (SELECT 1 FROM ${candidateName(dim.name)} AS s WHERE s.${q(r.dimensionColumn)} = f.${q(r.column)}))`;
        pre.push(
          dqCheck(
            "publish",
            "late_arriving_keys",
            nstr(`${fact.name}.${r.column}`),
            null,
            late,
            `N'keys with no ${r.dimension} row yet: loaded with an inferred member (informational)'`,
          ),
        );
      } else {
        const orphans = `(SELECT COUNT_BIG(*) FROM ${c} AS f WHERE NOT ${inDim})`;
        pre.push(dqCheck("publish", "orphan_keys", nstr(`${fact.name}.${r.column}`), 0, orphans));
      }
    }
    const dateRef = (fact.references ?? []).find(
      (r) => m.columns.find((x) => x.target === r.column)?.transform.kind === "dateKey",
    );
    const dateSource = dateRef && m.columns.find((x) => x.target === dateRef.column);
    const amounts = m.columns.filter(
      (x) => AMOUNT.test(x.target) && x.transform.kind === "copy" && x.source.table === m.root,
    );
    if (dateRef && dateSource && amounts.length) {
      for (const a of amounts) {
        // Candidate per date key vs staging per calendar day of the same source column: a join fan-out, a lost row
        // or a date outside the calendar (key 0) shows as a difference.
        const byDay = `SELECT CAST(s.${q(dateSource.source.column)} AS DATE) AS [Day], SUM(CAST(s.${q(a.source.column)} AS ${NUMBER})) AS [Amount] FROM ${dedupedName(m.root)} AS s WHERE s.[IsDeleted] = 0 AND s.${q(rootKey)} IN (SELECT k.${q(keyTarget)} FROM ${keys} AS k) GROUP BY CAST(s.${q(dateSource.source.column)} AS DATE)`;
        const byKey = `SELECT c.${q(dateRef.column)} AS [DateKey], SUM(CAST(c.${q(a.target)} AS ${NUMBER})) AS [Amount] FROM ${c} AS c GROUP BY c.${q(dateRef.column)}`;
        const diff = `(SELECT COUNT_BIG(*) FROM (${byDay}) AS s FULL OUTER JOIN (${byKey}) AS c ON c.[DateKey] = YEAR(s.[Day]) * 10000 + MONTH(s.[Day]) * 100 + DAY(s.[Day]) WHERE s.[Amount] IS NULL OR c.[Amount] IS NULL OR s.[Amount] <> c.[Amount])`;
        pre.push(
          dqCheck(
            "publish",
            "amounts_per_day",
            nstr(`${fact.name}.${a.target}`),
            0,
            diff,
            `N'days whose sum differs between staging and the rows to publish'`,
          ),
        );
      }
    }
    const batchRows = publishBatchRows(fact);
    const batches = `@Batches_${fact.name}`;
    const batch = `@Batch_${fact.name}`;
    // The batch of a key: its checksum modulo the batch count (every key is in batch 0 when there is one batch), read
    // from the keys table only, so the fact's rows and the candidates follow one membership whatever their types.
    const inBatch = (alias: string) =>
      `(${batches} = 1 OR ABS(CAST(CHECKSUM(${alias}.${q(keyTarget)}) AS BIGINT)) % ${batches} = ${batch})`;
    const batchKeys = `SELECT k.${q(keyTarget)} FROM ${keys} AS k WHERE ${inBatch("k")}`;
    const expected = `@Expected_${fact.name}`;
    const actual = `@Actual_${fact.name}`;
    const amountExpected = `@AmountExpected_${fact.name}`;
    const amountActual = `@AmountActual_${fact.name}`;
    const firstAmount = amounts[0]?.target;
    prepare.push(
      `-- ${fact.name}: one batch per ${batchRows.toLocaleString("en-US")} keys replaced (publishBatchRows: a full reload must fit the`,
      "--    smallest pool's transaction size); a nightly run is one batch.",
      `SET ${batches} = (SELECT (COUNT_BIG(*) + ${batchRows - 1}) / ${batchRows} FROM ${keys});`,
      `IF ${batches} < 1 SET ${batches} = 1;`,
    );
    apply.push(
      ...inferredMembers(model, fact, dims),
      `-- ${f}: replace the run's rows (idempotent for a runDate: a re-run deletes and inserts the same rows), then`,
      `--    check exactly one row per replaced key${firstAmount ? ` and the same ${firstAmount} total` : ""}. One batch (a nightly run) stays in the`,
      "--    publish transaction; a full reload of more keys commits each batch but the last on its own, once checked.",
      `SET ${batch} = 0;`,
      `SET ${expected} = 0;`,
      `SET ${actual} = 0;`,
      `SET ${amountExpected} = 0;`,
      `SET ${amountActual} = 0;`,
      `WHILE ${batch} < ${batches}`,
      "BEGIN",
      indent(
        [
          "IF @@TRANCOUNT = 0",
          "    BEGIN TRANSACTION;",
          `DELETE FROM ${f} WHERE ${q(keyTarget)} IN (${batchKeys});`,
          `INSERT INTO ${f} (${list(fact.columns.map((x) => x.name))})`,
          `SELECT ${fact.columns.map((x) => `c.${q(x.name)}`).join(", ")} FROM ${c} AS c WHERE c.${q(keyTarget)} IN (${batchKeys});`,
          `SET @BatchExpected = (SELECT COUNT_BIG(*) FROM ${c} AS c WHERE c.${q(keyTarget)} IN (${batchKeys}));`,
          `SET @BatchActual = (SELECT COUNT_BIG(*) FROM ${f} WHERE ${q(keyTarget)} IN (${batchKeys}));`,
          ...(firstAmount
            ? [
                `SET @BatchAmountExpected = (SELECT ISNULL(SUM(CAST(c.${q(firstAmount)} AS ${NUMBER})), 0) FROM ${c} AS c WHERE c.${q(keyTarget)} IN (${batchKeys}));`,
                `SET @BatchAmountActual = (SELECT ISNULL(SUM(CAST(${q(firstAmount)} AS ${NUMBER})), 0) FROM ${f} WHERE ${q(keyTarget)} IN (${batchKeys}));`,
              ]
            : []),
          `SET ${expected} = ${expected} + @BatchExpected;`,
          `SET ${actual} = ${actual} + @BatchActual;`,
          ...(firstAmount
            ? [
                `SET ${amountExpected} = ${amountExpected} + @BatchAmountExpected;`,
                `SET ${amountActual} = ${amountActual} + @BatchAmountActual;`,
              ]
            : []),
          `IF @BatchExpected <> @BatchActual${firstAmount ? " OR @BatchAmountExpected <> @BatchAmountActual" : ""}`,
          "BEGIN",
          `    SET @Reason = CONCAT(N'data-quality gate (published) failed: rows_staging_vs_fact ${fact.name}', CASE WHEN ${batches} > 1 THEN CONCAT(N' (batch ', ${batch} + 1, N' of ', ${batches}, N')') ELSE N'' END, N': expected ', @BatchExpected, N' rows, got ', @BatchActual${firstAmount ? `, N'; ${firstAmount} expected ', @BatchAmountExpected, N', got ', @BatchAmountActual` : ""}, N'.');`,
          "    THROW 50204, @Reason, 1;",
          "END;",
          `IF ${batch} < ${batches} - 1`,
          "BEGIN",
          "    COMMIT TRANSACTION;",
          "    SET @BatchesCommitted = @BatchesCommitted + 1;",
          "    -- Progress, committed at once: a publish Data Factory cancels (its timeout) keeps it as the run's reason.",
          `    UPDATE ${RUN_LOG} SET [Reason] = CONCAT(N'full reload in progress: ', @BatchesCommitted, N' batch(es) committed, ${fact.name} batch ', ${batch} + 1, N' of ', ${batches}, N' (if the run stops here, re-run the runDate: every key is replaced again)') WHERE [RunDate] = @RunDate AND [RunId] = @RunId;`,
          "END;",
          `SET ${batch} = ${batch} + 1;`,
        ].join("\n"),
      ),
      "END;",
    );
    postRecord.push(
      `INSERT INTO ${DQ} ([RunDate], [RunId], [Stage], [CheckName], [Subject], [Expected], [Actual], [Passed], [Detail], [CheckedAt])`,
      `SELECT @RunDate, @RunId, 'published', 'rows_staging_vs_fact', ${nstr(`dbo.${fact.name}`)}, ${expected}, ${actual}, 1, CASE WHEN ${batches} > 1 THEN CONCAT(N'full reload in ', ${batches}, N' batches') END, SYSUTCDATETIME();`,
    );
  }
  const declares = facts.flatMap(({ table: fact }) => [
    `DECLARE @Expected_${fact.name} ${NUMBER}, @Actual_${fact.name} ${NUMBER}, @AmountExpected_${fact.name} ${NUMBER}, @AmountActual_${fact.name} ${NUMBER};`,
    `DECLARE @Batches_${fact.name} BIGINT, @Batch_${fact.name} BIGINT;`,
  ]);
  return procedure(
    "usp_Publish",
    ["@RunDate DATE", "@RunId NVARCHAR(64)"],
    [
      "SET NOCOUNT ON;",
      `DECLARE @Reason NVARCHAR(4000), @Actual ${NUMBER};`,
      `DECLARE @BatchExpected ${NUMBER}, @BatchActual ${NUMBER}, @BatchAmountExpected ${NUMBER}, @BatchAmountActual ${NUMBER}, @BatchesCommitted BIGINT = 0;`,
      ...declares,
      `DELETE FROM ${DQ} WHERE [RunDate] = @RunDate AND [RunId] = @RunId AND [Stage] IN ('publish', 'published');`,
      ...prepare,
      "-- 4. Data-quality gate, part 2, on the candidate rows: nothing is written when a check fails.",
      ...pre,
      ...failOnChecks("publish", 50202),
      "-- 5. Publish in one transaction (a full reload: in batches); re-check after the apply; roll back on any error.",
      "BEGIN TRY",
      indent(["BEGIN TRANSACTION;", ...apply, "COMMIT TRANSACTION;"].join("\n")),
      "END TRY",
      "BEGIN CATCH",
      indent(
        [
          "IF @@TRANCOUNT > 0",
          "    ROLLBACK TRANSACTION;",
          "SET @Reason = LEFT(CONCAT(CASE WHEN @BatchesCommitted > 0 THEN CONCAT(N'publish failed after ', @BatchesCommitted, N' batch(es) of the full reload were committed (each checked; a re-run republishes every key), and the rest was rolled back: ') ELSE N'publish failed and was rolled back: ' END, ERROR_MESSAGE()), 2000);",
          `UPDATE ${RUN_LOG} SET [Status] = 'failed', [FinishedAt] = SYSUTCDATETIME(), [Reason] = @Reason WHERE [RunDate] = @RunDate AND [RunId] = @RunId;`,
          "THROW 50203, @Reason, 1;",
        ].join("\n"),
      ),
      "END CATCH;",
      ...postRecord,
      `UPDATE ${RUN_LOG} SET [Status] = 'published', [FinishedAt] = SYSUTCDATETIME(), [Reason] = NULL WHERE [RunDate] = @RunDate AND [RunId] = @RunId;`,
    ],
    [
      "Publishes a run: dimensions (type 1, or type 2 with history), inferred members for late-arriving keys, facts",
      "(the run's keys deleted and re-inserted: idempotent per runDate). Candidates are built and checked before the",
      "transaction; the transaction is re-checked and rolled back on any failure, so the published tables change",
      "only when every check passes. A full reload too large for one transaction commits in batches of keys, each",
      "checked; a failure rolls back its own batch and names those committed (a re-run republishes them).",
    ],
  );
}

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
function compactStreamFacts(model: DataModel): string[] {
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

function failRun(): string[] {
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

function runResult(): string[] {
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

/** Erasure in the pool: every version of the customer's dimension row, and staging. */
function erase(model: DataModel, xs: ExtractedTable[]): string[] {
  const subjects = subjectTables(model);
  if (!subjects.length) return [];
  const subject = subjects[0].table;
  const steps: string[] = [];
  for (const m of oltpMappings(model.olap.mappings)) {
    const dim = model.olap.tables.find((t) => t.name === m.target && t.role === "dimension");
    if (!dim || m.root !== subject.name) continue;
    const key = dim.primaryKey?.columns[0];
    if (!key) continue;
    const h = dim.history;
    const historyCols = h ? [h.validFrom, h.validTo, h.isCurrent, h.isInferred] : [];
    const set = dim.columns
      .filter((c) => c.name !== key && !historyCols.includes(c.name))
      .flatMap((c) => {
        const cm = m.columns.find((x) => x.target === c.name);
        if (cm?.transform.kind === "isNotNull" && cm.source.column === subject.erasedAtColumn)
          return [`${q(c.name)} = 1`];
        return c.nullable ? [`${q(c.name)} = NULL`] : [];
      });
    const d = qualified(dim.schema, dim.name);
    steps.push(
      `-- ${d}: every version (type 2 history included) keeps only the key; the facts keep referencing it.`,
      `SET @Rows = (SELECT COUNT_BIG(*) FROM ${d} WHERE ${q(key)} = @CustomerKey);`,
      `UPDATE ${d} SET ${set.join(", ")} WHERE ${q(key)} = @CustomerKey;`,
      `INSERT INTO ${AUDIT} ([RequestId], [CustomerKey], [Store], [Action], [Items], [RecordedAt]) SELECT @RequestId, @CustomerKey, N'warehouse', N'${d}: attributes set to NULL in every version, marked erased', @Rows, SYSUTCDATETIME();`,
    );
  }
  for (const st of subjects) {
    const x = xs.find((e) => e.table.name === st.table.name);
    if (!x || !x.dataColumns.some((c) => c.name === st.column)) continue;
    const s = qualified(x.staging.schema, x.staging.name);
    steps.push(
      `SET @Rows = (SELECT COUNT_BIG(*) FROM ${s} WHERE ${q(st.column)} = @CustomerKey);`,
      `DELETE FROM ${s} WHERE ${q(st.column)} = @CustomerKey;`,
      `INSERT INTO ${AUDIT} ([RequestId], [CustomerKey], [Store], [Action], [Items], [RecordedAt]) SELECT @RequestId, @CustomerKey, N'warehouse', N'${s}: staged rows deleted', @Rows, SYSUTCDATETIME();`,
    );
  }
  return [
    ...procedure(
      "usp_EraseCustomer",
      ["@CustomerKey BIGINT", "@RequestId NVARCHAR(64)"],
      ["SET NOCOUNT ON;", "DECLARE @Rows BIGINT;", ...steps],
      [
        `GDPR erasure in the warehouse (${erasureColumns(subject).length} personal columns never reach it): the customer's dimension`,
        "rows in every version, and staging. Idempotent. Restore points keep the old rows for 7 days (docs/etl.md).",
      ],
    ),
    ...procedure(
      "usp_SubjectLakePartitions",
      ["@CustomerKey BIGINT"],
      [
        "SET NOCOUNT ON;",
        `SELECT DISTINCT [TableName], CONVERT(CHAR(10), [RunDate], 23) AS [RunDate] FROM ${SUBJECT} WHERE [CustomerKey] = @CustomerKey;`,
      ],
      ["The raw-zone partitions (table, run date) holding a customer's rows, for the erasure pipeline to delete."],
    ),
    ...procedure(
      "usp_ForgetLakePartitions",
      ["@CustomerKey BIGINT", "@RequestId NVARCHAR(64)", "@Partitions BIGINT"],
      [
        "SET NOCOUNT ON;",
        `DELETE FROM ${SUBJECT} WHERE [CustomerKey] = @CustomerKey;`,
        `INSERT INTO ${AUDIT} ([RequestId], [CustomerKey], [Store], [Action], [Items], [RecordedAt]) SELECT @RequestId, @CustomerKey, N'lake', N'raw-zone partitions holding the customer deleted', @Partitions, SYSUTCDATETIME();`,
      ],
      ["After the erasure pipeline deleted the customer's raw partitions: forget them, and audit."],
    ),
  ];
}

export function generatePoolEtlScript(model: DataModel): string {
  const xs = extractedTables(model);
  const principal = externalPrincipal(OLAP_ETL_PRINCIPAL_VARIABLE);
  const parts = [
    `IF SCHEMA_ID(N'${ETL_SCHEMA}') IS NULL\n    EXEC(N'CREATE SCHEMA ${q(ETL_SCHEMA)}');`,
    ...controlTables(),
    ...beginRun(),
    ...recordStaged(model, xs),
    ...checkStaging(model, xs),
    ...publish(model, xs),
    ...compactStreamFacts(model),
    ...failRun(),
    ...runResult(),
    ...erase(model, xs),
    principal.createUser,
    [
      "-- The ETL identity runs this schema's procedures (which write the star by ownership chaining) and reads its",
      "-- results; 13_olap_etl_access.sql gives it COPY into staging.",
      `GRANT EXECUTE, SELECT ON SCHEMA::${q(ETL_SCHEMA)} TO ${principal.name};`,
    ].join("\n"),
  ];
  return [
    header("Azure Synapse dedicated SQL pool (OLAP): the nightly load, its data-quality gate and the GDPR erasure.", [
      "Source: pipelines/model (mappings, staging, history) via pipelines/etl. Regenerate with `npm run sql:generate`.",
      `Run after 13, as the Entra admin: sqlcmd ... -v ${OLAP_ETL_PRINCIPAL_VARIABLE}="<Data Factory managed identity>" -i 14_olap_etl_load.sql`,
      "No MERGE (a MERGE that inserts needs a HASH target; the dimensions are REPLICATE): UPDATE…FROM plus",
      "INSERT…WHERE NOT EXISTS, DELETE plus INSERT for facts; staging deduplicated per key first; DDL (CTAS) before the",
      "transaction. Idempotent: tables are created when missing, each procedure is (re)defined on every run.",
    ]),
    batches(parts),
  ].join("\n");
}

export type { Column };
