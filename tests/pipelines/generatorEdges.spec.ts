// Edges of the data-pipeline generators that the real model does not exercise (mutation audit of pipelines/):
// literals that carry quotes or non-ASCII text, masks on columns that indexes include or filter on, validator rules
// the model never trips, and the Data Factory definitions' typing of what they read and write.
import { strict as assert } from "node:assert";
import { generateAdfDefinitions, PIPELINES, type AdfResource } from "../../pipelines/etl";
import { extractedTables } from "../../pipelines/etl/groups";
import { inferredValue } from "../../pipelines/etl/sql/load";
import {
  generateAll,
  generateOlapReferenceData,
  generateOltpDdl,
  generateOltpReferenceData,
  maskStatement,
} from "../../pipelines/generate";
import { literal } from "../../pipelines/generators/tsql";
import { dataModel } from "../../pipelines/model";
import { currencies } from "../../pipelines/model/oltp";
import { renderType, t } from "../../pipelines/model/types";
import { validateModel } from "../../pipelines/model/validate";
import { cloneModel, mappingOf, olapTable, oltpColumn, oltpTable, sqlBatches, strings } from "./helpers";

/** The model's problems that mention `fragment` (the rule under test), for a readable failure. */
const problemsAbout = (fragment: string, model = cloneModel()) =>
  validateModel(model).filter((p) => p.includes(fragment));

/** A script with every T-SQL string literal (`'…'`, `N'…'`, doubled quotes inside) replaced by an empty one. */
const withoutLiterals = (sql: string) => sql.replace(/N?'(?:[^']|'')*'/g, "''");

type Json = Record<string, unknown>;
/** Every activity of a pipeline, nested ones included. */
function activities(p: AdfResource): Json[] {
  const out: Json[] = [];
  const walk = (list: Json[]) => {
    for (const a of list) {
      out.push(a);
      const tp = (a.typeProperties ?? {}) as Json;
      for (const key of ["ifTrueActivities", "ifFalseActivities", "activities"])
        if (Array.isArray(tp[key])) walk(tp[key] as Json[]);
    }
  };
  walk(p.properties.activities as Json[]);
  return out;
}

