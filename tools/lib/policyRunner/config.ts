/** The pack config: parsed and resolved as the CLI does, each setting checked against its policy's JSON schema. */
import { closest } from "../../../lib/closest";
import type { EnforcementLevel, Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { PackConfig } from "./types";

export class PolicyConfigError extends Error {
  override name = "PolicyConfigError";
}

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

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

export interface ResolvedPolicy {
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
