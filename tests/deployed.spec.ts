import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { cosmosCreationOnlyConflicts, cosmosSoloChangeConflicts } from "../components/nosql/settings";
import {
  DATABASE_NAME,
  hyperscaleConflicts,
  hyperscaleRedundancyConflicts,
  ledgerConflicts,
  secondaryTierConflicts,
  secondaryTypeConflicts,
} from "../components/oltp/settings";
import {
  checkCreationOnly,
  creationOnlyMessage,
  deployedOrNone,
  isNotFound,
  type CreationOnlyCheck,
} from "../components/shared";
import { ConfigError } from "../lib/config";
import { programOf } from "../tools/lib/deployedView";
import { programFailure, ProgramStalled, quiet, runProgram, STALL_MS, watchStall } from "../tools/lib/engine";
import { refusalOf } from "./helpers/deployedElsewise";
import { byName, configOf, invokesOf, ofType, previewOf } from "./helpers/stacks";

const notFound = (code: string) =>
  new Error(
    `invocation of azure-native:cosmosdb:getDatabaseAccount returned an error: request failed /subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/a: Status=404 Code="${code}" Message="gone"`,
  );

describe("deployed resources: reads", () => {
  it("only a missing resource reads as absent; any other failure of a read stops the program", () => {
    for (const code of [
      "ResourceNotFound",
      "ResourceGroupNotFound",
      "ParentResourceNotFound",
      "RoleAssignmentNotFound",
    ])
      assert.ok(isNotFound(new Error(`RESPONSE 404: 404 Not Found\nERROR CODE: ${code}`)), code);
    // What the CLI's engine rejects an azure-native invoke with (provider.go Invoke, client_azcore.go).
    assert.ok(isNotFound(notFound("ResourceNotFound")));
    assert.ok(isNotFound(new Error('request failed /x: Status=404 Code="NotFound" Message="gone"')));
    assert.ok(!isNotFound(new Error('request failed /x: Status=403 Code="AuthorizationFailed" Message="no"')));
    // A provider the subscription is not registered for: none of its resources can exist there. Azure's answer, and
    // (azcore registering the provider itself) the failed registration of a login that may not register it, as
    // azcore's ResponseError prints it.
    assert.ok(
      isNotFound(
        new Error(
          'request failed /x: Status=409 Code="MissingSubscriptionRegistration" Message="The subscription is not registered to use namespace \'Microsoft.Network\'. See https://aka.ms/rps-not-found for how to register subscriptions."',
        ),
      ),
    );
    const registerRefused = [
      "POST https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Network/register",
      "--------------------------------------------------------------------------------",
      "RESPONSE 403: 403 Forbidden",
      "ERROR CODE: AuthorizationFailed",
      "--------------------------------------------------------------------------------",
      '{"error":{"code":"AuthorizationFailed","message":"The client \'x\' with object id \'y\' does not have authorization to perform action \'Microsoft.Network/register/action\' over scope \'/subscriptions/00000000-0000-0000-0000-000000000001\'"}}',
    ].join("\n");
    assert.ok(
      isNotFound(
        new Error(`invocation of azure-native:network:getVirtualNetwork returned an error: ${registerRefused}`),
      ),
    );
    // Another authorization failure (a GET the login may not make) stays a failure.
    assert.ok(
      !isNotFound(
        new Error(
          "GET https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v\nRESPONSE 403: 403 Forbidden\nERROR CODE: AuthorizationFailed",
        ),
      ),
    );
    for (const other of ["AuthorizationFailed", "ResourceNotFoundish", "RESPONSE 429: TooManyRequests", "ECONNRESET"])
      assert.ok(!isNotFound(new Error(other)), other);
  });

  it("deployedOrNone gives the resource, none when Azure reports it missing, and rethrows anything else", async () => {
    assert.deepEqual(await deployedOrNone(() => Promise.resolve({ name: "a" })), { name: "a" });
    assert.equal(await deployedOrNone(() => Promise.reject(notFound("ResourceGroupNotFound"))), undefined);
    await assert.rejects(
      deployedOrNone(() => Promise.reject(new Error('Status=403 Code="AuthorizationFailed"'))),
      /AuthorizationFailed/,
    );
  });
});

describe("the Stream Analytics job lookup (azureJobLookup, through deployedOrNone)", () => {
  const program = programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/jobLookup.ts") });
  afterEach(() => delete process.env.JOB_LOOKUP);

  it("reads the job, its input and an assignment when Azure has them, and none of them on a 404", async () => {
    process.env.JOB_LOOKUP = "present";
    assert.deepEqual((await runProgram({ ...program, firstPreview: false })).stackOutputs, {
      job: { principalId: "p-1", jobStorageAccountName: "stjob" },
      hasInput: true,
      hasAssignment: true,
    });
    process.env.JOB_LOOKUP = "missing";
    assert.deepEqual((await runProgram({ ...program, firstPreview: false })).stackOutputs, {
      job: "none",
      hasInput: false,
      hasAssignment: false,
    });
  });

  it("fails the program on any other failure of a read", async () => {
    process.env.JOB_LOOKUP = "forbidden";
    await assert.rejects(runProgram({ ...program, firstPreview: false }), /AuthorizationFailed/);
  });
});

