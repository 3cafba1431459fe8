// The reference data script: the currencies the model lists.
import { currencies } from "../../model/oltp";
import type { OltpModel } from "../../model/types";
import { batches, header, nstr, qualified, str } from "../tsql";

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
