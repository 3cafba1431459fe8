// Azure SQL Database (OLTP) scripts: schema (tables, keys, CHECKs, masks, encryption, foreign keys, indexes), change
// extraction (CDC and change tracking), reference data, and the ETL identity's access.
import { currencies } from "../model/oltp";
import { LEDGER_ORDER_COLUMNS } from "./extraction";
import type { CheckConstraint, Index, OltpModel, OltpTable } from "../model/types";
import {
  capturedColumns,
  captureInstance,
  cdcChangeTable,
  erasureColumns,
  extractedTables,
  maskDependencies,
  maskExpression,
  referencedColumns,
} from "../model/validate";
import {
  batches,
  columnDefinition,
  comment,
  externalPrincipal,
  header,
  indent,
  list,
  nstr,
  objectName,
  q,
  qualified,
  catalogType,
  schemaStatements,
  shapeGuard,
  str,
} from "./tsql";

export const CDC_ROLE = "cdc_reader";
/** sqlcmd variable naming the ETL identity (the Data Factory managed identity's display name) in 04. */
export const ETL_PRINCIPAL_VARIABLE = "EtlPrincipalName";
export const DDM_PAGE = "https://learn.microsoft.com/sql/relational-databases/security/dynamic-data-masking";

// --- schema -----------------------------------------------------------------------------------------------------

function ledgerOption(table: OltpTable): string {
  const view = qualified(table.schema, `${table.name}_LedgerView`);
  if (table.ledger === "updatable") {
    const history = qualified(table.schema, `${table.name}_LedgerHistory`);
    return `WITH (SYSTEM_VERSIONING = ON (HISTORY_TABLE = ${history}), LEDGER = ON (LEDGER_VIEW = ${view}))`;
  }
  if (table.ledger === "append-only") return `WITH (LEDGER = ON (LEDGER_VIEW = ${view}, APPEND_ONLY = ON))`;
  // Explicit: in a ledger *database* this fails instead of silently creating an updatable ledger table whose
  // immutable history would make the personal data in it impossible to erase.
  return "WITH (LEDGER = OFF)";
}

/** Refuse to run against a ledger database (database-level ledger turns every table into a ledger table). */
const LEDGER_DATABASE_GUARD = [
  "IF EXISTS (SELECT 1 FROM sys.databases WHERE database_id = DB_ID() AND is_ledger_on = 1)",
  "BEGIN",
  "    THROW 50002, N'This is a ledger database: every table would become an updatable ledger table, so personal data could never be erased (GDPR Art. 17). Create the OLTP database with ledger OFF; the model makes the payment tables ledger tables individually. See pipelines/README.md.', 1;",
  "END;",
].join("\n");

/** Every CHECK constraint of a table, by name: column CHECKs, enums, table CHECKs and the GDPR erasure CHECK. */
export function checkConstraints(table: OltpTable): CheckConstraint[] {
  const checks: CheckConstraint[] = [];
  for (const c of table.columns) {
    if (c.check) checks.push({ name: `CK_${table.name}_${c.name}`, expression: c.check });
    if (c.allowedValues) {
      checks.push({
        name: `CK_${table.name}_${c.name}_Values`,
        expression: `${q(c.name)} IN (${c.allowedValues.map(str).join(", ")})`,
      });
    }
  }
  checks.push(...(table.checks ?? []));
  const erasable = erasureColumns(table);
  if (table.erasedAtColumn && erasable.length) {
    checks.push({
      name: `CK_${table.name}_Erasure`,
      expression: `${q(table.erasedAtColumn)} IS NULL OR (${erasable.map((n) => `${q(n)} IS NULL`).join(" AND ")})`,
    });
  }
  return checks;
}

const createIndex = (table: OltpTable, ix: Index): string => {
  const include = ix.include?.length ? ` INCLUDE (${list(ix.include)})` : "";
  const where = ix.where ? ` WHERE ${ix.where}` : "";
  return `CREATE ${ix.unique ? "UNIQUE " : ""}NONCLUSTERED INDEX ${q(ix.name)} ON ${qualified(table.schema, table.name)} (${list(ix.columns)})${include}${where};`;
};
const indexExists = (table: OltpTable, name: string) =>
  `EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'${objectName(table.schema, table.name)}') AND name = N'${name}')`;

