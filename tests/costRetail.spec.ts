import { strict as assert } from "node:assert";
import {
  fetchRetail,
  formatRetail,
  overridesFrom,
  relevantItems,
  RETAIL_NOT_ASKED,
  RETAIL_QUERIES,
  retailUrl,
  type Fetch,
  type RetailItem,
} from "../tools/lib/cost/retail";
import { applyOverrides, PRICES, STORED_PRICES } from "../tools/lib/cost/prices";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≉ ${b}`);

const item = (o: Partial<RetailItem>): RetailItem => ({
  currencyCode: "USD",
  retailPrice: 1,
  unitOfMeasure: "1 GB/Month",
  armRegionName: "westeurope",
  serviceName: "Storage",
  productName: "General Block Blob v2",
  skuName: "Cold GZRS",
  meterName: "Cold GZRS Data Stored",
  type: "Consumption",
  tierMinimumUnits: 0,
  effectiveStartDate: "2026-10-01T00:00:00Z",
  ...o,
});

describe("cost: the Retail Prices API helper (npm run cost:retail)", () => {
  const baseline = RETAIL_QUERIES.find((q) => q.id === "functions-flex-ar-baseline")!;

  it("asks for the meters the table prices at another region's rates or derives, each a known row or one it would add", () => {
    const ids = RETAIL_QUERIES.map((q) => q.id);
    assert.equal(new Set(ids).size, ids.length, "one query per row");
    for (const id of [
      "storage-cold-GZRS",
      "storage-hot-GZRS",
      "vm-Standard_DS2_v2",
      "vm-Standard_DS3_v2",
      "functions-flex-ar-baseline",
      "functions-flex-ar-gbs",
      "functions-flex-gbs",
      "functions-flex-executions",
    ])
      assert.ok(PRICES.some((p) => p.id === id) && ids.includes(id), id);
    // Every East US row of the table is asked for in West Europe.
    for (const p of PRICES.filter(
      (x) => x.region === "eastus" && /^(functions-flex|vm-Standard_DS|appgw-|sql-bc-compute)/.test(x.id),
    ))
      assert.ok(ids.includes(p.id), `${p.id} is not asked for`);
    // The other-region rows docs/cost.md and the price table's header name are asked for too, with Infracost's filters.
    const match = (id: string) => RETAIL_QUERIES.find((q) => q.id === id)?.match;
    for (const id of [
      "firewall-premium",
      "eventhubs-premium-pu",
      "asa-su",
      "defender-cosmos",
      "private-endpoint",
      "acr-premium",
      "kv-hsm-key-rsa2048",
      "kv-hsm-key-rsa3072",
      "kv-advanced-ops",
      "kv-rotation",
    ])
      assert.ok(PRICES.some((p) => p.id === id) && ids.includes(id), `${id} is not asked for`);
    assert.equal(match("firewall-premium")?.meterName, "Premium Deployment");
    assert.equal(match("private-endpoint")?.meterName, "Standard Private Endpoint");
    assert.equal(match("acr-premium")?.meterName, "Premium Registry Unit");
    assert.equal(match("defender-cosmos")?.productName, "Microsoft Defender for Azure Cosmos DB");
    // What is not asked for says why, names a real row, and is not asked for after all.
    for (const [id, why] of Object.entries(RETAIL_NOT_ASKED)) {
      assert.ok(
        PRICES.some((p) => p.id === id),
        `${id}: no such row`,
      );
      assert.ok(!ids.includes(id), `${id} is asked for and listed as not asked`);
      assert.ok(why.length > 10, id);
    }
    // Always-ready executions have no row of their own (billed at the on-demand rate): asked for, said so.
    assert.match(RETAIL_QUERIES.find((q) => q.id === "functions-flex-ar-executions")?.why ?? "", /no row/);
  });

  it("filters by region, pay-as-you-go and the meter's names, as an OData string with quotes escaped", () => {
    const url = retailUrl(baseline, "westeurope");
    assert.ok(url.startsWith("https://prices.azure.com/api/retail/prices?currencyCode='USD'&$filter="));
    assert.equal(
      decodeURIComponent(url.split("$filter=")[1]),
      "armRegionName eq 'westeurope' and priceType eq 'Consumption' and serviceName eq 'Functions' and meterName eq 'Always Ready Baseline'",
    );
    const quoted = { ...baseline, match: { ...baseline.match, meterName: "it's" } };
    assert.match(decodeURIComponent(retailUrl(quoted, "westeurope")), /meterName eq 'it''s'$/);
  });

  it("keeps the first volume tier of the pay-as-you-go Linux meter only", () => {
    const kept = relevantItems([
      item({ retailPrice: 0.0081 }),
      item({ retailPrice: 0.0077, tierMinimumUnits: 51200 }),
      item({ type: "Reservation", retailPrice: 0.005 }),
      item({ productName: "Virtual Machines DSv2 Series Windows", retailPrice: 0.3 }),
      item({ skuName: "DS2 v2 Spot", retailPrice: 0.03 }),
    ]);
    assert.deepEqual(
      kept.map((i) => i.retailPrice),
      [0.0081],
    );
  });

  it("follows NextPageLink and fails on an HTTP error, naming the row", async () => {
    const urls: string[] = [];
    const pages: Record<string, unknown> = {
      first: { Items: [item({ retailPrice: 0.0081 })], NextPageLink: "second" },
      second: { Items: [item({ retailPrice: 0.009, tierMinimumUnits: 0 })], NextPageLink: null },
    };
    const fake: Fetch = async (url) => {
      urls.push(url);
      const key = url.startsWith("https://") ? "first" : url;
      return { ok: true, status: 200, json: async () => pages[key] };
    };
    const items = await fetchRetail(
      RETAIL_QUERIES.find((q) => q.id === "storage-cold-GZRS")!,
      "westeurope",
      fake,
    );
    assert.deepEqual(
      items.map((i) => i.retailPrice),
      [0.0081, 0.009],
    );
    assert.equal(urls.length, 2);
    const failing: Fetch = async () => ({ ok: false, status: 429, json: async () => ({}) });
    await assert.rejects(fetchRetail(baseline, "westeurope", failing), /HTTP 429 for functions-flex-ar-baseline/);
    // No answer at all: the host and the cause, not Node's bare "fetch failed".
    const offline: Fetch = async () => {
      throw Object.assign(new TypeError("fetch failed"), {
        cause: Object.assign(new Error("getaddrinfo ENOTFOUND prices.azure.com"), { code: "ENOTFOUND" }),
      });
    };
    await assert.rejects(
      fetchRetail(baseline, "westeurope", offline),
      // An environment error (no stack-trace hint), naming the proxy when the environment names one.
      /^EnvironmentError: cannot reach prices\.azure\.com( through the proxy \S+ \(HTTPS_PROXY\))? \(ENOTFOUND\): cost:retail needs network access to the Azure Retail Prices API$/,
    );
  });

  it("prints a line to paste per item, or says nothing matched", () => {
    const cold = RETAIL_QUERIES.find((q) => q.id === "storage-cold-GZRS")!;
    assert.deepEqual(formatRetail(cold, [item({ retailPrice: 0.0081 })]), [
      "storage-cold-GZRS: 0.0081 USD per 1 GB/Month — General Block Blob v2 / Cold GZRS / Cold GZRS Data Stored, westeurope, effective 2026-10-01 (a 2026 capture of this API in the price table)",
    ]);
    assert.match(formatRetail(baseline, [])[0], /^functions-flex-ar-baseline: no pay-as-you-go item matched/);
  });
});

describe("cost: recording the Retail Prices API's figures (npm run cost:retail -- --write)", () => {
  const it1 = (over: Partial<RetailItem>): RetailItem => ({
    currencyCode: "USD",
    retailPrice: 1,
    unitOfMeasure: "1 Hour",
    armRegionName: "westeurope",
    serviceName: "S",
    productName: "P",
    skuName: "K",
    meterName: "M",
    type: "Consumption",
    effectiveStartDate: "2026-10-01T00:00:00Z",
    ...over,
  });
  const known = (id: string) => PRICES.some((p) => p.id === id);
  it("converts the API's unit to the row's, and leaves out what it cannot record, saying why", () => {
    const { overrides, skipped } = overridesFrom(
      {
        "vm-Standard_DS2_v2": [it1({ retailPrice: 0.171, meterName: "DS2 v2" })],
        "functions-flex-executions": [it1({ retailPrice: 0.000004, unitOfMeasure: "10" })],
        "storage-cold-GZRS": [it1({ retailPrice: 0.0081 }), it1({ retailPrice: 0.009 })],
        "storage-hot-GZRS": [it1({ unitOfMeasure: "100 GB/Month" })],
        "functions-flex-ar-executions": [it1({ unitOfMeasure: "10" })],
        "storage-cool-GZRS": [],
      },
      "westeurope",
      "2026-12-02",
      known,
    );
    assert.deepEqual(Object.keys(overrides.rows).sort(), ["functions-flex-executions", "vm-Standard_DS2_v2"]);
    assert.equal(overrides.rows["functions-flex-executions"].list, 0.4, "$0.000004 per 10 = $0.40 per million");
    assert.equal(overrides.rows["vm-Standard_DS2_v2"].list, 0.171);
    assert.match(overrides.rows["vm-Standard_DS2_v2"].item, /^P \/ K \/ DS2 v2, per 1 Hour, effective 2026-10-01$/);
    assert.deepEqual(skipped.sort(), [
      "functions-flex-ar-executions: no price row to update",
      "storage-cold-GZRS: 2 different prices (check by hand)",
      "storage-cool-GZRS: no item (check by hand)",
      "storage-hot-GZRS: unit '100 GB/Month' is not one the table converts (1, 10, 1 GB/Month, 1 GB, 1 Hour, 1/Hour, 1 GB Second, 1/Day, 1/Month, 10K)",
    ]);
  });
  it("an 8-vCore SKU's hour becomes the row's vCore-hour, from the product the query names only", async () => {
    const bc = RETAIL_QUERIES.find((q) => q.id === "sql-bc-compute")!;
    assert.ok(
      PRICES.some((p) => p.id === bc.id),
      "the row it updates exists",
    );
    const items = [
      it1({
        serviceName: "SQL Database",
        productName: "SQL Database Single/Elastic Pool Business Critical - Compute Gen5",
        skuName: "8 vCore",
        retailPrice: 2.6,
      }),
      it1({
        serviceName: "SQL Database",
        productName: "SQL Database Single/Elastic Pool General Purpose - Compute Gen5",
        skuName: "8 vCore",
        retailPrice: 1.1,
      }),
    ];
    const fetch: Fetch = async () => ({
      ok: true,
      status: 200,
      json: async () => ({ Items: items, NextPageLink: null }),
    });
    const kept = await fetchRetail(bc, "westeurope", fetch);
    assert.deepEqual(
      kept.map((i) => i.retailPrice),
      [2.6],
      "General Purpose is left out",
    );
    const { overrides } = overridesFrom({ [bc.id]: kept }, "westeurope", "2026-12-02", () => true);
    assert.equal(overrides.rows[bc.id].list, 0.325, "$2.60 an hour for 8 vCores = $0.325 per vCore-hour");
  });
  it("the other-region rows' units: per day, per month, per rotation, per 10K operations; Defender for Cosmos DB an hour × 730", async () => {
    const rows = (id: string, o: Partial<RetailItem>) => ({ [id]: [item(o)] });
    const { overrides, skipped } = overridesFrom(
      {
        ...rows("acr-premium", { unitOfMeasure: "1/Day", retailPrice: 1.8 }),
        ...rows("kv-hsm-key-rsa2048", { unitOfMeasure: "1/Month", retailPrice: 1.1 }),
        ...rows("kv-rotation", { unitOfMeasure: "1", retailPrice: 1 }),
        ...rows("kv-advanced-ops", { unitOfMeasure: "10K", retailPrice: 0.16 }),
        ...rows("defender-cosmos", { unitOfMeasure: "1/Hour", retailPrice: 0.0012 }),
        ...rows("firewall-premium", { unitOfMeasure: "1/Hour", retailPrice: 1.925 }),
      },
      "westeurope",
      "2026-12-02",
      () => true,
    );
    assert.deepEqual(skipped, []);
    assert.equal(overrides.rows["acr-premium"].list, 1.8);
    assert.equal(overrides.rows["kv-hsm-key-rsa2048"].list, 1.1);
    assert.equal(overrides.rows["kv-rotation"].list, 1);
    assert.equal(overrides.rows["kv-advanced-ops"].list, 0.16);
    assert.equal(overrides.rows["defender-cosmos"].list, 0.876, "$0.0012 per 100 RU/s-hour × 730 h");
    assert.equal(overrides.rows["firewall-premium"].list, 1.925);
    // Event Hubs Premium: only the processing unit meter of the Premium SKU is kept (Infracost matches its end).
    const pu = RETAIL_QUERIES.find((q) => q.id === "eventhubs-premium-pu")!;
    const fetch: Fetch = async () => ({
      ok: true,
      status: 200,
      json: async () => ({
        Items: [
          item({
            serviceName: "Event Hubs",
            skuName: "Premium",
            meterName: "Premium Processing Unit",
            retailPrice: 1.2,
          }),
          item({
            serviceName: "Event Hubs",
            skuName: "Premium",
            meterName: "Premium Extended Retention",
            retailPrice: 0.1,
          }),
        ],
        NextPageLink: null,
      }),
    });
    assert.deepEqual(
      (await fetchRetail(pu, "westeurope", fetch)).map((i) => i.meterName),
      ["Premium Processing Unit"],
    );
  });
  it("the table applies them: list, region, date and source replaced per row, the reservation discount kept", () => {
    const row = STORED_PRICES.find((p) => p.id === "synapse-dw100c")!;
    const vm = STORED_PRICES.find((p) => p.id === "vm-Standard_DS2_v2")!;
    assert.ok(row.reserved3y !== undefined);
    const at = (list: number, region: string, date: string) => ({ list, region, date, item: "P / K / M" });
    const applied = applyOverrides([row, vm], {
      rows: {
        "synapse-dw100c": at(row.list * 1.1, "westeurope", "2026-12-02"),
        // Recorded by an earlier run for another region: keeps its own date and region.
        "vm-Standard_DS2_v2": at(0.2, "northeurope", "2026-11-01"),
      },
    });
    close(applied[0].list, row.list * 1.1);
    close(applied[0].reserved3y ?? NaN, (row.reserved3y ?? NaN) * 1.1);
    assert.deepEqual([applied[0].region, applied[0].date], ["westeurope", "2026-12-02"]);
    assert.deepEqual([applied[1].region, applied[1].date, applied[1].list], ["northeurope", "2026-11-01", 0.2]);
    assert.match(applied[0].source, /^https:\/\/prices\.azure\.com\/api\/retail\/prices \(P \/ K \/ M\)$/);
    assert.match(applied[0].note ?? "", new RegExp(`replaces the stored ${row.region} figure ${row.list}`));
    // The stored row's own note (what it derives, what it leaves out) is kept after the override's.
    assert.ok(vm.note && applied[1].note?.endsWith(`Stored note: ${vm.note}`));
    assert.deepEqual(applyOverrides([row], undefined), [row], "no file: the stored rows");
    assert.throws(
      () => applyOverrides([row], { rows: { nope: at(1, "westeurope", "2026-12-02") } }),
      /retail-overrides\.json: no price row 'nope'/,
    );
  });
});
