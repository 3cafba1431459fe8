/**
 * VNet flow logs (components/platform/flowLogs.ts): the GB Network Watcher collects (5 GB a month free per
 * subscription), traffic analytics' processing of the same GB, what traffic analytics then ingests into the workspace,
 * and the account that keeps the logs for their retention. The volume is the stack's assumption
 * (`usage.flowLogGbPerDay`): Microsoft publishes no bytes-per-flow figure (docs/cost.md, "VNet flow logs").
 */
import type { ResourceRecord } from "../../policyRunner";
import { DAYS_PER_MONTH } from "../prices";
import {
  armIdOf,
  at,
  free,
  notEstimated,
  num,
  pricedInPart,
  str,
  type LineSpec,
  type Rule,
  type RuleContext,
} from "../model";
import { AN } from "./common";
import { STORAGE_REDUNDANCY } from "./data";
import { workspaceRecordLines } from "./monitoring";

/** "come with a free tier of 5 GB/month per subscription" (vnet-flow-logs-overview, Pricing). */
export const FREE_FLOW_LOG_GB_PER_MONTH = 5;
/**
 * What traffic analytics ingests into the workspace, as a share of the GB it processes: Microsoft's only example
 * prices 10 GB processed with 1 GB of Log Analytics ingestion ("10 x 2.3$ + 1 x 2.76$ = 25.76$", network-watcher
 * traffic-analytics-faq, "How is traffic analytics priced?"). An assumption from one example, not a ratio Microsoft
 * states.
 */
export const TRAFFIC_ANALYTICS_INGESTED_SHARE = 0.1;

const TA = "flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration";

/** The stack resource an input of `r` names: by ARM id (deployed view), else by the URN the input depends on. */
function referenced(r: ResourceRecord, input: string, type: string, ctx: RuleContext): ResourceRecord | undefined {
  const id = str(r.inputs, input === "flowAnalyticsConfiguration" ? `${TA}.workspaceResourceId` : input)?.toLowerCase();
  const urns = r.propertyDependencies[input] ?? [];
  return ctx.ofType(type).find((x) => (id !== undefined && armIdOf(x)?.toLowerCase() === id) || urns.includes(x.urn));
}

/** The accounts the stack's flow logs write to (their capacity is priced on the flow log). */
export function flowLogAccounts(ctx: RuleContext): Set<string> {
  return new Set(
    ctx
      .ofType(`${AN}:network:FlowLog`)
      .map((f) => referenced(f, "storageId", `${AN}:storage:StorageAccount`, ctx)?.urn)
      .filter((u): u is string => u !== undefined),
  );
}

export const flowLog: Rule = (r, ctx) => {
  if (r.inputs.enabled === false) return free("flow logging disabled");
  const gbDay = ctx.usage.flowLogGbPerDay;
  const gbMonth = gbDay * DAYS_PER_MONTH;
  const what = `${gbDay} GB/day (usage.flowLogGbPerDay)`;
  const unpriced: string[] = [];
  const lines: LineSpec[] = [
    {
      meter: `Flow logs collected: ${what}, less ${FREE_FLOW_LOG_GB_PER_MONTH} GB/month free`,
      priceId: "network-flow-logs",
      quantity: Math.max(0, gbMonth - FREE_FLOW_LOG_GB_PER_MONTH),
      note: `the free ${FREE_FLOW_LOG_GB_PER_MONTH} GB are per subscription: shared with any other flow log there`,
    },
  ];
  if (at(r.inputs, `${TA}.enabled`) === true) {
    const interval = num(r.inputs, `${TA}.trafficAnalyticsInterval`) ?? 60;
    if (interval !== 10 && interval !== 60)
      return notEstimated(`traffic analytics every ${interval} minutes has no price row`);
    lines.push({
      meter: `Traffic analytics processing every ${interval} minutes: ${what}`,
      priceId: `traffic-analytics-${interval}`,
      quantity: gbMonth,
    });
    const ws = referenced(r, "flowAnalyticsConfiguration", `${AN}:operationalinsights:Workspace`, ctx);
    if (!ws) return notEstimated("traffic analytics writes to a workspace that is not this stack's");
    const into = `traffic analytics' NTANetAnalytics (${TRAFFIC_ANALYTICS_INGESTED_SHARE * 100} % of the GB processed)`;
    const note = "the share ingested is Microsoft's one example (traffic-analytics-faq), not a published ratio";
    const records = workspaceRecordLines(ws, ctx, gbMonth * TRAFFIC_ANALYTICS_INGESTED_SHARE, into, note);
    lines.push(...records.lines);
    unpriced.push(...records.unpriced);
  }
  const account = referenced(r, "storageId", `${AN}:storage:StorageAccount`, ctx);
  if (!account) return notEstimated("its storage account is not an account of this stack");
  const sku = str(account.inputs, "sku.name") ?? "Standard_LRS";
  const [perf, red] = sku.split("_");
  const redundancy = STORAGE_REDUNDANCY[red ?? ""];
  const tier = (str(account.inputs, "accessTier") ?? "Hot").toLowerCase();
  if (perf !== "Standard" || !redundancy || !["hot", "cool"].includes(tier))
    return notEstimated(`the flow log account's SKU ${sku} and tier ${tier} have no price row (Standard hot or cool)`);
  const retentionDays =
    at(r.inputs, "retentionPolicy.enabled") === true ? (num(r.inputs, "retentionPolicy.days") ?? 0) : 0;
  if (retentionDays <= 0) return notEstimated("no retention (0 keeps the logs for ever): no steady state to price");
  // Deleted blobs stay, and are billed, for the blob service's soft delete.
  const softDelete = ctx
    .ofType(`${AN}:storage:BlobServiceProperties`)
    .filter(
      (b) =>
        b.propertyDependencies.accountName?.includes(account.urn) ||
        str(b.inputs, "accountName") === str(account.inputs, "accountName"),
    )
    .map((b) =>
      at(b.inputs, "deleteRetentionPolicy.enabled") === true ? (num(b.inputs, "deleteRetentionPolicy.days") ?? 0) : 0,
    )
    .reduce((a, b) => Math.max(a, b), 0);
  const storedGb = gbDay * (retentionDays + softDelete);
  lines.push({
    meter: `Flow log blobs ${Math.round(storedGb)} GB (${tier}, ${redundancy}: ${retentionDays} days of ${gbDay} GB${softDelete ? ` + ${softDelete} days soft-deleted` : ""})`,
    priceId: `storage-${tier}-${redundancy}`,
    quantity: storedGb,
    note: "steady state: each day's logs kept for the retention; write operations are not priced",
  });
  return pricedInPart(lines, unpriced);
};
