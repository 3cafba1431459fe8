import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
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
      assert.match(r.stdout, /mocha-out tests\/\*\*\/\*\.spec\.ts/, label);
      for (const marker of ["static-out", "static-err"])
        assert.ok(r.stdout.indexOf(marker) > r.stdout.indexOf("mocha-out"), `${label}: ${marker} printed, after`);
      assert.equal(/the static checks failed/.test(r.stderr), staticRc !== "0", label);
      assert.equal(/the mocha suite failed/.test(r.stderr), mochaRc !== "0", label);
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
