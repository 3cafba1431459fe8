/** The OLTP tier's arguments, checked before anything registers. */
import type * as pulumi from "@pulumi/pulumi";
import { LICENSED_SKUS, STANDBY_SKUS, type SqlConfig } from "../../lib/config";
import type { DataServiceArgs } from "../shared";
import type { TriggerAuditArchiveArgs } from "./auditArchive";
import { isServerless } from "./settings";
/** The Microsoft Entra group that administers the servers. */
export interface EntraAdministrator {
  /** Object id of the group (the server admin's `sid`). */
  readonly objectId: pulumi.Input<string>;
  /** Display name of the group (the server admin's `login`). */
  readonly login: pulumi.Input<string>;
  /** Entra tenant of the group. */
  readonly tenantId: pulumi.Input<string>;
}

export interface OltpArgs extends DataServiceArgs {
  /** The validated `sql` section of the stack config (sizing, backups, failover group). */
  readonly sql: SqlConfig;
  /** Entra group set as server administrator (Entra-only authentication; no SQL logins). */
  readonly entraAdmin: EntraAdministrator;
  /** Recipients of Defender for SQL alerts; default the stack's `alertEmails`. */
  readonly securityAlertEmails?: readonly string[];
  /** The scorer's database user and the storage key, for the audit archive (`sql.archiveTriggerAudit`). */
  readonly triggerAuditArchive?: TriggerAuditArchiveArgs;
}

/** Checks the arguments before anything is registered; throws naming the argument. */
export function validateOltpArgs(args: OltpArgs): void {
  const s = args.sql;
  const problems: string[] = [];
  // Serverless auto-pause is not supported with geo-replication/failover groups or long-term retention.
  if (isServerless(s) && (s.failoverGroup || s.longTermRetention) && s.autoPauseDelayMinutes !== -1) {
    problems.push(
      "sql.autoPauseDelayMinutes must be -1 (auto-pause off) on a serverless database with a failover group or long-term retention",
    );
  }
  if (s.secondaryType === "Standby" && !STANDBY_SKUS.includes(s.sku.name)) {
    problems.push(
      `sql.secondaryType Standby needs a provisioned ${STANDBY_SKUS.join(" or ")} database (got ${s.sku.name}); use Geo`,
    );
  }
  if (s.hybridBenefit && !LICENSED_SKUS.includes(s.sku.name)) {
    problems.push(
      `sql.hybridBenefit must be false on ${s.sku.name}: Azure Hybrid Benefit applies to ${LICENSED_SKUS.join(" or ")} only`,
    );
  }
  if (s.sku.name === "HS_Gen5" && s.zoneRedundant && !["Zone", "GeoZone"].includes(s.backupStorageRedundancy)) {
    problems.push(
      `sql.backupStorageRedundancy must be Zone or GeoZone with HS_Gen5 and zoneRedundant true (got ${s.backupStorageRedundancy}): Azure refuses a zone-redundant Hyperscale database without zone-redundant backups`,
    );
  }
  if (s.archiveTriggerAudit && !args.triggerAuditArchive) {
    problems.push(
      "triggerAuditArchive: sql.archiveTriggerAudit is true, so the tier needs the scorer's database user and the storage key",
    );
  }
  if (args.lock?.kind === "ReadOnly") {
    problems.push(
      "lock: a ReadOnly lock blocks SQL management operations (scaling, failover, auditing); use CanNotDelete",
    );
  }
  const emails = args.securityAlertEmails ?? args.context.config.alertEmails;
  if (emails.length === 0) problems.push("securityAlertEmails: Defender for SQL alerts need at least one recipient");
  if (typeof args.entraAdmin.login === "string" && args.entraAdmin.login.trim() === "") {
    problems.push("entraAdmin.login must name the Entra group");
  }
  if (problems.length > 0) throw new Error(`Oltp: ${problems.join("; ")}`);
}
