/**
 * The Synapse workspace and its dedicated SQL pool: a managed virtual network with data exfiltration protection
 * (no tenant but this one), no public network access, Entra-only SQL with the database admins group as SQL admin,
 * the platform's synapse customer-managed key through the workspace's system-assigned identity (granted on the key
 * once the workspace exists, then the workspace activated), the lake as default storage through a managed private endpoint, private
 * endpoints `Sql`, `SqlOnDemand`, `Dev` and a private link hub for Studio (`Web`), SQL auditing, threat detection
 * and vulnerability assessment, diagnostics, and the pool with TDE, geo-backup (prod) and workload isolation.
 *
 * Operations on one workspace are serialised by Azure (a second PUT while one runs fails with a conflict), so the
 * workspace's children are chained: workspace → key activation (and its settling wait) → SQL admin → SQL security →
 * private endpoints (Sql, SqlOnDemand, Dev) → pool → TDE → workload groups and their classifiers, one after the other.
 */
import * as resources from "@pulumi/azure-native/resources";
import * as synapse from "@pulumi/azure-native/synapse";
import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import { recoverableDatabaseId, type OlapConfig } from "../../lib/config";
import {
  BuiltInRoles,
  grantPropagation,
  diagnosticSetting,
  managementLock,
  privateEndpoint,
  roleAssignment,
  Serial,
  type DiagnosticSettingsTarget,
  type LockSpec,
  type PrivateEndpointTarget,
  type ServiceKey,
  type StackContext,
  type Tags,
} from "../shared";
import type { DataLake } from "./lake";
import {
  dboClassifiers,
  FILE_SYSTEMS,
  keyActivationTemplate,
  POOL_LOG_CATEGORIES,
  sqlAdminTemplate,
  sqlSecurityTemplate,
  WORKSPACE_LOG_CATEGORIES,
  workloadGroups,
  type WorkloadGroupSpec,
} from "./settings";
import { SYNAPSE_SQL_SECURITY_SETTINGS, SYNAPSE_SQL_SECURITY_TAG } from "../../policies/lib/templates";

/** Collation of the dedicated pool (create-only; the generated DDL compares codes with explicit collations). */
export const POOL_COLLATION = "SQL_Latin1_General_CP1_CI_AS";

/** Name of the workspace's key (the reference to the vault key inside the workspace). */
export const WORKSPACE_KEY_NAME = "cmk-synapse";
/** How long the workspace's next operation waits after the key activation is accepted (see `activated`). */
export const SYNAPSE_ACTIVATION_DELAY = "5m";

export interface WarehouseArgs {
  readonly context: StackContext;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly suffix: pulumi.Output<string>;
  /** The workspace's Azure name (also in the lake's firewall rule). */
  readonly workspaceName: pulumi.Input<string>;
  readonly olap: OlapConfig;
  readonly lake: DataLake;
  /** The platform's synapse key (reached with the workspace's own system-assigned identity). */
  readonly customerManagedKey: ServiceKey;
  readonly privateEndpoints: PrivateEndpointTarget;
  readonly diagnosticSettings: DiagnosticSettingsTarget;
  /** The Entra group that administers the workspace's SQL (no SQL logins). */
  readonly sqlAdmin: { readonly objectId: pulumi.Input<string>; readonly login: pulumi.Input<string> };
  readonly tenantId: pulumi.Input<string>;
  /** Classifier member of the BI workload group when the config names none (the analysts group). */
  readonly defaultBiMember: pulumi.Input<string>;
  readonly securityAlertEmails: readonly string[];
  readonly protect: boolean;
  readonly lock: LockSpec;
  readonly tags: Tags;
}

export interface Warehouse {
  readonly workspace: synapse.Workspace;
  readonly pool: synapse.SqlPool;
  readonly privateLinkHub: synapse.PrivateLinkHub;
  /** Object id of the workspace's system-assigned identity (what reaches the lake). */
  readonly workspacePrincipalId: pulumi.Output<string>;
  /** The pool's workload operations, one at a time: a later one (e.g. the ETL classifier) joins the chain. */
  readonly poolChain: Serial;
}

