/**
 * Edges of the cost estimator and the capacity model that the committed stacks do not exercise (and so the generated
 * docs cannot catch): defaults, multipliers and SKUs neither stack uses, the rounding a person sees, and the diff.
 * Hand-made inputs only.
 */
import { strict as assert } from "node:assert";
import { DEFAULT_LOAD, DEFAULT_USAGE, type UsageConfig } from "../lib/usage";
import { capacity, formatCapacity, ruPerTransaction, type CapacityRow } from "../tools/lib/cost/capacity";
import { estimate, estimateMarkdown, formatEstimate, type Estimate } from "../tools/lib/cost/estimate";
import { DAYS_PER_MONTH, HOURS_PER_MONTH as H, price, PRICES } from "../tools/lib/cost/prices";
import { diffEstimates, formatDiff, fromTo } from "../tools/lib/cost/stack";
import { devShortNote } from "../tools/lib/costDocs/capacityDoc";
import { merchantOnPath } from "../tools/lib/costDocs/scenarios";
import { resourceRecord, type ResourceRecord } from "../tools/lib/policyRunner";
import { movedUrns } from "../tools/lib/changes";

const AN = "azure-native";
let n = 0;
/** A hand-made resource record. */
function res(type: string, inputs: Record<string, unknown>, name = `e${++n}`): ResourceRecord {
  return resourceRecord(type, name, inputs, { stack: "test", outputs: {} });
}
const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 0.015, `${msg ?? ""} ${a} ≉ ${b}`);
const usage = (over: Partial<UsageConfig> = {}): UsageConfig => ({ ...DEFAULT_USAGE, ...over });
const one = (rs: ResourceRecord[], u: Partial<UsageConfig> = {}) => estimate(rs, { stack: "t", usage: usage(u) });
const line = (e: Estimate, priceId: string) => e.lines.find((l) => l.priceId === priceId);

describe("cost edges: reservations and Azure Hybrid Benefit only where Azure sells them", () => {
  it("reservations on SQL provisioned compute, Synapse cDWU and Cosmos DB throughput only; AHB on the SQL licence only", () => {
    const reserved = PRICES.filter((p) => p.reserved1y !== undefined || p.reserved3y !== undefined).map((p) => p.id);
    assert.deepEqual(reserved.sort(), [
      "cosmos-autoscale",
      "cosmos-standard",
      "sql-bc-compute",
      "sql-gp-compute",
      "sql-gp-zone",
      "sql-hs-compute",
      "synapse-dw100c",
    ]);
    const hybrid = PRICES.filter((p) => p.hybridBenefit !== undefined).map((p) => p.id);
    assert.deepEqual(hybrid.sort(), ["sql-license-bc", "sql-license-gp"]);
  });
  it("SQL General Purpose with AHB declared: the licence drops to 0, compute at the 3-year price; zone redundancy per vCore-hour", () => {
    const db = res(`${AN}:sql:Database`, {
      sku: { name: "GP_Gen5", capacity: 4 },
      licenseType: "BasePrice",
      zoneRedundant: true,
      maxSizeBytes: 100 * 1024 ** 3,
      serverName: "s",
      databaseName: "d",
    });
    const e = one([db]);
    const licence = line(e, "sql-license-gp");
    close(licence?.list ?? NaN, 4 * H * price("sql-license-gp").list, "licence at list");
    assert.equal(licence?.committed, 0, "Azure Hybrid Benefit removes the GP licence meter");
    assert.equal(licence?.basis, "hybridBenefit");
    const compute = line(e, "sql-gp-compute");
    close(compute?.committed ?? NaN, 4 * H * (price("sql-gp-compute").reserved3y as number), "compute 3y");
    const zone = line(e, "sql-gp-zone");
    assert.equal(zone?.quantity, 4 * H, "zone redundancy: every vCore, every hour");
    close(zone?.list ?? NaN, 4 * H * price("sql-gp-zone").list);
    // Zone-redundant GP storage has its own (dearer) row: $27.40 per 100 GB in West Europe, not $13.69.
    const storage = e.lines.find((l) => l.priceId.startsWith("sql-storage"));
    assert.equal(storage?.priceId, "sql-storage-gp-zone");
    close(storage?.list ?? NaN, 27.4);
  });
  it("a Synapse pool paused even a little of the month gets no reservation; around the clock it does", () => {
    const pool = res(`${AN}:synapse:SqlPool`, { sku: { name: "DW100c" } }, "pool");
    const at = (hours: number) => line(one([pool], { synapsePoolHoursPerMonth: hours }), "synapse-dw100c");
    assert.equal(at(700)?.basis, "list", "700 of 730 h: pay-as-you-go");
    close(at(700)?.committed ?? NaN, 700 * price("synapse-dw100c").list);
    assert.equal(at(730)?.basis, "reserved3y");
    close(at(730)?.committed ?? NaN, 730 * (price("synapse-dw100c").reserved3y as number));
  });
});

