/**
 * What the detections (detections.ts) watch for: the security incident alert, the privileged roles, the activity log
 * operations that weaken the audit trail, the function packages' ship window and its grants, and the thresholds of the
 * bulk-read rules.
 */
import { BuiltInRoles } from "../shared";
import type { AlertSpec } from "./alerts";
import { FRESHNESS_LOOKBACK_MINUTES, isoMinutes } from "./sla";

/**
 * Sentinel raises incidents but notifies no one by itself (its automation rules and playbooks are the other way):
 * this log alert on the incidents table sends each new one to security operations (`AlertRouting`'s security group,
 * `operations.securityContactEmails`), one alert per incident (split by its number). An incident writes a row on each
 * change, so its latest row says where it stands: the alert fires while that is `New` (nobody has taken it) and
 * resolves once someone sets it Active or closes it, looking back two days (the longest a log alert may). Every 5
 * minutes; a stateful alert fires once per incident.
 */
export const SECURITY_INCIDENT_ALERT = {
  key: "security-incident",
  severity: 1,
  displayName: "Microsoft Sentinel: security incident nobody has taken",
  description:
    "A Microsoft Sentinel incident still New (analytics rules, Defender for Cloud alerts); resolves when it is taken. See docs/runbook.md.",
  signal: {
    kind: "log",
    query: [
      "SecurityIncident",
      "| summarize arg_max(TimeGenerated, Status) by IncidentNumber",
      '| where Status == "New"',
      "| project Incident = tostring(IncidentNumber)",
    ].join("\n"),
    windowMinutes: 5,
    frequencyMinutes: 5,
    queryTimeRange: isoMinutes(FRESHNESS_LOOKBACK_MINUTES),
    dimensions: ["Incident"],
  },
} as const satisfies AlertSpec;

/** Privileged roles whose assignment raises an incident (Owner, User Access Administrator, Contributor, RBAC and Key Vault administrators). */
export const PRIVILEGED_ROLES = [
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", // Owner
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", // User Access Administrator
  "b24988ac-6180-42a0-ab88-20f7382dd24c", // Contributor
  "f58310d9-a9f6-439a-9e8d-f62e7b41a168", // Role Based Access Control Administrator
  BuiltInRoles.KeyVaultAdministrator,
] as const;

/**
 * Activity log operations that weaken the audit trail or grant a way in that no role assignment shows (the
 * `audit-trail-or-access-change` rule): deletes of what records or reviews (diagnostic settings, alert and analytics
 * rules, action groups, data connectors, locks, the workspace, Sentinel's onboarding), a purge, a workspace or table
 * retention change, a Defender plan or security contact written, and writes of a SQL Entra admin or firewall rule, a
 * Cosmos DB data-plane role assignment or a federated credential.
 */
export const AUDIT_TRAIL_OR_ACCESS_OPERATIONS = [
  // Deleted, or rewritten (a setting without its categories, a rule disabled, an action group without its
  // receivers): the stack's own deploys write these too when a reviewed change touches them.
  "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE",
  "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/WRITE",
  "MICROSOFT.INSIGHTS/SCHEDULEDQUERYRULES/DELETE",
  "MICROSOFT.INSIGHTS/SCHEDULEDQUERYRULES/WRITE",
  "MICROSOFT.INSIGHTS/METRICALERTS/DELETE",
  "MICROSOFT.INSIGHTS/METRICALERTS/WRITE",
  "MICROSOFT.INSIGHTS/ACTIVITYLOGALERTS/DELETE",
  "MICROSOFT.INSIGHTS/ACTIVITYLOGALERTS/WRITE",
  "MICROSOFT.INSIGHTS/ACTIONGROUPS/DELETE",
  "MICROSOFT.INSIGHTS/ACTIONGROUPS/WRITE",
  "MICROSOFT.SECURITYINSIGHTS/ALERTRULES/DELETE",
  "MICROSOFT.SECURITYINSIGHTS/ALERTRULES/WRITE",
  "MICROSOFT.SECURITYINSIGHTS/DATACONNECTORS/DELETE",
  // The Defender connector's alerts switched off by a rewrite, Sentinel offboarded (no rule runs after it).
  "MICROSOFT.SECURITYINSIGHTS/DATACONNECTORS/WRITE",
  "MICROSOFT.SECURITYINSIGHTS/ONBOARDINGSTATES/DELETE",
  // A Defender for Cloud plan set back to Free (its threat detection off) or the security contact changed: the
  // subscription deployment that sets them does not change with them, so neither the drift check nor `up` sees it.
  "MICROSOFT.SECURITY/PRICINGS/WRITE",
  "MICROSOFT.SECURITY/SECURITYCONTACTS/WRITE",
  "MICROSOFT.SECURITY/SECURITYCONTACTS/DELETE",
  // What silences without deleting: an alert processing rule that mutes action groups (the stack writes only dev's
  // off-hours one), a Sentinel automation rule that closes incidents (the stack writes none).
  "MICROSOFT.ALERTSMANAGEMENT/ACTIONRULES/WRITE",
  "MICROSOFT.SECURITYINSIGHTS/AUTOMATIONRULES/WRITE",
  "MICROSOFT.AUTHORIZATION/LOCKS/DELETE",
  // The VNet's flow log disabled, narrowed or deleted (it lives in the Network Watcher's group, outside the stack's
  // locks): the operation name as the activity log records it (Azure/azure-policy#1402 quotes the write).
  "MICROSOFT.NETWORK/NETWORKWATCHERS/FLOWLOGS/WRITE",
  "MICROSOFT.NETWORK/NETWORKWATCHERS/FLOWLOGS/DELETE",
  "MICROSOFT.OPERATIONALINSIGHTS/WORKSPACES/DELETE",
  "MICROSOFT.OPERATIONALINSIGHTS/WORKSPACES/PURGE/ACTION",
  "MICROSOFT.OPERATIONALINSIGHTS/WORKSPACES/TABLES/WRITE",
  // The workspace itself rewritten: its retentionInDays governs every table the stack does not override.
  "MICROSOFT.OPERATIONALINSIGHTS/WORKSPACES/WRITE",
  "MICROSOFT.SQL/SERVERS/ADMINISTRATORS/WRITE",
  // A way in through the SQL firewall (both servers take none: public network access is off).
  "MICROSOFT.SQL/SERVERS/FIREWALLRULES/WRITE",
  "MICROSOFT.DOCUMENTDB/DATABASEACCOUNTS/SQLROLEASSIGNMENTS/WRITE",
  "MICROSOFT.MANAGEDIDENTITY/USERASSIGNEDIDENTITIES/FEDERATEDIDENTITYCREDENTIALS/WRITE",
  // A customer-managed key's identity deleted (its lock lifted first): the service loses its key (customerManagedKey).
  "MICROSOFT.MANAGEDIDENTITY/USERASSIGNEDIDENTITIES/DELETE",
  // The workspace's deny-delete guard (or the PCI DSS initiative's assignment) removed, set to DoNotEnforce, its
  // definition changed, or an exemption from one written.
  "MICROSOFT.AUTHORIZATION/POLICYASSIGNMENTS/DELETE",
  "MICROSOFT.AUTHORIZATION/POLICYASSIGNMENTS/WRITE",
  "MICROSOFT.AUTHORIZATION/POLICYDEFINITIONS/WRITE",
  "MICROSOFT.AUTHORIZATION/POLICYDEFINITIONS/DELETE",
  "MICROSOFT.AUTHORIZATION/POLICYEXEMPTIONS/WRITE",
] as const;

