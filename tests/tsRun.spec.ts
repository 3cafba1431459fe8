import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const TS_RUN = path.join(ROOT, "scripts", "ts-run.cjs");
const run = (args: string[]) => execFileSync(process.execPath, [TS_RUN, ...args], { cwd: ROOT, encoding: "utf8" });

describe("ts-run: the cached loader behind `npm run preview:offline`", function () {
  this.timeout(60000);
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

  it("defers the TypeScript compiler @pulumi/pulumi loads for closure serialization, which still works", () => {
    const probe = path.join(dir, "probe.ts");
    fs.writeFileSync(
      probe,
      `import * as pulumi from "@pulumi/pulumi";\n` +
        `const loaded = () => Object.keys(require.cache).some((k) => k.endsWith("/typescript/lib/typescript.js"));\n` +
        `const before = loaded();\n` +
        `pulumi.runtime.serializeFunction(() => 42).then((f) => console.log(before, loaded(), f.text.includes("42")));\n`,
    );
    run([probe]); // the first run transpiles probe.ts, which loads the compiler for that
    assert.equal(run([probe]).trim(), "false true true");
  });
});
