// Datasets, and one extract pipeline per extracted OLTP table: the table's change window → Parquet in the lake's raw
// zone (one folder per run date) → COPY INTO its staging table → row counts recorded on both sides.
import type { AdfResource } from "./contract";
import {
  type Activity,
  DATASETS,
  dependsOn,
  datasetRef,
  expression,
  fail,
  ifCondition,
  linkedService,
  lookupProcedure,
  pipeline,
  POLICIES,
  script,
  setVariable,
  storedProcedure,
  timespan,
  timespanSeconds,
  until,
  wait,
  genericActivity,
} from "./adf";
import { q, qualified } from "../generators/tsql";
import type { ExtractedTable } from "./groups";
import type { SqlType } from "../model/types";
import { FOLDERS, globalParameter, OLTP_PROCEDURES, PIPELINES, POOL_PROCEDURES, rawFile, rawFolder } from "./names";

/** The run date, validated (formatDateTime fails on anything that is not a date): safe inside SQL text. */
export const RUN_DATE = "formatDateTime(pipeline().parameters.runDate, 'yyyy-MM-dd')";

/** Attempts of an extraction before the pipeline fails, and the back-off after each failed attempt (seconds). */
export const EXTRACT_ATTEMPTS = 4;
export const BACKOFF_SECONDS = [30, 120, 480];
/**
 * The retry loop's timeout: room for every attempt to run its copy to the copy's own timeout, the back-offs between
 * them, and 15 minutes for the loop's other steps. An Until's timeout is the loop's ("time out for the loop",
 * control-flow-until-activity), so a shorter one would cut the attempts after a hung copy and report the first
 * attempt's error as the last one's.
 */
export const EXTRACT_LOOP_TIMEOUT = timespan(
  EXTRACT_ATTEMPTS * timespanSeconds(POLICIES.copy.timeout) + BACKOFF_SECONDS.reduce((a, b) => a + b, 0) + 15 * 60,
);

/**
 * Copy settings sized for 1M payments a night in minutes (docs/etl.md): DIUs for the Parquet write, parallel copies for
 * a partitioned full reload (changes come from one procedure call: one reader).
 */
export const COPY_SETTINGS = {
  dataIntegrationUnits: 8,
  fullReloadParallelCopies: 8,
} as const;

export function datasets(): AdfResource[] {
  const location = (params: string[]) =>
    Object.fromEntries([["type", "AzureBlobFSLocation"], ...params.map((p) => [p, expression(`@dataset().${p}`)])]);
  const stringParams = (names: string[]) => Object.fromEntries(names.map((n) => [n, { type: "String" }]));
  return [
    {
      name: DATASETS.oltp,
      properties: {
        description: "The OLTP database; sources are procedures or queries, never a whole table by name.",
        type: "AzureSqlTable",
        linkedServiceName: linkedService("oltp"),
        annotations: [],
        typeProperties: {},
      },
    },
    {
      name: DATASETS.warehouse,
      properties: {
        description: "The dedicated SQL pool; sources are procedures.",
        type: "AzureSqlDWTable",
        linkedServiceName: linkedService("warehouse"),
        annotations: [],
        typeProperties: {},
      },
    },
    {
      name: DATASETS.lakeParquet,
      properties: {
        description: "One Parquet file in the lake (snappy).",
        type: "Parquet",
        linkedServiceName: linkedService("lake"),
        parameters: stringParams(["fileSystem", "folderPath", "fileName"]),
        annotations: [],
        typeProperties: { location: location(["fileSystem", "folderPath", "fileName"]), compressionCodec: "snappy" },
      },
    },
    {
      name: DATASETS.lakeFolder,
      properties: {
        description: "A folder of the lake, any format (existence checks and deletes).",
        type: "Binary",
        linkedServiceName: linkedService("lake"),
        parameters: stringParams(["fileSystem", "folderPath"]),
        annotations: [],
        typeProperties: { location: location(["fileSystem", "folderPath"]) },
      },
    },
    {
      name: DATASETS.cosmosContainer,
      properties: {
        description: "A container of the Cosmos DB database (NoSQL API).",
        type: "CosmosDbSqlApiCollection",
        linkedServiceName: linkedService("cosmos"),
        parameters: stringParams(["container"]),
        annotations: [],
        typeProperties: { collectionName: expression("@dataset().container") },
      },
    },
  ];
}

/** Explicit column mapping (source name = sink name = staging column), in staging order. */
export const translator = (x: ExtractedTable) => ({
  type: "TabularTranslator",
  mappings: x.staging.columns.map((c) => ({ source: { name: c.name }, sink: { name: c.name } })),
});

const sinkDataset = (x: ExtractedTable) =>
  datasetRef(DATASETS.lakeParquet, {
    fileSystem: `@${globalParameter("lakeRawFileSystem")}`,
    folderPath: `@concat('${rawFolder(x.table.name)}', ${RUN_DATE})`,
    fileName: rawFile(x.table.name),
  });

const parquetSink = {
  type: "ParquetSink",
  storeSettings: { type: "AzureBlobFSWriteSettings" },
  formatSettings: { type: "ParquetWriteSettings" },
};

