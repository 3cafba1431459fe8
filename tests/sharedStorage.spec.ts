import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { hardenedStorageInputs, type CustomerManagedKey, type HardenedStorageArgs } from "../components/shared";

const base: HardenedStorageArgs = {
  accountName: "st",
  resourceGroupName: "rg",
  location: "westeurope",
  sku: "Standard_ZRS",
};
const cmk = {
  keyVaultId: pulumi.output("/kv"),
  keyVaultUri: pulumi.output("https://kv.vault.azure.net/"),
  keyName: "cmk-storage",
  identity: { id: pulumi.output("/id"), principalId: pulumi.output("p"), clientId: pulumi.output("c") },
} as unknown as CustomerManagedKey;

describe("shared: the hardened storage account", () => {
  it("is Entra-only, private and closed by default: no keys, SAS, local users, anonymous blobs or public access", () => {
    const i = hardenedStorageInputs(base);
    assert.deepEqual(
      [i.allowSharedKeyAccess, i.defaultToOAuthAuthentication, i.isLocalUserEnabled, i.isSftpEnabled],
      [false, true, false, false],
    );
    assert.deepEqual([i.allowBlobPublicAccess, i.allowCrossTenantReplication], [false, false]);
    assert.deepEqual([i.enableHttpsTrafficOnly, i.minimumTlsVersion], [true, "TLS1_2"]);
    assert.equal(i.publicNetworkAccess, "Disabled");
    assert.deepEqual(i.networkRuleSet, { defaultAction: "Deny", bypass: "None", ipRules: [], virtualNetworkRules: [] });
  });

  it("encrypts with the customer-managed key through its identity, infrastructure encryption on", () => {
    const e = hardenedStorageInputs({ ...base, customerManagedKey: cmk }).encryption as Record<string, unknown>;
    assert.equal(e.keySource, "Microsoft.Keyvault");
    assert.equal(e.requireInfrastructureEncryption, true);
    assert.deepEqual(Object.keys(e.services as object), ["blob", "file", "queue", "table"]);
    // Queues and tables under a `Service` key are always encrypted with Microsoft's keys, never the CMK.
    for (const [service, settings] of Object.entries(e.services as Record<string, unknown>))
      assert.deepEqual(settings, { enabled: true, keyType: "Account" }, `${service}: the account's key (the CMK)`);
    assert.equal((hardenedStorageInputs(base).encryption as { keySource: string }).keySource, "Microsoft.Storage");
  });

  it("opens the public endpoint only to named resource instances, default action still Deny", () => {
    const i = hardenedStorageInputs({
      ...base,
      firewall: { resourceInstances: [{ tenantId: "t", resourceId: "/job" }] },
    });
    assert.equal(i.publicNetworkAccess, "Enabled");
    const rules = i.networkRuleSet as unknown as Record<string, unknown>;
    assert.equal(rules.defaultAction, "Deny");
    assert.equal(rules.bypass, "None");
    assert.deepEqual(rules.resourceAccessRules, [{ tenantId: "t", resourceId: "/job" }]);
  });
});
