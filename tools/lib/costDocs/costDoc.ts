/**
 * docs/cost.md: the estimate of both stacks against the seed's table, the targets, decisions and levers. This file
 * has the page and the figures of the stacks as they are; costLevers.ts the decisions and levers, costAudit.ts the
 * SQL audit of the trigger's polls.
 */
import { estimate } from "../cost/estimate";
import { offHoursSchedule } from "../cost/model";
import { PRICES } from "../cost/prices";
import { COST_TARGETS, PROD_CAPACITY_CEILING_USD } from "../../../lib/usage";
import { atSeedCosmosSizing, atSeedSizing } from "../cost/capacity";
import { FREE_FLOW_LOG_GB_PER_MONTH, TRAFFIC_ANALYTICS_INGESTED_SHARE } from "../cost/rules/flowLogs";
import { usd, SEED, StackCost, sumWhere } from "./seed";
import { scenario, notEstimatedText, alwaysReadyOf, cosmosMaxRu, SEED_COSMOS, SEED_RU, kRu } from "./scenarios";
import { decisionsSection, levers, sign } from "./costLevers";
import { auditCost, auditSection, isTriggerAudit } from "./costAudit";
import { sdkTypeOf } from "../sdkType";

const FLOW_LOG = "azure-native:network:FlowLog";

