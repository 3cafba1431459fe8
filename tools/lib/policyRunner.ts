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
import { closest } from "../../lib/closest";
import type {
  EnforcementLevel,
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import { drainExemptions, type ExemptionRecord } from "../../policies/lib/exemptions";
import { APPLIES_TO } from "../../policies/lib/policy";

/** One resource as registered (offline preview) or as exported (`pulumi stack export`). */
export interface ResourceRecord {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly id?: string;
  readonly parent?: string;
  readonly dependencies: readonly string[];
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** Inputs with secrets unwrapped (policies see plaintext, as under the engine); unknowns as sentinels. */
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  readonly protect: boolean;
  readonly provider?: string;
  /** Property paths whose value is secret. */
  readonly secretKeys?: readonly string[];
  /** Output property paths whose value is secret. */
  readonly secretOutputKeys?: readonly string[];
  readonly ignoreChanges?: readonly string[];
  readonly replaceOnChanges?: readonly string[];
  /** The resource is left in Azure when Pulumi deletes it (`retainOnDelete`). */
  readonly retainOnDelete?: boolean;
  /** `customTimeouts` in seconds, as the CLI keeps them (resource.CustomTimeouts; a zero is left out). */
  readonly customTimeouts?: {
    readonly create?: number;
    readonly update?: number;
    readonly delete?: number;
    readonly read?: number;
  };
  /**
   * A replacement deletes the old resource before creating the new one (`deleteBeforeReplace`); present when the
   * program set it, true or false.
   */
  readonly deleteBeforeReplace?: boolean;
  /** Outputs the program asked to keep secret (`additionalSecretOutputs`), as the state records them. */
  readonly additionalSecretOutputs?: readonly string[];
  /**
   * The URNs the program's own aliases name, and those inherited from its parent's (a resource renamed or moved keeps
   * its Azure resource through them); not the SDK's type aliases, which the offline engine drops. A real state drops
   * aliases once URNs are normalised; the offline export keeps them for `npm run changes`.
   */
  readonly aliases?: readonly string[];
  /** The URN of the resource whose deletion deletes this one (`deletedWith`: Pulumi then skips its own delete). */
  readonly deletedWith?: string;
  /** URNs of the resources whose replacement replaces this one too (`replaceWith`). */
  readonly replaceWith?: readonly string[];
}

export type PolicyConfigValue = EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);
/** Same shape as the file given to `pulumi preview --policy-pack-config`. */
export type PackConfig = Record<string, PolicyConfigValue>;

export interface PolicyInfo {
  readonly name: string;
  readonly description: string;
  readonly kind: "resource" | "stack";
  readonly enforcementLevel: EnforcementLevel;
  readonly severity?: Severity;
  readonly framework?: { name: string; version: string; reference: string; specification: string };
  readonly tags?: readonly string[];
  readonly remediationSteps?: string;
  readonly url?: string;
}

export interface Violation {
  readonly policy: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly severity?: Severity;
  readonly urn?: string;
  readonly message: string;
}

export interface Verdict {
  readonly stack?: string;
  readonly resourceCount: number;
  readonly policies: readonly PolicyInfo[];
  readonly violations: readonly Violation[];
  readonly exemptions: readonly ExemptionRecord[];
  /** Per policy: how many resources it applied to (was evaluated on without being marked not applicable). */
  readonly evaluated: Readonly<Record<string, number>>;
}

export class PolicyConfigError extends Error {
  override name = "PolicyConfigError";
}

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

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

/** A name with `min` and `max` read alike: two names equal under it are opposite knobs, not a misspelling. */
const minMax = (name: string) => name.toLowerCase().replace(/min|max/g, "m*");

/**
 * ` (allowed: a, b; did you mean 'b'?)`: the keys a setting or a listing takes (`extra` first), and the one `key`
 * misspells, never its opposite (`maxRetentionDays` is not `minRetentionDays`).
 */
function allowedKeys(
  key: string,
  properties: Readonly<Record<string, unknown>> | undefined,
  extra: readonly string[] = [],
): string {
  const allowed = [...extra, ...Object.keys(properties ?? {})];
  const candidate = closest(key, allowed);
  const near = candidate !== undefined && minMax(candidate) !== minMax(key) ? candidate : undefined;
  return ` (allowed: ${allowed.join(", ") || "none"}${near ? `; did you mean '${near}'?` : ""})`;
}

