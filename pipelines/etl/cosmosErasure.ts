// Where the GDPR erasure finds a person's items in Cosmos DB (docs/cosmos-partitioning.md), shared by the erasure
// pipelines (erasure.ts) and the OLTP procedures that audit them (sql/oltp/erasure.ts).
import type { ErasureSubject } from "../model/types";

/**
 * Cosmos DB containers that hold a customer's data, and how an item is found (docs/cosmos-partitioning.md):
 * - `sessions`: `customerRef` is the customer id (the one indexed path);
 * - `fraud_features`: the items of the customer's payment methods, `entityKey` = `paymentMethod:<id>`.
 * The erasure upserts each matching item as `{ id, <partition key>, ttl: 1 }`: the personal fields are gone at once
 * and the item expires a second later (both containers have TTL on). `api_logs` (route templates, merchant ids) and
 * `webhook_events` (payment ids) hold no customer identifier by contract, and expire within 30 / 90 days.
 */
export interface CosmosTarget {
  readonly container: string;
  /** The field that identifies the customer's items. */
  readonly field: string;
  /** Partition key paths (without `/`), kept in the stub so the upsert replaces the item in its partition. */
  readonly partitionKeys: readonly string[];
}
export const COSMOS_ERASURE: {
  readonly bySubject: readonly CosmosTarget[];
  readonly byReference: readonly (CosmosTarget & { readonly table: string; readonly prefix: string })[];
} = {
  bySubject: [{ container: "sessions", field: "customerRef", partitionKeys: ["id"] }],
  byReference: [
    {
      container: "fraud_features",
      field: "entityKey",
      partitionKeys: ["entityKey"],
      table: "PaymentMethod",
      prefix: "paymentMethod:",
    },
  ],
};

/**
 * The items a subject other than the customer erases by its own key: the `byReference` items of its table (a guest's
 * card: `fraud_features` `paymentMethod:<id>`, which the customer's erasure reaches only for the customer's cards).
 */
export const subjectCosmosTargets = (subject: ErasureSubject) =>
  COSMOS_ERASURE.byReference.filter((c) => c.table === subject.table);
