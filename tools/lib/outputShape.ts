/**
 * The output shape of an azure-native resource, as the provider returns it. azure-native's state holds the response's
 * properties only: the inputs that are part of the resource's path (`resourceGroupName`, a parent's name such as
 * `serverName`, `scope`, a diagnostic setting's `resourceUri`...) and write-only inputs are not outputs
 * (pulumi/pulumi-azure-native#574), and nested objects take their response type's shape (an ARM deployment's
 * `properties` has no `template`). During a preview its Create answers `PreviewOutputs`: every response property
 * takes the input of the same name, mapped into the response type's shape (typed objects property by property,
 * arrays item by item, maps value by value, unions and `Any` as they are, a primitive only when its type matches),
 * or is unknown (provider/pkg/convert/previewOutputs.go, called from Create when `req.GetPreview()`). Stack policies
 * see those outputs ("Unlike Analyze, AnalyzeStack is called on the final outputs of each resource": pulumi/pulumi
 * pkg/resource/deploy/step_generator.go, AnalyzeResources), so the offline engine gives them the same shape.
 *
 * The shapes come from the installed SDK's declarations: the class's `readonly x: pulumi.Output<T>` members and the
 * `outputs.<module>.<Type>` interfaces of types/output.d.ts. Reading that 9 MB file costs ~0.2 s, so each resource
 * type's shape is kept in node_modules/.cache/output-shape/<sdk version>-<this module's hash>/ once computed. Providers bridged from
 * Terraform (azuread, random) echo every input, so they keep the echo.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
// The engine's values module (tools/lib/engine/values.ts) imports nothing of this one: no cycle.
import { SECRET_SIG, SECRET_SIG_VALUE } from "./engine/values";

/** A property's shape in the outputs. */
export type Shape =
  | { readonly kind: "object"; readonly props: Readonly<Record<string, Shape>> }
  | { readonly kind: "array"; readonly item: Shape }
  | { readonly kind: "map"; readonly value: Shape }
  | { readonly kind: "string" | "number" | "boolean" }
  /** A discriminator the response always carries (`kind: "Scheduled"`): the provider answers it whatever the input. */
  | { readonly kind: "const"; readonly value: string }
  /** A union, `any` or anything not modelled: the value as it is. */
  | { readonly kind: "any" };

const SDK = path.dirname(require.resolve("@pulumi/azure-native/package.json"));
const SDK_VERSION = (JSON.parse(fs.readFileSync(path.join(SDK, "package.json"), "utf8")) as { version: string })
  .version;
/**
 * This module's own source decides the shapes it derives (and their format): its hash is part of the cache's folder,
 * so a changed derivation never reads a shape an earlier one wrote (a cache restored in CI, or a developer's own).
 */
const DERIVATION = crypto.createHash("sha256").update(fs.readFileSync(__filename)).digest("hex").slice(0, 12);
export const SHAPE_CACHE_DIR = path.resolve(
  __dirname,
  "..",
  "..",
  "node_modules",
  ".cache",
  "output-shape",
  `${SDK_VERSION}-${DERIVATION}`,
);
const ANY: Shape = { kind: "any" };
const memo = new Map<string, Shape | undefined>();

// ---------------------------------------------------------------------------------------------------------------
// Reading the SDK's declarations
// ---------------------------------------------------------------------------------------------------------------

/** The SDK file of an azure-native type token (`azure-native:sql:Database` → sql/database), without extension. */
function classFile(token: string): string | undefined {
  const [, module, name] = token.split(":");
  if (!module || !name || !/^[a-z0-9]+$/i.test(module)) return undefined;
  const dir = path.join(SDK, module);
  const marker = `__pulumiType = '${token}'`;
  const holds = (base: string) => {
    try {
      return fs.readFileSync(`${base}.js`, "utf8").includes(marker) ? base : undefined;
    } catch {
      return undefined;
    }
  };
  const found = holds(path.join(dir, `${name[0].toLowerCase()}${name.slice(1)}`));
  if (found) return found;
  // Acronym-named classes (ASCDataConnector → ascdataConnector.js).
  let files: string[];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  const file = files.find((f) => f.toLowerCase() === `${name.toLowerCase()}.js`);
  return file ? holds(path.join(dir, file.slice(0, -3))) : undefined;
}

