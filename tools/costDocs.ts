/**
 * npm run cost:docs [-- --check]
 *
 * Writes docs/cost.md and docs/capacity.md from the estimator and the capacity model over both stacks' offline
 * previews, so every figure in them is the tools' own (a test fails when they are stale).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ResourceRecord } from "./lib/policyRunner";
import { ROOT } from "./lib/preview";
import { CONTAINERS, containerResource } from "../components/nosql";
import { capacityMarkdown, ruPerTransaction, type CapacityRow } from "./lib/cost/capacity";
import { estimate, type Estimate } from "./lib/cost/estimate";
import { stackAssumptions } from "./lib/cost/stack";
import { alwaysReadyInstances, isSqlTriggerSettings, offHoursSchedule } from "./lib/cost/model";
import { PRICES } from "./lib/cost/prices";
import {
  COST_TARGETS,
  PROD_CAPACITY_CEILING_USD,
  SEED_COSMOS_MAX_RU,
  type LoadConfig,
  type UsageConfig,
} from "../lib/usage";
import { atSeedCosmosSizing, atSeedSizing } from "./lib/cost/capacity";

export const COST_DOC = path.join(ROOT, "docs", "cost.md");
export const CAPACITY_DOC = path.join(ROOT, "docs", "capacity.md");
const usd = (n: number) => `$${Math.round(n).toLocaleString("en-US")}`;

/** The seed's cost table (USD/month, West Europe) and which estimate lines each row corresponds to. */
const SEED: readonly { service: string; sku: string; seed: number; match: (type: string, name: string) => boolean }[] =
  [
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

interface StackCost {
  readonly resources: readonly ResourceRecord[];
  readonly usage: UsageConfig;
  readonly load: LoadConfig;
  readonly estimate: Estimate;
  readonly capacity: readonly CapacityRow[];
}

function sumWhere(e: Estimate, f: (type: string, name: string) => boolean) {
  const ls = e.lines.filter((l) => f(l.type, l.name));
  return { list: ls.reduce((s, l) => s + l.list, 0), committed: ls.reduce((s, l) => s + l.committed, 0), n: ls.length };
}

/** A hand-made resource for the outlook (the seed's services whose tiers are not in the stack yet). */
function planned(type: string, name: string, inputs: Record<string, unknown>): ResourceRecord {
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

type Edit = (r: ResourceRecord) => ResourceRecord | undefined;
function scenario(s: StackCost, usage: Partial<UsageConfig> = {}, ...edits: (Edit | ResourceRecord[])[]): Estimate {
  let resources = [...s.resources, ...outlookFor(s.resources).flatMap((g) => g.resources)];
  for (const edit of edits)
    resources = Array.isArray(edit)
      ? [...resources, ...edit]
      : resources.map(edit).filter((r): r is ResourceRecord => r !== undefined);
  return estimate(resources, { stack: "prod", usage: { ...s.usage, ...usage } });
}
const setInputs =
  (type: string, f: (inputs: Record<string, unknown>) => Record<string, unknown>): Edit =>
  (r) =>
    r.type.endsWith(type) ? { ...r, inputs: f(r.inputs) } : r;
/** Reverting a decision: the DDoS Network Protection plan instead of IP Protection on each public IP. */
const ddosPlan = [planned("network:DdosProtectionPlan", "platform-ddos (plan)", {})];
const inheritDdos: Edit = (r) =>
  r.type.endsWith("network:PublicIPAddress")
    ? { ...r, inputs: { ...r.inputs, ddosSettings: { protectionMode: "VirtualNetworkInherited" } } }
    : r.type.endsWith("network:VirtualNetwork")
      ? {
          ...r,
          inputs: { ...r.inputs, enableDdosProtection: true, ddosProtectionPlan: { id: "platform-ddos (plan)" } },
        }
      : r;
const twoCosmosRegions = setInputs("cosmosdb:DatabaseAccount", (i) => ({
  ...i,
  locations: [
    ...(i.locations as unknown[]),
    { locationName: "northeurope", failoverPriority: 1, isZoneRedundant: true },
  ],
}));
const lakeSku = (sku: string) =>
  setInputs("storage:StorageAccount", (i) => (i.isHnsEnabled === true ? { ...i, sku: { name: sku } } : i));
/** The failover group's geo-secondary database at another vCore count (createMode Secondary). */
const secondaryVcores = (vcores: number) =>
  setInputs("sql:Database", (i) =>
    i.createMode === "Secondary" ? { ...i, sku: { ...(i.sku as object), capacity: vcores } } : i,
  );
const poolSku = (sku: string) =>
  setInputs("synapse:SqlPool", (i) => ({ ...i, sku: { ...(i.sku as object), name: sku } }));
const firewallTier = (tier: string) =>
  setInputs("network:AzureFirewall", (i) => ({ ...i, sku: { ...(i.sku as object), tier } }));
const asaStandardJob: Edit = (r) =>
  r.type.endsWith("streamanalytics:Cluster")
    ? undefined
    : r.type.endsWith("streamanalytics:StreamingJob")
      ? { ...r, inputs: { ...r.inputs, cluster: undefined } }
      : r;
/** The streaming tier's first shape: the job on a 36-SU cluster (its managed private endpoints reached Synapse). */
const onCluster = setInputs("streamanalytics:StreamingJob", (i) => ({ ...i, cluster: { id: "cluster" } }));
const asaCluster = [
  planned("streamanalytics:Cluster", "streaming-cluster", { sku: { name: "Default", capacity: 36 } }),
];
/**
 * Reverting a decision: the scorer read-modify-writes the merchant's item with every batch again (two replaces per
 * payment instead of one), fraud_features' maximum scaled by the RU ratio at the same headroom.
 */
const merchantOnPath =
  (load: StackCost["load"]): Edit =>
  (r) => {
    if (!r.type.endsWith("cosmosdb:SqlResourceSqlContainer")) return r;
    const resource = r.inputs.resource as { id?: string; indexingPolicy?: unknown } | undefined;
    const options = r.inputs.options as { autoscaleSettings?: { maxThroughput?: number } } | undefined;
    const max = options?.autoscaleSettings?.maxThroughput;
    if (resource?.id !== "fraud_features" || max === undefined) return r;
    const l = load.cosmos.fraudFeatures;
    const ru = (replaces: number) =>
      ruPerTransaction({ ...l, replacesPerTransaction: replaces }, resource.indexingPolicy, true).ru;
    const scaled = Math.ceil((max * ru(l.replacesPerTransaction + 1)) / ru(l.replacesPerTransaction) / 1000) * 1000;
    return { ...r, inputs: { ...r.inputs, options: { ...options, autoscaleSettings: { maxThroughput: scaled } } } };
  };
/** What a stack's estimate leaves unpriced, for a person: "name: reason; …". */
function notEstimatedText(s: StackCost): string {
  const items = s.estimate.notEstimated;
  return items.length === 0 ? "nothing" : items.map((x) => `${x.name}: ${x.reason}`).join("; ");
}
/** Always-ready instances of a stack, and those of its Azure SQL trigger app (the scorer). */
function alwaysReadyOf(resources: readonly ResourceRecord[]): { all: number; scorer: number } {
  const apps = resources.filter((r) => r.type === "azure-native:web:WebApp");
  const scorerNames = new Set(
    resources
      .filter((r) => r.type === "azure-native:web:WebAppApplicationSettings" && isSqlTriggerSettings(r))
      .map((r) => String(r.inputs.name)),
  );
  const count = (xs: readonly ResourceRecord[]) => xs.reduce((n, a) => n + alwaysReadyInstances(a), 0);
  return { all: count(apps), scorer: count(apps.filter((a) => scorerNames.has(String(a.inputs.name)))) };
}
/**
 * Usage that moves `gb` of the lake's hot volume to cool and leaves its cold volume as priced: the moved data is the
 * youngest of the cool tier, so the span the cool volume covers grows just enough to keep the cold share constant.
 */
function hotToCool(s: StackCost, gb: number): Partial<UsageConfig> {
  const cold = s.estimate.lines.find((l) => l.priceId.startsWith("storage-cold-"));
  const age = Number(/cold after (\d+) days/.exec(cold?.meter ?? "")?.[1] ?? NaN);
  const cool = s.usage.lakeCoolGb + gb;
  if (!cold || Number.isNaN(age)) return { lakeHotGb: s.usage.lakeHotGb - gb, lakeCoolGb: cool };
  const spanDays = age / (1 - cold.quantity / cool);
  return { lakeHotGb: s.usage.lakeHotGb - gb, lakeCoolGb: cool, lakeCoolVolumeMonths: spanDays / (730 / 24) };
}
/** The scoring deployment's size as the stack's outputs state it (fraudScoring.deployment). */
const scoringSize =
  (instanceType: string): Edit =>
  (r) => {
    if (r.type !== "pulumi:pulumi:Stack") return r;
    const outputs = r.outputs as Record<string, unknown>;
    const f = outputs.fraudScoring as { deployment?: Record<string, unknown> } | undefined;
    if (!f?.deployment) return r;
    return { ...r, outputs: { ...outputs, fraudScoring: { ...f, deployment: { ...f.deployment, instanceType } } } };
  };
const evhUnits = (n: number) =>
  setInputs("eventhub:Namespace", (i) => ({ ...i, sku: { ...(i.sku as object), capacity: n } }));

/** webhook_events' indexing policy as the NoSQL tier declares it. */
const WEBHOOK_POLICY = containerResource(CONTAINERS.webhookEvents, undefined).indexingPolicy;
/** webhook_events' load at the target with one delivery update (a replace) per event, RU/s. */
function webhookWithDispatcher(s: StackCost): number {
  const l = s.load.cosmos.webhookEvents;
  const row = s.capacity.find((r) => r.resource.startsWith("webhook_events"));
  const perTx = row ? row.load / s.load.transactionsPerSecond : 0;
  const base = ruPerTransaction(l, WEBHOOK_POLICY, true);
  const withUpdate = ruPerTransaction(
    { ...l, replacesPerTransaction: l.replacesPerTransaction + 1 },
    WEBHOOK_POLICY,
    true,
  );
  return perTx * (withUpdate.ru / base.ru) * s.load.transactionsPerSecond;
}
/** The stack's Cosmos DB autoscale maxima of the data containers (the capacity rows), RU/s. */
function cosmosMaxRu(s: StackCost): number {
  return s.capacity.filter((r) => r.unit === "RU/s").reduce((sum, r) => sum + r.capacity, 0);
}
const SEED_COSMOS = SEED.find((r) => r.service === "Azure Cosmos DB") ?? SEED[0];
const SEED_RU = Object.values(SEED_COSMOS_MAX_RU).reduce((a, b) => a + b, 0);
const kRu = (ru: number) => `${Math.round(ru / 1000).toLocaleString("en-US")}K`;

export function costDoc(dev: StackCost, prod: StackCost): string {
  const seen = new Set<string>();
  const rows: string[] = [];
  const full = scenario(prod);
  for (const r of SEED) {
    const p = sumWhere(prod.estimate, r.match);
    const d = sumWhere(dev.estimate, r.match);
    const o = sumWhere(full, r.match);
    full.lines.filter((l) => r.match(l.type, l.name)).forEach((l) => seen.add(`${l.urn}${l.meter}`));
    rows.push(
      `| ${r.service} | ${r.sku} | ${usd(r.seed)} | ${d.n ? usd(d.list) : "—"} | ${p.n ? usd(p.list) : "—"} | ${p.n ? usd(p.committed) : "—"} | ${usd(o.committed)} |`,
    );
  }
  const rest = new Map<string, { list: number; committed: number; dev: number; out: number }>();
  const label = (l: { type: string; name: string; priceId: string }) =>
    l.type.endsWith("sql:Database")
      ? "SQL geo-secondary (failover group)"
      : (PRICES.find((p) => p.id === l.priceId)?.service ?? l.type);
  for (const [e, k] of [
    [full, "out"],
    [prod.estimate, "prod"],
    [dev.estimate, "dev"],
  ] as const) {
    for (const l of e.lines) {
      if (SEED.some((r) => r.match(l.type, l.name))) continue;
      const x = rest.get(label(l)) ?? { list: 0, committed: 0, dev: 0, out: 0 };
      if (k === "out") x.out += l.committed;
      else if (k === "prod") {
        x.list += l.list;
        x.committed += l.committed;
      } else x.dev += l.list;
      rest.set(label(l), x);
    }
  }
  for (const [name, x] of [...rest.entries()].sort((a, b) => b[1].out - a[1].out))
    rows.push(
      `| ${name} | not in the seed's table | — | ${usd(x.dev)} | ${usd(x.list)} | ${usd(x.committed)} | ${usd(x.out)} |`,
    );

  const base = full.total;
  const sign = (n: number) => (Math.abs(n) < 0.5 ? "$0" : `${n < 0 ? "−" : "+"}${usd(Math.abs(n))}`);
  const L = (name: string, e: Estimate, why: string) =>
    `| ${name} | ${sign(e.total.list - base.list)} | ${sign(e.total.committed - base.committed)} | ${usd(e.total.committed)} | ${why} |`;
  const today = prod.estimate.total.committed;
  /** The stack today with some decisions reverted. */
  const reverted = (usage: Partial<UsageConfig>, ...edits: (Edit | ResourceRecord[])[]) => {
    let resources = [...prod.resources];
    for (const edit of edits)
      resources = Array.isArray(edit)
        ? [...resources, ...edit]
        : resources.map(edit).filter((r): r is ResourceRecord => r !== undefined);
    return estimate(resources, { stack: "prod", usage: { ...prod.usage, ...usage } }).total.committed;
  };
  const D = (decision: string, key: string, cost: number, why: string) =>
    `| ${decision} | \`${key}\` | ${sign(today - cost)} | ${why} |`;
  const seedFraction = 0.15;
  const decisions = [
    D(
      "DDoS IP Protection on each public IP instead of a Network Protection plan",
      "ddosProtectionMode: ip",
      reverted({}, ddosPlan, inheritDdos),
      "The same always-on L3/L4 mitigation, adaptive tuning, metrics and alerts per IP; gives up DDoS Rapid Response, cost protection and the WAF discount (learn.microsoft.com/azure/ddos-protection/ddos-protection-sku-comparison). PCI DSS asks for neither; the WAF_v2 gateway and Azure Firewall Premium stay.",
    ),
    D(
      "Cosmos DB in one zone-redundant region instead of two",
      "cosmos.multiRegion: false",
      reverted({}, twoCosmosRegions),
      "Every tier that reads or writes Cosmos DB (gateway, functions, scoring) runs in West Europe only, so a second region adds no availability; zone redundancy keeps 99.995 %. Its data is derived from the geo-replicated SQL system of record (fraud profiles, webhook events) or expires (sessions 30 min, API logs 30 days): a regional loss is rebuilt, not lost. The PCI audit trail is in Log Analytics, not Cosmos DB.",
    ),
    D(
      "Merchant features written once a minute by one writer, not by every scoring batch",
      "pipelines/functions merchantFeatures.ts",
      reverted({}, merchantOnPath(prod.load)),
      "fraud_features carries one upsert per payment instead of two; a merchant's item has one writer, so no hot logical partition and no concurrent batches overwriting each other's counts (cosmos-partitioning.md). Merchant features lag the payments by one to two minutes; card features stay per payment.",
    ),
    D(
      "Fraud scoring on 3 × Standard_DS2_v2 instead of 3 × Standard_DS3_v2",
      "ml.endpoint.instanceType: Standard_DS2_v2",
      reverted({}, scoringSize("Standard_DS3_v2")),
      "A deployment serves one request at a time per instance (max_concurrent_requests_per_instance defaults to 1) and the scorer sends one request per batch of up to 100 payments: two of DS3_v2's four vCPUs would sit idle. Three instances stay (Microsoft's minimum for production), 150 requests/s against the 100 of the seed's load (capacity.md); each release's 10 % canary (ml-operations.md) shows its latency before the rest of the traffic moves, and the scorer falls back to the rules model past 80 ms.",
    ),
    D(
      "Lake GZRS instead of RA-GZRS",
      "olap.lake.sku: Standard_GZRS",
      reverted({}, lakeSku("Standard_RAGZRS")),
      "Still zone-redundant and replicated to North Europe with customer-managed failover; no tier reads the secondary endpoint.",
    ),
    D(
      "Stream Analytics job without a cluster: Event Hubs both ways (trusted services), a function loads Synapse",
      "streaming (components/streaming)",
      reverted({}, onCluster, asaCluster),
      "The cluster was the only way for the job itself to reach the private pool (managed private endpoints); the loader function in the VNet does that hop instead, through the OLAP tier's private endpoint, within the 5-minute SLA. Every hop stays identity-only; the job storage's firewall admits this one job (docs/streaming.md).",
    ),
  ];
  // The billed-RU/s assumption is not a decision (it changes nothing deployed): stated on its own below the table.
  const atSeedFraction = reverted({ cosmosAutoscaleBilledFraction: seedFraction });
  const allReverted = reverted(
    {},
    merchantOnPath(prod.load),
    ddosPlan,
    inheritDdos,
    twoCosmosRegions,
    lakeSku("Standard_RAGZRS"),
    onCluster,
    asaCluster,
    scoringSize("Standard_DS3_v2"),
  );
  const target = COST_TARGETS.prodCommittedUsdPerMonth;
  const ready = alwaysReadyOf(prod.resources);
  const atSeed = estimate(atSeedSizing(prod.resources), { stack: "prod", usage: prod.usage }).total.committed;
  // The seed's Cosmos DB maxima with the scorer as deployed: splits the uplift into Cosmos DB and scorer instances.
  const atSeedCosmos = estimate(atSeedCosmosSizing(prod.resources), { stack: "prod", usage: prod.usage }).total
    .committed;
  const uplift = `${sign(today - atSeed)} (Cosmos DB ${sign(today - atSeedCosmos)}, the scorer's ${ready.scorer - 1} always-ready instances beyond the first ${sign(atSeedCosmos - atSeed)})`;
  const seedRu = SEED_RU;
  const devDb = dev.estimate.lines.find((l) => l.priceId === "sql-serverless");
  const devDbAwake = devDb?.list ?? 0;
  const devDbPausing =
    dev.usage.sqlServerlessVcoreHoursPerMonth * (PRICES.find((p) => p.id === "sql-serverless")?.list ?? 0);
  // Without the off-hours schedule: its triggers gone, the estimator prices the scorer's poller and the job around
  // the clock (what dev was before the schedule stopped them).
  const devAlwaysOn = estimate(
    dev.resources.filter(
      (r) => !(r.type === "azure-native:datafactory:Trigger" && /^tr_offhours_/.test(String(r.inputs.triggerName))),
    ),
    { stack: "dev", usage: dev.usage },
  ).total.list;
  const devSchedule = offHoursSchedule(dev.resources);
  const scoringCost = prod.estimate.lines
    .filter((l) => l.type.endsWith("machinelearningservices:OnlineEndpoint"))
    .reduce((sum, l) => sum + l.committed, 0);
  const status = (n: number, t: number = target) => (n <= t ? "met" : `**not met**: ${usd(n - t)} over`);
  // The single levers of the table below that keep every control (the firewall downgrade is rejected there).
  const dw300c = scenario(prod, {}, poolSku("DW300c")).total.committed;
  const singleLevers = [
    { name: "Synapse DW300c", committed: dw300c },
    { name: "DW500c paused 12 h/day", committed: scenario(prod, { synapsePoolHoursPerMonth: 365 }).total.committed },
    { name: "5 TB hot to cool", committed: scenario(prod, hotToCool(prod, 5120)).total.committed },
  ];
  // Every lever of the table below that keeps every control and lowers the committed total, together (the paused
  // pool loses its reservation and costs more; the firewall downgrade is rejected).
  const allKeepingControls = scenario(prod, hotToCool(prod, 5120), poolSku("DW300c")).total.committed;
  // …and the smaller geo-secondary, which keeps every control but not Microsoft's same-size advice.
  const withSmallSecondary = scenario(prod, hotToCool(prod, 5120), poolSku("DW300c"), secondaryVcores(4)).total
    .committed;
  const baselineLines = prod.estimate.lines.filter((l) => l.priceId === "functions-flex-ar-baseline");
  const baseline = baselineLines.reduce((sum, l) => sum + l.committed, 0);
  const perInstance = (PRICES.find((p) => p.id === "functions-flex-ar-baseline")?.list ?? 0) * 2 * 3600 * 730;
  const missing = outlookFor(prod.resources);
  /** What a landing tier adds to the stack today (its Defender plans count the stack's resources). */
  const groupCost = (g: (typeof OUTLOOK_GROUPS)[number]) =>
    estimate([...prod.resources, ...g.resources], { stack: "prod", usage: prod.usage }).total.committed - today;
  return `# Cost: estimate, seed comparison, levers

<!-- Generated by \`npm run cost:docs\` from the offline previews of both stacks (a test fails when stale). -->

Every figure here is computed by the estimator (\`tools/lib/cost/\`) over the resources the program declares,
with the stack's usage assumptions (\`usage\` in \`Pulumi.<stack>.yaml\`, defaults in \`lib/usage.ts\`) and the
price table \`tools/lib/cost/prices.ts\` (each row with its meter, unit, region, date and public source).
\`npm run preview:offline\` prints the per-tier totals under the verdict; \`--cost FILE\` writes the lines as JSON;
\`npm run cost:diff -- --base <export> --head <export>\` prints what a change adds or removes per month, and the
pull-request workflow puts that change in the job summary. \`npm run cost:retail\` (with network access) asks the Azure
Retail Prices API for the meters the table prices at East US rates or derives, in West Europe; with \`--write\` it
records them in \`tools/lib/cost/retail-overrides.json\`, which the table applies over its stored rows${
    PRICES.some((p) => p.source.startsWith("https://prices.azure.com/")) ? " (it does today)" : " (none recorded yet)"
  }, and \`npm run cost:docs\` regenerates this page.

**List** is pay-as-you-go. **Committed** applies the stack's \`usage.commitment\` (prod: 3-year reservations where
Azure sells them, on SQL vCore compute, Synapse cDWU and Cosmos DB throughput, plus Azure Hybrid Benefit on the SQL
licence meter; dev: none). Serverless, paused pools, firewall, DDoS and networking have no reservation.

**Outlook**: the tiers landing next, as their branches declare them, priced by the same rules (\`OUTLOOK_GROUPS\` in
\`tools/costDocs.ts\`); each group drops out when the stack has its resources.
${missing.length ? missing.map((g) => `- ${g.tier}: ${usd(groupCost(g))} committed`).join("\n") : "- none: every tier is in the stack"}

**Derived prices**: the GZRS and RA-GZRS capacity rows are derived (zone-redundant price plus the geo-replica
premium of the same source), not read; so are the cold tier's rows other than LRS (cold LRS plus the cool tier's
redundancy premium, an upper bound). All are marked in \`prices.ts\`. The lake's cold volume follows its lifecycle
policy: of the cool volume (\`usage.lakeCoolGb\`, spanning \`usage.lakeCoolVolumeMonths\` of steady inflow), what is
older than the policy's \`tierToCold\` age is priced cold. The scoring deployment's DSv2 sizes are East US prices (DS1_v2
and DS3_v2 derived from DS2_v2); West Europe is usually dearer (D4s_v3: $0.24/h there against $0.192/h in East US),
so both stacks are likely a little dearer than shown: check the Retail Prices API before relying on it.

**Flex Consumption** is priced at East US rates from a guide that follows Microsoft's pricing page (the on-demand
rates are also Microsoft's own examples): always-ready baseline $${perInstance.toFixed(2)} a month per 2,048 MB instance, execution
time on always-ready and on-demand instances, executions. prod keeps ${ready.all} instances always ready, ${usd(baseline)} a month, ${ready.scorer} of
them for the fraud scorer because Flex cannot scale a managed-identity SQL trigger out (docs/capacity.md). dev's one
always-ready scorer is billed around the clock although the off-hours schedule stops it (no Microsoft statement that
a stopped app's always-ready instances stop billing): an upper bound. Record the West Europe rates with
\`npm run cost:retail -- --write\` (needs network access) before relying on the totals.

**Not estimated**: ${prod.estimate.notEstimated.length + dev.estimate.notEstimated.length === 0 ? "nothing, in either stack: every resource is priced or has no charge of its own (it says why)" : `${notEstimatedText(prod)} (prod) and ${notEstimatedText(dev)} (dev)`}.

## Targets

| Target | Measured | Status |
|---|---:|---|
| prod at committed prices ≤ ${usd(target)}/month, every security layer included (the stack as deployed) | ${usd(today)} | ${status(today)} |
| the same at the seed's sizing (Cosmos DB ${seedRu.toLocaleString("en-US")} RU/s and one always-ready scorer instance, which cannot carry the seed's load) | ${usd(atSeed)} | ${status(atSeed)} |
| capacity to carry the seed's 10K transactions/s ([capacity.md](capacity.md)): Cosmos DB RU/s and ${ready.scorer - 1} more always-ready scorer instances | ${sign(today - atSeed)} | acknowledged, ceiling ${usd(PROD_CAPACITY_CEILING_USD)} for the stack as deployed |
${missing.length ? `| prod with the outlook (the tiers landing next, as declared today) | ${usd(base.committed)} | ${status(base.committed)} |\n` : ""}| dev at list prices < ${usd(COST_TARGETS.devListUsdPerMonth)}/month | ${usd(dev.estimate.total.list)} | ${dev.estimate.total.list < COST_TARGETS.devListUsdPerMonth ? "met" : "**not met**"} |

The seed's "optimised" $12,000 comes from a cost table that leaves out much of what this stack carries: the security
layers its own architecture names (Azure Firewall, DDoS protection) and those PCI DSS asks for (the WAF gateway, HSM
keys, Defender, Sentinel), the SQL geo-secondary, the streaming and ML tiers (the fraud-scoring deployment alone is
${usd(scoringCost)} a month); and its 110K RU/s of Cosmos DB cannot carry its own 10K transactions/s
([capacity.md](capacity.md)). At the seed's sizing prod is
${usd(atSeed)} committed (${status(atSeed)}); the capacity that carries the seed's load, as the functions' code does
it, adds ${uplift}, and the two estimates differ on Cosmos DB throughput, what is billed per RU/s
(Defender for Cosmos DB) and the scorer's always-ready instances only. ${
    atSeed <= target && today > target
      ? `The stack as deployed is over the target by ${usd(today - target)}, less than the ${sign(today - atSeed)} of capacity the seed's own load needs: the overrun is the cost of carrying that load, which the seed's sizing cannot. ${
          singleLevers.every((l) => l.committed > target)
            ? `No lever below brings the stack as deployed under ${usd(target)} on its own (the largest that keeps every control, Synapse DW300c, gives up BI concurrency nobody has measured and still leaves it at ${usd(dw300c)})`
            : `The levers below that bring the stack as deployed under ${usd(target)} on their own: ${singleLevers
                .filter((l) => l.committed <= target)
                .map((l) => l.name)
                .join(", ")}`
        }. ${
          allKeepingControls > target
            ? `Even together, the levers that keep every control (DW300c and 5 TB hot to cool) leave it at ${usd(allKeepingControls)}, and ${usd(withSmallSecondary)} with a 4-vCore geo-secondary as well: meeting ${usd(target)} as deployed means giving up capacity the seed's load needs or a control, and accepting the overrun instead is the platform owner's call.`
            : `Together, the levers that keep every control (DW300c and 5 TB hot to cool) bring it to ${usd(allKeepingControls)}: taking them is the platform owner's call.`
        }`
      : "Closing the gap needs the platform owner: accept it, or take levers below."
  }
Tests fail when the stack as deployed passes ${usd(PROD_CAPACITY_CEILING_USD)} (\`PROD_CAPACITY_CEILING_USD\`, so any
growth fails CI until someone raises it on purpose), when the uplift holds anything but Cosmos DB lines and the scorer's always-ready instances, when a
security layer drops out of the estimate, and when dev's list total reaches its target
(the targets are \`COST_TARGETS\` in \`lib/usage.ts\`). The operations tier's budgets use the targets, so prod's budget ($12,000)
reports the overrun every month until the owner decides.

**dev** is under its target because it sleeps outside working hours: the ETL factory's schedule
(\`olap.pauseSchedule\`, ${devSchedule?.label ?? "none"}, ~${Math.round(devSchedule?.runningHoursPerMonth ?? 0)} h a month)
pauses the pool and, with \`alsoStop\`, stops the fraud scorer, the streaming job and the WAF gateway, with their
alerts silenced until they are back (docs/operations.md). Without it the scorer's always-ready instance (Flex cannot
wake a managed-identity SQL trigger from zero) polls change tracking every 100 ms, so the serverless database never
auto-pauses, and the job and the gateway run around the clock: dev would be ${usd(devAlwaysOn)} at list. With it the database bills ${usd(devDbAwake)} (awake while
the scorer runs, one auto-pause delay after each stop, and the nightly ETL's activity hours plus a delay) against ${usd(devDbPausing)} at the usage assumption.

## Per tier

| Tier | dev list | prod list | prod committed |
|---|---:|---:|---:|
${[...new Set([...prod.estimate.tiers, ...dev.estimate.tiers].map((t) => t.tier))]
  .map((t) => {
    const d = dev.estimate.tiers.find((x) => x.tier === t);
    const p = prod.estimate.tiers.find((x) => x.tier === t);
    return `| ${t} | ${usd(d?.list ?? 0)} | ${usd(p?.list ?? 0)} | ${usd(p?.committed ?? 0)} |`;
  })
  .join("\n")}
| **total** | **${usd(dev.estimate.total.list)}** | **${usd(prod.estimate.total.list)}** | **${usd(today)}** |

## Against the seed's table (USD/month, West Europe)

| Service | Seed SKU | Seed | dev list | prod list | prod committed | prod committed with outlook |
|---|---|---:|---:|---:|---:|---:|
${rows.join("\n")}
| **Total** | | **$18,000** (dev $4,500; "optimised" $12,000) | **${usd(dev.estimate.total.list)}** | **${usd(prod.estimate.total.list)}** | **${usd(today)}** | **${usd(base.committed)}** |

What differs and why:

- **SQL**: the seed's $2,920 is below BC Gen5 8 vCore compute + licence in the price table ($3,968 at list); the
  estimate adds the storage billed at the configured maximum size (1 TB), long-term-retention backups, and the
  **geo-secondary** of the failover group, which the seed leaves out and which costs as much as the primary. Hybrid
  Benefit removes the licence meter; a 3-year reservation takes 55 % off compute.
- **Cosmos DB**: the seed's 110K RU/s cannot carry its own 10K transactions/s ([capacity.md](capacity.md)); prod is
  sized at ${kRu(cosmosMaxRu(prod))} RU/s maximum. Autoscale bills the highest RU/s of each hour (at least 10 % of the maximum) at 1.5 ×
  the standard rate, in every region; with one region and the floor most hours (\`usage.cosmosAutoscaleBilledFraction\`
  ${prod.usage.cosmosAutoscaleBilledFraction}) prod pays ${usd(sumWhere(prod.estimate, SEED_COSMOS.match).committed)} committed, against the seed's ${usd(SEED_COSMOS.seed)} with ${(cosmosMaxRu(prod) / SEED_RU).toFixed(1)} × its maximum RU/s.
  The 25 % premium of zone-redundant regions is waived for autoscale containers (reliability-cosmos-db-nosql.md).
- **Storage**: the seed's $450 matches LRS; the lake is GZRS (zone-redundant and geo-replicated, required in prod) at
  derived prices; of the seed's 50 TB "cool", the lifecycle moves what is older than 90 days to cold (three quarters
  of a year's archive), which the estimate prices as such.
- **Streaming (not in the seed's table)**: Event Hubs Premium with one PU (customer-managed keys need Premium), the
  Stream Analytics job's streaming units, and the streaming app's storage and private endpoints; no cluster.
- **Security layers the seed leaves out**: Azure Firewall Premium (IDPS and TLS inspection: PCI DSS 11.5.1), DDoS IP
  Protection on the gateway's and the firewall's public IPs, HSM-backed keys, Defender for SQL, the WAF_v2 gateway.
- **Synapse**: the seed's $5,840 is DW500c around the clock at about $8/h; the price table's West Europe
  $1.51 per 100 cDWU-hour gives $5,512 at list, and a 3-year reservation about 65 % less.
- Regions: where a stored source gives no West Europe figure the price row says which region it is for (East US
  SQL is about 10 % below West Europe); the estimate is a planning figure, not a quote.

## Decisions applied to prod (each effect computed by reverting it on the stack today)

| Decision | Config | Committed/month | Why the trade-off is acceptable for a PCI payments platform |
|---|---|---:|---|
${decisions.join("\n")}
| **All ${decisions.length}** | | **${sign(today - allReverted)}** | ${usd(allReverted)} → ${usd(today)} |

One usage assumption weighs as much as a decision and is not one (it changes nothing deployed): Cosmos DB autoscale
billed at ${prod.usage.cosmosAutoscaleBilledFraction} of each maximum (\`usage.cosmosAutoscaleBilledFraction\`) instead of ${seedFraction}
is ${sign(today - atSeedFraction)} a month. The 10 % floor carries ~1,000 transactions/s, 86 × the seed's daily average; only the
monthly 5-minute load test leaves it (0.1 + 0.9 × 2/730). If real traffic keeps containers above their floor, the
Cosmos DB lines grow with it: check the billed RU/s in Cost Management after the first month.

Kept on purpose: Azure Firewall **Premium** (IDPS, TLS inspection), the WAF_v2 gateway with at least 3 instances (one
per zone) and up to 125 (the WAF inspects ~100 requests/s per instance: capacity.md), Business Critical SQL with a same-size geo-secondary (the
log rate flow 1 needs, and Microsoft's advice: a smaller secondary can throttle the primary; the 4-vCore one is a lever below), 365 days of interactive log
retention (the program requires it in prod), HSM keys and Defender for SQL.

## Levers not applied (prod with the outlook, computed by the estimator)

Each row changes one thing against the outlook total (${usd(base.list)} list, ${usd(base.committed)} committed).

| Lever | List/month | Committed/month | Committed total | Trade-off |
|---|---:|---:|---:|---|
${[
  L(
    "Pay-as-you-go instead of 3-year reservations + Hybrid Benefit",
    scenario(prod, { commitment: { term: "none", hybridBenefit: false } }),
    "the reference: what the commitments save",
  ),
  L(
    "1-year instead of 3-year reservations",
    scenario(prod, { commitment: { term: "1y", hybridBenefit: true } }),
    "shorter lock-in",
  ),
  ...(prod.resources.some((r) => r.type.endsWith("streamanalytics:Cluster"))
    ? [
        L(
          "Stream Analytics job with 4 SU instead of a 36-SU cluster",
          scenario(prod, {}, asaStandardJob),
          "the job writes to Event Hubs and a function loads Synapse (docs/streaming.md)",
        ),
      ]
    : []),
  L(
    "Event Hubs Premium 2 PU instead of 1",
    scenario(prod, {}, evhUnits(2)),
    "headroom only: 1 PU ≈ 5 MB/s of ingress carries the seed's 10K events/s of the relay's ≤ 0.5 KB events (capacity.md)",
  ),
  L(
    "Synapse DW300c instead of DW500c",
    scenario(prod, {}, poolSku("DW300c")),
    "less memory and concurrency for the BI workload group; the OLAP SLA (< 5 s) is unmeasured",
  ),
  L(
    "Synapse DW500c paused 12 h/day",
    scenario(prod, { synapsePoolHoursPerMonth: 365 }),
    "a paused pool cannot use the reservation: dearer than the 3-year reservation around the clock",
  ),
  L(
    "Azure Firewall Standard instead of Premium",
    scenario(prod, {}, firewallTier("Standard")),
    "rejected: loses IDPS and TLS inspection (PCI DSS 11.5.1)",
  ),
  L(
    "SQL geo-secondary Business Critical 4 vCores instead of 8",
    scenario(prod, {}, secondaryVcores(4)),
    "after a failover the database has half the CPU; its log rate (48 MB/s) still carries flow 1's 39 MB/s at 1.23× and its IOPS (16,000) the 10,000 needed (capacity.md), but Microsoft recommends a secondary of the primary's size so replication never throttles the primary (HADR_THROTTLE_LOG_RATE_MISMATCHED_SLO)",
  ),
  L(
    "Lake: 5 TB of the 10 TB hot moved to cool (the raw zone cool after ~15 days)",
    scenario(prod, hotToCool(prod, 5120)),
    "cool reads are billed per GB retrieved; the cold volume stays as it is",
  ),
].join("\n")}

The streaming tier runs without a Stream Analytics cluster: the job reads and writes Event Hubs through its trusted
services exception and the streaming app's loader function inserts its rows into the private pool
(docs/streaming.md), which removed the 36-SU cluster (~$2,891 a month, in both stacks). At the seed's sizing prod is
${usd(atSeed)} committed (${status(atSeed)}) with every security layer the seed's table leaves out; the capacity
that carries the seed's load (Cosmos DB, the scorer's always-ready instances) adds ${sign(today - atSeed)}. The levers above are the platform owner's
(DW300c after a load test of the BI workload is the largest that keeps every control; the smaller scoring size after
a load test of the endpoint). Defender for Cosmos DB is billed per 100 RU/s provisioned, so it follows the Cosmos DB
decisions above.
`;
}

export function capacityDoc(dev: StackCost, prod: StackCost): string {
  const short = prod.capacity.filter((r) => r.headroom < 1);
  const tps = prod.load.transactionsPerSecond;
  const seedMax = SEED_COSMOS_MAX_RU;
  const seedCarry = prod.capacity
    .filter((r) => r.unit === "RU/s")
    .map((r) => {
      const id = r.resource.split(" ")[0];
      const perTx = r.load / tps;
      return `${id} ${(seedMax[id] ?? 0).toLocaleString("en-US")} RU/s → ${Math.round((seedMax[id] ?? 0) / perTx).toLocaleString("en-US")} transactions/s`;
    });
  return `# Capacity against the seed's load

<!-- Generated by \`npm run cost:docs\` from the offline previews of both stacks (a test fails when stale). -->

The seed's load test is **10K transactions/s** (1,000 virtual users for 5 minutes) and its nightly ETL handles
**1M transactions a day**. The target load is config (\`load\` in \`Pulumi.<stack>.yaml\`, seed defaults in
\`lib/usage.ts\`); \`tools/lib/cost/capacity.ts\` computes, from the same resource inputs the estimator prices, what
each tier can carry, and a test fails when a prod tier is below the target.

**Where the RU figures come from.** Microsoft's table of write and read charges by document size (1 KB: 4.95 RU
write, 1 RU read; 2 KB: 6.29 / 1.04; …, https://learn.microsoft.com/azure/cosmos-db/understand-request-unit-consumption,
2026-04-21), plus 0.2 RU per indexed term written (same page: "5.0 + 0.2 × 10"), a replace costing a delete and an
insert plus its modified terms, and the customer-managed key's +6 % on writes / +5 % on point reads / +15 % on change feed reads
([cosmos-partitioning.md](cosmos-partitioning.md)). Indexed terms are read from each container's indexing policy in
the program: its included paths (or the item's properties when \`/*\` is included, less excluded subtrees), one per
composite index, plus \`id\` and \`_ts\`. Per transaction of flow 1 (defaults, \`load.cosmos\`), as the function
handlers do it (\`tests/pipelines/functions/loadProfile.spec.ts\` runs them against fakes, counts their operations and
measures their items, and fails when the code does more than the model counts): the payment API's API log, created
and read once by the streaming relay's change feed (flow 3); the scorer's two point reads (the card's and the
merchant's feature items) and one upsert of the card's, when no entity repeats within a trigger batch (the merchant's
item is written once a minute by the merchant refresh: negligible); one webhook event
created and read by the dispatcher's change feed; a session written and read on one API call in ten (no function
here uses sessions: a design figure). Every item is under 1 KB with Cosmos DB's system properties. Writes consume
RUs in every region, and each region has the same maximum, so the ratio holds per region. webhook_events' maximum
carries no delivery updates: the dispatcher that posts the events (not deployed by this repository) updates each
one per attempt, and one update per event takes it to ${kRu(webhookWithDispatcher(prod))} RU/s of load: raise
\`cosmos.containers.webhookEvents.maxThroughput\` with the dispatcher.

**SQL**: data IOPS and log rate by SKU from Microsoft's resource limits (BC Gen5: 4,000 IOPS and 12 MB/s of log per
vCore up to 96 MB/s; GP: 320 IOPS and 4.5 MB/s per vCore up to 50 MB/s; MicrosoftDocs/sql-docs
\`resource-limits-vcore-single-databases.md\`, 2023-08-11) against flow 1's inserts (\`load.sqlLogKbPerTransaction\`
${prod.capacity.length ? "" : ""}KB of log and \`load.sqlIoPerTransaction\` data IOs each: the payment row, its indexes, the ledger history and CDC).

Event Hubs (1 MB/s or 1,000 events/s per Standard TU; ~5 MB/s per Premium PU), Application Gateway (≈ 10 capacity
units per instance; a compute unit inspects ≈ 10 requests/s on WAF_v2, or takes ≈ 50 new TLS connections/s on
Standard_v2; 2.22 Mbps per capacity unit; at the autoscale maximum, which a sudden burst reaches after 3 to 5
minutes of scale-out: pre-scale before a load test), Flex Consumption function scale-out (maximum
instances × concurrency / duration; for the fraud scorer's Azure SQL trigger, each instance takes a batch of
\`Sql_Trigger_MaxBatchSize\` changes per \`load.scoringBatchSeconds\` plus the poll interval, on its always-ready
instances only: Flex cannot scale a managed-identity SQL trigger out, azure-functions-sql-extension#1235) and Azure
ML online deployments (instances × requests/s per instance, one request at a time) have their rows.

## prod (target: ${prod.load.transactionsPerSecond.toLocaleString("en-US")} transactions/s)

${capacityMarkdown(prod.capacity)}
${short.length === 0 ? "Every prod tier carries the target load." : `**Short:** ${short.map((r) => r.resource).join(", ")}.`}

**The seed's sizing cannot carry its own load.** Its 110K RU/s carries, per container, at the RU per transaction
above: ${seedCarry.join("; ")}. (Counting the API log write alone, 40K RU/s is ~5,800 writes/s: the "roughly 6K"
already known.) Prod is sized per container above, about 15 % over the load, ${kRu(cosmosMaxRu(prod))} RU/s maximum in total; the cost of
that is in [cost.md](cost.md). SQL Business Critical Gen5 8 vCores carries flow 1 with the headroom shown.

## dev

dev is downsized on purpose (serverless SQL and Cosmos DB): its target is ${dev.load.transactionsPerSecond.toLocaleString("en-US")} transactions/s (\`load\` in
\`Pulumi.dev.yaml\`), for functional and integration tests, not the seed's load test.

${capacityMarkdown(dev.capacity)}`;
}

export function stackCost(stack: "dev" | "prod", resources: readonly ResourceRecord[]): StackCost {
  const { usage, load } = stackAssumptions(stack, ROOT);
  const { capacity } = require("./lib/cost/capacity") as typeof import("./lib/cost/capacity");
  return {
    resources,
    usage,
    load,
    estimate: estimate(resources, { stack, usage }),
    capacity: capacity(resources, load),
  };
}

/** Both documents, formatted as committed, from the two stacks' resources. */
export async function renderCostDocs(
  devResources: readonly ResourceRecord[],
  prodResources: readonly ResourceRecord[],
): Promise<[string, string][]> {
  const dev = stackCost("dev", devResources);
  const prod = stackCost("prod", prodResources);
  const { format } = require("prettier") as typeof import("prettier");
  return [
    [COST_DOC, await format(costDoc(dev, prod), { filepath: COST_DOC })],
    [CAPACITY_DOC, await format(capacityDoc(dev, prod), { filepath: CAPACITY_DOC })],
  ];
}

async function main(): Promise<number> {
  const { previewStack } = require("./lib/preview") as typeof import("./lib/preview");
  const docs = await renderCostDocs(
    (await previewStack({ stack: "dev" })).run.resources,
    (await previewStack({ stack: "prod" })).run.resources,
  );
  if (process.argv.includes("--check")) {
    const stale = docs.filter(([f, t]) => !fs.existsSync(f) || fs.readFileSync(f, "utf8") !== t);
    for (const [f] of stale) console.error(`${path.relative(ROOT, f)} is stale: run \`npm run cost:docs\``);
    return stale.length ? 1 : 0;
  }
  for (const [f, t] of docs) fs.writeFileSync(f, t);
  return 0;
}

if (require.main === module) main().then((c) => process.exit(c));
