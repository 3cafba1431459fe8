import { strict as assert } from "node:assert";
import { destinationHostPolicies, foreignDataHosts, hostsIn } from "../../policies/rules/destinationHosts";
import { POLICY_NAME } from "../../policies/lib/policy";
import { evaluatePolicy, resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { RG_NAME } from "./fixtures/protection";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, otherResource, UNKNOWN } from "./helpers";

const r = (type: string, name: string, inputs: Record<string, unknown>, extra: Partial<ResourceRecord> = {}) =>
  resourceRecord(`azure-native:${type}`, name, { resourceGroupName: RG_NAME, ...inputs }, { stack: "prod", ...extra });

/** The stack's services, as the deployed view names them. */
const SERVICES = [
  r("sql:Server", "oltp-sql", { serverName: "sql-pay-prod-weu-10b5" }),
  r("sql:FailoverGroup", "oltp-fog", { failoverGroupName: "fog-pay-prod-weu-10b5" }),
  r("synapse:Workspace", "olap-workspace", { workspaceName: "synw-pay-prod-weu-10b5" }),
  r("storage:StorageAccount", "olap-lake", { accountName: "stpayprodweulake10b5" }),
  r("storage:StorageAccount", "streaming-asa-st", { accountName: "stpayprodweuasa10b5" }),
  r("cosmosdb:DatabaseAccount", "nosql-cosmos", { accountName: "cosmos-pay-prod-weu-10b5" }),
  r("eventhub:Namespace", "streaming-ehns", { namespaceName: "evhns-pay-prod-weu-10b5" }),
];
const linked = (name: string, properties: Record<string, unknown>, extra: Partial<ResourceRecord> = {}) =>
  r("datafactory:LinkedService", name, { factoryName: "adf-pay-prod-weu-10b5", properties }, extra);
/** The ETL's linked services (components/etl), as deployed. */
const LINKED = [
  linked("etl-ls-oltp", {
    type: "AzureSqlDatabase",
    server: "fog-pay-prod-weu-10b5.database.windows.net",
    database: "payments",
  }),
  linked("etl-ls-warehouse", { type: "AzureSqlDW", server: "synw-pay-prod-weu-10b5.sql.azuresynapse.net" }),
  linked("etl-ls-lake", { type: "AzureBlobFS", url: "https://stpayprodweulake10b5.dfs.core.windows.net/" }),
  linked("etl-ls-cosmos", {
    type: "CosmosDb",
    accountEndpoint: "https://cosmos-pay-prod-weu-10b5.documents.azure.com:443/",
  }),
];
const output = (datasource: Record<string, unknown>) => ({ name: "FactApiPerformance", datasource });
const job = (
  outputs: unknown[],
  jobStorageAccount: unknown = { accountName: "stpayprodweuasa10b5", authenticationMode: "Msi" },
  extra: Partial<ResourceRecord> = {},
) => r("streamanalytics:StreamingJob", "streaming-job", { outputs, jobStorageAccount }, extra);
const EH_OUTPUT = output({
  type: "Microsoft.EventHub/EventHub",
  serviceBusNamespace: "evhns-pay-prod-weu-10b5",
  eventHubName: "api-performance",
});

