/**
 * A container's autoscale maximum against what Azure accepts for it now: the preview of a deployed stack reads the
 * container's throughput settings (`throughputSettings/default`) and refuses a `cosmos.containers.<name>.maxThroughput`
 * that every update of the container would fail on (its PUT carries the options), in the middle of an `up`, after
 * the changes before it were applied: below the floor, on a manual offer, above the soft maximum, or a third value
 * while a change is in progress. The program compares the config with Azure, not with its state (which it cannot
 * read), so a change made outside it counts too: a floor a portal raise left, a migration to manual throughput. The
 * config cannot hold a value Azure no longer takes, so these are refused even when this `up` would not update the
 * container; a change in progress that the config may already hold is a warning.
 *
 * The floor: Azure accepts no autoscale maximum below MAX(1000, the highest maximum ever set ÷ 10, storage in GB × 10),
 * rounded up to 1000 ("Minimum autoscale max RU/s for a container", learn.microsoft.com/azure/cosmos-db/concepts-limits;
 * autoscale-faq "How do I lower the maximum RU/s?"), "might vary depending on your account configuration", and
 * neither the history nor the storage is readable here: the settings' `minimumThroughput` is the only exact source.
 * Its unit is not documented; the API's autoscale example (CosmosDBSqlContainerMigrateToAutoscale: max 4000,
 * `minimumThroughput` "4000"), the portal (cosmos-explorer compares the autoscale maximum with it: "You are not able
 * to lower throughput below your current minimum") and Azure's refusal ("between 12000 and 1000000 inclusive in
 * increments of 1000") all read it as the floor of the maximum, and so do Azure's recorded answers (azure-sdk-for-net
 * Azure.ResourceManager.CosmosDB SessionRecords SqlContainerMigrateToAutoscale.json and ...MigrateToManual.json, 2021:
 * one container reads "4000" with an autoscale maximum of 4000 and "400" with manual throughput). Should a value ever
 * be a manual floor (under 1000), `autoscaleFloor` takes ten times it: the check never refuses a value Azure would take.
 */
import type { CreationOnlyConflict } from "../shared";

/** The Cosmos DB API version of the read: the one azure-native 3 sends for the container itself. */
export const COSMOS_THROUGHPUT_API_VERSION = "2025-10-15";

/** `properties.resource` of a container's `throughputSettings/default` (the ARM spec's ThroughputSettingsGetResults). */
export interface DeployedThroughput {
  /** Manual throughput (RU/s); on an autoscale offer, what it runs at now. */
  readonly throughput?: number;
  readonly autoscaleSettings?: {
    readonly maxThroughput?: number;
    /** The maximum a pending change moves to ("once offer is no longer in pending state"). */
    readonly targetMaxThroughput?: number;
  };
  /** "The minimum throughput of the resource": a string of digits. */
  readonly minimumThroughput?: string;
  /** "The throughput replace is pending": "true" while Azure splits partitions for a raise. */
  readonly offerReplacePending?: string;
  /** "The offer throughput value to instantly scale up without triggering splits". */
  readonly instantMaximumThroughput?: string;
  /** "The maximum … maxThroughput value (for autoscale) that can be specified" without a support request. */
  readonly softAllowedMaximumThroughput?: string;
}

/** The settings' `properties.resource` from an ARM body; undefined when the body carries none. */
export function deployedThroughput(body: Record<string, unknown>): DeployedThroughput | undefined {
  const properties = body.properties as { resource?: DeployedThroughput } | undefined;
  return properties?.resource;
}

