// The schema script (04): the guards, every table (created when missing, held to the model where T-SQL can: guards.ts),
// then foreign keys, indexes and masks.
import type { OltpModel } from "../../model/types";
import { batches, comment, header, list, objectName, q, qualified, schemaStatements } from "../tsql";
import { DDM_PAGE } from "./names";
import {
  encryptionStateGuard,
  collationGuard,
  erasableGuard,
  missingColumnGuard,
  addedColumns,
  shapeOf,
  droppedMasks,
  columnEncryptionKeyGuards,
  maskStatement,
} from "./guards";
import { createIndex, createOltpTable, indexExists, LEDGER_DATABASE_GUARD } from "./schema";

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
