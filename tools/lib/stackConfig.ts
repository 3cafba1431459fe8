/**
 * Reads a stack's configuration the way the Pulumi CLI does before it starts the program, without the CLI:
 * the project's `config:` block is validated, its defaults are applied to the keys the stack does not set, and the
 * stack's values are checked against the declared types and secrecy. Where the CLI refuses to run
 * `pulumi preview`/`up`, this loader throws a StackConfigError: in the CLI's words for the stack's values
 * ("validating stack config: …", "getting stack configuration: could not unmarshal map: …"), in its own for the
 * project file (the CLI reports those through its JSON-schema validator, `could not validate '<path>': …`).
 * tests/stackConfig.spec.ts holds each case. Not imitated, and refused instead: path keys in `Pulumi.yaml`, and Pulumi
 * ESC `environment:` imports (they need a Pulumi Cloud login).
 *
 * The rules, and where they live in pulumi/pulumi (sdk/go/common/workspace, CLI >= 3.202, which `Pulumi.yaml`
 * requires: before 3.202.0, `mergeConfig` skipped the checks for keys that took a default and checked types before
 * reporting missing keys; `validateStackConfigValues` came with pulumi/pulumi#20674):
 * - project.go `RewriteShorthandConfigValues`: a plain value under `config:` is a `default` for a project key and a
 *   `value` for another namespace's key.
 * - project.go `(*Project).Validate` and the JSON schema project.json (`configTypeDeclaration`): `type` is one of
 *   string, integer, boolean, array, object (object since 3.186); an array declares `items`; `default` and
 *   `value` are exclusive; a typed default must have its type; other namespaces take a `value` only.
 * - config.go `mergeConfig`: a declared key of the project's namespace with neither `default` nor `value` that the
 *   stack does not set is missing; all missing keys fail together ("Stack 'dev' is missing configuration values
 *   'a' and 'b'", sorted, `formatMissingKeys`); otherwise the default is written into the stack config.
 * - config.go `validateStackConfigValues`/`validateStackConfigValue`: for every typed key in sorted order, a
 *   `secret: true` key whose value is not `secure:` fails ("must be encrypted as it's secret"), including a key
 *   that took its plaintext default; then the value must have the declared type (project.go
 *   `ValidateConfigValue`): scalar stack values are text, so an integer is text `strconv.Atoi` accepts and a
 *   boolean is "true"/"false"; arrays and objects are checked item by item. The first failure stops.
 * - The CLI wraps both in "validating stack config: …" (pkg/cmd/pulumi/operations/preview.go and up.go).
 *
 * The files are read as go-yaml v3 reads them (tools/lib/goYaml.ts: leading-zero octals, `_` in numbers, `<<` merges).
 *
 * What the program then receives: strings as they are, other scalars as their JSON text, lists and maps as JSON
 * with their keys sorted, as Go writes a map (config/object.go `MarshalString`, plaintext.go `marshalText`:
 * tools/lib/goJson.ts). `secure:` values cannot be decrypted offline: they become placeholders
 * marked secret. Their declared type cannot be checked either (the CLI checks the decrypted text): a secure value
 * passes the type check here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { GoYamlError, parseGoYaml } from "./goYaml";
import { GoJsonError, goJson } from "./goJson";

export interface StackConfig {
  readonly project: string;
  readonly stack: string;
  /** `<namespace>:<key>` → string value. */
  readonly config: Record<string, string>;
  /** Keys whose values are secret. */
  readonly secretKeys: string[];
  /** What the CLI warns about while loading the stack (printed as `warning: …`). */
  readonly warnings: string[];
  /**
   * The stack's tags for the policy pack: project name, runtime and description, and the `pulumi:tags` config object
   * (pkg/backend/stack.go `GetEnvironmentTagsForCurrentStack` computes these). The CLI's analyzer gets the stack's
   * tags as the backend holds them instead (engine/update.go `Tags: target.Tags`): set from the environment at
   * `stack init` (without `pulumi:tags`), merged with it at each update (httpstate/backend.go `GetMergedStackTags`),
   * with the `vcs:*` tags of the git remote and any set in the console. No rule of the pack reads them.
   */
  readonly tags: Record<string, string>;
}