function createOltpTable(table: OltpTable): string {
  const lines = table.columns.map((c) => columnDefinition(table, c, "oltp"));
  lines.push(`CONSTRAINT ${q(table.primaryKey.name)} PRIMARY KEY CLUSTERED (${list(table.primaryKey.columns)})`);
  for (const u of table.uniques ?? []) lines.push(`CONSTRAINT ${q(u.name)} UNIQUE (${list(u.columns)})`);
  for (const chk of checkConstraints(table)) lines.push(`CONSTRAINT ${q(chk.name)} CHECK (${chk.expression})`);
  const encrypted = table.columns.filter((c) => c.encryption).map((c) => c.name);
  const intro = [
    ...comment(`${table.schema}.${table.name}: ${table.description}`),
    ...(table.ledger
      ? comment(`Ledger table (${table.ledger}): tamper-evident, and can never be altered back to a non-ledger table.`)
      : comment("Not a ledger table: its data must stay erasable (GDPR) and correctable.")),
    ...comment(`Extraction: ${table.extraction.mode}. ${table.extraction.rationale}`),
    ...(encrypted.length
      ? comment(
          `Always Encrypted: ${encrypted.join(", ")} (no mask, no CHECK: the erasure CHECK covers the other personal columns).`,
        )
      : []),
  ];
  return [
    ...intro,
    `IF OBJECT_ID(N'${objectName(table.schema, table.name)}', N'U') IS NULL`,
    "BEGIN",
    `    CREATE TABLE ${qualified(table.schema, table.name)}`,
    "    (",
    lines.map((l) => `        ${l}`).join(",\n"),
    "    )",
    `    ${ledgerOption(table)};`,
    "END;",
  ].join("\n");
}

/**
 * A table created before a column was encrypted in the model keeps it in plaintext: T-SQL cannot encrypt existing
 * data (the keys never reach the server). Refuse, naming the client-side tool.
 */
function encryptionStateGuard(table: OltpTable): string[] {
  const encrypted = table.columns.filter((c) => c.encryption);
  if (!encrypted.length) return [];
  const name = objectName(table.schema, table.name);
  return [
    [
      `IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'${name}') AND name IN (${encrypted.map((c) => nstr(c.name)).join(", ")}) AND encryption_type IS NULL)`,
      "BEGIN",
      `    THROW 50004, N'${name} has plaintext columns that the model encrypts (${encrypted.map((c) => c.name).join(", ")}). T-SQL cannot encrypt existing data: encrypt them client-side with Set-SqlColumnEncryption (SqlServer PowerShell module), see pipelines/README.md.', 1;`,
      "END;",
    ].join("\n"),
  ];
}

/**
 * A table created before a column's collation was set in the model keeps the old one (CREATE TABLE runs only when the
 * table is missing): a case-insensitive idempotency key would silently merge two merchants' keys that differ in case.
 * Refuse, naming the column and the collation the model wants.
 */
function collationGuard(table: OltpTable): string[] {
  const name = objectName(table.schema, table.name);
  return table.columns
    .filter((c) => c.collation)
    .map((c) =>
      [
        `IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'${name}') AND name = N'${c.name}' AND collation_name <> N'${c.collation}')`,
        "BEGIN",
        `    THROW 50008, N'${name}.${c.name} does not have the collation the model declares (${c.collation}): the table predates it. Change it in a reviewed migration (a ledger table: copy into a new table), see pipelines/README.md.', 1;`,
        "END;",
      ].join("\n"),
    );
}

/**
 * A table created before a classified column became nullable in the model keeps it NOT NULL, and the erasure's
 * `SET … = NULL` would then fail (error 515) and roll back the whole erasure. Refuse, naming the columns.
 */
function erasableGuard(table: OltpTable): string[] {
  const classified = table.columns.filter((c) => c.classification && c.nullable);
  if (!classified.length) return [];
  const name = objectName(table.schema, table.name);
  return [
    [
      `IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'${name}') AND name IN (${classified.map((c) => nstr(c.name)).join(", ")}) AND is_nullable = 0)`,
      "BEGIN",
      `    THROW 50009, N'${name} has NOT NULL columns the model erases (${classified.map((c) => c.name).join(", ")}): the table predates them becoming nullable, and an erasure would fail. Make them nullable in a reviewed migration (ALTER COLUMN … NULL, dropping and re-creating what depends on them), see pipelines/README.md.', 1;`,
      "END;",
    ].join("\n"),
  ];
}

/**
 * A table created before a column was added to the model lacks it: CREATE TABLE runs only when the table is missing,
 * so nothing here adds it, and the first thing to notice would be a later script (04's column grants) or the nightly
 * ETL naming it. Refuse at once, naming the column and the migration it needs. A ledger table takes only nullable
 * added columns ("Adding non-nullable columns isn't supported", Microsoft Learn, "Ledger limitations").
 */
