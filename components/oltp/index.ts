/**
 * OLTP tier: the payments processor's operational database on Azure SQL Database. One logical server (and, with
 * `sql.failoverGroup`, a partner server in the secondary region behind an auto-failover group), reached only through
 * private endpoints, Microsoft Entra-only authentication, TDE with the platform's customer-managed key and automatic
 * key rotation, server auditing to the central Log Analytics workspace, Microsoft Defender for SQL alerts, PITR/LTR
 * backups on the primary and the geo-secondary, dynamic data masking enforced, diagnostics, and (prod) `protect` plus
 * a CanNotDelete lock on every server and database.
 *
 * Decisions a reader should know before changing anything here:
 *  - `isLedgerOn` follows `sql.ledger` (off in both stacks): the payment tables are ledger tables individually
 *    (pipelines/model/oltp.ts); a ledger *database* would make Customer data unerasable (GDPR Art. 17) and
 *    01_oltp_schema.sql refuses to run on one. The flag can never be changed after the database is created.
 *  - The geo-secondary database is declared explicitly (createMode Secondary) so its SKU, zone redundancy, read
 *    scale-out, tags, diagnostics, protect, lock and backup retention are managed: it becomes the primary after a
 *    failover. Microsoft: "configure the same LTR policy on the secondary database" (long-term-retention-overview,
 *    "Geo-replication and long-term backup retention"); no backups are taken there until it becomes the primary, so
 *    the policies cost nothing until then. The same goes for PITR retention (the service default is 7 days).
 *  - The geo-secondary is a *standby* replica where Azure offers one (provisioned GP/BC, `sql.secondaryType`): it
 *    serves only failover, drills, DBCC and monitoring, and Microsoft bills no SQL licence for it ("Microsoft
 *    provides you with the number of vCores licensed to the primary database at no extra charge under the failover
 *    rights benefit", standby-replica-how-to-configure). Nothing in the platform reads it: the read-only workloads
 *    use the primary's local readable replica (`ApplicationIntent=ReadOnly`, read scale-out), so the read-only
 *    listener is exported only for a `Geo` secondary. `sql.hybridBenefit` sets `licenseType: BasePrice` on both
 *    (Azure Hybrid Benefit: the owner's own licences with Software Assurance cover the primary's vCores).
 *  - The servers (Entra-only admin, TDE protector, server identity, auditing, Defender for SQL, private endpoint) are
 *    built in `server.ts`, whose header gives the decisions behind them.
 *  - What the primary database and its geo-secondary share (backup retention, compute settings, the read of a deployed
 *    database before it registers) is in `database.ts`; the tier's arguments and their checks in `args.ts`.
 *  - Database-scoped SQL management operations run one at a time: two concurrent PUTs on the same database fail with
 *    ConflictingDatabaseOperation. The database's settings are therefore chained with `dependsOn`
 *    (TDE → masking → PITR → LTR → geo-secondary database → its PITR → its LTR → failover group).
 */
import * as resources from "@pulumi/azure-native/resources";
import * as sql from "@pulumi/azure-native/sql";
import * as pulumi from "@pulumi/pulumi";
import { geoSecondaryType } from "../../lib/config";
import { diagnosticSetting, lockFor, managementLock, roleAssignments, type LockSpec, type Tags } from "../shared";
import { auditArchive, archiveBlobHost, triggerAuditPredicates } from "./auditArchive";
import { validateOltpArgs, type OltpArgs } from "./args";
import { backupRetention, checkedDatabaseName, replicaSettings, serverNameIn, type DatabaseOwner } from "./database";
import { securedServer, type SecuredServer, type ServerOwner } from "./server";
import {
  AUDIT_ACTION_GROUPS,
  COLLATION,
  DATABASE_NAME,
  hyperscaleConflicts,
  hyperscaleRedundancyConflicts,
  ledgerConflicts,
  secondaryTypeConflicts,
  serverlessSettings,
  GIB,
} from "./settings";
import { geoSecondaryConflicts, lowersMaxSize, maxSizeConflicts } from "./space";

export * from "./args";
export * from "./settings";
export * from "./space";
export { triggerAuditPredicates, AUDIT_CONTAINER, type TriggerAuditArchiveArgs } from "./auditArchive";

