// Deterministic names of everything the ETL generator emits: pipelines, folders, triggers, the factory global
// parameters the definitions read, the lake layout, and the SQL objects (schema `etl`) the pipelines call.
import { REFRESH_PROCEDURE } from "../generators/olap";
import type { AdfGlobalParameterSpec, OffHoursTarget } from "./contract";

/** The master pipeline the seed's integration test starts with `{"runDate": "2025-10-20"}`. */
export const MASTER_PIPELINE = "etl_oltp_to_olap";

export const PIPELINES = {
  master: MASTER_PIPELINE,
  /** Opens (or, on a re-run, re-reads) the run's change windows in the OLTP control table. */
  openWindows: "etl_open_windows",
  /** One per extracted OLTP table: `etl_extract_<table>` (lower case). */
  extract: (table: string) => `etl_extract_${table.toLowerCase()}`,
  /** The run itself (windows, extracts, gate, publish, refresh); the master wraps it with the failure path. */
  nightly: "etl_nightly_run",
  dataQuality: "etl_data_quality",
  publish: "etl_publish",
  refreshAggregates: "etl_refresh_aggregates",
  backfill: "etl_backfill",
  schemaDeploy: "etl_schema_deploy",
  /** One part of the schema deployment (the SQL of one target, under Data Factory's 200 KB per pipeline). */
  schemaDeployPart: (target: "oltp" | "warehouse", n: number) => `etl_schema_deploy_${target}_${n}`,
  poolPause: "etl_pool_pause",
  poolResume: "etl_pool_resume",
  /** Outside working hours (dev): stop, then start again, what `olap.pauseSchedule.alsoStop` lists. */
  offHoursStop: "etl_offhours_stop",
  offHoursStart: "etl_offhours_start",
  erasure: "gdpr_erasure",
  /** One per other erasure subject of the model: `gdpr_erasure_<subject>` (snake case, `merchant_contact`). */
  subjectErasure: (subject: string) => `gdpr_erasure_${subject.replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase()}`,
} as const;

export const FOLDERS = {
  nightly: "etl/nightly",
  extract: "etl/nightly/extract",
  operations: "etl/operations",
  gdpr: "gdpr",
} as const;

export const TRIGGERS = {
  nightly: "tr_etl_oltp_to_olap_daily",
  poolResume: "tr_pool_resume",
  poolPause: "tr_pool_pause",
  offHoursStart: "tr_offhours_start",
  offHoursStop: "tr_offhours_stop",
} as const;

/** The schema of every control table and procedure the generated SQL adds, in the OLTP database and in the pool. */
export const ETL_SCHEMA = "etl";

/** The database role the ETL identity joins to run the generated procedures (EXECUTE on schema `etl`). */
export const ETL_EXECUTOR_ROLE = "etl_executor";

/**
 * Factory global parameters the definitions read (`@pipeline().globalParameters.<name>`); components/etl/ sets
 * each one from the stack. None is a secret: names, resource ids and URLs only.
 */
export const GLOBAL_PARAMETERS = {
  lakeDfsEndpoint: {
    type: "String",
    description:
      "The lake's dfs endpoint, `https://<account>.dfs.core.windows.net` (no trailing slash): COPY INTO reads the " +
      "landed Parquet from it with the Synapse workspace's managed identity.",
  },
  lakeRawFileSystem: {
    type: "String",
    description: "The lake file system (container) of the raw zone, where the extracts land (`raw`).",
  },
  etlPrincipalName: {
    type: "String",
    description:
      "Display name of the factory's managed identity, the database user the schema deployment creates " +
      "(`$(EtlPrincipalName)` of the *_etl_access.sql scripts).",
  },
  streamingPrincipalName: {
    type: "String",
    description:
      "Display name of the streaming app's managed identity (the Synapse loader), the database user the schema " +
      "deployment creates (`$(StreamingPrincipalName)` of 15_olap_streaming_access.sql).",
  },
  analystsPrincipalName: {
    type: "String",
    description:
      "Display name of the analysts' Entra group, the database user the schema deployment creates in the pool " +
      "(`$(AnalystsPrincipalName)` of 16_olap_analyst_access.sql): its members sign in and read the star.",
  },
  alwaysEncryptedColumnMasterKeyId: {
    type: "String",
    description:
      "Versioned Key Vault key URI of the Always Encrypted column master key (stack output " +
      "`alwaysEncryptedColumnMasterKeyId`), `$(ColumnMasterKeyPath)` of 00_oltp_column_master_key.sql.",
  },
  sqlPoolResourceId: {
    type: "String",
    description:
      "ARM resource id of the dedicated SQL pool (`/subscriptions/…/workspaces/<ws>/sqlPools/<pool>`): the pause " +
      "and resume pipelines call its `pause` / `resume` actions.",
  },
} as const satisfies Record<string, AdfGlobalParameterSpec>;

