/**
 * What the ETL operations share: the Azure CLI (checked against the stack's subscription), Resource Manager's URL and
 * Data Factory's API version, the stack's resource groups, and the reads of what they hold (a type's resources, a
 * list, the factory).
 */
import { execFileSync } from "node:child_process";
import { UsageError } from "../cli";

export const ADF_API = "2018-06-01";
export const ARM = "https://management.azure.com";

/** Runs `az` with JSON output; the one side effect of this module. */
export type Az = (args: readonly string[]) => unknown;

export const azCli: Az = (args) => {
  const out = execFileSync("az", [...args, "--output", "json"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return out.trim() === "" ? null : JSON.parse(out);
};

/**
 * The subscription the stack deploys to, as azure-native reads it: `azure-native:subscriptionId` from the stack's
 * config, else `ARM_SUBSCRIPTION_ID` (the provider's config key first, then its variable, as deploy.yml sets it);
 * undefined when neither is set, and the provider then takes the Azure CLI's own subscription too.
 */
export function stackSubscription(
  config: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return config["azure-native:subscriptionId"] || env.ARM_SUBSCRIPTION_ID || undefined;
}

/**
 * `az`, checked before its first call to be logged in to the stack's subscription: the tools name resource groups,
 * not subscriptions, so an Azure CLI left on another stack's subscription (dev's, when prod's is separate) would
 * register providers there, or find no pool to wake and report nothing to do. A usage error names both and the fix.
 */
export function checkedAz(az: Az, stack: string, wanted: string | undefined): Az {
  let checked = wanted === undefined;
  return (args) => {
    if (!checked) {
      const current = az(["account", "show", "--query", "id"]);
      if (typeof current !== "string" || current.toLowerCase() !== wanted?.toLowerCase())
        throw new UsageError(
          `the Azure CLI is on subscription ${String(current)}, stack ${stack} deploys to ${wanted} ` +
            "(azure-native:subscriptionId, else ARM_SUBSCRIPTION_ID): run `az account set --subscription " +
            `${wanted}\` first`,
        );
      checked = true;
    }
    return az(args);
  };
}

export interface StackResources {
  /** Resource group of the ETL tier (the factory). */
  readonly integrationResourceGroup: string;
  /** Resource group of the data tiers (the Synapse workspace). */
  readonly dataResourceGroup: string;
}

/**
 * Ids of the resources of one type in a resource group (`az resource list`); none when the group does not exist yet
 * (before a stack's first `up`), which `az resource list` reports as an error (ResourceGroupNotFound) rather than an
 * empty list.
 */
export const resourceIds = (az: Az, rg: string, type: string): string[] =>
  az(["group", "exists", "--name", rg]) === true
    ? ((az(["resource", "list", "--resource-group", rg, "--resource-type", type, "--query", "[].id"]) as
        string[] | null) ?? [])
    : [];

/** Every page of a Resource Manager list (`url` after the ARM host): each page's `value`, then its `nextLink`. */
export const list = <T>(az: Az, url: string): T[] => pagedGet<T>(az, `${ARM}${url}`);

/**
 * Every item of a Resource Manager GET list at `fullUrl`, following `nextLink` ("If there are more results, the
 * response includes a nextLink value": Resource Manager's list pagination) until a page has none. Capped at 1,000
 * pages: a service answering the same link again would otherwise loop for ever.
 */
export function pagedGet<T>(az: Az, fullUrl: string): T[] {
  const items: T[] = [];
  let next: string | undefined = fullUrl;
  for (let page = 0; next !== undefined && page < 1000; page++) {
    const body = az(["rest", "--method", "get", "--url", next]) as { value?: T[]; nextLink?: string | null } | null;
    items.push(...(body?.value ?? []));
    next = body?.nextLink || undefined;
  }
  return items;
}

/**
 * Every item of a Data Factory query (a POST whose answer carries `continuationToken` while more rows remain: "The
 * continuation token for getting the next page of results. Null for first page", the 2018-06-01 RunFilterParameters),
 * the token sent back in the next request's body. Capped at 1,000 pages.
 */
export function pagedQuery<T>(az: Az, url: string, body: Record<string, unknown>): T[] {
  const items: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const answer = az([
      "rest",
      "--method",
      "post",
      "--url",
      `${ARM}${url}`,
      "--body",
      JSON.stringify(token === undefined ? body : { ...body, continuationToken: token }),
    ]) as { value?: T[]; continuationToken?: string | null } | null;
    items.push(...(answer?.value ?? []));
    token = answer?.continuationToken || undefined;
    if (token === undefined) break;
  }
  return items;
}

/** The factory (at most one per integration group), or undefined before the first `up`. */
export function findFactory(az: Az, s: StackResources): { id: string; name: string } | undefined {
  const found = resourceIds(az, s.integrationResourceGroup, "Microsoft.DataFactory/factories");
  if (found.length > 1) throw new Error(`${s.integrationResourceGroup} holds ${found.length} factories; expected one`);
  return found[0] ? { id: found[0], name: found[0].split("/").pop()! } : undefined;
}
