/** Pricing rules of integration and compute: Data Factory, Event Hubs, Stream Analytics, Functions, Azure ML, ACR. */
import type { ResourceRecord } from "../../policyRunner";
import { DAYS_PER_MONTH, HOURS_PER_MONTH as H } from "../prices";
import {
  alwaysReadyInstances,
  at,
  free,
  notEstimated,
  num,
  priced,
  scoringDeploymentOf,
  str,
  type LineSpec,
  type Rule,
  type RuleContext,
} from "../model";
import { AN, stoppingSchedule } from "./common";

export const dataFactory: Rule = (_r, ctx) => {
  const u = ctx.usage;
  return priced(
    {
      meter: `Activity runs (${u.pipelineRunsPerDay} runs/day × ${u.activitiesPerRun} activities)`,
      priceId: "adf-activity-runs",
      quantity: (u.pipelineRunsPerDay * u.activitiesPerRun * DAYS_PER_MONTH) / 1000,
    },
    {
      meter: `Copy ${u.copyDiuHoursPerDay} DIU-hours/day`,
      priceId: "adf-diu",
      quantity: u.copyDiuHoursPerDay * DAYS_PER_MONTH,
    },
    {
      meter: `Managed VNet activity ${u.managedVnetActivityHoursPerDay} h/day`,
      priceId: "adf-managed-vnet-activity",
      quantity: u.managedVnetActivityHoursPerDay * DAYS_PER_MONTH,
    },
  );
};

export const eventHubsNamespace: Rule = (r, ctx) => {
  const sku = str(r.inputs, "sku.name") ?? "Standard";
  const units = num(r.inputs, "sku.capacity") ?? 1;
  if (sku === "Standard") {
    const ns = str(r.inputs, "namespaceName");
    const capture = ctx
      .ofType(`${AN}:eventhub:EventHub`)
      .some((h) => str(h.inputs, "namespaceName") === ns && at(h.inputs, "captureDescription.enabled") === true);
    return priced(
      { meter: `Standard ${units} TU`, priceId: "eventhubs-standard-tu", quantity: units * H },
      {
        meter: "Ingress events",
        priceId: "eventhubs-standard-ingress",
        quantity: ctx.usage.eventHubsMillionEventsPerMonth,
      },
      ...(capture ? [{ meter: `Capture × ${units} TU`, priceId: "eventhubs-capture", quantity: units }] : []),
    );
  }
  if (sku === "Premium")
    return priced({ meter: `Premium ${units} PU`, priceId: "eventhubs-premium-pu", quantity: units * H });
  return notEstimated(`Event Hubs ${sku} has no price row (Standard, Premium)`);
};

/**
 * Streaming units of a job from its own inputs: `transformation.streamingUnits` (V1: 1, 3, 6, …; V2 in the REST
 * integer form 3, 7, 10, 20, … where 10 is one SU V2, learn.microsoft.com/azure/stream-analytics/
 * stream-analytics-streaming-unit-consumption), else `sku.capacity` (API 2021-10-01-preview).
 */
export function streamingUnits(props: unknown): { units: number; v2: boolean } | undefined {
  const v2 = /V2$/i.test(str(props, "sku.name") ?? "");
  const raw = num(props, "transformation.streamingUnits") ?? num(props, "transformation.properties.streamingUnits");
  const cap = num(props, "sku.capacity");
  if (raw !== undefined) return { units: v2 ? raw / 10 : raw, v2 };
  if (cap !== undefined) return { units: v2 ? cap / 10 : cap, v2 };
  return undefined;
}

const asaJobFrom = (props: unknown, ctx: RuleContext, r?: ResourceRecord) => {
  if (str(props, "cluster.id")) return free("runs on a Stream Analytics cluster: billed on the cluster's capacity");
  const su = streamingUnits(props);
  if (!su) return notEstimated("no streaming units on the job (transformation.streamingUnits or sku.capacity)");
  const schedule = stoppingSchedule(r, ctx);
  const hours = Math.min(ctx.usage.streamingJobHoursPerMonth, schedule?.runningHoursPerMonth ?? Infinity);
  return priced({
    meter: `${su.units} streaming unit(s)${su.v2 ? " V2" : ""}, ${Math.round(hours)} h/month running${schedule ? ` (stopped off hours: ${schedule.label})` : ""}`,
    priceId: "asa-su",
    quantity: su.units * hours,
    note: su.v2 ? "V2 units priced at the V1 unit rate (upper bound; no stored V2 figure)" : undefined,
  });
};
export const streamAnalytics: Rule = (r, ctx) => asaJobFrom(r.inputs, ctx, r);

