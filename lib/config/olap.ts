/** Stack configuration of the analytical tier: `olap` (the Synapse pool, its workload groups and pause schedule, the lake). */
import { z } from "../zod";
import { settings } from "./strict";
import { OFF_HOURS_TARGETS } from "../../pipelines/etl/contract";
import { WINDOWS_TIME_ZONES } from "../timeZones";
import { redundancyOf } from "../storageSku";
import { Environment, list, int } from "./common";

/**
 * Dedicated SQL pool service levels Azure sells (Gen2, "c" = compute optimised) and, per level, the lowest effective
 * REQUEST_MIN_RESOURCE_GRANT_PERCENT (the smallest share one query can be granted, hence the maximum concurrency):
 * https://learn.microsoft.com/sql/t-sql/statements/create-workload-group-transact-sql?view=azure-sqldw-latest#effective-values
 */
export const SYNAPSE_MIN_REQUEST_GRANT = {
  DW100c: 25,
  DW200c: 12.5,
  DW300c: 8,
  DW400c: 6.25,
  DW500c: 5,
  DW1000c: 3,
  DW1500c: 3,
  DW2000c: 2,
  DW2500c: 2,
  DW3000c: 1.5,
  DW5000c: 1.5,
  DW6000c: 0.75,
  DW7500c: 0.75,
  DW10000c: 0.75,
  DW15000c: 0.75,
  DW30000c: 0.75,
} as const;
export type SynapsePoolSku = keyof typeof SYNAPSE_MIN_REQUEST_GRANT;
export const SYNAPSE_POOL_SKUS = Object.keys(SYNAPSE_MIN_REQUEST_GRANT) as [SynapsePoolSku, ...SynapsePoolSku[]];

/** Storage redundancy SKUs Azure sells for an ADLS Gen2 (StorageV2, standard) account. */
export const LAKE_SKUS = [
  "Standard_LRS",
  "Standard_ZRS",
  "Standard_GRS",
  "Standard_RAGRS",
  "Standard_GZRS",
  "Standard_RAGZRS",
] as const;
/**
 * SKUs whose blobs can be moved to the archive tier: "The archive tier isn't supported for ZRS, GZRS, or RA-GZRS
 * accounts" (https://learn.microsoft.com/azure/storage/blobs/access-tiers-overview#archive-access-tier).
 */
export const ARCHIVE_TIER_SKUS: readonly string[] = ["Standard_LRS", "Standard_GRS", "Standard_RAGRS"];
/**
 * Azure region pairs of the EU regions that have one (geo-redundant storage replicates to the pair; regions without
 * a pair offer no GRS/GZRS). https://learn.microsoft.com/azure/reliability/cross-region-replication-azure
 */
export const EU_REGION_PAIRS: Readonly<Record<string, string>> = {
  westeurope: "northeurope",
  northeurope: "westeurope",
  francecentral: "francesouth",
  francesouth: "francecentral",
  germanywestcentral: "germanynorth",
  germanynorth: "germanywestcentral",
  swedencentral: "swedensouth",
  swedensouth: "swedencentral",
};
/** Lake zones with a lifecycle rule, and the blob prefix each rule filters on. */
export const LIFECYCLE_ZONES = ["raw", "archive"] as const;
export type LifecycleZone = (typeof LIFECYCLE_ZONES)[number];
/** Tier moves in the order a blob must go through them (a later tier at a later age). */
export const LIFECYCLE_STEPS = ["coolAfterDays", "coldAfterDays", "archiveAfterDays", "deleteAfterDays"] as const;
export const WORKLOAD_IMPORTANCE = ["low", "below_normal", "normal", "above_normal", "high"] as const;