describe("offline engine: an error in the program's applies", () => {
  it("ends the run with the error once the program has gone quiet, as the CLI's process does, not waiting forever", async () => {
    const program = programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/applyThrows.ts") });
    for (const firstPreview of [true, false]) {
      const started = Date.now();
      await assert.rejects(runProgram({ ...program, firstPreview }), /the check of 'first' failed/);
      assert.ok(Date.now() - started < 10_000, "ended within seconds");
      // What never settles is not left to the SDK's exit check, which would print a leak and exit 1 after the error.
      const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { leakCandidates: Set<unknown> } };
      assert.equal(state.getStore().leakCandidates.size, 0, "no leak candidates left");
    }
  });

  it("names an invoke the offline preview has no mock for (the SDK reads an invoke error's details, not its message)", async () => {
    const program = programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/unmockedInvoke.ts") });
    await assert.rejects(
      runProgram({ ...program, firstPreview: false }),
      /the offline preview has no mock for invoke 'azure-native:datafactory:getPipeline' \(add one in tools\/lib\/azureMocks\/invokes\.ts\)/,
    );
  });

  it("fails a run whose only error is in a resource nothing waits on (the last registration to settle)", async () => {
    const program = programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/leafThrows.ts") });
    await assert.rejects(runProgram({ ...program, firstPreview: false }), /the check of 'first' failed/);
  });

  it("waits for an error that comes after a while of reads and registrations, and ends with both", async () => {
    const program = programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/lateErrors.ts") });
    await assert.rejects(runProgram({ ...program, firstPreview: false }), (e: unknown) => {
      assert.match(String(e), /the check of 'early' failed\n.*the check of 'late-0-1-2-3-4-5' failed/);
      return true;
    });
  });

  it("waits out a pause of a few timer turns after the first error, and ends with the error that follows it", async () => {
    // 50 ms of nothing between the two errors: more than one 20 ms turn, less than the five quiet waits for.
    process.env.PAUSED_ERROR_MS = "50";
    try {
      const program = programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/pausedError.ts") });
      await assert.rejects(runProgram({ ...program, firstPreview: false }), (e: unknown) => {
        assert.match(String(e), /the check of 'early' failed\n.*the check of 'paused' failed after a pause/);
        return true;
      });
    } finally {
      delete process.env.PAUSED_ERROR_MS;
    }
  });

  it("ends with every distinct error, in order, under the first one's class", () => {
    class Special extends Error {}
    const a = new Special("a failed");
    const e = programFailure([a, new Error("a failed"), new Error("b failed"), "c failed"]);
    assert.equal(e, a);
    assert.equal((e as Error).message, "a failed\nb failed\nc failed");
    const only = new Error("only");
    assert.equal(programFailure([only, only]), only);
    assert.equal(only.message, "only");
  });

  it("quiet waits until the activity count stops changing", async () => {
    let n = 0;
    const timer = setInterval(() => n < 5 && n++, 5);
    try {
      await quiet(() => n);
      assert.equal(n, 5);
    } finally {
      clearInterval(timer);
    }
  });
});

