/**
 * More edges of the pack's rules an auditor relies on (second mutation audit: ingress, Data Factory, Synapse, Synapse
 * SQL, Azure ML, container registry, Cosmos DB, operations, protection, and the scope, exemption, network and template
 * libraries): the unset value that means the insecure default, the spellings an enum or a connection string also
 * takes, one past each limit, every type a rule lists, and what a value unknown during preview must never decide.
 * Each case here was a mutant of the pack that the rule's own spec let through.
 */
import { strict as assert } from "node:assert";
import { appGatewayClientCertificates, appGatewayKeyVaultCertificates, webCors } from "../../policies/rules/ingress";
import { alertActionGroup, dataStoreAlerts } from "../../policies/rules/operations";
import {
  factoryCmk,
  integrationRuntimeManagedVnet,
  linkedServiceDeclaredRuntime,
  linkedServiceEncryptedSql,
  linkedServiceInlineSecrets,
  linkedServiceManagedIdentity,
  pipelineInlineSecrets,
} from "../../policies/rules/datafactory";
import {
  synapseCmk,
  synapseEntraOnly,
  synapseExfiltration,
  synapseManagedVnet,
  synapseSqlPoolTde,
} from "../../policies/rules/synapse";
import { synapsePoolGeoBackup, synapseSqlSecurityDeclared } from "../../policies/rules/synapseSql";
import {
  mlCmk,
  mlComputePublicAccess,
  mlHbiWorkspace,
  mlOutboundRules,
  mlPublicNetwork,
} from "../../policies/rules/ml";
import {
  cosmosContinuousBackup,
  cosmosIpRules,
  cosmosLocalAuth,
  cosmosMetadataWrites,
  cosmosMinimalTls,
} from "../../policies/rules/cosmosdb";
import { requireManagementLock, requireProtect } from "../../policies/rules/protection";
import { SYNAPSE_SQL_SECURITY_SETTINGS, SYNAPSE_SQL_SECURITY_TAG } from "../../policies/lib/templates";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import { firewallThreatProtection } from "../../policies/rules/network";
import { appGateway, firewallPolicy, mtlsGateway } from "./fixtures/network";
import { functionApp } from "./fixtures/streaming";
import * as adf from "./fixtures/datafactory";
import { synapseSqlPool, synapseSqlPoolTde as tdeOf, synapseSqlSecurity, synapseWorkspace } from "./fixtures/synapse";
import { mlCluster, mlInstance, mlOutboundRule, mlWorkspace } from "./fixtures/ml";
import { cosmosAccount } from "./fixtures/cosmosdb";
import { diagnosticSetting, workspace } from "./fixtures/monitor";
import { armId, protectionStack, RG_NAME } from "./fixtures/protection";
import { expectFail, expectPass, expectUndecided, mutate, UNKNOWN } from "./helpers";

const kvRef = (secretName: string) => ({
  type: "AzureKeyVaultSecret",
  store: { referenceName: "keyvault", type: "LinkedServiceReference" },
  secretName,
});

