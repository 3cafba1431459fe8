/**
 * The platform's network: subnets by role with their NSGs (the roles and rules are in subnets.ts), the egress route
 * table through Azure Firewall, the DDoS Network Protection plan (when the stack uses one), the VNet and its hub
 * peering; the private DNS zones linked to it are in privateDns.ts.
 */
import * as network from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";
import { centralPrivateDns, type PlatformConfig, type SubnetRole } from "../../lib/config";
import { nthAddress, parseCidr, type Cidr } from "../../lib/cidr";
import { ENDPOINT_PORT_GROUPS, type EndpointPortGroup, type PrivateLinkService } from "../../lib/privateLink";
import {
  afterCreationOnlyCheck,
  deployedOrNone,
  diagnosticSetting,
  type DiagnosticSettingsTarget,
  type StackContext,
  type Tags,
} from "../shared";
import { nsgRules, privateEndpointRules, SUBNETS, subnetRangeConflicts } from "./subnets";

export * from "./subnets";
export * from "./privateDns";

export interface PlatformNetworkArgs {
  readonly context: StackContext;
  /** The platform's network resource group. */
  readonly resourceGroupName: pulumi.Input<string>;
  readonly diagnostics: DiagnosticSettingsTarget;
  /**
   * What every subnet join waits for besides the VNet and its hub peering: the VNet's flow log (flowLogs.ts), which
   * the platform creates later, so it is handed over as a deferred output (`pulumi.deferredOutput`).
   */
  readonly joinsAfter: pulumi.Output<unknown>;
  readonly tags: Tags;
}

export interface PlatformNetwork {
  readonly vnet: network.VirtualNetwork;
  /** The VNet's id once the VNet and its hub peering are done: what the flow log targets. */
  readonly readyId: pulumi.Output<string>;
  /**
   * The application security group the payment API's private endpoint always joins; the subnet's NSG names it only
   * with merchant authentication (paymentApiEndpointRules).
   */
  readonly paymentApiEndpointAsgId: pulumi.Output<string>;
  /** The application security groups of the endpoint port groups (lib/privateLink.ts ENDPOINT_PORT_GROUPS). */
  readonly endpointPortGroupAsgIds: Readonly<Record<EndpointPortGroup, pulumi.Output<string>>>;
  /** The subnet roles the stack has (all of them: the firewall's subnet stays, empty, without the firewall). */
  readonly roles: readonly SubnetRole[];
  readonly subnetIds: Readonly<Partial<Record<SubnetRole, pulumi.Output<string>>>>;
  readonly ddosProtectionPlanId?: pulumi.Output<string>;
}

/** The hub VNet the private DNS zones are linked to as well, when the stack asks for it (config `hub`). */
export function hubDnsLinkTarget(hub: PlatformConfig["hub"]): string | undefined {
  return hub?.linkPrivateDnsZones ? hub.virtualNetworkId : undefined;
}

/** Which ASG an endpoint of each service joins: its port group's (lib/privateLink.ts ENDPOINT_PORT_GROUPS). */
export function endpointGroupMembership(
  asgIds: Readonly<Record<EndpointPortGroup, pulumi.Input<string>>>,
): Partial<Record<PrivateLinkService, readonly pulumi.Input<string>[]>> {
  const membership: Partial<Record<PrivateLinkService, pulumi.Input<string>[]>> = {};
  for (const group of Object.keys(ENDPOINT_PORT_GROUPS) as EndpointPortGroup[])
    for (const service of ENDPOINT_PORT_GROUPS[group].services) (membership[service] ??= []).push(asgIds[group]);
  return membership;
}

/** The name of the stack's peering with its hub (config `hub`). */
export const HUB_PEERING_NAME = "peer-to-hub";

/**
 * The stack's side of the peering with its hub: traffic both ways (operators, runners), traffic the hub forwards (from
 * its VPN or ExpressRoute gateway or an appliance), never a transit for the hub, and the hub's gateway only when asked
 * (`useRemoteGateways` needs the hub's side to allow gateway transit, or Azure refuses the peering:
 * learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview, "Gateways and on-premises connectivity").
 */
export function hubPeering(
  hub: NonNullable<PlatformConfig["hub"]>,
): Pick<
  network.VirtualNetworkPeeringArgs,
  | "remoteVirtualNetwork"
  | "allowVirtualNetworkAccess"
  | "allowForwardedTraffic"
  | "allowGatewayTransit"
  | "useRemoteGateways"
> {
  return {
    remoteVirtualNetwork: { id: hub.virtualNetworkId },
    allowVirtualNetworkAccess: true,
    allowForwardedTraffic: true,
    allowGatewayTransit: false,
    useRemoteGateways: hub.useRemoteGateways,
  };
}

