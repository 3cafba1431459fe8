/**
 * Private DNS of the private endpoints: where their records live. A private endpoint's zone group writes an A record
 * per FQDN into each zone it names, and every network resolving through that zone then reaches the endpoint there.
 * With the stack's own zones (config `privateDns.mode: stack`) the records stay in the stack; with the hub's zones
 * (`central`, the Azure Landing Zones pattern) they live in the connectivity subscription, which the security team
 * approves per stack (`allowedPrivateDnsZoneResourceGroups`, like the hub peering's `allowedRemoteVirtualNetworks`).
 * Then the stack keeps no `privatelink` zone of its own beside the hub's, and no Azure Monitor Private Link Scope
 * endpoint writes into the shared zones. PCI DSS 1.2.3 (the connections on the network diagram), 1.4.4 and 1.4.5
 * (internal addresses disclosed only to authorised parties); GDPR Art. 25 and 32.
 *
 * The zone group rules are stack rules: in a first preview a zone group's `privateDnsZoneId` is the unknown id of a
 * zone the stack creates in the same run, which only the property dependency the engine recorded tells apart from a
 * zone elsewhere (a resource rule could only answer "can't run during preview" for all 32 of them).
 */
import type { Policies, PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import type * as network from "@pulumi/azure-native/network";
import type * as privatedns from "@pulumi/azure-native/privatedns";
import { insidePrivateRanges } from "../lib/network";
import { ofType, refersTo, resourcePolicy, stackPolicy } from "../lib/policy";
import { defaultTypeToken } from "../lib/typeToken";
import {
  globMatch,
  presence,
  requireKnown,
  requireKnownElements,
  sameText,
  stringsAt,
  valueAt,
  who,
} from "../lib/values";

const ZONE = "azure-native:privatedns:PrivateZone";
const ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup";
const PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint";
const PRIVATE_LINK_SCOPE = "azure-native:monitor:PrivateLinkScope";
/** A private endpoint's connections: auto-approved, and those the target's owner approves by hand. */
const CONNECTIONS = ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"] as const;
/** The group id (sub-resource) of an Azure Monitor Private Link Scope's endpoint. */
export const AZURE_MONITOR_GROUP_ID = "azuremonitor";

const KNOB = "allowedPrivateDnsZoneResourceGroups";

const approvedGroupsKnob: PolicyConfigSchema["properties"] = {
  [KNOB]: {
    type: "array",
    items: { type: "string" },
    default: [],
    description:
      "ARM ids (globs, case-insensitive) of the resource groups whose private DNS zones this stack's private endpoints may register in, e.g. the hub's `/subscriptions/<connectivity>/resourceGroups/rg-hub-dns-westeurope` (config privateDns.zonesResourceGroupId); none by default: the endpoints register only in the stack's own zones.",
  },
};

interface KnobConfig {
  readonly allowedPrivateDnsZoneResourceGroups: string[];
}

/** The approved groups for messages: the list, or "none approved". */
const approvedList = (allowed: readonly string[]) => (allowed.length === 0 ? "none approved" : allowed.join(", "));

/**
 * The resource group id and zone name of a private DNS zone id (`<rg id>/providers/Microsoft.Network/privateDnsZones/
 * <zone>`, case-insensitive, a trailing slash ignored); undefined for anything else (a record set's id, a typo).
 */
export function privateDnsZoneIdParts(id: string): { resourceGroupId: string; zone: string } | undefined {
  const m =
    /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)\/providers\/Microsoft\.Network\/privateDnsZones\/([^/]+)\/*$/i.exec(
      id.trim(),
    );
  return m ? { resourceGroupId: m[1], zone: m[2] } : undefined;
}

/**
 * Whether `id` is a zone directly under one of the `allowed` resource groups (globs over the group's id, compared
 * case-insensitively: ALZ's own policy lower-cases the group name when it builds a zone id, Azure/Azure-Landing-Zones-
 * Library Deploy-Private-DNS-Zones, and ARM compares ids without case).
 */
export function inApprovedGroup(id: string, allowed: readonly string[]): boolean {
  const parts = privateDnsZoneIdParts(id);
  return parts !== undefined && allowed.some((p) => globMatch(p.trim().replace(/\/+$/, ""), parts.resourceGroupId));
}

/** Where one zone config of a zone group registers its records. */
export type ZoneTarget =
  /** A zone of this stack. */
  | { readonly kind: "stack" }
  /** A zone outside the stack, by its known id. */
  | { readonly kind: "outside"; readonly id: string }
  /**
   * Not decidable in a first preview: an id unknown with no zone of the stack behind it, or a known id while a zone
   * of the stack with the same name has no known id yet (`id` set then). `undecided` reads the unknown value through
   * the engine's proxy, which reports "can't run during preview" (never a pass on a value the rule did not see).
   */
  | { readonly kind: "unknown"; readonly id?: string; readonly undecided: () => void };

/** The id of a resource, lower-cased, when known. */
function knownId(r: PolicyResource): string | undefined {
  const id = valueAt(r.props, "id");
  return typeof id === "string" && id.length > 0 ? id.toLowerCase() : undefined;
}

/**
 * Where each of a zone group's `privateDnsZoneConfigs[].privateDnsZoneId` registers, against the stack's zones
 * (`zones`): a known id by the zones' known ids (case-insensitively), or by name while a zone's id is unknown; an
 * unknown id (a first preview) through the property dependency the engine recorded: the zones of the stack the configs
 * take their ids from, one zone per unknown id (a zone group's dependencies also hold the zones' network links, which
 * the program waits for).
 */
export function zoneTargets(group: PolicyResource, zones: readonly PolicyResource[]): ZoneTarget[] {
  if (presence(group.props, "privateDnsZoneConfigs") === "unknown") {
    return [{ kind: "unknown", undecided: () => requireKnown(group.props, "privateDnsZoneConfigs") }];
  }
  const configs = valueAt(group.props, "privateDnsZoneConfigs");
  if (!Array.isArray(configs)) return [];
  const zoneUrns = new Set(zones.map((z) => z.urn));
  const sources = new Set(
    (group.propertyDependencies["privateDnsZoneConfigs"] ?? [])
      .filter((d) => defaultTypeToken(d.type) === ZONE && zoneUrns.has(d.urn))
      .map((d) => d.urn),
  );
  let unmatchedSources = sources.size;
  const ids = new Set(zones.map(knownId).filter((id) => id !== undefined));
  const targets: ZoneTarget[] = [];
  for (let i = 0; i < configs.length; i++) {
    const at = String(i);
    const state = presence(configs, at, "privateDnsZoneId");
    if (state === "absent") continue; // no zone: nothing registered (Azure requires one)
    if (state === "unknown") {
      if (unmatchedSources > 0) {
        unmatchedSources--;
        targets.push({ kind: "stack" });
      } else {
        targets.push({ kind: "unknown", undecided: () => requireKnown(configs, at, "privateDnsZoneId") });
      }
      continue;
    }
    const id = String(valueAt(configs, at, "privateDnsZoneId"));
    if (ids.has(id.toLowerCase())) {
      targets.push({ kind: "stack" });
      continue;
    }
    // A literal id may still name a zone this run creates, whose id is not known before it exists: by its Azure name
    // (the `name` output, unknown in a first preview too: then undecided).
    const zoneName = privateDnsZoneIdParts(id)?.zone;
    let target: ZoneTarget = { kind: "outside", id };
    for (const z of zones.filter((z) => knownId(z) === undefined && zoneName !== undefined)) {
      const name = presence(z.props, "name");
      if (name === "unknown") target = { kind: "unknown", id, undecided: () => requireKnown(z.props, "name") };
      else if (sameText(valueAt(z.props, "name"), zoneName as string)) {
        target = { kind: "stack" };
        break;
      }
    }
    targets.push(target);
  }
  return targets;
}

// ---------------------------------------------------------------------------------------------------------------
// Zone groups register in the stack's zones or in approved ones
// ---------------------------------------------------------------------------------------------------------------

export const zoneGroupApprovedZones = stackPolicy(
  {
    name: "azure-native-network-privatednszonegroup-require-approved-zones",
    description:
      "Private endpoints register their DNS records only in the stack's own private DNS zones or in zones of a resource group the security team approved in the policy config (the hub's zones under Azure Landing Zones): the records name the private addresses of cardholder data environment endpoints, and whoever writes those zones decides where the endpoints' names lead.",
    severity: "high",
    pci: ["1.2.3", "1.4.4", "1.4.5"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "Point each `privateDnsZoneConfigs[].privateDnsZoneId` of the `network.PrivateDnsZoneGroup` at a `privatedns.PrivateZone` of the stack, or add the id of the resource group holding the zones (`/subscriptions/<id>/resourceGroups/<name>`, `*` wildcards allowed; config privateDns.zonesResourceGroupId) to `allowedPrivateDnsZoneResourceGroups` in the stack's policy config once the security team approves it: the records then live in another subscription, shown on the network diagram.",
    url: "https://learn.microsoft.com/azure/private-link/private-endpoint-dns-integration",
    config: approvedGroupsKnob,
  },
  (args, report) => {
    const { allowedPrivateDnsZoneResourceGroups: allowed } = args.getConfig<KnobConfig>();
    const groups = ofType(args.resources, ZONE_GROUP);
    if (groups.length === 0) args.notApplicable("the stack declares no private DNS zone group");
    const zones = ofType(args.resources, ZONE);
    const undecided: (() => void)[] = [];
    for (const group of groups) {
      const outside: string[] = [];
      for (const target of zoneTargets(group, zones)) {
        // An approved zone passes whether or not it is the stack's; an id not known yet cannot be judged.
        if (target.kind === "stack" || (target.id !== undefined && inApprovedGroup(target.id, allowed))) continue;
        if (target.kind === "outside") outside.push(target.id);
        else undecided.push(target.undecided);
      }
      if (outside.length > 0) {
        report(
          `${who(group)} registers in ${outside.join(", ")}, outside this stack and not in ${KNOB} (${approvedList(allowed)}): add the zones' resource group to the stack's policy config once the security team approves it (the records of cardholder data environment endpoints then live in another subscription).`,
          group.urn,
        );
      }
    }
    // After every violation the known ids show: an id unknown during preview leaves the rule undecided, not passed.
    for (const read of undecided) read();
  },
);

// ---------------------------------------------------------------------------------------------------------------
// No privatelink zone of the stack's own beside the hub's
// ---------------------------------------------------------------------------------------------------------------

/**
 * Whether a zone name is a Private Link zone: a `privatelink` label, first for most services (privatelink.blob.core.
 * windows.net) and inside for a few (`{regionName}.data.privatelink.azurecr.io`, learn.microsoft.com/azure/
 * private-link/private-endpoint-dns, the table every zone of lib/privateLink.ts comes from).
 */
export function isPrivateLinkZone(name: string): boolean {
  return name.toLowerCase().split(".").includes("privatelink");
}

// Azure Landing Zones assigns Audit-PeDnsZones ("Audit the creation of Private Link Private DNS Zones", a list of zone
// names, `privateLinkDnsZones`) to the corp landing zones, where spokes live, for the same reason: the zones belong to
// the connectivity subscription (Azure/Azure-Landing-Zones-Library, archetype `corp`). This rule reads a label instead
// of a list, so a zone Microsoft adds is covered too.
export const privateLinkZoneWithCentralZones = resourcePolicy<privatedns.PrivateZoneArgs>(
  {
    name: "azure-native-privatedns-privatezone-disallow-privatelink-with-central-zones",
    description:
      "A stack whose private endpoints register in the hub's private DNS zones (allowedPrivateDnsZoneResourceGroups set) creates no privatelink zone of its own: a second zone of the same name splits resolution, each network seeing only the records of the zone its resolver reads (what Azure Landing Zones' Audit-PeDnsZones assignment checks on corp landing zones).",
    severity: "medium",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "Remove the `privatedns.PrivateZone` (and its virtual network links) and register the endpoints in the hub's zone of the same name (config `privateDns.mode: central`); a stack that keeps its own zones leaves `allowedPrivateDnsZoneResourceGroups` empty.",
    url: "https://learn.microsoft.com/azure/cloud-adoption-framework/ready/azure-best-practices/private-link-and-dns-integration-at-scale",
    config: approvedGroupsKnob,
  },
  ZONE,
  (props, args, report) => {
    const { allowedPrivateDnsZoneResourceGroups: allowed } = args.getConfig<KnobConfig>();
    if (allowed.length === 0) {
      args.notApplicable(`${KNOB} approves no hub zones: the stack's endpoints register in its own zones`);
    }
    // privateZoneName absent: azure-native names the zone after the resource; unknown: undecided during preview.
    requireKnown(props, "privateZoneName");
    const name = typeof props.privateZoneName === "string" ? props.privateZoneName : args.name;
    if (!isPrivateLinkZone(name)) return; // a zone of the stack's own names (not Private Link's) splits nothing
    report(
      `${who(args)} creates private DNS zone '${name}' while ${KNOB} approves the hub's zones (${approvedList(allowed)}): a privatelink zone of the stack's own splits resolution from the hub's zones (networks resolving through one do not see the records registered in the other); remove it and register the endpoints in the hub's zone.`,
    );
  },
);

// ---------------------------------------------------------------------------------------------------------------
// No Azure Monitor private link over shared zones
// ---------------------------------------------------------------------------------------------------------------

/**
 * Whether a private endpoint connects to an Azure Monitor Private Link Scope: `true`, `false`, or, while a connection
 * is unknown in a first preview, a read that makes the rule undecided. A connection counts by its group id
 * (`azuremonitor`), its target's id (`…/microsoft.insights/privateLinkScopes/…`) or, unknown, the scope it was wired
 * from. A connection list that is unknown with no property dependency is a computed output the program did not set
 * (an input wired from another resource records that resource), as `privateEndpointCoverage` reads it.
 */
export function connectsToAzureMonitor(pe: PolicyResource): boolean | (() => void) {
  let unknown: (() => void) | undefined;
  for (const property of CONNECTIONS) {
    const sources = pe.propertyDependencies[property] ?? [];
    if (sources.some((d) => defaultTypeToken(d.type) === PRIVATE_LINK_SCOPE)) return true;
    if (presence(pe.props, property) === "unknown") {
      if (sources.length > 0) unknown ??= () => requireKnown(pe.props, property);
      continue;
    }
    const list = valueAt(pe.props, property);
    for (let i = 0; i < (Array.isArray(list) ? list.length : 0); i++) {
      const at = String(i);
      if (stringsAt(list, at, "groupIds").some((g) => sameText(g, AZURE_MONITOR_GROUP_ID))) return true;
      const target = valueAt(list, at, "privateLinkServiceId");
      if (typeof target === "string" && /\/providers\/microsoft\.insights\/privatelinkscopes\//i.test(target)) {
        return true;
      }
      // The list, or one of its ids, unknown during preview (read element by element: iterating the engine's proxy
      // would throw on the first unknown one).
      if (presence(list, at, "groupIds") === "unknown") {
        unknown ??= () => requireKnown(list, at, "groupIds");
        continue;
      }
      const groupIds = valueAt(list, at, "groupIds");
      for (let j = 0; j < (Array.isArray(groupIds) ? groupIds.length : 0); j++) {
        if (presence(groupIds, String(j)) === "unknown") unknown ??= () => requireKnown(groupIds, String(j));
      }
    }
  }
  return unknown ?? false;
}

export const azureMonitorOnSharedZones = stackPolicy(
  {
    name: "azure-native-network-privateendpoint-disallow-azure-monitor-on-shared-zones",
    description:
      "No Azure Monitor Private Link Scope endpoint of the stack registers in private DNS zones outside the stack: its records are the global Azure Monitor endpoints' (ingestion, query, agents), so in shared zones they override the hub's for every network resolving through them, and its scope admits only this stack's resources.",
    severity: "high",
    pci: ["1.4.4", "10.3.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6", "CC7.2"],
    service: "network",
    remediationSteps:
      "Remove the stack's `monitor.PrivateLinkScope`, its endpoint and zone group (config `privateDns.mode: central` creates none) and have the hub's scope owner add this stack's workspace and Application Insights components (the `azureMonitorScopedResourceIds` output) to the hub's scope.",
    url: "https://learn.microsoft.com/azure/azure-monitor/logs/private-link-design",
  },
  (args, report) => {
    const groups = ofType(args.resources, ZONE_GROUP);
    const zones = ofType(args.resources, ZONE);
    const undecided: (() => void)[] = [];
    let monitorEndpoints = 0;
    for (const pe of ofType(args.resources, PRIVATE_ENDPOINT)) {
      const monitor = connectsToAzureMonitor(pe);
      if (monitor === false) continue;
      // The endpoint's zone groups: wired from its name, or named after it in its resource group, or (deployed, when
      // path inputs are not outputs) its children by id.
      const own = groups.filter((g) =>
        refersTo(g, pe, {
          properties: ["privateEndpointName"],
          byName: { nameKeys: ["privateEndpointName"], siblingKeys: ["resourceGroupName"] },
        }),
      );
      const outside: string[] = [];
      const pending: (() => void)[] = [];
      for (const target of own.flatMap((g) => zoneTargets(g, zones))) {
        if (target.kind === "outside") outside.push(target.id);
        else if (target.kind === "unknown") pending.push(target.undecided);
      }
      if (monitor !== true) {
        // Connections unknown during preview: they matter only where the records could land outside the stack.
        if (outside.length > 0 || pending.length > 0) {
          monitorEndpoints++;
          undecided.push(monitor);
        }
        continue;
      }
      monitorEndpoints++;
      undecided.push(...pending);
      if (outside.length > 0) {
        report(
          `${who(pe)} connects to an Azure Monitor Private Link Scope (group id ${AZURE_MONITOR_GROUP_ID}) and registers in ${outside.join(", ")}, outside this stack: it overrides the hub's Azure Monitor records for every network sharing these zones; remove the stack's scope and its endpoint and have the hub's scope admit this stack's workspace and components (the azureMonitorScopedResourceIds output).`,
          pe.urn,
        );
      }
    }
    if (monitorEndpoints === 0) {
      args.notApplicable("the stack has no private endpoint to an Azure Monitor Private Link Scope");
    }
    for (const read of undecided) read();
  },
);

// ---------------------------------------------------------------------------------------------------------------
// The VNet's DNS servers are inside the network
// ---------------------------------------------------------------------------------------------------------------

/** Azure-provided DNS, the wire server every VNet reaches (what-is-ip-address-168-63-129-16). */
export const AZURE_PROVIDED_DNS = "168.63.129.16";

export const privateDnsServers = resourcePolicy<network.VirtualNetworkArgs>(
  {
    name: "azure-native-network-virtualnetwork-require-private-dns-servers",
    description:
      "A virtual network's custom DNS servers (`dhcpOptions.dnsServers`) are private addresses (RFC 1918: the hub's resolver or firewall) or Azure-provided DNS: a server outside the network receives every name its hosts look up, the cardholder data environment's endpoints included, and answers for them.",
    severity: "high",
    pci: ["1.3.2", "1.4.4"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "Set `dhcpOptions.dnsServers` to the hub's Private Resolver inbound endpoint or the hub firewall's private address (config `privateDns.dnsServers`), or leave it unset for Azure-provided DNS.",
    url: "https://learn.microsoft.com/azure/virtual-network/virtual-networks-name-resolution-for-vms-and-role-instances",
  },
  "azure-native:network:VirtualNetwork",
  (props, args, report) => {
    if (presence(props, "dhcpOptions", "dnsServers") === "absent") {
      args.notApplicable("the VNet uses Azure-provided DNS (no dhcpOptions.dnsServers)");
    }
    requireKnownElements(props, "dhcpOptions", "dnsServers");
    const servers = stringsAt(props, "dhcpOptions", "dnsServers");
    if (servers.length === 0) args.notApplicable("the VNet uses Azure-provided DNS (no dhcpOptions.dnsServers)");
    const outside = servers.filter((s) => s.trim() !== AZURE_PROVIDED_DNS && !insidePrivateRanges(s));
    if (outside.length > 0) {
      report(
        `${who(args)} sends its DNS queries to ${outside.join(", ")}, outside the private address ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16): every name its hosts look up, the cardholder data environment's endpoints included, leaves the network; use the hub's resolver or firewall, or Azure-provided DNS.`,
      );
    }
  },
);

export const privateDnsPolicies: Policies = [
  zoneGroupApprovedZones,
  privateLinkZoneWithCentralZones,
  azureMonitorOnSharedZones,
  privateDnsServers,
];