/**
 * How long the provider waits on the databases: scaling into or within Business Critical copies the data ("typically
 * less than 1 minute per GB", single-database-scale, Latency) and seeding a geo-secondary copies it too, so a prod
 * database of a few hundred GB outlasts a default operation timeout. Two and a half hours each: the geo-secondary's
 * update waits for the primary's, so one `up` can wait twice, and both stay under prod's deploy job (six hours, the
 * most GitHub gives a job on its hosted runners): the provider gives up first and Pulumi records a failed update,
 * rather than GitHub ending the job and leaving the stack locked with operations pending (docs/operations.md, "An `up`
 * that stopped part way"); a scale that takes longer is run by hand, then `up --refresh` (docs/configuration.md).
 */
export const DATABASE_TIMEOUTS = { create: "2h30m", update: "2h30m" } as const;

export class Oltp extends pulumi.ComponentResource {
  public readonly serverName: pulumi.Output<string>;
  public readonly serverId: pulumi.Output<string>;
  /** `<server>.database.windows.net` (resolves to the private endpoint inside the VNet). */
  public readonly serverFqdn: pulumi.Output<string>;
  public readonly databaseName: pulumi.Output<string>;
  public readonly databaseId: pulumi.Output<string>;
  /** Secondary-region server (failover group only). */
  public readonly secondaryServerName?: pulumi.Output<string>;
  /** Resource id of the secondary-region server (failover group only), e.g. for private endpoints to it. */
  public readonly secondaryServerId?: pulumi.Output<string>;
  /**
   * The geo-secondary's resource group, in the secondary region (failover group only): the operations tier watches
   * its health and cost like the platform's groups.
   */
  public readonly secondaryResourceGroup?: { readonly name: pulumi.Output<string>; readonly id: pulumi.Output<string> };
  /** The geo-secondary database (failover group only): the operations tier watches it like the primary. */
  public readonly secondaryDatabaseId?: pulumi.Output<string>;
  /** Read-write listener `<fog>.database.windows.net`: what applications connect to (failover group only). */
  public readonly failoverGroupListenerFqdn?: pulumi.Output<string>;
  /**
   * Read-only listener `<fog>.secondary.database.windows.net`: the readable geo-secondary (failover group with
   * `secondaryType: Geo` only; a standby replica must serve no workload).
   */
  public readonly failoverGroupReadOnlyListenerFqdn?: pulumi.Output<string>;
  /** Connection hint for read-only work on the local read replica (read scale-out only); no secret (Entra auth). */
  public readonly readOnlyEndpoint?: pulumi.Output<string>;
  /**
   * Object id of the servers' identity (the primary user-assigned identity, i.e. the CMK identity): the principal an
   * Entra Privileged Role Administrator grants Directory Readers (or the Graph application permissions
   * User.Read.All, GroupMember.Read.All, Application.Read.All), see the file header.
   */
  public readonly serverIdentityPrincipalId: pulumi.Output<string>;

  private readonly args: OltpArgs;
  private readonly lockSpec: LockSpec;
  private readonly protectData: boolean;
  private readonly tags: Tags;

