// The ETL's generated SQL (05_oltp_etl_extraction.sql, 14_olap_etl_load.sql): what each procedure does, checked
// against the model, and written for what each engine supports.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { extractedTables, factGroups } from "../../pipelines/etl/groups";
import { generateAll } from "../../pipelines/generate";
import { dataModel } from "../../pipelines/model";
import { captureInstance, validateModel } from "../../pipelines/model/validate";
import { deriveStagingTables } from "../../pipelines/model/olap";
import { t } from "../../pipelines/model/types";
import { cloneModel, mappingOf, sqlBatches } from "./helpers";
import { publishBatchRows, SMALLEST_POOL_TRANSACTION_BYTES, typeBytes } from "../../pipelines/etl/sql/pool";
import type { OlapTable } from "../../pipelines/model/types";

const files = new Map(generateAll(dataModel).map((f) => [f.file, f.content]));
const oltp = files.get("05_oltp_etl_extraction.sql") ?? "";
const pool = files.get("14_olap_etl_load.sql") ?? "";

/** The batch defining a procedure (from its ALTER PROCEDURE to the end of the batch). */
function procedureBody(sql: string, name: string): string {
  const b = sqlBatches(sql).find((x) => x.startsWith(`ALTER PROCEDURE [etl].[${name}]`));
  assert.ok(b, `no procedure etl.${name}`);
  return b;
}

