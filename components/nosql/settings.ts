/**
 * The NoSQL tier's pure design (containers, partitioning, indexing, throughput, regions, consistency, data-plane
 * scopes) and its argument checks, apart from the component (index.ts). Unit-tested in tests/nosql.spec.ts.
 */
import * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import type * as types from "@pulumi/azure-native/types";
import type * as pulumi from "@pulumi/pulumi";
import { COSMOS_CONTAINERS, type CosmosConfig, type CosmosContainerKey } from "../../lib/config";
import type { CreationOnlyConflict, DataServiceArgs } from "../shared";

/** The one SQL database of the account. */
export const DATABASE_NAME = "payments";

/** Built-in Cosmos DB data-plane role definitions (ids under `<account id>/sqlRoleDefinitions/`). */
export const CosmosDataRoles = {
  /** Cosmos DB Built-in Data Reader: read items, run queries, read the change feed. */
  DataReader: "00000000-0000-0000-0000-000000000001",
  /** Cosmos DB Built-in Data Contributor: create, replace, upsert, delete items (no account or container management). */
  DataContributor: "00000000-0000-0000-0000-000000000002",
} as const;

/** The data actions on a container's items (learn.microsoft.com/azure/cosmos-db/nosql/security/reference-data-plane-actions). */
export const ITEM_ACTIONS = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items";
/** Reading the account's, database's and container's metadata, which every SDK call needs first. */
export const READ_METADATA = "Microsoft.DocumentDB/databaseAccounts/readMetadata";

/**
 * Custom item-level roles, narrower than the built-in Data Contributor, which also deletes items, runs queries, reads
 * the change feed and runs stored procedures: each grants what an app's code does to a container and nothing else
 * (PCI DSS 7.2.2, least privilege), plus `readMetadata`. Created once per account, on first use.
 */
export const CosmosItemRoles = {
  /** Creates items, nothing else (an append-only outbox: the fraud scorer's webhook events). */
  ItemCreator: { roleName: "Item Creator", actions: ["create"] },
  /**
   * Upserts items, nothing else: a Functions Cosmos DB output binding writes with upsert (the extension's
   * `CosmosDBAsyncCollector.AddAsync` → `UpsertItemAsync`; it creates nothing with `createIfNotExists: false`), as the
   * payment API's logs do.
   */
  ItemUpserter: { roleName: "Item Upserter", actions: ["upsert"] },
  /**
   * Point-reads, creates, replaces (If-Match) and upserts items; never deletes, queries or reads the change feed (the
   * fraud scorer's card and merchant features).
   */
  ItemWriter: { roleName: "Item Writer", actions: ["read", "create", "replace", "upsert"] },
} as const satisfies Record<string, { roleName: string; actions: readonly string[] }>;

/** A data-plane role a tier may grant: a built-in one, or one of the custom item-level roles. */
export type CosmosDataRole = keyof typeof CosmosDataRoles | keyof typeof CosmosItemRoles;

/** The data actions of a custom item-level role: `readMetadata` and its item actions. */
export function itemRoleDataActions(role: keyof typeof CosmosItemRoles): string[] {
  return [READ_METADATA, ...CosmosItemRoles[role].actions.map((a) => `${ITEM_ACTIONS}/${a}`)];
}

/** A composite index: paths with their sort order. */
type CompositeIndex = readonly { readonly path: string; readonly order: cosmosdb.CompositePathSortOrder }[];

/** How a container is partitioned and indexed (the access-pattern decisions; see docs/cosmos-partitioning.md). */
export interface ContainerDesign {
  /** Azure name of the container. */
  readonly id: string;
  /** Hash (one path) or MultiHash (hierarchical, up to three paths); version 2 (large partition keys). */
  readonly partitionKey: { readonly kind: cosmosdb.PartitionKind; readonly paths: readonly string[] };
  /** Paths that get a range index (`/path/?` or `/path/*`). */
  readonly includedPaths: readonly string[];
  /** Paths never queried, left out of the index (cheaper writes). */
  readonly excludedPaths: readonly string[];
  readonly compositeIndexes?: readonly CompositeIndex[];
}

