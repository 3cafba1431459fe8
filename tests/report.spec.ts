import { strict as assert } from "node:assert";
import type { Verdict } from "../tools/lib/policyRunner";
import { createCount, formatVerdict, ruleStatus, summaryLine, verdictJson, verdictMarkdown } from "../tools/lib/report";
import { previewOf } from "./helpers/stacks";

const policy = (name: string, pci: string) => ({
  name,
  description: `${name}.`,
  kind: "resource" as const,
  enforcementLevel: "mandatory" as const,
  severity: "high" as const,
  tags: [`pci-dss:${pci}`],
});

/** A verdict with one rule per status. */
const verdict: Verdict = {
  stack: "dev",
  resourceCount: 3,
  policies: [
    policy("rule-passed", "1.3.1"),
    policy("rule-nothing-to-check", "1.3.1"),
    policy("rule-failed", "3.5.1"),
    policy("rule-exempted", "3.5.1"),
    policy("rule-undecided", "3.5.1"),
  ],
  violations: [
    { policy: "rule-failed", enforcementLevel: "mandatory", urn: "urn:pulumi:dev::p::t::a", message: "bad" },
    {
      policy: "rule-undecided",
      enforcementLevel: "advisory",
      urn: "urn:pulumi:dev::p::t::a",
      message: "can't run policy 'rule-undecided' during preview: unknown value",
    },
  ],
  exemptions: [{ policy: "rule-exempted", urn: "urn:pulumi:dev::p::t::b", pattern: "b", reason: "RISK-1" }],
  evaluated: {
    "rule-passed": 2,
    "rule-nothing-to-check": 0,
    "rule-failed": 1,
    "rule-exempted": 0,
    "rule-undecided": 1,
  },
};

describe("the preview's resource count", () => {
  it("counts what the CLI counts on a new stack: the stack, its components and custom resources, no default provider", async () => {
    const { run } = await previewOf("dev");
    const custom = run.resources.filter((r) => r.custom).length;
    const components = run.resources.filter((r) => !r.custom && r.type !== "pulumi:pulumi:Stack").length;
    assert.ok(components >= 9, "one component per tier");
    assert.equal(createCount(run.resources), custom + components + 1);
    const withDefault = [
      ...run.resources,
      { ...run.resources[1], type: "pulumi:providers:azure-native", name: "default_3_28_0", custom: true },
    ];
    assert.equal(createCount(withDefault), custom + components + 1);
  });
});

