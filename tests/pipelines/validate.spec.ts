import { strict as assert } from "node:assert";
import { dataModel } from "../../pipelines/model";
import type { Classification, DataModel, MaskingFunction } from "../../pipelines/model/types";
import { t } from "../../pipelines/model/types";
import { validateModel } from "../../pipelines/model/validate";
import { cloneModel, mappingOf, olapTable, oltpColumn, oltpTable } from "./helpers";

/** Mutate a copy of the real model and assert the validator reports a problem matching `expected`. */
function rejects(mutate: (m: DataModel) => void, expected: RegExp): void {
  const model = cloneModel();
  mutate(model);
  const problems = validateModel(model);
  assert.ok(
    problems.some((p) => expected.test(p)),
    `expected a problem matching ${expected}, got:\n${problems.map((p) => `  - ${p}`).join("\n") || "  (none)"}`,
  );
}

describe("pipelines/model/validate", () => {
  it("accepts the real model, and a clone of it", () => {
    assert.deepEqual(validateModel(dataModel), []);
    assert.deepEqual(validateModel(cloneModel()), []);
  });

  describe("OLTP keys", () => {
    it("rejects a foreign key to a missing table", () => {
      rejects((m) => {
        const fk = oltpTable(m, "Payment").foreignKeys?.find((f) => f.name === "FK_Payment_Merchant");
        if (fk) fk.references.table = "Merchants";
      }, /dbo\.Payment: foreign key FK_Payment_Merchant references missing table Merchants/);
    });
    it("rejects a foreign key whose column type differs from the referenced key", () => {
      rejects((m) => {
        oltpColumn(m, "Payment", "MerchantId").type = t.int();
      }, /FK_Payment_Merchant: Payment\.MerchantId is INT but Merchant\.MerchantId is BIGINT/);
    });
    it("rejects a foreign key to a column that is neither primary nor unique key", () => {
      rejects((m) => {
        const fk = oltpTable(m, "Payment").foreignKeys?.find((f) => f.name === "FK_Payment_Merchant");
        if (fk) fk.references.columns = ["LegalName"];
      }, /FK_Payment_Merchant references Merchant\(LegalName\), which is not its primary key or a unique key/);
    });
    it("rejects a table without a primary key", () => {
      rejects((m) => {
        oltpTable(m, "Refund").primaryKey.columns = [];
      }, /oltp dbo\.Refund: has no primary key/);
    });
    it("rejects a nullable primary key column", () => {
      rejects((m) => {
        oltpColumn(m, "Currency", "CurrencyCode").nullable = true;
      }, /primary key column CurrencyCode is nullable/);
    });
    it("rejects a CHECK or index that names a missing column", () => {
      rejects((m) => {
        const chk = oltpTable(m, "Payment").checks?.[0];
        if (chk) chk.expression = "[CapturedAmount] <= [AmountMinor]";
      }, /CHECK CK_Payment_CapturedWithinAmount references missing column \[CapturedAmount\]/);
      rejects((m) => {
        oltpTable(m, "Payment").indexes?.[0].columns.push("MerchantRef");
      }, /index IX_Payment_MerchantId_CreatedAt references missing column MerchantRef/);
    });
    it("rejects duplicate constraint names across tables (they are schema-wide in SQL Server)", () => {
      rejects((m) => {
        oltpTable(m, "Refund").primaryKey.name = "PK_Payment";
      }, /constraint name PK_Payment already used by dbo\.Payment/);
    });
  });

  describe("OLTP conventions", () => {
    it("rejects amounts that are not BIGINT minor units", () => {
      rejects((m) => {
        oltpColumn(m, "Payment", "AmountMinor").type = t.int();
      }, /dbo\.Payment\.AmountMinor: minor-unit amounts must be BIGINT, not INT/);
    });
    it("rejects a currency code without a foreign key to dbo.Currency", () => {
      rejects((m) => {
        const payout = oltpTable(m, "Payout");
        payout.foreignKeys = payout.foreignKeys?.filter((f) => f.name !== "FK_Payout_Currency");
      }, /dbo\.Payout\.CurrencyCode: currency code has no foreign key to dbo\.Currency/);
    });
    it("rejects a status column without a CHECK-enforced enum, or a default outside it", () => {
      rejects((m) => {
        delete oltpColumn(m, "Refund", "Status").allowedValues;
      }, /dbo\.Refund\.Status: status column needs allowedValues/);
      rejects((m) => {
        oltpColumn(m, "Refund", "Status").default = "'new'";
      }, /dbo\.Refund\.Status: default 'new' is not an allowed value/);
    });
    it("requires CreatedAt/UpdatedAt, and no UpdatedAt on append-only ledger tables", () => {
      rejects((m) => {
        const merchant = oltpTable(m, "Merchant");
        merchant.columns = merchant.columns.filter((c) => c.name !== "UpdatedAt");
      }, /oltp dbo\.Merchant: missing UpdatedAt/);
      rejects((m) => {
        oltpTable(m, "BalanceTransaction").columns.push({
          name: "UpdatedAt",
          type: t.datetime2(3),
          nullable: false,
          default: "SYSUTCDATETIME()",
        });
      }, /dbo\.BalanceTransaction: append-only ledger rows are never updated/);
      rejects((m) => {
        oltpColumn(m, "Payment", "CreatedAt").type = t.datetime2(7);
      }, /dbo\.Payment\.CreatedAt: timestamps must be DATETIME2\(3\)/);
    });
  });

  describe("card data (PCI DSS)", () => {
    it("rejects columns named like a PAN, CVV or track data, whatever their classification", () => {
      rejects((m) => {
        oltpTable(m, "PaymentMethod").columns.push({ name: "CardNumber", type: t.varchar(19), nullable: true });
      }, /PaymentMethod\.CardNumber: column name suggests a full card number/);
      rejects((m) => {
        oltpTable(m, "PaymentMethod").columns.push({ name: "Cvv", type: t.char(3), nullable: true });
      }, /PaymentMethod\.Cvv: column name suggests .* \("cvv"\)/);
      rejects((m) => {
        oltpTable(m, "Payment").columns.push({ name: "Pan", type: t.varchar(19), nullable: true });
      }, /Payment\.Pan: column name suggests/);
    });
    it("rejects a card-classified column wide enough to hold a PAN", () => {
      rejects((m) => {
        oltpTable(m, "PaymentMethod").columns.push({
          name: "MaskedNumber",
          type: t.varchar(19),
          nullable: true,
          classification: { kind: "card", mask: { fn: "default" } },
        });
      }, /PaymentMethod\.MaskedNumber: card-classified column of type VARCHAR\(19\) could hold a full card number/);
    });
    it("requires last4 to be CHAR(4) with a digits-only CHECK", () => {
      rejects((m) => {
        oltpColumn(m, "PaymentMethod", "Last4").type = t.char(16);
      }, /PaymentMethod\.Last4: last4 must be CHAR\(4\), not CHAR\(16\)/);
      rejects((m) => {
        delete oltpColumn(m, "PaymentMethod", "Last4").check;
      }, /PaymentMethod\.Last4: last4 needs a digits-only CHECK/);
    });
    it("requires token columns to reject PAN-like digit runs", () => {
      rejects((m) => {
        oltpColumn(m, "PaymentMethod", "VaultToken").check = "[VaultToken] LIKE 'tok[_]%'";
      }, /PaymentMethod\.VaultToken: token column needs a CHECK rejecting PAN-like digit runs/);
    });
  });

  describe("classification and masking (GDPR, PCI DSS)", () => {
    it("rejects a classified column without a mask", () => {
      rejects((m) => {
        const c = oltpColumn(m, "Customer", "Email").classification as { mask?: MaskingFunction };
        delete c.mask;
      }, /dbo\.Customer\.Email: personal column has no Dynamic Data Masking function/);
    });
    it("rejects masks that do not fit the column", () => {
      rejects((m) => {
        oltpColumn(m, "Customer", "GivenName").classification = {
          kind: "personal",
          mask: { fn: "random", from: 1, to: 9 },
        };
      }, /Customer\.GivenName: random\(\) mask needs a numeric column, not NVARCHAR\(100\)/);
      rejects((m) => {
        oltpColumn(m, "PaymentMethod", "ExpYear").classification = { kind: "card", mask: { fn: "email" } };
      }, /PaymentMethod\.ExpYear: email\(\) mask needs a character column/);
      rejects((m) => {
        oltpColumn(m, "PaymentMethod", "Last4").classification = {
          kind: "card",
          mask: { fn: "partial", prefix: 2, padding: "XX", suffix: 2 },
        };
      }, /PaymentMethod\.Last4: partial\(2,…,2\) exposes the whole CHAR\(4\) value/);
    });
    it("requires personal data to be nullable (erasable)", () => {
      rejects((m) => {
        oltpColumn(m, "Customer", "Email").nullable = false;
      }, /Customer\.Email: personal data must be nullable/);
    });
    it("rejects personal data in a ledger table", () => {
      const ip: Classification = { kind: "personal", mask: { fn: "default" } };
      rejects((m) => {
        oltpTable(m, "Payment").columns.push({
          name: "ClientIpAddress",
          type: t.varchar(45),
          nullable: true,
          classification: ip,
        });
      }, /Payment\.ClientIpAddress: personal data in a ledger table \(updatable\) can never be erased/);
    });
  });

  describe("CDC flags", () => {
    it("rejects a table the ETL reads without CDC (dbo.Payment)", () => {
      rejects((m) => {
        oltpTable(m, "Payment").cdc = false;
      }, /oltp dbo\.Payment: read by the nightly ETL but cdc is false/);
    });
    it("rejects CDC on a table no mapping reads", () => {
      rejects((m) => {
        oltpTable(m, "Payout").cdc = true;
      }, /oltp dbo\.Payout: cdc is true but no warehouse mapping reads it/);
    });
  });

  describe("OLAP star schema", () => {
    it("enforces the distribution/index rules per role", () => {
      rejects((m) => {
        olapTable(m, "Fact_Payment").distribution = { kind: "REPLICATE" };
      }, /olap dbo\.Fact_Payment: fact tables must be HASH-distributed/);
      rejects((m) => {
        olapTable(m, "Fact_Payment").distribution = { kind: "HASH", column: "AuthorizedAt" };
      }, /Fact_Payment: distribution column AuthorizedAt is nullable/);
      rejects((m) => {
        olapTable(m, "Fact_Payment").index = { kind: "HEAP" };
      }, /Fact_Payment: fact tables must use a CLUSTERED COLUMNSTORE INDEX/);
      rejects((m) => {
        olapTable(m, "Dim_Currency").distribution = { kind: "ROUND_ROBIN" };
      }, /Dim_Currency: dimensions must be REPLICATE/);
      rejects((m) => {
        const stg = m.olap.tables.find((x) => x.role === "staging");
        if (stg) stg.index = { kind: "CLUSTERED COLUMNSTORE INDEX" };
      }, /staging tables must be ROUND_ROBIN heaps/);
    });
    it("rejects types and constraints Synapse dedicated SQL pool does not support", () => {
      rejects((m) => {
        olapTable(m, "Dim_Merchant").columns.push({ name: "RowVer", type: t.rowversion(), nullable: false });
      }, /Dim_Merchant\.RowVer: ROWVERSION is not supported by Synapse/);
      rejects((m) => {
        olapTable(m, "Dim_Merchant").columns[7].allowedValues = ["active"];
      }, /Dim_Merchant\.Status: Synapse dedicated SQL pool does not support CHECK constraints/);
      rejects((m) => {
        olapTable(m, "Fact_Payment").columns[0].default = "NEXT VALUE FOR seq";
      }, /Synapse defaults must be literals/);
    });
    it("rejects a fact key that points at something other than a dimension's key", () => {
      rejects((m) => {
        const r = olapTable(m, "Fact_Payment").references?.find((x) => x.column === "MerchantKey");
        if (r) r.dimension = "Fact_API_Performance";
      }, /Fact_Payment\.MerchantKey: references Fact_API_Performance, which is not a dimension/);
      rejects((m) => {
        const c = olapTable(m, "Fact_Payment").columns.find((x) => x.name === "CurrencyCode");
        if (c) c.type = t.char(4);
      }, /Fact_Payment\.CurrencyCode: is CHAR\(4\) but Dim_Currency\.CurrencyCode is CHAR\(3\)/);
    });
    it("rejects a dimension no fact uses", () => {
      rejects((m) => {
        const f = olapTable(m, "Fact_Payment");
        f.references = f.references?.filter((r) => r.dimension !== "Dim_PaymentStatus");
      }, /Dim_PaymentStatus: dimension is not referenced by any fact/);
    });
    it("rejects an unknown member that leaves a NOT NULL column empty", () => {
      rejects((m) => {
        const u = olapTable(m, "Dim_Merchant").unknownMember;
        if (u) delete u.LegalName;
      }, /Dim_Merchant: unknown member has no value for NOT NULL column LegalName/);
    });
  });

  describe("ETL mappings", () => {
    it("rejects a mapping from an OLTP column that does not exist", () => {
      rejects((m) => {
        const c = mappingOf(m, "Fact_Payment", "oltp").columns.find((x) => x.target === "AmountMinor");
        if (c) c.source.column = "Amount";
      }, /mapping Fact_Payment\.AmountMinor: source column dbo\.Payment\.Amount does not exist/);
    });
    it("rejects copying personal data into the warehouse", () => {
      rejects((m) => {
        const c = mappingOf(m, "Dim_Customer", "oltp").columns.find((x) => x.target === "BillingCountryCode");
        if (c) c.source.column = "Email";
      }, /mapping Dim_Customer\.BillingCountryCode: reads personal column dbo\.Customer\.Email/);
    });
    it("rejects a join that no foreign key backs, and a copy that breaks the grain", () => {
      rejects((m) => {
        mappingOf(m, "Fact_Payment", "oltp").joins[0].to = { table: "PaymentMethod", column: "CustomerId" };
      }, /join Payment\.PaymentMethodId = PaymentMethod\.CustomerId: no foreign key backs this join/);
      rejects((m) => {
        const c = mappingOf(m, "Fact_Payment", "oltp").columns.find((x) => x.target === "RefundedAmountMinor");
        if (c) c.transform = { kind: "copy" };
      }, /Fact_Payment\.RefundedAmountMinor: non-aggregated columns must come from a table joined many-to-one/);
    });
    it("rejects a copy between different types", () => {
      rejects((m) => {
        const c = mappingOf(m, "Dim_Merchant", "oltp").columns.find((x) => x.target === "MerchantCode");
        if (c) c.source.column = "LegalName";
      }, /Dim_Merchant\.MerchantCode: copies NVARCHAR\(200\) into VARCHAR\(32\)/);
    });
    it("rejects a fact or dimension column nobody loads, and a table without a mapping", () => {
      rejects((m) => {
        olapTable(m, "Dim_Currency").columns.push({ name: "Symbol", type: t.nvarchar(4), nullable: true });
      }, /mapping Dim_Currency\.Symbol: target column is not loaded by the mapping/);
      rejects((m) => {
        m.olap.mappings = m.olap.mappings.filter((x) => x.target !== "Dim_Currency");
      }, /mapping Dim_Currency: dimension has no source mapping/);
    });
    it("keeps enum dimensions in step with the OLTP CHECK values", () => {
      rejects((m) => {
        oltpColumn(m, "Payment", "Status").allowedValues?.push("expired");
      }, /mapping Dim_PaymentStatus: no row for allowed value\(s\) expired of dbo\.Payment\.Status/);
    });
    it("rejects a filter on a value the source column cannot hold", () => {
      rejects((m) => {
        const s = oltpColumn(m, "Refund", "Status");
        s.allowedValues = ["pending", "completed", "failed", "canceled"];
      }, /Fact_Payment\.RefundedAmountMinor: filter value 'succeeded' is not an allowed value of dbo\.Refund\.Status/);
    });
    it("rejects a fact key loaded from a column that is not the dimension's key", () => {
      rejects((m) => {
        const c = mappingOf(m, "Fact_Payment", "oltp").columns.find((x) => x.target === "MerchantKey");
        if (c) c.source.column = "PaymentMethodId";
      }, /Fact_Payment\.MerchantKey: loaded from dbo\.Payment\.PaymentMethodId, which is not dbo\.Merchant\.MerchantId/);
      rejects((m) => {
        const c = mappingOf(m, "Fact_Payment", "oltp").columns.find((x) => x.target === "CustomerKey");
        if (c) c.transform = { kind: "unknownMember", value: -1 };
      }, /Fact_Payment\.CustomerKey: maps NULL to -1, but Dim_Customer has no unknown member with that key/);
      rejects((m) => {
        const c = mappingOf(m, "Fact_Payment", "oltp").columns.find((x) => x.target === "CustomerKey");
        if (c) c.transform = { kind: "copy" };
      }, /Fact_Payment\.CustomerKey: (copies a nullable column|source can be NULL)/);
    });
  });
});
