/**
 * npm run etl:ops -- <stop-triggers|approve-endpoints|schema-deploy|start-triggers|sleep-if-off-hours|wake-pool|
 *   pause-pool|check>
 *   --stack <dev|prod>
 *
 * The ETL tier's steps around `pulumi up` (tools/lib/etlOps/), with an Azure CLI logged in to the stack's
 * subscription. Resource groups come from the committed stack config (the same names the program gives them), the
 * factory and the Synapse workspace from Azure. `check` exits 1 when a managed private endpoint's connection is not
 * approved or a trigger is not started (the drift workflow runs it); the others exit 0 when done. Bad usage: 2.
 * `sleep-if-off-hours` (after `up`): a deploy outside working hours can wake what the off-hours schedule stopped (an
 * update of a stopped Application Gateway starts it), so the stop pipeline runs again; within working hours, or where
 * nothing sleeps (prod), it does nothing. `wake-pool` (before `up`, where the pool pauses: dev) resumes a paused
 * dedicated pool and waits until it is online, since a refresh and an update read its TDE setting and workload
 * groups; `pause-pool` (after `up`) pauses again the pools it resumed (`--pools`, from its `woken` output).
 * `schema-deploy` (after `up` and the approvals) runs `etl_schema_deploy` and waits for it: exit 1 when it fails.
 */
import * as path from "node:path";
import { intOption, parseArgs, runCli, UsageError } from "./lib/cli";

const COMMANDS = [
  "stop-triggers",
  "approve-endpoints",
  "start-triggers",
  "sleep-if-off-hours",
  "wake-pool",
  "pause-pool",
  "schema-deploy",
  "check",
] as const;
const USAGE = `usage: npm run etl:ops -- <${COMMANDS.join("|")}> --stack <dev|prod> [--stack-file FILE] [--attempts N]
  [--delay-seconds S]   (--stack-file: the stack's settings file when it is not Pulumi.<stack>.yaml)
  stop-triggers       stop the factory's started triggers (before pulumi up: a started trigger cannot be updated)
  approve-endpoints   approve the pending private endpoint connections of the factory's managed private endpoints
                      and of the Synapse workspace's managed VNet to its lake (after pulumi up)
  start-triggers      start every trigger of the factory (after pulumi up: triggers are created stopped)
  sleep-if-off-hours  outside the pause schedule's working hours, run the off-hours stop pipeline again (after
                      pulumi up: an update can wake what it stopped); otherwise, or where nothing sleeps, nothing
  wake-pool           where the pool pauses (dev): resume a paused dedicated pool and wait until it is online (before
                      pulumi up, whose refresh reads the pool's TDE and workload groups); prints woken=<pool ids>
  pause-pool          pause the pools named by --pools (comma-separated ids, wake-pool's woken; after pulumi up)
  schema-deploy       run etl_schema_deploy (the generated SQL on the OLTP database and the pool) and wait for it;
                      exit 1 when it fails, naming what failed (after pulumi up and the approvals, before the
                      triggers start: the new pipelines must not meet the old procedures)
  check               exit 1 when a connection is not approved or a trigger is not started (drift)`;

