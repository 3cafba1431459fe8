/**
 * Stack configuration: every key read, validated and typed here, before any resource is registered.
 * `parseConfig` is pure (tests feed it plain objects); `loadConfig` reads the stack's Pulumi config.
 * An invalid value fails with one line per problem naming the key, the bad value and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { carve, findOverlaps, contains, formatCidr, isPrivate, parseCidr, type Cidr } from "./cidr";
import { REGION_SHORT } from "./naming";
import { providerConfigProblems, type ProviderConfig } from "./providerConfig";
import { loadSchema, usageSchema } from "./usage";
import { OFF_HOURS_TARGETS } from "../pipelines/etl/contract";
import { WINDOWS_TIME_ZONES } from "./timeZones";

/** The Pulumi project name (config namespace). Keep in sync with Pulumi.yaml. */
export const PROJECT = "payments-data-platform";

export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** EU regions only (GDPR data residency); every one has a short code for names. */
export const EU_REGIONS = Object.keys(REGION_SHORT);

/** Subnet roles of the platform VNet, in carving order (never reorder: it would move existing subnets). */
export const SUBNET_ROLES = [
  "privateEndpoints",
  "functions",
  "appGateway",
  "mlCompute",
  "streamAnalytics",
  "firewall",
  "flexFunctions",
] as const;
export type SubnetRole = (typeof SUBNET_ROLES)[number];
/** Default prefix length per role when subnets are carved from the address space. */
export const SUBNET_PREFIX: Readonly<Record<SubnetRole, number>> = {
  privateEndpoints: 24,
  functions: 26,
  appGateway: 24,
  mlCompute: 24,
  streamAnalytics: 26,
  firewall: 26,
  flexFunctions: 24,
};

export const SQL_SKUS = ["GP_S_Gen5", "GP_Gen5", "BC_Gen5", "HS_Gen5"] as const;
/** vCore counts Azure SQL Database offers for Gen5 (serverless max 80). */
export const SQL_VCORES = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 32, 40, 80] as const;
export const BACKUP_REDUNDANCY = ["Local", "Zone", "Geo", "GeoZone"] as const;
export const COSMOS_CONSISTENCY = ["Strong", "BoundedStaleness", "Session", "ConsistentPrefix", "Eventual"] as const;
export const COSMOS_CONTAINERS = ["apiLogs", "sessions", "fraudFeatures", "webhookEvents", "leases"] as const;
export const ML_VM_PRIORITIES = ["Dedicated", "LowPriority"] as const;
/**
 * The CPU VM sizes Azure Machine Learning managed online endpoints accept (MicrosoftDocs/azure-ai-docs
 * articles/machine-learning/reference-managed-online-endpoints-vm-sku-list.md; the GPU sizes are left out: the fraud
 * model is a small tabular one). Any other size fails only when the release pipeline creates the deployment.
 */
export const ONLINE_ENDPOINT_CPU_SKUS = [
  ...[2, 4, 8, 16, 32, 48, 64, 96].flatMap((n) => [`Standard_D${n}as_v4`, `Standard_D${n}a_v4`]),
  ...[1, 2, 3, 4, 5].map((n) => `Standard_DS${n}_v2`),
  ...[2, 4, 8, 16, 32, 48, 64].map((n) => `Standard_E${n}s_v3`),
  ...[2, 4, 8, 16, 32, 48, 64, 72].map((n) => `Standard_F${n}s_v2`),
  ...[4, 12, 24, 36, 48].map((n) => `Standard_FX${n}mds`),
  ...[8, 16, 32, 48, 64, 80].map((n) => `Standard_L${n}as_v3`),
  ...[8, 16, 32, 48, 64, 80].flatMap((n) => [`Standard_L${n}s_v2`, `Standard_L${n}s_v3`]),
] as const;
export type CosmosContainerKey = (typeof COSMOS_CONTAINERS)[number];

const list = (values: readonly (string | number)[]) => values.join(", ");

const euRegion = z.enum(EU_REGIONS as [string, ...string[]], {
  error: () => `must be an EU region (GDPR data residency): one of ${list(EU_REGIONS)}`,
});
const cidr = z.string().refine((v) => parseCidr(v) !== undefined, {
  error: "must be an IPv4 CIDR with host bits zero, e.g. 10.20.0.0/16",
});
const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be an Entra object id (GUID)");
const email = z.email({ error: "must be an e-mail address, e.g. data-oncall@example.com" });
const int = (min: number, max: number, what = "") =>
  z
    .number({ error: `must be a whole number${what}` })
    .int({ error: `must be a whole number${what}` })
    .min(min, { error: `must be between ${min} and ${max}${what}` })
    .max(max, { error: `must be between ${min} and ${max}${what}` });
const isoDuration = z
  .string()
  .regex(/^P(\d+[YMWD])$/, "must be an ISO 8601 duration in whole weeks/months/years/days, e.g. P12W, P12M, P10Y");

