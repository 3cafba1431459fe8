/**
 * Exemptions: a stack's policy config may exempt resources by name pattern, with a mandatory reason. The offline
 * runner's verdicts list every exemption (through `drainExemptions`). Under the real CLI only a resource rule's
 * exemption reaches the engine, as "not applicable" with the reason (which `pulumi preview`/`up` do not print); a
 * stack rule's exempted violation is dropped without a trace (see `stackPolicy` in ./policy.ts).
 */
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { globMatch } from "./values";

export interface Exemption {
  /** Resource name pattern; `*` matches any run of characters. */
  readonly pattern: string;
  /** Why the resource is exempt (ticket, risk acceptance); at least 10 characters. */
  readonly reason: string;
}

export const exemptionSchema: PolicyConfigJSONSchema = {
  type: "array",
  description: "Resources exempt from this rule, by name pattern (`*` wildcard), each with a reason.",
  items: {
    type: "object",
    properties: {
      pattern: { type: "string", minLength: 1 },
      reason: { type: "string", minLength: 10 },
    },
    required: ["pattern", "reason"],
    additionalProperties: false,
  },
  default: [],
};

/** The first exemption whose pattern matches `name` (case-sensitively); a pattern without a reason never matches. */
export function checkExemption(exemptions: readonly Exemption[] | undefined, name: string): Exemption | undefined {
  return (exemptions ?? []).find(
    (e) =>
      typeof e.reason === "string" &&
      e.reason.trim().length >= 10 &&
      globMatch(e.pattern, name, { caseSensitive: true }),
  );
}

export interface ExemptionRecord extends Exemption {
  readonly policy: string;
  readonly urn: string;
}

const recorded: ExemptionRecord[] = [];

export function recordExemption(record: ExemptionRecord): void {
  recorded.push(record);
}

/** Returns and clears the exemptions applied since the last call (used by the offline runner). */
export function drainExemptions(): ExemptionRecord[] {
  return recorded.splice(0, recorded.length);
}
