/**
 * npm run preview:offline -- --stack <dev|prod> [--export FILE] [--json FILE] [--markdown FILE]
 *                            [--cost FILE] [--policy-config FILE] [--stack-file FILE] [--on DATE] [--quiet] [--verbose]
 *
 * Runs the real program offline (Pulumi mock engine, realistic ARM ids, no cloud calls) with the stack's
 * config, prints the resource tree and the policy pack's verdict. Exit 0 / 1 (mandatory violations) / 2.
 */
import * as path from "node:path";
import { parseArgs, runCli, UsageError, writeFile, missingOption } from "./lib/cli";

const USAGE = `usage: npm run preview:offline -- --stack <dev|prod> [options]
  --export FILE         write the resources as a \`pulumi stack export\` (deployment v3, or v4
                        with its replaceWith feature when a resource uses that option)
  --json FILE           write the policy verdict as JSON
  --markdown FILE       write the policy verdict as Markdown (per PCI DSS requirement), with the cost estimate
  --cost FILE           write the cost estimate (monthly lines, per tier, list and committed) and the capacity
                        of each tier against the target load as JSON
  --policy-config FILE  policy pack config (default: policies/config/<stack>.json); same shape as
                        \`pulumi preview --policy-pack-config\`, but stricter: an unknown policy name or
                        setting is an error here, where the CLI silently ignores it
  --stack-file FILE     stack config file instead of Pulumi.<stack>.yaml
  --program FILE        program entry instead of index.ts (for test fixtures)
  --skip-schema         skip the ARM schema check of the request bodies
  --on DATE             check the dated retirements (tools/lib/retirements.ts) as of DATE (YYYY-MM-DD) instead of
                        today: will this stack still deploy then?
  --quiet               leave out the resource tree and the per-type counts (the verdict, checks and cost stay)
  --verbose             stack traces on errors
exit codes: 0 no mandatory violation, schema error, first-deploy hazard or passed retirement; 1 mandatory violations
            (in the first preview, or once deployed: over the deployed view), ARM schema errors, first-deploy hazards
            (tools/lib/hazards/) or a retirement whose date has passed and after which deploys fail or the service
            stops (tools/lib/retirements.ts); 2 usage/config/program error`;

