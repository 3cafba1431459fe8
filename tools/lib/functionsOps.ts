/**
 * How the deploy workflow ships a function app's package (`npm run functions:ops -- ship`), through the Azure CLI.
 *
 * Flex's deployment service writes the package into the app's deployment container with the app's own identity (the
 * deployment storage authentication: deployment-zip-push.md, Flex section), and any identity attached to an app is
 * one its code can use. With `functionPackageWrites: deploy-window` that identity's blob role refuses writes in the
 * container (components/shared/functionAppSettings.ts, packageWritesRefusedCondition), so a ship:
 *  1. grants the app's identity the resource group's package writer role (a stack output), on the group, with a
 *     condition limiting it to the app's own account and package container (packageWriterCondition): on the group,
 *     since prod's CanNotDelete lock on the account would refuse to delete a grant made on the account
 *     (MicrosoftDocs/azure-docs#110791);
 *  2. waits for the grant to reach Storage, then runs `az functionapp deployment source config-zip`, again after a
 *     delay while the upload is refused (a grant not yet in force; a new try ships the same package);
 *  3. deletes the grant, whatever happened (and `close` deletes it again from an `always()` step, should the job be
 *     cancelled mid-ship). A role change "can take up to 10 minutes to take effect" (assign-azure-role-data-access):
 *     Storage may honour the grant for that long after its deletion too.
 * Before the grant it refuses to ship when any identity attached to the app already holds a standing write grant
 * (standingWriteGrants): the window would mean nothing.
 * With `always` it runs the deploy alone. The app's identity and container are read from the app itself
 * (`functionAppConfig.deployment.storage`), so the grant names what Azure uses, not what the program meant.
 *
 * The decisions are pure functions (tests/functionsOps.spec.ts); `Az` runs the CLI and is replaced by a fake in tests.
 */
import {
  DEPLOY_WINDOW_MARK,
  packageWriterCondition,
  type FunctionPackageWrites,
} from "../../components/shared/functionAppSettings";
import { blobWritesOf, conditionAllows, type RolePermissions } from "../../policies/lib/abac";
import { roleAssignmentName } from "../../lib/uuid";
import { pagedGet, resourceIds, type Az } from "./etlOps";

/** REST API versions: sites as the program deploys them (azure-native web), role assignments with conditions. */
export const SITE_API = "2025-05-01";
export const ROLE_ASSIGNMENT_API = "2022-04-01";
const ARM = "https://management.azure.com";

export class ShipError extends Error {
  override name = "ShipError";
}

/**
 * A deploy refused because the grant is not in force yet: the storage write's authorization error as the deployment
 * service or the CLI reports it (403, AuthorizationPermissionMismatch, AuthorizationFailure, BlobUploadFailed).
 */
export const NOT_YET_AUTHORISED =
  /\b403\b|AuthorizationPermissionMismatch|AuthorizationFailure|BlobUploadFailed|Forbidden/i;

