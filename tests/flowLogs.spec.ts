/**
 * The VNet's flow logs (components/platform/flowLogs.ts): what the platform declares, that nothing joins the VNet
 * before the flow log exists, its config and what the estimate charges for it.
 */
import { strict as assert } from "node:assert";
import { flowLogInputs, flowLogSettings, MAX_FLOW_LOG_RETENTION_DAYS } from "../components/platform/flowLogs";
import { BuiltInRoles } from "../components/shared";
import { parseConfig } from "../lib/config";
import { DEFAULT_USAGE, type UsageConfig } from "../lib/usage";
import { checkSchemas } from "../tools/lib/armSchema/check";
import { estimate, type Estimate } from "../tools/lib/cost/estimate";
import { DAYS_PER_MONTH, price } from "../tools/lib/cost/prices";
import { FREE_FLOW_LOG_GB_PER_MONTH, TRAFFIC_ANALYTICS_INGESTED_SHARE } from "../tools/lib/cost/rules/flowLogs";
import { resourceRecord, type ResourceRecord } from "../tools/lib/policyRunner";
import { rawOf, rejectsConfig } from "./helpers/config";
import { byName, configOf, input, ofType, previewOf, waitsFor } from "./helpers/stacks";

const FLOW_LOG = "azure-native:network:FlowLog";

