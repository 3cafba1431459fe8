/**
 * docs/cost.md's levers, each estimated on an edited stack: the decisions applied to prod (each reverted on the stack
 * today), and the levers not applied (the workspace's commitment tier, long-term retention of the SQL audit's table,
 * the pool, the lake, the reservations and the rest) against the stack as deployed.
 */
import type { ResourceRecord } from "../policyRunner";
import { estimate, type Estimate } from "../cost/estimate";
import { commitmentLevel } from "../cost/rules/monitoring";
import { sqlAuditTables } from "../cost/rules/sqlAudit";
import { DAYS_PER_MONTH, price } from "../cost/prices";
import { LOG_ANALYTICS_COMMITMENT_LEVELS } from "../../../lib/config";
import { MIN_INTERACTIVE_RETENTION_DAYS } from "../../../lib/config/logRetention";
import { type UsageConfig } from "../../../lib/usage";
import { usd, StackCost } from "./seed";
import {
  Edit,
  scenario,
  ddosPlan,
  inheritDdos,
  twoCosmosRegions,
  lakeSku,
  secondaryVcores,
  poolSku,
  firewallTier,
  asaStandardJob,
  onCluster,
  asaCluster,
  merchantOnPath,
  hotToCool,
  workspaceTier,
  workspacePayAsYouGo,
  longTermRetention,
  scoringSize,
  evhUnits,
} from "./scenarios";
import { sdkTypeOf } from "../sdkType";

/**
 * GB a month the lines send a Log Analytics workspace: at pay-as-you-go, or in days of a commitment tier (× its GB;
 * the unused part of a tier is not sent).
 */
export function ingestedGb(lines: readonly Estimate["lines"][number][]): number {
  return lines.reduce((n, l) => {
    if (l.priceId === "log-analytics-ingestion") return n + l.quantity;
    const level = /^log-analytics-commitment-(\d+)$/.exec(l.priceId)?.[1];
    return level && !/unused part/.test(l.meter) ? n + l.quantity * Number(level) : n;
  }, 0);
}

/** A difference in dollars as the tables show it: $0 under half a dollar, else signed. */
export const sign = (n: number) => (Math.abs(n) < 0.5 ? "$0" : `${n < 0 ? "−" : "+"}${usd(Math.abs(n))}`);

/** docs/cost.md, "Decisions applied to prod": each decision's effect, computed by reverting it on the stack today. */
export function decisionsSection(prod: StackCost): string {
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
      "fraud_features carries one conditional replace per payment instead of two writes; a merchant's item has one writer, so no hot logical partition and no concurrent batches overwriting each other's counts (cosmos-partitioning.md). Merchant features lag the payments by one to two minutes; card features stay per payment.",
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
  return `## Decisions applied to prod (each effect computed by reverting it on the stack today)

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
retention (the program requires it in prod), HSM keys and Defender for SQL.`;
}

/**
 * docs/cost.md, "Levers not applied": each row changes one thing against the stack as deployed (`base`, its totals).
 * With the section, the figures the rest of the page quotes: the workspace's cheapest commitment tier, long-term
 * retention of the SQL audit's table, and the levers that keep every control, one at a time and together.
 */
