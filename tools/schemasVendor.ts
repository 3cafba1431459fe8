/**
 * npm run schemas:vendor -- --from <copy of azure-resource-manager-schemas> [--stacks dev,prod] [--prune]
 *
 * Vendors into vendor/azure-resource-manager-schemas/ exactly the ARM schema files the stacks' (ARM type, API
 * version) pairs need, the files they `$ref` (schemas/common/definitions.json, ...) and the MIT licence. The copy
 * is a checkout (a folder with schemas/) or a bare git repository (read at HEAD). Runs the stacks' offline
 * previews to learn the pairs, so re-run it after adding a tier: it adds the new files and keeps the others
 * (--prune removes files no stack uses any more). Exit 0 done, 1 a pair has no schema in the copy, 2 usage.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs, runCli, UsageError, writeFile } from "./lib/cli";

const USAGE = `usage: npm run schemas:vendor -- --from DIR [--stacks dev,prod] [--prune]
  --from DIR     a copy of github.com/Azure/azure-resource-manager-schemas (checkout or bare git repository)
  --stacks LIST  stacks whose resources need schemas (default: every Pulumi.<stack>.yaml)
  --prune        remove vendored files no stack needs any more`;

/** Read access to a copy of the schemas repository. */
interface SchemaSource {
  readonly description: string;
  /** The commit read, when the copy is a git repository. */
  readonly commit?: string;
  list(dir: string): string[];
  read(file: string): string | undefined;
}

function sourceAt(from: string): SchemaSource {
  if (fs.existsSync(path.join(from, "schemas"))) {
    return {
      description: from,
      list: (dir) => (fs.existsSync(path.join(from, dir)) ? fs.readdirSync(path.join(from, dir)) : []),
      read: (file) =>
        fs.existsSync(path.join(from, file)) ? fs.readFileSync(path.join(from, file), "utf8") : undefined,
    };
  }
  const git = (...args: string[]) =>
    execFileSync("git", ["--git-dir", from, ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  let commit: string;
  try {
    commit = git("rev-parse", "HEAD").trim();
  } catch {
    throw new UsageError(`--from ${from}: neither a folder with schemas/ nor a git repository`);
  }
  return {
    description: `${from} at ${commit}`,
    commit,
    list: (dir) => git("ls-tree", "--name-only", `${commit}:${dir}`).split("\n").filter(Boolean),
    read: (file) => {
      try {
        return git("show", `${commit}:${file}`);
      } catch {
        return undefined;
      }
    },
  };
}

function vendorReadme(commit: string | undefined): string {
  return [
    "# Azure Resource Manager JSON schemas (vendored data files)",
    "",
    "Copied unchanged from https://github.com/Azure/azure-resource-manager-schemas" +
      (commit ? ` (commit \`${commit}\`)` : "") +
      ", under the MIT licence in [LICENSE](LICENSE) (Copyright (c) 2015 Microsoft).",
    "",
    "Only the files that the stacks' (ARM type, API version) pairs need, and the files they reference, are here. The",
    "offline preview validates every azure-native request body against them (tools/lib/armSchema/). Do not edit them:",
    "regenerate with `npm run schemas:vendor -- --from <copy of the repository>` after adding a tier or upgrading",
    "@pulumi/azure-native.",
    "",
  ].join("\n");
}

function stacksIn(root: string): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

runCli(USAGE, async (argv) => {
  const args = parseArgs(argv, ["from", "stacks"], ["prune", "verbose"]);
  const from = args.values.from;
  if (!from) throw new UsageError("--from is required");
  const source = sourceAt(path.resolve(from));
  const { ROOT, previewStack } = require("./lib/preview") as typeof import("./lib/preview");
  const { armPairs } = require("./lib/armSchema/check") as typeof import("./lib/armSchema/check");
  const { candidateFiles, definitionsOf, externalFiles, VENDOR_DIR } =
    require("./lib/armSchema/store") as typeof import("./lib/armSchema/store");
  const stacks = args.values.stacks ? args.values.stacks.split(",") : stacksIn(ROOT);

  const pairs = new Map<string, { armType: string; version: string }>();
  for (const stack of stacks) {
    const { run } = await previewStack({ stack, skipSchema: true });
    for (const p of armPairs(run.resources)) pairs.set(`${p.armType}@${p.version}`, p);
  }

  const needed = new Set<string>();
  const missing: string[] = [];
  const texts = new Map<string, string>();
  const read = (file: string): string | undefined => {
    if (!texts.has(file)) {
      const t = source.read(`schemas/${file}`);
      if (t !== undefined) texts.set(file, t);
    }
    return texts.get(file);
  };
  for (const [key, { armType, version }] of [...pairs.entries()].sort()) {
    const files = candidateFiles(source.list(`schemas/${version}`), armType.split("/")[0]);
    const file = files
      .map((name) => `${version}/${name}`)
      .find((f) => definitionsOf(JSON.parse(read(f) ?? "{}") as Record<string, unknown>, armType).length > 0);
    if (file) {
      needed.add(file);
      console.log(`  ${key.padEnd(80)} schemas/${file}`);
    } else missing.push(key);
  }
  // Files referenced by the needed ones (common definitions, other namespaces), transitively.
  for (const queue = [...needed]; queue.length > 0;) {
    const file = queue.pop() as string;
    for (const other of externalFiles(read(file) ?? "", file)) {
      if (needed.has(other)) continue;
      if (read(other) === undefined) throw new Error(`schemas/${file} references schemas/${other}, not in the copy`);
      needed.add(other);
      queue.push(other);
    }
  }
  needed.add("common/definitions.json");

  let added = 0;
  for (const file of [...needed].sort()) {
    const target = path.join(VENDOR_DIR, "schemas", file);
    const text = read(file);
    if (text === undefined) throw new Error(`schemas/${file} is not in the copy`);
    if (!fs.existsSync(target) || fs.readFileSync(target, "utf8") !== text) {
      writeFile(target, text);
      added++;
    }
  }
  const licence = source.read("LICENSE");
  if (licence) writeFile(path.join(VENDOR_DIR, "LICENSE"), licence);
  writeFile(path.join(VENDOR_DIR, "README.md"), vendorReadme(source.commit));
  let pruned = 0;
  if (args.flags.has("prune")) {
    const base = path.join(VENDOR_DIR, "schemas");
    for (const dir of fs.existsSync(base) ? fs.readdirSync(base) : []) {
      for (const name of fs.readdirSync(path.join(base, dir))) {
        if (needed.has(`${dir}/${name}`)) continue;
        fs.rmSync(path.join(base, dir, name));
        pruned++;
      }
      if (fs.readdirSync(path.join(base, dir)).length === 0) fs.rmdirSync(path.join(base, dir));
    }
  }
  console.log(
    `\n${pairs.size} (type, API version) pairs from ${stacks.join(", ")}; ${needed.size} schema files needed, ` +
      `${added} written, ${pruned} pruned (from ${source.description})`,
  );
  if (missing.length > 0) {
    console.error(`no schema in the copy for:\n  ${missing.join("\n  ")}`);
    return 1;
  }
  return 0;
});
