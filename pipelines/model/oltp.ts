// OLTP model: the payments processor's operational database (Azure SQL Database, schema dbo), in 3NF.
//
// Nine tables, and why exactly these:
//   Currency            ISO 4217 reference: the minor-unit exponent is a property of the currency, not of each amount.
//   Merchant            the account that sells; owns payments, payouts and the balance.
//   Customer            the payer, platform-wide (the tokenisation vault is platform-wide, so a card can be reused
//                       across merchants); all GDPR personal data about payers lives here and only here.
//   PaymentMethod       a tokenised card: vault token + brand/last4/expiry/fingerprint. Never a PAN, never a CVV.
//   Payment             one payment attempt of a merchant with a payment method (authorise → capture).
//   Refund              money returned on a payment (0..n per payment).
//   Dispute             a chargeback raised by the issuer on a payment (0..n per payment).
//   Payout              money sent from a merchant's balance to the merchant's bank account.
//   BalanceTransaction  the merchant balance ledger: every posting (charge, refund, fee, dispute, payout, ...).
// Anything else (bank details, dispute evidence, raw API logs) is held outside this database: in the vault,
// blob storage or Cosmos DB.
//
// Conventions: money is BIGINT minor units + ISO CHAR(3) currency (no floating point, no rounding; the
// exponent comes from Currency.MinorUnits); timestamps are UTC DATETIME2(3) set by SYSUTCDATETIME() defaults
// (UpdatedAt is set by the application on every update); surrogate keys are BIGINT IDENTITY; status columns are
// closed enums enforced by CHECK constraints.
//
// Ledger (PCI DSS 10.3.2: protect audit records from modification; tamper evidence):
//   - Payment, Refund, Dispute, Payout are UPDATABLE ledger tables: they move through statuses, and every
//     version of every row is kept in a cryptographically chained history whose digests are stored outside the
//     database, so a silent UPDATE of an amount or status by a DBA is detectable.
//   - BalanceTransaction is APPEND-ONLY: postings are immutable; corrections are new postings.
//   - Currency, Merchant, Customer, PaymentMethod are NOT ledger tables: they hold personal or card-derived data
//     that must be erasable (GDPR Art. 17) and retention-limited (PCI DSS 3.2.1), which an immutable history
//     forbids. This is also why ledger tables must not carry personal columns (validate/ enforces it).
//   Caveats: a ledger table can never be converted back to a non-ledger table; existing tables cannot be
//   converted into ledger tables (migration = new table + copy); only NULLABLE columns can be added later;
//   TRUNCATE is not supported and history can never be purged. Choose carefully before the first deployment.
//   The DATABASE must therefore NOT be a ledger database (database-level ledger turns every table, Customer
//   included, into an updatable ledger table, and cannot be switched off). Non-ledger tables are created
//   WITH (LEDGER = OFF), which errors on a ledger database, and 01_oltp_schema.sql refuses to run on one.
//
// Extraction for the nightly ETL (docs/data-model-decisions.md has the full argument):
//   - Ledger tables are never CDC-enabled. Microsoft's ledger limitations page says "Change data capture isn't
//     supported for ledger tables" (a later revision allows it on the ledger table but not its history table);
//     change tracking is allowed on ledger tables in both revisions, so Payment, Refund and Dispute use change
//     tracking. Their deletes stay visible in the ledger history table, which is where the ETL reads the last
//     version of a deleted row.
//   - Customer holds Always Encrypted columns, which CDC cannot capture (older revisions of the Always Encrypted
//     page exclude every column of a CDC table): change tracking, which records only the key, works either way.
//   - Currency, Merchant, PaymentMethod: CDC net changes (ordinary tables, no encrypted columns).
//   - Payout and BalanceTransaction are not in the star yet: not extracted (no tracking overhead).
//   validate/ keeps the modes, the ledger flags, the encrypted columns and the warehouse mappings consistent.
//
// Always Encrypted (unreadable even to DBAs, backups and the ETL): the payer's name, phone, e-mail and street
// address in Customer, under one column encryption key wrapped by a Key Vault key (the column master key). E-mail is
// deterministic (the payments service looks payers up by it: equality and an index still work, with a BIN2
// collation, so the service stores it lower-cased); everything else is randomized. Card-derived columns stay masked
// but unencrypted: Fingerprint is matched by the database (same card ⇒ same fingerprint) and is already a keyed
// hash; Last4 and expiry are what support staff see, behind DDM. City and IP address stay masked for fraud queries.
import type { Column, OltpModel, OltpTable } from "./types";
import { t } from "./types";

