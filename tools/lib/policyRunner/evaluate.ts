/** The evaluation: the pack's resource and stack policies over the resources, as the analyzer server runs them. */
import type {
  EnforcementLevel,
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import { drainExemptions } from "../../../policies/lib/exemptions";
import { APPLIES_TO } from "../../../policies/lib/policy";
import { resolvePolicies, type ResolvedPolicy } from "./config";
import { cloneJson, options, TypeIndex, typeMatcher } from "./resources";
import type { PolicyInfo, ResourceRecord, RunOptions, Verdict, Violation } from "./types";
import { preview } from "./verdicts";

class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "not applicable");
  }
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

function isResourcePolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is ResourceValidationPolicy {
  return "validateResource" in p;
}

/** The pack's own applicability predicate of a validation (policies/lib/policy.ts APPLIES_TO), if it has one. */
function appliesToOf(fn: unknown): ((type: string) => boolean) | undefined {
  const p = (fn as Record<string, unknown> | undefined)?.[APPLIES_TO];
  return typeof p === "function" ? (p as (type: string) => boolean) : undefined;
}

function pulumiTypeOf(fn: unknown): string | undefined {
  const t = (fn as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof t === "string" && t.length > 0 ? t : undefined;
}

function stackTagsOf(tags: ReadonlyMap<string, string> | undefined): ReadonlyMap<string, string> {
  return tags ?? new Map<string, string>();
}

/** The indices `take` hands out, until one past the end. */
function* taken(take: () => number, count: number): Generator<number> {
  for (let i = take(); i < count; i = take()) yield i;
}

export function describePolicies(resolved: readonly ResolvedPolicy[]): PolicyInfo[] {
  return resolved.map(({ policy, level }) => ({
    name: policy.name,
    description: policy.description,
    kind: isResourcePolicy(policy) ? "resource" : "stack",
    enforcementLevel: level,
    severity: policy.severity,
    framework: policy.framework,
    tags: policy.tags,
    remediationSteps: policy.remediationSteps,
    url: policy.url,
  }));
}

/** Runs every resource policy over each resource's inputs, then every stack policy over all outputs. */
export async function runPolicies(
  policies: Policies,
  resources: readonly ResourceRecord[],
  opts: RunOptions = {},
): Promise<Verdict> {
  const stackTraceLimit = Error.stackTraceLimit;
  // Policies signal "not applicable" and "unknown during preview" by throwing: nobody reads those stacks.
  Error.stackTraceLimit = 0;
  try {
    return await evaluate(policies, resources, opts);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

async function evaluate(policies: Policies, resources: readonly ResourceRecord[], opts: RunOptions): Promise<Verdict> {
  // The pack's level when none is given: @pulumi/policy's default ("advisory", policy.js `defaultEnforcementLevel`),
  // as `resolvePolicies` assumes; every rule of this pack declares its own level.
  const resolved = resolvePolicies(
    policies,
    opts.config,
    opts.packEnforcementLevel ?? "advisory",
    opts.configValidated,
  );
  const stackTags = stackTagsOf(opts.stackTags);
  const violations: Violation[] = [];
  const evaluated: Record<string, number> = {};
  const byType = new TypeIndex(resources);
  drainExemptions();

  for (const index of opts.take ? taken(opts.take, resolved.length) : resolved.keys()) {
    const { policy, level, config } = resolved[index];
    if (level === "disabled") continue;
    evaluated[policy.name] = 0;
    const push = (message: string, urn: string | undefined, lvl: EnforcementLevel = level) =>
      violations.push({ policy: policy.name, enforcementLevel: lvl, severity: policy.severity, urn, message });

    if (isResourcePolicy(policy)) {
      const validations = policy.validateResource
        ? Array.isArray(policy.validateResource)
          ? policy.validateResource
          : [policy.validateResource]
        : [];
      const fastType = validations.length === 1 ? pulumiTypeOf(validations[0]) : undefined;
      // The pack's rules mark every resource outside their types not applicable as their first step: skipped here
      // with the same result (not applicable, not counted), without a copy of the arguments per resource and rule.
      const appliesTo = validations.length === 1 ? appliesToOf(validations[0]) : undefined;
      for (const r of byType.records((t) => (!fastType || t === fastType) && (!appliesTo || appliesTo(t)))) {
        let applicable = true;
        for (const validate of validations) {
          // The validation's own copy of the inputs, made when it first reads them (as for stack policies below).
          let copy: Record<string, unknown> | undefined;
          const props = () => (copy ??= unknownCheckingProxy(cloneJson(r.inputs)));
          // Made on first read too (few rules read a resource's options); a write holds, whatever it writes.
          let resourceOpts: PolicyResourceOptions | undefined;
          let optsSet = false;
          const args = {
            type: r.type,
            get props() {
              return props();
            },
            urn: r.urn,
            name: r.name,
            get opts() {
              return optsSet ? (resourceOpts as PolicyResourceOptions) : (resourceOpts ??= options(r));
            },
            set opts(v: PolicyResourceOptions) {
              resourceOpts = v;
              optsSet = true;
            },
            stackTags,
            isType: typeMatcher(r.type),
            asType: ((resourceClass: { new (...rest: never[]): unknown }) =>
              typeMatcher(r.type)(resourceClass) ? props() : undefined) as ResourceValidationArgs["asType"],
            getConfig: <T extends object>() => cloneJson(config) as T,
            notApplicable: throwNotApplicable,
          } as ResourceValidationArgs;
          try {
            await validate(args, (message) => push(message, r.urn));
          } catch (e) {
            if (e instanceof UnknownValueError) push(preview(policy.name, e, opts.pack), r.urn, "advisory");
            else if (e instanceof NotApplicableError) applicable = false;
            else throw new Error(`policy '${policy.name}' failed on ${r.urn}: ${(e as Error).message}`, { cause: e });
          }
        }
        if (applicable) evaluated[policy.name] += 1;
      }
    } else {
      // As the analyzer server does (@pulumi/policy server.js analyzeStack): a policy typed to a resource class the
      // stack does not hold is skipped before any resource is deserialized for it.
      const fastType = pulumiTypeOf(policy.validateStack);
      if (fastType && !resources.some((r) => r.type === fastType)) continue;
      const byUrn = new Map<string, PolicyResource>();
      const policyResources: PolicyResource[] = resources.map((r) => {
        // This policy's own copy of the outputs, made when it first reads them: a policy that filters the stack by
        // type never pays for the copies of the resources it skips. What it reads is the same either way.
        let copy: Record<string, unknown> | undefined;
        const props = () => (copy ??= unknownCheckingProxy(cloneJson(r.outputs)));
        // `opts`, `dependencies` and `propertyDependencies` are built when the policy first reads them (most read few
        // resources' options and dependencies): the same values as the analyzer server's eager ones, without about
        // 20 MB of arrays per stack rule on prod. Own, enumerable members in the analyzer server's key order, as if
        // set up front; a write replaces the value.
        // Each is made on first read unless written before (`set`: a write holds, whatever it writes).
        let resourceOpts: PolicyResourceOptions | undefined;
        let dependencies: PolicyResource[] | undefined;
        let propertyDependencies: Record<string, PolicyResource[]> | undefined;
        let set = 0; // bits: 1 opts, 2 dependencies, 4 propertyDependencies
        const pr = {
          type: r.type,
          get props() {
            return props();
          },
          urn: r.urn,
          name: r.name,
          get opts() {
            return set & 1 ? (resourceOpts as PolicyResourceOptions) : (resourceOpts ??= options(r));
          },
          set opts(v: PolicyResourceOptions) {
            resourceOpts = v;
            set |= 1;
          },
          get dependencies() {
            return set & 2
              ? (dependencies as PolicyResource[])
              : (dependencies ??= r.dependencies.flatMap((d) => byUrn.get(d) ?? []));
          },
          set dependencies(v: PolicyResource[]) {
            dependencies = v;
            set |= 2;
          },
          get propertyDependencies() {
            if (set & 4 || propertyDependencies) return propertyDependencies as Record<string, PolicyResource[]>;
            propertyDependencies = {};
            for (const [k, urns] of Object.entries(r.propertyDependencies))
              propertyDependencies[k] = urns.flatMap((d) => byUrn.get(d) ?? []);
            return propertyDependencies;
          },
          set propertyDependencies(v: Record<string, PolicyResource[]>) {
            propertyDependencies = v;
            set |= 4;
          },
          isType: typeMatcher(r.type),
          asType: ((resourceClass: { new (...rest: never[]): unknown }) =>
            typeMatcher(r.type)(resourceClass) ? props() : undefined) as PolicyResource["asType"],
        } as unknown as PolicyResource;
        byUrn.set(r.urn, pr);
        return pr;
      });
      resources.forEach((r, i) => {
        if (r.parent && byUrn.has(r.parent)) policyResources[i].parent = byUrn.get(r.parent);
      });
      try {
        await policy.validateStack(
          {
            resources: policyResources,
            stackTags,
            getConfig: <T extends object>() => cloneJson(config) as T,
            notApplicable: throwNotApplicable,
          },
          (message, urn) => push(message, urn),
        );
        evaluated[policy.name] = policyResources.length;
      } catch (e) {
        if (e instanceof UnknownValueError) {
          // It applied but could not decide: the engine reports it as applicable, with the advisory.
          push(preview(policy.name, e, opts.pack), undefined, "advisory");
          evaluated[policy.name] = policyResources.length;
        } else if (!(e instanceof NotApplicableError)) {
          throw new Error(`policy '${policy.name}' failed on the stack: ${(e as Error).message}`, { cause: e });
        }
      }
    }
  }
  return {
    stack: opts.stack,
    resourceCount: resources.filter((r) => r.custom).length,
    policies: describePolicies(resolved),
    violations,
    exemptions: drainExemptions(),
    evaluated,
  };
}
