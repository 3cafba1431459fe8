/**
 * The in-process policy engine: runs the pack's policies over recorded resources the way the Pulumi engine's
 * analyzer does (see @pulumi/policy's server.js): per-policy enforcement levels from a `--policy-pack-config`
 * shaped object, `configSchema` defaults filled in, props wrapped in `unknownCheckingProxy` (an unknown read turns
 * into an advisory "can't run during preview"), `notApplicable` honoured, type-token fast filtering, `remediate`
 * reported as mandatory. One implementation serves the offline preview, `policy:analyze`, the benchmarks and tests.
 * tests/policies/conformance.spec.ts proves the findings and applicability equal those of the pack started by the
 * CLI's launcher. Deliberately stricter than the CLI: a config naming a policy the pack does not have, or a setting a
 * policy does not declare, is an error here (the CLI passes both through silently; see `resolvePolicies`).
 */
export type {
  PackConfig,
  PolicyConfigValue,
  PolicyInfo,
  ResourceRecord,
  RunOptions,
  Verdict,
  Violation,
} from "./types";
export {
  ownCheckSuffices,
  parsePolicyPackConfig,
  PolicyConfigError,
  policySettingProblems,
  resolvePolicies,
} from "./config";
export { options } from "./resources";
export { describePolicies, runPolicies } from "./evaluate";
export { isUndecided, mandatoryViolations, mergeVerdicts } from "./verdicts";
export { engineOutputs, evaluatePolicy, resourceRecord, type SingleResult } from "./fixtures";
