import { strict as assert } from "node:assert";
import {
  coversEveryAddress,
  egressRoutePolicies,
  OCCUPANT_KEYS,
  subnetEgressRoute,
  subnetOccupants,
} from "../../policies/rules/egressRoutes";
import { POLICY_NAME } from "../../policies/lib/policy";
import { evaluatePolicy, resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { RG_NAME } from "./fixtures/protection";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, UNKNOWN } from "./helpers";

const SUB = "/subscriptions/00000000-0000-4000-8000-000000000001";
const NET = `${SUB}/resourceGroups/${RG_NAME}/providers/Microsoft.Network`;
const VNET_ID = `${NET}/virtualNetworks/vnet-pay-prod-weu`;
const TABLE_ID = `${NET}/routeTables/rt-pay-prod-weu-egress`;
const TO_FIREWALL = {
  name: "default-to-firewall",
  addressPrefix: "0.0.0.0/0",
  nextHopType: "VirtualAppliance",
  nextHopIpAddress: "10.30.4.68",
};

const routeTable = (routes: unknown[], name = "platform-rt-egress", id: unknown = TABLE_ID): ResourceRecord =>
  resourceRecord(
    "azure-native:network:RouteTable",
    name,
    { id, resourceGroupName: RG_NAME, routeTableName: "rt-pay-prod-weu-egress", routes },
    { stack: "prod" },
  );
const firewall = (): ResourceRecord =>
  resourceRecord(
    "azure-native:network:AzureFirewall",
    "platform-afw",
    { resourceGroupName: RG_NAME, ipConfigurations: [{ name: "ipconfig", subnet: { id: UNKNOWN } }] },
    { stack: "prod" },
  );
const subnet = (name: string, addressPrefix: string, routeTableId?: unknown) => ({
  name,
  addressPrefix,
  defaultOutboundAccess: false,
  ...(routeTableId === undefined ? {} : { routeTable: { id: routeTableId } }),
});
/** The platform's network as the program declares it (components/platform/subnets.ts), in prod. */
const PLATFORM_SUBNETS = (table: unknown = TABLE_ID) => [
  subnet("snet-private-endpoints", "10.30.0.0/24"),
  subnet("snet-functions", "10.30.1.0/24", table),
  subnet("snet-app-gateway", "10.30.2.0/24"),
  subnet("snet-ml-compute", "10.30.3.0/24", table),
  { name: "AzureFirewallSubnet", addressPrefix: "10.30.4.64/26" },
  subnet("snet-functions-flex", "10.30.5.0/24", table),
];
const vnet = (subnets: unknown[], extra: Partial<ResourceRecord> = {}): ResourceRecord =>
  resourceRecord(
    "azure-native:network:VirtualNetwork",
    "platform-vnet",
    { id: VNET_ID, resourceGroupName: RG_NAME, virtualNetworkName: "vnet-pay-prod-weu", subnets },
    { stack: "prod", ...extra },
  );
/** The prod policy config's list (policies/config/prod.json). */
const EXEMPT = {
  exemptSubnets: [
    { pattern: "snet-private-endpoints", reason: "private endpoints only, nothing opens connections out" },
    { pattern: "snet-app-gateway", reason: "App Gateway v2 does not support a default route to an appliance" },
  ],
};
/**
 * A standalone subnet of the firewall's network (`network.Subnet`), with the given route table or none: deployed (its
 * id known), or `created` in a first preview.
 */
const batchSubnet = (routeTableId?: string, created = false): ResourceRecord =>
  resourceRecord(
    "azure-native:network:Subnet",
    "platform-snet-batch",
    {
      resourceGroupName: RG_NAME,
      virtualNetworkName: "vnet-pay-prod-weu",
      subnetName: "snet-batch",
      addressPrefix: "10.30.7.0/24",
      defaultOutboundAccess: false,
      ...(routeTableId ? { routeTable: { id: routeTableId } } : {}),
    },
    // Deployed: its id, under the VNet's, places it (the VNet's name is a path input, not an output).
    created ? { stack: "prod", preview: true } : { stack: "prod", id: `${VNET_ID}/subnets/snet-batch` },
  );
