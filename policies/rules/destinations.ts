/**
 * Where data and logs go: the ids a resource sends its data or records to (a Synapse workspace's default lake, a Data
 * Factory or ML managed private endpoint's target, Event Hubs capture storage, a diagnostic setting's destinations,
 * a SQL failover group's partner server, a flow log's account and traffic analytics workspace, a Log Analytics data
 * export's target, an Event Grid subscription's delivery and dead-letter destinations) name the stack's own resources,
 * or ones listed with a reason. A destination
 * in another subscription is outside every rule of the pack: its region, network, keys and retention are unchecked,
 * and a copy of cardholder or personal data (or the audit trail) goes there. PCI DSS 1.3.2, 1.4.4 (outbound CDE
 * traffic restricted), 10.3.2; GDPR Art. 32(1)(b) and 44 (transfers). The inbound counterpart is networkRules.ts;
 * destinations named by host or name (linked services, Stream Analytics outputs) are destinationHosts.ts's.
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import { idAllowListKnob, listedId, normalId, type Exemption } from "../lib/exemptions";
import { ofType, stackPolicy } from "../lib/policy";
import { presence, requireId, requireKnown, show, valueAt, who } from "../lib/values";
import { stackIds, unknownIdOf } from "./networkRules";

/**
 * Each type's destination ids, as paths in the 3.28 SDK's inputs; `*` stands for every key of a map or index of a
 * list.
 */
export const DESTINATIONS: readonly { type: string; path: readonly string[] }[] = [
  { type: "azure-native:synapse:Workspace", path: ["defaultDataLakeStorage", "resourceId"] },
  { type: "azure-native:datafactory:ManagedPrivateEndpoint", path: ["properties", "privateLinkResourceId"] },
  {
    type: "azure-native:machinelearningservices:Workspace",
    path: ["managedNetwork", "outboundRules", "*", "destination", "serviceResourceId"],
  },
  { type: "azure-native:eventhub:EventHub", path: ["captureDescription", "destination", "storageAccountResourceId"] },
  { type: "azure-native:monitor:DiagnosticSetting", path: ["workspaceId"] },
  { type: "azure-native:monitor:DiagnosticSetting", path: ["storageAccountId"] },
  { type: "azure-native:monitor:DiagnosticSetting", path: ["eventHubAuthorizationRuleId"] },
  { type: "azure-native:monitor:DiagnosticSetting", path: ["marketplacePartnerId"] },
  { type: "azure-native:monitor:SubscriptionDiagnosticSetting", path: ["workspaceId"] },
  { type: "azure-native:monitor:SubscriptionDiagnosticSetting", path: ["storageAccountId"] },
  { type: "azure-native:monitor:SubscriptionDiagnosticSetting", path: ["eventHubAuthorizationRuleId"] },
  { type: "azure-native:sql:FailoverGroup", path: ["partnerServers", "*", "id"] },
  { type: "azure-native:network:FlowLog", path: ["storageId"] },
  {
    type: "azure-native:network:FlowLog",
    path: ["flowAnalyticsConfiguration", "networkWatcherFlowAnalyticsConfiguration", "workspaceResourceId"],
  },
  // A workspace's continuous export of its tables (the audit trail) to a storage account or an event hub.
  { type: "azure-native:operationalinsights:DataExport", path: ["resourceId"] },
  // Event Grid deliveries and dead letters (an event's payload: a key vault's, a storage account's events).
  ...["azure-native:eventgrid:SystemTopicEventSubscription", "azure-native:eventgrid:EventSubscription"].flatMap(
    (type) => [
      { type, path: ["destination", "resourceId"] },
      { type, path: ["deadLetterDestination", "resourceId"] },
      { type, path: ["deliveryWithResourceIdentity", "destination", "resourceId"] },
      { type, path: ["deadLetterWithResourceIdentity", "deadLetterDestination", "resourceId"] },
    ],
  ),
];

/** One destination id of a resource, with its property path (`partnerServers[0].id`). */
interface Destination {
  readonly owner: PolicyResource;
  readonly path: string;
  /** The id, or undefined while unknown but recorded as another resource's output (the stack's: see unknownAt). */
  readonly id?: string;
}

/**
 * A value unknown during preview is another resource's output: the stack's resource the engine recorded the property
 * as depending on (a diagnostic setting's `workspaceId: workspace.id`), as the pack's other rules read a recorded
 * dependency while ids are unknown; undecided when nothing was recorded.
 */
