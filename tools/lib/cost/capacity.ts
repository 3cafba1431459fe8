/**
 * Capacity model: from the same resource inputs the estimator prices, what each tier can carry, against the target
 * load (lib/usage.ts `load`, seed defaults: 10K transactions/s of flow 1). One row per tier resource; headroom =
 * capacity / load, and a row is short when headroom < 1.
 */
import type { ResourceRecord } from "../policyRunner";
import { DEFAULT_LOAD, SEED_COSMOS_MAX_RU, type CosmosLoad, type LoadConfig } from "../../../lib/usage";
import { ZONE_REDUNDANT_MIN_ALWAYS_READY } from "../../../lib/config";
import type { SynapsePoolSku } from "../../../lib/config/data";
import {
  alwaysReadyInstances,
  at,
  firstGroupInstances,
  isSqlTriggerSettings,
  num,
  scoringDeploymentOf,
  sqlTriggerInstances,
  str,
  tierOf,
} from "./model";
import { sdkTypeOf } from "../sdkType";

export interface CapacityRow {
  readonly tier: string;
  readonly resource: string;
  /** What is compared (e.g. "RU/s (autoscale maximum)"). */
  readonly metric: string;
  readonly capacity: number;
  readonly load: number;
  readonly unit: string;
  /** capacity / load (Infinity when there is no load). */
  readonly headroom: number;
  /** How capacity and load were derived, and where the figures come from. */
  readonly basis: string;
}

const AN = "azure-native";

/** Flex Consumption's default compute quota per subscription and region: 250 cores, 512,000 MB. */
export const FLEX_REGIONAL_QUOTA_MB = 512_000;

/**
 * RU of one operation on an item of `kb` KB: Microsoft's table of write and read charges by document size
 * (learn.microsoft.com/azure/cosmos-db/understand-request-unit-consumption, 2026-04-21), interpolated linearly
 * between its sizes.
 */
const RU_BY_SIZE: readonly (readonly [kb: number, read: number, write: number])[] = [
  [1, 1.0, 4.95],
  [2, 1.04, 6.29],
  [4, 1.14, 6.67],
  [8, 1.33, 7.04],
  [16, 1.67, 9.52],
  [32, 2.19, 11.23],
  [64, 4.76, 22.67],
  [128, 9.95, 48.19],
  [256, 20.28, 98.29],
  [512, 40.95, 184.57],
  [1024, 145.9, 625.0],
  [2048, 291.8, 1250.0],
];
export function ruBySize(kb: number, op: "read" | "write"): number {
  const col = op === "read" ? 1 : 2;
  if (kb <= RU_BY_SIZE[0][0]) return RU_BY_SIZE[0][col];
  for (let i = 1; i < RU_BY_SIZE.length; i++) {
    const [k1] = RU_BY_SIZE[i - 1];
    const [k2] = RU_BY_SIZE[i];
    if (kb <= k2)
      return RU_BY_SIZE[i - 1][col] + ((kb - k1) / (k2 - k1)) * (RU_BY_SIZE[i][col] - RU_BY_SIZE[i - 1][col]);
  }
  return RU_BY_SIZE[RU_BY_SIZE.length - 1][col] * (kb / 2048);
}

/** RU per indexed term written (same page: "0.2 × 10 (indexing)"). */
export const RU_PER_INDEXED_TERM = 0.2;
/**
 * Customer-managed keys add about 6 % to writes, 5 % to point reads and 15 % to queries and change feed reads
 * (docs/cosmos-partitioning.md, "Throughput and capacity").
 */
export const CMK_WRITE = 1.06;
export const CMK_READ = 1.05;
export const CMK_CHANGE_FEED = 1.15;

/**
 * Index terms one item writes under a container's indexing policy: the included paths (or, when `/*` is included,
 * the item's properties less the excluded subtrees), one per composite index, and `id` and `_ts`, always indexed.
 */
