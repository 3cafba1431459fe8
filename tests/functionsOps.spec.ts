/**
 * The deploy window of the function apps' packages (config `functionPackageWrites`): the conditions, evaluated as Azure
 * evaluates a role assignment's condition; the ship tool against a fake Azure CLI; the program's wiring in both stacks
 * and with the fallback `always`.
 */
import { strict as assert } from "node:assert";
import { apiVersionOf } from "../tools/lib/armSchema/identity";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  checkPackageWriter,
  DEPLOYMENT_CONTAINER,
  PACKAGE_WRITE_DATA_ACTIONS,
  PACKAGE_WRITER_DATA_ACTIONS,
  packageWriterCondition,
  packageWritesRefusedCondition,
} from "../components/shared/functionAppSettings";
import { PROJECT } from "../lib/config";
import { conditionAllows, type BlobRequest } from "../policies/lib/abac";
import { roleAssignmentName } from "../lib/uuid";
import type { Az } from "../tools/lib/etlOps";
import {
  checkPackages,
  close,
  standingWriteGrants,
  type AssignmentInfo,
  type RoleDefinitionInfo,
  grantBody,
  grantId,
  packageTarget,
  ROLE_ASSIGNMENT_API,
  ship,
  ShipError,
  SITE_API,
  type ShipOptions,
} from "../tools/lib/functionsOps";
import { evaluatePolicy, type ResourceRecord } from "../tools/lib/policyRunner";
import { packageWritesByApp } from "../policies/rules/functionPackages";
import { byName, input, ofType, previewEdited, previewOf } from "./helpers/stacks";
import { tempDir } from "./helpers/tmp";

/** The condition as the pack reads it (policies/lib/abac.ts, tested on Microsoft's examples): it must be readable. */
function evaluate(condition: string, request: BlobRequest): boolean {
  const allowed = conditionAllows(condition, request);
  assert.ok(allowed !== undefined, `the condition reads: ${condition}`);
  return allowed;
}
type Request = BlobRequest;

const BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";
const req = (verb: string, container: string, account = "stpaydevweupayapi1234"): Request => ({
  action: `${BLOBS}/${verb}`,
  account,
  container,
});

describe("function packages: the conditions", () => {
  const owner = packageWritesRefusedCondition();

  it("the app's blob role refuses every write-class action in its package container", () => {
    for (const action of PACKAGE_WRITE_DATA_ACTIONS)
      assert.equal(evaluate(owner, { action, account: "a", container: DEPLOYMENT_CONTAINER }), false, action);
    assert.deepEqual(
      PACKAGE_WRITE_DATA_ACTIONS.map((a) => a.slice(BLOBS.length + 1)),
      [
        "write",
        "add/action",
        "delete",
        "move/action",
        "deleteBlobVersion/action",
        "permanentDelete/action",
        "tags/write",
        "immutableStorage/runAsSuperUser/action",
        "runAsSuperUser/action",
      ],
    );
  });

  it("and leaves everything else to it: reading the package, and writing the host's own containers", () => {
    assert.equal(evaluate(owner, req("read", DEPLOYMENT_CONTAINER)), true, "the host reads its package at start-up");
    for (const container of ["azure-webjobs-hosts", "azure-webjobs-secrets", "azure-webjobs-eventhub"])
      for (const verb of ["write", "add/action", "delete", "read"])
        assert.equal(evaluate(owner, req(verb, container)), true, `${verb} in ${container}`);
  });

  it("the ship's grant acts in one account's package container only", () => {
    const writer = packageWriterCondition("stpaydevweupayapi1234");
    for (const action of PACKAGE_WRITER_DATA_ACTIONS) {
      const verb = action.slice(BLOBS.length + 1);
      assert.equal(evaluate(writer, req(verb, DEPLOYMENT_CONTAINER)), true, `${verb} in its package container`);
      assert.equal(evaluate(writer, req(verb, "azure-webjobs-hosts")), false, `${verb} in another container`);
      assert.equal(
        evaluate(writer, req(verb, DEPLOYMENT_CONTAINER, "stpaydevweufraud1234")),
        false,
        `${verb} in another app's package container (the grant is made on the resource group)`,
      );
    }
  });

  it("an app's package writer matches the stack's functionPackageWrites: a role with deploy-window, none with always", () => {
    const role = {
      roleDefinitionId: pulumi.output("/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/r"),
    };
    assert.doesNotThrow(() => checkPackageWriter("deploy-window", role, "payapi"));
    assert.doesNotThrow(() => checkPackageWriter("always", {}, "payapi"));
    assert.throws(
      () => checkPackageWriter("deploy-window", {}, "payapi"),
      /function app payapi: .*deploy-window: a role is needed/,
    );
    assert.throws(() => checkPackageWriter("always", role, "relay"), /function app relay: .*always: no role is made/);
  });

  it("refuses a name that would break out of its quotes", () => {
    assert.throws(
      () => packageWriterCondition("st' OR 'a' StringEquals 'a"),
      /not a storage account or container name/,
    );
    assert.throws(() => packageWritesRefusedCondition("App-Package"), /not a storage account or container name/);
  });
});