function unknownAt(
  owner: PolicyResource,
  node: unknown,
  key: string,
  top: string,
  shown: string,
  out: Destination[],
): void {
  if ((owner.propertyDependencies[top] ?? []).length === 0) requireKnown(node, key);
  out.push({ owner, path: shown });
}

/** The values at `path` (with `*` expanded); a value unknown during preview goes to `unknownAt`. */
function collect(
  owner: PolicyResource,
  node: unknown,
  path: readonly string[],
  shown: string,
  out: Destination[],
  top: string = path[0],
): void {
  if (path.length === 0) {
    if (typeof node === "string" && node !== "") out.push({ owner, path: shown, id: node });
    return;
  }
  const [head, ...rest] = path;
  if (head === "*") {
    if (node === null || typeof node !== "object") return;
    // By key or index: reading the elements themselves would trip the engine's unknown-checking proxy.
    const keys = Array.isArray(node) ? node.map((_, i) => String(i)) : Object.keys(node);
    for (const k of keys) {
      const at = Array.isArray(node) ? `${shown}[${k}]` : `${shown}.${k}`;
      if (presence(node, k) === "unknown") unknownAt(owner, node, k, top, at, out);
      else collect(owner, valueAt(node, k), rest, at, out, top);
    }
    return;
  }
  const at = shown === "" ? head : `${shown}.${head}`;
  if (presence(node, head) === "unknown") unknownAt(owner, node, head, top, at, out);
  else collect(owner, valueAt(node, head), rest, at, out, top);
}

export function destinationsOf(resources: readonly PolicyResource[]): Destination[] {
  const out: Destination[] = [];
  for (const { type, path } of DESTINATIONS)
    for (const owner of ofType(resources, type)) collect(owner, owner.props, path, "", out);
  return out;
}

/** Whether `id` is a resource of the stack or below one (an Event Hubs namespace's authorization rule). */
function inStack(ids: ReadonlySet<string>, id: string): boolean {
  const wanted = normalId(id);
  if (ids.has(wanted)) return true;
  for (const known of ids) if (wanted.startsWith(`${known}/`)) return true;
  return false;
}

export const foreignDestinations = stackPolicy(
  {
    name: "azure-native-general-stack-disallow-foreign-data-destinations",
    description:
      "The resources data and records are sent to (a Synapse workspace's default lake, a Data Factory or Azure ML managed private endpoint's target, Event Hubs capture storage, a diagnostic setting's workspace, storage account, event hub or partner, a SQL failover group's partner server, a flow log's account and traffic analytics workspace, a Log Analytics data export's target, an Event Grid subscription's delivery and dead-letter destinations) are the stack's own, or listed with a reason: a destination in another subscription is outside every rule of the pack, and a copy of the data or the audit trail goes there.",
    severity: "high",
    pci: ["1.3.2", "1.4.4", "10.3.2"],
    gdpr: ["32(1)(b)", "44"],
    soc2: ["CC6.7"],
    service: "general",
    remediationSteps:
      "Point the destination at the stack's own resource (`<resource>.id`); a destination of another subscription that must receive the data (e.g. the security team's central workspace) goes in `allowedDestinations` (ARM id pattern and the reason) in policies/config/<stack>.json, in a reviewed change.",
    url: "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings#destinations",
    config: {
      allowedDestinations: idAllowListKnob(
        "Destinations outside the stack a resource may send data or records to, by ARM id pattern (`*` wildcard, case-insensitive), each with a reason (none by default).",
      ),
    },
  },
  (args, report) => {
    const { allowedDestinations } = args.getConfig<{ allowedDestinations: Exemption[] }>();
    const destinations = destinationsOf(args.resources);
    if (destinations.length === 0) args.notApplicable("no resource of the stack names a destination for its data");
    const ids = stackIds(args.resources);
    for (const d of destinations) {
      if (d.id === undefined || inStack(ids, d.id) || listedId(allowedDestinations, d.id) !== undefined) continue;
      // A resource of the stack created by this update has no id yet: it may be the one named.
      const pending = unknownIdOf(args.resources, "resource");
      if (pending !== undefined) requireId(pending.props);
      report(
        `${who(d.owner)} sends its data to ${show(d.id)} (${d.path}), which is not one of the stack's resources: point it at the stack's own, or list it in allowedDestinations with the reason.`,
        d.owner.urn,
      );
    }
  },
);

export const destinationPolicies: Policies = [foreignDestinations];
