import { strict as assert } from "node:assert";
import {
  FLEX_REJECTED_SITE_CONFIG,
  firstDeployHazards,
  formatHazards,
  hazardsMarkdown,
  endpointAddresses,
  isoMinutes,
  RULES,
  usableAddresses,
} from "../tools/lib/hazards";
import { resourceRecord, type ResourceRecord } from "../tools/lib/policyRunner";
import { CENTRAL_DNS, previewCentralDevOf, previewOf } from "./helpers/stacks";
import { UNKNOWN } from "../tools/lib/engine";

let n = 0;
const record = (type: string, inputs: Record<string, unknown>, id?: string): ResourceRecord =>
  resourceRecord(type, `r${++n}`, inputs, { stack: "prod", project: "p", outputs: {}, ...(id ? { id } : {}) });
const rulesOf = (records: ResourceRecord[]) => firstDeployHazards(records).map((h) => h.rule);
/** `r`, waiting for `after` (their URNs as its dependencies). */
const waitingFor = (r: ResourceRecord, after: readonly ResourceRecord[]): ResourceRecord => ({
  ...r,
  dependencies: after.map((x) => x.urn),
});
/** The hazards of one rule among `records`. */
const ofRule = (rule: string, records: ResourceRecord[]) => firstDeployHazards(records).filter((h) => h.rule === rule);
/** A record of `type` that waits for `dependencies` (URNs). */
const waiting =
  (type: string, inputs: Record<string, unknown>) =>
  (dependencies: string[] = []): ResourceRecord => ({ ...record(type, inputs), dependencies });
const FLEX_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/func";
const flexApp = (siteConfig: Record<string, unknown>) =>
  record(
    "azure-native:web:WebApp",
    { functionAppConfig: { runtime: { name: "node", version: "22" } }, siteConfig },
    FLEX_ID,
  );

