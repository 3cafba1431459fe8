/**
 * Which subnets send their internet-bound traffic through the Azure Firewall at all. egress.ts checks the firewall's
 * rules and the routes that exist; a subnet that loses its route table (or keeps one without the default route to
 * the firewall) leaves both silently behind: its delegated services' outbound traffic (Flex Consumption apps, App
 * Service VNet integration) no longer meets the allow-list and IDPS. PCI DSS 1.3.2 and 1.4.1 (outbound traffic from
 * the CDE restricted, controls between trusted and untrusted networks); GDPR Art. 32(1)(b) and 44.
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import { exemptionItemSchema, exemptionSchema, listedName, type Exemption } from "../lib/exemptions";
import { ipv4, ipv4Range, type StackSubnet } from "../lib/network";
import { ofType, refersTo, requirePlaced, stackPolicy } from "../lib/policy";
import { presence, requireKnown, requireKnownElements, sameText, show, stringsAt, valueAt, who } from "../lib/values";
import { EXEMPT_SUBNETS } from "./network";

const VNET = "azure-native:network:VirtualNetwork";
const SUBNET = "azure-native:network:Subnet";
const ROUTE_TABLE = "azure-native:network:RouteTable";
const ROUTE = "azure-native:network:Route";
const AZURE_FIREWALL = "azure-native:network:AzureFirewall";
const FIREWALL_SUBNET = "AzureFirewallSubnet";

/** An `exemptSubnets` entry: a name pattern with its reason, optionally only while nothing is in the subnet. */
interface SubnetExemption extends Exemption {
  readonly whileEmpty?: boolean;
}

/**
 * The subnet's lists Azure fills with what joins it (network.SubnetResponse): the IP configurations of network
 * interfaces, load balancers and gateways; container network profiles; private endpoints; the service association
 * links a delegated service adds when it integrates (App Service's `AppServiceLink`, Flex Consumption's
 * `legionservicelink`, Container Instances' `acisal`); resource navigation links; an Application Gateway's IP
 * configurations. Microsoft does not document which of them a VNet-injected Stream Analytics job ("a containerized
 * instance … inside your virtual network", stream-analytics/run-job-in-virtual-network) fills, or whether it fills
 * one at all. The rule reads them from the stack's state, which holds only the lists azure-native's schema models
 * (today exactly these and `CONFIGURED_LISTS`): `subnetOccupants` counts every list but the configured ones, so a list
 * a later SDK version models counts too. A program never sets these, so they are known only in the state: refreshed by
 * `pulumi preview --refresh` (the deploy and drift runs), as of the last `up` otherwise.
 */
export const OCCUPANT_KEYS = [
  "ipConfigurations",
  "ipConfigurationProfiles",
  "privateEndpoints",
  "serviceAssociationLinks",
  "resourceNavigationLinks",
  "applicationGatewayIPConfigurations",
] as const;

/** The subnet's list properties a program configures (network.Subnet's inputs): not what joined it. */
const CONFIGURED_LISTS: ReadonlySet<string> = new Set([
  "addressPrefixes",
  "delegations",
  "serviceEndpoints",
  "serviceEndpointPolicies",
  "ipAllocations",
  "ipamPoolPrefixAllocations",
]);

/**
 * What Azure lists in a subnet, as `key (count)`, sorted: every known, non-empty list but `CONFIGURED_LISTS` (deny by
 * default: a list a later SDK version models counts too). Empty when nothing is, or when the lists are unknown
 * (a first preview: the subnet does not exist yet; the caller makes a subnet that exists read them whole).
 */
export function subnetOccupants(props: unknown): string[] {
  if (props === null || typeof props !== "object") return [];
  const out: string[] = [];
  for (const key of Object.keys(props)) {
    if (CONFIGURED_LISTS.has(key)) continue;
    const list = valueAt(props, key);
    if (Array.isArray(list) && list.length > 0) out.push(`${key} (${list.length})`);
  }
  return out.sort();
}

