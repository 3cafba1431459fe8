// Operations pipelines: the schema deployment (the generated SQL applied to the OLTP database and the pool, CDC setup
// included) and the dedicated pool's pause / resume (ARM actions called with the factory's identity), with the
// schedule triggers of the stack's pause schedule (dev).
import type { AdfGenerationOptions, AdfResource } from "./contract";
import { ADF_CREDENTIAL, ADF_DEPLOYMENT_LINKED_SERVICES } from "./contract";
import {
  type Activity,
  dependsOn,
  genericActivity,
  ifCondition,
  pipeline,
  pipelineRef,
  POLICIES,
  setReturnValue,
  until,
  wait,
  web,
} from "./adf";
import { generateSqlFiles, targetOf, type GeneratedFile } from "../generators/files";
import { FOLDERS, globalParameter, PIPELINES, TRIGGERS, type GlobalParameterName } from "./names";

/** sqlcmd variables of the generated scripts → the factory global parameter that supplies each. */
export const SQLCMD_VARIABLES: Readonly<Record<string, GlobalParameterName>> = {
  EtlPrincipalName: "etlPrincipalName",
  StreamingPrincipalName: "streamingPrincipalName",
  ColumnMasterKeyPath: "alwaysEncryptedColumnMasterKeyId",
};

/** The batches of a generated script (split at `GO`), with sqlcmd variables bound to global parameters. */
export function scriptBlocks(f: GeneratedFile): string[] {
  return f.content
    .split(/^GO$/m)
    .map((b) => b.trim())
    .filter((b) => b && !/^(--[^\n]*\n?)*$/.test(b))
    .map((b) => {
      if (b.includes("@{")) throw new Error(`${f.file}: '@{' would be read as a Data Factory expression`);
      const bound = b.replace(/\$\((\w+)\)/g, (_, v: string) => {
        const p = SQLCMD_VARIABLES[v];
        if (!p) throw new Error(`${f.file}: sqlcmd variable $(${v}) has no global parameter`);
        return `@{${globalParameter(p)}}`;
      });
      // A value starting with '@' is an expression in Data Factory: '@@' escapes it.
      return bound.startsWith("@") ? `@${bound}` : bound;
    });
}

/** Activity name of a script file: `Apply_05_oltp_etl_extraction`. */
export const applyActivityName = (file: string) => `Apply_${file.replace(/\.sql$/, "")}`;

function schemaDeployPipeline(files: GeneratedFile[]): AdfResource {
  const sql = files.filter((f) => f.file.endsWith(".sql"));
  const activities: Activity[] = [];
  for (const target of ["oltp", "warehouse"] as const) {
    let previous: string | undefined;
    for (const f of sql.filter((x) => targetOf(x.file) === target)) {
      const name = applyActivityName(f.file);
      activities.push(
        genericActivity(
          name,
          "Script",
          {
            scripts: scriptBlocks(f).map((text) => ({ type: "NonQuery", text })),
            scriptBlockExecutionTimeout: "02:00:00",
          },
          {
            description: `pipelines/sql/${f.file}`,
            dependsOn: previous ? dependsOn(previous) : [],
            policy: { ...POLICIES.sql, timeout: "0.03:00:00" },
          },
        ),
      );
      const a = activities[activities.length - 1];
      a.linkedServiceName = { referenceName: ADF_DEPLOYMENT_LINKED_SERVICES[target], type: "LinkedServiceReference" };
      previous = name;
    }
  }
  return pipeline(PIPELINES.schemaDeploy, {
    description:
      "Applies the generated SQL (pipelines/sql, in order, one Script block per batch) to the OLTP database " +
      "(schema, CDC and change tracking, reference data, ETL access and procedures) and to the pool (star, " +
      "reference data, dashboards, ETL access and load procedures). Runs as the deployment identity (db_owner: " +
      "sys.sp_cdc_enable_db needs it), never as the nightly ETL's. The Always Encrypted column encryption keys " +
      "(00_oltp_column_encryption_keys.ps1) are created client-side beforehand. Every statement is idempotent.",
    folder: FOLDERS.operations,
    activities,
  });
}

