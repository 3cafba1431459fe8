// How many keys one publish batch of a full reload replaces: the smallest pool's transaction cap over the fact's
// row size, from the model.
import type { Column, OlapTable } from "../../../model/types";

/**
 * Largest transaction of the smallest dedicated pool (DW100c): 1 GB per distribution × 60 distributions, "a single
 * data modification transaction is limited in size ... applied per distribution" (Microsoft, "Use transactions in a
 * SQL pool in Azure Synapse", Transaction size; its table assumes evenly distributed rows of 250 bytes).
 */
export const SMALLEST_POOL_TRANSACTION_BYTES = 60 * 1024 ** 3;
/** The row size Microsoft's table assumes: a narrower row is still counted at 250 bytes (log overhead). */
const MIN_LOGGED_ROW_BYTES = 250;

/** Bytes a value of the type takes at most in a row (SQL Server's storage sizes). */
export function typeBytes(type: Column["type"]): number {
  switch (type.kind) {
    case "bigint":
    case "rowversion":
      return 8;
    case "int":
      return 4;
    case "smallint":
      return 2;
    case "tinyint":
    case "bit":
      return 1;
    case "date":
      return 3;
    case "datetime2":
      return type.precision < 3 ? 6 : type.precision < 5 ? 7 : 8;
    case "decimal":
      return type.precision <= 9 ? 5 : type.precision <= 19 ? 9 : type.precision <= 28 ? 13 : 17;
    case "char":
    case "binary":
      return type.length;
    case "nchar":
      return 2 * type.length;
    case "varchar":
    case "varbinary":
      return (type.length > 0 ? type.length : 8000) + 2;
    case "nvarchar":
      return 2 * (type.length > 0 ? type.length : 4000) + 2;
  }
}

/**
 * Keys one publish batch replaces in a fact: a full reload (the first run, a window past the change retention, or
 * `etl.usp_RequestFullReload`) replaces every row of the fact, which in one transaction would outgrow the pool's cap
 * as the fact grows (DW500c: ~900M rows of 250 bytes, i.e. ~450M replaced rows, a year and a quarter of prod's
 * payments). A batch deletes and inserts each key's row (two row images), and a transaction holds at most two
 * batches (a fact's last batch commits with the next fact's first): 40 % of the smallest pool's cap each, so any
 * pool carries it with room for the dimensions. The row size comes from the model, so a wider fact batches smaller.
 */
export function publishBatchRows(fact: OlapTable): number {
  const rowBytes = Math.max(
    MIN_LOGGED_ROW_BYTES,
    fact.columns.reduce((n, c) => n + typeBytes(c.type), 0),
  );
  const rows = Math.floor((0.4 * SMALLEST_POOL_TRANSACTION_BYTES) / (2 * rowBytes));
  return Math.max(1, Math.floor(rows / 1_000_000) * 1_000_000 || rows);
}
