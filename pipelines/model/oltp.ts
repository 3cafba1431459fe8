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
//
// By concern: the column helpers and the payment-status enum (oltpColumns.ts), the tables (oltpTables.ts); assembled
// here with the erasure subjects and the currencies.
import type { OltpModel } from "./types";
import {
  currency,
  merchant,
  customer,
  paymentMethod,
  payment,
  refund,
  dispute,
  payout,
  balanceTransaction,
} from "./oltpTables";

import { COLUMN_MASTER_KEY, CUSTOMER_CEK } from "./oltpColumns";

export {
  CUSTOMER_CEK,
  IDEMPOTENCY_KEY_COLLATION,
  noPanDigits,
  paymentStatuses,
  type PaymentStatusInfo,
} from "./oltpColumns";

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
