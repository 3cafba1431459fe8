/**
 * Microsoft Sentinel on the central workspace: onboarding (onboardingStates/default, API 2024-09-01), the Defender
 * for Cloud alerts connector, and scheduled analytics rules for the threats that matter to card data. Azure Activity
 * has no connector resource: it is the subscription's activity log sent to the workspace (governance.ts), so the
 * rule that reads it exists only where that setting sends to this workspace. Every Sentinel child waits for the
 * onboarding ("Workspace … is not onboarded to Microsoft Sentinel" otherwise; Azure/azure-quickstart-templates#14256).
 * Onboarding also installs the built-in Fusion rule; none of ours is named like it.
 * Rule creation validates the query and fails while a table does not exist yet (no skip flag on Sentinel rules):
 * deploy once the data sources have logged (docs/runbook.md, "Sentinel").
 */
import * as securityinsights from "@pulumi/azure-native/securityinsights";
import type * as pulumi from "@pulumi/pulumi";
import { uuidv5 } from "../../lib/uuid";
import { BuiltInRoles } from "../shared";

/** What the rules can read in this stack (each rule needs its table to be sent to the workspace). */
export interface SentinelSources {
  /** SQL server auditing to the workspace (AzureDiagnostics, SQLSecurityAuditEvents). */
  readonly sqlAudit: boolean;
  /** Key Vault audit logs (AZKVAuditLogs). */
  readonly keyVaultAudit: boolean;
  /** The subscription's activity log in this workspace (AzureActivity). */
  readonly activityLog: boolean;
  /** Azure Firewall threat-intelligence logs (AZFWThreatIntel). */
  readonly firewall: boolean;
}

export interface AnalyticsRule {
  readonly key: string;
  readonly displayName: string;
  readonly description: string;
  readonly severity: securityinsights.AlertSeverity;
  readonly query: string;
  readonly queryFrequency: string;
  readonly queryPeriod: string;
  readonly tactics: readonly securityinsights.AttackTactic[];
  readonly techniques: readonly string[];
  readonly entities: readonly {
    readonly type: securityinsights.EntityMappingType;
    readonly identifier: string;
    readonly column: string;
  }[];
}

/** Privileged roles whose assignment raises an incident (Owner, User Access Administrator, Contributor, RBAC and Key Vault administrators). */
export const PRIVILEGED_ROLES = [
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", // Owner
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", // User Access Administrator
  "b24988ac-6180-42a0-ab88-20f7382dd24c", // Contributor
  "f58310d9-a9f6-439a-9e8d-f62e7b41a168", // Role Based Access Control Administrator
  BuiltInRoles.KeyVaultAdministrator,
] as const;

/** The analytics rules whose tables this stack sends (pure). */
export function analyticsRules(s: SentinelSources): AnalyticsRule[] {
  const rules: AnalyticsRule[] = [];
  const { AlertSeverity: Sev, AttackTactic: Tactic, EntityMappingType: Entity } = securityinsights;
  if (s.sqlAudit) {
    rules.push(
      {
        key: "sql-mass-export",
        displayName: "Card data: mass read from the payments database",
        description:
          "One principal read more than 100,000 rows from the payments database in an hour (SQL audit): possible bulk exfiltration of card or payment data.",
        severity: Sev.High,
        query: [
          "AzureDiagnostics",
          '| where Category == "SQLSecurityAuditEvents" and action_name_s in ("SELECT", "BATCH COMPLETED")',
          '| where succeeded_s == "true"',
          "| summarize RowsRead = sum(affected_rows_d), Statements = count() by Principal = server_principal_name_s, ClientIp = client_ip_s, Database = database_name_s",
          "| where RowsRead > 100000",
        ].join("\n"),
        queryFrequency: "PT1H",
        queryPeriod: "PT1H",
        tactics: [Tactic.Exfiltration, Tactic.Collection],
        techniques: ["T1213"],
        entities: [
          { type: Entity.Account, identifier: "Name", column: "Principal" },
          { type: Entity.IP, identifier: "Address", column: "ClientIp" },
        ],
      },
      {
        key: "sql-repeated-failed-logins",
        displayName: "Repeated failed logins to the data stores",
        description:
          "More than 10 failed authentications from one client to Azure SQL in an hour: password spraying or a misconfigured client.",
        severity: Sev.Medium,
        query: [
          "AzureDiagnostics",
          '| where Category == "SQLSecurityAuditEvents" and action_name_s == "DATABASE AUTHENTICATION FAILED"',
          "| summarize Failures = count(), Principals = make_set(server_principal_name_s, 20) by ClientIp = client_ip_s",
          "| where Failures > 10",
        ].join("\n"),
        queryFrequency: "PT1H",
        queryPeriod: "PT1H",
        tactics: [Tactic.CredentialAccess],
        techniques: ["T1110"],
        entities: [{ type: Entity.IP, identifier: "Address", column: "ClientIp" }],
      },
    );
  }
  if (s.keyVaultAudit) {
    rules.push({
      key: "key-vault-key-destruction",
      displayName: "Key Vault: key or secret deleted, purged, or a key updated (disabled)",
      description:
        "A customer-managed key, the Always Encrypted key or a secret was deleted, purged or updated (disabling a key is an update): encrypted data stores lose access; crypto-shredding of card data.",
      severity: Sev.High,
      query: [
        "AZKVAuditLogs",
        '| where OperationName in ("KeyDelete", "KeyPurge", "KeyUpdate", "SecretDelete", "SecretPurge", "VaultDelete")',
        '| where ResultType == "Success"',
        "| project TimeGenerated, OperationName, RequestUri, ClientIp = CallerIpAddress, Caller = tostring(Identity), _ResourceId",
      ].join("\n"),
      queryFrequency: "PT15M",
      queryPeriod: "PT15M",
      tactics: [Tactic.Impact],
      techniques: ["T1485"],
      entities: [
        { type: Entity.IP, identifier: "Address", column: "ClientIp" },
        { type: Entity.AzureResource, identifier: "ResourceId", column: "_ResourceId" },
      ],
    });
  }
  if (s.activityLog) {
    const roles = PRIVILEGED_ROLES.map((r) => `"${r}"`).join(", ");
    rules.push({
      key: "privileged-role-assignment",
      displayName: "Privileged role assigned in the subscription",
      description:
        "Owner, User Access Administrator, Contributor, RBAC Administrator or Key Vault Administrator was assigned: outside a reviewed pull request this is privilege escalation.",
      severity: Sev.High,
      query: [
        "AzureActivity",
        '| where OperationNameValue =~ "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE" and ActivityStatusValue == "Success"',
        "| extend RoleDefinitionId = tostring(parse_json(tostring(Properties_d.requestbody)).Properties.RoleDefinitionId)",
        `| where RoleDefinitionId has_any (${roles})`,
        "| project TimeGenerated, Caller, ClientIp = CallerIpAddress, RoleDefinitionId, ResourceGroup, _ResourceId",
      ].join("\n"),
      queryFrequency: "PT15M",
      queryPeriod: "PT15M",
      tactics: [Tactic.PrivilegeEscalation, Tactic.Persistence],
      techniques: ["T1098"],
      entities: [
        { type: Entity.Account, identifier: "FullName", column: "Caller" },
        { type: Entity.IP, identifier: "Address", column: "ClientIp" },
      ],
    });
  }
  if (s.firewall) {
    rules.push({
      key: "firewall-threat-intel",
      displayName: "Azure Firewall: threat-intelligence match",
      description:
        "Traffic from or to the platform matched Microsoft's threat-intelligence feed (denied by the firewall): a workload may be compromised (command and control, exfiltration).",
      severity: Sev.High,
      query: [
        "AZFWThreatIntel",
        "| summarize Hits = count(), Destinations = make_set(DestinationIp, 20), Fqdns = make_set(Fqdn, 20), Threats = make_set(ThreatDescription, 5) by ClientIp = SourceIp",
      ].join("\n"),
      queryFrequency: "PT15M",
      queryPeriod: "PT15M",
      tactics: [Tactic.CommandAndControl, Tactic.Exfiltration],
      techniques: ["T1071"],
      entities: [{ type: Entity.IP, identifier: "Address", column: "ClientIp" }],
    });
  }
  return rules;
}

