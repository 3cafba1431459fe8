/** Scenarios of the cost document: the decisions reverted and the levers applied, each estimated on the stack. */
import type { ResourceRecord } from "../policyRunner";
import { CONTAINERS, containerResource } from "../../../components/nosql";
import { ruPerTransaction } from "../cost/capacity";
import { estimate, type Estimate } from "../cost/estimate";
import { alwaysReadyInstances, isSqlTriggerSettings, sqlTriggerInstances } from "../cost/model";
import { SEED_COSMOS_MAX_RU, type UsageConfig } from "../../../lib/usage";
import { SEED, StackCost, planned } from "./seed";
import { sdkTypeOf } from "../sdkType";
import { tableRetentionTemplate } from "../../../components/operations/retention";

export type Edit = (r: ResourceRecord) => ResourceRecord | undefined;
export function scenario(
  s: StackCost,
  usage: Partial<UsageConfig> = {},
  ...edits: (Edit | ResourceRecord[])[]
): Estimate {
  let resources = [...s.resources];
  for (const edit of edits)
    resources = Array.isArray(edit)
      ? [...resources, ...edit]
      : resources.map(edit).filter((r): r is ResourceRecord => r !== undefined);
  return estimate(resources, { stack: "prod", usage: { ...s.usage, ...usage } });
}
export const setInputs =
  (type: string, f: (inputs: Record<string, unknown>) => Record<string, unknown>): Edit =>
  (r) =>
    r.type.endsWith(type) ? { ...r, inputs: f(r.inputs) } : r;
/** Reverting a decision: the DDoS Network Protection plan instead of IP Protection on each public IP. */
export const ddosPlan = [planned("network:DdosProtectionPlan", "platform-ddos (plan)", {})];
export const inheritDdos: Edit = (r) =>
  r.type.endsWith("network:PublicIPAddress")
    ? { ...r, inputs: { ...r.inputs, ddosSettings: { protectionMode: "VirtualNetworkInherited" } } }
    : r.type.endsWith("network:VirtualNetwork")
      ? {
          ...r,
          inputs: { ...r.inputs, enableDdosProtection: true, ddosProtectionPlan: { id: "platform-ddos (plan)" } },
        }
      : r;
export const twoCosmosRegions = setInputs("cosmosdb:DatabaseAccount", (i) => ({
  ...i,
  locations: [
    ...(i.locations as unknown[]),
    { locationName: "northeurope", failoverPriority: 1, isZoneRedundant: true },
  ],
}));
export const lakeSku = (sku: string) =>
  setInputs("storage:StorageAccount", (i) => (i.isHnsEnabled === true ? { ...i, sku: { name: sku } } : i));
/** The failover group's geo-secondary database at another vCore count (createMode Secondary). */
export const secondaryVcores = (vcores: number) =>
  setInputs("sql:Database", (i) =>
    i.createMode === "Secondary" ? { ...i, sku: { ...(i.sku as object), capacity: vcores } } : i,
  );
/** The workspace on a Log Analytics commitment tier (config logAnalyticsCommitmentGbPerDay). */
export const workspaceTier = (level: number) =>
  setInputs("operationalinsights:Workspace", (i) => ({
    ...i,
    sku: { name: "CapacityReservation", capacityReservationLevel: level },
  }));
/** The workspace at pay-as-you-go (config logAnalyticsCommitmentGbPerDay: 0). */
export const workspacePayAsYouGo = setInputs("operationalinsights:Workspace", (i) => ({
  ...i,
  sku: { name: "PerGB2018" },
}));
/**
 * The listed tables of the stack's workspace keeping `interactiveDays` queryable and the rest of the workspace's
 * retention in long-term retention (config logLongTermRetention: components/operations/retention.ts's resources).
 */
export function longTermRetention(
  resources: readonly ResourceRecord[],
  interactiveDays: number,
  tables: readonly string[],
): ResourceRecord[] {
  const ws = resources.find((r) => sdkTypeOf(r) === "azure-native:operationalinsights:Workspace");
  if (!ws) return [];
  return [
    planned("resources:Deployment", "operations-table-retention", {
      resourceGroupName: ws.inputs.resourceGroupName,
      properties: {
        mode: "Incremental",
        template: tableRetentionTemplate(tables, interactiveDays, Number(ws.inputs.retentionInDays)),
        parameters: { workspaceName: { value: ws.inputs.workspaceName } },
      },
    }),
  ];
}
export const poolSku = (sku: string) =>
  setInputs("synapse:SqlPool", (i) => ({ ...i, sku: { ...(i.sku as object), name: sku } }));
export const firewallTier = (tier: string) =>
  setInputs("network:AzureFirewall", (i) => ({ ...i, sku: { ...(i.sku as object), tier } }));
export const asaStandardJob: Edit = (r) =>
  r.type.endsWith("streamanalytics:Cluster")
    ? undefined
    : r.type.endsWith("streamanalytics:StreamingJob")
      ? { ...r, inputs: { ...r.inputs, cluster: undefined } }
      : r;
