/**
 * The audit archive (`sql.archiveTriggerAudit`): the fraud scorer's Azure SQL trigger polls the payments database
 * every 100 ms on every always-ready instance, and the server audit (BATCH_COMPLETED_GROUP, PCI DSS 10.2.1) would
 * send each poll's three batches to the workspace: most of prod's estimated log volume (docs/cost.md, "SQL audit of
 * the trigger's polls"). With the archive, those batches are still audited, every one, but to an immutable storage
 * account instead of the workspace:
 *  - the primary server's audit leaves them out with a predicate (`predicateExpression`, the WHERE clause of the
 *    server audit: "database_principal_name <> '<scorer>' OR NOT statement LIKE '%az_func%' OR database_name <>
 *    '<db>'");
 *  - a database-level audit of the payments database keeps exactly those (the complement:
 *    "database_principal_name = '<scorer>' AND statement LIKE '%az_func%' AND database_name = '<db>'") and writes them
 *    to the archive. The server audit comes after it (server.ts `auditAfter`): never a predicate without its
 *    complement in place. With
 *    server auditing on, "the database is audited twice in parallel; once by the server policy and once by the
 *    database policy" (learn.microsoft.com/azure/azure-sql/database/auditing-server-level-database-level), so each
 *    record lands in exactly one of the two. Both policies audit the same action groups.
 * The predicate grammar is CREATE SERVER AUDIT's (`[NOT] field {= | <> | LIKE ...} 'string'` joined by AND/OR, no
 * parentheses; learn.microsoft.com/sql/t-sql/statements/create-server-audit-transact-sql). Every batch of the
 * trigger names its schema and lock, `az_func` (Azure/azure-functions-sql-extension SqlTriggerConstants.cs); the
 * begin and commit of each poll's transaction carry no such text and stay in the workspace. The scorer's database
 * user is the name `flow1_access.sql` creates it with (its managed identity's name).
 *
 * The archive account: the platform's hardened account (Entra only, the storage key, infrastructure encryption) in the
 * primary server's region: an audit account behind a firewall "must be ... at the same location as the logical SQL
 * server" (audit-write-storage-account-behind-vnet-firewall, the page for this case; auditing-setup's "through other
 * methods, the storage account can be in any region" does not speak of a firewall), so after a failover the
 * geo-secondary's inherited database audit may not reach it, while the workspace keeps every record
 * (docs/operations.md); written by the servers' identity (the CMK identity, their primary identity) with Storage Blob
 * Data Contributor and no account key (audit-write-storage-account-behind-vnet-firewall: "don't specify a
 * storageAccountAccessKey — the server's managed identity authenticates"). Azure SQL reaches it over the public
 * endpoint as a trusted service: the page asks for "Allow trusted Microsoft services to access this storage account",
 * so the firewall denies everything but that bypass and a resource instance rule for each server, and readers use the
 * private endpoint. The servers restrict outbound traffic, so each gets an outbound firewall rule for the account's
 * blob host ("400 BlobAuditingStorageOutboundFirewallNotAllowed" otherwise; the REST spec's BlobAuditing errors;
 * outbound-firewall-rule-overview: geo-replication needs the same rules on every server). Records go to append blobs in
 * `sqldbauditlogs`, under a container-level time-based retention policy that allows protected appends ("Make sure you
 * have selected Allow additional appends", auditing-overview; the property "is available only for container-level
 * policies", immutable-time-based-retention-policy-overview). Azure creates the policy unlocked; locking it is an
 * operator's step after the first deploy (docs/operations.md). Cool tier: append blobs take the account's default tier
 * and are never read but by an investigation.
 */
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import {
  afterCreationOnlyCheck,
  BuiltInRoles,
  blobSoftDelete,
  deployedOrNone,
  deployer,
  grantPropagation,
  hardenedStorageAccount,
  managementLock,
  privateEndpoint,
  roleAssignment,
  storageServiceDiagnostics,
  type CreationOnlyConflict,
  type CustomerManagedKey,
  type DiagnosticSettingsTarget,
  type LockSpec,
  type PrivateEndpointTarget,
  type Tags,
} from "../shared";

