/**
 * Building blocks for the policy pack: every rule is declared through `resourcePolicy` or `stackPolicy` so that
 * it carries the same metadata (PCI DSS v4.0.1 requirement, GDPR article, SOC 2 criterion, service, remediation,
 * URL), the same name convention, and the same exemption mechanism. Rules match resources by type token, so the
 * pack needs no provider SDK at run time (the azure-native argument types are imported as types only).
 */
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { Unwrap } from "@pulumi/pulumi";
import { checkExemption, recordExemption, ruleExemptionSchema, type Exemption } from "./exemptions";
import { safeGet, sameText } from "./values";
import { defaultTypeToken, withDefaultTypes } from "./typeToken";

// How resources refer to one another (references.ts) and the KQL helpers (kql.ts): every rule imports them from here.
export * from "./kql";
export * from "./references";

/** The compliance framework every rule maps to. */
export const PCI_DSS = { name: "PCI DSS", version: "4.0.1" } as const;
const PCI_REFERENCE = "https://docs-prv.pcisecuritystandards.org/PCI%20DSS/Standard/PCI-DSS-v4_0_1.pdf";

/** Name convention `<provider>-<module>-<class>-<verb>-<what>` with a small verb set. */
export const POLICY_NAME =
  /^azure-native-[a-z0-9]+-[a-z0-9-]+-(missing|disallow|enable|disable|configure|enforce|require)-[a-z0-9-]+$/;

/** Metadata every rule declares. */
export interface RuleMetadata {
  /** `<provider>-<module>-<class>-<verb>-<what>`, e.g. `azure-native-sql-server-disallow-public-network-access`. */
  readonly name: string;
  /** A complete sentence saying what the rule requires. */
  readonly description: string;
  readonly severity: Severity;
  /** PCI DSS v4.0.1 requirement numbers, e.g. `["1.3.1", "1.4.4"]`. */
  readonly pci: readonly string[];
  /** GDPR articles, e.g. `["25", "32(1)(a)"]`. */
  readonly gdpr?: readonly string[];
  /** SOC 2 trust services criteria, e.g. `["CC6.6"]`. */
  readonly soc2?: readonly string[];
  /** Service tag, e.g. `sql`, `cosmosdb`, `network`. */
  readonly service: string;
  /** What to set, naming the property and the value. */
  readonly remediationSteps: string;
  /** Where to read more (Microsoft documentation or the Azure Policy built-in). */
  readonly url: string;
  /** Default enforcement; stacks can override it in their policy config. */
  readonly enforcementLevel?: EnforcementLevel;
  /** Knobs of this rule with their defaults (exemptions are added to every rule). */
  readonly config?: PolicyConfigSchema["properties"];
}

/** Config every rule accepts (plus its own knobs). */
export interface BaseConfig {
  exemptions?: Exemption[];
}

function metadata(meta: RuleMetadata) {
  if (!POLICY_NAME.test(meta.name)) {
    throw new Error(`policy name '${meta.name}' does not follow <provider>-<module>-<class>-<verb>-<what>`);
  }
  const tags = [
    ...meta.pci.map((r) => `pci-dss:${r}`),
    ...(meta.gdpr ?? []).map((a) => `gdpr:art-${a}`),
    ...(meta.soc2 ?? []).map((c) => `soc2:${c}`),
    `service:${meta.service}`,
  ];
  return {
    name: meta.name,
    description: meta.description,
    enforcementLevel: meta.enforcementLevel ?? "mandatory",
    severity: meta.severity,
    framework: {
      name: PCI_DSS.name,
      version: PCI_DSS.version,
      reference: PCI_REFERENCE,
      specification: meta.pci.map((r) => `Requirement ${r}`).join("; "),
    },
    tags,
    remediationSteps: meta.remediationSteps,
    url: meta.url,
    configSchema: {
      properties: { ...(meta.config ?? {}), exemptions: ruleExemptionSchema },
    } satisfies PolicyConfigSchema,
  };
}

/** Typed view of one resource's inputs, as the engine passes them (Outputs unwrapped). */
export type Props<TArgs> = Unwrap<NonNullable<TArgs>>;

export type TypedValidation<TArgs> = (
  props: Props<TArgs>,
  args: ResourceValidationArgs,
  reportViolation: ReportViolation,
) => void | Promise<void>;

/**
 * A resource policy over one type token (or several that share the same argument shape; an empty list means every
 * `azure-native:` type). `TArgs` is the azure-native `...Args` interface, imported with `import type`, so property
 * names are checked by the compiler.
 */
