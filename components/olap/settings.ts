/**
 * Pure settings of the analytical tier (no resources): the lake's file systems and lifecycle rules, the diagnostic
 * categories, the workload groups and classifiers, the custom role that pauses and resumes the pool, and the ARM
 * template of the workspace's SQL security settings. Unit-tested in tests/olap.spec.ts.
 */
import type * as types from "@pulumi/azure-native/types";
import { LIFECYCLE_ZONES, type LifecycleZone, type OlapConfig } from "../../lib/config";
import { AUDIT_ACTION_GROUPS } from "../oltp";

/** The lake's file systems (ADLS Gen2 containers) by role. */
export const FILE_SYSTEMS = {
  /** CDC extracts of the OLTP tables, as landed by the ETL tier. */
  raw: "raw",
  /** Files prepared for loading (COPY INTO the pool's staging tables). */
  staging: "staging",
  /** Cleaned, conformed data; `curated/archive/` holds the long-term snapshots (the seed's cool storage). */
  curated: "curated",
  /** The Synapse workspace's own (default) file system. */
  synapse: "synapse",
  /** Vulnerability assessment scan results of the workspace's SQL. */
  vulnerabilityAssessment: "vulnerability-assessment",
} as const;
export type FileSystemRole = keyof typeof FILE_SYSTEMS;
/**
 * The file systems that hold the platform's data, which its readers (`lakeReaders`) read: not the workspace's own
 * file system, nor the SQL vulnerability assessment's scan results (security findings, for the security team).
 */
export const DATA_FILE_SYSTEMS: readonly FileSystemRole[] = ["raw", "staging", "curated"];

/** What each lifecycle rule applies to (`<file system>/<path prefix>`). */
export const LIFECYCLE_PREFIXES: Readonly<Record<LifecycleZone, string>> = {
  raw: `${FILE_SYSTEMS.raw}/`,
  archive: `${FILE_SYSTEMS.curated}/archive/`,
};

const after = (days: number | undefined) =>
  days === undefined ? undefined : { daysAfterModificationGreaterThan: days };

/**
 * Lifecycle management rules (one per zone) from the config's ages: block blobs move to cool, cold, archive and
 * are deleted `n` days after their last modification. The config has already checked that the steps are in order
 * and that the SKU offers every tier it names.
 */
export function lifecycleRules(lake: OlapConfig["lake"]): types.input.storage.ManagementPolicyRuleArgs[] {
  return LIFECYCLE_ZONES.map((zone) => {
    const r = lake.lifecycle[zone];
    const baseBlob: types.input.storage.ManagementPolicyBaseBlobArgs = Object.fromEntries(
      Object.entries({
        tierToCool: after(r.coolAfterDays),
        tierToCold: after(r.coldAfterDays),
        tierToArchive: after(r.archiveAfterDays),
        delete: after(r.deleteAfterDays),
      }).filter(([, v]) => v !== undefined),
    );
    return {
      name: `${zone}-tiering`,
      enabled: true,
      type: "Lifecycle",
      definition: {
        filters: { blobTypes: ["blockBlob"], prefixMatch: [LIFECYCLE_PREFIXES[zone]] },
        actions: { baseBlob },
      },
    };
  });
}

/**
 * Resource log categories of a dedicated SQL pool: requests, request steps, DMS workers, waits and the SQL
 * security audit. Azure Monitor lists them without category groups, so they are named one by one
 * (https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-synapse-workspaces-sqlpools-logs).
 */
export const POOL_LOG_CATEGORIES = [
  "SqlRequests",
  "RequestSteps",
  "ExecRequests",
  "DmsWorkers",
  "Waits",
  "SQLSecurityAuditEvents",
] as const;

/**
 * Resource log categories of the workspace: Synapse RBAC changes, gateway (control) API calls, serverless SQL
 * requests, pipeline runs and the SQL security audit of the workspace's SQL endpoints
 * (https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-synapse-workspaces-logs).
 */
export const WORKSPACE_LOG_CATEGORIES = [
  "SynapseRbacOperations",
  "GatewayApiRequests",
  "BuiltinSqlReqsEnded",
  "IntegrationPipelineRuns",
  "IntegrationActivityRuns",
  "IntegrationTriggerRuns",
  "SQLSecurityAuditEvents",
] as const;

/** A workload group with its classifier, as the pool declares them. */
export interface WorkloadGroupSpec {
  /** `etl` or `bi` (logical names). */
  readonly key: "etl" | "bi";
  /** Name in the pool (`sys.workload_management_workload_groups`). */
  readonly groupName: string;
  readonly minPercent: number;
  readonly capPercent: number;
  readonly requestMinPercent: number;
  readonly importance: string;
  readonly queryTimeoutSeconds: number;
  /** The classifier's MEMBERNAME: a database user or role, or an Entra login/group name. */
  readonly memberName: string | undefined;
  /** The classifier's name (`wc_<key>`): `ClassifierName` of the requests it classifies in the pool's logs. */
  readonly classifierName: string;
}