/**
 * What Azure writes into inline children after the parent's own write, which the SDK declares as inputs:
 * - the etags, which change whenever something joins a subnet or the parent is written (private endpoints, the
 *   gateway, the apps join after the VNet's own write: pulumi-azure-native#4722, "etag churn");
 * - a subnet's back-references to what joined it: the Application Gateway's IP configuration
 *   (`applicationGatewayIPConfigurations`, on the gateway's subnet once the gateway exists) and the links of a
 *   delegated subnet (`serviceAssociationLinks`, `resourceNavigationLinks`: the Flex apps' `legionservicelink`);
 * - the children's `provisioningState`, which a read during an update sees as `Updating`.
 * azure-native's refresh copies into the inputs what changed between the read after the last write and the current
 * one (provider.go `Read`, "if properties changed, we assume they aren't default values anymore"), so without these
 * paths a drift check would fail and the next `up` would send the subnets without the gateway's configuration. An
 * ignored path is sent with its refreshed value (what Azure holds); Azure ignores etags and read-only values in a body.
 */
export const AZURE_ASSIGNED: Readonly<Record<"subnets" | "securityRules" | "routes", string[]>> = {
  subnets: [
    "subnets[*].etag",
    "subnets[*].delegations[*].etag",
    "subnets[*].applicationGatewayIPConfigurations",
    "subnets[*].serviceAssociationLinks",
    "subnets[*].resourceNavigationLinks",
    "subnets[*].provisioningState",
  ],
  securityRules: ["securityRules[*].etag", "securityRules[*].provisioningState"],
  routes: ["routes[*].etag", "routes[*].provisioningState"],
};

/** What Azure writes into the stack's side of the hub peering (status inputs of `VirtualNetworkPeeringArgs`). */
export const HUB_PEERING_STATUS = [
  "peeringState",
  "peeringSyncLevel",
  "remoteAddressSpace",
  "remoteVirtualNetworkAddressSpace",
  "remoteBgpCommunities",
  "localAddressSpace",
  "localVirtualNetworkAddressSpace",
] as const;