/** A dedicated Stream Analytics cluster: its capacity in streaming units, around the clock (36-SU minimum, V1 API). */
export const streamAnalyticsCluster: Rule = (r) => {
  const cap = num(r.inputs, "sku.capacity") ?? 36;
  return priced({ meter: `Cluster ${cap} streaming units`, priceId: "asa-su", quantity: cap * H });
};

const EP: Record<string, { vcpu: number; gb: number }> = {
  EP1: { vcpu: 1, gb: 3.5 },
  EP2: { vcpu: 2, gb: 7 },
  EP3: { vcpu: 4, gb: 14 },
};
const r2 = (n: number) => Math.round(n * 100) / 100;
/** The Flex Consumption function apps of the stack (the usage's executions and GB-s are shared among them). */
const flexApps = (ctx: RuleContext) =>
  ctx.ofType(`${AN}:web:WebApp`).filter((a) => at(a.inputs, "functionAppConfig") !== undefined);
export const appServicePlan: Rule = (r) => {
  const sku = str(r.inputs, "sku.name") ?? "";
  const n = num(r.inputs, "sku.capacity") ?? 1;
  if (sku === "FC1")
    return free(
      "FC1 (Flex Consumption) plan: execution time, executions and the always-ready baseline are billed on its function apps",
    );
  if (sku === "Y1") return free("Y1 (consumption) plan: executions are billed on its function apps");
  const ep = EP[sku];
  if (ep) {
    return priced(
      { meter: `${sku} vCPU × ${n} instance(s)`, priceId: "functions-ep-vcpu", quantity: ep.vcpu * n * H },
      { meter: `${sku} memory × ${n} instance(s)`, priceId: "functions-ep-memory", quantity: ep.gb * n * H },
    );
  }
  return priced({ meter: `${sku} × ${n} instance(s)`, priceId: `appservice-${sku}`, quantity: n * H });
};

/** Seconds in the estimator's month. */
const SECONDS = H * 3600;
/**
 * A Flex Consumption app: its share of the stack's execution time and executions (usage.functionGbSecondsPerMonth and
 * usage.functionMillionExecutionsPerMonth, split evenly over the Flex apps), and, with always-ready instances, their
 * baseline: each instance's memory around the clock, executing or not. Execution on always-ready instances bills at
 * the always-ready rate; the share is put on them first (they take work before on-demand instances are added), up to
 * what they hold. A stopped app is still billed its baseline here: Microsoft does not say a stopped app's always-ready
 * instances stop billing, so the line is an upper bound for an app stopped off hours.
 */
export const webApp: Rule = (r, ctx) => {
  if (at(r.inputs, "functionAppConfig") === undefined) return free("billed on its App Service plan");
  const flex = flexApps(ctx).length;
  const gbs = ctx.usage.functionGbSecondsPerMonth / flex;
  const millions = ctx.usage.functionMillionExecutionsPerMonth / flex;
  const ready = alwaysReadyInstances(r);
  const gb = (num(r.inputs, "functionAppConfig.scaleAndConcurrency.instanceMemoryMB") ?? 2048) / 1024;
  const baseline = ready * gb * SECONDS;
  const onReady = Math.min(gbs, baseline);
  const stopped = stoppingSchedule(r, ctx)?.label;
  const share = `share of ${ctx.usage.functionGbSecondsPerMonth.toLocaleString("en-US")} GB-s over ${flex} apps`;
  return priced(
    ...(ready > 0
      ? [
          {
            meter: `Always-ready baseline ${ready} × ${gb * 1024} MB around the clock`,
            priceId: "functions-flex-ar-baseline",
            quantity: baseline,
            note: stopped
              ? `stopped off hours (${stopped}): billed around the clock here, an upper bound (no Microsoft statement that a stopped app's always-ready instances stop billing)`
              : undefined,
          },
          {
            meter: `Execution time on always-ready instances (${share})`,
            priceId: "functions-flex-ar-gbs",
            quantity: onReady,
          },
        ]
      : []),
    ...(gbs > onReady
      ? [{ meter: `Execution time on demand (${share})`, priceId: "functions-flex-gbs", quantity: gbs - onReady }]
      : []),
    {
      meter: `Executions (${r2(millions)} million a month: share of usage.functionMillionExecutionsPerMonth)`,
      priceId: "functions-flex-executions",
      quantity: millions,
    },
  );
};

