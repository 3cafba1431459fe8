/**
 * The seed's four Azure Monitor dashboards as workbooks built from code (pure definitions; the component serialises
 * them): infrastructure health, application performance, business metrics and cost. Log panels query the central
 * workspace (tables in tables.ts, filled by this program's diagnostics and Application Insights); cost panels call
 * the Cost Management and Reservations APIs (workbooks have no cost data source: the ARM endpoint data source,
 * https://learn.microsoft.com/azure/azure-monitor/visualize/workbooks-data-sources). Metrics Azure Monitor does not
 * export through diagnostic settings ("DS Export: No" in its supported-metrics reference: the Synapse pool's CPU,
 * memory and DWU, Cosmos DB's normalized RU consumption) never reach AzureMetrics: metrics panels read them from the
 * resources' platform metrics instead. The workspace is private-only:
 * open the workbooks from inside the VNet (docs/runbook.md, "Where to look").
 * Schema: https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json
 */
import { currencies } from "../../pipelines/model/oltp";

/**
 * KQL binding each accepted currency to its ISO 4217 exponent (the data model's dbo.Currency seed): amounts are minor
 * units, and a yen has none (dividing every currency by 100 showed JPY at a hundredth).
 */
export function currencyExponents(): string {
  const rows = currencies.map((c) => `"${c.code}", ${c.minorUnits}`).join(", ");
  return `let CurrencyExponent = datatable(CurrencyCode: string, Exponent: int)[${rows}];`;
}

export const WORKBOOK_KINDS = ["infrastructure", "application", "business", "cost"] as const;
export type WorkbookKind = (typeof WORKBOOK_KINDS)[number];

/** A log panel: KQL over the workspace. */
export interface LogPanel {
  readonly kind: "log";
  /** The seed's panel this implements (tests check every one is present). */
  readonly panel: string;
  readonly title: string;
  readonly query: string;
  readonly visualization: "timechart" | "table" | "barchart" | "tiles";
}

/** An Azure Resource Manager panel (Cost Management, Reservations). */
export interface ArmPanel {
  readonly kind: "arm";
  readonly panel: string;
  readonly title: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly apiVersion: string;
  readonly body?: unknown;
  /** JSONPath of the rows and the columns to show. */
  readonly tablePath: string;
  readonly columns: readonly { readonly path: string; readonly columnid: string }[];
  readonly visualization: "table" | "barchart" | "tiles";
}

/** A platform-metrics panel (workbook metrics item): for metrics that diagnostic settings do not export. */
export interface MetricsPanel {
  readonly kind: "metrics";
  readonly panel: string;
  readonly title: string;
  /** Lower-case ARM type of the resources, also the metric namespace. */
  readonly resourceType: string;
  readonly resourceIds: readonly string[];
  /**
   * The metrics' category as Azure Monitor's supported-metrics tables name it: the portal writes a workbook metric as
   * `<namespace>-<category>-<metric>` (e.g. `microsoft.documentdb/databaseaccounts-Requests-NormalizedRUConsumption`
   * in workbooks exported from the portal), and an empty category only for metrics that have none.
   */
  readonly category: string;
  readonly metrics: readonly { readonly name: string; readonly aggregation: "Maximum" | "Average" | "Total" }[];
}

export type Panel = LogPanel | ArmPanel | MetricsPanel;

/** Azure Monitor's aggregation codes in a workbook metrics item (Sum 1, Minimum 2, Maximum 3, Average 4). */
const METRIC_AGGREGATION = { Total: 1, Maximum: 3, Average: 4 } as const;

export interface WorkbookSpec {
  readonly kind: WorkbookKind;
  readonly displayName: string;
  readonly description: string;
  readonly panels: readonly Panel[];
}

/** The seed's panel list per dashboard. */
export const SEED_PANELS: Readonly<Record<WorkbookKind, readonly string[]>> = {
  infrastructure: ["CPU/memory", "Storage IOPS", "Network throughput"],
  application: ["Request rate", "Latency", "4xx/5xx errors", "Dependency failures"],
  business: ["Transactions per second", "Revenue", "Fraud detection rate"],
  cost: ["Daily spend by service", "Budget status", "Reservation utilisation"],
};

export interface WorkbookInputs {
  readonly environment: string;
  readonly subscriptionId: string;
  /** The stack's resource groups (cost is filtered to them). */
  readonly resourceGroupNames: readonly string[];
  /** Azure name of the stack's budget. */
  readonly budgetName: string;
  /** Dedicated SQL pools and Cosmos DB accounts, whose utilisation metrics are read as platform metrics. */
  readonly synapsePoolIds?: readonly string[];
  readonly cosmosAccountIds?: readonly string[];
}

const lines = (...l: string[]) => l.join("\n");

