// The OLTP model's column helpers: keys, timestamps, amounts, codes, statuses, and the classified columns (personal,
// Always Encrypted, card-derived) with their masks (pipelines/model/oltp.ts assembles the model).
import type { Column } from "./types";
import { t } from "./types";

// --- column helpers -----------------------------------------------------------------------------------------------

/** Idempotency keys are the merchant's bytes: a binary collation, so keys differing only in case stay distinct. */
export const IDEMPOTENCY_KEY_COLLATION = "Latin1_General_100_BIN2";

export const id = (name: string): Column => ({
  name,
  type: t.bigint(),
  nullable: false,
  identity: { seed: 1, increment: 1 },
});
export const ref = (name: string, nullable = false): Column => ({ name, type: t.bigint(), nullable });
export const createdAt = (): Column => ({
  name: "CreatedAt",
  type: t.datetime2(3),
  nullable: false,
  default: "SYSUTCDATETIME()",
});
export const updatedAt = (): Column => ({
  name: "UpdatedAt",
  type: t.datetime2(3),
  nullable: false,
  default: "SYSUTCDATETIME()",
});
export const timestamps = (): Column[] => [createdAt(), updatedAt()];

/** The one column encryption key of the model (wrapped by the Key Vault column master key). */
export const CUSTOMER_CEK = "CEK_Customer";
export const COLUMN_MASTER_KEY = "CMK_KeyVault";
/** Always Encrypted personal column: classified, encrypted client-side, therefore not masked (DDM can't apply). */
export const encrypted = (
  name: string,
  type: Column["type"],
  encryptionType: "Deterministic" | "Randomized",
  description?: string,
): Column => ({
  name,
  type,
  nullable: true,
  classification: { kind: "personal" },
  encryption: { key: CUSTOMER_CEK, type: encryptionType },
  // Deterministic encryption of a character column needs a BIN2 collation (Always Encrypted requirement).
  ...(encryptionType === "Deterministic" ? { collation: "Latin1_General_BIN2" } : {}),
  ...(description ? { description } : {}),
});

export const CDC_PLAIN =
  "Ordinary table without encrypted columns: CDC net changes give the changed values (and deletes) directly.";
export const CT_LEDGER =
  "Ledger table: Microsoft's ledger limitations page has said CDC isn't supported for ledger tables (a later " +
  "revision allows it on the ledger table, never on its history table); change tracking is allowed in both, and " +
  "the fraud scorer's SQL trigger needs it on Payment anyway. Deletes are read from the ledger history table.";
export const currencyCode = (name = "CurrencyCode"): Column => ({
  name,
  type: t.char(3),
  nullable: false,
  check: `[${name}] COLLATE Latin1_General_BIN LIKE '[A-Z][A-Z][A-Z]'`,
});
export const countryCode = (name: string, nullable: boolean): Column => ({
  name,
  type: t.char(2),
  nullable,
  check: `[${name}] COLLATE Latin1_General_BIN LIKE '[A-Z][A-Z]'`,
});
/** A strictly positive amount in minor units (cents). */
export const positiveAmount = (name = "AmountMinor"): Column => ({
  name,
  type: t.bigint(),
  nullable: false,
  check: `[${name}] > 0`,
});
export const status = (values: string[], defaultValue: string, length = 20): Column => ({
  name: "Status",
  type: t.varchar(length),
  nullable: false,
  default: `'${defaultValue}'`,
  allowedValues: values,
});
/**
 * Reject anything with a run of 13+ digits: a PAN written as one run of digits (13–19) can never be stored in this
 * column. A PAN written in groups (`4111 1111 1111 1111`) is not caught: refusing 13 or more digits in groups would
 * refuse about one random dashed-UUID token in 190 (1 in 74 for any three 4-digit groups), and a Luhn test would need
 * a schema-bound function on every insert, so the tokenisation service's own validation stays the control for what
 * it writes.
 */
export const noPanDigits = (name: string): string => `[${name}] NOT LIKE '%${"[0-9]".repeat(13)}%'`;
export const vaultToken = (name: string, prefix: string): Column => ({
  name,
  type: t.varchar(64),
  nullable: false,
  check: `[${name}] COLLATE Latin1_General_BIN LIKE '${prefix}[_]%' AND ${noPanDigits(name)}`,
  description: "Opaque reference issued by the tokenisation vault; the sensitive value never enters this database.",
});
export const personal = (
  name: string,
  type: Column["type"],
  mask: NonNullable<Column["classification"]>["mask"],
  description?: string,
): Column => ({
  name,
  type,
  // Personal data is always nullable: erasure (GDPR Art. 17) sets it to NULL and keeps the financial record.
  nullable: true,
  classification: { kind: "personal", mask },
  ...(description ? { description } : {}),
});

// --- payment status enum, shared with the warehouse (Dim_PaymentStatus is seeded from it) -----------------------

export interface PaymentStatusInfo {
  code: string;
  isFinal: boolean;
  isSuccessful: boolean;
}
export const paymentStatuses: PaymentStatusInfo[] = [
  { code: "pending", isFinal: false, isSuccessful: false },
  { code: "requires_action", isFinal: false, isSuccessful: false },
  { code: "authorized", isFinal: false, isSuccessful: false },
  { code: "captured", isFinal: true, isSuccessful: true },
  { code: "failed", isFinal: true, isSuccessful: false },
  { code: "canceled", isFinal: true, isSuccessful: false },
];
