/**
 * How one resource of the stack refers to another, as a rule can tell from what the engine gives it: property
 * dependencies, ids (once known) and, for children that name their parent, names. Each helper says what decides while
 * a first preview leaves ids and names unknown.
 */
import type { PolicyResource } from "@pulumi/policy";
import { kqlFiltersOn } from "./kql";
import { idPending, presence, requireId, safeGet, sameText, stringsAt, valueAt } from "./values";

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
