// The OLTP side of the nightly ETL, generated from the model (05_oltp_etl_extraction.sql): the control table of
// change windows, the procedure that opens a run's windows, one extraction procedure per extracted table (the Copy
// activity's source), and the GDPR erasure of a customer.
//
// Windows. A run date D gets one window per extracted table, kept in [etl].[ExtractionWindow]: an LSN range for CDC
// tables, a change-tracking version range for the others. A window starts after the last *published* window of the
// table (so the changes of a run that failed are carried by the next one) and ends at the database's position when
// it is opened. Opening is idempotent: a re-run of D reads D's saved window again, so it extracts the same changes
// (with the rows' current values). A window whose start fell out of the retention (CDC: 3 days, change tracking:
// `changeTrackingRetentionDays`) or a table's first run reloads the table in full.
//
// Related rows. A fact row is re-derived from its root row and every row joined to it (Fact_Payment: the payment,
// its payment method, all its refunds and disputes). So each table of a fact group also returns the current rows
// of the group's "affected" root keys (those whose root, child or parent row changed in the run's windows) with
// NULL change metadata; staging then holds everything the fact load needs, and nothing else.
import { capturedColumns } from "../../../model/validate";
import type { DataModel } from "../../../model/types";
import { externalPrincipal, header, list, q } from "../../../generators/tsql";
import { batches } from "../../../generators/tsql";
import { ETL_PRINCIPAL_VARIABLE } from "../../../generators/oltp";
import { extractedTables, factGroups } from "../../groups";
import { ETL_SCHEMA } from "../../names";
import { fullReloadRequestTableDdl, windowsTableDdl, openWindowsProcedure } from "./windows";
import { extractionProcedure, recordProcedures } from "./extraction";
import {
  auditTableDdl,
  eraseProcedure,
  subjectAuditProcedure,
  auditProcedure,
  subjectReferencesProcedure,
} from "./erasure";

export const OLTP_ETL_FILE = "05_oltp_etl_extraction.sql";

export function generateOltpEtlScript(model: DataModel): string {
  const xs = extractedTables(model);
  const groups = factGroups(model);
  const etl = externalPrincipal(ETL_PRINCIPAL_VARIABLE);
  const parts = [
    `IF SCHEMA_ID(N'${ETL_SCHEMA}') IS NULL\n    EXEC(N'CREATE SCHEMA ${q(ETL_SCHEMA)}');`,
    windowsTableDdl(),
    fullReloadRequestTableDdl(),
    ...model.oltp.erasureSubjects.map((s) => auditTableDdl(model, s)),
    ...openWindowsProcedure(xs, groups),
    ...xs.flatMap((x) => extractionProcedure(model, x, xs, groups)),
    ...recordProcedures(xs),
    ...model.oltp.erasureSubjects.flatMap((s) => eraseProcedure(model, s)),
    ...subjectReferencesProcedure(model),
    ...auditProcedure(),
    ...model.oltp.erasureSubjects.flatMap((s) => subjectAuditProcedure(model, s)),
    etl.createUser,
    [
      "-- The ETL identity runs the procedures of this schema and reads nothing else through it: no SELECT on the control",
      "-- tables, no UPDATE on dbo (the procedures reach dbo by ownership chaining).",
      `GRANT EXECUTE ON SCHEMA::${q(ETL_SCHEMA)} TO ${etl.name};`,
    ].join("\n"),
  ];
  const captured = xs.map(
    (x) =>
      `${x.table.schema}.${x.table.name} (${x.mode}): ${list(capturedColumns(x.table).filter((c) => x.dataColumns.some((d) => d.name === c)))}`,
  );
  return [
    header("Azure SQL Database (OLTP): the nightly ETL's change windows, extraction procedures and GDPR erasure.", [
      "Source: pipelines/model (extraction modes, staging tables, mappings) via pipelines/etl. Regenerate with `npm run sql:generate`.",
      `Run after 04, as the Entra admin: sqlcmd ... -v ${ETL_PRINCIPAL_VARIABLE}="<Data Factory managed identity>" -i 05_oltp_etl_extraction.sql`,
      "Idempotent: the schema and tables are created when missing, each procedure is (re)defined on every run.",
      "",
      "Extracted (columns in staging order):",
      ...captured,
    ]),
    batches(parts),
  ].join("\n");
}

export { boundQuery } from "./windows";
export { erasureNames, markedSubject, subjectTables } from "./erasure";
