/**
 * The platform's subnets by role and their NSG rules: deny by default, an outbound allow-list where a subnet needs
 * one, the payment API endpoint's inbound rules, and the service tags workload subnets may reach through the
 * firewall, and a deployed subnet's range against the config. The resources are created in network.ts.
 */
import * as network from "@pulumi/azure-native/network";
import type * as types from "@pulumi/azure-native/types";
import * as pulumi from "@pulumi/pulumi";
import { merchantAuthenticationOn, type PlatformConfig, type SubnetRole } from "../../lib/config";
import { ML_COMPUTE_EGRESS, regionalTag } from "../../lib/mlEgress";
import { ENDPOINT_PORT_GROUPS, PRIVATE_ENDPOINT_PORTS, type EndpointPortGroup } from "../../lib/privateLink";
import type { CreationOnlyConflict } from "../shared";

/** An inbound rule's source standing for the subnet's own address range (`nsgRules` fills it in). */
export const OWN_SUBNET = "{subnet}";

/** Subnet naming and behaviour per role. */
export interface SubnetSpec {
  readonly name: string;
  /** Qualifier of the subnet's NSG name (`nsg-<workload>-<env>-<region>-<qualifier>`). */
  readonly nsgQualifier: string;
  readonly delegation?: string;
  /** NSG rules in addition to the final deny-all inbound. */
  readonly allowInbound: readonly {
    name: string;
    /** A service tag or CIDR, or `OWN_SUBNET`: the subnet's own range (its resources among themselves). */
    source: string;
    /** One port or range, or several (a rule's `destinationPortRanges`). */
    ports: string | readonly string[];
    protocol: network.SecurityRuleProtocol;
  }[];
  /** Azure forbids an NSG on some subnets (AzureFirewallSubnet). */
  readonly nsg: boolean;
  /** Send internet-bound traffic through Azure Firewall when it is enabled (workload subnets). */
  readonly egressViaFirewall?: boolean;
  /**
   * Outbound allow-list of the NSG (priority 100+), followed by a deny of everything else to the Internet; absent =
   * Azure's default outbound rules. Service tags may contain `{region}` (see lib/mlEgress.ts).
   */
  readonly allowOutbound?: readonly {
    name: string;
    destination: string;
    ports: readonly string[];
    protocol: network.SecurityRuleProtocol;
  }[];
}

/**
 * The VNet's subnets, in this order. Append new roles at the end: the VNet ignores what Azure writes into its subnets
 * (`AZURE_ASSIGNED` in network.ts) by position, so a role inserted mid-list would be sent with its neighbour's
 * back-references (tests/platform.spec.ts pins the order).
 */
