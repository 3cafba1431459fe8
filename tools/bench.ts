/**
 * npm run bench [-- --runs N --stack prod]
 *
 * Measures, each in a fresh Node process (median of N runs):
 *   baseline: the time Node takes just to load the SDK modules the program imports, including each resource
 *             class it registers (azure-native loads classes lazily);
 *   preview:  the whole offline preview of the stack (program under mocks + policy pack), and its peak RSS;
 *   policy:   the policy pack's evaluation of the recorded stack, in-process.
 * Budgets: preview <= 2.5x baseline, RSS < 1 GB, policy evaluation < 1 s. Exits 1 when one is exceeded.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
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

/**
 * Loads the SDK classes behind the given type tokens. azure-native loads each class lazily on first access, so
 * requiring a submodule alone would understate what the program really loads.
 */
export function loadClasses(types: readonly string[]): void {
  for (const t of types) {
    const [pkg, mod, cls] = t.split(":");
    if (pkg === "azure-native") {
      const m = require(`@pulumi/azure-native/${mod}`) as Record<string, unknown>;
      void m[cls];
    } else if (pkg === "azuread" || pkg === "random") {
      const m = require(`@pulumi/${pkg}`) as Record<string, unknown>;
      void m[cls.split("/").pop() as string];
    }
  }
}

function child(mode: string, stack: string, types: readonly string[] = []): Sample {
  const extra = types.length > 0 ? [`--types=${types.join(",")}`] : [];
  const out = execFileSync(
    process.execPath,
    ["--require", "tsx/cjs", __filename, `--child=${mode}`, `--stack=${stack}`, ...extra],
    { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  return JSON.parse(out.trim().split("\n").pop() as string) as Sample;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function childMain(mode: string, stack: string): Promise<void> {
  if (mode === "baseline") {
    for (const m of sdkModules()) require(m);
    const types = process.argv.find((a) => a.startsWith("--types="))?.slice("--types=".length);
    loadClasses(types ? types.split(",") : []);
    console.log(JSON.stringify({ seconds: process.uptime(), rssMb: process.resourceUsage().maxRSS / 1024 }));
    return;
  }
  const { previewStack } = require("./lib/preview") as typeof import("./lib/preview");
  const { runPolicies } = require("./lib/policyRunner") as typeof import("./lib/policyRunner");
  const { policies, PACK_ENFORCEMENT_LEVEL } = require("../policies/policies") as typeof import("../policies/policies");
  const { run } = await previewStack({ stack });
  // The estimator and capacity model run with every preview (tools/preview.ts), so they are inside the measure.
  const { costOfStack } = require("./lib/cost/stack") as typeof import("./lib/cost/stack");
  costOfStack(run.resources, { stack, root: ROOT });
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

async function main(): Promise<number> {
  const arg = (name: string, dflt: string) =>
    process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ??
    (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : dflt);
  const mode = arg("child", "");
  const stack = arg("stack", "prod");
  if (mode) {
    await childMain(mode, stack);
    return 0;
  }
  const runs = Number(arg("runs", "3"));
  console.log(`Benchmark: offline preview of '${stack}' (${runs} runs each, fresh processes, median)`);
  console.log(`SDK modules in the baseline: ${sdkModules().join(", ")} (plus every resource class the program uses)`);
  const base: Sample[] = [];
  const prev: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    prev.push(child("preview", stack));
    base.push(child("baseline", stack, prev[0].types));
  }
  const b = median(base.map((s) => s.seconds));
  const p = median(prev.map((s) => s.seconds));
  const rss = Math.max(...prev.map((s) => s.rssMb));
  const pol = median(prev.map((s) => s.policyMs ?? 0));
  const ratio = p / b;
  console.log(`  load SDK modules only : ${b.toFixed(2)} s`);
  console.log(`  offline preview       : ${p.toFixed(2)} s  (${prev[0].resources} resources)`);
  console.log(`  ratio                 : ${ratio.toFixed(2)}x  (budget ${RATIO_BUDGET}x)`);
  console.log(`  peak RSS (preview)    : ${rss.toFixed(0)} MB  (budget ${RSS_BUDGET_MB} MB)`);
  console.log(`  policy evaluation     : ${pol.toFixed(1)} ms  (budget ${POLICY_BUDGET_MS} ms)`);
  const ok = ratio <= RATIO_BUDGET && rss < RSS_BUDGET_MB && pol < POLICY_BUDGET_MS;
  console.log(ok ? "within budget" : "OVER BUDGET");
  return ok ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(`error: ${(e as Error).message}`);
      process.exit(2);
    },
  );
}