/** Creates the workspace, hub and pool as children of `parent`, named `${name}-*`. */
export function warehouse(name: string, args: WarehouseArgs, parent: pulumi.Resource): Warehouse {
  const { context, olap, lake, customerManagedKey: cmk, tags } = args;
  const rg = args.resourceGroupName;
  const location = context.config.location;

  const workspace = new synapse.Workspace(
    `${name}-workspace`,
    {
      workspaceName: args.workspaceName,
      resourceGroupName: rg,
      location,
      managedResourceGroupName: context.name("resourceGroup", "synapse-managed"),
      // The system-assigned identity reaches the lake (Storage Blob Data Contributor, granted below) and the key: a
      // user-assigned identity cannot, because "A User-assigned Managed Identity cannot be configured to access
      // customer-managed key when Azure Key Vault is behind a firewall" and the platform's vault admits only its
      // private endpoint and trusted services (MicrosoftDocs/azure-docs articles/synapse-analytics/security/
      // workspaces-encryption.md). The workspace is created "Pending" and activated below, once its identity holds
      // the key ("you can only create a new dedicated SQL pool once activation succeeds", same page).
      identity: { type: synapse.ResourceIdentityType.SystemAssigned },
      encryption: {
        cmk: {
          key: { name: WORKSPACE_KEY_NAME, keyVaultUrl: cmk.keyUri },
          kekIdentity: { useSystemAssignedIdentity: true },
        },
      },
      // Default storage = the lake's `synapse` file system, reached from the managed VNet through a managed
      // private endpoint that Synapse creates (pending approval on the lake: see docs/operations.md).
      defaultDataLakeStorage: {
        accountUrl: lake.dfsEndpoint,
        filesystem: FILE_SYSTEMS.synapse,
        resourceId: lake.account.id,
        createManagedPrivateEndpoint: true,
      },
      // Managed VNet and exfiltration protection are create-only. No extra tenant may be linked: with exfiltration
      // protection the workspace's own tenant is the only one allowed
      // (https://learn.microsoft.com/azure/synapse-analytics/security/workspace-data-exfiltration-protection).
      managedVirtualNetwork: "default",
      managedVirtualNetworkSettings: { preventDataExfiltration: true, allowedAadTenantIdsForLinking: [] },
      publicNetworkAccess: synapse.WorkspacePublicNetworkAccess.Disabled,
      trustedServiceBypassEnabled: false,
      // Entra-only at creation, and no SQL administrator login or password at all. Later changes to this flag are
      // not applied by the provider (pulumi-azure-native #1330, #2541): it is a creation-time decision.
      azureADOnlyAuthentication: true,
      tags,
    },
    {
      parent,
      protect: args.protect,
      // The default file system must exist; the managed private endpoint the workspace creates adds a connection to
      // the lake, after the lake's own operations.
      dependsOn: [lake.fileSystems.synapse, lake.settled],
    },
  );
  const ws = { resourceGroupName: rg, workspaceName: workspace.name };
  const workspacePrincipalId = workspace.identity.apply((i) => i?.principalId ?? "");

  // Activation: the workspace identity gets wrap/unwrap on the key (Key Vault Crypto Service Encryption User, scope
  // the key), the grant propagates, then the workspace key is made active (keyActivationTemplate: an ARM deployment,
  // since the workspace already holds the key object, pending).
  const keyGrant = roleAssignment(
    `${name}-workspace-cmk`,
    cmk.keyId,
    {
      key: "crypto-user",
      principalId: workspacePrincipalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: BuiltInRoles.KeyVaultCryptoServiceEncryptionUser,
      description: "The Synapse workspace identity wraps and unwraps with its customer-managed key.",
    },
    parent,
  );
  const keyGrantPropagated = grantPropagation(`${name}-workspace-cmk-propagation`, keyGrant, parent);
  const activation = new resources.Deployment(
    `${name}-workspace-key`,
    {
      deploymentName: pulumi.interpolate`${workspace.name}-cmk-activation`,
      resourceGroupName: rg,
      properties: {
        mode: resources.DeploymentMode.Incremental,
        template: keyActivationTemplate(WORKSPACE_KEY_NAME),
        parameters: { workspaceName: { value: workspace.name }, keyVaultUrl: { value: cmk.keyUri } },
      },
      tags,
    },
    { parent, dependsOn: [keyGrantPropagated] },
  );
  // The keys PUT answers at once and the workspace then activates in the background (Terraform's workspace key
  // resource polls `isActiveCMK` after the same PUT: hashicorp/terraform-provider-azurerm#15897, "CMK takes a while to
  // activate"). An ARM deployment cannot poll, so the workspace's next operation waits a fixed time: a call on a
  // workspace still activating is refused (WorkspaceActivationRequired).
  const activated = new time.Sleep(
    `${name}-workspace-key-activated`,
    { createDuration: SYNAPSE_ACTIVATION_DELAY, triggers: { activation: activation.id } },
    { parent },
  );

  // The workspace identity reads and writes the lake (default storage, COPY INTO, scan results): Storage Blob Data
  // Contributor on the account (https://learn.microsoft.com/azure/synapse-analytics/security/how-to-grant-workspace-managed-identity-permissions).
  const lakeGrant = roleAssignment(
    `${name}-workspace-lake`,
    lake.account.id,
    {
      key: "synapse-blob-contributor",
      principalId: workspacePrincipalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: BuiltInRoles.StorageBlobDataContributor,
      description: "The Synapse workspace identity reads and writes the data lake.",
    },
    parent,
  );

  // The database admins' group as the workspace's SQL Entra administrator, replacing the creator Azure set
  // (sqlAdminTemplate: an ARM deployment, since that administrator already exists), once the key is active.
  const sqlAdmin = new resources.Deployment(
    `${name}-sql-admin`,
    {
      deploymentName: pulumi.interpolate`${workspace.name}-sql-admin`,
      resourceGroupName: rg,
      properties: {
        mode: resources.DeploymentMode.Incremental,
        template: sqlAdminTemplate(),
        parameters: {
          workspaceName: { value: workspace.name },
          login: { value: args.sqlAdmin.login },
          sid: { value: args.sqlAdmin.objectId },
          tenantId: { value: args.tenantId },
        },
      },
      tags,
    },
    { parent, dependsOn: [activated] },
  );

  // SQL auditing to Azure Monitor, threat detection and vulnerability assessment (see sqlSecurityTemplate for why
  // an ARM deployment). The scan results go to the lake with the workspace identity, hence after its grant.
  const sqlSecurity = new resources.Deployment(
    `${name}-sql-security`,
    {
      deploymentName: pulumi.interpolate`${workspace.name}-sql-security`,
      resourceGroupName: rg,
      properties: {
        mode: resources.DeploymentMode.Incremental,
        template: sqlSecurityTemplate(),
        parameters: {
          workspaceName: { value: workspace.name },
          alertEmails: { value: [...args.securityAlertEmails] },
          scanResultsPath: { value: pulumi.interpolate`${lake.blobEndpoint}${FILE_SYSTEMS.vulnerabilityAssessment}/` },
        },
      },
      // What the template declares, for the policy pack's stack rules: they see the deployment's outputs, which
      // carry its tags but not its template (policies/lib/templates.ts).
      tags: { ...tags, [SYNAPSE_SQL_SECURITY_TAG]: SYNAPSE_SQL_SECURITY_SETTINGS.join(",") },
    },
    { parent, dependsOn: [sqlAdmin, lakeGrant] },
  );

  // Private endpoints add connections to the workspace: one at a time, between the workspace's other operations.
  const onWorkspace = new Serial([sqlSecurity]);
  for (const service of ["synapseSql", "synapseSqlOnDemand", "synapseDev"] as const) {
    onWorkspace.next(
      (dependsOn) =>
        privateEndpoint(
          `${name}-workspace-${service.replace(/^synapse/, "").toLowerCase()}`,
          {
            service,
            targetId: workspace.id,
            targetName: workspace.name,
            target: args.privateEndpoints,
            tags,
            dependsOn,
          },
          parent,
        ).endpoint,
    );
  }

  const recoverFrom = olap.pool.recoverFrom;
  const pool = new synapse.SqlPool(
    `${name}-pool`,
    {
      ...ws,
      sqlPoolName: context.name("synapseSqlPool"),
      location,
      sku: { name: olap.pool.sku },
      // From the source pool's latest geo-backup (a regional disaster, docs/disaster-recovery.md): "Recovery: Creates
      // a sql pool by a geo-replicated backup" (the REST spec's CreateMode), named by recoverableDatabaseId as
      // Restore-AzSynapseSqlPool -FromBackup and azurerm send it, in the SQL form (lib/config/olap.ts). Its collation
      // is the backup's: only an empty pool is given one, as azurerm and PowerShell do (the SDK then sends its schema
      // default, "", as for any pool without one; Azure SQL ignores a collation outside Default mode).
      ...(recoverFrom === undefined
        ? { createMode: synapse.CreateMode.Default, collation: POOL_COLLATION }
        : { createMode: synapse.CreateMode.Recovery, recoverableDatabaseId: recoverableDatabaseId(recoverFrom) }),
      // GRS backup storage = geo-backups (a daily copy to the paired region, restorable there); LRS opts out.
      storageAccountType: olap.pool.geoBackup ? synapse.StorageAccountType.GRS : synapse.StorageAccountType.LRS,
      tags,
    },
    {
      parent,
      protect: args.protect,
      dependsOn: onWorkspace.tail,
      // Set when the pool is created: backup storage cannot change afterwards (Terraform's synapse_sql_pool:
      // "Changing this forces a new Synapse SQL Pool to be created"), nor can the collation. A change is a new pool
      // under the same name, the old one first: its data goes (dev: the ETL reloads it); prod's `protect` refuses.
      replaceOnChanges: ["storageAccountType", "collation"],
      deleteBeforeReplace: true,
      // A restored pool's creation inputs are never diffed afterwards: a refresh records the backup's collation,
      // which would otherwise differ from the "" sent and replace the pool (replaceOnChanges above), and createMode
      // Recovery would be resent in a pointless update (azure-native updates createMode in place: x-ms-mutability
      // create and update). So `recoverFrom` set on a stack whose pool exists does nothing; removing it where it made
      // the pool would send the empty pool's collation (keep it set: docs/configuration.md); and a replacement forced
      // by another input (geoBackup) reuses the ignored values: a second geo-restore, not an empty pool.
      ...(recoverFrom === undefined ? {} : { ignoreChanges: ["createMode", "recoverableDatabaseId", "collation"] }),
    },
  );
  const poolScope = { ...ws, sqlPoolName: pool.name };
  const tde = new synapse.SqlPoolTransparentDataEncryption(
    `${name}-pool-tde`,
    { ...poolScope, transparentDataEncryptionName: "current", status: synapse.TransparentDataEncryptionStatus.Enabled },
    { parent },
  );

  // One group at a time, ETL first. Azure checks the sum of the guarantees after each change (at most 100), and the
  // program cannot read the deployed values to pick the safe order: moving a guarantee between the groups takes two
  // `up`s, the one that goes down first (docs/configuration.md, workloadIsolation).
  // A `Serial`: deletes (isolation turned off, a member removed) go one at a time too.
  const poolChain = new Serial([tde]);
  for (const g of workloadGroups(olap.workloadIsolation)) {
    const group = poolChain.next(
      (dependsOn) =>
        new synapse.SqlPoolWorkloadGroup(
          `${name}-wg-${g.key}`,
          {
            ...poolScope,
            workloadGroupName: g.groupName,
            minResourcePercent: g.minPercent,
            maxResourcePercent: g.capPercent,
            minResourcePercentPerRequest: g.requestMinPercent,
            importance: g.importance,
            queryExecutionTimeout: g.queryTimeoutSeconds,
          },
          { parent, dependsOn },
        ),
    );
    const member = g.memberName ?? (g.key === "bi" ? args.defaultBiMember : undefined);
    // The ETL identity belongs to the ETL tier: without a configured member, it classifies it through
    // Olap.classifyEtlIdentity once the identity exists (never a classifier for a principal that doesn't).
    if (member !== undefined)
      poolChain.next((dependsOn) =>
        workloadClassifier(`${name}-wc-${g.key}`, { ...poolScope, group, member, spec: g }, parent, dependsOn),
      );
  }
  // Managed identities may run as dbo in a workspace pool (settings.ts, ETL_DBO_CLASSIFIER): their requests into the ETL
  // group, the streaming loader's session (by its workload context) into the interactive one.
  for (const c of dboClassifiers(olap.workloadIsolation)) {
    poolChain.next((dependsOn) =>
      workloadClassifier(
        `${name}-wc-${c.key}`,
        { ...poolScope, group: c.groupName, member: "dbo", spec: c },
        parent,
        dependsOn,
      ),
    );
  }

  // Studio (web.azuresynapse.net) over private link: the hub and its `Web` endpoint.
  const privateLinkHub = new synapse.PrivateLinkHub(
    `${name}-plhub`,
    {
      privateLinkHubName: context.globalName("synapsePrivateLinkHub", args.suffix),
      resourceGroupName: rg,
      location,
      tags,
    },
    { parent },
  );
  privateEndpoint(
    `${name}-plhub`,
    {
      service: "synapseWeb",
      targetId: privateLinkHub.id,
      targetName: privateLinkHub.name,
      target: args.privateEndpoints,
      tags,
    },
    parent,
  );

  diagnosticSetting(
    `${name}-workspace`,
    workspace.id,
    { ...args.diagnosticSettings, logCategories: WORKSPACE_LOG_CATEGORIES },
    parent,
  );
  diagnosticSetting(
    `${name}-pool`,
    pool.id,
    { ...args.diagnosticSettings, logCategories: POOL_LOG_CATEGORIES },
    parent,
  );
  managementLock(`${name}-workspace`, workspace.id, args.lock, parent, workspace);
  managementLock(`${name}-pool`, pool.id, args.lock, parent, pool);

  return { workspace, pool, privateLinkHub, workspacePrincipalId, poolChain };
}

