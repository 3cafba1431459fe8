/**
 * Turns alert specs (sla.ts, infra.ts: pure, with placeholder ids) into Azure Monitor rules: log signals become
 * scheduled query rules on the workspace (API 2025-01-01-preview), metric signals metric alerts on the resource
 * (API 2018-03-01). Every rule names exactly the action group of its severity (routing.ts).
 */
import * as monitor from "@pulumi/azure-native/monitor";
import * as pulumi from "@pulumi/pulumi";
import { actionGroupFor, PRIORITY_OF_SEVERITY, type AlertRouting, type AlertSeverity } from "./routing";
import { isoMinutes, type Signal } from "./sla";
import { tolerantQuery } from "./sentinel";
import type { StackContext, Tags } from "../shared";
import { REGION_DISPLAY_NAMES } from "../../lib/naming";

/**
 * Placeholder ids: the pure specs are computed from stable tokens (so resource names never wait for outputs), and
 * the tokens are replaced by the real ids in queries and scopes.
 */
export class IdTokens {
  private readonly values = new Map<string, pulumi.Input<string>>();

  /** A token standing for `id` (KQL-safe: no quotes or backslashes). */
  token(id: pulumi.Input<string>): string {
    const token = `@@id${this.values.size}@@`;
    this.values.set(token, id);
    return token;
  }

  /** `text` with every token replaced by its id. */
  resolve(text: string): pulumi.Output<string> {
    const used = [...this.values.keys()].filter((t) => text.includes(t));
    return pulumi
      .all(used.map((t) => this.values.get(t) as pulumi.Input<string>))
      .apply((ids) => used.reduce((acc, t, i) => acc.split(t).join(ids[i]), text));
  }
}

/** What every alert of the tier shares. */
export interface AlertTarget {
  readonly context: StackContext;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: string;
  readonly workspaceId: pulumi.Input<string>;
  readonly routing: AlertRouting;
  readonly ids: IdTokens;
  readonly tags: Tags;
}

export interface AlertSpec {
  readonly key: string;
  readonly severity: AlertSeverity;
  readonly displayName: string;
  readonly description: string;
  readonly signal: Signal;
  readonly scope?: string;
  /** Anchor of the alert's section in docs/runbook.md (default: the key). */
  readonly runbook?: string;
  /** Extra properties in the notification payload (e.g. the SLA row). */
  readonly properties?: Readonly<Record<string, string>>;
}

/** Creates `${name}-${spec.key}` (a ScheduledQueryRule or a MetricAlert), child of `parent`. */
export function createAlert(
  name: string,
  spec: AlertSpec,
  target: AlertTarget,
  parent: pulumi.Resource,
): monitor.ScheduledQueryRule | monitor.MetricAlert {
  const { context, routing } = target;
  const actionGroupId = actionGroupFor(routing, spec.severity);
  const properties = {
    priority: PRIORITY_OF_SEVERITY[spec.severity].toUpperCase(),
    runbook: `docs/runbook.md#${spec.runbook ?? spec.key}`,
    ...spec.properties,
  };
  const ruleName = context.name("alert", spec.key);
  const s = spec.signal;
  if (s.kind === "log") {
    return new monitor.ScheduledQueryRule(
      `${name}-${spec.key}`,
      {
        ruleName,
        resourceGroupName: target.resourceGroupName,
        location: target.location,
        kind: monitor.Kind.LogAlert,
        displayName: spec.displayName,
        description: spec.description,
        severity: spec.severity,
        enabled: true,
        scopes: [target.workspaceId],
        evaluationFrequency: isoMinutes(s.frequencyMinutes),
        windowSize: isoMinutes(s.windowMinutes),
        ...(s.queryTimeRange ? { overrideQueryTimeRange: s.queryTimeRange } : {}),
        criteria: {
          allOf: [
            {
              // A table of the analytics rules' catalogue that may not exist yet is read through a fuzzy union, so the
              // rule evaluates (and is not switched off by Azure after a week of failures) before its first row.
              query: target.ids.resolve(tolerantQuery(s.query)),
              // Rows come back only while the SLA is breached (the percentile is computed in KQL).
              timeAggregation: monitor.TimeAggregation.Count,
              // The scheduled-query API's operator names (not ConditionOperator's "gt"): ops facts §0.1.
              operator: monitor.Operator.GreaterThan,
              threshold: 0,
              dimensions: (s.dimensions ?? []).map((d) => ({
                name: d,
                operator: monitor.DimensionOperator.Include,
                values: ["*"],
              })),
              failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
            },
          ],
        },
        autoMitigate: true,
        // A greenfield workspace has no rows (and no table) yet for a service that has not logged; validation
        // would fail the first deployment (hashicorp/terraform-provider-azurerm#28293).
        skipQueryValidation: true,
        actions: { actionGroups: [actionGroupId], customProperties: properties },
        tags: target.tags,
      },
      { parent },
    );
  }
  if (!spec.scope) throw new Error(`alert ${spec.key}: a metric alert needs the resource it watches (scope)`);
  return new monitor.MetricAlert(
    `${name}-${spec.key}`,
    {
      ruleName,
      resourceGroupName: target.resourceGroupName,
      location: "global",
      description: `${spec.displayName}. ${spec.description}`,
      severity: spec.severity,
      enabled: true,
      scopes: [target.ids.resolve(spec.scope)],
      evaluationFrequency: isoMinutes(s.frequencyMinutes),
      windowSize: isoMinutes(s.windowMinutes),
      autoMitigate: true,
      criteria: {
        odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
        allOf: [
          {
            criterionType: "StaticThresholdCriterion",
            name: s.metricName,
            metricName: s.metricName,
            metricNamespace: s.metricNamespace,
            operator: monitor.Operator[s.operator],
            threshold: s.threshold,
            timeAggregation: monitor.AggregationTypeEnum[s.aggregation],
            dimensions: (s.dimensions ?? []).map((d) => ({
              name: d.name,
              operator: "Include",
              values: [...d.values],
            })),
          },
        ],
      },
      actions: [{ actionGroupId, webHookProperties: properties }],
      tags: target.tags,
    },
    { parent },
  );
}