// --- The ship tool against a fake Azure CLI.
const SUB = "00000000-0000-4000-8000-000000000001";
const RG = "rg-pay-dev-weu-ingestion";
const APP = "func-pay-dev-weu-payapi-ab12";
const UAMI = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-pay-dev-weu-payment-api`;
const ROLE = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/11111111-2222-5333-8444-555555555555`;
const SITE = {
  id: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Web/sites/${APP}`,
  identity: {
    type: "UserAssigned",
    // ARM may spell the key's resource group in another case than the reference.
    userAssignedIdentities: { [UAMI.replace(RG, RG.toUpperCase())]: { principalId: "pid-1", clientId: "cid-1" } },
  },
  properties: {
    functionAppConfig: {
      deployment: {
        storage: {
          type: "blobContainer",
          value: "https://stpaydevweupayapi1234.blob.core.windows.net/app-package",
          authentication: { type: "UserAssignedIdentity", userAssignedIdentityResourceId: UAMI },
        },
      },
    },
  },
};
const GRANT = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Authorization/roleAssignments/${roleAssignmentName(`/subscriptions/${SUB}/resourceGroups/${RG}`, "pid-1", ROLE)}`;

/** A fake Azure CLI: records every call; config-zip fails `deployFailures` times; `failDelete` refuses the delete. */
const ASSIGNMENTS_URL = `https://management.azure.com/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments?$filter=assignedTo('pid-1')&api-version=${ROLE_ASSIGNMENT_API}`;
const RG_ID = `/subscriptions/${SUB}/resourceGroups/${RG}`;
const ACCOUNT_ID = `${RG_ID}/providers/Microsoft.Storage/storageAccounts/stpaydevweupayapi1234`;
/** The identity's grants as the program makes them: its blob role with the condition, its table role. */
const PROGRAM_GRANTS: AssignmentInfo[] = [
  {
    id: `${ACCOUNT_ID}/providers/Microsoft.Authorization/roleAssignments/a1`,
    properties: {
      roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/b7e6dc6d-f1e8-4753-8033-0f276bb0955b`,
      scope: ACCOUNT_ID,
      condition: packageWritesRefusedCondition(),
    },
  },
  {
    id: `${ACCOUNT_ID}/providers/Microsoft.Authorization/roleAssignments/a2`,
    properties: {
      roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3`,
      scope: ACCOUNT_ID,
      condition: null,
    },
  },
];

/** Custom roles' definitions as ARM returns them: the package writer, one that writes blobs, one that reads only. */
const WRITER_ROLE_2 = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/22222222-2222-5222-8222-222222222222`;
const READER_ROLE_2 = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/33333333-3333-5333-8333-333333333333`;
const DEFINITIONS: Record<string, RoleDefinitionInfo> = {
  [ROLE]: {
    properties: {
      roleName: "Function package writer (pay-dev-ingestion)",
      permissions: [{ actions: [], notActions: [], dataActions: PACKAGE_WRITER_DATA_ACTIONS, notDataActions: [] }],
    },
  },
  [WRITER_ROLE_2]: {
    properties: { roleName: "Blob toucher", permissions: [{ actions: [], dataActions: [`${BLOBS}/*`] }] },
  },
  [READER_ROLE_2]: {
    properties: { roleName: "Blob reader", permissions: [{ actions: ["*/read"], dataActions: [`${BLOBS}/read`] }] },
  },
};

/**
 * A fake Azure CLI: records every call; config-zip fails `deployFailures` times with `deployError`; `failDelete`
 * refuses the delete; the identity holds `assignments`.
 */
function fakeAz(
  o: {
    deployFailures?: number;
    deployError?: string;
    failDelete?: boolean;
    assignments?: AssignmentInfo[];
    /** The grants of a second identity attached to the app (`site` then has it). */
    otherAssignments?: AssignmentInfo[];
    site?: unknown;
  } = {},
) {
  const calls: string[][] = [];
  let failures = o.deployFailures ?? 0;
  const az: Az = (args) => {
    calls.push([...args]);
    const a = args.join(" ");
    if (a === "account show --query id") return SUB;
    if (a.startsWith("rest --method get --url ")) {
      if (args[4] === ASSIGNMENTS_URL) return { value: o.assignments ?? PROGRAM_GRANTS };
      if (args[4] === ASSIGNMENTS_URL.replace("pid-1", "pid-2")) return { value: o.otherAssignments ?? [] };
      const definition = DEFINITIONS[args[4].split("?")[0].replace("https://management.azure.com", "")];
      if (definition) return definition;
      assert.equal(
        args[4],
        `https://management.azure.com/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Web/sites/${APP}?api-version=${SITE_API}`,
      );
      return o.site ?? SITE;
    }
    if (a.startsWith("rest --method put ")) return { id: GRANT };
    if (a.startsWith("rest --method delete ")) {
      if (o.failDelete) throw new Error("ERROR: (ScopeLocked) The scope cannot perform delete operation");
      return null;
    }
    if (a.startsWith("functionapp deployment source config-zip")) {
      if (failures-- > 0)
        throw new Error(
          o.deployError ?? "Command failed: az functionapp ...\nERROR: 403 AuthorizationPermissionMismatch",
        );
      return null;
    }
    throw new Error(`unexpected az ${a}`);
  };
  return { az, calls };
}

const options = (over: Partial<ShipOptions> = {}): ShipOptions => ({
  resourceGroup: RG,
  app: APP,
  src: "function-app.zip",
  mode: "deploy-window",
  role: ROLE,
  reason: "org/repo run 42",
  attempts: 3,
  settleMs: 0,
  delayMs: 0,
  log: () => undefined,
  ...over,
});
const verbs = (calls: string[][]) =>
  calls.map((c) =>
    c[0] === "rest" ? `${c[2]} ${c[4].split("?")[0].split("/providers/").pop()}` : c.slice(0, 4).join(" "),
  );

describe("function packages: the ship tool (npm run functions:ops)", () => {
  it("reads the app's deployment identity and container from the app itself", () => {
    assert.deepEqual(packageTarget(SITE), {
      appId: SITE.id,
      resourceGroupId: `/subscriptions/${SUB}/resourceGroups/${RG}`,
      principalId: "pid-1",
      principalIds: ["pid-1"],
      account: "stpaydevweupayapi1234",
      container: "app-package",
    });
    // Every identity the app's code can use: another user-assigned one, a system-assigned one.
    const more = {
      ...SITE,
      identity: {
        type: "SystemAssigned, UserAssigned",
        principalId: "pid-system",
        userAssignedIdentities: { ...SITE.identity.userAssignedIdentities, "/x/other": { principalId: "pid-2" } },
      },
    };
    assert.deepEqual(packageTarget(more).principalIds, ["pid-1", "pid-2", "pid-system"]);
    const storage = SITE.properties.functionAppConfig.deployment.storage;
    const edited = (s: Record<string, unknown>) => ({
      ...SITE,
      properties: { functionAppConfig: { deployment: { storage: { ...storage, ...s } } } },
    });
    assert.throws(
      () => packageTarget(edited({ value: "https://st.file.core.windows.net/x" })),
      /not a blob container URL/,
    );
    assert.throws(
      () => packageTarget(edited({ authentication: { type: "SystemAssignedIdentity" } })),
      /'SystemAssignedIdentity', not a user-assigned identity/,
    );
    assert.throws(
      () => packageTarget({ ...SITE, identity: { type: "UserAssigned", userAssignedIdentities: {} } }),
      /is not attached to the app/,
    );
    assert.throws(() => packageTarget({ id: "/subscriptions/s/resourceGroups/r" }), ShipError);
  });

  it("grants the package writer role on the group, limited to the app's package container, with a deterministic name", () => {
    const target = packageTarget(SITE);
    assert.equal(grantId(target, ROLE), GRANT);
    assert.deepEqual(grantBody(target, ROLE, "org/repo run 42"), {
      properties: {
        roleDefinitionId: ROLE,
        principalId: "pid-1",
        principalType: "ServicePrincipal",
        condition: packageWriterCondition("stpaydevweupayapi1234", "app-package"),
        conditionVersion: "2.0",
        description: "Deploy window: org/repo run 42. Deleted after the ship (npm run functions:ops -- close).",
      },
    });
  });

  it("ships inside the grant: grant, deploy, delete, in that order", async () => {
    const { az, calls } = fakeAz();
    const result = await ship(az, options());
    assert.deepEqual(result, { attempts: 1, grant: GRANT });
    assert.deepEqual(verbs(calls), [
      "account show --query id",
      `get Microsoft.Web/sites/${APP}`,
      "get Microsoft.Authorization/roleAssignments",
      `put Microsoft.Authorization/roleAssignments/${GRANT.split("/").pop()}`,
      "functionapp deployment source config-zip",
      `delete Microsoft.Authorization/roleAssignments/${GRANT.split("/").pop()}`,
    ]);
    const put = calls[3];
    assert.equal(put[4], `https://management.azure.com${GRANT}?api-version=${ROLE_ASSIGNMENT_API}`);
    assert.deepEqual(JSON.parse(put[6]), grantBody(packageTarget(SITE), ROLE, "org/repo run 42"));
    assert.deepEqual(calls[4].slice(4), ["--resource-group", RG, "--name", APP, "--src", "function-app.zip"]);
  });

  it("tries the deploy again while the grant is not yet in force, and waits as told", async () => {
    const { az, calls } = fakeAz({ deployFailures: 2 });
    const waits: number[] = [];
    const lines: string[] = [];
    const result = await ship(
      az,
      options({
        settleMs: 60_000,
        delayMs: 30_000,
        sleep: async (ms) => void waits.push(ms),
        log: (l) => lines.push(l),
      }),
    );
    assert.equal(result.attempts, 3);
    assert.deepEqual(waits, [60_000, 30_000, 30_000], "settles once, then waits between attempts");
    assert.match(lines[1], /^deploy attempt 1 of 3 failed \(Command failed: az functionapp \.\.\.\): again in 30 s$/);
    assert.equal(verbs(calls).at(-1)?.startsWith("delete "), true);
  });

  it("deletes the grant when every attempt fails, and fails with the deploy's error", async () => {
    const { az, calls } = fakeAz({ deployFailures: 9 });
    await assert.rejects(ship(az, options()), /403 AuthorizationPermissionMismatch/);
    assert.equal(calls.filter((c) => c[0] === "functionapp").length, 3);
    assert.equal(verbs(calls).at(-1)?.startsWith("delete "), true, "the grant does not outlive a failed ship");
  });

  it("does not try again after a failure other than a refused write (a bad package, an outage): the window closes at once", async () => {
    const { az, calls } = fakeAz({
      deployFailures: 9,
      deployError: "Command failed: az functionapp ...\nERROR: Zip deployment failed: invalid package",
    });
    await assert.rejects(ship(az, options({ attempts: 10 })), /invalid package/);
    assert.equal(calls.filter((c) => c[0] === "functionapp").length, 1);
    assert.equal(verbs(calls).at(-1)?.startsWith("delete "), true);
  });

  it("refuses to ship, before any grant, when the identity can already write its package (a grant without a condition, above the account too)", async () => {
    const contributor = (scope: string, condition: string | null = null): AssignmentInfo => ({
      id: `${scope}/providers/Microsoft.Authorization/roleAssignments/x-${scope.length}`,
      properties: {
        roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe`,
        scope,
        condition,
      },
    });
    for (const scope of [
      ACCOUNT_ID,
      RG_ID,
      `/subscriptions/${SUB}`,
      `${ACCOUNT_ID}/blobServices/default/containers/app-package`,
    ]) {
      const { az, calls } = fakeAz({ assignments: [...PROGRAM_GRANTS, contributor(scope)] });
      await assert.rejects(ship(az, options()), (e: unknown) => {
        assert.ok(e instanceof ShipError);
        assert.match(
          e.message,
          new RegExp(
            `can already write its package outside a ship, through ${contributor(scope).id.replace(/[/.]/g, "\\$&")}`,
          ),
        );
        assert.match(e.message, /az functionapp deployment config set/);
        return true;
      });
      assert.ok(!calls.some((c) => c[2] === "put" || c[0] === "functionapp"), `${scope}: no grant, no deploy`);
    }
    // Not: another container, another account, a condition refusing the writes there, the ship's own grant left over.
    const other = `${ACCOUNT_ID}/blobServices/default/containers/azure-webjobs-hosts`;
    const otherAccount = `${RG_ID}/providers/Microsoft.Storage/storageAccounts/stother`;
    const leftover: AssignmentInfo = {
      id: GRANT,
      properties: { roleDefinitionId: ROLE, scope: RG_ID, condition: null },
    };
    const { az } = fakeAz({
      assignments: [
        ...PROGRAM_GRANTS,
        contributor(other),
        contributor(otherAccount),
        contributor(RG_ID, packageWritesRefusedCondition()),
        leftover,
      ],
    });
    assert.equal((await ship(az, options())).attempts, 1);
    // The pure check names what lets writes through: a condition that refuses writes elsewhere, or one it cannot read.
    const target = packageTarget(SITE);
    assert.deepEqual(
      standingWriteGrants(
        [
          contributor(RG_ID, packageWritesRefusedCondition("azure-webjobs-hosts")),
          contributor(ACCOUNT_ID, "@Request[x] StringEquals 'y'"),
        ],
        target,
        DEFINITIONS,
        ROLE,
      ).length,
      2,
    );
  });

  it("refuses too on a role that writes blobs by its definition, or can turn shared keys back on, or from a management group", async () => {
    const assignment = (role: string, scope: string, condition: string | null = null): AssignmentInfo => ({
      id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${role.slice(-4)}-${scope.length}`,
      properties: { roleDefinitionId: role, scope, condition },
    });
    const builtIn = (guid: string) => `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
    for (const extra of [
      // The package writer role granted by hand (not the ship's grant), on the account.
      assignment(ROLE, ACCOUNT_ID, packageWriterCondition("stpaydevweupayapi1234")),
      assignment(WRITER_ROLE_2, RG_ID),
      assignment(builtIn("17d1049b-9a84-46fb-8f53-869881c3d3ab"), RG_ID, packageWritesRefusedCondition()),
      assignment(
        builtIn("b7e6dc6d-f1e8-4753-8033-0f276bb0955b"),
        "/providers/Microsoft.Management/managementGroups/corp",
      ),
    ]) {
      const { az, calls } = fakeAz({ assignments: [...PROGRAM_GRANTS, extra] });
      await assert.rejects(ship(az, options()), new RegExp(`through ${extra.id.replace(/[/.]/g, "\\$&")}`));
      assert.ok(!calls.some((c) => c[2] === "put"), "no grant");
    }
    // A custom role that reads only, a harmless built-in from above.
    const { az } = fakeAz({
      assignments: [
        ...PROGRAM_GRANTS,
        assignment(READER_ROLE_2, RG_ID),
        assignment(builtIn("acdd72a7-3385-48ef-bd42-f606fba81ae7"), `/subscriptions/${SUB}`),
      ],
    });
    assert.equal((await ship(az, options())).attempts, 1);
  });

  it("refuses too when another identity attached to the app can write its package (the app's code can use it)", async () => {
    const site = {
      ...SITE,
      identity: {
        type: "UserAssigned",
        userAssignedIdentities: { ...SITE.identity.userAssignedIdentities, "/x/other": { principalId: "pid-2" } },
      },
    };
    const contributorOnAccount: AssignmentInfo = {
      id: `${ACCOUNT_ID}/providers/Microsoft.Authorization/roleAssignments/other-1`,
      properties: {
        roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe`,
        scope: ACCOUNT_ID,
      },
    };
    const { az, calls } = fakeAz({ site, otherAssignments: [contributorOnAccount] });
    await assert.rejects(ship(az, options()), /through .*other-1/);
    assert.ok(!calls.some((c) => c[2] === "put"));
  });

  it("fails loudly, naming the grant and the command that deletes it, when the grant cannot be deleted", async () => {
    const { az } = fakeAz({ failDelete: true });
    await assert.rejects(ship(az, options()), (e: unknown) => {
      assert.ok(e instanceof ShipError);
      assert.match(e.message, new RegExp(`the grant ${GRANT} could not be deleted \\(ERROR: \\(ScopeLocked\\)`));
      assert.match(
        e.message,
        new RegExp(`az role assignment delete --ids ${GRANT}\\); until then ${APP}'s code can replace its package`),
      );
      return true;
    });
  });

  it("with functionPackageWrites: always, deploys without any grant; with deploy-window, refuses to ship without the role", async () => {
    const always = fakeAz();
    assert.deepEqual(await ship(always.az, options({ mode: "always", role: undefined })), { attempts: 1 });
    assert.deepEqual(verbs(always.calls), ["functionapp deployment source config-zip"]);
    const missing = fakeAz();
    await assert.rejects(ship(missing.az, options({ role: undefined })), /--role must name the package writer role/);
    await assert.rejects(
      ship(missing.az, options({ role: "Storage Blob Data Contributor" })),
      /is not a role definition id/,
    );
    assert.deepEqual(missing.calls, [], "nothing done in Azure");
  });

  it("close deletes the app's grant (after a cancelled ship), and does nothing with always", () => {
    const { az, calls } = fakeAz();
    assert.equal(close(az, { resourceGroup: RG, app: APP, mode: "deploy-window", role: ROLE }), GRANT);
    assert.deepEqual(verbs(calls).at(-1), `delete Microsoft.Authorization/roleAssignments/${GRANT.split("/").pop()}`);
    const none = fakeAz();
    assert.equal(close(none.az, { resourceGroup: RG, app: APP, mode: "always", role: undefined }), undefined);
    assert.deepEqual(none.calls, []);
  });
});

