// The publish procedure: dimensions (type 1 or type 2), late-arriving members, facts, in one transaction (or in
// batches of keys for a full reload), checked before and after.
import type { DataModel, OlapTable, OltpTableMapping } from "../../../model/types";
import { indent, list, nstr, q, qualified } from "../../../generators/tsql";
import { factGroups, oltpMappings, type ExtractedTable } from "../../groups";
import { procedure } from "../procedure";
import {
  CHANGED_AT,
  candidateName,
  createTempTableAs,
  candidateSelect,
  dedupeStatement,
  dedupedName,
  differs,
  inferredValue,
} from "../load";
import { RUN_LOG, DQ, AMOUNT, NUMBER, dqCheck, failOnChecks, stagingOf } from "./shared";
import { publishBatchRows } from "./batchSize";

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
export function publish(model: DataModel, xs: ExtractedTable[]): string[] {
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
