import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ConfigError,
  olapIssues,
  parseConfig,
  PROJECT,
  readRaw,
  plainSecretProblems,
  unknownKeyProblems,
  namespaceWarnings,
  type RawConfig,
} from "../lib/config";
import { closest, editDistance } from "../lib/config/strict";
import { previewStack } from "../tools/lib/preview";
import { loadStackConfig } from "../tools/lib/stackConfig";
import { CARVED_DEV_SUBNETS, rawOf as rawOfStack, rejectsConfig } from "./helpers/config";
import { configOf } from "./helpers/stacks";
import { tempDir } from "./helpers/tmp";

const ROOT = path.resolve(__dirname, "..");

/** The committed stack's config as the program reads it (stack file + Pulumi.yaml defaults). */
const rawOf = (stack: "dev" | "prod"): Record<string, unknown> => rawOfStack(stack);
/** Asserts that parsing fails with a message naming the key (and the bad value / what is allowed). */
const rejects = rejectsConfig;

const clone = <T>(v: T): T => structuredClone(v);
/** The ingestion section as a stack file spells it (mutable, for one-property changes). */
type Ingestion = NonNullable<RawConfig["ingestion"]>;

describe("config", () => {
  it("accepts the committed dev stack and applies Pulumi.yaml defaults", () => {
    const c = parseConfig(rawOf("dev"), "dev");
    assert.equal(c.environment, "dev");
    assert.equal(c.location, "westeurope"); // default from Pulumi.yaml
    assert.equal(c.secondaryLocation, "northeurope");
    assert.equal(c.workload, "pay");
    assert.equal(c.isProd, false);
    assert.equal(c.sql.sku.name, "GP_S_Gen5");
    assert.equal(c.cosmos.serverless, true);
  });

  it("accepts the committed prod stack (seed SQL sizing, Cosmos DB sized for the seed's load)", () => {
    const c = parseConfig(rawOf("prod"), "prod");
    assert.equal(c.isProd, true);
    assert.deepEqual(c.sql.sku, { name: "BC_Gen5", capacity: 8 });
    assert.equal(c.sql.readScaleOut, true);
    const total = Object.values(c.cosmos.containers).reduce((s, x) => s + (x.maxThroughput ?? 0), 0);
    // 345K sized in docs/capacity.md for the four data containers, plus the leases container at the 1,000 minimum.
    assert.equal(total, 346000, "Cosmos DB maxima sized in docs/capacity.md");
    assert.equal(c.logRetentionDays, 365);
    assert.equal(c.hsmKeys, true);
  });

  it("reads the ingestion sizes of each stack, and dev-sized defaults when the key is absent", () => {
    assert.deepEqual(parseConfig(rawOf("prod"), "prod").ingestion.gateway, {
      minInstances: 3,
      maxInstances: 125,
      merchantCertificateRevocation: "OCSP",
    });
    const raw = rawOf("dev");
    delete raw.ingestion;
    const c = parseConfig(raw, "dev").ingestion;
    assert.deepEqual(c.gateway, { minInstances: 0, maxInstances: 2, merchantCertificateRevocation: "OCSP" });
    assert.equal(c.functions.sku, "FC1");
    assert.equal(c.functions.fraudScoring.alwaysReady, 1);
    assert.equal(c.functions.fraudScoring.sqlTriggerPollingMs, 1_000, "no latency target: the extension's default");
    assert.equal(c.tlsCertificateName, "agw-payments-api-tls");
  });

  it("carves every subnet role out of the address space when subnets are not given", () => {
    const c = parseConfig(rawOf("dev"), "dev");
    assert.deepEqual(c.subnets, CARVED_DEV_SUBNETS);
  });

  describe("rejects bad values with a message naming the key, the value and what is allowed", () => {
    it("a non-EU region (GDPR residency)", () => {
      rejects(
        { ...rawOf("dev"), location: "eastus" },
        "dev",
        /config payments-data-platform:location: got "eastus"; must be an EU region \(GDPR data residency\): one of westeurope, northeurope/,
      );
    });
    it("a non-EU secondary region", () => {
      rejects(
        { ...rawOf("prod"), secondaryLocation: "uksouth" },
        "prod",
        /payments-data-platform:secondaryLocation: got "uksouth"; must be an EU region/,
      );
    });
    it("a secondary region that is the primary one (no geo-redundancy)", () => {
      for (const stack of ["dev", "prod"] as const) {
        const location = String(rawOf(stack).location);
        rejects(
          { ...rawOf(stack), secondaryLocation: location },
          stack,
          new RegExp(`secondaryLocation: got "${location}"; must differ from location \\(${location}\\)`),
        );
      }
    });
    it("an unknown SQL SKU", () => {
      const raw = rawOf("prod");
      (raw.sql as { sku: { name: string } }).sku.name = "P15";
      rejects(
        raw,
        "prod",
        /payments-data-platform:sql \(sku\.name\): got "P15"; must be one of GP_S_Gen5, GP_Gen5, BC_Gen5, HS_Gen5/,
      );
    });
    it("a vCore count Azure does not offer", () => {
      const raw = rawOf("prod");
      (raw.sql as { sku: { capacity: number } }).sku.capacity = 7;
      rejects(raw, "prod", /sql \(sku\.capacity\): got 7; must be a Gen5 vCore count/);
    });
    it("a geo-secondary type Azure does not have", () => {
      const raw = rawOf("prod");
      (raw.sql as { secondaryType: string }).secondaryType = "Readable";
      rejects(raw, "prod", /sql \(secondaryType\): got "Readable"; must be one of Standby, Geo/);
    });
    it("a standby geo-secondary on serverless (Azure offers it on provisioned GP/BC only)", () => {
      const raw = rawOf("dev");
      (raw.sql as { secondaryType: string }).secondaryType = "Standby";
      rejects(
        raw,
        "dev",
        /sql \(secondaryType\): got "Standby"; Standby needs a provisioned GP_Gen5, BC_Gen5 database/,
      );
    });
    it("a standby geo-secondary outside the primary's region pair (Azure: InvalidTargetSubregion), naming the pair", () => {
      // prod: westeurope with a Standby secondary in northeurope, its pair: accepted.
      assert.equal(parseConfig(rawOf("prod"), "prod").secondaryLocation, "northeurope");
      rejects(
        { ...rawOf("prod"), secondaryLocation: "germanywestcentral" },
        "prod",
        /secondaryLocation: got "germanywestcentral"; must be northeurope, the Azure region pair of westeurope, with sql\.secondaryType Standby .*InvalidTargetSubregion.*; or set sql\.secondaryType to Geo/,
      );
      // A region without a pair: Geo only.
      rejects(
        { ...rawOf("prod"), location: "italynorth", secondaryLocation: "westeurope" },
        "prod",
        /italynorth has no Azure region pair, and Azure puts a Standby secondary only in the pair/,
      );
      // A readable (Geo) secondary goes anywhere in the EU.
      const geo = rawOf("prod");
      (geo.sql as { secondaryType: string }).secondaryType = "Geo";
      assert.equal(
        parseConfig({ ...geo, secondaryLocation: "germanywestcentral" }, "prod").secondaryLocation,
        "germanywestcentral",
      );
    });
    it("Azure Hybrid Benefit on serverless or Hyperscale (no licence billed to bring one for)", () => {
      const raw = rawOf("dev");
      (raw.sql as { hybridBenefit: boolean }).hybridBenefit = true;
      rejects(
        raw,
        "dev",
        /sql \(hybridBenefit\): got true; must be false on GP_S_Gen5: Azure Hybrid Benefit applies to GP_Gen5, BC_Gen5 only/,
      );
      const hs = rawOf("prod");
      (hs.sql as { sku: { name: string }; secondaryType: string }).sku.name = "HS_Gen5";
      (hs.sql as { secondaryType: string }).secondaryType = "Geo";
      rejects(hs, "prod", /sql \(hybridBenefit\): got true; must be false on HS_Gen5/);
    });
    it("a zone-redundant Hyperscale database without zone-redundant backups (Azure refuses it)", () => {
      const hs = rawOf("prod");
      const sqlRaw = hs.sql as { sku: { name: string }; secondaryType: string; hybridBenefit: boolean };
      sqlRaw.sku.name = "HS_Gen5";
      sqlRaw.secondaryType = "Geo";
      sqlRaw.hybridBenefit = false;
      rejects(
        hs,
        "prod",
        /sql \(backupStorageRedundancy\): got "Geo"; must be Zone or GeoZone with HS_Gen5 and zoneRedundant true/,
      );
      (hs.sql as { backupStorageRedundancy: string }).backupStorageRedundancy = "GeoZone";
      assert.equal(parseConfig(hs, "prod").sql.sku.name, "HS_Gen5");
    });
    it("an unknown Key Vault SKU", () => {
      rejects({ ...rawOf("dev"), keyVaultSku: "gold" }, "dev", /keyVaultSku: got "gold"; must be standard or premium/);
    });
    it("an address space that is not a CIDR", () => {
      rejects(
        { ...rawOf("dev"), vnetAddressSpace: "10.20.0.0/33" },
        "dev",
        /vnetAddressSpace: got "10.20.0.0\/33"; must be an IPv4 CIDR/,
      );
    });
    it("a public address space", () => {
      rejects(
        { ...rawOf("dev"), vnetAddressSpace: "20.0.0.0/16" },
        "dev",
        /vnetAddressSpace: got "20.0.0.0\/16"; must be inside a private range/,
      );
    });
    it("overlapping subnets", () => {
      const subnets = {
        privateEndpoints: "10.20.0.0/24",
        functions: "10.20.0.128/26",
        appGateway: "10.20.2.0/24",
        mlCompute: "10.20.3.0/24",
        streamAnalytics: "10.20.4.0/26",
        firewall: "10.20.4.64/26",
      };
      rejects(
        { ...rawOf("dev"), subnets },
        "dev",
        /subnets \(privateEndpoints\): got "10.20.0.0\/24"; overlaps subnets.functions \(10.20.0.128\/26\)/,
      );
    });
    it("a primary region without availability zones (zone-redundant firewall, gateway and function storage)", () => {
      rejects(
        { ...rawOf("dev"), location: "germanynorth", secondaryLocation: "germanywestcentral" },
        "dev",
        /location: got "germanynorth"; must be an EU region with availability zones: one of westeurope, northeurope, francecentral, germanywestcentral,.*denmarkeast \(the firewall/,
      );
      assert.equal(parseConfig({ ...rawOf("dev"), location: "austriaeast" }, "dev").location, "austriaeast");
    });
    it("a secondary region without availability zones for a zone-redundant replica (prod's SQL geo-secondary)", () => {
      rejects(
        { ...rawOf("prod"), secondaryLocation: "swedensouth" },
        "prod",
        /secondaryLocation: got "swedensouth"; must be an EU region with availability zones: .* \(sql.zoneRedundant with sql.failoverGroup put a zone-redundant replica there\)/,
      );
      const cosmos = clone(rawOf("prod").cosmos) as Record<string, unknown>;
      const sqlOff = { ...(rawOf("prod").sql as Record<string, unknown>), failoverGroup: false };
      rejects(
        { ...rawOf("prod"), secondaryLocation: "francesouth", sql: sqlOff, cosmos: { ...cosmos, multiRegion: true } },
        "prod",
        /secondaryLocation: .*\(cosmos.zoneRedundant with cosmos.multiRegion put a zone-redundant replica there\)/,
      );
      const zoneBackups = { ...sqlOff, failoverGroup: true, zoneRedundant: false, backupStorageRedundancy: "GeoZone" };
      rejects(
        { ...rawOf("prod"), secondaryLocation: "swedensouth", sql: zoneBackups },
        "prod",
        /secondaryLocation: .*\(sql.backupStorageRedundancy GeoZone with sql.failoverGroup put a zone-redundant replica there\)/,
      );
      // dev has no replica in its secondary region: any EU region will do.
      assert.equal(
        parseConfig({ ...rawOf("dev"), secondaryLocation: "francesouth" }, "dev").secondaryLocation,
        "francesouth",
      );
    });
    it("a firewall subnet smaller than /26 (AzureFirewallSubnet)", () => {
      const raw = {
        ...rawOf("dev"),
        subnets: clone(parseConfig(rawOf("dev"), "dev").subnets) as Record<string, string>,
      };
      const firewall = raw.subnets.firewall;
      raw.subnets.firewall = firewall.replace(/\/26$/, "/27");
      assert.notEqual(raw.subnets.firewall, firewall, "the carved firewall subnet is a /26");
      rejects(raw, "dev", /subnets \(firewall\): got "[0-9.]+\/27"; must be a \/26 or larger/);
    });
    it("a subnet outside the address space", () => {
      const raw = {
        ...rawOf("dev"),
        subnets: clone(parseConfig(rawOf("dev"), "dev").subnets) as Record<string, string>,
      };
      raw.subnets.mlCompute = "10.99.0.0/24";
      rejects(raw, "dev", /subnets \(mlCompute\): got "10.99.0.0\/24"; must lie inside vnetAddressSpace 10.20.0.0\/16/);
    });
    describe("ingestion", () => {
      const withIngestion = (stack: "dev" | "prod", change: (i: Ingestion) => void) => {
        const raw = clone(rawOf(stack));
        change(raw.ingestion as Ingestion);
        return raw;
      };
      it("a gateway maximum below its minimum", () =>
        rejects(
          withIngestion("prod", (i) => (i.gateway.maxInstances = 2)),
          "prod",
          /ingestion \(gateway.maxInstances\): got 2; must be at least gateway.minInstances \(3\)/,
        ));
      describe("merchant certificate authorities (mutual TLS)", () => {
        const pem = (f: string) => fs.readFileSync(path.join(__dirname, "fixtures/certs", f), "utf8");
        const withCas = (cas: unknown, revocation?: string, deploySources: unknown = ["10.40.0.0/27"]) =>
          withIngestion("prod", (i) => {
            (i.gateway as Record<string, unknown>).merchantCertificateAuthorities = cas;
            if (deploySources !== false) (i.gateway as Record<string, unknown>).paymentApiDeploySources = deploySources;
            if (revocation) (i.gateway as Record<string, unknown>).merchantCertificateRevocation = revocation;
          });
        it("accepts a CA certificate, and checks revocation with OCSP unless told otherwise", () => {
          const c = parseConfig(withCas([{ name: "merchant-ca", certificate: pem("merchant-ca.pem") }]), "prod");
          assert.equal(c.ingestion.gateway.merchantCertificateAuthorities?.[0].name, "merchant-ca");
          assert.equal(c.ingestion.gateway.merchantCertificateRevocation, "OCSP");
        });
        it("a root CA followed by the intermediate that issues merchants' certificates", () => {
          const chain = pem("merchant-ca.pem") + pem("merchant-issuing-ca.pem");
          const c = parseConfig(withCas([{ name: "merchant-ca", certificate: chain }]), "prod");
          assert.equal(c.ingestion.gateway.merchantCertificateAuthorities?.[0].certificate, chain);
        });
        it("a merchant's own certificate instead of its authority's", () =>
          rejects(
            withCas([{ name: "merchant-42", certificate: pem("merchant-ca.pem") + pem("merchant-42.pem") }]),
            "prod",
            /ingestion \(gateway.merchantCertificateAuthorities.0.certificate\): .*must hold certificate authorities only \(basic constraints CA:TRUE\); CN=merchant-42, O=Test Merchant is not/,
          ));
        it("what Application Gateway refuses in a trusted CA file: no root, two roots, a private key, over 25 KB", () => {
          const at = /merchantCertificateAuthorities.0.certificate\): /;
          const withCa = (certificate: string) => withCas([{ name: "ca", certificate }]);
          rejects(
            withCa(pem("merchant-issuing-ca.pem")),
            "prod",
            new RegExp(`${at.source}.*exactly one self-signed root CA.*found 0`),
          );
          rejects(
            withCa(pem("merchant-issuing-ca.pem")),
            "prod",
            /must hold the issuer of CN=Test Merchant Issuing CA/,
          );
          rejects(withCa(pem("merchant-ca.pem").repeat(2)), "prod", /exactly one self-signed root CA .*found 2/);
          rejects(
            withCa(`${pem("merchant-ca.pem")}-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n`),
            "prod",
            /must hold certificates only, not PRIVATE KEY \(never a private key\) \(the value is not shown: a certificate bundle\)/,
          );
          // A bundle that starts with its private key: none of it reaches the error (a CI log).
          assert.throws(
            () =>
              parseConfig(
                withCa(
                  `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----\n${pem("merchant-ca.pem")}`,
                ),
                "prod",
              ),
            (e: Error) => !e.message.includes("MIIEvQIBADANBgkq") && !e.message.includes("BEGIN PRIVATE KEY"),
          );
          rejects(withCa(pem("merchant-ca.pem").repeat(22)), "prod", /must be at most 25 KB/);
          rejects(
            withCa(pem("merchant-ca.pem") + pem("merchant-issuing-ca.pem") + pem("merchant-issuing-ca-2.pem")),
            "prod",
            /must hold one chain: CN=Test Merchant CA, O=Payments Test issues 2 certificates here; give each its own file/,
          );
        });
        it("text that is not a PEM certificate", () =>
          rejects(
            withCas([{ name: "ca", certificate: "not a certificate" }]),
            "prod",
            /merchantCertificateAuthorities.0.certificate\): .*must be a PEM certificate/,
          ));
        it("merchant authorities without the deploy runners' address ranges, or a range that is not a CIDR", () => {
          const ca = { name: "merchant-ca", certificate: pem("merchant-ca.pem") };
          rejects(
            withCas([ca], undefined, false),
            "prod",
            /gateway.paymentApiDeploySources\): .*must list the address ranges \(CIDR\) of the runners that ship the payment API's code/,
          );
          rejects(withCas([ca], undefined, ["10.40.0.0"]), "prod", /gateway.paymentApiDeploySources.0\): .*CIDR/);
        });
        it("the same authority name twice, an empty list, an unknown revocation check", () => {
          const ca = { name: "merchant-ca", certificate: pem("merchant-ca.pem") };
          rejects(withCas([ca, ca]), "prod", /merchantCertificateAuthorities.1.name\): .*must be unique/);
          rejects(withCas([]), "prod", /merchantCertificateAuthorities\): .*must list at least one authority/);
          rejects(
            withCas([ca], "CRL"),
            "prod",
            /merchantCertificateRevocation\): got "CRL"; must be one of OCSP, None/,
          );
        });
      });
      it("a gateway maximum above Azure's 125", () =>
        rejects(
          withIngestion("dev", (i) => (i.gateway.maxInstances = 200)),
          "dev",
          /ingestion \(gateway.maxInstances\): got 200; must be between 2 and 125/,
        ));
      it("a function plan other than Flex Consumption", () =>
        rejects(
          withIngestion("dev", (i) => ((i.functions as { sku: string }).sku = "EP1")),
          "dev",
          /ingestion \(functions.sku\): got "EP1"; must be FC1 \(Flex Consumption/,
        ));
      it("an instance memory Flex does not offer", () =>
        rejects(
          withIngestion("dev", (i) => (i.functions.instanceMemoryMB = 1024)),
          "dev",
          /ingestion \(functions.instanceMemoryMB\): got 1024; must be one of 512, 2048, 4096 MB/,
        ));
      it("a scale ceiling below Flex's minimum", () =>
        rejects(
          withIngestion("dev", (i) => (i.functions.paymentApi.maximumInstanceCount = 0)),
          "dev",
          /ingestion \(functions.paymentApi.maximumInstanceCount\): got 0; must be between 1 and 1000/,
        ));
      it("a scorer that can scale to zero (SQL trigger with a managed identity)", () =>
        rejects(
          withIngestion("dev", (i) => (i.functions.fraudScoring.alwaysReady = 0)),
          "dev",
          /ingestion \(functions.fraudScoring.alwaysReady\): got 0; must be at least 1: .*azure-functions-sql-extension#1235/,
        ));
      it("a SQL trigger polling interval outside 100 ms to a minute", () => {
        for (const ms of [50, 60_001, 250.5])
          rejects(
            withIngestion("prod", (i) => (i.functions.fraudScoring.sqlTriggerPollingMs = ms)),
            "prod",
            /ingestion \(functions.fraudScoring.sqlTriggerPollingMs\): got [\d.]+; must be (between 100 and 60000|a whole number) of milliseconds \(the SQL trigger's polling interval\)/,
          );
        // Required in prod: the default second would break the flow's 200 ms P99 budget without a word.
        rejects(
          withIngestion(
            "prod",
            (i) => delete (i.functions.fraudScoring as { sqlTriggerPollingMs?: number }).sqlTriggerPollingMs,
          ),
          "prod",
          /ingestion \(functions.fraudScoring.sqlTriggerPollingMs\): got nothing \(the key is missing\); must be set in prod, 100 to 60000 ms/,
        );
        // Unset in dev: the extension's own default, one second.
        const raw = withIngestion(
          "dev",
          (i) => delete (i.functions.fraudScoring as { sqlTriggerPollingMs?: number }).sqlTriggerPollingMs,
        );
        assert.equal(parseConfig(raw, "dev").ingestion.functions.fraudScoring.sqlTriggerPollingMs, 1_000);
      });
      it("an API host name that is not a DNS name", () =>
        rejects(
          withIngestion("prod", (i) => (i.apiHostName = "https://api.example.com")),
          "prod",
          /ingestion \(apiHostName\): got "https:\/\/api.example.com"; must be a lower-case DNS name/,
        ));
      it("no DDoS protection in prod", () =>
        rejects(
          { ...rawOf("prod"), enableDdosProtection: false },
          "prod",
          /enableDdosProtection: got false; must be true in prod/,
        ));
    });
    it("negative retention days", () => {
      rejects(
        { ...rawOf("dev"), logRetentionDays: -5 },
        "dev",
        /logRetentionDays: got -5; must be between 30 and 730 days/,
      );
    });
    it("retention below 365 days in prod (PCI DSS 10.5.1)", () => {
      rejects(
        { ...rawOf("prod"), logRetentionDays: 90 },
        "prod",
        /logRetentionDays: got 90; must be at least 365 days in prod/,
      );
    });
    it("out-of-range point-in-time restore days", () => {
      const raw = rawOf("prod");
      (raw.sql as { pitrRetentionDays: number }).pitrRetentionDays = 60;
      rejects(raw, "prod", /sql \(pitrRetentionDays\): got 60; must be between 1 and 35 days/);
    });
    it("serverless auto-pause together with a failover group", () => {
      const raw = rawOf("dev");
      (raw.sql as { failoverGroup: boolean }).failoverGroup = true;
      rejects(
        raw,
        "dev",
        /sql \(autoPauseDelayMinutes\): got 60; must be -1 \(auto-pause off\) on serverless with a failover group/,
      );
    });
    it("Cosmos throughput that is not a multiple of 1000 RU/s", () => {
      const raw = rawOf("prod");
      (raw.cosmos as { containers: { apiLogs: { maxThroughput: number } } }).containers.apiLogs.maxThroughput = 4500;
      rejects(raw, "prod", /cosmos \(containers\.apiLogs\.maxThroughput\): got 4500; must be a multiple of 1000 RU\/s/);
    });
    it("throughput below the autoscale minimum", () => {
      const raw = rawOf("prod");
      (raw.cosmos as { containers: { sessions: { maxThroughput: number } } }).containers.sessions.maxThroughput = 400;
      rejects(raw, "prod", /containers\.sessions\.maxThroughput\): got 400; must be at least 1000 RU\/s/);
    });
    it("provisioned throughput on a serverless account", () => {
      const raw = rawOf("dev");
      (raw.cosmos as { containers: { apiLogs: { maxThroughput: number } } }).containers.apiLogs.maxThroughput = 4000;
      rejects(raw, "dev", /containers\.apiLogs\.maxThroughput\): got 4000; must be absent on a serverless account/);
    });
    it("a malformed e-mail address", () => {
      rejects(
        { ...rawOf("dev"), alertEmails: ["oncall-at-example.com"] },
        "dev",
        /alertEmails \(0\): got "oncall-at-example.com"; must be an e-mail address/,
      );
    });
    it("a missing required key", () => {
      const raw = rawOf("dev");
      delete raw.costCenter;
      rejects(raw, "dev", /config payments-data-platform:costCenter: got nothing \(the key is missing\); is required/);
    });
    it("an environment that does not match the stack", () => {
      rejects(
        { ...rawOf("dev"), environment: "prod" },
        "dev",
        /environment: got "prod"; must match the stack name 'dev'/,
      );
    });
    it("an unknown environment", () => {
      rejects(
        { ...rawOf("dev"), environment: "staging" },
        "dev",
        /environment: got "staging"; must be one of dev, prod/,
      );
    });
    it("a Log Analytics commitment tier Microsoft does not sell", () => {
      rejects(
        { ...rawOf("dev"), logAnalyticsCommitmentGbPerDay: 250 },
        "dev",
        /logAnalyticsCommitmentGbPerDay: got 250; must be 0 \(pay-as-you-go\) or a commitment tier in GB a day: 100, 200, 300, 400, 500, 1000, 2000, 5000/,
      );
    });
    it("a key size Azure SQL TDE cannot use", () => {
      rejects({ ...rawOf("dev"), cmkKeySize: 4096 }, "dev", /cmkKeySize: got 4096; must be 3072/);
    });
    it("HSM keys on a standard vault", () => {
      rejects({ ...rawOf("dev"), hsmKeys: true }, "dev", /hsmKeys: got true; HSM-backed keys need keyVaultSku premium/);
    });
    it("prod without deletion protection", () => {
      rejects(
        { ...rawOf("prod"), protectStatefulResources: false },
        "prod",
        /protectStatefulResources: got false; must be true in prod/,
      );
    });
    it("prod without the SQL failover group (the secondary it would delete, and the endpoint it would move)", () => {
      const raw = rawOf("prod");
      const sqlRaw = raw.sql as { failoverGroup: boolean; secondaryType?: string };
      sqlRaw.failoverGroup = false;
      delete sqlRaw.secondaryType;
      rejects(
        raw,
        "prod",
        /sql \(failoverGroup\): got false; must be true in prod \(docs\/disaster-recovery\.md's SQL RTO and RPO rest on the geo-secondary/,
      );
      // dev may go without one.
      const dev = rawOf("dev");
      (dev.sql as { failoverGroup: boolean }).failoverGroup = false;
      assert.equal(parseConfig(dev, "dev").sql.failoverGroup, false);
    });
    it("prod without HSM-backed keys", () => {
      rejects({ ...rawOf("prod"), hsmKeys: false }, "prod", /hsmKeys: got false; must be true in prod/);
    });
    it("prod with neither HSM-backed keys nor deletion protection names both in one run", () => {
      rejects(
        { ...rawOf("prod"), hsmKeys: false, protectStatefulResources: false },
        "prod",
        /hsmKeys: got false; must be true in prod[\s\S]*protectStatefulResources: got false; must be true in prod/,
      );
    });
    it("a key that would expire before it rotates, or rotate after its near-expiry notice", () => {
      rejects(
        { ...rawOf("dev"), keyRotationDays: 200, keyExpiryDays: 180 },
        "dev",
        /keyExpiryDays: got 180; must be at least keyRotationDays \+ 30 \(230\)/,
      );
      rejects(
        { ...rawOf("dev"), keyRotationDays: 340, keyExpiryDays: 365 },
        "dev",
        /keyExpiryDays: got 365; must be at least keyRotationDays \+ 30 \(370\)/,
      );
      assert.doesNotThrow(() => parseConfig({ ...rawOf("dev"), keyRotationDays: 335, keyExpiryDays: 365 }, "dev"));
    });
    it("an existing group id that is not a GUID", () => {
      rejects(
        { ...rawOf("dev"), analystsGroupId: "analysts" },
        "dev",
        /analystsGroupId: got "analysts"; must be an Entra object id \(GUID\)/,
      );
    });
    it("ML capacities: fewer than 3 scoring instances or preemptible training nodes in prod", () => {
      const raw = rawOf("prod");
      const mlRaw = raw.ml as { endpoint: { instanceCount: number }; compute: { vmPriority: string } };
      mlRaw.endpoint.instanceCount = 2;
      mlRaw.compute.vmPriority = "LowPriority";
      rejects(raw, "prod", /ml \(endpoint\.instanceCount\): got 2; must be at least 3 in prod/);
      rejects(raw, "prod", /ml \(compute\.vmPriority\): got "LowPriority"; must be Dedicated in prod/);
    });
    it("a serverless Cosmos DB account in prod (dev's config carried over), which cannot become provisioned here", () => {
      const raw = rawOf("prod");
      raw.cosmos = rawOf("dev").cosmos;
      rejects(
        raw,
        "prod",
        /cosmos \(serverless\): got true; must be false in prod \(a serverless account is single-region .*irreversible capacity-mode migration/,
      );
    });
    it("ML capacities: a VM size that is not one, a cluster over 100 nodes, an unknown priority", () => {
      const raw = rawOf("dev");
      const mlRaw = raw.ml as { compute: { vmSize: string; maxNodes: number; vmPriority: string } };
      mlRaw.compute.vmSize = "DS3_v2";
      mlRaw.compute.maxNodes = 101;
      mlRaw.compute.vmPriority = "Spot";
      rejects(
        raw,
        "dev",
        /ml \(compute\.vmSize\): got "DS3_v2"; must be an Azure VM size name, e\.g\. Standard_D4s_v3/,
      );
      rejects(raw, "dev", /ml \(compute\.maxNodes\): got 101; must be between 1 and 100 nodes/);
      rejects(raw, "dev", /ml \(compute\.vmPriority\): got "Spot"; must be one of Dedicated, LowPriority/);
    });
    it("ML scoring: an instance type managed online endpoints do not offer, naming the sizes they do", () => {
      const raw = rawOf("prod");
      (raw.ml as { endpoint: { instanceType: string } }).endpoint.instanceType = "Standard_D4s_v3";
      rejects(
        raw,
        "prod",
        /ml \(endpoint\.instanceType\): got "Standard_D4s_v3"; must be a managed online endpoint CPU size: one of Standard_D2as_v4, .*Standard_DS3_v2, .*Standard_F2s_v2/,
      );
      // Microsoft's own spelling is accepted and kept in the canonical case the price table uses.
      (raw.ml as { endpoint: { instanceType: string } }).endpoint.instanceType = "STANDARD_DS3_V2";
      assert.equal(parseConfig(raw, "prod").ml.endpoint.instanceType, "Standard_DS3_v2");
    });
    it("ML capacities default to the dev sizes when the key is absent, and prod rejects them", () => {
      const dev = rawOf("dev");
      delete dev.ml;
      assert.deepEqual(parseConfig(dev, "dev").ml.endpoint, { instanceType: "Standard_DS1_v2", instanceCount: 1 });
      const prod = rawOf("prod");
      delete prod.ml;
      rejects(
        prod,
        "prod",
        // The value the rule tested is the default, and the message says so (not "got nothing").
        /ml \(endpoint\.instanceCount\): got 1 \(the default: the key is not set\); must be at least 3 in prod/,
      );
    });
    it("a structured key that is not valid JSON", () => {
      assert.throws(
        () => readRaw((k) => (k === "sql" ? "{not json" : undefined)),
        /payments-data-platform:sql: got "\{not json"; must be valid YAML\/JSON/,
      );
    });
    it("reports every problem at once, one line each", () => {
      try {
        parseConfig({ ...rawOf("dev"), location: "eastus", keyVaultSku: "gold" }, "dev");
        assert.fail("expected a ConfigError");
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.problems.length, 2);
      }
    });
  });
});

