/**
 * npm run stream:ops -- <stop-for-update|start> --stack <dev|prod> [--pulumi-stack ORG/PROJECT/STACK | --preview FILE]
 *
 * The streaming tier's steps around `pulumi up` (tools/lib/streamOps.ts), with an Azure CLI logged in to the stack's
 * subscription. The job's resource group and name come from the committed stack config (the same names the program
 * gives them). `stop-for-update` asks the Pulumi CLI for its preview (`pulumi preview --refresh --json`: the `up`
 * refreshes too) only when the job runs, or reads one written before (`--preview`); it writes `stopped=true|false` to
 * `$GITHUB_OUTPUT` when GitHub Actions sets it, for the step that restarts the job. Exit 0 when done; 2 on bad usage
 * or when Azure or the preview fails.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { intOption, parseArgs, runCli, UsageError } from "./lib/cli";

const COMMANDS = ["stop-for-update", "start"] as const;
const USAGE = `usage: npm run stream:ops -- <${COMMANDS.join("|")}> --stack <dev|prod> [options]
  stop-for-update   before pulumi up: stop the Stream Analytics job when it runs and the preview changes it (Azure
                    refuses to update a running job), and wait until it is stopped
  start             after pulumi up: start the job unless it runs (first from its start, then from its last output;
                    a job still stopping is waited for)
options (stop-for-update):
  --pulumi-stack S  the Pulumi stack to preview (\`pulumi preview --stack S --refresh --json\`), e.g. org/payments-data-platform/dev
  --preview FILE    a \`pulumi preview --json\` output to read instead
options (both):
  --stack-file FILE the stack's settings file when it is not Pulumi.<stack>.yaml (a copy in another organisation,
                    deployed with --config-file): names and the subscription are read from it
  --attempts N      state checks while the job stops (default 40)
  --delay-seconds S seconds between checks (default 15)`;

runCli(USAGE, async (argv) => {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as (typeof COMMANDS)[number]))
    throw new UsageError(`unknown command '${command ?? ""}'`);
  const args = parseArgs(
    rest,
    ["stack", "stack-file", "pulumi-stack", "preview", "attempts", "delay-seconds"],
    ["verbose"],
  );
  const stackFile = args.values["stack-file"];
  const stack = args.values.stack;
  if (stack !== "dev" && stack !== "prod") throw new UsageError("--stack must be dev or prod");
  if (command === "stop-for-update" && !args.values["pulumi-stack"] === !args.values.preview)
    throw new UsageError("stop-for-update needs exactly one of --pulumi-stack or --preview");
  const { azCli: rawAz, checkedAz, stackSubscription } = require("./lib/etlOps") as typeof import("./lib/etlOps");
  const { loadStackConfig } = require("./lib/stackConfig") as typeof import("./lib/stackConfig");
  const azCli = checkedAz(
    rawAz,
    stack,
    stackSubscription(loadStackConfig(path.resolve(__dirname, ".."), stack, stackFile).config),
  );
  const ops = require("./lib/streamOps") as typeof import("./lib/streamOps");
  const where = ops.jobLocation(path.resolve(__dirname, ".."), stack, stackFile);
  const waiting = {
    attempts: intOption(args.values, "attempts", 40, 1),
    delayMs: intOption(args.values, "delay-seconds", 15, 0) * 1000,
    log: (line: string) => console.log(line),
  };
  if (command === "start") {
    const { outcome, mode } = await ops.startJob(azCli, where, waiting);
    console.log(
      outcome === "started"
        ? `started job ${where.jobName} (${mode})`
        : outcome === "running"
          ? `job ${where.jobName} is running`
          : `no job ${where.jobName} in ${where.resourceGroup} yet`,
    );
    return 0;
  }
  const preview = (): unknown => {
    const file = args.values.preview;
    const text = file
      ? fs.readFileSync(file, "utf8")
      : execFileSync("pulumi", ops.previewArgs(args.values["pulumi-stack"], stackFile), {
          encoding: "utf8",
          maxBuffer: 256 * 1024 * 1024,
          stdio: ["ignore", "pipe", "inherit"],
          // One JSON document, whatever the caller's environment: with PULUMI_ENABLE_STREAMING_JSON_PREVIEW set, the
          // CLI streams engine events instead (pulumi/pulumi sdk/go/common/env/env.go, pkg/cmd/pulumi/operations/
          // preview.go), which parsePreviewJson does not read.
          env: { ...process.env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "false" },
        });
    return ops.parsePreviewJson(text);
  };
  // `stopped=true` as soon as the stop is sent: if waiting for it then fails, the restart step still starts the job.
  const output = (line: string) => {
    if (process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, `${line}\n`);
  };
  const { outcome, changes } = await ops.stopForUpdate(azCli, where, preview, waiting, () => output("stopped=true"));
  const reasons = changes.map((c) => `${c.op}${c.diffReasons?.length ? ` (${c.diffReasons.join(", ")})` : ""}`);
  console.log(
    {
      "no job": `no job ${where.jobName} in ${where.resourceGroup} yet: nothing to stop`,
      "not running": `job ${where.jobName} is not running: nothing to stop`,
      unchanged: `job ${where.jobName} runs and this update leaves it as it is: not stopped`,
      stopped: `stopped job ${where.jobName} for this update: ${reasons.join("; ")}`,
    }[outcome],
  );
  if (outcome !== "stopped") output("stopped=false");
  return 0;
});