for (const stack of ["dev", "prod"] as const) {
  describe(`VNet flow logs (${stack})`, () => {
    let resources: ResourceRecord[];
    const prod = stack === "prod";
    before(async () => {
      resources = (await previewOf(stack)).run.resources;
    });

    it("one flow log on the VNet, on the region's Network Watcher, to its own account and to traffic analytics", () => {
      const [log] = ofType(resources, FLOW_LOG);
      assert.equal(ofType(resources, FLOW_LOG).length, 1);
      const vnet = byName(resources, "platform-vnet");
      const account = byName(resources, "platform-flowlog-st");
      const writer = byName(resources, "platform-flowlog-id");
      const workspace = byName(resources, "platform-log");
      assert.deepEqual(log.inputs, {
        flowLogName: `fl-pay-${stack}-weu`,
        networkWatcherName: "NetworkWatcher_westeurope",
        resourceGroupName: "NetworkWatcherRG",
        location: "westeurope",
        targetResourceId: vnet.id,
        storageId: account.id,
        enabled: true,
        format: { type: "JSON", version: 2 },
        // The workspace's retention (dev 90, prod 365 days): PCI DSS 10.5.1.
        retentionPolicy: { enabled: true, days: prod ? 365 : 90 },
        identity: { type: "UserAssigned", userAssignedIdentities: [writer.id] },
        flowAnalyticsConfiguration: {
          networkWatcherFlowAnalyticsConfiguration: {
            enabled: true,
            workspaceResourceId: workspace.id,
            workspaceId: workspace.outputs.customerId,
            workspaceRegion: "westeurope",
            trafficAnalyticsInterval: 60,
          },
        },
        tags: log.inputs.tags,
      });
      assert.equal(log.protect, prod, "protected in prod");
      // And locked, and kept if the program drops it, in prod (it lives in the watcher's group, outside the stack's).
      assert.equal(log.retainOnDelete === true, prod);
      const locks = ofType(resources, "azure-native:authorization:ManagementLockByScope").filter(
        (l) => l.inputs.scope === log.id,
      );
      assert.deepEqual(
        locks.map((l) => l.inputs.level),
        prod ? ["CanNotDelete"] : [],
      );
      // Its request body is valid for Microsoft's schema of networkWatchers/flowLogs (identity included).
      const check = checkSchemas([log]);
      assert.deepEqual(check.errors, []);
      assert.equal(check.resources[0]?.armType, "Microsoft.Network/networkWatchers/flowLogs");
      assert.ok(check.resources[0]?.file, "validated against a schema file");
    });

    it("the account: hardened, no shared key, the storage key, trusted services only, a private endpoint, a lock in prod", () => {
      const account = byName(resources, "platform-flowlog-st");
      assert.equal(input(account, "allowSharedKeyAccess"), false);
      assert.equal(input(account, "publicNetworkAccess"), "Disabled");
      assert.deepEqual(input(account, "networkRuleSet"), {
        defaultAction: "Deny",
        bypass: "AzureServices",
        ipRules: [],
        virtualNetworkRules: [],
      });
      assert.equal(input(account, "sku.name"), "Standard_ZRS");
      assert.equal(input(account, "encryption.keySource"), "Microsoft.Keyvault");
      assert.equal(
        input(account, "encryption.keyVaultProperties.keyName"),
        byName(resources, "platform-cmk-storage-key").inputs.keyName,
      );
      assert.equal(account.protect, prod);
      assert.equal(account.retainOnDelete === true, prod);
      const pe = byName(resources, "platform-flowlog-blob-pep");
      assert.deepEqual(
        (pe.inputs.privateLinkServiceConnections as { privateLinkServiceId: string; groupIds: string[] }[]).map((c) => [
          c.privateLinkServiceId,
          c.groupIds,
        ]),
        [[account.id, ["blob"]]],
      );
      const locks = ofType(resources, "azure-native:authorization:ManagementLockByScope").filter(
        (l) => l.inputs.scope === account.id,
      );
      assert.equal(locks.length, prod ? 1 : 0);
      const blob = byName(resources, "platform-flowlog-blob");
      assert.deepEqual(blob.inputs.deleteRetentionPolicy, { enabled: true, days: 30, allowPermanentDelete: false });
    });

    it("the writer holds Storage Blob Data Contributor on the network group, the flow log waits for it to propagate; admins read", () => {
      const writer = byName(resources, "platform-flowlog-id");
      const log = byName(resources, "platform-flowlog");
      const grants = ofType(resources, "azure-native:authorization:RoleAssignment");
      const writes = grants.find((g) => g.name === "platform-flowlog-ra-flow-log-writer");
      assert.ok(writes);
      assert.equal(writes.inputs.principalId, writer.outputs.principalId);
      assert.match(String(writes.inputs.roleDefinitionId), new RegExp(`${BuiltInRoles.StorageBlobDataContributor}$`));
      assert.equal(writes.inputs.scope, byName(resources, "platform-rg-network").id);
      const wait = byName(resources, "platform-flowlog-grant-propagation");
      assert.ok(log.dependencies.includes(wait.urn));
      assert.ok(waitsFor(resources, wait, writes));
      const reads = grants.find((g) => g.name === "platform-flowlog-ra-platform-admins-flow-log-reader");
      assert.ok(reads);
      assert.equal(reads.inputs.scope, byName(resources, "platform-flowlog-st").id);
      assert.match(String(reads.inputs.roleDefinitionId), new RegExp(`${BuiltInRoles.StorageBlobDataReader}$`));
    });

    it("nothing joins the VNet before its flow log exists (private endpoints, the gateway, the apps, the firewall)", () => {
      const log = byName(resources, "platform-flowlog");
      const vnet = byName(resources, "platform-vnet");
      assert.ok(waitsFor(resources, log, vnet), "the flow log targets the VNet once it exists");
      const joiners = [
        ...ofType(resources, "azure-native:network:PrivateEndpoint"),
        ...ofType(resources, "azure-native:network:ApplicationGateway"),
        ...ofType(resources, "azure-native:web:WebApp"),
        ...ofType(resources, "azure-native:network:AzureFirewall"),
      ];
      assert.ok(joiners.length > 10);
      for (const j of joiners) assert.ok(waitsFor(resources, j, log), `${j.name} waits for the flow log`);
      // And the flow log waits for none of them (no cycle through the deferred output).
      for (const j of joiners) assert.ok(!waitsFor(resources, log, j), `the flow log does not wait for ${j.name}`);
    });
  });
}

