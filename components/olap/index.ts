/**
 * OLAP tier: the data lake (ADLS Gen2, `lake.ts`) and the Synapse workspace with its dedicated SQL pool
 * (`warehouse.ts`), one ComponentResource wired from the platform's typed outputs. The ETL and streaming tiers land
 * files in the lake and load the pool; what they need is exposed below (account, dfs endpoint, file system names,
 * workspace and pool ids and names, the pool-operator role) together with hooks for their identities
 * (`grantLakeAccess`, `grantPoolOperator`, `classifyEtlIdentity`).
 *
 * RBAC, never keys: the workspace identity is Storage Blob Data Contributor on the lake, the data engineers read it
 * (Storage Blob Data Reader) and see the workspace (Reader); SQL access inside the pool is granted in T-SQL to Entra
 * principals by the SQL admin group. Prod: `protect` and CanNotDelete locks on the lake account, the workspace and
 * the pool (`protect` on the file systems too).
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";
import type { OlapConfig } from "../../lib/config";
import {
  BuiltInRoles,
  customRole,
  deployer,
  lockFor,
  roleAssignment,
  roleAssignments,
  type CustomerManagedKey,
  type Serial,
  type DataServiceArgs,
  type LockSpec,
  type RoleAssignmentSpec,
  type ServiceKey,
} from "../shared";
import { dataLake, type DataLake } from "./lake";
import {
  FILE_SYSTEMS,
  POOL_OPERATOR_ACTIONS,
  STREAM_LOADER_CLASSIFIER,
  workloadGroups,
  DATA_FILE_SYSTEMS,
  type FileSystemRole,
  type WorkloadGroupSpec,
} from "./settings";
import { warehouse, workloadClassifier, type Warehouse } from "./warehouse";

export * from "./settings";
export { POOL_COLLATION, WORKSPACE_KEY_NAME } from "./warehouse";

/** An identity granted access by a later tier (e.g. the Data Factory identity). */
export interface Grantee {
  /** Stable kebab-case key used in logical names (e.g. `adf`). */
  readonly key: string;
  readonly principalId: pulumi.Input<string>;
  readonly principalType: RoleAssignmentSpec["principalType"];
}

export interface OlapArgs extends DataServiceArgs<ServiceKey> {
  /** The validated `olap` section of the stack config. */
  readonly olap: OlapConfig;
  /** The platform's storage key and its identity, for the lake (`customerManagedKey` is the workspace's). */
  readonly lakeCustomerManagedKey: CustomerManagedKey;
  /** The Entra group that administers the workspace's SQL (Entra-only authentication). */
  readonly sqlAdmin: { readonly objectId: pulumi.Input<string>; readonly login: pulumi.Input<string> };
  readonly tenantId: pulumi.Input<string>;
  /**
   * Principals that read the lake's data (Storage Blob Data Reader on each of DATA_FILE_SYSTEMS: raw, staging,
   * curated; not the workspace's file system nor the vulnerability assessment's results), e.g. the data engineers.
   */
  readonly lakeReaders?: readonly Grantee[];
  /** Principals that may pause and resume the pool (the custom pool-operator role), e.g. data engineers in dev. */
  readonly poolOperators?: readonly Grantee[];
  /** Classifier member of the BI workload group when `olap.workloadIsolation.bi.memberName` is unset. */
  readonly analystsGroupName: pulumi.Input<string>;
  /** Recipients of threat detection alerts and vulnerability scan reports; default the stack's `alertEmails`. */
  readonly securityAlertEmails?: readonly string[];
}

