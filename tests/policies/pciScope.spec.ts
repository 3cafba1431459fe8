import { strict as assert } from "node:assert";
import { POLICY_NAME } from "../../policies/lib/policy";
import { outOfScopeListed, pciScopePolicies } from "../../policies/rules/pciScope";
import { storageAccount } from "./fixtures/storage";
import { TAGS } from "./fixtures/protection";
import { expectFail, expectNotApplicable, expectPass, mutate } from "./helpers";

/** The storage fixture in `stack`, tagged with `scope`. */
const tagged = (scope: string, stack = "prod") => {
  const r = mutate(storageAccount(stack), "tags", { ...TAGS, "pci-scope": scope });
  return r;
};

describe("policies/pciScope", () => {
  it("exports one well-named policy with metadata", () => {
    assert.equal(pciScopePolicies.length, 1);
    for (const p of pciScopePolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  describe(outOfScopeListed.name, () => {
    it("fails a prod resource the program tags out-of-scope without the config listing it", () =>
      expectFail(
        outOfScopeListed,
        tagged("out-of-scope"),
        /stpaydevweu \(azure-native:storage:StorageAccount\) is tagged pci-scope: out-of-scope in a production stack, .*list it in outOfScopeResources with the reason/,
      ));

    it("passes it listed with the reason, and records the listing as an exemption the verdict shows", async () => {
      const r = await expectPass(outOfScopeListed, tagged("out-of-scope"), {
        outOfScopeResources: [
          { pattern: "stpaydev*", reason: "SCOPE-7: synthetic test data only, confirmed by the QSA" },
        ],
      });
      assert.deepEqual(
        r.exemptions.map((e) => [e.policy, e.pattern]),
        [[outOfScopeListed.name, "stpaydev*"]],
      );
    });

    it("honours a listing's type: another type of the same name still fails", async () => {
      const reason = "SCOPE-7: synthetic test data only, confirmed by the QSA";
      await expectPass(outOfScopeListed, tagged("out-of-scope"), {
        outOfScopeResources: [{ pattern: "stpaydev*", reason, type: "azure-native:storage:StorageAccount" }],
      });
      await expectFail(outOfScopeListed, tagged("out-of-scope"), /is tagged pci-scope: out-of-scope/, {
        outOfScopeResources: [{ pattern: "stpaydev*", reason, type: "azure-native:keyvault:Vault" }],
      });
    });

    it("passes nothing else: a listing for another name still fails", () =>
      expectFail(outOfScopeListed, tagged("out-of-scope"), /is tagged pci-scope: out-of-scope/, {
        outOfScopeResources: [{ pattern: "other-*", reason: "SCOPE-7: synthetic test data only" }],
      }));

    it("is not applicable in scope (cde, connected, a near miss that fails closed), untagged, or outside prodStacks", async () => {
      for (const scope of ["cde", "connected", "Out-Of-Scope"])
        await expectNotApplicable(outOfScopeListed, tagged(scope));
      await expectNotApplicable(outOfScopeListed, mutate(storageAccount("prod"), "tags", undefined));
      await expectNotApplicable(outOfScopeListed, tagged("out-of-scope", "dev"));
    });
  });
});
