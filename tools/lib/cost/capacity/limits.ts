/**
 * What one unit of each service carries, from Microsoft's published tables: Cosmos DB request units by item size and
 * index terms, Azure SQL data IOPS and log rate, Event Hubs ingress, an Azure SQL trigger app's changes/s, a dedicated
 * SQL pool's largest transaction, Flex Consumption's regional quota.
 */
import { type CosmosLoad } from "../../../../lib/usage";
import type { SynapsePoolSku } from "../../../../lib/config/data";
import { at } from "../model";

/** Flex Consumption's default compute quota per subscription and region: 250 cores, 512,000 MB. */
export const FLEX_REGIONAL_QUOTA_MB = 512_000;

/**
 * RU of one operation on an item of `kb` KB: Microsoft's table of write and read charges by document size
 * (learn.microsoft.com/azure/cosmos-db/understand-request-unit-consumption, 2026-04-21), interpolated linearly
 * between its sizes.
 */
const RU_BY_SIZE: readonly (readonly [kb: number, read: number, write: number])[] = [
  [1, 1.0, 4.95],
  [2, 1.04, 6.29],
  [4, 1.14, 6.67],
  [8, 1.33, 7.04],
  [16, 1.67, 9.52],
  [32, 2.19, 11.23],
  [64, 4.76, 22.67],
  [128, 9.95, 48.19],
  [256, 20.28, 98.29],
  [512, 40.95, 184.57],
  [1024, 145.9, 625.0],
  [2048, 291.8, 1250.0],
];
export function ruBySize(kb: number, op: "read" | "write"): number {
  const col = op === "read" ? 1 : 2;
  if (kb <= RU_BY_SIZE[0][0]) return RU_BY_SIZE[0][col];
  for (let i = 1; i < RU_BY_SIZE.length; i++) {
    const [k1] = RU_BY_SIZE[i - 1];
    const [k2] = RU_BY_SIZE[i];
    if (kb <= k2)
      return RU_BY_SIZE[i - 1][col] + ((kb - k1) / (k2 - k1)) * (RU_BY_SIZE[i][col] - RU_BY_SIZE[i - 1][col]);
  }
  return RU_BY_SIZE[RU_BY_SIZE.length - 1][col] * (kb / 2048);
}

/** RU per indexed term written (same page: "0.2 × 10 (indexing)"). */
export const RU_PER_INDEXED_TERM = 0.2;
/**
 * Customer-managed keys add about 6 % to writes, 5 % to point reads and 15 % to queries and change feed reads
 * (docs/cosmos-partitioning.md, "Throughput and capacity").
 */
export const CMK_WRITE = 1.06;
export const CMK_READ = 1.05;
export const CMK_CHANGE_FEED = 1.15;

/**
 * Index terms one item writes under a container's indexing policy: the included paths (or, when `/*` is included,
 * the item's properties less the excluded subtrees), one per composite index, and `id` and `_ts`, always indexed.
 */
export function indexedTerms(indexingPolicy: unknown, properties: number): number {
  const paths = (key: string) =>
    ((at(indexingPolicy, key) as { path?: string }[] | undefined) ?? []).map((p) => p.path ?? "");
  const included = paths("includedPaths");
  const excluded = paths("excludedPaths").filter((p) => !p.includes("_etag") && p !== "/*");
  const composites = ((at(indexingPolicy, "compositeIndexes") as unknown[] | undefined) ?? []).length;
  const base = included.includes("/*") ? Math.max(0, properties - excluded.length) : included.length;
  return base + composites + 2;
}

