import { strict as assert } from "node:assert";
import { armPairs } from "../tools/lib/armSchema/check";
import { apiVersionOf } from "../tools/lib/armSchema/identity";
import { mockResource } from "../tools/lib/azureMocks";
import { plannedChanges } from "../tools/lib/changes";
import { estimate } from "../tools/lib/cost/estimate";
import { firstDeployHazards } from "../tools/lib/hazards";
import { resourceRecord, type ResourceRecord } from "../tools/lib/policyRunner";
import { requiredProviders } from "../tools/lib/providers";
import { retirementsOf } from "../tools/lib/retirements";
import { isAzureNative, sdkTypeOf } from "../tools/lib/sdkType";

/**
 * The Key Vault retirement's fix is a v3 local package (`pulumi package add azure-native keyvault 2026-02-01`), whose
 * tokens are `azure-native_keyvault_v20260201:keyvault:*`: the offline tools must read them as the default class's,
 * as the policy pack does, and take the API version from the token.
 */
const LOCAL = (mod: string, version: string, cls: string) => `azure-native_${mod}_v${version}:${mod}:${cls}`;
const ALIAS = (mod: string, version: string, cls: string) => `azure-native:${mod}/v${version}:${cls}`;
const RG = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-pay-prod-weu-security";

const record = (type: string, inputs: Record<string, unknown>, name = "platform-kv", id?: string): ResourceRecord =>
  resourceRecord(type, name, inputs, { stack: "prod", ...(id ? { id } : {}) });

