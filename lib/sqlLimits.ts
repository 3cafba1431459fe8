/**
 * Azure SQL Database limits the stack config is checked against (pure; no Pulumi). Source: Microsoft's "Resource
 * limits for single databases using the vCore purchasing model",
 * https://learn.microsoft.com/azure/azure-sql/database/resource-limits-vcore-single-databases, row "Max data size"
 * of the tables "General Purpose - serverless compute - standard-series (Gen5)" (GP_S_Gen5_*), "General Purpose
 * standard-series (Gen5)" (GP_Gen5_*), "Business Critical standard-series (Gen5)" (BC_Gen5_*) and "Hyperscale
 * standard-series (Gen5)" (HS_Gen5_*: "Max data size (TB) 128" at every size).
 *
 * Any whole number of GB up to that limit is accepted: "Storage can be provisioned up to the data storage max size
 * limit using 1-GB increments. The minimum configurable data storage is 1 GB. ... If the max size value is specified
 * in bytes, it must be a multiple of 1 GB (1073741824 bytes)." (https://learn.microsoft.com/azure/azure-sql/database/
 * single-database-scale, "Change storage size", vCore-based purchasing model).
 */
import { SQL_VCORES, type SQL_SKUS } from "./config/common";

export type SqlSkuName = (typeof SQL_SKUS)[number];
export type SqlVcores = (typeof SQL_VCORES)[number];

/** Hyperscale's maximum data size, 128 TB, in GB (the same for every standard-series size). */
export const HYPERSCALE_MAX_DATA_SIZE_GB = 128 * 1024;

/** General Purpose and Business Critical provisioned standard-series (Gen5): the two tables carry the same values. */
const PROVISIONED_GB: Readonly<Record<SqlVcores, number>> = {
  2: 1024,
  4: 1024,
  6: 1536,
  8: 2048,
  10: 2048,
  12: 3072,
  14: 3072,
  16: 3072,
  18: 3072,
  20: 3072,
  24: 4096,
  32: 4096,
  40: 4096,
  80: 4096,
};

/** Maximum data size in GB per SKU and vCore count (for serverless, the maximum vCores: `GP_S_Gen5_<max vCores>`). */
export const SQL_MAX_DATA_SIZE_GB: Readonly<Record<SqlSkuName, Readonly<Record<SqlVcores, number>>>> = {
  // Serverless General Purpose: the provisioned table but 1,024 GB at 6 vCores ("512 | 1024 | 1024 | 1024 | 2048"
  // for 1/2/4/6/8).
  GP_S_Gen5: { ...PROVISIONED_GB, 6: 1024 },
  GP_Gen5: PROVISIONED_GB,
  BC_Gen5: PROVISIONED_GB,
  HS_Gen5: Object.fromEntries(SQL_VCORES.map((v) => [v, HYPERSCALE_MAX_DATA_SIZE_GB])) as Record<SqlVcores, number>,
};

/** The largest `maxSizeGb` Azure accepts for a database of this SKU and vCore count; undefined for a count not sold. */
export function sqlMaxDataSizeGb(sku: SqlSkuName, vcores: number): number | undefined {
  const sizes: Readonly<Record<number, number>> = SQL_MAX_DATA_SIZE_GB[sku];
  return sizes[vcores];
}

/**
 * Azure SQL long-term retention's shortest period, in days: "There is a minimum of 7 days and a maximum of 10 years"
 * (Set-AzSqlDatabaseBackupLongTermRetentionPolicy, -WeeklyRetention, -MonthlyRetention and -YearlyRetention;
 * https://learn.microsoft.com/powershell/module/az.sql/set-azsqldatabasebackuplongtermretentionpolicy). A period
 * of 0 (e.g. `P0D`) keeps no backups of that series: the cmdlet's example 6 turns `P0D` into `PT0S`.
 */
export const SQL_LTR_MIN_DAYS = 7;
