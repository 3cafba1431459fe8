// Builders for Data Factory JSON in the REST shape (`{ name, properties: { type, typeProperties, ... } }`), the
// shape `az datafactory pipeline|dataset|trigger create` accepts (azure-etl-facts.md §6). Pure functions; the
// generator composes them. Property names follow the Data Factory REST API 2018-06-01 (the azure-native
// datafactory module's `*Args` types carry the same names, with `typeProperties` flattened).
import type { AdfResource } from "./contract";
import { ADF_INTEGRATION_RUNTIME, ADF_LINKED_SERVICES } from "./contract";
import type { AdfLinkedServiceRole } from "./contract";

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The outcome of a predecessor an activity waits for (`dependencyConditions`). */
export type DependencyCondition = "Succeeded" | "Failed" | "Skipped" | "Completed";

export interface Activity extends JsonObject {
  name: string;
  type: string;
}

/** `{ value, type: "Expression" }`: a Data Factory expression where the API wants an Expression object. */
export const expression = (value: string): JsonObject => ({ value, type: "Expression" });

export const linkedService = (role: AdfLinkedServiceRole): JsonObject => ({
  referenceName: ADF_LINKED_SERVICES[role],
  type: "LinkedServiceReference",
});
export const datasetRef = (name: string, parameters?: JsonObject): JsonObject => ({
  referenceName: name,
  type: "DatasetReference",
  ...(parameters ? { parameters } : {}),
});
export const pipelineRef = (name: string): JsonObject => ({ referenceName: name, type: "PipelineReference" });
export const integrationRuntime = (): JsonObject => ({
  referenceName: ADF_INTEGRATION_RUNTIME,
  type: "IntegrationRuntimeReference",
});

/** Activity policy: timeout (d.hh:mm:ss), fixed-interval retries, inputs/outputs hidden from the run history. */
export interface Policy {
  timeout: string;
  retry: number;
  retryIntervalInSeconds: number;
  /** Hide the activity's input (a procedure parameter naming a data subject) from the run history. */
  secure?: boolean;
}
export const policy = (p: Policy): JsonObject => ({
  timeout: p.timeout,
  retry: p.retry,
  retryIntervalInSeconds: p.retryIntervalInSeconds,
  secureOutput: p.secure ?? false,
  secureInput: p.secure ?? false,
});

/** Seconds of an ADF timespan `d.hh:mm:ss` (or `hh:mm:ss`). */
export function timespanSeconds(t: string): number {
  const m = /^(?:(\d+)\.)?(\d{2}):(\d{2}):(\d{2})$/.exec(t);
  if (!m) throw new Error(`not an ADF timespan (d.hh:mm:ss): ${t}`);
  return ((Number(m[1] ?? 0) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60 + Number(m[4]);
}

/** The ADF timespan `d.hh:mm:ss` of a number of seconds. */
export function timespan(seconds: number): string {
  const s = Math.ceil(seconds);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(s / 86400)}.${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** Default policies: SQL steps are short and idempotent, so they retry; a data-quality verdict never does. */
export const POLICIES = {
  sql: { timeout: "0.01:00:00", retry: 2, retryIntervalInSeconds: 60 },
  load: { timeout: "0.02:00:00", retry: 1, retryIntervalInSeconds: 120 },
  copy: { timeout: "0.02:00:00", retry: 0, retryIntervalInSeconds: 30 },
  verdict: { timeout: "0.00:30:00", retry: 0, retryIntervalInSeconds: 30 },
  // The publish: minutes a night, but a full reload commits in batches of up to 51M keys (docs/etl.md, "Full reloads
  // in batches"), hours for a grown fact; a cancelled publish leaves its committed batches, so it is never retried.
  publish: { timeout: "0.12:00:00", retry: 0, retryIntervalInSeconds: 30 },
  web: { timeout: "0.00:10:00", retry: 3, retryIntervalInSeconds: 60 },
} as const satisfies Record<string, Policy>;

/**
 * The SQL linked services' `commandTimeout` (seconds): the longest activity timeout above. Data Factory documents the
 * property ("The default wait time (in seconds) before terminating the attempt to execute a command and generating an
 * error, used by recommended version": the azure-native and ARM schema descriptions, Microsoft.DataFactory
 * AzureSqlDWLinkedService) but neither its default nor which activities obey it, and SqlClient's own default is 30
 * seconds: left unset, it might cut the publish (minutes a night, hours on a full reload) and every longer stored
 * procedure call short. Set to the longest policy, each activity's own timeout (its policy, a Script's
 * `scriptBlockExecutionTimeout`, a Lookup's `queryTimeout`) decides, as the definitions intend.
 */
export const SQL_COMMAND_TIMEOUT_SECONDS = Math.max(...Object.values(POLICIES).map((p) => timespanSeconds(p.timeout)));

export const dependsOn = (...deps: (string | [string, DependencyCondition])[]): Json[] =>
  deps.map((d) => {
    const [activity, condition] = typeof d === "string" ? [d, "Succeeded"] : d;
    return { activity, dependencyConditions: [condition] };
  });

interface ActivityOptions {
  description?: string;
  dependsOn?: Json[];
  policy?: Policy;
}

function activity(
  name: string,
  type: string,
  typeProperties: JsonObject,
  o: ActivityOptions & { linkedServiceName?: JsonObject } = {},
): Activity {
  return {
    name,
    type,
    ...(o.description ? { description: o.description } : {}),
    dependsOn: o.dependsOn ?? [],
    ...(o.policy ? { policy: policy(o.policy) } : {}),
    ...(o.linkedServiceName ? { linkedServiceName: o.linkedServiceName } : {}),
    userProperties: [],
    typeProperties,
  };
}

/** A stored procedure parameter; Data Factory passes dates as strings (`yyyy-MM-dd`), SQL converts them. */
export type ProcParameterType = "String" | "Int32" | "Int64" | "Boolean";
export type ProcParameters = Record<string, { value: string; type: ProcParameterType }>;

const procParameters = (params: ProcParameters): JsonObject =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { value: v.value, type: v.type }]));

