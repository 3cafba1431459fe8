/**
 * Operations rules: the data stores watched, and every alert reaching people through a live action group (PCI DSS
 * 10.4.1, 10.7, 12.10).
 */
import type { PolicyResource } from "@pulumi/policy";
import type * as monitor from "@pulumi/azure-native/monitor";
import { listPointsAt, ofType, pointsAt, logAlertWatches, resourcePolicy, stackPolicy } from "../../lib/policy";
import { DIAGNOSED_SUB_RESOURCES } from "../monitor";
import { inStacks, prodStacksKnob } from "../../lib/scope";
import { typeIn } from "../../lib/typeToken";
import { idAllowListKnob, listedId, normalId, type Exemption } from "../../lib/exemptions";
import { idPending, isSet, presence, requireId, requireKnown, safeGet, valueAt, who } from "../../lib/values";
import { ACTIVITY_LOG_ALERT, DIAGNOSTIC_SETTING, LOG_ALERT, METRIC_ALERT } from "./shared";

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
      prodStacks: prodStacksKnob(
        "Stacks whose data stores must be watched even when the program has no alert rule at all (a production stack without its operations tier fails).",
      ),
    },
  },
  (args, report) => {
    const { resourceTypes, prodStacks } = args.getConfig<{ resourceTypes: string[]; prodStacks: string[] }>();
    const targets = args.resources.filter((r) => typeIn(resourceTypes, r.type));
    if (targets.length === 0) args.notApplicable("no data stores of the configured types");
    // A program without any alert rule has no operations tier (a single tier's test program): the rule checks that
    // tier's coverage. Not in a production stack, where dropping every alert must not switch the rule off (the
    // policy pack review's mutation). Both committed stacks have it; tests/operations.spec.ts asserts the rule
    // evaluates them.
    if (
      ofType(args.resources, METRIC_ALERT).length + ofType(args.resources, LOG_ALERT).length === 0 &&
      !targets.some((t) => inStacks(t.urn, prodStacks))
    )
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
    // A Sentinel rule that creates no incident raises alerts no analyst's queue shows ("If this setting is disabled,
    // alerts are generated but no incidents": sentinel/create-analytics-rules, Incident settings).
    // The block is required: without it, whether Azure creates incidents is its undocumented default (the SDK makes
    // `createIncident` mandatory only inside the block), which an auditor cannot read from the code.
    if (args.type === SENTINEL_RULE) {
      const path = ["incidentConfiguration", "createIncident"];
      if (presence(props, ...path) === "unknown") requireKnown(props, ...path);
      const create = valueAt(props, ...path);
      if (create === false) {
        report(
          `${who(args)} creates no incident (incidentConfiguration.createIncident false): its detections reach no analyst's queue; set it to true.`,
        );
      } else if (create !== true) {
        report(
          `${who(args)} sets no incidentConfiguration.createIncident: whether its detections reach an analyst's queue is left to Azure's default; set incidentConfiguration { createIncident: true }.`,
        );
      }
    }
  },
);

const ACTION_GROUP = "azure-native:monitor:ActionGroup";
/** Every receiver list an action group may carry (the 3.28 SDK's ActionGroupArgs). */
const RECEIVER_LISTS = [
  "emailReceivers",
  "smsReceivers",
  "voiceReceivers",
  "webhookReceivers",
  "azureAppPushReceivers",
  "itsmReceivers",
  "logicAppReceivers",
  "azureFunctionReceivers",
  "automationRunbookReceivers",
  "armRoleReceivers",
  "eventHubReceivers",
  "incidentReceivers",
] as const;

export const actionGroupReceivers = resourcePolicy<monitor.ActionGroupArgs>(
  {
    name: "azure-native-monitor-actiongroup-require-enabled-receivers",
    description:
      "Every action group is enabled and has at least one receiver: a disabled or empty group takes the alerts routed to it and notifies nobody, while every alert rule still looks routed.",
    severity: "high",
    pci: ["10.4.1", "10.7.2", "12.10.5"],
    soc2: ["CC7.3"],
    service: "monitor",
    remediationSteps:
      "Set `enabled: true` and at least one receiver (`emailReceivers`, `webhookReceivers`, …: the platform's `operations.routing`); silence a noise window with an alert processing rule, not by disabling the group.",
    url: "https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups",
  },
  ACTION_GROUP,
  (props, args, report) => {
    // "Indicates whether this action group is enabled. If an action group is not enabled, then none of its receivers
    // will receive communications" (the SDK's ActionGroupArgs.enabled).
    if (presence(props, "enabled") === "unknown") requireKnown(props, "enabled");
    if (valueAt(props, "enabled") !== true) {
      report(
        `${who(args)} is not enabled (enabled ${JSON.stringify(valueAt(props, "enabled") ?? null)}): none of its receivers is notified; set enabled to true.`,
      );
    }
    // One known receiver is enough; a list unknown during preview (a secret webhook, another resource's output)
    // decides only when no other list names anyone.
    const receivers = RECEIVER_LISTS.reduce((n, list) => {
      const v = valueAt(props, list);
      return n + (Array.isArray(v) ? v.length : 0);
    }, 0);
    if (receivers === 0) {
      for (const list of RECEIVER_LISTS) if (presence(props, list) === "unknown") requireKnown(props, list);
      report(`${who(args)} has no receiver: add the team's e-mail, webhook or ITSM receiver.`);
    }
  },
);

