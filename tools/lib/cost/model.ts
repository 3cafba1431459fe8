/**
 * Types and small helpers shared by the pricing rules, the estimator and the capacity model.
 */
import type { ResourceRecord } from "../policyRunner";
import type { LoadConfig, UsageConfig } from "../../../lib/usage";
import { OFF_HOURS_PARAMETER, TRIGGERS as OFF_HOURS_TRIGGERS } from "../../../pipelines/etl/names";
import { HOURS_PER_MONTH } from "./prices";
import { sdkTypeOf } from "../sdkType";

/** One priced component of a resource, as a rule states it: a price row and a monthly quantity in its unit. */
export interface LineSpec {
  /** What is billed, for a person ("Compute BC_Gen5 8 vCores"). */
  readonly meter: string;
  readonly priceId: string;
  /** Monthly quantity in the price row's unit. */
  readonly quantity: number;
  /** The reservation does not apply to this line even though the meter has one (e.g. a paused pool). */
  readonly noReservation?: boolean;
  /**
   * Azure Hybrid Benefit does not apply although the meter has a hybrid price: the resource does not declare it
   * (a SQL database without `licenseType: BasePrice` is billed its licence whatever `usage.commitment` says).
   */
  readonly noHybridBenefit?: boolean;
  readonly note?: string;
  /**
   * The URN of the workspace whose commitment tier bills this line, in days of the tier: the estimator adds the part of
   * each day's tier the workspace's lines leave unused (estimate.ts).
   */
  readonly commitmentOf?: string;
}

export type RuleResult =
  | {
      readonly kind: "priced";
      readonly lines: readonly LineSpec[];
      /** Parts of the resource no line prices (listed as "not estimated" next to the lines, never silently zero). */
      readonly unpriced?: readonly string[];
    }
  | { readonly kind: "free"; readonly reason: string }
  | { readonly kind: "not-estimated"; readonly reason: string };

export interface RuleContext {
  readonly usage: UsageConfig;
  readonly resources: readonly ResourceRecord[];
  /** Resources of a type (memoised). */
  ofType(type: string): readonly ResourceRecord[];
  /** What the stack stops outside working hours (its Data Factory's off-hours schedule), if anything. */
  readonly offHours?: OffHoursSchedule;
}

export type Rule = (r: ResourceRecord, ctx: RuleContext) => RuleResult;

export const priced = (...lines: LineSpec[]): RuleResult => ({ kind: "priced", lines });
/** Lines for what a rule can price, and the reasons for the parts of the same resource it cannot. */
export const pricedInPart = (lines: readonly LineSpec[], unpriced: readonly string[]): RuleResult =>
  unpriced.length === 0 ? { kind: "priced", lines } : { kind: "priced", lines, unpriced };
export const free = (reason: string): RuleResult => ({ kind: "free", reason });
export const notEstimated = (reason: string): RuleResult => ({ kind: "not-estimated", reason });

/** The tier of a resource: the `<tier>` of its nearest `payments:<tier>:X` component ancestor, else "stack". */
export function tierOf(r: ResourceRecord, byUrn: ReadonlyMap<string, ResourceRecord>): string {
  let cur: ResourceRecord | undefined = r;
  for (let i = 0; cur && i < 50; i++) {
    const m = /^payments:([^:]+):/.exec(cur.type);
    if (m) return m[1];
    cur = cur.parent ? byUrn.get(cur.parent) : undefined;
  }
  return "stack";
}

/** A nested input by dotted path. */
export function at(obj: unknown, pathText: string): unknown {
  return pathText
    .split(".")
    .reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}
export const str = (obj: unknown, p: string): string | undefined => {
  const v = at(obj, p);
  return typeof v === "string" ? v : undefined;
};
export const num = (obj: unknown, p: string): number | undefined => {
  const v = at(obj, p);
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
};

export type { LoadConfig, UsageConfig };

/** A managed online endpoint's deployment size, as the stack states it. */
export interface ScoringDeployment {
  readonly instanceType: string;
  readonly instanceCount: number;
}

/**
 * The deployment size of a managed online endpoint. Deployments are released by the ML pipeline (not resources of
 * the stack), so the size comes from the stack's outputs: an output object with the endpoint's `endpointName` and a
 * `deployment` of `{instanceType, instanceCount}` (index.ts exports `fraudScoring` so). Undefined when none says it.
 */
