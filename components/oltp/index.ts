/**
 * OLTP tier: the payments processor's operational database on Azure SQL Database. One logical server (and, with
 * `sql.failoverGroup`, a partner server in the secondary region behind an auto-failover group), reached only through
 * private endpoints, Microsoft Entra-only authentication, TDE with the platform's customer-managed key and automatic
 * key rotation, server auditing to the central Log Analytics workspace, Microsoft Defender for SQL alerts, PITR/LTR
 * backups on the primary and the geo-secondary, dynamic data masking enforced, diagnostics, and (prod) `protect` plus
 * a CanNotDelete lock on every server and database.
 *
 * Decisions a reader should know before changing anything here:
 *  - Entra admin and Entra-only authentication are set once, in `administrators` at server creation, and then
 *    ignored (`ignoreChanges`): changing `administrators` replaces the server (azure-native #4096). There is no
 *    ServerAzureADOnlyAuthentication / ServerAzureADAdministrator resource on purpose: azure-native refuses to create
 *    a sub-resource that already exists in a non-default state ("cannot create already existing subresource"), and a
 *    server created with an Entra-only admin already has both. Change the admin later by importing
 *    `Microsoft.Sql/servers/<server>/administrators/ActiveDirectory` into a ServerAzureADAdministrator.
 *  - TDE protector: `keyId` registers the key's current version at creation (Azure names that server key
 *    `<vault>_<key>_<version>`), and the EncryptionProtector (a singleton, so azure-native may PUT it) points at that
 *    server key with `autoRotationEnabled`, so the server follows every new version Key Vault's rotation policy
 *    creates: the versionless key's behaviour, through the documented mechanism. The versionless URI itself is not
 *    used: API 2023-08-01 (azure-native 3.28) documents server keys as versioned only, and the service's versionless
 *    support is recent and its server-key naming undocumented. No explicit ServerKey: the server already registered
 *    it, and azure-native refuses to create a deletable sub-resource that exists. `keyId` and the protector's key are
 *    in `ignoreChanges`, which keeps them at their value in state: deploys run `up --refresh` so that value follows
 *    rotation (an update of the server would otherwise send the first key version back, refused once it expires).
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
 *  - Database-scoped SQL management operations run one at a time: two concurrent PUTs on the same database fail with
 *    ConflictingDatabaseOperation. The database's settings are therefore chained with `dependsOn`
 *    (TDE → masking → PITR → LTR → geo-secondary database → its PITR → its LTR → failover group).
 *  - Vulnerability assessment is not declared here. It comes with the subscription's "Defender for Azure SQL" plan
 *    (`Microsoft.Security/pricings/SqlServers`, Standard), a subscription-wide singleton that only one owner sets:
 *    the prod stack's subscription governance (`operations.subscriptionGovernance`, components/operations/
 *    governance.ts), or the security team where another owner holds it. With the plan on, Defender for Cloud
 *    "automatically enables Advanced Threat Protection and vulnerability assessment with the express configuration
 *    for all Azure SQL databases in the selected subscription" (defender-for-cloud/sql-azure-vulnerability-assessment-
 *    enable), so a `sql.SqlVulnerabilityAssessmentsSetting` would find an existing, non-default sub-resource and
 *    azure-native refuses to create it ("cannot create already existing subresource"). The per-server
 *    ServerSecurityAlertPolicy (a singleton, so azure-native may PUT it) stays: it pins the alert recipients and
 *    keeps every alert on. `sql.ServerAdvancedThreatProtectionSetting` (servers/advancedThreatProtectionSettings)
 *    is not in azure-native 3.28 (API 2023-08-01), so it is not an option here.
 *  - Server identity: Azure SQL uses its *primary* identity both for the key and for Microsoft Graph. TDE "uses the
 *    primary user-assigned managed identity set on the server for key vault access", and with a user-assigned
 *    identity for TDE you must "set it as the primary identity"; a system-assigned identity serves TDE only when "no
 *    user-assigned managed identities" are assigned (transparent-data-encryption-byok-identity). For Graph lookups
 *    (`CREATE USER … FROM EXTERNAL PROVIDER` run by a service principal or managed identity) "the SQL engine tries to
 *    use its server identity, which is the primary managed identity assigned" (authentication-aad-service-
 *    principal); a system-assigned identity is the primary only when `primaryUserAssignedIdentityId` is empty. So
 *    with the CMK identity as primary (required: the key is checked at creation, and a system-assigned identity
 *    cannot be granted the key before the server exists), "SystemAssigned,UserAssigned" would only add a principal
 *    that Graph lookups never use: granting it Directory Readers would fix nothing. The CMK identity
 *    (`id-<workload>-<env>-<region>-cmk-sql`, used by the SQL servers only) is therefore the server identity of
 *    both servers and is the principal that needs Graph read: a Privileged Role Administrator grants it, once per
 *    environment and ideally before the first deployment, the Directory Readers role or the Graph application
 *    permissions User.Read.All, GroupMember.Read.All and Application.Read.All ("once the permissions are granted to
 *    the UMI, they're enabled for all servers … created with the UMI assigned as a server identity",
 *    authentication-azure-ad-user-assigned-managed-identity). Documented, not automated: azuread's
 *    DirectoryRoleAssignment / AppRoleAssignment would need the deployer to hold Privileged Role Administrator or
 *    AppRoleAssignment.ReadWrite.All, a path to any tenant permission that a PCI deployment principal must not
 *    have. `serverIdentityPrincipalId` names the principal to grant. Entra *users* running CREATE USER need none of
 *    this (SQL then queries Graph with their delegated permissions). Changing `identity` later replaces the server
 *    (azure-native #1304): this is a creation-time decision.
 */
