import { strict as assert } from "node:assert";
import {
  nsgAllPortsInbound,
  nsgPortPolicies,
  openInboundPlacement,
  portsLeftOut,
  privateEndpointSubnetPolicies,
  shadowedOutboundDeny,
} from "../../policies/rules/nsgPorts";
import { POLICY_NAME } from "../../policies/lib/policy";
import { resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

type Rule = Record<string, unknown>;

const inbound = (name: string, source: string, ports: string | string[], protocol = "Tcp"): Rule => ({
  name,
  priority: 200,
  direction: "Inbound",
  access: "Allow",
  protocol,
  sourceAddressPrefix: source,
  sourcePortRange: "*",
  destinationAddressPrefix: "*",
  ...(Array.isArray(ports) ? { destinationPortRanges: ports } : { destinationPortRange: ports }),
});

const nsg = (...rules: Rule[]): ResourceRecord =>
  resourceRecord("azure-native:network:NetworkSecurityGroup", "platform-nsg-privateEndpoints", {
    networkSecurityGroupName: "nsg-pay-dev-weu-pep",
    resourceGroupName: "rg-pay-dev-weu-network",
    location: "westeurope",
    securityRules: rules,
  });

describe("policies/nsgPorts", () => {
  it("exports well-named policies with metadata", () => {
    assert.equal(nsgPortPolicies.length, 4);
    for (const p of nsgPortPolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  describe(nsgAllPortsInbound.name, () => {
    it("passes rules that name their ports, every port from a subnet's own range or a platform tag, denies and ICMP", () =>
      expectPass(
        nsgAllPortsInbound,
        nsg(
          inbound("allow-vnet-to-private-endpoints", "VirtualNetwork", ["443", "1433", "5671"]),
          inbound("allow-vnet-to-pepsql-endpoints", "VirtualNetwork", ["1433-65535"]),
          inbound("allow-vnet-intra-cluster", "10.20.3.0/24", "*"),
          inbound("allow-azure-load-balancer", "AzureLoadBalancer", "*", "*"),
          inbound("allow-ping", "VirtualNetwork", "*", "Icmp"),
          { ...inbound("deny-all-inbound", "*", "*", "*"), access: "Deny", priority: 4096 },
          { ...inbound("allow-all-outbound", "VirtualNetwork", "*"), direction: "Outbound" },
        ),
      ));

    it("fails every port from the network, naming the rule, the source and the ports", async () => {
      const r = await expectFail(
        nsgAllPortsInbound,
        nsg(inbound("allow-vnet-to-private-endpoints", "VirtualNetwork", "*")),
        /securityRules 'allow-vnet-to-private-endpoints' allows inbound Tcp from "VirtualNetwork" on every port \("\*"\)/,
      );
      assert.equal(r.enforcementLevel, "mandatory");
    });

    it("fails every port written as a range, or spread over a list, and from any open source or protocol", async () => {
      await expectFail(nsgAllPortsInbound, nsg(inbound("r", "VirtualNetwork", "0-65535")), /every port \("0-65535"\)/);
      await expectFail(nsgAllPortsInbound, nsg(inbound("r", "virtualnetwork", ["1-65535"])), /every port/);
      await expectFail(
        nsgAllPortsInbound,
        nsg(inbound("r", "VirtualNetwork", ["1-32767", "32768-65535"])),
        /every port/,
      );
      await expectFail(nsgAllPortsInbound, nsg(inbound("r", "VirtualNetwork", "2-65535")), /every port/);
      await expectFail(nsgAllPortsInbound, nsg(inbound("r", "VirtualNetwork", "1024-65535")), /every port/);
      // SQL's redirect range through a private endpoint leaves out more than a thousand: not every port.
      await expectPass(nsgAllPortsInbound, nsg(inbound("r", "VirtualNetwork", "1433-65535")));
      // A wide range or a regional tag is as broad as the network.
      await expectFail(nsgAllPortsInbound, nsg(inbound("r", "10.0.0.0/8", "*")), /from "10\.0\.0\.0\/8" on every port/);
      await expectFail(nsgAllPortsInbound, nsg(inbound("r", "10.20.0.0/16", "*")), /every port/);
      await expectFail(nsgAllPortsInbound, nsg(inbound("r", "AzureCloud.WestEurope", "*")), /every port/);
      await expectFail(
        nsgAllPortsInbound,
        nsg(inbound("r", "0.0.0.0/0", "*", "*")),
        /from "0\.0\.0\.0\/0" on every port/,
      );
      // No destination port at all is every port.
      const none = inbound("r", "VirtualNetwork", "*");
      delete none.destinationPortRange;
      await expectFail(nsgAllPortsInbound, nsg(none), /every port \("\*"\)/);
    });

    it("fails a standalone security rule too", () =>
      expectFail(
        nsgAllPortsInbound,
        resourceRecord("azure-native:network:SecurityRule", "extra-rule", {
          networkSecurityGroupName: "nsg-pay-dev-weu-ml",
          resourceGroupName: "rg-pay-dev-weu-network",
          ...inbound("extra", "VirtualNetwork", "*"),
        }),
        /extra-rule .* rule allows inbound Tcp from "VirtualNetwork" on every port/,
      ));

    it("accepts a rule the config lists with its reason, and only that one", async () => {
      const config = {
        allowedRules: [{ pattern: "nsg-pay-dev-weu-pep/allow-legacy", reason: "RISK-42: a legacy appliance" }],
      };
      await expectPass(nsgAllPortsInbound, nsg(inbound("allow-legacy", "VirtualNetwork", "*")), config);
      await expectFail(nsgAllPortsInbound, nsg(inbound("allow-other", "VirtualNetwork", "*")), /allow-other/, config);
    });

    it("counts the ports a rule leaves out, overlaps merged", () => {
      assert.equal(portsLeftOut([[0, 65535]]), 0);
      assert.equal(
        portsLeftOut([
          [1, 100],
          [50, 200],
          [300, 65535],
        ]),
        99,
      );
      assert.equal(portsLeftOut([[1433, 65535]]), 1432);
      assert.equal(portsLeftOut([]), 65535);
    });

    it("is not applicable to other resource types", () => expectNotApplicable(nsgAllPortsInbound, otherResource()));
  });

  describe(privateEndpointSubnetPolicies.name, () => {
    const VNET_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-pay-dev-weu";
    const vnet = (policies?: string): ResourceRecord => {
      const inputs = {
        resourceGroupName: "rg",
        virtualNetworkName: "vnet-pay-dev-weu",
        subnets: [
          { name: "snet-app", addressPrefix: "10.20.1.0/24" },
          {
            name: "snet-private-endpoints",
            addressPrefix: "10.20.0.0/24",
            ...(policies ? { privateEndpointNetworkPolicies: policies } : {}),
          },
        ],
      };
      return {
        ...resourceRecord("azure-native:network:VirtualNetwork", "platform-vnet", inputs),
        id: VNET_ID,
        outputs: { ...inputs, id: VNET_ID },
      };
    };
    const endpoint = (name: string, subnet: string): ResourceRecord =>
      resourceRecord("azure-native:network:PrivateEndpoint", name, {
        subnet: { id: subnet },
        privateLinkServiceConnections: [],
      });
    const inSubnet = (name: string) => endpoint(name, `${VNET_ID}/subnets/snet-private-endpoints`);

    it("passes a subnet that applies its NSG to its endpoints (Enabled or NetworkSecurityGroupEnabled)", async () => {
      await expectPass(privateEndpointSubnetPolicies, [vnet("Enabled"), inSubnet("kv-pep")]);
      await expectPass(privateEndpointSubnetPolicies, [vnet("NetworkSecurityGroupEnabled"), inSubnet("kv-pep")]);
    });

    it("fails a subnet that leaves its endpoints outside its NSG, explicitly or by default, naming it and them", async () => {
      const r = await expectFail(
        privateEndpointSubnetPolicies,
        [vnet("Disabled"), inSubnet("kv-pep"), inSubnet("sql-pep")],
        /platform-vnet .* subnet 'snet-private-endpoints' hosts 2 private endpoint\(s\) \(kv-pep, sql-pep\) but leaves them outside its NSG \(privateEndpointNetworkPolicies "Disabled"\)/,
      );
      assert.equal(r.urn, vnet().urn);
      await expectFail(privateEndpointSubnetPolicies, [vnet(), inSubnet("kv-pep")], /unset: Disabled by default/);
      await expectFail(
        privateEndpointSubnetPolicies,
        [vnet("RouteTableEnabled"), inSubnet("kv-pep")],
        /"RouteTableEnabled"/,
      );
    });

    it("fails a standalone subnet too, matched by its id", () =>
      expectFail(
        privateEndpointSubnetPolicies,
        [
          {
            ...resourceRecord("azure-native:network:Subnet", "extra-subnet", { subnetName: "snet-extra" }),
            outputs: { subnetName: "snet-extra", id: `${VNET_ID}/subnets/snet-extra` },
          },
          endpoint("st-pep", `${VNET_ID}/subnets/snet-extra`),
        ],
        /subnet 'snet-extra' hosts 1 private endpoint/,
      ));

    it("is not applicable without endpoints, or while no endpoint's subnet is known to be the stack's (first preview)", async () => {
      await expectNotApplicable(privateEndpointSubnetPolicies, [vnet("Disabled")]);
      const unknownIds = { ...vnet("Disabled"), id: undefined, outputs: { ...vnet("Disabled").inputs } };
      await expectNotApplicable(privateEndpointSubnetPolicies, [unknownIds, inSubnet("kv-pep")]);
      await expectNotApplicable(privateEndpointSubnetPolicies, [
        vnet("Disabled"),
        endpoint("x-pep", "/elsewhere/subnets/s"),
      ]);
    });
  });
  describe(openInboundPlacement.name, () => {
    const VNET =
      "/subscriptions/s/resourceGroups/rg-pay-dev-weu-network/providers/Microsoft.Network/virtualNetworks/vnet";
    const NSG_ID = (n: string) =>
      `/subscriptions/s/resourceGroups/rg-pay-dev-weu-network/providers/Microsoft.Network/networkSecurityGroups/${n}`;
    /** An NSG deployed (its id known) with the given rules, under its Azure name. */
    const deployedNsg = (azureName: string, ...rules: Rule[]): ResourceRecord =>
      resourceRecord("azure-native:network:NetworkSecurityGroup", `platform-${azureName}`, {
        networkSecurityGroupName: azureName,
        securityRules: rules,
        id: NSG_ID(azureName),
      });
    /** The VNet (deployed) with each named subnet attached to the NSG of the given Azure name. */
    const vnet = (attachments: Record<string, string>): ResourceRecord =>
      resourceRecord("azure-native:network:VirtualNetwork", "platform-vnet", {
        id: VNET,
        subnets: Object.entries(attachments).map(([name, nsgName]) => ({
          name,
          networkSecurityGroup: { id: NSG_ID(nsgName) },
        })),
      });
    const gateway = (subnet = "snet-app-gateway"): ResourceRecord =>
      resourceRecord("azure-native:network:ApplicationGateway", "ingestion-agw", {
        gatewayIPConfigurations: [{ name: "gateway-ip", subnet: { id: `${VNET}/subnets/${subnet}` } }],
      });
    const https = inbound("allow-https-from-internet", "Internet", "443");
    const internal = inbound("allow-vnet-443", "VirtualNetwork", "443");

    it("passes the internet rule's NSG on the gateway's subnet, the other subnets on NSGs without it", () =>
      expectPass(openInboundPlacement, [
        deployedNsg("nsg-agw", https),
        deployedNsg("nsg-pep", internal),
        vnet({ "snet-app-gateway": "nsg-agw", "snet-private-endpoints": "nsg-pep" }),
        gateway(),
      ]));

    it("fails an NSG admitting the internet on a subnet without a gateway, whatever its name says", async () => {
      const r = await expectFail(
        openInboundPlacement,
        [deployedNsg("nsg-agw", https), vnet({ "snet-app-gateway": "nsg-agw", "snet-data": "nsg-agw" }), gateway()],
        /platform-nsg-agw .* admits an open source inbound and is attached to subnet 'snet-data' of platform-vnet .*hosts no Application Gateway/,
      );
      assert.equal(r.urn, deployedNsg("nsg-agw").urn);
    });

    it("counts a standalone rule's NSG, any open source (AzureCloud), and a stack without a gateway", async () => {
      // Deployed: its NSG's name is a path parameter, not an output; its id places it.
      const standalone = resourceRecord(
        "azure-native:network:SecurityRule",
        "platform-pep-rule",
        { networkSecurityGroupName: "nsg-pep", ...inbound("x", "AzureCloud", "443") },
        { id: `${NSG_ID("nsg-pep")}/securityRules/x` },
      );
      await expectFail(
        openInboundPlacement,
        [deployedNsg("nsg-pep", internal), standalone, vnet({ "snet-private-endpoints": "nsg-pep" })],
        /platform-nsg-pep .* subnet 'snet-private-endpoints'/,
      );
    });

    it("fails the NSG on a network interface: the stack's, or one Azure lists on the deployed NSG (the review's nit 5)", async () => {
      const nic = resourceRecord("azure-native:network:NetworkInterface", "jump-nic", {
        networkSecurityGroup: { id: NSG_ID("nsg-agw") },
        ipConfigurations: [{ name: "ipconfig", subnet: { id: `${VNET}/subnets/snet-jump` } }],
      });
      await expectFail(
        openInboundPlacement,
        [deployedNsg("nsg-agw", https), nic, vnet({ "snet-app-gateway": "nsg-agw" }), gateway()],
        /platform-nsg-agw .* admits an open source inbound and is attached to network interface jump-nic \(azure-native:network:NetworkInterface\), which hosts no Application Gateway/,
      );
      const nicId = "/subscriptions/s/resourceGroups/rg-other/providers/Microsoft.Network/networkInterfaces/vm-nic";
      await expectFail(
        openInboundPlacement,
        [
          mutate(deployedNsg("nsg-agw", https), "networkInterfaces", [{ id: nicId }]),
          vnet({ "snet-app-gateway": "nsg-agw" }),
          gateway(),
        ],
        new RegExp(`attached to network interface ${nicId.toLowerCase().replace(/[/.]/g, "\\$&")},`),
      );
      await expectUndecided(openInboundPlacement, [
        deployedNsg("nsg-agw", https),
        mutate(nic, "networkSecurityGroup.id", UNKNOWN),
        vnet({ "snet-app-gateway": "nsg-agw" }),
        gateway(),
      ]);
    });

    it("passes a subnet listed in allowedSubnets with a reason", () =>
      expectPass(
        openInboundPlacement,
        [deployedNsg("nsg-bastion", https), vnet({ AzureBastionSubnet: "nsg-bastion" })],
        {
          allowedSubnets: [
            { pattern: "AzureBastionSubnet", reason: "Bastion's public endpoint takes 443 from the internet" },
          ],
        },
      ));

    it("is not applicable without an NSG admitting an open source", () =>
      expectNotApplicable(openInboundPlacement, [deployedNsg("nsg-pep", internal), otherResource()]));

    it("is undecided while an open NSG's id, or a subnet's NSG, is unknown (a first preview)", async () => {
      await expectUndecided(openInboundPlacement, [
        mutate(deployedNsg("nsg-agw", https), "id", UNKNOWN),
        vnet({ "snet-data": "nsg-agw" }),
      ]);
      await expectUndecided(openInboundPlacement, [
        deployedNsg("nsg-agw", https),
        mutate(vnet({ "snet-data": "nsg-agw" }), "subnets.0.networkSecurityGroup.id", UNKNOWN),
      ]);
    });
  });

  describe(shadowedOutboundDeny.name, () => {
    const out = (name: string, priority: number, access: string, destination: unknown, ports = "443"): Rule => ({
      name,
      priority,
      direction: "Outbound",
      access,
      protocol: "Tcp",
      sourceAddressPrefix: "*",
      sourcePortRange: "*",
      destinationAddressPrefix: destination,
      destinationPortRange: ports,
    });
    /** The ML compute subnet's NSG: service tags allowed, then the internet denied (components/platform/subnets.ts). */
    const mlNsg = (...extra: Rule[]) =>
      resourceRecord("azure-native:network:NetworkSecurityGroup", "platform-nsg-mlCompute", {
        networkSecurityGroupName: "nsg-pay-prod-weu-ml",
        securityRules: [
          out("allow-azure-monitor", 190, "Allow", "AzureMonitor"),
          out("deny-internet-outbound", 4096, "Deny", "Internet", "*"),
          ...extra,
        ],
      });
    it("passes an allow-list of service tags above the deny, and an internet allow below it", () =>
      expectPass(shadowedOutboundDeny, mlNsg(out("late", 4097, "Allow", "Internet", "*"))));
    it("fails an allow to the whole internet above the deny (the mutation review's #91), inline or standalone", async () => {
      await expectFail(
        shadowedOutboundDeny,
        mlNsg(out("allow-all-out", 150, "Allow", "0.0.0.0/0", "*")),
        /platform-nsg-mlCompute .* outbound rule 'allow-all-out' \(priority 150\) allows 0\.0\.0\.0\/0 on port\(s\) \* above its deny-to-internet rule 'deny-internet-outbound' \(priority 4096\)/,
      );
      // Deployed: the rule's id, under its NSG's, places it (its NSG's name is a path parameter, not an output).
      const standalone = resourceRecord(
        "azure-native:network:SecurityRule",
        "platform-ml-out",
        {
          networkSecurityGroupName: "nsg-pay-prod-weu-ml",
          securityRuleName: "allow-https-out",
          ...out("allow-https-out", 300, "Allow", "Internet"),
        },
        { id: `${String(mlNsg().outputs.id)}/securityRules/allow-https-out` },
      );
      await expectFail(
        shadowedOutboundDeny,
        [mlNsg(), standalone],
        /outbound rule 'allow-https-out' \(priority 300\) allows Internet on port\(s\) 443/,
      );
    });
    it("cannot decide an NSG while a standalone rule created with its NSG's name written out has no id yet", async () => {
      // A first preview: the NSG's name is a path input (no output), the rule has no id and no dependency recorded.
      const literal = (access: string) =>
        resourceRecord(
          "azure-native:network:SecurityRule",
          "platform-ml-out",
          { networkSecurityGroupName: "nsg-pay-prod-weu-ml", ...out("allow-https-out", 150, access, "Internet") },
          { preview: true },
        );
      await expectUndecided(shadowedOutboundDeny, [mlNsg(), literal("Allow")], /\.provisioningState /);
      // Placed by the dependency the engine records when the name comes from the NSG: decided.
      await expectFail(
        shadowedOutboundDeny,
        [mlNsg(), { ...literal("Allow"), propertyDependencies: { networkSecurityGroupName: [mlNsg().urn] } }],
        /outbound rule 'allow-https-out' \(priority 150\) allows Internet/,
      );
      // A rule that cannot matter (an inbound one) leaves the NSG decided.
      const inboundRule = resourceRecord(
        "azure-native:network:SecurityRule",
        "platform-ml-in",
        { networkSecurityGroupName: "nsg-pay-prod-weu-ml", ...inbound("allow-vnet", "VirtualNetwork", "443") },
        { preview: true },
      );
      await expectPass(shadowedOutboundDeny, [mlNsg(), inboundRule]);
    });
    it("cannot decide an allow above the deny whose destination is not known yet", () =>
      expectUndecided(shadowedOutboundDeny, mlNsg(out("allow-pending", 150, "Allow", UNKNOWN))));
    it("is not applicable to NSGs that deny nothing to the internet outbound", () =>
      expectNotApplicable(shadowedOutboundDeny, [
        nsg(inbound("allow-https", "VirtualNetwork", "443")),
        otherResource(),
      ]));
  });
});
