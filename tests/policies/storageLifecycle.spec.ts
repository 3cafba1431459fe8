import { strict as assert } from "node:assert";
import { POLICY_NAME } from "../../policies/lib/policy";
import {
  lakeRawRetention,
  lifecycleDeleteBeforeRetention,
  reachesBlobType,
  reachesContainer,
  storageLifecyclePolicies,
} from "../../policies/rules/storageLifecycle";
import { resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { armId, RG_NAME } from "./fixtures/protection";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

const ACCOUNT_NAME = "stpayprodweuflow10b5";
const ACCOUNT_ID = armId("Microsoft.Storage", `storageAccounts/${ACCOUNT_NAME}`);

/** The flow log account, deployed (its id known). */
const account = (stack = "prod"): ResourceRecord =>
  resourceRecord(
    "azure-native:storage:StorageAccount",
    "platform-flowlog-st",
    { resourceGroupName: RG_NAME, accountName: ACCOUNT_NAME, id: ACCOUNT_ID },
    { stack },
  );
/** The VNet's flow log to that account, keeping `days` (0: no limit of its own). */
const flowLog = (days = 365, stack = "prod"): ResourceRecord =>
  resourceRecord(
    "azure-native:network:FlowLog",
    "platform-flowlog",
    { enabled: true, storageId: ACCOUNT_ID, retentionPolicy: { enabled: days > 0, days } },
    { stack },
  );
/** A lifecycle policy on the account with one rule deleting block blobs `days` after modification. */
const lifecycle = (days: number, prefixMatch?: string[], stack = "prod"): ResourceRecord =>
  resourceRecord(
    "azure-native:storage:ManagementPolicy",
    "platform-flowlog-lifecycle",
    {
      resourceGroupName: RG_NAME,
      accountName: ACCOUNT_NAME,
      managementPolicyName: "default",
      policy: {
        rules: [
          {
            name: "expire",
            enabled: true,
            type: "Lifecycle",
            definition: {
              filters: { blobTypes: ["blockBlob"], ...(prefixMatch ? { prefixMatch } : {}) },
              actions: {
                baseBlob: {
                  tierToCool: { daysAfterModificationGreaterThan: 30 },
                  delete: { daysAfterModificationGreaterThan: days },
                },
              },
            },
          },
        ],
      },
    },
    { stack },
  );

/**
 * A record created in a first preview with its account name taken from `account` (its path input is no output, and it
 * has no id yet: the dependency the engine records ties it to the account).
 */
const builtFrom = (r: ResourceRecord, account: ResourceRecord): ResourceRecord => ({
  ...r,
  dependencies: [account.urn],
  propertyDependencies: { accountName: [account.urn] },
});

describe("policies/storageLifecycle", () => {
  it("exports well-named stack policies with metadata", () => {
    assert.equal(storageLifecyclePolicies.length, 2);
    for (const p of storageLifecyclePolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  it("reads prefixMatch as container names or a container and a blob prefix", () => {
    assert.equal(reachesContainer([], "sqldbauditlogs"), true, "no prefix: the whole account");
    assert.equal(reachesContainer(["sqldbauditlogs/"], "sqldbauditlogs"), true);
    assert.equal(reachesContainer(["sql"], "sqldbauditlogs"), true, "the start of container names");
    assert.equal(reachesContainer(["sqldbauditlogs2/x"], "sqldbauditlogs"), false, "another container");
    assert.equal(reachesContainer(["raw/", "curated/"], "insights-logs-*"), false);
    assert.equal(reachesContainer(["insights-logs-flowlogflowevent/"], "insights-logs-*"), true);
    assert.equal(reachesContainer(["insights"], "insights-logs-*"), true);
    assert.equal(reachesContainer(["insights-logs-flow"], "insights-logs-*"), true);
    assert.equal(reachesContainer(["insights-metrics-pt1m/"], "insights-logs-*"), false);
  });

  describe(lifecycleDeleteBeforeRetention.name, () => {
    it("passes a delete at the production year on the flow log account", async () => {
      await expectPass(lifecycleDeleteBeforeRetention, [account(), flowLog(), lifecycle(365)]);
    });

    it("fails a delete 30 days after modification on the prod flow log account, naming the rule, the writer and the year", async () => {
      const r = await expectFail(
        lifecycleDeleteBeforeRetention,
        [account(), flowLog(), lifecycle(30)],
        /platform-flowlog-lifecycle .* deletes blobs of platform-flowlog-st .* 30 days after modification \(policy\.rules\[0\] "expire", definition\.actions\.baseBlob\.delete\.daysAfterModificationGreaterThan\), where platform-flowlog \(azure-native:network:FlowLog\) keeps its records \(insights-logs-\*\) 365 days: they must be kept at least 365 days/,
      );
      assert.equal(r.urn, lifecycle(30).urn);
    });

    it("holds dev to 90 days, and any stack to the writer's own longer retention", async () => {
      await expectPass(lifecycleDeleteBeforeRetention, [
        account("dev"),
        flowLog(90, "dev"),
        lifecycle(90, undefined, "dev"),
      ]);
      await expectFail(
        lifecycleDeleteBeforeRetention,
        [account("dev"), flowLog(90, "dev"), lifecycle(60, undefined, "dev")],
        /at least 90 days/,
      );
      await expectFail(
        lifecycleDeleteBeforeRetention,
        [account("dev"), flowLog(200, "dev"), lifecycle(120, undefined, "dev")],
        /keeps its records \(insights-logs-\*\) 200 days: they must be kept at least 200 days/,
      );
    });

    it("fails the creation and last-access conditions too", async () => {
      const policy = mutate(lifecycle(400), "policy.rules.0.definition.actions.baseBlob.delete", {
        daysAfterCreationGreaterThan: 100,
        daysAfterLastAccessTimeGreaterThan: 400,
      });
      await expectFail(lifecycleDeleteBeforeRetention, [account(), flowLog(), policy], /100 days after creation/);
      const access = mutate(lifecycle(400), "policy.rules.0.definition.actions.baseBlob.delete", {
        daysAfterLastAccessTimeGreaterThan: 7,
      });
      await expectFail(lifecycleDeleteBeforeRetention, [account(), flowLog(), access], /7 days after last access time/);
    });

    it("fails a delete on the SQL audit container of an account an enabled audit writes to, by its endpoint", async () => {
      const audit = resourceRecord(
        "azure-native:sql:ExtendedServerBlobAuditingPolicy",
        "oltp-sql-audit",
        { state: "Enabled", storageEndpoint: `https://${ACCOUNT_NAME}.blob.core.windows.net/`, retentionDays: 0 },
        { stack: "prod" },
      );
      // Audit records are append blobs: a rule on both types (on block blobs only it passes: see below).
      const both = mutate(lifecycle(180, ["sqldbauditlogs/"]), "policy.rules.0.definition.filters.blobTypes", [
        "blockBlob",
        "appendBlob",
      ]);
      await expectFail(
        lifecycleDeleteBeforeRetention,
        [account(), audit, both],
        /oltp-sql-audit .* keeps its records \(sqldbauditlogs\) with no limit of its own: they must be kept at least 365 days/,
      );
      await expectNotApplicable(lifecycleDeleteBeforeRetention, [account(), mutate(audit, "state", "Disabled"), both]);
    });

    it("reads a rule's blobTypes against the writer's documented blob type: flow logs block, SQL audits append", async () => {
      assert.equal(reachesBlobType(["blockblob"], "appendblob"), false);
      assert.equal(reachesBlobType(["blockblob", "appendblob"], "appendblob"), true);
      assert.equal(reachesBlobType(undefined, "blockblob"), true);
      assert.equal(reachesBlobType([], "blockblob"), true);
      assert.equal(reachesBlobType(["blockblob"], undefined), true);
      const onTypes = (policy: ResourceRecord, types: string[]) =>
        mutate(policy, "policy.rules.0.definition.filters.blobTypes", types);
      // NSG flow logs are block blobs: a 30-day delete of append blobs only leaves them alone, one naming block blobs
      // (in any case) does not. A VNet flow log's blob type is not documented: a rule on either type reaches it.
      const onTarget = (target: string) => mutate(flowLog(), "targetResourceId", target);
      const nsgFlowLog = onTarget(armId("Microsoft.Network", "networkSecurityGroups/nsg-pay-prod-weu-app"));
      const vnetFlowLog = onTarget(armId("Microsoft.Network", "virtualNetworks/vnet-pay-prod-weu"));
      await expectPass(lifecycleDeleteBeforeRetention, [account(), nsgFlowLog, onTypes(lifecycle(30), ["appendBlob"])]);
      await expectFail(
        lifecycleDeleteBeforeRetention,
        [account(), nsgFlowLog, onTypes(lifecycle(30), ["appendBlob", "BlockBlob"])],
        /30 days after modification/,
      );
      // Nor that of a VNet flow log on a subnet or a network interface.
      const subnetFlowLog = onTarget(
        armId("Microsoft.Network", "virtualNetworks/vnet-pay-prod-weu/subnets/snet-functions"),
      );
      const nicFlowLog = onTarget(armId("Microsoft.Network", "networkInterfaces/nic-ml-0"));
      for (const log of [vnetFlowLog, subnetFlowLog, nicFlowLog])
        for (const types of [["appendBlob"], ["blockBlob"]])
          await expectFail(
            lifecycleDeleteBeforeRetention,
            [account(), log, onTypes(lifecycle(30), types)],
            /30 days after modification/,
          );
      // SQL audit records are append blobs: the other way round.
      const audit = resourceRecord(
        "azure-native:sql:ExtendedServerBlobAuditingPolicy",
        "oltp-sql-audit",
        { state: "Enabled", storageEndpoint: `https://${ACCOUNT_NAME}.blob.core.windows.net/`, retentionDays: 0 },
        { stack: "prod" },
      );
      await expectPass(lifecycleDeleteBeforeRetention, [account(), audit, lifecycle(30, ["sqldbauditlogs/"])]);
      await expectFail(
        lifecycleDeleteBeforeRetention,
        [account(), audit, onTypes(lifecycle(30, ["sqldbauditlogs/"]), ["appendBlob"])],
        /oltp-sql-audit .* keeps its records \(sqldbauditlogs\)/,
      );
      // A diagnostic setting's blob type is not relied on: a rule on either type reaches its containers.
      const setting = resourceRecord(
        "azure-native:monitor:DiagnosticSetting",
        "platform-kv-diag",
        { resourceUri: armId("Microsoft.KeyVault", "vaults/kv"), storageAccountId: ACCOUNT_ID },
        { stack: "prod" },
      );
      for (const types of [["blockBlob"], ["appendBlob"]])
        await expectFail(
          lifecycleDeleteBeforeRetention,
          [account(), setting, onTypes(lifecycle(30, ["insights-logs-auditevent"]), types)],
          /platform-kv-diag/,
        );
    });

    it("fails a delete reaching a diagnostic setting's containers", async () => {
      const setting = resourceRecord(
        "azure-native:monitor:DiagnosticSetting",
        "platform-kv-diag",
        { resourceUri: armId("Microsoft.KeyVault", "vaults/kv"), storageAccountId: ACCOUNT_ID },
        { stack: "prod" },
      );
      await expectFail(
        lifecycleDeleteBeforeRetention,
        [account(), setting, lifecycle(30, ["insights-logs-auditevent/"])],
        /platform-kv-diag/,
      );
    });

    it("fails a delete reaching the activity log a subscription setting archives there (insights-activity-logs)", async () => {
      const activity = resourceRecord(
        "azure-native:monitor:SubscriptionDiagnosticSetting",
        "operations-activity-log",
        { storageAccountId: ACCOUNT_ID },
        { stack: "prod" },
      );
      await expectFail(
        lifecycleDeleteBeforeRetention,
        [account(), activity, lifecycle(30, ["insights-activity-logs/"])],
        /operations-activity-log .* keeps its records \(insights-activity-logs\) with no limit of its own: they must be kept at least 365 days/,
      );
      // Its prefix reaches neither the flow logs' containers nor the SQL audit's.
      await expectPass(lifecycleDeleteBeforeRetention, [
        account(),
        flowLog(),
        lifecycle(30, ["insights-activity-logs/"]),
      ]);
    });

    it("passes a short delete on containers without log records, a disabled rule, or an account no log goes to", async () => {
      await expectPass(lifecycleDeleteBeforeRetention, [account(), flowLog(), lifecycle(30, ["raw/", "staging/"])]);
      await expectPass(lifecycleDeleteBeforeRetention, [
        account(),
        flowLog(),
        mutate(lifecycle(30), "policy.rules.0.enabled", false),
      ]);
      await expectNotApplicable(lifecycleDeleteBeforeRetention, [account(), lifecycle(30)]);
      await expectNotApplicable(lifecycleDeleteBeforeRetention, [account(), flowLog(), otherResource()]);
    });

    it("is undecided while the policy's rules or a delete condition are unknown (a first preview)", async () => {
      await expectUndecided(lifecycleDeleteBeforeRetention, [
        account(),
        flowLog(),
        builtFrom(mutate(lifecycle(30), "policy.rules", UNKNOWN), account()),
      ]);
      await expectUndecided(lifecycleDeleteBeforeRetention, [
        account(),
        flowLog(),
        builtFrom(
          mutate(
            lifecycle(30),
            "policy.rules.0.definition.actions.baseBlob.delete.daysAfterModificationGreaterThan",
            UNKNOWN,
          ),
          account(),
        ),
      ]);
    });
  });
  describe(lakeRawRetention.name, () => {
    const LAKE = "stpayprodweulake10b5";
    const lake = (stack = "prod") =>
      resourceRecord(
        "azure-native:storage:StorageAccount",
        "olap-lake",
        { resourceGroupName: RG_NAME, accountName: LAKE, isHnsEnabled: true },
        { stack },
      );
    const raw = (stack = "prod") =>
      resourceRecord(
        "azure-native:storage:BlobContainer",
        "olap-fs-raw",
        { resourceGroupName: RG_NAME, accountName: LAKE, containerName: "raw" },
        { stack },
      );
    const zones = (rules: Record<string, unknown>[], stack = "prod") =>
      resourceRecord(
        "azure-native:storage:ManagementPolicy",
        "olap-lake-lifecycle",
        { resourceGroupName: RG_NAME, accountName: LAKE, managementPolicyName: "default", policy: { rules } },
        { stack },
      );
    const rule = (prefix: string, days?: number, enabled = true) => ({
      name: `${prefix}-tiering`,
      enabled,
      type: "Lifecycle",
      definition: {
        filters: { blobTypes: ["blockBlob"], prefixMatch: [prefix] },
        actions: {
          baseBlob: {
            tierToCool: { daysAfterModificationGreaterThan: 30 },
            ...(days === undefined ? {} : { delete: { daysAfterModificationGreaterThan: days } }),
          },
        },
      },
    });
    it("passes the lake's raw zone deleted after 395 days", () =>
      expectPass(lakeRawRetention, [lake(), raw(), zones([rule("raw/", 395), rule("curated/archive/")])]));
    it("fails raw data kept for ever (no delete, a disabled rule, no lifecycle policy) or longer than maxRetentionDays", async () => {
      await expectFail(
        lakeRawRetention,
        [lake(), raw(), zones([rule("raw/")])],
        /olap-lake .* keeps the blobs of 'raw\/' for ever/,
      );
      await expectFail(lakeRawRetention, [lake(), raw(), zones([rule("raw/", 30, false)])], /for ever/);
      await expectFail(lakeRawRetention, [lake(), raw()], /for ever/);
      await expectFail(
        lakeRawRetention,
        [lake(), raw(), zones([rule("raw/", 730)])],
        /keeps the blobs of 'raw\/' 730 days: .*at most 400 days/,
      );
      await expectPass(lakeRawRetention, [lake(), raw(), zones([rule("raw/", 730)])], { maxRetentionDays: 800 });
    });
    it("counts a rule over the whole account or a shorter prefix, not one over another container", async () => {
      await expectPass(lakeRawRetention, [
        lake(),
        raw(),
        zones([
          {
            ...rule("raw/", 100),
            definition: { actions: { baseBlob: { delete: { daysAfterCreationGreaterThan: 100 } } } },
          },
        ]),
      ]);
      await expectFail(lakeRawRetention, [lake(), raw(), zones([rule("staging/", 7)])], /for ever/);
    });
    it("counts only a rule naming block blobs (not append blobs only, not an empty list): the extracts are block blobs", async () => {
      const onTypes = (types: string[]) => ({
        ...rule("raw/", 100),
        definition: { ...rule("raw/", 100).definition, filters: { blobTypes: types, prefixMatch: ["raw/"] } },
      });
      await expectFail(lakeRawRetention, [lake(), raw(), zones([onTypes(["appendBlob"])])], /for ever/);
      await expectFail(lakeRawRetention, [lake(), raw(), zones([onTypes([])])], /for ever/);
      await expectUndecided(lakeRawRetention, [
        lake(),
        raw(),
        builtFrom(zones([onTypes(UNKNOWN as unknown as string[])]), lake()),
      ]);
      await expectPass(lakeRawRetention, [lake(), raw(), zones([onTypes(["appendBlob", "blockBlob"])])]);
    });
    it("is undecided while the rules are unknown; not applicable outside prodStacks or without a raw container", async () => {
      await expectUndecided(lakeRawRetention, [
        lake(),
        raw(),
        builtFrom(mutate(zones([]), "policy.rules", UNKNOWN), lake()),
      ]);
      await expectNotApplicable(lakeRawRetention, [lake("dev"), raw("dev")]);
      await expectNotApplicable(lakeRawRetention, [lake(), zones([])]);
    });
  });
});