describe("verdict evidence: passed only when a rule evaluated something", () => {
  it("classifies each rule", () => {
    assert.deepEqual(
      verdict.policies.map((p) => ruleStatus(verdict, p.name)),
      ["passed", "not applicable", "failed", "exempted", "advisory"],
    );
  });

  it("the JSON verdict carries each rule's status and the number of resources it evaluated", () => {
    const json = verdictJson(verdict);
    const byName = Object.fromEntries(json.policies.map((p) => [p.name, p]));
    assert.equal(byName["rule-nothing-to-check"].status, "not applicable");
    assert.equal(byName["rule-nothing-to-check"].evaluatedResources, 0);
    assert.equal(byName["rule-passed"].status, "passed");
    assert.equal(byName["rule-passed"].evaluatedResources, 2);
    assert.deepEqual(json.summary.rules, {
      passed: 1,
      failed: 1,
      advisory: 1,
      exempted: 1,
      "not applicable": 1,
      disabled: 0,
    });
  });

  it("the JSON verdict carries the first-deploy hazards that fail the preview, when they were checked", () => {
    const hazard = { rule: "log-alert-mute-duration", urn: "urn:x", name: "alert", message: "mute too short" };
    const json = verdictJson(verdict, undefined, [hazard]);
    assert.equal(json.summary.hazards, 1);
    assert.deepEqual(json.hazards, [hazard]);
    assert.equal(verdictJson(verdict, undefined, []).summary.hazards, 0);
    assert.ok(!("hazards" in verdictJson(verdict)), "not checked: no field, never a misleading 0");
  });

  it("puts the mandatory findings first, and says how many of a mandatory rule's entries are advisory", () => {
    const mixed: Verdict = {
      ...verdict,
      violations: [
        verdict.violations[1],
        {
          policy: "rule-failed",
          enforcementLevel: "advisory",
          urn: "urn:pulumi:dev::p::t::c",
          message: "can't run policy 'rule-failed' during preview: unknown value",
        },
        verdict.violations[0],
      ],
    };
    const md = verdictMarkdown(mixed, "pack@1");
    // The findings table: its rows, up to the blank line that ends it.
    const table = md.slice(md.indexOf("| Level | Rule | Resource | Message |")).split("\n\n")[0];
    const findings = table.split("\n").slice(2);
    assert.deepEqual(
      findings.map((l) => l.split(" | ")[0]),
      ["| mandatory", "| advisory", "| advisory"],
    );
    const text = formatVerdict(mixed, "pack@1");
    assert.match(
      text,
      /- \[mandatory\] rule-failed \(1 mandatory, 1 advisory\)\n {12}c: \[advisory\] can't run policy/,
    );
    assert.match(text, /- \[advisory\] rule-undecided \(1\)/);
  });

  it("names a resource by everything after its URN's third :: (urn.go Name), a name holding :: included", () => {
    const named: Verdict = {
      ...verdict,
      violations: [{ ...verdict.violations[0], urn: "urn:pulumi:dev::p::t::pep::east" }],
    };
    assert.match(formatVerdict(named, "pack@1"), /^ {12}pep::east: bad$/m);
    assert.match(verdictMarkdown(named, "pack@1"), /^\| mandatory \| `rule-failed` \| `pep::east` \| bad \|$/m);
  });

  it("the Markdown evidence counts not-applicable rules apart from passed ones", () => {
    const md = verdictMarkdown(verdict, "pack@v1");
    assert.match(
      md,
      /\| PCI DSS requirement \| Rules \| Passed \| Failed \(mandatory\) \| Advisory \| Not applicable \| Exempted \|/,
    );
    assert.match(md, /^\| 1\.3\.1 \| 2 \| 1 \| 0 \| 0 \| 1 \| 0 \|$/m);
    // One rule with a mandatory finding, one with an advisory only (not a failure), one exempted.
    assert.match(md, /^\| 3\.5\.1 \| 3 \| 0 \| 1 \| 1 \| 0 \| 1 \|$/m);
    assert.match(md, /^Failed: a mandatory finding, which blocks the merge\. Advisory: findings that do not/m);
    // The deployed view's section is there whenever that view was built, "None" when it found nothing.
    assert.doesNotMatch(md, /### Mandatory once deployed/);
    assert.match(
      verdictMarkdown(verdict, "pack@v1", undefined, []),
      /### Mandatory once deployed \(deployed view\)\n\nNone: /,
    );
    assert.match(md, /^\| `rule-nothing-to-check` \| high \| 1\.3\.1 \| ⚪ not applicable \|$/m);
    assert.match(summaryLine(verdict), /\d+ policies: 4 evaluated, 1 not applicable[;,]/);
  });

  it("in the real stacks, rules for services a stack does not contain are not applicable, never passed", async () => {
    const { verdict: dev } = await previewOf("dev");
    const status = (name: string) => ruleStatus(dev, name);
    const resources = (await previewOf("dev")).run.resources;
    const types = new Set(resources.map((r) => r.type));
    const genericJobs = resources.filter(
      (r) =>
        r.type === "azure-native:resources:Resource" && String(r.inputs.resourceType).toLowerCase() === "streamingjobs",
    );
    // A service dev does not contain (yet, or any more): the first one absent is used.
    const absent = [
      ["azure-native:streamanalytics:StreamingJob", "azure-native-streamanalytics-streamingjob-"],
      ["azure-native:eventhub:Namespace", "azure-native-eventhub-namespace-"],
      ["azure-native:datafactory:Factory", "azure-native-datafactory-factory-"],
      // A Stream Analytics job declared as a generic resource (the job is azure-native's typed StreamingJob).
      ["generic streamingjobs", "azure-native-resources-resource-streamanalytics-"],
    ].find(([type]) => (type === "generic streamingjobs" ? genericJobs.length > 0 : types.has(type)) === false);
    assert.ok(absent, "dev contains every candidate service: pick another one it lacks");
    const rules = dev.policies.filter((p) => p.name.startsWith(absent[1]));
    assert.ok(rules.length > 0);
    for (const p of rules) assert.equal(status(p.name), "not applicable", p.name);
    // Every rule reported as passed did evaluate at least one resource.
    for (const p of dev.policies) if (status(p.name) === "passed") assert.ok(dev.evaluated[p.name] > 0, p.name);
    assert.ok(dev.policies.some((p) => status(p.name) === "passed"));
  });
});
