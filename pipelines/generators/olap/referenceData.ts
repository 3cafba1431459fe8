// The pool's reference data: enum dimensions, unknown members and the calendar, set-based.
import type { CalendarTableMapping, Column, OlapModel, OlapTable } from "../../model/types";
import { batches, comment, header, list, literal, q, qualified } from "../tsql";

/** One row per day of the calendar, set-based: a cross join of digit sets numbers the days (no loop, no CTE). */
export function calendarStatement(table: OlapTable, mapping: CalendarTableMapping): string {
  const from = `CAST('${mapping.from}' AS DATE)`;
  const to = `CAST('${mapping.to}' AS DATE)`;
  const days = Math.round((Date.parse(mapping.to) - Date.parse(mapping.from)) / 86_400_000) + 1;
  const digits = Math.max(1, Math.ceil(Math.log10(days)));
  const digitSet = `(SELECT 0 AS n UNION ALL ${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `SELECT ${n}`).join(" UNION ALL ")})`;
  const sources = Array.from({ length: digits }, (_, i) => `${digitSet} AS d${i}`);
  const number = Array.from({ length: digits }, (_, i) => (i === 0 ? "d0.n" : `${10 ** i} * d${i}.n`)).join(" + ");
  const key = table.primaryKey?.columns[0] ?? "DateKey";
  const expr = (c: Column) => (mapping.columns[c.name] ?? "NULL").replace(/\[Date\]/g, "c.[Date]");
  return [
    ...comment(
      `${table.name}: ${mapping.description} One row per day from ${mapping.from} to ${mapping.to} (${days} days); inserts only the days that are missing, so re-runs and a widened range are safe.`,
    ),
    `INSERT INTO ${qualified(table.schema, table.name)} (${list(table.columns.map((c) => c.name))})`,
    `SELECT ${table.columns.map((c) => `${expr(c)} AS ${q(c.name)}`).join(",\n       ")}`,
    "FROM (",
    `    SELECT DATEADD(DAY, ${number}, ${from}) AS [Date]`,
    `    FROM ${sources.join("\n    CROSS JOIN ")}`,
    `    WHERE ${number} <= DATEDIFF(DAY, ${from}, ${to})`,
    ") AS c",
    `LEFT OUTER JOIN ${qualified(table.schema, table.name)} AS x ON x.${q(key)} = ${expr(table.columns.find((c) => c.name === key) ?? table.columns[0])}`,
    `WHERE x.${q(key)} IS NULL;`,
  ].join("\n");
}

export function generateOlapReferenceData(model: OlapModel): string {
  const parts: string[] = [];
  for (const table of model.tables) {
    const name = qualified(table.schema, table.name);
    const col = (n: string) => table.columns.find((c) => c.name === n);
    const mapping = model.mappings.find((m) => m.target === table.name);
    if (table.unknownMember && table.primaryKey) {
      const keyName = table.primaryKey.columns[0];
      const key = col(keyName);
      const member = table.unknownMember;
      if (key) {
        const cols = table.columns.filter((c) => c.name in member);
        const attrs = cols.filter((c) => c.name !== keyName);
        const keyValue = literal(member[keyName] ?? null, key.type);
        parts.push(
          [
            `-- ${table.name} unknown member (upserted: the model's values win)`,
            `IF NOT EXISTS (SELECT 1 FROM ${name} WHERE ${q(keyName)} = ${keyValue})`,
            `    INSERT INTO ${name} (${list(cols.map((c) => c.name))}) VALUES (${cols.map((c) => literal(member[c.name] ?? null, c.type)).join(", ")});`,
            "ELSE",
            `    UPDATE ${name} SET ${attrs.map((c) => `${q(c.name)} = ${literal(member[c.name] ?? null, c.type)}`).join(", ")} WHERE ${q(keyName)} = ${keyValue};`,
          ].join("\n"),
        );
      }
    }
    if (mapping?.kind === "calendar") parts.push(calendarStatement(table, mapping));
    if (mapping?.kind === "enum") {
      const key = col(mapping.keyColumn);
      if (!key) continue;
      const values = Object.keys(mapping.rows).map((v) => literal(v, key.type));
      const attrs = table.columns.filter((c) => c.name !== mapping.keyColumn);
      for (const [value, row] of Object.entries(mapping.rows)) {
        const v = (c: Column) => literal(row[c.name] ?? null, c.type);
        parts.push(
          [
            `-- ${table.name} '${value}' (from ${mapping.source.table}.${mapping.source.column})`,
            `IF NOT EXISTS (SELECT 1 FROM ${name} WHERE ${q(key.name)} = ${literal(value, key.type)})`,
            `    INSERT INTO ${name} (${list([key.name, ...attrs.map((c) => c.name)])}) VALUES (${[literal(value, key.type), ...attrs.map(v)].join(", ")});`,
            "ELSE",
            `    UPDATE ${name} SET ${attrs.map((c) => `${q(c.name)} = ${v(c)}`).join(", ")} WHERE ${q(key.name)} = ${literal(value, key.type)};`,
          ].join("\n"),
        );
      }
      // Values the model removed leave the dimension, unless facts still use them (they would lose their member).
      const facts = model.tables.filter((t) => (t.references ?? []).some((r) => r.dimension === table.name));
      const keep = table.unknownMember ? [...values, literal(table.unknownMember[key.name] ?? null, key.type)] : values;
      const referencing = facts.flatMap((f) =>
        (f.references ?? [])
          .filter((r) => r.dimension === table.name)
          .map(
            (r) =>
              `EXISTS (SELECT 1 FROM ${qualified(f.schema, f.name)} WHERE ${q(r.column)} NOT IN (${keep.join(", ")}))`,
          ),
      );
      if (referencing.length) {
        parts.push(
          [
            `-- ${table.name}: values no longer in dbo.${mapping.source.table}.${mapping.source.column} are removed below; facts must not use them.`,
            `IF ${referencing.join("\n    OR ")}`,
            "BEGIN",
            `    THROW 50021, N'Facts still use ${table.name} values that the model removed from ${mapping.source.table}.${mapping.source.column}: migrate those facts first (the OLTP CHECK no longer allows the values).', 1;`,
            "END;",
          ].join("\n"),
        );
      }
      parts.push(`DELETE FROM ${name} WHERE ${q(key.name)} NOT IN (${keep.join(", ")});`);
    }
  }
  return [
    header("Azure Synapse dedicated SQL pool (OLAP) reference data: unknown members, the calendar, enum dimensions.", [
      "Source: pipelines/model/olap.ts. Regenerate with `npm run sql:generate`. Run after 10_olap_schema.sql.",
      "Enum dimensions are reconciled with the OLTP CHECK-constraint values (upserted, and removed values deleted), so",
      "they cannot drift from the source. Dim_Date is generated set-based in the pool; facts point dates outside it",
      "at its unknown member 0.",
    ]),
    batches(parts),
  ].join("\n");
}
