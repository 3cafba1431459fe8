import { strict as assert } from "node:assert";
import {
  allPorts,
  anyAddress,
  anyFqdn,
  egressPolicies,
  firewallAllowList,
  firewallDnat,
  ipGroupAnyAddress,
  routeFirewallNextHop,
  routeInternetNextHop,
} from "../../policies/rules/egress";
import { POLICY_NAME } from "../../policies/lib/policy";
import { mlComputeRules } from "../../components/platform/firewall";
import { resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { RG_NAME, TAGS } from "./fixtures/protection";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";
import { evaluatePolicy } from "../../tools/lib/policyRunner";

/** The program's egress allow-list (components/platform/firewall.ts): Entra ID over HTTPS, the bundle CDN by SNI. */
function ruleCollectionGroup(stack = "prod"): ResourceRecord {
  return resourceRecord(
    "azure-native:network:FirewallPolicyRuleCollectionGroup",
    "platform-afwp-egress",
    {
      ruleCollectionGroupName: "platform-egress",
      firewallPolicyName: "afwp-pay-prod-weu",
      resourceGroupName: RG_NAME,
      priority: 200,
      ruleCollections: [
        {
          ruleCollectionType: "FirewallPolicyFilterRuleCollection",
          name: "allow-azure-control-plane",
          priority: 200,
          action: { type: "Allow" },
          rules: [
            {
              ruleType: "NetworkRule",
              name: "azure-service-tags-https",
              ipProtocols: ["TCP"],
              sourceAddresses: ["10.40.4.0/24", "10.40.5.0/24"],
              destinationAddresses: ["AzureActiveDirectory"],
              destinationPorts: ["443"],
            },
          ],
        },
        {
          ruleCollectionType: "FirewallPolicyFilterRuleCollection",
          name: "allow-functions-extension-bundles",
          priority: 250,
          action: { type: "Allow" },
          rules: [
            {
              ruleType: "ApplicationRule",
              name: "functions-extension-bundle-cdn",
              sourceAddresses: ["10.40.6.0/24"],
              targetFqdns: ["cdn.functions.azure.com"],
              protocols: [{ protocolType: "Https", port: 443 }],
            },
          ],
        },
      ],
    },
    { stack },
  );
}

const NETWORK_RULE = "ruleCollections.0.rules.0";
const APP_RULE = "ruleCollections.1.rules.0";

/** A DNAT collection publishing an internal API on the firewall's public address to `sources`. */
function dnatGroup(sources: unknown): ResourceRecord {
  return mutate(ruleCollectionGroup(), "ruleCollections", [
    {
      ruleCollectionType: "FirewallPolicyNatRuleCollection",
      name: "publish-api",
      priority: 100,
      action: { type: "DNAT" },
      rules: [
        {
          ruleType: "NatRule",
          name: "api-443",
          ipProtocols: ["TCP"],
          sourceAddresses: sources,
          destinationAddresses: ["20.1.2.3"],
          destinationPorts: ["443"],
          translatedAddress: "10.40.2.10",
          translatedPort: "443",
        },
      ],
    },
  ]);
}

/** A classic firewall (no policy) with inline rule collections. */
function classicFirewall(collections: Record<string, unknown>): ResourceRecord {
  return resourceRecord("azure-native:network:AzureFirewall", "afw-pay-dev-weu", {
    resourceGroupName: RG_NAME,
    location: "westeurope",
    tags: TAGS,
    sku: { name: "AZFW_VNet", tier: "Premium" },
    ...collections,
  });
}

function routeTable(routes: unknown[]): ResourceRecord {
  return resourceRecord("azure-native:network:RouteTable", "rt-pay-prod-weu-egress", {
    resourceGroupName: RG_NAME,
    location: "westeurope",
    disableBgpRoutePropagation: true,
    routes,
    tags: TAGS,
  });
}
const TO_FIREWALL = {
  name: "default-to-firewall",
  addressPrefix: "0.0.0.0/0",
  nextHopType: "VirtualAppliance",
  nextHopIpAddress: "10.40.0.4",
};

describe("policies/egress", () => {
  it("exports uniquely named policies that follow the name convention", () => {
    const names = egressPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => POLICY_NAME.test(n)));
  });

  describe("helpers", () => {
    it("anyAddress: wildcards, the default route and prefixes under /8, not a subnet or a service tag", () => {
      for (const a of ["*", "any", "Internet", "0.0.0.0/0", "0.0.0.0", "::/0", "10.0.0.0/7", "::/1", "8000::/1"]) {
        assert.ok(anyAddress(a), a);
      }
      for (const a of ["0.0.0.0-255.255.255.255", "10.0.0.0-10.255.255.255"]) assert.ok(anyAddress(a), `range ${a}`);
      for (const a of [
        "10.0.0.0/8",
        "10.40.4.0/24",
        "AzureActiveDirectory",
        "20.1.2.3",
        "10.2.0.0-10.2.0.31",
        "2001:db8::/32",
      ]) {
        assert.ok(!anyAddress(a), a);
      }
    });
    it("anyFqdn: '*', a whole top-level domain or a URL on one, not a service's own names", () => {
      for (const f of ["*", "*.com", "https://*.net/path", "*."]) assert.ok(anyFqdn(f), f);
      for (const f of ["cdn.functions.azure.com", "*.blob.core.windows.net", "login.microsoftonline.com/x"]) {
        assert.ok(!anyFqdn(f), f);
      }
    });
    it("allPorts: '*' or a range covering 1-65535, not one port or a high range", () => {
      assert.ok(allPorts(["*"]));
      assert.ok(allPorts(["443", "0-65535"]));
      assert.ok(allPorts(["1-65535"]));
      assert.ok(allPorts(["1-32767", "32768-65535"]), "ranges that together cover every port");
      assert.ok(allPorts(["20000-65535", "1-1000", "900-20000"]), "out of order and overlapping");
      assert.ok(!allPorts(["1-32767", "32769-65535"]), "one port left out");
      assert.ok(!allPorts(["443"]));
      assert.ok(!allPorts(["1024-65535"]));
    });
  });

  describe(firewallAllowList.name, () => {
    it("passes the program's allow-list (named sources, a service tag on 443, one FQDN)", () =>
      expectPass(firewallAllowList, ruleCollectionGroup()));
    it("passes a broad Deny collection (it only takes away)", () =>
      expectPass(
        firewallAllowList,
        mutate(
          mutate(ruleCollectionGroup(), "ruleCollections.0.action.type", "Deny"),
          `${NETWORK_RULE}.destinationAddresses`,
          ["*"],
        ),
      ));
    it("fails a network rule to any destination", () =>
      expectFail(
        firewallAllowList,
        mutate(ruleCollectionGroup(), `${NETWORK_RULE}.destinationAddresses`, ["*"]),
        /platform-afwp-egress .*allow rule 'allow-azure-control-plane\/azure-service-tags-https' allows any destination \(\*\): name the sources/,
      ));
    it("fails a destination tag or wildcard domain that reaches every tenant's service (configurable)", async () => {
      await expectFail(
        firewallAllowList,
        mutate(ruleCollectionGroup(), `${NETWORK_RULE}.destinationAddresses`, ["AzureCloud.WestEurope"]),
        /allows every tenant's AzureCloud\.WestEurope: name the sources/,
      );
      await expectFail(
        firewallAllowList,
        mutate(ruleCollectionGroup(), `${NETWORK_RULE}.destinationAddresses`, ["Storage"]),
        /allows every tenant's Storage/,
      );
      await expectFail(
        firewallAllowList,
        mutate(ruleCollectionGroup(), `${APP_RULE}.targetFqdns`, ["*.blob.core.windows.net"]),
        /allows every tenant's \*\.blob\.core\.windows\.net/,
      );
      await expectPass(
        firewallAllowList,
        mutate(ruleCollectionGroup(), `${NETWORK_RULE}.destinationAddresses`, ["AzureCloud"]),
        { broadDestinations: [] },
      );
      await expectPass(
        firewallAllowList,
        mutate(ruleCollectionGroup(), `${APP_RULE}.targetFqdns`, ["stpayprodweulake.blob.core.windows.net"]),
      );
    });
    it("fails an application rule's FQDN tags (lists Microsoft keeps) until the security team reviews its collection", async () => {
      const tagged = mutate(mutate(ruleCollectionGroup(), `${APP_RULE}.targetFqdns`, []), `${APP_RULE}.fqdnTags`, [
        "WindowsUpdate",
        "AzureBackup",
      ]);
      await expectFail(
        firewallAllowList,
        tagged,
        /allow rule '[^']+' allows the FQDN tags WindowsUpdate, AzureBackup \(names Microsoft lists and changes\): name the sources/,
      );
      const collection = (ruleCollectionGroup().inputs.ruleCollections as { name: string }[])[1].name;
      await expectPass(firewallAllowList, tagged, {
        reviewedCollections: [{ name: collection, reason: "the backup agent's endpoints, reviewed" }],
      });
    });
    it("fails the program's ML compute collection (ml.vnetComputeEgress) until the security team reviews it", async () => {
      // Microsoft's required list reaches every tenant's storage, vaults and monitoring (lib/mlEgress.ts).
      const withMl = mutate(ruleCollectionGroup(), "ruleCollections", [mlComputeRules("10.30.3.0/24", "westeurope")]);
      const r = await evaluatePolicy(firewallAllowList, withMl);
      assert.ok(r.messages.length > 0);
      assert.ok(
        r.messages.every((m) => /allow rule 'allow-azure-ml-compute\/ml-[^']+' allows every tenant's /.test(m)),
        r.messages.join("\n"),
      );
      assert.ok(r.messages.some((m) => /every tenant's Storage\.westeurope/i.test(m)));
      await expectPass(firewallAllowList, withMl, {
        reviewedCollections: [
          { name: "allow-azure-ml-compute", reason: "Microsoft's required list for VNet-injected ML compute" },
        ],
      });
    });
    it("passes shared service tags in a collection the security team reviewed, but never a wildcard there", async () => {
      const reviewed = {
        reviewedCollections: [{ name: "allow-azure-control-plane", reason: "Microsoft's list for ML compute" }],
      };
      const withStorage = mutate(ruleCollectionGroup(), `${NETWORK_RULE}.destinationAddresses`, ["Storage.WestEurope"]);
      await expectPass(firewallAllowList, withStorage, reviewed);
      await expectFail(
        firewallAllowList,
        mutate(withStorage, `${NETWORK_RULE}.destinationPorts`, ["*"]),
        /allows every port \(\*\)/,
        reviewed,
      );
    });
    it("fails a rule from any source", () =>
      expectFail(
        firewallAllowList,
        mutate(ruleCollectionGroup(), `${NETWORK_RULE}.sourceAddresses`, ["10.40.4.0/24", "*"]),
        /allows any source \(\*\)/,
      ));
    it("fails every port, and reports each reason of one rule in one message", () =>
      expectFail(
        firewallAllowList,
        mutate(
          mutate(ruleCollectionGroup(), `${NETWORK_RULE}.destinationPorts`, ["*"]),
          `${NETWORK_RULE}.destinationAddresses`,
          ["0.0.0.0/0"],
        ),
        /allows any destination \(0\.0\.0\.0\/0\), every port \(\*\)/,
      ));
    it("fails an application rule to any FQDN, a whole domain or web categories", async () => {
      await expectFail(
        firewallAllowList,
        mutate(ruleCollectionGroup(), `${APP_RULE}.targetFqdns`, ["*"]),
        /allow rule 'allow-functions-extension-bundles\/functions-extension-bundle-cdn' allows any name \(\*\)/,
      );
      await expectFail(
        firewallAllowList,
        mutate(ruleCollectionGroup(), `${APP_RULE}.targetFqdns`, ["*.com"]),
        /any name \(\*\.com\)/,
      );
      await expectFail(
        firewallAllowList,
        mutate(mutate(ruleCollectionGroup(), `${APP_RULE}.targetFqdns`, undefined), `${APP_RULE}.webCategories`, [
          "Business",
        ]),
        /whole web categories \(Business\)/,
      );
    });
    it("fails a classic firewall's inline allow rule to any destination", () =>
      expectFail(
        firewallAllowList,
        classicFirewall({
          networkRuleCollections: [
            {
              name: "egress",
              priority: 100,
              action: { type: "Allow" },
              rules: [
                {
                  name: "all",
                  protocols: ["Any"],
                  sourceAddresses: ["10.40.4.0/24"],
                  destinationAddresses: ["*"],
                  destinationPorts: ["443"],
                },
              ],
            },
          ],
        }),
        /afw-pay-dev-weu \(azure-native:network:AzureFirewall\) allow rule 'egress\/all' allows any destination/,
      ));
    it("cannot decide while a source list is unknown in a first preview", () =>
      expectUndecided(firewallAllowList, mutate(ruleCollectionGroup(), `${NETWORK_RULE}.sourceAddresses`, [UNKNOWN])));
    it("is not applicable to a firewall that uses a policy (no inline collections), or to other types", async () => {
      await expectNotApplicable(firewallAllowList, classicFirewall({ firewallPolicy: { id: "/x" } }));
      await expectNotApplicable(firewallAllowList, otherResource());
    });
  });

  describe(firewallDnat.name, () => {
    it("passes a DNAT rule limited to named sources", () => expectPass(firewallDnat, dnatGroup(["203.0.113.0/24"])));
    it("fails a DNAT rule open to any source, naming what it publishes", () =>
      expectFail(
        firewallDnat,
        dnatGroup(["*"]),
        /DNAT rule 'publish-api\/api-443' publishes 10\.40\.2\.10:443 to any source \(\*\): set sourceAddresses/,
      ));
    it("fails a classic DNAT rule from the internet", () =>
      expectFail(
        firewallDnat,
        classicFirewall({
          natRuleCollections: [
            {
              name: "inbound",
              priority: 100,
              action: { type: "Dnat" },
              rules: [
                { name: "ssh", sourceAddresses: ["0.0.0.0/0"], translatedAddress: "10.40.3.4", translatedPort: "22" },
              ],
            },
          ],
        }),
        /DNAT rule 'inbound\/ssh' publishes 10\.40\.3\.4:22 to any source \(0\.0\.0\.0\/0\)/,
      ));
    it("is not applicable to a group without DNAT collections (the program's)", () =>
      expectNotApplicable(firewallDnat, ruleCollectionGroup()));
  });

  describe(ipGroupAnyAddress.name, () => {
    const group = (ipAddresses: unknown) =>
      resourceRecord("azure-native:network:IpGroup", "ipg-partners", {
        resourceGroupName: RG_NAME,
        location: "westeurope",
        ipAddresses,
      });
    it("passes a group of named networks", () =>
      expectPass(ipGroupAnyAddress, group(["10.40.4.0/24", "203.0.113.0-203.0.113.31"])));
    it("fails a group that stands for any address, written as a range or a prefix", async () => {
      await expectFail(
        ipGroupAnyAddress,
        group(["10.40.4.0/24", "0.0.0.0-255.255.255.255"]),
        /ipg-partners .*stands for any address \(0\.0\.0\.0-255\.255\.255\.255\): a firewall rule using it allows anyone/,
      );
      await expectFail(
        ipGroupAnyAddress,
        group(["0.0.0.0/1", "128.0.0.0/1"]),
        /any address \(0\.0\.0\.0\/1, 128\.0\.0\.0\/1\)/,
      );
    });
    it("cannot decide while an address is unknown", () => expectUndecided(ipGroupAnyAddress, group([UNKNOWN])));
    it("is not applicable to an empty group or other types", async () => {
      await expectNotApplicable(ipGroupAnyAddress, group([]));
      await expectNotApplicable(ipGroupAnyAddress, otherResource());
    });
  });

  describe(routeInternetNextHop.name, () => {
    it("passes the program's route table (default route to the firewall)", () =>
      expectPass(routeInternetNextHop, routeTable([TO_FIREWALL])));
    it("fails a more specific route to the Internet next hop, which goes around the firewall", () =>
      expectFail(
        routeInternetNextHop,
        routeTable([TO_FIREWALL, { name: "direct", addressPrefix: "20.0.0.0/8", nextHopType: "Internet" }]),
        /rt-pay-prod-weu-egress .* route 'direct' sends 20\.0\.0\.0\/8 to the Internet next hop, around the egress firewall/,
      ));
    it("fails a standalone route to the Internet, unless its prefix is in allowedInternetPrefixes", async () => {
      const route = resourceRecord("azure-native:network:Route", "rt-direct", {
        resourceGroupName: RG_NAME,
        routeTableName: "rt-pay-prod-weu-egress",
        addressPrefix: "AzureMonitor",
        nextHopType: "Internet",
      });
      await expectFail(
        routeInternetNextHop,
        route,
        /rt-direct \(azure-native:network:Route\) sends AzureMonitor to the Internet/,
      );
      await expectPass(routeInternetNextHop, route, { allowedInternetPrefixes: ["azuremonitor"] });
    });
    it("cannot decide while a route's next hop type is unknown", () =>
      expectUndecided(routeInternetNextHop, routeTable([{ ...TO_FIREWALL, nextHopType: UNKNOWN }])));
    it("is not applicable to a route table without inline routes, or to other types", async () => {
      await expectNotApplicable(routeInternetNextHop, routeTable([]));
      await expectNotApplicable(routeInternetNextHop, otherResource());
    });
    it("reports each Internet route of a table", async () => {
      const r = await evaluatePolicy(
        routeInternetNextHop,
        routeTable([
          { name: "a", addressPrefix: "0.0.0.0/0", nextHopType: "Internet" },
          { name: "b", addressPrefix: "1.2.3.0/24", nextHopType: "internet" },
        ]),
      );
      assert.equal(r.messages.length, 2);
    });
  });

  describe(routeFirewallNextHop.name, () => {
    // The stack as deployed (outputs known): the VNet with its firewall subnet, the firewall Azure placed in it, and
    // the egress route table.
    const VNET_ID = `/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/${RG_NAME}/providers/Microsoft.Network/virtualNetworks/vnet-pay-prod-weu`;
    const vnet = (subnets: unknown) =>
      resourceRecord("azure-native:network:VirtualNetwork", "platform-vnet", {
        id: VNET_ID,
        resourceGroupName: RG_NAME,
        addressSpace: { addressPrefixes: ["10.40.0.0/16"] },
        subnets,
      });
    const FIREWALL_SUBNET = {
      name: "AzureFirewallSubnet",
      addressPrefix: "10.40.0.0/26",
      id: `${VNET_ID}/subnets/AzureFirewallSubnet`,
    };
    const APP_SUBNET = { name: "snet-apps", addressPrefix: "10.40.4.0/24", id: `${VNET_ID}/subnets/snet-apps` };
    /** The firewall with the private IP Azure gave it (an output: the mocks' own address replaced). */
    const firewall = (privateIPAddress: unknown, subnetId: unknown = FIREWALL_SUBNET.id) => {
      const r = resourceRecord("azure-native:network:AzureFirewall", "platform-afw", {
        resourceGroupName: RG_NAME,
        ipConfigurations: [{ name: "ipconfig", subnet: { id: subnetId } }],
      });
      const [config] = r.outputs.ipConfigurations as Record<string, unknown>[];
      return { ...r, outputs: { ...r.outputs, ipConfigurations: [{ ...config, privateIPAddress }] } };
    };
    const deployed = (ip: unknown, routes: unknown[] = [TO_FIREWALL]) => [
      vnet([FIREWALL_SUBNET, APP_SUBNET]),
      firewall(ip),
      routeTable(routes),
    ];

    it("passes the platform's default route to the firewall's private IP", () =>
      expectPass(routeFirewallNextHop, deployed("10.40.0.4")));
    it("fails a route into the firewall's subnet at another address than the one Azure gave the firewall", () =>
      expectFail(
        routeFirewallNextHop,
        deployed("10.40.0.5"),
        /rt-pay-prod-weu-egress \(azure-native:network:RouteTable\) route 'default-to-firewall' sends 0\.0\.0\.0\/0 to 10\.40\.0\.4, in the subnet of platform-afw \(azure-native:network:AzureFirewall\) \(10\.40\.0\.0\/26\), whose private IP is 10\.40\.0\.5: that is not the firewall's load-balanced address, so the traffic the route covers is dropped; set nextHopIpAddress to 10\.40\.0\.5\./,
      ));
    it("fails a standalone route too, and finds the subnet by the VNet's id when the subnet's own id is not given", async () => {
      const route = resourceRecord("azure-native:network:Route", "rt-partner", {
        resourceGroupName: RG_NAME,
        routeTableName: "rt-pay-prod-weu-egress",
        addressPrefix: "192.0.2.0/24",
        nextHopType: "VirtualAppliance",
        nextHopIpAddress: "10.40.0.6",
      });
      const { id: _id, ...withoutId } = FIREWALL_SUBNET;
      await expectFail(
        routeFirewallNextHop,
        [vnet([withoutId]), firewall("10.40.0.4"), route],
        /rt-partner \(azure-native:network:Route\) sends 192\.0\.2\.0\/24 to 10\.40\.0\.6, in the subnet of platform-afw/,
      );
    });
    it("leaves alone a route to an appliance outside the firewall's subnet", () =>
      expectNotApplicable(
        routeFirewallNextHop,
        deployed("10.40.0.4", [{ ...TO_FIREWALL, name: "to-nva", nextHopIpAddress: "10.40.4.10" }]),
      ));
    it("cannot decide before Azure has assigned the firewall's address (a first preview)", async () => {
      await expectUndecided(routeFirewallNextHop, deployed(UNKNOWN));
      await expectUndecided(routeFirewallNextHop, [
        vnet([FIREWALL_SUBNET]),
        firewall("10.40.0.4", UNKNOWN),
        routeTable([TO_FIREWALL]),
      ]);
    });
    it("is not applicable without a firewall, without an appliance route, or with a firewall subnet outside the stack", async () => {
      await expectNotApplicable(routeFirewallNextHop, [vnet([FIREWALL_SUBNET]), routeTable([TO_FIREWALL])]);
      await expectNotApplicable(
        routeFirewallNextHop,
        deployed("10.40.0.4", [{ name: "direct", addressPrefix: "0.0.0.0/0", nextHopType: "Internet" }]),
      );
      await expectNotApplicable(routeFirewallNextHop, [firewall("10.40.0.5"), routeTable([TO_FIREWALL])]);
    });
  });
});
