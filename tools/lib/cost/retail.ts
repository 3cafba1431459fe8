/**
 * The Azure Retail Prices API (https://prices.azure.com/api/retail/prices, public, no authentication) for the meters
 * the price table cannot source offline in West Europe: rows it prices at another region's rates (Flex Consumption,
 * Application Gateway v2, the DSv2 sizes of the scoring deployment, Azure Firewall Premium, Event Hubs Premium, Stream
 * Analytics, Defender for Cosmos DB, private endpoints, Container Registry Premium, the Key Vault key meters) and the
 * rows it derives (cold and geo-zone-redundant blob capacity, Business Critical SQL compute). The other rows the stacks
 * price at another region's rates are listed in RETAIL_NOT_ASKED with the reason. `npm run cost:retail` prints what
 * the API says for West Europe; with `--write` it records each meter's single price (`overridesFrom`) in
 * retail-overrides.json, which the price table applies over its stored rows (`applyOverrides`).
 *
 * API: https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices (OData `$filter` on
 * serviceName, armRegionName, skuName, meterName, priceType…; pages through `NextPageLink`).
 */
import { proxyForUrl } from "../../../lib/envProxy";
import { EnvironmentError } from "../cli";
import { LOG_ANALYTICS_COMMITMENT_LEVELS } from "../../../lib/config/schema";

export const RETAIL_API = "https://prices.azure.com/api/retail/prices";

/** One item of the API's `Items` (the fields read here). */
export interface RetailItem {
  readonly currencyCode: string;
  readonly retailPrice: number;
  readonly unitPrice?: number;
  readonly unitOfMeasure: string;
  readonly armRegionName: string;
  readonly serviceName: string;
  readonly productName: string;
  readonly skuName: string;
  readonly meterName: string;
  readonly type: string;
  readonly tierMinimumUnits?: number;
  readonly effectiveStartDate?: string;
  readonly reservationTerm?: string;
  readonly isPrimaryMeterRegion?: boolean;
}

type MatchField = "serviceName" | "productName" | "skuName" | "armSkuName" | "meterName";

/** A meter the table wants from the API: the price row it would fill (or replace) and the filter that finds it. */
export interface RetailQuery {
  /** The price row id (`tools/lib/cost/prices/`), existing or to add. */
  readonly id: string;
  /** Why the table needs it. */
  readonly why: string;
  /** Equality conditions of the OData filter, besides the region and `type eq 'Consumption'`. */
  readonly match: Readonly<Record<MatchField, string | undefined>>;
  /** Keeps only the items whose product name contains this (the API's filter has equality only). */
  readonly productIncludes?: string;
  /** Keeps only the items whose meter name contains this (likewise). */
  readonly meterIncludes?: string;
  /** What the price is multiplied by beyond the unit of measure (an 8-vCore SKU's hourly price × 1/8 = per vCore-hour). */
  readonly scale?: number;
}

const q = (
  id: string,
  why: string,
  match: Partial<Record<MatchField, string>>,
  extra: Pick<RetailQuery, "productIncludes" | "meterIncludes" | "scale"> = {},
): RetailQuery => ({
  id,
  why,
  ...extra,
  match: {
    serviceName: undefined,
    productName: undefined,
    skuName: undefined,
    armSkuName: undefined,
    meterName: undefined,
    ...match,
  },
});

