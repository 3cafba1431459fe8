// What each identity may do in the pool: the ETL identity, the streaming loader and the analysts' group, each a
// database user and its grants, nothing more.
import type { OlapModel } from "../../model/types";
import { batches, externalPrincipal, header, objectName, q, qualified } from "../tsql";
import { REFRESH_PROCEDURE } from "./dashboards";

/** sqlcmd variable naming the ETL identity (the Data Factory managed identity's display name) in 13. */
export const OLAP_ETL_PRINCIPAL_VARIABLE = "EtlPrincipalName";

export function generateOlapEtlAccessScript(model: OlapModel): string {
  const etl = externalPrincipal(OLAP_ETL_PRINCIPAL_VARIABLE);
  const principal = etl.name;
  const parts: string[] = [
    etl.createUser,
    [
      "-- COPY INTO the staging tables needs INSERT on them and this database permission (COPY INTO page).",
      `GRANT ADMINISTER DATABASE BULK OPERATIONS TO ${principal};`,
    ].join("\n"),
    [
      // The load's procedures build their working sets as #temp tables with CTAS, under the caller's permissions (no
      // ownership chain covers DDL). The pool's CREATE TABLE page names no exemption for temporary tables, unlike
      // SQL Server's (unverified on a pool): granted, it lets the identity create tables in stg only, the one schema it
      // holds ALTER on.
      "-- #temp tables the load's procedures create (CTAS), and nothing outside stg: CREATE TABLE needs ALTER on the schema.",
      `GRANT CREATE TABLE TO ${principal};`,
    ].join("\n"),
  ];
  for (const schema of [...new Set(model.tables.filter((t) => t.role === "staging").map((t) => t.schema))]) {
    parts.push(
      [
        `-- ${schema}: landing tables, truncated (ALTER) and reloaded every run.`,
        `GRANT SELECT, INSERT, UPDATE, DELETE, ALTER ON SCHEMA::${q(schema)} TO ${principal};`,
      ].join("\n"),
    );
  }
  for (const t of model.tables.filter((x) => x.role !== "staging")) {
    parts.push(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${qualified(t.schema, t.name)} TO ${principal};`);
  }
  parts.push(
    [
      "-- The refresh after each load: EXECUTE the procedure, ALTER (REBUILD) each materialized view it rebuilds.",
      `GRANT EXECUTE ON ${qualified(REFRESH_PROCEDURE.schema, REFRESH_PROCEDURE.name)} TO ${principal};`,
      ...model.materializedViews.map((mv) => `GRANT ALTER ON ${qualified(mv.schema, mv.name)} TO ${principal};`),
    ].join("\n"),
  );
  return [
    header("Azure Synapse dedicated SQL pool (OLAP): what the ETL identity may do, and nothing more.", [
      "Source: pipelines/model/olap.ts. Regenerate with `npm run sql:generate`. Run after 12, as the Entra admin:",
      `sqlcmd ... -I -v ${OLAP_ETL_PRINCIPAL_VARIABLE}="<display name of the Data Factory managed identity>" -i 13_olap_etl_access.sql`,
      "No db_owner, no CONTROL, no DDL outside the staging schema. Idempotent: GRANT is, and the user is guarded.",
    ]),
    batches(parts),
  ].join("\n");
}

// --- the streaming loader's access to the pool ----------------------------------------------------------------

/** sqlcmd variable naming the streaming app's identity (the Synapse loader's managed identity) in 15. */
export const OLAP_STREAMING_PRINCIPAL_VARIABLE = "StreamingPrincipalName";
export const OLAP_STREAMING_ACCESS_FILE = "15_olap_streaming_access.sql";

/**
 * An access script of the pool: the principal's database user (guarded), then one commented GRANT per object, under
 * the generated header; the user's name is the sqlcmd variable `variable`.
 */
function accessScript(o: {
  readonly title: string;
  readonly header: readonly string[];
  readonly variable: string;
  readonly grants: readonly { readonly comment: string; readonly sql: (principal: string) => string }[];
}): string {
  const principal = externalPrincipal(o.variable);
  const parts = [principal.createUser, ...o.grants.map((g) => [`-- ${g.comment}`, g.sql(principal.name)].join("\n"))];
  return [header(o.title, [...o.header, "Idempotent: GRANT is, and the user is guarded."]), batches(parts)].join("\n");
}

/** INSERT on the tables the streaming path writes (the model's `stream` mappings), and nothing else. */
export function generateOlapStreamingAccessScript(model: OlapModel): string {
  const targets = model.mappings.flatMap((m) => (m.kind === "stream" ? [m.target] : []));
  return accessScript({
    title: "Azure Synapse dedicated SQL pool (OLAP): what the streaming loader may do, and nothing more.",
    header: [
      "Source: pipelines/model/olap.ts (stream mappings). Regenerate with `npm run sql:generate`. Run after 10, as the",
      "Entra admin (the schema deployment pipeline does, with global parameter streamingPrincipalName):",
      `sqlcmd ... -I -v ${OLAP_STREAMING_PRINCIPAL_VARIABLE}="<display name of the streaming app's managed identity>" -i ${OLAP_STREAMING_ACCESS_FILE}`,
    ],
    variable: OLAP_STREAMING_PRINCIPAL_VARIABLE,
    grants: targets.map((name) => {
      const table = model.tables.find((t) => t.name === name);
      if (!table) throw new Error(`stream mapping targets unknown table ${name}`);
      return {
        comment: `${table.name}: the loader appends the Stream Analytics job's rows (no read, update or delete).`,
        sql: (principal: string) => `GRANT INSERT ON ${qualified(table.schema, table.name)} TO ${principal};`,
      };
    }),
  });
}