export class StackConfigError extends Error {
  override name = "StackConfigError";
}

/** Placeholder given to the program for a `secure:` value. */
export function secretPlaceholder(key: string): string {
  return `https://secret.invalid/${encodeURIComponent(key)}`;
}

/** The config types a project may declare (project.json `simpleConfigType`). */
export const CONFIG_TYPES = ["string", "integer", "boolean", "array", "object"] as const;
/** The attributes a typed declaration may have (project.json `configTypeDeclaration`, additionalProperties false). */
const DECLARATION_ATTRIBUTES = ["type", "items", "description", "secret", "default", "value"];

export interface ConfigItemsType {
  readonly type: string;
  readonly items?: ConfigItemsType;
}

/** One entry of the project's `config:` block, after the shorthand rewrite. */
export interface ProjectConfigType {
  readonly type?: string;
  readonly items?: ConfigItemsType;
  readonly description?: string;
  readonly default?: unknown;
  readonly value?: unknown;
  readonly secret?: boolean;
}

/** A stack config value as the CLI holds it (config.Value): its text, and whether it is secure or structured. */
export interface StackValue {
  readonly text: string;
  readonly secure: boolean;
  readonly object: boolean;
}

/** Reads a YAML file; errors name it as `shown` (a stack file given on the command line: its path as given). */
function readYaml(file: string, shown = path.basename(file)): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new StackConfigError(`${path.basename(file)} not found in ${path.dirname(file)}`);
  try {
    // go-yaml v3's reading, as the CLI's (tools/lib/goYaml.ts), not YAML 1.2's: `0365`, `1_024` and `<<` differ.
    return (parseGoYaml(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof GoYamlError) throw new StackConfigError(`${shown}: ${e.message}`);
    throw new StackConfigError(`${shown} is not valid YAML: ${(e as Error).message}`);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A `secure:` value (config/object.go `isSecureValue`: a map of the one key `secure` whose value is a string). */
const isSecure = (v: unknown): boolean =>
  isPlainObject(v) && Object.keys(v).length === 1 && typeof v.secure === "string";

/** Whether a structured value holds a `secure:` leaf (config/object.go `Secure`). */
function holdsSecure(v: unknown): boolean {
  if (isSecure(v)) return true;
  if (Array.isArray(v)) return v.some(holdsSecure);
  if (isPlainObject(v)) return Object.values(v).some(holdsSecure);
  return false;
}

/** Replaces `secure:` leaves by the key's placeholder (the program cannot get the plaintext offline). */
function withPlaceholders(v: unknown, key: string): unknown {
  if (isSecure(v)) return secretPlaceholder(key);
  if (Array.isArray(v)) return v.map((x) => withPlaceholders(x, key));
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withPlaceholders(x, key)]));
  return v;
}

/** A YAML value of the stack file as the CLI stores it (config/object.go `MarshalString`). */
export function stackValue(raw: unknown, key: string): StackValue {
  if (typeof raw === "string") return { text: raw, secure: false, object: false };
  // bool, int64, uint64, float64: their JSON text (`.nan` and `.inf` refused as json.Marshal refuses them).
  if (typeof raw === "number" || typeof raw === "bigint" || typeof raw === "boolean")
    return { text: goJson(raw), secure: false, object: false };
  if (isSecure(raw)) return { text: secretPlaceholder(key), secure: true, object: false };
  // Lists, maps and null are structured: JSON text, secure when any leaf is.
  return { text: goJson(withPlaceholders(raw ?? null, key)), secure: holdsSecure(raw), object: true };
}

