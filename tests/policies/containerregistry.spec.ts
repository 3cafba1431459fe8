import { strict as assert } from "node:assert";
import {
  containerRegistryPolicies,
  registryAdminUser,
  registryExport,
  registryPublicNetwork,
  registryTokens,
} from "../../policies/rules/containerregistry";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import * as f from "./fixtures/ml";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  failCases,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

describe("policies/containerregistry", () => {
  const registry = f.containerRegistry();

  it("exports uniquely named policies", () => {
    const names = containerRegistryPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => n.startsWith("azure-native-containerregistry-")));
  });

  describe(registryTokens.name, () => {
    const token = (status?: string) =>
      resourceRecord("azure-native:containerregistry:Token", "crpaydevweu-ci", {
        registryName: "crpaydevweu",
        resourceGroupName: "rg-pay-dev-weu-ml",
        scopeMapId: "/scopeMaps/_repositories_pull",
        ...(status === undefined ? {} : { status }),
      });
    it("fails an enabled token, or one left to its default (enabled)", async () => {
      await expectFail(registryTokens, token("enabled"), /crpaydevweu-ci .*enabled registry token/);
      await expectFail(registryTokens, token(), /enabled registry token/);
    });
    it("passes a disabled token", () => expectPass(registryTokens, token("disabled")));
    it("is not applicable to the registry itself", () => expectNotApplicable(registryTokens, registry));
  });

  describe(registryAdminUser.name, () => {
    it("passes the compliant registry (and unset flags, which default to off)", async () => {
      await expectPass(registryAdminUser, registry);
      await expectPass(
        registryAdminUser,
        mutate(mutate(registry, "adminUserEnabled", undefined), "anonymousPullEnabled", undefined),
      );
    });
    failCases(registryAdminUser, registry, [
      [
        "the admin user is enabled",
        "adminUserEnabled",
        true,
        /crpaydevweu \(azure-native:containerregistry:Registry\) has the admin user enabled .*set adminUserEnabled to false/,
      ],
      [
        "anonymous pull is enabled",
        "anonymousPullEnabled",
        true,
        /allows anonymous .*set anonymousPullEnabled to false/,
      ],
    ]);
    it("reports both when both are on", async () => {
      const r = await evaluatePolicy(
        registryAdminUser,
        mutate(mutate(registry, "adminUserEnabled", true), "anonymousPullEnabled", true),
      );
      assert.equal(r.messages.length, 2);
    });
    it("is not applicable to other types", () => expectNotApplicable(registryAdminUser, otherResource()));
  });

  describe(registryExport.name, () => {
    it("passes a registry with exports disabled (any case)", async () => {
      await expectPass(registryExport, registry);
      await expectPass(registryExport, mutate(registry, "policies.exportPolicy.status", "Disabled"));
    });
    failCases(registryExport, registry, [
      [
        "the export policy is unset (enabled by default)",
        "policies",
        undefined,
        /crpaydevweu .*allows artifacts to be exported \(policies\.exportPolicy\.status "enabled \(default\)"\): set it to "disabled"/,
      ],
      ["exports are enabled", "policies.exportPolicy.status", "enabled", /status "enabled"\)/],
    ]);
    it("cannot decide while the status is unknown", () =>
      expectUndecided(registryExport, mutate(registry, "policies.exportPolicy.status", UNKNOWN)));
    it("is not applicable to other types", () => expectNotApplicable(registryExport, otherResource()));
  });

  describe(registryPublicNetwork.name, () => {
    it("passes the compliant registry", () => expectPass(registryPublicNetwork, registry));
    failCases(registryPublicNetwork, registry, [
      [
        "publicNetworkAccess is unset (defaults to Enabled)",
        "publicNetworkAccess",
        undefined,
        /crpaydevweu .*accepts public traffic \(publicNetworkAccess unset\): set publicNetworkAccess to "Disabled"/,
      ],
      ["public network access is Enabled", "publicNetworkAccess", "Enabled", /\(publicNetworkAccess "Enabled"\)/],
      [
        "the SKU is Standard (no private endpoints)",
        "sku.name",
        "Standard",
        /uses the "Standard" SKU, which has no private endpoints .*set sku\.name to "Premium"/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(registryPublicNetwork, otherResource()));
  });
});
