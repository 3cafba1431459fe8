/**
 * Edges of the offline preview's pull-request gate (tools/lib): what a user relies on when the preview says "pass".
 * A mandatory finding must fail the gate whoever reports it and however its level was written; a rule that checked
 * nothing or was switched off is never reported as passed; secrets never reach a report; the stack config is read as
 * the Pulumi CLI reads it; a first-deploy hazard is neither missed nor invented; a request body without a schema
 * fails the check; errors exit 2 under their own kind.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../policies/policies";
import { requireProtect } from "../policies/rules/protection";
import { checkSchemas } from "../tools/lib/armSchema/check";
import { SchemaStore } from "../tools/lib/armSchema/store";
import { checkGroups, checkShare } from "../tools/lib/deployedView";
import {
  environmentProblem,
  intOption,
  missingOption,
  parseArgs,
  sameStackExports,
  UsageError,
  writeOrCheck,
} from "../tools/lib/cli";
import { scrub, SECRET_SIG, SECRET_SIG_VALUE, UNKNOWN } from "../tools/lib/engine";
import { firstDeployHazards } from "../tools/lib/hazards";
import {
  mandatoryViolations,
  PolicyConfigError,
  ownCheckSuffices,
  policySettingProblems,
  resolvePolicies,
  resourceRecord,
  runPolicies,
  type PackConfig,
  type ResourceRecord,
  type Verdict,
} from "../tools/lib/policyRunner";
import { analyzeExport, fromStackExport, previewExitCode, previewStack, readExportFile } from "../tools/lib/preview";
import { formatVerdict, ruleStatus, verdictJson, verdictMarkdown } from "../tools/lib/report";
import { loadStackConfig, secretPlaceholder, StackConfigError } from "../tools/lib/stackConfig";
import { tempDir } from "./helpers/tmp";

const ROOT = path.resolve(__dirname, "..");
const TS_RUN = path.join(ROOT, "scripts", "ts-run.cjs");

const refused = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof PolicyConfigError && pattern.test(e.message));

const unprotectedSql = () => resourceRecord("azure-native:sql:Server", "sql-pay-prod-weu", {}, { stack: "prod" });

describe("tools edges: work a preview's two threads do once, not twice", () => {
  it("a config the caller validated skips only the full JSON Schema pass (Ajv), never the per-setting checks", () => {
    // A setting only Ajv refuses (a maxLength): caught without the flag, left to the caller with it.
    const p = {
      name: "test-max-length-knob",
      description: "d",
      enforcementLevel: "advisory",
      configSchema: { properties: { code: { type: "string", maxLength: 3 } } },
      validateResource: () => undefined,
    } as unknown as ResourceValidationPolicy;
    assert.throws(
      () => resolvePolicies([p], { [p.name]: { code: "abcd" } }),
      /code must NOT have more than 3 characters/,
    );
    assert.doesNotThrow(() => resolvePolicies([p], { [p.name]: { code: "abcd" } }, "advisory", true));
    // A type the per-setting check refuses still fails with the flag.
    assert.throws(() => resolvePolicies([p], { [p.name]: { code: 7 } }, "advisory", true), /must be string/);
  });

  it("the runner's own settings check decides every schema of the pack exactly as Ajv does, so Ajv loads only for others", () => {
    const TOKEN = "azure-native:storage:StorageAccount";
    // Values around each setting's constraints; the two verdicts (pass or refuse) must agree on every one.
    const samples = (schema: Record<string, unknown>): unknown[] => {
      const out: unknown[] = [7, 7.5, -1, "x", "", true, null, [], {}, ["a"], [{}], schema.default];
      for (const bound of [schema.minimum, schema.maximum])
        if (typeof bound === "number") out.push(bound - 1, bound, bound + 1);
      if (typeof schema.minLength === "number")
        out.push("a".repeat(schema.minLength - 1), "a".repeat(schema.minLength), "😀".repeat(schema.minLength));
      for (const e of (schema.enum as unknown[] | undefined) ?? []) out.push(e);
      // The pack's only pattern is an exemption's type token: values that match it and values that do not.
      if (typeof schema.pattern === "string")
        out.push(TOKEN, "azure-native_storage_v20230101:storage:StorageAccount", "StorageAccount", "a:b", "a:b:c:d");
      out.push("not-one-of-them");
      const items = schema.items as Record<string, unknown> | undefined;
      if (items) {
        out.push(...samples(items).map((v) => [v]));
        const props = Object.keys((items.properties as object | undefined) ?? {});
        const itemProps = (items.properties as Record<string, { pattern?: string }> | undefined) ?? {};
        const full = Object.fromEntries(
          props.map((k) => [k, itemProps[k]?.pattern === undefined ? "a reason long enough" : TOKEN]),
        );
        out.push(
          [full],
          [{ ...full, extra: 1 }],
          [Object.fromEntries(props.slice(1).map((k) => [k, "long enough text"]))],
        );
      }
      return out;
    };
    let compared = 0;
    for (const policy of policies) {
      assert.ok(
        ownCheckSuffices(policy.configSchema),
        `${policy.name}: a keyword the runner's own check does not implement`,
      );
      for (const [knob, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
        for (const value of samples(schema as Record<string, unknown>)) {
          let own = true;
          try {
            resolvePolicies([policy], { [policy.name]: { [knob]: value } as PackConfig[string] }, "advisory", true);
          } catch {
            own = false;
          }
          const defaults = Object.fromEntries(
            Object.entries(policy.configSchema?.properties ?? {})
              .filter(([, sch]) => (sch as { default?: unknown }).default !== undefined)
              .map(([k, sch]) => [k, (sch as { default?: unknown }).default]),
          );
          const ajv = policySettingProblems(policy, { ...defaults, [knob]: value }).length === 0;
          assert.equal(own, ajv, `${policy.name}.${knob} = ${JSON.stringify(value)}: own ${own}, Ajv ${ajv}`);
          compared += 1;
        }
      }
    }
    assert.ok(compared > 1000, String(compared));
    // A keyword the own check lacks (a maxLength) sends the policy through Ajv; a pattern it decides itself.
    assert.equal(ownCheckSuffices({ properties: { code: { type: "string", maxLength: 3 } } }), false);
    assert.equal(ownCheckSuffices({ properties: { code: { type: "string", pattern: "^[A-Z]+$" } } }), true);
  });

  it("a thread's share of the schema check lists the validator cache once, after all its groups, and only when it wrote to it", () => {
    const trim = SchemaStore.prototype.trimCache;
    let calls = 0;
    SchemaStore.prototype.trimCache = function (this: SchemaStore, ...a: Parameters<typeof trim>) {
      calls += 1;
      return trim.apply(this, a);
    };
    try {
      const rg = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers";
      const records = [
        resourceRecord(
          "azure-native:keyvault:Vault",
          "kv",
          {
            vaultName: "kv-a",
            resourceGroupName: "rg",
            location: "westeurope",
            properties: { tenantId: "t", sku: { name: "standard", family: "A" } },
          },
          { id: `${rg}/Microsoft.KeyVault/vaults/kv-a` },
        ),
        resourceRecord(
          "azure-native:storage:StorageAccount",
          "st",
          {
            accountName: "sta",
            resourceGroupName: "rg",
            location: "westeurope",
            kind: "StorageV2",
            sku: { name: "Standard_ZRS" },
            // Inputs no earlier run checked, so that this share records its result.
            tags: { run: `${process.pid}-${process.hrtime.bigint()}` },
          },
          { id: `${rg}/Microsoft.Storage/storageAccounts/sta` },
        ),
      ];
      const groups = checkGroups(records);
      assert.equal(groups.length, 2);
      checkShare(groups, new SharedArrayBuffer(4));
      assert.equal(calls, 1);
      // Again: every result is recorded now, nothing is written, and the cache is not listed.
      checkShare(groups, new SharedArrayBuffer(4));
      assert.equal(calls, 1);
      // A share that took no group (the other thread took them all) does not list it either.
      const taken = new SharedArrayBuffer(4);
      new Int32Array(taken)[0] = groups.length;
      assert.deepEqual(checkShare(groups, taken), []);
      assert.equal(calls, 1);
      // A whole check (the one-thread preview's) likewise: listed after it records a new result, not when all were kept.
      checkSchemas(records);
      assert.equal(calls, 1);
      const changed = records.map((r) => ({ ...r, inputs: { ...r.inputs, tags: { run: `${Date.now()}-again` } } }));
      checkSchemas(changed);
      assert.equal(calls, 2);
    } finally {
      SchemaStore.prototype.trimCache = trim;
    }
  });
});

describe("tools edges: the policy runner never lets a mandatory finding through", () => {
  it("fails the gate on a mandatory stack-policy violation that names no resource", async () => {
    const wholeStack: StackValidationPolicy = {
      name: "edge-stack-rule",
      description: "A stack rule whose finding is about the stack as a whole.",
      enforcementLevel: "mandatory",
      validateStack: (_args, reportViolation) => reportViolation("the stack as a whole is non-compliant"),
    };
    const verdict = await runPolicies([wholeStack], [unprotectedSql()], { stack: "prod" });
    assert.deepEqual(
      verdict.violations.map((v) => [v.enforcementLevel, v.urn]),
      [["mandatory", undefined]],
    );
    assert.equal(mandatoryViolations(verdict).length, 1);
    assert.equal(previewExitCode(verdict, { errors: [] }, []), 1);
    assert.equal(ruleStatus(verdict, wholeStack.name), "failed");
  });

  it("reports a mandatory rule's finding at its level, and the gate fails on it", async () => {
    const verdict = await runPolicies([requireProtect], [unprotectedSql()], { stack: "prod" });
    assert.ok(verdict.violations.length > 0, "an unprotected prod SQL server is a finding");
    assert.ok(verdict.violations.every((v) => v.enforcementLevel === "mandatory"));
    assert.equal(previewExitCode(verdict, { errors: [] }, []), 1);
  });

  it("refuses a misspelt level written in the object form, which would otherwise drop the rule out of the gate", () => {
    refused(
      () =>
        resolvePolicies(policies, { [requireProtect.name]: { enforcementLevel: "mandtory" } } as unknown as PackConfig),
      new RegExp(`'${requireProtect.name}' enforcementLevel "mandtory" is not one of`),
    );
  });

  it("applies `all` written in the object form, as the CLI does", async () => {
    const config = { all: { enforcementLevel: "disabled" } } as PackConfig;
    assert.ok(resolvePolicies(policies, config).every((r) => r.level === "disabled"));
    const verdict = await runPolicies([requireProtect], [unprotectedSql()], { config });
    assert.deepEqual(verdict.violations, []);
    assert.equal(ruleStatus(verdict, requireProtect.name), "disabled");
  });

  it("refuses a config entry naming a policy the pack does not have (README: exit 2, not ignored)", () =>
    refused(
      () => resolvePolicies(policies, { "azure-native-no-such-rule": "mandatory" } as PackConfig),
      /unknown policy 'azure-native-no-such-rule' \(not in the pack\)/,
    ));

  it("names the pack's policy a misspelt config entry was probably meant to be", () =>
    refused(
      () =>
        resolvePolicies(policies, { "azure-native-general-resource-enforce-eu-locaton": "mandatory" } as PackConfig),
      /unknown policy 'azure-native-general-resource-enforce-eu-locaton' \(not in the pack; did you mean 'azure-native-general-resource-enforce-eu-location'\?\)/,
    ));

  it("refuses a config that leaves a required setting without a value, even when the file sets nothing", () => {
    const needsThreshold: ResourceValidationPolicy = {
      name: "edge-needs-threshold",
      description: "A rule with a required setting and no default.",
      enforcementLevel: "mandatory",
      configSchema: { properties: { threshold: { type: "number" } }, required: ["threshold"] },
      validateResource: () => undefined,
    };
    refused(() => resolvePolicies([needsThreshold], {}), /'edge-needs-threshold' requires 'threshold'/);
  });
});

describe("tools edges: the reports state what the gate decided", () => {
  const policy = (name: string, enforcementLevel: "mandatory" | "disabled" = "mandatory") => ({
    name,
    description: `${name}.`,
    kind: "resource" as const,
    enforcementLevel,
    severity: "high" as const,
    tags: ["pci-dss:1.3.1"],
  });
  const verdict: Verdict = {
    stack: "dev",
    resourceCount: 2,
    policies: [policy("rule-mixed"), policy("rule-off", "disabled")],
    violations: [
      { policy: "rule-mixed", enforcementLevel: "advisory", urn: "urn:pulumi:dev::p::t::a", message: "undecided" },
      { policy: "rule-mixed", enforcementLevel: "mandatory", urn: "urn:pulumi:dev::p::t::b", message: "bad" },
    ],
    exemptions: [],
    evaluated: { "rule-mixed": 2 },
  };

  it("shows a rule with any mandatory finding as mandatory, whatever its first finding's level", () => {
    assert.match(formatVerdict(verdict, "pack@v1"), /- \[mandatory\] rule-mixed \(1 mandatory, 1 advisory\)/);
  });

  it("counts only mandatory findings as mandatory in the JSON summary", () => {
    const json = verdictJson(verdict);
    assert.equal(json.summary.mandatory, 1);
    assert.equal(json.summary.advisory, 1);
  });

  it("reports a disabled rule as disabled, neither passed nor not applicable", () => {
    assert.equal(ruleStatus(verdict, "rule-off"), "disabled");
    const json = verdictJson(verdict);
    assert.equal(json.policies.find((p) => p.name === "rule-off")?.status, "disabled");
    assert.equal(json.summary.rules.disabled, 1);
    assert.equal(json.summary.rules["not applicable"], 0);
    assert.match(verdictMarkdown(verdict, "pack@v1"), /^\| `rule-off` \| high \| 1\.3\.1 \| ⏸ disabled \|$/m);
  });

  it("marks the Markdown verdict failed when the schema check failed, with no mandatory violation", () => {
    const clean: Verdict = { ...verdict, violations: [] };
    const schema = {
      resources: [],
      files: [],
      errors: [
        {
          urn: "urn:pulumi:dev::p::azure-native:keyvault:Vault::kv",
          resource: "kv",
          armType: "Microsoft.KeyVault/vaults@2024-11-01",
          kind: "schema" as const,
          path: "properties.sku.name",
          message: "must be one of 'standard', 'premium'",
        },
      ],
    };
    assert.match(verdictMarkdown(clean, "pack@v1", schema), /^## Policy verdict: dev ❌$/m);
    assert.match(verdictMarkdown(clean, "pack@v1"), /^## Policy verdict: dev ✅$/m);
    assert.equal(previewExitCode(clean, schema, []), 1);
  });
});

describe("tools edges: secrets never reach a report", () => {
  it("masks a secret of four characters, the shortest the scrubber masks", () => {
    assert.deepEqual(scrub({ message: "pin is 4821" }, new Set(["4821"])), { message: "pin is [secret]" });
  });

  it("masks a secret used as a map key (a tag name), not only values", () => {
    assert.deepEqual(scrub({ tags: { "s3cr3t-key": "v" } }, new Set(["s3cr3t-key"])), { tags: { "[secret]": "v" } });
  });

  it("runs a rule without a level of its own at @pulumi/policy's default pack level, advisory", async () => {
    const levelless: ResourceValidationPolicy = {
      name: "edge-levelless-rule",
      description: "A rule that declares no enforcement level.",
      validateResource: (_args, reportViolation) => reportViolation("found"),
    };
    const verdict = await runPolicies([levelless], [unprotectedSql()], { stack: "prod" });
    assert.deepEqual(
      verdict.violations.map((v) => v.enforcementLevel),
      ["advisory"],
    );
    const asPack = await runPolicies([levelless], [unprotectedSql()], {
      stack: "prod",
      packEnforcementLevel: "mandatory",
    });
    assert.deepEqual(
      asPack.violations.map((v) => v.enforcementLevel),
      ["mandatory"],
    );
  });

  it("masks the whole of a secret that contains a shorter one", () => {
    const out = scrub({ message: "key=abcd-efgh-ijkl" }, new Set(["abcd", "abcd-efgh-ijkl"]));
    assert.equal(out.message, "key=[secret]");
  });

  describe("policy:analyze reads a `pulumi stack export`'s secrets as the CLI's analyzer receives them", () => {
    const RULE = "azure-native-web-webappapplicationsettings-disallow-secrets";
    const CONNECTION =
      "DefaultEndpointsProtocol=https;AccountName=st1;AccountKey=abc123==;EndpointSuffix=core.windows.net";
    const REFERENCE = "@Microsoft.KeyVault(SecretUri=https://kv1.vault.azure.net/secrets/api-key/)";
    const envelope = (o: Record<string, unknown>) => ({ [SECRET_SIG]: SECRET_SIG_VALUE, ...o });
    const exportWith = (storage: unknown, apiKey: unknown, extra: Record<string, unknown> = {}) => ({
      version: 3,
      deployment: {
        manifest: { time: "", magic: "", version: "" },
        resources: [
          {
            urn: "urn:pulumi:prod::payments-data-platform::azure-native:web:WebAppApplicationSettings::app-settings",
            type: "azure-native:web:WebAppApplicationSettings",
            custom: true,
            id: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Web/sites/app1/config/appsettings",
            inputs: {
              name: "app1",
              resourceGroupName: "rg",
              properties: { AzureWebJobsStorage: storage, API_KEY: apiKey },
              ...extra,
            },
            outputs: { properties: { AzureWebJobsStorage: storage, API_KEY: apiKey } },
            // As the program registers the function apps' settings (components/shared/functionApp.ts).
            additionalSecretOutputs: ["properties"],
          },
        ],
      },
    });
    const findings = async (doc: unknown) => {
      const { verdict, reading } = await analyzeExport(doc, { stack: "prod", policyConfig: {} });
      return {
        violations: verdict.violations
          .filter((v) => v.policy === RULE)
          .map((v) => `${v.enforcementLevel}: ${v.message.split("\n")[0]}`),
        encrypted: reading.encryptedSecrets,
      };
    };

    it("with --show-secrets: the plaintext is the JSON text of the value (deployment.go), the verdict the CLI's", async () => {
      // What the analyzer receives under the CLI: the secrets unwrapped (pulumi-policy deserialize.ts).
      const cli = await findings(exportWith(CONNECTION, REFERENCE));
      assert.equal(cli.violations.length, 1);
      assert.match(cli.violations[0], /^mandatory: .*AzureWebJobsStorage/);
      assert.doesNotMatch(cli.violations[0], /API_KEY/, "a Key Vault reference is allowed");
      const shown = await findings(
        exportWith(
          envelope({ plaintext: JSON.stringify(CONNECTION) }),
          envelope({ plaintext: JSON.stringify(REFERENCE) }),
        ),
      );
      assert.deepEqual(shown, cli);
      // Secrets the export shows stay out of the verdict (its reports reach job summaries), as the preview's own do.
      const located = exportWith(envelope({ plaintext: JSON.stringify(CONNECTION) }), REFERENCE, {
        location: envelope({ plaintext: JSON.stringify("westus2-secret") }),
      });
      const { verdict } = await analyzeExport(located, { stack: "prod", policyConfig: {} });
      const text = JSON.stringify(verdict);
      assert.ok(text.includes("[secret]"), "a rule quoting the location quotes it masked");
      assert.ok(!text.includes("westus2-secret") && !text.includes("abc123=="), text);
      // A secret object is its object, not its JSON text.
      const [r] = fromStackExport(
        exportWith(CONNECTION, REFERENCE, { siteConfig: envelope({ plaintext: JSON.stringify({ a: [1, "b"] }) }) }),
      );
      assert.deepEqual(r.inputs.siteConfig, { a: [1, "b"] });
    });

    it("masks a secret object's values, never its keys (the verdict's own words stay readable)", async () => {
      const receivers = [
        { name: "incident-webhook", serviceUri: "https://hooks.example.com/T0KEN", useCommonAlertSchema: true },
      ];
      const { verdict, reading } = await analyzeExport(
        exportWith(CONNECTION, REFERENCE, { webhookReceivers: envelope({ plaintext: JSON.stringify(receivers) }) }),
        { stack: "prod", policyConfig: {} },
      );
      assert.ok(reading.plaintexts.has("https://hooks.example.com/T0KEN"));
      for (const key of ["name", "serviceUri", "useCommonAlertSchema"]) assert.ok(!reading.plaintexts.has(key), key);
      const text = JSON.stringify(verdict);
      assert.ok(!text.includes("T0KEN"));
      // A key of the secret object ("name") is an ordinary word of every rule's text: it stays.
      assert.ok(!/property \[secret\]|\[secret\]s\b/.test(text), "no word of a message is masked for a key");
    });

    it("encrypted only: the value is unknown (the rules reading it cannot decide), never `[secret]` or the ciphertext", async () => {
      const cipher = await findings(
        exportWith(envelope({ ciphertext: "v1:AAAA" }), envelope({ ciphertext: "v1:BBBB" })),
      );
      assert.equal(cipher.encrypted, 4);
      assert.deepEqual(
        cipher.violations.map((v) => v.split(":")[0]),
        ["advisory"],
        "a made-up `[secret]` would fail the Key Vault reference (and pass a key)",
      );
      assert.match(cipher.violations[0], /can't run policy .* during preview/);
      const [r] = fromStackExport(exportWith(envelope({ ciphertext: "v1:AAAA" }), "x"));
      assert.equal((r.inputs.properties as Record<string, unknown>).AzureWebJobsStorage, UNKNOWN);
    });

    it("the command warns how many secrets are encrypted, and how to get the CLI's verdict", async function () {
      this.timeout(60_000);
      const file = path.join(tempDir("analyze-secrets-"), "export.json");
      // A dev export: a one-resource prod export would also fail prod's governance rules (exit 1).
      fs.writeFileSync(
        file,
        JSON.stringify(exportWith(envelope({ ciphertext: "v1:AAAA" }), REFERENCE)).replaceAll(
          "urn:pulumi:prod::",
          "urn:pulumi:dev::",
        ),
      );
      const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [TS_RUN, "tools/analyze.ts", "--file", file], { cwd: ROOT }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stdout, stderr }),
        ),
      );
      assert.equal(out.code, 0, out.stderr);
      assert.match(
        out.stderr,
        /^warning: 2 secret value\(s\) in .* are encrypted: .*`pulumi stack export --show-secrets`/m,
      );
      assert.match(out.stdout, new RegExp(`\\[advisory\\] ${RULE}`));
      assert.doesNotMatch(out.stderr, /applies policies\/config/);
      // Another stack's policy config over this export: allowed, and said.
      const other = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [TS_RUN, "tools/analyze.ts", "--file", file, "--stack", "prod"],
          { cwd: ROOT },
          (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stderr }),
        ),
      );
      assert.match(
        other.stderr,
        /^warning: --stack prod applies policies\/config\/prod\.json to an export of the stack 'dev' \(its URNs name it\)$/m,
      );
    });

    it("calls an offline export's secrets placeholders, and says nothing when no rule read one", async function () {
      this.timeout(60_000);
      const dir = tempDir("analyze-offline-");
      const run = (doc: unknown) => {
        const file = path.join(dir, `export-${Math.random().toString(36).slice(2)}.json`);
        fs.writeFileSync(file, JSON.stringify(doc).replaceAll("urn:pulumi:prod::", "urn:pulumi:dev::"));
        return new Promise<{ code: number; stderr: string }>((resolve) =>
          execFile(process.execPath, [TS_RUN, "tools/analyze.ts", "--file", file], { cwd: ROOT }, (err, _out, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stderr }),
          ),
        );
      };
      const offline = exportWith(envelope({ ciphertext: "v1:AAAA" }), REFERENCE);
      offline.deployment.manifest.version = "offline-preview";
      const placeholders = await run(offline);
      assert.match(placeholders.stderr, /^note: 2 secret value\(s\) in .* are the offline preview's placeholders/m);
      assert.doesNotMatch(placeholders.stderr, /--show-secrets/);
      // A secret no rule reads (an input the settings' rules never look at): no warning at all.
      const unread = await run(exportWith(REFERENCE, REFERENCE, { kind: envelope({ ciphertext: "v1:AAAA" }) }));
      assert.equal(unread.code, 0, unread.stderr);
      assert.doesNotMatch(unread.stderr, /secret value\(s\)/);
    });

    it("leaves out resources pending deletion, as the CLI's snapshot analysis does (analyze_snapshot.go: res.Delete)", async () => {
      const doc = exportWith("x", "plain-api-key");
      const [settings] = doc.deployment.resources;
      const pending = { ...settings, urn: settings.urn.replace("::app-settings", "::app-settings-old"), delete: true };
      const both = { ...doc, deployment: { ...doc.deployment, resources: [settings, pending] } };
      const { resources, verdict } = await analyzeExport(both, { stack: "prod", policyConfig: {} });
      assert.deepEqual(
        resources.map((r) => r.urn),
        [settings.urn],
      );
      assert.ok(verdict.violations.some((v) => v.urn === settings.urn));
      assert.ok(!verdict.violations.some((v) => v.urn === pending.urn));
    });

    it("leaves out top-level internal keys (`__…`) as the engine does (rpc.go SkipInternalKeys), not nested ones", () => {
      const [r] = fromStackExport(exportWith("a", "b", { __defaults: ["name"], tags: { __keep: "x" } }));
      assert.equal("__defaults" in r.inputs, false);
      assert.deepEqual(r.inputs.tags, { __keep: "x" });
    });

    it("a plaintext that is not JSON text is a bad export (exit 2), not a value", () =>
      assert.throws(
        () => fromStackExport(exportWith(envelope({ plaintext: "not json" }), "b")),
        /a secret's plaintext is not the JSON text the CLI writes/,
      ));
  });

  describe("a program that puts secrets where a rule quotes them", function () {
    this.timeout(300_000);
    const dir = tempDir("tools-edges-");
    const leaked = "eastus-secret-region";
    const placeholder = secretPlaceholder("payments-data-platform:region");
    let verdict: Verdict;
    before(async () => {
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: payments-data-platform\nruntime: nodejs\n");
      fs.writeFileSync(
        path.join(dir, "Pulumi.leak.yaml"),
        "config:\n  payments-data-platform:region:\n    secure: AAABAJ2ciphertext\n",
      );
      const program = path.join(dir, "index.js");
      fs.writeFileSync(
        program,
        [
          `const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi"))});`,
          `const resources = require(${JSON.stringify(require.resolve("@pulumi/azure-native/resources"))});`,
          `new resources.ResourceGroup("rg-inline-secret", { location: pulumi.secret(${JSON.stringify(leaked)}) });`,
          `new resources.ResourceGroup("rg-config-secret", { location: new pulumi.Config().require("region") });`,
        ].join("\n"),
      );
      ({ verdict } = await previewStack({
        stack: "leak",
        stackFile: path.join(dir, "Pulumi.leak.yaml"),
        program,
        policyConfig: {},
        deployedView: false,
        skipSchema: true,
      }));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("the rule still finds the non-EU locations, with the values masked", () => {
      const location = verdict.violations.filter(
        (v) => v.policy === "azure-native-general-resource-enforce-eu-location",
      );
      assert.deepEqual(location.map((v) => v.urn?.split("::").pop()).sort(), ["rg-config-secret", "rg-inline-secret"]);
      for (const v of location) assert.match(v.message, /is in '\[secret\]'/);
    });

    it("no verdict output carries a secret's plaintext or the config secret's placeholder", () => {
      const printed = [
        JSON.stringify(verdictJson(verdict)),
        verdictMarkdown(verdict, "pack@v1"),
        formatVerdict(verdict, "pack@v1"),
      ].join("\n");
      assert.ok(!printed.includes(leaked), "the secret input is masked");
      assert.ok(!printed.includes(placeholder), "the secure config value is masked");
    });
  });
});

describe("tools edges: stack config read as the Pulumi CLI reads it", () => {
  function project(config: string, stackConfig: string): string {
    const dir = tempDir("tools-edges-config-");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: proj\nruntime: nodejs\n${config}`);
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), stackConfig);
    return dir;
  }
  const fails = (dir: string, expected: string) =>
    assert.throws(
      () => loadStackConfig(dir, "dev"),
      (e: unknown) => e instanceof StackConfigError && e.message === expected,
    );

  it("a stack file given on the command line is named by its path; the project file given as one is named as such", () => {
    const dir = project("", "config:\n  proj:k: v\n");
    const given = path.join(dir, "sub", "copy.yaml");
    fs.mkdirSync(path.dirname(given));
    fs.writeFileSync(given, "config: [1, 2]\n");
    assert.throws(
      () => loadStackConfig(dir, "dev", given),
      (e: unknown) => e instanceof StackConfigError && e.message === `${given}: \`config\` must be a map`,
    );
    assert.throws(
      () => loadStackConfig(dir, "dev", path.join(dir, "Pulumi.yaml")),
      (e: unknown) =>
        e instanceof StackConfigError &&
        e.message ===
          `${path.join(dir, "Pulumi.yaml")} is a project file (Pulumi.yaml: it has \`name\` and \`runtime\`), not a stack's settings (Pulumi.<stack>.yaml, a \`config\` map)`,
    );
    // The stack's own file keeps its short name.
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config: [1]\n");
    fails(dir, "Pulumi.dev.yaml: `config` must be a map");
  });

  it("refuses a plaintext structured value for a secret key", () =>
    fails(
      project("config:\n  k:\n    type: object\n    secret: true\n", "config:\n  proj:k:\n    a: plain\n"),
      "validating stack config: Stack 'dev' with configuration key 'k' must be encrypted as it's secret",
    ));

  it("checks the type of a structured value that holds a secure leaf (its structure is known offline)", () =>
    fails(
      project("config:\n  k:\n    type: string\n", "config:\n  proj:k:\n    a:\n      secure: AAAA\n"),
      "validating stack config: Stack 'dev' with configuration key 'k' must be of type 'string'",
    ));

  it("marks a structured value with a secure leaf as secret, so the program gets it as a secret", () => {
    const sc = loadStackConfig(project("", "config:\n  proj:k:\n    a:\n      secure: AAAA\n"), "dev");
    assert.deepEqual(sc.secretKeys, ["proj:k"]);
    assert.deepEqual(JSON.parse(sc.config["proj:k"]), { a: secretPlaceholder("proj:k") });
  });

  it("reads a map with `secure` beside other keys as a plain structured value, not a secret", () => {
    const sc = loadStackConfig(project("", "config:\n  proj:k:\n    secure: AAAA\n    note: x\n"), "dev");
    assert.deepEqual(sc.secretKeys, []);
    assert.deepEqual(JSON.parse(sc.config["proj:k"]), { secure: "AAAA", note: "x" });
  });

  it("takes integers within int64 only (strconv.Atoi)", () => {
    loadStackConfig(project("config:\n  k:\n    type: integer\n", 'config:\n  proj:k: "9223372036854775807"\n'), "dev");
    fails(
      project("config:\n  k:\n    type: integer\n", 'config:\n  proj:k: "9223372036854775808"\n'),
      "validating stack config: Stack 'dev' with configuration key 'k' must be of type 'integer'",
    );
  });

  it('takes a boolean as "true" or "false" only', () =>
    fails(
      project("config:\n  k:\n    type: boolean\n", 'config:\n  proj:k: "True"\n'),
      "validating stack config: Stack 'dev' with configuration key 'k' must be of type 'boolean'",
    ));

  it("reads a namespace that merely starts with the project's name as another namespace", () =>
    assert.throws(
      () => loadStackConfig(project("config:\n  projx:k:\n    type: string\n    value: a\n", "config: {}\n"), "dev"),
      (e: unknown) =>
        e instanceof StackConfigError &&
        e.message === "Configuration key 'projx:k' is not namespaced by the project and should not define a type",
    ));
});

describe("tools edges: first-deploy hazards, neither missed nor invented", () => {
  let n = 0;
  const record = (type: string, inputs: Record<string, unknown>, dependencies: string[] = []): ResourceRecord =>
    resourceRecord(type, `edge${++n}`, inputs, { stack: "prod", project: "p", outputs: {}, dependencies });
  const grant = (accountName: string, dependencies: string[] = []) =>
    record(
      "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
      { resourceGroupName: "rg", accountName },
      dependencies,
    );

  it("flags an NSG rule priority that is not a whole number", () => {
    const nsg = record("azure-native:network:NetworkSecurityGroup", {
      securityRules: [{ name: "half", priority: 150.5, direction: "Inbound" }],
    });
    const hazards = firstDeployHazards([nsg]);
    assert.deepEqual(
      hazards.map((h) => h.rule),
      ["nsg-rule-priority"],
    );
    assert.match(hazards[0].message, /rule half has priority 150\.5/);
  });

  it("sees a chain whichever of the two the program registered first", () => {
    const first = grant("acct");
    const second = grant("acct", [first.urn]);
    assert.deepEqual(firstDeployHazards([second, first]), []);
  });

  it("compares parent names case-insensitively, as Azure does", () => {
    const hazards = firstDeployHazards([grant("Acct"), grant("acct")]);
    assert.deepEqual(
      hazards.map((h) => h.rule),
      ["serialised-children-race"],
    );
  });

  it("does not put children whose parent is unknown during preview in one group", () => {
    assert.deepEqual(firstDeployHazards([grant(UNKNOWN), grant(UNKNOWN)]), []);
  });
});

describe("tools edges: the ARM schema check fails a body it cannot validate", function () {
  this.timeout(120_000);
  it("reports a resource without a vendored schema as an error, not as checked", () => {
    const r = resourceRecord(
      "azure-native:resources:Resource",
      "thing",
      { apiVersion: "1999-01-01", resourceGroupName: "rg", resourceProviderNamespace: "Microsoft.Edge" },
      { id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.EdgeCaseNone/things/thing" },
    );
    const check = checkSchemas([r]);
    assert.deepEqual(
      check.errors.map((e) => [e.kind, e.resource]),
      [["no-schema", "thing"]],
    );
    assert.match(check.errors[0].message, /no vendored ARM schema for Microsoft\.EdgeCaseNone\/things@1999-01-01/);
    assert.equal(previewExitCode({ ...emptyVerdict }, check, []), 1);
  });
});

const emptyVerdict: Verdict = {
  stack: "dev",
  resourceCount: 0,
  policies: [],
  violations: [],
  exemptions: [],
  evaluated: {},
};

describe("tools edges: errors exit 2 under their own kind", function () {
  this.timeout(300_000);
  const dir = tempDir("tools-edges-cli-");
  const run = (args: string[]) =>
    new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [TS_RUN, "tools/preview.ts", ...args], { cwd: ROOT }, (err, _stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stderr }),
      ),
    );
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a rejection nobody handles outside a program run is an error (exit 2, `error (program)`), not Node's crash (exit 1)", async () => {
    const tool = (mode: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [TS_RUN, "tests/fixtures/cli/lateRejection.ts"],
          { cwd: ROOT, env: { ...process.env, LATE_REJECTION: mode } },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stdout, stderr }),
        ),
      );
    const [after, during] = await Promise.all([tool("after"), tool("during")]);
    assert.equal(after.code, 2, after.stderr);
    assert.match(after.stderr, /^error \(program\): an apply that failed after the run$/m);
    // While a run listens (the offline engine's own handler), the run reports it, not the tool.
    assert.deepEqual([during.code, during.stdout.trim(), during.stderr], [0, "heard 1", ""]);
  });

  it("a wait option that is not a whole number is bad usage, before any Azure call (it made etl:ops loop forever)", async () => {
    assert.equal(intOption({}, "attempts", 40, 1), 40);
    assert.equal(intOption({ attempts: "3" }, "attempts", 40, 1), 3);
    assert.equal(intOption({ "delay-seconds": "0" }, "delay-seconds", 15, 0), 0);
    for (const bad of ["x", "0", "-1", "2.5", ""])
      assert.throws(
        () => intOption({ attempts: bad }, "attempts", 40, 1),
        (e: unknown) => e instanceof UsageError && /--attempts must be a whole number of at least 1/.test(e.message),
        bad,
      );
    // As the deploy workflow calls it, on a machine without the Azure CLI: usage, not a spawn of `az`.
    const etl = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [TS_RUN, "tools/etlOps.ts", "stop-triggers", "--stack", "dev", "--attempts", "x"],
        { cwd: ROOT },
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stderr }),
      ),
    );
    assert.equal(etl.code, 2, etl.stderr);
    assert.match(etl.stderr, /^error \(usage\): --attempts must be a whole number of at least 1 \(got 'x'\)$/m);
  });

  it("a command that is not installed is named, with what to install, as an environment error (not a program error)", async () => {
    const { execFileSync } = await import("node:child_process");
    let missing: unknown;
    try {
      execFileSync("az-not-installed-here", ["account", "show"]);
    } catch (e) {
      missing = e;
    }
    assert.equal(
      environmentProblem(missing),
      "'az-not-installed-here' is not installed or not on PATH: this command needs az-not-installed-here",
    );
    assert.equal(
      environmentProblem(
        Object.assign(new Error("spawnSync az ENOENT"), { code: "ENOENT", syscall: "spawnSync az", path: "az" }),
      ),
      "'az' is not installed or not on PATH: this command needs the Azure CLI: install it and `az login` (README, \"Deploying for real\")",
    );
    // A missing file the tool reads is not a missing command.
    assert.equal(
      environmentProblem(Object.assign(new Error("open x"), { code: "ENOENT", syscall: "open", path: "x" })),
      undefined,
    );
    // As the tool prints it: exit 2, `error (environment)`, no stack-trace hint.
    const etl = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [TS_RUN, "tools/etlOps.ts", "check", "--stack", "dev"],
        { cwd: ROOT, env: { ...process.env, PATH: dir } },
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stderr }),
      ),
    );
    assert.equal(etl.code, 2, etl.stderr);
    assert.equal(
      etl.stderr,
      "error (environment): 'az' is not installed or not on PATH: this command needs the Azure CLI: install it and `az login` (README, \"Deploying for real\")\n",
    );
  });

  it("a stack file that does not exist is named as such, not as an unknown stack", () =>
    assert.throws(
      () => loadStackConfig(ROOT, "dev", path.join(dir, "none.yaml")),
      (e: unknown) => e instanceof Error && e.message === `stack file ${path.join(dir, "none.yaml")}: no such file`,
    ));

  it("the small tools answer --help with their usage (0) and an unknown argument with an error (2), before any work", async function () {
    this.timeout(60_000);
    // Each would otherwise rewrite tracked files or run a minute-long benchmark.
    const tools = ["bench", "costDocs", "policyDocs", "sdkSwitches"];
    const run = (tool: string, ...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [TS_RUN, `tools/${tool}.ts`, ...args], { cwd: ROOT }, (err, stdout, stderr) =>
          resolve({ code: err ? (err.code as number) : 0, stdout, stderr }),
        ),
      );
    const [answers, verbose] = await Promise.all([
      Promise.all(tools.flatMap((t) => [run(t, "--help"), run(t, "--chek")])),
      // --verbose, which every tool's error line offers, is an argument they take.
      run("sdkSwitches", "--check", "--verbose"),
    ]);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.equal(verbose.stdout, "policies/lib/sdkSwitches.ts: up to date\n");
    tools.forEach((tool, i) => {
      const [help, bad] = [answers[2 * i], answers[2 * i + 1]];
      assert.equal(help.code, 0, `${tool} --help`);
      assert.match(help.stdout, /^usage: npm run /, tool);
      assert.equal(bad.code, 2, `${tool} --chek`);
      // The generators take --check: they name it; the bench has nothing close.
      const hint = tool === "bench" ? "" : " \\(did you mean --check\\?\\)";
      assert.match(
        bad.stderr,
        new RegExp(`^error \\(usage\\): unknown argument '--chek'${hint}\\nusage: npm run `),
        tool,
      );
      assert.equal(bad.stdout, "", tool);
    });
  });

  it("a generator's --check writes nothing and names each stale or missing file with its command; without, it writes", () => {
    const dir = tempDir("write-or-check-");
    const [a, b] = [path.join(dir, "a.md"), path.join(dir, "sub", "b.md")];
    fs.writeFileSync(a, "old\n");
    const printed: string[] = [];
    const [log, error] = [console.log, console.error];
    const shown = (m: string) => m.split(path.relative(ROOT, dir)).join("<dir>");
    const run = (check: boolean) =>
      writeOrCheck(
        [
          [a, "new\n"],
          [b, "b\n"],
        ],
        check,
        "npm run x",
      );
    console.log = (m: string) => void printed.push(`out: ${shown(m)}`);
    console.error = (m: string) => void printed.push(`err: ${shown(m)}`);
    try {
      assert.equal(run(true), 1);
      assert.equal(fs.readFileSync(a, "utf8"), "old\n", "checked, not written");
      assert.equal(fs.existsSync(b), false);
      assert.equal(run(false), 0);
      assert.deepEqual([fs.readFileSync(a, "utf8"), fs.readFileSync(b, "utf8")], ["new\n", "b\n"]);
      assert.equal(run(true), 0);
    } finally {
      [console.log, console.error] = [log, error];
    }
    assert.deepEqual(printed, [
      "err: <dir>/a.md is stale: run `npm run x`",
      "err: <dir>/sub/b.md is stale: run `npm run x`",
      "out: wrote <dir>/a.md, <dir>/sub/b.md",
      "out: <dir>/a.md, <dir>/sub/b.md: up to date",
    ]);
  });

  it("reads the CLI's version-4 export (this stack's, with replaceWith) and refuses what the CLI refuses, in its words", async () => {
    const resources = [
      {
        urn: "urn:pulumi:prod::payments-data-platform::azure-native:eventhub:Namespace::ns",
        type: "azure-native:eventhub:Namespace",
        custom: true,
        id: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns",
        inputs: { namespaceName: "ns", resourceGroupName: "rg", disableLocalAuth: false },
        outputs: {},
      },
      {
        urn: "urn:pulumi:prod::payments-data-platform::azure-native:network:PrivateEndpoint::pep",
        type: "azure-native:network:PrivateEndpoint",
        custom: true,
        id: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pep",
        inputs: { privateEndpointName: "pep", resourceGroupName: "rg" },
        outputs: {},
        replaceWith: ["urn:pulumi:prod::payments-data-platform::azure-native:eventhub:Namespace::ns"],
        deletedWith: "urn:pulumi:prod::payments-data-platform::azure-native:eventhub:Namespace::ns",
      },
    ];
    const deployment = { manifest: { time: "", magic: "", version: "v3.248.0" }, resources };
    const v4 = { version: 4, features: ["replaceWith"], deployment };
    const read = fromStackExport(structuredClone(v4));
    assert.deepEqual(read[1].replaceWith, [resources[0].urn]);
    assert.equal(read[1].deletedWith, resources[0].urn);
    // The same verdict as the same resources in a version-3 document.
    const [four, three] = await Promise.all([
      analyzeExport(structuredClone(v4), { stack: "prod", policyConfig: {} }),
      analyzeExport({ version: 3, deployment: structuredClone(deployment) }, { stack: "prod", policyConfig: {} }),
    ]);
    assert.ok(four.verdict.violations.length > 0, "the namespace's local auth is found");
    assert.deepEqual(verdictJson(four.verdict), verdictJson(three.verdict));
    // deployment.go: `supportedFeatures` and the schema version range, with the CLI's messages.
    assert.throws(
      () => fromStackExport({ ...structuredClone(v4), features: ["replaceWith", "someday", "later"] }),
      /^ExportFormatError: this stack's deployment needs support for the following features: someday, later$/,
    );
    assert.throws(
      () => fromStackExport({ version: 5, deployment: structuredClone(deployment) }),
      /^ExportFormatError: this stack's deployment version is too new$/,
    );
    // A name is everything after the URN's third `::` (urn.go Name), `::` included.
    const named = structuredClone(v4);
    named.deployment.resources[1].urn += "::east";
    assert.equal(fromStackExport(named)[1].name, "pep::east");
    for (const feature of ["refreshBeforeUpdate", "views", "hooks", "taint", "snippets-prototype"])
      assert.equal(fromStackExport({ ...structuredClone(v4), features: [feature] }).length, 2, feature);
  });

  it("an export file that is not one is named with its role (--base or --head) in changes and cost:diff", () => {
    const verdict = path.join(dir, "verdict.json");
    fs.writeFileSync(verdict, JSON.stringify({ stack: "prod", violations: [] }));
    assert.throws(
      () => readExportFile(verdict, "--base"),
      (e: unknown) =>
        e instanceof Error &&
        e.message ===
          `--base ${verdict}: not a \`pulumi stack export\` file: expected {version: 3 or 4, deployment: {resources: [...]}}`,
    );
    const broken = path.join(dir, "broken.json");
    fs.writeFileSync(broken, "{");
    assert.throws(
      () => readExportFile(broken, "--head"),
      new RegExp(`^ExportFormatError: --head ${broken.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: is not valid JSON`),
    );
    assert.throws(
      () => readExportFile(path.join(dir, "none.json"), "--head"),
      /^ExportFormatError: --head .*none\.json: export file not found/,
    );
  });

  it("changes and cost:diff read an export without the old copies it keeps for deletion (delete: true), as the CLI's analysis does", () => {
    const urn = "urn:pulumi:prod::payments-data-platform::azure-native:storage:StorageAccount::lake";
    const live = {
      urn,
      custom: true,
      type: "azure-native:storage:StorageAccount",
      id: "/new",
      inputs: {},
      outputs: {},
    };
    const file = path.join(dir, "pending-delete.json");
    const doc = (resources: object[]) => ({ version: 3, deployment: { manifest: {}, resources } });
    fs.writeFileSync(file, JSON.stringify(doc([live, { ...live, id: "/old", delete: true }])));
    assert.deepEqual(
      readExportFile(file, "--base").map((r) => [r.urn, r.id]),
      [[urn, "/new"]],
    );
    fs.writeFileSync(file, JSON.stringify(doc([live])));
    assert.deepEqual(
      readExportFile(file, "--base").map((r) => [r.urn, r.id]),
      [[urn, "/new"]],
    );
  });

  it("changes and cost:diff refuse two exports of different stacks, naming both", () => {
    const r = (stack: string, project = "payments-data-platform") => [{ urn: `urn:pulumi:${stack}::${project}::t::n` }];
    assert.throws(
      () => sameStackExports(r("dev"), r("prod")),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message ===
          "the base export is of stack dev/payments-data-platform and the head of prod/payments-data-platform: compare two exports of one stack (stack/project)",
    );
    assert.throws(() => sameStackExports(r("prod", "a"), r("prod", "b")), UsageError);
    sameStackExports(r("prod"), r("prod"));
    sameStackExports([], r("prod"));
  });

  it("an option followed by another option instead of its value is bad usage", () =>
    assert.throws(
      () => parseArgs(["--json", "--quiet"], ["json"], ["quiet"]),
      (e: unknown) => e instanceof UsageError && e.message === "--json needs a value",
    ));

  it("a misspelt option names the closest one; an option given twice is refused; npm's swallowed option is explained", () => {
    const usage = (argv: string[], env: Record<string, string> = {}) => {
      try {
        parseArgs(argv, ["stack", "json", "stack-file"], ["quiet"], env);
        return "";
      } catch (e) {
        assert.ok(e instanceof UsageError);
        return e.message;
      }
    };
    assert.equal(usage(["--jsn", "x.json"]), "unknown argument '--jsn' (did you mean --json?)");
    assert.equal(usage(["--qiet"]), "unknown argument '--qiet' (did you mean --quiet?)");
    assert.equal(usage(["--zzz"]), "unknown argument '--zzz'");
    assert.equal(
      usage(["--stack", "dev", "--stack", "prod"]),
      "--stack given twice ('dev', then 'prod'): give it once",
    );
    assert.equal(usage(["--stack", "dev", "--stack=dev"]), "", "the same value twice is harmless");
    // `npm run preview:offline --stack dev`: npm keeps --stack (npm_config_stack) and passes `dev` on.
    assert.equal(
      usage(["dev"], { npm_lifecycle_event: "preview:offline", npm_config_stack: "true" }),
      "unknown argument 'dev' (npm took --stack for itself: options go after --, as in npm run preview:offline -- --stack dev)",
    );
    assert.equal(usage(["dev"], {}), "unknown argument 'dev'");
    assert.equal(usage(["--quiet=1"]), "--quiet takes no value (got '--quiet=1')");
    // `npm run preview:offline --stack=dev`: npm keeps all of it, the tool gets nothing.
    assert.equal(
      missingOption("stack", { npm_lifecycle_event: "preview:offline", npm_config_stack: "dev" }).message,
      "--stack is required (npm took --stack for itself: options go after --, as in npm run preview:offline -- --stack <value>)",
    );
    assert.equal(missingOption("stack", {}).message, "--stack is required");
  });

  it("a stack config type error: exit 2, `error (config)`, the key named, no stack-trace hint", async () => {
    const stackFile = path.join(dir, "Pulumi.dev.yaml");
    const dev = parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    dev.config["payments-data-platform:environment"] = ["dev"];
    fs.writeFileSync(stackFile, stringifyYaml(dev));
    const policyFile = path.join(dir, "policy.json");
    fs.writeFileSync(policyFile, JSON.stringify({ [requireProtect.name]: "mandtory" }));
    const [config, policy] = await Promise.all([
      run(["--stack", "dev", "--stack-file", stackFile]),
      // The small insecure fixture, not the dev stack: the policy config is read whatever the program registers.
      run([
        "--stack",
        "insecure",
        "--stack-file",
        "tests/fixtures/insecure/Pulumi.insecure.yaml",
        "--program",
        "tests/fixtures/insecure/index.ts",
        "--policy-config",
        policyFile,
        "--skip-schema",
      ]),
    ]);
    assert.equal(config.code, 2, config.stderr);
    assert.match(
      config.stderr,
      /^error \(config\): validating stack config: Stack 'dev' with configuration key 'environment' must be of type 'string'\n/,
    );
    assert.doesNotMatch(config.stderr, /--verbose/);
    assert.equal(policy.code, 2, policy.stderr);
    assert.match(policy.stderr, /^error \(policy config\): policy config: '.*' enforcementLevel "mandtory"/);
  });
});