export function indexedTerms(indexingPolicy: unknown, properties: number): number {
  const paths = (key: string) =>
    ((at(indexingPolicy, key) as { path?: string }[] | undefined) ?? []).map((p) => p.path ?? "");
  const included = paths("includedPaths");
  const excluded = paths("excludedPaths").filter((p) => !p.includes("_etag") && p !== "/*");
  const composites = ((at(indexingPolicy, "compositeIndexes") as unknown[] | undefined) ?? []).length;
  const base = included.includes("/*") ? Math.max(0, properties - excluded.length) : included.length;
  return base + composites + 2;
}

/** RU of one transaction of flow 1 on a container, with the breakdown. */
export function ruPerTransaction(
  l: CosmosLoad,
  indexingPolicy: unknown,
  cmk: boolean,
): { ru: number; create: number; replace: number; read: number; changeFeedRead: number; terms: number } {
  const terms = indexedTerms(indexingPolicy, l.properties);
  const w = cmk ? CMK_WRITE : 1;
  const rd = cmk ? CMK_READ : 1;
  const cf = cmk ? CMK_CHANGE_FEED : 1;
  const create = (ruBySize(l.itemKb, "write") + RU_PER_INDEXED_TERM * terms) * w;
  // A replace deletes and inserts the document and its modified index terms (same page, "Updates (replace)").
  const replace =
    (2 * ruBySize(l.itemKb, "write") + 2 * RU_PER_INDEXED_TERM * Math.min(terms, l.modifiedIndexedTerms)) * w;
  const read = ruBySize(l.itemKb, "read") * rd;
  // A change feed read is billed like a point read of the item, with the customer-managed key's query overhead.
  const changeFeedRead = ruBySize(l.itemKb, "read") * cf;
  const ru =
    l.createsPerTransaction * create +
    l.replacesPerTransaction * replace +
    l.readsPerTransaction * read +
    l.changeFeedReadsPerTransaction * changeFeedRead;
  return { ru, create, replace, read, changeFeedRead, terms };
}

/** Container id (as deployed) → the load config key. */
const CONTAINER_KEYS: Readonly<Record<string, keyof LoadConfig["cosmos"]>> = {
  api_logs: "apiLogs",
  sessions: "sessions",
  fraud_features: "fraudFeatures",
  webhook_events: "webhookEvents",
};

/** Azure SQL (vCore, Gen5) data IOPS and log rate by SKU (resource-limits-vcore-single-databases, sql-docs 2023-08-11). */
export function sqlLimits(sku: string, vcores: number): { iops: number; logMBps: number } | undefined {
  if (sku === "BC_Gen5") return { iops: 4000 * vcores, logMBps: Math.min(12 * vcores, 96) };
  if (sku === "GP_Gen5" || sku === "GP_S_Gen5") return { iops: 320 * vcores, logMBps: Math.min(4.5 * vcores, 50) };
  return undefined;
}

/** Event Hubs ingress per unit: Standard TU 1 MB/s or 1,000 events/s; Premium PU ~5 MB/s (low end of 5–10). */
const EH_LIMITS: Readonly<Record<string, { mbps: number; eps?: number }>> = {
  Standard: { mbps: 1, eps: 1000 },
  Premium: { mbps: 5 },
};

/**
 * Changes/s an Azure SQL trigger app processes: its always-ready instances in parallel (each loops "get up to
 * `batch` changes, run the function, wait the polling interval"), bounded by the trigger's one app lock: every
 * transaction of every instance takes `_az_func_Trigger` exclusively (SqlTriggerConstants.AppLockResource,
 * Azure/azure-functions-sql-extension; "every transaction is processed serially by use of this lock", #984), so the
 * batches of all instances together cannot exceed 1 / (lock-held seconds per batch) a second.
 */
export function sqlTriggerCapacity(
  instances: number,
  batch: number,
  pollSeconds: number,
  batchSeconds: number,
  lockSecondsPerBatch: number,
): { parallel: number; serial: number; capacity: number } {
  const parallel = (instances * batch) / (batchSeconds + pollSeconds);
  const serial = instances > 0 ? batch / lockSecondsPerBatch : 0;
  return { parallel, serial, capacity: Math.min(parallel, serial) };
}

