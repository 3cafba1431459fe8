// The ETL identity's access script: its user, the CDC reader role and what the extraction reads.
import { LEDGER_ORDER_COLUMNS } from "../extraction";
import type { OltpModel } from "../../model/types";
import { capturedColumns, extractedTables } from "../../model/validate";
import { batches, externalPrincipal, header, list, objectName, q, qualified } from "../tsql";
import { CDC_ROLE, ETL_PRINCIPAL_VARIABLE } from "./names";

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
