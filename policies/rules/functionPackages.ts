/**
 * Function apps' deployment packages. A Flex Consumption app boots the package in its deployment container, which
 * Flex's deployment service writes with the app's deployment identity (deployment-zip-push.md, Flex section); code
 * running in the app can use every identity attached to it. So a standing grant letting any of those identities write
 * the container lets code running in the app replace what its next start boots: changed production code without a
 * change (PCI DSS 6.5.1), an integrity failure (GDPR Art. 32(1)(b)). The stack's apps hold such grants only during a
 * ship (config `functionPackageWrites: deploy-window`, pipelines/functions/README.md).
 *
 * A stack rule: the app, its identities, its host storage account and the role assignments are tied together by ids
 * once deployed and, in a first preview, by the dependencies the engine records (the account's name and the
 * identities' principal ids are outputs then). It judges a grant once the package container's name is known: in a
 * first preview of a stack that creates the container, not yet ("can't run during preview"; the deployed view and
 * `pulumi up` decide). It sees the stack's grants only: one made outside the stack (a
 * subscription's, a management group's) is the nightly `npm run functions:ops -- check`'s to find.
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import { blobWritesOf, conditionAllows, type BlobWrites, type RolePermissions } from "../lib/abac";
import { ofType, pointsAt, recordedDependency, references, stackPolicy } from "../lib/policy";
import { presence, requireId, requireKnown, sameText, stringsAt, valueAt, who } from "../lib/values";
import { underAccount } from "./sqlAuditArchive";

const APP = "azure-native:web:WebApp";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";
const ACCOUNT = "azure-native:storage:StorageAccount";
const CONTAINER = "azure-native:storage:BlobContainer";
const RESOURCE_GROUP = "azure-native:resources:ResourceGroup";
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const ROLE_DEFINITION = "azure-native:authorization:RoleDefinition";
const GROUP_MEMBER = "azuread:index/groupMember:GroupMember";
const STORAGE = ["functionAppConfig", "deployment", "storage"] as const;

/** A principal the app's code can act as, and how to tell a grant is to it. */
interface Principal {
  readonly resource: PolicyResource;
  /** Its principal id, when known; undefined in a first preview (the dependency then tells). */
  readonly principalId: unknown;
  readonly label: string;
}

/** Whether `ra` (or a GroupMember to `ra`'s group) grants to `p`, by value or by recorded dependency. */
function grantsTo(ra: PolicyResource, p: Principal): boolean {
  const given = valueAt(ra.props, "principalId");
  if (typeof given === "string" && typeof p.principalId === "string")
    return given.toLowerCase() === p.principalId.toLowerCase();
  return recordedDependency(ra, p.resource, "principalId");
}

/** The ids of the user-assigned identities attached to an app (a list of ids as inputs, a map keyed by id as outputs). */
function attachedIds(app: PolicyResource): string[] {
  const attached = valueAt(app.props, "identity", "userAssignedIdentities");
  if (Array.isArray(attached)) return stringsAt(app.props, "identity", "userAssignedIdentities");
  return attached !== null && typeof attached === "object" ? Object.keys(attached) : [];
}

/** The identities the app's code can use: its user-assigned identities and, when it has one, its system-assigned one. */
function principalsOf(app: PolicyResource, identities: readonly PolicyResource[]): Principal[] {
  const ids = attachedIds(app).map((id) => id.toLowerCase());
  // An app created in a first preview has its identity list unknown (the response's map, not the ids it was given):
  // the dependency the engine recorded decides then, even for an identity that exists already.
  const listKnown = presence(app.props, "identity", "userAssignedIdentities") !== "unknown";
  const principals: Principal[] = identities
    .filter((u) => {
      const id = valueAt(u.props, "id");
      return typeof id === "string" && listKnown
        ? ids.includes(id.toLowerCase())
        : recordedDependency(app, u, "identity");
    })
    .map((u) => ({ resource: u, principalId: valueAt(u.props, "principalId"), label: u.name }));
  if (/SystemAssigned/i.test(String(valueAt(app.props, "identity", "type") ?? "")))
    principals.push({
      resource: app,
      principalId: valueAt(app.props, "identity", "principalId"),
      label: "its system-assigned identity",
    });
  return principals;
}

/** The groups of the stack a principal is a member of (azuread GroupMember, by value or dependency). */
function groupsOf(p: Principal, members: readonly PolicyResource[], resources: readonly PolicyResource[]): Principal[] {
  const groups: Principal[] = [];
  for (const m of members) {
    const member = valueAt(m.props, "memberObjectId");
    const isMember =
      typeof member === "string" && typeof p.principalId === "string"
        ? member.toLowerCase() === p.principalId.toLowerCase()
        : recordedDependency(m, p.resource, "memberObjectId");
    if (!isMember) continue;
    const group = valueAt(m.props, "groupObjectId");
    const source = resources.find((r) => recordedDependency(m, r, "groupObjectId"));
    groups.push({
      resource: source ?? m,
      principalId: group,
      label: `group ${source?.name ?? String(group)} (${p.label} is a member)`,
    });
  }
  return groups;
}