const row = (r: Omit<CapacityRow, "headroom">): CapacityRow => ({
  ...r,
  headroom: r.load > 0 ? r.capacity / r.load : Infinity,
});
/** The capacity table of a stack against the target load. */
export function capacity(resources: readonly ResourceRecord[], load: LoadConfig = DEFAULT_LOAD): CapacityRow[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const of = (t: string) => resources.filter((r) => r.custom && sdkTypeOf(r) === `${AN}:${t}`);
  const tps = load.transactionsPerSecond;
  const rows: CapacityRow[] = [];

  const accounts = of("cosmosdb:DatabaseAccount");
  for (const c of of("cosmosdb:SqlResourceSqlContainer")) {
    const id = str(c.inputs, "resource.id") ?? str(c.inputs, "containerName") ?? c.name;
    const key = CONTAINER_KEYS[id];
    if (!key) continue;
    const acct = accounts.find((a) => str(a.inputs, "accountName") === str(c.inputs, "accountName"));
    const serverless = ((at(acct?.inputs, "capabilities") as { name?: string }[] | undefined) ?? []).some(
      (x) => x.name === "EnableServerless",
    );
    const cmk = str(acct?.inputs, "keyVaultKeyUri") !== undefined;
    const l = load.cosmos[key];
    const per = ruPerTransaction(l, at(c.inputs, "resource.indexingPolicy"), cmk);
    const autoscale = num(c.inputs, "options.autoscaleSettings.maxThroughput");
    const max = autoscale ?? num(c.inputs, "options.throughput");
    // Serverless: a container serves up to 5,000 RU/s while it holds up to 250 GB
    // (https://learn.microsoft.com/azure/cosmos-db/serverless-performance).
    const cap = max ?? (serverless ? 5000 : 0);
    rows.push(
      row({
        tier: tierOf(c, byUrn),
        resource: `${id} (${c.name})`,
        metric:
          autoscale !== undefined
            ? "RU/s (autoscale maximum, per region)"
            : max !== undefined
              ? "RU/s (manual throughput, per region)"
              : "RU/s (serverless container limit)",
        capacity: cap,
        load: tps * per.ru,
        unit: "RU/s",
        basis:
          `${per.ru.toFixed(2)} RU/transaction: ${l.createsPerTransaction} create × ${per.create.toFixed(2)} + ` +
          `${l.replacesPerTransaction} replace × ${per.replace.toFixed(2)} + ` +
          `${l.readsPerTransaction} read × ${per.read.toFixed(2)} + ` +
          `${l.changeFeedReadsPerTransaction} change feed read × ${per.changeFeedRead.toFixed(2)} ` +
          `(${l.itemKb} KB item, ${per.terms} index terms${cmk ? ", CMK" : ""})`,
      }),
    );
  }

  for (const db of of("sql:Database")) {
    if (str(db.inputs, "createMode") === "Secondary") continue;
    const sku = str(db.inputs, "sku.name") ?? "";
    const v = num(db.inputs, "sku.capacity") ?? 0;
    const lim = sqlLimits(sku, v);
    if (!lim) continue;
    const tier = tierOf(db, byUrn);
    rows.push(
      row({
        tier,
        resource: `${str(db.inputs, "databaseName")} (${db.name}, ${sku} ${v} vCores)`,
        metric: "log rate",
        capacity: lim.logMBps,
        load: (tps * load.sqlLogKbPerTransaction) / 1024,
        unit: "MB/s",
        basis: `flow 1 inserts: ${tps} tx/s × ${load.sqlLogKbPerTransaction} KB of log each`,
      }),
      row({
        tier,
        resource: `${str(db.inputs, "databaseName")} (${db.name}, ${sku} ${v} vCores)`,
        metric: "data IOPS",
        capacity: lim.iops,
        load: tps * load.sqlIoPerTransaction,
        unit: "IOPS",
        basis: `${tps} tx/s × ${load.sqlIoPerTransaction} data IO each`,
      }),
    );
  }

  for (const ns of of("eventhub:Namespace")) {
    const sku = str(ns.inputs, "sku.name") ?? "Standard";
    const lim = EH_LIMITS[sku];
    if (!lim) continue;
    const auto = at(ns.inputs, "isAutoInflateEnabled") === true ? num(ns.inputs, "maximumThroughputUnits") : undefined;
    const units = auto ?? num(ns.inputs, "sku.capacity") ?? 1;
    const eps = tps * load.eventsPerTransaction;
    rows.push(
      row({
        tier: tierOf(ns, byUrn),
        resource: `${ns.name} (${sku} ${units} ${sku === "Standard" ? "TU" : "PU"})`,
        metric: "ingress MB/s",
        capacity: units * lim.mbps,
        load: (eps * load.eventKb) / 1024,
        unit: "MB/s",
        basis: `${eps} events/s × ${load.eventKb} KB (learn.microsoft.com/azure/event-hubs/event-hubs-scalability)`,
      }),
    );
    if (lim.eps) {
      rows.push(
        row({
          tier: tierOf(ns, byUrn),
          resource: `${ns.name} (${sku} ${units} TU)`,
          metric: "ingress events/s",
          capacity: units * lim.eps,
          load: eps,
          unit: "events/s",
          basis: "1,000 events/s per throughput unit",
        }),
      );
    }
  }

  // Application Gateway v2 (learn.microsoft.com/azure/application-gateway/application-gateway-autoscaling-zone-redundant
  // and understanding-pricing): an instance ≈ 10 capacity units; a capacity unit is at most one compute unit, 2,500
  // persistent connections or 2.22 Mbps. A compute unit handles ≈ 50 new TLS (RSA 2048) connections/s on Standard_v2,
  // and ≈ 10 requests/s through the WAF on WAF_v2 (70 % of requests under 2 KB). Rows at the autoscale maximum: a
  // sudden burst meets the minimum instances until scale-out completes (3 to 5 minutes), so a load test is pre-scaled
  // (docs/operations.md).
  for (const gw of of("network:ApplicationGateway")) {
    const maxInstances = num(gw.inputs, "autoscaleConfiguration.maxCapacity") ?? num(gw.inputs, "sku.capacity") ?? 1;
    const minInstances = num(gw.inputs, "autoscaleConfiguration.minCapacity") ?? maxInstances;
    const waf = /^WAF_v2$/i.test(str(gw.inputs, "sku.tier") ?? str(gw.inputs, "sku.name") ?? "");
    const cu = maxInstances * 10;
    const rps = tps * load.gatewayRequestsPerTransaction;
    const resource = `${gw.name} (${minInstances}–${maxInstances} instances)`;
    rows.push(
      waf
        ? row({
            tier: tierOf(gw, byUrn),
            resource,
            metric: "requests/s through the WAF",
            capacity: cu * 10,
            load: rps,
            unit: "req/s",
            basis: `WAF_v2: ≈ 10 requests/s per compute unit, ≈ 10 capacity units per instance; ${minInstances > 0 ? `${minInstances * 100} req/s on the ${minInstances} reserved instances` : "no reserved instance"} until autoscale adds instances (3–5 minutes)`,
          })
        : row({
            tier: tierOf(gw, byUrn),
            resource,
            metric: "new TLS connections/s",
            capacity: cu * 50,
            load: rps,
            unit: "conn/s",
            basis:
              "Standard_v2: ≈ 50 TLS (RSA 2048) connections/s per compute unit, ≈ 10 capacity units per instance; worst case: a new connection per request",
          }),
      row({
        tier: tierOf(gw, byUrn),
        resource,
        metric: "throughput Mb/s",
        capacity: cu * 2.22,
        load: (rps * load.gatewayKbPerRequest * 8 * 1024) / 1e6,
        unit: "Mb/s",
        basis: `2.22 Mbps per capacity unit; ${load.gatewayKbPerRequest} KB per request and response (load.gatewayKbPerRequest)`,
      }),
    );
  }

  const settingsOf = (app: ResourceRecord) =>
    of("web:WebAppApplicationSettings").find(
      (s) =>
        str(s.inputs, "name") === str(app.inputs, "name") &&
        str(s.inputs, "resourceGroupName") === str(app.inputs, "resourceGroupName"),
    );
  // Memory the Flex apps hold at the target load (instances it takes × instance memory), and at their maxima. The
  // maximum bounds the on-demand instances of each function group, and "Always ready instances aren't limited by the
  // maximum instance count and don't count toward it" (learn.microsoft.com/azure/azure-functions/event-driven-scaling):
  // an app reaches its maximum plus its always-ready instances, for each function group that scales.
  const flex = { atLoad: 0, atMax: 0, apps: 0 };
  for (const app of of("web:WebApp")) {
    const maxInstances = num(app.inputs, "functionAppConfig.scaleAndConcurrency.maximumInstanceCount");
    if (maxInstances === undefined) continue;
    const memoryMB = num(app.inputs, "functionAppConfig.scaleAndConcurrency.instanceMemoryMB") ?? 2048;
    const ready = alwaysReadyInstances(app);
    flex.apps++;
    flex.atMax += (maxInstances + ready) * memoryMB;
    const record = settingsOf(app);
    if (record && isSqlTriggerSettings(record)) {
      const settings = record.inputs.properties as Record<string, unknown>;
      const batch = Number(settings.Sql_Trigger_MaxBatchSize ?? 100);
      // An Azure SQL trigger: each instance loops "get up to MaxBatchSize changes, run the function, wait
      // PollingIntervalMs" (learn.microsoft.com/azure/azure-functions/functions-bindings-azure-sql-trigger). On Flex
      // Consumption the scale controller cannot count pending changes with a managed identity
      // (Azure/azure-functions-sql-extension#1235): it never adds instances, so the trigger runs on the always-ready
      // instances only, and Sql_Trigger_MaxChangesPerWorker takes effect when the issue is fixed.
      const pollS = Number(settings.Sql_Trigger_PollingIntervalMs ?? 1000) / 1000;
      // The trigger group's instances (another group's, such as the merchant refresh timer's, never poll).
      const pollers = sqlTriggerInstances(app);
      const {
        parallel,
        serial,
        capacity: changes,
      } = sqlTriggerCapacity(pollers, batch, pollS, load.scoringBatchSeconds, load.sqlTriggerLockSecondsPerBatch);
      flex.atLoad += ready * memoryMB;
      rows.push(
        row({
          tier: tierOf(app, byUrn),
          resource: `${app.name} (Flex, ${pollers} always-ready instance(s), Azure SQL trigger)`,
          metric: "changes/s",
          capacity: changes,
          load: tps,
          unit: "changes/s",
          basis:
            `the lower of two limits. Parallel: ${fmt(parallel)} changes/s, each instance ${batch} changes per ` +
            `${load.scoringBatchSeconds} s batch + ${pollS} s poll, only the always-ready instances (Flex cannot scale ` +
            `a managed-identity SQL trigger out: azure-functions-sql-extension#1235). Serial: ${fmt(serial)} changes/s, ` +
            `every batch holds the database-wide app lock _az_func_Trigger ${load.sqlTriggerLockSecondsPerBatch} s ` +
            "(load.sqlTriggerLockSecondsPerBatch, unmeasured), so batches run one after another whatever the instances " +
            `(azure-functions-sql-extension#984): ${fmt(1 / load.sqlTriggerLockSecondsPerBatch)} batches/s × ${batch}`,
        }),
      );
      continue;
    }
    const perInstance = load.functionConcurrencyPerInstance / load.functionSecondsPerExecution;
    const needed = Math.ceil((tps * load.functionExecutionsPerTransaction) / perInstance);
    // The load scales the app's first function group (the payment API's `http`, the relay's change feed trigger);
    // the other groups hold their always-ready instances beside it (the relay app's loader).
    const scaling = firstGroupInstances(app);
    flex.atLoad += (Math.min(maxInstances + scaling, Math.max(needed, scaling)) + (ready - scaling)) * memoryMB;
    rows.push(
      row({
        tier: tierOf(app, byUrn),
        // On-demand instances only (a conservative figure): the always-ready ones may belong to another function
        // group of the app (the relay app's loader).
        resource: `${app.name} (Flex, ≤ ${maxInstances} instances)`,
        metric: "executions/s",
        capacity: maxInstances * perInstance,
        load: tps * load.functionExecutionsPerTransaction,
        unit: "exec/s",
        basis: `${load.functionConcurrencyPerInstance} concurrent executions per instance / ${load.functionSecondsPerExecution} s each`,
      }),
    );
  }

  // All Flex Consumption apps of a subscription and region share one compute quota, 250 cores = 512,000 MB by default
  // (flex-consumption-plan.md, "Regional subscription memory quotas"); past it Azure throttles scaling and "some
  // executions and deployments might be delayed or fail". A stack's apps are in one region of their own subscription.
  if (flex.apps > 0)
    rows.push(
      row({
        tier: "subscription",
        resource: `Flex Consumption regional quota (${flex.apps} apps)`,
        metric: "instance memory at the target load",
        capacity: FLEX_REGIONAL_QUOTA_MB,
        load: flex.atLoad,
        unit: "MB",
        basis:
          `instances each app needs at the target (always-ready ones for an Azure SQL trigger) × its instance memory; ` +
          `the apps' maxima and always-ready instances add up to ${flex.atMax.toLocaleString("en-US")} MB, each maximum counted once although Azure applies it to each function group (an app whose other groups scale out too needs that much more), ${flex.atMax > FLEX_REGIONAL_QUOTA_MB ? "over" : "within"} the default quota ` +
          "(raise it by support request before a load test that needs more)",
      }),
    );

  // Online scoring: deployments the stack declares, and endpoints whose deployments the ML pipeline releases at the
  // size the stack states (its outputs). One instance serves one request at a time (max_concurrent_requests_per_instance
  // defaults to 1: MicrosoftDocs/azure-ai-docs reference-yaml-deployment-managed-online.md).
  const scoring = [
    ...of("machinelearningservices:OnlineDeployment").map((d) => ({
      r: d,
      type: str(d.inputs, "properties.instanceType") ?? "?",
      n: num(d.inputs, "properties.scaleSettings.maxInstances") ?? num(d.inputs, "sku.capacity") ?? 1,
    })),
    ...of("machinelearningservices:OnlineEndpoint").flatMap((e) => {
      const d = scoringDeploymentOf(e, resources);
      return d ? [{ r: e, type: d.instanceType, n: d.instanceCount }] : [];
    }),
  ];
  for (const { r, type, n } of scoring) {
    rows.push(
      row({
        tier: tierOf(r, byUrn),
        resource: `${r.name} (${type} × ${n})`,
        metric: "scoring requests/s",
        capacity: n * load.scoringRequestsPerSecondPerInstance,
        load: tps * load.scoringRequestsPerTransaction,
        unit: "req/s",
        basis:
          `${load.scoringRequestsPerSecondPerInstance} req/s per instance, one request at a time ` +
          `(load.scoringRequestsPerSecondPerInstance); ${load.scoringRequestsPerTransaction} request per transaction ` +
          "(one request per trigger batch; batches are full at the target, where more than a batch waits per instance)",
      }),
    );
  }
  // The nightly publish replaces one fact row per transaction of the day (a delete and an insert: two of the
  // transaction's rows) in one pool transaction; a full reload goes in batches (pipelines/etl/sql/pool/publish.ts).
  for (const pool of of("synapse:SqlPool")) {
    const sku = str(pool.inputs, "sku.name") ?? "?";
    const max = poolTransactionRows(sku);
    if (max === undefined) continue;
    rows.push(
      row({
        tier: tierOf(pool, byUrn),
        resource: `${pool.name} (${sku})`,
        metric: "fact rows a night's publish replaces in one transaction",
        capacity: Math.min(max / 2, PUBLISH_BATCH_KEYS),
        load: load.nightlyTransactions,
        unit: "rows",
        basis:
          `the lower of the pool's ${(max / 1e6).toLocaleString("en-US")}M rows of 250 bytes per transaction ` +
          "(Microsoft's transaction-size table), two per replaced row (delete and insert), and the " +
          `${(PUBLISH_BATCH_KEYS / 1e6).toLocaleString("en-US")}M keys past which the publish commits in batches ` +
          '(docs/etl.md, "Full reloads in batches"), against load.nightlyTransactions',
      }),
    );
  }
  return rows;
}