describe("offline engine: a program that never finishes", () => {
  const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { leakCandidates: Set<unknown> } };
  afterEach(() => {
    delete process.env.SLOW_PROGRESS_MS;
    delete process.env.NEVER_SETTLES;
  });

  it("ends a run that waits on a promise that never settles, naming what the CLI reports there, instead of waiting for ever", async () => {
    const program = programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/neverSettles.ts") });
    const timers = () => process.getActiveResourcesInfo().filter((t) => t === "Timeout").length;
    await new Promise((resolve) => setImmediate(resolve)); // mocha's own timeout timer is set by then
    const before = timers();
    for (const [firstPreview, outputs] of [
      [true, ""],
      [false, ""],
      [false, "export"],
    ] as const) {
      process.env.NEVER_SETTLES = outputs;
      const started = Date.now();
      await assert.rejects(runProgram({ ...program, firstPreview, stallMs: 200 }), (e: unknown) => {
        assert.ok(e instanceof ProgramStalled, String(e));
        assert.equal(e.name, "ProgramStalled");
        assert.match(e.message, /^the program stopped making progress: for 0.2 s it registered nothing/);
        assert.match(e.message, /a promise that never settles/);
        assert.match(e.message, /The Pulumi runtime detected that … promises were still active/);
        return true;
      });
      const took = Date.now() - started;
      assert.ok(took >= 200 && took < 5_000, `ended after the stall time, not before nor long after (${took} ms)`);
      assert.equal(state.getStore().leakCandidates.size, 0, "no leak candidates left");
      assert.ok(timers() <= before, "the stall watch's timer ends with the run");
    }
    // The stall time is the whole quiet stretch (turns of stallMs / turns each), not one turn of it.
    const started = Date.now();
    await watchStall(() => 0, 100).idle;
    assert.ok(Date.now() - started < 900, `${Date.now() - started} ms`);
    assert.equal(STALL_MS, 10_000, "the default: the mocks answer at once, so 10 s of nothing is a stall");
  });

  it("lets a slow program that keeps registering finish, however long it takes overall", async () => {
    // Eight registrations 60 ms apart: 480 ms in all, over twice the 200 ms a single quiet stretch may last.
    process.env.SLOW_PROGRESS_MS = "60";
    const program = programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/slowProgress.ts") });
    await new Promise((resolve) => setImmediate(resolve)); // mocha's own timeout timer is set by then
    const timers = () => process.getActiveResourcesInfo().filter((t) => t === "Timeout").length;
    const before = timers();
    const run = await runProgram({ ...program, firstPreview: false, stallMs: 200 });
    assert.ok(timers() <= before, "a finished run leaves no stall watch ticking");
    assert.deepEqual(
      run.resources.filter((r) => r.type === "azure-native:resources:ResourceGroup").map((r) => r.name),
      ["slow-0", "slow-1", "slow-2", "slow-3", "slow-4", "slow-5", "slow-6", "slow-7"],
    );
  });

  it("lets a program whose components complete slowly finish: a component's outputs are progress too", async () => {
    process.env.SLOW_OUTPUTS_MS = "60";
    try {
      const program = programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/slowOutputs.ts") });
      const run = await runProgram({ ...program, firstPreview: false, stallMs: 200 });
      assert.deepEqual(
        run.resources.filter((r) => r.type === "test:index:Slow").map((r) => r.outputs.done),
        [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `after ${i * 60} ms`),
      );
    } finally {
      delete process.env.SLOW_OUTPUTS_MS;
    }
  });

  it("counts quiet turns of the event loop, not the clock: a long synchronous stretch is not a stall", async () => {
    let n = 0;
    const watch = watchStall(() => n, 100, 10);
    let resolved = false;
    void watch.idle.then(() => (resolved = true));
    // Blocks the loop for 300 ms (three times the stall time) while nothing counts: one turn, not a stall.
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        const until = Date.now() + 300;
        while (Date.now() < until);
        resolve();
      }, 5),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(resolved, false, "not stalled right after a busy stretch");
    // Activity resets the count.
    n++;
    const started = Date.now();
    await watch.idle;
    assert.ok(Date.now() - started >= 80, "ten quiet turns after the last activity");
    // Stopped, it never resolves and keeps no timer.
    const stopped = watchStall(() => 0, 50, 5);
    stopped.stop();
    let fired = false;
    void stopped.idle.then(() => (fired = true));
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(fired, false);
  });
});