function missingColumnGuard(table: OltpTable): string[] {
  const name = objectName(table.schema, table.name);
  const how = table.ledger
    ? "add them in a reviewed migration (ALTER TABLE … ADD … NULL: a ledger table takes only nullable added columns, so make a NOT NULL one nullable in the model first)"
    : "add them in a reviewed migration (ALTER TABLE … ADD, nullable or NOT NULL with a DEFAULT)";
  return [
    [
      `-- ${name}: every column of the model exists (the table may predate a column the model added since).`,
      `IF OBJECT_ID(N'${name}', N'U') IS NOT NULL`,
      "BEGIN",
      `    DECLARE @missing NVARCHAR(4000) = (SELECT STRING_AGG(m.name, N', ') FROM (VALUES ${table.columns.map((c) => `(N'${c.name}')`).join(", ")}) AS m(name) WHERE COL_LENGTH(N'${name}', m.name) IS NULL);`,
      "    IF @missing IS NOT NULL",
      "    BEGIN",
      `        DECLARE @message NVARCHAR(2048) = CONCAT(N'${name} has no column ', @missing, N': the table predates the model adding it. Before this script, ${how}, see pipelines/README.md ("Changing the schema later").');`,
      "        THROW 50011, @message, 1;",
      "    END;",
      "END;",
    ].join("\n"),
  ];
}

/**
 * The nullable columns the model added since a table was created are added here, empty: the one change to an existing
 * table that needs no decision (a ledger table takes only nullable added columns; existing rows read NULL, as after a
 * hand-written `ALTER TABLE … ADD … NULL`). One statement built from a list, so the script stays small. Without the
 * mask: the masks below add it and re-create the CHECK constraints and indexes that depend on it (a changed erasure
 * CHECK among them). Not an encrypted column (its keys and encryption are client-side), a rowversion, nor a NOT NULL
 * one: those stop at the missing-column guard (THROW 50011). Nor an unmasked column a CHECK constraint reads (its
 * `check`, its allowed values, a table CHECK): only a mask block re-creates CHECKs around a column, so the column would
 * go without the constraint a new database has (a token column's card-number refusal); the guard leaves those to a
 * reviewed migration too.
 */
export function addable(table: OltpTable, c: OltpTable["columns"][number]): boolean {
  if (!c.nullable || c.encryption || c.identity || c.type.kind === "rowversion") return false;
  if (c.classification?.mask) return true;
  return !checkConstraints(table).some(
    (k) =>
      k.name === `CK_${table.name}_${c.name}` ||
      k.name === `CK_${table.name}_${c.name}_Values` ||
      referencedColumns(k.expression).includes(c.name),
  );
}

function addedColumns(model: OltpModel): string {
  const rows = model.tables.flatMap((t) =>
    t.columns
      .filter((c) => addable(t, c))
      .map((c) => ({
        table: qualified(t.schema, t.name),
        name: objectName(t.schema, t.name),
        column: c.name,
        definition: columnDefinition(t, { ...c, classification: undefined }, "oltp"),
      })),
  );
  const derived = rows
    .map((r, i) =>
      i === 0
        ? `SELECT ${nstr(r.table)} AS tbl, ${nstr(r.name)} AS name, ${nstr(r.column)} AS col, ${nstr(r.definition)} AS definition`
        : `SELECT ${nstr(r.table)}, ${nstr(r.name)}, ${nstr(r.column)}, ${nstr(r.definition)}`,
    )
    .join("\n    UNION ALL ");
  return [
    "-- Nullable columns the model added since a table was created: added (NULL in existing rows), without their masks.",
    "DECLARE @add NVARCHAR(MAX) = (SELECT STRING_AGG(CAST(CONCAT(N'ALTER TABLE ', m.tbl, N' ADD ', m.definition, N';') AS NVARCHAR(MAX)), NCHAR(10))",
    `    FROM (${derived}) AS m`,
    "    WHERE OBJECT_ID(m.name, N'U') IS NOT NULL AND COL_LENGTH(m.name, m.col) IS NULL);",
    "IF @add IS NOT NULL",
    "    EXEC sp_executesql @add;",
  ].join("\n");
}

/**
 * No existing table holds a column the model does not name (a dropped or renamed column keeps its values: a personal
 * one would be reached by no erasure) and each of the model's columns has its type (a narrowed type would truncate in
 * the ETL). A ledger table's generated columns and its dropped columns (kept, hidden) are not the model's to name;
 * encrypted columns' types are the encryption guard's.
 */
function shapeOf(model: OltpModel): string {
  return shapeGuard({
    tables: model.tables.map((t) => ({
      name: objectName(t.schema, t.name),
      columns: t.columns.map((c) => ({ name: c.name, type: c.encryption ? undefined : catalogType(c.type) })),
    })),
    error: 50012,
    filter: " AND c.is_dropped_ledger_column = 0 AND c.generated_always_type = 0",
    how: 'Drop a column the model no longer names in a reviewed migration, after its index, CHECK, DEFAULT and mask (on a ledger table its values stay in the history), and change a type there (a ledger table refuses a change that rewrites its rows: copy into a new table), see pipelines/README.md ("Changing the schema later").',
  });
}

