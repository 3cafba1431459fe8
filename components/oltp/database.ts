/**
 * The OLTP database's pieces shared by the primary and its geo-secondary: backup retention, compute and availability
 * settings, and the creation-only check of a deployed database (with its data space) before the database registers.
 */
import * as sql from "@pulumi/azure-native/sql";
import * as pulumi from "@pulumi/pulumi";
import { LICENSED_SKUS } from "../../lib/config";
import { afterCreationOnlyCheck, deployedOrNone, readArm, readOrWarn, type CreationOnlyConflict } from "../shared";
import type { OltpArgs } from "./args";
import { DATABASE_NAME, DIFF_BACKUP_HOURS, databaseSku, type DeployedSqlDatabase } from "./settings";
import { SQL_USAGES_API_VERSION, sqlSpaceUsage, type DatabasePlace, type SqlSpaceUsage } from "./space";

/** The tier a database belongs to: its arguments, and the component its resources are children of. */
export interface DatabaseOwner {
  readonly args: OltpArgs;
  readonly parent: pulumi.Resource;
}

/**
 * PITR retention, then (when configured) long-term retention, on one database, after `after`; returns the last
 * policy, for the next operation on the database to wait for. The same values on the primary and the geo-secondary.
 */
export function backupRetention(
  owner: DatabaseOwner,
  prefix: string,
  dbScope: {
    resourceGroupName: pulumi.Input<string>;
    serverName: pulumi.Input<string>;
    databaseName: pulumi.Input<string>;
  },
  after: pulumi.Resource,
): pulumi.Resource {
  const s = owner.args.sql;
  const pitr = new sql.BackupShortTermRetentionPolicy(
    `${prefix}-pitr`,
    {
      ...dbScope,
      policyName: "default",
      retentionDays: s.pitrRetentionDays,
      ...(s.sku.name === "HS_Gen5" ? {} : { diffBackupIntervalInHours: DIFF_BACKUP_HOURS }),
    },
    { parent: owner.parent, dependsOn: [after] },
  );
  if (!s.longTermRetention) return pitr;
  return new sql.LongTermRetentionPolicy(
    `${prefix}-ltr`,
    {
      ...dbScope,
      policyName: "default",
      weeklyRetention: s.longTermRetention.weekly,
      monthlyRetention: s.longTermRetention.monthly,
      yearlyRetention: s.longTermRetention.yearly,
      weekOfYear: s.longTermRetention.weekOfYear,
    },
    { parent: owner.parent, dependsOn: [pitr] },
  );
}

/** Compute and availability settings shared by the primary database and its geo-secondary. */
export function replicaSettings(args: OltpArgs) {
  const s = args.sql;
  return {
    sku: databaseSku(s),
    zoneRedundant: s.zoneRedundant,
    readScale: s.readScaleOut ? sql.DatabaseReadScale.Enabled : sql.DatabaseReadScale.Disabled,
    requestedBackupStorageRedundancy: sql.BackupStorageRedundancy[s.backupStorageRedundancy],
    // A zone-redundant Hyperscale database needs at least one high-availability replica
    // (hyperscale-create-zone-redundant-database); Business Critical's replicas come with the tier.
    ...(s.sku.name === "HS_Gen5" ? { highAvailabilityReplicaCount: s.zoneRedundant ? 1 : 0 } : {}),
    // Explicit both ways where a licence is billed (turning the benefit off must reach Azure); serverless and
    // Hyperscale have none.
    ...(LICENSED_SKUS.includes(s.sku.name)
      ? {
          licenseType: s.hybridBenefit ? sql.DatabaseLicenseType.BasePrice : sql.DatabaseLicenseType.LicenseIncluded,
        }
      : {}),
  };
}

/**
 * The database's name (the same on both servers, as geo-replication requires) once a preview or `up` of a deployed
 * stack has read the database on the server in `location` and found its creation-only settings as the stack config
 * has them (afterCreationOnlyCheck): the database registers after the check. The server's name is computed, not
 * taken from the server, so that the read does not wait for an update of the server.
 */