describe("cost edges: multipliers and SKUs the committed stacks do not use", () => {
  it("SQL Hyperscale: each HA replica bills the compute again", () => {
    const db = res(`${AN}:sql:Database`, {
      sku: { name: "HS_Gen5", capacity: 4 },
      highAvailabilityReplicaCount: 2,
      serverName: "s",
      databaseName: "d",
    });
    const replicas = one([db]).lines.find((l) => /HA replicas/.test(l.meter));
    assert.equal(replicas?.quantity, 2 * 4 * H);
    close(replicas?.list ?? NaN, 2 * 4 * H * price("sql-hs-compute").list);
  });
  it("SQL serverless zone redundancy: the zone meter on the same vCore-hours, no reservation", () => {
    const db = res(`${AN}:sql:Database`, {
      sku: { name: "GP_S_Gen5", capacity: 2 },
      minCapacity: 1,
      autoPauseDelay: -1,
      zoneRedundant: true,
    });
    const e = one([db]);
    const zone = line(e, "sql-serverless-zone");
    assert.equal(zone?.quantity, H, "1 vCore minimum around the clock");
    close(zone?.list ?? NaN, H * 0.31);
    assert.equal(zone?.committed, zone?.list);
  });
  it("SQL long-term retention on GeoZone backups is not priced below the RA-GRS rate", () => {
    const ltrOf = (redundancy: string) => {
      const db = res(`${AN}:sql:Database`, {
        sku: { name: "BC_Gen5", capacity: 8 },
        requestedBackupStorageRedundancy: redundancy,
        serverName: "s",
        databaseName: "d",
      });
      const policy = res(`${AN}:sql:LongTermRetentionPolicy`, { serverName: "s", databaseName: "d" });
      return one([db, policy], { sqlLtrBackupGb: 1000 }).lines.find((l) => /^Long-term retention/.test(l.meter));
    };
    close(ltrOf("Geo")?.list ?? NaN, 50);
    close(ltrOf("Local")?.list ?? NaN, 25);
    assert.ok((ltrOf("GeoZone")?.list ?? 0) >= (ltrOf("Geo")?.list ?? Infinity), "GZRS is never cheaper than RA-GRS");
  });
  it("Cosmos DB serverless: request units × 1.25 in a zone-redundant region", () => {
    const acct = res(`${AN}:cosmosdb:DatabaseAccount`, {
      accountName: "s",
      capabilities: [{ name: "EnableServerless" }],
      locations: [{ locationName: "westeurope", isZoneRedundant: true }],
    });
    const ru = line(one([acct], { cosmosServerlessMillionRu: 100 }), "cosmos-serverless");
    assert.equal(ru?.quantity, 125);
    close(ru?.list ?? NaN, 125 * 0.279);
    assert.equal(ru?.committed, ru?.list, "serverless is not eligible for reserved capacity");
    assert.equal(ru?.meter, "Serverless request units (× 1.25 availability zones)");
    // Two regions without zones: no zone premium, and the label says so.
    const twoRegions = res(`${AN}:cosmosdb:DatabaseAccount`, {
      accountName: "s2",
      capabilities: [{ name: "EnableServerless" }],
      locations: [{ locationName: "westeurope" }, { locationName: "northeurope" }],
    });
    const ru2 = line(one([twoRegions], { cosmosServerlessMillionRu: 100 }), "cosmos-serverless");
    assert.equal(ru2?.quantity, 200);
    assert.equal(ru2?.meter, "Serverless request units × 2 region(s)");
  });
  it("Cosmos DB multi-region writes: throughput is listed as not estimated with the reason, never priced single-write", () => {
    const acct = res(`${AN}:cosmosdb:DatabaseAccount`, {
      accountName: "mw",
      enableMultipleWriteLocations: true,
      locations: [{}, {}],
    });
    const c = res(
      `${AN}:cosmosdb:SqlResourceSqlContainer`,
      { accountName: "mw", options: { autoscaleSettings: { maxThroughput: 10_000 } } },
      "mwc",
    );
    const e = one([acct, c]);
    assert.equal(e.lines.filter((l) => l.name === "mwc").length, 0);
    assert.match(e.notEstimated.find((x) => x.name === "mwc")?.reason ?? "", /multi-region-write/);
  });
  it("storage: a Premium SKU is not estimated (no price row), never priced as Standard", () => {
    const e = one([res(`${AN}:storage:StorageAccount`, { sku: { name: "Premium_LRS" } }, "prem")]);
    assert.equal(e.lines.length, 0);
    assert.match(e.notEstimated[0]?.reason ?? "", /storage SKU Premium_LRS has no price row/);
  });
  it("Application Gateway: the usage's average capacity units when above 10 per reserved instance", () => {
    const gw = res(
      `${AN}:network:ApplicationGateway`,
      { sku: { tier: "WAF_v2" }, autoscaleConfiguration: { minCapacity: 1, maxCapacity: 10 } },
      "agw",
    );
    const cu = line(one([gw], { appGatewayCapacityUnits: 25 }), "appgw-waf-v2-cu");
    assert.equal(cu?.quantity, 25 * H);
    close(cu?.list ?? NaN, 25 * H * 0.0144);
  });
  it("Azure Firewall without a tier is Standard; a Global public IP is not estimated", () => {
    close(one([res(`${AN}:network:AzureFirewall`, {})], { firewallProcessedGbPerMonth: 0 }).total.list, 1.25 * H);
    const e = one([res(`${AN}:network:PublicIPAddress`, { sku: { name: "Standard", tier: "Global" } })]);
    assert.equal(e.lines.length, 0);
    assert.match(e.notEstimated[0]?.reason ?? "", /Standard regional only/);
  });
  it("Stream Analytics: a V2 job sized by sku.capacity (10 = one SU V2); a cluster without a capacity is 36 SU", () => {
    const su = price("asa-su").list;
    close(
      one([res(`${AN}:streamanalytics:StreamingJob`, { sku: { name: "StandardV2", capacity: 10 } })]).total.list,
      H * su,
    );
    close(one([res(`${AN}:streamanalytics:Cluster`, { sku: { name: "Default" } })]).total.list, 36 * H * su);
  });
  it("Elastic Premium EP2 and EP3: vCPU and memory per instance-hour", () => {
    const plan = (sku: string, capacity: number) =>
      one([res(`${AN}:web:AppServicePlan`, { sku: { name: sku, capacity } })]);
    for (const [sku, vcpu, gb] of [
      ["EP2", 2, 7],
      ["EP3", 4, 14],
    ] as const) {
      const e = plan(sku, 2);
      assert.equal(line(e, "functions-ep-vcpu")?.quantity, vcpu * 2 * H, `${sku} vCPU`);
      assert.equal(line(e, "functions-ep-memory")?.quantity, gb * 2 * H, `${sku} memory`);
    }
  });
  it("Flex Consumption: an always-ready instance without instanceMemoryMB is 2,048 MB", () => {
    const app = res(`${AN}:web:WebApp`, {
      functionAppConfig: { scaleAndConcurrency: { alwaysReady: [{ name: "http", instanceCount: 1 }] } },
    });
    assert.equal(line(one([app]), "functions-flex-ar-baseline")?.quantity, 2 * H * 3600);
  });
  it("Flex Consumption: always-ready instances of every group add up", () => {
    const app = res(`${AN}:web:WebApp`, {
      functionAppConfig: {
        scaleAndConcurrency: {
          instanceMemoryMB: 2048,
          alwaysReady: [
            { name: "http", instanceCount: 2 },
            { name: "function:f", instanceCount: 3 },
          ],
        },
      },
    });
    assert.equal(line(one([app]), "functions-flex-ar-baseline")?.quantity, 5 * 2 * H * 3600);
  });
  it("Azure ML: a compute instance around the clock; a deployment at its minimum instances, not its sku.capacity", () => {
    const ci = res(`${AN}:machinelearningservices:Compute`, {
      properties: { computeType: "ComputeInstance", properties: { vmSize: "STANDARD_DS2_V2" } },
    });
    close(one([ci]).total.list, H * price("vm-Standard_DS2_v2").list);
    const dep = res(`${AN}:machinelearningservices:OnlineDeployment`, {
      sku: { capacity: 5 },
      properties: { instanceType: "Standard_DS2_v2", scaleSettings: { minInstances: 2 } },
    });
    assert.equal(one([dep]).lines[0]?.quantity, 2 * H);
  });
  it("Container Registry: Basic includes 10 GB; a geo-replica bills the Premium registry rate", () => {
    const basic = one([res(`${AN}:containerregistry:Registry`, { sku: { name: "Basic" } })], {
      containerRegistryGb: 30,
    });
    assert.equal(line(basic, "acr-storage")?.quantity, 20);
    close(basic.total.list, DAYS_PER_MONTH * price("acr-basic").list + 20 * 0.1);
    const replica = one([res(`${AN}:containerregistry:Replication`, {})]);
    close(replica.total.list, DAYS_PER_MONTH * (50 / 30));
  });
  it("Data Factory managed-VNet IR: copy time-to-live at 4 DIUs when the IR states none", () => {
    const ir = res(`${AN}:datafactory:IntegrationRuntime`, {
      properties: {
        type: "Managed",
        managedVirtualNetwork: { referenceName: "default" },
        computeProperties: { copyComputeScaleProperties: { timeToLive: 30 } },
      },
    });
    close(one([ir]).total.list, 0.5 * 4 * DAYS_PER_MONTH * 0.25);
  });
});

