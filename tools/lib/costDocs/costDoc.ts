/** docs/cost.md: the estimate of both stacks against the seed's table, the targets, decisions and levers. */
import type { ResourceRecord } from "../policyRunner";
import { estimate, type Estimate } from "../cost/estimate";
import { offHoursSchedule } from "../cost/model";
import { commitmentLevel } from "../cost/rules/monitoring";
import { sqlAuditTables } from "../cost/rules/sqlAudit";
import { DAYS_PER_MONTH, price, PRICES } from "../cost/prices";
import { LOG_ANALYTICS_COMMITMENT_LEVELS } from "../../../lib/config";
import { MIN_INTERACTIVE_RETENTION_DAYS } from "../../../lib/config/logRetention";
import {
  COST_TARGETS,
  PROD_CAPACITY_CEILING_USD,
  SQL_AUDIT_RECORD_OVERHEAD_BYTES,
  type UsageConfig,
} from "../../../lib/usage";
import { atSeedCosmosSizing, atSeedSizing, sqlTriggerCapacity, withSqlTriggerAlwaysReady } from "../cost/capacity";
import { isSqlTriggerSettings } from "../cost/model";
import { FREE_FLOW_LOG_GB_PER_MONTH, TRAFFIC_ANALYTICS_INGESTED_SHARE } from "../cost/rules/flowLogs";
import { usd, SEED, StackCost, sumWhere } from "./seed";
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
  notEstimatedText,
  alwaysReadyOf,
  hotToCool,
  workspaceTier,
  workspacePayAsYouGo,
  longTermRetention,
  scoringSize,
  evhUnits,
  cosmosMaxRu,
  SEED_COSMOS,
  SEED_RU,
  kRu,
  pollingInterval,
} from "./scenarios";
import { sdkTypeOf } from "../sdkType";

/**
 * GB a month the lines send a Log Analytics workspace: at pay-as-you-go, or in days of a commitment tier (× its GB;
 * the unused part of a tier is not sent).
 */
function ingestedGb(lines: readonly Estimate["lines"][number][]): number {
  return lines.reduce((n, l) => {
    if (l.priceId === "log-analytics-ingestion") return n + l.quantity;
    const level = /^log-analytics-commitment-(\d+)$/.exec(l.priceId)?.[1];
    return level && !/unused part/.test(l.meter) ? n + l.quantity * Number(level) : n;
  }, 0);
}

/**
 * Whether a line is the SQL audit of the Azure SQL trigger's polls: priced on the server's audit policy (the
 * workspace) and, with the audit archive, on the database's (the archive's storage).
 */