import * as sql from "@pulumi/azure-native/sql";
import * as pulumi from "@pulumi/pulumi";
import { LICENSED_SKUS, STANDBY_SKUS, geoSecondaryType, type SqlConfig } from "../../lib/config";
import {
  afterCreationOnlyCheck,
  deployedOrNone,
  diagnosticSetting,
  lockFor,
  managementLock,
  privateEndpoint,
  roleAssignments,
  type CreationOnlyConflict,
  type DataServiceArgs,
  type LockSpec,
  type Tags,
} from "../shared";
import {
  AUDIT_ACTION_GROUPS,
  COLLATION,
  DATABASE_NAME,
  DIFF_BACKUP_HOURS,
  FAILOVER_GRACE_MINUTES,
  MASTER_AUDIT_CATEGORIES,
  databaseSku,
  isServerless,
  ledgerConflicts,
  secondaryTypeConflicts,
  serverKeyName,
  serverlessSettings,
  GIB,
  type DeployedSqlDatabase,
} from "./settings";

export * from "./settings";

/** The Microsoft Entra group that administers the servers. */
export interface EntraAdministrator {
  /** Object id of the group (the server admin's `sid`). */
  readonly objectId: pulumi.Input<string>;
  /** Display name of the group (the server admin's `login`). */
  readonly login: pulumi.Input<string>;
  /** Entra tenant of the group. */
  readonly tenantId: pulumi.Input<string>;
}

export interface OltpArgs extends DataServiceArgs {
  /** The validated `sql` section of the stack config (sizing, backups, failover group). */
  readonly sql: SqlConfig;
  /** Entra group set as server administrator (Entra-only authentication; no SQL logins). */
  readonly entraAdmin: EntraAdministrator;
  /** Recipients of Defender for SQL alerts; default the stack's `alertEmails`. */
  readonly securityAlertEmails?: readonly string[];
}