describe("cost edges: keys, Defender and Sentinel", () => {
  it("key rotation once a year: 730/24/365 rotations a month", () => {
    const key = res(`${AN}:keyvault:Key`, {
      properties: {
        kty: "RSA",
        keySize: 2048,
        rotationPolicy: { lifetimeActions: [{ action: { type: "Rotate" }, trigger: { timeAfterCreate: "P1Y" } }] },
      },
    });
    const rotation = line(one([key]), "kv-rotation");
    close((rotation?.quantity ?? NaN) * 1000, (DAYS_PER_MONTH / 365) * 1000);
  });
  it("Defender for App Service counts plan instances, not Flex Consumption or consumption plans", () => {
    const rs = [
      res(`${AN}:web:AppServicePlan`, { sku: { name: "FC1" } }),
      res(`${AN}:web:AppServicePlan`, { sku: { name: "Y1" } }),
      res(`${AN}:web:AppServicePlan`, { sku: { name: "EP1", capacity: 2 } }),
      res(`${AN}:security:Pricing`, { pricingName: "AppServices", pricingTier: "Standard" }, "def"),
    ];
    const d = one(rs).lines.find((l) => l.name === "def");
    assert.equal(d?.quantity, 2);
  });
  it("Defender for Servers Plan 1 at its own price", () => {
    const rs = [
      res(`${AN}:compute:VirtualMachine`, {}),
      res(`${AN}:compute:VirtualMachine`, {}),
      res(`${AN}:security:Pricing`, { pricingName: "VirtualMachines", pricingTier: "Standard", subPlan: "P1" }, "def"),
    ];
    const d = one(rs).lines.find((l) => l.name === "def");
    assert.equal(d?.priceId, "defender-servers-p1");
    close(d?.list ?? NaN, 2 * 4.91);
  });
  it("the legacy SecurityInsights solution next to an onboarding state: Sentinel priced once", () => {
    const sol = res(`${AN}:operationsmanagement:Solution`, { solutionName: "SecurityInsights(log-a)" }, "sol");
    const onboard = res(`${AN}:securityinsights:SentinelOnboardingState`, { workspaceName: "log-a" }, "onb");
    const both = one([sol, onboard], { logIngestionGbPerDay: 3 });
    assert.equal(both.lines.filter((l) => l.priceId === "sentinel-ingestion").length, 1);
    close(both.total.list, 3 * DAYS_PER_MONTH * 2.6);
    close(one([sol], { logIngestionGbPerDay: 3 }).total.list, 3 * DAYS_PER_MONTH * 2.6, "alone: priced on it");
  });
});

