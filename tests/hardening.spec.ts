/**
 * Hardening: behaviour a user or an auditor relies on that no other spec pinned to a concrete value (encryption and
 * throughput of the Event Hubs namespaces, the Stream Analytics job's sizing and error policy, the gateway's SNI,
 * health probe and mutual-TLS headers, and the config and argument checks that refuse unsafe settings).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { validateNoSqlArgs, type NoSqlArgs } from "../components/nosql";
import { jobDefinition, restStreamingUnits } from "../components/streaming";
import { ConfigError, olapIssues, parseConfig, PROJECT, readRaw, type CosmosConfig } from "../lib/config";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { previewStack } from "../tools/lib/preview";
import { loadStackConfig } from "../tools/lib/stackConfig";
import { byName, configOf, input, previewOf } from "./helpers/stacks";

const ROOT = path.resolve(__dirname, "..");

/** The committed stack's config as the program reads it (stack file + Pulumi.yaml defaults). */
function rawOf(stack: "dev" | "prod"): Record<string, unknown> {
  const { config } = loadStackConfig(ROOT, stack);
  return readRaw((key) => config[`${PROJECT}:${key}`]);
}

/** Asserts that parsing fails with a ConfigError whose message names the key and what is allowed. */
function rejects(raw: Record<string, unknown>, stack: string, expected: RegExp): void {
  assert.throws(
    () => parseConfig(raw, stack),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      assert.match(e.message, expected);
      return true;
    },
  );
}

type Listener = { name: string; hostNames?: string[]; requireServerNameIndication?: boolean };
type Probe = { name: string; path: string; match: { statusCodes: string[] } };

describe("hardening: Event Hubs namespaces", () => {
  it("prod's Premium namespace adds infrastructure (double) encryption under its customer-managed key", async () => {
    const ns = byName((await previewOf("prod")).run.resources, "streaming-evhns");
    assert.equal(input(ns, "sku.name"), "Premium");
    assert.equal(input(ns, "encryption.keySource"), "Microsoft.KeyVault");
    assert.equal(input(ns, "encryption.requireInfrastructureEncryption"), true);
  });

  it("dev's Standard namespace keeps its provisioned throughput units: auto-inflate is explicitly off", async () => {
    const ns = byName((await previewOf("dev")).run.resources, "streaming-evhns");
    assert.equal(input(ns, "sku.name"), "Standard");
    assert.equal(input(ns, "isAutoInflateEnabled"), false);
  });
});

describe("hardening: Stream Analytics job", () => {
  it("accepts only SU V1 streaming units (1, 3, 6, 12, … 216) and refuses 9 and 15", () => {
    for (const su of [1, 3, 6, 12, 18, 24, 216]) assert.equal(restStreamingUnits(su), su);
    for (const su of [0, 2, 4, 9, 15, 21, 222, 6.5])
      assert.throws(() => restStreamingUnits(su), new RegExp(`streamingUnits ${su} must be 1, 3 or a multiple of 6`));
  });

  it("stops the job on an output error (the freshness alert fires) instead of silently dropping rows", async () => {
    const def = jobDefinition(
      {
        eventHubNamespace: "ns",
        eventHubName: "api-logs",
        consumerGroupName: "stream-analytics",
        outputEventHubName: "api-performance",
        jobStorageAccountName: "st",
        query: "q",
      },
      { streamingUnits: 1, lateArrivalSeconds: 60 },
    ) as unknown as { outputErrorPolicy: string };
    assert.equal(def.outputErrorPolicy, "Stop");
    for (const stack of ["dev", "prod"] as const)
      assert.equal(
        input(byName((await previewOf(stack)).run.resources, "streaming-job"), "outputErrorPolicy"),
        "Stop",
        stack,
      );
  });
});

describe("hardening: API gateway", () => {
  it("prod's HTTPS listener serves only its host name and requires SNI", async () => {
    const gw = byName((await previewOf("prod")).run.resources, "ingestion-agw");
    const https = (gw.inputs.httpListeners as Listener[]).find((l) => l.name === "https");
    assert.deepEqual(https?.hostNames, [configOf("prod").ingestion.apiHostName]);
    assert.equal(https?.requireServerNameIndication, true);
  });

  it("the health probe counts only 200-399 answers as healthy (a 4xx takes the backend out)", async () => {
    for (const stack of ["dev", "prod"] as const) {
      const gw = byName((await previewOf(stack)).run.resources, "ingestion-agw");
      const probes = gw.inputs.probes as Probe[];
      assert.equal(probes.length, 1, stack);
      assert.equal(probes[0].path, "/api/health", stack);
      assert.deepEqual(probes[0].match.statusCodes, ["200-399"], stack);
    }
  });

  describe("with merchant certificate authorities configured (mutual TLS)", () => {
    let resources: ResourceRecord[];
    before(async function () {
      this.timeout(300_000);
      // One program run at a time (the mock engine is process-global): after the cached stack previews.
      await previewOf("dev");
      await previewOf("prod");
      // dev's stack file with one merchant authority, as tests/ingestion.spec.ts builds it.
      const pem = fs.readFileSync(path.join(__dirname, "fixtures/certs/merchant-ca.pem"), "utf8");
      const doc = parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
        config: Record<string, { gateway: Record<string, unknown> }>;
      };
      const gateway = doc.config[`${PROJECT}:ingestion`].gateway;
      gateway.merchantCertificateAuthorities = [{ name: "merchant-ca", certificate: pem }];
      gateway.paymentApiDeploySources = ["10.40.0.0/27"];
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hardening-mtls-")), "Pulumi.dev.yaml");
      fs.writeFileSync(file, stringifyYaml(doc));
      // The rewrite is constant, so the first-preview view is enough: no deployed view, no schema check.
      const preview = await previewStack({ stack: "dev", stackFile: file, deployedView: false, skipSchema: true });
      resources = preview.previewRun.resources;
    });

    it("rewrites the certificate's verification result and its subject (not its issuer) into the API's headers", () => {
      const gw = byName(resources, "ingestion-agw");
      const sets = gw.inputs.rewriteRuleSets as {
        name: string;
        rewriteRules: { actionSet: { requestHeaderConfigurations: { headerName: string; headerValue: string }[] } }[];
      }[];
      assert.deepEqual(
        sets.map((s) => s.name),
        ["merchant-identity"],
      );
      assert.equal(sets[0].rewriteRules.length, 1);
      assert.deepEqual(sets[0].rewriteRules[0].actionSet.requestHeaderConfigurations, [
        { headerName: "X-Client-Certificate-Verification", headerValue: "{var_client_certificate_verification}" },
        { headerName: "X-Client-Certificate-Subject", headerValue: "{var_client_certificate_subject}" },
      ]);
      assert.doesNotMatch(JSON.stringify(sets), /issuer/);
    });
  });
});

