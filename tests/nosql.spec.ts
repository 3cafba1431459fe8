import { strict as assert } from "node:assert";
import * as path from "node:path";
import {
  accountLocations,
  consistencyPolicy,
  CONTAINERS,
  CosmosItemRoles,
  dataPlaneScope,
  containerResource,
  itemRoleDataActions,
  throughputOptions,
  validateNoSqlArgs,
  type NoSqlArgs,
} from "../components/nosql";
import type { CosmosConfig } from "../lib/config";
import { roleAssignmentName } from "../lib/uuid";
import { evaluatePolicy, isUndecided, type ResourceRecord, type Violation } from "../tools/lib/policyRunner";
import { cosmosWriteRoleScope } from "../policies/rules/cosmosdb";
import { previewStack, type PreviewResult } from "../tools/lib/preview";
import { assertChainedPairwise, byName, input, ofType, previewOf, waitsFor } from "./helpers/stacks";

const ACCOUNT = "azure-native:cosmosdb:DatabaseAccount";
const CONTAINER = "azure-native:cosmosdb:SqlResourceSqlContainer";
const SQL_ROLE_ASSIGNMENT = "azure-native:cosmosdb:SqlResourceSqlRoleAssignment";
const LOCK = "azure-native:authorization:ManagementLockByScope";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Expected per-container facts (concrete values, so a wrong key, TTL or throughput fails). */
const EXPECTED = {
  api_logs: {
    name: "nosql-api-logs",
    kind: "MultiHash",
    paths: ["/merchantId", "/id"],
    ttl: { dev: 604800, prod: 2592000 },
    max: 90000,
  },
  sessions: { name: "nosql-sessions", kind: "Hash", paths: ["/id"], ttl: { dev: 1800, prod: 1800 }, max: 15000 },
  fraud_features: {
    name: "nosql-fraud-features",
    kind: "Hash",
    paths: ["/entityKey"],
    ttl: { dev: 34560000, prod: 34560000 },
    max: 150000,
  },
  webhook_events: {
    name: "nosql-webhook-events",
    kind: "MultiHash",
    paths: ["/merchantId", "/id"],
    ttl: { dev: 2592000, prod: 7776000 },
    max: 90000,
  },
  // The streaming relay's change feed leases: partitioned by /id (the Functions trigger requires it), no TTL.
  leases: { name: "nosql-leases", kind: "Hash", paths: ["/id"], ttl: { dev: undefined, prod: undefined }, max: 1000 },
} as const;

const paths = (list: unknown) => (list as { path: string }[]).map((p) => p.path);

const baseCosmos: CosmosConfig = {
  serverless: false,
  multiRegion: true,
  zoneRedundant: true,
  backupTier: "Continuous30Days",
  consistency: "Session",
  containers: {
    apiLogs: { maxThroughput: 40000 },
    sessions: { maxThroughput: 30000 },
    fraudFeatures: { maxThroughput: 25000 },
    webhookEvents: { maxThroughput: 15000 },
    leases: { maxThroughput: 1000 },
  },
};

