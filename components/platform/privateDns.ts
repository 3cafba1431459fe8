/**
 * The private DNS zones of the platform's network: one zone per service linked to the VNet (`privateDns.mode: stack`),
 * or the hub's zones (`central`), and the options that move a zone's link between the two in one `up`.
 */
import * as privatedns from "@pulumi/azure-native/privatedns";
import { Provider } from "@pulumi/azure-native/provider";
import * as pulumi from "@pulumi/pulumi";
import { type CentralPrivateDns, type PrivateDnsMode } from "../../lib/config";
import { resourceGroupParts } from "../../lib/naming";
import {
  AZURE_MONITOR_ONLY_ZONES,
  centralZoneIds,
  GATEWAY_AZURE_DNS_ZONES,
  PRIVATE_DNS_ZONES,
  type PrivateDnsZoneName,
} from "../../lib/privateLink";
import { type StackContext, type Tags } from "../shared";

/**
 * The logical names of the link of a zone to the stack's VNet in each `privateDns.mode`: the stack's zone's
 * (`stack`), or the hub's zone's (`central`, GATEWAY_AZURE_DNS_ZONES only).
 */
export function zoneLinkName(name: string, zone: PrivateDnsZoneName, mode: PrivateDnsMode): string {
  return mode === "stack" ? `${name}-dns-${zoneKey(zone)}-link` : `${name}-dns-${zoneKey(zone)}-central-link`;
}

/** A zone's part of its resources' names: `privatelink.blob.core.windows.net` → `blob-core-windows-net`. */
export function zoneKey(zone: PrivateDnsZoneName): string {
  return zone.replace(/^privatelink\./, "").replace(/\./g, "-");
}

/**
 * The options that let one `up` move a zone's link to the VNet between the stack's zone and the hub's: Azure refuses
 * a VNet linked to two zones of one name ("A virtual network cannot be linked to multiple zones with overlapping
 * namespaces", BadRequest: Azure/azure-aks-docs#212; "Creating multiple zones with the same name for a single virtual
 * network is not supported", private-link FAQ), and Pulumi would create the new link before deleting the old one. So
 * each link aliases the other mode's (the same resource to the engine: an alias of `name` alone takes the parent's
 * URN) and is deleted before it is replaced. The replacement comes from the path parameters (the other zone's resource
 * group and, going back to stack, the new zone's name): since pulumi/pulumi#18509 a provider change alone asks the new
 * provider's DiffConfig, which for azure-native never replaces. The old link is deleted with the provider it was
 * created with (from the state). Only for the zones linked in both modes (GATEWAY_AZURE_DNS_ZONES); the others' links
 * exist in mode stack only.
 */
export function zoneLinkOptions(
  name: string,
  zone: PrivateDnsZoneName,
  mode: PrivateDnsMode,
): Pick<pulumi.CustomResourceOptions, "aliases" | "deleteBeforeReplace"> {
  if (!GATEWAY_AZURE_DNS_ZONES.includes(zone)) return {};
  return {
    aliases: [{ name: zoneLinkName(name, zone, mode === "stack" ? "central" : "stack") }],
    deleteBeforeReplace: true,
  };
}