/** The meters `npm run cost:retail` asks for. */
export const RETAIL_QUERIES: readonly RetailQuery[] = [
  ...(
    [
      ["functions-flex-ar-baseline", "Always Ready Baseline"],
      ["functions-flex-ar-gbs", "Always Ready Execution Time"],
      ["functions-flex-gbs", "On Demand Execution Time"],
      ["functions-flex-executions", "On Demand Total Executions"],
    ] as const
  ).map(([id, meterName]) =>
    q(
      id,
      `East US figure in the price table (Flex Consumption${meterName.endsWith("Executions") ? "; the API's unit is 10 executions" : ""})`,
      {
        serviceName: "Functions",
        meterName,
      },
    ),
  ),
  q(
    "functions-flex-ar-executions",
    "no row: the table bills always-ready executions at the on-demand rate (functions-flex-executions)",
    { serviceName: "Functions", meterName: "Always Ready Total Executions" },
  ),
  ...(["GZRS", "RA-GZRS", "ZRS", "GRS"] as const).flatMap((red) =>
    (["Hot", "Cool", "Cold"] as const).map((tier) =>
      q(
        `storage-${tier.toLowerCase()}-${red.replace("-", "")}`,
        tier === "Hot"
          ? "Infracost's West Europe golden in the price table"
          : "a 2026 capture of this API in the price table",
        {
          serviceName: "Storage",
          productName: "General Block Blob v2",
          skuName: `${tier} ${red}`,
          meterName: `${tier} ${red} Data Stored`,
        },
      ),
    ),
  ),
  // Application Gateway v2: the fixed hour and the capacity unit of each tier (meter and product names as
  // Infracost's resource matches them: internal/resources/azure/application_gateway.go).
  ...(
    [
      ["appgw-waf-v2", "Fixed Cost", "Application Gateway WAF v2"],
      ["appgw-waf-v2-cu", "Capacity Units", "Application Gateway WAF v2"],
      ["appgw-standard-v2", "Fixed Cost", "Application Gateway Standard v2"],
      ["appgw-standard-v2-cu", "Capacity Units", "Application Gateway Standard v2"],
    ] as const
  ).map(([id, meterName, product]) =>
    q(
      id,
      "Microsoft's East US example rate in the price table",
      { serviceName: "Application Gateway", meterName },
      { productIncludes: product },
    ),
  ),
  // Business Critical Gen5 compute, priced per 8-vCore SKU hour (the product names as Infracost's SQL resource
  // matches them: internal/resources/azure/sql_database.go).
  q(
    "sql-bc-compute",
    "derived in the price table: East US × West Europe's GP compute ratio (per vCore: the 8-vCore SKU's hour / 8)",
    { serviceName: "SQL Database", skuName: "8 vCore" },
    { productIncludes: "Business Critical - Compute Gen5", scale: 1 / 8 },
  ),
  ...(["Standard_DS1_v2", "Standard_DS2_v2", "Standard_DS3_v2"] as const).map((size) =>
    q(`vm-${size}`, "East US or derived in the price table (Linux, pay-as-you-go)", {
      serviceName: "Virtual Machines",
      armSkuName: size,
    }),
  ),
  // The meter names below as Infracost's resources filter them (internal/providers/terraform/azure/firewall.go,
  // private_endpoint.go, key_vault_key.go, event_hubs_namespace.go; internal/resources/azure/container_registry.go,
  // security_center_subscription_pricing.go), which read the same API's fields.
  q("firewall-premium", "East US figure in the price table", {
    serviceName: "Azure Firewall",
    skuName: "Premium",
    meterName: "Premium Deployment",
  }),
  q(
    "eventhubs-premium-pu",
    "East US figure in the price table (Infracost matches the meter name's end, 'Processing Unit')",
    { serviceName: "Event Hubs", skuName: "Premium" },
    { meterIncludes: "Processing Unit" },
  ),
  q("asa-su", "South Central US figure in the price table (Microsoft's solution price table)", {
    serviceName: "Stream Analytics",
    skuName: "Standard",
    meterName: "Standard Streaming Unit",
  }),
  q(
    "defender-cosmos",
    "East US figure in the price table (the API prices 100 RU/s an hour; the row a month: × 730)",
    {
      serviceName: "Microsoft Defender for Cloud",
      productName: "Microsoft Defender for Azure Cosmos DB",
      meterName: "Standard 100 RU/s",
    },
    { scale: 730 },
  ),
  q("private-endpoint", "West US figure in the price table", {
    productName: "Virtual Network Private Link",
    meterName: "Standard Private Endpoint",
  }),
  // Log Analytics' commitment tiers and Microsoft Sentinel's classic meters: West Europe in the price table, from a 2023
  // capture of this API's answers (the meter names as it holds them).
  q("sentinel-ingestion", "a 2023 capture of this API in the price table", {
    serviceName: "Sentinel",
    meterName: "Pay-as-you-go Data Analysis",
  }),
  ...LOG_ANALYTICS_COMMITMENT_LEVELS.flatMap((level) => [
    q(`log-analytics-commitment-${level}`, "a 2023 capture of this API in the price table", {
      serviceName: "Azure Monitor",
      meterName: `${level} GB Commitment Tier Capacity Reservation`,
    }),
    q(`sentinel-commitment-${level}`, "a 2023 capture of this API in the price table", {
      serviceName: "Sentinel",
      meterName: `Classic ${level} GB Commitment Tier Capacity Reservation`,
    }),
  ]),
  q("acr-premium", "East US figure in the price table", {
    serviceName: "Container Registry",
    productName: "Container Registry",
    skuName: "Premium",
    meterName: "Premium Registry Unit",
  }),
  ...(
    [
      ["kv-hsm-key-rsa2048", "Premium HSM-protected RSA 2048-bit key"],
      ["kv-hsm-key-rsa3072", "Premium HSM-protected Advanced Key"],
      ["kv-advanced-ops", "Advanced Key Operations"],
      ["kv-rotation", "Secret Renewal"],
    ] as const
  ).map(([id, meterName]) =>
    q(id, "East US figure in the price table (Key Vault Premium)", {
      productName: "Key Vault",
      skuName: "Premium",
      meterName,
    }),
  ),
];

