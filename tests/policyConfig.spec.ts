/**
 * Policy pack config files read as the CLI reads them (pulumi/pulumi pkg/resource/analyzer/config.go
 * `parsePolicyPackConfig`, `ReconcilePolicyPackConfig`, `validatePolicyConfig`): empty files, `environments`,
 * entries that are neither a level nor an object, and settings checked against each policy's whole JSON schema.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../policies/policies";
import { wafRuleSet } from "../policies/rules/network";
import { requireProtect } from "../policies/rules/protection";
import { lifecycleDeleteBeforeRetention } from "../policies/rules/storageLifecycle";
import {
  parsePolicyPackConfig,
  PolicyConfigError,
  policySettingProblems,
  resolvePolicies,
  resourceRecord,
  runPolicies,
  type PackConfig,
} from "../tools/lib/policyRunner";
import { readPolicyConfig } from "../tools/lib/preview";
import { tempDir } from "./helpers/tmp";

const refused = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof PolicyConfigError && pattern.test(e.message));

describe("policy pack config (the CLI's parsePolicyPackConfig and validatePolicyConfig)", () => {
  it("takes an empty file as no config, as the CLI does", () => {
    const file = path.join(tempDir("policy-config-"), "empty.json");
    fs.writeFileSync(file, "  \n");
    assert.deepEqual(readPolicyConfig(file), {});
  });

  it("takes a JSON null as no config, as the CLI's nil map", () => assert.deepEqual(parsePolicyPackConfig(null), {}));

  it("refuses an entry that is neither an enforcement level nor an object", () => {
    refused(
      () => parsePolicyPackConfig({ all: 3 }),
      /parsing "all": 3 is not a valid value; must be a string or object/,
    );
    refused(() => parsePolicyPackConfig({ all: null }), /parsing "all": <nil> is not a valid value/);
    refused(() => parsePolicyPackConfig({ all: ["mandatory"] }), /must be a string or object/);
  });

  it("reads `environments` as the CLI does, and refuses ESC environments it cannot open offline", () => {
    assert.deepEqual(parsePolicyPackConfig({ environments: [], all: "advisory" }), { all: "advisory" });
    refused(
      () => parsePolicyPackConfig({ environments: "payments/dev" }),
      /"environments" must be an array of strings/,
    );
    refused(() => parsePolicyPackConfig({ environments: [1] }), /"environments\[0\]" must be a string/);
    refused(() => parsePolicyPackConfig({ environments: ["payments/dev"] }), /cannot open/);
  });

  it("checks a policy's settings against its whole JSON schema (nested values included)", () => {
    const bad = { [wafRuleSet.name]: { minimumVersions: { OWASP: 3.2 } } } as unknown as PackConfig;
    refused(
      () => resolvePolicies(policies, bad),
      new RegExp(`${wafRuleSet.name}\\.minimumVersions\\.OWASP must be string`),
    );
    const good = { [wafRuleSet.name]: { minimumVersions: { OWASP: "3.2" } } } as PackConfig;
    const resolved = resolvePolicies(policies, good).find((r) => r.policy.name === wafRuleSet.name);
    assert.deepEqual((resolved?.config as { minimumVersions: unknown }).minimumVersions, { OWASP: "3.2" });
  });

  it("names the settings a policy takes, and the one a misspelt setting meant", () => {
    const typo = { [requireProtect.name]: { protectedStack: ["prod"] } } as unknown as PackConfig;
    const allowed = Object.keys(requireProtect.configSchema?.properties ?? {});
    assert.ok(allowed.includes("protectedStacks") && allowed.length > 1, allowed.join(", "));
    refused(
      () => resolvePolicies(policies, typo),
      new RegExp(
        `'${requireProtect.name}' has no setting 'protectedStack' \\(allowed: enforcementLevel, ${allowed.join(", ")}; did you mean 'protectedStacks'\\?\\)`,
      ),
    );
    const far = { [requireProtect.name]: { zzz: 1 } } as unknown as PackConfig;
    refused(() => resolvePolicies(policies, far), /has no setting 'zzz' \(allowed: [^;)]*\)$/);
    // A misspelt level is a setting too.
    const level = { [requireProtect.name]: { enforcmentLevel: "advisory" } } as unknown as PackConfig;
    refused(
      () => resolvePolicies(policies, level),
      /has no setting 'enforcmentLevel' \(allowed: enforcementLevel, .*; did you mean 'enforcementLevel'\?\)$/,
    );
    // Never the opposite knob: a cap the rule does not have is not its floor.
    const cap = { [lifecycleDeleteBeforeRetention.name]: { maxRetentionDays: 400 } } as unknown as PackConfig;
    refused(
      () => resolvePolicies(policies, cap),
      /has no setting 'maxRetentionDays' \(allowed: [^;)]*minRetentionDays[^;)]*\)$/,
    );
  });

  it("lets the location rules' allowedLocations narrow the EU regions, never add another (GDPR 44)", () => {
    for (const name of [
      "azure-native-general-resource-enforce-eu-location",
      "azure-native-resources-deployment-disallow-unchecked-resource-types",
      "azure-native-cosmosdb-databaseaccount-enforce-eu-locations",
    ]) {
      assert.ok(
        policies.some((p) => p.name === name),
        name,
      );
      refused(
        () => resolvePolicies(policies, { [name]: { allowedLocations: ["westeurope", "eastus"] } } as PackConfig),
        new RegExp(`${name}\\.allowedLocations\\[1\\] must be one of "westeurope"`),
      );
      assert.ok(
        resolvePolicies(policies, { [name]: { allowedLocations: ["westeurope"] } } as PackConfig).some(
          (r) => r.policy.name === name,
        ),
      );
    }
  });

  it("each stack's policy config allows the same regions to resources, templates and Cosmos DB replicas", () => {
    for (const stack of ["dev", "prod"]) {
      const config = JSON.parse(
        fs.readFileSync(path.join(__dirname, "..", "policies", "config", `${stack}.json`), "utf8"),
      ) as Record<string, { allowedLocations?: string[] }>;
      const general = config["azure-native-general-resource-enforce-eu-location"]?.allowedLocations;
      assert.ok(general && general.length > 0, stack);
      for (const name of [
        "azure-native-resources-deployment-disallow-unchecked-resource-types",
        "azure-native-cosmosdb-databaseaccount-enforce-eu-locations",
      ])
        assert.deepEqual(config[name]?.allowedLocations, general, `${stack}: ${name}`);
    }
  });

  describe("enforcement levels", () => {
    const levelOf = (config: PackConfig, name = requireProtect.name) =>
      resolvePolicies(policies, config).find((r) => r.policy.name === name)?.level;
    const unprotectedSql = resourceRecord("azure-native:sql:Server", "sql-pay-prod-weu", {}, { stack: "prod" });

    it("runs `remediate` as mandatory (the offline tools cannot remediate)", () =>
      assert.equal(levelOf({ [requireProtect.name]: "remediate" }), "mandatory"));
    it("lets a policy's own level override `all`", () => {
      const config = { all: "advisory", [requireProtect.name]: "mandatory" } as PackConfig;
      assert.equal(levelOf(config), "mandatory");
      assert.equal(levelOf(config, wafRuleSet.name), "advisory");
    });
    it("reports nothing for a disabled policy and does not count it as evaluated", async () => {
      const verdict = await runPolicies([requireProtect], [unprotectedSql], {
        config: { [requireProtect.name]: "disabled" },
      });
      assert.deepEqual(verdict.violations, []);
      assert.equal(requireProtect.name in verdict.evaluated, false);
    });
    it("refuses a misspelt level, naming the allowed ones", () =>
      refused(
        () => resolvePolicies(policies, { [requireProtect.name]: "mandtory" } as unknown as PackConfig),
        new RegExp(
          `'${requireProtect.name}' enforcementLevel "mandtory" is not one of advisory, mandatory, remediate, disabled`,
        ),
      ));
  });

  it("every policy's defaults pass its own schema (what the CLI validates when a file sets nothing)", () => {
    for (const policy of policies) {
      const defaults = Object.fromEntries(
        Object.entries(policy.configSchema?.properties ?? {})
          .filter(([, s]) => s.default !== undefined)
          .map(([k, s]) => [k, s.default]),
      );
      assert.deepEqual(policySettingProblems(policy, defaults), [], policy.name);
    }
  });
});
