/**
 * Every port from the whole network: an NSG rule that admits a network-wide source (the `VirtualNetwork` service tag,
 * which takes in peered networks and, through a hub's gateway, on-premises ranges; or an open source) on every port
 * admits far more than what its destinations need (PCI DSS 1.2.1 and 1.3.1: inbound traffic to the CDE restricted to
 * what is necessary, each allowed service and port with a business need). The platform names each subnet's ports
 * (components/platform/subnets.ts, lib/privateLink.ts) and lets only a subnet's own range in on every port.
 */
import type { Policies } from "@pulumi/policy";
import { exemptionSchema } from "../lib/exemptions";
import { resourcePolicy } from "../lib/policy";
import { globMatch, oneOf, sameText, show, who } from "../lib/values";
import { destinationPorts, OPEN_SOURCES, portRanges, securityRulesOf } from "./network";

const NSG = "azure-native:network:NetworkSecurityGroup";
const SECURITY_RULE = "azure-native:network:SecurityRule";
/** Protocols without ports (ICMP, ESP, AH): an "every port" rule of theirs means nothing more. */
const PORTLESS = ["Icmp", "Esp", "Ah"];

export const nsgAllPortsInbound = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-network-networksecuritygroup-disallow-all-ports-inbound",
    description:
      "Network security group rules that allow inbound traffic from a network-wide source (the VirtualNetwork service tag, which takes in peered networks and on-premises ranges, or any open source) name the ports their destinations need, never every port.",
    severity: "high",
    pci: ["1.2.1", "1.3.1"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
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
          "Rules (`<nsg name pattern>/<rule name pattern>`, `*` wildcard, each with a reason) that may admit a network-wide source on every port (none by default).",
      },
    },
  },
  [NSG, SECURITY_RULE],
  (props, args, report) => {
    const { broadSources, allowedRules } = args.getConfig<{
      broadSources: string[];
      allowedRules: { pattern: string; reason: string }[];
    }>();
    const nsgName =
      args.type === NSG
        ? args.name
        : typeof props.networkSecurityGroupName === "string"
          ? props.networkSecurityGroupName
          : args.name;
    securityRulesOf(props, args.type).forEach((rule, i) => {
      if (!sameText(rule.direction, "Inbound") || !sameText(rule.access, "Allow")) return;
      if (oneOf(rule.protocol, PORTLESS)) return;
      const sources = [rule.sourceAddressPrefix, ...(rule.sourceAddressPrefixes ?? [])].filter(
        (s): s is string => typeof s === "string",
      );
      const broad = sources.filter((s) => oneOf(s, broadSources));
      if (broad.length === 0) return;
      const ports = destinationPorts(rule);
      if (!portRanges(ports).some(([lo, hi]) => lo <= 1 && hi >= 65535)) return;
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

export const nsgPortPolicies: Policies = [nsgAllPortsInbound];