/**
 * Resource Health of every resource in the stack's resource groups (the data stores and their geo-secondaries, the
 * vaults, the gateway): an activity log alert on the platform-initiated transitions to Unavailable or Degraded, which
 * pages P1 (https://learn.microsoft.com/azure/service-health/resource-health-alert-arm-template-guide). Activity log
 * alerts carry no severity; this one routes as Sev1. Creates `${name}-resource-health`.
 */
export function resourceHealthAlert(
  name: string,
  args: { readonly resourceGroupIds: readonly pulumi.Input<string>[] } & Pick<
    AlertTarget,
    "context" | "resourceGroupName" | "routing" | "tags"
  >,
  parent: pulumi.Resource,
): monitor.ActivityLogAlert {
  return new monitor.ActivityLogAlert(
    `${name}-resource-health`,
    {
      activityLogAlertName: args.context.name("alert", "resource-health"),
      resourceGroupName: args.resourceGroupName,
      location: "global",
      description:
        "A resource of the stack became Unavailable or Degraded (platform-initiated): a data store, its geo-secondary, a vault or the gateway. docs/runbook.md#resource-health",
      enabled: true,
      scopes: [...args.resourceGroupIds],
      condition: {
        allOf: [
          { field: "category", equals: "ResourceHealth" },
          {
            anyOf: [
              { field: "properties.currentHealthStatus", equals: "Unavailable" },
              { field: "properties.currentHealthStatus", equals: "Degraded" },
            ],
          },
          { anyOf: [{ field: "properties.cause", equals: "PlatformInitiated" }] },
        ],
      },
      actions: {
        actionGroups: [
          {
            actionGroupId: actionGroupFor(args.routing, 1),
            webhookProperties: { priority: "P1", runbook: "docs/runbook.md#resource-health" },
          },
        ],
      },
      tags: args.tags,
    },
    { parent },
  );
}

/**
 * Azure Service Health for the subscription, in the stack's regions and the global services: Microsoft's declared
 * incidents (P1: the usual input to a forced-failover decision, docs/disaster-recovery.md), security advisories and
 * required actions (P2, retirements among them), planned maintenance (P3). Service Health shows the events that
 * affect the subscription's services; the regions are Azure's display names ("Global" for non-regional services).
 * https://learn.microsoft.com/azure/service-health/alerts-activity-log-service-notifications-portal
 */