/**
 * Masks the model no longer declares (a declassified column) are dropped: the ETL identity, which never has UNMASK,
 * would otherwise read and load the masked values (`xxxx`, 0) into the warehouse without an error. One statement
 * built from the catalog, for the model's tables only.
 */
function droppedMasks(model: OltpModel): string {
  const masked = model.tables.flatMap((t) =>
    t.columns.filter((c) => c.classification?.mask).map((c) => `${objectName(t.schema, t.name)}.${c.name}`),
  );
  const tables = model.tables.map((t) => `OBJECT_ID(${nstr(objectName(t.schema, t.name))}, N'U')`).join(", ");
  return [
    "-- Masks the model no longer declares (declassified columns): dropped.",
    "DECLARE @unmask NVARCHAR(MAX) = (SELECT STRING_AGG(CAST(CONCAT(N'ALTER TABLE ', QUOTENAME(OBJECT_SCHEMA_NAME(mc.object_id)), N'.', QUOTENAME(OBJECT_NAME(mc.object_id)), N' ALTER COLUMN ', QUOTENAME(mc.name), N' DROP MASKED;') AS NVARCHAR(MAX)), NCHAR(10))",
    `    FROM sys.masked_columns AS mc WHERE mc.object_id IN (${tables})`,
    `    AND CONCAT(OBJECT_SCHEMA_NAME(mc.object_id), N'.', OBJECT_NAME(mc.object_id), N'.', mc.name) NOT IN (${masked.map(nstr).join(", ")}));`,
    "IF @unmask IS NOT NULL",
    "    EXEC sp_executesql @unmask;",
  ].join("\n");
}

/** Refuse to create tables with encrypted columns before their column encryption keys exist (00 + the .ps1). */
function columnEncryptionKeyGuards(model: OltpModel): string[] {
  const used = new Set(model.tables.flatMap((t) => t.columns.flatMap((c) => (c.encryption ? [c.encryption.key] : []))));
  return model.alwaysEncrypted.columnEncryptionKeys
    .filter((k) => used.has(k.name))
    .map((k) =>
      [
        `IF NOT EXISTS (SELECT 1 FROM sys.column_encryption_keys WHERE name = N'${k.name}')`,
        "BEGIN",
        `    THROW 50003, N'Column encryption key ${k.name} does not exist. Its value is wrapped client-side by the Key Vault column master key: run 00_oltp_column_master_key.sql, then 00_oltp_column_encryption_keys.ps1, then this script. See pipelines/README.md.', 1;`,
        "END;",
      ].join("\n"),
    );
}

/**
 * Re-apply a mask to an existing column. Microsoft's DDM page: adding a mask "can't be performed on a column with
 * dependencies" — drop the dependency, add the mask, re-create the dependency. The indexes and CHECK constraints the
 * model makes depend on the column are dropped and re-created around the ALTER in one transaction (XACT_ABORT: any
 * error rolls all of it back); a dependency the model does not know about stops the script with its name instead.
 */
