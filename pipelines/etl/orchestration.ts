// The nightly orchestration: the master `etl_oltp_to_olap` (runDate) and its failure path, the run (windows →
// parallel extracts → data-quality gate → publish → refresh), the backfill over a date range, and the 02:00 UTC
// schedule trigger.
import type { AdfDefinitions, AdfGenerationOptions, AdfResource } from "./contract";
import {
  type Activity,
  type DependencyCondition,
  dependsOn,
  executePipeline,
  fail,
  forEach,
  ifCondition,
  lookupProcedure,
  pipeline,
  pipelineRef,
  POLICIES,
  setReturnValue,
  setVariable,
  storedProcedure,
} from "./adf";
import type { ExtractedTable } from "./groups";
import { FOLDERS, MASTER_PIPELINE, OLTP_PROCEDURES, PIPELINES, POOL_PROCEDURES, TRIGGERS } from "./names";
import { RUN_DATE } from "./extract";

/** The nightly schedule: 02:00 UTC every day (flow 2). */
export const NIGHTLY_SCHEDULE = { hours: [2], minutes: [0], timeZone: "UTC" } as const;
/** The run date a scheduled run loads: the day that just ended (the 02:00 run of the 21st loads the 20th). */
export const SCHEDULED_RUN_DATE = "@formatDateTime(addDays(trigger().scheduledTime, -1), 'yyyy-MM-dd')";

const runParams = { runDate: `@${RUN_DATE}`, runId: "@pipeline().parameters.runId" };
const sqlRunParams = {
  RunDate: { value: `@${RUN_DATE}`, type: "String" as const },
  RunId: { value: "@pipeline().parameters.runId", type: "String" as const },
};
const runParameters = { runDate: { type: "String" as const }, runId: { type: "String" as const } };

/** Data-quality gate, part 1: source vs staging counts, every table staged, required columns. */
function dataQualityPipeline(): AdfResource {
  return pipeline(PIPELINES.dataQuality, {
    description:
      "Data-quality gate on staging (etl.usp_CheckStaging): source vs staging row counts, every extracted table " +
      "staged, required columns not null. Fails with the failed checks in the error; results in etl.DataQualityResult.",
    folder: FOLDERS.nightly,
    parameters: runParameters,
    activities: [
      storedProcedure("CheckStaging", "warehouse", POOL_PROCEDURES.checkStaging, sqlRunParams, {
        policy: POLICIES.verdict,
      }),
    ],
  });
}

/** Publish (gate part 2 + one transaction in the pool), then close the OLTP windows. */
function publishPipeline(): AdfResource {
  return pipeline(PIPELINES.publish, {
    description:
      "Publishes the run (etl.usp_Publish): dimensions (type 2 where the model keeps history), inferred members for " +
      "late-arriving keys, facts replaced per key; checked before and after the apply inside one transaction, " +
      "rolled back with the reason on any failure. Then marks the OLTP windows published.",
    folder: FOLDERS.nightly,
    parameters: runParameters,
    activities: [
      storedProcedure("Publish", "warehouse", POOL_PROCEDURES.publish, sqlRunParams, { policy: POLICIES.publish }),
      storedProcedure(
        "MarkPublished",
        "oltp",
        OLTP_PROCEDURES.markPublished,
        { RunDate: sqlRunParams.RunDate },
        { dependsOn: dependsOn("Publish") },
      ),
    ],
  });
}

function refreshPipeline(): AdfResource {
  return pipeline(PIPELINES.refreshAggregates, {
    description:
      "After a publish: deduplicates the streamed facts of runDate on their grain (Stream Analytics delivers at " +
      "least once), then refreshes the dashboards' aggregates: dbo.usp_RefreshDashboardAggregates rebuilds the " +
      "materialized views (Synapse keeps them current on every load; REBUILD compacts their deltas).",
    folder: FOLDERS.nightly,
    parameters: runParameters,
    activities: [
      storedProcedure(
        "CompactStreamFacts",
        "warehouse",
        POOL_PROCEDURES.compactStreamFacts,
        { RunDate: sqlRunParams.RunDate },
        { policy: POLICIES.load },
      ),
      storedProcedure(
        "Refresh",
        "warehouse",
        POOL_PROCEDURES.refresh,
        {},
        {
          policy: POLICIES.load,
          dependsOn: dependsOn("CompactStreamFacts"),
        },
      ),
    ],
  });
}