export const SUBNETS: Readonly<Record<SubnetRole, SubnetSpec>> = {
  privateEndpoints: {
    name: "snet-private-endpoints",
    nsgQualifier: "pep",
    nsg: true,
    allowInbound: [
      {
        name: "allow-vnet-to-private-endpoints",
        source: "VirtualNetwork",
        // The services' ports only (lib/privateLink.ts); endpoints that take more join an ASG their rule names
        // (privateEndpointRules).
        ports: PRIVATE_ENDPOINT_PORTS,
        protocol: network.SecurityRuleProtocol.Tcp,
      },
    ],
  },
  // Reserved for an Elastic Premium or Dedicated plan's VNet integration (delegated to Microsoft.Web/serverFarms);
  // every app runs on Flex Consumption in flexFunctions, so nothing is in it. It keeps its place in SUBNET_ROLES:
  // removing a role would move every subnet carved after it.
  functions: {
    name: "snet-functions",
    nsgQualifier: "func",
    delegation: "Microsoft.Web/serverFarms",
    nsg: true,
    allowInbound: [],
    egressViaFirewall: true,
  },
  appGateway: {
    name: "snet-app-gateway",
    nsgQualifier: "agw",
    nsg: true,
    allowInbound: [
      {
        name: "allow-https-from-internet",
        source: "Internet",
        ports: "443",
        protocol: network.SecurityRuleProtocol.Tcp,
      },
      {
        name: "allow-gateway-manager",
        source: "GatewayManager",
        ports: "65200-65535",
        protocol: network.SecurityRuleProtocol.Tcp,
      },
      {
        name: "allow-azure-load-balancer",
        source: "AzureLoadBalancer",
        ports: "*",
        protocol: network.SecurityRuleProtocol.Asterisk,
      },
    ],
  },
  mlCompute: {
    name: "snet-ml-compute",
    nsgQualifier: "ml",
    nsg: true,
    egressViaFirewall: true,
    // Exactly Microsoft's required outbound list for VNet-injected Azure ML compute (lib/mlEgress.ts); the
    // workspace's own compute runs in its managed network instead and never uses this subnet. For compute without a
    // public IP only (`enableNodePublicIp: false`): compute with one also needs inbound from BatchNodeManagement and
    // AzureMachineLearning and routes for those tags to the Internet, which the deny-all inbound rule and the
    // firewall route here do not give (learn.microsoft.com/azure/machine-learning/how-to-access-azureml-behind-firewall).
    allowOutbound: ML_COMPUTE_EGRESS.map((rule) => ({
      name: `allow-${rule.name}`,
      destination: rule.serviceTag,
      ports: rule.ports,
      protocol: rule.protocol === "UDP" ? network.SecurityRuleProtocol.Udp : network.SecurityRuleProtocol.Tcp,
    })),
    allowInbound: [
      {
        // The compute nodes among themselves (the subnet's own range), not every host of the network and its peers.
        name: "allow-vnet-intra-cluster",
        source: OWN_SUBNET,
        ports: "*",
        protocol: network.SecurityRuleProtocol.Tcp,
      },
    ],
  },
  // Reserved for a VNet-injected job; none is injected (ARM cannot declare it: components/streaming/streamAnalytics.ts),
  // so no route to the firewall: with default outbound access off nothing in it reaches the internet. Microsoft
  // requires a NAT gateway on an injected job's subnet (stream-analytics/run-job-in-virtual-network), so its egress is
  // decided when a job joins it: the policy config lists it under the egress-route rule's `exemptSubnets` with
  // `whileEmpty`, a listing that lapses once Azure lists anything in the subnet (policies/rules/egressRoutes.ts).
  streamAnalytics: {
    name: "snet-stream-analytics",
    nsgQualifier: "asa",
    delegation: "Microsoft.StreamAnalytics/streamingJobs",
    nsg: true,
    allowInbound: [],
  },
  firewall: { name: "AzureFirewallSubnet", nsgQualifier: "afw", nsg: false, allowInbound: [] },
  // Flex Consumption VNet integration (outbound only: the apps are reached through private endpoints in the PE
  // subnet). Flex needs the Microsoft.App/environments delegation (not Microsoft.Web/serverFarms) and the
  // Microsoft.App resource provider registered. Its size does not follow the apps' scale-out: their outbound traffic
  // goes through at most 27 shared gateways (27 addresses) per subnet "regardless of how many apps are integrated",
  // and Microsoft recommends a /26 for several apps (functions-networking-options, Subnets); the /24 is above that.
  flexFunctions: {
    name: "snet-functions-flex",
    nsgQualifier: "flex",
    delegation: "Microsoft.App/environments",
    nsg: true,
    allowInbound: [],
    egressViaFirewall: true,
  },
};

/**
 * The private endpoint subnet's rules for the payment API's endpoint (pure), at 100 and 110, ahead of the subnet's
 * own allows (moved to 200 then; Azure takes custom rule priorities from 100 to 4096): only the gateway's subnet and
 * the runners that ship the code (`ingestion.gateway.paymentApiDeploySources`) may reach the endpoint, on HTTPS;
 * everything else in the network (a peered hub, on-premises ranges through its gateway) is denied, so no client gets
 * around the WAF. Required with merchants authenticated by client certificate (the app then trusts the certificate
 * headers the gateway sets); on whenever the runners' ranges are configured; none without them (the code could not
 * be shipped). NSGs apply to private endpoints because the subnet enables its network policies.
 */
export function paymentApiEndpointRules(
  cfg: Pick<PlatformConfig, "subnets" | "ingestion">,
  endpointAsgId: pulumi.Input<string>,
): types.input.network.SecurityRuleArgs[] {
  const gw = cfg.ingestion.gateway;
  if (!merchantAuthenticationOn(cfg.ingestion) && !gw.paymentApiDeploySources?.length) return [];
  const to = { destinationApplicationSecurityGroups: [{ id: endpointAsgId }], sourcePortRange: "*" };
  return [
    {
      name: "allow-gateway-and-deploy-to-payment-api",
      priority: 100,
      direction: network.SecurityRuleDirection.Inbound,
      access: network.SecurityRuleAccess.Allow,
      protocol: network.SecurityRuleProtocol.Tcp,
      sourceAddressPrefixes: [cfg.subnets.appGateway, ...(gw.paymentApiDeploySources ?? [])],
      destinationPortRange: "443",
      ...to,
    },
    {
      name: "deny-others-to-payment-api",
      priority: 110,
      direction: network.SecurityRuleDirection.Inbound,
      access: network.SecurityRuleAccess.Deny,
      protocol: network.SecurityRuleProtocol.Asterisk,
      sourceAddressPrefix: "*",
      destinationPortRange: "*",
      ...to,
    },
  ];
}