export const age = int(0, 36_500, " days (non-negative, since the last modification)").optional();
export const lifecycleRuleSchema = settings({
  coolAfterDays: age,
  coldAfterDays: age,
  archiveAfterDays: age,
  deleteAfterDays: age,
});
export const workloadGroupSchema = settings({
  /**
   * Who is classified into the group: a database user or role, or an Entra login/group name. Optional: the ETL
   * tier classifies its identity itself (Olap.classifyEtlIdentity); BI defaults to the analysts group.
   */
  memberName: z.string().min(1, "must name a database user, role or Entra group").optional(),
  /** Guaranteed share of the pool (MIN_PERCENTAGE_RESOURCE). */
  minPercent: int(0, 100, " percent"),
  /** Hard cap (CAP_PERCENTAGE_RESOURCE). */
  capPercent: int(1, 100, " percent"),
  /**
   * Share each request gets (REQUEST_MIN_RESOURCE_GRANT_PERCENT): sets the group's concurrency. A whole number: the
   * ARM template schema of Microsoft.Synapse 2021-06-01 (vendor/azure-resource-manager-schemas, which the offline
   * preview validates against) types `minResourcePercentPerRequest` as an integer, although the REST spec's
   * WorkloadGroupProperties has it as a double like the T-SQL option. So a fractional service minimum (DW200c's 12.5,
   * DW400c's 6.25) is met with the next whole percentage, one request fewer at a time.
   */
  requestMinPercent: int(1, 100, " percent (ARM takes whole percentages)"),
  importance: z.enum(WORKLOAD_IMPORTANCE, { error: () => `must be one of ${list(WORKLOAD_IMPORTANCE)}` }),
  /** Seconds before a query of the group is cancelled; 0 = no limit. */
  queryTimeoutSeconds: int(0, 86_400, " seconds").default(0),
});
export const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a 24-hour time HH:MM, e.g. 07:00");

/**
 * The ids `olap.pool.recoverFrom` takes, each naming the pool whose latest geo-backup to restore: the pool itself
 * (`.../Microsoft.Synapse/workspaces/<ws>/sqlPools/<pool>`, the primary stack's `synapseSqlPoolId` output), its
 * geo-backup (`.../Microsoft.Synapse/workspaces/<ws>/recoverableSqlPools/<pool>`, what Get-AzSynapseSqlPoolGeoBackup
 * answers), or the geo-backup's Azure SQL form (`.../Microsoft.Sql/servers/<ws>/recoverabledatabases/<pool>`).
 */
const RECOVER_FROM =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/(?:Microsoft\.Synapse\/workspaces\/([^/]+)\/(?:sqlPools|recoverableSqlPools)|Microsoft\.Sql\/servers\/([^/]+)\/recoverableDatabases)\/([^/]+)$/i;

/**
 * The id a pool's `createMode: Recovery` takes as `recoverableDatabaseId`: the geo-backup in the Azure SQL form,
 * `.../Microsoft.Sql/servers/<workspace>/recoverabledatabases/<pool>`. A workspace's pool is served by a SQL database
 * back end whose restores take only SQL database ids (azurerm's synapse_sql_pool, constructSourceDatabaseId), and
 * Restore-AzSynapseSqlPool's help rewrites the geo-backup's id to this form for `-FromBackup` ("currently the command
 * only accepts the SQL databse ID", an earlier version of its Example 2; azurerm accepts it for Recovery since its fix
 * of #16791). Undefined for an id of no form above.
 */
export function recoverableDatabaseId(id: string): string | undefined {
  const m = RECOVER_FROM.exec(id);
  if (!m) return undefined;
  const [, subscription, group, workspace, server, pool] = m;
  return `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Sql/servers/${workspace ?? server}/recoverabledatabases/${pool}`;
}

