/** The factory's pipelines: listing them, starting one and waiting for its run, waiting for the runs under way. */
import { ADF_API, ARM, list, pagedQuery, type Az } from "./common";

/** The names of the factory's pipelines. */
export function pipelinesOf(az: Az, factoryId: string): string[] {
  return list<{ name: string }>(az, `${factoryId}/pipelines?api-version=${ADF_API}`).map((p) => p.name);
}

/** A Resource Manager POST (`url` after the ARM host), with a JSON body when given; its answer. */
const post = <T>(az: Az, url: string, body?: unknown): T | null =>
  az([
    "rest",
    "--method",
    "post",
    "--url",
    `${ARM}${url}`,
    ...(body === undefined ? [] : ["--body", JSON.stringify(body)]),
  ]) as T | null;

/** Starts a run of one of the factory's pipelines; its run id. */
export function runPipeline(az: Az, factoryId: string, pipeline: string): string {
  const out = post<{ runId?: string }>(az, `${factoryId}/pipelines/${pipeline}/createRun?api-version=${ADF_API}`);
  return out?.runId ?? "?";
}

/** A pipeline run (REST `pipelineruns/{runId}`): Queued, InProgress, Succeeded, Failed, Canceling or Cancelled. */
export interface PipelineRunInfo {
  readonly status?: string;
  readonly message?: string;
}

/** An activity run of a pipeline run (REST `queryActivityruns`). */
export interface ActivityRunInfo {
  readonly activityName?: string;
  readonly status?: string;
  readonly error?: { readonly message?: string };
}

/** A run's end: Succeeded, or Failed/Cancelled with what each failed activity said. */
export interface RunOutcome {
  readonly runId: string;
  readonly status: string;
  readonly failures: readonly string[];
}

const FINISHED = ["Succeeded", "Failed", "Cancelled"];

/** What the failed activities of a run said (their error messages, one line each, named). */
export function failuresOf(az: Az, factoryId: string, runId: string, since: Date, until: Date): string[] {
  const out = pagedQuery<ActivityRunInfo>(
    az,
    `${factoryId}/pipelineruns/${runId}/queryActivityruns?api-version=${ADF_API}`,
    { lastUpdatedAfter: since.toISOString(), lastUpdatedBefore: until.toISOString() },
  );
  return out
    .filter((a) => a.status === "Failed")
    .map((a) => `${a.activityName ?? "?"}: ${(a.error?.message ?? "no message").replace(/\s+/g, " ").trim()}`);
}

/** A pipeline run of the factory (REST `queryPipelineRuns` item). */
export interface FactoryRun {
  readonly runId: string;
  readonly pipelineName?: string;
  readonly status?: string;
}

/** The factory's runs still going (Queued, InProgress, Canceling) that started in the last `hours` hours. */
export function runsInProgress(az: Az, factoryId: string, now: Date, hours = 24): FactoryRun[] {
  return pagedQuery<FactoryRun>(az, `${factoryId}/queryPipelineRuns?api-version=${ADF_API}`, {
    lastUpdatedAfter: new Date(now.getTime() - hours * 3_600_000).toISOString(),
    lastUpdatedBefore: new Date(now.getTime() + 60_000).toISOString(),
    filters: [{ operand: "Status", operator: "In", values: ["Queued", "InProgress", "Canceling"] }],
  });
}

/**
 * Waits until no run of the factory is going (a nightly load started before its trigger was stopped would otherwise
 * meet procedures changed under it): true once none is, false after `attempts` checks (the caller decides).
 */
export async function waitForIdle(
  az: Az,
  factoryId: string,
  opts: {
    readonly attempts: number;
    readonly delayMs: number;
    readonly log: (line: string) => void;
    readonly now?: () => Date;
  },
): Promise<boolean> {
  const now = opts.now ?? (() => new Date());
  for (let attempt = 1; ; attempt++) {
    const going = runsInProgress(az, factoryId, now());
    if (going.length === 0) return true;
    if (attempt >= opts.attempts) return false;
    if (attempt === 1)
      opts.log(
        `waiting for ${going.map((r) => `${r.pipelineName ?? "?"} (run ${r.runId}, ${r.status ?? "?"})`).join(", ")} to finish`,
      );
    await new Promise((r) => setTimeout(r, opts.delayMs));
  }
}

/**
 * Starts one of the factory's pipelines and waits for its run to finish: Succeeded, or Failed/Cancelled with the
 * failed activities' messages (an Execute Pipeline activity carries its child's). Throws when the run is still going
 * after `attempts` checks (it goes on in Azure: its id is in the message).
 */
export async function runAndWait(
  az: Az,
  factoryId: string,
  pipeline: string,
  opts: {
    readonly attempts: number;
    readonly delayMs: number;
    readonly log: (line: string) => void;
    readonly now?: () => Date;
  },
): Promise<RunOutcome> {
  const now = opts.now ?? (() => new Date());
  const started = now();
  const runId = runPipeline(az, factoryId, pipeline);
  opts.log(`started ${pipeline} (run ${runId})`);
  for (let attempt = 1; ; attempt++) {
    await new Promise((r) => setTimeout(r, opts.delayMs));
    const run = az([
      "rest",
      "--method",
      "get",
      "--url",
      `${ARM}${factoryId}/pipelineruns/${runId}?api-version=${ADF_API}`,
    ]) as PipelineRunInfo | null;
    const status = run?.status ?? "?";
    if (FINISHED.includes(status)) {
      const failures =
        status === "Succeeded"
          ? []
          : failuresOf(az, factoryId, runId, new Date(started.getTime() - 60_000), new Date(now().getTime() + 60_000));
      if (status !== "Succeeded" && failures.length === 0 && run?.message) failures.push(run.message);
      return { runId, status, failures };
    }
    if (attempt >= opts.attempts)
      throw new Error(
        `${pipeline} run ${runId} is still ${status} after ${attempt} checks: follow it with az rest --method get --url "${ARM}${factoryId}/pipelineruns/${runId}?api-version=${ADF_API}" --query "{status: status, message: message}"`,
      );
  }
}