/**
 * The private endpoint subnet's rules before its general allow (which starts at 200): the payment API endpoint's
 * (100, 110: paymentApiEndpointRules), then one allow from the network per endpoint port group (120 on: the SQL
 * endpoints' redirect range, the ML workspace's compute instance ports, SMB), to the group's application security
 * group only.
 */
export function privateEndpointRules(
  cfg: Pick<PlatformConfig, "subnets" | "ingestion">,
  paymentApiAsgId: pulumi.Input<string>,
  groupAsgIds: Readonly<Record<EndpointPortGroup, pulumi.Input<string>>>,
): types.input.network.SecurityRuleArgs[] {
  const groups = (Object.keys(ENDPOINT_PORT_GROUPS) as EndpointPortGroup[]).map((group, i) => ({
    name: `allow-vnet-to-${ENDPOINT_PORT_GROUPS[group].qualifier}-endpoints`,
    priority: 120 + i * 10,
    direction: network.SecurityRuleDirection.Inbound,
    access: network.SecurityRuleAccess.Allow,
    protocol: network.SecurityRuleProtocol.Tcp,
    sourceAddressPrefix: "VirtualNetwork",
    sourcePortRange: "*",
    destinationApplicationSecurityGroups: [{ id: groupAsgIds[group] }],
    destinationPortRanges: [...ENDPOINT_PORT_GROUPS[group].ports],
  }));
  return [...paymentApiEndpointRules(cfg, paymentApiAsgId), ...groups];
}

/**
 * NSG rules for a subnet: its allows from priority 100, then deny all inbound at 4096 (deny by default); with an
 * outbound allow-list, those allows from priority 100 and a deny to the Internet at 4096. `location` fills regional
 * service tags (`{region}`). On a subnet whose route table sends 0.0.0.0/0 to the firewall, a `VirtualNetwork` source
 * may stand for any address: the tag holds "address prefixes used on user-defined routes. This tag might also contain
 * default routes" (virtual-network/service-tags-overview); so those subnets admit no inbound from it, and their deny
 * at 4096 comes before Azure's AllowVnetInBound (65000).
 */
export function nsgRules(
  spec: SubnetSpec,
  location: string,
  firstPriority = 100,
  subnetCidr?: string,
): types.input.network.SecurityRuleArgs[] {
  const allows = spec.allowInbound.map((rule, i) => {
    if (rule.source === OWN_SUBNET && !subnetCidr)
      throw new Error(`${spec.name}: rule ${rule.name} admits the subnet's own range, which nsgRules was not given`);
    return {
      name: rule.name,
      priority: firstPriority + i * 10,
      direction: network.SecurityRuleDirection.Inbound,
      access: network.SecurityRuleAccess.Allow,
      protocol: rule.protocol,
      sourceAddressPrefix: rule.source === OWN_SUBNET ? (subnetCidr as string) : rule.source,
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      ...(typeof rule.ports === "string"
        ? { destinationPortRange: rule.ports }
        : { destinationPortRanges: [...rule.ports] }),
    };
  });
  return [
    ...allows,
    {
      name: "deny-all-inbound",
      priority: 4096,
      direction: network.SecurityRuleDirection.Inbound,
      access: network.SecurityRuleAccess.Deny,
      protocol: network.SecurityRuleProtocol.Asterisk,
      sourceAddressPrefix: "*",
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: "*",
    },
    ...outboundRules(spec, location),
  ];
}

/** The outbound allow-list of a subnet's NSG and the final deny to the Internet (none without a list). */
function outboundRules(spec: SubnetSpec, location: string): types.input.network.SecurityRuleArgs[] {
  if (!spec.allowOutbound) return [];
  return [
    ...spec.allowOutbound.map((rule, i) => ({
      name: rule.name,
      priority: 100 + i * 10,
      direction: network.SecurityRuleDirection.Outbound,
      access: network.SecurityRuleAccess.Allow,
      protocol: rule.protocol,
      sourceAddressPrefix: "VirtualNetwork",
      sourcePortRange: "*",
      destinationAddressPrefix: regionalTag(rule.destination, location),
      destinationPortRanges: [...rule.ports],
    })),
    {
      name: "deny-internet-outbound",
      priority: 4096,
      direction: network.SecurityRuleDirection.Outbound,
      access: network.SecurityRuleAccess.Deny,
      protocol: network.SecurityRuleProtocol.Asterisk,
      sourceAddressPrefix: "*",
      sourcePortRange: "*",
      destinationAddressPrefix: "Internet",
      destinationPortRange: "*",
    },
  ];
}

