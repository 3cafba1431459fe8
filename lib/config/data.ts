/** Stack configuration of the data tiers: `sql` (OLTP), `olap` (Synapse and the lake) and `cosmos` (NoSQL). */
import { z } from "../zod";
import { isoDurationDays, SQL_LTR_MAX_DAYS as LTR_MAX_DAYS } from "../../policies/lib/duration";
import { settings } from "./strict";
import { OFF_HOURS_TARGETS } from "../../pipelines/etl/contract";
import { WINDOWS_TIME_ZONES } from "../timeZones";
import { sqlMaxDataSizeGb, SQL_LTR_MIN_DAYS as LTR_MIN_DAYS } from "../sqlLimits";
import { redundancyOf } from "../storageSku";
import {
  Environment,
  SQL_SKUS,
  SQL_VCORES,
  BACKUP_REDUNDANCY,
  COSMOS_CONSISTENCY,
  COSMOS_CONTAINERS,
  list,
  int,
  isoDuration,
  type CosmosContainerKey,
} from "./common";

/** The failover group's geo-secondary types (Azure's `secondaryType`). */
export const SQL_SECONDARY_TYPES = ["Standby", "Geo"] as const;
export type SqlSecondaryType = (typeof SQL_SECONDARY_TYPES)[number];
/**
 * SKUs billed a SQL licence, hence eligible for Azure Hybrid Benefit (`licenseType`): provisioned General Purpose and
 * Business Critical. Serverless has no benefit (serverless-tier-overview), and "Hyperscale has no SQL software
 * license fee" (service-tier-hyperscale).
 */
export const LICENSED_SKUS: readonly string[] = ["GP_Gen5", "BC_Gen5"];
/** SKUs whose geo-secondary can be a licence-free standby replica: the licensed ones (standby-replica-how-to-configure). */
export const STANDBY_SKUS: readonly string[] = LICENSED_SKUS;

/**
 * A long-term retention period: "Long-term retention can be configured for up to 10 years" (long-term-retention-
 * overview), and the pack refuses more than 3653 days (`azure-native-sql-longtermretentionpolicy-...`'s
 * maxRetentionDays): refused here first, with the key named. At least 7 days, or 0 for none of that series (Azure's
 * minimum; lib/sqlLimits.ts quotes it).
 */
const ltrDuration = isoDuration
  .refine(
    (v) => (isoDurationDays(v) ?? 0) <= LTR_MAX_DAYS,
    `must be at most 10 years (${LTR_MAX_DAYS} days: Azure SQL long-term retention's maximum), e.g. P10Y, P120M, P520W`,
  )
  .refine((v) => {
    const days = isoDurationDays(v) ?? 0;
    return days === 0 || days >= LTR_MIN_DAYS;
  }, `must be at least ${LTR_MIN_DAYS} days (Azure SQL long-term retention's minimum), e.g. P1W or P7D, or 0 (P0D) to keep none of that series`);

