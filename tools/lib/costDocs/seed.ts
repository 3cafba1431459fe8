/** The seed's cost table, the outlook of tiers still to land, and what the two documents share. */
import type { ResourceRecord } from "../policyRunner";
import { type CapacityRow } from "../cost/capacity";
import type { Estimate } from "../cost/estimate";
import { type LoadConfig, type UsageConfig } from "../../../lib/usage";

export const usd = (n: number) => `$${Math.round(n).toLocaleString("en-US")}`;

/** The seed's cost table (USD/month, West Europe) and which estimate lines each row corresponds to. */
export const SEED: readonly {
  service: string;
  sku: string;
  seed: number;
  match: (type: string, name: string) => boolean;
}[] = [
  {
    service: "Azure SQL Database",
    sku: "BC Gen5 8 vCore",
    seed: 2920,
    match: (t, n) => t.endsWith("sql:Database") && !n.includes("secondary"),
  },
  { service: "Azure Synapse Analytics", sku: "DW500c", seed: 5840, match: (t) => t.includes(":synapse:") },
  { service: "Azure Cosmos DB", sku: "110K RU/s autoscale", seed: 7920, match: (t) => t.includes(":cosmosdb:") },
  {
    service: "Azure Data Factory",
    sku: "100 pipeline runs/day",
    seed: 350,
    match: (t) => t.includes(":datafactory:"),
  },
  { service: "Azure Storage", sku: "10 TB hot + 50 TB cool", seed: 450, match: (t) => t.includes(":storage:") },
  { service: "Azure Monitor", sku: "Logs + Metrics", seed: 280, match: (t) => t.includes(":operationalinsights:") },
  {
    service: "Networking",
    sku: "VNet + Private Links",
    seed: 240,
    match: (t) => /:(PrivateEndpoint|PublicIPAddress)$|privatedns:PrivateZone$/.test(t),
  },
];

export interface StackCost {
  readonly resources: readonly ResourceRecord[];
  readonly usage: UsageConfig;
  readonly load: LoadConfig;
  readonly estimate: Estimate;
  readonly capacity: readonly CapacityRow[];
}

export function sumWhere(e: Estimate, f: (type: string, name: string) => boolean) {
  const ls = e.lines.filter((l) => f(l.type, l.name));
  return { list: ls.reduce((s, l) => s + l.list, 0), committed: ls.reduce((s, l) => s + l.committed, 0), n: ls.length };
}

/** A hand-made resource for the outlook (the seed's services whose tiers are not in the stack yet). */
export function planned(type: string, name: string, inputs: Record<string, unknown>): ResourceRecord {
  return {
    urn: `urn:pulumi:prod::payments-data-platform::payments:outlook:Planned$azure-native:${type}::${name}`,
    type: `azure-native:${type}`,
    name,
    custom: true,
    parent: "urn:pulumi:prod::payments-data-platform::payments:outlook:Planned::outlook",
    dependencies: [],
    propertyDependencies: {},
    inputs,
    outputs: {},
    protect: false,
  };
}

/**
 * The tiers landing next (ETL, streaming, operations), as their branches declare them: priced by the same rules, each
 * group only while the stack has none of its marker type, so the real resources replace the outlook as they merge.
 */
export const OUTLOOK_GROUPS: readonly { tier: string; marker: string; resources: readonly ResourceRecord[] }[] = [
  {
    tier: "etl (Data Factory, managed VNet)",
    marker: "azure-native:datafactory:Factory",
    resources: [
      planned("datafactory:Factory", "etl-factory", {}),
      planned("datafactory:IntegrationRuntime", "etl-ir (managed VNet, 8 DIU, TTL 5 min)", {
        properties: {
          type: "Managed",
          managedVirtualNetwork: { referenceName: "default", type: "ManagedVirtualNetworkReference" },
          computeProperties: {
            location: "AutoResolve",
            copyComputeScaleProperties: { dataIntegrationUnit: 8, timeToLive: 5 },
            pipelineExternalComputeScaleProperties: { timeToLive: 5 },
          },
        },
      }),
      planned("network:PrivateEndpoint", "adf-pep", {}),
    ],
  },
  {
    tier: "streaming (Event Hubs Premium 1 PU, Stream Analytics job 6 SU)",
    marker: "azure-native:eventhub:Namespace",
    resources: [
      planned("eventhub:Namespace", "streaming-evh (Premium 1 PU: CMK needs Premium)", {
        sku: { name: "Premium", capacity: 1 },
      }),
      planned("streamanalytics:StreamingJob", "streaming-job (no cluster)", {
        transformation: { name: "t", streamingUnits: 6 },
      }),
      planned("network:PrivateEndpoint", "evh-pep", {}),
    ],
  },
  {
    tier: "operations (Defender plans, Sentinel, alert rules)",
    marker: "azure-native:security:Pricing",
    resources: [
      ...["SqlServers", "CosmosDbs", "KeyVaults", "StorageAccounts", "Arm"].map((plan) =>
        planned("security:Pricing", `defender-${plan.toLowerCase()}`, { pricingName: plan, pricingTier: "Standard" }),
      ),
      planned("securityinsights:SentinelOnboardingState", "sentinel", {}),
      ...Array.from({ length: 12 }, (_, i) =>
        planned("monitor:MetricAlert", `metric-alert-${i + 1}`, { scopes: ["x"], criteria: { allOf: [{}] } }),
      ),
      ...Array.from({ length: 6 }, (_, i) =>
        planned("monitor:ScheduledQueryRule", `log-alert-${i + 1} (5 min)`, { evaluationFrequency: "PT5M" }),
      ),
      planned("monitor:ActionGroup", "oncall-webhook", { webhookReceivers: [{ useAadAuth: true }] }),
    ],
  },
];

/** The outlook groups still missing from a stack. */
export const outlookFor = (resources: readonly ResourceRecord[]) =>
  OUTLOOK_GROUPS.filter((g) => !resources.some((r) => r.custom && r.type === g.marker));
