/**
 * npm run changes -- --base <export.json> --head <export.json> [--stack NAME] [--markdown FILE] [--json FILE]
 *
 * Lists what the head renames, deletes, replaces, forgets or updates in Azure compared with the base (tools/lib/changes/): two exports of one
 * stack, e.g. the offline preview's `--export` of the base branch and of the pull request. Informational: exit 0
 * whatever it finds (the real `pulumi preview` decides), 2 on bad usage or files. Under GitHub Actions each change that
 * would fail `pulumi up` or lose what a rename meant to keep is also an error annotation on the run (`::error::`), so
 * a pull request shows it beside its checks.
 */
import { parseArgs, runCli, sameStackExports, UsageError, writeFile } from "./lib/cli";

const USAGE = `usage: npm run changes -- --base <export.json> --head <export.json> [options]
  --stack NAME          the stack's name in the output (default: from the head's URNs)
  --markdown FILE       also write the list as Markdown (for a pull request or job summary)
  --json FILE           also write the list as JSON`;

runCli(USAGE, async (argv) => {
  const args = parseArgs(argv, ["base", "head", "stack", "markdown", "json"], ["verbose"]);
  const { base, head } = args.values;
  if (!base || !head) throw new UsageError("--base and --head are required");
  const { readExportFile } = require("./lib/preview") as typeof import("./lib/preview");
  const { blocking, blockingTitle, formatChanges, plannedChanges } =
    require("./lib/changes") as typeof import("./lib/changes");
  const h = readExportFile(head, "--head");
  const b = readExportFile(base, "--base");
  sameStackExports(b, h);
  const changes = plannedChanges(b, h);
  const stack = args.values.stack ?? h[0]?.urn.split("::")[0].split(":")[2] ?? "unknown";
  console.log(formatChanges(changes, stack, false));
  if (process.env.GITHUB_ACTIONS === "true")
    for (const c of changes.filter(blocking))
      console.log(
        `::error title=${stack}: ${blockingTitle(c)}::${c.name} (${c.type})${c.renamedTo ? ` -> ${c.renamedTo.name}` : ""}: pulumi up would fail or delete it (npm run changes; docs/ci.md, "The pull request's job summary")`,
      );
  if (args.values.markdown) writeFile(args.values.markdown, `${formatChanges(changes, stack, true)}\n`);
  if (args.values.json) writeFile(args.values.json, JSON.stringify(changes, null, 2) + "\n");
  return 0;
});