const VM_ROWS = ["Standard_D2s_v3", "Standard_D4s_v3", "Standard_DS1_v2", "Standard_DS2_v2", "Standard_DS3_v2"];
/** The price row of a VM size, matched without case (the ML cluster sends sizes upper-cased, as Azure returns them). */
const vmRow = (size?: string) => {
  const row = VM_ROWS.find((r) => r.toLowerCase() === size?.toLowerCase());
  return row ? `vm-${row}` : undefined;
};
export const mlCompute: Rule = (r, ctx) => {
  const type = str(r.inputs, "properties.computeType");
  const size = str(r.inputs, "properties.properties.vmSize");
  const row = vmRow(size);
  if (type !== "AmlCompute" && type !== "ComputeInstance")
    return free(`${type ?? "attached"} compute: billed on the attached resource`);
  if (!row) return notEstimated(`no price row for VM size ${size ?? "?"} (priced: ${VM_ROWS.join(", ")})`);
  if (type === "ComputeInstance") return priced({ meter: `Compute instance ${size}`, priceId: row, quantity: H });
  const min = num(r.inputs, "properties.properties.scaleSettings.minNodeCount") ?? 0;
  return priced({
    meter: `Cluster ${size}: ${min} min nodes + ${ctx.usage.mlClusterNodeHoursPerMonth} node-hours`,
    priceId: row,
    quantity: min * H + ctx.usage.mlClusterNodeHoursPerMonth,
  });
};

export const mlOnlineDeployment: Rule = (r) => {
  const size = str(r.inputs, "properties.instanceType");
  const row = vmRow(size);
  if (!row) return notEstimated(`no price row for instance type ${size ?? "?"} (priced: ${VM_ROWS.join(", ")})`);
  const n = num(r.inputs, "properties.scaleSettings.minInstances") ?? num(r.inputs, "sku.capacity") ?? 1;
  return priced({ meter: `Managed online deployment ${size} × ${n}`, priceId: row, quantity: n * H });
};

/**
 * A managed online endpoint costs what its deployment's instances cost, around the clock. The fraud endpoint's
 * deployments are released by the ML pipeline at the size the stack states (`ml.endpoint`, exported with the
 * endpoint's name): priced from that output, so an endpoint is never a silent zero.
 */
export const mlOnlineEndpoint: Rule = (r, ctx) => {
  const name = str(r.inputs, "endpointName");
  if (ctx.ofType(`${AN}:machinelearningservices:OnlineDeployment`).some((d) => str(d.inputs, "endpointName") === name))
    return free("priced on its deployments, which the stack declares");
  const d = scoringDeploymentOf(r, ctx.resources);
  if (!d)
    return notEstimated(
      "its deployments are released outside the stack and no stack output states their size (endpointName + deployment {instanceType, instanceCount})",
    );
  const row = vmRow(d.instanceType);
  if (!row) return notEstimated(`no price row for instance type ${d.instanceType} (priced: ${VM_ROWS.join(", ")})`);
  return priced({
    meter: `Managed online deployment ${d.instanceType} × ${d.instanceCount} (the stack's size; released by the ML pipeline)`,
    priceId: row,
    quantity: d.instanceCount * H,
  });
};

/**
 * An Azure ML workspace has no charge of its own, unless it encrypts with a customer-managed key without service-side
 * encryption: then Azure ML keeps its metadata in a Cosmos DB account, an AI Search service and a storage account it
 * creates in a Microsoft-managed resource group of the subscription, billed to it ("costs for your subscription will
 * be higher", machine-learning/concept-customer-managed-keys). Microsoft publishes no size for them, so they are
 * listed as not estimated, never a silent zero.
 */
