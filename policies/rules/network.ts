/**
 * Network segmentation and the internet edge: subnets and NSGs (PCI DSS 1.2–1.4), the Application Gateway WAF_v2 with
 * its WAF policy and TLS policy (6.4.1/6.4.2, 4.2.1), the Azure Firewall policy (11.5.1), and private endpoints for
 * every data service (1.3.1, 1.4.4), virtual network peerings with approved networks only (1.2.2, 1.2.3). GDPR Art. 25
 * (data protection by design) and 32.
 */
import type { Policies, PolicyConfigSchema, ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import type * as network from "@pulumi/azure-native/network";
import { listPointsAt, ofType, resourcePolicy, stackPolicy, type Props } from "../lib/policy";
import { inStacks } from "../lib/scope";
import { typeIn } from "../lib/typeToken";
import { anyAddress, ipv4Range } from "../lib/network";
import {
  globMatch,
  isSet,
  oneOf,
  presence,
  requireKnown,
  requireKnownElements,
  sameText,
  show,
  stringsAt,
  valueAt,
  who,
} from "../lib/values";

const SUBNET = "azure-native:network:Subnet";
const VNET = "azure-native:network:VirtualNetwork";
const NSG = "azure-native:network:NetworkSecurityGroup";
const SECURITY_RULE = "azure-native:network:SecurityRule";
const APP_GATEWAY = "azure-native:network:ApplicationGateway";
const WAF_POLICY = "azure-native:network:WebApplicationFirewallPolicy";
const FIREWALL_POLICY = "azure-native:network:FirewallPolicy";
const AZURE_FIREWALL = "azure-native:network:AzureFirewall";
const PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint";

// ---------------------------------------------------------------------------------------------------------------
// Subnets (standalone `network.Subnet` and inline `network.VirtualNetwork.subnets[*]`)
// ---------------------------------------------------------------------------------------------------------------

/** Azure-managed subnets that must not (or need not) carry an NSG or a default-outbound setting. */
export const EXEMPT_SUBNETS = [
  "GatewaySubnet",
  "AzureFirewallSubnet",
  "AzureFirewallManagementSubnet",
  "AzureBastionSubnet",
  "RouteServerSubnet",
];

type SubnetProps = Props<network.SubnetArgs>;
type InlineSubnet = NonNullable<Props<network.VirtualNetworkArgs>["subnets"]>[number];

const exemptSubnetsKnob: PolicyConfigSchema["properties"] = {
  exemptSubnetNames: {
    type: "array",
    items: { type: "string" },
    default: EXEMPT_SUBNETS,
    description:
      "Subnet names (exact, case-insensitive) the rule skips: Azure-managed gateway/firewall/bastion subnets.",
  },
};

/**
 * The subnets a Subnet or VirtualNetwork declares, with their Azure names. A standalone subnet without `subnetName`
 * is auto-named from its Pulumi name. A VNet without inline subnets is not applicable (its subnets are standalone).
 */
function subnetsOf(
  props: Record<string, unknown>,
  args: ResourceValidationArgs,
): { name: string; subnet: SubnetProps | InlineSubnet }[] {
  const exempt = args.getConfig<{ exemptSubnetNames: string[] }>().exemptSubnetNames;
  if (args.type === SUBNET) {
    const subnet = props as SubnetProps;
    const name = typeof subnet.subnetName === "string" ? subnet.subnetName : args.name;
    if (oneOf(name, exempt)) args.notApplicable(`subnet '${name}' is in exemptSubnetNames`);
    return [{ name, subnet }];
  }
  const subnets = (props as Props<network.VirtualNetworkArgs>).subnets ?? [];
  if (subnets.length === 0) args.notApplicable("the virtual network defines no inline subnets");
  return subnets
    .map((subnet, i) => ({ name: typeof subnet.name === "string" ? subnet.name : `subnets[${i}]`, subnet }))
    .filter((s) => !oneOf(s.name, exempt));
}

export const subnetNsg = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-network-subnet-missing-network-security-group",
    description:
      "Every subnet (standalone or inline in a virtual network), except Azure-managed gateway, firewall and bastion subnets, has a network security group.",
    severity: "high",
    pci: ["1.2.5", "1.3.1", "1.4.1"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "Set `networkSecurityGroup: { id: <nsg.id> }` on the subnet (on `network.Subnet`, or on the entry in `network.VirtualNetwork.subnets`); Azure-managed subnets are listed in `exemptSubnetNames`.",
    url: "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview",
    config: exemptSubnetsKnob,
  },
  [SUBNET, VNET],
  (props, args, report) => {
    for (const { name, subnet } of subnetsOf(props, args)) {
      // networkSecurityGroup absent = no NSG. An unknown id (the NSG's output during preview) counts as set.
      if (!isSet(subnet.networkSecurityGroup, "id")) {
        report(`${who(args)} subnet '${name}' has no NSG: set networkSecurityGroup.id.`);
      }
    }
  },
);

export const subnetDefaultOutbound = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-network-subnet-disable-default-outbound-access",
    description:
      "Subnets disable Azure's implicit default outbound internet access, so outbound traffic leaves only through the firewall or a NAT gateway that the program declares.",
    severity: "medium",
    pci: ["1.3.2", "1.4.1"],
    gdpr: ["32(1)(b)", "44"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "Set `defaultOutboundAccess: false` on every subnet (it can only be set when the subnet is created) and route egress through the Azure Firewall (`routeTable`) or a NAT gateway.",
    url: "https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access",
    config: exemptSubnetsKnob,
  },
  [SUBNET, VNET],
  (props, args, report) => {
    for (const { name, subnet } of subnetsOf(props, args)) {
      // Absent = true (Azure's default for subnets created with current API versions).
      if (subnet.defaultOutboundAccess !== false) {
        report(`${who(args)} subnet '${name}' has default outbound access: set defaultOutboundAccess to false.`);
      }
    }
  },
);

