/**
 * `sql.maxSizeGb` against the deployed database's space: a preview of a deployed stack refuses a max size Azure would
 * refuse in the middle of an `up` (the database's update fails after the changes before it were applied).
 *
 * - Lowering it below the data space in use: "MODIFY MAXSIZE failed. The requested database size is smaller than the
 *   amount of data storage used" (45351; Resource Manager's CurrentDatabaseSizeExceedsMaxSize, "User attempted to
 *   reduce the max size for a database to a size smaller than the current usage").
 * - Lowering it below the data space allocated (which "grows automatically, but never decreases automatically after
 *   deletes"): "To reduce the database size, the database first needs to reclaim unused space by running DBCC
 *   SHRINKDATABASE" (45350; RequestedDatabaseSizeRequiresShrink). Sources: learn.microsoft.com/sql/relational-databases/
 *   errors-events/database-engine-events-and-errors-41400-to-49999, azure/azure-sql/database/file-space-manage, and the
 *   error list of Microsoft.Sql's REST specification. That the Resource Manager codes are those engine errors is read
 *   from their wording; no page maps them.
 * - Raising it past what the geo-secondary's compute size allows: Azure applies the primary's max size to the
 *   secondary and fails the primary's update when the secondary's service objective "does not support the requested
 *   maxsize value" (GeoSecondaryMaxSizeUpdateFailed); the program's update reaches the primary first.
 *
 * The space is read with Database Usages - List By Database (`<database id>/usages`, azure-native has no read of it):
 * `database_size` is the space used (Microsoft's example), `database_allocated_size` the space allocated, in bytes (not
 * in Microsoft's example; what third-party clients of the API read it as: an answer without it is compared with the used space). Hyperscale is left
 * out (its storage grows on its own to 128 TB; hyperscaleConflicts keeps a Hyperscale database one).
 */
import { SQL_SKUS } from "../../lib/config/common";
import { sqlMaxDataSizeGb, type SqlSkuName } from "../../lib/sqlLimits";
import type { SqlConfig } from "../../lib/config";
import type { CreationOnlyConflict } from "../shared";
import { GIB, secondaryTierConflicts, type DeployedSqlDatabase } from "./settings";

/** Where a database is, for the commands of a remedy. */
export interface DatabasePlace {
  readonly resourceGroup: string;
  readonly server: string;
  readonly database: string;
}

/** The API version of the usages read (the one azure-native 3 sends for the database itself). */
export const SQL_USAGES_API_VERSION = "2023-08-01";

/** The database's data space, in bytes. */
export interface SqlSpaceUsage {
  readonly usedBytes?: number;
  readonly allocatedBytes?: number;
}

/** `database_size` and `database_allocated_size` from a Database Usages - List By Database body. */
export function sqlSpaceUsage(body: Record<string, unknown>): SqlSpaceUsage {
  const rows = Array.isArray(body.value)
    ? (body.value as { name?: unknown; properties?: { currentValue?: unknown } }[])
    : [];
  const bytes = (name: string): number | undefined => {
    const v = rows.find((r) => r.name === name)?.properties?.currentValue;
    return typeof v === "number" && Number.isFinite(v) ? v : undefined;
  };
  return { usedBytes: bytes("database_size"), allocatedBytes: bytes("database_allocated_size") };
}

const isHyperscale = (d: DeployedSqlDatabase) =>
  d.sku?.tier === "Hyperscale" || d.sku?.name?.startsWith("HS_") === true;

/** Whether a lowering is asked, so the space needs reading (not for Hyperscale, nor for a raise). */
export function lowersMaxSize(deployed: DeployedSqlDatabase, s: Pick<SqlConfig, "maxSizeGb" | "sku">): boolean {
  return (
    !isHyperscale(deployed) &&
    s.sku.name !== "HS_Gen5" &&
    deployed.maxSizeBytes !== undefined &&
    s.maxSizeGb * GIB < deployed.maxSizeBytes
  );
}

/** Whole GB, rounded up: the least `sql.maxSizeGb` that holds `bytes`. */
const gbAtLeast = (bytes: number) => Math.ceil(bytes / GIB);
const gb = (bytes: number) => `${(bytes / GIB).toFixed(1)} GB`;

/** A margin below which a max size just above the allocated space is advised against: the allocation grows meanwhile. */
export const ALLOCATION_MARGIN_BYTES = GIB;

/**
 * `sql.maxSizeGb` lowered below the space the deployed primary uses (refused: delete data first) or has allocated
 * (refused: shrink first), or to within ALLOCATION_MARGIN_BYTES of the allocation (advised). Nothing for a raise.
 */
