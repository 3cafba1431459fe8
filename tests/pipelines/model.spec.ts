import * as fs from "node:fs";
import { strict as assert } from "node:assert";
import { dataModel } from "../../pipelines/model";
import { olapModel, stagingChangeColumnNames } from "../../pipelines/model/olap";
import { oltpModel } from "../../pipelines/model/oltp";
import { renderType, typeLength } from "../../pipelines/model/types";
import {
  capturedColumns,
  cdcChangeTable,
  forbiddenCardName,
  LAST4_PATTERN,
  personalDataName,
  validateModel,
} from "../../pipelines/model/validate";

// Properties of the real model, asserted directly (validate.spec.ts proves the validator catches violations).
describe("pipelines/model", () => {
  it("is valid", () => {
    assert.deepEqual(validateModel(dataModel), []);
  });

  describe("OLTP (Azure SQL)", () => {
    const tables = new Map(oltpModel.tables.map((t) => [t.name, t]));

    it("has exactly the tables its header explains, each once, all in schema dbo", () => {
      // pipelines/model/oltp.ts opens with "<N> tables, and why exactly these:" and one line per table: a table added
      // to the model without its reason there (or a count left stale) fails here.
      const source = fs.readFileSync("pipelines/model/oltp.ts", "utf8");
      const block = /^\/\/ (\w+) tables, and why exactly these:\n((?:\/\/ {3}.*\n)+)/m.exec(source);
      assert.ok(block, "the header's table list");
      const documented = [...block[2].matchAll(/^\/\/ {3}(\w+) {2,}/gm)].map((m) => m[1]);
      const words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"];
      assert.equal(words.indexOf(block[1].toLowerCase()), documented.length, `"${block[1]} tables"`);
      assert.deepEqual(
        oltpModel.tables.map((t) => t.name),
        documented,
      );
      assert.equal(tables.size, oltpModel.tables.length, "table names are unique");
      for (const t of oltpModel.tables) assert.equal(t.schema, "dbo", t.name);
    });

    it("gives every table a primary key of existing NOT NULL columns", () => {
      for (const t of oltpModel.tables) {
        assert.ok(t.primaryKey.columns.length > 0, `${t.name} has no primary key`);
        for (const n of t.primaryKey.columns) {
          const c = t.columns.find((x) => x.name === n);
          assert.ok(c, `${t.name}: PK column ${n} missing`);
          assert.equal(c.nullable, false, `${t.name}.${n} is nullable`);
        }
      }
    });

    it("points every foreign key at an existing table's primary or unique key, with matching column types", () => {
      let count = 0;
      for (const t of oltpModel.tables) {
        for (const fk of t.foreignKeys ?? []) {
          count++;
          const target = tables.get(fk.references.table);
          assert.ok(target, `${fk.name}: table ${fk.references.table} does not exist`);
          const keys = [target.primaryKey, ...(target.uniques ?? [])].map((k) => k.columns.join(","));
          assert.ok(
            keys.includes(fk.references.columns.join(",")),
            `${fk.name}: not a PK/unique key of ${target.name}`,
          );
          assert.equal(fk.columns.length, fk.references.columns.length, fk.name);
          fk.columns.forEach((n, i) => {
            const from = t.columns.find((c) => c.name === n);
            const to = target.columns.find((c) => c.name === fk.references.columns[i]);
            assert.ok(from && to, `${fk.name}: column missing`);
            assert.equal(
              renderType(from.type),
              renderType(to.type),
              `${fk.name}: ${t.name}.${n} vs ${target.name}.${to.name}`,
            );
          });
        }
      }
      assert.ok(count >= 8, "the model is actually connected");
    });

    it("extracts every table the ETL reads, never a ledger table through CDC, and says why per table", () => {
      assert.deepEqual(
        oltpModel.tables.map((t) => `${t.name}:${t.extraction.mode}`),
        [
          "Currency:cdc",
          "Merchant:cdc",
          "Customer:changeTracking",
          "PaymentMethod:cdc",
          "Payment:changeTracking",
          "Refund:changeTracking",
          "Dispute:changeTracking",
          "Payout:none",
          "BalanceTransaction:none",
        ],
      );
      assert.equal(cdcChangeTable({ schema: "dbo", name: "Currency" }), "cdc.dbo_Currency_CT");
      for (const t of oltpModel.tables) {
        assert.ok(t.extraction.rationale.length > 20, `${t.name}: no reason for ${t.extraction.mode}`);
        if (t.ledger) assert.notEqual(t.extraction.mode, "cdc", `${t.name}: ledger tables use change tracking`);
        if (t.columns.some((c) => c.encryption)) assert.notEqual(t.extraction.mode, "cdc", `${t.name}: encrypted`);
      }
      const read = new Set<string>();
      for (const m of olapModel.mappings) {
        if (m.kind !== "oltp") continue;
        read.add(m.root);
        for (const j of m.joins) read.add(j.to.table);
        for (const c of m.columns) read.add(c.source.table);
      }
      for (const name of read)
        assert.notEqual(tables.get(name)?.extraction.mode, "none", `dbo.${name} is read by the ETL but not extracted`);
      for (const t of oltpModel.tables.filter((x) => x.extraction.mode !== "none"))
        assert.ok(read.has(t.name), `${t.name}: extracted without reader`);
    });

    it("never lets the ETL read personal, card or encrypted columns", () => {
      for (const t of oltpModel.tables.filter((x) => x.extraction.mode !== "none")) {
        const captured = capturedColumns(t);
        for (const c of t.columns.filter((x) => x.classification))
          assert.ok(!captured.includes(c.name), `${t.name}.${c.name}`);
        for (const pk of t.primaryKey.columns)
          assert.ok(captured.includes(pk), `${t.name}: net changes need the PK captured`);
      }
    });

    it("has no column that can hold a full card number or sensitive authentication data", () => {
      for (const t of oltpModel.tables) {
        for (const c of t.columns) {
          assert.equal(forbiddenCardName(c.name), undefined, `${t.name}.${c.name} looks like PAN/CVV storage`);
          if (c.classification?.kind === "card") {
            const len = typeLength(c.type);
            const ok =
              (c.type.kind === "char" && len !== undefined && len <= 4) ||
              c.type.kind === "tinyint" ||
              c.type.kind === "smallint" ||
              (c.type.kind === "binary" && len !== undefined && len <= 64);
            assert.ok(ok, `${t.name}.${c.name} ${renderType(c.type)} could hold a PAN`);
          }
        }
      }
      const pm = tables.get("PaymentMethod");
      const last4 = pm?.columns.find((c) => c.name === "Last4");
      assert.equal(last4 && renderType(last4.type), "CHAR(4)");
      assert.equal(last4?.classification?.kind, "card");
      assert.ok(last4?.check?.includes(LAST4_PATTERN), "Last4 needs a digits-only CHECK");
      const token = pm?.columns.find((c) => c.name === "VaultToken");
      assert.match(token?.check ?? "", /NOT LIKE '%(\[0-9\]){13}%'/, "the vault token rejects PAN-like digit runs");
    });

    it("recognises card-number-like column names, and only those", () => {
      for (const bad of [
        "CardNumber",
        "card_number",
        "PAN",
        "Pan",
        "PanHash",
        "Cvv",
        "CVV2",
        "Cvc",
        "Track2",
        "TrackData",
        "PrimaryAccountNumber",
        "PinBlock",
        "CardNo",
      ]) {
        assert.ok(forbiddenCardName(bad), bad);
      }
      for (const good of [
        "Company",
        "Panel",
        "Pending",
        "PaymentId",
        "Span",
        "Expand",
        "Last4",
        "Fingerprint",
        "VaultToken",
        "Spin",
      ]) {
        assert.equal(forbiddenCardName(good), undefined, good);
      }
    });

    it("recognises personal-data column names, and every such column of the model is classified", () => {
      for (const bad of ["ContactEmail", "MobileNumber", "DateOfBirth", "Dob", "GivenName", "LastName", "Surname"])
        assert.ok(personalDataName(bad), bad);
      for (const bad of [
        "BillingAddressLine1",
        "StreetName",
        "PostCode",
        "BillingPostalCode",
        "IPAddress",
        "LastSeenIp",
      ])
        assert.ok(personalDataName(bad), bad);
      for (const good of ["LegalName", "DisplayName", "Name", "MerchantCode", "Ship", "Description", "Tip", "Zip"])
        assert.equal(personalDataName(good), undefined, good);
      for (const t of oltpModel.tables)
        for (const c of t.columns.filter((x) => personalDataName(x.name)))
          assert.equal(c.classification?.kind, "personal", `${t.name}.${c.name}`);
    });

    it("classifies and masks the personal and card columns", () => {
      const classified = (table: string, kind: string) =>
        (tables.get(table)?.columns ?? []).filter((c) => c.classification?.kind === kind).map((c) => c.name);
      assert.deepEqual(classified("Customer", "personal"), [
        "Email",
        "GivenName",
        "FamilyName",
        "Phone",
        "BillingAddressLine1",
        "BillingAddressLine2",
        "BillingCity",
        "BillingPostalCode",
        "LastSeenIpAddress",
      ]);
      assert.deepEqual(classified("PaymentMethod", "card"), ["Last4", "ExpMonth", "ExpYear", "Fingerprint"]);
      assert.deepEqual(classified("Merchant", "personal"), ["ContactEmail", "ContactPhone"]);
      for (const t of oltpModel.tables) {
        for (const c of t.columns.filter((x) => x.classification))
          assert.ok(!c.classification?.mask !== !c.encryption, `${t.name}.${c.name}: masked xor encrypted`);
      }
    });

    it("encrypts the payer's identity and contact data with Always Encrypted, e-mail deterministically", () => {
      const enc = (tables.get("Customer")?.columns ?? []).filter((c) => c.encryption);
      assert.deepEqual(
        enc.map((c) => `${c.name}:${c.encryption?.type}`),
        [
          "Email:Deterministic",
          "GivenName:Randomized",
          "FamilyName:Randomized",
          "Phone:Randomized",
          "BillingAddressLine1:Randomized",
          "BillingAddressLine2:Randomized",
          "BillingPostalCode:Randomized",
        ],
      );
      for (const t of oltpModel.tables.filter((x) => x.name !== "Customer"))
        assert.ok(
          t.columns.every((c) => !c.encryption),
          `${t.name}: encryption outside Customer`,
        );
      assert.deepEqual(
        oltpModel.alwaysEncrypted.columnEncryptionKeys.map((k) => k.name),
        ["CEK_Customer"],
      );
    });

    it("keeps personal data out of ledger tables (their history is immutable)", () => {
      const ledger = oltpModel.tables.filter((t) => t.ledger);
      assert.deepEqual(
        ledger.map((t) => `${t.name}:${t.ledger}`),
        [
          "Payment:updatable",
          "Refund:updatable",
          "Dispute:updatable",
          "Payout:updatable",
          "BalanceTransaction:append-only",
        ],
      );
      for (const t of ledger)
        assert.ok(
          t.columns.every((c) => !c.classification),
          t.name,
        );
    });

    it("stores money as BIGINT minor units with a CHAR(3) currency", () => {
      for (const t of oltpModel.tables) {
        for (const c of t.columns.filter((x) => /AmountMinor$/.test(x.name)))
          assert.equal(c.type.kind, "bigint", `${t.name}.${c.name}`);
        for (const c of t.columns.filter((x) => /CurrencyCode$/.test(x.name)))
          assert.equal(renderType(c.type), "CHAR(3)", `${t.name}.${c.name}`);
      }
    });
  });

  describe("OLAP (Synapse star schema)", () => {
    const star = olapModel.tables.filter((t) => t.role !== "staging");
    const byName = new Map(olapModel.tables.map((t) => [t.name, t]));

    it("has exactly 6 dimensions + Fact_Payment + Fact_API_Performance", () => {
      const dims = star.filter((t) => t.role === "dimension").map((t) => t.name);
      const facts = star.filter((t) => t.role === "fact").map((t) => t.name);
      assert.equal(dims.length, 6, dims.join(", "));
      assert.deepEqual(facts.sort(), ["Fact_API_Performance", "Fact_Payment"]);
    });

    it("points every fact key at a dimension's primary key, with the same type", () => {
      for (const fact of star.filter((t) => t.role === "fact")) {
        assert.ok(fact.references?.length, fact.name);
        for (const r of fact.references ?? []) {
          const dim = byName.get(r.dimension);
          assert.equal(dim?.role, "dimension", `${fact.name}.${r.column} → ${r.dimension}`);
          // A type 2 dimension is referenced by its durable key, the first column of (key, ValidFrom).
          assert.deepEqual(
            dim?.primaryKey?.columns,
            dim?.history ? [r.dimensionColumn, dim.history.validFrom] : [r.dimensionColumn],
          );
          const fc = fact.columns.find((c) => c.name === r.column);
          const dc = dim?.columns.find((c) => c.name === r.dimensionColumn);
          assert.ok(fc && dc);
          assert.equal(renderType(fc.type), renderType(dc.type), `${fact.name}.${r.column}`);
        }
      }
    });

    it("hash-distributes facts (columnstore), replicates dimensions and stages in heaps", () => {
      const hashedStaging = ["Payment", "Refund", "Dispute"];
      for (const t of olapModel.tables) {
        const expected = {
          fact: "HASH",
          dimension: "REPLICATE",
          staging: hashedStaging.includes(t.name) ? "HASH" : "ROUND_ROBIN",
        }[t.role];
        assert.equal(t.distribution.kind, expected, t.name);
        if (t.role === "fact") assert.equal(t.index.kind, "CLUSTERED COLUMNSTORE INDEX", t.name);
        if (t.role === "staging") assert.equal(t.index.kind, "HEAP", t.name);
        assert.ok(t.rationale.length > 20, `${t.name}: justify the distribution`);
      }
    });

    it("maps every fact/dimension, and every ETL source column exists in the OLTP model", () => {
      for (const t of star)
        assert.ok(
          olapModel.mappings.some((m) => m.target === t.name),
          `${t.name} has no mapping`,
        );
      const oltpCols = new Set(oltpModel.tables.flatMap((t) => t.columns.map((c) => `${t.name}.${c.name}`)));
      let checked = 0;
      for (const m of olapModel.mappings) {
        const refs =
          m.kind === "oltp"
            ? [...m.columns.map((c) => c.source), ...m.joins.flatMap((j) => [j.from, j.to])]
            : m.kind === "enum"
              ? [m.source]
              : [];
        for (const r of refs) {
          checked++;
          assert.ok(oltpCols.has(`${r.table}.${r.column}`), `${m.target}: dbo.${r.table}.${r.column} does not exist`);
        }
      }
      assert.ok(checked > 30);
    });

    it("stages exactly the OLTP tables the ETL reads, with their OLTP column types", () => {
      const staging = olapModel.tables.filter((t) => t.role === "staging");
      assert.deepEqual(
        staging.map((t) => t.name).sort(),
        oltpModel.tables
          .filter((t) => t.extraction.mode !== "none")
          .map((t) => t.name)
          .sort(),
      );
      for (const s of staging) {
        const src = oltpModel.tables.find((t) => t.name === s.name);
        for (const c of s.columns.filter((x) => !stagingChangeColumnNames.has(x.name))) {
          const o = src?.columns.find((x) => x.name === c.name);
          assert.ok(o && !o.classification, `stg.${s.name}.${c.name}`);
          assert.equal(renderType(c.type), renderType(o.type));
        }
      }
    });

    it("holds no personal or card data", () => {
      for (const t of olapModel.tables)
        assert.ok(
          t.columns.every((c) => !c.classification),
          t.name,
        );
    });
  });
});