/** One private DNS zone per service, linked to the VNet (no auto-registration); zone ids by zone name. */
export function privateDnsZones(
  name: string,
  args: {
    readonly context: StackContext;
    readonly resourceGroupName: pulumi.Input<string>;
    readonly vnetId: pulumi.Input<string>;
    /** A hub VNet the zones are linked to as well (config `hub.linkPrivateDnsZones`). */
    readonly hubVnetId?: string;
    readonly tags: Tags;
  },
  parent: pulumi.Resource,
): Readonly<Record<PrivateDnsZoneName, pulumi.Output<string>>> {
  const { context, tags } = args;
  const rg = args.resourceGroupName;
  const zoneIds = {} as Record<PrivateDnsZoneName, pulumi.Output<string>>;
  for (const zone of PRIVATE_DNS_ZONES) {
    const key = zoneKey(zone);
    const pz = new privatedns.PrivateZone(
      `${name}-dns-${key}`,
      { privateZoneName: zone, resourceGroupName: rg, location: "global", tags },
      { parent },
    );
    const link = new privatedns.VirtualNetworkLink(
      zoneLinkName(name, zone, "stack"),
      {
        virtualNetworkLinkName: context.name("privateDnsZoneLink"),
        privateZoneName: pz.name,
        resourceGroupName: rg,
        location: "global",
        virtualNetwork: { id: args.vnetId },
        registrationEnabled: false,
        tags,
      },
      { parent, ...zoneLinkOptions(name, zone, "stack") },
    );
    // Not the Azure Monitor scope's own zones (AZURE_MONITOR_ONLY_ZONES): the hub keeps its own monitoring path.
    // A hub client asking for a name this zone does not hold (another account's blob, say) is answered from public
    // DNS instead of NXDOMAIN (resolutionPolicy NxDomainRedirect: privatedns VirtualNetworkLink, API 2024-06-01).
    const hubLink =
      args.hubVnetId && !AZURE_MONITOR_ONLY_ZONES.includes(zone)
        ? new privatedns.VirtualNetworkLink(
            `${name}-dns-${key}-hub-link`,
            {
              virtualNetworkLinkName: context.name("privateDnsZoneLink", "hub"),
              privateZoneName: pz.name,
              resourceGroupName: rg,
              location: "global",
              virtualNetwork: { id: args.hubVnetId },
              registrationEnabled: false,
              resolutionPolicy: privatedns.ResolutionPolicy.NxDomainRedirect,
              tags,
            },
            // One link of the zone at a time.
            { parent, dependsOn: [link] },
          )
        : undefined;
    // The zone's id is handed out once its links exist: a VNet resolves a private zone only through a link
    // (learn.microsoft.com/azure/dns/private-dns-virtual-network-links), so a private endpoint's DNS record, and
    // whatever resolves the `privatelink.*` name while it is created (the gateway loading its certificate from the
    // private vault, a function host starting), must not come before the link does.
    zoneIds[zone] = pulumi.all([pz.id, link.id, hubLink?.id]).apply(([id]) => id);
  }

  return zoneIds;
}

/**
 * The hub's zones (`privateDns.mode: central`), by zone name, each id handed out once the stack's links to it exist:
 * the zones the Application Gateway resolves through Azure-provided DNS whatever the VNet's DNS servers
 * (GATEWAY_AZURE_DNS_ZONES: its Key Vault certificate) are linked to the stack's VNet, in the hub's subscription
 * through a provider of its own. The link is the stack's (created and deleted with it); the deploy identity needs
 * `Microsoft.Network/privateDnsZones/virtualNetworkLinks/*` on that zone (docs/operations.md, "Using the hub's private
 * DNS zones"). Every other name the VNet resolves through the hub's DNS servers.
 */
export function hubZones(
  name: string,
  args: {
    readonly context: StackContext;
    readonly central: CentralPrivateDns;
    readonly vnetId: pulumi.Input<string>;
    readonly tags: Tags;
  },
  parent: pulumi.Resource,
): Readonly<Partial<Record<PrivateDnsZoneName, pulumi.Input<string>>>> {
  const { context, central, tags } = args;
  const { subscriptionId, resourceGroupName } = resourceGroupParts(central.zonesResourceGroupId);
  const ids: Partial<Record<PrivateDnsZoneName, pulumi.Input<string>>> = {
    ...centralZoneIds(central.zonesResourceGroupId),
  };
  // The hub's subscription, with the credentials of the environment (the ARM_* variables, as the deploy workflow sets
  // them, or the CLI login): an explicit provider does not read the stack's `azure-native:*` settings, so a stack that
  // authenticates through them (clientId, useOidc, ...) sets them as ARM_* variables instead. Only this link is
  // created there.
  const hub = new Provider(`${name}-hub-dns`, { subscriptionId }, { parent });
  for (const zone of GATEWAY_AZURE_DNS_ZONES) {
    const link = new privatedns.VirtualNetworkLink(
      zoneLinkName(name, zone, "central"),
      {
        // Unique in the hub's zone, which every spoke links to: the stack's own link name (its VNet's, per stack).
        virtualNetworkLinkName: context.name("privateDnsZoneLink"),
        privateZoneName: zone,
        resourceGroupName,
        location: "global",
        virtualNetwork: { id: args.vnetId },
        registrationEnabled: false,
        // Names the hub's zone does not hold (another tenant's vault) are answered from public DNS, not NXDOMAIN.
        resolutionPolicy: privatedns.ResolutionPolicy.NxDomainRedirect,
        tags,
      },
      { parent, provider: hub, ...zoneLinkOptions(name, zone, "central") },
    );
    // Waits for the link through its URN, known in every preview (as the peering's, platformNetwork): the id stays the
    // hub zone's known id, which the policy pack checks in the first preview too.
    ids[zone] = pulumi.all([ids[zone] as string, link.urn]).apply(([id]) => id);
  }
  return ids;
}