/**
 * JSON-schema check of the knobs the pack declares (type, enum, minimum/maximum, minLength, pattern, items, required,
 * properties, additionalProperties), with messages that name the path.
 */
function checkSchema(path: string, value: unknown, schema: PolicyConfigJSONSchema): string[] {
  const problems: string[] = [];
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const actual = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  const matches = (t: string) =>
    t === actual || (t === "integer" && Number.isInteger(value)) || (t === "number" && actual === "number");
  if (types.length > 0 && !types.some(matches)) {
    return [`${path} must be ${types.join(" or ")}, got ${JSON.stringify(value)}`];
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push(`${path} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${path} must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${path} must be <= ${schema.maximum}`);
  }
  // Counted in code points, as Ajv counts a string's length (its ucs2length), not UTF-16 units.
  if (typeof value === "string" && schema.minLength !== undefined && [...value].length < schema.minLength) {
    problems.push(`${path} must have at least ${schema.minLength} characters`);
  }
  // A regular expression, not anchored unless it says so, as Ajv (`new RegExp(pattern, "u")`) and the CLI's
  // gojsonschema read it.
  if (typeof value === "string" && schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
    problems.push(`${path} must match pattern "${schema.pattern}"`);
  }
  if (Array.isArray(value) && schema.items && typeof schema.items === "object" && !Array.isArray(schema.items)) {
    const items = schema.items as PolicyConfigJSONSchema;
    value.forEach((v, i) => problems.push(...checkSchema(`${path}[${i}]`, v, items)));
  }
  if (actual === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    for (const req of schema.required ?? []) {
      if (!(req in obj)) problems.push(`${path}.${req} is required`);
    }
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      const extra = schema.additionalProperties;
      if (sub && typeof sub === "object") problems.push(...checkSchema(`${path}.${k}`, v, sub));
      else if (!sub && extra === false)
        problems.push(`${path}.${k} is not allowed${allowedKeys(k, schema.properties)}`);
      else if (!sub && extra && typeof extra === "object")
        problems.push(...checkSchema(`${path}.${k}`, v, extra as PolicyConfigJSONSchema));
    }
  }
  return problems;
}

/**
 * The JSON Schema keywords `checkSchema` decides exactly as Ajv does (draft-07; annotations included). A policy whose
 * settings schema uses no other keyword needs no Ajv pass: its per-setting checks already decide what Ajv would
 * (tests/toolsEdges.spec.ts compares the two on every schema of the pack). Any other keyword (a `pattern`, a `oneOf`)
 * sends the policy through Ajv.
 */
const OWN_CHECK_KEYWORDS = new Set([
  "type",
  "enum",
  "minimum",
  "maximum",
  "minLength",
  "pattern",
  "items",
  "required",
  "properties",
  "additionalProperties",
  "default",
  "description",
  "title",
]);
const ownCheckMemo = new WeakMap<object, boolean>();

/** Whether `checkSchema` alone decides this settings schema as Ajv would (memoised per schema object). */
export function ownCheckSuffices(schema: unknown): boolean {
  if (schema === undefined) return true;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return false;
  const known = ownCheckMemo.get(schema);
  if (known !== undefined) return known;
  const s = schema as Record<string, unknown>;
  const ok =
    Object.keys(s).every((k) => OWN_CHECK_KEYWORDS.has(k)) &&
    (s.additionalProperties === undefined ||
      typeof s.additionalProperties === "boolean" ||
      ownCheckSuffices(s.additionalProperties)) &&
    (s.items === undefined || ownCheckSuffices(s.items)) &&
    Object.values((s.properties as Record<string, unknown> | undefined) ?? {}).every(ownCheckSuffices);
  ownCheckMemo.set(schema, ok);
  return ok;
}

interface ResolvedPolicy {
  readonly policy: ResourceValidationPolicy | StackValidationPolicy;
  readonly level: EnforcementLevel;
  readonly config: Record<string, unknown>;
}

