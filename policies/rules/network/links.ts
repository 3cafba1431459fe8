/**
 * Links between networks and services: peerings with approved networks only (PCI DSS 1.2.2, 1.2.3), private endpoints for every data service (1.3.1, 1.4.4), no network security perimeter admitting public traffic.
 */
import type { ReportViolation } from "@pulumi/policy";
import { listPointsAt, ofType, resourcePolicy, stackPolicy } from "../../lib/policy";
import { typeIn } from "../../lib/typeToken";
import { globMatch, requireKnown, show, valueAt, who } from "../../lib/values";

const VNET = "azure-native:network:VirtualNetwork";
const PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint";

// ---------------------------------------------------------------------------------------------------------------
// Virtual network peerings (standalone `network.VirtualNetworkPeering` and inline `virtualNetworkPeerings[*]`)
// ---------------------------------------------------------------------------------------------------------------

const PEERING = "azure-native:network:VirtualNetworkPeering";

export const peeringApproved = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-network-virtualnetworkpeering-disallow-unapproved-peering",
    description:
      "Virtual network peerings (standalone or inline in a virtual network) connect only to networks the security team approved in the policy config, and never offer this network's gateway to the peer as a transit.",
    severity: "high",
    pci: ["1.2.2", "1.2.3", "1.3.1", "1.4.1"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "Add the peer's virtual network id (ARM id, `*` wildcards allowed) to `allowedRemoteVirtualNetworks` in the stack's policy config once the security team approves the connection (it is a new path into the cardholder data environment, to be shown on the network diagram), and set `allowGatewayTransit: false`.",
    url: "https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview",
    config: {
      allowedRemoteVirtualNetworks: {
        type: "array",
        items: { type: "string" },
        default: [],
        description:
          "ARM ids (globs, case-insensitive) of the virtual networks this stack's networks may peer with, e.g. the company's hub VNet; none by default.",
      },
    },
  },
  [PEERING, VNET],
  (props, args, report) => {
    const { allowedRemoteVirtualNetworks } = args.getConfig<{ allowedRemoteVirtualNetworks: string[] }>();
    // Read through valueAt: the standalone peering's props and an inline entry share these property names.
    // Unknown during preview: the engine reports "can't run" instead of a pass on a list never seen.
    if (args.type !== PEERING) requireKnown(props, "virtualNetworkPeerings");
    const listed = valueAt(props, "virtualNetworkPeerings");
    const inline: unknown[] = Array.isArray(listed) ? listed : [];
    const peerings: { name: string; peering: unknown }[] =
      args.type === PEERING
        ? [{ name: String(valueAt(props, "virtualNetworkPeeringName") ?? args.name), peering: props }]
        : inline.map((p, i) => ({
            name: String(valueAt(p, "name") ?? `virtualNetworkPeerings[${i}]`),
            peering: p,
          }));
    if (peerings.length === 0) args.notApplicable("the virtual network declares no inline peerings");
    for (const { name, peering } of peerings) {
      // A peer id unknown during preview (another resource's output) cannot be matched: the engine reports it as
      // "can't run during preview" and the update decides.
      requireKnown(peering, "remoteVirtualNetwork", "id");
      const remote = valueAt(peering, "remoteVirtualNetwork", "id");
      if (typeof remote !== "string" || remote === "") {
        report(`${who(args)} peering '${name}' names no remote virtual network: set remoteVirtualNetwork.id.`);
      } else if (!allowedRemoteVirtualNetworks.some((pattern) => globMatch(pattern, remote))) {
        report(
          `${who(args)} peering '${name}' connects to ${remote}, which is not in allowedRemoteVirtualNetworks (${allowedRemoteVirtualNetworks.length === 0 ? "none approved" : allowedRemoteVirtualNetworks.join(", ")}): add it to the stack's policy config once the connection is approved.`,
        );
      }
      // allowGatewayTransit absent = false; unknown cannot be decided during preview.
      requireKnown(peering, "allowGatewayTransit");
      if (valueAt(peering, "allowGatewayTransit") === true) {
        report(
          `${who(args)} peering '${name}' offers this network's gateway to the peer (allowGatewayTransit): set it to false; this network is never a transit.`,
        );
      }
    }
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Private endpoints (stack)
// ---------------------------------------------------------------------------------------------------------------

export const PRIVATE_LINK_TYPES = [
  "azure-native:sql:Server",
  "azure-native:synapse:Workspace",
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:datafactory:Factory",
  "azure-native:machinelearningservices:Workspace",
  "azure-native:storage:StorageAccount",
  "azure-native:keyvault:Vault",
  "azure-native:eventhub:Namespace",
  "azure-native:containerregistry:Registry",
];

export const privateEndpointCoverage = stackPolicy(
  {
    name: "azure-native-network-privateendpoint-missing-for-data-service",
    description:
      "Every data service (SQL, Synapse, Cosmos DB, Data Factory, ML, storage, Key Vault, Event Hubs) has a private endpoint, so it is reached only from the private network.",
    severity: "high",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "Add a `network.PrivateEndpoint` with `privateLinkServiceConnections: [{ privateLinkServiceId: <resource>.id, groupIds: [<group>] }]` and a PrivateDnsZoneGroup, e.g. through the component's `privateEndpoints` option.",
    url: "https://learn.microsoft.com/azure/private-link/private-endpoint-overview",
    config: {
      resourceTypes: {
        type: "array",
        items: { type: "string" },
        default: PRIVATE_LINK_TYPES,
        description: "Type tokens of the services that need a private endpoint.",
      },
    },
  },
  (args, report: ReportViolation) => {
    const { resourceTypes } = args.getConfig<{ resourceTypes: string[] }>();
    const targets = args.resources.filter((r) => typeIn(resourceTypes, r.type));
    if (targets.length === 0) args.notApplicable("no data services of the configured types");
    const endpoints = args.resources.filter((r) => r.type === PRIVATE_ENDPOINT);
    for (const target of targets) {
      // A connection's privateLinkServiceId is the service's exact id: not one whose name starts with it.
      const covered = endpoints.some((pe) =>
        ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"].some((property) =>
          listPointsAt(pe, target, property, { key: "privateLinkServiceId" }),
        ),
      );
      if (!covered) {
        report(
          `${target.name} (${target.urn}) has no private endpoint: add a network.PrivateEndpoint whose privateLinkServiceConnections[].privateLinkServiceId is its id.`,
          target.urn,
        );
      }
    }
  },
);

