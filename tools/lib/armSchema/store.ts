/**
 * The vendored ARM JSON schemas (github.com/Azure/azure-resource-manager-schemas, MIT): finding the file and
 * resource definition of an (ARM type, API version) pair, resolving `$ref`s, and draft-04 validators compiled
 * lazily, per resource definition and body shape, from only the definitions the body reaches, in only the files
 * in use. No network: every `$ref` resolves to a vendored file.
 *
 * Compiling is most of the check's cost, so each compiled validator is also kept as Ajv standalone code (the very
 * code Ajv generated and runs) in node_modules/.cache/arm-schema, keyed by the pruned schema's content and the Ajv
 * version and options: later runs load it instead of compiling, and do not load Ajv at all when every validator is
 * cached. A changed schema, shape or Ajv is a different key, so the cache cannot go stale.
 *
 * Loading and first running those validators was still most of the check (27 MB of generated code for prod), so the
 * verdict of a validator on a body is kept too (`verdict`): Ajv's answer is a function of the pruned schema, the Ajv
 * version and options (the validator's key) and the body alone, so a body already judged by the same validator gets
 * the recorded answer (valid, or the very error objects) without loading the validator.
 *
 * One level up, what the check found for a resource (its body, placed inputs, errors) is kept as well (`result`),
 * keyed by the resource's type, id and inputs and by everything else that decides it (`resultSalt`): a resource
 * already checked with the same inputs gets its result without its schema files being read or its body mapped.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { ErrorObject, Options, ValidateFunction } from "ajv";
import type { ArmScope } from "./identity";
import { prune, shapeOf } from "./prune";
import {
  ALL_SECTIONS,
  candidateFiles,
  definitionsOf,
  openDiscriminatedBase,
  SCHEMA_BASE,
  SECTIONS,
  stripExpression,
  type DefinitionRef,
  type Located,
  type Schema,
} from "./schemaDoc";

export const VENDOR_DIR = path.resolve(__dirname, "..", "..", "..", "vendor", "azure-resource-manager-schemas");
/** Pair (`type@version`) → older API version whose schema stands in, when Microsoft publishes none for it. */
export const FALLBACKS_FILE = "fallbacks.json";
/** Where compiled validators are kept between runs (see the header). */
export const VALIDATOR_CACHE_DIR = path.resolve(__dirname, "..", "..", "..", "node_modules", ".cache", "arm-schema");

/** Formats the schemas use; others (int32, ...) are annotations only. */
const FORMATS = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  // The offset is optional: services take local times where a time zone is given beside them, e.g. a Data Factory
  // schedule trigger outside UTC takes `yyyy-MM-ddTHH:mm:ss` without `Z` (Microsoft's "Time zone and daylight saving
  // support for schedule trigger", techcommunity.microsoft.com, azure-data-factory-blog).
  "date-time": /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i,
};

/** The Ajv options of every validator (draft-04 through ajv-draft-04). */
const AJV_OPTIONS: Options = {
  allErrors: true,
  validateSchema: false,
  // Code generation is most of the check's time; optimising the small generated code costs more than it saves.
  code: { optimize: false, source: true },
  messages: false, // check.ts words every error itself
  strict: false,
  logger: false,
  formats: FORMATS,
};

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string })
      .version;
  } catch {
    return "?";
  }
}

/** This module's own source: how it hands a schema to Ajv and keeps and loads the standalone code. */
function ownSource(): string {
  try {
    return crypto.createHash("sha256").update(fs.readFileSync(__filename)).digest("hex");
  } catch {
    return "arm-schema/1"; // compiled without its .ts source: one key per Ajv and options, as before
  }
}

/**
 * Everything besides the schema that decides the generated code and how it is kept: Ajv and its options, and this
 * module's source (a changed way of building or loading a validator never reads one an earlier version wrote, a
 * restored cache included).
 */