const isTriggerAudit = (l: { type: string }) =>
  l.type.endsWith("sql:ExtendedServerBlobAuditingPolicy") || l.type.endsWith("sql:ExtendedDatabaseBlobAuditingPolicy");
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
  const bcCompute = PRICES.find((p) => p.id === "sql-bc-compute");
  const bcHourly = 8 * 730 * ((bcCompute?.list ?? 0) + (PRICES.find((p) => p.id === "sql-license-bc")?.list ?? 0));
  // The SQL audit of the trigger's polls and its levers (docs: "SQL audit of the trigger's polls").
  const sumOf = (e: Estimate, k: "list" | "committed") =>
    e.lines.filter(isTriggerAudit).reduce((sum, l) => sum + l[k], 0);
  const auditProd = { list: sumOf(prod.estimate, "list"), committed: sumOf(prod.estimate, "committed") };
  const auditDev = sumOf(dev.estimate, "list");
  const auditGb = (e: Estimate) => ingestedGb(e.lines.filter(isTriggerAudit));
  const scorerSettings = prod.resources.find(
    (r) => sdkTypeOf(r) === "azure-native:web:WebAppApplicationSettings" && isSqlTriggerSettings(r),
  );
  const scorerProps = (scorerSettings?.inputs.properties ?? {}) as Record<string, unknown>;
  const batch = Number(scorerProps.Sql_Trigger_MaxBatchSize ?? 100);
  const pollMs = Number(scorerProps.Sql_Trigger_PollingIntervalMs ?? 1000);
  const scorerCapacity = (instances: number, ms: number) =>
    sqlTriggerCapacity(
      instances,
      batch,
      ms / 1000,
      prod.load.scoringBatchSeconds,
      prod.load.sqlTriggerLockSecondsPerBatch,
    );
  const today28 = scorerCapacity(ready.scorer, pollMs);
  // As many pollers as the serial bound lets work: more add audit records, not changes/s.
  const useful = Math.ceil(today28.serial / scorerCapacity(1, pollMs).parallel);
  const edited = (e: StackCost, edit: Edit) =>
    estimate(
      e.resources.map(edit).filter((r): r is ResourceRecord => r !== undefined),
      { stack: e.estimate.stack, usage: e.usage },
    );
  const atInterval = (e: StackCost, ms: number) => edited(e, pollingInterval(ms));
  const atPollers = (e: StackCost, n: number) =>
    estimate(withSqlTriggerAlwaysReady(e.resources, n), { stack: e.estimate.stack, usage: e.usage });
  const archivedPredicate =
    prodArchived.resources.find(
      (r) => sdkTypeOf(r) === "azure-native:sql:ExtendedServerBlobAuditingPolicy" && r.inputs.predicateExpression,
    )?.inputs.predicateExpression ?? "(none)";
  const changes = (n: number) => `${Math.round(n).toLocaleString("en-US")} changes/s`;
  const A = (name: string, d: Estimate, p: Estimate, capacityText: string, why: string) =>
    `| ${name} | ${usd(d.total.list)} | ${sign(p.total.list - base.list)} | ${sign(p.total.committed - base.committed)} | ${usd(p.total.committed)} | ${capacityText} | ${why} |`;
  const slow = scorerCapacity(ready.scorer, 1000);
  const twice = scorerCapacity(ready.scorer, 2 * pollMs);
  const fewer = scorerCapacity(useful, pollMs);
  const auditLevers = [
    A(
      `Polling interval ${(2 * pollMs).toLocaleString("en-US")} ms instead of ${pollMs.toLocaleString("en-US")} ms`,
      dev.estimate,
      atInterval(prod, 2 * pollMs),
      `${changes(twice.capacity)} (parallel ${changes(twice.parallel)}, serial ${changes(twice.serial)})`,
      `scoring latency: a change waits up to ${(2 * pollMs).toLocaleString("en-US")} ms for the next poll instead of ${pollMs.toLocaleString("en-US")} (${(pollMs / 2).toLocaleString("en-US")} ms more on average), which the flow's 200 ms P99 budget end to end (the API's 20-40 ms, scoring up to 80 ms) cannot absorb at the tail; dev already polls every second`,
    ),
    A(
      "Polling interval 1,000 ms (the trigger's default) instead of " + pollMs.toLocaleString("en-US") + " ms",
      atInterval(dev, 1000),
      atInterval(prod, 1000),
      `${changes(slow.capacity)} (parallel ${changes(slow.parallel)}, serial ${changes(slow.serial)})`,
      `scoring latency: a change waits up to a second for the next poll, against the flow's 200 ms P99 budget (\`ingestion.functions.fraudScoring.sqlTriggerPollingMs\` in Pulumi.prod.yaml); and each instance takes ${batch} changes per ${prod.load.scoringBatchSeconds + 1} s (batch and poll), so ${ready.scorer} carry ${changes(slow.parallel)}`,
    ),
    A(
      `${useful} always-ready scorer instances instead of ${ready.scorer}`,
      dev.estimate,
      atPollers(prod, useful),
      `${changes(fewer.capacity)} (parallel ${changes(fewer.parallel)}, serial ${changes(fewer.serial)})`,
      `the serial bound of the app lock (load.sqlTriggerLockSecondsPerBatch, unmeasured) lets no more than ${useful} instances' batches work; until the load test measures the lock, the instances beyond are headroom only if the lock is faster (dev keeps its one)`,
    ),
    A(
      "Audit archive for the trigger's batches (`sql.archiveTriggerAudit: true`)",
      dev.estimate,
      prodArchived.estimate,
      "unchanged",
      `every record is still audited: the server audit leaves the scorer's trigger batches out (\`${archivedPredicate}\`) and a database audit with the complementary predicate writes exactly those to an immutable, cool, zone-redundant storage account for the audit's retention (steady state; the archive's append operations are not priced and its record sizes are taken equal to the workspace's, both unmeasured; components/oltp/auditArchive.ts; the pack's \`azure-native-sql-extendedserverblobauditingpolicy-require-archived-exclusions\` fails a predicate no such audit complements). The workspace keeps each poll's begin and commit. Those batches (the scorer's reads of changed \`dbo.Payment\` rows and its lease bookkeeping: tokens and amounts, never a PAN) then reach no Sentinel rule or log alert, and anyone holding the scorer's identity could move a statement there by naming \`az_func\` in it: PCI DSS 10.4.1 (daily review of the CDE's logs) makes it the PCI assessor's call${prod.resources.some((r) => sdkTypeOf(r) === "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy") ? " (prod has it on)" : ", so prod leaves it off (dev has it on, to prove the path first: docs/operations.md)"}`,
    ),
  ];
  const baselineLines = prod.estimate.lines.filter((l) => l.priceId === "functions-flex-ar-baseline");
  const baseline = baselineLines.reduce((sum, l) => sum + l.committed, 0);
  const perInstance = (PRICES.find((p) => p.id === "functions-flex-ar-baseline")?.list ?? 0) * 2 * 3600 * 730;
  return `# Cost: estimate, seed comparison, levers

<!-- Generated by \`npm run cost:docs\` from the offline previews of both stacks (a test fails when stale). -->

Every figure here is computed by the estimator (\`tools/lib/cost/\`) over the resources the program declares,
with the stack's usage assumptions (\`usage\` in \`Pulumi.<stack>.yaml\`, defaults in \`lib/usage.ts\`) and the
price table \`tools/lib/cost/prices.ts\` (each row with its meter, unit, region, date and public source).
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

## SQL audit of the trigger's polls

The OLTP server audits \`BATCH_COMPLETED_GROUP\` to the central workspace (PCI DSS 10.2.1: every statement run,
components/oltp/settings.ts), and Microsoft's audit action groups page says it "audits the whole batch or stored
procedure text" (learn.microsoft.com/sql/relational-databases/security/auditing/sql-server-audit-action-groups-and-actions):
one SQLSecurityAuditEvents record in AzureDiagnostics per batch. The fraud scorer's Azure SQL trigger polls every
${pollMs.toLocaleString("en-US")} ms (\`Sql_Trigger_PollingIntervalMs\`) on each always-ready instance (prod ${ready.scorer}, dev ${alwaysReadyOf(dev.resources).scorer}
while dev's apps run, ${devSchedule?.label ?? "around the clock"}), and each idle poll is one transaction of three batches
(Azure/azure-functions-sql-extension SqlTableChangeMonitor.cs, GetTableChangesAsync: the global state update, the
change query and the lease count, each starting with the app lock statements). The estimator prices that stream on
the server's audit policy from the stack's own resources: always-ready instances × polls a second × audit bytes per
poll (\`usage.sqlTriggerAuditBytesPerPoll\`, ${prod.usage.sqlTriggerAuditBytesPerPoll.toLocaleString("en-US")}: the three batches' statement text, 1,253 + 1,865 + 1,700 bytes with this
stack's names filled in, plus ${SQL_AUDIT_RECORD_OVERHEAD_BYTES.toLocaleString("en-US")} bytes of audit and resource fields per record, for the three batches and for the
begin and commit of the poll's transaction, which BATCH_COMPLETED_GROUP records as transaction management operations), for the hours the app runs, as Log
Analytics ingestion, Sentinel analysis where the workspace has it, and retention beyond the included days. prod:
${Math.round(auditGb(prod.estimate)).toLocaleString("en-US")} GB a month (${Math.round(auditGb(prod.estimate) / (730 / 24))} GB a day, on top of \`usage.logIngestionGbPerDay\`'s ${prod.usage.logIngestionGbPerDay}), ${usd(auditProd.list)} list and ${usd(auditProd.committed)} committed;
dev: ${Math.round(auditGb(dev.estimate))} GB a month, ${usd(auditDev)}${dev.resources.some((r) => sdkTypeOf(r) === "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy") ? ` (dev sends the batches to the audit archive, \`sql.archiveTriggerAudit\`: the workspace keeps each poll's begin and commit, ${dev.usage.sqlTriggerAuditTransactionBytesPerPoll.toLocaleString("en-US")} bytes, \`usage.sqlTriggerAuditTransactionBytesPerPoll\`)` : ""}.

