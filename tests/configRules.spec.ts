/**
 * Config rules a review found missing: each refused before any resource registers, naming the key (full path) and
 * what is allowed, with a passing case next to each failing one.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { offHoursOf, offHoursProblems, type OffHoursTargetSpec } from "../components/etl/offHours";
import {
  alertWebhookProblems,
  configIsSecret,
  FRESHNESS_MINUTES,
  offHoursWindowIssues,
  parseConfig,
  PROJECT,
  type RawConfig,
} from "../lib/config";
import { offHoursQuietMinutes } from "../lib/offHours";
import { SQL_SKUS, SQL_VCORES } from "../lib/config/common";
import { sqlMaxDataSizeGb, type SqlSkuName } from "../lib/sqlLimits";
import { MAX_EXTRA_TAGS, REQUIRED_TAG_NAMES, tagsFor } from "../lib/tags";
import { stackAssumptions } from "../tools/lib/cost/stack";
import type { OffHoursTarget } from "../pipelines/etl/contract";
import { CARVED_DEV_SUBNETS, rawOf, rejectsConfig } from "./helpers/config";
import { previewEdited } from "./helpers/stacks";
import { tempDir } from "./helpers/tmp";

const ROOT = path.resolve(__dirname, "..");
const K = `config ${PROJECT}`;

/** A copy of a committed stack's config with one change applied. */
function edited(stack: "dev" | "prod", change: (raw: RawConfig) => void): RawConfig {
  const raw = structuredClone(rawOf(stack));
  change(raw);
  return raw;
}
const rejects = (stack: "dev" | "prod", change: (raw: RawConfig) => void, expected: RegExp, as: string = stack) =>
  rejectsConfig(edited(stack, change), as, expected);
const accepts = (stack: "dev" | "prod", change: (raw: RawConfig) => void) => parseConfig(edited(stack, change), stack);

type Schedule = NonNullable<NonNullable<RawConfig["olap"]>["pauseSchedule"]>;
/** dev's pause schedule (committed), to edit. */
const devSchedule = (): Schedule => structuredClone(rawOf("dev").olap?.pauseSchedule) as Schedule;
const withSchedule = (raw: RawConfig, change: (s: Schedule) => void) => {
  const s = devSchedule();
  change(s);
  (raw.olap as { pauseSchedule?: Schedule }).pauseSchedule = s;
};
const streamingOf = (raw: RawConfig) => raw.streaming as { freshnessMinutes?: number };

describe("config rules: olap.pauseSchedule in prod", () => {
  it("refuses any pause schedule in prod (it would lower the freshness alert to Sev3 and pause the pool nightly)", () => {
    rejects(
      "prod",
      (raw) => withSchedule(raw, (s) => (s.alsoStop = [])),
      /config payments-data-platform:olap \(pauseSchedule\): got .*; must be absent in prod: .*Sev1 \(P1\) to Sev3 \(P3\)/,
    );
    assert.equal(parseConfig(rawOf("prod"), "prod").olap.pauseSchedule, undefined);
    assert.ok(parseConfig(rawOf("dev"), "dev").olap.pauseSchedule, "dev keeps its schedule");
  });
});

