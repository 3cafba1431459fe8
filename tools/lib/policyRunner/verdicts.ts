/**
 * Reading verdicts: the "can't run during preview" advisory, the parts of a shared-out evaluation merged, the
 * mandatory violations.
 */
import type { UnknownValueError } from "@pulumi/policy";
import type { Verdict, Violation } from "./types";

/** The advisory @pulumi/policy's analyzer server reports when a policy reads a value unknown during preview. */
export function preview(policyName: string, e: UnknownValueError, pack?: { name: string; version: string }): string {
  const from = pack ? ` from policy pack '${pack.name}@v${pack.version}'` : "";
  return `can't run policy '${policyName}'${from} during preview: ${e.message}`;
}

/** Whether a violation is the "can't run during preview" advisory (above): the rule read an unknown and decided nothing. */
export function isUndecided(v: Violation): boolean {
  return v.enforcementLevel === "advisory" && v.message.startsWith(`can't run policy '${v.policy}'`);
}

/**
 * One verdict from the verdicts of calls that shared a pack's policies out (`RunOptions.take`): exactly the verdict
 * of one call evaluating them all (a policy's violations and exemptions come from the one call that took it, in the
 * order of the resources; the parts are put back in the pack's order).
 */
export function mergeVerdicts(parts: readonly Verdict[]): Verdict {
  if (parts.length === 0) throw new Error("mergeVerdicts: no verdict to merge");
  const [first] = parts;
  const order = new Map(first.policies.map((p, i) => [p.name, i]));
  const rank = (policy: string) => order.get(policy) ?? order.size;
  const evaluated: Record<string, number> = {};
  for (const { name } of first.policies) {
    const part = parts.find((p) => name in p.evaluated);
    if (part) evaluated[name] = part.evaluated[name];
  }
  return {
    ...first,
    violations: parts.flatMap((p) => p.violations).sort((a, b) => rank(a.policy) - rank(b.policy)),
    exemptions: parts.flatMap((p) => p.exemptions).sort((a, b) => rank(a.policy) - rank(b.policy)),
    evaluated,
  };
}

/** Mandatory violations decide the exit code (0 none, 1 some). */
export function mandatoryViolations(verdict: Verdict): Violation[] {
  return verdict.violations.filter((v) => v.enforcementLevel === "mandatory");
}
