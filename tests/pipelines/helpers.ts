// Shared helpers for the pipelines tests: typed accessors into a (cloned, mutable) data model, and a checker
// that every DDL/DML statement in a generated script is guarded by an existence check.
import { dataModel } from "../../pipelines/model";
import { deriveStagingTables } from "../../pipelines/model/olap";
import type { Column, DataModel, OlapTable, OltpTable, TableMapping } from "../../pipelines/model/types";

/** A deep, mutable copy of the real model, for mutation tests. */
export const cloneModel = (): DataModel => structuredClone(dataModel);

export function oltpTable(model: DataModel, name: string): OltpTable {
  const t = model.oltp.tables.find((x) => x.name === name);
  if (!t) throw new Error(`no OLTP table ${name}`);
  return t;
}

export function oltpColumn(model: DataModel, table: string, name: string): Column {
  const c = oltpTable(model, table).columns.find((x) => x.name === name);
  if (!c) throw new Error(`no OLTP column ${table}.${name}`);
  return c;
}

export function olapTable(model: DataModel, name: string): OlapTable {
  const t = model.olap.tables.find((x) => x.name === name && x.role !== "staging");
  if (!t) throw new Error(`no OLAP table ${name}`);
  return t;
}

export function olapColumn(model: DataModel, table: string, name: string): Column {
  const c = olapTable(model, table).columns.find((x) => x.name === name);
  if (!c) throw new Error(`no OLAP column ${table}.${name}`);
  return c;
}

export function mappingOf<K extends TableMapping["kind"]>(
  model: DataModel,
  target: string,
  kind: K,
): Extract<TableMapping, { kind: K }> {
  const m = model.olap.mappings.find((x) => x.target === target);
  if (!m || m.kind !== kind) throw new Error(`no ${kind} mapping for ${target}`);
  return m as Extract<TableMapping, { kind: K }>;
}

/**
 * A copy of the model with a new money column `Payment.TipAmountMinor` loaded into `Fact_Payment` and summed by the
 * first dashboard view, staging re-derived as olap.ts does: the "add a column" scenario of the generator tests. A
 * greenfield one: the column is NOT NULL on a ledger table, which a database created before it cannot take (ledger
 * tables accept only nullable added columns: `01` leaves it to THROW 50011 there); the model cannot tell a new column
 * from an old one, so the validator accepts it. The deployed-database scenario (a nullable column `01` adds) is
 * generate.spec.ts's "a deployed database follows the model".
 */
export function withTipAmount(): DataModel {
  const model = cloneModel();
  oltpTable(model, "Payment").columns.splice(9, 0, {
    name: "TipAmountMinor",
    type: { kind: "bigint" },
    nullable: false,
    default: "0",
    check: "[TipAmountMinor] >= 0",
  });
  olapTable(model, "Fact_Payment").columns.push({ name: "TipAmountMinor", type: { kind: "bigint" }, nullable: false });
  mappingOf(model, "Fact_Payment", "oltp").columns.push({
    target: "TipAmountMinor",
    source: { table: "Payment", column: "TipAmountMinor" },
    transform: { kind: "copy" },
  });
  model.olap.materializedViews[0].measures.push({ name: "TipAmountMinor", aggregate: "SUM", column: "TipAmountMinor" });
  model.olap.tables = [
    ...model.olap.tables.filter((x) => x.role !== "staging"),
    ...deriveStagingTables(
      model.oltp,
      model.olap.mappings,
      model.olap.tables.filter((x) => x.role !== "staging"),
    ),
  ];
  return model;
}

/** Split a script into GO batches, without comment lines. */
export function sqlBatches(sql: string): string[] {
  return sql
    .split(/^GO$/m)
    .map((b) =>
      b
        .split("\n")
        .filter((l) => !l.trimStart().startsWith("--"))
        .join("\n")
        .trim(),
    )
    .filter(Boolean);
}

const unbracket = (s: string) => s.replace(/[[\]]/g, "");

/**
 * Statements that are not preceded (in their batch) by the existence check that makes them idempotent.
 * Fails closed: any CREATE/ALTER/EXEC/INSERT/UPDATE/DELETE/DROP it does not recognise is reported too.
 */
