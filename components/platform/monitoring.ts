/**
 * The platform's monitoring base: the central Log Analytics workspace (every diagnostic setting targets it; public
 * ingestion and query off, local auth off) and the Azure Monitor Private Link Scope in PrivateOnly mode with its
 * private endpoint, through which people, agents and Application Insights components reach it.
 */
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as pulumi from "@pulumi/pulumi";
import {
  afterCreationOnlyCheck,
  customRole,
  deleteGuard,
  deployedOrNone,
  readOrWarn,
  type CreationOnlyConflict,
  lockFor,
  managementLock,
  privateEndpoint,
  roleAssignment,
  type LockSpec,
  type PrivateEndpointResources,
  type PrivateEndpointTarget,
  type StackContext,
  type Tags,
} from "../shared";

/**
 * Days Azure keeps a Log Analytics commitment tier from its choice or change before it takes a lower tier or
 * pay-as-you-go ("Commitment tiers have a 31-day commitment period ... You can't move to pay-as-you-go or to a lower
 * commitment tier until after you finish the commitment period": azure-monitor-docs articles/azure-monitor/logs/
 * cost-logs.md; Sentinel's billing.md: "Lowering the Commitment tier is only allowed every 31 days").
 */
export const COMMITMENT_PERIOD_DAYS = 31;

/** The deployed workspace's `sku`, as a read gives it. */
export interface DeployedWorkspaceSku {
  readonly name?: string;
  readonly capacityReservationLevel?: number;
  /** When the sku last changed (Azure's date text, RFC 1123 or ISO 8601). */
  readonly lastSkuUpdate?: string;
}

/**
 * What Azure refuses of `logAnalyticsCommitmentGbPerDay` on the deployed workspace at `now` (pure): a lower tier or
 * pay-as-you-go within the deployed tier's commitment period; a warning when the read gives no date to tell.
 */
export function workspaceTierConflicts(
  deployed: DeployedWorkspaceSku,
  wanted: number,
  now: Date,
): CreationOnlyConflict[] {
  if ((deployed.name ?? "").toLowerCase() !== "capacityreservation") return [];
  const level = deployed.capacityReservationLevel ?? 0;
  if (wanted >= level) return [];
  const key = "logAnalyticsCommitmentGbPerDay";
  const asked = wanted ? `${wanted} GB/day` : "0 (pay-as-you-go)";
  // An ISO 8601 time without a zone is UTC, as Azure means it (Date.parse would read it in the local zone).
  const text = deployed.lastSkuUpdate ?? "";
  const since = Date.parse(/T[\d:.]+$/.test(text) ? `${text}Z` : text);
  if (Number.isNaN(since))
    return [
      {
        key,
        kind: "advised",
        deployed: `the ${level} GB/day tier (its last change not given)`,
        wanted: asked,
        remedy: `Azure refuses a lower tier or pay-as-you-go within ${COMMITMENT_PERIOD_DAYS} days of the tier's last change, which the workspace's read did not give (sku.lastSkuUpdate): check it in the portal (Usage and estimated costs) before the up.`,
      },
    ];
  const until = new Date(since + COMMITMENT_PERIOD_DAYS * 86_400_000);
  if (now.getTime() >= until.getTime()) return [];
  return [
    {
      key,
      kind: "refused",
      deployed: `the ${level} GB/day tier, last changed ${new Date(since).toISOString()}`,
      wanted: asked,
      remedy: `Azure keeps a commitment tier ${COMMITMENT_PERIOD_DAYS} days from its last change (cost-logs.md, "Commitment tiers"): lower it after ${until.toISOString()}, and keep ${level} until then (a raise is taken at any time and starts a new period; Microsoft Support can reset a tier set by mistake).`,
    },
  ];
}

