// The warehouse side of the nightly ETL, generated from the model (14_olap_etl_load.sql): the run log, the
// data-quality results, the staging gate, the publish procedure (dimensions, late-arriving members, facts) and the
// GDPR erasure in the pool. Written for what a dedicated SQL pool supports (Microsoft's T-SQL pages for Azure Synapse):
// - no MERGE: a MERGE that inserts needs a HASH target, and the dimensions are REPLICATE; MERGE into a columnstore fact
//   is not needed either. Dimensions load by UPDATE…FROM (implicit join: ANSI joins are not allowed in an UPDATE) plus
//   INSERT…WHERE NOT EXISTS; facts by DELETE of the run's keys plus INSERT (idempotent: a re-run replaces the same
//   rows).
// - staging is deduplicated per key first (ROW_NUMBER, latest change wins), into temp tables distributed like the
//   staging table (hash on the fact's distribution column where the fact load joins on it: no data movement).
// - every CREATE TABLE AS SELECT (DDL) runs before the transaction: a dedicated pool allows no DDL inside one.
// - no @@ROWCOUNT, no table variables, no SET XACT_ABORT, no CTE in front of an INSERT (not supported there).
// Publishing is one transaction: the candidate rows are checked first (nothing written when a check fails), then
// applied, re-checked and committed, or rolled back with the reason. The published tables change only on success.
// A full reload with more keys than one transaction of the smallest pool can replace (publishBatchRows) commits in
// batches of keys instead, each re-checked; a failed batch rolls back alone and the reason names those committed
// (a WHILE loop: Microsoft's "Use T-SQL loops for dedicated SQL pools in Azure Synapse Analytics").
import type { Column, DataModel } from "../../../model/types";
import { batches, externalPrincipal, header, q } from "../../../generators/tsql";
import { OLAP_ETL_PRINCIPAL_VARIABLE } from "../../../generators/olap";
import { extractedTables } from "../../groups";
import { ETL_SCHEMA } from "../../names";
import { controlTables, beginRun, recordStaged, checkStaging, failRun, runResult } from "./run";
import { publish } from "./publish";
import { compactStreamFacts } from "./streamFacts";
import { erase } from "./erasure";

export const POOL_ETL_FILE = "14_olap_etl_load.sql";

export function generatePoolEtlScript(model: DataModel): string {
  const xs = extractedTables(model);
  const principal = externalPrincipal(OLAP_ETL_PRINCIPAL_VARIABLE);
  const parts = [
    `IF SCHEMA_ID(N'${ETL_SCHEMA}') IS NULL\n    EXEC(N'CREATE SCHEMA ${q(ETL_SCHEMA)}');`,
    ...controlTables(),
    ...beginRun(),
    ...recordStaged(model, xs),
    ...checkStaging(model, xs),
    ...publish(model, xs),
    ...compactStreamFacts(model),
    ...failRun(),
    ...runResult(),
    ...erase(model, xs),
    principal.createUser,
    [
      "-- The ETL identity runs this schema's procedures (which write the star by ownership chaining) and reads its",
      "-- results; 13_olap_etl_access.sql gives it COPY into staging.",
      `GRANT EXECUTE, SELECT ON SCHEMA::${q(ETL_SCHEMA)} TO ${principal.name};`,
    ].join("\n"),
  ];
  return [
    header("Azure Synapse dedicated SQL pool (OLAP): the nightly load, its data-quality gate and the GDPR erasure.", [
      "Source: pipelines/model (mappings, staging, history) via pipelines/etl. Regenerate with `npm run sql:generate`.",
      `Run after 13, as the Entra admin: sqlcmd ... -v ${OLAP_ETL_PRINCIPAL_VARIABLE}="<Data Factory managed identity>" -i 14_olap_etl_load.sql`,
      "No MERGE (a MERGE that inserts needs a HASH target; the dimensions are REPLICATE): UPDATE…FROM plus",
      "INSERT…WHERE NOT EXISTS, DELETE plus INSERT for facts; staging deduplicated per key first; DDL (CTAS) before the",
      "transaction. Idempotent: tables are created when missing, each procedure is (re)defined on every run.",
    ]),
    batches(parts),
  ].join("\n");
}

export { publishBatchRows, SMALLEST_POOL_TRANSACTION_BYTES, typeBytes } from "./batchSize";
export { grainKey } from "./streamFacts";
export type { Column };
