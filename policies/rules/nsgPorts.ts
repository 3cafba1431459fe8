/**
 * Every port from the whole network: an NSG rule that admits a network-wide source (the `VirtualNetwork` service tag,
 * which takes in peered networks and, through a hub's gateway, on-premises ranges; or an open source) on every port
 * admits far more than what its destinations need (PCI DSS 1.2.1 and 1.3.1: inbound traffic to the CDE restricted to
 * what is necessary, each allowed service and port with a business need). The platform names each subnet's ports
 * (components/platform/subnets.ts, lib/privateLink.ts) and lets only a subnet's own range in on every port.
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import { checkExemption, exemptionSchema } from "../lib/exemptions";
import { anyAddress, ipv4Range, subnetsById } from "../lib/network";
import { ofType, refersTo, requirePlaced, resourcePolicy, stackPolicy } from "../lib/policy";
import {
  globMatch,
  oneOf,
  presence,
  requireId,
  requireKnown,
  sameText,
  show,
  stringsAt,
  valueAt,
  who,
} from "../lib/values";
import { destinationPorts, OPEN_SOURCES, openSourcesOf, portRanges, securityRulesOf } from "./network";

const NSG = "azure-native:network:NetworkSecurityGroup";
const SECURITY_RULE = "azure-native:network:SecurityRule";
const NIC = "azure-native:network:NetworkInterface";
const VNET = "azure-native:network:VirtualNetwork";
const SUBNET = "azure-native:network:Subnet";
/** Protocols without ports (ICMP, ESP, AH): an "every port" rule of theirs means nothing more. */
const PORTLESS = ["Icmp", "Esp", "Ah"];
/**
 * "Every port": all of 1–65535 but at most this many, however the ranges are split (`2-65535`, `1-32767` +
 * `32768-65535`). SQL's redirect range through a private endpoint, 1433–65535, leaves out 1,432 and passes.
 */
export const EVERY_PORT_SLACK = 1024;
/** A CIDR this wide (a /16, a whole VNet's range) or wider is network-wide, like the `VirtualNetwork` tag. */
export const BROAD_PREFIX = 16;

/** How many of the ports 1–65535 the ranges leave out (overlaps merged). */
export function portsLeftOut(ranges: readonly (readonly [number, number])[]): number {
  const sorted = ranges
    .map(([lo, hi]) => [Math.max(1, lo), Math.min(65535, hi)] as const)
    .filter(([lo, hi]) => lo <= hi)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let end = 0;
  for (const [lo, hi] of sorted) {
    if (hi <= end) continue;
    covered += hi - Math.max(lo, end + 1) + 1;
    end = hi;
  }
  return 65535 - covered;
}

/** Whether a source stands for a whole network or more: a broad tag (regional too: `AzureCloud.WestEurope`), `*`, or a wide CIDR. */
function isBroad(source: string, broadSources: readonly string[]): boolean {
  if (oneOf(source, broadSources) || anyAddress(source)) return true;
  const range = ipv4Range(source);
  if (range !== undefined) return source.includes("/") && range.prefix <= BROAD_PREFIX;
  return source.includes(".") && oneOf(source.split(".")[0], broadSources);
}

/** What both rules protect: network segmentation of the CDE (PCI DSS 1.2.1, 1.3.1; GDPR Art. 25, 32). */
const SEGMENTATION = {
  severity: "high",
  pci: ["1.2.1", "1.3.1"],
  gdpr: ["25", "32(1)(b)"],
  soc2: ["CC6.6"],
  service: "network",
} as const;