export function levers(prod: StackCost, base: Estimate["total"]) {
  // The workspace's commitment tier that costs prod least for what the stack sends it (the SQL audit's included).
  const tierOptions = LOG_ANALYTICS_COMMITMENT_LEVELS.map((level) => ({
    level,
    e: scenario(prod, {}, workspaceTier(level)),
  }));
  const tier = tierOptions.reduce((a, b) => (b.e.total.committed < a.e.total.committed ? b : a));
  const nextTier = tierOptions[tierOptions.indexOf(tier) + 1];
  const previousTier = tierOptions[tierOptions.indexOf(tier) - 1];
  const ingestedGbDay = ingestedGb(prod.estimate.lines) / DAYS_PER_MONTH;
  const tierName = `the ${tier.level} GB/day commitment tier`;
  // What the stack as deployed is on (a tier set in Pulumi.prod.yaml), and where the cheapest tier pays off: above
  // the GB a day its daily price buys at pay-as-you-go, and above the GB a day where the tier below costs as much.
  const workspace = prod.resources.find((r) => sdkTypeOf(r) === "azure-native:operationalinsights:Workspace");
  const deployedLevel = workspace && commitmentLevel(workspace);
  const sentinelOn = prod.resources.some(
    (r) => sdkTypeOf(r) === "azure-native:securityinsights:SentinelOnboardingState",
  );
  const tierDay = (level: number) =>
    price(`log-analytics-commitment-${level}`).list + (sentinelOn ? price(`sentinel-commitment-${level}`).list : 0);
  const paygPerGb = price("log-analytics-ingestion").list + (sentinelOn ? price("sentinel-ingestion").list : 0);
  const breakEven = `it costs less than pay-as-you-go from ${Math.round(tierDay(tier.level) / paygPerGb)} GB a day${
    previousTier
      ? ` and than the ${previousTier.level} GB/day tier from ${Math.round((tierDay(tier.level) * previousTier.level) / tierDay(previousTier.level))} GB a day`
      : ""
  }, and most of the volume is the SQL audit of the polls, an upper bound until a dev day is measured ([SQL audit of the trigger's polls](#sql-audit-of-the-triggers-polls)): choose the tier on the measured volume`;
  // Long-term retention of the tables the SQL servers' audit lands in (the OLTP server's, legacy mode: AzureDiagnostics), 92 days
  // queryable and the rest of the workspace's retention long-term (config logLongTermRetention), while prod keeps none.
  const workspaceDays = Number(workspace?.inputs.retentionInDays ?? 30);
  const ltrTables = sqlAuditTables(prod.resources);
  const ltrEdit =
    !prod.resources.some(
      (r) => sdkTypeOf(r) === "azure-native:resources:Deployment" && /-table-retention$/.test(r.name),
    ) &&
    ltrTables.length > 0 &&
    workspaceDays > MIN_INTERACTIVE_RETENTION_DAYS
      ? longTermRetention(prod.resources, MIN_INTERACTIVE_RETENTION_DAYS, ltrTables)
      : [];
  const ltr = ltrEdit.length > 0 ? scenario(prod, {}, ltrEdit) : undefined;
  const ltrName = `long-term retention of ${ltrTables.join(" and ")} after ${MIN_INTERACTIVE_RETENTION_DAYS} days`;
  // The single levers of the table below that keep every control (the firewall downgrade is rejected there).
  const singleLevers = [
    { name: "Synapse DW300c", committed: scenario(prod, {}, poolSku("DW300c")).total.committed },
    { name: "DW500c paused 12 h/day", committed: scenario(prod, { synapsePoolHoursPerMonth: 365 }).total.committed },
    { name: "5 TB hot to cool", committed: scenario(prod, hotToCool(prod, 5120)).total.committed },
    ...(tier.level === deployedLevel ? [] : [{ name: tierName, committed: tier.e.total.committed }]),
    ...(ltr ? [{ name: ltrName, committed: ltr.total.committed }] : []),
  ];
  const largest = singleLevers.reduce((a, b) => (b.committed < a.committed ? b : a));
  // Every lever of the table below that keeps every control and lowers the committed total, together (the paused
  // pool loses its reservation and costs more; the firewall downgrade is rejected).
  const keepingControlNames = [
    "DW300c",
    "5 TB hot to cool",
    ...(tier.level === deployedLevel ? [] : [tierName]),
    ...(ltr ? [ltrName] : []),
  ];
  const keepingControls = `${keepingControlNames.slice(0, -1).join(", ")} and ${keepingControlNames.at(-1)}`;
  const allKeepingControls = scenario(
    prod,
    hotToCool(prod, 5120),
    poolSku("DW300c"),
    workspaceTier(tier.level),
    ltrEdit,
  ).total.committed;
  // …and the smaller geo-secondary, which keeps every control but not Microsoft's same-size advice.
  const withSmallSecondary = scenario(
    prod,
    hotToCool(prod, 5120),
    poolSku("DW300c"),
    workspaceTier(tier.level),
    ltrEdit,
    secondaryVcores(4),
  ).total.committed;
  const L = (name: string, e: Estimate, why: string) =>
    `| ${name} | ${sign(e.total.list - base.list)} | ${sign(e.total.committed - base.committed)} | ${usd(e.total.committed)} | ${why} |`;
  const section = `## Levers not applied (prod as deployed, computed by the estimator)

Each row changes one thing against the stack as deployed (${usd(base.list)} list, ${usd(base.committed)} committed).

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
  ...(prod.resources.some(
    (r) => (r.inputs.ddosSettings as { protectionMode?: string } | undefined)?.protectionMode === "Enabled",
  )
    ? [
        L(
          "Join an existing DDoS Network Protection plan (a hub's) instead of IP Protection per IP",
          scenario(prod, {}, inheritDdos),
          "`ddosProtectionMode: network` with `ddosProtectionPlanId`: the plan's own subscription pays for it (one plan covers 100 public IPs across the tenant's VNets, then a charge per IP); Network Protection adds DDoS Rapid Response, cost protection and the WAF discount (WAF_v2 billed at Standard_v2 rates in a protected VNet; Microsoft's wording ties that to the VNet, not to who pays the plan: unconfirmed until the first bill). Needs the plan owner's agreement and `ddosProtectionPlans/join/action` for the deploy identity; what an Azure Landing Zones `Enable-DDoS-VNET` assignment does anyway (docs/operations.md)",
        ),
      ]
    : []),
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
  ...(tier.level === deployedLevel
    ? []
    : [
        L(
          `The Log Analytics workspace on ${tierName} instead of ${deployedLevel !== undefined ? `the ${deployedLevel} GB/day tier` : "pay-as-you-go"}`,
          tier.e,
          `\`logAnalyticsCommitmentGbPerDay: ${tier.level}\`: the workspace's ${Math.round(ingestedGbDay)} GB a day (the SQL audit of the scorer's polls above all) billed as days of the tier at $${(price(`log-analytics-commitment-${tier.level}`).list / tier.level).toFixed(4)} a GB${sentinelOn ? `, and Sentinel's analysis on the same tier (simplified pricing) at $${(price(`sentinel-commitment-${tier.level}`).list / tier.level).toFixed(4)}` : ""}, instead of $${price("log-analytics-ingestion").list.toFixed(2)}${sentinelOn ? ` and $${price("sentinel-ingestion").list.toFixed(2)}` : ""} at pay-as-you-go; the cheapest tier for this volume${previousTier ? ` (${previousTier.level} GB/day: ${usd(previousTier.e.total.committed)}` : " ("}${nextTier ? `${previousTier ? ", " : ""}${nextTier.level} GB/day: ${usd(nextTier.e.total.committed)})` : ")"}: ${breakEven}. Every control stays. Azure keeps a tier 31 days from its choice or change: a lever that lowers the volume (a slower poll, fewer pollers, the audit archive) needs the tier lowered a month later, or the tier bills GB nobody sends (${usd(tierDay(tier.level) * DAYS_PER_MONTH)} a month whatever is sent)`,
        ),
      ]),
  ...(deployedLevel !== undefined
    ? [
        L(
          `The Log Analytics workspace on pay-as-you-go instead of the ${deployedLevel} GB/day tier`,
          scenario(prod, {}, workspacePayAsYouGo),
          `\`logAnalyticsCommitmentGbPerDay: 0\`: $${price("log-analytics-ingestion").list.toFixed(2)}${sentinelOn ? ` and $${price("sentinel-ingestion").list.toFixed(2)}` : ""} a GB for the workspace's ${Math.round(ingestedGbDay)} GB a day; Azure takes it 31 days after the tier's last change`,
        ),
      ]
    : []),
  ...(ltr
    ? [
        L(
          `The SQL audit's table (${ltrTables.join(", ")}) ${MIN_INTERACTIVE_RETENTION_DAYS} days queryable, the rest of its ${workspaceDays} days in long-term retention`,
          ltr,
          `\`logLongTermRetention: { interactiveDays: ${MIN_INTERACTIVE_RETENTION_DAYS}, tables: [${ltrTables.join(", ")}] }\`: the OLTP server's SQL audit (legacy mode, the SQL audit of the scorer's polls above all) kept from day ${MIN_INTERACTIVE_RETENTION_DAYS + 1} to day ${workspaceDays} at $${price("log-analytics-long-term-retention").list} a GB-month instead of $${price("log-analytics-retention").list} (interactive retention). Every PCI DSS control stays: 10.5.1's three most recent months immediately available (up to 92 days), its twelve months kept, nothing deleted. GDPR: whether Log Analytics' purge of a subject's rows reaches long-term retention is not settled (a 2022 Microsoft page said archived logs cannot be purged; docs/etl.md), so an erasure by purge could miss those days: the platform owner's and the DPO's call. Records older than ${MIN_INTERACTIVE_RETENTION_DAYS} days are no longer queried directly: a search job reads them back (asynchronous, up to 24 hours; $${price("log-analytics-search-job").list} a GB scanned) or a restore (at least 2 TB for 12 hours), neither priced here (docs/operations.md, "Long-term retention of the busiest tables"); every other table keeps the workspace's ${workspaceDays} days`,
        ),
      ]
    : []),
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
].join("\n")}`;
  return {
    section,
    tier,
    tierName,
    deployedLevel,
    ltrTables,
    ltr,
    singleLevers,
    largest,
    keepingControls,
    allKeepingControls,
    withSmallSecondary,
  };
}
export type Levers = ReturnType<typeof levers>;
