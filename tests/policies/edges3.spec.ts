/**
 * Edges of the pack's rules a third mutation audit found unguarded: one below each configured minimum, the value a
 * message tells the user to set, a lifetime action spelt in another case, exemption patterns matched case-sensitively,
 * and a single value unknown during preview that must leave a rule undecided. Each case here was a mutant of the pack
 * that the rule's own spec and the earlier edges specs let through.
 */
import { strict as assert } from "node:assert";
import { keyRotation, vaultNetwork, vaultPremium } from "../../policies/rules/keyvault";
import { sqlAuditingRetention, sqlLongTermRetention, sqlServerEntraOnly } from "../../policies/rules/sql";
import { diagnosticDestination, workspaceRetention } from "../../policies/rules/monitor";
import { blobSoftDelete, blobSoftDeleteCoverage, minimumTls } from "../../policies/rules/storage";
import { eventHubTls, webTls } from "../../policies/rules/streaming";
import { dataStoreAlerts } from "../../policies/rules/operations";
import { firewallThreatProtection, subnetNsg, wafMode } from "../../policies/rules/network";
import { appGatewayClientCertificates } from "../../policies/rules/ingress";
import { untypedResources } from "../../policies/rules/general";
import { mlEndpointAuth } from "../../policies/rules/ml";
import { registryPublicNetwork } from "../../policies/rules/containerregistry";
import { cosmosContinuousBackup, cosmosEuLocations } from "../../policies/rules/cosmosdb";
import { synapseSqlPoolTde, synapseSqlPoolTdePresent } from "../../policies/rules/synapse";
import * as syn from "./fixtures/synapse";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import { key, vault } from "./fixtures/keyvault";
import { sqlAuditing, sqlLongTermRetention as ltrOf, sqlServer } from "./fixtures/sql";
import { diagnosticSetting, workspace } from "./fixtures/monitor";
import { blobService, storageAccount } from "./fixtures/storage";
import { eventHubNamespace, functionApp } from "./fixtures/streaming";
import { armId, RG_NAME } from "./fixtures/protection";
import { firewallPolicy, mtlsGateway, subnet, wafPolicy } from "./fixtures/network";
import { containerRegistry, mlOnlineEndpoint } from "./fixtures/ml";
import { cosmosAccount } from "./fixtures/cosmosdb";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, mutate, UNKNOWN } from "./helpers";