/**
 * Whether `ra`'s scope covers the account: the account, its package container, or an ancestor (its resource group,
 * the subscription, the root), by id once known; in a first preview, by the account, container or resource group the
 * scope was built from (a scope built from nothing recorded waits for the value; one built from another resource does
 * not cover the account).
 */
function scopeCovers(
  ra: PolicyResource,
  account: PolicyResource,
  container: string,
  containerRecords: readonly PolicyResource[],
  groups: readonly PolicyResource[],
): boolean {
  if (pointsAt(ra, account, "scope", [`/blobServices/default/containers/${container}`])) return true;
  // A role assignment answers its scope (an output), unknown while built from an output in a first preview.
  const scope = valueAt(ra.props, "scope");
  const accountId = valueAt(account.props, "id");
  if (typeof scope === "string") {
    if (typeof accountId === "string") {
      const s = scope.toLowerCase().replace(/\/+$/, "");
      return s === "" || accountId.toLowerCase().startsWith(`${s}/`);
    }
    // A known scope over an account created in this preview: decided once the account's id is known.
    requireId(account.props);
    return false;
  }
  // In a first preview: the dependencies the engine recorded for the scope (built from the package container's id,
  // or the account's group).
  if (presence(ra.props, "scope") === "unknown" && containerRecords.some((c) => recordedDependency(ra, c, "scope")))
    return true;
  if (groups.some((g) => recordedDependency(ra, g, "scope") && recordedDependency(account, g, "resourceGroupName")))
    return true;
  if ((ra.propertyDependencies.scope ?? []).length === 0) requireKnown(ra.props, "scope");
  return false;
}

/** What `ra`'s role lets its principal do to the package's blobs (a custom role of the stack read from its definition). */
function writesOf(ra: PolicyResource, definitions: readonly PolicyResource[]): BlobWrites {
  const role = String(valueAt(ra.props, "roleDefinitionId") ?? "");
  const custom = definitions.find((d) => references(ra, d, "roleDefinitionId"));
  const permissions = custom ? valueAt(custom.props, "permissions") : undefined;
  const read = (p: unknown): RolePermissions => ({
    actions: stringsAt(p, "actions"),
    notActions: stringsAt(p, "notActions"),
    dataActions: stringsAt(p, "dataActions"),
    notDataActions: stringsAt(p, "notDataActions"),
  });
  return blobWritesOf(
    role,
    custom ? (Array.isArray(permissions) ? permissions.map(read) : []) : undefined,
    custom?.name,
  );
}