export function logWorkspace(
  name: string,
  args: {
    readonly context: StackContext;
    readonly resourceGroupName: pulumi.Input<string>;
    readonly protect: boolean;
    /**
     * Microsoft Sentinel is onboarded on the workspace (`operations.sentinel`): no management lock then, since "The
     * Log Analytics workspace must not have a resource lock applied ... resource locks aren't supported when
     * enabling Microsoft Sentinel" (MicrosoftDocs/azure-docs articles/sentinel/prerequisites.md). `protect` and the
     * workspace's 14-day soft delete remain.
     */
    readonly sentinel: boolean;
    /** The workspace holds the audit trail: restricted, CDE. */
    readonly tags: Tags;
  },
  parent: pulumi.Resource,
): operationalinsights.Workspace {
  const { context, protect } = args;
  const cfg = context.config;
  const location = cfg.location;
  const rg = args.resourceGroupName;
  const securityTags = args.tags;
  // A lower commitment tier within the deployed one's 31 days is refused before the workspace's update
  // (workspaceTierConflicts): a preview of a deployed stack reads the workspace's sku; a failed read warns.
  const wanted = cfg.logAnalyticsCommitmentGbPerDay;
  const workspaceName = afterCreationOnlyCheck(pulumi.all([context.name("logAnalytics"), pulumi.output(rg)]), {
    resource: ([n]) => `the Log Analytics workspace '${n}'`,
    read: async ([n, resourceGroupName]) =>
      readOrWarn(
        async () => {
          const deployed = await deployedOrNone(() =>
            operationalinsights.getWorkspace({ workspaceName: n, resourceGroupName }, { parent }),
          );
          return deployed && { ...deployed.sku };
        },
        (error) =>
          `the Log Analytics workspace '${n}': its commitment tier could not be read to compare with logAnalyticsCommitmentGbPerDay (${wanted}) (${error}): Azure refuses a lower tier or pay-as-you-go within ${COMMITMENT_PERIOD_DAYS} days of the tier's last change (az monitor log-analytics workspace show -g ${resourceGroupName} -n ${n} --query sku).`,
        parent,
      ),
    conflicts: (deployed) => workspaceTierConflicts(deployed, wanted, new Date()),
  }).apply(([n]) => n);
  const workspace = new operationalinsights.Workspace(
    `${name}-log`,
    {
      workspaceName,
      resourceGroupName: rg,
      location,
      // A commitment tier bills its GB every day (config logAnalyticsCommitmentGbPerDay; docs/cost.md prices it).
      sku: cfg.logAnalyticsCommitmentGbPerDay
        ? {
            name: operationalinsights.WorkspaceSkuNameEnum.CapacityReservation,
            capacityReservationLevel: cfg.logAnalyticsCommitmentGbPerDay,
          }
        : { name: operationalinsights.WorkspaceSkuNameEnum.PerGB2018 },
      retentionInDays: cfg.logRetentionDays,
      features: { disableLocalAuth: true, enableLogAccessUsingOnlyResourcePermissions: true },
      // Resource logs arrive through diagnostic settings on the Azure backbone (not gated by these flags), and
      // log alert rules run inside Azure Monitor. People and agents reach the workspace only through the Azure
      // Monitor Private Link Scope below (private endpoint in the VNet), with Entra auth (local auth is off).
      publicNetworkAccessForIngestion: operationalinsights.PublicNetworkAccessType.Disabled,
      publicNetworkAccessForQuery: operationalinsights.PublicNetworkAccessType.Disabled,
      tags: securityTags,
    },
    { parent, protect },
  );
  const lock: LockSpec = args.sentinel ? { kind: "None" } : lockFor(protect, "the audit log workspace");
  managementLock(`${name}-log`, workspace.id, lock, parent, workspace);
  if (protect && args.sentinel) workspaceDeleteGuard(`${name}-log`, workspace, parent);
  return workspace;
}

/**
 * Where Sentinel forbids the lock, an Azure Policy `denyAction` on the workspace refuses its deletion instead (a
 * forced delete too, which skips the 14-day soft delete and destroys the only copy of the audit trail, PCI DSS
 * 10.3.3): shared/protection.ts `deleteGuard`. Removing the assignment first is the way to delete the workspace on
 * purpose, which Sentinel's audit-trail rule reports.
 */
export function workspaceDeleteGuard(
  name: string,
  workspace: operationalinsights.Workspace,
  parent: pulumi.Resource,
): ReturnType<typeof deleteGuard> {
  return deleteGuard(
    name,
    {
      resource: workspace,
      armType: "Microsoft.OperationalInsights/workspaces",
      definitionName: pulumi.interpolate`deny-delete-${workspace.name}`,
      definitionDisplayName: pulumi.interpolate`Deny deleting the audit log workspace ${workspace.name}`,
      definitionDescription:
        "Refuses DELETE of the Log Analytics workspace it is assigned to (and of its resource group): Microsoft " +
        "Sentinel does not support a resource lock on its workspace.",
      assignmentName: "deny-delete-audit-log",
      assignmentDisplayName: "Deny deleting the audit log workspace",
      why: "The workspace holds the PCI DSS audit trail and cannot be locked under Sentinel.",
      message:
        "The audit log workspace cannot be deleted: remove this assignment in a reviewed change first (docs/operations.md, Deletion protection).",
    },
    parent,
  );
}

/**
 * The scope (PrivateOnly), the workspace's link to it, and its private endpoint, in that order: an endpoint created
 * while a scoped resource is being added fails ("Mismatching RequiredMembers in Request"; Azure/bicep#13851, fixed
 * in Microsoft's AVM module by making the endpoint wait for the scoped resources, Azure/bicep-registry-modules#3348).
 * `lastOperation` is what the next change of the scope waits for (`Platform.linkToMonitorScope`).
 */