/**
 * The CLI's check of one policy's settings (pkg/resource/analyzer/config.go `validatePolicyConfig`): the merged
 * settings (defaults, then the file's) against `{ type: "object", properties, required }` (`convertSchema`), a full
 * JSON Schema validation (gojsonschema there, Ajv here). Returns the problems, in Ajv's words.
 */
export function policySettingProblems(
  policy: { name: string; configSchema?: PolicyConfigSchemaLike },
  settings: Record<string, unknown>,
): string[] {
  const schema = policy.configSchema;
  if (!schema) return [];
  let validate = compiledSettings.get(schema);
  if (!validate) {
    const Ajv = (require("ajv") as { default: typeof import("ajv").default }).default;
    ajv ??= new Ajv({ strict: false, allErrors: true });
    validate = ajv.compile({
      type: "object",
      ...(Object.keys(schema.properties ?? {}).length > 0 ? { properties: schema.properties } : {}),
      ...(schema.required?.length ? { required: schema.required } : {}),
    });
    compiledSettings.set(schema, validate);
  }
  if (validate(settings)) return [];
  return (validate.errors ?? []).map(
    (e) => `${policy.name}${e.instancePath.replace(/\//g, ".")} ${e.message ?? "is invalid"}`,
  );
}
type PolicyConfigSchemaLike = { properties?: Record<string, unknown>; required?: string[] };
let ajv: import("ajv").default | undefined;
/** Each settings schema compiled once per thread. */
const compiledSettings = new WeakMap<object, import("ajv").ValidateFunction>();

/**
 * Parses a policy pack config document as the CLI does (config.go `parsePolicyPackConfig`): empty content is no
 * config; an `environments` list names Pulumi ESC environments (which the offline tools cannot open: refused when
 * not empty); every other entry is an enforcement level or an object whose `enforcementLevel` is one.
 */
export function parsePolicyPackConfig(doc: unknown): PackConfig {
  // `null` unmarshals into a nil map in the CLI: no config.
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new PolicyConfigError("policy config: the file must hold a JSON object");
  }
  const config = { ...(doc as Record<string, unknown>) };
  if ("environments" in config) {
    const envs = config.environments;
    if (!Array.isArray(envs)) throw new PolicyConfigError(`policy config: "environments" must be an array of strings`);
    envs.forEach((v, i) => {
      if (typeof v !== "string") throw new PolicyConfigError(`policy config: "environments[${i}]" must be a string`);
    });
    if (envs.length > 0) {
      throw new PolicyConfigError(
        `policy config: "environments" imports Pulumi ESC environments (${envs.join(", ")}), which the offline tools cannot open: put the settings in the file`,
      );
    }
    delete config.environments;
  }
  for (const [k, v] of Object.entries(config)) {
    if (typeof v === "string" || (typeof v === "object" && v !== null && !Array.isArray(v))) continue;
    throw new PolicyConfigError(
      `policy config: parsing "${k}": ${v === null ? "<nil>" : JSON.stringify(v)} is not a valid value; must be a string or object`,
    );
  }
  return config as PackConfig;
}

/**
 * Resolves enforcement levels and config with the precedence of the engine's `ReconcilePolicyPackConfig`
 * (pulumi/pulumi pkg/resource/analyzer/config.go): `all` sets every policy's level, a policy's own entry overrides
 * it, else the policy's default, else the pack's; config defaults come from `configSchema`. Bad levels, entries that
 * are neither a level nor an object, and settings that fail a policy's JSON schema are errors, as in the CLI
 * (`parsePolicyPackConfig`, `validatePolicyConfig`; the wording is this tool's). Deliberately stricter than the CLI:
 * an unknown policy name (the CLI passes it to the pack, which ignores it) or a setting the policy's schema does
 * not declare (the CLI's schema check allows extra properties) is an error here too, because in a reviewed config
 * file it is a typo that would silently leave a rule at its default. Throws PolicyConfigError naming the policy and
 * key.
 */
