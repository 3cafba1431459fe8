import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import {
  endpointsReady,
  freshnessQuery,
  jobDefinition,
  jobGrants,
  jobResourceId,
  LOADER_FUNCTION,
  restStreamingUnits,
  STREAMING_APP_ROLE,
  WATERMARK_SLA_SECONDS,
  partitionCountConflicts,
} from "../components/streaming";
import * as fs from "node:fs";
import { BuiltInRoles } from "../components/shared";
import { INPUT_ALIAS, OUTPUT_ALIAS, queryAliases, readQuery } from "../pipelines/streaming/query";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { roleAssignmentName } from "../lib/uuid";
import { byName, input, invokesOf, ofType, previewOf } from "./helpers/stacks";

type Job = {
  sku: { name: string };
  cluster?: { id: string };
  identity: { type: string };
  inputs: { name: string; properties: { datasource: Record<string, unknown> } }[];
  outputs: { name: string; datasource: Record<string, unknown>; serialization: Record<string, unknown> }[];
  transformation: { query: string; streamingUnits: number };
  jobStorageAccount: { accountName: string; authenticationMode: string };
  contentStoragePolicy: string;
};

describe("streaming: the api-logs hub's partition count against the deployed one", () => {
  const premium = { sku: "Premium", partitions: 32 } as Parameters<typeof partitionCountConflicts>[1];
  it("refuses fewer partitions than a deployed Premium hub has, naming the key and the floor", () => {
    const [c] = partitionCountConflicts({ partitionCount: 40 }, premium);
    assert.deepEqual([c.key, c.deployed, c.wanted, c.kind], ["streaming.eventHubs.partitions", "40", "32", "refused"]);
    assert.match(c.remedy, /never removes them: set it to 40 or more/);
  });
  it("passes as many or more (Premium adds partitions in place), a Standard hub (replaced instead), or none read", () => {
    assert.deepEqual(partitionCountConflicts({ partitionCount: 32 }, premium), []);
    assert.deepEqual(partitionCountConflicts({ partitionCount: 16 }, premium), []);
    assert.deepEqual(partitionCountConflicts({ partitionCount: 40 }, { ...premium, sku: "Standard" }), []);
    assert.deepEqual(partitionCountConflicts({}, premium), []);
  });
});

