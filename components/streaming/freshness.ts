/**
 * The freshness side of the streaming SLA: an alert when dbo.Fact_API_Performance received no row for the
 * configured number of minutes. Azure Monitor cannot query the private dedicated pool, but the Synapse loader
 * function is the table's only writer and logs every committed batch ("inserted N of M rows …", to the workspace's
 * AppTraces table through the app's workspace-based Application Insights): no rows inserted for N minutes = no row
 * newer than N minutes, whichever link failed (relay, Event Hubs, the job, the loader or the pool). Unlike a metric
 * alert, the log query also fires when the app is stopped and logs nothing at all. The lag side: an alert when the
 * Stream Analytics job's output watermark falls more than the SLA behind.
 */
import * as monitor from "@pulumi/azure-native/monitor";
import type * as pulumi from "@pulumi/pulumi";
import { tierLogAlert, type TierAlertTarget } from "../operations/alerts";
import type { AlertSeverity } from "../operations/routing";
import { ruleSource } from "../operations/sentinel";
import { isoMinutes } from "../operations/sla";

/** The loader's log line after each committed batch (pipelines/functions/src/functions/apiPerformanceLoader.ts). */
export const LOADER_LOG_PREFIX = "inserted ";

/** KQL over the window: rows the loader inserted (0 when it logged nothing). */
export function freshnessQuery(appName: string, functionName: string): string {
  return [
    // The table through a fuzzy union: before the apps' first trace it does not exist, and the query must still
    // answer 0 (the alert), not fail (Azure disables a log alert that keeps failing).
    `let written = toscalar(${ruleSource("AppTraces")}`,
    `    | where AppRoleName =~ "${appName}" and OperationName == "${functionName}" and Message startswith "${LOADER_LOG_PREFIX}"`,
    // ItemCount: a trace Application Insights sampled stands for ItemCount of them.
    '    | extend Rows = tolong(extract(@"^inserted (\\d+) ", 1, Message)) * ItemCount',
    "    | summarize sum(Rows));",
    // A time column, as a table's rows have: Microsoft's measure examples all return one (`summarize … by
    // bin(TimeGenerated, 5m)`, New-AzScheduledQueryRuleConditionObject), and a `print` has none. No page says whether
    // the aggregation of a measure needs it; with it, the query answers either way (unverified against Azure).
    "print RowsWritten = coalesce(written, 0), TimeGenerated = now()",
  ].join("\n");
}

export function freshnessAlert(
  name: string,
  args: TierAlertTarget & {
    readonly minutes: number;
    readonly table: string;
    readonly functionName: string;
    /** The job sleeps off hours (its alerts silenced then): stateless, so it pages again once the window ends. */
    readonly sleepsOffHours?: boolean;
    /** Default Sev1 (with `actionGroupId` the P1 group's); lower where a gap is expected (`StreamingArgs`). */
    readonly severity?: AlertSeverity;
    /** How long it stays quiet after notifying while it keeps firing (stateless only; default an hour). */
    readonly muteActionsDuration?: string;
  },
  parent: pulumi.Resource,
): monitor.ScheduledQueryRule {
  return tierLogAlert(
    `${name}-freshness-alert`,
    {
      ruleKey: "api-perf-freshness",
      displayName: `${args.table} freshness`,
      description: `${args.table} received no row for ${args.minutes} minutes (the Synapse loader inserted nothing); see docs/streaming.md.`,
      runbook: "streaming-freshness",
      query: (appName) => freshnessQuery(appName, args.functionName),
      // As often as the window, at most every 15 minutes (config allows windows of 5 minutes and more).
      evaluationFrequency: isoMinutes(Math.min(args.minutes, 15)),
      windowSize: isoMinutes(args.minutes),
      timeAggregation: monitor.TimeAggregation.Total,
      metricMeasureColumn: "RowsWritten",
      operator: monitor.Operator.LessThan,
      threshold: 1,
      autoMitigate: !args.sleepsOffHours,
      severity: args.severity,
      muteActionsDuration: args.muteActionsDuration,
    },
    args,
    parent,
  );
}

/** The Stream Analytics metric of output lag (event time of the last output vs. wall clock), in seconds. */
export const WATERMARK_METRIC = "OutputWatermarkDelaySeconds";

/**
 * KQL over the window: the job's worst output watermark delay, in seconds (AzureMetrics, from its diagnostics), per
 * minute: the shape of Microsoft's measure examples (`summarize AggregatedValue = avg(CounterValue) by
 * bin(TimeGenerated, 5m)`, New-AzScheduledQueryRuleConditionObject), so the rule's Maximum over the window is the worst
 * delay whether or not the service needs a time column to aggregate (no page says).
 */
export function watermarkQuery(jobId: string): string {
  return [
    "AzureMetrics",
    `| where ResourceId =~ "${jobId}" and MetricName == "${WATERMARK_METRIC}"`,
    "| summarize DelaySeconds = max(Maximum) by bin(TimeGenerated, 1m)",
  ].join("\n");
}

/**
 * Alert when the job's output lags more than `seconds` behind (the 5-minute streaming SLA): a log alert over the
 * metric as the job's diagnostic setting exports it, evaluated every minute over 5 minutes. (A job that reports
 * nothing at all is the freshness alert's case.)
 */
export function watermarkAlert(
  name: string,
  args: TierAlertTarget & { readonly jobName: string; readonly seconds: number },
  parent: pulumi.Resource,
): monitor.ScheduledQueryRule {
  return tierLogAlert(
    `${name}-watermark-alert`,
    {
      ruleKey: "asa-watermark",
      displayName: `${args.jobName} output watermark delay`,
      description: `Stream Analytics job ${args.jobName}: Fact_API_Performance lags more than ${args.seconds / 60} minutes behind the API (streaming SLA); see docs/streaming.md.`,
      runbook: "streaming-watermark-delay",
      query: watermarkQuery,
      evaluationFrequency: "PT1M",
      windowSize: "PT5M",
      timeAggregation: monitor.TimeAggregation.Maximum,
      metricMeasureColumn: "DelaySeconds",
      operator: monitor.Operator.GreaterThan,
      threshold: args.seconds,
    },
    args,
    parent,
  );
}
