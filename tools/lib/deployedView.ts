/**
 * The deployed view of the program (ids and outputs known, as after `pulumi up`) and the ARM schema check over it,
 * in a worker thread. The mock engine is process-global, so the two views of one preview cannot share a thread;
 * `npm run preview:offline` runs this one beside the first-preview run that decides the policy verdict, on the
 * second core, instead of after it. The worker starts through the same cached loader (scripts/ts-run.cjs).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parentPort, Worker, workerData } from "node:worker_threads";
import type { SchemaCheck } from "./armSchema/check";
import type { StackCost } from "./cost/stack";
import { UsageError } from "./cli";
import type { ProgramRun, RunProgramOptions } from "./engine";
import type { ResourceRecord, RunOptions, Verdict } from "./policyRunner";

const ROOT = path.resolve(__dirname, "..", "..");
const TS_RUN = path.join(ROOT, "scripts", "ts-run.cjs");

interface CpuSample {
  readonly at: bigint;
  readonly busyMs: number;
  readonly idleMs: number;
  readonly ownUs: number;
}

/** The shortest time over which othersBusySinceStart tells (the kernel counts the machine's CPU time in 10 ms ticks). */
const MEASURE_MS = 100;

/**
 * The CPU time other processes used since the loader started this process (scripts/ts-run.cjs), in cores on
 * average: the machine's busy time less this process's own. Undefined when not started by the loader, or too
 * recently to tell (under MEASURE_MS; with `wait`, it waits for the rest of that time instead: a preview whose
 * caches are warm asks sooner), or where the machine's CPU times are not known.
 */
export function othersBusySinceStart(wait = false): number | undefined {
  let loader: { cpuAtStart?: () => CpuSample | undefined; cpuSample?: () => CpuSample };
  try {
    loader = require(TS_RUN) as typeof loader;
  } catch {
    return undefined;
  }
  const start = loader.cpuAtStart?.();
  let now = loader.cpuSample?.();
  if (!start || !now || now.busyMs + now.idleMs === 0) return undefined;
  let ms = Number(now.at - start.at) / 1e6;
  if (ms < MEASURE_MS && wait && loader.cpuSample) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.ceil(MEASURE_MS - ms));
    now = loader.cpuSample();
    ms = Number(now.at - start.at) / 1e6;
  }
  if (ms < MEASURE_MS) return undefined;
  return Math.max(0, now.busyMs - start.busyMs - (now.ownUs - start.ownUs) / 1000) / ms;
}

/**
 * Whether a core is free for the deployed view's worker thread: the machine has a second one and is not already
 * busy. On a busy machine the worker would only compete with this thread and load every module a second time, so
 * the two views then run one after the other in this thread. First guess (at once, so that the worker loads the SDK
 * while this thread loads the policy pack): the 1-minute load average leaves a core. That average still counts
 * processes that just ended (a bench, the tests run before), so when it says busy, `measured` asks again, by what
 * other processes used of the machine since this one started (over at least 0.1 s: asked sooner, which a preview
 * with warm caches does, it waits for the rest rather than guess one thread): at most half a core on two (a core and
 * a half free), and the worker starts then. `PREVIEW_THREADS=1` or `=2` overrides both (one thread, or
 * the worker), e.g. to compare measurements.
 */
export function secondCoreFree(measured = false): boolean {
  // The measure decides past the load average: not one more instant's reading of what runs (secondCore).
  const first = measured ? secondCore({ runnable: undefined }) : secondCore();
  if (first !== "maybe") return first === "yes";
  if (!measured) return false;
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  const others = othersBusySinceStart(true);
  return others !== undefined && others <= cores - 1.5;
}

