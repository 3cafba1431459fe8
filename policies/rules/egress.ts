/**
 * What the egress firewall lets through and what goes around it (PCI DSS 1.2.1, 1.3.2, 1.4.2): the Azure Firewall's
 * allow rules name their sources, destinations and ports (an allow-list, not "anything to anywhere"), its DNAT rules
 * do not publish an internal address to the whole internet, no route sends traffic straight to the internet past
 * the firewall, and a route to the firewall names the address Azure gave it. GDPR Art. 32(1)(b) and 44 (no unchecked
 * path out of the EU platform).
 */
import type * as network from "@pulumi/azure-native/network";
import type { Policies, PolicyConfigSchema, PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import { ofType, resourcePolicy, stackPolicy, stringListKnob, type Props } from "../lib/policy";
import { anyAddress, ipv4, ipv4Range, subnetsById } from "../lib/network";
import { globMatch, oneOf, requireKnown, requireKnownElements, sameText, stringsAt, valueAt, who } from "../lib/values";
import { portRanges } from "./network";

export { anyAddress };

const RULE_COLLECTION_GROUP = "azure-native:network:FirewallPolicyRuleCollectionGroup";
const AZURE_FIREWALL = "azure-native:network:AzureFirewall";
const ROUTE_TABLE = "azure-native:network:RouteTable";
const ROUTE = "azure-native:network:Route";
const IP_GROUP = "azure-native:network:IpGroup";
const DOCS = "https://learn.microsoft.com/azure/firewall";

/** An FQDN (or URL) pattern matching any name, or every name of a top-level domain (`*`, `*.com`). */
export function anyFqdn(value: string): boolean {
  const host = hostOf(value);
  return host === "*" || /^\*\.[^.]*$/.test(host) || host === "";
}

function hostOf(value: string): string {
  return value
    .trim()
    .replace(/^[a-z]+:\/\//i, "")
    .split("/")[0];
}

/** Whether a port list (`"443"`, `"1024-65535"`, `"*"`, or ranges that together cover 1-65535) opens every port. */
export function allPorts(ports: readonly string[]): boolean {
  const ranges = ports.flatMap(portRanges).sort(([a], [b]) => a - b);
  let next = 1;
  for (const [lo, hi] of ranges) {
    if (lo > next) return false;
    next = Math.max(next, hi + 1);
    if (next > 65535) return true;
  }
  return false;
}

interface RuleShape {
  readonly ruleType?: unknown;
  readonly sourceAddresses?: unknown;
  readonly sourceIpGroups?: unknown;
  readonly destinationAddresses?: unknown;
  readonly destinationIpGroups?: unknown;
  readonly destinationFqdns?: unknown;
  readonly destinationPorts?: unknown;
  readonly targetFqdns?: unknown;
  readonly targetUrls?: unknown;
  readonly fqdnTags?: unknown;
  readonly webCategories?: unknown;
  readonly translatedAddress?: unknown;
  readonly translatedFqdn?: unknown;
  readonly translatedPort?: unknown;
}

/** One rule collection, as a firewall policy's rule collection group or a classic firewall's inline lists hold it. */
interface Collection {
  readonly name: string;
  readonly kind: "allow" | "deny" | "dnat";
  readonly rules: readonly RuleShape[];
}

function named(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

function rulesOf(collection: unknown): RuleShape[] {
  requireKnown(collection, "rules");
  const rules = valueAt(collection, "rules");
  return Array.isArray(rules) ? (rules as RuleShape[]) : [];
}

/** The collections a FirewallPolicyRuleCollectionGroup or a classic AzureFirewall declares (known action types). */
function collectionsOf(props: Record<string, unknown>, args: ResourceValidationArgs): Collection[] {
  const out: Collection[] = [];
  if (args.type === RULE_COLLECTION_GROUP) {
    requireKnown(props, "ruleCollections");
    const collections = valueAt(props, "ruleCollections");
    for (const [i, c] of (Array.isArray(collections) ? collections : []).entries()) {
      requireKnown(c, "ruleCollectionType");
      requireKnown(c, "action", "type");
      const name = named(valueAt(c, "name"), `ruleCollections[${i}]`);
      const action = valueAt(c, "action", "type");
      const kind = oneOf(valueAt(c, "ruleCollectionType"), ["FirewallPolicyNatRuleCollection"])
        ? "dnat"
        : oneOf(action, ["Deny"])
          ? "deny"
          : "allow";
      out.push({ name, kind, rules: rulesOf(c) });
    }
    return out;
  }
  // A classic firewall (no firewall policy): its inline collections. With a policy they are empty.
  const lists = [
    ["networkRuleCollections", "network"],
    ["applicationRuleCollections", "application"],
    ["natRuleCollections", "nat"],
  ] as const;
  for (const [key, classic] of lists) {
    requireKnown(props, key);
    const collections = valueAt(props, key);
    for (const [i, c] of (Array.isArray(collections) ? collections : []).entries()) {
      requireKnown(c, "action", "type");
      const name = named(valueAt(c, "name"), `${key}[${i}]`);
      const action = valueAt(c, "action", "type");
      const kind = classic === "nat" ? "dnat" : oneOf(action, ["Deny"]) ? "deny" : "allow";
      out.push({ name, kind, rules: rulesOf(c) });
    }
  }
  return out;
}

/** The rule's known list at `key`, with every element required known (an allow list is read whole). */
function known(rule: RuleShape, key: keyof RuleShape): string[] {
  requireKnownElements(rule, key);
  return stringsAt(rule, key);
}

/** What a rule may reach that other tenants own too: service tags and wildcard domains of multi-tenant services. */
export interface SharedTargets {
  readonly broadDestinations: readonly string[];
  readonly sharedServiceDomains: readonly string[];
}

/**
 * What makes one allow rule broader than an allow-list entry, each reason a phrase for the message: `any` reasons
 * (any source, destination, name, web category or port) and `shared` ones (a service tag or wildcard domain that
 * reaches every tenant's resources of a service, which a reviewed collection may keep).
 */
export function broadAllowReasons(rule: RuleShape, shared: SharedTargets): { any: string[]; shared: string[] } {
  const any: string[] = [];
  const sharedReasons: string[] = [];
  const anySource = known(rule, "sourceAddresses").filter(anyAddress);
  if (anySource.length > 0) any.push(`any source (${anySource.join(", ")})`);
  const destinations = known(rule, "destinationAddresses");
  const anyDestination = destinations.filter(anyAddress);
  if (anyDestination.length > 0) any.push(`any destination (${anyDestination.join(", ")})`);
  const tags = destinations.filter((d) => !anyAddress(d) && shared.broadDestinations.some((p) => globMatch(p, d)));
  if (tags.length > 0) sharedReasons.push(`every tenant's ${tags.join(", ")}`);
  const names = [...known(rule, "destinationFqdns"), ...known(rule, "targetFqdns"), ...known(rule, "targetUrls")];
  const anyName = names.filter(anyFqdn);
  if (anyName.length > 0) any.push(`any name (${anyName.join(", ")})`);
  const sharedNames = names.filter(
    (n) => !anyFqdn(n) && hostOf(n).includes("*") && shared.sharedServiceDomains.some((p) => globMatch(p, hostOf(n))),
  );
  if (sharedNames.length > 0) sharedReasons.push(`every tenant's ${sharedNames.join(", ")}`);
  // An application rule's FQDN tags (`WindowsUpdate`, `AzureBackup`...) are lists of names Microsoft keeps and changes,
  // which the pack cannot read (fqdn-tags): like a shared service tag, only a reviewed collection keeps them.
  const fqdnTags = known(rule, "fqdnTags");
  if (fqdnTags.length > 0)
    sharedReasons.push(`the FQDN tags ${fqdnTags.join(", ")} (names Microsoft lists and changes)`);
  const categories = known(rule, "webCategories");
  if (categories.length > 0) any.push(`whole web categories (${categories.join(", ")})`);
  const ports = known(rule, "destinationPorts");
  if (ports.length > 0 && allPorts(ports)) any.push(`every port (${ports.join(", ")})`);
  // IP groups are resources of their own: `azure-native-network-ipgroup-disallow-any-address` reads their addresses.
  known(rule, "sourceIpGroups");
  known(rule, "destinationIpGroups");
  return { any, shared: sharedReasons };
}

/** Service tags that reach every tenant's resources of a service (Microsoft's service tags: "AzureCloud", "Storage"…). */
export const SHARED_SERVICE_TAGS = [
  "AzureCloud",
  "Storage",
  "Sql",
  "AzureCosmosDB",
  "EventHub",
  "ServiceBus",
  "AzureKeyVault",
  "AzureMonitor",
  "AzureResourceManager",
  "DataFactory",
].flatMap((tag) => [tag, `${tag}.*`]);

/** Wildcard domains of multi-tenant data services (a `*.blob.core.windows.net` rule reaches anyone's account). */
export const SHARED_SERVICE_DOMAINS = [
  "*.core.windows.net",
  "*.database.windows.net",
  "*.documents.azure.com",
  "*.servicebus.windows.net",
  "*.vault.azure.net",
  "*.azurewebsites.net",
  "*.azurecr.io",
];

const sharedTargetsKnobs = {
  broadDestinations: stringListKnob(
    "Destination service tags (globs, case-insensitive) that reach every tenant's resources of a service, besides wildcards, the default route and prefixes under /8.",
    SHARED_SERVICE_TAGS,
  ),
  sharedServiceDomains: stringListKnob(
    "Domains (globs) of multi-tenant services: a wildcard FQDN under one of them reaches every tenant's resources.",
    SHARED_SERVICE_DOMAINS,
  ),
  reviewedCollections: {
    type: "array",
    items: {
      type: "object",
      properties: { name: { type: "string" }, reason: { type: "string", minLength: 1 } },
      required: ["name", "reason"],
      additionalProperties: false,
    },
    default: [],
    description:
      "Rule collections (exact names, case-insensitive) the security team reviewed, each with its reason: their rules may reach shared service tags and domains and FQDN tags (e.g. Microsoft's required list for Azure ML compute); wildcards still fail.",
  },
} satisfies PolicyConfigSchema["properties"];

export const firewallAllowList = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-network-firewallpolicyrulecollectiongroup-disallow-broad-allow-rule",
    description:
      "Azure Firewall allow rules (in a firewall policy's rule collection groups, or a classic firewall's rule collections) name their sources, destinations and ports: no rule allows any source, any destination, any FQDN, a whole web category or every port, and none reaches every tenant's resources of a service (a shared service tag such as `Storage`, or a wildcard under its domain) or the names of an FQDN tag (lists Microsoft keeps) unless the security team reviewed its collection.",
    severity: "high",
    pci: ["1.2.1", "1.3.2", "1.4.2"],
    gdpr: ["32(1)(b)", "44"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      'In each Allow rule collection, list the subnets the traffic comes from (`sourceAddresses` or `sourceIpGroups`), the destinations it needs (service tags such as `AzureActiveDirectory`, prefixes, or exact FQDNs in `targetFqdns`/`destinationFqdns`) and the ports (`destinationPorts: ["443"]`); deny everything else by leaving it out.',
    url: `${DOCS}/rule-processing`,
    config: sharedTargetsKnobs,
  },
  [RULE_COLLECTION_GROUP, AZURE_FIREWALL],
  (props, args, report) => {
    const config = args.getConfig<SharedTargets & { reviewedCollections: { name: string }[] }>();
    const allow = collectionsOf(props, args).filter((c) => c.kind === "allow");
    if (allow.length === 0) args.notApplicable("no allow rule collection");
    for (const collection of allow) {
      const reviewed = config.reviewedCollections.some((r) => sameText(r.name, collection.name));
      for (const [i, rule] of collection.rules.entries()) {
        const found = broadAllowReasons(rule, config);
        const reasons = [...found.any, ...(reviewed ? [] : found.shared)];
        if (reasons.length === 0) continue;
        const ruleName = named(valueAt(rule, "name"), `rules[${i}]`);
        report(
          `${who(args)} allow rule '${collection.name}/${ruleName}' allows ${reasons.join(", ")}: name the sources, destinations and ports it needs.`,
        );
      }
    }
  },
);

export const firewallDnat = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-network-firewallpolicyrulecollectiongroup-disallow-dnat-from-any-source",
    description:
      "Azure Firewall DNAT rules do not publish an internal address to the whole internet: each names the source addresses or IP groups allowed to reach it (ingress goes through the Application Gateway WAF).",
    severity: "high",
    pci: ["1.3.1", "1.4.1", "1.4.2"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "Set `sourceAddresses` (or `sourceIpGroups`) on every NatRule of a `FirewallPolicyNatRuleCollection` (or rule of a classic `natRuleCollections` entry) to the networks that must reach it, or publish the service through the Application Gateway WAF instead.",
    url: `${DOCS}/tutorial-firewall-dnat-policy`,
  },
  [RULE_COLLECTION_GROUP, AZURE_FIREWALL],
  (props, args, report) => {
    const dnat = collectionsOf(props, args).filter((c) => c.kind === "dnat");
    if (dnat.length === 0) args.notApplicable("no DNAT rule collection");
    for (const collection of dnat) {
      for (const [i, rule] of collection.rules.entries()) {
        const open = known(rule, "sourceAddresses").filter(anyAddress);
        if (open.length === 0) continue;
        const target = [
          valueAt(rule, "translatedAddress") ?? valueAt(rule, "translatedFqdn"),
          valueAt(rule, "translatedPort"),
        ]
          .filter((v) => typeof v === "string")
          .join(":");
        const ruleName = named(valueAt(rule, "name"), `rules[${i}]`);
        report(
          `${who(args)} DNAT rule '${collection.name}/${ruleName}' publishes ${target || "an internal address"} to any source (${open.join(", ")}): set sourceAddresses or sourceIpGroups to the networks that need it.`,
        );
      }
    }
  },
);

/** A route, standalone (`network.Route`) or inline in a route table: the two properties the rule reads. */
type RouteProps = Pick<Props<network.RouteArgs>, "addressPrefix" | "nextHopType" | "name">;

export const routeInternetNextHop = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-network-routetable-disallow-internet-next-hop",
    description:
      "Route tables send no traffic straight to the internet (next hop type `Internet`): a workload subnet's internet-bound traffic leaves through the egress firewall, and a more specific `Internet` route would take that traffic around it.",
    severity: "high",
    pci: ["1.3.2", "1.4.2"],
    gdpr: ["32(1)(b)", "44"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      'Send the prefix to the firewall (`nextHopType: "VirtualAppliance"`, `nextHopIpAddress: <firewall private IP>`) and allow the destination in its policy. A subnet Azure requires to reach the internet directly (e.g. Application Gateway v2 with a `0.0.0.0/0` route) gets a dated exemption naming its route table.',
    url: "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#next-hop-types-across-azure-tools",
    config: {
      allowedInternetPrefixes: stringListKnob(
        "Address prefixes or service tags (exact, case-insensitive) a route may send to the Internet next hop.",
        [],
      ),
    },
  },
  [ROUTE_TABLE, ROUTE],
  (props, args, report) => {
    const { allowedInternetPrefixes } = args.getConfig<{ allowedInternetPrefixes: string[] }>();
    let routes: RouteProps[];
    if (args.type === ROUTE) {
      routes = [props as unknown as RouteProps];
    } else {
      requireKnown(props, "routes");
      const inline = valueAt(props, "routes");
      routes = Array.isArray(inline) ? (inline as RouteProps[]) : [];
      if (routes.length === 0) args.notApplicable("the route table declares no inline routes");
    }
    for (const [i, route] of routes.entries()) {
      requireKnown(route, "nextHopType");
      if (!oneOf(valueAt(route, "nextHopType"), ["Internet"])) continue;
      requireKnown(route, "addressPrefix");
      const prefix = valueAt(route, "addressPrefix");
      if (typeof prefix === "string" && oneOf(prefix, allowedInternetPrefixes)) continue;
      const name = args.type === ROUTE ? "" : ` route '${named(valueAt(route, "name"), `routes[${i}]`)}'`;
      report(
        `${who(args)}${name} sends ${typeof prefix === "string" ? prefix : "its prefix"} to the Internet next hop, around the egress firewall: route it to the firewall (VirtualAppliance) instead.`,
      );
    }
  },
);