/** The run: open windows, extract every table in parallel, gate, publish, refresh. */
function nightlyPipeline(xs: ExtractedTable[]): AdfResource {
  const extracts = xs.map((x) =>
    executePipeline(`Extract_${x.table.name}`, PIPELINES.extract(x.table.name), runParams, {
      dependsOn: dependsOn("BeginRun"),
    }),
  );
  return pipeline(PIPELINES.nightly, {
    description:
      "One nightly run for runDate: opens the change windows, extracts every table in parallel, runs the " +
      "data-quality gate, publishes and refreshes the aggregates. Started by etl_oltp_to_olap, which owns the " +
      "failure path.",
    folder: FOLDERS.nightly,
    parameters: runParameters,
    activities: [
      lookupProcedure(
        "OpenWindows",
        "oltp",
        OLTP_PROCEDURES.openWindows,
        { RunDate: sqlRunParams.RunDate },
        { firstRowOnly: false },
      ),
      storedProcedure("BeginRun", "warehouse", POOL_PROCEDURES.beginRun, sqlRunParams, {
        dependsOn: dependsOn("OpenWindows"),
      }),
      ...extracts,
      executePipeline("DataQuality", PIPELINES.dataQuality, runParams, {
        dependsOn: dependsOn(...extracts.map((e) => e.name)),
      }),
      executePipeline("Publish", PIPELINES.publish, runParams, { dependsOn: dependsOn("DataQuality") }),
      executePipeline("RefreshAggregates", PIPELINES.refreshAggregates, runParams, {
        dependsOn: dependsOn("Publish"),
      }),
    ],
  });
}

/** Dev: puts the pool back to sleep after `after` when the run found it asleep (ResumePool's return value). */
function pauseIfItWasPaused(path: string, after: [string, DependencyCondition]): Activity {
  return ifCondition(
    `PauseIfItWasPaused${path}`,
    "@bool(activity('ResumePool').output.pipelineReturnValue.wasPaused)",
    [executePipeline(`PausePool${path}`, PIPELINES.poolPause, {})],
    [],
    {
      dependsOn: dependsOn(after),
      description: "Outside working hours the pool goes back to sleep once the run's last pool query is over.",
    },
  );
}