describe("streaming: pure helpers", () => {
  it("streaming units are SU V1 values (1, 3, multiples of 6), refused otherwise", () => {
    assert.equal(restStreamingUnits(1), 1);
    assert.equal(restStreamingUnits(12), 12);
    assert.throws(() => restStreamingUnits(4), /must be 1, 3 or a multiple of 6/);
    // Only SU V1 values (1, 3, 6, 12, … 216): 9 and 15 are multiples of 3, not of 6.
    for (const su of [1, 3, 6, 12, 18, 24, 216]) assert.equal(restStreamingUnits(su), su);
    for (const su of [0, 2, 9, 15, 21, 222, 6.5])
      assert.throws(() => restStreamingUnits(su), new RegExp(`streamingUnits ${su} must be 1, 3 or a multiple of 6`));
  });

  it("every data source of the job authenticates with its managed identity, and the job runs on no cluster", () => {
    const p = jobDefinition(
      {
        eventHubNamespace: "ns",
        eventHubName: "api-logs",
        consumerGroupName: "stream-analytics",
        outputEventHubName: "api-performance",
        jobStorageAccountName: "st",
        query: "q",
      },
      { streamingUnits: 1, lateArrivalSeconds: 60 },
    ) as unknown as Job;
    assert.equal(p.inputs[0].properties.datasource.authenticationMode, "Msi");
    assert.equal(p.outputs[0].datasource.authenticationMode, "Msi");
    assert.deepEqual(p.jobStorageAccount, { accountName: "st", authenticationMode: "Msi" });
    assert.deepEqual(p.identity, { type: "SystemAssigned" });
    assert.equal(p.cluster, undefined);
    assert.doesNotMatch(JSON.stringify(p), /password|sharedAccessPolicyKey|accountKey/i);
    // A row Event Hubs refuses stops the job (the freshness alert fires) instead of silently dropping rows.
    assert.equal((p as unknown as { outputErrorPolicy: string }).outputErrorPolicy, "Stop");
    // Events of one minute that reach the job up to 30 s apart across the hub's partitions (round-robin sends from
    // several relay instances, retried batches) still count in their own minute; the wait stays far inside the
    // 5-minute freshness SLA with the window and the late-arrival allowance.
    const timing = p as unknown as {
      eventsOutOfOrderPolicy: string;
      eventsOutOfOrderMaxDelayInSeconds: number;
      eventsLateArrivalMaxDelayInSeconds: number;
    };
    assert.equal(timing.eventsOutOfOrderPolicy, "Adjust");
    assert.equal(timing.eventsOutOfOrderMaxDelayInSeconds, 30);
    assert.ok(timing.eventsOutOfOrderMaxDelayInSeconds + timing.eventsLateArrivalMaxDelayInSeconds + 60 <= 300 / 2);
  });

  it("endpoints: the job gets its Event Hubs input and output only once it exists with every grant in place", async () => {
    const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply((v) => resolve(v)));
    const grants = jobGrants("asa-pay-dev-weu-apiperf", {
      inputHubId: "/hub",
      outputHubId: "/perf",
      jobStorageId: "/st",
    }).map((g) => ({ scope: g.scope, role: `/roles/${g.role}` }));
    assert.deepEqual(
      jobGrants("j", { inputHubId: "/hub", outputHubId: "/perf", jobStorageId: "/st" }).map((g) => [g.scope, g.role]),
      [
        ["/hub", BuiltInRoles.EventHubsDataReceiver],
        ["/perf", BuiltInRoles.EventHubsDataSender],
        ["/st", BuiltInRoles.StorageBlobDataContributor],
      ],
    );
    const lookup = (
      principal: string | undefined,
      present: (scope: string) => boolean,
      hasInput = false,
      jobStorageAccountName: string | undefined = "stasa",
    ) => {
      const asked: [string, string][] = [];
      return {
        asked,
        job: () => Promise.resolve(principal ? { principalId: principal, jobStorageAccountName } : undefined),
        hasInput: () => Promise.resolve(hasInput),
        hasAssignment: (scope: string, name: string) => {
          asked.push([scope, name]);
          return Promise.resolve(present(scope));
        },
      };
    };
    // A new stack: no job, so no grant is asked about.
    const none = lookup(undefined, () => true);
    assert.equal(await value(endpointsReady(none, grants, "stasa")), false);
    assert.deepEqual(none.asked, []);
    // The job and every grant under the name roleAssignment gives it (scope + principal + role).
    const all = lookup("p-1", () => true);
    assert.equal(await value(endpointsReady(all, grants, "stasa")), true);
    assert.deepEqual(
      all.asked,
      grants.map((g) => [g.scope, roleAssignmentName(String(g.scope), "p-1", String(g.role))]),
    );
    // A first `up` that stopped after the job but before its storage grant: the job stays without its endpoints.
    assert.equal(
      await value(
        endpointsReady(
          lookup("p-1", (scope) => scope !== "/st"),
          grants,
          "stasa",
        ),
      ),
      false,
    );
    // One way: a job that has its input keeps its endpoints even if a grant went missing since (Azure's validation
    // then fails the update loudly; a PUT without them would drop them).
    const connected = lookup("p-1", () => false, true);
    assert.equal(await value(endpointsReady(connected, grants, "stasa")), true);
    assert.deepEqual(connected.asked, []);
    // The job on another job storage account is about to be replaced (a new identity, no roles): created bare, even
    // though the old one has its input and grants; an account Azure does not report changes nothing.
    const moving = lookup("p-1", () => true, true, "stold");
    assert.equal(await value(endpointsReady(moving, grants, "stasa")), false);
    assert.deepEqual(moving.asked, []);
    assert.equal(
      await value(
        endpointsReady(
          lookup("p-1", () => true, true, undefined),
          grants,
          "stasa",
        ),
      ),
      true,
    );
  });

  it("the job's id is known before it exists (the job storage's resource instance rule names it)", () => {
    assert.equal(
      jobResourceId("sub", "rg-x", "asa-x"),
      "/subscriptions/sub/resourceGroups/rg-x/providers/Microsoft.StreamAnalytics/streamingjobs/asa-x",
    );
  });

  it("the freshness query over the loader's committed batches", () => {
    const q = freshnessQuery("func-x", LOADER_FUNCTION);
    assert.match(
      q,
      /^let written = toscalar\(union isfuzzy=true \(AppTraces\), \(datatable\(Message: string, ItemCount: int, AppRoleName: string, OperationName: string, TimeGenerated: datetime\)\[\]\)\n/,
    );
    assert.match(q, /AppRoleName =~ "func-x" and OperationName == "loadApiPerformance"/);
    assert.match(q, /coalesce\(written, 0\)/);
  });

  it("the streaming app role registers the relay and the loader (the package's entry point)", () => {
    // The entry point registers functions when loaded, so it is read, not imported.
    const entry = fs.readFileSync("pipelines/functions/src/index.ts", "utf8");
    const role = new RegExp(
      `\\b${STREAMING_APP_ROLE}: \\(\\) => \\{\\s*registerChangeFeedRelay\\(\\);\\s*registerApiPerformanceLoader\\(\\);`,
    );
    assert.match(entry, role);
  });
});