/**
 * The ETL group's classifier by the ETL identity's own database user. The OLAP query-time SLA leaves its requests
 * out (the nightly load runs long on purpose): SynapseSqlPoolExecRequests carries `ClassifierName`.
 */
export const ETL_CLASSIFIER = "wc_etl";

/**
 * The ETL group's classifier of `dbo`. Microsoft says it two ways: "for Azure Synapse workspaces the MI runs as dbo.
 * This cannot be changed. The dbo role, by default, is classified to smallrc. Creating a classifier for the dbo role
 * allows for assigning requests to a workload group other than smallrc"
 * (https://learn.microsoft.com/azure/synapse-analytics/sql-data-warehouse/sql-data-warehouse-workload-classification)
 * and "Azure Synapse workspaces adds MI to the dbo role. This can't be changed"
 * (https://learn.microsoft.com/sql/t-sql/statements/create-workload-classifier-transact-sql). Neither says whether
 * "the MI" is every managed identity or the workspace's own, nor which user a request of one is classified as. So
 * the pool classifies both ways: by `dbo` here and by the identity's own user (`wc_etl`,
 * Olap.classifyEtlIdentity); the loads land in the ETL group either way. A first-deploy check in docs/operations.md
 * says which, and what a managed identity in the dbo role means for the identities' least privilege. This one also
 * takes whatever else runs as `dbo` (the streaming loader's session, which its workload context takes to the
 * interactive group instead, below; the Entra admin group's sessions, if Azure classifies them at all: Microsoft's
 * troubleshooting page says administrative users stay in smallrc). None of them is a dashboard query, so the SLA
 * leaves them out too.
 */
export const ETL_DBO_CLASSIFIER = "wc_etl_dbo";

/**
 * The streaming loader's workload context and label: it sets `wlm_context` to this on its session before its inserts
 * (`sys.sp_set_session_context`, pipelines/functions/src/lib/synapse.ts) and labels each insert with it
 * (`OPTION (LABEL = …)`, streamTarget.ts, which the pool's logs show). Its inserts are small and have a 5-minute
 * freshness SLA: the classifier of `dbo` with this context puts them in the interactive group's guaranteed share and
 * importance, never behind the nightly load's copies. A classifier of `dbo` with a context outweighs one of `dbo`
 * alone (CREATE WORKLOAD CLASSIFIER, "Classification parameter weighting": WLM_CONTEXT adds 8). The context, not the
 * label: the driver sends each parameterised insert through sp_executesql, and no page says a label there is seen by
 * classification, while the context is the session's, set by a plain batch as Microsoft's example does.
 */
export const STREAM_LOAD_LABEL = "stream_load";
export const STREAM_LOAD_CLASSIFIER = "wc_stream_load";
/** The loader classified by its own database user, for a pool where it keeps its name (Olap.classifyStreamLoader). */
export const STREAM_LOADER_CLASSIFIER = "wc_stream_loader";

/** Classifiers whose requests are not dashboard or analyst queries: the OLAP query-time SLA leaves them out. */
export const NON_BI_CLASSIFIERS = [
  ETL_CLASSIFIER,
  ETL_DBO_CLASSIFIER,
  STREAM_LOAD_CLASSIFIER,
  STREAM_LOADER_CLASSIFIER,
] as const;

/** A classifier of requests running as `dbo` (managed identities in a workspace pool), optionally by workload context. */
export interface DboClassifierSpec {
  readonly key: "etl-dbo" | "stream-load";
  readonly classifierName: string;
  /** The workload group it puts the requests in (`wg_etl` or `wg_bi`). */
  readonly groupName: string;
  /** WLM_CONTEXT: only requests of sessions whose `wlm_context` is this. */
  readonly context: string | undefined;
  readonly importance: string;
}

/** The `dbo` classifiers: every managed identity's requests into the ETL group, the loader's session's into BI. */
export function dboClassifiers(w: OlapConfig["workloadIsolation"]): DboClassifierSpec[] {
  const [etl, bi] = workloadGroups(w);
  return [
    {
      key: "etl-dbo",
      classifierName: ETL_DBO_CLASSIFIER,
      groupName: etl.groupName,
      context: undefined,
      importance: etl.importance,
    },
    {
      key: "stream-load",
      classifierName: STREAM_LOAD_CLASSIFIER,
      groupName: bi.groupName,
      context: STREAM_LOAD_LABEL,
      importance: bi.importance,
    },
  ];
}