describe("policy edges (3): one below each limit, the value a message names, case, exemptions, lone unknowns", () => {
  // keyvault.ts
  it("a key that rotates exactly when its versions expire fails (the rotation must come first)", async () => {
    await expectFail(
      keyRotation,
      mutate(key(), "properties.rotationPolicy.lifetimeActions.0.trigger.timeAfterCreate", "P365D"),
      /rotates after P365D, not before its versions expire \(P365D\)/,
    );
  });
  it("a rotate lifetime action spelt 'Rotate' counts (the action type is case-insensitive)", async () => {
    await expectPass(keyRotation, mutate(key(), "properties.rotationPolicy.lifetimeActions.0.action.type", "Rotate"));
  });

  // sql.ts
  it("storage audit records kept one day fewer than the dev minimum fail", async () => {
    const audit = mutate(
      mutate(sqlAuditing("dev"), "storageEndpoint", "https://stpayaudit.blob.core.windows.net"),
      "retentionDays",
      89,
    );
    await expectFail(sqlAuditingRetention, audit, /for 89 days: set retentionDays to at least 90\./);
  });

  // monitor.ts
  it("a production workspace also honours a minRetentionDays above prodMinRetentionDays", async () => {
    await expectFail(
      workspaceRetention,
      mutate(workspace("prod"), "retentionInDays", 365),
      /keeps logs 365 days in stack 'prod': set retentionInDays to at least 400\./,
      { minRetentionDays: 400 },
    );
  });

  // storage.ts
  it("blob soft delete kept one day fewer than the minimum fails, and the message names the minimum", async () => {
    await expectFail(
      blobSoftDelete,
      mutate(blobService(), "deleteRetentionPolicy.days", 6),
      /keeps blobs only 6 days: set deleteRetentionPolicy to \{ enabled: true, days: 7 \} or more\./,
    );
  });

  // lib/exemptions.ts
  it("an exemption pattern matches resource names case-sensitively", async () => {
    await expectFail(
      blobSoftDelete,
      mutate(blobService(), "deleteRetentionPolicy.days", 1),
      /keeps blobs only 1 days/,
      { exemptions: [{ pattern: "STPAYDEVWEU-*", reason: "RISK-99: upper-case pattern must not match" }] },
    );
  });

  // network.ts
  it("a WAF in the wrong mode is told to set the first allowed mode only", async () => {
    await expectFail(
      wafMode,
      mutate(wafPolicy(), "policySettings.mode", "Off"),
      /runs in 'Off' mode: set policySettings.mode to "Prevention"\.$/,
      { allowedModes: ["Prevention", "Detection"] },
    );
  });

  // cosmosdb.ts
  it("an account whose only region is unknown during preview is undecided, never passed", async () => {
    await expectUndecided(cosmosEuLocations, mutate(cosmosAccount("dev"), "locations.0.locationName", UNKNOWN));
  });

  it("a Continuous backup tier outside a one-tier prodTiers is told to set that tier", async () => {
    const account = mutate(cosmosAccount("prod"), "backupPolicy", {
      type: "Continuous",
      continuousModeProperties: { tier: "Continuous30Days" },
    });
    await expectFail(
      cosmosContinuousBackup,
      account,
      /tier "Continuous30Days" in a production stack: set backupPolicy\.continuousModeProperties\.tier to "Continuous7Days"\.$/,
      { prodTiers: ["Continuous7Days"] },
    );
  });

  // keyvault.ts with lib/duration.ts (Key Vault's calendar)
  it("a key cryptoperiod of P1Y is 365 days under Key Vault's calendar, within the P365D default", async () => {
    await expectPass(keyRotation, mutate(key(), "properties.rotationPolicy.attributes.expiryTime", "P1Y"));
  });
  it("a key cryptoperiod spelt in lower case (p365d) is read, as Key Vault accepts it", async () => {
    await expectPass(keyRotation, mutate(key(), "properties.rotationPolicy.attributes.expiryTime", "p365d"));
  });

  // TLS 1.3 is above every minimum
  it("TLS 1.3 passes the storage, Event Hubs and web app minimum TLS rules", async () => {
    await expectPass(minimumTls, mutate(storageAccount(), "minimumTlsVersion", "TLS1_3"));
    await expectPass(eventHubTls, mutate(eventHubNamespace(), "minimumTlsVersion", "1.3"));
    await expectPass(
      webTls,
      mutate(mutate(functionApp(), "siteConfig.minTlsVersion", "1.3"), "siteConfig.scmMinTlsVersion", "1.3"),
    );
  });

  // lib/policy.ts: stack policies
  it("a stack policy drops and records a violation on an exempted resource", async () => {
    const r = await expectPass(blobSoftDeleteCoverage, storageAccount(), {
      exemptions: [{ pattern: "stpaydev*", reason: "RISK-31: blob service declared by the platform team" }],
    });
    assert.equal(r.exemptions.length, 1);
  });
  it("an exemption naming a type exempts that type only (a lock or setting named like its resource stays checked)", async () => {
    const reason = "RISK-31: blob service declared by the platform team";
    // Stack rule: the account's violation is dropped only by an exemption for the account's type (a versioned token
    // read as the default class's).
    const exempt = (type: string) => ({ exemptions: [{ pattern: "stpaydev*", reason, type }] });
    const typed = await expectPass(
      blobSoftDeleteCoverage,
      storageAccount(),
      exempt("azure-native:storage:StorageAccount"),
    );
    assert.equal(typed.exemptions.length, 1);
    await expectPass(
      blobSoftDeleteCoverage,
      storageAccount(),
      exempt("azure-native_storage_v20230101:storage:StorageAccount"),
    );
    await expectFail(
      blobSoftDeleteCoverage,
      storageAccount(),
      /stpaydevweu/,
      exempt("azure-native:storage:BlobService"),
    );
    // Resource rule: the same.
    const tls = mutate(eventHubNamespace(), "minimumTlsVersion", "1.0");
    await expectNotApplicable(eventHubTls, tls, {
      exemptions: [{ pattern: "*", reason, type: "azure-native:eventhub:Namespace" }],
    });
    await expectFail(eventHubTls, tls, /TLS/, {
      exemptions: [{ pattern: "*", reason, type: "azure-native:storage:StorageAccount" }],
    });
    // A type that is not a token is refused with the key's name.
    await assert.rejects(
      evaluatePolicy(eventHubTls, tls, { exemptions: [{ pattern: "*", reason, type: "StorageAccount" }] }),
      /exemptions\[0\]\.type must match pattern "\^\[A-Za-z0-9_.-\]\+:/,
    );
  });
  it("an alert whose known scopes name another resource does not watch a data store it merely depends on", async () => {
    const dbId = armId("Microsoft.Sql", "servers/sql-pay-dev-weu/databases/sqldb-pay-dev-weu");
    const db = resourceRecord(
      "azure-native:sql:Database",
      "sqldb-pay-dev-weu",
      { resourceGroupName: RG_NAME },
      { outputs: { id: dbId } },
    );
    const alert = resourceRecord(
      "azure-native:monitor:MetricAlert",
      "alert-other",
      {
        resourceGroupName: RG_NAME,
        location: "global",
        severity: 2,
        scopes: [armId("Microsoft.Web", "sites/func-pay-dev-weu")],
        criteria: { odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria", allOf: [] },
        actions: [{ actionGroupId: armId("Microsoft.Insights", "actionGroups/ag-p1") }],
      },
      { propertyDependencies: { scopes: [db.urn] } },
    );
    await expectFail(dataStoreAlerts, [workspace(), db, alert], /sqldb-pay-dev-weu .*no alert rule watches it/);
  });

  // enums compared case-insensitively, and the IDPS modes allowed by default
  it("an online endpoint with authMode 'aadtoken' and a registry on sku 'premium' pass (enums are case-insensitive)", async () => {
    await expectPass(mlEndpointAuth, mutate(mlOnlineEndpoint(), "properties.authMode", "aadtoken"));
    await expectPass(registryPublicNetwork, mutate(containerRegistry(), "sku.name", "premium"));
  });
  it("a Premium firewall policy with IDPS in Alert mode (detects, does not block) fails by default", async () => {
    await expectFail(
      firewallThreatProtection,
      mutate(firewallPolicy(), "intrusionDetection.mode", "Alert"),
      /IDPS is 'Alert': set intrusionDetection\.mode to "Deny"\./,
    );
  });

  it("a vault with publicNetworkAccess 'disabled' and a vault on sku 'Premium' pass (enums are case-insensitive)", async () => {
    const open = mutate(vault(), "properties.networkAcls.defaultAction", "Allow");
    await expectPass(vaultNetwork, mutate(open, "properties.publicNetworkAccess", "disabled"));
    await expectPass(vaultPremium, mutate(vault("prod"), "properties.sku.name", "Premium"));
  });
  it("an mTLS gateway whose HTTPS listener is spelt 'HTTPS' is still checked", async () => {
    const gw = mtlsGateway();
    const listeners = (gw.inputs.httpListeners as Record<string, unknown>[]).map((l) =>
      l.protocol === "Https" ? { ...l, protocol: "HTTPS", sslProfile: undefined } : l,
    );
    await expectFail(
      appGatewayClientCertificates,
      mutate(gw, "httpListeners", listeners),
      /asks no client certificate/,
    );
  });
  it("an allowed SQL administrator tenant id matches in either case", async () => {
    const tenant = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    await expectPass(sqlServerEntraOnly, mutate(sqlServer(), "administrators.tenantId", tenant.toUpperCase()), {
      allowedTenantIds: [tenant],
    });
  });
  it("a diagnostic setting without audit logs is told to add the first configured category group", async () => {
    await expectFail(
      diagnosticDestination,
      mutate(diagnosticSetting("diag-kv-pay-dev-weu", vault(), UNKNOWN), "logs", []),
      /add logs entry \{ categoryGroup: "audit", enabled: true \}\.$/,
    );
  });
  it("a subnet named 'gatewaysubnet' is exempt like GatewaySubnet", async () => {
    await expectNotApplicable(
      subnetNsg,
      mutate(mutate(subnet(), "subnetName", "gatewaysubnet"), "networkSecurityGroup", undefined),
    );
  });
  it("an allowed template type spelt in another case passes", async () => {
    await expectPass(
      untypedResources,
      resourceRecord("azure-native:resources:Deployment", "olap-key-activation", {
        resourceGroupName: "rg",
        properties: {
          mode: "Incremental",
          template: {
            resources: [
              { type: "microsoft.synapse/workspaces/keys", apiVersion: "2021-06-01", name: "[x]", properties: {} },
            ],
          },
        },
      }),
    );
  });
  it("a long-term retention unknown during preview is undecided (it may exceed the maximum), after the known ones", async () => {
    await expectUndecided(sqlLongTermRetention, mutate(ltrOf(), "yearlyRetention", UNKNOWN), { maxRetentionDays: 400 });
    const both = await evaluatePolicy(
      sqlLongTermRetention,
      [mutate(mutate(ltrOf(), "weeklyRetention", "P500D"), "yearlyRetention", UNKNOWN)],
      { maxRetentionDays: 400 },
    );
    assert.deepEqual(
      both.violations.map((v) => [v.enforcementLevel, /can't run policy/.test(v.message) ? "undecided" : "over"]),
      [
        ["mandatory", "over"],
        ["advisory", "undecided"],
      ],
    );
  });
  it("reads Cosmos DB backup and Synapse TDE values without case, as Azure does (another spelling is never reported)", async () => {
    await expectPass(cosmosContinuousBackup, mutate(cosmosAccount(), "backupPolicy.type", "continuous"));
    await expectPass(
      cosmosContinuousBackup,
      mutate(cosmosAccount("prod"), "backupPolicy.continuousModeProperties.tier", "continuous30days"),
    );
    await expectPass(synapseSqlPoolTde, mutate(syn.synapseSqlPoolTde(), "status", "enabled"));
    const ws = syn.synapseWorkspace("prod");
    const pool = syn.synapseSqlPool("prod");
    await expectPass(synapseSqlPoolTdePresent, [ws, pool, mutate(syn.synapseSqlPoolTde("prod"), "status", "ENABLED")]);
    // A real other value is still reported.
    await expectFail(
      synapseSqlPoolTdePresent,
      [ws, pool, mutate(syn.synapseSqlPoolTde("prod"), "status", "Disabled")],
      /syndp_pay_prod/,
    );
  });
});