describe("VNet flow logs: config", () => {
  it("defaults: the workspace's retention up to Network Watcher's 365 days, hourly traffic analytics, the region's watcher", () => {
    const dev = configOf("dev");
    assert.deepEqual(flowLogSettings(dev), {
      retentionDays: dev.logRetentionDays,
      trafficAnalyticsIntervalMinutes: 60,
      networkWatcherName: "NetworkWatcher_westeurope",
      networkWatcherResourceGroup: "NetworkWatcherRG",
    });
    assert.equal(flowLogSettings({ ...dev, logRetentionDays: 730 }).retentionDays, MAX_FLOW_LOG_RETENTION_DAYS);
    const set = flowLogSettings({
      ...dev,
      flowLogs: {
        retentionDays: 120,
        trafficAnalyticsIntervalMinutes: 10,
        networkWatcherName: "nw-hub-weu",
        networkWatcherResourceGroup: "rg-network-watchers",
      },
    });
    assert.deepEqual(set, {
      retentionDays: 120,
      trafficAnalyticsIntervalMinutes: 10,
      networkWatcherName: "nw-hub-weu",
      networkWatcherResourceGroup: "rg-network-watchers",
    });
  });

  it("refuses a retention outside 1 to 365 days, or under the environment's PCI DSS minimum, naming the key", () => {
    const raw = (stack: "dev" | "prod", flowLogs: Record<string, unknown>) => ({ ...rawOf(stack), flowLogs });
    rejectsConfig(
      raw("dev", { retentionDays: 400 }),
      "dev",
      /flowLogs \(retentionDays\): got 400; must be between 1 and 365/,
    );
    rejectsConfig(
      raw("dev", { retentionDays: 30 }),
      "dev",
      /flowLogs \(retentionDays\).*must be at least 90 days in dev \(PCI DSS 10\.5\.1\)/,
    );
    rejectsConfig(
      raw("prod", { retentionDays: 180 }),
      "prod",
      /flowLogs \(retentionDays\).*must be at least 365 days in prod/,
    );
    assert.equal(parseConfig(raw("prod", { retentionDays: 365 }), "prod").flowLogs.retentionDays, 365);
  });

  it("refuses another traffic analytics interval, or a misspelt setting, naming the allowed values", () => {
    const raw = (flowLogs: Record<string, unknown>) => ({ ...rawOf("dev"), flowLogs });
    rejectsConfig(
      raw({ trafficAnalyticsIntervalMinutes: 30 }),
      "dev",
      /flowLogs \(trafficAnalyticsIntervalMinutes\): got 30; must be 60 \(traffic analytics every hour\), 10 \(every 10 minutes\) or 0 \(no traffic analytics\)/,
    );
    rejectsConfig(raw({ retentionDay: 90 }), "dev", /flowLogs.*retentionDay/);
    rejectsConfig(
      raw({ networkWatcherResourceGroup: "bad/name" }),
      "dev",
      /networkWatcherResourceGroup.*resource group name/,
    );
  });

  it("no traffic analytics: the flow log goes to storage only", () => {
    const inputs = flowLogInputs({
      flowLogName: "fl",
      location: "westeurope",
      settings: { ...flowLogSettings(configOf("dev")), trafficAnalyticsIntervalMinutes: 0 },
      vnetId: "vnet",
      storageAccountId: "st",
      identityId: "id",
      workspace: { id: "ws", customerId: "guid", location: "westeurope" },
      tags: {},
    });
    assert.deepEqual(inputs.flowAnalyticsConfiguration, {
      networkWatcherFlowAnalyticsConfiguration: { enabled: false },
    });
  });
});

