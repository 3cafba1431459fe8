import { strict as assert } from "node:assert";
import { SETTINGS_TYPES, webSettingsSecretOutputs } from "../../policies/rules/secretOutputs";
import { resourceRecord } from "../../tools/lib/policyRunner";
import { appSettings } from "./fixtures/streaming";
import { expectFail, expectNotApplicable, expectPass, otherResource } from "./helpers";

describe("policies: secret outputs", () => {
  describe(webSettingsSecretOutputs.name, () => {
    it('passes app settings registered with additionalSecretOutputs: ["properties"], as the function apps\' are', async () => {
      await expectPass(webSettingsSecretOutputs, appSettings());
      await expectPass(webSettingsSecretOutputs, {
        ...appSettings(),
        additionalSecretOutputs: ["id", "properties"],
      });
    });

    it("fails settings whose properties output would reach the state in plain text, naming the option", async () => {
      const without = { ...appSettings(), additionalSecretOutputs: undefined };
      const r = await expectFail(
        webSettingsSecretOutputs,
        without,
        /^func-pay-dev-weu-settings \(azure-native:web:WebAppApplicationSettings\) does not keep its `properties` output secret: .*Set `additionalSecretOutputs: \["properties"\]`\.$/,
      );
      assert.equal(r.enforcementLevel, "mandatory");
      // Another output listed is not enough; secret inputs are not either (Azure returns the settings it holds).
      await expectFail(webSettingsSecretOutputs, { ...appSettings(), additionalSecretOutputs: ["name"] }, /properties/);
      await expectFail(
        webSettingsSecretOutputs,
        { ...without, secretKeys: ["properties.KeyVaultBacked"] },
        /does not keep its `properties` output secret/,
      );
    });

    it("applies to every settings and connection strings type, slots included", async () => {
      for (const type of SETTINGS_TYPES) {
        const r = resourceRecord(type, "x", { name: "app", resourceGroupName: "rg", properties: {} });
        await expectFail(webSettingsSecretOutputs, r, /does not keep its `properties` output secret/);
        await expectPass(webSettingsSecretOutputs, { ...r, additionalSecretOutputs: ["properties"] });
      }
    });

    it("is not applicable to other resources (the site itself: Azure returns no settings in its siteConfig)", async () => {
      await expectNotApplicable(webSettingsSecretOutputs, otherResource());
      await expectNotApplicable(
        webSettingsSecretOutputs,
        resourceRecord("azure-native:web:WebApp", "func-pay-dev-weu", { name: "func-pay-dev-weu" }),
      );
    });
  });
});
