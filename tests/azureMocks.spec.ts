import { strict as assert } from "node:assert";
import { ARM_TYPES, mockResource, SUBSCRIPTION_ID } from "../tools/lib/azureMocks";
import { previewOf } from "./helpers/stacks";

const RG_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-test`;

/** Inputs that fill every placeholder of a type's ARM path with a distinct value, plus the scope inputs. */
function sampleInputs(type: string): Record<string, unknown> {
  const inputs: Record<string, unknown> = {
    resourceGroupName: "rg-test",
    scope: `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv-test`,
    resourceUri: `${RG_ID}/providers/Microsoft.Sql/servers/sql-test`,
    // Defender pricings: the subscription scope without its leading slash.
    scopeId: `subscriptions/${SUBSCRIPTION_ID}`,
  };
  for (const m of ARM_TYPES[type].path.matchAll(/\{(\w+)\}/g)) inputs[m[1]] ??= `${m[1].toLowerCase()}-value`;
  return inputs;
}

describe("mock engine answers like Azure", function () {
  this.timeout(120000);
  const azureTypes = Object.keys(ARM_TYPES).filter((t) => t.startsWith("azure-native:"));

  for (const type of azureTypes) {
    it(`${type}: name output = Azure name = last segment of the ARM id`, () => {
      const inputs = sampleInputs(type);
      const { id, state } = mockResource(type, "logical-name", `urn:pulumi:dev::p::${type}::logical-name`, inputs);
      assert.match(id, /^\/subscriptions\/[0-9a-f-]{36}\/(resourceGroups|providers)\//);
      const last = id.split("/").pop();
      assert.equal(state.name, last, `name output of ${type}`);
      assert.notEqual(state.name, "logical-name", "never the Pulumi logical name");
      assert.equal(state.id, id);
      // The Azure name is the one the type's own name input gives (the last placeholder of its path), or the fixed
      // name of a fixed-name child or singleton (a Synapse workspace's `sqlAdministrators/activeDirectory`, sites/config/appsettings, basicPublishingCredentialsPolicies/ftp).
      const placeholders = [...ARM_TYPES[type].path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const lastSegment = ARM_TYPES[type].path.split("/").pop() ?? "";
      const fixed = /^\{\w+\}$/.test(lastSegment) ? undefined : lastSegment;
      assert.equal(state.name, fixed ?? inputs[placeholders[placeholders.length - 1]]);
    });
  }

  it("the monitor private link scope is named by scopeName, as its id", () => {
    const { id, state } = mockResource(
      "azure-native:monitor:PrivateLinkScope",
      "platform-ampls",
      "urn:pulumi:dev::p::azure-native:monitor:PrivateLinkScope::platform-ampls",
      { resourceGroupName: "rg-test", scopeName: "ampls-pay-dev-weu" },
    );
    assert.equal(id, `${RG_ID}/providers/Microsoft.Insights/privateLinkScopes/ampls-pay-dev-weu`);
    assert.equal(state.name, "ampls-pay-dev-weu");
  });

  it("gives a firewall its subnet's first usable address, read from the VNet the run registered", () => {
    const vnet = mockResource("azure-native:network:VirtualNetwork", "vnet", "urn:vnet", {
      resourceGroupName: "rg-test",
      virtualNetworkName: "vnet-test",
      subnets: [
        { name: "snet-apps", addressPrefix: "10.9.0.0/24" },
        { name: "AzureFirewallSubnet", addressPrefix: "10.9.1.64/26" },
      ],
    });
    const ipOf = (subnetId: string) =>
      (
        mockResource(
          "azure-native:network:AzureFirewall",
          "afw",
          "urn:afw",
          {
            resourceGroupName: "rg-test",
            azureFirewallName: "afw-test",
            ipConfigurations: [{ subnet: { id: subnetId } }],
          },
          (id) => (id.toLowerCase() === vnet.id.toLowerCase() ? vnet.state : undefined),
        ).state.ipConfigurations as { privateIPAddress: string }[]
      )[0].privateIPAddress;
    assert.equal(ipOf(`${vnet.id}/subnets/AzureFirewallSubnet`), "10.9.1.68");
    assert.equal(
      ipOf(`${vnet.id.toUpperCase()}/subnets/azurefirewallsubnet`),
      "10.9.1.68",
      "ids compare case-insensitively",
    );
    assert.equal(
      ipOf(`${RG_ID}/providers/Microsoft.Network/virtualNetworks/hub/subnets/AzureFirewallSubnet`),
      "10.0.0.4",
    );
  });

  for (const stack of ["dev", "prod"] as const) {
    it(`${stack}: every Azure resource the program registers has name = last id segment`, async () => {
      const { run } = await previewOf(stack);
      const wrong = run.resources
        .filter((r) => r.custom && r.type.startsWith("azure-native:"))
        .filter((r) => r.outputs.name !== String(r.id).split("/").pop())
        .map((r) => `${r.type} ${r.name}: name=${String(r.outputs.name)} id=${String(r.id)}`);
      assert.deepEqual(wrong, []);
    });
  }
});
