/**
 * The freshness side of the streaming SLA: an alert when dbo.Fact_API_Performance received no row for the
 * configured number of minutes. Azure Monitor cannot query the private dedicated pool, but the Synapse loader
 * function is the table's only writer and logs every committed batch ("inserted N of M rows …", to the workspace's
 * AppTraces table through the app's workspace-based Application Insights): no rows inserted for N minutes = no row
 * newer than N minutes, whichever link failed (relay, Event Hubs, the job, the loader or the pool). Unlike a metric
 * alert, the log query also fires when the app is stopped and logs nothing at all.
 */
import * as monitor from "@pulumi/azure-native/monitor";
import * as pulumi from "@pulumi/pulumi";
import { PRIORITY_OF_SEVERITY, type AlertSeverity } from "../operations/routing";
import type { StackContext, Tags } from "../shared";

/** The loader's log line after each committed batch (pipelines/functions/src/functions/apiPerformanceLoader.ts). */
export const LOADER_LOG_PREFIX = "inserted ";

/** KQL over the window: rows the loader inserted (0 when it logged nothing). */
export function freshnessQuery(appName: string, functionName: string): string {
  return [
    "let written = toscalar(AppTraces",
    `    | where AppRoleName =~ "${appName}" and OperationName == "${functionName}" and Message startswith "${LOADER_LOG_PREFIX}"`,
    // ItemCount: a trace Application Insights sampled stands for ItemCount of them.
    '    | extend Rows = tolong(extract(@"^inserted (\\d+) ", 1, Message)) * ItemCount',
    "    | summarize sum(Rows));",
    "print RowsWritten = coalesce(written, 0)",
  ].join("\n");
}

/** ISO 8601 duration of a number of minutes (`PT10M`, `PT2H`, `P1D`). */
export function minutesToDuration(minutes: number): string {
  if (minutes % 1440 === 0) return `P${minutes / 1440}D`;
  if (minutes % 60 === 0) return `PT${minutes / 60}H`;
  return `PT${minutes}M`;
}

export function freshnessAlert(
  name: string,
  args: JobAlertTarget & {
    readonly minutes: number;
    readonly table: string;
    readonly functionName: string;
    /** The job sleeps off hours (its alerts silenced then): stateless, so it pages again once the window ends. */
    readonly sleepsOffHours?: boolean;
  },
  parent: pulumi.Resource,
): monitor.ScheduledQueryRule {
  return jobLogAlert(
    `${name}-freshness-alert`,
    {
      ruleKey: "api-perf-freshness",
      displayName: `${args.table} freshness`,
      description: `${args.table} received no row for ${args.minutes} minutes (the Synapse loader inserted nothing); see docs/streaming.md.`,
      runbook: "streaming-freshness",
      query: (appName) => freshnessQuery(appName, args.functionName),
      // As often as the window, at most every 15 minutes (config allows windows of 5 minutes and more).
      evaluationFrequency: minutesToDuration(Math.min(args.minutes, 15)),
      windowSize: minutesToDuration(args.minutes),
      timeAggregation: monitor.TimeAggregation.Total,
      metricMeasureColumn: "RowsWritten",
      operator: monitor.Operator.LessThan,
      threshold: 1,
      autoMitigate: !args.sleepsOffHours,
    },
    args,
    parent,
  );
}

/** What both streaming alerts share: where they live, what they watch, who they page. */
export interface JobAlertTarget {
  readonly context: StackContext;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly workspaceId: pulumi.Input<string>;
  /** What the query is about: the job's resource id (watermark) or the streaming app's name (freshness). */
  readonly subject: pulumi.Input<string>;
  /** The action group of the alert's severity (the streaming alerts are Sev1: P1). */
  readonly actionGroupId: pulumi.Input<string>;
  readonly tags: Tags;
}

/**
 * A Sev1 log alert over the workspace (the job's AzureMetrics, the loader's AppTraces), with the
 * scheduled-query API's operator names (`monitor.Operator`, not `ConditionOperator`'s "lt"/"gt"), the runbook and
 * priority in the payload, and query validation skipped: a greenfield workspace has none of those rows yet, and
 * validation would fail the first deployment (as in the operations tier's alerts).
 */
export function jobLogAlert(
  logicalName: string,
  rule: {
    readonly ruleKey: string;
    readonly displayName: string;
    readonly description: string;
    readonly runbook: string;
    readonly query: (subject: string) => string;
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
  },
  args: JobAlertTarget,
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
            query: pulumi.output(args.subject).apply(rule.query),
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
      ...(rule.autoMitigate === false ? { muteActionsDuration: "PT1H" } : {}),
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