/** A figure Azure reports as a string ("4000"); undefined when absent or not digits. */
function ruFigure(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/**
 * The lowest autoscale maximum Azure accepts, from `minimumThroughput`: the value itself (a multiple of 1000, at
 * least 1000, under the reading the evidence gives), or, below 1000 (only possible were it the floor of manual
 * throughput), ten times it rounded up to 1000 and at least 1000.
 */
export function autoscaleFloor(minimumThroughput: number): number {
  if (minimumThroughput >= 1000) return minimumThroughput;
  return Math.max(1000, Math.ceil((10 * minimumThroughput) / 1000) * 1000);
}

const thousands = (n: number) => n.toLocaleString("en-US");

/** Where a container is, for the commands of a remedy. */
export interface ContainerPlace {
  readonly resourceGroupName: string;
  readonly accountName: string;
  readonly databaseName: string;
  readonly containerName: string;
}

/**
 * What Azure would refuse (`refused`) or what it takes with a consequence the operator should know first (`advised`)
 * when the container's autoscale maximum moves from what is deployed to `wanted` (`cosmos.containers.<key>.maxThroughput`).
 * Nothing when the maximum does not change.
 */
export function throughputConflicts(
  key: string,
  deployed: DeployedThroughput,
  wanted: number,
  place: ContainerPlace,
): CreationOnlyConflict[] {
  const configKey = `cosmos.containers.${key}.maxThroughput`;
  const az = `-g ${place.resourceGroupName} -a ${place.accountName} -d ${place.databaseName} -n ${place.containerName}`;
  const max = deployed.autoscaleSettings?.maxThroughput;
  if (max === undefined) {
    // A manual offer (someone migrated it): the program sends autoscale settings, and Azure moves an offer between
    // manual and autoscale only through its migration API ("Updating offer to manually provisioned throughput is not
    // allowed. Please invoke migration API", Azure/ARO-RP#2834, for the other direction).
    return [
      {
        key: configKey,
        deployed: `manual throughput of ${thousands(deployed.throughput ?? 0)} RU/s (not autoscale)`,
        wanted: `an autoscale maximum of ${thousands(wanted)} RU/s`,
        kind: "refused",
        remedy:
          `Every update of the container would fail (its PUT carries autoscale settings), and Azure changes manual ` +
          `throughput to autoscale only through its migration API: ` +
          `\`az cosmosdb sql container throughput migrate ${az} -t autoscale\`, then set ${configKey} to the maximum ` +
          `it reports (\`az cosmosdb sql container throughput show ${az} --query resource.autoscaleSettings.maxThroughput\`).`,
      },
    ];
  }
  // While a change is pending, `maxThroughput` is still the old maximum and `targetMaxThroughput` the one it moves to
  // (the portal reads them so: cosmos-explorer ScaleComponent).
  const pending = /^true$/i.test(deployed.offerReplacePending ?? "");
  const target = deployed.autoscaleSettings?.targetMaxThroughput ?? max;
  const base = {
    key: configKey,
    deployed: `an autoscale maximum of ${thousands(max)} RU/s`,
    wanted: thousands(wanted),
  };
  if (pending) {
    const progress =
      `A throughput change is still in progress on the container (offerReplacePending${target !== max ? `, to ${thousands(target)} RU/s` : ""}: ` +
      `Azure splits partitions for a raise, "typically 4-6 hours", scaling-provisioned-throughput-best-practices), and ` +
      `Cosmos DB takes no other throughput change until it completes (its offer API answers "423 Locked ... another ` +
      `scale operation is in progress", DocumentClient.ReplaceOfferAsync; Resource Manager documents no code for it)`;
    const done = `\`az cosmosdb sql container throughput show ${az} --query resource.offerReplacePending\` reads "false" (in any case: Azure answers it as text)`;
    // The config asks for neither the old maximum nor the one in progress: whatever the state holds, the update of
    // the container carries a third value.
    if (wanted !== max && wanted !== target)
      return [{ ...base, kind: "refused", remedy: `${progress}: deploy this once ${done}.` }];
    // The config asks for one of the two: whether this `up` updates the container depends on what the state holds
    // (who started the change), which the program cannot read; an update of the container meanwhile (its throughput,
    // TTL or indexing: the PUT carries the options) may be refused.
    return [
      {
        ...base,
        kind: "advised",
        remedy: `${progress}. If this deploy updates the container, it may fail there: deploy once ${done}.`,
      },
    ];
  }
  if (wanted === max) return [];
  const minimum = ruFigure(deployed.minimumThroughput);
  if (minimum !== undefined && wanted < autoscaleFloor(minimum)) {
    const floor = autoscaleFloor(minimum);
    return [
      {
        ...base,
        kind: "refused",
        remedy:
          `Azure accepts no maximum below ${thousands(floor)} RU/s on this container now (MAX(1000, the highest maximum ` +
          `ever set / 10, storage in GB x 10), rounded up to 1000: cosmos-db/concepts-limits), so every update of the ` +
          `container would fail: set ${configKey} to ${thousands(floor)} or more. This holds when the maximum was ` +
          `raised outside the program too (in the portal, for a load test: the floor stays), or by Azure itself for ` +
          `the data stored (autoscale-faq): the config cannot go back below the floor, and the cost estimate reads it.`,
      },
    ];
  }
  const soft = ruFigure(deployed.softAllowedMaximumThroughput);
  if (wanted > max && soft !== undefined && wanted > soft)
    return [
      {
        ...base,
        kind: "refused",
        remedy: `Azure takes a maximum above ${thousands(soft)} RU/s on this container only after a support request raises the limit (softAllowedMaximumThroughput; cosmos-db/concepts-limits): file it first, or stay at ${thousands(soft)} or below.`,
      },
    ];
  if (wanted > max) {
    const instant = ruFigure(deployed.instantMaximumThroughput);
    const splits = instant !== undefined && wanted > instant;
    return [
      {
        ...base,
        kind: "advised",
        remedy:
          (splits
            ? `Above ${thousands(instant)} RU/s Azure splits the container's partitions first: the raise completes ` +
              `asynchronously, "typically 4-6 hours", the old maximum serving meanwhile, and no other throughput change ` +
              `is accepted until it does (scaling-provisioned-throughput-best-practices). `
            : "") +
          `The raise also lifts the container's floor to ${thousands(Math.ceil(wanted / 10 / 1000) * 1000)} RU/s for good ` +
          `(the highest maximum ever set / 10: cosmos-db/concepts-limits); a later lowering stops there.`,
      },
    ];
  }
  return [];
}
