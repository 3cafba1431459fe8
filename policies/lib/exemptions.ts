/**
 * Exemptions: a stack's policy config may exempt resources by name pattern, with a mandatory reason. The offline
 * runner's verdicts list every exemption (through `drainExemptions`). Under the real CLI only a resource rule's
 * exemption reaches the engine, as "not applicable" with the reason (which `pulumi preview`/`up` do not print); a
 * stack rule's exempted violation is dropped without a trace (see `stackPolicy` in ./policy.ts).
 */
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { defaultTypeToken } from "./typeToken";
import { globMatch } from "./values";

export interface Exemption {
  /** Resource name pattern; `*` matches any run of characters. */
  readonly pattern: string;
  /** Why the resource is exempt (ticket, risk acceptance); at least 10 characters. */
  readonly reason: string;
  /**
   * The type token the exemption is for (`azure-native:storage:StorageAccount`, read as the default class's like every
   * token: lib/typeToken.ts), in a rule's `exemptions`: logical names are unique per type only, so a pattern alone
   * also exempts a lock, a diagnostic setting or a role assignment a component names like its resource.
   */
  readonly type?: string;
}

/** The schema of one listing: a name pattern and its reason (at least 10 characters), plus `extra` properties. */
export function exemptionItemSchema(
  extra: Readonly<Record<string, PolicyConfigJSONSchema>> = {},
): PolicyConfigJSONSchema {
  return {
    type: "object",
    properties: {
      pattern: { type: "string", minLength: 1 },
      reason: { type: "string", minLength: 10 },
      ...extra,
    },
    required: ["pattern", "reason"],
    additionalProperties: false,
  };
}

export const exemptionSchema: PolicyConfigJSONSchema = {
  type: "array",
  description: "Resources exempt from this rule, by name pattern (`*` wildcard), each with a reason.",
  items: exemptionItemSchema(),
  default: [],
};

/**
 * The schema of every rule's `exemptions` knob: `exemptionSchema` plus the optional `type` of the resources it is for.
 */
export const ruleExemptionSchema: PolicyConfigJSONSchema = {
  ...exemptionSchema,
  description:
    "Resources exempt from this rule, by name pattern (`*` wildcard) and, optionally, type token (`type`), each with a reason.",
  items: exemptionItemSchema({
    type: { type: "string", pattern: "^[A-Za-z0-9_.-]+:[A-Za-z0-9_./-]*:[A-Za-z0-9_]+$" },
  }),
};

/**
 * The first exemption whose pattern matches `name` (case-sensitively) and, when it names a `type`, whose type is the
 * resource's (`type`, a default token: an exemption's own token is read as its default class's too); a pattern
 * without a reason never matches.
 */
export function checkExemption(
  exemptions: readonly Exemption[] | undefined,
  name: string,
  type?: string,
): Exemption | undefined {
  return (exemptions ?? []).find(
    (e) =>
      typeof e.reason === "string" &&
      e.reason.trim().length >= 10 &&
      globMatch(e.pattern, name, { caseSensitive: true }) &&
      (e.type === undefined || (type !== undefined && defaultTypeToken(e.type) === type)),
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

/** An ARM id as Azure compares it: case-insensitively, without a trailing slash. */
export const normalId = (id: string): string => id.trim().replace(/\/+$/, "").toLowerCase();

/**
 * A knob listing ARM ids outside the stack a rule accepts (`*` wildcard, each with a reason): the schema of
 * `exemptionSchema` with the rule's own description; `listedId` reads it.
 */
export const idAllowListKnob = (description: string): PolicyConfigJSONSchema => ({ ...exemptionSchema, description });

/**
 * The entry of a list of name patterns with reasons that admits `name` (a subnet, a host), case-insensitively as Azure
 * compares such names: `checkExemption` on both lower-cased.
 */
export function listedName(list: readonly Exemption[], name: string): Exemption | undefined {
  return checkExemption(
    list.map((a) => ({ ...a, pattern: a.pattern.toLowerCase() })),
    name.toLowerCase(),
  );
}

/** The entry of an `idAllowListKnob` list that admits `id`, compared as Azure compares ids (`normalId`). */
export function listedId(list: readonly Exemption[], id: string): Exemption | undefined {
  return checkExemption(
    list.map((a) => ({ ...a, pattern: a.pattern.toLowerCase() })),
    normalId(id),
  );
}
