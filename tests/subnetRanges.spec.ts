/**
 * A deployed subnet's range against the config (components/platform/subnets.ts `subnetRangeConflicts`): Azure changes
 * a subnet's range only while nothing is in it.
 */
import { strict as assert } from "node:assert";
import { SUBNETS, subnetOccupants, subnetRangeConflicts } from "../components/platform/subnets";
import type { SubnetRole } from "../lib/config";
import { refusalOf } from "./helpers/deployedElsewise";
import { byName, configOf, invokesOf, previewOf } from "./helpers/stacks";

const wanted = configOf("prod").subnets;
const deployedAs = (role: SubnetRole, addressPrefix: string, more: object = {}) => ({
  subnets: [{ name: SUBNETS[role].name, addressPrefix, ...more }],
});

describe("a deployed subnet's range against the config", () => {
  it("refuses a new range on a subnet that holds resources, naming them and the key", () => {
    const [c, ...more] = subnetRangeConflicts(
      deployedAs("privateEndpoints", "10.99.0.0/24", { privateEndpoints: [{}, {}, {}], ipConfigurations: [{}] }),
      wanted,
    );
    assert.deepEqual(more, []);
    assert.equal(c.kind, "refused");
    assert.equal(c.key, "subnets.privateEndpoints");
    assert.equal(c.deployed, "10.99.0.0/24 (holding 3 private endpoints, 1 IP configuration)");
    assert.equal(c.wanted, wanted.privateEndpoints);
    assert.match(c.remedy, /If any resources exist in the subnet, you must either move the resources/);
    assert.match(
      c.remedy,
      /keep 10\.99\.0\.0\/24 \(if vnetAddressSpace changed, set `subnets` to the deployed ranges\)/,
    );
  });

  it("takes a new range on an empty subnet, the same range, and a subnet not deployed yet", () => {
    assert.deepEqual(subnetRangeConflicts(deployedAs("mlCompute", "10.99.0.0/24"), wanted), []);
    assert.deepEqual(
      subnetRangeConflicts(
        deployedAs("appGateway", wanted.appGateway, { applicationGatewayIPConfigurations: [{}] }),
        wanted,
      ),
      [],
    );
    assert.deepEqual(subnetRangeConflicts({ subnets: [] }, wanted), []);
    assert.deepEqual(subnetRangeConflicts({}, wanted), []);
  });

  it("counts every kind of occupant Azure reports", () => {
    assert.equal(
      subnetOccupants({
        applicationGatewayIPConfigurations: [{}],
        serviceAssociationLinks: [{}, {}],
        resourceNavigationLinks: [{}],
      }),
      "1 application gateway IP configuration, 2 service association links, 1 resource navigation link",
    );
    assert.equal(subnetOccupants({ ipConfigurations: [], privateEndpoints: [] }), "");
  });

  it("a first preview keeps the VNet's name and address space known: it reads the VNet by the platform's names and finds none", async () => {
    const { previewRun } = await previewOf("prod");
    const vnet = byName(previewRun.resources, "platform-vnet");
    assert.equal(vnet.inputs.virtualNetworkName, "vnet-pay-prod-weu");
    assert.deepEqual(vnet.inputs.addressSpace, { addressPrefixes: ["10.30.0.0/16"] });
    assert.deepEqual(
      invokesOf(previewRun, "azure-native:network:getVirtualNetwork").map((i) => i.inputs),
      [{ resourceGroupName: "rg-pay-prod-weu-network", virtualNetworkName: "vnet-pay-prod-weu" }],
    );
  });

  it("a preview of prod whose private endpoint subnet holds endpoints in another range refuses it, before the VNet", async function () {
    this.timeout(300_000);
    assert.match(
      await refusalOf("prod", "subnet-moved"),
      /error serializing property "addressSpace": the stack config asks for a change Azure refuses on the virtual network 'vnet-pay-prod-weu' as the program would send it:\n {2}subnets\.privateEndpoints: the deployed value is 10\.99\.0\.0\/24 \(holding 2 private endpoints\)/,
    );
  });
});