export const packageWritesByApp = stackPolicy(
  {
    name: "azure-native-web-webapp-disallow-package-writes-by-app-identity",
    description:
      "No identity a function app's code can use (its user-assigned and system-assigned identities, and the stack's groups they are members of) holds a standing grant that writes the app's deployment package: blob roles on the package's account, container or a scope above carry a condition refusing writes in the deployment container, and no role that can turn shared keys back on or grant roles is held there, so code running in the app cannot replace what its next start boots (a ship grants the write for the deploy only).",
    severity: "high",
    pci: ["6.5.1", "7.2.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC8.1"],
    service: "web",
    remediationSteps:
      "Give the identity's blob role on the host storage a condition refusing every write-class blob action in the deployment container (`packageWritesRefusedCondition` in components/shared/functionAppSettings.ts, config `functionPackageWrites: deploy-window`), grant no control-plane role over the account, and ship with `npm run functions:ops -- ship`, which grants the write for the deploy only; a stack on the `always` fallback exempts the assignments with the reason.",
    url: "https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-examples",
  },
  (args, report) => {
    const apps = ofType(args.resources, APP).filter((a) => presence(a.props, ...STORAGE) !== "absent");
    if (apps.length === 0) args.notApplicable("no function app deploys from a blob container");
    const accounts = ofType(args.resources, ACCOUNT);
    const containers = ofType(args.resources, CONTAINER);
    const identities = ofType(args.resources, IDENTITY);
    const groups = ofType(args.resources, RESOURCE_GROUP);
    const grants = ofType(args.resources, ROLE_ASSIGNMENT);
    const definitions = ofType(args.resources, ROLE_DEFINITION);
    const members = ofType(args.resources, GROUP_MEMBER);
    let judged = 0;
    for (const app of apps) {
      requireKnown(app.props, ...STORAGE, "authentication", "type");
      const auth = String(valueAt(app.props, ...STORAGE, "authentication", "type") ?? "");
      const url = valueAt(app.props, ...STORAGE, "value");
      const where = typeof url === "string" ? /^https:\/\/([a-z0-9]+)\.blob\.[^/]+\/([a-z0-9-]+)\/?$/.exec(url) : null;
      // The package's account and container: by name in the URL once known, else by the dependencies the URL was
      // built from.
      const account = accounts.find(
        (a) =>
          recordedDependency(app, a, "functionAppConfig") ||
          (where !== null && [valueAt(a.props, "accountName"), valueAt(a.props, "name")].includes(where[1])),
      );
      if (!account) {
        // The URL names an account whose name a first preview does not know yet (created now): it may be this one.
        const pending = where ? accounts.find((a) => presence(a.props, "name") === "unknown") : undefined;
        if (pending) requireKnown(pending.props, "name");
        continue;
      }
      const container =
        where?.[2] ??
        containers
          .filter((c) => recordedDependency(app, c, "functionAppConfig"))
          .map((c) => valueAt(c.props, "containerName") ?? valueAt(c.props, "name"))
          .find((n): n is string => typeof n === "string");
      if (container === undefined) {
        requireKnown(app.props, ...STORAGE, "value");
        continue;
      }
      judged++;
      // The package container's own records: the URL built from them, or of its name under the account.
      const packageContainers = containers.filter(
        (c) =>
          recordedDependency(app, c, "functionAppConfig") ||
          (sameText(valueAt(c.props, "containerName") ?? valueAt(c.props, "name"), container) &&
            underAccount(c, account)),
      );
      if (auth === "StorageAccountConnectionString") {
        report(
          `${who(app)} reads and writes its deployment package with a storage connection string (an account key): anything holding the app's settings can replace what its next start boots. Use its user-assigned identity, without a standing write grant.`,
          app.urn,
        );
        continue;
      }
      const own = principalsOf(app, identities);
      const principals = [...own, ...own.flatMap((p) => groupsOf(p, members, args.resources))];
      const accountName = valueAt(account.props, "accountName") ?? valueAt(account.props, "name");
      for (const ra of grants) {
        const principal = principals.find((p) => grantsTo(ra, p));
        if (!principal || !scopeCovers(ra, account, container, packageContainers, groups)) continue;
        const base = `${who(ra)} lets ${app.name}'s code (as ${principal.label}) write its deployment package in container '${container}'`;
        const fix =
          "code running in the app could replace what its next start boots. Add a condition refusing blob writes in that container (packageWritesRefusedCondition) and grant the write for a ship only (npm run functions:ops -- ship).";
        const writes = writesOf(ra, definitions);
        if (writes.kind === "control") {
          report(
            `${base} (${writes.role}: it can turn the account's shared keys back on or grant itself a blob role, which no condition limits): grant no such role to an identity the app can use.`,
            ra.urn,
          );
          continue;
        }
        if (writes.kind === "unknown") {
          report(
            `${who(ra)} gives ${app.name}'s code (as ${principal.label}) ${writes.role} over its deployment package's account, and the pack cannot tell what that role allows (a role defined outside the stack): grant the app's identities only roles the pack knows, or define the role in the stack.`,
            ra.urn,
          );
          continue;
        }
        if (writes.actions.length === 0) continue;
        requireKnown(ra.props, "condition");
        const condition = valueAt(ra.props, "condition");
        if (typeof condition !== "string") {
          report(`${base} (no condition): ${fix}`, ra.urn);
          continue;
        }
        // The account's name is an output in a first preview (`name`; `accountName` is a path input, in hand-made
        // records only): a condition that reads it waits for the name.
        if (typeof accountName !== "string" && /storageAccounts:name/i.test(condition)) {
          requireKnown(account.props, "name");
          requireKnown(account.props, "accountName");
        }
        const name = typeof accountName === "string" ? accountName : "stpackagecheck";
        const verdicts = writes.actions.map((action) =>
          conditionAllows(condition, { action, account: name, container }),
        );
        if (verdicts.includes(undefined)) {
          report(
            `${base}: its condition uses more than the pack reads, so it cannot tell that writes are refused; ${fix}`,
            ra.urn,
          );
          continue;
        }
        const allowed = writes.actions.filter((_, i) => verdicts[i] === true);
        if (allowed.length > 0)
          report(
            `${base}: its condition allows ${allowed.map((a) => a.split("/blobs/")[1]).join(", ")} there; ${fix}`,
            ra.urn,
          );
      }
    }
    if (judged === 0) args.notApplicable("no function app's deployment storage is in the stack");
  },
);

export const functionPackagePolicies: Policies = [packageWritesByApp];