/** Checks the arguments before anything is registered; throws naming the argument. */
export function validateOlapArgs(args: OlapArgs): void {
  const problems: string[] = [];
  if (args.lock?.kind === "ReadOnly") {
    problems.push(
      "lock: a ReadOnly lock blocks pausing, scaling and every write to the lake's settings; use CanNotDelete",
    );
  }
  const emails = args.securityAlertEmails ?? args.context.config.alertEmails;
  if (emails.length === 0) problems.push("securityAlertEmails: threat detection alerts need at least one recipient");
  for (const [arg, list] of [
    ["lakeReaders", args.lakeReaders ?? []],
    ["poolOperators", args.poolOperators ?? []],
  ] as const) {
    const seen = new Set<string>();
    for (const g of list) {
      if (!/^[a-z][a-z0-9-]{0,40}$/.test(g.key))
        problems.push(`${arg}: key '${g.key}' must be kebab-case (a-z, 0-9, -)`);
      if (seen.has(g.key)) problems.push(`${arg}: key '${g.key}' is used twice`);
      seen.add(g.key);
    }
  }
  if (problems.length > 0) throw new Error(`Olap: ${problems.join("; ")}`);
}

/** Lake roles a later tier may be granted. */
export const LAKE_ROLES = {
  reader: BuiltInRoles.StorageBlobDataReader,
  contributor: BuiltInRoles.StorageBlobDataContributor,
} as const;

export class Olap extends pulumi.ComponentResource {
  public readonly lakeAccountId: pulumi.Output<string>;
  public readonly lakeAccountName: pulumi.Output<string>;
  /** `https://<account>.dfs.core.windows.net/` (resolves to the dfs private endpoint inside the VNet). */
  public readonly lakeDfsEndpoint: pulumi.Output<string>;
  /** File system (container) names by role: raw, staging, curated, synapse, vulnerabilityAssessment. */
  public readonly fileSystemNames: Readonly<Record<FileSystemRole, pulumi.Output<string>>>;
  public readonly workspaceId: pulumi.Output<string>;
  public readonly workspaceName: pulumi.Output<string>;
  /** Object id of the workspace's system-assigned identity. */
  public readonly workspacePrincipalId: pulumi.Output<string>;
  /** `<workspace>.sql.azuresynapse.net` (dedicated pool endpoint, private inside the VNet). */
  public readonly dedicatedSqlEndpoint: pulumi.Output<string>;
  /** `<workspace>-ondemand.sql.azuresynapse.net` (serverless endpoint). */
  public readonly serverlessSqlEndpoint: pulumi.Output<string>;
  public readonly sqlPoolId: pulumi.Output<string>;
  public readonly sqlPoolName: pulumi.Output<string>;
  /** The custom role (sqlPools read, pause, resume) the pause schedule's identity needs on the pool. */
  public readonly poolOperatorRoleDefinitionId: pulumi.Output<string>;
  /** The dev pause schedule from config, for the ETL tier's pipelines (undefined = always on). */
  public readonly pauseSchedule: OlapConfig["pauseSchedule"];

  private readonly lake: DataLake;
  private readonly dw: Warehouse;
  private readonly name: string;
  private readonly olap: OlapConfig;
  private readonly resourceGroupName: pulumi.Input<string>;
  /** The last operation on the pool (pool operations run one at a time). */
  private readonly poolChain: Serial;