export const nsgAllPortsInbound = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-network-networksecuritygroup-disallow-all-ports-inbound",
    description:
      "Network security group rules that allow inbound traffic from a network-wide source (the VirtualNetwork service tag, which takes in peered networks and on-premises ranges, a /16 or wider range, or any open source) name the ports their destinations need, never every port (or all but a thousand of them).",
    ...SEGMENTATION,
    remediationSteps:
      "Set `destinationPortRange(s)` to the ports the destination's services take (components/platform/subnets.ts, lib/privateLink.ts), or narrow the source to the range that needs every port (a subnet's own range, for its resources among themselves); list a deliberate exception in `allowedRules` with the reason.",
    url: "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#security-rules",
    config: {
      broadSources: {
        type: "array",
        items: { type: "string" },
        default: ["VirtualNetwork", ...OPEN_SOURCES],
        description: "Sources that stand for a whole network or more (service tags, `*`, `0.0.0.0/0`).",
      },
      allowedRules: {
        ...exemptionSchema,
        description:
          "Rules (`<NSG's Azure name pattern>/<rule name pattern>`, `*` wildcard, each with a reason) that may admit a network-wide source on every port (none by default).",
      },
    },
  },
  [NSG, SECURITY_RULE],
  (props, args, report) => {
    const { broadSources, allowedRules } = args.getConfig<{
      broadSources: string[];
      allowedRules: { pattern: string; reason: string }[];
    }>();
    // The NSG's Azure name, for an NSG and a standalone rule alike (its logical name when not known).
    const nsgName = typeof props.networkSecurityGroupName === "string" ? props.networkSecurityGroupName : args.name;
    securityRulesOf(props, args.type).forEach((rule, i) => {
      if (!sameText(rule.direction, "Inbound") || !sameText(rule.access, "Allow")) return;
      if (oneOf(rule.protocol, PORTLESS)) return;
      const sources = [rule.sourceAddressPrefix, ...(rule.sourceAddressPrefixes ?? [])].filter(
        (s): s is string => typeof s === "string",
      );
      const broad = sources.filter((s) => isBroad(s, broadSources));
      if (broad.length === 0) return;
      const ports = destinationPorts(rule);
      if (portsLeftOut(portRanges(ports)) > EVERY_PORT_SLACK) return;
      const ruleName = String(rule.name ?? (args.type === NSG ? i : args.name));
      const allowed = allowedRules.some(
        (a) =>
          typeof a.reason === "string" &&
          a.reason.trim().length >= 10 &&
          globMatch(a.pattern, `${nsgName}/${ruleName}`),
      );
      if (allowed) return;
      report(
        `${who(args)} ${args.type === NSG ? `securityRules '${ruleName}'` : "rule"} allows inbound ${String(rule.protocol)} from ${broad.map(show).join(", ")} on every port (${show(ports)}): name the ports its destinations need, or narrow the source (allowedRules takes a deliberate exception with its reason).`,
      );
    });
  },
);

const PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint";
/** The values that apply a subnet's NSG to its private endpoints (VirtualNetworkPrivateEndpointNetworkPolicies). */
const NSG_APPLIES = ["Enabled", "NetworkSecurityGroupEnabled"];

export const privateEndpointSubnetPolicies = stackPolicy(
  {
    name: "azure-native-network-subnet-require-private-endpoint-network-policies",
    description:
      "A subnet that hosts private endpoints applies its network security group to them (privateEndpointNetworkPolicies Enabled or NetworkSecurityGroupEnabled): otherwise Azure leaves the endpoints outside the NSG, and its rules (the services' ports, a restricted endpoint's sources) do not apply to them.",
    ...SEGMENTATION,
    remediationSteps:
      'Set `privateEndpointNetworkPolicies: "Enabled"` (or `"NetworkSecurityGroupEnabled"`) on the subnet that hosts private endpoints (`network.VirtualNetwork.subnets[]` or `network.Subnet`), with an NSG on it.',
    url: "https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy",
  },
  (args, report) => {
    const endpoints = ofType(args.resources, PRIVATE_ENDPOINT);
    if (endpoints.length === 0) args.notApplicable("the stack declares no private endpoint");
    const subnets = subnetsById(args.resources);
    // Subnets by the endpoints each hosts (an endpoint whose subnet is not known yet, or not the stack's, is skipped).
    const hosting = new Map<string, PolicyResource[]>();
    for (const pe of endpoints) {
      const id = valueAt(pe.props, "subnet", "id");
      if (typeof id !== "string" || !subnets.has(id.toLowerCase())) continue;
      hosting.set(id.toLowerCase(), [...(hosting.get(id.toLowerCase()) ?? []), pe]);
    }
    if (hosting.size === 0)
      args.notApplicable(
        "no private endpoint's subnet is known to be one of the stack's yet (a first preview): decided once deployed",
      );
    for (const [id, pes] of hosting) {
      const subnet = subnets.get(id);
      const policies = subnet ? valueAt(subnet.props, "privateEndpointNetworkPolicies") : undefined;
      if (!subnet || oneOf(policies, NSG_APPLIES)) continue;
      report(
        `${who(subnet.owner)} subnet '${subnet.name}' hosts ${pes.length} private endpoint(s) (${pes
          .slice(0, 3)
          .map((p) => p.name)
          .join(
            ", ",
          )}${pes.length > 3 ? ", ..." : ""}) but leaves them outside its NSG (privateEndpointNetworkPolicies ${show(policies ?? "unset: Disabled by default")}): set it to "Enabled".`,
        subnet.owner.urn,
      );
    }
  },
);

