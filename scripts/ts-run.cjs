#!/usr/bin/env node
// Runs a TypeScript entry point of this repository with a cached, transpile-only loader:
//
//   node scripts/ts-run.cjs tools/preview.ts --stack prod     (what `npm run preview:offline` runs)
//   node scripts/ts-run.cjs --warm                            (`prepare`, i.e. after `npm ci`: fills the cache)
//
// Every `.ts` file the process requires is transpiled once with the project's TypeScript (CommonJS, the
// tsconfig.json settings that affect emit) and the JavaScript is cached under node_modules/.cache/ts-run, keyed by
// the file's path and content, the tsconfig.json and the TypeScript version. A changed or new file (a new module
// under tools/ or components/, say) is transpiled on first use, so the cache can never be stale; an unchanged one
// costs a hash and a read, and TypeScript itself is only loaded when something has to be transpiled. Type-checking
// stays with `npm test` (tsc --noEmit), exactly as with tsx. It also defers the SDK modules a mocked run never uses,
// keeps V8's compiled code of every module between runs and runs the entry without V8's optimising compiler
// (see below). Plain CommonJS on purpose: it must run before any TypeScript can.
"use strict";
const { Buffer } = require("node:buffer");
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const os = require("node:os");
const path = require("node:path");
const v8 = require("node:v8");
const vm = require("node:vm");
const { isMainThread, threadId } = require("node:worker_threads");

const ROOT = path.resolve(__dirname, "..");
/**
 * Where the loader keeps its caches: node_modules/.cache/ts-run, or `TS_RUN_CACHE_DIR` (a folder of its own, e.g. for
 * a test that counts what one run writes while other runs write to the shared one).
 */
const CACHE = process.env.TS_RUN_CACHE_DIR
  ? path.resolve(process.env.TS_RUN_CACHE_DIR)
  : path.join(ROOT, "node_modules", ".cache", "ts-run");
/** Folders (and files) of the project whose TypeScript `--warm` transpiles ahead of time. */
const SOURCES = ["index.ts", "lib", "components", "policies", "pipelines", "tools"];

function readText(file) {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

// The cache key salt: anything that changes the emitted JavaScript, this loader included (its compiler options; and
// V8's compiled code of a module is keyed by its JavaScript's key, while V8 itself checks only the source's length).
const SALT = [
  "ts-run/2",
  readText(path.join(__dirname, "ts-run.cjs")),
  readText(path.join(ROOT, "node_modules", "typescript", "package.json")),
  readText(path.join(ROOT, "tsconfig.json")),
].join("\0");

let ts;
let compilerOptions;

function transpile(source, filename) {
  if (!ts) {
    ts = require("typescript");
    const parsed = ts.parseJsonConfigFileContent(
      ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile).config ?? {},
      ts.sys,
      ROOT,
    );
    compilerOptions = {
      ...parsed.options,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      sourceMap: false,
      inlineSourceMap: true,
      inlineSources: true,
      // The map's source is then the file itself, as its module is named: with the project's outDir, TypeScript would
      // name it relative to where tsc would write the JavaScript, which Node resolves from the module's own folder.
      outDir: undefined,
      rootDir: undefined,
      sourceRoot: undefined,
      mapRoot: undefined,
      declaration: false,
      noEmit: false,
    };
  }
  const out = ts.transpileModule(source, { compilerOptions, fileName: filename, reportDiagnostics: false });
  return out.outputText;
}

/**
 * How many files each of the loader's caches (the transpiled JavaScript, and V8's compiled code) may hold before
 * `trimCacheDir` removes the oldest, and how many it leaves: every edit of a module adds an entry to both and nothing
 * else removes the old ones (today's tree: about 220 and 900 files).
 */
