// Azure Synapse dedicated SQL pool scripts: the star schema and staging tables, reference data (enum dimensions,
// unknown members, the calendar) and the dashboards' materialized views. Everything here is written for what a
// dedicated pool accepts (Microsoft's T-SQL pages for Azure Synapse Analytics): no FOREIGN KEY, PRIMARY KEY only
// NONCLUSTERED NOT ENFORCED, no CTE in front of INSERT, no recursive CTE or GENERATE_SERIES, MATERIALIZED VIEW only
// HASH/ROUND_ROBIN with SUM/COUNT_BIG here.
export {
  generateOlapAnalystAccessScript,
  generateOlapEtlAccessScript,
  generateOlapStreamingAccessScript,
  OLAP_ANALYST_ACCESS_FILE,
  OLAP_ANALYSTS_PRINCIPAL_VARIABLE,
  OLAP_ETL_PRINCIPAL_VARIABLE,
  OLAP_STREAMING_ACCESS_FILE,
  OLAP_STREAMING_PRINCIPAL_VARIABLE,
} from "./access";
export { DASHBOARD_DEFINITIONS, definitionHash, generateDashboardsScript, REFRESH_PROCEDURE } from "./dashboards";
export { addableToPool, generateOlapDdl } from "./ddl";
export { calendarStatement, generateOlapReferenceData } from "./referenceData";
