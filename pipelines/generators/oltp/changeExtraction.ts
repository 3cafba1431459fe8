// The change extraction script: CDC and change tracking per extracted table.
import type { OltpModel, OltpTable } from "../../model/types";
import { capturedColumns, captureInstance, cdcChangeTable, extractedTables } from "../../model/validate";
import { batches, comment, header, nstr, objectName, qualified } from "../tsql";
import { CDC_ROLE } from "./names";

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