/**
 * Names each metric series' resource `<name>` or `<parent>/<child>` from `_ResourceId` (`…/providers/<namespace>/<type>/
 * <name>[/<child type>/<child name>]`), as column `ResourcePath`: AzureMetrics' `Resource` is the last name alone,
 * which a SQL database and its geo-secondary share (`payments`), as do every storage account's services (`default`,
 * named by their type here: `blobservices`).
 */
export const RESOURCE_PATH_LINE =
  '| extend IdParts = split(_ResourceId, "/") | extend ResourcePath = iff(array_length(IdParts) > 10, strcat(tostring(IdParts[8]), "/", iff(tostring(IdParts[10]) == "default", tostring(IdParts[9]), tostring(IdParts[10]))), tostring(IdParts[8]))';

const TITLES: Readonly<Record<WorkbookKind, string>> = {
  infrastructure: "infrastructure health",
  application: "application performance",
  business: "business metrics",
  cost: "cost",
};

/** Display name of a dashboard (unique per resource group). */
export function workbookTitle(kind: WorkbookKind, environment: string): string {
  return `Payments platform (${environment}): ${TITLES[kind]}`;
}

/** The four workbooks (pure). */
export function workbookSpecs(w: WorkbookInputs): WorkbookSpec[] {
  const env = w.environment;
  return [
    {
      kind: "infrastructure",
      displayName: workbookTitle("infrastructure", env),
      description: "CPU and memory, storage IO, network throughput of the data services (platform metrics).",
      panels: [
        {
          kind: "log",
          panel: "CPU/memory",
          title: "CPU and memory of the SQL databases (%, max per 5 min)",
          query: lines(
            "AzureMetrics",
            '| where MetricName in ("cpu_percent", "sql_instance_memory_percent")',
            RESOURCE_PATH_LINE,
            '| summarize Percent = max(Maximum) by bin(TimeGenerated, 5m), Series = strcat(ResourcePath, " ", MetricName)',
          ),
          visualization: "timechart",
        },
        ...(w.synapsePoolIds?.length
          ? [
              {
                kind: "metrics",
                panel: "CPU/memory",
                title: "Synapse dedicated pool: DWU, CPU and memory used (%, max)",
                resourceType: "microsoft.synapse/workspaces/sqlpools",
                resourceIds: w.synapsePoolIds,
                // learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-synapse-workspaces-sqlpools-metrics
                category: "SQL dedicated pool",
                metrics: ["DWUUsedPercent", "CPUPercent", "MemoryUsedPercent"].map((name) => ({
                  name,
                  aggregation: "Maximum",
                })),
              } satisfies MetricsPanel,
            ]
          : []),
        ...(w.cosmosAccountIds?.length
          ? [
              {
                kind: "metrics",
                panel: "CPU/memory",
                title: "Cosmos DB: normalized RU consumption (%, max)",
                resourceType: "microsoft.documentdb/databaseaccounts",
                resourceIds: w.cosmosAccountIds,
                category: "Requests",
                metrics: [{ name: "NormalizedRUConsumption", aggregation: "Maximum" }],
              } satisfies MetricsPanel,
            ]
          : []),
        {
          kind: "log",
          panel: "Storage IOPS",
          title: "Storage IO: SQL data reads and log writes (% of the SKU's IOPS limit)",
          query: lines(
            "AzureMetrics",
            '| where MetricName in ("physical_data_read_percent", "log_write_percent")',
            RESOURCE_PATH_LINE,
            '| summarize Percent = max(Maximum) by bin(TimeGenerated, 5m), Series = strcat(ResourcePath, " ", MetricName)',
          ),
          visualization: "timechart",
        },
        {
          kind: "log",
          panel: "Storage IOPS",
          title: "Storage IO: storage account transactions per second",
          query: lines(
            "AzureMetrics",
            '| where ResourceProvider == "MICROSOFT.STORAGE" and MetricName == "Transactions"',
            RESOURCE_PATH_LINE,
            "| summarize Iops = sum(Total) / 300.0 by bin(TimeGenerated, 5m), Series = ResourcePath",
          ),
          visualization: "timechart",
        },
        {
          kind: "log",
          panel: "Network throughput",
          title:
            "Network throughput (bytes/s): gateway sent and received, firewall processed, storage accounts' ingress and egress",
          // Throughput itself is not exported by diagnostic settings on the gateway or the firewall
          // (METRICS_NOT_EXPORTED): the byte counters they do export, per 5 minutes, divided into bytes per second.
          query: lines(
            "AzureMetrics",
            '| where MetricName in ("BytesSent", "BytesReceived", "DataProcessed", "Ingress", "Egress")',
            RESOURCE_PATH_LINE,
            '| summarize BytesPerSecond = sum(Total) / 300.0 by bin(TimeGenerated, 5m), Series = strcat(ResourcePath, " ", MetricName)',
          ),
          visualization: "timechart",
        },
      ],
    },
    {
      kind: "application",
      displayName: workbookTitle("application", env),
      description: "Request rate and latency of the function apps, 4xx/5xx at the gateway, dependency failures.",
      panels: [
        {
          kind: "log",
          panel: "Request rate",
          title: "Requests per 5 min by function",
          query: lines("AppRequests", "| summarize Requests = sum(ItemCount) by bin(TimeGenerated, 5m), Name"),
          visualization: "timechart",
        },
        {
          kind: "log",
          panel: "Latency",
          title: "Request latency P50/P95/P99 (ms)",
          query: lines(
            "AppRequests",
            "| summarize P50 = percentilew(DurationMs, ItemCount, 50), P95 = percentilew(DurationMs, ItemCount, 95), P99 = percentilew(DurationMs, ItemCount, 99) by bin(TimeGenerated, 5m)",
          ),
          visualization: "timechart",
        },
        {
          kind: "log",
          panel: "4xx/5xx errors",
          title: "4xx and 5xx answered by the gateway",
          query: lines(
            "AGWAccessLogs",
            "| summarize Status4xx = countif(HttpStatus >= 400 and HttpStatus < 500), Status5xx = countif(HttpStatus >= 500) by bin(TimeGenerated, 5m)",
          ),
          visualization: "timechart",
        },
        {
          kind: "log",
          panel: "Dependency failures",
          title: "Failed dependency calls the hosts track (SQL trigger, Cosmos DB output bindings) by target",
          query: lines(
            "AppDependencies",
            "| where Success == false",
            "| summarize Failures = sum(ItemCount) by bin(TimeGenerated, 5m), DependencyType, Target",
          ),
          visualization: "timechart",
        },
      ],
    },
    {
      kind: "business",
      displayName: workbookTitle("business", env),
      description:
        "Payments per second, accepted amounts and fraud decisions, from the function apps' telemetry (sampled telemetry is weighted by ItemCount).",
      panels: [
        {
          kind: "log",
          panel: "Transactions per second",
          title: "Payments accepted per second (POST /api/payments)",
          query: lines(
            "AppRequests",
            // Accepted only: refused requests (400, 401, 403) are requests of the function too.
            '| where Name == "createPayment" and ResultCode == "202"',
            "| summarize Tps = sum(ItemCount) / 60.0 by bin(TimeGenerated, 1m)",
          ),
          visualization: "timechart",
        },
        {
          kind: "log",
          panel: "Revenue",
          title: "Accepted payment volume per hour by currency (major units: each currency's ISO 4217 exponent)",
          query: lines(
            currencyExponents(),
            "AppTraces",
            '| where Message startswith "payment.accepted "',
            '| parse Message with "payment.accepted amountMinor=" AmountMinor:long " currencyCode=" CurrencyCode:string " sqlMs=" *',
            "| lookup kind=leftouter CurrencyExponent on CurrencyCode",
            "| summarize Volume = sum(AmountMinor * ItemCount / pow(10.0, coalesce(Exponent, 2))) by bin(TimeGenerated, 1h), CurrencyCode",
          ),
          visualization: "timechart",
        },
        {
          kind: "log",
          panel: "Fraud detection rate",
          title: "Fraud decisions: declined and review rates (%) per hour",
          query: lines(
            "AppTraces",
            '| where Message startswith "payment.scored "',
            '| parse Message with "payment.scored decision=" Decision:string " model=" Model:string',
            '| summarize Scored = sum(ItemCount), Declined = sumif(ItemCount, Decision == "decline"), Review = sumif(ItemCount, Decision == "review") by bin(TimeGenerated, 1h)',
            "| extend DeclineRatePct = 100.0 * Declined / Scored, ReviewRatePct = 100.0 * Review / Scored",
          ),
          visualization: "timechart",
        },
      ],
    },
    {
      kind: "cost",
      displayName: workbookTitle("cost", env),
      description:
        "Daily spend by service for the stack's resource groups, the stack's budget, reservation utilisation. Needs Cost Management Reader (and Reservations Reader) for the viewer.",
      panels: [
        {
          kind: "arm",
          panel: "Daily spend by service",
          title: "Daily actual cost by service, month to date",
          method: "POST",
          path: `/subscriptions/${w.subscriptionId}/providers/Microsoft.CostManagement/query`,
          apiVersion: "2023-11-01",
          body: {
            type: "ActualCost",
            timeframe: "MonthToDate",
            dataset: {
              granularity: "Daily",
              aggregation: { totalCost: { name: "Cost", function: "Sum" } },
              grouping: [{ type: "Dimension", name: "ServiceName" }],
              filter: { dimensions: { name: "ResourceGroupName", operator: "In", values: [...w.resourceGroupNames] } },
            },
          },
          tablePath: "$.properties.rows",
          columns: [
            { path: "$[0]", columnid: "Cost" },
            { path: "$[1]", columnid: "UsageDate" },
            { path: "$[2]", columnid: "ServiceName" },
            { path: "$[3]", columnid: "Currency" },
          ],
          visualization: "barchart",
        },
        {
          kind: "arm",
          panel: "Budget status",
          title: "Budget: amount, spend to date and forecast",
          method: "GET",
          path: `/subscriptions/${w.subscriptionId}/providers/Microsoft.CostManagement/budgets/${w.budgetName}`,
          apiVersion: "2023-11-01",
          tablePath: "$.properties",
          columns: [
            { path: "$.amount", columnid: "Budget" },
            { path: "$.currentSpend.amount", columnid: "SpentToDate" },
            { path: "$.forecastSpend.amount", columnid: "Forecast" },
            { path: "$.currentSpend.unit", columnid: "Currency" },
          ],
          visualization: "tiles",
        },
        {
          kind: "arm",
          panel: "Reservation utilisation",
          title: "Reservations: utilisation over the last 7 and 30 days (%)",
          method: "GET",
          path: "/providers/Microsoft.Capacity/reservations",
          apiVersion: "2022-11-01",
          tablePath: "$.value",
          columns: [
            { path: "$.properties.displayName", columnid: "Reservation" },
            { path: "$.properties.reservedResourceType", columnid: "Type" },
            { path: "$.properties.utilization.aggregates[0].value", columnid: "Utilisation1DayPct" },
            { path: "$.properties.utilization.aggregates[1].value", columnid: "Utilisation7DaysPct" },
            { path: "$.properties.utilization.aggregates[2].value", columnid: "Utilisation30DaysPct" },
          ],
          visualization: "table",
        },
      ],
    },
  ];
}

