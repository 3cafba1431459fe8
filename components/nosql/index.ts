/**
 * NoSQL tier: one Azure Cosmos DB for NoSQL account (`payments` database, four containers: API logs, sessions,
 * fraud features, webhook events) reached only through a private endpoint, with Entra-only data access (Cosmos DB
 * data-plane RBAC), a customer-managed key, continuous backup, and diagnostics to the central workspace.
 *
 * A fifth container, `leases`, holds the streaming relay's change feed leases.
 * Partition keys, TTLs and indexing are explained container by container in docs/cosmos-partitioning.md.
 * Change feed: always on for the NoSQL API (there is no setting); the streaming tier reads it (latest-version mode;
 * TTL expiries and deletes are not in that mode). Analytical store / Synapse Link is deliberately not enabled
 * (not offered for new projects): no `enableAnalyticalStorage`, no container `analyticalStorageTtl`.
 */
import * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import { COSMOS_CONTAINERS, type CosmosContainerKey } from "../../lib/config";
import { kebabCase } from "../../lib/naming";
import { roleAssignmentName } from "../../lib/uuid";
import {
  afterCreationOnlyCheck,
  COSMOS_DB_METRIC_CATEGORIES,
  deployedOrNone,
  deployer,
  diagnosticSetting,
  lockFor,
  managementLock,
  privateEndpoint,
  RBAC_PROPAGATION_DELAY,
  readArm,
  readOrWarn,
  roleAssignments,
  Serial,
} from "../shared";
import {
  accountLocations,
  consistencyPolicy,
  CONTAINERS,
  containerResource,
  cosmosCreationOnlyConflicts,
  cosmosSoloChangeConflicts,
  type CosmosAccountSettings,
  CosmosDataRoles,
  CosmosItemRoles,
  DATABASE_NAME,
  dataPlaneScope,
  itemRoleDataActions,
  throughputOptions,
  validateNoSqlArgs,
  type CosmosDataRole,
  type DataPlanePrincipal,
  type NoSqlArgs,
} from "./settings";
import { COSMOS_THROUGHPUT_API_VERSION, deployedThroughput, throughputConflicts } from "./throughput";

/** `ItemWriter` → `item-writer`. */
const roleLabel = (role: string) => kebabCase(role.charAt(0).toLowerCase() + role.slice(1));

export * from "./settings";
export * from "./throughput";

export class NoSql extends pulumi.ComponentResource {
  public readonly accountName: pulumi.Output<string>;
  public readonly accountId: pulumi.Output<string>;
  /** `https://<account>.documents.azure.com:443/` (resolves to the private endpoint inside the VNet). */
  public readonly documentEndpoint: pulumi.Output<string>;
  public readonly databaseName: pulumi.Output<string>;
  /** Container names by config key. */
  public readonly containerNames: Readonly<Record<CosmosContainerKey, pulumi.Output<string>>>;

  /** The custom `readMetadata`-only role, created by the first `grantMetadataRead`. */
  private metadataRole?: cosmosdb.SqlResourceSqlRoleDefinition;
  /** The custom item-level roles (CosmosItemRoles), each created by its first grant. */
  private readonly itemRoles = new Map<keyof typeof CosmosItemRoles, cosmosdb.SqlResourceSqlRoleDefinition>();
  /** Per principal key: the wait for a new principal to reach Entra ID before Cosmos DB looks it up. */
  private readonly principalWaits = new Map<
    string,
    { readonly principalId: DataPlanePrincipal["principalId"]; readonly wait: time.Sleep }
  >();

  private readonly dataPlane: {
    readonly name: string;
    readonly accountId: pulumi.Output<string>;
    readonly accountName: pulumi.Output<string>;
    readonly resourceGroupName: pulumi.Input<string>;
    /** Every data-plane grant on the account, one after another. */
    readonly chain: Serial;
    /** Logical names already used (a principal granted twice is a mistake). */
    readonly names: Set<string>;
  };

