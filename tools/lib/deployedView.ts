/**
 * The deployed view of the program (ids and outputs known, as after `pulumi up`) and the ARM schema check over it,
 * in a worker thread. The mock engine is process-global, so the two views of one preview cannot share a thread;
 * `npm run preview:offline` runs this one beside the first-preview run that decides the policy verdict, on the
 * second core, instead of after it. The worker starts through the same cached loader (scripts/ts-run.cjs).
 */
import * as os from "node:os";
import * as path from "node:path";
import { parentPort, Worker, workerData } from "node:worker_threads";
import type { SchemaCheck } from "./armSchema/check";
import type { ProgramRun, RunProgramOptions } from "./engine";
import { loadStackConfig } from "./stackConfig";

const ROOT = path.resolve(__dirname, "..", "..");
const TS_RUN = path.join(ROOT, "scripts", "ts-run.cjs");

/**
 * Whether a core is free for the deployed view's worker thread: the machine has a second one and is not already
 * busy (1-minute load average). On a busy machine the worker would only compete with this thread and load every
 * module a second time, so the two views then run one after the other in this thread. `PREVIEW_THREADS=1` or `=2`
 * overrides the guess (one thread, or the worker), e.g. to compare measurements that the load average would split.
 */
export function secondCoreFree(): boolean {
  const forced = process.env.PREVIEW_THREADS;
  if (forced === "1" || forced === "2") return forced === "2";
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return cores >= 2 && os.loadavg()[0] <= cores - 1;
}

/** The program run of a stack: its config (Pulumi.yaml and the stack file) and entry. */
export function programOf(opts: {
  readonly stack: string;
  readonly root?: string;
  readonly stackFile?: string;
  readonly program?: string;
  readonly debug?: boolean;
}): RunProgramOptions {
  const root = opts.root ?? ROOT;
  const sc = loadStackConfig(root, opts.stack, opts.stackFile);
  return { ...sc, program: opts.program ?? path.join(root, "index.ts"), root, debug: opts.debug };
}

const started = new Map<string, Promise<DeployedView>>();
const jobKey = (program: RunProgramOptions, schema: boolean) => JSON.stringify([program, schema]);

/**
 * Starts the deployed view's worker ahead of `previewStack`, which takes it over when it asks for the same program
 * and check: `npm run preview:offline` starts it before loading the policy pack, so that both threads load at once.
 */
export function startDeployedView(program: RunProgramOptions, schema: boolean): void {
  const job = deployedViewInWorker(program, schema);
  job.catch(() => undefined);
  started.set(jobKey(program, schema), job);
}

/** The deployed view in a worker: the one started ahead for this program and check, else a new one. */
export function deployedView(program: RunProgramOptions, schema: boolean): Promise<DeployedView> {
  const key = jobKey(program, schema);
  const job = started.get(key);
  started.delete(key);
  return job ?? deployedViewInWorker(program, schema);
}

export interface DeployedView {
  readonly run: ProgramRun;
  readonly check?: SchemaCheck;
}

interface Job {
  readonly program: RunProgramOptions;
  readonly schema: boolean;
}

/** Runs the program as deployed (and the schema check unless `schema` is false) in a worker thread. */
export function deployedViewInWorker(program: RunProgramOptions, schema: boolean): Promise<DeployedView> {
  const boot = `require(${JSON.stringify(TS_RUN)}).register(); require(${JSON.stringify(__filename)}).workerMain();`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(boot, { eval: true, workerData: { program, schema } satisfies Job });
    worker.once("message", (view: DeployedView) => resolve(view));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the deployed-view worker exited with code ${code}`)));
  });
}

/** The worker's side: everything it sends is structured-cloneable (records, the secrets Set, schema results). */
export async function workerMain(): Promise<void> {
  const job = workerData as Job;
  const { runProgram } = require("./engine") as typeof import("./engine");
  const run = await runProgram(job.program);
  const check = job.schema
    ? (require("./armSchema/check") as typeof import("./armSchema/check")).checkSchemas(run.resources)
    : undefined;
  parentPort?.postMessage({ run, ...(check ? { check } : {}) } satisfies DeployedView);
}