describe("deployed resources: creation-only settings", () => {
  const cosmosOf = (stack: "dev" | "prod") => configOf(stack).cosmos;

  it("Cosmos DB: a region or backup tier change with any other account change is refused, naming both", () => {
    const prod = cosmosOf("prod"); // multiRegion, Continuous30Days, Session
    const tags = { owner: "data-platform", costCenter: "cc-1" };
    const deployed = {
      locations: [{ locationName: "West Europe" }, { locationName: "North Europe" }],
      backupPolicy: { type: "Continuous", continuousModeProperties: { tier: prod.backupTier } },
      consistencyPolicy: { defaultConsistencyLevel: prod.consistency },
      tags: { ...tags, "hidden-added-by-policy": "x" },
    };
    const both = { regions: ["westeurope", "northeurope"], tags };
    const one = { regions: ["westeurope"], tags };
    // Unchanged, or a region change alone, or a tag change alone: nothing (a tag Azure or a policy added is ignored).
    assert.deepEqual(cosmosSoloChangeConflicts(deployed, prod, both), []);
    assert.deepEqual(cosmosSoloChangeConflicts(deployed, prod, one), []);
    assert.deepEqual(cosmosSoloChangeConflicts(deployed, prod, { ...both, tags: { ...tags, costCenter: "cc-2" } }), []);
    // A region change with a tag change, or with a consistency change: refused, naming each.
    const withTag = cosmosSoloChangeConflicts(deployed, prod, { ...one, tags: { ...tags, costCenter: "cc-2" } });
    assert.deepEqual(
      withTag.map((c) => [c.key, c.deployed, c.wanted, c.kind]),
      [["cosmos.multiRegion", "regions northeurope, westeurope", "regions westeurope", "refused"]],
    );
    assert.match(withTag[0].remedy, /also changes the tags costCenter .*deploy cosmos\.multiRegion alone first/);
    const withLevel = cosmosSoloChangeConflicts(deployed, { ...prod, consistency: "Eventual" }, one);
    assert.match(withLevel[0].remedy, /cosmos\.consistency \(Session to Eventual\)/);
    // A backup tier change with a region change, or with a tag change.
    const tier = prod.backupTier === "Continuous30Days" ? "Continuous7Days" : "Continuous30Days";
    const tierAndRegion = cosmosSoloChangeConflicts(deployed, { ...prod, backupTier: tier }, one);
    assert.match(tierAndRegion[0].remedy, new RegExp(`cosmos\\.backupTier \\(${prod.backupTier} to ${tier}\\)`));
    const tierAndTag = cosmosSoloChangeConflicts(
      deployed,
      { ...prod, backupTier: tier },
      { ...both, tags: { owner: "x" } },
    );
    assert.deepEqual(
      tierAndTag.map((c) => [c.key, c.wanted]),
      [["cosmos.backupTier", tier]],
    );
    assert.deepEqual(cosmosSoloChangeConflicts(deployed, { ...prod, backupTier: tier }, both), [], "the tier alone");
  });

  it("Cosmos DB: a region or tier change beside a code change of the account's own settings is refused too", () => {
    const prod = configOf("prod").cosmos;
    const tags = { owner: "data-platform" };
    const settings = { minimalTlsVersion: "Tls12", disableLocalAuth: true, enablePerRegionPerPartitionAutoscale: true };
    const deployed = {
      locations: [{ locationName: "West Europe" }, { locationName: "North Europe" }],
      backupPolicy: { type: "Continuous", continuousModeProperties: { tier: prod.backupTier } },
      consistencyPolicy: { defaultConsistencyLevel: prod.consistency },
      tags,
      // As Azure returns them: enum text in its own case, a setting it does not return left null.
      minimalTlsVersion: "tls12",
      disableLocalAuth: true,
      enablePerRegionPerPartitionAutoscale: null,
    };
    const one = { regions: ["westeurope"], tags };
    assert.deepEqual(cosmosSoloChangeConflicts(deployed, prod, { ...one, settings }), [], "the same settings");
    const loosened = cosmosSoloChangeConflicts(deployed, prod, {
      ...one,
      settings: { ...settings, disableLocalAuth: false, minimalTlsVersion: "Tls13" },
    });
    assert.equal(loosened.length, 1);
    assert.match(
      loosened[0].remedy,
      /also changes the account's minimalTlsVersion \(tls12 to Tls13, set by the program\); the account's disableLocalAuth \(true to false, set by the program\): deploy cosmos\.multiRegion alone first/,
    );
    // Without the region or tier change, a settings change is an ordinary update.
    assert.deepEqual(
      cosmosSoloChangeConflicts(deployed, prod, {
        regions: ["westeurope", "northeurope"],
        tags,
        settings: { ...settings, disableLocalAuth: false },
      }),
      [],
    );
  });

  it("Cosmos DB: an account as the config created it agrees; serverless and zone redundancy changed are named", () => {
    const dev = cosmosOf("dev"); // serverless, not zone-redundant
    const asCreated = {
      capabilities: [{ name: "EnableServerless" }],
      locations: [{ locationName: "West Europe", isZoneRedundant: false }],
    };
    assert.deepEqual(cosmosCreationOnlyConflicts(asCreated, dev), []);
    // Other capabilities and a region that does not report zone redundancy change nothing.
    assert.deepEqual(
      cosmosCreationOnlyConflicts(
        {
          capabilities: [{ name: "EnableServerless" }, { name: "EnableNoSQLVectorSearch" }],
          locations: [{ locationName: "West Europe" }],
        },
        dev,
      ),
      [],
    );
    // Provisioned and zone-redundant in Azure, serverless in the config: both keys, with what to do.
    const provisioned = cosmosCreationOnlyConflicts(
      { locations: [{ locationName: "West Europe", isZoneRedundant: true }] },
      dev,
    );
    assert.deepEqual(
      provisioned.map((c) => [c.key, c.deployed, c.wanted]),
      [
        ["cosmos.serverless", "false", "true"],
        ["cosmos.zoneRedundant", "true in West Europe", "false"],
      ],
    );
    assert.match(
      provisioned[0].remedy,
      /never turns a provisioned account into a serverless one; set it back to false/,
    );
    assert.match(provisioned[1].remedy, /set it back to true/);
    // The other way (prod: provisioned, zone-redundant): serverless in Azure needs the capacity-mode migration.
    const prod = cosmosOf("prod");
    assert.equal(prod.serverless, false);
    const serverless = cosmosCreationOnlyConflicts(
      {
        capabilities: [{ name: "EnableServerless" }],
        locations: [
          { locationName: "West Europe", isZoneRedundant: prod.zoneRedundant },
          { locationName: "North Europe", isZoneRedundant: !prod.zoneRedundant },
        ],
      },
      prod,
    );
    assert.deepEqual(
      serverless.map((c) => [c.key, c.deployed]),
      [
        ["cosmos.serverless", "true"],
        ["cosmos.zoneRedundant", `${!prod.zoneRedundant} in North Europe`],
      ],
    );
    assert.match(serverless[0].remedy, /capacity-mode migration/);
    // Every region that differs is named.
    assert.deepEqual(
      cosmosCreationOnlyConflicts(
        {
          locations: [
            { locationName: "West Europe", isZoneRedundant: false },
            { locationName: "North Europe", isZoneRedundant: false },
          ],
        },
        prod,
      ).map((c) => c.deployed),
      ["false in West Europe, North Europe"],
    );
  });

  it("Azure SQL: a deployed Hyperscale database is not moved to another tier by the program (one-way)", () => {
    const hs = { sku: { name: "HS_Gen5", tier: "Hyperscale" } };
    assert.deepEqual(hyperscaleConflicts(hs, { sku: { name: "HS_Gen5", capacity: 8 } }), []);
    assert.deepEqual(hyperscaleConflicts({}, { sku: { name: "BC_Gen5", capacity: 8 } }), []);
    assert.deepEqual(
      hyperscaleConflicts(
        { sku: { name: "BC_Gen5", tier: "BusinessCritical" } },
        { sku: { name: "HS_Gen5", capacity: 8 } },
      ),
      [],
      "into Hyperscale is Azure's to accept",
    );
    const back = hyperscaleConflicts(hs, { sku: { name: "BC_Gen5", capacity: 8 } });
    assert.deepEqual(
      back.map((c) => [c.key, c.deployed, c.wanted]),
      [["sql.sku.name", "HS_Gen5", "BC_Gen5"]],
    );
    assert.match(back[0].remedy, /stays one: set it back to HS_Gen5.*45 days.*reverse-migrate-from-hyperscale/);
    // The tier alone is enough (Azure may name the SKU by its family).
    assert.equal(
      hyperscaleConflicts({ sku: { tier: "Hyperscale" } }, { sku: { name: "GP_Gen5", capacity: 4 } }).length,
      1,
    );
  });

  it("Azure SQL: zone and backup redundancy changed on a deployed Hyperscale database are advised against, with the route", () => {
    const hs = {
      sku: { name: "HS_Gen5", tier: "Hyperscale" },
      zoneRedundant: false,
      currentBackupStorageRedundancy: "Geo",
    };
    const wanted = {
      sku: { name: "HS_Gen5" as const, capacity: 8 as const },
      zoneRedundant: true,
      backupStorageRedundancy: "GeoZone" as const,
    };
    const found = hyperscaleRedundancyConflicts(hs, wanted);
    assert.deepEqual(
      found.map((c) => [c.key, c.deployed, c.wanted, c.kind]),
      [
        ["sql.zoneRedundant", "false", "true", "advised"],
        ["sql.backupStorageRedundancy", "Geo", "GeoZone", "advised"],
      ],
    );
    assert.match(found[0].remedy, /only through a new one \(a geo-replica or a database copy/);
    // Unchanged, not Hyperscale, or leaving Hyperscale (hyperscaleConflicts refuses that): nothing.
    assert.deepEqual(
      hyperscaleRedundancyConflicts({ ...hs, zoneRedundant: true, currentBackupStorageRedundancy: "GeoZone" }, wanted),
      [],
    );
    assert.deepEqual(
      hyperscaleRedundancyConflicts({ ...hs, sku: { name: "BC_Gen5", tier: "BusinessCritical" } }, wanted),
      [],
    );
    assert.deepEqual(hyperscaleRedundancyConflicts(hs, { ...wanted, sku: { name: "BC_Gen5", capacity: 8 } }), []);
  });

  it("Azure SQL: a tier upgrade the geo-secondary has not had yet is refused, more vCores advised against, with the command (secondary first)", () => {
    const where = { resourceGroup: "rg-pay-prod-neu-data", server: "sql-pay-prod-neu-1a2b", database: "payments" };
    const gp = { sku: { name: "GP_Gen5", tier: "GeneralPurpose", capacity: 8 } };
    const bc = { sku: { name: "BC_Gen5", tier: "BusinessCritical", capacity: 8 } };
    const up = secondaryTierConflicts(gp, { sku: { name: "BC_Gen5", capacity: 8 } }, where);
    assert.deepEqual(
      up.map((c) => [c.key, c.deployed, c.wanted, c.kind]),
      [["sql.sku.name", "GP_Gen5 on the geo-secondary", "BC_Gen5", "refused"]],
    );
    assert.match(
      up[0].remedy,
      /az sql db update -g rg-pay-prod-neu-data -s sql-pay-prod-neu-1a2b -n payments --edition BusinessCritical --capacity 8 --family Gen5, then pulumi up --refresh/,
    );
    // More vCores within the tier than the secondary has: Azure takes it, Microsoft advises the same order (a warning).
    const more = secondaryTierConflicts(bc, { sku: { name: "BC_Gen5", capacity: 16 } }, where);
    assert.deepEqual(
      more.map((c) => [c.key, c.deployed, c.wanted, c.kind]),
      [["sql.sku.capacity", "8 vCores on the geo-secondary", "16", "advised"]],
    );
    assert.match(
      more[0].remedy,
      /az sql db update -g rg-pay-prod-neu-data -s sql-pay-prod-neu-1a2b -n payments --capacity 16, then pulumi up --refresh/,
    );
    // Once upgraded by hand, or for a downgrade (primary first, as the program goes), or the same size: nothing.
    assert.deepEqual(
      secondaryTierConflicts({ sku: { ...bc.sku, capacity: 16 } }, { sku: { name: "BC_Gen5", capacity: 16 } }, where),
      [],
    );
    assert.deepEqual(secondaryTierConflicts(bc, { sku: { name: "BC_Gen5", capacity: 4 } }, where), []);
    assert.deepEqual(
      secondaryTierConflicts({ sku: { tier: "BusinessCritical" } }, { sku: { name: "BC_Gen5", capacity: 16 } }, where),
      [],
    );
    assert.deepEqual(secondaryTierConflicts(bc, { sku: { name: "GP_Gen5", capacity: 8 } }, where), []);
    assert.deepEqual(secondaryTierConflicts({}, { sku: { name: "BC_Gen5", capacity: 8 } }, where), []);
    // Serverless counts as General Purpose; Hyperscale is hyperscaleConflicts' (one-way).
    assert.equal(
      secondaryTierConflicts({ sku: { name: "GP_S_Gen5" } }, { sku: { name: "BC_Gen5", capacity: 8 } }, where).length,
      1,
    );
    assert.deepEqual(secondaryTierConflicts(gp, { sku: { name: "HS_Gen5", capacity: 8 } }, where), []);
    // The message says it is a refused change, not a creation-only one.
    assert.match(
      creationOnlyMessage("the geo-secondary database 'payments'", up),
      /^the stack config asks for a change Azure refuses on the geo-secondary database 'payments' as the program would send it:\n {2}sql\.sku\.name: the deployed value is GP_Gen5 on the geo-secondary/,
    );
  });

  it("Azure SQL: ledger and the geo-secondary's type, compared only where Azure reports them", () => {
    assert.deepEqual(ledgerConflicts({ isLedgerOn: false }, { ledger: false }), []);
    assert.deepEqual(ledgerConflicts({}, { ledger: true }), []);
    const off = ledgerConflicts({ isLedgerOn: true }, { ledger: false });
    assert.deepEqual(
      off.map((c) => [c.key, c.deployed, c.wanted]),
      [["sql.ledger", "true", "false"]],
    );
    assert.match(off[0].remedy, /stays one; set it back to true/);
    assert.match(ledgerConflicts({ isLedgerOn: false }, { ledger: true })[0].remedy, /only when it creates it/);

    assert.deepEqual(secondaryTypeConflicts({ secondaryType: "Standby" }, "Standby"), []);
    assert.deepEqual(secondaryTypeConflicts({}, "Geo"), []);
    const geo = secondaryTypeConflicts({ secondaryType: "Geo" }, "Standby");
    assert.deepEqual(
      geo.map((c) => [c.key, c.deployed, c.wanted]),
      [["sql.secondaryType", "Geo", "Standby"]],
    );
    assert.match(
      geo[0].remedy,
      /^Convert the secondary through its geo-replication link .*linkType STANDBY.*set it back to Geo\.$/,
    );
    // The other way: a standby secondary where the config asks for a readable one.
    const standby = secondaryTypeConflicts({ secondaryType: "Standby" }, "Geo");
    assert.deepEqual(
      standby.map((c) => [c.key, c.deployed, c.wanted]),
      [["sql.secondaryType", "Standby", "Geo"]],
    );
    assert.match(standby[0].remedy, /linkType GEO.*set it back to Standby\.$/);
  });

  it("a check passes the value when nothing is deployed or the settings agree, and refuses every changed key at once", async () => {
    const check = (
      deployed: { ledger?: boolean } | undefined,
      reads: string[],
    ): CreationOnlyCheck<string, { ledger?: boolean }> => ({
      resource: (v) => `the thing '${v}'`,
      read: (v) => {
        reads.push(v);
        return Promise.resolve(deployed);
      },
      conflicts: (d) =>
        d.ledger
          ? [
              { key: "a.one", deployed: "x", wanted: "y", remedy: "Set one back." },
              { key: "a.two", deployed: "1", wanted: "2", remedy: "Set two back." },
            ]
          : [],
    });
    const reads: string[] = [];
    assert.equal(await checkCreationOnly("n", check(undefined, reads)), "n");
    assert.equal(await checkCreationOnly("n", check({ ledger: false }, reads)), "n");
    assert.deepEqual(reads, ["n", "n"], "it reads the resource the value names");
    await assert.rejects(checkCreationOnly("n", check({ ledger: true }, [])), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(
        e.message,
        [
          "the stack config changes settings Azure takes only when it creates the thing 'n':",
          "  a.one: the deployed value is x, the stack config asks for y. Set one back.",
          "  a.two: the deployed value is 1, the stack config asks for 2. Set two back.",
        ].join("\n"),
      );
      return true;
    });
    assert.match(
      creationOnlyMessage("r", [{ key: "k", deployed: "a", wanted: "b", remedy: "." }]),
      /^the stack config changes a setting Azure/,
    );
    // An advised order is a warning of the preview, never an error: the value passes.
    const warned: string[] = [];
    const warn = pulumi.log.warn;
    pulumi.log.warn = (m: string) => {
      warned.push(m);
      return Promise.resolve();
    };
    try {
      const advised: CreationOnlyCheck<string, { ledger?: boolean }> = {
        ...check({ ledger: true }, []),
        conflicts: () => [
          { key: "sql.sku.capacity", deployed: "8", wanted: "16", remedy: "Scale it first.", kind: "advised" },
        ],
      };
      assert.equal(await checkCreationOnly("n", advised), "n");
    } finally {
      pulumi.log.warn = warn;
    }
    assert.deepEqual(warned, [
      "the thing 'n': sql.sku.capacity: the deployed value is 8, the stack config asks for 16. Scale it first.",
    ]);
    // A failed read is not "nothing deployed".
    await assert.rejects(
      checkCreationOnly("n", { ...check(undefined, []), read: () => Promise.reject(new Error("AuthorizationFailed")) }),
      /AuthorizationFailed/,
    );
  });

  it("a refusal is a RunError for the CLI (printed without the program's stack) and a ConfigError offline", async () => {
    const conflict = { key: "a.one", deployed: "x", wanted: "y", remedy: "Set it back." };
    await assert.rejects(
      checkCreationOnly("n", { resource: (v) => v, read: () => Promise.resolve({}), conflicts: () => [conflict] }),
      (e: unknown) => {
        assert.ok(pulumi.RunError.isInstance(e), "RunError.isInstance");
        assert.ok(e instanceof ConfigError);
        return true;
      },
    );
  });

  it("the program reads the account, the servers, the databases and the factory it creates, by their names, once they are known", async () => {
    const { run, previewRun } = await previewOf("prod");
    const about = (token: string) => invokesOf(run, token).map((i) => i.inputs);
    const account = ofType(run.resources, "azure-native:cosmosdb:DatabaseAccount")[0];
    assert.deepEqual(about("azure-native:cosmosdb:getDatabaseAccount"), [
      { resourceGroupName: account.inputs.resourceGroupName, accountName: account.inputs.accountName },
    ]);
    const primary = byName(run.resources, "oltp-db");
    const secondary = byName(run.resources, "oltp-secondary-db");
    assert.deepEqual(
      about("azure-native:sql:getDatabase").sort((a, b) => String(a.serverName).localeCompare(String(b.serverName))),
      [primary, secondary]
        .map((d) => ({
          resourceGroupName: d.inputs.resourceGroupName,
          serverName: d.inputs.serverName,
          databaseName: DATABASE_NAME,
        }))
        .sort((a, b) => String(a.serverName).localeCompare(String(b.serverName))),
    );
    assert.equal(primary.inputs.databaseName, DATABASE_NAME);
    assert.equal(secondary.inputs.databaseName, DATABASE_NAME);
    // Both servers, for their Entra admin (the server registers with the admin the read confirmed).
    assert.deepEqual(
      about("azure-native:sql:getServer")
        .map((i) => i.serverName)
        .sort(),
      [byName(run.resources, "oltp-server"), byName(run.resources, "oltp-secondary")]
        .map((s) => s.inputs.serverName)
        .sort(),
    );
    const factory = byName(run.resources, "etl-factory");
    assert.deepEqual(about("azure-native:datafactory:getFactory"), [
      { resourceGroupName: factory.inputs.resourceGroupName, factoryName: factory.inputs.factoryName },
    ]);
    const hub = byName(run.resources, "streaming-evh");
    assert.deepEqual(about("azure-native:eventhub:getEventHub"), [
      {
        resourceGroupName: hub.inputs.resourceGroupName,
        namespaceName: hub.inputs.namespaceName,
        eventHubName: "api-logs",
      },
    ]);
    // A first preview: the names carry the stack's random suffix, unknown yet, so nothing is read.
    const firstReads = previewRun.invokes.filter((i) =>
      [
        "azure-native:cosmosdb:getDatabaseAccount",
        "azure-native:sql:getDatabase",
        "azure-native:sql:getServer",
        "azure-native:datafactory:getFactory",
        "azure-native:eventhub:getEventHub",
      ].includes(i.token),
    );
    assert.deepEqual(firstReads, []);
  });

  describe("a preview of a deployed stack whose resources were created otherwise", () => {
    /**
     * The error a preview of `stack` ends with when Azure answers the reads as the scenario says (it must end with one).
     * The run with known ids only (what previewStack runs after the first preview, and where a deployed stack's
     * preview reads): the first preview reads nothing (asserted above), so running it first would only repeat work.
     */
    const refusal = refusalOf;

    it("refuses serverless and zone redundancy changed on the Cosmos DB account, naming both keys", async function () {
      this.timeout(300_000);
      const text = await refusal("dev", "cosmos");
      // Where the CLI prints it: the SDK names the input it was serialising.
      assert.match(text, /^ConfigError: error serializing property "accountName": the stack config changes settings/);
      assert.match(text, /changes settings Azure takes only when it creates the Cosmos DB account 'cosmos-/);
      assert.match(text, /cosmos\.serverless: the deployed value is false, the stack config asks for true\./);
      assert.match(
        text,
        /cosmos\.zoneRedundant: the deployed value is true in West Europe, the stack config asks for false\./,
      );
    });

    it("refuses fewer partitions than prod's Premium hub has (Azure adds partitions, never removes them)", async function () {
      this.timeout(300_000);
      const text = await refusal("prod", "partitions");
      assert.match(text, /error serializing property "eventHubName": the stack config asks for a change Azure refuses/);
      assert.match(text, /on the event hub 'api-logs' of 'evhns-/);
      assert.match(text, /streaming\.eventHubs\.partitions: the deployed value is 40, the stack config asks for 32\./);
      assert.match(text, /set it to 40 or more/);
    });

    it("refuses a readable geo-secondary where prod's config asks for a standby one, and names the conversion", async function () {
      this.timeout(300_000);
      const text = await refusal("prod", "secondary");
      assert.match(text, /the geo-secondary database 'payments' on the server 'sql-[^']+-neu-[^']+':/);
      assert.match(text, /sql\.secondaryType: the deployed value is Geo, the stack config asks for Standby\./);
      assert.match(text, /Replication Links - Update with linkType STANDBY/);
      // Only the secondary: the primary's read reports no secondary type and no ledger.
      assert.doesNotMatch(text, /sql\.ledger|the database 'payments'/);
    });

    it("reports the Cosmos DB account and the database together when both changed, as the CLI logs both", async function () {
      this.timeout(300_000);
      const text = await refusal("dev", "both");
      assert.match(text, /cosmos\.serverless: /);
      assert.match(text, /sql\.ledger: /);
    });

    it("refuses etl.customerManagedKey changed on the Data Factory (a key is set when the factory is created)", async function () {
      this.timeout(300_000);
      assert.match(
        await refusal("dev", "factory"),
        /error serializing property "factoryName": .*the Data Factory 'adf-pay-dev-weu-[a-z0-9]+':\n {2}etl\.customerManagedKey: the deployed value is false, the stack config asks for true\. A key can be added only to an empty factory/s,
      );
    });

    it("refuses databaseAdminsGroupId pointed at another group than the servers' Entra admin, on both servers", async function () {
      this.timeout(300_000);
      const text = await refusal("prod", "admin");
      // Azure takes `administrators` at creation only: without the check, the switch would delete the group both
      // Entra-only servers still name as their admin, with no change to either server.
      // Held by the admin's sid (ignored after creation), so a preview with an unknown group shows no replacement.
      assert.match(text, /error serializing property "administrators": /);
      assert.match(
        text,
        /the SQL server 'sql-pay-prod-weu-[^']+':\n {2}databaseAdminsGroupId: the deployed value is 0b5a1f0e-0000-4000-8000-00000000d1ba \(grp-pay-prod-database-admins\), the stack config asks for [0-9a-f-]{36}\. Make that group the server's Entra admin first \(`az sql server ad-admin create --resource-group <group> --server sql-pay-prod-weu-/,
      );
    });

    it("refuses a Cosmos DB region change together with a tag change, naming both (Azure takes a region change alone)", async function () {
      this.timeout(300_000);
      const text = await refusal("prod", "cosmos-solo");
      assert.match(
        text,
        /error serializing property "accountName": the stack config asks for a change Azure refuses on the Cosmos DB account/,
      );
      assert.match(
        text,
        /cosmos\.multiRegion: the deployed value is regions northeurope, westeurope, the stack config asks for regions westeurope\. .*also changes the tags [^:]*\bcomponent\b/,
      );
    });

    it("refuses a tier upgrade the geo-secondary has not had yet, on the primary, with the command that upgrades it first", async function () {
      this.timeout(300_000);
      const text = await refusal("prod", "tier");
      assert.match(text, /the database 'payments' on the server 'sql-[^']+-weu-[^']+' as the program would send it:/);
      // On the primary, whose update Azure refuses while the secondary is behind (an `up` without a preview sends it).
      assert.doesNotMatch(text, /the geo-secondary database 'payments'/);
      assert.match(
        text,
        /sql\.sku\.name: the deployed value is GP_Gen5 on the geo-secondary, the stack config asks for BC_Gen5\. Upgrade the geo-secondary first .*az sql db update -g rg-pay-prod-neu-data -s sql-pay-prod-neu-/,
      );
    });

    it("refuses sql.ledger changed on the OLTP database", async function () {
      this.timeout(300_000);
      assert.match(
        await refusal("dev", "sql"),
        /the database 'payments' on the server '[^']+':\n {2}sql\.ledger: the deployed value is true, the stack config asks for false\. A ledger database stays one/,
      );
    });
  });
});