export const olapSchema = settings({
  pool: settings({
    sku: z.enum(SYNAPSE_POOL_SKUS, {
      error: () => `must be a dedicated SQL pool service level Azure sells: one of ${list(SYNAPSE_POOL_SKUS)}`,
    }),
    /** Geo-backups (a daily copy in the paired region): GRS backup storage instead of LRS. */
    geoBackup: z.boolean(),
    /**
     * Create the pool from the latest geo-backup of this pool (its resource id, or the geo-backup's: RECOVER_FROM)
     * instead of empty: the secondary region's stack in a regional disaster (docs/disaster-recovery.md). Read at
     * creation only.
     */
    recoverFrom: z
      .string()
      .refine(
        (v) => recoverableDatabaseId(v) !== undefined,
        "must be the resource id of the dedicated SQL pool whose geo-backup to restore (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Synapse/workspaces/<workspace>/sqlPools/<pool>), or of that geo-backup (…/workspaces/<workspace>/recoverableSqlPools/<pool>, or …/Microsoft.Sql/servers/<workspace>/recoverabledatabases/<pool>)",
      )
      .optional(),
  }),
  lake: settings({
    sku: z.enum(LAKE_SKUS, { error: () => `must be one of ${list(LAKE_SKUS)}` }),
    /** Days deleted blobs and file systems stay recoverable. */
    softDeleteDays: int(7, 365, " days"),
    lifecycle: settings({ raw: lifecycleRuleSchema, archive: lifecycleRuleSchema }),
  }),
  workloadIsolation: settings({ etl: workloadGroupSchema, bi: workloadGroupSchema }),
  /**
   * Pause the dedicated pool outside working hours (dev); run by the ETL tier's pipelines. `alsoStop` lists the other
   * always-on compute that sleeps on the same schedule (its alerts are silenced while it does).
   */
  pauseSchedule: settings({
    timeZone: z.enum(Object.keys(WINDOWS_TIME_ZONES) as [string, ...string[]], {
      error: () => `must be a Windows time zone id of the platform's regions: ${list(Object.keys(WINDOWS_TIME_ZONES))}`,
    }),
    resumeAt: hhmm,
    pauseAt: hhmm,
    weekdaysOnly: z.boolean(),
    /**
     * Resume the pool at `resumeAt` (default). false: the pool is only paused at `pauseAt` (in case it was left
     * running) and resumed on demand, by the data engineers (pool-operator role) or the nightly run, which puts it
     * back to sleep; `resumeAt` then only starts what `alsoStop` stops.
     */
    resumePool: z.boolean().default(true),
    alsoStop: z
      .array(z.enum(OFF_HOURS_TARGETS, { error: () => `must be one of ${list(OFF_HOURS_TARGETS)}` }))
      .default([])
      .refine((xs) => new Set(xs).size === xs.length, "must not name a target twice"),
  }).optional(),
});
export type OlapConfig = z.output<typeof olapSchema>;

/** One problem in the `olap` section: where (path below `olap`) and what is wrong. */
export interface OlapIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Cross-field rules of the `olap` section (pure): lifecycle ages in tier order and tiers the SKU supports,
 * redundancy the region and environment allow, and workload groups the pool's service level can honour.
 */
