import { strict as assert } from "node:assert";
import { parseConfig, PROJECT, type RawConfig } from "../lib/config";
import { LAKE_SKUS } from "../lib/config/data";
import { validateModel } from "../pipelines/model/validate";
import type { Column, DataModel } from "../pipelines/model/types";
import { t, typeLength } from "../pipelines/model/types";
import { rawOf, rejectsConfig } from "./helpers/config";
import { cloneModel, olapTable, oltpColumn, oltpTable } from "./pipelines/helpers";

/** The stack config as the schema takes it (every key typed; optional ones may be absent). */
type Raw = RawConfig;

/** A copy of a committed stack's config with one change applied. */
function edited(stack: "dev" | "prod", change: (raw: Raw) => void): Raw {
  const raw = structuredClone(rawOf(stack));
  change(raw);
  return raw;
}

/** Asserts that parsing fails with a message matching `expected` (the key, the value, what is allowed). */
function rejects(stack: "dev" | "prod", change: (raw: Raw) => void, expected: RegExp): void {
  rejectsConfig(edited(stack, change), stack, expected);
}

/** Asserts that the changed stack parses, and returns the parsed config. */
function accepts(stack: "dev" | "prod", change: (raw: Raw) => void) {
  return parseConfig(edited(stack, change), stack);
}

const K = `config ${PROJECT}`;

/** A section the committed stack sets (the schema types it optional). */
function must<T>(value: T | undefined): T {
  assert.ok(value !== undefined, "the committed stack sets this section");
  return value;
}

describe("config edges: key rotation and expiry ranges", () => {
  it("keyRotationDays: 30 to 365 days, naming the range", () => {
    rejects(
      "dev",
      (r) => (r.keyRotationDays = 29),
      new RegExp(`${K}:keyRotationDays: got 29; must be between 30 and 365 days`),
    );
    rejects(
      "dev",
      (r) => Object.assign(r, { keyRotationDays: 366, keyExpiryDays: 730 }),
      /keyRotationDays: got 366; must be between 30 and 365 days/,
    );
    assert.equal(
      accepts("dev", (r) => Object.assign(r, { keyRotationDays: 365, keyExpiryDays: 730 })).keyRotationDays,
      365,
    );
    assert.equal(accepts("dev", (r) => Object.assign(r, { keyRotationDays: 30, keyExpiryDays: 60 })).keyExpiryDays, 60);
  });
  it("keyExpiryDays: 60 to 730 days, naming the range (not only the rotation rule)", () => {
    rejects("dev", (r) => (r.keyExpiryDays = 731), /keyExpiryDays: got 731; must be between 60 and 730 days/);
    rejects(
      "dev",
      (r) => Object.assign(r, { keyRotationDays: 30, keyExpiryDays: 59 }),
      /keyExpiryDays: got 59; must be between 60 and 730 days/,
    );
  });
});

