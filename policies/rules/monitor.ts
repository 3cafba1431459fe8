/**
 * Logging and monitoring: the central Log Analytics workspace, Application Insights, and the diagnostic settings
 * that send every data and security resource's audit logs to the workspace. PCI DSS requirement 10 (log, protect,
 * retain, review); GDPR Art. 30/33 (records, breach detection) and Art. 5(1)(e) (storage limitation, as an upper
 * bound on retention).
 *
 * Retention design (PCI DSS 10.5.1: keep audit log history for at least 12 months, with at least the most recent
 * three months immediately available for analysis). In Log Analytics the workspace's `retentionInDays` is the
 * interactive ("immediately available") retention; longer, cheaper history is set per table
 * (`operationalinsights.Table.totalRetentionInDays`, long-term retention), which this workspace rule cannot see.
 * So: every workspace keeps >= `minRetentionDays` (90) interactively; in `prodStacks` (the CDE) the workspace keeps
 * >= `prodMinRetentionDays` (365) because that is the only 12-month evidence the pack can verify from the workspace
 * itself. A stack that keeps the 12 months through table-level long-term retention sets `prodMinRetentionDays: 90`
 * in its policy config (and must show the table settings to the assessor). `maxRetentionDays` caps retention for
 * GDPR storage limitation.
 *
 * Network design: ingestion is always private (Azure Monitor Private Link Scope); diagnostic settings are unaffected
 * because they deliver over the Azure backbone. Query access is private by default too; `allowPublicQuery: true`
 * lets analysts query from the portal outside the private network, which is acceptable only with the workspace in
 * an AMPLS, local (key) auth disabled and access granted through Entra ID RBAC — the query data may contain personal
 * data, so the default is Disabled.
 */