/** Stored Procedure activity (`SqlServerStoredProcedure`) on the OLTP database or the pool. */
export const storedProcedure = (
  name: string,
  target: "oltp" | "warehouse",
  procedure: string,
  params: ProcParameters,
  o: ActivityOptions = {},
): Activity =>
  activity(
    name,
    "SqlServerStoredProcedure",
    { storedProcedureName: procedure, storedProcedureParameters: procParameters(params) },
    { policy: POLICIES.sql, ...o, linkedServiceName: linkedService(target) },
  );

/** Lookup activity calling a stored procedure through a query dataset; returns its first (or every) row. */
export const lookupProcedure = (
  name: string,
  target: "oltp" | "warehouse",
  procedure: string,
  params: ProcParameters,
  o: ActivityOptions & { firstRowOnly?: boolean } = {},
): Activity =>
  activity(
    name,
    "Lookup",
    {
      source: {
        type: target === "oltp" ? "AzureSqlSource" : "SqlDWSource",
        sqlReaderStoredProcedureName: procedure,
        storedProcedureParameters: procParameters(params),
        queryTimeout: "00:30:00",
      },
      dataset: datasetRef(target === "oltp" ? DATASETS.oltp : DATASETS.warehouse),
      firstRowOnly: o.firstRowOnly ?? true,
    },
    { policy: POLICIES.sql, ...o },
  );

/** Script activity: one NonQuery block per T-SQL batch (Script activities do not understand `GO`). */
export const script = (
  name: string,
  target: AdfLinkedServiceRole,
  blocks: string[],
  o: ActivityOptions & { timeout?: string } = {},
): Activity =>
  activity(
    name,
    "Script",
    {
      scripts: blocks.map((text) => ({ type: "NonQuery", text })),
      scriptBlockExecutionTimeout: o.timeout ?? "02:00:00",
    },
    { policy: POLICIES.sql, ...o, linkedServiceName: linkedService(target) },
  );

export const executePipeline = (
  name: string,
  pipeline: string,
  parameters: JsonObject,
  o: Omit<ActivityOptions, "policy"> = {},
): Activity =>
  activity(name, "ExecutePipeline", { pipeline: pipelineRef(pipeline), waitOnCompletion: true, parameters }, o);

export const fail = (name: string, message: string, errorCode: string, o: ActivityOptions = {}): Activity =>
  activity(name, "Fail", { message, errorCode }, o);

/**
 * Set Variable activity. `secure` hides its input and output from the run history (a SetVariable's policy has only
 * `secureInput`/`secureOutput`), e.g. a variable holding a data subject's id.
 */
export const setVariable = (
  name: string,
  variableName: string,
  value: string,
  o: Omit<ActivityOptions, "policy"> & { secure?: boolean } = {},
): Activity => ({
  ...activity(name, "SetVariable", { variableName, value }, { dependsOn: o.dependsOn, description: o.description }),
  ...(o.secure ? { policy: { secureInput: true, secureOutput: true } } : {}),
});

