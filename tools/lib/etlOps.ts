/**
 * What the deploy and drift workflows do around `pulumi up` for the ETL tier and the OLAP tier's managed network,
 * through Azure Resource Manager only (the Azure CLI; no data plane, so any runner works):
 *
 *  - `stop-triggers` (before `up`): a started Data Factory trigger cannot be updated ("TriggerEnabledCannotUpdate"),
 *    so started triggers are stopped first, as Microsoft's CI/CD script does (continuous-integration-delivery).
 *  - `approve-endpoints` (after `up`): a managed private endpoint creates a Pending private endpoint connection on
 *    its target, named by Azure; only the target's owner approves it. This approves exactly the factory's own
 *    (`properties.privateEndpoint.id` ending in `/<factory>.<managed endpoint>`, once the factory reports that
 *    endpoint provisioned) and the Synapse workspace's to its default storage (`/<workspace>.<…>`), waiting for
 *    connections that are not there yet, never touches others, and approves none of a name two connections claim
 *    (a stranger can name an endpoint anything: claimProblem).
 *  - `start-triggers` (after `up`): triggers are created stopped (ARM has no way to start them).
 *  - `check` (drift): fails when a connection is not approved or a trigger is not started.
 *
 * The decisions are pure functions (tests/etlOps.spec.ts); `Az` runs the CLI and is replaced by a fake in tests.
 */
import { execFileSync } from "node:child_process";
import { WINDOWS_TIME_ZONES } from "../../lib/timeZones";
import { UsageError } from "./cli";

export const ADF_API = "2018-06-01";
const ARM = "https://management.azure.com";

/** A private endpoint connection on a target, as `az network private-endpoint-connection list` prints it. */
export interface Connection {
  readonly id: string;
  readonly properties: {
    readonly privateEndpoint?: { readonly id?: string };
    readonly privateLinkServiceConnectionState?: { readonly status?: string };
  };
}

/** A managed private endpoint of the factory (REST `managedPrivateEndpoints` list item). */
export interface ManagedEndpoint {
  readonly name: string;
  readonly properties: {
    readonly privateLinkResourceId?: string;
    readonly groupId?: string;
    /** `Succeeded` once Azure has created the endpoint, so its connection is on the target. */
    readonly provisioningState?: string;
  };
}

/** A trigger of the factory (REST `triggers` list item). */
export interface TriggerInfo {
  readonly name: string;
  readonly properties: { readonly runtimeState?: string };
}

/** Who owns a connection: the private endpoint's name is `<owner>.<endpoint>` (Data Factory, Synapse). */
export interface Expected {
  /** The target resource id (server, workspace, storage account, Cosmos DB account). */
  readonly targetId: string;
  /** The private endpoint's exact name, or a prefix ending in `.` (every endpoint of that owner). */
  readonly privateEndpointName: string;
  readonly description: string;
  /**
   * Whether the owner's own endpoint exists yet (the factory's reads its managed endpoint's provisioning state): no
   * connection is approved before, so a stranger's endpoint that took the name first is never the only one seen.
   */
  readonly ownerReady?: () => boolean;
}

const peName = (c: Connection) => (c.properties.privateEndpoint?.id ?? "").split("/").pop() ?? "";
const statusOf = (c: Connection) => c.properties.privateLinkServiceConnectionState?.status ?? "";

/** Whether a connection comes from the expected private endpoint (exact name, or `<owner>.` prefix). */
export function isFrom(c: Connection, name: string): boolean {
  const n = peName(c).toLowerCase();
  return name.endsWith(".") ? n.startsWith(name.toLowerCase()) : n === name.toLowerCase();
}

/** Connections of one expectation that still wait for approval. */
export function pendingOf(connections: readonly Connection[], expected: Expected): Connection[] {
  return connections.filter((c) => isFrom(c, expected.privateEndpointName) && statusOf(c) === "Pending");
}

/**
 * The name is all a connection says of its endpoint's owner, and anyone can create a private endpoint of any name
 * to any resource whose id they know, from any subscription or tenant; Azure leaves such a request Pending for the
 * target's owner (MicrosoftDocs/azure-docs#72045). So a name claimed by more than one connection, in any state, is
 * never approved: the problem names every claimant's endpoint id, for a person to approve the stack's own and
 * reject the others. Undefined when at most one pending or approved connection claims it.
 */
