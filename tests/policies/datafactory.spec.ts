import { strict as assert } from "node:assert";
import {
  datafactoryPolicies,
  factoryCmk,
  factoryGlobalParameterSecrets,
  factoryPublicNetwork,
  factoryOutboundAllowList,
  factoryRepoConfiguration,
  integrationRuntimeManagedVnet,
  linkedServiceEncryptedSql,
  linkedServiceInlineSecrets,
  linkedServiceDeclaredRuntime,
  linkedServiceIntegrationRuntime,
  linkedServiceManagedIdentity,
  pipelineInlineSecrets,
} from "../../policies/rules/datafactory";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import * as f from "./fixtures/datafactory";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  failCases,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

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

  describe(factoryOutboundAllowList.name, () => {
    const prod = f.factory("prod");
    const rgScope = "/subscriptions/s/resourceGroups/rg-pay-prod-weu-integration";
    const factoryId = `${rgScope}/providers/Microsoft.DataFactory/factories/adf-pay-prod-weu`;
    const deployed = { ...prod, outputs: { ...prod.outputs, id: factoryId } };
    const assignment = (props: Record<string, unknown>, dependsOnFactory = false) =>
      resourceRecord(
        "azure-native:authorization:PolicyAssignment",
        "etl-outbound-allow-list",
        {
          policyDefinitionId:
            "/providers/Microsoft.Authorization/policyDefinitions/3d02a511-74e5-4dab-a5fd-878704d4a61a",
          parameters: { effect: { value: "Deny" }, allowedDomainNames: { value: ["management.azure.com"] } },
          ...props,
        },
        {
          stack: "prod",
          ...(dependsOnFactory ? { propertyDependencies: { scope: [prod.urn] }, dependencies: [prod.urn] } : {}),
        },
      );
    it("is advisory by default (a preview Microsoft enforces once switched on in ADF Studio)", () =>
      assert.equal(factoryOutboundAllowList.enforcementLevel, "advisory"));
    it("passes a factory under the allow-list, assigned on its resource group (or on it, or decided by dependency)", async () => {
      await expectPass(factoryOutboundAllowList, [deployed, assignment({ scope: rgScope })]);
      await expectPass(factoryOutboundAllowList, [deployed, assignment({ scope: factoryId })]);
      await expectPass(factoryOutboundAllowList, [prod, assignment({ scope: UNKNOWN }, true)]);
    });
    it("fails a factory with none, one not enforced, another definition, or one on another group", async () => {
      const message =
        /adf-pay-prod-weu .*has no enforced outbound allow-list: its managed virtual network opens every port outbound/;
      await expectFail(factoryOutboundAllowList, [deployed], message);
      await expectFail(
        factoryOutboundAllowList,
        [deployed, assignment({ scope: rgScope, enforcementMode: "DoNotEnforce" })],
        message,
      );
      await expectFail(
        factoryOutboundAllowList,
        [
          deployed,
          assignment({
            scope: rgScope,
            policyDefinitionId: "/providers/Microsoft.Authorization/policyDefinitions/other",
          }),
        ],
        message,
      );
      await expectFail(
        factoryOutboundAllowList,
        [deployed, assignment({ scope: "/subscriptions/s/resourceGroups/rg-other" })],
        message,
      );
    });
    it("is not applicable without a factory", () =>
      expectNotApplicable(factoryOutboundAllowList, [assignment({ scope: rgScope })]));
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
    it("is mandatory by default (a key or secret in a linked service fails the gate)", () =>
      assert.equal(linkedServiceManagedIdentity.enforcementLevel, "mandatory"));
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
        "a service principal with a key is used",
        "properties.authenticationType",
        "ServicePrincipal",
        /adf-pay-dev-weu-ls-sql .*\(properties\.authenticationType "ServicePrincipal"\)/,
      ],
      [
        "a service principal is used",
        "properties.servicePrincipalId",
        "00000000-0000-0000-0000-000000000001",
        /\(properties\.servicePrincipalId\)/,
      ],
    ]);
    it("fails a service principal with a key from Key Vault as a mandatory violation", async () => {
      const sp = mutate(
        mutate(sql, "properties.authenticationType", "ServicePrincipal"),
        "properties.servicePrincipalKey",
        kvRef("etl-sp-secret"),
      );
      const r = await expectFail(
        linkedServiceManagedIdentity,
        sp,
        /\(properties\.authenticationType "ServicePrincipal", properties\.servicePrincipalKey\)/,
      );
      assert.equal(r.enforcementLevel, "mandatory");
    });
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

  describe(linkedServiceIntegrationRuntime.name, () => {
    const sql = f.sqlLinkedService();
    it("passes linked services that name their runtime", async () => {
      await expectPass(linkedServiceIntegrationRuntime, sql);
      await expectPass(linkedServiceIntegrationRuntime, f.lakeLinkedService());
    });
    it("passes a runtime name unknown during preview", () =>
      expectPass(linkedServiceIntegrationRuntime, mutate(sql, "properties.connectVia.referenceName", UNKNOWN)));
    failCases(linkedServiceIntegrationRuntime, sql, [
      [
        "connectVia is unset (the default public Azure runtime)",
        "properties.connectVia",
        undefined,
        /adf-pay-dev-weu-ls-sql .*names no integration runtime \(properties\.connectVia unset\).*outside the managed virtual network/,
      ],
    ]);
    it("is not applicable to a Key Vault linked service (it cannot name a runtime)", () =>
      expectNotApplicable(
        linkedServiceIntegrationRuntime,
        mutate(sql, "properties", { type: "AzureKeyVault", baseUrl: "https://kv.vault.azure.net/" }),
      ));
    it("is not applicable to other types", () => expectNotApplicable(linkedServiceIntegrationRuntime, factory));
  });

  describe(linkedServiceDeclaredRuntime.name, () => {
    const sql = f.sqlLinkedService();
    it("passes linked services on a runtime the stack declares in the same factory (even named AutoResolve…)", () =>
      expectPass(linkedServiceDeclaredRuntime, [factory, f.integrationRuntime(), sql, f.lakeLinkedService()]));
    it("fails the factory's built-in public runtime, which the stack does not redeclare", () =>
      expectFail(
        linkedServiceDeclaredRuntime,
        [factory, sql],
        /adf-pay-dev-weu-ls-sql .*runs on 'AutoResolveIntegrationRuntime', which the stack does not declare in its factory \(the factory's built-in public Azure integration runtime\)/,
      ));
    it("fails a runtime of another factory", () =>
      expectFail(
        linkedServiceDeclaredRuntime,
        [factory, mutate(f.integrationRuntime(), "factoryName", "adf-other"), sql],
        /runs on 'AutoResolveIntegrationRuntime', which the stack does not declare/,
      ));
    it("passes a runtime whose name is unknown during preview when the linked service's properties take its name", () => {
      const ir = mutate(f.integrationRuntime(), "integrationRuntimeName", UNKNOWN);
      return expectPass(linkedServiceDeclaredRuntime, [
        factory,
        ir,
        { ...sql, propertyDependencies: { properties: [ir.urn] } },
      ]);
    });
    it("can't decide while the runtime's name is unknown and the linked service merely waits for it (advisory)", async () => {
      const ir = mutate(f.integrationRuntime(), "integrationRuntimeName", UNKNOWN);
      const r = await evaluatePolicy(linkedServiceDeclaredRuntime, [
        factory,
        { ...ir, outputs: { ...ir.outputs, name: UNKNOWN } },
        { ...mutate(sql, "properties.connectVia.referenceName", "public-ir"), dependencies: [ir.urn] },
      ]);
      assert.deepEqual(
        r.violations.map((v) => v.enforcementLevel),
        ["advisory"],
        "never a pass on a runtime it cannot name",
      );
    });
    it("a referenceName unknown during preview but taken from a declared runtime names that runtime", async () => {
      const ir = mutate(f.integrationRuntime(), "integrationRuntimeName", UNKNOWN);
      const wired = {
        ...mutate(sql, "properties.connectVia.referenceName", UNKNOWN),
        propertyDependencies: { properties: [ir.urn] },
      };
      await expectPass(linkedServiceDeclaredRuntime, [factory, ir, wired]);
      const FACTORY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/adf-pay-dev-weu";
      await expectFail(
        linkedServiceDeclaredRuntime,
        [
          factory,
          { ...ir, outputs: { id: `${FACTORY}-other/integrationruntimes/ir`, name: UNKNOWN } },
          { ...wired, outputs: { ...wired.outputs, id: `${FACTORY}/linkedservices/ls-sql` } },
        ],
        /runs on a runtime of another factory/,
      );
    });
    it("once deployed (no factoryName or integrationRuntimeName in the outputs), matches by name and by the ids' factory", async () => {
      const FACTORY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/adf-pay-dev-weu";
      const deployedIr = (factoryId: string) => ({
        ...f.integrationRuntime(),
        outputs: {
          id: `${factoryId}/integrationruntimes/AutoResolveIntegrationRuntime`,
          name: "AutoResolveIntegrationRuntime",
        },
      });
      const deployedSql = {
        ...sql,
        outputs: { ...sql.outputs, id: `${FACTORY}/linkedservices/ls-sql`, factoryName: undefined },
      };
      await expectPass(linkedServiceDeclaredRuntime, [factory, deployedIr(FACTORY), deployedSql]);
      await expectFail(
        linkedServiceDeclaredRuntime,
        [factory, deployedIr(`${FACTORY}-other`), deployedSql],
        /which the stack does not declare in its factory/,
      );
    });
    it("passes a runtime name unknown during preview (nothing to match yet)", () =>
      expectNotApplicable(linkedServiceDeclaredRuntime, [
        factory,
        mutate(sql, "properties.connectVia.referenceName", UNKNOWN),
      ]));
  });

  describe(linkedServiceEncryptedSql.name, () => {
    const sql = f.sqlLinkedService();
    it("passes mandatory encryption, and an unset one (the connector's default is mandatory)", async () => {
      await expectPass(linkedServiceEncryptedSql, sql);
      await expectPass(linkedServiceEncryptedSql, mutate(sql, "properties.encrypt", undefined));
      await expectPass(linkedServiceEncryptedSql, mutate(sql, "properties.encrypt", "strict"));
    });
    failCases(linkedServiceEncryptedSql, sql, [
      [
        "encrypt is optional",
        "properties.encrypt",
        "optional",
        /ls-sql .*unencrypted or unverified SQL connection \(properties\.encrypt "optional"\)/,
      ],
      ["encrypt is false", "properties.encrypt", false, /properties\.encrypt false/],
      [
        "the server certificate is trusted blindly",
        "properties.trustServerCertificate",
        true,
        /properties\.trustServerCertificate true\): set encrypt to "mandatory" and trustServerCertificate to false/,
      ],
      [
        "the connection string turns encryption off",
        "properties.connectionString",
        "Server=tcp:x.database.windows.net;Database=db;Encrypt=False;TrustServerCertificate=True",
        /connectionString Encrypt=False, properties\.connectionString TrustServerCertificate=True/,
      ],
    ]);
    it("is not applicable to non-SQL linked services", () =>
      expectNotApplicable(linkedServiceEncryptedSql, f.lakeLinkedService()));
  });

  describe(pipelineInlineSecrets.name, () => {
    const pl = f.pipeline();
    it("passes a Web activity authenticated by a managed identity credential", () =>
      expectPass(pipelineInlineSecrets, pl));
    failCases(pipelineInlineSecrets, pl, [
      [
        "a Web activity carries a basic-auth password",
        "activities.0.authentication",
        { type: "Basic", username: "svc", password: "hunter2" },
        /pl-pool-pause .*inline secrets at activities\[0\]\.authentication\.password/,
      ],
      [
        "a parameter has a SecureString default",
        "parameters.apiKey",
        { type: "SecureString", defaultValue: "abc" },
        /inline secrets at parameters\.apiKey/,
      ],
      [
        "a nested activity sends a SecureString value",
        "activities.0.ifTrueActivities",
        [{ name: "n", type: "WebActivity", body: { type: "SecureString", value: "token" } }],
        /inline secrets at activities\[0\]\.ifTrueActivities\[0\]\.body/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(pipelineInlineSecrets, factory));
  });
  describe(factoryGlobalParameterSecrets.name, () => {
    const withParams = (params: Record<string, unknown>) => mutate(f.factory(), "globalParameters", params);
    it("passes names and switches", () =>
      expectPass(
        factoryGlobalParameterSecrets,
        withParams({
          oltpServer: { type: "String", value: "sql-pay-dev-weu.database.windows.net" },
          offHoursStart: { type: "Bool", value: true },
          idempotencyKeyColumn: { type: "String", value: "IdempotencyKey" },
          // The name or address of a Key Vault secret is what the rule asks for, not a secret.
          sqlPasswordSecretName: { type: "String", value: "sql-etl-password" },
          tokenEndpoint: { type: "String", value: "https://login.microsoftonline.com/x/oauth2/v2.0/token" },
        }),
      ));
    it("fails a credential-bearing connection string, a SAS URL or a value under a secret name", async () => {
      await expectFail(
        factoryGlobalParameterSecrets,
        withParams({ oltpConn: { type: "String", value: "Server=tcp:x;User ID=etl;Password=hunter2" } }),
        /adf-pay-dev-weu .* keeps a secret in global parameter\(s\) oltpConn, stored in clear text/,
      );
      await expectFail(
        factoryGlobalParameterSecrets,
        withParams({ exportUrl: { type: "String", value: "https://st.blob.core.windows.net/x?sv=2024&sig=abc" } }),
        /global parameter\(s\) exportUrl/,
      );
      await expectFail(
        factoryGlobalParameterSecrets,
        withParams({ partnerApiKey: { type: "String", value: "k-123" }, DbPassword: { type: "String", value: "p" } }),
        /global parameter\(s\) partnerApiKey, DbPassword/,
      );
    });
    it("is undecided on a value unknown in a preview, not applicable without global parameters", async () => {
      await expectUndecided(
        factoryGlobalParameterSecrets,
        withParams({ cmkKeyId: { type: "String", value: UNKNOWN } }),
      );
      await expectNotApplicable(factoryGlobalParameterSecrets, f.factory());
      await expectNotApplicable(factoryGlobalParameterSecrets, otherResource());
    });
  });
});
