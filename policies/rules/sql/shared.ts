/** The SQL rules' type tokens and documentation root. */

// ---------------------------------------------------------------------------------------------------------------
// Type tokens
// ---------------------------------------------------------------------------------------------------------------

export const SQL_SERVER = "azure-native:sql:Server";
export const SQL_DATABASE = "azure-native:sql:Database";
export const SQL_AUDITING = "azure-native:sql:ServerBlobAuditingPolicy";
export const SQL_EXTENDED_AUDITING = "azure-native:sql:ExtendedServerBlobAuditingPolicy";
/** A database's own audit policy (the SQL audit archive's, policies/rules/sqlAuditArchive.ts). */
export const SQL_DATABASE_AUDITING = "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy";
export const SQL_SECURITY_ALERT = "azure-native:sql:ServerSecurityAlertPolicy";
export const SQL_LTR = "azure-native:sql:LongTermRetentionPolicy";
export const SECURITY_PRICING = "azure-native:security:Pricing";

export const DOCS = "https://learn.microsoft.com/azure/azure-sql/database";