/** Checks the arguments before anything is registered; throws naming the argument. */
export function validateOltpArgs(args: OltpArgs): void {
  const s = args.sql;
  const problems: string[] = [];
  // Serverless auto-pause is not supported with geo-replication/failover groups or long-term retention.
  if (isServerless(s) && (s.failoverGroup || s.longTermRetention) && s.autoPauseDelayMinutes !== -1) {
    problems.push(
      "sql.autoPauseDelayMinutes must be -1 (auto-pause off) on a serverless database with a failover group or long-term retention",
    );
  }
  if (s.secondaryType === "Standby" && !STANDBY_SKUS.includes(s.sku.name)) {
    problems.push(
      `sql.secondaryType Standby needs a provisioned ${STANDBY_SKUS.join(" or ")} database (got ${s.sku.name}); use Geo`,
    );
  }
  if (s.hybridBenefit && !LICENSED_SKUS.includes(s.sku.name)) {
    problems.push(
      `sql.hybridBenefit must be false on ${s.sku.name}: Azure Hybrid Benefit applies to ${LICENSED_SKUS.join(" or ")} only`,
    );
  }
  if (args.lock?.kind === "ReadOnly") {
    problems.push(
      "lock: a ReadOnly lock blocks SQL management operations (scaling, failover, auditing); use CanNotDelete",
    );
  }
  const emails = args.securityAlertEmails ?? args.context.config.alertEmails;
  if (emails.length === 0) problems.push("securityAlertEmails: Defender for SQL alerts need at least one recipient");
  if (typeof args.entraAdmin.login === "string" && args.entraAdmin.login.trim() === "") {
    problems.push("entraAdmin.login must name the Entra group");
  }
  if (problems.length > 0) throw new Error(`Oltp: ${problems.join("; ")}`);
}

