/**
 * NSG rules: no inbound from the internet beyond what is allowed, no restricted port open (PCI DSS 1.2–1.4).
 */
import type { PolicyConfigSchema } from "@pulumi/policy";
import type * as network from "@pulumi/azure-native/network";
import { resourcePolicy, type Props } from "../../lib/policy";
import { anyAddress, ipv4Range } from "../../lib/network";
import { globMatch, oneOf, sameText, who } from "../../lib/values";

const NSG = "azure-native:network:NetworkSecurityGroup";
const SECURITY_RULE = "azure-native:network:SecurityRule";

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
