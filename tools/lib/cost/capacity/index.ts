/**
 * Capacity model: from the same resource inputs the estimator prices, what each tier can carry, against the target
 * load (lib/usage.ts `load`, seed defaults: 10K transactions/s of flow 1). One row per tier resource; headroom =
 * capacity / load, and a row is short when headroom < 1.
 *
 * This file has the table (`capacity`); limits.ts what one unit of each service carries, format.ts the rows for a
 * person and for docs/capacity.md, seedSizing.ts the stack at the seed's sizing, common.ts the row they share.
 */
import type { ResourceRecord } from "../../policyRunner";
import { DEFAULT_LOAD, type LoadConfig } from "../../../../lib/usage";
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
} from "../model";
import { sdkTypeOf } from "../../sdkType";
import { AN, fmt, row, type CapacityRow } from "./common";
import {
  EH_LIMITS,
  FLEX_REGIONAL_QUOTA_MB,
  PUBLISH_BATCH_KEYS,
  poolTransactionRows,
  ruPerTransaction,
  sqlLimits,
  sqlTriggerCapacity,
} from "./limits";

export type { CapacityRow } from "./common";
export {
  FLEX_REGIONAL_QUOTA_MB,
  ruBySize,
  RU_PER_INDEXED_TERM,
  CMK_WRITE,
  CMK_READ,
  CMK_CHANGE_FEED,
  indexedTerms,
  ruPerTransaction,
  sqlLimits,
  sqlTriggerCapacity,
  POOL_TRANSACTION_GB_PER_DISTRIBUTION,
  PUBLISH_BATCH_KEYS,
  poolTransactionRows,
} from "./limits";
export { headroomText, formatCapacity, capacityMarkdown } from "./format";
export {
  atSeedCosmosSizing,
  SEED_SQL_TRIGGER_ALWAYS_READY,
  atSeedSizing,
  withSqlTriggerAlwaysReady,
} from "./seedSizing";

/** Container id (as deployed) → the load config key. */
const CONTAINER_KEYS: Readonly<Record<string, keyof LoadConfig["cosmos"]>> = {
  api_logs: "apiLogs",
  sessions: "sessions",
  fraud_features: "fraudFeatures",
  webhook_events: "webhookEvents",
};

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
