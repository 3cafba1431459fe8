/**
 * The offline engine: runs the real program (index.ts) under Pulumi's mock monitor, with the stack's config,
 * and records every registration the way the real engine sees it (type, name, URN, parent, dependencies,
 * property dependencies, inputs, protect), plus the stack outputs. Secret values are tracked so no output of
 * the tools ever prints them.
 */
import { createRequire } from "node:module";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { RegisterResourceResponse } from "@pulumi/pulumi/proto/resource_pb";
import { setArmReader } from "../../components/shared/armRead";
import { ARM_READ, mockArmRead, mockCall, mockResource } from "./azureMocks";
import type { ResourceRecord } from "./policyRunner";
import { deployedOutputs, previewOutputs } from "./outputShape";

export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface ProgramRun {
  readonly project: string;
  readonly stack: string;
  readonly resources: ResourceRecord[];
  readonly stackOutputs: Record<string, unknown>;
  /**
   * The invokes the program made (token and arguments), in order: what it asked Azure about; its own ARM reads
   * (components/shared/armRead.ts) among them, as token ARM_READ with `resourceId` and `apiVersion`.
   */
  readonly invokes: readonly { readonly token: string; readonly inputs: Record<string, unknown> }[];
  /** Plaintext values that must never be printed (config secrets and secret inputs). */
  readonly secrets: ReadonlySet<string>;
}

export interface RunProgramOptions {
  readonly project: string;
  readonly stack: string;
  /** Flat config map as the CLI gives it to the program (`<namespace>:<key>` → string). */
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
  /** Absolute path of the program's entry module. */
  readonly program: string;
  /** The root of the project; the program's modules under it are re-loaded on each run. */
  readonly root: string;
  /** Full stack traces, mapped through source maps, while the program runs (slow; for --verbose). */
  readonly debug?: boolean;
  /**
   * Answer as the engine does during the first `pulumi preview` of a new stack: every id and every computed output
   * is unknown; an azure-native resource's outputs are what its Create returns for a preview (PreviewOutputs: its
   * output properties, each the input of the same name or unknown, tools/lib/outputShape.ts), other providers echo
   * their inputs; so inputs derived from other resources' outputs reach the policy pack as unknowns.
   */
  readonly firstPreview?: boolean;
  /**
   * How long the program may wait with registrations outstanding and nothing happening (no registration, outputs or
   * invoke, counted in event-loop turns of this length, so a long synchronous stretch of the program is not idleness)
   * before the run is ended as stalled. Default: STALL_MS.
   */
  readonly stallMs?: number;
  /**
   * Leave out the program's warnings (`pulumi.log.warn`, which the SDK prints as `warning: [runtime] …` with no
   * engine attached): for a second run of the same program (the deployed view), whose first run printed them, so a
   * user reads each once, as the CLI prints them once.
   */
  readonly quietWarnings?: boolean;
}

/**
 * 10 s: the mocks answer at once, so a program that has done nothing for that long while resources still wait waits
 * on a promise that never settles (a read, an Output made by hand). The CLI's Node process ends there, its event loop
 * empty, and the SDK's exit check fails the run with its leaked-promises error; the offline engine would otherwise
 * wait for ever (a pull-request gate that never answers).
 */
export const STALL_MS = 10_000;

/** The root stack resource's type (sdk/go/common/tokens: `RootStackType`), which no child's URN carries. */
export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** Nanoseconds per unit of Go's `time.ParseDuration` (time/format.go `unitMap`; µ as U+00B5 or U+03BC). */
const GO_DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const TWO_63 = 1n << 63n;
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/**
 * Go's `time.ParseDuration` (time/format.go), step for step in nanoseconds as a uint64: an optional sign, then
 * numbers each with a unit (`12h`, `1h30m`, `1.5s`; a bare `0`); undefined where Go returns an error, which includes a
 * whole or a running sum beyond its range (about 2562047h). Each fraction is added as Go adds it, through a float64
 * and truncated to the nanosecond.
 */
export function goParseDuration(value: string): bigint | undefined {
  let s = value;
  let d = 0n;
  let neg = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return undefined;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) return undefined;
    // leadingInt: [0-9]*, failing past 1<<63.
    let v = 0n;
    let i = 0;
    for (; isDigit(s[i]); i++) {
      if (v > TWO_63 / 10n) return undefined;
      v = v * 10n + BigInt(s[i]);
      if (v > TWO_63) return undefined;
    }
    const pre = i > 0;
    s = s.slice(i);
    // leadingFraction: (\.[0-9]*)?, which stops taking precision rather than failing.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === ".") {
      s = s.slice(1);
      let overflow = false;
      let j = 0;
      for (; isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > (TWO_63 - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s[j]);
        if (y > TWO_63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) return undefined;
    let u = 0;
    while (u < s.length && s[u] !== "." && !isDigit(s[u])) u++;
    if (u === 0) return undefined;
    const unit = Object.hasOwn(GO_DURATION_UNITS, s.slice(0, u)) ? GO_DURATION_UNITS[s.slice(0, u)] : undefined;
    s = s.slice(u);
    if (unit === undefined) return undefined;
    if (v > TWO_63 / unit) return undefined;
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) return undefined;
    }
    // uint64 arithmetic: a sum of two values at 1<<63 wraps to 0, as Go's does.
    d = BigInt.asUintN(64, d + v);
    if (d > TWO_63) return undefined;
  }
  if (neg) return BigInt.asIntN(64, -BigInt.asIntN(64, d));
  return d > TWO_63 - 1n ? undefined : d;
}

