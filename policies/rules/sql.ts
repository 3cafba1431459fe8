/**
 * Azure SQL Database (the OLTP tier): network exposure, Entra-only authentication, encryption at rest with a
 * customer-managed key, auditing, Defender for SQL, vulnerability assessment, backups and zone redundancy.
 * Catalogue rows 1–15 and 17; three stack policies check that every server has auditing and Defender alerts and
 * that every production database has long-term retention.
 */
import type * as sql from "@pulumi/azure-native/sql";
import type { Policies } from "@pulumi/policy";
import { isoDurationDays, SQL_LTR_MAX_DAYS } from "../lib/duration";
import { allowedCidrsKnob, firewallRuleProblem } from "../lib/network";
import { ofType, refersTo, resourcePolicy, stackPolicy, stringListKnob } from "../lib/policy";
import { inScopeKnob, inStacks, isProdStack, outOfScopeTag, prodStacksKnob, skipOutOfScope } from "../lib/scope";
import {
  normaliseLocation,
  oneOf,
  presence,
  requireKnown,
  safeGet,
  sameText,
  show,
  stringsAt,
  valueAt,
  who,
} from "../lib/values";

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
const SECURITY_PRICING = "azure-native:security:Pricing";

const DOCS = "https://learn.microsoft.com/azure/azure-sql/database";

// ---------------------------------------------------------------------------------------------------------------
// sql.Server
// ---------------------------------------------------------------------------------------------------------------

export const sqlServerMinimalTls = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-enforce-minimal-tls-version",
    description: "Every Azure SQL logical server refuses client connections below TLS 1.2.",
    severity: "high",
    pci: ["4.2.1", "2.2.7"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "sql",
    remediationSteps: 'Set `minimalTlsVersion` to "1.2" (or "1.3" when every client supports it).',
    url: `${DOCS}/connectivity-settings#minimal-tls-version`,
    config: {
      allowedVersions: stringListKnob("Accepted values of minimalTlsVersion.", ["1.2", "1.3"]),
    },
  },
  SQL_SERVER,
  (props, args, report) => {
    // Absent ⇒ violation: older API versions default to "None" (every TLS version accepted), so pin it.
    const { allowedVersions } = args.getConfig<{ allowedVersions: string[] }>();
    const version = props.minimalTlsVersion;
    if (version === undefined || !oneOf(version, allowedVersions)) {
      report(
        `${who(args)} has minimalTlsVersion ${show(version)}: set minimalTlsVersion to "${allowedVersions[0] ?? "1.2"}".`,
      );
    }
  },
);

export const sqlServerPublicNetwork = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-disallow-public-network-access",
    description:
      "Every Azure SQL logical server has its public endpoint disabled and is reached only through a private endpoint.",
    severity: "critical",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "sql",
    remediationSteps:
      'Set `publicNetworkAccess` to "Disabled" and connect through a private endpoint (group id `sqlServer`, zone privatelink.database.windows.net).',
    url: `${DOCS}/connectivity-settings#deny-public-network-access`,
  },
  SQL_SERVER,
  (props, args, report) => {
    // Absent ⇒ violation: the service default is "Enabled". "SecuredByPerimeter" is not accepted either (the
    // endpoint stays public, governed by a network security perimeter the pack does not model).
    if (!sameText(props.publicNetworkAccess, "Disabled")) {
      report(
        `${who(args)} allows public network access (publicNetworkAccess ${show(props.publicNetworkAccess)}): set publicNetworkAccess to "Disabled" and reach it through a private endpoint.`,
      );
    }
  },
);

export const sqlServerEntraOnly = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-require-entra-only-authentication",
    description:
      "Every Azure SQL logical server has a Microsoft Entra administrator and accepts Microsoft Entra authentication only.",
    severity: "critical",
    pci: ["8.2.2", "8.3.1", "8.6.2"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "sql",
    remediationSteps:
      'Set `administrators` to `{ administratorType: "ActiveDirectory", azureADOnlyAuthentication: true, login, sid, tenantId, principalType: "Group" }` (an Entra group as admin).',
    url: `${DOCS}/authentication-azure-ad-only-authentication`,
    config: {
      allowedTenantIds: stringListKnob(
        "Entra tenant ids the administrator may come from; empty allows any tenant.",
        [],
      ),
    },
  },
  SQL_SERVER,
  (props, args, report) => {
    // `administrators` absent ⇒ violation: the server would be created with SQL authentication only. (A server
    // managed through separate ServerAzureADAdministrator/ServerAzureADOnlyAuthentication resources needs an
    // exemption; those resources are checked by their own rule.)
    if (presence(props, "administrators") === "absent") {
      report(
        `${who(args)} has no Entra administrator: set administrators with administratorType "ActiveDirectory" and azureADOnlyAuthentication true.`,
      );
      return;
    }
    const admins = props.administrators;
    // Unknown during preview: undecided (requireKnown), never passed.
    if (presence(admins, "azureADOnlyAuthentication") === "unknown") requireKnown(admins, "azureADOnlyAuthentication");
    if (presence(admins, "administratorType") === "unknown") requireKnown(admins, "administratorType");
    if (admins?.azureADOnlyAuthentication !== true) {
      report(
        `${who(args)} allows SQL authentication (administrators.azureADOnlyAuthentication ${show(admins?.azureADOnlyAuthentication)}): set administrators.azureADOnlyAuthentication to true.`,
      );
    }
    if (!sameText(admins?.administratorType, "ActiveDirectory")) {
      report(
        `${who(args)} has administrators.administratorType ${show(admins?.administratorType)}: set administrators.administratorType to "ActiveDirectory".`,
      );
    }
    const { allowedTenantIds } = args.getConfig<{ allowedTenantIds: string[] }>();
    const tenant = valueAt(admins, "tenantId");
    if (allowedTenantIds.length > 0 && typeof tenant === "string" && !oneOf(tenant, allowedTenantIds)) {
      report(
        `${who(args)} has an administrator from tenant ${tenant}: set administrators.tenantId to one of ${allowedTenantIds.join(", ")}.`,
      );
    }
  },
);