export function maskStatement(table: OltpTable, columnName: string): string {
  const c = table.columns.find((x) => x.name === columnName);
  const mask = c?.classification?.mask;
  if (!c || !mask) throw new Error(`${table.name}.${columnName} has no mask`);
  const fn = maskExpression(mask);
  const name = objectName(table.schema, table.name);
  const tableRef = qualified(table.schema, table.name);
  const deps = maskDependencies(table, c.name);
  const checks = checkConstraints(table).filter((k) => deps.checks.includes(k.name));
  const indexes = (table.indexes ?? []).filter((ix) => deps.indexes.includes(ix.name));
  const alter = `ALTER TABLE ${tableRef} ALTER COLUMN ${q(c.name)} ADD MASKED WITH (FUNCTION = '${fn}');`;
  const guard = `IF NOT EXISTS (SELECT 1 FROM sys.masked_columns WHERE object_id = OBJECT_ID(N'${name}') AND name = N'${c.name}' AND REPLACE(masking_function, N' ', N'') = N'${fn.replace(/ /g, "")}')`;
  const column = `COLUMNPROPERTY(OBJECT_ID(N'${name}'), N'${c.name}', 'ColumnId')`;
  const body = [
    "SET XACT_ABORT ON;",
    "BEGIN TRANSACTION;",
    ...checks.map(
      (k) =>
        `IF OBJECT_ID(N'${objectName(table.schema, k.name)}', N'C') IS NOT NULL\n    ALTER TABLE ${tableRef} DROP CONSTRAINT ${q(k.name)};`,
    ),
    ...indexes.map((ix) => `IF ${indexExists(table, ix.name)}\n    DROP INDEX ${q(ix.name)} ON ${tableRef};`),
    [
      `IF EXISTS (SELECT 1 FROM sys.index_columns WHERE object_id = OBJECT_ID(N'${name}') AND column_id = ${column})`,
      `    OR EXISTS (SELECT 1 FROM sys.sql_expression_dependencies WHERE referenced_id = OBJECT_ID(N'${name}') AND referenced_minor_id = ${column})`,
      "BEGIN",
      `    THROW 50005, N'${name}.${c.name}: an index, constraint or object the model does not declare depends on the column, so its mask cannot be re-applied (${DDM_PAGE}). Drop or re-create that dependency in a reviewed migration, then re-run.', 1;`,
      "END;",
    ].join("\n"),
    alter,
    ...checks.map((k) => `ALTER TABLE ${tableRef} WITH CHECK ADD CONSTRAINT ${q(k.name)} CHECK (${k.expression});`),
    ...indexes.map((ix) => createIndex(table, ix)),
    "COMMIT TRANSACTION;",
  ];
  const why = [...indexes.map((ix) => `index ${ix.name}`), ...checks.map((k) => `CHECK ${k.name}`)];
  return [
    `-- ${table.name}.${c.name}: ${why.length ? `re-created around the mask: ${why.join(", ")}` : "no dependencies in the model"}.`,
    guard,
    "BEGIN",
    indent(body.join("\n")),
    "END;",
  ].join("\n");
}

export function generateOltpDdl(model: OltpModel): string {
  const parts: string[] = [
    // Filtered indexes need these (classic sqlcmd defaults QUOTED_IDENTIFIER to OFF); they persist for the session.
    "SET ANSI_NULLS ON;\nSET QUOTED_IDENTIFIER ON;",
    LEDGER_DATABASE_GUARD,
    ...columnEncryptionKeyGuards(model),
    ...schemaStatements(model.tables.map((t) => t.schema)),
    // Drift first: a renamed column is refused while its old name is there, before its new name would be added empty.
    shapeOf(model),
    addedColumns(model),
  ];
  for (const table of model.tables)
    parts.push(
      createOltpTable(table),
      ...missingColumnGuard(table),
      ...encryptionStateGuard(table),
      ...collationGuard(table),
      ...erasableGuard(table),
    );

  const fks: string[] = [];
  for (const table of model.tables) {
    for (const fk of table.foreignKeys ?? []) {
      const target = model.tables.find((t) => t.name === fk.references.table);
      const targetSchema = target?.schema ?? table.schema;
      fks.push(
        [
          `IF OBJECT_ID(N'${objectName(table.schema, fk.name)}', N'F') IS NULL`,
          `    ALTER TABLE ${qualified(table.schema, table.name)} ADD CONSTRAINT ${q(fk.name)} FOREIGN KEY (${list(fk.columns)}) REFERENCES ${qualified(targetSchema, fk.references.table)} (${list(fk.references.columns)});`,
        ].join("\n"),
      );
    }
  }
  const indexes = model.tables.flatMap((table) =>
    (table.indexes ?? []).map((ix) =>
      [`IF NOT ${indexExists(table, ix.name)}`, `    ${createIndex(table, ix)}`].join("\n"),
    ),
  );
  const masks = [
    droppedMasks(model),
    ...model.tables.flatMap((table) =>
      table.columns.filter((c) => c.classification?.mask).map((c) => maskStatement(table, c.name)),
    ),
  ];
  return [
    header(
      "Azure SQL Database (OLTP) schema: tables, keys, CHECK constraints, masks, encryption, foreign keys, indexes.",
      [
        "Source: pipelines/model/oltp.ts. Regenerate with `npm run sql:generate`; see pipelines/README.md.",
        "Run after the Always Encrypted keys (00_*), as a member of the Entra admin group, with Entra authentication over",
        "the private endpoint. Idempotent: every statement is guarded, so the script can be re-run. It creates what is",
        "missing; it does not migrate existing tables (ledger tables accept only new NULLABLE columns).",
      ],
    ),
    batches(parts),
    "-- Foreign keys (added after all tables exist, so table order does not matter).\n",
    batches(fks),
    "-- Indexes.\n",
    batches(indexes),
    ...comment(
      `Dynamic Data Masking: inline in CREATE TABLE above; re-applied here for tables created before a mask existed. A mask cannot be added to a column something depends on (${DDM_PAGE}), so each ALTER drops and re-creates the column's indexes and CHECK constraints in one transaction.`,
    ).map((l) => `${l}\n`),
    "\n",
    batches(masks),
  ].join("");
}

