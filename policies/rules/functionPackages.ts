/**
 * Function apps' deployment packages. A Flex Consumption app boots the package in its deployment container, which
 * Flex's deployment service writes with the app's deployment identity (deployment-zip-push.md, Flex section); code
 * running in the app can use every identity attached to it. So a standing grant letting that identity write the
 * container lets code running in the app replace what its next start boots: changed production code without a change
 * (PCI DSS 6.5.1), an integrity failure (GDPR Art. 32(1)(b)). The stack's apps hold such grants only during a ship
 * (config `functionPackageWrites: deploy-window`, pipelines/functions/README.md).
 *
 * A stack rule: the app, its identity, its host storage account and the role assignments are tied together by ids
 * once deployed and, in a first preview, by the dependencies the engine records (the account's name and the
 * identity's principal id are outputs then).
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import { BLOB_WRITE_DATA_ACTIONS, BLOB_WRITER_ROLES, conditionAllows, dataActionCovers } from "../lib/abac";
import { ofType, pointsAt, references, stackPolicy } from "../lib/policy";
import { presence, requireKnown, stringsAt, valueAt, who } from "../lib/values";

const APP = "azure-native:web:WebApp";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";
const ACCOUNT = "azure-native:storage:StorageAccount";
const CONTAINER = "azure-native:storage:BlobContainer";
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const ROLE_DEFINITION = "azure-native:authorization:RoleDefinition";
const STORAGE = ["functionAppConfig", "deployment", "storage"] as const;

/** Whether the engine recorded a dependency of `a`'s `property` on `b`. */
const dependsOn = (a: PolicyResource, b: PolicyResource, property: string) =>
  (a.propertyDependencies[property] ?? []).some((d) => d.urn === b.urn);

/** Whether `ra` grants to `principal` (a user-assigned identity, or an app's own identity), by value or dependency. */
function grantsTo(ra: PolicyResource, principal: PolicyResource, principalId: unknown): boolean {
  const given = valueAt(ra.props, "principalId");
  if (typeof given === "string" && typeof principalId === "string")
    return given.toLowerCase() === principalId.toLowerCase();
  return dependsOn(ra, principal, "principalId");
}

/**
 * The blob write actions `ra`'s role holds: a built-in blob writer's all, a custom role of the stack's its covered
 * ones (its `notDataActions` removed); none for other roles, or a role not in the stack.
 */
function writeActionsOf(ra: PolicyResource, definitions: readonly PolicyResource[]): string[] {
  const role = String(valueAt(ra.props, "roleDefinitionId") ?? "");
  const guid = (role.split("/").pop() ?? "").toLowerCase();
  if (BLOB_WRITER_ROLES[guid]) return [...BLOB_WRITE_DATA_ACTIONS];
  const custom = definitions.find((d) => references(ra, d, "roleDefinitionId"));
  if (!custom) return [];
  const permissions = valueAt(custom.props, "permissions");
  return BLOB_WRITE_DATA_ACTIONS.filter(
    (action) =>
      Array.isArray(permissions) &&
      permissions.some(
        (p) =>
          stringsAt(p, "dataActions").some((d) => dataActionCovers(d, action)) &&
          !stringsAt(p, "notDataActions").some((d) => dataActionCovers(d, action)),
      ),
  );
}