describe("function packages: the drift check (npm run functions:ops -- check)", () => {
  const SITE_ID = SITE.id;
  /** A fake Azure CLI for the check: the groups, their sites, the site and the identity's grants. */
  const checkAz = (assignments: AssignmentInfo[], sites: Record<string, string[]> = { [RG]: [SITE_ID] }) => {
    const calls: string[][] = [];
    const az: Az = (args) => {
      calls.push([...args]);
      const a = args.join(" ");
      if (a.startsWith("group exists --name ")) return args[3] in sites;
      if (a.startsWith("resource list --resource-group ")) {
        assert.equal(args[5], "Microsoft.Web/sites");
        return sites[args[3]] ?? [];
      }
      if (a === `rest --method get --url https://management.azure.com${SITE_ID}?api-version=${SITE_API}`) return SITE;
      if (a.includes("/other-site?")) return { id: "/x/other-site", properties: { siteConfig: {} } };
      if (a === `rest --method get --url ${ASSIGNMENTS_URL}`) return { value: assignments };
      const definition = DEFINITIONS[args[4]?.split("?")[0].replace("https://management.azure.com", "") ?? ""];
      if (a.startsWith("rest --method get") && definition) return definition;
      throw new Error(`unexpected az ${a}`);
    };
    return { az, calls };
  };
  const contributorOnGroup: AssignmentInfo = {
    id: `${RG_ID}/providers/Microsoft.Authorization/roleAssignments/c1`,
    properties: {
      roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe`,
      scope: RG_ID,
    },
  };
  const leftover: AssignmentInfo = {
    id: GRANT,
    properties: {
      roleDefinitionId: ROLE,
      scope: RG_ID,
      condition: "…",
      description: "Deploy window: org/repo run 9. Deleted after the ship (npm run functions:ops -- close).",
    },
  };

  it("reports nothing for the program's own grants, and skips a site that is not a Flex app or a group not there yet", () => {
    const { az } = checkAz(PROGRAM_GRANTS, { [RG]: [SITE_ID, "/x/other-site"] });
    assert.deepEqual(checkPackages(az, [RG, "rg-not-yet"]), []);
  });

  it("reports a standing write grant and a ship's grant left behind, naming the app and the grants", () => {
    const { az } = checkAz([...PROGRAM_GRANTS, contributorOnGroup, leftover]);
    assert.deepEqual(checkPackages(az, [RG]), [{ app: APP, standing: [contributorOnGroup], leftover: [leftover] }]);
  });
});

describe("function packages: the command (npm run functions:ops), with a fake az on PATH", () => {
  const ROOT = path.resolve(__dirname, "..");
  let bin: string;
  before(() => {
    bin = tempDir("fake-az-");
    // Answers as the Azure CLI does (JSON on stdout), and records each call's arguments in calls.jsonl.
    fs.writeFileSync(
      path.join(bin, "az"),
      `#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2).filter((a, i, all) => a !== "--output" && all[i - 1] !== "--output");
fs.appendFileSync(${JSON.stringify(path.join(bin, "calls.jsonl"))}, JSON.stringify(args) + "\\n");
const a = args.join(" ");
if (a === "account show --query id") process.stdout.write(JSON.stringify(${JSON.stringify(SUB)}));
else if (a.startsWith("group exists")) process.stdout.write("true");
else if (a.startsWith("resource list") && a.includes("ingestion")) process.stdout.write(JSON.stringify([${JSON.stringify(SITE.id)}]));
else if (a.startsWith("resource list")) process.stdout.write("[]");
else if (a.startsWith("rest --method get") && a.includes("roleAssignments")) process.stdout.write(process.env.FAKE_AZ_ASSIGNMENTS || JSON.stringify({ value: [] }));
else if (a.startsWith("rest --method get")) process.stdout.write(JSON.stringify(${JSON.stringify(SITE)}));
else if (a.startsWith("rest --method put")) process.stdout.write("{}");
else if (a.startsWith("functionapp deployment source config-zip")) process.stdout.write("");
else if (a.startsWith("rest --method delete")) process.stdout.write("");
else { process.stderr.write("unexpected az " + a); process.exit(3); }
`,
      { mode: 0o755 },
    );
  });
  const cli = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; out: string; calls: string[][] }>((resolve) => {
      fs.rmSync(path.join(bin, "calls.jsonl"), { force: true });
      execFile(
        process.execPath,
        [path.join(ROOT, "scripts", "ts-run.cjs"), "tools/functionsOps.ts", ...args],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            ...env,
            PATH: `${bin}${path.delimiter}${process.env.PATH}`,
            ARM_SUBSCRIPTION_ID: SUB,
            GITHUB_RUN_ID: "",
          },
        },
        (err, stdout, stderr) => {
          const log = path.join(bin, "calls.jsonl");
          const calls = fs.existsSync(log)
            ? fs
                .readFileSync(log, "utf8")
                .trim()
                .split("\n")
                .map((l) => JSON.parse(l) as string[])
            : [];
          resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, out: stdout + stderr, calls });
        },
      );
    });

  it("ships dev's app inside its window (dev's committed config: deploy-window), then closes it again", async () => {
    const common = ["--stack", "dev", "--resource-group", RG, "--app", APP, "--role", ROLE];
    const shipped = await cli([
      "ship",
      ...common,
      "--src",
      "function-app.zip",
      "--settle-seconds",
      "0",
      "--delay-seconds",
      "0",
    ]);
    assert.equal(shipped.code, 0, shipped.out);
    assert.deepEqual(
      shipped.calls.map((c) => c.slice(0, 3).join(" ")),
      [
        "account show --query",
        "account show --query",
        "rest --method get",
        "rest --method get",
        "rest --method put",
        "functionapp deployment source",
        "rest --method delete",
      ],
    );
    assert.equal(
      JSON.parse(shipped.calls[4][6]).properties.description,
      "Deploy window: manual ship. Deleted after the ship (npm run functions:ops -- close).",
    );
    assert.match(shipped.out, /shipped function-app\.zip to func-pay-dev-weu-payapi-ab12 \(1 attempt, deploy-window\)/);
    const closed = await cli(["close", ...common]);
    assert.equal(closed.code, 0, closed.out);
    assert.match(closed.out, new RegExp(`no grant left for ${APP} \\(${GRANT}\\)`));
  });

  it("checks dev's apps, read-only, and exits 0 when no identity can write its package outside a ship", async () => {
    const checked = await cli(["check", "--stack", "dev"]);
    assert.equal(checked.code, 0, checked.out);
    assert.match(checked.out, /no function app's identity can write its package outside a ship/);
    assert.deepEqual(
      checked.calls.filter((c) => c[0] === "group").map((c) => c[3]),
      ["rg-pay-dev-weu-ingestion", "rg-pay-dev-weu-integration"],
      "the ingestion tier's group and the streaming tier's",
    );
    assert.ok(!checked.calls.some((c) => c[2] === "put" || c[2] === "delete" || c[0] === "functionapp"), "read-only");
  });

  it("check exits 1, naming the app and the grant, when an identity can write its package outside a ship", async () => {
    const standing = {
      id: `${RG_ID}/providers/Microsoft.Authorization/roleAssignments/c9`,
      properties: {
        roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe`,
        scope: RG_ID,
      },
    };
    const checked = await cli(["check", "--stack", "dev"], {
      FAKE_AZ_ASSIGNMENTS: JSON.stringify({ value: [standing] }),
    });
    assert.equal(checked.code, 1, checked.out);
    assert.match(
      checked.out,
      new RegExp(`${APP}: its identity can write its package through ${standing.id.replace(/[/.]/g, "\\$&")}`),
    );
    assert.match(checked.out, /delete them \(az role assignment delete --ids <id>\)/);
  });

  it("answers bad usage with exit 2 before touching Azure", async () => {
    const [command, noSrc, noRole] = await Promise.all([
      cli(["deploy", "--stack", "dev"]),
      cli(["ship", "--stack", "dev", "--resource-group", RG, "--app", APP]),
      cli(["ship", "--stack", "dev", "--resource-group", RG, "--app", APP, "--src", "x.zip", "--role", ""]),
    ]);
    assert.equal(command.code, 2);
    assert.match(command.out, /unknown command 'deploy'[\s\S]*ship\|close/);
    assert.equal(noSrc.code, 2);
    assert.match(noSrc.out, /ship needs --src/);
    assert.equal(noRole.code, 2);
    assert.match(
      noRole.out,
      /error \(ship\): functionPackageWrites is deploy-window: --role must name the package writer role/,
    );
    for (const r of [command, noSrc]) assert.deepEqual(r.calls, []);
  });
});