  constructor(name: string, args: NoSqlArgs, opts?: pulumi.ComponentResourceOptions) {
    super("payments:nosql:NoSql", name, {}, opts);
    validateNoSqlArgs(args);
    const { context, cosmos } = args;
    const cfg = context.config;
    const protect = args.protect ?? false;
    const lock =
      args.lock ?? lockFor(protect, "the Cosmos DB account (API logs, sessions, fraud features, webhook events)");
    // PCI scope "connected", not "cde": the platform never receives PANs (azure-reference: token, brand, last four,
    // expiry only). fraud_features keys cards by the PSP-issued token fingerprint, an opaque value we cannot
    // reverse and do not derive from a PAN, so no container holds account data. If the fraud team ever stores a
    // hash of the PAN computed here (PCI DSS 3.5.1.1 keyed hash: still account data), or BIN + last four next to
    // such a hash, this account becomes CDE: set pciScope "cde" and dataClassification "restricted" (the account is
    // one security boundary; tags and scope cannot differ per container).
    const tags =
      args.tags ?? context.tags({ dataClassification: "confidential", pciScope: "connected", component: "nosql" });
    const cmk = args.customerManagedKey;

    // Serverless and zone redundancy are set when Azure creates the account: a preview of a deployed stack reads the
    // account and refuses a change to either, naming the key, before the account registers (components/shared/deployed.ts).
    // A region or backup tier change is refused with any other change of the account (cosmosSoloChangeConflicts).
    const locations = accountLocations(cosmos, cfg.location, cfg.secondaryLocation);
    // The account's own settings (beside regions, backup, consistency, key and tags), compared with the deployed
    // account's when a region or tier change must go alone.
    const settings = {
      // Dynamic autoscale: each partition (and region) scales to its own load instead of the hottest one's, and the
      // hour bills the sum (cosmos-db/autoscale-per-partition-region: accounts created after 2023-11-15 can enable it,
      // which prod's is). Serverless has no autoscale.
      ...(cosmos.serverless ? {} : { enablePerRegionPerPartitionAutoscale: true }),
      // One write region (no multi-region writes: no conflicts to resolve, continuous backup fully supported);
      // the service fails the write region over to the secondary when the primary region is lost.
      enableMultipleWriteLocations: false,
      // On even with one region (a no-op there): Azure refuses an update that changes the account's regions together
      // with any other property ("If you are performing any operation involving an account region, you cannot
      // make any other changes"), so turning `cosmos.multiRegion` on later changes `locations` alone.
      enableAutomaticFailover: true,
      // Entra only: no account keys or resource tokens, and no key-based database/container/throughput changes
      // (those go through this program; the management lock then also holds against SDK clients).
      disableLocalAuth: true,
      disableKeyBasedMetadataWriteAccess: true,
      minimalTlsVersion: cosmosdb.MinimalTlsVersion.Tls12,
      // Private endpoint only. The firewall stays closed too (VNet filter on, no VNet or IP rules, no Azure services
      // bypass), meant to admit nobody should public access be re-enabled by mistake (unverified: Microsoft does not
      // say what the VNet filter does with no rule; the pack's rule on publicNetworkAccess is the guard).
      publicNetworkAccess: cosmosdb.PublicNetworkAccess.Disabled,
      isVirtualNetworkFilterEnabled: true,
      networkAclBypass: cosmosdb.NetworkAclBypass.None,
      enableAnalyticalStorage: false,
      enableFreeTier: false,
    } satisfies CosmosAccountSettings;
    const accountName = afterCreationOnlyCheck(
      pulumi.all([context.globalName("cosmosAccount", args.suffix), args.resourceGroupName, pulumi.output(tags)]),
      {
        resource: ([accountName]) => `the Cosmos DB account '${accountName}'`,
        read: ([accountName, resourceGroupName]) =>
          deployedOrNone(() => cosmosdb.getDatabaseAccount({ resourceGroupName, accountName }, { parent: this })),
        conflicts: (deployed, [, , wantedTags]) => [
          ...cosmosCreationOnlyConflicts(deployed, cosmos),
          ...cosmosSoloChangeConflicts(deployed, cosmos, {
            regions: locations.map((l) => String(l.locationName)),
            tags: wantedTags as Record<string, string>,
            settings,
          }),
        ],
      },
    ).apply(([accountName]) => accountName);
    const account = new cosmosdb.DatabaseAccount(
      `${name}-account`,
      {
        accountName,
        resourceGroupName: args.resourceGroupName,
        location: cfg.location,
        kind: cosmosdb.DatabaseAccountKind.GlobalDocumentDB,
        databaseAccountOfferType: cosmosdb.DatabaseAccountOfferType.Standard,
        // Serverless (dev) is single-region and has no provisioned throughput; prod uses per-container autoscale.
        capabilities: cosmos.serverless ? [{ name: "EnableServerless" }] : [],
        ...settings,
        locations,
        // Session (config): read-your-own-writes for the client that wrote (the scorer re-reads the features it
        // just upserted, the API its session), consistent-prefix for everyone else, at the read cost and latency
        // of eventual reads. Strong/BoundedStaleness double the RU of reads and Strong adds cross-region write
        // latency; nothing here needs a global linearizable read.
        consistencyPolicy: consistencyPolicy(cosmos.consistency),
        // Continuous backup (point-in-time restore); with a CMK it requires a user-assigned default identity. Note:
        // backup copies are encrypted at rest by the service but not double-encrypted with the CMK.
        backupPolicy: {
          type: cosmosdb.BackupPolicyType.Continuous,
          continuousModeProperties: { tier: cosmosdb.ContinuousTier[cosmos.backupTier] },
        },
        // Customer-managed key: versionless URI so Key Vault rotation is followed automatically. Set at creation
        // (CMK can now also be enabled on existing accounts, but that re-encrypts everything in the background).
        // CMK caps item ids at 990 bytes and adds ~5-15% RU per operation.
        keyVaultKeyUri: cmk.keyUri,
        identity: {
          type: cosmosdb.ResourceIdentityType.UserAssigned,
          userAssignedIdentities: [cmk.identity.id],
        },
        defaultIdentity: pulumi.interpolate`UserAssignedIdentity=${cmk.identity.id}`,
        virtualNetworkRules: [],
        ipRules: [],
        networkAclBypassResourceIds: [],
        tags,
      },
      {
        parent: this,
        protect,
        // Cosmos DB checks key access when the account is created: wait for the identity's grant on the key.
        dependsOn: [args.customerManagedKey.accessGrant],
        // A status Azure writes ("In case there are errors, the property provides troubleshooting guidance"), which
        // the SDK declares as an input: a refresh during a key incident would copy its text into the inputs, the drift
        // check would report it, and the repairing `up --refresh` would send an account update a revoked account
        // refuses ("the only allowed operations are account updates that update the current assigned default
        // identity or deleting the account": learn.microsoft.com/azure/cosmos-db/cmk-troubleshooting-guide; the
        // customer-managed key page is stricter: "Account deletion is the only operation possible when the encryption
        // key has been revoked", how-to-setup-customer-managed-keys).
        ignoreChanges: ["customerManagedKeyStatus"],
      },
    );

    const database = new cosmosdb.SqlResourceSqlDatabase(
      `${name}-db`,
      {
        accountName: account.name,
        resourceGroupName: args.resourceGroupName,
        databaseName: DATABASE_NAME,
        // Throughput is dedicated per container (each gets its own partitions and budget), none shared here.
        resource: { id: DATABASE_NAME },
      },
      { parent: this, protect },
    );

    const containerNames = {} as Record<CosmosContainerKey, pulumi.Output<string>>;
    const containers: cosmosdb.SqlResourceSqlContainer[] = [];
    for (const key of COSMOS_CONTAINERS) {
      const design = CONTAINERS[key];
      const options = throughputOptions(cosmos, key);
      const maxThroughput = cosmos.serverless ? undefined : cosmos.containers[key].maxThroughput;
      // The autoscale maximum against the floor Azure holds the container to now (components/nosql/throughput.ts): a
      // preview of the deployed stack reads the container's throughput settings and refuses a value the container's
      // update would fail on in the middle of an `up`. Read once the account's name is known (a first preview reads
      // nothing: the name carries the stack's random suffix), before the container registers.
      const containerAccountName =
        typeof maxThroughput === "number"
          ? afterCreationOnlyCheck(pulumi.all([account.name, args.resourceGroupName, deployer().subscriptionId]), {
              resource: ([accountName]) => `the Cosmos DB container '${design.id}' of '${accountName}'`,
              // A failed read is a warning, not the deploy's end: the check is a safety net, and no page says what
              // Cosmos DB answers for a container not created yet (Terraform's azurerm takes a 404 for one without
              // throughput of its own, and reads nothing on a serverless account, where it "would yield an error").
              read: async ([accountName, resourceGroupName, subscriptionId]) => {
                const body = await readOrWarn(
                  () =>
                    readArm(
                      `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.DocumentDB/databaseAccounts/${accountName}/sqlDatabases/${DATABASE_NAME}/containers/${design.id}/throughputSettings/default`,
                      COSMOS_THROUGHPUT_API_VERSION,
                      { parent: this },
                    ),
                  (error) =>
                    `the Cosmos DB container '${design.id}' of '${accountName}': its throughput settings could not be ` +
                    `read (${error}), so cosmos.containers.${key}.maxThroughput was not compared with the ` +
                    `floor Azure holds it to: check with \`az cosmosdb sql container throughput show -g ${resourceGroupName} ` +
                    `-a ${accountName} -d ${DATABASE_NAME} -n ${design.id} --query resource\` before lowering it.`,
                  this,
                );
                return body === undefined ? undefined : deployedThroughput(body);
              },
              conflicts: (deployed, [accountName, resourceGroupName]) =>
                throughputConflicts(key, deployed, maxThroughput, {
                  resourceGroupName,
                  accountName,
                  databaseName: DATABASE_NAME,
                  containerName: design.id,
                }),
            }).apply(([accountName]) => accountName)
          : account.name;
      const container = new cosmosdb.SqlResourceSqlContainer(
        `${name}-${kebabCase(key)}`,
        {
          accountName: containerAccountName,
          resourceGroupName: args.resourceGroupName,
          databaseName: database.name,
          containerName: design.id,
          resource: containerResource(design, cosmos.containers[key].ttlSeconds),
          ...(options ? { options } : {}),
        },
        {
          parent: this,
          protect,
          // A partition key cannot change in place: without this the provider plans an update that Azure rejects
          // (azure-native #562). Replacing deletes the data, so in prod `protect` and the lock stop it until a
          // reviewed migration (container copy job) has moved the data.
          replaceOnChanges: ["resource.partitionKey"],
          deleteBeforeReplace: true,
        },
      );
      containerNames[key] = container.name;
      containers.push(container);
    }

    // The private endpoint's connection takes the account's exclusive lock ("There is already an operation in
    // progress which requires exclusive lock on this service", 412: hashicorp/terraform-provider-azurerm#11126): it
    // waits for the database and containers.
    const endpoint = privateEndpoint(
      `${name}-account`,
      {
        service: "cosmosSql",
        targetId: account.id,
        targetName: account.name,
        target: args.privateEndpoints,
        tags,
        dependsOn: [database, ...containers],
      },
      this,
    );

    // Data-plane RBAC (Entra identities only; local auth is off): one grant at a time on the account, after the
    // containers and the private endpoint (overlapping operations on one account fail with HTTP 412). Later tiers
    // add theirs with `grantDataAccess`, which continues the same chain.
    this.dataPlane = {
      name,
      accountId: account.id,
      accountName: account.name,
      resourceGroupName: args.resourceGroupName,
      chain: new Serial([database, ...containers, endpoint.endpoint, endpoint.zoneGroup]),
      names: new Set(),
    };
    // A principal granted on single containers also needs readMetadata on the account: the SDK reads the account and
    // database first, and container-scoped grants do not cover them (Azure/azure-cosmos-dotnet-v3#2891, #3638).
    for (const [role, principals] of [
      ["DataContributor", args.dataContributors ?? []],
      ["DataReader", args.dataReaders ?? []],
    ] as const) {
      for (const p of principals) {
        this.grantDataAccess(role, p);
        if (p.containers?.length && !this.dataPlane.names.has(`${name}-metadata-${p.key}`)) this.grantMetadataRead(p);
      }
    }
    diagnosticSetting(`${name}-account`, account.id, args.diagnosticSettings, this, COSMOS_DB_METRIC_CATEGORIES);
    managementLock(`${name}-account`, account.id, lock, this, account);
    roleAssignments(`${name}-account`, account.id, args.roleAssignments, this);

    this.accountName = account.name;
    this.accountId = account.id;
    this.documentEndpoint = account.documentEndpoint;
    this.databaseName = database.name;
    this.containerNames = containerNames;
    this.registerOutputs({
      accountName: this.accountName,
      accountId: this.accountId,
      documentEndpoint: this.documentEndpoint,
      databaseName: this.databaseName,
      containerNames: this.containerNames,
    });
  }