export const packageWritesByApp = stackPolicy(
  {
    name: "azure-native-web-webapp-disallow-package-writes-by-app-identity",
    description:
      "A function app's deployment identity holds no standing grant to write its deployment package: its blob roles on the package's storage account carry a condition refusing writes in the deployment container, so code running in the app cannot replace what its next start boots (a ship grants the write for the deploy only).",
    severity: "high",
    pci: ["6.5.1", "7.2.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC8.1"],
    service: "web",
    remediationSteps:
      "Give the identity's blob role on the host storage a condition refusing every write-class blob action in the deployment container (`packageWritesRefusedCondition` in components/shared/functionAppSettings.ts, config `functionPackageWrites: deploy-window`), and ship with `npm run functions:ops -- ship`, which grants the write for the deploy only; a stack on the `always` fallback exempts the assignments with the reason.",
    url: "https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-examples",
  },
  (args, report) => {
    const apps = ofType(args.resources, APP).filter((a) => presence(a.props, ...STORAGE) !== "absent");
    if (apps.length === 0) args.notApplicable("no function app deploys from a blob container");
    const accounts = ofType(args.resources, ACCOUNT);
    const containers = ofType(args.resources, CONTAINER);
    const grants = ofType(args.resources, ROLE_ASSIGNMENT);
    const definitions = ofType(args.resources, ROLE_DEFINITION);
    let judged = 0;
    for (const app of apps) {
      requireKnown(app.props, ...STORAGE, "authentication", "type");
      const auth = String(valueAt(app.props, ...STORAGE, "authentication", "type") ?? "");
      const url = valueAt(app.props, ...STORAGE, "value");
      const where = typeof url === "string" ? /^https:\/\/([a-z0-9]+)\.blob\.[^/]+\/([a-z0-9-]+)\/?$/.exec(url) : null;
      // The package's account and container: by name in the URL once known, else by the dependencies the URL was
      // built from.
      const account = accounts.find((a) =>
        where
          ? valueAt(a.props, "accountName") === where[1] || valueAt(a.props, "name") === where[1]
          : dependsOn(app, a, "functionAppConfig"),
      );
      if (!account) continue;
      const container =
        where?.[2] ??
        containers
          .filter((c) => dependsOn(app, c, "functionAppConfig"))
          .map((c) => valueAt(c.props, "containerName") ?? valueAt(c.props, "name"))
          .find((n): n is string => typeof n === "string");
      if (container === undefined) {
        requireKnown(app.props, ...STORAGE, "value");
        continue;
      }
      if (auth === "StorageAccountConnectionString") {
        judged++;
        report(
          `${who(app)} reads and writes its deployment package with a storage connection string (an account key): anything holding the app's settings can replace what its next start boots. Use its user-assigned identity, without a standing write grant.`,
          app.urn,
        );
        continue;
      }
      const identity =
        auth === "UserAssignedIdentity"
          ? ofType(args.resources, IDENTITY).find((u) =>
              pointsAt(app, u, [...STORAGE, "authentication", "userAssignedIdentityResourceId"]),
            )
          : auth === "SystemAssignedIdentity"
            ? app
            : undefined;
      if (!identity) continue;
      judged++;
      const principalId =
        identity === app ? valueAt(app.props, "identity", "principalId") : valueAt(identity.props, "principalId");
      const accountName = valueAt(account.props, "accountName") ?? valueAt(account.props, "name");
      const suffix = `/blobServices/default/containers/${String(container)}`;
      for (const ra of grants) {
        if (!grantsTo(ra, identity, principalId) || !pointsAt(ra, account, "scope", [suffix])) continue;
        const writes = writeActionsOf(ra, definitions);
        if (writes.length === 0) continue;
        const base = `${who(ra)} lets ${app.name}'s deployment identity (${identity === app ? "its system-assigned identity" : identity.name}) write its deployment package in container '${String(container)}'`;
        const fix =
          "code running in the app could replace what its next start boots. Add a condition refusing blob writes in that container (packageWritesRefusedCondition) and grant the write for a ship only (npm run functions:ops -- ship).";
        requireKnown(ra.props, "condition");
        const condition = valueAt(ra.props, "condition");
        if (typeof condition !== "string") {
          report(`${base} (no condition): ${fix}`, ra.urn);
          continue;
        }
        // The account's name is an output in a first preview: a condition that reads it must give the same answer
        // for any name, else the rule waits for the name.
        const names = typeof accountName === "string" ? [accountName] : ["stpackagecheck1", "stpackagecheck2"];
        const verdicts = writes.map((action) =>
          names.map((name) => conditionAllows(condition, { action, account: name, container: String(container) })),
        );
        if (verdicts.some((v) => v.includes(undefined))) {
          report(
            `${base}: its condition uses more than the pack reads, so it cannot tell that writes are refused; ${fix}`,
            ra.urn,
          );
          continue;
        }
        if (verdicts.some((v) => v[0] !== v[v.length - 1])) requireKnown(account.props, "accountName");
        const allowed = writes.filter((_, i) => verdicts[i][0] === true);
        if (allowed.length > 0)
          report(
            `${base}: its condition allows ${allowed.map((a) => a.split("/blobs/")[1]).join(", ")} there; ${fix}`,
            ra.urn,
          );
      }
    }
    if (judged === 0) args.notApplicable("no function app's deployment storage and identity are in the stack");
  },
);

export const functionPackagePolicies: Policies = [packageWritesByApp];