/** Cosmos DB always keeps the system `_etag` out of the index; stating it keeps the policy identical to Azure's. */
const ETAG = '/"_etag"/?';
const asc = cosmosdb.CompositePathSortOrder.Ascending;
const desc = cosmosdb.CompositePathSortOrder.Descending;

export const CONTAINERS: Readonly<Record<CosmosContainerKey, ContainerDesign>> = {
  // One item per API call, append-only, ~1 write per payment at 10K tx/s; read by the change feed and per merchant
  // over a time range. Merchant prefix for routed queries, then `/id`: once a big merchant's data splits, its new
  // writes spread over all its partitions. No time level on purpose: "the current hour" would stay one hot range.
  apiLogs: {
    id: "api_logs",
    partitionKey: { kind: cosmosdb.PartitionKind.MultiHash, paths: ["/merchantId", "/id"] },
    includedPaths: ["/merchantId/?", "/timestamp/?", "/statusCode/?", "/endpoint/?", "/correlationId/?"],
    excludedPaths: ["/*", ETAG],
    compositeIndexes: [
      [
        { path: "/merchantId", order: asc },
        { path: "/timestamp", order: desc },
      ],
    ],
  },
  // Key-value: point read/write by session id (= item id) on every API call; sliding TTL.
  sessions: {
    id: "sessions",
    partitionKey: { kind: cosmosdb.PartitionKind.Hash, paths: ["/id"] },
    includedPaths: ["/customerRef/?"],
    excludedPaths: ["/*", ETAG],
  },
  // Online feature store: one item per entity (payment method, merchant), point-read at scoring time; a card's item
  // replaced once per scoring batch with If-Match, a merchant's by the once-a-minute refresh
  // (pipelines/functions/src/lib/features.ts).
  fraudFeatures: {
    id: "fraud_features",
    partitionKey: { kind: cosmosdb.PartitionKind.Hash, paths: ["/entityKey"] },
    includedPaths: ["/entityKey/?", "/entityType/?", "/updatedAt/?"],
    excludedPaths: ["/*", ETAG],
  },
  // Outbound webhooks: one item per event, updated per delivery attempt; listed per merchant. Payload bodies and
  // merchant responses are large and never filtered on.
  webhookEvents: {
    id: "webhook_events",
    partitionKey: { kind: cosmosdb.PartitionKind.MultiHash, paths: ["/merchantId", "/id"] },
    includedPaths: ["/*"],
    excludedPaths: ["/payload/*", "/attempts/*", ETAG],
    compositeIndexes: [
      [
        { path: "/merchantId", order: asc },
        { path: "/createdAt", order: desc },
      ],
    ],
  },
  // Change feed leases of the streaming tier's relay function: the Functions Cosmos DB trigger requires a lease
  // container partitioned by `/id` (learn.microsoft.com/azure/azure-functions/functions-bindings-cosmosdb-v2-trigger
  // "leaseContainerName"); a handful of small items, read and written by id, never expire (a lost lease restarts
  // the feed from "now" and drops events).
  leases: {
    id: "leases",
    partitionKey: { kind: cosmosdb.PartitionKind.Hash, paths: ["/id"] },
    includedPaths: ["/*"],
    excludedPaths: [ETAG],
  },
};

/** The container resource (partition key, TTL, indexing) for a container and its config. */
export function containerResource(
  design: ContainerDesign,
  ttlSeconds: number | undefined,
): types.input.cosmosdb.SqlContainerResourceArgs {
  return {
    id: design.id,
    partitionKey: { kind: design.partitionKey.kind, paths: [...design.partitionKey.paths], version: 2 },
    // Absent = TTL off; -1 = on, items expire only when they carry their own `ttl`.
    ...(ttlSeconds !== undefined ? { defaultTtl: ttlSeconds } : {}),
    indexingPolicy: {
      automatic: true,
      indexingMode: cosmosdb.IndexingMode.Consistent,
      includedPaths: design.includedPaths.map((path) => ({ path })),
      excludedPaths: design.excludedPaths.map((path) => ({ path })),
      ...(design.compositeIndexes
        ? {
            compositeIndexes: design.compositeIndexes.map((index) => index.map(({ path, order }) => ({ path, order }))),
          }
        : {}),
    },
  };
}