const sqlSchema = z
  .object({
    sku: z.object({
      name: z.enum(SQL_SKUS, { error: () => `must be one of ${list(SQL_SKUS)}` }),
      capacity: z
        .number()
        .refine(
          (v) => (SQL_VCORES as readonly number[]).includes(v),
          `must be a Gen5 vCore count: ${list(SQL_VCORES)}`,
        ),
    }),
    /** Serverless only: minimum vCores (0.5 steps). */
    minCapacity: z.number().min(0.5, "must be at least 0.5 vCore").optional(),
    /** Serverless only: minutes idle before auto-pause; -1 disables auto-pause. */
    autoPauseDelayMinutes: z
      .number()
      .int()
      .refine((v) => v === -1 || (v >= 15 && v <= 10080), "must be -1 (off) or 15–10080 minutes")
      .optional(),
    maxSizeGb: int(1, 4096),
    zoneRedundant: z.boolean(),
    readScaleOut: z.boolean(),
    backupStorageRedundancy: z.enum(BACKUP_REDUNDANCY, { error: () => `must be one of ${list(BACKUP_REDUNDANCY)}` }),
    pitrRetentionDays: int(1, 35, " days (Azure SQL point-in-time restore)"),
    longTermRetention: z
      .object({ weekly: isoDuration, monthly: isoDuration, yearly: isoDuration, weekOfYear: int(1, 52) })
      .optional(),
    failoverGroup: z.boolean(),
    /**
     * Database-level ledger (every table becomes a ledger table, irreversibly). Off by default: the payment
     * tables are ledger tables in the DDL (pipelines/), while tables with personal data must stay erasable (GDPR 17).
     */
    ledger: z.boolean().default(false),
    auditRetentionDays: int(0, 3285).default(0),
  })
  .superRefine((sql, ctx) => {
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
    if (serverless && sql.sku.capacity > 80) {
      ctx.addIssue({ code: "custom", path: ["sku", "capacity"], message: "serverless allows at most 80 vCores" });
    }
  });

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
/** Geo-replicated SKUs (they copy to the region's Azure pair). */
export const GEO_LAKE_SKUS: readonly string[] = ["Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"];
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
  norwayeast: "norwaywest",
  norwaywest: "norwayeast",
};
/** Lake zones with a lifecycle rule, and the blob prefix each rule filters on. */
export const LIFECYCLE_ZONES = ["raw", "archive"] as const;
export type LifecycleZone = (typeof LIFECYCLE_ZONES)[number];
/** Tier moves in the order a blob must go through them (a later tier at a later age). */
export const LIFECYCLE_STEPS = ["coolAfterDays", "coldAfterDays", "archiveAfterDays", "deleteAfterDays"] as const;
export const WORKLOAD_IMPORTANCE = ["low", "below_normal", "normal", "above_normal", "high"] as const;

const age = int(0, 36_500, " days (non-negative, since the last modification)").optional();
const lifecycleRuleSchema = z.object({
  coolAfterDays: age,
  coldAfterDays: age,
  archiveAfterDays: age,
  deleteAfterDays: age,
});
const workloadGroupSchema = z.object({
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
   * ARM property `minResourcePercentPerRequest` is an integer (Microsoft.Synapse 2021-06-01), unlike the T-SQL option.
   */
  requestMinPercent: int(1, 100, " percent (ARM takes whole percentages)"),
  importance: z.enum(WORKLOAD_IMPORTANCE, { error: () => `must be one of ${list(WORKLOAD_IMPORTANCE)}` }),
  /** Seconds before a query of the group is cancelled; 0 = no limit. */
  queryTimeoutSeconds: int(0, 86_400, " seconds").default(0),
});
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a 24-hour time HH:MM, e.g. 07:00");