/**
 * The two workload groups: the nightly ETL load, capped so it cannot starve the dashboards, and BI/analyst
 * queries with a guaranteed share and high importance so dashboards stay under 5 s while the load runs
 * (https://learn.microsoft.com/azure/synapse-analytics/sql-data-warehouse/sql-data-warehouse-workload-isolation).
 * These classifiers name their member only: a classifier that also sets a label matches only the member's requests
 * that carry that label (CREATE WORKLOAD CLASSIFIER, "Classification parameter weighting"; Microsoft's example
 * "queries from the AdfLogin login that also have the OPTION LABEL set to factloads"), and neither the generated SQL
 * nor the dashboards label their statements. Managed identities may run as `dbo` in a workspace pool: the `dbo`
 * classifiers above (`dboClassifiers`; the streaming loader's by its session's workload context).
 */
export function workloadGroups(w: OlapConfig["workloadIsolation"]): WorkloadGroupSpec[] {
  return (["etl", "bi"] as const).map((key) => ({
    key,
    groupName: `wg_${key}`,
    minPercent: w[key].minPercent,
    capPercent: w[key].capPercent,
    requestMinPercent: w[key].requestMinPercent,
    importance: w[key].importance,
    queryTimeoutSeconds: w[key].queryTimeoutSeconds,
    memberName: w[key].memberName,
    classifierName: key === "etl" ? ETL_CLASSIFIER : `wc_${key}`,
  }));
}

/**
 * Actions of the least-privilege custom role that pauses and resumes dedicated pools (what the ETL tier's pause
 * schedule calls: `POST …/sqlPools/{pool}/pause|resume`, then polls the operation), instead of Contributor
 * (https://learn.microsoft.com/azure/synapse-analytics/sql/how-to-pause-resume-pipelines).
 */
export const POOL_OPERATOR_ACTIONS = [
  "Microsoft.Synapse/workspaces/sqlPools/read",
  "Microsoft.Synapse/workspaces/sqlPools/pause/action",
  "Microsoft.Synapse/workspaces/sqlPools/resume/action",
  "Microsoft.Synapse/workspaces/sqlPools/operationResults/read",
] as const;

/**
 * Audit action groups of the workspace's SQL: the default three only. "Auditing for Azure Synapse SQL pools supports
 * default audit action groups only" (azure-sql/database/auditing-overview, "Auditing limitations"); the OLTP set's
 * permission and principal groups would be refused or ignored. BATCH_COMPLETED_GROUP records every batch's text, so
 * the GRANT, ALTER ROLE and CREATE USER statements those groups name are audited all the same.
 */
export const SYNAPSE_AUDIT_ACTION_GROUPS = AUDIT_ACTION_GROUPS.filter((g) =>
  [
    "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP",
    "FAILED_DATABASE_AUTHENTICATION_GROUP",
    "BATCH_COMPLETED_GROUP",
  ].includes(g),
);

/** API version of the workspace's SQL security settings (the one azure-native 3.28 uses for Microsoft.Synapse). */
export const SYNAPSE_API_VERSION = "2021-06-01";

/** ARM type of a workspace's key (the reference to a Key Vault key, and the switch that activates it). */
export const WORKSPACE_KEY_TYPE = "Microsoft.Synapse/workspaces/keys";

/**
 * The ARM template that activates a workspace created with a customer-managed key and its system identity: a PUT of
 * `workspaces/keys/<keyName>` with `isActiveCMK` (what the portal's activation banner and
 * `New-AzSynapseWorkspaceKey -Activate` do), once the identity holds the key. An ARM deployment, because the
 * workspace creates that key object itself ("Pending"), and azure-native's `synapse.Key` (like its generic
 * `resources.Resource`) refuses to create a resource whose GET already answers 200 ("cannot create already
 * existing resource"). A constant template; the workspace and the key URL are parameters.
 */
export function keyActivationTemplate(keyName: string): Record<string, unknown> {
  return {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: { workspaceName: { type: "string" }, keyVaultUrl: { type: "string" } },
    resources: [
      {
        type: WORKSPACE_KEY_TYPE,
        apiVersion: SYNAPSE_API_VERSION,
        name: `[concat(parameters('workspaceName'), '/${keyName}')]`,
        properties: { isActiveCMK: true, keyVaultUrl: "[parameters('keyVaultUrl')]" },
      },
    ],
  };
}

/** ARM type of the workspace's SQL Entra administrator (one per workspace, named `activeDirectory`). */
export const WORKSPACE_SQL_ADMIN_TYPE = "Microsoft.Synapse/workspaces/sqlAdministrators";