// --- column helpers -----------------------------------------------------------------------------------------------

/** Idempotency keys are the merchant's bytes: a binary collation, so keys differing only in case stay distinct. */
export const IDEMPOTENCY_KEY_COLLATION = "Latin1_General_100_BIN2";

const id = (name: string): Column => ({
  name,
  type: t.bigint(),
  nullable: false,
  identity: { seed: 1, increment: 1 },
});
const ref = (name: string, nullable = false): Column => ({ name, type: t.bigint(), nullable });
const createdAt = (): Column => ({
  name: "CreatedAt",
  type: t.datetime2(3),
  nullable: false,
  default: "SYSUTCDATETIME()",
});
const updatedAt = (): Column => ({
  name: "UpdatedAt",
  type: t.datetime2(3),
  nullable: false,
  default: "SYSUTCDATETIME()",
});
const timestamps = (): Column[] => [createdAt(), updatedAt()];

/** The one column encryption key of the model (wrapped by the Key Vault column master key). */
export const CUSTOMER_CEK = "CEK_Customer";
const COLUMN_MASTER_KEY = "CMK_KeyVault";
/** Always Encrypted personal column: classified, encrypted client-side, therefore not masked (DDM can't apply). */
const encrypted = (
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

const CDC_PLAIN =
  "Ordinary table without encrypted columns: CDC net changes give the changed values (and deletes) directly.";
const CT_LEDGER =
  "Ledger table: Microsoft's ledger limitations page has said CDC isn't supported for ledger tables (a later " +
  "revision allows it on the ledger table, never on its history table); change tracking is allowed in both, and " +
  "the fraud scorer's SQL trigger needs it on Payment anyway. Deletes are read from the ledger history table.";
const currencyCode = (name = "CurrencyCode"): Column => ({
  name,
  type: t.char(3),
  nullable: false,
  check: `[${name}] COLLATE Latin1_General_BIN LIKE '[A-Z][A-Z][A-Z]'`,
});
const countryCode = (name: string, nullable: boolean): Column => ({
  name,
  type: t.char(2),
  nullable,
  check: `[${name}] COLLATE Latin1_General_BIN LIKE '[A-Z][A-Z]'`,
});
/** A strictly positive amount in minor units (cents). */
const positiveAmount = (name = "AmountMinor"): Column => ({
  name,
  type: t.bigint(),
  nullable: false,
  check: `[${name}] > 0`,
});
const status = (values: string[], defaultValue: string, length = 20): Column => ({
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
const vaultToken = (name: string, prefix: string): Column => ({
  name,
  type: t.varchar(64),
  nullable: false,
  check: `[${name}] COLLATE Latin1_General_BIN LIKE '${prefix}[_]%' AND ${noPanDigits(name)}`,
  description: "Opaque reference issued by the tokenisation vault; the sensitive value never enters this database.",
});
const personal = (
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

// --- tables -------------------------------------------------------------------------------------------------------

const currency: OltpTable = {
  schema: "dbo",
  name: "Currency",
  description: "ISO 4217 currencies the platform accepts; MinorUnits is the decimal exponent of *AmountMinor values.",
  columns: [
    currencyCode(),
    { name: "Name", type: t.nvarchar(64), nullable: false },
    { name: "MinorUnits", type: t.tinyint(), nullable: false, check: "[MinorUnits] BETWEEN 0 AND 4" },
    { name: "IsActive", type: t.bit(), nullable: false, default: "1" },
    ...timestamps(),
  ],
  primaryKey: { name: "PK_Currency", columns: ["CurrencyCode"] },
  extraction: { mode: "cdc", rationale: CDC_PLAIN },
};

const merchant: OltpTable = {
  schema: "dbo",
  name: "Merchant",
  description: "A merchant account (a legal entity). Contact person details are personal data.",
  columns: [
    id("MerchantId"),
    {
      name: "MerchantCode",
      type: t.varchar(32),
      nullable: false,
      check: "[MerchantCode] COLLATE Latin1_General_BIN LIKE 'acct[_]%'",
      description: "Public account reference used in the API and dashboards.",
    },
    { name: "LegalName", type: t.nvarchar(200), nullable: false },
    { name: "DisplayName", type: t.nvarchar(100), nullable: true },
    {
      name: "MerchantCategoryCode",
      type: t.char(4),
      nullable: false,
      check: "[MerchantCategoryCode] COLLATE Latin1_General_BIN LIKE '[0-9][0-9][0-9][0-9]'",
      description: "ISO 18245 MCC.",
    },
    countryCode("CountryCode", false),
    currencyCode("SettlementCurrencyCode"),
    personal("ContactEmail", t.nvarchar(254), { fn: "email" }),
    personal("ContactPhone", t.varchar(32), { fn: "partial", prefix: 0, padding: "XXXXXXXX", suffix: 2 }),
    status(["pending", "active", "suspended", "closed"], "pending", 16),
    ...timestamps(),
    {
      name: "RowVer",
      type: t.rowversion(),
      nullable: false,
      description: "Optimistic concurrency for back-office edits.",
    },
  ],
  primaryKey: { name: "PK_Merchant", columns: ["MerchantId"] },
  uniques: [{ name: "UQ_Merchant_MerchantCode", columns: ["MerchantCode"] }],
  foreignKeys: [
    {
      name: "FK_Merchant_Currency",
      columns: ["SettlementCurrencyCode"],
      references: { table: "Currency", columns: ["CurrencyCode"] },
    },
  ],
  extraction: { mode: "cdc", rationale: CDC_PLAIN },
};

const customer: OltpTable = {
  schema: "dbo",
  name: "Customer",
  description:
    "A payer known to the platform. The only home of payer personal data; erasure nulls it and sets ErasedAt.",
  columns: [
    id("CustomerId"),
    encrypted("Email", t.nvarchar(254), "Deterministic", "Stored lower-cased: lookups compare binary values."),
    encrypted("GivenName", t.nvarchar(100), "Randomized"),
    encrypted("FamilyName", t.nvarchar(100), "Randomized"),
    encrypted("Phone", t.varchar(32), "Randomized"),
    encrypted("BillingAddressLine1", t.nvarchar(200), "Randomized"),
    encrypted("BillingAddressLine2", t.nvarchar(200), "Randomized"),
    personal("BillingCity", t.nvarchar(100), { fn: "default" }),
    encrypted("BillingPostalCode", t.nvarchar(16), "Randomized"),
    countryCode("BillingCountryCode", true),
    personal("LastSeenIpAddress", t.varchar(45), { fn: "default" }, "IPv4 or IPv6 text form, for fraud checks."),
    { name: "ErasedAt", type: t.datetime2(3), nullable: true },
    ...timestamps(),
    { name: "RowVer", type: t.rowversion(), nullable: false },
  ],
  primaryKey: { name: "PK_Customer", columns: ["CustomerId"] },
  // Unfiltered: a filtered index cannot filter on an encrypted column.
  indexes: [{ name: "IX_Customer_Email", columns: ["Email"] }],
  erasedAtColumn: "ErasedAt",
  extraction: {
    mode: "changeTracking",
    rationale:
      "Holds Always Encrypted columns, which CDC cannot capture (older revisions of Microsoft's page exclude " +
      "every column of a CDC table): change tracking records only the key, and the ETL reads the unencrypted columns.",
  },
};

const paymentMethod: OltpTable = {
  schema: "dbo",
  name: "PaymentMethod",
  description:
    "A tokenised card. The PAN lives only in the PCI vault; here: vault token, brand, last4, expiry, fingerprint. " +
    "No CVV/track/PIN is ever stored (PCI DSS 3.3.1).",
  columns: [
    id("PaymentMethodId"),
    ref("CustomerId", true),
    vaultToken("VaultToken", "tok"),
    {
      name: "Brand",
      type: t.varchar(16),
      nullable: false,
      allowedValues: ["visa", "mastercard", "amex", "discover", "jcb", "unionpay", "diners", "other"],
    },
    { name: "Funding", type: t.varchar(8), nullable: false, allowedValues: ["credit", "debit", "prepaid", "unknown"] },
    { name: "WalletType", type: t.varchar(16), nullable: true, allowedValues: ["apple_pay", "google_pay"] },
    {
      name: "Last4",
      type: t.char(4),
      nullable: true,
      check: "[Last4] COLLATE Latin1_General_BIN LIKE '[0-9][0-9][0-9][0-9]'",
      classification: { kind: "card", mask: { fn: "partial", prefix: 0, padding: "XXXX", suffix: 0 } },
    },
    {
      name: "ExpMonth",
      type: t.tinyint(),
      nullable: true,
      check: "[ExpMonth] BETWEEN 1 AND 12",
      classification: { kind: "card", mask: { fn: "random", from: 1, to: 12 } },
    },
    {
      name: "ExpYear",
      type: t.smallint(),
      nullable: true,
      check: "[ExpYear] BETWEEN 2000 AND 2099",
      classification: { kind: "card", mask: { fn: "default" } },
    },
    {
      name: "Fingerprint",
      type: t.binary(32),
      nullable: true,
      classification: { kind: "card", mask: { fn: "default" } },
      description: "Keyed hash (HMAC-SHA-256, key held by the vault) of the PAN: same card ⇒ same fingerprint.",
    },
    countryCode("IssuerCountryCode", true),
    ...timestamps(),
  ],
  primaryKey: { name: "PK_PaymentMethod", columns: ["PaymentMethodId"] },
  uniques: [{ name: "UQ_PaymentMethod_VaultToken", columns: ["VaultToken"] }],
  foreignKeys: [
    {
      name: "FK_PaymentMethod_Customer",
      columns: ["CustomerId"],
      references: { table: "Customer", columns: ["CustomerId"] },
    },
  ],
  indexes: [
    { name: "IX_PaymentMethod_CustomerId", columns: ["CustomerId"], where: "[CustomerId] IS NOT NULL" },
    { name: "IX_PaymentMethod_Fingerprint", columns: ["Fingerprint"] },
  ],
  extraction: { mode: "cdc", rationale: CDC_PLAIN },
};

const payment: OltpTable = {
  schema: "dbo",
  name: "Payment",
  description:
    "A payment of a merchant with a payment method. The payer is PaymentMethod.CustomerId (not repeated here: 3NF).",
  columns: [
    id("PaymentId"),
    ref("MerchantId"),
    ref("PaymentMethodId"),
    {
      name: "IdempotencyKey",
      type: t.varchar(64),
      nullable: false,
      // Case-sensitive: the database's collation ignores case, so "Ab1" and "ab1" would be one key to the unique
      // constraint and a merchant's second payment would be answered with the first.
      collation: IDEMPOTENCY_KEY_COLLATION,
      description: "Merchant-supplied key, compared case-sensitively; a retried API call returns the existing payment.",
    },
    positiveAmount(),
    currencyCode(),
    {
      name: "CapturedAmountMinor",
      type: t.bigint(),
      nullable: false,
      default: "0",
      check: "[CapturedAmountMinor] >= 0",
    },
    status(
      paymentStatuses.map((s) => s.code),
      "pending",
    ),
    { name: "FailureCode", type: t.varchar(32), nullable: true },
    { name: "AuthorizedAt", type: t.datetime2(3), nullable: true },
    { name: "CapturedAt", type: t.datetime2(3), nullable: true },
    {
      name: "CreatedByRequest",
      type: t.binary(16),
      nullable: true,
      description:
        "Random token of the API request that inserted the payment: after a write whose answer was lost, that request " +
        "tells its own insert from a merchant's concurrent retry under the same key. Never returned to merchants.",
    },
    ...timestamps(),
  ],
  primaryKey: { name: "PK_Payment", columns: ["PaymentId"] },
  uniques: [{ name: "UQ_Payment_MerchantId_IdempotencyKey", columns: ["MerchantId", "IdempotencyKey"] }],
  foreignKeys: [
    {
      name: "FK_Payment_Merchant",
      columns: ["MerchantId"],
      references: { table: "Merchant", columns: ["MerchantId"] },
    },
    {
      name: "FK_Payment_PaymentMethod",
      columns: ["PaymentMethodId"],
      references: { table: "PaymentMethod", columns: ["PaymentMethodId"] },
    },
    {
      name: "FK_Payment_Currency",
      columns: ["CurrencyCode"],
      references: { table: "Currency", columns: ["CurrencyCode"] },
    },
  ],
  indexes: [
    {
      name: "IX_Payment_MerchantId_CreatedAt",
      columns: ["MerchantId", "CreatedAt"],
      include: ["Status", "AmountMinor"],
    },
    { name: "IX_Payment_PaymentMethodId", columns: ["PaymentMethodId"] },
  ],
  checks: [
    { name: "CK_Payment_CapturedWithinAmount", expression: "[CapturedAmountMinor] <= [AmountMinor]" },
    { name: "CK_Payment_CapturedAt", expression: "[Status] <> 'captured' OR [CapturedAt] IS NOT NULL" },
  ],
  extraction: { mode: "changeTracking", rationale: CT_LEDGER },
  ledger: "updatable",
};

const refund: OltpTable = {
  schema: "dbo",
  name: "Refund",
  description:
    "Money returned on a payment, in the payment's currency (so no currency column: 3NF). The sum of refunds " +
    "never exceeding the captured amount is a cross-row rule enforced by the payments service.",
  columns: [
    id("RefundId"),
    ref("PaymentId"),
    { name: "IdempotencyKey", type: t.varchar(64), nullable: false, collation: IDEMPOTENCY_KEY_COLLATION },
    positiveAmount(),
    {
      name: "Reason",
      type: t.varchar(32),
      nullable: false,
      allowedValues: ["requested_by_customer", "duplicate", "fraudulent", "other"],
    },
    status(["pending", "succeeded", "failed", "canceled"], "pending"),
    ...timestamps(),
  ],
  primaryKey: { name: "PK_Refund", columns: ["RefundId"] },
  uniques: [{ name: "UQ_Refund_PaymentId_IdempotencyKey", columns: ["PaymentId", "IdempotencyKey"] }],
  foreignKeys: [
    { name: "FK_Refund_Payment", columns: ["PaymentId"], references: { table: "Payment", columns: ["PaymentId"] } },
  ],
  extraction: { mode: "changeTracking", rationale: CT_LEDGER },
  ledger: "updatable",
};

const dispute: OltpTable = {
  schema: "dbo",
  name: "Dispute",
  description: "A chargeback on a payment. Evidence documents are stored in blob storage, not here.",
  columns: [
    id("DisputeId"),
    ref("PaymentId"),
    positiveAmount(),
    { name: "NetworkReasonCode", type: t.varchar(8), nullable: false, description: "Card-scheme reason code." },
    {
      name: "Category",
      type: t.varchar(32),
      nullable: false,
      allowedValues: ["fraudulent", "product_not_received", "duplicate", "credit_not_processed", "general"],
    },
    status(["needs_response", "under_review", "won", "lost", "accepted"], "needs_response"),
    { name: "EvidenceDueBy", type: t.datetime2(3), nullable: true },
    ...timestamps(),
  ],
  primaryKey: { name: "PK_Dispute", columns: ["DisputeId"] },
  foreignKeys: [
    { name: "FK_Dispute_Payment", columns: ["PaymentId"], references: { table: "Payment", columns: ["PaymentId"] } },
  ],
  indexes: [{ name: "IX_Dispute_PaymentId", columns: ["PaymentId"] }],
  extraction: { mode: "changeTracking", rationale: CT_LEDGER },
  ledger: "updatable",
};

const payout: OltpTable = {
  schema: "dbo",
  name: "Payout",
  description: "A transfer from a merchant's balance to its bank account (the account itself is held by the vault).",
  columns: [
    id("PayoutId"),
    ref("MerchantId"),
    positiveAmount(),
    currencyCode(),
    vaultToken("BankAccountToken", "ba"),
    status(["pending", "in_transit", "paid", "failed", "canceled"], "pending"),
    { name: "ArrivalDate", type: t.date(), nullable: true },
    ...timestamps(),
  ],
  primaryKey: { name: "PK_Payout", columns: ["PayoutId"] },
  foreignKeys: [
    { name: "FK_Payout_Merchant", columns: ["MerchantId"], references: { table: "Merchant", columns: ["MerchantId"] } },
    {
      name: "FK_Payout_Currency",
      columns: ["CurrencyCode"],
      references: { table: "Currency", columns: ["CurrencyCode"] },
    },
  ],
  indexes: [{ name: "IX_Payout_MerchantId_CreatedAt", columns: ["MerchantId", "CreatedAt"] }],
  extraction: {
    mode: "none",
    rationale: "Not in the star schema yet. When it is: changeTracking (ledger table).",
  },
  ledger: "updatable",
};

const balanceTransaction: OltpTable = {
  schema: "dbo",
  name: "BalanceTransaction",
  description:
    "A posting to a merchant's balance, in the settlement currency after FX (hence its own CurrencyCode). " +
    "Immutable: a correction is a new 'adjustment' posting. The account (MerchantId) is an attribute of the " +
    "posting itself, not derived from the source document, which is why it is stored even when PaymentId is set.",
  columns: [
    id("BalanceTransactionId"),
    ref("MerchantId"),
    {
      name: "Type",
      type: t.varchar(20),
      nullable: false,
      allowedValues: ["charge", "refund", "fee", "dispute", "dispute_reversal", "payout", "adjustment"],
    },
    { name: "AmountMinor", type: t.bigint(), nullable: false, check: "[AmountMinor] <> 0", description: "Signed." },
    currencyCode(),
    ref("PaymentId", true),
    ref("RefundId", true),
    ref("DisputeId", true),
    ref("PayoutId", true),
    { name: "AvailableAt", type: t.datetime2(3), nullable: false },
    createdAt(),
  ],
  primaryKey: { name: "PK_BalanceTransaction", columns: ["BalanceTransactionId"] },
  foreignKeys: [
    {
      name: "FK_BalanceTransaction_Merchant",
      columns: ["MerchantId"],
      references: { table: "Merchant", columns: ["MerchantId"] },
    },
    {
      name: "FK_BalanceTransaction_Currency",
      columns: ["CurrencyCode"],
      references: { table: "Currency", columns: ["CurrencyCode"] },
    },
    {
      name: "FK_BalanceTransaction_Payment",
      columns: ["PaymentId"],
      references: { table: "Payment", columns: ["PaymentId"] },
    },
    {
      name: "FK_BalanceTransaction_Refund",
      columns: ["RefundId"],
      references: { table: "Refund", columns: ["RefundId"] },
    },
    {
      name: "FK_BalanceTransaction_Dispute",
      columns: ["DisputeId"],
      references: { table: "Dispute", columns: ["DisputeId"] },
    },
    {
      name: "FK_BalanceTransaction_Payout",
      columns: ["PayoutId"],
      references: { table: "Payout", columns: ["PayoutId"] },
    },
  ],
  indexes: [{ name: "IX_BalanceTransaction_MerchantId_CreatedAt", columns: ["MerchantId", "CreatedAt"] }],
  checks: [
    {
      name: "CK_BalanceTransaction_SingleSource",
      expression:
        "(CASE WHEN [PaymentId] IS NULL THEN 0 ELSE 1 END + CASE WHEN [RefundId] IS NULL THEN 0 ELSE 1 END" +
        " + CASE WHEN [DisputeId] IS NULL THEN 0 ELSE 1 END + CASE WHEN [PayoutId] IS NULL THEN 0 ELSE 1 END) <= 1",
    },
    { name: "CK_BalanceTransaction_PayoutSource", expression: "[Type] <> 'payout' OR [PayoutId] IS NOT NULL" },
  ],
  extraction: {
    mode: "none",
    rationale: "Not in the star schema yet. When it is: changeTracking (append-only ledger table).",
  },
  ledger: "append-only",
};

export const oltpModel: OltpModel = {
  tables: [currency, merchant, customer, paymentMethod, payment, refund, dispute, payout, balanceTransaction],
  // GDPR erasure (docs/etl.md, section 4): each subject gets `etl.usp_Erase<name>` and a Data Factory pipeline.
  erasureSubjects: [
    {
      name: "Customer",
      table: "Customer",
      erasesReferencingRows: true,
      description:
        "A payer: the customer row's personal columns and its payment methods' card columns; ErasedAt is set. The " +
        "gdpr_erasure pipeline also erases the warehouse, Cosmos DB and the lake.",
    },
    {
      name: "PaymentMethod",
      table: "PaymentMethod",
      erasesReferencingRows: false,
      // The Customer subject reaches the table through CustomerId: a card held by a customer is that customer's, and
      // only the customer's erasure clears it (this one refuses a card whose CustomerId is set).
      sharesRowsWith: ["Customer"],
      onlyWhereNull: ["CustomerId"],
      description:
        "A card's holder when no customer holds it (a guest payment, CustomerId NULL), whom the Customer erasure " +
        "cannot find: the card columns of that one payment method (the vault token, the PSP's, stays). A card with a " +
        "CustomerId is refused (erase the customer). Its fraud_features item is replaced by an expiring stub; the " +
        "warehouse and the lake never receive card columns.",
    },
    {
      name: "MerchantContact",
      table: "Merchant",
      erasesReferencingRows: false,
      description:
        "The contact person of a merchant account: the merchant's contact columns only (the legal entity, its " +
        "payments and payouts stay). The warehouse, the lake and Cosmos DB never receive them.",
    },
  ],
  alwaysEncrypted: {
    columnMasterKey: { name: COLUMN_MASTER_KEY, keyPathVariable: "ColumnMasterKeyPath" },
    columnEncryptionKeys: [
      {
        name: CUSTOMER_CEK,
        columnMasterKey: COLUMN_MASTER_KEY,
        description: "Payer identity and contact data in dbo.Customer.",
      },
    ],
  },
  changeTrackingRetentionDays: 7,
};

/** Seed rows of dbo.Currency (ISO 4217 exponent), inserted idempotently by 03_oltp_reference_data.sql. */
export const currencies: { code: string; name: string; minorUnits: number }[] = [
  { code: "EUR", name: "Euro", minorUnits: 2 },
  { code: "GBP", name: "Pound Sterling", minorUnits: 2 },
  { code: "USD", name: "US Dollar", minorUnits: 2 },
  { code: "CHF", name: "Swiss Franc", minorUnits: 2 },
  { code: "SEK", name: "Swedish Krona", minorUnits: 2 },
  { code: "NOK", name: "Norwegian Krone", minorUnits: 2 },
  { code: "DKK", name: "Danish Krone", minorUnits: 2 },
  { code: "PLN", name: "Zloty", minorUnits: 2 },
  { code: "CZK", name: "Czech Koruna", minorUnits: 2 },
  { code: "HUF", name: "Forint", minorUnits: 2 },
  { code: "RON", name: "Romanian Leu", minorUnits: 2 },
  { code: "JPY", name: "Yen", minorUnits: 0 },
];