/** Azure SQL writes audit records to append blobs in this container (learn.microsoft.com/azure/azure-sql/database/audit-log-format). */
export const AUDIT_CONTAINER = "sqldbauditlogs";
/**
 * The text every batch of the Azure SQL trigger names: its schema `az_func` and its app lock `_az_func_Trigger`. In
 * LIKE, `_` matches any one character, so a statement naming, say, `azXfunc` matches too: more statements in the
 * archive (still audited), never fewer.
 */
export const TRIGGER_STATEMENT_PATTERN = "%az_func%";
/**
 * The REST spec lists "BlobAuditingInvalidPolicyLength - Invalid policy length, should be within 200 characters"
 * without naming the field: predicates stay under it.
 */
export const MAX_PREDICATE_LENGTH = 200;
/** Soft delete on the archive's blob service (what the pack asks of every account). */
export const ARCHIVE_SOFT_DELETE_DAYS = 7;

/** The two predicates: what the server audit keeps (everything else) and what the database audit keeps (the rest). */
export interface TriggerAuditPredicates {
  /** The server audit's WHERE: every record but the scorer's trigger batches. */
  readonly server: string;
  /** The database audit's WHERE: exactly the scorer's trigger batches. */
  readonly database: string;
}

/**
 * The complementary predicates for the database user whose trigger batches go to the archive. Refuses a name the
 * predicate could not quote plainly (identity names are letters, digits and hyphens) and a predicate over the limit.
 */
export function triggerAuditPredicates(databaseUser: string, databaseName: string): TriggerAuditPredicates {
  for (const [what, name] of [
    ["the scorer's database user", databaseUser],
    ["the database", databaseName],
  ])
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
      throw new Error(
        `sql.archiveTriggerAudit: ${what} '${name}' must be letters, digits, '.', '_' or '-' to be named in an audit predicate`,
      );
  // The database is named too: the server audit applies to every database of the server, and only this one has the
  // database audit that keeps what the predicate leaves out.
  const predicates = {
    server: `database_principal_name <> '${databaseUser}' OR NOT statement LIKE '${TRIGGER_STATEMENT_PATTERN}' OR database_name <> '${databaseName}'`,
    database: `database_principal_name = '${databaseUser}' AND statement LIKE '${TRIGGER_STATEMENT_PATTERN}' AND database_name = '${databaseName}'`,
  };
  for (const p of Object.values(predicates))
    if (p.length > MAX_PREDICATE_LENGTH)
      throw new Error(
        `sql.archiveTriggerAudit: the audit predicate is ${p.length} characters, over Azure's ${MAX_PREDICATE_LENGTH} (the scorer's database user '${databaseUser}' or the database '${databaseName}' is too long)`,
      );
  return predicates;
}

/** The archive's blob host, as an outbound firewall rule names it. */
export const archiveBlobHost = (accountName: string): string => `${accountName}.blob.core.windows.net`;

/** What the OLTP tier needs to archive the trigger's audit (given by the program; used with `sql.archiveTriggerAudit`). */
export interface TriggerAuditArchiveArgs {
  /** The database user of the app whose trigger polls the payments database (the fraud scorer's identity's name). */
  readonly databaseUser: string;
  /** The platform's storage key (the archive is a storage account like every other). */
  readonly storageKey: CustomerManagedKey;
}

export interface AuditArchiveInputs {
  readonly accountName: pulumi.Input<string>;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: string;
  readonly retentionDays: number;
  /** The config key `retentionDays` comes from, as the check of the deployed policy names it. */
  readonly retentionKey: string;
  /** The servers that write (resource instance rules) and their shared identity (the blob grant). */
  readonly serverIds: readonly pulumi.Input<string>[];
  readonly serverIdentityPrincipalId: pulumi.Input<string>;
  readonly storageKey: CustomerManagedKey;
  readonly privateEndpoints: PrivateEndpointTarget;
  readonly diagnosticSettings: DiagnosticSettingsTarget;
  readonly protect: boolean;
  readonly lock: LockSpec;
  readonly tags: Tags;
}