const olapSchema = z.object({
  pool: z.object({
    sku: z.enum(SYNAPSE_POOL_SKUS, {
      error: () => `must be a dedicated SQL pool service level Azure sells: one of ${list(SYNAPSE_POOL_SKUS)}`,
    }),
    /** Geo-backups (a daily copy in the paired region): GRS backup storage instead of LRS. */
    geoBackup: z.boolean(),
  }),
  lake: z.object({
    sku: z.enum(LAKE_SKUS, { error: () => `must be one of ${list(LAKE_SKUS)}` }),
    /** Days deleted blobs and file systems stay recoverable. */
    softDeleteDays: int(7, 365, " days"),
    lifecycle: z.object({ raw: lifecycleRuleSchema, archive: lifecycleRuleSchema }),
  }),
  workloadIsolation: z.object({ etl: workloadGroupSchema, bi: workloadGroupSchema }),
  /**
   * Pause the dedicated pool outside working hours (dev); run by the ETL tier's pipelines. `alsoStop` lists the other
   * always-on compute that sleeps on the same schedule (its alerts are silenced while it does).
   */
  pauseSchedule: z
    .object({
      timeZone: z.enum(Object.keys(WINDOWS_TIME_ZONES) as [string, ...string[]], {
        error: () =>
          `must be a Windows time zone id of the platform's regions: ${list(Object.keys(WINDOWS_TIME_ZONES))}`,
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
    })
    .optional(),
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
  const geo = GEO_LAKE_SKUS.includes(lake.sku);
  if (geo && !EU_REGION_PAIRS[location]) {
    issues.push({
      path: ["lake", "sku"],
      message: `${location} has no Azure region pair, so it offers no geo-redundant storage: use Standard_ZRS, or a location with an EU pair (${list(Object.keys(EU_REGION_PAIRS))})`,
    });
  }
  if (environment === "prod" && !["Standard_GZRS", "Standard_RAGZRS"].includes(lake.sku)) {
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
  if (schedule && schedule.pauseAt <= schedule.resumeAt) {
    issues.push({
      path: ["pauseSchedule", "pauseAt"],
      message: `must be later in the day than resumeAt (${schedule.resumeAt})`,
    });
  }
  if (schedule && schedule.alsoStop.length > 0 && environment === "prod") {
    issues.push({
      path: ["pauseSchedule", "alsoStop"],
      message: `must be empty in prod: stopping ${list(schedule.alsoStop)} stops taking, scoring or streaming live payments (off-hours stops are for non-production stacks)`,
    });
  }
  return issues;
}

const containerSchema = z.object({
  /** Autoscale maximum RU/s (provisioned accounts only): a multiple of 1000, at least 1000. */
  maxThroughput: z
    .number()
    .int()
    .min(1000, "must be at least 1000 RU/s")
    .max(1_000_000, "must be at most 1,000,000 RU/s")
    .refine((v) => v % 1000 === 0, "must be a multiple of 1000 RU/s (Cosmos DB autoscale)")
    .optional(),
  /** Default time to live in seconds; -1 = items never expire unless they set ttl; absent = TTL off. */
  ttlSeconds: z
    .number()
    .int()
    .refine((v) => v === -1 || v > 0, "must be -1 or a positive number of seconds")
    .optional(),
});

const cosmosSchema = z
  .object({
    serverless: z.boolean(),
    multiRegion: z.boolean(),
    zoneRedundant: z.boolean(),
    backupTier: z.enum(["Continuous7Days", "Continuous30Days"], {
      error: () => "must be Continuous7Days or Continuous30Days",
    }),
    consistency: z.enum(COSMOS_CONSISTENCY, { error: () => `must be one of ${list(COSMOS_CONSISTENCY)}` }),
    containers: z.object({
      apiLogs: containerSchema,
      sessions: containerSchema,
      fraudFeatures: containerSchema,
      webhookEvents: containerSchema,
      // Change feed leases of the streaming tier's relay (components/streaming): one small item per lease.
      leases: containerSchema.default({}),
    }),
  })
  .superRefine((c, ctx) => {
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
    if (c.serverless && c.multiRegion) {
      ctx.addIssue({
        code: "custom",
        path: ["multiRegion"],
        message: "serverless accounts are single-region: set serverless false or multiRegion false",
      });
    }
  });

/** Azure VM size names (`Standard_D4s_v3`, `Standard_NC6s_v3`, ...). */
const vmSize = z.string().regex(/^Standard_[A-Z][A-Za-z0-9_]*$/, "must be an Azure VM size name, e.g. Standard_D4s_v3");

/** Dev-sized defaults of the `ml` key (prod must set it: prod requires 3+ endpoint instances and dedicated nodes). */
export const ML_DEV_DEFAULTS = {
  compute: { vmSize: "Standard_DS3_v2", maxNodes: 2, vmPriority: "LowPriority", idleSecondsBeforeScaleDown: 120 },
  endpoint: { instanceType: "Standard_DS1_v2", instanceCount: 1 },
} as const;

const mlSchema = z.object({
  /** Training cluster (scales to zero when idle). */
  compute: z.object({
    vmSize,
    maxNodes: int(1, 100, " nodes"),
    vmPriority: z.enum(ML_VM_PRIORITIES, { error: () => `must be one of ${list(ML_VM_PRIORITIES)}` }),
    /** Idle seconds before the cluster scales a node down (ISO 8601 duration in the resource). */
    idleSecondsBeforeScaleDown: int(60, 86400, " seconds"),
  }),
  /** Fraud-scoring managed online endpoint: the deployment size the release pipeline uses (docs/ml-operations.md). */
  endpoint: z.object({
    // Azure accepts any casing (Microsoft's list spells them STANDARD_DS3_V2): matched without case, kept canonical.
    instanceType: z
      .string()
      .transform((v) => ONLINE_ENDPOINT_CPU_SKUS.find((sku) => sku.toLowerCase() === v.toLowerCase()) ?? v)
      .refine((v) => (ONLINE_ENDPOINT_CPU_SKUS as readonly string[]).includes(v), {
        error: `must be a managed online endpoint CPU size: one of ${list(ONLINE_ENDPOINT_CPU_SKUS)}`,
      }),
    instanceCount: int(1, 20, " instances"),
  }),
});

/** Dev-sized defaults of the `etl` key (a stack that does not mention the tier still gets a valid, small one). */
export const ETL_DEV_DEFAULTS = {
  integrationRuntime: {
    copyDataIntegrationUnits: 8,
    copyTimeToLiveMinutes: 5,
    pipelineTimeToLiveMinutes: 5,
    pipelineNodes: 1,
    externalNodes: 1,
  },
} as const;

const etlSchema = z.object({
  /** The Azure integration runtime in the factory's managed virtual network (components/etl/settings.ts). */
  integrationRuntime: z.object({
    /** Data integration units reserved for copies while the copy compute is warm: a multiple of 4, 4-256. */
    copyDataIntegrationUnits: int(4, 256, " (DIU)").refine((n) => n % 4 === 0, {
      error: "must be a multiple of 4 (Data Factory reserves DIUs in fours in a managed virtual network)",
    }),
    /** Minutes the copy compute stays warm after a copy (>= 5; warm compute is billed). */
    copyTimeToLiveMinutes: int(5, 1440, " minutes"),
    /** Minutes the pipeline/external activity compute stays warm (>= 5; cannot be disabled). */
    pipelineTimeToLiveMinutes: int(5, 1440, " minutes"),
    /** Pipeline activity nodes (Lookup, Script, Stored Procedure, Web): 1-10. */
    pipelineNodes: int(1, 10, " nodes"),
    /** External activity nodes: 1-10. */
    externalNodes: int(1, 10, " nodes"),
  }),
});

/** Flex Consumption instance memory sizes (MB). */
export const FLEX_MEMORY_MB = [512, 2048, 4096] as const;
/** Function hosting plans the shared hosting supports (see components/shared/functionApp.ts for why Flex). */
export const FUNCTION_PLAN_SKUS = ["FC1"] as const;

const functionAppSchema = z.object({
  /** Flex Consumption scale-out ceiling of the app (Azure allows 40–1000). */
  maximumInstanceCount: int(40, 1000, " (Flex Consumption maximum instance count)"),
  /** Instances kept warm for the app's trigger group (cold-start free; billed while idle). */
  alwaysReady: int(0, 50, " (always-ready instances)"),
});

const ingestionSchema = z
  .object({
    gateway: z.object({
      /** Application Gateway v2 autoscale minimum (instances kept running; 0 allowed). */
      minInstances: int(0, 125, " (Application Gateway v2 autoscale)"),
      /** Application Gateway v2 autoscale maximum. */
      maxInstances: int(2, 125, " (Application Gateway v2 autoscale)"),
    }),
    /** Public host name of the payments API (the listener's host name and the certificate's subject). */
    apiHostName: z
      .string()
      .regex(
        /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        "must be a lower-case DNS name, e.g. api.payments.example.com",
      )
      .optional(),
    /** Name of the TLS certificate in the platform Key Vault that the gateway's HTTPS listener serves. */
    tlsCertificateName: z
      .string()
      .regex(/^[0-9A-Za-z-]{1,127}$/, "must be a Key Vault certificate name (letters, digits, hyphens)")
      .default("agw-payments-api-tls"),
    functions: z.object({
      sku: z.enum(FUNCTION_PLAN_SKUS, {
        error: () =>
          `must be ${list(FUNCTION_PLAN_SKUS)} (Flex Consumption: identity-based deployment storage, VNet integration, always-ready instances)`,
      }),
      instanceMemoryMB: z
        .number()
        .refine((v) => (FLEX_MEMORY_MB as readonly number[]).includes(v), `must be one of ${list(FLEX_MEMORY_MB)} MB`),
      paymentApi: functionAppSchema,
      fraudScoring: functionAppSchema,
    }),
  })
  .superRefine((c, ctx) => {
    if (c.gateway.maxInstances < c.gateway.minInstances) {
      ctx.addIssue({
        code: "custom",
        path: ["gateway", "maxInstances"],
        message: `must be at least gateway.minInstances (${c.gateway.minInstances})`,
      });
    }
    if (c.functions.fraudScoring.alwaysReady < 1) {
      ctx.addIssue({
        code: "custom",
        path: ["functions", "fraudScoring", "alwaysReady"],
        message:
          "must be at least 1: the SQL trigger authenticates with a managed identity, which the Flex Consumption scale controller cannot use to wake an app from zero (Azure/azure-functions-sql-extension#1235)",
      });
    }
  });

/** Event Hubs tiers the streaming tier supports (Basic has no consumer groups beyond $Default and 1-day retention). */
export const EVENT_HUBS_SKUS = ["Standard", "Premium"] as const;
/** Premium processing units Azure sells. */
export const EVENT_HUBS_PREMIUM_UNITS = [1, 2, 4, 8, 16] as const;

/** Window sizes a log search alert accepts, in minutes (the freshness alert's threshold). */
export const FRESHNESS_MINUTES = [5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440] as const;

/** Dev-sized defaults of the `streaming` key (prod must set it: prod requires Premium Event Hubs for the CMK). */
export const STREAMING_DEV_DEFAULTS = {
  eventHubs: { sku: "Standard", capacity: 1, partitions: 2, retentionHours: 24 },
  streamAnalytics: { streamingUnits: 1, lateArrivalSeconds: 60 },
  relay: { instanceMemoryMB: 2048, maximumInstanceCount: 40, alwaysReady: 0, loaderAlwaysReady: 0 },
  freshnessMinutes: 60,
} as const;

const streamingSchema = z
  .object({
    eventHubs: z
      .object({
        /** Standard (Microsoft-managed keys only) or Premium (customer-managed key, dedicated resources). */
        sku: z.enum(EVENT_HUBS_SKUS, {
          error: () => `must be ${list(EVENT_HUBS_SKUS)} (customer-managed keys need Premium)`,
        }),
        /** Throughput units (Standard, 1-40) or processing units (Premium: 1, 2, 4, 8, 16). */
        capacity: int(1, 40, " (Event Hubs throughput/processing units)"),
        /** Partitions of the api-logs hub (Standard at most 32, Premium at most 100); fixed once created on Standard. */
        partitions: int(1, 100, " (Event Hubs partitions)"),
        /** Hours events stay in the hub for replay (Standard at most 168, Premium at most 2160). */
        retentionHours: int(1, 2160, " hours (Event Hubs retention)"),
      })
      .default(STREAMING_DEV_DEFAULTS.eventHubs),
    streamAnalytics: z
      .object({
        /**
         * Removed: the job no longer runs on a Stream Analytics cluster (it writes to Event Hubs through the trusted
         * services exception and a function loads Synapse, docs/streaming.md). Refused rather than ignored, so a
         * stack file that still sizes a cluster says so.
         */
        clusterCapacity: z
          .never({
            error: () =>
              "is no longer used: the job runs without a Stream Analytics cluster (docs/streaming.md); remove the key and size the job with streamingUnits",
          })
          .optional(),
        /** Streaming units (SU V1: 1, 3, 6, then multiples of 6) of the job (multi-tenant, billed per SU-hour). */
        streamingUnits: z
          .number()
          .refine(
            (v) => v === 1 || v === 3 || (Number.isInteger(v) && v % 6 === 0 && v >= 6 && v <= 216),
            "must be 1, 3 or a multiple of 6 up to 216 (Stream Analytics SU V1)",
          ),
        /** How late an event may arrive (event time) and still count in its window. */
        lateArrivalSeconds: int(0, 240, " seconds (late arrival tolerance; the 5-minute freshness SLA bounds it)"),
      })
      .default(STREAMING_DEV_DEFAULTS.streamAnalytics),
    relay: z
      .object({
        instanceMemoryMB: z
          .number()
          .refine(
            (v) => (FLEX_MEMORY_MB as readonly number[]).includes(v),
            `must be one of ${list(FLEX_MEMORY_MB)} MB`,
          ),
        ...functionAppSchema.shape,
        /** Instances kept warm for the Synapse loader function (its own trigger group in the same app). */
        loaderAlwaysReady: int(0, 50, " (always-ready instances of the Synapse loader)").default(0),
      })
      .default(STREAMING_DEV_DEFAULTS.relay),
    /** Alert when Fact_API_Performance received no row for this many minutes (a log alert window size). */
    freshnessMinutes: z
      .number()
      .refine(
        (v) => (FRESHNESS_MINUTES as readonly number[]).includes(v),
        `must be one of ${list(FRESHNESS_MINUTES)} minutes (Azure Monitor log alert window sizes)`,
      )
      .default(STREAMING_DEV_DEFAULTS.freshnessMinutes),
  })
  .superRefine((c, ctx) => {
    const eh = c.eventHubs;
    if (eh.sku === "Premium" && !(EVENT_HUBS_PREMIUM_UNITS as readonly number[]).includes(eh.capacity)) {
      ctx.addIssue({
        code: "custom",
        path: ["eventHubs", "capacity"],
        message: `must be one of ${list(EVENT_HUBS_PREMIUM_UNITS)} processing units on Premium`,
      });
    }
    const limits =
      eh.sku === "Premium" ? { partitions: 100, retentionHours: 2160 } : { partitions: 32, retentionHours: 168 };
    for (const key of ["partitions", "retentionHours"] as const) {
      if (eh[key] > limits[key]) {
        ctx.addIssue({
          code: "custom",
          path: ["eventHubs", key],
          message: `must be at most ${limits[key]} on ${eh.sku}`,
        });
      }
    }
  });
/** Alert priorities: P1 paged within 15 minutes, P2 answered within 1 hour, P3 within 24 hours (the seed's support). */
export const ALERT_PRIORITIES = ["p1", "p2", "p3"] as const;
export type AlertPriority = (typeof ALERT_PRIORITIES)[number];

const receiverSchema = z.object({
  /** E-mail receivers of the priority's action group; default: `alertEmails`. */
  emails: z.array(email).min(1, "must list at least one e-mail address").optional(),
  /** Add the secret `alertWebhookUrl` (incident tool) to the group when it is set. */
  webhook: z.boolean(),
});

/** The seed's SLA table: thresholds and windows of the six SLA alerts (components/operations/sla.ts). */
export const SLA_DEFAULTS = {
  oltpP99Ms: 200,
  oltpWindowMinutes: 5,
  olapQuerySeconds: 10,
  olapSlowQueries: 3,
  olapWindowMinutes: 15,
  cosmosP99Ms: 50,
  cosmosWindowMinutes: 5,
  etlWindowMinutes: 5,
  apiAvailabilityPercent: 99.9,
  apiWindowMinutes: 15,
  apiMinRequests: 100,
  freshnessMinutes: 60,
} as const;

/** Window sizes a log alert rule accepts, in minutes (scheduled query rules: PT1M … P2D). */
export const LOG_ALERT_WINDOWS = [1, 5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440, 2880] as const;
const logWindow = (min = 1) => {
  const allowed = LOG_ALERT_WINDOWS.filter((m) => m >= min);
  return z
    .number()
    .refine(
      (v) => (allowed as readonly number[]).includes(v),
      `must be one of ${list(allowed)} minutes (log alert window sizes)`,
    );
};

const slaSchema = z.object({
  oltpP99Ms: int(1, 60000, " ms").default(SLA_DEFAULTS.oltpP99Ms),
  oltpWindowMinutes: logWindow().default(SLA_DEFAULTS.oltpWindowMinutes),
  olapQuerySeconds: int(1, 3600, " seconds").default(SLA_DEFAULTS.olapQuerySeconds),
  olapSlowQueries: int(1, 1000, " queries").default(SLA_DEFAULTS.olapSlowQueries),
  olapWindowMinutes: logWindow(5).default(SLA_DEFAULTS.olapWindowMinutes),
  cosmosP99Ms: int(1, 10000, " ms").default(SLA_DEFAULTS.cosmosP99Ms),
  cosmosWindowMinutes: logWindow().default(SLA_DEFAULTS.cosmosWindowMinutes),
  etlWindowMinutes: z
    .union([z.literal(1), z.literal(5), z.literal(15), z.literal(30), z.literal(60)], {
      error: () => "must be one of 1, 5, 15, 30, 60 minutes (metric alert window sizes)",
    })
    .default(SLA_DEFAULTS.etlWindowMinutes),
  apiAvailabilityPercent: z
    .number({ error: "must be a percentage" })
    .min(90, "must be between 90 and 100 percent")
    .max(100, "must be between 90 and 100 percent")
    .default(SLA_DEFAULTS.apiAvailabilityPercent),
  apiWindowMinutes: logWindow(5).default(SLA_DEFAULTS.apiWindowMinutes),
  apiMinRequests: int(1, 1_000_000, " requests").default(SLA_DEFAULTS.apiMinRequests),
  freshnessMinutes: int(15, 1440, " minutes").default(SLA_DEFAULTS.freshnessMinutes),
});

const operationsSchema = z.object({
  /** Cost Management budget of the stack's resource groups (actual 50/80/100 %, forecast 100 %). */
  budget: z.object({
    /** Monthly amount in the billing currency. */
    amount: z.number({ error: "must be a number" }).positive("must be a positive monthly amount"),
    /**
     * First day of the budget, pinned (Azure refuses to change it later, and a past date must lie in the current
     * month when the budget is created): YYYY-MM-01.
     */
    startDate: z
      .string()
      .regex(/^20\d\d-(0[1-9]|1[0-2])-01$/, "must be the first day of a month, YYYY-MM-01 (e.g. 2026-12-01)"),
  }),
  /** Microsoft Sentinel on the workspace with the card-data analytics rules; must be true in prod. */
  sentinel: z.boolean(),
  /**
   * Subscription-wide pieces (activity log to the workspace, Defender for Cloud plans and security contact, the
   * PCI DSS v4 initiative in audit mode): exactly one stack per subscription owns them (prod).
   */
  subscriptionGovernance: z.boolean(),
  /** Receivers per priority; default: `alertEmails` everywhere, the webhook on P1 and P2. */
  routing: z
    .object({ p1: receiverSchema, p2: receiverSchema, p3: receiverSchema })
    .default({ p1: { webhook: true }, p2: { webhook: true }, p3: { webhook: false } }),
  /** Defender for Cloud security contacts; default: `alertEmails`. */
  securityContactEmails: z.array(email).min(1, "must list at least one e-mail address").optional(),
  sla: slaSchema.default(SLA_DEFAULTS),
});

const schema = z
  .object({
    environment: z.enum(ENVIRONMENTS, { error: () => `must be one of ${list(ENVIRONMENTS)}` }),
    workload: z.string().regex(/^[a-z][a-z0-9]{1,5}$/, "must be 2–6 lower-case letters/digits starting with a letter"),
    location: euRegion,
    secondaryLocation: euRegion,
    owner: z.string().min(2, "must name the owning team"),
    costCenter: z.string().regex(/^[A-Za-z0-9-]{2,20}$/, "must be 2–20 letters, digits or hyphens"),
    extraTags: z.record(z.string(), z.string()).default({}),
    vnetAddressSpace: cidr,
    subnets: z.partialRecord(z.enum(SUBNET_ROLES), cidr).optional(),
    logRetentionDays: int(30, 730, " days (Log Analytics)"),
    keyVaultSku: z.enum(["standard", "premium"], { error: () => "must be standard or premium" }),
    hsmKeys: z.boolean(),
    cmkKeySize: z.literal(3072, {
      error: () =>
        "must be 3072 (RSA bits: Azure SQL TDE accepts only 2048 or 3072, and PCI DSS asks for >= 128-bit strength)",
    }),
    keyRotationDays: int(30, 365, " days"),
    keyExpiryDays: int(60, 730, " days"),
    alertEmails: z.array(email).min(1, "must list at least one e-mail address"),
    enableFirewall: z.boolean(),
    enableDdosProtection: z.boolean(),
    protectStatefulResources: z.boolean(),
    platformAdminsGroupId: guid.optional(),
    dataEngineersGroupId: guid.optional(),
    analystsGroupId: guid.optional(),
    fraudMlGroupId: guid.optional(),
    sql: sqlSchema,
    cosmos: cosmosSchema,
    /** Usage assumptions for the cost estimate (lib/usage.ts, docs/cost.md). */
    usage: usageSchema,
    /** Target load for the capacity model (lib/usage.ts, docs/capacity.md). */
    load: loadSchema,
    olap: olapSchema,
    ml: mlSchema.default(ML_DEV_DEFAULTS),
    // Absent: the dev-sized defaults (a stack that does not mention the tier still gets a valid, small one).
    ingestion: ingestionSchema.default({
      gateway: { minInstances: 0, maxInstances: 2 },
      tlsCertificateName: "agw-payments-api-tls",
      functions: {
        sku: "FC1",
        instanceMemoryMB: 2048,
        paymentApi: { maximumInstanceCount: 40, alwaysReady: 0 },
        fraudScoring: { maximumInstanceCount: 40, alwaysReady: 1 },
      },
    }),
    /** ETL tier (Data Factory); absent: the dev-sized defaults. */
    etl: etlSchema.default(ETL_DEV_DEFAULTS),
    /** Streaming tier (flow 3); absent: the dev sizes (prod's rules reject them). */
    streaming: streamingSchema.default({ ...STREAMING_DEV_DEFAULTS }),
    /**
     * How `enableDdosProtection` protects the stack's public IPs: `network` attaches a DDoS Network Protection plan to
     * the VNet (rapid response, cost protection, WAF discount; about $2,944/month), `ip` enables DDoS IP Protection on
     * each public IP instead (the same L3/L4 mitigation, per IP, about $199/month each; no rapid response, cost
     * protection or WAF discount: learn.microsoft.com/azure/ddos-protection/ddos-protection-sku-comparison).
     */
    ddosProtectionMode: z.enum(["network", "ip"], { error: () => "must be network or ip" }).default("network"),
    /** Operations tier: alert routing, SLA thresholds, budget, Sentinel, subscription governance. */
    operations: operationsSchema,
  })
  .superRefine((c, ctx) => {
    if (c.secondaryLocation === c.location) {
      ctx.addIssue({
        code: "custom",
        path: ["secondaryLocation"],
        message: `must differ from location (${c.location})`,
      });
    }
    const minRetention = c.environment === "prod" ? 365 : 90;
    if (c.logRetentionDays < minRetention) {
      ctx.addIssue({
        code: "custom",
        path: ["logRetentionDays"],
        message: `must be at least ${minRetention} days in ${c.environment} (PCI DSS 10.5.1)`,
      });
    }
    if (c.hsmKeys && c.keyVaultSku !== "premium") {
      ctx.addIssue({ code: "custom", path: ["hsmKeys"], message: "HSM-backed keys need keyVaultSku premium" });
    }
    if (c.environment === "prod" && (!c.hsmKeys || !c.protectStatefulResources)) {
      ctx.addIssue({
        code: "custom",
        path: [c.hsmKeys ? "protectStatefulResources" : "hsmKeys"],
        message: "must be true in prod",
      });
    }
    if (c.environment === "prod" && c.ml.endpoint.instanceCount < 3) {
      ctx.addIssue({
        code: "custom",
        path: ["ml", "endpoint", "instanceCount"],
        message:
          "must be at least 3 in prod (Microsoft recommends 3+ instances for production online deployments: upgrades and node failures keep capacity)",
      });
    }
    if (c.environment === "prod" && c.ml.compute.vmPriority === "LowPriority") {
      ctx.addIssue({
        code: "custom",
        path: ["ml", "compute", "vmPriority"],
        message: "must be Dedicated in prod (low-priority nodes can be preempted mid-training)",
      });
    }
    if (c.environment === "prod" && !c.enableDdosProtection) {
      ctx.addIssue({
        code: "custom",
        path: ["enableDdosProtection"],
        message: "must be true in prod (the payments API gateway's public IP is in the VNet; PCI DSS 6.4.2, 12.10)",
      });
    }
    if (c.environment === "prod" && !c.operations.sentinel) {
      ctx.addIssue({
        code: "custom",
        path: ["operations", "sentinel"],
        message:
          "must be true in prod (PCI DSS 10.4.1: security events of the cardholder data environment are reviewed)",
      });
    }
    if (c.keyExpiryDays <= c.keyRotationDays) {
      ctx.addIssue({
        code: "custom",
        path: ["keyExpiryDays"],
        message: `must be greater than keyRotationDays (${c.keyRotationDays}) so keys rotate before they expire`,
      });
    }
    if (c.environment === "prod" && c.streaming.eventHubs.sku !== "Premium") {
      ctx.addIssue({
        code: "custom",
        path: ["streaming", "eventHubs", "sku"],
        message:
          "must be Premium in prod (the namespace is encrypted with the platform's eventHubs customer-managed key, which Standard cannot use)",
      });
    }
    for (const issue of olapIssues(c.olap, c.location, c.environment)) {
      ctx.addIssue({ code: "custom", path: ["olap", ...issue.path], message: issue.message });
    }
    const space = parseCidr(c.vnetAddressSpace);
    if (!space) return;
    if (!isPrivate(space)) {
      ctx.addIssue({
        code: "custom",
        path: ["vnetAddressSpace"],
        message: "must be inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
      });
    }
    if (c.subnets) {
      const parsed: Record<string, Cidr> = {};
      for (const [role, text] of Object.entries(c.subnets)) {
        const sub = text ? parseCidr(text) : undefined;
        if (!sub) continue;
        parsed[role] = sub;
        if (!contains(space, sub)) {
          ctx.addIssue({
            code: "custom",
            path: ["subnets", role],
            message: `must lie inside vnetAddressSpace ${c.vnetAddressSpace}`,
          });
        }
      }
      for (const [a, b] of findOverlaps(parsed)) {
        ctx.addIssue({
          code: "custom",
          path: ["subnets", b],
          message: `overlaps subnets.${a} (${formatCidr(parsed[a])})`,
        });
      }
      for (const role of SUBNET_ROLES) {
        if (!(role in parsed)) {
          ctx.addIssue({
            code: "custom",
            path: ["subnets", role],
            message: `is missing: when subnets is set it must list every role (${list(SUBNET_ROLES)})`,
          });
        }
      }
    }
  });

export type RawConfig = z.input<typeof schema>;
type Parsed = z.output<typeof schema>;

export interface PlatformConfig extends Omit<Parsed, "subnets"> {
  /** Secret values (never plaintext): read with getSecret, so they stay Outputs marked secret. */
  readonly secrets: { readonly alertWebhookUrl?: pulumi.Output<string> };
  /** Stack name the config was read for. */
  readonly stack: string;
  /** Subnet CIDRs per role: from config, or carved deterministically from the address space. */
  readonly subnets: Readonly<Record<SubnetRole, string>>;
  readonly isProd: boolean;
}
export type SqlConfig = Parsed["sql"];
export type CosmosConfig = Parsed["cosmos"];
export type MlConfig = Parsed["ml"];
export type IngestionConfig = Parsed["ingestion"];
export type EtlConfig = Parsed["etl"];
export type StreamingConfig = Parsed["streaming"];
export type OperationsConfig = Parsed["operations"];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

function show(value: unknown): string {
  if (value === undefined) return "nothing (the key is missing)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function at(obj: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Record<PropertyKey, unknown>)[k] : undefined),
    obj,
  );
}

/**
 * Validates plain values (as read from the stack) into the typed config; throws ConfigError. `provider` is the
 * azure-native provider's config (`azure-native:location`), checked with the rest when given.
 */
export function parseConfig(raw: Record<string, unknown>, stack: string, provider?: ProviderConfig): PlatformConfig {
  const env = raw.environment;
  const known = (v: unknown): v is Environment => ENVIRONMENTS.includes(v as Environment);
  if (known(env) && known(stack) && env !== stack) {
    // Checked first: every other rule depends on the environment being the stack's.
    throw new ConfigError([`config ${PROJECT}:environment: got ${show(env)}; must match the stack name '${stack}'`]);
  }
  const result = schema.safeParse(raw);
  // The provider's default region must be the stack's (EU) location: checked with everything else, one line each.
  const providerProblems = provider ? providerConfigProblems(provider, raw.location) : [];
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const [top, ...rest] = issue.path.map(String);
      const key = `${PROJECT}:${top ?? "(root)"}${rest.length ? ` (${rest.join(".")})` : ""}`;
      const value = at(raw, issue.path);
      const message = issue.code === "invalid_type" && value === undefined ? "is required" : issue.message;
      return `config ${key}: got ${show(value)}; ${message}`;
    });
    throw new ConfigError([...problems, ...providerProblems]);
  }
  if (providerProblems.length > 0) throw new ConfigError(providerProblems);
  const c = result.data;
  const space = parseCidr(c.vnetAddressSpace) as Cidr;
  let subnets: Record<SubnetRole, string>;
  if (c.subnets) {
    subnets = c.subnets as Record<SubnetRole, string>;
  } else {
    try {
      const carved = carve(
        space,
        SUBNET_ROLES.map((name) => ({ name, prefix: SUBNET_PREFIX[name] })),
      );
      subnets = Object.fromEntries(SUBNET_ROLES.map((r) => [r, formatCidr(carved[r])])) as Record<SubnetRole, string>;
    } catch (e) {
      throw new ConfigError([
        `config ${PROJECT}:vnetAddressSpace: got ${show(c.vnetAddressSpace)}; ${(e as Error).message}`,
      ]);
    }
  }
  return { ...c, subnets, stack, isProd: c.environment === "prod", secrets: {} };
}