/**
 * Service tags every workload subnet may reach through the firewall (HTTPS): Entra ID tokens only. Not Azure Monitor:
 * the apps' telemetry goes to Application Insights and the workspace through the monitor scope's private endpoint
 * (public ingestion is disabled on both), so the public tag would reach only other tenants' workspaces, and Log
 * Analytics ingestion "doesn't adhere to AMPLS access modes. To assure Log Analytics ingestion requests can't access
 * workspaces out of the AMPLS, set the network firewall to block traffic to public endpoints"
 * (azure-monitor/logs/private-link-design, "Select an access mode"). Not Resource Manager: no function calls it (their
 * tokens come from the local identity endpoint), and management.azure.com takes any tenant's token, an exfiltration
 * path (PCI DSS 1.3.2). What only the ML compute subnet needs (AzureMachineLearning, Resource Manager, Azure Monitor,
 * MicrosoftContainerRegistry, Front Door) is in its own rule collection (`mlComputeEgress`, only with `ml.vnetComputeEgress`), sourced from that subnet
 * alone, so the function apps cannot reach it.
 */
export const EGRESS_SERVICE_TAGS = ["AzureActiveDirectory"] as const;

/** A deployed subnet as `network.getVirtualNetwork` reports it: its range and what is in it. */
export interface DeployedSubnet {
  readonly name?: string;
  readonly addressPrefix?: string;
  readonly addressPrefixes?: readonly string[];
  readonly ipConfigurations?: readonly unknown[];
  readonly privateEndpoints?: readonly unknown[];
  readonly applicationGatewayIPConfigurations?: readonly unknown[];
  readonly serviceAssociationLinks?: readonly unknown[];
  readonly resourceNavigationLinks?: readonly unknown[];
}

/** What holds a deployed subnet, counted ("3 private endpoints, 1 service association link"); empty when nothing does. */
export function subnetOccupants(s: DeployedSubnet): string {
  const parts: [readonly unknown[] | undefined, string][] = [
    [s.privateEndpoints, "private endpoint"],
    [s.ipConfigurations, "IP configuration"],
    [s.applicationGatewayIPConfigurations, "application gateway IP configuration"],
    [s.serviceAssociationLinks, "service association link"],
    [s.resourceNavigationLinks, "resource navigation link"],
  ];
  return parts
    .filter(([list]) => (list?.length ?? 0) > 0)
    .map(([list, what]) => `${list?.length ?? 0} ${what}${list?.length === 1 ? "" : "s"}`)
    .join(", ");
}

/**
 * A subnet range the config changes on a deployed subnet that holds resources: "If any resources exist in the subnet,
 * you must either move the resources to another subnet, or delete them from the subnet first"
 * (virtual-network-manage-subnet), so Azure refuses the VNet's update as a whole. `subnets.<role>`, or
 * `vnetAddressSpace` when the stack leaves `subnets` to be carved from it.
 */
export function subnetRangeConflicts(
  deployed: { readonly subnets?: readonly DeployedSubnet[] },
  wanted: Readonly<Record<SubnetRole, string>>,
): CreationOnlyConflict[] {
  const conflicts: CreationOnlyConflict[] = [];
  for (const role of Object.keys(SUBNETS) as SubnetRole[]) {
    const subnet = deployed.subnets?.find((s) => s.name === SUBNETS[role].name);
    const had = subnet?.addressPrefix ?? subnet?.addressPrefixes?.[0];
    if (!subnet || had === undefined || had === wanted[role]) continue;
    const occupants = subnetOccupants(subnet);
    if (occupants === "") continue;
    conflicts.push({
      key: `subnets.${role}`,
      deployed: `${had} (holding ${occupants})`,
      wanted: wanted[role],
      kind: "refused",
      remedy:
        `Azure changes a subnet's range only while nothing is in it ("If any resources exist in the subnet, you must ` +
        `either move the resources to another subnet, or delete them from the subnet first", virtual-network-manage-subnet), ` +
        `and refuses the VNet's whole update otherwise: keep ${had} (if vnetAddressSpace changed, set \`subnets\` to ` +
        `the deployed ranges), or empty the subnet first.`,
    });
  }
  return conflicts;
}