export const mlWorkspace: Rule = (r) => {
  if (str(r.inputs, "encryption.status") === "Enabled" && r.inputs.enableServiceSideCMKEncryption !== true)
    return notEstimated(
      "its customer-managed key without service-side encryption makes Azure ML create a Cosmos DB account, an AI Search service and a storage account in a Microsoft-managed resource group, billed to the subscription; Microsoft publishes no size for them (read their cost in Cost Management after the first deploy)",
    );
  return free("the workspace has no charge of its own; compute and endpoints are priced");
};

export const containerRegistry: Rule = (r, ctx) => {
  const sku = str(r.inputs, "sku.name") ?? "";
  const included = { Basic: 10, Premium: 500 }[sku];
  if (included === undefined) return notEstimated(`Container Registry ${sku} has no price row (Basic, Premium)`);
  const lines: LineSpec[] = [
    { meter: `${sku} registry`, priceId: `acr-${sku.toLowerCase()}`, quantity: DAYS_PER_MONTH },
  ];
  const over = ctx.usage.containerRegistryGb - included;
  if (over > 0) lines.push({ meter: `Storage over ${included} GB`, priceId: "acr-storage", quantity: over });
  return priced(...lines);
};

export const acrReplication: Rule = () =>
  priced({ meter: "Geo-replica (Premium)", priceId: "acr-premium", quantity: DAYS_PER_MONTH });

// ---- Data Factory integration runtime (managed virtual network) ------------------------------------------------------

/**
 * A managed-VNet Azure IR keeps its compute warm for the time-to-live after the last activity of each ETL window, and
 * bills it: copy compute at its DIUs, pipeline/external compute at the managed-VNet hourly rate (wave-2 facts §2.1,
 * §7; learn.microsoft.com/azure/data-factory/managed-virtual-network-private-endpoint, "time to live").
 */
export const integrationRuntime: Rule = (r, ctx) => {
  const p = at(r.inputs, "properties");
  if (str(p, "type") !== "Managed")
    return free("self-hosted IR: no ADF charge of its own (its activities are priced on the factory)");
  if (at(p, "managedVirtualNetwork") === undefined)
    return free("Azure IR without a managed virtual network: its activity hours are priced on the factory");
  const windows = ctx.usage.etlWindowsPerDay * DAYS_PER_MONTH;
  const lines: LineSpec[] = [];
  const copyTtl = num(p, "computeProperties.copyComputeScaleProperties.timeToLive") ?? 0;
  const dius = num(p, "computeProperties.copyComputeScaleProperties.dataIntegrationUnit") ?? 4;
  if (copyTtl > 0)
    lines.push({
      meter: `Copy compute TTL ${copyTtl} min × ${dius} DIU after each ETL window`,
      priceId: "adf-diu",
      quantity: (copyTtl / 60) * dius * windows,
    });
  const pipeTtl = num(p, "computeProperties.pipelineExternalComputeScaleProperties.timeToLive") ?? 0;
  if (pipeTtl > 0)
    lines.push({
      meter: `Pipeline/external compute TTL ${pipeTtl} min after each ETL window`,
      priceId: "adf-managed-vnet-activity",
      quantity: (pipeTtl / 60) * windows,
    });
  return lines.length > 0
    ? priced(...lines)
    : free("managed-VNet IR without time-to-live: activity hours are priced on the factory");
};

/** `resources.Resource` (the workaround for types azure-native lacks): priced by what it declares. */
export const genericResource: Rule = (r, ctx) => {
  const ns = (str(r.inputs, "resourceProviderNamespace") ?? "").toLowerCase();
  const type = (str(r.inputs, "resourceType") ?? "").toLowerCase();
  if (ns === "microsoft.datafactory" && type === "managedvirtualnetworks")
    return free(
      "the factory's managed virtual network has no charge of its own (managed-VNet activity hours are priced)",
    );
  if (ns === "microsoft.streamanalytics" && type === "streamingjobs") return asaJobFrom(r.inputs.properties, ctx);
  if (ns === "microsoft.streamanalytics" && (type === "inputs" || type === "outputs" || type === "functions"))
    return free("billed on the job's streaming units");
  return notEstimated(`generic resource ${ns}/${type} has no pricing rule`);
};
