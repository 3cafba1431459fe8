import { strict as assert } from "node:assert";
import {
  keyExpiry,
  keyHsm,
  keyRotation,
  keyUse,
  keyStrength,
  keyvaultPolicies,
  secretContentType,
  secretExpiry,
  vaultNetwork,
  vaultPlatformAccess,
  vaultPremium,
  vaultRbac,
  vaultExpiryAlerts,
  vaultRecoverability,
} from "../../policies/rules/keyvault";
import { resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { POLICY_NAME } from "../../policies/lib/policy";
import { evaluatePolicy } from "../../tools/lib/policyRunner";
import { key, secret, vault } from "./fixtures/keyvault";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, mutate, UNKNOWN } from "./helpers";

describe("policies/keyvault", () => {
  it("exports well-named policies with metadata", () => {
    assert.equal(keyvaultPolicies.length, 13);
    for (const p of keyvaultPolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  /** A Managed HSM pool: the same purge protection, soft delete and network settings under `properties`. */
  const hsm = (properties: Record<string, unknown>) =>
    resourceRecord("azure-native:keyvault:ManagedHsm", "hsm-pay-prod-weu", {
      location: "westeurope",
      resourceGroupName: "rg",
      sku: { family: "B", name: "Standard_B1" },
      properties: { tenantId: "t", initialAdminObjectIds: ["o"], ...properties },
    });

  describe(vaultRecoverability.name, () => {
    it("passes the compliant vault", () => expectPass(vaultRecoverability, vault()));
    it("checks Managed HSM pools too: fails one without purge protection, passes one with it", async () => {
      await expectFail(
        vaultRecoverability,
        hsm({ enablePurgeProtection: false }),
        /hsm-pay-prod-weu .*purge protection off/,
      );
      await expectPass(vaultRecoverability, hsm({ enablePurgeProtection: true }));
      // Left out, a pool's purge protection is on (the SDK's default for Managed HSM, unlike a vault's).
      await expectPass(vaultRecoverability, hsm({}));
    });
    it("passes when soft delete settings are left to Azure defaults", async () => {
      let v = mutate(vault(), "properties.enableSoftDelete", undefined);
      v = mutate(v, "properties.softDeleteRetentionInDays", undefined);
      await expectPass(vaultRecoverability, v);
    });
    it("fails without purge protection", () =>
      expectFail(
        vaultRecoverability,
        mutate(vault(), "properties.enablePurgeProtection", undefined),
        /kv-pay-dev-weu .*purge protection off: set properties\.enablePurgeProtection to true/,
      ));
    it("fails when soft delete is disabled", () =>
      expectFail(
        vaultRecoverability,
        mutate(vault(), "properties.enableSoftDelete", false),
        /kv-pay-dev-weu .*disables soft delete: .*properties\.enableSoftDelete/,
      ));
    it("fails a short soft-delete retention", () =>
      expectFail(
        vaultRecoverability,
        mutate(vault(), "properties.softDeleteRetentionInDays", 7),
        /kv-pay-dev-weu .*7 days: set properties\.softDeleteRetentionInDays to at least 90/,
      ));
    it("honours minSoftDeleteRetentionDays", () =>
      expectPass(vaultRecoverability, mutate(vault(), "properties.softDeleteRetentionInDays", 30), {
        minSoftDeleteRetentionDays: 30,
      }));
    it("is not applicable to keys", () => expectNotApplicable(vaultRecoverability, key()));
  });

  describe(vaultPlatformAccess.name, () => {
    it("passes the compliant vault (all three flags unset) and flags set to false", async () => {
      await expectPass(vaultPlatformAccess, vault());
      await expectPass(vaultPlatformAccess, mutate(vault(), "properties.enabledForTemplateDeployment", false));
    });
    it("fails template deployments reading secrets", () =>
      expectFail(
        vaultPlatformAccess,
        mutate(vault(), "properties.enabledForTemplateDeployment", true),
        /kv-pay-dev-weu .*allows Resource Manager to retrieve secrets for any template deployment \(properties\.enabledForTemplateDeployment true\): set it to false/,
      ));
    it("fails virtual machines and Azure Disk Encryption, one message each", async () => {
      await expectFail(
        vaultPlatformAccess,
        mutate(vault(), "properties.enabledForDeployment", true),
        /virtual machines to retrieve certificates stored as secrets/,
      );
      const r = await evaluatePolicy(
        vaultPlatformAccess,
        mutate(mutate(vault(), "properties.enabledForDiskEncryption", true), "properties.enabledForDeployment", true),
      );
      assert.equal(r.messages.length, 2);
    });
    it("cannot decide while a flag is unknown", () =>
      expectUndecided(vaultPlatformAccess, mutate(vault(), "properties.enabledForDeployment", UNKNOWN)));
    it("is not applicable to keys", () => expectNotApplicable(vaultPlatformAccess, key()));
  });

  describe(vaultRbac.name, () => {
    it("passes the compliant vault", () => expectPass(vaultRbac, vault()));
    it("fails when RBAC authorization is absent", () =>
      expectFail(
        vaultRbac,
        mutate(vault(), "properties.enableRbacAuthorization", undefined),
        /kv-pay-dev-weu .*uses vault access policies \(properties\.enableRbacAuthorization unset, false by default\): set properties\.enableRbacAuthorization to true/,
      ));
    it("fails when access policies are defined", () =>
      expectFail(
        vaultRbac,
        mutate(vault(), "properties.accessPolicies", [
          { tenantId: "t", objectId: "o", permissions: { keys: ["get"] } },
        ]),
        /kv-pay-dev-weu .*defines 1 properties\.accessPolicies/,
      ));
    it("is not applicable to secrets", () => expectNotApplicable(vaultRbac, secret()));
  });

  describe(vaultNetwork.name, () => {
    it("passes the compliant vault", () => expectPass(vaultNetwork, vault()));
    it("checks Managed HSM pools too: fails one open to the internet, passes a private one", async () => {
      await expectFail(
        vaultNetwork,
        hsm({ publicNetworkAccess: "Enabled", networkAcls: { defaultAction: "Allow" } }),
        /hsm-pay-prod-weu .*accepts public traffic/,
      );
      await expectPass(vaultNetwork, hsm({ publicNetworkAccess: "Disabled" }));
    });
    it("passes public access enabled behind a deny-by-default firewall", () =>
      expectPass(vaultNetwork, mutate(vault(), "properties.publicNetworkAccess", "Enabled")));
    it("passes public access disabled without a firewall", () =>
      expectPass(vaultNetwork, mutate(vault(), "properties.networkAcls", undefined)));
    it("fails public access with an allow-by-default firewall", () =>
      expectFail(
        vaultNetwork,
        mutate(
          mutate(vault(), "properties.publicNetworkAccess", "Enabled"),
          "properties.networkAcls.defaultAction",
          "Allow",
        ),
        /kv-pay-dev-weu .*accepts public traffic: set properties\.publicNetworkAccess to "Disabled"/,
      ));
    it("fails when both settings are absent (Azure defaults to public)", () =>
      expectFail(
        vaultNetwork,
        mutate(mutate(vault(), "properties.publicNetworkAccess", undefined), "properties.networkAcls", undefined),
        /kv-pay-dev-weu .*publicNetworkAccess/,
      ));
    it("passes public access on behind a deny-by-default firewall with the trusted-services bypass and no IP rule", () =>
      expectPass(
        vaultNetwork,
        mutate(mutate(vault(), "properties.publicNetworkAccess", "Enabled"), "properties.networkAcls.ipRules", []),
      ));
    it("fails public access behind a deny-by-default firewall that admits IP ranges", () =>
      expectFail(
        vaultNetwork,
        mutate(mutate(vault(), "properties.publicNetworkAccess", "Enabled"), "properties.networkAcls.ipRules", [
          { value: "0.0.0.0/0" },
        ]),
        /kv-pay-dev-weu .*admits internet addresses through 1 properties\.networkAcls\.ipRules/,
      ));
    it("is not applicable to keys", () => expectNotApplicable(vaultNetwork, key()));
  });

  describe(vaultPremium.name, () => {
    it("passes a premium vault in prod", () => expectPass(vaultPremium, vault("prod")));
    it("fails a standard vault in prod", () =>
      expectFail(
        vaultPremium,
        mutate(vault("prod"), "properties.sku.name", "standard"),
        /kv-pay-dev-weu .*'standard' SKU in stack 'prod': set properties\.sku\.name to "premium"/,
      ));
    it("is not applicable outside prodStacks", () =>
      expectNotApplicable(vaultPremium, mutate(vault("dev"), "properties.sku.name", "standard")));
    it("honours prodStacks", () =>
      expectFail(vaultPremium, mutate(vault("dev"), "properties.sku.name", "standard"), /properties\.sku\.name/, {
        prodStacks: ["dev", "prod"],
      }));
  });

  describe(keyStrength.name, () => {
    it("passes the compliant key", () => expectPass(keyStrength, key()));
    it("passes an EC-HSM key on P-384", async () => {
      let k = mutate(key(), "properties.kty", "EC-HSM");
      k = mutate(k, "properties.keySize", undefined);
      await expectPass(keyStrength, mutate(k, "properties.curveName", "P-384"));
    });
    it("fails an RSA key of 2048 bits", () =>
      expectFail(
        keyStrength,
        mutate(key(), "properties.keySize", 2048),
        /key-pay-dev-weu-cmk .*2048-bit RSA-HSM key: set properties\.keySize to at least 3072/,
      ));
    it("fails an RSA key without keySize (Azure defaults to 2048)", () =>
      expectFail(keyStrength, mutate(key(), "properties.keySize", undefined), /2048-bit .*properties\.keySize/));
    it("fails an EC key on a curve outside allowedCurves", () =>
      expectFail(
        keyStrength,
        mutate(mutate(key(), "properties.kty", "EC"), "properties.curveName", "P-256K"),
        /key-pay-dev-weu-cmk .*curve 'P-256K': set properties\.curveName/,
      ));
    it("fails a key without kty", () =>
      expectFail(keyStrength, mutate(key(), "properties.kty", undefined), /key-pay-dev-weu-cmk .*no properties\.kty/));
    it("fails an unknown key type", () =>
      expectFail(keyStrength, mutate(key(), "properties.kty", "oct"), /key type 'oct': set properties\.kty/));
    it("honours minRsaKeySize", () => expectFail(keyStrength, key(), /at least 4096/, { minRsaKeySize: 4096 }));
    it("is not applicable to vaults", () => expectNotApplicable(keyStrength, vault()));
  });

  describe(keyHsm.name, () => {
    it("passes an HSM key in prod", () => expectPass(keyHsm, key("prod")));
    it("fails a software key in prod", () =>
      expectFail(
        keyHsm,
        mutate(key("prod"), "properties.kty", "RSA"),
        /key-pay-dev-weu-cmk .*software-protected key \('RSA'\) in stack 'prod': set properties\.kty to "RSA-HSM"/,
      ));
    it("is not applicable outside prodStacks", () =>
      expectNotApplicable(keyHsm, mutate(key("dev"), "properties.kty", "RSA")));
  });

  describe(keyUse.name, () => {
    it("passes a wrapping key, and an Always Encrypted master key that also signs", async () => {
      await expectPass(keyUse, key());
      await expectPass(keyUse, mutate(key(), "properties.keyOps", ["wrapKey", "unwrapKey", "sign", "verify"]));
    });
    it("fails an exportable key, one with a release policy, and one allowing encrypt, decrypt or export", async () => {
      await expectFail(
        keyUse,
        mutate(key(), "properties.attributes.exportable", true),
        /key-pay-dev-weu-cmk .*is exportable: leave properties\.attributes\.exportable unset or false/,
      );
      await expectFail(
        keyUse,
        mutate(key(), "properties.releasePolicy", { data: "eyJ9", contentType: "application/json; charset=utf-8" }),
        /has a release policy .*remove properties\.releasePolicy/,
      );
      await expectFail(
        keyUse,
        mutate(key(), "properties.keyOps", ["wrapKey", "unwrapKey", "encrypt", "decrypt", "export"]),
        /allows encrypt, decrypt, export: limit properties\.keyOps to wrapKey, unwrapKey, sign, verify/,
      );
    });
    it("fails a key without keyOps (every operation its type supports)", () =>
      expectFail(
        keyUse,
        mutate(key(), "properties.keyOps", undefined),
        /allows every operation \(no properties\.keyOps\)/,
      ));
    it("cannot decide while keyOps is unknown during preview", () =>
      expectUndecided(keyUse, mutate(key(), "properties.keyOps", UNKNOWN)));
    it("is not applicable to other types", () => expectNotApplicable(keyUse, vault()));
  });

  describe(keyExpiry.name, () => {
    it("passes the compliant key", () => expectPass(keyExpiry, key()));
    it("passes an expiry computed from another output (unknown in preview)", () =>
      expectPass(keyExpiry, mutate(key(), "properties.attributes.expires", UNKNOWN)));
    it("fails a key that never expires", () =>
      expectFail(
        keyExpiry,
        mutate(key(), "properties.attributes.expires", undefined),
        /key-pay-dev-weu-cmk .*never expires: set properties\.attributes\.expires/,
      ));
    it("is not applicable to secrets", () => expectNotApplicable(keyExpiry, secret()));
  });

  describe(keyRotation.name, () => {
    it("passes the compliant key", () => expectPass(keyRotation, key()));
    it("fails without a rotation policy", () =>
      expectFail(
        keyRotation,
        mutate(key(), "properties.rotationPolicy", undefined),
        /key-pay-dev-weu-cmk .*no rotation policy: set properties\.rotationPolicy/,
      ));
    it("fails with only a notify action", () =>
      expectFail(
        keyRotation,
        mutate(key(), "properties.rotationPolicy.lifetimeActions.0", undefined),
        /key-pay-dev-weu-cmk .*no automatic rotation: .*lifetimeActions/,
      ));
    it("fails a cryptoperiod longer than maxExpiryTime", () =>
      expectFail(
        keyRotation,
        mutate(
          mutate(key(), "properties.rotationPolicy.attributes.expiryTime", "P2Y"),
          "properties.rotationPolicy.lifetimeActions.0.trigger.timeAfterCreate",
          "P700D",
        ),
        /key-pay-dev-weu-cmk .*cryptoperiod of P2Y: set properties\.rotationPolicy\.attributes\.expiryTime to at most P365D/,
      ));
    it("fails a missing expiryTime", () =>
      expectFail(
        keyRotation,
        mutate(key(), "properties.rotationPolicy.attributes", undefined),
        /key-pay-dev-weu-cmk .*no valid properties\.rotationPolicy\.attributes\.expiryTime/,
      ));
    it("fails a rotation scheduled after expiry", () =>
      expectFail(
        keyRotation,
        mutate(key(), "properties.rotationPolicy.lifetimeActions.0.trigger.timeAfterCreate", "P400D"),
        /key-pay-dev-weu-cmk .*rotates after P400D.*trigger\.timeAfterCreate below expiryTime/,
      ));
    it("honours maxExpiryTime", () =>
      expectFail(keyRotation, key(), /expiryTime to at most P90D/, { maxExpiryTime: "P90D" }));
    it("rejects an invalid maxExpiryTime", async () => {
      await assert.rejects(
        evaluatePolicy(keyRotation, key(), { maxExpiryTime: "one year" }),
        /not an ISO 8601 duration/,
      );
    });
    it("is not applicable to vaults", () => expectNotApplicable(keyRotation, vault()));
  });

  describe(secretExpiry.name, () => {
    it("passes the compliant secret", () => expectPass(secretExpiry, secret()));
    it("fails a secret that never expires", async () => {
      const r = await expectFail(
        secretExpiry,
        mutate(secret(), "properties.attributes", undefined),
        /kvs-pay-dev-weu-webhook .*never expires: set properties\.attributes\.expires/,
      );
      assert.doesNotMatch(r.messages[0], /s3cr3t/);
    });
    it("fails an expiry further off than maxValidityDays (2100 expires in name only), passes one within it", async () => {
      const in2100 = Date.UTC(2100, 0, 1) / 1000;
      await expectFail(
        secretExpiry,
        mutate(secret(), "properties.attributes.expires", in2100),
        /kvs-pay-dev-weu-webhook .*expires in \d+ days, beyond the 365-day maximum validity/,
      );
      const in30Days = Math.floor(Date.now() / 1000) + 30 * 86400;
      await expectPass(secretExpiry, mutate(secret(), "properties.attributes.expires", in30Days));
      await expectFail(
        secretExpiry,
        mutate(secret(), "properties.attributes.expires", in30Days),
        /beyond the 7-day maximum validity/,
        { maxValidityDays: 7 },
      );
      // A date computed from other resources cannot be judged during a first preview: advisory, never a pass.
      await expectUndecided(secretExpiry, mutate(secret(), "properties.attributes.expires", UNKNOWN));
    });
    it("is not applicable to keys", () => expectNotApplicable(secretExpiry, key()));
  });

  describe(secretContentType.name, () => {
    it("is advisory", () => assert.equal(secretContentType.enforcementLevel, "advisory"));
    it("passes the compliant secret", () => expectPass(secretContentType, secret()));
    it("fails a secret without a content type", async () => {
      const r = await expectFail(
        secretContentType,
        mutate(secret(), "properties.contentType", undefined),
        /kvs-pay-dev-weu-webhook .*no content type: set properties\.contentType/,
      );
      assert.equal(r.violations[0].enforcementLevel, "advisory");
    });
    it("is not applicable to vaults", () => expectNotApplicable(secretContentType, vault()));
  });

  describe(vaultExpiryAlerts.name, () => {
    const v = vault();
    const topic = (source: unknown = v.outputs.id) =>
      resourceRecord(
        "azure-native:eventgrid:SystemTopic",
        "platform-kv-events",
        { systemTopicName: "egst-pay-dev-weu-kv", source, topicType: "Microsoft.KeyVault.vaults" },
        { propertyDependencies: { source: [v.urn] } },
      );
    const AG_ID =
      "/subscriptions/s/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups/ag-pay-dev-weu-p2";
    const group = resourceRecord("azure-native:monitor:ActionGroup", "platform-ag-p2", {
      id: AG_ID,
      actionGroupName: "ag-pay-dev-weu-p2",
      enabled: true,
    });
    const sub = (
      key: string,
      events: string[],
      destination: unknown = { endpointType: "MonitorAlert", severity: "Sev2", actionGroups: [AG_ID] },
    ) =>
      resourceRecord("azure-native:eventgrid:SystemTopicEventSubscription", `platform-kv-events-${key}`, {
        systemTopicName: "egst-pay-dev-weu-kv",
        eventDeliverySchema: "CloudEventSchemaV1_0",
        filter: { includedEventTypes: events },
        destination,
      });
    const near = sub("near-expiry", ["Microsoft.KeyVault.KeyNearExpiry", "Microsoft.KeyVault.SecretNearExpiry"]);
    const expired = sub("expired", ["Microsoft.KeyVault.KeyExpired"]);

    it("cannot decide while a subscription created with its topic's name written out has no id yet (it may leak)", async () => {
      const literal = resourceRecord(
        "azure-native:eventgrid:SystemTopicEventSubscription",
        "platform-kv-events-leak",
        {
          systemTopicName: "egst-pay-dev-weu-kv",
          filter: { includedEventTypes: ["Microsoft.KeyVault.KeyExpired"] },
          destination: { endpointType: "WebHook", endpointUrl: "https://example.invalid/hook" },
        },
        { preview: true },
      );
      await expectUndecided(
        vaultExpiryAlerts,
        [v, group, topic(), near, expired, literal],
        /value at \.provisioningState /,
      );
      // Built from the topic's name (the dependency the engine records): read, and its leak reported.
      await expectFail(
        vaultExpiryAlerts,
        [v, group, topic(), near, expired, { ...literal, propertyDependencies: { systemTopicName: [topic().urn] } }],
        /platform-kv-events-leak .* sends kv-pay-dev-weu .*'s key expiry events to a destination outside the stack/,
      );
    });
    it("passes a vault whose near-expiry and expiry events reach one of the stack's action groups", () =>
      expectPass(vaultExpiryAlerts, [v, group, topic(), near, expired]));
    /** The expiry subscription leaks (reported on it) and, with no other route, the vault routes nothing (on it). */
    const leaks = async (resources: ResourceRecord[], routed = false) => {
      const r = await evaluatePolicy(vaultExpiryAlerts, resources);
      assert.equal(r.messages.length, routed ? 1 : 2, JSON.stringify(r.messages));
      assert.match(
        r.messages[0],
        /platform-kv-events-(expired|leak) .* sends kv-pay-dev-weu \(azure-native:keyvault:Vault\)'s key expiry events to a destination outside the stack/,
      );
      if (!routed)
        assert.match(r.messages[1], /routes no Microsoft\.KeyVault\.KeyExpired event to a destination of the stack/);
    };
    const FOREIGN_AG = AG_ID.replace("/s/", "/other/");
    it("fails expiry events sent to another subscription's action group, also beside the stack's (#114, the review's K5)", async () => {
      const to = (actionGroups: string[]) =>
        sub("expired", ["Microsoft.KeyVault.KeyExpired"], { endpointType: "MonitorAlert", actionGroups });
      await leaks([v, group, topic(), near, to([FOREIGN_AG])]);
      await leaks([v, group, topic(), near, to([AG_ID, FOREIGN_AG])]);
    });
    it("fails a second subscription leaking the events beside a good one (the review's K1), and one taking every event", async () => {
      const hook = (events: string[]) =>
        sub("leak", events, { endpointType: "WebHook", endpointUrl: "https://hooks.evil.example.com/kv" });
      await leaks([v, group, topic(), near, expired, hook(["Microsoft.KeyVault.KeyNearExpiry"])], true);
      await leaks([v, group, topic(), near, expired, hook([])], true);
      await expectPass(vaultExpiryAlerts, [
        v,
        group,
        topic(),
        near,
        expired,
        hook(["Microsoft.KeyVault.SecretNewVersionCreated"]),
      ]);
    });
    it("fails expiry events sent to any webhook, passes one whose host is listed with a reason", async () => {
      const hook = sub("expired", ["Microsoft.KeyVault.KeyExpired"], {
        endpointType: "WebHook",
        endpointUrl: "https://hooks.example.net/kv",
      });
      await leaks([v, group, topic(), near, hook]);
      await expectPass(vaultExpiryAlerts, [v, group, topic(), near, hook], {
        allowedWebhookHosts: [{ pattern: "*.example.net", reason: "the incident tool's intake (ticket OPS-12)" }],
      });
      await assert.rejects(
        evaluatePolicy(vaultExpiryAlerts, [v, group, topic(), near, hook], {
          allowedWebhookHosts: [{ pattern: "*.example.net", reason: "ok" }],
        }),
        /allowedWebhookHosts\[0\]\.reason must have at least 10 characters/,
      );
    });
    it("does not count a route narrowed by a subject or advanced filter (it may skip keys: the review's K3)", async () => {
      const narrowed = (filter: Record<string, unknown>) =>
        mutate(expired, "filter", { includedEventTypes: ["Microsoft.KeyVault.KeyExpired"], ...filter });
      for (const filter of [
        { subjectBeginsWith: "does-not-exist" },
        { subjectEndsWith: "/cmk-sql" },
        { advancedFilters: [{ operatorType: "StringIn", key: "data.ObjectName", values: ["cmk-sql"] }] },
      ])
        await expectFail(
          vaultExpiryAlerts,
          [v, group, topic(), near, narrowed(filter)],
          /routes no Microsoft\.KeyVault\.KeyExpired event to a destination of the stack: .*with no subject or advanced filter/,
        );
      await expectPass(vaultExpiryAlerts, [v, group, topic(), near, narrowed({ isSubjectCaseSensitive: false })]);
    });
    it("takes a webhook to one of the stack's own apps, not to an app of the same suffix outside it", async () => {
      const app = resourceRecord("azure-native:web:WebApp", "ops-func", { name: "func-pay-dev-weu-ops" });
      const hook = (host: string) =>
        sub("expired", ["Microsoft.KeyVault.KeyExpired"], {
          endpointType: "WebHook",
          endpointUrl: `https://${host}/api/kv`,
        });
      await expectPass(vaultExpiryAlerts, [
        v,
        group,
        app,
        topic(),
        near,
        hook("func-pay-dev-weu-ops.azurewebsites.net"),
      ]);
      await leaks([v, group, app, topic(), near, hook("func-evil.azurewebsites.net")]);
    });
    it("reads a destination delivered with a managed identity (deliveryWithResourceIdentity)", () =>
      expectPass(vaultExpiryAlerts, [
        v,
        group,
        topic(),
        near,
        {
          ...sub("expired", ["Microsoft.KeyVault.KeyExpired"], undefined),
          inputs: {
            systemTopicName: "egst-pay-dev-weu-kv",
            filter: { includedEventTypes: ["Microsoft.KeyVault.KeyExpired"] },
            deliveryWithResourceIdentity: {
              identity: { type: "SystemAssigned" },
              destination: { endpointType: "MonitorAlert", actionGroups: [AG_ID] },
            },
          },
          outputs: {
            systemTopicName: "egst-pay-dev-weu-kv",
            filter: { includedEventTypes: ["Microsoft.KeyVault.KeyExpired"] },
            deliveryWithResourceIdentity: {
              identity: { type: "SystemAssigned" },
              destination: { endpointType: "MonitorAlert", actionGroups: [AG_ID] },
            },
          },
        },
      ]));
    it("passes a resource destination inside the stack (a function of its app), fails one outside it or only in its group (K4)", async () => {
      const app = resourceRecord("azure-native:web:WebApp", "ops-func", {
        id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/func-ops",
      });
      const rg = resourceRecord("azure-native:resources:ResourceGroup", "rg", {
        id: "/subscriptions/s/resourceGroups/rg",
      });
      const toFunction = (resourceId: string) =>
        sub("expired", ["Microsoft.KeyVault.KeyExpired"], { endpointType: "AzureFunction", resourceId });
      await expectPass(vaultExpiryAlerts, [
        v,
        group,
        app,
        rg,
        topic(),
        near,
        toFunction("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/func-ops/functions/keyExpired"),
      ]);
      await leaks([
        v,
        group,
        app,
        rg,
        topic(),
        near,
        toFunction("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/func-ops-x/functions/keyExpired"),
      ]);
    });
    it("passes a first preview whose action group id is unknown but recorded, cannot decide one not recorded", async () => {
      const pending = (deps: string[]) => ({
        ...sub("expired", ["Microsoft.KeyVault.KeyExpired"], { endpointType: "MonitorAlert", actionGroups: [UNKNOWN] }),
        // A create in a first preview has no id yet: the engine's record of its topic name ties it to the topic.
        dependencies: [topic().urn],
        propertyDependencies: { destination: deps, systemTopicName: [topic().urn] },
      });
      await expectPass(vaultExpiryAlerts, [v, group, topic(), near, pending([group.urn])]);
      await expectUndecided(vaultExpiryAlerts, [v, group, topic(), near, pending([])]);
    });
    it("fails a vault without a system topic", async () => {
      const r = await expectFail(vaultExpiryAlerts, [v], /kv-pay-dev-weu .*has no Event Grid system topic/);
      assert.equal(r.urn, v.urn);
    });
    it("matches the topic's source to the vault's exact id, not to a vault whose name starts with it", async () => {
      const id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-pay-dev-weu";
      const withId = { ...v, outputs: { ...v.outputs, id } };
      const byId = (source: string) => ({ ...topic(source), propertyDependencies: {} });
      await expectPass(vaultExpiryAlerts, [withId, group, byId(id.toUpperCase()), near, expired]);
      await expectFail(
        vaultExpiryAlerts,
        [withId, byId(`${id}-cmk`), near, expired],
        /kv-pay-dev-weu .*has no Event Grid system topic/,
      );
    });
    it("fails when no subscription routes KeyExpired", () =>
      expectFail(
        vaultExpiryAlerts,
        [v, group, topic(), near],
        /kv-pay-dev-weu .*routes no Microsoft\.KeyVault\.KeyExpired event to a destination/,
      ));
    it("fails a subscription without a destination", () =>
      expectFail(
        vaultExpiryAlerts,
        [v, group, topic(), near, mutate(expired, "destination", undefined)],
        /routes no Microsoft\.KeyVault\.KeyExpired/,
      ));
    it("is not applicable without key vaults", () => expectNotApplicable(vaultExpiryAlerts, [topic(), near]));
  });
});