describe("hardening: Cosmos DB arguments", () => {
  const provisioned: CosmosConfig = {
    serverless: false,
    multiRegion: true,
    zoneRedundant: true,
    backupTier: "Continuous30Days",
    consistency: "Session",
    containers: {
      apiLogs: { maxThroughput: 40000 },
      sessions: { maxThroughput: 30000 },
      fraudFeatures: { maxThroughput: 25000 },
      webhookEvents: { maxThroughput: 15000 },
      leases: { maxThroughput: 1000 },
    },
  };
  const args = (cosmos: CosmosConfig) => ({ cosmos }) as NoSqlArgs;

  it("refuses a serverless account asked to be multi-region, and accepts each on its own", () => {
    assert.throws(
      () => validateNoSqlArgs(args({ ...provisioned, serverless: true, multiRegion: true })),
      /NoSql: .*cosmos: a serverless account is single-region/,
    );
    assert.doesNotThrow(() => validateNoSqlArgs(args({ ...provisioned, serverless: true, multiRegion: false })));
    assert.doesNotThrow(() => validateNoSqlArgs(args(provisioned)));
  });
});

describe("hardening: SLA config bounds", () => {
  const withSla = (sla: Record<string, unknown>) => {
    const raw = rawOf("prod");
    const ops = raw.operations as { sla?: Record<string, unknown> };
    return { ...raw, operations: { ...ops, sla: { ...ops.sla, ...sla } } };
  };

  it("refuses an API availability objective below 90 percent, naming the key", () => {
    rejects(
      withSla({ apiAvailabilityPercent: 89.9 }),
      "prod",
      /operations \(sla\.apiAvailabilityPercent\): got 89\.9; must be between 90 and 100 percent/,
    );
    rejects(withSla({ apiAvailabilityPercent: 0 }), "prod", /sla\.apiAvailabilityPercent\).*between 90 and 100/);
    assert.equal(
      parseConfig(withSla({ apiAvailabilityPercent: 90 }), "prod").operations.sla.apiAvailabilityPercent,
      90,
    );
  });

  it("refuses a data freshness objective under 15 minutes, naming the key", () => {
    rejects(
      withSla({ freshnessMinutes: 14 }),
      "prod",
      /operations \(sla\.freshnessMinutes\): got 14; must be between 15/,
    );
    rejects(withSla({ freshnessMinutes: 1 }), "prod", /sla\.freshnessMinutes\).*between 15/);
    assert.equal(parseConfig(withSla({ freshnessMinutes: 15 }), "prod").operations.sla.freshnessMinutes, 15);
  });
});

describe("hardening: lake lifecycle order", () => {
  it("refuses two tiers on the same day (cool and cold both at 30 days): each step must come strictly later", () => {
    const dev = configOf("dev");
    const sameDay = {
      ...dev.olap,
      lake: {
        ...dev.olap.lake,
        lifecycle: { ...dev.olap.lake.lifecycle, raw: { coolAfterDays: 30, coldAfterDays: 30 } },
      },
    };
    assert.deepEqual(
      olapIssues(sameDay, "westeurope", "dev").map((i) => `${i.path.join(".")}: ${i.message}`),
      [
        "lake.lifecycle.raw.coldAfterDays: must be greater than coolAfterDays (30): blobs move hot → cool → cold → archive → delete, each step later than the one before",
      ],
    );
    // The same through the stack config: the program refuses it before registering anything.
    const raw = rawOf("dev");
    const archive = (raw.olap as { lake: { lifecycle: { archive: Record<string, number> } } }).lake.lifecycle.archive;
    archive.coolAfterDays = 30;
    archive.coldAfterDays = 30;
    rejects(
      raw,
      "dev",
      /olap \(lake\.lifecycle\.archive\.coldAfterDays\): .*must be greater than coolAfterDays \(30\)/,
    );
    // One day later is accepted.
    archive.coldAfterDays = 31;
    assert.doesNotThrow(() => parseConfig(raw, "dev"));
  });
});
