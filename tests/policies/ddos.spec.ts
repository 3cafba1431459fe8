import { strict as assert } from "node:assert";
import { ddosPolicies, publicIpDdos } from "../../policies/rules/ddos";
import { POLICY_NAME } from "../../policies/lib/policy";
import { resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { RG_NAME } from "./fixtures/protection";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, inStack, mutate, UNKNOWN } from "./helpers";

const NET = `/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/${RG_NAME}/providers/Microsoft.Network`;
const PIP_ID = `${NET}/publicIPAddresses/pip-pay-prod-weu-agw`;
const PLAN_ID = `${NET}/ddosProtectionPlans/ddos-pay-prod-weu`;

const pip = (ddosSettings?: unknown, id: unknown = PIP_ID): ResourceRecord =>
  resourceRecord(
    "azure-native:network:PublicIPAddress",
    "ingestion-agw-pip",
    { id, resourceGroupName: RG_NAME, sku: { name: "Standard" }, ...(ddosSettings ? { ddosSettings } : {}) },
    { stack: "prod" },
  );
const vnet = (name: string, plan: boolean): ResourceRecord =>
  resourceRecord(
    "azure-native:network:VirtualNetwork",
    `platform-${name}`,
    {
      resourceGroupName: RG_NAME,
      virtualNetworkName: name,
      ...(plan ? { enableDdosProtection: true, ddosProtectionPlan: { id: PLAN_ID } } : {}),
    },
    { stack: "prod" },
  );
/** The WAF gateway using the address, in a subnet of `vnetName` (unknown: a first preview). */
const gateway = (vnetName: string | typeof UNKNOWN, pipId: unknown = PIP_ID): ResourceRecord =>
  resourceRecord(
    "azure-native:network:ApplicationGateway",
    "ingestion-agw",
    {
      resourceGroupName: RG_NAME,
      gatewayIPConfigurations: [
        {
          name: "gateway-ip",
          subnet: {
            id: vnetName === UNKNOWN ? UNKNOWN : `${NET}/virtualNetworks/${vnetName}/subnets/snet-app-gateway`,
          },
        },
      ],
      frontendIPConfigurations: [{ name: "public", publicIPAddress: { id: pipId } }],
    },
    {
      stack: "prod",
      propertyDependencies: {
        frontendIPConfigurations: [
          "urn:pulumi:prod::payments-data-platform::azure-native:network:PublicIPAddress::ingestion-agw-pip",
        ],
      },
    },
  );