const NSP = "azure-native:network:NetworkSecurityPerimeter";
const NSP_ASSOCIATION = "azure-native:network:NetworkSecurityPerimeterAssociation";
/** The perimeter and its children (node_modules/@pulumi/azure-native/network/networkSecurityPerimeter*.d.ts). */
const NSP_TYPES = [
  NSP,
  NSP_ASSOCIATION,
  "azure-native:network:NetworkSecurityPerimeterProfile",
  "azure-native:network:NetworkSecurityPerimeterAccessRule",
  "azure-native:network:NetworkSecurityPerimeterLink",
  "azure-native:network:NetworkSecurityPerimeterLoggingConfiguration",
];

export const perimeterAssociation = stackPolicy(
  {
    name: "azure-native-network-networksecurityperimeterassociation-disallow-perimeter-association",
    description:
      "No resource is associated with a network security perimeter: an associated resource's public access follows the perimeter's access rules, even with its own publicNetworkAccess Disabled, and the platform uses no perimeter (every data service is private-endpoint-only, which the pack checks on each).",
    severity: "high",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      'Remove the `network.NetworkSecurityPerimeterAssociation`, keep the resource\'s `publicNetworkAccess: "Disabled"` and reach it through its private endpoint.',
    url: "https://learn.microsoft.com/azure/private-link/network-security-perimeter-transition",
  },
  (args, report) => {
    // Refused whatever its access mode and the perimeter's rules (network-security-perimeter-transition): in
    // "Enforced" mode "the resource obeys network security perimeter rules as if its publicNetworkAccess property was
    // effectively set to SecuredByPerimeter ... irrespective of the actual value", and in "Learning" mode (the
    // default) a resource whose publicNetworkAccess is Disabled takes public inbound traffic "allowed only by network
    // security perimeter rules". Reading the access rules (address prefixes, subscriptions, service tags, FQDNs)
    // would be a second firewall model to keep in step; refusing the association keeps each resource's own rule the
    // whole answer. A perimeter nothing is associated with governs nothing: it passes.
    if (ofType(args.resources, ...NSP_TYPES).length === 0) {
      args.notApplicable("the stack declares no network security perimeter resource");
    }
    for (const a of ofType(args.resources, NSP_ASSOCIATION)) {
      const target = valueAt(a.props, "privateLinkResource", "id");
      const mode = valueAt(a.props, "accessMode");
      // The perimeter's name is a path input, not an output: once created, the association's id names it.
      const id = valueAt(a.props, "id");
      const perimeter =
        valueAt(a.props, "networkSecurityPerimeterName") ??
        (typeof id === "string" ? /\/networkSecurityPerimeters\/([^/]+)\//i.exec(id)?.[1] : undefined);
      report(
        `${who(a)} associates ${typeof target === "string" ? target : "a resource"} with ${perimeter === undefined ? "a network security perimeter" : `network security perimeter ${show(perimeter)}`} (accessMode ${mode === undefined ? 'unset, "Learning" by default' : show(mode)}): the perimeter's access rules, which the pack does not check, then admit public traffic whatever the resource's publicNetworkAccess says; remove the association and reach the resource through its private endpoint.`,
        a.urn,
      );
    }
  },
);