/** What a ship grants: the app's deployment identity, its package container, and the group the grant is made on. */
export interface PackageTarget {
  readonly appId: string;
  readonly resourceGroupId: string;
  /** The principal id of the identity `functionAppConfig.deployment.storage.authentication` names. */
  readonly principalId: string;
  /** Every identity attached to the app (its code can use each): the deployment one, others, a system-assigned one. */
  readonly principalIds: readonly string[];
  readonly account: string;
  readonly container: string;
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/**
 * The package target of a site as ARM returns it (pure): its deployment storage must be a blob container of an
 * account in Azure's public cloud (`https://<account>.blob.core.windows.net/<container>`), read with a user-assigned
 * identity attached to the app; anything else is a ShipError naming what was found.
 */
export function packageTarget(site: unknown): PackageTarget {
  const s = record(site);
  const id = typeof s?.id === "string" ? s.id : "";
  const group = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)\/providers\/Microsoft\.Web\/sites\/[^/]+$/i.exec(id);
  if (!group) throw new ShipError(`not a function app as ARM returns it (id '${id}')`);
  const storage = record(record(record(record(s?.properties)?.functionAppConfig)?.deployment)?.storage);
  const auth = record(storage?.authentication);
  const where = /^https:\/\/([a-z0-9]{3,24})\.blob\.core\.windows\.net\/([a-z0-9-]{3,63})\/?$/.exec(
    String(storage?.value ?? ""),
  );
  if (!where)
    throw new ShipError(
      `${id}: functionAppConfig.deployment.storage.value is '${String(storage?.value)}', not a blob container URL (https://<account>.blob.core.windows.net/<container>): is it a Flex Consumption app?`,
    );
  if (auth?.type !== "UserAssignedIdentity" || typeof auth.userAssignedIdentityResourceId !== "string")
    throw new ShipError(
      `${id}: its deployment storage is read with '${String(auth?.type)}', not a user-assigned identity: the grant would name no principal`,
    );
  const identityId = auth.userAssignedIdentityResourceId.toLowerCase();
  const attached = Object.entries(record(record(s?.identity)?.userAssignedIdentities) ?? {}).find(
    ([key]) => key.toLowerCase() === identityId,
  );
  const principalId = record(attached?.[1])?.principalId;
  if (typeof principalId !== "string")
    throw new ShipError(
      `${id}: the deployment identity ${auth.userAssignedIdentityResourceId} is not attached to the app`,
    );
  const others = Object.values(record(record(s?.identity)?.userAssignedIdentities) ?? {})
    .map((v) => record(v)?.principalId)
    .concat(record(s?.identity)?.principalId)
    .filter((p): p is string => typeof p === "string");
  return {
    appId: id,
    resourceGroupId: group[1],
    principalId,
    principalIds: [...new Set([principalId, ...others])],
    account: where[1],
    container: where[2],
  };
}

/** The grant's ARM id (pure): on the app's group, named like every role assignment of the program (roleAssignmentName). */
export function grantId(target: PackageTarget, roleDefinitionId: string): string {
  const name = roleAssignmentName(target.resourceGroupId, target.principalId, roleDefinitionId);
  return `${target.resourceGroupId}/providers/Microsoft.Authorization/roleAssignments/${name}`;
}

/** The grant's request body (pure): the package writer role, limited to the app's account and package container. */
export function grantBody(target: PackageTarget, roleDefinitionId: string, reason: string): Record<string, unknown> {
  return {
    properties: {
      roleDefinitionId,
      principalId: target.principalId,
      principalType: "ServicePrincipal",
      condition: packageWriterCondition(target.account, target.container),
      conditionVersion: "2.0",
      description: `${DEPLOY_WINDOW_MARK} ${reason}. Deleted after the ship (npm run functions:ops -- close).`,
    },
  };
}

/** A role definition id as role assignments take it (`/subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<guid>`). */
export function checkRoleDefinitionId(role: string | undefined, mode: FunctionPackageWrites): string | undefined {
  if (mode === "always") return undefined;
  if (!role)
    throw new ShipError(
      "functionPackageWrites is deploy-window: --role must name the package writer role (the stack output functionPackageWriterRoleIds)",
    );
  if (
    !/^\/subscriptions\/[0-9a-f-]{36}\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/i.test(role)
  )
    throw new ShipError(
      `--role '${role}' is not a role definition id (/subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<guid>)`,
    );
  return role;
}

