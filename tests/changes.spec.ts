import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  blocking,
  blockingTitle,
  CHECKED_AT_DEPLOY,
  DISRUPTIVE_UPDATES,
  DATA_TYPES,
  formatChanges,
  pathSegments,
  plannedChanges,
} from "../tools/lib/changes";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { toStackExport } from "../tools/lib/preview";
import { tableRetentionTemplate } from "../components/operations/retention";
import { previewOf } from "./helpers/stacks";

const ROOT = path.resolve(__dirname, "..");
const P = "urn:pulumi:prod::payments-data-platform::";
const rec = (type: string, name: string, extra: Partial<ResourceRecord> = {}): ResourceRecord => ({
  urn: `${P}${type}::${name}`,
  type,
  name,
  custom: true,
  id: `/subscriptions/s/resourceGroups/rg/providers/x/${name}`,
  dependencies: [],
  propertyDependencies: {},
  inputs: { location: "westeurope" },
  outputs: {},
  protect: false,
  ...extra,
});

describe("npm run changes: what a change deletes or replaces in Azure, from two exports", () => {
  const pool = rec("azure-native:synapse:SqlPool", "olap-pool", {
    protect: true,
    inputs: { location: "westeurope", storageAccountType: "LRS", sku: { name: "DW100c" } },
    replaceOnChanges: ["storageAccountType", "collation"],
  });
  const lake = rec("azure-native:storage:StorageAccount", "olap-lake", {
    inputs: { location: "westeurope", isHnsEnabled: true, tags: { a: "1" } },
  });
  const rule = rec("azure-native:network:SecurityRule", "rule", { inputs: { location: "westeurope", priority: 100 } });
  const component = rec("payments:olap:Olap", "olap", { custom: false });
  const provider = rec("pulumi:providers:azure-native", "default");

  it("lists a resource in Azure the head no longer has as deleted, a retained one as forgotten, never a component, provider or local one", () => {
    const sleep = rec("time:index/sleep:Sleep", "platform-grant-propagation");
    const retained = { ...rec("azure-native:network:FlowLog", "platform-flow-log"), retainOnDelete: true };
    const group = rec("azuread:index/group:Group", "platform-group-admins");
    const changes = plannedChanges(
      [pool, lake, rule, component, provider, sleep, retained, group],
      [pool, lake, group],
    );
    assert.deepEqual(
      changes.map((c) => [c.kind, c.name, c.protected, c.stateful]),
      [
        ["delete", "rule", false, false],
        ["forget", "platform-flow-log", false, false],
      ],
    );
  });

  it("lists a rename without an alias (same Azure id under a new URN) first, and a rename through an alias not at all", () => {
    const key = {
      ...rec("azure-native:keyvault:Key", "platform-cmk-sql-key"),
      id: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/cmk-sql",
      protect: true,
      retainOnDelete: true,
    };
    const renamed = {
      ...key,
      urn: key.urn.replace("::platform-cmk-sql-key", "::platform-key-sql"),
      name: "platform-key-sql",
    };
    const [r] = plannedChanges([key], [renamed]);
    assert.deepEqual([r.kind, r.protected, r.stateful, r.renamedTo?.name], ["rename", true, true, "platform-key-sql"]);
    assert.ok(blocking(r));
    const text = formatChanges([...plannedChanges([rule], []), r], "prod", false);
    assert.match(
      text,
      /^ {2}1 of them would fail `pulumi up` or delete what a rename meant to keep: fix them before merging\.\n {2}platform-cmk-sql-key \(azure-native:keyvault:Key\): renamed to platform-key-sql without an alias: .*add aliases: \[\{ name: "platform-cmk-sql-key" \}\] to the new one/m,
    );
    // With the alias the program declares (kept in the offline export): a move, nothing listed.
    assert.deepEqual(plannedChanges([key], [{ ...renamed, aliases: [key.urn] }]), []);
    // A move that also changes the Azure name is a replacement of the moved resource (Pulumi diffs it after the move).
    const movedAndRenamed = { ...renamed, aliases: [key.urn], id: key.id.replace("cmk-sql", "cmk-sql-2") };
    assert.deepEqual(
      plannedChanges([key], [movedAndRenamed]).map((c) => [c.kind, c.name, c.because]),
      [["replace", "platform-cmk-sql-key", ["id"]]],
    );
    // Only a resource new to the head moves another: an alias on one the base already had hides no deletion.
    const kept = { ...rule, aliases: [key.urn] };
    assert.deepEqual(
      plannedChanges([key, rule], [kept]).map((c) => c.kind),
      ["forget"],
    );
    // Pulumi's path syntax: dots, indexes, `[*]`, quoted keys.
    assert.deepEqual(pathSegments("a.b[0].c"), ["a", "b", "0", "c"]);
    assert.deepEqual(pathSegments('tags["cost-center"]'), ["tags", "cost-center"]);
    assert.deepEqual(pathSegments("rules[*].name"), ["rules", "*", "name"]);
    const ruled = { ...key, ignoreChanges: ["rules[*].name"], inputs: { rules: [{ name: "a", port: 1 }] } };
    assert.deepEqual(plannedChanges([ruled], [{ ...ruled, inputs: { rules: [{ name: "b", port: 1 }] } }]), []);
    assert.deepEqual(
      plannedChanges([ruled], [{ ...ruled, inputs: { rules: [{ name: "b", port: 2 }] } }]).map((c) => c.kind),
      ["update"],
      "an ignored element's other fields still count",
    );
    // An ignored path that the provider replaces on replaces nothing.
    const placed = { ...key, ignoreChanges: ["location"], inputs: { location: "westeurope" } };
    assert.deepEqual(plannedChanges([placed], [{ ...placed, inputs: { location: "northeurope" } }]), []);
    // A change at a path the program ignores (ignoreChanges) is no update: Pulumi sends the old value.
    const ignoring = { ...key, ignoreChanges: ["tags"] };
    assert.deepEqual(plannedChanges([ignoring], [{ ...ignoring, inputs: { ...key.inputs, tags: { a: "c" } } }]), []);
    // An in-place update of a protected resource is not blocking (only its deletion, replacement or a rename are).
    const tagged = { ...key, inputs: { ...key.inputs, tags: { a: "b" } } };
    const [update] = plannedChanges([key], [tagged]);
    assert.equal(update.kind, "update");
    assert.ok(!blocking(update));
    // A Cosmos DB container is data, too.
    assert.ok(DATA_TYPES.includes("azure-native:cosmosdb:SqlResourceSqlContainer"));
  });

  it("lists a replacement by a new Azure id, a declared replaceOnChanges path, or the provider's own", () => {
    const moved = { ...lake, id: lake.id!.replace("olap-lake", "olap-lake2") };
    const geo = { ...pool, inputs: { ...pool.inputs, storageAccountType: "GRS" } };
    const flat = { ...lake, inputs: { ...lake.inputs, isHnsEnabled: false } };
    const north = { ...rule, inputs: { ...rule.inputs, location: "northeurope" } };
    assert.deepEqual(
      plannedChanges([pool, lake, rule], [geo, moved, north]).map((c) => [c.kind, c.name, c.because]),
      [
        ["replace", "olap-pool", ["storageAccountType"]],
        ["replace", "olap-lake", ["id"]],
        ["replace", "rule", ["location"]],
      ],
    );
    assert.deepEqual(plannedChanges([lake], [flat])[0].because, ["isHnsEnabled"]);
    // An in-place change (a SKU, a tag), the id's letter case, or an unchanged object in another key order: nothing.
    const scaled = { ...pool, inputs: { storageAccountType: "LRS", sku: { name: "DW500c" }, location: "westeurope" } };
    const tagged = { ...lake, id: lake.id!.toUpperCase(), inputs: { ...lake.inputs, tags: { a: "2" } } };
    assert.deepEqual(
      plannedChanges([pool, lake], [scaled, tagged]).map((c) => [c.kind, c.name]),
      [
        ["update", "olap-pool"],
        ["update", "olap-lake"],
      ],
    );
    assert.deepEqual(plannedChanges([pool, lake], [pool, { ...lake, id: lake.id!.toUpperCase() }]), []);
  });

  it("names what the head updates in place, and says a model change reaches the databases with the deploy", () => {
    const pipeline = (name: string, text: string) => ({
      ...rec("azure-native:datafactory:Pipeline", name),
      inputs: { activities: [{ text }] },
    });
    const base = [pipeline("etl-pl-etl_schema_deploy_warehouse_1", "a"), pipeline("etl-pl-etl_other", "x")];
    const head = [pipeline("etl-pl-etl_schema_deploy_warehouse_1", "a, Channel"), pipeline("etl-pl-etl_other", "x")];
    const changes = plannedChanges(base, head);
    assert.deepEqual(
      changes.map((c) => [c.kind, c.name]),
      [["update", "etl-pl-etl_schema_deploy_warehouse_1"]],
    );
    const md = formatChanges(changes, "dev", true);
    assert.match(md, /Nothing this change deletes or replaces/);
    assert.match(
      md,
      /Updated in place \(1\): `etl-pl-etl_schema_deploy_warehouse_1` \(`azure-native:datafactory:Pipeline`\)\./,
    );
    assert.match(
      md,
      /\*\*The data model changes\*\*: .*full reload is requested after the deploy \(pipelines\/README\.md, "Changing the schema later"\)/,
    );
    // Another pipeline's update carries no such notice.
    const other = formatChanges(
      plannedChanges([pipeline("etl-pl-etl_other", "x")], [pipeline("etl-pl-etl_other", "y")]),
      "dev",
      false,
    );
    assert.match(other, /Updated in place \(1\): etl-pl-etl_other/);
    assert.doesNotMatch(other, /data model changes/);
    assert.ok(!changes.some(blocking));
  });

  it("names the updates a preview of the deployed stack checks against Azure first, with the inputs it compares", () => {
    const container = (max: number, ttl: number) =>
      rec("azure-native:cosmosdb:SqlResourceSqlContainer", "nosql-sessions", {
        inputs: {
          resource: { id: "sessions", defaultTtl: ttl },
          options: { autoscaleSettings: { maxThroughput: max } },
        },
      });
    const vnet = (prefix: string) =>
      rec("azure-native:network:VirtualNetwork", "platform-vnet", {
        inputs: {
          location: "westeurope",
          subnets: [{ name: "snet-private-endpoints", addressPrefix: prefix }],
          tags: { a: "1" },
        },
      });
    const changes = plannedChanges(
      [container(15_000, 1800), vnet("10.20.0.0/24"), rule],
      [container(10_000, 1800), vnet("10.20.1.0/24"), { ...rule, inputs: { location: "westeurope", priority: 101 } }],
    );
    assert.deepEqual(
      changes.map((c) => [c.name, c.checked]),
      [
        ["nosql-sessions", ["options"]],
        ["platform-vnet", ["subnets"]],
        ["rule", undefined],
      ],
    );
    const md = formatChanges(changes, "prod", true);
    assert.match(
      md,
      /\*\*Checked against Azure at deploy\*\*: `nosql-sessions` \(options\), `platform-vnet` \(subnets\)\. A preview or `up` of the deployed stack \(prod's `preview-prod` before the approval, dev's `up`\) compares these changes with what is deployed/,
    );
    // An update of a checked type elsewhere (the container's TTL, the VNet's tags) carries no such notice.
    const elsewhere = formatChanges(
      plannedChanges([container(15_000, 1800)], [container(15_000, 3600)]),
      "prod",
      false,
    );
    assert.match(elsewhere, /Updated in place \(1\): nosql-sessions/);
    assert.doesNotMatch(elsewhere, /Checked against Azure/);
  });

  it("names the in-place updates that interrupt a service, with what Azure does, and no other", () => {
    const db = (sku: string, tags: Record<string, string> = {}) =>
      rec("azure-native:sql:Database", "oltp-db", { inputs: { sku: { name: sku, capacity: 8 }, tags } });
    const plan = (zoneRedundant: boolean) =>
      rec("azure-native:web:AppServicePlan", "ingestion-payapi-plan", {
        inputs: { zoneRedundant, kind: "functionapp" },
      });
    const changes = plannedChanges([db("BC_Gen5"), plan(false)], [db("GP_Gen5"), plan(true)]);
    assert.deepEqual(
      changes.map((c) => [c.name, c.disrupts?.map((d) => d.path)]),
      [
        ["oltp-db", ["sku"]],
        ["ingestion-payapi-plan", ["zoneRedundant"]],
      ],
    );
    const md = formatChanges(changes, "prod", true);
    assert.match(
      md,
      /\*\*Interrupts a service\*\* \(deploy in a quiet window\): `oltp-db` \(sku\) drops its connections when the new size takes over .*; `ingestion-payapi-plan` \(zoneRedundant\) restarts its app/,
    );
    // A tag change of the same database interrupts nothing.
    const tagsOnly = plannedChanges([db("BC_Gen5")], [db("BC_Gen5", { owner: "x" })]);
    assert.equal(tagsOnly[0].disrupts, undefined);
    assert.doesNotMatch(formatChanges(tagsOnly, "prod", false), /Interrupts a service/);
  });

  it("names the tables a table-retention deployment stops setting, updated or deleted, with the command that resets them", () => {
    const deployment = (...tables: string[]) =>
      rec("azure-native:resources:Deployment", "operations-table-retention", {
        inputs: {
          resourceGroupName: "rg-pay-prod-weu-monitoring",
          properties: {
            mode: "Incremental",
            template: tableRetentionTemplate(tables, 92, 365),
            parameters: { workspaceName: { value: "log-pay-prod-weu" } },
          },
        },
      });
    const both = deployment("AzureDiagnostics", "SQLSecurityAuditEvents");
    const reset =
      "az monitor log-analytics workspace table update -g rg-pay-prod-weu-monitoring --workspace-name log-pay-prod-weu -n <table> --retention-time -1 --total-retention-time -1";
    const [narrowed] = plannedChanges([both], [deployment("AzureDiagnostics")]);
    assert.equal(narrowed.kind, "update");
    assert.deepEqual(narrowed.leaves, { tables: ["SQLSecurityAuditEvents"], reset });
    assert.match(
      formatChanges([narrowed], "prod", false),
      /Tables left at their retention: SQLSecurityAuditEvents keeps its long-term retention in Azure, which nothing then follows: return each to the workspace's in the same change \(az monitor log-analytics workspace table update .* --retention-time -1 --total-retention-time -1; docs\/operations\.md, "Long-term retention of the busiest tables"\) \(operations-table-retention no longer sets them\)/,
    );
    const [dropped] = plannedChanges([both], []);
    assert.equal(dropped.kind, "delete");
    assert.deepEqual(dropped.leaves?.tables, ["AzureDiagnostics", "SQLSecurityAuditEvents"]);
    assert.match(
      formatChanges([dropped], "prod", true),
      /`operations-table-retention` \(`azure-native:resources:Deployment`\): deleted; `AzureDiagnostics`, `SQLSecurityAuditEvents` keep their long-term retention in Azure/,
    );
    // Another table added, the days changed, or another deployment: nothing is left behind.
    assert.equal(
      plannedChanges([both], [deployment("AzureDiagnostics", "SQLSecurityAuditEvents", "AZKVAuditLogs")])[0].leaves,
      undefined,
    );
    assert.equal(plannedChanges([deployment("AzureDiagnostics")], [both])[0].leaves, undefined);
    const other = rec("azure-native:resources:Deployment", "olap-sql-security", {
      inputs: { properties: { template: { resources: [{ type: "Microsoft.Synapse/workspaces/keys", name: "k" }] } } },
    });
    assert.equal(plannedChanges([other], [])[0].leaves, undefined);
  });

  it("the disruptive updates name types and inputs the stacks have", async function () {
    this.timeout(300_000);
    const resources = [...(await previewOf("dev")).run.resources, ...(await previewOf("prod")).run.resources];
    for (const [type, paths] of Object.entries(DISRUPTIVE_UPDATES)) {
      const ofType = resources.filter((r) => r.type === type);
      assert.ok(ofType.length > 0, `${type}: no resource of this type in dev or prod`);
      // dhcpOptions is sent in the central DNS mode only (neither committed stack): the type is enough there.
      for (const p of Object.keys(paths).filter((k) => k !== "dhcpOptions"))
        assert.ok(
          ofType.some((r) => p in r.inputs),
          `${type}: no resource of dev or prod has the input ${p}`,
        );
    }
  });

  it("a check scoped to one resource names its update only (the lake's SKU, not another account's)", () => {
    const account = (name: string, sku: string) =>
      rec("azure-native:storage:StorageAccount", name, { inputs: { sku: { name: sku }, kind: "StorageV2" } });
    const changes = plannedChanges(
      [account("olap-lake", "Standard_ZRS"), account("ml-storage", "Standard_ZRS")],
      [account("olap-lake", "Standard_GZRS"), account("ml-storage", "Standard_GZRS")],
    );
    assert.deepEqual(
      changes.map((c) => [c.name, c.checked]),
      [
        ["olap-lake", ["sku"]],
        ["ml-storage", undefined],
      ],
    );
  });

  it("the checked inputs name types and inputs the stacks have (no typo hides a check from the notice)", async function () {
    this.timeout(300_000);
    const resources = [...(await previewOf("dev")).run.resources, ...(await previewOf("prod")).run.resources];
    for (const [key, paths] of Object.entries(CHECKED_AT_DEPLOY)) {
      const [type, name] = key.split("::");
      const ofType = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
      assert.ok(ofType.length > 0, `${key}: no resource of this type${name ? " and name" : ""} in dev or prod`);
      for (const p of paths)
        assert.ok(
          ofType.some((r) => p in r.inputs),
          `${key}: no resource of dev or prod has the input ${p}`,
        );
    }
  });

  describe("deletions under a management lock", () => {
    const VAULT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv";
    const ACCOUNT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st";
    const vault = { ...rec("azure-native:keyvault:Vault", "platform-kv"), id: VAULT, protect: true };
    const lockOn = (name: string, scope: string) =>
      rec("azure-native:authorization:ManagementLockByScope", name, {
        id: `${scope}/providers/Microsoft.Authorization/locks/do-not-delete`,
        inputs: { scope, level: "CanNotDelete" },
      });
    const lock = lockOn("platform-kv-lock", VAULT);
    const under = (type: string, name: string, path: string, extra: Partial<ResourceRecord> = {}) =>
      rec(type, name, { id: `${VAULT.toUpperCase()}${path}`, ...extra });
    const grant = under(
      "azure-native:authorization:RoleAssignment",
      "platform-kv-ra-reader",
      "/providers/Microsoft.Authorization/roleAssignments/g",
      { inputs: { principalId: "p1" }, replaceOnChanges: ["principalId"] },
    );
    const diag = under(
      "azure-native:monitor:DiagnosticSetting",
      "platform-kv-diag",
      "/providers/Microsoft.Insights/diagnosticSettings/d",
      { retainOnDelete: true },
    );
    const key = under("azure-native:keyvault:Key", "platform-key", "/keys/k");
    const elsewhere = rec("azure-native:authorization:RoleAssignment", "other-ra", {
      id: `${VAULT}2/providers/Microsoft.Authorization/roleAssignments/g`,
    });
    const names = (c: { readonly locked?: readonly { readonly name: string }[] }) => c.locked?.map((l) => l.name);

    it("marks a deletion under a locked resource blocking, even with the lock dropped in the same change", () => {
      const changes = plannedChanges([vault, lock, grant, diag, key, elsewhere], [vault]);
      assert.deepEqual(
        changes.map((c) => [c.kind, c.name, names(c), blocking(c)]),
        [
          // The lock's own deletion is not refused by itself.
          ["delete", "platform-kv-lock", undefined, false],
          ["delete", "platform-kv-ra-reader", ["platform-kv-lock"], true],
          // Kept in Azure: nothing is deleted. A key goes through the vault's data plane, which locks do not cover.
          ["forget", "platform-kv-diag", undefined, false],
          ["delete", "platform-key", undefined, false],
          ["delete", "other-ra", undefined, false],
        ],
      );
      const text = formatChanges(changes, "prod", false);
      assert.match(text, /1 of them would fail `pulumi up`/);
      assert.equal(blockingTitle(changes[1]), "deleted under the lock platform-kv-lock");
      assert.equal(blockingTitle({ ...changes[1], protected: true, kind: "replace" }), "protected resource replaced");
      assert.match(
        text,
        /platform-kv-ra-reader \(azure-native:authorization:RoleAssignment\): deleted; under the lock platform-kv-lock \(on \/subscriptions\/s\/resourceGroups\/rg\/providers\/Microsoft\.KeyVault\/vaults\/kv\): Azure refuses its deletion \(ScopeLocked\), even with the lock dropped in the same change; lift it in an `up` of its own first/,
      );
    });

    it("marks a replacement and a rename under the lock, not the locked resource's own deletion (its lock goes first)", () => {
      const regranted = { ...grant, inputs: { principalId: "p2" } };
      const renamed = { ...grant, urn: `${grant.urn}-new`, name: "platform-kv-ra-reader-new" };
      const gone = { ...vault, protect: false };
      assert.deepEqual(
        [
          ...plannedChanges([vault, lock, grant], [vault, lock, regranted]),
          ...plannedChanges([vault, lock, grant], [vault, lock, renamed]),
          ...plannedChanges([gone, lock], []),
        ].map((c) => [c.kind, c.name, names(c), blocking(c)]),
        [
          ["replace", "platform-kv-ra-reader", ["platform-kv-lock"], true],
          ["rename", "platform-kv-ra-reader", ["platform-kv-lock"], true],
          ["delete", "platform-kv", undefined, false],
          ["delete", "platform-kv-lock", undefined, false],
        ],
      );
    });

    it("counts a lock the change adds (deletes run after creates), and names every lock above, outermost first", () => {
      assert.deepEqual(plannedChanges([vault, grant], [vault, lock]).map(names), [["platform-kv-lock"]]);
      // A lock the change moves elsewhere still holds its old scope while the deletion runs (one name each).
      const moved = { ...lock, inputs: { scope: `${VAULT}2`, level: "CanNotDelete" } };
      assert.deepEqual(
        plannedChanges([vault, lock, grant], [vault, moved])
          .filter((c) => c.name === grant.name)
          .map(names),
        [["platform-kv-lock"]],
      );
      const SERVER = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql";
      const DB = `${SERVER}/databases/db`;
      const setting = rec("azure-native:monitor:DiagnosticSetting", "db-diag", {
        id: `${DB}/providers/Microsoft.Insights/diagnosticSettings/d`,
      });
      const [change] = plannedChanges([lockOn("db-lock", DB), lockOn("server-lock", SERVER), setting], []).filter(
        (c) => c.name === "db-diag",
      );
      assert.deepEqual(names(change), ["server-lock", "db-lock"]);
      assert.equal(blockingTitle(change), "deleted under the locks server-lock, db-lock");
      assert.match(formatChanges([change], "prod", false), /lift them in an `up` of their own first/);
    });

    it("marks a private endpoint whose target is locked (its connection there goes with it)", () => {
      const endpoint = rec("azure-native:network:PrivateEndpoint", "lake-pep", {
        id: "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/pep",
        inputs: { privateLinkServiceConnections: [{ privateLinkServiceId: ACCOUNT, groupIds: ["blob"] }] },
      });
      const managed = rec("azure-native:datafactory:ManagedPrivateEndpoint", "etl-mpe-lake", {
        id: "/subscriptions/s/resourceGroups/etl/providers/Microsoft.DataFactory/factories/adf/managedVirtualNetworks/default/managedPrivateEndpoints/lake",
        inputs: { properties: { privateLinkResourceId: ACCOUNT, groupId: "dfs" } },
      });
      const accountLock = lockOn("lake-lock", ACCOUNT);
      assert.deepEqual(
        plannedChanges([accountLock, endpoint, managed], [accountLock]).map((c) => [c.name, names(c)]),
        [
          ["lake-pep", ["lake-lock"]],
          ["etl-mpe-lake", ["lake-lock"]],
        ],
      );
      assert.deepEqual(plannedChanges([endpoint, managed], []).map(names), [undefined, undefined]);
      // A manual connection (approved by hand on the target) goes with its endpoint the same way.
      const manual = rec("azure-native:network:PrivateEndpoint", "manual-pep", {
        id: "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/manual",
        inputs: { manualPrivateLinkServiceConnections: [{ privateLinkServiceId: ACCOUNT }] },
      });
      assert.deepEqual(plannedChanges([accountLock, manual], [accountLock]).map(names), [["lake-lock"]]);
      assert.match(
        formatChanges(plannedChanges([accountLock, endpoint], [accountLock]), "prod", false),
        /lake-pep \(azure-native:network:PrivateEndpoint\): deleted; its connection on its target goes with it, under the lock lake-lock/,
      );
    });

    it("asks nothing of a setting azure-native puts back to its default instead of deleting", () => {
      const blob = rec("azure-native:storage:BlobServiceProperties", "lake-blob", {
        id: `${ACCOUNT}/blobServices/default`,
      });
      const retention = rec("azure-native:sql:LongTermRetentionPolicy", "db-ltr", {
        id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql/databases/db/backupLongTermRetentionPolicies/default",
      });
      const locks = [
        lockOn("lake-lock", ACCOUNT),
        lockOn("server-lock", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql"),
      ];
      assert.deepEqual(plannedChanges([...locks, blob, retention], locks).map(names), [undefined, undefined]);
    });

    it("asks nothing of an update under the lock, nor of the locked resource's own update", () => {
      const changed = (r: ResourceRecord) => ({ ...r, inputs: { ...r.inputs, tags: { t: "2" } } });
      const changes = plannedChanges([vault, lock, grant], [changed(vault), lock, changed(grant)]);
      assert.deepEqual(
        changes.map((c) => [c.kind, c.name, c.locked]),
        [
          ["update", "platform-kv", undefined],
          ["update", "platform-kv-ra-reader", undefined],
        ],
      );
    });

    it("prod: dropping a diagnostic setting of a locked vault, or the lake's private endpoint, is blocking", async () => {
      const base = (await previewOf("prod")).run.resources;
      const dropped = base.filter((r) => r.name === "platform-kv-diag" || r.name === "olap-lake-blob-pep");
      assert.equal(dropped.length, 2);
      assert.deepEqual(
        plannedChanges(
          base,
          base.filter((r) => !dropped.includes(r)),
        )
          .filter((c) => c.kind === "delete" && dropped.some((d) => d.urn === c.urn))
          .map((c) => [c.name, names(c), blocking(c)]),
        [
          ["platform-kv-diag", ["platform-kv-lock"], true],
          ["olap-lake-blob-pep", ["olap-lake-lock"], true],
        ].sort((a, b) => base.findIndex((r) => r.name === a[0]) - base.findIndex((r) => r.name === b[0])),
      );
    });
  });

  it("says which are protected (the up refuses them) and stateful (their data goes), and when there are none", () => {
    const geo = { ...pool, inputs: { ...pool.inputs, storageAccountType: "GRS" } };
    const changes = plannedChanges([pool, rule], [geo]);
    const text = formatChanges(changes, "prod", false);
    assert.match(
      text,
      /olap-pool \(azure-native:synapse:SqlPool\): replaced \(storageAccountType\); stateful: its data goes with it; protected: `pulumi up` refuses it/,
    );
    assert.match(text, /rule \(azure-native:network:SecurityRule\): deleted$/m);
    assert.match(
      text,
      /2 resources, 1 stateful or protected\. A rename through an alias the program declares is a move, not listed/,
    );
    const md = formatChanges(changes, "prod", true);
    assert.match(
      md,
      /^### Deleted or replaced in Azure \(prod\)\n\n\*\*1 of them would fail `pulumi up`[^\n]*\*\*\n\n- `olap-pool` \(`azure-native:synapse:SqlPool`\): replaced/,
    );
    assert.match(formatChanges([], "dev", true), /Nothing this change deletes or replaces/);
  });

  it("runs as `npm run changes` over two export files, writes Markdown and JSON, exit 0; bad usage exit 2", async function () {
    this.timeout(60_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "changes-"));
    const run = (records: ResourceRecord[]) =>
      toStackExport({
        project: "payments-data-platform",
        stack: "prod",
        resources: records,
        stackOutputs: {},
        invokes: [],
        secrets: new Set<string>(),
      });
    fs.writeFileSync(path.join(tmp, "base.json"), JSON.stringify(run([pool, lake])));
    const geo = { ...pool, inputs: { ...pool.inputs, storageAccountType: "GRS" } };
    fs.writeFileSync(path.join(tmp, "head.json"), JSON.stringify(run([geo, lake])));
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          ["scripts/ts-run.cjs", "tools/changes.ts", ...args],
          { cwd: ROOT },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stdout, stderr }),
        ),
      );
    const md = path.join(tmp, "changes.md");
    const json = path.join(tmp, "changes.json");
    const [ok, bad] = await Promise.all([
      cli([
        "--base",
        path.join(tmp, "base.json"),
        "--head",
        path.join(tmp, "head.json"),
        "--markdown",
        md,
        "--json",
        json,
      ]),
      cli(["--base", path.join(tmp, "base.json")]),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /^Deleted or replaced in Azure \(prod\):\n {2}1 of them would fail `pulumi up`.*\n {2}olap-pool .*replaced \(storageAccountType\)/,
    );
    assert.match(fs.readFileSync(md, "utf8"), /- `olap-pool`/);
    assert.deepEqual(
      (JSON.parse(fs.readFileSync(json, "utf8")) as { name: string; kind: string }[]).map((c) => [c.kind, c.name]),
      [["replace", "olap-pool"]],
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--base and --head are required/);
  });
});