/**
 * secondCoreFree's first guess, asked at once: "yes" (forced, or the load average leaves a core, or it does not but
 * nothing else runs at this instant, see runnableNow), "no" (forced, or a single core), or "maybe": the load average says busy, which
 * it also says for a minute after a busy process ended, and something else is running, so the measure
 * (`secondCoreFree(true)`) decides. One instant reads a process busy part of the time as idle as often as it idles (a
 * loop busy 60% of the time: 8 times in 20), which is what the load average says of it too (about 0.6: a core free);
 * a machine whose cores are all busy never reads idle. `npm run preview:offline` starts the worker on "maybe" as well, gated
 * (`startDeployedView`): it boots while this thread loads the policy pack and waits there, then loads the SDK if the
 * measure says go, or ends (`stopStartedViews`): a worker's start-up spent for nothing on a busy machine, against
 * that start-up saved on a machine that was only busy a minute ago. `now` stands in for the machine's readings (tests).
 */
export function secondCore(
  /** The machine's load average, and what runs elsewhere right now (runnableNow). */
  now: { readonly loadAverage?: number; readonly runnable?: number | undefined } = {},
): "yes" | "maybe" | "no" {
  const forced = process.env.PREVIEW_THREADS;
  if (forced === "1" || forced === "2") return forced === "2" ? "yes" : "no";
  if (forced) throw new UsageError(`PREVIEW_THREADS must be 1 (one thread) or 2 (the worker), not '${forced}'`);
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  if (cores < 2) return "no";
  if ((now.loadAverage ?? os.loadavg()[0]) <= cores - 1) return "yes";
  // The load average lags a minute behind: a machine whose only runnable thread is this one was busy, not is.
  // Read twice: the count and the threads' states are read apart, and a parent going to sleep in between reads as
  // someone else running.
  return ("runnable" in now ? now.runnable : Math.min(runnableNow() ?? 1, runnableNow() ?? 1)) === 0 ? "yes" : "maybe";
}

/** Reading Linux's /proc (tests stand in for it). */
export interface ProcFs {
  readonly read: (file: string) => string;
  readonly list: (dir: string) => string[];
}

const PROC: ProcFs = { read: (f) => fs.readFileSync(f, "utf8"), list: (d) => fs.readdirSync(d) };

/**
 * How many threads of the machine are runnable right now outside this process and its parents (npm and its shell,
 * which may still be finishing their start when this one begins): /proc/loadavg's count of runnable threads
 * (`running/total`, proc(5)) less the threads of this process and of up to three ancestors in state R
 * (/proc/<pid>/task/<tid>/stat). Undefined where /proc is not readable (not Linux).
 */
export function runnableNow(proc: ProcFs = PROC): number | undefined {
  try {
    const total = /^\S+ \S+ \S+ (\d+)\/\d+ /.exec(proc.read("/proc/loadavg"));
    if (!total) return undefined;
    let ours = 0;
    let pid = process.pid;
    // Threads and ancestors come and go while this reads (a V8 helper thread ends between the listing and its stat,
    // npm exits): one that has ended runs nothing, and an ancestor that has ended ends the walk.
    const readOrNone = (file: string) => {
      try {
        return proc.read(file);
      } catch {
        return undefined;
      }
    };
    for (let level = 0; level < 4 && pid > 1; level++) {
      let tids: string[];
      try {
        tids = proc.list(`/proc/${pid}/task`);
      } catch {
        break;
      }
      for (const tid of tids) {
        const stat = readOrNone(`/proc/${pid}/task/${tid}/stat`);
        // The state follows the command name, which is in parentheses and may hold any character.
        if (stat !== undefined && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "R") ours += 1;
      }
      const own = readOrNone(`/proc/${pid}/stat`);
      if (own === undefined) break;
      pid = Number(own.slice(own.lastIndexOf(")") + 2).split(" ")[1]);
    }
    return Math.max(0, Number(total[1]) - ours);
  } catch {
    return undefined;
  }
}

/** The program run of a stack: its config (Pulumi.yaml and the stack file) and entry. */
export function programOf(opts: {
  readonly stack: string;
  readonly root?: string;
  readonly stackFile?: string;
  readonly program?: string;
  readonly debug?: boolean;
}): RunProgramOptions & { readonly warnings?: readonly string[]; readonly tags?: Readonly<Record<string, string>> } {
  const root = opts.root ?? ROOT;
  // Loaded here, not with this module: the worker, which gets the program's options, never parses YAML.
  const { loadStackConfig } = require("./stackConfig") as typeof import("./stackConfig");
  const sc = loadStackConfig(root, opts.stack, opts.stackFile);
  return { ...sc, program: opts.program ?? path.join(root, "index.ts"), root, debug: opts.debug };
}