/** A metric alert in the program (so the operations tier exists) that watches nothing in particular. */
const unrelatedAlert = (actions: unknown = [{ actionGroupId: armId("Microsoft.Insights", "actionGroups/ag-p1") }]) =>
  resourceRecord("azure-native:monitor:MetricAlert", "alert-other", {
    resourceGroupName: RG_NAME,
    location: "global",
    severity: 2,
    scopes: [armId("Microsoft.Web", "sites/func-pay-dev-weu")],
    criteria: { odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria", allOf: [] },
    actions,
  });

/** The Synapse SQL security deployment with its first (auditing) entry gated on `condition`. */
const auditingGated = (condition: string, parameters?: Record<string, unknown>) => {
  let d = mutate(synapseSqlSecurity(), "properties.template.resources.0.condition", condition);
  for (const [k, v] of Object.entries(parameters ?? {})) d = mutate(d, `properties.parameters.${k}`, { value: v });
  return d;
};
/** Template path of the n-th resource of the SQL security deployment. */
const at = (n: number, path: string) => `properties.template.resources.${n}.properties.${path}`;

describe("policy edges (2): unset defaults, other spellings, every listed type, unknowns that decide nothing", () => {
  // ingress.ts
  it("a gateway certificate that carries only a password (a PFX secret in the state) fails", async () => {
    await expectFail(
      appGatewayKeyVaultCertificates,
      mutate(appGateway(), "sslCertificates.0.password", "secret"),
      /sslCertificates 'api' embeds the certificate/,
    );
  });
  it("a gateway reading Key Vault certificates with identity type None fails", async () => {
    await expectFail(
      appGatewayKeyVaultCertificates,
      mutate(appGateway(), "identity", { type: "None" }),
      /reads Key Vault certificates without an identity/,
    );
  });
  it("an mTLS profile with verifyClientRevocation left unset (no revocation check) fails", async () => {
    await expectFail(
      appGatewayClientCertificates,
      mutate(mtlsGateway(), "sslProfiles.2.clientAuthConfiguration.verifyClientRevocation", undefined),
      /does not check revocation: set verifyClientRevocation to OCSP/,
    );
  });
  it("an mTLS profile with verifyClientCertIssuerDN left unset (false by default) fails", async () => {
    await expectFail(
      appGatewayClientCertificates,
      mutate(mtlsGateway(), "sslProfiles.2.clientAuthConfiguration.verifyClientCertIssuerDN", undefined),
      /does not verify the issuer name/,
    );
  });
  it("a plain-HTTP CORS origin spelt in upper case fails", async () => {
    await expectFail(
      webCors,
      mutate(functionApp(), "siteConfig.cors", { allowedOrigins: ["HTTP://dashboard.example.com"] }),
      /allows the plain-HTTP origin 'HTTP:\/\/dashboard\.example\.com'/,
    );
  });

  // operations.ts
  it("a data store whose only diagnostic setting has no workspace (storage only) is not diagnosed", async () => {
    const account = resourceRecord(
      "azure-native:cosmosdb:DatabaseAccount",
      "cosmos-pay-dev-weu",
      { resourceGroupName: RG_NAME, accountName: "cosmos-pay-dev-weu-1a2b" },
      { outputs: { id: armId("Microsoft.DocumentDB", "databaseAccounts/cosmos-pay-dev-weu-1a2b") } },
    );
    // Deployed: an absent workspaceId is absent from the outputs. (In a first preview the provider answers every
    // response property it was not given as unknown, which the stack rule counts as wired: the diagnostic settings'
    // resource rule, which sees the inputs, reports the missing workspace there.)
    let diag = diagnosticSetting("diag-cosmos", account, String(account.outputs.id));
    diag = mutate(mutate(diag, "workspaceId", undefined), "storageAccountId", armId("Microsoft.Storage", "x/st"));
    const alert = { ...unrelatedAlert(), propertyDependencies: { scopes: [account.urn] } };
    await expectFail(
      dataStoreAlerts,
      [workspace(), account, diag, mutate(alert, "scopes", [UNKNOWN])],
      /cosmos-pay-dev-weu .*: no diagnostic setting sends its logs to a workspace;/,
    );
  });
  it("an unwatched Synapse dedicated SQL pool fails the data store alert rule", async () => {
    await expectFail(
      dataStoreAlerts,
      [workspace(), synapseSqlPool(), unrelatedAlert()],
      /syndp_pay_dev \(azure-native:synapse:SqlPool\): no diagnostic setting .* and no alert rule watches it/,
    );
  });
  it("an unwatched SQL database fails the data store alert rule", async () => {
    const db = resourceRecord("azure-native:sql:Database", "sqldb-pay-dev-weu", { resourceGroupName: RG_NAME });
    await expectFail(
      dataStoreAlerts,
      [workspace(), db, unrelatedAlert()],
      /sqldb-pay-dev-weu \(azure-native:sql:Database\): .*no alert rule watches it/,
    );
  });
  it("an alert whose actions name no actionGroupId (a webhook only) notifies no action group", async () => {
    await expectFail(alertActionGroup, unrelatedAlert([{ webHookProperties: { k: "v" } }]), /notifies no action group/);
    await expectFail(
      alertActionGroup,
      resourceRecord("azure-native:monitor:ActivityLogAlert", "alert-resource-health", {
        resourceGroupName: RG_NAME,
        scopes: ["/subscriptions/x"],
        condition: { allOf: [{ field: "category", equals: "ResourceHealth" }] },
        actions: { actionGroups: [{ webhookProperties: { k: "v" } }] },
      }),
      /notifies no action group/,
    );
  });

  // datafactory.ts
  it("an identity without a type (no managed identity) fails the factory CMK rule", async () => {
    await expectFail(factoryCmk, mutate(adf.factory(), "identity.type", undefined), /has no managed identity/);
  });
  it("a storage account key inline in a linked service fails", async () => {
    await expectFail(
      linkedServiceInlineSecrets,
      mutate(adf.lakeLinkedService(), "properties.accountKey", "bXlrZXk="),
      /inline secrets at properties\.accountKey/,
    );
  });
  it("every inline secret of a linked service is named, not only the first", async () => {
    let ls = mutate(adf.sqlLinkedService(), "properties.password", "hunter2");
    ls = mutate(ls, "properties.servicePrincipalKey", { type: "SecureString", value: "abc" });
    await expectFail(
      linkedServiceInlineSecrets,
      ls,
      /inline secrets at (?=.*properties\.password)(?=.*properties\.servicePrincipalKey)/,
    );
  });
  it("a storage connection string with AccountKey= embeds a credential", async () => {
    await expectFail(
      linkedServiceInlineSecrets,
      mutate(
        adf.lakeLinkedService(),
        "properties.connectionString",
        "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=bXlrZXk=;EndpointSuffix=core.windows.net",
      ),
      /embeds a credential in properties\.connectionString/,
    );
  });
  it("a SQL connection string with Pwd= embeds a credential", async () => {
    await expectFail(
      linkedServiceInlineSecrets,
      mutate(adf.sqlLinkedService(), "properties.connectionString", "Server=tcp:x;Database=db;Uid=etl;Pwd=hunter2;"),
      /embeds a credential in properties\.connectionString/,
    );
  });
  it("authenticationType ServicePrincipal is not a managed identity", async () => {
    await expectFail(
      linkedServiceManagedIdentity,
      mutate(adf.sqlLinkedService(), "properties.authenticationType", "ServicePrincipal"),
      /without a managed identity \(properties\.authenticationType "ServicePrincipal"\)/,
    );
  });
  it("a storage account key (even from Key Vault) is not a managed identity", async () => {
    await expectFail(
      linkedServiceManagedIdentity,
      mutate(adf.lakeLinkedService(), "properties.accountKey", kvRef("lake-key")),
      /without a managed identity \(properties\.accountKey\)/,
    );
  });
  it("a managed (non-SSIS) runtime joined to a customer VNet instead of the managed VNet fails", async () => {
    let ir = mutate(adf.integrationRuntime(), "properties.managedVirtualNetwork", undefined);
    ir = mutate(ir, "properties.customerVirtualNetwork", { subnetId: "/subscriptions/s/subnets/snet" });
    await expectFail(integrationRuntimeManagedVnet, ir, /runs outside the factory's managed virtual network/);
  });
  it("an Azure-SSIS runtime with a vNetId but no subnet is outside any virtual network", async () => {
    let ir = mutate(adf.integrationRuntime(), "properties.managedVirtualNetwork", undefined);
    ir = mutate(ir, "properties.ssisProperties", { edition: "Standard" });
    ir = mutate(ir, "properties.computeProperties.vNetProperties", { vNetId: "/subscriptions/s/virtualNetworks/v" });
    await expectFail(integrationRuntimeManagedVnet, ir, /Azure-SSIS runtime outside any virtual network/);
  });
  it("a linked service naming a runtime the factory does not declare fails, even when it declares another", async () => {
    const ir = mutate(adf.integrationRuntime(), "integrationRuntimeName", "ir-managed-vnet");
    await expectFail(
      linkedServiceDeclaredRuntime,
      [adf.factory(), ir, adf.sqlLinkedService()],
      /runs on 'AutoResolveIntegrationRuntime', which the stack does not declare in its factory/,
    );
  });
  it("encrypt given as the string 'false' or 'no' allows an unencrypted SQL connection", async () => {
    for (const value of ["false", "no"]) {
      await expectFail(
        linkedServiceEncryptedSql,
        mutate(adf.sqlLinkedService(), "properties.encrypt", value),
        new RegExp(`properties\\.encrypt "${value}"`),
      );
    }
  });
  it("Encrypt=Optional in a SQL connection string fails", async () => {
    await expectFail(
      linkedServiceEncryptedSql,
      mutate(adf.sqlLinkedService(), "properties.connectionString", "Server=tcp:x;Database=db;Encrypt=Optional;"),
      /connectionString Encrypt=False/,
    );
  });
  it("trustServerCertificate given as the string 'true' fails", async () => {
    await expectFail(
      linkedServiceEncryptedSql,
      mutate(adf.sqlLinkedService(), "properties.trustServerCertificate", "true"),
      /properties\.trustServerCertificate "true"/,
    );
  });
  it("TrustServerCertificate=yes in a SQL connection string fails", async () => {
    await expectFail(
      linkedServiceEncryptedSql,
      mutate(
        adf.sqlLinkedService(),
        "properties.connectionString",
        "Server=tcp:x;Database=db;TrustServerCertificate=yes",
      ),
      /connectionString TrustServerCertificate=True/,
    );
  });
  it("an on-premises SqlServer linked service with optional encryption fails", async () => {
    let ls = mutate(adf.sqlLinkedService(), "properties.type", "SqlServer");
    ls = mutate(ls, "properties.encrypt", "optional");
    await expectFail(linkedServiceEncryptedSql, ls, /unencrypted or unverified SQL connection/);
  });
  it("a client certificate (pfx) inline in an activity's authentication fails", async () => {
    await expectFail(
      pipelineInlineSecrets,
      mutate(adf.pipeline(), "activities.0.authentication", { type: "ClientCertificate", pfx: "MIIK..." }),
      /inline secrets at activities\[0\]\.authentication\.pfx/,
    );
  });

  // synapse.ts
  it("a Synapse workspace key without a name has no customer-managed key", async () => {
    await expectFail(
      synapseCmk,
      mutate(synapseWorkspace(), "encryption.cmk.key.name", undefined),
      /encryption\.cmk\.key\.name unset/,
    );
  });
  it("useSystemAssignedIdentity 'false' (a string) with no user identity fails", async () => {
    await expectFail(
      synapseCmk,
      mutate(synapseWorkspace(), "encryption.cmk.kekIdentity", { useSystemAssignedIdentity: "false" }),
      /turns the system identity off for its key but names no other/,
    );
  });
  it("an empty managedVirtualNetwork is no managed virtual network", async () => {
    await expectFail(
      synapseManagedVnet,
      mutate(synapseWorkspace(), "managedVirtualNetwork", ""),
      /no managed virtual network/,
    );
  });
  it("every unapproved tenant a Synapse workspace may link to is named", async () => {
    await expectFail(
      synapseExfiltration,
      mutate(synapseWorkspace(), "managedVirtualNetworkSettings.allowedAadTenantIdsForLinking", [
        "tenant-a",
        "tenant-b",
      ]),
      /unapproved tenants tenant-a, tenant-b/,
    );
  });

  // synapseSql.ts and lib/templates.ts: the deployment rule reads the template (stack rules see none)
  it("Synapse auditing with state unset (disabled) fails", async () => {
    await expectFail(
      synapseSqlSecurityDeclared,
      [mutate(synapseSqlSecurity(), at(0, "state"), undefined)],
      /has SQL auditing unset: set state to "Enabled"/,
    );
  });
  it("Synapse auditing with isAzureMonitorTargetEnabled unset audits to no Azure Monitor target", async () => {
    await expectFail(
      synapseSqlSecurityDeclared,
      [mutate(synapseSqlSecurity(), at(0, "isAzureMonitorTargetEnabled"), undefined)],
      /audits to no Azure Monitor target/,
    );
  });
  it("Synapse auditing without BATCH_COMPLETED_GROUP fails", async () => {
    await expectFail(
      synapseSqlSecurityDeclared,
      [
        mutate(synapseSqlSecurity(), at(0, "auditActionsAndGroups"), [
          "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP",
          "FAILED_DATABASE_AUTHENTICATION_GROUP",
        ]),
      ],
      /does not audit BATCH_COMPLETED_GROUP/,
    );
  });
  it("threat alerts with no emailAddresses at all and admins not mailed go to nobody", async () => {
    await expectFail(
      synapseSqlSecurityDeclared,
      [mutate(synapseSqlSecurity(), at(1, "emailAccountAdmins"), undefined)],
      /e-mails its threat alerts to nobody/,
    );
  });
  it("vulnerability assessment with recurringScans unset runs no recurring scans", async () => {
    await expectFail(
      synapseSqlSecurityDeclared,
      [mutate(synapseSqlSecurity(), at(2, "recurringScans"), undefined)],
      /runs no recurring vulnerability scans/,
    );
  });
  for (const [what, condition, parameters] of [
    ["and() with one operand it cannot evaluate", "[and(true(), parameters('audit'))]", undefined],
    ["not() of a value it cannot evaluate", "[not(parameters('audit'))]", undefined],
    ["bool() of a string other than true/false", "[bool('yes')]", undefined],
    ["a condition that evaluates to the string 'true' (not a boolean)", "[parameters('audit')]", { audit: "true" }],
  ] as const)
    it(`${what} is no evidence the setting is deployed`, () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [auditingGated(condition, parameters)],
        /claims SQL auditing \(synapse-sql-security\) but declares it only under a condition the pack cannot evaluate/,
      ));
  it("a claimed deployment whose template holds an entry unknown during preview can't be decided yet", async () => {
    const security = synapseSqlSecurity();
    const resources = (security.inputs.properties as { template: { resources: unknown[] } }).template.resources;
    const d = mutate(
      mutate(security, "properties.template.resources", [UNKNOWN, ...resources]),
      `tags.${SYNAPSE_SQL_SECURITY_TAG}`,
      SYNAPSE_SQL_SECURITY_SETTINGS.join(","),
    );
    await expectUndecided(synapseSqlSecurityDeclared, [d]);
  });

  // ml.ts
  it("a public /15 outbound prefix fails, a /16 passes", async () => {
    const prefixes = (p: string) =>
      mutate(mlWorkspace(), "managedNetwork.outboundRules.azure-monitor-tag.destination.addressPrefixes", [p]);
    await expectFail(mlOutboundRules, prefixes("20.0.0.0/15"), /allows outbound traffic to "20\.0\.0\.0\/15"/);
    await expectPass(mlOutboundRules, prefixes("20.0.0.0/16"));
  });
  it("public 172.0.0.0/12, next to the private 172.16.0.0/12, is an open outbound destination", async () => {
    await expectFail(
      mlOutboundRules,
      mutate(mlWorkspace(), "managedNetwork.outboundRules.azure-monitor-tag.destination.addressPrefixes", [
        "172.0.0.0/12",
      ]),
      /allows outbound traffic to "172\.0\.0\.0\/12"/,
    );
  });
  it("a private endpoint outbound rule without subresourceTarget fails", async () => {
    await expectFail(
      mlOutboundRules,
      mutate(
        mlWorkspace(),
        "managedNetwork.outboundRules.fraud-features-cosmos.destination.subresourceTarget",
        undefined,
      ),
      /names no destination\.subresourceTarget/,
    );
  });
  it("a ManagedNetworkSettingsRule resource with an unreviewed FQDN fails", async () => {
    const rule = mlOutboundRule();
    const type = "azure-native:machinelearningservices:ManagedNetworkSettingsRule";
    await expectFail(
      mlOutboundRules,
      { ...rule, type, urn: rule.urn.replace(rule.type, type) },
      /allows the FQDN "pypi\.org", which is not in allowedFqdns/,
    );
  });
  it("a workspace whose outbound rules are unknown during preview can't be decided yet (never not applicable)", async () => {
    await expectUndecided(mlOutboundRules, mutate(mlWorkspace(), "managedNetwork.outboundRules", UNKNOWN));
  });
  it("a cluster outside any subnet with remoteLoginPortPublicAccess unset exposes SSH (requireSubnet off)", async () => {
    const c = mutate(
      mutate(mlCluster(), "properties.properties.subnet", undefined),
      "properties.properties.remoteLoginPortPublicAccess",
      undefined,
    );
    await expectFail(mlComputePublicAccess, c, /exposes SSH publicly .*remoteLoginPortPublicAccess unset/, {
      requireSubnet: false,
    });
  });

  // cosmosdb.ts and lib/network.ts
  it("a /23 Cosmos DB IP rule fails, a /24 passes", async () => {
    const rule = (r: string) => mutate(cosmosAccount("dev"), "ipRules", [{ ipAddressOrRange: r }]);
    await expectFail(cosmosIpRules, rule("203.0.112.0/23"), /broad range 203\.0\.112\.0\/23/);
    await expectPass(cosmosIpRules, rule("203.0.113.0/24"));
  });
  it("a broad Cosmos DB IP rule is reported at its own index", async () => {
    await expectFail(
      cosmosIpRules,
      mutate(cosmosAccount("dev"), "ipRules", [
        { ipAddressOrRange: "203.0.113.7" },
        { ipAddressOrRange: "23.0.0.0/8" },
      ]),
      /\(ipRules\[1\]\.ipAddressOrRange\)/,
    );
  });
  it("a prod tier left unset is reported as the 30-day default when prodTiers does not allow it", async () => {
    await expectFail(
      cosmosContinuousBackup,
      mutate(cosmosAccount("prod"), "backupPolicy.continuousModeProperties", undefined),
      /tier "Continuous30Days" in a production stack/,
      { prodTiers: ["Continuous7Days"] },
    );
  });

  // protection.ts
  for (const [type, name] of [
    ["azure-native:sql:Database", "sqldb-pay-prod-weu"],
    ["azure-native:synapse:Workspace", "synw-pay-prod-weu"],
  ] as const)
    it(`an unprotected ${type} in prod fails`, () =>
      expectFail(
        requireProtect,
        resourceRecord(type, name, { resourceGroupName: "rg" }, { stack: "prod" }),
        new RegExp(`${name} \\(${type}\\) in stack 'prod' is not protected`),
      ));
  it("a prod SQL database without a management lock fails", () =>
    expectFail(
      requireManagementLock,
      [
        resourceRecord(
          "azure-native:sql:Database",
          "sqldb-pay-prod-weu",
          { resourceGroupName: "rg" },
          { stack: "prod" },
        ),
      ],
      /sqldb-pay-prod-weu .*has no management lock/,
    ));

  // lib/scope.ts and lib/exemptions.ts
  it("a pci-scope tag 'OUT-OF-SCOPE' (not the exact value) keeps the resource in scope", async () => {
    await expectFail(
      factoryCmk,
      mutate(mutate(adf.factory(), "encryption", undefined), "tags.pci-scope", "OUT-OF-SCOPE"),
      /has no customer-managed key/,
    );
  });
  it("inScopeTagValues are compared without case: 'CDE' in the knob keeps a 'cde' resource in scope", async () => {
    await expectFail(
      factoryCmk,
      mutate(mutate(adf.factory(), "encryption", undefined), "tags.pci-scope", "cde"),
      /has no customer-managed key/,
      { inScopeTagValues: ["CDE", "connected"] },
    );
  });
  it("an exemption whose reason is one character padded with spaces exempts nothing", async () => {
    const r = await evaluatePolicy(
      requireProtect,
      { ...protectionStack().sql, protect: false },
      { exemptions: [{ pattern: "sql-pay-prod-*", reason: "x            " }] },
    );
    assert.equal(r.exemptions.length, 0);
    assert.match(r.messages.join("\n"), /sql-pay-prod-weu .*is not protected/);
  });

  // Values unknown during a first preview decide nothing: the rule is undecided (advisory), never passed on what it
  // could not see, and never a mandatory violation that would block the preview.
  it("is undecided while a linked service's properties, a pipeline's activities or an outbound rule are unknown", () =>
    Promise.all([
      expectUndecided(linkedServiceInlineSecrets, mutate(adf.lakeLinkedService(), "properties", UNKNOWN)),
      // A connection setting unknown in preview may weaken TLS: undecided, not passed.
      expectUndecided(
        linkedServiceEncryptedSql,
        mutate(adf.sqlLinkedService(), "properties.typeProperties.encrypt", UNKNOWN),
      ),
      expectUndecided(linkedServiceEncryptedSql, mutate(adf.sqlLinkedService(), "properties.type", UNKNOWN)),
      // A credential field unknown in preview (a generated password): undecided, not passed.
      expectUndecided(
        linkedServiceInlineSecrets,
        mutate(adf.sqlLinkedService(), "properties.typeProperties.password", UNKNOWN),
      ),
      expectUndecided(pipelineInlineSecrets, mutate(adf.pipeline(), "activities", UNKNOWN)),
      expectUndecided(mlOutboundRules, mutate(mlOutboundRule(), "properties", UNKNOWN)),
    ]));
  it("is undecided, not a violation, while an alert's actions are unknown", () =>
    Promise.all([
      expectUndecided(alertActionGroup, unrelatedAlert(UNKNOWN)),
      expectUndecided(
        alertActionGroup,
        resourceRecord("azure-native:monitor:ActivityLogAlert", "alert-resource-health", {
          resourceGroupName: RG_NAME,
          scopes: ["/subscriptions/x"],
          condition: { allOf: [{ field: "category", equals: "ResourceHealth" }] },
          actions: { actionGroups: UNKNOWN },
        }),
      ),
    ]));
  it("Cosmos DB account rules are undecided while the setting they check is unknown in a first preview", () =>
    Promise.all([
      expectUndecided(cosmosLocalAuth, mutate(cosmosAccount(), "disableLocalAuth", UNKNOWN)),
      expectUndecided(cosmosMetadataWrites, mutate(cosmosAccount(), "disableKeyBasedMetadataWriteAccess", UNKNOWN)),
      expectUndecided(cosmosMinimalTls, mutate(cosmosAccount(), "minimalTlsVersion", UNKNOWN)),
      expectUndecided(cosmosIpRules, mutate(cosmosAccount(), "ipRules", UNKNOWN)),
      expectUndecided(cosmosIpRules, mutate(cosmosAccount(), "networkAclBypass", UNKNOWN)),
      expectUndecided(cosmosIpRules, mutate(cosmosAccount(), "ipRules", [{ ipAddressOrRange: UNKNOWN }])),
    ]));
  it("Synapse and Azure ML must-be-true rules are undecided while the setting is unknown in a first preview", () =>
    Promise.all([
      expectUndecided(
        synapseExfiltration,
        mutate(synapseWorkspace(), "managedVirtualNetworkSettings.preventDataExfiltration", UNKNOWN),
      ),
      expectUndecided(synapseEntraOnly, mutate(synapseWorkspace(), "azureADOnlyAuthentication", UNKNOWN)),
      expectUndecided(synapseSqlPoolTde, mutate(tdeOf(), "status", UNKNOWN)),
      expectUndecided(synapsePoolGeoBackup, mutate(synapseSqlPool("prod"), "storageAccountType", UNKNOWN)),
      expectUndecided(mlCmk, mutate(mlWorkspace(), "encryption.status", UNKNOWN)),
      expectUndecided(mlHbiWorkspace, mutate(mlWorkspace("prod"), "hbiWorkspace", UNKNOWN)),
      expectUndecided(mlComputePublicAccess, mutate(mlCluster(), "properties.properties.enableNodePublicIp", UNKNOWN)),
      expectUndecided(mlComputePublicAccess, mutate(mlCluster(), "properties.computeType", UNKNOWN)),
      expectUndecided(mlPublicNetwork, mutate(mlWorkspace(), "allowPublicAccessWhenBehindVnet", UNKNOWN)),
      expectUndecided(
        cosmosContinuousBackup,
        mutate(cosmosAccount("prod"), "backupPolicy.continuousModeProperties.tier", UNKNOWN),
      ),
    ]));
  it("is undecided while an SSH setting, a linked tenant, a runtime's type or a firewall allow-list entry is unknown", async () => {
    // A cluster in a subnet with its SSH access unknown may still have it "Enabled".
    await expectUndecided(
      mlComputePublicAccess,
      mutate(mlCluster(), "properties.properties.remoteLoginPortPublicAccess", UNKNOWN),
    );
    await expectUndecided(
      mlComputePublicAccess,
      mutate(mlInstance(), "properties.properties.sshSettings.sshPublicAccess", UNKNOWN),
    );
    // Known values still decide: a cluster with SSH off, an instance with it on.
    await expectPass(mlComputePublicAccess, mlCluster());
    await expectFail(
      mlComputePublicAccess,
      mutate(mlInstance(), "properties.properties.sshSettings.sshPublicAccess", "Enabled"),
      /exposes SSH publicly \(properties\.properties\.sshSettings\.sshPublicAccess "Enabled"\)/,
    );
    // A violation found before the unknown value is still reported with it.
    const both = await evaluatePolicy(mlComputePublicAccess, [
      mutate(
        mutate(mlCluster(), "properties.properties.remoteLoginPortPublicAccess", UNKNOWN),
        "properties.properties.enableNodePublicIp",
        true,
      ),
    ]);
    assert.deepEqual(
      both.violations.map((v) => [
        v.enforcementLevel,
        /public IPs/.test(v.message),
        /can't run policy/.test(v.message),
      ]),
      [
        ["mandatory", true, false],
        ["advisory", false, true],
      ],
    );
    // The whole list of linked tenants, or one of its ids, unknown: it may hold an unapproved tenant.
    const tenants = "managedVirtualNetworkSettings.allowedAadTenantIdsForLinking";
    await expectUndecided(synapseExfiltration, mutate(synapseWorkspace(), tenants, UNKNOWN));
    await expectUndecided(synapseExfiltration, mutate(synapseWorkspace(), tenants, [UNKNOWN]));
    await expectFail(
      synapseExfiltration,
      mutate(synapseWorkspace(), tenants, ["11111111-1111-1111-1111-111111111111"]),
      /allows linking to unapproved tenants 11111111-1111-1111-1111-111111111111/,
    );
    // A runtime whose type is unknown may be a Managed one outside the managed VNet: undecided, not "not applicable".
    await expectUndecided(
      integrationRuntimeManagedVnet,
      mutate(
        mutate(adf.integrationRuntime(), "properties.managedVirtualNetwork", undefined),
        "properties.type",
        UNKNOWN,
      ),
    );
    // A firewall allow-list entry unknown during preview may be "*".
    await expectUndecided(
      firewallThreatProtection,
      mutate(firewallPolicy(), "threatIntelWhitelist", { ipAddresses: [UNKNOWN] }),
    );
    await expectUndecided(
      firewallThreatProtection,
      mutate(firewallPolicy(), "threatIntelWhitelist", { fqdns: [UNKNOWN] }),
    );
    await expectUndecided(
      firewallThreatProtection,
      mutate(firewallPolicy(), "intrusionDetection.configuration.bypassTrafficSettings", [
        { name: "backup", protocol: "TCP", sourceAddresses: [UNKNOWN], destinationAddresses: ["10.0.2.0/28"] },
      ]),
    );
    await expectPass(
      firewallThreatProtection,
      mutate(firewallPolicy(), "threatIntelWhitelist", { ipAddresses: ["203.0.113.7"], fqdns: ["api.example.com"] }),
    );
    // A known violation next to an unknown value is still reported (mandatory), with the undecided advisory.
    const levels = async (policy: typeof synapseExfiltration, record: ReturnType<typeof synapseWorkspace>) =>
      (await evaluatePolicy(policy, [record])).violations.map((v) => [
        v.enforcementLevel,
        /can't run policy/.test(v.message)
          ? "undecided"
          : v.message.replace(/^.*?(allows linking|exempts|sets IDPS).*$/, "$1"),
      ]);
    assert.deepEqual(
      await levels(
        synapseExfiltration,
        mutate(synapseWorkspace(), tenants, ["11111111-1111-1111-1111-111111111111", UNKNOWN]),
      ),
      [
        ["mandatory", "allows linking"],
        ["advisory", "undecided"],
      ],
    );
    assert.deepEqual(
      await levels(
        firewallThreatProtection,
        mutate(firewallPolicy(), "threatIntelWhitelist", { ipAddresses: [UNKNOWN], fqdns: ["*"] }),
      ),
      [
        ["mandatory", "exempts"],
        ["advisory", "undecided"],
      ],
    );
    assert.deepEqual(
      await levels(
        firewallThreatProtection,
        mutate(
          mutate(firewallPolicy(), "intrusionDetection.configuration.bypassTrafficSettings", [
            { name: "backup", protocol: "TCP", sourceAddresses: [UNKNOWN], destinationAddresses: ["10.0.2.0/28"] },
          ]),
          "intrusionDetection.configuration.signatureOverrides",
          [{ id: "2024897", mode: "Off" }],
        ),
      ),
      [
        ["mandatory", "sets IDPS"],
        ["advisory", "undecided"],
      ],
    );
  });
});