/**
 * A dedicated SQL pool's largest data modification transaction, in rows of 250 bytes spread evenly: Microsoft's table
 * ("Use transactions in a SQL pool in Azure Synapse", Transaction size, Gen2: 4,000,000 rows per GB of a
 * distribution's cap, 60 distributions).
 */
export const POOL_TRANSACTION_GB_PER_DISTRIBUTION: Readonly<Record<SynapsePoolSku, number>> = {
  DW100c: 1,
  DW200c: 1.5,
  DW300c: 2.25,
  DW400c: 3,
  DW500c: 3.75,
  DW1000c: 7.5,
  DW1500c: 11.25,
  DW2000c: 15,
  DW2500c: 18.75,
  DW3000c: 22.5,
  DW5000c: 37.5,
  DW6000c: 45,
  DW7500c: 56.25,
  DW10000c: 75,
  DW15000c: 112.5,
  DW30000c: 225,
};
/**
 * Keys a publish replaces in one transaction at most: more go in batches (pipelines/etl/sql/pool/batchSize.ts publishBatchRows
 * for Fact_Payment; a test keeps the two equal, the model not being loaded in a preview for it).
 */
export const PUBLISH_BATCH_KEYS = 51_000_000;
export const poolTransactionRows = (sku: string): number | undefined => {
  const gb = (POOL_TRANSACTION_GB_PER_DISTRIBUTION as Readonly<Record<string, number>>)[sku];
  return gb === undefined ? undefined : gb * 60 * 4_000_000;
};