export function monitorScope(
  name: string,
  args: {
    readonly context: StackContext;
    readonly resourceGroupName: pulumi.Input<string>;
    readonly workspaceId: pulumi.Input<string>;
    readonly privateEndpoints: PrivateEndpointTarget;
    readonly tags: Tags;
  },
  parent: pulumi.Resource,
): {
  readonly scope: monitor.PrivateLinkScope;
  readonly workspaceLink: monitor.PrivateLinkScopedResource;
  readonly endpoint: PrivateEndpointResources;
  readonly lastOperation: pulumi.Resource;
} {
  const { context, tags } = args;
  const rg = args.resourceGroupName;
  const ampls = new monitor.PrivateLinkScope(
    `${name}-ampls`,
    {
      scopeName: context.name("monitorPrivateLinkScope"),
      resourceGroupName: rg,
      location: "global",
      accessModeSettings: {
        ingestionAccessMode: monitor.AccessMode.PrivateOnly,
        queryAccessMode: monitor.AccessMode.PrivateOnly,
      },
      tags,
    },
    { parent },
  );
  const link = new monitor.PrivateLinkScopedResource(
    `${name}-ampls-log`,
    {
      name: "log-analytics",
      scopeName: ampls.name,
      resourceGroupName: rg,
      linkedResourceId: args.workspaceId,
      kind: monitor.ScopedResourceKind.Resource,
    },
    { parent },
  );
  const endpoint = privateEndpoint(
    `${name}-ampls`,
    {
      service: "azureMonitor",
      targetId: ampls.id,
      targetName: ampls.name,
      target: args.privateEndpoints,
      tags,
      dependsOn: [link],
    },
    parent,
  );
  return { scope: ampls, workspaceLink: link, endpoint, lastOperation: endpoint.zoneGroup };
}

/**
 * The workspace tables data engineers may query (the pipelines' runs and performance, the apps' telemetry, metrics):
 * none of the audit, access or security tables (SQL audit, Key Vault, activity log, sign-ins, storage and Cosmos DB
 * access logs, gateway and firewall logs, Sentinel's).
 */
export const PIPELINE_LOG_TABLES = [
  "ADFPipelineRun",
  "ADFActivityRun",
  "ADFTriggerRun",
  "SynapseSqlPoolExecRequests",
  "SynapseSqlPoolRequestSteps",
  "SynapseSqlPoolWaits",
  "SynapseSqlPoolDmsWorkers",
  "SynapseSqlPoolSqlRequests",
  "SynapseBuiltinSqlPoolRequestsEnded",
  "SynapseIntegrationPipelineRuns",
  "SynapseIntegrationActivityRuns",
  "SynapseIntegrationTriggerRuns",
  "AppRequests",
  "AppDependencies",
  "AppExceptions",
  "AppTraces",
  "AppMetrics",
  "AzureMetrics",
] as const;

/**
 * Data engineers read the pipelines' logs, not the audit trail: Log Analytics Reader would open every table (Sentinel's
 * incidents, the tenant's sign-ins, the Key Vault and SQL audits, the activity log, the VNet's flow logs), and PCI DSS
 * 10.3.1 limits read access to audit logs to a job-related need. A custom role names the tables (Microsoft's
 * table-level access: `Microsoft.OperationalInsights/workspaces/query/<table>/read`), assigned on the workspace.
 */
export function pipelineLogsReader(
  name: string,
  args: {
    readonly context: StackContext;
    /** Where the custom role is assignable (the monitoring resource group). */
    readonly scopeId: pulumi.Input<string>;
    readonly workspaceId: pulumi.Input<string>;
    /** The data engineers' group. */
    readonly principalId: pulumi.Input<string>;
  },
  parent: pulumi.Resource,
): void {
  const cfg = args.context.config;
  const logRole = customRole(
    `${name}-pipeline-logs-role`,
    {
      scope: args.scopeId,
      idKey: "pipeline-logs-reader",
      roleName: `Pipeline logs reader (${cfg.workload}-${cfg.environment})`,
      description:
        "Queries the pipelines' tables of the platform's Log Analytics workspace (Data Factory, Synapse, Application Insights, metrics), not its audit and security tables. Managed by Pulumi.",
      permissions: [
        {
          actions: [
            "Microsoft.OperationalInsights/workspaces/read",
            "Microsoft.OperationalInsights/workspaces/query/read",
            ...PIPELINE_LOG_TABLES.map((t) => `Microsoft.OperationalInsights/workspaces/query/${t}/read`),
          ],
          notActions: [],
          dataActions: [],
          notDataActions: [],
        },
      ],
    },
    parent,
  );
  roleAssignment(
    `${name}-log`,
    args.workspaceId,
    {
      key: "data-engineers-pipeline-logs",
      principalId: args.principalId,
      principalType: "Group",
      roleDefinitionId: logRole.assignableId,
      description: "Data engineers read the pipelines' logs (not the audit trail).",
    },
    parent,
  );
}
