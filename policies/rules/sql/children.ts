/**
 * The server's child resources: the encryption protector and TDE, data masking, Entra-only authentication, auditing (on, retained, with the required action groups), Defender for SQL alerts, vulnerability assessment, firewall rules.
 */
import type * as sql from "@pulumi/azure-native/sql";
import { allowedCidrsKnob, firewallRuleProblem } from "../../lib/network";
import { resourcePolicy, stringListKnob } from "../../lib/policy";
import { isProdStack, prodStacksKnob } from "../../lib/scope";
import { presence, requireKnown, safeGet, sameText, show, stringsAt, valueAt, who } from "../../lib/values";
import { SQL_AUDITING, SQL_EXTENDED_AUDITING, SQL_DATABASE_AUDITING, SQL_SECURITY_ALERT, DOCS } from "./shared";

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