export function claimProblem(connections: readonly Connection[], expected: Expected): string | undefined {
  // A rejected or disconnected connection carries no traffic and stays on the target until deleted: not a claimant
  // (else rejecting a stranger's, as the problem says to, would leave the name claimed twice for good).
  const mine = connections.filter(
    (c) => isFrom(c, expected.privateEndpointName) && !["Rejected", "Disconnected"].includes(statusOf(c)),
  );
  if (mine.length <= 1) return undefined;
  return (
    `${expected.description}: ${mine.length} private endpoint connections on ${expected.targetId} claim the name ` +
    `${expected.privateEndpointName}, approved by none of this tool: ` +
    mine
      .map((c) => `${c.id} from ${c.properties.privateEndpoint?.id ?? "?"} (${statusOf(c) || "no state"})`)
      .join("; ") +
    " (approve the stack's own by hand, `az network private-endpoint-connection reject --id <id>` the others)"
  );
}

/** What the drift check reports for one expectation: missing, claimed twice, not approved (rejected, pending). */
export function connectionProblems(connections: readonly Connection[], expected: Expected): string[] {
  const mine = connections.filter((c) => isFrom(c, expected.privateEndpointName));
  if (mine.length === 0)
    return [
      `${expected.description}: no private endpoint connection from ${expected.privateEndpointName} on ${expected.targetId}`,
    ];
  // Two active connections of one full endpoint name: one is not the stack's (a second endpoint of the workspace's
  // prefix under another name, approved by a person, is not a problem).
  const active = mine.filter((c) => !["Rejected", "Disconnected"].includes(statusOf(c)));
  const names = active.map((c) => peName(c).toLowerCase());
  const claimed = names.some((n, i) => names.indexOf(n) !== i)
    ? claimProblem(
        active.filter((c) => names.filter((n) => n === peName(c).toLowerCase()).length > 1),
        expected,
      )
    : undefined;
  // Once one is approved, a rejected or disconnected one of the name (a stranger's, rejected as the claim problem
  // asks) is no problem; with none approved, each is.
  const approved = mine.some((c) => statusOf(c) === "Approved");
  return [
    ...(claimed ? [claimed] : []),
    ...mine
      .filter((c) => statusOf(c) !== "Approved")
      .filter((c) => !approved || !["Rejected", "Disconnected"].includes(statusOf(c)))
      .map((c) => `${expected.description}: ${c.id} is ${statusOf(c) || "in no state"}, not Approved`),
  ];
}

/**
 * The factory's expectations: one per managed private endpoint, from the factory's own list; `provisioned` reads an
 * endpoint's state again (each approval attempt), defaulting to the state in the list.
 */
export function factoryExpectations(
  factoryName: string,
  endpoints: readonly ManagedEndpoint[],
  provisioned: (endpoint: string) => boolean = (name) =>
    endpoints.find((e) => e.name === name)?.properties.provisioningState === "Succeeded",
): Expected[] {
  return endpoints
    .filter((e) => e.properties.privateLinkResourceId)
    .map((e) => ({
      targetId: e.properties.privateLinkResourceId!,
      privateEndpointName: `${factoryName}.${e.name}`,
      description: `Data Factory ${factoryName} managed private endpoint ${e.name} (${e.properties.groupId ?? "?"})`,
      ownerReady: () => provisioned(e.name),
    }));
}

export const triggersToStart = (triggers: readonly TriggerInfo[]) =>
  triggers.filter((t) => t.properties.runtimeState !== "Started");
export const triggersToStop = (triggers: readonly TriggerInfo[]) =>
  triggers.filter((t) => t.properties.runtimeState === "Started");

/** Runs `az` with JSON output; the one side effect of this module. */
export type Az = (args: readonly string[]) => unknown;

