/**
 * The data plane: custom roles naming their data actions one by one, containers whose items expire, roles that write assigned at container scope.
 */
import type * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import { ofType, refersTo, resourcePolicy, stackPolicy } from "../../lib/policy";
import { oneOf, presence, requireKnown, sameText, show, valueAt, who } from "../../lib/values";
import { DOCS } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Data plane: roles, containers and role assignments
// ---------------------------------------------------------------------------------------------------------------

const ROLE_DEFINITION = "azure-native:cosmosdb:SqlResourceSqlRoleDefinition";

export const cosmosRoleExactActions = resourcePolicy<cosmosdb.SqlResourceSqlRoleDefinitionArgs>(
  {
    name: "azure-native-cosmosdb-sqlroledefinition-disallow-wildcard-data-actions",
    description:
      "Custom Cosmos DB data-plane roles name their data actions one by one: a wildcard grants every item operation (delete, query, change feed, stored procedures) and whatever Azure adds later.",
    severity: "medium",
    pci: ["7.2.1", "7.2.2"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.3"],
    service: "cosmosdb",
    remediationSteps:
      "List each action in `permissions[*].dataActions` (e.g. `Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/create`, plus `Microsoft.DocumentDB/databaseAccounts/readMetadata`); for full item access assign the built-in Data Contributor (00000000-0000-0000-0000-000000000002) instead.",
    url: `${DOCS}/nosql/security/reference-data-plane-actions`,
  },
  ROLE_DEFINITION,
  (props, args, report) => {
    requireKnown(props, "permissions");
    const permissions = valueAt(props, "permissions");
    if (!Array.isArray(permissions) || permissions.length === 0) args.notApplicable("the role grants no permissions");
    for (const permission of permissions as unknown[]) {
      requireKnown(permission, "dataActions");
      const actions = valueAt(permission, "dataActions");
      for (const action of Array.isArray(actions) ? actions : []) {
        if (typeof action === "string" && action.includes("*")) {
          report(`${who(args)} grants '${action}': name the data actions the role needs instead of a wildcard.`);
        }
      }
    }
  },
);

const CONTAINER = "azure-native:cosmosdb:SqlResourceSqlContainer";
/** 400 days: the longest expiry the platform's model gives a container (the fraud features' look-back). */
export const MAX_ITEM_TTL_SECONDS = 400 * 86_400;

export const cosmosItemExpiry = resourcePolicy<cosmosdb.SqlResourceSqlContainerArgs>(
  {
    name: "azure-native-cosmosdb-sqlresourcesqlcontainer-enforce-maximum-item-ttl",
    description:
      "Cosmos DB containers expire their items: a default time to live (`resource.defaultTtl`) of at least one second and at most the configured maximum, and an analytical store (if on) no longer, so personal data (sessions, API logs, webhook events, fraud features) is not kept longer than needed; only the containers named in the config (the change feed's lease container) keep items without expiry.",
    severity: "medium",
    pci: ["3.2.1"],
    gdpr: ["5(1)(e)", "25"],
    soc2: ["C1.2"],
    service: "cosmosdb",
    remediationSteps:
      "Set `resource.defaultTtl` to the container's retention in seconds (not -1, which keeps items without their own `ttl` for ever); a container that must keep its items goes in `containersWithoutExpiry` with the reason in the stack's policy config.",
    url: `${DOCS}/nosql/time-to-live`,
    config: {
      maxTtlSeconds: {
        type: "integer",
        minimum: 1,
        maximum: 2_147_483_647,
        default: MAX_ITEM_TTL_SECONDS,
        description: "Longest default time to live, in seconds (default 400 days).",
      },
      containersWithoutExpiry: {
        type: "array",
        items: { type: "string" },
        default: ["leases"],
        description:
          "Container ids (exact, case-insensitive) allowed to keep items without expiry: the change feed processor's lease container holds continuation tokens, not data.",
      },
    },
  },
  CONTAINER,
  (props, args, report) => {
    const { maxTtlSeconds, containersWithoutExpiry } = args.getConfig<{
      maxTtlSeconds: number;
      containersWithoutExpiry: string[];
    }>();
    requireKnown(props, "resource", "id");
    const id = valueAt(props, "resource", "id");
    if (oneOf(id, containersWithoutExpiry))
      args.notApplicable(`container '${String(id)}' is in containersWithoutExpiry`);
    // The analytical store keeps its own copy: "-1: the analytical store retains all historical data, irrespective of
    // the retention of the data in the transactional store" (analytical-store-introduction). Absent or 0 = off.
    requireKnown(props, "resource", "analyticalStorageTtl");
    const analytical = valueAt(props, "resource", "analyticalStorageTtl");
    if (typeof analytical === "number" && (analytical < 0 || analytical > maxTtlSeconds)) {
      report(
        `${who(args)} container '${String(id)}' keeps its analytical store ${analytical < 0 ? "for ever" : `${analytical} seconds`} (resource.analyticalStorageTtl ${analytical}): set it to at most ${maxTtlSeconds}, or 0 to turn it off.`,
      );
    }
    requireKnown(props, "resource", "defaultTtl");
    // Absent = time to live off (items never expire); -1 = on, but an item without its own ttl never expires.
    const ttl = valueAt(props, "resource", "defaultTtl");
    if (typeof ttl !== "number" || ttl < 1) {
      report(
        `${who(args)} container '${String(id)}' keeps items without expiry (resource.defaultTtl ${show(ttl)}): set it to the retention in seconds, at most ${maxTtlSeconds}.`,
      );
    } else if (ttl > maxTtlSeconds) {
      report(
        `${who(args)} container '${String(id)}' keeps items ${ttl} seconds (resource.defaultTtl), more than the ${maxTtlSeconds} allowed (maxTtlSeconds).`,
      );
    }
  },
);

const ROLE_ASSIGNMENT = "azure-native:cosmosdb:SqlResourceSqlRoleAssignment";
/** The built-in Cosmos DB Built-in Data Reader role's id (the last segment of its roleDefinitionId). */
export const COSMOS_DATA_READER = "00000000-0000-0000-0000-000000000001";
/** The built-in Cosmos DB Built-in Data Contributor role's id. */
export const COSMOS_DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002";
/** Data actions that read only (reference-data-plane-actions): anything else writes or runs code. */
const READ_ACTIONS = [
  "Microsoft.DocumentDB/databaseAccounts/readMetadata",
  "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read",
  "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/executeQuery",
  "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/readChangeFeed",
];
/** A data-plane scope naming one container: `<account id>/dbs/<database>/colls/<container>`. */
const CONTAINER_SCOPE = /\/dbs\/[^/]+\/colls\/[^/]+$/i;

export const cosmosWriteRoleScope = stackPolicy(
  {
    name: "azure-native-cosmosdb-sqlroleassignment-require-container-scope-for-write-roles",
    description:
      "A Cosmos DB for NoSQL data-plane role that writes (the built-in Data Contributor, a custom role with any data action beyond reading metadata, items, queries and the change feed, or a custom role the stack does not declare) is assigned on the containers its principal writes, never on the whole account or a database: least privilege for the identities that hold card and payment events.",
    severity: "high",
    pci: ["7.2.1", "7.2.2"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.3"],
    service: "cosmosdb",
    remediationSteps:
      "Set the assignment's `scope` to `<account id>/dbs/<database>/colls/<container>`, one assignment per container the principal writes (the NoSQL tier's `containers` of a data-plane principal); read-only roles may keep the account scope.",
    url: `${DOCS}/nosql/security/reference-data-plane-actions`,
  },
  (args, report) => {
    const assignments = ofType(args.resources, ROLE_ASSIGNMENT);
    if (assignments.length === 0) args.notApplicable("the stack assigns no Cosmos DB data-plane role");
    const definitions = ofType(args.resources, ROLE_DEFINITION);
    let writers = 0;
    let reported = 0;
    // What a first preview cannot know yet (a role id built from the account's, a custom role's actions, a scope):
    // decided after every known assignment, so that one unknown never hides a known violation.
    const undecided: { readonly obj: unknown; readonly path: string[] }[] = [];
    for (const a of assignments) {
      if (presence(a.props, "roleDefinitionId") === "unknown") {
        undecided.push({ obj: a.props, path: ["roleDefinitionId"] });
        continue;
      }
      const roleId = String(valueAt(a.props, "roleDefinitionId") ?? "");
      const guid = roleId.split("/").pop()?.toLowerCase() ?? "";
      if (guid === COSMOS_DATA_READER) continue;
      let writes = guid === COSMOS_DATA_CONTRIBUTOR;
      if (!writes) {
        const definition = definitions.find(
          (d) => refersTo(a, d, { properties: ["roleDefinitionId"] }) || sameText(valueAt(d.props, "id"), roleId),
        );
        if (definition && presence(definition.props, "permissions") === "unknown") {
          undecided.push({ obj: definition.props, path: ["permissions"] });
          continue;
        }
        // A custom role the stack does not declare: its actions are unknown, so it counts as writing.
        const actions = definition
          ? (valueAt(definition.props, "permissions") as { dataActions?: unknown }[] | undefined)?.flatMap((p) =>
              Array.isArray(p?.dataActions) ? (p.dataActions as unknown[]) : [],
            )
          : undefined;
        writes = actions === undefined || actions.some((x) => !oneOf(x, READ_ACTIONS));
      }
      if (!writes) continue;
      writers++;
      if (presence(a.props, "scope") === "unknown") {
        undecided.push({ obj: a.props, path: ["scope"] });
        continue;
      }
      const scope = String(valueAt(a.props, "scope") ?? "");
      if (!CONTAINER_SCOPE.test(scope)) {
        reported++;
        report(
          `${who(a)} assigns a role that writes (${guid === COSMOS_DATA_CONTRIBUTOR ? "the built-in Data Contributor" : `custom role ${guid}`}) on ${/\/dbs\/[^/]+$/i.test(scope) ? "a whole database" : "the whole account"} (${scope}): assign it on each container the principal writes instead (<account id>/dbs/<database>/colls/<container>).`,
          a.urn,
        );
      }
    }
    if (reported === 0 && undecided.length > 0) requireKnown(undecided[0].obj, ...undecided[0].path);
    if (writers === 0) args.notApplicable("every Cosmos DB data-plane role the stack assigns only reads");
  },
);
