/**
 * What the egress firewall lets through and what goes around it (PCI DSS 1.2.1, 1.3.2, 1.4.2): the Azure Firewall's
 * allow rules name their sources, destinations and ports (an allow-list, not "anything to anywhere"), its DNAT rules
 * do not publish an internal address to the whole internet, and no route sends traffic straight to the internet past
 * the firewall. GDPR Art. 32(1)(b) and 44 (no unchecked path out of the EU platform).
 */
import type * as network from "@pulumi/azure-native/network";
import type { Policies, ResourceValidationArgs } from "@pulumi/policy";
import { resourcePolicy, stringListKnob, type Props } from "../lib/policy";
import { ipv4Range } from "../lib/network";
import { globMatch, oneOf, requireKnown, requireKnownElements, stringsAt, valueAt, who } from "../lib/values";
import { portRanges } from "./network";

const RULE_COLLECTION_GROUP = "azure-native:network:FirewallPolicyRuleCollectionGroup";
const AZURE_FIREWALL = "azure-native:network:AzureFirewall";
const ROUTE_TABLE = "azure-native:network:RouteTable";
const ROUTE = "azure-native:network:Route";
const DOCS = "https://learn.microsoft.com/azure/firewall";

/** Addresses that mean "any source" or "any destination": wildcards, the default route, IPv4 prefixes under /8. */
export function anyAddress(value: string): boolean {
  if (oneOf(value, ["*", "Any", "Internet", "0.0.0.0", "0.0.0.0/0", "::/0"])) return true;
  const range = ipv4Range(value);
  return range !== undefined && value.includes("/") && range.prefix < 8;
}

/** An FQDN (or URL) pattern matching any name, or every name of a top-level domain (`*`, `*.com`). */
export function anyFqdn(value: string): boolean {
  const host = value
    .trim()
    .replace(/^[a-z]+:\/\//i, "")
    .split("/")[0];
  return host === "*" || /^\*\.[^.]*$/.test(host) || host === "";
}

/** Whether a port list (`"443"`, `"1024-65535"`, `"*"`) opens every port. */
export function allPorts(ports: readonly string[]): boolean {
  return ports.some((p) => portRanges(p).some(([lo, hi]) => lo <= 1 && hi >= 65535));
}

interface RuleShape {
  readonly ruleType?: unknown;
  readonly sourceAddresses?: unknown;
  readonly sourceIpGroups?: unknown;
  readonly destinationAddresses?: unknown;
  readonly destinationFqdns?: unknown;
  readonly destinationPorts?: unknown;
  readonly targetFqdns?: unknown;
  readonly targetUrls?: unknown;
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

/** What makes one allow rule broader than an allow-list entry: each reason a phrase for the message. */
export function broadAllowReasons(rule: RuleShape, broadDestinations: readonly string[]): string[] {
  const reasons: string[] = [];
  const sources = known(rule, "sourceAddresses");
  const anySource = sources.filter(anyAddress);
  if (anySource.length > 0) reasons.push(`any source (${anySource.join(", ")})`);
  const destinations = known(rule, "destinationAddresses");
  const anyDestination = destinations.filter((d) => anyAddress(d) || broadDestinations.some((p) => globMatch(p, d)));
  if (anyDestination.length > 0) reasons.push(`any destination (${anyDestination.join(", ")})`);
  const fqdns = [...known(rule, "destinationFqdns"), ...known(rule, "targetFqdns"), ...known(rule, "targetUrls")];
  const anyName = fqdns.filter(anyFqdn);
  if (anyName.length > 0) reasons.push(`any name (${anyName.join(", ")})`);
  const categories = known(rule, "webCategories");
  if (categories.length > 0) reasons.push(`whole web categories (${categories.join(", ")})`);
  const ports = known(rule, "destinationPorts");
  if (ports.length > 0 && allPorts(ports)) reasons.push(`every port (${ports.join(", ")})`);
  return reasons;
}

const broadDestinationsKnob = {
  broadDestinations: stringListKnob(
    "Destination addresses (globs, case-insensitive) that count as 'anywhere' besides wildcards, the default route and prefixes under /8: service tags covering every Azure public address of every tenant.",
    ["AzureCloud", "AzureCloud.*"],
  ),
};

export const firewallAllowList = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-network-firewallpolicyrulecollectiongroup-disallow-broad-allow-rule",
    description:
      "Azure Firewall allow rules (in a firewall policy's rule collection groups, or a classic firewall's rule collections) name their sources, destinations and ports: no rule allows any source, any destination, any FQDN, a whole web category or every port.",
    severity: "high",
    pci: ["1.2.1", "1.3.2", "1.4.2"],
    gdpr: ["32(1)(b)", "44"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      'In each Allow rule collection, list the subnets the traffic comes from (`sourceAddresses` or `sourceIpGroups`), the destinations it needs (service tags such as `AzureActiveDirectory`, prefixes, or exact FQDNs in `targetFqdns`/`destinationFqdns`) and the ports (`destinationPorts: ["443"]`); deny everything else by leaving it out.',
    url: `${DOCS}/rule-processing`,
    config: broadDestinationsKnob,
  },
  [RULE_COLLECTION_GROUP, AZURE_FIREWALL],
  (props, args, report) => {
    const { broadDestinations } = args.getConfig<{ broadDestinations: string[] }>();
    const allow = collectionsOf(props, args).filter((c) => c.kind === "allow");
    if (allow.length === 0) args.notApplicable("no allow rule collection");
    for (const collection of allow) {
      for (const [i, rule] of collection.rules.entries()) {
        const reasons = broadAllowReasons(rule, broadDestinations);
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

export const egressPolicies: Policies = [firewallAllowList, firewallDnat, routeInternetNextHop];