/** The streaming tier's first shape: the job on a 36-SU cluster (its managed private endpoints reached Synapse). */
export const onCluster = setInputs("streamanalytics:StreamingJob", (i) => ({ ...i, cluster: { id: "cluster" } }));
export const asaCluster = [
  planned("streamanalytics:Cluster", "streaming-cluster", { sku: { name: "Default", capacity: 36 } }),
];
/**
 * Reverting a decision: the scorer read-modify-writes the merchant's item with every batch again (two replaces per
 * payment instead of one), fraud_features' maximum scaled by the RU ratio at the same headroom.
 */
export const merchantOnPath =
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
/**
 * What the estimate of the stacks leaves out, each resource once with the stacks it is in (`ml-workspace` (prod and
 * dev): why), or that nothing is left out.
 */
export function notEstimatedText(stacks: Readonly<Record<string, StackCost>>): string {
  const items = new Map<string, { name: string; reason: string; stacks: string[] }>();
  for (const [stack, s] of Object.entries(stacks))
    for (const { name, reason } of s.estimate.notEstimated) {
      const key = JSON.stringify([name, reason]);
      const item = items.get(key) ?? { name, reason, stacks: [] };
      item.stacks.push(stack);
      items.set(key, item);
    }
  if (items.size === 0)
    return "nothing, in either stack: every resource is priced or has no charge of its own (it says why)";
  return [...items.values()].map((x) => `\`${x.name}\` (${x.stacks.join(" and ")}): ${x.reason}`).join("; ");
}
/** Always-ready instances of a stack, and those of its Azure SQL trigger app (the scorer). */
export function alwaysReadyOf(resources: readonly ResourceRecord[]): { all: number; scorer: number } {
  const apps = resources.filter((r) => sdkTypeOf(r) === "azure-native:web:WebApp");
  const scorerNames = new Set(
    resources
      .filter((r) => sdkTypeOf(r) === "azure-native:web:WebAppApplicationSettings" && isSqlTriggerSettings(r))
      .map((r) => String(r.inputs.name)),
  );
  const count = (xs: readonly ResourceRecord[]) => xs.reduce((n, a) => n + alwaysReadyInstances(a), 0);
  const scorers = apps.filter((a) => scorerNames.has(String(a.inputs.name)));
  return { all: count(apps), scorer: scorers.reduce((n, a) => n + sqlTriggerInstances(a), 0) };
}
/**
 * Usage that moves `gb` of the lake's hot volume to cool and leaves its cold volume as priced: the moved data is the
 * youngest of the cool tier, so the span the cool volume covers grows just enough to keep the cold share constant.
 */
export function hotToCool(s: StackCost, gb: number): Partial<UsageConfig> {
  const cold = s.estimate.lines.find((l) => l.priceId.startsWith("storage-cold-"));
  const age = Number(/cold after (\d+) days/.exec(cold?.meter ?? "")?.[1] ?? NaN);
  const cool = s.usage.lakeCoolGb + gb;
  if (!cold || Number.isNaN(age)) return { lakeHotGb: s.usage.lakeHotGb - gb, lakeCoolGb: cool };
  const spanDays = age / (1 - cold.quantity / cool);
  return { lakeHotGb: s.usage.lakeHotGb - gb, lakeCoolGb: cool, lakeCoolVolumeMonths: spanDays / (730 / 24) };
}
/** The scoring deployment's size as the stack's outputs state it (fraudScoring.deployment). */
export const scoringSize =
  (instanceType: string): Edit =>
  (r) => {
    if (r.type !== "pulumi:pulumi:Stack") return r;
    const outputs = r.outputs as Record<string, unknown>;
    const f = outputs.fraudScoring as { deployment?: Record<string, unknown> } | undefined;
    if (!f?.deployment) return r;
    return { ...r, outputs: { ...outputs, fraudScoring: { ...f, deployment: { ...f.deployment, instanceType } } } };
  };
export const evhUnits = (n: number) =>
  setInputs("eventhub:Namespace", (i) => ({ ...i, sku: { ...(i.sku as object), capacity: n } }));

/** webhook_events' indexing policy as the NoSQL tier declares it. */
export const WEBHOOK_POLICY = containerResource(CONTAINERS.webhookEvents, undefined).indexingPolicy;
/** webhook_events' load at the target with one delivery update (a replace) per event, RU/s. */
export function webhookWithDispatcher(s: StackCost): number {
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
export function cosmosMaxRu(s: StackCost): number {
  return s.capacity.filter((r) => r.unit === "RU/s").reduce((sum, r) => sum + r.capacity, 0);
}
export const SEED_COSMOS = SEED.find((r) => r.service === "Azure Cosmos DB") ?? SEED[0];
export const SEED_RU = Object.values(SEED_COSMOS_MAX_RU).reduce((a, b) => a + b, 0);
export const kRu = (ru: number) => `${Math.round(ru / 1000).toLocaleString("en-US")}K`;

/** The Azure SQL trigger apps (the fraud scorer) polling every `ms` milliseconds (Sql_Trigger_PollingIntervalMs). */
export const pollingInterval =
  (ms: number): Edit =>
  (r) =>
    sdkTypeOf(r) === "azure-native:web:WebAppApplicationSettings" && isSqlTriggerSettings(r)
      ? {
          ...r,
          inputs: {
            ...r.inputs,
            properties: { ...(r.inputs.properties as object), Sql_Trigger_PollingIntervalMs: String(ms) },
          },
        }
      : r;
