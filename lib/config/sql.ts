/** Stack configuration of the OLTP tier: `sql` (Azure SQL, its failover group and audit archive). */
import { z } from "../zod";
import { isoDurationDays, SQL_LTR_MAX_DAYS as LTR_MAX_DAYS } from "../../policies/lib/duration";
import { settings } from "./strict";
import { sqlMaxDataSizeGb, SQL_LTR_MIN_DAYS as LTR_MIN_DAYS } from "../sqlLimits";
import { SQL_SKUS, SQL_VCORES, BACKUP_REDUNDANCY, list, int, isoDuration } from "./common";

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