const APP_GATEWAY = "azure-native:network:ApplicationGateway";

/**
 * Whether a standalone security rule belongs to `nsg`: its `networkSecurityGroupName` is a path parameter, not an
 * output, so once deployed its id (`<nsg id>/securityRules/<name>`) places it, and before, the dependency the engine
 * recorded when the name came from the NSG.
 */
const ruleOf = (rule: PolicyResource, nsg: PolicyResource): boolean =>
  refersTo(rule, nsg, {
    properties: ["networkSecurityGroupName"],
    byName: { nameKeys: ["networkSecurityGroupName"] },
  });

/**
 * The stack's standalone security rules placed on their NSG. One that `matters` to the rule, created in a first
 * preview with its NSG's name written out, belongs to no NSG the rule can name: undecided then (`requirePlaced`).
 */
function placedRules(
  resources: readonly PolicyResource[],
  nsgs: readonly PolicyResource[],
  matters: (rule: PolicyResource) => boolean,
) {
  const rules = ofType(resources, SECURITY_RULE);
  requirePlaced(rules.filter(matters), (rule) => nsgs.some((n) => ruleOf(rule, n)), "networkSecurityGroupName");
  return new Map(nsgs.map((n) => [n, rules.filter((rule) => ruleOf(rule, n))]));
}

/**
 * The NSG rule's exception for the gateway's listener (`allowedPublicInbound`'s default) is bound to an NSG by its
 * name (`*agw*`), which says nothing of where the NSG is attached: an NSG so named on a data subnet would take internet
 * traffic with the exception's blessing (policy review N6). This rule looks at the attachment: an NSG that admits an
 * open source (the internet, `*`, `AzureCloud`...) is attached only to subnets that host an Application Gateway, or to
 * subnets listed with a reason, and to no network interface.
 */