for (const stack of ["dev", "prod"] as const) {
  describe(`streaming (${stack})`, () => {
    let resources: ResourceRecord[];
    const one = (name: string) => byName(resources, name);
    const job = () => one("streaming-job");
    const props = () => job().inputs as unknown as Job;
    before(async () => {
      resources = (await previewOf(stack)).run.resources;
    });

    it("a new stack's first up creates the job bare and grants it; the next up (job and grants found) completes it", async () => {
      const { previewRun, run } = await previewOf(stack);
      // First preview: nothing in Azure, so the job is created with its identity and job storage only (the query
      // lives in the job storage, which the identity cannot write before its grant).
      const first = byName(previewRun.resources, "streaming-job").inputs as unknown as Partial<Job>;
      assert.equal(first.inputs, undefined);
      assert.equal(first.outputs, undefined);
      assert.equal(first.transformation, undefined);
      assert.equal(first.identity?.type, "SystemAssigned");
      assert.equal(first.jobStorageAccount?.authenticationMode, "Msi");
      assert.equal(first.contentStoragePolicy, "JobStorageAccount");
      assert.equal(
        (previewRun.stackOutputs.streamingPath as Record<string, unknown>).streamAnalyticsEndpointsConnected,
        false,
      );
      // Deployed: the job and its grants exist, so the PUT carries the Event Hubs input and output, and the query.
      assert.equal(props().transformation.query, readQuery());
      assert.equal(props().inputs.length, 1);
      assert.equal(props().outputs.length, 1);
      assert.equal((run.stackOutputs.streamingPath as Record<string, unknown>).streamAnalyticsEndpointsConnected, true);
      // It asked Azure about this very job (by its name, in its group) and found its input there.
      const principal = (job().outputs.identity as { principalId: string }).principalId;
      const about = (token: string) => invokesOf(run, token).map((i) => i.inputs);
      assert.deepEqual(about("azure-native:streamanalytics:getStreamingJob"), [
        { resourceGroupName: job().inputs.resourceGroupName, jobName: job().inputs.jobName },
      ]);
      assert.deepEqual(about("azure-native:streamanalytics:getInput"), [
        { resourceGroupName: job().inputs.resourceGroupName, jobName: job().inputs.jobName, inputName: INPUT_ALIAS },
      ]);
      // The grants it would look for are the ones it creates: the `jobGrants` table, each under the name
      // roleAssignmentName(scope, principal, role) that `endpointsReady` computes (its test above).
      const granted = ofType(resources, "azure-native:authorization:RoleAssignment").filter(
        (a) => a.inputs.principalId === principal,
      );
      assert.deepEqual(
        granted.map((a) => [a.name, String(a.inputs.roleDefinitionId).split("/").pop()]),
        jobGrants(String(job().inputs.jobName), { inputHubId: "", outputHubId: "", jobStorageId: "" }).map((g) => [
          `streaming-${g.logicalSuffix}-ra-${g.key}`,
          g.role,
        ]),
      );
      for (const a of granted)
        assert.equal(
          a.inputs.roleAssignmentName,
          roleAssignmentName(String(a.inputs.scope), principal, String(a.inputs.roleDefinitionId)),
          a.name,
        );
      // The first up waits for those grants to take effect before it ends, so the next one finds them working.
      const wait = one("streaming-job-grants-propagation");
      assert.equal(wait.inputs.createDuration, "10m");
      for (const a of granted) assert.ok(wait.dependencies.includes(a.urn), a.name);
    });

    it("the job's transformation is the committed .asaql file, and its aliases match the job's inputs and outputs", () => {
      const p = props();
      assert.equal(p.transformation.query, readQuery());
      const aliases = queryAliases(p.transformation.query);
      assert.deepEqual(aliases.inputs, p.inputs.map((i) => i.name).sort());
      assert.deepEqual(aliases.outputs, p.outputs.map((o) => o.name).sort());
      assert.deepEqual([INPUT_ALIAS, OUTPUT_ALIAS], [p.inputs[0].name, p.outputs[0].name]);
    });

    it("the job (no cluster) reads api-logs through its consumer group and writes api-performance", () => {
      const p = props();
      assert.equal(job().type, "azure-native:streamanalytics:StreamingJob");
      assert.deepEqual(p.identity, { type: "SystemAssigned" });
      assert.equal(p.cluster, undefined);
      assert.equal(ofType(resources, "azure-native:streamanalytics:Cluster").length, 0);
      const input = p.inputs[0].properties.datasource;
      assert.equal(input.type, "Microsoft.EventHub/EventHub");
      assert.equal(input.eventHubName, "api-logs");
      assert.equal(input.consumerGroupName, one("streaming-evh-cg").outputs.name);
      const output = p.outputs[0];
      assert.equal(output.datasource.type, "Microsoft.EventHub/EventHub");
      assert.equal(output.datasource.eventHubName, "api-performance");
      assert.equal(output.datasource.partitionKey, "MerchantKey");
      assert.equal(output.serialization.format, "LineSeparated");
      assert.equal(p.contentStoragePolicy, "JobStorageAccount");
      assert.equal((p as unknown as { outputErrorPolicy: string }).outputErrorPolicy, "Stop");
      assert.equal(p.transformation.streamingUnits, stack === "dev" ? 1 : 6);
      // What each start writes onto the job is not the program's: no drift, no needless stop before an update.
      assert.deepEqual(job().ignoreChanges, ["outputStartMode", "outputStartTime"]);
      assert.equal(job().inputs.outputStartMode, undefined);
      // Azure cannot change a job's storage: another account replaces the job (same name: the old one first).
      assert.deepEqual(job().replaceOnChanges, ["jobStorageAccount.accountName", "contentStoragePolicy"]);
      assert.equal(job().deleteBeforeReplace, true);
    });

    it("the job reaches Event Hubs and its storage as a trusted service: nothing else gets through either firewall", () => {
      const net = one("streaming-evhns-net");
      assert.equal(net.inputs.publicNetworkAccess, "Disabled");
      assert.equal(net.inputs.defaultAction, "Deny");
      assert.equal(net.inputs.trustedServiceAccessEnabled, true);
      assert.deepEqual([net.inputs.ipRules, net.inputs.virtualNetworkRules], [[], []]);
      assert.ok(job().dependencies.includes(net.urn), "the namespace's firewall before the job");
      // The namespace takes one operation at a time: its network rule set comes after its endpoint and entities.
      for (const first of [
        "streaming-evhns-pep-dns",
        "streaming-evh",
        "streaming-evh-cg",
        "streaming-evh-perf",
        "streaming-evh-perf-cg",
      ])
        assert.ok(net.dependencies.includes(one(first).urn), `${first} before the network rule set`);
      // Its private endpoint connection is a namespace update as well: after the hubs and groups.
      for (const first of ["streaming-evh", "streaming-evh-cg", "streaming-evh-perf", "streaming-evh-perf-cg"])
        assert.ok(one("streaming-evhns-pep").dependencies.includes(one(first).urn), `${first} before the endpoint`);
      const st = one("streaming-st");
      const rules = st.inputs.networkRuleSet as Record<string, unknown>;
      assert.equal(rules.defaultAction, "Deny");
      assert.equal(rules.bypass, "None");
      assert.deepEqual([rules.ipRules, rules.virtualNetworkRules], [[], []]);
      // Exactly one resource instance: this job, by the id Azure gives it.
      assert.deepEqual(
        (rules.resourceAccessRules as { resourceId: string }[]).map((r) => r.resourceId),
        [job().id],
      );
    });

    it("Event Hubs: private, Entra only, TLS 1.2, partitions from config; CMK on Premium (prod)", () => {
      const ns = one("streaming-evhns");
      assert.equal(ns.inputs.disableLocalAuth, true);
      assert.equal(ns.inputs.minimumTlsVersion, "1.2");
      assert.equal(ns.inputs.publicNetworkAccess, "Disabled");
      const hub = one("streaming-evh");
      assert.equal(hub.inputs.partitionCount, stack === "dev" ? 2 : 32);
      // Standard (dev): a new partition count is a new hub, the old one deleted first (same name). Premium (prod)
      // grows in place.
      assert.deepEqual(hub.replaceOnChanges, stack === "dev" ? ["partitionCount"] : []);
      assert.equal(hub.deleteBeforeReplace, true);
      // A new tier is a new namespace (CMK only on a new or empty one); a new capacity is an update.
      assert.deepEqual(ns.replaceOnChanges, ["sku.name", "sku.tier"]);
      assert.equal(ns.deleteBeforeReplace, true);
      if (stack === "prod") {
        assert.deepEqual(ns.inputs.sku, { name: "Premium", tier: "Premium", capacity: 1 });
        assert.equal((ns.inputs.encryption as { keySource: string }).keySource, "Microsoft.KeyVault");
      } else {
        assert.deepEqual(ns.inputs.sku, { name: "Standard", tier: "Standard", capacity: 1 });
        assert.equal(ns.inputs.encryption, undefined);
      }
      const pe = one("streaming-evhns-pep");
      assert.deepEqual((pe.inputs.privateLinkServiceConnections as { groupIds: string[] }[])[0].groupIds, [
        "namespace",
      ]);
      // A new tier replaces the namespace (same id): the endpoint and its DNS zone group go and come back with it,
      // deleted first (same names), instead of staying connected to the deleted namespace (Disconnected for good).
      assert.deepEqual(ns.replaceOnChanges, ["sku.name", "sku.tier"]);
      assert.deepEqual([pe.replaceWith, pe.deleteBeforeReplace], [[ns.urn], true]);
      const dns = one("streaming-evhns-pep-dns");
      assert.deepEqual([dns.replaceWith, dns.deleteBeforeReplace], [[pe.urn], true]);
      // No other endpoint is replaced with its target.
      assert.deepEqual(
        resources.filter((r) => r.replaceWith !== undefined).map((r) => r.name),
        ["streaming-evhns-pep", "streaming-evhns-pep-dns"],
      );
    });

    it("protected from deletion in prod only: the namespace, both hubs, the job storage and the job (events in flight, job state)", () => {
      for (const name of ["streaming-evhns", "streaming-evh", "streaming-evh-perf", "streaming-st", "streaming-job"])
        assert.equal(one(name).protect, stack === "prod", `${name} protect`);
      // And a delete lock on the job in prod (a replacement would restart it from its own start, not its last output).
      const locks = resources.filter(
        (r) => r.type === "azure-native:authorization:ManagementLockByScope" && r.inputs.scope === job().id,
      );
      assert.deepEqual(
        locks.map((l) => l.inputs.level),
        stack === "prod" ? ["CanNotDelete"] : [],
      );
    });

    it("identities and roles: relay sends to api-logs, the job reads it and writes api-performance, the loader reads that", () => {
      const relay = one("streaming-id-relay");
      const sender = one("streaming-relay-evh-ra-data-sender");
      assert.equal(sender.inputs.principalId, relay.outputs.principalId);
      assert.equal(sender.inputs.scope, one("streaming-evh").id);
      assert.match(String(sender.inputs.roleDefinitionId), new RegExp(BuiltInRoles.EventHubsDataSender));
      const receiver = one("streaming-job-evh-ra-data-receiver");
      assert.equal(receiver.inputs.principalId, (job().outputs.identity as { principalId: string }).principalId);
      assert.match(String(receiver.inputs.roleDefinitionId), new RegExp(BuiltInRoles.EventHubsDataReceiver));
      assert.equal(receiver.inputs.scope, one("streaming-evh").id);
      const jobSender = one("streaming-job-evh-perf-ra-data-sender");
      assert.equal(jobSender.inputs.principalId, receiver.inputs.principalId);
      assert.equal(jobSender.inputs.scope, one("streaming-evh-perf").id);
      assert.match(String(jobSender.inputs.roleDefinitionId), new RegExp(BuiltInRoles.EventHubsDataSender));
      const loader = one("streaming-loader-evh-ra-data-receiver");
      assert.equal(loader.inputs.principalId, relay.outputs.principalId);
      assert.equal(loader.inputs.scope, one("streaming-evh-perf").id);
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
      for (const g of [reader, leases, metadata, sender, loader])
        assert.ok(app.dependencies.includes(g.urn), `${g.name} before the app`);
    });

    it("the streaming app's plan is zone-redundant in prod, with two always-ready instances per group (Azure's floor there)", () => {
      const prod = stack === "prod";
      assert.equal(one("streaming-relay-plan").inputs.zoneRedundant, prod);
      assert.deepEqual(input(one("streaming-relay-app"), "functionAppConfig.scaleAndConcurrency.alwaysReady"), [
        { name: "function:relayApiLogs", instanceCount: prod ? 2 : 0 },
        { name: "function:loadApiPerformance", instanceCount: prod ? 2 : 0 },
      ]);
    });

    it("the streaming app runs the relay and the loader, with identity-based connections only", () => {
      const settings = one("streaming-relay-app-settings").inputs.properties as Record<string, string>;
      assert.equal(settings.FUNCTIONS_APP_ROLE, STREAMING_APP_ROLE);
      assert.equal(settings.EVENT_HUB_OUTPUT_NAME, "api-performance");
      assert.equal(settings.EVENT_HUB_LOADER_CONSUMER_GROUP, one("streaming-evh-perf-cg").outputs.name);
      assert.equal(settings.SYNAPSE_SQL_POOL, one("olap-pool").outputs.name);
      assert.match(settings.SYNAPSE_SQL_ENDPOINT, /\.sql\.azuresynapse\.net$/);
      assert.equal(settings.EventHubs__credential, "managedidentity");
      assert.match(settings.EventHubs__fullyQualifiedNamespace, /\.servicebus\.windows\.net$/);
      assert.equal(settings.COSMOS_CONTAINER_LEASES, "leases");
      assert.doesNotMatch(JSON.stringify(settings), /SharedAccessKey|AccountKey/);
    });

    it("the app starts once the OLAP tier (its private endpoint to the workspace's SQL endpoint) is in place", () => {
      const app = one("streaming-relay-app");
      const sqlEndpoint = resources.find(
        (r) =>
          r.type === "azure-native:network:PrivateEndpoint" &&
          JSON.stringify(r.inputs.privateLinkServiceConnections).includes('"Sql"') &&
          r.name.startsWith("olap-"),
      );
      assert.ok(sqlEndpoint, "the OLAP tier's endpoint to the workspace's SQL endpoint");
      assert.ok(app.dependencies.includes(sqlEndpoint.urn));
    });

    it("alerts: watermark delay over 5 minutes pages the P1 group; freshness too, but is Sev3 (P3) where the pool sleeps until resumed (dev)", () => {
      const ag = one("platform-ag-p1").id; // Sev1: the P1 group
      const wm = one("streaming-watermark-alert");
      const fr = one("streaming-freshness-alert");
      const crit = (r: ResourceRecord) => (r.inputs.criteria as { allOf: Record<string, unknown>[] }).allOf[0];
      assert.equal(crit(wm).threshold, WATERMARK_SLA_SECONDS);
      assert.equal(crit(wm).operator, "GreaterThan");
      assert.equal(crit(fr).operator, "LessThan");
      assert.equal(fr.inputs.windowSize, stack === "dev" ? "PT1H" : "PT10M");
      assert.match(String(crit(fr).query), new RegExp(`AppRoleName =~ "${one("streaming-relay-app").outputs.name}"`));
      const groups = (r: ResourceRecord) => (r.inputs.actions as { actionGroups: string[] }).actionGroups;
      assert.deepEqual(groups(wm), [ag]);
      assert.equal(wm.inputs.severity, 1);
      // dev's pool stays paused until someone resumes it (resumePool: false): a day without rows is expected there.
      assert.deepEqual(groups(fr), [stack === "dev" ? one("platform-ag-p3").id : ag]);
      assert.equal(fr.inputs.severity, stack === "dev" ? 3 : 1);
    });
  });
}

describe("streaming: Event Hubs namespaces", () => {
  it("prod's Premium namespace adds infrastructure (double) encryption under its customer-managed key", async () => {
    const ns = byName((await previewOf("prod")).run.resources, "streaming-evhns");
    assert.equal(input(ns, "sku.name"), "Premium");
    assert.equal(input(ns, "encryption.keySource"), "Microsoft.KeyVault");
    assert.equal(input(ns, "encryption.requireInfrastructureEncryption"), true);
  });

  it("dev's Standard namespace keeps its provisioned throughput units: auto-inflate is explicitly off", async () => {
    const ns = byName((await previewOf("dev")).run.resources, "streaming-evhns");
    assert.equal(input(ns, "sku.name"), "Standard");
    assert.equal(input(ns, "isAutoInflateEnabled"), false);
  });
});