const fmt = (n: number) =>
  !Number.isFinite(n) ? "∞" : n < 100 ? String(Number(n.toFixed(1))) : Math.round(n).toLocaleString("en-US");
export const headroomText = (h: number) => (Number.isFinite(h) ? `${h.toFixed(2)}×` : "∞");

/** One line for a person: every row carries the target load, or which do not. */
export function formatCapacity(rows: readonly CapacityRow[]): string {
  const short = rows.filter((r) => r.headroom < 1);
  if (rows.length === 0) return "Capacity vs target load: no tier with a capacity model";
  if (short.length === 0)
    return `Capacity vs target load: all ${rows.length} rows carry it (lowest headroom ${headroomText(Math.min(...rows.map((r) => r.headroom)))})`;
  return [
    `Capacity vs target load: ${short.length} of ${rows.length} rows below it:`,
    ...short.map(
      (r) =>
        `    - ${r.resource} ${r.metric}: ${fmt(r.capacity)} < ${fmt(r.load)} ${r.unit} (${headroomText(r.headroom)})`,
    ),
  ].join("\n");
}

/** The capacity rows as a Markdown table. */
export function capacityMarkdown(rows: readonly CapacityRow[]): string {
  const lines = [
    "| Tier | Resource | Metric | Capacity | Load | Headroom | Basis |",
    "|---|---|---|---:|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.tier} | ${r.resource} | ${r.metric} | ${fmt(r.capacity)} ${r.unit} | ${fmt(r.load)} ${r.unit} | ` +
        `${r.headroom < 1 ? "❌ " : ""}${headroomText(r.headroom)} | ${r.basis} |`,
    ),
  ];
  return lines.join("\n") + "\n";
}