describe("cost edges: rounding a person sees", () => {
  it("each line is rounded to the cent; totals are the sum of the rounded lines, per tier and overall", () => {
    // Three endpoints share 1 GB: each data line is $0.0033, shown as $0.00; the total is what the lines show.
    const rs = [1, 2, 3].map((i) => res(`${AN}:network:PrivateEndpoint`, {}, `pe${i}`));
    const e = one(rs, { privateLinkGbPerMonth: 1 });
    for (const l of e.lines.filter((x) => x.priceId === "private-endpoint-data")) assert.equal(l.list, 0);
    assert.equal(e.total.list, 21.9, "3 × $7.30, not $21.91");
    assert.equal(e.tiers[0]?.list, 21.9);
    assert.match(estimateMarkdown(e), /\| stack \| `pe1` \| Data processed .* \| 0\.33 \| GB \| \$0\.00 \| \$0\.00 \|/);
  });
  it("the per-tier summary rounds to the nearest dollar (not down)", () => {
    const e = one([res(`${AN}:network:DdosProtectionPlan`, {})]);
    assert.equal(e.total.list, 2943.55);
    assert.match(formatEstimate(e), /total\s+\$2,944\s+\$2,944/);
    assert.match(estimateMarkdown(e), /\| \*\*Total\*\* \| \*\*\$2,944\*\* \| \*\*\$2,944\*\* \|/);
  });
});