export function findUnguardedStatements(sql: string): string[] {
  const problems: string[] = [];
  for (const batch of sqlBatches(sql)) {
    const guarded = (statementAt: number, guard: string) => {
      const g = batch.indexOf(guard);
      return g >= 0 && g < statementAt;
    };
    // A mask re-application block: the whole block only runs while the mask is missing, and re-creates exactly
    // what it dropped earlier in the same transaction.
    const maskBlock = batch.match(
      /^IF NOT EXISTS \(SELECT 1 FROM sys\.masked_columns WHERE object_id = OBJECT_ID\(N'([\w.]+)'\) AND name = N'(\w+)'/,
    );
    const droppedBefore = (at: number, name: string) =>
      guarded(at, `DROP CONSTRAINT [${name}];`) || guarded(at, `DROP INDEX [${name}] ON `);
    const statement = /^\s*(?:ELSE\s+)?(CREATE|ALTER|EXEC|EXECUTE|INSERT|UPDATE|DELETE|DROP|TRUNCATE|MERGE)\b.*$/gim;
    // A procedure's body runs when the procedure is called, not when the script is applied: in a batch that starts
    // with the ALTER PROCEDURE (re)defining it, only that statement is the script's.
    const isProcedure = /^ALTER PROCEDURE \[\w+\]\.\[\w+\]$/m.exec(batch)?.index === 0;
    for (const m of batch.matchAll(statement)) {
      const text = m[0].trim();
      const at = m.index ?? 0;
      if (isProcedure && at > 0) continue;
      let ok = false;
      let mm: RegExpMatchArray | null;
      if ((mm = text.match(/^CREATE TABLE (\[\w+\]\.\[\w+\])/))) {
        ok = guarded(at, `IF OBJECT_ID(N'${unbracket(mm[1])}', N'U') IS NULL`);
      } else if ((mm = text.match(/^CREATE (?:UNIQUE )?NONCLUSTERED INDEX \[(\w+)\] ON (\[\w+\]\.\[\w+\])/))) {
        ok =
          guarded(
            at,
            `IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'${unbracket(mm[2])}') AND name = N'${mm[1]}')`,
          ) ||
          (!!maskBlock && droppedBefore(at, mm[1]));
      } else if ((mm = text.match(/^ALTER TABLE \[(\w+)\]\.\[\w+\] ADD CONSTRAINT \[(\w+)\] FOREIGN KEY/))) {
        ok = guarded(at, `IF OBJECT_ID(N'${mm[1]}.${mm[2]}', N'F') IS NULL`);
      } else if (
        (mm = text.match(
          /^ALTER TABLE (\[\w+\]\.\[\w+\]) ADD CONSTRAINT \[(\w+)\] PRIMARY KEY NONCLUSTERED .* NOT ENFORCED;$/,
        ))
      ) {
        ok = guarded(
          at,
          `IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'${unbracket(mm[1])}') AND is_primary_key = 1)`,
        );
      } else if ((mm = text.match(/^ALTER TABLE (\[\w+\]\.\[\w+\]) ALTER COLUMN \[(\w+)\] ADD MASKED WITH/))) {
        ok = guarded(
          at,
          `IF NOT EXISTS (SELECT 1 FROM sys.masked_columns WHERE object_id = OBJECT_ID(N'${unbracket(mm[1])}') AND name = N'${mm[2]}'`,
        );
      } else if ((mm = text.match(/^ALTER TABLE (\[\w+\]\.\[\w+\]) ADD \[(\w+)\] [^;]*(?<!NOT) NULL;$/))) {
        // A nullable column the model added (the pool's `10`): only while the table exists and lacks it.
        const table = unbracket(mm[1]);
        ok = guarded(
          at,
          `IF OBJECT_ID(N'${table}', N'U') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'${table}') AND name = N'${mm[2]}')`,
        );
      } else if ((mm = text.match(/^DROP VIEW \[(\w+)\]\.\[(mv_\w+)\];$/))) {
        // A dashboard's materialized view (derived from its fact), only when its columns differ from the model's.
        ok = guarded(at, `IF OBJECT_ID(N'${mm[1]}.${mm[2]}', N'V') IS NOT NULL AND (EXISTS (SELECT 1 FROM (SELECT N'`);
      } else if ((mm = text.match(/^DROP TABLE \[stg\]\.\[(\w+)\];$/))) {
        // Only a staging table (nothing kept between runs), and only when it lacks a column of the model.
        ok = guarded(at, `IF OBJECT_ID(N'stg.${mm[1]}', N'U') IS NOT NULL AND EXISTS (SELECT 1 FROM (SELECT N'`);
      } else if ((mm = text.match(/^ALTER TABLE \[(\w+)\]\.\[\w+\] DROP CONSTRAINT \[(\w+)\];$/))) {
        ok = !!maskBlock && guarded(at, `IF OBJECT_ID(N'${mm[1]}.${mm[2]}', N'C') IS NOT NULL`);
      } else if ((mm = text.match(/^DROP INDEX \[(\w+)\] ON (\[\w+\]\.\[\w+\]);$/))) {
        ok =
          !!maskBlock &&
          guarded(
            at,
            `IF EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'${unbracket(mm[2])}') AND name = N'${mm[1]}')`,
          );
      } else if ((mm = text.match(/^ALTER TABLE \[\w+\]\.\[\w+\] WITH CHECK ADD CONSTRAINT \[(\w+)\] CHECK/))) {
        ok = !!maskBlock && droppedBefore(at, mm[1]);
      } else if (/^EXEC sp_executesql @add;$/.test(text)) {
        // Built from the model's nullable columns, only those a table that exists lacks (01's added columns).
        ok =
          guarded(at, "IF @add IS NOT NULL") &&
          guarded(at, "WHERE OBJECT_ID(m.name, N'U') IS NOT NULL AND COL_LENGTH(m.name, m.col) IS NULL);");
      } else if (/^EXEC sp_executesql @unmask;$/.test(text)) {
        // Built from the catalog's masks the model no longer declares (01's dropped masks).
        ok = guarded(at, "IF @unmask IS NOT NULL") && guarded(at, "FROM sys.masked_columns AS mc WHERE");
      } else if (/^EXEC sys\.sp_cdc_enable_db;$/.test(text)) {
        ok = guarded(
          at,
          "IF NOT EXISTS (SELECT 1 FROM sys.databases WHERE database_id = DB_ID() AND is_cdc_enabled = 1)",
        );
      } else if (
        (mm = text.match(
          /^EXEC sys\.sp_cdc_enable_table @source_schema = N'(\w+)', @source_name = N'(\w+)', .*@capture_instance = N'(\w+)'/,
        ))
      ) {
        ok = guarded(
          at,
          `IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE source_object_id = OBJECT_ID(N'${mm[1]}.${mm[2]}') AND capture_instance = N'${mm[3]}')`,
        );
      } else if (/^ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON;$/.test(text)) {
        ok = guarded(at, "snapshot_isolation_state = 0)");
      } else if (/^ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON /.test(text)) {
        ok = guarded(at, "IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_databases WHERE database_id = DB_ID())");
      } else if ((mm = text.match(/^ALTER TABLE \[(\w+)\]\.\[(\w+)\] ENABLE CHANGE_TRACKING/))) {
        ok = guarded(
          at,
          `IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'${mm[1]}.${mm[2]}'))`,
        );
      } else if ((mm = text.match(/^EXEC\(N'CREATE SCHEMA \[(\w+)\]'\);$/))) {
        ok = guarded(at, `IF SCHEMA_ID(N'${mm[1]}') IS NULL`);
      } else if ((mm = text.match(/^EXEC\(N'CREATE MATERIALIZED VIEW \[(\w+)\]\.\[(\w+)\]/))) {
        ok = guarded(at, `IF OBJECT_ID(N'${mm[1]}.${mm[2]}', N'V') IS NULL`);
      } else if ((mm = text.match(/^EXEC\(N'CREATE PROCEDURE \[(\w+)\]\.\[(\w+)\]/))) {
        ok = guarded(at, `IF OBJECT_ID(N'${mm[1]}.${mm[2]}', N'P') IS NULL`);
      } else if (/^ALTER PROCEDURE \[\w+\]\.\[\w+\]$/.test(text) && at === 0) {
        ok = true; // replaces the definition: idempotent by nature (the procedure exists from the batch before)
      } else if (/^ALTER MATERIALIZED VIEW \[\w+\]\.\[\w+\] REBUILD;$/.test(text)) {
        ok = /^ALTER PROCEDURE /.test(batch); // inside the refresh procedure's body, run by the load
      } else if ((mm = text.match(/^CREATE COLUMN MASTER KEY \[(\w+)\]/))) {
        ok = guarded(at, `IF NOT EXISTS (SELECT 1 FROM sys.column_master_keys WHERE name = N'${mm[1]}')`);
      } else if ((mm = text.match(/^CREATE USER \[([^\]]+)\] FROM EXTERNAL PROVIDER;$/))) {
        ok = guarded(at, `IF DATABASE_PRINCIPAL_ID(N'${mm[1]}') IS NULL`);
      } else if ((mm = text.match(/^ALTER ROLE \[(\w+)\] ADD MEMBER \[([^\]]+)\];$/))) {
        ok = guarded(at, `IF ISNULL(IS_ROLEMEMBER(N'${mm[1]}', N'${mm[2]}'), 0) = 0`);
      } else if (
        (mm = text.match(
          /^INSERT INTO (\[dbo\]\.\[DashboardViewDefinition\]) \([^)]*\) SELECT N'([\w.]+)', 0x[0-9A-F]{64}, /,
        ))
      ) {
        // A dashboard view's definition record: only when the view has none.
        ok = guarded(at, `IF NOT EXISTS (SELECT 1 FROM ${mm[1]} WHERE [ViewName] = N'${mm[2]}')`);
      } else if (
        /^DELETE FROM \[dbo\]\.\[DashboardViewDefinition\] WHERE \[ViewName\] = N'[\w.]+' AND \[DefinitionHash\] <> 0x[0-9A-F]{64};$/.test(
          text,
        )
      ) {
        ok = true; // keeps only the current definition's record: idempotent
      } else if ((mm = text.match(/^INSERT INTO (\[\w+\]\.\[\w+\]) \(/)) && !/ VALUES \(/.test(text)) {
        // INSERT … SELECT: only the rows an anti-join finds missing.
        ok = new RegExp(`LEFT OUTER JOIN ${escapeRegExp(mm[1])} AS x ON [^\\n]*\\nWHERE x\\.\\[\\w+\\] IS NULL;`).test(
          batch.slice(at),
        );
      } else if ((mm = text.match(/^INSERT INTO (\[\w+\]\.\[\w+\])/))) {
        ok = guarded(at, `IF NOT EXISTS (SELECT 1 FROM ${mm[1]} WHERE `);
      } else if ((mm = text.match(/^ELSE\s+UPDATE (\[\w+\]\.\[\w+\])/i))) {
        // Upsert: the ELSE branch of a guarded insert into the same table.
        ok = guarded(at, `IF NOT EXISTS (SELECT 1 FROM ${mm[1]} WHERE `) && guarded(at, `INSERT INTO ${mm[1]}`);
      } else if (/^DELETE FROM \[\w+\]\.\[\w+\] WHERE \[\w+\] NOT IN \([^)]*\);$/.test(text)) {
        ok = true; // reconciliation with the model's values: deleting what is not listed is idempotent
      } else if (
        /^UPDATE \[\w+\]\.\[\w+\] SET \[(\w+)\] = 0[^;]* WHERE \[\w+\] NOT IN \([^)]*\) AND \[(\w+)\] = 1;$/.test(text)
      ) {
        const [, set, where] = text.match(/SET \[(\w+)\] = 0.* AND \[(\w+)\] = 1;$/) ?? [];
        ok = set === where; // deactivates only what is still active: idempotent
      } else if (
        /^UPDATE \[\w+\]\.\[\w+\] SET \[(\w+)\] = 1[^;]* WHERE \[\w+\] IN \([^)]*\) AND \[(\w+)\] = 0;$/.test(text)
      ) {
        const [, set, where] = text.match(/SET \[(\w+)\] = 1.* AND \[(\w+)\] = 0;$/) ?? [];
        ok = set === where; // reactivates only what is inactive: idempotent
      }
      if (!ok) problems.push(text.length > 160 ? `${text.slice(0, 160)}…` : text);
    }
  }
  return problems;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Every string anywhere in a definition. */
export function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => strings(v, out));
  return out;
}
