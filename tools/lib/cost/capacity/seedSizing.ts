/**
 * The stack at the seed's sizing, and with the Azure SQL trigger apps at a number of always-ready instances: what the
 * cost documents estimate beside the stack as deployed.
 */
import type { ResourceRecord } from "../../policyRunner";
import { SEED_COSMOS_MAX_RU } from "../../../../lib/usage";
import { ZONE_REDUNDANT_MIN_ALWAYS_READY } from "../../../../lib/config";
import { at, isSqlTriggerSettings, num, sqlTriggerInstances, str } from "../model";
import { sdkTypeOf } from "../../sdkType";
import { AN } from "./common";

/**
 * The stack with each Cosmos DB container's autoscale maximum set to the seed's sizing (SEED_COSMOS_MAX_RU, by
 * container id), everything else unchanged: what prod would cost at the seed's capacity, which the cost target is
 * stated for. Containers the seed does not size (leases) keep theirs.
 */
export function atSeedCosmosSizing(
  resources: readonly ResourceRecord[],
  seed: Readonly<Record<string, number>> = SEED_COSMOS_MAX_RU,
): ResourceRecord[] {
  return resources.map((r) => {
    if (sdkTypeOf(r) !== `${AN}:cosmosdb:SqlResourceSqlContainer`) return r;
    const max = seed[str(r.inputs, "resource.id") ?? ""];
    if (max === undefined || num(r.inputs, "options.autoscaleSettings.maxThroughput") === undefined) return r;
    const options = at(r.inputs, "options") as Record<string, unknown>;
    return { ...r, inputs: { ...r.inputs, options: { ...options, autoscaleSettings: { maxThroughput: max } } } };
  });
}

/** Whether a Flex app's plan (its `serverFarmId`, by the plan's name) is zone-redundant. */
function onZoneRedundantPlan(app: ResourceRecord, resources: readonly ResourceRecord[]): boolean {
  const farm = /\/serverfarms\/([^/]+)$/i.exec(str(app.inputs, "serverFarmId") ?? "")?.[1]?.toLowerCase();
  return resources.some(
    (p) =>
      sdkTypeOf(p) === `${AN}:web:AppServicePlan` &&
      farm !== undefined &&
      str(p.inputs, "name")?.toLowerCase() === farm &&
      at(p.inputs, "zoneRedundant") === true,
  );
}

/**
 * Always-ready instances the seed's sizing gives an Azure SQL trigger app: the one that runs its trigger on Flex (two
 * on a zone-redundant plan, Azure's floor there).
 */
export const SEED_SQL_TRIGGER_ALWAYS_READY = 1;
/**
 * The stack at the seed's sizing: Cosmos DB at the seed's maxima (atSeedCosmosSizing), and each Azure SQL trigger app
 * (the fraud scorer) with the one always-ready instance that runs its trigger (two on a zone-redundant plan). The seed sizes no scorer; the
 * instances beyond the first exist, like the Cosmos DB maxima above the seed's, only to carry the seed's load
 * (capacity.md: Flex cannot scale a managed-identity SQL trigger out). Everything else is unchanged.
 */
export function atSeedSizing(resources: readonly ResourceRecord[]): ResourceRecord[] {
  return withSqlTriggerAlwaysReady(atSeedCosmosSizing(resources), SEED_SQL_TRIGGER_ALWAYS_READY, true);
}

/**
 * The stack with each Azure SQL trigger app (the fraud scorer) at `instances` always-ready instances in its trigger
 * group (the first; `sqlTriggerInstances`), everything else unchanged; `onlyFewer` leaves an app with fewer as it is.
 */
export function withSqlTriggerAlwaysReady(
  resources: readonly ResourceRecord[],
  instances: number,
  onlyFewer = false,
): ResourceRecord[] {
  const triggered = new Set(
    resources
      .filter((r) => sdkTypeOf(r) === `${AN}:web:WebAppApplicationSettings` && isSqlTriggerSettings(r))
      .map((r) => `${str(r.inputs, "resourceGroupName")}/${str(r.inputs, "name")}`),
  );
  return resources.map((r) => {
    if (
      sdkTypeOf(r) !== `${AN}:web:WebApp` ||
      !triggered.has(`${str(r.inputs, "resourceGroupName")}/${str(r.inputs, "name")}`)
    )
      return r;
    const sc = at(r.inputs, "functionAppConfig.scaleAndConcurrency") as Record<string, unknown> | undefined;
    const groups = (sc?.alwaysReady as { name?: string; instanceCount?: number }[] | undefined) ?? [];
    // A zone-redundant plan keeps two always-ready instances per group whatever the setting (and the program refuses
    // fewer): no scenario goes below that.
    const wanted = Math.max(instances, onZoneRedundantPlan(r, resources) ? ZONE_REDUNDANT_MIN_ALWAYS_READY : 0);
    if (!sc || (onlyFewer && sqlTriggerInstances(r) <= wanted)) return r;
    const alwaysReady = groups.map((g, i) => (i === 0 ? { ...g, instanceCount: wanted } : g));
    const fac = at(r.inputs, "functionAppConfig") as Record<string, unknown>;
    return {
      ...r,
      inputs: { ...r.inputs, functionAppConfig: { ...fac, scaleAndConcurrency: { ...sc, alwaysReady } } },
    };
  });
}