describe("config rules: the off-hours silenced window fits the day (olap.pauseSchedule, streaming.freshnessMinutes)", () => {
  it("refuses a freshness window that passes midnight, naming the largest freshnessMinutes that fits", () => {
    rejects(
      "dev",
      (raw) => (streamingOf(raw).freshnessMinutes = 1440),
      /config payments-data-platform:streaming \(freshnessMinutes\): got 1440; .*olap\.pauseSchedule\.resumeAt 07:00 \+ 1440 min.*olap\.pauseSchedule\.pauseAt 19:00: 07:00 \+ 1440 min passes midnight; set streaming\.freshnessMinutes 360 at most/,
    );
    assert.equal(accepts("dev", (raw) => (streamingOf(raw).freshnessMinutes = 360)).streaming.freshnessMinutes, 360);
  });
  it("refuses a pauseAt the silenced window runs into, naming the latest resumeAt and the earliest pauseAt", () => {
    rejects(
      "dev",
      (raw) => withSchedule(raw, (s) => (s.pauseAt = "07:10")),
      /config payments-data-platform:olap \(pauseSchedule\.pauseAt\): got "07:10"; .*alerts silenced until 08:00 \(resumeAt \+ 60 min\) would run into pauseAt 07:10; set olap\.pauseSchedule\.resumeAt 06:09 at the latest, or olap\.pauseSchedule\.pauseAt 08:01 at the earliest/,
    );
    // The earliest pauseAt named is accepted; one minute less is not.
    assert.equal(
      accepts("dev", (raw) => withSchedule(raw, (s) => (s.pauseAt = "08:01"))).olap.pauseSchedule?.pauseAt,
      "08:01",
    );
    rejects("dev", (raw) => withSchedule(raw, (s) => (s.pauseAt = "08:00")), /pauseAt 08:01 at the earliest/);
    // Without targets nothing is silenced: no window to fit.
    accepts("dev", (raw) => withSchedule(raw, (s) => ((s.pauseAt = "07:10"), (s.alsoStop = []))));
  });
  it("refuses exactly what the ETL tier's own check refuses (one shared function, lib/offHours.ts)", () => {
    const spec = (quietMinutes: number): OffHoursTargetSpec => ({
      resourceId: "/x",
      alertRuleIds: ["/a"],
      quietMinutes,
    });
    const targets: OffHoursTarget[][] = [
      ["streamingJob"],
      ["fraudScoring"],
      ["gateway"],
      ["fraudScoring", "streamingJob"],
    ];
    for (const alsoStop of targets)
      for (const freshness of FRESHNESS_MINUTES)
        for (const [resumeAt, pauseAt] of [
          ["07:00", "19:00"],
          ["07:00", "07:10"],
          ["20:00", "23:59"],
          ["00:00", "00:20"],
        ]) {
          const schedule = { timeZone: "UTC", resumeAt, pauseAt, weekdaysOnly: true, resumePool: true, alsoStop };
          const quiet = offHoursQuietMinutes(freshness);
          const args = offHoursOf(
            schedule,
            {
              fraudScoring: spec(quiet.fraudScoring),
              streamingJob: spec(quiet.streamingJob),
              gateway: spec(quiet.gateway),
            },
            ["/w"],
          );
          const etl = args ? offHoursProblems(args) : [];
          const config = offHoursWindowIssues(schedule, freshness);
          assert.equal(config.length > 0, etl.length > 0, `${alsoStop.join("+")} ${resumeAt}-${pauseAt} ${freshness}`);
        }
  });
  it("is refused by the offline preview in the config check, before the ETL tier (and its seven predecessors) register", async function () {
    this.timeout(120_000);
    await assert.rejects(
      previewEdited("dev", (config) => {
        (config[`${PROJECT}:streaming`] as { freshnessMinutes: number }).freshnessMinutes = 1440;
      }),
      (e: unknown) => {
        assert.ok(e instanceof Error && e.name === "ConfigError", String(e));
        assert.match(e.message, /^config payments-data-platform:streaming \(freshnessMinutes\): got 1440;/);
        return true;
      },
    );
  });
});