runCli(USAGE, async (argv) => {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as (typeof COMMANDS)[number]))
    throw new UsageError(`unknown command '${command ?? ""}'`);
  const args = parseArgs(rest, ["stack", "stack-file", "attempts", "delay-seconds", "pools"], ["verbose"]);
  const stack = args.values.stack;
  if (stack !== "dev" && stack !== "prod") throw new UsageError("--stack must be dev or prod");
  // Checked before any Azure call (each command reads them later, with its own default).
  intOption(args.values, "attempts", 1, 1);
  intOption(args.values, "delay-seconds", 0, 0);
  const { parseConfig, PROJECT, readRaw } = require("../lib/config") as typeof import("../lib/config");
  const { stackContext } = require("../components/shared/context") as typeof import("../components/shared/context");
  const { loadStackConfig } = require("./lib/stackConfig") as typeof import("./lib/stackConfig");
  const ops = require("./lib/etlOps") as typeof import("./lib/etlOps");
  const sc = loadStackConfig(path.resolve(__dirname, ".."), stack, args.values["stack-file"]);
  const config = parseConfig(
    readRaw((k) => sc.config[`${PROJECT}:${k}`]),
    stack,
  );
  const context = stackContext(config);
  const s = {
    integrationResourceGroup: context.name("resourceGroup", "integration"),
    dataResourceGroup: context.name("resourceGroup", "data"),
  };
  const az = ops.checkedAz(ops.azCli, stack, ops.stackSubscription(sc.config));
  switch (command) {
    case "wake-pool": {
      const output = (woken: readonly string[]) => {
        if (process.env.GITHUB_OUTPUT)
          require("node:fs").appendFileSync(process.env.GITHUB_OUTPUT, `woken=${woken.join(",")}\n`);
      };
      if (!config.olap.pauseSchedule) {
        console.log(`${stack}: the pool never pauses (no olap.pauseSchedule): nothing to wake`);
        output([]);
        return 0;
      }
      const woken = await ops.wakePools(az, s, {
        attempts: intOption(args.values, "attempts", 40, 1),
        delayMs: intOption(args.values, "delay-seconds", 15, 0) * 1000,
        log: (line) => console.log(line),
        // Written as each pool is resumed (the last line wins): if a later step of the wake fails, the pause step
        // still knows which pools this deploy woke.
        resumed: output,
      });
      console.log(woken.length ? `${woken.length} pool(s) resumed for the update` : "every pool is online");
      output(woken);
      return 0;
    }
    case "pause-pool": {
      const ids = (args.values.pools ?? "").split(",").filter(Boolean);
      ops.pausePools(az, ids, (line) => console.log(line));
      if (ids.length === 0) console.log("no pool to pause");
      return 0;
    }
  }
  const factory = ops.findFactory(az, s);
  switch (command) {
    case "stop-triggers":
    case "start-triggers": {
      if (!factory) {
        console.log(`no factory in ${s.integrationResourceGroup} yet: nothing to ${command.split("-")[0]}`);
        return 0;
      }
      const action = command === "stop-triggers" ? "stop" : "start";
      await ops.setTriggers(az, factory.id, action, {
        attempts: intOption(args.values, "attempts", 20, 1),
        delayMs: intOption(args.values, "delay-seconds", 5, 0) * 1000,
        log: (line) => console.log(line),
      });
      return 0;
    }
    case "sleep-if-off-hours": {
      const schedule = config.olap.pauseSchedule;
      // The workflow's next steps read it (deploy.yml: the dev stream job is not started off hours).
      const report = (offHours: boolean) => {
        if (process.env.GITHUB_OUTPUT)
          require("node:fs").appendFileSync(process.env.GITHUB_OUTPUT, `offHours=${offHours}\n`);
      };
      if (!schedule || schedule.alsoStop.length === 0) {
        console.log(`${stack}: nothing sleeps off hours (olap.pauseSchedule.alsoStop)`);
        report(false);
        return 0;
      }
      if (!ops.sleepsNow(schedule, new Date())) {
        report(false);
        console.log(
          `${stack}: working hours, or less than ${ops.SLEEP_MARGIN_MINUTES} min before ${schedule.resumeAt} ` +
            `(${schedule.timeZone}): nothing to do`,
        );
        return 0;
      }
      report(true);
      const { PIPELINES } = require("../pipelines/etl/names") as typeof import("../pipelines/etl/names");
      if (!factory || !ops.pipelinesOf(az, factory.id).includes(PIPELINES.offHoursStop)) {
        console.log(`no ${PIPELINES.offHoursStop} pipeline in ${s.integrationResourceGroup}: nothing to stop`);
        return 0;
      }
      const runId = ops.runPipeline(az, factory.id, PIPELINES.offHoursStop);
      console.log(
        `off hours: started ${PIPELINES.offHoursStop} (run ${runId}) to stop ${schedule.alsoStop.join(", ")} again`,
      );
      return 0;
    }
    case "schema-deploy": {
      const { PIPELINES } = require("../pipelines/etl/names") as typeof import("../pipelines/etl/names");
      if (!factory) {
        console.log(`no factory in ${s.integrationResourceGroup} yet: no schema to deploy`);
        return 0;
      }
      // A nightly load already running (it started before its trigger was stopped) would meet its procedures changed
      // under it: wait for the factory to be idle first, up to 20 minutes (a nightly run takes 15 at most: its SLA;
      // a full reload takes hours, and then the step fails rather than hold the deploy job).
      const idle = await ops.waitForIdle(az, factory.id, {
        attempts: 40,
        delayMs: intOption(args.values, "delay-seconds", 30, 0) * 1000,
        log: (line) => console.log(line),
      });
      if (!idle) {
        console.log(
          `::error::${factory.name} still runs a pipeline: the schema was not deployed (the triggers stay stopped); re-run this step once it has finished`,
        );
        return 1;
      }
      const outcome = await ops.runAndWait(az, factory.id, PIPELINES.schemaDeploy, {
        attempts: intOption(args.values, "attempts", 120, 1),
        delayMs: intOption(args.values, "delay-seconds", 30, 0) * 1000,
        log: (line) => console.log(line),
      });
      if (outcome.status === "Succeeded") {
        console.log(`${PIPELINES.schemaDeploy} succeeded (run ${outcome.runId})`);
        return 0;
      }
      for (const f of outcome.failures) console.log(`::error::${f}`);
      console.log(
        `${PIPELINES.schemaDeploy} ${outcome.status} (run ${outcome.runId}): the databases do not match the model this ` +
          "commit deployed, so the ETL triggers stay stopped. A THROW 500xx names the column or table and the migration " +
          'it needs (pipelines/README.md, "Changing the schema later"); fix it, then re-run this step or the workflow.',
      );
      return 1;
    }
    case "approve-endpoints": {
      const approved = await ops.approveAll(az, ops.expectations(az, s), {
        attempts: intOption(args.values, "attempts", 20, 1),
        delayMs: intOption(args.values, "delay-seconds", 30, 0) * 1000,
        log: (line) => console.log(line),
      });
      console.log(`${approved.length} connection(s) approved`);
      return 0;
    }
    default: {
      const problems = ops
        .expectations(az, s)
        .flatMap((e) => ops.connectionProblems(ops.connectionsOf(az, e.targetId), e));
      if (factory) {
        for (const t of ops.triggersToStart(ops.triggersOf(az, factory.id)))
          problems.push(
            `trigger ${t.name} of ${factory.name} is ${t.properties.runtimeState ?? "in no state"}, not Started`,
          );
      }
      for (const p of problems) console.error(p);
      console.log(
        problems.length === 0
          ? "ETL: every connection approved, every trigger started"
          : `${problems.length} problem(s)`,
      );
      return problems.length === 0 ? 0 : 1;
    }
  }
});