describe("first-deploy hazards (tools/lib/hazards/)", () => {
  it("flags a typed Defender plan, but not the same plan in a subscription deployment", () => {
    assert.deepEqual(rulesOf([record("azure-native:security:Pricing", { pricingName: "SqlServers" })]), [
      "defender-plan-exists",
    ]);
    assert.deepEqual(
      rulesOf([
        record("azure-native:resources:DeploymentAtSubscriptionScope", {
          properties: { template: { resources: [{ type: "Microsoft.Security/pricings", name: "SqlServers" }] } },
        }),
      ]),
      [],
    );
  });

  it("flags the typed 'default' security contact only", () => {
    assert.deepEqual(rulesOf([record("azure-native:security:SecurityContact", { securityContactName: "default" })]), [
      "security-contact-exists",
    ]);
    assert.deepEqual(rulesOf([record("azure-native:security:SecurityContact", { securityContactName: "soc" })]), []);
  });

  it("flags a typed Synapse SQL admin, and a typed key the workspace was created with", () => {
    assert.deepEqual(rulesOf([record("azure-native:synapse:WorkspaceSqlAadAdmin", {})]), ["synapse-sql-admin-exists"]);
    const ws = record("azure-native:synapse:Workspace", { encryption: { cmk: { key: { name: "cmk-synapse" } } } });
    assert.deepEqual(rulesOf([ws, record("azure-native:synapse:Key", { keyName: "cmk-synapse" })]), [
      "synapse-cmk-key-exists",
    ]);
    assert.deepEqual(rulesOf([ws, record("azure-native:synapse:Key", { keyName: "another" })]), []);
  });

  it("flags a typed Log Analytics table Azure makes itself, not a custom, search-results or restored one", () => {
    const table = (tableName: string) =>
      record("azure-native:operationalinsights:Table", { workspaceName: "log", tableName, retentionInDays: 92 });
    for (const t of ["AzureDiagnostics", "SQLSecurityAuditEvents", "AppRequests"])
      assert.deepEqual(rulesOf([table(t)]), ["log-analytics-azure-table-exists"], t);
    for (const t of ["PaymentsAudit_CL", "AuditQ3_SRCH", "AzureDiagnostics_RST"])
      assert.deepEqual(rulesOf([table(t)]), [], t);
    assert.match(
      firstDeployHazards([table("AzureDiagnostics")])[0].message,
      /'AzureDiagnostics' is an Azure table, .*azure-native refuses to create a resource that already exists \(a GET answering 200\) once it exists: set its retention through an ARM deployment \(resources\.Deployment/,
    );
  });

  it("flags Data Factory global parameters declared on their own, not those on the factory", () => {
    assert.deepEqual(rulesOf([record("azure-native:datafactory:GlobalParameter", { factoryName: "adf" })]), [
      "adf-global-parameter-wiped",
    ]);
    assert.deepEqual(
      rulesOf([
        record("azure-native:datafactory:Factory", { globalParameters: { a: { type: "String", value: "x" } } }),
      ]),
      [],
    );
  });

  it("flags a generic child resource without a location, not a top-level one or one that sets it", () => {
    const generic = (inputs: Record<string, unknown>) =>
      record("azure-native:resources:Resource", { resourceType: "managedVirtualNetworks", ...inputs });
    assert.deepEqual(rulesOf([generic({ parentResourcePath: "factories/adf" })]), ["generic-child-auto-location"]);
    assert.deepEqual(rulesOf([generic({ parentResourcePath: "" })]), []);
    assert.deepEqual(rulesOf([generic({ parentResourcePath: "factories/adf", location: "westeurope" })]), []);
  });

  it("flags Flex site config properties Azure rejects, not the hardening it accepts, nor a non-Flex app", () => {
    const messages = firstDeployHazards([flexApp({ minTlsVersion: "1.2", netFrameworkVersion: "v4.6" })]);
    assert.deepEqual(
      messages.map((m) => m.rule),
      ["flex-rejected-site-config"],
    );
    assert.match(messages[0].message, /siteConfig\.netFrameworkVersion/);
    assert.deepEqual(rulesOf([flexApp({ minTlsVersion: "1.2", http20Enabled: true })]), []);
    assert.deepEqual(
      rulesOf([record("azure-native:web:WebApp", { siteConfig: { netFrameworkVersion: "v4.6" } })]),
      [],
      "a classic app may set it",
    );
    assert.ok(FLEX_REJECTED_SITE_CONFIG.includes("ftpsState"));
  });

  it("flags a standby SQL geo-secondary with read scale or on a SKU without standby, not a readable one", () => {
    const db = (inputs: Record<string, unknown>) =>
      record("azure-native:sql:Database", {
        createMode: "Secondary",
        sku: { name: "BC_Gen5", capacity: 8 },
        ...inputs,
      });
    const [readScale] = firstDeployHazards([db({ secondaryType: "Standby", readScale: "Enabled" })]);
    assert.equal(readScale.rule, "sql-standby-read-scale");
    assert.match(readScale.message, /InvalidStandbyGeoReadScale.*set readScale "Disabled"/);
    assert.deepEqual(rulesOf([db({ secondaryType: "Standby", readScale: "Disabled" })]), []);
    assert.deepEqual(rulesOf([db({ secondaryType: "Geo", readScale: "Enabled" })]), [], "a readable secondary may");
    assert.deepEqual(
      rulesOf([db({ secondaryType: "Standby", sku: { name: "HS_Gen5", capacity: 8 }, readScale: "Disabled" })]),
      ["sql-standby-unsupported-sku"],
    );
  });

  it("flags NSG rule priorities Azure refuses: below 100, above 4096, or two rules on one priority and direction", () => {
    const nsg = (...rules: Record<string, unknown>[]) =>
      record("azure-native:network:NetworkSecurityGroup", { securityRules: rules });
    const rule = (name: string, priority: number, direction = "Inbound") => ({ name, priority, direction });
    assert.deepEqual(rulesOf([nsg(rule("a", 100), rule("b", 4096), rule("c", 100, "Outbound"))]), []);
    const [low] = firstDeployHazards([nsg(rule("allow-gateway", 80), rule("deny-all", 4096))]);
    assert.equal(low.rule, "nsg-rule-priority");
    assert.match(low.message, /from 100 to 4096.*rule allow-gateway has priority 80/);
    assert.match(
      firstDeployHazards([nsg(rule("a", 200), rule("b", 200))])[0].message,
      /rules a and b share Inbound priority 200/,
    );
    assert.deepEqual(rulesOf([record("azure-native:network:SecurityRule", rule("x", 5000))]), ["nsg-rule-priority"]);
  });

  it("flags a replacement under the same name that does not delete first, not one that does, nor a plain update", () => {
    const hub = (opts: Partial<ResourceRecord>) => ({
      ...record("azure-native:eventhub:EventHub", { eventHubName: "api-logs", partitionCount: 2 }),
      ...opts,
    });
    const flagged = firstDeployHazards([hub({ replaceOnChanges: ["partitionCount"] })]);
    assert.deepEqual(
      flagged.map((h) => h.rule),
      ["replacement-under-same-name"],
    );
    assert.match(
      flagged[0].message,
      /a change of partitionCount replaces it under the same Azure name.*deleteBeforeReplace/,
    );
    assert.deepEqual(rulesOf([hub({ replaceOnChanges: ["partitionCount"], deleteBeforeReplace: true })]), []);
    assert.deepEqual(rulesOf([hub({ replaceOnChanges: [] })]), []);
    assert.deepEqual(rulesOf([hub({})]), []);
  });

  it("flags a diagnostic setting on a Flex app, not on its host storage", () => {
    const app = flexApp({});
    assert.deepEqual(
      rulesOf([
        app,
        {
          ...record("azure-native:monitor:DiagnosticSetting", { resourceUri: FLEX_ID, workspaceId: "w" }),
          dependencies: [app.urn],
        },
      ]),
      ["flex-diagnostic-setting"],
    );
    assert.deepEqual(
      rulesOf([
        app,
        record("azure-native:monitor:DiagnosticSetting", {
          resourceUri: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st",
        }),
      ]),
      [],
    );
  });

  it("flags two role assignments on one Cosmos DB account that do not wait for each other, not a chain or two accounts", () => {
    const grant = (accountName: string, dependencies: string[] = []) => ({
      ...record("azure-native:cosmosdb:SqlResourceSqlRoleAssignment", { resourceGroupName: "rg", accountName }),
      dependencies,
    });
    const a = grant("acct");
    const b = grant("acct");
    const racing = firstDeployHazards([a, b]);
    assert.deepEqual(
      racing.map((h) => [h.rule, h.name]),
      [["serialised-children-race", b.name]],
    );
    assert.match(racing[0].message, /Cosmos DB data-plane role definitions and assignments of one account/);
    // A chain, even through a resource in between, is fine; so are grants on two accounts.
    const first = grant("acct");
    const wait = { ...record("azure-native:time:Sleep", {}), dependencies: [first.urn] };
    const second = grant("acct", [wait.urn]);
    assert.deepEqual(firstDeployHazards([first, wait, second]), []);
    assert.deepEqual(firstDeployHazards([grant("one"), grant("two")]), []);
  });

  // Each kind the program chains (the review of serialised updates): two writes of different types to one parent that
  // do not wait for each other are flagged with the parent's kind; a chain, or the same writes on two parents, are not.
  for (const [first, second, parent, other, what] of [
    [
      "azure-native:cosmosdb:SqlResourceSqlRoleDefinition",
      "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
      { resourceGroupName: "rg", accountName: "acct" },
      { accountName: "acct-2" },
      /Cosmos DB data-plane role definitions and assignments of one account/,
    ],
    [
      "azure-native:sql:TransparentDataEncryption",
      "azure-native:sql:DataMaskingPolicy",
      { resourceGroupName: "rg", serverName: "sql", databaseName: "payments" },
      { databaseName: "other" },
      /operations on one SQL database: its settings, .* \(409 ConflictingDatabaseOperation\)/,
    ],
    [
      "azure-native:sql:BackupShortTermRetentionPolicy",
      "azure-native:sql:LongTermRetentionPolicy",
      { resourceGroupName: "rg", serverName: "sql", databaseName: "payments" },
      { serverName: "sql-secondary" },
      /operations on one SQL database/,
    ],
    [
      "azure-native:sql:ExtendedServerBlobAuditingPolicy",
      "azure-native:sql:ServerSecurityAlertPolicy",
      { resourceGroupName: "rg", serverName: "sql" },
      { serverName: "sql-secondary" },
      /settings and private endpoint connections of one SQL server/,
    ],
    [
      "azure-native:sql:EncryptionProtector",
      "azure-native:sql:ExtendedServerBlobAuditingPolicy",
      { resourceGroupName: "rg", serverName: "sql" },
      { resourceGroupName: "rg-2" },
      /settings and private endpoint connections of one SQL server/,
    ],
    [
      "azure-native:synapse:SqlPoolWorkloadGroup",
      "azure-native:synapse:SqlPoolWorkloadClassifier",
      { resourceGroupName: "rg", workspaceName: "syn", sqlPoolName: "dw" },
      { sqlPoolName: "dw-2" },
      /workload groups and classifiers of one dedicated SQL pool/,
    ],
    [
      "azure-native:synapse:SqlPoolTransparentDataEncryption",
      "azure-native:synapse:SqlPoolWorkloadGroup",
      { resourceGroupName: "rg", workspaceName: "syn", sqlPoolName: "dw" },
      { workspaceName: "syn-2" },
      /one dedicated SQL pool/,
    ],
    [
      "azure-native:datafactory:ManagedPrivateEndpoint",
      "azure-native:datafactory:ManagedPrivateEndpoint",
      { resourceGroupName: "rg", factoryName: "adf", managedVirtualNetworkName: "default" },
      { factoryName: "adf-2" },
      /managed private endpoints of one Data Factory managed virtual network/,
    ],
    [
      "azure-native:storage:BlobServiceProperties",
      "azure-native:storage:ManagementPolicy",
      { resourceGroupName: "rg", accountName: "st" },
      { accountName: "st2" },
      /containers, blob settings and private endpoint connections of one storage account/,
    ],
    [
      "azure-native:storage:BlobContainer",
      "azure-native:storage:BlobServiceProperties",
      { resourceGroupName: "rg", accountName: "st" },
      { accountName: "st2" },
      /containers, blob settings and private endpoint connections of one storage account/,
    ],
    [
      // The platform's keys, created in a loop (components/platform/keys.ts): 409 ConflictError on one vault.
      "azure-native:keyvault:Key",
      "azure-native:keyvault:Key",
      { resourceGroupName: "rg", vaultName: "kv" },
      { vaultName: "kvc" },
      /keys, secrets, private endpoint connections and event subscriptions of one key vault \(409 ConflictError\)/,
    ],
    [
      "azure-native:keyvault:Secret",
      "azure-native:keyvault:Key",
      { resourceGroupName: "rg", vaultName: "kv" },
      { resourceGroupName: "rg-2" },
      /one key vault/,
    ],
  ] as const) {
    it(`flags ${first.split(":")[2]} and ${second.split(":")[2]} racing on one parent, not a chain or two parents`, () => {
      const write = (type: string, inputs: Record<string, unknown>, dependencies: string[] = []) => ({
        ...record(type, inputs),
        dependencies,
      });
      const a = write(first, parent);
      const b = write(second, parent);
      const racing = firstDeployHazards([a, b]);
      assert.deepEqual(
        racing.map((h) => [h.rule, h.name]),
        [["serialised-children-race", b.name]],
      );
      assert.match(racing[0].message, what);
      const chained = write(first, parent);
      assert.deepEqual(firstDeployHazards([chained, write(second, parent, [chained.urn])]), []);
      assert.deepEqual(firstDeployHazards([write(first, parent), write(second, { ...parent, ...other })]), []);
    });
  }

  // A private endpoint's connection is a write to its target: it races the target's other writes (the endpoint's
  // own resource group differs, as here; the target is read from its private link service id, in any case).
  for (const [type, inputs, target, other, what] of [
    [
      "azure-native:sql:ExtendedServerBlobAuditingPolicy",
      { resourceGroupName: "rg-data", serverName: "sql-pay" },
      "/subscriptions/s/resourceGroups/RG-Data/providers/Microsoft.Sql/servers/SQL-Pay",
      "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.Sql/servers/sql-pay-secondary",
      /settings and private endpoint connections of one SQL server/,
    ],
    [
      "azure-native:storage:BlobContainer",
      { resourceGroupName: "rg-data", accountName: "stpay" },
      "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stpay",
      "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stother",
      /containers, blob settings and private endpoint connections of one storage account/,
    ],
    [
      "azure-native:cosmosdb:SqlResourceSqlContainer",
      { resourceGroupName: "rg-data", accountName: "cosmos-pay" },
      "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-pay",
      "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-other",
      /databases, containers and private endpoint connections of one Cosmos DB account/,
    ],
    [
      "azure-native:keyvault:Key",
      { resourceGroupName: "rg-security", vaultName: "kv-pay" },
      "/subscriptions/s/resourceGroups/RG-Security/providers/Microsoft.KeyVault/vaults/KV-Pay",
      "/subscriptions/s/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/kvc-pay",
      /keys, secrets, private endpoint connections and event subscriptions of one key vault/,
    ],
    [
      "azure-native:synapse:SqlPool",
      { resourceGroupName: "rg-data", workspaceName: "syn-pay" },
      "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.Synapse/workspaces/syn-pay",
      "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.Sql/servers/syn-pay",
      /private endpoint connections and dedicated pools of one Synapse workspace/,
    ],
  ] as const) {
    it(`flags a private endpoint racing a ${type.split(":")[2]} of its target, not one ordered or to another target`, () => {
      const child = (dependencies: string[] = []) => ({ ...record(type, inputs), dependencies });
      const endpoint = (privateLinkServiceId: string, dependencies: string[] = []) => ({
        ...record("azure-native:network:PrivateEndpoint", {
          resourceGroupName: "rg-network",
          privateLinkServiceConnections: [{ privateLinkServiceId, groupIds: ["x"] }],
        }),
        dependencies,
      });
      const c = child();
      const pep = endpoint(target);
      const racing = firstDeployHazards([c, pep]);
      assert.deepEqual(
        racing.map((h) => [h.rule, h.message.split(" are ")[0]]),
        [["serialised-children-race", `${c.name} and ${pep.name}`]],
      );
      assert.match(racing[0].message, what);
      const first = child();
      assert.deepEqual(firstDeployHazards([first, endpoint(target, [first.urn])]), []);
      assert.deepEqual(firstDeployHazards([child(), endpoint(other)]), []);
    });
  }

  it("Key Vault: an event subscription on the vault's system topic writes to the vault, so it may not race its keys", () => {
    const VAULT = "/subscriptions/s/resourceGroups/RG-Security/providers/Microsoft.KeyVault/vaults/KV-Pay";
    const topic = (source: string, name = "evgt-kv") =>
      record("azure-native:eventgrid:SystemTopic", { resourceGroupName: "rg-security", systemTopicName: name, source });
    const key = (dependencies: string[] = []) => ({
      ...record("azure-native:keyvault:Key", { resourceGroupName: "rg-security", vaultName: "kv-pay" }),
      dependencies,
    });
    const subscription = (name: string, dependencies: string[] = []) => ({
      ...record("azure-native:eventgrid:SystemTopicEventSubscription", {
        resourceGroupName: "rg-security",
        systemTopicName: name,
      }),
      dependencies,
    });
    const k = key();
    const s = subscription("evgt-kv");
    const racing = firstDeployHazards([topic(VAULT), k, s]);
    assert.deepEqual(
      racing.map((h) => [h.rule, h.name]),
      [["serialised-children-race", s.name]],
    );
    assert.match(racing[0].message, /event subscriptions of one key vault/);
    const first = key();
    assert.deepEqual(firstDeployHazards([topic(VAULT), first, subscription("evgt-kv", [first.urn])]), [], "chained");
    // Another vault's topic, or a topic on something else, is another parent.
    const other = "/subscriptions/s/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/kvc-pay";
    assert.deepEqual(firstDeployHazards([topic(other), key(), subscription("evgt-kv")]), []);
    const account = "/subscriptions/s/resourceGroups/rg-security/providers/Microsoft.Storage/storageAccounts/st";
    assert.deepEqual(firstDeployHazards([topic(account), key(), subscription("evgt-kv")]), []);
  });

  it("Cosmos DB: containers may be created side by side; Data Factory's managed endpoint to the account may not race them", () => {
    const ACCOUNT =
      "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-pay";
    const container = waiting("azure-native:cosmosdb:SqlResourceSqlContainer", {
      resourceGroupName: "rg-data",
      accountName: "cosmos-pay",
    });
    const managed = (privateLinkResourceId: string, dependencies: string[] = []) =>
      waiting("azure-native:datafactory:ManagedPrivateEndpoint", {
        resourceGroupName: "rg-etl",
        factoryName: "adf",
        managedVirtualNetworkName: "default",
        properties: { privateLinkResourceId, groupId: "Sql" },
      })(dependencies);
    assert.deepEqual(firstDeployHazards([container(), container()]), [], "containers side by side");
    const c = container();
    const mpe = managed(ACCOUNT);
    const racing = firstDeployHazards([c, mpe]);
    assert.deepEqual(
      racing.map((h) => [h.rule, h.name]),
      [["serialised-children-race", mpe.name]],
    );
    assert.match(racing[0].message, /private endpoint connections of one Cosmos DB account \(412 'exclusive lock'\)/);
    const first = container();
    assert.deepEqual(firstDeployHazards([first, managed(ACCOUNT, [first.urn])]), []);
    assert.deepEqual(firstDeployHazards([container(), managed(`${ACCOUNT}-other`)]), []);
  });

  it("Cosmos DB: an ML workspace provisioned with its managed network makes its private endpoint connections there, ordered with the account's writes", () => {
    const ACCOUNT =
      "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-pay";
    const endpoint = waiting("azure-native:network:PrivateEndpoint", {
      resourceGroupName: "rg-data",
      privateLinkServiceConnections: [{ privateLinkServiceId: ACCOUNT, groupIds: ["Sql"] }],
    });
    const workspace = (target: string, provisionNetworkNow: boolean, dependencies: string[] = []) =>
      waiting("azure-native:machinelearningservices:Workspace", {
        resourceGroupName: "rg-ml",
        provisionNetworkNow,
        managedNetwork: {
          isolationMode: "AllowOnlyApprovedOutbound",
          outboundRules: {
            "fraud-features-cosmos": {
              type: "PrivateEndpoint",
              destination: { serviceResourceId: target, subresourceTarget: "Sql" },
            },
          },
        },
      })(dependencies);
    const pe = endpoint();
    const ws = workspace(ACCOUNT, true);
    const racing = firstDeployHazards([pe, ws]);
    assert.deepEqual(
      racing.map((h) => [h.rule, h.name]),
      [["serialised-children-race", ws.name]],
    );
    assert.match(racing[0].message, /private endpoint connections of one Cosmos DB account \(412 'exclusive lock'\)/);
    const first = endpoint();
    assert.deepEqual(firstDeployHazards([first, workspace(ACCOUNT, true, [first.urn])]), [], "chained");
    // Without provisionNetworkNow the managed network is built on first use, after the deploy; another account is
    // another parent.
    assert.deepEqual(firstDeployHazards([endpoint(), workspace(ACCOUNT, false)]), []);
    assert.deepEqual(firstDeployHazards([endpoint(), workspace(`${ACCOUNT}-other`, true)]), []);
  });

  it("storage and key vault: an ML workspace provisioned with its managed network connects to its own storage and vault, ordered with their writes", () => {
    const ST = "/subscriptions/s/resourceGroups/rg-ml/providers/Microsoft.Storage/storageAccounts/stml";
    const KV = "/subscriptions/s/resourceGroups/rg-ml/providers/Microsoft.KeyVault/vaults/kv-ml";
    const container = waiting("azure-native:storage:BlobContainer", {
      resourceGroupName: "rg-ml",
      accountName: "stml",
    });
    const secret = waiting("azure-native:keyvault:Secret", { resourceGroupName: "rg-ml", vaultName: "kv-ml" });
    const workspace = (provisionNetworkNow: boolean, dependencies: string[] = []) =>
      waiting("azure-native:machinelearningservices:Workspace", {
        resourceGroupName: "rg-ml",
        provisionNetworkNow,
        storageAccount: ST,
        keyVault: KV,
      })(dependencies);
    const [c, k, ws] = [container(), secret(), workspace(true)];
    const racing = firstDeployHazards([c, k, ws]);
    assert.deepEqual(racing.map((h) => [h.rule, h.name]).sort(), [
      ["serialised-children-race", ws.name],
      ["serialised-children-race", ws.name],
    ]);
    assert.match(
      racing.map((h) => h.message).join("\n"),
      /of one storage account \(409 StorageAccountOperationInProgress\)/,
    );
    assert.match(racing.map((h) => h.message).join("\n"), /of one key vault \(409 ConflictError\)/);
    const [c2, k2] = [container(), secret()];
    assert.deepEqual(firstDeployHazards([c2, k2, workspace(true, [c2.urn, k2.urn])]), [], "chained");
    assert.deepEqual(firstDeployHazards([container(), secret(), workspace(false)]), [], "no network at creation");
  });

  it("container registry: its replications, private endpoints and an ML workspace provisioned with its managed network are ordered", () => {
    const CR = "/subscriptions/s/resourceGroups/rg-ml/providers/Microsoft.ContainerRegistry/registries/crml";
    const replication = waiting("azure-native:containerregistry:Replication", {
      resourceGroupName: "rg-ml",
      registryName: "crml",
    });
    const endpoint = waiting("azure-native:network:PrivateEndpoint", {
      privateLinkServiceConnections: [{ privateLinkServiceId: CR, groupIds: ["registry"] }],
    });
    const workspace = (provisionNetworkNow: boolean, dependencies: string[] = [], registry = CR) =>
      waiting("azure-native:machinelearningservices:Workspace", {
        resourceGroupName: "rg-ml",
        provisionNetworkNow,
        containerRegistry: registry,
      })(dependencies);
    const [rep, pe, ws] = [replication(), endpoint(), workspace(true)];
    const racing = firstDeployHazards([rep, pe, ws]);
    assert.deepEqual(
      racing.map((h) => h.rule),
      ["serialised-children-race", "serialised-children-race", "serialised-children-race"],
    );
    assert.match(racing[0].message, /replications and private endpoint connections of one container registry/);
    const [rep2] = [replication()];
    const pe2 = endpoint([rep2.urn]);
    assert.deepEqual(firstDeployHazards([rep2, pe2, workspace(true, [pe2.urn])]), [], "chained");
    const [pe3, pe4] = [endpoint(), endpoint()];
    assert.deepEqual(firstDeployHazards([pe3, pe4, workspace(false)]).length, 1, "two endpoints at once race");
    assert.deepEqual(
      firstDeployHazards([endpoint(), workspace(true, [], `${CR}-other`)]),
      [],
      "another registry's workspace",
    );
  });

  it("SQL: a geo-secondary and a failover group are operations on the primary database, ordered with its settings", () => {
    const SERVER = "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.Sql/servers/sql-pay";
    const PRIMARY = `${SERVER}/databases/sqldb-pay`;
    const setting = waiting("azure-native:sql:LongTermRetentionPolicy", {
      resourceGroupName: "rg-data",
      serverName: "sql-pay",
      databaseName: "sqldb-pay",
    });
    const secondary = (sourceDatabaseId: string, dependencies: string[] = []) =>
      waiting("azure-native:sql:Database", {
        resourceGroupName: "rg-data",
        serverName: "sql-pay-secondary",
        databaseName: "sqldb-pay",
        createMode: "Secondary",
        sourceDatabaseId,
      })(dependencies);
    const group = (databases: string[], dependencies: string[] = []) =>
      waiting("azure-native:sql:FailoverGroup", { resourceGroupName: "rg-data", serverName: "sql-pay", databases })(
        dependencies,
      );
    for (const make of [(deps?: string[]) => secondary(PRIMARY, deps), (deps?: string[]) => group([PRIMARY], deps)]) {
      const a = setting();
      const b = make();
      const racing = firstDeployHazards([a, b]);
      assert.deepEqual(
        racing.map((h) => [h.rule, h.name]),
        [["serialised-children-race", b.name]],
      );
      assert.match(
        racing[0].message,
        /operations on one SQL database: its settings, its geo-secondary and its failover group/,
      );
      const first = setting();
      assert.deepEqual(firstDeployHazards([first, make([first.urn])]), [], "ordered");
    }
    // Another database's secondary is another parent.
    assert.deepEqual(firstDeployHazards([setting(), secondary(`${SERVER}/databases/other`)]), []);
    // The group lands on the secondary too (its partner server's database of the same name), and so does the
    // secondary's creation: both must be ordered with the secondary's own settings.
    const secondarySetting = waiting("azure-native:sql:BackupShortTermRetentionPolicy", {
      resourceGroupName: "rg-data",
      serverName: "sql-pay-secondary",
      databaseName: "sqldb-pay",
    });
    const partnerGroup = (dependencies: string[] = []) =>
      waiting("azure-native:sql:FailoverGroup", {
        resourceGroupName: "rg-data",
        serverName: "sql-pay",
        databases: [PRIMARY],
        partnerServers: [
          { id: "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.Sql/servers/sql-pay-secondary" },
        ],
      })(dependencies);
    const onSecondary = secondarySetting();
    const fog = partnerGroup();
    assert.deepEqual(
      firstDeployHazards([onSecondary, fog]).map((h) => [h.rule, h.name]),
      [["serialised-children-race", fog.name]],
    );
    const settled = secondarySetting();
    assert.deepEqual(firstDeployHazards([settled, partnerGroup([settled.urn])]), []);
    const created = secondary(PRIMARY);
    const racingOwnSetting = secondarySetting();
    assert.deepEqual(
      firstDeployHazards([created, racingOwnSetting]).map((h) => h.name),
      [racingOwnSetting.name],
      "the secondary's setting waits for the secondary",
    );
  });

  it("flags two function apps joining one integration subnet without waiting for each other, not a chain or two subnets", () => {
    const SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/flex";
    const app = (virtualNetworkSubnetId: string, dependencies: string[] = []) => ({
      ...record("azure-native:web:WebApp", { kind: "functionapp,linux", virtualNetworkSubnetId }),
      dependencies,
    });
    const a = app(SUBNET);
    const b = app(SUBNET);
    const racing = firstDeployHazards([a, b]);
    assert.deepEqual(
      racing.map((h) => [h.rule, h.name]),
      [["serialised-children-race", b.name]],
    );
    assert.match(racing[0].message, /apps joining one integration subnet .*ServiceAssociationLinkLease/);
    const first = app(SUBNET);
    assert.deepEqual(firstDeployHazards([first, app(SUBNET, [first.urn])]), []);
    assert.deepEqual(firstDeployHazards([app(SUBNET), app(`${SUBNET}-2`)]), []);
  });

  it("flags two writes of different types to one site that do not wait for each other, not a chain", () => {
    const write = (type: string, dependencies: string[] = []) => ({
      ...record(`azure-native:web:${type}`, { resourceGroupName: "rg", name: "func" }),
      dependencies,
    });
    const settings = write("WebAppApplicationSettings");
    const ftp = write("WebAppFtpAllowed");
    const racing = firstDeployHazards([settings, ftp]);
    assert.deepEqual(
      racing.map((h) => [h.rule, h.name]),
      [["serialised-children-race", ftp.name]],
    );
    assert.match(racing[0].message, /writes to one site/);
    const first = write("WebAppApplicationSettings");
    const second = write("WebAppFtpAllowed", [first.urn]);
    assert.deepEqual(firstDeployHazards([first, second, write("WebAppScmAllowed", [second.urn])]), []);
  });

  it("flags a private endpoint or network rule set of an Event Hubs namespace racing its entities, not two entities", () => {
    const NS = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.EventHub/namespaces/evhns";
    const child = (type: string, dependencies: string[] = []) => ({
      ...record(`azure-native:eventhub:${type}`, { resourceGroupName: "rg", namespaceName: "evhns" }),
      dependencies,
    });
    const endpoint = (target: string, dependencies: string[] = []) => ({
      ...record("azure-native:network:PrivateEndpoint", {
        resourceGroupName: "rg-network",
        privateLinkServiceConnections: [{ privateLinkServiceId: target, groupIds: ["namespace"] }],
      }),
      dependencies,
    });
    const hub = child("EventHub");
    const other = child("EventHub");
    const group = child("ConsumerGroup", [hub.urn]);
    const pep = endpoint(NS);
    const racing = firstDeployHazards([hub, other, group, pep]);
    // Two hubs side by side are fine (entity writes); the endpoint's connection is a namespace update.
    assert.deepEqual(
      racing.map((h) => h.message.split(" are ")[0]),
      [hub, other, group].map((c) => `${c.name} and ${pep.name}`),
    );
    assert.match(racing[0].message, /writes to one Event Hubs namespace/);
    // Ordered after the entities, and the rule set after the endpoint: nothing races. An endpoint to another
    // service, or to another namespace, is not in the group.
    const ordered = endpoint(NS, [hub.urn, other.urn, group.urn]);
    const rules = child("NamespaceNetworkRuleSet", [ordered.urn]);
    assert.deepEqual(firstDeployHazards([hub, other, group, ordered, rules]), []);
    assert.deepEqual(
      firstDeployHazards([
        hub,
        endpoint("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/evhns"),
        endpoint(`${NS}2`),
      ]),
      [],
    );
    // The rule set racing an entity is flagged too.
    assert.deepEqual(
      firstDeployHazards([hub, child("NamespaceNetworkRuleSet")]).map((h) => h.rule),
      ["serialised-children-race"],
    );
  });

  it("flags a log alert muted for a duration Azure does not take (12 hours), not one it does (1 hour, 1 day)", () => {
    const alert = (muteActionsDuration?: string) =>
      record("azure-native:monitor:ScheduledQueryRule", { autoMitigate: false, muteActionsDuration });
    assert.deepEqual(rulesOf([alert("PT12H")]), ["log-alert-mute-duration"]);
    assert.match(
      firstDeployHazards([alert("PT12H")])[0].message,
      /muteActionsDuration PT12H is not one Azure takes \(minutes: 5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440, 2880\)/,
    );
    for (const ok of ["PT5M", "PT1H", "PT6H", "P1D", "P2D", undefined]) assert.deepEqual(rulesOf([alert(ok)]), [], ok);
    assert.deepEqual(rulesOf([alert("PT0M")]), ["log-alert-mute-duration"]);
    assert.deepEqual(rulesOf([alert(UNKNOWN)]), [], "unknown during a first preview: nothing to judge");
    assert.deepEqual(rulesOf([alert("one hour")]), ["log-alert-mute-duration"]);
    // Azure also refuses a mute shorter than one evaluation period, and a mute with auto-mitigation on.
    const checked = (inputs: Record<string, unknown>) =>
      firstDeployHazards([record("azure-native:monitor:ScheduledQueryRule", { autoMitigate: false, ...inputs })]);
    assert.match(
      checked({ muteActionsDuration: "PT10M", evaluationFrequency: "PT15M" })[0].message,
      /muteActionsDuration PT10M is shorter than the rule's evaluationFrequency PT15M, which Azure refuses/,
    );
    assert.deepEqual(
      checked({ muteActionsDuration: "PT15M", evaluationFrequency: "PT15M" }),
      [],
      "one period is enough",
    );
    assert.deepEqual(
      checked({ muteActionsDuration: "PT15M", evaluationFrequency: UNKNOWN }),
      [],
      "unknown: not judged",
    );
    assert.match(
      checked({ muteActionsDuration: "PT1H", autoMitigate: true })[0].message,
      /with autoMitigate true, which Azure refuses \("Auto mitigation must be disabled when action suppression is set"\)/,
    );
    assert.match(
      firstDeployHazards([record("azure-native:monitor:ScheduledQueryRule", { muteActionsDuration: "PT1H" })])[0]
        .message,
      /with autoMitigate unset \(true by default\), which Azure refuses/,
    );
    assert.deepEqual(checked({ autoMitigate: true }), [], "auto-mitigation without a mute is Azure's default");
    assert.deepEqual(checked({ muteActionsDuration: "PT1H", autoMitigate: UNKNOWN }), [], "unknown: not judged");
    assert.deepEqual(["P1D", "PT12H", "PT30M", "P1DT1H", "P", "PT", "1H"].map(isoMinutes), [
      1440,
      720,
      30,
      1500,
      undefined,
      undefined,
      undefined,
    ]);
  });

  describe("custom-dns-without-peering", () => {
    const HUB =
      "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub-weu";
    const vnet = (dnsServers?: unknown, name = "vnet-pay-dev-weu"): ResourceRecord =>
      resourceRecord(
        "azure-native:network:VirtualNetwork",
        "platform-vnet",
        {
          resourceGroupName: "rg-pay-dev-weu-network",
          virtualNetworkName: name,
          addressSpace: { addressPrefixes: ["10.20.0.0/16"] },
          ...(dnsServers === undefined ? {} : { dhcpOptions: { dnsServers } }),
        },
        { stack: "dev", project: "p" },
      );
    const peering = (inputs: Record<string, unknown> = {}): ResourceRecord =>
      resourceRecord(
        "azure-native:network:VirtualNetworkPeering",
        "platform-hub-peering",
        {
          resourceGroupName: "rg-pay-dev-weu-network",
          virtualNetworkName: "vnet-pay-dev-weu",
          virtualNetworkPeeringName: "peer-to-hub",
          remoteVirtualNetwork: { id: HUB },
          ...inputs,
        },
        { stack: "dev", project: "p" },
      );

    it("flags a VNet whose DNS servers lie outside it and that no peering of the stack names", () => {
      const hazards = firstDeployHazards([vnet(["10.0.0.68", "10.0.0.69"])]);
      assert.deepEqual(
        hazards.map((h) => [h.rule, h.name]),
        [["custom-dns-without-peering", "platform-vnet"]],
      );
      assert.equal(
        hazards[0].message,
        "its DNS servers (dhcpOptions.dnsServers 10.0.0.68, 10.0.0.69) lie outside its address space and no VirtualNetworkPeering of the stack names it: everything in the VNet sends its queries there, so until a peering to their network is Connected it resolves nothing, not even public names, and the first deploy's apps, gateway and private endpoint clients fail; declare the peering (config hub); the hub's side, which Azure accepts once this VNet exists, and the resolver or firewall answering this address space follow the first up's first pass",
      );
      // A peering of another VNet (another name, or the same name in another resource group) does not reach them.
      assert.deepEqual(rulesOf([vnet(["10.0.0.68"]), peering({ virtualNetworkName: "vnet-other" })]), [
        "custom-dns-without-peering",
      ]);
      assert.deepEqual(rulesOf([vnet(["10.0.0.68"]), peering({ resourceGroupName: "rg-other" })]), [
        "custom-dns-without-peering",
      ]);
      // Only the servers outside the VNet are named.
      assert.match(
        firstDeployHazards([vnet(["10.20.0.10", "168.63.129.16", "10.0.0.68"])])[0].message,
        /^its DNS servers \(dhcpOptions\.dnsServers 10\.0\.0\.68\) lie outside/,
      );
    });

    it("does not flag a VNet with its peering (by name, in any case, or wired from the VNet)", () => {
      assert.deepEqual(rulesOf([vnet(["10.0.0.68"]), peering()]), []);
      assert.deepEqual(rulesOf([vnet(["10.0.0.68"], "VNET-PAY-DEV-WEU"), peering()]), []);
      const v = vnet(["10.0.0.68"]);
      const wired: ResourceRecord = {
        ...peering({ virtualNetworkName: UNKNOWN }),
        propertyDependencies: { virtualNetworkName: [v.urn] },
      };
      assert.deepEqual(rulesOf([v, wired]), []);
    });

    it("the dev stack with the hub's zones (privateDns.mode central) has none, and would without its hub peering", async function () {
      this.timeout(120_000);
      const { run } = await previewCentralDevOf();
      assert.deepEqual(firstDeployHazards(run.resources), []);
      // Config refuses mode central without hub; the hazard guards a program that drops the peering anyway.
      const unpeered = run.resources.filter((r) => r.type !== "azure-native:network:VirtualNetworkPeering");
      assert.deepEqual(
        firstDeployHazards(unpeered).map((h) => [h.rule, h.name]),
        [["custom-dns-without-peering", "platform-vnet"]],
      );
    });

    it("flags the gateway when the vault's zone is not linked to its VNet with custom DNS servers", async function () {
      this.timeout(120_000);
      const { run } = await previewCentralDevOf();
      // Mode central links the hub's vault zone to the VNet for the gateway: without that link, the hazard.
      const link = run.resources.find((r) => r.name === "platform-dns-vaultcore-azure-net-central-link");
      assert.ok(link);
      const unlinked = run.resources.filter((r) => r !== link);
      const hazards = firstDeployHazards(unlinked);
      assert.deepEqual(
        hazards.map((h) => [h.rule, h.name]),
        [["gateway-vault-zone-not-linked", "ingestion-agw"]],
      );
      assert.equal(
        hazards[0].message,
        "it reads its certificate from Key Vault through Azure-provided DNS whatever platform-vnet's DNS servers (dhcpOptions.dnsServers 10.0.0.68), and no privatelink.vaultcore.azure.net zone is linked to that VNet: it would resolve the vault's public address, which the private vault refuses, and fail; link the vault's private DNS zone (the hub's, with privateDns.mode central) to the VNet",
      );
      // A link of another zone, or of the vault's zone to another VNet, does not count.
      const elsewhere = { ...link, inputs: { ...link.inputs, virtualNetwork: { id: `${CENTRAL_DNS.hub}` } } };
      assert.deepEqual(rulesOf([...unlinked, elsewhere]), ["gateway-vault-zone-not-linked"]);
      const otherZone = { ...link, inputs: { ...link.inputs, privateZoneName: "privatelink.blob.core.windows.net" } };
      assert.deepEqual(rulesOf([...unlinked, otherZone]), ["gateway-vault-zone-not-linked"]);
    });

    it("does not flag Azure DNS, servers inside the VNet, no servers, or servers unknown until deployed", () => {
      for (const servers of [undefined, [], ["168.63.129.16"], ["10.20.0.10"], UNKNOWN, [UNKNOWN]])
        assert.deepEqual(rulesOf([vnet(servers)]), [], JSON.stringify(servers));
    });
  });

  describe("private-endpoint-subnet-full", () => {
    const RG = "/subscriptions/s/resourceGroups/rg/providers";
    const VNET = `${RG}/Microsoft.Network/virtualNetworks/vnet`;
    const vnetWith = (prefix: string) =>
      record(
        "azure-native:network:VirtualNetwork",
        {
          subnets: [
            { name: "snet-pe", addressPrefix: prefix },
            { name: "snet-other", addressPrefix: "10.0.9.0/24" },
          ],
        },
        VNET,
      );
    const endpoint = (target: string, group: string, subnet = `${VNET}/subnets/snet-pe`) =>
      record("azure-native:network:PrivateEndpoint", {
        subnet: { id: subnet },
        privateLinkServiceConnections: [{ privateLinkServiceId: target, groupIds: [group] }],
      });
    const subnetFull = (records: ResourceRecord[]) =>
      ofRule("private-endpoint-subnet-full", records).map((h) => h.rule);
    const vaults = (count: number) =>
      Array.from({ length: count }, (_, i) => endpoint(`${RG}/Microsoft.KeyVault/vaults/kv${i}`, "vault"));

    it("counts each target's addresses as Microsoft documents them (one, or one per name it serves)", () => {
      const ampls = record(
        "azure-native:monitor:PrivateLinkScope",
        { scopeName: "ampls" },
        `${RG}/microsoft.insights/privateLinkScopes/ampls`,
      );
      const workspace = (name: string, location: string) =>
        record(
          "azure-native:operationalinsights:Workspace",
          { location },
          `${RG}/Microsoft.OperationalInsights/workspaces/${name}`,
        );
      const scoped = (linked: string) =>
        record("azure-native:monitor:PrivateLinkScopedResource", { scopeName: "ampls", linkedResourceId: linked });
      const [weu, weu2, neu] = [
        workspace("a", "westeurope"),
        workspace("b", "westeurope"),
        workspace("c", "northeurope"),
      ];
      const dce = `${RG}/Microsoft.Insights/dataCollectionEndpoints/dce`;
      const appInsights = `${RG}/Microsoft.Insights/components/appi`;
      const amplsEndpoint = endpoint(ampls.id as string, "azuremonitor");
      const scope = (...linked: string[]) => [ampls, weu, weu2, neu, ...linked.map(scoped)];
      // 11 for the first workspace region; workspaces of one region and Application Insights share its endpoints.
      assert.equal(
        endpointAddresses(amplsEndpoint, scope(weu.id as string, weu2.id as string, appInsights)).addresses,
        11,
      );
      // 3 more per other region and per data collection endpoint.
      assert.equal(endpointAddresses(amplsEndpoint, scope(weu.id as string, neu.id as string, dce)).addresses, 17);
      // A region written as the portal shows it is the same region; a workspace without a location is in its
      // resource group's.
      const shown = { ...workspace("d", "West Europe"), urn: "urn:d" };
      const rg = record("azure-native:resources:ResourceGroup", {
        resourceGroupName: "rg-logs",
        location: "westeurope",
      });
      const unplaced = record(
        "azure-native:operationalinsights:Workspace",
        { resourceGroupName: "rg-logs" },
        `${RG}/Microsoft.OperationalInsights/workspaces/e`,
      );
      assert.equal(
        endpointAddresses(amplsEndpoint, [
          ...scope(weu.id as string, shown.id as string, unplaced.id as string),
          shown,
          rg,
          unplaced,
        ]).addresses,
        11,
      );
      // Another scope's links (the same scope name in another resource group) are not this one's; a link whose
      // scopeName was wired from this scope is, whatever its name.
      const grouped = (inputs: Record<string, unknown>) =>
        record("azure-native:monitor:PrivateLinkScopedResource", { linkedResourceId: neu.id, ...inputs });
      const own = { ...ampls, inputs: { ...ampls.inputs, resourceGroupName: "rg-a" } };
      const elsewhere = grouped({ scopeName: "ampls", resourceGroupName: "rg-b" });
      const wired = { ...grouped({ scopeName: "generated-name" }), propertyDependencies: { scopeName: [own.urn] } };
      const links = [
        own,
        weu,
        neu,
        {
          ...scoped(weu.id as string),
          inputs: { scopeName: "ampls", resourceGroupName: "rg-a", linkedResourceId: weu.id },
        },
      ];
      assert.equal(endpointAddresses(amplsEndpoint, [...links, elsewhere]).addresses, 11);
      assert.equal(endpointAddresses(amplsEndpoint, [...links, wired]).addresses, 14);

      const cosmos = (regions: string[]) =>
        record(
          "azure-native:cosmosdb:DatabaseAccount",
          { locations: regions.map((locationName) => ({ locationName })) },
          `${RG}/Microsoft.DocumentDB/databaseAccounts/cosmos`,
        );
      const cosmosEndpoint = endpoint(`${RG}/Microsoft.DocumentDB/databaseAccounts/cosmos`, "Sql");
      assert.equal(endpointAddresses(cosmosEndpoint, [cosmos(["westeurope"])]).addresses, 2);
      // Every API's endpoint serves the account's regions.
      const mongo = endpoint(`${RG}/Microsoft.DocumentDB/databaseAccounts/cosmos`, "MongoDB");
      assert.equal(endpointAddresses(mongo, [cosmos(["westeurope", "northeurope"])]).addresses, 3);
      // A manual connection (approved by the target's owner) counts as an automatic one.
      const manual = record("azure-native:network:PrivateEndpoint", {
        subnet: { id: `${VNET}/subnets/snet-pe` },
        manualPrivateLinkServiceConnections: [
          { privateLinkServiceId: `${RG}/Microsoft.DocumentDB/databaseAccounts/cosmos`, groupIds: ["Sql"] },
        ],
      });
      assert.equal(endpointAddresses(manual, [cosmos(["westeurope"])]).addresses, 2);
      // Microsoft's example: three regions, four addresses.
      assert.equal(
        endpointAddresses(cosmosEndpoint, [cosmos(["westeurope", "northeurope", "francecentral"])]).addresses,
        4,
      );

      const REGISTRY = `${RG}/Microsoft.ContainerRegistry/registries/cr`;
      const registry = () => record("azure-native:containerregistry:Registry", { registryName: "cr" }, REGISTRY);
      const replication = (location: string) =>
        record("azure-native:containerregistry:Replication", { registryName: "cr", location });
      const registryEndpoint = endpoint(REGISTRY, "registry");
      assert.equal(endpointAddresses(registryEndpoint, [registry()]).addresses, 2);
      const replicas = ["northeurope", "francecentral", "germanywestcentral"].map(replication);
      // Microsoft's table: 2, and one per geo-replication.
      assert.equal(endpointAddresses(registryEndpoint, [registry(), ...replicas]).addresses, 5);

      assert.equal(
        endpointAddresses(endpoint(`${RG}/Microsoft.MachineLearningServices/workspaces/ml`, "amlworkspace"), [])
          .addresses,
        3,
      );
      for (const [target, group] of [
        ["Microsoft.KeyVault/vaults/kv", "vault"],
        ["Microsoft.Storage/storageAccounts/st", "dfs"],
        ["Microsoft.Web/sites/app", "sites"],
        ["Microsoft.Synapse/workspaces/syn", "SqlOnDemand"],
      ])
        assert.equal(endpointAddresses(endpoint(`${RG}/${target}`, group), []).addresses, 1, group);
      assert.deepEqual(["10.0.0.0/24", "10.0.0.0/26", "10.0.0.0/28", "nonsense"].map(usableAddresses), [
        251,
        59,
        11,
        undefined,
      ]);
    });

    it("flags a subnet whose endpoints take more addresses than Azure leaves free, and only that subnet", () => {
      // A /28 leaves 11 of its 16 addresses.
      assert.deepEqual(subnetFull([vnetWith("10.0.0.0/28"), ...vaults(11)]), []);
      const hazards = ofRule("private-endpoint-subnet-full", [vnetWith("10.0.0.0/28"), ...vaults(12)]);
      assert.equal(hazards.length, 1);
      assert.match(
        hazards[0].message,
        /^subnet snet-pe \(10\.0\.0\.0\/28\) has 11 addresses for endpoints \(Azure keeps 5\) and the stack's 12 private endpoints there take 12: Azure refuses the endpoints past the last free address \(SubnetIsFull\)/,
      );
      // Endpoints of another subnet do not count; nor does one of the stack's standalone subnets that holds none.
      const elsewhere = vaults(12).map((v) => ({
        ...v,
        inputs: { ...v.inputs, subnet: { id: `${VNET}/subnets/snet-other` } },
      }));
      assert.deepEqual(subnetFull([vnetWith("10.0.0.0/28"), ...elsewhere]), []);
      // A standalone subnet is counted the same way (its own id, compared without case), named by its subnetName,
      // its range from addressPrefix or the first of addressPrefixes.
      const inSolo = vaults(12).map((v) => ({
        ...v,
        inputs: { ...v.inputs, subnet: { id: `${VNET}/subnets/SNET-SOLO` } },
      }));
      for (const range of [{ addressPrefix: "10.0.1.0/28" }, { addressPrefixes: ["10.0.1.0/28"] }]) {
        const subnet = record(
          "azure-native:network:Subnet",
          { subnetName: "snet-solo", ...range },
          `${VNET}/subnets/snet-solo`,
        );
        const [hazard] = ofRule("private-endpoint-subnet-full", [subnet, ...inSolo]);
        assert.match(
          hazard?.message ?? "",
          /^subnet snet-solo \(10\.0\.1\.0\/28\) has 11 addresses/,
          JSON.stringify(range),
        );
      }
      // Names the endpoints that take several addresses, with what the count rests on.
      const ampls = endpoint(`${RG}/microsoft.insights/privateLinkScopes/ampls`, "azuremonitor");
      assert.match(
        ofRule("private-endpoint-subnet-full", [vnetWith("10.0.0.0/28"), ampls, ...vaults(1)])[0].message,
        /take 12, some several: r\d+ 11 \(Azure Monitor: 11 for its first workspace region \(Microsoft's minimum\)/,
      );
    });

    it("both stacks' endpoints fit a /26, the smallest privateEndpoints subnet the config takes, and not a /27", async () => {
      for (const stack of ["dev", "prod"] as const) {
        const { run } = await previewOf(stack);
        const vnet = run.resources.find((r) => r.type === "azure-native:network:VirtualNetwork") as ResourceRecord;
        const sized = (prefix: string) => {
          const subnets = [vnet.inputs.subnets]
            .flat()
            .map((s) =>
              (s as { name: string }).name === "snet-private-endpoints"
                ? { ...(s as object), addressPrefix: prefix }
                : s,
            );
          return run.resources.map((r) => (r === vnet ? { ...r, inputs: { ...r.inputs, subnets } } : r));
        };
        assert.deepEqual(ofRule("private-endpoint-subnet-full", sized("10.20.0.0/26")), [], stack);
        const [full] = ofRule("private-endpoint-subnet-full", sized("10.20.0.0/27"));
        assert.match(
          full?.message ?? "",
          /has 27 addresses for endpoints \(Azure keeps 5\) and the stack's 32 private endpoints there take 46, /,
          stack,
        );
      }
    });
  });

  it("says none, or lists each hazard with its rule", () => {
    assert.match(formatHazards([]), /: none$/);
    assert.match(
      formatHazards(firstDeployHazards([record("azure-native:synapse:WorkspaceSqlAadAdmin", {})])),
      /: 1\n {4}✗ r\d+ \[synapse-sql-admin-exists\]: Azure makes the workspace's creator/,
    );
    assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length);
    assert.match(hazardsMarkdown([]), /## First-deploy hazards\n\nNone\./);
    assert.match(
      hazardsMarkdown(firstDeployHazards([record("azure-native:security:Pricing", {})])),
      /- \*\*r\d+\*\* \(`defender-plan-exists`\): every Defender plan exists/,
    );
  });

  describe("parent-not-awaited", () => {
    const RG = "/subscriptions/s/resourceGroups/rg";
    const SERVER = `${RG}/providers/Microsoft.Sql/servers/srv`;
    const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/st`;
    const at = (type: string, id: string, after: ResourceRecord[] = []) => waitingFor(record(type, {}, id), after);
    const found = (records: ResourceRecord[]) => ofRule("parent-not-awaited", records).map((h) => h.name);

    it("flags a child, an extension resource or a role assignment that does not wait for what it lies under", () => {
      const group = at("azure-native:resources:ResourceGroup", RG);
      const server = at("azure-native:sql:Server", SERVER, [group]);
      const database = at("azure-native:sql:Database", `${SERVER}/databases/db`, [group]);
      const grant = at(
        "azure-native:authorization:RoleAssignment",
        `${SERVER}/providers/Microsoft.Authorization/roleAssignments/g`,
      );
      const hazards = ofRule("parent-not-awaited", [group, server, database, grant]);
      assert.deepEqual(
        hazards.map((h) => h.name),
        [database.name, grant.name],
      );
      assert.match(hazards[0].message, new RegExp(`^${database.name} lies under ${server.name} \\(${SERVER}\\)`));
      assert.match(hazards[0].message, /does not wait for it.*dependsOn$/);
      // The grant waits for neither the server nor the resource group: named once, for the nearest (waiting for it
      // brings the outer ones), and not again by the reference rule for its scope.
      assert.match(hazards[1].message, new RegExp(`lies under ${server.name} `));
      assert.deepEqual(
        ofRule("reference-not-awaited", [group, server, database, { ...grant, inputs: { scope: SERVER } }]),
        [],
      );
      // A grant that waits for the server but not the group still waits for what matters.
      const waiting = at(
        "azure-native:authorization:RoleAssignment",
        `${SERVER}/providers/Microsoft.Authorization/roleAssignments/h`,
        [server],
      );
      assert.deepEqual(found([group, server, waiting]), []);
    });

    it("takes a custom resource that is a child's Pulumi parent for one it waits for, not a component", () => {
      const server = at("azure-native:sql:Server", SERVER);
      const database = { ...at("azure-native:sql:Database", `${SERVER}/databases/db`), parent: server.urn };
      assert.deepEqual(found([server, database]), []);
      // A component's URN resolves at once: its children wait for nothing through it.
      const component = { ...record("payments:oltp:Oltp", {}), custom: false, dependencies: [server.urn] };
      const underComponent = { ...at("azure-native:sql:Database", `${SERVER}/databases/db`), parent: component.urn };
      assert.deepEqual(found([server, component, underComponent]), [underComponent.name]);
    });

    it("passes a child that waits for its parent directly or through others, in any case", () => {
      const group = at("azure-native:resources:ResourceGroup", RG);
      const server = at("azure-native:sql:Server", SERVER, [group]);
      const key = at("azure-native:sql:ServerKey", `${SERVER}/keys/k`, [server]);
      const database = at("azure-native:sql:Database", `${SERVER.toUpperCase()}/databases/db`, [key]);
      assert.deepEqual(found([group, server, key, database]), []);
    });

    it("asks nothing of a storage service singleton Azure creates with the account, only of the account", () => {
      const account = at("azure-native:storage:StorageAccount", ACCOUNT);
      const blob = at("azure-native:storage:BlobServiceProperties", `${ACCOUNT}/blobServices/default`, [account]);
      const diag = (after: ResourceRecord[]) =>
        at(
          "azure-native:monitor:DiagnosticSetting",
          `${ACCOUNT}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/d`,
          after,
        );
      assert.deepEqual(found([account, blob, diag([account])]), []);
      const alone = diag([]);
      assert.deepEqual(found([account, blob, alone]), [alone.name]);
    });

    it("leaves out ids not known yet, and what is not an Azure resource", () => {
      const unknown = `${RG}/providers/Microsoft.Sql/servers/${UNKNOWN}`;
      assert.deepEqual(
        found([at("azure-native:sql:Server", unknown), at("azure-native:sql:Database", `${unknown}/databases/db`)]),
        [],
      );
      assert.deepEqual(
        found([at("azuread:index/group:Group", SERVER), at("azure-native:sql:Database", `${SERVER}/databases/db`)]),
        [],
      );
    });
  });

  describe("reference-not-awaited", () => {
    const SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe";
    const ACCOUNT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st";
    const subnet = record("azure-native:network:Subnet", {}, SUBNET);
    const endpoint = (after: ResourceRecord[], subnetId = SUBNET) =>
      waitingFor(
        record("azure-native:network:PrivateEndpoint", { subnet: { id: subnetId }, ipConfigurations: [] }),
        after,
      );
    const found = (records: ResourceRecord[]) => ofRule("reference-not-awaited", records).map((h) => h.message);

    it("flags an input naming another resource's ARM id (any case, at any depth) without waiting for it", () => {
      const pe = endpoint([], SUBNET.toUpperCase());
      assert.deepEqual(found([subnet, pe]), [
        `${pe.name}'s subnet.id names ${subnet.name} (${SUBNET}) but ${pe.name} does not wait for it: the engine may create ${pe.name} first, and Azure refuses a reference to a resource that does not exist yet; pass ${subnet.name}'s id output instead of a plain string, or add dependsOn`,
      ]);
    });

    it("takes an id under a resource of the program (a subnet declared in its VNet) for a reference to that resource", () => {
      const VNET = SUBNET.replace("/subnets/pe", "");
      const vnet = record("azure-native:network:VirtualNetwork", {}, VNET);
      const pe = endpoint([]);
      assert.deepEqual(found([vnet, pe]), [
        `${pe.name}'s subnet.id names ${SUBNET}, of ${vnet.name} (${VNET}) but ${pe.name} does not wait for it: the engine may create ${pe.name} first, and Azure refuses a reference to a resource that does not exist yet; pass ${vnet.name}'s id output instead of a plain string, or add dependsOn`,
      ]);
      assert.deepEqual(found([vnet, endpoint([vnet])]), []);
      // Its own parts (a gateway's frontend configuration) are no reference to wait for.
      const gateway = record(
        "azure-native:network:ApplicationGateway",
        { listeners: [{ frontendIPConfiguration: { id: `${VNET}x/frontendIPConfigurations/f` } }] },
        `${VNET}x`,
      );
      assert.deepEqual(found([gateway]), []);
    });

    it("names the nearest resource of the program an id lies under, past a storage service singleton to its account", () => {
      const RG = "/subscriptions/s/resourceGroups/rg";
      const VNET = SUBNET.replace("/subnets/pe", "");
      const group = record("azure-native:resources:ResourceGroup", {}, RG);
      const vnet = waitingFor(record("azure-native:network:VirtualNetwork", {}, VNET), [group]);
      const pe = endpoint([group]);
      assert.match(found([group, vnet, pe])[0], new RegExp(`names ${SUBNET}, of ${vnet.name} \\(${VNET}\\)`));
      const account = record("azure-native:storage:StorageAccount", {}, ACCOUNT);
      const blob = waitingFor(
        record("azure-native:storage:BlobServiceProperties", {}, `${ACCOUNT}/blobServices/default`),
        [account],
      );
      const diag = (after: ResourceRecord[]) =>
        waitingFor(
          record("azure-native:monitor:DiagnosticSetting", { resourceUri: `${ACCOUNT}/blobServices/default` }),
          after,
        );
      assert.deepEqual(found([account, blob, diag([account])]), []);
      assert.match(found([account, blob, diag([])])[0], new RegExp(`of ${account.name} \\(${ACCOUNT}\\)`));
    });

    it("reads Azure resources' inputs only (a time wait's trigger is no reference), and no unknown id", () => {
      const sleep = record("time:index/sleep:Sleep", { triggers: { scope: SUBNET } });
      assert.deepEqual(found([subnet, sleep]), []);
      const unknownSubnet = record("azure-native:network:Subnet", {}, `${SUBNET}${UNKNOWN}`);
      assert.deepEqual(found([unknownSubnet, endpoint([], `${SUBNET}${UNKNOWN}`)]), []);
    });

    it("passes one that waits, directly or through others, and asks nothing of a resource instance rule", () => {
      const nsg = waitingFor(record("azure-native:network:NetworkSecurityGroup", {}), [subnet]);
      assert.deepEqual(found([subnet, endpoint([subnet])]), []);
      assert.deepEqual(found([subnet, nsg, endpoint([nsg])]), []);
      const job = record(
        "azure-native:streamanalytics:StreamingJob",
        {},
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.StreamAnalytics/streamingjobs/job",
      );
      // Storage keeps the rule for a resource that may come later (the job needs the account first).
      const account = record(
        "azure-native:storage:StorageAccount",
        { networkRuleSet: { resourceAccessRules: [{ tenantId: "t", resourceId: job.id }] } },
        ACCOUNT,
      );
      assert.deepEqual(found([job, account]), []);
      // Cosmos DB's network bypass names the workspace that needs the account; a factory's global parameter holds an
      // id as data (a string its pipelines read).
      const cosmos = record("azure-native:cosmosdb:DatabaseAccount", { networkAclBypassResourceIds: [job.id] });
      const factory = record("azure-native:datafactory:Factory", {
        globalParameters: { target: { type: "String", value: job.id } },
      });
      assert.deepEqual(found([job, cosmos, factory]), []);
      // Elsewhere in the same resources, the id is a reference to wait for.
      const tagged = record("azure-native:datafactory:Factory", {
        identity: { userAssignedIdentities: { [job.id as string]: {} } },
        repoConfiguration: { id: job.id },
      });
      assert.equal(found([job, tagged]).length, 1);
    });
  });

  describe("one-azure-resource-twice", () => {
    const SETTING =
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Insights/diagnosticSettings/to-central-log-analytics";
    const setting = (id: string) => record("azure-native:monitor:DiagnosticSetting", {}, id);

    it("flags a second resource with the same ARM id, in any case, naming both and the id", () => {
      const [a, b, c] = [setting(SETTING), setting(SETTING.toUpperCase()), setting(SETTING)];
      const found = firstDeployHazards([a, b, c]);
      assert.deepEqual(
        found.map((h) => [h.rule, h.name]),
        [
          ["one-azure-resource-twice", b.name],
          ["one-azure-resource-twice", c.name],
        ],
      );
      assert.match(
        found[0].message,
        new RegExp(`^${a.name} and ${b.name} are the same Azure resource \\(/subscriptions/`),
      );
      assert.match(found[0].message, /already exists.*declare it once$/);
    });

    it("passes distinct ids, and leaves out unknown ids, Entra objects and local resources", () => {
      assert.deepEqual(rulesOf([setting(SETTING), setting(SETTING.replace("/kv/", "/kv2/"))]), []);
      assert.deepEqual(rulesOf([setting(`${UNKNOWN}/x`), setting(`${UNKNOWN}/x`)]), []);
      const group = (id: string) => record("azuread:index/group:Group", {}, id);
      assert.deepEqual(
        rulesOf([group("00000000-0000-0000-0000-000000000001"), group("00000000-0000-0000-0000-000000000001")]),
        [],
      );
      const local = () => record("random:index/randomUuid:RandomUuid", {}, "fixed");
      assert.deepEqual(rulesOf([local(), local()]), []);
    });
  });

  for (const stack of ["dev", "prod"] as const)
    it(`${stack}: the stack has no first-deploy hazard`, async () => {
      const { run } = await previewOf(stack);
      assert.deepEqual(firstDeployHazards(run.resources), []);
    });
});
