/**
 * npm run bench [-- --runs N --stack prod]
 *
 * Measures, each in a fresh Node process (median of N runs):
 *   baseline: the time plain Node takes just to load the SDK modules the program imports, including each resource
 *             class it registers (azure-native loads classes lazily);
 *   preview:  the whole offline preview of the stack (program under mocks + policy pack) in-process, and its peak
 *             RSS;
 *   as typed: `npm run preview:offline -- --stack <stack>` exactly as a user types it (npm, the loader, the
 *             preview), wall clock from spawn to exit, against the baseline's wall clock from spawn to exit;
 *   policy:   the policy pack's evaluation of the recorded stack, in-process.
 * Budgets: preview and as typed <= 2.5x baseline, RSS < 1 GB, policy evaluation < 1 s. Exits 1 when one is
 * exceeded. On a shared machine the CPU-time ratio (user + system, Linux) is printed too: it is what load does not
 * skew.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { intOption, parseArgs, runCli } from "./lib/cli";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const RATIO_BUDGET = 2.5;
const RSS_BUDGET_MB = 1024;
const POLICY_BUDGET_MS = 1000;

/** The SDK modules the program imports (scanned from its sources, so the baseline follows the program). */
export function sdkModules(): string[] {
  const files: string[] = [path.join(ROOT, "index.ts")];
  for (const dir of ["components", "lib"]) {
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".ts")) files.push(p);
      }
    };
    walk(path.join(ROOT, dir));
  }
  const mods = new Set<string>(["@pulumi/pulumi", "@pulumi/policy"]);
  for (const f of files) {
    for (const m of fs.readFileSync(f, "utf8").matchAll(/^import (?!type)[^"']*["'](@pulumi\/[^"']+)["']/gm))
      mods.add(m[1]);
  }
  return [...mods].sort();
}

interface Sample {
  seconds: number;
  rssMb: number;
  policyMs?: number;
  resources?: number;
  /** Resource type tokens the program registered (the baseline loads exactly their classes). */
  types?: string[];
}

/** Plain JavaScript for `node -e`: requires the SDK modules and the classes behind the type tokens, no loader. */
export function baselineScript(modules: readonly string[], types: readonly string[]): string {
  return [
    `for (const m of ${JSON.stringify(modules)}) require(m);`,
    `for (const t of ${JSON.stringify(types)}) {`,
    `  const [pkg, mod, cls] = t.split(":");`,
    `  if (pkg === "azure-native") void require("@pulumi/azure-native/" + mod)[cls];`,
    `  else if (pkg === "azuread" || pkg === "random") void require("@pulumi/" + pkg)[cls.split("/").pop()];`,
    `}`,
    `console.log(JSON.stringify({ seconds: process.uptime(), rssMb: process.resourceUsage().maxRSS / 1024 }));`,
  ].join("\n");
}

function child(mode: string, stack: string, types: readonly string[] = []): Sample {
  const args =
    mode === "baseline"
      ? ["-e", baselineScript(sdkModules(), types)]
      : [path.join(ROOT, "scripts", "ts-run.cjs"), __filename, `--child=${mode}`, `--stack=${stack}`];
  const out = execFileSync(process.execPath, args, {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(out.trim().split("\n").pop() as string) as Sample;
}

/** CPU seconds (user + system) of the waited-for children so far; undefined where /proc is not available. */
function childrenCpu(): number | undefined {
  try {
    const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ").pop()?.split(" ") ?? [];
    // After the command name: field 16 (cutime) and 17 (cstime) of proc(5) are at 13 and 14 here, in clock ticks.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

interface Timed {
  wall: number;
  cpu?: number;
}

/** Wall clock (and CPU of the process tree) of a command from spawn to exit. */
function timed(command: string, args: readonly string[]): Timed {
  const cpu0 = childrenCpu();
  const t = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  const cpu1 = childrenCpu();
  return { wall, cpu: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0 };
}

/** `npm run preview:offline -- --stack <stack>`, through the npm that runs this benchmark when there is one. */
function asTyped(stack: string): Timed {
  const npmCli = process.env.npm_execpath;
  const npmArgs = ["run", "preview:offline", "--", "--stack", stack];
  return npmCli && npmCli.endsWith(".js")
    ? timed(process.execPath, [npmCli, ...npmArgs])
    : timed(process.platform === "win32" ? "npm.cmd" : "npm", npmArgs);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function childMain(mode: string, stack: string): Promise<void> {
  const { previewStack, secondCoreFree } = require("./lib/preview") as typeof import("./lib/preview");
  const { runPolicies } = require("./lib/policyRunner") as typeof import("./lib/policyRunner");
  const { policies, PACK_ENFORCEMENT_LEVEL } = require("../policies/policies") as typeof import("../policies/policies");
  // What `npm run preview:offline` does: the first-preview view only (the deployed view is for --export).
  // As tools/preview.ts decides (asked after the pack and the SDK are loaded, so measured when the load average
  // says busy).
  const { run, cost } = await previewStack({ stack, deployedView: false, parallel: secondCoreFree(true), cost: true });
  // The estimator and capacity model run with every preview (tools/preview.ts: in the worker when there is one, else
  // here), so they are inside the measure.
  const { costOfStack } = require("./lib/cost/stack") as typeof import("./lib/cost/stack");
  if (!cost) costOfStack(run.resources, { stack, root: ROOT });
  const seconds = process.uptime();
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    await runPolicies(policies, run.resources, { packEnforcementLevel: PACK_ENFORCEMENT_LEVEL, stack });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const types = [...new Set(run.resources.map((r) => r.type))].filter(
    (t) => !t.startsWith("pulumi:") && !t.startsWith("payments:"),
  );
  console.log(JSON.stringify({ seconds, rssMb, policyMs: median(times), resources: run.resources.length, types }));
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs(argv, ["runs", "stack", "child"], ["verbose"]);
  const mode = values.child ?? "";
  const stack = values.stack ?? "prod";
  if (mode) {
    await childMain(mode, stack);
    return 0;
  }
  const runs = intOption(values, "runs", 3, 1);
  const loadStart = os.loadavg()[0];
  console.log(`Benchmark: offline preview of '${stack}' (${runs} runs each, fresh processes, median)`);
  console.log(`SDK modules in the baseline: ${sdkModules().join(", ")} (plus every resource class the program uses)`);
  const { secondCoreFree } = require("./lib/preview") as typeof import("./lib/preview");
  console.log(
    `Deployed view and ARM schema check: ${secondCoreFree() ? "in a worker thread (a core is free)" : "after the first preview, same thread, unless the preview finds a core free at start-up (load average)"}`,
  );
  const base: Sample[] = [];
  const prev: Sample[] = [];
  const typed: Timed[] = [];
  const baseTimed: Timed[] = [];
  const types = child("preview", stack).types ?? [];
  const baseArgs = ["-e", baselineScript(sdkModules(), types)];
  for (let i = 0; i < runs; i++) {
    // Interleaved, so that load from elsewhere on the machine weighs on both sides alike.
    prev.push(child("preview", stack));
    base.push(child("baseline", stack, types));
    typed.push(asTyped(stack));
    baseTimed.push(timed(process.execPath, baseArgs));
  }
  const b = median(base.map((s) => s.seconds));
  const p = median(prev.map((s) => s.seconds));
  const rss = Math.max(...prev.map((s) => s.rssMb));
  const pol = median(prev.map((s) => s.policyMs ?? 0));
  const ratio = p / b;
  const typedWall = median(typed.map((t) => t.wall));
  const baseWall = median(baseTimed.map((t) => t.wall));
  const typedRatio = typedWall / baseWall;
  const cpu = (xs: Timed[]) => (xs.every((x) => x.cpu !== undefined) ? median(xs.map((x) => x.cpu ?? 0)) : undefined);
  const [typedCpu, baseCpu] = [cpu(typed), cpu(baseTimed)];
  console.log(`  load SDK modules only : ${b.toFixed(2)} s  (spawn to exit: ${baseWall.toFixed(2)} s)`);
  console.log(`  offline preview       : ${p.toFixed(2)} s  (${prev[0].resources} resources)`);
  console.log(`  ratio                 : ${ratio.toFixed(2)}x  (budget ${RATIO_BUDGET}x)`);
  console.log(
    `  as typed (npm run preview:offline -- --stack ${stack}): ${typedWall.toFixed(2)} s, ` +
      `${typedRatio.toFixed(2)}x  (budget ${RATIO_BUDGET}x)`,
  );
  if (typedCpu !== undefined && baseCpu !== undefined) {
    console.log(
      `  as typed, CPU time    : ${typedCpu.toFixed(2)} s vs ${baseCpu.toFixed(2)} s, ${(typedCpu / baseCpu).toFixed(2)}x`,
    );
  }
  console.log(`  peak RSS (preview)    : ${rss.toFixed(0)} MB  (budget ${RSS_BUDGET_MB} MB)`);
  console.log(`  policy evaluation     : ${pol.toFixed(1)} ms  (budget ${POLICY_BUDGET_MS} ms)`);
  const over = [
    ...(ratio > RATIO_BUDGET ? ["ratio"] : []),
    ...(typedRatio > RATIO_BUDGET ? ["as typed"] : []),
    ...(rss >= RSS_BUDGET_MB ? ["peak RSS"] : []),
    ...(pol >= POLICY_BUDGET_MS ? ["policy evaluation"] : []),
  ];
  // The machine's load skews the wall-clock ratios (the CPU-time line does not): said beside the verdict.
  const load = `load average ${loadStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end, ${os.cpus().length} cores`;
  console.log(over.length === 0 ? `within budget (${load})` : `OVER BUDGET: ${over.join(", ")} (${load})`);
  return over.length === 0 ? 0 : 1;
}

const USAGE =
  "usage: npm run bench [-- --runs N (default 3) --stack dev|prod (default prod)]\n" +
  "       times the offline preview (in process and as typed through npm) against loading the SDK alone; exits 1 over budget";

if (require.main === module) runCli(USAGE, main);