export const azCli: Az = (args) => {
  const out = execFileSync("az", [...args, "--output", "json"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return out.trim() === "" ? null : JSON.parse(out);
};

/**
 * The subscription the stack deploys to, as azure-native reads it: `azure-native:subscriptionId` from the stack's
 * config, else `ARM_SUBSCRIPTION_ID` (the provider's config key first, then its variable, as deploy.yml sets it);
 * undefined when neither is set, and the provider then takes the Azure CLI's own subscription too.
 */
export function stackSubscription(
  config: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return config["azure-native:subscriptionId"] || env.ARM_SUBSCRIPTION_ID || undefined;
}

/**
 * `az`, checked before its first call to be logged in to the stack's subscription: the tools name resource groups,
 * not subscriptions, so an Azure CLI left on another stack's subscription (dev's, when prod's is separate) would
 * register providers there, or find no pool to wake and report nothing to do. A usage error names both and the fix.
 */
export function checkedAz(az: Az, stack: string, wanted: string | undefined): Az {
  let checked = wanted === undefined;
  return (args) => {
    if (!checked) {
      const current = az(["account", "show", "--query", "id"]);
      if (typeof current !== "string" || current.toLowerCase() !== wanted?.toLowerCase())
        throw new UsageError(
          `the Azure CLI is on subscription ${String(current)}, stack ${stack} deploys to ${wanted} ` +
            "(azure-native:subscriptionId, else ARM_SUBSCRIPTION_ID): run `az account set --subscription " +
            `${wanted}\` first`,
        );
      checked = true;
    }
    return az(args);
  };
}

export interface StackResources {
  /** Resource group of the ETL tier (the factory). */
  readonly integrationResourceGroup: string;
  /** Resource group of the data tiers (the Synapse workspace). */
  readonly dataResourceGroup: string;
}

/**
 * Ids of the resources of one type in a resource group (`az resource list`); none when the group does not exist yet
 * (before a stack's first `up`), which `az resource list` reports as an error (ResourceGroupNotFound) rather than an
 * empty list.
 */
export const resourceIds = (az: Az, rg: string, type: string): string[] =>
  az(["group", "exists", "--name", rg]) === true
    ? ((az(["resource", "list", "--resource-group", rg, "--resource-type", type, "--query", "[].id"]) as
        string[] | null) ?? [])
    : [];

const list = <T>(az: Az, url: string): T[] =>
  (az(["rest", "--method", "get", "--url", `${ARM}${url}`]) as { value?: T[] } | null)?.value ?? [];

/** The factory (at most one per integration group), or undefined before the first `up`. */
export function findFactory(az: Az, s: StackResources): { id: string; name: string } | undefined {
  const found = resourceIds(az, s.integrationResourceGroup, "Microsoft.DataFactory/factories");
  if (found.length > 1) throw new Error(`${s.integrationResourceGroup} holds ${found.length} factories; expected one`);
  return found[0] ? { id: found[0], name: found[0].split("/").pop()! } : undefined;
}

export function triggersOf(az: Az, factoryId: string): TriggerInfo[] {
  return list<TriggerInfo>(az, `${factoryId}/triggers?api-version=${ADF_API}`);
}

export function setTrigger(az: Az, factoryId: string, trigger: string, action: "start" | "stop"): void {
  az(["rest", "--method", "post", "--url", `${ARM}${factoryId}/triggers/${trigger}/${action}?api-version=${ADF_API}`]);
}

/**
 * Stops (or starts) every trigger of the factory that needs it, then reads them back until none does: `Triggers_Start`
 * and `Triggers_Stop` are long-running operations (x-ms-long-running-operation in the 2018-06-01 Data Factory spec)
 * and `az rest` does not wait for them, so `pulumi up` could otherwise meet a trigger still started, which Azure
 * refuses to update. Returns the triggers it acted on; throws naming those still left after `attempts` reads.
 */
export async function setTriggers(
  az: Az,
  factoryId: string,
  action: "start" | "stop",
  opts: { readonly attempts: number; readonly delayMs: number; readonly log: (line: string) => void },
): Promise<string[]> {
  const pending = (ts: readonly TriggerInfo[]) => (action === "stop" ? triggersToStop(ts) : triggersToStart(ts));
  const acted = pending(triggersOf(az, factoryId)).map((t) => t.name);
  for (const name of acted) {
    setTrigger(az, factoryId, name, action);
    opts.log(`${action === "stop" ? "stopped" : "started"} trigger ${name} of ${factoryId.split("/").pop()}`);
  }
  if (acted.length === 0) return acted;
  for (let attempt = 1; ; attempt++) {
    // Only the triggers acted on, and not a Disabled one (a start does not make it Started: it is reported, not
    // waited for).
    const left = pending(triggersOf(az, factoryId))
      .filter((t) => acted.includes(t.name) && t.properties.runtimeState !== "Disabled")
      .map((t) => `${t.name} (${t.properties.runtimeState ?? "?"})`);
    if (left.length === 0) return acted;
    if (attempt >= opts.attempts)
      throw new Error(
        `triggers not ${action === "stop" ? "stopped" : "started"} after ${attempt} checks: ${left.join(", ")}`,
      );
    await new Promise((r) => setTimeout(r, opts.delayMs));
  }
}

/** Every connection the stack owns: the factory's managed endpoints and the Synapse workspaces' to their lake. */
export function expectations(az: Az, s: StackResources): Expected[] {
  const out: Expected[] = [];
  const factory = findFactory(az, s);
  if (factory) {
    const endpoints = list<ManagedEndpoint>(
      az,
      `${factory.id}/managedVirtualNetworks/default/managedPrivateEndpoints?api-version=${ADF_API}`,
    );
    const endpointsUrl = `${factory.id}/managedVirtualNetworks/default/managedPrivateEndpoints`;
    out.push(
      ...factoryExpectations(
        factory.name,
        endpoints,
        (name) =>
          (
            az(["rest", "--method", "get", "--url", `${ARM}${endpointsUrl}/${name}?api-version=${ADF_API}`]) as {
              properties?: { provisioningState?: string };
            } | null
          )?.properties?.provisioningState === "Succeeded",
      ),
    );
  }
  for (const ws of resourceIds(az, s.dataResourceGroup, "Microsoft.Synapse/workspaces")) {
    const lake = az(["resource", "show", "--ids", ws, "--query", "properties.defaultDataLakeStorage.resourceId"]) as
      string | null;
    const name = ws.split("/").pop()!;
    if (lake)
      out.push({
        targetId: lake,
        privateEndpointName: `${name}.`,
        description: `Synapse workspace ${name} managed VNet (default storage)`,
      });
  }
  return out;
}

export const connectionsOf = (az: Az, targetId: string): Connection[] =>
  (az(["network", "private-endpoint-connection", "list", "--id", targetId]) as Connection[] | null) ?? [];

/**
 * Approves each expectation's pending connections, polling until each has one (a connection appears on the target
 * only once its managed endpoint is provisioned); returns what it approved, throws naming what never appeared. A
 * failed list or approval (a 409 while the connection is still being updated, a throttled call) is logged and tried
 * again on the next attempt, never aborting the others; it is named at the end if it never succeeded.
 */
export async function approveAll(
  az: Az,
  expected: readonly Expected[],
  opts: { readonly attempts: number; readonly delayMs: number; readonly log: (line: string) => void },
): Promise<string[]> {
  const approved: string[] = [];
  const missing: string[] = [];
  const failed: string[] = [];
  const claimed: string[] = [];
  for (const e of expected) {
    let done = false;
    let lastError: string | undefined;
    let ownerNotReady = false;
    for (let attempt = 1; attempt <= opts.attempts && !done; attempt++) {
      try {
        const connections = connectionsOf(az, e.targetId);
        const active = connections.filter(
          (c) => isFrom(c, e.privateEndpointName) && !["Rejected", "Disconnected"].includes(statusOf(c)),
        );
        const pending = active.filter((c) => statusOf(c) === "Pending");
        // Once one of the name (or of the workspace's prefix) is approved, the stack's own has been: a pending one
        // besides it is a stranger's or one made by hand, left to a person (a warning, and the drift check's
        // report), never approved and never a reason to fail the deploy (else anyone who knows the target's id could
        // stop every deploy with one pending connection).
        if (active.some((c) => statusOf(c) === "Approved")) {
          for (const c of pending)
            opts.log(
              `::warning::${e.description}: ${c.id} from ${c.properties.privateEndpoint?.id ?? "?"} is Pending beside the approved one: not approved; a person approves or rejects it`,
            );
          done = true;
          break;
        }
        // None approved yet: two claimants cannot be told apart, so neither is approved (the problem names both).
        const claim = pending.length > 0 ? claimProblem(connections, e) : undefined;
        if (claim !== undefined) {
          claimed.push(claim);
          done = true;
          break;
        }
        // Nothing is approved before the owner's own endpoint exists (then a stranger's would be a second claimant).
        ownerNotReady = active.length > 0 && !(e.ownerReady?.() ?? true);
        const seen = active.length > 0 && !ownerNotReady;
        for (const c of seen ? pending : []) {
          az([
            "network",
            "private-endpoint-connection",
            "approve",
            "--id",
            c.id,
            "--description",
            e.description.slice(0, 140),
          ]);
          approved.push(c.id);
          opts.log(`approved ${c.id} from ${c.properties.privateEndpoint?.id ?? "?"} (${e.description})`);
        }
        done = seen;
        lastError = undefined;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        opts.log(`${e.description}: ${lastError} (attempt ${attempt} of ${opts.attempts})`);
      }
      if (!done && attempt < opts.attempts) await new Promise((r) => setTimeout(r, opts.delayMs));
    }
    if (done) continue;
    if (lastError !== undefined) failed.push(`${e.description}: ${lastError}`);
    else if (ownerNotReady)
      missing.push(
        `${e.description}: a connection of ${e.privateEndpointName} is on ${e.targetId}, but the factory never reported its endpoint Succeeded (its provisioning state)`,
      );
    else missing.push(`${e.description}: no connection from ${e.privateEndpointName} on ${e.targetId}`);
  }
  const problems = [
    ...(claimed.length > 0 ? [`not approved (a name claimed twice):\n${claimed.join("\n")}`] : []),
    ...(missing.length > 0 ? [`not approved (never appeared):\n${missing.join("\n")}`] : []),
    ...(failed.length > 0 ? [`not approved (Azure kept failing):\n${failed.join("\n")}`] : []),
  ];
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return approved;
}

export { WINDOWS_TIME_ZONES };

/** The pool's pause schedule (olap.pauseSchedule), as far as working hours go. */
export interface WorkingHours {
  readonly timeZone: string;
  readonly resumeAt: string;
  readonly pauseAt: string;
  readonly weekdaysOnly: boolean;
}

/**
 * Whether `now` is outside the schedule's working hours, in its time zone: before `resumeAt`, from `pauseAt` on, or
 * at the weekend when the schedule runs on weekdays only. A time zone it cannot map is an error naming the key.
 */
export function isOffHours(schedule: WorkingHours, now: Date): boolean {
  const zone = WINDOWS_TIME_ZONES[schedule.timeZone];
  if (!zone)
    throw new Error(
      `olap.pauseSchedule.timeZone: '${schedule.timeZone}' is not one of ${Object.keys(WINDOWS_TIME_ZONES).join(", ")}`,
    );
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  if (schedule.weekdaysOnly && (parts.weekday === "Sat" || parts.weekday === "Sun")) return true;
  const hhmm = `${parts.hour}:${parts.minute}`;
  return hhmm < schedule.resumeAt || hhmm >= schedule.pauseAt;
}

/** Minutes before `resumeAt` within which a deploy leaves things awake (the morning start is about to run). */
export const SLEEP_MARGIN_MINUTES = 30;

/**
 * Whether a deploy now should put the off-hours targets back to sleep: off hours now and still off hours
 * `SLEEP_MARGIN_MINUTES` later. Just before `resumeAt` a stop run could outlast the morning start, which finds
 * everything running and leaves, and dev would then sleep all day.
 */
export function sleepsNow(schedule: WorkingHours, now: Date, marginMinutes = SLEEP_MARGIN_MINUTES): boolean {
  return isOffHours(schedule, now) && isOffHours(schedule, new Date(now.getTime() + marginMinutes * 60_000));
}

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
  const out = post<{ value?: ActivityRunInfo[] }>(
    az,
    `${factoryId}/pipelineruns/${runId}/queryActivityruns?api-version=${ADF_API}`,
    { lastUpdatedAfter: since.toISOString(), lastUpdatedBefore: until.toISOString() },
  );
  return (out?.value ?? [])
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
  const out = post<{ value?: FactoryRun[] }>(az, `${factoryId}/queryPipelineRuns?api-version=${ADF_API}`, {
    lastUpdatedAfter: new Date(now.getTime() - hours * 3_600_000).toISOString(),
    lastUpdatedBefore: new Date(now.getTime() + 60_000).toISOString(),
    filters: [{ operand: "Status", operator: "In", values: ["Queued", "InProgress", "Canceling"] }],
  });
  return out?.value ?? [];
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
        `${pipeline} run ${runId} is still ${status} after ${attempt} checks: follow it with az datafactory pipeline-run show --run-id ${runId}`,
      );
  }
}

