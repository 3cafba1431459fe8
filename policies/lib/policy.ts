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
import { idPending, presence, requireId, safeGet, sameText, stringsAt, valueAt } from "./values";
import { defaultTypeToken, withDefaultTypes } from "./typeToken";

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

/**
 * True when `a` references `b` through `property` (a property dependency, or `b`'s id in the property's value) or,
 * without a property, through any dependency or property dependency, or `b`'s id anywhere in `a`'s props. A value
 * that is unknown during preview cannot be searched for the id: that counts as no match by id (never a throw).
 */
export function references(a: PolicyResource, b: PolicyResource, property?: string): boolean {
  const deps = property
    ? (a.propertyDependencies[property] ?? [])
    : [...a.dependencies, ...Object.values(a.propertyDependencies).flat()];
  if (deps.some((d) => d.urn === b.urn)) return true;
  const id = safeGet(b.props, "id");
  if (typeof id !== "string" || id.length === 0) return false;
  const value = property ? safeGet(a.props, property) : a.props;
  try {
    return JSON.stringify(value ?? null)
      .toLowerCase()
      .includes(id.toLowerCase());
  } catch {
    return false; // UnknownValueError: the value holds something unknown during preview
  }
}

/**
 * True when `a`'s `property` names `b` itself, or one of `b`'s sub-resources in `suffixes` (e.g. a storage
 * account's `/blobServices/default`, a SQL server's `/databases/master`): the value equals `b`'s id, or the id plus
 * a suffix, case-insensitively. A child's id starts with its parent's, so finding the id anywhere (`references`)
 * would let a database's diagnostic setting or lock count for its server. `property` may be a path into a nested
 * object (e.g. `["properties", "workspaceResourceId"]`). When the value or the id is unknown during preview, the
 * property dependency the engine recorded for `property` (its first segment) decides. With `self: false`, only a
 * sub-resource counts (a storage account's own setting carries metrics, its logs are per service).
 */
export function pointsAt(
  a: PolicyResource,
  b: PolicyResource,
  property: string | readonly string[],
  suffixes: readonly string[] = [],
  { self = true }: { readonly self?: boolean } = {},
): boolean {
  const path = typeof property === "string" ? [property] : property;
  const state = presence(a.props, ...path);
  const value = state === "set" ? valueAt(a.props, ...path) : undefined;
  const id = idOf(b);
  if (typeof value === "string" && id !== undefined) return namesId(value, id, suffixes, self);
  // An extension resource's scope (`scope`, `resourceUri`) is part of its path, so not an output: once deployed, its
  // own id (`<scope>/providers/<namespace>/<type>/<name>`) names the scope exactly.
  const scope = state === "absent" && EXTENSION_SCOPES.includes(path.join(".")) ? extensionScopeOf(a) : undefined;
  if (scope !== undefined && id !== undefined) return namesId(scope, id, suffixes, self);
  return recordedDependency(a, b, path[0]);
}

/** Inputs that hold an extension resource's scope (a diagnostic setting's `resourceUri`, a lock's `scope`). */
const EXTENSION_SCOPES = ["scope", "resourceUri"];

/**
 * The scope of an extension resource from its own id: what precedes its last `/providers/<namespace>/<type>/<name>`
 * (`…/servers/s/databases/d/providers/microsoft.insights/diagnosticSettings/x` → `…/servers/s/databases/d`);
 * undefined while the id is unknown.
 */
export function extensionScopeOf(a: PolicyResource): string | undefined {
  const id = safeGet(a.props, "id");
  if (typeof id !== "string") return undefined;
  const at = id.toLowerCase().lastIndexOf("/providers/");
  return at > 0 && id.slice(at + "/providers/".length).split("/").length === 3 ? id.slice(0, at) : undefined;
}

/** `b`'s id, lower-cased, when known (undefined when absent or unknown during preview). */
function idOf(b: PolicyResource): string | undefined {
  const id = safeGet(b.props, "id");
  return typeof id === "string" && id.length > 0 ? id.toLowerCase() : undefined;
}

/** `value` is exactly `id` (lower-cased) or `id` plus one of `suffixes`, case-insensitively. */
function namesId(value: string, id: string, suffixes: readonly string[], self = true): boolean {
  const v = value.toLowerCase().replace(/\/+$/, "");
  return (self && v === id) || suffixes.some((s) => v === `${id}${s.toLowerCase()}`);
}

/** Whether the engine recorded a dependency of `a`'s `property` on `b`. */
export function recordedDependency(a: PolicyResource, b: PolicyResource, property: string): boolean {
  return (a.propertyDependencies[property] ?? []).some((d) => d.urn === b.urn);
}

/**
 * For a stack rule that must read every child of its parents: a child created in a first preview with its parent's
 * name written out (`property`, a path input: no output, no id yet, no dependency recorded) belongs to no parent the
 * rule can name. The rule is undecided on the first child `placed` finds no parent for (`requireId`), never passing a
 * parent whose children it did not all read; a child placed, deployed or built from its parent's outputs reads nothing.
 */
