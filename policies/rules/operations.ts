/**
 * Operations: what the operations tier guarantees at run time. Stateful data stores are watched (their diagnostics
 * reach the workspace and an alert rule watches them), every alert reaches people (an action group), and the
 * production workspace runs Microsoft Sentinel. PCI DSS requirement 10.4.1 (review of security events), 10.7
 * (failures of critical security controls detected and responded to) and 12.10 (incident response).
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import type * as monitor from "@pulumi/azure-native/monitor";
import {
  listPointsAt,
  ofType,
  pointsAt,
  logAlertWatches,
  refersTo,
  resourcePolicy,
  stackOfUrn,
  stackPolicy,
} from "../lib/policy";
import { DIAGNOSED_SUB_RESOURCES } from "./monitor";
import { prodStacksKnob } from "../lib/scope";
import { typeIn } from "../lib/typeToken";
import { isSet, presence, requireKnown, safeGet, valueAt, who } from "../lib/values";

const DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting";
const METRIC_ALERT = "azure-native:monitor:MetricAlert";
const LOG_ALERT = "azure-native:monitor:ScheduledQueryRule";
const ACTIVITY_LOG_ALERT = "azure-native:monitor:ActivityLogAlert";
const WORKSPACE = "azure-native:operationalinsights:Workspace";
const SENTINEL = "azure-native:securityinsights:SentinelOnboardingState";

/** Stateful data stores whose health must page someone. */
export const WATCHED_DATA_TYPES = [
  "azure-native:sql:Database",
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:synapse:SqlPool",
  "azure-native:datafactory:Factory",
];

/**
 * Alert rules that watch `target`: a metric alert scoped on it (one of `scopes` is its id), or a log alert scoped on
 * it or whose criteria keep its rows (`_ResourceId =~ "<id>"`, an `in (...)` list, an Include dimension).
 * Exact ids: an alert on a child (a Cosmos DB account's database) or on a sibling whose name starts with the
 * target's does not count; during preview, the alert's property dependency on the target decides.
 */
function watchers(resources: readonly PolicyResource[], target: PolicyResource): PolicyResource[] {
  // A disabled alert watches nothing (`enabled: false`; absent is on for both types).
  const on = (a: PolicyResource) => safeGet(a.props, "enabled") !== false;
  return [
    ...ofType(resources, METRIC_ALERT).filter((a) => on(a) && listPointsAt(a, target, "scopes")),
    ...ofType(resources, LOG_ALERT).filter((a) => on(a) && logAlertWatches(a, target)),
  ];
}

export const dataStoreAlerts = stackPolicy(
  {
    name: "azure-native-monitor-alert-missing-for-data-store",
    description:
      "Every stateful data store (SQL database, Cosmos DB account, Synapse dedicated pool, Data Factory) has a diagnostic setting to a Log Analytics workspace and at least one alert rule that watches it (a metric alert scoped on it or a log alert whose query names it), so its failures reach on-call.",
    severity: "high",
    // Not 10.7.2 or 12.10.5: the alerts it accepts watch capacity and availability (a database is not a security
    // control system, and a throttling alert is not security monitoring).
    pci: ["10.4.1"],
    gdpr: ["32(1)(b)", "33"],
    soc2: ["A1.1", "CC7.2", "CC7.3"],
    service: "monitor",
    remediationSteps:
      "Send the resource's logs to the workspace (`diagnosticSettings` of its component) and pass the resource to the operations tier in index.ts (e.g. `etl: { factoryId: etl.factoryId }`), which adds its SLA and capacity alerts.",
    url: "https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-overview",
    config: {
      resourceTypes: {
        type: "array",
        items: { type: "string" },
        default: WATCHED_DATA_TYPES,
        description: "Type tokens of the data stores that must be watched.",
      },
    },
  },
  (args, report) => {
    const { resourceTypes } = args.getConfig<{ resourceTypes: string[] }>();
    const targets = args.resources.filter((r) => typeIn(resourceTypes, r.type));
    if (targets.length === 0) args.notApplicable("no data stores of the configured types");
    // A program without any alert rule has no operations tier (a single tier's test program): the rule checks that
    // tier's coverage. Both committed stacks have it, and tests/operations.spec.ts asserts the rule evaluates them.
    if (ofType(args.resources, METRIC_ALERT).length + ofType(args.resources, LOG_ALERT).length === 0)
      args.notApplicable("no alert rules in the program (no operations tier)");
    const settings = ofType(args.resources, DIAGNOSTIC_SETTING).filter((s) => isSet(s.props, "workspaceId"));
    for (const target of targets) {
      // The store itself or its log-bearing sub-resource, never a child (the diagnostic coverage rule's matching).
      const diagnosed = settings.some((s) =>
        pointsAt(s, target, "resourceUri", DIAGNOSED_SUB_RESOURCES[target.type] ?? []),
      );
      const watched = watchers(args.resources, target).length > 0;
      if (diagnosed && watched) continue;
      const missing = [
        ...(diagnosed ? [] : ["no diagnostic setting sends its logs to a workspace"]),
        ...(watched ? [] : ["no alert rule watches it"]),
      ].join(" and ");
      report(
        `${who(target)}: ${missing}; wire it to the operations tier (index.ts) so its failures page on-call.`,
        target.urn,
      );
    }
  },
);

type AlertArgs = monitor.MetricAlertArgs | monitor.ScheduledQueryRuleArgs | monitor.ActivityLogAlertArgs;