/** How long after a grant to the app's identity its package writes are a ship's: the ship's attempts and Storage's 10-minute tail. */
export const SHIP_WINDOW_MINUTES = 30;

/**
 * How long the package rule waits before it reads a blob write: the grant it is matched with comes from the activity
 * log, "available … in 3 to 20 minutes" where resource logs take "3 to 10" (data-ingestion-time), so a blob row read
 * sooner could find its ship's grant not there yet ("When joining multiple data types, you must understand the
 * different delays for each data type", sentinel/ingestion-delay).
 */
export const SHIP_SETTLE_MINUTES = 30;

/**
 * Where the package rule's query names the package writer roles' GUIDs (known once the stack's subscription is):
 * `sentinel()` puts them in, quoted and comma-separated (`packageWriterRoleIds`).
 */
export const PACKAGE_WRITER_ROLES_TOKEN = '"{packageWriterRoleGuids}"';

/** Where a rule names the deploy identity (its service principal's object id: the activity log's `Caller` for it). */
export const DEPLOYERS_TOKEN = '"{deployPrincipals}"';

/**
 * A ship's grants in the activity log (a role assignment's Start event of a package writer role, whose request body
 * names the role and the principal: `Properties.RoleDefinitionId` and `Properties.PrincipalId`, the fields published
 * queries read), as a `let` the package rule joins per principal; a fuzzy union, so a workspace without the table yet
 * resolves it to no row.
 */
/**
 * Role assignments written, with the role's GUID as `RoleDefinitionId`: the role is in the request body, which only the
 * operation's Start event carries (the Success event has none: Learn, "Alert on privileged Azure role assignments"),
 * matched anywhere in the body, whatever its key casing.
 */
export const ROLE_ASSIGNMENT_STARTS = [
  '| where OperationNameValue =~ "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE" and ActivityStatusValue in~ ("Start", "Started")',
  '| extend RoleDefinitionId = extract(@"(?i)roleDefinitions/([0-9a-f-]{36})", 1, tostring(Properties_d.requestbody))',
];

export const GRANTS_TO_PRINCIPALS = [
  "let grants = union isfuzzy=true (AzureActivity",
  ...ROLE_ASSIGNMENT_STARTS,
  // Grants of the package writer roles only (a ship's): any other grant to the app's identity is the bypass itself.
  `| where RoleDefinitionId in~ (${PACKAGE_WRITER_ROLES_TOKEN})`,
  '| extend Principal = tolower(extract(@\'(?i)"principalId"\\s*:\\s*"([0-9a-f-]{36})"\', 1, tostring(Properties_d.requestbody)))',
  "| where isnotempty(Principal)",
  "| project GrantTime = TimeGenerated, Principal), (datatable(GrantTime: datetime, Principal: string)[]);",
].join("\n");

/** A person's hourly reads from one storage account that raise `storage-bulk-read`: 5 GiB, or 5,000 distinct files. */
export const STORAGE_BULK_READ = { bytes: 5 * 1024 ** 3, files: 5000 } as const;

/** Rows one call of a platform application may return before Sentinel's mass-read rule raises it. */
export const APP_STATEMENT_ROWS = 5000;