/** Whether IPv4 prefixes together cover every address (`0.0.0.0/0`, or `0.0.0.0/1` with `128.0.0.0/1`, ...). */
export function coversEveryAddress(prefixes: readonly string[]): boolean {
  const ranges = prefixes
    .filter((p) => p.includes("/"))
    .map((p) => ipv4Range(p))
    .filter((r): r is NonNullable<typeof r> => r !== undefined)
    .sort((a, b) => a.first - b.first);
  let next = 0;
  for (const r of ranges) {
    if (r.first > next) return false;
    next = Math.max(next, r.last + 1);
    if (next >= 2 ** 32) return true;
  }
  return false;
}

/**
 * A standalone child (a Subnet of a VNet, a Route of a route table) names its parent by its path input, recorded
 * dependency, or once deployed its id (`refersTo`'s `childById`); a parent of the same name in another group is not it.
 */
const childOf = (child: PolicyResource, parent: PolicyResource, nameKey: string): boolean =>
  refersTo(child, parent, {
    properties: [nameKey],
    byName: { nameKeys: [nameKey], siblingKeys: ["resourceGroupName"] },
  });

/** A subnet of the firewall's virtual network, inline in the VNet or standalone (its owner: the VNet, or the Subnet). */
interface NetworkSubnet extends StackSubnet {
  /** The property of `owner` whose recorded dependencies name its route table (`subnets` or `routeTable`). */
  readonly dependencyKey: string;
}

/** The subnets (inline and standalone) of each virtual network holding an `AzureFirewallSubnet`. */
function firewallNetworks(resources: readonly PolicyResource[]): NetworkSubnet[][] {
  const standalone = ofType(resources, SUBNET);
  // A standalone subnet this rule cannot tie to a network yet may be one of the firewall's, without a route.
  requirePlaced(
    standalone,
    (subnet) => ofType(resources, VNET).some((vnet) => childOf(subnet, vnet, "virtualNetworkName")),
    "virtualNetworkName",
  );
  const out: NetworkSubnet[][] = [];
  for (const vnet of ofType(resources, VNET)) {
    const subnets: NetworkSubnet[] = [];
    const inline = valueAt(vnet.props, "subnets");
    if (Array.isArray(inline)) {
      for (let i = 0; i < inline.length; i++) {
        requireKnown(inline, String(i), "name");
        const name = valueAt(inline, String(i), "name");
        if (typeof name === "string")
          subnets.push({ name, props: valueAt(inline, String(i)), owner: vnet, dependencyKey: "subnets" });
      }
    }
    for (const subnet of standalone) {
      if (!childOf(subnet, vnet, "virtualNetworkName")) continue;
      const name = valueAt(subnet.props, "subnetName") ?? valueAt(subnet.props, "name") ?? subnet.name;
      subnets.push({ name: String(name), props: subnet.props, owner: subnet, dependencyKey: "routeTable" });
    }
    if (subnets.some((s) => sameText(s.name, FIREWALL_SUBNET))) out.push(subnets);
  }
  return out;
}

/** The prefixes a route table sends to an address inside `range` (its inline routes and standalone `Route`s). */
function prefixesTo(
  table: PolicyResource,
  routes: readonly PolicyResource[],
  range: { first: number; last: number },
): string[] {
  const out: string[] = [];
  const take = (route: unknown) => {
    if (!sameText(valueAt(route, "nextHopType"), "VirtualAppliance")) return;
    requireKnown(route, "nextHopIpAddress");
    requireKnown(route, "addressPrefix");
    const hop = valueAt(route, "nextHopIpAddress");
    const prefix = valueAt(route, "addressPrefix");
    const ip = typeof hop === "string" ? ipv4(hop) : undefined;
    if (ip !== undefined && ip >= range.first && ip <= range.last && typeof prefix === "string") out.push(prefix);
  };
  requireKnownElements(table.props, "routes");
  const inline = valueAt(table.props, "routes");
  if (Array.isArray(inline)) for (let i = 0; i < inline.length; i++) take(valueAt(inline, String(i)));
  for (const route of routes) if (childOf(route, table, "routeTableName")) take(route.props);
  return out;
}

