// The source query of each extracted OLTP table, derived from the model: what the nightly ETL runs against the OLTP
// database to fill `stg.<Table>` (docs/data-model-decisions.md, section 1). The ETL tier generates its pipelines
// from these, so the extraction mode chosen in the model is the one that runs, and the queries only read columns
// that 04_oltp_etl_access.sql grants.
import { stagingChangeColumns } from "../model/olap";
import type { OlapModel, OlapTable, OltpModel, OltpTable } from "../model/types";
import { captureInstance } from "../model/validate";
import { objectName, q, qualified } from "./tsql";

/** Hidden columns of an updatable ledger table's history that order the versions of a row. */
export const LEDGER_ORDER_COLUMNS = ["ledger_end_transaction_id", "ledger_end_sequence_number"];

export interface ExtractionQuery {
  /** OLTP table, e.g. `dbo.Payment`. */
  source: string;
  /** Staging table it fills, e.g. `stg.Payment`; the query's columns are that table's, in its order. */
  staging: string;
  mode: "cdc" | "changeTracking";
  /** Parameters the ETL binds: the LSN window for CDC, the last synchronised version for change tracking. */
  parameters: string[];
  /** Returns the oldest position still available; a watermark older than it means: reload the table in full. */
  minimumQuery: string;
  /** The rows changed since the watermark, with their change metadata. */
  query: string;
}

function extractionQuery(table: OltpTable, staging: OlapTable): ExtractionQuery {
  const mode = table.extraction.mode;
  if (mode === "none") throw new Error(`dbo.${table.name} is not extracted`);
  const [version, operation] = stagingChangeColumns[mode].map((c) => c.name);
  const data = staging.columns.map((c) => c.name).filter((n) => n !== version && n !== operation);
  const source = objectName(table.schema, table.name);
  const base = { source, staging: objectName(staging.schema, staging.name), mode };
  if (mode === "cdc") {
    const instance = captureInstance(table);
    return {
      ...base,
      parameters: ["@from_lsn BINARY(10)", "@to_lsn BINARY(10)"],
      minimumQuery: `SELECT sys.fn_cdc_get_min_lsn(N'${instance}') AS [MinimumLsn];`,
      query: [
        `SELECT [__$start_lsn] AS ${q(version)}, [__$operation] AS ${q(operation)}, ${data.map(q).join(", ")}`,
        `FROM [cdc].${q(`fn_cdc_get_net_changes_${instance}`)}(@from_lsn, @to_lsn, N'all');`,
      ].join("\n"),
    };
  }
  const keys = table.primaryKey.columns;
  const history = table.ledger === "updatable" && data.some((n) => !keys.includes(n));
  const value = (n: string) =>
    keys.includes(n) ? `ct.${q(n)}` : history ? `COALESCE(t.${q(n)}, h.${q(n)})` : `t.${q(n)}`;
  const join = (alias: string) => keys.map((k) => `${alias}.${q(k)} = ct.${q(k)}`).join(" AND ");
  const lines = [
    `SELECT ct.[SYS_CHANGE_VERSION] AS ${q(version)}, ct.[SYS_CHANGE_OPERATION] AS ${q(operation)}, ${data.map((n) => `${value(n)} AS ${q(n)}`).join(", ")}`,
    `FROM CHANGETABLE(CHANGES ${qualified(table.schema, table.name)}, @last_version) AS ct`,
    `LEFT OUTER JOIN ${qualified(table.schema, table.name)} AS t ON ${join("t")}`,
  ];
  const nonKeys = data.filter((n) => !keys.includes(n));
  if (history) {
    // A deleted row is gone from the table, but its last version stays in the ledger history.
    lines.push(
      `OUTER APPLY (SELECT TOP (1) ${nonKeys.map((n) => `x.${q(n)}`).join(", ")} FROM ${qualified(table.schema, `${table.name}_LedgerHistory`)} AS x WHERE ct.[SYS_CHANGE_OPERATION] = 'D' AND ${join("x")} ORDER BY ${LEDGER_ORDER_COLUMNS.map((c) => `x.${q(c)} DESC`).join(", ")}) AS h`,
    );
  }
  return {
    ...base,
    parameters: ["@last_version BIGINT"],
    minimumQuery: `SELECT CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(N'${source}')) AS [MinimumVersion];`,
    query: `${lines.join("\n")};`,
  };
}

/** One extraction query per extracted OLTP table, in model order. */
export function extractionQueries(oltp: OltpModel, olap: OlapModel): ExtractionQuery[] {
  return oltp.tables.flatMap((table) => {
    if (table.extraction.mode === "none") return [];
    const staging = olap.tables.find((t) => t.role === "staging" && t.stages?.table === table.name);
    if (!staging) throw new Error(`dbo.${table.name} is extracted but has no staging table`);
    return [extractionQuery(table, staging)];
  });
}