/**
 * The ARM template that makes an Entra group the workspace's SQL administrator: a PUT of
 * `workspaces/sqlAdministrators/activeDirectory`. An ARM deployment, because Azure already sets that administrator
 * (to whoever created the workspace) during creation, and azure-native's `synapse.WorkspaceSqlAadAdmin` refuses to
 * create a resource whose GET answers 200 (its own documentation: "SQL AAD Admin is configured automatically during
 * workspace creation and assigned to the current user"; pulumi/pulumi-azure-native#877). A PUT replaces it. It must
 * follow activation: a workspace pending activation refuses it (WorkspaceActivationRequired). A constant template.
 */
export function sqlAdminTemplate(): Record<string, unknown> {
  return {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: {
      workspaceName: { type: "string" },
      login: { type: "string" },
      sid: { type: "string" },
      tenantId: { type: "string" },
    },
    resources: [
      {
        type: WORKSPACE_SQL_ADMIN_TYPE,
        apiVersion: SYNAPSE_API_VERSION,
        name: "[concat(parameters('workspaceName'), '/activeDirectory')]",
        properties: {
          administratorType: "ActiveDirectory",
          login: "[parameters('login')]",
          sid: "[parameters('sid')]",
          tenantId: "[parameters('tenantId')]",
        },
      },
    ],
  };
}

/** ARM resource types the SQL security template declares (the policy pack looks for them). */
export const SQL_SECURITY_TYPES = {
  auditing: "Microsoft.Synapse/workspaces/extendedAuditingSettings",
  alerts: "Microsoft.Synapse/workspaces/securityAlertPolicies",
  vulnerabilityAssessment: "Microsoft.Synapse/workspaces/vulnerabilityAssessments",
} as const;

/**
 * The ARM template of the workspace's SQL security settings, all three singletons of the workspace:
 *  - auditing (`extendedAuditingSettings/default`) to Azure Monitor, whose `SQLSecurityAuditEvents` the workspace's
 *    and the pool's diagnostic settings route to Log Analytics;
 *  - threat detection (`securityAlertPolicies/Default`), every alert on, to the on-call addresses;
 *  - vulnerability assessment (`vulnerabilityAssessments/default`, classic configuration: the express one, with no
 *    storage account, is in preview for Synapse workspaces in Defender's API, sql-azure-vulnerability-assessment-
 *    overview), recurring weekly scans written to the lake's `vulnerability-assessment` file system with the
 *    workspace identity (Storage Blob Data Contributor), no SAS or account key.
 * azure-native 3.28 has no class for the first two, and its generic `resources.Resource` refuses to create a
 * resource whose GET already answers 200, which these singletons always do ("cannot create already existing
 * resource"); an ARM deployment PUTs them like the portal does. Parameters carry the values known only at deploy
 * time, so the template itself is a constant.
 */
export function sqlSecurityTemplate(): Record<string, unknown> {
  const ws = "[parameters('workspaceName')]";
  return {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: {
      workspaceName: { type: "string" },
      alertEmails: { type: "array" },
      scanResultsPath: { type: "string" },
    },
    resources: [
      {
        type: SQL_SECURITY_TYPES.auditing,
        apiVersion: SYNAPSE_API_VERSION,
        name: `[concat(parameters('workspaceName'), '/default')]`,
        properties: {
          state: "Enabled",
          isAzureMonitorTargetEnabled: true,
          // No isDevopsAuditEnabled: its events reach Azure Monitor only through a `DevOpsOperationsAudit` diagnostic
          // category, which neither Synapse workspaces nor their SQL pools offer (Azure Monitor supported-logs pages
          // microsoft-synapse-workspaces-logs and -sqlpools-logs), so the flag would audit nothing
          // (docs/operations.md, "SQL auditing").
          auditActionsAndGroups: [...SYNAPSE_AUDIT_ACTION_GROUPS],
        },
      },
      {
        type: SQL_SECURITY_TYPES.alerts,
        apiVersion: SYNAPSE_API_VERSION,
        name: `[concat(parameters('workspaceName'), '/Default')]`,
        dependsOn: [`[resourceId('${SQL_SECURITY_TYPES.auditing}', ${ws.slice(1, -1)}, 'default')]`],
        properties: {
          state: "Enabled",
          disabledAlerts: [],
          emailAccountAdmins: true,
          emailAddresses: "[parameters('alertEmails')]",
        },
      },
      {
        type: SQL_SECURITY_TYPES.vulnerabilityAssessment,
        apiVersion: SYNAPSE_API_VERSION,
        name: `[concat(parameters('workspaceName'), '/default')]`,
        dependsOn: [`[resourceId('${SQL_SECURITY_TYPES.alerts}', ${ws.slice(1, -1)}, 'Default')]`],
        properties: {
          storageContainerPath: "[parameters('scanResultsPath')]",
          recurringScans: { isEnabled: true, emailSubscriptionAdmins: true, emails: "[parameters('alertEmails')]" },
        },
      },
    ],
  };
}