/**
 * The stack with each Cosmos DB container's autoscale maximum set to the seed's sizing (SEED_COSMOS_MAX_RU, by
 * container id), everything else unchanged: what prod would cost at the seed's capacity, which the cost target is
 * stated for. Containers the seed does not size (leases) keep theirs.
 */
export function atSeedCosmosSizing(
  resources: readonly ResourceRecord[],
  seed: Readonly<Record<string, number>> = SEED_COSMOS_MAX_RU,
): ResourceRecord[] {
  return resources.map((r) => {
    if (sdkTypeOf(r) !== `${AN}:cosmosdb:SqlResourceSqlContainer`) return r;
    const max = seed[str(r.inputs, "resource.id") ?? ""];
    if (max === undefined || num(r.inputs, "options.autoscaleSettings.maxThroughput") === undefined) return r;
    const options = at(r.inputs, "options") as Record<string, unknown>;
    return { ...r, inputs: { ...r.inputs, options: { ...options, autoscaleSettings: { maxThroughput: max } } } };
  });
}

/** Whether a Flex app's plan (its `serverFarmId`, by the plan's name) is zone-redundant. */
function onZoneRedundantPlan(app: ResourceRecord, resources: readonly ResourceRecord[]): boolean {
  const farm = /\/serverfarms\/([^/]+)$/i.exec(str(app.inputs, "serverFarmId") ?? "")?.[1]?.toLowerCase();
  return resources.some(
    (p) =>
      sdkTypeOf(p) === `${AN}:web:AppServicePlan` &&
      farm !== undefined &&
      str(p.inputs, "name")?.toLowerCase() === farm &&
      at(p.inputs, "zoneRedundant") === true,
  );
}