/** The route table a subnet uses: by its id when known, else the one route table the engine recorded for it. */
function tableOf(subnet: NetworkSubnet, tables: readonly PolicyResource[]): PolicyResource | "outside" {
  const id = valueAt(subnet.props, "routeTable", "id");
  if (typeof id === "string") {
    const found = tables.find((t) => sameText(valueAt(t.props, "id"), id.replace(/\/+$/, "")));
    return found ?? "outside";
  }
  const recorded = (subnet.owner.propertyDependencies[subnet.dependencyKey] ?? []).filter((d) =>
    tables.some((t) => t.urn === d.urn),
  );
  const candidates = tables.filter((t) => recorded.some((d) => d.urn === t.urn));
  // Unknown id (a first preview) and not exactly one recorded route table: only the deployed view can tell.
  if (candidates.length !== 1) requireKnown(subnet.props, "routeTable", "id");
  return candidates[0] ?? "outside";
}

export const subnetEgressRoute = stackPolicy(
  {
    name: "azure-native-network-subnet-require-firewall-egress-route",
    description:
      "In a stack with an Azure Firewall, every subnet of the firewall's virtual network, except Azure's own gateway, firewall and bastion subnets and those listed with a reason, uses a route table whose routes to the firewall's subnet cover every address (0.0.0.0/0): a subnet without one sends its services' internet-bound traffic past the firewall's allow-list and IDPS, or nowhere, with no error at deploy time.",
    severity: "high",
    pci: ["1.3.2", "1.4.1"],
    gdpr: ["32(1)(b)", "44"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "Set the subnet's `routeTable: { id: <table.id> }` to the egress route table (a `0.0.0.0/0` route, `nextHopType: VirtualAppliance`, to the firewall's private IP); the platform does it for every subnet whose role has `egressViaFirewall` (components/platform/subnets.ts). A subnet that holds no workload sending traffic out (private endpoints only), or whose service does not support a default route to an appliance (Application Gateway v2), goes in `exemptSubnets` with the reason.",
    // "Azure routes traffic between all subnets ... and to the internet by default"; a user-defined route with the
    // firewall's private IP as the next hop sends it through the firewall.
    url: "https://learn.microsoft.com/azure/firewall/tutorial-firewall-deploy-portal#create-a-default-route",
    config: {
      exemptSubnets: {
        ...exemptionSchema,
        description:
          "Subnets of the firewall's network that need no route to it, by name pattern (`*` wildcard, case-insensitive), each with a reason: private endpoint subnets, Application Gateway v2 subnets (which do not support a 0.0.0.0/0 route to a virtual appliance), a reserved subnet nothing runs in (with `whileEmpty: true`: the listing lapses once Azure lists anything in the subnet, so a service that joins it later is checked). Azure's GatewaySubnet, AzureFirewallSubnet, AzureFirewallManagementSubnet, AzureBastionSubnet and RouteServerSubnet are always skipped.",
        items: exemptionItemSchema({
          whileEmpty: {
            type: "boolean",
            description:
              "The listing holds only while the deployed subnet is empty: once Azure lists anything in it (IP configurations or their profiles, private endpoints, service association or resource navigation links, an Application Gateway's IP configurations, any other list the SDK models that the program does not configure), the subnet is checked like the others. Azure's lists are read from the stack's state: refreshed by `pulumi preview --refresh` (the deploy and drift runs), as of the last `up` otherwise. A service that shows in none of them (Microsoft does not document which one a VNet-injected Stream Analytics job fills) never lapses the listing: remove whileEmpty by hand when one joins.",
          },
        }),
      },
    },
  },
  (args, report) => {
    if (ofType(args.resources, AZURE_FIREWALL).length === 0) args.notApplicable("the stack has no Azure Firewall");
    const networks = firewallNetworks(args.resources);
    if (networks.length === 0) args.notApplicable("no virtual network of the stack holds an AzureFirewallSubnet");
    const exempt = args.getConfig<{ exemptSubnets?: SubnetExemption[] }>().exemptSubnets ?? [];
    const tables = ofType(args.resources, ROUTE_TABLE);
    const routes = ofType(args.resources, ROUTE);
    let checked = 0;
    for (const subnets of networks) {
      const firewallSubnet = subnets.find((s) => sameText(s.name, FIREWALL_SUBNET)) as NetworkSubnet;
      // Its `addressPrefix`, or without one the first of `addressPrefixes` (what Azure returns for a subnet with
      // several; read only then: in a preview the output the program does not set is unknown).
      requireKnown(firewallSubnet.props, "addressPrefix");
      let prefix = valueAt(firewallSubnet.props, "addressPrefix");
      if (typeof prefix !== "string") {
        requireKnownElements(firewallSubnet.props, "addressPrefixes");
        prefix = stringsAt(firewallSubnet.props, "addressPrefixes")[0];
      }
      const range = typeof prefix === "string" ? ipv4Range(prefix) : undefined;
      if (!range) {
        report(
          `${who(firewallSubnet.owner)} subnet '${FIREWALL_SUBNET}' has no IPv4 range the pack can read (${show(prefix)}): the rule cannot tell which routes reach the firewall; give it an addressPrefix.`,
          firewallSubnet.owner.urn,
        );
        continue;
      }
      for (const subnet of subnets) {
        if (EXEMPT_SUBNETS.some((n) => sameText(subnet.name, n))) continue;
        const listed = listedName(exempt, subnet.name) as SubnetExemption | undefined;
        // A subnet that exists (its id known) reads its occupant lists whole: unknown there (an update's preview), the
        // rule cannot tell whether something joined (undecided); in a first preview nothing can have.
        if (listed?.whileEmpty === true && typeof valueAt(subnet.props, "id") === "string")
          for (const key of OCCUPANT_KEYS)
            if (presence(subnet.props, key) === "unknown") requireKnown(subnet.props, key);
        const joined = listed?.whileEmpty === true ? subnetOccupants(subnet.props) : [];
        if (listed !== undefined && joined.length === 0) continue;
        checked++;
        // A listing that held while the subnet was empty: say why it no longer does.
        const lapsed =
          listed === undefined
            ? ""
            : ` Its exemptSubnets entry ${show(listed.pattern)} holds only while the subnet is empty (whileEmpty), and Azure now lists ${joined.join(", ")} in it: route it to the firewall (a 0.0.0.0/0 route to a virtual appliance takes precedence over a NAT gateway on the subnet: nat-gateway/troubleshoot-nat), or remove whileEmpty from that entry (the first entry matching the subnet is the one read), with the reason its traffic may leave past the firewall.`;
        const where = `${who(subnet.owner)} subnet '${subnet.name}'`;
        if (presence(subnet.props, "routeTable") === "absent") {
          report(
            `${where} has no route table, so its internet-bound traffic goes past the Azure Firewall in the network's AzureFirewallSubnet (${prefix}); set routeTable to the egress route table, or list the subnet in exemptSubnets with the reason nothing in it needs one.${lapsed}`,
            subnet.owner.urn,
          );
          continue;
        }
        const table = tableOf(subnet, tables);
        if (table === "outside") {
          report(
            `${where} uses route table ${show(valueAt(subnet.props, "routeTable", "id"))}, which is not one of the stack's: the pack cannot check that it sends 0.0.0.0/0 to the firewall (${prefix}); use the stack's egress route table, or list the subnet in exemptSubnets with the reason.${lapsed}`,
            subnet.owner.urn,
          );
          continue;
        }
        const covered = prefixesTo(table, routes, range);
        if (!coversEveryAddress(covered)) {
          report(
            `${where} uses ${who(table)}, whose routes to the firewall's subnet (${prefix}) cover ${covered.length > 0 ? covered.join(", ") : "nothing"}, not every address: the rest of its internet-bound traffic goes past the firewall; add a 0.0.0.0/0 route with nextHopType VirtualAppliance to the firewall's private IP.${lapsed}`,
            subnet.owner.urn,
          );
        }
      }
    }
    if (checked === 0)
      args.notApplicable("every subnet of the firewall's network is Azure's own or listed in exemptSubnets");
  },
);

export const egressRoutePolicies: Policies = [subnetEgressRoute];
