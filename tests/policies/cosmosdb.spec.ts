import { strict as assert } from "node:assert";
import {
  cosmosCmk,
  cosmosCmkVaultReachable,
  cosmosContinuousBackup,
  cosmosdbPolicies,
  cosmosEuLocations,
  cosmosIpRules,
  cosmosItemExpiry,
  cosmosLocalAuth,
  cosmosMetadataWrites,
  cosmosMinimalTls,
  cosmosPublicNetwork,
  cosmosRoleExactActions,
  MAX_ITEM_TTL_SECONDS,
  COSMOS_DATA_CONTRIBUTOR,
  COSMOS_DATA_READER,
  cosmosWriteRoleScope,
} from "../../policies/rules/cosmosdb";
import { resourceRecord } from "../../tools/lib/policyRunner";
import { cosmosAccount, cosmosItemRole } from "./fixtures/cosmosdb";
import { vault } from "./fixtures/keyvault";
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

describe("policies/cosmosdb", () => {
  const dev = cosmosAccount("dev");
  const prod = cosmosAccount("prod");

  it("exports uniquely named policies", () => {
    const names = cosmosdbPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(
      names.every(
        (n) =>
          n.startsWith("azure-native-cosmosdb-databaseaccount-") ||
          n.startsWith("azure-native-cosmosdb-sqlroledefinition-") ||
          n.startsWith("azure-native-cosmosdb-sqlroleassignment-") ||
          n.startsWith("azure-native-cosmosdb-sqlresourcesqlcontainer-"),
      ),
    );
  });

  it("passes the dev and prod accounts under every resource rule", async () => {
    for (const policy of cosmosdbPolicies.filter(
      (p) => "validateResource" in p && p !== cosmosRoleExactActions && p !== cosmosItemExpiry,
    )) {
      await expectPass(policy, dev);
      await expectPass(policy, prod);
    }
  });

  it("no rule applies to other types", async () => {
    for (const policy of cosmosdbPolicies) await expectNotApplicable(policy, otherResource());
  });

  describe(cosmosPublicNetwork.name, () => {
    failCases(cosmosPublicNetwork, dev, [
      [
        "publicNetworkAccess is unset (defaults to Enabled)",
        "publicNetworkAccess",
        undefined,
        /cosmos-pay-dev-weu \(azure-native:cosmosdb:DatabaseAccount\) allows public network access .*set publicNetworkAccess to "Disabled"/,
      ],
      [
        "publicNetworkAccess is SecuredByPerimeter",
        "publicNetworkAccess",
        "SecuredByPerimeter",
        /cosmos-pay-dev-weu .*"SecuredByPerimeter"\): set publicNetworkAccess to "Disabled"/,
      ],
    ]);
  });

  describe(cosmosLocalAuth.name, () => {
    failCases(cosmosLocalAuth, dev, [
      [
        "disableLocalAuth is unset",
        "disableLocalAuth",
        undefined,
        /cosmos-pay-dev-weu .*accepts account keys \(disableLocalAuth unset\): set disableLocalAuth to true/,
      ],
      ["disableLocalAuth is false", "disableLocalAuth", false, /cosmos-pay-dev-weu .*set disableLocalAuth to true/],
    ]);
  });

  describe(cosmosMetadataWrites.name, () => {
    failCases(cosmosMetadataWrites, dev, [
      [
        "disableKeyBasedMetadataWriteAccess is unset",
        "disableKeyBasedMetadataWriteAccess",
        undefined,
        /cosmos-pay-dev-weu .*set disableKeyBasedMetadataWriteAccess to true/,
      ],
    ]);
  });

  describe(cosmosIpRules.name, () => {
    it("passes a single office address", () =>
      expectPass(cosmosIpRules, mutate(dev, "ipRules", [{ ipAddressOrRange: "203.0.113.7" }])));
    failCases(cosmosIpRules, dev, [
      [
        "0.0.0.0 admits all Azure datacenters",
        "ipRules",
        [{ ipAddressOrRange: "0.0.0.0" }],
        /cosmos-pay-dev-weu .*admits all Azure datacenters \(ipRules\[0\]\.ipAddressOrRange "0\.0\.0\.0"\): remove ipRules\[0\]/,
      ],
      [
        "a /8 range is allowed",
        "ipRules",
        [{ ipAddressOrRange: "23.0.0.0/8" }],
        /cosmos-pay-dev-weu .*broad range 23\.0\.0\.0\/8 .*narrow it to \/24/,
      ],
      [
        "an entry is malformed",
        "ipRules",
        [{ ipAddressOrRange: "23.0.0" }],
        /invalid ipRules\[0\]\.ipAddressOrRange "23\.0\.0"/,
      ],
      [
        "Azure services bypass the firewall",
        "networkAclBypass",
        "AzureServices",
        /cosmos-pay-dev-weu .*set networkAclBypass to "None"/,
      ],
      [
        "Azure services bypass the firewall, spelt in lower case (Azure enums ignore case)",
        "networkAclBypass",
        "azureServices",
        /cosmos-pay-dev-weu .*set networkAclBypass to "None"/,
      ],
    ]);
    it("honours minPrefixLength and allowAzureServicesBypass", async () => {
      await expectPass(cosmosIpRules, mutate(dev, "ipRules", [{ ipAddressOrRange: "23.0.0.0/16" }]), {
        minPrefixLength: 16,
      });
      await expectPass(cosmosIpRules, mutate(dev, "networkAclBypass", "AzureServices"), {
        allowAzureServicesBypass: true,
      });
    });
  });

  describe(cosmosCmk.name, () => {
    it("passes a key URI and identity that are unknown during preview", () =>
      expectPass(cosmosCmk, mutate(mutate(dev, "keyVaultKeyUri", UNKNOWN), "defaultIdentity", UNKNOWN)));
    failCases(cosmosCmk, dev, [
      [
        "keyVaultKeyUri is unset",
        "keyVaultKeyUri",
        undefined,
        /cosmos-pay-dev-weu .*service-managed keys: set keyVaultKeyUri/,
      ],
      [
        "defaultIdentity is unset",
        "defaultIdentity",
        undefined,
        /cosmos-pay-dev-weu .*defaultIdentity unset: set defaultIdentity to "UserAssignedIdentity=/,
      ],
      [
        "defaultIdentity is FirstPartyIdentity",
        "defaultIdentity",
        "FirstPartyIdentity",
        /defaultIdentity "FirstPartyIdentity"/,
      ],
    ]);
    it("is not applicable to out-of-scope accounts", () =>
      expectNotApplicable(
        cosmosCmk,
        mutate(mutate(dev, "keyVaultKeyUri", undefined), "tags.pci-scope", "out-of-scope"),
      ));
  });

  describe(cosmosMinimalTls.name, () => {
    failCases(cosmosMinimalTls, dev, [
      [
        "minimalTlsVersion is unset",
        "minimalTlsVersion",
        undefined,
        /cosmos-pay-dev-weu .*minimalTlsVersion unset: set minimalTlsVersion to "Tls12"/,
      ],
      [
        "minimalTlsVersion is Tls11",
        "minimalTlsVersion",
        "Tls11",
        /cosmos-pay-dev-weu .*"Tls11": set minimalTlsVersion to "Tls12"/,
      ],
    ]);
  });

  describe(cosmosEuLocations.name, () => {
    failCases(cosmosEuLocations, prod, [
      [
        "a replica is in the US",
        "locations.1.locationName",
        "East US",
        /cosmos-pay-prod-weu .*replicates to "East US" \(locations\[1\]\.locationName\).*set locations\[1\]\.locationName to an EU region/,
      ],
      [
        "a replica has no region",
        "locations.1.locationName",
        undefined,
        /replicates to unset \(locations\[1\]\.locationName\)/,
      ],
    ]);
    it("honours allowedLocations", () =>
      expectFail(cosmosEuLocations, prod, /"North Europe" \(locations\[1\]\.locationName\)/, {
        allowedLocations: ["westeurope"],
      }));
    it("passes an account replicating to EU regions only", () => expectPass(cosmosEuLocations, prod));
    it("is not applicable to an account that lists no locations (never passed on nothing)", () =>
      expectNotApplicable(cosmosEuLocations, mutate(prod, "locations", undefined)));
    it("cannot decide during a first preview while the locations, or every region in them, are unknown", () =>
      Promise.all([
        expectUndecided(cosmosEuLocations, mutate(prod, "locations", UNKNOWN)),
        expectUndecided(
          cosmosEuLocations,
          mutate(mutate(prod, "locations.0.locationName", UNKNOWN), "locations.1.locationName", UNKNOWN),
        ),
        // One region known and allowed, the other unknown: the unknown one is undecided, not passed.
        expectUndecided(cosmosEuLocations, mutate(prod, "locations.1.locationName", UNKNOWN)),
      ]));
    it("reports a known region outside the EU even while another is unknown", () =>
      expectFail(
        cosmosEuLocations,
        mutate(mutate(prod, "locations.0.locationName", UNKNOWN), "locations.1.locationName", "East US"),
        /replicates to "East US"/,
      ));
  });

  describe(cosmosContinuousBackup.name, () => {
    it("cannot decide during a first preview when backupPolicy is unknown (advisory, not a pass)", () =>
      expectUndecided(cosmosContinuousBackup, mutate(dev, "backupPolicy", UNKNOWN)));
    failCases(cosmosContinuousBackup, dev, [
      [
        "backupPolicy is unset (periodic)",
        "backupPolicy",
        undefined,
        /cosmos-pay-dev-weu .*uses the default periodic backup: set backupPolicy\.type to "Continuous"/,
      ],
      ["backupPolicy is Periodic", "backupPolicy", { type: "Periodic" }, /cosmos-pay-dev-weu .*uses "Periodic" backup/],
    ]);
    failCases(cosmosContinuousBackup, prod, [
      [
        "prod uses the 7-day tier",
        "backupPolicy.continuousModeProperties.tier",
        "Continuous7Days",
        /cosmos-pay-prod-weu .*"Continuous7Days" in a production stack: set backupPolicy\.continuousModeProperties\.tier to "Continuous30Days"/,
      ],
    ]);
    it("treats an unset tier as the 30-day default", () =>
      expectPass(cosmosContinuousBackup, mutate(prod, "backupPolicy.continuousModeProperties", undefined)));
    it("honours prodTiers and prodStacks", async () => {
      await expectPass(
        cosmosContinuousBackup,
        mutate(prod, "backupPolicy.continuousModeProperties.tier", "Continuous7Days"),
        {
          prodTiers: ["Continuous7Days", "Continuous30Days"],
        },
      );
      await expectFail(cosmosContinuousBackup, dev, /Continuous7Days" in a production stack/, { prodStacks: ["dev"] });
    });
    it("is not applicable to out-of-scope accounts", () =>
      expectNotApplicable(
        cosmosContinuousBackup,
        mutate(mutate(dev, "backupPolicy", undefined), "tags.pci-scope", "out-of-scope"),
      ));
  });

  describe(cosmosCmkVaultReachable.name, () => {
    // The key vault Cosmos DB can reach (components/platform/keyVaults.ts, `trustedServices`), and the key in it.
    const reachable = mutate(
      mutate(vault(), "properties.publicNetworkAccess", "Enabled"),
      "vaultName",
      "kv-pay-dev-weu",
    );
    const cosmosKey = (vaultRecord = reachable) =>
      resourceRecord(
        "azure-native:keyvault:Key",
        "platform-cmk-cosmos-key",
        { vaultName: "kv-pay-dev-weu", keyName: "cmk-cosmos" },
        { propertyDependencies: { vaultName: [vaultRecord.urn] } },
      );
    const account = (keyRecord = cosmosKey()) => ({
      ...dev,
      propertyDependencies: { keyVaultKeyUri: [keyRecord.urn] },
    });

    it("passes a key in a vault with public access on, a deny-by-default firewall and the trusted-services bypass", () =>
      expectPass(cosmosCmkVaultReachable, [account(), cosmosKey(), reachable]));
    it("passes a vault without firewall rules (public access on)", () =>
      expectPass(cosmosCmkVaultReachable, [
        account(),
        cosmosKey(),
        mutate(reachable, "properties.networkAcls", undefined),
      ]));
    it("fails a key in a vault only private endpoints reach (public network access Disabled)", () =>
      expectFail(
        cosmosCmkVaultReachable,
        [account(), cosmosKey(), mutate(reachable, "properties.publicNetworkAccess", "Disabled")],
        /cosmos-pay-dev-weu .*kv-pay-dev-weu.*only private endpoints reach .*Cosmos DB cannot use such a vault/,
      ));
    it("fails a deny-by-default firewall without the trusted-services bypass", async () => {
      const r = await expectFail(
        cosmosCmkVaultReachable,
        [account(), cosmosKey(), mutate(reachable, "properties.networkAcls.bypass", "None")],
        /without the trusted-services bypass \(networkAcls\.bypass "None"\): set properties\.networkAcls\.bypass to "AzureServices"/,
      );
      assert.equal(r.urn, dev.urn, "reported on the account");
    });
    it("finds the vault by the name in the key URI when the key is not in the stack", () =>
      expectFail(
        cosmosCmkVaultReachable,
        [dev, mutate(reachable, "properties.publicNetworkAccess", "Disabled")],
        /only private endpoints reach/,
      ));
    it("finds it by the vault's name output once deployed (vaultName is part of its path, not an output)", () => {
      const { vaultName: _path, ...outputs } = mutate(reachable, "properties.publicNetworkAccess", "Disabled").outputs;
      return expectFail(
        cosmosCmkVaultReachable,
        [dev, { ...reachable, name: "platform-kv-cosmos", outputs: { ...outputs, name: "kv-pay-dev-weu" } }],
        /only private endpoints reach/,
      );
    });
    it("is not applicable without a Cosmos DB account with a customer-managed key", () =>
      expectNotApplicable(cosmosCmkVaultReachable, [mutate(dev, "keyVaultKeyUri", undefined), reachable]));
    it("is not applicable when the key's vault is not in the stack", () =>
      expectNotApplicable(cosmosCmkVaultReachable, [dev]));
  });
  describe(cosmosItemExpiry.name, () => {
    /** The program's sessions container (components/nosql/settings.ts): 30 minutes. */
    const container = (id: string, defaultTtl?: unknown) =>
      resourceRecord("azure-native:cosmosdb:SqlResourceSqlContainer", `nosql-${id}`, {
        accountName: "cosmos-pay-dev-weu",
        databaseName: "payments",
        resourceGroupName: "rg-pay-dev-weu-data",
        resource: {
          id,
          partitionKey: { paths: ["/sessionId"], kind: "Hash" },
          ...(defaultTtl === undefined ? {} : { defaultTtl }),
        },
      });
    it("passes containers that expire their items, up to the maximum", async () => {
      await expectPass(cosmosItemExpiry, container("sessions", 1800));
      await expectPass(cosmosItemExpiry, container("fraud_features", MAX_ITEM_TTL_SECONDS));
    });
    it("fails a container whose items never expire (time to live off, or -1)", async () => {
      await expectFail(
        cosmosItemExpiry,
        container("api_logs"),
        /nosql-api_logs .*container 'api_logs' keeps items without expiry \(resource\.defaultTtl unset\): set it to the retention in seconds, at most 34560000/,
      );
      await expectFail(cosmosItemExpiry, container("api_logs", -1), /defaultTtl -1\)/);
    });
    it("fails an analytical store kept for ever (-1) or longer than the maximum; passes one turned off (0)", async () => {
      await expectFail(
        cosmosItemExpiry,
        mutate(container("api_logs", 2_592_000), "resource.analyticalStorageTtl", -1),
        /container 'api_logs' keeps its analytical store for ever \(resource\.analyticalStorageTtl -1\): set it to at most 34560000, or 0 to turn it off/,
      );
      await expectFail(
        cosmosItemExpiry,
        mutate(container("api_logs", 2_592_000), "resource.analyticalStorageTtl", MAX_ITEM_TTL_SECONDS + 1),
        /keeps its analytical store 34560001 seconds/,
      );
      await expectPass(cosmosItemExpiry, mutate(container("api_logs", 2_592_000), "resource.analyticalStorageTtl", 0));
    });
    it("fails a time to live over maxTtlSeconds", async () => {
      await expectFail(
        cosmosItemExpiry,
        container("webhook_events", MAX_ITEM_TTL_SECONDS + 1),
        /container 'webhook_events' keeps items 34560001 seconds \(resource\.defaultTtl\), more than the 34560000 allowed/,
      );
      await expectFail(cosmosItemExpiry, container("sessions", 1800), /more than the 600 allowed/, {
        maxTtlSeconds: 600,
      });
    });
    it("cannot decide while the time to live is unknown", () =>
      expectUndecided(cosmosItemExpiry, container("sessions", UNKNOWN)));
    it("is not applicable to the lease container (containersWithoutExpiry) or to other types", async () => {
      await expectNotApplicable(cosmosItemExpiry, container("leases"));
      await expectNotApplicable(cosmosItemExpiry, container("Ledger"), { containersWithoutExpiry: ["ledger"] });
      await expectNotApplicable(cosmosItemExpiry, otherResource());
    });
  });

  describe(cosmosRoleExactActions.name, () => {
    it("passes a custom role that names its data actions", () => expectPass(cosmosRoleExactActions, cosmosItemRole()));
    it("fails a role that grants every item operation through a wildcard", () =>
      expectFail(
        cosmosRoleExactActions,
        mutate(
          cosmosItemRole(),
          "permissions.0.dataActions.2",
          "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/*",
        ),
        /grants '.*containers\/items\/\*': name the data actions/,
      ));
    it("fails a role that grants everything", () =>
      expectFail(cosmosRoleExactActions, mutate(cosmosItemRole(), "permissions.0.dataActions", ["*"]), /grants '\*'/));
    it("is not applicable to other resources, nor to a role that grants nothing", async () => {
      await expectNotApplicable(cosmosRoleExactActions, dev);
      await expectNotApplicable(cosmosRoleExactActions, mutate(cosmosItemRole(), "permissions", []));
    });
    it("cannot decide during preview when the actions are another resource's output", () =>
      expectUndecided(cosmosRoleExactActions, mutate(cosmosItemRole(), "permissions.0.dataActions", UNKNOWN)));
  });

  describe(cosmosWriteRoleScope.name, () => {
    const ACCOUNT_ID =
      "/subscriptions/0000/resourceGroups/rg-pay-dev-weu-data/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-pay-dev-weu";
    const assignment = (name: string, role: string, scope: string, extra = {}) =>
      resourceRecord(
        "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
        name,
        { roleDefinitionId: role, scope, principalId: "00000000-0000-4000-8000-00000000000a" },
        extra,
      );
    const builtIn = (guid: string) => `${ACCOUNT_ID}/sqlRoleDefinitions/${guid}`;
    const container = `${ACCOUNT_ID}/dbs/payments/colls/sessions`;
    // A custom role that writes items, and one that only reads metadata, with their ids known (deployed).
    const writer = { ...cosmosItemRole(), outputs: { ...cosmosItemRole().outputs, id: builtIn("custom-writer") } };
    const readsMetadata = mutate(cosmosItemRole(), "permissions.0.dataActions", [
      "Microsoft.DocumentDB/databaseAccounts/readMetadata",
    ]);
    const metadata = {
      ...readsMetadata,
      name: "nosql-role-metadata",
      urn: "urn:pulumi:dev::payments-data-platform::azure-native:cosmosdb:SqlResourceSqlRoleDefinition::nosql-role-metadata",
      outputs: { ...readsMetadata.inputs, id: builtIn("custom-metadata") },
    };

    it("passes writing roles on single containers and reading roles anywhere (the program's grants)", () =>
      expectPass(cosmosWriteRoleScope, [
        writer,
        metadata,
        assignment("contributor-etl-sessions", builtIn(COSMOS_DATA_CONTRIBUTOR), container),
        assignment("writer-api-logs", builtIn("custom-writer"), `${ACCOUNT_ID}/dbs/payments/colls/api_logs`),
        assignment("reader-engineers", builtIn(COSMOS_DATA_READER), ACCOUNT_ID),
        assignment("metadata-api", builtIn("custom-metadata"), ACCOUNT_ID),
      ]));
    it("fails the built-in Data Contributor or a writing custom role on the whole account or a database", async () => {
      await expectFail(
        cosmosWriteRoleScope,
        [assignment("contributor-etl", builtIn(COSMOS_DATA_CONTRIBUTOR), ACCOUNT_ID)],
        /contributor-etl .*assigns a role that writes \(the built-in Data Contributor\) on the whole account \(.*cosmos-pay-dev-weu\): assign it on each container/,
      );
      await expectFail(
        cosmosWriteRoleScope,
        [writer, assignment("writer-db", builtIn("custom-writer"), `${ACCOUNT_ID}/dbs/payments`)],
        /writer-db .*\(custom role custom-writer\) on a whole database/,
      );
      // A custom role the stack does not declare counts as writing (its actions are unknown).
      await expectFail(
        cosmosWriteRoleScope,
        [assignment("elsewhere", builtIn("not-in-stack"), ACCOUNT_ID)],
        /elsewhere .*custom role not-in-stack/,
      );
    });
    it("cannot decide while the role, its actions or the scope is unknown (a first preview)", async () => {
      await expectUndecided(cosmosWriteRoleScope, [assignment("a", UNKNOWN, container)]);
      await expectUndecided(cosmosWriteRoleScope, [assignment("a", builtIn(COSMOS_DATA_CONTRIBUTOR), UNKNOWN)]);
      const unknownActions = { ...writer, outputs: { ...writer.outputs, permissions: UNKNOWN } };
      await expectUndecided(cosmosWriteRoleScope, [
        unknownActions,
        assignment("writer-api-logs", builtIn("custom-writer"), ACCOUNT_ID),
      ]);
    });
    it("reports a known violation whatever comes before it unknown", () =>
      expectFail(
        cosmosWriteRoleScope,
        [
          assignment("unknown-first", UNKNOWN, container),
          assignment("contributor-etl", builtIn(COSMOS_DATA_CONTRIBUTOR), ACCOUNT_ID),
        ],
        /contributor-etl .*on the whole account/,
      ));
    it("is not applicable without assignments, or when every assigned role only reads", async () => {
      await expectNotApplicable(cosmosWriteRoleScope, [dev]);
      await expectNotApplicable(cosmosWriteRoleScope, [assignment("r", builtIn(COSMOS_DATA_READER), ACCOUNT_ID)]);
    });
  });
});