/** What the worker does with the deployed view besides sending it. */
export interface WorkerTasks {
  /** The ARM schema check over it, shared with the calling thread (`DeployedView.check`). */
  readonly schema: boolean;
  /** The stack's cost estimate over it (tools/lib/cost/stack.ts), after its share of the check. */
  readonly cost?: boolean;
  /**
   * The policy pack's evaluation of it, shared with the calling thread (`DeployedView.verdict`), last. The worker
   * then waits for the caller's run options (or `release`) before it ends.
   */
  readonly verdict?: boolean;
}

/** A worker's job: its view, and a way to end the worker at once. */
interface Launched {
  readonly job: Promise<DeployedView>;
  readonly stop: () => void;
  /** Opens a gated worker's gate (see `startDeployedView`); a no-op for a worker started without one. */
  readonly go: () => void;
}

const started = new Map<string, Launched>();
const jobKey = (program: RunProgramOptions, tasks: WorkerTasks) =>
  JSON.stringify([program, tasks.schema, tasks.cost === true, tasks.verdict === true]);

/**
 * Starts the deployed view's worker ahead of `previewStack`, which takes it over when it asks for the same program
 * and tasks: `npm run preview:offline` starts it before loading the policy pack, so that both threads load at once.
 */
export function startDeployedView(
  program: RunProgramOptions,
  tasks: WorkerTasks,
  /**
   * Started on a guess (`secondCore` said "maybe"): the worker boots, then waits before it loads the SDK until the
   * caller takes the view over (it goes on) or stops it (`stopStartedViews`), so that a busy machine loses at most its
   * start-up; until then it keeps no process alive.
   */
  opts: { readonly gated?: boolean } = {},
): Promise<DeployedView> {
  const launched = launch(program, tasks, opts.gated === true);
  launched.job.catch(() => undefined);
  started.set(jobKey(program, tasks), launched);
  return launched.job;
}

/**
 * Ends the workers started ahead and not taken over, at once (the preview found no core free after all, see
 * `secondCore`): the two views then run one after the other in the calling thread.
 */
export function stopStartedViews(): void {
  for (const { stop } of started.values()) stop();
  started.clear();
}

/** The deployed view in a worker: the one started ahead for this program and tasks, else a new one. */
export function deployedView(program: RunProgramOptions, tasks: WorkerTasks): Promise<DeployedView> {
  const key = jobKey(program, tasks);
  const launched = started.get(key);
  started.delete(key);
  launched?.go();
  return launched?.job ?? deployedViewInWorker(program, tasks);
}

export interface DeployedView {
  readonly run: ProgramRun;
  /**
   * The ARM schema check of `run` (unless the view was started without it), which the worker has begun and the
   * calling thread shares: call it when this thread is free (see checkShare).
   */
  readonly check?: () => Promise<SchemaCheck>;
  /**
   * The stack's cost estimate and capacity table over `run` (when asked for), which the worker computes once its share
   * of the check is done, while the calling thread still evaluates the pack; undefined when it could not (bad
   * `usage`/`load` config: the caller computes it itself and reports the error as it always does).
   */
  readonly cost?: () => Promise<StackCost | undefined>;
  /**
   * The policy pack's verdict over `run` with these options (the caller's, as for its own view), which the worker
   * and the calling thread evaluate together: each takes the next policy off a queue they share (`RunOptions.take`),
   * and the parts are merged into exactly the verdict of one evaluation (`mergeVerdicts`). Call it at most once, when
   * this thread is free; only when the view was asked with the `verdict` task; with a config the caller has validated
   * (`resolvePolicies`, as previewStack does before the program runs): neither thread runs its JSON Schema pass again.
   */
  readonly verdict?: (options: RunOptions) => Promise<Verdict>;
  /**
   * Hands the worker the options of the verdict ahead of `verdict` (which must then be called with the same
   * options), so that the worker starts taking policies as soon as its other tasks are done instead of waiting,
   * idle, until this thread is free to join; only with the `verdict` task, with a validated config, at most once.
   */
  readonly begin?: (options: RunOptions) => void;
  /**
   * Lets the worker end without its share of the verdict (a no-op once `verdict` was called): a caller that asked for
   * the `verdict` task calls it on every path that may not reach `verdict`, e.g. an error. After `begin`, the worker
   * takes no further policy and ends. A `verdict` asked after it rejects.
   */
  readonly release: () => void;
  /**
   * How many policies of the shared verdict the two threads have taken so far: the shared queue's position, past the
   * pack's length once every policy is taken or the view was released after `begin`.
   */
  readonly policiesTaken: () => number;
}

