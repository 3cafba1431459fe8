import { strict as assert } from "node:assert";
import {
  datafactoryPolicies,
  factoryCmk,
  factoryPublicNetwork,
  factoryRepoConfiguration,
  integrationRuntimeManagedVnet,
  linkedServiceInlineSecrets,
  linkedServiceManagedIdentity,
} from "../../policies/rules/datafactory";
import { evaluatePolicy } from "../../tools/lib/policyRunner";
import * as f from "./fixtures/datafactory";
import { expectFail, expectNotApplicable, expectPass, failCases, mutate, otherResource, UNKNOWN } from "./helpers";

const kvRef = (secretName: string) => ({
  type: "AzureKeyVaultSecret",
  store: { referenceName: "keyvault", type: "LinkedServiceReference" },
  secretName,
});

describe("policies/datafactory", () => {
  const factory = f.factory();

  it("exports uniquely named policies", () => {
    const names = datafactoryPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => n.startsWith("azure-native-datafactory-")));
  });

  describe(factoryPublicNetwork.name, () => {
    it("passes the compliant factory", () => expectPass(factoryPublicNetwork, factory));
    failCases(factoryPublicNetwork, factory, [
      [
        "publicNetworkAccess is unset (defaults to Enabled)",
        "publicNetworkAccess",
        undefined,
        /adf-pay-dev-weu \(azure-native:datafactory:Factory\) allows public network access .*set publicNetworkAccess to "Disabled"/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(factoryPublicNetwork, otherResource()));
  });

  describe(factoryCmk.name, () => {
    it("passes the compliant factory", () => expectPass(factoryCmk, factory));
    it("passes a vault URL that is unknown during preview", () =>
      expectPass(factoryCmk, mutate(factory, "encryption.vaultBaseUrl", UNKNOWN)));
    failCases(factoryCmk, factory, [
      [
        "encryption is unset",
        "encryption",
        undefined,
        /adf-pay-dev-weu .*no customer-managed key \(encryption\.vaultBaseUrl, encryption\.keyName unset\)/,
      ],
      [
        "keyName is unset",
        "encryption.keyName",
        undefined,
        /adf-pay-dev-weu .*encryption\.keyName unset\): set encryption\.vaultBaseUrl and encryption\.keyName/,
      ],
      [
        "the factory has no identity",
        "identity",
        undefined,
        /adf-pay-dev-weu .*no managed identity .*set identity\.type/,
      ],
    ]);
    it("is not applicable to out-of-scope factories", () =>
      expectNotApplicable(
        factoryCmk,
        mutate(mutate(factory, "encryption", undefined), "tags.pci-scope", "out-of-scope"),
      ));
    it("is not applicable to other types", () => expectNotApplicable(factoryCmk, otherResource()));
  });

  describe(factoryRepoConfiguration.name, () => {
    it("is advisory by default", () => assert.equal(factoryRepoConfiguration.enforcementLevel, "advisory"));
    it("passes the Git-integrated dev factory", () => expectPass(factoryRepoConfiguration, factory));
    it("fails a dev factory without Git, at advisory level", async () => {
      const v = await expectFail(
        factoryRepoConfiguration,
        mutate(factory, "repoConfiguration", undefined),
        /adf-pay-dev-weu .*not under version control: set repoConfiguration/,
      );
      assert.equal(v.enforcementLevel, "advisory");
    });
    it("is not applicable to production factories (published by CI)", () =>
      expectNotApplicable(factoryRepoConfiguration, f.factory("prod")));
    it("honours prodStacks", () =>
      expectNotApplicable(factoryRepoConfiguration, mutate(factory, "repoConfiguration", undefined), {
        prodStacks: ["dev"],
      }));
    it("is not applicable to other types", () => expectNotApplicable(factoryRepoConfiguration, otherResource()));
  });

  describe(linkedServiceInlineSecrets.name, () => {
    const sql = f.sqlLinkedService();
    const sftp = f.sftpLinkedService();
    it("passes managed-identity and Key Vault-backed linked services", async () => {
      await expectPass(linkedServiceInlineSecrets, sql);
      await expectPass(linkedServiceInlineSecrets, f.lakeLinkedService());
      await expectPass(linkedServiceInlineSecrets, sftp);
    });
    failCases(linkedServiceInlineSecrets, sftp, [
      [
        "the password is a SecureString",
        "properties.password",
        { type: "SecureString", value: UNKNOWN },
        /adf-pay-dev-weu-ls-sftp .*inline secrets at properties\.password: replace them with AzureKeyVaultSecret references/,
      ],
      [
        "the password is a plain string",
        "properties.password",
        "P@ssw0rd!",
        /adf-pay-dev-weu-ls-sftp .*inline secrets at properties\.password/,
      ],
    ]);
    failCases(linkedServiceInlineSecrets, sql, [
      [
        "the connection string embeds a password",
        "properties.connectionString",
        "Server=tcp:x.database.windows.net;Database=db;User ID=etl;Password=hunter2;",
        /adf-pay-dev-weu-ls-sql .*embeds a credential in properties\.connectionString/,
      ],
      [
        "the service principal key is inline",
        "properties.servicePrincipalKey",
        { type: "SecureString", value: "abc" },
        /inline secrets at properties\.servicePrincipalKey/,
      ],
      [
        "a SecureString parameter has a default",
        "properties.parameters",
        { pwd: { type: "SecureString", defaultValue: "abc" } },
        /inline secrets at properties\.parameters\.pwd/,
      ],
    ]);
    failCases(linkedServiceInlineSecrets, f.lakeLinkedService(), [
      [
        "a SAS URI carries its signature",
        "properties.sasUri",
        "https://st.blob.core.windows.net/c?sv=2022-11-02&sig=abc",
        /adf-pay-dev-weu-ls-lake .*embeds a credential in properties\.sasUri/,
      ],
    ]);
    it("accepts a connection string without credentials", () =>
      expectPass(
        linkedServiceInlineSecrets,
        mutate(sql, "properties.connectionString", "Server=tcp:x.database.windows.net;Database=db;"),
      ));
    it("accepts a connection string held in Key Vault", () =>
      expectPass(linkedServiceInlineSecrets, mutate(sql, "properties.connectionString", kvRef("sql-connection"))));
    it("also reads ARM-shaped typeProperties", () =>
      expectFail(
        linkedServiceInlineSecrets,
        mutate(sql, "properties.typeProperties", { password: { type: "SecureString", value: "x" } }),
        /inline secrets at properties\.typeProperties\.password/,
      ));
    it("cannot judge a connection string that is unknown during preview (advisory)", async () => {
      const r = await evaluatePolicy(linkedServiceInlineSecrets, mutate(sql, "properties.connectionString", UNKNOWN));
      assert.equal(r.violations.length, 1);
      assert.equal(r.violations[0].enforcementLevel, "advisory");
      assert.match(
        r.messages[0],
        /can't run policy 'azure-native-datafactory-linkedservice-disallow-inline-secrets' during preview/,
      );
    });
    it("is not applicable to other types", () => expectNotApplicable(linkedServiceInlineSecrets, factory));
  });

  describe(linkedServiceManagedIdentity.name, () => {
    const sql = f.sqlLinkedService();
    it("is advisory by default", () => assert.equal(linkedServiceManagedIdentity.enforcementLevel, "advisory"));
    it("passes managed-identity linked services", async () => {
      await expectPass(linkedServiceManagedIdentity, sql);
      await expectPass(linkedServiceManagedIdentity, f.lakeLinkedService());
    });
    failCases(linkedServiceManagedIdentity, sql, [
      [
        "SQL authentication is used",
        "properties.authenticationType",
        "SQL",
        /adf-pay-dev-weu-ls-sql .*without a managed identity \(properties\.authenticationType "SQL"\).*"SystemAssignedManagedIdentity"/,
      ],
      [
        "a password is given (even from Key Vault)",
        "properties.password",
        kvRef("sql-password"),
        /adf-pay-dev-weu-ls-sql .*\(properties\.password\)/,
      ],
      [
        "a service principal is used",
        "properties.servicePrincipalId",
        "00000000-0000-0000-0000-000000000001",
        /\(properties\.servicePrincipalId\)/,
      ],
    ]);
    it("is not applicable to connectors without managed identity support", () =>
      expectNotApplicable(linkedServiceManagedIdentity, f.sftpLinkedService()));
    it("honours identityCapableTypes", () =>
      expectNotApplicable(linkedServiceManagedIdentity, mutate(sql, "properties.authenticationType", "SQL"), {
        identityCapableTypes: ["AzureBlobFS"],
      }));
    it("is not applicable to other types", () => expectNotApplicable(linkedServiceManagedIdentity, factory));
  });

  describe(integrationRuntimeManagedVnet.name, () => {
    const ir = f.integrationRuntime();
    it("passes the compliant integration runtime", () => expectPass(integrationRuntimeManagedVnet, ir));
    failCases(integrationRuntimeManagedVnet, ir, [
      [
        "managedVirtualNetwork is unset",
        "properties.managedVirtualNetwork",
        undefined,
        /adf-pay-dev-weu-ir .*outside the factory's managed virtual network: set properties\.managedVirtualNetwork/,
      ],
      [
        "the reference is not a managed VNet",
        "properties.managedVirtualNetwork.type",
        "Other",
        /adf-pay-dev-weu-ir .*outside the factory's managed virtual network/,
      ],
    ]);
    it("fails an Azure-SSIS runtime outside any virtual network", () =>
      expectFail(
        integrationRuntimeManagedVnet,
        mutate(mutate(ir, "properties.managedVirtualNetwork", undefined), "properties.ssisProperties", {
          edition: "Standard",
        }),
        /adf-pay-dev-weu-ir .*Azure-SSIS runtime outside any virtual network: set .*properties\.computeProperties\.vNetProperties\.subnetId/,
      ));
    it("passes a VNet-joined Azure-SSIS runtime", () =>
      expectPass(
        integrationRuntimeManagedVnet,
        mutate(
          mutate(mutate(ir, "properties.managedVirtualNetwork", undefined), "properties.ssisProperties", {
            edition: "Standard",
          }),
          "properties.computeProperties.vNetProperties",
          { subnetId: UNKNOWN },
        ),
      ));
    it("is not applicable to self-hosted runtimes", () =>
      expectNotApplicable(integrationRuntimeManagedVnet, mutate(ir, "properties", { type: "SelfHosted" })));
    it("is not applicable to other types", () => expectNotApplicable(integrationRuntimeManagedVnet, factory));
  });
});
