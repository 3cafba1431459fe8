// A deployed database held to the model: the guards that stop the schema script where T-SQL cannot bring an
// existing table to the model (encryption, collation, erasure, missing columns, its shape), the columns it adds,
// and the masks it drops or re-applies.
import type { OltpModel, OltpTable } from "../../model/types";
import { maskDependencies, maskExpression, referencedColumns } from "../../model/validate";
import { columnDefinition, indent, nstr, objectName, q, qualified, catalogType, shapeGuard } from "../tsql";
import { DDM_PAGE } from "./names";
import { checkConstraints, createIndex, indexExists } from "./schema";

/**
 * A table created before a column was encrypted in the model keeps it in plaintext: T-SQL cannot encrypt existing
 * data (the keys never reach the server). Refuse, naming the client-side tool.
 */
export function encryptionStateGuard(table: OltpTable): string[] {
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
export function collationGuard(table: OltpTable): string[] {
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
export function erasableGuard(table: OltpTable): string[] {
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
export function missingColumnGuard(table: OltpTable): string[] {
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

export function addedColumns(model: OltpModel): string {
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
export function shapeOf(model: OltpModel): string {
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
export function droppedMasks(model: OltpModel): string {
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
export function columnEncryptionKeyGuards(model: OltpModel): string[] {
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