const CACHE_LIMITS = { maxFiles: 3000, keepFiles: 2000, graceMs: 15 * 60 * 1000 };
/** The cache files this thread read or wrote: its trim never removes them. */
const usedFiles = new Set();
/** Whether this thread wrote to a cache (only a write can take one past its limit). */
let wroteCache = false;
/**
 * Keeps a cache folder from growing without bound: past `maxFiles` files, those used longest ago are removed until
 * `keepFiles` remain, except the files in `used` and those used in the last `graceMs` (another process may be about to
 * read them). A file's last use is its last write or, where the file system records reads (Linux's default `relatime`
 * updates the access time at least once a day), its last read; where it does not (`noatime`), the trim goes by writes
 * alone and may remove a file every run still reads. A removed entry only costs a transpile or a compile on the run
 * that needs it again. Returns how many files were removed.
 */
function trimCacheDir(dir, used = usedFiles, limits = CACHE_LIMITS) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile());
  } catch {
    return 0;
  }
  if (entries.length <= limits.maxFiles) return 0;
  const recent = Date.now() - limits.graceMs;
  const candidates = entries
    .map((e) => path.join(dir, e.name))
    .filter((f) => !used.has(f))
    .flatMap((f) => {
      try {
        const stat = fs.statSync(f);
        return [{ f, t: Math.max(stat.mtimeMs, stat.atimeMs) }];
      } catch {
        return [];
      }
    })
    .filter(({ t }) => t < recent)
    .sort((a, b) => a.t - b.t || a.f.localeCompare(b.f));
  let removed = 0;
  for (const { f } of candidates) {
    if (entries.length - removed <= limits.keepFiles) break;
    try {
      fs.rmSync(f, { force: true });
      removed += 1;
    } catch {
      // A read-only cache only costs disk space.
    }
  }
  return removed;
}

/**
 * Trims both caches when this thread wrote to one (see trimCacheDir); the main thread only, whose run knows best
 * which files it used (a worker's trim would remove the main thread's).
 */
function trimCaches() {
  if (!wroteCache || !isMainThread) return;
  trimCacheDir(CACHE);
  trimCacheDir(path.join(CACHE, CODE_CACHE));
}

/** V8's compiled code (Node 20, see cacheCompiledCode), under CACHE. */
const CODE_CACHE = "v8-node20";

/** The hash of SALT, copied for each file's key (SALT, this loader's source included, is some 25 KB). */
let salted;

/** A TypeScript file's JavaScript and its cache key (which names the JavaScript by the file's path and content). */
function cached(filename) {
  const source = fs.readFileSync(filename, "utf8");
  const key = (salted ??= crypto.createHash("sha256").update(SALT).update("\0"))
    .copy()
    .update(filename)
    .update("\0")
    .update(source)
    .digest("hex")
    .slice(0, 40);
  const file = path.join(CACHE, `${key}.js`);
  usedFiles.add(file);
  try {
    return { js: fs.readFileSync(file, "utf8"), key };
  } catch {
    const js = transpile(source, filename);
    try {
      fs.mkdirSync(CACHE, { recursive: true });
      const tmp = `${file}.${process.pid}-${threadId}.tmp`; // the deployed-view worker transpiles too
      fs.writeFileSync(tmp, js);
      fs.renameSync(tmp, file); // atomic: concurrent runs never read half a file
      wroteCache = true;
    } catch {
      // A read-only node_modules only costs speed.
    }
    return { js, key };
  }
}

/** The project's modules loaded in this process: file name to the key of their JavaScript (see `cached`). */
const ownKeys = new Map();

/**
 * Modules `@pulumi/pulumi` loads as soon as it is imported although a program run under the mock engine never
 * uses them (about two thirds of its load time), and likewise in `@pulumi/policy` and zod. Each listed `require`
 * (request, from a file ending with `from`) gets a proxy that loads the real module on first use instead, so behaviour is unchanged if it is ever needed.
 * - the whole TypeScript compiler, for closure serialization (`runtime/closure/parseFunction.js`);
 * - npm's Arborist (with pacote, sigstore, ...), and the package.json normalizer and file globber beside it, to
 *   compute a closure's package code paths;
 * - the Automation API (`pulumi.automation`: LocalWorkspace, tar, glob, ...), for driving the CLI;
 * - gRPC (with node:http2 and the generated service clients) and OpenTelemetry, for talking to the engine, which the
 *   mock monitor replaces (the SDK reads `grpc.status` only when an RPC fails: an invoke the mocks answer with a 404,
 *   as Azure would, reads it from gRPC's small constants module instead of loading all of gRPC, `LIGHT` below);
 * - in `@pulumi/policy`, the analyzer's gRPC server, which only `new PolicyPack(...)` starts (the CLI's way in);
 * - and zod's error messages in its 50 languages (`z.locales`), of which the program's config validation uses the
 *   English ones zod loads on its own.
 */