export const openInboundPlacement = stackPolicy(
  {
    name: "azure-native-network-networksecuritygroup-require-open-inbound-on-gateway-subnet",
    description:
      "A network security group that allows inbound traffic from an open source (the internet, any address, AzureCloud) is attached only to subnets that host an Application Gateway (or listed with a reason), never to a network interface: whatever its name, an NSG that admits the internet on a data or compute subnet or a VM's interface exposes what runs there.",
    ...SEGMENTATION,
    pci: ["1.3.1", "1.4.1", "1.4.2"],
    remediationSteps:
      "Attach the NSG with the internet-facing rule to the Application Gateway's subnet only, and give every other subnet an NSG without it; a subnet that must take internet traffic for another reason (e.g. `AzureBastionSubnet`) goes in `allowedSubnets` with the reason.",
    url: "https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure#network-security-groups",
    config: {
      allowedSubnets: {
        ...exemptionSchema,
        description:
          "Subnets (name pattern, `*` wildcard, each with a reason) that may carry an NSG admitting an open source besides those hosting an Application Gateway (none by default).",
      },
    },
  },
  (args, report) => {
    const { allowedSubnets } = args.getConfig<{ allowedSubnets: { pattern: string; reason: string }[] }>();
    const open = ofType(args.resources, NSG).filter((nsg) =>
      securityRulesOf(nsg.props, NSG).some(
        (rule) =>
          sameText(rule.direction, "Inbound") &&
          sameText(rule.access, "Allow") &&
          openSourcesOf(rule, OPEN_SOURCES).length > 0,
      ),
    );
    // A standalone rule's NSG counts as open too.
    const admitsOpen = (rule: PolicyResource) => {
      const [r] = securityRulesOf(rule.props, SECURITY_RULE);
      return (
        sameText(r.direction, "Inbound") && sameText(r.access, "Allow") && openSourcesOf(r, OPEN_SOURCES).length > 0
      );
    };
    for (const [nsg, standalone] of placedRules(args.resources, ofType(args.resources, NSG), admitsOpen))
      if (standalone.some(admitsOpen) && !open.includes(nsg)) open.push(nsg);
    if (open.length === 0) args.notApplicable("no network security group of the stack admits an open source");
    const gatewaySubnets = new Set(
      ofType(args.resources, APP_GATEWAY).flatMap((g) => {
        const configs = valueAt(g.props, "gatewayIPConfigurations");
        return (Array.isArray(configs) ? configs : [])
          .map((c) => valueAt(c, "subnet", "id"))
          .filter((id): id is string => typeof id === "string")
          .map((id) => id.toLowerCase());
      }),
    );
    // A VNet or subnet created in a first preview has no id yet, nor its subnets: undecided until they are known.
    for (const owner of [...ofType(args.resources, VNET), ...ofType(args.resources, SUBNET)]) requireId(owner.props);
    const subnets = [...subnetsById(args.resources)];
    for (const nsg of open) {
      // Unknown in a first preview (a new NSG, or a subnet taking one): undecided until both are known.
      requireId(nsg.props);
      const nsgId = valueAt(nsg.props, "id");
      if (typeof nsgId !== "string") continue;
      for (const [subnetId, subnet] of subnets) {
        if (presence(subnet.props, "networkSecurityGroup", "id") === "unknown")
          requireKnown(subnet.props, "networkSecurityGroup", "id");
        if (!sameText(valueAt(subnet.props, "networkSecurityGroup", "id"), nsgId)) continue;
        if (gatewaySubnets.has(subnetId)) continue;
        if (checkExemption(allowedSubnets, subnet.name) !== undefined) continue;
        report(
          `${who(nsg)} admits an open source inbound and is attached to subnet '${subnet.name}' of ${who(subnet.owner)}, which hosts no Application Gateway: attach it to the gateway's subnet only (another subnet takes an NSG without the internet rule), or list the subnet in allowedSubnets with the reason.`,
          nsg.urn,
        );
      }
      // A network interface never hosts an Application Gateway: the stack's interfaces naming the NSG, and those Azure
      // lists on a deployed NSG (`networkInterfaces`, attachments made outside the stack too).
      const nics = new Set<string>();
      for (const nic of ofType(args.resources, NIC)) {
        if (presence(nic.props, "networkSecurityGroup", "id") === "unknown")
          requireKnown(nic.props, "networkSecurityGroup", "id");
        if (!sameText(valueAt(nic.props, "networkSecurityGroup", "id"), nsgId)) continue;
        const id = valueAt(nic.props, "id");
        nics.add(typeof id === "string" ? id.toLowerCase() : who(nic));
      }
      const listed = valueAt(nsg.props, "networkInterfaces");
      for (let i = 0; i < (Array.isArray(listed) ? listed.length : 0); i++) {
        const id = valueAt(listed, String(i), "id");
        if (typeof id === "string") nics.add(id.toLowerCase());
      }
      for (const nic of nics)
        report(
          `${who(nsg)} admits an open source inbound and is attached to network interface ${nic}, which hosts no Application Gateway: give the interface an NSG without the internet rule.`,
          nsg.urn,
        );
    }
  },
);

/**
 * Destinations that mean the whole internet: `*`, `Internet`, the default route and ranges as wide (no ASG either),
 * read without tripping the unknown-checking proxy; `unknown` when a destination is another resource's output.
 */