describe("cost edges: regions (the price table is West Europe's)", () => {
  it("says which lines are for resources elsewhere, priced at West Europe's rates; none for West Europe or global", () => {
    const here = one([res(`${AN}:network:DdosProtectionPlan`, { location: "westeurope" })]);
    assert.deepEqual(here.otherRegions, []);
    assert.equal(here.priceRegion, "westeurope");
    assert.doesNotMatch(formatEstimate(here), /priced at westeurope rates/);
    const e = one([
      res(`${AN}:network:DdosProtectionPlan`, { location: "Sweden Central" }),
      res(`${AN}:network:DdosProtectionPlan`, { location: "swedencentral" }),
      res(`${AN}:network:DdosProtectionPlan`, { location: "northeurope" }),
      res(`${AN}:network:DdosProtectionPlan`, { location: "global" }),
    ]);
    assert.deepEqual(e.otherRegions, [
      { region: "swedencentral", lines: 2, list: 5887.1 },
      { region: "northeurope", lines: 1, list: 2943.55 },
    ]);
    assert.ok(e.lines.every((l) => l.location !== undefined));
    assert.match(
      formatEstimate(e),
      /priced at westeurope rates, the price table's only region: 2 in swedencentral \(\$5,887 list\), 1 in northeurope \(\$2,944 list\); Azure's prices differ by region/,
    );
    assert.match(estimateMarkdown(e), /Regions: priced at westeurope rates/);
  });
});

describe("cost edges: the licences the committed total assumes", () => {
  const db = (name: string, capacity: number) =>
    res(
      `${AN}:sql:Database`,
      { sku: { name: "BC_Gen5", capacity }, licenseType: "BasePrice", serverName: "s", databaseName: name },
      name,
    );
  it("counts the SQL vCores priced under declared Azure Hybrid Benefit, and says so; none without the declaration", () => {
    const declared = one([db("a", 8), db("b", 8)], { commitment: { term: "3y", hybridBenefit: true } });
    assert.equal(declared.hybridBenefitVcores, 16, "a readable secondary needs licences of its own");
    assert.match(
      formatEstimate(declared),
      /committed assumes Azure Hybrid Benefit on 16 SQL vCores: hold as many SQL Server core licences/,
    );
    assert.match(estimateMarkdown(declared), /Licences: committed assumes Azure Hybrid Benefit on 16 SQL vCores/);
    const none = one([db("a", 8)], { commitment: { term: "3y", hybridBenefit: false } });
    assert.equal(none.hybridBenefitVcores, 0);
    assert.doesNotMatch(formatEstimate(none), /Hybrid Benefit on/);
  });
});

