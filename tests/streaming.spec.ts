import { strict as assert } from "node:assert";
import {
  FACT_TABLE,
  freshnessQuery,
  jobProperties,
  minutesToDuration,
  restStreamingUnits,
  WATERMARK_SLA_SECONDS,
} from "../components/streaming";
import { BuiltInRoles } from "../components/shared";
import { INPUT_ALIAS, OUTPUT_ALIAS, queryAliases, readQuery } from "../pipelines/streaming/query";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { byName, ofType, previewOf } from "./helpers/stacks";

type Job = {
  sku: { name: string };
  cluster: { id: string };
  inputs: { name: string; properties: { datasource: { type: string; properties: Record<string, unknown> } } }[];
  outputs: { name: string; properties: { datasource: { type: string; properties: Record<string, unknown> } } }[];
  transformation: { properties: { query: string; streamingUnits: number } };
  jobStorageAccount: { accountName: string; authenticationMode: string };
  contentStoragePolicy: string;
};

describe("streaming: pure helpers", () => {
  it("streaming units are SU V1 values (1, 3, multiples of 6), refused otherwise", () => {
    assert.equal(restStreamingUnits(1), 1);
    assert.equal(restStreamingUnits(12), 12);
    assert.throws(() => restStreamingUnits(4), /must be 1, 3 or a multiple of 6/);
  });

  it("every data source of the job authenticates with its managed identity", () => {
    const p = jobProperties(
      {
        clusterId: "/c",
        eventHubNamespace: "ns",
        eventHubName: "api-logs",
        consumerGroupName: "stream-analytics",
        synapseSqlEndpoint: "w.sql.azuresynapse.net",
        sqlPoolName: "pool",
        table: FACT_TABLE,
        jobStorageAccountName: "st",
        query: "q",
      },
      { clusterCapacity: 36, streamingUnits: 1, lateArrivalSeconds: 60 },
    ) as unknown as Job;
    assert.equal(p.inputs[0].properties.datasource.properties.authenticationMode, "Msi");
    assert.equal(p.outputs[0].properties.datasource.properties.authenticationMode, "Msi");
    assert.deepEqual(p.jobStorageAccount, { accountName: "st", authenticationMode: "Msi" });
    assert.doesNotMatch(JSON.stringify(p), /password|sharedAccessPolicyKey|accountKey/i);
  });

  it("alert windows and the freshness query", () => {
    assert.equal(minutesToDuration(10), "PT10M");
    assert.equal(minutesToDuration(120), "PT2H");
    assert.equal(minutesToDuration(1440), "P1D");
    assert.match(freshnessQuery("/x/job"), /ResourceId =~ "\/x\/job" and MetricName == "OutputEvents"/);
    assert.match(freshnessQuery("/x/job"), /coalesce\(written, 0\.0\)/);
  });
});