const stack = (subnets: unknown[] = PLATFORM_SUBNETS(), routes: unknown[] = [TO_FIREWALL]) => [
  vnet(subnets),
  firewall(),
  routeTable(routes),
];

describe("policies/egressRoutes", () => {
  it("exports uniquely named policies that follow the name convention", () => {
    const names = egressRoutePolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => POLICY_NAME.test(n)));
  });

  it("coversEveryAddress: the default route or prefixes that add up to it, nothing less", () => {
    assert.equal(coversEveryAddress(["0.0.0.0/0"]), true);
    assert.equal(coversEveryAddress(["128.0.0.0/1", "0.0.0.0/1"]), true);
    assert.equal(coversEveryAddress(["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"]), true);
    assert.equal(coversEveryAddress(["0.0.0.0/1"]), false);
    assert.equal(coversEveryAddress(["0.0.0.0/1", "192.0.0.0/2"]), false);
    assert.equal(coversEveryAddress(["10.0.0.0/8", "Storage"]), false);
    assert.equal(coversEveryAddress([]), false);
  });

  describe(subnetEgressRoute.name, () => {
    it("passes the platform's network: every workload subnet routes 0.0.0.0/0 to the firewall, the rest listed", () =>
      expectPass(subnetEgressRoute, stack(), EXEMPT));

    it("passes a first preview: the table's id unknown, the one route table the VNet's subnets depend on", () =>
      expectPass(
        subnetEgressRoute,
        [
          resourceRecord(
            "azure-native:network:VirtualNetwork",
            "platform-vnet",
            { resourceGroupName: RG_NAME, subnets: PLATFORM_SUBNETS(UNKNOWN) },
            {
              stack: "prod",
              propertyDependencies: {
                subnets: [
                  "urn:pulumi:prod::payments-data-platform::azure-native:network:RouteTable::platform-rt-egress",
                ],
              },
            },
          ),
          firewall(),
          routeTable([TO_FIREWALL], "platform-rt-egress", UNKNOWN),
        ],
        EXEMPT,
      ));

    it("cannot decide a first preview where the subnets depend on two route tables", () =>
      expectUndecided(
        subnetEgressRoute,
        [
          vnet(PLATFORM_SUBNETS(UNKNOWN), {
            propertyDependencies: {
              subnets: [
                "urn:pulumi:prod::payments-data-platform::azure-native:network:RouteTable::platform-rt-egress",
                "urn:pulumi:prod::payments-data-platform::azure-native:network:RouteTable::platform-rt-partner",
              ],
            },
          }),
          firewall(),
          routeTable([TO_FIREWALL], "platform-rt-egress", UNKNOWN),
          routeTable([], "platform-rt-partner", UNKNOWN),
        ],
        EXEMPT,
      ));

    it("fails a workload subnet that lost its route table (the review's mutation #86)", () => {
      const subnets = PLATFORM_SUBNETS();
      subnets[3] = subnet("snet-ml-compute", "10.30.3.0/24");
      return expectFail(
        subnetEgressRoute,
        stack(subnets),
        /platform-vnet \(azure-native:network:VirtualNetwork\) subnet 'snet-ml-compute' has no route table, so its internet-bound traffic goes past the Azure Firewall in the network's AzureFirewallSubnet \(10\.30\.4\.64\/26\); set routeTable/,
        EXEMPT,
      );
    });

    it("refuses, as config, a listing whose reason is shorter than 10 characters", () =>
      assert.rejects(
        evaluatePolicy(subnetEgressRoute, stack(), {
          exemptSubnets: [EXEMPT.exemptSubnets[0], { pattern: "snet-app-gateway", reason: "agw v2" }],
        }),
        /exemptSubnets\[1\]\.reason must have at least 10 characters/,
      ));
    it("fails the gateway subnet when the config does not list it", async () => {
      await expectFail(subnetEgressRoute, stack(), /subnet 'snet-app-gateway' has no route table/, {
        exemptSubnets: [EXEMPT.exemptSubnets[0]],
      });
    });

    it("fails a route table whose routes to the firewall leave part of the address space to the internet", () =>
      expectFail(
        subnetEgressRoute,
        stack(PLATFORM_SUBNETS(), [{ ...TO_FIREWALL, addressPrefix: "0.0.0.0/1" }]),
        /subnet 'snet-functions' uses platform-rt-egress \(azure-native:network:RouteTable\), whose routes to the firewall's subnet \(10\.30\.4\.64\/26\) cover 0\.0\.0\.0\/1, not every address/,
        {
          exemptSubnets: [
            ...EXEMPT.exemptSubnets,
            { pattern: "snet-ml*", reason: "not this case's subject" },
            { pattern: "snet-functions-flex", reason: "not this case's subject" },
          ],
        },
      ));

    it("fails a default route to an appliance outside the firewall's subnet", () =>
      expectFail(
        subnetEgressRoute,
        stack(PLATFORM_SUBNETS(), [{ ...TO_FIREWALL, nextHopIpAddress: "10.30.9.4" }]),
        /subnet 'snet-functions' uses platform-rt-egress .* cover nothing, not every address/,
        {
          exemptSubnets: [
            ...EXEMPT.exemptSubnets,
            { pattern: "snet-ml*", reason: "not this case's subject" },
            { pattern: "snet-functions-*", reason: "not this case's subject" },
          ],
        },
      ));

    it("passes two halves of the address space to the firewall, one of them a standalone Route", () =>
      expectPass(
        subnetEgressRoute,
        [
          ...stack(PLATFORM_SUBNETS(), [{ ...TO_FIREWALL, addressPrefix: "0.0.0.0/1" }]),
          resourceRecord(
            "azure-native:network:Route",
            "platform-rt-upper-half",
            {
              resourceGroupName: RG_NAME,
              routeTableName: "rt-pay-prod-weu-egress",
              addressPrefix: "128.0.0.0/1",
              nextHopType: "VirtualAppliance",
              nextHopIpAddress: "10.30.4.68",
            },
            // Deployed: its id, under the table's, places it (the table's name is a path input, not an output).
            { stack: "prod", id: `${TABLE_ID}/routes/upper-half` },
          ),
        ],
        EXEMPT,
      ));

    it("fails a subnet using a route table outside the stack", () => {
      const subnets = PLATFORM_SUBNETS();
      subnets[1] = subnet(
        "snet-functions",
        "10.30.1.0/24",
        `${SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/routeTables/rt-hub`,
      );
      return expectFail(
        subnetEgressRoute,
        stack(subnets),
        /subnet 'snet-functions' uses route table ".*\/routeTables\/rt-hub", which is not one of the stack's/,
        EXEMPT,
      );
    });

    it("cannot decide while a standalone subnet created with its network's name written out has no id yet", async () => {
      const literal = batchSubnet(undefined, true);
      await expectUndecided(subnetEgressRoute, [...stack(), literal], /value at \.provisioningState /, EXEMPT);
    });
    it("checks a standalone subnet of the firewall's network, and skips Azure's own subnets", async () => {
      const bastion = { name: "AzureBastionSubnet", addressPrefix: "10.30.6.0/26" };
      await expectPass(subnetEgressRoute, [...stack([...PLATFORM_SUBNETS(), bastion]), batchSubnet(TABLE_ID)], EXEMPT);
      await expectFail(
        subnetEgressRoute,
        [...stack([...PLATFORM_SUBNETS(), bastion]), batchSubnet()],
        /platform-snet-batch \(azure-native:network:Subnet\) subnet 'snet-batch' has no route table/,
        EXEMPT,
      );
    });

    describe("once deployed (outputs carry ids and names, no path inputs)", () => {
      /** A record as the deployed view holds it: `drop` path inputs left out of its outputs, `add` set. */
      const deployed = (r: ResourceRecord, drop: string[], add: Record<string, unknown>): ResourceRecord => ({
        ...r,
        outputs: { ...Object.fromEntries(Object.entries(r.outputs).filter(([k]) => !drop.includes(k))), ...add },
      });
      const standaloneSubnet = (routeTableId?: string) =>
        deployed(batchSubnet(routeTableId), ["virtualNetworkName", "subnetName", "resourceGroupName"], {
          id: `${VNET_ID}/subnets/snet-batch`,
          name: "snet-batch",
        });
      const half = (name: string, table: string, group = RG_NAME) =>
        deployed(
          resourceRecord(
            "azure-native:network:Route",
            name,
            {
              resourceGroupName: group,
              routeTableName: table,
              addressPrefix: "128.0.0.0/1",
              nextHopType: "VirtualAppliance",
              nextHopIpAddress: "10.30.4.68",
            },
            { stack: "prod" },
          ),
          ["routeTableName", "resourceGroupName"],
          {
            id: `/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/${group}/providers/Microsoft.Network/routeTables/${table}/routes/upper-half`,
          },
        );
      const lowerHalf = () =>
        deployed(
          routeTable([{ ...TO_FIREWALL, addressPrefix: "0.0.0.0/1" }]),
          ["routeTableName", "resourceGroupName"],
          {
            name: "rt-pay-prod-weu-egress",
          },
        );
      const deployedVnet = (subnets = PLATFORM_SUBNETS()) =>
        deployed(vnet(subnets), ["virtualNetworkName", "resourceGroupName"], { name: "vnet-pay-prod-weu" });

      it("checks a standalone subnet found by its id (the review's E4)", async () => {
        await expectPass(
          subnetEgressRoute,
          [deployedVnet(), firewall(), routeTable([TO_FIREWALL]), standaloneSubnet(TABLE_ID)],
          EXEMPT,
        );
        await expectFail(
          subnetEgressRoute,
          [deployedVnet(), firewall(), routeTable([TO_FIREWALL]), standaloneSubnet()],
          /platform-snet-batch \(azure-native:network:Subnet\) subnet 'snet-batch' has no route table/,
          EXEMPT,
        );
      });
      it("adds a standalone route found by its id to its table's, not one on a same-named table in another group (E5b, E6)", async () => {
        await expectPass(
          subnetEgressRoute,
          [deployedVnet(), firewall(), lowerHalf(), half("platform-rt-upper", "rt-pay-prod-weu-egress")],
          EXEMPT,
        );
        const r = await evaluatePolicy(
          subnetEgressRoute,
          [deployedVnet(), firewall(), lowerHalf(), half("other-rt-upper", "rt-pay-prod-weu-egress", "rg-other")],
          EXEMPT,
        );
        assert.equal(r.messages.length, 3, JSON.stringify(r.messages));
        assert.ok(r.messages.every((m) => /cover 0\.0\.0\.0\/1, not every address/.test(m)));
      });
    });

    describe("a listing that holds only while the subnet is empty (whileEmpty: the reserved stream subnet)", () => {
      const STREAM = {
        pattern: "snet-stream-analytics",
        reason: "reserved for a VNet-injected job, none injected",
        whileEmpty: true,
      };
      const withStream = (extra: Record<string, unknown> = {}, table?: string) => [
        ...PLATFORM_SUBNETS(),
        { ...subnet("snet-stream-analytics", "10.30.8.0/24", table), ...extra },
      ];
      const CONFIG = { exemptSubnets: [...EXEMPT.exemptSubnets, STREAM] };
      /**
       * The stack with `extra` on the stream subnet in the VNet's outputs only: a list Azure fills that the SDK does
       * not model yet (its outputs drop it), or lists unknown in an update's preview while the subnet's id is known.
       */
      const withStreamOutputs = (extra: Record<string, unknown>) => {
        const [v, ...rest] = stack(withStream());
        const subnets = (v.outputs.subnets as Record<string, unknown>[]).map((x) =>
          x.name === "snet-stream-analytics" ? { ...x, ...extra } : x,
        );
        return [{ ...v, outputs: { ...v.outputs, subnets } }, ...rest];
      };
      const LINK = {
        id: `${VNET_ID}/subnets/snet-stream-analytics/serviceAssociationLinks/asa-link`,
        linkedResourceType: "Microsoft.StreamAnalytics/streamingJobs",
      };

      it("subnetOccupants: known, non-empty lists of what joined, nothing for empty or unknown lists", () => {
        assert.deepEqual(subnetOccupants({ ipConfigurations: [], privateEndpoints: UNKNOWN }), []);
        assert.deepEqual(subnetOccupants({ serviceAssociationLinks: [LINK], ipConfigurations: [{ id: "a" }, {}] }), [
          "ipConfigurations (2)",
          "serviceAssociationLinks (1)",
        ]);
      });

      it("passes while nothing is in it: empty lists once deployed, unknown ones in a first preview", async () => {
        await expectPass(subnetEgressRoute, stack(withStream({ serviceAssociationLinks: [] })), CONFIG);
        await expectPass(
          subnetEgressRoute,
          stack(withStream({ serviceAssociationLinks: UNKNOWN, ipConfigurations: UNKNOWN })),
          CONFIG,
        );
      });

      it("fails once Azure lists an injected job in it, saying the listing lapsed", () =>
        expectFail(
          subnetEgressRoute,
          stack(withStream({ serviceAssociationLinks: [LINK] })),
          /subnet 'snet-stream-analytics' has no route table, .* Its exemptSubnets entry "snet-stream-analytics" holds only while the subnet is empty \(whileEmpty\), and Azure now lists serviceAssociationLinks \(1\) in it: route it to the firewall \(a 0\.0\.0\.0\/0 route to a virtual appliance takes precedence over a NAT gateway on the subnet: nat-gateway\/troubleshoot-nat\), or remove whileEmpty from that entry \(the first entry matching the subnet is the one read\)/,
          CONFIG,
        ));

      it("lapses on any list Azure fills (one a later SDK version models too), not on the lists a program configures", async () => {
        assert.equal(OCCUPANT_KEYS.length, 6);
        for (const key of [...OCCUPANT_KEYS, "injectedContainerLinks"])
          await expectFail(
            subnetEgressRoute,
            (OCCUPANT_KEYS as readonly string[]).includes(key)
              ? stack(withStream({ [key]: [{ id: "x" }] }))
              : withStreamOutputs({ [key]: [{ id: "x" }] }),
            new RegExp(`snet-stream-analytics' has no route table.*Azure now lists ${key} \\(1\\) in it`),
            CONFIG,
          );
        // Every list a program configures, set: nothing joined.
        await expectPass(
          subnetEgressRoute,
          stack(
            withStream({
              delegations: [{ name: "asa", serviceName: "Microsoft.StreamAnalytics/streamingJobs" }],
              serviceEndpoints: [{ service: "Microsoft.Storage" }],
              addressPrefixes: ["10.30.8.0/24"],
              serviceEndpointPolicies: [{ id: `${NET}/serviceEndpointPolicies/sep` }],
              ipAllocations: [{ id: `${NET}/IpAllocations/ipa` }],
              ipamPoolPrefixAllocations: [{ numberOfIpAddresses: "256" }],
              serviceAssociationLinks: [],
            }),
          ),
          CONFIG,
        );
      });

      it("says the listing lapsed whichever way the occupied subnet's route falls short", async () => {
        const occupied = { serviceAssociationLinks: [LINK] };
        await expectFail(
          subnetEgressRoute,
          stack(withStream(occupied, `${NET}/routeTables/rt-elsewhere`)),
          /snet-stream-analytics' uses route table .*rt-elsewhere", which is not one of the stack's.* Its exemptSubnets entry "snet-stream-analytics" holds only while the subnet is empty/,
          CONFIG,
        );
        const r = await evaluatePolicy(
          subnetEgressRoute,
          stack(withStream(occupied, TABLE_ID), [{ ...TO_FIREWALL, addressPrefix: "0.0.0.0/1" }]),
          CONFIG,
        );
        assert.ok(
          r.messages.some((m) =>
            /snet-stream-analytics' uses .* cover 0\.0\.0\.0\/1, not every address.* holds only while the subnet is empty/.test(
              m,
            ),
          ),
          r.messages.join("\n"),
        );
      });

      it("cannot decide a subnet that exists (its id known) while its lists are unknown (an update's preview)", async () => {
        const id = { id: `${VNET_ID}/subnets/snet-stream-analytics` };
        for (const unknown of [{ serviceAssociationLinks: UNKNOWN }, { ipConfigurations: UNKNOWN }])
          await expectUndecided(subnetEgressRoute, withStreamOutputs({ ...id, ...unknown }), CONFIG);
        // Only a whileEmpty listing reads them: without one the subnet is checked on its route as ever.
        await expectFail(
          subnetEgressRoute,
          withStreamOutputs({ ...id, serviceAssociationLinks: UNKNOWN }),
          /subnet 'snet-stream-analytics' has no route table/,
          EXEMPT,
        );
        await expectPass(subnetEgressRoute, stack(withStream({ ...id, serviceAssociationLinks: [] })), CONFIG);
      });

      it("passes an occupied subnet that routes to the firewall, and a listing without whileEmpty whatever is in it", async () => {
        await expectPass(subnetEgressRoute, stack(withStream({ serviceAssociationLinks: [LINK] }, TABLE_ID)), CONFIG);
        // The private endpoint subnet is full of endpoints: its listing has no whileEmpty and holds.
        const subnets: Record<string, unknown>[] = withStream({ serviceAssociationLinks: [LINK] });
        subnets[0] = { ...subnets[0], privateEndpoints: [{ id: "pe-1" }] };
        await expectPass(subnetEgressRoute, stack(subnets), {
          exemptSubnets: [...EXEMPT.exemptSubnets, { ...STREAM, whileEmpty: false }],
        });
      });

      it("refuses, as config, a whileEmpty that is not a boolean or a key the listing does not take", async () => {
        await assert.rejects(
          evaluatePolicy(subnetEgressRoute, stack(withStream()), {
            exemptSubnets: [...EXEMPT.exemptSubnets, { ...STREAM, whileEmpty: "yes" }],
          }),
          /exemptSubnets\[2\]\.whileEmpty must be boolean/,
        );
        await assert.rejects(
          evaluatePolicy(subnetEgressRoute, stack(withStream()), {
            exemptSubnets: [...EXEMPT.exemptSubnets, { ...STREAM, whileEmtpy: true }],
          }),
          /exemptSubnets\[2\]\.whileEmtpy is not allowed \(allowed: pattern, reason, whileEmpty; did you mean 'whileEmpty'\?\)/,
        );
      });
    });

    it("reads a firewall subnet's addressPrefixes, and reports one whose range it cannot read (E7)", async () => {
      const withPrefixes = PLATFORM_SUBNETS().map((s) =>
        s.name === "AzureFirewallSubnet" ? { name: s.name, addressPrefixes: ["10.30.4.64/26"] } : s,
      );
      withPrefixes[1] = subnet("snet-functions", "10.30.1.0/24");
      await expectFail(subnetEgressRoute, stack(withPrefixes), /subnet 'snet-functions' has no route table/, EXEMPT);
      // In a first preview Azure's `addressPrefixes` output is unknown beside the prefix the program sets: decided.
      const withUnknownList = PLATFORM_SUBNETS().map((s) =>
        s.name === "AzureFirewallSubnet" ? { ...s, addressPrefixes: UNKNOWN } : s,
      );
      await expectPass(subnetEgressRoute, stack(withUnknownList), EXEMPT);
      const noRange = PLATFORM_SUBNETS().map((s) => (s.name === "AzureFirewallSubnet" ? { name: s.name } : s));
      await expectFail(
        subnetEgressRoute,
        stack(noRange),
        /subnet 'AzureFirewallSubnet' has no IPv4 range the pack can read \(unset\)/,
        EXEMPT,
      );
    });

    it("is not applicable without a firewall, outside the firewall's network, or when every subnet is listed", async () => {
      await expectNotApplicable(subnetEgressRoute, [vnet(PLATFORM_SUBNETS()), routeTable([TO_FIREWALL])], EXEMPT);
      await expectNotApplicable(
        subnetEgressRoute,
        [vnet(PLATFORM_SUBNETS().filter((s) => s.name !== "AzureFirewallSubnet")), firewall()],
        EXEMPT,
      );
      await expectNotApplicable(subnetEgressRoute, stack(), {
        exemptSubnets: [{ pattern: "snet-*", reason: "a sandbox without workloads" }],
      });
    });
  });
});
