// Operations pipelines: the schema deployment (the generated SQL applied to the OLTP database and the pool, CDC setup
// included), the dedicated pool's pause / resume and the off-hours stop / start of what the pause schedule also stops
// (ARM actions called with the factory's identity), with the schedule triggers of the stack's pause schedule (dev).
import type { AdfGenerationOptions, AdfGlobalParameterSpec, AdfResource, OffHoursTarget } from "./contract";
import { ADF_CREDENTIAL, ADF_DEPLOYMENT_LINKED_SERVICES } from "./contract";
import {
  type Activity,
  dependsOn,
  executePipeline,
  genericActivity,
  ifCondition,
  pipeline,
  pipelineRef,
  POLICIES,
  setReturnValue,
  setVariable,
  until,
  wait,
  web,
} from "./adf";
import { generateSqlFiles, targetOf, type GeneratedFile } from "../generators/files";
import {
  FOLDERS,
  GLOBAL_PARAMETERS,
  globalParameter,
  OFF_HOURS_GLOBAL_PARAMETERS,
  OFF_HOURS_PARAMETER,
  PIPELINES,
  TRIGGERS,
  type GlobalParameterName,
} from "./names";

/** sqlcmd variables of the generated scripts → the factory global parameter that supplies each. */
export const SQLCMD_VARIABLES: Readonly<Record<string, GlobalParameterName>> = {
  EtlPrincipalName: "etlPrincipalName",
  StreamingPrincipalName: "streamingPrincipalName",
  AnalystsPrincipalName: "analystsPrincipalName",
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

/** What the generator packs into one schema deployment part: below ADF_PIPELINE_MAX_BYTES, for the service's own serialisation. */
export const SCHEMA_PART_BUDGET_BYTES = 180 * 1024;

/** Size of a value's JSON, UTF-8. */
const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), "utf8");

/** Size of a pipeline as the REST API receives it (its JSON body, UTF-8). */
export const pipelineBytes = (p: AdfResource) => jsonBytes(p);

const SCHEMA_DEPLOY_DESCRIPTION =
  "Applies the generated SQL (pipelines/sql, in order, one Script block per batch) to the OLTP database " +
  "(schema, CDC and change tracking, reference data, ETL access and procedures) and to the pool (star, " +
  "reference data, dashboards, ETL access and load procedures). Runs as the deployment identity (db_owner: " +
  "sys.sp_cdc_enable_db needs it), never as the nightly ETL's. The Always Encrypted column encryption keys " +
  "(00_oltp_column_encryption_keys.ps1) are created client-side beforehand. Every statement is idempotent.";

/** How long one generated file's Script blocks may take (`hh:mm:ss`), and so its activity (`d.hh:mm:ss`). */
const SCHEMA_DEPLOY_BLOCK_TIMEOUT = "03:00:00";
const SCHEMA_DEPLOY_TIMEOUT = `0.${SCHEMA_DEPLOY_BLOCK_TIMEOUT}`;

/** The Script activity that applies one generated file with the target's deployment linked service. */
function applyScript(f: GeneratedFile, target: "oltp" | "warehouse", previous?: string): Activity {
  const a = genericActivity(
    applyActivityName(f.file),
    "Script",
    {
      scripts: scriptBlocks(f).map((text) => ({ type: "NonQuery", text })),
      // As long as the activity: one block may build a dashboard's materialized view over a whole grown fact (12,
      // when a view's definition changed), longer than the 2 hours Data Factory's authoring tools write.
      scriptBlockExecutionTimeout: SCHEMA_DEPLOY_BLOCK_TIMEOUT,
    },
    {
      description: `pipelines/sql/${f.file}`,
      dependsOn: previous ? dependsOn(previous) : [],
      policy: { ...POLICIES.sql, timeout: SCHEMA_DEPLOY_TIMEOUT },
    },
  );
  a.linkedServiceName = { referenceName: ADF_DEPLOYMENT_LINKED_SERVICES[target], type: "LinkedServiceReference" };
  return a;
}

/**
 * The schema deployment: the generated SQL of each target (the OLTP database, then the pool) packed, in file order,
 * into parts `etl_schema_deploy_<target>_<n>` of at most `budget` bytes each (the whole SQL is over Data Factory's
 * 200 KB per pipeline), and `etl_schema_deploy`, which runs the parts one after the other. A column added to the
 * model grows the parts; a part that would pass the budget starts the next one. One file larger than the budget on
 * its own is an error naming it.
 */