Neither figure is measured. The poll rate is the free-running one (every instance polls every interval): each loop
also spends its transaction's time, and every transaction of every instance takes the database-wide exclusive app
lock \`_az_func_Trigger\` ("every transaction is processed serially by use of this lock": the maintainer in
Azure/azure-functions-sql-extension#984), so the real rate is lower by an amount no stored source gives: an upper
bound. The bytes per poll are the statement text of the extension's templates and an estimate of the record's other
fields. Replace both with a measured dev day, with dev's archive off for that day (\`sql.archiveTriggerAudit: false\`,
once its first deploy has proven the path), so that the workspace has every record: \`AzureDiagnostics | where
Category == "SQLSecurityAuditEvents" and statement_s has "az_func" | summarize records = count(), bytes =
sum(_BilledSize)\` over the hours the scorer ran, divided by its polls, for the batches; the begin and commit records of
the scorer's identity in the same hours for \`usage.sqlTriggerAuditTransactionBytesPerPoll\` (0 if there are none).
With the archive on, the batches are counted from the archive instead (\`sys.fn_get_audit_file\`, docs/operations.md).
${
  tier.level === deployedLevel
    ? `The workspace is on ${tierName}, the cheapest for this volume: every GB it ingests, these included, is billed at the tier's rate.`
    : `At this volume a commitment tier of the workspace cuts the price of every GB it ingests, these included: ${tierName}
is a lever [below](#levers-not-applied-prod-as-deployed-computed-by-the-estimator) (${sign(tier.e.total.committed - base.committed)} a month).`
}${
    ltr
      ? `
Their retention beyond Sentinel's 90 free days is another: ${ltrTables.join(" and ")} (where the server audit lands) kept
${MIN_INTERACTIVE_RETENTION_DAYS} days queryable and the rest long-term (\`logLongTermRetention\`, ${sign(ltr.total.committed - base.committed)} a month).`
      : ""
  }

| Lever | dev list | prod list/month | prod committed/month | prod committed total | Scorer capacity (target ${changes(prod.load.transactionsPerSecond)}) | Trade-off |
|---|---:|---:|---:|---:|---|---|
| As deployed | ${usd(dev.estimate.total.list)} | $0 | $0 | ${usd(base.committed)} | ${changes(today28.capacity)} (parallel ${changes(today28.parallel)}, serial ${changes(today28.serial)}) | |
${auditLevers.join("\n")}

Each always-ready scorer instance adds ${usd(auditProd.committed / Math.max(1, ready.scorer))} a month of audit in prod, besides its
${usd(perInstance)} baseline.

## VNet flow logs

${flowLogSection(dev, prod)}

## Levers not applied (prod as deployed, computed by the estimator)

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
].join("\n")}

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