function openDestinations(rule: unknown): { open: string[]; unknown: boolean } {
  const values: string[] = [];
  let unknown = presence(rule, "destinationAddressPrefix") === "unknown";
  const one = valueAt(rule, "destinationAddressPrefix");
  if (typeof one === "string") values.push(one);
  const list = valueAt(rule, "destinationAddressPrefixes");
  for (let i = 0; i < (Array.isArray(list) ? list.length : 0); i++) {
    if (presence(list, String(i)) === "unknown") unknown = true;
    const v = valueAt(list, String(i));
    if (typeof v === "string") values.push(v);
  }
  const groups = presence(rule, "destinationApplicationSecurityGroups") !== "absent";
  if (values.length === 0 && !groups && !unknown) return { open: ["*"], unknown };
  return { open: values.filter((d) => anyAddress(d) || oneOf(d, ["Internet"])), unknown };
}

/**
 * An NSG's outbound allow-list ends with a deny of the internet (the ML compute subnet's: lib/mlEgress.ts); an allow to
 * the whole internet at a higher priority (a lower number) empties it for its ports, silently, since Azure applies the
 * first rule that matches (virtual-network/network-security-group-how-it-works). The firewall route still filters the
 * traffic; the subnet's own allow-list, its first line, no longer does (PCI DSS 1.3.2, 1.4.1: defence in depth).
 */
export const shadowedOutboundDeny = stackPolicy(
  {
    name: "azure-native-network-networksecuritygroup-disallow-shadowed-outbound-deny",
    description:
      "A network security group that denies outbound traffic to the internet has no outbound allow to the whole internet (`Internet`, `*`, 0.0.0.0/0) at a higher priority: Azure applies the first matching rule, so such an allow empties the deny, and the subnet's outbound allow-list with it, for its ports.",
    ...SEGMENTATION,
    pci: ["1.3.2", "1.4.1"],
    remediationSteps:
      "Remove the outbound allow to the internet, or narrow it to the service tags or addresses the subnet needs (as the allow-list above the deny does); a rule below the deny (a higher number) changes nothing.",
    url: "https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works",
  },
  (args, report) => {
    const nsgs = ofType(args.resources, NSG);
    const standalone = placedRules(args.resources, nsgs, (r) => sameText(valueAt(r.props, "direction"), "Outbound"));
    let checked = 0;
    for (const nsg of nsgs) {
      const inline = valueAt(nsg.props, "securityRules");
      const rules: { props: unknown; name: string }[] = [];
      for (let i = 0; i < (Array.isArray(inline) ? inline.length : 0); i++)
        rules.push({ props: valueAt(inline, String(i)), name: String(valueAt(inline, String(i), "name") ?? i) });
      for (const r of standalone.get(nsg) ?? [])
        rules.push({ props: r.props, name: String(valueAt(r.props, "name") ?? r.name) });
      const outbound = rules.filter((r) => sameText(valueAt(r.props, "direction"), "Outbound"));
      const denies = outbound.filter(
        (r) => sameText(valueAt(r.props, "access"), "Deny") && openDestinations(r.props).open.length > 0,
      );
      if (denies.length === 0) continue;
      checked++;
      const priority = (r: { props: unknown }) => Number(valueAt(r.props, "priority"));
      const first = denies.reduce((x, y) => (priority(y) < priority(x) ? y : x));
      for (const rule of outbound) {
        if (!sameText(valueAt(rule.props, "access"), "Allow") || !(priority(rule) < priority(first))) continue;
        const { open, unknown } = openDestinations(rule.props);
        // An allow above the deny whose destination is another resource's output: the deployed view decides.
        if (open.length === 0 && unknown) requireKnown(rule.props, "destinationAddressPrefix");
        if (open.length === 0) continue;
        const ports = [valueAt(rule.props, "destinationPortRange"), ...stringsAt(rule.props, "destinationPortRanges")]
          .filter((x) => typeof x === "string")
          .join(", ");
        report(
          `${who(nsg)} outbound rule '${rule.name}' (priority ${priority(rule)}) allows ${open.join(", ")} on port(s) ${ports || "*"} above its deny-to-internet rule '${first.name}' (priority ${priority(first)}): the deny no longer holds for those ports; allow the service tags or addresses needed instead.`,
          nsg.urn,
        );
      }
    }
    if (checked === 0)
      args.notApplicable("no network security group of the stack denies outbound traffic to the internet");
  },
);

export const nsgPortPolicies: Policies = [
  nsgAllPortsInbound,
  privateEndpointSubnetPolicies,
  openInboundPlacement,
  shadowedOutboundDeny,
];
