import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  certificateSecretId,
  CONTAINER_ACCESS,
  containersOf,
  gatewayAutoscale,
  MERCHANT_CERTIFICATE_HEADERS,
  merchantRefreshQuery,
  paymentApiPathRule,
  sqlConnectionString,
  scorerFailuresQuery,
  SCORER_STALLED_GRACE_MINUTES,
  SCORER_STALLED_WINDOW_MINUTES,
  scorerStalledQuery,
} from "../components/ingestion";
import { WEBHOOK_NOT_QUEUED_PREFIX } from "../pipelines/functions/src/functions/fraudScoring";
import { businessEvent } from "../pipelines/functions/src/lib/telemetry";
import {
  BuiltInRoles,
  dropSdkSiteConfigDefaults,
  HOST_STORAGE_ROLES,
  hostStorageSettings,
  validateFunctionAppArgs,
  withoutSdkSiteConfigDefaults,
} from "../components/shared";
import type { IngestionConfig } from "../lib/config";
import { previewStack } from "../tools/lib/preview";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { HOST_STORAGE_SOFT_DELETE_DAYS } from "../components/shared/functionApp";
import {
  assertChainedPairwise,
  byName,
  configOf,
  input,
  ofType,
  previewEdited,
  previewOf,
  waitsFor,
} from "./helpers/stacks";

const plan = { instanceMemoryMB: 2048, maximumInstanceCount: 40, alwaysReady: [{ name: "http", instanceCount: 1 }] };

describe("ingestion: pure helpers", () => {
  it("the site-config transformation keeps an app without siteConfig without one, and strips the SDK's defaults", async () => {
    const valueOf = (o: unknown) =>
      new Promise<unknown>((resolve) => {
        pulumi.output(o as pulumi.Input<Record<string, unknown> | undefined>).apply((v) => resolve(v));
      });
    const run = (siteConfig: unknown) =>
      dropSdkSiteConfigDefaults({
        resource: undefined as unknown as pulumi.Resource,
        type: "azure-native:web:WebApp",
        name: "app",
        props: { siteConfig },
        opts: {},
      })?.props.siteConfig;
    assert.equal(await valueOf(run(pulumi.output(undefined))), undefined);
    // A Flex app (functionAppConfig) loses the SDK's isXenon/hyperV defaults; another web app keeps them.
    const site = (functionAppConfig?: unknown) =>
      dropSdkSiteConfigDefaults({
        resource: undefined as unknown as pulumi.Resource,
        type: "azure-native:web:WebApp",
        name: "app",
        props: { isXenon: false, hyperV: false, httpsOnly: true, functionAppConfig },
        opts: {},
      })?.props;
    const flex = site({ runtime: { name: "node" } });
    assert.ok(flex && !("isXenon" in flex) && !("hyperV" in flex) && flex.httpsOnly === true);
    assert.deepEqual([site()?.isXenon, site()?.hyperV], [false, false]);
    assert.deepEqual(await valueOf(run(pulumi.output({ minTlsVersion: "1.2", netFrameworkVersion: "v4.6" }))), {
      minTlsVersion: "1.2",
    });
  });
  it("drops the SDK's injected site config defaults a Flex app must not send, and keeps the hardening", () => {
    assert.deepEqual(
      withoutSdkSiteConfigDefaults({
        minTlsVersion: "1.2",
        http20Enabled: true,
        netFrameworkVersion: "v4.6",
        localMySqlEnabled: false,
      }),
      { minTlsVersion: "1.2", http20Enabled: true },
    );
  });
  it("validates function app arguments before registering anything, naming the argument", () => {
    assert.doesNotThrow(() => validateFunctionAppArgs({ qualifier: "payapi", plan }));
    const rejects = (args: Parameters<typeof validateFunctionAppArgs>[0], pattern: RegExp) =>
      assert.throws(() => validateFunctionAppArgs(args), pattern);
    rejects({ qualifier: "Pay-API", plan }, /qualifier 'Pay-API' must be 2–8 lower-case letters/);
    rejects(
      { qualifier: "payapi", plan: { ...plan, instanceMemoryMB: 1024 } },
      /instanceMemoryMB 1024 must be 512, 2048 or 4096/,
    );
    rejects(
      { qualifier: "payapi", plan: { ...plan, maximumInstanceCount: 0 } },
      /0 must be a whole number between 1 and 1000/,
    );
    rejects({ qualifier: "payapi", plan: { ...plan, maximumInstanceCount: 1001 } }, /between 1 and 1000/);
    validateFunctionAppArgs({ qualifier: "payapi", plan: { ...plan, maximumInstanceCount: 1 } }); // Flex's lowest now
    // Always-ready instances are outside the maximum (event-driven-scaling): more of them than the maximum is valid.
    validateFunctionAppArgs({
      qualifier: "payapi",
      plan: { ...plan, maximumInstanceCount: 1, alwaysReady: [{ name: "http", instanceCount: 3 }] },
    });
    rejects(
      { qualifier: "payapi", plan: { ...plan, alwaysReady: [{ name: "http", instanceCount: -1 }] } },
      /alwaysReady 'http' count -1 must be a whole number between 0 and 1000/,
    );
    rejects(
      { qualifier: "payapi", plan: { ...plan, alwaysReady: [{ name: "http", instanceCount: 1001 }] } },
      /alwaysReady 'http' count 1001 must be a whole number between 0 and 1000/,
    );
    rejects(
      { qualifier: "payapi", plan: { ...plan, alwaysReady: [{ name: "timer", instanceCount: 1 }] } },
      /alwaysReady 'timer' must be http, durable, blob or function:<name>/,
    );
    // A zone-redundant plan keeps and bills two per group: the program declares at least that.
    rejects(
      { qualifier: "payapi", plan: { ...plan, zoneRedundant: true } },
      /alwaysReady 'http' count 1 must be at least 2 on a zone-redundant plan/,
    );
    assert.doesNotThrow(() =>
      validateFunctionAppArgs({
        qualifier: "payapi",
        plan: { ...plan, zoneRedundant: true, alwaysReady: [{ name: "http", instanceCount: 2 }] },
      }),
    );
    rejects(
      { qualifier: "payapi", plan, appSettings: { WEBSITE_RUN_FROM_PACKAGE: "1" } },
      /appSettings\.WEBSITE_RUN_FROM_PACKAGE is not supported on Flex Consumption/,
    );
    // A secret typed into a setting's value (a key or password in a connection string), whatever the setting's name.
    for (const value of ["Server=tcp:x;Password=secret", "Endpoint=sb://x/;SharedAccessKey=abc", "AccountKey=abc"])
      rejects(
        { qualifier: "payapi", plan, appSettings: { Target: value } },
        /appSettings\.Target: connection strings with secrets are not allowed/,
      );
    assert.doesNotThrow(() =>
      validateFunctionAppArgs({
        qualifier: "payapi",
        plan,
        appSettings: { SqlConnection: "Server=tcp:x,1433;Authentication=Active Directory Managed Identity" },
      }),
    );
    rejects(
      {
        qualifier: "payapi",
        plan,
        appSettings: { AzureWebJobsStorage: "DefaultEndpointsProtocol=https;AccountKey=x" },
      },
      /appSettings\.AzureWebJobsStorage is not supported/,
    );
  });

  it("host storage is identity-based: blob and table URIs (no queue: no blob trigger), the account's name (the host's startup workaround), managed identity, the identity's client id", () => {
    assert.deepEqual(hostStorageSettings("stpaydevweupayapi1a2b", "client-1"), {
      AzureWebJobsStorage__accountName: "stpaydevweupayapi1a2b",
      AzureWebJobsStorage__blobServiceUri: "https://stpaydevweupayapi1a2b.blob.core.windows.net",
      AzureWebJobsStorage__tableServiceUri: "https://stpaydevweupayapi1a2b.table.core.windows.net",
      AzureWebJobsStorage__credential: "managedidentity",
      AzureWebJobsStorage__clientId: "client-1",
    });
  });

  it("SQL connections use the app's managed identity, never a password", () => {
    const cs = sqlConnectionString("sql-pay-dev-weu-1a2b.database.windows.net", "sqldb-pay-dev-weu", "client-1");
    assert.match(cs, /Authentication=Active Directory Managed Identity;User Id=client-1/);
    assert.match(cs, /Encrypt=True;TrustServerCertificate=False/);
    assert.doesNotMatch(cs, /Password|Pwd/i);
    // Room for the token fetch and the login through the private endpoint at a cold start (SqlClient's default).
    assert.match(cs, /;Connection Timeout=15(;|$)/);
  });

  it("reads the certificate through a versionless secret id and the autoscale bounds from config", () => {
    assert.equal(
      certificateSecretId("https://kv-pay-dev-weu-1a2b.vault.azure.net/", "agw-payments-api-tls"),
      "https://kv-pay-dev-weu-1a2b.vault.azure.net/secrets/agw-payments-api-tls",
    );
    const cfg = { gateway: { minInstances: 3, maxInstances: 20 } } as IngestionConfig;
    assert.deepEqual(gatewayAutoscale(cfg), { minCapacity: 3, maxCapacity: 20 });
  });
});