export interface AuditArchive {
  readonly account: storage.StorageAccount;
  /** `https://<account>.blob.core.windows.net/`: the database audit's `storageEndpoint`. */
  readonly storageEndpoint: pulumi.Output<string>;
  /** Done when Azure SQL may write there: the container's retention policy is set and the servers' grant has propagated. */
  readonly ready: pulumi.Resource[];
}

/** The archive's retention policy as `storage.getBlobContainerImmutabilityPolicy` returns it. */
export interface DeployedRetentionPolicy {
  /** `Locked` or `Unlocked`. */
  readonly state?: string;
  readonly immutabilityPeriodSinceCreationInDays?: number;
}

/**
 * The retention period the config asks for against the deployed policy's. Only a locked policy refuses the program's
 * update: the PUT "Creates or updates an unlocked immutability policy", and "The only action allowed on a Locked policy
 * is ExtendImmutabilityPolicy action" (BlobContainers_CreateOrUpdateImmutabilityPolicy and _LockImmutabilityPolicy in
 * the Storage REST spec; at most five extensions: immutable-time-based-retention-policy-overview), so any change of a
 * locked period is refused, with the command for an extension. An unlocked policy takes the update ("ETag in If-Match
 * is honored if given but not required for this operation"), and a container without one reads as period 0, state
 * `Deleted` ("The response of delete has immutabilityPeriodSinceCreationInDays set to 0"): nothing to say.
 */
export function retentionPolicyConflicts(
  deployed: DeployedRetentionPolicy,
  wantedDays: number,
  key: string,
  where: { readonly accountName: string; readonly resourceGroupName: string },
): CreationOnlyConflict[] {
  const had = deployed.immutabilityPeriodSinceCreationInDays;
  if (deployed.state !== "Locked" || had === undefined || had === wantedDays) return [];
  const az = `--account-name ${where.accountName} --container-name ${AUDIT_CONTAINER}`;
  const etag = `--if-match "$(az storage container immutability-policy show ${az} --query etag -o tsv)"`;
  const locked = `The policy is locked, and the only action Azure allows on it is an extension ("The only action allowed on a Locked policy is ExtendImmutabilityPolicy action", the Storage REST spec)`;
  return [
    {
      key,
      deployed: `${had} days`,
      wanted: `${wantedDays} days`,
      kind: "refused",
      remedy:
        wantedDays < had
          ? `${locked}: set it back to ${had} days or more.`
          : `${locked}, which the program's update is not: extend it with ` +
            `\`az storage container immutability-policy extend ${az} --period ${wantedDays} --allow-protected-append-writes true ${etag}\` ` +
            `(at most five extensions), then pulumi up --refresh.`,
    },
  ];
}

