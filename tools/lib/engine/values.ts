/**
 * The values the offline engine passes between the SDK and its records: the SDK's secret and resource-reference
 * envelopes (unwrapped, their plaintext collected so no output of the tools prints it), the unknown marker, and what a
 * protobuf Struct round trip gives (structValue, structKeys, structObject, structStandIn) without building one.
 */
import { createRequire } from "node:module";

export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

type Json = unknown;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A serialised secret (`{ <sig>: <secret sig>, value }`). */
export const isSecretValue = (v: unknown): boolean => isObject(v) && v[SECRET_SIG] === SECRET_SIG_VALUE;

/** Unwraps secrets (collecting their plaintext) and resource references in a raw gRPC struct value. */
export function unwrap(value: Json, secrets: Set<string>, secretPaths?: Set<string>, at = ""): Json {
  if (Array.isArray(value)) return value.map((v, i) => unwrap(v, secrets, secretPaths, `${at}[${i}]`));
  if (!isObject(value)) return value;
  if (value[SECRET_SIG] === SECRET_SIG_VALUE) {
    const inner = unwrap(value.value, secrets, secretPaths, at);
    collectStrings(inner, secrets);
    secretPaths?.add(at);
    return inner;
  }
  if (value[SECRET_SIG] === RESOURCE_REF_SIG) {
    return value.id ?? value.urn;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = unwrap(v, secrets, secretPaths, at ? `${at}.${k}` : k);
  return out;
}

function collectStrings(v: Json, into: Set<string>): void {
  if (typeof v === "string" && v.length > 0) into.add(v);
  else if (Array.isArray(v)) v.forEach((x) => collectStrings(x, into));
  else if (isObject(v)) Object.values(v).forEach((x) => collectStrings(x, into));
}

/** Replaces every secret plaintext in a JSON-able value by a `[secret]` marker (deep, including substrings). */
export function scrub<T>(value: T, secrets: ReadonlySet<string>): T {
  if (secrets.size === 0) return value;
  const list = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return list.reduce((s, secret) => s.split(secret).join("[secret]"), v);
    if (Array.isArray(v)) return v.map(walk);
    // Keys too: a secret used as a map key (a tag name, say) would otherwise reach the report.
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [walk(k) as string, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * What `Struct.fromJavaScript(value).toJavaScript()` gives (google-protobuf, google/protobuf/struct_pb.js): scalars
 * and null as they are, arrays element by element, objects with their enumerable keys (inherited ones included, as
 * `for...in` lists them) in sorted order, since the Struct's map iterates its keys sorted; anything else (undefined,
 * a function) throws, as `Value.fromJavaScript` does.
 */
export function structValue(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out[i] = structValue(value[i]);
    return out;
  }
  if (typeof value === "object") {
    const keys: string[] = [];
    for (const k in value) keys.push(k);
    keys.sort();
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = structValue((value as Record<string, unknown>)[k]);
    return out;
  }
  throw new Error("Unexpected struct type.");
}

/**
 * `Object.keys(structValue(value))` for an object, without the copy of its values; it throws where structValue
 * would (anything below that a Struct cannot hold).
 */
export function structKeys(value: Record<string, unknown>): string[] {
  const check = (v: unknown): void => {
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) check(v[i]);
      return;
    }
    if (typeof v !== "object") throw new Error("Unexpected struct type.");
    for (const k in v) check((v as Record<string, unknown>)[k]);
  };
  const keys: string[] = [];
  for (const k in value) keys.push(k);
  keys.sort();
  // In the order of the object structValue builds (integer-like keys first, as JavaScript orders an object's keys).
  const shape: Record<string, true> = {};
  for (const k of keys) {
    check(value[k]);
    shape[k] = true;
  }
  return Object.keys(shape);
}

/**
 * What `Struct.fromJavaScript(obj).toJavaScript()` gives for a Struct itself (the top level, which is not a Value):
 * the keys `for...in` lists (none for null or undefined, the indices of a string or an array), sorted, each value as
 * `structValue` gives it; it throws where `Struct.fromJavaScript` does.
 */
export function structObject(obj: unknown): Record<string, unknown> {
  const keys: string[] = [];
  for (const k in obj as object) keys.push(k);
  keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = structValue((obj as Record<string, unknown>)[k]);
  return out;
}

/** google-protobuf's struct_pb, the very module @pulumi/pulumi's runtime builds its requests with. */
export const structPb = createRequire(require.resolve("@pulumi/pulumi/runtime/resource"))(
  "google-protobuf/google/protobuf/struct_pb",
) as typeof import("google-protobuf/google/protobuf/struct_pb");
type ProtoStruct = InstanceType<typeof structPb.Struct>;
type FromJavaScript = typeof structPb.Struct.fromJavaScript;

/**
 * `Struct.fromJavaScript` for the mock engine's run: a Struct whose value is kept as the plain JavaScript its
 * `toJavaScript()` would give (structObject), instead of a protobuf map of Values. During a run every caller reads a
 * Struct that way: the SDK builds one for every RegisterResourceRequest (and for registerResourceOutputs and invoke
 * requests), which the mock engine reads with `toJavaScript()` at once, as MockMonitor does with an invoke's
 * arguments, and the SDK reads the mock's invoke answers so too. It is a real, empty Struct otherwise (a request's
 * `setObject` takes it as it is and `getObject` gives it back), and it fills its map from the value on the first
 * `getFieldsMap()` (the SDK's way to read a `pulumi:pulumi:getResource` answer), from then on a Struct like any
 * other. It throws where the real one throws, when it is made; the first `toJavaScript()` hands over the value
 * itself, later ones a copy each, as the real one builds a new object each time.
 */
export function structStandIn(realFromJavaScript: FromJavaScript): FromJavaScript {
  const proto = structPb.Struct.prototype;
  return (obj) => {
    const js = structObject(obj);
    const struct = new structPb.Struct();
    const own = struct as unknown as { toJavaScript?: () => unknown; getFieldsMap?: (...args: unknown[]) => unknown };
    let handedOver = false;
    const value = () => (handedOver ? structObject(js) : js) as Parameters<FromJavaScript>[0];
    own.toJavaScript = () => {
      const v = value();
      handedOver = true;
      return v;
    };
    own.getFieldsMap = (...args) => {
      delete own.toJavaScript;
      delete own.getFieldsMap;
      const map = Reflect.apply(proto.getFieldsMap, struct, args) as ReturnType<ProtoStruct["getFieldsMap"]>;
      realFromJavaScript(value())
        .getFieldsMap()
        .forEach((v, k) => map.set(k, v));
      return map;
    };
    return struct;
  };
}