export const sqlSchema = settings({
  sku: settings({
    name: z.enum(SQL_SKUS, { error: () => `must be one of ${list(SQL_SKUS)}` }),
    capacity: z
      .number({ error: `must be a Gen5 vCore count (a number): ${list(SQL_VCORES)}` })
      .refine((v) => (SQL_VCORES as readonly number[]).includes(v), `must be a Gen5 vCore count: ${list(SQL_VCORES)}`),
  }),
  /**
   * Serverless only: minimum vCores, from the larger of 0.5 and an eighth of `sku.capacity` up to `sku.capacity`
   * (Microsoft's serverless resource limits: "Min-max vCores" 0.5 - 2 for GP_S_Gen5_2, 0.75 - 6, 1.0 - 8, …).
   */
  minCapacity: z
    .number({ error: "must be a number of vCores (serverless minimum, at least 0.5)" })
    .min(0.5, "must be at least 0.5 vCore")
    .optional(),
  /** Serverless only: minutes idle before auto-pause; -1 disables auto-pause. */
  autoPauseDelayMinutes: z
    .number({ error: "must be -1 (off) or 15–10080 minutes" })
    .int({ error: "must be -1 (off) or 15–10080 minutes" })
    .refine((v) => v === -1 || (v >= 15 && v <= 10080), "must be -1 (off) or 15–10080 minutes")
    .optional(),
  maxSizeGb: int(1, 4096),
  zoneRedundant: z.boolean(),
  readScaleOut: z.boolean(),
  backupStorageRedundancy: z.enum(BACKUP_REDUNDANCY, { error: () => `must be one of ${list(BACKUP_REDUNDANCY)}` }),
  pitrRetentionDays: int(1, 35, " days (Azure SQL point-in-time restore)"),
  longTermRetention: settings({
    weekly: ltrDuration,
    monthly: ltrDuration,
    yearly: ltrDuration,
    weekOfYear: int(1, 52),
  }).optional(),
  failoverGroup: z.boolean(),
  /**
   * The failover group's geo-secondary: `Standby` (DR only: no SQL licence is billed for it, Microsoft's failover
   * rights; nothing may read from it; provisioned GP_Gen5/BC_Gen5 only) or `Geo` (readable, Azure's default and
   * this one's). learn.microsoft.com/azure/azure-sql/database/standby-replica-how-to-configure
   */
  secondaryType: z.enum(SQL_SECONDARY_TYPES, { error: () => `must be one of ${list(SQL_SECONDARY_TYPES)}` }).optional(),
  /**
   * Azure Hybrid Benefit (`licenseType: BasePrice`): you bring SQL Server core licences with Software Assurance
   * (Enterprise, one per Business Critical vCore; Standard, one per General Purpose vCore) and Azure bills no
   * licence. Not for serverless. learn.microsoft.com/azure/azure-sql/azure-hybrid-benefit
   */
  hybridBenefit: z.boolean().default(false),
  /**
   * Database-level ledger (every table becomes a ledger table, irreversibly). Off by default: the payment
   * tables are ledger tables in the DDL (pipelines/), while tables with personal data must stay erasable (GDPR 17).
   */
  ledger: z.boolean().default(false),
  /**
   * Audit the fraud scorer's SQL trigger batches (its polls of the payments database) to an immutable storage account
   * instead of the workspace (components/oltp/auditArchive.ts): every record is kept, write-once, for
   * `auditRetentionDays`, but the workspace, Sentinel and their retention no longer take the stream (docs/cost.md,
   * "SQL audit of the trigger's polls").
   */
  archiveTriggerAudit: z.boolean().default(false),
  /**
   * Days the audit archive keeps its records (the container's time-based retention and the audit's `retentionDays`);
   * 0 = the workspace's `logRetentionDays`. Only with `archiveTriggerAudit`.
   */
  auditRetentionDays: int(0, 3285).default(0),
}).superRefine((sql, ctx) => {
  const serverless = sql.sku.name === "GP_S_Gen5";
  if (!serverless && (sql.minCapacity !== undefined || sql.autoPauseDelayMinutes !== undefined)) {
    ctx.addIssue({
      code: "custom",
      path: ["sku", "name"],
      message: "minCapacity/autoPauseDelayMinutes apply only to GP_S_Gen5 (serverless)",
    });
  }
  if (sql.readScaleOut && !["BC_Gen5", "HS_Gen5"].includes(sql.sku.name)) {
    ctx.addIssue({ code: "custom", path: ["readScaleOut"], message: "read scale-out needs BC_Gen5 or HS_Gen5" });
  }
  if (serverless && (sql.failoverGroup || sql.longTermRetention) && sql.autoPauseDelayMinutes !== -1) {
    ctx.addIssue({
      code: "custom",
      path: ["autoPauseDelayMinutes"],
      message:
        "must be -1 (auto-pause off) on serverless with a failover group or long-term retention (Azure does not support auto-pause with either)",
    });
  }
  if (sql.secondaryType !== undefined && !sql.failoverGroup) {
    ctx.addIssue({
      code: "custom",
      path: ["secondaryType"],
      message: `applies only with failoverGroup true (there is no geo-secondary without one): remove it, or set failoverGroup true (${list(SQL_SECONDARY_TYPES)})`,
    });
  }
  if (sql.secondaryType === "Standby" && !STANDBY_SKUS.includes(sql.sku.name)) {
    ctx.addIssue({
      code: "custom",
      path: ["secondaryType"],
      message: `Standby needs a provisioned ${list(STANDBY_SKUS)} database (not serverless, not Hyperscale); use Geo`,
    });
  }
  if (sql.hybridBenefit && !LICENSED_SKUS.includes(sql.sku.name)) {
    ctx.addIssue({
      code: "custom",
      path: ["hybridBenefit"],
      message: `must be false on ${sql.sku.name}: Azure Hybrid Benefit applies to ${list(LICENSED_SKUS)} only (serverless has none, Hyperscale bills no SQL licence)`,
    });
  }
  if (serverless && sql.minCapacity !== undefined) {
    const floor = Math.max(0.5, sql.sku.capacity / 8);
    if (sql.minCapacity < floor || sql.minCapacity > sql.sku.capacity) {
      ctx.addIssue({
        code: "custom",
        path: ["minCapacity"],
        message: `must be ${floor}–${sql.sku.capacity} vCores with sku.capacity ${sql.sku.capacity} (serverless: at least 0.5 and an eighth of the maximum, at most the maximum)`,
      });
    }
  }
  // Azure's max data size depends on the SKU and its vCores (lib/sqlLimits.ts, from Microsoft's resource limits).
  const maxDataSizeGb = sqlMaxDataSizeGb(sql.sku.name, sql.sku.capacity);
  if (maxDataSizeGb !== undefined && sql.maxSizeGb > maxDataSizeGb) {
    ctx.addIssue({
      code: "custom",
      path: ["maxSizeGb"],
      message: `must be at most ${maxDataSizeGb} GB with sku ${sql.sku.name} and capacity ${sql.sku.capacity} (Azure's max data size for ${sql.sku.name}_${sql.sku.capacity}): lower maxSizeGb, or raise sku.capacity`,
    });
  }
  // A zone-redundant Hyperscale database "must have at least 1 high availability replica and zone-redundant backup
  // storage must be specified" (hyperscale-create-zone-redundant-database): the program gives it one replica.
  if (sql.sku.name === "HS_Gen5" && sql.zoneRedundant && !["Zone", "GeoZone"].includes(sql.backupStorageRedundancy)) {
    ctx.addIssue({
      code: "custom",
      path: ["backupStorageRedundancy"],
      message: `must be Zone or GeoZone with HS_Gen5 and zoneRedundant true (Azure refuses a zone-redundant Hyperscale database without zone-redundant backups), not ${sql.backupStorageRedundancy}`,
    });
  }
  if (serverless && sql.sku.capacity > 80) {
    ctx.addIssue({ code: "custom", path: ["sku", "capacity"], message: "serverless allows at most 80 vCores" });
  }
});

