/**
 * The seed's SLA table as alert rules, one row per signal, keyed by the tier that produces the signal. A row whose
 * tier is not passed to the operations tier is simply not built, so wiring a tier that lands later is one line in
 * index.ts (`etl: { factoryId: etl.factoryId }`).
 *
 * | SLA (seed)            | Target     | Seed's action                 | Signal (what really measures it)                          |
 * |-----------------------|------------|-------------------------------|-----------------------------------------------------------|
 * | OLTP latency P99      | < 100 ms   | alert if > 200 ms for 5 min   | the payment API's timed writes (`sqlMs` in `AppTraces`)   |
 * | OLAP query time       | < 5 s      | alert if > 10 s for 3 queries | `SynapseSqlPoolExecRequests` (pool diagnostics)            |
 * | Cosmos DB latency     | < 10 ms    | alert if > 50 ms for 5 min    | `CDBDataPlaneRequests` P99 (account diagnostics)           |
 * | ETL success rate      | > 99.9 %   | alert + rollback on failure   | Data Factory metric `PipelineFailedRuns`                   |
 * | API availability      | > 99.95 %  | major incident if < 99.9 %    | `AGWAccessLogs` 5xx ratio (gateway diagnostics)            |
 * | Data freshness        | < 15 min   | alert if OLAP data > 1 h old  | `ADFPipelineRun` last success; ASA `OutputWatermarkDelaySeconds` |
 *
 * Metric alerts have no percentile aggregation (AggregationTypeEnum: Average, Count, Minimum, Maximum, Total), so
 * the percentile rows are log alerts that compute the percentile in KQL and return rows only when the SLA is
 * breached (`Count > 0`). Sources: docs in each row's `source`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { OperationsConfig } from "../../lib/config";
import type { OlapLoadSchedule } from "../../pipelines/etl/orchestration";
import { NON_BI_CLASSIFIERS } from "../olap/settings";
import type { AlertSeverity } from "./routing";

/** The tiers that feed SLA rows, with what the rows need from each (plain ids; tiers pass outputs). */
export interface SlaTierInputs<T = pulumi.Input<string>> {
  /** OLTP: the payments database is deployed (the payment API times its writes to it). */
  readonly oltp?: boolean;
  /** OLAP: the dedicated SQL pool. */
  readonly olap?: { readonly sqlPoolId: T };
  /** NoSQL: the Cosmos DB account. */
  readonly nosql?: { readonly accountId: T };
  /** Ingestion: the Application Gateway in front of the payments API. */
  readonly ingestion?: { readonly gatewayId: T };
  /**
   * ETL: the Data Factory; `olapLoad` names the pipelines whose success makes OLAP data fresh and how often the load
   * runs (default: any pipeline of the factory, expected every `freshnessMinutes`).
   */
  readonly etl?: { readonly factoryId: T; readonly olapLoad?: OlapLoadSchedule };
  /**
   * Streaming: the Stream Analytics job that feeds the warehouse. Its output watermark is the job's lag only: the job
   * writes to Event Hubs and the Synapse loader function inserts the rows, which the streaming tier's own freshness
   * alert watches (components/streaming/freshness.ts).
   */
  readonly streaming?: { readonly streamingJobId: T };
}
export type SlaTier = keyof SlaTierInputs;

export type SlaConfig = OperationsConfig["sla"];

/** A log alert: KQL over the workspace that returns rows only while the SLA is breached. */
export interface LogSignal {
  readonly kind: "log";
  readonly query: string;
  readonly windowMinutes: number;
  readonly frequencyMinutes: number;
  /** Look back further than the window (e.g. "when did the last load succeed?"), ISO 8601. */
  readonly queryTimeRange?: string;
  /** Split alerts per value of these columns (one alert per container, per pipeline, ...). */
  readonly dimensions?: readonly string[];
}

/** A metric alert on the resource itself. */
export interface MetricSignal {
  readonly kind: "metric";
  readonly metricNamespace: string;
  readonly metricName: string;
  readonly aggregation: "Average" | "Maximum" | "Minimum" | "Total" | "Count";
  readonly operator: "GreaterThan" | "LessThan" | "GreaterThanOrEqual" | "LessThanOrEqual";
  readonly threshold: number;
  readonly windowMinutes: number;
  readonly frequencyMinutes: number;
  readonly dimensions?: readonly { readonly name: string; readonly values: readonly string[] }[];
}

export type Signal = LogSignal | MetricSignal;