/** Copy of the run's changes (the extraction procedure: window, related rows, snapshot read). */
function copyChanges(x: ExtractedTable): Activity {
  return genericActivity(
    "CopyChanges",
    "Copy",
    {
      source: {
        type: "AzureSqlSource",
        sqlReaderStoredProcedureName: OLTP_PROCEDURES.extract(x.table.name),
        storedProcedureParameters: { RunDate: { type: "String", value: `@${RUN_DATE}` } },
        queryTimeout: "02:00:00",
        partitionOption: "None",
      },
      sink: parquetSink,
      enableStaging: false,
      dataIntegrationUnits: COPY_SETTINGS.dataIntegrationUnits,
      translator: translator(x),
    },
    { policy: POLICIES.copy, description: `Changes of ${x.query.source} in the run's window → raw zone` },
  ) as Activity & { inputs?: unknown };
}

/**
 * Column types Data Factory's dynamic range partitioning of an Azure SQL source accepts: "the source column in integer
 * or date/datetime type (int, smallint, bigint, date, smalldatetime, datetime, datetime2, or datetimeoffset)"
 * (learn.microsoft.com/azure/data-factory/connector-azure-sql-database, partitionColumnName). Any other type fails the
 * copy at run time.
 */
const RANGE_PARTITION_KINDS: ReadonlySet<SqlType["kind"]> = new Set(["int", "smallint", "bigint", "date", "datetime2"]);

/**
 * The column a full reload reads in ranges: the primary key's first column when Data Factory can partition on its
 * type, else none (a single read: tables keyed by a code, such as Currency's CHAR(3), are small reference tables).
 */
export function fullReloadPartitionColumn(table: ExtractedTable["table"]): string | undefined {
  const key = table.primaryKey.columns[0];
  const type = table.columns.find((c) => c.name === key)?.type;
  return type && RANGE_PARTITION_KINDS.has(type.kind) ? key : undefined;
}

/** Copy of the whole table (first run, or a window older than the retention): range-partitioned parallel reads. */
function copyFull(x: ExtractedTable): Activity {
  const key = fullReloadPartitionColumn(x.table);
  const nulls = [x.positionColumn, x.operationColumn].map((c) => {
    const type = x.staging.columns.find((s) => s.name === c)?.type;
    return `CAST(NULL AS ${type?.kind === "binary" ? "BINARY(10)" : type?.kind === "char" ? "CHAR(1)" : type?.kind === "int" ? "INT" : "BIGINT"}) AS ${q(c)}`;
  });
  return genericActivity(
    "CopyFull",
    "Copy",
    {
      source: {
        type: "AzureSqlSource",
        sqlReaderQuery:
          `SELECT ${[...nulls, ...x.dataColumns.map((c) => `t.${q(c.name)}`)].join(", ")} FROM ${qualified(x.table.schema, x.table.name)} AS t` +
          (key ? " WHERE ?AdfDynamicRangePartitionCondition" : ""),
        queryTimeout: "02:00:00",
        isolationLevel: "Snapshot",
        ...(key
          ? { partitionOption: "DynamicRange", partitionSettings: { partitionColumnName: key } }
          : { partitionOption: "None" }),
      },
      sink: parquetSink,
      enableStaging: false,
      ...(key ? { parallelCopies: COPY_SETTINGS.fullReloadParallelCopies } : {}),
      dataIntegrationUnits: COPY_SETTINGS.dataIntegrationUnits,
      translator: translator(x),
    },
    {
      policy: POLICIES.copy,
      description: key
        ? `All of ${x.query.source} (full reload), read in ${key} ranges in parallel`
        : `All of ${x.query.source} (full reload), in one read (its key's type cannot be range-partitioned)`,
    },
  );
}

/** Attach inputs/outputs (the generic builder has none). */
const withDatasets = (a: Activity, x: ExtractedTable): Activity => ({
  ...a,
  inputs: [datasetRef(DATASETS.oltp)],
  outputs: [sinkDataset(x)],
});

/** The COPY INTO statement loading one table's landed Parquet into its staging table (pool side). */
export function copyIntoStatement(x: ExtractedTable): string {
  const path =
    `@{${globalParameter("lakeDfsEndpoint")}}/@{${globalParameter("lakeRawFileSystem")}}/` +
    `${rawFolder(x.table.name)}@{${RUN_DATE}}/${rawFile(x.table.name)}`;
  return [
    `COPY INTO ${qualified(x.staging.schema, x.staging.name)} (${x.staging.columns.map((c) => q(c.name)).join(", ")})`,
    `FROM '${path}'`,
    "WITH (FILE_TYPE = 'PARQUET', CREDENTIAL = (IDENTITY = 'Managed Identity'), AUTO_CREATE_TABLE = 'OFF')",
  ].join("\n");
}

