// The OLTP tables, one constant each, with their columns, keys, checks, indexes and extraction mode (pipelines/model/oltp.ts
// assembles the model).
import type { OltpTable } from "./types";
import { t } from "./types";
import {
  CDC_PLAIN,
  countryCode,
  createdAt,
  CT_LEDGER,
  currencyCode,
  encrypted,
  id,
  IDEMPOTENCY_KEY_COLLATION,
  personal,
  positiveAmount,
  ref,
  status,
  timestamps,
  vaultToken,
  paymentStatuses,
} from "./oltpColumns";

// --- tables -------------------------------------------------------------------------------------------------------

export const currency: OltpTable = {
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

export const merchant: OltpTable = {
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

export const customer: OltpTable = {
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

export const paymentMethod: OltpTable = {
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

export const payment: OltpTable = {
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

export const refund: OltpTable = {
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

export const dispute: OltpTable = {
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

export const payout: OltpTable = {
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

export const balanceTransaction: OltpTable = {
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
