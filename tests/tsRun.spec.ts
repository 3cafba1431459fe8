import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import Module from "node:module";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const TS_RUN = path.join(ROOT, "scripts", "ts-run.cjs");
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  execFileSync(process.execPath, [TS_RUN, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });
/** Whether this Node caches compiled code itself (22.1+), in which case the loader writes none. */
const builtInCompileCache = () =>
  typeof (Module as unknown as { enableCompileCache?: unknown }).enableCompileCache === "function";
/** The loader's caches in a folder of their own: what one run writes, other specs' runs beside it do not add to. */
const privateCache = () => fs.mkdtempSync(path.join(os.tmpdir(), "ts-run-cache-"));
/** The loader's cache trim (scripts/ts-run.cjs). */
const trimCacheDir = (
  dir: string,
  used: ReadonlySet<string>,
  limits: { maxFiles: number; keepFiles: number; graceMs: number },
): number =>
  (require(TS_RUN) as { trimCacheDir: (d: string, u: ReadonlySet<string>, l: typeof limits) => number }).trimCacheDir(
    dir,
    used,
    limits,
  );

describe("ts-run: the cached loader behind `npm run preview:offline`", function () {
  this.timeout(180000);
  fs.mkdirSync(path.join(ROOT, "out"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "out", "ts-run-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs the offline tools through the loader, warmed by `prepare` after `npm ci`", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    assert.equal(pkg.scripts["preview:offline"], "node scripts/ts-run.cjs tools/preview.ts");
    assert.equal(pkg.scripts["policy:analyze"], "node scripts/ts-run.cjs tools/analyze.ts");
    assert.equal(pkg.scripts.prepare, "node scripts/ts-run.cjs --warm");
    assert.match(run(["--warm"]), /^ts-run: \d+ TypeScript files transpiled/);
  });

  it("picks up new and changed modules at once (the cache is keyed by content), with the entry as main module", () => {
    const helper = path.join(dir, "helper.ts");
    const entry = path.join(dir, "entry.ts");
    fs.writeFileSync(helper, `export const greeting: string = "one";\n`);
    fs.writeFileSync(
      entry,
      `import { greeting } from "./helper";\nimport { parseArgs } from "../../tools/lib/cli";\n` +
        `const a = parseArgs(process.argv.slice(2), ["name"], []);\n` +
        `console.log(\`\${greeting} \${a.values.name} \${require.main === module}\`);\n`,
    );
    assert.equal(run([entry, "--name", "x"]).trim(), "one x true");
    fs.writeFileSync(helper, `export const greeting: string = "two";\n`);
    assert.equal(run([entry, "--name", "y"]).trim(), "two y true");
  });

  it("defers the modules @pulumi/pulumi loads but a mocked run never uses, which still work when used", () => {
    const probe = path.join(dir, "probe.ts");
    fs.writeFileSync(
      probe,
      `import * as pulumi from "@pulumi/pulumi";\n` +
        `const loaded = (end: string) => Object.keys(require.cache).some((k) => k.endsWith(end));\n` +
        `const deferred = ["/typescript/lib/typescript.js", "/@npmcli/arborist/lib/index.js", "/automation/index.js",\n` +
        `  "/@grpc/grpc-js/build/src/index.js", "/@opentelemetry/api/build/src/index.js",\n` +
        `  "/normalize-package-data/lib/normalize.js", "/proto/resource_grpc_pb.js"];\n` +
        `const before = deferred.map(loaded).join(",");\n` +
        `const workspace = typeof pulumi.automation.LocalWorkspace.create;\n` +
        `const { isGrpcError } = require("@pulumi/pulumi/errors");\n` +
        `const grpc = [isGrpcError({ code: 14 }), isGrpcError({ code: 3 }), loaded(deferred[3])].join(",");\n` +
        `pulumi.runtime.serializeFunction(() => 42).then((f) =>\n` +
        `  console.log(before, workspace, grpc, loaded(deferred[0]), loaded(deferred[2]), f.text.includes("42")));\n`,
    );
    const zod = path.join(dir, "zod.ts");
    fs.writeFileSync(
      zod,
      `import { z } from "zod";\n` +
        `const loaded = () => Object.keys(require.cache).some((k) => k.endsWith("/zod/v4/locales/index.cjs"));\n` +
        `const before = loaded();\nconst r = z.object({ a: z.number() }).safeParse({ a: "x" });\n` +
        `console.log(before, r.success ? "" : r.error.issues[0].message, typeof z.locales.de, loaded());\n`,
    );
    // One first run transpiles both probes (which loads the compiler for that); the runs below find them cached.
    const warm = path.join(dir, "warm.ts");
    fs.writeFileSync(warm, `import "./probe";\nimport "./zod";\n`);
    run([warm]);
    assert.equal(
      run([probe]).trim(),
      "false,false,false,false,false,false,false function true,false,true true true true",
    );
    assert.equal(run([zod]).trim(), "false Invalid input: expected number, received string function true");
  });

  it("runs the entry without TurboFan, unless TS_RUN_NO_OPT=0", () => {
    const probe = path.join(dir, "opt.ts");
    // V8's own test hooks (--allow-natives-syntax): ask for an optimised compile, then read bit 4 ("optimized").
    fs.writeFileSync(
      probe,
      `const f = (x: number) => x * 2 + 1;\n` +
        `const status = new Function("f", "%PrepareFunctionForOptimization(f); f(1); f(2); ` +
        `%OptimizeFunctionOnNextCall(f); f(3); return %GetOptimizationStatus(f);");\n` +
        `console.log((status(f) & 16) !== 0);\n`,
    );
    const optimised = (env: Record<string, string>) =>
      execFileSync(process.execPath, ["--allow-natives-syntax", TS_RUN, probe], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, ...env },
      }).trim();
    assert.equal(optimised({}), "false");
    assert.equal(optimised({ TS_RUN_NO_OPT: "0" }), "true");
  });

  it("tells the entry how much CPU other processes used since it started, which decides the deployed view's thread", () => {
    const probe = path.join(dir, "busy.ts");
    fs.writeFileSync(
      probe,
      `import * as os from "node:os";\n` +
        `import { othersBusySinceStart, secondCoreFree } from "../../tools/lib/deployedView";\n` +
        `const t = Date.now();\nwhile (Date.now() - t < 150) {}\n` +
        `const others = othersBusySinceStart();\nconst load = os.loadavg()[0];\n` +
        `console.log(JSON.stringify([others, load, secondCoreFree(), secondCoreFree(true)]));\n`,
    );
    run([probe]);
    const [others, load, atOnce, measured] = JSON.parse(run([probe]).trim()) as [number, number, boolean, boolean];
    const cores = os.cpus().length;
    assert.ok(others >= 0 && others <= cores, String(others));
    // At once: decided by the load average, then the runnable count at an instant, which other processes change
    // between this probe's reads; tests/preview.spec.ts holds the decision on given readings (secondCore), so here
    // only what holds under any load: a single core never has a second one.
    if (cores < 2) assert.deepEqual([atOnce, measured], [false, false]);
    assert.equal(typeof atOnce, "boolean");
    // Measured: the load average, then what other processes used since the start (never an instant's reading).
    if (cores >= 2) assert.equal(measured, load <= cores - 1 || others <= cores - 1.5);
    const forced = (threads: string) =>
      execFileSync(process.execPath, [TS_RUN, probe], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, PREVIEW_THREADS: threads },
      });
    assert.deepEqual((JSON.parse(forced("1")) as unknown[]).slice(2), [false, false]);
    assert.deepEqual((JSON.parse(forced("2")) as unknown[]).slice(2), [true, true]);
    // Asked at once (a preview with warm caches asks within a few tens of milliseconds): with `wait`, it waits for
    // the rest of the 0.1 s it needs and tells, instead of leaving the preview to one thread on a guess.
    const early = path.join(dir, "early.ts");
    fs.writeFileSync(
      early,
      `import { othersBusySinceStart } from "../../tools/lib/deployedView";
` +
        `const t = process.hrtime.bigint();
` +
        `const [now, waited] = [othersBusySinceStart(), othersBusySinceStart(true)];
` +
        `console.log(JSON.stringify([now, waited, Number(process.hrtime.bigint() - t) / 1e6]));
`,
    );
    const [now, waited, ms] = JSON.parse(run([early]).trim()) as [number | null, number, number];
    // Without waiting it tells only once 0.1 s have passed since start (a loaded machine may get there first).
    assert.ok(now === null || (now >= 0 && now <= cores), String(now));
    assert.ok(typeof waited === "number" && waited >= 0 && waited <= cores, String(waited));
    assert.ok(ms < 150, `waited ${ms} ms: no longer than the rest of 0.1 s`);
    // Not started by the loader (mocha runs under tsx here): unknown, and the load average decides.
    const { othersBusySinceStart } = require("../tools/lib/deployedView") as typeof import("../tools/lib/deployedView");
    assert.equal(othersBusySinceStart(), undefined);
  });

  it("answers the SDK's reading of gRPC's status codes after a failed invoke without loading gRPC", () => {
    // An invoke the mocks answer with a 404 (as Azure does for a job not created yet) makes the SDK compare the error's
    // code with `grpc.status`: read from gRPC's constants module, the very object gRPC exports.
    const grpc = require("@grpc/grpc-js") as { status: unknown };
    assert.equal(grpc.status, (require("@grpc/grpc-js/build/src/constants") as { Status: unknown }).Status);
    const probe = path.join(dir, "failedInvoke.ts");
    fs.writeFileSync(
      probe,
      `import * as path from "node:path";\n` +
        `import { programOf } from "../../tools/lib/deployedView";\n` +
        `import { runProgram } from "../../tools/lib/engine";\n` +
        `process.env.JOB_LOOKUP = "missing";\n` +
        `const program = programOf({ stack: "dev", program: path.resolve("tests/fixtures/programs/jobLookup.ts") });\n` +
        `runProgram({ ...program, quietWarnings: true }).then((run) => {\n` +
        `  const loaded = (m: string) => Object.keys(require.cache).some((k) => k.endsWith(m));\n` +
        `  console.log(JSON.stringify([run.resources.length > 0, loaded("grpc-js/build/src/index.js"), loaded("grpc-js/build/src/constants.js")]));\n` +
        `});\n`,
    );
    assert.deepEqual(JSON.parse(run([probe]).trim().split("\n").pop() as string), [true, false, true]);
  });

  it("keeps V8's compiled code of dependency modules between runs, and they behave the same from it", () => {
    const probe = path.join(dir, "deps.ts");
    fs.writeFileSync(
      probe,
      `import * as YAML from "yaml";\nimport * as pulumi from "@pulumi/pulumi";\n` +
        `console.log(YAML.parse("a: [1, 2]").a.length, typeof pulumi.output, require.resolve("yaml").includes("node_modules"));\n`,
    );
    const cache = privateCache();
    try {
      const cacheDir = path.join(cache, "v8-node20");
      // No refresh by a longer run here (the test after this one): every file stays as the first run wrote it.
      const env = { TS_RUN_CACHE_DIR: cache, TS_RUN_CODE_REFRESH_MS: "1000000000" };
      const first = run([probe], env).trim();
      assert.equal(first, "2 function true");
      const written = builtInCompileCache()
        ? undefined
        : new Map(fs.readdirSync(cacheDir).map((f) => [f, fs.statSync(path.join(cacheDir, f)).mtimeMs]));
      if (written) assert.ok(written.size > 50, `compiled code of the SDK's modules is kept (${written.size} files)`);
      assert.equal(run([probe], env).trim(), first);
      // The second run reads that code: it writes nothing more and rewrites nothing (V8 accepted every file).
      if (written)
        assert.deepEqual(
          new Map(fs.readdirSync(cacheDir).map((f) => [f, fs.statSync(path.join(cacheDir, f)).mtimeMs])),
          written,
        );
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it("replaces the code a light run kept (a --help) with a heavier run's, which a later run reads as it is", function () {
    if (builtInCompileCache()) this.skip(); // Node 22.1+: Node's own cache, which the loader does not manage
    const cache = privateCache();
    try {
      const env = { TS_RUN_CACHE_DIR: cache };
      const lib = path.join(dir, "refreshLib.ts");
      fs.writeFileSync(
        lib,
        `export function work(n: number): number {\n  let s = 0;\n  for (let i = 0; i < n; i++) s += i % 7;\n  return s;\n}\n` +
          `export function more(xs: number[]): number[] {\n  return xs.map((x) => work(x)).filter((x) => x > 0);\n}\n`,
      );
      const short = path.join(dir, "refreshShort.ts");
      fs.writeFileSync(short, `import { work } from "./refreshLib";\nconsole.log(typeof work);\n`);
      // Runs until it has used 1.5 s of CPU: more than the short run by far, the same every time (CPU time, which a
      // busy machine does not stretch).
      const long = path.join(dir, "refreshLong.ts");
      fs.writeFileSync(
        long,
        `import { more } from "./refreshLib";\nconsole.log(more([3, 5, 8]).length);\n` +
          `const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };\n` +
          `while (cpu() < 1.5e6) {}\n`,
      );
      const cacheDir = path.join(cache, "v8-node20");
      assert.equal(run([short], env).trim(), "function");
      const afterShort = new Map(fs.readdirSync(cacheDir).map((f) => [f, fs.readFileSync(path.join(cacheDir, f))]));
      const header = (b: Buffer) => [b.toString("latin1", 0, 4), b.readUInt32LE(4)] as const;
      for (const b of afterShort.values()) {
        assert.equal(header(b)[0], "TSC1");
        assert.ok(header(b)[1] < 1350, `written by the short run: ${header(b)[1]} ms`);
      }
      assert.equal(run([long], env).trim(), "3");
      // The library's file (the one both entries read) is rewritten by the long run, with the functions it ran.
      const rewritten = [...afterShort].filter(([f, b]) => !fs.readFileSync(path.join(cacheDir, f)).equals(b));
      assert.equal(rewritten.length, 1, "the library's code, not the short entry's");
      const [libFile, before] = rewritten[0];
      const now = fs.readFileSync(path.join(cacheDir, libFile));
      assert.ok(header(now)[1] >= 1500, `written by the long run: ${header(now)[1]} ms`);
      assert.ok(now.length > before.length, `with more compiled code: ${now.length} > ${before.length} bytes`);
      // Another run as heavy rewrites nothing: a file is refreshed only by a run using over a tenth more CPU than its
      // writer.
      const kept = new Map(fs.readdirSync(cacheDir).map((f) => [f, fs.statSync(path.join(cacheDir, f)).mtimeMs]));
      assert.equal(run([long], env).trim(), "3");
      assert.deepEqual(
        new Map(fs.readdirSync(cacheDir).map((f) => [f, fs.statSync(path.join(cacheDir, f)).mtimeMs])),
        kept,
      );
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it("runs a dependency's dynamic import() on every run, cached or not (prettier's plugins for `npm run cost:docs`)", () => {
    const probe = path.join(dir, "dynamic.ts");
    fs.writeFileSync(
      probe,
      `import * as prettier from "prettier";\n` +
        `void prettier.format("const a=1", { parser: "babel" }).then((s) => console.log(JSON.stringify(s)));\n`,
    );
    // The second run is the one that would find prettier's compiled code cached.
    for (let i = 0; i < 2; i++) assert.equal(run([probe]).trim(), JSON.stringify("const a = 1;\n"), `run ${i + 1}`);
    // Node 20's "experimental" notice about the loader the cached scripts name is the loader's, left out; a warning
    // the program emits itself still reaches stderr.
    const warns = path.join(dir, "warns.ts");
    fs.writeFileSync(
      warns,
      `import * as prettier from "prettier";\n` +
        `void prettier.format("x", { parser: "babel" }).then(() => process.emitWarning("the program's own"));\n`,
    );
    const r = spawnSync(process.execPath, [TS_RUN, warns], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /USE_MAIN_CONTEXT_DEFAULT_LOADER/);
    assert.match(r.stderr, /Warning: the program's own/);
  });

  it("trims its caches past their limit: the oldest files first, never one this process used or one written lately", () => {
    const cache = fs.mkdtempSync(path.join(dir, "cache-"));
    const files = Array.from({ length: 10 }, (_, i) => path.join(cache, `${String(i).padStart(40, "0")}.js`));
    files.forEach((f, i) => {
      fs.writeFileSync(f, "x");
      // The first eight are old, the oldest first; the last two were written just now.
      if (i < 8) fs.utimesSync(f, 1000 + i, 1000 + i);
    });
    fs.mkdirSync(path.join(cache, "v8-node20")); // a folder is not a file of the cache
    const limits = { maxFiles: 10, keepFiles: 4, graceMs: 60_000 };
    assert.equal(trimCacheDir(cache, new Set(), limits), 0, "at the limit: none");
    // Past it: down to four, the oldest first, but not the one used (the oldest) nor the two recent ones.
    assert.equal(trimCacheDir(cache, new Set([files[0]]), { ...limits, maxFiles: 9 }), 6);
    assert.deepEqual(
      files.map((f) => fs.existsSync(f)),
      [true, false, false, false, false, false, false, true, true, true],
    );
    assert.ok(fs.statSync(path.join(cache, "v8-node20")).isDirectory());
    assert.equal(trimCacheDir(path.join(cache, "missing"), new Set(), limits), 0);
  });

  it("trims by last use: a file read lately (its access time) stays, however long ago it was written", () => {
    const cache = fs.mkdtempSync(path.join(dir, "used-"));
    const day = 86_400;
    const now = Date.now() / 1000;
    const file = (name: string, readDaysAgo: number, writtenDaysAgo: number) => {
      const f = path.join(cache, name);
      fs.writeFileSync(f, "x");
      fs.utimesSync(f, now - readDaysAgo * day, now - writtenDaysAgo * day);
      return f;
    };
    // Written 30 days ago and read every day since (what every preview loads), against junk written 10 and 5 days ago.
    const live = file("live.js", 1, 30);
    const junk = [file("junk-a.js", 10, 10), file("junk-b.js", 5, 5)];
    assert.equal(trimCacheDir(cache, new Set(), { maxFiles: 2, keepFiles: 1, graceMs: 0 }), 2);
    assert.ok(fs.existsSync(live), "the file read yesterday stays");
    assert.deepEqual(
      junk.map((f) => fs.existsSync(f)),
      [false, false],
    );
  });

  it("a tool's --verbose prints the stack trace and says how to get the TypeScript's lines", () => {
    const program = path.join(dir, "broken.ts");
    fs.writeFileSync(program, `throw new Error("the program is broken");\n`);
    const preview = (extra: string[]) => {
      try {
        execFileSync(
          process.execPath,
          [TS_RUN, path.join(ROOT, "tools", "preview.ts"), "--stack", "dev", "--program", program, ...extra],
          { cwd: ROOT, encoding: "utf8", stdio: "pipe", env: { ...process.env, PREVIEW_THREADS: "1" } },
        );
      } catch (e) {
        return e as { status: number; stderr: string };
      }
      throw new Error("the preview did not fail");
    };
    const quiet = preview([]);
    assert.equal(quiet.status, 2);
    assert.match(
      quiet.stderr,
      /error \(program\): .*the program is broken[\s\S]*run with --verbose for the stack trace/,
    );
    const verbose = preview(["--verbose"]);
    assert.equal(verbose.status, 2);
    assert.match(verbose.stderr, /\n\s+at /);
    assert.match(verbose.stderr, /the JavaScript's lines: NODE_OPTIONS=--enable-source-maps for the TypeScript's/);
  });

  it("keeps V8's compiled code of the project's modules too, and source maps give stack traces the TypeScript's lines", () => {
    const thrower = path.join(dir, "thrower.ts");
    // The throw is on line 9 of the TypeScript and on another line of the JavaScript (the types are erased).
    fs.writeFileSync(
      thrower,
      `interface A {\n  x: number;\n}\ntype B = A & {\n  y: string;\n};\n` +
        `function fail(b: B): never {\n  // the line below is line 9\n  throw new Error(\`boom \${b.y} \${b.x}\`);\n}\n` +
        `if (process.argv.includes("--throw")) fail({ x: 1, y: "z" });\nconsole.log("ran");\n`,
    );
    const trace = (args: string[], nodeArgs: string[] = []) => {
      try {
        execFileSync(process.execPath, [...nodeArgs, TS_RUN, thrower, ...args], {
          cwd: ROOT,
          encoding: "utf8",
          stdio: "pipe",
        });
      } catch (e) {
        return (e as { stderr: string }).stderr;
      }
      throw new Error("the fixture did not throw");
    };
    const at = (stderr: string) => /at fail \((.*):(\d+):\d+\)/.exec(stderr)?.slice(1);
    assert.deepEqual(at(trace(["--throw"], ["--enable-source-maps"])), [thrower, "9"], "mapped through the source map");
    // Without source maps (the tools' default, --verbose too: mapping every captured stack slows a run twofold).
    for (const args of [["--throw"], ["--throw", "--verbose"]]) {
      const plain = at(trace(args));
      assert.equal(plain?.[0], thrower);
      assert.notEqual(plain?.[1], "9", `not mapped (nothing reads the map): ${args.join(" ")}`);
    }
    if (builtInCompileCache()) return;
    // The module's compiled code is written after its first run without source maps, then read, not rewritten (in a
    // cache of its own: other specs' runs write to the shared one meanwhile).
    const cache = privateCache();
    try {
      const env = { TS_RUN_CACHE_DIR: cache };
      const cacheDir = path.join(cache, "v8-node20");
      assert.equal(run([thrower], env).trim(), "ran");
      const before = new Set(fs.readdirSync(cacheDir));
      fs.appendFileSync(thrower, `// ${process.pid} ${Date.now()}: new content, new keys\n`);
      assert.equal(run([thrower], env).trim(), "ran");
      const added = fs.readdirSync(cacheDir).filter((f) => !before.has(f));
      assert.equal(added.length, 1, `the new module's code: ${added.join(", ")}`);
      const written = fs.statSync(path.join(cacheDir, added[0])).mtimeMs;
      assert.equal(run([thrower], env).trim(), "ran");
      assert.equal(fs.statSync(path.join(cacheDir, added[0])).mtimeMs, written, "accepted by V8, not rewritten");
      // With source maps on, the project's modules are compiled by Node (which reads their maps), not from the cache.
      fs.appendFileSync(thrower, `// source maps ${Date.now()}\n`);
      const beforeMaps = new Set(fs.readdirSync(cacheDir));
      assert.equal(
        execFileSync(process.execPath, ["--enable-source-maps", TS_RUN, thrower], {
          cwd: ROOT,
          encoding: "utf8",
          env: { ...process.env, ...env },
        }).trim(),
        "ran",
      );
      assert.deepEqual(
        fs.readdirSync(cacheDir).filter((f) => !beforeMaps.has(f)),
        [],
      );
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});