const PULUMI = path.join("@pulumi", "pulumi");
const DEFERRED = [
  { request: "../../typescript-shim", from: path.join(PULUMI, "runtime", "closure", "parseFunction.js") },
  { request: "@npmcli/arborist", from: path.join(PULUMI, "runtime", "closure", "codePaths.js") },
  { request: "normalize-package-data", from: path.join(PULUMI, "runtime", "closure", "codePaths.js") },
  { request: "fdir", from: path.join(PULUMI, "runtime", "closure", "codePaths.js") },
  { request: "./automation", from: path.join(PULUMI, "index.js") },
  ...[
    "errors.js",
    "runtime/settings.js",
    "runtime/resource.js",
    "runtime/invoke.js",
    "runtime/callbacks.js",
    "provider/server.js",
  ].map((f) => ({ request: "@grpc/grpc-js", from: path.join(PULUMI, f) })),
  { request: "../proto/resource_grpc_pb", from: path.join(PULUMI, "runtime", "settings.js") },
  { request: "../proto/engine_grpc_pb", from: path.join(PULUMI, "runtime", "settings.js") },
  { request: "../proto/callback_grpc_pb", from: path.join(PULUMI, "runtime", "callbacks.js") },
  { request: "../proto/provider_grpc_pb", from: path.join(PULUMI, "provider", "server.js") },
  { request: "@opentelemetry/api", from: path.join(PULUMI, "runtime", "settings.js") },
  { request: "./server", from: path.join("@pulumi", "policy", "policy.js") },
  { request: "../locales/index.cjs", from: path.join("zod", "v4", "core", "index.cjs") },
  { request: "../locales/index.cjs", from: path.join("zod", "v4", "classic", "external.cjs") },
];

/**
 * A stand-in for a module, loading it on first use. It reports itself as an ES module's namespace so that
 * TypeScript's `__importStar` hands it over as is instead of copying its (not yet loaded) members; `default` is the
 * module itself when it has none, which is what `__importStar` would have made of a CommonJS module.
 */
