import { strict as assert } from "node:assert";
import { dataModel } from "../../pipelines/model";
import type { Classification, DataModel, MaskingFunction } from "../../pipelines/model/types";
import { t } from "../../pipelines/model/types";
import { erasingSubjects, validateModel } from "../../pipelines/model/validate";
import { cloneModel, mappingOf, olapColumn, olapTable, oltpColumn, oltpTable } from "./helpers";

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
    it("asks it of character columns only (a BIT flag named …Token holds no card number)", () => {
      const model = cloneModel();
      oltpTable(model, "PaymentMethod").columns.push({ name: "IsNetworkToken", type: t.bit(), nullable: true });
      assert.doesNotMatch(validateModel(model).join("\n"), /IsNetworkToken/);
      oltpTable(model, "PaymentMethod").columns.push({ name: "NetworkToken", type: t.varchar(64), nullable: true });
      assert.match(
        validateModel(model).join("\n"),
        /PaymentMethod\.NetworkToken: token column needs a CHECK rejecting PAN-like/,
      );
    });
  });

  describe("classification and masking (GDPR, PCI DSS)", () => {
    it("rejects a classified column without a mask", () => {
      rejects((m) => {
        const c = oltpColumn(m, "Customer", "BillingCity").classification as { mask?: MaskingFunction };
        delete c.mask;
      }, /dbo\.Customer\.BillingCity: personal column has no Dynamic Data Masking function/);
    });
    it("rejects masks that do not fit the column", () => {
      rejects((m) => {
        oltpColumn(m, "Customer", "BillingCity").classification = {
          kind: "personal",
          mask: { fn: "random", from: 1, to: 9 },
        };
      }, /Customer\.BillingCity: random\(\) mask needs a numeric column, not NVARCHAR\(100\)/);
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

    it("requires every classified column to be erasable: personal and card data alike are nullable", () => {
      rejects((m) => {
        oltpColumn(m, "PaymentMethod", "Fingerprint").nullable = false;
      }, /PaymentMethod\.Fingerprint: card data must be nullable so it can be erased \(GDPR Art\. 17\)/);
      rejects((m) => {
        oltpColumn(m, "Customer", "BillingCity").nullable = false;
      }, /Customer\.BillingCity: personal data must be nullable so it can be erased/);
    });
  });

  describe("GDPR erasure reach and personal-data names", () => {
    const personal: Classification = { kind: "personal", mask: { fn: "default" } };
    /** The problems of a mutated copy of the model that mention `word`. */
    const problemsAbout = (mutate: (m: DataModel) => void, word: string): string[] => {
      const model = cloneModel();
      mutate(model);
      return validateModel(model).filter((p) => p.includes(word));
    };
    /** The reviewer's second experiment: personal data two foreign keys away from Customer (via Payment). */
    const shippingAddress = (m: DataModel, fk: { column: string; table: string }) => {
      m.oltp.tables.push({
        schema: "dbo",
        name: "ShippingAddress",
        description: "Where the goods of a payment are shipped.",
        columns: [
          { name: "ShippingAddressId", type: t.bigint(), nullable: false, identity: { seed: 1, increment: 1 } },
          { name: fk.column, type: t.bigint(), nullable: false },
          { name: "RecipientName", type: t.nvarchar(200), nullable: true, classification: personal },
          { name: "AddressLine1", type: t.nvarchar(200), nullable: true, classification: personal },
          { name: "CreatedAt", type: t.datetime2(3), nullable: false, default: "SYSUTCDATETIME()" },
          { name: "UpdatedAt", type: t.datetime2(3), nullable: false, default: "SYSUTCDATETIME()" },
        ],
        primaryKey: { name: "PK_ShippingAddress", columns: ["ShippingAddressId"] },
        foreignKeys: [
          {
            name: `FK_ShippingAddress_${fk.table}`,
            columns: [fk.column],
            references: { table: fk.table, columns: [fk.column] },
          },
        ],
        extraction: { mode: "none", rationale: "Not in the star schema." },
      });
    };

    it("refuses classified columns no erasure procedure reaches (the merchant's contact before it had a subject)", () => {
      for (const column of ["ContactEmail", "ContactPhone"])
        rejects(
          (m) => {
            m.oltp.erasureSubjects = m.oltp.erasureSubjects.filter((x) => x.table !== "Merchant");
          },
          new RegExp(
            `dbo\\.Merchant\\.${column}: personal data that no GDPR erasure reaches .* declare a subject for Merchant`,
          ),
        );
    });
    it("refuses personal data two foreign keys away from the customer, and accepts it one foreign key away", () => {
      rejects(
        (m) => shippingAddress(m, { column: "PaymentId", table: "Payment" }),
        /dbo\.ShippingAddress\.RecipientName: personal data that no GDPR erasure reaches — .*give ShippingAddress a foreign key to the subject's table/,
      );
      assert.deepEqual(
        problemsAbout((m) => shippingAddress(m, { column: "CustomerId", table: "Customer" }), "ShippingAddress"),
        [],
      );
    });
    it("refuses card data on rows a nullable foreign key leaves unreachable (a guest's card), unless the table has a subject", () => {
      // Without the PaymentMethod subject, a payment method with no customer could never be erased.
      for (const column of ["Last4", "ExpMonth", "ExpYear", "Fingerprint"])
        rejects(
          (m) => {
            m.oltp.erasureSubjects = m.oltp.erasureSubjects.filter((x) => x.table !== "PaymentMethod");
          },
          new RegExp(
            `dbo\\.PaymentMethod\\.${column}: card data on rows whose CustomerId is NULL, which no GDPR erasure reaches .*make it NOT NULL, or declare a subject for PaymentMethod`,
          ),
        );
      // Every card held by a customer (the key NOT NULL): the customer's erasure reaches them all.
      assert.deepEqual(
        problemsAbout((m) => {
          m.oltp.erasureSubjects = m.oltp.erasureSubjects.filter((x) => x.table !== "PaymentMethod");
          const key = oltpTable(m, "PaymentMethod").columns.find((c) => c.name === "CustomerId");
          if (key) key.nullable = false;
        }, "PaymentMethod"),
        [],
      );
      // The committed model: the table's own subject erases a guest's card; the customer's, a customer's cards.
      assert.deepEqual(
        erasingSubjects(dataModel.oltp, oltpTable(dataModel, "PaymentMethod")).map((s) => s.name),
        ["Customer", "PaymentMethod"],
      );
    });
    it("refuses a subject sharing rows through a key it does not require NULL, and a misconfigured onlyWhereNull", () => {
      const card = (m: DataModel) => {
        const s = m.oltp.erasureSubjects.find((x) => x.name === "PaymentMethod");
        assert.ok(s, "the PaymentMethod subject");
        return s;
      };
      // Without the guard, a wrong id clears a registered customer's card through the guest-card erasure.
      rejects((m) => {
        delete card(m).onlyWhereNull;
      }, /erasureSubjects PaymentMethod: Customer erases dbo\.PaymentMethod rows through CustomerId, which onlyWhereNull does not name: a wrong id would erase Customer's data through this subject.*add onlyWhereNull: \["CustomerId"\]/);
      rejects((m) => {
        card(m).onlyWhereNull = ["CustomerRef"];
      }, /erasureSubjects PaymentMethod: onlyWhereNull names CustomerRef, which is no column of dbo\.PaymentMethod/);
      // A column no shared subject erases through: a row with it set would be refused and erased by no one.
      rejects((m) => {
        card(m).onlyWhereNull = ["CustomerId", "WalletType"];
      }, /erasureSubjects PaymentMethod: onlyWhereNull names WalletType, through which no subject of its sharesRowsWith \(Customer\) erases dbo\.PaymentMethod: a row with WalletType set would be refused here and erased by no one/);
      rejects((m) => {
        card(m).sharesRowsWith = [];
      }, /onlyWhereNull names CustomerId, through which no subject of its sharesRowsWith \(none\) erases dbo\.PaymentMethod/);
      rejects((m) => {
        oltpColumn(m, "PaymentMethod", "CustomerId").nullable = false;
      }, /erasureSubjects PaymentMethod: onlyWhereNull names CustomerId, which is NOT NULL: the erasure would refuse every dbo\.PaymentMethod row/);
      // The committed model: exactly the customer's key.
      assert.deepEqual(dataModel.oltp.erasureSubjects.find((x) => x.name === "PaymentMethod")?.onlyWhereNull, [
        "CustomerId",
      ]);
    });
    it("refuses personal data that two subjects' erasures would reach, and subjects that erase nothing", () => {
      rejects((m) => {
        const contact = m.oltp.erasureSubjects.find((x) => x.name === "MerchantContact");
        if (contact) contact.erasesReferencingRows = true;
        oltpTable(m, "PaymentMethod").foreignKeys?.push({
          name: "FK_PaymentMethod_Merchant",
          columns: ["CustomerId"],
          references: { table: "Merchant", columns: ["MerchantId"] },
        });
      }, /PaymentMethod\.Last4: reached by the erasure of more than one subject \(Customer, PaymentMethod, MerchantContact\)/);
      // A table's own subject with one through a key is refused unless it declares it (sharesRowsWith): a merchant
      // contact's erasure must not clear the customers a merchant onboarded.
      rejects((m) => {
        const contact = m.oltp.erasureSubjects.find((x) => x.name === "MerchantContact");
        if (contact) contact.erasesReferencingRows = true;
        const customer = oltpTable(m, "Customer");
        customer.columns.push({ name: "OnboardingMerchantId", type: t.bigint(), nullable: false });
        customer.foreignKeys = [
          ...(customer.foreignKeys ?? []),
          {
            name: "FK_Customer_OnboardingMerchant",
            columns: ["OnboardingMerchantId"],
            references: { table: "Merchant", columns: ["MerchantId"] },
          },
        ];
      }, /Customer\.Email: reached by the erasure of more than one subject \(Customer, MerchantContact\)/);
      rejects((m) => {
        const card = m.oltp.erasureSubjects.find((x) => x.name === "PaymentMethod");
        if (card) card.sharesRowsWith = [];
      }, /PaymentMethod\.Last4: reached by the erasure of more than one subject \(Customer, PaymentMethod\)/);
      rejects((m) => {
        const card = m.oltp.erasureSubjects.find((x) => x.name === "PaymentMethod");
        if (card) card.sharesRowsWith = ["Payer"];
      }, /erasureSubjects PaymentMethod: sharesRowsWith names Payer, which is no other subject/);
      rejects((m) => {
        m.oltp.erasureSubjects.push({
          name: "Payer",
          table: "Payment",
          erasesReferencingRows: false,
          description: "x",
        });
      }, /erasureSubjects Payer: its erasure reaches no classified column/);
      rejects((m) => {
        m.oltp.erasureSubjects.push({
          name: "payer",
          table: "Payments",
          erasesReferencingRows: false,
          description: "",
        });
      }, /erasureSubjects payer: the name must be PascalCase/);
      rejects((m) => {
        m.oltp.erasureSubjects = m.oltp.erasureSubjects.filter((x) => x.name !== "Customer");
      }, /oltp dbo\.Customer: has an erasedAtColumn but is no erasure subject's table/);
    });
    it("refuses an unclassified column named like personal data unless the model says why it holds none", () => {
      for (const [name, word] of [
        ["MobileNumber", "mobile"],
        ["DateOfBirth", "birth"],
        ["ContactFirstName", "firstname"],
        ["RegisteredStreet", "street"],
        ["SignupIp", "ip"],
      ])
        rejects(
          (m) => {
            oltpTable(m, "Merchant").columns.push({ name, type: t.varchar(64), nullable: true });
          },
          new RegExp(
            `dbo\\.Merchant\\.${name}: column name suggests personal data \\("${word}"\\) but the column is not classified`,
          ),
        );
      const template = { name: "EmailTemplateId", type: t.int(), nullable: true };
      rejects((m) => {
        oltpTable(m, "Merchant").columns.push(template);
      }, /Merchant\.EmailTemplateId: column name suggests personal data \("email"\)/);
      assert.deepEqual(
        problemsAbout((m) => {
          oltpTable(m, "Merchant").columns.push({
            ...template,
            notPersonal: { reason: "The id of a notification template, not an address." },
          });
        }, "EmailTemplateId"),
        [],
      );
      rejects((m) => {
        oltpTable(m, "Merchant").columns.push({ ...template, notPersonal: { reason: " " } });
      }, /Merchant\.EmailTemplateId: notPersonal needs a reason/);
      rejects((m) => {
        oltpColumn(m, "Merchant", "ContactEmail").notPersonal = { reason: "It is the merchant's." };
      }, /Merchant\.ContactEmail: classified personal data cannot also be declared notPersonal/);
    });
  });

  describe("masks on columns with dependencies (DDM)", () => {
    it("rejects a mask on a key column (the re-apply could not drop the key)", () => {
      rejects((m) => {
        oltpTable(m, "PaymentMethod").uniques?.push({ name: "UQ_PaymentMethod_Fingerprint", columns: ["Fingerprint"] });
      }, /PaymentMethod\.Fingerprint: masked column is part of key UQ_PaymentMethod_Fingerprint/);
    });
  });

  describe("Always Encrypted", () => {
    it("rejects an encrypted column that is also masked", () => {
      rejects((m) => {
        const c = oltpColumn(m, "Customer", "GivenName");
        c.classification = { kind: "personal", mask: { fn: "default" } };
      }, /Customer\.GivenName: an Always Encrypted column cannot be masked/);
    });
    it("rejects encrypted columns on a CDC table (either reading of Microsoft's CDC limitation)", () => {
      rejects((m) => {
        oltpTable(m, "Customer").extraction.mode = "cdc";
      }, /dbo\.Customer: has Always Encrypted columns \(Email, .*\) but uses CDC/);
    });
    it("rejects an encrypted column in a CHECK, an index filter, or a randomized index", () => {
      rejects((m) => {
        oltpColumn(m, "Customer", "Phone").check = "[Phone] LIKE '+%'";
      }, /Customer\.Phone: referenced by CHECK CK_Customer_Phone — Always Encrypted columns cannot be in a CHECK/);
      rejects((m) => {
        const ix = oltpTable(m, "Customer").indexes?.[0];
        if (ix) ix.where = "[Email] IS NOT NULL";
      }, /Customer\.Email: index IX_Customer_Email filters on an encrypted column/);
      rejects((m) => {
        oltpTable(m, "Customer").indexes?.push({ name: "IX_Customer_FamilyName", columns: ["FamilyName"] });
      }, /Customer\.FamilyName: index IX_Customer_FamilyName on a randomized-encrypted column/);
    });
    it("requires a BIN2 collation for deterministic character columns, and a declared key", () => {
      rejects((m) => {
        delete oltpColumn(m, "Customer", "Email").collation;
      }, /Customer\.Email: deterministic encryption of a character column needs a BIN2 collation/);
      rejects((m) => {
        const c = oltpColumn(m, "Customer", "Phone");
        if (c.encryption) c.encryption.key = "CEK_Other";
      }, /Customer\.Phone: column encryption key CEK_Other is not declared/);
      rejects((m) => {
        m.oltp.alwaysEncrypted.columnEncryptionKeys.push({
          name: "CEK_Unused",
          columnMasterKey: "CMK_KeyVault",
          description: "",
        });
      }, /alwaysEncrypted CEK_Unused: no column uses this column encryption key/);
    });
    it("never lets the ETL read an encrypted column", () => {
      rejects((m) => {
        mappingOf(m, "Dim_Customer", "oltp").columns.push({
          target: "IsErased",
          source: { table: "Customer", column: "Email" },
          transform: { kind: "isNotNull" },
        });
      }, /Dim_Customer\.IsErased: reads personal column dbo\.Customer\.Email/);
    });
  });

  describe("extraction modes", () => {
    it("rejects a table the ETL reads without extraction (dbo.Payment)", () => {
      rejects((m) => {
        oltpTable(m, "Payment").extraction.mode = "none";
      }, /oltp dbo\.Payment: read by the nightly ETL but its extraction mode is none/);
    });
    it("rejects extraction of a table no mapping reads", () => {
      rejects((m) => {
        oltpTable(m, "Payout").extraction.mode = "changeTracking";
      }, /oltp dbo\.Payout: extracted \(changeTracking\) but no warehouse mapping reads it/);
    });
    it("rejects CDC on a ledger table (Microsoft's ledger limitations page)", () => {
      rejects((m) => {
        oltpTable(m, "Refund").extraction.mode = "cdc";
      }, /dbo\.Refund: CDC on a ledger table — Microsoft's ledger limitations page says change data capture isn't supported/);
    });
    it("rejects staging whose change columns do not match the extraction mode", () => {
      rejects((m) => {
        oltpTable(m, "Currency").extraction.mode = "changeTracking";
      }, /stg\.Currency: change columns CdcStartLsn, CdcOperation do not match changeTracking extraction/);
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
      }, /staging tables must be ROUND_ROBIN or HASH heaps/);
      rejects((m) => {
        olapTable(m, "Fact_Payment").primaryKey = { name: "PK_Fact_Payment", columns: ["PaymentId"] };
      }, /Fact_Payment: fact tables get no PRIMARY KEY/);
    });
    it("rejects types and constraints Synapse dedicated SQL pool does not support", () => {
      rejects((m) => {
        olapTable(m, "Dim_Merchant").columns.push({ name: "RowVer", type: t.rowversion(), nullable: false });
      }, /Dim_Merchant\.RowVer: ROWVERSION is not supported by Synapse/);
      rejects((m) => {
        olapColumn(m, "Dim_Merchant", "Status").allowedValues = ["active"];
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

  describe("type 2 dimensions (history)", () => {
    it("rejects a type 2 dimension keyed by its durable key alone (versions would duplicate the key)", () => {
      rejects((m) => {
        const dim = olapTable(m, "Dim_Merchant");
        dim.primaryKey = { name: "PK_Dim_Merchant", columns: ["MerchantKey"] };
      }, /Dim_Merchant: a type 2 dimension's primary key is \(durable key, ValidFrom\)/);
    });
    it("rejects a nullable or mistyped validity column", () => {
      rejects((m) => {
        const c = olapTable(m, "Dim_Customer").columns.find((x) => x.name === "ValidTo");
        if (c) c.nullable = true;
      }, /Dim_Customer: history column ValidTo must be DATETIME2 NOT NULL/);
    });
    it("rejects a tracked attribute the dimension does not have, and the key as a tracked attribute", () => {
      rejects((m) => {
        olapTable(m, "Dim_Merchant").history?.tracked.push("Website");
      }, /Dim_Merchant: tracked attribute Website does not exist/);
      rejects((m) => {
        olapTable(m, "Dim_Merchant").history?.tracked.push("MerchantKey");
      }, /Dim_Merchant: MerchantKey is a key or history column, not a tracked attribute/);
    });
    it("rejects a change time that is not a column of the source table", () => {
      rejects((m) => {
        const h = olapTable(m, "Dim_Customer").history;
        if (h) h.changedAt = "ModifiedAt";
      }, /Dim_Customer: history\.changedAt dbo\.Customer\.ModifiedAt does not exist/);
    });
    it("still requires every mapped attribute, but not the validity columns the load maintains", () => {
      assert.deepEqual(validateModel(dataModel), []);
      rejects((m) => {
        mappingOf(m, "Dim_Merchant", "oltp").columns = mappingOf(m, "Dim_Merchant", "oltp").columns.filter(
          (c) => c.target !== "Status",
        );
      }, /Dim_Merchant\.Status: target column is not loaded by the mapping/);
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
  describe("calendar, streaming grain and materialized views", () => {
    it("requires an unknown date member for dates outside the calendar", () => {
      rejects((m) => {
        const c = mappingOf(m, "Fact_Payment", "oltp").columns.find((x) => x.target === "DateKey");
        if (c) c.transform = { kind: "dateKey", unknown: -1 };
      }, /Fact_Payment\.DateKey: maps dates outside the calendar to -1, but Dim_Date has no unknown member/);
    });
    it("requires an expression for every calendar column, over [Date] only, and a sane range", () => {
      rejects((m) => {
        delete mappingOf(m, "Dim_Date", "calendar").columns.IsoWeek;
      }, /mapping Dim_Date\.IsoWeek: calendar column has no expression/);
      rejects((m) => {
        mappingOf(m, "Dim_Date", "calendar").columns.Year = "YEAR([Day])";
      }, /Dim_Date\.Year: expression refers to \[Day\]/);
      rejects((m) => {
        mappingOf(m, "Dim_Date", "calendar").to = "2014-12-31";
      }, /from 2015-01-01 is after to 2014-12-31/);
    });
    it("checks the streaming aggregates against their columns", () => {
      rejects((m) => {
        const c = mappingOf(m, "Fact_API_Performance", "stream").columns.find((x) => x.target === "LatencyP99Ms");
        if (c) c.value = { kind: "percentile", field: "durationMs", p: 99 };
      }, /LatencyP99Ms: percentile 99 is not between 0 and 1/);
      rejects((m) => {
        const c = mappingOf(m, "Fact_API_Performance", "stream").columns.find((x) => x.target === "ErrorRate");
        if (c) c.value = { kind: "ratio", numerator: "LatencyP50Ms", denominator: "RequestCount" };
      }, /ErrorRate: ratio term LatencyP50Ms is not a count or sum column/);
      rejects((m) => {
        const c = mappingOf(m, "Fact_API_Performance", "stream").columns.find((x) => x.target === "RequestCount");
        if (c) c.value = { kind: "windowStart" };
      }, /RequestCount: windowStart cannot be stored in INT/);
    });
    it("holds materialized views to the dedicated pool's restrictions", () => {
      rejects((m) => {
        m.olap.materializedViews[0].distribution = { kind: "HASH", column: "PaymentId" };
      }, /distribution column PaymentId is not a GROUP BY column/);
      rejects((m) => {
        m.olap.materializedViews[0].measures.push({ name: "Captured", aggregate: "SUM", column: "CapturedAt" });
      }, /SUM of non-numeric DATETIME2\(3\)/);
      rejects((m) => {
        olapTable(m, "Fact_Payment").columns.push({ name: "Tip", type: t.bigint(), nullable: true });
        m.olap.materializedViews[0].measures.push({ name: "Tip", aggregate: "SUM", column: "Tip" });
      }, /SUM over nullable Tip needs COUNT_BIG\(Tip\)/);
      rejects((m) => {
        m.olap.materializedViews[0].fact = "Dim_Merchant";
      }, /Dim_Merchant is not a fact table/);
    });
  });
});
