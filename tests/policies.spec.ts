/**
 * The policy pack's specs (tests/policies/*.spec.ts), loaded together: tests/policies/coverage.spec.ts checks across
 * all of them that every rule has a passing, a failing and a not-applicable case, which needs every policy spec in
 * the run that checks it. `npm test` runs the suite in parallel (scripts/test.sh: a pool of worker processes, each
 * running one spec file after another, modules kept loaded between them), so it runs this file instead of the policy
 * specs one by one; `npx mocha tests/policies/<x>.spec.ts` still runs one alone.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { OUTCOMES } from "./policies/helpers";

// What another spec file run earlier in this worker recorded is not this run's: the coverage check counts only the
// outcomes the policy specs assert.
OUTCOMES.clear();

const dir = path.join(__dirname, "policies");
for (const file of fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".spec.ts"))
  .sort())
  require(path.join(dir, file));