export function requirePlaced(
  children: readonly PolicyResource[],
  placed: (child: PolicyResource) => boolean,
  property: string,
): void {
  for (const child of children) {
    if (placed(child) || (child.propertyDependencies[property] ?? []).length > 0) continue;
    const props = child.props as Record<string, unknown>;
    if (idPending(props)) requireId(props);
  }
}

/**
 * `pointsAt` for a list: true when one element of `a`'s list `property` (or, with `key`, one element's `key`) names
 * `b` itself or one of its `suffixes`, exactly and case-insensitively: a metric alert's `scopes`, a private
 * endpoint's `privateLinkServiceConnections[].privateLinkServiceId`. An element naming a child of `b`, or a sibling
 * whose name starts with `b`'s, does not count. A known element that matches decides; when none does but the list,
 * one of its elements or `b`'s id is unknown during preview, the property dependency the engine recorded for
 * `property` decides (never a throw).
 */
export function listPointsAt(
  a: PolicyResource,
  b: PolicyResource,
  property: string,
  options: { readonly key?: string; readonly suffixes?: readonly string[] } = {},
): boolean {
  const { key, suffixes = [] } = options;
  const list = presence(a.props, property) === "set" ? safeGet(a.props, property) : undefined;
  const id = idOf(b);
  if (!Array.isArray(list) || id === undefined) return recordedDependency(a, b, property);
  let unknown = false;
  for (let i = 0; i < list.length; i++) {
    const path = key === undefined ? [String(i)] : [String(i), key];
    if (presence(list, ...path) === "unknown") unknown = true;
    const value = valueAt(list, ...path);
    if (typeof value === "string" && namesId(value, id, suffixes)) return true;
  }
  return unknown && recordedDependency(a, b, property);
}

/** A KQL query without its `//` comments (outside string literals). */
export function stripKqlComments(query: string): string {
  let out = "";
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (quote) {
      out += c;
      if (c === "\\") out += query[++i] ?? "";
      else if (c === quote) quote = undefined;
    } else if (c === "/" && query[i + 1] === "/") {
      while (i < query.length && query[i] !== "\n") i++;
      out += "\n";
    } else {
      if (c === '"' || c === "'") quote = c;
      out += c;
    }
  }
  return out;
}

/**
 * True when a KQL query keeps rows of `id` by a positive filter on it: the id as a whole quoted literal after `==`
 * or `=~`, or inside an `in (...)`/`in~ (...)` list; not after `!=`, `!~`, `!in`, nor inside `not(...)`, nor in a
 * comment, nor in any other position (a `has` would take children too). Case-insensitive.
 */
export function kqlFiltersOn(query: string, id: string): boolean {
  const text = stripKqlComments(query).toLowerCase();
  const target = id.toLowerCase();
  for (const quoted of [`"${target}"`, `'${target}'`]) {
    for (let at = text.indexOf(quoted); at >= 0; at = text.indexOf(quoted, at + 1)) {
      const before = text.slice(0, at).trimEnd();
      if (insideNot(before)) continue;
      if (before.endsWith("==") || (before.endsWith("=~") && !before.endsWith("!=~"))) return true;
      if (before.endsWith("(") || before.endsWith(",")) {
        const open = before.lastIndexOf("(");
        if (open >= 0 && /(^|[^!\w])in~?$/.test(before.slice(0, open).trimEnd())) return true;
      }
    }
  }
  return false;
}

/** Whether the end of `before` lies inside a `not( … )` call (parentheses opened and not yet closed). */
function insideNot(before: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = before.length - 1; i >= 0; i--) {
    const c = before[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ")") depth++;
    else if (c === "(") {
      if (depth > 0) depth--;
      else if (/(^|[^\w])not\s*$/.test(before.slice(0, i))) return true;
    }
  }
  return false;
}

/**
 * True when a scheduled query rule (a log alert) watches `b`: scoped on it (one of `scopes` is its id, exactly), or
 * one of its criteria filters its query on `b`'s id (`kqlFiltersOn`) or splits on its resource id column with a
 * dimension that includes the id (`operator` Include). A child's id, a sibling's whose name starts with `b`'s, a negated filter, a comment or an
 * Exclude dimension do not count. When `b`'s id or the criteria are unknown during preview, the property dependency
 * the engine recorded for `criteria` decides.
 */
export function logAlertWatches(a: PolicyResource, b: PolicyResource): boolean {
  if (listPointsAt(a, b, "scopes")) return true;
  const id = idOf(b);
  if (id === undefined) return recordedDependency(a, b, "criteria");
  let unknown = presence(a.props, "criteria") === "unknown";
  const conditions = valueAt(a.props, "criteria", "allOf");
  if (Array.isArray(conditions)) {
    for (let i = 0; i < conditions.length; i++) {
      const c = String(i);
      const queryState = presence(conditions, c, "query");
      if (queryState === "unknown") unknown = true;
      const query = queryState === "set" ? valueAt(conditions, c, "query") : undefined;
      if (typeof query === "string" && kqlFiltersOn(query, id)) return true;
      const dimensions = presence(conditions, c, "dimensions") === "set" ? valueAt(conditions, c, "dimensions") : [];
      if (!Array.isArray(dimensions)) continue;
      for (let j = 0; j < dimensions.length; j++) {
        const operator = valueAt(dimensions, String(j), "operator");
        const column = valueAt(dimensions, String(j), "name");
        const values = stringsAt(dimensions, String(j), "values").map((v) => v.toLowerCase());
        // A split on the resource id column (`_ResourceId`, `ResourceId`) that keeps this id.
        const onResourceId = typeof column === "string" && /^_?resourceid$/i.test(column);
        if (onResourceId && sameText(operator, "include") && values.includes(id)) return true;
      }
    }
  }
  return unknown && recordedDependency(a, b, "criteria");
}

