/**
 * npm run providers -- <list|register|regions> --stack <dev|prod> [--stack-file FILE]
 *
 * The Azure resource providers the stack needs registered in its subscription (tools/lib/providers.ts), from the
 * stack's own resources as the offline preview registers them. `list` prints them with why; `register` (an Azure CLI
 * logged in to the stack's subscription, allowed to register providers, e.g. Contributor) registers those not yet
 * `Registered` and waits for each (`az provider register --wait`), after checking that the CLI is on the stack's
 * subscription (`azure-native:subscriptionId`, else ARM_SUBSCRIPTION_ID). deploy.yml runs `register` before every `pulumi
 * up`: azure-native does not register providers, so a new subscription's first `up` would otherwise stop at the
 * first unregistered namespace. `regions` (read-only) checks that each resource type the stack creates is offered in
 * the region it puts it in, by its provider's own list (and Flex Consumption's, zone-redundant or not): exit 1 when
 * one is not. Exit codes: 0 done, 1 a type not offered (`regions`), 2 bad usage or an az failure.
 */
import * as path from "node:path";
import { parseArgs, runCli, UsageError } from "./lib/cli";
import { sdkTypeOf } from "./lib/sdkType";

const COMMANDS = ["list", "register", "regions"] as const;
const USAGE = `usage: npm run providers -- <${COMMANDS.join("|")}> --stack <dev|prod> [--stack-file FILE]
  list       print the resource providers the stack needs, with the resource types that need them
  register   register those not yet Registered in the stack's subscription (az, which must be logged in to it:
             azure-native:subscriptionId, else ARM_SUBSCRIPTION_ID), waiting for each
  regions    (read-only) exit 1 when a resource type the stack creates is not offered in the region it puts it in
             (its provider's locations), or a Flex Consumption plan (zone-redundant or not) is not: run it before a
             stack's first deploy to a new region`;

runCli(USAGE, async (argv) => {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as (typeof COMMANDS)[number]))
    throw new UsageError(`unknown command '${command ?? ""}'`);
  const args = parseArgs(rest, ["stack", "stack-file"], ["verbose"]);
  const stack = args.values.stack;
  if (stack !== "dev" && stack !== "prod") throw new UsageError("--stack must be dev or prod");
  const { previewStack } = require("./lib/preview") as typeof import("./lib/preview");
  const { flexProblems, regionNeeds, regionProblems, requiredProviders, registrationPlan } =
    require("./lib/providers") as typeof import("./lib/providers");
  const stackFile = args.values["stack-file"];
  const { run } = await previewStack({ stack, skipSchema: true, ...(stackFile ? { stackFile } : {}) });
  const required = requiredProviders(run.resources);
  if (command === "list") {
    for (const p of required) console.log(`${p.namespace}\n    ${p.reasons.join("\n    ")}`);
    return 0;
  }
  const { azCli, checkedAz, stackSubscription } = require("./lib/etlOps") as typeof import("./lib/etlOps");
  const { loadStackConfig } = require("./lib/stackConfig") as typeof import("./lib/stackConfig");
  const az = checkedAz(
    azCli,
    stack,
    stackSubscription(loadStackConfig(path.resolve(__dirname, ".."), stack, stackFile).config),
  );
  if (command === "regions") {
    const needs = regionNeeds(run.resources);
    const offered: Record<string, string[]> = {};
    for (const namespace of [...new Set(needs.map((n) => n.armType.split("/")[0]))]) {
      const types = (az([
        "provider",
        "show",
        "--namespace",
        namespace,
        "--query",
        "resourceTypes[].{type: resourceType, locations: locations}",
      ]) ?? []) as { type: string; locations?: string[] }[];
      for (const t of types) offered[`${namespace}/${t.type}`.toLowerCase()] = t.locations ?? [];
    }
    const flexNames = (zoneRedundant: boolean) =>
      (az([
        "functionapp",
        "list-flexconsumption-locations",
        ...(zoneRedundant ? ["--zone-redundant=true"] : []),
        "--query",
        "[].name",
      ]) ?? []) as string[];
    const hasFlex = run.resources.some((r) => sdkTypeOf(r) === "azure-native:web:AppServicePlan");
    const problems = [
      ...regionProblems(needs, offered),
      ...(hasFlex ? flexProblems(run.resources, flexNames(false), flexNames(true)) : []),
    ];
    for (const p of problems) console.log(`::error::${p}`);
    console.log(
      problems.length === 0
        ? `${stack}: every resource type is offered where the stack puts it (${needs.length} type-region pairs)`
        : `${problems.length} resource type(s) not offered where ${stack} puts them: change location (or secondaryLocation), or the tier's options`,
    );
    return problems.length === 0 ? 0 : 1;
  }
  const states = Object.fromEntries(
    required.map((p) => [
      p.namespace,
      az(["provider", "show", "--namespace", p.namespace, "--query", "registrationState"]) as string | undefined,
    ]),
  );
  const plan = registrationPlan(required, states);
  for (const namespace of plan) {
    console.log(`registering ${namespace} (was ${states[namespace] ?? "unknown"})`);
    az(["provider", "register", "--namespace", namespace, "--wait"]);
  }
  console.log(
    `${required.length} resource providers needed by ${stack}: ${plan.length} registered now, ${required.length - plan.length} already registered`,
  );
  return 0;
});
