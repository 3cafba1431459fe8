/**
 * Vendoring of ARM schema files from a copy of github.com/Azure/azure-resource-manager-schemas (a checkout or a
 * bare git repository): the file declaring each (ARM type, API version) pair, the files those reference, the
 * common definitions and the MIT licence. Used by `npm run schemas:vendor`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ArmPair } from "./check";
import { candidateFiles, definitionsOf, externalFiles } from "./schemaDoc";
import { FALLBACKS_FILE } from "./store";

/** Read access to a copy of the schemas repository. */
export interface SchemaSource {
  readonly description: string;
  /** The commit read, when the copy is a git repository. */
  readonly commit?: string;
  list(dir: string): string[];
  read(file: string): string | undefined;
}

export class SchemaSourceError extends Error {
  override name = "UsageError";
}

/** A checkout (a folder with schemas/) or a bare git repository, read at HEAD. */
export function sourceAt(from: string): SchemaSource {
  if (fs.existsSync(path.join(from, "schemas"))) {
    const at = (f: string) => path.join(from, f);
    return {
      description: from,
      list: (dir) => (fs.existsSync(at(dir)) ? fs.readdirSync(at(dir)) : []),
      read: (file) => (fs.existsSync(at(file)) ? fs.readFileSync(at(file), "utf8") : undefined),
    };
  }
  const git = (...args: string[]) =>
    execFileSync("git", ["--git-dir", from, ...args], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    });
  let commit: string;
  try {
    commit = git("rev-parse", "HEAD").trim();
  } catch {
    throw new SchemaSourceError(`--from ${from}: neither a folder with schemas/ nor a git repository`);
  }
  return {
    description: `${from} at ${commit}`,
    commit,
    list: (dir) => {
      try {
        return git("ls-tree", "--name-only", `${commit}:${dir}`).split("\n").filter(Boolean);
      } catch {
        return [];
      }
    },
    read: (file) => {
      try {
        return git("show", `${commit}:${file}`);
      } catch {
        return undefined;
      }
    },
  };
}

export interface VendorResult {
  /** Pair → file under schemas/. */
  readonly files: ReadonlyMap<string, string>;
  /** Every file vendored (pairs' files, what they reference, the common definitions). */
  readonly needed: readonly string[];
  readonly written: number;
  readonly pruned: number;
  /** Pairs no file of the copy declares, at their API version or an older one. */
  readonly missing: readonly string[];
  /** Pairs whose API version has no published schema → the older version that stands in. */
  readonly fallbacks: ReadonlyMap<string, string>;
}

function readme(commit: string | undefined): string {
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
    "@pulumi/azure-native. `fallbacks.json` (when present) lists the pairs whose API version has no published schema,",
    "with the older version whose schema stands in for it.",
    "",
  ].join("\n");
}

function write(file: string, text: string): boolean {
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return true;
}

/** Copies into `outDir` the schema files the pairs need; keeps others unless `prune`. */
export function vendorSchemas(
  source: SchemaSource,
  pairs: readonly ArmPair[],
  outDir: string,
  opts: { prune?: boolean } = {},
): VendorResult {
  const texts = new Map<string, string | undefined>();
  const read = (file: string): string | undefined => {
    if (!texts.has(file)) texts.set(file, source.read(`schemas/${file}`));
    return texts.get(file);
  };
  const files = new Map<string, string>();
  const missing: string[] = [];
  const needed = new Set<string>(["common/definitions.json"]);
  const declaring = (armType: string, version: string) =>
    candidateFiles(source.list(`schemas/${version}`), armType.split("/")[0])
      .map((name) => `${version}/${name}`)
      .find((f) => definitionsOf(JSON.parse(read(f) ?? "{}") as Record<string, unknown>, armType).length > 0);
  let versions: string[] | undefined;
  const fallbacks = new Map<string, string>();
  for (const { armType, version } of pairs) {
    const key = `${armType}@${version}`;
    let file = declaring(armType, version);
    if (!file) {
      // Microsoft publishes schemas for most API versions, not all (some newer ones lag): the newest older
      // version declaring the type stands in, and the check says so.
      versions ??= source.list("schemas").filter((v) => /^\d{4}-\d{2}-\d{2}/.test(v));
      for (const older of versions
        .filter((v) => v < version)
        .sort()
        .reverse()) {
        file = declaring(armType, older);
        if (file) {
          fallbacks.set(key, older);
          break;
        }
      }
    }
    if (file) {
      files.set(key, file);
      needed.add(file);
    } else missing.push(key);
  }
  // Files referenced by the needed ones (other namespaces), transitively.
  for (const queue = [...needed]; queue.length > 0;) {
    const file = queue.pop() as string;
    for (const other of externalFiles(read(file) ?? "", file)) {
      if (needed.has(other)) continue;
      needed.add(other);
      queue.push(other);
    }
  }
  let written = 0;
  for (const file of needed) {
    const text = read(file);
    if (text === undefined) throw new Error(`schemas/${file} is not in ${source.description}`);
    if (write(path.join(outDir, "schemas", file), text)) written++;
  }
  const licence = source.read("LICENSE");
  if (!licence) throw new Error(`${source.description} has no LICENSE`);
  write(path.join(outDir, "LICENSE"), licence);
  write(path.join(outDir, "README.md"), readme(source.commit));
  const fallbackFile = path.join(outDir, FALLBACKS_FILE);
  const kept =
    !opts.prune && fs.existsSync(fallbackFile)
      ? (JSON.parse(fs.readFileSync(fallbackFile, "utf8")) as Record<string, string>)
      : {};
  const allFallbacks = { ...kept, ...Object.fromEntries(fallbacks) };
  const sorted = Object.fromEntries(Object.entries(allFallbacks).sort(([a], [b]) => a.localeCompare(b)));
  if (Object.keys(sorted).length > 0) write(fallbackFile, JSON.stringify(sorted, null, 2) + "\n");
  else if (fs.existsSync(fallbackFile)) fs.rmSync(fallbackFile);
  let pruned = 0;
  const base = path.join(outDir, "schemas");
  for (const dir of opts.prune && fs.existsSync(base) ? fs.readdirSync(base) : []) {
    for (const name of fs.readdirSync(path.join(base, dir))) {
      if (needed.has(`${dir}/${name}`)) continue;
      fs.rmSync(path.join(base, dir, name));
      pruned++;
    }
    if (fs.readdirSync(path.join(base, dir)).length === 0) fs.rmdirSync(path.join(base, dir));
  }
  return { files, needed: [...needed].sort(), written, pruned, missing: missing.sort(), fallbacks };
}