/** The workbook's `serializedData` document (Notebook/1.0) for a spec. */
export function workbookDocument(spec: WorkbookSpec, workspaceId: string): Record<string, unknown> {
  const items: Record<string, unknown>[] = [
    { type: 1, name: "title", content: { json: `# ${spec.displayName}\n\n${spec.description}` } },
    {
      type: 9,
      name: "parameters",
      content: {
        version: "KqlParameterItem/1.0",
        parameters: [
          {
            id: "time-range",
            version: "KqlParameterItem/1.0",
            name: "TimeRange",
            type: 4,
            isRequired: true,
            value: { durationMs: 86_400_000 },
            typeSettings: {
              selectableValues: [
                { durationMs: 3_600_000 },
                { durationMs: 14_400_000 },
                { durationMs: 86_400_000 },
                { durationMs: 604_800_000 },
                { durationMs: 2_592_000_000 },
              ],
            },
          },
        ],
      },
    },
  ];
  spec.panels.forEach((p, i) => {
    const name = `panel-${i + 1}`;
    if (p.kind === "log") {
      items.push({
        type: 3,
        name,
        content: {
          version: "KqlItem/1.0",
          query: p.query,
          size: 0,
          title: p.title,
          timeContextFromParameter: "TimeRange",
          queryType: 0,
          resourceType: "microsoft.operationalinsights/workspaces",
          crossComponentResources: [workspaceId],
          visualization: p.visualization,
        },
      });
      return;
    }
    if (p.kind === "metrics") {
      items.push({
        type: 10,
        name,
        content: {
          chartId: `workbook-${name}`,
          version: "MetricsItem/2.0",
          size: 0,
          chartType: 2,
          resourceType: p.resourceType,
          metricScope: 0,
          resourceIds: [...p.resourceIds],
          timeContextFromParameter: "TimeRange",
          timeContext: { durationMs: 86_400_000 },
          metrics: p.metrics.map((m) => ({
            namespace: p.resourceType,
            metric: `${p.resourceType}-${p.category}-${m.name}`,
            aggregation: METRIC_AGGREGATION[m.aggregation],
          })),
          title: p.title,
        },
      });
      return;
    }
    items.push({
      type: 3,
      name,
      content: {
        version: "KqlItem/1.0",
        query: JSON.stringify({
          version: "ARMEndpoint/1.0",
          method: p.method,
          path: p.path,
          urlParams: [{ key: "api-version", value: p.apiVersion }],
          ...(p.body === undefined ? {} : { data: JSON.stringify(p.body) }),
          headers: [],
          batchDisabled: false,
          transformers: [{ type: "jsonpath", settings: { tablePath: p.tablePath, columns: p.columns } }],
        }),
        size: 0,
        title: p.title,
        queryType: 12,
        visualization: p.visualization,
      },
    });
  });
  return {
    version: "Notebook/1.0",
    items,
    fallbackResourceIds: [workspaceId],
    $schema: "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json",
  };
}