const EXPECTED = {
  dev: {
    autoscale: { minCapacity: 0, maxCapacity: 2 },
    payMax: 40,
    payReady: 0,
    fraudReady: 1,
    // No latency target in dev: the extension's default second (a tenth of prod's audit records per instance).
    pollingMs: "1000",
    hostName: undefined,
  },
  prod: {
    autoscale: { minCapacity: 3, maxCapacity: 125 },
    payMax: 150,
    payReady: 3,
    fraudReady: 28,
    // The flow's 200 ms P99 budget.
    pollingMs: "100",
    hostName: "api.payments.example.com",
  },
} as const;

describe("ingestion: the WAF lets only the payment API's paths through", () => {
  const rule = paymentApiPathRule();
  const [condition] = rule.matchConditions as {
    matchValues: string[];
    negationConditon: boolean;
    transforms: string[];
    operator: string;
  }[];
  // As the WAF evaluates it: transforms in order, then the regex, negated: true blocks.
  const blocked = (uri: string) => {
    let v = uri;
    for (const t of condition.transforms) v = t === "UrlDecode" ? decodeURIComponent(v) : v.toLowerCase();
    return new RegExp(condition.matchValues[0]).test(v) === !condition.negationConditon;
  };

  it("is a blocking rule on the request URI, evaluated before the managed rules", () => {
    assert.deepEqual(
      [rule.action, rule.ruleType, rule.state, condition.operator],
      ["Block", "MatchRule", "Enabled", "Regex"],
    );
    assert.equal(condition.negationConditon, true);
  });
  it("passes the payments route and the health probe, with a trailing slash or a query, in any case", () => {
    for (const uri of ["/api/payments", "/api/payments/", "/API/Payments?merchant=m1", "/api/health", "/api/health/"])
      assert.equal(blocked(uri), false, uri);
  });
  it("blocks the Functions host's own endpoints, other routes, encoded and traversing paths", () => {
    for (const uri of [
      "/admin/host/status",
      "/admin/functions/createPayment",
      "/runtime/webhooks/eventgrid",
      "/api/paymentsx",
      "/api/health/extra",
      "/api/payments/../../admin/host/status",
      "/%61dmin/host/status",
      "/api/payments%2F..%2F..%2Fadmin",
      "/",
    ])
      assert.equal(blocked(uri), true, uri);
  });
});