/** Keys read from the stack: plain strings, or JSON for numbers, booleans, arrays and objects. */
const KEYS: Readonly<Record<keyof RawConfig, "string" | "json">> = {
  environment: "string",
  workload: "string",
  location: "string",
  secondaryLocation: "string",
  owner: "string",
  costCenter: "string",
  extraTags: "json",
  vnetAddressSpace: "string",
  subnets: "json",
  logRetentionDays: "json",
  keyVaultSku: "string",
  hsmKeys: "json",
  cmkKeySize: "json",
  keyRotationDays: "json",
  keyExpiryDays: "json",
  alertEmails: "json",
  enableFirewall: "json",
  enableDdosProtection: "json",
  protectStatefulResources: "json",
  platformAdminsGroupId: "string",
  dataEngineersGroupId: "string",
  analystsGroupId: "string",
  fraudMlGroupId: "string",
  sql: "json",
  cosmos: "json",
  usage: "json",
  load: "json",
  olap: "json",
  ml: "json",
  ingestion: "json",
  etl: "json",
  streaming: "json",
  ddosProtectionMode: "string",
  operations: "json",
};

/** Keys whose values are secret (read with getSecret; never printed or validated in plaintext). */
export const SECRET_KEYS = ["alertWebhookUrl"] as const;

/**
 * Turns the config strings the engine hands the program (`get(key)` for keys in the project namespace) into
 * plain values: strings stay strings, numbers/booleans/lists/objects are parsed from their JSON form.
 */
export function readRaw(get: (key: string) => string | undefined): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, kind] of Object.entries(KEYS)) {
    const text = get(key);
    if (text === undefined) continue;
    if (kind === "string") {
      raw[key] = text;
      continue;
    }
    try {
      raw[key] = JSON.parse(text);
    } catch {
      problems.push(`config ${PROJECT}:${key}: got ${show(text)}; must be valid YAML/JSON of the documented shape`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return raw;
}

/** Reads the stack's config (Pulumi.<stack>.yaml plus Pulumi.yaml defaults) and validates it. */
export function loadConfig(): PlatformConfig {
  const cfg = new pulumi.Config(PROJECT);
  const parsed = parseConfig(
    readRaw((key) => cfg.get(key)),
    pulumi.getStack(),
    {
      location: new pulumi.Config("azure-native").get("location"),
    },
  );
  const alertWebhookUrl = cfg.getSecret("alertWebhookUrl");
  return { ...parsed, secrets: alertWebhookUrl ? { alertWebhookUrl } : {} };
}
