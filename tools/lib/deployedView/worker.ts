/**
 * The deployed view's worker: the calling thread's side, which starts it and joins its share of the check and of the
 * verdict, and the worker's side (workerMain), which sends the run, its share of the check, the cost and its share of
 * the verdict.
 */
import { parentPort, Worker, workerData } from "node:worker_threads";
import type { StackCost } from "../cost/stack";
import type { ProgramRun, RunProgramOptions } from "../engine";
import type { RunOptions, Verdict } from "../policyRunner";
import { TS_RUN, type CheckPart, type DeployedView, type Launched, type WorkerTasks } from "./common";
import { checkGroups, checkShare, failedPolicyIndex, mergeChecks, verdictShare } from "./shares";

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

/**
 * Runs the program as deployed in a worker thread and does its `tasks` over it: the schema check, which the worker
 * starts as soon as it has sent the run and the calling thread joins with `check()`; the cost; the verdict, which
 * the calling thread joins with `verdict()`.
 */
export function deployedViewInWorker(program: RunProgramOptions, tasks: WorkerTasks): Promise<DeployedView> {
  return launch(program, tasks).job;
}

export function launch(program: RunProgramOptions, tasks: WorkerTasks, gated = false): Launched {
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
      const { mergeVerdicts } = require("../policyRunner") as typeof import("../policyRunner");
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
  const { runProgram } = require("../engine") as typeof import("../engine");
  // The main thread runs the same program (the preview view) and prints its warnings.
  const run = await runProgram({ ...job.program, quietWarnings: true });
  parentPort?.postMessage({ run } satisfies WorkerMessage);
  if (job.schema)
    parentPort?.postMessage({ parts: checkShare(checkGroups(run.resources), job.queue) } satisfies WorkerMessage);
  if (job.cost) {
    const { costOfConfig } = require("../cost/stack") as typeof import("../cost/stack");
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
