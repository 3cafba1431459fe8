/**
 * Network flow logs: every virtual network has a Network Watcher flow log, the record of which host reached which
 * endpoint on which port, allowed or denied by which rule (PCI DSS 10.2.1: audit logs capture the activity of the
 * CDE's system components; 10.5.1: a year of history, three months at hand; 11.5.1: intrusion detection on the CDE's
 * traffic, which traffic analytics feeds into the workspace). Virtual network flow logs, since NSG flow logs can no
 * longer be created (learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview: none new after 2025-06-30,
 * retired 2027-09-30).
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import { ofType, pointsAt, stackPolicy } from "../lib/policy";
import { inStacks, prodStacksKnob } from "../lib/scope";
import { presence, requireKnown, show, valueAt, who } from "../lib/values";

const VNET = "azure-native:network:VirtualNetwork";
const FLOW_LOG = "azure-native:network:FlowLog";
const TRAFFIC_ANALYTICS = ["flowAnalyticsConfiguration", "networkWatcherFlowAnalyticsConfiguration"];

/** What the rule asks of a flow log: its retention, and whether traffic analytics and a filter are required or allowed. */
export interface FlowLogDemands {
  readonly minDays: number;
  readonly requireTrafficAnalytics: boolean;
  readonly allowFiltering: boolean;
}

/** Why a flow log does not do what the rule asks (empty: it does). Throws while a value it reads is unknown. */
export function flowLogProblems(f: PolicyResource, d: FlowLogDemands): string[] {
  const { minDays, requireTrafficAnalytics } = d;
  const problems: string[] = [];
  requireKnown(f.props, "enabled");
  const enabled = valueAt(f.props, "enabled");
  if (enabled !== true) problems.push(`is not enabled (enabled ${show(enabled)}: set it to true)`);
  // A filter keeps only the flows it names ("If not specified, all network traffic will be logged": FlowLogArgs). In
  // a first preview a filter the program does not set reads as unknown (a computed output): only a known one decides
  // there, and the deployed view decides the rest (the "once deployed" verdict).
  if (!d.allowFiltering) {
    const filter = valueAt(f.props, "enabledFilteringCriteria");
    if (typeof filter === "string" && filter.trim() !== "")
      problems.push(`records only the flows its filter keeps (enabledFilteringCriteria ${show(filter)}: remove it)`);
  }
  requireKnown(f.props, "retentionPolicy", "enabled");
  requireKnown(f.props, "retentionPolicy", "days");
  // Without a retention policy, or with 0 days, Network Watcher keeps the logs for ever ("If a retention policy isn't
  // set, the logs are maintained forever", vnet-flow-logs-overview): at least the minimum.
  const days = valueAt(f.props, "retentionPolicy", "days");
  if (valueAt(f.props, "retentionPolicy", "enabled") === true && typeof days === "number" && days > 0 && days < minDays)
    problems.push(`keeps its records ${days} days (retentionPolicy.days): keep them at least ${minDays}`);
  if (requireTrafficAnalytics) {
    requireKnown(f.props, ...TRAFFIC_ANALYTICS, "enabled");
    if (valueAt(f.props, ...TRAFFIC_ANALYTICS, "enabled") !== true)
      problems.push(
        "sends nothing to traffic analytics (flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration.enabled: set it to true with the workspace)",
      );
    else if (presence(f.props, ...TRAFFIC_ANALYTICS, "workspaceResourceId") === "absent")
      problems.push(
        "names no workspace for traffic analytics (flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration.workspaceResourceId)",
      );
  }
  return problems;
}

/** Whether a flow log's target is a subnet of the VNet (both ids known). */
function targetsSubnetOf(f: PolicyResource, vnet: PolicyResource): boolean {
  const target = valueAt(f.props, "targetResourceId");
  const id = valueAt(vnet.props, "id");
  return (
    typeof target === "string" &&
    typeof id === "string" &&
    id !== "" &&
    target.toLowerCase().startsWith(`${id.toLowerCase().replace(/\/+$/, "")}/subnets/`)
  );
}

