/**
 * npm run functions:ops -- <ship|close> --stack <dev|prod> --resource-group RG --app NAME [--role ROLE] [--src ZIP]
 * npm run functions:ops -- check --stack <dev|prod>
 *
 * Ships a function app's package (tools/lib/functionsOps.ts), with an Azure CLI logged in to the stack's
 * subscription. With the stack's `functionPackageWrites: deploy-window` (its committed config), `ship` grants the
 * app's identity the package writer role `--role` (the stack output functionPackageWriterRoleIds) for the deploy only,
 * limited to the app's package container, and deletes the grant after; `close` deletes it (an `always()` step after a
 * cancelled ship). With `always`, `ship` deploys and `close` does nothing. `check` (read-only) exits 1 when an app's
 * identity can write its package outside a ship. Exit 0 when done; 2 on bad usage or when Azure refuses.
 */
import * as path from "node:path";
import { intOption, parseArgs, runCli, UsageError } from "./lib/cli";

const COMMANDS = ["ship", "close", "check"] as const;
const USAGE = `usage: npm run functions:ops -- <${COMMANDS.join("|")}> --stack <dev|prod> --resource-group RG --app NAME [options]
  ship              deploy --src to the app (az functionapp deployment source config-zip), inside a grant of the
                    package writer role made for it and deleted after (functionPackageWrites: deploy-window)
  close             delete the app's grant (after a cancelled ship); nothing with functionPackageWrites: always
  check             (--stack only; read-only) exit 1 when an app's identity can write its package outside a ship:
                    a standing grant, or a ship's grant left behind (the nightly drift check)
options:
  --stack-file FILE the stack's settings file when it is not Pulumi.<stack>.yaml (a copy in another organisation,
                    deployed with --config-file): names and the subscription are read from it
  --role ROLE       the package writer role (stack output functionPackageWriterRoleIds.<app>); needed with deploy-window
  --src ZIP         the package (ship)
  --reason TEXT     why, in the grant's description (default: the GitHub run, else "manual ship")
  --attempts N      deploy attempts while the grant is not in force (default 10: a role takes up to 10 minutes)
  --settle-seconds S  wait after the grant before the first attempt (default 60)
  --delay-seconds S   wait between attempts (default 60)`;

runCli(USAGE, async (argv) => {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as (typeof COMMANDS)[number]))
    throw new UsageError(`unknown command '${command ?? ""}'`);
  const args = parseArgs(
    rest,
    [
      "stack",
      "stack-file",
      "resource-group",
      "app",
      "role",
      "src",
      "reason",
      "attempts",
      "settle-seconds",
      "delay-seconds",
    ],
    ["verbose"],
  );
  const { stack, app } = args.values;
  const resourceGroup = args.values["resource-group"];
  if (stack !== "dev" && stack !== "prod") throw new UsageError("--stack must be dev or prod");
  if (command !== "check" && (!resourceGroup || !app)) throw new UsageError("--resource-group and --app are required");
  if (command === "ship" && !args.values.src) throw new UsageError("ship needs --src (the package zip)");
  const root = path.resolve(__dirname, "..");
  const { azCli: rawAz, checkedAz, stackSubscription } = require("./lib/etlOps") as typeof import("./lib/etlOps");
  const { loadStackConfig } = require("./lib/stackConfig") as typeof import("./lib/stackConfig");
  const ops = require("./lib/functionsOps") as typeof import("./lib/functionsOps");
  const stackFile = args.values["stack-file"];
  const az = checkedAz(rawAz, stack, stackSubscription(loadStackConfig(root, stack, stackFile).config));
  const mode = ops.packageWritesOf(root, stack, stackFile);
  if (command === "check") {
    if (mode === "always") {
      console.log(
        "functionPackageWrites is always: the apps' identities write their packages by design; nothing to check",
      );
      return 0;
    }
    const findings = ops.checkPackages(az, ops.functionAppGroups(root, stack, stackFile));
    for (const f of findings) {
      for (const a of f.standing) console.log(`${f.app}: its identity can write its package through ${a.id}`);
      for (const a of f.leftover) console.log(`${f.app}: a ship's grant was left behind: ${a.id}`);
    }
    if (findings.length > 0) {
      console.log(
        "delete them (az role assignment delete --ids <id>), then look for writes in the package containers (docs/runbook.md, function-package-write-outside-ship)",
      );
      return 1;
    }
    console.log("no function app's identity can write its package outside a ship");
    return 0;
  }
  // An empty --role is what the workflow passes for a null output (functionPackageWrites: always).
  const role = args.values.role || undefined;
  if (command === "close") {
    const id = ops.close(az, { resourceGroup, app, mode, role });
    console.log(id ? `no grant left for ${app} (${id})` : `functionPackageWrites is always: no grant to delete`);
    return 0;
  }
  const run = process.env.GITHUB_RUN_ID
    ? `${process.env.GITHUB_REPOSITORY ?? ""} run ${process.env.GITHUB_RUN_ID}`
    : "manual ship";
  const { attempts } = await ops.ship(az, {
    resourceGroup,
    app,
    src: args.values.src as string,
    mode,
    role,
    reason: args.values.reason ?? run,
    attempts: intOption(args.values, "attempts", 10, 1),
    settleMs: (mode === "always" ? 0 : intOption(args.values, "settle-seconds", 60, 0)) * 1000,
    delayMs: intOption(args.values, "delay-seconds", 60, 0) * 1000,
    log: (line) => console.log(line),
  });
  console.log(`shipped ${args.values.src} to ${app} (${attempts} attempt${attempts === 1 ? "" : "s"}, ${mode})`);
  return 0;
});
