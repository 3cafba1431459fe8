/**
 * The data lake's redundancy (`olap.lake.sku`) against the deployed account (components/shared/storageRedundancy.ts
 * `redundancyConflicts`, hooked in components/olap/lake.ts): Azure changes geo-redundancy as an update, zone
 * redundancy only through a conversion it runs.
 */
import { strict as assert } from "node:assert";
import { LAKE_SKUS } from "../lib/config";
import { redundancyConflicts, redundancyOf, skuOf } from "../components/shared/storageRedundancy";
import { refusalOf, runDeployedElsewise } from "./helpers/deployedElsewise";
import { byName, invokesOf, previewOf } from "./helpers/stacks";

const lake = { accountName: "stlake", resourceGroupName: "rg-data", pair: "northeurope" };
const change = (from: string, to: string) => redundancyConflicts({ sku: from }, to, "olap.lake.sku", lake);
/** The change from a deployed account (its conversion or migration status given) to `to`. */
const changeFrom = (deployed: Parameters<typeof redundancyConflicts>[0], to: string) =>
  redundancyConflicts(deployed, to, "olap.lake.sku", lake);

describe("a storage account's redundancy change against the deployed account", () => {
  it("reads every SKU the lake may take, and writes it back", () => {
    for (const sku of [...LAKE_SKUS, "Premium_LRS", "Premium_ZRS"]) {
      const r = redundancyOf(sku);
      assert.ok(r, sku);
      assert.equal(skuOf(r), sku);
    }
    assert.deepEqual(redundancyOf("Standard_RAGZRS"), { tier: "Standard", zonal: true, geo: true, readAccess: true });
    assert.deepEqual(redundancyOf("Standard_GRS"), { tier: "Standard", zonal: false, geo: true, readAccess: false });
    for (const odd of ["Standard_RAZRS", "Standard_GLRS", "Standard_RS", "StandardV2_LRS", "Standard_ZLRS"])
      assert.equal(redundancyOf(odd), undefined, odd);
  });

  it("says nothing of the same SKU, read access added, or a SKU it does not know", () => {
    assert.deepEqual(change("Standard_GZRS", "Standard_GZRS"), []);
    assert.deepEqual(change("Standard_GZRS", "Standard_RAGZRS"), []);
    assert.deepEqual(change("Standard_GRS", "Standard_RAGRS"), []);
    assert.deepEqual(change("StandardV2_ZRS", "Standard_ZRS"), []);
  });

  it("refuses every change of zone redundancy (18 of the 30 changes between the lake's SKUs), with the conversion's commands", () => {
    const refused = LAKE_SKUS.flatMap((from) =>
      LAKE_SKUS.filter((to) => change(from, to).some((c) => c.kind === "refused")).map((to) => `${from}>${to}`),
    );
    const zonal = (s: string) => /ZRS$/.test(s);
    assert.deepEqual(
      refused,
      LAKE_SKUS.flatMap((from) => LAKE_SKUS.filter((to) => zonal(from) !== zonal(to)).map((to) => `${from}>${to}`)),
    );
    assert.equal(refused.length, 18);
    const [lrsToZrs] = change("Standard_LRS", "Standard_ZRS");
    assert.equal(lrsToZrs.key, "olap.lake.sku");
    assert.equal(lrsToZrs.deployed, "Standard_LRS");
    assert.equal(lrsToZrs.wanted, "Standard_ZRS");
    assert.match(
      lrsToZrs.remedy,
      /^Adding zone redundancy is a conversion Microsoft runs, not an update Azure takes \(redundancy-migration: "Perform a conversion"\): set Standard_LRS back, or run `az storage account migration start --account-name stlake -g rg-data --sku Standard_ZRS --no-wait --yes`/,
    );
    // With the geo-redundancy changed too: first the update that changes it, then the conversion.
    assert.match(
      change("Standard_LRS", "Standard_RAGZRS")[0].remedy,
      /run `az storage account update -g rg-data -n stlake --sku Standard_RAGRS`, then `az storage account migration start --account-name stlake -g rg-data --sku Standard_RAGZRS --no-wait --yes` .*keep olap\.lake\.sku at Standard_RAGRS meanwhile/,
    );
    assert.match(
      change("Standard_GZRS", "Standard_LRS")[0].remedy,
      /^Removing zone redundancy .*run `az storage account update -g rg-data -n stlake --sku Standard_ZRS`, then `az storage account migration start .* --sku Standard_LRS/,
    );
  });

  it("refuses Standard to Premium, and any change while a conversion runs", () => {
    const [tier] = change("Standard_ZRS", "Premium_ZRS");
    assert.equal(tier.kind, "refused");
    assert.match(tier.remedy, /does not convert between Standard and Premium accounts/);
    const [running] = changeFrom(
      { sku: "Standard_GRS", conversion: { status: "InProgress", targetSku: "Standard_GZRS" } },
      "Standard_GZRS",
    );
    assert.equal(running.kind, "refused");
    assert.equal(running.deployed, "Standard_GRS (a conversion to Standard_GZRS in progress)");
    assert.match(
      running.remedy,
      /set olap\.lake\.sku back to Standard_GRS meanwhile \(an unchanged SKU passes\), and once `az storage account migration show --account-name stlake -g rg-data --name default` reports Complete, set it to Standard_GZRS/,
    );
    // Asked for and not begun: only the account's migration says so.
    const [submitted] = changeFrom(
      { sku: "Standard_LRS", migration: { status: "SubmittedForConversion", targetSku: "Standard_ZRS" } },
      "Standard_ZRS",
    );
    assert.equal(submitted.deployed, "Standard_LRS (a conversion to Standard_ZRS submitted, not begun)");
    // The config that keeps the deployed SKU passes meanwhile.
    assert.deepEqual(
      changeFrom(
        { sku: "Standard_LRS", migration: { status: "InProgress", targetSku: "Standard_ZRS" } },
        "Standard_LRS",
      ),
      [],
    );
    assert.deepEqual(
      redundancyConflicts(
        { sku: "Standard_GZRS", conversion: { status: "Succeeded", targetSku: "Standard_GZRS" } },
        "Standard_GZRS",
        "k",
        lake,
      ),
      [],
    );
  });

  it("refuses any change within 72 hours of a conversion's end, naming when it may come", () => {
    const converted = {
      sku: "Standard_ZRS",
      conversion: { status: "Succeeded", targetSku: "Standard_ZRS", endTime: "2026-12-06T10:00:00Z" },
    };
    const [hold] = redundancyConflicts(
      converted,
      "Standard_GZRS",
      "olap.lake.sku",
      lake,
      new Date("2026-12-08T09:59:00Z"),
    );
    assert.equal(hold.kind, "refused");
    assert.equal(hold.deployed, "Standard_ZRS (converted 2026-12-06T10:00:00.000Z)");
    assert.match(hold.remedy, /you must wait at least 72 hours .* keep Standard_ZRS until 2026-12-09T10:00:00\.000Z\./);
    const [after] = redundancyConflicts(
      converted,
      "Standard_GZRS",
      "olap.lake.sku",
      lake,
      new Date("2026-12-09T10:01:00Z"),
    );
    assert.equal(after.kind, "advised");
  });

  it("warns of geo-redundancy added (egress, no failover before the first copy) or removed (the copy deleted)", () => {
    const [added] = change("Standard_ZRS", "Standard_GZRS");
    assert.equal(added.kind, "advised");
    assert.match(added.remedy, /copies the account's data to its pair region in northeurope: a one-time egress charge/);
    assert.match(added.remedy, /no failover until that first copy ends/);
    assert.doesNotMatch(added.remedy, /Archived blobs/);
    assert.match(change("Standard_LRS", "Standard_GRS")[0].remedy, /Archived blobs can stop the change/);
    const [removed] = change("Standard_RAGZRS", "Standard_ZRS");
    assert.equal(removed.kind, "advised");
    assert.match(removed.remedy, /deletes the copy in northeurope; read access to it stays billed for 30 more days/);
    const [readAccess] = change("Standard_RAGZRS", "Standard_GZRS");
    assert.equal(readAccess.kind, "advised");
    assert.match(readAccess.remedy, /billed at the read-access rate for 30 more days/);
  });

  it("dev's program reads the lake's account by the names the account registers with (none in a first preview)", async () => {
    const { run, previewRun } = await previewOf("dev");
    const account = byName(run.resources, "olap-lake");
    const reads = invokesOf(run, "azure-native:storage:getStorageAccount");
    assert.deepEqual(
      reads.map((r) => r.inputs),
      [{ accountName: account.inputs.accountName, resourceGroupName: account.inputs.resourceGroupName }],
    );
    assert.deepEqual(invokesOf(previewRun, "azure-native:storage:getStorageAccount"), []);
  });

  it("a preview of dev whose lake is deployed LRS refuses the config's ZRS, naming olap.lake.sku; one with a conversion asked for says so", async function () {
    this.timeout(300_000);
    const lrs = await runDeployedElsewise("dev", "lake-lrs");
    assert.match(
      lrs.error ?? "",
      /error serializing property "accountName": the stack config asks for a change Azure refuses on the data lake '[^']+' as the program would send it:\n {2}olap\.lake\.sku: the deployed value is Standard_LRS, the stack config asks for Standard_ZRS\. Adding zone redundancy is a conversion/,
    );
    assert.match(
      await refusalOf("dev", "lake-submitted"),
      /olap\.lake\.sku: the deployed value is Standard_LRS \(a conversion to Standard_ZRS submitted, not begun\), the stack config asks for Standard_ZRS\. Azure takes no SKU change while a conversion is pending/,
    );
  });

  it("a preview of prod whose lake is deployed ZRS warns of the geo copy and goes on; one mid-conversion refuses", async function () {
    this.timeout(300_000);
    const zrs = await runDeployedElsewise("prod", "lake-zrs");
    assert.equal(zrs.error, undefined);
    const lakeWarnings = zrs.warned.filter((w) => w.includes("olap.lake.sku"));
    assert.equal(lakeWarnings.length, 1);
    assert.match(
      lakeWarnings[0],
      /^the data lake '[^']+': olap\.lake\.sku: the deployed value is Standard_ZRS, the stack config asks for Standard_GZRS\. Azure takes it as an update and copies the account's data to its pair region in northeurope/,
    );
    // Whether a conversion is pending cannot be read: warned with the command that reads it, and the preview goes on.
    const unreadable = await runDeployedElsewise("prod", "lake-migration-unreadable");
    assert.equal(unreadable.error, undefined);
    const pending = unreadable.warned.filter((w) => w.includes("whether a conversion is pending"));
    assert.equal(pending.length, 1, unreadable.warned.join("\n"));
    assert.match(
      pending[0],
      /^the data lake '([^']+)': olap\.lake\.sku changes Standard_ZRS to Standard_GZRS, and whether a conversion is pending could not be read \(.*TooManyRequests.*\): check with `az storage account migration show --account-name \1 -g rg-pay-prod-weu-[a-z]+ --name default` before the up\.$/,
    );
    assert.equal(unreadable.warned.filter((w) => w.includes("olap.lake.sku: the deployed value is")).length, 1);
    assert.match(
      await refusalOf("prod", "lake-converting"),
      /olap\.lake\.sku: the deployed value is Standard_GRS \(a conversion to Standard_GZRS in progress\), the stack config asks for Standard_GZRS\. Azure takes no SKU change while a conversion is pending or runs/,
    );
    assert.match(
      await refusalOf("prod", "lake-hold"),
      /olap\.lake\.sku: the deployed value is Standard_ZRS \(converted [^)]+\), the stack config asks for Standard_GZRS\. "After a zone-redundancy conversion, you must wait at least 72 hours/,
    );
    // The SKU changes: the account's pending conversion was read (none).
    assert.equal(zrs.reads.filter((r) => /\/storageAccounts\/[^/]+\/accountMigrations\/default$/.test(r)).length, 1);
    const same = await runDeployedElsewise("prod", "lake-same");
    assert.equal(same.error, undefined);
    // The same SKU: nothing more is read.
    assert.equal(same.reads.filter((r) => r.endsWith("/accountMigrations/default")).length, 0);
    assert.deepEqual(
      same.warned.filter((w) => w.includes("olap.lake.sku")),
      [],
    );
  });
});