// ---------------------------------------------------------------------------------------------------------------
// NSG rules (inline `NetworkSecurityGroup.securityRules[*]` and standalone `SecurityRule`)
// ---------------------------------------------------------------------------------------------------------------

/** An exception to the inbound rule: `ports` ("443", "80,443", "65200-65535") from `source` on matching NSGs. */
export interface AllowedInbound {
  /** Open source the entry allows (`Internet`, `*`, ...); absent or `*` = any open source. */
  readonly source?: string;
  readonly ports: string;
  /** `Tcp`, `Udp`, ...; absent = any protocol. */
  readonly protocol?: string;
  /** Glob over the NSG's Pulumi or Azure name; absent = every NSG. */
  readonly nsgNamePattern?: string;
  readonly reason?: string;
}

/**
 * Sources that mean "anyone". `AzureCloud` is every Azure datacenter's public address space, any tenant's VMs
 * included (virtual-network/service-tags-overview.md): as open as the internet for a data store.
 */
export const OPEN_SOURCES = ["*", "Internet", "Any", "0.0.0.0/0", "0.0.0.0", "::/0", "::", "AzureCloud"];

const openSourcesKnob: PolicyConfigSchema["properties"][string] = {
  type: "array",
  items: { type: "string" },
  default: OPEN_SOURCES,
  description:
    "Source prefixes that mean 'anyone' (compared case-insensitively; a service tag also covers its regional tags, e.g. AzureCloud.WestEurope).",
};

/**
 * App Gateway v2 needs its listener port open to the internet on its own subnet's NSG. Its other requirement, TCP
 * 65200-65535 from the `GatewayManager` service tag, is not an open source, so it needs no entry. Port 80 has none:
 * the gateways have no HTTP listener (azure-native-network-applicationgateway-disallow-http-listener); a stack that
 * allows redirect-only ones (`allowHttpRedirect`) adds port 80 here too. The name pattern says nothing of where the
 * NSG is attached: nsgPorts.ts's `…-require-open-inbound-on-gateway-subnet` checks that.
 */
export const DEFAULT_ALLOWED_INBOUND: AllowedInbound[] = [
  {
    source: "Internet",
    ports: "443",
    protocol: "Tcp",
    nsgNamePattern: "*agw*",
    reason: "App Gateway v2 HTTPS listener",
  },
];

type Range = [number, number];

/** Port ranges of "*", "443", "1000-2000" or a comma-separated list; unparseable text means all ports. */
export function portRanges(text: string): Range[] {
  return text
    .split(",")
    .map((p) => p.trim())
    .map((p): Range => {
      if (p === "*" || p === "") return [0, 65535];
      const m = /^(\d+)(?:-(\d+))?$/.exec(p);
      if (!m) return [0, 65535];
      return [Number(m[1]), Number(m[2] ?? m[1])];
    });
}

function covered(ranges: Range[], allowed: Range[]): boolean {
  return ranges.every(([lo, hi]) => allowed.some(([alo, ahi]) => lo >= alo && hi <= ahi));
}

export type RuleProps =
  Props<network.SecurityRuleArgs> | NonNullable<Props<network.NetworkSecurityGroupArgs>["securityRules"]>[number];

interface RuleConfig {
  openSources: string[];
  allowedPublicInbound: AllowedInbound[];
}

/** The rule's sources that mean "anyone". */
export function openSourcesOf(rule: RuleProps, openSources: readonly string[]): string[] {
  const sources = [rule.sourceAddressPrefix, ...(rule.sourceAddressPrefixes ?? [])].filter(
    (s): s is string => typeof s === "string",
  );
  // No prefix and no application security group: Azure rejects it; treat it as "any source" to be safe.
  if (sources.length === 0 && (rule.sourceApplicationSecurityGroups ?? []).length === 0) sources.push("*");
  // A regional service tag (`AzureCloud.WestEurope`) is as open as its tag; so is a CIDR wider than /8, and a set of
  // CIDRs that together cover a quarter of the IPv4 space or more (0.0.0.0/1 + 128.0.0.0/1 is 0.0.0.0/0 split).
  const tagged = (s: string) =>
    oneOf(s, openSources) || (s.includes(".") && !ipv4Range(s) && oneOf(s.split(".")[0], openSources));
  const cidrs = sources.filter((s) => s.includes("/") && ipv4Range(s) !== undefined && !anyAddress(s));
  const together = cidrs.reduce((n, s) => n + 2 ** (32 - (ipv4Range(s)?.prefix ?? 32)), 0);
  return sources.filter((s) => tagged(s) || anyAddress(s) || (together >= 2 ** 30 && cidrs.includes(s)));
}

/** The rule's destination ports as one text ("22,3389", "1000-2000"); no destination port = all ports ("*"). */
export function destinationPorts(rule: RuleProps): string {
  const portTexts = [rule.destinationPortRange, ...(rule.destinationPortRanges ?? [])].filter(
    (p): p is string => typeof p === "string",
  );
  return portTexts.length === 0 ? "*" : portTexts.join(",");
}

/** The security rules a resource carries: an NSG's inline rules, or the standalone rule itself. */
export function securityRulesOf(props: unknown, type: string): RuleProps[] {
  return type === NSG
    ? ((props as Props<network.NetworkSecurityGroupArgs>).securityRules ?? [])
    : [props as Props<network.SecurityRuleArgs>];
}