describe("config: settings that do not exist are refused, with the likely intended one", () => {
  it("suggests the declared key a misspelling is closest to, and nothing for an unrelated key", () => {
    assert.equal(editDistance("autoPauseDelayMinute", "autoPauseDelayMinutes"), 1);
    assert.equal(
      closest("platformAdminGroupId", ["platformAdminsGroupId", "analystsGroupId"]),
      "platformAdminsGroupId",
    );
    assert.equal(closest("MAXTHROUGHPUT", ["maxThroughput", "ttlSeconds"]), "maxThroughput");
    assert.equal(closest("colour", ["maxThroughput", "ttlSeconds"]), undefined);
    // A swap of two neighbours is one edit.
    assert.equal(editDistance("sotrage", "storage"), 1);
    assert.equal(closest("sotrage", ["storage", "sql"]), "storage");
    assert.equal(closest("lakeColdGb", ["lakeHotGb", "lakeCoolGb"]), "lakeCoolGb");
    // Short names: two edits make another word, not a misspelling.
    assert.equal(closest("db", ["hub", "sql"]), undefined);
    assert.equal(closest("sku", ["sql", "hub"]), undefined);
    assert.equal(closest("skus", ["sku", "sql"]), "sku");
  });

  it("names an unknown key of the project's namespace; other namespaces and the secret key are not its business", () => {
    assert.deepEqual(
      unknownKeyProblems([
        `${PROJECT}:workload`,
        `${PROJECT}:alertWebhookUrl`,
        "azure-native:location",
        "pulumi:tags",
        `${PROJECT}:enableFireWall`,
      ]),
      [
        `config ${PROJECT}:enableFireWall: is not a setting of this project (did you mean enableFirewall?); the settings are listed in docs/configuration.md`,
      ],
    );
  });

  it("names a key whose namespace is one or two edits from the project's (an error) or a provider's (a warning); leaves real names alone", () => {
    const keys = [
      "payments-data-platfrom:cmkKeySize",
      "Payments-Data-Platform:owner",
      "azure-natvie:location",
      "azuread:tenantId",
      "team:costCentre",
      "payments:owner",
      "pulumi:tags",
      // Other providers' (two edits from azuread) and common words two edits from `time`: real names.
      "azure:location",
      "azurerm:features",
      "acme:email",
      "tier:name",
      "site:id",
    ];
    assert.deepEqual(unknownKeyProblems(keys), [
      'config payments-data-platfrom:cmkKeySize: nothing reads the namespace "payments-data-platfrom" (did you mean payments-data-platform:cmkKeySize?); this program reads payments-data-platform: keys only, so this value is ignored',
      'config Payments-Data-Platform:owner: nothing reads the namespace "Payments-Data-Platform" (did you mean payments-data-platform:owner?); this program reads payments-data-platform: keys only, so this value is ignored',
    ]);
    assert.deepEqual(namespaceWarnings(keys), [
      'config azure-natvie:location: nothing this stack runs reads the namespace "azure-natvie" (did you mean azure-native:location?); the azure-native provider reads azure-native: keys only',
    ]);
  });

  it("names a plain setting stored as a secret; the webhook (read as a secret) and other namespaces are fine", () => {
    const secret = new Set([`${PROJECT}:owner`, `${PROJECT}:alertWebhookUrl`, "azure-native:clientSecret"]);
    assert.deepEqual(
      plainSecretProblems(
        [`${PROJECT}:owner`, `${PROJECT}:alertWebhookUrl`, `${PROJECT}:workload`, "azure-native:clientSecret"],
        (k) => secret.has(k),
      ),
      [
        `config ${PROJECT}:owner: is stored as a secret, but the program reads it as plain text: its value reaches resource inputs and tags, which the state keeps unencrypted (only alertWebhookUrl stays secret)`,
      ],
    );
  });

  it("requires a container TTL where the GDPR erasure expires items with per-item ttl stubs", () => {
    for (const key of ["sessions", "fraudFeatures"]) {
      const raw = rawOf("dev");
      delete (raw.cosmos as { containers: Record<string, Record<string, unknown>> }).containers[key].ttlSeconds;
      rejects(raw, "dev", new RegExp(`cosmos \\(containers\\.${key}\\.ttlSeconds\\).*GDPR erasure`));
    }
    // Elsewhere a container may keep its items for good.
    const raw = rawOf("dev");
    delete (raw.cosmos as { containers: Record<string, Record<string, unknown>> }).containers.apiLogs.ttlSeconds;
    assert.doesNotThrow(() => parseConfig(raw, "dev"));
  });

  it("refuses a misspelt setting at any depth, naming where it is and what is allowed there", () => {
    const raw = rawOf("prod");
    const cosmos = raw.cosmos as { containers: { apiLogs: Record<string, unknown> } };
    cosmos.containers.apiLogs.maxThroughPut = 10_000;
    rejects(
      raw,
      "prod",
      /config payments-data-platform:cosmos \(containers\.apiLogs\): "maxThroughPut" is not a setting \(did you mean maxThroughput\?\); the settings here are maxThroughput, ttlSeconds/,
    );
    const ops = rawOf("prod");
    (ops.operations as Record<string, unknown>).sentinal = true;
    rejects(
      ops,
      "prod",
      /config payments-data-platform:operations: "sentinal" is not a setting \(did you mean sentinel\?\)/,
    );
    const usage = rawOf("dev");
    usage.usage = { ...(usage.usage as object), logIngestionGbPerDya: 3 };
    rejects(usage, "dev", /config payments-data-platform:usage: "logIngestionGbPerDya" is not a setting/);
  });
});