/** NSGs, the egress route table, the DDoS plan and the VNet with its subnets inline (never also Subnet resources). */
export function platformNetwork(name: string, args: PlatformNetworkArgs, parent: pulumi.Resource): PlatformNetwork {
  const { context, tags } = args;
  const cfg = context.config;
  const central = centralPrivateDns(cfg.privateDns);
  const location = cfg.location;
  const rg = args.resourceGroupName;
  // A DDoS Network Protection plan on the VNet, unless the stack protects each public IP instead (ddosProtectionMode):
  // an existing one it joins (ddosProtectionPlanId: a hub's, in any subscription of the tenant), or its own.
  const withPlan = cfg.enableDdosProtection && cfg.ddosProtectionMode === "network";
  const ownPlan =
    withPlan && cfg.ddosProtectionPlanId === undefined
      ? new network.DdosProtectionPlan(
          `${name}-ddos`,
          { ddosProtectionPlanName: context.name("ddosPlan"), resourceGroupName: rg, location, tags },
          { parent },
        )
      : undefined;
  const ddosPlanId: pulumi.Output<string> | undefined = ownPlan
    ? ownPlan.id
    : withPlan && cfg.ddosProtectionPlanId !== undefined
      ? pulumi.output(cfg.ddosProtectionPlanId)
      : undefined;
  // Every role, the firewall's subnet too when the firewall is off (an empty subnet has no charge): Pulumi deletes a
  // removed firewall only after updating the VNet, and Azure refuses a VNet update that drops a subnet still in use
  // (InUseSubnetCannotBeDeleted), so a subnet that came and went with `enableFirewall` would fail turning it off.
  const roles = Object.keys(SUBNETS) as SubnetRole[];
  const paymentApiAsg = new network.ApplicationSecurityGroup(
    `${name}-asg-payapi`,
    {
      applicationSecurityGroupName: context.name("applicationSecurityGroup", "payapi"),
      resourceGroupName: rg,
      location,
      tags,
    },
    { parent },
  );
  // The private endpoints that take ports beyond the subnet's common ones join one of these (lib/privateLink.ts).
  const groupAsgs = Object.fromEntries(
    (Object.keys(ENDPOINT_PORT_GROUPS) as EndpointPortGroup[]).map((group) => [
      group,
      new network.ApplicationSecurityGroup(
        `${name}-asg-${ENDPOINT_PORT_GROUPS[group].qualifier}`,
        {
          applicationSecurityGroupName: context.name("applicationSecurityGroup", ENDPOINT_PORT_GROUPS[group].qualifier),
          resourceGroupName: rg,
          location,
          tags,
        },
        { parent },
      ),
    ]),
  ) as Record<EndpointPortGroup, network.ApplicationSecurityGroup>;
  const groupAsgIds = Object.fromEntries(Object.entries(groupAsgs).map(([group, asg]) => [group, asg.id])) as Record<
    EndpointPortGroup,
    pulumi.Output<string>
  >;
  const nsgs = {} as Record<SubnetRole, network.NetworkSecurityGroup>;
  for (const role of roles) {
    if (!SUBNETS[role].nsg) continue;
    nsgs[role] = new network.NetworkSecurityGroup(
      `${name}-nsg-${role}`,
      {
        networkSecurityGroupName: context.name("networkSecurityGroup", SUBNETS[role].nsgQualifier),
        resourceGroupName: rg,
        location,
        securityRules: ((first) => [
          ...first,
          ...nsgRules(SUBNETS[role], location, first.length > 0 ? 200 : 100, cfg.subnets[role]),
        ])(role === "privateEndpoints" ? privateEndpointRules(cfg, paymentApiAsg.id, groupAsgIds) : []),
        tags,
      },
      { parent, ignoreChanges: AZURE_ASSIGNED.securityRules },
    );
    // NSG logs only go to the AzureDiagnostics table, and NSGs have no metrics.
    diagnosticSetting(
      `${name}-nsg-${role}`,
      nsgs[role].id,
      { ...args.diagnostics, metrics: false, destination: "AzureDiagnostics" },
      parent,
    );
  }
  // With the firewall on, workload subnets send internet-bound traffic to it. Its private IP is the first usable
  // address of AzureFirewallSubnet (Azure assigns it), so the route does not wait for the firewall itself: it cannot,
  // since the VNet joins its subnets to the route table and the firewall sits in one of them. No page promises that
  // address, so the pack compares it with the firewall's `privateIPAddress` once Azure has assigned it
  // (azure-native-network-routetable-require-firewall-private-ip-next-hop, at the end of the first `up` and in every
  // later preview).
  const firewallIp = cfg.enableFirewall ? nthAddress(parseCidr(cfg.subnets.firewall) as Cidr, 4) : undefined;
  const egressRoutes = firewallIp
    ? new network.RouteTable(
        `${name}-rt-egress`,
        {
          routeTableName: context.name("routeTable", "egress"),
          resourceGroupName: rg,
          location,
          disableBgpRoutePropagation: true,
          routes: [
            {
              name: "default-to-firewall",
              addressPrefix: "0.0.0.0/0",
              nextHopType: network.RouteNextHopType.VirtualAppliance,
              nextHopIpAddress: firewallIp,
            },
          ],
          tags,
        },
        { parent, ignoreChanges: AZURE_ASSIGNED.routes },
      )
    : undefined;
  // A deployed subnet that holds resources keeps its range (subnetRangeConflicts): a preview of a deployed stack reads
  // the VNet and refuses a new range there before the VNet registers. Hooked on the address space, so that the error
  // names the input it is about (`error serializing property "addressSpace": …`), and read by the names the platform
  // gives the VNet and its group (components/platform/index.ts), both known in a first preview: the read runs there
  // too, finds nothing (no group yet) and keeps the address space known.
  const vnetName = context.name("virtualNetwork");
  const groupName = context.name("resourceGroup", "network");
  const addressSpace = afterCreationOnlyCheck(pulumi.output({ addressPrefixes: [cfg.vnetAddressSpace] }), {
    resource: () => `the virtual network '${vnetName}'`,
    read: () =>
      deployedOrNone(() =>
        network.getVirtualNetwork({ resourceGroupName: groupName, virtualNetworkName: vnetName }, { parent }),
      ),
    conflicts: (deployed) => subnetRangeConflicts(deployed, cfg.subnets),
  });
  const vnet = new network.VirtualNetwork(
    `${name}-vnet`,
    {
      virtualNetworkName: vnetName,
      resourceGroupName: rg,
      location,
      addressSpace,
      ...(ddosPlanId ? { ddosProtectionPlan: { id: ddosPlanId }, enableDdosProtection: true } : {}),
      // With the hub's private DNS zones (`privateDns.mode: central`), the hub's resolver or firewall answers the VNet:
      // the zones are linked to the hub, and Azure DNS answers a VNet only from zones linked to it
      // (learn.microsoft.com/azure/dns/private-resolver-architecture). Queries reach it across the peering (its system
      // route beats the egress route's 0.0.0.0/0, and no NSG denies traffic to the hub). A stack going back to mode
      // stack writes the VNet without them, reported to clear them (unverified: docs/operations.md, "Using the hub's
      // private DNS zones").
      ...(central ? { dhcpOptions: { dnsServers: [...central.dnsServers] } } : {}),
      subnets: roles.map((role) => ({
        name: SUBNETS[role].name,
        addressPrefix: cfg.subnets[role],
        defaultOutboundAccess: false,
        ...(nsgs[role] ? { networkSecurityGroup: { id: nsgs[role].id } } : {}),
        ...(role === "privateEndpoints"
          ? { privateEndpointNetworkPolicies: network.VirtualNetworkPrivateEndpointNetworkPolicies.Enabled }
          : {}),
        ...(SUBNETS[role].delegation
          ? { delegations: [{ name: "delegation", serviceName: SUBNETS[role].delegation }] }
          : {}),
        ...(egressRoutes && SUBNETS[role].egressViaFirewall ? { routeTable: { id: egressRoutes.id } } : {}),
      })),
      // No `virtualNetworkPeerings` here: Azure does not create peerings declared inline on a VNet (Azure/bicep#7622:
      // the deployment succeeds and the list stays empty), so the hub peering is its own resource below. Leaving the
      // property unset also makes azure-native re-send the VNet's live peerings on each update (its
      // "maintainSubResourceIfUnset" for properties that are also standalone resources), so updates keep it; an
      // explicit [] would send an empty list.
      tags,
    },
    { parent, ignoreChanges: AZURE_ASSIGNED.subnets },
  );
  // The VNet's only log category (VMProtectionAlerts, which Microsoft does not document further) and its metrics, the
  // DDoS ones included (IfUnderDDoSAttack, PacketsDroppedDDoS), in the default (AzureDiagnostics) mode; the DDoS
  // notifications and mitigation reports come from the public IPs' own settings: Microsoft's "Audit diagnostic setting for selected resource types" (in the retired PCI DSS v4.0 initiative) lists virtual networks,
  // and Microsoft's built-in "Enable logging by category group for Virtual networks" sets `allLogs` and metrics on
  // them (Azure/azure-policy, DS_LA_network-virtualnetworks_DINE.json). A setting is its own resource
  // (Microsoft.Insights), not a write of the VNet, so it never races a subnet join.
  diagnosticSetting(`${name}-vnet`, vnet.id, { ...args.diagnostics, destination: "AzureDiagnostics" }, parent);
  // The stack's side of the peering with the hub operators and data-plane jobs come from (config `hub`), as a child
  // resource (PUT .../virtualNetworks/{vnet}/virtualNetworkPeerings/{name}, the form Azure Verified Modules use). It
  // waits for the VNet (its name), so a VNet update and a peering update never overlap. The hub's side is its owner's.
  // Removing `hub` deletes it. A peering that fails (useRemoteGateways before the hub allows gateway transit) fails
  // alone: docs/configuration.md gives the order.
  const peering = cfg.hub
    ? new network.VirtualNetworkPeering(
        `${name}-hub-peering`,
        {
          resourceGroupName: rg,
          virtualNetworkName: vnet.name,
          virtualNetworkPeeringName: HUB_PEERING_NAME,
          ...hubPeering(cfg.hub),
        },
        // The peering's status, which the SDK declares as inputs and Azure changes after the stack's write: `Initiated`
        // until the hub's owner creates their side, then `Connected` ("you see its status changed from Initiated to
        // Connected", virtual-network-manage-peering), and the address spaces and sync level when the hub's ranges
        // change. A refresh would copy them into the inputs and fail every drift check; the next `up` would then
        // silence an out-of-sync peering without syncing it (docs/operations.md says to run `az network vnet peering
        // sync`).
        { parent, ignoreChanges: [...HUB_PEERING_STATUS] },
      )
    : undefined;
  // Whatever joins a subnet (private endpoints, the gateway, the apps, the stream job) waits for the peering too:
  // Azure refuses a peering while its VNet is updating, which every subnet join does (ReferencedResourceNotProvisioned
  // "... PutSubnetOperation", pulumi-azure-native#4340), so the peering goes first, alone.
  // Through the peering's URN (known in every preview, resolved once the peering is created), for the same reason as
  // the flow log's (flowLogs.ts `ready`): a peering added later must not make the subnets' ids unknown.
  const vnetReady = peering ? pulumi.all([vnet.id, peering.urn]).apply(([id]) => id) : vnet.id;
  // And for the VNet's flow log (args.joinsAfter), so that its write, which references the VNet, never meets a join.
  const joinable = pulumi.all([vnetReady, args.joinsAfter]).apply(([id]) => id);
  const subnetIds = Object.fromEntries(
    roles.map((role) => [role, pulumi.interpolate`${joinable}/subnets/${SUBNETS[role].name}`]),
  ) as Partial<Record<SubnetRole, pulumi.Output<string>>>;
  return {
    vnet,
    readyId: vnetReady,
    roles,
    subnetIds,
    ddosProtectionPlanId: ddosPlanId,
    paymentApiEndpointAsgId: paymentApiAsg.id,
    endpointPortGroupAsgIds: groupAsgIds,
  };
}
