/** Settings of the OLTP tier: names, SKU mapping, serverless settings, audit action groups, the TDE server key name. */
import type * as types from "@pulumi/azure-native/types";
import type { SqlConfig, SqlSecondaryType } from "../../lib/config";
import type { CreationOnlyConflict } from "../shared";

/** Name of the OLTP database (the same on the geo-secondary, as geo-replication requires). */
export const DATABASE_NAME = "payments";

/** Collation of the database and its catalog (the DDL compares codes with explicit `COLLATE Latin1_General_BIN`). */
export const COLLATION = "SQL_Latin1_General_CP1_CI_AS";

export const GIB = 1024 ** 3;

/** Differential backup interval: 12 h (faster point-in-time restores); Hyperscale does not take differentials. */
export const DIFF_BACKUP_HOURS = 12;

/** The master database's audit categories, as Microsoft's SQL auditing docs name them. */
export const MASTER_AUDIT_CATEGORIES = ["SQLSecurityAuditEvents", "DevOpsOperationsAudit"] as const;

/**
 * Server-level audit action groups (PCI DSS 10.2.1.x). The first three are the portal default and what the policy
 * pack requires: every login, every failed login (10.2.1.4) and every completed batch, i.e. every statement run by
 * anyone, administrators included (10.2.1.1, 10.2.1.2). A failed Microsoft Entra login never reaches the audit (the
 * server is Entra-only; azure-sql/database/auditing-overview, "Remarks"): those are in Entra's sign-in logs, which the
 * tenant's diagnostic setting sends to the workspace (docs/operations.md; components/operations/detections.ts). The rest give structured, queryable events for changes to
 * identities, role membership and permissions (10.2.1.5), impersonation (10.2.1.2) and ledger operations (digest
 * generation and verification, 10.3.2). BATCH_STARTED_GROUP and SCHEMA_OBJECT_ACCESS_GROUP are left out: they
 * would duplicate every statement already in BATCH_COMPLETED_GROUP.
 */
export const AUDIT_ACTION_GROUPS = [
  "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP",
  "FAILED_DATABASE_AUTHENTICATION_GROUP",
  "BATCH_COMPLETED_GROUP",
  "DATABASE_PRINCIPAL_CHANGE_GROUP",
  "DATABASE_ROLE_MEMBER_CHANGE_GROUP",
  "DATABASE_PERMISSION_CHANGE_GROUP",
  "DATABASE_OBJECT_PERMISSION_CHANGE_GROUP",
  "SCHEMA_OBJECT_PERMISSION_CHANGE_GROUP",
  "DATABASE_PRINCIPAL_IMPERSONATION_GROUP",
  "LEDGER_OPERATION_GROUP",
] as const;

/** SKU tier (edition) of each vCore SKU family the config allows. */
export const SKU_TIERS: Readonly<Record<SqlConfig["sku"]["name"], string>> = {
  GP_S_Gen5: "GeneralPurpose",
  GP_Gen5: "GeneralPurpose",
  BC_Gen5: "BusinessCritical",
  HS_Gen5: "Hyperscale",
};

/** True for the serverless compute tier. */
export const isServerless = (s: SqlConfig): boolean => s.sku.name === "GP_S_Gen5";

/** The database SKU: e.g. `{ name: "BC_Gen5", tier: "BusinessCritical", family: "Gen5", capacity: 8 }`. */
export function databaseSku(s: SqlConfig): types.input.sql.SkuArgs {
  return { name: s.sku.name, tier: SKU_TIERS[s.sku.name], family: "Gen5", capacity: s.sku.capacity };
}

/** Serverless settings (minimum vCores, auto-pause delay); empty for provisioned compute. */
export function serverlessSettings(s: SqlConfig): { minCapacity?: number; autoPauseDelay?: number } {
  if (!isServerless(s)) return {};
  return {
    ...(s.minCapacity !== undefined ? { minCapacity: s.minCapacity } : {}),
    ...(s.autoPauseDelayMinutes !== undefined ? { autoPauseDelay: s.autoPauseDelayMinutes } : {}),
  };
}