describe("ingestion: scorer failures alert query", () => {
  it("counts the scorer's failed runs from its requests (never sampled), whatever failed them", () => {
    const q = scorerFailuresQuery("func-fraud");
    assert.match(
      q,
      /^let failed = toscalar\(union isfuzzy=true \(AppRequests\), \(datatable\(AppRoleName: string, OperationName: string, Success: bool, ItemCount: int\)\[\]\)\n/,
    );
    assert.match(q, /AppRoleName =~ "func-fraud" and OperationName == "scorePayment" and Success == false/);
    assert.match(q, /summarize sum\(ItemCount\)/);
    assert.match(q, /print Runs = coalesce\(failed, 0\), TimeGenerated = now\(\)$/);
    // The runbook tells on-call to look for the words the failed run's exception starts with.
    const runbook = fs.readFileSync("docs/runbook.md", "utf8");
    const entry = runbook.slice(runbook.indexOf('<a id="scorer-failures"></a>'));
    assert.ok(
      entry.includes(`\`${WEBHOOK_NOT_QUEUED_PREFIX}<ids>`),
      "docs/runbook.md#scorer-failures quotes the error",
    );
  });
});

describe("ingestion: stalled scorer alert query", () => {
  it("counts payments accepted at least 5 minutes ago when the scorer had no successful run in the window", () => {
    const q = scorerStalledQuery("func-api", "func-fraud");
    // Both tables through fuzzy unions with an empty table of their columns (TimeGenerated too: the grace filter).
    assert.match(
      q,
      /^let accepted = toscalar\(union isfuzzy=true \(AppTraces\), \(datatable\(Message: string, ItemCount: int, AppRoleName: string, OperationName: string, TimeGenerated: datetime\)\[\]\)\n/,
    );
    assert.match(
      q,
      /AppRoleName =~ "func-api" and Message startswith "payment\.accepted "\n +\| where TimeGenerated < ago\(5m\)/,
    );
    assert.match(
      q,
      /let scored = toscalar\(union isfuzzy=true \(AppRequests\), [^\n]*\n +\| where AppRoleName =~ "func-fraud" and OperationName == "scorePayment" and Success == true/,
    );
    assert.match(
      q,
      /print Unscored = iff\(coalesce\(scored, 0\) == 0, coalesce\(accepted, 0\), 0\), TimeGenerated = now\(\)$/,
    );
    assert.deepEqual([SCORER_STALLED_WINDOW_MINUTES, SCORER_STALLED_GRACE_MINUTES], [15, 5]);
    // The payment API logs the line the query counts (pipelines/functions/src/lib/telemetry.ts).
    assert.match(
      businessEvent("payment.accepted", { amountMinor: 1, currencyCode: "EUR", sqlMs: 3 }),
      /^payment\.accepted /,
    );
    const runbook = fs.readFileSync("docs/runbook.md", "utf8");
    assert.ok(runbook.includes('<a id="scorer-stalled"></a>'), "docs/runbook.md#scorer-stalled");
  });
});

describe("ingestion: merchant refresh alert query", () => {
  it("counts the refresh's successful requests (a run whose writes fail is a failed request), unsampled", () => {
    const q = merchantRefreshQuery("func-fraud");
    // Through a fuzzy union with an empty table of its columns: no table yet still answers 0 (the alert fires).
    assert.match(
      q,
      /^let runs = toscalar\(union isfuzzy=true \(AppRequests\), \(datatable\(AppRoleName: string, OperationName: string, Success: bool, ItemCount: int\)\[\]\)\n/,
    );
    assert.match(q, /AppRoleName =~ "func-fraud" and OperationName == "refreshMerchantFeatures" and Success == true/);
    assert.match(q, /summarize sum\(ItemCount\)/);
    assert.match(q, /print Runs = coalesce\(runs, 0\), TimeGenerated = now\(\)$/);
  });
});

for (const stack of ["dev", "prod"] as const) {
  describe(`ingestion (${stack})`, () => {
    const expected = EXPECTED[stack];
    let resources: ResourceRecord[];
    let outputs: Record<string, unknown>;
    const one = (name: string) => byName(resources, name);
    const identity = (key: string) => one(`ingestion-id-${key}`);
    const settingsOf = (app: string) =>
      one(`ingestion-${app}-app-settings`).inputs.properties as Record<string, string>;
    before(async () => {
      const preview = await previewOf(stack);
      resources = preview.run.resources;
      outputs = preview.run.stackOutputs;
    });

    it("every function app's host storage keeps deleted and overwritten blobs (the package) 30 days, as evidence", () => {
      for (const name of ["ingestion-payapi-st-blob", "ingestion-fraud-st-blob", "streaming-relay-st-blob"]) {
        const blob = byName(resources, name);
        assert.deepEqual(
          blob.inputs.deleteRetentionPolicy,
          { enabled: true, days: HOST_STORAGE_SOFT_DELETE_DAYS },
          name,
        );
        assert.deepEqual(blob.inputs.containerDeleteRetentionPolicy, { enabled: true, days: 30 }, name);
      }
      assert.equal(HOST_STORAGE_SOFT_DELETE_DAYS, 30);
    });

    it("alerts Sev2 (P2) when the merchant refresh had no successful run for 15 minutes", () => {
      const alert = one("ingestion-merchant-refresh-alert");
      const crit = (alert.inputs.criteria as { allOf: Record<string, unknown>[] }).allOf[0];
      assert.deepEqual(
        [alert.inputs.severity, alert.inputs.windowSize, crit.operator, crit.threshold],
        [2, "PT15M", "LessThan", 1],
      );
      assert.match(String(crit.query), new RegExp(`AppRoleName =~ "${one("ingestion-fraud-app").outputs.name}"`));
      assert.deepEqual((alert.inputs.actions as { actionGroups: string[] }).actionGroups, [one("platform-ag-p2").id]);
      assert.equal(
        (alert.inputs.actions as { customProperties: { priority: string } }).customProperties.priority,
        "P2",
      );
    });

    it("alerts Sev2 (P2) when accepted payments go unscored for 15 minutes, over both apps' logs", () => {
      const alert = one("ingestion-scorer-stalled-alert");
      const crit = (alert.inputs.criteria as { allOf: Record<string, unknown>[] }).allOf[0];
      assert.deepEqual(
        [
          alert.inputs.severity,
          alert.inputs.windowSize,
          alert.inputs.evaluationFrequency,
          crit.metricMeasureColumn,
          crit.operator,
          crit.threshold,
        ],
        [2, "PT15M", "PT5M", "Unscored", "GreaterThan", 0],
      );
      assert.equal(
        crit.query,
        scorerStalledQuery(
          String(one("ingestion-payapi-app").outputs.name),
          String(one("ingestion-fraud-app").outputs.name),
        ),
      );
      assert.deepEqual((alert.inputs.actions as { actionGroups: string[] }).actionGroups, [one("platform-ag-p2").id]);
      // Silenced with the scorer off hours where it sleeps (dev): stateless there, as the refresh alert.
      assert.equal(alert.inputs.autoMitigate, stack === "prod");
    });

    it("alerts Sev2 (P2) on any failed scorer run in 10 minutes (the trigger drops a batch after five)", () => {
      const alert = one("ingestion-scorer-failures-alert");
      const crit = (alert.inputs.criteria as { allOf: Record<string, unknown>[] }).allOf[0];
      assert.deepEqual(
        [
          alert.inputs.severity,
          alert.inputs.windowSize,
          alert.inputs.evaluationFrequency,
          crit.operator,
          crit.threshold,
        ],
        [2, "PT10M", "PT5M", "GreaterThan", 0],
      );
      assert.match(String(crit.query), new RegExp(`AppRoleName =~ "${one("ingestion-fraud-app").outputs.name}"`));
      assert.deepEqual((alert.inputs.actions as { actionGroups: string[] }).actionGroups, [one("platform-ag-p2").id]);
      assert.equal(alert.inputs.autoMitigate, true);
    });

    describe("Application Gateway", () => {
      it(`${stack === "prod" ? "the HTTPS listener serves only the API's host name and requires SNI; " : ""}the probe counts only 200-399 healthy`, () => {
        const gw = one("ingestion-agw");
        const https = (
          gw.inputs.httpListeners as { name: string; hostNames?: string[]; requireServerNameIndication?: boolean }[]
        ).find((l) => l.name === "https");
        // prod names its API host (dev has none, so its listener takes any name).
        if (stack === "prod") {
          assert.deepEqual(https?.hostNames, [configOf(stack).ingestion.apiHostName]);
          assert.equal(https?.requireServerNameIndication, true);
        }
        // A backend answering 4xx is taken out of rotation.
        const probes = gw.inputs.probes as { path: string; match: { statusCodes: string[] } }[];
        assert.equal(probes.length, 1);
        assert.equal(probes[0].path, "/api/health");
        assert.deepEqual(probes[0].match.statusCodes, ["200-399"]);
      });

      it("asks no client certificate while no merchant authority is configured, and the pack says so", async () => {
        const gw = one("ingestion-agw");
        const listeners = gw.inputs.httpListeners as { name: string; sslProfile?: unknown }[];
        assert.equal(listeners.find((l) => l.name === "https")?.sslProfile, undefined);
        // The app reads no certificate header then, so the gateway sets none, and its settings do not wait for it.
        assert.equal(gw.inputs.rewriteRuleSets, undefined);
        assert.ok(!one("ingestion-payapi-app-settings").dependencies.includes(gw.urn));
        // The gateway probes the app through its private endpoint: it waits for it and its DNS records.
        for (const r of ["ingestion-payapi-app-pep", "ingestion-payapi-app-pep-dns"])
          assert.ok(gw.dependencies.includes(one(r).urn), r);
        // Otherwise the app's settings come first, then the publishing policies, then the endpoint, each after every
        // earlier one (deletes too).
        assertChainedPairwise(
          ["app-settings", "app-ftp", "app-scm", "app-pep"].map((s) => one(`ingestion-payapi-${s}`)),
        );
        assert.equal(settingsOf("payapi").MERCHANT_AUTHENTICATION, "none");
        const { verdict } = await previewOf(stack);
        assert.deepEqual(
          verdict.violations
            .filter(
              (v) => v.policy === "azure-native-network-applicationgateway-require-client-certificate-authentication",
            )
            .map((v) => [v.enforcementLevel, /HTTPS listener 'https' asks no client certificate/.test(v.message)]),
          [["advisory", true]],
        );
      });

      it("first deploy: the documented --exclude pattern names the certificate grant, and what waits for it is the gateway's side only", () => {
        // docs/operations.md: pass 1 of a new stack leaves out the grant on the not-yet-imported certificate.
        const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "operations.md"), "utf8");
        const command = /`(pulumi up [^`]*--exclude '[^']+' --exclude-dependents[^`]*)`/.exec(doc)?.[1] ?? "";
        const pattern = /--exclude '([^']+)'/.exec(command)?.[1];
        assert.ok(pattern, "docs/operations.md gives the exclusion");
        // Pass 1 creates most of the stack: under the same policy gate as deploy.yml.
        assert.match(command, /--policy-pack policies --policy-pack-config policies\/config\/<stack>\.json/);
        // Pulumi's URN wildcards ("Targeted updates"): `*` within one `:`-separated segment, `**` across segments.
        const glob = new RegExp(
          `^${pattern
            .split("**")
            .map((part) =>
              part
                .split("*")
                .map((t) => t.replace(/[.+?^${}()|[\]\\$]/g, "\\$&"))
                .join("[^:]*"),
            )
            .join(".*")}$`,
        );
        const matched = resources.filter((r) => glob.test(r.urn));
        assert.deepEqual(
          matched.map((r) => r.name),
          ["ingestion-agw-cert-ra-secrets-user"],
        );
        // What depends on it, through dependencies or parenthood, transitively.
        const left = new Set(matched.map((r) => r.urn));
        for (let grew = true; grew;) {
          grew = false;
          for (const r of resources)
            if (!left.has(r.urn) && (r.dependencies.some((d) => left.has(d)) || (r.parent && left.has(r.parent)))) {
              left.add(r.urn);
              grew = true;
            }
        }
        const names = resources.filter((r) => left.has(r.urn)).map((r) => r.name);
        for (const name of ["ingestion-agw-cert-propagation", "ingestion-agw"]) assert.ok(names.includes(name), name);
        // Pass 1 still creates the vault, the network, the WAF policy, the gateway's IP and the apps behind it.
        for (const name of [
          "platform-kv",
          "platform-vnet",
          "ingestion-waf",
          "ingestion-agw-pip",
          "ingestion-payapi-app",
        ])
          assert.ok(!names.includes(name), `${name} is created in pass 1`);
      });

      it("is WAF_v2 across three zones, autoscaling within the configured bounds, behind the WAF policy", () => {
        const gw = one("ingestion-agw");
        assert.deepEqual(gw.inputs.sku, { name: "WAF_v2", tier: "WAF_v2" });
        assert.deepEqual(gw.inputs.zones, ["1", "2", "3"]);
        assert.deepEqual(gw.inputs.autoscaleConfiguration, expected.autoscale);
        assert.equal(input(gw, "firewallPolicy.id"), one("ingestion-waf").id);
        assert.equal(gw.inputs.forceFirewallPolicyAssociation, true);
        const subnets = outputs.subnetIds as Record<string, string>;
        assert.equal(
          (gw.inputs.gatewayIPConfigurations as { subnet: { id: string } }[])[0].subnet.id,
          subnets.appGateway,
        );
      });

      it("WAF policy: Prevention mode, body inspection, Default Rule Set 2.1 and Bot Manager 1.1", () => {
        const waf = one("ingestion-waf");
        assert.equal(input(waf, "policySettings.mode"), "Prevention");
        assert.equal(input(waf, "policySettings.state"), "Enabled");
        assert.equal(input(waf, "policySettings.requestBodyCheck"), true);
        assert.deepEqual(input(waf, "managedRules.managedRuleSets"), [
          { ruleSetType: "Microsoft_DefaultRuleSet", ruleSetVersion: "2.1" },
          { ruleSetType: "Microsoft_BotManagerRuleSet", ruleSetVersion: "1.1" },
        ]);
        // Only the payment API's paths reach the app: one custom rule, blocking every other.
        assert.deepEqual(input(waf, "customRules"), [paymentApiPathRule()]);
        // Its logs blank every argument, header and cookie value a triggered rule would record (card numbers included).
        assert.deepEqual(input(waf, "policySettings.logScrubbing"), {
          state: "Enabled",
          scrubbingRules: [
            "RequestJSONArgNames",
            "RequestArgNames",
            "RequestPostArgNames",
            "RequestHeaderNames",
            "RequestCookieNames",
          ].map((matchVariable) => ({ matchVariable, selectorMatchOperator: "EqualsAny", state: "Enabled" })),
        });
      });

      it("serves HTTPS with the TLS 2022 strict policy and a Key Vault certificate read by its own identity", () => {
        const gw = one("ingestion-agw");
        assert.deepEqual(gw.inputs.sslPolicy, { policyType: "Predefined", policyName: "AppGwSslPolicy20220101S" });
        // The platform's main vault (the certificate's), by name: the vaults' registration order is the engine's.
        const vault = byName(resources, "platform-kv");
        const vaultUri = (vault.outputs.properties as { vaultUri: string }).vaultUri;
        assert.deepEqual(gw.inputs.sslCertificates, [
          { name: "api-tls", keyVaultSecretId: `${vaultUri}secrets/agw-payments-api-tls` },
        ]);
        assert.deepEqual(gw.inputs.identity, {
          type: "UserAssigned",
          userAssignedIdentities: [identity("gateway").id],
        });
        const grant = one("ingestion-agw-cert-ra-secrets-user");
        assert.equal(grant.inputs.scope, `${vault.id}/secrets/agw-payments-api-tls`);
        assert.equal(grant.inputs.principalId, identity("gateway").outputs.principalId);
        assert.match(String(grant.inputs.roleDefinitionId), new RegExp(`${BuiltInRoles.KeyVaultSecretsUser}$`));
        // The gateway reads the secret while it is created: it waits for the grant to propagate.
        assert.ok(gw.dependencies.includes(one("ingestion-agw-cert-propagation").urn));
        const [https] = gw.inputs.httpListeners as Record<string, unknown>[];
        assert.equal(https.protocol, "Https");
        assert.match(String((https.sslCertificate as { id: string }).id), /\/sslCertificates\/api-tls$/);
        assert.deepEqual(https.hostNames, expected.hostName ? [expected.hostName] : undefined);
      });

      it("listens on HTTPS only (no port 80, no redirect) and routes it to the payment API's private host name", () => {
        const gw = one("ingestion-agw");
        // A request to http:// would cross the internet in clear text before any redirect: nothing listens there.
        assert.deepEqual(gw.inputs.frontendPorts, [{ name: "https", port: 443 }]);
        assert.deepEqual(
          (gw.inputs.httpListeners as Record<string, unknown>[]).map((l) => l.protocol),
          ["Https"],
        );
        assert.equal(gw.inputs.redirectConfigurations, undefined);
        assert.deepEqual(
          (gw.inputs.requestRoutingRules as Record<string, unknown>[]).map((r) => r.name),
          ["https-to-payment-api"],
        );
        const app = one("ingestion-payapi-app");
        assert.deepEqual(gw.inputs.backendAddressPools, [
          { name: "payment-api", backendAddresses: [{ fqdn: app.outputs.defaultHostName }] },
        ]);
        const [settings] = gw.inputs.backendHttpSettingsCollection as Record<string, unknown>[];
        assert.deepEqual(
          [settings.protocol, settings.port, settings.pickHostNameFromBackendAddress],
          ["Https", 443, true],
        );
        assert.equal((gw.inputs.probes as { path: string }[])[0].path, "/api/health");
        // The gateway outwaits the function (host.json functionTimeout): no 504 for a payment still being inserted.
        const host = JSON.parse(
          fs.readFileSync(path.resolve(__dirname, "..", "pipelines", "functions", "host.json"), "utf8"),
        ) as { functionTimeout: string };
        const [h, m, sec] = host.functionTimeout.split(":").map(Number);
        assert.ok(Number(settings.requestTimeout) > h * 3600 + m * 60 + sec, String(settings.requestTimeout));
      });

      it("public IP: Standard, zone-redundant, with DDoS IP Protection of its own (prod)", () => {
        const pip = one("ingestion-agw-pip");
        assert.deepEqual(pip.inputs.zones, ["1", "2", "3"]);
        // prod: ddosProtectionMode ip (docs/cost.md); dev: no DDoS protection (inherits the VNet's: none).
        assert.deepEqual(pip.inputs.ddosSettings, {
          protectionMode: stack === "prod" ? "Enabled" : "VirtualNetworkInherited",
        });
        assert.equal(ofType(resources, "azure-native:network:DdosProtectionPlan").length, 0, "no plan in either stack");
      });

      it("public IP: the address merchants' DNS points to is protected and locked against deletion in prod only", () => {
        const pip = one("ingestion-agw-pip");
        assert.equal(pip.protect, stack === "prod");
        const locks = ofType(resources, "azure-native:authorization:ManagementLockByScope").filter(
          (l) => l.inputs.scope === pip.id,
        );
        assert.deepEqual(
          locks.map((l) => l.inputs.level),
          stack === "prod" ? ["CanNotDelete"] : [],
        );
      });

      it("sends access, performance and firewall logs (allLogs) and metrics to the central workspace", () => {
        const gw = one("ingestion-agw");
        const log = ofType(resources, "azure-native:operationalinsights:Workspace")[0];
        const diag = one("ingestion-agw-diag");
        assert.equal(diag.inputs.resourceUri, gw.id);
        assert.equal(diag.inputs.workspaceId, log.id);
        assert.deepEqual(diag.inputs.logs, [{ categoryGroup: "allLogs", enabled: true }]);
        assert.deepEqual(diag.inputs.metrics, [{ category: "AllMetrics", enabled: true }]);
      });
    });

    describe("function apps", () => {
      for (const [app, key] of [
        ["payapi", "payment-api"],
        ["fraud", "fraud-scoring"],
      ] as const) {
        it(`${app}: hardened Flex Consumption app, private, VNet-integrated, running as its own identity`, () => {
          const site = one(`ingestion-${app}-app`);
          const plan = one(`ingestion-${app}-plan`);
          assert.deepEqual(plan.inputs.sku, { name: "FC1", tier: "FlexConsumption" });
          assert.equal(site.inputs.serverFarmId, plan.id);
          assert.equal(site.inputs.kind, "functionapp,linux");
          assert.equal(site.inputs.httpsOnly, true);
          assert.equal(site.inputs.publicNetworkAccess, "Disabled");
          const hardening = {
            minTlsVersion: "1.2",
            scmMinTlsVersion: "1.2",
            remoteDebuggingEnabled: false,
          };
          // Flex has no FTP and does not accept ftpsState (flex-consumption-plan.md, deprecated properties).
          assert.equal(input(site, "siteConfig.ftpsState"), undefined);
          // Flex has no diagnostic settings (flex-consumption-plan.md): its telemetry goes through Application
          // Insights, workspace-based on the platform workspace.
          assert.equal(
            ofType(resources, "azure-native:monitor:DiagnosticSetting").filter((d) => d.inputs.resourceUri === site.id)
              .length,
            0,
          );
          assert.equal(one(`ingestion-${app}-appi`).inputs.workspaceResourceId, byName(resources, "platform-log").id);
          // The SDK's injected default netFrameworkVersion "v4.6" is rejected by West Europe's Flex stamps (51021).
          assert.equal(input(site, "siteConfig.netFrameworkVersion"), undefined);
          assert.equal(input(site, "siteConfig.localMySqlEnabled"), undefined);
          // Nor the SDK's isXenon/hyperV defaults, not valid on Flex (functions-app-settings, Flex deprecations).
          assert.deepEqual([input(site, "isXenon"), input(site, "hyperV")], [undefined, undefined]);
          for (const [key, value] of Object.entries(hardening))
            assert.equal(input(site, `siteConfig.${key}`), value, key);
          assert.equal(
            input(site, "siteConfig.cors"),
            undefined,
            "no CORS (Flex does not support it; server-to-server API)",
          );
          assert.equal(site.inputs.virtualNetworkSubnetId, (outputs.subnetIds as Record<string, string>).flexFunctions);
          assert.deepEqual(site.inputs.outboundVnetRouting, { applicationTraffic: true });
          const id = identity(key);
          assert.deepEqual(site.inputs.identity, { type: "UserAssigned", userAssignedIdentities: [id.id] });
          const deployment = input(site, "functionAppConfig.deployment.storage") as Record<string, unknown>;
          const storage = one(`ingestion-${app}-st`);
          assert.equal(
            deployment.value,
            `https://${String(storage.inputs.accountName)}.blob.core.windows.net/app-package`,
          );
          assert.deepEqual(deployment.authentication, {
            type: "UserAssignedIdentity",
            userAssignedIdentityResourceId: id.id,
          });
          assert.deepEqual(input(site, "functionAppConfig.runtime"), { name: "node", version: "22" });
          assert.equal(site.deleteBeforeReplace, true, "one app per Flex plan: a replacement cannot stand beside it");
          for (const policy of ["ftp", "scm"]) assert.equal(one(`ingestion-${app}-app-${policy}`).inputs.allow, false);
          const pe = one(`ingestion-${app}-app-pep`);
          assert.deepEqual((pe.inputs.privateLinkServiceConnections as { groupIds: string[] }[])[0].groupIds, [
            "sites",
          ]);
          // One write at a time on the site (409 "another operation is in progress"): settings, FTP, SCM, endpoint.
          const chain = ["settings", "ftp", "scm", "pep"].map((s) => one(`ingestion-${app}-app-${s}`));
          for (let i = 1; i < chain.length; i++)
            assert.ok(waitsFor(resources, chain[i], chain[i - 1]), `${chain[i].name} after ${chain[i - 1].name}`);
        });

        it(`${app}: identity-based settings only (no keys, no connection string secrets)`, () => {
          const settings = settingsOf(app);
          const id = identity(key);
          assert.equal(settings.AzureWebJobsStorage, undefined);
          assert.equal(settings.AzureWebJobsStorage__credential, "managedidentity");
          assert.equal(settings.AzureWebJobsStorage__clientId, id.outputs.clientId);
          assert.equal(settings.CosmosDb__credential, "managedidentity");
          assert.equal(settings.CosmosDb__accountEndpoint, outputs.cosmosEndpoint);
          assert.match(
            settings.SqlConnection,
            new RegExp(`Active Directory Managed Identity;User Id=${String(id.outputs.clientId)}`),
          );
          assert.match(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING, /Authorization=AAD/);
          assert.equal(settings.FUNCTIONS_APP_ROLE, key);
          for (const [name, value] of Object.entries(settings))
            assert.doesNotMatch(String(value), /AccountKey=|SharedAccessKey=|Password=/i, name);
        });

        it(`${app}: private host storage with blob and table endpoints and only the host roles (no queue)`, () => {
          const storage = one(`ingestion-${app}-st`);
          assert.equal(storage.inputs.allowSharedKeyAccess, false);
          assert.equal(storage.inputs.publicNetworkAccess, "Disabled");
          assert.equal(input(storage, "encryption.requireInfrastructureEncryption"), true);
          // The platform's storage key, as every other account (defence in depth: no cardholder data here).
          assert.equal(input(storage, "encryption.keySource"), "Microsoft.Keyvault");
          assert.equal(input(storage, "encryption.keyVaultProperties.keyName"), "cmk-storage");
          for (const service of ["blob", "table"]) {
            const pe = one(`ingestion-${app}-st-${service}-pep`);
            assert.deepEqual((pe.inputs.privateLinkServiceConnections as { groupIds: string[] }[])[0].groupIds, [
              service,
            ]);
          }
          // Only the blob trigger and Durable Functions use the host's queues; these apps use neither.
          assert.equal(
            resources.filter((r) => r.name.startsWith(`ingestion-${app}-st-queue`)).length,
            0,
            "no queue endpoint or diagnostic setting",
          );
          const grants = ofType(resources, "azure-native:authorization:RoleAssignment").filter((r) =>
            r.name.startsWith(`ingestion-${app}-st-ra-`),
          );
          // Storage Blob Data Owner and Storage Table Data Contributor; never Queue Data Contributor (974c5e8b-…).
          assert.deepEqual(grants.map((g) => String(g.inputs.roleDefinitionId).split("/").pop()).sort(), [
            "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
            "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
          ]);
          assert.deepEqual(
            Object.values(HOST_STORAGE_ROLES).sort(),
            grants.map((g) => String(g.inputs.roleDefinitionId).split("/").pop()).sort(),
          );
          for (const g of grants) assert.equal(g.inputs.scope, storage.id);
          assert.equal(storage.protect, stack === "prod");
        });

        it(`${app}: workspace-based, private Application Insights linked to the monitor private link scope`, () => {
          const appi = one(`ingestion-${app}-appi`);
          assert.equal(appi.inputs.disableLocalAuth, true);
          assert.equal(appi.inputs.publicNetworkAccessForIngestion, "Disabled");
          assert.equal(
            appi.inputs.workspaceResourceId,
            ofType(resources, "azure-native:operationalinsights:Workspace")[0].id,
          );
          const link = one(`ingestion-${app}-appi-ampls-link`);
          assert.equal(link.inputs.linkedResourceId, appi.id);
        });
      }

      it("keeps the payment API's HTTP group and the scorer's SQL trigger warm as configured", () => {
        const scale = (app: string) => input(one(`ingestion-${app}-app`), "functionAppConfig.scaleAndConcurrency");
        assert.deepEqual(scale("payapi"), {
          instanceMemoryMB: 2048,
          maximumInstanceCount: expected.payMax,
          alwaysReady: [{ name: "http", instanceCount: expected.payReady }],
        });
        // prod's plans are zone-redundant: Azure keeps two always-ready instances in every function group, so the
        // merchant refresh timer's two are declared (after the trigger's group, which the estimator reads first).
        const zoneRedundant = stack === "prod";
        assert.deepEqual((scale("fraud") as { alwaysReady: unknown }).alwaysReady, [
          { name: "function:scorePayment", instanceCount: expected.fraudReady },
          ...(zoneRedundant ? [{ name: "function:refreshMerchantFeatures", instanceCount: 2 }] : []),
        ]);
        for (const app of ["payapi", "fraud"])
          assert.equal(one(`ingestion-${app}-plan`).inputs.zoneRedundant, zoneRedundant, app);
        assert.equal(settingsOf("fraud").Sql_Trigger_PollingIntervalMs, expected.pollingMs);
        // Batches of 100, and an instance added per 100 pending changes (not the default 1,000: ~2.5 s behind at 10K/s).
        assert.equal(settingsOf("fraud").Sql_Trigger_MaxBatchSize, "100");
        assert.equal(settingsOf("fraud").Sql_Trigger_MaxChangesPerWorker, "100");
      });

      it("queues the operations on each app's host storage account: blob service, package container, endpoints", () => {
        // Storage takes one management operation on an account at a time (409 StorageAccountOperationInProgress).
        const prefixes = resources
          .filter((r) => r.type === "azure-native:storage:BlobContainer" && r.name.endsWith("-st-package"))
          .map((r) => r.name.replace(/-package$/, ""));
        assert.ok(prefixes.length >= 2, prefixes.join(", "));
        for (const st of prefixes) {
          const chain = [`${st}-blob`, `${st}-package`, `${st}-blob-pep`, `${st}-table-pep`];
          for (let i = 1; i < chain.length; i++)
            assert.ok(
              byName(resources, chain[i]).dependencies.includes(byName(resources, chain[i - 1]).urn),
              `${chain[i]} waits for ${chain[i - 1]}`,
            );
        }
      });

      it("links the Application Insights components to the scope one at a time, after the scope's endpoint", () => {
        const links = ofType(resources, "azure-native:monitor:PrivateLinkScopedResource");
        assert.equal(links[0].name, "platform-ampls-log");
        for (let i = 1; i < links.length; i++)
          assert.ok(waitsFor(resources, links[i], links[i - 1]), `${links[i].name} waits for ${links[i - 1].name}`);
        // The endpoint is created between the workspace's link and the components' (Azure/bicep#13851).
        const endpoint = byName(resources, "platform-ampls-pep");
        assert.ok(endpoint.dependencies.includes(links[0].urn), "the scope's endpoint waits for the workspace link");
        assert.ok(waitsFor(resources, links[1], endpoint), "component links wait for the scope's endpoint");
      });

      it("gives each app exactly the Cosmos DB containers it writes, with only the item operations its code performs", () => {
        const grants = ofType(resources, "azure-native:cosmosdb:SqlResourceSqlRoleAssignment");
        const definitions = ofType(resources, "azure-native:cosmosdb:SqlResourceSqlRoleDefinition");
        const ITEMS = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items";
        const META = "Microsoft.DocumentDB/databaseAccounts/readMetadata";
        // Never Data Contributor (delete, query, change feed, stored procedures): the code does none of them.
        const expected = {
          paymentApi: { api_logs: [META, `${ITEMS}/upsert`] },
          fraudScoring: {
            fraud_features: [META, `${ITEMS}/read`, `${ITEMS}/create`, `${ITEMS}/replace`, `${ITEMS}/upsert`],
            webhook_events: [META, `${ITEMS}/create`],
          },
        };
        for (const [app, key] of [
          ["paymentApi", "payment-api"],
          ["fraudScoring", "fraud-scoring"],
        ] as const) {
          const all = grants.filter((g) => g.inputs.principalId === identity(key).outputs.principalId);
          // Beside its containers, each app reads the account's metadata only (custom readMetadata role).
          const mine = all.filter((g) => String(g.inputs.scope).includes("/colls/"));
          assert.deepEqual(
            all.filter((g) => !mine.includes(g)).map((g) => g.name),
            [`nosql-metadata-${key}`],
          );
          const actions = Object.fromEntries(
            mine.map((g) => {
              const definition = definitions.find((d) => d.id === g.inputs.roleDefinitionId);
              assert.ok(definition, `${g.name}: a custom role of the account, not a built-in one`);
              assert.equal(definition.inputs.type, "CustomRole");
              const perms = definition.inputs.permissions as { dataActions: string[] }[];
              return [String(g.inputs.scope).split("/colls/")[1], perms.flatMap((p) => p.dataActions)];
            }),
          );
          assert.deepEqual(actions, expected[app]);
          assert.deepEqual(
            containersOf(CONTAINER_ACCESS[app]).map(
              (c) =>
                ({ apiLogs: "api_logs", fraudFeatures: "fraud_features", webhookEvents: "webhook_events" })[
                  c as string
                ],
            ),
            Object.keys(expected[app]),
          );
          // The app starts after every grant its code needs (a first request would otherwise meet a 403).
          const site = byName(resources, `ingestion-${app === "paymentApi" ? "payapi" : "fraud"}-app`);
          for (const g of all) assert.ok(site.dependencies.includes(g.urn), `${g.name} before ${site.name}`);
        }
        const scoring = ofType(resources, "azure-native:authorization:RoleAssignment").filter(
          (r) => r.inputs.principalId === identity("fraud-scoring").outputs.principalId && /ml/.test(r.name),
        );
        assert.ok(scoring.length > 0, "the scorer's scoring grant");
        for (const g of scoring)
          assert.ok(
            byName(resources, "ingestion-fraud-app").dependencies.includes(g.urn),
            `${g.name} before the scorer`,
          );
      });
    });

    it("lets the fraud scorer's identity call the ML scoring endpoint and nothing else (the ML tier's invoker role)", () => {
      const endpoint = ofType(resources, "azure-native:machinelearningservices:OnlineEndpoint")[0];
      const grants = ofType(resources, "azure-native:authorization:RoleAssignment").filter(
        (r) => r.inputs.principalId === identity("fraud-scoring").outputs.principalId,
      );
      const onEndpoint = grants.filter((g) => g.inputs.scope === endpoint.id);
      assert.equal(onEndpoint.length, 1);
      assert.equal(
        onEndpoint[0].inputs.roleDefinitionId,
        (outputs.fraudScoring as { invokerRoleDefinitionId: string }).invokerRoleDefinitionId,
      );
      assert.equal(
        grants.filter((g) => String(g.inputs.scope).includes("Microsoft.MachineLearningServices")).length,
        1,
        "no other grant in the ML workspace",
      );
      const settings = one("ingestion-fraud-app-settings");
      assert.equal(
        (settings.inputs.properties as Record<string, string>).FRAUD_SCORING_URI,
        (outputs.fraudScoring as { scoringUri: string }).scoringUri,
      );
    });

    it("exports what an operator needs: the gateway's IP, the app names and the identities", () => {
      assert.equal(outputs.apiGatewayPublicIp, one("ingestion-agw-pip").outputs.ipAddress);
      assert.deepEqual(outputs.functionAppNames, {
        paymentApi: one("ingestion-payapi-app").inputs.name,
        fraudScoring: one("ingestion-fraud-app").inputs.name,
      });
      const ids = outputs.functionIdentities as Record<string, { principalId: string }>;
      assert.equal(ids.fraudScoring.principalId, identity("fraud-scoring").outputs.principalId);
    });
  });
}