describe("policies/destinationHosts", () => {
  it("exports uniquely named policies that follow the name convention", () => {
    const names = destinationHostPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => POLICY_NAME.test(n)));
  });

  it("hostsIn: a URL's host, tcp:host,port, a connection string's hosts; no versions, addresses or database names", () => {
    assert.deepEqual(hostsIn("https://stx.dfs.core.windows.net/raw"), ["stx.dfs.core.windows.net"]);
    assert.deepEqual(hostsIn("Server=tcp:evil.example.com,1433;Database=payments;Encrypt=True"), ["evil.example.com"]);
    assert.deepEqual(hostsIn("Data Source=10.0.0.4;Version=1.2.3"), []);
    assert.deepEqual(hostsIn("AccountEndpoint=https://c.documents.azure.com:443/;"), ["c.documents.azure.com"]);
  });

  describe(foreignDataHosts.name, () => {
    it("passes the ETL's linked services and the stream job naming the stack's services", () =>
      expectPass(foreignDataHosts, [...SERVICES, ...LINKED, job([EH_OUTPUT])]));
    it("passes a private link host, a Synapse serverless endpoint and a Key Vault host of the stack", () =>
      expectPass(foreignDataHosts, [
        ...SERVICES,
        r("keyvault:Vault", "platform-kv", { vaultName: "kv-pay-prod-weu-10b5" }),
        linked("etl-ls-oltp", {
          type: "AzureSqlDatabase",
          server: "sql-pay-prod-weu-10b5.privatelink.database.windows.net",
        }),
        linked("etl-ls-serverless", {
          type: "AzureSqlDW",
          server: "synw-pay-prod-weu-10b5-ondemand.sql.azuresynapse.net",
        }),
        linked("etl-ls-kv", { type: "AzureKeyVault", baseUrl: "https://kv-pay-prod-weu-10b5.vault.azure.net/" }),
      ]));
    it("fails a linked service pointed at another tenant's SQL server (the review's mutation #13)", () =>
      expectFail(
        foreignDataHosts,
        [
          ...SERVICES,
          linked("etl-ls-oltp", { type: "AzureSqlDatabase", server: "sql-exfil-attacker.database.windows.net" }),
        ],
        /etl-ls-oltp \(azure-native:datafactory:LinkedService\) connects to the host sql-exfil-attacker\.database\.windows\.net, which is not one of the stack's services \(properties\.server\): point it at the stack's own, or list the host in allowedHosts with the reason\./,
      ));
    it("fails a host outside Azure in a connection string, passes it once listed with a reason", async () => {
      const sftp = linked("etl-ls-partner", { type: "Sftp", host: "sftp.partner.example.com", port: 22 });
      await expectFail(
        foreignDataHosts,
        [...SERVICES, sftp],
        /etl-ls-partner .*connects to the host sftp\.partner\.example\.com/,
      );
      await expectPass(foreignDataHosts, [...SERVICES, sftp], {
        allowedHosts: [
          { pattern: "*.partner.example.com", reason: "settlement files to the acquirer (contract 2026-14)" },
        ],
      });
      await expectFail(
        foreignDataHosts,
        [
          ...SERVICES,
          linked("etl-ls-odd", {
            type: "AzureSqlDatabase",
            connectionString: { type: "SecureString", value: "Server=tcp:db.example.org,1433;" },
          }),
        ],
        /connects to the host db\.example\.org, .*\(properties\.connectionString\)/,
      );
    });
    it("reads every string of a linked service: typeProperties, other host keys, parameter defaults (the review's H4b to H13)", async () => {
      const cases: readonly [Record<string, unknown>, RegExp][] = [
        [
          { type: "Web", typeProperties: { url: "https://exfil.example.com/in", authenticationType: "Anonymous" } },
          /exfil\.example\.com, .*\(properties\.typeProperties\.url\)/,
        ],
        [
          { type: "AmazonS3", serviceUrl: "https://s3.eu-west-1.amazonaws.com" },
          /s3\.eu-west-1\.amazonaws\.com, .*\(properties\.serviceUrl\)/,
        ],
        [
          { type: "AzureFunction", functionAppUrl: "https://func-evil.azurewebsites.net" },
          /func-evil\.azurewebsites\.net, .*\(properties\.functionAppUrl\)/,
        ],
        [
          { type: "AzureBlobStorage", containerUri: "https://stexfil.blob.core.windows.net/drop" },
          /stexfil\.blob\.core\.windows\.net, .*\(properties\.containerUri\)/,
        ],
        [
          {
            type: "AzureSqlDatabase",
            server: "fog-pay-prod-weu-10b5.database.windows.net",
            parameters: { srv: { type: "String", defaultValue: "sql-attacker.database.windows.net" } },
          },
          /sql-attacker\.database\.windows\.net, .*\(properties\.parameters\.srv\.defaultValue\)/,
        ],
        [
          { type: "AzureBlobStorage", connectionString: "DefaultEndpointsProtocol=https;AccountName=stexfil;" },
          /the host stexfil\.blob\.core\.windows\.net/,
        ],
      ];
      for (const [properties, pattern] of cases)
        await expectFail(foreignDataHosts, [...SERVICES, linked("etl-ls-x", properties)], pattern);
    });
    it("cannot check a host behind an expression or a Key Vault secret: reported, unless the linked service is exempt", async () => {
      const expression = linked("etl-ls-param", { type: "AzureSqlDatabase", server: "@{linkedService().srv}" });
      await expectFail(
        foreignDataHosts,
        [...SERVICES, expression],
        /etl-ls-param .* names its host through an expression or a Key Vault secret \(properties\.server\)/,
      );
      const secret = linked("etl-ls-kvcs", {
        type: "AzureSqlDatabase",
        connectionString: {
          type: "AzureKeyVaultSecret",
          store: { referenceName: "ls-kv", type: "LinkedServiceReference" },
          secretName: "sql-cs",
        },
      });
      await expectFail(foreignDataHosts, [...SERVICES, secret], /etl-ls-kvcs .* \(properties\.connectionString\)/);
      await expectPass(foreignDataHosts, [...SERVICES, secret], {
        exemptions: [{ pattern: "etl-ls-kvcs", reason: "the partner's server, reviewed in SEC-31" }],
      });
    });
    it("refuses, as config, an allowedHosts entry whose reason is shorter than 10 characters", () =>
      assert.rejects(
        evaluatePolicy(foreignDataHosts, [...SERVICES], {
          allowedHosts: [{ pattern: "*.partner.example.com", reason: "ok" }],
        }),
        /allowedHosts\[0\]\.reason must have at least 10 characters/,
      ));
    it("takes a failover group's read-only listener and an account's secondary endpoint as theirs", () =>
      expectPass(foreignDataHosts, [
        ...SERVICES,
        linked("etl-ls-ro", {
          type: "AzureSqlDatabase",
          server: "fog-pay-prod-weu-10b5.secondary.database.windows.net",
        }),
        linked("etl-ls-lake-ro", {
          type: "AzureBlobFS",
          url: "https://stpayprodweulake10b5-secondary.dfs.core.windows.net/",
        }),
      ]));
    it("names a deployed service by its name output (no path inputs once deployed)", async () => {
      const deployedLake = (() => {
        const lake = r("storage:StorageAccount", "olap-lake", { accountName: "stpayprodweulake10b5" });
        return {
          ...lake,
          outputs: {
            name: "stpayprodweulake10b5",
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stpayprodweulake10b5",
          },
        };
      })();
      const ls = linked("etl-ls-lake", {
        type: "AzureBlobFS",
        url: "https://stpayprodweulake10b5.dfs.core.windows.net/",
      });
      await expectPass(foreignDataHosts, [deployedLake, ls]);
      await expectFail(
        foreignDataHosts,
        [{ ...deployedLake, outputs: { ...deployedLake.outputs, name: "stother" } }, ls],
        /the host stpayprodweulake10b5\.dfs\.core\.windows\.net, which is not one of the stack's services/,
      );
    });
    it("resolves a storage connection string's account on its endpoint suffix, not the suffix itself (H3)", () =>
      expectPass(foreignDataHosts, [
        ...SERVICES,
        linked("etl-ls-lake-cs", {
          type: "AzureBlobStorage",
          connectionString:
            "DefaultEndpointsProtocol=https;AccountName=stpayprodweulake10b5;EndpointSuffix=core.windows.net",
        }),
      ]));
    it("reads Cosmos DB outputs as the 3.28 SDK types them, and an Azure ML function's endpoint (H10, H11)", async () => {
      await expectPass(foreignDataHosts, [
        ...SERVICES,
        job([
          output({ type: "Microsoft.Storage/DocumentDB", accountId: "cosmos-pay-prod-weu-10b5", database: "payments" }),
        ]),
      ]);
      const scoring = {
        name: "score",
        properties: {
          type: "Scalar",
          binding: { type: "Microsoft.MachineLearning/WebService", endpoint: "https://scoring.evil.example.com/score" },
        },
      };
      await expectFail(
        foreignDataHosts,
        [
          ...SERVICES,
          {
            ...job([EH_OUTPUT]),
            inputs: { ...job([EH_OUTPUT]).inputs, functions: [scoring] },
            outputs: { ...job([EH_OUTPUT]).outputs, functions: [scoring] },
          },
        ],
        /streaming-job .* writes to the host scoring\.evil\.example\.com, .*\(functions\[0\]\.properties\.binding\.endpoint\)/,
      );
    });
    it("fails a lake URL of a storage account that is not the stack's", () =>
      expectFail(
        foreignDataHosts,
        [
          ...SERVICES,
          linked("etl-ls-lake", { type: "AzureBlobFS", url: "https://stpartnerlake.dfs.core.windows.net/" }),
        ],
        /the host stpartnerlake\.dfs\.core\.windows\.net, which is not one of the stack's services/,
      ));
    it("fails a stream job output to another namespace, to Power BI, and job storage elsewhere", async () => {
      await expectFail(
        foreignDataHosts,
        [...SERVICES, job([output({ type: "Microsoft.EventHub/EventHub", serviceBusNamespace: "evhns-partner" })])],
        /streaming-job \(azure-native:streamanalytics:StreamingJob\) writes to 'evhns-partner', which is not one of the stack's Namespace names \(outputs\[0\]\.datasource\.serviceBusNamespace\)/,
      );
      await expectFail(
        foreignDataHosts,
        [...SERVICES, job([EH_OUTPUT, output({ type: "PowerBI", dataset: "payments" })])],
        /writes to a PowerBI output, outside the stack's services \(outputs\[1\]\.type\)/,
      );
      await expectPass(foreignDataHosts, [...SERVICES, job([output({ type: "PowerBI", dataset: "payments" })])], {
        allowedHosts: [{ pattern: "PowerBI", reason: "the finance team's dashboard, approved in DPIA-7" }],
      });
      await expectFail(
        foreignDataHosts,
        [...SERVICES, job([EH_OUTPUT], { accountName: "stother" })],
        /writes to 'stother', which is not one of the stack's StorageAccount names \(jobStorageAccount\.accountName\)/,
      );
    });
    it("checks a standalone Stream Analytics output and blob outputs' accounts", () =>
      expectFail(
        foreignDataHosts,
        [
          ...SERVICES,
          r("streamanalytics:Output", "streaming-archive", {
            jobName: "asa-pay-prod-weu",
            datasource: {
              type: "Microsoft.Storage/Blob",
              storageAccounts: [{ accountName: "stpayprodweulake10b5" }, { accountName: "stexfil" }],
            },
          }),
        ],
        /streaming-archive .*writes to 'stexfil', .*\(datasource\.storageAccounts\[1\]\.accountName\)/,
      ));
    it("passes a first preview: hosts built from names not known yet, recorded as the stack's outputs", () =>
      expectPass(foreignDataHosts, [
        r("storage:StorageAccount", "olap-lake", { accountName: UNKNOWN }),
        r("eventhub:Namespace", "streaming-ehns", { namespaceName: UNKNOWN }),
        linked(
          "etl-ls-lake",
          { type: "AzureBlobFS", url: UNKNOWN },
          {
            propertyDependencies: {
              properties: ["urn:pulumi:prod::payments-data-platform::azure-native:storage:StorageAccount::olap-lake"],
            },
          },
        ),
        job(
          [output({ type: "Microsoft.EventHub/EventHub", serviceBusNamespace: UNKNOWN })],
          { accountName: UNKNOWN },
          {
            propertyDependencies: {
              outputs: ["urn:pulumi:prod::payments-data-platform::azure-native:eventhub:Namespace::streaming-ehns"],
              jobStorageAccount: [
                "urn:pulumi:prod::payments-data-platform::azure-native:storage:StorageAccount::olap-lake",
              ],
            },
          },
        ),
      ]));
    it("cannot decide an unknown host with nothing recorded, or a known name while the stack's names are unknown", async () => {
      await expectUndecided(foreignDataHosts, [
        ...SERVICES,
        linked("etl-ls-lake", { type: "AzureBlobFS", url: UNKNOWN }),
      ]);
      await expectUndecided(foreignDataHosts, [
        r("storage:StorageAccount", "olap-lake", { accountName: UNKNOWN }),
        linked("etl-ls-lake", { type: "AzureBlobFS", url: "https://stpayprodweulake10b5.dfs.core.windows.net/" }),
      ]);
    });
    it("is not applicable without linked services or stream jobs", () =>
      expectNotApplicable(foreignDataHosts, [...SERVICES, otherResource()]));
  });
});
