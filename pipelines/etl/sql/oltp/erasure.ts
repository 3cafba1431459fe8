// The GDPR erasure of a subject in the OLTP database: its audit table, the erase procedure, the audits, and the
// rows that reference it.
import { erasedColumns, erasureColumns, erasurePaths, rowOwners, type ErasurePath } from "../../../model/validate";
import type { DataModel, ErasureSubject } from "../../../model/types";
import { renderType } from "../../../model/types";
import { indent, nstr, q, qualified } from "../../../generators/tsql";
import { subjectCosmosTargets } from "../../cosmosErasure";
import { ETL_SCHEMA, PIPELINES } from "../../names";
import { procedure } from "../procedure";

const AUDIT_TABLE = `${q(ETL_SCHEMA)}.[ErasureAudit]`;

/** The erasure audit table of a subject (`etl.ErasureAudit` for the customer, `etl.ErasureAudit_<subject>` otherwise). */
export function auditTableDdl(model: DataModel, subject: ErasureSubject): string {
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
export function eraseProcedure(model: DataModel, subject: ErasureSubject): string[] {
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
export function subjectAuditProcedure(model: DataModel, subject: ErasureSubject): string[] {
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
export function auditProcedure(): string[] {
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

export function subjectReferencesProcedure(model: DataModel): string[] {
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