/**
 * The name Azure gives the server key of a versioned Key Vault key URI: `<vault>_<key>_<version>`
 * (e.g. `https://kv-pay.vault.azure.net/keys/cmk-sql/0123abcd` → `kv-pay_cmk-sql_0123abcd`).
 */
export function serverKeyName(keyUriWithVersion: string): string {
  const m = /^https:\/\/([a-z0-9-]+)\.[a-z0-9.-]+(?::443)?\/keys\/([A-Za-z0-9-]+)\/([0-9A-Za-z]+)\/?$/.exec(
    keyUriWithVersion,
  );
  if (!m) {
    throw new Error(
      `'${keyUriWithVersion}' is not a versioned Key Vault key URI (https://<vault>.vault.azure.net/keys/<key>/<version>)`,
    );
  }
  return `${m[1]}_${m[2]}_${m[3]}`;
}

/** The settings of a deployed database the checks compare, as `sql.getDatabase` returns them. */
export interface DeployedSqlDatabase {
  readonly isLedgerOn?: boolean;
  /** Geo, Named or Standby on a secondary; absent on a primary. */
  readonly secondaryType?: string;
  /** `Hyperscale`, `BusinessCritical`, `GeneralPurpose` (the SKU's tier). */
  readonly sku?: { readonly name?: string; readonly tier?: string; readonly capacity?: number };
  /** Its ARM id (the usages read: components/oltp/space.ts). */
  readonly id?: string;
  readonly zoneRedundant?: boolean;
  /** `Geo`, `Local`, `Zone`, `GeoZone`. */
  readonly currentBackupStorageRedundancy?: string;
  readonly maxSizeBytes?: number;
}

/**
 * `sql.sku.name` against a deployed Hyperscale database: the move into Hyperscale is one-way for this program. Azure
 * takes a database back only to General Purpose, within 45 days of its migration, through a reverse migration, and
 * never one created as Hyperscale (reverse-migrate-from-hyperscale); the Databases PUT this program sends with
 * another SKU would fail part way through an `up` (or, on the 45-day path, bypass the steps the page asks for).
 */
export function hyperscaleConflicts(deployed: DeployedSqlDatabase, s: Pick<SqlConfig, "sku">): CreationOnlyConflict[] {
  const hyperscale = deployed.sku?.tier === "Hyperscale" || deployed.sku?.name?.startsWith("HS_") === true;
  if (!hyperscale || s.sku.name === "HS_Gen5") return [];
  return [
    {
      key: "sql.sku.name",
      deployed: deployed.sku?.name ?? "HS_Gen5",
      wanted: s.sku.name,
      kind: "refused",
      remedy:
        "A Hyperscale database stays one: set it back to HS_Gen5. Within 45 days of a migration Azure can take it " +
        "back to General Purpose by a reverse migration (reverse-migrate-from-hyperscale), done outside the program " +
        "and followed by `pulumi up --refresh` with GP_Gen5.",
    },
  ];
}

/**
 * `sql.zoneRedundant` and `sql.backupStorageRedundancy` against a deployed Hyperscale database: Microsoft's pages make
 * an existing Hyperscale database zone-redundant only through a geo-replica or a database copy ("To make an existing
 * Hyperscale database zone redundant, use ... active geo-replication", hyperscale-create-zone-redundant-database,
 * 2023) and set its backup storage redundancy only at creation (hyperscale-automated-backups-overview). Newer
 * releases may take either in place, so a warning with the route, not a refusal.
 */