// --- The program.
const APPS = [
  { app: "ingestion-payapi", role: "ingestion-package-writer", output: "paymentApi" },
  { app: "ingestion-fraud", role: "ingestion-package-writer", output: "fraudScoring" },
  { app: "streaming-relay", role: "streaming-package-writer", output: "relay" },
] as const;

for (const stack of ["dev", "prod"] as const) {
  describe(`function packages: the program (${stack})`, () => {
    let resources: ResourceRecord[];
    let outputs: Record<string, unknown>;
    before(async () => {
      const preview = await previewOf(stack);
      resources = preview.run.resources;
      outputs = preview.run.stackOutputs;
    });

    it("each app's blob role on its host storage refuses writes in the package container; its table role has no condition", () => {
      for (const { app } of APPS) {
        const owner = byName(resources, `${app}-st-ra-blob-data-owner`);
        assert.equal(owner.inputs.scope, byName(resources, `${app}-st`).id, `${app}: on its own account`);
        assert.equal(owner.inputs.condition, packageWritesRefusedCondition());
        assert.equal(owner.inputs.conditionVersion, "2.0");
        assert.equal(byName(resources, `${app}-st-ra-table-data-contributor`).inputs.condition, undefined);
      }
    });

    it("one package writer role per resource group: blob data actions only, assignable in that group, assigned by nobody in the stack", () => {
      for (const role of ["ingestion-package-writer", "streaming-package-writer"]) {
        const def = byName(resources, role);
        assert.deepEqual(input(def, "permissions"), [
          { actions: [], notActions: [], dataActions: PACKAGE_WRITER_DATA_ACTIONS, notDataActions: [] },
        ]);
        assert.match(
          String(def.inputs.scope),
          /^\/subscriptions\/[^/]+\/resourceGroups\/rg-pay-[a-z]+-weu-(ingestion|integration)$/,
        );
        assert.deepEqual(def.inputs.assignableScopes, [def.inputs.scope]);
      }
      const writers = ["ingestion-package-writer", "streaming-package-writer"].map((r) =>
        String(byName(resources, r).inputs.roleDefinitionId),
      );
      assert.equal(new Set(writers).size, 2, "one role per group");
      const assigned = ofType(resources, "azure-native:authorization:RoleAssignment").filter((r) =>
        writers.some((w) => String(r.inputs.roleDefinitionId).includes(w)),
      );
      assert.deepEqual(assigned, [], "the deploy workflow grants it for a ship only");
    });

    it("the pack's rule judges every app of the stack as deployed and passes it", async () => {
      // Not the policy specs' recording helpers: their coverage check counts only what the policy specs ran.
      const r = await evaluatePolicy(packageWritesByApp, resources);
      assert.deepEqual(r.messages, []);
      assert.equal(r.applicable, true);
    });

    it("exports each app's writer role for the deploy workflow", () => {
      const ids = outputs.functionPackageWriterRoleIds as Record<string, string>;
      assert.deepEqual(Object.keys(ids).sort(), APPS.map((a) => a.output).sort());
      for (const { role, output } of APPS)
        assert.match(
          ids[output],
          new RegExp(
            `/providers/Microsoft\\.Authorization/roleDefinitions/${byName(resources, role).inputs.roleDefinitionId}$`,
          ),
        );
    });
  });
}