export interface SentinelArgs {
  readonly workspaceName: pulumi.Input<string>;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly subscriptionId: pulumi.Input<string>;
  readonly sources: SentinelSources;
  /** Stable seed for rule ids (stack + workspace logical name). */
  readonly idSeed: string;
  /** What must exist before the rules (the diagnostic settings that create their tables). */
  readonly after?: readonly pulumi.Resource[];
}

/** Creates `${name}-sentinel`, `${name}-sentinel-defender` and `${name}-rule-<key>`, children of `parent`. */
export function sentinel(name: string, args: SentinelArgs, parent: pulumi.Resource) {
  const onboarding = new securityinsights.SentinelOnboardingState(
    `${name}-sentinel`,
    {
      resourceGroupName: args.resourceGroupName,
      workspaceName: args.workspaceName,
      sentinelOnboardingStateName: "default",
    },
    { parent },
  );
  const defender = new securityinsights.ASCDataConnector(
    `${name}-sentinel-defender`,
    {
      kind: "AzureSecurityCenter",
      dataConnectorId: uuidv5(`${args.idSeed}/sentinel/defender-for-cloud`),
      resourceGroupName: args.resourceGroupName,
      workspaceName: args.workspaceName,
      subscriptionId: args.subscriptionId,
      dataTypes: { alerts: { state: securityinsights.DataTypeState.Enabled } },
    },
    { parent, dependsOn: [onboarding] },
  );
  const rules = analyticsRules(args.sources).map(
    (rule) =>
      new securityinsights.ScheduledAlertRule(
        `${name}-rule-${rule.key}`,
        {
          kind: "Scheduled",
          ruleId: uuidv5(`${args.idSeed}/sentinel/${rule.key}`),
          resourceGroupName: args.resourceGroupName,
          workspaceName: args.workspaceName,
          displayName: rule.displayName,
          description: rule.description,
          enabled: true,
          severity: rule.severity,
          query: rule.query,
          queryFrequency: rule.queryFrequency,
          queryPeriod: rule.queryPeriod,
          triggerOperator: securityinsights.TriggerOperator.GreaterThan,
          triggerThreshold: 0,
          suppressionEnabled: false,
          suppressionDuration: "PT1H",
          tactics: [...rule.tactics],
          techniques: [...rule.techniques],
          entityMappings: rule.entities.map((e) => ({
            entityType: e.type,
            fieldMappings: [{ identifier: e.identifier, columnName: e.column }],
          })),
          incidentConfiguration: {
            createIncident: true,
            groupingConfiguration: {
              enabled: true,
              reopenClosedIncident: false,
              lookbackDuration: "PT5H",
              matchingMethod: securityinsights.MatchingMethod.AllEntities,
            },
          },
        },
        { parent, dependsOn: [onboarding, ...(args.after ?? [])] },
      ),
  );
  return { onboarding, defender, rules };
}
