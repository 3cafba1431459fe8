/**
 * What the deployed view's files share: the repository's root and its loader, the worker's tasks, the view it answers,
 * a started worker, a check's part.
 */
import * as path from "node:path";
import type { SchemaCheck } from "../armSchema/check";
import type { StackCost } from "../cost/stack";
import type { ProgramRun } from "../engine";
import type { RunOptions, Verdict } from "../policyRunner";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
export const TS_RUN = path.join(ROOT, "scripts", "ts-run.cjs");

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
export interface Launched {
  readonly job: Promise<DeployedView>;
  readonly stop: () => void;
  /** Opens a gated worker's gate (see `startDeployedView`); a no-op for a worker started without one. */
  readonly go: () => void;
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

/** A group's check: the group's index in checkGroups and checkSchemas' answer over it. */
export type CheckPart = readonly [number, SchemaCheck];