/**
 * Global parameters of the off-hours pipelines, one per target of `olap.pauseSchedule.alsoStop`: the factory defines
 * (and the stack sets) only those of the targets the stack stops.
 */
export const OFF_HOURS_GLOBAL_PARAMETERS = {
  fraudScoringAppResourceId: {
    type: "String",
    description:
      "ARM resource id of the fraud-scoring function app (`/subscriptions/…/sites/<app>`): the off-hours pipelines " +
      "call its `stop` / `start` actions.",
  },
  streamingJobResourceId: {
    type: "String",
    description:
      "ARM resource id of the Stream Analytics job (`/subscriptions/…/streamingjobs/<job>`): the off-hours pipelines " +
      "call its `stop` / `start` actions.",
  },
  gatewayResourceId: {
    type: "String",
    description:
      "ARM resource id of the ingestion tier's Application Gateway (`/subscriptions/…/applicationGateways/<gateway>`): " +
      "the off-hours pipelines call its `stop` / `start` actions.",
  },
} as const satisfies Record<string, AdfGlobalParameterSpec>;
export type GlobalParameterName = keyof typeof GLOBAL_PARAMETERS | keyof typeof OFF_HOURS_GLOBAL_PARAMETERS;

/** The global parameter naming each off-hours target's resource id. */
export const OFF_HOURS_PARAMETER = {
  fraudScoring: "fraudScoringAppResourceId",
  streamingJob: "streamingJobResourceId",
  gateway: "gatewayResourceId",
} as const satisfies Record<OffHoursTarget, keyof typeof OFF_HOURS_GLOBAL_PARAMETERS>;

/** `@pipeline().globalParameters.<name>` (inside an expression, without the leading `@`). */
export const globalParameter = (name: GlobalParameterName) => `pipeline().globalParameters.${name}`;

/** Folder of one table's extract for a run date in the raw zone (Hive-style partition, one folder per date). */
export const rawFolder = (table: string) => `oltp/${table}/runDate=`;
/** File name of one table's extract (one file per table and run date; a re-run overwrites it). */
export const rawFile = (table: string) => `${table}.parquet`;

/** The generated OLTP control and extraction procedures. */
export const OLTP_PROCEDURES = {
  openWindows: `[${ETL_SCHEMA}].[usp_OpenExtractionWindows]`,
  window: `[${ETL_SCHEMA}].[usp_ExtractionWindow]`,
  extract: (table: string) => `[${ETL_SCHEMA}].[usp_Extract_${table}]`,
  recordExtraction: `[${ETL_SCHEMA}].[usp_RecordExtraction]`,
  markPublished: `[${ETL_SCHEMA}].[usp_MarkPublished]`,
  eraseCustomer: `[${ETL_SCHEMA}].[usp_EraseCustomer]`,
  /** Any erasure subject's procedure (`usp_EraseCustomer` is the customer's). */
  erase: (procedureName: string) => `[${ETL_SCHEMA}].[${procedureName}]`,
  subjectReferences: `[${ETL_SCHEMA}].[usp_SubjectReferences]`,
  auditErasure: `[${ETL_SCHEMA}].[usp_AuditErasure]`,
} as const;

/** The generated pool procedures. */
export const POOL_PROCEDURES = {
  beginRun: `[${ETL_SCHEMA}].[usp_BeginRun]`,
  recordStaged: `[${ETL_SCHEMA}].[usp_RecordStaged]`,
  checkStaging: `[${ETL_SCHEMA}].[usp_CheckStaging]`,
  publish: `[${ETL_SCHEMA}].[usp_Publish]`,
  failRun: `[${ETL_SCHEMA}].[usp_FailRun]`,
  runResult: `[${ETL_SCHEMA}].[usp_RunResult]`,
  refresh: `[${REFRESH_PROCEDURE.schema}].[${REFRESH_PROCEDURE.name}]`,
  compactStreamFacts: `[${ETL_SCHEMA}].[usp_CompactStreamFacts]`,
  eraseCustomer: `[${ETL_SCHEMA}].[usp_EraseCustomer]`,
  subjectLakePartitions: `[${ETL_SCHEMA}].[usp_SubjectLakePartitions]`,
  forgetLakePartitions: `[${ETL_SCHEMA}].[usp_ForgetLakePartitions]`,
} as const;