export const sqlServerNoSqlCredentials = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-disallow-sql-admin-credentials",
    description:
      "No Azure SQL logical server is given a SQL administrator login or password; administration goes through Microsoft Entra identities.",
    severity: "high",
    pci: ["8.2.2", "8.3.1", "8.6.2"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "sql",
    remediationSteps:
      "Remove `administratorLogin` and `administratorLoginPassword` and use `administrators` with `azureADOnlyAuthentication: true`.",
    url: `${DOCS}/authentication-azure-ad-only-authentication`,
  },
  SQL_SERVER,
  (props, args, report) => {
    // A value unknown during preview (e.g. a random.RandomPassword result) counts as supplied.
    const supplied = (["administratorLogin", "administratorLoginPassword"] as const).filter(
      (k) => presence(props, k) !== "absent",
    );
    if (supplied.length > 0) {
      report(
        `${who(args)} supplies SQL authentication credentials (${supplied.join(", ")}): remove ${supplied.join(" and ")} and use Entra-only authentication (administrators.azureADOnlyAuthentication true).`,
      );
    }
  },
);

export const sqlServerOutbound = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-enforce-outbound-network-restriction",
    description:
      "Every Azure SQL logical server restricts outbound connections to the storage accounts and FQDNs it is allowed to reach.",
    severity: "medium",
    pci: ["1.3.2"],
    gdpr: ["32", "44"],
    soc2: ["CC6.6"],
    service: "sql",
    remediationSteps:
      'Set `restrictOutboundNetworkAccess` to "Enabled" and add the allowed targets as `sql.OutboundFirewallRule` resources.',
    url: `${DOCS}/outbound-firewall-rule-overview`,
    // Advisory by default (a server may need outbound targets a stack has not listed yet); prod's policy config makes
    // it mandatory: the OLTP servers hold the CDE database (PCI DSS 1.3.2, outbound traffic from the CDE restricted).
    enforcementLevel: "advisory",
  },
  SQL_SERVER,
  (props, args, report) => {
    // Absent ⇒ violation: the default is "Disabled" (any outbound destination).
    if (!sameText(props.restrictOutboundNetworkAccess, "Enabled")) {
      report(
        `${who(args)} does not restrict outbound network access (restrictOutboundNetworkAccess ${show(props.restrictOutboundNetworkAccess)}): set restrictOutboundNetworkAccess to "Enabled".`,
      );
    }
  },
);