  /**
   * Grants an identity `readMetadata` on the account and nothing else (a custom role, created once). Readers whose
   * grants are scoped to containers need it when their SDK reads account or database metadata first, as the change
   * feed processor does (Azure/azure-cosmos-dotnet-v3#3638: 403 readMetadata on `dbs/<db>` with a container-scoped
   * Data Reader). Joins the account's chain; logical names `${name}-metadata-reader` (the role, once) and
   * `${name}-metadata-<key>`.
   */
  public grantMetadataRead(p: Pick<DataPlanePrincipal, "key" | "principalId">): cosmosdb.SqlResourceSqlRoleAssignment {
    const dp = this.dataPlane;
    const logicalName = `${dp.name}-metadata-${p.key}`;
    if (dp.names.has(logicalName)) throw new Error(`NoSql: ${logicalName} is granted twice`);
    dp.names.add(logicalName);
    this.metadataRole ??= dp.chain.next(
      (dependsOn) =>
        new cosmosdb.SqlResourceSqlRoleDefinition(
          `${dp.name}-metadata-reader`,
          {
            accountName: dp.accountName,
            resourceGroupName: dp.resourceGroupName,
            roleDefinitionId: dp.accountId.apply((id) => roleAssignmentName(id, "role", "account-metadata-reader")),
            roleName: "Account Metadata Reader",
            type: cosmosdb.RoleDefinitionType.CustomRole,
            assignableScopes: [dp.accountId],
            permissions: [{ dataActions: ["Microsoft.DocumentDB/databaseAccounts/readMetadata"] }],
          },
          { parent: this, dependsOn },
        ),
    );
    const role = this.metadataRole;
    return dp.chain.next(
      (dependsOn) =>
        new cosmosdb.SqlResourceSqlRoleAssignment(
          logicalName,
          {
            accountName: dp.accountName,
            resourceGroupName: dp.resourceGroupName,
            roleAssignmentId: pulumi
              .all([dp.accountId, p.principalId, role.id])
              .apply(([s, principal, r]) => roleAssignmentName(s, principal, r)),
            roleDefinitionId: role.id,
            principalId: p.principalId,
            scope: dp.accountId,
          },
          { parent: this, dependsOn: [...dependsOn, this.principalSettled(p)] },
        ),
    );
  }