export function extractPipeline(x: ExtractedTable): AdfResource {
  const t = x.table.name;
  const backoff = `@if(greaterOrEquals(int(variables('attempt')), ${EXTRACT_ATTEMPTS}), 1, if(equals(variables('attempt'), '1'), ${BACKOFF_SECONDS[0]}, if(equals(variables('attempt'), '2'), ${BACKOFF_SECONDS[1]}, ${BACKOFF_SECONDS[2]})))`;
  const loop: Activity[] = [
    ifCondition(
      "FullOrChanges",
      "@bool(activity('Window').output.firstRow.IsFullReload)",
      [
        withDatasets(copyFull(x), x),
        setVariable("RowsFull", "rows", "@string(activity('CopyFull').output.rowsRead)", {
          dependsOn: dependsOn("CopyFull"),
        }),
      ],
      [
        withDatasets(copyChanges(x), x),
        setVariable("RowsChanges", "rows", "@string(activity('CopyChanges').output.rowsRead)", {
          dependsOn: dependsOn("CopyChanges"),
        }),
      ],
    ),
    setVariable("Done", "done", "yes", { dependsOn: dependsOn("FullOrChanges") }),
    setVariable("KeepError", "lastError", "@activity('FullOrChanges').error.message", {
      dependsOn: dependsOn(["FullOrChanges", "Failed"]),
    }),
    setVariable("NextAttempt", "nextAttempt", "@string(add(int(variables('attempt')), 1))", {
      dependsOn: dependsOn("KeepError"),
    }),
    wait("BackOff", backoff, { dependsOn: dependsOn("NextAttempt") }),
    setVariable("CountAttempt", "attempt", "@variables('nextAttempt')", { dependsOn: dependsOn("BackOff") }),
  ];
  const staged = `@equals(variables('rows'), '0')`;
  const record = { dependsOn: dependsOn("Stage") };
  return pipeline(PIPELINES.extract(t), {
    description:
      `Extracts ${x.query.source} (${x.mode === "cdc" ? "CDC net changes over an LSN window" : "change tracking over a version window"}) ` +
      `for runDate into the raw zone (${rawFolder(t)}<runDate>/${rawFile(t)}), then COPY INTO ${x.query.staging}. ` +
      `Up to ${EXTRACT_ATTEMPTS} attempts with back-off (${BACKOFF_SECONDS.join(" s, ")} s). Generated from pipelines/model.`,
    folder: FOLDERS.extract,
    parameters: { runDate: { type: "String" }, runId: { type: "String" } },
    variables: {
      attempt: { type: "String", defaultValue: "1" },
      nextAttempt: { type: "String", defaultValue: "1" },
      done: { type: "String", defaultValue: "no" },
      rows: { type: "String", defaultValue: "0" },
      lastError: { type: "String", defaultValue: "" },
    },
    activities: [
      lookupProcedure("Window", "oltp", OLTP_PROCEDURES.window, {
        RunDate: { value: `@${RUN_DATE}`, type: "String" },
        TableName: { value: t, type: "String" },
      }),
      until(
        "ExtractWithBackoff",
        `@or(equals(variables('done'), 'yes'), greater(int(variables('attempt')), ${EXTRACT_ATTEMPTS}))`,
        loop,
        EXTRACT_LOOP_TIMEOUT,
        { dependsOn: dependsOn("Window") },
      ),
      ifCondition(
        "Extracted",
        "@equals(variables('done'), 'yes')",
        [],
        [
          fail(
            "ExtractFailed",
            `@concat('Extraction of ${x.query.source} failed after ${EXTRACT_ATTEMPTS} attempts: ', variables('lastError'))`,
            "ETL_EXTRACT_FAILED",
          ),
        ],
        // On completion, not success: an iteration whose attempt failed can leave the Until activity reported as
        // failed even after a later attempt worked (a skipped leaf takes its failed parent's outcome,
        // data-factory/tutorial-pipeline-failure-error-handling); `done` says whether an attempt succeeded.
        { dependsOn: dependsOn(["ExtractWithBackoff", "Completed"]) },
      ),
      ifCondition(
        "Stage",
        staged,
        [script("TruncateOnly", "warehouse", [`TRUNCATE TABLE ${qualified(x.staging.schema, x.staging.name)}`])],
        [
          script(
            "CopyIntoStaging",
            "warehouse",
            [`TRUNCATE TABLE ${qualified(x.staging.schema, x.staging.name)}`, copyIntoStatement(x)],
            { policy: POLICIES.load },
          ),
        ],
        { dependsOn: dependsOn("Extracted") },
      ),
      storedProcedure(
        "RecordStaged",
        "warehouse",
        POOL_PROCEDURES.recordStaged,
        {
          RunDate: { value: `@${RUN_DATE}`, type: "String" },
          RunId: { value: "@pipeline().parameters.runId", type: "String" },
          TableName: { value: t, type: "String" },
          SourceRows: { value: "@variables('rows')", type: "Int64" },
        },
        record,
      ),
      storedProcedure(
        "RecordExtraction",
        "oltp",
        OLTP_PROCEDURES.recordExtraction,
        {
          RunDate: { value: `@${RUN_DATE}`, type: "String" },
          TableName: { value: t, type: "String" },
          Rows: { value: "@variables('rows')", type: "Int64" },
        },
        record,
      ),
    ],
  });
}