describe("pipelines generators: edges the real model does not reach", () => {
  describe("currencies (03_oltp_reference_data.sql)", () => {
    it("deactivates a currency the model drops and reactivates one it lists again, after the inserts", () => {
      const sql = generateOltpReferenceData(cloneModel().oltp);
      const listed = `(${currencies.map((c) => `'${c.code}'`).join(", ")})`;
      const off = sql.indexOf(
        `SET [IsActive] = 0, [UpdatedAt] = SYSUTCDATETIME() WHERE [CurrencyCode] NOT IN ${listed} AND [IsActive] = 1;`,
      );
      const on = sql.indexOf(
        `SET [IsActive] = 1, [UpdatedAt] = SYSUTCDATETIME() WHERE [CurrencyCode] IN ${listed} AND [IsActive] = 0;`,
      );
      assert.ok(off > 0, "drops deactivate");
      assert.ok(on > 0, "a currency listed again is active again (its kept row would otherwise stay inactive)");
      assert.ok(sql.lastIndexOf("INSERT INTO") < Math.min(off, on), "after every insert");
    });
  });

  describe("seeded literals (11_olap_reference_data.sql)", () => {
    it("keeps a quote inside the literal: a seeded value cannot end the string and inject SQL", () => {
      const model = cloneModel();
      const merchant = olapTable(model, "Dim_Merchant");
      const payload = "Evil'); DROP TABLE [dbo].[Fact_Payment]; --";
      const code = "o'reilly";
      merchant.unknownMember = { ...merchant.unknownMember, LegalName: payload, MerchantCode: code };
      assert.deepEqual(problemsAbout("Dim_Merchant", model), [], "the values fit their columns");
      const sql = generateOlapReferenceData(model.olap);
      // NVARCHAR gets an N'' literal, VARCHAR a plain one, and a quote is doubled in both.
      assert.ok(sql.includes(`N'Evil''); DROP TABLE [dbo].[Fact_Payment]; --'`), "NVARCHAR literal");
      assert.ok(sql.includes(`[MerchantCode] = 'o''reilly'`), "VARCHAR literal");
      assert.doesNotMatch(withoutLiterals(sql), /DROP TABLE/, "the payload stays inside its literal");
    });

    it("writes non-ASCII text to Unicode columns as N'' literals (a plain one would lose it to the code page)", () => {
      const model = cloneModel();
      const merchant = olapTable(model, "Dim_Merchant");
      merchant.unknownMember = { ...merchant.unknownMember, LegalName: "Marchand inconnu – été" };
      const sql = generateOlapReferenceData(model.olap);
      assert.ok(sql.includes("[LegalName] = N'Marchand inconnu – été'"), "upsert of the unknown member");
      // NCHAR is Unicode too; CHAR and VARCHAR are not.
      assert.equal(literal("ZZ", t.nchar(2)), "N'ZZ'");
      assert.equal(literal("ZZ", t.nvarchar(2)), "N'ZZ'");
      assert.equal(literal("ZZ", t.char(2)), "'ZZ'");
    });

    it("never deletes an enum dimension's unknown member while reconciling it with the OLTP values", () => {
      const model = cloneModel();
      const status = olapTable(model, "Dim_PaymentStatus");
      const key = mappingOf(model, "Dim_PaymentStatus", "enum").keyColumn;
      status.unknownMember = { [key]: "unknown", IsFinal: false, IsSuccessful: false };
      const sql = generateOlapReferenceData(model.olap);
      const del = sqlBatches(sql).find((b) => b.startsWith("DELETE FROM [dbo].[Dim_PaymentStatus]"));
      assert.ok(del, "the reconciliation DELETE");
      assert.match(del, new RegExp(`WHERE \\[${key}\\] NOT IN \\([^)]*'unknown'[^)]*\\);$`), del);
      // …and facts that still use it do not count as using a removed value.
      const guard = sqlBatches(sql).find((b) => b.includes("THROW 50021"));
      assert.ok(guard?.includes("'unknown'"), "the facts guard keeps the unknown member too");
    });

    it("rejects a seeded value longer than its column (it would be truncated, or fail the script)", () => {
      const model = cloneModel();
      const merchant = olapTable(model, "Dim_Merchant");
      merchant.unknownMember = { ...merchant.unknownMember, CountryCode: "ZZZ" };
      assert.ok(problemsAbout('unknown member value "ZZZ" does not fit CountryCode', model).length === 1);
    });

    it("an inferred member's text attribute fits its column (a late-arriving key must not fail the load)", () => {
      const dim = olapTable(cloneModel(), "Dim_PaymentMethod");
      const short = { name: "Network", type: t.char(3), nullable: false };
      assert.equal(inferredValue(dim, short), "'unk'");
      assert.equal(inferredValue(dim, { ...short, type: t.nvarchar(40) }), "N'unknown'");
    });
  });

  describe("masks (01_oltp_schema.sql)", () => {
    it("writes partial() as prefix, padding, suffix: Merchant.ContactPhone shows its last two digits only", () => {
      const ddl = generateOltpDdl(dataModel.oltp);
      assert.ok(ddl.includes(`[ContactPhone] VARCHAR(32) MASKED WITH (FUNCTION = 'partial(0,"XXXXXXXX",2)')`));
      const model = cloneModel();
      oltpColumn(model, "Merchant", "ContactPhone").classification = {
        kind: "personal",
        mask: { fn: "partial", prefix: 3, padding: "XXXX", suffix: 0 },
      };
      assert.ok(generateOltpDdl(model.oltp).includes(`MASKED WITH (FUNCTION = 'partial(3,"XXXX",0)')`));
    });

    it("rejects a partial() padding that could end the mask's string literal", () => {
      for (const padding of ["X'X", 'X"X', "X)X"]) {
        const model = cloneModel();
        oltpColumn(model, "Merchant", "ContactPhone").classification = {
          kind: "personal",
          mask: { fn: "partial", prefix: 0, padding, suffix: 2 },
        };
        assert.equal(problemsAbout(`padding "${padding}" must be plain characters`, model).length, 1, padding);
      }
    });

    it("re-applies a mask around an index that INCLUDEs the column or filters on it", () => {
      const model = cloneModel();
      const method = oltpTable(model, "PaymentMethod");
      method.indexes = [
        ...(method.indexes ?? []),
        { name: "IX_PaymentMethod_Test_Include", columns: ["CustomerId"], include: ["Last4"] },
        { name: "IX_PaymentMethod_Test_Filter", columns: ["CustomerId"], where: "[Last4] IS NOT NULL" },
      ];
      assert.deepEqual(validateModel(model), []);
      const sql = maskStatement(method, "Last4");
      for (const ix of ["IX_PaymentMethod_Test_Include", "IX_PaymentMethod_Test_Filter"]) {
        const drop = sql.indexOf(`DROP INDEX [${ix}] ON [dbo].[PaymentMethod];`);
        const alter = sql.indexOf("ALTER COLUMN [Last4] ADD MASKED WITH");
        const create = sql.indexOf(`CREATE NONCLUSTERED INDEX [${ix}] ON [dbo].[PaymentMethod]`);
        assert.ok(drop > 0 && drop < alter && alter < create, `${ix}: dropped before the mask, re-created after`);
      }
      assert.ok(sql.includes("INCLUDE ([Last4])"));
      assert.ok(sql.includes("([CustomerId]) WHERE [Last4] IS NOT NULL;"));
    });

    it("keeps every filtered index's filter (a unique index without it would refuse a second NULL, and erasure)", () => {
      const model = cloneModel();
      const method = oltpTable(model, "PaymentMethod");
      method.indexes = [
        ...(method.indexes ?? []),
        { name: "UX_PaymentMethod_Test", columns: ["Fingerprint"], unique: true, where: "[Fingerprint] IS NOT NULL" },
      ];
      const filtered = model.oltp.tables.flatMap((x) => (x.indexes ?? []).filter((ix) => ix.where));
      assert.ok(filtered.length >= 2);
      const ddl = generateOltpDdl(model.oltp);
      for (const ix of filtered)
        assert.match(
          ddl,
          new RegExp(
            `CREATE (UNIQUE )?NONCLUSTERED INDEX \\[${ix.name}\\] ON [^\\n]* WHERE ${escape(ix.where ?? "")};`,
          ),
          ix.name,
        );
    });
  });

  describe("validator rules the model never trips", () => {
    it("rejects a card-classified column wide enough for a PAN (13 to 19 digits), even a fixed-width one", () => {
      for (const type of [t.char(13), t.char(16), t.nchar(19)]) {
        const model = cloneModel();
        oltpTable(model, "PaymentMethod").columns.push({
          name: "CardHint",
          type,
          nullable: true,
          classification: { kind: "card", mask: { fn: "default" } },
        });
        assert.equal(problemsAbout("could hold a full card number", model).length, 1, renderType(type));
      }
    });

    it("rejects copying a nullable OLTP column into a NOT NULL warehouse column", () => {
      const model = cloneModel();
      oltpColumn(model, "Payment", "AmountMinor").nullable = true;
      assert.equal(
        problemsAbout("Fact_Payment.AmountMinor: copies a nullable column into a NOT NULL column", model).length,
        1,
      );
    });

    it("rejects a staging table that carries personal data into the warehouse", () => {
      const model = cloneModel();
      const stg = model.olap.tables.find((x) => x.role === "staging" && x.name === "Customer");
      assert.ok(stg);
      stg.columns.push({ name: "BillingCity", type: t.nvarchar(100), nullable: true });
      assert.equal(problemsAbout("stg.Customer.BillingCity: stages personal data", model).length, 1);
    });

    it("rejects a materialized view over a fact with a masked column (Synapse refuses it)", () => {
      const model = cloneModel();
      olapTable(model, "Fact_Payment").columns.push({
        name: "PayerCountry",
        type: t.char(2),
        nullable: true,
        classification: { kind: "personal", mask: { fn: "default" } },
      });
      assert.ok(problemsAbout("can't be created on a table with DDM", model).length >= 1);
    });
  });

  describe("pool load (14_olap_etl_load.sql)", () => {
    it("a data-quality check with an expected value passes only on equality (fewer tables staged is a failure)", () => {
      const pool = generateAll(dataModel).find((f) => f.file === "14_olap_etl_load.sql")?.content ?? "";
      const verdicts = [...pool.matchAll(/CASE WHEN @Actual (\S+) (\S+) THEN 1 ELSE 0 END/g)];
      assert.ok(verdicts.length >= 5, `${verdicts.length} checks`);
      for (const v of verdicts) assert.equal(v[1], "=", v[0]);
      const staged = extractedTables(dataModel).length;
      assert.ok(pool.includes(`'tables_staged', N'stg.*', ${staged}, @Actual, CASE WHEN @Actual = ${staged} THEN`));
    });
  });

  describe("Data Factory definitions", () => {
    const defs = generateAdfDefinitions();

    it("a full reload types its change-metadata placeholders as the staging columns (Parquet → COPY INTO)", () => {
      for (const x of extractedTables(dataModel)) {
        const p = defs.pipelines.find((d) => d.name === PIPELINES.extract(x.table.name));
        assert.ok(p);
        const full = activities(p).find((a) => a.name === "CopyFull");
        const query = String(((full?.typeProperties as Json).source as Json).sqlReaderQuery);
        const meta = [x.positionColumn, x.operationColumn].map((n) => {
          const c = x.staging.columns.find((s) => s.name === n);
          assert.ok(c, n);
          return `CAST(NULL AS ${renderType(c.type)}) AS [${n}]`;
        });
        assert.ok(query.startsWith(`SELECT ${meta.join(", ")}, `), `${x.table.name}: ${query.slice(0, 120)}`);
      }
    });

    it("runDate reaches every pipeline only through formatDateTime(…, 'yyyy-MM-dd') (or an emptiness test)", () => {
      let uses = 0;
      for (const p of defs.pipelines)
        for (const s of strings(p)) {
          for (const m of s.matchAll(/pipeline\(\)\.parameters\.runDate\b/g)) {
            uses++;
            const before = s.slice(0, m.index);
            const after = s.slice((m.index ?? 0) + m[0].length);
            const formatted = before.endsWith("formatDateTime(") && after.startsWith(", 'yyyy-MM-dd')");
            assert.ok(formatted || before.endsWith("empty("), `${p.name}: ${s.slice(0, 160)}`);
          }
        }
      assert.ok(uses > 20, `${uses} uses`);
    });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