describe("nosql: pure helpers", () => {
  it("validates principals before registering anything, naming the argument", () => {
    const args = (extra: Partial<NoSqlArgs>) => ({ cosmos: baseCosmos, ...extra }) as NoSqlArgs;
    assert.doesNotThrow(() => validateNoSqlArgs(args({ dataReaders: [{ key: "data-engineers", principalId: "p" }] })));
    assert.throws(
      () =>
        validateNoSqlArgs(
          args({
            dataReaders: [
              { key: "a", principalId: "p" },
              { key: "a", principalId: "q" },
            ],
          }),
        ),
      /dataReaders: key 'a' is used twice/,
    );
    assert.throws(
      () => validateNoSqlArgs(args({ dataContributors: [{ key: "Bad_Key", principalId: "p" }] })),
      /dataContributors: key 'Bad_Key' must be kebab-case/,
    );
    assert.throws(
      () => validateNoSqlArgs(args({ dataReaders: [{ key: "x", principalId: "p", containers: [] }] })),
      /lists no containers/,
    );
    // A serverless account is single-region: asked for both, refused; each on its own, accepted.
    assert.throws(
      () => validateNoSqlArgs(args({ cosmos: { ...baseCosmos, serverless: true, multiRegion: true } })),
      /NoSql: .*cosmos: a serverless account is single-region/,
    );
    assert.doesNotThrow(() =>
      validateNoSqlArgs(args({ cosmos: { ...baseCosmos, serverless: true, multiRegion: false } })),
    );
    const noMax = { ...baseCosmos, containers: { ...baseCosmos.containers, sessions: {} } };
    assert.throws(
      () => validateNoSqlArgs(args({ cosmos: noMax })),
      /cosmos.containers.sessions.maxThroughput is required/,
    );
  });

  it("throughput: autoscale per container when provisioned, nothing when serverless", () => {
    assert.deepEqual(throughputOptions(baseCosmos, "apiLogs"), { autoscaleSettings: { maxThroughput: 40000 } });
    assert.equal(throughputOptions({ ...baseCosmos, serverless: true }, "apiLogs"), undefined);
  });

  it("locations: primary write region first, secondary only when multi-region", () => {
    assert.deepEqual(accountLocations(baseCosmos, "westeurope", "northeurope"), [
      { locationName: "westeurope", failoverPriority: 0, isZoneRedundant: true },
      { locationName: "northeurope", failoverPriority: 1, isZoneRedundant: true },
    ]);
    assert.deepEqual(
      accountLocations({ ...baseCosmos, multiRegion: false, zoneRedundant: false }, "westeurope", "northeurope"),
      [{ locationName: "westeurope", failoverPriority: 0, isZoneRedundant: false }],
    );
  });

  it("consistency: bounded staleness gets the multi-region minimums", () => {
    assert.deepEqual(consistencyPolicy("Session"), { defaultConsistencyLevel: "Session" });
    assert.deepEqual(consistencyPolicy("BoundedStaleness"), {
      defaultConsistencyLevel: "BoundedStaleness",
      maxStalenessPrefix: 100000,
      maxIntervalInSeconds: 300,
    });
  });

  it("data-plane scopes: the account, or one container of the payments database", () => {
    const id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/acc";
    assert.equal(dataPlaneScope(id), id);
    assert.equal(dataPlaneScope(id, "fraudFeatures"), `${id}/dbs/payments/colls/fraud_features`);
  });

  it("TTL: absent in config means TTL off (no defaultTtl)", () => {
    assert.equal("defaultTtl" in containerResource(CONTAINERS.sessions, undefined), false);
    assert.equal(containerResource(CONTAINERS.sessions, 1800).defaultTtl, 1800);
  });
});

