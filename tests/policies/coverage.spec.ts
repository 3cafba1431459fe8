import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Suite, Test } from "mocha";
import { policies } from "../../policies/policies";
import { OUTCOMES, type Outcome } from "./helpers";

/** Every suite of the run (mocha has loaded every spec file before the first test runs). */
function allSuites(root: Suite): Suite[] {
  return [root, ...root.suites.flatMap(allSuites)];
}

function ancestors(suite: Suite | undefined): Suite[] {
  return suite ? [suite, ...ancestors(suite.parent)] : [];
}

const PASSING = /pass|compliant|accept|allow|ignor|not applicable|skip/i;
const FAILING = /fail|reject|report|flag|missing|require/i;
/** A module-level test that checks the compliant fixtures against all of the module's rules. */
const SHARED_PASSING = (t: Test) => /pass/i.test(t.title) && /every|all/i.test(t.title);

describe("policy test coverage", function () {
  it("has no rule that reads a resource's aliases (the offline runner hands the pack none; the CLI, the one that matched the old state)", () => {
    const dir = path.resolve(__dirname, "../../policies");
    // The pack's own sources: not the packages `npm ci --prefix policies` installs for the real CLI (the SDKs' types
    // name aliases).
    const sources = (d: string): string[] =>
      fs
        .readdirSync(d, { withFileTypes: true })
        .flatMap((e) =>
          e.isDirectory()
            ? e.name === "node_modules"
              ? []
              : sources(path.join(d, e.name))
            : e.name.endsWith(".ts")
              ? [path.join(d, e.name)]
              : [],
        );
    const reading = sources(dir).filter((f) =>
      /\.aliases\b|\baliases\s*[:}]|\[["']aliases["']\]/.test(fs.readFileSync(f, "utf8")),
    );
    assert.deepEqual(
      reading.map((f) => path.relative(dir, f)),
      [],
      "tools/lib/policyRunner/resources.ts options() would need the alias URNs",
    );
    // The check itself sees a read.
    assert.match("if (args.opts.aliases.length > 0)", /\.aliases\b/);
  });

  it("gives every rule of the pack a passing case and at least one failing case", function () {
    let root = this.test?.parent as Suite;
    while (root.parent) root = root.parent;
    const suites = allSuites(root);
    const everyTest = suites.flatMap((s) => s.tests);
    const problems: string[] = [];
    for (const p of policies) {
      // The rule's own suite(s), and tests elsewhere whose title starts with the rule's name.
      const own = suites.filter((s) => s.title === p.name);
      const tests = [
        ...own.flatMap((s) => allSuites(s)).flatMap((s) => s.tests),
        ...everyTest.filter((t) => t.title.startsWith(p.name)),
      ];
      if (tests.length === 0) {
        problems.push(`${p.name}: no tests`);
        continue;
      }
      const shared = tests
        .flatMap((t) => ancestors(t.parent))
        .flatMap((s) => s.tests)
        .filter(SHARED_PASSING);
      if (!tests.some((t) => PASSING.test(t.title)) && shared.length === 0) problems.push(`${p.name}: no passing case`);
      if (!tests.some((t) => FAILING.test(t.title))) problems.push(`${p.name}: no failing case`);
    }
    assert.deepEqual(problems, []);
  });
});

/**
 * From what ran, not from titles: once every test of the run is done (a root-level hook), every rule of the pack must
 * have been seen passing, reporting a violation and not applicable through the shared helpers (tests/policies/helpers.ts
 * records each outcome only after its assertions hold). Skipped when the run did not load every policy spec file (one
 * file run on its own). Loaded, not "named by a suite": loaded by tests/policies.spec.ts (as `npm test` runs them),
 * every suite's file is that one.
 */
after(function () {
  const specs = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".spec.ts"))
    .map((f) => path.join(__dirname, f));
  if (!specs.every((f) => require.cache[f] !== undefined)) return;
  const required: readonly Outcome[] = ["pass", "fail", "notApplicable"];
  const missing = policies
    .map((p) => [p.name, required.filter((o) => !OUTCOMES.get(p.name)?.has(o))] as const)
    .filter(([, lack]) => lack.length > 0)
    .map(([name, lack]) => `${name}: no ${lack.join(", no ")} case ran`);
  assert.deepEqual(missing, [], "every rule: a passing, a failing and a not-applicable case, as run");
});