export const ipGroupAnyAddress = resourcePolicy<network.IpGroupArgs>(
  {
    name: "azure-native-network-ipgroup-disallow-any-address",
    description:
      "IP groups (which firewall rules use as sources and destinations) list networks, not the whole address space: no wildcard, default route, IPv4 prefix under /8 or range as large.",
    severity: "high",
    pci: ["1.2.1", "1.3.2", "1.4.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "List the networks the group stands for in `ipAddresses` (CIDRs or `first-last` ranges of the subnets or partners concerned).",
    url: `${DOCS}/ip-groups`,
  },
  IP_GROUP,
  (props, args, report) => {
    requireKnownElements(props, "ipAddresses");
    const addresses = stringsAt(props, "ipAddresses");
    if (addresses.length === 0) args.notApplicable("the IP group lists no address");
    const open = addresses.filter(anyAddress);
    if (open.length > 0) {
      report(
        `${who(args)} stands for any address (${open.join(", ")}): a firewall rule using it allows anyone; list the networks instead.`,
      );
    }
  },
);

/** A route (inline in a route table, or standalone) that sends a prefix to a virtual appliance's address. */
interface ApplianceRoute {
  readonly owner: PolicyResource;
  /** ` route 'name'` for an inline route, "" for a standalone one (its resource is named). */
  readonly label: string;
  readonly prefix: unknown;
  readonly nextHop: string;
}

function applianceRoutes(resources: readonly PolicyResource[]): ApplianceRoute[] {
  const out: ApplianceRoute[] = [];
  const add = (owner: PolicyResource, route: unknown, label: string) => {
    const nextHop = valueAt(route, "nextHopIpAddress");
    if (sameText(valueAt(route, "nextHopType"), "VirtualAppliance") && typeof nextHop === "string")
      out.push({ owner, label, prefix: valueAt(route, "addressPrefix"), nextHop });
  };
  for (const table of ofType(resources, ROUTE_TABLE)) {
    const routes = valueAt(table.props, "routes");
    if (!Array.isArray(routes)) continue;
    routes.forEach((route, i) => add(table, route, ` route '${named(valueAt(route, "name"), `routes[${i}]`)}'`));
  }
  for (const route of ofType(resources, ROUTE)) add(route, route.props, "");
  return out;
}

/** A subnet's address range: its `addressPrefix`, else its first `addressPrefixes` entry. */
function rangeOf(subnet: unknown): string | undefined {
  const prefix = valueAt(subnet, "addressPrefix") ?? stringsAt(subnet, "addressPrefixes")[0];
  return typeof prefix === "string" ? prefix : undefined;
}

export const routeFirewallNextHop = stackPolicy(
  {
    name: "azure-native-network-routetable-require-firewall-private-ip-next-hop",
    description:
      "A route whose next hop lies in the subnet of one of the stack's Azure Firewalls names that firewall's private IP, the internal load balancer address Azure assigns it: any other address there is not the firewall's load-balanced address, and the subnets using the route lose what it covers (their internet egress, for a default route), with no error at deploy time.",
    severity: "high",
    pci: ["1.3.2"],
    soc2: ["A1.2", "CC6.6"],
    service: "network",
    remediationSteps:
      "Set the route's `nextHopIpAddress` to the firewall's `ipConfigurations[0].privateIPAddress` (`az network firewall show -g <group> -n <firewall> --query \"ipConfigurations[0].privateIPAddress\"`). The platform's egress route takes the firewall subnet's first usable address, where Azure places the firewall (components/platform/network.ts): if Azure assigned another, change it there.",
    // The property's own definition: "The Firewall Internal Load Balancer IP to be used as the next hop in User Defined
    // Routes" (azure-rest-api-specs, network azureFirewall.json, AzureFirewallIPConfigurationPropertiesFormat).
    url: `${DOCS}/tutorial-firewall-deploy-portal#create-a-default-route`,
  },
  (args, report) => {
    const firewalls = ofType(args.resources, AZURE_FIREWALL);
    if (firewalls.length === 0) args.notApplicable("the stack has no Azure Firewall");
    const routes = applianceRoutes(args.resources);
    if (routes.length === 0) args.notApplicable("no route of the stack sends traffic to a virtual appliance");
    const subnets = subnetsById(args.resources);
    let checked = 0;
    for (const firewall of firewalls) {
      const configs = valueAt(firewall.props, "ipConfigurations");
      if (!Array.isArray(configs)) continue;
      for (const config of configs) {
        // Azure assigns the address when it creates the firewall: a first preview cannot decide.
        requireKnown(config, "privateIPAddress");
        requireKnown(config, "subnet", "id");
        const ip = valueAt(config, "privateIPAddress");
        const subnetId = valueAt(config, "subnet", "id");
        const subnet = typeof subnetId === "string" ? subnets.get(subnetId.toLowerCase()) : undefined;
        const range = subnet ? rangeOf(subnet.props) : undefined;
        const bounds = range ? ipv4Range(range) : undefined;
        if (typeof ip !== "string" || !bounds) continue;
        for (const route of routes) {
          const hop = ipv4(route.nextHop);
          if (hop === undefined || hop < bounds.first || hop > bounds.last) continue;
          checked++;
          if (hop === ipv4(ip)) continue;
          report(
            `${who(route.owner)}${route.label} sends ${typeof route.prefix === "string" ? route.prefix : "its prefix"} to ${route.nextHop}, in the subnet of ${who(firewall)} (${range}), whose private IP is ${ip}: that is not the firewall's load-balanced address, so the traffic the route covers is dropped; set nextHopIpAddress to ${ip}.`,
            route.owner.urn,
          );
        }
      }
    }
    if (checked === 0)
      args.notApplicable("no route of the stack has its next hop in the subnet of one of its firewalls");
  },
);

export const egressPolicies: Policies = [
  firewallAllowList,
  firewallDnat,
  routeInternetNextHop,
  routeFirewallNextHop,
  ipGroupAnyAddress,
];
