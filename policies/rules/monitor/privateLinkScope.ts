/**
 * The Azure Monitor Private Link Scope in private-only access modes, and the subscription's activity log exported.
 */
import type * as monitor from "@pulumi/azure-native/monitor";
import { resourcePolicy } from "../../lib/policy";
import { presence, requireKnown, sameText, show, valueAt, who } from "../../lib/values";
import { PRIVATE_LINK_SCOPE } from "./shared";

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