/** The violation message for one rule, or undefined when it is not an open inbound allow (or is allowed). */
function openInbound(rule: RuleProps, nsgNames: string[], cfg: RuleConfig): string | undefined {
  if (!sameText(rule.direction, "Inbound") || !sameText(rule.access, "Allow")) return undefined;
  const open = openSourcesOf(rule, cfg.openSources);
  if (open.length === 0) return undefined;
  const ports = destinationPorts(rule);
  const ranges = portRanges(ports);
  const allowedFor = (source: string) =>
    cfg.allowedPublicInbound.some(
      (e) =>
        (e.source === undefined || e.source === "*" || sameText(e.source, source)) &&
        (e.protocol === undefined || sameText(e.protocol, String(rule.protocol))) &&
        (e.nsgNamePattern === undefined || nsgNames.some((n) => globMatch(e.nsgNamePattern as string, n))) &&
        covered(ranges, portRanges(e.ports)),
    );
  const bad = open.filter((s) => !allowedFor(s));
  if (bad.length === 0) return undefined;
  return `allows inbound ${rule.protocol} from '${bad.join("', '")}' to port(s) ${ports}: restrict sourceAddressPrefix(es) to known ranges or service tags, or add an allowedPublicInbound config entry`;
}

export const nsgPublicInbound = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-network-networksecuritygroup-disallow-public-inbound",
    description:
      "Network security group rules do not allow inbound traffic from any source or the internet, except the configured exceptions (by default HTTPS to the Application Gateway subnet).",
    severity: "critical",
    pci: ["1.3.1", "1.4.2", "2.2.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "On Inbound Allow rules, replace `sourceAddressPrefix` `*`/`Internet`/`0.0.0.0/0` with specific CIDRs, service tags (e.g. `GatewayManager`, `AzureLoadBalancer`, `VirtualNetwork`) or application security groups; list deliberate exceptions in `allowedPublicInbound`.",
    url: "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#security-rules",
    config: {
      openSources: openSourcesKnob,
      allowedPublicInbound: {
        type: "array",
        items: {
          type: "object",
          properties: {
            source: { type: "string" },
            ports: { type: "string", minLength: 1 },
            protocol: { type: "string" },
            nsgNamePattern: { type: "string" },
            reason: { type: "string" },
          },
          required: ["ports"],
          additionalProperties: false,
        },
        default: DEFAULT_ALLOWED_INBOUND,
        description: "Allowed exceptions: ports from an open source on NSGs whose name matches nsgNamePattern.",
      },
    },
  },
  [NSG, SECURITY_RULE],
  (props, args, report) => {
    const cfg = args.getConfig<RuleConfig>();
    // The NSG's names an exception's pattern may match: a standalone SecurityRule's own name never counts (a rule
    // named `agw-https-in` on the data subnet's NSG is not the gateway's).
    const nsgName = props.networkSecurityGroupName;
    const nsgNames = [...(args.type === NSG ? [args.name] : []), ...(typeof nsgName === "string" ? [nsgName] : [])];
    securityRulesOf(props, args.type).forEach((rule, i) => {
      const problem = openInbound(rule, nsgNames, cfg);
      if (problem) {
        const ruleName = args.type === NSG ? `securityRules '${rule.name ?? i}'` : "rule";
        report(`${who(args)} ${ruleName} ${problem}.`);
      }
    });
  },
);

/** A management or data port no inbound rule may open to an open source, whatever the exceptions say. */
export interface RestrictedPort {
  /** "22" or a range "11000-11999". */
  readonly ports: string;
  readonly service: string;
}

/**
 * Remote administration and data-store ports (CIS Azure 6.1-6.4, PCI DSS 1.3.1): reachable from the internet they
 * invite brute force and exploits even behind authentication. The platform's stores are private-endpoint only.
 */
export const DEFAULT_RESTRICTED_PORTS: RestrictedPort[] = [
  { ports: "22", service: "SSH" },
  { ports: "23", service: "Telnet" },
  { ports: "3389", service: "RDP" },
  { ports: "5985-5986", service: "WinRM" },
  { ports: "445", service: "SMB" },
  { ports: "1433-1434", service: "SQL Server / SQL Browser" },
  { ports: "11000-11999", service: "Azure SQL redirect" },
  { ports: "1521", service: "Oracle" },
  { ports: "3306", service: "MySQL" },
  { ports: "5432", service: "PostgreSQL" },
  { ports: "6379-6380", service: "Redis" },
  { ports: "9042", service: "Cassandra" },
  { ports: "10255", service: "Cosmos DB for MongoDB" },
  { ports: "10350", service: "Cosmos DB for Apache Cassandra" },
  { ports: "27017", service: "MongoDB" },
  { ports: "5671-5672", service: "AMQP (Event Hubs, Service Bus)" },
  { ports: "9093", service: "Kafka (Event Hubs)" },
];

/** Protocols that carry ports (TCP, UDP, or any); ICMP, ESP and AH have none. */
const PORT_PROTOCOLS = ["Tcp", "Udp", "*"];

function overlap([lo, hi]: Range, [alo, ahi]: Range): boolean {
  return lo <= ahi && alo <= hi;
}

