/**
 * The freshness side of the streaming SLA: an alert when dbo.Fact_API_Performance received no row for the
 * configured number of minutes. Azure Monitor cannot query the private dedicated pool, but the job is the table's
 * only writer and it reports every row it writes as the `OutputEvents` metric (sent to the workspace's
 * AzureMetrics table by its diagnostic setting): no output events for N minutes = no row newer than N minutes.
 * Unlike a metric alert, the log query also fires when the job is stopped or deleted and reports nothing at all.
 */
import * as monitor from "@pulumi/azure-native/monitor";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext, Tags } from "../shared";

/** The Stream Analytics metric counting rows written to the outputs. */
export const OUTPUT_EVENTS_METRIC = "OutputEvents";

/** KQL over the window: rows the job wrote (0 when it reported nothing). */
export function freshnessQuery(jobId: string): string {
  return [
    "let written = toscalar(AzureMetrics",
    `    | where ResourceId =~ "${jobId}" and MetricName == "${OUTPUT_EVENTS_METRIC}"`,
    "    | summarize sum(Total));",
    "print RowsWritten = coalesce(written, 0.0)",
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
  args: {
    readonly context: StackContext;
    readonly resourceGroupName: pulumi.Input<string>;
    readonly workspaceId: pulumi.Input<string>;
    readonly jobId: pulumi.Input<string>;
    readonly minutes: number;
    readonly table: string;
    readonly actionGroupId: pulumi.Input<string>;
    readonly tags: Tags;
  },
  parent: pulumi.Resource,
): monitor.ScheduledQueryRule {
  const window = minutesToDuration(args.minutes);
  return new monitor.ScheduledQueryRule(
    `${name}-freshness-alert`,
    {
      ruleName: args.context.name("alert", "api-perf-freshness"),
      resourceGroupName: args.resourceGroupName,
      location: args.context.config.location,
      kind: monitor.Kind.LogAlert,
      displayName: `${args.table} freshness`,
      description: `${args.table} received no row for ${args.minutes} minutes (the streaming job wrote nothing); see docs/streaming.md.`,
      severity: 1,
      enabled: true,
      scopes: [args.workspaceId],
      // As often as the window, at most every 15 minutes (config allows windows of 5 minutes and more).
      evaluationFrequency: minutesToDuration(Math.min(args.minutes, 15)),
      windowSize: window,
      criteria: {
        allOf: [
          {
            query: pulumi.output(args.jobId).apply(freshnessQuery),
            timeAggregation: monitor.TimeAggregation.Total,
            metricMeasureColumn: "RowsWritten",
            // The REST enum of scheduledQueryRules conditions ("LessThan"); the SDK's ConditionOperator enum is the
            // action rules' one ("lt"), so the string is written out.
            operator: "LessThan",
            threshold: 1,
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
          },
        ],
      },
      autoMitigate: true,
      actions: {
        actionGroups: [args.actionGroupId],
        customProperties: { runbook: "docs/runbook.md#streaming-freshness" },
      },
      tags: args.tags,
    },
    { parent },
  );
}