export function schemaDeployPipelines(files: GeneratedFile[], budget = SCHEMA_PART_BUDGET_BYTES): AdfResource[] {
  const sql = files.filter((f) => f.file.endsWith(".sql"));
  const parts: AdfResource[] = [];
  for (const target of ["oltp", "warehouse"] as const) {
    let activities: Activity[] = [];
    const part = (acts: Activity[], n: number) =>
      pipeline(PIPELINES.schemaDeployPart(target, n), {
        description: `Part ${n} of ${PIPELINES.schemaDeploy} (${target === "oltp" ? "the OLTP database" : "the pool"}): ${acts.map((a) => a.description).join(", ")}.`,
        folder: FOLDERS.operations,
        activities: acts,
      });
    let n = 1;
    // The size of `part(activities, n)`, kept as activities are added: one more adds a comma and its JSON to the
    // activities, and ", " and its description to the part's description (JSON escapes each character on its own,
    // so the escaped parts add up), without serialising the growing part again for each file.
    let bytes = 0;
    for (const f of sql.filter((x) => targetOf(x.file) === target)) {
      const alone = pipelineBytes(part([applyScript(f, target)], n));
      if (alone > budget)
        throw new Error(
          `pipelines/sql/${f.file} alone makes a ${alone}-byte Data Factory pipeline, over the ${budget}-byte budget of a schema deployment part (Data Factory's limit is 200 KB per pipeline): split the generator's output into smaller files`,
        );
      if (activities.length === 0) {
        activities = [applyScript(f, target)];
        bytes = alone;
        continue;
      }
      const chained = applyScript(f, target, activities[activities.length - 1].name);
      const added = 1 + jsonBytes(chained) + jsonBytes(`, ${chained.description ?? ""}`) - 2;
      if (bytes + added > budget) {
        parts.push(part(activities, n));
        n += 1;
        activities = [applyScript(f, target)];
        bytes = pipelineBytes(part(activities, n));
      } else {
        activities.push(chained);
        bytes += added;
      }
    }
    if (activities.length > 0) parts.push(part(activities, n));
  }
  const runs = parts.map((p, i) =>
    executePipeline(`Run_${p.name}`, p.name, {}, i > 0 ? { dependsOn: dependsOn(`Run_${parts[i - 1].name}`) } : {}),
  );
  return [
    pipeline(PIPELINES.schemaDeploy, {
      description: SCHEMA_DEPLOY_DESCRIPTION,
      folder: FOLDERS.operations,
      activities: runs,
    }),
    ...parts,
  ];
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
      [
        web(action === "pause" ? "Pause" : "Resume", "POST", poolUrl(`/${action}`), ADF_CREDENTIAL, {
          body: "{}",
          // A 202 completes it: the loop below watches the pool's status. Following the 202's Location would need
          // rights beyond the pool-operator role and could outlast the activity's 10-minute timeout (then retried).
          turnOffAsync: true,
        }),
      ],
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

type PauseSchedule = NonNullable<AdfGenerationOptions["poolPauseSchedule"]>;

/** A schedule trigger of the pause schedule: runs `target` at `hhmm` on its days, in its time zone. */
function scheduleTrigger(s: PauseSchedule, name: string, target: string, hhmm: string, what: string): AdfResource {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
    throw new Error(`olap.pauseSchedule: '${hhmm}' is not a time of day (HH:mm)`);
  }
  return {
    name,
    properties: {
      description: `${what} at ${hhmm} (${s.timeZone})${s.weekdaysOnly ? " on weekdays" : " every day"}.`,
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
            hours: [Number(m[1])],
            minutes: [Number(m[2])],
            ...(s.weekdaysOnly ? { weekDays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"] } : {}),
          },
        },
      },
    },
  };
}

/**
 * Schedule triggers of the pool pause schedule (dev): resume before working hours, pause after; and, when the schedule
 * also stops other compute (`alsoStop`), start it at the same time as the pool and stop it with the pool.
 */
function poolTriggers(options: AdfGenerationOptions): AdfResource[] {
  const s = options.poolPauseSchedule;
  if (!s) return [];
  const others = offHoursTargets(options);
  return [
    ...(s.resumePool === false
      ? []
      : [scheduleTrigger(s, TRIGGERS.poolResume, PIPELINES.poolResume, s.resumeAt, "Resumes the dedicated SQL pool")]),
    scheduleTrigger(s, TRIGGERS.poolPause, PIPELINES.poolPause, s.pauseAt, "Pauses the dedicated SQL pool"),
    ...(others.length > 0
      ? [
          scheduleTrigger(
            s,
            TRIGGERS.offHoursStart,
            PIPELINES.offHoursStart,
            s.resumeAt,
            `Starts ${others.join(", ")}`,
          ),
          scheduleTrigger(s, TRIGGERS.offHoursStop, PIPELINES.offHoursStop, s.pauseAt, `Stops ${others.join(", ")}`),
        ]
      : []),
  ];
}

