/**
 * The deployed view of the program (ids and outputs known, as after `pulumi up`) and the ARM schema check over it,
 * in a worker thread. The mock engine is process-global, so the two views of one preview cannot share a thread;
 * `npm run preview:offline` runs this one beside the first-preview run that decides the policy verdict, on the
 * second core, instead of after it. The worker starts through the same cached loader (scripts/ts-run.cjs).
 */
export type { DeployedView, WorkerTasks } from "./common";
export { othersBusySinceStart, runnableNow, secondCore, secondCoreFree, type ProcFs } from "./cores";
export { programOf } from "./program";
export { deployedView, startDeployedView, stopStartedViews } from "./started";
export { checkGroups, checkShare, failedPolicyIndex, mergeChecks } from "./shares";
export { deployedViewInWorker, workerMain } from "./worker";