describe("config rules: extraTags (Azure's tag limits, tag-resources.md)", () => {
  const tags = (extraTags: Record<string, string>) => (raw: RawConfig) => (raw.extraTags = extraTags);
  it("counts the required tags tagsFor sets on every resource", () => {
    const t = tagsFor(
      { environment: "dev", owner: "o", costCenter: "c" },
      { dataClassification: "internal", pciScope: "connected", component: "x" },
    );
    assert.deepEqual(Object.keys(t), [...REQUIRED_TAG_NAMES]);
    assert.equal(MAX_EXTRA_TAGS, 15 - 7);
  });
  it("accepts 8 extra tags at the name and value limits, refuses a 9th", () => {
    const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`t${i}`, "v"]));
    const long = { ...Object.fromEntries(Object.entries(eight).slice(1)), ["n".repeat(128)]: "v".repeat(256) };
    assert.equal(Object.keys(accepts("dev", tags(long)).extraTags).length, 8);
    rejects(
      "dev",
      tags({ ...eight, t8: "v" }),
      /config payments-data-platform:extraTags: got .*; has 9 tags: at most 8, because every resource also carries the 7 required tags \(environment, owner, cost-center, data-classification, pci-scope, component, managed-by\) and Azure Private DNS zones/,
    );
  });
  it("refuses names and values past Azure's lengths", () => {
    rejects(
      "dev",
      tags({ ["n".repeat(129)]: "v" }),
      /extraTags \(n+\): got "v"; the tag name has 129 characters: at most 128/,
    );
    rejects(
      "dev",
      tags({ project: "v".repeat(257) }),
      /extraTags \(project\): got "v+\.\.\.; the value has 257 characters: at most 256/,
    );
  });
  it("refuses each character Azure forbids in a tag name, and an empty name", () => {
    for (const ch of ["<", ">", "%", "&", "\\", "?", "/"])
      rejects(
        "dev",
        tags({ [`a${ch}b`]: "v" }),
        /extraTags \(a.b\): got "v"; the tag name contains .: Azure tag names can't contain any of < > % & \\ \? \//,
      );
    rejects("dev", tags({ "": "v" }), /config payments-data-platform:extraTags: got \{"":"v"\}; has an empty tag name/);
    accepts("dev", tags({ "cost-center-2": "v", "team.name": "x", "Business Unit": "y" }));
  });
  it("refuses a required tag's name in any case (Azure tag names are case-insensitive), and two names equal but for case", () => {
    rejects(
      "dev",
      tags({ Environment: "production" }),
      /extraTags \(Environment\): got "production"; is the required tag environment \(Azure tag names are case-insensitive\)/,
    );
    rejects("dev", tags({ owner: "me" }), /extraTags \(owner\): .*is the required tag owner/);
    rejects(
      "dev",
      tags({ Project: "a", project: "b" }),
      /extraTags \(project\): got "b"; is the same tag name as Project/,
    );
  });
});

describe("config rules: prod requirements", () => {
  it("enableFirewall must be true in prod (dev may go without)", () => {
    rejects(
      "prod",
      (raw) => (raw.enableFirewall = false),
      /config payments-data-platform:enableFirewall: got false; must be true in prod/,
    );
    assert.equal(parseConfig(rawOf("dev"), "dev").enableFirewall, false);
  });
  it("ingestion must be set in prod (its defaults are dev sizes); dev may leave it out", () => {
    rejects(
      "prod",
      (raw) => delete raw.ingestion,
      /config payments-data-platform:ingestion: got nothing \(the key is missing\); must be set in prod: .*set gateway\.minInstances and maxInstances/,
    );
    assert.equal(accepts("dev", (raw) => delete raw.ingestion).ingestion.gateway.minInstances, 0);
    assert.equal(parseConfig(rawOf("prod"), "prod").ingestion.gateway.minInstances, 3);
  });
  it("the streaming path's sizes and the ETL must be set in prod (dev's defaults would pass every prod rule)", () => {
    rejects(
      "prod",
      (raw) => delete raw.etl,
      /config payments-data-platform:etl: got nothing \(the key is missing\); must be set in prod: its defaults are dev sizes/,
    );
    for (const part of ["streamAnalytics", "relay", "freshnessMinutes"])
      rejects(
        "prod",
        (raw) => delete (raw.streaming as Record<string, unknown>)[part],
        new RegExp(
          `config payments-data-platform:streaming \\(${part}\\): got nothing \\(the key is missing\\); must be set in prod`,
        ),
      );
    assert.equal(accepts("dev", (raw) => delete raw.etl).etl.integrationRuntime !== undefined, true);
  });
  it("a rule that tests a default says the default was tested, not that nothing was", () => {
    rejects(
      "prod",
      (raw) => delete raw.ml,
      /ml \(endpoint\.instanceCount\): got 1 \(the default: the key is not set\); must be at least 3 in prod/,
    );
  });
});