export const sqlServerCmk = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-require-customer-managed-key",
    description:
      "Every in-scope Azure SQL logical server encrypts its databases (TDE protector) with a customer-managed Key Vault key, reached through a managed identity.",
    severity: "high",
    pci: ["3.5.1", "3.6.1", "3.7.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "sql",
    remediationSteps:
      'Set `keyId` to the Key Vault key URI, `identity` to `{ type: "UserAssigned", userAssignedIdentities: [id] }` and `primaryUserAssignedIdentityId` to that identity (which needs Key Vault Crypto Service Encryption User on the key).',
    url: `${DOCS}/transparent-data-encryption-byok-overview`,
    config: { inScopeTagValues: inScopeKnob() },
  },
  SQL_SERVER,
  (props, args, report) => {
    skipOutOfScope(props, args);
    // The key URI is usually an Output of a Key Vault key (unknown in preview): presence is enough here.
    if (presence(props, "keyId") === "absent") {
      report(`${who(args)} uses a service-managed TDE key: set keyId to the customer-managed Key Vault key URI.`);
    }
    const idType = valueAt(props, "identity", "type");
    if (presence(props, "identity", "type") === "absent" || sameText(idType, "None")) {
      report(
        `${who(args)} has no managed identity to reach its key: set identity.type to "UserAssigned" (with userAssignedIdentities) and primaryUserAssignedIdentityId.`,
      );
    } else if (
      typeof idType === "string" &&
      idType.toLowerCase().includes("userassigned") &&
      presence(props, "primaryUserAssignedIdentityId") === "absent"
    ) {
      report(
        `${who(args)} has a user-assigned identity but no primaryUserAssignedIdentityId: set primaryUserAssignedIdentityId to the identity that may unwrap the key.`,
      );
    }
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Child resources of the server
// ---------------------------------------------------------------------------------------------------------------

export const sqlEncryptionProtectorCmk = resourcePolicy<sql.EncryptionProtectorArgs>(
  {
    name: "azure-native-sql-encryptionprotector-require-customer-managed-key",
    description:
      "Every Azure SQL encryption protector is a customer-managed Azure Key Vault key, not a service-managed key, with automatic rotation on (the server follows each new key version Key Vault's rotation policy creates).",
    severity: "high",
    pci: ["3.5.1", "3.6.1", "3.7.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "sql",
    remediationSteps:
      'Set `serverKeyType` to "AzureKeyVault", `serverKeyName` to the `sql.ServerKey` of the Key Vault key (`<vault>_<key>_<version>`) and `autoRotationEnabled: true`.',
    url: `${DOCS}/transparent-data-encryption-byok-overview`,
  },
  "azure-native:sql:EncryptionProtector",
  (props, args, report) => {
    if (!sameText(props.serverKeyType, "AzureKeyVault")) {
      report(
        `${who(args)} uses serverKeyType ${show(props.serverKeyType)}: set serverKeyType to "AzureKeyVault" and serverKeyName to the customer-managed server key.`,
      );
    } else if (presence(props, "serverKeyName") === "absent") {
      report(`${who(args)} names no key: set serverKeyName to the sql.ServerKey of the customer-managed key.`);
    }
    // A versioned protector stays on its version when Key Vault rotates the key, unless auto-rotation moves it: "the
    // server continuously checks the key vault for any new versions of the key being used as the TDE protector"
    // (transparent-data-encryption-byok-key-rotation, "Automatic key rotation"). Absent = false.
    if (props.serverKeyType === "AzureKeyVault") {
      if (presence(props, "autoRotationEnabled") === "unknown") requireKnown(props, "autoRotationEnabled");
      if (props.autoRotationEnabled !== true)
        report(
          `${who(args)} does not follow the key's rotation (autoRotationEnabled ${show(props.autoRotationEnabled)}): set autoRotationEnabled to true.`,
        );
    }
  },
);

export const sqlDataMasking = resourcePolicy<sql.DataMaskingPolicyArgs>(
  {
    name: "azure-native-sql-datamaskingpolicy-enable-masking",
    description:
      "A database's data masking policy is Enabled: the masks declared on personal and card columns (`MASKED WITH` in the generated DDL) are what readers without UNMASK see, and a Disabled policy is a switch an auditor cannot trust (Microsoft documents no effect either way).",
    severity: "medium",
    pci: ["3.4.1", "7.2.2"],
    gdpr: ["25", "32(1)(a)"],
    soc2: ["CC6.1"],
    service: "sql",
    remediationSteps: 'Set `dataMaskingState` to "Enabled" (or leave the resource out: masks declared in T-SQL apply).',
    url: `${DOCS}/dynamic-data-masking-overview`,
  },
  "azure-native:sql:DataMaskingPolicy",
  (props, args, report) => {
    if (presence(props, "dataMaskingState") === "unknown") requireKnown(props, "dataMaskingState");
    if (!sameText(props.dataMaskingState, "Enabled"))
      report(`${who(args)} has dataMaskingState ${show(props.dataMaskingState)}: set dataMaskingState to "Enabled".`);
  },
);

export const sqlAdOnlyAuthentication = resourcePolicy<sql.ServerAzureADOnlyAuthenticationArgs>(
  {
    name: "azure-native-sql-serverazureadonlyauthentication-enable-entra-only",
    description: "Every ServerAzureADOnlyAuthentication resource turns Microsoft Entra-only authentication on.",
    severity: "critical",
    pci: ["8.2.2", "8.3.1"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "sql",
    remediationSteps: "Set `azureADOnlyAuthentication` to true.",
    url: `${DOCS}/authentication-azure-ad-only-authentication`,
  },
  "azure-native:sql:ServerAzureADOnlyAuthentication",
  (props, args, report) => {
    if (props.azureADOnlyAuthentication !== true) {
      report(
        `${who(args)} turns Entra-only authentication off (azureADOnlyAuthentication ${show(props.azureADOnlyAuthentication)}): set azureADOnlyAuthentication to true.`,
      );
    }
  },
);

export const sqlTransparentDataEncryption = resourcePolicy<sql.TransparentDataEncryptionArgs>(
  {
    name: "azure-native-sql-transparentdataencryption-enable-encryption",
    description: "Transparent data encryption is enabled on every Azure SQL database that declares it.",
    severity: "critical",
    pci: ["3.5.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "sql",
    remediationSteps: 'Set `state` to "Enabled".',
    url: `${DOCS}/transparent-data-encryption-tde-overview`,
  },
  "azure-native:sql:TransparentDataEncryption",
  (props, args, report) => {
    if (!sameText(props.state, "Enabled")) {
      report(`${who(args)} has state ${show(props.state)}: set state to "Enabled".`);
    }
  },
);

const AUDIT_TYPES = [SQL_AUDITING, SQL_EXTENDED_AUDITING];
/** Audit policies whose records may go to storage (the retention rule): the server's and a database's. */
export const STORAGE_AUDIT_TYPES = [...AUDIT_TYPES, SQL_DATABASE_AUDITING];

export const sqlAuditingEnabled = resourcePolicy<sql.ExtendedServerBlobAuditingPolicyArgs>(
  {
    name: "azure-native-sql-serverblobauditingpolicy-enable-auditing",
    description:
      "Every server-level Azure SQL auditing policy (ServerBlobAuditingPolicy or ExtendedServerBlobAuditingPolicy) is enabled, sends audit records to Log Analytics or storage, and audits Microsoft support operations.",
    severity: "high",
    pci: ["10.2.1", "10.2.2"],
    gdpr: ["5(2)", "32(1)(b)", "33"],
    soc2: ["CC7.2"],
    service: "sql",
    remediationSteps:
      'Set `state` to "Enabled" and `isAzureMonitorTargetEnabled` to true (with a diagnostic setting on the master database sending SQLSecurityAuditEvents to the central workspace), or set `storageEndpoint`; set `isDevopsAuditEnabled` to true.',
    url: `${DOCS}/auditing-overview`,
  },
  AUDIT_TYPES,
  (props, args, report) => {
    if (!sameText(props.state, "Enabled")) {
      report(`${who(args)} has state ${show(props.state)}: set state to "Enabled".`);
    }
    const toStorage = presence(props, "storageEndpoint") !== "absent";
    if (!toStorage && presence(props, "isAzureMonitorTargetEnabled") === "unknown")
      requireKnown(props, "isAzureMonitorTargetEnabled");
    if (!toStorage && props.isAzureMonitorTargetEnabled !== true) {
      report(
        `${who(args)} has no audit destination: set isAzureMonitorTargetEnabled to true (and a diagnostic setting for SQLSecurityAuditEvents) or set storageEndpoint.`,
      );
    }
    // What Microsoft's support engineers run on the server is audited only with it (auditing-microsoft-support-
    // operations): access by a third party to the cardholder data environment (PCI DSS 10.2.1.2). Absent = false.
    if (presence(props, "isDevopsAuditEnabled") === "unknown") requireKnown(props, "isDevopsAuditEnabled");
    if (props.isDevopsAuditEnabled !== true) {
      report(
        `${who(args)} does not audit Microsoft support operations (isDevopsAuditEnabled ${show(props.isDevopsAuditEnabled)}): set isDevopsAuditEnabled to true.`,
      );
    }
  },
);

export const sqlAuditingRetention = resourcePolicy<sql.ExtendedServerBlobAuditingPolicyArgs>(
  {
    name: "azure-native-sql-serverblobauditingpolicy-configure-retention",
    description:
      "Azure SQL audit records written to storage (by a server's audit policy or a database's) are kept at least as long as PCI DSS requires (12 months in production) and, when a maximum is configured, no longer than that.",
    severity: "medium",
    pci: ["10.5.1"],
    // Not 5(1)(e): no maximum applies unless the stack's policy config sets `maxRetentionDays`.
    gdpr: ["32(1)(b)"],
    soc2: ["CC7.2"],
    service: "sql",
    remediationSteps:
      "Set `retentionDays` to at least `minRetentionDays` (`prodMinRetentionDays` in production stacks), or 0 to keep records indefinitely when no `maxRetentionDays` applies.",
    url: `${DOCS}/auditing-setup`,
    config: {
      minRetentionDays: {
        type: "integer",
        minimum: 1,
        default: 90,
        description: "Minimum retentionDays outside production.",
      },
      prodMinRetentionDays: {
        type: "integer",
        minimum: 1,
        default: 365,
        description: "Minimum retentionDays in production stacks (PCI DSS 10.5.1: 12 months).",
      },
      maxRetentionDays: {
        type: "integer",
        minimum: 0,
        default: 0,
        description: "Maximum retentionDays (GDPR storage limitation); 0 = no maximum.",
      },
      prodStacks: prodStacksKnob(),
    },
  },
  STORAGE_AUDIT_TYPES,
  (props, args, report) => {
    if (presence(props, "storageEndpoint") === "absent") {
      args.notApplicable(
        "audit records are not written to storage; the Log Analytics workspace's retention governs them",
      );
    }
    const cfg = args.getConfig<{ minRetentionDays: number; prodMinRetentionDays: number; maxRetentionDays: number }>();
    const min = isProdStack(args) ? cfg.prodMinRetentionDays : cfg.minRetentionDays;
    // Absent or 0 ⇒ records are kept indefinitely (the service default).
    const days = props.retentionDays ?? 0;
    if (days > 0 && days < min) {
      report(`${who(args)} keeps storage audit records for ${days} days: set retentionDays to at least ${min}.`);
    }
    if (cfg.maxRetentionDays > 0 && (days === 0 || days > cfg.maxRetentionDays)) {
      report(
        `${who(args)} keeps storage audit records ${days === 0 ? "indefinitely" : `for ${days} days`}: set retentionDays between ${min} and ${cfg.maxRetentionDays}.`,
      );
    }
  },
);

export const REQUIRED_AUDIT_GROUPS = [
  "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP",
  "FAILED_DATABASE_AUTHENTICATION_GROUP",
  "BATCH_COMPLETED_GROUP",
];

export const sqlAuditingActionGroups = resourcePolicy<sql.ExtendedServerBlobAuditingPolicyArgs>(
  {
    name: "azure-native-sql-serverblobauditingpolicy-configure-audit-action-groups",
    description:
      "Every server-level Azure SQL auditing policy records successful and failed authentications and completed batches.",
    severity: "medium",
    pci: ["10.2.1.1", "10.2.1.2", "10.2.1.4", "10.2.1.5"],
    gdpr: ["5(2)", "32(1)(b)"],
    soc2: ["CC7.2"],
    service: "sql",
    remediationSteps:
      "Set `auditActionsAndGroups` to include SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP, FAILED_DATABASE_AUTHENTICATION_GROUP and BATCH_COMPLETED_GROUP.",
    url: `${DOCS}/auditing-overview`,
    config: {
      requiredActionGroups: stringListKnob("Audit action groups every policy must include.", REQUIRED_AUDIT_GROUPS),
    },
  },
  AUDIT_TYPES,
  (props, args, report) => {
    // Absent ⇒ violation: the API's default set is only documented for the portal, so it must be explicit.
    if (presence(props, "auditActionsAndGroups") === "unknown") requireKnown(props, "auditActionsAndGroups");
    const { requiredActionGroups } = args.getConfig<{ requiredActionGroups: string[] }>();
    const groups = stringsAt(props, "auditActionsAndGroups").map((g) => g.toUpperCase());
    const missing = requiredActionGroups.filter((g) => !groups.includes(g.toUpperCase()));
    if (missing.length > 0) {
      report(`${who(args)} does not audit ${missing.join(", ")}: add them to auditActionsAndGroups.`);
    }
  },
);

export const sqlSecurityAlertPolicy = resourcePolicy<sql.ServerSecurityAlertPolicyArgs>(
  {
    name: "azure-native-sql-serversecurityalertpolicy-enable-threat-detection",
    description:
      "Every Azure SQL server security alert policy (Microsoft Defender for SQL) is enabled with every alert type on and sends alerts to someone.",
    severity: "high",
    pci: ["11.5.1", "10.4.1.1", "12.10.5"],
    gdpr: ["33"],
    soc2: ["CC7.3"],
    service: "sql",
    remediationSteps:
      'Set `state` to "Enabled", leave `disabledAlerts` empty, and set `emailAccountAdmins` to true or `emailAddresses` to the security on-call list.',
    url: `${DOCS}/azure-defender-for-sql`,
  },
  SQL_SECURITY_ALERT,
  (props, args, report) => {
    if (!sameText(props.state, "Enabled")) {
      report(`${who(args)} has state ${show(props.state)}: set state to "Enabled".`);
    }
    const disabled = stringsAt(props, "disabledAlerts").filter((a) => a.trim() !== "");
    if (disabled.length > 0) {
      report(`${who(args)} disables alerts ${disabled.join(", ")}: set disabledAlerts to [].`);
    }
    if (presence(props, "emailAccountAdmins") === "unknown") requireKnown(props, "emailAccountAdmins");
    if (presence(props, "emailAddresses") === "unknown") requireKnown(props, "emailAddresses");
    if (props.emailAccountAdmins !== true && stringsAt(props, "emailAddresses").length === 0) {
      report(
        `${who(args)} sends alerts to no one: set emailAddresses to the security on-call addresses or emailAccountAdmins to true.`,
      );
    }
  },
);

export const sqlVulnerabilityAssessment = resourcePolicy<sql.ServerVulnerabilityAssessmentArgs>(
  {
    name: "azure-native-sql-servervulnerabilityassessment-enable-recurring-scans",
    description: "Every Azure SQL server vulnerability assessment runs recurring scans and e-mails their results.",
    severity: "medium",
    pci: ["11.3.1", "6.3.1"],
    gdpr: ["32(1)(d)"],
    soc2: ["CC7.1"],
    service: "sql",
    remediationSteps:
      "Set `recurringScans.isEnabled` to true and `recurringScans.emailSubscriptionAdmins` to true or `recurringScans.emails` to the security on-call list.",
    url: "https://learn.microsoft.com/azure/defender-for-cloud/sql-azure-vulnerability-assessment-overview",
  },
  "azure-native:sql:ServerVulnerabilityAssessment",
  (props, args, report) => {
    // recurringScans absent ⇒ violation: scans then only run on demand.
    if (presence(props, "recurringScans", "isEnabled") === "unknown")
      requireKnown(props, "recurringScans", "isEnabled");
    if (valueAt(props, "recurringScans", "isEnabled") !== true) {
      report(`${who(args)} has no recurring scans: set recurringScans.isEnabled to true.`);
    }
    for (const key of ["emailSubscriptionAdmins", "emails"])
      if (presence(props, "recurringScans", key) === "unknown") requireKnown(props, "recurringScans", key);
    if (
      valueAt(props, "recurringScans", "emailSubscriptionAdmins") !== true &&
      stringsAt(props, "recurringScans", "emails").length === 0
    ) {
      report(
        `${who(args)} e-mails scan results to no one: set recurringScans.emails to the security on-call list or recurringScans.emailSubscriptionAdmins to true.`,
      );
    }
  },
);

export const sqlExpressVulnerabilityAssessment = resourcePolicy<sql.SqlVulnerabilityAssessmentsSettingArgs>(
  {
    name: "azure-native-sql-sqlvulnerabilityassessmentssetting-enable-express-assessment",
    description:
      "Every Azure SQL vulnerability assessment setting (the express configuration, which needs no storage account) is enabled.",
    severity: "medium",
    pci: ["11.3.1", "6.3.1"],
    gdpr: ["32(1)(d)"],
    soc2: ["CC7.1"],
    service: "sql",
    remediationSteps: 'Set `state` to "Enabled".',
    url: "https://learn.microsoft.com/azure/defender-for-cloud/sql-azure-vulnerability-assessment-enable",
  },
  "azure-native:sql:SqlVulnerabilityAssessmentsSetting",
  (props, args, report) => {
    // Absent ⇒ violation: the setting then does not turn the express assessment on.
    if (presence(props, "state") === "unknown") requireKnown(props, "state");
    if (!sameText(props.state, "Enabled")) {
      report(`${who(args)} has state ${show(props.state)}: set state to "Enabled".`);
    }
  },
);

export const sqlFirewallRule = resourcePolicy<sql.FirewallRuleArgs>(
  {
    name: "azure-native-sql-firewallrule-disallow-public-access",
    description:
      "No Azure SQL server firewall rule (IPv4 or IPv6) opens the public endpoint, neither to the internet nor to all Azure services, except IPv4 ranges explicitly allowed in the policy config.",
    severity: "critical",
    pci: ["1.3.1", "1.4.2"],
    gdpr: ["25", "32"],
    soc2: ["CC6.6"],
    service: "sql",
    remediationSteps:
      "Delete the `sql.FirewallRule` (the server is reached through its private endpoint), or add an approved admin range to the policy's `allowedCidrs`.",
    url: `${DOCS}/firewall-configure`,
    config: { allowedCidrs: allowedCidrsKnob() },
  },
  ["azure-native:sql:FirewallRule", "azure-native:sql:IPv6FirewallRule"],
  (props, args, report) => {
    if (args.type === "azure-native:sql:IPv6FirewallRule") {
      // allowedCidrs holds IPv4 ranges only: an IPv6 rule is never an approved exception.
      report(
        `${who(args)} opens the public endpoint to IPv6 addresses (${String(safeGet(props, "startIPv6Address") ?? "?")} to ${String(safeGet(props, "endIPv6Address") ?? "?")}): delete the rule and connect through the private endpoint.`,
      );
      return;
    }
    const problem = firewallRuleProblem(props, args.getConfig<{ allowedCidrs: string[] }>().allowedCidrs);
    if (problem) {
      report(
        `${who(args)} ${problem}: delete the firewall rule and connect through the private endpoint, or set startIpAddress/endIpAddress inside an allowedCidrs range.`,
      );
    }
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Databases and backups
// ---------------------------------------------------------------------------------------------------------------

/** EU regions whose Azure paired region (where geo-redundant backups are copied) is also in the EU. */
export const EU_PAIRED_LOCATIONS = [
  "westeurope",
  "northeurope",
  "francecentral",
  "francesouth",
  "germanywestcentral",
  "germanynorth",
  "swedencentral",
  "swedensouth",
];

const BACKUP_REDUNDANCY = ["Local", "Zone", "Geo", "GeoZone"];

export const sqlDatabaseBackupRedundancy = resourcePolicy<sql.DatabaseArgs>(
  {
    name: "azure-native-sql-database-configure-backup-storage-redundancy",
    description:
      "Every Azure SQL database stores its backups with an allowed redundancy: geo-redundant in production so it can be restored after a regional outage, and only where the geo copy stays inside the EU.",
    severity: "medium",
    pci: ["12.10.1"],
    gdpr: ["32(1)(c)", "44"],
    soc2: ["A1.2"],
    service: "sql",
    remediationSteps:
      'Set `requestedBackupStorageRedundancy` to "Geo" or "GeoZone" in production (an EU region with an EU pair, e.g. westeurope/northeurope) and to one of `allowedRedundancy` elsewhere (e.g. "Local" for dev).',
    url: `${DOCS}/automated-backups-overview#backup-storage-redundancy`,
    config: {
      allowedRedundancy: {
        type: "array",
        items: { type: "string", enum: BACKUP_REDUNDANCY },
        default: BACKUP_REDUNDANCY,
        description: "Backup storage redundancy allowed outside production.",
      },
      prodAllowedRedundancy: {
        type: "array",
        items: { type: "string", enum: BACKUP_REDUNDANCY },
        default: ["Geo", "GeoZone"],
        description: "Backup storage redundancy allowed in production stacks (PCI DSS 12.10.1 disaster recovery).",
      },
      prodStacks: prodStacksKnob(),
      geoPairedLocations: stringListKnob(
        "Regions where Geo/GeoZone backups are allowed: their paired region is in the EU/EEA (GDPR Chapter V).",
        EU_PAIRED_LOCATIONS,
      ),
    },
  },
  SQL_DATABASE,
  (props, args, report) => {
    const cfg = args.getConfig<{
      allowedRedundancy: string[];
      prodAllowedRedundancy: string[];
      geoPairedLocations: string[];
    }>();
    if (presence(props, "requestedBackupStorageRedundancy") === "unknown")
      requireKnown(props, "requestedBackupStorageRedundancy");
    // Absent ⇒ the service default, "Geo".
    const redundancy = props.requestedBackupStorageRedundancy ?? "Geo";
    const prod = isProdStack(args);
    const allowed = prod ? cfg.prodAllowedRedundancy : cfg.allowedRedundancy;
    const shown = props.requestedBackupStorageRedundancy === undefined ? '"Geo" (the default)' : `"${redundancy}"`;
    if (!allowed.includes(redundancy)) {
      report(
        `${who(args)} stores backups with ${shown} redundancy${prod ? " in a production stack" : ""}: set requestedBackupStorageRedundancy to ${allowed.map((a) => `"${a}"`).join(" or ")}.`,
      );
    }
    const location = valueAt(props, "location");
    if (
      (redundancy === "Geo" || redundancy === "GeoZone") &&
      typeof location === "string" &&
      !cfg.geoPairedLocations.map(normaliseLocation).includes(normaliseLocation(location))
    ) {
      report(
        `${who(args)} in '${location}' stores backups with ${shown} redundancy, copied to a paired region outside the allowed EU pairs: set requestedBackupStorageRedundancy to "Zone" or "Local", or deploy to a region in geoPairedLocations.`,
      );
    }
  },
);

export const sqlDatabaseZoneRedundancy = resourcePolicy<sql.DatabaseArgs>(
  {
    name: "azure-native-sql-database-enable-zone-redundancy",
    description: "Every Azure SQL database in a production stack spreads its replicas across availability zones.",
    severity: "medium",
    pci: ["12.10.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["A1.2"],
    service: "sql",
    remediationSteps:
      "Set `zoneRedundant` to true (Business Critical, Premium, Hyperscale or General Purpose in a region with availability zones).",
    url: `${DOCS}/high-availability-sla-local-zone-redundancy`,
    config: { prodStacks: prodStacksKnob() },
  },
  SQL_DATABASE,
  (props, args, report) => {
    if (!isProdStack(args)) args.notApplicable("zone redundancy is only required in production stacks");
    if (presence(props, "elasticPoolId") !== "absent") {
      args.notApplicable("the database is in an elastic pool, whose zoneRedundant setting applies");
    }
    // Absent ⇒ false (the service default).
    if (presence(props, "zoneRedundant") === "unknown") requireKnown(props, "zoneRedundant");
    if (props.zoneRedundant !== true) {
      report(
        `${who(args)} is not zone-redundant (zoneRedundant ${show(props.zoneRedundant)}): set zoneRedundant to true.`,
      );
    }
  },
);

export const sqlShortTermRetention = resourcePolicy<sql.BackupShortTermRetentionPolicyArgs>(
  {
    name: "azure-native-sql-backupshorttermretentionpolicy-configure-retention",
    description:
      "Every Azure SQL database keeps point-in-time-restore backups for at least the configured number of days.",
    severity: "medium",
    pci: ["12.10.1"],
    gdpr: ["32(1)(c)"],
    soc2: ["A1.2"],
    service: "sql",
    remediationSteps:
      "Set `retentionDays` to at least `minRetentionDays` (`prodMinRetentionDays` in production stacks); Azure allows 1–35.",
    url: `${DOCS}/automated-backups-change-settings`,
    config: {
      minRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 7, description: "Minimum PITR days." },
      prodMinRetentionDays: {
        type: "integer",
        minimum: 1,
        maximum: 35,
        default: 14,
        description: "Minimum PITR days in production stacks.",
      },
      prodStacks: prodStacksKnob(),
    },
  },
  "azure-native:sql:BackupShortTermRetentionPolicy",
  (props, args, report) => {
    const cfg = args.getConfig<{ minRetentionDays: number; prodMinRetentionDays: number }>();
    const min = isProdStack(args) ? cfg.prodMinRetentionDays : cfg.minRetentionDays;
    if (presence(props, "retentionDays") === "unknown") requireKnown(props, "retentionDays");
    // Absent ⇒ the service default of 7 days.
    const days = props.retentionDays ?? 7;
    if (days < min) {
      report(
        `${who(args)} keeps point-in-time backups for ${days} days${props.retentionDays === undefined ? " (the default)" : ""}: set retentionDays to at least ${min}.`,
      );
    }
  },
);

const LTR_KEYS = ["weeklyRetention", "monthlyRetention", "yearlyRetention"] as const;

export const sqlLongTermRetention = resourcePolicy<sql.LongTermRetentionPolicyArgs>(
  {
    name: "azure-native-sql-longtermretentionpolicy-configure-retention",
    description:
      "Every Azure SQL long-term retention policy keeps at least one series of backups and none longer than the configured maximum.",
    severity: "medium",
    pci: ["12.10.1", "3.2.1"],
    gdpr: ["5(1)(e)", "32(1)(c)"],
    soc2: ["A1.2"],
    service: "sql",
    remediationSteps:
      'Set at least one of `weeklyRetention`, `monthlyRetention`, `yearlyRetention` to an ISO 8601 duration (e.g. "P12W", "P12M", "P10Y"; with `weekOfYear` for yearly), none longer than `maxRetentionDays`.',
    url: `${DOCS}/long-term-retention-overview`,
    config: {
      maxRetentionDays: {
        type: "integer",
        minimum: 1,
        default: SQL_LTR_MAX_DAYS,
        description: "Longest allowed retention in days (default 10 years; PCI DSS 3.2.1, GDPR storage limitation).",
      },
    },
  },
  SQL_LTR,
  (props, args, report) => {
    const { maxRetentionDays } = args.getConfig<{ maxRetentionDays: number }>();
    let someSet = false;
    let someUnknown = false;
    for (const key of LTR_KEYS) {
      const p = presence(props, key);
      if (p === "unknown") someUnknown = true;
      const value = valueAt(props, key);
      if (typeof value !== "string" || value === "") continue;
      const days = isoDurationDays(value);
      if (days === undefined) {
        report(`${who(args)} has ${key} ${show(value)}, not an ISO 8601 duration: set ${key} to e.g. "P12M".`);
        continue;
      }
      if (days > 0) someSet = true;
      if (days > maxRetentionDays) {
        report(`${who(args)} keeps ${key} backups for ${value}: set ${key} to at most ${maxRetentionDays} days.`);
      }
    }
    if (!someSet && !someUnknown) {
      report(
        `${who(args)} keeps no long-term backups: set weeklyRetention, monthlyRetention or yearlyRetention (e.g. "P12M").`,
      );
    }
    // A retention unknown during preview may exceed the maximum: undecided once the known ones are reported, never
    // passed.
    for (const key of LTR_KEYS) if (presence(props, key) === "unknown") requireKnown(props, key);
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Stack policies
// ---------------------------------------------------------------------------------------------------------------

/** A server child (auditing or security alert policy) names its server in `serverName`. */
export const SERVER_CHILD = { properties: ["serverName"], byName: { nameKeys: ["serverName"] } };
/** A database child (LTR policy) names its database in `databaseName`, on the same `serverName`. */
export const DATABASE_CHILD = {
  properties: ["databaseName"],
  byName: { nameKeys: ["databaseName"], siblingKeys: ["serverName"] },
};

export const sqlServerAuditingPresent = stackPolicy(
  {
    name: "azure-native-sql-server-require-auditing-policy",
    description:
      "Every Azure SQL logical server in the stack has an enabled server-level auditing policy (ExtendedServerBlobAuditingPolicy or ServerBlobAuditingPolicy).",
    severity: "high",
    pci: ["10.2.1", "10.2.2"],
    gdpr: ["5(2)", "32(1)(b)", "33"],
    soc2: ["CC7.2"],
    service: "sql",
    remediationSteps:
      'Add an `sql.ExtendedServerBlobAuditingPolicy` with `serverName` set to the server, `state: "Enabled"` and `isAzureMonitorTargetEnabled: true`.',
    url: `${DOCS}/auditing-overview`,
  },
  (args, report) => {
    const servers = ofType(args.resources, SQL_SERVER);
    if (servers.length === 0) args.notApplicable("the stack has no Azure SQL servers");
    const audits = ofType(args.resources, SQL_AUDITING, SQL_EXTENDED_AUDITING);
    for (const server of servers) {
      const linked = audits.filter((a) => refersTo(a, server, SERVER_CHILD));
      // A state unknown during preview counts as enabled; the resource rule checks literal values.
      if (linked.some((a) => !sameText(valueAt(a.props, "state"), "Disabled"))) continue;
      report(
        linked.length > 0
          ? `${who(server)} has only disabled auditing policies (${linked.map((a) => a.name).join(", ")}): set their state to "Enabled".`
          : `${who(server)} has no server-level auditing policy: add an azure-native:sql:ExtendedServerBlobAuditingPolicy with serverName set to this server, state "Enabled" and isAzureMonitorTargetEnabled true.`,
        server.urn,
      );
    }
  },
);

export const sqlServerDefenderPresent = stackPolicy(
  {
    name: "azure-native-sql-server-require-security-alert-policy",
    description:
      "Every Azure SQL logical server in the stack has an enabled server security alert policy (Microsoft Defender for SQL threat detection).",
    severity: "high",
    pci: ["11.5.1", "10.4.1.1", "12.10.5"],
    gdpr: ["33"],
    soc2: ["CC7.3"],
    service: "sql",
    remediationSteps:
      'Add an `sql.ServerSecurityAlertPolicy` with `serverName` set to the server and `state: "Enabled"` (or, with `acceptSubscriptionPlan`, the "SqlServers" plan at the "Standard" tier as a `security.Pricing` in the stack; a plan in an ARM deployment template is not visible to stack policies).',
    url: `${DOCS}/azure-defender-for-sql`,
    config: {
      acceptSubscriptionPlan: {
        type: "boolean",
        default: false,
        description:
          'Accept the "SqlServers" Defender plan at the "Standard" tier in the stack (a security.Pricing resource: Defender for SQL for the whole subscription) instead of per-server policies. A plan set in an ARM deployment\'s template does not count: stack policies see a deployment\'s outputs, which carry no template.',
      },
    },
  },
  (args, report) => {
    const servers = ofType(args.resources, SQL_SERVER);
    if (servers.length === 0) args.notApplicable("the stack has no Azure SQL servers");
    const { acceptSubscriptionPlan } = args.getConfig<{ acceptSubscriptionPlan: boolean }>();
    // `pricingName` is part of the plan's path, so not an output: the engine shows the plan's `name` instead. A plan
    // set in an ARM deployment's template does not count: stack policies see a deployment's outputs, which carry no
    // template (tools/lib/outputShape.ts).
    const typedPlan = ofType(args.resources, SECURITY_PRICING).some(
      (p) =>
        (valueAt(p.props, "pricingName") ?? valueAt(p.props, "name")) === "SqlServers" &&
        valueAt(p.props, "pricingTier") === "Standard",
    );
    if (acceptSubscriptionPlan && typedPlan) {
      return;
    }
    if (acceptSubscriptionPlan) {
      // A Standard plan whose name is unknown during a first preview may be the SqlServers one: reading the name
      // makes the rule "can't run during preview" (advisory) rather than failing servers the plan covers.
      const undecided = ofType(args.resources, SECURITY_PRICING).find(
        (p) =>
          presence(p.props, "pricingName") !== "set" &&
          presence(p.props, "name") === "unknown" &&
          valueAt(p.props, "pricingTier") === "Standard",
      );
      if (undecided) void (undecided.props as Record<string, unknown>).name;
    }
    const policies = ofType(args.resources, SQL_SECURITY_ALERT);
    for (const server of servers) {
      const linked = policies.filter((p) => refersTo(p, server, SERVER_CHILD));
      if (linked.some((p) => !sameText(valueAt(p.props, "state"), "Disabled"))) continue;
      report(
        linked.length > 0
          ? `${who(server)} has only disabled security alert policies (${linked.map((p) => p.name).join(", ")}): set their state to "Enabled".`
          : `${who(server)} has no Defender for SQL security alert policy: add an azure-native:sql:ServerSecurityAlertPolicy with serverName set to this server and state "Enabled".`,
        server.urn,
      );
    }
  },
);

export const sqlDatabaseLtrPresent = stackPolicy(
  {
    name: "azure-native-sql-database-require-long-term-retention",
    description:
      "Every in-scope Azure SQL database in a production stack, geo-secondaries included, has a long-term retention policy, so backups outlive the 35-day point-in-time window and continue after a failover.",
    severity: "medium",
    pci: ["12.10.1"],
    gdpr: ["32(1)(c)"],
    soc2: ["A1.2"],
    service: "sql",
    remediationSteps:
      'Add an `sql.LongTermRetentionPolicy` with `serverName` and `databaseName` set to the database and e.g. `weeklyRetention: "P12W"`, `monthlyRetention: "P12M"`, `yearlyRetention: "P10Y"`, `weekOfYear: 1`.',
    url: `${DOCS}/long-term-retention-overview`,
    config: { prodStacks: prodStacksKnob(), inScopeTagValues: inScopeKnob() },
  },
  (args, report) => {
    const { prodStacks, inScopeTagValues } = args.getConfig<{ prodStacks: string[]; inScopeTagValues: string[] }>();
    const databases = ofType(args.resources, SQL_DATABASE);
    if (databases.length === 0) args.notApplicable("the stack has no Azure SQL databases");
    const ltr = ofType(args.resources, SQL_LTR);
    const checked = databases.filter(
      (db) => inStacks(db.urn, prodStacks) && outOfScopeTag(db.props, inScopeTagValues) === undefined,
    );
    if (checked.length === 0)
      args.notApplicable("no in-scope Azure SQL database in a stack of prodStacks (nothing to check)");
    for (const db of checked) {
      // Geo-secondaries included: Microsoft asks for the same LTR policy there, so backups go on after a failover.
      if (ltr.some((p) => refersTo(p, db, DATABASE_CHILD))) continue;
      report(
        `${who(db)} has no long-term retention policy: add an azure-native:sql:LongTermRetentionPolicy with databaseName set to this database (e.g. monthlyRetention "P12M").`,
        db.urn,
      );
    }
  },
);

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