interface Job extends WorkerTasks {
  readonly program: RunProgramOptions;
  /** The shared check's queue: the index of the next group of checkGroups to take (an Int32Array's one slot). */
  readonly queue: SharedArrayBuffer;
  /** The shared verdict's queue: the index of the next policy of the pack to take. */
  readonly policyQueue: SharedArrayBuffer;
  /** Started on a guess: the worker waits for a GateMessage before the SDK loads (else it goes at once). */
  readonly gated: boolean;
}

/** What a gated worker waits for: the caller took the view over (it is stopped otherwise, see `stopStartedViews`). */
interface GateMessage {
  readonly go: true;
}

/**
 * What the worker sends: the run as soon as it has it, then its share of the schema check, the cost, and its share
 * of the verdict (or the error that stopped it, reported by the caller as its own evaluation's would be).
 */
type WorkerMessage =
  | { readonly run: ProgramRun }
  | { readonly parts: readonly CheckPart[] }
  | { readonly cost: StackCost | undefined }
  | { readonly waiting: true }
  | { readonly verdict: Verdict }
  | { readonly verdictError: SentError };

/** An error sent across threads as text (a cloned Error loses a custom name, and an uncloneable cause would throw). */
interface SentError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** What the calling thread sends the worker, once: the run options of its share of the verdict, or none (release). */
interface CallerMessage {
  readonly options: RunOptions | null;
}
/** A group's check: the group's index in checkGroups and checkSchemas' answer over it. */
type CheckPart = readonly [number, SchemaCheck];

/**
 * The records of a run in groups for the shared schema check: one per provider namespace of the type, so that the
 * two threads read different schema files, the costliest first (checking a body takes time with its size, so the
 * size of the group's inputs as JSON stands for it), so that the last group taken is a small one. checkSchemas
 * checks every record on its own (a resource's errors and entry depend on its record only), which is what lets the
 * groups be checked apart.
 */
export function checkGroups(records: readonly ResourceRecord[]): ResourceRecord[][] {
  const groups = new Map<string, { records: ResourceRecord[]; size: number }>();
  for (const r of records) {
    const ns = r.type.split(":")[1] ?? "";
    let group = groups.get(ns);
    if (!group) groups.set(ns, (group = { records: [], size: 0 }));
    group.records.push(r);
    group.size += JSON.stringify(r.inputs).length;
  }
  return [...groups.values()].sort((a, b) => b.size - a.size).map((g) => g.records);
}

/**
 * This thread's share of a check: takes the next group off the queue the two threads share, checks it, and again
 * until none is left, so that the thread free first takes more. One schema store for all of its groups.
 */
export function checkShare(groups: readonly (readonly ResourceRecord[])[], queue: SharedArrayBuffer): CheckPart[] {
  const { checkSchemas } = require("./armSchema/check") as typeof import("./armSchema/check");
  const { SchemaStore } = require("./armSchema/store") as typeof import("./armSchema/store");
  const next = new Int32Array(queue);
  const store = new SchemaStore();
  const parts: CheckPart[] = [];
  for (let i = Atomics.add(next, 0, 1); i < groups.length; i = Atomics.add(next, 0, 1))
    parts.push([i, checkSchemas(groups[i], store, false)]);
  // Once, after every group this thread took (a directory listing each time otherwise), and only when it wrote to
  // the cache: a thread that took no group, or found every result recorded, leaves it as it was.
  if (store.wroteCache) store.trimCache();
  return parts;
}