export const vnetFlowLog = stackPolicy(
  {
    name: "azure-native-network-virtualnetwork-require-flow-log",
    description:
      "Every virtual network has an enabled Network Watcher flow log that keeps its records at least 90 days (365 in production stacks, or without a retention limit) and sends them to traffic analytics in a workspace: the record of every flow in and out of the network.",
    severity: "high",
    pci: ["10.2.1", "10.5.1", "11.5.1"],
    gdpr: ["32(1)(d)", "33"],
    soc2: ["CC7.2"],
    service: "network",
    remediationSteps:
      "Add a `network.FlowLog` on the Network Watcher of the VNet's region with `targetResourceId: <vnet>.id`, `enabled: true`, a `storageId`, `retentionPolicy: { enabled: true, days: <at least minRetentionDays, prodMinRetentionDays in prod stacks> }` and `flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration: { enabled: true, workspaceResourceId }` (components/platform/flowLogs.ts); `requireTrafficAnalytics: false` accepts a flow log to storage only.",
    url: "https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview",
    config: {
      minRetentionDays: {
        type: "integer",
        minimum: 1,
        maximum: 365,
        default: 90,
        description: "Minimum days a flow log keeps its records (PCI DSS 10.5.1: three months immediately available).",
      },
      prodStacks: prodStacksKnob("Stacks that hold the cardholder data environment."),
      prodMinRetentionDays: {
        type: "integer",
        minimum: 1,
        maximum: 365,
        default: 365,
        description:
          "Minimum days in prodStacks (PCI DSS 10.5.1: twelve months of history; Network Watcher's maximum).",
      },
      requireTrafficAnalytics: {
        type: "boolean",
        default: true,
        description: "The flow log must also send its records to traffic analytics in a Log Analytics workspace.",
      },
      allowFiltering: {
        type: "boolean",
        default: false,
        description: "Accept a flow log that records only the flows its `enabledFilteringCriteria` keeps.",
      },
    },
  },
  (args, report) => {
    const cfg = args.getConfig<{
      minRetentionDays: number;
      prodStacks: string[];
      prodMinRetentionDays: number;
      requireTrafficAnalytics: boolean;
      allowFiltering: boolean;
    }>();
    const vnets = ofType(args.resources, VNET);
    if (vnets.length === 0) args.notApplicable("the stack declares no virtual network");
    const flowLogs = ofType(args.resources, FLOW_LOG);
    for (const vnet of vnets) {
      const prod = inStacks(vnet.urn, cfg.prodStacks);
      const min = prod ? Math.max(cfg.minRetentionDays, cfg.prodMinRetentionDays) : cfg.minRetentionDays;
      const demands: FlowLogDemands = {
        minDays: min,
        requireTrafficAnalytics: cfg.requireTrafficAnalytics,
        allowFiltering: cfg.allowFiltering,
      };
      // A flow log on one of its subnets takes precedence there ("NIC > subnet > virtual network",
      // vnet-flow-logs-manage): it must do everything too (known once the VNet's id is, in the deployed view).
      for (const f of flowLogs.filter((x) => targetsSubnetOf(x, vnet))) {
        const problems = flowLogProblems(f, demands);
        if (problems.length > 0)
          report(
            `${who(f)}, the flow log of a subnet of ${vnet.name} (${show(valueAt(f.props, "targetResourceId"))}), which overrides the VNet's there, ${problems.join("; ")}.`,
            f.urn,
          );
      }
      const own = flowLogs.filter((f) => pointsAt(f, vnet, "targetResourceId"));
      if (own.length === 0) {
        report(
          `${who(vnet)} has no flow log: nothing records which host of it reached which endpoint. Add a network.FlowLog with targetResourceId set to its id.`,
          vnet.urn,
        );
        continue;
      }
      // One flow log that does everything covers the network; otherwise each says what it lacks.
      const problems = own.map((f) => flowLogProblems(f, demands));
      if (problems.some((p) => p.length === 0)) continue;
      own.forEach((f, i) => report(`${who(f)}, the flow log of ${vnet.name}, ${problems[i].join("; ")}.`, f.urn));
    }
  },
);

export const flowLogPolicies: Policies = [vnetFlowLog];
