/**
 * The OLTP tier's logical servers (the primary and, with `sql.failoverGroup`, the secondary-region partner): each with
 * an Entra-only admin, the customer-managed TDE protector with auto-rotation, auditing to Log Analytics, Defender for
 * SQL alerts, a private endpoint and (prod) a lock. The databases are in `index.ts`.
 *
 * Decisions a reader should know before changing anything here:
 *  - Entra admin and Entra-only authentication are set once, in `administrators` at server creation, and then
 *    ignored (`ignoreChanges`): changing `administrators` replaces the server (azure-native #4096). There is no
 *    ServerAzureADOnlyAuthentication / ServerAzureADAdministrator resource on purpose: azure-native refuses to create
 *    a sub-resource that already exists in a non-default state ("cannot create already existing subresource"), and a
 *    server created with an Entra-only admin already has both. On a deployed stack, a preview reads each server's
 *    admin and refuses a `databaseAdminsGroupId` that names another group (settings.ts `adminConflicts`): the
 *    operator makes the new group the admin first (`az sql server ad-admin create`), then runs again.
 *  - TDE protector: `keyId` registers the key's current version at creation (Azure names that server key
 *    `<vault>_<key>_<version>`), and the EncryptionProtector (a singleton, so azure-native may PUT it) points at that
 *    server key with `autoRotationEnabled`, so the server follows every new version Key Vault's rotation policy
 *    creates: the versionless key's behaviour, through the documented mechanism. The versionless URI itself is not
 *    used: API 2023-08-01 (azure-native 3.28) documents server keys as versioned only, and the service's versionless
 *    support is recent and its server-key naming undocumented. No explicit ServerKey: the server already registered
 *    it, and azure-native refuses to create a deletable sub-resource that exists. `keyId` and the protector's key are
 *    in `ignoreChanges`, which keeps them at their value in state: deploys run `up --refresh` so that value follows
 *    rotation (an update of the server would otherwise send the first key version back, refused once it expires).
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
 *    this (SQL then queries Graph with their delegated permissions). The identity is chosen at creation (the key
 *    is read with it from the first PUT); API 2023-08-01 takes a change of `identity` as an update (its spec marks
 *    only `administrators` create-only; azure-native #1304 concerned 2020-11-01-preview, Azure/azure-rest-api-specs#16803).
 */
import * as sql from "@pulumi/azure-native/sql";
import * as pulumi from "@pulumi/pulumi";
import {
  afterCreationOnlyCheck,
  deployedOrNone,
  diagnosticSetting,
  managementLock,
  privateEndpoint,
  type LockSpec,
  type Tags,
} from "../shared";
import { adminConflicts, AUDIT_ACTION_GROUPS, MASTER_AUDIT_CATEGORIES, serverKeyName } from "./settings";
import type { OltpArgs } from "./args";

/** A logical server and the security resources every server gets. */
export interface SecuredServer {
  readonly server: sql.Server;
  readonly protector: sql.EncryptionProtector;
  /** The last of the server's own settings (its private endpoint): what a database on it waits for. */
  readonly settled: pulumi.Resource;
  /**
   * With the audit archive's predicate: creates the server audit after `dependsOn` (the database audit that keeps
   * what the predicate leaves out) and returns it; the audit is not in the server's own chain then.
   */
  readonly auditAfter?: (dependsOn: pulumi.Resource[]) => sql.ExtendedServerBlobAuditingPolicy;
}

/** What a server takes from the OLTP component that owns it. */
export interface ServerOwner {
  readonly args: OltpArgs;
  /** The component: parent of every resource created here. */
  readonly parent: pulumi.Resource;
  /** The server's globally unique name. */
  readonly serverName: pulumi.Input<string>;
  readonly tags: Tags;
  /** Pulumi `protect` on the server (prod). */
  readonly protect: boolean;
  readonly lockSpec: LockSpec;
  /**
   * The audit archive (auditArchive.ts): the server audit's predicate (the primary only) and the storage host the
   * server may write to (every server: its outbound firewall rule).
   */
  readonly archive?: { readonly serverPredicate?: string; readonly blobHost: pulumi.Input<string> };
  /** The server's resource group, when not the tier's (the geo-secondary's, in its own region). */
  readonly resourceGroupName?: pulumi.Input<string>;
}

/**
 * A logical server in `location` with everything a server in the cardholder-data environment needs: Entra-only
 * admin, CMK protector with auto-rotation, auditing to Log Analytics, Defender for SQL alerts, private endpoint,
 * lock. Children are named `${prefix}-<role>`.
 */