const poolUrl = (suffix: string) =>
  `@concat('https://management.azure.com', ${globalParameter("sqlPoolResourceId")}, '${suffix}?api-version=2021-06-01')`;

/** GET the pool's status into the activity output (`properties.status`: Online, Paused, Resuming, Pausing…). */
const status = (name: string, o: { dependsOn?: ReturnType<typeof dependsOn> } = {}) =>
  web(name, "GET", poolUrl(""), ADF_CREDENTIAL, o);

function poolActionPipeline(action: "pause" | "resume"): AdfResource {
  const from = action === "pause" ? "Online" : "Paused";
  const to = action === "pause" ? "Paused" : "Online";
  const activities: Activity[] = [
    status("Status"),
    ifCondition(
      "NeedsAction",
      `@equals(activity('Status').output.properties.status, '${from}')`,
      [web(action === "pause" ? "Pause" : "Resume", "POST", poolUrl(`/${action}`), ADF_CREDENTIAL, { body: "{}" })],
      [],
      { dependsOn: dependsOn("Status") },
    ),
    until(
      `WaitUntil${to}`,
      `@equals(activity('Poll').output.properties.status, '${to}')`,
      [wait("Pause30s", 30), status("Poll", { dependsOn: dependsOn("Pause30s") })],
      "0.01:00:00",
      { dependsOn: dependsOn("NeedsAction") },
    ),
    // The caller (the dev nightly run) learns whether the pool was asleep, to put it back to sleep afterwards.
    setReturnValue(
      "ReturnState",
      {
        [action === "pause" ? "wasOnline" : "wasPaused"]:
          `@equals(activity('Status').output.properties.status, '${from}')`,
      },
      { dependsOn: dependsOn(`WaitUntil${to}`) },
    ),
  ];
  return pipeline(action === "pause" ? PIPELINES.poolPause : PIPELINES.poolResume, {
    description:
      `${action === "pause" ? "Pauses" : "Resumes"} the dedicated SQL pool (ARM ${action} action with the factory's ` +
      `managed identity, which needs the pool's read/${action} actions) when it is ${from}, then waits until it is ${to}.`,
    folder: FOLDERS.operations,
    activities,
  });
}

/** Schedule triggers of the pool pause schedule (dev): resume before working hours, pause after. */
function poolTriggers(options: AdfGenerationOptions): AdfResource[] {
  const s = options.poolPauseSchedule;
  if (!s) return [];
  const at = (hhmm: string) => {
    const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
    if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
      throw new Error(`olap.pauseSchedule: '${hhmm}' is not a time of day (HH:mm)`);
    }
    return { hours: [Number(m[1])], minutes: [Number(m[2])] };
  };
  const trigger = (name: string, target: string, hhmm: string, verb: string): AdfResource => ({
    name,
    properties: {
      description: `${verb} the dedicated SQL pool at ${hhmm} (${s.timeZone})${s.weekdaysOnly ? " on weekdays" : " every day"}.`,
      type: "ScheduleTrigger",
      annotations: [],
      pipelines: [{ pipelineReference: pipelineRef(target), parameters: {} }],
      typeProperties: {
        recurrence: {
          frequency: s.weekdaysOnly ? "Week" : "Day",
          interval: 1,
          // A time zone other than UTC takes a local start time without an offset (Data Factory's schedule trigger).
          startTime: s.timeZone === "UTC" ? "2025-01-01T00:00:00Z" : "2025-01-01T00:00:00",
          timeZone: s.timeZone,
          schedule: {
            ...at(hhmm),
            ...(s.weekdaysOnly ? { weekDays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"] } : {}),
          },
        },
      },
    },
  });
  return [
    trigger(TRIGGERS.poolResume, PIPELINES.poolResume, s.resumeAt, "Resumes"),
    trigger(TRIGGERS.poolPause, PIPELINES.poolPause, s.pauseAt, "Pauses"),
  ];
}

export function operationsPipelines(model: Parameters<typeof generateSqlFiles>[0]): AdfResource[] {
  return [schemaDeployPipeline(generateSqlFiles(model)), poolActionPipeline("pause"), poolActionPipeline("resume")];
}

export { poolTriggers };