  constructor(name: string, args: OlapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("payments:olap:Olap", name, {}, opts);
    validateOlapArgs(args);
    this.name = name;
    this.olap = args.olap;
    this.resourceGroupName = args.resourceGroupName;
    const { context, olap } = args;
    const protect = args.protect ?? false;
    const lock: LockSpec = args.lock ?? lockFor(protect, "the OLAP data lake, Synapse workspace and dedicated pool");
    // The warehouse holds payment facts keyed by card tokens and merchant data, never PANs (connected, not CDE).
    const tags =
      args.tags ?? context.tags({ dataClassification: "confidential", pciScope: "connected", component: "olap" });
    const shared = {
      context,
      resourceGroupName: args.resourceGroupName,
      suffix: args.suffix,
      // One name for the workspace and for the lake's firewall rule that admits it.
      workspaceName: context.globalName("synapseWorkspace", args.suffix),
      privateEndpoints: args.privateEndpoints,
      diagnosticSettings: args.diagnosticSettings,
      protect,
      lock,
      tags,
    };

    this.lake = dataLake(name, { ...shared, lake: olap.lake, customerManagedKey: args.lakeCustomerManagedKey }, this);
    this.dw = warehouse(
      name,
      {
        ...shared,
        olap,
        lake: this.lake,
        customerManagedKey: args.customerManagedKey,
        sqlAdmin: args.sqlAdmin,
        tenantId: args.tenantId,
        defaultBiMember: args.analystsGroupName,
        securityAlertEmails: args.securityAlertEmails ?? context.config.alertEmails,
      },
      this,
    );

    this.poolChain = this.dw.poolChain;

    // Control-plane roles on the workspace (data engineers: Reader) and data access to the lake.
    roleAssignments(`${name}-workspace`, this.dw.workspace.id, args.roleAssignments, this);
    for (const g of args.lakeReaders ?? []) for (const fs of DATA_FILE_SYSTEMS) this.grantLakeAccess(g, "reader", fs);

    // Least-privilege pause/resume: a custom role assignable in the tier's resource group, granted on the pool.
    const rgScope = pulumi.interpolate`/subscriptions/${deployer().subscriptionId}/resourceGroups/${args.resourceGroupName}`;
    // Assignments use it once it has replicated (customRole).
    this.poolOperatorRoleDefinitionId = customRole(
      `${name}-pool-operator-role`,
      {
        scope: rgScope,
        idKey: "synapse-pool-operator",
        roleName: `Synapse dedicated pool operator (${context.config.workload}-${context.config.environment})`,
        description: "Reads, pauses and resumes the dedicated SQL pools it is assigned on. Managed by Pulumi.",
        permissions: [{ actions: [...POOL_OPERATOR_ACTIONS], notActions: [], dataActions: [], notDataActions: [] }],
      },
      this,
    ).assignableId;
    for (const g of args.poolOperators ?? []) this.grantPoolOperator(g);

    this.lakeAccountId = this.lake.account.id;
    this.lakeAccountName = this.lake.account.name;
    this.lakeDfsEndpoint = this.lake.dfsEndpoint;
    this.fileSystemNames = Object.fromEntries(
      (Object.keys(FILE_SYSTEMS) as FileSystemRole[]).map((role) => [role, this.lake.fileSystems[role].name]),
    ) as Record<FileSystemRole, pulumi.Output<string>>;
    this.workspaceId = this.dw.workspace.id;
    this.workspaceName = this.dw.workspace.name;
    this.workspacePrincipalId = this.dw.workspacePrincipalId;
    this.dedicatedSqlEndpoint = pulumi.interpolate`${this.dw.workspace.name}.sql.azuresynapse.net`;
    this.serverlessSqlEndpoint = pulumi.interpolate`${this.dw.workspace.name}-ondemand.sql.azuresynapse.net`;
    this.sqlPoolId = this.dw.pool.id;
    this.sqlPoolName = this.dw.pool.name;
    this.pauseSchedule = olap.pauseSchedule;

    this.registerOutputs({
      lakeAccountId: this.lakeAccountId,
      lakeAccountName: this.lakeAccountName,
      lakeDfsEndpoint: this.lakeDfsEndpoint,
      fileSystemNames: this.fileSystemNames,
      workspaceId: this.workspaceId,
      workspaceName: this.workspaceName,
      workspacePrincipalId: this.workspacePrincipalId,
      dedicatedSqlEndpoint: this.dedicatedSqlEndpoint,
      serverlessSqlEndpoint: this.serverlessSqlEndpoint,
      sqlPoolId: this.sqlPoolId,
      sqlPoolName: this.sqlPoolName,
      poolOperatorRoleDefinitionId: this.poolOperatorRoleDefinitionId,
    });
  }