/** A logical server and the security resources every server gets. */
interface SecuredServer {
  readonly server: sql.Server;
  readonly protector: sql.EncryptionProtector;
  /** The last of the server's own settings (its private endpoint): what a database on it waits for. */
  readonly settled: pulumi.Resource;
}

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
    const { context, sql: s } = args;
    const cfg = context.config;
    this.protectData = args.protect ?? false;
    this.lockSpec = args.lock ?? lockFor(this.protectData, "the OLTP Azure SQL servers and payments database");
    this.tags = args.tags ?? context.tags({ dataClassification: "restricted", pciScope: "cde", component: "oltp" });
    const protect = this.protectData;
    const rg = args.resourceGroupName;

    const primary = this.securedServer(`${name}-server`, cfg.location);

    const database = new sql.Database(
      `${name}-db`,
      {
        // Ledger is set when Azure creates the database: a preview of a deployed stack refuses a change to sql.ledger.
        databaseName: this.checkedDatabaseName(cfg.location, "the database", (d) => ledgerConflicts(d, s)),
        serverName: primary.server.name,
        resourceGroupName: rg,
        location: cfg.location,
        ...this.replicaSettings(),
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
      { parent: this, protect, dependsOn: [primary.settled] },
    );
    const dbScope = { resourceGroupName: rg, serverName: primary.server.name, databaseName: database.name };

    // One SQL management operation at a time on the database (ConflictingDatabaseOperation otherwise): each setting
    // waits for the previous one.
    const tde = new sql.TransparentDataEncryption(
      `${name}-db-tde`,
      { ...dbScope, tdeName: "current", state: sql.TransparentDataEncryptionState.Enabled },
      { parent: this },
    );
    // Masking functions are declared in the DDL (MASKED WITH); the policy being Enabled is what enforces them.
    const masking = new sql.DataMaskingPolicy(
      `${name}-db-masking`,
      { ...dbScope, dataMaskingPolicyName: "Default", dataMaskingState: sql.DataMaskingState.Enabled },
      { parent: this, dependsOn: [tde] },
    );
    const primaryBackups = this.backupRetention(`${name}-db`, dbScope, masking);
    // Azure SQL database logs (and the master database's audit stream) only go to the AzureDiagnostics table.
    const sqlDiagnostics = { ...args.diagnosticSettings, destination: "AzureDiagnostics" as const };
    diagnosticSetting(`${name}-db`, database.id, sqlDiagnostics, this);
    managementLock(`${name}-db`, database.id, this.lockSpec, this, database);

    roleAssignments(`${name}-server`, primary.server.id, args.roleAssignments, this);

    this.serverName = primary.server.name;
    this.serverId = primary.server.id;
    this.serverFqdn = primary.server.fullyQualifiedDomainName;
    this.databaseName = database.name;
    this.databaseId = database.id;
    this.serverIdentityPrincipalId = args.customerManagedKey.identity.principalId;
    let endpoint = this.serverFqdn;

    if (s.failoverGroup) {
      const secondaryType = geoSecondaryType(s);
      const secondary = this.securedServer(`${name}-secondary`, cfg.secondaryLocation);
      // The geo-secondary: same name, same compute and HA settings (it becomes the primary after a failover).
      // Both servers hold the same key and rotate it automatically before replication starts; seeding starts once
      // the primary's settings are done (a conflicting operation otherwise).
      const secondaryDb = new sql.Database(
        `${name}-secondary-db`,
        {
          // Standby or readable is set when Azure creates the secondary and changed through its replication link, not
          // by this PUT: a change to sql.secondaryType is refused with the way to convert it.
          databaseName: this.checkedDatabaseName(cfg.secondaryLocation, "the geo-secondary database", (d) =>
            secondaryTypeConflicts(d, secondaryType),
          ),
          serverName: secondary.server.name,
          resourceGroupName: rg,
          location: cfg.secondaryLocation,
          // The same Databases PUT as `az sql db replica create --secondary-type Standby` (azure-cli's sql
          // custom.py `_db_create_special`: createMode Secondary, sourceDatabaseId, secondaryType).
          createMode: sql.CreateMode.Secondary,
          secondaryType: sql.SecondaryType[secondaryType],
          sourceDatabaseId: database.id,
          ...this.replicaSettings(),
          // A standby replica takes no read-scale routing (the SQL resource provider refuses it with
          // InvalidStandbyGeoReadScale, Microsoft's error list for database operations); a readable one mirrors the
          // primary.
          ...(secondaryType === "Standby" ? { readScale: sql.DatabaseReadScale.Disabled } : {}),
          ...serverlessSettings(s),
          tags: this.tags,
        },
        { parent: this, protect, dependsOn: [primary.settled, secondary.settled, primaryBackups] },
      );
      // The same PITR and LTR policies as the primary, so backups continue with the same retention after a failover.
      const secondaryBackups = this.backupRetention(
        `${name}-secondary-db`,
        { resourceGroupName: rg, serverName: secondary.server.name, databaseName: secondaryDb.name },
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
          readWriteEndpoint: {
            failoverPolicy: sql.ReadWriteEndpointFailoverPolicy.Automatic,
            failoverWithDataLossGracePeriodMinutes: FAILOVER_GRACE_MINUTES,
          },
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

  /**
   * PITR retention, then (when configured) long-term retention, on one database, after `after`; returns the last
   * policy, for the next operation on the database to wait for. The same values on the primary and the geo-secondary.
   */
  private backupRetention(
    prefix: string,
    dbScope: {
      resourceGroupName: pulumi.Input<string>;
      serverName: pulumi.Input<string>;
      databaseName: pulumi.Input<string>;
    },
    after: pulumi.Resource,
  ): pulumi.Resource {
    const s = this.args.sql;
    const pitr = new sql.BackupShortTermRetentionPolicy(
      `${prefix}-pitr`,
      {
        ...dbScope,
        policyName: "default",
        retentionDays: s.pitrRetentionDays,
        ...(s.sku.name === "HS_Gen5" ? {} : { diffBackupIntervalInHours: DIFF_BACKUP_HOURS }),
      },
      { parent: this, dependsOn: [after] },
    );
    if (!s.longTermRetention) return pitr;
    return new sql.LongTermRetentionPolicy(
      `${prefix}-ltr`,
      {
        ...dbScope,
        policyName: "default",
        weeklyRetention: s.longTermRetention.weekly,
        monthlyRetention: s.longTermRetention.monthly,
        yearlyRetention: s.longTermRetention.yearly,
        weekOfYear: s.longTermRetention.weekOfYear,
      },
      { parent: this, dependsOn: [pitr] },
    );
  }

  /** Compute and availability settings shared by the primary database and its geo-secondary. */
  private replicaSettings() {
    const s = this.args.sql;
    return {
      sku: databaseSku(s),
      zoneRedundant: s.zoneRedundant,
      readScale: s.readScaleOut ? sql.DatabaseReadScale.Enabled : sql.DatabaseReadScale.Disabled,
      requestedBackupStorageRedundancy: sql.BackupStorageRedundancy[s.backupStorageRedundancy],
      // Explicit both ways where a licence is billed (turning the benefit off must reach Azure); serverless and
      // Hyperscale have none.
      ...(LICENSED_SKUS.includes(s.sku.name)
        ? {
            licenseType: s.hybridBenefit ? sql.DatabaseLicenseType.BasePrice : sql.DatabaseLicenseType.LicenseIncluded,
          }
        : {}),
    };
  }

  /**
   * The database's name (the same on both servers, as geo-replication requires) once a preview or `up` of a deployed
   * stack has read the database on the server in `location` and found its creation-only settings as the stack config
   * has them (afterCreationOnlyCheck): the database registers after the check. The server's name is computed, not
   * taken from the server, so that the read does not wait for an update of the server.
   */
  private checkedDatabaseName(
    location: string,
    what: string,
    conflicts: (deployed: DeployedSqlDatabase) => CreationOnlyConflict[],
  ): pulumi.Output<string> {
    return afterCreationOnlyCheck(pulumi.all([this.args.resourceGroupName, this.serverNameIn(location)]), {
      resource: ([, server]) => `${what} '${DATABASE_NAME}' on the server '${server}'`,
      read: ([resourceGroupName, server]) =>
        deployedOrNone(() =>
          sql.getDatabase({ resourceGroupName, serverName: server, databaseName: DATABASE_NAME }, { parent: this }),
        ),
      conflicts,
    }).apply(() => DATABASE_NAME);
  }

  /** The logical server's name in `location` (globally unique: the stack's suffix appended). */
  private serverNameIn(location: string): pulumi.Output<string> {
    return this.args.context.globalName("sqlServer", this.args.suffix, undefined, location);
  }

  /**
   * A logical server in `location` with everything a server in the cardholder-data environment needs: Entra-only
   * admin, CMK protector with auto-rotation, auditing to Log Analytics, Defender for SQL alerts, private endpoint,
   * lock. Children are named `${prefix}-<role>`.
   */
  private securedServer(prefix: string, location: string): SecuredServer {
    const { context, customerManagedKey: cmk, entraAdmin } = this.args;
    const rg = this.args.resourceGroupName;
    // Azure SQL checks key access when the server is created: wait for the identity's grant on the key.
    const dependsOn = [cmk.accessGrant];

    const server = new sql.Server(
      prefix,
      {
        serverName: this.serverNameIn(location),
        resourceGroupName: rg,
        location,
        version: "12.0",
        // Entra-only: no administratorLogin/administratorLoginPassword, so no SQL authentication at all.
        administrators: {
          administratorType: sql.AdministratorType.ActiveDirectory,
          principalType: sql.PrincipalType.Group,
          azureADOnlyAuthentication: true,
          login: entraAdmin.login,
          sid: entraAdmin.objectId,
          tenantId: entraAdmin.tenantId,
        },
        // The CMK identity reaches the key (Key Vault Crypto Service Encryption User on the key). The same identity
        // and key serve the secondary: geo-replication with CMK needs the same key vault key on both servers. As the
        // primary identity it is also the server identity for Microsoft Graph lookups; no system-assigned identity,
        // which would never be used (see the file header). Create-only: a change replaces the server (#1304).
        identity: { type: sql.IdentityType.UserAssigned, userAssignedIdentities: [cmk.identity.id] },
        primaryUserAssignedIdentityId: cmk.identity.id,
        keyId: cmk.keyUriWithVersion,
        minimalTlsVersion: sql.MinimalTlsVersion.MinimalTlsVersion_1_2,
        publicNetworkAccess: sql.ServerPublicNetworkAccessFlag.Disabled,
        // No outbound connections (auditing goes to Azure Monitor, not to a storage account).
        restrictOutboundNetworkAccess: sql.ServerNetworkAccessFlag.Enabled,
        tags: this.tags,
      },
      {
        parent: this,
        protect: this.protectData,
        dependsOn,
        // `administrators` is create-only (a change would replace the server, azure-native #4096); `keyId` moves to
        // each new key version through auto-rotation. An ignored property keeps its value from state, which only a
        // refresh updates: deploy.yml runs `up --refresh`, or the next update of the server would send the creation's
        // key version back (docs/operations.md, "Updates refresh first").
        ignoreChanges: ["administrators", "keyId"],
      },
    );
    const scope = { resourceGroupName: rg, serverName: server.name };

    const protector = new sql.EncryptionProtector(
      `${prefix}-protector`,
      {
        ...scope,
        encryptionProtectorName: "current",
        serverKeyType: sql.ServerKeyType.AzureKeyVault,
        serverKeyName: cmk.keyUriWithVersion.apply(serverKeyName),
        autoRotationEnabled: true,
      },
      // Auto-rotation changes the protector's server key in Azure; the program must not roll it back.
      { parent: this, ignoreChanges: ["serverKeyName"] },
    );

    // Server auditing to Log Analytics: the policy sends events to Azure Monitor, and the diagnostic setting on the
    // master database (the server-level audit stream) routes the two categories Microsoft's auditing docs name,
    // SQLSecurityAuditEvents and DevOpsOperationsAudit, by name (not through a category group whose content could
    // change) to the central workspace, whose retention (365 days in prod) applies. The API docs of
    // isAzureMonitorTargetEnabled and isDevopsAuditEnabled (azure-native sql/extendedServerBlobAuditingPolicy.d.ts)
    // ask for a diagnostic setting with 'SQLSecurityAuditEvents' and with 'DevOpsOperationsAudit' on master.
    // The server's own settings go one at a time (protector → auditing → threat detection → private endpoint), as
    // the database's do: Azure SQL refuses overlapping updates of one server's settings ("Set server blob auditing
    // is already in progress", Azure/azure-quickstart-templates#5759), and the order costs seconds.
    const audit = new sql.ExtendedServerBlobAuditingPolicy(
      `${prefix}-audit`,
      {
        ...scope,
        blobAuditingPolicyName: "default",
        state: sql.BlobAuditingPolicyState.Enabled,
        isAzureMonitorTargetEnabled: true,
        // Microsoft support engineers' operations on the server are audited too (third-party access).
        isDevopsAuditEnabled: true,
        auditActionsAndGroups: [...AUDIT_ACTION_GROUPS],
      },
      { parent: this, dependsOn: [protector] },
    );
    diagnosticSetting(
      `${prefix}-master`,
      pulumi.interpolate`${server.id}/databases/master`,
      // Like every SQL database's logs, master's audit events only go to the AzureDiagnostics table.
      {
        workspaceId: this.args.diagnosticSettings.workspaceId,
        logCategories: [...MASTER_AUDIT_CATEGORIES],
        metrics: false,
        destination: "AzureDiagnostics",
      },
      this,
    );

    // Microsoft Defender for SQL: every threat detection alert on, to the on-call list and the subscription admins.
    // Vulnerability assessment (express) comes with the subscription's Defender for Azure SQL plan, set by the prod
    // stack's subscription governance or the security team (see the file header): no SqlVulnerabilityAssessmentsSetting
    // here.
    const threatDetection = new sql.ServerSecurityAlertPolicy(
      `${prefix}-defender`,
      {
        ...scope,
        securityAlertPolicyName: "Default",
        state: sql.SecurityAlertsPolicyState.Enabled,
        disabledAlerts: [],
        emailAccountAdmins: true,
        emailAddresses: [...(this.args.securityAlertEmails ?? context.config.alertEmails)],
      },
      { parent: this, dependsOn: [audit] },
    );
    const { endpoint } = privateEndpoint(
      prefix,
      {
        service: "sqlServer",
        targetId: server.id,
        targetName: server.name,
        target: this.args.privateEndpoints,
        tags: this.tags,
        dependsOn: [threatDetection],
      },
      this,
    );
    managementLock(prefix, server.id, this.lockSpec, this, server);
    return { server, protector, settled: endpoint };
  }
}