export const CACHE_SALT = JSON.stringify([
  ownSource(),
  packageVersion("ajv"),
  packageVersion("ajv-draft-04"),
  { ...AJV_OPTIONS, formats: Object.entries(FORMATS).map(([k, v]) => [k, String(v)]) },
]);

/** A validator's identity: the pruned schema, its JSON (the key) and the hash naming its cache files. */
interface ValidatorKey {
  readonly schema: Schema;
  readonly key: string;
  readonly hash: string;
}

/**
 * How many files the cache may hold before `trimCache` removes some (compiled validators of 10 to 400 KB, verdicts
 * under 2 KB: one prod preview of today's tree writes about 200 and 500), and how many it leaves.
 */
export const CACHE_LIMITS = { maxFiles: 4000, keepFiles: 3000, graceMs: 15 * 60 * 1000 } as const;

/** Past `maxFiles` files, the oldest are removed down to `keepFiles`, none written or used in the last `graceMs`. */
interface CacheLimits {
  readonly maxFiles: number;
  readonly keepFiles: number;
  readonly graceMs: number;
}

/** The loader (scripts/ts-run.cjs), whose `trimCacheDir` trims this cache too. */
const TS_RUN = path.resolve(__dirname, "..", "..", "..", "scripts", "ts-run.cjs");

/** Reads the vendored schemas; every file is parsed at most once per process. */
export class SchemaStore {
  private readonly docs = new Map<string, Schema>();
  private readonly dirs = new Map<string, string[]>();
  private readonly validators = new Map<string, ValidateFunction>();
  /** Per definition: the validator key (pruned schema) and its cache file hash, per body shape. */
  private readonly keys = new WeakMap<DefinitionRef, Map<string, ValidatorKey>>();
  private readonly definitions = new Map<string, DefinitionRef | undefined>();
  private readonly stripped = new WeakMap<Schema, Schema>();
  private readonly resolved = new WeakMap<Schema, Map<string, Located>>();
  private fallbackMap: Record<string, string> | undefined;
  private ajv: import("ajv").default | undefined;
  /** Cache files this store read or wrote: `trimCache` never removes them. */
  private readonly used = new Set<string>();
  private wrote = false;
  private resultSaltValue: string | undefined;

  /**
   * @param dir the vendored schemas
   * @param cacheDir where compiled validators are kept between runs; `false`: compile everything in memory
   */
  constructor(
    readonly dir: string = VENDOR_DIR,
    readonly cacheDir: string | false = VALIDATOR_CACHE_DIR,
  ) {}

  /** Files vendored for an API version. */
  filesOf(version: string): string[] {
    let list = this.dirs.get(version);
    if (!list) {
      const d = path.join(this.dir, "schemas", version);
      list = fs.existsSync(d) ? fs.readdirSync(d) : [];
      this.dirs.set(version, list);
    }
    return list;
  }