/**
 * checkSchemas over all the records, from its answers over groups of them: the checked resources and the errors in
 * the order of the records (each resource's own errors in their order), the schema files sorted.
 */
export function mergeChecks(records: readonly ResourceRecord[], parts: readonly SchemaCheck[]): SchemaCheck {
  const index = new Map(records.map((r, i) => [r.urn, i]));
  const at = (urn: string) => index.get(urn) ?? -1;
  return {
    resources: parts.flatMap((p) => p.resources).sort((a, b) => at(a.urn) - at(b.urn)),
    errors: parts.flatMap((p) => p.errors).sort((a, b) => at(a.urn) - at(b.urn)),
    files: [...new Set(parts.flatMap((p) => p.files))].sort(),
  };
}

/**
 * Where in the pack the policy a runner error names stands (`policy '<name>' failed on …`,
 * tools/lib/policyRunner/evaluate.ts); after every policy when the error names none.
 */
export function failedPolicyIndex(e: Error): number {
  const { policies } = require("../../policies/policies") as typeof import("../../policies/policies");
  const name = /^policy '([^']+)'/.exec(e.message)?.[1];
  const i = name === undefined ? -1 : policies.findIndex((p) => p.name === name);
  return i < 0 ? policies.length : i;
}

/**
 * This thread's share of a verdict over `resources`: the policies it takes off the queue it shares with the worker.
 */
async function verdictShare(
  resources: readonly ResourceRecord[],
  options: RunOptions,
  queue: SharedArrayBuffer,
): Promise<Verdict> {
  const { runPolicies } = require("./policyRunner") as typeof import("./policyRunner");
  const { policies } = require("../../policies/policies") as typeof import("../../policies/policies");
  const next = new Int32Array(queue);
  // The calling thread validated this config before it ran the program (previewStack): not again in each thread.
  return runPolicies(policies, resources, {
    ...options,
    configValidated: true,
    take: () => Atomics.add(next, 0, 1),
  });
}

/**
 * Runs the program as deployed in a worker thread and does its `tasks` over it: the schema check, which the worker
 * starts as soon as it has sent the run and the calling thread joins with `check()`; the cost; the verdict, which
 * the calling thread joins with `verdict()`.
 */
export function deployedViewInWorker(program: RunProgramOptions, tasks: WorkerTasks): Promise<DeployedView> {
  return launch(program, tasks).job;
}