/** Splits `text` at `sep` where no bracket is open. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ("([{<".includes(c)) depth++;
    else if (")]}>".includes(c) && !(c === ">" && text[i - 1] === "=")) depth--;
    else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const stripComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "");

/** `name?: type` members of an interface body, as name → type text. */
function members(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const member of splitTop(stripComments(body), ";")) {
    const m = /^\s*(?:readonly\s+)?(\w+)\??\s*:\s*([\s\S]+)$/.exec(member);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

/** types/output.d.ts, indexed by `<module>.<Interface>` (read once, only when a shape is not cached). */
let outputTypes: { text: string; at: Map<string, number> } | undefined;
function outputInterface(ref: string): Record<string, string> | undefined {
  if (!outputTypes) {
    const text = fs.readFileSync(path.join(SDK, "types", "output.d.ts"), "utf8");
    const at = new Map<string, number>();
    const re = /^export declare namespace (\w+) \{|^ {4}(?:export )?interface (\w+) \{/gm;
    let ns = "";
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m[1]) ns = m[1];
      else at.set(`${ns}.${m[2]}`, m.index + m[0].length - 1);
    }
    outputTypes = { text, at };
  }
  const open = outputTypes.at.get(ref);
  if (open === undefined) return undefined;
  // Generated declarations close an interface at its own indentation.
  const close = outputTypes.text.indexOf("\n    }\n", open);
  return members(outputTypes.text.slice(open + 1, close < 0 ? undefined : close));
}

/** The shape of a declared type (`outputs.storage.NetworkRuleSetResponse[] | undefined`, `{[key: string]: string}`). */
function shapeOf(type: string, depth: number, seen: ReadonlySet<string>): Shape {
  const parts = splitTop(type.trim(), "|")
    .map((p) => p.trim())
    .filter((p) => p !== "undefined" && p !== "null" && p.length > 0);
  if (parts.length !== 1) return parts.every((p) => /^"[^"]*"$/.test(p)) ? { kind: "string" } : ANY;
  const t = parts[0];
  const literal = /^"([^"]*)"$/.exec(t);
  if (literal) return { kind: "const", value: literal[1] };
  if (t.endsWith("[]")) return { kind: "array", item: shapeOf(t.slice(0, -2), depth, seen) };
  if (t.startsWith("(") && t.endsWith(")")) return shapeOf(t.slice(1, -1), depth, seen);
  const map = /^\{\s*\[\w+:\s*string\]:\s*([\s\S]+?);?\s*\}$/.exec(t);
  if (map) return { kind: "map", value: shapeOf(map[1], depth, seen) };
  if (t === "string") return { kind: "string" };
  if (t === "number" || t === "boolean") return { kind: t };
  const ref = /^outputs\.(\w+(?:\.\w+)*)$/.exec(t);
  if (ref && depth < 12 && !seen.has(ref[1])) {
    const body = outputInterface(ref[1]);
    if (!body) return ANY;
    const inner = new Set(seen).add(ref[1]);
    return {
      kind: "object",
      props: Object.fromEntries(Object.entries(body).map(([k, v]) => [k, shapeOf(v, depth + 1, inner)])),
    };
  }
  return ANY;
}

/** The class's output members and their shapes (undefined when the SDK has no such class). */
function computeShape(token: string): Shape | undefined {
  const base = classFile(token);
  if (!base) return undefined;
  const dts = fs.readFileSync(`${base}.d.ts`, "utf8");
  const props: Record<string, Shape> = {};
  // `    readonly x: pulumi.Output<T>;`, T possibly over several lines (an inline map type).
  const re = /^ {4}readonly (\w+): pulumi\.Output<([\s\S]*?)>;$/gm;
  for (let m = re.exec(dts); m; m = re.exec(dts)) props[m[1]] = shapeOf(m[2], 0, new Set());
  return { kind: "object", props };
}

/**
 * The output shape of an azure-native resource type (an object shape whose props are its outputs), or undefined for
 * any other provider (or a type the SDK does not have), whose outputs echo the inputs.
 */
export function outputShape(token: string): Shape | undefined {
  if (memo.has(token)) return memo.get(token);
  const shape = cachedShape(token);
  memo.set(token, shape);
  return shape;
}

/** The cache file of a type's shape in `dir`. */
export const shapeCacheFile = (token: string, dir = SHAPE_CACHE_DIR) =>
  path.join(dir, `${token.replace(/[^\w-]+/g, "_")}.json`);

/**
 * A type's shape from the cache directory, or computed from the SDK and written there (a missing, unreadable or
 * invalid file is recomputed). Not memoised: `outputShape` is.
 */