/**
 * A custom timeout in seconds, as the CLI reads it from a registration (pkg/resource/deploy/source_eval.go
 * `generateTimeoutInSeconds`: `time.ParseDuration`, then `Duration.Seconds()`), failing with its resource monitor's
 * error ("unable to parse customTimeout Value …").
 */
export function customTimeoutSeconds(value: string): number {
  const ns = goParseDuration(value);
  if (ns === undefined) throw new Error(`unable to parse customTimeout Value ${value}`);
  // time.Duration.Seconds: whole seconds plus the remaining nanoseconds, each as a float64.
  const second = 1_000_000_000n;
  return Number(ns / second) + Number(ns % second) / 1e9;
}

/**
 * A registration's custom timeouts in seconds, as the CLI keeps them (resource.CustomTimeouts: create, update, delete,
 * read, a zero left out). Parsed in the resource monitor's order (source_eval.go: create, delete, update, read), so that
 * of two unparseable values the error names the one the CLI names.
 */
export function customTimeoutsOf(
  timeouts: { getCreate(): string; getUpdate(): string; getDelete(): string; getRead(): string } | undefined,
) {
  if (!timeouts) return undefined;
  const seconds = (v: string) => (v === "" ? 0 : customTimeoutSeconds(v));
  const create = seconds(timeouts.getCreate());
  const del = seconds(timeouts.getDelete());
  const update = seconds(timeouts.getUpdate());
  const read = seconds(timeouts.getRead());
  const out: { create?: number; update?: number; delete?: number; read?: number } = {};
  if (create !== 0) out.create = create;
  if (update !== 0) out.update = update;
  if (del !== 0) out.delete = del;
  if (read !== 0) out.read = read;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A resource's URN as the engine forms it, not as the SDK's MockMonitor.newUrn does (runtime/mocks.js keeps only the
 * last `$` segment of the parent's type and keeps `pulumi:pulumi:Stack` as one). pulumi/pulumi
 * pkg/resource/deploy/deployment.go `generateURN`: "if parent != "" && parent.QualifiedType() != resource.RootStackType
 * { parentType = parent.QualifiedType() }" (the parent's full qualified type, the stack's left out), then
 * sdk/go/common/resource/urn/urn.go `New`: `urn:pulumi:<stack>::<project>::<parentType>$<type>::<name>`.
 * `QualifiedType()` is the URN's third `::` component after the `urn:pulumi:` prefix.
 */
export function resourceUrn(stack: string, project: string, parent: string, type: string, name: string): string {
  const parentType = parent ? (parent.slice("urn:pulumi:".length).split("::")[2] ?? "") : "";
  const qualified = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/**
 * A second registration (or read) of a URN the run has already seen: the engine refuses it and fails the deployment
 * (pkg/resource/deploy/step_generator.go `generateURN`: "if sg.urns[urn] { return "", sg.bailDiag(
 * diag.GetDuplicateResourceURNError(urn), urn) }"), with sdk/go/common/diag/errors.go's message (error 2001).
 */
export class DuplicateUrn extends Error {
  override readonly name = "DuplicateUrn";
  constructor(readonly urn: string) {
    super(`Duplicate resource URN '${urn}'; try giving it a unique name`);
  }
}

/** The run ended because the program stopped making progress before it had finished (STALL_MS). */
export class ProgramStalled extends Error {
  override readonly name = "ProgramStalled";
}

type Json = unknown;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A serialised secret (`{ <sig>: <secret sig>, value }`). */
const isSecretValue = (v: unknown): boolean => isObject(v) && v[SECRET_SIG] === SECRET_SIG_VALUE;

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

interface StructLike {
  toJavaScript(): Record<string, unknown>;
}
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): StructLike | undefined;
  getProtect(): boolean;
  getDependenciesList(): string[];
  getProvider(): string;
  getImportid(): string;
  getPropertydependenciesMap(): { entries(): Iterable<[string, { getUrnsList(): string[] }]> } | undefined;
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
  getAdditionalsecretoutputsList(): string[];
  getDeletedwith(): string;
  getReplaceWithList(): string[];
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string; getRead(): string } | undefined;
}
interface OutputsRequest {
  getUrn(): string;
  getOutputs(): StructLike | undefined;
}
type Callback<T> = (err: Error | null, res?: T) => void;
type Struct = NonNullable<ReturnType<RegisterResourceResponse["getObject"]>>;
/** A stand-in for a protobuf Struct, for readers that only call `toJavaScript()` on it (and never change the value). */
const asStruct = (js: Record<string, unknown>) => ({ toJavaScript: () => js }) as unknown as Struct;
/** The parts of @pulumi/pulumi's MockMonitor (runtime/mocks.js) the engine uses. */
interface MockMonitorLike {
  registerResource(req: RegisterRequest, cb: Callback<RegisterResourceResponse>): Promise<void> | void;
  registerResourceOutputs(req: OutputsRequest, cb: Callback<unknown>): void;
  readonly resources: Map<string, { urn: string; id: string | null; state: unknown }>;
  newUrn(parent: string, type: string, name: string): string;
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
const structPb = createRequire(require.resolve("@pulumi/pulumi/runtime/resource"))(
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

/**
 * Forgets the program's own modules (the entry, index.ts, components/, lib/, pipelines/ and the test fixtures, which
 * wrap index.ts) so it runs again from scratch: a fixture that requires index.ts must not get the cached module of
 * an earlier run, which would register nothing.
 */
function forgetProjectModules(root: string, program: string): void {
  const entries = new Set([program, path.join(root, "index.ts")]);
  const dirs = ["components", "lib", "pipelines", path.join("tests", "fixtures")].map(
    (d) => path.join(root, d) + path.sep,
  );
  for (const key of Object.keys(require.cache)) {
    if (entries.has(key) || dirs.some((d) => key.startsWith(d))) delete require.cache[key];
  }
}

/**
 * Drops a resource's aliases before the SDK resolves them. Aliases only let the engine match a resource against the
 * state of an earlier deployment, and the offline preview starts from no state, so they change nothing it records
 * (nothing the engine would send the policy pack or write in an export). They are expensive: every azure-native class
 * declares one alias per other API version of its type (20 to 90), and the SDK turns each into a URN through several
 * Outputs at construction, which was two thirds of the program run's time and memory.
 */
function withoutAliases(args: pulumi.ResourceTransformationArgs): pulumi.ResourceTransformationResult | undefined {
  return args.opts.aliases ? { props: args.props, opts: { ...args.opts, aliases: undefined } } : undefined;
}

/**
 * An alias the program declares (not one of the SDK's API-version aliases): a URN, or a spec of what differed (a name,
 * a type, a parent (its URN), no parent (the SDK's `{ parent: undefined }`), another stack or project), each unset
 * part being the resource's own.
 */
export type DeclaredAlias =
  | string
  | {
      readonly name?: string;
      readonly type?: string;
      readonly parent?: string;
      readonly noParent?: boolean;
      readonly stack?: string;
      readonly project?: string;
    };

/** The fields of a Pulumi resource object that give its URN (resource.js: `__pulumiType`, `__name`, its parent). */
interface ResourceLike {
  readonly __pulumiResource?: boolean;
  readonly __pulumiType?: string;
  readonly __name?: string;
  readonly __parentResource?: ResourceLike;
}

/**
 * The URN a resource object registers under, from its type, name and parent chain (resource.js keeps them on the
 * object), or undefined when it lacks them. The root stack's children have no parent prefix (resourceUrn).
 */
export function urnOfResource(res: ResourceLike, stack: string, project: string): string | undefined {
  if (typeof res.__pulumiType !== "string" || typeof res.__name !== "string") return undefined;
  const parent = res.__parentResource ? urnOfResource(res.__parentResource, stack, project) : "";
  return parent === undefined ? undefined : resourceUrn(stack, project, parent, res.__pulumiType, res.__name);
}

/**
 * The program's own aliases of a resource, from its options before `withoutAliases` drops them: every entry but the
 * azure-native classes' other API versions (`{ type: "azure-native:<module>/v…:<Class>" }`). A `parent` given as a
 * resource becomes its URN (`urnOf`); one given as an Output (a URN known only later) is not followed, so
 * `npm run changes` reports that move as a rename.
 */
export function declaredAliases(
  aliases: unknown,
  urnOf: (res: ResourceLike) => string | undefined = () => undefined,
): DeclaredAlias[] {
  if (!Array.isArray(aliases)) return [];
  const out: DeclaredAlias[] = [];
  for (const a of aliases) {
    if (typeof a === "string") {
      out.push(a);
      continue;
    }
    if (a === null || typeof a !== "object") continue;
    const { name, type, parent, stack, project, ...others } = a as Record<string, unknown>;
    // The SDK sends `{ parent: undefined }` as "no parent" (runtime/resource.js mapAliasesForRequest: setNoparent).
    const noParent = Object.prototype.hasOwnProperty.call(a, "parent") && parent === undefined;
    if (Object.keys(others).length > 0) continue;
    // The SDK's own API-version aliases (`azure-native:<module>/vYYYYMMDD…:<Class>`). Its former-module aliases
    // (`azure-native:network:PrivateZone` on `privatedns:PrivateZone`) are kept: they move a resource when an SDK
    // upgrade moves its class, as the real engine does.
    const sdkVersion =
      name === undefined &&
      !Object.prototype.hasOwnProperty.call(a, "parent") &&
      typeof type === "string" &&
      /^azure-native:[^:]+\/v\d{8}/.test(type);
    if (sdkVersion) continue;
    const parentUrn =
      typeof parent === "string"
        ? parent
        : parent !== null && typeof parent === "object" && (parent as ResourceLike).__pulumiResource === true
          ? urnOf(parent as ResourceLike)
          : undefined;
    if (parent !== undefined && parentUrn === undefined) continue; // an Output: not known while the program runs
    const spec = {
      ...(typeof name === "string" ? { name } : {}),
      ...(typeof type === "string" ? { type } : {}),
      ...(parentUrn !== undefined ? { parent: parentUrn } : {}),
      ...(noParent ? { noParent: true } : {}),
      ...(typeof stack === "string" ? { stack } : {}),
      ...(typeof project === "string" ? { project } : {}),
    };
    if (Object.keys(spec).length > 0) out.push(spec);
  }
  return out;
}

/** A URN's parts (resource/urn.go): its qualified type (`Parent$Type`), its type (the last of those) and its name. */
export function urnParts(urn: string): { qualifiedType: string; type: string; name: string } {
  const parts = urn.split("::");
  const qualifiedType = parts[2] ?? "";
  return { qualifiedType, type: qualifiedType.split("$").pop() ?? "", name: parts.slice(3).join("::") };
}

/** @pulumi/pulumi's runtime/debuggable.js and runtime/state.js (internal modules; every caller reads the export). */
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
  debuggablePromise<T>(p: Promise<T>, ctx: string): Promise<T>;
  readonly debugPromiseLeaks: boolean;
};
const sdkState = require("@pulumi/pulumi/runtime/state") as {
  getStore(): { leakCandidates: Set<Promise<unknown>> };
};

/**
 * The SDK's `debuggablePromise` (runtime/debuggable.js) without its debugging labels: the same leak-candidate
 * bookkeeping (what its exit-time leak check reads) and the same `then`/`catch` chain (so every registration settles
 * in the same turn as before), but not the three properties it defines on every promise (an id, a context string and
 * a `new Error().stack`), which only `PULUMI_DEBUG_PROMISE_LEAKS` prints, and with which it stays. Every Output
 * property of every resource goes through it four times: dropping the labels took about 0.5 s off the prod
 * preview's 4.5 s of CPU time (runs interleaved), with their garbage collection.
 */
export function leanDebuggablePromise<T>(p: Promise<T>): Promise<T> {
  const localStore = sdkState.getStore();
  localStore.leakCandidates.add(p);
  return p
    .then((val) => {
      localStore.leakCandidates.delete(p);
      return val;
    })
    .catch((err: { promise?: Promise<T> }) => {
      localStore.leakCandidates.delete(p);
      err.promise = p;
      throw err;
    });
}

/** A resolver `transferProperties` returns for one output property: `(value, isKnown, isSecret, deps, err)`. */
type PropertyResolver = (...args: unknown[]) => void;
type TransferProperties = (
  onto: Record<string, unknown>,
  label: string,
  props: Record<string, unknown>,
) => Record<string, PropertyResolver>;

/** @pulumi/pulumi's runtime/rpc.js (an internal module; runtime/resource.js calls it through its exports). */
const rpc = require("@pulumi/pulumi/runtime/rpc") as { transferProperties: TransferProperties };

/**
 * The SDK's `transferProperties` (runtime/rpc.js) with each output property's Output made on first read instead of
 * at construction. The SDK gives a custom resource one Output per property of its type as soon as it is constructed
 * (four promises with their debugging wrappers, the Output's own promise chain and a Proxy: about 20 promises
 * each), which stay pending until the registration is answered, so every young-generation collection copies them;
 * a program reads few of them (the prod stack reads about 200 of its 8,000). Here the property is a getter until
 * first read: then the SDK's own `transferProperties` makes its Output (a plain data property, as before) and
 * replays the resolution if it came first. An Output read before the registration is answered, which is when the
 * program reads them, settles in the same order as before, and one never read settles nothing anyone observes; one
 * first read after the answer settles a few promise jobs later than a ready-made one would have (the same values).
 * The property's label string is still made (`safeToString` can throw, as before), and assigning the property
 * replaces it as before.
 */
export function lazyTransferProperties(transfer: TransferProperties): TransferProperties {
  return (onto, label, props) => {
    const resolvers: Record<string, PropertyResolver> = {};
    for (const k of Object.keys(props)) {
      if (k === "id" || k === "urn") continue;
      if (Object.prototype.hasOwnProperty.call(onto, k))
        throw new Error(`Property '${k}' is already initialized on target '${label}`);
      const value = props[k];
      // The SDK's label of the property's promises: only its exceptions matter (an object that cannot be a string).
      if (!pulumi.Output.isInstance(value)) void `${value}`;
      const replay: unknown[][] = [];
      let resolve: PropertyResolver | undefined;
      const data = (v: unknown) =>
        Object.defineProperty(onto, k, { value: v, writable: true, enumerable: true, configurable: true });
      Object.defineProperty(onto, k, {
        enumerable: true,
        configurable: true,
        get: () => {
          delete onto[k];
          resolve = transfer(onto, label, { [k]: value })[k];
          for (const args of replay) resolve(...args);
          replay.length = 0;
          return onto[k];
        },
        set: data,
      });
      resolvers[k] = (...args) => (resolve ? resolve(...args) : void replay.push(args));
    }
    return resolvers;
  };
}

/**
 * The error a run ends with: its first failure, whose message lists every distinct one in order, as the CLI logs each
 * error once (cmd/run/run.js `isErrorReported`) and fails the preview with all of them. The first keeps its class, so
 * a config error still reads as one.
 */
export function programFailure(failures: readonly unknown[]): unknown {
  const text = (f: unknown) => (f instanceof Error ? f.message : String(f));
  const byText = new Map<string, unknown>();
  for (const f of failures) if (!byText.has(text(f))) byText.set(text(f), f);
  const distinct = [...byText.values()];
  const [first] = distinct;
  if (distinct.length > 1 && first instanceof Error) first.message = distinct.map(text).join("\n");
  return first;
}

/**
 * Resolves once `activity` (a count of what the program did) has not changed over `turns` consecutive 20 ms timer
 * turns (100 ms by default): after a program's first error, long enough for what is still settling (another
 * apply's failure a few promise jobs and a timer later) to be reported too. Its timer ends with it.
 */
export function quiet(activity: () => number, turns = 5): Promise<void> {
  return watchStall(activity, 20 * turns, turns).idle;
}

/**
 * Watches `activity` (a count of what the program did): `idle` resolves once it has not changed over `turns`
 * consecutive timer turns of `ms / turns` each. Counted in turns, not by the clock: a turn that a long synchronous
 * stretch of the program delays is one turn, so a busy program is never taken for a stalled one. `stop` clears the
 * timer (`idle` then never resolves).
 */
export function watchStall(activity: () => number, ms: number, turns = 10): { idle: Promise<void>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const idle = new Promise<void>((resolve) => {
    let count = 0;
    let seen = activity();
    const tick = () => {
      const now = activity();
      count = now === seen ? count + 1 : 0;
      seen = now;
      if (count >= turns) resolve();
      else if (!stopped) timer = setTimeout(tick, ms / turns);
    };
    timer = setTimeout(tick, ms / turns);
  });
  return {
    idle,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** What a stalled run ends with: what the offline engine saw, and what the CLI would report there. */
export function stalledError(ms: number): ProgramStalled {
  return new ProgramStalled(
    `the program stopped making progress: for ${ms / 1000} s it registered nothing, read nothing and completed no ` +
      "component before it had finished; the mocks answer at once, so it almost certainly waits on a promise that " +
      "never settles (an Output or a read that never resolves, or two resources that wait on each other). The Pulumi CLI's Node " +
      "process ends there, its event loop empty, and the SDK fails the run at exit with its leaked-promises error " +
      '("The Pulumi runtime detected that … promises were still active at the time that the process exited").',
  );
}

/** Runs the program once under mocks and returns what it registered. */
export async function runProgram(opts: RunProgramOptions): Promise<ProgramRun> {
  const secrets = new Set<string>();
  for (const key of opts.secretKeys) {
    const v = opts.config[key];
    if (v) secrets.add(v);
  }
  pulumi.runtime.setAllConfig({ ...opts.config }, [...opts.secretKeys]);
  // What the mock gave each resource, by ARM id: outputs Azure derives from another resource (a firewall's private IP
  // from its subnet's range) read it.
  const mocked = new Map<string, Record<string, unknown>>();
  const newResource = (args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } => {
    const urnGuess = `urn:pulumi:${opts.stack}::${opts.project}::${args.type}::${args.name}`;
    const { id, state } = mockResource(
      args.type,
      args.name,
      urnGuess,
      args.inputs as Record<string, unknown>,
      (other) => mocked.get(other.toLowerCase()),
    );
    mocked.set(id.toLowerCase(), state);
    return { id, state };
  };
  const invokes: { token: string; inputs: Record<string, unknown> }[] = [];
  // The program's own ARM reads (components/shared/armRead.ts), answered as the mocks answer the invokes and listed
  // with them under ARM_READ; installed for each run (a run abandoned by the tool keeps reading from the mocks).
  setArmReader((resourceId, apiVersion) => {
    invokes.push({ token: ARM_READ, inputs: { resourceId, apiVersion } });
    return Promise.resolve(mockArmRead(resourceId));
  });
  await pulumi.runtime.setMocks(
    {
      newResource,
      call: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        invokes.push({ token: args.token, inputs });
        return mockCall(args.token, inputs, { firstPreview: opts.firstPreview === true });
      },
    },
    opts.project,
    opts.stack,
    true,
  );

  const records = new Map<string, ResourceRecord>();
  /** The program's own aliases (declaredAliases), by `type::name`, until the resource registers. */
  const aliasesByName = new Map<string, DeclaredAlias[]>();
  /**
   * The URNs a resource's own aliases name, and those it inherits from its parent's (the same type and name under
   * each of the parent's old URNs: Pulumi's inherited child aliases, step_generator.go `generateAliases`), as the
   * engine matches them against the old state. Only `npm run changes` reads them (a real state drops aliases once the
   * URNs are normalised, apitype/core.go); the export writes them for it.
   */
  const aliasUrns = (urn: string, parent: string, type: string, name: string): { aliases?: string[] } => {
    const parentAliases = (p: string) => records.get(p)?.aliases ?? [];
    // step_generator.go `collapseAliasToUrn`: each unset part is the resource's own; an alias's parent that moved
    // itself is taken under its old URN (the engine knows which one matched; this lists each), the root stack as none.
    const collapse = (a: DeclaredAlias): string[] => {
      if (typeof a === "string") return [a];
      const parents = a.noParent ? [""] : a.parent ? [a.parent, ...parentAliases(a.parent)] : [parent];
      return parents.map((p) =>
        resourceUrn(a.stack ?? opts.stack, a.project ?? opts.project, p, a.type ?? type, a.name ?? name),
      );
    };
    const own = (aliasesByName.get(`${type}::${name}`) ?? []).flatMap(collapse);
    // step_generator.go `generateAliases` and `inheritedChildAlias`: under each old URN of the parent, the resource
    // and each of its own aliases, with the parent's old name in place of its current one where the name starts with
    // it (`${name}-rg` children).
    const parentName = records.get(parent)?.name;
    const inherited = parentAliases(parent).flatMap((p) =>
      [{ type, name }, ...own.map(urnParts)].map((child) => {
        const childName =
          parentName !== undefined && child.name.startsWith(parentName)
            ? urnParts(p).name + child.name.slice(parentName.length)
            : child.name;
        return resourceUrn(opts.stack, opts.project, p, child.type, childName);
      }),
    );
    const urns = [...own, ...inherited].filter((u) => u !== urn);
    return urns.length > 0 ? { aliases: [...new Set(urns)] } : {};
  };
  const order: string[] = [];
  let stackOutputs: Record<string, unknown> = {};
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
  const failures: unknown[] = [];
  let failed: () => void = () => undefined;
  const firstFailure = new Promise<void>((resolve) => (failed = resolve));
  // Every URN of the run, registrations and reads alike (MockMonitor.readResource calls `this.newUrn` too), formed as
  // the engine forms it; a second one fails the run with the engine's error, a program error like any other.
  const urns = new Set<string>();
  monitor.newUrn = (parent, type, name) => {
    const urn = resourceUrn(opts.stack, opts.project, parent, type, name);
    if (urns.has(urn)) {
      const err = new DuplicateUrn(urn);
      failures.push(err);
      failed();
      throw err;
    }
    urns.add(urn);
    return urn;
  };
  // MockMonitor.registerResource (@pulumi/pulumi runtime/mocks.js) step for step, with its awaits in the same places
  // (so registrations interleave exactly as they did through it), and the registration recorded before the SDK gets
  // the answer. Two things are cheaper: the request's Struct is converted once, for the mock's inputs and the record
  // alike, and the response's object is not built as a protobuf Struct only to be converted back: the SDK reads it
  // once, with `toJavaScript()` (resolveOutputs → deserializeProperties in runtime/resource.js), and gets the very
  // value `Struct.fromJavaScript(state).toJavaScript()` would give (structValue).
  monitor.registerResource = async (req, callback) => {
    try {
      const struct = req.getObject();
      const inputsJs = struct ? struct.toJavaScript() : {};
      const result = await newResource({
        type: req.getType(),
        name: req.getName(),
        // Without a Struct (the SDK always sets one) this throws as MockMonitor's call does.
        inputs: pulumi.runtime.deserializeProperties(struct ? asStruct(inputsJs) : (struct as unknown as Struct)),
        provider: req.getProvider(),
        custom: req.getCustom(),
        id: req.getImportid(),
      });
      const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
      const serializedState = await pulumi.runtime.serializeProperties("", result.state);
      monitor.resources.set(urn, { urn, id: result.id ?? null, state: serializedState });
      const response = new RegisterResourceResponse();
      response.setUrn(urn);
      response.setId(result.id || "");
      const secretPaths = new Set<string>();
      const inputs = unwrap(inputsJs, secrets, secretPaths) as Record<string, unknown>;
      let outputsJs: Record<string, unknown>;
      let outputs: Record<string, unknown>;
      let outputSecretPaths = new Set<string>();
      if (opts.firstPreview) {
        // A create during preview (Create with preview=true): no id yet. azure-native answers PreviewOutputs: its
        // output properties only, each the input of the same name in the response's shape or unknown; path and
        // write-only inputs are not outputs (tools/lib/outputShape.ts). Other providers (azuread, random) echo the
        // inputs (unknowns stay unknown) and every output they compute (the random suffix...) is unknown: only the
        // names of the mock's outputs matter, in the order the Struct would give them.
        const shapedJs = req.getCustom() ? previewOutputs(req.getType(), inputsJs, UNKNOWN as unknown) : undefined;
        if (shapedJs) {
          outputsJs = shapedJs;
          outputs = previewOutputs(req.getType(), inputs, UNKNOWN as unknown) ?? {};
        } else {
          const computed = req.getCustom()
            ? structKeys(serializedState).filter((k) => !(k in inputsJs) && k !== "id")
            : [];
          const unknowns = Object.fromEntries(computed.map((k) => [k, UNKNOWN]));
          outputsJs = { ...inputsJs, ...unknowns };
          outputs = { ...inputs, ...unknowns };
        }
        outputSecretPaths = new Set(secretPaths);
        response.setId("");
      } else {
        const state = structValue(serializedState) as Record<string, unknown>;
        // A deployed azure-native resource keeps its output properties only (and its id), as its state does.
        outputsJs = (req.getCustom() ? deployedOutputs(req.getType(), state) : undefined) ?? state;
        outputs = unwrap(outputsJs, secrets, outputSecretPaths) as Record<string, unknown>;
      }
      // The engine makes each listed top-level output secret once the step has run (step_executor.go: "Ensure that
      // any secrets properties in the output are marked as such"; `id` never), inputs untouched.
      // The program gets them back as secrets too (the response carries the step's new state), so what it builds from
      // one (an app setting from a connection string) is a secret input in turn.
      const madeSecret = req
        .getAdditionalsecretoutputsList()
        .filter((k) => k !== "id" && Object.prototype.hasOwnProperty.call(outputs, k));
      for (const k of madeSecret) outputSecretPaths.add(k);
      const answered = madeSecret.length
        ? {
            ...outputsJs,
            ...Object.fromEntries(
              madeSecret
                .filter((k) => !isSecretValue(outputsJs[k]))
                .map((k) => [k, { [SECRET_SIG]: SECRET_SIG_VALUE, value: outputsJs[k] }]),
            ),
          }
        : outputsJs;
      response.getObject = () => asStruct(answered);
      const propertyDependencies: Record<string, string[]> = {};
      for (const [k, v] of req.getPropertydependenciesMap()?.entries() ?? []) propertyDependencies[k] = v.getUrnsList();
      const provider = req.getProvider();
      const timeouts = customTimeoutsOf(req.getCustomtimeouts());
      const record: ResourceRecord = {
        urn,
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        ...(req.getCustom() ? { id: response.getId() } : {}),
        ...(req.getParent() ? { parent: req.getParent() } : {}),
        dependencies: req.getDependenciesList(),
        propertyDependencies,
        inputs,
        outputs: req.getCustom() ? outputs : {},
        protect: req.getProtect(),
        ...(provider ? { provider } : {}),
        secretKeys: [...secretPaths],
        secretOutputKeys: [...outputSecretPaths],
        ignoreChanges: req.getIgnorechangesList(),
        replaceOnChanges: req.getReplaceonchangesList(),
        ...(req.getRetainondelete() ? { retainOnDelete: true } : {}),
        ...(timeouts ? { customTimeouts: timeouts } : {}),
        // Set when the program set it, true or false (source_eval.go: `DeleteBeforeReplaceDefined ||
        // DeleteBeforeReplace`), as the goal the CLI hands the policy pack keeps it.
        ...(req.getDeletebeforereplacedefined() || req.getDeletebeforereplace()
          ? { deleteBeforeReplace: req.getDeletebeforereplace() }
          : {}),
        ...(req.getAdditionalsecretoutputsList().length > 0
          ? { additionalSecretOutputs: req.getAdditionalsecretoutputsList() }
          : {}),
        ...aliasUrns(urn, req.getParent(), req.getType(), req.getName()),
        ...(req.getDeletedwith() ? { deletedWith: req.getDeletedwith() } : {}),
        ...(req.getReplaceWithList().length > 0 ? { replaceWith: req.getReplaceWithList() } : {}),
      };
      order.push(urn);
      records.set(urn, record);
      callback(null, response);
    } catch (err) {
      // The engine answers a duplicate's registration with nothing: it has bailed out of the deployment, and the
      // SDK sees its resource monitor shut down (runtime/resource.js reports nothing more); the run fails with it.
      if (err instanceof DuplicateUrn) return;
      callback(err as Error, undefined);
    }
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  let outputsRegistered = 0;
  monitor.registerResourceOutputs = (req, cb) => {
    outputsRegistered++;
    const urn = req.getUrn();
    const outputs = unwrap(req.getOutputs()?.toJavaScript() ?? {}, secrets) as Record<string, unknown>;
    const rec = records.get(urn);
    if (rec) records.set(urn, { ...rec, outputs });
    if (rec?.type === "pulumi:pulumi:Stack") stackOutputs = outputs;
    registerOutputs(req, cb);
  };

  forgetProjectModules(opts.root, opts.program);
  const onRejection = (reason: unknown) => {
    failures.push(reason);
    failed();
  };
  process.on("unhandledRejection", onRejection);
  // The SDK captures stack traces eagerly (a source position per resource, a debug trace per promise); building
  // them, and mapping them through source maps, was most of the offline preview's time. Neither is needed offline,
  // so they are off unless `debug` (--verbose) asks for full, mapped traces. The source position is captured by
  // `Resource.callsites`, which lifts the stack trace limit for it: it answers "no position" instead (the engine
  // only shows it in diagnostics; nothing recorded here, nor anything the policy pack sees, carries it). The debug
  // trace goes with the rest of the SDK's per-promise debugging labels (leanDebuggablePromise).
  const sourceMaps = process.sourceMapsEnabled;
  const stackTraceLimit = Error.stackTraceLimit;
  const resourceClass = pulumi.Resource as unknown as { callsites: () => unknown[] };
  const callsites = resourceClass.callsites;
  const debuggablePromise = debuggable.debuggablePromise;
  const transferProperties = rpc.transferProperties;
  const fromJavaScript = structPb.Struct.fromJavaScript;
  structPb.Struct.fromJavaScript = structStandIn(fromJavaScript);
  if (!opts.debug) {
    process.setSourceMapsEnabled(false);
    Error.stackTraceLimit = 0;
    resourceClass.callsites = () => [];
    if (!debuggable.debugPromiseLeaks) {
      // Its first call schedules the SDK's leak check at exit, which must stay: let the original make it.
      void debuggablePromise(Promise.resolve(), "offline preview");
      debuggable.debuggablePromise = leanDebuggablePromise;
      // The same condition: with the debugging labels, every Output is there to be reported as a leak.
      rpc.transferProperties = lazyTransferProperties(transferProperties);
    }
  }
  // The program runs until its stack's outputs are known (runInPulumiStack) and every outstanding registration
  // (resources whose inputs waited on other resources' outputs) has drained. Two ways it never gets there, both of
  // which end the CLI's Node process because its event loop empties:
  // - after an error in the program (an unhandled rejection: an apply that threw), what waits on the failed
  //   resource's outputs never registers; cmd/run/run.js has logged the error in its unhandledRejection handler and
  //   lets the loop run out. Here the run ends once the program has gone quiet after its first error: no
  //   registration, outputs or invoke for five 20 ms timer turns (quiet);
  // - a program that never errs but waits on a promise that never settles; the SDK's check at exit fails the run
  //   with its leaked-promises error. Here the run ends once the program has done nothing for `stallMs` (STALL_MS).
  const activity = () => records.size + invokes.length + outputsRegistered;
  const stallMs = opts.stallMs ?? STALL_MS;
  const stall = watchStall(activity, stallMs);
  const warn = console.warn;
  if (opts.quietWarnings)
    console.warn = (...a: unknown[]) => {
      if (!(typeof a[0] === "string" && a[0].startsWith("warning: [runtime] "))) warn(...a);
    };
  try {
    const program = (async () => {
      await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
          const own = declaredAliases(args.opts.aliases, (r) => urnOfResource(r, opts.stack, opts.project));
          if (own.length > 0) aliasesByName.set(`${args.type}::${args.name}`, own);
          return withoutAliases(args);
        });
        return require(opts.program);
      });
      await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    })();
    // An abandoned run's program may still fail later, with nobody left to hear it.
    program.catch(() => undefined);
    try {
      await Promise.race([
        program,
        firstFailure.then(() => quiet(activity)),
        stall.idle.then(() => void failures.push(stalledError(stallMs))),
      ]);
    } finally {
      stall.stop();
    }
    // Node reports a rejection once the microtask queue has drained: the last registration's own failure (an apply
    // of a resource nothing waits on) is reported after waitForRPCs has resolved, so give it that turn.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    console.warn = warn;
    process.off("unhandledRejection", onRejection);
    process.setSourceMapsEnabled(sourceMaps);
    Error.stackTraceLimit = stackTraceLimit;
    resourceClass.callsites = callsites;
    debuggable.debuggablePromise = debuggablePromise;
    rpc.transferProperties = transferProperties;
    structPb.Struct.fromJavaScript = fromJavaScript;
  }
  if (failures.length > 0) {
    // The run is abandoned, as the CLI's process ends: what waited on the failed resource never settles, and the
    // SDK's check at exit would report those promises as leaked by the tool (runs are serialised: none are another's).
    sdkState.getStore().leakCandidates.clear();
    throw programFailure(failures);
  }
  return {
    project: opts.project,
    stack: opts.stack,
    resources: order.map((u) => records.get(u) as ResourceRecord),
    stackOutputs,
    invokes,
    secrets,
  };
}