function launch(program: RunProgramOptions, tasks: WorkerTasks, gated = false): Launched {
  // Stack traces mapped through source maps in the worker too when this thread maps them (`--enable-source-maps`: its
  // errors reach the caller with their stacks, which `--verbose` prints).
  const maps = process.sourceMapsEnabled ? "process.setSourceMapsEnabled(true); " : "";
  const boot = `${maps}require(${JSON.stringify(TS_RUN)}).register(); require(${JSON.stringify(__filename)}).workerMain();`;
  const queue = new SharedArrayBuffer(4);
  const policyQueue = new SharedArrayBuffer(4);
  const schema = tasks.schema;
  const cost = tasks.cost === true;
  const shareVerdict = tasks.verdict === true;
  let theirs: (parts: readonly CheckPart[]) => void = () => undefined;
  let failed: (e: Error) => void = () => undefined;
  const workerParts = new Promise<readonly CheckPart[]>((resolve, reject) => {
    theirs = resolve;
    failed = reject;
  });
  workerParts.catch(() => undefined);
  let costed: (c: StackCost | undefined) => void = () => undefined;
  const workerCost = new Promise<StackCost | undefined>((resolve) => (costed = resolve));
  let judged: (v: Verdict) => void = () => undefined;
  let unjudged: (e: Error) => void = () => undefined;
  const workerVerdict = new Promise<Verdict>((resolve, reject) => {
    judged = resolve;
    unjudged = reject;
  });
  workerVerdict.catch(() => undefined);
  const check = async (run: ProgramRun) => {
    const groups = checkGroups(run.resources);
    const mine = checkShare(groups, queue);
    const parts = [...mine, ...(await workerParts)].sort((a, b) => a[0] - b[0]);
    return mergeChecks(
      run.resources,
      parts.map(([, c]) => c),
    );
  };
  let stop: () => void = () => undefined;
  let go: () => void = () => undefined;
  const job = new Promise<DeployedView>((resolve, reject) => {
    const fail = (e: Error) => {
      reject(e);
      failed(e);
      costed(undefined);
      unjudged(e);
    };
    const worker = new Worker(boot, {
      eval: true,
      workerData: { program, schema, cost, verdict: shareVerdict, queue, policyQueue, gated } satisfies Job,
    });
    let gate: "open" | undefined = gated ? undefined : "open";
    let stopped = false;
    stop = () => {
      stopped = true;
      void worker.terminate();
    };
    go = () => {
      if (gate !== undefined || stopped) return;
      gate = "open";
      worker.postMessage({ go: true } satisfies GateMessage);
      worker.ref();
    };
    let sent = false;
    const send = (options: RunOptions | null) => {
      if (sent || !shareVerdict) return;
      try {
        worker.postMessage({ options } satisfies CallerMessage);
      } catch (e) {
        // Options that cannot be cloned: the worker is told to end all the same, and the caller hears why.
        worker.postMessage({ options: null } satisfies CallerMessage);
        throw e;
      } finally {
        sent = true;
      }
    };
    let asked = false;
    // The options handed over by `begin` (the caller's, as given) and as sent.
    let begun: { readonly options: RunOptions; readonly shared: RunOptions } | undefined;
    // Without a `take` of the caller's, which is not the worker's (and not cloneable).
    const sharedOf = (options: RunOptions): RunOptions => ({ ...options, take: undefined });
    // What stopped `begin` from handing the options over (options that cannot be cloned): `verdict` reports it.
    let beginError: unknown;
    const begin = (options: RunOptions) => {
      if (begun || asked) throw new Error("the deployed view's verdict was already begun or asked for");
      begun = { options, shared: sharedOf(options) };
      try {
        send(begun.shared);
      } catch (e) {
        beginError = e;
      }
    };
    let released = false;
    const verdict = async (run: ProgramRun, options: RunOptions) => {
      if (asked) throw new Error("the deployed view's verdict was already asked for (its policies are taken)");
      // The worker ended, or is ending, without (all of) its share: a verdict now would miss policies.
      if (released) throw new Error("the deployed view was released: its verdict can no longer be asked for");
      if (begun && begun.options !== options)
        throw new Error("the deployed view's verdict was begun with other options than it is asked for");
      if (beginError !== undefined) throw beginError;
      asked = true;
      // The process now waits for the worker's part (see "waiting" below).
      worker.ref();
      const shared = begun?.shared ?? sharedOf(options);
      send(shared);
      const { mergeVerdicts } = require("./policyRunner") as typeof import("./policyRunner");
      const parts = await Promise.allSettled([verdictShare(run.resources, shared, policyQueue), workerVerdict]);
      const failures = parts.flatMap((p) => (p.status === "rejected" ? [p.reason as Error] : []));
      // As one evaluation fails: on the first failing policy in the pack's order, whichever thread took it.
      if (failures.length > 0) throw failures.sort((a, b) => failedPolicyIndex(a) - failedPolicyIndex(b))[0];
      return mergeVerdicts(parts.map((p) => (p as PromiseFulfilledResult<Verdict>).value));
    };
    worker.on("message", (m: WorkerMessage) => {
      if ("run" in m)
        resolve({
          run: m.run,
          ...(schema ? { check: () => check(m.run) } : {}),
          ...(cost ? { cost: () => workerCost } : {}),
          ...(shareVerdict
            ? {
                verdict: (options: RunOptions) => verdict(m.run, options),
                begin: (options: RunOptions) => begin(options),
              }
            : {}),
          release: () => {
            if (!asked) released = true;
            send(null);
            // Begun and never asked: the worker takes no further policy (an index past the pack's end stops it).
            if (begun && !asked) Atomics.store(new Int32Array(policyQueue), 0, 0x3fffffff);
          },
          policiesTaken: () => Atomics.load(new Int32Array(policyQueue), 0),
        });
      else if ("parts" in m) theirs(m.parts);
      else if ("cost" in m) costed(m.cost);
      // All the worker still does is its share of the verdict, once asked: until then it keeps no process alive, so
      // a worker nobody asks (a caller that failed before asking, or never takes the view over) cannot hang it.
      else if ("waiting" in m) {
        if (!sent) worker.unref();
      } else if ("verdict" in m) judged(m.verdict);
      else unjudged(Object.assign(new Error(m.verdictError.message), m.verdictError));
    });
    worker.once("error", fail);
    worker.once("exit", (code) =>
      fail(
        new Error(
          stopped
            ? "the deployed-view worker was stopped (no core free after all)"
            : `the deployed-view worker exited with code ${code}`,
        ),
      ),
    );
    // A gated worker keeps no process alive until it is told to go (a caller that fails before deciding ends); after
    // the listeners above, whose adding refs the worker again.
    if (gated) worker.unref();
  });
  return { job, stop, go: () => go() };
}

