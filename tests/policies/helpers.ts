/**
 * Helpers every policy spec shares: the unknown sentinel, `mutate` (one property changed on a fresh copy of a
 * fixture), `inStack`, and assertions that run one policy through the in-process engine (`evaluatePolicy`).
 */
import { strict as assert } from "node:assert";
import { isDeepStrictEqual } from "node:util";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  engineOutputs,
  evaluatePolicy,
  resourceRecord,
  type ResourceRecord,
  type SingleResult,
  type Violation,
} from "../../tools/lib/policyRunner";

/** `@pulumi/policy`'s unknown-string sentinel: a value that is not known during preview (an Output of another resource). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;
type Records = ResourceRecord | readonly ResourceRecord[];
type Config = Record<string, unknown>;

/**
 * A copy of `record` with the input at `path` (dot-separated; numeric segments index arrays) set to `value`, or
 * deleted when `value` is undefined, and its outputs those the engine derives from the new inputs (`engineOutputs`: a
 * path parameter or a write-only input changes no output), keeping what a test set in the outputs by hand.
 */
export function mutate(record: ResourceRecord, path: string, value: unknown): ResourceRecord {
  const set = (root: Record<string, unknown>) => {
    const keys = path.split(".");
    let node: Record<string, unknown> = root;
    for (const key of keys.slice(0, -1)) {
      if (node[key] === undefined || node[key] === null) node[key] = /^\d+$/.test(key) ? [] : {};
      node = node[key] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1];
    if (value === undefined) {
      if (Array.isArray(node)) node.splice(Number(last), 1);
      else delete node[last];
    } else {
      node[last] = value;
    }
    return root;
  };
  const inputs = set(structuredClone(record.inputs));
  const derive = (from: Record<string, unknown>) =>
    engineOutputs(record.type, record.name, record.urn, from, record.id);
  const before = derive(record.inputs);
  // What a test set by hand, but never the output the mutated path lies under: that one follows the new inputs.
  const top = path.split(".")[0];
  const byHand = Object.keys({ ...before, ...record.outputs }).filter(
    (k) => k !== top && !isDeepStrictEqual(before[k], record.outputs[k]),
  );
  const outputs = derive(inputs);
  for (const k of byHand) {
    if (k in record.outputs) outputs[k] = record.outputs[k];
    else delete outputs[k];
  }
  return { ...record, inputs, outputs };
}

/** The same resource in another stack (URN rewritten). */
export function inStack(record: ResourceRecord, stack: string): ResourceRecord {
  return { ...record, urn: record.urn.replace(/^urn:pulumi:[^:]+::/, `urn:pulumi:${stack}::`) };
}

/** A resource of an unrelated type, to check that a rule is not applicable to it. */
export const otherResource = () =>
  resourceRecord("azure-native:keyvault:Vault", "kv-pay-dev-weu", {
    location: "westeurope",
    publicNetworkAccess: "Enabled",
  });

/** What a rule's tests proved at run time: a pass, a violation, not applicable, or undecided during a first preview. */
export type Outcome = "pass" | "fail" | "notApplicable" | "undecided";

/**
 * Every outcome each rule's tests asserted in this run, by rule name (tests/policies/coverage.spec.ts checks that every
 * rule of the pack has a pass, a violation and a not-applicable case, from what ran, not from test titles).
 */
export const OUTCOMES = new Map<string, Set<Outcome>>();

function record(policy: AnyPolicy, outcome: Outcome): void {
  const seen = OUTCOMES.get(policy.name) ?? new Set<Outcome>();
  OUTCOMES.set(policy.name, seen.add(outcome));
}

async function expectNoViolation(applicable: boolean, policy: AnyPolicy, resources: Records, config: Config) {
  const r = await evaluatePolicy(policy, resources, config);
  assert.deepEqual(r.messages, []);
  assert.equal(r.applicable, applicable);
  record(policy, applicable ? "pass" : "notApplicable");
  return r;
}

/** Asserts the policy applies and reports nothing. */
export function expectPass(policy: AnyPolicy, resources: Records, config: Config = {}): Promise<SingleResult> {
  return expectNoViolation(true, policy, resources, config);
}

/** Asserts the policy marks the resources (or stack) not applicable and reports nothing. */
export function expectNotApplicable(policy: AnyPolicy, resources: Records, config: Config = {}): Promise<SingleResult> {
  return expectNoViolation(false, policy, resources, config);
}

/** The result of `expectFail`: the run's result with its one violation's fields (urn, enforcementLevel, …). */
export type FailResult = SingleResult & Violation;

/** Asserts exactly one violation, matching `pattern`. */
export async function expectFail(
  policy: AnyPolicy,
  resources: Records,
  pattern: RegExp,
  config: Config = {},
): Promise<FailResult> {
  const r = await evaluatePolicy(policy, resources, config);
  assert.equal(r.messages.length, 1, `expected one violation, got: ${JSON.stringify(r.messages)}`);
  assert.match(r.messages[0], pattern);
  record(policy, /^can't run policy '/.test(r.messages[0]) ? "undecided" : "fail");
  return { ...r, ...r.violations[0] };
}

/**
 * Asserts the policy applies but cannot decide during a first preview: one advisory "can't run policy … during preview",
 * as the engine reports for a rule that reads a value not known yet (never a pass on a value it never saw). `at`, when
 * given, must match the message's "value at .<path>" part: the test names which unknown value left the rule undecided,
 * not one it happened to read.
 */
export async function expectUndecided(
  policy: AnyPolicy,
  resources: Records,
  at?: RegExp | Config,
  config: Config = {},
): Promise<FailResult> {
  const pattern = at instanceof RegExp ? at : undefined;
  const cfg = at instanceof RegExp || at === undefined ? config : at;
  const r = await expectFail(policy, resources, new RegExp(`can't run policy '${policy.name}' .*during preview`), cfg);
  if (pattern) assert.match(r.message, pattern);
  assert.equal(r.enforcementLevel, "advisory");
  assert.equal(r.applicable, true);
  return r;
}

/** One failing case: a title, the property path to change, its new value (undefined deletes), the message. */
export type FailCase = readonly [title: string, path: string, value: unknown, pattern: RegExp];

/** Declares one `it` per case: the fixture with exactly that property changed fails with the message. */
export function failCases(
  policy: AnyPolicy,
  fixture: ResourceRecord,
  cases: readonly FailCase[],
  config: Config = {},
): void {
  for (const [title, path, value, pattern] of cases) {
    it(`fails when ${title}`, async () => {
      await expectFail(policy, mutate(fixture, path, value), pattern, config);
    });
  }
}