/**
 * Sets the pipeline's return value (`pipelineReturnValue`): this activity's output, and the output of a parent's Execute
 * Pipeline activity (a pipeline run itself has no output property).
 */
export const setReturnValue = (name: string, values: Record<string, string>, o: ActivityOptions = {}): Activity =>
  activity(
    name,
    "SetVariable",
    {
      variableName: "pipelineReturnValue",
      // An expression (`@…`) is evaluated; anything else is returned as the literal string.
      value: Object.entries(values).map(([key, v]) => ({
        key,
        value: v.startsWith("@") ? { type: "Expression", content: v } : { type: "String", content: v },
      })),
      setSystemVariable: true,
    },
    o,
  );

export const wait = (name: string, seconds: number | string, o: ActivityOptions = {}): Activity =>
  activity(name, "Wait", { waitTimeInSeconds: typeof seconds === "number" ? seconds : expression(seconds) }, o);

export const ifCondition = (
  name: string,
  condition: string,
  ifTrue: Activity[],
  ifFalse: Activity[],
  o: ActivityOptions = {},
): Activity =>
  activity(
    name,
    "IfCondition",
    {
      expression: expression(condition),
      ...(ifTrue.length ? { ifTrueActivities: ifTrue } : {}),
      ...(ifFalse.length ? { ifFalseActivities: ifFalse } : {}),
    },
    o,
  );

export const forEach = (
  name: string,
  items: string,
  activities: Activity[],
  o: ActivityOptions & { sequential?: boolean; batchCount?: number } = {},
): Activity =>
  activity(
    name,
    "ForEach",
    {
      items: expression(items),
      isSequential: o.sequential ?? false,
      ...(o.sequential ? {} : { batchCount: o.batchCount ?? 20 }),
      activities,
    },
    o,
  );

export const until = (
  name: string,
  condition: string,
  activities: Activity[],
  timeout: string,
  o: ActivityOptions = {},
): Activity => activity(name, "Until", { expression: expression(condition), timeout, activities }, o);

/** Web activity authenticated as the factory's user-assigned identity (through the factory credential). */
export const web = (
  name: string,
  method: "GET" | "POST",
  url: string,
  credential: string,
  o: ActivityOptions & { body?: string; resource?: string; turnOffAsync?: boolean } = {},
): Activity =>
  activity(
    name,
    "WebActivity",
    {
      method,
      url,
      ...(method === "POST" ? { headers: { "Content-Type": "application/json" }, body: o.body ?? "{}" } : {}),
      // true: a 202 completes the activity (the Location it names is not polled, which would need rights there).
      ...(o.turnOffAsync ? { turnOffAsync: true } : {}),
      authentication: {
        type: "UserAssignedManagedIdentity",
        resource: o.resource ?? "https://management.azure.com/",
        credential: { referenceName: credential, type: "CredentialReference" },
      },
      connectVia: integrationRuntime(),
    },
    { policy: POLICIES.web, ...o },
  );

export { activity as genericActivity };

/** Data Factory pipeline resource. */
export function pipeline(
  name: string,
  p: {
    description: string;
    folder: string;
    activities: Activity[];
    /** `SecureString`: the value is masked in the run history (ADFPipelineRun.Parameters included). */
    parameters?: Record<string, { type: "String" | "SecureString" | "Bool" | "Int" | "Array"; defaultValue?: Json }>;
    variables?: Record<string, { type: "String" | "Bool" | "Array"; defaultValue?: Json }>;
    concurrency?: number;
  },
): AdfResource {
  return {
    name,
    properties: {
      description: p.description,
      activities: p.activities,
      ...(p.parameters ? { parameters: p.parameters } : {}),
      ...(p.variables ? { variables: p.variables } : {}),
      ...(p.concurrency ? { concurrency: p.concurrency } : {}),
      folder: { name: p.folder },
      annotations: ["generated from pipelines/model"],
    },
  };
}

/** Names of the datasets the generated pipelines use. */
export const DATASETS = {
  /** Query dataset on the OLTP database (Lookup and Copy sources run procedures or queries, never a table). */
  oltp: "ds_oltp_sql",
  /** Query dataset on the dedicated pool. */
  warehouse: "ds_synapse_pool",
  /** A Parquet file or folder in the lake (file system, folder, file given by the pipeline). */
  lakeParquet: "ds_lake_parquet",
  /** A folder of the lake, for Delete and Get Metadata activities (any format). */
  lakeFolder: "ds_lake_folder",
  /** A Cosmos DB container of the account's database (container given by the pipeline). */
  cosmosContainer: "ds_cosmos_container",
} as const;