describe("ingestion: merchants authenticated with client certificates (mutual TLS at the gateway)", () => {
  let resources: ResourceRecord[];
  let preview: Awaited<ReturnType<typeof previewStack>>;
  const pem = fs.readFileSync(path.join(__dirname, "fixtures/certs/merchant-ca.pem"), "utf8");
  before(async function () {
    this.timeout(300_000);
    // dev's stack file with one merchant authority, as an operator would add it.
    preview = await previewEdited("dev", (config) => {
      const { gateway } = config["payments-data-platform:ingestion"] as { gateway: Record<string, unknown> };
      gateway.merchantCertificateAuthorities = [{ name: "merchant-ca", certificate: pem }];
      gateway.paymentApiDeploySources = ["10.40.0.0/27"];
    });
    resources = preview.run.resources;
  });

  it("trusts the configured authority (base64 of its PEM file) in an SSL profile the HTTPS listener uses", () => {
    const gw = byName(resources, "ingestion-agw");
    const trusted = gw.inputs.trustedClientCertificates as { name: string; data: string }[];
    assert.deepEqual(
      trusted.map((t) => t.name),
      ["merchant-ca"],
    );
    assert.equal(Buffer.from(trusted[0].data, "base64").toString("utf8").trim(), pem.trim());
    const profiles = gw.inputs.sslProfiles as {
      name: string;
      clientAuthConfiguration: Record<string, unknown>;
      trustedClientCertificates: { id: string }[];
      sslPolicy: Record<string, unknown>;
    }[];
    assert.deepEqual(profiles[0].clientAuthConfiguration, {
      verifyClientCertIssuerDN: true,
      verifyClientRevocation: "OCSP",
    });
    assert.match(profiles[0].trustedClientCertificates[0].id, /\/trustedClientCertificates\/merchant-ca$/);
    assert.deepEqual(profiles[0].sslPolicy, gw.inputs.sslPolicy, "the profile keeps the gateway's TLS policy");
    const https = (gw.inputs.httpListeners as { name: string; sslProfile?: { id: string } }[]).find(
      (l) => l.name === "https",
    );
    assert.match(String(https?.sslProfile?.id), /\/sslProfiles\/merchant-mtls$/);
  });

  it("sets the client certificate's verification and subject on every API request, over what a client sent", () => {
    const gw = byName(resources, "ingestion-agw");
    const rules = gw.inputs.requestRoutingRules as { name: string; rewriteRuleSet?: { id: string } }[];
    assert.match(
      String(rules.find((r) => r.name === "https-to-payment-api")?.rewriteRuleSet?.id),
      /\/rewriteRuleSets\/merchant-identity$/,
    );
    const sets = gw.inputs.rewriteRuleSets as {
      name: string;
      rewriteRules: { actionSet: { requestHeaderConfigurations: { headerName: string; headerValue: string }[] } }[];
    }[];
    assert.deepEqual(
      sets.find((s) => s.name === "merchant-identity")?.rewriteRules[0].actionSet.requestHeaderConfigurations,
      Object.values(MERCHANT_CERTIFICATE_HEADERS).map((h) => ({ headerName: h.header, headerValue: h.variable })),
    );
    // Spelled out: the verification result and the subject (never the issuer, which every merchant shares).
    assert.deepEqual(
      sets.map((s) => s.name),
      ["merchant-identity"],
    );
    assert.equal(sets[0].rewriteRules.length, 1);
    assert.deepEqual(sets[0].rewriteRules[0].actionSet.requestHeaderConfigurations, [
      { headerName: "X-Client-Certificate-Verification", headerValue: "{var_client_certificate_verification}" },
      { headerName: "X-Client-Certificate-Subject", headerValue: "{var_client_certificate_subject}" },
    ]);
  });

  it("lets only the gateway and the deploy runners reach the payment API's private endpoint, so no one forges the headers", () => {
    const asg = byName(resources, "platform-asg-payapi");
    const pep = byName(resources, "ingestion-payapi-app-pep");
    assert.deepEqual(pep.inputs.applicationSecurityGroups, [{ id: asg.id }]);
    assert.equal(byName(resources, "ingestion-fraud-app-pep").inputs.applicationSecurityGroups, undefined);
    const rules = byName(resources, "platform-nsg-privateEndpoints").inputs.securityRules as Record<string, unknown>[];
    const [allow, deny] = rules.filter((r) =>
      JSON.stringify(r.destinationApplicationSecurityGroups ?? []).includes(String(asg.id)),
    );
    assert.deepEqual(
      [allow.access, allow.priority, allow.destinationPortRange, allow.sourceAddressPrefixes],
      ["Allow", 100, "443", [configOf("dev").subnets.appGateway, "10.40.0.0/27"]],
    );
    assert.deepEqual([deny.access, deny.priority, deny.sourceAddressPrefix], ["Deny", 110, "*"]);
    // Both come before the subnet's general allow from the VNet, moved to 200; every priority is one Azure accepts.
    assert.ok(rules.some((r) => r.name === "allow-vnet-to-private-endpoints" && r.priority === 200));
    for (const r of rules) assert.ok(Number(r.priority) >= 100 && Number(r.priority) <= 4096, String(r.name));
  });

  it("switches the app to certificate mode only after the gateway that rewrites the headers (first deploy included)", () => {
    const settings = byName(resources, "ingestion-payapi-app-settings");
    const gateway = byName(resources, "ingestion-agw");
    assert.ok(settings.dependencies.includes(gateway.urn));
    // The gateway itself waits for the app's private endpoint and DNS (its probe reaches the app through them), so
    // the settings come last then: after the endpoint, not before it as usual.
    for (const r of ["ingestion-payapi-app-pep", "ingestion-payapi-app-pep-dns"]) {
      assert.ok(gateway.dependencies.includes(byName(resources, r).urn), `gateway after ${r}`);
      assert.ok(settings.dependencies.includes(byName(resources, r).urn), `settings after ${r}`);
    }
    assert.ok(!byName(resources, "ingestion-payapi-app-ftp").dependencies.includes(settings.urn));
    assertChainedPairwise(["app-ftp", "app-scm", "app-pep"].map((s) => byName(resources, `ingestion-payapi-${s}`)));
    assert.ok(
      !byName(resources, "ingestion-fraud-app-settings").dependencies.includes(byName(resources, "ingestion-agw").urn),
    );
  });

  it("tells the payment API to require the certificate, passes the pack's rule and Microsoft's schema", () => {
    const settings = byName(resources, "ingestion-payapi-app-settings").inputs.properties as Record<string, string>;
    assert.equal(settings.MERCHANT_AUTHENTICATION, "client-certificate");
    assert.deepEqual(
      preview.verdict.violations.filter(
        (v) => v.policy === "azure-native-network-applicationgateway-require-client-certificate-authentication",
      ),
      [],
    );
    assert.ok(
      (preview.verdict.evaluated["azure-native-network-applicationgateway-require-client-certificate-authentication"] ??
        0) > 0,
      "evaluated, not skipped",
    );
    assert.deepEqual(preview.schema?.errors ?? [], []);
    // Turning it on breaks no other rule (the endpoint's NSG rules, the SSL profile, the rewrite).
    assert.deepEqual(
      preview.verdict.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy),
      [],
    );
  });
});
