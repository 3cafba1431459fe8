import { strict as assert } from "node:assert";
import {
  AUDIT_AND_KEY_OPERATIONS,
  authorizationPolicies,
  CONTRIBUTOR_ROLE,
  grantedOperations,
  providerWide,
  roleAssignmentBroadScope,
  roleAssignmentPrivileged,
  roleDefinitionPrivileged,
  scopeKind,
} from "../../policies/rules/authorization";
import { POLICY_NAME } from "../../policies/lib/policy";
import { evaluatePolicy, resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { SUBSCRIPTION } from "./fixtures/protection";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

const SUB = `/subscriptions/${SUBSCRIPTION}`;
const RG = `${SUB}/resourceGroups/rg-pay-prod-weu-ml`;
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kvw-pay-prod-weu`;
const role = (guid: string) => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const KV_CRYPTO_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

/** The program's shape: a named data role on one resource, for a service principal. */
function assignment(roleId = role(KV_CRYPTO_USER), scope = VAULT): ResourceRecord {
  return resourceRecord("azure-native:authorization:RoleAssignment", "ml-kv-ra-workspace-crypto", {
    scope,
    roleDefinitionId: roleId,
    principalId: "11111111-1111-1111-1111-111111111111",
    principalType: "ServicePrincipal",
  });
}

/** The program's Synapse pause/resume role (components/etl/offHours.ts). */
function customRole(permissions: unknown[]): ResourceRecord {
  return resourceRecord("azure-native:authorization:RoleDefinition", "etl-offhours-role", {
    scope: RG,
    roleName: "Synapse pool pause and resume",
    roleType: "CustomRole",
    permissions,
    assignableScopes: [RG],
  });
}
const PAUSE = {
  actions: [
    "Microsoft.Synapse/workspaces/sqlPools/read",
    "Microsoft.Synapse/workspaces/sqlPools/pause/action",
    "Microsoft.Synapse/workspaces/sqlPools/resume/action",
  ],
  notActions: [],
  dataActions: [],
  notDataActions: [],
};

describe("policies/authorization", () => {
  it("exports uniquely named policies that follow the name convention", () => {
    const names = authorizationPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => POLICY_NAME.test(n) && n.startsWith("azure-native-authorization-")));
  });

  describe("helpers", () => {
    it("scopeKind tells a resource from a resource group and from a subscription or wider", () => {
      assert.equal(scopeKind(VAULT), "resource");
      assert.equal(scopeKind(RG), "resourceGroup");
      assert.equal(scopeKind(`${RG}/`), "resourceGroup");
      assert.equal(scopeKind(SUB), "subscriptionOrWider");
      assert.equal(scopeKind("/providers/Microsoft.Management/managementGroups/payments"), "subscriptionOrWider");
      assert.equal(scopeKind("/"), "subscriptionOrWider");
    });
    it("grantedOperations applies wildcards, case-insensitively, and takes notActions away", () => {
      const ops = ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/locks/delete"];
      assert.deepEqual(grantedOperations(["*"], [], ops), ops);
      assert.deepEqual(grantedOperations(["microsoft.authorization/*"], ["Microsoft.Authorization/*/Write"], ops), [
        "Microsoft.Authorization/locks/delete",
      ]);
      assert.deepEqual(grantedOperations(["Microsoft.Synapse/*"], [], ops), []);
    });
    it("providerWide: a leading wildcard only", () => {
      assert.ok(providerWide("*"));
      assert.ok(providerWide("*/read"));
      assert.ok(!providerWide("Microsoft.MachineLearningServices/workspaces/*/read"));
    });
  });

  describe(roleAssignmentPrivileged.name, () => {
    it("passes a named role on one resource, and Contributor anywhere (the stack rule judges its scope)", async () => {
      await expectPass(roleAssignmentPrivileged, assignment());
      await expectPass(roleAssignmentPrivileged, assignment(role(CONTRIBUTOR_ROLE), SUB));
    });
    it("fails Owner at any scope, even one resource", () =>
      expectFail(
        roleAssignmentPrivileged,
        assignment(role(OWNER)),
        /ml-kv-ra-workspace-crypto .* assigns Owner \(8e3af657-a8ff-443c-a75c-2fe8c4bcb635\), which manages access/,
      ));
    it("fails User Access Administrator, RBAC Administrator and Key Vault Data Access Administrator (ids in any case)", async () => {
      await expectFail(
        roleAssignmentPrivileged,
        assignment(role("18D7D88D-D35E-4FB5-A5C3-7773C20A72D9")),
        /assigns User Access Administrator/,
      );
      await expectFail(
        roleAssignmentPrivileged,
        assignment(`/providers/Microsoft.Authorization/roleDefinitions/f58310d9-a9f6-439a-9e8d-f62e7b41a168`),
        /assigns Role Based Access Control Administrator/,
      );
      await expectFail(
        roleAssignmentPrivileged,
        assignment("8b54135c-b56d-4d72-a534-26097cfdc8d8", VAULT),
        /assigns Key Vault Data Access Administrator/,
      );
    });
    it("fails a PIM eligibility for Owner", () =>
      expectFail(
        roleAssignmentPrivileged,
        resourceRecord("azure-native:authorization:PimRoleEligibilitySchedule", "owner-eligible", {
          scope: SUB,
          roleDefinitionId: role(OWNER),
          principalId: "22222222-2222-2222-2222-222222222222",
        }),
        /owner-eligible .* makes a principal eligible for Owner/,
      ));
    it("cannot decide a role id unknown in a first preview (a built-in id built from an unknown value could be Owner)", () =>
      expectUndecided(roleAssignmentPrivileged, assignment(UNKNOWN)));
    it("is not applicable to other types", () => expectNotApplicable(roleAssignmentPrivileged, otherResource()));
  });

  describe(roleAssignmentBroadScope.name, () => {
    const rg = resourceRecord("azure-native:resources:ResourceGroup", "ml-rg", {
      resourceGroupName: "rg-pay-prod-weu-ml",
    });
    const vault = resourceRecord("azure-native:keyvault:Vault", "ml-kv", { vaultName: "kvw-pay-prod-weu" });
    /** A Contributor assignment whose scope is unknown in a first preview, recorded as depending on `target`. */
    const onUnknown = (target: ResourceRecord) =>
      resourceRecord(
        "azure-native:authorization:RoleAssignment",
        "ml-ra-contributor",
        { scope: UNKNOWN, roleDefinitionId: role(CONTRIBUTOR_ROLE), principalId: "3" },
        { propertyDependencies: { scope: [target.urn] } },
      );
    it("passes Contributor on a single resource (Azure ML's dependencies), known or pointed at", async () => {
      await expectPass(roleAssignmentBroadScope, [assignment(role(CONTRIBUTOR_ROLE))]);
      await expectPass(roleAssignmentBroadScope, [vault, onUnknown(vault)]);
    });
    it("passes Contributor whose unknown scope is built from a resource group and a resource (the resource's scope)", () =>
      expectPass(roleAssignmentBroadScope, [
        rg,
        vault,
        resourceRecord(
          "azure-native:authorization:RoleAssignment",
          "ml-ra-contributor",
          { scope: UNKNOWN, roleDefinitionId: role(CONTRIBUTOR_ROLE), principalId: "3" },
          { propertyDependencies: { scope: [rg.urn, vault.urn] } },
        ),
      ]));
    it("fails Contributor on a resource group, known or unknown in a first preview", async () => {
      await expectFail(
        roleAssignmentBroadScope,
        [assignment(role(CONTRIBUTOR_ROLE), RG)],
        /ml-kv-ra-workspace-crypto .* assigns role Contributor \(b24988ac-6180-42a0-ab88-20f7382dd24c\) on a resource group \(".*rg-pay-prod-weu-ml"\): assign it on the single resource/,
      );
      await expectFail(
        roleAssignmentBroadScope,
        [rg, onUnknown(rg)],
        /ml-ra-contributor .* on a resource group \("its scope"\)/,
      );
    });
    it("fails Contributor on the subscription, and other roles listed in broadScopeRoleIds", async () => {
      await expectFail(
        roleAssignmentBroadScope,
        [assignment(role(CONTRIBUTOR_ROLE), SUB)],
        /on a subscription or wider/,
      );
      await expectFail(roleAssignmentBroadScope, [assignment(role(KV_CRYPTO_USER), RG)], /on a resource group/, {
        broadScopeRoleIds: [KV_CRYPTO_USER],
      });
    });
    it("cannot decide a scope unknown in a first preview that points at nothing it can read", () =>
      expectUndecided(
        roleAssignmentBroadScope,
        [onUnknown(otherResource())].map((r) => ({ ...r, propertyDependencies: {} })),
      ));
    it("fails by default the data and security roles that reach every account's data, keys or audit at a broad scope", async () => {
      const cases: readonly [string, string, RegExp][] = [
        [
          "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
          SUB,
          /Storage Blob Data Owner \(b7e6dc6d-.*\) on a subscription or wider/,
        ],
        ["00482a5a-887f-4fb3-b363-3b7fe8e74483", RG, /Key Vault Administrator \(00482a5a-.*\) on a resource group/],
        ["056cd41c-7e88-42e1-933e-88ba6a50c9c3", SUB, /SQL Security Manager/],
        ["5bd9cd88-fe45-4216-938b-f97437e15450", RG, /DocumentDB Account Contributor/],
        ["17d1049b-9a84-46fb-8f53-869881c3d3ab", RG, /Storage Account Contributor/],
        ["749f88d5-cbae-40b8-bcfc-e573ddc772fa", SUB, /Monitoring Contributor/],
        ["81a9662b-bebf-436f-a333-f67b29880f12", RG, /Storage Account Key Operator Service Role/],
      ];
      for (const [guid, scope, pattern] of cases)
        await expectFail(roleAssignmentBroadScope, [assignment(role(guid), scope)], pattern);
      // On the one resource that needs it, or a read-only role on the group: not this rule's concern.
      await expectPass(roleAssignmentBroadScope, [assignment(role("00482a5a-887f-4fb3-b363-3b7fe8e74483"), VAULT)]);
      await expectNotApplicable(roleAssignmentBroadScope, [
        assignment(role("acdd72a7-3385-48ef-bd42-f606fba81ae7"), RG),
      ]);
    });
    it("is not applicable without a Contributor assignment", () =>
      expectNotApplicable(roleAssignmentBroadScope, [assignment(), otherResource()]));
    describe("a role id unknown in a first preview", () => {
      /** The stack's custom role (its GUID given, or unknown) and an assignment of it on the resource group. */
      const custom = (guid: string) =>
        resourceRecord("azure-native:authorization:RoleDefinition", "functions-package-writer", {
          scope: RG,
          roleDefinitionId: guid,
          roleName: "package writer",
        });
      const ofCustom = (definition?: ResourceRecord) =>
        resourceRecord(
          "azure-native:authorization:RoleAssignment",
          "functions-ra-package-writer",
          { scope: RG, roleDefinitionId: UNKNOWN, principalId: "4" },
          definition ? { propertyDependencies: { roleDefinitionId: [definition.urn] } } : {},
        );
      it("is not applicable when it comes from the stack's custom role with a GUID outside broadScopeRoleIds", () => {
        const d = custom("5a1c0e2f-0000-4000-8000-000000000001");
        return expectNotApplicable(roleAssignmentBroadScope, [d, ofCustom(d)]);
      });
      it("cannot decide it from nothing, from a custom role whose GUID is unknown, or one listed", async () => {
        await expectUndecided(roleAssignmentBroadScope, [ofCustom()]);
        const unknownGuid = custom(UNKNOWN);
        await expectUndecided(roleAssignmentBroadScope, [unknownGuid, ofCustom(unknownGuid)]);
        const listed = custom(CONTRIBUTOR_ROLE);
        await expectUndecided(roleAssignmentBroadScope, [listed, ofCustom(listed)]);
      });
      it("cannot decide a value built from the custom role and another resource (the review's nit 11)", async () => {
        const d = custom("5a1c0e2f-0000-4000-8000-000000000001");
        const other = resourceRecord("azure-native:resources:ResourceGroup", "platform-rg", { location: "westeurope" });
        const mixed = ofCustom(d);
        await expectUndecided(roleAssignmentBroadScope, [
          d,
          other,
          { ...mixed, propertyDependencies: { roleDefinitionId: [d.urn, other.urn] } },
        ]);
      });
    });
  });

  describe(roleDefinitionPrivileged.name, () => {
    it("passes the program's pause/resume role", () => expectPass(roleDefinitionPrivileged, customRole([PAUSE])));
    it("passes a wildcard within one provider's operations", () =>
      expectPass(
        roleDefinitionPrivileged,
        customRole([
          {
            ...PAUSE,
            actions: ["Microsoft.MachineLearningServices/workspaces/*/write"],
          },
        ]),
      ));
    it("fails a role that can assign roles", () =>
      expectFail(
        roleDefinitionPrivileged,
        customRole([{ ...PAUSE, actions: [...PAUSE.actions, "Microsoft.Authorization/roleAssignments/write"] }]),
        /etl-offhours-role .* can manage access \(Microsoft\.Authorization\/roleAssignments\/write\): remove it/,
      ));
    it("fails a role that can change the audit trail or list keys, by name or by a provider's wildcard", async () => {
      await expectFail(
        roleDefinitionPrivileged,
        customRole([
          {
            ...PAUSE,
            actions: [
              ...PAUSE.actions,
              "Microsoft.Storage/storageAccounts/listKeys/action",
              "Microsoft.Sql/servers/auditingSettings/write",
              "Microsoft.Insights/diagnosticSettings/delete",
            ],
          },
        ]),
        /etl-offhours-role .* can change the audit trail or list keys \(Microsoft\.Insights\/diagnosticSettings\/delete, Microsoft\.Sql\/servers\/auditingSettings\/write, Microsoft\.Storage\/storageAccounts\/listKeys\/action\)/,
      );
      await expectFail(
        roleDefinitionPrivileged,
        customRole([{ ...PAUSE, actions: ["Microsoft.OperationalInsights/workspaces/*"] }]),
        /workspaces\/purge\/action, Microsoft\.OperationalInsights\/workspaces\/sharedKeys\/action, Microsoft\.OperationalInsights\/workspaces\/delete/,
      );
      await expectFail(
        roleDefinitionPrivileged,
        customRole([{ ...PAUSE, actions: [...PAUSE.actions, "Microsoft.Synapse/workspaces/sqlPools/*/write"] }]),
        /can change the audit trail or list keys \(Microsoft\.Synapse\/workspaces\/sqlPools\/transparentDataEncryption\/write\)/,
      );
      // Taken away again by notActions: passes.
      await expectPass(
        roleDefinitionPrivileged,
        customRole([
          {
            ...PAUSE,
            actions: ["Microsoft.OperationalInsights/workspaces/*"],
            notActions: [
              "Microsoft.OperationalInsights/workspaces/purge/action",
              "Microsoft.OperationalInsights/workspaces/sharedKeys/action",
              "Microsoft.OperationalInsights/workspaces/delete",
            ],
          },
        ]),
      );
    });
    it("fails the PIM and policy writes that loosen access too", () =>
      expectFail(
        roleDefinitionPrivileged,
        customRole([
          {
            ...PAUSE,
            actions: [
              "Microsoft.Authorization/roleEligibilityScheduleRequests/write",
              "Microsoft.Authorization/roleManagementPolicies/write",
              "Microsoft.Authorization/policyDefinitions/write",
            ],
          },
        ]),
        /can manage access \(Microsoft\.Authorization\/roleEligibilityScheduleRequests\/write, Microsoft\.Authorization\/roleManagementPolicies\/write, Microsoft\.Authorization\/policyDefinitions\/write\)/,
      ));
    it("fails Microsoft.Authorization/* and reports every access operation it grants", () =>
      expectFail(
        roleDefinitionPrivileged,
        customRole([{ ...PAUSE, actions: ["Microsoft.Authorization/*"] }]),
        /can manage access \(Microsoft\.Authorization\/roleAssignments\/write, .*Microsoft\.Authorization\/locks\/delete, Microsoft\.Authorization\/elevateAccess\/action\)/,
      ));
    it("fails a leading wildcard in actions, and any wildcard in data actions", async () => {
      await expectFail(
        roleDefinitionPrivileged,
        customRole([{ ...PAUSE, actions: [...PAUSE.actions, "*/read"] }]),
        /grants '\*\/read' across every resource provider/,
      );
      await expectFail(
        roleDefinitionPrivileged,
        customRole([{ ...PAUSE, dataActions: ["Microsoft.KeyVault/vaults/secrets/*"] }]),
        /grants data actions by wildcard \('Microsoft\.KeyVault\/vaults\/secrets\/\*'\): name each data action/,
      );
      const r = await evaluatePolicy(
        roleDefinitionPrivileged,
        customRole([{ ...PAUSE, actions: ["*"], notActions: [] }]),
      );
      assert.equal(r.messages.length, 3, "'*' manages access, changes the audit trail and spans every provider");
    });
    it("fails '*' even with every access, audit and key operation in notActions (it still spans every provider)", () =>
      expectFail(
        roleDefinitionPrivileged,
        customRole([
          { ...PAUSE, actions: ["*"], notActions: ["Microsoft.Authorization/*", ...AUDIT_AND_KEY_OPERATIONS] },
        ]),
        /grants '\*' across every resource provider/,
      ));
    it("cannot decide while the permissions are unknown", () =>
      expectUndecided(roleDefinitionPrivileged, mutate(customRole([PAUSE]), "permissions", UNKNOWN)));
    it("is not applicable to a role without permissions, or to other types", async () => {
      await expectNotApplicable(roleDefinitionPrivileged, customRole([]));
      await expectNotApplicable(roleDefinitionPrivileged, otherResource());
    });
  });
});