/**
 * Rows the stacks price at another region's rates that `cost:retail` does not ask for, and why: they keep their
 * stored region's figure (docs/cost.md says so). A test fails when a stack prices such a row that is neither asked
 * for nor listed here.
 */
export const RETAIL_NOT_ASKED: Readonly<Record<string, string>> = {
  "sql-license-bc":
    "the same in West Europe: Infracost's West Europe elastic-pool golden bills the licence $2,190 for 5,840 vCore-hours ($0.375)",
  "sql-serverless": "not asked yet: a serverless vCore-second meter the table would convert by hand",
  "sql-ltr-Geo": "not asked yet (backup storage, a few dollars)",
  "cosmos-autoscale":
    "not asked yet: the API prices Cosmos DB throughput per 100 RU/s-hour in one meter for manual and autoscale (the table derives autoscale as 1.5 × standard)",
  "cosmos-storage": "not asked yet (tens of dollars)",
  "cosmos-continuous-30d": "not asked yet (tens of dollars)",
  "cosmos-serverless": "not asked yet (a few dollars)",
  "firewall-data": "not asked yet (tens of dollars)",
  "private-endpoint-data": "not asked yet (tens of dollars)",
  "private-dns-zone": "not asked yet (tens of dollars)",
  "public-ip-static": "not asked yet (a few dollars)",
  "eventhubs-standard-tu": "not asked yet (dev only, tens of dollars)",
  "eventhubs-standard-ingress": "not asked yet (dev only, cents)",
  "defender-sql-azure": "not asked yet (a Defender plan per resource, tens of dollars)",
  "defender-storage": "not asked yet (a Defender plan per resource, tens of dollars)",
  "defender-arm": "not asked yet (a Defender plan per resource, tens of dollars)",
  "defender-keyvault": "not asked yet (a Defender plan per resource, tens of dollars)",
  ...Object.fromEntries(
    [
      "monitor-metric-alert-ts",
      "monitor-log-alert-1m",
      "monitor-log-alert-5m",
      "monitor-log-alert-10m",
      "monitor-log-alert-15m",
    ].map((id) => [id, "not asked yet (alert rules, tens of dollars together)"]),
  ),
};