describe("config rules: environment and stack name", () => {
  it("refuses an environment that differs from the stack name, whatever the stack is called", () => {
    rejects(
      "dev",
      () => undefined,
      /environment: got "dev"; must match the stack name 'prod2' \(stacks are named after their environment: dev, prod\)/,
      "prod2",
    );
    rejects("prod", () => undefined, /environment: got "prod"; must match the stack name 'prod-eu'/, "prod-eu");
    rejects("dev", () => undefined, /environment: got "dev"; must match the stack name 'prod'$/, "prod");
    assert.equal(parseConfig(rawOf("prod"), "prod").isProd, true);
  });
});

describe("config rules: alertWebhookUrl (a secret https URL)", () => {
  const url = "https://hooks.example.com/services/T000/B000/s3cr3t-token";
  it("accepts a secret https URL, refuses plain text and other schemes, never printing the value", () => {
    assert.deepEqual(alertWebhookProblems(url, true), []);
    assert.deepEqual(alertWebhookProblems(undefined, false), []);
    const plain = alertWebhookProblems(url, false);
    assert.deepEqual(plain, [
      `${K}:alertWebhookUrl: is stored in plain text; must be a secret (it carries the incident tool's credentials): pulumi config set --secret alertWebhookUrl https://...`,
    ]);
    for (const bad of ["http://hooks.example.com/s3cr3t-token", "hooks.example.com/s3cr3t-token", "https://"]) {
      const problems = alertWebhookProblems(bad, true);
      assert.deepEqual(problems, [
        `${K}:alertWebhookUrl: must be an https:// URL (the value is not shown: it is a secret)`,
      ]);
    }
    for (const text of [...plain, ...alertWebhookProblems("http://x/s3cr3t-token", false)])
      assert.doesNotMatch(text, /s3cr3t|hooks\.example/);
  });
  it("tells a secure value from a plain one as the engine hands them over (PULUMI_CONFIG_SECRET_KEYS)", () => {
    const saved = pulumi.runtime.allConfig();
    try {
      const key = `${PROJECT}:alertWebhookUrl`;
      pulumi.runtime.setAllConfig({ [key]: url }, [key]);
      assert.equal(configIsSecret(key), true);
      pulumi.runtime.setAllConfig({ [key]: url }, []);
      assert.equal(configIsSecret(key), false);
    } finally {
      pulumi.runtime.setAllConfig(saved, []);
    }
  });
  it("the offline preview refuses a plain-text webhook in the config check, without printing it", async function () {
    this.timeout(120_000);
    await assert.rejects(
      previewEdited("dev", (config) => {
        config[`${PROJECT}:alertWebhookUrl`] = "https://hooks.example.com/s3cr3t-token";
      }),
      (e: unknown) => {
        assert.ok(e instanceof Error && e.name === "ConfigError", String(e));
        assert.match(e.message, /alertWebhookUrl: is stored in plain text; must be a secret/);
        assert.doesNotMatch(e.message, /s3cr3t/);
        return true;
      },
    );
  });
});

