/**
 * DDoS protection of the internet edge in production: every public IP address of the stack (the WAF gateway's, the
 * firewall's) is covered by DDoS IP Protection of its own or by a DDoS Network Protection plan on its virtual network.
 * Without it, the platform's one inbound path (the payment API behind the gateway) has only Azure's infrastructure
 * protection, which is not tuned to the application's traffic and sends no mitigation alert or report. GDPR Art.
 * 32(1)(b) (availability and resilience of processing systems); SOC 2 A1.2.
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import { ofType, stackPolicy } from "../lib/policy";
import { inStacks, prodStacksKnob } from "../lib/scope";
import { normalId } from "../lib/exemptions";
import { idPending, presence, requireId, requireKnown, sameText, valueAt, who } from "../lib/values";

const PUBLIC_IP = "azure-native:network:PublicIPAddress";
const VNET = "azure-native:network:VirtualNetwork";

/** Whether a virtual network has a DDoS Network Protection plan (an unknown plan id counts: the program set one). */
function planProtected(vnet: PolicyResource): boolean {
  return (
    valueAt(vnet.props, "enableDdosProtection") === true &&
    presence(vnet.props, "ddosProtectionPlan", "id") !== "absent"
  );
}

/**
 * Whether the network a subnet id names (`networkId`, the id up to `/subnets/`) has a DDoS Network Protection plan:
 * by the ids of the stack's networks. A network's group and name are path inputs, never outputs: while a network
 * created in this preview has no id, one with a plan may be it, and the rule is undecided (`requireId`) unless a known
 * network already settles it.
 */
function networkProtected(networkId: string, vnets: readonly PolicyResource[]): boolean {
  const known = vnets.find((v) => {
    const id = valueAt(v.props, "id");
    return typeof id === "string" && normalId(id) === normalId(networkId);
  });
  if (known) return planProtected(known);
  const pending = vnets.find((v) => planProtected(v) && idPending(v.props));
  if (pending) requireId(pending.props);
  return false;
}

/** The ids of the virtual networks whose subnets `resource`'s known properties name (each once). */
function subnetNetworks(resource: PolicyResource): string[] {
  let text: string;
  try {
    text = JSON.stringify(resource.props ?? null);
  } catch {
    return []; // a value unknown during preview: nothing to read
  }
  const ids = [...text.matchAll(/"(\/subscriptions\/[^"]*?\/virtualNetworks\/[^/"]+)\/subnets\/[^"]*"/gi)];
  return [...new Set(ids.map((m) => normalId(m[1])))];
}

/** Whether `user`'s properties name `ip` (its known id, or a recorded dependency on it). */
function uses(user: PolicyResource, ip: PolicyResource): boolean {
  if (Object.values(user.propertyDependencies).some((deps) => deps.some((d) => d.urn === ip.urn))) return true;
  const id = valueAt(ip.props, "id");
  if (typeof id !== "string") return false;
  try {
    // The id as a whole string value (quoted), not a prefix of another address's (`…/pip-a` in `…/pip-ab`).
    return JSON.stringify(user.props ?? null)
      .toLowerCase()
      .includes(JSON.stringify(id.toLowerCase()));
  } catch {
    return false;
  }
}

export const publicIpDdos = stackPolicy(
  {
    name: "azure-native-network-publicipaddress-require-ddos-protection",
    description:
      "In production, every public IP address has DDoS protection: DDoS IP Protection on the address (`ddosSettings.protectionMode: Enabled`), or a DDoS Network Protection plan on the virtual network it inherits from; `Disabled`, or inheriting from a network without a plan, leaves the internet edge with Azure's untuned infrastructure protection only, without mitigation alerts or reports.",
    severity: "medium",
    pci: [],
    gdpr: ["32(1)(b)"],
    soc2: ["A1.2"],
    service: "network",
    remediationSteps:
      'Set `ddosSettings: { protectionMode: "Enabled" }` on the public IP (DDoS IP Protection; `ddosProtectionMode: ip` in the stack config), or give its virtual network `enableDdosProtection: true` and `ddosProtectionPlan: { id }` (`ddosProtectionMode: network`).',
    url: "https://learn.microsoft.com/azure/ddos-protection/ddos-protection-sku-comparison",
    config: {
      prodStacks: prodStacksKnob("Stack names whose public IP addresses must be DDoS-protected."),
    },
  },
  (args, report) => {
    const ips = ofType(args.resources, PUBLIC_IP);
    if (ips.length === 0) args.notApplicable("the stack has no public IP address");
    if (!inStacks(ips[0].urn, args.getConfig<{ prodStacks: string[] }>().prodStacks))
      args.notApplicable("not a production stack");
    const vnets = ofType(args.resources, VNET);
    for (const ip of ips) {
      requireKnown(ip.props, "ddosSettings", "protectionMode");
      const mode = valueAt(ip.props, "ddosSettings", "protectionMode");
      if (sameText(mode, "Enabled")) continue;
      if (sameText(mode, "Disabled")) {
        report(
          `${who(ip)} has DDoS protection disabled (ddosSettings.protectionMode "Disabled"): set it to "Enabled" (DDoS IP Protection), or to "VirtualNetworkInherited" on a network with a DDoS Network Protection plan.`,
          ip.urn,
        );
        continue;
      }
      // Absent or VirtualNetworkInherited (Azure's default): the plan of the network its user's subnet belongs to.
      const users = args.resources.filter((r) => r.urn !== ip.urn && uses(r, ip));
      const named = [...new Set(users.flatMap(subnetNetworks))];
      if (
        named.length > 0
          ? named.every((n) => networkProtected(n, vnets))
          : vnets.length > 0 && vnets.every(planProtected)
      )
        continue;
      if (named.length === 0 && vnets.some(planProtected)) {
        // Some networks with a plan, some without, and no subnet of the address's user known: a first preview reads
        // the address's id and its users whole (the engine's unknown-value error: undecided); the deployed view names
        // the subnet.
        requireId(ip.props);
        for (const user of users) JSON.stringify(user.props);
        report(
          `${who(ip)} inherits DDoS protection from its virtual network, and no resource using it names a subnet, so the pack cannot tell whether that network is one with a DDoS Network Protection plan: set ddosSettings.protectionMode to "Enabled" (DDoS IP Protection).`,
          ip.urn,
        );
        continue;
      }
      const unprotected = named.filter((n) => !networkProtected(n, vnets)).map((n) => n.split("/").pop());
      report(
        `${who(ip)} inherits DDoS protection from its virtual network${unprotected.length > 0 ? ` (${unprotected.join(", ")})` : ""}, which has no DDoS Network Protection plan: set ddosSettings.protectionMode to "Enabled" (DDoS IP Protection), or give the network enableDdosProtection and a ddosProtectionPlan.`,
        ip.urn,
      );
    }
  },
);

export const ddosPolicies: Policies = [publicIpDdos];