function lazyModule(load, light = {}) {
  let real;
  const target = () => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_, key) => {
        if (key === "__esModule") return true;
        // A member that a small module of the package holds (the same object the package exports), while the rest
        // of it is not loaded.
        if (!real && Object.hasOwn(light, key)) return light[key]();
        const m = target();
        return key === "default" && !m?.__esModule ? m : m[key];
      },
      has: (_, key) => key in target(),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Reflect.getOwnPropertyDescriptor(target(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
}

/**
 * Members of a deferred package read from one of its own small modules without loading the package: gRPC's `status`
 * is `constants.Status` (@grpc/grpc-js build/src/index.js: `get: function () { return constants_1.Status; }`).
 */
const LIGHT = {
  "@grpc/grpc-js": { status: () => require("@grpc/grpc-js/build/src/constants").Status },
};

function deferUnusedSdkModules() {
  const load = Module._load;
  Module._load = function loadDeferred(request, parent, isMain) {
    const from = parent?.filename;
    if (from && DEFERRED.some((d) => d.request === request && from.endsWith(d.from)))
      return lazyModule(() => load.call(this, request, parent, isMain), LIGHT[request]);
    return load.apply(this, arguments);
  };
}

/**
 * V8's compiled code of every module, kept between runs, on Node versions without `module.enableCompileCache` (before
 * 22.1): compiling the SDK's JavaScript is a large part of its load time, and the project's own (about 7 MB with
 * their inline source maps) about 90 ms of each thread's. Each CommonJS module under node_modules (keyed by path and
 * content) and each of the project's TypeScript modules (keyed by its JavaScript's cache key, see `cached`) is compiled
 * with the code V8 produced for it on an earlier run, checked by V8 itself: a cache it rejects is simply recompiled
 * and rewritten; what had none is written when the process exits, with the functions that ran by then. While Node maps
 * stack traces through source maps (`NODE_OPTIONS=--enable-source-maps`: the TypeScript's lines in a `--verbose`
 * stack trace, at the cost of a slower run, since every stack captured is then mapped), the project's modules are left
 * to Node, which reads their source maps only when it compiles them itself.
 *
 * V8's code of a module holds the functions compiled by the time it was written (at exit), so a cache written by a
 * short run (a `--help`, a test that only loads a module) would leave every later run compiling the rest lazily: the
 * prod preview took 1.22 s from such a cache against 1.14 s from its own. Each file therefore starts with the CPU time
 * the run that wrote it had used (CODE_HEADER: CPU, not the wall clock, which a busy machine stretches; a cold run's
 * own compiling counts too, but such a run wrote the code of everything it ran), and a run of at least REFRESH_MIN_MS
 * that used over a tenth more rewrites the code of the modules it read from such a file, recording its own. A file
 * V8 rejects (another Node or other flags) is rewritten by whichever run reads it.
 */
const CODE_MAGIC = "TSC1";
/** The header of a code cache file: CODE_MAGIC, then the writing run's CPU time in ms (uint32 LE). */
const CODE_HEADER = 8;
/**
 * The least CPU time of a run whose code replaces a lighter run's (the prod preview: 1.9 to 2.7 s over its threads here,
 * half that on a machine twice as fast; a `--help` under 0.5 s); `TS_RUN_CODE_REFRESH_MS` sets another (tests: a huge
 * one keeps every file as first written).
 */
const REFRESH_MIN_MS = Number(process.env.TS_RUN_CODE_REFRESH_MS ?? 500);

/** The CPU time this process has used so far, in ms (all its threads). */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return Math.round((user + system) / 1000);
}

/** The cached code in a file and the CPU time of the run that wrote it, or undefined (none, or an older format). */
function readCodeCache(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (buf.length <= CODE_HEADER || buf.toString("latin1", 0, 4) !== CODE_MAGIC) return undefined;
  return { data: buf.subarray(CODE_HEADER), writtenByMs: buf.readUInt32LE(4) };
}