export const nsgRestrictedPorts = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-network-networksecuritygroup-disallow-internet-to-management-ports",
    description:
      "No inbound NSG rule lets any source or the internet reach a management port (SSH, RDP, WinRM, ...) or a data-store port (SQL, PostgreSQL, Redis, MongoDB, AMQP, Kafka, ...) over TCP, UDP or any protocol; the other NSG rule's exceptions do not apply.",
    severity: "critical",
    pci: ["1.3.1", "1.4.2", "2.2.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "Remove the rule, or restrict `sourceAddressPrefix(es)` to private ranges, service tags or application security groups; administer through a private path (Bastion, a VNet-joined runner) and reach data stores through their private endpoints.",
    url: "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#security-rules",
    config: {
      openSources: openSourcesKnob,
      restrictedPorts: {
        type: "array",
        items: {
          type: "object",
          properties: { ports: { type: "string", minLength: 1 }, service: { type: "string" } },
          required: ["ports", "service"],
          additionalProperties: false,
        },
        default: DEFAULT_RESTRICTED_PORTS,
        description: "Management and data ports no inbound rule may open to an open source.",
      },
    },
  },
  [NSG, SECURITY_RULE],
  (props, args, report) => {
    const { openSources, restrictedPorts } = args.getConfig<{
      openSources: string[];
      restrictedPorts: RestrictedPort[];
    }>();
    securityRulesOf(props, args.type).forEach((rule, i) => {
      if (!sameText(rule.direction, "Inbound") || !sameText(rule.access, "Allow")) return;
      // Protocol absent: Azure requires it; treat it as any protocol.
      const protocol = rule.protocol === undefined ? "*" : String(rule.protocol);
      if (!oneOf(protocol, PORT_PROTOCOLS)) return;
      const open = openSourcesOf(rule, openSources);
      if (open.length === 0) return;
      const ranges = portRanges(destinationPorts(rule));
      const hit = restrictedPorts.filter((r) => portRanges(r.ports).some((p) => ranges.some((q) => overlap(p, q))));
      if (hit.length === 0) return;
      const ruleName = args.type === NSG ? `securityRules '${rule.name ?? i}'` : "rule";
      report(
        `${who(args)} ${ruleName} allows inbound ${protocol} from '${open.join("', '")}' to ${hit.map((r) => `${r.ports} (${r.service})`).join(", ")}: management and data ports must not be reachable from the internet; restrict the source or remove the rule.`,
      );
    });
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Application Gateway
// ---------------------------------------------------------------------------------------------------------------

export const appGatewayWaf = resourcePolicy<network.ApplicationGatewayArgs>(
  {
    name: "azure-native-network-applicationgateway-require-waf-v2",
    description:
      "Application Gateways use the WAF_v2 tier with an associated WAF policy, so public-facing web traffic is inspected by a web application firewall.",
    severity: "critical",
    pci: ["6.4.1", "6.4.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      'Set `sku: { name: "WAF_v2", tier: "WAF_v2" }` and `firewallPolicy: { id: <WebApplicationFirewallPolicy id> }` (the legacy `webApplicationFirewallConfiguration` does not count).',
    url: "https://learn.microsoft.com/azure/web-application-firewall/ag/policy-overview",
  },
  APP_GATEWAY,
  (props, args, report) => {
    // sku absent = no WAF tier.
    if (!sameText(props.sku?.tier, "WAF_v2")) {
      report(`${who(args)} uses tier '${props.sku?.tier ?? "unset"}': set sku.tier (and sku.name) to "WAF_v2".`);
    }
    if (!isSet(props.firewallPolicy, "id")) {
      report(
        `${who(args)} has no WAF policy: set firewallPolicy.id to a network.WebApplicationFirewallPolicy${props.webApplicationFirewallConfiguration ? " (webApplicationFirewallConfiguration is legacy)" : ""}.`,
      );
    }
  },
);

type SslPolicy = NonNullable<Props<network.ApplicationGatewayArgs>["sslPolicy"]>;

export const DEFAULT_SSL_POLICIES = ["AppGwSslPolicy20220101", "AppGwSslPolicy20220101S"];

export const appGatewayTls = resourcePolicy<network.ApplicationGatewayArgs>(
  {
    name: "azure-native-network-applicationgateway-enforce-tls-policy",
    description:
      "Application Gateways (and their SSL profiles) negotiate TLS 1.2 or later with strong ciphers: a predefined 2022 policy, or a custom policy with minProtocolVersion TLSv1_2 and only ECDHE-GCM cipher suites.",
    severity: "high",
    pci: ["4.2.1", "2.2.7"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "network",
    remediationSteps:
      'Set `sslPolicy: { policyType: "Predefined", policyName: "AppGwSslPolicy20220101S" }` (config `allowedPredefinedPolicies`), or `policyType: "CustomV2"` with `minProtocolVersion: "TLSv1_2"`; the same for every `sslProfiles[*].sslPolicy`.',
    url: "https://learn.microsoft.com/azure/application-gateway/application-gateway-ssl-policy-overview",
    config: {
      allowedPredefinedPolicies: {
        type: "array",
        items: { type: "string" },
        default: DEFAULT_SSL_POLICIES,
        description: "Predefined SSL policies allowed (the 2017 ones keep CBC ciphers or TLS 1.0).",
      },
    },
  },
  APP_GATEWAY,
  (props, args, report) => {
    const { allowedPredefinedPolicies } = args.getConfig<{ allowedPredefinedPolicies: string[] }>();
    const check = (where: string, policy: SslPolicy | undefined) => {
      // sslPolicy absent: the default depends on the API version (TLS 1.0 on older ones); require it explicitly.
      if (policy === undefined) {
        report(
          `${who(args)} has no ${where}: set it to the predefined policy "AppGwSslPolicy20220101S" or a custom policy with minProtocolVersion "TLSv1_2".`,
        );
        return;
      }
      const predefined =
        sameText(policy.policyType, "Predefined") ||
        (policy.policyType === undefined && policy.policyName !== undefined);
      if (predefined) {
        if (!oneOf(policy.policyName, allowedPredefinedPolicies)) {
          report(
            `${who(args)} ${where} uses '${policy.policyName ?? "unset"}': set ${where}.policyName to one of ${allowedPredefinedPolicies.join(", ")}.`,
          );
        }
      } else {
        if (!oneOf(policy.minProtocolVersion, ["TLSv1_2", "TLSv1_3"])) {
          report(
            `${who(args)} ${where} allows '${policy.minProtocolVersion ?? "unset"}': set ${where}.minProtocolVersion to "TLSv1_2".`,
          );
        }
        // A custom policy names its TLS 1.2 suites: only forward-secret AEAD ones (ECDHE with GCM), as the 2022
        // predefined policies; CBC and 3DES suites are weak cryptography (PCI DSS 4.2.1).
        const weak = (policy.cipherSuites ?? []).filter(
          (c) => !/^TLS_ECDHE_(ECDSA|RSA)_WITH_AES_(128|256)_GCM_SHA(256|384)$/i.test(String(c)),
        );
        if (weak.length > 0) {
          report(
            `${who(args)} ${where} allows weak cipher suites ${weak.join(", ")}: keep only TLS_ECDHE_*_WITH_AES_*_GCM_* suites (or use "AppGwSslPolicy20220101S").`,
          );
        }
      }
    };
    check("sslPolicy", props.sslPolicy);
    (props.sslProfiles ?? []).forEach((profile, i) => {
      // A profile without its own sslPolicy inherits the gateway's, checked above.
      if (profile.sslPolicy !== undefined) check(`sslProfiles[${profile.name ?? i}].sslPolicy`, profile.sslPolicy);
    });
  },
);

/** The sub-resource name at the end of an App Gateway child id (`.../httpListeners/<name>`). */
function childName(ref: { id?: string } | undefined): string | undefined {
  const id = ref?.id;
  return typeof id === "string" ? id.split("/").pop() : undefined;
}

export const appGatewayHttp = resourcePolicy<network.ApplicationGatewayArgs>(
  {
    name: "azure-native-network-applicationgateway-disallow-http-listener",
    description:
      "Application Gateways have no HTTP listener: a client's request to one crosses the internet in clear text (headers and body) before any redirect could answer it. A stack may allow HTTP listeners that only redirect to HTTPS (`allowHttpRedirect`, for browsers), never one routed to a backend.",
    severity: "high",
    pci: ["4.2.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "network",
    remediationSteps:
      'Remove every `httpListeners[*]` with `protocol: "Http"`, its frontend port, routing rule and redirect, and the NSG rule opening port 80, so a plain HTTP connection fails before any byte is sent. Where browsers need the redirect, set `allowHttpRedirect` and route each HTTP listener with a `redirectConfiguration` whose `targetListener` is the HTTPS listener (or `targetUrl` starting with https://), never a backend pool.',
    url: "https://learn.microsoft.com/azure/application-gateway/redirect-http-to-https-portal",
    config: {
      allowHttpRedirect: {
        type: "boolean",
        default: false,
        description:
          "Allow HTTP listeners whose every routing rule redirects to HTTPS (a browser-facing gateway; never for an API, whose first request would cross in clear text). Port 80 must then also be an allowedPublicInbound entry of the NSG rule.",
      },
    },
  },
  APP_GATEWAY,
  (props, args, report) => {
    const { allowHttpRedirect } = args.getConfig<{ allowHttpRedirect: boolean }>();
    // Sub-resource ids are read directly: when unknown during preview the engine turns this into an advisory.
    const listeners = props.httpListeners ?? [];
    const protocolOf = new Map(listeners.map((l) => [l.name, l.protocol]));
    const redirects = new Map((props.redirectConfigurations ?? []).map((r) => [r.name, r]));
    for (const listener of listeners) {
      // protocol absent: Azure requires it; treat as Http to be safe.
      if (listener.protocol !== undefined && !sameText(listener.protocol, "Http")) continue;
      if (!allowHttpRedirect) {
        report(
          `${who(args)} has HTTP listener '${listener.name}': a client's request to it crosses the internet in clear text before any redirect answers; remove the listener (and its port 80), or set allowHttpRedirect for a browser-facing gateway.`,
        );
        continue;
      }
      const rules = (props.requestRoutingRules ?? []).filter((r) => childName(r.httpListener) === listener.name);
      for (const rule of rules) {
        const redirect = redirects.get(childName(rule.redirectConfiguration));
        const target = redirect?.targetListener ? protocolOf.get(childName(redirect.targetListener)) : undefined;
        const toHttps =
          sameText(target, "Https") ||
          (typeof redirect?.targetUrl === "string" && /^https:\/\//i.test(redirect.targetUrl));
        if (!toHttps) {
          report(
            `${who(args)} serves HTTP listener '${listener.name}' through rule '${rule.name}' without a redirect to HTTPS: set the rule's redirectConfiguration to a redirect whose targetListener is an Https listener.`,
          );
        }
      }
    }
  },
);

// ---------------------------------------------------------------------------------------------------------------
// WAF policy
// ---------------------------------------------------------------------------------------------------------------

export const wafMode = resourcePolicy<network.WebApplicationFirewallPolicyArgs>(
  {
    name: "azure-native-network-webapplicationfirewallpolicy-enable-prevention-mode",
    description:
      "WAF policies are enabled, block attacks (Prevention mode, unless the stack allows Detection with alert review), inspect request bodies, and have no custom Allow rule for any client address or any request path.",
    severity: "critical",
    pci: ["6.4.2", "11.5.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6", "CC7.2"],
    service: "network",
    remediationSteps:
      'Set `policySettings: { state: "Enabled", mode: "Prevention", requestBodyCheck: true }` (config `allowedModes` may add "Detection" where alerts are reviewed, as PCI DSS 6.4.2 allows).',
    url: "https://learn.microsoft.com/azure/web-application-firewall/ag/ag-overview",
    config: {
      allowedModes: {
        type: "array",
        items: { type: "string", enum: ["Prevention", "Detection"] },
        default: ["Prevention"],
        description: "WAF modes allowed.",
      },
    },
  },
  WAF_POLICY,
  (props, args, report) => {
    const { allowedModes } = args.getConfig<{ allowedModes: string[] }>();
    const s = props.policySettings;
    // Each setting absent = violation: the policySettings defaults differ by API version, and the explicit value is
    // the evidence an assessor looks for.
    if (!sameText(s?.state, "Enabled")) {
      report(`${who(args)} is '${s?.state ?? "unset"}': set policySettings.state to "Enabled".`);
    }
    if (!oneOf(s?.mode, allowedModes)) {
      report(`${who(args)} runs in '${s?.mode ?? "unset"}' mode: set policySettings.mode to "${allowedModes[0]}".`);
    }
    if (s?.requestBodyCheck !== true) {
      report(`${who(args)} does not inspect request bodies: set policySettings.requestBodyCheck to true.`);
    }
    // A custom Allow rule skips every managed rule for what it matches: one that matches any client address is the
    // WAF switched off.
    // Read without spreading: values unknown during preview are skipped, not a reason to abandon the rule.
    const customRules = valueAt(props, "customRules");
    for (const rule of Array.isArray(customRules) ? customRules : []) {
      if (!sameText(valueAt(rule, "action"), "Allow")) continue;
      const conditions = valueAt(rule, "matchConditions");
      const list = Array.isArray(conditions) ? conditions : [];
      // Conditions are ANDed: a path test every path passes (every URI begins with, or contains, "/"; ".*") opens the
      // rule to everyone only when every other condition does too.
      const everyRequest = list.length > 0 && list.every((c) => sameText(valueAt(c, "operator"), "Any") || everyUri(c));
      const anyone =
        everyRequest ||
        list.some((c) => {
          // Operator Any matches every request, whatever its variables.
          if (sameText(valueAt(c, "operator"), "Any")) return true;
          const vars = valueAt(c, "matchVariables");
          const onAddress = (Array.isArray(vars) ? vars : []).some((v) =>
            oneOf(valueAt(v, "variableName"), ["RemoteAddr", "SocketAddr"]),
          );
          if (!onAddress || !sameText(valueAt(c, "operator"), "IPMatch")) return false;
          const values = stringsAt(c, "matchValues");
          // A negated address match allows everyone but the few it lists.
          if (valueAt(c, "negationConditon") === true) return values.length > 0;
          const wide = values.filter((v) => ipv4Range(v) !== undefined && v.includes("/"));
          const covered = wide.reduce((n, v) => n + 2 ** (32 - (ipv4Range(v)?.prefix ?? 32)), 0);
          return values.some(anyAddress) || covered >= 2 ** 30;
        });
      if (anyone) {
        report(
          `${who(args)} custom rule '${rule.name ?? "?"}' allows any client address or any request, which skips the managed rules for everyone: narrow its match conditions or remove the rule.`,
        );
      }
    }
  },
);

/** A WAF match condition on the request URI that every request satisfies (not negated). */
function everyUri(c: unknown): boolean {
  if (valueAt(c, "negationConditon") === true) return false;
  const vars = valueAt(c, "matchVariables");
  const onUri = (Array.isArray(vars) ? vars : []).some((v) => oneOf(valueAt(v, "variableName"), ["RequestUri"]));
  if (!onUri) return false;
  const values = stringsAt(c, "matchValues");
  const op = valueAt(c, "operator");
  if (oneOf(op, ["BeginsWith", "Contains"])) return values.some((v) => v === "/" || v === "");
  if (oneOf(op, ["Regex"])) return values.some((v) => /^\^?\.\*\$?$/.test(v) || v === "");
  return false;
}

/** Numeric comparison of dotted versions ("3.2" < "3.10"); non-numeric parts compare as 0. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const b = minimum.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

export const wafRuleSet = resourcePolicy<network.WebApplicationFirewallPolicyArgs>(
  {
    name: "azure-native-network-webapplicationfirewallpolicy-require-managed-rule-set",
    description:
      "WAF policies use a current managed rule set (OWASP CRS 3.2+ or Microsoft Default Rule Set 2.1+), without whole rule groups, more than a few rules of a group (`maxDisarmedRulesPerGroup`) or critical rules (e.g. Log4j 944240) disabled or set to an action that does not block, and without an exclusion that takes a whole request field (`EqualsAny`) away from every rule.",
    severity: "high",
    pci: ["6.4.1", "6.4.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.8"],
    service: "network",
    remediationSteps:
      'Add `managedRules.managedRuleSets: [{ ruleSetType: "Microsoft_DefaultRuleSet", ruleSetVersion: "2.1" }]` (or OWASP 3.2); in `ruleGroupOverrides` list individual rules (never a group without `rules`) and keep rules in `protectedRuleIds` `state: "Enabled"`.',
    url: "https://learn.microsoft.com/azure/web-application-firewall/ag/application-gateway-crs-rulegroups-rules",
    config: {
      minimumVersions: {
        type: "object",
        additionalProperties: { type: "string" },
        default: { OWASP: "3.2", Microsoft_DefaultRuleSet: "2.1" },
        description: "Accepted rule set types with their minimum version.",
      },
      protectedRuleIds: {
        type: "array",
        items: { type: "string" },
        default: ["944240"],
        description: "Managed rule ids that must never be disabled by an override.",
      },
      maxDisarmedRulesPerGroup: {
        type: "integer",
        minimum: 0,
        default: 3,
        description:
          "Most rules of one rule group an override may disable or set to an action that does not block (tuning a false positive names one or two); more disarms the group rule by rule, as disabling it whole would.",
      },
    },
  },
  WAF_POLICY,
  (props, args, report) => {
    const { minimumVersions, protectedRuleIds, maxDisarmedRulesPerGroup } = args.getConfig<{
      minimumVersions: Record<string, string>;
      protectedRuleIds: string[];
      maxDisarmedRulesPerGroup: number;
    }>();
    const sets = props.managedRules?.managedRuleSets ?? [];
    const current = sets.filter((s) => {
      const type = Object.keys(minimumVersions).find((t) => sameText(s.ruleSetType, t));
      return type !== undefined && versionAtLeast(String(s.ruleSetVersion), minimumVersions[type]);
    });
    if (current.length === 0) {
      const have = sets.map((s) => `${s.ruleSetType} ${s.ruleSetVersion}`).join(", ") || "none";
      report(
        `${who(args)} has no current managed rule set (has: ${have}): add managedRules.managedRuleSets with ${Object.entries(
          minimumVersions,
        )
          .map(([t, v]) => `${t} >= ${v}`)
          .join(" or ")}.`,
      );
    }
    for (const set of current) {
      for (const group of set.ruleGroupOverrides ?? []) {
        // An override without rules disables the whole group (Azure semantics).
        if ((group.rules ?? []).length === 0) {
          report(
            `${who(args)} disables the whole rule group '${group.ruleGroupName}' of ${set.ruleSetType} ${set.ruleSetVersion}: list the individual rules in ruleGroupOverrides[].rules instead.`,
          );
        }
        // An overridden rule's state absent = Disabled (Azure semantics); an action that does not block (Log, Allow)
        // disarms it as surely.
        const disarmed = (group.rules ?? []).filter(
          (r) => !sameText(r.state, "Enabled") || oneOf(r.action, ["Log", "Allow"]),
        );
        if (disarmed.length > maxDisarmedRulesPerGroup) {
          report(
            `${who(args)} disarms ${disarmed.length} rule${disarmed.length === 1 ? "" : "s"} of group '${group.ruleGroupName}' of ${set.ruleSetType} ${set.ruleSetVersion} (disabled, or Log/Allow: ${disarmed
              .slice(0, 5)
              .map((r) => r.ruleId)
              .join(
                ", ",
              )}${disarmed.length > 5 ? ", ..." : ""}), more than maxDisarmedRulesPerGroup (${maxDisarmedRulesPerGroup}): fix the false positives with exclusions scoped to the rules and fields that raise them, and keep the group's rules blocking.`,
          );
        }
        for (const rule of group.rules ?? []) {
          if (!protectedRuleIds.includes(String(rule.ruleId))) continue;
          if (!sameText(rule.state, "Enabled")) {
            report(
              `${who(args)} disables protected rule ${rule.ruleId} in group '${group.ruleGroupName}': set its state to "Enabled" or remove the override.`,
            );
          } else if (oneOf(rule.action, ["Log", "Allow"])) {
            report(
              `${who(args)} sets protected rule ${rule.ruleId} in group '${group.ruleGroupName}' to '${rule.action}', which does not block: remove the action (the rule set's default blocks) or set it to "Block"/"AnomalyScoring".`,
            );
          }
        }
      }
    }
    // An `EqualsAny` exclusion drops every value of that request field (all arguments, all headers, all cookies) from
    // inspection, and one without exclusionManagedRuleSets applies to every rule (application-gateway-waf-
    // configuration, "Exclusion lists"): the managed rules no longer see that field at all.
    for (const e of props.managedRules?.exclusions ?? []) {
      // Scoped to whole rule sets (a set without ruleGroups) it still reaches every rule of the set.
      const sets = e.exclusionManagedRuleSets ?? [];
      if (
        sameText(e.selectorMatchOperator, "EqualsAny") &&
        (sets.length === 0 || sets.some((r) => (r.ruleGroups ?? []).length === 0))
      ) {
        report(
          `${who(args)} excludes every ${e.matchVariable} value from every managed rule${sets.length > 0 ? " of a whole rule set" : ""} (selectorMatchOperator "EqualsAny" with no rule groups named): name the selector and scope the exclusion to the rules that need it.`,
        );
      }
    }
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Azure Firewall policy
// ---------------------------------------------------------------------------------------------------------------

export const firewallThreatProtection = resourcePolicy<network.FirewallPolicyArgs>(
  {
    name: "azure-native-network-firewallpolicy-enable-threat-protection",
    description:
      "Azure Firewall policies block traffic to and from known-malicious addresses (threat intelligence Deny, no wildcard allow list), and in production stacks run the Premium tier with intrusion detection and prevention in Deny mode, with no bypass for any address and no signature turned off; every Azure Firewall uses such a policy (no classic rules), on the Premium tier in production stacks.",
    severity: "high",
    pci: ["1.4.2", "11.5.1"],
    gdpr: ["32(1)(b)", "33"],
    soc2: ["CC6.6", "CC7.2"],
    service: "network",
    remediationSteps:
      'Set `threatIntelMode: "Deny"`; in prod stacks set `sku.tier: "Premium"` and `intrusionDetection: { mode: "Deny" }` (configs `allowedThreatIntelModes`, `allowedIdpsModes`, `premiumStacks`).',
    url: "https://learn.microsoft.com/azure/firewall/premium-features",
    config: {
      allowedThreatIntelModes: {
        type: "array",
        items: { type: "string" },
        default: ["Deny"],
        description:
          "Threat intelligence modes the firewall policy may use (`Alert` only reports known-malicious traffic).",
      },
      allowedIdpsModes: {
        type: "array",
        items: { type: "string" },
        default: ["Deny"],
        description:
          "Intrusion detection (IDPS) modes a Premium firewall policy may use, in any stack (premiumStacks only decides where Premium is required).",
      },
      premiumStacks: {
        type: "array",
        items: { type: "string" },
        default: ["prod"],
        description: "Stacks where the firewall must be Premium (IDPS).",
      },
    },
  },
  [FIREWALL_POLICY, AZURE_FIREWALL],
  (props, args, report) => {
    const cfg = args.getConfig<{
      allowedThreatIntelModes: string[];
      allowedIdpsModes: string[];
      premiumStacks: string[];
    }>();
    if (args.type === AZURE_FIREWALL) {
      // The firewall itself: its protections live in the policy it uses. Classic rules (no policy) have no IDPS, and
      // their threat intelligence is the firewall's own `threatIntelMode`; a Standard firewall ignores a Premium
      // policy's IDPS.
      if (presence(props, "firewallPolicy", "id") === "absent") {
        report(
          `${who(args)} uses no firewall policy (classic rules): attach one with firewallPolicy.id, where threat intelligence and IDPS are set.`,
        );
      }
      const tier = valueAt(props, "sku", "tier");
      if (!sameText(tier, "Premium") && inStacks(args.urn, cfg.premiumStacks)) {
        report(
          `${who(args)} is ${String(tier ?? "Standard")} in a production stack: set sku.tier to "Premium" (IDPS runs on Premium firewalls only).`,
        );
      }
      return;
    }
    // threatIntelMode absent = "Alert" (Azure default).
    const ti = props.threatIntelMode ?? "Alert";
    if (!oneOf(ti, cfg.allowedThreatIntelModes)) {
      report(
        `${who(args)} threat intelligence is '${ti}': set threatIntelMode to "${cfg.allowedThreatIntelModes[0]}".`,
      );
    }
    // sku absent = Standard tier.
    const premium = sameText(props.sku?.tier, "Premium");
    if (!premium && inStacks(args.urn, cfg.premiumStacks)) {
      report(`${who(args)} is not Premium in a production stack: set sku.tier to "Premium" to get IDPS.`);
    }
    // intrusionDetection absent = Off.
    const idps = props.intrusionDetection?.mode ?? "Off";
    if (premium && !oneOf(idps, cfg.allowedIdpsModes)) {
      report(`${who(args)} IDPS is '${idps}': set intrusionDetection.mode to "${cfg.allowedIdpsModes[0]}".`);
    }
    // What the modes leave open: IDPS bypass for any address, signatures turned off, a threat-intelligence allow list
    // that admits everything.
    // Lists are read element by element: an IP group id unknown during preview counts as named, not as a failure.
    // An address unknown during preview may be "*": the rule is undecided then, never passed, but only after every
    // violation the known values show is reported (`undecidedUnless` at the end).
    const unknownLists: (() => void)[] = [];
    const bypasses = valueAt(props, "intrusionDetection", "configuration", "bypassTrafficSettings");
    for (const b of Array.isArray(bypasses) ? bypasses : []) {
      const side = (addresses: string, groups: string) => {
        const named = presence(b, addresses) !== "absent" || presence(b, groups) !== "absent";
        unknownLists.push(() => requireKnownElements(b, addresses));
        return !named || stringsAt(b, addresses).some(anyAddress);
      };
      const anySource = side("sourceAddresses", "sourceIpGroups");
      if (anySource || side("destinationAddresses", "destinationIpGroups")) {
        report(
          `${who(args)} IDPS bypass '${String(valueAt(b, "name") ?? "?")}' skips inspection for any ${anySource ? "source" : "destination"}: name specific addresses or IP groups on both sides.`,
        );
      }
    }
    // Under Deny, an override to Alert stops blocking that signature as surely as Off.
    const overrides = valueAt(props, "intrusionDetection", "configuration", "signatureOverrides");
    const weaker = sameText(idps, "Deny") ? ["Off", "Alert"] : ["Off"];
    for (const o of Array.isArray(overrides) ? overrides : []) {
      const mode = valueAt(o, "mode");
      if (oneOf(mode, weaker)) {
        report(
          `${who(args)} sets IDPS signature ${String(valueAt(o, "id") ?? "?")} to '${String(mode)}', which does not block: remove the override or set its mode to "Deny".`,
        );
      }
    }
    const broadFqdn = (f: string) => f === "*" || /^\*\.[^.]+$/.test(f);
    if (
      stringsAt(props, "threatIntelWhitelist", "ipAddresses").some(anyAddress) ||
      stringsAt(props, "threatIntelWhitelist", "fqdns").some(broadFqdn)
    ) {
      report(
        `${who(args)} exempts every address (or a whole top-level domain) from threat intelligence: remove it from threatIntelWhitelist.`,
      );
    }
    // An allow-list entry unknown during preview may admit everything: undecided, never passed (after the reports).
    unknownLists.push(
      () => requireKnownElements(props, "threatIntelWhitelist", "ipAddresses"),
      () => requireKnownElements(props, "threatIntelWhitelist", "fqdns"),
    );
    for (const undecidedUnless of unknownLists) undecidedUnless();
  },
);

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
      report(
        `${who(a)} associates ${typeof target === "string" ? target : "a resource"} with network security perimeter ${show(valueAt(a.props, "networkSecurityPerimeterName"))} (accessMode ${mode === undefined ? 'unset, "Learning" by default' : show(mode)}): the perimeter's access rules, which the pack does not check, then admit public traffic whatever the resource's publicNetworkAccess says; remove the association and reach the resource through its private endpoint.`,
        a.urn,
      );
    }
  },
);

export const networkPolicies: Policies = [
  subnetNsg,
  subnetDefaultOutbound,
  nsgPublicInbound,
  nsgRestrictedPorts,
  appGatewayWaf,
  appGatewayTls,
  appGatewayHttp,
  wafMode,
  wafRuleSet,
  firewallThreatProtection,
  peeringApproved,
  privateEndpointCoverage,
  perimeterAssociation,
];
