/**
 * Versioned azure-native type tokens (`azure-native:storage/v20230501:StorageAccount`, the SDK's alias form, and
 * `azure-native_storage_v20230501:storage:StorageAccount`, what v3's `pulumi package add azure-native storage
 * 2023-05-01` registers): every rule must check them as the default class, and the advisory rule says they were
 * checked against the default API version's property names.
 */
import { strict as assert } from "node:assert";
import type { PolicyResource } from "@pulumi/policy";
import { policies } from "../../policies/policies";
import { ofType } from "../../policies/lib/policy";
import { apiVersionOf, defaultTypeToken, typeIn, typeOfUrn, withDefaultTypes } from "../../policies/lib/typeToken";
import { defaultApiVersion, requiredTags, unreviewedProviders } from "../../policies/rules/general";
import { storageNetwork } from "../../policies/rules/storage";
import { evaluatePolicy, mandatoryViolations, resourceRecord, runPolicies } from "../../tools/lib/policyRunner";
import { TAGS } from "./fixtures/protection";
import { expectFail, expectNotApplicable, expectPass } from "./helpers";

const VERSIONED = "azure-native:storage/v20230501:StorageAccount";
const DEFAULT = "azure-native:storage:StorageAccount";

/** An open storage account (public access, anonymous blobs, Shared Key, TLS 1.0, no CMK). */
const open = {
  location: "westeurope",
  resourceGroupName: "rg",
  kind: "StorageV2",
  sku: { name: "Standard_LRS" },
  publicNetworkAccess: "Enabled",
  allowBlobPublicAccess: true,
  allowSharedKeyAccess: true,
  minimumTlsVersion: "TLS1_0",
  tags: TAGS,
};

