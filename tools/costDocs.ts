/**
 * npm run cost:docs [-- --check]
 *
 * Writes docs/cost.md and docs/capacity.md from the estimator and the capacity model over both stacks' offline
 * previews, so every figure in them is the tools' own (a test fails when they are stale).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ResourceRecord } from "./lib/policyRunner";
import { ROOT } from "./lib/preview";
import { estimate } from "./lib/cost/estimate";
import { stackAssumptions } from "./lib/cost/stack";
import { StackCost } from "./lib/costDocs/seed";
import { costDoc } from "./lib/costDocs/costDoc";
import { capacityDoc } from "./lib/costDocs/capacityDoc";

export const COST_DOC = path.join(ROOT, "docs", "cost.md");
export const CAPACITY_DOC = path.join(ROOT, "docs", "capacity.md");

export function stackCost(stack: "dev" | "prod", resources: readonly ResourceRecord[]): StackCost {
  const { usage, load } = stackAssumptions(stack, ROOT);
  const { capacity } = require("./lib/cost/capacity") as typeof import("./lib/cost/capacity");
  return {
    resources,
    usage,
    load,
    estimate: estimate(resources, { stack, usage }),
    capacity: capacity(resources, load),
  };
}

/** Both documents, formatted as committed, from the two stacks' resources. */
export async function renderCostDocs(
  devResources: readonly ResourceRecord[],
  prodResources: readonly ResourceRecord[],
): Promise<[string, string][]> {
  const dev = stackCost("dev", devResources);
  const prod = stackCost("prod", prodResources);
  const { format } = require("prettier") as typeof import("prettier");
  return [
    [COST_DOC, await format(costDoc(dev, prod), { filepath: COST_DOC })],
    [CAPACITY_DOC, await format(capacityDoc(dev, prod), { filepath: CAPACITY_DOC })],
  ];
}

async function main(): Promise<number> {
  const { previewStack } = require("./lib/preview") as typeof import("./lib/preview");
  const docs = await renderCostDocs(
    (await previewStack({ stack: "dev" })).run.resources,
    (await previewStack({ stack: "prod" })).run.resources,
  );
  if (process.argv.includes("--check")) {
    const stale = docs.filter(([f, t]) => !fs.existsSync(f) || fs.readFileSync(f, "utf8") !== t);
    for (const [f] of stale) console.error(`${path.relative(ROOT, f)} is stale: run \`npm run cost:docs\``);
    return stale.length ? 1 : 0;
  }
  for (const [f, t] of docs) fs.writeFileSync(f, t);
  return 0;
}

if (require.main === module) main().then((c) => process.exit(c));