/** The targets the stack's pause schedule also stops (none without a schedule). */
export function offHoursTargets(options: AdfGenerationOptions): readonly OffHoursTarget[] {
  return options.poolPauseSchedule?.alsoStop ?? [];
}

/**
 * ARM REST API versions of the stop/start actions (Microsoft.Web sites, Microsoft.StreamAnalytics streamingjobs,
 * Microsoft.Network applicationGateways: the version azure-native declares the gateway with).
 */
export const OFF_HOURS_API_VERSIONS = {
  fraudScoring: "2024-04-01",
  streamingJob: "2020-03-01",
  gateway: "2024-05-01",
} as const satisfies Record<OffHoursTarget, string>;

const armAction = (target: OffHoursTarget, action: "" | "/stop" | "/start") =>
  `@concat('https://management.azure.com', ${globalParameter(OFF_HOURS_PARAMETER[target])}, '${action}?api-version=${OFF_HOURS_API_VERSIONS[target]}')`;

/**
 * The targets with a state to wait for: the property that holds it, the states each action applies to, and those it
 * ends in. Any other state is on its way somewhere, and the loop waits until the target settles.
 * - The Stream Analytics job (`properties.jobState`): stopping a job that is not running, or starting one that is,
 *   fails; a job someone stopped by hand is `Stopped` and is started again in the morning; `Starting`, `Restarting`,
 *   `Scaling` and `Stopping` pass
 *   (learn.microsoft.com/dotnet/api/azure.resourcemanager.streamanalytics.models.streamingjobstate).
 * - The Application Gateway (`properties.operationalState`: Stopped, Starting, Running, Stopping): stop and start are
 *   long-running (202) and take minutes (learn.microsoft.com/rest/api/application-gateway/application-gateways/stop).
 */
export const TARGET_STATES = {
  streamingJob: {
    property: "jobState",
    stop: { from: ["Running", "Degraded"], to: ["Stopped", "Created", "Failed"] },
    start: { from: ["Created", "Stopped", "Failed"], to: ["Running", "Degraded"] },
  },
  gateway: {
    property: "operationalState",
    stop: { from: ["Running"], to: ["Stopped"] },
    start: { from: ["Stopped"], to: ["Running"] },
  },
} as const satisfies Partial<
  Record<
    OffHoursTarget,
    {
      property: string;
      stop: { from: readonly string[]; to: readonly string[] };
      start: { from: readonly string[]; to: readonly string[] };
    }
  >
>;
/** Seconds between two looks at a target's state, and how long the loop may take. */
export const STATE_POLL = { seconds: 30, timeout: "0.00:30:00" } as const;