import type { Policies, PolicyConfigSchema, ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import type * as monitor from "@pulumi/azure-native/monitor";
import type * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import { ofType, pointsAt, resourcePolicy, stackOfUrn, stackPolicy } from "../lib/policy";
import { isProdStack, prodStacksKnob } from "../lib/scope";
import { typeIn } from "../lib/typeToken";
import { isSet, oneOf, presence, requireKnown, sameText, show, valueAt, who } from "../lib/values";

const WORKSPACE = "azure-native:operationalinsights:Workspace";

/** The `minRetentionDays` knob of the workspace and table retention rules: 90 days by default (PCI DSS 10.5.1). */
const minRetentionDaysKnob = (description: string): PolicyConfigJSONSchema => ({
  type: "integer",
  minimum: 4,
  maximum: 730,
  default: 90,
  description,
});
const TABLE = "azure-native:operationalinsights:Table";
const COMPONENT = "azure-native:applicationinsights:Component";
const DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting";
const PRIVATE_LINK_SCOPE = "azure-native:monitor:PrivateLinkScope";

// ---------------------------------------------------------------------------------------------------------------
// Log Analytics workspace
// ---------------------------------------------------------------------------------------------------------------

export const workspaceRetention = resourcePolicy<operationalinsights.WorkspaceArgs>(
  {
    name: "azure-native-operationalinsights-workspace-configure-retention",
    description:
      "Log Analytics workspaces keep logs immediately available for at least 90 days (365 in production stacks) and no longer than the configured maximum.",
    severity: "high",
    pci: ["10.5.1"],
    gdpr: ["5(1)(e)", "5(2)", "33"],
    soc2: ["CC7.2"],
    service: "monitor",
    remediationSteps:
      "Set `retentionInDays` to at least 90 (`minRetentionDays`) and, in prod stacks, at least 365 (`prodMinRetentionDays`; lower it to 90 only when tables keep 12 months through `totalRetentionInDays`), and at most `maxRetentionDays` (730).",
    url: "https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure",
    config: {
      minRetentionDays: minRetentionDaysKnob(
        "Minimum interactive retention everywhere (PCI DSS 10.5.1: three months immediately available).",
      ),
      prodStacks: prodStacksKnob("Stacks that hold the cardholder data environment."),
      prodMinRetentionDays: {
        type: "integer",
        minimum: 4,
        maximum: 730,
        default: 365,
        description: "Minimum interactive retention in prodStacks (PCI DSS 10.5.1: twelve months of history).",
      },
      maxRetentionDays: {
        type: "integer",
        minimum: 4,
        maximum: 730,
        default: 730,
        description: "Maximum retention (GDPR Art. 5(1)(e) storage limitation).",
      },
    },
  },
  WORKSPACE,
  (props, args, report) => {
    const cfg = args.getConfig<{
      minRetentionDays: number;
      prodMinRetentionDays: number;
      maxRetentionDays: number;
    }>();
    const prod = isProdStack(args);
    const min = prod ? Math.max(cfg.minRetentionDays, cfg.prodMinRetentionDays) : cfg.minRetentionDays;
    // retentionInDays absent = 30 days (the PerGB2018 default): below any sensible minimum.
    const days = props.retentionInDays ?? 30;
    if (days < min) {
      report(
        `${who(args)} keeps logs ${days} days${props.retentionInDays === undefined ? " (default)" : ""}${prod ? ` in stack '${stackOfUrn(args.urn)}'` : ""}: set retentionInDays to at least ${min}.`,
      );
    } else if (days > cfg.maxRetentionDays) {
      report(
        `${who(args)} keeps logs ${days} days, beyond the ${cfg.maxRetentionDays}-day maximum: set retentionInDays to at most ${cfg.maxRetentionDays}.`,
      );
    }
  },
);

export const workspaceDailyCap = resourcePolicy<operationalinsights.WorkspaceArgs>(
  {
    name: "azure-native-operationalinsights-workspace-disallow-daily-cap",
    description:
      'Log Analytics workspaces in production stacks have no daily ingestion cap: once a cap is reached "data collection stops" for the rest of the day, so the SQL audit, Key Vault and sign-in records the workspace keeps would be dropped without a trace in the audit trail.',
    severity: "high",
    pci: ["10.2.1", "10.5.1", "10.7.2"],
    gdpr: ["32(1)(b)", "33"],
    soc2: ["CC7.2"],
    service: "monitor",
    remediationSteps:
      "Leave `workspaceCapping` unset or set `workspaceCapping.dailyQuotaGb: -1` (no cap); control cost with what is sent (diagnostic categories, sampling) and the operations tier's budget alerts instead.",
    url: "https://learn.microsoft.com/azure/azure-monitor/logs/daily-cap",
    config: { prodStacks: prodStacksKnob("Stacks that hold the cardholder data environment.") },
  },
  WORKSPACE,
  (props, args, report) => {
    if (!isProdStack(args)) args.notApplicable(`stack '${stackOfUrn(args.urn)}' is not in prodStacks`);
    requireKnown(props, "workspaceCapping", "dailyQuotaGb");
    // Absent or -1: no cap (the service default).
    const quota = valueAt(props, "workspaceCapping", "dailyQuotaGb");
    if (typeof quota === "number" && quota !== -1) {
      report(
        `${who(args)} stops collecting logs after ${quota} GB a day (workspaceCapping.dailyQuotaGb): remove the cap (-1), or audit records are dropped for the rest of the day.`,
      );
    }
  },
);

export const tableRetention = resourcePolicy<operationalinsights.TableArgs>(
  {
    name: "azure-native-operationalinsights-table-configure-retention",
    description:
      "A Log Analytics table that overrides its workspace's retention or plan keeps its logs immediately available for at least 90 days (so not on the Basic plan, queryable 30 days; an Auxiliary table is queryable over its total retention, 30 days unless set) and in all (interactive plus long-term) at least 90 days, 365 in production stacks, and at most the configured maximum: a table's settings override the workspace's, so a short one on an audit table (SQLSecurityAuditEvents, AzureDiagnostics) would undo the workspace rule.",
    severity: "high",
    pci: ["10.5.1"],
    gdpr: ["5(1)(e)", "5(2)", "32(1)(b)", "33"],
    soc2: ["CC7.2"],
    service: "monitor",
    remediationSteps:
      'Leave `plan` unset or "Analytics" and `retentionInDays` and `totalRetentionInDays` unset (or -1: the workspace\'s), or set `retentionInDays` to at least 90 (`minRetentionDays`) and `totalRetentionInDays` to at least 90, 365 in prod stacks (`prodMinTotalRetentionDays`).',
    url: "https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure",
    config: {
      minRetentionDays: minRetentionDaysKnob(
        "Minimum interactive retention of a table that sets its own (PCI DSS 10.5.1: three months).",
      ),
      prodStacks: prodStacksKnob("Stacks that hold the cardholder data environment."),
      prodMinTotalRetentionDays: {
        type: "integer",
        minimum: 4,
        maximum: 4383,
        default: 365,
        description: "Minimum total retention of a table in prodStacks (PCI DSS 10.5.1: twelve months of history).",
      },
      maxTotalRetentionDays: {
        type: "integer",
        minimum: 4,
        maximum: 4383,
        default: 730,
        description:
          "Longest total retention of a table (GDPR Art. 5(1)(e)), as the workspace rule's maximum: logs hold client IPs and identities.",
      },
    },
  },
  TABLE,
  (props, args, report) => {
    const cfg = args.getConfig<{
      minRetentionDays: number;
      prodMinTotalRetentionDays: number;
      maxTotalRetentionDays: number;
    }>();
    const prod = isProdStack(args);
    requireKnown(props, "plan");
    // "Basic plan tables have a fixed period of 30 days for queries while Auxiliary plan tables can be queried for the
    // total retention period", and "Basic and Auxiliary tables only have a total retention period, which is 30 days by
    // default" (data-retention-configure): the plan decides, not the retention a program sets.
    const basic = oneOf(props.plan, ["Basic"]);
    const auxiliary = oneOf(props.plan, ["Auxiliary"]);
    // Absent or -1: the workspace's retention (the Table API's default), which the workspace rule checks.
    const own = (v: unknown) => (typeof v === "number" && v >= 0 ? v : undefined);
    const planTotal = own(props.totalRetentionInDays) ?? 30;
    // An Auxiliary table's queries reach its whole total retention, which the total check below reads.
    const interactive = basic ? 30 : auxiliary ? undefined : own(props.retentionInDays);
    // totalRetentionInDays absent or -1: the table's own retention, not the workspace's (the Table API).
    const total = basic || auxiliary ? planTotal : (own(props.totalRetentionInDays) ?? interactive);
    if (interactive !== undefined && interactive < cfg.minRetentionDays) {
      report(
        basic
          ? `${who(args)} is on the Basic plan, queryable only 30 days: keep audit tables on the Analytics plan (plan "Analytics"), at least ${cfg.minRetentionDays} days interactive.`
          : `${who(args)} keeps its logs ${interactive} days interactively, overriding the workspace: set retentionInDays to at least ${cfg.minRetentionDays} (or -1 for the workspace's).`,
      );
    }
    if (total !== undefined && total > cfg.maxTotalRetentionDays) {
      report(
        `${who(args)} keeps its logs ${total} days in all, beyond the ${cfg.maxTotalRetentionDays}-day maximum (GDPR storage limitation; maxTotalRetentionDays): lower totalRetentionInDays.`,
      );
    }
    const minTotal = prod ? Math.max(cfg.minRetentionDays, cfg.prodMinTotalRetentionDays) : cfg.minRetentionDays;
    if (total !== undefined && total < minTotal) {
      report(
        `${who(args)} keeps its logs ${total} days in all${prod ? ` in stack '${stackOfUrn(args.urn)}'` : ""}: set totalRetentionInDays to at least ${minTotal} (or -1 for the workspace's).`,
      );
    }
  },
);

export const workspaceLocalAuth = resourcePolicy<operationalinsights.WorkspaceArgs>(
  {
    name: "azure-native-operationalinsights-workspace-disable-local-auth",
    description:
      "Log Analytics workspaces accept only Microsoft Entra ID authentication, not shared workspace keys, so audit logs cannot be written or read with a leaked key.",
    severity: "high",
    pci: ["10.3.1", "10.3.2", "8.2.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1", "CC7.2"],
    service: "monitor",
    remediationSteps:
      "Set `features.disableLocalAuth: true` (agents use the Azure Monitor Agent with managed identity).",
    url: "https://learn.microsoft.com/azure/azure-monitor/logs/azure-ad-authentication-logs",
  },
  WORKSPACE,
  (props, args, report) => {
    // Absent = false (keys enabled).
    if (props.features?.disableLocalAuth !== true) {
      report(`${who(args)} accepts workspace keys: set features.disableLocalAuth to true.`);
    }
  },
);

const publicAccessConfig: PolicyConfigSchema["properties"] = {
  allowPublicQuery: {
    type: "boolean",
    default: false,
    description:
      "Allow publicNetworkAccessForQuery Enabled (portal queries from outside the private network; requires AMPLS and Entra-only auth).",
  },
};

/** Shared by the workspace and App Insights rules: both have publicNetworkAccessForIngestion/ForQuery. */
function checkMonitorNetwork(
  props: { publicNetworkAccessForIngestion?: string; publicNetworkAccessForQuery?: string },
  args: ResourceValidationArgs,
  report: ReportViolation,
) {
  const { allowPublicQuery } = args.getConfig<{ allowPublicQuery: boolean }>();
  // Both absent = Enabled (Azure default).
  if (!sameText(props.publicNetworkAccessForIngestion, "Disabled")) {
    report(
      `${who(args)} accepts ingestion from public networks: set publicNetworkAccessForIngestion to "Disabled" and ingest through an Azure Monitor Private Link Scope.`,
    );
  }
  if (!allowPublicQuery && !sameText(props.publicNetworkAccessForQuery, "Disabled")) {
    report(
      `${who(args)} can be queried from public networks: set publicNetworkAccessForQuery to "Disabled" (or allow it with the allowPublicQuery config when the resource is in an AMPLS).`,
    );
  }
}

export const workspaceNetwork = resourcePolicy<operationalinsights.WorkspaceArgs>(
  {
    name: "azure-native-operationalinsights-workspace-disallow-public-network-access",
    description:
      "Log Analytics workspaces take ingestion only through private link, and queries too unless the stack allows public queries.",
    severity: "medium",
    pci: ["1.4.4", "10.3.2"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "monitor",
    remediationSteps:
      'Set `publicNetworkAccessForIngestion: "Disabled"` and `publicNetworkAccessForQuery: "Disabled"` and link the workspace to an Azure Monitor Private Link Scope (config `allowPublicQuery` relaxes the query side).',
    url: "https://learn.microsoft.com/azure/azure-monitor/logs/private-link-security",
    config: publicAccessConfig,
  },
  WORKSPACE,
  (props, args, report) => checkMonitorNetwork(props, args, report),
);

// ---------------------------------------------------------------------------------------------------------------
// Application Insights
// ---------------------------------------------------------------------------------------------------------------

export const componentLocalAuth = resourcePolicy<applicationinsights.ComponentArgs>(
  {
    name: "azure-native-applicationinsights-component-disable-local-auth",
    description:
      "Application Insights components accept telemetry only with Microsoft Entra ID authentication, not with the instrumentation key alone.",
    severity: "medium",
    pci: ["10.3.2", "8.2.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "monitor",
    remediationSteps:
      "Set `disableLocalAuth: true` and give the function app's identity Monitoring Metrics Publisher on the component.",
    url: "https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication",
  },
  COMPONENT,
  (props, args, report) => {
    // Absent = false (instrumentation-key ingestion allowed).
    if (props.disableLocalAuth !== true) {
      report(`${who(args)} accepts unauthenticated telemetry: set disableLocalAuth to true.`);
    }
  },
);

export const componentWorkspace = resourcePolicy<applicationinsights.ComponentArgs>(
  {
    name: "azure-native-applicationinsights-component-require-log-analytics-workspace",
    description:
      "Application Insights components are workspace-based, so their telemetry is kept, protected and retained with the central Log Analytics workspace.",
    severity: "medium",
    pci: ["10.3.3", "10.5.1"],
    gdpr: ["5(2)", "32(1)(b)"],
    soc2: ["CC7.2"],
    service: "monitor",
    remediationSteps:
      'Set `workspaceResourceId` to the central Log Analytics workspace id and leave `ingestionMode` unset or `"LogAnalytics"`.',
    url: "https://learn.microsoft.com/azure/azure-monitor/app/create-workspace-resource",
  },
  COMPONENT,
  (props, args, report) => {
    // workspaceResourceId absent = a classic (non-workspace) component.
    if (!isSet(props, "workspaceResourceId")) {
      report(`${who(args)} is not workspace-based: set workspaceResourceId to the Log Analytics workspace id.`);
    } else if (props.ingestionMode !== undefined && !sameText(props.ingestionMode, "LogAnalytics")) {
      report(`${who(args)} ingests in '${props.ingestionMode}' mode: set ingestionMode to "LogAnalytics".`);
    }
  },
);

export const componentNetwork = resourcePolicy<applicationinsights.ComponentArgs>(
  {
    name: "azure-native-applicationinsights-component-disallow-public-network-access",
    description:
      "Application Insights components take telemetry only through private link, and queries too unless the stack allows public queries.",
    severity: "medium",
    pci: ["1.4.4", "10.3.2"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "monitor",
    remediationSteps:
      'Set `publicNetworkAccessForIngestion: "Disabled"` and `publicNetworkAccessForQuery: "Disabled"` and add the component to the Azure Monitor Private Link Scope (config `allowPublicQuery` relaxes the query side).',
    url: "https://learn.microsoft.com/azure/azure-monitor/logs/private-link-security",
    config: publicAccessConfig,
  },
  COMPONENT,
  (props, args, report) => checkMonitorNetwork(props, args, report),
);

export const componentIpMasking = resourcePolicy<applicationinsights.ComponentArgs>(
  {
    name: "azure-native-applicationinsights-component-disallow-ip-address-collection",
    description:
      "Application Insights components keep IP masking on, so client IP addresses (personal data) are not stored in telemetry.",
    severity: "medium",
    pci: [],
    gdpr: ["5(1)(c)", "25"],
    soc2: ["P4.1"],
    service: "monitor",
    remediationSteps: "Remove `disableIpMasking` or set it to `false`.",
    url: "https://learn.microsoft.com/azure/azure-monitor/app/ip-collection",
  },
  COMPONENT,
  (props, args, report) => {
    // Absent = false (IP addresses are masked), the Azure default.
    if (props.disableIpMasking === true) {
      report(`${who(args)} stores client IP addresses: set disableIpMasking to false.`);
    }
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Diagnostic settings
// ---------------------------------------------------------------------------------------------------------------

const categoryGroupsKnob: PolicyConfigJSONSchema = {
  type: "array",
  items: { type: "string" },
  default: ["audit", "allLogs"],
  description: "Log category groups that satisfy the rule (one enabled entry is enough).",
};

const auditCategoriesKnob: PolicyConfigJSONSchema = {
  type: "array",
  items: { type: "string" },
  default: ["SQLSecurityAuditEvents"],
  description:
    "Audit log categories that satisfy the rule when named instead of a category group (SQL auditing on the master database, where Microsoft's docs name the categories).",
};

/**
 * The categories a setting that names categories (no category group) must name for its resource's type: for a
 * Synapse workspace the record of RBAC grants and of control-plane calls beside the SQL audit, for a dedicated pool
 * its requests beside its audit (azure-monitor/reference/supported-logs, the types' pages). Keyed by the resource
 * type in the setting's `resourceUri` (lower case).
 */
export const REQUIRED_CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  "microsoft.sql/servers/databases": ["SQLSecurityAuditEvents"],
  "microsoft.synapse/workspaces": ["SynapseRbacOperations", "GatewayApiRequests", "SQLSecurityAuditEvents"],
  "microsoft.synapse/workspaces/sqlpools": ["SqlRequests", "SQLSecurityAuditEvents"],
};

/** The ARM resource type of a resource id (`microsoft.synapse/workspaces/sqlpools`), lower case. */
export function armTypeOf(id: string): string | undefined {
  const m = /\/providers\/([^/]+)\/(.+)$/i.exec(id.replace(/\/+$/, ""));
  if (!m) return undefined;
  const parts = m[2].split("/");
  const types = parts.filter((_, i) => i % 2 === 0);
  return [m[1], ...types].join("/").toLowerCase();
}

export const diagnosticDestination = resourcePolicy<monitor.DiagnosticSettingArgs>(
  {
    name: "azure-native-monitor-diagnosticsetting-configure-log-analytics-destination",
    description:
      "Diagnostic settings send the audit (or all) log category group, or a named audit category, to a Log Analytics workspace, where logs are protected, retained and reviewed.",
    severity: "high",
    pci: ["10.2.1", "10.2.1.2", "10.3.3", "10.4.1.1"],
    gdpr: ["5(2)", "32(1)(b)", "33"],
    soc2: ["CC7.2"],
    service: "monitor",
    remediationSteps:
      'Set `workspaceId` to the central workspace id and `logs: [{ categoryGroup: "audit", enabled: true }]` (or `"allLogs"`); for storage, target the blob service (`<account id>/blobServices/default`), which has logs.',
    url: "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings",
    config: { categoryGroups: categoryGroupsKnob, auditCategories: auditCategoriesKnob },
  },
  DIAGNOSTIC_SETTING,
  (props, args, report) => {
    const { categoryGroups, auditCategories } = args.getConfig<{
      categoryGroups: string[];
      auditCategories: string[];
    }>();
    // workspaceId absent = logs go only to storage/Event Hubs/partner, outside the central workspace.
    if (!isSet(props, "workspaceId")) {
      report(`${who(args)} sends logs to no Log Analytics workspace: set workspaceId.`);
    }
    // logs absent = no log categories at all (metrics only).
    const ok = (props.logs ?? []).some(
      (l) => l?.enabled === true && (oneOf(l.categoryGroup, categoryGroups) || oneOf(l.category, auditCategories)),
    );
    if (!ok) {
      report(
        `${who(args)} does not send the ${categoryGroups.join(" or ")} category group: add logs entry { categoryGroup: "${categoryGroups[0]}", enabled: true }.`,
      );
      return;
    }
    // Named categories instead of a group: every category its resource's type requires (one audit category alone
    // would let a Synapse workspace drop the record of its RBAC grants).
    const logs = props.logs ?? [];
    if (logs.some((l) => l?.enabled === true && oneOf(l.categoryGroup, categoryGroups))) return;
    if (presence(props, "resourceUri") === "unknown") requireKnown(props, "resourceUri");
    const type = typeof props.resourceUri === "string" ? armTypeOf(props.resourceUri) : undefined;
    const required = type === undefined ? [] : (REQUIRED_CATEGORIES[type] ?? []);
    const named = logs.filter((l) => l?.enabled === true).map((l) => l?.category);
    const missing = required.filter((c) => !named.some((n) => sameText(n, c)));
    if (missing.length > 0) {
      report(
        `${who(args)} names its log categories but leaves out ${missing.join(", ")}, which a ${type} must send: add them (or the "${categoryGroups[0]}" category group).`,
      );
    }
  },
);

/** Data and security resources whose audit logs must reach the workspace. */
export const DIAGNOSED_TYPES = [
  "azure-native:sql:Server",
  "azure-native:sql:Database",
  "azure-native:synapse:Workspace",
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:datafactory:Factory",
  "azure-native:machinelearningservices:Workspace",
  "azure-native:keyvault:Vault",
  "azure-native:storage:StorageAccount",
  "azure-native:network:ApplicationGateway",
  "azure-native:eventhub:Namespace",
  "azure-native:network:NetworkSecurityGroup",
  "azure-native:containerregistry:Registry",
  "azure-native:machinelearningservices:OnlineEndpoint",
  // The egress firewall (network and application rule hits, threat-intelligence and IDPS alerts: PCI DSS 10.2). Not
  // the function apps: their telemetry goes to workspace-based Application Insights, sampled; a site diagnostic
  // setting would send FunctionAppLogs for every invocation unsampled (tens of thousands of lines a second at the
  // seed's load).
  "azure-native:network:AzureFirewall",
  // The audit trail's own audit: who queried it (LAQueryLogs, PCI DSS 10.2.1.3).
  "azure-native:operationalinsights:Workspace",
  // The dedicated SQL pool's own audit (SQLSecurityAuditEvents), the streaming job's execution logs, the public IPs'
  // DDoS notifications and mitigation reports, the VNet's protection alerts and the vaults' event topics' delivery
  // failures: the program sends each (the policy pack review found no rule requiring them).
  "azure-native:synapse:SqlPool",
  "azure-native:streamanalytics:StreamingJob",
  "azure-native:network:PublicIPAddress",
  "azure-native:network:VirtualNetwork",
  "azure-native:eventgrid:SystemTopic",
];

/**
 * Sub-resources whose diagnostic setting carries a resource's logs: a storage account's logs are per service (the
 * account itself has metrics only), a logical server's audit goes through its master database's setting.
 */
export const DIAGNOSED_SUB_RESOURCES: Readonly<Record<string, readonly string[]>> = {
  "azure-native:storage:StorageAccount": [
    "/blobServices/default",
    "/fileServices/default",
    "/queueServices/default",
    "/tableServices/default",
  ],
  "azure-native:sql:Server": ["/databases/master"],
};

/** Whether a diagnostic setting sends logs: an enabled `logs` entry (enabled unknown during preview counts). */
function sendsLogs(props: Record<string, unknown>): boolean {
  const logs = valueAt(props, "logs");
  if (presence(props, "logs") === "unknown") return true;
  return (
    Array.isArray(logs) &&
    logs.some((l, i) => presence(logs, String(i)) === "unknown" || valueAt(logs, String(i), "enabled") !== false)
  );
}

export const diagnosticCoverage = stackPolicy(
  {
    name: "azure-native-monitor-diagnosticsetting-missing-for-data-resource",
    description:
      "Every data or security resource (SQL, Synapse and its dedicated pools, Cosmos DB, Data Factory, ML, Key Vault, storage, App Gateway, Event Hubs, Stream Analytics, NSGs, the VNet and public IPs, Event Grid system topics, and the Log Analytics workspace itself, whose audit category records who queried the audit trail) has a diagnostic setting that sends its logs to a Log Analytics workspace.",
    severity: "high",
    pci: ["10.2.1", "10.2.2", "10.3.3", "10.4.1.1"],
    gdpr: ["5(2)", "32(1)(b)", "33"],
    soc2: ["CC7.2"],
    service: "monitor",
    remediationSteps:
      "Add a `monitor.DiagnosticSetting` with `resourceUri` set from the resource's `id` (for storage: `<id>/blobServices/default`), `workspaceId` set, and `logs: [{ categoryGroup: \"audit\", enabled: true }]` — e.g. through the component's `diagnosticSettings` option.",
    url: "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings",
    config: {
      resourceTypes: {
        type: "array",
        items: { type: "string" },
        default: DIAGNOSED_TYPES,
        description: "Type tokens of the resources that need a diagnostic setting.",
      },
    },
  },
  (args, report) => {
    const { resourceTypes } = args.getConfig<{ resourceTypes: string[] }>();
    const targets = args.resources.filter((r) => typeIn(resourceTypes, r.type));
    if (targets.length === 0) args.notApplicable("no resources of the configured types");
    // A setting counts when it has a workspaceId (an unknown one counts: it is wired to some output).
    const settings = ofType(args.resources, DIAGNOSTIC_SETTING).filter((s) => isSet(s.props, "workspaceId"));
    for (const target of targets) {
      // The resource itself or one of its log-bearing sub-resources, never a child (a database is not its server).
      const suffixes = DIAGNOSED_SUB_RESOURCES[target.type] ?? [];
      // A storage account's own setting carries its metrics only: its logs need a service's, one that sends logs
      // (while ids are unknown, during a first preview, the account's own setting is told apart by having none).
      const storage = target.type === "azure-native:storage:StorageAccount";
      const covers = (s: (typeof settings)[number]) =>
        pointsAt(s, target, "resourceUri", suffixes, { self: !storage }) && (!storage || sendsLogs(s.props));
      if (!settings.some(covers)) {
        report(
          `${target.name} (${target.urn}) has no diagnostic setting sending its logs to a Log Analytics workspace: add a monitor.DiagnosticSetting with resourceUri from its id and workspaceId set.`,
          target.urn,
        );
      }
    }
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Azure Monitor Private Link Scope
// ---------------------------------------------------------------------------------------------------------------

export const privateLinkScopeAccessMode = resourcePolicy<monitor.PrivateLinkScopeArgs>(
  {
    name: "azure-native-monitor-privatelinkscope-enforce-private-only-access",
    description:
      "Azure Monitor Private Link Scopes let clients in the private network reach only the monitoring resources in the scope, for both queries and ingestion (by default and in every per-endpoint exclusion), so logs cannot be read from or sent to workspaces outside it.",
    severity: "medium",
    pci: ["1.4.4", "10.3.2"],
    gdpr: ["32(1)(b)", "44"],
    soc2: ["CC6.6"],
    service: "monitor",
    remediationSteps:
      'Set `accessModeSettings.queryAccessMode` and `accessModeSettings.ingestionAccessMode` to "PrivateOnly", give no `accessModeSettings.exclusions` entry an "Open" mode, and add every workspace and Application Insights component the network uses to the scope (monitor.PrivateLinkScopedResource).',
    url: "https://learn.microsoft.com/azure/azure-monitor/logs/private-link-design#control-how-private-links-apply-to-your-networks",
  },
  PRIVATE_LINK_SCOPE,
  (props, args, report) => {
    // accessModeSettings is required by the API; "Open" lets the network reach any workspace over public endpoints.
    const modes = ["queryAccessMode", "ingestionAccessMode"] as const;
    for (const key of modes) {
      const mode = props.accessModeSettings?.[key];
      if (!sameText(mode, "PrivateOnly")) {
        report(`${who(args)} has accessModeSettings.${key} ${JSON.stringify(mode ?? null)}: set it to "PrivateOnly".`);
      }
    }
    // Exclusions "override the default access mode settings for specific private endpoint connections"
    // (AccessModeSettingsExclusion in @pulumi/azure-native types/input.d.ts): one that sets "Open" opens that
    // endpoint's network; a mode it leaves out is the default one, checked above. Unknown during preview: undecided.
    if (presence(props, "accessModeSettings", "exclusions") === "unknown")
      requireKnown(props, "accessModeSettings", "exclusions");
    const exclusions = valueAt(props, "accessModeSettings", "exclusions");
    for (let i = 0; i < (Array.isArray(exclusions) ? exclusions.length : 0); i++) {
      const open: string[] = [];
      for (const key of modes) {
        if (presence(exclusions, String(i), key) === "unknown") requireKnown(exclusions, String(i), key);
        const mode = valueAt(exclusions, String(i), key);
        if (mode !== undefined && mode !== null && !sameText(mode, "PrivateOnly")) open.push(`${key} ${show(mode)}`);
      }
      if (open.length > 0) {
        report(
          `${who(args)} has accessModeSettings.exclusions[${i}] (private endpoint connection ${show(valueAt(exclusions, String(i), "privateEndpointConnectionName"))}) with ${open.join(", ")}: set them to "PrivateOnly" or remove the exclusion.`,
        );
      }
    }
  },
);

/** Activity log categories an auditor reads: who changed what, security events, policy evaluations. */
export const REQUIRED_ACTIVITY_LOG_CATEGORIES = ["Administrative", "Security", "Policy"];

export const activityLogExport = resourcePolicy<monitor.SubscriptionDiagnosticSettingArgs>(
  {
    name: "azure-native-monitor-subscriptiondiagnosticsetting-require-activity-log-export",
    description:
      "A subscription's activity log export sends at least the Administrative, Security and Policy categories to a Log Analytics workspace: Azure keeps activity log events 90 days, PCI DSS asks for twelve months.",
    severity: "high",
    pci: ["10.2.1.2", "10.2.2", "10.5.1"],
    gdpr: ["5(2)", "32(1)(b)", "33"],
    soc2: ["CC7.2"],
    service: "monitor",
    remediationSteps:
      "Set `workspaceId` to the central workspace and enable at least the Administrative, Security and Policy categories in `logs` (config `requiredCategories`).",
    url: "https://learn.microsoft.com/azure/azure-monitor/platform/activity-log",
    config: {
      requiredCategories: {
        type: "array",
        items: { type: "string" },
        default: REQUIRED_ACTIVITY_LOG_CATEGORIES,
        description: "Activity log categories the export must enable.",
      },
    },
  },
  "azure-native:monitor:SubscriptionDiagnosticSetting",
  (props, args, report) => {
    const { requiredCategories } = args.getConfig<{ requiredCategories: string[] }>();
    if (presence(props, "workspaceId") === "absent")
      report(`${who(args)} sends the activity log to no Log Analytics workspace: set workspaceId.`);
    if (presence(props, "logs") === "unknown") requireKnown(props, "logs");
    const logs = valueAt(props, "logs");
    const enabled = (Array.isArray(logs) ? logs : [])
      .filter((l) => valueAt(l, "enabled") === true)
      .map((l) => String(valueAt(l, "category") ?? ""));
    const missing = requiredCategories.filter((c) => !enabled.some((e) => sameText(e, c)));
    if (missing.length > 0) report(`${who(args)} does not export ${missing.join(", ")}: enable them in logs.`);
  },
);

export const monitorPolicies: Policies = [
  workspaceRetention,
  workspaceDailyCap,
  tableRetention,
  workspaceLocalAuth,
  workspaceNetwork,
  componentLocalAuth,
  componentWorkspace,
  componentNetwork,
  componentIpMasking,
  diagnosticDestination,
  diagnosticCoverage,
  privateLinkScopeAccessMode,
  activityLogExport,
];