/** The geo-secondary's type: the configured one, else `Geo` (Azure's default: a readable secondary). */
export function geoSecondaryType(sql: Pick<z.infer<typeof sqlSchema>, "secondaryType">): SqlSecondaryType {
  return sql.secondaryType ?? "Geo";
}

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

export const olapSchema = settings({
  pool: settings({
    sku: z.enum(SYNAPSE_POOL_SKUS, {
      error: () => `must be a dedicated SQL pool service level Azure sells: one of ${list(SYNAPSE_POOL_SKUS)}`,
    }),
    /** Geo-backups (a daily copy in the paired region): GRS backup storage instead of LRS. */
    geoBackup: z.boolean(),
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

export const containerSchema = settings({
  /** Autoscale maximum RU/s (provisioned accounts only): a multiple of 1000, at least 1000. */
  maxThroughput: z
    .number({ error: "must be a multiple of 1000 RU/s, 1000–1,000,000 (Cosmos DB autoscale)" })
    .int({ error: "must be a multiple of 1000 RU/s, 1000–1,000,000 (Cosmos DB autoscale)" })
    .min(1000, "must be at least 1000 RU/s")
    .max(1_000_000, "must be at most 1,000,000 RU/s")
    .refine((v) => v % 1000 === 0, "must be a multiple of 1000 RU/s (Cosmos DB autoscale)")
    .optional(),
  /** Default time to live in seconds; -1 = items never expire unless they set ttl; absent = TTL off. */
  ttlSeconds: z
    .number({ error: "must be -1 or a positive whole number of seconds" })
    .int({ error: "must be -1 or a positive whole number of seconds" })
    .refine((v) => v === -1 || v > 0, "must be -1 or a positive number of seconds")
    // "The maximum value for TTL is 2,147,483,647 seconds" (cosmos-db/nosql/time-to-live).
    .refine((v) => v <= 2147483647, "must be at most 2147483647 seconds (Cosmos DB's maximum TTL)")
    .optional(),
});

/**
 * Containers whose items the GDPR erasure expires with per-item `ttl` stubs (pipelines/etl/erasure.ts): Cosmos DB
 * ignores an item's `ttl` unless its container has a default TTL (-1 or seconds), so theirs is required
 * (tests/etl.spec.ts holds the erasure's containers to this list).
 */
export const TTL_REQUIRED_CONTAINERS = ["sessions", "fraudFeatures"] as const satisfies readonly CosmosContainerKey[];

export const cosmosSchema = settings({
  serverless: z.boolean(),
  multiRegion: z.boolean(),
  zoneRedundant: z.boolean(),
  backupTier: z.enum(["Continuous7Days", "Continuous30Days"], {
    error: () => "must be Continuous7Days or Continuous30Days",
  }),
  consistency: z.enum(COSMOS_CONSISTENCY, { error: () => `must be one of ${list(COSMOS_CONSISTENCY)}` }),
  containers: settings({
    apiLogs: containerSchema,
    sessions: containerSchema,
    fraudFeatures: containerSchema,
    webhookEvents: containerSchema,
    // Change feed leases of the streaming tier's relay (components/streaming): one small item per lease.
    leases: containerSchema.default({}),
  }),
}).superRefine((c, ctx) => {
  for (const key of COSMOS_CONTAINERS) {
    const t = c.containers[key].maxThroughput;
    if (c.serverless && t !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["containers", key, "maxThroughput"],
        message: "must be absent on a serverless account (serverless has no provisioned throughput)",
      });
    }
    if (!c.serverless && t === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["containers", key, "maxThroughput"],
        message: "is required on a provisioned account (autoscale maximum RU/s, multiple of 1000)",
      });
    }
  }
  for (const key of TTL_REQUIRED_CONTAINERS) {
    if (c.containers[key].ttlSeconds === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["containers", key, "ttlSeconds"],
        message:
          "is required: the GDPR erasure expires this container's items with per-item ttl stubs, which Cosmos DB ignores without a container TTL (set the retention in seconds: the pack refuses -1 and more than 400 days unless the stack's policy config raises maxTtlSeconds)",
      });
    }
  }
  if (c.serverless && c.multiRegion) {
    ctx.addIssue({
      code: "custom",
      path: ["multiRegion"],
      message: "serverless accounts are single-region: set serverless false or multiRegion false",
    });
  }
});