describe("config: hub (the network operators come from)", () => {
  const HUB =
    "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub";
  it("is optional; set, it takes a VNet id and defaults to no gateway transit and no DNS links", () => {
    assert.equal(parseConfig(rawOf("dev"), "dev").hub, undefined);
    assert.deepEqual(parseConfig({ ...rawOf("dev"), hub: { virtualNetworkId: HUB } }, "dev").hub, {
      virtualNetworkId: HUB,
      useRemoteGateways: false,
      linkPrivateDnsZones: false,
    });
  });
  it("names the key and the shape on a wrong id, and refuses a setting it does not have", () => {
    rejects(
      { ...rawOf("dev"), hub: { virtualNetworkId: "vnet-hub" } },
      "dev",
      /config payments-data-platform:hub \(virtualNetworkId\): got "vnet-hub"; must be a virtual network's resource id: \/subscriptions\/<id>\/resourceGroups\/<rg>\/providers\/Microsoft.Network\/virtualNetworks\/<name>/,
    );
    rejects(
      { ...rawOf("dev"), hub: { virtualNetworkId: HUB, useRemoteGateway: true } },
      "dev",
      /config payments-data-platform:hub: "useRemoteGateway" is not a setting \(did you mean useRemoteGateways\?\)/,
    );
  });
});

