import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cpuReportHooks, reportLine } from "./helpers/cpuReport";
import { tempDir } from "./helpers/tmp";

const ROOT = path.join(__dirname, "..");

/**
 * A copy of `script` (scripts/…) in a scratch tree whose scripts/static-checks.sh and node_modules/.bin tools are
 * stubs that print a marker and exit with the status the environment gives them.
 */
function scratch(script: string, stubs: Record<string, string>): string {
  const dir = tempDir("test-scripts-");
  fs.mkdirSync(path.join(dir, "scripts"));
  fs.mkdirSync(path.join(dir, "node_modules", ".bin"), { recursive: true });
  fs.copyFileSync(path.join(ROOT, "scripts", script), path.join(dir, "scripts", script));
  for (const [file, body] of Object.entries(stubs)) {
    fs.writeFileSync(path.join(dir, file), `#!/usr/bin/env bash\n${body}\n`);
    fs.chmodSync(path.join(dir, file), 0o755);
  }
  return dir;
}

const run = (dir: string, script: string, env: Record<string, string>) =>
  spawnSync("bash", [path.join(dir, "scripts", script)], { env: { ...process.env, ...env }, encoding: "utf8" });

describe("scripts/test.sh (npm test)", () => {
  let dir: string;
  before(() => {
    dir = scratch("test.sh", {
      "scripts/static-checks.sh": 'echo "static-out"; echo "static-err" >&2; exit "${STATIC_RC:-0}"',
      "node_modules/.bin/mocha": 'echo "mocha-out $*"; exit "${MOCHA_RC:-0}"',
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is what npm test runs", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { test: string } };
    assert.equal(pkg.scripts.test, "bash scripts/test.sh");
  });

  it("fails when either part fails, and prints both parts' output, the static checks' after the suite's", () => {
    for (const [staticRc, mochaRc] of [
      ["0", "0"],
      ["1", "0"],
      ["0", "1"],
      ["1", "1"],
      ["0", "137"],
    ]) {
      const r = run(dir, "test.sh", { STATIC_RC: staticRc, MOCHA_RC: mochaRc });
      const label = `static ${staticRc}, mocha ${mochaRc}`;
      assert.equal(r.status === 0, staticRc === "0" && mochaRc === "0", `${label}: exit ${String(r.status)}`);
      // The spec files in parallel, the policy specs through tests/policies.spec.ts (in one worker) only.
      assert.match(
        r.stdout,
        /mocha-out --parallel --jobs [234] tests\/\*\*\/\*\.spec\.ts --ignore tests\/policies\/\*\.spec\.ts$/m,
        label,
      );
      for (const marker of ["static-out", "static-err"])
        assert.ok(r.stdout.indexOf(marker) > r.stdout.indexOf("mocha-out"), `${label}: ${marker} printed, after`);
      assert.equal(/the static checks failed/.test(r.stderr), staticRc !== "0", label);
      assert.equal(/the mocha suite failed/.test(r.stderr), mochaRc !== "0", label);
    }
  });
});

describe("tests/policies.spec.ts (the policy specs, together in one worker)", () => {
  it("loads every policy spec, and none sits where the parallel run would give it a worker of its own", () => {
    // tests/policies/coverage.spec.ts checks the pack's coverage over the specs loaded in its process, and skips its
    // outcome check unless every tests/policies/*.spec.ts is loaded: a spec in a subfolder would run apart from it.
    const dir = path.join(ROOT, "tests", "policies");
    const specs = (d: string): string[] =>
      fs
        .readdirSync(d, { withFileTypes: true })
        .flatMap((e) =>
          e.isDirectory() ? specs(path.join(d, e.name)) : e.name.endsWith(".spec.ts") ? [path.join(d, e.name)] : [],
        );
    assert.deepEqual(
      specs(dir).filter((f) => path.dirname(f) !== dir),
      [],
    );
    const r = spawnSync(
      process.execPath,
      [
        path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js"),
        "--dry-run",
        "--reporter",
        "json",
        "tests/policies.spec.ts",
      ],
      { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(r.status, 0, r.stderr);
    const listed = JSON.parse(r.stdout) as { tests: { fullTitle: string }[] };
    // One test of each policy spec file, by its suite's title.
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".spec.ts"))) {
      const title = /describe\("([^"]+)"/.exec(fs.readFileSync(path.join(dir, file), "utf8"))?.[1];
      assert.ok(title, file);
      assert.ok(
        listed.tests.some((t) => t.fullTitle.startsWith(title)),
        `${file}: '${title}' not loaded`,
      );
    }
  });
});

