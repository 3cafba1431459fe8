/**
 * npm run cost:docs [-- --check]
 *
 * Writes docs/cost.md and docs/capacity.md from the estimator and the capacity model over both stacks' offline
 * previews, so every figure in them is the tools' own (a test fails when they are stale).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs, runCli, writeOrCheck } from "./lib/cli";
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

/**
 * The prod stack's resources with `sql.archiveTriggerAudit: true` (the audit archive lever): the program's own
 * resources for that config, previewed from a copy of Pulumi.prod.yaml with the one key changed.
 */
export async function prodWithAuditArchive(): Promise<readonly ResourceRecord[]> {
  const os = require("node:os") as typeof import("node:os");
  const { parse, stringify } = require("yaml") as typeof import("yaml");
  const { previewStack } = require("./lib/preview") as typeof import("./lib/preview");
  const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  const sql = doc.config["payments-data-platform:sql"] as Record<string, unknown>;
  sql.archiveTriggerAudit = true;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cost-docs-prod-"));
  try {
    const stackFile = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(stackFile, stringify(doc));
    // prod's warnings are printed by its own preview already.
    return (await previewStack({ stack: "prod", stackFile, skipSchema: true, quietWarnings: true })).run.resources;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Both documents, formatted as committed, from the two stacks' resources (and prod's with the audit archive). */
export async function renderCostDocs(
  devResources: readonly ResourceRecord[],
  prodResources: readonly ResourceRecord[],
  prodArchivedResources: readonly ResourceRecord[],
): Promise<[string, string][]> {
  const dev = stackCost("dev", devResources);
  const prod = stackCost("prod", prodResources);
  const prodArchived = stackCost("prod", prodArchivedResources);
  const { format } = require("prettier") as typeof import("prettier");
  return [
    [COST_DOC, await format(costDoc(dev, prod, prodArchived), { filepath: COST_DOC })],
    [CAPACITY_DOC, await format(capacityDoc(dev, prod), { filepath: CAPACITY_DOC })],
  ];
}

async function main(check: boolean): Promise<number> {
  const { previewStack } = require("./lib/preview") as typeof import("./lib/preview");
  const docs = await renderCostDocs(
    (await previewStack({ stack: "dev" })).run.resources,
    (await previewStack({ stack: "prod" })).run.resources,
    await prodWithAuditArchive(),
  );
  return writeOrCheck(docs, check, "npm run cost:docs");
}

const USAGE =
  "usage: npm run cost:docs               (writes docs/cost.md and docs/capacity.md from both stacks' offline previews)\n" +
  "       npm run cost:docs -- --check    (exits 1 when either is stale, writes nothing)";

if (require.main === module)
  runCli(USAGE, async (argv) => main(parseArgs(argv, [], ["check", "verbose"]).flags.has("check")));