  /**
   * Pairs whose API version has no published schema, and the older published version that stands in for it
   * (chosen by schemas:vendor: the newest one declaring the type).
   */
  fallbacks(): Readonly<Record<string, string>> {
    if (!this.fallbackMap) {
      const file = path.join(this.dir, FALLBACKS_FILE);
      this.fallbackMap = fs.existsSync(file)
        ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>)
        : {};
    }
    return this.fallbackMap;
  }

  /** A vendored file, parsed. */
  doc(file: string): Schema {
    let d = this.docs.get(file);
    if (!d) {
      const full = path.join(this.dir, "schemas", file);
      if (!fs.existsSync(full)) throw new Error(`ARM schema file not vendored: schemas/${file}`);
      d = JSON.parse(fs.readFileSync(full, "utf8")) as Schema;
      this.docs.set(file, d);
    }
    return d;
  }

  /** The resource definition of a pair at a scope, or undefined when no vendored file declares it. */
  definition(armType: string, version: string, scope: ArmScope): DefinitionRef | undefined {
    const key = `${armType}@${version}@${scope}`;
    if (!this.definitions.has(key)) this.definitions.set(key, this.findDefinition(armType, version, scope));
    return this.definitions.get(key);
  }

  private findDefinition(armType: string, version: string, scope: ArmScope): DefinitionRef | undefined {
    const namespace = armType.split("/")[0];
    const found: DefinitionRef[] = [];
    for (const name of candidateFiles(this.filesOf(version), namespace)) {
      const file = `${version}/${name}`;
      for (const d of definitionsOf(this.doc(file), armType)) found.push({ file, version, ...d });
    }
    const fallback = this.fallbacks()[`${armType}@${version}`];
    if (found.length === 0 && fallback) return this.definition(armType, fallback, scope);
    const order = [...SECTIONS[scope], ...ALL_SECTIONS];
    found.sort((a, b) => order.indexOf(a.section) - order.indexOf(b.section));
    return found[0];
  }

  /**
   * Follows `$ref`s (local to `file` or to another vendored file) until a schema without one, and drops its
   * expression alternatives.
   */
  resolve(node: Located): Located {
    if (typeof node.schema.$ref !== "string") return this.stripOf(node);
    // A `$ref` node resolves the same wherever it is reached from (its file is the one it sits in).
    let byFile = this.resolved.get(node.schema);
    if (!byFile) this.resolved.set(node.schema, (byFile = new Map()));
    let r = byFile.get(node.file);
    if (!r) byFile.set(node.file, (r = this.stripOf(this.follow(node))));
    return r;
  }

  private stripOf(r: Located): Located {
    let stripped = this.stripped.get(r.schema);
    if (!stripped) {
      stripped = openDiscriminatedBase(stripExpression(r.schema));
      this.stripped.set(r.schema, stripped);
    }
    return stripped === r.schema ? r : { ...r, schema: stripped };
  }

  private follow(node: Located): Located {
    let cur = node;
    for (let i = 0; i < 50 && typeof cur.schema.$ref === "string"; i++) {
      const ref = cur.schema.$ref;
      const [uri, pointer = ""] = ref.split("#");
      const file = uri === "" ? cur.file : uri.startsWith(SCHEMA_BASE) ? uri.slice(SCHEMA_BASE.length) : undefined;
      if (!file) throw new Error(`unsupported $ref '${ref}' in schemas/${cur.file}`);
      let target: unknown = this.doc(file);
      for (const seg of pointer.split("/").filter(Boolean))
        target = (target as Schema | undefined)?.[seg.replace(/~1/g, "/").replace(/~0/g, "~")];
      if (!target || typeof target !== "object") throw new Error(`unresolved $ref '${ref}' in schemas/${cur.file}`);
      cur = { schema: target as Schema, file, ref: `${file.split("/").pop() ?? file}#${pointer}` };
    }
    return cur;
  }

  /**
   * The validator's answer on a body: whether it is valid and, if not, Ajv's error objects. Taken from the verdict
   * cache when the same validator (same key) judged the same body before, else computed and recorded.
   */
  verdict(def: DefinitionRef, body: unknown): { valid: boolean; errors: ErrorObject[] } {
    const k = this.keyOf(def, body);
    const file = this.cacheDir
      ? path.join(this.cacheDir, `${digest(k.hash, JSON.stringify(body)).slice(0, 40)}.verdict.json`)
      : undefined;
    if (file) {
      this.used.add(file);
      try {
        const kept = JSON.parse(fs.readFileSync(file, "utf8")) as { valid?: unknown; errors?: unknown };
        if (typeof kept.valid === "boolean" && Array.isArray(kept.errors))
          return { valid: kept.valid, errors: kept.errors as ErrorObject[] };
      } catch {
        // Not judged yet (or unreadable): validate.
      }
    }
    const validate = this.validatorOf(k);
    const valid = validate(body) === true;
    const verdict = { valid, errors: valid ? [] : [...(validate.errors ?? [])] };
    const text = JSON.stringify(verdict);
    // Kept only when JSON gives back exactly what Ajv answered (it always does: paths, keywords, plain params).
    if (file && isDeepStrictEqual(JSON.parse(text), verdict)) this.keepFile(file, text);
    return verdict;
  }

  /**
   * Everything besides a resource's own type, id and inputs that decides what the check finds for it: the check's
   * code (checkSources: every module of this folder and of ../azureMocks/, whose ARM type tables name the path
   * parameters), the vendored schemas and fallbacks, the installed azure-native (the API version of each class) and the validators' key. Computed once
   * per store (the code is hashed from its sources; about 6 MB read and hashed).
   */
  resultSalt(): string {
    if (this.resultSaltValue === undefined) {
      const h = crypto
        .createHash("sha256")
        .update(CACHE_SALT)
        .update("\0")
        .update(packageVersion("@pulumi/azure-native"));
      const sources = checkSources();
      const files = (dir: string): string[] =>
        fs
          .readdirSync(dir, { withFileTypes: true })
          .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]))
          .sort();
      for (const f of [...sources, ...files(this.dir)]) {
        h.update("\0").update(path.relative(this.dir, f)).update("\0");
        try {
          h.update(fs.readFileSync(f));
        } catch {
          h.update("missing"); // e.g. compiled without its .ts sources: still one key per state of the rest
        }
      }
      this.resultSaltValue = h.digest("hex");
    }
    return this.resultSaltValue;
  }

  /**
   * A resource's check result recorded by an earlier run for the same salt and the same type, id and inputs
   * (`keepResult`), or undefined. Without a cache directory nothing is recorded.
   */
  result<T>(record: { readonly type: string; readonly id?: string; readonly inputs: unknown }): {
    readonly value: T | undefined;
    readonly keep: (value: T) => void;
  } {
    if (!this.cacheDir) return { value: undefined, keep: () => undefined };
    const key = digest(this.resultSalt(), record.type, record.id ?? "", JSON.stringify(record.inputs));
    const file = path.join(this.cacheDir, `${key.slice(0, 40)}.check.json`);
    this.used.add(file);
    let value: T | undefined;
    try {
      value = JSON.parse(fs.readFileSync(file, "utf8")) as T;
    } catch {
      value = undefined;
    }
    if (value !== undefined) {
      try {
        const now = new Date();
        fs.utimesSync(file, now, now); // in use: a trimCache beside this check keeps it
      } catch {
        // A read-only cache is never trimmed either.
      }
    }
    return {
      value,
      keep: (v) => {
        const text = JSON.stringify(v);
        // Kept only when JSON gives back exactly this value (a body never holds undefined or non-JSON values).
        if (isDeepStrictEqual(JSON.parse(text), v)) this.keepFile(file, text);
      },
    };
  }

  /** The validator key of a body: the definition pruned to the body's shape (each shape pruned once). */
  private keyOf(def: DefinitionRef, body: unknown): ValidatorKey {
    let byShape = this.keys.get(def);
    if (!byShape) this.keys.set(def, (byShape = new Map()));
    const shape = shapeOf(body);
    const shapeKey = JSON.stringify(shape);
    let k = byShape.get(shapeKey);
    if (!k) {
      // Keyed by content: bodies that differ only in map keys (tags) or list lengths prune to the same schema.
      const schema = prune(this, { schema: def.schema, file: def.file }, shape);
      const key = JSON.stringify(schema);
      k = { schema, key, hash: digest(CACHE_SALT, key) };
      byShape.set(shapeKey, k);
    }
    return k;
  }

  /**
   * The draft-04 validator of a resource definition for bodies of one shape, compiled on first use from the
   * definition pruned to that shape (see prune.ts), or loaded from the validator cache.
   */
  private validatorOf(k: ValidatorKey): ValidateFunction {
    let v = this.validators.get(k.key);
    if (!v) {
      v = this.cached(k.hash) ?? this.compile(k.schema, k.hash);
      this.validators.set(k.key, v);
    }
    return v;
  }

  private cacheFile(hash: string): string | undefined {
    if (!this.cacheDir) return undefined;
    const file = path.join(this.cacheDir, `${hash.slice(0, 40)}.js`);
    this.used.add(file);
    return file;
  }

  /**
   * Whether this store wrote a file into the cache (a validator or a recorded result): the cache only grows past its
   * limit by writes, so a check that wrote nothing need not list it (`trimCache` lists up to 4,000 files, ~13 ms).
   */
  get wroteCache(): boolean {
    return this.wrote;
  }

  /**
   * Keeps the cache from growing without bound: every edited body adds a verdict and every new body shape a
   * validator, and nothing else removes them. When the cache holds more than `maxFiles` files, the oldest (by last
   * use: write, touch or, where the file system records it, read) are removed until `keepFiles` remain, except those
   * this store used and those written or used
   * in the last `graceMs` (a recorded result is touched when it answers: a check running beside this one, such as
   * the other thread of a preview, keeps what it uses). What the current tree needs stays, and a removed file only
   * costs a validation on the run that needs it again. Cheap when under the limit (one directory listing). Returns
   * how many files were removed.
   */
  trimCache(limits: CacheLimits = CACHE_LIMITS): number {
    if (!this.cacheDir) return 0;
    // The loader's own trim: its caches follow the same rule.
    const { trimCacheDir } = require(TS_RUN) as {
      trimCacheDir: (dir: string, used: ReadonlySet<string>, limits: CacheLimits) => number;
    };
    return trimCacheDir(this.cacheDir, this.used, limits);
  }

  /** Writes a cache file (see writeAtomically) and remembers that this store wrote one. */
  private keepFile(file: string, text: string): void {
    this.wrote = true;
    writeAtomically(file, text);
  }

  /** A validator from the cache: the standalone module Ajv generated, evaluated as CommonJS. */
  private cached(hash: string): ValidateFunction | undefined {
    const file = this.cacheFile(hash);
    let code: string;
    try {
      code = file ? fs.readFileSync(file, "utf8") : "";
    } catch {
      return undefined;
    }
    if (!file || !code) return undefined;
    const mod: { exports: unknown } = { exports: {} };
    // The generated code only requires Ajv's runtime helpers (`ajv/dist/runtime/...`), resolved from here.
    new Function("module", "exports", "require", code)(mod, mod.exports, require);
    return typeof mod.exports === "function" ? (mod.exports as ValidateFunction) : undefined;
  }

  private compile(schema: Schema, hash: string): ValidateFunction {
    const ajv = this.instance();
    const v = ajv.compile(schema);
    const file = this.cacheFile(hash);
    if (file) {
      const standalone = (require("ajv/dist/standalone") as { default: (a: typeof ajv, v: ValidateFunction) => string })
        .default;
      this.keepFile(file, standalone(ajv, v));
    }
    return v;
  }

  private instance(): import("ajv").default {
    if (!this.ajv) {
      const Ajv = (require("ajv-draft-04") as { default: typeof import("ajv").default }).default;
      this.ajv = new Ajv(AJV_OPTIONS);
    }
    return this.ajv;
  }
}

/**
 * The code a resource's check result depends on (`resultSalt`): every module of this folder and of the mocks' (whose
 * ARM type tables name the path parameters), a new one (a concern split out of another) included.
 */
export function checkSources(): string[] {
  const modulesOf = (dir: string) =>
    fs
      .readdirSync(dir)
      .filter((f) => /\.[cm]?[jt]s$/.test(f))
      .sort()
      .map((f) => path.join(dir, f));
  return [...modulesOf(__dirname), ...modulesOf(path.join(__dirname, "..", "azureMocks"))];
}

/** sha256 of the parts, NUL-separated, in hex. */
function digest(...parts: string[]): string {
  const h = crypto.createHash("sha256");
  parts.forEach((p, i) => (i > 0 ? h.update("\0").update(p) : h.update(p)));
  return h.digest("hex");
}

/** Writes a cache file atomically (concurrent runs never read half a file); a read-only cache only costs speed. */
function writeAtomically(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${process.hrtime.bigint()}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch {
    // A read-only node_modules only costs speed.
  }
}
