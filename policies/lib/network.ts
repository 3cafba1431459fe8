/**
 * IPv4 addresses, CIDR ranges and public firewall rules (SQL server and Synapse workspace IP firewall rules, Cosmos DB
 * IP rules). The policy pack is deployed on its own, so it does not share the program's lib/cidr.ts.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { ofType, stringListKnob } from "./policy";
import { oneOf, valueAt } from "./values";

/** Parses a dotted-quad IPv4 address to an unsigned integer. */
export function ipv4(address: string): number | undefined {
  const parts = address.trim().split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** The first and last address of an IPv4 address or CIDR (`a.b.c.d` or `a.b.c.d/n`). */
export function ipv4Range(value: string): { first: number; last: number; prefix: number } | undefined {
  const [addr, bits, ...rest] = value.trim().split("/");
  const prefix = bits === undefined ? 32 : /^\d{1,2}$/.test(bits) ? Number(bits) : NaN;
  const ip = ipv4(addr);
  if (rest.length > 0 || ip === undefined || !(prefix >= 0 && prefix <= 32)) return undefined;
  const size = 2 ** (32 - prefix);
  const first = Math.floor(ip / size) * size;
  return { first, last: first + size - 1, prefix };
}

/** The private address ranges (RFC 1918). */
export const RFC1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/** Whether an IPv4 address or CIDR lies wholly inside the private address ranges (RFC 1918). */
export function insidePrivateRanges(value: string): boolean {
  const range = ipv4Range(value);
  return (
    range !== undefined &&
    RFC1918.some((cidr) => {
      const r = ipv4Range(cidr) as { first: number; last: number };
      return range.first >= r.first && range.last <= r.last;
    })
  );
}

/** IPv4 addresses in a `first-last` range (an IP group or rule entry such as `10.2.0.0-10.2.0.31`), when it is one. */
function ipv4RangeSize(value: string): number | undefined {
  const [from, to, ...rest] = value.split("-");
  const first = ipv4(from ?? "");
  const last = ipv4(to ?? "");
  if (rest.length > 0 || first === undefined || last === undefined || last < first) return undefined;
  return last - first + 1;
}

/**
 * Addresses that mean "any source" or "any destination": wildcards, the default route, IPv4 prefixes under /8 and
 * ranges as large (2^24 addresses or more), IPv6 prefixes under /8 (`::/1`, `8000::/1`).
 */
export function anyAddress(value: string): boolean {
  const v = value.trim();
  if (oneOf(v, ["*", "Any", "Internet", "0.0.0.0", "0.0.0.0/0", "::/0"])) return true;
  const range = ipv4Range(v);
  if (range !== undefined && v.includes("/") && range.prefix < 8) return true;
  const size = ipv4RangeSize(v);
  if (size !== undefined && size >= 2 ** 24) return true;
  const v6 = /^[0-9a-f:]*:[0-9a-f:]*\/(\d{1,3})$/i.exec(v);
  return v6 !== null && Number(v6[1]) < 8;
}

/** The `minPrefixLength` knob of the rules that read IP allow lists (`what` names the list entry). */
export const minPrefixLengthKnob = (what: string): PolicyConfigJSONSchema => ({
  type: "integer",
  minimum: 0,
  maximum: 32,
  default: 24,
  description: `Shortest CIDR prefix ${what} may have (a single address is /32).`,
});

/** Knob `allowedCidrs`: CIDRs a server-level firewall rule may open (default none). */
export const allowedCidrsKnob = (): PolicyConfigJSONSchema =>
  stringListKnob(
    "IPv4 CIDRs a firewall rule may open (e.g. a break-glass admin range); every rule outside them is a violation.",
    [],
  );

/**
 * What is wrong with a public firewall rule `start`–`end`, or undefined when it lies inside one of `allowedCidrs`.
 * `0.0.0.0`–`0.0.0.0` is Azure's "allow Azure services" rule, which admits every tenant's Azure resources.
 */
export function firewallRangeProblem(start: string, end: string, allowedCidrs: readonly string[]): string | undefined {
  if (start.trim() === "0.0.0.0" && end.trim() === "0.0.0.0") {
    return "allows access from all Azure services (0.0.0.0–0.0.0.0), including other customers' resources";
  }
  const s = ipv4(start);
  const e = ipv4(end);
  if (s === undefined || e === undefined || e < s) return `has an invalid range ${start}–${end}`;
  const allowed = allowedCidrs.map(ipv4Range).filter((r) => r !== undefined);
  if (allowed.some((r) => r.first <= s && e <= r.last)) return undefined;
  if (s === 0 && e === 2 ** 32 - 1) return "opens the public endpoint to the whole internet (0.0.0.0–255.255.255.255)";
  return `opens the public endpoint to ${start}–${end}, which is not in the policy's allowedCidrs`;
}

/**
 * `firewallRangeProblem` for a firewall rule resource (`startIpAddress`/`endIpAddress`, as sql.FirewallRule and
 * synapse.IpFirewallRule declare them), which must name both ends. The addresses are read through the
 * unknown-checking proxy: an address unknown during preview makes the engine report that the rule can't run.
 */
export function firewallRuleProblem(
  rule: { readonly startIpAddress?: string; readonly endIpAddress?: string },
  allowedCidrs: readonly string[],
): string | undefined {
  const start = rule.startIpAddress;
  const end = rule.endIpAddress;
  return start === undefined || end === undefined
    ? "has no complete address range (startIpAddress and endIpAddress)"
    : firewallRangeProblem(start, end, allowedCidrs);
}

/** A subnet of the stack: its Azure name, its properties (inline in a VNet, or a standalone subnet's) and its owner. */
export interface StackSubnet {
  readonly name: string;
  readonly props: unknown;
  readonly owner: PolicyResource;
}

/**
 * The stack's subnets by lower-cased ARM id (known once deployed): each VNet's inline ones (their `id` output, else
 * the VNet's id and the subnet's name) and the standalone ones.
 */
export function subnetsById(resources: readonly PolicyResource[]): Map<string, StackSubnet> {
  const byId = new Map<string, StackSubnet>();
  for (const vnet of ofType(resources, "azure-native:network:VirtualNetwork")) {
    const vnetId = valueAt(vnet.props, "id");
    const subnets = valueAt(vnet.props, "subnets");
    if (!Array.isArray(subnets)) continue;
    subnets.forEach((_, i) => {
      const name = valueAt(subnets, String(i), "name");
      if (typeof name !== "string") return;
      const own = valueAt(subnets, String(i), "id");
      const id = typeof own === "string" ? own : typeof vnetId === "string" ? `${vnetId}/subnets/${name}` : undefined;
      if (id) byId.set(id.toLowerCase(), { name, props: valueAt(subnets, String(i)), owner: vnet });
    });
  }
  for (const subnet of ofType(resources, "azure-native:network:Subnet")) {
    const id = valueAt(subnet.props, "id");
    const name = valueAt(subnet.props, "subnetName") ?? subnet.name;
    if (typeof id === "string") byId.set(id.toLowerCase(), { name: String(name), props: subnet.props, owner: subnet });
  }
  return byId;
}
