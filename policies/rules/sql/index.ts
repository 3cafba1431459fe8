/**
 * Azure SQL Database (the OLTP tier): network exposure, Entra-only authentication, encryption at rest with a
 * customer-managed key, auditing, Defender for SQL, vulnerability assessment, backups and zone redundancy.
 * Catalogue rows 1–15 and 17; three stack policies check that every server has auditing and Defender alerts and
 * that every production database has long-term retention.
 */
import type { Policies } from "@pulumi/policy";
import {
  sqlServerMinimalTls,
  sqlServerPublicNetwork,
  sqlServerEntraOnly,
  sqlServerNoSqlCredentials,
  sqlServerOutbound,
  sqlServerCmk,
} from "./server";
import {
  sqlEncryptionProtectorCmk,
  sqlDataMasking,
  sqlAdOnlyAuthentication,
  sqlTransparentDataEncryption,
  sqlAuditingEnabled,
  sqlAuditingRetention,
  sqlAuditingActionGroups,
  sqlSecurityAlertPolicy,
  sqlVulnerabilityAssessment,
  sqlExpressVulnerabilityAssessment,
  sqlFirewallRule,
} from "./children";
import {
  sqlDatabaseBackupRedundancy,
  sqlDatabaseZoneRedundancy,
  sqlShortTermRetention,
  sqlLongTermRetention,
} from "./databases";
import { sqlServerAuditingPresent, sqlServerDefenderPresent, sqlDatabaseLtrPresent } from "./stack";

export * from "./shared";
export * from "./server";
export * from "./children";
export * from "./databases";
export * from "./stack";

export const sqlPolicies: Policies = [
  sqlServerMinimalTls,
  sqlServerPublicNetwork,
  sqlServerEntraOnly,
  sqlServerNoSqlCredentials,
  sqlServerOutbound,
  sqlServerCmk,
  sqlEncryptionProtectorCmk,
  sqlDataMasking,
  sqlAdOnlyAuthentication,
  sqlTransparentDataEncryption,
  sqlAuditingEnabled,
  sqlAuditingRetention,
  sqlAuditingActionGroups,
  sqlSecurityAlertPolicy,
  sqlVulnerabilityAssessment,
  sqlExpressVulnerabilityAssessment,
  sqlFirewallRule,
  sqlDatabaseBackupRedundancy,
  sqlDatabaseZoneRedundancy,
  sqlShortTermRetention,
  sqlLongTermRetention,
  sqlServerAuditingPresent,
  sqlServerDefenderPresent,
  sqlDatabaseLtrPresent,
];
