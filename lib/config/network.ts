/**
 * Network settings that span the platform (pure): where the private endpoints' DNS records live (`privateDns`).
 * Read with the rest of the stack config (lib/config/schema.ts), which calls `privateDnsIssues` among its cross-key rules.
 */
import { z } from "../zod";
import { contains, formatCidr, isPrivate, parseCidr } from "../cidr";
import { parseResourceGroupId, resourceName, type NameContext } from "../naming";
import { settings } from "./strict";

export const PRIVATE_DNS_MODES = ["stack", "central"] as const;
export type PrivateDnsMode = (typeof PRIVATE_DNS_MODES)[number];

/**
 * Azure's wire server, which answers a VNet that keeps Azure-provided DNS (what-is-ip-address-168-63-129-16). As a
 * custom server it resolves only what Azure DNS resolves for the VNet: the zones linked to it, in mode central only the
 * hub's vault zone (lib/privateLink.ts GATEWAY_AZURE_DNS_ZONES, for the gateway).
 */
export const AZURE_PROVIDED_DNS = "168.63.129.16";

/**
 * At most five: with a VNet's custom DNS servers, "name resolution in App Service will use up to five custom DNS
 * servers" (learn.microsoft.com/azure/app-service/overview-name-resolution), and every tier's function apps resolve
 * through the VNet (Flex Consumption apps take the VNet's servers: azure-docs' flex-consumption-plan, which deprecates
 * their own `dnsConfiguration` for them).
 */
export const MAX_DNS_SERVERS = 5;

/**
 * A resource group's id, as `az group show --query id -o tsv` prints it (the zone ids built from it are compared with
 * what Azure reports: another case would show as drift): a subscription id, then a group name of 1 to 90 letters
 * (Unicode), digits, underscores, hyphens, periods and parentheses, not ending in a period
 * (azure-resource-manager/management/resource-name-rules, Microsoft.Resources/resourcegroups).
 */
export const resourceGroupId = z
  .string()
  .regex(
    /^\/subscriptions\/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\/resourceGroups\/[-\p{L}\p{N}_.()]{0,89}[-\p{L}\p{N}_()]$/u,
    "must be a resource group's id: /subscriptions/<id>/resourceGroups/<name> (the group of the hub's privatelink.* zones, e.g. rg-hub-dns-<region> or rg-private-dns-zones-<region>), spelled as `az group show --query id -o tsv` prints it",
  );

/**
 * Where the private endpoints register their DNS records. `stack` (the default): the stack creates one `privatelink.*`
 * zone per service, linked to its VNet, and an Azure Monitor Private Link Scope of its own. `central`: the hub's zones
 * (Azure Landing Zones keeps them in one resource group of the connectivity subscription, linked to the hub), which the
 * VNet reaches through `dnsServers` across the hub peering; no zone and no scope of the stack's own, and one link of
 * the hub's vault zone to the VNet, for the gateway (docs/configuration.md, "privateDns").
 */
export const privateDnsSchema = settings({
  mode: z
    .enum(PRIVATE_DNS_MODES, {
      error: () =>
        "must be stack (the stack creates and links its own privatelink.* zones; the default) or central (the hub's zones: set zonesResourceGroupId and dnsServers)",
    })
    .default("stack"),
  /** The resource group holding the hub's `privatelink.*` zones (mode central). */
  zonesResourceGroupId: resourceGroupId.optional(),
  /** The VNet's DNS servers (mode central): the hub's Private Resolver inbound endpoint, or the hub firewall (DNS proxy). */
  dnsServers: z
    .array(z.string({ error: "must be an IPv4 address" }), { error: () => "must be a list of IPv4 addresses" })
    .optional(),
}).prefault({});

export type PrivateDnsConfig = z.output<typeof privateDnsSchema>;

/** What the cross-key rules of `privateDns` read. */
export interface PrivateDnsContext extends NameContext {
  readonly privateDns: PrivateDnsConfig;
  readonly hub?: { readonly linkPrivateDnsZones: boolean };
  readonly vnetAddressSpace: string;
}

/** The hub's zones of a stack in mode central, validated (`privateDnsIssues` found nothing); undefined in mode stack. */
export interface CentralPrivateDns {
  readonly zonesResourceGroupId: string;
  readonly dnsServers: readonly string[];
}