/** The archive account, its WORM container, the servers' grant, its private endpoint, diagnostics and lock. */
export function auditArchive(prefix: string, a: AuditArchiveInputs, parent: pulumi.Resource): AuditArchive {
  const client = deployer();
  const account = hardenedStorageAccount(
    `${prefix}-st`,
    {
      accountName: a.accountName,
      resourceGroupName: a.resourceGroupName,
      location: a.location,
      // Zone-redundant like every account of the platform (the pack allows no locally redundant SKU).
      sku: storage.SkuName.Standard_ZRS,
      accessTier: storage.AccessTier.Cool,
      customerManagedKey: a.storageKey,
      allowedCopyScope: storage.AllowedCopyScope.PrivateLink,
      firewall: {
        bypass: storage.Bypass.AzureServices,
        resourceInstances: a.serverIds.map((resourceId) => ({ tenantId: client.tenantId, resourceId })),
      },
      protect: a.protect,
      // Where protected (prod), audit records outlive the key that made them: turning the archive off leaves the
      // account and everything that guards and reads it in Azure (PCI DSS 10.5.1 keeps them a year). Not in dev: a
      // kept endpoint would stop the VNet's deletion, and the data resource group's deletion takes the account anyway
      // (docs/operations.md says how to tear it down).
      retainOnDelete: a.protect,
      tags: a.tags,
    },
    parent,
  );
  const scope = { resourceGroupName: a.resourceGroupName, accountName: account.name };
  // One management operation on the account at a time: blob service, container, its retention policy, endpoint.
  const blobService = new storage.BlobServiceProperties(
    `${prefix}-blob`,
    {
      ...scope,
      blobServicesName: "default",
      ...blobSoftDelete(ARCHIVE_SOFT_DELETE_DAYS),
    },
    { parent },
  );
  const container = new storage.BlobContainer(
    `${prefix}-container`,
    { ...scope, containerName: AUDIT_CONTAINER, publicAccess: storage.PublicAccess.None },
    { parent, protect: a.protect, retainOnDelete: a.protect, dependsOn: [blobService] },
  );
  // A locked policy takes only an extension: a preview of a deployed stack reads the policy and refuses a changed
  // period before the policy registers (retentionPolicyConflicts).
  const checkedAccountName = afterCreationOnlyCheck(pulumi.all([account.name, pulumi.output(a.resourceGroupName)]), {
    resource: ([accountName]) => `the audit archive's retention policy on '${accountName}/${AUDIT_CONTAINER}'`,
    read: ([accountName, resourceGroupName]) =>
      deployedOrNone(() =>
        storage.getBlobContainerImmutabilityPolicy(
          { resourceGroupName, accountName, containerName: AUDIT_CONTAINER, immutabilityPolicyName: "default" },
          { parent },
        ),
      ),
    conflicts: (deployed, [accountName, resourceGroupName]) =>
      retentionPolicyConflicts(deployed, a.retentionDays, a.retentionKey, { accountName, resourceGroupName }),
  }).apply(([accountName]) => accountName);
  const retention = new storage.BlobContainerImmutabilityPolicy(
    `${prefix}-worm`,
    {
      ...scope,
      accountName: checkedAccountName,
      // The literal name (what the pack checks, known in a first preview), after the container.
      containerName: AUDIT_CONTAINER,
      immutabilityPolicyName: "default",
      immutabilityPeriodSinceCreationInDays: a.retentionDays,
      allowProtectedAppendWrites: true,
    },
    { parent, protect: a.protect, retainOnDelete: a.protect, dependsOn: [container] },
  );
  const grant = roleAssignment(
    prefix,
    account.id,
    {
      key: "sql-servers-blob-writer",
      principalId: a.serverIdentityPrincipalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: BuiltInRoles.StorageBlobDataContributor,
      description:
        "The OLTP servers' identity writes the SQL trigger's audit records (append blobs in sqldbauditlogs).",
    },
    parent,
  );
  const propagated = grantPropagation(`${prefix}-grant-propagation`, grant, parent);
  privateEndpoint(
    `${prefix}-blob`,
    {
      service: "storageBlob",
      targetId: account.id,
      targetName: account.name,
      target: a.privateEndpoints,
      tags: a.tags,
      dependsOn: [retention],
      // Retained with the account where it is (prod): turning the archive off keeps its read path, read log and lock.
      retainOnDelete: a.protect,
    },
    parent,
  );
  storageServiceDiagnostics(`${prefix}-blob`, account.id, "blob", a.diagnosticSettings, parent, a.protect);
  managementLock(prefix, account.id, a.lock, parent, account, a.protect);
  return {
    account,
    storageEndpoint: pulumi.interpolate`https://${account.name}.blob.core.windows.net/`,
    ready: [retention, propagated],
  };
}