export const SERVICE_HEALTH_ALERTS = [
  { key: "service-health-incident", incidentTypes: ["Incident"], severity: 1, what: "a service incident" },
  {
    key: "service-health-advisory",
    incidentTypes: ["Security", "ActionRequired"],
    severity: 2,
    what: "a security advisory or a required action",
  },
  { key: "service-health-maintenance", incidentTypes: ["Maintenance"], severity: 3, what: "planned maintenance" },
] as const satisfies readonly {
  key: string;
  incidentTypes: readonly string[];
  severity: AlertSeverity;
  what: string;
}[];

/** The Service Health alerts (`${name}-${key}`) on the subscription, for `regions` (Azure region names). */
export function serviceHealthAlerts(
  name: string,
  args: {
    readonly subscriptionId: pulumi.Input<string>;
    readonly regions: readonly string[];
  } & Pick<AlertTarget, "context" | "resourceGroupName" | "routing" | "tags">,
  parent: pulumi.Resource,
): monitor.ActivityLogAlert[] {
  const regions = [...new Set(args.regions.map((r) => REGION_DISPLAY_NAMES[r] ?? r)), "Global"];
  return SERVICE_HEALTH_ALERTS.map((a) => {
    const priority = PRIORITY_OF_SEVERITY[a.severity].toUpperCase();
    return new monitor.ActivityLogAlert(
      `${name}-${a.key}`,
      {
        activityLogAlertName: args.context.name("alert", a.key),
        resourceGroupName: args.resourceGroupName,
        location: "global",
        description: `Azure Service Health: ${a.what} for this subscription's services in ${regions.join(", ")} (${priority}). docs/runbook.md#service-health`,
        enabled: true,
        scopes: [pulumi.interpolate`/subscriptions/${args.subscriptionId}`],
        condition: {
          allOf: [
            { field: "category", equals: "ServiceHealth" },
            { anyOf: a.incidentTypes.map((t) => ({ field: "properties.incidentType", equals: t })) },
            { field: "properties.impactedServices[*].ImpactedRegions[*].RegionName", containsAny: regions },
          ],
        },
        actions: {
          actionGroups: [
            {
              actionGroupId: actionGroupFor(args.routing, a.severity),
              webhookProperties: { priority, runbook: "docs/runbook.md#service-health" },
            },
          ],
        },
        tags: args.tags,
      },
      { parent },
    );
  });
}

/**
 * Activity log alerts the PCI DSS v4.0.1 initiative looks for on the subscription ("An activity log alert should exist
 * for specific Administrative / Policy / Security operations": an enabled alert whose condition is exactly category
 * `Administrative` and that `operationName`, Azure/azure-policy ActivityLog_*Operations_Audit.json): a SQL server
 * firewall rule written (the card-data servers take none: public network access is off), a policy assignment written
 * (the stack's own deploys write some: a reviewed change), a Defender for Cloud security policy written. P2.
 */
export const OPERATION_ALERTS = [
  { key: "sql-firewall-rule-write", operationName: "Microsoft.Sql/servers/firewallRules/write" },
  { key: "policy-assignment-write", operationName: "Microsoft.Authorization/policyAssignments/write" },
  { key: "security-policy-write", operationName: "Microsoft.Security/policies/write" },
] as const;

/** The OPERATION_ALERTS (`${name}-${key}`) on the subscription, to the P2 group (the owning stack's). */
export function operationAlerts(
  name: string,
  args: { readonly subscriptionId: pulumi.Input<string> } & Pick<
    AlertTarget,
    "context" | "resourceGroupName" | "routing" | "tags"
  >,
  parent: pulumi.Resource,
): monitor.ActivityLogAlert[] {
  return OPERATION_ALERTS.map(
    (a) =>
      new monitor.ActivityLogAlert(
        `${name}-${a.key}`,
        {
          activityLogAlertName: args.context.name("alert", a.key),
          resourceGroupName: args.resourceGroupName,
          location: "global",
          description: `${a.operationName} succeeded or was attempted in the subscription (P2). docs/runbook.md#operation-alerts`,
          enabled: true,
          scopes: [pulumi.interpolate`/subscriptions/${args.subscriptionId}`],
          condition: {
            allOf: [
              { field: "category", equals: "Administrative" },
              { field: "operationName", equals: a.operationName },
            ],
          },
          actions: {
            actionGroups: [
              {
                actionGroupId: actionGroupFor(args.routing, 2),
                webhookProperties: { priority: "P2", runbook: "docs/runbook.md#operation-alerts" },
              },
            ],
          },
          tags: args.tags,
        },
        { parent },
      ),
  );
}

