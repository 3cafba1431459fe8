/** For tests and fixtures: a resource record from its type and name, one policy evaluated alone. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { ExemptionRecord } from "../../../policies/lib/exemptions";
import { runPolicies } from "./evaluate";
import type { PolicyConfigValue, ResourceRecord, Violation } from "./types";

/** Builds a ResourceRecord for tests and fixtures: URN and defaults filled in from type and name. */
export function resourceRecord(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<Omit<ResourceRecord, "type" | "name" | "inputs">> & { stack?: string; project?: string } = {},
): ResourceRecord {
  const { stack = "dev", project = "payments-data-platform", ...rest } = extra;
  return {
    urn: `urn:pulumi:${stack}::${project}::${type}::${name}`,
    type,
    name,
    custom: true,
    dependencies: [],
    propertyDependencies: {},
    inputs,
    outputs: { ...inputs },
    protect: false,
    ...rest,
  };
}

export interface SingleResult {
  /** Violation messages at any level. */
  readonly messages: string[];
  readonly violations: readonly Violation[];
  /** False when the policy marked the resource (or stack) not applicable or skipped it by type. */
  readonly applicable: boolean;
  readonly exemptions: readonly ExemptionRecord[];
}

/**
 * Runs one policy over the given resources through `runPolicies` (the same engine as the preview): the helper
 * policy tests use. `config` is the policy's own entry of the pack config (knobs and/or enforcementLevel).
 */
export async function evaluatePolicy(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  resources: ResourceRecord | readonly ResourceRecord[],
  config: Record<string, unknown> = {},
): Promise<SingleResult> {
  const list = Array.isArray(resources) ? resources : [resources as ResourceRecord];
  const verdict = await runPolicies([policy], list, {
    config: { [policy.name]: config as PolicyConfigValue },
    stack: list[0] ? list[0].urn.split("::")[0].split(":")[2] : undefined,
  });
  return {
    messages: verdict.violations.map((v) => v.message),
    violations: verdict.violations,
    applicable: (verdict.evaluated[policy.name] ?? 0) > 0,
    exemptions: verdict.exemptions,
  };
}