const dnsServersRule =
  "must list 1 to 5 IPv4 addresses with mode central: the hub's Private Resolver inbound endpoint or the hub firewall (DNS proxy); App Service uses at most five";

/**
 * The problems of `privateDns` with the rest of the config (pure), each at the key whose change fixes it: a mode
 * central without the hub's zones, its DNS servers or the hub peering that reaches them, and settings mode stack ignores.
 */
export function privateDnsIssues(
  c: PrivateDnsContext,
): { readonly path: readonly (string | number)[]; readonly message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const { mode, zonesResourceGroupId, dnsServers } = c.privateDns;
  if (mode === "stack") {
    for (const key of ["zonesResourceGroupId", "dnsServers"] as const)
      if (c.privateDns[key] !== undefined)
        issues.push({
          path: ["privateDns", key],
          message: "has no effect with mode stack: remove it, or set mode to central",
        });
    return issues;
  }
  // The stack's own groups (rg-<workload>-<env>-<region>-<role>): zones there are no hub's, and a link moving between
  // modes within one group name would be updated in place (components/platform/privateDns.ts zoneLinkOptions).
  const own = resourceName("resourceGroup", c);
  // (Read even when its own rule refused the id: zod runs this check with every field's issues.)
  const group = zonesResourceGroupId && parseResourceGroupId(zonesResourceGroupId)?.resourceGroupName.toLowerCase();
  if (group !== undefined && (group === own || group.startsWith(`${own}-`)))
    issues.push({
      path: ["privateDns", "zonesResourceGroupId"],
      message: `names a resource group of this stack (${own}-*): mode central uses the hub's zones, in the hub's resource group`,
    });
  if (zonesResourceGroupId === undefined)
    issues.push({
      path: ["privateDns", "zonesResourceGroupId"],
      message:
        "is required with mode central: the id of the resource group holding the hub's privatelink.* zones (/subscriptions/<id>/resourceGroups/<name>)",
    });
  if (dnsServers === undefined || dnsServers.length === 0 || dnsServers.length > MAX_DNS_SERVERS)
    issues.push({ path: ["privateDns", "dnsServers"], message: dnsServersRule });
  const space = parseCidr(c.vnetAddressSpace);
  (dnsServers ?? []).forEach((server, i) => {
    const host = parseCidr(`${server}/32`);
    const problem =
      host === undefined || formatCidr(host) !== `${server}/32`
        ? "must be an IPv4 address, written plainly (e.g. 10.0.0.68)"
        : server === AZURE_PROVIDED_DNS
          ? "is Azure-provided DNS, which answers only from zones linked to this VNet, and mode central links only the hub's vault zone (for the gateway): use the hub's resolver or firewall"
          : !isPrivate(host)
            ? "must be a private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16): the hub's resolver or firewall, reached through the peering"
            : space && contains(space, host)
              ? `lies inside vnetAddressSpace ${c.vnetAddressSpace}: the resolver is the hub's, reached through the peering`
              : dnsServers?.indexOf(server) !== i
                ? "is listed twice"
                : undefined;
    if (problem) issues.push({ path: ["privateDns", "dnsServers", i], message: problem });
  });
  if (c.hub === undefined)
    issues.push({
      path: ["privateDns", "mode"],
      message:
        "central needs hub: the VNet reaches dnsServers, and through them the hub's zones, only through its peering with the hub",
    });
  else if (c.hub.linkPrivateDnsZones)
    issues.push({
      path: ["hub", "linkPrivateDnsZones"],
      message: "must be false with privateDns.mode central: the stack has no private DNS zones to link",
    });
  return issues;
}

/** The hub's zones and DNS servers of a validated config in mode central; undefined in mode stack. */
export function centralPrivateDns(privateDns: PrivateDnsConfig): CentralPrivateDns | undefined {
  if (privateDns.mode === "stack") return undefined;
  const { zonesResourceGroupId, dnsServers } = privateDns;
  if (zonesResourceGroupId === undefined || dnsServers === undefined)
    throw new Error("privateDns: mode central without zonesResourceGroupId or dnsServers passed validation");
  return { zonesResourceGroupId, dnsServers };
}