describe("cost edges: the diff (npm run cost:diff)", () => {
  const bc = () =>
    res(
      `${AN}:sql:Database`,
      { sku: { name: "BC_Gen5", capacity: 8 }, licenseType: "BasePrice", serverName: "s", databaseName: "d" },
      "db",
    );
  it("a removed resource is a negative change, per line and per tier, list and committed each", () => {
    const db = bc();
    const base = one([db]);
    const head = one([]);
    const d = diffEstimates(base, head);
    assert.ok(d.changes.length > 0 && d.changes.every((c) => c.kind === "removed" && c.list <= 0 && c.committed <= 0));
    close(
      d.changes.reduce((s, c) => s + c.list, 0),
      -base.total.list,
    );
    assert.equal(d.tiers.length, 1);
    close(d.tiers[0].list, -base.total.list, "tier list");
    close(d.tiers[0].committed, -base.total.committed, "tier committed");
    assert.ok(base.total.committed < base.total.list, "the committed figure differs from the list figure here");
    close(d.delta.list, -base.total.list);
  });
  it("a change of the committed price only (same list) is a change", () => {
    const db = bc();
    const none = estimate([db], { stack: "t", usage: usage({ commitment: { term: "none", hybridBenefit: false } }) });
    const threeYear = estimate([db], { stack: "t", usage: usage() });
    const d = diffEstimates(none, threeYear);
    const compute = d.changes.find((c) => /^Compute/.test(c.meter));
    assert.equal(compute?.kind, "changed");
    assert.equal(compute?.list, 0);
    close(
      compute?.committed ?? NaN,
      8 * H * ((price("sql-bc-compute").reserved3y as number) - price("sql-bc-compute").list),
    );
    close(d.delta.committed, threeYear.total.committed - none.total.committed);
  });
  it("no change prints +$0.00 and says so", () => {
    const e = one([bc()]);
    const text = formatDiff(diffEstimates(e, e), "t", false);
    assert.match(text, /list \+\$0\.00/);
    assert.match(text, /no change/);
  });
});

describe("cost edges: capacity rows", () => {
  const rowOf = (rows: CapacityRow[], metric: string) => rows.find((r) => r.metric === metric);
  it("SQL log rate caps at 96 MB/s (Business Critical) and 50 MB/s (General Purpose); IOPS per vCore", () => {
    const db = (name: string, capacity: number) => [
      res(`${AN}:sql:Database`, { sku: { name, capacity }, databaseName: "d" }),
    ];
    const bc16 = capacity(db("BC_Gen5", 16));
    assert.equal(rowOf(bc16, "log rate")?.capacity, 96);
    assert.equal(rowOf(bc16, "data IOPS")?.capacity, 64_000);
    const gp16 = capacity(db("GP_Gen5", 16));
    assert.equal(rowOf(gp16, "log rate")?.capacity, 50);
    assert.equal(rowOf(gp16, "data IOPS")?.capacity, 5120);
    assert.equal(rowOf(capacity(db("GP_S_Gen5", 4)), "log rate")?.capacity, 18);
  });
  it("Cosmos DB: a container with manual throughput carries its provisioned RU/s", () => {
    const c = res(`${AN}:cosmosdb:SqlResourceSqlContainer`, {
      accountName: "a",
      resource: { id: "sessions" },
      options: { throughput: 4000 },
    });
    const r = capacity([res(`${AN}:cosmosdb:DatabaseAccount`, { accountName: "a" }), c])[0];
    assert.equal(r?.capacity, 4000);
    assert.equal(r?.metric, "RU/s (manual throughput, per region)", "not an autoscale maximum");
  });
  it("Flex quota: an app holds at most its maximum instances; an SQL trigger polls every second by default", () => {
    const app = res(`${AN}:web:WebApp`, {
      name: "api",
      resourceGroupName: "g",
      functionAppConfig: { scaleAndConcurrency: { instanceMemoryMB: 2048, maximumInstanceCount: 2 } },
    });
    const quota = capacity([app], { ...DEFAULT_LOAD, transactionsPerSecond: 5000 }).find((r) =>
      r.resource.startsWith("Flex Consumption regional quota"),
    );
    assert.equal(quota?.load, 2 * 2048, "16 instances needed, 2 allowed");
    const scorer = res(`${AN}:web:WebApp`, {
      name: "f",
      resourceGroupName: "g",
      functionAppConfig: {
        scaleAndConcurrency: { maximumInstanceCount: 10, alwaysReady: [{ name: "function:f", instanceCount: 2 }] },
      },
    });
    const settings = res(`${AN}:web:WebAppApplicationSettings`, {
      name: "f",
      resourceGroupName: "g",
      properties: { Sql_Trigger_MaxBatchSize: "100" },
    });
    const row = rowOf(capacity([scorer, settings], { ...DEFAULT_LOAD, scoringBatchSeconds: 0.15 }), "changes/s");
    close(row?.capacity ?? NaN, (2 * 100) / (0.15 + 1));
  });
  it("Application Gateway without autoscale: every instance is reserved", () => {
    const gw = res(`${AN}:network:ApplicationGateway`, { sku: { tier: "WAF_v2", capacity: 4 } }, "gw");
    const r = rowOf(capacity([gw]), "requests/s through the WAF");
    assert.equal(r?.capacity, 4 * 10 * 10);
    assert.match(r?.resource ?? "", /\(4–4 instances\)/);
    assert.match(r?.basis ?? "", /400 req\/s on the 4 reserved instances/);
  });
  it("online scoring: a deployment's capacity at its maximum instances", () => {
    const dep = res(`${AN}:machinelearningservices:OnlineDeployment`, {
      sku: { capacity: 2 },
      properties: { instanceType: "Standard_DS2_v2", scaleSettings: { minInstances: 2, maxInstances: 5 } },
    });
    assert.equal(rowOf(capacity([dep]), "scoring requests/s")?.capacity, 5 * 50);
  });
  it("a row below the target load is reported short, even by a little", () => {
    const row: CapacityRow = {
      tier: "t",
      resource: "x",
      metric: "m",
      capacity: 95,
      load: 100,
      unit: "u",
      headroom: 0.95,
      basis: "",
    };
    assert.match(formatCapacity([row]), /1 of 1 rows below it/);
  });
  it("the merchant-on-path scenario rounds fraud_features' scaled maximum up, never below the RU ratio", () => {
    const policy = { includedPaths: [{ path: "/*" }], excludedPaths: [{ path: '/"_etag"/?' }] };
    const l = DEFAULT_LOAD.cosmos.fraudFeatures;
    const ru = (replaces: number) => ruPerTransaction({ ...l, replacesPerTransaction: replaces }, policy, true).ru;
    const ratio = ru(l.replacesPerTransaction + 1) / ru(l.replacesPerTransaction);
    for (const max of [10_000, 11_000, 23_000, 50_000, 150_000]) {
      const c = res(`${AN}:cosmosdb:SqlResourceSqlContainer`, {
        resource: { id: "fraud_features", indexingPolicy: policy },
        options: { autoscaleSettings: { maxThroughput: max } },
      });
      const scaled = (
        merchantOnPath(DEFAULT_LOAD)(c)?.inputs.options as { autoscaleSettings: { maxThroughput: number } }
      ).autoscaleSettings.maxThroughput;
      assert.ok(scaled >= max * ratio && scaled < max * ratio + 1000, `${max}: ${scaled} vs ${max * ratio}`);
    }
  });
});

