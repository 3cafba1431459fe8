import { strict as assert } from "node:assert";
import { BLOB_WRITE_DATA_ACTIONS, conditionAllows, dataActionCovers } from "../../policies/lib/abac";
import { POLICY_NAME } from "../../policies/lib/policy";
import { functionPackagePolicies, packageWritesByApp } from "../../policies/rules/functionPackages";
import {
  packageWritesRefusedCondition,
  PACKAGE_WRITER_DATA_ACTIONS,
} from "../../components/shared/functionAppSettings";
import { resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { armId, RG_NAME, SUBSCRIPTION } from "./fixtures/protection";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

const BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";
const OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
const TABLE = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
const ACCOUNT_ID = armId("Microsoft.Storage", "storageAccounts/stpaydevweupayapi1234");
const IDENTITY_ID = armId("Microsoft.ManagedIdentity", "userAssignedIdentities/id-pay-dev-weu-payment-api");
const role = (guid: string) =>
  `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

/** A record with its id known (the deployed view), in its outputs as the engine keeps it. */
const withId = (r: ResourceRecord, id: string): ResourceRecord => ({ ...r, id, outputs: { ...r.outputs, id } });

// The deployed view: ids and outputs known.
const account = (): ResourceRecord =>
  withId(
    resourceRecord("azure-native:storage:StorageAccount", "ingestion-payapi-st", {
      accountName: "stpaydevweupayapi1234",
      allowSharedKeyAccess: false,
    }),
    ACCOUNT_ID,
  );
const container = (): ResourceRecord =>
  withId(
    resourceRecord("azure-native:storage:BlobContainer", "ingestion-payapi-st-package", {
      accountName: "stpaydevweupayapi1234",
      containerName: "app-package",
    }),
    `${ACCOUNT_ID}/blobServices/default/containers/app-package`,
  );
const identity = (): ResourceRecord => {
  const r = withId(
    resourceRecord("azure-native:managedidentity:UserAssignedIdentity", "ingestion-id-payment-api", {
      resourceName: "id-pay-dev-weu-payment-api",
    }),
    IDENTITY_ID,
  );
  return { ...r, outputs: { ...r.outputs, principalId: "pid-1" } };
};
const app = (): ResourceRecord =>
  resourceRecord("azure-native:web:WebApp", "ingestion-payapi-app", {
    kind: "functionapp,linux",
    identity: { type: "UserAssigned", userAssignedIdentities: [IDENTITY_ID] },
    functionAppConfig: {
      deployment: {
        storage: {
          type: "blobContainer",
          value: "https://stpaydevweupayapi1234.blob.core.windows.net/app-package",
          authentication: { type: "UserAssignedIdentity", userAssignedIdentityResourceId: IDENTITY_ID },
        },
      },
    },
  });
const grant = (name: string, roleGuid: string, condition?: string, scope = ACCOUNT_ID): ResourceRecord =>
  resourceRecord("azure-native:authorization:RoleAssignment", name, {
    scope,
    principalId: "pid-1",
    principalType: "ServicePrincipal",
    roleDefinitionId: role(roleGuid),
    ...(condition === undefined ? {} : { condition, conditionVersion: "2.0" }),
  });
/** The app's blob role on its host storage; `null`: without a condition. */
const ownerGrant = (condition: string | null = packageWritesRefusedCondition()) =>
  grant("ingestion-payapi-st-ra-blob-data-owner", OWNER, condition ?? undefined);
/** The app, its identity, account and package container, and its blob role with `condition` (`null`: none). */
const withOwner = (condition: string | null) => [app(), identity(), account(), container(), ownerGrant(condition)];
const stack = (...extra: ResourceRecord[]) => [
  app(),
  identity(),
  account(),
  container(),
  ownerGrant(),
  grant("ingestion-payapi-st-ra-table-data-contributor", TABLE),
  ...extra,
];

describe("policies/lib/abac: role assignment conditions on blobs", () => {
  const request = (verb: string, container: string, account = "st1") => ({
    action: `${BLOBS}/${verb}`,
    account,
    container,
  });

  it("reads Microsoft's example condition ('Read, write, or delete blobs in named containers') as Azure does, across lines", () => {
    const example = `(
 (
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete'})
  AND
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})
  AND
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'})
  AND
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'})
 )
 OR
 (
  @Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'blobs-example-container'
 )
)`;
    assert.equal(conditionAllows(example, request("read", "blobs-example-container")), true);
    assert.equal(conditionAllows(example, request("write", "blobs-example-container")), true);
    assert.equal(conditionAllows(example, request("read", "other")), false);
    assert.equal(conditionAllows(example, request("delete", "other")), false);
    // An action the condition does not list passes it (the role decides).
    assert.equal(conditionAllows(example, request("tags/read", "other")), true);
  });

  it("reads the account name and the case-insensitive comparisons; AND and OR mixed without parentheses, which Azure refuses, it does not", () => {
    const account = "@Resource[Microsoft.Storage/storageAccounts:name] StringEquals 'st1'";
    const container =
      "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEqualsIgnoreCase 'a'";
    const c = `(${account} AND ${container}) OR ActionMatches{'x'}`;
    assert.equal(conditionAllows(c, request("write", "a")), true);
    assert.equal(conditionAllows(c, request("write", "a", "st2")), false);
    assert.equal(conditionAllows(c, { action: "x", account: "st2", container: "b" }), true);
    assert.equal(
      conditionAllows(`${account} AND ${container} OR ActionMatches{'x'}`, request("write", "a")),
      undefined,
    );
    assert.equal(conditionAllows(`${account} OR ${container} OR ActionMatches{'x'}`, request("write", "b")), true);
  });

  it("matches ActionMatches as a pattern, without case, as Azure does", () => {
    const refusesWrite = `!(ActionMatches{'${BLOBS.toLowerCase()}/WRITE'})`;
    assert.equal(conditionAllows(refusesWrite, request("write", "c")), false, "another case");
    assert.equal(conditionAllows(`ActionMatches{'${BLOBS}/*'}`, request("add/action", "c")), true, "a wildcard");
    assert.equal(
      conditionAllows(`ActionMatches{'${BLOBS}/*'}`, { action: "x/y", account: "a", container: "c" }),
      false,
    );
  });

  it("reads nothing it cannot read whole: a token left over, a value in upper case (names are lower case)", () => {
    assert.equal(conditionAllows(`ActionMatches{'x'} )`, request("write", "c")), undefined);
    assert.equal(conditionAllows(`ActionMatches{'x'} ActionMatches{'y'}`, request("write", "c")), undefined);
    assert.equal(
      conditionAllows(
        "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'App'",
        request("write", "App"),
      ),
      undefined,
    );
  });

  it("answers undefined for what it does not read: another attribute, an operator, an unbalanced or empty condition", () => {
    for (const c of [
      "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringLike 'a*'",
      "@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:k<$key_case_sensitive$>] StringEquals 'v'",
      "@Resource[Microsoft.Storage/storageAccounts:name] StringStartsWith 'st'",
      "((ActionMatches{'x'})",
      "",
    ])
      assert.equal(conditionAllows(c, request("write", "c")), undefined, c);
  });

  it("matches a role's data action patterns with wildcards, case-insensitively", () => {
    assert.ok(dataActionCovers(`${BLOBS}/*`, `${BLOBS}/add/action`));
    assert.ok(dataActionCovers("microsoft.storage/*", `${BLOBS}/write`));
    assert.ok(!dataActionCovers(`${BLOBS}/read`, `${BLOBS}/write`));
    assert.deepEqual(
      BLOB_WRITE_DATA_ACTIONS.filter((a) => PACKAGE_WRITER_DATA_ACTIONS.some((p) => dataActionCovers(p, a))).map((a) =>
        a.slice(BLOBS.length + 1),
      ),
      ["write", "add/action", "delete"],
      "the package writer role writes, appends and deletes; nothing else that changes a blob",
    );
  });
});

describe("policies/functionPackages", () => {
  it("exports well-named policies with metadata", () => {
    assert.equal(functionPackagePolicies.length, 1);
    for (const p of functionPackagePolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  describe(packageWritesByApp.name, () => {
    it("passes an app whose identity's blob role refuses writes in its package container", () =>
      expectPass(packageWritesByApp, stack()));

    it("passes a grant of a blob writer elsewhere (another account, another principal) or of a role that writes no blob", () =>
      expectPass(packageWritesByApp, [
        ...stack(),
        grant("other-account", OWNER, undefined, armId("Microsoft.Storage", "storageAccounts/stother")),
        mutate(grant("other-principal", OWNER), "principalId", "pid-2"),
        grant("reader", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"),
      ]));

    it("is not applicable to a stack without a function app deploying from a blob container, or whose account is elsewhere", async () => {
      await expectNotApplicable(packageWritesByApp, [otherResource(), account(), ownerGrant(null)]);
      await expectNotApplicable(packageWritesByApp, [app(), identity(), ownerGrant(null)]);
    });

    it("fails a blob role without a condition on the package's account, naming the grant and the app", async () => {
      const r = await expectFail(
        packageWritesByApp,
        withOwner(null),
        /ingestion-payapi-st-ra-blob-data-owner .* lets ingestion-payapi-app's code \(as ingestion-id-payment-api\) write its deployment package in container 'app-package' \(no condition\): code running in the app could replace what its next start boots/,
      );
      assert.equal(r.urn, ownerGrant().urn);
    });

    it("fails a grant on the package container itself, and a Storage Blob Data Contributor", async () => {
      await expectFail(
        packageWritesByApp,
        [
          ...stack(),
          grant(
            "on-container",
            "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
            undefined,
            `${ACCOUNT_ID}/blobServices/default/containers/app-package`,
          ),
        ],
        /on-container .* \(no condition\)/,
      );
    });

    it("fails a condition that lets some write through, naming the actions", async () => {
      // Microsoft's named-container form on another container: writes in app-package are not refused.
      const other = packageWritesRefusedCondition("azure-webjobs-hosts");
      await expectFail(
        packageWritesByApp,
        withOwner(other),
        /its condition allows write, add\/action, delete, move\/action, .*runAsSuperUser\/action there/,
      );
      // A condition that forgets the tags and the versions.
      const partial = `((!(ActionMatches{'${BLOBS}/write'}) AND !(ActionMatches{'${BLOBS}/add/action'}) AND !(ActionMatches{'${BLOBS}/delete'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringNotEquals 'app-package'))`;
      await expectFail(
        packageWritesByApp,
        withOwner(partial),
        /allows move\/action, deleteBlobVersion\/action, permanentDelete\/action, tags\/write/,
      );
    });

    it("fails a condition the pack cannot read", () =>
      expectFail(
        packageWritesByApp,
        withOwner("@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringLike 'x*'"),
        /its condition uses more than the pack reads/,
      ));

    it("fails a custom role of the stack whose data actions write blobs, its notDataActions taken out", async () => {
      const custom = resourceRecord("azure-native:authorization:RoleDefinition", "writer-role", {
        roleDefinitionId: "99999999-9999-5999-8999-999999999999",
        permissions: [
          { actions: [], dataActions: [`${BLOBS}/*`], notDataActions: [`${BLOBS}/write`, `${BLOBS}/add/action`] },
        ],
      });
      const assigned = {
        ...grant("custom-grant", "99999999-9999-5999-8999-999999999999"),
        propertyDependencies: { roleDefinitionId: [custom.urn] },
      };
      await expectFail(packageWritesByApp, [...stack(), custom, assigned], /custom-grant .*\(no condition\)/);
      // Every blob write taken out by its notDataActions: the role reads only.
      const readsOnly = mutate(custom, "permissions", [
        { actions: [], dataActions: [`${BLOBS}/*`], notDataActions: [...BLOB_WRITE_DATA_ACTIONS] },
      ]);
      await expectPass(packageWritesByApp, [...stack(), readsOnly, assigned]);
      const readOnly = mutate(custom, "permissions", [{ actions: [], dataActions: [`${BLOBS}/read`] }]);
      await expectPass(packageWritesByApp, [...stack(), readOnly, assigned]);
      // A custom role that can turn shared keys back on, or grant roles, whatever its data actions.
      const control = mutate(custom, "permissions", [
        { actions: ["Microsoft.Storage/storageAccounts/*"], dataActions: [] },
      ]);
      await expectFail(
        packageWritesByApp,
        [...stack(), control, assigned],
        /custom-grant .*\(writer-role: it can turn the account's shared keys back on/,
      );
    });

    it("fails a grant over the account from above it: its resource group, the subscription (by id, or in a first preview by the group it was built from)", async () => {
      const group = withId(
        resourceRecord("azure-native:resources:ResourceGroup", "platform-rg-ingestion", { resourceGroupName: RG_NAME }),
        `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG_NAME}`,
      );
      for (const scope of [group.id as string, `/subscriptions/${SUBSCRIPTION}`])
        await expectFail(
          packageWritesByApp,
          [...stack(), grant("from-above", OWNER, undefined, scope)],
          /from-above .*\(no condition\)/,
        );
      // A first preview: Owner (the control-plane role) fails whatever its condition; a blob role's condition left out
      // is unknown in the provider's preview outputs, the rule undecided until the update.
      const first = {
        ...mutate(grant("from-above", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", undefined, UNKNOWN), "scope", UNKNOWN),
        propertyDependencies: { scope: [group.urn] },
      };
      const accountInGroup = { ...account(), propertyDependencies: { resourceGroupName: [group.urn] } };
      await expectFail(
        packageWritesByApp,
        [app(), identity(), accountInGroup, container(), ownerGrant(), group, first],
        /from-above .*\(Owner: it can turn the account's shared keys back on/,
      );
      await expectUndecided(packageWritesByApp, [
        app(),
        identity(),
        accountInGroup,
        container(),
        ownerGrant(),
        group,
        {
          ...mutate(grant("from-above", OWNER, undefined, UNKNOWN), "scope", UNKNOWN),
          propertyDependencies: first.propertyDependencies,
        },
      ]);
      // Another group: not over the account.
      await expectPass(packageWritesByApp, [
        ...stack(),
        grant("elsewhere", OWNER, undefined, `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-other`),
      ]);
    });

    it("cannot decide an app whose package URL names an account created in this preview (its name not known yet)", () =>
      expectUndecided(
        packageWritesByApp,
        [
          app(),
          identity(),
          resourceRecord(
            "azure-native:storage:StorageAccount",
            "ingestion-payapi-st",
            { accountName: "stpaydevweupayapi1234", allowSharedKeyAccess: false },
            { preview: true },
          ),
          ownerGrant(null),
        ],
        /value at \.name /,
      ));
    it("in a first preview, takes a grant whose scope was built from the package container as over the package", async () => {
      const onContainer = (deps: string[]) => ({
        ...mutate(grant("on-container", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"), "scope", UNKNOWN),
        propertyDependencies: { scope: deps },
      });
      await expectFail(
        packageWritesByApp,
        [...stack(), onContainer([container().urn])],
        /on-container .*\(Owner: it can turn the account's shared keys back on/,
      );
      // Built from another resource of the stack: not over the package.
      await expectPass(packageWritesByApp, [...stack(), onContainer([identity().urn])]);
    });
    it("fails a role that can turn shared keys back on or grant roles (Owner, Contributor, Storage Account Contributor...), even with a condition", async () => {
      for (const [guid, name] of [
        ["17d1049b-9a84-46fb-8f53-869881c3d3ab", "Storage Account Contributor"],
        ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner"],
        ["18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator"],
      ])
        await expectFail(
          packageWritesByApp,
          [...stack(), grant("control", guid, packageWritesRefusedCondition())],
          new RegExp(`control .*\\(${name}: it can turn the account's shared keys back on or grant itself a blob role`),
        );
    });

    it("fails a role the pack cannot read (a custom role defined outside the stack)", () =>
      expectFail(
        packageWritesByApp,
        [...stack(), grant("outside", "12345678-1234-5234-8234-123456789012")],
        /outside .* gives ingestion-payapi-app's code \(as ingestion-id-payment-api\) .*12345678-1234-5234-8234-123456789012 over its deployment package's account, and the pack cannot tell what that role allows/,
      ));

    it("fails a grant to another identity attached to the app, or to a group the identity is a member of", async () => {
      const otherId = armId("Microsoft.ManagedIdentity", "userAssignedIdentities/id-other");
      const other = {
        ...withId(resourceRecord("azure-native:managedidentity:UserAssignedIdentity", "other-id", {}), otherId),
      };
      const otherWithPrincipal = { ...other, outputs: { ...other.outputs, principalId: "pid-2" } };
      const both = mutate(app(), "identity.userAssignedIdentities", [IDENTITY_ID, otherId]);
      const toOther = mutate(grant("to-other", OWNER), "principalId", "pid-2");
      await expectFail(
        packageWritesByApp,
        [both, identity(), otherWithPrincipal, account(), container(), ownerGrant(), toOther],
        /to-other .*\(as other-id\) .*\(no condition\)/,
      );
      await expectPass(packageWritesByApp, [
        app(),
        identity(),
        otherWithPrincipal,
        account(),
        container(),
        ownerGrant(),
        toOther,
      ]);
      // Through a group of the stack.
      const group = resourceRecord("azuread:index/group:Group", "writers", { displayName: "writers" });
      const groupOut = { ...group, outputs: { ...group.outputs, objectId: "gid-1" } };
      const member = {
        ...resourceRecord("azuread:index/groupMember:GroupMember", "writers-payapi", {
          groupObjectId: "gid-1",
          memberObjectId: "pid-1",
        }),
        propertyDependencies: { groupObjectId: [group.urn] },
      };
      const toGroup = mutate(mutate(grant("to-group", OWNER), "principalId", "gid-1"), "principalType", "Group");
      await expectFail(
        packageWritesByApp,
        [...stack(), groupOut, member, toGroup],
        /to-group .*\(as group writers \(ingestion-id-payment-api is a member\)\)/,
      );
    });

    it("fails a condition whose ActionMatches wildcard lets every write back in", () =>
      expectFail(
        packageWritesByApp,
        [
          app(),
          identity(),
          account(),
          container(),
          ownerGrant(`(${packageWritesRefusedCondition()}) OR (ActionMatches{'${BLOBS}/*'})`),
        ],
        /its condition allows write, add\/action/,
      ));

    it("fails an app deploying with a connection string (an account key)", () =>
      expectFail(
        packageWritesByApp,
        [
          mutate(app(), "functionAppConfig.deployment.storage.authentication", {
            type: "StorageAccountConnectionString",
            storageAccountConnectionStringName: "DEPLOY",
          }),
          account(),
          container(),
        ],
        /ingestion-payapi-app .* reads and writes its deployment package with a storage connection string/,
      ));

    it("judges a system-assigned deployment identity by the app's own principal", async () => {
      const system = mutate(
        mutate(app(), "functionAppConfig.deployment.storage.authentication", { type: "SystemAssignedIdentity" }),
        "identity",
        { type: "SystemAssigned", principalId: "pid-1" },
      );
      await expectFail(
        packageWritesByApp,
        [system, account(), container(), ownerGrant(null)],
        /ingestion-payapi-app's code \(as its system-assigned identity\)/,
      );
      await expectPass(packageWritesByApp, [system, account(), container(), ownerGrant()]);
    });

    it("in a first preview, ties the app, identity, account and grants by the dependencies the engine records", async () => {
      const firstApp = {
        ...mutate(
          mutate(app(), "functionAppConfig.deployment.storage.value", UNKNOWN),
          "functionAppConfig.deployment.storage.authentication.userAssignedIdentityResourceId",
          UNKNOWN,
        ),
        propertyDependencies: {
          functionAppConfig: [account().urn, container().urn, identity().urn],
          identity: [identity().urn],
        },
      };
      const firstIdentity = mutate(identity(), "principalId", UNKNOWN);
      const firstGrant = (condition: string | null) => ({
        ...mutate(mutate(ownerGrant(condition), "principalId", UNKNOWN), "scope", UNKNOWN),
        propertyDependencies: { principalId: [identity().urn], scope: [account().urn] },
      });
      const unnamed = mutate(mutate(account(), "accountName", UNKNOWN), "name", UNKNOWN);
      await expectPass(packageWritesByApp, [
        firstApp,
        firstIdentity,
        unnamed,
        container(),
        firstGrant(packageWritesRefusedCondition()),
      ]);
      // Created without a condition: the provider's preview outputs answer it unknown, decided by the update.
      await expectUndecided(packageWritesByApp, [firstApp, firstIdentity, unnamed, container(), firstGrant(null)]);
      // A condition that reads the account's name waits for it.
      const byAccount = `(${packageWritesRefusedCondition()}) OR (@Resource[Microsoft.Storage/storageAccounts:name] StringEquals 'stpaydevweupayapi1234')`;
      await expectUndecided(packageWritesByApp, [firstApp, firstIdentity, unnamed, container(), firstGrant(byAccount)]);
      // The container's name unknown too: decided once deployed.
      const noName = mutate(mutate(container(), "containerName", UNKNOWN), "name", UNKNOWN);
      await expectUndecided(packageWritesByApp, [firstApp, firstIdentity, unnamed, noName, firstGrant(null)]);
    });
  });
});
