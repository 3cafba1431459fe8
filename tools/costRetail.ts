/**
 * npm run cost:retail -- [--region westeurope] [--only ID[,ID…]] [--json FILE] [--write]
 *
 * Asks the Azure Retail Prices API (public, needs network access; through `HTTPS_PROXY` if set, lib/envProxy.ts) for the meters the price table prices at another
 * region's rates or derives (`RETAIL_QUERIES` in tools/lib/cost/retail.ts; `RETAIL_NOT_ASKED` lists the rest) and prints each pay-as-you-go item. `--write`
 * records each meter's single price in tools/lib/cost/retail-overrides.json, which the price table applies over its stored
 * rows (with the API as source and today's date); then `npm run cost:docs` regenerates the docs. Exit 0, or 2 on bad
 * usage or an API error.
 */
import { envFetch } from "../lib/envProxy";
import { parseArgs, runCli, UsageError, writeFile } from "./lib/cli";
import {
  fetchRetail,
  formatRetail,
  overridesFrom,
  RETAIL_QUERIES,
  type RetailItem,
  type RetailOverrides,
} from "./lib/cost/retail";

const USAGE = `usage: npm run cost:retail -- [options]
  --region NAME   armRegionName to price (default westeurope)
  --only IDS      comma-separated price row ids (default: every meter of RETAIL_QUERIES)
  --json FILE     also write the items as JSON
  --write         record each meter's single pay-as-you-go price in tools/lib/cost/retail-overrides.json, which the
                  price table applies (then run npm run cost:docs); meters with no or several prices are listed`;

runCli(USAGE, async (argv) => {
  const args = parseArgs(argv, ["region", "only", "json"], ["verbose", "write"]);
  const region = args.values.region ?? "westeurope";
  const only = args.values.only?.split(",");
  const queries = only ? RETAIL_QUERIES.filter((q) => only.includes(q.id)) : RETAIL_QUERIES;
  const unknown = only?.filter((id) => !RETAIL_QUERIES.some((q) => q.id === id)) ?? [];
  if (unknown.length > 0)
    throw new UsageError(
      `--only: unknown id(s) ${unknown.join(", ")} (known: ${RETAIL_QUERIES.map((q) => q.id).join(", ")})`,
    );
  const result: Record<string, unknown> = {};
  for (const q of queries) {
    const items = await fetchRetail(q, region, (url) => envFetch(url));
    result[q.id] = items;
    for (const line of formatRetail(q, items)) console.log(line);
  }
  if (args.values.json) writeFile(args.values.json, JSON.stringify(result, null, 2));
  if (args.flags.has("write")) {
    const { RETAIL_OVERRIDES_FILE, STORED_PRICES } = require("./lib/cost/prices") as typeof import("./lib/cost/prices");
    const { overrides, skipped } = overridesFrom(
      result as Record<string, RetailItem[]>,
      region,
      new Date().toISOString().slice(0, 10),
      (id) => STORED_PRICES.some((p) => p.id === id),
    );
    // Rows asked for now replace their earlier figures; the others stay as recorded.
    const fs = require("node:fs") as typeof import("node:fs");
    const before = fs.existsSync(RETAIL_OVERRIDES_FILE)
      ? (JSON.parse(fs.readFileSync(RETAIL_OVERRIDES_FILE, "utf8")) as RetailOverrides)
      : undefined;
    const merged: RetailOverrides = { rows: { ...(before?.rows ?? {}), ...overrides.rows } };
    writeFile(RETAIL_OVERRIDES_FILE, JSON.stringify(merged, null, 2) + "\n");
    console.log(
      `${Object.keys(overrides.rows).length} row(s) recorded in ${RETAIL_OVERRIDES_FILE}; run npm run cost:docs`,
    );
    for (const line of skipped) console.log(`not recorded: ${line}`);
  }
  return 0;
});