export function resolvePolicies(
  policies: Policies,
  config: PackConfig = {},
  packLevel: EnforcementLevel = "advisory",
  /** The config already passed this check (another thread's, over the same config): skip the full JSON Schema pass. */
  validated = false,
): ResolvedPolicy[] {
  config = parsePolicyPackConfig(config);
  const names = new Set(policies.map((p) => p.name));
  for (const [key, value] of Object.entries(config)) {
    if (key !== "all" && !names.has(key)) {
      const near = closest(key, [...names]);
      throw new PolicyConfigError(
        `policy config: unknown policy '${key}' (not in the pack${near ? `; did you mean '${near}'?` : ""})`,
      );
    }
    const level = typeof value === "string" ? value : value?.enforcementLevel;
    if (level !== undefined && !LEVELS.includes(level)) {
      throw new PolicyConfigError(
        `policy config: '${key}' enforcementLevel ${JSON.stringify(level)} is not one of ${LEVELS.join(", ")}`,
      );
    }
  }
  const all = config["all"];
  const allLevel = typeof all === "string" ? all : all?.enforcementLevel;
  return policies.map((policy) => {
    const entry = config[policy.name];
    const own = typeof entry === "string" ? { enforcementLevel: entry } : (entry ?? {});
    const { enforcementLevel: ownLevel, ...knobs } = own;
    const level = ownLevel ?? allLevel ?? policy.enforcementLevel ?? packLevel;
    const resolved: Record<string, unknown> = {};
    const props = policy.configSchema?.properties ?? {};
    for (const [k, schema] of Object.entries(props)) {
      if (schema.default !== undefined) resolved[k] = structuredClone(schema.default);
    }
    for (const [k, v] of Object.entries(knobs)) {
      const schema = props[k];
      if (!schema) {
        throw new PolicyConfigError(
          `policy config: '${policy.name}' has no setting '${k}'${allowedKeys(k, props, ["enforcementLevel"])}`,
        );
      }
      const problems = checkSchema(`${policy.name}.${k}`, v, schema);
      if (problems.length > 0) throw new PolicyConfigError(`policy config: ${problems.join("; ")}`);
      resolved[k] = v;
    }
    for (const req of policy.configSchema?.required ?? []) {
      if (!(req in resolved)) throw new PolicyConfigError(`policy config: '${policy.name}' requires '${req}'`);
    }
    // The whole JSON schema, as the CLI validates it, once the file set anything (the defaults alone always pass:
    // tests/policyConfig.spec.ts). The per-setting check above comes first for its messages, which name the path; it
    // decides alone where the schema uses only keywords it implements (every schema of this pack: Ajv, ~40 ms to load,
    // then loads only for another pack's or a test's policy).
    if (Object.keys(knobs).length > 0 && !validated && !ownCheckSuffices(policy.configSchema)) {
      const problems = policySettingProblems(policy, resolved);
      if (problems.length > 0) throw new PolicyConfigError(`policy config: ${problems.join("; ")}`);
    }
    return { policy, level: level === "remediate" ? "mandatory" : level, config: resolved };
  });
}

/**
 * The options the CLI hands the policy pack for a resource (step_generator.go, `plugin.AnalyzerResourceOptions`, read
 * back by @pulumi/policy's server.js): `deleteBeforeReplace` only when the program set it, `additionalSecretOutputs`
 * as registered, and `aliases` empty: the engine sends at most the one alias URN that matched the old state
 * (step_generator.go: `if alias != "" { aliasUrns = []resource.URN{alias} }`), none on a new stack and none from an
 * export (a state keeps no aliases), which is what the offline views are; on a rename of a deployed resource the CLI
 * would send that one. No rule of the pack reads them (a test fails if one does).
 */
export function options(r: ResourceRecord): PolicyResourceOptions {
  return {
    protect: r.protect,
    ignoreChanges: [...(r.ignoreChanges ?? [])],
    ...(r.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: r.deleteBeforeReplace } : {}),
    aliases: [],
    // The CLI passes the registration's timeouts in seconds (step_generator.go: `CustomTimeouts: new.CustomTimeouts`).
    customTimeouts: {
      createSeconds: r.customTimeouts?.create ?? 0,
      updateSeconds: r.customTimeouts?.update ?? 0,
      deleteSeconds: r.customTimeouts?.delete ?? 0,
    },
    additionalSecretOutputs: [...(r.additionalSecretOutputs ?? [])],
    ...(r.parent ? { parent: r.parent } : {}),
  };
}

