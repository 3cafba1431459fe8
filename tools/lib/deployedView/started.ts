/**
 * The workers started ahead of the preview (`npm run preview:offline`), taken over by the preview that asks for the
 * same program and tasks, or stopped.
 */
import type { RunProgramOptions } from "../engine";
import type { DeployedView, Launched, WorkerTasks } from "./common";
import { deployedViewInWorker, launch } from "./worker";

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
