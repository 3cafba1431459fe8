/**
 * What the deploy workflow does around `pulumi up` for the streaming tier's Stream Analytics job, through Azure
 * Resource Manager only (the Azure CLI's `az rest`; no CLI extension, any runner works):
 *
 *  - `stop-for-update` (before `up`): Azure refuses to update a running job (its query, inputs, outputs, streaming
 *    units: pulumi/pulumi-azure-native#785, docs/streaming.md "After pulumi up"). So when the job runs
 *    and the CLI's own preview of this `up` (`pulumi preview --json`) changes it, the job is stopped and this waits
 *    until Azure reports it stopped. A job that is not running, or that the preview leaves as it is, is left alone:
 *    stopping it would only open a gap in flow 3 (and page the freshness alert) for nothing.
 *  - `start` (after `up`, failed or not, when `stop-for-update` stopped the job): starts the job unless it runs: from
 *    the job's start the first time, from the last output afterwards, so no window is lost or repeated. (A new job is
 *    started by the functions job once the code is shipped: deploy.yml's `stream job (start)` step.)
 *
 * The decisions are pure functions (tests/streamOps.spec.ts); `Az` runs the CLI and is replaced by a fake in tests.
 */
import { parseConfig, PROJECT, readRaw } from "../../lib/config";
import { stackContext } from "../../components/shared/context";
import type { Az } from "./etlOps";
import { resourceIds } from "./etlOps";
import { loadStackConfig } from "./stackConfig";
import { defaultTypeToken } from "./sdkType";

/** The REST API version the program deploys the job with (azure-native's typed StreamingJob). */
export const ASA_API = "2020-03-01";
const ARM = "https://management.azure.com";
export const STREAMING_JOB_TYPE = "azure-native:streamanalytics:StreamingJob";

/**
 * Job states in which Azure refuses an update: the job runs or is on its way to running
 * (REST `properties.jobState`: Created, Starting, Running, Stopping, Stopped, Deleting, Failed, Degraded, Restarting,
 * Scaling).
 */
export const ACTIVE_STATES = ["Starting", "Running", "Degraded", "Restarting", "Scaling"] as const;

/** Preview steps that leave a deployed job as it is (anything else updates, replaces or deletes it). */
const UNCHANGED_OPS = new Set(["same", "create", "read", "refresh", "import"]);

/** A step of `pulumi preview --json` (the CLI's display/json.go previewDigest: op, urn, diffReasons, ...). */
export interface PreviewStep {
  readonly op: string;
  readonly urn: string;
  readonly diffReasons?: readonly string[];
}

/**
 * The Pulumi CLI arguments of the preview that decides whether the job must stop: with `--refresh`, as deploy.yml's
 * `up` runs (`refresh: true`), so both plan from the same state; a preview without it could miss an update the
 * refreshed `up` then makes to a running job, which Azure refuses.
 */
export const previewArgs = (pulumiStack: string, stackFile?: string): string[] => [
  "preview",
  "--stack",
  pulumiStack,
  // A stack whose settings file is not Pulumi.<stack>.yaml (a copy in another organisation): the same file the tool
  // read its names from, or the CLI would preview it with the primary's settings.
  ...(stackFile ? ["--config-file", stackFile] : []),
  "--refresh",
  "--json",
  "--non-interactive",
];

export class PreviewFormatError extends Error {
  override name = "PreviewFormatError";
}

/**
 * `pulumi preview --json`'s stdout as a document: from its first line that opens an object, since the CLI may print
 * other lines before it on stdout ("Installing policy pack…" under --json: pulumi/pulumi#19775).
 */