describe("TEST_CPU_REPORT (tests/helpers/cpuReport.ts: where the suite's time goes, per spec file)", () => {
  it("writes one line per spec file of a parallel run, CPU and wall seconds then the file; nothing without the variable", () => {
    const dir = tempDir("cpu-report-");
    try {
      const report = path.join(dir, "cpu.tsv");
      const mocha = (env: NodeJS.ProcessEnv) =>
        spawnSync(
          path.join(ROOT, "node_modules", ".bin", "mocha"),
          ["--parallel", "--jobs", "2", "tests/assertOk.spec.ts", "tests/pipelines/validate.spec.ts"],
          { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } },
        );
      const without = mocha({ TEST_CPU_REPORT: "" });
      assert.equal(without.status, 0, without.stderr);
      assert.ok(!fs.existsSync(report), "no report without the variable");
      const run = mocha({ TEST_CPU_REPORT: report });
      assert.equal(run.status, 0, run.stderr);
      const lines = fs.readFileSync(report, "utf8").trimEnd().split("\n").sort();
      assert.equal(lines.length, 2, lines.join("\n"));
      assert.match(lines[0], /^\d+\.\d\t\d+\.\d\ttests\/assertOk\.spec\.ts$/);
      assert.match(lines[1], /^\d+\.\d\t\d+\.\d\ttests\/pipelines\/validate\.spec\.ts$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names the first file of a serial run and counts the others; rounds to a tenth of a second", () => {
    const dir = tempDir("cpu-report-");
    try {
      const report = path.join(dir, "cpu.tsv");
      const hooks = cpuReportHooks(report) as { beforeAll(): void; afterAll(this: unknown): void };
      const file = (f: string) => ({ file: path.join(ROOT, f) });
      hooks.beforeAll();
      hooks.afterAll.call({ test: { parent: { suites: [file("tests/a.spec.ts"), file("tests/b.spec.ts")] } } });
      assert.match(fs.readFileSync(report, "utf8"), /^\d+\.\d\t\d+\.\d\ttests\/a\.spec\.ts \(\+1 files\)\n$/);
      assert.equal(reportLine(1_250_000, 3_040, path.join(ROOT, "tests/x.spec.ts")), "1.3\t3.0\ttests/x.spec.ts\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("scripts/static-checks.sh", () => {
  let dir: string;
  before(() => {
    const stub = (tool: string) => `echo "${tool} $*" >>"$CALLS"; exit "\${${tool.toUpperCase()}_RC:-0}"`;
    dir = scratch("static-checks.sh", {
      "node_modules/.bin/tsc": stub("tsc"),
      "node_modules/.bin/eslint": stub("eslint"),
      "node_modules/.bin/prettier": stub("prettier"),
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("fails when any of tsc, eslint and prettier fails, naming it", () => {
    for (const failing of [undefined, "tsc", "eslint", "prettier"]) {
      const calls = path.join(dir, `calls-${failing ?? "none"}`);
      const r = run(dir, "static-checks.sh", {
        CALLS: calls,
        ...(failing ? { [`${failing.toUpperCase()}_RC`]: "1" } : {}),
      });
      assert.equal(r.status, failing ? 1 : 0, String(failing));
      if (failing) assert.match(r.stderr, new RegExp(`static checks: ${failing} `), failing);
      assert.equal(fs.readFileSync(calls, "utf8").trim().split("\n").length, 3, "all three ran");
    }
  });

  it("caches by content (a checkout or touch that keeps the content re-checks nothing; one that changes it re-checks)", () => {
    const calls = path.join(dir, "calls-cache");
    run(dir, "static-checks.sh", { CALLS: calls });
    const line = (tool: string) =>
      fs
        .readFileSync(calls, "utf8")
        .split("\n")
        .find((l) => l.startsWith(`${tool} `)) ?? "";
    assert.match(line("eslint"), /--cache --cache-strategy content /);
    assert.match(line("prettier"), /--check .*--cache --cache-strategy content /);
    assert.match(line("tsc"), /--noEmit --incremental /);
  });
});