/** "a", "a and b", "a, b and c". */
const listOf = (xs: readonly string[]) =>
  xs.length < 2 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`;

/** The pipeline variables one target's loop keeps: the state it last read, and whether it has acted. */
const stateVariable = (target: OffHoursTarget) => `state_${target}`;
const actedVariable = (target: OffHoursTarget) => `acted_${target}`;
const inStates = (states: readonly string[], target: OffHoursTarget) =>
  `contains(createArray(${states.map((x) => `'${x}'`).join(", ")}), variables('${stateVariable(target)}'))`;

/** The activities that stop or start one target. */
function offHoursActivities(target: OffHoursTarget, action: "stop" | "start"): Activity[] {
  const verb = action === "stop" ? "Stop" : "Start";
  if (target === "fraudScoring") {
    // Stop/start of a site is idempotent (200 whatever its state). A stopped app runs no instance: its SQL trigger
    // stops polling (the serverless database can auto-pause).
    return [web(`${verb}_${target}`, "POST", armAction(target, `/${action}`), ADF_CREDENTIAL)];
  }
  const { property, ...actions } = TARGET_STATES[target];
  const states = actions[action];
  const acted = actedVariable(target);
  // One loop: look at the target, act once when its state allows the action, wait, until it is where the action
  // leads. A target caught between states at the scheduled time (a job restarting or scaling) is acted on once it
  // settles instead of being skipped; a target that fails to get there (a job that fails to start) is not sent the
  // action again: the loop times out and the pipeline fails, which etl-pipeline-failed reports. The state is kept in a
  // variable, so a failed look leaves the last one and, after the wait, the loop looks again ("If an inner activity
  // fails, the Until activity doesn't stop": learn.microsoft.com/azure/data-factory/control-flow-until-activity). An
  // If Condition may sit inside an Until (learn.microsoft.com/azure/data-factory/concepts-nested-activities).
  return [
    until(
      `Until_${verb}_${target}`,
      `@${inStates(states.to, target)}`,
      [
        web(`Status_${target}`, "GET", armAction(target, ""), ADF_CREDENTIAL),
        setVariable(
          `State_${target}`,
          stateVariable(target),
          `@string(activity('Status_${target}').output.properties.${property})`,
          { dependsOn: dependsOn(`Status_${target}`) },
        ),
        ifCondition(
          `If_${verb}_${target}`,
          `@and(empty(variables('${acted}')), ${inStates(states.from, target)})`,
          [
            web(`${verb}_${target}`, "POST", armAction(target, `/${action}`), ADF_CREDENTIAL, {
              // JobStartTime: the job reads from now; what arrived while it slept (dev test traffic) is skipped
              // rather than replayed from a watermark that may have left the hub's retention over a weekend.
              body:
                action === "start" && target === "streamingJob"
                  ? JSON.stringify({ outputStartMode: "JobStartTime" })
                  : "{}",
              // The 202's Location is a subscription-level operation result the operator role cannot read: the
              // target's own state is what the loop looks at.
              turnOffAsync: true,
            }),
            setVariable(`Acted_${target}`, acted, "yes", { dependsOn: dependsOn(`${verb}_${target}`) }),
          ],
          [],
          { dependsOn: dependsOn(`State_${target}`) },
        ),
        // After the look whatever its outcome (Completed: succeeded or failed), so a failed look or action still
        // waits before the next one (no tight loop).
        wait(`Wait_${target}`, STATE_POLL.seconds, { dependsOn: dependsOn([`Status_${target}`, "Completed"]) }),
      ],
      STATE_POLL.timeout,
    ),
  ];
}

/** The variables of the off-hours pipelines: each looping target's last state and whether it has acted. */
function offHoursVariables(
  targets: readonly OffHoursTarget[],
): Record<string, { type: "String"; defaultValue: string }> {
  return Object.fromEntries(
    targets
      .filter((t) => t in TARGET_STATES)
      .flatMap((t) => [
        [stateVariable(t), { type: "String" as const, defaultValue: "" }],
        [actedVariable(t), { type: "String" as const, defaultValue: "" }],
      ]),
  );
}

/**
 * The off-hours pipelines (only when the schedule stops something): stop each target after working hours, start it
 * before. Each target's activities are independent, so one failing does not keep the other running (or stopped).
 */
function offHoursPipelines(options: AdfGenerationOptions): AdfResource[] {
  const targets = offHoursTargets(options);
  if (targets.length === 0) return [];
  return (["stop", "start"] as const).map((action) =>
    pipeline(action === "stop" ? PIPELINES.offHoursStop : PIPELINES.offHoursStart, {
      description:
        `${action === "stop" ? "Stops" : "Starts"} ${listOf(targets)} ${action === "stop" ? "after" : "before"} ` +
        "working hours (olap.pauseSchedule.alsoStop, dev): ARM stop/start actions with the factory's managed identity, " +
        "which holds only the off-hours operator role on each target.",
      folder: FOLDERS.operations,
      activities: targets.flatMap((t) => offHoursActivities(t, action)),
      variables: offHoursVariables(targets),
    }),
  );
}

export function operationsPipelines(
  model: Parameters<typeof generateSqlFiles>[0],
  options: AdfGenerationOptions = {},
): AdfResource[] {
  return [
    ...schemaDeployPipelines(generateSqlFiles(model)),
    // Only where the pool pauses (dev): the factory's identity holds the pool-operator role there alone, so in a stack
    // without a schedule (prod, reserved around the clock) these pipelines could only fail with 403.
    ...(options.poolPauseSchedule ? [poolActionPipeline("pause"), poolActionPipeline("resume")] : []),
    ...offHoursPipelines(options),
  ];
}

/** The global parameters the definitions read: the fixed ones, plus one per off-hours target. */
export function globalParametersFor(options: AdfGenerationOptions): Record<string, AdfGlobalParameterSpec> {
  return {
    ...GLOBAL_PARAMETERS,
    ...Object.fromEntries(
      offHoursTargets(options).map((t) => [
        OFF_HOURS_PARAMETER[t],
        OFF_HOURS_GLOBAL_PARAMETERS[OFF_HOURS_PARAMETER[t]],
      ]),
    ),
  };
}

export { poolTriggers };
