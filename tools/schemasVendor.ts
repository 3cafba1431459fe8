/**
 * npm run schemas:vendor -- --from <copy of azure-resource-manager-schemas> [--stacks dev,prod] [--prune] [--out DIR]
 *
 * Vendors into vendor/azure-resource-manager-schemas/ exactly the ARM schema files the stacks' (ARM type, API
 * version) pairs need, the files they `$ref` (schemas/common/definitions.json, ...) and the MIT licence. The copy
 * is a checkout (a folder with schemas/) or a bare git repository (read at HEAD). It runs the stacks' offline
 * previews to learn the pairs, so re-run it after adding a tier or upgrading @pulumi/azure-native: it adds the new
 * files and keeps the others (--prune removes files no stack uses any more). The pairs a retirement's fix moves
 * resources to (tools/lib/retirements.ts, `fixedBy`) are vendored too, ahead of the fix.
 * Exit 0 done, 1 a pair has no schema in the copy (other than the types Microsoft publishes none for), 2 usage or
 * program error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs, runCli, UsageError } from "./lib/cli";

const USAGE = `usage: npm run schemas:vendor -- --from DIR [--stacks dev,prod] [--prune] [--out DIR]
  --from DIR     a copy of github.com/Azure/azure-resource-manager-schemas (checkout or bare git repository)
  --stacks LIST  stacks whose resources need schemas (default: every Pulumi.<stack>.yaml)
  --prune        remove vendored files no stack needs any more
  --out DIR      where to vendor (default: vendor/azure-resource-manager-schemas)`;

function stacksIn(root: string): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

runCli(USAGE, async (argv) => {
  const args = parseArgs(argv, ["from", "stacks", "out"], ["prune", "verbose"]);
  if (!args.values.from) throw new UsageError("--from is required");
  const { ROOT, previewStack } = require("./lib/preview") as typeof import("./lib/preview");
  const { armPairs } = require("./lib/armSchema/check") as typeof import("./lib/armSchema/check");
  const { VENDOR_DIR } = require("./lib/armSchema/store") as typeof import("./lib/armSchema/store");
  const { sourceAt, vendorSchemas } = require("./lib/armSchema/vendor") as typeof import("./lib/armSchema/vendor");
  const source = sourceAt(path.resolve(args.values.from));
  const stacks = args.values.stacks ? args.values.stacks.split(",") : stacksIn(ROOT);
  const pairs = new Map<string, { armType: string; version: string }>();
  for (const stack of stacks) {
    const { run } = await previewStack({ stack, skipSchema: true });
    for (const p of armPairs(run.resources)) pairs.set(`${p.armType}@${p.version}`, p);
  }
  // The pairs a retirement's fix moves resources to, vendored ahead of the fix (Retirement.fixedBy).
  const { RETIREMENTS } = require("./lib/retirements") as typeof import("./lib/retirements");
  for (const p of RETIREMENTS.flatMap((r) => r.fixedBy ?? [])) pairs.set(`${p.armType}@${p.version}`, p);
  const out = args.values.out ? path.resolve(args.values.out) : VENDOR_DIR;
  const result = vendorSchemas(source, [...pairs.values()], out, { prune: args.flags.has("prune") });
  for (const [pair, file] of [...result.files.entries()].sort()) {
    const stand = result.fallbacks.get(pair);
    console.log(`  ${pair.padEnd(80)} schemas/${file}${stand ? ` (none published for this version)` : ""}`);
  }
  console.log(
    `\n${pairs.size} (type, API version) pairs from ${stacks.join(", ")} and the retirements' fixes; ${result.needed.length} schema files ` +
      `needed, ${result.written} written, ${result.pruned} pruned (from ${source.description})`,
  );
  // Types Microsoft publishes no resource schema for in any version (UNPUBLISHED_SCHEMAS): the check lists them as not
  // validated, so their absence is expected, not a failure.
  const { unpublishedReason } = require("./lib/armSchema/check") as typeof import("./lib/armSchema/check");
  const unpublished = (pair: string) => unpublishedReason(pair.split("@")[0]);
  const expected = result.missing.filter(unpublished);
  if (expected.length > 0)
    console.log(
      `not published by Microsoft (listed as not validated):\n  ${expected.map((p) => `${p}: ${unpublished(p)}`).join("\n  ")}`,
    );
  const missing = result.missing.filter((p) => !unpublished(p));
  if (missing.length > 0) {
    console.error(`no schema in the copy for:\n  ${missing.join("\n  ")}`);
    return 1;
  }
  return 0;
});