/** The master: validates runDate, runs, and on failure records the reason and fails with it. */
function masterPipeline(options: AdfGenerationOptions): AdfResource {
  const pool = options.poolPauseSchedule !== undefined;
  const runDate =
    "@if(empty(pipeline().parameters.runDate), formatDateTime(addDays(utcNow(), -1), 'yyyy-MM-dd'), " +
    "formatDateTime(pipeline().parameters.runDate, 'yyyy-MM-dd'))";
  const params = { runDate: "@variables('runDate')", runId: "@pipeline().RunId" };
  const sqlParams = {
    RunDate: { value: "@variables('runDate')", type: "String" as const },
    RunId: { value: "@pipeline().RunId", type: "String" as const },
  };
  const activities: Activity[] = [
    setVariable("RunDate", "runDate", runDate),
    ...(pool
      ? [
          executePipeline(
            "ResumePool",
            PIPELINES.poolResume,
            {},
            {
              dependsOn: dependsOn("RunDate"),
              description: "Dev pauses the pool outside working hours: the run resumes it first (no-op when online).",
            },
          ),
        ]
      : []),
    executePipeline("Run", PIPELINES.nightly, params, { dependsOn: dependsOn(pool ? "ResumePool" : "RunDate") }),
    // Outside working hours the pool goes back to sleep once the run is over, success or not, but only after the
    // last query of the path taken: a pause while `Result` or `RecordFailure` reads or writes the pool would cancel
    // it. Each path ends in its own pause (activities that depend on several others wait for all of them, and the
    // path not taken is skipped).
    ...(pool
      ? [
          pauseIfItWasPaused("AfterSuccess", ["Result", "Completed"]),
          pauseIfItWasPaused("AfterFailure", ["FailureResult", "Completed"]),
          pauseIfItWasPaused("AfterUnrecordedFailure", ["RecordFailure", "Failed"]),
        ]
      : []),
    lookupProcedure("Result", "warehouse", POOL_PROCEDURES.runResult, sqlParams, { dependsOn: dependsOn("Run") }),
    setReturnValue(
      "ReturnResult",
      {
        runDate: "@variables('runDate')",
        status: "@activity('Result').output.firstRow.Status",
        checksRun: "@string(activity('Result').output.firstRow.ChecksRun)",
        checksFailed: "@string(activity('Result').output.firstRow.ChecksFailed)",
      },
      { dependsOn: dependsOn("Result") },
    ),
    // Failure path: the published tables are unchanged (publish is one transaction); record why, then fail.
    storedProcedure(
      "RecordFailure",
      "warehouse",
      POOL_PROCEDURES.failRun,
      { ...sqlParams, Reason: { value: "@activity('Run').error.message", type: "String" } },
      { dependsOn: dependsOn(["Run", "Failed"]) },
    ),
    lookupProcedure("FailureResult", "warehouse", POOL_PROCEDURES.runResult, sqlParams, {
      dependsOn: dependsOn("RecordFailure"),
    }),
    setReturnValue(
      "ReturnFailure",
      {
        runDate: "@variables('runDate')",
        status: "failed",
        reason: "@activity('FailureResult').output.firstRow.Reason",
        failedChecks: "@coalesce(activity('FailureResult').output.firstRow.FailedChecks, '')",
      },
      { dependsOn: dependsOn("FailureResult") },
    ),
    fail(
      "RunFailed",
      "@concat('etl_oltp_to_olap failed for runDate ', variables('runDate'), '; nothing was published (unless the reason names batches of a full reload committed before the failure). ', activity('Run').error.message)",
      "ETL_RUN_FAILED",
      { dependsOn: dependsOn(["ReturnFailure", "Completed"]) },
    ),
    fail(
      "RunFailedUnrecorded",
      "@concat('etl_oltp_to_olap failed for runDate ', variables('runDate'), ' and the failure could not be recorded in the pool; nothing was published (unless the reason names batches of a full reload committed before the failure). ', activity('Run').error.message)",
      "ETL_RUN_FAILED",
      { dependsOn: dependsOn(["RecordFailure", "Failed"]) },
    ),
  ];
  return pipeline(MASTER_PIPELINE, {
    description:
      "Nightly OLTP → warehouse batch for runDate (yyyy-MM-dd; default: yesterday, UTC). Extracts every table's " +
      "changes in parallel, gates on data quality, publishes in one transaction, refreshes the aggregates. The run " +
      "output (pipelineReturnValue) carries the status and the data-quality result; a failed run fails with the " +
      "reason and leaves the published tables unchanged. Generated from pipelines/model.",
    folder: FOLDERS.nightly,
    parameters: { runDate: { type: "String", defaultValue: "" } },
    variables: { runDate: { type: "String" } },
    // One run at a time: a second trigger or backfill waits in the queue instead of racing for the same windows.
    concurrency: 1,
    activities,
  });
}

/** Backfill: the master for each date of [fromDate, toDate], in order (later dates never precede earlier ones). */
function backfillPipeline(): AdfResource {
  const days = "div(sub(ticks(pipeline().parameters.toDate), ticks(pipeline().parameters.fromDate)), 864000000000)";
  return pipeline(PIPELINES.backfill, {
    description:
      "Runs etl_oltp_to_olap for every date from fromDate to toDate (inclusive, yyyy-MM-dd), one after the other; " +
      "the backfill fails if any date failed (a later date's window still carries the failed date's changes). Dates " +
      "that already ran re-read their saved windows; see docs/etl.md.",
    folder: FOLDERS.operations,
    parameters: { fromDate: { type: "String" }, toDate: { type: "String" } },
    activities: [
      forEach(
        "EachDate",
        `@range(0, add(${days}, 1))`,
        [
          executePipeline("RunDate", MASTER_PIPELINE, {
            runDate: "@formatDateTime(addDays(pipeline().parameters.fromDate, item()), 'yyyy-MM-dd')",
          }),
        ],
        { sequential: true },
      ),
    ],
  });
}