describe("pipelines/etl: generated SQL", () => {
  describe("OLTP extraction (05)", () => {
    const xs = extractedTables(dataModel);

    it("defines one extraction procedure per extracted table, returning the staging columns in order", () => {
      assert.equal(xs.length, dataModel.oltp.tables.filter((t) => t.extraction.mode !== "none").length);
      for (const x of xs) {
        const body = procedureBody(oltp, `usp_Extract_${x.table.name}`);
        const cols = x.staging.columns.map((c) => `[${c.name}]`).join(", ");
        assert.ok(body.includes(`SELECT ${cols} FROM #changed;`), x.table.name);
        assert.match(body, /SET TRANSACTION ISOLATION LEVEL SNAPSHOT;\n\s*BEGIN TRANSACTION;/);
        if (x.mode === "cdc")
          assert.match(
            body,
            new RegExp(
              `fn_cdc_get_net_changes_${captureInstance(x.table)}\\]\\(@From_${x.table.name}, @To_${x.table.name}, N'all'\\)`,
            ),
          );
        else {
          assert.ok(body.includes(`CHANGETABLE(CHANGES [dbo].[${x.table.name}], @From_${x.table.name})`), x.table.name);
          assert.ok(body.includes(`WHERE x.[ChangeVersion] <= @To_${x.table.name};`), `${x.table.name}: window end`);
        }
        // A full reload reads the whole table instead (first run, or a window older than the retention).
        assert.ok(body.includes(`FROM [dbo].[${x.table.name}] AS t;`), `${x.table.name}: full reload`);
      }
    });

    it("a fact group's tables return the current rows of every affected root key (refund totals need all refunds)", () => {
      const [group] = factGroups(dataModel);
      assert.equal(group.fact, "Fact_Payment");
      assert.deepEqual(group.members.map((m) => `${m.relation} ${m.table}`).sort(), [
        "child Dispute",
        "child Refund",
        "parent PaymentMethod",
      ]);
      const refund = procedureBody(oltp, "usp_Extract_Refund");
      assert.ok(refund.includes("WHERE t.[PaymentId] IN (SELECT a.[PaymentId] FROM #affected AS a)"));
      for (const t of ["Payment", "Dispute"])
        assert.ok(refund.includes(`CHANGETABLE(CHANGES [dbo].[${t}], @From_${t})`), t);
      assert.ok(refund.includes("IF @From_PaymentMethod <= @To_PaymentMethod"), "an empty CDC window is skipped");
      const method = procedureBody(oltp, "usp_Extract_PaymentMethod");
      assert.ok(
        method.includes(
          "WHERE t.[PaymentMethodId] IN (SELECT r.[PaymentMethodId] FROM [dbo].[Payment] AS r WHERE r.[PaymentId] IN",
        ),
      );
      // Tables outside every group return their own changes only.
      assert.doesNotMatch(procedureBody(oltp, "usp_Extract_Merchant"), /#affected/);
    });

    it("opens windows idempotently, after the last published one, with a full reload past the retention or on request", () => {
      const open = procedureBody(oltp, "usp_OpenExtractionWindows");
      for (const x of xs) {
        const t = x.table.name;
        assert.ok(
          open.includes(
            `IF NOT EXISTS (SELECT 1 FROM [etl].[ExtractionWindow] WHERE [RunDate] = @RunDate AND [TableName] = N'${t}')`,
          ),
        );
        assert.ok(open.includes(`WHERE [TableName] = N'${t}' AND [PublishedAt] IS NOT NULL ORDER BY [RunDate] DESC`));
        assert.ok(
          open.includes(
            `DECLARE @Requested_${t} NVARCHAR(300) = (SELECT [Reason] FROM [etl].[FullReloadRequest] WHERE [TableName] = N'${t}');`,
          ),
          t,
        );
        assert.ok(
          open.includes(
            `CASE WHEN @Prev_${t} IS NULL OR @Prev_${t} < @Min_${t} OR @Requested_${t} IS NOT NULL THEN 1 ELSE 0 END`,
          ),
          t,
        );
        assert.ok(
          open.includes(`WHEN @Requested_${t} IS NOT NULL THEN CONCAT(N'requested: ', @Requested_${t}) END;`),
          t,
        );
      }
      assert.match(open, /sp_getapplock/);
      assert.match(open, /another table of the Fact_Payment group reloads in full/);
    });

    it("takes a full reload request for an extracted table only, and ends it once a full reload opened after it is published", () => {
      assert.match(
        oltp,
        /IF OBJECT_ID\(N'etl\.FullReloadRequest', N'U'\) IS NULL\n {4}CREATE TABLE \[etl\]\.\[FullReloadRequest\]/,
      );
      const request = procedureBody(oltp, "usp_RequestFullReload");
      const names = /@TableName NOT IN \(([^)]*)\)/.exec(request)?.[1];
      assert.deepEqual(
        [...(names ?? "").matchAll(/N'(\w+)'/g)].map((m) => m[1]),
        xs.map((x) => x.table.name),
      );
      assert.match(request, /THROW 50105, N'@TableName must be an extracted table: /);
      assert.match(request, /THROW 50105, N'@Reason is required/);
      const published = procedureBody(oltp, "usp_MarkPublished");
      assert.match(
        published,
        /DELETE r FROM \[etl\]\.\[FullReloadRequest\] AS r JOIN \[etl\]\.\[ExtractionWindow\] AS w ON w\.\[TableName\] = r\.\[TableName\]\n\s+WHERE w\.\[RunDate\] = @RunDate AND w\.\[IsFullReload\] = 1 AND w\.\[PublishedAt\] IS NOT NULL AND w\.\[OpenedAt\] >= r\.\[RequestedAt\];/,
      );
      // After the windows are marked published (the DELETE reads PublishedAt).
      assert.ok(
        published.indexOf("UPDATE [etl].[ExtractionWindow] SET [PublishedAt]") < published.indexOf("DELETE r FROM"),
      );
    });

    it("erases a customer: every classified column (encrypted ones included) of the customer and of the rows referencing it", () => {
      const erase = procedureBody(oltp, "usp_EraseCustomer");
      const customer = dataModel.oltp.tables.find((t) => t.name === "Customer");
      for (const c of customer?.columns.filter((x) => x.classification) ?? [])
        assert.ok(erase.includes(`[${c.name}] = NULL`), c.name);
      assert.match(erase, /\[ErasedAt\] = COALESCE\(\[ErasedAt\], SYSUTCDATETIME\(\)\)/);
      const method = dataModel.oltp.tables.find((t) => t.name === "PaymentMethod");
      const card = method?.columns.filter((x) => x.classification) ?? [];
      assert.deepEqual(
        card.map((c) => c.name),
        ["Last4", "ExpMonth", "ExpYear", "Fingerprint"],
      );
      for (const c of card) assert.ok(erase.includes(`[${c.name}] = NULL`), c.name);
      for (const t of dataModel.oltp.tables.filter((x) => x.ledger))
        assert.doesNotMatch(erase, new RegExp(`UPDATE \\[dbo\\]\\.\\[${t.name}\\]`), t.name);
      assert.match(erase, /INSERT INTO \[etl\]\.\[ErasureAudit\]/);
    });

    it("every classified column is set to NULL by a generated erasure procedure (the reviewer's probe)", () => {
      // From the generated SQL, not from the generator's helpers: each `UPDATE [dbo].[T] SET ...` of a usp_Erase*.
      const erased = new Set<string>();
      for (const b of sqlBatches(oltp).filter((x) => /^ALTER PROCEDURE \[etl\]\.\[usp_Erase\w+\]/.test(x)))
        for (const u of b.matchAll(/UPDATE \[dbo\]\.\[(\w+)\]\n\s*SET ([^\n]*)/g))
          for (const c of u[2].matchAll(/\[(\w+)\] = NULL/g)) erased.add(`${u[1]}.${c[1]}`);
      const classified = dataModel.oltp.tables.flatMap((t) =>
        t.columns.filter((c) => c.classification).map((c) => `${t.name}.${c.name}`),
      );
      assert.ok(classified.includes("Merchant.ContactEmail") && classified.includes("Customer.Email"));
      assert.deepEqual(
        classified.filter((c) => !erased.has(c)),
        [],
        "classified columns no erasure procedure sets to NULL",
      );
    });

    it("erases a merchant's contact person: only the merchant row's contact columns, audited by merchant id", () => {
      const erase = procedureBody(oltp, "usp_EraseMerchantContact");
      assert.match(erase, /@MerchantId BIGINT,\n\s*@RequestId NVARCHAR\(64\)/);
      assert.match(
        erase,
        /UPDATE \[dbo\]\.\[Merchant\]\n\s*SET \[ContactEmail\] = NULL, \[ContactPhone\] = NULL\n\s*WHERE \[MerchantId\] = @MerchantId AND \(/,
      );
      assert.equal((erase.match(/^\s*UPDATE /gm) ?? []).length, 1, "the merchant's payments and payouts stay");
      assert.match(erase, /INSERT INTO \[etl\]\.\[ErasureAudit_MerchantContact\] \(\[RequestId\], \[MerchantId\]/);
      assert.ok(oltp.includes("IF OBJECT_ID(N'etl.ErasureAudit_MerchantContact', N'U') IS NULL"));
      assert.ok(erase.indexOf("SET XACT_ABORT ON;") < erase.indexOf("BEGIN TRANSACTION;"));
    });

    it("records each erasure step once per request: a retry after the commit that clears nothing adds no audit row", () => {
      for (const name of [
        "usp_EraseCustomer",
        "usp_EraseMerchantContact",
        "usp_ErasePaymentMethod",
        "usp_AuditErasure",
        "usp_AuditErasure_PaymentMethod",
      ]) {
        const erase = procedureBody(oltp, name);
        const inserts = erase.split("\n").filter((l) => /INSERT INTO \[etl\]\.\[ErasureAudit/.test(l));
        assert.ok(inserts.length >= 1, name);
        for (const insert of inserts) {
          const line = erase.split("\n").indexOf(insert);
          const guard = erase.split("\n")[line - 1] ?? "";
          // Each audit insert sits under its own guard: the same request, key and action not yet recorded (a step that
          // did clear rows is recorded whatever).
          assert.match(
            guard,
            /^\s*IF (@Rows > 0 OR )?NOT EXISTS \(SELECT 1 FROM \[etl\]\.\[ErasureAudit\w*\] WHERE \[RequestId\] = @RequestId AND /,
            `${name}: ${insert}`,
          );
          const action =
            /N'oltp', (N'(?:[^']|'')*')/.exec(insert)?.[1] ?? (insert.includes("@Action") ? "@Action" : undefined);
          assert.ok(action && guard.includes(`[Action] = ${action}`), `${name}: the guard checks the same action`);
          if (action === "@Action") assert.ok(guard.includes("[Store] = @Store"), `${name}: and the same store`);
        }
      }
    });

    it("erases a guest's card only: a payment method with a CustomerId is refused, nothing erased, the refusal audited", () => {
      const erase = procedureBody(oltp, "usp_ErasePaymentMethod");
      const at = (text: string) => {
        const i = erase.indexOf(text);
        assert.ok(i >= 0, `missing: ${text}\n${erase}`);
        return i;
      };
      // Inside the transaction, before the UPDATE: the row is locked, so its CustomerId cannot be set in between.
      const check = at(
        "IF EXISTS (SELECT 1 FROM [dbo].[PaymentMethod] WITH (UPDLOCK, HOLDLOCK) WHERE [PaymentMethodId] = @PaymentMethodId AND [CustomerId] IS NOT NULL)",
      );
      assert.ok(at("BEGIN TRANSACTION;") < check && check < at("UPDATE [dbo].[PaymentMethod]"));
      const refusal = erase.slice(check, erase.indexOf("END;", check));
      // Rolled back first, so the refusal's audit row survives the THROW (XACT_ABORT aborts only an open transaction).
      assert.ok(
        refusal.indexOf("ROLLBACK TRANSACTION;") < refusal.indexOf("INSERT INTO [etl].[ErasureAudit_PaymentMethod]"),
      );
      assert.match(
        refusal,
        /N'refused: the dbo\.PaymentMethod row has a CustomerId, so it is a Customer''s: erase that Customer \(gdpr_erasure\)', 0\);/,
      );
      assert.match(refusal, /THROW 50110, @Message, 1;/);
      const message = /SET @Message = CONCAT\(([^\n]*)\);/.exec(refusal)?.[1] ?? "";
      assert.match(
        message,
        /its CustomerId is set, so it is a Customer''s data and nothing was erased\. Erase that Customer instead \(gdpr_erasure\)/,
      );
      // The error lands in Data Factory's run history and ADFActivityRun: the request id, never the card's or the customer's.
      assert.match(message, /^N'Erasure request ', @RequestId, N'/);
      assert.doesNotMatch(message, /@PaymentMethodId|CustomerId\]/);
      // The UPDATE cannot reach a customer's card either, and the audit says whose card was erased.
      assert.match(erase, /WHERE \[PaymentMethodId\] = @PaymentMethodId AND \[CustomerId\] IS NULL AND \(/);
      assert.match(
        erase,
        /N'dbo\.PaymentMethod \(CustomerId NULL\): classified columns set to NULL \(Last4, ExpMonth, ExpYear, Fingerprint\)'/,
      );
      // A customer's cards are erased by the customer's erasure (through the key this one refuses), Cosmos DB included.
      assert.match(
        procedureBody(oltp, "usp_EraseCustomer"),
        /UPDATE \[dbo\]\.\[PaymentMethod\]\n\s*SET \[Last4\] = NULL, \[ExpMonth\] = NULL, \[ExpYear\] = NULL, \[Fingerprint\] = NULL\n\s*WHERE \[CustomerId\] = @CustomerId AND \(/,
      );
      assert.match(
        procedureBody(oltp, "usp_SubjectReferences"),
        /SELECT N'PaymentMethod' AS \[TableName\][^\n]*WHERE t\.\[CustomerId\] = @CustomerId/,
      );
      // The other subjects have no such key: no refusal.
      for (const other of ["usp_EraseCustomer", "usp_EraseMerchantContact"])
        assert.doesNotMatch(procedureBody(oltp, other), /THROW|UPDLOCK/, other);
    });

    it("docs/etl.md's query for a guest's payment methods reads model columns, keeps to guests and returns ids only", () => {
      const doc = fs.readFileSync(path.resolve(__dirname, "../../docs/etl.md"), "utf8");
      const from = doc.indexOf("**Finding a guest's payment methods.**");
      const query = /```sql\n([^]*?)```/.exec(doc.slice(from))?.[1] ?? "";
      assert.ok(from >= 0 && query, "the runbook's query");
      const aliases = new Map([...query.matchAll(/(?:FROM|JOIN) dbo\.(\w+) AS (\w+)/g)].map((x) => [x[2], x[1]]));
      assert.deepEqual(Object.fromEntries(aliases), { p: "Payment", pm: "PaymentMethod", m: "Merchant" });
      for (const [, alias, column] of query.matchAll(/\b(\w+)\.(\w+)\b/g)) {
        if (alias === "dbo") continue;
        const table = dataModel.oltp.tables.find((x) => x.name === aliases.get(alias));
        assert.ok(
          table?.columns.some((c) => c.name === column),
          `${alias}.${column} is no column of ${aliases.get(alias)}`,
        );
      }
      const live = query.replace(/^\s*--.*$/gm, "").replace(/--.*$/gm, "");
      assert.match(live, /^SELECT DISTINCT p\.PaymentMethodId\nFROM/, "ids only");
      assert.match(live, /AND pm\.CustomerId IS NULL;/, "guests only");
    });

    it("generates the refusal from the model for any subject that shares rows through a nullable key", () => {
      // A new subject of the same kind: a guest's shipping address, the customer's when CustomerId is set.
      const m = cloneModel();
      const personal = { kind: "personal" as const, mask: { fn: "default" as const } };
      m.oltp.tables.push({
        schema: "dbo",
        name: "ShippingAddress",
        description: "Where the goods of a payment are shipped.",
        columns: [
          { name: "ShippingAddressId", type: t.bigint(), nullable: false, identity: { seed: 1, increment: 1 } },
          { name: "CustomerId", type: t.bigint(), nullable: true },
          { name: "RecipientName", type: t.nvarchar(200), nullable: true, classification: personal },
          {
            name: "CreatedAt",
            type: t.datetime2(3),
            nullable: false,
            default: "SYSUTCDATETIME()",
          },
          {
            name: "UpdatedAt",
            type: t.datetime2(3),
            nullable: false,
            default: "SYSUTCDATETIME()",
          },
        ],
        primaryKey: { name: "PK_ShippingAddress", columns: ["ShippingAddressId"] },
        foreignKeys: [
          {
            name: "FK_ShippingAddress_Customer",
            columns: ["CustomerId"],
            references: { table: "Customer", columns: ["CustomerId"] },
          },
        ],
        extraction: { mode: "none", rationale: "Not in the star schema." },
      });
      m.oltp.erasureSubjects.push({
        name: "ShippingAddress",
        table: "ShippingAddress",
        erasesReferencingRows: false,
        sharesRowsWith: ["Customer"],
        onlyWhereNull: ["CustomerId"],
        description: "A guest's shipping address.",
      });
      assert.deepEqual(validateModel(m), []);
      const sql = new Map(generateAll(m).map((f) => [f.file, f.content])).get("05_oltp_etl_extraction.sql") ?? "";
      const erase = procedureBody(sql, "usp_EraseShippingAddress");
      assert.ok(
        erase.includes(
          "IF EXISTS (SELECT 1 FROM [dbo].[ShippingAddress] WITH (UPDLOCK, HOLDLOCK) WHERE [ShippingAddressId] = @ShippingAddressId AND [CustomerId] IS NOT NULL)",
        ),
        erase,
      );
      assert.match(erase, /THROW 50110, @Message, 1;/);
      assert.match(
        erase,
        /WHERE \[ShippingAddressId\] = @ShippingAddressId AND \[CustomerId\] IS NULL AND \(\[RecipientName\] IS NOT NULL\)/,
      );
      assert.match(erase, /INSERT INTO \[etl\]\.\[ErasureAudit_ShippingAddress\]/);
    });

    it("gives the ETL identity EXECUTE on the etl schema only", () => {
      const grants = oltp.match(/^GRANT .*$/gm) ?? [];
      assert.deepEqual(grants, ["GRANT EXECUTE ON SCHEMA::[etl] TO [$(EtlPrincipalName)];"]);
    });
  });

  describe("a full reload too large for one pool transaction (publish in batches)", () => {
    const fact = dataModel.olap.tables.find((x) => x.name === "Fact_Payment") as OlapTable;
    const publish = procedureBody(pool, "usp_Publish");
    const predicate =
      "(@Batches_Fact_Payment = 1 OR ABS(CAST(CHECKSUM(k.[PaymentId]) AS BIGINT)) % @Batches_Fact_Payment = @Batch_Fact_Payment)";

    it("sizes a batch so two of them (delete and insert of each row) fit the smallest pool's transaction", () => {
      assert.equal(SMALLEST_POOL_TRANSACTION_BYTES, 60 * 2 ** 30, "DW100c: 1 GB per distribution x 60");
      const rows = publishBatchRows(fact);
      assert.equal(rows, 51_000_000);
      // Fact_Payment's row is narrower than the 250 bytes Microsoft's table assumes: counted at 250.
      assert.ok(fact.columns.reduce((n, c) => n + typeBytes(c.type), 0) < 250);
      const twoBatches = 2 * rows * 2 * 250;
      assert.ok(twoBatches <= 0.8 * SMALLEST_POOL_TRANSACTION_BYTES, `${twoBatches}`);
      assert.ok(twoBatches > 0.75 * SMALLEST_POOL_TRANSACTION_BYTES, "not needlessly small");
      // A year of prod's 1M payments a day is more than one batch; a nightly run's 1M keys is one.
      assert.ok(365_000_000 > rows && 1_000_000 < rows);
    });

    it("counts each type at its storage size, so a fact grown wider batches smaller, through the generated SQL", () => {
      assert.deepEqual(
        [
          t.bigint(),
          t.int(),
          t.date(),
          t.datetime2(3),
          t.datetime2(7),
          t.decimal(19, 4),
          t.char(3),
          t.varchar(20),
          t.nvarchar(100),
        ].map(typeBytes),
        [8, 4, 3, 7, 8, 9, 3, 22, 202],
      );
      const model = cloneModel();
      const wide = model.olap.tables.find((x) => x.name === "Fact_Payment") as OlapTable;
      wide.columns.push({ name: "MerchantNote", type: t.nvarchar(400), nullable: true });
      const bytes = wide.columns.reduce((n, c) => n + typeBytes(c.type), 0);
      assert.ok(bytes > 250);
      const rows = publishBatchRows(wide);
      assert.ok(rows < 51_000_000 && 2 * rows * 2 * bytes <= 0.8 * SMALLEST_POOL_TRANSACTION_BYTES, `${rows}`);
      assert.equal(rows, Math.floor((0.4 * SMALLEST_POOL_TRANSACTION_BYTES) / (2 * bytes) / 1e6) * 1e6);
    });

    it("counts the batches from the keys the run replaces, at least one (a nightly run stays in one transaction)", () => {
      assert.ok(
        publish.includes(
          "SET @Batches_Fact_Payment = (SELECT (COUNT_BIG(*) + 50999999) / 51000000 FROM #c_Fact_Payment_keys);\n    IF @Batches_Fact_Payment < 1 SET @Batches_Fact_Payment = 1;",
        ),
      );
      // Counted before the gate and the transaction: no batch is known inside it only.
      assert.ok(publish.indexOf("SET @Batches_Fact_Payment =") < publish.indexOf("THROW 50202"));
      // The publish transaction opens once before the loop; the loop opens one only after a batch was committed.
      const tx = publish.slice(publish.indexOf("BEGIN TRY"), publish.indexOf("END TRY"));
      assert.equal(tx.split("BEGIN TRANSACTION;").length - 1, 2);
      assert.match(tx, /^BEGIN TRY\n\s+BEGIN TRANSACTION;/);
      assert.match(
        tx,
        /WHILE @Batch_Fact_Payment < @Batches_Fact_Payment\n\s+BEGIN\n\s+IF @@TRANCOUNT = 0\n\s+BEGIN TRANSACTION;/,
      );
      // Every batch but the last commits on its own, after its own check; the last commits with the rest.
      const commits = [...tx.matchAll(/COMMIT TRANSACTION;/g)].map((m) => m.index ?? 0);
      assert.equal(commits.length, 2);
      const inner = tx.slice(0, commits[0]);
      assert.match(inner, /IF @Batch_Fact_Payment < @Batches_Fact_Payment - 1\n\s+BEGIN\n\s+$/);
      assert.ok(inner.lastIndexOf("THROW 50204") > inner.lastIndexOf("INSERT INTO [dbo].[Fact_Payment]"));
      assert.match(tx.slice(commits[1] - 40), /END;\n\s+COMMIT TRANSACTION;\n\s*$/);
    });

    it("deletes, inserts and re-checks exactly one batch's keys each time round, and adds up the run's totals", () => {
      const loop = publish.slice(publish.indexOf("WHILE @Batch_Fact_Payment"), publish.indexOf("END TRY"));
      const statements = loop.split("\n").map((l) => l.trim());
      const touching = statements.filter((l) =>
        /^(DELETE FROM|SELECT c\.|SET @Batch(Amount)?(Expected|Actual) =)/.test(l),
      );
      assert.equal(touching.length, 6);
      // Every one reads the batch from the keys table (one membership, whatever the candidates' key type).
      for (const l of touching)
        assert.ok(l.includes(`(SELECT k.[PaymentId] FROM #c_Fact_Payment_keys AS k WHERE ${predicate})`), l);
      assert.doesNotMatch(loop, /CHECKSUM\(c\./);
      assert.ok(statements.includes("SET @Expected_Fact_Payment = @Expected_Fact_Payment + @BatchExpected;"));
      assert.ok(statements.includes("SET @Actual_Fact_Payment = @Actual_Fact_Payment + @BatchActual;"));
      assert.ok(statements.includes("SET @Batch_Fact_Payment = @Batch_Fact_Payment + 1;"));
      // The totals restart at zero each call (a session may call it twice).
      for (const v of ["Batch", "Expected", "Actual", "AmountExpected", "AmountActual"])
        assert.ok(publish.includes(`SET @${v}_Fact_Payment = 0;\n`), v);
    });

    it("names the committed batches when a later one fails, and records the batch count with the published check", () => {
      assert.match(
        publish,
        /CASE WHEN @BatchesCommitted > 0 THEN CONCAT\(N'publish failed after ', @BatchesCommitted, N' batch\(es\) of the full reload were committed/,
      );
      assert.ok(publish.includes("@BatchesCommitted BIGINT = 0"));
      assert.ok(publish.includes("SET @BatchesCommitted = @BatchesCommitted + 1;"));
      assert.match(publish, /CONCAT\(N' \(batch ', @Batch_Fact_Payment \+ 1, N' of ', @Batches_Fact_Payment, N'\)'\)/);
      assert.ok(
        publish.includes(
          "CASE WHEN @Batches_Fact_Payment > 1 THEN CONCAT(N'full reload in ', @Batches_Fact_Payment, N' batches') END",
        ),
      );
      // Each committed batch leaves its progress as the run's reason at once (autocommit), which a publish Data
      // Factory cancels keeps (usp_FailRun keeps the first reason); success clears it.
      const commit = publish.indexOf("SET @BatchesCommitted = @BatchesCommitted + 1;");
      const progress = publish.indexOf("UPDATE [etl].[RunLog] SET [Reason] = CONCAT(N'full reload in progress: '");
      assert.ok(commit > 0 && progress > commit && progress < publish.indexOf("END TRY"));
      assert.match(publish, /SET \[Status\] = 'published', \[FinishedAt\] = SYSUTCDATETIME\(\), \[Reason\] = NULL/);
    });
  });

  describe("pool load (14)", () => {
    it("stages the subject's erasure time for its dimension even when no column maps it", () => {
      const model = cloneModel();
      const m = mappingOf(model, "Dim_Customer", "oltp");
      m.columns = m.columns.filter((c) => c.source.column !== "ErasedAt");
      const star = model.olap.tables.filter((x) => x.role !== "staging");
      const customer = deriveStagingTables(model.oltp, model.olap.mappings, star).find((t) => t.name === "Customer");
      assert.ok(customer?.columns.some((c) => c.name === "ErasedAt"));
    });
    it("loads an erased customer's attributes as NULL, as the warehouse erasure leaves them (the next night cannot undo it)", () => {
      const erase = pool.slice(pool.indexOf("usp_EraseCustomer"));
      const set =
        /UPDATE \[dbo\]\.\[Dim_Customer\] SET (.*) WHERE \[CustomerKey\] = @CustomerKey;/.exec(erase)?.[1] ?? "";
      const nulled = [...set.matchAll(/\[(\w+)\] = NULL/g)].map((x) => x[1]);
      assert.ok(nulled.length >= 2, set);
      const candidates = pool.slice(pool.indexOf("CREATE TABLE #c_Dim_Customer WITH")).split("\n").slice(0, 12);
      for (const c of nulled) {
        const line = candidates.find((l) => l.includes(`AS [${c}]`)) ?? "";
        assert.ok(line.includes("CASE WHEN [Customer].[ErasedAt] IS NOT NULL THEN NULL ELSE"), `${c}: ${line}`);
      }
    });
    it("is written for a dedicated SQL pool", () => {
      const code = sqlBatches(pool).join("\n");
      const forbidden: [RegExp, string][] = [
        [/\bMERGE\b/, "no MERGE: a MERGE that inserts needs a HASH target (the dimensions are REPLICATE)"],
        [/CREATE OR ALTER/i, "not supported in a dedicated pool"],
        [/@@ROWCOUNT/i, "not supported in a dedicated pool"],
        [/XACT_ABORT/i, "not supported in a dedicated pool"],
        [/DECLARE @\w+ TABLE/i, "table variables are not supported in a dedicated pool"],
        [/^\s*WITH\s+\w+\s+AS\s*\(/im, "no CTE in front of an INSERT/UPDATE/DELETE"],
        [/^\s*UPDATE[^;]*\bJOIN\b/im, "UPDATE takes implicit joins only (no ANSI JOIN)"],
        [/^\s*DELETE[^;]*\bJOIN\b/im, "DELETE takes no ANSI JOIN"],
      ];
      for (const [re, why] of forbidden) assert.doesNotMatch(code, re, why);
      // INSERT … VALUES takes constants and variables only in a dedicated pool ("Msg 104334: Insert values statement
      // can contain only constant literal values or variable references"): a function (SYSUTCDATETIME()) goes through
      // INSERT … SELECT.
      // Every script that runs in the pool (10 to 15), not only this one.
      const poolScripts = [...files.entries()].filter(([name]) => /^1[0-5]_/.test(name)).map(([, text]) => text);
      assert.ok(poolScripts.length >= 5, "the pool's scripts");
      const values = poolScripts.flatMap((text) => [...text.matchAll(/\bVALUES\s*\(([^;]*)\)\s*;/g)]);
      assert.ok(values.length > 5 && values.length < 200, `${values.length} INSERT … VALUES in the pool's scripts`);
      for (const [statement, items] of values)
        for (const item of items.match(/N?'(?:[^']|'')*'|[^,]+/g) ?? [])
          assert.match(
            item.trim(),
            /^(N?'(?:[^']|'')*'|NULL|-?\d+(\.\d+)?|@\w+)$/i,
            `${statement.slice(0, 80)}: ${item.trim()} is neither a constant nor a variable`,
          );
      // No DDL inside the publish transaction.
      const publish = procedureBody(pool, "usp_Publish");
      const tx = publish.slice(publish.indexOf("BEGIN TRANSACTION;"), publish.indexOf("COMMIT TRANSACTION;"));
      assert.ok(tx.length > 0);
      assert.doesNotMatch(tx, /CREATE TABLE|DROP TABLE|TRUNCATE/);
    });

    it("loads replicated dimensions by UPDATE…FROM plus INSERT…WHERE NOT EXISTS, type 2 where the model keeps history", () => {
      const publish = procedureBody(pool, "usp_Publish");
      for (const d of dataModel.olap.tables.filter(
        (t) => t.role === "dimension" && dataModel.olap.mappings.some((m) => m.kind === "oltp" && m.target === t.name),
      )) {
        const key = d.primaryKey?.columns[0];
        assert.ok(publish.includes(`UPDATE [dbo].[${d.name}]`), d.name);
        assert.ok(
          publish.includes(`WHERE NOT EXISTS (SELECT 1 FROM [dbo].[${d.name}] AS x WHERE x.[${key}] = s.[${key}]);`),
          d.name,
        );
        if (d.history) {
          assert.ok(
            publish.includes(`SET [${d.history.validTo}] = s.[__ChangedAt], [${d.history.isCurrent}] = 0`),
            d.name,
          );
          assert.ok(publish.includes(`FROM #c_${d.name}_changed AS s;`), d.name);
        }
      }
    });

    it("replaces the fact's rows per key (idempotent per runDate) and never overwrites a newer row", () => {
      const publish = procedureBody(pool, "usp_Publish");
      assert.ok(
        publish.includes(
          "DELETE FROM [dbo].[Fact_Payment] WHERE [PaymentId] IN (SELECT k.[PaymentId] FROM #c_Fact_Payment_keys AS k WHERE (@Batches_Fact_Payment = 1 OR ABS(CAST(CHECKSUM(k.[PaymentId]) AS BIGINT)) % @Batches_Fact_Payment = @Batch_Fact_Payment));",
        ),
      );
      assert.match(publish, /INSERT INTO \[dbo\]\.\[Fact_Payment\] \(/);
      assert.ok(publish.includes("x.[UpdatedAt] > s.[UpdatedAt]"));
      // Staging deduplicated per key first, hashed like the fact where it joins on PaymentId.
      assert.ok(publish.includes("CREATE TABLE #s_Payment WITH (DISTRIBUTION = HASH([PaymentId]), HEAP) AS"));
      assert.match(publish, /ROW_NUMBER\(\) OVER \(PARTITION BY s\.\[PaymentId\] ORDER BY s\.\[ChangeVersion\] DESC\)/);
      // Late-arriving keys get an inferred member instead of failing or losing the key.
      assert.match(
        publish,
        /INSERT INTO \[dbo\]\.\[Dim_Merchant\] \([^)]*\[IsInferred\]\)\n\s*SELECT DISTINCT f\.\[MerchantKey\], [^\n]*, 1\n\s*FROM #c_Fact_Payment AS f/,
      );
    });

    it("gates on data quality: each check recorded, a failed one fails the run before anything is written", () => {
      const staging = procedureBody(pool, "usp_CheckStaging");
      for (const check of ["rows_source_vs_staging", "tables_staged", "required_not_null"])
        assert.ok(staging.includes(`'${check}'`), check);
      assert.match(staging, /THROW 50201, @Reason, 1;/);
      const publish = procedureBody(pool, "usp_Publish");
      for (const check of [
        "required_not_null",
        "orphan_keys",
        "late_arriving_keys",
        "amounts_per_day",
        "rows_staging_vs_fact",
      ])
        assert.ok(publish.includes(`'${check}'`), check);
      const gate = publish.indexOf("THROW 50202, @Reason, 1;");
      assert.ok(gate > 0 && gate < publish.indexOf("BEGIN TRANSACTION;"), "the gate fails before the transaction");
      assert.match(publish, /BEGIN CATCH\n\s+IF @@TRANCOUNT > 0\n\s+ROLLBACK TRANSACTION;/);
      assert.match(publish, /THROW 50204, @Reason, 1;/);
    });

    it("drops every temp table before creating it (a pool's temp tables outlive the call, for the session)", () => {
      let created = 0;
      for (const [file, sql] of files) {
        if (!/^1\d_olap_/.test(file)) continue;
        const lines = sql.split("\n");
        lines.forEach((line, i) => {
          const m = /^\s*CREATE TABLE (#\w+)/.exec(line);
          if (!m) return;
          created++;
          assert.equal(
            lines[i - 1]?.trim(),
            `IF OBJECT_ID(N'tempdb..${m[1]}') IS NOT NULL DROP TABLE ${m[1]};`,
            `${file}:${i + 1} ${m[1]}`,
          );
        });
      }
      assert.ok(created >= 10, `${created} temp tables`);
    });

    it("compacts the streamed facts of the run date on their grain (at-least-once delivery), only when duplicated", () => {
      const compact = procedureBody(pool, "usp_CompactStreamFacts");
      const grain = "[MinuteStart], [MerchantKey], [HttpMethod], [Endpoint]";
      assert.ok(compact.includes("ORDER BY f.[RequestCount] DESC"), "keeps the most complete row");
      assert.match(
        compact,
        /IF @Duplicates > 0\n\s*BEGIN\n\s*IF OBJECT_ID\(N'tempdb\.\.#c_Fact_API_Performance_compacted'\) IS NOT NULL DROP TABLE #c_Fact_API_Performance_compacted;\n\s*CREATE TABLE #c_Fact_API_Performance_compacted/,
      );
      // A retry on the same session finds its temp tables gone: each is dropped before it is created.
      assert.ok(
        compact.includes(
          "IF OBJECT_ID(N'tempdb..#c_Fact_API_Performance_duplicated') IS NOT NULL DROP TABLE #c_Fact_API_Performance_duplicated;\n",
        ),
      );
      // Only the duplicated grains are deleted and put back: a row the loader inserts for the run date meanwhile stays.
      assert.ok(!compact.includes("DELETE FROM [dbo].[Fact_API_Performance] WHERE [DateKey] = @DateKey;"));
      const key =
        "CONCAT(CONVERT(VARCHAR(33), [MinuteStart], 126), NCHAR(31), CAST([MerchantKey] AS NVARCHAR(4000)), NCHAR(31), " +
        "CAST([HttpMethod] AS NVARCHAR(4000)), NCHAR(31), CAST([Endpoint] AS NVARCHAR(4000)))";
      assert.ok(
        compact.includes(
          `DELETE FROM [dbo].[Fact_API_Performance] WHERE [DateKey] = @DateKey AND ${key} IN (SELECT [GrainKey] FROM #c_Fact_API_Performance_duplicated);`,
        ),
      );
      assert.ok(
        compact.includes(
          `SELECT ${key} AS [GrainKey] FROM [dbo].[Fact_API_Performance] WHERE [DateKey] = @DateKey GROUP BY ${grain} HAVING COUNT_BIG(*) > 1;`,
        ),
      );
      // The kept rows are those of the duplicated grains only (what the DELETE removes, once each).
      assert.match(
        compact,
        /AS \[RowNumber\] FROM \[dbo\]\.\[Fact_API_Performance\] AS f WHERE f\.\[DateKey\] = @DateKey AND CONCAT\(CONVERT\(VARCHAR\(33\), f\.\[MinuteStart\], 126\)[^;]* IN \(SELECT \[GrainKey\] FROM #c_Fact_API_Performance_duplicated\)\) AS x/,
      );
    });

    it("erases a customer in every dimension version and in staging, and audits it", () => {
      const erase = procedureBody(pool, "usp_EraseCustomer");
      // Every nullable attribute of the model's Dim_Customer (not its key or validity columns) goes, IsErased is set.
      const dim = dataModel.olap.tables.find((t) => t.name === "Dim_Customer" && t.role === "dimension");
      const h = dim?.history;
      const kept = [dim?.primaryKey?.columns[0], h?.validFrom, h?.validTo, h?.isCurrent, h?.isInferred];
      const set = (dim?.columns ?? [])
        .filter((c) => !kept.includes(c.name))
        .flatMap((c) => (c.name === "IsErased" ? ["[IsErased] = 1"] : c.nullable ? [`[${c.name}] = NULL`] : []));
      assert.ok(set.includes("[BillingCountryCode] = NULL") && set.includes("[IsErased] = 1"), set.join(", "));
      assert.ok(
        erase.includes(`UPDATE [dbo].[Dim_Customer] SET ${set.join(", ")} WHERE [CustomerKey] = @CustomerKey;`),
        set.join(", "),
      );
      assert.doesNotMatch(erase, /IsCurrent/, "every version, not only the current one");
      assert.ok(erase.includes("DELETE FROM [stg].[Customer] WHERE [CustomerId] = @CustomerKey;"));
      assert.match(erase, /INSERT INTO \[etl\]\.\[ErasureAudit\]/);
    });
  });

  // The statements whose loss would corrupt the warehouse or an erasure without changing anything else a test reads:
  // each was a mutant the committed-file comparison alone caught (regenerate, and it passed; mutation audit).
  describe("what each statement must keep (history, deletes, windows, erasure)", () => {
    const publish = procedureBody(pool, "usp_Publish");
    const historied = dataModel.olap.tables.filter((t) => t.history);

    it("type 2 dimensions: a version closes and opens only on a tracked change after it began, NULL-safe", () => {
      assert.ok(historied.length > 0);
      for (const d of historied) {
        const h = d.history!;
        const key = d.primaryKey?.columns[0] ?? d.columns[0].name;
        const T = d.name;
        // Against the current, real version only, changed strictly after it began (an equal time is the same change).
        assert.ok(
          publish.includes(
            `INNER JOIN [dbo].[${T}] AS d ON d.[${key}] = s.[${key}] AND d.[${h.isCurrent}] = 1 AND d.[${h.isInferred}] = 0\n    WHERE s.[__ChangedAt] > d.[${h.validFrom}]`,
          ),
          `${T}: changed candidates`,
        );
        for (const c of h.tracked)
          assert.ok(
            publish.includes(
              `(s.[${c}] IS NULL AND d.[${c}] IS NOT NULL) OR (s.[${c}] IS NOT NULL AND d.[${c}] IS NULL)`,
            ),
            `${T}.${c}: a change to or from NULL is a change`,
          );
        // Close the current version only, then open the new one as current and real.
        assert.ok(
          publish.includes(
            `FROM #c_${T}_changed AS s\n        WHERE [${T}].[${key}] = s.[${key}] AND [${T}].[${h.isCurrent}] = 1;`,
          ),
          `${T}: closes the current version only`,
        );
        assert.match(publish, new RegExp(`s\\.\\[__ChangedAt\\], '9999-12-31', 1, 0\\n\\s*FROM #c_${T}_changed AS s;`));
        // Type 1 overwrites untracked attributes in every version, never a tracked one (that would rewrite history).
        const type1 = new RegExp(
          `UPDATE \\[dbo\\]\\.\\[${T}\\]\\n\\s*SET ([^\\n]*)\\n\\s*FROM #c_${T} AS s\\n\\s*WHERE \\[${T}\\]\\.\\[${key}\\] = s\\.\\[${key}\\];`,
        ).exec(publish);
        assert.ok(type1, `${T}: type 1 update`);
        for (const c of h.tracked) assert.ok(!type1[1].includes(`[${c}] =`), `${T}: type 1 leaves ${c} alone`);
        // An inferred member takes the real attributes in place, and only an inferred one.
        assert.match(
          publish,
          new RegExp(
            `\\[${h.isInferred}\\] = 0\\n\\s*FROM #c_${T} AS s\\n\\s*WHERE \\[${T}\\]\\.\\[${key}\\] = s\\.\\[${key}\\] AND \\[${T}\\]\\.\\[${h.isInferred}\\] = 1;`,
          ),
        );
      }
    });

    it("a delete is read from each change source's own operation code, and deleted rows never load or sum", () => {
      const xs = extractedTables(dataModel);
      const count = (needle: string) => pool.split(needle).length - 1;
      assert.equal(
        count("CASE WHEN s.[CdcOperation] = 1 THEN 1 ELSE 0 END AS [IsDeleted]"),
        xs.filter((x) => x.mode === "cdc").length,
        "CDC: operation 1 is a delete",
      );
      assert.equal(
        count("CASE WHEN s.[ChangeOperation] = 'D' THEN 1 ELSE 0 END AS [IsDeleted]"),
        xs.filter((x) => x.mode !== "cdc").length,
        "change tracking: 'D' is a delete",
      );
      for (const g of factGroups(dataModel)) {
        assert.ok(publish.includes(`WHERE [${g.root}].[IsDeleted] = 0 AND [${g.root}].[${g.rootKey}] IN (`), g.fact);
        for (const m of g.members.filter((x) => x.relation === "child"))
          assert.ok(publish.includes(`FROM #s_${m.table} WHERE [IsDeleted] = 0 GROUP BY [${g.rootKey}]`), m.table);
      }
      for (const g of factGroups(dataModel)) {
        // The amounts gate sums the live source rows only, and the apply is rolled back when its amounts differ.
        assert.ok(
          publish.includes(`FROM #s_${g.root} AS s WHERE s.[IsDeleted] = 0 AND s.[${g.rootKey}] IN (`),
          `${g.fact}: amounts of live rows`,
        );
        assert.ok(
          publish.includes("IF @BatchExpected <> @BatchActual OR @BatchAmountExpected <> @BatchAmountActual"),
          `${g.fact}: amounts after apply`,
        );
        // A related row already read as changed is not read again as related (no duplicate key in staging).
        for (const m of g.members.filter((x) => x.relation === "child")) {
          const key = dataModel.oltp.tables.find((t) => t.name === m.table)?.primaryKey.columns[0];
          assert.ok(
            procedureBody(oltp, `usp_Extract_${m.table}`).includes(
              `AND NOT EXISTS (SELECT 1 FROM #changed AS c WHERE c.[${key}] = t.[${key}]);`,
            ),
            `${m.table}: related rows exclude changed ones`,
          );
        }
      }
      // A required column may be NULL only in a delete (change tracking 'D', CDC operation 1).
      const check = procedureBody(pool, "usp_CheckStaging");
      for (const x of extractedTables(dataModel)) {
        const notDelete =
          x.mode === "cdc"
            ? "([CdcOperation] IS NULL OR [CdcOperation] <> 1)"
            : "([ChangeOperation] IS NULL OR [ChangeOperation] <> 'D')";
        assert.ok(
          check.includes(`FROM [stg].[${x.table.name}] WHERE ${notDelete} AND (`),
          `${x.table.name}: required columns`,
        );
      }
      // A key outside its dimension loads as the unknown member, never as NULL (a fact row lost to every join).
      for (const m of dataModel.olap.mappings)
        if (m.kind === "oltp")
          for (const c of m.columns) {
            if (c.transform.kind === "dateKey")
              assert.ok(
                publish.includes(`ISNULL([dk_${c.target}].[DateKey], ${c.transform.unknown})`),
                `${m.target}.${c.target}`,
              );
            if (c.transform.kind === "unknownMember")
              assert.ok(
                publish.includes(`ISNULL([${c.source.table}].[${c.source.column}], ${c.transform.value})`),
                `${m.target}.${c.target}`,
              );
          }
      // The gate compares source and staged rows for equality (more staged rows is a failure too).
      assert.ok(
        procedureBody(pool, "usp_CheckStaging").includes("CASE WHEN s.[SourceRows] = s.[StagedRows] THEN 1 ELSE 0 END"),
      );
    });

    it("windows start after the last published position, a full reload is this run's, and publishing marks this run's", () => {
      const open = procedureBody(oltp, "usp_OpenExtractionWindows");
      for (const x of extractedTables(dataModel).filter((t) => t.mode === "cdc")) {
        const T = x.table.name;
        const next = `IF @Prev_${T} IS NOT NULL SET @Prev_${T} = sys.fn_cdc_increment_lsn(@Prev_${T});`;
        assert.ok(open.includes(next), `${T}: after the last LSN read, not at it`);
      }
      assert.ok(open.includes("WHERE [RunDate] = @RunDate AND [IsFullReload] = 1 AND [TableName] IN ("));
      assert.match(
        procedureBody(oltp, "usp_MarkPublished"),
        /WHERE \[RunDate\] = @RunDate AND \[PublishedAt\] IS NULL;/,
      );
      // A change-tracking row's key comes from the change table: a deleted row has no live row to read it from.
      for (const x of extractedTables(dataModel).filter((t) => t.mode !== "cdc"))
        for (const k of x.table.primaryKey.columns)
          assert.ok(
            procedureBody(oltp, `usp_Extract_${x.table.name}`).includes(`ct.[${k}] AS [${k}]`),
            `${x.table.name}.${k}`,
          );
    });

    it("erasure: all or nothing, each referencing table by its foreign key, every staged and raw copy", () => {
      const erase = procedureBody(oltp, "usp_EraseCustomer");
      assert.ok(
        erase.indexOf("SET XACT_ABORT ON;") < erase.indexOf("BEGIN TRANSACTION;") &&
          erase.includes("SET XACT_ABORT ON;"),
      );
      assert.match(
        erase,
        /UPDATE \[dbo\]\.\[PaymentMethod\]\n\s*SET [^\n]*\n\s*WHERE \[CustomerId\] = @CustomerId AND \(/,
      );
      const poolErase = procedureBody(pool, "usp_EraseCustomer");
      for (const t of ["Customer", "PaymentMethod"])
        assert.ok(poolErase.includes(`DELETE FROM [stg].[${t}] WHERE [CustomerId] = @CustomerKey;`), `stg.${t}`);
      const record = procedureBody(pool, "usp_RecordStaged");
      for (const t of ["Customer", "PaymentMethod"])
        assert.match(
          record,
          new RegExp(
            `IF @TableName = N'${t}'\\n\\s*BEGIN\\n[^]*?INSERT INTO \\[etl\\]\\.\\[SubjectPartition\\][^]*?FROM \\[stg\\]\\.\\[${t}\\] AS s`,
          ),
          `${t}: its raw partitions are recorded for the erasure`,
        );
    });
  });
});
