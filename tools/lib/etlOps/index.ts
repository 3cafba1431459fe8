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
 * common.ts has the CLI and what the others share, connections.ts the approvals, triggers.ts, pipelines.ts and
 * pools.ts the factory's triggers and runs and the pools, schedule.ts the working hours.
 */
export {
  ADF_API,
  type Az,
  azCli,
  stackSubscription,
  checkedAz,
  type StackResources,
  resourceIds,
  findFactory,
  pagedGet,
  pagedQuery,
} from "./common";
export {
  type Connection,
  type ManagedEndpoint,
  type Expected,
  isFrom,
  pendingOf,
  claimProblem,
  connectionProblems,
  factoryExpectations,
  expectations,
  connectionsOf,
  approveAll,
} from "./connections";
export { type TriggerInfo, triggersToStart, triggersToStop, triggersOf, setTrigger, setTriggers } from "./triggers";
export { WINDOWS_TIME_ZONES, type WorkingHours, isOffHours, SLEEP_MARGIN_MINUTES, sleepsNow } from "./schedule";
export {
  pipelinesOf,
  runPipeline,
  type PipelineRunInfo,
  type ActivityRunInfo,
  type RunOutcome,
  failuresOf,
  type FactoryRun,
  runsInProgress,
  waitForIdle,
  runAndWait,
} from "./pipelines";
export { SYNAPSE_POOL_API, type PoolInfo, poolsOf, poolStep, RESUME_AGAIN_AFTER, wakePools, pausePools } from "./pools";