export function securedServer(prefix: string, location: string, owner: ServerOwner): SecuredServer {
  const { context, customerManagedKey: cmk, entraAdmin } = owner.args;
  const rg = owner.resourceGroupName ?? owner.args.resourceGroupName;
  // Azure SQL checks key access when the server is created: wait for the identity's grant on the key.
  const dependsOn = [cmk.accessGrant];

  // A preview or `up` of a deployed stack reads the server's Entra admin first and refuses a different group
  // (adminConflicts): `administrators` is ignored after creation, so nothing else would change it. The check holds the
  // admin's `sid` (ignored, so an unknown one in a preview shows no change), not the server's name, a part of its
  // resource path: an unknown name would show the server replaced.
  const adminSid = afterCreationOnlyCheck(pulumi.all([rg, owner.serverName, entraAdmin.objectId]), {
    resource: ([, name]) => `the SQL server '${name}'`,
    read: ([resourceGroupName, name]) =>
      deployedOrNone(() => sql.getServer({ resourceGroupName, serverName: name }, { parent: owner.parent })),
    conflicts: (deployed, [, name, wanted]) => adminConflicts(deployed, wanted, name),
  }).apply(([, , sid]) => sid);

  const server = new sql.Server(
    prefix,
    {
      serverName: owner.serverName,
      resourceGroupName: rg,
      location,
      version: "12.0",
      // Entra-only: no administratorLogin/administratorLoginPassword, so no SQL authentication at all.
      administrators: {
        administratorType: sql.AdministratorType.ActiveDirectory,
        principalType: sql.PrincipalType.Group,
        azureADOnlyAuthentication: true,
        login: entraAdmin.login,
        sid: adminSid,
        tenantId: entraAdmin.tenantId,
      },
      // The CMK identity reaches the key (Key Vault Crypto Service Encryption User on the key). The same identity
      // and key serve the secondary: geo-replication with CMK needs the same key vault key on both servers. As the
      // primary identity it is also the server identity for Microsoft Graph lookups; no system-assigned identity,
      // which would never be used (see the file header).
      identity: { type: sql.IdentityType.UserAssigned, userAssignedIdentities: [cmk.identity.id] },
      primaryUserAssignedIdentityId: cmk.identity.id,
      keyId: cmk.keyUriWithVersion,
      minimalTlsVersion: sql.MinimalTlsVersion.MinimalTlsVersion_1_2,
      publicNetworkAccess: sql.ServerPublicNetworkAccessFlag.Disabled,
      // No outbound connections but the audit archive's, when there is one (an outbound firewall rule below).
      restrictOutboundNetworkAccess: sql.ServerNetworkAccessFlag.Enabled,
      tags: owner.tags,
    },
    {
      parent: owner.parent,
      protect: owner.protect,
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
    { parent: owner.parent, ignoreChanges: ["serverKeyName"] },
  );

  // The audit archive's blob host, the one destination the server may reach (`restrictOutboundNetworkAccess`): a
  // server setting, so in line between the protector and the audit.
  const outbound = owner.archive
    ? new sql.OutboundFirewallRule(
        `${prefix}-outbound-audit-archive`,
        { ...scope, outboundRuleFqdn: owner.archive.blobHost },
        { parent: owner.parent, dependsOn: [protector] },
      )
    : undefined;

  // Server auditing to Log Analytics: the policy sends events to Azure Monitor, and the diagnostic setting on the
  // master database (the server-level audit stream) routes the two categories Microsoft's auditing docs name,
  // SQLSecurityAuditEvents and DevOpsOperationsAudit, by name (not through a category group whose content could
  // change) to the central workspace, whose retention (365 days in prod) applies. The API docs of
  // isAzureMonitorTargetEnabled and isDevopsAuditEnabled (azure-native sql/extendedServerBlobAuditingPolicy.d.ts)
  // ask for a diagnostic setting with 'SQLSecurityAuditEvents' and with 'DevOpsOperationsAudit' on master.
  // The server's own settings go one at a time (protector → auditing → threat detection → private endpoint), as
  // the database's do: Azure SQL refuses overlapping updates of one server's settings ("Set server blob auditing
  // is already in progress", Azure/azure-quickstart-templates#5759), and the order costs seconds.
  const serverAudit = (predicate: string | undefined, dependsOn: pulumi.Resource[]) =>
    new sql.ExtendedServerBlobAuditingPolicy(
      `${prefix}-audit`,
      {
        ...scope,
        blobAuditingPolicyName: "default",
        state: sql.BlobAuditingPolicyState.Enabled,
        isAzureMonitorTargetEnabled: true,
        // Microsoft support engineers' operations on the server are audited too (third-party access).
        isDevopsAuditEnabled: true,
        auditActionsAndGroups: [...AUDIT_ACTION_GROUPS],
        // With the archive, the primary's audit leaves out the SQL trigger's batches, which the database audit keeps.
        ...(predicate ? { predicateExpression: predicate } : {}),
      },
      { parent: owner.parent, dependsOn },
    );
  // With the archive's predicate, the audit comes last, after the database audit that keeps what it leaves out
  // (`auditAfter`): a predicate in place before that audit exists, or when its creation fails, would leave the
  // scorer's batches audited nowhere. Turning the archive off updates this audit first (records then go to both).
  const predicate = owner.archive?.serverPredicate;
  const audit = predicate ? undefined : serverAudit(undefined, [outbound ?? protector]);
  diagnosticSetting(
    `${prefix}-master`,
    pulumi.interpolate`${server.id}/databases/master`,
    // Like every SQL database's logs, master's audit events only go to the AzureDiagnostics table.
    {
      workspaceId: owner.args.diagnosticSettings.workspaceId,
      logCategories: [...MASTER_AUDIT_CATEGORIES],
      metrics: false,
      destination: "AzureDiagnostics",
    },
    owner.parent,
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
      emailAddresses: [...(owner.args.securityAlertEmails ?? context.config.alertEmails)],
    },
    { parent: owner.parent, dependsOn: [audit ?? outbound ?? protector] },
  );
  const { endpoint } = privateEndpoint(
    prefix,
    {
      service: "sqlServer",
      targetId: server.id,
      targetName: server.name,
      target: owner.args.privateEndpoints,
      tags: owner.tags,
      dependsOn: [threatDetection],
    },
    owner.parent,
  );
  managementLock(prefix, server.id, owner.lockSpec, owner.parent, server);
  return {
    server,
    protector,
    settled: endpoint,
    ...(predicate ? { auditAfter: (dependsOn: pulumi.Resource[]) => serverAudit(predicate, dependsOn) } : {}),
  };
}
