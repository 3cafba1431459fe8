/**
 * npm run cost:retail -- [--region westeurope] [--only ID[,ID…]] [--json FILE]
 *
 * Asks the Azure Retail Prices API (public, needs network access) for the meters the price table prices at East US
 * rates or derives (`RETAIL_QUERIES` in tools/lib/cost/retail.ts) and prints each pay-as-you-go item, to update
 * tools/lib/cost/prices.ts by hand with its date and the API as source. Exit 0, or 2 on bad usage or an API error.
 */
import { parseArgs, runCli, UsageError, writeFile } from "./lib/cli";
import { fetchRetail, formatRetail, RETAIL_QUERIES, type Fetch } from "./lib/cost/retail";

const USAGE = `usage: npm run cost:retail -- [options]
  --region NAME   armRegionName to price (default westeurope)
  --only IDS      comma-separated price row ids (default: every meter of RETAIL_QUERIES)
  --json FILE     also write the items as JSON`;

runCli(USAGE, async (argv) => {
  const args = parseArgs(argv, ["region", "only", "json"], ["verbose"]);
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
    const items = await fetchRetail(q, region, fetch as unknown as Fetch);
    result[q.id] = items;
    for (const line of formatRetail(q, items)) console.log(line);
  }
  if (args.values.json) writeFile(args.values.json, JSON.stringify(result, null, 2));
  return 0;
});