describe("config: privateDns (the stack's own zones, or the hub's)", () => {
  const HUB =
    "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub";
  const ZONES = "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-hub-dns-westeurope";
  /** A dev config in mode central; `hub: null` leaves the hub out. */
  const central = (
    privateDns: Record<string, unknown>,
    hub: Record<string, unknown> | null = { virtualNetworkId: HUB },
  ) => ({
    ...rawOf("dev"),
    ...(hub ? { hub } : {}),
    privateDns: { mode: "central", zonesResourceGroupId: ZONES, dnsServers: ["10.0.0.68"], ...privateDns },
  });
  const key = "config payments-data-platform:privateDns";

  it("defaults to the stack's own zones, and reads a central one with its zones' group and DNS servers", () => {
    assert.deepEqual(parseConfig(rawOf("dev"), "dev").privateDns, { mode: "stack" });
    assert.deepEqual(parseConfig(rawOf("prod"), "prod").privateDns, { mode: "stack" });
    assert.deepEqual(parseConfig(central({ dnsServers: ["10.0.0.68", "10.0.0.69"] }), "dev").privateDns, {
      mode: "central",
      zonesResourceGroupId: ZONES,
      dnsServers: ["10.0.0.68", "10.0.0.69"],
    });
  });

  it("names the allowed modes, and what central needs", () => {
    rejects(
      central({ mode: "hub" }),
      "dev",
      /privateDns \(mode\): got "hub"; must be stack \(the stack creates and links its own privatelink\.\* zones; the default\) or central \(the hub's zones: set zonesResourceGroupId and dnsServers\)/,
    );
    rejects(
      central({ zonesResourceGroupId: undefined }),
      "dev",
      /privateDns \(zonesResourceGroupId\): got nothing \(the key is missing\); is required with mode central: the id of the resource group holding the hub's privatelink\.\* zones/,
    );
    rejects(
      central({ dnsServers: undefined }),
      "dev",
      /privateDns \(dnsServers\): got nothing \(the key is missing\); must list 1 to 5 IPv4 addresses with mode central: the hub's Private Resolver inbound endpoint or the hub firewall \(DNS proxy\)/,
    );
    rejects(central({ dnsServers: [] }), "dev", /privateDns \(dnsServers\): got \[\]; must list 1 to 5 IPv4 addresses/);
    rejects(
      central({ dnsServers: ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"] }),
      "dev",
      /privateDns \(dnsServers\): got \["10\.0\.0\.1",.*; must list 1 to 5 IPv4 addresses .*App Service uses at most five/,
    );
  });

  it("refuses a zones group that is not a resource group's id, spelled as Azure prints it", () => {
    // Group names may hold Unicode letters, periods and parentheses (resource-name-rules).
    const unusual = "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-dns-zürich_(hub).1";
    assert.equal(
      parseConfig(central({ zonesResourceGroupId: unusual }), "dev").privateDns.zonesResourceGroupId,
      unusual,
    );
    for (const bad of [
      "rg-hub-dns-westeurope",
      `${ZONES}/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net`,
      "/subscriptions/not-a-guid/resourceGroups/rg-hub-dns",
      "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-ends-with-period.",
      // Spelled otherwise than Azure prints it: the zone ids would differ in case from what Azure reports.
      "/SUBSCRIPTIONS/00000000-0000-4000-8000-0000000000aa/resourcegroups/rg-hub-dns-westeurope",
    ])
      rejects(
        central({ zonesResourceGroupId: bad }),
        "dev",
        new RegExp(
          `${key} \\(zonesResourceGroupId\\): got "[^;]*; must be a resource group's id: /subscriptions/<id>/resourceGroups/<name> \\(the group of the hub's privatelink\\.\\* zones, e\\.g\\. rg-hub-dns-<region> or rg-private-dns-zones-<region>\\)`,
        ),
      );
  });

  it("refuses a zones group of the stack's own, in any case, and accepts a name that only starts alike", () => {
    const sub = "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups";
    for (const own of ["rg-pay-dev-weu", "RG-PAY-DEV-WEU-NETWORK"])
      rejects(
        central({ zonesResourceGroupId: `${sub}/${own}` }),
        "dev",
        /names a resource group of this stack \(rg-pay-dev-weu-\*\)/,
      );
    assert.equal(
      parseConfig(central({ zonesResourceGroupId: `${sub}/rg-pay-dev-weux` }), "dev").privateDns.zonesResourceGroupId,
      `${sub}/rg-pay-dev-weux`,
    );
    rejects(
      central({
        zonesResourceGroupId:
          "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-pay-dev-weu-network",
      }),
      "dev",
      /privateDns \(zonesResourceGroupId\): got "[^;]*; names a resource group of this stack \(rg-pay-dev-weu-\*\): mode central uses the hub's zones, in the hub's resource group/,
    );
  });

  it("refuses each DNS server the VNet could not resolve through, naming its place in the list", () => {
    const cases: [string, RegExp][] = [
      ["10.0.0.068", /must be an IPv4 address, written plainly/],
      ["dns.example.com", /must be an IPv4 address, written plainly/],
      [
        "168.63.129.16",
        /is Azure-provided DNS, which answers only from zones linked to this VNet, and mode central links only the hub's vault zone \(for the gateway\)/,
      ],
      [
        "8.8.8.8",
        /must be a private address \(10\.0\.0\.0\/8, 172\.16\.0\.0\/12, 192\.168\.0\.0\/16\): the hub's resolver or firewall/,
      ],
      [
        "10.20.0.4",
        /lies inside vnetAddressSpace 10\.20\.0\.0\/16: the resolver is the hub's, reached through the peering/,
      ],
    ];
    for (const [server, message] of cases)
      rejects(
        central({ dnsServers: ["10.0.0.68", server] }),
        "dev",
        new RegExp(`${key} \\(dnsServers\\.1\\): got "${server.replace(/\./g, "\\.")}"; ${message.source}`),
      );
    rejects(
      central({ dnsServers: ["10.0.0.68", "10.0.0.68"] }),
      "dev",
      /privateDns \(dnsServers\.1\): got "10\.0\.0\.68"; is listed twice/,
    );
  });

  it("needs the hub peering, and no hub links of zones it does not have", () => {
    rejects(
      central({}, null),
      "dev",
      /privateDns \(mode\): got "central"; central needs hub: the VNet reaches dnsServers, and through them the hub's zones, only through its peering with the hub/,
    );
    rejects(
      central({}, { virtualNetworkId: HUB, linkPrivateDnsZones: true }),
      "dev",
      /config payments-data-platform:hub \(linkPrivateDnsZones\): got true; must be false with privateDns\.mode central: the stack has no private DNS zones to link/,
    );
  });

  it("says the hub's settings have no effect in mode stack, and suggests the setting a typo meant", () => {
    for (const k of ["zonesResourceGroupId", "dnsServers"] as const)
      rejects(
        { ...rawOf("dev"), privateDns: { [k]: k === "dnsServers" ? ["10.0.0.68"] : ZONES } },
        "dev",
        new RegExp(`${key} \\(${k}\\): got .*; has no effect with mode stack: remove it, or set mode to central`),
      );
    rejects(
      { ...rawOf("dev"), privateDns: { mode: "central", dnsServer: ["10.0.0.68"] } },
      "dev",
      /privateDns: "dnsServer" is not a setting \(did you mean dnsServers\?\); the settings here are mode, zonesResourceGroupId, dnsServers/,
    );
  });
});

describe("config: the azure-native provider's default region (azure-native:location)", () => {
  const dev = () => rawOf("dev");
  const rejectsProvider = (location: string | undefined, expected: RegExp) =>
    assert.throws(
      () => parseConfig(dev(), "dev", { location }),
      (e: unknown) => e instanceof ConfigError && expected.test(e.message),
    );

  it("both committed stacks set it to their location", () => {
    for (const stack of ["dev", "prod"] as const) {
      const { config } = loadStackConfig(ROOT, stack);
      const c = parseConfig(rawOf(stack), stack, { location: config["azure-native:location"] });
      assert.equal(config["azure-native:location"], c.location);
    }
  });
  it("is required", () =>
    rejectsProvider(
      undefined,
      /^config azure-native:location: got nothing \(the key is missing\); must be set to payments-data-platform:location.*\(pulumi config set azure-native:location westeurope\)$/,
    ));
  it("must be an EU region", () =>
    rejectsProvider(
      "eastus",
      /^config azure-native:location: got "eastus"; must be an EU region .*: one of westeurope, /,
    ));
  it("must equal location", () =>
    rejectsProvider(
      "northeurope",
      /^config azure-native:location: got "northeurope"; must equal payments-data-platform:location \("westeurope"\)/,
    ));
  it("a stack without it fails the offline preview as a config error, before any resource registers", async () => {
    const file = path.join(tempDir("provider-location-"), "Pulumi.dev.yaml");
    fs.writeFileSync(
      file,
      fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8").replace(/^\s*azure-native:location: .*\n/m, ""),
    );
    await assert.rejects(previewStack({ stack: "dev", stackFile: file }), (e: unknown) => {
      assert.ok(e instanceof Error && e.name === "ConfigError", String(e));
      assert.match(e.message, /^config azure-native:location: got nothing/);
      return true;
    });
  });
  it("is reported with the other problems, one line each", () => {
    const raw = { ...dev(), costCenter: "!" };
    assert.throws(
      () => parseConfig(raw, "dev", { location: "eastus" }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems.length === 2 &&
        /^config payments-data-platform:costCenter/.test(e.problems[0]) &&
        /^config azure-native:location/.test(e.problems[1]),
    );
  });
});

describe("config: the streaming key", () => {
  type Streaming = {
    eventHubs: Record<string, unknown>;
    streamAnalytics: Record<string, unknown>;
    relay: Record<string, unknown>;
    freshnessMinutes?: number;
  };
  const streaming = (raw: Record<string, unknown>) => raw.streaming as Streaming;

  it("accepts the committed stacks: dev at the smallest sizes (1 TU, 1 SU), prod Premium", () => {
    const dev = parseConfig(rawOf("dev"), "dev").streaming;
    assert.deepEqual(dev.eventHubs, { sku: "Standard", capacity: 1, partitions: 2, retentionHours: 24 });
    assert.equal(dev.streamAnalytics.streamingUnits, 1);
    assert.equal(parseConfig(rawOf("prod"), "prod").streaming.eventHubs.sku, "Premium");
  });

  it("an empty key (Pulumi.yaml's default) takes the dev sizes, which prod refuses", () => {
    const raw = { ...rawOf("dev"), streaming: {} };
    assert.deepEqual(parseConfig(raw, "dev").streaming.freshnessMinutes, 60);
    rejects(
      { ...rawOf("prod"), streaming: {} },
      "prod",
      /streaming \(eventHubs\.sku\): got "Standard" \(the default: the key is not set\); must be Premium in prod \(the namespace is encrypted with the platform's eventHubs customer-managed key/,
    );
  });

  it("names the key and the allowed values", () => {
    const cases: [string, (s: Streaming) => void, RegExp][] = [
      [
        "sku",
        (s) => (s.eventHubs.sku = "Basic"),
        /streaming \(eventHubs\.sku\): got "Basic"; must be Standard, Premium/,
      ],
      [
        "Premium units",
        (s) => Object.assign(s.eventHubs, { sku: "Premium", capacity: 3 }),
        /streaming \(eventHubs\.capacity\): got 3; must be one of 1, 2, 4, 8, 16 processing units on Premium/,
      ],
      [
        "Standard partitions",
        (s) => (s.eventHubs.partitions = 64),
        /streaming \(eventHubs\.partitions\): got 64; must be at most 32 on Standard/,
      ],
      [
        "a cluster capacity left in the stack file (the job no longer runs on a cluster)",
        (s) => Object.assign(s.streamAnalytics, { clusterCapacity: 36 }),
        /streaming \(streamAnalytics\.clusterCapacity\): got 36; is no longer used: the job runs without a Stream Analytics cluster/,
      ],
      [
        "a misspelt setting: the settings offered leave out the removed cluster capacity",
        (s) => Object.assign(s.streamAnalytics, { streamingUnit: 3 }),
        /streaming \(streamAnalytics\): "streamingUnit" is not a setting \(did you mean streamingUnits\?\); the settings here are streamingUnits, lateArrivalSeconds$/,
      ],
      [
        "streaming units",
        (s) => (s.streamAnalytics.streamingUnits = 4),
        /streaming \(streamAnalytics\.streamingUnits\): got 4; must be 1, 3 or a multiple of 6 up to 216/,
      ],
      [
        "streaming units the query cannot use (no step partitioned: six at most)",
        (s) => (s.streamAnalytics.streamingUnits = 12),
        /streaming \(streamAnalytics\.streamingUnits\): got 12; must be at most 6 \(allowed: 1, 3, 6\): no step of pipelines\/streaming\/apiPerformance\.asaql is partitioned/,
      ],
      [
        "loader always-ready instances",
        (s) => Object.assign(s.relay, { loaderAlwaysReady: 51 }),
        /streaming \(relay\.loaderAlwaysReady\): got 51/,
      ],
      [
        "freshness window",
        (s) => (s.freshnessMinutes = 7),
        /streaming \(freshnessMinutes\): got 7; must be one of 5, 10, 15, .* minutes \(Azure Monitor log alert window sizes\)/,
      ],
    ];
    for (const [, change, expected] of cases) {
      const raw = rawOf("dev");
      change(streaming(raw));
      rejects(raw, "dev", expected);
    }
  });
});

describe("config: olap.pauseSchedule.alsoStop (what sleeps with the pool)", () => {
  type Olap = { pauseSchedule: Record<string, unknown> } & Record<string, unknown>;
  const withAlsoStop = (stack: "dev" | "prod", alsoStop: unknown) => {
    const raw = clone(rawOf(stack));
    const dev = rawOf("dev").olap as Olap;
    const olap = raw.olap as Olap;
    olap.pauseSchedule = { ...dev.pauseSchedule, alsoStop };
    return raw;
  };
  it("stops the scorer, the streaming job and the gateway in dev; defaults to nothing", () => {
    assert.deepEqual(parseConfig(rawOf("dev"), "dev").olap.pauseSchedule?.alsoStop, [
      "fraudScoring",
      "streamingJob",
      "gateway",
    ]);
    const none = withAlsoStop("dev", undefined);
    assert.deepEqual(parseConfig(none, "dev").olap.pauseSchedule?.alsoStop, []);
  });
  it("names the key and the allowed values, refuses a target twice, and refuses any schedule in prod", () => {
    rejects(
      withAlsoStop("dev", ["paymentApi"]),
      "dev",
      /olap \(pauseSchedule\.alsoStop\.0\): got "paymentApi"; must be one of fraudScoring, streamingJob, gateway/,
    );
    rejects(
      withAlsoStop("dev", ["streamingJob", "streamingJob"]),
      "dev",
      /olap \(pauseSchedule\.alsoStop\).*must not name a target twice/,
    );
    rejects(
      withAlsoStop("prod", ["streamingJob"]),
      "prod",
      /olap \(pauseSchedule\): got .*; must be absent in prod: .*with alsoStop stops taking, scoring or streaming live payments/,
    );
  });
  it("takes a Windows time zone id of the platform's regions (Data Factory and alert processing rules), not an IANA id", () => {
    const withZone = (timeZone: string) => {
      const raw = clone(rawOf("dev"));
      const olap = raw.olap as Olap;
      olap.pauseSchedule = { ...olap.pauseSchedule, timeZone };
      return raw;
    };
    assert.equal(
      parseConfig(withZone("Romance Standard Time"), "dev").olap.pauseSchedule?.timeZone,
      "Romance Standard Time",
    );
    rejects(
      withZone("Europe/Paris"),
      "dev",
      /olap \(pauseSchedule\.timeZone\): got "Europe\/Paris"; must be a Windows time zone id of the platform's regions: UTC, GMT Standard Time, W\. Europe Standard Time/,
    );
  });
});

describe("names with the longest workload code", () => {
  it("every name fits its Azure limit with the longest workload code config allows, in prod", async function () {
    // The whole program: a name over its limit (a key vault's 24 characters, a storage account's) throws while it
    // registers (lib/naming.ts). The ML workspace's vault once did, with a 5- or 6-letter workload.
    this.timeout(60000);
    const file = path.join(tempDir("longest-workload-"), "Pulumi.prod.yaml");
    const prod = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
    fs.writeFileSync(file, prod.replace(/^config:\n/m, "config:\n  payments-data-platform:workload: paymn\n"));
    const { run } = await previewStack({ stack: "prod", stackFile: file, skipSchema: true });
    const vaults = run.resources.filter((r) => r.type === "azure-native:keyvault:Vault");
    assert.ok(vaults.length >= 4);
    for (const v of vaults) {
      assert.match(String(v.inputs.vaultName), /paymn/);
      assert.ok(String(v.inputs.vaultName).length <= 24, String(v.inputs.vaultName));
    }
    // One letter more is refused by the config, naming the key, before any resource registers.
    const raw = rawOf("prod");
    raw.workload = "paymnt";
    rejects(raw, "prod", /config payments-data-platform:workload: .*must be 2–5 lower-case letters/);
  });
});

describe("config: SLA bounds", () => {
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

describe("config: lake lifecycle order", () => {
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