describe("cost edges: a change that adds what the estimator cannot price", () => {
  it("names it in the diff instead of 'No cost change' ($0 there is not free)", () => {
    const empty = {
      stack: "prod",
      currency: "USD" as const,
      lines: [],
      free: [],
      notEstimated: [],
      tiers: [],
      total: { list: 0, committed: 0 },
    } as unknown as Estimate;
    const sb = {
      urn: "urn:pulumi:prod::p::azure-native:servicebus:Namespace::bus",
      name: "bus",
      type: "azure-native:servicebus:Namespace",
      tier: "ingestion",
      reason: "no pricing rule for azure-native:servicebus:Namespace",
    };
    const d = diffEstimates(empty, { ...empty, notEstimated: [sb] });
    assert.deepEqual(d.notEstimated, { added: [{ ...sb, new: true }] });
    const md = formatDiff(d, "prod", true);
    assert.match(
      md,
      /\*\*Not estimated: 1 resource this change adds or no longer prices, counted as \$0 above \(not free\):\*\*\n\n- `bus` \(`azure-native:servicebus:Namespace`, ingestion\): no pricing rule/,
    );
    assert.doesNotMatch(md, /No cost change/);
    assert.match(md, /No priced line changes\./);
    assert.match(formatDiff(d, "prod", false), /not estimated, added: bus \(azure-native:servicebus:Namespace\)/);
    // Priced before, unpriced now (a SKU the price table lacks): said so, not "added".
    const priced = { ...empty, free: [{ ...sb, reason: "free" }] } as unknown as Estimate;
    const now = diffEstimates(priced, { ...empty, notEstimated: [sb] });
    assert.deepEqual(
      now.notEstimated.added.map((u) => u.new),
      [false],
    );
    assert.match(formatDiff(now, "prod", true), /ingestion, priced before this change\): no pricing rule/);
    assert.match(formatDiff(now, "prod", false), /not estimated, no longer priced: bus/);
    // Nothing unpriced added, nothing changed: still "No cost change".
    assert.match(formatDiff(diffEstimates(empty, empty), "prod", true), /No cost change\./);
  });
});

