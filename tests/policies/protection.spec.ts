import { strict as assert } from "node:assert";
import {
  protectionPolicies,
  requireKeyIdentityProtection,
  requireManagementLock,
  requireMlWorkspaceDeleteGuard,
  requireProtect,
  requireWorkspaceDeleteGuard,
} from "../../policies/rules/protection";
import { POLICY_NAME } from "../../policies/lib/policy";
import { evaluatePolicy, resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { mlWorkspace } from "./fixtures/ml";
import { workspace, WORKSPACE_ID } from "./fixtures/monitor";
import { armId, protectionStack, RG_NAME } from "./fixtures/protection";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, inStack, mutate, UNKNOWN } from "./helpers";

/** Sentinel onboarded on `ws`, as a first preview records it (the workspace's name unknown, its dependency recorded). */
const onboardingOn = (ws: ResourceRecord) =>
  resourceRecord(
    "azure-native:securityinsights:SentinelOnboardingState",
    "operations-sentinel",
    { resourceGroupName: UNKNOWN, workspaceName: UNKNOWN, sentinelOnboardingStateName: "default" },
    { stack: "prod", propertyDependencies: { workspaceName: [ws.urn] }, dependencies: [ws.urn] },
  );

describe("policies/protection", () => {
  it("exports well-named policies with metadata", () => {
    assert.equal(protectionPolicies.length, 5);
    for (const p of protectionPolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  describe(requireProtect.name, () => {
    it("passes protected stateful resources in prod", async () => {
      const { sql, storage } = protectionStack();
      await expectPass(requireProtect, sql);
      await expectPass(requireProtect, storage);
      await expectPass(requireProtect, { ...inStack(workspace(), "prod"), protect: true });
    });
    it("fails an unprotected SQL server in prod", () =>
      expectFail(
        requireProtect,
        { ...protectionStack().sql, protect: false },
        /sql-pay-prod-weu .*in stack 'prod' is not protected: set the resource option `protect: true`/,
      ));
    it("fails an unprotected Azure ML workspace in prod (models, runs and lineage are stateful)", () =>
      expectFail(
        requireProtect,
        { ...mlWorkspace("prod"), protect: false },
        /mlw-pay-prod-weu \(azure-native:machinelearningservices:Workspace\) in stack 'prod' is not protected/,
      ));
    it("fails an unprotected Cosmos DB container or event hub in prod (the parent's protect does not cover them)", async () => {
      const child = (type: string, name: string, protect: boolean) => ({
        ...resourceRecord(type, name, { resourceGroupName: "rg" }, { stack: "prod" }),
        protect,
      });
      await expectFail(
        requireProtect,
        child("azure-native:cosmosdb:SqlResourceSqlContainer", "fraud_features", false),
        /fraud_features \(azure-native:cosmosdb:SqlResourceSqlContainer\) in stack 'prod' is not protected/,
      );
      await expectFail(
        requireProtect,
        child("azure-native:eventhub:EventHub", "api-logs", false),
        /api-logs \(azure-native:eventhub:EventHub\) in stack 'prod' is not protected/,
      );
      await expectPass(requireProtect, child("azure-native:eventhub:EventHub", "api-logs", true));
      // A deployment-package container is not data: not checked.
      await expectNotApplicable(requireProtect, child("azure-native:storage:BlobContainer", "app-package", false));
    });
    it("fails a prod SQL server with no protect option at all (absent means unprotected)", () => {
      const { protect: _protect, ...sql } = protectionStack().sql;
      return expectFail(requireProtect, sql as ResourceRecord, /sql-pay-prod-weu .*in stack 'prod' is not protected/);
    });
    it("fails an unprotected key vault, Cosmos DB account, Event Hubs namespace or Synapse SQL pool in prod", async () => {
      for (const type of [
        "azure-native:keyvault:Vault",
        "azure-native:cosmosdb:DatabaseAccount",
        "azure-native:eventhub:Namespace",
        "azure-native:synapse:SqlPool",
      ]) {
        const r = resourceRecord(type, "data-prod", { resourceGroupName: "rg" }, { stack: "prod" });
        await expectFail(requireProtect, r, new RegExp(`data-prod \\(${type}\\) in stack 'prod' is not protected`));
      }
    });
    it("is not applicable outside protectedStacks", () =>
      expectNotApplicable(requireProtect, { ...protectionStack("dev").sql, protect: false }));
    it("is not applicable to stateless types", () => expectNotApplicable(requireProtect, protectionStack().sqlLock));
    it("honours protectedStacks and resourceTypes", async () => {
      await expectFail(requireProtect, { ...protectionStack("staging").sql, protect: false }, /not protected/, {
        protectedStacks: ["staging", "prod"],
      });
      await expectNotApplicable(
        requireProtect,
        { ...protectionStack().sql, protect: false },
        {
          resourceTypes: ["azure-native:storage:StorageAccount"],
        },
      );
    });
    it("reports an exempted resource", async () => {
      const r = await evaluatePolicy(
        requireProtect,
        { ...protectionStack().sql, protect: false },
        {
          exemptions: [{ pattern: "sql-pay-prod-*", reason: "CHG-881: planned server migration this week" }],
        },
      );
      assert.deepEqual(r.messages, []);
      assert.equal(r.exemptions.length, 1);
    });
  });

  describe(requireManagementLock.name, () => {
    it("passes when each stateful resource has a lock wired to it (ids unknown)", () =>
      expectPass(requireManagementLock, protectionStack().all));
    it("fails a storage account without a lock, naming its URN", async () => {
      const { rg, sql, storage, sqlLock } = protectionStack();
      const r = await expectFail(
        requireManagementLock,
        [rg, sql, storage, sqlLock],
        /stpayprodweu \(urn:pulumi:prod::payments-data-platform::azure-native:storage:StorageAccount::stpayprodweu\) has no management lock/,
      );
      assert.equal(r.violations[0].urn, storage.urn);
    });
    it("matches through propertyDependencies only (no plain dependency)", () => {
      const { rg, sql, storage, sqlLock, storageLock } = protectionStack();
      const lock = { ...storageLock, dependencies: [] };
      return expectPass(requireManagementLock, [rg, sql, storage, sqlLock, lock]);
    });
    it("matches a ManagementLockByScope by id", () => {
      const { rg, sql, storage, sqlLock } = protectionStack();
      const id = armId("Microsoft.Storage", "storageAccounts/stpayprodweu");
      const st = { ...storage, outputs: { ...storage.outputs, id } };
      const byScope = resourceRecord(
        "azure-native:authorization:ManagementLockByScope",
        "lock-st-scope",
        { level: "CanNotDelete", scope: id },
        { stack: "prod" },
      );
      return expectPass(requireManagementLock, [rg, sql, st, sqlLock, byScope]);
    });
    it("does not count a lock on a child for its parent (a container's id starts with its account's)", async () => {
      const { rg, sql, storage, sqlLock } = protectionStack();
      const id = armId("Microsoft.Storage", "storageAccounts/stpayprodweu");
      const st = { ...storage, outputs: { ...storage.outputs, id } };
      const onChild = resourceRecord(
        "azure-native:authorization:ManagementLockByScope",
        "lock-st-container",
        { level: "CanNotDelete", scope: `${id}/blobServices/default/containers/raw` },
        { stack: "prod", dependencies: [st.urn] },
      );
      await expectFail(requireManagementLock, [rg, sql, st, sqlLock, onChild], /stpayprodweu .*has no management lock/);
      // While the scope is unknown (preview), the engine's property dependency on the account decides.
      const unknownScope = resourceRecord(
        "azure-native:authorization:ManagementLockByScope",
        "lock-st-unknown",
        { level: "CanNotDelete", scope: UNKNOWN },
        { stack: "prod", propertyDependencies: { scope: [st.urn] } },
      );
      await expectPass(requireManagementLock, [rg, sql, st, sqlLock, unknownScope]);
    });
    // A resource-level lock's group, namespace, parent path, type and name are path inputs, never outputs: once
    // deployed its id names what it locks; in a first preview, the dependency the engine recorded for its name.
    const resourceLock = (name: string, extra: Partial<ResourceRecord> & { preview?: boolean } = {}) =>
      resourceRecord(
        "azure-native:authorization:ManagementLockAtResourceLevel",
        name,
        {
          level: "CanNotDelete",
          resourceGroupName: RG_NAME,
          resourceProviderNamespace: "Microsoft.Storage",
          parentResourcePath: "",
          resourceType: "storageAccounts",
          resourceName: "stpayprodweu",
        },
        { stack: "prod", ...extra },
      );
    it("matches a deployed ManagementLockAtResourceLevel by its id (any case), not one on a same-named resource elsewhere", async () => {
      const { rg, sql, storage, sqlLock } = protectionStack();
      const stId = armId("Microsoft.Storage", "storageAccounts/stpayprodweu");
      const st = { ...storage, outputs: { ...storage.outputs, id: stId } };
      const lockOn = (target: string) =>
        resourceLock("lock-stpayprodweu", {
          id: `${target}/providers/Microsoft.Authorization/locks/lock-stpayprodweu`,
        });
      await expectPass(requireManagementLock, [rg, sql, st, sqlLock, lockOn(stId.toUpperCase())]);
      await expectFail(
        requireManagementLock,
        [rg, sql, st, sqlLock, lockOn(stId.replace(RG_NAME, "rg-pay-prod-neu-data"))],
        /stpayprodweu .*has no management lock/,
      );
    });
    it("in a first preview, counts a ManagementLockAtResourceLevel whose name the engine recorded from the resource", async () => {
      const { rg, sql, storage, sqlLock } = protectionStack();
      const built = resourceLock("lock-stpayprodweu", {
        dependencies: [storage.urn],
        propertyDependencies: { resourceName: [storage.urn] },
      });
      await expectPass(requireManagementLock, [rg, sql, storage, sqlLock, built]);
      // A literal name with no dependency: nothing ties it to the account before its id is known, and it may be the
      // account's lock: undecided (decided by the update, as the deployed case above).
      await expectUndecided(
        requireManagementLock,
        [rg, sql, storage, sqlLock, resourceLock("lock-stpayprodweu", { preview: true })],
        /value at \.name can.t be known/,
      );
      // Without any lock pending, a resource no lock holds fails.
      await expectFail(requireManagementLock, [rg, sql, storage, sqlLock], /stpayprodweu .*has no management lock/);
    });
    it("counts a database's deployed lock only under its own server", async () => {
      const { rg, sql, storage, sqlLock, storageLock } = protectionStack();
      const db = resourceRecord(
        "azure-native:sql:Database",
        "oltp-db",
        { resourceGroupName: RG_NAME, serverName: "sql-pay-prod-weu", name: "payments" },
        { stack: "prod" },
      );
      const lock = (server: string) =>
        resourceRecord(
          "azure-native:authorization:ManagementLockAtResourceLevel",
          "oltp-db-lock",
          {
            level: "CanNotDelete",
            resourceGroupName: RG_NAME,
            resourceProviderNamespace: "Microsoft.Sql",
            parentResourcePath: `servers/${server}`,
            resourceType: "databases",
            resourceName: "payments",
          },
          {
            stack: "prod",
            id: `${armId("Microsoft.Sql", `servers/${server}/databases/payments`)}/providers/Microsoft.Authorization/locks/oltp-db-lock`,
          },
        );
      const base = [rg, sql, storage, sqlLock, storageLock, db];
      await expectPass(requireManagementLock, [...base, lock("sql-pay-prod-weu")]);
      await expectFail(requireManagementLock, [...base, lock("sql-pay-prod-neu")], /oltp-db .*has no management lock/);
    });
    it("does not count a ManagementLockAtResourceLevel on a child that depends on the resource", async () => {
      const { rg, sql, storage, sqlLock } = protectionStack();
      const st = {
        ...storage,
        outputs: { ...storage.outputs, id: armId("Microsoft.Storage", "storageAccounts/stpayprodweu") },
      };
      const container = resourceRecord("azure-native:storage:BlobContainer", "raw", { containerName: "raw" });
      const onChild = (known: boolean) =>
        resourceRecord(
          "azure-native:authorization:ManagementLockAtResourceLevel",
          "lock-st-container",
          {
            level: "CanNotDelete",
            resourceGroupName: known ? RG_NAME : UNKNOWN,
            resourceProviderNamespace: "Microsoft.Storage",
            parentResourcePath: known ? "storageAccounts/stpayprodweu/blobServices/default" : UNKNOWN,
            resourceType: "containers",
            resourceName: known ? "raw" : UNKNOWN,
          },
          {
            stack: "prod",
            propertyDependencies: { parentResourcePath: [st.urn], resourceName: [container.urn] },
            dependencies: [st.urn, container.urn],
          },
        );
      for (const known of [true, false]) {
        await expectFail(
          requireManagementLock,
          [rg, sql, st, sqlLock, container, onChild(known)],
          /stpayprodweu .*has no management lock/,
        );
      }
    });
    it("does not count a NotSpecified lock", () => {
      const { rg, sql, storage, sqlLock, storageLock } = protectionStack();
      return expectFail(
        requireManagementLock,
        [rg, sql, storage, sqlLock, mutate(storageLock, "level", "NotSpecified")],
        /stpayprodweu .*has no management lock/,
      );
    });
    it("counts a resource-group lock, unless acceptResourceGroupLocks is false", async () => {
      const { rg, sql, storage } = protectionStack();
      const rgLock = resourceRecord(
        "azure-native:authorization:ManagementLockAtResourceGroupLevel",
        "lock-rg-pay-prod-weu",
        { level: "CanNotDelete", resourceGroupName: UNKNOWN },
        { stack: "prod", propertyDependencies: { resourceGroupName: [rg.urn] } },
      );
      await expectPass(requireManagementLock, [rg, sql, storage, rgLock]);
      const r = await evaluatePolicy(requireManagementLock, [rg, sql, storage, rgLock], {
        acceptResourceGroupLocks: false,
      });
      assert.equal(r.messages.length, 2);
    });
    it("counts a resource-group lock only for the group a resource lives in, not one it merely depends on", async () => {
      const { rg, sql, storage, sqlLock } = protectionStack();
      const dr = resourceRecord(
        "azure-native:resources:ResourceGroup",
        "rg-dr",
        { location: "northeurope" },
        { stack: "prod" },
      );
      // The storage account lives in rg (its resourceGroupName) and also depends on the DR group (a name read there).
      const st = { ...storage, dependencies: [...storage.dependencies, dr.urn] };
      const drLock = resourceRecord(
        "azure-native:authorization:ManagementLockAtResourceGroupLevel",
        "lock-dr",
        { level: "CanNotDelete", resourceGroupName: "rg-dr" },
        { stack: "prod", propertyDependencies: { resourceGroupName: [dr.urn] }, dependencies: [dr.urn] },
      );
      await expectFail(
        requireManagementLock,
        [rg, dr, sql, st, sqlLock, drLock],
        /stpayprodweu .*has no management lock/,
      );
    });
    it("does not require a lock on an Azure ML workspace by default (it would lock the deployments a release deletes), but does when resourceTypes lists it", async () => {
      const { all } = protectionStack();
      const ws = { ...mlWorkspace("prod"), protect: true };
      await expectPass(requireManagementLock, [...all, ws]);
      await expectFail(requireManagementLock, [...all, ws], /mlw-pay-prod-weu .*has no management lock/, {
        resourceTypes: ["azure-native:machinelearningservices:Workspace"],
      });
    });
    it("exempts a Log Analytics workspace Sentinel is onboarded on (Sentinel does not support a locked workspace)", async () => {
      const { all } = protectionStack();
      const ws = { ...inStack(workspace(), "prod"), protect: true };
      const onboarding = onboardingOn(ws);
      await expectPass(requireManagementLock, [...all, ws, onboarding]);
      // Without Sentinel on it, the same unlocked workspace fails.
      await expectFail(requireManagementLock, [...all, ws], /log-pay-dev-weu .*has no management lock/);
      // Sentinel on another workspace does not exempt this one.
      const elsewhere = resourceRecord(
        "azure-native:securityinsights:SentinelOnboardingState",
        "operations-sentinel",
        { resourceGroupName: "rg-other", workspaceName: "log-other", sentinelOnboardingStateName: "default" },
        { stack: "prod" },
      );
      await expectFail(requireManagementLock, [...all, ws, elsewhere], /log-pay-dev-weu .*has no management lock/);
    });
    it("does not exempt a workspace Sentinel only depends on, or whose id is a prefix of Sentinel's workspace", async () => {
      const { all } = protectionStack();
      // Its name known, as the program declares it (a literal workspaceName).
      const named = mutate(inStack(workspace(), "prod"), "workspaceName", "log-pay-dev-weu");
      const ws = { ...mutate(named, "resourceGroupName", RG_NAME), protect: true };
      // Onboarded on another workspace, sequenced after this one.
      const elsewhere = resourceRecord(
        "azure-native:securityinsights:SentinelOnboardingState",
        "operations-sentinel",
        { resourceGroupName: "rg-other", workspaceName: "log-other", sentinelOnboardingStateName: "default" },
        { stack: "prod", dependencies: [ws.urn] },
      );
      await expectFail(requireManagementLock, [...all, ws, elsewhere], /log-pay-dev-weu .*has no management lock/);
      // The same workspace name in another resource group is another workspace.
      const otherGroup = mutate(elsewhere, "workspaceName", "log-pay-dev-weu");
      await expectFail(requireManagementLock, [...all, ws, otherGroup], /log-pay-dev-weu .*has no management lock/);
      await expectPass(requireManagementLock, [...all, ws, mutate(otherGroup, "resourceGroupName", RG_NAME)]);
      // A SecurityInsights solution names its workspace in properties.workspaceResourceId: exactly this one exempts it.
      const solution = (workspaceResourceId: string, product = "OMSGallery/SecurityInsights") =>
        resourceRecord(
          "azure-native:operationsmanagement:Solution",
          "operations-securityinsights",
          {
            resourceGroupName: RG_NAME,
            solutionName: `${product.split("/")[1]}(log-pay-dev-weu)`,
            plan: { name: `${product.split("/")[1]}(log-pay-dev-weu)`, product, publisher: "Microsoft" },
            properties: { workspaceResourceId },
          },
          { stack: "prod", dependencies: [ws.urn] },
        );
      await expectPass(requireManagementLock, [...all, ws, solution(WORKSPACE_ID.toUpperCase())]);
      await expectFail(
        requireManagementLock,
        [...all, ws, solution(`${WORKSPACE_ID}-archive`)],
        /log-pay-dev-weu .*has no management lock/,
      );
      // Another gallery solution on the same workspace is not Sentinel: the workspace can and must be locked.
      await expectFail(
        requireManagementLock,
        [...all, ws, solution(WORKSPACE_ID, "OMSGallery/ContainerInsights")],
        /log-pay-dev-weu .*has no management lock/,
      );
    });
    it("once deployed (no workspaceName, scope or lock parts in the outputs), matches onboardings and locks by id", async () => {
      const { all } = protectionStack();
      const ws = { ...inStack(workspace(), "prod"), protect: true };
      const wsId = String(ws.outputs.id);
      const deployedOnboarding = (id: string) =>
        resourceRecord(
          "azure-native:securityinsights:SentinelOnboardingState",
          "operations-sentinel",
          { resourceGroupName: RG_NAME, workspaceName: "log-pay-dev-weu", sentinelOnboardingStateName: "default" },
          { stack: "prod", outputs: { id, name: "default" } },
        );
      await expectPass(requireManagementLock, [
        ...all,
        ws,
        deployedOnboarding(`${wsId}/providers/Microsoft.SecurityInsights/onboardingStates/default`),
      ]);
      await expectFail(
        requireManagementLock,
        [
          ...all,
          ws,
          deployedOnboarding(`${wsId}-archive/providers/Microsoft.SecurityInsights/onboardingStates/default`),
        ],
        /has no management lock/,
      );
      const deployedLock = (scope: string) =>
        resourceRecord(
          "azure-native:authorization:ManagementLockAtResourceLevel",
          "lock",
          { level: "CanNotDelete", lockName: "lock", resourceName: "x" },
          {
            stack: "prod",
            outputs: { id: `${scope}/providers/Microsoft.Authorization/locks/lock`, level: "CanNotDelete" },
          },
        );
      await expectPass(requireManagementLock, [...all, ws, deployedLock(wsId.toUpperCase())]);
      await expectFail(
        requireManagementLock,
        [...all, ws, deployedLock(`${wsId}/tables/SecurityEvent`)],
        /log-pay-dev-weu .*has no management lock/,
      );
    });
    it("is not applicable outside protectedStacks", () =>
      expectNotApplicable(requireManagementLock, [protectionStack("dev").sql]));
    it("reports an exempted resource instead of a violation", async () => {
      const { rg, sql, storage, sqlLock } = protectionStack();
      const r = await evaluatePolicy(requireManagementLock, [rg, sql, storage, sqlLock], {
        exemptions: [{ pattern: "stpayprod*", reason: "RISK-19: lock managed by the landing zone team" }],
      });
      assert.deepEqual(r.messages, []);
      assert.equal(r.exemptions[0].urn, storage.urn);
    });
  });

  describe(requireWorkspaceDeleteGuard.name, () => {
    const ws = { ...inStack(workspace(), "prod"), protect: true };
    const onboarding = onboardingOn(ws);
    const rule = (
      effect = "denyAction",
      actionNames = ["delete"],
      type = "Microsoft.OperationalInsights/workspaces",
    ) => ({
      if: { field: "type", equals: type },
      then: { effect, details: { actionNames, cascadeBehaviors: { resourceGroup: "deny" } } },
    });
    const definition = (policyRule: unknown = rule()) =>
      resourceRecord(
        "azure-native:authorization:PolicyDefinition",
        "platform-log-deny-delete",
        { policyDefinitionName: UNKNOWN, policyType: "Custom", mode: "Indexed", policyRule },
        { stack: "prod", dependencies: [ws.urn] },
      );
    const assignment = (def = definition(), extra: Record<string, unknown> = {}, scopeOf = ws.urn) =>
      resourceRecord(
        "azure-native:authorization:PolicyAssignment",
        "platform-log-deny-delete",
        { policyAssignmentName: "deny-delete-audit-log", scope: UNKNOWN, policyDefinitionId: UNKNOWN, ...extra },
        {
          stack: "prod",
          propertyDependencies: { scope: [scopeOf], policyDefinitionId: [def.urn] },
          dependencies: [scopeOf, def.urn],
        },
      );

    it("passes a Sentinel workspace with an enforced denyAction assignment on it refusing its delete", async () => {
      const def = definition();
      await expectPass(requireWorkspaceDeleteGuard, [ws, onboarding, def, assignment(def)]);
      // Once deployed, by ids.
      const deployedDef = {
        ...def,
        // A deployed resource's outputs are what Azure reads back: the rule among them.
        outputs: { id: "/subscriptions/s/providers/Microsoft.Authorization/policyDefinitions/d", policyRule: rule() },
      };
      const deployed = resourceRecord(
        "azure-native:authorization:PolicyAssignment",
        "platform-log-deny-delete",
        {
          scope: WORKSPACE_ID,
          policyDefinitionId: "/subscriptions/s/providers/Microsoft.Authorization/policyDefinitions/d",
        },
        { stack: "prod" },
      );
      await expectPass(requireWorkspaceDeleteGuard, [ws, onboarding, deployedDef, deployed]);
      // A definition and an assignment written with an explicit API version of their class count alike.
      const versioned = { ...def, type: "azure-native:authorization/v20250301:PolicyDefinition" };
      const versionedAssignment = { ...assignment(def), type: "azure-native:authorization/v20250301:PolicyAssignment" };
      await expectPass(requireWorkspaceDeleteGuard, [ws, onboarding, versioned, versionedAssignment]);
    });
    it("fails one with no assignment, an audit-only one, one elsewhere, or a definition that does not deny its delete", async () => {
      const message =
        /log-pay-dev-weu .*holds Sentinel, so it cannot be locked, and no enforced denyAction policy assignment on it refuses its deletion/;
      await expectFail(requireWorkspaceDeleteGuard, [ws, onboarding], message);
      const def = definition();
      await expectFail(
        requireWorkspaceDeleteGuard,
        [ws, onboarding, def, assignment(def, { enforcementMode: "DoNotEnforce" })],
        message,
      );
      await expectFail(
        requireWorkspaceDeleteGuard,
        [ws, onboarding, def, assignment(def, { enforcementMode: "Enroll" })],
        message,
      );
      const other = resourceRecord("azure-native:resources:ResourceGroup", "rg-other", {}, { stack: "prod" });
      await expectFail(
        requireWorkspaceDeleteGuard,
        [ws, onboarding, other, def, assignment(def, {}, other.urn)],
        message,
      );
      for (const bad of [
        rule("deny"),
        rule("denyAction", ["write"]),
        rule("denyAction", ["delete"], "Microsoft.Storage/storageAccounts"),
      ]) {
        const d = definition(bad);
        await expectFail(requireWorkspaceDeleteGuard, [ws, onboarding, d, assignment(d)], message);
      }
    });
    it("is not applicable without Sentinel on a workspace, or outside the protected stacks", async () => {
      await expectNotApplicable(requireWorkspaceDeleteGuard, [ws]);
      const dev = { ...workspace(), protect: false };
      const devOnboarding = { ...onboarding, urn: onboarding.urn.replace(":prod::", ":dev::") };
      await expectNotApplicable(requireWorkspaceDeleteGuard, [dev, devOnboarding]);
    });
  });

  describe(requireMlWorkspaceDeleteGuard.name, () => {
    const ws = { ...mlWorkspace("prod"), protect: true };
    const ML = "Microsoft.MachineLearningServices/workspaces";
    const definition = (type = ML, effect = "denyAction") =>
      resourceRecord(
        "azure-native:authorization:PolicyDefinition",
        "ml-workspace-deny-delete",
        {
          policyType: "Custom",
          mode: "Indexed",
          policyRule: {
            if: { field: "type", equals: type },
            then: { effect, details: { actionNames: ["delete"], cascadeBehaviors: { resourceGroup: "deny" } } },
          },
        },
        { stack: "prod" },
      );
    const assignment = (def: ResourceRecord, extra: Record<string, unknown> = {}, scopeOf = ws.urn) =>
      resourceRecord(
        "azure-native:authorization:PolicyAssignment",
        "ml-workspace-deny-delete",
        { policyAssignmentName: "deny-delete-ml-workspace", scope: UNKNOWN, policyDefinitionId: UNKNOWN, ...extra },
        {
          stack: "prod",
          propertyDependencies: { scope: [scopeOf], policyDefinitionId: [def.urn] },
          dependencies: [scopeOf, def.urn],
        },
      );
    const message =
      /mlw-pay-prod-weu .*is an Azure ML workspace in a protected stack with no enforced denyAction policy assignment on it refusing its deletion, which would be permanent/;

    it("passes a prod workspace with an enforced denyAction assignment on it refusing its delete", async () => {
      const def = definition();
      await expectPass(requireMlWorkspaceDeleteGuard, [ws, def, assignment(def)]);
    });
    it("fails one with none, an audit-only one, one on another scope, or one guarding another type", async () => {
      await expectFail(requireMlWorkspaceDeleteGuard, [ws], message);
      const def = definition();
      await expectFail(
        requireMlWorkspaceDeleteGuard,
        [ws, def, assignment(def, { enforcementMode: "DoNotEnforce" })],
        message,
      );
      const other = resourceRecord("azure-native:resources:ResourceGroup", "rg-other", {}, { stack: "prod" });
      await expectFail(requireMlWorkspaceDeleteGuard, [ws, other, def, assignment(def, {}, other.urn)], message);
      for (const d of [definition("Microsoft.OperationalInsights/workspaces"), definition(ML, "deny")])
        await expectFail(requireMlWorkspaceDeleteGuard, [ws, d, assignment(d)], message);
    });
    it("is not applicable outside the protected stacks or without a workspace", async () => {
      await expectNotApplicable(requireMlWorkspaceDeleteGuard, [mlWorkspace("dev")]);
      await expectNotApplicable(requireMlWorkspaceDeleteGuard, [definition()]);
    });
  });

  describe(requireKeyIdentityProtection.name, () => {
    const CRYPTO_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
    const roleId = (guid: string) => `/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
    const identity = (stack = "prod", protect = true) => ({
      ...resourceRecord(
        "azure-native:managedidentity:UserAssignedIdentity",
        "platform-cmk-sql-id",
        { resourceName: "id-pay-prod-weu-cmk-sql", resourceGroupName: RG_NAME },
        { stack },
      ),
      protect,
    });
    const grant = (id: ResourceRecord, guid = CRYPTO_USER) =>
      resourceRecord(
        "azure-native:authorization:RoleAssignment",
        "platform-cmk-sql-ra-crypto-user",
        { principalId: UNKNOWN, principalType: "ServicePrincipal", roleDefinitionId: roleId(guid), scope: UNKNOWN },
        { stack: stackOf(id), propertyDependencies: { principalId: [id.urn] }, dependencies: [id.urn] },
      );
    const lock = (id: ResourceRecord, level = "CanNotDelete") =>
      resourceRecord(
        "azure-native:authorization:ManagementLockByScope",
        "platform-cmk-sql-id-lock",
        { level, scope: UNKNOWN, notes: "the key's identity" },
        { stack: stackOf(id), propertyDependencies: { scope: [id.urn] }, dependencies: [id.urn] },
      );
    const stackOf = (r: ResourceRecord) => r.urn.split("::")[0].replace("urn:pulumi:", "");

    it("passes a key identity that is protected and locked (first preview, and once deployed by ids)", async () => {
      const id = identity();
      await expectPass(requireKeyIdentityProtection, [id, grant(id), lock(id)]);
      const ID = armId("Microsoft.ManagedIdentity", "userAssignedIdentities/id-pay-prod-weu-cmk-sql");
      const deployedId = { ...id, outputs: { id: ID, principalId: "11111111-2222-3333-4444-555555555555" } };
      const deployedGrant = resourceRecord(
        "azure-native:authorization:RoleAssignment",
        "platform-cmk-sql-ra-crypto-user",
        { principalId: "11111111-2222-3333-4444-555555555555", roleDefinitionId: roleId(CRYPTO_USER) },
        { stack: "prod" },
      );
      const deployedLock = resourceRecord(
        "azure-native:authorization:ManagementLockByScope",
        "platform-cmk-sql-id-lock",
        { level: "CanNotDelete", id: `${ID}/providers/Microsoft.Authorization/locks/lock` },
        { stack: "prod" },
      );
      await expectPass(requireKeyIdentityProtection, [deployedId, deployedGrant, deployedLock]);
    });
    it("fails an unprotected or unlocked key identity, naming what is missing", async () => {
      const id = identity();
      await expectFail(
        requireKeyIdentityProtection,
        [identity("prod", false), grant(id), lock(id)],
        /platform-cmk-sql-id .*reaches a customer-managed key and is not protected \(set `protect: true`\): deleting it/,
      );
      await expectFail(
        requireKeyIdentityProtection,
        [id, grant(id)],
        /reaches a customer-managed key and has no management lock \(add one with level "CanNotDelete" on its id\)/,
      );
      // A NotSpecified lock, or a lock on something else, does not count.
      await expectFail(
        requireKeyIdentityProtection,
        [id, grant(id), lock(id, "NotSpecified")],
        /has no management lock/,
      );
      const other = identity();
      const otherLock = { ...lock(id), propertyDependencies: { scope: ["urn:pulumi:prod::p::t::other"] } };
      await expectFail(requireKeyIdentityProtection, [other, grant(other), otherLock], /has no management lock/);
      await expectFail(
        requireKeyIdentityProtection,
        [identity("prod", false), grant(id)],
        /is not protected \(set `protect: true`\) and has no management lock/,
      );
    });
    it("is not applicable to identities without a key-wrapping grant, or outside the protected stacks", async () => {
      const id = identity();
      // Key Vault Secrets User (4633458b-…): not a customer-managed key's role.
      await expectNotApplicable(requireKeyIdentityProtection, [id, grant(id, "4633458b-17de-408a-b874-0445c86b69e6")]);
      await expectNotApplicable(requireKeyIdentityProtection, [id]);
      const dev = identity("dev", false);
      await expectNotApplicable(requireKeyIdentityProtection, [dev, grant(dev)]);
      // The role is configurable.
      await expectFail(
        requireKeyIdentityProtection,
        [identity("prod", false), grant(id, "4633458b-17de-408a-b874-0445c86b69e6")],
        /is not protected/,
        { roleDefinitionIds: ["4633458b-17de-408a-b874-0445c86b69e6"] },
      );
    });
  });
});