export const alertActionGroup = resourcePolicy<AlertArgs>(
  {
    name: "azure-native-monitor-alert-require-action-group",
    description:
      "Every alert rule (metric, log or activity log) notifies at least one action group: an alert nobody receives is not monitoring.",
    severity: "high",
    pci: ["10.4.1", "10.7.2", "12.10.5"],
    soc2: ["CC7.3"],
    service: "monitor",
    remediationSteps:
      "Set `actions: [{ actionGroupId }]` (metric alerts), `actions.actionGroups` (log alerts) or `actions.actionGroups[].actionGroupId` (activity log alerts) to the action group of the alert's severity (the platform's `alertRouting`).",
    url: "https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups",
  },
  [METRIC_ALERT, LOG_ALERT, ACTIVITY_LOG_ALERT],
  (props, args, report) => {
    const list = (...path: string[]) => {
      const v = valueAt(props, ...path);
      return Array.isArray(v) ? (v as unknown[]) : [];
    };
    // Only the presence of the ids is read: their values are unknown during a preview (reading one would make the
    // rule unable to run), and a wired id is all this rule asks for.
    const hasId = (a: unknown) => typeof a === "object" && a !== null && "actionGroupId" in a;
    // The list itself unknown during preview: undecided (advisory), not a violation that would block the preview.
    const listPath = args.type === METRIC_ALERT ? ["actions"] : ["actions", "actionGroups"];
    if (presence(props, "actions") === "unknown") requireKnown(props, "actions");
    if (presence(props, ...listPath) === "unknown") requireKnown(props, ...listPath);
    const routed =
      args.type === LOG_ALERT
        ? list("actions", "actionGroups").length > 0
        : (args.type === METRIC_ALERT ? list("actions") : list("actions", "actionGroups")).some(hasId);
    if (!routed) {
      report(`${who(args)} notifies no action group: add the action group of its severity to its actions.`);
    }
  },
);

const SENTINEL_RULE = "azure-native:securityinsights:ScheduledAlertRule";

export const alertsEnabled = resourcePolicy<AlertArgs>(
  {
    name: "azure-native-monitor-alert-disallow-disabled",
    description:
      "No alert rule (metric, log or activity log) and no Microsoft Sentinel scheduled analytics rule is declared disabled: a disabled detection is declared monitoring that does not happen. Sentinel's incident-creation rule for Defender alerts is left out: connecting Defender XDR turns it off by design, and the program keeps Azure's value (docs/operations.md).",
    severity: "high",
    pci: ["10.4.1.1", "10.7.2", "12.10.5"],
    gdpr: ["33"],
    soc2: ["CC7.2", "CC7.3"],
    service: "monitor",
    remediationSteps:
      "Remove `enabled: false` (silence an expected noise window with an alert processing rule, as dev's off-hours rule does, or mute the rule's actions), or delete the rule.",
    url: "https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-processing-rules",
  },
  [METRIC_ALERT, LOG_ALERT, ACTIVITY_LOG_ALERT, SENTINEL_RULE],
  (props, args, report) => {
    // "Determines whether this alert rule is enabled or disabled" (the SDK); absent is enabled for the alerts that
    // make it optional, and Sentinel's rules require it.
    if (presence(props, "enabled") === "unknown") requireKnown(props, "enabled");
    if (safeGet(props, "enabled") === false) {
      report(`${who(args)} is disabled (enabled false): enable it, or delete it if it is not wanted.`);
    }
  },
);

export const prodSentinel = stackPolicy(
  {
    name: "azure-native-operationalinsights-workspace-require-sentinel-in-prod",
    description:
      "In production stacks, the Log Analytics workspace that receives the audit logs runs Microsoft Sentinel (onboardingStates/default), so security events of the cardholder data environment are analysed and raise incidents.",
    severity: "high",
    pci: ["10.4.1", "10.4.1.1", "12.10.1"],
    gdpr: ["32(1)(d)", "33"],
    soc2: ["CC7.2"],
    service: "monitor",
    remediationSteps:
      'Set `operations.sentinel: true` in the prod stack (the operations tier adds `securityinsights.SentinelOnboardingState` "default" on the workspace with the analytics rules).',
    url: "https://learn.microsoft.com/azure/sentinel/quickstart-onboard",
    config: { prodStacks: prodStacksKnob() },
  },
  (args, report) => {
    const { prodStacks } = args.getConfig<{ prodStacks: string[] }>();
    const workspaces = ofType(args.resources, WORKSPACE).filter((w) => prodStacks.includes(stackOfUrn(w.urn)));
    if (workspaces.length === 0) args.notApplicable("no Log Analytics workspace in a production stack");
    const onboardings = ofType(args.resources, SENTINEL);
    for (const ws of workspaces) {
      // By name, in the same resource group where both are known (workspace names are unique per group only).
      const onboarded = onboardings.some((o) =>
        refersTo(o, ws, {
          properties: ["workspaceName"],
          byName: { nameKeys: ["workspaceName"], siblingKeys: ["resourceGroupName"] },
        }),
      );
      if (!onboarded) {
        report(
          `${who(ws)} is a production workspace without Microsoft Sentinel: onboard it (securityinsights.SentinelOnboardingState "default" with workspaceName set to it; operations.sentinel: true).`,
          ws.urn,
        );
      }
    }
  },
);

export const operationsPolicies: Policies = [dataStoreAlerts, alertActionGroup, alertsEnabled, prodSentinel];