describe("config rules: settings accepted and then ignored", () => {
  it("ddosProtectionMode ip needs enableDdosProtection", () => {
    rejects(
      "dev",
      (raw) => (raw.ddosProtectionMode = "ip"),
      /config payments-data-platform:ddosProtectionMode: got "ip"; has no effect while enableDdosProtection is false/,
    );
    accepts("dev", (raw) => ((raw.ddosProtectionMode = "ip"), (raw.enableDdosProtection = true)));
  });
  it("ddosProtectionPlanId joins a plan only under network protection, and must be a plan's id", () => {
    const PLAN =
      "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-hub/providers/Microsoft.Network/ddosProtectionPlans/ddos-hub";
    // prod protects per IP: the plan would do nothing.
    rejects(
      "prod",
      (raw) => (raw.ddosProtectionPlanId = PLAN),
      /config payments-data-platform:ddosProtectionPlanId: got "\/subscriptions\/[^"]*; joins the VNet to that plan only with enableDdosProtection true and ddosProtectionMode network \(now true and ip\)/,
    );
    // dev has no DDoS protection at all.
    rejects("dev", (raw) => (raw.ddosProtectionPlanId = PLAN), /\(now false and network\)/);
    rejects(
      "prod",
      (raw) => (
        (raw.ddosProtectionMode = "network"),
        (raw.ddosProtectionPlanId = PLAN.replace("ddosProtectionPlans", "virtualNetworks"))
      ),
      /ddosProtectionPlanId: .*must be a DDoS protection plan's resource id: \/subscriptions\/<id>\/resourceGroups\/<rg>\/providers\/Microsoft.Network\/ddosProtectionPlans\/<name>/,
    );
    accepts("prod", (raw) => ((raw.ddosProtectionMode = "network"), (raw.ddosProtectionPlanId = PLAN)));
  });
  it("operations.securityContact false needs operations.subscriptionGovernance", () => {
    rejects(
      "dev",
      (raw) => ((raw.operations as Record<string, unknown>).securityContact = false),
      /config payments-data-platform:operations \(securityContact\): got false; has no effect while operations\.subscriptionGovernance is false/,
    );
    accepts("prod", (raw) => ((raw.operations as Record<string, unknown>).securityContact = false));
  });
  it("sql.secondaryType needs sql.failoverGroup", () => {
    rejects(
      "dev",
      (raw) => (raw.sql = { ...raw.sql, secondaryType: "Geo" } as RawConfig["sql"]),
      /config payments-data-platform:sql \(secondaryType\): got "Geo"; applies only with failoverGroup true/,
    );
    assert.equal(parseConfig(rawOf("prod"), "prod").sql.secondaryType, "Standby");
  });
  it("ingestion.gateway.paymentApiDeploySources: alone (the endpoint restricted without merchant authentication) or with the authorities", () => {
    const gatewayOf = (raw: RawConfig) => (raw.ingestion as { gateway: Record<string, unknown> }).gateway;
    accepts("dev", (raw) => (gatewayOf(raw).paymentApiDeploySources = ["10.40.0.0/27"]));
    rejects(
      "dev",
      (raw) => (gatewayOf(raw).paymentApiDeploySources = ["10.40.0.300/27"]),
      /config payments-data-platform:ingestion \(gateway\.paymentApiDeploySources\.0\)/,
    );
    const pem = fs.readFileSync(path.join(__dirname, "fixtures/certs/merchant-ca.pem"), "utf8");
    accepts("dev", (raw) => {
      gatewayOf(raw).merchantCertificateAuthorities = [{ name: "merchant-ca", certificate: pem }];
      gatewayOf(raw).paymentApiDeploySources = ["10.40.0.0/27"];
    });
  });
});