export function resourcePolicy<TArgs>(
  meta: RuleMetadata,
  type: string | readonly string[],
  validate: TypedValidation<TArgs>,
): ResourceValidationPolicy {
  const types = (typeof type === "string" ? [type] : type).map(defaultTypeToken);
  // No `__pulumiType` on the function: the engine would then skip every resource whose token is not exactly that one
  // (@pulumi/policy server.js, "Policy only applies to resources of type"), a versioned token among them. The rule
  // sees the default token in `args.type` (lib/typeToken.ts); the URN keeps the declared one.
  const fn = async (raw: ResourceValidationArgs, report: ReportViolation) => {
    const defaultType = defaultTypeToken(raw.type);
    const args = defaultType === raw.type ? raw : { ...raw, type: defaultType };
    if (!appliesTo(types, args.type)) {
      args.notApplicable(`policy only applies to ${types.length === 0 ? "azure-native" : types.join(", ")} resources`);
    }
    const exemption = checkExemption(args.getConfig<BaseConfig>().exemptions, args.name, args.type);
    if (exemption) {
      recordExemption({ policy: meta.name, urn: args.urn, ...exemption });
      args.notApplicable(`exempted by pattern '${exemption.pattern}': ${exemption.reason}`);
    }
    await validate(args.props as Props<TArgs>, args, report);
  };
  return { ...metadata(meta), validateResource: withAppliesTo(fn, (t) => appliesTo(types, defaultTypeToken(t))) };
}

/** Whether a resource policy over `types` (default tokens; empty: every azure-native type) applies to `type`. */
function appliesTo(types: readonly string[], type: string): boolean {
  return types.length === 0 ? type.startsWith("azure-native:") : types.includes(type);
}

/**
 * The offline runner's fast path (tools/lib/policyRunner/evaluate.ts): it skips a resource the validation would
 * only mark not applicable without calling it, with the same result (not applicable, not counted). A property of our
 * own: the real analyzer reads only `__pulumiType`, which would skip versioned tokens (see `resourcePolicy`).
 */
export const APPLIES_TO = "__paymentsAppliesTo";
function withAppliesTo<T extends object>(fn: T, predicate: (type: string) => boolean): T {
  Object.defineProperty(fn, APPLIES_TO, { value: predicate });
  return fn;
}

/**
 * A stack policy; a violation on an exempted resource is dropped and recorded, and the offline verdicts
 * (`preview:offline`, `policy:analyze`: printed, JSON, Markdown) list it under exemptions. Under the real CLI it
 * simply disappears: a stack rule answers AnalyzeStack with diagnostics and not-applicable entries per policy, never
 * per resource (@pulumi/policy server.js `analyzeStack`), so nothing tells the engine a resource was exempted, and
 * `pulumi preview`/`up` show no trace of it. (A resource rule's exemption reaches the engine as "not applicable" with
 * its reason, which the CLI does not print either: pkg/resource/analyzer/summary.go only leaves that rule out of the
 * resource's passed policies.)
 */
export function stackPolicy(
  meta: RuleMetadata,
  validate: (args: StackValidationArgs, reportViolation: ReportViolation) => void | Promise<void>,
): StackValidationPolicy {
  return {
    ...metadata(meta),
    validateStack: async (args, report) => {
      const byUrn = new Map(args.resources.map((r) => [r.urn, r]));
      const exemptions = args.getConfig<BaseConfig>().exemptions;
      const filtered: ReportViolation = (message, urn) => {
        const resource = urn ? byUrn.get(urn) : undefined;
        const exemption = resource
          ? checkExemption(exemptions, resource.name, defaultTypeToken(resource.type))
          : undefined;
        if (exemption && urn) {
          recordExemption({ policy: meta.name, urn, ...exemption });
          return;
        }
        report(message, urn);
      };
      await validate({ ...args, resources: withDefaultTypes(args.resources) }, filtered);
    },
  };
}

/** The stack name of a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function stackOfUrn(urn: string): string {
  return urn.split("::")[0]?.split(":")[2] ?? "";
}

/** A knob that takes a list of strings, with its default and description. */
export function stringListKnob(description: string, defaults: string[]): PolicyConfigJSONSchema {
  return { type: "array", items: { type: "string" }, default: defaults, description };
}

/** Resources of the given type tokens (compared without an API version, see lib/typeToken.ts). */
export function ofType(resources: readonly PolicyResource[], ...types: string[]): PolicyResource[] {
  const wanted = types.map(defaultTypeToken);
  return resources.filter((r) => wanted.includes(defaultTypeToken(r.type)));
}

/** Azure Policy assignments. */
export const POLICY_ASSIGNMENT_TYPE = "azure-native:authorization:PolicyAssignment";

/**
 * The stack's policy assignments that enforce their definition's effect: `enforcementMode` Default, Azure's when the
 * property is absent (or unknown during preview); `DoNotEnforce` only evaluates compliance, and `Enroll` does not
 * enforce either (Azure Policy assignment structure, "Enforcement mode").
 */
export function enforcedAssignments(resources: readonly PolicyResource[]): PolicyResource[] {
  return ofType(resources, POLICY_ASSIGNMENT_TYPE).filter((a) =>
    sameText(String(safeGet(a.props, "enforcementMode") ?? "Default"), "Default"),
  );
}