/** What a tier's own log alert shares with the others: where it lives, what it watches, who it pages. */
export interface TierAlertTarget {
  readonly context: StackContext;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly workspaceId: pulumi.Input<string>;
  /**
   * What the query is about: the job's resource id (watermark), the streaming app's name (freshness), the fraud
   * scorer's name (merchant refresh); or several, each an argument of the query in order (the payment API's and the
   * scorer's names: the stalled scorer).
   */
  readonly subject: pulumi.Input<string> | readonly pulumi.Input<string>[];
  /** The action group of the alert's severity (`actionGroupFor`; the streaming alerts are Sev1: P1). */
  readonly actionGroupId: pulumi.Input<string>;
  readonly tags: Tags;
}

/**
 * A log alert a tier raises over the workspace (the streaming job's AzureMetrics, the loader's and the merchant
 * refresh's AppTraces and AppRequests; Sev1 unless said), with the
 * scheduled-query API's operator names (`monitor.Operator`, not `ConditionOperator`'s "lt"/"gt"), the runbook and
 * priority in the payload, and query validation skipped: a greenfield workspace has none of those rows yet, and
 * validation would fail the first deployment (as in the operations tier's alerts).
 */
export function tierLogAlert(
  logicalName: string,
  rule: {
    readonly ruleKey: string;
    readonly displayName: string;
    readonly description: string;
    readonly runbook: string;
    readonly query: (...subjects: string[]) => string;
    readonly evaluationFrequency: string;
    readonly windowSize: string;
    readonly timeAggregation: monitor.TimeAggregation;
    readonly metricMeasureColumn: string;
    readonly operator: monitor.Operator;
    readonly threshold: number;
    /** 1 (P1) unless said; the payload's priority follows it (PRIORITY_OF_SEVERITY). */
    readonly severity?: AlertSeverity;
    /**
     * Stateful (resolves itself, fires once until resolved) unless false. An alert silenced off hours must be
     * stateless: fired and silenced at night, a stateful one would stay fired and never page in the morning
     * (learn.microsoft.com/azure/azure-monitor/alerts/alerts-overview, "Alerts and state").
     */
    readonly autoMitigate?: boolean;
    /** How long a stateless rule stays quiet after it notifies (default PT1H). */
    readonly muteActionsDuration?: string;
  },
  args: TierAlertTarget,
  parent: pulumi.Resource,
): monitor.ScheduledQueryRule {
  return new monitor.ScheduledQueryRule(
    logicalName,
    {
      ruleName: args.context.name("alert", rule.ruleKey),
      resourceGroupName: args.resourceGroupName,
      location: args.context.config.location,
      kind: monitor.Kind.LogAlert,
      displayName: rule.displayName,
      description: rule.description,
      severity: rule.severity ?? 1,
      enabled: true,
      scopes: [args.workspaceId],
      evaluationFrequency: rule.evaluationFrequency,
      windowSize: rule.windowSize,
      criteria: {
        allOf: [
          {
            query: pulumi
              .all(
                Array.isArray(args.subject) ? [...(args.subject as readonly pulumi.Input<string>[])] : [args.subject],
              )
              .apply((subjects) => rule.query(...(subjects as string[]))),
            timeAggregation: rule.timeAggregation,
            metricMeasureColumn: rule.metricMeasureColumn,
            operator: rule.operator,
            threshold: rule.threshold,
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
          },
        ],
      },
      autoMitigate: rule.autoMitigate ?? true,
      // A stateless rule notifies on every evaluation that fires: at most once an hour (the portal's "Mute actions",
      // which needs automatic resolution off).
      ...(rule.autoMitigate === false ? { muteActionsDuration: rule.muteActionsDuration ?? "PT1H" } : {}),
      skipQueryValidation: true,
      actions: {
        actionGroups: [args.actionGroupId],
        customProperties: {
          priority: PRIORITY_OF_SEVERITY[rule.severity ?? 1].toUpperCase(),
          runbook: `docs/runbook.md#${rule.runbook}`,
        },
      },
      tags: args.tags,
    },
    { parent },
  );
}
