import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { currentPolicyDocs, DOC } from "../tools/policyDocs";
import { policies } from "../policies/policies";

describe("docs/policy-rules.md", () => {
  it("is generated from the pack's current metadata (run `npm run policy:docs` when it is stale)", () => {
    assert.equal(
      fs.readFileSync(DOC, "utf8"),
      currentPolicyDocs(),
      "docs/policy-rules.md is stale: run `npm run policy:docs`",
    );
  });
  it("lists every rule, with at least 60 rules in the pack", () => {
    const text = fs.readFileSync(DOC, "utf8");
    assert.ok(policies.length >= 60, `${policies.length} rules`);
    for (const p of policies) assert.ok(text.includes(`\`${p.name}\``), p.name);
  });
  it("gives every rule the metadata auditors rely on", () => {
    for (const p of policies) {
      assert.ok(p.severity, `${p.name}: severity`);
      assert.equal(p.framework?.name, "PCI DSS", `${p.name}: framework`);
      assert.equal(p.framework?.version, "4.0.1");
      assert.ok(p.remediationSteps && p.remediationSteps.length > 20, `${p.name}: remediationSteps`);
      assert.match(p.url ?? "", /^https:\/\//, `${p.name}: url`);
      assert.match(p.description, /\.$/, `${p.name}: the description is a sentence`);
      assert.ok(
        p.tags?.some((t) => t.startsWith("service:")),
        `${p.name}: service tag`,
      );
    }
    assert.equal(new Set(policies.map((p) => p.name)).size, policies.length, "unique names");
  });
});