/**
 * Whether Go takes this YAML number as an integer where `ValidateConfigValue` and `isPrimitiveValue` ask: any whole
 * number (go-yaml's `int`, or a whole float64 such as `1e3`, which the CLI's type check accepts too, though
 * `createConfigValue` writes it as JSON text: the same text), or a bigint within int64 (a uint64 beyond it is neither).
 */
const isGoInt = (v: unknown): boolean =>
  (typeof v === "number" && Number.isInteger(v)) || (typeof v === "bigint" && v >= -(2n ** 63n) && v < 2n ** 63n);

/** `strconv.Atoi`: an optional sign and decimal digits, within int64. */
function atoi(text: string): boolean {
  if (!/^[+-]?\d+$/.test(text)) return false;
  const n = BigInt(text);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/** project.go `ValidateConfigValue`: does `value` have the declared type? */
export function validateConfigValue(
  type: string,
  items: ConfigItemsType | undefined,
  value: unknown,
  unknownLeaf?: string,
): boolean {
  // A `secure:` leaf of a structured value: the CLI checks its decrypted value (config.go `stackValue.Value(dec)`),
  // unknown offline, so it passes any scalar type, as a secure scalar does.
  if (unknownLeaf !== undefined && value === unknownLeaf && type !== "object" && type !== "array") return true;
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return isGoInt(value) || (typeof value === "string" && atoi(value));
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "object":
      return isPlainObject(value);
    default:
      if (!Array.isArray(value) || !items) return false;
      return value.every((item) => validateConfigValue(items.type, items.items, item, unknownLeaf));
  }
}

/** project.go `InferFullTypeName`: `array<string>`, `array<array<integer>>`, … */
export function fullTypeName(type: string, items?: ConfigItemsType): string {
  return items ? `array<${fullTypeName(items.type, items.items)}>` : type;
}

/** config.go `formatMissingKeys`. */
export function formatMissingKeys(keys: readonly string[]): string {
  if (keys.length === 1) return `'${keys[0]}'`;
  const sorted = [...keys].sort();
  return sorted
    .map((k, i) => (i === sorted.length - 1 ? `and '${k}'` : i === sorted.length - 2 ? `'${k}' ` : `'${k}', `))
    .join("");
}

/**
 * What the CLI puts before an error of the stack file's `config` map: `pulumi preview`/`up` wrap
 * `GetStackConfiguration`'s error in "getting stack configuration: " (pkg/cmd/pulumi/operations/preview.go), and
 * config/map.go `(*Map).UnmarshalYAML` wraps a key's or a value's in "could not unmarshal map: ".
 */
const STACK_FILE_ERROR = "getting stack configuration: could not unmarshal map: ";

const namespacedByProject = (project: string, key: string) => !key.includes(":") || key.startsWith(`${project}:`);

/**
 * A stack file's key as the CLI reads it: a key without a namespace is the project's (loaders.go
 * `stackConfigNamespacedWithProject`), then config/key.go `ParseKey`: `<namespace>:<name>`, or the old
 * `<namespace>:config:<name>` form, which means `<namespace>:<name>`; anything else is refused.
 */
export function stackConfigKey(project: string, key: string): string {
  const namespaced = key.includes(":") ? key : `${project}:${key}`;
  const parts = namespaced.split(":");
  if (parts.length === 2) return namespaced;
  if (parts.length === 3 && parts[1] === "config") return `${parts[0]}:${parts[2]}`;
  throw new StackConfigError(
    `${STACK_FILE_ERROR}could not parse ${namespaced} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`,
  );
}

/**
 * loaders.go `checkForEmptyConfig`: a top-level key with no value is read as "" and warned about (keys sorted here;
 * the CLI lists them in map order).
 */