runCli(USAGE, async (argv) => {
  const args = parseArgs(
    argv,
    ["stack", "export", "json", "markdown", "cost", "policy-config", "stack-file", "program", "on"],
    ["quiet", "verbose", "skip-schema"],
  );
  const stack = args.values.stack;
  if (!stack) throw missingOption("stack");
  // The day with the light parser: the retirements (which load the engine and so the SDK) come after the worker starts.
  const { parseDay } = require("./lib/day") as typeof import("./lib/day");
  let today = new Date();
  if (args.values.on !== undefined) {
    try {
      today = parseDay(args.values.on);
    } catch {
      throw new UsageError(`--on takes a date as YYYY-MM-DD, not '${args.values.on}'`);
    }
  }
  const options = {
    stack,
    stackFile: args.values["stack-file"],
    program: args.values.program ? path.resolve(args.values.program) : undefined,
    debug: args.flags.has("verbose"),
    // The deployed view (known ids and outputs) is needed for the export, the ARM schema check, the hazards and the
    // cost estimate, which the command always prints (priced over the first-preview view, unknown SKUs and the
    // off-hours schedule were missed: dev read $975 instead of $812 with --skip-schema), and for the rules the first
    // preview cannot decide, evaluated again over it (the "once deployed" violations); the tree and verdict come from
    // the preview view. `--skip-schema` skips the schema check only.
    deployedView: true,
    skipSchema: args.flags.has("skip-schema"),
  };
  const { programOf, secondCore, secondCoreFree, startDeployedView, stopStartedViews } =
    require("./lib/deployedView") as typeof import("./lib/deployedView");
  const first = secondCore();
  const program = programOf(options);
  // What the CLI warns about while loading the stack (a key with no value), as it prints it.
  for (const w of program.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  // With a core free, the deployed view's worker starts first: it loads the SDK while this thread loads the pack. On
  // "maybe" (see secondCore) it starts gated: it boots meanwhile, and loads the SDK once the measure below says go.
  if (first !== "no" && (options.deployedView || !options.skipSchema))
    void startDeployedView(
      program,
      { schema: !options.skipSchema, cost: true, verdict: true },
      { gated: first === "maybe" },
    );
  // Loaded after the arguments are checked, so bad usage answers at once.
  const {
    packVersion,
    PACK_NAME,
    previewExitCode,
    previewResultLine,
    previewStack,
    readPolicyConfig,
    ROOT,
    toStackExport,
  } = require("./lib/preview") as typeof import("./lib/preview");
  const { createCount, formatOnceDeployed, formatTree, formatVerdict, typeCounts, verdictJson, verdictMarkdown } =
    require("./lib/report") as typeof import("./lib/report");
  // "maybe": asked again, now that this process has run for a while (the load average may still count processes that
  // just ended): the worker keeps running, or it stops and the two views run one after the other in this thread.
  const parallel = first === "yes" || (first === "maybe" && secondCoreFree(true));
  if (!parallel) stopStartedViews();
  const {
    run,
    previewRun,
    verdict,
    onceDeployed,
    schema,
    cost: costInWorker,
  } = await previewStack({
    ...options,
    parallel,
    // The worker computes the estimate over the deployed view while this thread evaluates the pack.
    cost: true,
    policyConfig: args.values["policy-config"] ? readPolicyConfig(args.values["policy-config"]) : undefined,
  });
  const pack = `${PACK_NAME}@v${packVersion()}`;
  if (!args.flags.has("quiet")) {
    console.log(`Previewing stack '${stack}' offline (mock engine: no cloud calls, no credentials)\n`);
    console.log(formatTree(run.resources));
    console.log(`\nResources:\n    + ${createCount(run.resources)} to create`);
    for (const [type, n] of typeCounts(run.resources)) console.log(`      ${String(n).padStart(4)}  ${type}`);
    console.log("");
  }
  console.log(formatVerdict(verdict, pack));
  // The rules the first preview could not decide, decided over the deployed view (always built by this command).
  if (onceDeployed) console.log(`\n${formatOnceDeployed(onceDeployed)}`);
  const { formatSchemaCheck } = require("./lib/armSchema/report") as typeof import("./lib/armSchema/report");
  console.log(schema ? `\n${formatSchemaCheck(schema)}` : "\nARM schemas: not checked (--skip-schema)");
  const { firstDeployHazards, formatHazards, hazardsMarkdown } =
    require("./lib/hazards") as typeof import("./lib/hazards");
  // They read parent names and ids, known in the deployed view only (which this command always builds).
  const hazards = run === previewRun ? undefined : firstDeployHazards(run.resources);
  console.log(
    hazards ? `\n${formatHazards(hazards)}` : "\nFirst-deploy hazards: not checked (the deployed view was not built)",
  );
  // Over the deployed view too: the API versions, runtimes and sizes Azure will be asked for.
  const { blocking, formatRetirements, retirementsJson, retirementsMarkdown, retirementsOf } =
    require("./lib/retirements") as typeof import("./lib/retirements");
  const retirements = retirementsOf(run.resources, today);
  console.log(`\n${formatRetirements(retirements, today)}`);
  const { costOfStack } = require("./lib/cost/stack") as typeof import("./lib/cost/stack");
  const { estimateJson, estimateMarkdown, formatEstimate } =
    require("./lib/cost/estimate") as typeof import("./lib/cost/estimate");
  const { formatCapacity } = require("./lib/cost/capacity") as typeof import("./lib/cost/capacity");
  const { estimate: cost, capacity } =
    costInWorker ?? costOfStack(run.resources, { stack, root: ROOT, stackFile: args.values["stack-file"] });
  console.log(`\n${formatEstimate(cost)}\n${formatCapacity(capacity)}`);
  if (args.values.cost)
    writeFile(args.values.cost, JSON.stringify({ ...estimateJson(cost), capacity }, null, 2) + "\n");
  if (args.values.export) writeFile(args.values.export, JSON.stringify(toStackExport(run), null, 2) + "\n");
  if (args.values.json)
    writeFile(
      args.values.json,
      JSON.stringify(
        { ...verdictJson(verdict, schema, hazards, onceDeployed), retirements: retirementsJson(retirements, today) },
        null,
        2,
      ) + "\n",
    );
  const passed = retirements.filter(blocking);
  const result = previewResultLine(verdict, schema, hazards, onceDeployed, passed);
  // The job summary reads this file: its first line says what decided the exit code (the policy verdict's heading
  // below is the pack's alone, and a hazard or a passed retirement fails the run too).
  if (args.values.markdown)
    writeFile(
      args.values.markdown,
      `**${result}**\n\n${verdictMarkdown(verdict, pack, schema, onceDeployed)}\n${hazards ? `${hazardsMarkdown(hazards)}\n` : ""}${retirementsMarkdown(retirements, today)}\n${estimateMarkdown(cost)}`,
    );
  console.log(`\n${result}`);
  return previewExitCode(verdict, schema, hazards, onceDeployed, passed);
});