export function parsePreviewJson(text: string): unknown {
  const start = text.search(/^\{/m);
  if (start < 0) throw new PreviewFormatError("no JSON document in the output of pulumi preview --json");
  return JSON.parse(text.slice(start));
}

/** Event Hubs resources the job reads and writes: replacing one under a running job cuts its input or output. */
const JOB_ENDPOINT_TYPES = [
  "azure-native:eventhub:Namespace",
  "azure-native:eventhub:EventHub",
  "azure-native:eventhub:ConsumerGroup",
];
const REPLACING_OPS = new Set(["replace", "create-replacement", "delete-replaced", "delete"]);

/**
 * The preview's steps that change a Stream Analytics job (update, replace, delete...), with what differs, and those
 * that replace or delete the Event Hubs namespace, hubs or consumer groups it reads and writes (a new partition
 * count on a Standard hub, a new tier): the job is stopped for them too, and started on the new ones after `up`. So is
 * a Premium hub's partition count updated in place: Microsoft says readers must restart to see new partitions
 * (event-hubs/dynamically-add-partitions), and no page says a running job picks them up.
 */
export function jobChanges(preview: unknown): PreviewStep[] {
  const steps = (preview as { steps?: unknown } | null)?.steps;
  if (!preview || typeof preview !== "object" || (steps !== undefined && !Array.isArray(steps))) {
    throw new PreviewFormatError("not the output of `pulumi preview --json`: expected {steps: [{op, urn}, ...]}");
  }
  return ((steps as PreviewStep[] | undefined) ?? []).filter((s) => {
    const qualified = typeof s.urn === "string" ? s.urn.split("::")[2] : undefined;
    if (!qualified) return false;
    // The resource's own type (the last of `Parent$Type`), as the default class's token (tools/lib/sdkType.ts).
    const type = defaultTypeToken(qualified.split("$").pop() ?? qualified);
    if (type.endsWith(STREAMING_JOB_TYPE)) return !UNCHANGED_OPS.has(s.op);
    if (s.op === "update" && type.endsWith("azure-native:eventhub:EventHub"))
      return (s.diffReasons ?? []).includes("partitionCount");
    return JOB_ENDPOINT_TYPES.some((t) => type.endsWith(t)) && REPLACING_OPS.has(s.op);
  });
}

/** The job as ARM returns it (only what these steps read). */
export interface JobInfo {
  readonly id: string;
  readonly name: string;
  readonly properties?: { readonly jobState?: string; readonly lastOutputEventTime?: string | null };
}

export const isActive = (job: JobInfo): boolean =>
  (ACTIVE_STATES as readonly string[]).includes(job.properties?.jobState ?? "");

/** Where a start resumes: from the last output once the job has produced one, else from the start. */
export const startMode = (job: JobInfo): "LastOutputEventTime" | "JobStartTime" =>
  job.properties?.lastOutputEventTime ? "LastOutputEventTime" : "JobStartTime";

/** Where a stack's job is: the resource group and name components/streaming gives it, from the committed config. */
export function jobLocation(
  root: string,
  stack: string,
  stackFile?: string,
): { resourceGroup: string; jobName: string } {
  const sc = loadStackConfig(root, stack, stackFile);
  const context = stackContext(
    parseConfig(
      readRaw((k) => sc.config[`${PROJECT}:${k}`]),
      stack,
    ),
  );
  return {
    resourceGroup: context.name("resourceGroup", "integration"),
    jobName: context.name("streamAnalytics", "apiperf"),
  };
}

/** The job of a resource group by name, or undefined before the first `up`. */
export function findJob(az: Az, resourceGroup: string, jobName: string): JobInfo | undefined {
  const id = resourceIds(az, resourceGroup, "Microsoft.StreamAnalytics/streamingjobs").find(
    (i) => i.split("/").pop()?.toLowerCase() === jobName.toLowerCase(),
  );
  return id ? getJob(az, id) : undefined;
}

export const getJob = (az: Az, id: string): JobInfo =>
  az(["rest", "--method", "get", "--url", `${ARM}${id}?api-version=${ASA_API}`]) as JobInfo;

function post(az: Az, id: string, action: "stop" | "start", body?: Record<string, unknown>): void {
  az([
    "rest",
    "--method",
    "post",
    "--url",
    `${ARM}${id}/${action}?api-version=${ASA_API}`,
    ...(body ? ["--body", JSON.stringify(body)] : []),
  ]);
}

export interface Waiting {
  readonly attempts: number;
  readonly delayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (line: string) => void;
}

/** Polls the job until `done` holds for its state; throws naming the last state when it never does. */
async function waitFor(az: Az, id: string, done: (state: string) => boolean, what: string, w: Waiting) {
  const sleep = w.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let state = "";
  for (let i = 0; i < w.attempts; i++) {
    state = getJob(az, id).properties?.jobState ?? "";
    if (done(state)) return state;
    w.log?.(`job ${id.split("/").pop()} is ${state || "in no state"}; waiting until it is ${what}`);
    await sleep(w.delayMs);
  }
  throw new Error(
    `job ${id.split("/").pop()} is still ${state || "in no state"}, not ${what}, after ${w.attempts} checks`,
  );
}

export type StopOutcome = "no job" | "not running" | "unchanged" | "stopped";

/**
 * Before `up`: stops the job when it runs and the preview changes it, and waits until it is stopped. `preview` is
 * only asked for when the job runs (it runs `pulumi preview`, which takes minutes). `stopRequested` is called as soon
 * as the stop is sent, before the wait: the job must be started again after `up` even if the wait then fails.
 */
export async function stopForUpdate(
  az: Az,
  where: { readonly resourceGroup: string; readonly jobName: string },
  preview: () => unknown,
  w: Waiting,
  stopRequested?: () => void,
): Promise<{ outcome: StopOutcome; changes: PreviewStep[] }> {
  const job = findJob(az, where.resourceGroup, where.jobName);
  if (!job) return { outcome: "no job", changes: [] };
  // Stopped by someone else (dev's off-hours pipeline at the end of the day): Azure refuses an update until it is
  // stopped, and it is not this run's to start again.
  if (job.properties?.jobState === "Stopping") {
    await waitFor(az, job.id, isStopped, "stopped", w);
    return { outcome: "not running", changes: [] };
  }
  if (!isActive(job)) return { outcome: "not running", changes: [] };
  const changes = jobChanges(preview());
  if (changes.length === 0) return { outcome: "unchanged", changes };
  post(az, job.id, "stop");
  stopRequested?.();
  await waitFor(az, job.id, isStopped, "stopped", w);
  return { outcome: "stopped", changes };
}

/** States of a job that is not running and not on its way to or from running. */
const isStopped = (state: string) => state === "Stopped" || state === "Failed" || state === "Created";

/**
 * After `up`: starts the job unless it runs (first from its start, then from its last output). A job still stopping
 * (Azure refuses a start then) is waited for first.
 */
export async function startJob(
  az: Az,
  where: { readonly resourceGroup: string; readonly jobName: string },
  w: Waiting,
): Promise<{ outcome: "no job" | "running" | "started"; mode?: string }> {
  let job = findJob(az, where.resourceGroup, where.jobName);
  if (!job) return { outcome: "no job" };
  if (job.properties?.jobState === "Stopping") {
    await waitFor(az, job.id, isStopped, "stopped", w);
    job = getJob(az, job.id);
  }
  if (isActive(job)) return { outcome: "running" };
  const mode = startMode(job);
  post(az, job.id, "start", { outputStartMode: mode });
  return { outcome: "started", mode };
}