export function cachedShape(token: string, dir = SHAPE_CACHE_DIR): Shape | undefined {
  if (!token.startsWith("azure-native:")) return undefined;
  const file = shapeCacheFile(token, dir);
  try {
    const cached = JSON.parse(fs.readFileSync(file, "utf8")) as Shape | null;
    if (cached?.kind === "object") return cached;
  } catch {
    // not cached yet, or unreadable: computed below
  }
  const shape = computeShape(token);
  if (shape) writeAtomically(file, JSON.stringify(shape));
  return shape;
}

/** Writes a cache file atomically (concurrent runs never read half a file); a read-only cache only costs speed. */
function writeAtomically(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch {
    // not writable: computed again next time
  }
}

/** The output property names of an azure-native resource type, or undefined for other providers. */
export function outputNames(token: string): ReadonlySet<string> | undefined {
  const shape = outputShape(token);
  return shape?.kind === "object" ? new Set(Object.keys(shape.props)) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Shaping values
// ---------------------------------------------------------------------------------------------------------------

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** Pulumi's secret envelope (`{ <sig>: <secret sig>, value }`): the provider shapes the value inside it. */
const isSecret = (v: unknown): v is Record<string, unknown> => isPlainObject(v) && v[SECRET_SIG] === SECRET_SIG_VALUE;
function inSecret<T>(v: Record<string, unknown>, shape: (inner: T) => T): T {
  return { ...v, value: shape(v.value as T) } as T;
}

/** A value during a preview, as previewOutputValue maps it (unknown where the input does not fit the shape). */
function previewValue<T>(value: T, shape: Shape, unknown: T): T {
  // previewOutputValue answers a constant first, whatever the input (known, unknown or absent).
  if (shape.kind === "const") return shape.value as T;
  if (isSecret(value)) return inSecret<T>(value, (inner) => previewValue(inner, shape, unknown));
  if (value === unknown) return unknown;
  switch (shape.kind) {
    case "any":
      return value;
    case "string":
    case "number":
    case "boolean":
      return typeof value === shape.kind ? value : unknown;
    case "array":
      return Array.isArray(value) ? (value.map((v) => previewValue(v as T, shape.item, unknown)) as T) : unknown;
    case "map":
      return isPlainObject(value)
        ? (Object.fromEntries(
            Object.entries(value).map(([k, v]) => [k, previewValue(v as T, shape.value, unknown)]),
          ) as T)
        : unknown;
    case "object":
      return isPlainObject(value)
        ? (Object.fromEntries(
            Object.entries(shape.props).map(([k, s]) => [
              k,
              k in value || s.kind === "const" ? previewValue(value[k] as T, s, unknown) : unknown,
            ]),
          ) as T)
        : unknown;
  }
}

/** A deployed value: the input's shape reduced to the response type's properties (nothing made unknown). */
function deployedValue<T>(value: T, shape: Shape): T {
  if (isSecret(value)) return inSecret<T>(value, (inner) => deployedValue(inner, shape));
  if (shape.kind === "array" && Array.isArray(value)) return value.map((v) => deployedValue(v as T, shape.item)) as T;
  if (shape.kind === "map" && isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deployedValue(v as T, shape.value)])) as T;
  }
  if (shape.kind === "object" && isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k in shape.props)
        .map(([k, v]) => [k, deployedValue(v as T, shape.props[k])]),
    ) as T;
  }
  return value;
}

/**
 * The outputs an azure-native Create returns during a preview (`PreviewOutputs`): each output property takes the
 * input of the same name in the response type's shape, every other one is `unknown`; inputs that are not outputs
 * are dropped. Undefined for other providers (they echo the inputs).
 */
export function previewOutputs<T>(
  token: string,
  inputs: Readonly<Record<string, T>>,
  unknown: T,
): Record<string, T> | undefined {
  const shape = outputShape(token);
  if (shape?.kind !== "object") return undefined;
  return Object.fromEntries(
    Object.entries(shape.props).map(([k, s]) => [
      k,
      k in inputs || s.kind === "const" ? previewValue(inputs[k], s, unknown) : unknown,
    ]),
  );
}

/** The outputs of a deployed azure-native resource: its output properties in their response shape, and its `id`. */
export function deployedOutputs<T>(token: string, state: Readonly<Record<string, T>>): Record<string, T> | undefined {
  const shape = outputShape(token);
  if (shape?.kind !== "object") return undefined;
  return Object.fromEntries(
    Object.entries(state)
      .filter(([k]) => k in shape.props || k === "id")
      .map(([k, v]) => [k, k === "id" ? v : deployedValue(v, shape.props[k])]),
  );
}
