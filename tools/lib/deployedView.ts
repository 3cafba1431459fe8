/**
 * The deployed view of the program (ids and outputs known, as after `pulumi up`) and the ARM schema check over it,
 * in a worker thread. The mock engine is process-global, so the two views of one preview cannot share a thread;
 * `npm run preview:offline` runs this one beside the first-preview run that decides the policy verdict, on the
 * second core, instead of after it. The worker starts through the same cached loader (scripts/ts-run.cjs).
 */
import * as path from "node:path";
import { parentPort, Worker, workerData } from "node:worker_threads";
import type { SchemaCheck } from "./armSchema/check";
import type { ProgramRun, RunProgramOptions } from "./engine";

const TS_RUN = path.resolve(__dirname, "..", "..", "scripts", "ts-run.cjs");

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
