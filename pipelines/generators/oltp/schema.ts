// The schema script's building blocks: a table with its keys, CHECKs, masks, encryption, foreign keys and indexes.
import type { CheckConstraint, Index, OltpTable } from "../../model/types";
import { erasureColumns } from "../../model/validate";
import { columnDefinition, comment, list, objectName, q, qualified, str } from "../tsql";

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
export const LEDGER_DATABASE_GUARD = [
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

export const createIndex = (table: OltpTable, ix: Index): string => {
  const include = ix.include?.length ? ` INCLUDE (${list(ix.include)})` : "";
  const where = ix.where ? ` WHERE ${ix.where}` : "";
  return `CREATE ${ix.unique ? "UNIQUE " : ""}NONCLUSTERED INDEX ${q(ix.name)} ON ${qualified(table.schema, table.name)} (${list(ix.columns)})${include}${where};`;
};
export const indexExists = (table: OltpTable, name: string) =>
  `EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'${objectName(table.schema, table.name)}') AND name = N'${name}')`;

export function createOltpTable(table: OltpTable): string {
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