  /**
   * Waits RBAC_PROPAGATION_DELAY after a principal appears (created again when its id changes): unlike an ARM role
   * assignment, which takes `principalType` and skips the directory lookup, a Cosmos DB data-plane assignment looks
   * the principal up in Entra ID and fails with 400 "principal ID … was not found in the AAD tenant" while a new
   * identity is still replicating (pulumi/pulumi-azure-native#2816, open upstream: a later run succeeds).
   * A first deployment waits for the account's key grant anyway; this covers a later `up` that adds an identity
   * (a new function app, a new group) together with its grant. One wait per principal key, logical name
   * `${name}-principal-<key>`.
   */
  private principalSettled(p: Pick<DataPlanePrincipal, "key" | "principalId">): time.Sleep {
    const existing = this.principalWaits.get(p.key);
    if (existing) {
      // One key, one principal: a key reused for another principal would share a wait that is not its own. Inputs
      // compare as given (an Output is not resolved here): grant one principal under one key with the same input.
      if (existing.principalId !== p.principalId)
        throw new Error(`NoSql: principal key '${p.key}' is used for two different principals`);
      return existing.wait;
    }
    const wait = new time.Sleep(
      `${this.dataPlane.name}-principal-${p.key}`,
      { createDuration: RBAC_PROPAGATION_DELAY, triggers: { principalId: p.principalId } },
      { parent: this },
    );
    this.principalWaits.set(p.key, { principalId: p.principalId, wait });
    return wait;
  }