describe("config rules: type errors list the allowed values", () => {
  it("a vCore count given as text", () => {
    rejects(
      "dev",
      (raw) => (raw.sql = { ...raw.sql, sku: { name: "GP_S_Gen5", capacity: "2" } } as unknown as RawConfig["sql"]),
      /sql \(sku\.capacity\): got "2"; must be a Gen5 vCore count \(a number\): 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 32, 40, 80$/,
    );
  });
  it("the freshness window and a Flex memory size given as text", () => {
    rejects(
      "dev",
      (raw) => (streamingOf(raw).freshnessMinutes = "60" as unknown as number),
      /streaming \(freshnessMinutes\): got "60"; must be one of 5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440 minutes/,
    );
    rejects(
      "dev",
      (raw) => ((raw.ingestion as { functions: { instanceMemoryMB: unknown } }).functions.instanceMemoryMB = "2048"),
      /ingestion \(functions\.instanceMemoryMB\): got "2048"; must be one of 512, 2048, 4096 MB$/,
    );
  });
  it("the cost tools name the key without an empty path for an unknown setting", () => {
    const dir = tempDir("cost-rules-");
    try {
      fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      const config = { ...(edited("dev", () => undefined) as Record<string, unknown>) };
      const stackConfig = Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT}:${k}`, v]));
      stackConfig["azure-native:location"] = "westeurope";
      stackConfig[`${PROJECT}:usage`] = { logIngestonGbPerDay: 1 };
      fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), stringify({ config: stackConfig }));
      assert.throws(
        () => stackAssumptions("dev", dir),
        (e: unknown) => {
          assert.match(String(e), /config payments-data-platform:usage: "logIngestonGbPerDay" is not a setting/);
          return true;
        },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("config rules: limits Azure sets, refused with the key named (a fuzz of both stack files found them)", () => {
  type Loose = Record<string, unknown>;
  const sqlOf = (raw: RawConfig) => raw.sql as Loose & { longTermRetention: Loose };
  it("the owner tag's value fits Azure's 256 characters", () => {
    rejects(
      "dev",
      (raw) => (raw.owner = "t".repeat(257)),
      /config payments-data-platform:owner: .*must be at most 256 characters/,
    );
    assert.equal(accepts("dev", (raw) => (raw.owner = "t".repeat(256))).owner.length, 256);
  });
  it("a Cosmos DB TTL is at most 2,147,483,647 seconds", () =>
    rejects(
      "dev",
      (raw) => (((raw.cosmos as Loose).containers as Record<string, Loose>).sessions.ttlSeconds = 3_000_000_000),
      /cosmos \(containers\.sessions\.ttlSeconds\): got 3000000000; must be at most 2147483647 seconds/,
    ));
  it("long-term retention is at most 10 years, in any unit", () => {
    for (const [key, value] of [
      ["yearly", "P11Y"],
      ["weekly", "P9999W"],
      ["monthly", "P121M"],
    ])
      rejects(
        "prod",
        (raw) => (sqlOf(raw).longTermRetention[key] = value),
        new RegExp(`sql \\(longTermRetention\\.${key}\\): got "${value}"; must be at most 10 years`),
      );
    for (const value of ["P10Y", "P120M", "P520W"])
      assert.equal(
        accepts("prod", (raw) => (sqlOf(raw).longTermRetention.yearly = value)).sql.longTermRetention?.yearly,
        value,
      );
  });
  it("long-term retention is at least 7 days, or 0 for none of a series (Azure's minimum)", () => {
    for (const [key, value] of [
      ["weekly", "P6D"],
      ["monthly", "P1D"],
      ["yearly", "P6D"],
    ])
      rejects(
        "prod",
        (raw) => (sqlOf(raw).longTermRetention[key] = value),
        new RegExp(`sql \\(longTermRetention\\.${key}\\): got "${value}"; must be at least 7 days`),
      );
    // Days are a unit Azure takes for the weekly series too (the cmdlet's example turns 14 into P14D).
    for (const value of ["P7D", "P10D", "P1W", "P0D"])
      assert.equal(
        accepts("prod", (raw) => (sqlOf(raw).longTermRetention.weekly = value)).sql.longTermRetention?.weekly,
        value,
      );
  });
  it("maxSizeGb fits the SKU's max data size, naming the SKU and the maximum (not only 1–4,096)", () => {
    // dev: GP_S_Gen5 with 2 vCores at most: 1,024 GB.
    rejects(
      "dev",
      (raw) => (sqlOf(raw).maxSizeGb = 1025),
      /sql \(maxSizeGb\): got 1025; must be at most 1024 GB with sku GP_S_Gen5 and capacity 2/,
    );
    assert.equal(accepts("dev", (raw) => (sqlOf(raw).maxSizeGb = 1024)).sql.maxSizeGb, 1024);
    // prod: BC_Gen5 with 8 vCores: 2,048 GB.
    rejects(
      "prod",
      (raw) => (sqlOf(raw).maxSizeGb = 3072),
      /sql \(maxSizeGb\): got 3072; must be at most 2048 GB with sku BC_Gen5 and capacity 8/,
    );
    assert.equal(accepts("prod", (raw) => (sqlOf(raw).maxSizeGb = 2048)).sql.maxSizeGb, 2048);
    // More vCores raise the limit: GP_S_Gen5 with 24 takes 4,096 GB (min vCores 3: an eighth of 24).
    assert.equal(
      accepts("dev", (raw) =>
        Object.assign(sqlOf(raw), { sku: { name: "GP_S_Gen5", capacity: 24 }, minCapacity: 3, maxSizeGb: 4096 }),
      ).sql.maxSizeGb,
      4096,
    );
  });
  it("the max data size table: Microsoft's values per SKU and vCores, one for every pair the config accepts", () => {
    const expected: [SqlSkuName, number, number][] = [
      ["GP_S_Gen5", 2, 1024],
      ["GP_S_Gen5", 6, 1024],
      ["GP_S_Gen5", 8, 2048],
      ["GP_S_Gen5", 12, 3072],
      ["GP_S_Gen5", 24, 4096],
      ["GP_Gen5", 6, 1536],
      ["GP_Gen5", 10, 2048],
      ["GP_Gen5", 20, 3072],
      ["BC_Gen5", 4, 1024],
      ["BC_Gen5", 8, 2048],
      ["BC_Gen5", 80, 4096],
      ["HS_Gen5", 2, 128 * 1024],
    ];
    for (const [sku, vcores, gb] of expected) assert.equal(sqlMaxDataSizeGb(sku, vcores), gb, `${sku}_${vcores}`);
    for (const sku of SQL_SKUS)
      for (const vcores of SQL_VCORES) assert.ok(sqlMaxDataSizeGb(sku, vcores) !== undefined, `${sku}_${vcores}`);
    assert.equal(sqlMaxDataSizeGb("GP_Gen5", 3), undefined);
  });
  it("a budget is a whole amount (its ARM schema's integer)", () =>
    rejects(
      "prod",
      (raw) => (((raw.operations as Loose).budget as Loose).amount = 1000.5),
      /operations \(budget\.amount\): got 1000\.5; must be a whole amount/,
    ));
  it("an address space is written as Azure receives it: no spaces, no leading zeros", () => {
    for (const value of [" 10.20.0.0/16 ", "010.20.0.0/16"])
      rejects(
        "dev",
        (raw) => (raw.vnetAddressSpace = value),
        /vnetAddressSpace: .*written plainly, e\.g\. 10\.20\.0\.0\/16/,
      );
  });
  it("the private endpoints' subnet holds them all: a /26 or larger", () => {
    // The carved plan (tests/config.spec.ts), with the endpoints' subnet narrowed.
    const plan = (privateEndpoints: string) => ({ ...CARVED_DEV_SUBNETS, privateEndpoints });
    for (const small of ["10.20.0.0/28", "10.20.0.0/27"])
      rejects(
        "dev",
        (raw) => (raw.subnets = plan(small)),
        new RegExp(`subnets \\(privateEndpoints\\): got "${small.replace(/[./]/g, "\\$&")}"; must be a /26 or larger`),
      );
    assert.equal(
      accepts("dev", (raw) => (raw.subnets = plan("10.20.0.0/26"))).subnets.privateEndpoints,
      "10.20.0.0/26",
    );
  });
  /** prod with dev's carved plan (prod's own address space is 10.30.0.0/16), some roles given other ranges. */
  const carvedInProd = (ranges: Partial<Record<keyof typeof CARVED_DEV_SUBNETS, string>>) => (raw: RawConfig) => {
    raw.vnetAddressSpace = "10.20.0.0/16";
    raw.subnets = { ...CARVED_DEV_SUBNETS, ...ranges };
  };
  it("the gateway's subnet holds its autoscale maximum, one address an instance besides Azure's five", () => {
    const plan = (appGateway: string) => ({ ...CARVED_DEV_SUBNETS, appGateway });
    const inProd = (appGateway: string) => carvedInProd({ appGateway });
    // prod scales to 125 instances: a /25 has 123 addresses for them, a /24 251.
    rejects(
      "prod",
      inProd("10.20.2.0/25"),
      /subnets \(appGateway\): got "10\.20\.2\.0\/25"; must be a \/24 or larger with ingestion\.gateway\.maxInstances 125: the gateway takes an address per instance up to its maximum, besides the five Azure reserves, and a \/25 has 123 \(Azure refuses the gateway\); Microsoft recommends a \/24/,
    );
    assert.equal(accepts("prod", inProd("10.20.2.0/24")).subnets.appGateway, "10.20.2.0/24");
    // dev's maximum is 2: a /29 (3 addresses) holds it, and a maximum of 3 exactly; a lower maximum in prod would too.
    const sized = (appGateway: string, maxInstances?: number) => (raw: RawConfig) => {
      raw.subnets = plan(appGateway);
      if (maxInstances !== undefined) ((raw.ingestion as Loose).gateway as Loose).maxInstances = maxInstances;
    };
    assert.equal(accepts("dev", sized("10.20.2.0/29")).subnets.appGateway, "10.20.2.0/29");
    assert.equal(accepts("dev", sized("10.20.2.0/29", 3)).ingestion.gateway.maxInstances, 3);
    // The error names the smallest range that holds the maximum: a /28 for 4, a /25 for 60 (65 addresses), not the
    // /24 Microsoft recommends.
    rejects(
      "dev",
      sized("10.20.2.0/29", 4),
      /subnets \(appGateway\): .*must be a \/28 or larger with ingestion\.gateway\.maxInstances 4: .*a \/29 has 3/,
    );
    rejects(
      "dev",
      sized("10.20.2.0/26", 60),
      /subnets \(appGateway\): .*must be a \/25 or larger with ingestion\.gateway\.maxInstances 60: .*a \/26 has 59/,
    );
  });
  it("the Flex apps' integration subnet is a /27 or larger (Flex Consumption's minimum), a /26 in prod (several apps)", () => {
    const plan = (flexFunctions: string) => ({ ...CARVED_DEV_SUBNETS, flexFunctions });
    rejects(
      "dev",
      (raw) => (raw.subnets = plan("10.20.5.0/28")),
      /subnets \(flexFunctions\): got "10\.20\.5\.0\/28"; must be a \/27 or larger \(Flex Consumption's minimum: its apps' outbound traffic uses up to 27 shared gateways, one address each\); Microsoft recommends a \/26 for several apps/,
    );
    assert.equal(accepts("dev", (raw) => (raw.subnets = plan("10.20.5.0/27"))).subnets.flexFunctions, "10.20.5.0/27");
    // prod, held to the target load, takes the /26 Microsoft recommends for several apps.
    const inProd = (flexFunctions: string) => carvedInProd({ flexFunctions });
    rejects(
      "prod",
      inProd("10.20.5.0/27"),
      /subnets \(flexFunctions\): got "10\.20\.5\.0\/27"; must be a \/26 or larger in prod: the payment API, the fraud scorer and the relay share it/,
    );
    assert.equal(accepts("prod", inProd("10.20.5.0/26")).subnets.flexFunctions, "10.20.5.0/26");
  });
  it("a malformed resumeAt gets its own message, not a second one comparing it with pauseAt", () => {
    let message = "";
    try {
      parseConfig(
        edited("dev", (raw) => withSchedule(raw, (s) => (s.resumeAt = "7:00"))),
        "dev",
      );
    } catch (e) {
      message = String(e);
    }
    assert.match(message, /pauseSchedule\.resumeAt\): got "7:00"; must be a 24-hour time HH:MM/);
    assert.doesNotMatch(message, /must be later in the day than resumeAt/);
  });
});
