import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { currentPolicyDocs, DOC, knobLines } from "../tools/policyDocs";
import { policies } from "../policies/policies";

describe("docs/policy-rules.md", () => {
  it("is generated from the pack's current metadata (run `npm run policy:docs` when it is stale)", () => {
    assert.equal(
      fs.readFileSync(DOC, "utf8"),
      currentPolicyDocs(),
      "docs/policy-rules.md is stale: run `npm run policy:docs`",
    );
  });
  it("lists every rule, with at least 60 rules in the pack", () => {
    const text = fs.readFileSync(DOC, "utf8");
    assert.ok(policies.length >= 60, `${policies.length} rules`);
    for (const p of policies) assert.ok(text.includes(`\`${p.name}\``), p.name);
  });
  it("gives every rule the metadata auditors rely on", () => {
    for (const p of policies) {
      assert.ok(p.severity, `${p.name}: severity`);
      assert.equal(p.framework?.name, "PCI DSS", `${p.name}: framework`);
      assert.equal(p.framework?.version, "4.0.1");
      assert.ok(p.remediationSteps && p.remediationSteps.length > 20, `${p.name}: remediationSteps`);
      assert.match(p.url ?? "", /^https:\/\//, `${p.name}: url`);
      assert.match(p.description, /\.$/, `${p.name}: the description is a sentence`);
      assert.ok(
        p.tags?.some((t) => t.startsWith("service:")),
        `${p.name}: service tag`,
      );
    }
    assert.equal(new Set(policies.map((p) => p.name)).size, policies.length, "unique names");
  });
  it("describes every knob a stack's policy config may set, with its type and default, under its rule", () => {
    for (const p of policies)
      for (const [name, schema] of Object.entries(p.configSchema?.properties ?? {}))
        assert.ok((schema.description ?? "").length > 10, `${p.name}: knob ${name} has a description`);
    assert.deepEqual(
      knobLines({
        exemptions: { type: "array", description: "every rule's" },
        minDays: { type: "integer", default: 90, description: "Days at least." },
        mode: { enum: ["a", "b"], description: "The mode | the other." },
        hosts: {
          type: "array",
          default: [],
          description: "Hosts.",
          items: {
            type: "object",
            properties: {
              pattern: { type: "string" },
              reason: { type: "string" },
              whileEmpty: { type: "boolean", description: "Only while empty." },
            },
          },
        },
      }),
      [
        "  - `minDays` (integer, default 90): Days at least.",
        '  - `mode` (one of "a", "b"): The mode | the other.',
        "  - `hosts` (list of {pattern, reason, whileEmpty}, default []): Hosts.",
        "    - `whileEmpty` (boolean): Only while empty.",
      ],
    );
    const text = fs.readFileSync(DOC, "utf8");
    assert.match(
      text,
      /\n {2}- `exemptSubnets` \(list of \{pattern, reason, whileEmpty\}, default \[\]\): Subnets of the firewall's network[^\n]*\n {4}- `whileEmpty` \(boolean\): The listing holds only while the deployed subnet is empty/,
    );
  });
});

describe("docs: the counts they state follow the data model", () => {
  // A table added to the model (or to the extraction) must not leave the docs describing the old one.
  const { dataModel } = require("../pipelines/model") as typeof import("../pipelines/model");
  const { extractedTables } = require("../pipelines/etl/groups") as typeof import("../pipelines/etl/groups");
  const read = (f: string) => fs.readFileSync(`${__dirname}/../${f}`, "utf8");
  const tables = dataModel.oltp.tables.length;
  const extracts = extractedTables(dataModel).length;
  const claims: [file: string, pattern: RegExp, expected: number][] = [
    ["README.md", /the (\d+) OLTP tables/g, tables],
    ["pipelines/README.md", /The (\d+) OLTP tables/g, tables],
    ["pipelines/README.md", /exactly (\d+) OLTP tables/g, tables],
    ["pipelines/README.md", /`etl_extract_<table>` \(×(\d+)\)/g, extracts],
    ["docs/etl.md", /etl_extract_<t> ×(\d+)/g, extracts],
    ["docs/etl.md", /Extract \((\d+) tables in parallel\)/g, extracts],
    ["docs/etl.md", /The (\d+) extract pipelines/g, extracts],
    ["docs/etl.md", /\((\d+) × 8\)/g, extracts],
    ["docs/etl.md", /(\d+) concurrent copies/g, extracts],
    ["Pulumi.prod.yaml", /The (\d+) extracts start together/g, extracts],
  ];

  it("names as many OLTP tables and extracts as the model has", () => {
    for (const [file, pattern, expected] of claims) {
      const found = [...read(file).matchAll(pattern)].map((m) => Number(m[1]));
      assert.ok(found.length > 0, `${file}: ${pattern} no longer appears (update this test with the docs)`);
      for (const n of found) assert.equal(n, expected, `${file}: ${pattern} says ${n}, the model has ${expected}`);
    }
  });
});

describe("docs: the commands an operator pastes", () => {
  it("every fenced block opens and closes on a line of its own (three backticks), so it pastes whole", () => {
    const root = `${__dirname}/..`;
    const files = [
      "README.md",
      "pipelines/README.md",
      ...fs
        .readdirSync(`${root}/docs`)
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
    ];
    for (const file of files) {
      const lines = fs.readFileSync(`${root}/${file}`, "utf8").split("\n");
      let open: number | undefined;
      lines.forEach((line, i) => {
        const fence = /^\s*(`{3,})(.*)$/.exec(line);
        if (!fence) return;
        assert.equal(fence[1].length, 3, `${file}:${i + 1}: a fence of ${fence[1].length} backticks`);
        if (open === undefined) {
          assert.match(fence[2], /^[\w-]*$/, `${file}:${i + 1}: an opening fence takes a language name only`);
          open = i;
        } else {
          assert.equal(fence[2].trim(), "", `${file}:${i + 1}: text after a closing fence (the block would not close)`);
          open = undefined;
        }
      });
      assert.equal(open, undefined, `${file}: a fence opened at line ${(open ?? 0) + 1} never closes`);
    }
  });
});

describe("repository paths named in docs and comments", () => {
  /** Files a command writes when asked (`npm run cost:retail -- --write`), named before they exist. */
  const WRITTEN_BY_A_COMMAND = new Set(["tools/lib/cost/retail-overrides.json"]);
  /** What a build writes (the function package's `npm run build`), named before it exists. */
  const BUILT = new Set(["pipelines/functions/dist/"]);
  const root = `${__dirname}/..`;
  const trackedFiles = execFileSync("git", ["ls-files"], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
  const tracked = new Set(trackedFiles);
  const trackedDirs = new Set(
    trackedFiles.flatMap((f) =>
      f
        .split("/")
        .slice(0, -1)
        .map((_, i, a) => a.slice(0, i + 1).join("/")),
    ),
  );
  /** Whether a path names a tracked file, a tracked folder (`…/`), or a file a command writes. */
  const exists = (p: string) =>
    p.endsWith("/") ? trackedDirs.has(p.slice(0, -1)) : tracked.has(p) || WRITTEN_BY_A_COMMAND.has(p);
  const text = trackedFiles.filter((f) => /\.(ts|md|cjs|sh|ya?ml|sql|asaql|ps1)$/.test(f) && !f.startsWith("vendor/"));
  // A path from the root, a file or a folder: not inside a longer path or a URL (`src/lib/…`, `…/docs/blob/…`). `lib/`
  // is left out, as packages name their own `lib/` folder (policies/lib, the functions' src/lib) the same way.
  const fromRoot =
    /(?<![\w/.@-])(?:tools|components|policies|pipelines|scripts|docs)\/(?:[\w./-]*\w\.(?:ts|md|json|cjs|sql|sh|asaql|ya?ml)\b|(?:[\w-]+\/)+(?![\w.]))/g;

  it("every path a README, a doc or a source comment names from the repository root exists (a file split into a folder is renamed there too)", () => {
    assert.ok(text.length > 300, `read ${text.length} files`);
    const missing: string[] = [];
    for (const file of text) {
      let body = fs.readFileSync(`${root}/${file}`, "utf8");
      // Tests name made-up paths on purpose in their code: only their comments are held to the tree.
      if (file.startsWith("tests/"))
        body = body
          .split("\n")
          .filter((l) => /^\s*(\/\/|\*|\/\*\*)/.test(l))
          .join("\n");
      for (const m of body.matchAll(fromRoot)) if (!exists(m[0])) missing.push(`${file}: ${m[0]}`);
    }
    assert.deepEqual([...new Set(missing)], [], "paths that name no file or folder (moved or split?)");
  });

  it("every path a folder's README names in code spans from its own folder exists (pipelines/README.md's `model/olap.ts`)", () => {
    const readmes = text.filter((f) => f.endsWith("/README.md"));
    assert.ok(readmes.length >= 3, readmes.join(", "));
    const missing: string[] = [];
    for (const file of readmes) {
      const dir = file.slice(0, file.lastIndexOf("/") + 1);
      for (const m of fs
        .readFileSync(`${root}/${file}`, "utf8")
        .matchAll(/`((?:[\w.-]+\/)+(?:[\w-]+\.(?:ts|md|json|sql|asaql|ps1))?)`/g)) {
        const p = m[1];
        if (/^(?:\.\.?\/|node_modules\/)/.test(p) || p.includes("*")) continue;
        // Or a cell's path under the README's folder (the generators row's `oltp/` is generators/oltp/).
        const under = (p.endsWith("/") ? [...trackedDirs].map((d) => `${d}/`) : trackedFiles).some(
          (t) => t.startsWith(dir) && t.endsWith(`/${p}`),
        );
        if (!exists(dir + p) && !exists(p) && !under && !BUILT.has(dir + p)) missing.push(`${file}: ${p}`);
      }
    }
    assert.deepEqual([...new Set(missing)], [], "paths that name no file or folder (moved or split?)");
  });
});