/** API version of the dedicated SQL pool operations (the one the factory's pool pipelines call). */
export const SYNAPSE_POOL_API = "2021-06-01";

/** A dedicated SQL pool (REST `sqlPools` list item). */
export interface PoolInfo {
  readonly id: string;
  readonly properties: { readonly status?: string };
}

/** The dedicated SQL pools of the stack's Synapse workspaces (none before the first `up`). */
export function poolsOf(az: Az, s: StackResources): PoolInfo[] {
  return resourceIds(az, s.dataResourceGroup, "Microsoft.Synapse/workspaces").flatMap((ws) =>
    list<PoolInfo>(az, `${ws}/sqlPools?api-version=${SYNAPSE_POOL_API}`),
  );
}

/** A pool's current status (`Online`, `Paused`, `Resuming`, …), read from Resource Manager. */
const poolStatus = (az: Az, poolId: string): string | undefined =>
  (az(["rest", "--method", "get", "--url", `${ARM}${poolId}?api-version=${SYNAPSE_POOL_API}`]) as PoolInfo | null)
    ?.properties.status;

/** What a pool in `status` needs before a refresh can read it: nothing (Online), a resume (Paused), or a wait. */
export function poolStep(status: string | undefined): "online" | "resume" | "wait" {
  if (status === "Online") return "online";
  if (status === "Paused") return "resume";
  return "wait";
}