export interface ShipOptions {
  readonly resourceGroup: string;
  readonly app: string;
  /** The zip to deploy. */
  readonly src: string;
  readonly mode: FunctionPackageWrites;
  /** The package writer role (with `deploy-window`). */
  readonly role?: string;
  /** Why, for the grant's description (the workflow's run). */
  readonly reason: string;
  /** Deploy attempts (a first one may meet a grant Storage does not enforce yet). */
  readonly attempts: number;
  /** Wait after the grant before the first attempt, and between attempts. */
  readonly settleMs: number;
  readonly delayMs: number;
  readonly log: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

const siteUrl = (resourceGroup: string, app: string, subscription: string) =>
  `${ARM}/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${app}?api-version=${SITE_API}`;

/** The app as ARM returns it, in the CLI's subscription. */
function readSite(az: Az, resourceGroup: string, app: string): unknown {
  const subscription = az(["account", "show", "--query", "id"]);
  if (typeof subscription !== "string") throw new ShipError("the Azure CLI names no subscription: az login first");
  return az(["rest", "--method", "get", "--url", siteUrl(resourceGroup, app, subscription)]);
}

const grantUrl = (id: string) => `${ARM}${id}?api-version=${ROLE_ASSIGNMENT_API}`;

/** A role assignment as ARM lists it (only what the check reads). */
export interface AssignmentInfo {
  readonly id: string;
  readonly properties?: {
    readonly roleDefinitionId?: string;
    readonly scope?: string;
    readonly condition?: string | null;
    readonly description?: string | null;
  };
}

/** A custom role's definition as ARM returns it (only what the classification reads). */
export interface RoleDefinitionInfo {
  readonly properties?: { readonly roleName?: string; readonly permissions?: readonly RolePermissions[] };
}

/**
 * The identity's grants that let it write its package outside a ship (pure), classified as the pack's rule does
 * (policies/lib/abac.ts `blobWritesOf`): on the package's container, its account or any scope above (a management
 * group's included, which may hold the subscription), a role that writes blobs with no condition refusing every write
 * there (none, one that lets a write through, one the pack cannot read), a role that can turn shared keys back on or
 * grant roles, or a role whose definition is not in `definitions`. The ship's own grant is left out
 * (`packageWriterRole` given: a ship's check); a custom role is read from `definitions` (by its GUID). Microsoft: "any
 * unconditional role assignment can allow users to bypass the condition" (conditions-overview); the Flex how-to's
 * deployment commands (`az functionapp deployment config set`) assign Storage Blob Data Contributor to the deployment
 * identity.
 */
export function standingWriteGrants(
  assignments: readonly AssignmentInfo[],
  target: PackageTarget,
  definitions: Readonly<Record<string, RoleDefinitionInfo>> = {},
  packageWriterRole?: string,
): AssignmentInfo[] {
  const own = packageWriterRole ? grantId(target, packageWriterRole).toLowerCase() : undefined;
  const containerId =
    `${target.resourceGroupId}/providers/Microsoft.Storage/storageAccounts/${target.account}/blobServices/default/containers/${target.container}`.toLowerCase();
  return assignments.filter((a) => {
    if (a.id.toLowerCase() === own) return false;
    const scope = (a.properties?.scope ?? "").toLowerCase().replace(/\/+$/, "");
    const covers =
      scope === "" ||
      scope.startsWith("/providers/microsoft.management/managementgroups/") ||
      containerId === scope ||
      containerId.startsWith(`${scope}/`);
    if (!covers) return false;
    const role = a.properties?.roleDefinitionId ?? "";
    const definition = definitions[(role.split("/").pop() ?? "").toLowerCase()]?.properties;
    const writes = blobWritesOf(role, definition?.permissions, definition?.roleName);
    if (writes.kind !== "data") return true;
    if (writes.actions.length === 0) return false;
    const condition = a.properties?.condition;
    if (!condition) return true;
    return writes.actions.some(
      (action) =>
        conditionAllows(condition, { action, account: target.account, container: target.container }) !== false,
    );
  });
}

/** The definitions of the roles `assignments` name that the classification does not know (one GET each). */
export function roleDefinitionsOf(az: Az, assignments: readonly AssignmentInfo[]): Record<string, RoleDefinitionInfo> {
  const definitions: Record<string, RoleDefinitionInfo> = {};
  for (const a of assignments) {
    const role = a.properties?.roleDefinitionId ?? "";
    const guid = (role.split("/").pop() ?? "").toLowerCase();
    if (!role || guid in definitions || blobWritesOf(role).kind !== "unknown") continue;
    definitions[guid] =
      (az([
        "rest",
        "--method",
        "get",
        "--url",
        `${ARM}${role}?api-version=${ROLE_ASSIGNMENT_API}`,
      ]) as RoleDefinitionInfo | null) ?? {};
  }
  return definitions;
}

/** Grants a ship made and did not delete (its description starts with DEPLOY_WINDOW_MARK): a cancelled ship's. */
export function leftoverShipGrants(assignments: readonly AssignmentInfo[]): AssignmentInfo[] {
  return assignments.filter((a) => (a.properties?.description ?? "").startsWith(DEPLOY_WINDOW_MARK));
}

/**
 * The role assignments of every identity attached to the app, in the subscription, at every scope, their groups'
 * included: "`$filter=assignedTo('{objectId}')` | List role assignments for a specified user, including ones inherited
 * from groups" (role-assignments-rest; `principalId eq` lists direct ones only).
 */
function assignmentsOf(az: Az, target: PackageTarget): AssignmentInfo[] {
  const subscription = target.resourceGroupId.split("/")[2];
  const seen = new Set<string>();
  return target.principalIds.flatMap((principal) => {
    const listed = pagedGet<AssignmentInfo>(
      az,
      `${ARM}/subscriptions/${subscription}/providers/Microsoft.Authorization/roleAssignments?$filter=${encodeURIComponent(`assignedTo('${principal}')`)}&api-version=${ROLE_ASSIGNMENT_API}`,
    );
    // A group's grant shared by two of the app's identities is one grant.
    return listed.filter((a) => !seen.has(a.id) && seen.add(a.id) !== undefined);
  });
}

/** Deletes the deploy window's grant of one app (none there is fine: ARM answers a missing one with 204). */
export function closeWindow(az: Az, target: PackageTarget, role: string): string {
  const id = grantId(target, role);
  az(["rest", "--method", "delete", "--url", grantUrl(id)]);
  return id;
}

/**
 * Ships `src` to the app: with `deploy-window`, inside a grant made for it and deleted after, whatever the deploy's
 * outcome (a failed deletion is reported, and fails the ship). Resolves with the attempts the deploy took.
 */
export async function ship(az: Az, o: ShipOptions): Promise<{ attempts: number; grant?: string }> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const role = checkRoleDefinitionId(o.role, o.mode);
  const deploy = async (): Promise<number> => {
    for (let attempt = 1; ; attempt++) {
      try {
        az([
          "functionapp",
          "deployment",
          "source",
          "config-zip",
          "--resource-group",
          o.resourceGroup,
          "--name",
          o.app,
          "--src",
          o.src,
        ]);
        return attempt;
      } catch (e) {
        // Only a refused write is worth another attempt (the grant not yet in force): anything else (a bad package,
        // an outage) fails at once, so the window does not stay open for nothing.
        if (attempt >= o.attempts || !NOT_YET_AUTHORISED.test((e as Error).message)) throw e;
        o.log(
          `deploy attempt ${attempt} of ${o.attempts} failed (${(e as Error).message.split("\n")[0]}): again in ${o.delayMs / 1000} s`,
        );
        await sleep(o.delayMs);
      }
    }
  };
  if (role === undefined) return { attempts: await deploy() };
  const target = packageTarget(readSite(az, o.resourceGroup, o.app));
  const assignments = assignmentsOf(az, target);
  const standing = standingWriteGrants(assignments, target, roleDefinitionsOf(az, assignments), role);
  if (standing.length > 0)
    throw new ShipError(
      `${o.app}'s identity can already write its package outside a ship, through ${standing.map((a) => a.id).join(", ")}: ` +
        "delete those grants (az role assignment delete --ids <id>) or give them a condition refusing blob writes in " +
        `${target.container}; a deployment settings command (az functionapp deployment config set, the portal) may have made them`,
    );
  const id = grantId(target, role);
  az(["rest", "--method", "put", "--url", grantUrl(id), "--body", JSON.stringify(grantBody(target, role, o.reason))]);
  o.log(`granted the package writer role to ${o.app}'s identity on ${target.account}/${target.container} (${id})`);
  let outcome: { attempts: number; grant?: string } | undefined;
  let failure: unknown;
  try {
    await sleep(o.settleMs);
    outcome = { attempts: await deploy(), grant: id };
  } catch (e) {
    failure = e;
  }
  try {
    closeWindow(az, target, role);
    o.log(`deleted the grant ${id}`);
  } catch (e) {
    throw new ShipError(
      `${failure ? "the deploy failed and " : ""}the grant ${id} could not be deleted (${(e as Error).message.split("\n")[0]}): ` +
        `delete it now (az role assignment delete --ids ${id}); until then ${o.app}'s code can replace its package`,
    );
  }
  if (failure !== undefined) throw failure;
  return outcome as { attempts: number; grant?: string };
}