describe("cost edges: a changed line says what it was", () => {
  it("writes each number of the meter that changed as old → new", () => {
    assert.equal(fromTo("Compute BC_Gen5 8 vCores", "Compute BC_Gen5 16 vCores"), "Compute BC_Gen5 8 → 16 vCores");
    assert.equal(
      fromTo("Storage 1,024 GB, 2 replicas", "Storage 2,048 GB, 2 replicas"),
      "Storage 1,024 → 2,048 GB, 2 replicas",
    );
    assert.equal(fromTo("Gen5 BC_Gen5", "Gen5 BC_Gen5"), "Gen5 BC_Gen5");
    // A number inside a word changes the word, not the digits alone ("DW500 → 300c" read as nonsense).
    assert.equal(fromTo("Dedicated pool DW500c", "Dedicated pool DW300c"), "Dedicated pool DW500c → DW300c");
  });
});

describe("cost edges: a renamed resource's lines compare as one", () => {
  it("maps the base's URN to the head's (movedUrns) so a rename nets nothing line by line", () => {
    const line = (urn: string) => ({
      urn,
      name: urn.split("::").pop() ?? urn,
      type: "azure-native:keyvault:Key",
      tier: "platform",
      priceId: "kv-key",
      meter: "Key operations 1 key",
      quantity: 1,
      unit: "key",
      list: 5,
      committed: 5,
    });
    const estimateOf = (urn: string) =>
      ({ lines: [line(urn)], free: [], notEstimated: [], total: { list: 5, committed: 5 } }) as unknown as Estimate;
    const [old, renamed] = ["urn:pulumi:prod::p::t::key-old", "urn:pulumi:prod::p::t::key-new"];
    const noisy = diffEstimates(estimateOf(old), estimateOf(renamed));
    assert.deepEqual(
      noisy.changes.map((c) => c.kind),
      ["added", "removed"],
    );
    assert.deepEqual(diffEstimates(estimateOf(old), estimateOf(renamed), new Map([[old, renamed]])).changes, []);
    // From two exports: the same Azure id under a new URN, or an alias to the old one.
    const rec = (urn: string, id: string, aliases?: string[]) =>
      ({
        ...resourceRecord("azure-native:keyvault:Key", "k", {}),
        urn,
        id,
        ...(aliases ? { aliases } : {}),
      }) as ResourceRecord;
    assert.deepEqual([...movedUrns([rec(old, "/k1")], [rec(renamed, "/K1")])], [[old, renamed]]);
    assert.deepEqual([...movedUrns([rec(old, "/k1")], [rec(renamed, "/k2", [old])])], [[old, renamed]]);
    assert.deepEqual([...movedUrns([rec(old, "/k1")], [rec(old, "/k1"), rec(renamed, "/k1")])], []);
  });
});

describe("cost edges: docs/capacity.md explains dev's rows below its target", () => {
  const row = (metric: string, headroom: number, basis = "") => ({
    tier: "ingestion",
    resource: `app-${metric}`,
    metric,
    capacity: 86.957,
    load: 100,
    unit: metric,
    headroom,
    basis,
  });
  const dev = (capacity: ReturnType<typeof row>[]) =>
    ({ capacity, load: { transactionsPerSecond: 100 } }) as unknown as Parameters<typeof devShortNote>[0];

  it("names the scorer's poll and its lever, lists any other row as it stands, and says so when none is short", () => {
    const scorer = row("changes/s", 0.87, "each instance 100 changes per 0.15 s batch + 1 s poll");
    const note = devShortNote(dev([scorer, row("req/s", 2)]));
    assert.match(
      note,
      /^\*\*Below dev's target:\*\* app-changes\/s\. dev's fraud scorer polls every 1 s \(`ingestion\.functions\.fraudScoring\.sqlTriggerPollingMs`\)/,
    );
    assert.match(note, /scores at most 87 changes\/s, under dev's 100 transactions\/s/);
    assert.doesNotMatch(note, /Also below it/);
    assert.match(devShortNote(dev([scorer, row("MB/s", 0.5)])), /Also below it: app-MB\/s \(MB\/s\)\.$/);
    assert.equal(devShortNote(dev([row("req/s", 2)])), "Every dev tier carries dev's target load.");
  });
});