  constructor(name: string, args: OltpArgs, opts?: pulumi.ComponentResourceOptions) {
    super("payments:oltp:Oltp", name, {}, opts);
    validateOltpArgs(args);
    this.args = args;
    const owner: DatabaseOwner = { args, parent: this };
    const { context, sql: s } = args;
    const cfg = context.config;
    this.protectData = args.protect ?? false;
    this.lockSpec = args.lock ?? lockFor(this.protectData, "the OLTP Azure SQL servers and payments database");
    this.tags = args.tags ?? context.tags({ dataClassification: "restricted", pciScope: "cde", component: "oltp" });
    const protect = this.protectData;
    const rg = args.resourceGroupName;

    // The audit archive (auditArchive.ts): the primary's audit leaves the scorer's trigger batches to a database audit
    // that writes them to an immutable account; every server may reach that account's blob host.
    const archiving = s.archiveTriggerAudit ? args.triggerAuditArchive : undefined;
    const predicates = archiving ? triggerAuditPredicates(archiving.databaseUser, DATABASE_NAME) : undefined;
    const archiveAccountName = context.globalName("storageAccount", args.suffix, "audit");
    const blobHost = archiveAccountName.apply(archiveBlobHost);
    const primary = this.securedServer(
      `${name}-server`,
      cfg.location,
      predicates && { serverPredicate: predicates.server, blobHost },
    );
    // The secondary-region partner (failover group only): its own chain, beside the primary's; created here so the
    // audit archive can name both servers once they exist. It lives in a resource group of its own region: Resource
    // Manager "may be unable to update your resource's metadata and may block your write calls" to resources whose
    // group's region is unavailable (Azure Resource Manager overview, "Resource group location alignment"), and the
    // forced failover, a write to the secondary server, is what a West Europe outage needs (docs/disaster-recovery.md).
    const secondaryGroup = s.failoverGroup
      ? new resources.ResourceGroup(
          `${name}-secondary-rg`,
          {
            resourceGroupName: context.name("resourceGroup", "data", cfg.secondaryLocation),
            location: cfg.secondaryLocation,
            tags: this.tags,
          },
          { parent: this },
        )
      : undefined;
    if (secondaryGroup) this.secondaryResourceGroup = { name: secondaryGroup.name, id: secondaryGroup.id };
    const secondary = secondaryGroup
      ? {
          ...this.securedServer(
            `${name}-secondary`,
            cfg.secondaryLocation,
            predicates && { blobHost },
            secondaryGroup.name,
          ),
          resourceGroupName: secondaryGroup.name,
        }
      : undefined;

    const database = new sql.Database(
      `${name}-db`,
      {
        // Ledger is set when Azure creates the database: a preview of a deployed stack refuses a change to sql.ledger.
        // A lower sql.maxSizeGb is compared with the space the database uses and has allocated (components/oltp/space.ts).
        // The geo-secondary's tier and compute size are compared here too, not only on the secondary: the program's
        // update reaches the primary first (the secondary's source), and it is the primary's update Azure refuses
        // when the secondary is behind (an `up` without a preview, as pulumi/actions runs it, would send it).
        databaseName: checkedDatabaseName(
          owner,
          cfg.location,
          "the database",
          (d, { usage, secondary: geo }) => [
            ...ledgerConflicts(d, s),
            ...hyperscaleConflicts(d, s),
            ...hyperscaleRedundancyConflicts(d, s),
            ...maxSizeConflicts(d, usage, s),
            ...(geo ? geoSecondaryConflicts(geo.deployed, s, geo.where) : []),
          ],
          {
            readsUsage: (d) => lowersMaxSize(d, s),
            ...(secondary
              ? { secondary: { location: cfg.secondaryLocation, resourceGroupName: secondary.resourceGroupName } }
              : {}),
          },
        ),
        serverName: primary.server.name,
        resourceGroupName: rg,
        location: cfg.location,
        ...replicaSettings(args),
        ...serverlessSettings(s),
        maxSizeBytes: s.maxSizeGb * GIB,
        collation: COLLATION,
        catalogCollation: sql.CatalogCollationType.SQL_Latin1_General_CP1_CI_AS,
        // Database-level ledger: irreversible either way (see the file header); ledger protection is per table.
        isLedgerOn: s.ledger,
        tags: this.tags,
      },
      // Created after the protector is set, so the database key is wrapped by the customer-managed key from the start,
      // and after the server's other settings (auditing, Defender, private endpoint), which Azure SQL would refuse
      // to overlap with it ("... is already in progress").
      { parent: this, protect, dependsOn: [primary.settled], customTimeouts: DATABASE_TIMEOUTS },
    );
    const dbScope = { resourceGroupName: rg, serverName: primary.server.name, databaseName: database.name };

    // One SQL management operation at a time on the database (ConflictingDatabaseOperation otherwise): each setting
    // waits for the previous one.
    const tde = new sql.TransparentDataEncryption(
      `${name}-db-tde`,
      { ...dbScope, tdeName: "current", state: sql.TransparentDataEncryptionState.Enabled },
      { parent: this },
    );
    // Masking functions are declared in the DDL (MASKED WITH) and replicate with the database; the database's
    // masking policy is set Enabled here (on the primary only: whether its state also gates the DDL's masks is not
    // documented, so a failover checks the new primary's masks, docs/disaster-recovery.md).
    const masking = new sql.DataMaskingPolicy(
      `${name}-db-masking`,
      { ...dbScope, dataMaskingPolicyName: "Default", dataMaskingState: sql.DataMaskingState.Enabled },
      { parent: this, dependsOn: [tde] },
    );
    let primaryBackups = backupRetention(owner, `${name}-db`, dbScope, masking);
    if (archiving && predicates) {
      const archive = auditArchive(
        `${name}-audit-archive`,
        {
          accountName: archiveAccountName,
          resourceGroupName: rg,
          location: cfg.location,
          retentionDays: s.auditRetentionDays || cfg.logRetentionDays,
          retentionKey: s.auditRetentionDays
            ? "sql.auditRetentionDays"
            : "logRetentionDays (sql.auditRetentionDays is 0)",
          // The servers themselves: the account's instance rules name them once they exist.
          serverIds: [primary, ...(secondary ? [secondary] : [])].map((x) => x.server.id),
          serverIdentityPrincipalId: args.customerManagedKey.identity.principalId,
          storageKey: archiving.storageKey,
          privateEndpoints: args.privateEndpoints,
          diagnosticSettings: args.diagnosticSettings,
          protect,
          lock: this.lockSpec,
          tags: this.tags,
        },
        this,
      );
      // The database's audit of exactly what the server's leaves out, to the archive: a database operation, so in
      // line after the backup policies (the geo-secondary's creation waits for it), once the container's retention
      // is set and the servers' grant on the account has propagated.
      primaryBackups = new sql.ExtendedDatabaseBlobAuditingPolicy(
        `${name}-db-audit-archive`,
        {
          ...dbScope,
          blobAuditingPolicyName: "default",
          state: sql.BlobAuditingPolicyState.Enabled,
          storageEndpoint: archive.storageEndpoint,
          // No storageAccountAccessKey: the server's primary identity writes (the account has no keys).
          isManagedIdentityInUse: true,
          isAzureMonitorTargetEnabled: false,
          retentionDays: s.auditRetentionDays || cfg.logRetentionDays,
          auditActionsAndGroups: [...AUDIT_ACTION_GROUPS],
          predicateExpression: predicates.database,
        },
        { parent: this, dependsOn: [primaryBackups, ...archive.ready] },
      );
      // Then the server audit with its predicate (server.ts `auditAfter`); the geo-secondary's creation waits for it.
      if (!primary.auditAfter) throw new Error("Oltp: the primary server was built without the archive's predicate");
      primaryBackups = primary.auditAfter([primaryBackups]);
    }
    // Azure SQL database logs (and the master database's audit stream) only go to the AzureDiagnostics table.
    const sqlDiagnostics = { ...args.diagnosticSettings, destination: "AzureDiagnostics" as const };
    diagnosticSetting(`${name}-db`, database.id, sqlDiagnostics, this);
    managementLock(`${name}-db`, database.id, this.lockSpec, this, database);

    roleAssignments(`${name}-server`, primary.server.id, args.roleAssignments, this);
    // The same on the geo-secondary's server, alone in its own group: it is the primary after a failover.
    if (secondary) roleAssignments(`${name}-secondary`, secondary.server.id, args.roleAssignments, this);

    this.serverName = primary.server.name;
    this.serverId = primary.server.id;
    this.serverFqdn = primary.server.fullyQualifiedDomainName;
    this.databaseName = database.name;
    this.databaseId = database.id;
    this.serverIdentityPrincipalId = args.customerManagedKey.identity.principalId;
    let endpoint = this.serverFqdn;

    if (secondary) {
      const secondaryType = geoSecondaryType(s);
      // The geo-secondary: same name, same compute and HA settings (it becomes the primary after a failover).
      // Both servers hold the same key and rotate it automatically before replication starts; seeding starts once
      // the primary's settings are done (a conflicting operation otherwise).
      const secondaryDb = new sql.Database(
        `${name}-secondary-db`,
        {
          // Standby or readable is set when Azure creates the secondary and changed through its replication link, not
          // by this PUT: a change to sql.secondaryType is refused with the way to convert it.
          // (Its tier and compute size against the config are the primary's check: the primary's update comes first.)
          databaseName: checkedDatabaseName(
            owner,
            cfg.secondaryLocation,
            "the geo-secondary database",
            (d) => secondaryTypeConflicts(d, secondaryType),
            { resourceGroupName: secondary.resourceGroupName },
          ),
          serverName: secondary.server.name,
          resourceGroupName: secondary.resourceGroupName,
          location: cfg.secondaryLocation,
          // The same Databases PUT as `az sql db replica create --secondary-type Standby` (azure-cli's sql
          // custom.py `_db_create_special`: createMode Secondary, sourceDatabaseId, secondaryType).
          createMode: sql.CreateMode.Secondary,
          secondaryType: sql.SecondaryType[secondaryType],
          sourceDatabaseId: database.id,
          ...replicaSettings(args),
          // A standby replica takes no read-scale routing (the SQL resource provider refuses it with
          // InvalidStandbyGeoReadScale, Microsoft's error list for database operations); a readable one mirrors the
          // primary.
          ...(secondaryType === "Standby" ? { readScale: sql.DatabaseReadScale.Disabled } : {}),
          ...serverlessSettings(s),
          tags: this.tags,
        },
        {
          parent: this,
          protect,
          dependsOn: [primary.settled, secondary.settled, primaryBackups],
          customTimeouts: DATABASE_TIMEOUTS,
        },
      );
      // The same PITR and LTR policies as the primary, so backups continue with the same retention after a failover.
      const secondaryBackups = backupRetention(
        owner,
        `${name}-secondary-db`,
        {
          resourceGroupName: secondary.resourceGroupName,
          serverName: secondary.server.name,
          databaseName: secondaryDb.name,
        },
        secondaryDb,
      );
      diagnosticSetting(`${name}-secondary-db`, secondaryDb.id, sqlDiagnostics, this);
      managementLock(`${name}-secondary-db`, secondaryDb.id, this.lockSpec, this, secondaryDb);

      const failoverGroup = new sql.FailoverGroup(
        `${name}-fog`,
        {
          // The listener name is a global DNS name, hence the stack's random suffix.
          failoverGroupName: context.globalName("sqlFailoverGroup", args.suffix),
          resourceGroupName: rg,
          serverName: primary.server.name,
          partnerServers: [{ id: secondary.server.id }],
          databases: [database.id],
          // Customer-managed (`Manual`), Microsoft's recommended policy (failover-group-sql-db, "Failover policy":
          // "Customer managed (recommended)"). A Microsoft-managed failover after its grace period would move the
          // primary, with up to the RPO lost, to North Europe, where nothing of the platform reaches it (no network
          // there; its TDE protector in the West Europe vault): the incident commander decides, and only once a client
          // path and the key are there (docs/disaster-recovery.md).
          readWriteEndpoint: { failoverPolicy: sql.ReadWriteEndpointFailoverPolicy.Manual },
          // Read-only traffic never falls back onto the primary: reports must not load the payment path.
          readOnlyEndpoint: { failoverPolicy: sql.ReadOnlyEndpointFailoverPolicy.Disabled },
          // The same type as the database (standby rights are per database, and the group's databases follow it).
          secondaryType: sql.FailoverGroupDatabasesSecondaryType[secondaryType],
          tags: this.tags,
        },
        { parent: this, dependsOn: [secondaryDb, secondaryBackups] },
      );
      this.secondaryServerName = secondary.server.name;
      this.secondaryServerId = secondary.server.id;
      this.secondaryDatabaseId = secondaryDb.id;
      this.failoverGroupListenerFqdn = pulumi.interpolate`${failoverGroup.name}.database.windows.net`;
      if (secondaryType === "Geo") {
        this.failoverGroupReadOnlyListenerFqdn = pulumi.interpolate`${failoverGroup.name}.secondary.database.windows.net`;
      }
      endpoint = this.failoverGroupListenerFqdn;
    }

    if (s.readScaleOut) {
      // ApplicationIntent=ReadOnly on the read-write endpoint routes to the local readable replica (BC/HS).
      this.readOnlyEndpoint = pulumi.interpolate`Server=tcp:${endpoint},1433;Database=${database.name};ApplicationIntent=ReadOnly;Encrypt=True;Authentication=Active Directory Default`;
    }

    this.registerOutputs({
      serverName: this.serverName,
      serverId: this.serverId,
      serverFqdn: this.serverFqdn,
      databaseName: this.databaseName,
      databaseId: this.databaseId,
      secondaryServerName: this.secondaryServerName,
      failoverGroupListenerFqdn: this.failoverGroupListenerFqdn,
      failoverGroupReadOnlyListenerFqdn: this.failoverGroupReadOnlyListenerFqdn,
      readOnlyEndpoint: this.readOnlyEndpoint,
      serverIdentityPrincipalId: this.serverIdentityPrincipalId,
    });
  }

  /** A logical server in `location` with everything a server in the cardholder-data environment needs (server.ts). */
  private securedServer(
    prefix: string,
    location: string,
    archive?: ServerOwner["archive"],
    resourceGroupName?: pulumi.Input<string>,
  ): SecuredServer {
    return securedServer(prefix, location, {
      ...(archive ? { archive } : {}),
      ...(resourceGroupName ? { resourceGroupName } : {}),
      args: this.args,
      parent: this,
      serverName: serverNameIn(this.args, location),
      tags: this.tags,
      protect: this.protectData,
      lockSpec: this.lockSpec,
    });
  }
}