/** How `refersTo` matches, beyond dependencies and ids. */
export interface RefersToOptions {
  /** Properties of `a` that hold the reference (any one is enough); absent or empty = any (see `references`). */
  readonly properties?: readonly string[];
  /**
   * Also match by name, for child resources that name their parent (e.g. an auditing policy's `serverName`): the
   * property's value against `b`'s output `name` or one of `nameKeys`, case-insensitively; `siblingKeys` (e.g.
   * `serverName` for two databases of the same name) must then agree where both sides know them. When the names
   * can't be compared (unknown during preview) and the engine recorded no property dependency for the property, a
   * plain dependency of `a` on `b` counts.
   */
  readonly byName?: { readonly nameKeys?: readonly string[]; readonly siblingKeys?: readonly string[] };
}

/**
 * True when `a` points at `b` (e.g. a diagnostic setting's `resourceUri`, a private endpoint's connections, a
 * lock's `scope`): `references` for each of `options.properties`, and optionally by name (`options.byName`). The
 * property dependency is the reliable signal during preview, when names and ids may be unknown.
 */
export function refersTo(a: PolicyResource, b: PolicyResource, options: RefersToOptions = {}): boolean {
  const properties = options.properties ?? [];
  if (properties.length === 0) return references(a, b);
  return properties.some((property) => {
    if (references(a, b, property)) return true;
    if (!options.byName) return false;
    const byName = sameName(a, b, property, options.byName);
    if (byName !== undefined) return byName;
    const byId = childById(a, b, property);
    if (byId !== undefined) return byId;
    const recorded = a.propertyDependencies[property] ?? [];
    return recorded.length === 0 && a.dependencies.some((d) => d.urn === b.urn);
  });
}

/**
 * Once deployed, a child names its parent through a path input (`serverName`, `databaseName`...) that is not an
 * output, but its own id is the parent's id plus `/<type>/<name>` (or `/providers/<namespace>/<type>/<name>` for an
 * extension resource): whether `a` is `b`'s direct child by ids, or
 * undefined while either id is unknown or the property is visible (then the names decide).
 */
function childById(a: PolicyResource, b: PolicyResource, property: string): boolean | undefined {
  if (presence(a.props, property) !== "absent") return undefined;
  const [childId, parentId] = [idOf(a), idOf(b)];
  if (childId === undefined || parentId === undefined) return undefined;
  const parent = parentId.replace(/\/+$/, "");
  if (!childId.startsWith(`${parent}/`)) return false;
  const rest = childId.slice(parent.length + 1).split("/");
  // `<type>/<name>`, or an extension resource's `providers/<namespace>/<type>/<name>` (a Sentinel onboarding).
  return rest.length === 2 || (rest.length === 4 && rest[0] === "providers");
}

/** Whether `a.property` names `b` (see `RefersToOptions.byName`), or undefined when the names can't be compared. */
function sameName(
  a: PolicyResource,
  b: PolicyResource,
  property: string,
  { nameKeys = [], siblingKeys = [] }: NonNullable<RefersToOptions["byName"]>,
): boolean | undefined {
  const value = valueAt(a.props, property);
  const names = ["name", ...nameKeys].map((k) => valueAt(b.props, k)).filter((n) => typeof n === "string");
  if (typeof value !== "string" || names.length === 0) return undefined;
  if (!names.some((n) => sameText(n, value))) return false;
  return siblingKeys.every((k) => sameValue(a, b, k));
}

/**
 * Whether `a` and `b` agree on `key` (e.g. two databases' `serverName`): the values where both are known, else
 * their sources. Unknown during preview (a server name with a random suffix): when both sides take the value from
 * resources of one type (two servers), they must take it from the same one (two databases named alike on two
 * servers are not the same one). Sources of different types (a server's name on one side, the random suffix it was
 * built from on the other) cannot be compared: that counts as agreeing.
 */
export function sameValue(a: PolicyResource, b: PolicyResource, key: string): boolean {
  const x = valueAt(a.props, key);
  const y = valueAt(b.props, key);
  if (typeof x === "string" && typeof y === "string") return sameText(x, y);
  const fromA = a.propertyDependencies[key] ?? [];
  const fromB = b.propertyDependencies[key] ?? [];
  const comparable = fromA.some((d) => fromB.some((e) => e.type === d.type));
  return !comparable || fromA.some((d) => fromB.some((e) => e.urn === d.urn));
}