/** docs/cost.md, "VNet flow logs": what the flow log's lines are and where its volume comes from. */
function flowLogSection(dev: StackCost, prod: StackCost): string {
  // A meter without the stack's own figures in it, so that dev's and prod's lines meet on one row.
  const kind = (meter: string) =>
    meter
      .replace(/[:(].*$/, "")
      .replace(/ \d[\d,.]* (GB|days)\b.*$/, "")
      .trim();
  const rows = new Map<string, { dev: number; prod: number; committed: number }>();
  for (const [which, e] of [
    ["dev", dev.estimate],
    ["prod", prod.estimate],
  ] as const) {
    for (const l of e.lines.filter((x) => x.type === FLOW_LOG)) {
      const row = rows.get(kind(l.meter)) ?? { dev: 0, prod: 0, committed: 0 };
      row[which] += l.list;
      if (which === "prod") row.committed += l.committed;
      rows.set(kind(l.meter), row);
    }
  }
  const total = [...rows.values()].reduce(
    (t, r) => ({ dev: t.dev + r.dev, prod: t.prod + r.prod, committed: t.committed + r.committed }),
    { dev: 0, prod: 0, committed: 0 },
  );
  return `Network Watcher logs the VNet's flows (components/platform/flowLogs.ts; PCI DSS 10.2.1, 10.5.1): billed
per GB collected past the ${FREE_FLOW_LOG_GB_PER_MONTH} GB a month free per subscription, traffic analytics' processing of the same GB, what
traffic analytics writes into the workspace (NTANetAnalytics, taken as ${TRAFFIC_ANALYTICS_INGESTED_SHARE * 100} % of the GB processed: Microsoft's one priced
example, network-watcher/traffic-analytics-faq, not a published ratio) and the account that keeps the logs for their
retention and its soft delete. Microsoft publishes no bytes-per-flow figure, so the volume is an assumption
(\`usage.flowLogGbPerDay\`): prod ${prod.usage.flowLogGbPerDay} GB a day (the seed's 1M payments a day, each a new client connection at the
gateway with begin and end tuples of about 70 bytes, and a record a minute for each gateway instance, come
to under 0.3 GB: Azure logs no function app or private endpoint), dev ${dev.usage.flowLogGbPerDay}. Measure it once deployed: the flow
log account's \`Ingress\` metric a day (only Network Watcher writes there) is the GB collected. Not priced: the
account's write operations (a block appended every minute to each logged interface's blob, about 43,000 a month each).

| Line | dev list | prod list | prod committed |
|---|---:|---:|---:|
${[...rows.entries()].map(([k, r]) => `| ${k} | ${usd(r.dev)} | ${usd(r.prod)} | ${usd(r.committed)} |`).join("\n")}
| **Total** | **${usd(total.dev)}** | **${usd(total.prod)}** | **${usd(total.committed)}** |`;
}

export function costDoc(dev: StackCost, prod: StackCost, prodArchived: StackCost): string {
  const seen = new Set<string>();
  const rows: string[] = [];
  const full = scenario(prod);
  for (const r of SEED) {
    const p = sumWhere(prod.estimate, r.match);
    const d = sumWhere(dev.estimate, r.match);
    full.lines.filter((l) => r.match(l.type, l.name)).forEach((l) => seen.add(`${l.urn}${l.meter}`));
    rows.push(
      `| ${r.service} | ${r.sku} | ${usd(r.seed)} | ${d.n ? usd(d.list) : "—"} | ${p.n ? usd(p.list) : "—"} | ${p.n ? usd(p.committed) : "—"} |`,
    );
  }
  const rest = new Map<string, { list: number; committed: number; dev: number }>();
  const label = (l: { type: string; name: string; priceId: string }) =>
    isTriggerAudit(l)
      ? "SQL audit of the SQL trigger's polls (Log Analytics, Sentinel, retention; the audit archive's storage)"
      : l.type.endsWith("sql:Database")
        ? "SQL geo-secondary (failover group)"
        : l.priceId.startsWith("monitor-")
          ? "Azure Monitor alerts and notifications"
          : (PRICES.find((p) => p.id === l.priceId)?.service ?? l.type);
  for (const [e, k] of [
    [prod.estimate, "prod"],
    [dev.estimate, "dev"],
  ] as const) {
    for (const l of e.lines) {
      if (SEED.some((r) => r.match(l.type, l.name))) continue;
      const x = rest.get(label(l)) ?? { list: 0, committed: 0, dev: 0 };
      if (k === "prod") {
        x.list += l.list;
        x.committed += l.committed;
      } else x.dev += l.list;
      rest.set(label(l), x);
    }
  }
  for (const [name, x] of [...rest.entries()].sort((a, b) => b[1].committed - a[1].committed))
    rows.push(`| ${name} | not in the seed's table | — | ${usd(x.dev)} | ${usd(x.list)} | ${usd(x.committed)} |`);

  const base = full.total;
  const today = prod.estimate.total.committed;
  const target = COST_TARGETS.prodCommittedUsdPerMonth;
  const ready = alwaysReadyOf(prod.resources);
  const seedSized = atSeedSizing(prod.resources);
  const atSeed = estimate(seedSized, { stack: "prod", usage: prod.usage }).total.committed;
  // The seed's scorer instances: one, or two on a zone-redundant plan (Azure's floor per function group there).
  const seedScorers = alwaysReadyOf(seedSized).scorer;
  const seedScorerText =
    seedScorers === 1
      ? "one always-ready scorer instance"
      : `${seedScorers} always-ready scorer instances (Azure's floor on a zone-redundant Flex plan)`;
  // The seed's Cosmos DB maxima with the scorer as deployed: splits the uplift into Cosmos DB and scorer instances.
  const atSeedCosmos = estimate(atSeedCosmosSizing(prod.resources), { stack: "prod", usage: prod.usage }).total
    .committed;
  const uplift = `${sign(today - atSeed)} (Cosmos DB ${sign(today - atSeedCosmos)}, the scorer's ${ready.scorer - seedScorers} always-ready instances beyond the seed's ${seedScorers}, with the SQL audit of their polls, ${sign(atSeedCosmos - atSeed)})`;
  const seedRu = SEED_RU;
  const devDb = dev.estimate.lines.find((l) => l.priceId === "sql-serverless");
  const devDbAwake = devDb?.list ?? 0;
  const devDbPausing =
    dev.usage.sqlServerlessVcoreHoursPerMonth * (PRICES.find((p) => p.id === "sql-serverless")?.list ?? 0);
  // Without the off-hours schedule: its triggers gone, the estimator prices the scorer's poller and the job around
  // the clock (what dev was before the schedule stopped them).
  const devAlwaysOn = estimate(
    dev.resources.filter(
      (r) =>
        !(sdkTypeOf(r) === "azure-native:datafactory:Trigger" && /^tr_offhours_/.test(String(r.inputs.triggerName))),
    ),
    { stack: "dev", usage: dev.usage },
  ).total.list;
  const devSchedule = offHoursSchedule(dev.resources);
  const scoringCost = prod.estimate.lines
    .filter((l) => l.type.endsWith("machinelearningservices:OnlineEndpoint"))
    .reduce((sum, l) => sum + l.committed, 0);
  const status = (n: number, t: number = target) => (n <= t ? "met" : `**not met**: ${usd(n - t)} over`);
  const lv = levers(prod, base);
  const { singleLevers, largest, keepingControls, allKeepingControls, withSmallSecondary } = lv;
  const bcCompute = PRICES.find((p) => p.id === "sql-bc-compute");
  const bcHourly = 8 * 730 * ((bcCompute?.list ?? 0) + (PRICES.find((p) => p.id === "sql-license-bc")?.list ?? 0));
  const { auditProd, auditDev } = auditCost(dev, prod);
  const baselineLines = prod.estimate.lines.filter((l) => l.priceId === "functions-flex-ar-baseline");
  const baseline = baselineLines.reduce((sum, l) => sum + l.committed, 0);
  const perInstance = (PRICES.find((p) => p.id === "functions-flex-ar-baseline")?.list ?? 0) * 2 * 3600 * 730;
  return `# Cost: estimate, seed comparison, levers

<!-- Generated by \`npm run cost:docs\` from the offline previews of both stacks (a test fails when stale). -->

Every figure here is computed by the estimator (\`tools/lib/cost/\`) over the resources the program declares,
with the stack's usage assumptions (\`usage\` in \`Pulumi.<stack>.yaml\`, defaults in \`lib/usage.ts\`) and the
price table \`tools/lib/cost/prices/\` (each row with its meter, unit, region, date and public source).
\`npm run preview:offline\` prints the per-tier totals under the verdict; \`--cost FILE\` writes the lines as JSON;
\`npm run cost:diff -- --base <export> --head <export>\` prints what a change adds or removes per month (a change of
the usage assumptions themselves needs the base's stack file too, \`--base-stack-file <the base's Pulumi.<stack>.yaml>\`:
otherwise both exports are priced with today's), and the pull-request workflow puts that change in the job summary. \`npm run cost:retail\` (with network access) asks the Azure
Retail Prices API for the meters the table prices at another region's rates or derives, in West Europe (the
other-region rows the stacks use that it does not ask for are \`RETAIL_NOT_ASKED\` in \`retail.ts\`, each with the
reason); with \`--write\` it
records them in \`tools/lib/cost/retail-overrides.json\`, which the table applies over its stored rows${
    PRICES.some((p) => p.source.startsWith("https://prices.azure.com/")) ? " (it does today)" : " (none recorded yet)"
  }, and \`npm run cost:docs\` regenerates this page.

**List** is pay-as-you-go. **Committed** applies the stack's \`usage.commitment\` (prod: 3-year reservations where
Azure sells them, on SQL vCore compute, Synapse cDWU and Cosmos DB throughput, plus Azure Hybrid Benefit on the SQL
licence meter of the databases that declare it, \`licenseType: BasePrice\`; dev: none). Serverless, paused pools, firewall, DDoS and networking have no reservation.

**Derived prices**: the GZRS and RA-GZRS capacity rows are derived (zone-redundant price plus the geo-replica
premium of the same source), not read; so are the cold tier's rows other than LRS (cold LRS plus the cool tier's
redundancy premium, an upper bound). All are marked in \`tools/lib/cost/prices/\`. The lake's cold volume follows its lifecycle
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

**Metric alerts** are priced per monitored time series, one per scope and criterion: a criterion split by a
dimension monitors one series per value, which the estimate does not count (prod's Cosmos DB RU consumption alert
watches each container's partition key ranges, a few dozen series at $0.10 each): a few dollars a month under.

**Not estimated** (outside every total below): ${notEstimatedText({ prod, dev })}.

## Targets

| Target | Measured | Status |
|---|---:|---|
| prod at committed prices ≤ ${usd(target)}/month, every security layer included (the stack as deployed) | ${usd(today)} | ${status(today)} |
| the same at the seed's sizing (Cosmos DB ${seedRu.toLocaleString("en-US")} RU/s and ${seedScorerText}, which cannot carry the seed's load) | ${usd(atSeed)} | ${status(atSeed)} |
| capacity to carry the seed's 10K transactions/s ([capacity.md](capacity.md)): Cosmos DB RU/s and ${ready.scorer - seedScorers} more always-ready scorer instances (with the SQL audit of their polls) | ${sign(today - atSeed)} | acknowledged, ceiling ${usd(PROD_CAPACITY_CEILING_USD)} for the stack as deployed |
| dev at list prices < ${usd(COST_TARGETS.devListUsdPerMonth)}/month | ${usd(dev.estimate.total.list)} | ${dev.estimate.total.list < COST_TARGETS.devListUsdPerMonth ? "met" : "**not met**"} |

The seed's "optimised" $12,000 comes from a cost table that leaves out much of what this stack carries: the security
layers its own architecture names (Azure Firewall, DDoS protection) and those PCI DSS asks for (the WAF gateway, HSM
keys, Defender, Sentinel), the SQL geo-secondary, the streaming and ML tiers (the fraud-scoring deployment alone is
${usd(scoringCost)} a month); and its 110K RU/s of Cosmos DB cannot carry its own 10K transactions/s
([capacity.md](capacity.md)). At the seed's sizing prod is
${usd(atSeed)} committed (${status(atSeed)}); the capacity that carries the seed's load, as the functions' code does
it, adds ${uplift}, and the two estimates differ on Cosmos DB throughput, what is billed per RU/s
(Defender for Cosmos DB), the scorer's always-ready instances and the SQL audit of their polls only. ${
    today > target
      ? `${
          atSeed <= target
            ? `The stack as deployed is over the target by ${usd(today - target)}, less than the ${sign(today - atSeed)} of capacity the seed's own load needs: the overrun is the cost of carrying that load, which the seed's sizing cannot.`
            : `The stack as deployed is over the target by ${usd(today - target)}: ${sign(today - atSeed)} of capacity the seed's own load needs (Cosmos DB RU/s and scorer instances, with the SQL audit of the extra instances' polls), and ${usd(atSeed - target)} that the seed's sizing itself misses with every security layer.`
        } ${
          singleLevers.every((l) => l.committed > target)
            ? `No lever below brings the stack as deployed under ${usd(target)} on its own (the largest that keeps every control, ${largest.name}, still leaves it at ${usd(largest.committed)})`
            : `The levers below that bring the stack as deployed under ${usd(target)} on their own: ${singleLevers
                .filter((l) => l.committed <= target)
                .map((l) => l.name)
                .join(", ")}`
        }. ${
          allKeepingControls > target
            ? `Even together, the levers that keep every control (${keepingControls}) leave it at ${usd(allKeepingControls)}, and ${usd(withSmallSecondary)} with a 4-vCore geo-secondary as well: meeting ${usd(target)} as deployed means giving up capacity the seed's load needs or a control, and accepting the overrun instead is the platform owner's call.`
            : `Together, the levers that keep every control (${keepingControls}) bring it to ${usd(allKeepingControls)}: taking them is the platform owner's call.`
        }`
      : `The stack as deployed meets the target.`
  } ${
    auditProd.committed > 0
      ? `Of the stack's total, ${usd(auditProd.committed)} is the SQL audit of the scorer's polls ([below](#sql-audit-of-the-triggers-polls): unmeasured, an upper bound until a dev day is measured), whose levers are the platform owner's.`
      : ""
  }
Tests fail when the stack as deployed passes ${usd(PROD_CAPACITY_CEILING_USD)} (\`PROD_CAPACITY_CEILING_USD\`, so any
growth fails CI until someone raises it on purpose), when the uplift holds anything but Cosmos DB lines, the scorer's always-ready instances and the audit of their polls, when a
security layer drops out of the estimate, and when dev's list total reaches its target (the targets are \`COST_TARGETS\` in \`lib/usage.ts\`). The operations tier's budgets use the targets, so prod's budget ($12,000)
reports the overrun every month until the owner decides.

**dev** ${
    dev.estimate.total.list < COST_TARGETS.devListUsdPerMonth
      ? "is under its target because it sleeps outside working hours"
      : `is over its target by ${usd(dev.estimate.total.list - COST_TARGETS.devListUsdPerMonth)}, less than the ${usd(auditDev)} of SQL audit of the scorer's polls (below; unmeasured), although it sleeps outside working hours`
  }: the ETL factory's schedule
(\`olap.pauseSchedule\`, ${devSchedule?.label ?? "none"}, ~${Math.round(devSchedule?.runningHoursPerMonth ?? 0)} h a month)
pauses the pool and, with \`alsoStop\`, stops the fraud scorer, the streaming job and the WAF gateway, with their
alerts silenced until they are back (docs/operations.md). Without it the scorer's always-ready instance (Flex cannot
wake a managed-identity SQL trigger from zero) polls change tracking every second (\`sqlTriggerPollingMs\`; prod every 100 ms), so the serverless database never
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

| Service | Seed SKU | Seed | dev list | prod list | prod committed |
|---|---|---:|---:|---:|---:|
${rows.join("\n")}
| **Total** | | **$18,000** (dev $4,500; "optimised" $12,000) | **${usd(dev.estimate.total.list)}** | **${usd(prod.estimate.total.list)}** | **${usd(today)}** |

What differs and why:

- **SQL**: the seed's $2,920 is below BC Gen5 8 vCore compute + licence in the price table (${usd(bcHourly)} at list); the
  estimate adds the storage billed at the configured maximum size (1 TB), long-term-retention backups, and the
  **geo-secondary** of the failover group, which the seed leaves out: the same compute as the primary, but a
  *standby* replica (\`sql.secondaryType\`), for which Azure bills no SQL licence (Microsoft's failover rights,
  standby-replica-how-to-configure): nothing reads it, so it needs no licence of the owner's either. Azure Hybrid
  Benefit removes the primary's licence meter in the committed figure only because prod declares it
  (\`sql.hybridBenefit\`: \`licenseType: BasePrice\`, 8 SQL Server Enterprise core licences with Software Assurance);
  the estimator never assumes it for a database that does not. A 3-year reservation takes 55 % off compute.
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
  SQL is about 10 % below West Europe: Business Critical compute is derived for West Europe with that ratio, the
  other SQL rows stay at East US rates); the estimate is a planning figure, not a quote.

${decisionsSection(prod)}

${auditSection(dev, prod, prodArchived, { base, levers: lv, ready, devSchedule, perInstance, auditProd, auditDev })}

## VNet flow logs

${flowLogSection(dev, prod)}

${lv.section}

The streaming tier runs without a Stream Analytics cluster: the job reads and writes Event Hubs through its trusted
services exception and the streaming app's loader function inserts its rows into the private pool
(docs/streaming.md), which removed the 36-SU cluster (~$2,891 a month, in both stacks). At the seed's sizing prod is
${usd(atSeed)} committed (${status(atSeed)}) with every security layer the seed's table leaves out; the capacity
that carries the seed's load (Cosmos DB, the scorer's always-ready instances) adds ${sign(today - atSeed)}. The levers above are the platform owner's
(${largest.name === "Synapse DW300c" ? "DW300c after a load test of the BI workload" : largest.name} is the largest that keeps every control; the smaller scoring size after
a load test of the endpoint). Defender for Cosmos DB is billed per 100 RU/s provisioned, so it follows the Cosmos DB
decisions above.
`;
}