for (const stack of ["dev", "prod"] as const) {
  describe(`nosql (${stack})`, () => {
    const prod = stack === "prod";
    let preview: PreviewResult;
    let resources: ResourceRecord[];
    let account: ResourceRecord;
    let outputs: Record<string, unknown>;
    before(async () => {
      preview = await previewOf(stack);
      resources = preview.run.resources;
      outputs = preview.run.stackOutputs;
      const accounts = ofType(resources, ACCOUNT);
      assert.equal(accounts.length, 1, "one Cosmos DB account");
      account = accounts[0];
    });
    const accountId = () => String(account.id);
    const containerOf = (id: keyof typeof EXPECTED) => byName(resources, EXPECTED[id].name);

    it("names the account with the stack's suffix, in the data resource group, as a NoSQL account", () => {
      assert.equal(account.name, "nosql-account");
      assert.match(String(account.inputs.accountName), new RegExp(`^cosmos-pay-${stack}-weu-[a-z0-9]{4}$`));
      assert.equal(account.inputs.resourceGroupName, `rg-pay-${stack}-weu-data`);
      assert.equal(account.inputs.kind, "GlobalDocumentDB");
      assert.equal(account.inputs.databaseAccountOfferType, "Standard");
      assert.equal(account.inputs.location, "westeurope");
    });

    it("leaves the key status Azure writes out of its diff (a key incident must not block the repairing update)", () => {
      assert.deepEqual(account.ignoreChanges, ["customerManagedKeyStatus"]);
      assert.equal(account.inputs.customerManagedKeyStatus, undefined, "never sent by the program");
    });

    it("is reachable only privately, with Entra auth only, TLS 1.2 and no key-based metadata writes", () => {
      const i = account.inputs;
      assert.equal(i.disableLocalAuth, true);
      assert.equal(i.disableKeyBasedMetadataWriteAccess, true);
      assert.equal(i.publicNetworkAccess, "Disabled");
      assert.equal(i.minimalTlsVersion, "Tls12");
      assert.equal(i.networkAclBypass, "None");
      assert.deepEqual(i.networkAclBypassResourceIds, []);
      assert.deepEqual(i.ipRules, []);
      assert.deepEqual(i.virtualNetworkRules, []);
      assert.equal(i.isVirtualNetworkFilterEnabled, true);
      assert.equal(i.enableAnalyticalStorage, false, "no Synapse Link");
      assert.equal(i.enableMultipleWriteLocations, false, "single write region");
    });

    it("encrypts with the platform's versionless cosmos key through the platform's cosmos CMK identity", () => {
      const identity = byName(resources, "platform-cmk-cosmos-id");
      const key = byName(resources, "platform-cmk-cosmos-key");
      const keyUri = String(key.outputs.keyUri);
      assert.equal(account.inputs.keyVaultKeyUri, keyUri);
      assert.equal(keyUri, (outputs.customerManagedKeyUris as Record<string, string>).cosmos);
      assert.match(
        keyUri,
        /^https:\/\/kvc-pay-[a-z]+-weu-[a-z0-9]{4}\.vault\.azure\.net\/keys\/cmk-cosmos$/,
        "versionless URI",
      );
      assert.deepEqual(account.inputs.identity, { type: "UserAssigned", userAssignedIdentities: [identity.id] });
      assert.equal(account.inputs.defaultIdentity, `UserAssignedIdentity=${identity.id}`);
      assert.match(String(identity.id), /\/userAssignedIdentities\/id-pay-[a-z]+-weu-cmk-cosmos$/);
      // Cosmos DB checks key access at creation: the account waits until the identity's grant has propagated.
      const propagated = byName(resources, "platform-cmk-cosmos-grant-propagation");
      assert.ok(account.dependencies.includes(propagated.urn), "account waits for the CMK grant to propagate");
    });

    it("uses continuous backup with the stack's tier and Session consistency", () => {
      assert.deepEqual(account.inputs.backupPolicy, {
        type: "Continuous",
        continuousModeProperties: { tier: prod ? "Continuous30Days" : "Continuous7Days" },
      });
      assert.deepEqual(account.inputs.consistencyPolicy, { defaultConsistencyLevel: "Session" });
    });

    if (prod) {
      it("prod: one zone-redundant region (docs/cost.md: the Cosmos DB decision), provisioned", () => {
        assert.deepEqual(account.inputs.locations, [
          { locationName: "westeurope", failoverPriority: 0, isZoneRedundant: true },
        ]);
        // Service-managed failover on already, so adding a region later is a change of `locations` alone.
        assert.equal(account.inputs.enableAutomaticFailover, true);
        assert.deepEqual(account.inputs.capabilities, []);
        assert.equal(account.inputs.enablePerRegionPerPartitionAutoscale, true, "dynamic autoscale");
      });

      it("prod: five autoscale containers whose maxima sum to 346,000 RU/s (sized for the seed's load, docs/capacity.md; leases at the 1,000 minimum)", () => {
        const containers = ofType(resources, CONTAINER);
        assert.equal(containers.length, 5);
        let sum = 0;
        for (const id of Object.keys(EXPECTED) as (keyof typeof EXPECTED)[]) {
          const max = input(containerOf(id), "options.autoscaleSettings.maxThroughput");
          assert.equal(max, EXPECTED[id].max, id);
          assert.equal(input(containerOf(id), "options.throughput"), undefined, `${id}: autoscale, not manual`);
          sum += Number(max);
        }
        assert.equal(sum, 346000);
      });
    } else {
      it("dev: serverless, one region, no zone redundancy, no throughput options", () => {
        assert.deepEqual(account.inputs.capabilities, [{ name: "EnableServerless" }]);
        assert.equal(account.inputs.enablePerRegionPerPartitionAutoscale, undefined, "no autoscale on serverless");
        assert.deepEqual(account.inputs.locations, [
          { locationName: "westeurope", failoverPriority: 0, isZoneRedundant: false },
        ]);
        assert.equal(account.inputs.enableAutomaticFailover, true);
        const containers = ofType(resources, CONTAINER);
        assert.equal(containers.length, 5);
        for (const c of containers) assert.equal(c.inputs.options, undefined, `${c.name} has no throughput options`);
      });
    }

    it("creates the payments database and the five containers in it", () => {
      const db = byName(resources, "nosql-db");
      assert.equal(db.inputs.databaseName, "payments");
      assert.deepEqual(db.inputs.resource, { id: "payments" });
      assert.equal(db.inputs.options, undefined, "no shared database throughput");
      assert.equal(db.inputs.accountName, account.inputs.accountName);
      for (const id of Object.keys(EXPECTED) as (keyof typeof EXPECTED)[]) {
        const c = containerOf(id);
        assert.equal(c.inputs.containerName, id);
        assert.equal(input(c, "resource.id"), id);
        assert.equal(c.inputs.databaseName, "payments");
        assert.equal(c.inputs.accountName, account.inputs.accountName);
        assert.match(
          String(c.id),
          new RegExp(`/databaseAccounts/${String(account.inputs.accountName)}/sqlDatabases/payments/containers/${id}$`),
        );
      }
      assert.deepEqual(outputs.cosmosContainerNames, {
        apiLogs: "api_logs",
        sessions: "sessions",
        fraudFeatures: "fraud_features",
        webhookEvents: "webhook_events",
        leases: "leases",
      });
    });

    it("partitions each container by its access pattern and replaces (never updates) on a partition key change", () => {
      for (const id of Object.keys(EXPECTED) as (keyof typeof EXPECTED)[]) {
        const c = containerOf(id);
        assert.deepEqual(
          input(c, "resource.partitionKey"),
          { kind: EXPECTED[id].kind, paths: [...EXPECTED[id].paths], version: 2 },
          id,
        );
        assert.ok(
          c.replaceOnChanges?.includes("resource.partitionKey"),
          `${id}: replaceOnChanges has resource.partitionKey`,
        );
      }
    });

    it("expires items per the stack's TTLs (sessions 30 min, fraud features per item)", () => {
      for (const id of Object.keys(EXPECTED) as (keyof typeof EXPECTED)[]) {
        assert.equal(input(containerOf(id), "resource.defaultTtl"), EXPECTED[id].ttl[stack], id);
      }
    });

    it("indexes only what is queried: api_logs/sessions/fraud_features exclude /*, webhook_events excludes payloads", () => {
      for (const id of ["api_logs", "sessions", "fraud_features"] as const) {
        const policy = input(containerOf(id), "resource.indexingPolicy") as Record<string, unknown>;
        assert.equal(policy.indexingMode, "consistent", id);
        assert.ok(paths(policy.excludedPaths).includes("/*"), `${id} excludes /*`);
        assert.ok(!paths(policy.includedPaths).includes("/*"), `${id} does not include /*`);
      }
      assert.deepEqual(paths(input(containerOf("api_logs"), "resource.indexingPolicy.includedPaths")), [
        "/merchantId/?",
        "/timestamp/?",
        "/statusCode/?",
        "/endpoint/?",
        "/correlationId/?",
      ]);
      const webhooks = input(containerOf("webhook_events"), "resource.indexingPolicy") as Record<string, unknown>;
      assert.deepEqual(paths(webhooks.includedPaths), ["/*"]);
      assert.ok(paths(webhooks.excludedPaths).includes("/payload/*"));
      assert.ok(paths(webhooks.excludedPaths).includes("/attempts/*"));
    });

    it("sets no analytical store TTL on any container (no Synapse Link)", () => {
      for (const c of ofType(resources, CONTAINER))
        assert.equal(input(c, "resource.analyticalStorageTtl"), undefined, c.name);
    });

    it("grants data engineers the built-in Data Reader role on the account, with a deterministic GUID name", () => {
      const assignments = ofType(resources, SQL_ROLE_ASSIGNMENT);
      assert.deepEqual(
        assignments.map((a) => a.name),
        [
          "nosql-reader-data-engineers",
          "nosql-reader-fraud-ml-fraud-features",
          "nosql-metadata-fraud-ml",
          // The ingestion functions, through grantDataAccess: exactly the containers each app writes, each with a
          // custom item-level role (what its code does there), and readMetadata on the account (custom role), the
          // only account-wide right each gets.
          "nosql-item-upserter-payment-api-api-logs",
          "nosql-metadata-payment-api",
          "nosql-item-writer-fraud-scoring-fraud-features",
          "nosql-item-creator-fraud-scoring-webhook-events",
          "nosql-metadata-fraud-scoring",
          // The streaming relay: reads the api_logs change feed, writes its leases.
          "nosql-reader-streaming-relay-api-logs",
          "nosql-contributor-streaming-relay-leases",
          "nosql-metadata-streaming-relay",
          // The ETL identity: the containers the GDPR erasure pipeline touches (components/etl).
          "nosql-contributor-adf-etl-sessions",
          "nosql-contributor-adf-etl-fraud-features",
          "nosql-metadata-adf-etl",
        ],
      );
      const ra = assignments[0];
      const engineers = (outputs.entraGroupObjectIds as Record<string, string>).dataEngineers;
      const roleDefinitionId = `${accountId()}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000001`;
      assert.equal(ra.inputs.principalId, engineers);
      assert.equal(ra.inputs.scope, accountId());
      assert.equal(ra.inputs.roleDefinitionId, roleDefinitionId);
      assert.equal(ra.inputs.accountName, account.inputs.accountName);
      assert.match(String(ra.inputs.roleAssignmentId), GUID);
      assert.equal(ra.inputs.roleAssignmentId, roleAssignmentName(accountId(), engineers, roleDefinitionId));
      // The fraud/ML team reads fraud_features only (training jobs run with the submitting user's identity).
      const fraudMl = assignments[1];
      assert.equal(fraudMl.inputs.principalId, (outputs.entraGroupObjectIds as Record<string, string>).fraudMl);
      assert.equal(fraudMl.inputs.scope, `${accountId()}/dbs/payments/colls/fraud_features`);
      assert.equal(fraudMl.inputs.roleDefinitionId, roleDefinitionId);
    });

    it("grants the fraud/ML team Data Reader on the fraud_features container only", () => {
      const ra = byName(resources, "nosql-reader-fraud-ml-fraud-features");
      const fraudMl = (outputs.entraGroupObjectIds as Record<string, string>).fraudMl;
      assert.equal(ra.inputs.principalId, fraudMl);
      assert.equal(ra.inputs.scope, `${accountId()}/dbs/payments/colls/fraud_features`);
    });

    it("the account's private endpoint waits for the database and every container (one exclusive operation per account)", () => {
      const pep = byName(resources, "nosql-account-pep");
      for (const r of [byName(resources, "nosql-db"), ...ofType(resources, CONTAINER)])
        assert.ok(waitsFor(resources, pep, r), `the private endpoint waits for ${r.name}`);
    });

    it("serialises every data-plane grant: after the containers and the private endpoint, then one after another", () => {
      const grants = ofType(resources, SQL_ROLE_ASSIGNMENT);
      assert.ok(grants.length >= 2, "at least two grants to chain");
      const first = grants[0];
      for (const r of [
        ...ofType(resources, CONTAINER),
        byName(resources, "nosql-account-pep"),
        byName(resources, "nosql-account-pep-dns"),
      ]) {
        assert.ok(first.dependencies.includes(r.urn), `the first grant waits for ${r.name}`);
      }
      // Every operation on the account (grants and the custom role definitions, in the chain in registration order)
      // depends directly on every earlier one: Pulumi orders deletes on direct dependencies only, so removing two
      // grants that are not neighbours must still delete them one after the other (Azure locks the account).
      const chain = resources.filter(
        (r) => r.type === SQL_ROLE_ASSIGNMENT || r.type === "azure-native:cosmosdb:SqlResourceSqlRoleDefinition",
      );
      assert.ok(chain.length > grants.length, "role definitions in the chain too");
      assertChainedPairwise(chain);
    });

    it("every data-plane grant waits 10 minutes after its principal appears (Cosmos DB looks it up in Entra ID, pulumi-azure-native#2816)", () => {
      const grants = ofType(resources, SQL_ROLE_ASSIGNMENT);
      const waits = ofType(resources, "time:index/sleep:Sleep").filter((w) => w.name.startsWith("nosql-principal-"));
      // Data engineers, fraud/ML, the two ingestion apps, the streaming relay, the ETL identity.
      assert.deepEqual(
        waits.map((w) => w.name).sort(),
        ["adf-etl", "data-engineers", "fraud-ml", "fraud-scoring", "payment-api", "streaming-relay"].map(
          (k) => `nosql-principal-${k}`,
        ),
      );
      for (const grant of grants) {
        const wait = waits.find((w) => grant.dependencies.includes(w.urn));
        assert.ok(wait, `${grant.name} waits for its principal`);
        assert.equal(input(wait, "triggers.principalId"), grant.inputs.principalId, `${grant.name}: its own principal`);
        assert.equal(wait.inputs.createDuration, "10m", wait.name);
      }
      // One wait per principal: the ETL identity's account grant and its metadata grant share theirs.
      const etlWaits = new Set(
        grants
          .filter((g) => g.inputs.principalId === byName(resources, "nosql-metadata-adf-etl").inputs.principalId)
          .map((g) => waits.find((w) => g.dependencies.includes(w.urn))?.name),
      );
      assert.equal(etlWaits.size, 1, [...etlWaits].join(", "));
    });

    it("grants the ingestion apps custom item-level roles (no delete, no query) on the containers they write, through the account's chain", () => {
      const webhooks = byName(resources, "nosql-item-creator-fraud-scoring-webhook-events");
      assert.equal(webhooks.inputs.scope, `${accountId()}/dbs/payments/colls/webhook_events`);
      const creator = byName(resources, "nosql-role-item-creator");
      assert.equal(webhooks.inputs.roleDefinitionId, creator.id);
      assert.deepEqual(creator.inputs, {
        accountName: account.inputs.accountName,
        resourceGroupName: account.inputs.resourceGroupName,
        roleDefinitionId: roleAssignmentName(accountId(), "role", "item-creator"),
        roleName: "Item Creator",
        type: "CustomRole",
        assignableScopes: [accountId()],
        permissions: [
          {
            dataActions: [
              "Microsoft.DocumentDB/databaseAccounts/readMetadata",
              "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/create",
            ],
          },
        ],
      });
      const fraudId = byName(resources, "ingestion-id-fraud-scoring");
      assert.equal(webhooks.inputs.principalId, fraudId.outputs.principalId);
      // One definition per role, whatever the number of grants; each waits in the account's chain.
      const definitions = ofType(resources, "azure-native:cosmosdb:SqlResourceSqlRoleDefinition").map((d) => d.name);
      assert.deepEqual(definitions.sort(), [
        "nosql-metadata-reader",
        "nosql-role-item-creator",
        "nosql-role-item-upserter",
        "nosql-role-item-writer",
      ]);
      // Nothing built-in that deletes is left to the apps (Data Contributor stays for the relay's leases and the
      // GDPR erasure, which delete).
      const contributors = ofType(resources, SQL_ROLE_ASSIGNMENT)
        .filter((a) => String(a.inputs.roleDefinitionId).endsWith("/00000000-0000-0000-0000-000000000002"))
        .map((a) => a.name);
      assert.deepEqual(contributors, [
        "nosql-contributor-streaming-relay-leases",
        "nosql-contributor-adf-etl-sessions",
        "nosql-contributor-adf-etl-fraud-features",
      ]);
    });

    it("item-level roles name exact data actions, never a wildcard", () => {
      assert.deepEqual(itemRoleDataActions("ItemWriter"), [
        "Microsoft.DocumentDB/databaseAccounts/readMetadata",
        "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read",
        "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/create",
        "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/replace",
        "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/upsert",
      ]);
      for (const role of Object.keys(CosmosItemRoles) as (keyof typeof CosmosItemRoles)[])
        for (const action of itemRoleDataActions(role)) assert.doesNotMatch(action, /\*|\/delete$/);
    });

    it("gets a private endpoint (group Sql) on the account, registered in privatelink.documents.azure.com", () => {
      const pe = byName(resources, "nosql-account-pep");
      const [connection] = pe.inputs.privateLinkServiceConnections as Record<string, unknown>[];
      assert.equal(connection.privateLinkServiceId, accountId());
      assert.deepEqual(connection.groupIds, ["Sql"]);
      assert.equal(input(pe, "subnet.id"), (outputs.subnetIds as Record<string, string>).privateEndpoints);
      assert.equal(pe.inputs.privateEndpointName, `pep-${String(account.inputs.accountName)}-sql`);
      const zone = ofType(resources, "azure-native:privatedns:PrivateZone").find(
        (z) => z.inputs.privateZoneName === "privatelink.documents.azure.com",
      );
      assert.ok(zone, "the platform's Cosmos DB zone");
      const dns = byName(resources, "nosql-account-pep-dns");
      assert.deepEqual(
        (dns.inputs.privateDnsZoneConfigs as Record<string, unknown>[]).map((z) => z.privateDnsZoneId),
        [zone.id],
      );
    });

    it("sends all logs and metrics of the account to the platform's workspace", () => {
      const diag = byName(resources, "nosql-account-diag");
      assert.equal(diag.inputs.resourceUri, accountId());
      assert.equal(diag.inputs.workspaceId, outputs.logAnalyticsWorkspaceId);
      assert.deepEqual(diag.inputs.logs, [{ categoryGroup: "allLogs", enabled: true }]);
      // Cosmos DB's metric category (Microsoft's landing-zone policy Deploy-Diagnostics-CosmosDB), not AllMetrics.
      assert.deepEqual(diag.inputs.metrics, [{ category: "Requests", enabled: true }]);
    });

    it("tags the account confidential, PCI connected, component nosql", () => {
      const tags = account.inputs.tags as Record<string, string>;
      assert.equal(tags["data-classification"], "confidential");
      assert.equal(tags["pci-scope"], "connected");
      assert.equal(tags.component, "nosql");
      assert.equal(tags.environment, stack);
    });

    if (prod) {
      it("prod: protects the account, database and containers and locks the account (CanNotDelete)", () => {
        assert.equal(account.protect, true);
        assert.equal(byName(resources, "nosql-db").protect, true);
        for (const c of ofType(resources, CONTAINER)) assert.equal(c.protect, true, c.name);
        const lock = byName(resources, "nosql-account-lock");
        assert.equal(lock.type, LOCK);
        assert.equal(lock.inputs.scope, accountId());
        assert.equal(lock.inputs.level, "CanNotDelete");
      });
    } else {
      it("dev: no protect and no lock", () => {
        assert.equal(account.protect, false);
        for (const r of resources.filter((x) => x.name.startsWith("nosql"))) assert.equal(r.protect, false, r.name);
        assert.equal(
          resources.find((r) => r.name === "nosql-account-lock"),
          undefined,
        );
      });
    }

    it("every principal granted on single containers also reads the account's metadata (the SDK reads it first)", () => {
      const grants = ofType(resources, SQL_ROLE_ASSIGNMENT);
      const metadataRole = byName(resources, "nosql-metadata-reader").id;
      const scoped = grants.filter((g) => String(g.inputs.scope).includes("/colls/"));
      assert.ok(scoped.length > 0);
      for (const g of scoped) {
        const metadata = grants.find(
          (m) => m.inputs.principalId === g.inputs.principalId && m.inputs.roleDefinitionId === metadataRole,
        );
        assert.ok(metadata, `${g.name}: no readMetadata grant for its principal`);
        assert.equal(metadata.inputs.scope, accountId());
      }
    });

    it("parents every resource to the component and exports name, endpoint and database", () => {
      const component = byName(resources, "nosql");
      assert.equal(component.type, "payments:nosql:NoSql");
      const children = resources.filter((r) => r.name.startsWith("nosql-"));
      // 3 of them: the ETL identity's per-container grants and read-metadata (index.ts); 3: the fraud/ML group's and
      // the ingestion apps' read-metadata; 5: the streaming relay's leases container, grants and the read-metadata
      // role; 3: the ingestion apps' item-level role definitions; 6: a principal wait per granted principal (data
      // engineers, fraud/ML, the two ingestion apps, the relay, the ETL identity).
      assert.equal(children.length, prod ? 36 : 35);
      for (const r of children) assert.equal(r.parent, component.urn, r.name);
      assert.equal(outputs.cosmosAccountName, account.inputs.accountName);
      assert.equal(outputs.cosmosAccountId, accountId());
      assert.equal(outputs.cosmosEndpoint, `https://${String(account.inputs.accountName)}.documents.azure.com:443/`);
      assert.equal(outputs.cosmosDatabaseName, "payments");
    });

    it("passes every policy of the pack on its resources", async () => {
      const urns = new Set(
        resources.filter((r) => r.name === "nosql" || r.name.startsWith("nosql-")).map((r) => r.urn),
      );
      const ours = (v: Violation) => (v.urn !== undefined && urns.has(v.urn)) || /cosmos/i.test(v.message);
      const mine = preview.verdict.violations.filter(ours);
      // A rule a first preview cannot decide (the data-plane roles' ids are built from the account's id) is decided
      // once deployed: nothing there either.
      assert.deepEqual(
        mine.filter((v) => !isUndecided(v)).map((v) => `${v.policy}: ${v.message}`),
        [],
      );
      assert.deepEqual(
        mine.filter(isUndecided).map((v) => v.policy),
        ["azure-native-cosmosdb-sqlroleassignment-require-container-scope-for-write-roles"],
      );
      assert.deepEqual((preview.onceDeployed ?? []).filter(ours), [], "no violation once deployed");
      const deployed = await evaluatePolicy(cosmosWriteRoleScope, preview.run.resources);
      assert.deepEqual([deployed.applicable, deployed.messages], [true, []], "decided, and passed, once deployed");
      // Every Cosmos DB rule of the pack evaluated something here (a rule that evaluated nothing did not pass).
      const evaluated = preview.verdict.evaluated;
      const cosmosRules = Object.keys(evaluated).filter((k) => k.startsWith("azure-native-cosmosdb-"));
      assert.ok(cosmosRules.length >= 10, `${cosmosRules.length} Cosmos DB rules`);
      assert.deepEqual(
        cosmosRules.filter((k) => !((evaluated[k] ?? 0) > 0)),
        [],
        "Cosmos DB rules that evaluated nothing",
      );
    });
  });
}

describe("nosql: one principal key, one principal", () => {
  it("refuses a key granted to two different principals, before the second grant registers", async function () {
    this.timeout(300_000);
    await assert.rejects(
      previewStack({ stack: "dev", program: path.join(__dirname, "fixtures/programs/nosqlPrincipalKeys.ts") }),
      /NoSql: principal key 'analysts' is used for two different principals/,
    );
  });
});