export function nightlyTrigger(): AdfResource {
  return {
    name: TRIGGERS.nightly,
    properties: {
      description: "Starts etl_oltp_to_olap at 02:00 UTC every day for the day that ended (runDate = yesterday).",
      type: "ScheduleTrigger",
      annotations: [],
      pipelines: [{ pipelineReference: pipelineRef(MASTER_PIPELINE), parameters: { runDate: SCHEDULED_RUN_DATE } }],
      typeProperties: {
        recurrence: {
          frequency: "Day",
          interval: 1,
          startTime: "2025-01-01T00:00:00Z",
          timeZone: NIGHTLY_SCHEDULE.timeZone,
          schedule: { hours: [...NIGHTLY_SCHEDULE.hours], minutes: [...NIGHTLY_SCHEDULE.minutes] },
        },
      },
    },
  };
}

/** Minutes per unit of a schedule trigger's `recurrence.frequency` (a month has no fixed length: not listed). */
const FREQUENCY_MINUTES: Readonly<Record<string, number>> = { Minute: 1, Hour: 60, Day: 1440, Week: 10080 };

/** When the warehouse's batch data is fresh: the pipeline that publishes it, and how often its master is started. */
export interface OlapLoadSchedule {
  /** The pipelines whose success puts new data in the published tables. */
  readonly pipelines: readonly string[];
  /** The longest gap, in minutes, between two scheduled starts of the master pipeline. */
  readonly everyMinutes: number;
}

/**
 * The OLAP load's schedule, read from the definitions (pure): the publish pipeline, and the longest gap between two
 * starts of the master pipeline by a schedule trigger (a daily trigger at several times of day gives the longest gap
 * between those times). Undefined when no schedule trigger with a fixed period starts the master pipeline.
 */
export function olapLoadSchedule(defs: Pick<AdfDefinitions, "triggers">): OlapLoadSchedule | undefined {
  const gaps = defs.triggers.flatMap((t) => {
    const p = t.properties as {
      type?: string;
      pipelines?: { pipelineReference?: { referenceName?: string } }[];
      typeProperties?: {
        recurrence?: { frequency?: string; interval?: number; schedule?: { hours?: number[]; minutes?: number[] } };
      };
    };
    const r = p.typeProperties?.recurrence;
    const unit = FREQUENCY_MINUTES[r?.frequency ?? ""];
    if (p.type !== "ScheduleTrigger" || !unit || !r) return [];
    if (!(p.pipelines ?? []).some((x) => x.pipelineReference?.referenceName === MASTER_PIPELINE)) return [];
    const period = unit * (r.interval ?? 1);
    const hours = r.schedule?.hours ?? [];
    const minutes = r.schedule?.minutes ?? [0];
    if (r.frequency !== "Day" || hours.length === 0) return [period];
    // Several times a day: the longest gap between consecutive starts, the last one wrapping to the next period.
    const times = [...new Set(hours.flatMap((h) => minutes.map((m) => h * 60 + m)))].sort((a, b) => a - b);
    return [Math.max(...times.map((t, i) => (i + 1 < times.length ? times[i + 1] : times[0] + period) - t))];
  });
  return gaps.length > 0 ? { pipelines: [PIPELINES.publish], everyMinutes: Math.min(...gaps) } : undefined;
}

export function orchestrationPipelines(xs: ExtractedTable[], options: AdfGenerationOptions): AdfResource[] {
  return [
    masterPipeline(options),
    nightlyPipeline(xs),
    dataQualityPipeline(),
    publishPipeline(),
    refreshPipeline(),
    backfillPipeline(),
  ];
}