/** OData string literal ('' escapes a quote). */
const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** The first page's URL for a query in a region (USD, pay-as-you-go prices only). */
export function retailUrl(query: RetailQuery, region: string): string {
  const conditions = [
    `armRegionName eq ${lit(region)}`,
    `priceType eq 'Consumption'`,
    ...Object.entries(query.match)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k} eq ${lit(v)}`),
  ];
  return `${RETAIL_API}?currencyCode='USD'&$filter=${encodeURIComponent(conditions.join(" and "))}`;
}

/**
 * The items that price the meter as the table does: pay-as-you-go (`Consumption`), the first volume tier
 * (`tierMinimumUnits` 0, the rows say "first 50 TB"), and for VMs the Linux meter (no "Windows" product, no Spot or
 * Low Priority SKU).
 */
export function relevantItems(items: readonly RetailItem[]): RetailItem[] {
  return items.filter(
    (i) =>
      i.type === "Consumption" &&
      (i.tierMinimumUnits ?? 0) === 0 &&
      !/Windows/i.test(i.productName) &&
      !/Spot|Low Priority/i.test(i.skuName),
  );
}

/** Minimal fetch (Node's global fetch fits). */
export type Fetch = (url: string) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** Every item of a query, following `NextPageLink` (at most `maxPages`). */
export async function fetchRetail(
  query: RetailQuery,
  region: string,
  fetch: Fetch,
  maxPages = 10,
): Promise<RetailItem[]> {
  const items: RetailItem[] = [];
  let url: string | null = retailUrl(query, region);
  for (let page = 0; url && page < maxPages; page++) {
    let res: Awaited<ReturnType<Fetch>>;
    try {
      res = await fetch(url);
    } catch (e) {
      // Node's fetch says only "fetch failed"; the cause says why (ENOTFOUND, ECONNREFUSED, a timeout).
      const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
      const why = cause ? String(cause.code ?? cause.message) : String((e as Error).message ?? e);
      const proxy = proxyForUrl(url);
      throw new EnvironmentError(
        `cannot reach ${new URL(url).host}${proxy ? ` through the proxy ${new URL(proxy).host} (HTTPS_PROXY)` : ""} (${why}): cost:retail needs network access to the Azure Retail Prices API`,
        { cause: e },
      );
    }
    if (!res.ok) throw new Error(`Retail Prices API: HTTP ${res.status} for ${query.id}`);
    const body = (await res.json()) as { Items?: RetailItem[]; NextPageLink?: string | null };
    items.push(...(body.Items ?? []));
    url = body.NextPageLink ?? null;
  }
  return relevantItems(items).filter(
    (i) =>
      (!query.productIncludes || i.productName.includes(query.productIncludes)) &&
      (!query.meterIncludes || i.meterName.includes(query.meterIncludes)),
  );
}

/** One line per item: what to paste into a price row (id, meter, unit, price, region, effective date). */
export function formatRetail(query: RetailQuery, items: readonly RetailItem[]): string[] {
  if (items.length === 0) return [`${query.id}: no pay-as-you-go item matched (${query.why})`];
  return items.map(
    (i) =>
      `${query.id}: ${i.retailPrice} ${i.currencyCode} per ${i.unitOfMeasure} — ${i.productName} / ${i.skuName} / ${i.meterName}, ${i.armRegionName}, effective ${i.effectiveStartDate?.slice(0, 10) ?? "?"} (${query.why})`,
  );
}

/**
 * What the API's price per unit of measure is multiplied by to give the row's price per its unit (a price per 10
 * executions × 100,000 = the price per million).
 */
export const UNIT_FACTORS: Readonly<Record<string, number>> = {
  "1 GB/Month": 1,
  "1 GB": 1,
  "1 Hour": 1,
  "1/Hour": 1,
  "1 GB Second": 1,
  // Container Registry units are priced a day, Key Vault keys a month, key rotations each (the rows' own units).
  "1/Day": 1,
  "1/Month": 1,
  "1": 1,
  // Key Vault operations: the API's and the row's unit are both 10,000 operations.
  "10K": 1,
  // Flex executions: the API prices 10 executions; the row prices a million.
  "10": 100_000,
};

/** One row's figure from the API, in the row's unit, with the region and the day it was asked. */
export interface RetailOverride {
  readonly list: number;
  readonly region: string;
  /** The day the API was asked (ISO date). */
  readonly date: string;
  /** The API item the figure comes from (product / SKU / meter, unit of measure, effective date). */
  readonly item: string;
}
/**
 * The file `npm run cost:retail -- --write` records (tools/lib/cost/retail-overrides.json) and the price table applies:
 * one entry per row, each with its own region and date (a later run for some rows leaves the others as recorded).
 */
export interface RetailOverrides {
  readonly rows: Readonly<Record<string, RetailOverride>>;
}

/**
 * The overrides the API's answers give, and what they leave out (with why): a query whose items disagree on the price,
 * whose unit the table does not know, or that has no row (always-ready executions).
 */
export function overridesFrom(
  results: Readonly<Record<string, readonly RetailItem[]>>,
  region: string,
  date: string,
  hasRow: (id: string) => boolean,
  queries: readonly RetailQuery[] = RETAIL_QUERIES,
): { overrides: RetailOverrides; skipped: string[] } {
  const rows: Record<string, RetailOverride> = {};
  const skipped: string[] = [];
  for (const [id, items] of Object.entries(results)) {
    if (!hasRow(id)) {
      skipped.push(`${id}: no price row to update`);
      continue;
    }
    const prices = [...new Set(items.map((i) => i.retailPrice))];
    if (items.length === 0 || prices.length !== 1) {
      skipped.push(`${id}: ${items.length === 0 ? "no item" : `${prices.length} different prices`} (check by hand)`);
      continue;
    }
    const i = items[0];
    const factor = UNIT_FACTORS[i.unitOfMeasure];
    if (factor === undefined) {
      skipped.push(
        `${id}: unit '${i.unitOfMeasure}' is not one the table converts (${Object.keys(UNIT_FACTORS).join(", ")})`,
      );
      continue;
    }
    rows[id] = {
      list: Number((i.retailPrice * factor * (queries.find((x) => x.id === id)?.scale ?? 1)).toPrecision(6)),
      region,
      date,
      item: `${i.productName} / ${i.skuName} / ${i.meterName}, per ${i.unitOfMeasure}, effective ${i.effectiveStartDate?.slice(0, 10) ?? "?"}`,
    };
  }
  return { overrides: { rows }, skipped };
}