export function hyperscaleRedundancyConflicts(
  deployed: DeployedSqlDatabase,
  s: Pick<SqlConfig, "sku" | "zoneRedundant" | "backupStorageRedundancy">,
): CreationOnlyConflict[] {
  const hyperscale = deployed.sku?.tier === "Hyperscale" || deployed.sku?.name?.startsWith("HS_") === true;
  if (!hyperscale || s.sku.name !== "HS_Gen5") return [];
  const route =
    "Microsoft's pages take it on an existing Hyperscale database only through a new one (a geo-replica or a " +
    "database copy with the new setting, then a failover to it: hyperscale-create-zone-redundant-database); the " +
    "update may fail in the middle of the `up`.";
  return [
    ...(deployed.zoneRedundant !== undefined && deployed.zoneRedundant !== s.zoneRedundant
      ? [
          {
            key: "sql.zoneRedundant",
            deployed: String(deployed.zoneRedundant),
            wanted: String(s.zoneRedundant),
            kind: "advised" as const,
            remedy: route,
          },
        ]
      : []),
    ...(deployed.currentBackupStorageRedundancy !== undefined &&
    deployed.currentBackupStorageRedundancy !== s.backupStorageRedundancy
      ? [
          {
            key: "sql.backupStorageRedundancy",
            deployed: deployed.currentBackupStorageRedundancy,
            wanted: s.backupStorageRedundancy,
            kind: "advised" as const,
            remedy: route,
          },
        ]
      : []),
  ];
}

/**
 * `sql.ledger` against the deployed primary database: database-level ledger is chosen when Azure creates the database
 * and never changes after ("You can't change this option after the database is created",
 * ledger-how-to-configure-ledger-database; "A ledger database ... can't be converted to a regular database",
 * ledger-limits).
 */
export function ledgerConflicts(deployed: DeployedSqlDatabase, s: Pick<SqlConfig, "ledger">): CreationOnlyConflict[] {
  if (deployed.isLedgerOn === undefined || deployed.isLedgerOn === s.ledger) return [];
  return [
    {
      key: "sql.ledger",
      deployed: String(deployed.isLedgerOn),
      wanted: String(s.ledger),
      remedy: deployed.isLedgerOn
        ? "A ledger database stays one; set it back to true."
        : "Azure makes a database a ledger database only when it creates it; set it back to false (the payment " +
          "tables are ledger tables already, in the generated DDL).",
    },
  ];
}

/**
 * `sql.secondaryType` against the deployed geo-secondary: Azure sets it when it establishes the geo-replication (the
 * Databases PUT with createMode Secondary), and converts an existing secondary between readable and standby through
 * its replication link (the portal's "Convert", or Replication Links - Update with linkType GEO or STANDBY:
 * standby-replica-how-to-configure; learn.microsoft.com/rest/api/sql/replication-links/update), not through the
 * database's own PUT this program sends, whose effect on it no page documents.
 */
export function secondaryTypeConflicts(
  deployed: DeployedSqlDatabase,
  wanted: SqlSecondaryType,
): CreationOnlyConflict[] {
  if (deployed.secondaryType === undefined || deployed.secondaryType === wanted) return [];
  return [
    {
      key: "sql.secondaryType",
      deployed: deployed.secondaryType,
      wanted,
      remedy:
        `Convert the secondary through its geo-replication link (Replication Links - Update with linkType ` +
        `${wanted.toUpperCase()}, or the portal: standby-replica-how-to-configure, if that page lets an existing ` +
        `replica change; its 2024 preview said only new replicas could be standby), then run again; or set it back ` +
        `to ${deployed.secondaryType}.`,
    },
  ];
}

/** Service tiers in the order an upgrade goes (Hyperscale apart: hyperscaleConflicts). */
const TIER_RANK: Readonly<Record<string, number>> = { GeneralPurpose: 1, BusinessCritical: 2 };
/** The tier of a SKU name the config allows (SKU_TIERS); undefined for another. */
const tierOfSku = (name: string): string | undefined => (SKU_TIERS as Readonly<Record<string, string>>)[name];

/**
 * `sql.sku.name` against the deployed geo-secondary: with geo-replication, "when upgrading, upgrade the secondary
 * database first; when downgrading, downgrade the primary first" (active-geo-replication-overview, "Configuring
 * secondary database"; failover-group-configure-sql-db.md, scaling), and the program's update reaches the primary
 * first (it is the secondary's source). So a tier upgrade the secondary has not had yet is refused before the `up`,
 * with the command that upgrades the secondary; more vCores within the tier are a warning with the same command.
 */