/** `close`: deletes an app's grant, e.g. after a cancelled ship (nothing with `always`). */
export function close(az: Az, o: Pick<ShipOptions, "resourceGroup" | "app" | "mode" | "role">): string | undefined {
  const role = checkRoleDefinitionId(o.role, o.mode);
  if (role === undefined) return undefined;
  return closeWindow(az, packageTarget(readSite(az, o.resourceGroup, o.app)), role);
}

/** The resource groups that hold the stack's function apps (the names the program gives them, from the committed config). */
export function functionAppGroups(root: string, stack: string, stackFile?: string): string[] {
  const { parseConfig, PROJECT, readRaw } = require("../../lib/config") as typeof import("../../lib/config");
  const { stackContext } =
    require("../../components/shared/context") as typeof import("../../components/shared/context");
  const { loadStackConfig } = require("./stackConfig") as typeof import("./stackConfig");
  const sc = loadStackConfig(root, stack, stackFile);
  const context = stackContext(
    parseConfig(
      readRaw((k) => sc.config[`${PROJECT}:${k}`]),
      stack,
    ),
  );
  // The ingestion tier's apps, and the streaming tier's relay in the integration group.
  return ["ingestion", "integration"].map((role) => context.name("resourceGroup", role));
}

/** What the drift check found on one app: grants that let its identity write its package outside a ship. */
export interface PackageFinding {
  readonly app: string;
  readonly standing: readonly AssignmentInfo[];
  readonly leftover: readonly AssignmentInfo[];
}

