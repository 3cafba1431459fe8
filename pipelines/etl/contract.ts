/**
 * The contract between the ETL definitions generated from the data model (pipelines/etl/, committed as JSON under
 * pipelines/adf/) and the Data Factory that runs them (components/etl/): the names the definitions reference and
 * the factory provides. The generator references only these; the component creates exactly these, and a test on
 * each side holds it.
 */

/** Linked services the factory provides (managed identity only), by role. Definitions reference them by name. */
export const ADF_LINKED_SERVICES = {
  /** The OLTP Azure SQL database (failover group listener when there is one). */
  oltp: "ls_oltp_sql",
  /** The Synapse dedicated SQL pool. */
  warehouse: "ls_synapse_pool",
  /** The data lake's dfs endpoint (ADLS Gen2). */
  lake: "ls_lake",
  /** The Cosmos DB (NoSQL) account's database. */
  cosmos: "ls_cosmos",
} as const;
export type AdfLinkedServiceRole = keyof typeof ADF_LINKED_SERVICES;

/** The Azure integration runtime inside the factory's managed virtual network that every linked service uses. */
export const ADF_INTEGRATION_RUNTIME = "ir-managed-vnet";

/**
 * What the stack's `olap.pauseSchedule.alsoStop` may stop outside working hours: the fraud-scoring function app (its
 * Azure SQL trigger and merchant refresh keep a serverless database awake around the clock, and its always-ready
 * instance is billed while it runs), the Stream Analytics job (billed per streaming unit-hour while it runs) and the
 * ingestion tier's WAF gateway (billed per gateway hour and capacity unit while it runs).
 */
export const OFF_HOURS_TARGETS = ["fraudScoring", "streamingJob", "gateway"] as const;
export type OffHoursTarget = (typeof OFF_HOURS_TARGETS)[number];

/** Factory global parameters the definitions read (`@pipeline().globalParameters.<name>`); the factory sets each. */
export type AdfGlobalParameterType = "String" | "Int" | "Bool";
export interface AdfGlobalParameterSpec {
  readonly type: AdfGlobalParameterType;
  readonly description: string;
}

/**
 * One Data Factory child resource in the REST shape (`properties` with nested `typeProperties`): the JSON
 * `az datafactory pipeline|dataset|trigger create --pipeline|--properties @file` accepts, committed under
 * pipelines/adf/<kind>/<name>.json. components/etl/ converts it to the azure-native input shape.
 */
export interface AdfResource {
  readonly name: string;
  readonly properties: Record<string, unknown>;
}

export interface AdfDefinitions {
  readonly pipelines: readonly AdfResource[];
  readonly datasets: readonly AdfResource[];
  readonly triggers: readonly AdfResource[];
  /** Global parameters the definitions read; the factory defines every one of them. */
  readonly globalParameters: Readonly<Record<string, AdfGlobalParameterSpec>>;
}

/** What differs per stack in the generated definitions (everything else comes from the data model). */
export interface AdfGenerationOptions {
  /**
   * The stack's `olap.pauseSchedule` (dev): adds schedule triggers for the pool's pause and resume pipelines, in that
   * time zone (ADF schedule triggers accept a Windows time zone id).
   */
  readonly poolPauseSchedule?: {
    readonly timeZone: string;
    readonly resumeAt: string;
    readonly pauseAt: string;
    readonly weekdaysOnly: boolean;
    /** Resume the pool at `resumeAt` (absent = true); false: paused at `pauseAt`, resumed on demand. */
    readonly resumePool?: boolean;
    /** What else stops outside working hours (off-hours pipelines and triggers; none when empty or absent). */
    readonly alsoStop?: readonly OffHoursTarget[];
  };
}

/**
 * The factory credential (`factories/credentials`) naming the factory's user-assigned identity: Web activities
 * (the pool's pause/resume ARM calls) authenticate with it, as the linked services do.
 */
export const ADF_CREDENTIAL = "cred-etl-identity";

/**
 * Linked services of the schema deployment pipeline only (`etl_schema_deploy`): the OLTP database and the pool, signed
 * in as the *deployment* identity (a member of the databases' Entra admin group: `sys.sp_cdc_enable_db`, CREATE
 * SCHEMA, CREATE USER need db_owner), through its own credential. The nightly pipelines never use them, so the ETL
 * identity keeps only the grants of the *_etl_access.sql and *_etl_* scripts.
 */
export const ADF_DEPLOYMENT_LINKED_SERVICES = {
  oltp: "ls_oltp_sql_deploy",
  warehouse: "ls_synapse_pool_deploy",
} as const;

/**
 * Data Factory's limit on one pipeline object: "Bytes per object for pipeline objects: 200 KB", a maximum that
 * support cannot raise (MicrosoftDocs/azure-docs includes/azure-data-factory-limits.md, version 2 table).
 */
export const ADF_PIPELINE_MAX_BYTES = 200 * 1024;