describe("function packages: functionPackageWrites always (the fallback)", () => {
  let always: ResourceRecord[];
  let dev: ResourceRecord[];
  let outputs: Record<string, unknown>;
  let onceDeployed: readonly { policy: string; urn?: string; message: string }[];
  before(async function () {
    this.timeout(120_000);
    dev = (await previewOf("dev")).run.resources;
    const preview = await previewEdited("dev", (config) => {
      config[`${PROJECT}:functionPackageWrites`] = "always";
    });
    always = preview.run.resources;
    outputs = preview.run.stackOutputs;
    onceDeployed = preview.onceDeployed ?? [];
  });

  it("drops the conditions and the roles, and changes nothing else", () => {
    const names = (rs: readonly ResourceRecord[]) => rs.map((r) => r.name);
    assert.deepEqual(
      names(dev).filter((n) => !names(always).includes(n)),
      [
        "streaming-package-writer",
        "ingestion-package-writer",
        "streaming-package-writer-propagation",
        "ingestion-package-writer-propagation",
      ],
    );
    assert.deepEqual(
      names(always).filter((n) => !names(dev).includes(n)),
      [],
    );
    for (const { app } of APPS) {
      const owner = byName(always, `${app}-st-ra-blob-data-owner`);
      assert.equal(owner.inputs.condition, undefined, `${app}: its identity writes its package at any time`);
      assert.equal(owner.inputs.conditionVersion, undefined);
    }
    assert.deepEqual(outputs.functionPackageWriterRoleIds, { paymentApi: null, fraudScoring: null, relay: null });
  });

  it("is refused by the pack once deployed, one violation per app, until the security team exempts it", () => {
    const found = onceDeployed.filter((v) => v.policy === packageWritesByApp.name);
    assert.deepEqual(
      found.map((v) => v.urn?.split("::").pop()).sort(),
      APPS.map(({ app }) => `${app}-st-ra-blob-data-owner`).sort(),
    );
    for (const v of found) assert.match(v.message, /\(no condition\): code running in the app could replace/);
  });
});

describe("function packages: the tool reads sites at the program's API version", () => {
  it("SITE_API is the API version azure-native's WebApp deploys the apps with (a field read must exist there)", () => {
    assert.equal(SITE_API, apiVersionOf("azure-native:web:WebApp", {}));
  });
});