describe("VNet flow logs: cost", () => {
  const AN = "azure-native";
  const usage = (over: Partial<UsageConfig> = {}): UsageConfig => ({ ...DEFAULT_USAGE, ...over });
  const account = resourceRecord(`${AN}:storage:StorageAccount`, "flow-st", {
    accountName: "stflow",
    sku: { name: "Standard_ZRS" },
    accessTier: "Hot",
  });
  const blob = resourceRecord(`${AN}:storage:BlobServiceProperties`, "flow-blob", {
    accountName: "stflow",
    deleteRetentionPolicy: { enabled: true, days: 30 },
  });
  const workspace = resourceRecord(`${AN}:operationalinsights:Workspace`, "ws", {
    workspaceName: "log",
    retentionInDays: 365,
  });
  const log = (interval: number | undefined, days = 365) =>
    resourceRecord(
      FLOW_LOG,
      "flow",
      {
        enabled: true,
        retentionPolicy: { enabled: true, days },
        storageId: "unknown",
        flowAnalyticsConfiguration: {
          networkWatcherFlowAnalyticsConfiguration:
            interval === undefined ? { enabled: false } : { enabled: true, trafficAnalyticsInterval: interval },
        },
      },
      { propertyDependencies: { storageId: [account.urn], flowAnalyticsConfiguration: [workspace.urn] } },
    );
  const lineOf = (e: Estimate, priceId: string) => e.lines.filter((l) => l.priceId === priceId);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 0.015, `${a} ≉ ${b}`);

  it("prices the GB collected past the free 5, traffic analytics' processing and ingestion, and a year of blobs", () => {
    const e = estimate([account, blob, workspace, log(60)], { stack: "t", usage: usage({ flowLogGbPerDay: 2 }) });
    const gbMonth = 2 * DAYS_PER_MONTH;
    close(
      lineOf(e, "network-flow-logs")[0].list,
      (gbMonth - FREE_FLOW_LOG_GB_PER_MONTH) * price("network-flow-logs").list,
    );
    close(lineOf(e, "traffic-analytics-60")[0].list, gbMonth * 2.3);
    const ingested = gbMonth * TRAFFIC_ANALYTICS_INGESTED_SHARE;
    const ingestion = lineOf(e, "log-analytics-ingestion").filter((l) => l.name === "flow");
    close(ingestion[0].list, ingested * price("log-analytics-ingestion").list);
    // Retention beyond the 31 included days, at steady state.
    close(
      lineOf(e, "log-analytics-retention").filter((l) => l.name === "flow")[0].quantity,
      (ingested / DAYS_PER_MONTH) * (365 - 31),
    );
    // 365 days of 2 GB, and 30 more of soft-deleted blobs, at the account's hot ZRS price; the account itself is free.
    const stored = lineOf(e, "storage-hot-ZRS").filter((l) => l.name === "flow");
    close(stored[0].quantity, 2 * (365 + 30));
    assert.ok(e.free.some((f) => f.name === "flow-st" && /VNet flow logs'/.test(f.reason)));
    // Totals are the sum of the lines.
    close(
      e.total.list,
      e.lines.reduce((s, l) => s + l.list, 0),
    );
  });

  it("a GB more a day adds exactly its collection, processing, ingestion and storage", () => {
    const at = (gb: number) =>
      estimate([account, blob, workspace, log(60)], { stack: "t", usage: usage({ flowLogGbPerDay: gb }) }).total.list;
    const perGb =
      DAYS_PER_MONTH * (0.5 + 2.3 + TRAFFIC_ANALYTICS_INGESTED_SHARE * price("log-analytics-ingestion").list) +
      TRAFFIC_ANALYTICS_INGESTED_SHARE * (365 - 31) * price("log-analytics-retention").list +
      (365 + 30) * price("storage-hot-ZRS").list;
    close(at(3) - at(2), perGb);
  });

  it("the 10-minute interval at its own rate; none without traffic analytics; under 5 GB a month nothing collected is billed", () => {
    const ten = estimate([account, blob, workspace, log(10)], { stack: "t", usage: usage({ flowLogGbPerDay: 1 }) });
    close(lineOf(ten, "traffic-analytics-10")[0].list, DAYS_PER_MONTH * 3.5);
    const none = estimate([account, blob, workspace, log(undefined)], {
      stack: "t",
      usage: usage({ flowLogGbPerDay: 0.1 }),
    });
    assert.deepEqual(lineOf(none, "traffic-analytics-60"), []);
    assert.equal(lineOf(none, "network-flow-logs")[0].list, 0);
  });

  it("says why it cannot price a flow log kept for ever, or a disabled one costs nothing", () => {
    const forever = estimate([account, blob, workspace, log(60, 0)], { stack: "t", usage: usage() });
    assert.match(forever.notEstimated.find((n) => n.name === "flow")?.reason ?? "", /keeps the logs for ever/);
    const off = { ...log(60), inputs: { ...log(60).inputs, enabled: false } };
    const disabled = estimate([account, blob, workspace, off], { stack: "t", usage: usage() });
    assert.match(disabled.free.find((f) => f.name === "flow")?.reason ?? "", /disabled/);
  });
});
