// GDPR erasure in the pool: the customer's dimension rows in every version, staging, and the raw-zone partitions.
import { erasureColumns } from "../../../model/validate";
import type { DataModel } from "../../../model/types";
import { q, qualified } from "../../../generators/tsql";
import { oltpMappings, type ExtractedTable } from "../../groups";
import { procedure } from "../procedure";
import { subjectTables } from "../oltp";
import { SUBJECT, AUDIT } from "./shared";

/** Erasure in the pool: every version of the customer's dimension row, and staging. */
export function erase(model: DataModel, xs: ExtractedTable[]): string[] {
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