describe("config edges: network and regions", () => {
  const withSubnets = (change: (s: Record<string, string>) => void) => (r: Raw) => {
    r.subnets = { ...parseConfig(rawOf("dev"), "dev").subnets };
    change(r.subnets);
  };
  it("accepts a firewall subnet of exactly /26 and larger", () => {
    assert.equal(
      accepts(
        "dev",
        withSubnets(() => undefined),
      ).subnets.firewall,
      "10.20.4.64/26",
    );
    assert.equal(
      accepts(
        "dev",
        withSubnets((s) => (s.firewall = "10.20.8.0/25")),
      ).subnets.firewall,
      "10.20.8.0/25",
    );
  });
  it("names a subnet role missing from an explicit subnets map, listing every role", () => {
    rejects(
      "dev",
      withSubnets((s) => delete s.flexFunctions),
      /subnets \(flexFunctions\): got nothing \(the key is missing\); is missing: when subnets is set it must list every role \(privateEndpoints, functions, appGateway, mlCompute, streamAnalytics, firewall, flexFunctions\)/,
    );
  });
  it("accepts every EU region with availability zones as the primary (Italy North, Poland Central, Spain Central)", () => {
    for (const location of ["italynorth", "polandcentral", "spaincentral", "swedencentral"]) {
      assert.equal(accepts("dev", (r) => (r.location = location)).location, location);
    }
  });
  it("zone-redundant (Zone) SQL backups with a failover group need a zonal secondary region", () => {
    rejects(
      "prod",
      (r) => {
        Object.assign(r.sql, { zoneRedundant: false, backupStorageRedundancy: "Zone" });
        r.secondaryLocation = "swedensouth";
      },
      /secondaryLocation: got "swedensouth"; must be an EU region with availability zones: .*\(sql.backupStorageRedundancy Zone with sql.failoverGroup put a zone-redundant replica there\)/,
    );
  });
  it("defaults ddosProtectionMode to network and names its values", () => {
    assert.equal(accepts("dev", (r) => delete r.ddosProtectionMode).ddosProtectionMode, "network");
    rejects(
      "dev",
      (r) => Object.assign(r, { ddosProtectionMode: "both" }),
      /ddosProtectionMode: got "both"; must be network or ip/,
    );
  });
  it("prod's gateway keeps at least two instances (a new one takes six or seven minutes); dev may scale to zero", () => {
    const gateway = (r: Record<string, unknown>) => (r.ingestion as { gateway: { minInstances: number } }).gateway;
    assert.equal(accepts("prod", (r) => (gateway(r).minInstances = 2)).ingestion.gateway.minInstances, 2);
    rejects(
      "prod",
      (r) => (gateway(r).minInstances = 1),
      /ingestion \(gateway.minInstances\): got 1; must be at least 2 in prod \(a new Application Gateway instance takes about six or seven minutes/,
    );
    assert.equal(accepts("dev", (r) => (gateway(r).minInstances = 0)).ingestion.gateway.minInstances, 0);
  });
  it("operations.deployPrincipalId is an object id (a GUID), optional", () => {
    const ops = (r: Record<string, unknown>) => r.operations as Record<string, unknown>;
    const id = "44444444-aaaa-4bbb-8ccc-000000000004";
    assert.equal(accepts("prod", (r) => (ops(r).deployPrincipalId = id)).operations.deployPrincipalId, id);
    assert.equal(accepts("prod", () => undefined).operations.deployPrincipalId, undefined);
    rejects(
      "prod",
      (r) => (ops(r).deployPrincipalId = "deploy-sp"),
      /operations \(deployPrincipalId\): got "deploy-sp"/,
    );
  });
  it("defaults functionPackageWrites to deploy-window and names its values", () => {
    assert.equal(accepts("dev", (r) => delete r.functionPackageWrites).functionPackageWrites, "deploy-window");
    assert.equal(accepts("prod", (r) => (r.functionPackageWrites = "always")).functionPackageWrites, "always");
    rejects(
      "dev",
      (r) => Object.assign(r, { functionPackageWrites: "never" }),
      /functionPackageWrites: got "never"; must be deploy-window or always/,
    );
  });
  it("costCenter: at most 20 characters", () => {
    assert.equal(accepts("dev", (r) => (r.costCenter = "A".repeat(20))).costCenter, "A".repeat(20));
    rejects(
      "dev",
      (r) => (r.costCenter = "A".repeat(21)),
      /costCenter: got "A{21}"; must be 2–20 letters, digits or hyphens/,
    );
  });
});

describe("config edges: environment rules", () => {
  it("dev keeps logs at least 90 days", () => {
    rejects(
      "dev",
      (r) => (r.logRetentionDays = 89),
      /logRetentionDays: got 89; must be at least 90 days in dev \(PCI DSS 10.5.1\)/,
    );
    assert.equal(accepts("dev", (r) => (r.logRetentionDays = 90)).logRetentionDays, 90);
  });
  it("prod requires Sentinel, lake GZRS/RAGZRS and pool geo-backups", () => {
    rejects(
      "prod",
      (r) => (r.operations.sentinel = false),
      /operations \(sentinel\): got false; must be true in prod \(PCI DSS 10.4.1/,
    );
    rejects(
      "prod",
      (r) => (r.olap.lake.sku = "Standard_GRS"),
      /olap \(lake.sku\): got "Standard_GRS"; must be Standard_GZRS or Standard_RAGZRS in prod/,
    );
    rejects("prod", (r) => (r.olap.pool.geoBackup = false), /olap \(pool.geoBackup\): got false; must be true in prod/);
  });
  it("takes the pool to recover from by its id or its geo-backup's, and refuses anything else naming the key", () => {
    const SOURCE =
      "/subscriptions/s/resourceGroups/rg-pay-prod-weu-data/providers/Microsoft.Synapse/workspaces/synw/sqlPools/dp";
    const BACKUP = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/synw/recoverabledatabases/dp";
    for (const id of [SOURCE, SOURCE.replace("/sqlPools/", "/recoverableSqlPools/"), BACKUP])
      assert.equal(accepts("prod", (r) => (r.olap.pool.recoverFrom = id)).olap.pool.recoverFrom, id);
    for (const bad of [
      `${SOURCE}/extra`,
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Synapse/workspaces/synw",
      BACKUP.replace("recoverabledatabases", "databases"),
      "dp",
    ])
      rejects(
        "prod",
        (r) => (r.olap.pool.recoverFrom = bad),
        /olap \(pool.recoverFrom\): got .*; must be the resource id of the dedicated SQL pool whose geo-backup to restore \(\/subscriptions\/<id>\/resourceGroups\/<group>\/providers\/Microsoft\.Synapse\/workspaces\/<workspace>\/sqlPools\/<pool>\), or of that geo-backup/,
      );
  });
});

describe("config edges: sql", () => {
  it("minCapacity: from the larger of 0.5 and an eighth of the maximum vCores, up to the maximum (serverless)", () => {
    // dev: GP_S_Gen5 with 2 vCores at most.
    for (const v of [0.25, 2.5, 40])
      rejects(
        "dev",
        (r) => (r.sql.minCapacity = v),
        v < 0.5
          ? /sql \(minCapacity\): got 0\.25; must be at least 0\.5 vCore/
          : new RegExp(`sql \\(minCapacity\\): .*must be 0\\.5–2 vCores with sku\\.capacity 2`),
      );
    for (const v of [0.5, 2]) assert.equal(accepts("dev", (r) => (r.sql.minCapacity = v)).sql.minCapacity, v);
    // 8 vCores at most: 1 at least (Microsoft's "Min-max vCores" 1.0 - 8).
    rejects(
      "dev",
      (r) => Object.assign(r.sql, { sku: { name: "GP_S_Gen5", capacity: 8 }, minCapacity: 0.75 }),
      /sql \(minCapacity\): .*must be 1–8 vCores with sku\.capacity 8/,
    );
    assert.equal(
      accepts("dev", (r) => Object.assign(r.sql, { sku: { name: "GP_S_Gen5", capacity: 8 }, minCapacity: 1 })).sql
        .minCapacity,
      1,
    );
  });
  it("autoPauseDelayMinutes: -1 or 15–10080", () => {
    for (const v of [14, 10081])
      rejects(
        "dev",
        (r) => (r.sql.autoPauseDelayMinutes = v),
        new RegExp(`sql \\(autoPauseDelayMinutes\\): got ${v}; must be -1 \\(off\\) or 15–10080 minutes`),
      );
    for (const v of [15, 10080])
      assert.equal(accepts("dev", (r) => (r.sql.autoPauseDelayMinutes = v)).sql.autoPauseDelayMinutes, v);
  });
  it("long-term retention: weekOfYear 1–52 and durations in Y/M/W/D only", () => {
    rejects(
      "prod",
      (r) => (must(r.sql.longTermRetention).weekOfYear = 53),
      /sql \(longTermRetention.weekOfYear\): got 53; must be between 1 and 52/,
    );
    rejects(
      "prod",
      (r) => (must(r.sql.longTermRetention).weekly = "P12H"),
      /sql \(longTermRetention.weekly\): got "P12H"; must be an ISO 8601 duration in whole weeks\/months\/years\/days/,
    );
  });
  it("auditRetentionDays: at most 3285", () => {
    rejects(
      "dev",
      (r) => (r.sql.auditRetentionDays = 3286),
      /sql \(auditRetentionDays\): got 3286; must be between 0 and 3285/,
    );
    assert.equal(accepts("dev", (r) => (r.sql.auditRetentionDays = 3285)).sql.auditRetentionDays, 3285);
  });
  it("zone-redundant Flex plans need two always-ready instances per configured group (Azure's floor, billed)", () => {
    rejects(
      "prod",
      (r) => (must(r.ingestion).functions.paymentApi.alwaysReady = 1),
      /ingestion \(functions\.paymentApi\.alwaysReady\): got 1; must be at least 2 with functions\.zoneRedundant/,
    );
    rejects(
      "prod",
      (r) => (must(must(r.streaming).relay).loaderAlwaysReady = 1),
      /streaming \(relay\.loaderAlwaysReady\): got 1; must be at least 2 with relay\.zoneRedundant/,
    );
    const off = accepts("prod", (r) => {
      must(r.ingestion).functions.zoneRedundant = false;
      must(r.ingestion).functions.paymentApi.alwaysReady = 1;
    });
    assert.equal(off.ingestion.functions.zoneRedundant, false);
  });
  it("auditRetentionDays is the audit archive's: refused without sql.archiveTriggerAudit, and below PCI DSS's minimum", () => {
    rejects(
      "prod",
      (r) => (r.sql.auditRetentionDays = 400),
      /sql \(auditRetentionDays\): got 400; applies only with sql\.archiveTriggerAudit true/,
    );
    rejects(
      "prod",
      (r) => {
        r.sql.archiveTriggerAudit = true;
        r.sql.auditRetentionDays = 180;
      },
      /sql \(auditRetentionDays\): got 180; must be at least 365 days in prod \(PCI DSS 10\.5\.1\), or 0 for logRetentionDays \(365\)/,
    );
    rejects("dev", (r) => (r.sql.auditRetentionDays = 30), /must be at least 90 days in dev/);
    const on = accepts("prod", (r) => (r.sql.archiveTriggerAudit = true));
    assert.deepEqual(
      [on.sql.archiveTriggerAudit, on.sql.auditRetentionDays],
      [true, 0],
      "0: the workspace's retention",
    );
    rejects("dev", (r) => Object.assign(r.sql, { archiveTriggerAudit: "yes" }), /sql \(archiveTriggerAudit\)/);
  });
  it("read scale-out only on BC_Gen5/HS_Gen5, not General Purpose", () => {
    rejects(
      "dev",
      (r) =>
        (r.sql = {
          ...r.sql,
          sku: { name: "GP_Gen5", capacity: 2 },
          minCapacity: undefined,
          autoPauseDelayMinutes: undefined,
          readScaleOut: true,
        }),
      /sql \(readScaleOut\): got true; read scale-out needs BC_Gen5 or HS_Gen5/,
    );
  });
  it("serverless auto-pause with long-term retention alone is refused", () => {
    rejects(
      "dev",
      (r) => (r.sql.longTermRetention = { weekly: "P4W", monthly: "P12M", yearly: "P5Y", weekOfYear: 1 }),
      /sql \(autoPauseDelayMinutes\): got 60; must be -1 \(auto-pause off\) on serverless with a failover group or long-term retention/,
    );
  });
});

describe("config edges: olap", () => {
  it("lake softDeleteDays: at least 7", () => {
    rejects(
      "dev",
      (r) => (r.olap.lake.softDeleteDays = 6),
      /olap \(lake.softDeleteDays\): got 6; must be between 7 and 365 days/,
    );
  });
  it("no archive tier on a ZRS lake", () => {
    rejects(
      "dev",
      (r) => (r.olap.lake.lifecycle.raw.archiveAfterDays = 60),
      /olap \(lake.lifecycle.raw.archiveAfterDays\): got 60; the archive tier is not available on Standard_ZRS accounts \(only Standard_LRS, Standard_GRS, Standard_RAGRS\)/,
    );
  });
  it("no geo-redundant lake in a region without an Azure pair", () => {
    rejects(
      "dev",
      (r) => Object.assign(r, { location: "italynorth" }) && (r.olap.lake.sku = "Standard_GRS"),
      /olap \(lake.sku\): got "Standard_GRS"; italynorth has no Azure region pair, so it offers no geo-redundant storage/,
    );
    // Every geo-redundant SKU is refused there (the pair holds its copy), and only those: LRS and ZRS stay in-region.
    for (const sku of LAKE_SKUS) {
      const change = (r: Raw) => Object.assign(r, { location: "italynorth" }) && (r.olap.lake.sku = sku);
      if (sku.includes("GRS") || sku.includes("GZRS"))
        rejects("dev", change, new RegExp(`got "${sku}"; italynorth has no Azure region pair`));
      else assert.equal(accepts("dev", change).olap.lake.sku, sku);
    }
  });
  it("workload groups: the service level's lowest grant, guarantees of whole requests, at most 100 percent", () => {
    rejects(
      "dev",
      (r) => Object.assign(r.olap.workloadIsolation.etl, { minPercent: 0, requestMinPercent: 24 }),
      /olap \(workloadIsolation.etl.requestMinPercent\): got 24; must be at least 25 on DW100c/,
    );
    rejects(
      "dev",
      (r) => (r.olap.workloadIsolation.etl.minPercent = 10),
      /olap \(workloadIsolation.etl.minPercent\): got 10; must be 0 or at least requestMinPercent \(25\)/,
    );
    rejects(
      "prod",
      (r) => {
        Object.assign(r.olap.workloadIsolation.etl, { minPercent: 60, capPercent: 60 });
        Object.assign(r.olap.workloadIsolation.bi, { minPercent: 41, requestMinPercent: 41 });
      },
      /olap \(workloadIsolation\): got .*; etl.minPercent \+ bi.minPercent is 101; the guarantees cannot exceed 100 percent/,
    );
  });
  it("pause schedule: pauseAt strictly after resumeAt, and 24-hour times only", () => {
    rejects(
      "dev",
      (r) => (must(r.olap.pauseSchedule).pauseAt = "07:00"),
      /olap \(pauseSchedule.pauseAt\): got "07:00"; must be later in the day than resumeAt \(07:00\)/,
    );
    rejects(
      "dev",
      (r) => (must(r.olap.pauseSchedule).pauseAt = "24:00"),
      /olap \(pauseSchedule.pauseAt\): got "24:00"; must be a 24-hour time HH:MM/,
    );
  });
});

describe("config edges: cosmos", () => {
  it("maxThroughput at most 1,000,000 RU/s; ttlSeconds -1 or positive", () => {
    rejects(
      "prod",
      (r) => (r.cosmos.containers.apiLogs.maxThroughput = 1_001_000),
      /cosmos \(containers.apiLogs.maxThroughput\): got 1001000; must be at most 1,000,000 RU\/s/,
    );
    rejects(
      "dev",
      (r) => (r.cosmos.containers.apiLogs.ttlSeconds = 0),
      /cosmos \(containers.apiLogs.ttlSeconds\): got 0; must be -1 or a positive number of seconds/,
    );
  });
  it("a serverless account cannot be multi-region", () => {
    rejects(
      "dev",
      (r) => (r.cosmos.multiRegion = true),
      /cosmos \(multiRegion\): got true; serverless accounts are single-region/,
    );
  });
});

describe("config edges: service tiers", () => {
  it("ml: idle scale-down at least 60 s, at most 20 endpoint instances", () => {
    rejects(
      "dev",
      (r) => (must(r.ml).compute.idleSecondsBeforeScaleDown = 59),
      /ml \(compute.idleSecondsBeforeScaleDown\): got 59; must be between 60 and 86400 seconds/,
    );
    rejects(
      "prod",
      (r) => (must(r.ml).endpoint.instanceCount = 21),
      /ml \(endpoint.instanceCount\): got 21; must be between 1 and 20 instances/,
    );
  });
  it("etl: DIUs in fours, at most 10 pipeline nodes, the outbound allow-list a boolean", () => {
    rejects(
      "dev",
      (r) => Object.assign(must(r.etl), { outboundAllowList: "yes" }),
      /etl \(outboundAllowList\): got "yes"; .*boolean/,
    );
    rejects(
      "dev",
      (r) => (must(r.etl).integrationRuntime.copyDataIntegrationUnits = 6),
      /etl \(integrationRuntime.copyDataIntegrationUnits\): got 6; must be a multiple of 4/,
    );
    rejects(
      "dev",
      (r) => (must(r.etl).integrationRuntime.pipelineNodes = 11),
      /etl \(integrationRuntime.pipelineNodes\): got 11; must be between 1 and 10 nodes/,
    );
  });
  it("ingestion: at most 50 always-ready instances", () => {
    rejects(
      "prod",
      (r) => (must(r.ingestion).functions.paymentApi.alwaysReady = 51),
      /ingestion \(functions.paymentApi.alwaysReady\): got 51; must be between 0 and 50 \(always-ready instances\)/,
    );
  });
  it("streaming: SU V1 up to 216, late arrival up to 240 s, Standard limits, freshness window sizes", () => {
    rejects(
      "prod",
      (r) => (must(must(r.streaming).streamAnalytics).streamingUnits = 222),
      /streaming \(streamAnalytics.streamingUnits\): got 222; must be 1, 3 or a multiple of 6 up to 216/,
    );
    rejects(
      "dev",
      (r) => (must(must(r.streaming).streamAnalytics).lateArrivalSeconds = 241),
      /streaming \(streamAnalytics.lateArrivalSeconds\): got 241; must be between 0 and 240 seconds/,
    );
    rejects(
      "dev",
      (r) => (must(must(r.streaming).eventHubs).retentionHours = 169),
      /streaming \(eventHubs.retentionHours\): got 169; must be at most 168 on Standard/,
    );
    rejects(
      "dev",
      (r) => (must(must(r.streaming).eventHubs).capacity = 41),
      /streaming \(eventHubs.capacity\): got 41; must be between 1 and 40/,
    );
    rejects(
      "dev",
      (r) => (must(r.streaming).freshnessMinutes = 90),
      /streaming \(freshnessMinutes\): got 90; must be one of 5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440 minutes/,
    );
  });
});

describe("config edges: operations", () => {
  it("SLA log windows of at least 5 minutes; budget start on the 1st; a positive budget", () => {
    rejects(
      "dev",
      (r) => (r.operations.sla = { oltpWindowMinutes: 1 }),
      /operations \(sla.oltpWindowMinutes\): got 1; must be one of 5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440, 2880 minutes/,
    );
    rejects(
      "dev",
      (r) => (r.operations.budget.startDate = "2026-12-02"),
      /operations \(budget.startDate\): got "2026-12-02"; must be the first day of a month, YYYY-MM-01/,
    );
    rejects(
      "dev",
      (r) => (r.operations.budget.amount = 0),
      /operations \(budget.amount\): got 0; must be a positive monthly amount/,
    );
  });
});

describe("config edges: usage", () => {
  it("names the range and the unit of a usage figure", () => {
    rejects(
      "dev",
      (r) => (must(r.usage).synapsePoolHoursPerMonth = 745),
      /usage \(synapsePoolHoursPerMonth\): got 745; must be between 0 and 744 hours\/month/,
    );
    rejects(
      "prod",
      (r) => (must(r.usage).cosmosAutoscaleBilledFraction = 0.05),
      /usage \(cosmosAutoscaleBilledFraction\): got 0.05; must be between 0.1 and 1 \(fraction of the autoscale maximum\)/,
    );
    rejects(
      "prod",
      (r) => (must(r.usage).sqlTriggerAuditBytesPerPoll = -1),
      /usage \(sqlTriggerAuditBytesPerPoll\): got -1; must be between 0 and 1000000 bytes\/poll/,
    );
    // The begin and commit records are part of a poll's bytes, never more than all of them.
    rejects(
      "prod",
      (r) => {
        must(r.usage).sqlTriggerAuditBytesPerPoll = 1500;
      },
      /usage \(sqlTriggerAuditTransactionBytesPerPoll\): got nothing \(the key is missing\); must be at most sqlTriggerAuditBytesPerPoll \(1500\).*\(default 2,000: set it with a measured sqlTriggerAuditBytesPerPoll\)/,
    );
    rejects(
      "prod",
      (r) => {
        must(r.usage).sqlTriggerAuditBytesPerPoll = 1500;
        must(r.usage).sqlTriggerAuditTransactionBytesPerPoll = 1600;
      },
      /usage \(sqlTriggerAuditTransactionBytesPerPoll\): got 1600; must be at most sqlTriggerAuditBytesPerPoll \(1500\)/,
    );
    rejects(
      "prod",
      (r) => (must(r.load).sqlTriggerLockSecondsPerBatch = 0),
      /load \(sqlTriggerLockSecondsPerBatch\): got 0; must be between 0.0001 and 60 s/,
    );
  });
  it("an absent usage key prices at the seed's 3-year commitment with Azure Hybrid Benefit", () => {
    assert.deepEqual(accepts("dev", (r) => delete r.usage).usage.commitment, { term: "3y", hybridBenefit: true });
  });
});

describe("model validation edges", () => {
  const problems = (mutate: (m: DataModel) => void): string[] => {
    const m = cloneModel();
    mutate(m);
    return validateModel(m);
  };
  const reports = (mutate: (m: DataModel) => void, expected: RegExp) => {
    const found = problems(mutate);
    assert.ok(
      found.some((p) => expected.test(p)),
      `expected ${expected}, got:\n${found.join("\n")}`,
    );
  };
  it("type bounds: NVARCHAR up to 4000, DECIMAL precision up to 38, DATETIME2 up to 7", () => {
    reports(
      (m) => (oltpColumn(m, "Merchant", "DisplayName").type = t.nvarchar(4001)),
      /Merchant.DisplayName: length 4001 out of range 1..4000/,
    );
    reports(
      (m) => (oltpColumn(m, "Merchant", "DisplayName").type = t.decimal(39, 4)),
      /Merchant.DisplayName: invalid DECIMAL\(39, 4\)/,
    );
    reports(
      (m) => (oltpColumn(m, "Merchant", "CreatedAt").type = t.datetime2(8)),
      /Merchant.CreatedAt: invalid DATETIME2\(8\)/,
    );
  });
  it("one IDENTITY column per table", () => {
    const seq: Column = { name: "Seq", type: t.bigint(), nullable: false, identity: { seed: 1, increment: 1 } };
    reports((m) => oltpTable(m, "Merchant").columns.push(seq), /Merchant: more than one IDENTITY column/);
  });
  it("allowed values: lower_snake_case and within the column's length", () => {
    const funding = (m: DataModel) => {
      const table = m.oltp.tables.find((x) => x.columns.some((c) => c.name === "Funding"));
      assert.ok(table);
      return oltpColumn(m, table.name, "Funding");
    };
    reports((m) => funding(m).allowedValues?.push("Gift"), /Funding: allowed value 'Gift' must be lower_snake_case/);
    reports(
      (m) => funding(m).allowedValues?.push("overdraft"),
      /Funding: allowed value 'overdraft' does not fit VARCHAR\(8\)/,
    );
  });
  it("a column named like a card security code, however it is spelled", () => {
    reports(
      (m) => (oltpColumn(m, "Merchant", "DisplayName").name = "CardSecurityCode"),
      /CardSecurityCode: column name suggests a full card number or sensitive authentication data \("securitycode"\)/,
    );
  });
  it("seed values: an unknown member longer than its column is refused, one that fills it exactly is not", () => {
    const len = typeLength(olapTable(cloneModel(), "Dim_Merchant").columns.find((c) => c.name === "LegalName")!.type)!;
    const set = (value: string) => (m: DataModel) => {
      const u = olapTable(m, "Dim_Merchant").unknownMember;
      assert.ok(u);
      u.LegalName = value;
    };
    reports(set("x".repeat(len + 1)), /Dim_Merchant: unknown member value "x+" does not fit LegalName NVARCHAR\(200\)/);
    assert.ok(!problems(set("x".repeat(len))).some((p) => /unknown member value/.test(p)));
  });
  it("a random() mask may have from equal to to", () => {
    const found = problems(
      (m) => (oltpColumn(m, "PaymentMethod", "ExpMonth").classification!.mask = { fn: "random", from: 5, to: 5 }),
    );
    assert.ok(!found.some((p) => /random\(5,5\)/.test(p)), found.join("\n"));
  });
});