// --- change extraction: CDC and change tracking ------------------------------------------------------------------

const noCdcReasons = (table: OltpTable): string =>
  [
    ...(table.ledger ? ["ledger tables are extracted with change tracking"] : []),
    ...(table.columns.some((c) => c.encryption) ? ["CDC cannot capture its encrypted columns"] : []),
    ...(table.extraction.mode === "none" ? ["the nightly ETL does not read it"] : []),
  ].join("; ");

export function generateChangeExtractionScript(model: OltpModel): string {
  const cdcTables = extractedTables(model, "cdc");
  const ctTables = extractedTables(model, "changeTracking");
  const parts: string[] = [];
  if (cdcTables.length) {
    parts.push(
      [
        "IF NOT EXISTS (SELECT 1 FROM sys.databases WHERE database_id = DB_ID() AND is_cdc_enabled = 1)",
        "    EXEC sys.sp_cdc_enable_db;",
      ].join("\n"),
    );
  }
  for (const table of model.tables) {
    const name = objectName(table.schema, table.name);
    const instance = captureInstance(table);
    if (table.extraction.mode !== "cdc") {
      // Never CDC here (ledger table, encrypted columns, or not extracted): refuse if an old capture instance exists.
      parts.push(
        [
          `-- ${name}: extraction ${table.extraction.mode}, so no capture instance may exist.`,
          `IF EXISTS (SELECT 1 FROM sys.tables WHERE object_id = OBJECT_ID(N'${name}') AND is_tracked_by_cdc = 1)`,
          "BEGIN",
          `    THROW 50001, N'${name} is tracked by CDC, but the model extracts it with ${table.extraction.mode} (${noCdcReasons(table)}). Disable CDC on it (sys.sp_cdc_disable_table, every capture instance), see pipelines/README.md.', 1;`,
          "END;",
        ].join("\n"),
      );
      continue;
    }
    const captured = capturedColumns(table);
    const excluded = table.columns.filter((c) => !captured.includes(c.name)).map((c) => c.name);
    if (excluded.length) {
      // Every capture instance on the table, not only ours: a second instance could capture personal data.
      parts.push(
        [
          `-- ${name}: no capture instance (of any name) may capture ${excluded.join(", ")}.`,
          `IF EXISTS (SELECT 1 FROM cdc.captured_columns AS cc JOIN cdc.change_tables AS ct ON ct.object_id = cc.object_id WHERE ct.source_object_id = OBJECT_ID(N'${name}') AND cc.column_name IN (${excluded.map(nstr).join(", ")}))`,
          "BEGIN",
          `    THROW 50001, N'A CDC capture instance on ${name} captures columns that must never be captured (${excluded.join(", ")}): change tables are unmasked and outlive erasure. Disable that capture instance (sys.sp_cdc_disable_table), see pipelines/README.md.', 1;`,
          "END;",
        ].join("\n"),
      );
    }
    parts.push(
      [
        `-- ${name} → ${cdcChangeTable(table)}`,
        `IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE source_object_id = OBJECT_ID(N'${name}') AND capture_instance = N'${instance}')`,
        `    EXEC sys.sp_cdc_enable_table @source_schema = N'${table.schema}', @source_name = N'${table.name}', @role_name = N'${CDC_ROLE}', @supports_net_changes = 1, @capture_instance = N'${instance}', @captured_column_list = N'${captured.join(", ")}';`,
      ].join("\n"),
    );
    // The guard above only asks whether the instance exists; this asks whether it captures what the model says, so
    // an instance left by an older model (missing a column the ETL now reads) cannot pass silently.
    const instanceColumns = `FROM cdc.captured_columns AS cc JOIN cdc.change_tables AS ct ON ct.object_id = cc.object_id WHERE ct.capture_instance = N'${instance}'`;
    parts.push(
      [
        `IF (SELECT COUNT(*) ${instanceColumns}) <> ${captured.length}`,
        `    OR (SELECT COUNT(*) ${instanceColumns} AND cc.column_name IN (${captured.map(nstr).join(", ")})) <> ${captured.length}`,
        "BEGIN",
        `    THROW 50007, N'CDC capture instance ${instance} does not capture exactly the columns of the model (${captured.join(", ")}). The ETL reads this instance only: disable it (sys.sp_cdc_disable_table) and re-run, and the next run reloads ${name} and its fact group in full; see pipelines/README.md.', 1;`,
        "END;",
      ].join("\n"),
    );
  }
  if (ctTables.length) {
    parts.push(
      [
        "-- Change tracking reads are consistent only under snapshot isolation (on by default in Azure SQL Database).",
        "IF EXISTS (SELECT 1 FROM sys.databases WHERE database_id = DB_ID() AND snapshot_isolation_state = 0)",
        "    ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON;",
      ].join("\n"),
      [
        "IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_databases WHERE database_id = DB_ID())",
        `    ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON (CHANGE_RETENTION = ${model.changeTrackingRetentionDays} DAYS, AUTO_CLEANUP = ON);`,
      ].join("\n"),
    );
    for (const table of ctTables) {
      const name = objectName(table.schema, table.name);
      parts.push(
        [
          ...comment(`${name}: ${table.extraction.rationale}`),
          `IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'${name}'))`,
          `    ALTER TABLE ${qualified(table.schema, table.name)} ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);`,
        ].join("\n"),
      );
    }
  }
  return [
    header("Azure SQL Database (OLTP) change extraction for the nightly ETL: CDC and change tracking, per the model.", [
      "Source: pipelines/model/oltp.ts (extraction per table). Regenerate with `npm run sql:generate`.",
      "Run after 01_oltp_schema.sql, as db_owner (the Entra admin group). CDC needs a vCore database, or DTU S3 or higher.",
      `CDC data is gated by the database role ${CDC_ROLE} (created by sys.sp_cdc_enable_table if missing); change`,
      "tracking by VIEW CHANGE TRACKING on each table (04_oltp_etl_access.sql grants both).",
      "Personal/card/encrypted columns and ROWVERSION are never captured: change tables outlive erasure and are not masked.",
      "Ledger tables and tables with Always Encrypted columns use change tracking, which records only keys.",
      "Idempotent: each capture instance and tracked table is created only if missing.",
      "",
      ...model.tables.map(
        (t) =>
          `${objectName(t.schema, t.name)}: ${t.extraction.mode === "cdc" ? `CDC → ${cdcChangeTable(t)}` : t.extraction.mode === "changeTracking" ? `change tracking (${model.changeTrackingRetentionDays} days)` : "not extracted"}`,
      ),
    ]),
    batches(parts),
  ].join("\n");
}