describe("versioned type tokens in the offline tools (tools/lib/sdkType.ts)", () => {
  it("reads a local package's and an alias's token as the default class's", () => {
    assert.equal(sdkTypeOf({ type: LOCAL("keyvault", "20260201", "Vault") }), "azure-native:keyvault:Vault");
    assert.equal(
      sdkTypeOf({ type: ALIAS("storage", "20230501", "StorageAccount") }),
      "azure-native:storage:StorageAccount",
    );
    assert.equal(isAzureNative({ type: LOCAL("keyvault", "20260201", "Key") }), true);
    assert.equal(isAzureNative({ type: "azuread:index/group:Group" }), false);
  });

  it("takes the REST API version from the token, the default class's from the SDK", () => {
    assert.equal(apiVersionOf(LOCAL("keyvault", "20260201", "Vault"), {}), "2026-02-01");
    assert.equal(apiVersionOf(LOCAL("synapse", "20210601preview", "Workspace"), {}), "2021-06-01-preview");
    assert.equal(apiVersionOf(ALIAS("keyvault", "20230701", "Vault"), {}), "2023-07-01");
    assert.match(apiVersionOf("azure-native:keyvault:Vault", {}) ?? "", /^\d{4}-\d{2}-\d{2}/);
  });

  it("the mock engine gives a local package's resource the default class's ARM id", () => {
    const inputs = { resourceGroupName: "rg-pay-prod-weu-security", vaultName: "kv-pay-prod-weu-10b5" };
    const urn = (type: string) => `urn:pulumi:prod::p::${type}::platform-kv`;
    const local = mockResource(LOCAL("keyvault", "20260201", "Vault"), "platform-kv", urn("l"), inputs);
    const own = mockResource("azure-native:keyvault:Vault", "platform-kv", urn("d"), inputs);
    assert.equal(local.id, own.id);
    assert.match(local.id, /\/providers\/Microsoft\.KeyVault\/vaults\/kv-pay-prod-weu-10b5$/);
  });

  it("the Key Vault retirement finds a local package on an old version, not one on 2026-02-01", () => {
    const today = new Date(Date.UTC(2026, 11, 7));
    const ids = (type: string) =>
      retirementsOf([record(type, { vaultName: "kv" })], today).map((f) => [f.retirement.id, f.resources[0].detail]);
    assert.deepEqual(ids(LOCAL("keyvault", "20230701", "Vault")), [
      ["keyvault-control-plane-api", "keyvault:Vault@2023-07-01"],
    ]);
    assert.deepEqual(ids(LOCAL("keyvault", "20260201", "Vault")), []);
  });

  it("first-deploy hazards, cost, providers and changes treat the token as its default class", () => {
    const pricing = (type: string) => record(type, { pricingName: "SqlServers" }, "defender-sql");
    assert.deepEqual(
      firstDeployHazards([pricing(LOCAL("security", "20240101", "Pricing"))]).map((h) => h.rule),
      firstDeployHazards([pricing("azure-native:security:Pricing")]).map((h) => h.rule),
    );
    assert.deepEqual(
      firstDeployHazards([pricing(LOCAL("security", "20240101", "Pricing"))]).map((h) => h.rule),
      ["defender-plan-exists"],
    );

    const vault = (type: string) =>
      record(
        type,
        { location: "westeurope", properties: { sku: { name: "premium", family: "A" } } },
        "platform-kv",
        `${RG}/providers/Microsoft.KeyVault/vaults/kv`,
      );
    const priced = (type: string) => estimate([vault(type)], { stack: "prod" }).lines.map((l) => [l.priceId, l.list]);
    assert.deepEqual(priced(LOCAL("keyvault", "20260201", "Vault")), priced("azure-native:keyvault:Vault"));
    assert.deepEqual(
      estimate([vault(LOCAL("keyvault", "20260201", "Vault"))], { stack: "prod" }).notEstimated.map((u) => u.reason),
      estimate([vault("azure-native:keyvault:Vault")], { stack: "prod" }).notEstimated.map((u) => u.reason),
    );

    assert.deepEqual(
      requiredProviders([vault(LOCAL("keyvault", "20260201", "Vault"))]).map((p) => p.namespace),
      ["Microsoft.KeyVault"],
    );

    // A public IP's SKU is a replacement whatever token declares it (the review's finding 7).
    const ip = (type: string, sku: string) =>
      record(
        type,
        { sku: { name: sku } },
        "ingestion-agw-pip",
        `${RG}/providers/Microsoft.Network/publicIPAddresses/pip`,
      );
    for (const type of [
      ALIAS("network", "20240501", "PublicIPAddress"),
      LOCAL("network", "20240501", "PublicIPAddress"),
    ])
      assert.deepEqual(
        plannedChanges([ip(type, "Standard")], [ip(type, "Basic")]).map((c) => [c.kind, c.because]),
        [["replace", ["sku"]]],
        type,
      );

    // A versioned lock over the vault still blocks its deletion; a versioned Flex plan still needs Microsoft.App.
    const vaultId = `${RG}/providers/Microsoft.KeyVault/vaults/kv`;
    const lock = record(
      LOCAL("authorization", "20200501", "ManagementLockByScope"),
      { scope: vaultId, level: "CanNotDelete" },
      "platform-kv-lock",
    );
    const setting = record(
      "azure-native:monitor:DiagnosticSetting",
      { name: "to-law" },
      "platform-kv-diag",
      `${vaultId}/providers/microsoft.insights/diagnosticSettings/to-law`,
    );
    const locked = plannedChanges([setting, lock], [lock]);
    assert.equal(locked.length, 1);
    assert.deepEqual(
      locked[0].locked?.map((l) => l.name),
      ["platform-kv-lock"],
      "a versioned lock still blocks",
    );
    const plan = record(
      LOCAL("web", "20240401", "AppServicePlan"),
      { sku: { name: "FC1" } },
      "ingestion-plan",
      `${RG}/providers/Microsoft.Web/serverfarms/asp`,
    );
    assert.ok(
      requiredProviders([plan]).some((p) => p.namespace === "Microsoft.App"),
      "Flex needs Microsoft.App",
    );
    // The ARM schema check takes a local package's resource, at the token's version (not skipped).
    assert.deepEqual(armPairs([vault(LOCAL("keyvault", "20260201", "Vault"))]), [
      { armType: "Microsoft.KeyVault/vaults", version: "2026-02-01" },
    ]);

    const gone = plannedChanges([vault(LOCAL("keyvault", "20260201", "Vault"))], []);
    assert.equal(gone.length, 1);
    assert.equal(gone[0].stateful, true, "a vault deleted takes its keys with it, whatever token declared it");
  });
});
