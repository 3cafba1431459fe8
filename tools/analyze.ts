/**
 * npm run policy:analyze -- --file <export.json> [--stack NAME] [--json FILE] [--markdown FILE]
 *                           [--policy-config FILE] [--verbose]
 *
 * Runs the policy pack over an existing `pulumi stack export` (ours from --export, or a real deployed stack's)
 * with the same verdict and outputs as the offline preview; its exit code follows the pack's verdict alone (1 on a
 * mandatory violation), as an export carries no schema check, first-deploy hazards or retirements to judge.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs, runCli, UsageError, writeFile } from "./lib/cli";

const USAGE = `usage: npm run policy:analyze -- --file <export.json> [options]
  --stack NAME          stack whose policy config applies (default: from the URNs); a name with no
                        policies/config/<NAME>.json is refused (from the URNs: a warning, the pack's defaults)
  --json FILE           write the policy verdict as JSON
  --markdown FILE       write the policy verdict as Markdown
  --policy-config FILE  policy pack config (default: policies/config/<stack>.json); same shape as
                        \`pulumi preview --policy-pack-config\`, but stricter: an unknown policy name or
                        setting is an error here, where the CLI silently ignores it
  --verbose             stack traces on errors
exit codes: 0 no mandatory violation, 1 mandatory violations, 2 usage/config/input error`;

runCli(USAGE, async (argv) => {
  const args = parseArgs(argv, ["file", "stack", "json", "markdown", "policy-config"], ["verbose"]);
  const file = args.values.file;
  if (!file) throw new UsageError("--file is required");
  if (!fs.existsSync(file)) throw new UsageError(`--file ${file}: no such file`);
  // Loaded after the arguments are checked, so bad usage answers at once.
  const { isUndecided, mandatoryViolations } = require("./lib/policyRunner") as typeof import("./lib/policyRunner");
  const { analyzeExport, ExportFormatError, packVersion, PACK_NAME, readPolicyConfig } =
    require("./lib/preview") as typeof import("./lib/preview");
  const { formatVerdict, verdictJson, verdictMarkdown } = require("./lib/report") as typeof import("./lib/report");
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new ExportFormatError(`${file} is not JSON: ${(e as Error).message}`);
  }
  // Which policy config applies: a stack with no policies/config/<stack>.json gets the pack's defaults (its waivers,
  // such as dev's, do not apply). Named on the command line, that is a typo; read from the export's URNs, a warning.
  if (!args.values["policy-config"]) {
    const { ROOT } = require("./lib/preview") as typeof import("./lib/preview");
    const configDir = path.join(ROOT, "policies", "config");
    const known = fs.existsSync(configDir)
      ? fs
          .readdirSync(configDir)
          .filter((f) => f.endsWith(".json"))
          .map((f) => f.slice(0, -".json".length))
          .sort()
      : [];
    const exported = (doc as { deployment?: { resources?: { urn?: string }[] } })?.deployment?.resources?.[0]?.urn;
    const exportedStack = exported?.split("::")[0].split(":")[2];
    const stack = args.values.stack ?? exportedStack;
    // Another stack's config over this export (dev's waivers over prod's resources) is allowed, but said.
    if (args.values.stack && exportedStack && args.values.stack !== exportedStack)
      process.stderr.write(
        `warning: --stack ${args.values.stack} applies policies/config/${args.values.stack}.json to an export of the stack '${exportedStack}' (its URNs name it)\n`,
      );
    if (stack && !known.includes(stack)) {
      const message = `no policies/config/${stack}.json (stacks with a policy config: ${known.join(", ") || "none"})`;
      if (args.values.stack) throw new UsageError(`--stack ${stack}: ${message}; or pass --policy-config FILE`);
      process.stderr.write(`warning: ${message}: the pack's defaults apply\n`);
    }
  }
  const { verdict, reading } = await analyzeExport(doc, {
    stack: args.values.stack,
    policyConfig: args.values["policy-config"] ? readPolicyConfig(args.values["policy-config"]) : undefined,
  });
  const pack = `${PACK_NAME}@v${packVersion()}`;
  const offline =
    (doc as { deployment?: { manifest?: { version?: string } } }).deployment?.manifest?.version === "offline-preview";
  // An unknown secret makes the rule that reads it report "can't run" (isUndecided): none reported, nothing to say.
  const undecided = verdict.violations.some(isUndecided);
  if (reading.encryptedSecrets > 0 && undecided && offline)
    process.stderr.write(
      `note: ${reading.encryptedSecrets} secret value(s) in ${file} are the offline preview's placeholders: the rules ` +
        "that read them cannot decide (reported as unable to run); the deployed stack's export decides them\n",
    );
  else if (reading.encryptedSecrets > 0 && undecided)
    process.stderr.write(
      `warning: ${reading.encryptedSecrets} secret value(s) in ${file} are encrypted: the rules that read them cannot ` +
        "decide (reported as unable to run), where the CLI's analyzer sees their values; for its verdict, analyze " +
        "an export made with `pulumi stack export --show-secrets` (and keep that file out of the repository)\n",
    );
  console.log(formatVerdict(verdict, pack));
  const mandatory = mandatoryViolations(verdict).length;
  // As the preview ends: what decided the exit code (here the pack's verdict alone).
  const result =
    mandatory > 0
      ? `Result: exit 1 (${mandatory} mandatory violation${mandatory === 1 ? "" : "s"})`
      : "Result: exit 0 (no mandatory violation)";
  if (args.values.json) writeFile(args.values.json, JSON.stringify(verdictJson(verdict), null, 2) + "\n");
  if (args.values.markdown) writeFile(args.values.markdown, `**${result}**\n\n${verdictMarkdown(verdict, pack)}`);
  console.log(`\n${result}`);
  return mandatory > 0 ? 1 : 0;
});
