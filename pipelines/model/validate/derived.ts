// Facts derived from the model that both the validator and the generators use (so they cannot disagree): what the
// ETL may read, what a mask depends on, which personal columns the erasure CHECK covers.
import type { ErasureSubject, OltpModel, OltpTable } from "../types";
import { referencedColumns } from "./common";

/** Columns a CHECK constraint of the table refers to (column CHECKs, enums, table CHECKs; erasure excluded). */
export function checkReferences(table: OltpTable): { name: string; columns: string[] }[] {
  const checks: { name: string; columns: string[] }[] = [];
  for (const c of table.columns) {
    if (c.check) checks.push({ name: `CK_${table.name}_${c.name}`, columns: [c.name, ...referencedColumns(c.check)] });
    if (c.allowedValues) checks.push({ name: `CK_${table.name}_${c.name}_Values`, columns: [c.name] });
  }
  for (const chk of table.checks ?? []) checks.push({ name: chk.name, columns: referencedColumns(chk.expression) });
  return checks;
}

/** The CDC capture instance and change table of an OLTP table: `dbo_Payment` / `cdc.dbo_Payment_CT`. */
export const captureInstance = (table: Pick<OltpTable, "schema" | "name">): string => `${table.schema}_${table.name}`;
export const cdcChangeTable = (table: Pick<OltpTable, "schema" | "name">): string => `cdc.${captureInstance(table)}_CT`;

/**
 * Columns the nightly ETL may read (and CDC captures): everything except classified (personal/card) data — change
 * tables are kept for days and outside the reach of erasure and masking; encrypted columns are classified too — and
 * ROWVERSION. The primary key is always included.
 */
export const capturedColumns = (table: OltpTable): string[] =>
  table.columns.filter((c) => !c.classification && !c.encryption && c.type.kind !== "rowversion").map((c) => c.name);

/** Tables the nightly ETL extracts, by mode. */
export const extractedTables = (model: OltpModel, mode: "cdc" | "changeTracking"): OltpTable[] =>
  model.tables.filter((t) => t.extraction.mode === mode);

/** The CHECK constraints and indexes that depend on a column (what must be dropped to re-apply its mask). */
export function maskDependencies(table: OltpTable, column: string): { checks: string[]; indexes: string[] } {
  const checks = checkReferences(table)
    .filter((c) => c.columns.includes(column))
    .map((c) => c.name);
  if (table.erasedAtColumn && erasureColumns(table).includes(column)) checks.push(`CK_${table.name}_Erasure`);
  const indexes = (table.indexes ?? [])
    .filter(
      (ix) =>
        [...ix.columns, ...(ix.include ?? [])].includes(column) ||
        (ix.where && referencedColumns(ix.where).includes(column)),
    )
    .map((ix) => ix.name);
  return { checks, indexes };
}

/**
 * Personal columns the erasure CHECK covers: every personal column that is not Always Encrypted (a CHECK cannot
 * reference an encrypted column; those are erased by the erasure procedure, see docs/data-model-decisions.md).
 */
export const erasureColumns = (table: OltpTable): string[] =>
  table.columns.filter((c) => c.classification?.kind === "personal" && !c.encryption).map((c) => c.name);

/** One table an erasure subject's procedure updates, and the column that holds the subject's key there. */
export interface ErasurePath {
  table: OltpTable;
  column: string;
}

/**
 * Where a subject's erasure goes: the subject's own table (by its primary key) and, when the subject erases
 * referencing rows, every table with a single-column foreign key to it. Direct references only: a table two hops
 * away (ShippingAddress → Payment → PaymentMethod → Customer) can be reached from more than one subject (Payment
 * also references Merchant), so the validator refuses classified columns there instead of guessing whose they are.
 */
export function erasurePaths(model: OltpModel, subject: ErasureSubject): ErasurePath[] {
  const own = model.tables.find((t) => t.name === subject.table);
  if (!own || own.primaryKey.columns.length !== 1) return [];
  return [
    { table: own, column: own.primaryKey.columns[0] },
    ...(subject.erasesReferencingRows
      ? model.tables.flatMap((t) =>
          (t.foreignKeys ?? [])
            .filter((fk) => fk.references.table === own.name && fk.columns.length === 1)
            .map((fk) => ({ table: t, column: fk.columns[0] })),
        )
      : []),
  ];
}

/** The classified columns a subject's erasure sets to NULL in one table (nullable ones: the validator refuses others). */
export const erasedColumns = (table: OltpTable): string[] =>
  table.columns.filter((c) => c.classification && c.nullable).map((c) => c.name);

/** The columns of `table` through which these subjects' erasures find its rows (their foreign keys to the subject). */
export const erasureKeyColumns = (
  model: OltpModel,
  table: OltpTable,
  subjects: readonly ErasureSubject[],
): string[] => [
  ...new Set(
    subjects.flatMap((s) =>
      erasurePaths(model, s)
        .filter((p) => p.table === table)
        .map((p) => p.column),
    ),
  ),
];

/** The subjects whose erasure reaches a table. */
export const erasingSubjects = (model: OltpModel, table: OltpTable): ErasureSubject[] =>
  model.erasureSubjects.filter((s) => erasurePaths(model, s).some((p) => p.table === table));

/**
 * The subjects of `sharesRowsWith` that reach the subject's table through `column` (their erasure finds its rows by
 * that foreign key): the owners of a row where it is set.
 */
export const rowOwners = (model: OltpModel, subject: ErasureSubject, column: string): ErasureSubject[] =>
  model.erasureSubjects.filter(
    (o) =>
      o !== subject &&
      (subject.sharesRowsWith ?? []).includes(o.name) &&
      erasurePaths(model, o).some((p) => p.table.name === subject.table && p.column === column),
  );