for (const stack of ["dev", "prod"] as const) {
  describe(`streaming (${stack})`, () => {
    let resources: ResourceRecord[];
    const one = (name: string) => byName(resources, name);
    const job = () => one("streaming-job");
    const props = () => job().inputs.properties as Job;
    before(async () => {
      resources = (await previewOf(stack)).run.resources;
    });

    it("the job's transformation is the committed .asaql file, and its aliases match the job's inputs and outputs", () => {
      const p = props();
      assert.equal(p.transformation.properties.query, readQuery());
      const aliases = queryAliases(p.transformation.properties.query);
      assert.deepEqual(aliases.inputs, p.inputs.map((i) => i.name).sort());
      assert.deepEqual(aliases.outputs, p.outputs.map((o) => o.name).sort());
      assert.deepEqual([INPUT_ALIAS, OUTPUT_ALIAS], [p.inputs[0].name, p.outputs[0].name]);
    });

    it("the job runs on the cluster, reads the hub's own consumer group and writes the fact in the private pool", () => {
      const p = props();
      assert.equal(job().inputs.apiVersion, "2021-10-01-preview");
      assert.deepEqual(job().inputs.identity, { type: "SystemAssigned" });
      assert.equal(p.cluster.id, one("streaming-cluster").id);
      const input = p.inputs[0].properties.datasource;
      assert.equal(input.type, "Microsoft.EventHub/EventHub");
      assert.equal(input.properties.eventHubName, "api-logs");
      assert.equal(input.properties.consumerGroupName, one("streaming-evh-cg").outputs.name);
      const output = p.outputs[0].properties.datasource;
      assert.equal(output.type, "Microsoft.Sql/Server/DataWarehouse");
      assert.equal(output.properties.table, "dbo.Fact_API_Performance");
      assert.equal(output.properties.database, one("olap-pool").outputs.name);
      assert.equal(p.contentStoragePolicy, "JobStorageAccount");
      assert.equal(p.transformation.properties.streamingUnits, stack === "dev" ? 1 : 12);
    });

    it("the cluster reaches Event Hubs, the job storage and Synapse through managed private endpoints, one at a time", () => {
      const mpes = ofType(resources, "azure-native:streamanalytics:PrivateEndpoint");
      const targets = mpes.map((m) => {
        const c = (
          m.inputs.manualPrivateLinkServiceConnections as { privateLinkServiceId: string; groupIds: string[] }[]
        )[0];
        return [c.privateLinkServiceId, c.groupIds[0]];
      });
      assert.deepEqual(targets, [
        [one("streaming-evhns").id, "namespace"],
        [one("streaming-st").id, "blob"],
        [one("olap-workspace").id, "Sql"],
      ]);
      for (let i = 1; i < mpes.length; i++) assert.ok(mpes[i].dependencies.includes(mpes[i - 1].urn));
    });

    it("Event Hubs: private, Entra only, TLS 1.2, partitions from config; CMK on Premium (prod)", () => {
      const ns = one("streaming-evhns");
      assert.equal(ns.inputs.disableLocalAuth, true);
      assert.equal(ns.inputs.minimumTlsVersion, "1.2");
      assert.equal(ns.inputs.publicNetworkAccess, "Disabled");
      assert.equal(one("streaming-evh").inputs.partitionCount, stack === "dev" ? 2 : 32);
      if (stack === "prod") {
        assert.deepEqual(ns.inputs.sku, { name: "Premium", tier: "Premium", capacity: 2 });
        assert.equal((ns.inputs.encryption as { keySource: string }).keySource, "Microsoft.KeyVault");
      } else {
        assert.deepEqual(ns.inputs.sku, { name: "Standard", tier: "Standard", capacity: 1 });
        assert.equal(ns.inputs.encryption, undefined);
      }
      const pe = one("streaming-evhns-pep");
      assert.deepEqual((pe.inputs.privateLinkServiceConnections as { groupIds: string[] }[])[0].groupIds, [
        "namespace",
      ]);
    });

    it("identities and roles: relay sends to the hub, the job receives from it; Cosmos DB through the NoSQL chain", () => {
      const relay = one("streaming-id-relay");
      const sender = one("streaming-relay-evh-ra-data-sender");
      assert.equal(sender.inputs.principalId, relay.outputs.principalId);
      assert.equal(sender.inputs.scope, one("streaming-evh").id);
      assert.match(String(sender.inputs.roleDefinitionId), new RegExp(BuiltInRoles.EventHubsDataSender));
      const receiver = one("streaming-job-evh-ra-data-receiver");
      assert.equal(receiver.inputs.principalId, (job().outputs.identity as { principalId: string }).principalId);
      assert.match(String(receiver.inputs.roleDefinitionId), new RegExp(BuiltInRoles.EventHubsDataReceiver));
      const reader = one("nosql-reader-streaming-relay-api-logs");
      const leases = one("nosql-contributor-streaming-relay-leases");
      for (const g of [reader, leases]) assert.equal(g.inputs.principalId, relay.outputs.principalId);
      // The change feed processor reads database metadata: a custom role with readMetadata only, on the account.
      const metadata = one("nosql-metadata-streaming-relay");
      assert.equal(metadata.inputs.principalId, relay.outputs.principalId);
      assert.equal(metadata.inputs.roleDefinitionId, one("nosql-metadata-reader").id);
      assert.deepEqual(one("nosql-metadata-reader").inputs.permissions, [
        { dataActions: ["Microsoft.DocumentDB/databaseAccounts/readMetadata"] },
      ]);
      const app = one("streaming-relay-app");
      for (const g of [reader, leases, metadata, sender])
        assert.ok(app.dependencies.includes(g.urn), `${g.name} before the app`);
    });

    it("the relay app is configured with identity-based connections only", () => {
      const settings = one("streaming-relay-app-settings").inputs.properties as Record<string, string>;
      assert.equal(settings.FUNCTIONS_APP_ROLE, "change-feed-relay");
      assert.equal(settings.EventHubs__credential, "managedidentity");
      assert.match(settings.EventHubs__fullyQualifiedNamespace, /\.servicebus\.windows\.net$/);
      assert.equal(settings.COSMOS_CONTAINER_LEASES, "leases");
      assert.doesNotMatch(JSON.stringify(settings), /SharedAccessKey|AccountKey/);
    });

    it("the cluster's endpoint to the Synapse workspace follows the factory's and the OLAP tier's connections to it", () => {
      const mpe = one("streaming-mpe-synw");
      const workspaceId = String(ofType(resources, "azure-native:synapse:Workspace")[0].id);
      const others = resources.filter(
        (r) => r.name !== mpe.name && JSON.stringify(r.inputs).includes(workspaceId) && /PrivateEndpoint$/.test(r.type),
      );
      assert.ok(
        others.some((r) => r.type === "azure-native:datafactory:ManagedPrivateEndpoint"),
        "the factory's",
      );
      for (const r of others) assert.ok(mpe.dependencies.includes(r.urn), `${r.name} before ${mpe.name}`);
    });

    it("alerts: watermark delay over 5 minutes and freshness, both page the P1 action group", () => {
      const ag = one("platform-ag-p1").id; // Sev1: the P1 group
      const wm = one("streaming-watermark-alert");
      const fr = one("streaming-freshness-alert");
      const crit = (r: ResourceRecord) => (r.inputs.criteria as { allOf: Record<string, unknown>[] }).allOf[0];
      assert.equal(crit(wm).threshold, WATERMARK_SLA_SECONDS);
      assert.equal(crit(wm).operator, "GreaterThan");
      assert.equal(crit(fr).operator, "LessThan");
      assert.equal(fr.inputs.windowSize, stack === "dev" ? "PT1H" : "PT10M");
      for (const a of [wm, fr]) assert.deepEqual((a.inputs.actions as { actionGroups: string[] }).actionGroups, [ag]);
    });
  });
}