export function olapIssues(o: OlapConfig, location: string, environment: Environment): OlapIssue[] {
  const issues: OlapIssue[] = [];
  const lake = o.lake;
  for (const zone of LIFECYCLE_ZONES) {
    const rule = lake.lifecycle[zone];
    const steps = LIFECYCLE_STEPS.filter((step) => rule[step] !== undefined);
    if (steps.length === 0) {
      issues.push({
        path: ["lake", "lifecycle", zone],
        message: `must set at least one of ${list(LIFECYCLE_STEPS)}`,
      });
    }
    for (let i = 1; i < steps.length; i++) {
      const [before, after] = [steps[i - 1], steps[i]];
      if ((rule[after] as number) <= (rule[before] as number)) {
        issues.push({
          path: ["lake", "lifecycle", zone, after],
          message: `must be greater than ${before} (${rule[before]}): blobs move hot → cool → cold → archive → delete, each step later than the one before`,
        });
      }
    }
    if (rule.archiveAfterDays !== undefined && !ARCHIVE_TIER_SKUS.includes(lake.sku)) {
      issues.push({
        path: ["lake", "lifecycle", zone, "archiveAfterDays"],
        message: `the archive tier is not available on ${lake.sku} accounts (only ${list(ARCHIVE_TIER_SKUS)}); use coldAfterDays`,
      });
    }
  }
  // Geo-replicated SKUs copy to the region's Azure pair.
  const geo = redundancyOf(lake.sku)?.geo === true;
  if ((geo || environment === "prod") && !EU_REGION_PAIRS[location]) {
    // Prod needs the pair (the lake's GZRS, the pool's geo-backup): Standard_ZRS is a way out in dev only.
    issues.push({
      path: ["lake", "sku"],
      message:
        environment === "prod"
          ? `${location} has no Azure region pair, so it offers no geo-redundant storage, which prod requires (the lake's GZRS, the pool's geo-backup): deploy prod to a location with an EU pair (${list(Object.keys(EU_REGION_PAIRS))})`
          : `${location} has no Azure region pair, so it offers no geo-redundant storage: use Standard_ZRS, or a location with an EU pair (${list(Object.keys(EU_REGION_PAIRS))})`,
    });
  }
  if (environment === "prod" && !["Standard_GZRS", "Standard_RAGZRS"].includes(lake.sku) && EU_REGION_PAIRS[location]) {
    issues.push({
      path: ["lake", "sku"],
      message: "must be Standard_GZRS or Standard_RAGZRS in prod (zone-redundant and replicated to the EU region pair)",
    });
  }
  if (environment === "prod" && !o.pool.geoBackup) {
    issues.push({ path: ["pool", "geoBackup"], message: "must be true in prod (restore in the paired region)" });
  }
  const grant = SYNAPSE_MIN_REQUEST_GRANT[o.pool.sku];
  let guaranteed = 0;
  for (const key of ["etl", "bi"] as const) {
    const g = o.workloadIsolation[key];
    guaranteed += g.minPercent;
    if (g.requestMinPercent < grant) {
      issues.push({
        path: ["workloadIsolation", key, "requestMinPercent"],
        message: `must be at least ${grant} on ${o.pool.sku} (the lowest request grant that service level allows)`,
      });
    }
    if (g.minPercent > 0 && g.minPercent < g.requestMinPercent) {
      issues.push({
        path: ["workloadIsolation", key, "minPercent"],
        message: `must be 0 or at least requestMinPercent (${g.requestMinPercent}); Azure sets a smaller guarantee to 0 at run time`,
      });
    }
    const ratio = g.minPercent / g.requestMinPercent;
    if (g.minPercent > 0 && Math.abs(ratio - Math.round(ratio)) > 1e-9) {
      issues.push({
        path: ["workloadIsolation", key, "minPercent"],
        message: `must be a multiple of requestMinPercent (${g.requestMinPercent}) so the guarantee is whole requests`,
      });
    }
    if (g.memberName?.toLowerCase() === "dbo") {
      issues.push({
        path: ["workloadIsolation", key, "memberName"],
        message:
          "must not be dbo: the pool classifies dbo itself (Microsoft says a managed identity runs as dbo in a workspace pool: into the ETL group, the streaming loader's session into BI; components/olap/settings.ts)",
      });
    }
    if (g.capPercent < g.minPercent || g.capPercent < g.requestMinPercent) {
      issues.push({
        path: ["workloadIsolation", key, "capPercent"],
        message: `must be at least minPercent (${g.minPercent}) and requestMinPercent (${g.requestMinPercent})`,
      });
    }
  }
  if (guaranteed > 100) {
    issues.push({
      path: ["workloadIsolation"],
      message: `etl.minPercent + bi.minPercent is ${guaranteed}; the guarantees cannot exceed 100 percent of the pool`,
    });
  }
  const schedule = o.pauseSchedule;
  // Compared only when both are times (a malformed one has its own message).
  const time = /^([01]\d|2[0-3]):[0-5]\d$/;
  if (
    schedule &&
    time.test(schedule.resumeAt) &&
    time.test(schedule.pauseAt) &&
    schedule.pauseAt <= schedule.resumeAt
  ) {
    issues.push({
      path: ["pauseSchedule", "pauseAt"],
      message: `must be later in the day than resumeAt (${schedule.resumeAt})`,
    });
  }
  // In prod the schedule would pause the pool every evening (the nightly load and BI queries wait for a resume), give
  // the data engineers pause/resume rights on prod's pool, lower the streaming freshness alert from Sev1/P1 to Sev3/P3
  // with `resumePool: false` (index.ts), and with `alsoStop` stop taking, scoring or streaming live payments.
  if (schedule && environment === "prod") {
    issues.push({
      path: ["pauseSchedule"],
      message:
        "must be absent in prod: it pauses the production pool every evening, gives the data engineers pause/resume rights on it, lowers the streaming freshness alert from Sev1 (P1) to Sev3 (P3) with resumePool false, and with alsoStop stops taking, scoring or streaming live payments (off-hours schedules are for non-production stacks)",
    });
  }
  return issues;
}