export function scoringDeploymentOf(
  endpoint: ResourceRecord,
  resources: readonly ResourceRecord[],
): ScoringDeployment | undefined {
  const name = str(endpoint.inputs, "endpointName");
  if (!name) return undefined;
  const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const seek = (v: unknown, depth: number): ScoringDeployment | undefined => {
    if (depth > 4 || v === null || typeof v !== "object") return undefined;
    const o = v as Record<string, unknown>;
    const d = o.deployment as Record<string, unknown> | undefined;
    if (o.endpointName === name && d && typeof d.instanceType === "string" && typeof d.instanceCount === "number")
      return { instanceType: d.instanceType, instanceCount: d.instanceCount };
    for (const x of Object.values(o)) {
      const found = seek(x, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return seek(stack?.outputs, 0);
}

/** Whether app settings (a `web:WebAppApplicationSettings` record) are an Azure SQL trigger app's. */
export function isSqlTriggerSettings(settings: ResourceRecord): boolean {
  const props = (at(settings.inputs, "properties") ?? {}) as Record<string, unknown>;
  return props.Sql_Trigger_PollingIntervalMs !== undefined || props.Sql_Trigger_MaxBatchSize !== undefined;
}

/** A Flex Consumption app's always-ready instances, over all its groups. */
export function alwaysReadyInstances(app: ResourceRecord): number {
  const groups =
    (at(app.inputs, "functionAppConfig.scaleAndConcurrency.alwaysReady") as { instanceCount?: number }[] | undefined) ??
    [];
  return groups.reduce((sum, g) => sum + (g.instanceCount ?? 0), 0);
}

/**
 * The always-ready instances of an Azure SQL trigger app's trigger group: its first group, as the program lists them
 * (components/ingestion: the scorer's `function:scorePayment` first; a zone-redundant plan adds the merchant refresh
 * timer's group after it, whose instances run the timer only, never the trigger's poll loop).
 */
export function sqlTriggerInstances(app: ResourceRecord): number {
  return firstGroupInstances(app);
}

/** The always-ready instances of a Flex app's first function group, as the program lists them (0 without one). */
export function firstGroupInstances(app: ResourceRecord): number {
  const groups =
    (at(app.inputs, "functionAppConfig.scaleAndConcurrency.alwaysReady") as { instanceCount?: number }[] | undefined) ??
    [];
  return groups[0]?.instanceCount ?? 0;
}

/** What the stack stops outside working hours, as its Data Factory declares it (olap.pauseSchedule.alsoStop). */
export interface OffHoursSchedule {
  /** Hours a month the stopped targets run: from the start trigger to the stop trigger, on the triggers' days. */
  readonly runningHoursPerMonth: number;
  /** Stops a month (one per scheduled day). */
  readonly stopsPerMonth: number;
  /** ARM ids of what the schedule stops (the off-hours pipelines' global parameter values). */
  readonly stoppedIds: ReadonlySet<string>;
  /** "07:00–19:00 on 5 days a week" */
  readonly label: string;
}

/** A daily schedule trigger's time of day (minutes) and week days. */
const triggerTime = (t: ResourceRecord): { minutes: number; days: readonly string[] | undefined } | undefined => {
  const s = at(t.inputs, "properties.recurrence.schedule") as
    { hours?: number[]; minutes?: number[]; weekDays?: string[] } | undefined;
  const h = s?.hours?.[0];
  if (h === undefined) return undefined;
  return { minutes: h * 60 + (s?.minutes?.[0] ?? 0), days: s?.weekDays };
};

/** Hours a month between two daily schedule triggers of the factory (by trigger name), on the start trigger's days. */
export function scheduledHours(
  resources: readonly ResourceRecord[],
  startTrigger: string,
  stopTrigger: string,
): { runningHoursPerMonth: number; stopsPerMonth: number; label: string } | undefined {
  const trigger = (name: string) =>
    resources.find((r) => sdkTypeOf(r) === "azure-native:datafactory:Trigger" && str(r.inputs, "triggerName") === name);
  const start = trigger(startTrigger);
  const stop = trigger(stopTrigger);
  const from = start && triggerTime(start);
  const to = stop && triggerTime(stop);
  if (!from || !to || to.minutes <= from.minutes) return undefined;
  const daysPerWeek = from.days?.length ?? 7;
  const stopsPerMonth = (daysPerWeek * (HOURS_PER_MONTH / 24)) / 7;
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  return {
    runningHoursPerMonth: ((to.minutes - from.minutes) / 60) * stopsPerMonth,
    stopsPerMonth,
    label: `${hhmm(from.minutes)}–${hhmm(to.minutes)} on ${daysPerWeek} days a week`,
  };
}

/**
 * The off-hours schedule of the stack, read from its resources: the factory's `tr_offhours_start` and
 * `tr_offhours_stop` schedule triggers (pipelines/etl/operations.ts) and the factory's global parameters naming what
 * the off-hours pipelines stop. Undefined when the stack stops nothing.
 */
export function offHoursSchedule(resources: readonly ResourceRecord[]): OffHoursSchedule | undefined {
  const hours = scheduledHours(resources, OFF_HOURS_TRIGGERS.offHoursStart, OFF_HOURS_TRIGGERS.offHoursStop);
  if (!hours) return undefined;
  const stoppedIds = new Set<string>();
  for (const f of resources.filter((r) => sdkTypeOf(r) === "azure-native:datafactory:Factory")) {
    for (const p of Object.values(OFF_HOURS_PARAMETER)) {
      const v = str(f.inputs, `globalParameters.${p}.value`);
      if (v) stoppedIds.add(v);
    }
  }
  return stoppedIds.size === 0 ? undefined : { ...hours, stoppedIds };
}

/** A resource's ARM id (the engine's id, else its `id` output). */
export const armIdOf = (r: ResourceRecord): string | undefined => r.id ?? str(r.outputs, "id");