/**
 * A workload classifier putting `member`'s requests (only those of sessions whose workload context is `spec.context`,
 * when set) into the group, after `dependsOn` (one pool operation at a time).
 */
export function workloadClassifier(
  logicalName: string,
  args: {
    readonly resourceGroupName: pulumi.Input<string>;
    readonly workspaceName: pulumi.Input<string>;
    readonly sqlPoolName: pulumi.Input<string>;
    readonly group: synapse.SqlPoolWorkloadGroup | pulumi.Input<string>;
    readonly member: pulumi.Input<string>;
    readonly spec: Pick<WorkloadGroupSpec, "classifierName" | "importance"> & { readonly context?: string };
  },
  parent: pulumi.Resource,
  dependsOn: pulumi.Resource[],
): synapse.SqlPoolWorkloadClassifier {
  const { group, member, spec, ...scope } = args;
  return new synapse.SqlPoolWorkloadClassifier(
    logicalName,
    {
      ...scope,
      workloadGroupName: group instanceof synapse.SqlPoolWorkloadGroup ? group.name : group,
      workloadClassifierName: spec.classifierName,
      // The member alone unless the spec names a context: then only the member's requests in sessions with that
      // wlm_context match (the streaming loader's). Never a label with a member: only labelled requests would match.
      memberName: member,
      ...(spec.context !== undefined ? { context: spec.context } : {}),
      importance: spec.importance,
    },
    { parent, dependsOn },
  );
}