function typeMatcher(type: string) {
  return (resourceClass: { new (...rest: never[]): unknown }): boolean => {
    const token = (resourceClass as unknown as { __pulumiType?: string }).__pulumiType;
    if (token) return token === type;
    const isInstance = (resourceClass as unknown as { isInstance?: (o: unknown) => boolean }).isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
  };
}

function stackTagsOf(tags: ReadonlyMap<string, string> | undefined): ReadonlyMap<string, string> {
  return tags ?? new Map<string, string>();
}

/** The advisory @pulumi/policy's analyzer server reports when a policy reads a value unknown during preview. */
function preview(policyName: string, e: UnknownValueError, pack?: { name: string; version: string }): string {
  const from = pack ? ` from policy pack '${pack.name}@v${pack.version}'` : "";
  return `can't run policy '${policyName}'${from} during preview: ${e.message}`;
}

/** Whether a violation is the "can't run during preview" advisory (above): the rule read an unknown and decided nothing. */
export function isUndecided(v: Violation): boolean {
  return v.enforcementLevel === "advisory" && v.message.startsWith(`can't run policy '${v.policy}'`);
}

export interface RunOptions {
  readonly config?: PackConfig;
  readonly packEnforcementLevel?: EnforcementLevel;
  readonly stackTags?: ReadonlyMap<string, string>;
  readonly stack?: string;
  /** The pack's name and version, named in "can't run during preview" messages as the analyzer server does. */
  readonly pack?: { readonly name: string; readonly version: string };
  /**
   * The next policy this call evaluates (its index in the pack), for one view evaluated by two threads at once
   * (tools/lib/deployedView.ts): each calls `runPolicies` with a `take` off a queue they share, so that the thread
   * free first takes more, and `mergeVerdicts` puts the parts together. An index past the pack's end stops. Without
   * it: every policy, in the pack's order.
   */
  readonly take?: () => number;
  /**
   * The config was validated by the caller (the thread that shares this evaluation out): the per-setting checks still
   * run, the full JSON Schema pass (Ajv, ~40 ms to load in a fresh thread) does not.
   */
  readonly configValidated?: boolean;
}

/**
 * The resources by type token, for the rules' type filters (`__pulumiType`, the pack's own predicate), which read
 * the type only: a filter is asked once per type of the stack, not once per resource (prod: about 60 types, 540
 * resources, 150 resource rules), and gives the resources it keeps in their order.
 */
class TypeIndex {
  private readonly positions = new Map<string, number[]>();

  constructor(private readonly resources: readonly ResourceRecord[]) {
    resources.forEach((r, i) => {
      const list = this.positions.get(r.type);
      if (list) list.push(i);
      else this.positions.set(r.type, [i]);
    });
  }

  /** The resources whose type `keep` accepts, in the order of the stack. */
  records(keep: (type: string) => boolean): ResourceRecord[] {
    const kept: number[][] = [];
    for (const [type, list] of this.positions) if (keep(type)) kept.push(list);
    if (kept.length === this.positions.size) return [...this.resources];
    const at = kept.length === 1 ? kept[0] : kept.flat().sort((a, b) => a - b);
    return at.map((i) => this.resources[i]);
  }
}

/** The indices `take` hands out, until one past the end. */
function* taken(take: () => number, count: number): Generator<number> {
  for (let i = take(); i < count; i = take()) yield i;
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

/**
 * A fresh copy of a resource's properties for each policy, as the analyzer server deserializes them afresh for each
 * one (a policy that changes its copy affects no other). Properties are JSON values; a plain recursive copy is
 * several times faster than `structuredClone`, which matters at one copy per policy and resource.
 */
function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  // Primitives (most members) are copied where they are read, without a call each.
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      out[i] = v === null || typeof v !== "object" ? v : cloneJson(v);
    }
    return out as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    out[k] = v === null || typeof v !== "object" ? v : cloneJson(v);
  }
  return out as T;
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

/** Mandatory violations decide the exit code (0 none, 1 some). */
export function mandatoryViolations(verdict: Verdict): Violation[] {
  return verdict.violations.filter((v) => v.enforcementLevel === "mandatory");
}

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