/** Checks of a pool still Paused after its resume before the resume is sent again (a resume that failed quietly). */
export const RESUME_AGAIN_AFTER = 4;

/**
 * Brings every paused pool of the stack online before `pulumi up` (dev pauses its pool outside working hours, and a
 * refresh or update reads its TDE setting and workload groups, which live in the pool's database): resumes the paused
 * ones and waits until each is Online. Returns the ids of the pools it resumed, for `pausePools` after `up`.
 */
export async function wakePools(
  az: Az,
  s: StackResources,
  opts: {
    readonly attempts: number;
    readonly delayMs: number;
    readonly log: (line: string) => void;
    /** Told the pools resumed so far, after each resume: a later failure must not hide one it left running. */
    readonly resumed?: (poolIds: readonly string[]) => void;
  },
): Promise<string[]> {
  const resumed: string[] = [];
  for (const pool of poolsOf(az, s)) {
    // One resume at a time: Azure answers 202 and may still report Paused a check later, and a second resume while
    // the first runs can be refused (409), failing the deploy. Sent again if the pool went back to Paused after
    // showing progress (a resume that failed), or still reads Paused RESUME_AGAIN_AFTER checks later (one that failed
    // between two checks).
    let resumePending = false;
    let pausedSinceResume = 0;
    for (let attempt = 1; ; attempt++) {
      const status = poolStatus(az, pool.id);
      const step = poolStep(status);
      if (step === "online") break;
      if (step === "resume" && resumePending && ++pausedSinceResume >= RESUME_AGAIN_AFTER) resumePending = false;
      if (step === "resume" && !resumePending) {
        az(["rest", "--method", "post", "--url", `${ARM}${pool.id}/resume?api-version=${SYNAPSE_POOL_API}`]);
        resumePending = true;
        pausedSinceResume = 0;
        if (!resumed.includes(pool.id)) resumed.push(pool.id);
        opts.resumed?.([...resumed]);
        opts.log(`resuming ${pool.id.split("/").pop()} (was Paused)`);
      } else if (step === "wait" && resumed.includes(pool.id)) {
        resumePending = false;
      }
      if (attempt >= opts.attempts)
        throw new Error(`pool ${pool.id} is still ${status ?? "in no state"} after ${attempt} checks`);
      await new Promise((r) => setTimeout(r, opts.delayMs));
    }
  }
  return [...new Set(resumed)];
}

/**
 * Pauses the pools `wakePools` resumed (after `up`, whatever its outcome): the schedule had them paused. Only a pool
 * that is Online (one already paused, or pausing, is left alone), and a failure is a warning, never an error: it
 * must not fail the dev job, which would hold prod's deploy back; the schedule's next pause catches the pool.
 * Returns the pools it paused.
 */
export function pausePools(az: Az, poolIds: readonly string[], log: (line: string) => void): string[] {
  const paused: string[] = [];
  for (const id of poolIds) {
    const name = id.split("/").pop();
    try {
      const status = poolStatus(az, id);
      if (poolStep(status) !== "online") {
        log(`${name} is ${status ?? "in no state"}: left as it is`);
        continue;
      }
      az(["rest", "--method", "post", "--url", `${ARM}${id}/pause?api-version=${SYNAPSE_POOL_API}`]);
      paused.push(id);
      log(`pausing ${name} again`);
    } catch (e) {
      log(`::warning::could not pause ${name} again (${(e as Error).message}); the pause schedule will`);
    }
  }
  return paused;
}
