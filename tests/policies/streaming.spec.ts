import { strict as assert } from "node:assert";
import {
  asaDatasourceAuth,
  asaIdentity,
  asaJobStorage,
  eventHubCmk,
  eventHubRetention,
  eventHubLocalAuth,
  eventHubNetwork,
  eventHubTls,
  streamingPolicies,
  webBasicAuth,
  webBasicAuthCoverage,
  webFtp,
  webHttpsOnly,
  webIdentity,
  webPublicAccess,
  webTls,
  webVnet,
  webSettingsNoSecrets,
  asaGenericJob,
} from "../../policies/rules/streaming";
import { POLICY_NAME } from "../../policies/lib/policy";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import {
  appSettings,
  basicAuthPolicy,
  genericStreamingJob,
  eventHubNamespace,
  functionApp,
  streamingJob,
  streamInput,
  streamOutput,
} from "./fixtures/streaming";
import { vault } from "./fixtures/keyvault";
import { armId } from "./fixtures/protection";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, mutate, UNKNOWN } from "./helpers";

const ns = eventHubNamespace;
const app = functionApp;

describe("policies/streaming", () => {
  it("exports well-named policies with metadata", () => {
    assert.equal(streamingPolicies.length, 18);
    for (const p of streamingPolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  describe("Event Hubs", () => {
    it("every namespace policy passes the compliant namespace (prod for the CMK rule) and skips vaults", async () => {
      for (const p of [eventHubLocalAuth, eventHubNetwork, eventHubTls]) {
        await expectPass(p, ns());
        await expectNotApplicable(p, vault());
      }
      await expectPass(eventHubCmk, ns("prod"));
      await expectNotApplicable(eventHubCmk, vault("prod"));
    });

    it(`${eventHubLocalAuth.name} fails SAS keys`, () =>
      expectFail(
        eventHubLocalAuth,
        mutate(ns(), "disableLocalAuth", undefined),
        /evhns-pay-dev-weu .*accepts SAS keys \(disableLocalAuth unset, false by default\): set disableLocalAuth to true/,
      ));

    it(`${eventHubNetwork.name} fails public access (absent = Enabled)`, () =>
      expectFail(
        eventHubNetwork,
        mutate(ns(), "publicNetworkAccess", undefined),
        /evhns-pay-dev-weu .*\(publicNetworkAccess unset, "Enabled" by default\): set publicNetworkAccess to "Disabled"/,
      ));

    it(`${eventHubNetwork.name} also checks the namespace's network rule set, which rewrites its network access`, async () => {
      const rules = (publicNetworkAccess: string | undefined) =>
        resourceRecord("azure-native:eventhub:NamespaceNetworkRuleSet", "evhns-pay-dev-weu-net", {
          namespaceName: "evhns-pay-dev-weu",
          resourceGroupName: "rg-pay-dev-weu",
          defaultAction: "Deny",
          trustedServiceAccessEnabled: true,
          ...(publicNetworkAccess ? { publicNetworkAccess } : {}),
        });
      await expectPass(eventHubNetwork, rules("Disabled"));
      await expectFail(
        eventHubNetwork,
        rules("Enabled"),
        /evhns-pay-dev-weu-net .*\(publicNetworkAccess "Enabled"\): set publicNetworkAccess/,
      );
      await expectFail(eventHubNetwork, rules(undefined), /publicNetworkAccess unset, "Enabled" by default/);
    });

    it(`${eventHubNetwork.name} fails SecuredByPerimeter, which keeps a public endpoint the perimeter's rules govern`, async () => {
      await expectFail(
        eventHubNetwork,
        mutate(ns(), "publicNetworkAccess", "SecuredByPerimeter"),
        /evhns-pay-dev-weu .*\(publicNetworkAccess "SecuredByPerimeter", governed by a network security perimeter's access rules the pack does not check\): set publicNetworkAccess to "Disabled"/,
      );
    });

    it(`${eventHubTls.name} fails TLS 1.0 and absent`, async () => {
      await expectFail(
        eventHubTls,
        mutate(ns(), "minimumTlsVersion", "1.0"),
        /evhns-pay-dev-weu .*'1\.0': set minimumTlsVersion to "1\.2"/,
      );
      await expectFail(eventHubTls, mutate(ns(), "minimumTlsVersion", undefined), /'unset'/);
    });

    describe(eventHubRetention.name, () => {
      /** The program's api-logs hub (components/streaming/eventHubs.ts): delete after 72 hours. */
      const hub = (retentionDescription?: unknown, messageRetentionInDays?: number) =>
        resourceRecord("azure-native:eventhub:EventHub", "streaming-evh-api-logs", {
          eventHubName: "api-logs",
          namespaceName: "evhns-pay-dev-weu",
          resourceGroupName: "rg-pay-dev-weu-streaming",
          partitionCount: 4,
          ...(retentionDescription === undefined ? {} : { retentionDescription }),
          ...(messageRetentionInDays === undefined ? {} : { messageRetentionInDays }),
        });
      it("passes a delete policy within the maximum (hours, or the older days)", async () => {
        await expectPass(eventHubRetention, hub({ cleanupPolicy: "Delete", retentionTimeInHours: 72 }));
        await expectPass(eventHubRetention, hub(undefined, 7));
      });
      it("fails a retention over maxRetentionHours", async () => {
        await expectFail(
          eventHubRetention,
          hub({ cleanupPolicy: "Delete", retentionTimeInHours: 720 }),
          /streaming-evh-api-logs .*keeps events 720 hours, more than the 168 allowed \(maxRetentionHours\)/,
        );
        await expectFail(
          eventHubRetention,
          hub({ cleanupPolicy: "Delete", retentionTimeInHours: 72 }),
          /keeps events 72 hours, more than the 24 allowed/,
          { maxRetentionHours: 24 },
        );
      });
      it("fails log compaction and an unset retention", async () => {
        await expectFail(
          eventHubRetention,
          hub({ cleanupPolicy: "Compact", tombstoneRetentionTimeInHours: 24 }),
          /compacts its log \(retentionDescription\.cleanupPolicy "Compact"\): the latest event of each key stays with no time limit/,
        );
        await expectFail(eventHubRetention, hub(), /sets no retention \(the service default applies\)/);
      });
      it("cannot decide while the retention is unknown", () =>
        expectUndecided(eventHubRetention, hub({ cleanupPolicy: "Delete", retentionTimeInHours: UNKNOWN })));
      it("is not applicable to the namespace", () => expectNotApplicable(eventHubRetention, ns()));
    });

    describe(eventHubCmk.name, () => {
      it("fails Microsoft-managed keys on Premium in prod", () =>
        expectFail(
          eventHubCmk,
          mutate(ns("prod"), "encryption", undefined),
          /evhns-pay-dev-weu .*Microsoft-managed keys in stack 'prod': set encryption\.keySource to "Microsoft\.KeyVault"/,
        ));
      it("fails a CMK without a key name", () =>
        expectFail(
          eventHubCmk,
          mutate(ns("prod"), "encryption.keyVaultProperties.0.keyName", undefined),
          /names no key/,
        ));
      it("fails a CMK without infrastructure encryption (its remediation asks for both)", async () => {
        for (const value of [undefined, false])
          await expectFail(
            eventHubCmk,
            mutate(ns("prod"), "encryption.requireInfrastructureEncryption", value),
            /evhns-pay-dev-weu .*has no infrastructure encryption: set encryption\.requireInfrastructureEncryption to true/,
          );
      });
      it("passes a key URI unknown during preview", () =>
        expectPass(eventHubCmk, mutate(ns("prod"), "encryption.keyVaultProperties.0.keyVaultUri", UNKNOWN)));
      it("fails a Standard namespace in prod, which cannot hold a customer-managed key (the SKU would turn the rule off)", async () => {
        await expectFail(
          eventHubCmk,
          mutate(mutate(ns("prod"), "sku.name", "Standard"), "encryption", undefined),
          /evhns-pay-dev-weu .*is "Standard" in stack 'prod', which cannot encrypt with a customer-managed key: use the Premium SKU/,
        );
        await expectFail(eventHubCmk, mutate(ns("prod"), "sku", undefined), /is "Standard" in stack 'prod'/);
      });
      it("is not applicable outside prodStacks, whatever the SKU", async () => {
        await expectNotApplicable(eventHubCmk, mutate(ns("dev"), "encryption", undefined));
        await expectNotApplicable(
          eventHubCmk,
          mutate(mutate(ns("dev"), "sku.name", "Standard"), "encryption", undefined),
        );
      });
      it("applies to a namespace on a dedicated cluster", () =>
        expectFail(
          eventHubCmk,
          mutate(mutate(mutate(ns("prod"), "sku.name", "Standard"), "clusterArmId", UNKNOWN), "encryption", undefined),
          /Microsoft-managed keys/,
        ));
      it("honours prodStacks", () =>
        expectFail(eventHubCmk, mutate(ns("dev"), "encryption", undefined), /Microsoft-managed keys/, {
          prodStacks: ["dev"],
        }));
    });
  });

  describe("Stream Analytics", () => {
    describe(asaIdentity.name, () => {
      it("passes the compliant job", () => expectPass(asaIdentity, streamingJob()));
      it("fails a job without identity", () =>
        expectFail(
          asaIdentity,
          mutate(streamingJob(), "identity", undefined),
          /asa-pay-dev-weu .*set identity\.type to "SystemAssigned"/,
        ));
      it("fails identity type None", () =>
        expectFail(asaIdentity, mutate(streamingJob(), "identity.type", "None"), /no managed identity/));
      it("is not applicable to inputs", () => expectNotApplicable(asaIdentity, streamInput()));
    });

    describe(asaJobStorage.name, () => {
      it("passes the compliant job", () => expectPass(asaJobStorage, streamingJob()));
      it("fails the system storage account by default", () =>
        expectFail(
          asaJobStorage,
          mutate(mutate(streamingJob(), "contentStoragePolicy", undefined), "jobStorageAccount", undefined),
          /asa-pay-dev-weu .*system account: set contentStoragePolicy to "JobStorageAccount"/,
        ));
      it("fails JobStorageAccount without jobStorageAccount", () =>
        expectFail(asaJobStorage, mutate(streamingJob(), "jobStorageAccount", undefined), /without jobStorageAccount/));
      it("fails key authentication to job storage", () =>
        expectFail(
          asaJobStorage,
          mutate(
            mutate(streamingJob(), "jobStorageAccount.authenticationMode", "ConnectionString"),
            "jobStorageAccount.accountKey",
            "k3y",
          ),
          /asa-pay-dev-weu .*with a key: set jobStorageAccount\.authenticationMode to "Msi"/,
        ));
      it("fails an absent authenticationMode (ConnectionString default)", () =>
        expectFail(
          asaJobStorage,
          mutate(streamingJob(), "jobStorageAccount.authenticationMode", undefined),
          /authenticationMode to "Msi"/,
        ));
      it("honours requireJobStorageAccount", () =>
        expectPass(
          asaJobStorage,
          mutate(mutate(streamingJob(), "contentStoragePolicy", "SystemAccount"), "jobStorageAccount", undefined),
          { requireJobStorageAccount: false },
        ));
      it("is not applicable to outputs", () => expectNotApplicable(asaJobStorage, streamOutput()));
    });

    describe(asaDatasourceAuth.name, () => {
      it("passes the job's inline inputs/outputs and the standalone input and output", async () => {
        await expectPass(asaDatasourceAuth, streamingJob());
        await expectPass(asaDatasourceAuth, streamInput());
        await expectPass(asaDatasourceAuth, streamOutput());
      });
      it("fails an inline Event Hubs input with a SAS key", () =>
        expectFail(
          asaDatasourceAuth,
          mutate(streamingJob(), "inputs.0.properties.datasource.sharedAccessPolicyKey", "k3y"),
          /asa-pay-dev-weu .*inputs\[api-logs\]\.properties\.datasource: 'Microsoft\.EventHub\/EventHub' data source stores sharedAccessPolicyKey/,
        ));
      it("fails an inline blob output with an account key", () =>
        expectFail(
          asaDatasourceAuth,
          mutate(streamingJob(), "outputs.0.datasource.storageAccounts.0.accountKey", "k3y"),
          /outputs\[archive\]\.datasource: .*storageAccounts\[\]\.accountKey/,
        ));
      it("fails a standalone input left at ConnectionString", () =>
        expectFail(
          asaDatasourceAuth,
          mutate(streamInput(), "properties.datasource.authenticationMode", undefined),
          /asa-pay-dev-weu-webhooks .*properties\.datasource: .*'ConnectionString \(default\)': set authenticationMode to "Msi"/,
        ));
      it("reads a data source's type as Azure does, whatever its case", () =>
        expectFail(
          asaDatasourceAuth,
          mutate(
            mutate(streamInput(), "properties.datasource.authenticationMode", undefined),
            "properties.datasource.type",
            "microsoft.eventhub/eventhub",
          ),
          /'ConnectionString \(default\)': set authenticationMode to "Msi"/,
        ));
      it("fails a Synapse output with a password", () =>
        expectFail(
          asaDatasourceAuth,
          mutate(streamOutput(), "datasource", {
            type: "Microsoft.Sql/Server/DataWarehouse",
            server: "synw-pay-dev-weu",
            database: "syndp",
            user: "asa",
            password: "p4ss",
          }),
          /asa-pay-dev-weu-sql .*'Microsoft\.Sql\/Server\/DataWarehouse' data source stores password/,
        ));
      it("fails a SQL output with UserToken", () =>
        expectFail(
          asaDatasourceAuth,
          mutate(streamOutput(), "datasource.authenticationMode", "UserToken"),
          /'UserToken'/,
        ));
      it("is not applicable to a job without inline inputs/outputs, or to namespaces", async () => {
        await expectNotApplicable(
          asaDatasourceAuth,
          mutate(mutate(streamingJob(), "inputs", undefined), "outputs", undefined),
        );
        await expectNotApplicable(asaDatasourceAuth, ns());
      });
    });
  });

  describe("App Service / Functions", () => {
    it("every web app policy passes the compliant function app and skips namespaces", async () => {
      for (const p of [webHttpsOnly, webTls, webFtp, webPublicAccess, webVnet, webIdentity]) {
        await expectPass(p, app());
        await expectNotApplicable(p, ns());
      }
    });
    it("the web rules check a deployment slot as a site of its own", async () => {
      const slot = (r: ReturnType<typeof app>) => ({
        ...r,
        type: "azure-native:web:WebAppSlot",
        urn: r.urn.replace("azure-native:web:WebApp::", "azure-native:web:WebAppSlot::"),
        name: `${r.name}-staging`,
      });
      await expectPass(webHttpsOnly, slot(app()));
      await expectFail(
        webHttpsOnly,
        slot(mutate(app(), "httpsOnly", false)),
        /func-pay-dev-weu-staging .*set httpsOnly to true/,
      );
      await expectFail(webPublicAccess, slot(mutate(app(), "publicNetworkAccess", "Enabled")), /is publicly reachable/);
      await expectFail(webTls, slot(mutate(app(), "siteConfig.minTlsVersion", "1.0")), /minTlsVersion is '1\.0'/);
      await expectFail(
        webSettingsNoSecrets,
        slot(
          mutate(app(), "siteConfig.appSettings", [
            {
              name: "EventHubs",
              value: "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=abc",
            },
          ]),
        ),
        /func-pay-dev-weu-staging/,
      );
    });
    it(`${webHttpsOnly.name} fails when absent`, () =>
      expectFail(webHttpsOnly, mutate(app(), "httpsOnly", undefined), /func-pay-dev-weu .*set httpsOnly to true/));
    it(`${webTls.name} fails TLS 1.1 and an absent SCM minimum`, async () => {
      await expectFail(
        webTls,
        mutate(app(), "siteConfig.minTlsVersion", "1.1"),
        /func-pay-dev-weu .*siteConfig\.minTlsVersion is '1\.1': set siteConfig\.minTlsVersion to "1\.2"/,
      );
      await expectFail(
        webTls,
        mutate(app(), "siteConfig.scmMinTlsVersion", undefined),
        /siteConfig\.scmMinTlsVersion is 'unset'/,
      );
    });
    it(`${webFtp.name} fails FTPS-only and absent`, async () => {
      await expectFail(
        webFtp,
        mutate(app(), "siteConfig.ftpsState", "FtpsOnly"),
        /func-pay-dev-weu .*'FtpsOnly'\): set siteConfig\.ftpsState to "Disabled"/,
      );
      await expectFail(webFtp, mutate(app(), "siteConfig", undefined), /allows FTP \('unset'\)/);
    });
    it(`${webFtp.name}: a Flex Consumption app passes without ftpsState and fails with it (Flex does not support it)`, async () => {
      const flex = mutate(
        mutate(app(), "functionAppConfig", { runtime: { name: "node", version: "20" } }),
        "siteConfig.ftpsState",
        undefined,
      );
      await expectPass(webFtp, flex);
      await expectFail(
        webFtp,
        mutate(flex, "siteConfig.ftpsState", "Disabled"),
        /func-pay-dev-weu .*is a Flex Consumption app and sets siteConfig\.ftpsState, which Flex does not support: remove it/,
      );
    });
    it(`${webPublicAccess.name} fails when absent and accepts the siteConfig property`, async () => {
      await expectFail(
        webPublicAccess,
        mutate(app(), "publicNetworkAccess", undefined),
        /func-pay-dev-weu .*set publicNetworkAccess to "Disabled"/,
      );
      await expectPass(
        webPublicAccess,
        mutate(mutate(app(), "publicNetworkAccess", ""), "siteConfig.publicNetworkAccess", "Disabled"),
      );
      // The site-level value wins: Enabled there is public whatever siteConfig says.
      await expectFail(
        webPublicAccess,
        mutate(mutate(app(), "publicNetworkAccess", "Enabled"), "siteConfig.publicNetworkAccess", "Disabled"),
        /func-pay-dev-weu .*is publicly reachable/,
      );
    });
    describe(webVnet.name, () => {
      it("fails without VNet integration", () =>
        expectFail(
          webVnet,
          mutate(app(), "virtualNetworkSubnetId", undefined),
          /func-pay-dev-weu .*set virtualNetworkSubnetId/,
        ));
      it("fails without route-all", () =>
        expectFail(
          webVnet,
          mutate(app(), "outboundVnetRouting", undefined),
          /func-pay-dev-weu .*set outboundVnetRouting\.applicationTraffic to true/,
        ));
      it("accepts the older siteConfig.vnetRouteAllEnabled", () =>
        expectPass(
          webVnet,
          mutate(mutate(app(), "outboundVnetRouting", undefined), "siteConfig.vnetRouteAllEnabled", true),
        ));
    });
    it(`${webIdentity.name} fails without identity`, () =>
      expectFail(webIdentity, mutate(app(), "identity", undefined), /func-pay-dev-weu .*no managed identity/));

    describe(webBasicAuth.name, () => {
      it("passes allow false on both types", async () => {
        await expectPass(webBasicAuth, basicAuthPolicy("WebAppFtpAllowed", app()));
        await expectPass(webBasicAuth, basicAuthPolicy("WebAppScmAllowed", app()));
      });
      it("fails allow true", () =>
        expectFail(
          webBasicAuth,
          basicAuthPolicy("WebAppScmAllowed", app(), true),
          /func-pay-dev-weu-scm .*WebAppScmAllowed\) allows basic-auth publishing credentials: set allow to false/,
        ));
      it("fails a deployment slot's FTP or SCM policy that allows basic auth, passes one that does not", async () => {
        for (const type of ["WebAppFtpAllowedSlot", "WebAppScmAllowedSlot"]) {
          const slotPolicy = (allow: boolean) =>
            resourceRecord(`azure-native:web:${type}`, `func-pay-dev-weu-staging-${type}`, {
              resourceGroupName: "rg-pay-dev-weu",
              name: "func-pay-dev-weu",
              slot: "staging",
              allow,
            });
          await expectFail(webBasicAuth, slotPolicy(true), new RegExp(`${type}\\) allows basic-auth publishing`));
          await expectPass(webBasicAuth, slotPolicy(false));
        }
      });
      it("is not applicable to the app itself", () => expectNotApplicable(webBasicAuth, app()));
    });

    describe(`${webBasicAuthCoverage.name} (deployment slots)`, () => {
      // Deployed: the app's name and the slot's are path inputs, not outputs; the ids place the slot and its policies.
      const SITE = `/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-pay-dev-weu/providers/Microsoft.Web/sites/func-pay-dev-weu`;
      const slot = resourceRecord(
        "azure-native:web:WebAppSlot",
        "func-pay-dev-weu-staging",
        { resourceGroupName: "rg-pay-dev-weu", name: "func-pay-dev-weu", slot: "staging", location: "westeurope" },
        { id: `${SITE}/slots/staging` },
      );
      const slotPolicy = (type: string, slotName: string, allow = false) =>
        resourceRecord(
          `azure-native:web:${type}`,
          `func-pay-dev-weu-${slotName}-${type}`,
          { resourceGroupName: "rg-pay-dev-weu", name: "func-pay-dev-weu", slot: slotName, allow },
          {
            id: `${SITE}/slots/${slotName}/basicPublishingCredentialsPolicies/${type.startsWith("WebAppFtp") ? "ftp" : "scm"}`,
          },
        );
      it("fails a slot without its own FTP and SCM policies, naming both", async () => {
        const r = await evaluatePolicy(webBasicAuthCoverage, [slot]);
        assert.deepEqual(
          r.messages.map((m) => /has no (\w+) with allow false: .*and slot from the slot's/.exec(m)?.[1]),
          ["WebAppFtpAllowedSlot", "WebAppScmAllowedSlot"],
        );
      });
      it("passes a slot with both policies disabled; another slot's policies or an enabled one do not count", async () => {
        await expectPass(webBasicAuthCoverage, [
          slot,
          slotPolicy("WebAppFtpAllowedSlot", "staging"),
          slotPolicy("WebAppScmAllowedSlot", "staging"),
        ]);
        await expectFail(
          webBasicAuthCoverage,
          [slot, slotPolicy("WebAppFtpAllowedSlot", "staging"), slotPolicy("WebAppScmAllowedSlot", "canary")],
          /func-pay-dev-weu-staging .*has no WebAppScmAllowedSlot with allow false/,
        );
        await expectFail(
          webBasicAuthCoverage,
          [slot, slotPolicy("WebAppFtpAllowedSlot", "staging", true), slotPolicy("WebAppScmAllowedSlot", "staging")],
          /has no WebAppFtpAllowedSlot with allow false/,
        );
      });
    });

    describe(webBasicAuthCoverage.name, () => {
      const complete = () => [
        app(),
        basicAuthPolicy("WebAppFtpAllowed", app()),
        basicAuthPolicy("WebAppScmAllowed", app()),
      ];
      it("passes when both policies reference the app (by URN, name unknown)", () =>
        expectPass(webBasicAuthCoverage, complete()));
      const RG_ID = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-pay-dev-weu";
      it("matches by id once deployed (the app's name is a path input of the policies, not an output)", () =>
        expectPass(
          webBasicAuthCoverage,
          complete().map((r, i) =>
            i === 0
              ? { ...r, outputs: { ...r.outputs, id: `${RG_ID}/providers/Microsoft.Web/sites/func-pay-dev-weu` } }
              : { ...mutate(r, "name", String(app().outputs.name)), propertyDependencies: {} },
          ),
        ));
      it("fails a missing SCM policy, naming the app's URN", async () => {
        const r = await expectFail(
          webBasicAuthCoverage,
          complete().slice(0, 2),
          /func-pay-dev-weu \(urn:pulumi:dev::payments-data-platform::azure-native:web:WebApp::func-pay-dev-weu\) has no WebAppScmAllowed with allow false/,
        );
        assert.equal(r.violations[0].urn, app().urn);
      });
      it("does not count a policy that only depends on the app but names another app", () =>
        expectFail(
          webBasicAuthCoverage,
          [
            app(),
            basicAuthPolicy("WebAppFtpAllowed", app()),
            // Sequenced after the app (dependsOn), but for another site.
            {
              ...mutate(basicAuthPolicy("WebAppScmAllowed", app()), "name", "func-pay-other-weu"),
              propertyDependencies: {},
              dependencies: [app().urn],
            },
          ],
          /func-pay-dev-weu .*has no WebAppScmAllowed with allow false/,
        ));
      it("matches deployed policies by id (their name output is then just ftp/scm), not another app's", async () => {
        const appId = armId("Microsoft.Web", "sites/func-pay-dev-weu");
        const deployedApp = { ...app(), outputs: { ...app().outputs, id: appId } };
        const deployed = (type: "WebAppFtpAllowed" | "WebAppScmAllowed", siteId: string) => {
          const kind = type === "WebAppFtpAllowed" ? "ftp" : "scm";
          const p = basicAuthPolicy(type, app());
          return {
            ...p,
            outputs: { ...p.outputs, name: kind, id: `${siteId}/basicPublishingCredentialsPolicies/${kind}` },
          };
        };
        await expectPass(webBasicAuthCoverage, [
          deployedApp,
          { ...deployed("WebAppFtpAllowed", appId.toUpperCase()), propertyDependencies: {} },
          { ...deployed("WebAppScmAllowed", appId), propertyDependencies: {} },
        ]);
        await expectFail(
          webBasicAuthCoverage,
          [
            deployedApp,
            deployed("WebAppFtpAllowed", appId),
            // Recorded against this app, but deployed on another site.
            deployed("WebAppScmAllowed", armId("Microsoft.Web", "sites/func-pay-dev-weu-2")),
          ],
          /func-pay-dev-weu .*has no WebAppScmAllowed with allow false/,
        );
      });
      it("does not count a policy with allow true", () =>
        expectFail(
          webBasicAuthCoverage,
          [app(), basicAuthPolicy("WebAppFtpAllowed", app(), true), basicAuthPolicy("WebAppScmAllowed", app())],
          /no WebAppFtpAllowed with allow false/,
        ));
      it("reports exempted apps instead of violations", async () => {
        const r = await evaluatePolicy(webBasicAuthCoverage, [app()], {
          exemptions: [{ pattern: "func-*", reason: "RISK-31: legacy deployment pipeline until Q3" }],
        });
        assert.deepEqual(r.messages, []);
        assert.equal(r.exemptions.length, 2);
      });
      it("is not applicable without web apps", () => expectNotApplicable(webBasicAuthCoverage, [ns()]));
    });
  });

  describe("hardening the streaming tier relies on", () => {
    it(`${webSettingsNoSecrets.name}: fails a SQL connection without encryption or certificate validation, and a keyed storage mount`, async () => {
      const sql = (cs: string) => mutate(appSettings(), "properties.SqlConnection", cs);
      const base = "Server=tcp:sql-pay.database.windows.net,1433;Authentication=Active Directory Managed Identity";
      await expectPass(webSettingsNoSecrets, sql(`${base};Encrypt=True;TrustServerCertificate=False`));
      await expectFail(
        webSettingsNoSecrets,
        sql(`${base};Encrypt=False;TrustServerCertificate=True`),
        /allows an unencrypted or unverified SQL connection \(SqlConnection Encrypt=False, SqlConnection TrustServerCertificate=True\)/,
      );
      await expectFail(
        webSettingsNoSecrets,
        mutate(functionApp(), "siteConfig.azureStorageAccounts", {
          share: { type: "AzureFiles", accountName: "st", shareName: "s", mountPath: "/mnt/s", accessKey: "abc==" },
        }),
        /mounts storage with an account key \(siteConfig\.azureStorageAccounts share\.accessKey\)/,
      );
      // The same mount declared as the site's own resource (the late review's nit 8), also on a slot.
      for (const type of [
        "azure-native:web:WebAppAzureStorageAccounts",
        "azure-native:web:WebAppAzureStorageAccountsSlot",
      ])
        await expectFail(
          webSettingsNoSecrets,
          resourceRecord(type, "ingestion-app-mounts", {
            name: "func-pay-dev-weu",
            resourceGroupName: "rg",
            properties: {
              share: { type: "AzureFiles", accountName: "st", shareName: "s", mountPath: "/mnt/s", accessKey: "abc==" },
            },
          }),
          /ingestion-app-mounts .*mounts storage with an account key \(properties share\.accessKey\)/,
        );
    });
    it(`${webSettingsNoSecrets.name}: passes identity-based settings and Key Vault references, fails keys`, async () => {
      await expectPass(webSettingsNoSecrets, appSettings());
      await expectFail(
        webSettingsNoSecrets,
        mutate(
          appSettings(),
          "properties.EventHubs",
          "Endpoint=sb://evhns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc=",
        ),
        /stores keys or passwords in EventHubs: use identity-based settings/,
      );
      // A raw value under a secret-looking name, whatever its shape; a Key Vault reference under that name is fine.
      await expectFail(
        webSettingsNoSecrets,
        mutate(appSettings(), "properties.AZURE_CLIENT_SECRET", "q~8Q~not-a-connection-string"),
        /stores keys or passwords in AZURE_CLIENT_SECRET/,
      );
      await expectPass(
        webSettingsNoSecrets,
        mutate(appSettings(), "properties.AZURE_CLIENT_SECRET", "@Microsoft.KeyVault(SecretUri=https://kv/secrets/x)"),
      );
      // Whole name parts only: platform switches that mention a secret word pass, a real secret name fails.
      await expectPass(
        webSettingsNoSecrets,
        mutate(
          mutate(appSettings(), "properties.AzureWebJobsSecretStorageType", "keyvault"),
          "properties.WEBSITE_AUTH_TOKEN_STORE",
          "true",
        ),
      );
      await expectFail(
        webSettingsNoSecrets,
        mutate(appSettings(), "properties.PARTNER_SAS_TOKEN", "sv=2024&sig=abc"),
        /stores keys or passwords in PARTNER_SAS_TOKEN/,
      );
      // Bare account keys under a key name, and a SAS URL under any name; a Key Vault's address is not a key, nor is
      // the instrumentation key's platform setting. .NET and Node spell names in PascalCase, camelCase, with `__` or
      // `:` sections: the same words are secrets.
      for (const name of [
        "COSMOS_KEY",
        "STORAGE_ACCOUNT_KEY",
        "DbPassword",
        "SQLPassword",
        "StripeApiKey",
        "CosmosKey",
        "CosmosDb__accountKey",
        "WebhookSigningSecret",
        "clientSecret",
        "Sql:Password",
        "partnerAccessToken",
      ])
        await expectFail(
          webSettingsNoSecrets,
          mutate(appSettings(), `properties.${name}`, "c2VjcmV0LWJhc2U2NC1rZXk="),
          new RegExp(`stores keys or passwords in ${name}`),
        );
      await expectFail(
        webSettingsNoSecrets,
        mutate(
          appSettings(),
          "properties.WEBSITE_RUN_FROM_PACKAGE",
          "https://st.blob.core.windows.net/pkg/app.zip?sv=2024-08-04&sr=b&sig=abc%3D",
        ),
        /stores keys or passwords in WEBSITE_RUN_FROM_PACKAGE/,
      );
      await expectFail(
        webSettingsNoSecrets,
        mutate(appSettings(), "properties.PRIMARY_KEY", "c2VjcmV0"),
        /stores keys or passwords in PRIMARY_KEY/,
      );
      await expectFail(
        webSettingsNoSecrets,
        mutate(app(), "siteConfig.appSettings", [{ name: "PaymentProviderSecret", value: "s3cr3t" }]),
        /stores keys or passwords in PaymentProviderSecret/,
      );
      // Names that describe a key, or hold a data key, are not secrets, in any spelling.
      let named = appSettings();
      for (const [name, value] of [
        ["PartitionKey", "/merchantId"],
        ["IdempotencyKey", "Idempotency-Key"],
        ["KeyVaultUri", "https://kv-pay-dev-weu.vault.azure.net/"],
        ["CmkKeyUri", "https://kv/keys/cmk"],
        ["routingKey", "merchant"],
        ["KEY_VAULT_URI", "https://kv-pay-dev-weu.vault.azure.net/"],
        ["APPINSIGHTS_INSTRUMENTATIONKEY", "00000000-0000-0000-0000-000000000000"],
        ["PARTITION_KEY", "/merchantId"],
        ["IDEMPOTENCY_KEY_TTL", "86400"],
        ["COSMOS_PARTITION_KEY_PATH", "/id"],
        ["CMK_KEY_URI", "https://kv/keys/cmk"],
        ["REDIS_KEY_PREFIX", "pay:"],
      ])
        named = mutate(named, `properties.${name}`, value);
      await expectPass(webSettingsNoSecrets, named);
      // The site's own settings and connection strings, and the connection strings resource, are read too.
      await expectPass(webSettingsNoSecrets, app());
      await expectFail(
        webSettingsNoSecrets,
        mutate(app(), "siteConfig.connectionStrings", [
          { name: "Payments", connectionString: "Server=tcp:sql;User ID=app;Password=hunter2;", type: "SQLAzure" },
        ]),
        /stores keys or passwords in Payments/,
      );
      await expectFail(
        webSettingsNoSecrets,
        mutate(app(), "siteConfig.appSettings", [{ name: "API_KEY", value: "abc123" }]),
        /stores keys or passwords in API_KEY/,
      );
      await expectFail(
        webSettingsNoSecrets,
        resourceRecord("azure-native:web:WebAppConnectionStrings", "func-conn", {
          name: "func-pay-dev-weu",
          resourceGroupName: "rg-pay-dev-weu",
          properties: { Lake: { value: "DefaultEndpointsProtocol=https;AccountKey=abc==", type: "Custom" } },
        }),
        /func-conn .*stores keys or passwords in Lake/,
      );
      await expectNotApplicable(webSettingsNoSecrets, ns());
    });

    it(`${webSettingsNoSecrets.name}: is undecided, not passed, while a setting's value is unknown during preview`, async () => {
      // A connection string built from another resource's outputs may hold a key: the first preview cannot tell.
      await expectUndecided(webSettingsNoSecrets, mutate(appSettings(), "properties.AzureWebJobsStorage", UNKNOWN));
      await expectUndecided(
        webSettingsNoSecrets,
        mutate(app(), "siteConfig.appSettings", [{ name: "SqlConnection", value: UNKNOWN }]),
      );
      await expectUndecided(webSettingsNoSecrets, mutate(app(), "siteConfig.connectionStrings", UNKNOWN));
      await expectUndecided(
        webSettingsNoSecrets,
        resourceRecord("azure-native:web:WebAppConnectionStrings", "func-conn", {
          name: "func-pay-dev-weu",
          resourceGroupName: "rg-pay-dev-weu",
          properties: { Lake: { value: UNKNOWN, type: "Custom" } },
        }),
      );
      // A known secret is still reported (mandatory) next to the undecided advisory.
      const r = await evaluatePolicy(
        webSettingsNoSecrets,
        mutate(mutate(appSettings(), "properties.API_KEY", "abc123"), "properties.AzureWebJobsStorage", UNKNOWN),
      );
      assert.equal(r.messages.length, 2, JSON.stringify(r.messages));
      assert.match(r.messages[0], /stores keys or passwords in API_KEY/);
      assert.match(r.messages[1], /can't run policy .* during preview/);
    });

    describe(asaGenericJob.name, () => {
      it("passes the identity-only generic job and skips other generic resources", async () => {
        await expectPass(asaGenericJob, genericStreamingJob());
        await expectNotApplicable(asaGenericJob, mutate(genericStreamingJob(), "resourceType", "clusters"));
        await expectNotApplicable(asaGenericJob, streamingJob());
      });
      it("fails a job without identity", () =>
        expectFail(asaGenericJob, mutate(genericStreamingJob(), "identity", undefined), /has no managed identity/));
      it("fails job content kept in a system account, or no job storage named", async () => {
        await expectFail(
          asaGenericJob,
          mutate(genericStreamingJob(), "properties.contentStoragePolicy", "SystemAccount"),
          /keeps job content in a system account: set properties\.contentStoragePolicy to "JobStorageAccount"/,
        );
        await expectFail(
          asaGenericJob,
          mutate(genericStreamingJob(), "properties.contentStoragePolicy", undefined),
          /keeps job content in a system account/,
        );
        await expectFail(
          asaGenericJob,
          mutate(genericStreamingJob(), "properties.jobStorageAccount", undefined),
          /keeps job content in a system account/,
        );
      });
      it("fails job storage reached with a key", () =>
        expectFail(
          asaGenericJob,
          mutate(genericStreamingJob(), "properties.jobStorageAccount.authenticationMode", "ConnectionString"),
          /reaches its job storage with a key/,
        ));
      it("fails a Synapse output with a password", () =>
        expectFail(
          asaGenericJob,
          mutate(genericStreamingJob(), "properties.outputs.0.properties.datasource.properties", {
            server: "s",
            database: "d",
            table: "t",
            user: "asa",
            password: "x",
          }),
          /properties\.outputs\[FactApiPerformance\]: 'Microsoft\.Sql\/Server\/DataWarehouse' data source stores password/,
        ));
      it("fails an Event Hubs input with the default (connection string) auth", () =>
        expectFail(
          asaGenericJob,
          mutate(
            genericStreamingJob(),
            "properties.inputs.0.properties.datasource.properties.authenticationMode",
            undefined,
          ),
          /properties\.inputs\[ApiLogs\]: .*ConnectionString \(default\)/,
        ));
    });
  });
});