// --- the analysts' read access to the pool ----------------------------------------------------------------------

/** sqlcmd variable naming the analysts' Entra group (its display name) in 16. */
export const OLAP_ANALYSTS_PRINCIPAL_VARIABLE = "AnalystsPrincipalName";
export const OLAP_ANALYST_ACCESS_FILE = "16_olap_analyst_access.sql";

/**
 * SELECT on what the dashboards read (the star's dimensions and facts, and the materialized views over them), for the
 * analysts' Entra group: its database user is what lets its members sign in to the pool at all (the BI workload
 * classifier only places their sessions). Nothing else: no staging, no ETL schema, no procedure. The warehouse holds
 * no personal or card data (model/olap.ts), so there is nothing to mask for them.
 */
export function generateOlapAnalystAccessScript(model: OlapModel): string {
  const read = (schema: string, name: string, what: string) => ({
    comment: `${objectName(schema, name)} (${what}): read only.`,
    sql: (principal: string) => `GRANT SELECT ON ${qualified(schema, name)} TO ${principal};`,
  });
  return accessScript({
    title: "Azure Synapse dedicated SQL pool (OLAP): what the analysts may read, and nothing more.",
    header: [
      "Source: pipelines/model/olap.ts (dimensions, facts, materialized views). Regenerate with `npm run sql:generate`.",
      "Run after 12, as the Entra admin (the schema deployment pipeline does, with global parameter",
      "analystsPrincipalName):",
      `sqlcmd ... -I -v ${OLAP_ANALYSTS_PRINCIPAL_VARIABLE}="<display name of the analysts Entra group>" -i ${OLAP_ANALYST_ACCESS_FILE}`,
      "The group's database user lets its members sign in; the pool's BI classifier (wc_bi) places their sessions.",
    ],
    variable: OLAP_ANALYSTS_PRINCIPAL_VARIABLE,
    grants: [
      ...model.tables.filter((t) => t.role !== "staging").map((t) => read(t.schema, t.name, t.role)),
      ...model.materializedViews.map((v) => read(v.schema, v.name, `materialized view over ${v.fact}`)),
    ],
  });
}
