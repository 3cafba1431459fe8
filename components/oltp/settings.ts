/** Settings of the OLTP tier: names, SKU mapping, serverless settings, audit action groups, the TDE server key name. */
import type * as types from "@pulumi/azure-native/types";
import type { SqlConfig } from "../../lib/config";

/** Name of the OLTP database (the same on the geo-secondary, as geo-replication requires). */
export const DATABASE_NAME = "payments";

/** Collation of the database and its catalog (the DDL compares codes with explicit `COLLATE Latin1_General_BIN`). */
export const COLLATION = "SQL_Latin1_General_CP1_CI_AS";

export const GIB = 1024 ** 3;

/** Grace period before an automatic failover with possible data loss (Azure's minimum for Automatic is 60). */
export const FAILOVER_GRACE_MINUTES = 60;

/** Differential backup interval: 12 h (faster point-in-time restores); Hyperscale does not take differentials. */
export const DIFF_BACKUP_HOURS = 12;

/**
 * Server-level audit action groups (PCI DSS 10.2.1.x). The first three are the portal default and what the policy
 * pack requires: every login, every failed login (10.2.1.4) and every completed batch, i.e. every statement run by
 * anyone, administrators included (10.2.1.1, 10.2.1.2). The rest give structured, queryable events for changes to
 * identities, role membership and permissions (10.2.1.5), impersonation (10.2.1.2) and ledger operations (digest
 * generation and verification, 10.3.2). BATCH_STARTED_GROUP and SCHEMA_OBJECT_ACCESS_GROUP are left out: they
 * would duplicate every statement already in BATCH_COMPLETED_GROUP.
 */
/** The master database's audit categories, as Microsoft's SQL auditing docs name them. */
export const MASTER_AUDIT_CATEGORIES = ["SQLSecurityAuditEvents", "DevOpsOperationsAudit"] as const;

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
