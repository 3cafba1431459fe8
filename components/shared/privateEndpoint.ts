/**
 * Private endpoint for a service: the endpoint in the platform's private-endpoint subnet, connected to the target
 * with the service's group id, and one DNS zone group registering it in the service's private DNS zone(s).
 */
import * as network from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";
import { MAX_ZONES_PER_GROUP, PRIVATE_LINK, type PrivateLinkService } from "../../lib/privateLink";
import type { PrivateEndpointTarget, Tags } from "./interfaces";

export interface PrivateEndpointArgs {
  /** Which sub-resource of the target (decides group id and DNS zones). */
  readonly service: PrivateLinkService;
  /** Id of the resource the endpoint connects to. */
  readonly targetId: pulumi.Input<string>;
  /** Azure name of the target, used in the endpoint's name (`pep-<target>-<group>`). */
  readonly targetName: pulumi.Input<string>;
  readonly target: PrivateEndpointTarget;
  readonly tags: Tags;
  /** Application security groups the endpoint's IP joins (NSG rules of its subnet can then name it). */
  readonly applicationSecurityGroupIds?: readonly pulumi.Input<string>[];
  /**
   * Wait for these first: a new endpoint adds a private endpoint connection to the target, which services such as
   * Storage and Synapse update one operation at a time.
   */
  readonly dependsOn?: readonly pulumi.Resource[];
  /**
   * The target when a change can replace it (a new Event Hubs tier is a new namespace): the endpoint and its DNS zone
   * group are replaced with it (`replaceWith`, Pulumi CLI 3.207 and later), deleted first (same names). Otherwise the
   * endpoint, whose inputs name the target only by an id that does not change, would stay connected to the deleted
   * resource: "When recreating an azure PaaS service which is also in use in an azure private endpoint … the status
   * of the private endpoint changes to Disconnected" (hashicorp/terraform-provider-azurerm#15051), and it does not
   * reconnect by itself.
   */
  readonly replacedWith?: pulumi.Resource;
  /** The endpoint and its DNS zone group stay in Azure when the program drops them (a retained target's read path). */
  readonly retainOnDelete?: boolean;
}

export interface PrivateEndpointResources {
  readonly endpoint: network.PrivateEndpoint;
  readonly zoneGroup: network.PrivateDnsZoneGroup;
}

/**
 * Zone ids for a service; throws naming the missing zone when the platform has no id for it (neither a zone of its own
 * nor, with `privateDns.mode: central`, one of the hub's: lib/privateLink.ts CENTRAL_ZONES).
 */
export function zonesFor(service: PrivateLinkService, target: PrivateEndpointTarget) {
  const zones = PRIVATE_LINK[service].zones;
  if (zones.length > MAX_ZONES_PER_GROUP) throw new Error(`${service}: more than ${MAX_ZONES_PER_GROUP} DNS zones`);
  return zones.map((zone) => {
    const id = target.privateDnsZoneIds[zone];
    if (id === undefined) throw new Error(`private endpoint for ${service} needs the private DNS zone ${zone}`);
    return { zone, id };
  });
}

/** Creates `${name}-pep` and `${name}-pep-dns` as children of `parent`. */
export function privateEndpoint(
  name: string,
  args: PrivateEndpointArgs,
  parent: pulumi.Resource,
): PrivateEndpointResources {
  const { groupIds } = PRIVATE_LINK[args.service];
  const zones = zonesFor(args.service, args.target);
  const asgIds = [
    ...(args.applicationSecurityGroupIds ?? []),
    ...(args.target.applicationSecurityGroupIds?.[args.service] ?? []),
  ];
  const endpointName = pulumi.interpolate`${"pep"}-${args.targetName}-${groupIds[0].toLowerCase()}`;
  const endpoint = new network.PrivateEndpoint(
    `${name}-pep`,
    {
      privateEndpointName: endpointName,
      resourceGroupName: args.target.resourceGroupName,
      location: args.target.location,
      subnet: { id: args.target.subnetId },
      customNetworkInterfaceName: pulumi.interpolate`${endpointName}-nic`,
      ...(asgIds.length ? { applicationSecurityGroups: asgIds.map((id) => ({ id })) } : {}),
      privateLinkServiceConnections: [
        { name: endpointName, privateLinkServiceId: args.targetId, groupIds: [...groupIds] },
      ],
      tags: args.tags,
    },
    {
      parent,
      ...(args.dependsOn ? { dependsOn: [...args.dependsOn] } : {}),
      ...(args.replacedWith ? { replaceWith: [args.replacedWith], deleteBeforeReplace: true } : {}),
      ...(args.retainOnDelete ? { retainOnDelete: true } : {}),
    },
  );
  const zoneGroup = new network.PrivateDnsZoneGroup(
    `${name}-pep-dns`,
    {
      privateDnsZoneGroupName: "default",
      privateEndpointName: endpoint.name,
      resourceGroupName: args.target.resourceGroupName,
      privateDnsZoneConfigs: zones.map(({ zone, id }) => ({ name: zone.replace(/\./g, "-"), privateDnsZoneId: id })),
    },
    {
      parent,
      ...(args.replacedWith ? { replaceWith: [endpoint], deleteBeforeReplace: true } : {}),
      ...(args.retainOnDelete ? { retainOnDelete: true } : {}),
    },
  );
  return { endpoint, zoneGroup };
}
