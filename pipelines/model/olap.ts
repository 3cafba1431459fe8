// OLAP model: the Synapse dedicated SQL pool star schema, and how each table is loaded.
//
//   Dim_Date, Dim_Merchant, Dim_Customer, Dim_PaymentMethod, Dim_Currency, Dim_PaymentStatus   (6 dimensions)
//   Fact_Payment            one row per OLTP payment, loaded nightly from the extracted changes
//   Fact_API_Performance    one row per minute, endpoint and merchant (request and error counts, p50/p95/p99
//                           latency), written by the streaming path (Cosmos DB api_logs → Stream Analytics → Synapse)
//   stg.<Table>             staging heaps for every extracted OLTP table, derived from the mappings (olapStaging.ts)
//   mv_*                    materialized views the dashboards read (Synapse keeps them current on every load)
//
// Dimension keys are the OLTP surrogate keys (immutable BIGINT IDENTITY values, never reused) or the natural code
// (currency, status). Key 0 is the "unknown member" (OLTP identities start at 1), so fact keys are never NULL.
// Merchant and customer attributes keep their history (type 2 with a durable key, `history` in olapStar.ts): the key stays
// the OLTP id, so facts reference it as before, and each version carries ValidFrom/ValidTo/IsCurrent; reports join
// `IsCurrent = 1` for today's attributes or the validity range for the attributes at the payment's time. The other
// dimensions are type 1 (overwrite).
//
// The warehouse holds no personal or card data: mappings may not read classified OLTP columns (validate/), CDC
// does not capture them, and the Always Encrypted ones are ciphertext to the ETL anyway. Dimensions describe customers by country and age, not by name.
//
// Distribution / index rules of the house (validate/ enforces them):
//   facts      HASH on a high-cardinality, NOT NULL, non-identity column + CLUSTERED COLUMNSTORE INDEX
//   dimensions REPLICATE (small, joined by every fact query: a full copy per compute node means no data
//              movement) + CLUSTERED INDEX on the key (columnstore needs ~60M+ rows to compress well; these are
//              far smaller — Microsoft recommends heap or clustered index below that size)
//   staging    HEAP (fastest load; read once by the load into the star), HASH on the fact's distribution column when
//              the fact's load joins on it (Payment, Refund, Dispute on PaymentId: the build of the changed fact rows
//              and their application to Fact_Payment then join distribution-compatible tables, no shuffle),
//              ROUND_ROBIN otherwise
//
// By concern: the star (olapStar.ts), the loads (olapMappings.ts), the staging heaps (olapStaging.ts), the dashboards'
// views (olapViews.ts); assembled here.
import { oltpModel } from "./oltp";
import { olapMappings } from "./olapMappings";
import { deriveStagingTables } from "./olapStaging";
import { starTables } from "./olapStar";
import { materializedViews } from "./olapViews";
import type { OlapModel } from "./types";

export { olapMappings } from "./olapMappings";
export { deriveStagingTables, stagingChangeColumnNames, stagingChangeColumns } from "./olapStaging";
export { materializedViews } from "./olapViews";

export const olapModel: OlapModel = {
  tables: [...starTables, ...deriveStagingTables(oltpModel, olapMappings, starTables)],
  mappings: olapMappings,
  materializedViews,
};