  /**
   * Grants a later tier's identity data access to the lake (Storage Blob Data Reader or Contributor), on one file
   * system when `fileSystem` is given (the narrowest scope Azure offers: "An individual container",
   * authorize-access-azure-active-directory#resource-scope), else on the whole account, e.g.
   * `olap.grantLakeAccess({ key: "adf", principalId, principalType: "ServicePrincipal" }, "contributor", "raw")`.
   */
  grantLakeAccess(
    grantee: Grantee,
    role: keyof typeof LAKE_ROLES,
    fileSystem?: FileSystemRole,
  ): authorization.RoleAssignment {
    const what = role === "reader" ? "Reader" : "Contributor";
    return roleAssignment(
      `${this.name}-lake`,
      fileSystem ? this.lake.fileSystems[fileSystem].id : this.lake.account.id,
      {
        key: fileSystem ? `${grantee.key}-${fileSystem}-blob-${role}` : `${grantee.key}-blob-${role}`,
        principalId: grantee.principalId,
        principalType: grantee.principalType,
        roleDefinitionId: LAKE_ROLES[role],
        description: fileSystem
          ? `${grantee.key}: Storage Blob Data ${what} on the data lake's ${FILE_SYSTEMS[fileSystem]} file system.`
          : `${grantee.key}: Storage Blob Data ${what} on the data lake.`,
      },
      this,
    );
  }

  /**
   * Classifies the ETL identity's sessions into the ETL workload group (`wg_etl`), for the ETL tier once its
   * identity exists: `memberName` is the name its database user has (the Data Factory identity's display name, as
   * in pipelines/sql/13_olap_etl_access.sql). Only when `olap.workloadIsolation.etl.memberName` is not set.
   */
  classifyEtlIdentity(memberName: pulumi.Input<string>): pulumi.Resource {
    if (this.olap.workloadIsolation.etl.memberName) {
      throw new Error(
        "Olap.classifyEtlIdentity: olap.workloadIsolation.etl.memberName is set, so the ETL classifier exists already",
      );
    }
    const etl = workloadGroups(this.olap.workloadIsolation).find((g) => g.key === "etl");
    if (!etl) throw new Error("Olap.classifyEtlIdentity: no ETL workload group");
    return this.classifyMember("etl", etl, memberName, etl.classifierName);
  }

  /**
   * Classifies the streaming loader's sessions into the interactive workload group (`wg_bi`) by its database user
   * (`memberName`: `$(StreamingPrincipalName)` of pipelines/sql/15_olap_streaming_access.sql), for a pool where the
   * loader's identity keeps its name; where it runs as `dbo`, its session (by its workload context) is classified by
   * `wc_stream_load` (settings.ts, STREAM_LOAD_CLASSIFIER). Either way its inserts never wait behind the nightly load.
   */
  classifyStreamLoader(memberName: pulumi.Input<string>): pulumi.Resource {
    const bi = workloadGroups(this.olap.workloadIsolation).find((g) => g.key === "bi");
    if (!bi) throw new Error("Olap.classifyStreamLoader: no BI workload group");
    return this.classifyMember("stream-loader", bi, memberName, STREAM_LOADER_CLASSIFIER);
  }

  /** A classifier (`<name>-wc-<suffix>`) of `memberName` into `group`, after every earlier operation on the pool. */
  private classifyMember(
    suffix: string,
    group: WorkloadGroupSpec,
    memberName: pulumi.Input<string>,
    classifierName: string,
  ): pulumi.Resource {
    return this.poolChain.next((dependsOn) =>
      workloadClassifier(
        `${this.name}-wc-${suffix}`,
        {
          resourceGroupName: this.resourceGroupName,
          workspaceName: this.dw.workspace.name,
          sqlPoolName: this.dw.pool.name,
          group: group.groupName,
          member: memberName,
          spec: { classifierName, importance: group.importance },
        },
        this,
        dependsOn,
      ),
    );
  }

  /** Lets a principal read, pause and resume the dedicated pool (the custom pool-operator role, on the pool only). */
  grantPoolOperator(grantee: Grantee): authorization.RoleAssignment {
    return roleAssignment(
      `${this.name}-pool`,
      this.dw.pool.id,
      {
        key: `${grantee.key}-pool-operator`,
        principalId: grantee.principalId,
        principalType: grantee.principalType,
        roleDefinitionId: this.poolOperatorRoleDefinitionId,
        description: `${grantee.key}: pauses and resumes the dedicated SQL pool.`,
      },
      this,
    );
  }
}