/** The action group ids an alert names, with the path of each (`actions[0].actionGroupId`). */
function actionGroupIds(alert: PolicyResource): { path: string; value: unknown; state: string }[] {
  const out: { path: string; value: unknown; state: string }[] = [];
  const type = alert.type;
  const list = type === METRIC_ALERT ? ["actions"] : ["actions", "actionGroups"];
  // The whole list unknown during preview (built with `apply`): one entry for it, which the caller decides like an
  // unknown id (a recorded dependency on a stack action group, else undecided), never an alert without actions.
  if (presence(alert.props, ...list) === "unknown")
    return [{ path: list.join("."), value: undefined, state: "unknown" }];
  const items = valueAt(alert.props, ...list);
  if (!Array.isArray(items)) return out;
  // By index: iterating the list itself (forEach) would read an element unknown during preview, which the engine's
  // unknown-checking proxy refuses.
  for (let i = 0; i < items.length; i++) {
    // A log alert lists the ids themselves; metric and activity log alerts objects with `actionGroupId`.
    const path = type === LOG_ALERT ? [...list, String(i)] : [...list, String(i), "actionGroupId"];
    out.push({ path: path.join("."), value: valueAt(alert.props, ...path), state: presence(alert.props, ...path) });
  }
  return out;
}

export const alertStackActionGroup = stackPolicy(
  {
    name: "azure-native-monitor-alert-require-stack-action-group",
    description:
      "Every action group an alert rule notifies is one of the stack's (checked enabled with receivers by the action group rule) or listed with a reason: an id pointing outside the stack may name a group nobody reads, or one another team can empty.",
    severity: "high",
    pci: ["10.4.1", "10.7.2", "12.10.5"],
    soc2: ["CC7.3"],
    service: "monitor",
    remediationSteps:
      "Point the alert at the action group of its severity from the platform's routing (`operations.routing`), or list the other group's id in `allowedActionGroups` with the reason (e.g. the security team's central group).",
    url: "https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups",
    config: {
      allowedActionGroups: idAllowListKnob(
        "Action groups outside the stack an alert may notify, by ARM id pattern (`*` wildcard, case-insensitive), each with a reason (none by default).",
      ),
    },
  },
  (args, report) => {
    const { allowedActionGroups } = args.getConfig<{ allowedActionGroups: Exemption[] }>();
    const alerts = ofType(args.resources, METRIC_ALERT, LOG_ALERT, ACTIVITY_LOG_ALERT);
    if (alerts.length === 0) args.notApplicable("the stack declares no alert rule");
    const groups = ofType(args.resources, ACTION_GROUP);
    const ids = new Set(
      groups
        .map((g) => valueAt(g.props, "id"))
        .filter((id): id is string => typeof id === "string")
        .map(normalId),
    );
    for (const alert of alerts) {
      for (const { path, value, state } of actionGroupIds(alert)) {
        if (state === "unknown") {
          // Another resource's output in a preview: the stack's action group when the alert's actions were
          // recorded as depending on one (the engine records dependencies per top-level property).
          const deps = alert.propertyDependencies.actions ?? [];
          if (!groups.some((g) => deps.some((d) => d.urn === g.urn))) requireKnown(alert.props, ...path.split("."));
          continue;
        }
        if (typeof value !== "string") continue;
        if (ids.has(normalId(value)) || listedId(allowedActionGroups, value) !== undefined) continue;
        // A group of the stack whose id is not known yet may be it: undecided.
        const pending = groups.find((g) => idPending(g.props));
        if (pending !== undefined) requireId(pending.props);
        report(
          `${who(alert)} notifies ${JSON.stringify(value)} (${path}), which is not one of the stack's action groups: point it at the routing's group of its severity, or list it in allowedActionGroups with the reason.`,
          alert.urn,
        );
      }
    }
  },
);
