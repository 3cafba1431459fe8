/**
 * `sql.maxSizeGb` against the deployed database's space (components/oltp/space.ts): the usages read, each verdict on
 * hand-made figures, the geo-secondary's compute size, and a preview of a deployed prod refusing a max size below the
 * space the database uses.
 */
import { strict as assert } from "node:assert";
import { GIB } from "../components/oltp/settings";
import {
  ALLOCATION_MARGIN_BYTES,
  geoSecondaryConflicts,
  lowersMaxSize,
  maxSizeConflicts,
  secondaryMaxSizeConflicts,
  sqlSpaceUsage,
} from "../components/oltp/space";
import { ARM_READ } from "../tools/lib/azureMocks";
import { refusalOf, runDeployedElsewise } from "./helpers/deployedElsewise";
import { invokesOf, previewOf } from "./helpers/stacks";

const where = { resourceGroup: "rg", server: "sql-x", database: "payments" };
const bc8 = (maxGb: number) => ({
  sku: { name: "BC_Gen5", tier: "BusinessCritical", capacity: 8 },
  maxSizeBytes: maxGb * GIB,
});
const config = (maxSizeGb: number) => ({ maxSizeGb, sku: { name: "BC_Gen5" as const, capacity: 8 as const } });

describe("the OLTP database's space against sql.maxSizeGb", () => {
  it("reads the space used and allocated from Database Usages, by name", () => {
    // Microsoft.Sql's example (GetDatabaseUsages.json, 2023-08-01) has the used space only.
    assert.deepEqual(
      sqlSpaceUsage({
        value: [
          {
            properties: { displayName: "Database Size", currentValue: 4194304.0, limit: 268435456000.0, unit: "Bytes" },
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/x/databases/testdb/usages/database_size",
            name: "database_size",
            type: "Microsoft.Sql/servers/databases/usages",
          },
        ],
      }),
      { usedBytes: 4194304, allocatedBytes: undefined },
    );
    assert.deepEqual(
      sqlSpaceUsage({
        value: [
          { name: "database_allocated_size", properties: { currentValue: 9 } },
          { name: "database_size", properties: { currentValue: 7 } },
        ],
      }),
      { usedBytes: 7, allocatedBytes: 9 },
    );
    assert.deepEqual(sqlSpaceUsage({}), { usedBytes: undefined, allocatedBytes: undefined });
  });

  it("reads the space only for a lower max size, never for Hyperscale", () => {
    assert.equal(lowersMaxSize(bc8(2048), config(1024)), true);
    assert.equal(lowersMaxSize(bc8(1024), config(1024)), false);
    assert.equal(lowersMaxSize(bc8(512), config(1024)), false);
    assert.equal(
      lowersMaxSize({ sku: { name: "HS_Gen5", tier: "Hyperscale" }, maxSizeBytes: 2048 * GIB }, config(1024)),
      false,
    );
    assert.equal(lowersMaxSize({ sku: bc8(1).sku }, config(1024)), false);
    // The config moving it to Hyperscale (its storage grows on its own): no space to compare.
    assert.equal(lowersMaxSize(bc8(2048), { maxSizeGb: 1024, sku: { name: "HS_Gen5", capacity: 8 } }), false);
  });

  it("refuses a max size below the space used (delete data first), naming the least that holds it", () => {
    const [c, ...more] = maxSizeConflicts(
      bc8(2048),
      { usedBytes: 1100.2 * GIB, allocatedBytes: 1300 * GIB },
      config(1024),
    );
    assert.deepEqual(more, []);
    assert.equal(c.kind, "refused");
    assert.equal(c.key, "sql.maxSizeGb");
    assert.equal(c.deployed, "2048");
    assert.equal(c.wanted, "1024");
    assert.match(c.remedy, /uses 1100\.2 GB of data space/);
    assert.match(c.remedy, /45351/);
    assert.match(c.remedy, /set 1101 or more, or delete data first/);
  });

  it("refuses a max size between the space used and the space allocated (shrink first)", () => {
    const [c] = maxSizeConflicts(bc8(2048), { usedBytes: 900 * GIB, allocatedBytes: 1300 * GIB }, config(1024));
    assert.equal(c.kind, "refused");
    assert.match(c.remedy, /1300\.0 GB of data space allocated \(900\.0 GB used\)/);
    assert.match(c.remedy, /DBCC SHRINKDATABASE/);
    assert.match(c.remedy, /or set 1300 or more/);
    // Allocated space alone (the used space unread) decides too.
    assert.equal(maxSizeConflicts(bc8(2048), { allocatedBytes: 1300 * GIB }, config(1024))[0].kind, "refused");
  });

  it("advises against a max size within 1 GB of the allocation, and takes one above it", () => {
    const close = 1024 * GIB - ALLOCATION_MARGIN_BYTES / 2;
    const [c] = maxSizeConflicts(bc8(2048), { usedBytes: 800 * GIB, allocatedBytes: close }, config(1024));
    assert.equal(c.kind, "advised");
    assert.match(c.remedy, /less than 1 GB below the new max size/);
    assert.deepEqual(
      maxSizeConflicts(bc8(2048), { usedBytes: 800 * GIB, allocatedBytes: 900 * GIB }, config(1024)),
      [],
    );
    // Nothing read (no lowering, or the read found no database): nothing to compare.
    assert.deepEqual(maxSizeConflicts(bc8(2048), undefined, config(1024)), []);
    assert.deepEqual(maxSizeConflicts(bc8(512), { usedBytes: 800 * GIB }, config(1024)), []);
  });

  it("refuses a max size the geo-secondary's compute size does not allow, with the command that scales it first", () => {
    const small = { sku: { name: "BC_Gen5", tier: "BusinessCritical", capacity: 4 } };
    const [c] = secondaryMaxSizeConflicts(small, { maxSizeGb: 2048, sku: { name: "BC_Gen5", capacity: 8 } }, where);
    assert.equal(c.kind, "refused");
    assert.equal(c.deployed, "at most 1024 on the geo-secondary (BC_Gen5 with 4 vCores)");
    assert.match(c.remedy, /GeoSecondaryMaxSizeUpdateFailed/);
    assert.match(c.remedy, /az sql db update -g rg -s sql-x -n payments --capacity 8, then pulumi up --refresh/);
    assert.deepEqual(
      secondaryMaxSizeConflicts(small, { maxSizeGb: 1024, sku: { name: "BC_Gen5", capacity: 8 } }, where),
      [],
    );
    // A service objective the limits table does not know: nothing claimed.
    assert.deepEqual(
      secondaryMaxSizeConflicts(
        { sku: { name: "BC_DC", capacity: 4 } },
        { maxSizeGb: 2048, sku: { name: "BC_Gen5", capacity: 8 } },
        where,
      ),
      [],
    );
  });

  it("a preview of prod whose database uses more than the config's lower max size refuses it, after reading the space", async function () {
    this.timeout(300_000);
    const text = await refusalOf("prod", "space");
    assert.match(
      text,
      /error serializing property "databaseName": the stack config asks for a change Azure refuses on the database 'payments' on the server 'sql-pay-prod-weu-[^']+' as the program would send it:\n {2}sql\.maxSizeGb: the deployed value is 2048, the stack config asks for 1024\. The database uses 1100\.0 GB of data space/,
    );
  });

  it("warns, naming the command, when the space cannot be read, and goes on", async function () {
    this.timeout(300_000);
    const { error, warned } = await runDeployedElsewise("prod", "space-unreadable");
    assert.equal(error, undefined);
    const about = warned.filter((w) => w.includes("sql.maxSizeGb"));
    assert.equal(about.length, 1, about.join("\n"));
    assert.match(
      about[0],
      /^the database 'payments' on the server 'sql-pay-prod-weu-[^']+': the stack config lowers sql\.maxSizeGb, and its data space could not be read to compare \(Error: GET \S+\/usages \(api-version 2023-08-01\) failed after 4 tries: HTTP 503 Code="ServiceUnavailable" Message="try later"\)/,
    );
    assert.match(
      about[0],
      /check with `az sql db list-usages --ids \/subscriptions\/\S+\/databases\/payments` before the up\.$/,
    );
  });

  it("compares with the used space alone, with a warning, when Azure reports no allocated space", async function () {
    this.timeout(300_000);
    const { error, warned } = await runDeployedElsewise("prod", "space-unallocated");
    // 900 GB used fit under 1,024: taken.
    assert.equal(error, undefined);
    assert.deepEqual(
      warned
        .filter((w) => w.includes("sql.maxSizeGb"))
        .map((w) => w.replace(/^.*?: the stack config/, "the stack config").split(";")[0]),
      [
        "the stack config lowers sql.maxSizeGb, and Azure reported the space it uses but not the space allocated (database_allocated_size): compared with the used space only",
      ],
    );
  });

  it("reads no space when the deployed max size is the config's, and none in the offline preview's deployed view", async function () {
    this.timeout(300_000);
    const same = await runDeployedElsewise("prod", "space-same");
    assert.equal(same.error, undefined);
    assert.deepEqual(
      same.reads.filter((r) => r.endsWith("/usages")),
      [],
    );
    // The same fixture reads it when the config lowers it (so the assertion above could fail).
    const lower = await runDeployedElsewise("prod", "space-unallocated");
    assert.equal(lower.reads.filter((r) => r.endsWith("/databases/payments/usages")).length, 1);
    const { run } = await previewOf("prod");
    assert.deepEqual(
      invokesOf(run, ARM_READ).filter((i) => String(i.inputs.resourceId).endsWith("/usages")),
      [],
    );
  });

  it("refuses on the primary a geo-secondary too small or of a lower tier, leaving out the advice the refusal repeats", () => {
    const where2 = { resourceGroup: "rg", server: "sql-neu", database: "payments" };
    const small = { sku: { name: "BC_Gen5", tier: "BusinessCritical", capacity: 4 } };
    // More vCores and a max size the secondary's 4 vCores cannot hold: one refusal, no advice.
    assert.deepEqual(
      geoSecondaryConflicts(small, { maxSizeGb: 2048, sku: { name: "BC_Gen5", capacity: 8 } }, where2).map((c) => [
        c.key,
        c.kind,
      ]),
      [["sql.maxSizeGb", "refused"]],
    );
    // More vCores alone: the advice.
    assert.deepEqual(
      geoSecondaryConflicts(small, { maxSizeGb: 1024, sku: { name: "BC_Gen5", capacity: 8 } }, where2).map((c) => [
        c.key,
        c.kind,
      ]),
      [["sql.sku.capacity", "advised"]],
    );
    // A lower tier on the secondary and a max size it cannot hold: both refused.
    assert.deepEqual(
      geoSecondaryConflicts(
        { sku: { name: "GP_Gen5", tier: "GeneralPurpose", capacity: 4 } },
        { maxSizeGb: 2048, sku: { name: "BC_Gen5", capacity: 8 } },
        where2,
      ).map((c) => [c.key, c.kind]),
      [
        ["sql.sku.name", "refused"],
        ["sql.maxSizeGb", "refused"],
      ],
    );
  });
});