// --- reference data ---------------------------------------------------------------------------------------------

export function generateOltpReferenceData(model: OltpModel): string {
  const currency = model.tables.find((t) => t.name === "Currency");
  if (!currency) throw new Error("OLTP model has no Currency table");
  const table = qualified(currency.schema, "Currency");
  const parts = currencies.map((c) =>
    [
      `IF NOT EXISTS (SELECT 1 FROM ${table} WHERE [CurrencyCode] = ${str(c.code)})`,
      `    INSERT INTO ${table} ([CurrencyCode], [Name], [MinorUnits]) VALUES (${str(c.code)}, ${nstr(c.name)}, ${c.minorUnits});`,
    ].join("\n"),
  );
  parts.push(
    [
      "-- A currency the model no longer lists is deactivated, not deleted: payments and payouts keep referencing it.",
      `UPDATE ${table} SET [IsActive] = 0, [UpdatedAt] = SYSUTCDATETIME() WHERE [CurrencyCode] NOT IN (${currencies.map((c) => str(c.code)).join(", ")}) AND [IsActive] = 1;`,
    ].join("\n"),
  );
  parts.push(
    [
      "-- A currency the model lists again after a removal is active again (its row was kept, deactivated).",
      `UPDATE ${table} SET [IsActive] = 1, [UpdatedAt] = SYSUTCDATETIME() WHERE [CurrencyCode] IN (${currencies.map((c) => str(c.code)).join(", ")}) AND [IsActive] = 0;`,
    ].join("\n"),
  );
  return [
    header("Azure SQL Database (OLTP) reference data: ISO 4217 currencies.", [
      "Source: pipelines/model/oltp.ts (currencies). Regenerate with `npm run sql:generate`.",
      "Run after 02_oltp_change_extraction.sql so the rows also reach the warehouse. Existing rows' names and minor",
      "units are never overwritten (a change of minor units is a data migration, not a re-seed). The model decides",
      "which currencies are active: one it removes is deactivated, one it lists again is reactivated, and a currency",
      "deactivated by hand while the model lists it is active again after the next run (remove it from the model).",
    ]),
    batches(parts),
  ].join("\n");
}

// --- the ETL identity's access ----------------------------------------------------------------------------------