/** Writes a module's code with the header, atomically (a worker of the same run may write too). */
function writeCodeCache(file, data, runMs) {
  const header = Buffer.alloc(CODE_HEADER);
  header.write(CODE_MAGIC, 0, "latin1");
  header.writeUInt32LE(Math.min(runMs, 0xffffffff), 4);
  const tmp = `${file}.${process.pid}-${threadId}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([header, data]));
  fs.renameSync(tmp, file);
  wroteCache = true;
}

function cacheCompiledCode(dir) {
  const compile = Module.prototype._compile;
  // Node 20 calls the main context's default loader "experimental" and says so on stderr the first time a module's
  // script names it (below), as the loader does for every module with an `import()`: the one warning is the loader's,
  // not the tool's, and is left out (every other warning goes through).
  const emitWarning = process.emitWarning;
  process.emitWarning = function emitWarningButTheLoaders(warning, ...rest) {
    if (
      String(warning && warning.message !== undefined ? warning.message : warning).includes(
        "USE_MAIN_CONTEXT_DEFAULT_LOADER",
      )
    )
      return;
    return emitWarning.call(this, warning, ...rest);
  };
  // By cache file, the latest compile of each: the offline tools run the program again in one process (cost docs,
  // several previews), re-requiring the project's modules (tools/lib/engine/run.ts forgetProjectModules); keeping
  // every compile's script would keep each run's sources and code alive (about 10 MB a prod run).
  /** Modules compiled without usable cached code, to write at exit. */
  const pending = new Map();
  /** Modules compiled from a file, with the CPU time of the run that wrote it (a heavier run may refresh it). */
  const fromCache = new Map();
  const fileOf = (filename, content) => {
    const own = ownKeys.get(filename);
    if (own !== undefined) return process.sourceMapsEnabled ? undefined : path.join(dir, `${own}.bin`);
    if (!filename.includes(`${path.sep}node_modules${path.sep}`) || !/\.c?js$/.test(filename)) return undefined;
    // "3": keys of the files with CODE_HEADER ("2": since a module with `import()` is no longer cached, such a file
    // written before would still break it).
    return path.join(
      dir,
      `${crypto.createHash("sha1").update("3\0").update(filename).update("\0").update(content).digest("hex")}.bin`,
    );
  };
  // The `require` Node gives a module (lib/internal/modules/helpers.js makeRequireFunction).
  const makeRequire = (mod) => {
    const require = (id) => mod.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
    require.main = process.mainModule;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    return require;
  };
  Module.prototype._compile = function compileWithCache(content, filename) {
    const file = fileOf(filename, content);
    if (!file) return compile.call(this, content, filename);
    usedFiles.add(file);
    const cached = readCodeCache(file);
    const cachedData = cached?.data;
    const script = new vm.Script(Module.wrap(content), {
      filename,
      cachedData,
      importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    // A script V8 rebuilds from cached code loses its dynamic import callback on Node 20 (ERR_VM_DYNAMIC_IMPORT_
    // CALLBACK_MISSING at `import()`, e.g. prettier's plugins under `npm run cost:docs`): such a module's code is
    // never cached (its compile keeps the callback). Looked for only when writing, so a run from the cache reads no
    // module twice; a mention in a string or comment (two modules a preview loads) only costs their cache.
    if ((!cachedData || script.cachedDataRejected) && !content.includes("import(")) pending.set(file, { script, file });
    else if (cached) fromCache.set(file, { script, file, writtenByMs: cached.writtenByMs });
    const fn = script.runInThisContext({ displayErrors: true });
    return fn.call(this.exports, this.exports, makeRequire(this), this, filename, path.dirname(filename));
  };
  process.once("exit", () => {
    const runMs = cpuMs();
    // Written by a lighter run (and this one heavy enough to matter): its code may lack what this run compiled.
    const stale =
      runMs >= REFRESH_MIN_MS ? [...fromCache.values()].filter(({ writtenByMs }) => writtenByMs < runMs * 0.9) : [];
    if (pending.size === 0 && stale.length === 0) return;
    try {
      fs.mkdirSync(dir, { recursive: true });
      for (const { script, file } of [...pending.values(), ...stale])
        writeCodeCache(file, script.createCachedData(), runMs);
    } catch {
      // A read-only node_modules only costs speed.
    }
  });
}

function register() {
  require.extensions[".ts"] = function loadTypeScript(module, filename) {
    const { js, key } = cached(filename);
    ownKeys.set(filename, key);
    module._compile(js, filename);
  };
  deferUnusedSdkModules();
  // Node 22.1+ caches V8's compiled code of every module (node_modules included) between runs itself.
  if (typeof Module.enableCompileCache === "function") {
    try {
      Module.enableCompileCache(path.join(CACHE, "v8"));
    } catch {
      // Only speed is lost.
    }
  } else if (process.env.TS_RUN_CODE_CACHE !== "0") cacheCompiledCode(path.join(CACHE, CODE_CACHE));
  // After the compiled code is written (listeners run in the order they were added).
  process.once("exit", trimCaches);
}

/**
 * V8 flags for the entry's run, set in this process (no second process to start). The offline tools run for
 * seconds, through code that mostly runs once or a few hundred times (the SDK's per-resource promise and Output
 * work, the program, the policy pack), on a heap where most of what a program run allocates survives the young
 * generation's collections (the SDK's pending promises and Outputs). Measured on the prod preview on the 2-core machine (runs interleaved), each flag took CPU time off and left
 * the wall-clock time no worse:
 * - `--no-opt` turns off TurboFan, V8's optimising compiler, which spent a background core on functions that
 *   finished before the optimised code paid off: about 1 s of CPU time out of 5 to 6. Ignition and Sparkplug still
 *   run everything.
 * - `--no-parallel-scavenge`: the young-generation collections copy survivors on the main thread alone; helper
 *   threads saved the main thread nothing there and cost about 0.7 s of CPU time.
 * - `--no-concurrent-marking --no-concurrent-sweeping`: the old generation's marking and sweeping run on the thread
 *   that allocates, not on helper threads. The preview keeps both cores busy (the deployed view's worker beside the
 *   main thread), so helpers only took cores from them: the prod preview's median went from 1.26 s to 1.19 s (10 runs
 *   each, interleaved, each variant with its own compiled-code cache). The parallel marking and compaction flags
 *   crash V8 when set in-process, so they are left alone.
 * `TS_RUN_NO_OPT=0` leaves V8's defaults, e.g. for a long run that would profit from them. Not for `--warm`
 * (TypeScript's compiler, a long run).
 */
const V8_FLAGS = ["--no-opt", "--no-parallel-scavenge", "--no-concurrent-marking", "--no-concurrent-sweeping"];

function sourceFiles() {
  const files = [];
  const walk = (p) => {
    const stat = fs.statSync(p, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const e of fs.readdirSync(p)) if (e !== "node_modules") walk(path.join(p, e));
    } else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) files.push(p);
  };
  for (const s of SOURCES) walk(path.join(ROOT, s));
  return files;
}

function main(argv) {
  if (argv[0] === "--warm") {
    try {
      require.resolve("typescript");
    } catch {
      // `npm ci --omit=dev`: nothing to warm; the tools need the dev dependencies anyway.
      console.log("ts-run: typescript is not installed, nothing transpiled");
      return;
    }
    const files = sourceFiles();
    for (const f of files) cached(f);
    // After an install (`prepare`), whether or not this wrote: entries older trees or loader versions left behind.
    const removed = trimCacheDir(CACHE) + trimCacheDir(path.join(CACHE, CODE_CACHE));
    console.log(
      `ts-run: ${files.length} TypeScript files transpiled into ${path.relative(ROOT, CACHE)}` +
        (removed > 0 ? ` (${removed} older cache files removed)` : ""),
    );
    return;
  }
  if (!argv[0]) {
    console.error("usage: node scripts/ts-run.cjs <entry.ts> [args...] | --warm");
    process.exit(2);
  }
  const entry = path.resolve(argv[0]);
  if (process.env.TS_RUN_NO_OPT !== "0") for (const flag of V8_FLAGS) v8.setFlagsFromString(flag);
  register();
  // Run the entry as the main module, with its own arguments, as `node entry.js args...` would.
  process.argv = [process.argv[0], entry, ...argv.slice(1)];
  Module._load(entry, null, true);
}

/**
 * The machine's CPU time (all cores: busy and idle, in ms) and this process's own (all threads, in µs) when the
 * loader started the entry, for the entry to tell how busy other processes kept the machine since
 * (tools/lib/deployedView/cores.ts secondCoreFree); set only when ts-run is the main module.
 */
let cpuAtStart;
function cpuSample() {
  let busyMs = 0;
  let idleMs = 0;
  for (const { times } of os.cpus()) {
    busyMs += times.user + times.nice + times.sys + times.irq;
    idleMs += times.idle;
  }
  const own = process.cpuUsage();
  return { at: process.hrtime.bigint(), busyMs, idleMs, ownUs: own.user + own.system };
}

module.exports = { register, V8_FLAGS, cpuAtStart: () => cpuAtStart, cpuSample, trimCacheDir, CACHE_LIMITS };

if (require.main === module) {
  cpuAtStart = cpuSample();
  main(process.argv.slice(2));
}