/** RU of one transaction of flow 1 on a container, with the breakdown. */
export function ruPerTransaction(
  l: CosmosLoad,
  indexingPolicy: unknown,
  cmk: boolean,
): { ru: number; create: number; replace: number; read: number; changeFeedRead: number; terms: number } {
  const terms = indexedTerms(indexingPolicy, l.properties);
  const w = cmk ? CMK_WRITE : 1;
  const rd = cmk ? CMK_READ : 1;
  const cf = cmk ? CMK_CHANGE_FEED : 1;
  const create = (ruBySize(l.itemKb, "write") + RU_PER_INDEXED_TERM * terms) * w;
  // A replace deletes and inserts the document and its modified index terms (same page, "Updates (replace)").
  const replace =
    (2 * ruBySize(l.itemKb, "write") + 2 * RU_PER_INDEXED_TERM * Math.min(terms, l.modifiedIndexedTerms)) * w;
  const read = ruBySize(l.itemKb, "read") * rd;
  // A change feed read is billed like a point read of the item, with the customer-managed key's query overhead.
  const changeFeedRead = ruBySize(l.itemKb, "read") * cf;
  const ru =
    l.createsPerTransaction * create +
    l.replacesPerTransaction * replace +
    l.readsPerTransaction * read +
    l.changeFeedReadsPerTransaction * changeFeedRead;
  return { ru, create, replace, read, changeFeedRead, terms };
}

/** Azure SQL (vCore, Gen5) data IOPS and log rate by SKU (resource-limits-vcore-single-databases, sql-docs 2023-08-11). */
export function sqlLimits(sku: string, vcores: number): { iops: number; logMBps: number } | undefined {
  if (sku === "BC_Gen5") return { iops: 4000 * vcores, logMBps: Math.min(12 * vcores, 96) };
  if (sku === "GP_Gen5" || sku === "GP_S_Gen5") return { iops: 320 * vcores, logMBps: Math.min(4.5 * vcores, 50) };
  return undefined;
}

/** Event Hubs ingress per unit: Standard TU 1 MB/s or 1,000 events/s; Premium PU ~5 MB/s (low end of 5–10). */
export const EH_LIMITS: Readonly<Record<string, { mbps: number; eps?: number }>> = {
  Standard: { mbps: 1, eps: 1000 },
  Premium: { mbps: 5 },
};

/**
 * Changes/s an Azure SQL trigger app processes: its always-ready instances in parallel (each loops "get up to
 * `batch` changes, run the function, wait the polling interval"), bounded by the trigger's one app lock: every
 * transaction of every instance takes `_az_func_Trigger` exclusively (SqlTriggerConstants.AppLockResource,
 * Azure/azure-functions-sql-extension; "every transaction is processed serially by use of this lock", #984), so the
 * batches of all instances together cannot exceed 1 / (lock-held seconds per batch) a second.
 */
export function sqlTriggerCapacity(
  instances: number,
  batch: number,
  pollSeconds: number,
  batchSeconds: number,
  lockSecondsPerBatch: number,
): { parallel: number; serial: number; capacity: number } {
  const parallel = (instances * batch) / (batchSeconds + pollSeconds);
  const serial = instances > 0 ? batch / lockSecondsPerBatch : 0;
  return { parallel, serial, capacity: Math.min(parallel, serial) };
}

/**
 * A dedicated SQL pool's largest data modification transaction, in rows of 250 bytes spread evenly: Microsoft's table
 * ("Use transactions in a SQL pool in Azure Synapse", Transaction size, Gen2: 4,000,000 rows per GB of a
 * distribution's cap, 60 distributions).
 */
export const POOL_TRANSACTION_GB_PER_DISTRIBUTION: Readonly<Record<SynapsePoolSku, number>> = {
  DW100c: 1,
  DW200c: 1.5,
  DW300c: 2.25,
  DW400c: 3,
  DW500c: 3.75,
  DW1000c: 7.5,
  DW1500c: 11.25,
  DW2000c: 15,
  DW2500c: 18.75,
  DW3000c: 22.5,
  DW5000c: 37.5,
  DW6000c: 45,
  DW7500c: 56.25,
  DW10000c: 75,
  DW15000c: 112.5,
  DW30000c: 225,
};
/**
 * Keys a publish replaces in one transaction at most: more go in batches (pipelines/etl/sql/pool/batchSize.ts publishBatchRows
 * for Fact_Payment; a test keeps the two equal, the model not being loaded in a preview for it).
 */
export const PUBLISH_BATCH_KEYS = 51_000_000;
export const poolTransactionRows = (sku: string): number | undefined => {
  const gb = (POOL_TRANSACTION_GB_PER_DISTRIBUTION as Readonly<Record<string, number>>)[sku];
  return gb === undefined ? undefined : gb * 60 * 4_000_000;
};