/**
 * Throughput options: none on a serverless account; otherwise dedicated autoscale throughput per container.
 * Autoscale is chosen at creation on purpose: an existing container cannot switch from manual to autoscale
 * (azure-native #4189), while the autoscale maximum can be changed later.
 */
export function throughputOptions(
  cosmos: CosmosConfig,
  key: CosmosContainerKey,
): types.input.cosmosdb.CreateUpdateOptionsArgs | undefined {
  if (cosmos.serverless) return undefined;
  const maxThroughput = cosmos.containers[key].maxThroughput;
  if (maxThroughput === undefined)
    throw new Error(`cosmos.containers.${key}.maxThroughput is required on a provisioned account`);
  return { autoscaleSettings: { maxThroughput } };
}

/** Replica regions: the primary (write, failover priority 0) and, when multi-region, the secondary. */
export function accountLocations(
  cosmos: CosmosConfig,
  primary: string,
  secondary: string,
): types.input.cosmosdb.LocationArgs[] {
  const regions = cosmos.multiRegion ? [primary, secondary] : [primary];
  return regions.map((locationName, failoverPriority) => ({
    locationName,
    failoverPriority,
    isZoneRedundant: cosmos.zoneRedundant,
  }));
}

/** The creation-only settings of a deployed account, as `cosmosdb.getDatabaseAccount` returns them. */
export interface DeployedCosmosAccount {
  readonly capabilities?: readonly { readonly name?: string }[];
  readonly locations: readonly { readonly locationName?: string; readonly isZoneRedundant?: boolean }[];
  /** Continuous (its tier) or periodic (no tier). */
  readonly backupPolicy?: { readonly type: string; readonly continuousModeProperties?: { readonly tier?: string } };
  readonly consistencyPolicy?: { readonly defaultConsistencyLevel?: string };
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The account's own settings the program sends beside its regions, backup, consistency and tags, which Azure returns
 * as it stores them (`cosmosdb.getDatabaseAccount`). The key URI and the default identity are left out: outputs of
 * other resources, unknown in a first preview, where the check must keep the account's name known.
 */
export const COSMOS_ACCOUNT_SETTINGS = [
  "minimalTlsVersion",
  "publicNetworkAccess",
  "networkAclBypass",
  "isVirtualNetworkFilterEnabled",
  "disableLocalAuth",
  "disableKeyBasedMetadataWriteAccess",
  "enableAutomaticFailover",
  "enableMultipleWriteLocations",
  "enablePerRegionPerPartitionAutoscale",
  "enableAnalyticalStorage",
  "enableFreeTier",
] as const;

export type CosmosAccountSettings = Readonly<
  Partial<Record<(typeof COSMOS_ACCOUNT_SETTINGS)[number], string | boolean>>
>;

/** A deployed account with its own settings as Azure returns them (compared by cosmosSoloChangeConflicts). */
export type DeployedCosmosAccountWithSettings = DeployedCosmosAccount &
  Readonly<Partial<Record<(typeof COSMOS_ACCOUNT_SETTINGS)[number], unknown>>>;

/** Whether Azure's value of a setting is the program's: enum text compared case-insensitively. */
function sameSetting(deployed: unknown, wanted: string | boolean): boolean {
  return typeof deployed === "string" && typeof wanted === "string"
    ? deployed.toLowerCase() === wanted.toLowerCase()
    : deployed === wanted;
}

/** `West Europe` and `westeurope` alike (the account reports display names). */
const regionKey = (name: string) => name.replace(/\s+/g, "").toLowerCase();

/**
 * A change of the account's regions (`cosmos.multiRegion`) or of its continuous backup tier (`cosmos.backupTier`)
 * together with any other change of the account: Azure refuses the update ("If you are performing any operation
 * involving an account region, you cannot make any other changes", how-to-manage-database-account; "Cannot update
 * Continuous Mode Tier and other properties at the same time"). Two pull requests merged close together reach prod
 * in one `up` (deploy.yml keeps one pending run), so a preview of the deployed stack refuses the combination,
 * naming each change: the consistency level, the other of the two, the tags the program sets (a tag Azure or a
 * policy added is not compared) and the account's own settings (COSMOS_ACCOUNT_SETTINGS: a code change beside the
 * config change; a setting Azure does not return is not compared). Not seen: a change of the key URI or the default
 * identity (a renamed key or identity), which the preview's diff shows.
 */
export function cosmosSoloChangeConflicts(
  deployed: DeployedCosmosAccountWithSettings,
  cosmos: CosmosConfig,
  wanted: {
    readonly regions: readonly string[];
    readonly tags: Readonly<Record<string, string>>;
    readonly settings?: CosmosAccountSettings;
  },
): CreationOnlyConflict[] {
  const had = deployed.locations.map((l) => regionKey(l.locationName ?? "")).sort();
  const want = wanted.regions.map(regionKey).sort();
  const regions = had.length > 0 && had.join(",") !== want.join(",");
  const hadTier = deployed.backupPolicy?.continuousModeProperties?.tier;
  const tier = hadTier !== undefined && hadTier !== cosmos.backupTier;
  if (!regions && !tier) return [];
  const others: string[] = [];
  if (regions && tier) others.push(`cosmos.backupTier (${hadTier} to ${cosmos.backupTier})`);
  const level = deployed.consistencyPolicy?.defaultConsistencyLevel;
  if (level !== undefined && level !== cosmos.consistency)
    others.push(`cosmos.consistency (${level} to ${cosmos.consistency})`);
  const tags = Object.keys(wanted.tags).filter(
    (k) => deployed.tags !== undefined && deployed.tags[k] !== wanted.tags[k],
  );
  if (tags.length > 0)
    others.push(`the tags ${tags.join(", ")} (the stack's owner, costCenter or extraTags, or the program's)`);
  for (const key of COSMOS_ACCOUNT_SETTINGS) {
    const want = wanted.settings?.[key];
    const had = deployed[key];
    if (want === undefined || had === undefined || had === null || sameSetting(had, want)) continue;
    others.push(`the account's ${key} (${String(had)} to ${String(want)}, set by the program)`);
  }
  if (others.length === 0) return [];
  const what = regions ? "cosmos.multiRegion" : "cosmos.backupTier";
  return [
    {
      key: what,
      deployed: regions ? `regions ${had.join(", ")}` : String(hadTier),
      wanted: regions ? `regions ${want.join(", ")}` : cosmos.backupTier,
      kind: "refused",
      remedy:
        `Azure takes ${regions ? "a change of the account's regions" : "a change of its backup tier"} only on its own, and this update ` +
        `also changes ${others.join("; ")}: deploy ${what} alone first (set the others back in this change), then the rest.`,
    },
  ];
}

/**
 * The settings of `cosmos` Azure takes only when it creates the account (or adds a region) that differ from the
 * deployed account's: serverless, a capability of the account (docs/configuration.md), and each region's zone
 * redundancy, set when the region is added ("Zone redundancy must be configured when you create a Cosmos DB account
 * ... This setting cannot be changed after the account is created", PSRule Azure.Cosmos.AvailabilityZone; Microsoft
 * Q&A 1444803). A region the account does not have yet (`cosmos.multiRegion` turned on) takes the config's value.
 */
export function cosmosCreationOnlyConflicts(
  deployed: DeployedCosmosAccount,
  cosmos: CosmosConfig,
): CreationOnlyConflict[] {
  const conflicts: CreationOnlyConflict[] = [];
  const serverless = (deployed.capabilities ?? []).some((c) => c.name === "EnableServerless");
  if (serverless !== cosmos.serverless)
    conflicts.push({
      key: "cosmos.serverless",
      deployed: String(serverless),
      wanted: String(cosmos.serverless),
      remedy: serverless
        ? "Azure turns a serverless account into a provisioned one only through its capacity-mode migration " +
          "(irreversible, started outside this program); set it back to true until the migration has run."
        : "Azure never turns a provisioned account into a serverless one; set it back to false.",
    });
  const differing = deployed.locations.filter(
    (l) => l.isZoneRedundant !== undefined && l.isZoneRedundant !== cosmos.zoneRedundant,
  );
  if (differing.length > 0)
    conflicts.push({
      key: "cosmos.zoneRedundant",
      deployed: `${String(!cosmos.zoneRedundant)} in ${differing.map((l) => l.locationName ?? "a region").join(", ")}`,
      wanted: String(cosmos.zoneRedundant),
      remedy: `Azure sets a region's zone redundancy when it adds the region; set it back to ${String(!cosmos.zoneRedundant)} (another value needs the region removed and added again, or a new account).`,
    });
  return conflicts;
}

/** An Entra identity granted a data-plane role on the account (or on some containers only). */
export interface DataPlanePrincipal {
  /** Stable kebab-case key used in logical names (e.g. `data-engineers`, `ingestion-func`). */
  readonly key: string;
  /** Entra object id of the user, group, service principal or managed identity. */
  readonly principalId: pulumi.Input<string>;
  /** Restrict the grant to these containers (least privilege); default: every container of the account. */
  readonly containers?: readonly CosmosContainerKey[];
}

/**
 * A later tier's handle on the NoSQL tier's `grantDataAccess`: a data-plane role on some containers, joining the
 * account's serialised chain of grants; returns the assignments, which the tier's apps wait for.
 */
export type CosmosDataGrant = (
  role: CosmosDataRole,
  principal: DataPlanePrincipal & { readonly containers: readonly CosmosContainerKey[] },
) => readonly pulumi.Resource[];

/**
 * A later tier's handle on the NoSQL tier's `grantMetadataRead`: `readMetadata` on the account only, which SDKs read
 * first and container-scoped grants do not cover (403 on readMetadata: Azure/azure-cosmos-dotnet-v3#2891, #3638).
 */
export type CosmosMetadataGrant = (principal: Pick<DataPlanePrincipal, "key" | "principalId">) => pulumi.Resource;

export interface NoSqlArgs extends DataServiceArgs {
  /** The validated `cosmos` section of the stack config. */
  readonly cosmos: CosmosConfig;
  /** Identities that read and write items (Cosmos DB Built-in Data Contributor), e.g. ingestion/ETL functions. */
  readonly dataContributors?: readonly DataPlanePrincipal[];
  /** Identities that only read items, query and read the change feed (Cosmos DB Built-in Data Reader). */
  readonly dataReaders?: readonly DataPlanePrincipal[];
}

/** Checks the arguments before any child resource is registered; throws naming the argument. */
export function validateNoSqlArgs(args: NoSqlArgs): void {
  const problems: string[] = [];
  for (const [arg, list] of [
    ["dataContributors", args.dataContributors ?? []],
    ["dataReaders", args.dataReaders ?? []],
  ] as const) {
    const seen = new Set<string>();
    for (const p of list) {
      if (!/^[a-z][a-z0-9-]{0,40}$/.test(p.key))
        problems.push(`${arg}: key '${p.key}' must be kebab-case (a-z, 0-9, -)`);
      if (seen.has(p.key)) problems.push(`${arg}: key '${p.key}' is used twice`);
      seen.add(p.key);
      if (p.containers && p.containers.length === 0)
        problems.push(`${arg}: '${p.key}' lists no containers (omit it for the whole account)`);
    }
  }
  if (args.cosmos.serverless && args.cosmos.multiRegion) problems.push("cosmos: a serverless account is single-region");
  if (!args.cosmos.serverless) {
    for (const key of COSMOS_CONTAINERS) {
      if (args.cosmos.containers[key].maxThroughput === undefined) {
        problems.push(`cosmos.containers.${key}.maxThroughput is required on a provisioned account`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`NoSql: ${problems.join("; ")}`);
}

/** Consistency policy; BoundedStaleness gets the multi-region minimums (100,000 operations, 300 s). */
export function consistencyPolicy(level: CosmosConfig["consistency"]): types.input.cosmosdb.ConsistencyPolicyArgs {
  const defaultConsistencyLevel = cosmosdb.DefaultConsistencyLevel[level];
  return level === "BoundedStaleness"
    ? { defaultConsistencyLevel, maxStalenessPrefix: 100_000, maxIntervalInSeconds: 300 }
    : { defaultConsistencyLevel };
}

/** Data-plane RBAC scope: the account, or one container of the `payments` database. */
export function dataPlaneScope(accountId: string, container?: CosmosContainerKey): string {
  return container ? `${accountId}/dbs/${DATABASE_NAME}/colls/${CONTAINERS[container].id}` : accountId;
}
