/**
 * npm run cost:diff -- --base <export.json> --head <export.json> [--stack NAME] [--stack-file FILE] [--markdown FILE]
 *
 * Estimates two `pulumi stack export` documents (e.g. the offline preview's `--export` of the base branch and of the
 * pull request, or two real exports) under the stack's usage config and prints what the head adds or removes per
 * month, per tier and line by line. Exit 0, or 2 on bad usage / files / config.
 */
import * as fs from "node:fs";
import { parseArgs, runCli, sameStackExports, UsageError, writeFile } from "./lib/cli";

const USAGE = `usage: npm run cost:diff -- --base <export.json> --head <export.json> [options]
  --stack NAME          stack whose usage config applies (default: from the head's URNs)
  --stack-file FILE     stack config file instead of Pulumi.<stack>.yaml (its usage assumptions price both)
  --base-stack-file FILE  the base's stack config (its usage assumptions price the base; default: --stack-file)
  --markdown FILE       also write the change as Markdown (for a pull request or job summary)
  --json FILE           also write the change as JSON`;

runCli(USAGE, async (argv) => {
  const args = parseArgs(
    argv,
    ["base", "head", "stack", "stack-file", "base-stack-file", "markdown", "json"],
    ["verbose"],
  );
  const { base, head } = args.values;
  if (!base || !head) throw new UsageError("--base and --head are required");
  const { readExportFile, ROOT } = require("./lib/preview") as typeof import("./lib/preview");
  const { costOfStack, diffEstimates, formatDiff } = require("./lib/cost/stack") as typeof import("./lib/cost/stack");
  const b = readExportFile(base, "--base");
  const h = readExportFile(head, "--head");
  sameStackExports(b, h);
  const stack = args.values.stack ?? h[0]?.urn.split("::")[0].split(":")[2];
  if (!stack) throw new UsageError("--stack is required when the head export has no resources");
  const opts = { stack, root: ROOT, stackFile: args.values["stack-file"] };
  const baseOpts = { ...opts, stackFile: args.values["base-stack-file"] ?? opts.stackFile };
  const baseStackFile = args.values["base-stack-file"];
  if (baseStackFile && !fs.existsSync(baseStackFile))
    throw new UsageError(`--base-stack-file ${baseStackFile}: no such file`);
  // Documented (README), and easy to miss: without the base's own stack file, one stack file's usage assumptions
  // price both sides, so a change to them shows as none.
  if (!baseStackFile)
    process.stderr.write(
      `note: ${args.values["stack-file"] ? `--stack-file ${args.values["stack-file"]}` : `Pulumi.${stack}.yaml`} prices both the base and the head with its usage assumptions: a change to \`usage\` itself shows only with --base-stack-file <the base's stack file>\n`,
    );
  let baseOnHeadConfig = false;
  const baseEstimate = () => {
    try {
      return costOfStack(b, baseOpts).estimate;
    } catch (e) {
      // The base branch's stack file is read with this branch's config schema: a key the change renames or removes
      // fails there. The change is still priced, with this branch's stack config on both sides (usage and sizing
      // changes then show on the head only), rather than failing the pull request's job.
      const name = (e as Error).name;
      if (baseOpts.stackFile === opts.stackFile || (name !== "ConfigError" && name !== "StackConfigError")) throw e;
      process.stderr.write(
        `warning: the base stack file ${baseOpts.stackFile} does not validate on this branch (${(e as Error).message}); the base is priced with the head's stack config\n`,
      );
      baseOnHeadConfig = true;
      return costOfStack(b, opts).estimate;
    }
  };
  const { movedUrns } = require("./lib/changes") as typeof import("./lib/changes");
  const diff = diffEstimates(baseEstimate(), costOfStack(h, opts).estimate, movedUrns(b, h));
  // Said where reviewers read it too (the job summary): usage and sizing changes of this pull request then show on the
  // head only.
  const caveat = baseOnHeadConfig
    ? "The base branch's stack file does not validate on this branch: both sides are priced with this branch's stack config, so a usage or sizing change shows on the head only."
    : undefined;
  console.log(formatDiff(diff, stack, false));
  if (args.values.markdown)
    writeFile(args.values.markdown, `${formatDiff(diff, stack, true)}${caveat ? `\n\n> ${caveat}\n` : ""}`);
  if (args.values.json)
    writeFile(args.values.json, JSON.stringify(caveat ? { ...diff, caveat } : diff, null, 2) + "\n");
  return 0;
});