/** The worker's side: everything it sends is structured-cloneable (records, the secrets Set, schema results). */
export async function workerMain(): Promise<void> {
  const job = workerData as Job;
  // Listening from the start, so that the caller's messages are never missed, however early they come: the gate's
  // (a gated worker's go), then the options of its share of the verdict. A listener keeps the worker alive: it goes
  // once nothing more can come.
  let opened: () => void = () => undefined;
  const open = new Promise<void>((resolve) => (opened = resolve));
  let told: (m: CallerMessage) => void = () => undefined;
  const caller = job.verdict
    ? new Promise<CallerMessage>((resolve) => (told = resolve))
    : Promise.resolve<CallerMessage>({ options: null });
  let listening = false;
  const listen = (m: GateMessage | CallerMessage) => {
    if ("go" in m) opened();
    else told(m);
  };
  const stopListening = () => {
    if (listening) parentPort?.off("message", listen);
    listening = false;
  };
  if (job.gated || job.verdict) {
    parentPort?.on("message", listen);
    listening = true;
  }
  // Started on a guess: booted, it waits for the caller's decision before the SDK's load, the bulk of its start (and
  // is terminated if the decision is to stop; a caller that never decides keeps no process alive for it).
  if (job.gated) await open;
  if (!job.verdict) stopListening();
  const { runProgram } = require("./engine") as typeof import("./engine");
  // The main thread runs the same program (the preview view) and prints its warnings.
  const run = await runProgram({ ...job.program, quietWarnings: true });
  parentPort?.postMessage({ run } satisfies WorkerMessage);
  if (job.schema)
    parentPort?.postMessage({ parts: checkShare(checkGroups(run.resources), job.queue) } satisfies WorkerMessage);
  if (job.cost) {
    const { costOfConfig } = require("./cost/stack") as typeof import("./cost/stack");
    let cost: StackCost | undefined;
    try {
      cost = costOfConfig(run.resources, job.program);
    } catch {
      cost = undefined;
    }
    parentPort?.postMessage({ cost } satisfies WorkerMessage);
  }
  if (!job.verdict) return;
  parentPort?.postMessage({ waiting: true } satisfies WorkerMessage);
  const { options } = await caller;
  stopListening();
  if (options) {
    let message: WorkerMessage;
    try {
      message = { verdict: await verdictShare(run.resources, options, job.policyQueue) };
    } catch (e) {
      const err = e as Error;
      message = { verdictError: { name: err.name, message: err.message, stack: err.stack } };
    }
    parentPort?.postMessage(message);
  }
}