export function secondaryTierConflicts(
  deployed: DeployedSqlDatabase,
  s: Pick<SqlConfig, "sku">,
  secondary: { readonly resourceGroup: string; readonly server: string; readonly database: string },
): CreationOnlyConflict[] {
  const had = deployed.sku?.tier ?? (deployed.sku?.name ? tierOfSku(deployed.sku.name) : undefined);
  const wanted = tierOfSku(s.sku.name);
  const [from, to] = [TIER_RANK[had ?? ""], TIER_RANK[wanted ?? ""]];
  if (from === undefined || to === undefined || to < from) return [];
  // Within a tier, more vCores than the secondary has: Azure takes it, but Microsoft recommends the secondary first
  // ("When upgrading, we recommend that you upgrade the secondary database first … When you upgrade or downgrade the
  // database to a different service tier, this recommendation is enforced": active-geo-replication-overview), so the
  // preview warns with the command instead of refusing.
  const vcores = deployed.sku?.capacity;
  if (to === from)
    return vcores !== undefined && s.sku.capacity > vcores
      ? [
          {
            key: "sql.sku.capacity",
            deployed: `${vcores} vCores on the geo-secondary`,
            wanted: `${s.sku.capacity}`,
            kind: "advised",
            remedy:
              `Microsoft recommends scaling the geo-secondary up first (a smaller secondary throttles the primary's log ` +
              `rate, and would carry the workload after a failover): az sql db update -g ${secondary.resourceGroup} ` +
              `-s ${secondary.server} -n ${secondary.database} --capacity ${s.sku.capacity}, then pulumi up --refresh.`,
          },
        ]
      : [];
  return [
    {
      key: "sql.sku.name",
      deployed: `${deployed.sku?.name ?? had} on the geo-secondary`,
      wanted: s.sku.name,
      kind: "refused",
      remedy:
        `Upgrade the geo-secondary first (Azure upgrades a geo-replicated pair secondary first): az sql db update ` +
        `-g ${secondary.resourceGroup} -s ${secondary.server} -n ${secondary.database} --edition ${wanted} ` +
        `--capacity ${s.sku.capacity} --family Gen5, then pulumi up --refresh.`,
    },
  ];
}

/** The Entra admin of a deployed server, as `sql.getServer` returns it. */
export interface DeployedSqlServer {
  readonly administrators?: { readonly sid?: string; readonly login?: string };
}

/**
 * `databaseAdminsGroupId` against a deployed server's Entra admin. The program gives the admin in the server's
 * `administrators`, which Azure takes at creation only ("This can only be used at server create time. If used for
 * server update, it will be ignored or it will result in an error", Servers.json 2023-08-01; a change replaces the
 * server in azure-native, #4096), so the server ignores its changes (server.ts). Without this check, pointing the key
 * at another group on a deployed stack would delete the group the stack created while both Entra-only servers still
 * name it as their only admin, and move the ETL deployment identity to a group that administers nothing in SQL.
 */
export function adminConflicts(deployed: DeployedSqlServer, wanted: string, server: string): CreationOnlyConflict[] {
  const sid = deployed.administrators?.sid;
  if (sid === undefined || sid.toLowerCase() === wanted.toLowerCase()) return [];
  return [
    {
      key: "databaseAdminsGroupId",
      deployed: `${sid}${deployed.administrators?.login ? ` (${deployed.administrators.login})` : ""}`,
      wanted,
      remedy:
        `Make that group the server's Entra admin first (\`az sql server ad-admin create --resource-group <group> ` +
        `--server ${server} --display-name <its name> --object-id ${wanted}\`, on the primary and the geo-secondary), ` +
        "then run again; or set the key back (unset: the group this stack created).",
    },
  ];
}