  /**
   * A custom item-level role's definition (CosmosItemRoles), created in the account's chain by its first grant.
   * Logical name `${name}-role-<role>`; its id is a UUIDv5 of the account and the role.
   */
  private itemRole(role: keyof typeof CosmosItemRoles): cosmosdb.SqlResourceSqlRoleDefinition {
    const dp = this.dataPlane;
    const existing = this.itemRoles.get(role);
    if (existing) return existing;
    const label = roleLabel(role);
    const definition = dp.chain.next(
      (dependsOn) =>
        new cosmosdb.SqlResourceSqlRoleDefinition(
          `${dp.name}-role-${label}`,
          {
            accountName: dp.accountName,
            resourceGroupName: dp.resourceGroupName,
            roleDefinitionId: dp.accountId.apply((id) => roleAssignmentName(id, "role", label)),
            roleName: CosmosItemRoles[role].roleName,
            type: cosmosdb.RoleDefinitionType.CustomRole,
            assignableScopes: [dp.accountId],
            permissions: [{ dataActions: itemRoleDataActions(role) }],
          },
          { parent: this, dependsOn },
        ),
    );
    this.itemRoles.set(role, definition);
    return definition;
  }

  /**
   * Grants a Cosmos DB data-plane role to an Entra identity, on the account or on some containers only: a built-in
   * role (`DataReader`, `DataContributor`) or a custom item-level one (CosmosItemRoles: only the item operations an
   * app's code performs). Every grant joins the account's chain (after the containers, the private endpoint and every
   * earlier grant), so later tiers call this instead of creating `SqlResourceSqlRoleAssignment`s of their own.
   * Names: UUIDv5 of scope + principal + role; logical names `${name}-<reader|contributor|item-…>-<key>[-<container>]`.
   */
  public grantDataAccess(role: CosmosDataRole, p: DataPlanePrincipal): cosmosdb.SqlResourceSqlRoleAssignment[] {
    const dp = this.dataPlane;
    const builtIn = role === "DataReader" || role === "DataContributor";
    const roleDefinitionId = builtIn
      ? pulumi.interpolate`${dp.accountId}/sqlRoleDefinitions/${CosmosDataRoles[role]}`
      : this.itemRole(role).id;
    const label = role === "DataReader" ? "reader" : role === "DataContributor" ? "contributor" : roleLabel(role);
    const scopes: [string, pulumi.Output<string>][] = p.containers
      ? p.containers.map((c) => [`-${kebabCase(c)}`, dp.accountId.apply((id) => dataPlaneScope(id, c))])
      : [["", dp.accountId]];
    return scopes.map(([qualifier, scope]) => {
      const logicalName = `${dp.name}-${label}-${p.key}${qualifier}`;
      if (dp.names.has(logicalName)) throw new Error(`NoSql: ${logicalName} is granted twice`);
      dp.names.add(logicalName);
      return dp.chain.next(
        (dependsOn) =>
          new cosmosdb.SqlResourceSqlRoleAssignment(
            logicalName,
            {
              accountName: dp.accountName,
              resourceGroupName: dp.resourceGroupName,
              roleAssignmentId: pulumi
                .all([scope, p.principalId, roleDefinitionId])
                .apply(([s, principal, r]) => roleAssignmentName(s, principal, r)),
              roleDefinitionId,
              principalId: p.principalId,
              scope,
            },
            { parent: this, dependsOn: [...dependsOn, this.principalSettled(p)] },
          ),
      );
    });
  }
}
