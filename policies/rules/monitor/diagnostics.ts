/**
 * Diagnostic settings: each sends the required categories to a Log Analytics workspace, and every data resource has one.
 */
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type * as monitor from "@pulumi/azure-native/monitor";
import { ofType, pointsAt, resourcePolicy, stackPolicy } from "../../lib/policy";
import { typeIn } from "../../lib/typeToken";
import { isSet, oneOf, presence, requireKnown, sameText, valueAt, who } from "../../lib/values";
import { DIAGNOSTIC_SETTING } from "./shared";

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