/** One SLA alert: which seed row it implements, from which tier, how bad, and the signal. */
export interface SlaAlert {
  /** Logical key (resource names, runbook anchors). */
  readonly key: string;
  /** The seed's row it implements. */
  readonly sla:
    | "OLTP latency P99"
    | "OLAP query time"
    | "Cosmos DB latency"
    | "ETL success rate"
    | "API availability"
    | "Data freshness";
  readonly tier: SlaTier;
  /** Anchor in docs/runbook.md when several alerts share a section. */
  readonly runbook?: string;
  readonly severity: AlertSeverity;
  readonly displayName: string;
  readonly description: string;
  readonly signal: Signal;
  /** For metric signals: the resource the metric belongs to (log signals run on the workspace). */
  readonly scope?: string;
  /** Where the signal is documented. */
  readonly source: string;
}

/** KQL string literal (double quotes, escaped). */
export function kqlString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * The SLA alerts for the tiers present (pure: plain ids in, specs out). Thresholds and windows come from
 * `operations.sla` (the seed's figures by default).
 */
export function slaAlerts(sla: SlaConfig, tiers: SlaTierInputs<string>): SlaAlert[] {
  const alerts: SlaAlert[] = [];
  if (tiers.oltp) {
    alerts.push({
      key: "oltp-latency-p99",
      sla: "OLTP latency P99",
      tier: "oltp",
      severity: 1,
      displayName: `OLTP latency P99 > ${sla.oltpP99Ms} ms for ${sla.oltpWindowMinutes} min`,
      description: `The P99 of the payment API's writes to the payments database (as the app times them) exceeded ${sla.oltpP99Ms} ms over ${sla.oltpWindowMinutes} minutes (SLA: P99 < 100 ms). docs/runbook.md#oltp-latency-p99`,
      signal: {
        kind: "log",
        query: [
          "AppTraces",
          // One line per write (pipelines/functions/src/lib/telemetry.ts: sqlMs is always the last field), sampled
          // like all telemetry: ItemCount weighs each kept line.
          `| where Message startswith "payment.accepted " or Message startswith "payment.store "`,
          '| parse Message with * " sqlMs=" SqlMs:real',
          "| where isnotnull(SqlMs)",
          "| summarize P99Ms = percentilew(SqlMs, ItemCount, 99), Calls = sum(ItemCount)",
          `| where Calls >= 50 and P99Ms > ${sla.oltpP99Ms}`,
        ].join("\n"),
        windowMinutes: sla.oltpWindowMinutes,
        frequencyMinutes: Math.min(sla.oltpWindowMinutes, MAX_LOG_FREQUENCY_MINUTES),
      },
      source:
        "Azure SQL has no per-request latency metric, and the Functions host tracks no dependency for the app's own TDS calls: the payment API times each write (connection wait, the insert or the replay read, one retry) and logs it with the outcome.",
    });
  }
  if (tiers.olap) {
    alerts.push({
      key: "olap-query-time",
      sla: "OLAP query time",
      tier: "olap",
      severity: 3,
      displayName: `OLAP: ${sla.olapSlowQueries}+ queries over ${sla.olapQuerySeconds} s in ${sla.olapWindowMinutes} min`,
      description: `At least ${sla.olapSlowQueries} queries on the dedicated pool (outside the ETL workload group and the streaming loader's inserts) ran longer than ${sla.olapQuerySeconds} s in ${sla.olapWindowMinutes} minutes (SLA: < 5 s). docs/runbook.md#olap-query-time`,
      signal: {
        kind: "log",
        query: [
          "SynapseSqlPoolExecRequests",
          // The pool's rows: its diagnostic setting is on the pool, but Microsoft's table reference lists the table
          // under the workspace's resource type and no sample shows which id the rows carry, so either is taken (the
          // stack has one pool per workspace; KQL's `startswith` ignores case, as `=~` does).
          `| where _ResourceId =~ ${kqlString(tiers.olap.sqlPoolId)} or ${kqlString(tiers.olap.sqlPoolId)} startswith strcat(_ResourceId, "/sqlPools/")`,
          '| where Status in ("Completed", "Failed", "Cancelled") and isnotnull(StartTime) and isnotnull(EndTime)',
          // The nightly load runs long on purpose: requests the ETL classifiers put in the ETL group (the ETL
          // identity, every session running as dbo) and the streaming loader's inserts are left out
          // (components/olap/settings.ts).
          `| where ClassifierName !in (${NON_BI_CLASSIFIERS.map((c) => `"${c}"`).join(", ")})`,
          '| extend DurationSec = datetime_diff("millisecond", EndTime, StartTime) / 1000.0',
          `| where DurationSec > ${sla.olapQuerySeconds}`,
          "| summarize SlowQueries = dcount(RequestId)",
          `| where SlowQueries >= ${sla.olapSlowQueries}`,
        ].join("\n"),
        windowMinutes: sla.olapWindowMinutes,
        frequencyMinutes: 5,
      },
      source:
        "SynapseSqlPoolExecRequests has no duration column: EndTime - StartTime (https://learn.microsoft.com/azure/azure-monitor/reference/tables/synapsesqlpoolexecrequests).",
    });
  }
  if (tiers.nosql) {
    alerts.push({
      key: "cosmos-latency-p99",
      sla: "Cosmos DB latency",
      tier: "nosql",
      severity: 1,
      displayName: `Cosmos DB P99 > ${sla.cosmosP99Ms} ms for ${sla.cosmosWindowMinutes} min`,
      description: `Server-side P99 of a container's requests exceeded ${sla.cosmosP99Ms} ms over ${sla.cosmosWindowMinutes} minutes (SLA: < 10 ms). docs/runbook.md#cosmos-latency-p99`,
      signal: {
        kind: "log",
        query: [
          "CDBDataPlaneRequests",
          `| where _ResourceId =~ ${kqlString(tiers.nosql.accountId)}`,
          "| summarize P99Ms = percentile(DurationMs, 99), Requests = count() by CollectionName",
          `| where Requests >= 50 and P99Ms > ${sla.cosmosP99Ms}`,
        ].join("\n"),
        windowMinutes: sla.cosmosWindowMinutes,
        frequencyMinutes: Math.min(sla.cosmosWindowMinutes, MAX_LOG_FREQUENCY_MINUTES),
        dimensions: ["CollectionName"],
      },
      source:
        "ServerSideLatency metrics give averages and maxima only; DurationMs of CDBDataPlaneRequests is the server-side time (https://learn.microsoft.com/azure/azure-monitor/reference/tables/cdbdataplanerequests).",
    });
  }
  if (tiers.ingestion) {
    const pct = sla.apiAvailabilityPercent;
    alerts.push({
      key: "api-availability",
      sla: "API availability",
      tier: "ingestion",
      severity: 0,
      displayName: `Major incident: API availability < ${pct} % over ${sla.apiWindowMinutes} min`,
      description: `Fewer than ${pct} % of the payments API's requests at the gateway succeeded (5xx count as failures) over ${sla.apiWindowMinutes} minutes, with at least ${sla.apiMinRequests} requests (SLA: > 99.95 %). Open a major incident. docs/runbook.md#api-availability`,
      signal: {
        kind: "log",
        query: [
          "AGWAccessLogs",
          `| where _ResourceId =~ ${kqlString(tiers.ingestion.gatewayId)}`,
          "| summarize Total = count(), Failed = countif(HttpStatus >= 500)",
          "| extend AvailabilityPct = 100.0 * (Total - Failed) / Total",
          `| where Total >= ${sla.apiMinRequests} and AvailabilityPct < ${pct}`,
        ].join("\n"),
        windowMinutes: sla.apiWindowMinutes,
        frequencyMinutes: 5,
      },
      source:
        "AGWAccessLogs.HttpStatus is the status returned to the client (https://learn.microsoft.com/azure/azure-monitor/reference/tables/agwaccesslogs); WAF blocks (403) and throttling (429) are the client's, not unavailability.",
    });
  }
  if (tiers.etl) {
    alerts.push({
      key: "etl-pipeline-failed",
      sla: "ETL success rate",
      tier: "etl",
      severity: 2,
      displayName: "ETL pipeline run failed",
      description:
        "A Data Factory pipeline run failed (SLA: > 99.9 % success; at a few dozen runs a night one failure breaks it, so every failure alerts). The pipeline's own failure path rolls the load back; check it did. docs/runbook.md#etl-pipeline-failed",
      scope: tiers.etl.factoryId,
      signal: {
        kind: "metric",
        metricNamespace: "Microsoft.DataFactory/factories",
        metricName: "PipelineFailedRuns",
        aggregation: "Total",
        operator: "GreaterThan",
        threshold: 0,
        windowMinutes: sla.etlWindowMinutes,
        frequencyMinutes: 1,
        dimensions: [
          { name: "Name", values: ["*"] },
          { name: "FailureType", values: ["*"] },
        ],
      },
      source:
        "Data Factory metrics PipelineFailedRuns (dimensions Name, FailureType): https://learn.microsoft.com/azure/data-factory/monitor-metrics-alerts",
    });
    const pipelines = tiers.etl.olapLoad?.pipelines ?? [];
    // A batch load makes the data as old as its interval by design (the nightly run: a day): the alert allows the
    // interval plus `freshnessMinutes` for the run itself, within the two days the query looks back.
    const every = tiers.etl.olapLoad?.everyMinutes ?? 0;
    const maxAge = every + sla.freshnessMinutes;
    if (maxAge > FRESHNESS_LOOKBACK_MINUTES)
      throw new Error(
        `operations.sla.freshnessMinutes: the warehouse load runs every ${every} minutes, so ${sla.freshnessMinutes} more gives ${maxAge}, beyond the ${FRESHNESS_LOOKBACK_MINUTES} minutes a log alert can look back: lower it to at most ${FRESHNESS_LOOKBACK_MINUTES - every}`,
      );
    const schedule = every > 0 ? `, one load every ${ageLabel(every)} plus ${ageLabel(sla.freshnessMinutes)}` : "";
    alerts.push({
      key: "data-freshness-batch",
      runbook: "data-freshness",
      sla: "Data freshness",
      tier: "etl",
      severity: 2,
      displayName: `OLAP batch data older than ${ageLabel(maxAge)} (last successful ${every > 0 ? "publish" : "load"})`,
      description: `No load into the warehouse succeeded in the last ${maxAge} minutes${schedule} (SLA: < 15 min for the stream; seed: alert if OLAP data > 1 h old). docs/runbook.md#data-freshness`,
      signal: {
        kind: "log",
        query: [
          "ADFPipelineRun",
          `| where _ResourceId =~ ${kqlString(tiers.etl.factoryId)}`,
          ...(pipelines.length > 0 ? [`| where PipelineName in (${pipelines.map(kqlString).join(", ")})`] : []),
          '| where Status == "Succeeded"',
          // No `by`: one row even when nothing matched, so "never loaded" alerts too.
          "| summarize LastSuccess = max(End)",
          '| extend AgeMinutes = datetime_diff("minute", now(), LastSuccess)',
          `| where isnull(LastSuccess) or AgeMinutes > ${maxAge}`,
        ].join("\n"),
        windowMinutes: 15,
        frequencyMinutes: 15,
        queryTimeRange: isoMinutes(FRESHNESS_LOOKBACK_MINUTES),
      },
      source:
        "ADFPipelineRun (Status, PipelineName, End): https://learn.microsoft.com/azure/azure-monitor/reference/tables/adfpipelinerun",
    });
  }
  if (tiers.streaming) {
    alerts.push({
      key: "data-freshness-stream",
      runbook: "data-freshness",
      sla: "Data freshness",
      tier: "streaming",
      severity: 2,
      displayName: `Stream Analytics output more than ${sla.freshnessMinutes} min behind (OLAP stream data)`,
      description: `The streaming job's output watermark is more than ${sla.freshnessMinutes} minutes behind, so the warehouse's stream data is at least that old (SLA: < 15 min; seed: alert if OLAP data > 1 h old). The job only: the loader that inserts its rows is watched by the streaming tier's freshness alert, which fires first, as does the tier's 5-minute watermark alert. docs/runbook.md#data-freshness`,
      scope: tiers.streaming.streamingJobId,
      signal: {
        kind: "metric",
        metricNamespace: "Microsoft.StreamAnalytics/streamingjobs",
        metricName: "OutputWatermarkDelaySeconds",
        aggregation: "Maximum",
        operator: "GreaterThan",
        threshold: sla.freshnessMinutes * 60,
        windowMinutes: 15,
        frequencyMinutes: 5,
      },
      source:
        "Watermark delay: https://learn.microsoft.com/azure/stream-analytics/stream-analytics-job-metrics (OutputWatermarkDelaySeconds)",
    });
  }
  return alerts;
}

export type { OlapLoadSchedule };

/** How far back a log alert's query may look (`overrideQueryTimeRange` of at most two days). */
export const FRESHNESS_LOOKBACK_MINUTES = 2880;

/**
 * A log alert is evaluated at most once a day: its frequencies run from PT1M to P1D while its windows go up to P2D
 * (the values the service accepts, as terraform-provider-azurerm's monitor_scheduled_query_rules_alert_v2 validates
 * `evaluation_frequency` and `window_duration`). A two-day window is evaluated daily.
 */
export const MAX_LOG_FREQUENCY_MINUTES = 1440;

/** "25 h", "90 min": an age for a display name. */
export const ageLabel = (m: number): string => (m >= 120 && m % 60 === 0 ? `${m / 60} h` : `${m} min`);

/** The six rows of the seed's table, in its order (tests check every row has at least one alert). */
export const SLA_ROWS: readonly SlaAlert["sla"][] = [
  "OLTP latency P99",
  "OLAP query time",
  "Cosmos DB latency",
  "ETL success rate",
  "API availability",
  "Data freshness",
];

/** ISO 8601 duration of a number of minutes (PT5M, PT1H, P1D). */
export function isoMinutes(m: number): string {
  if (m % 1440 === 0) return `P${m / 1440}D`;
  if (m % 60 === 0) return `PT${m / 60}H`;
  return `PT${m}M`;
}