describe("versioned type tokens", () => {
  describe("lib/typeToken", () => {
    it("strips the API version module suffix, and only that", () => {
      assert.equal(defaultTypeToken(VERSIONED), DEFAULT);
      assert.equal(defaultTypeToken("azure-native:sql/v20230201preview:Server"), "azure-native:sql:Server");
      assert.equal(
        defaultTypeToken("azure-native:network/v20240101privatepreview:NetworkSecurityPerimeter"),
        "azure-native:network:NetworkSecurityPerimeter",
      );
      for (const same of [DEFAULT, "random:index/randomString:RandomString", "azure-native:storage/x:StorageAccount"])
        assert.equal(defaultTypeToken(same), same);
      assert.equal(apiVersionOf(VERSIONED), "2023-05-01");
      assert.equal(apiVersionOf("azure-native:sql/v20230201preview:Server"), "2023-02-01-preview");
      assert.equal(apiVersionOf(DEFAULT), undefined);
      assert.ok(typeIn([DEFAULT], VERSIONED) && typeIn([VERSIONED], DEFAULT) && !typeIn([DEFAULT], "x:y:Z"));
    });
    it("maps a v3 local package's tokens (pulumi package add) to the default token, and reads their API version", () => {
      const local = "azure-native_keyvault_v20260201:keyvault:Vault";
      assert.equal(defaultTypeToken(local), "azure-native:keyvault:Vault");
      assert.equal(apiVersionOf(local), "2026-02-01");
      assert.equal(defaultTypeToken("azure-native_sql_v20230201preview:sql:Server"), "azure-native:sql:Server");
      assert.equal(apiVersionOf("azure-native_sql_v20230201preview:sql:Server"), "2023-02-01-preview");
      assert.ok(typeIn(["azure-native:keyvault:Vault"], local));
      // Anything else keeps its token: another package's, or a malformed version.
      for (const same of ["azure-native_keyvault_2026:keyvault:Vault", "azapi_x_v20260201:keyvault:Vault"])
        assert.equal(defaultTypeToken(same), same);
    });
    it("holds a local package's resource to the default type's rules, and the provider rule lets it in", async () => {
      const local = resourceRecord("azure-native_storage_v20230501:storage:StorageAccount", "st-local", open, {
        stack: "prod",
      });
      const r = await evaluatePolicy(storageNetwork, local);
      assert.ok(
        r.applicable && r.messages.some((m) => /^st-local .*accepts public traffic/.test(m)),
        r.messages.join("\n"),
      );
      await expectPass(unreviewedProviders, [local]);
    });
    it("reads the declared type from a URN, a child's too", () => {
      assert.equal(typeOfUrn(`urn:pulumi:dev::p::${VERSIONED}::st`), VERSIONED);
      assert.equal(typeOfUrn(`urn:pulumi:dev::p::my:component:Lake$${VERSIONED}::st`), VERSIONED);
    });
    it("gives stack rules default tokens, with dependencies and parents pointing at the copies", () => {
      const base = { props: {}, opts: {}, propertyDependencies: {}, dependencies: [] } as unknown as PolicyResource;
      const account = { ...base, urn: "urn:a", name: "st", type: VERSIONED } as PolicyResource;
      const setting = {
        ...base,
        urn: "urn:b",
        name: "diag",
        type: "azure-native:insights/v20210501preview:DiagnosticSetting",
        dependencies: [account],
        propertyDependencies: { resourceUri: [account] },
        parent: account,
      } as PolicyResource;
      const [a, b] = withDefaultTypes([account, setting]);
      assert.equal(a.type, DEFAULT);
      assert.equal(b.type, "azure-native:insights:DiagnosticSetting");
      assert.equal(b.dependencies[0], a);
      assert.equal(b.propertyDependencies.resourceUri[0], a);
      assert.equal(b.parent, a);
      assert.equal(account.type, VERSIONED, "the engine's objects are left alone");
      const plain = [{ ...base, urn: "urn:c", name: "c", type: DEFAULT } as PolicyResource];
      assert.equal(withDefaultTypes(plain), plain);
      assert.deepEqual(
        ofType([account, setting], DEFAULT).map((r) => r.name),
        ["st"],
      );
    });
  });

  it("no resource rule carries a __pulumiType, which makes the engine skip every other token, a versioned one too", () => {
    // @pulumi/policy server.js: `if (pulumiType && type !== pulumiType)` → "Policy only applies to resources of type".
    for (const p of policies) {
      if (!("validateResource" in p)) continue;
      const fn = p.validateResource as unknown as { __pulumiType?: string };
      assert.equal(fn.__pulumiType, undefined, p.name);
    }
  });

  it("a versioned open storage account gets the same mandatory violations as the default-version one", async () => {
    const run = async (type: string) => {
      const verdict = await runPolicies(policies, [resourceRecord(type, "open-st", open, { stack: "prod" })], {
        packEnforcementLevel: "mandatory",
      });
      return mandatoryViolations(verdict)
        .map((v) => v.policy)
        .sort();
    };
    const expected = await run(DEFAULT);
    // Resource rules (public access, TLS, Shared Key, ...) and stack rules (diagnostics, private endpoint, lock).
    for (const name of [
      storageNetwork.name,
      "azure-native-storage-storageaccount-enforce-minimum-tls-version",
      "azure-native-storage-storageaccount-disallow-blob-public-access",
      "azure-native-storage-storageaccount-disable-shared-key-access",
      "azure-native-network-privateendpoint-missing-for-data-service",
      "azure-native-authorization-managementlock-missing-for-stateful-resource",
    ])
      assert.ok(expected.includes(name), name);
    assert.deepEqual(await run(VERSIONED), expected);
  });

  it("a versioned type is checked by the tags rule and by type lists in config (typeIn)", async () => {
    await expectFail(
      requiredTags,
      resourceRecord(VERSIONED, "st", { ...open, tags: {} }),
      /st .*missing required tags/,
    );
    await expectPass(requiredTags, resourceRecord(VERSIONED, "st", open), { taggableTypes: [DEFAULT] });
    await expectNotApplicable(requiredTags, resourceRecord(VERSIONED, "st", open), {
      taggableTypes: ["azure-native:keyvault:Vault"],
    });
  });

  describe(defaultApiVersion.name, () => {
    it("passes a default-version class", () => expectPass(defaultApiVersion, resourceRecord(DEFAULT, "st", open)));
    it("reports a versioned class (advisory): checked against the default API version's property names", async () => {
      const r = await expectFail(
        defaultApiVersion,
        resourceRecord(VERSIONED, "st", open),
        /^st \(azure-native:storage\/v20230501:StorageAccount\) is declared with API version 2023-05-01: the pack checked it against the default API version's property names \(azure-native:storage:StorageAccount\)/,
      );
      assert.equal(r.enforcementLevel, "advisory");
    });
    it("is not applicable to other providers' resources", () =>
      expectNotApplicable(
        defaultApiVersion,
        resourceRecord("random:index/randomString:RandomString", "suffix", { length: 4 }),
      ));
  });
});
