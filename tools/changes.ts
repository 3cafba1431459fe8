/**
 * npm run changes -- --base <export.json> --head <export.json> [--stack NAME] [--markdown FILE] [--json FILE]
 *
 * Lists what the head deletes or replaces in Azure compared with the base (tools/lib/changes.ts): two exports of one
 * stack, e.g. the offline preview's `--export` of the base branch and of the pull request. Informational: exit 0
 * whatever it finds (the real `pulumi preview` decides), 2 on bad usage or files.
 */
import { parseArgs, runCli, UsageError, writeFile } from "./lib/cli";

const USAGE = `usage: npm run changes -- --base <export.json> --head <export.json> [options]
  --stack NAME          the stack's name in the output (default: from the head's URNs)
  --markdown FILE       also write the list as Markdown (for a pull request or job summary)
  --json FILE           also write the list as JSON`;

runCli(USAGE, async (argv) => {
  const args = parseArgs(argv, ["base", "head", "stack", "markdown", "json"], ["verbose"]);
  const { base, head } = args.values;
  if (!base || !head) throw new UsageError("--base and --head are required");
  const { readExportFile } = require("./lib/preview") as typeof import("./lib/preview");
  const { formatChanges, plannedChanges } = require("./lib/changes") as typeof import("./lib/changes");
  const h = readExportFile(head);
  const changes = plannedChanges(readExportFile(base), h);
  const stack = args.values.stack ?? h[0]?.urn.split("::")[0].split(":")[2] ?? "unknown";
  console.log(formatChanges(changes, stack, false));
  if (args.values.markdown) writeFile(args.values.markdown, `${formatChanges(changes, stack, true)}\n`);
  if (args.values.json) writeFile(args.values.json, JSON.stringify(changes, null, 2) + "\n");
  return 0;
});
