/**
 * Subnets: every subnet with an NSG and without default outbound access (PCI DSS 1.2–1.4).
 */
import type { PolicyConfigSchema, ResourceValidationArgs } from "@pulumi/policy";
import type * as network from "@pulumi/azure-native/network";
import { resourcePolicy, type Props } from "../../lib/policy";
import { isSet, oneOf, who } from "../../lib/values";

const SUBNET = "azure-native:network:Subnet";
const VNET = "azure-native:network:VirtualNetwork";

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