/**
 * `check` (read-only, the nightly drift check): every Flex app of `groups` whose identity could write its package
 * outside a ship, through a standing grant (standingWriteGrants) or a ship's grant left behind (leftoverShipGrants).
 * Apps with nothing to report are left out; an app that is not a Flex app (no deployment storage) is skipped.
 */
export function checkPackages(az: Az, groups: readonly string[]): PackageFinding[] {
  const findings: PackageFinding[] = [];
  for (const group of groups) {
    for (const id of resourceIds(az, group, "Microsoft.Web/sites")) {
      const site = az(["rest", "--method", "get", "--url", `${ARM}${id}?api-version=${SITE_API}`]);
      const storage = record(record(record(record(site)?.properties)?.functionAppConfig)?.deployment)?.storage;
      if (storage === undefined) continue;
      const target = packageTarget(site);
      const assignments = assignmentsOf(az, target);
      const leftover = leftoverShipGrants(assignments);
      const standing = standingWriteGrants(assignments, target, roleDefinitionsOf(az, assignments)).filter(
        (a) => !leftover.includes(a),
      );
      if (standing.length + leftover.length > 0) findings.push({ app: id.split("/").pop() ?? id, standing, leftover });
    }
  }
  return findings;
}

/** The stack's `functionPackageWrites`, from its committed config (what the program deployed the apps with). */
export function packageWritesOf(root: string, stack: string, stackFile?: string): FunctionPackageWrites {
  // Loaded here, not at the top: the tests of the pure part above stay cheap.
  const { parseConfig, PROJECT, readRaw } = require("../../lib/config") as typeof import("../../lib/config");
  const { loadStackConfig } = require("./stackConfig") as typeof import("./stackConfig");
  const sc = loadStackConfig(root, stack, stackFile);
  return parseConfig(
    readRaw((k) => sc.config[`${PROJECT}:${k}`]),
    stack,
  ).functionPackageWrites;
}