export function checkedDatabaseName(
  owner: DatabaseOwner,
  location: string,
  what: string,
  conflicts: (
    deployed: DeployedSqlDatabase,
    more: {
      readonly usage?: SqlSpaceUsage;
      readonly secondary?: { readonly deployed: DeployedSqlDatabase; readonly where: DatabasePlace };
    },
  ) => CreationOnlyConflict[],
  options: {
    /** Whether the database's space is needed (Database Usages, which azure-native does not read). */
    readonly readsUsage?: (deployed: DeployedSqlDatabase) => boolean;
    /** The resource group of the database's server, when not the tier's (the geo-secondary's). */
    readonly resourceGroupName?: pulumi.Input<string>;
    /** Where the geo-secondary is (its region and resource group), to read it too. */
    readonly secondary?: { readonly location: string; readonly resourceGroupName: pulumi.Input<string> };
  } = {},
): pulumi.Output<string> {
  const secondaryServer = options.secondary ? serverNameIn(owner.args, options.secondary.location) : "";
  return afterCreationOnlyCheck(
    pulumi.all([
      options.resourceGroupName ?? owner.args.resourceGroupName,
      serverNameIn(owner.args, location),
      secondaryServer,
      options.secondary?.resourceGroupName ?? "",
    ]),
    {
      resource: ([, server]) => `${what} '${DATABASE_NAME}' on the server '${server}'`,
      read: async ([resourceGroupName, server, geoServer, geoGroup]) => {
        const read = (group: string, serverName: string) =>
          deployedOrNone(() =>
            sql.getDatabase(
              { resourceGroupName: group, serverName, databaseName: DATABASE_NAME },
              { parent: owner.parent },
            ),
          );
        const deployed = await read(resourceGroupName, server);
        if (deployed === undefined) return undefined;
        const geo = geoServer ? await read(geoGroup, geoServer) : undefined;
        const usage = options.readsUsage?.(deployed)
          ? await spaceOf(owner, deployed, `${what} '${DATABASE_NAME}' on the server '${server}'`)
          : undefined;
        return {
          deployed,
          usage,
          secondary: geo && {
            deployed: geo,
            where: { resourceGroup: geoGroup, server: geoServer, database: DATABASE_NAME },
          },
        };
      },
      conflicts: (d) => conflicts(d.deployed, { usage: d.usage, secondary: d.secondary }),
    },
  ).apply(() => DATABASE_NAME);
}

/**
 * The deployed database's data space (Database Usages). A failed or empty read is a warning, not the preview's end:
 * the database itself was read, and the check it serves is a safety net (whether Database Usages answers for a
 * paused serverless database, as dev's is every evening, no page says); so is an answer without the allocated space
 * (Microsoft's example shows the used space only), which is then compared with the used space alone.
 */
export async function spaceOf(
  owner: DatabaseOwner,
  deployed: DeployedSqlDatabase,
  what: string,
): Promise<SqlSpaceUsage | undefined> {
  const id = deployed.id;
  if (!id) return undefined;
  const message = (why: string) =>
    `${what}: the stack config lowers sql.maxSizeGb, and ${why}; Azure refuses a max size below the space the ` +
    `database uses or has allocated: check with \`az sql db list-usages --ids ${id}\` before the up.`;
  const warn = (why: string) => void pulumi.log.warn(message(why), owner.parent);
  const read = await readOrWarn(
    async () => ({ body: await readArm(`${id}/usages`, SQL_USAGES_API_VERSION, { parent: owner.parent }) }),
    (error) => message(`its data space could not be read to compare (${error})`),
    owner.parent,
  );
  if (read === undefined) return undefined;
  const { body } = read;
  if (body === undefined) {
    warn("Database Usages answered that there is nothing to read (404)");
    return undefined;
  }
  const usage = sqlSpaceUsage(body);
  if (usage.usedBytes === undefined && usage.allocatedBytes === undefined) {
    warn("Azure reported none of its data space (Database Usages answered without database_size)");
    return undefined;
  }
  if (usage.allocatedBytes === undefined)
    warn(
      "Azure reported the space it uses but not the space allocated (database_allocated_size): compared with the used space only",
    );
  return usage;
}

/** The logical server's name in `location` (globally unique: the stack's suffix appended). */
export function serverNameIn(args: OltpArgs, location: string): pulumi.Output<string> {
  return args.context.globalName("sqlServer", args.suffix, undefined, location);
}
