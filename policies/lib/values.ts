/**
 * Reading resource inputs/outputs safely. During preview the engine wraps props in an unknown-checking proxy: reading
 * a value that is not known yet (an Output of another resource) throws `UnknownValueError`, which the engine turns
 * into an advisory "can't run during preview". These helpers tell "absent" from "unknown" without tripping it, and
 * hold the small text helpers (case-insensitive comparison, globs) and message formatters every rule uses.
 */

/** Reads a property without tripping the unknown-checking proxy (unknown reads as undefined). */
export function safeGet(obj: unknown, key: string): unknown {
  try {
    return (obj as Record<string, unknown> | undefined)?.[key];
  } catch {
    return undefined;
  }
}

/** Whether a property path is absent (undefined, null or ""), unknown during preview, or set. */
export type Presence = "absent" | "unknown" | "set";

/**
 * Presence of `obj.path[0].path[1]…` without tripping the unknown-checking proxy: a value that is unknown during
 * preview (an Output of another resource, e.g. a key URI or a random password) counts as "unknown", which for
 * "must be set" checks is as good as set and for "must not be set" checks is as bad as set.
 */
export function presence(obj: unknown, ...path: string[]): Presence {
  let cur: unknown = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== "object" || !(key in cur)) return "absent";
    try {
      cur = (cur as Record<string, unknown>)[key];
    } catch {
      return "unknown";
    }
    if (cur === undefined || cur === null) return "absent";
  }
  return cur === "" ? "absent" : "set";
}

/**
 * True when `obj[key]` is set: present and not null/empty. An unknown value (an output of another resource during
 * preview) counts as set, because the program did wire something in; reading it is not needed to know that.
 */
export function isSet(obj: unknown, key: string): boolean {
  return presence(obj, key) !== "absent";
}

/**
 * For a rule that cannot decide without the value at `path`: reads it through the engine's unknown-checking proxy, so a
 * value unknown during preview throws the engine's `UnknownValueError`, which it reports as "can't run policy … during
 * preview" (advisory), as for any rule that reads an unknown value. Returning instead would count the rule as passed on
 * a value it never saw; the update (and `npm run analyze` on an export) decides it with the value known.
 */
export function requireKnown(obj: unknown, ...path: string[]): void {
  let cur: unknown = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return;
    cur = (cur as Record<string, unknown>)[key];
  }
}

/**
 * For a stack rule that must place a resource by its ARM id: azure-native answers the id only once the resource is
 * created, so a create in a first preview has none in its outputs, and its computed outputs (provisioning state,
 * etag...) are unknown. Reading the id when unknown, or else one of those unknown outputs, makes the rule undecided
 * ("can't run during preview") instead of passing on a resource it could not place. A resource with an id, or with no
 * unknown output at all (a hand-made record), reads nothing.
 */
export function requireId(props: Record<string, unknown>): void {
  const state = presence(props, "id");
  if (state === "unknown") return requireKnown(props, "id");
  if (state === "set") return;
  // The engine names the value read in its message: one that says the resource is not created yet, when it has one.
  const keys = ["provisioningState", "etag", "name", ...Object.keys(props)];
  const pending = keys.find((k) => presence(props, k) === "unknown");
  if (pending !== undefined) requireKnown(props, pending);
}

/** Whether a resource's id is not known yet (`requireId`): unknown, or absent from a create's preview outputs. */
export function idPending(props: Record<string, unknown>): boolean {
  const state = presence(props, "id");
  return (
    state === "unknown" || (state === "absent" && Object.keys(props).some((k) => presence(props, k) === "unknown"))
  );
}

/**
 * `requireKnown` for a list a rule must read whole (an allow list): the list itself, then each of its elements, so
 * that one element unknown during preview (another resource's output) makes the rule undecided instead of being
 * skipped by `stringsAt`. An absent list or a value that is not a list reads nothing.
 */
export function requireKnownElements(obj: unknown, ...path: string[]): void {
  if (presence(obj, ...path) === "unknown") requireKnown(obj, ...path);
  const list = valueAt(obj, ...path);
  if (!Array.isArray(list)) return;
  for (let i = 0; i < list.length; i++) if (presence(list, String(i)) === "unknown") requireKnown(list, String(i));
}

/** The value at a property path, or undefined when absent or unknown during preview. */
export function valueAt(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = safeGet(cur, key);
  }
  return cur;
}

/** The known strings of a list input (unknown elements and non-strings dropped). */
export function stringsAt(obj: unknown, ...path: string[]): string[] {
  const list = valueAt(obj, ...path);
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const v = safeGet(list, String(i));
    if (typeof v === "string") out.push(v);
  }
  return out;
}

/** Case-insensitive string comparison (Azure enum values are case-insensitive on the wire). */
export function sameText(value: unknown, expected: string): boolean {
  return typeof value === "string" && value.toLowerCase() === expected.toLowerCase();
}

/** True when `value` (case-insensitively) is one of `allowed`. */
export function oneOf(value: unknown, allowed: readonly string[]): boolean {
  return allowed.some((a) => sameText(value, a));
}

/** Shell-style glob (`*` only); case-insensitive unless `caseSensitive`. */
export function globMatch(pattern: string, value: string, { caseSensitive = false } = {}): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`, caseSensitive ? "" : "i").test(value);
}

/** An Azure location the way the API compares them: `West Europe` and `westeurope` are the same region. */
export function normaliseLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

/** `name (type)`, the way every resource message starts. */
export function who(args: { name: string; type: string }): string {
  return `${args.name} (${args.type})`;
}

/** A value for messages: `unset` or its JSON. */
export function show(value: unknown): string {
  return value === undefined || value === null ? "unset" : JSON.stringify(value);
}

/** A role definition id's GUID (`/subscriptions/…/roleDefinitions/<guid>` → `<guid>`), lower-cased; "" for a non-string. */
export const roleGuid = (roleDefinitionId: unknown): string =>
  typeof roleDefinitionId === "string" ? (roleDefinitionId.split("/").pop() ?? "").toLowerCase() : "";