export function maxSizeConflicts(
  deployed: DeployedSqlDatabase,
  usage: SqlSpaceUsage | undefined,
  s: Pick<SqlConfig, "maxSizeGb" | "sku">,
): CreationOnlyConflict[] {
  if (!lowersMaxSize(deployed, s) || usage === undefined) return [];
  const wanted = s.maxSizeGb * GIB;
  const base = {
    key: "sql.maxSizeGb",
    deployed: `${gbAtLeast(deployed.maxSizeBytes ?? 0)}`,
    wanted: `${s.maxSizeGb}`,
  };
  const { usedBytes: used, allocatedBytes: allocated } = usage;
  if (used !== undefined && wanted < used)
    return [
      {
        ...base,
        kind: "refused",
        remedy:
          `The database uses ${gb(used)} of data space, and Azure refuses a max size below it ("The requested database ` +
          `size is smaller than the amount of data storage used", 45351): set ${gbAtLeast(used)} or more, or delete data first.`,
      },
    ];
  if (allocated !== undefined && wanted < allocated)
    return [
      {
        ...base,
        kind: "refused",
        remedy:
          `The database has ${gb(allocated)} of data space allocated (${used !== undefined ? `${gb(used)} used` : "its use unread"}), ` +
          `and Azure lowers the max size below the allocation only once it is reclaimed ("the database first needs to ` +
          `reclaim unused space by running DBCC SHRINKDATABASE", 45350; file-space-manage): shrink it first ` +
          `(DBCC SHRINKDATABASE in the database, off-peak: it moves pages and fragments indexes), or set ${gbAtLeast(allocated)} or more.`,
      },
    ];
  if (allocated !== undefined && wanted - allocated < ALLOCATION_MARGIN_BYTES)
    return [
      {
        ...base,
        kind: "advised",
        remedy:
          `The database has ${gb(allocated)} of data space allocated, less than 1 GB below the new max size: Azure ` +
          `refuses the update if the allocation grows past it before the \`up\` (file-space-manage), and the database ` +
          `stops taking writes when its data reaches it.`,
      },
    ];
  return [];
}

/** The max data size of a deployed database's service objective, in GB; undefined for one the limits table lacks. */
function deployedMaxDataSizeGb(deployed: DeployedSqlDatabase): number | undefined {
  const name = deployed.sku?.name;
  const vcores = deployed.sku?.capacity;
  if (name === undefined || vcores === undefined || !(SQL_SKUS as readonly string[]).includes(name)) return undefined;
  return sqlMaxDataSizeGb(name as SqlSkuName, vcores);
}

/**
 * `sql.maxSizeGb` against the deployed geo-secondary's compute size: above what it allows, Azure fails the primary's
 * update (GeoSecondaryMaxSizeUpdateFailed), so the secondary is scaled first, with the command.
 */
export function secondaryMaxSizeConflicts(
  deployed: DeployedSqlDatabase,
  s: Pick<SqlConfig, "maxSizeGb" | "sku">,
  secondary: DatabasePlace,
): CreationOnlyConflict[] {
  const limit = deployedMaxDataSizeGb(deployed);
  if (limit === undefined || s.maxSizeGb <= limit) return [];
  return [
    {
      key: "sql.maxSizeGb",
      deployed: `at most ${limit} on the geo-secondary (${deployed.sku?.name} with ${deployed.sku?.capacity} vCores)`,
      wanted: `${s.maxSizeGb}`,
      kind: "refused",
      remedy:
        `Azure applies the primary's max size to the geo-secondary and fails the primary's update when the secondary's ` +
        `compute size does not allow it (GeoSecondaryMaxSizeUpdateFailed): scale the geo-secondary first, ` +
        `az sql db update -g ${secondary.resourceGroup} -s ${secondary.server} -n ${secondary.database} ` +
        `--capacity ${s.sku.capacity}, then pulumi up --refresh.`,
    },
  ];
}

/**
 * The deployed geo-secondary against the config, checked before the primary's update (which Azure refuses when the
 * secondary is behind): its tier (secondaryTierConflicts) and its compute size's max data size. The advice to scale
 * it up first is left out when the max size already refuses with the same command.
 */
export function geoSecondaryConflicts(
  deployed: DeployedSqlDatabase,
  s: Pick<SqlConfig, "maxSizeGb" | "sku">,
  secondary: DatabasePlace,
): CreationOnlyConflict[] {
  const size = secondaryMaxSizeConflicts(deployed, s, secondary);
  return [
    ...secondaryTierConflicts(deployed, s, secondary).filter((c) => size.length === 0 || c.kind !== "advised"),
    ...size,
  ];
}