describe("policies/ddos", () => {
  it("exports uniquely named policies that follow the name convention", () => {
    const names = ddosPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => POLICY_NAME.test(n)));
  });

  describe(publicIpDdos.name, () => {
    it("passes DDoS IP Protection on the address (prod's `ddosProtectionMode: ip`)", () =>
      expectPass(publicIpDdos, [
        pip({ protectionMode: "Enabled" }),
        vnet("vnet-pay-prod-weu", false),
        gateway("vnet-pay-prod-weu"),
      ]));
    it("passes an address inheriting from its network's plan (`ddosProtectionMode: network`), by its gateway's subnet", () =>
      expectPass(publicIpDdos, [
        pip({ protectionMode: "VirtualNetworkInherited" }),
        vnet("vnet-pay-prod-weu", true),
        vnet("vnet-pay-prod-sandbox", false),
        gateway("vnet-pay-prod-weu"),
      ]));
    it("passes an inheriting address once deployed: the network's outputs carry its name and id, not virtualNetworkName", () => {
      const deployed = (plan: boolean) => {
        const v = vnet("vnet-pay-prod-weu", plan);
        const { virtualNetworkName: _n, ...outputs } = v.outputs;
        return {
          ...v,
          outputs: { ...outputs, name: "vnet-pay-prod-weu", id: `${NET}/virtualNetworks/vnet-pay-prod-weu` },
        };
      };
      const sandbox = vnet("vnet-pay-prod-sandbox", false);
      return Promise.all([
        expectPass(publicIpDdos, [
          pip({ protectionMode: "VirtualNetworkInherited" }),
          deployed(true),
          sandbox,
          gateway("vnet-pay-prod-weu"),
        ]),
        expectFail(
          publicIpDdos,
          [
            pip({ protectionMode: "VirtualNetworkInherited" }),
            deployed(false),
            {
              ...sandbox,
              outputs: { ...sandbox.outputs, enableDdosProtection: true, ddosProtectionPlan: { id: PLAN_ID } },
            },
            gateway("vnet-pay-prod-weu"),
          ],
          /inherits DDoS protection from its virtual network \(vnet-pay-prod-weu\), which has no DDoS Network Protection plan/,
        ),
      ]);
    });
    it("passes an inheriting address in a first preview when every network of the stack has a plan", () =>
      expectPass(publicIpDdos, [
        pip({ protectionMode: "VirtualNetworkInherited" }, UNKNOWN),
        vnet("vnet-pay-prod-weu", true),
        gateway(UNKNOWN, UNKNOWN),
      ]));
    it("cannot decide an address created without ddosSettings (the provider answers it unknown in a first preview)", () =>
      expectUndecided(publicIpDdos, [
        pip(undefined, UNKNOWN),
        vnet("vnet-pay-prod-weu", true),
        gateway(UNKNOWN, UNKNOWN),
      ]));
    it("fails protection turned off (the review's mutation #98)", () =>
      expectFail(
        publicIpDdos,
        [pip({ protectionMode: "Disabled" }), vnet("vnet-pay-prod-weu", true), gateway("vnet-pay-prod-weu")],
        /ingestion-agw-pip \(azure-native:network:PublicIPAddress\) has DDoS protection disabled \(ddosSettings\.protectionMode "Disabled"\): set it to "Enabled"/,
      ));
    it("fails an address inheriting from a network without a plan, naming the network", () =>
      expectFail(
        publicIpDdos,
        [
          pip(undefined),
          vnet("vnet-pay-prod-weu", false),
          vnet("vnet-pay-prod-sandbox", true),
          gateway("vnet-pay-prod-weu"),
        ],
        /ingestion-agw-pip .* inherits DDoS protection from its virtual network \(vnet-pay-prod-weu\), which has no DDoS Network Protection plan/,
      ));
    it("cannot decide in a first preview with networks with and without a plan and the gateway's subnet unknown", () =>
      expectUndecided(publicIpDdos, [
        pip(undefined, UNKNOWN),
        vnet("vnet-pay-prod-weu", true),
        vnet("vnet-pay-prod-sandbox", false),
        gateway(UNKNOWN, UNKNOWN),
      ]));
    it("needs the network's plan, not only enableDdosProtection, and matches the address's id exactly", async () => {
      const flagOnly = {
        ...vnet("vnet-pay-prod-weu", false),
        outputs: { virtualNetworkName: "vnet-pay-prod-weu", enableDdosProtection: true },
      };
      await expectFail(
        publicIpDdos,
        [pip(undefined), flagOnly, gateway("vnet-pay-prod-weu")],
        /which has no DDoS Network Protection plan/,
      );
      // A gateway naming `…-agw2` does not use `…-agw`: the address inherits with no user, so every network decides.
      const other = { ...gateway("vnet-pay-prod-weu", `${PIP_ID}2`), propertyDependencies: {} };
      await expectFail(
        publicIpDdos,
        [pip(undefined), vnet("vnet-pay-prod-weu", false), vnet("vnet-pay-prod-sandbox", true), other],
        /no resource using it names a subnet/,
      );
    });
    it("matches the gateway's network by id: a same-named network with a plan elsewhere is not it", async () => {
      const hub = (plan: boolean) =>
        resourceRecord(
          "azure-native:network:VirtualNetwork",
          "hub-vnet",
          {
            resourceGroupName: "rg-hub",
            virtualNetworkName: "vnet-pay-prod-weu",
            ...(plan ? { enableDdosProtection: true, ddosProtectionPlan: { id: PLAN_ID } } : {}),
          },
          { stack: "prod" },
        );
      await expectFail(
        publicIpDdos,
        [pip(undefined), vnet("vnet-pay-prod-weu", false), hub(true), gateway("vnet-pay-prod-weu")],
        /inherits DDoS protection from its virtual network \(vnet-pay-prod-weu\), which has no DDoS Network Protection plan/,
      );
      // The stack's own network by its known id (a group spelt in another case) passes.
      const own = vnet("vnet-pay-prod-weu", true);
      await expectPass(publicIpDdos, [
        pip(undefined),
        { ...own, outputs: { ...own.outputs, id: `${NET.toUpperCase()}/virtualNetworks/vnet-pay-prod-weu` } },
        hub(false),
        gateway("vnet-pay-prod-weu"),
      ]);
    });
    it("names only the unprotected one of the networks the gateway's subnets are in, and fails when any is", async () => {
      const both = mutate(gateway("vnet-pay-prod-weu"), "gatewayIPConfigurations.1", {
        name: "second",
        subnet: { id: `${NET}/virtualNetworks/vnet-pay-prod-edge/subnets/snet-app-gateway` },
      });
      const r = await expectFail(
        publicIpDdos,
        [pip(undefined), vnet("vnet-pay-prod-weu", true), vnet("vnet-pay-prod-edge", false), both],
        /inherits DDoS protection from its virtual network \(vnet-pay-prod-edge\), which has no DDoS Network Protection plan/,
      );
      assert.doesNotMatch(r.message, /vnet-pay-prod-weu/);
    });
    it("fails on a deployed network without a plan even while another network, with a plan, has no id yet", () =>
      expectFail(
        publicIpDdos,
        [
          pip(undefined),
          vnet("vnet-pay-prod-weu", false),
          mutate(vnet("vnet-pay-prod-edge", true), "ddosProtectionPlan.id", UNKNOWN),
          gateway("vnet-pay-prod-weu"),
        ],
        /inherits DDoS protection from its virtual network \(vnet-pay-prod-weu\), which has no DDoS Network Protection plan/,
      ));
    it("cannot decide while a network the gateway's subnet may be in has no id yet (created in this preview)", () =>
      expectUndecided(publicIpDdos, [
        pip(undefined),
        mutate(vnet("vnet-pay-prod-weu", true), "ddosProtectionPlan.id", UNKNOWN),
        vnet("vnet-pay-prod-sandbox", false),
        gateway("vnet-pay-prod-weu"),
      ]));
    it("cannot decide while the mode is unknown in a first preview", () =>
      expectUndecided(publicIpDdos, [pip({ protectionMode: UNKNOWN }), vnet("vnet-pay-prod-weu", true)]));
    it("is not applicable outside production or without public addresses", async () => {
      await expectNotApplicable(publicIpDdos, [
        inStack(pip({ protectionMode: "Disabled" }), "dev"),
        vnet("vnet-pay-dev-weu", false),
      ]);
      await expectNotApplicable(publicIpDdos, [vnet("vnet-pay-prod-weu", false)]);
    });
  });
});
