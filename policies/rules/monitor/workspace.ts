/**
 * Log Analytics workspaces and tables: retention, no daily cap, no local (key) authentication, no public ingestion or query.
 */
import type { PolicyConfigSchema, ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import type * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import { resourcePolicy, stackOfUrn } from "../../lib/policy";
import { isProdStack, prodStacksKnob } from "../../lib/scope";
import { oneOf, presence, requireKnown, sameText, valueAt, who } from "../../lib/values";
import { requireKnownTemplate, templateResources } from "../../lib/templates";
import { WORKSPACE, minRetentionDaysKnob, TABLE, TABLE_ARM_TYPE, DEPLOYMENT } from "./shared";

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

export const tableRetention = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-operationalinsights-table-configure-retention",
    description:
      "A Log Analytics table that overrides its workspace's retention or plan keeps its logs immediately available for at least 90 days (so not on the Basic plan, queryable 30 days; an Auxiliary table is queryable over its total retention, 30 days unless set) and in all (interactive plus long-term) at least 90 days, 365 in production stacks, and at most the configured maximum: a table's settings override the workspace's, so a short one on an audit table (SQLSecurityAuditEvents, AzureDiagnostics) would undo the workspace rule. Tables set through an inline ARM deployment's template (Azure creates its tables itself, which azure-native's typed Table cannot adopt) are held to the same.",
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
        "Minimum interactive retention of a table that sets its own (PCI DSS 10.5.1: three months, 90 days as the workspace rule counts them; the program's logLongTermRetention asks 92, the longest three months).",
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
  [TABLE, DEPLOYMENT],
  (props, args, report) => {
    const cfg = args.getConfig<{
      minRetentionDays: number;
      prodMinTotalRetentionDays: number;
      maxTotalRetentionDays: number;
    }>();
    const prod = isProdStack(args);
    if (args.type === DEPLOYMENT) {
      requireKnownTemplate(props);
      const raw = valueAt(props, "properties", "template", "resources");
      const entries = (Array.isArray(raw) ? raw : []).filter((e) => sameText(valueAt(e, "type"), TABLE_ARM_TYPE));
      const tables = templateResources({ props }).filter((r) => sameText(r.type, TABLE_ARM_TYPE));
      if (entries.length === 0 && tables.length === 0)
        args.notApplicable("its template declares no Log Analytics table");
      const labelOf = (name: unknown) =>
        `${who(args)} template's table ${typeof name === "string" && name !== "" ? tableOfEntry(name) : "(name not known)"}`;
      // Every table entry, whatever its condition, is readable: one its condition leaves out cannot hide another.
      let unreadable = false;
      for (const entry of entries) {
        // Properties not known during preview: undecided (reading an unknown value), never passed.
        if (presence(entry, "properties") === "unknown") void (entry as Record<string, unknown>).properties;
        const problem = unreadableTable(valueAt(entry, "properties"));
        if (!problem) continue;
        unreadable = true;
        report(
          `${labelOf(valueAt(entry, "name"))} ${problem}: write each value as a literal, as the Tables API spells it.`,
        );
      }
      if (!unreadable) for (const t of tables) checkTable(t.properties, labelOf(t.name), cfg, prod, args, report);
      return;
    }
    requireKnown(props, "plan");
    checkTable(props, who(args), cfg, prod, args, report);
  },
);

/**
 * What the pack cannot read in a template table's properties (ARM takes property names in any case and computes
 * expressions, so a value the rule cannot see could be anything): properties that are not an object, an expression, a
 * retention that is not a number, a setting spelt otherwise than the API's names. Undefined when all is readable.
 */
function unreadableTable(properties: unknown): string | undefined {
  if (properties === undefined || properties === null) return undefined; // a PUT of nothing: the defaults
  if (typeof properties !== "object" || Array.isArray(properties))
    return `sets its properties with ${JSON.stringify(properties)}, which the pack cannot read`;
  const names = ["plan", "retentionInDays", "totalRetentionInDays"];
  for (const [key, value] of Object.entries(properties as Record<string, unknown>)) {
    const name = names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (!name) continue;
    if (key !== name) return `spells ${name} as ${key}, which the pack does not read`;
    if (typeof value === "string" && value.startsWith("["))
      return `sets ${name} with an ARM expression the pack cannot read`;
    if (name !== "plan" && typeof value !== "number") return `sets ${name} to ${JSON.stringify(value)}, not a number`;
  }
  return undefined;
}

/** The table an ARM template entry names: the last segment of its name (`[concat(parameters('workspaceName'), '/T')]`). */
const tableOfEntry = (name: string): string => /([A-Za-z0-9_]+)'?\)?\]?$/.exec(name)?.[1] ?? name;

/** The table retention rule's checks of one table's settings (a Table's inputs or a template entry's properties). */
function checkTable(
  props: Record<string, unknown>,
  label: string,
  cfg: { minRetentionDays: number; prodMinTotalRetentionDays: number; maxTotalRetentionDays: number },
  prod: boolean,
  args: ResourceValidationArgs,
  report: ReportViolation,
): void {
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
        ? `${label} is on the Basic plan, queryable only 30 days: keep audit tables on the Analytics plan (plan "Analytics"), at least ${cfg.minRetentionDays} days interactive.`
        : `${label} keeps its logs ${interactive} days interactively, overriding the workspace: set retentionInDays to at least ${cfg.minRetentionDays} (or -1 for the workspace's).`,
    );
  }
  if (total !== undefined && total > cfg.maxTotalRetentionDays) {
    report(
      `${label} keeps its logs ${total} days in all, beyond the ${cfg.maxTotalRetentionDays}-day maximum (GDPR storage limitation; maxTotalRetentionDays): lower totalRetentionInDays.`,
    );
  }
  const minTotal = prod ? Math.max(cfg.minRetentionDays, cfg.prodMinTotalRetentionDays) : cfg.minRetentionDays;
  if (total !== undefined && total < minTotal) {
    report(
      `${label} keeps its logs ${total} days in all${prod ? ` in stack '${stackOfUrn(args.urn)}'` : ""}: set totalRetentionInDays to at least ${minTotal} (or -1 for the workspace's).`,
    );
  }
}

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

export const publicAccessConfig: PolicyConfigSchema["properties"] = {
  allowPublicQuery: {
    type: "boolean",
    default: false,
    description:
      "Allow publicNetworkAccessForQuery Enabled (portal queries from outside the private network; requires AMPLS and Entra-only auth).",
  },
};

/** Shared by the workspace and App Insights rules: both have publicNetworkAccessForIngestion/ForQuery. */
export function checkMonitorNetwork(
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