export function emptyConfigWarning(keys: readonly string[]): string | undefined {
  if (keys.length === 0) return undefined;
  const quoted = keys.map((k) => `"${k}"`);
  const keyString = quoted.length === 2 ? quoted.join(" and ") : quoted.join(", ");
  const s = keys.length > 1 ? "s" : "";
  return (
    `No value for configuration key${s} ${keyString}. This is currently treated as an empty string \`""\`, ` +
    `but will be treated as \`null\` in a future version of pulumi.\nSet the value${s} to \`""\` to avoid this warning.`
  );
}
const fullKey = (project: string, key: string) => (key.includes(":") ? key : `${project}:${key}`);

/**
 * The project's `config:` block, shorthand rewritten and validated like `(*Project).Validate` and the project
 * schema. Throws on the first problem.
 */
export function projectConfigTypes(project: string, block: unknown): Record<string, ProjectConfigType> {
  if (block === undefined || block === null) return {};
  if (!isPlainObject(block)) throw new StackConfigError("Pulumi.yaml: `config` must be a map of keys to declarations");
  const out: Record<string, ProjectConfigType> = {};
  for (const [key, decl] of Object.entries(block)) {
    if (key.replace(/^[^:]*:/, "").includes(".")) {
      // The CLI reads such a key as a path into a structured value; this loader does not imitate that.
      throw new StackConfigError(`Pulumi.yaml: config '${key}': path keys are not supported by the offline loader`);
    }
    // The project schema (project.json `config`) takes a string, an integer, a boolean, a list or a declaration.
    const shorthand =
      typeof decl === "string" ||
      typeof decl === "boolean" ||
      Number.isInteger(decl) ||
      typeof decl === "bigint" ||
      Array.isArray(decl);
    if (!shorthand && !isPlainObject(decl)) {
      throw new StackConfigError(
        `Pulumi.yaml: config '${key}': ${JSON.stringify(decl)} is not a string, an integer, a boolean, a list or a declaration`,
      );
    }
    // RewriteShorthandConfigValues: scalars and lists are a default (project key) or a value (other namespace).
    if (!isPlainObject(decl)) {
      out[key] = namespacedByProject(project, key) ? { default: decl } : { value: decl };
      continue;
    }
    const unknown = Object.keys(decl).filter((a) => !DECLARATION_ATTRIBUTES.includes(a));
    if (unknown.length > 0) {
      throw new StackConfigError(
        `Pulumi.yaml: config '${key}': attribute '${unknown[0]}' not allowed (allowed: ${DECLARATION_ATTRIBUTES.join(", ")})`,
      );
    }
    const t = decl as ProjectConfigType;
    if (t.type !== undefined && !(CONFIG_TYPES as readonly unknown[]).includes(t.type)) {
      throw new StackConfigError(
        `Pulumi.yaml: config '${key}': type '${String(t.type)}' is not one of ${CONFIG_TYPES.join(", ")}`,
      );
    }
    if (t.default !== undefined && t.default !== null && t.value !== undefined && t.value !== null) {
      throw new StackConfigError(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
    }
    if (namespacedByProject(project, key)) {
      if (t.type === "array" && !t.items) {
        throw new StackConfigError(
          `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
        );
      }
      if (t.type !== undefined && t.default !== undefined && t.default !== null) {
        if (!validateConfigValue(t.type, t.items, t.default)) {
          throw new StackConfigError(
            `The default value specified for configuration key '${key}' is not of the expected type '${fullTypeName(t.type, t.items)}'`,
          );
        }
      }
    } else {
      if (t.type !== undefined) {
        throw new StackConfigError(
          `Configuration key '${key}' is not namespaced by the project and should not define a type`,
        );
      }
      if (t.default !== undefined && t.default !== null) {
        throw new StackConfigError(
          `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`,
        );
      }
      if (t.value === undefined || t.value === null) {
        throw new StackConfigError(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
      }
    }
    out[key] = t;
  }
  return out;
}

/**
 * A default or value written into the stack config (config.go `createConfigValue`): a string, an `int` or a bool as
 * text (`isPrimitiveValue`), anything else, a uint64 included, as JSON.
 */
function projectValue(v: unknown, key: string): StackValue {
  if (typeof v === "string" || typeof v === "boolean" || isGoInt(v)) {
    return { text: String(v), secure: false, object: false };
  }
  return { text: goJson(withPlaceholders(v, key)), secure: false, object: true };
}

/**
 * config.go `mergeConfig` + `validateStackConfigValues`: applies the project's defaults and values to the stack's
 * values and checks them; returns the merged values by full key. Throws the CLI's message.
 */
export function applyProjectConfig(
  project: string,
  stack: string,
  declared: Readonly<Record<string, ProjectConfigType>>,
  values: ReadonlyMap<string, StackValue>,
): Map<string, StackValue> {
  const merged = new Map(values);
  const missing: string[] = [];
  const keys = Object.keys(declared).sort();
  for (const key of keys) {
    const t = declared[key];
    const full = fullKey(project, key);
    const hasDefault = t.default !== undefined && t.default !== null;
    const hasValue = t.value !== undefined && t.value !== null;
    if (merged.has(full)) continue;
    if (!hasValue && !hasDefault && namespacedByProject(project, key)) {
      missing.push(key);
      continue;
    }
    try {
      merged.set(full, projectValue(hasDefault ? t.default : t.value, full));
    } catch (e) {
      if (e instanceof GoJsonError) throw new StackConfigError(`validating stack config: ${e.message}`);
      throw e;
    }
  }
  if (missing.length > 0) {
    const values = missing.length > 1 ? "values" : "value";
    throw new StackConfigError(
      `validating stack config: Stack '${stack}' is missing configuration ${values} ${formatMissingKeys(missing)}`,
    );
  }
  for (const key of keys) {
    const t = declared[key];
    if (t.type === undefined) continue;
    const v = merged.get(fullKey(project, key));
    if (!v) continue;
    if (t.secret && !v.secure) {
      throw new StackConfigError(
        `validating stack config: Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`,
      );
    }
    if (v.secure && !v.object) {
      // The decrypted text is unknown offline, but it is text: `validateStackConfigValue` JSON-decodes only an object
      // value, so a secure scalar never passes `object` or `array`, whatever it holds.
      if (t.type === "object" || t.type === "array")
        throw new StackConfigError(
          `validating stack config: Stack '${stack}' with configuration key '${key}' must be of type '${fullTypeName(t.type, t.items)}'`,
        );
      continue;
    }
    const content: unknown = v.object ? JSON.parse(v.text) : v.text;
    if (
      !validateConfigValue(t.type, t.items, content, v.secure ? secretPlaceholder(fullKey(project, key)) : undefined)
    ) {
      throw new StackConfigError(
        `validating stack config: Stack '${stack}' with configuration key '${key}' must be of type '${fullTypeName(t.type, t.items)}'`,
      );
    }
  }
  return merged;
}

/**
 * Loads `Pulumi.yaml` and `Pulumi.<stack>.yaml` (or `stackFile`) and applies the CLI's project-config rules. The
 * project is the Pulumi.yaml next to `stackFile` when there is one (a fixture project), else the one in `dir`.
 */
export function loadStackConfig(dir: string, stack: string, stackFile?: string): StackConfig {
  const projectDir =
    stackFile && fs.existsSync(path.join(path.dirname(stackFile), "Pulumi.yaml")) ? path.dirname(stackFile) : dir;
  const project = readYaml(path.join(projectDir, "Pulumi.yaml"));
  const name = project.name;
  if (typeof name !== "string" || name === "") throw new StackConfigError("Pulumi.yaml has no project name");
  // project.go `RewriteConfigPathIntoStackConfigDir`: the deprecated `config: <dir>` is the stack files' folder.
  if (typeof project.config === "string") {
    if ("stackConfigDir" in project)
      throw new StackConfigError(
        "Should not use both config and stackConfigDir to define the stack directory. Use only stackConfigDir instead.",
      );
    project.stackConfigDir = project.config;
    project.config = null;
  }
  const configDir =
    typeof project.stackConfigDir === "string" ? path.join(projectDir, project.stackConfigDir) : projectDir;
  const file = stackFile ?? path.join(configDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    if (stackFile) throw new StackConfigError(`stack file ${stackFile}: no such file`);
    const stacks = fs
      .readdirSync(configDir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => !!s);
    throw new StackConfigError(`unknown stack '${stack}': no ${path.basename(file)} (stacks: ${stacks.join(", ")})`);
  }
  const declared = projectConfigTypes(name, project.config);
  const shown = stackFile ?? path.basename(file);
  const stackYaml = readYaml(file, shown);
  // The project file given as the stack's: its config declarations would read as values.
  if (stackYaml.name !== undefined && stackYaml.runtime !== undefined)
    throw new StackConfigError(
      `${shown} is a project file (Pulumi.yaml: it has \`name\` and \`runtime\`), not a stack's settings (Pulumi.<stack>.yaml, a \`config\` map)`,
    );
  if (stackYaml.environment !== undefined && stackYaml.environment !== null) {
    // The CLI merges the imported Pulumi ESC environments' `pulumiConfig` into the stack's config; opening them needs
    // a Pulumi Cloud login, which the offline preview does not have.
    throw new StackConfigError(
      `${shown}: \`environment\` imports Pulumi ESC environments, which the offline preview cannot open: set the values the program needs in the stack file, or run \`pulumi preview\``,
    );
  }
  const raw = stackYaml.config ?? {};
  if (!isPlainObject(raw)) throw new StackConfigError(`${shown}: \`config\` must be a map`);
  // config/map.go `(*Map).UnmarshalYAML` reads every value, then parses every key: a value JSON cannot write fails
  // first. The CLI reads the values in the order of the file loaders.go re-marshals (namespaced keys, sorted by
  // go-yaml); sorted here by code unit, not by go-yaml's natural order (digit runs by value, other characters before
  // letters), which only decides which of several such values is named.
  for (const key of Object.keys(raw).sort((a, b) => (fullKey(name, a) < fullKey(name, b) ? -1 : 1))) {
    try {
      if (raw[key] !== null) stackValue(raw[key], key);
    } catch (e) {
      if (e instanceof GoJsonError) throw new StackConfigError(`${STACK_FILE_ERROR}${e.message}`);
      throw e;
    }
  }
  const values = new Map<string, StackValue>();
  const empty: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const full = stackConfigKey(name, key);
    if (value === null) {
      // Namespaced: the CLI checks the config map after stackConfigNamespacedWithProject rewrote it in place.
      empty.push(fullKey(name, key));
      values.set(full, { text: "", secure: false, object: false });
    } else values.set(full, stackValue(value, full));
  }
  const merged = applyProjectConfig(name, stack, declared, values);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, v] of merged) {
    config[key] = v.text;
    if (v.secure) secretKeys.push(key);
  }
  const warning = emptyConfigWarning(empty.sort());
  const runtime = isPlainObject(project.runtime) ? project.runtime.name : project.runtime;
  const tags: Record<string, string> = { "pulumi:project": name, "pulumi:runtime": String(runtime ?? "") };
  if (typeof project.description === "string") tags["pulumi:description"] = project.description;
  const configTags = merged.get("pulumi:tags");
  if (configTags) {
    const parsed: unknown = configTags.object ? JSON.parse(configTags.text) : undefined;
    if (!isPlainObject(parsed)) throw new StackConfigError("pulumi:tags must be an object of strings");
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== "string") throw new StackConfigError(`pulumi:tags[${k}] must be a string`);
      tags[k] = v;
    }
  }
  return { project: name, stack, config, secretKeys, warnings: warning ? [warning] : [], tags };
}