/**
 * Always-ready instances the seed's sizing gives an Azure SQL trigger app: the one that runs its trigger on Flex (two
 * on a zone-redundant plan, Azure's floor there).
 */
export const SEED_SQL_TRIGGER_ALWAYS_READY = 1;
/**
 * The stack at the seed's sizing: Cosmos DB at the seed's maxima (atSeedCosmosSizing), and each Azure SQL trigger app
 * (the fraud scorer) with the one always-ready instance that runs its trigger (two on a zone-redundant plan). The seed sizes no scorer; the
 * instances beyond the first exist, like the Cosmos DB maxima above the seed's, only to carry the seed's load
 * (capacity.md: Flex cannot scale a managed-identity SQL trigger out). Everything else is unchanged.
 */
export function atSeedSizing(resources: readonly ResourceRecord[]): ResourceRecord[] {
  return withSqlTriggerAlwaysReady(atSeedCosmosSizing(resources), SEED_SQL_TRIGGER_ALWAYS_READY, true);
}

/**
 * The stack with each Azure SQL trigger app (the fraud scorer) at `instances` always-ready instances in its trigger
 * group (the first; `sqlTriggerInstances`), everything else unchanged; `onlyFewer` leaves an app with fewer as it is.
 */
export function withSqlTriggerAlwaysReady(
  resources: readonly ResourceRecord[],
  instances: number,
  onlyFewer = false,
): ResourceRecord[] {
  const triggered = new Set(
    resources
      .filter((r) => sdkTypeOf(r) === `${AN}:web:WebAppApplicationSettings` && isSqlTriggerSettings(r))
      .map((r) => `${str(r.inputs, "resourceGroupName")}/${str(r.inputs, "name")}`),
  );
  return resources.map((r) => {
    if (
      sdkTypeOf(r) !== `${AN}:web:WebApp` ||
      !triggered.has(`${str(r.inputs, "resourceGroupName")}/${str(r.inputs, "name")}`)
    )
      return r;
    const sc = at(r.inputs, "functionAppConfig.scaleAndConcurrency") as Record<string, unknown> | undefined;
    const groups = (sc?.alwaysReady as { name?: string; instanceCount?: number }[] | undefined) ?? [];
    // A zone-redundant plan keeps two always-ready instances per group whatever the setting (and the program refuses
    // fewer): no scenario goes below that.
    const wanted = Math.max(instances, onZoneRedundantPlan(r, resources) ? ZONE_REDUNDANT_MIN_ALWAYS_READY : 0);
    if (!sc || (onlyFewer && sqlTriggerInstances(r) <= wanted)) return r;
    const alwaysReady = groups.map((g, i) => (i === 0 ? { ...g, instanceCount: wanted } : g));
    const fac = at(r.inputs, "functionAppConfig") as Record<string, unknown>;
    return {
      ...r,
      inputs: { ...r.inputs, functionAppConfig: { ...fac, scaleAndConcurrency: { ...sc, alwaysReady } } },
    };
  });
}