export function generateEtlAccessScript(model: OltpModel): string {
  const etl = externalPrincipal(ETL_PRINCIPAL_VARIABLE);
  const principal = etl.name;
  const principalName = etl.literal;
  const parts: string[] = [etl.createUser];
  if (extractedTables(model, "cdc").length) {
    parts.push(
      [
        // IS_ROLEMEMBER answers NULL, not 0, when it cannot tell (a role or principal it does not see): the ALTER then
        // runs and fails loudly instead of being skipped in silence (is-rolemember-transact-sql, Return types).
        `IF ISNULL(IS_ROLEMEMBER(N'${CDC_ROLE}', ${principalName}), 0) = 0`,
        `    ALTER ROLE ${q(CDC_ROLE)} ADD MEMBER ${principal};`,
      ].join("\n"),
      `GRANT SELECT ON SCHEMA::[cdc] TO ${principal};`,
    );
  }
  if (model.tables.some((t) => t.columns.some((c) => c.encryption))) {
    // Always Encrypted key metadata: no pipeline of the identity opens an encrypted connection (the GDPR erasure sets
    // the encrypted columns to NULL server-side, `etl.usp_EraseCustomer`), so it holds none, and a database an earlier
    // run granted them loses them (PCI DSS 7.2: no standing grant without a consumer). The fallback that would need
    // them (an erasure over an Always Encrypted connection) grants them when it is built (docs/data-model-decisions.md).
    parts.push(
      [
        "-- Always Encrypted key metadata: not needed (the erasure NULLs encrypted columns server-side).",
        `REVOKE VIEW ANY COLUMN MASTER KEY DEFINITION FROM ${principal};`,
        `REVOKE VIEW ANY COLUMN ENCRYPTION KEY DEFINITION FROM ${principal};`,
      ].join("\n"),
    );
  }
  for (const table of model.tables.filter((t) => t.extraction.mode !== "none")) {
    const ref = qualified(table.schema, table.name);
    const grants = [
      `-- ${objectName(table.schema, table.name)} (${table.extraction.mode}): only the columns the ETL may read, never classified ones.`,
      `GRANT SELECT ON ${ref} (${list(capturedColumns(table))}) TO ${principal};`,
    ];
    if (table.extraction.mode === "changeTracking")
      grants.push(`GRANT VIEW CHANGE TRACKING ON ${ref} TO ${principal};`);
    if (table.ledger === "updatable") {
      // The last version of a deleted row (the fact load re-derives its payment) is in the ledger history table. An
      // append-only ledger table has none ("there's no need for a corresponding history table", Microsoft Learn,
      // "Append-only ledger tables"): a GRANT on it would fail the script.
      grants.push(
        `GRANT SELECT ON ${qualified(table.schema, `${table.name}_LedgerHistory`)} (${list([...capturedColumns(table), ...LEDGER_ORDER_COLUMNS])}) TO ${principal};`,
      );
    }
    parts.push(grants.join("\n"));
  }
  // GRANT only ever adds: a column the model has since classified (or a table it no longer extracts) would keep the
  // SELECT an earlier run granted. A column-level REVOKE removes that grant and is a no-op where none exists
  // (Microsoft Learn, "REVOKE Object Permissions (Transact-SQL)"); it also removes a DENY on those columns, which
  // nothing here relies on: the identity gets no other route to dbo's tables (no role with SELECT on them).
  for (const table of model.tables) {
    const readable = table.extraction.mode === "none" ? [] : capturedColumns(table);
    const unreadable = table.columns.map((c) => c.name).filter((c) => !readable.includes(c));
    if (!unreadable.length) continue;
    parts.push(
      [
        `-- ${objectName(table.schema, table.name)}: the columns the ETL may not read${table.extraction.mode === "none" ? " (not extracted: all of them)" : " (classified, encrypted, ROWVERSION)"}, in case an earlier model granted them.`,
        `REVOKE SELECT ON ${qualified(table.schema, table.name)} (${list(unreadable)}) FROM ${principal};`,
      ].join("\n"),
    );
  }
  return [
    header("Azure SQL Database (OLTP): what the ETL identity may read, and nothing more.", [
      "Source: pipelines/model/oltp.ts. Regenerate with `npm run sql:generate`. Run after 02, as the Entra admin:",
      `sqlcmd ... -v ${ETL_PRINCIPAL_VARIABLE}="<display name of the Data Factory managed identity>" -i 04_oltp_etl_access.sql`,
      "Column-level SELECT on the extracted columns only: personal, card and encrypted columns stay out of reach, so",
      "the identity needs no UNMASK, nor Always Encrypted key metadata (REVOKEd: the erasure NULLs encrypted columns",
      "server-side; docs/data-model-decisions.md). Idempotent: GRANT and REVOKE are, and the user and role membership",
      "are guarded.",
      "Every column the identity may not read is REVOKEd, so a column classified (or a table no longer extracted) since",
      "an earlier run loses the SELECT that run granted.",
    ]),
    batches(parts),
  ].join("\n");
}
