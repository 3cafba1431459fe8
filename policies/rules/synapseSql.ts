/**
 * The SQL security of Synapse workspaces and the durability of their dedicated pools: SQL auditing to Azure Monitor
 * (PCI DSS 10.2), threat detection (11.5, 10.7) and vulnerability assessment with recurring scans (11.3, 6.3) on
 * every workspace, and geo-backups of every dedicated pool in production (12.10.1; GDPR 32(1)(c)).
 *
 * azure-native v3 has no class for Synapse auditing or threat detection, so a program declares these workspace
 * singletons in an ARM deployment (`azure-native:resources:Deployment`, see components/olap/settings.ts). A stack
 * policy sees a deployment's outputs, which carry no template (the engine's, during a preview too): the stack rules
 * count a deployment targeting the workspace whose `synapse-sql-security` tag claims the setting, or the typed
 * vulnerability assessment class; the resource rule `synapseSqlSecurityDeclared`, which sees the deployment's inputs, checks that its template declares every
 * claimed setting, unconditionally, and that every such entry complies.
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import type * as synapse from "@pulumi/azure-native/synapse";
import { ofType, refersTo, requirePlaced, resourcePolicy, stackPolicy, type RuleMetadata } from "../lib/policy";
import { isProdStack, prodStacksKnob } from "../lib/scope";
import {
  claimedSettings,
  namesWorkspaceParameter,
  requireKnownTemplate,
  SYNAPSE_SQL_SECURITY_SETTINGS,
  SYNAPSE_SQL_SECURITY_TAG,
  templateResources,
  type SynapseSqlSecuritySetting,
} from "../lib/templates";
import { presence, requireKnown, safeGet, sameText, show, valueAt, who } from "../lib/values";

const WORKSPACE = "azure-native:synapse:Workspace";
const DEPLOYMENT = "azure-native:resources:Deployment";
const TYPED_VA = "azure-native:synapse:WorkspaceManagedSqlServerVulnerabilityAssessment";
const DOCS = "https://learn.microsoft.com/azure/synapse-analytics";

/** Re-exported for the rule's tests: the reader lives in policies/lib/templates.ts. */
export { templateResources };

/**
 * True when the deployment targets `workspace`: its `workspaceName` parameter names it. When the parameter or the
 * workspace's name is unknown during preview (or the template takes no such parameter), the engine's property
 * dependency of `properties` on the workspace decides. A known parameter naming another workspace wins over that
 * dependency (another output of this workspace, e.g. its identity, may flow into a deployment for another one),
 * and the workspace's id appearing somewhere in the properties (e.g. a pool's id, which starts with it) does not
 * count.
 */
function deploymentTargets(deployment: PolicyResource, workspace: PolicyResource): boolean {
  const path = ["properties", "parameters", "workspaceName", "value"];
  const param = presence(deployment.props, ...path) === "set" ? valueAt(deployment.props, ...path) : undefined;
  const name = safeGet(workspace.props, "workspaceName") ?? safeGet(workspace.props, "name");
  if (typeof param === "string" && typeof name === "string") return sameText(param, name);
  return (deployment.propertyDependencies["properties"] ?? []).some((d) => d.urn === workspace.urn);
}

/** One workspace SQL setting the stack rule looks for. */
interface WorkspaceSetting {
  /** Its word in the deployment's `synapse-sql-security` tag. */
  readonly key: SynapseSqlSecuritySetting;
  /** What the setting is, for messages (e.g. `SQL auditing`). */
  readonly what: string;
  /** ARM type in a deployment's template, e.g. `Microsoft.Synapse/workspaces/securityAlertPolicies`. */
  readonly armTypes: readonly string[];
  /** Undefined when the declared properties are compliant, else what is wrong. */
  readonly problem: (properties: Record<string, unknown>) => string | undefined;
  /** What a missing setting's message tells the reader to add. */
  readonly remedy: string;
}

/** The settings of the stack rules below, for the resource rule that checks deployments against their tag. */
const SETTINGS: WorkspaceSetting[] = [];

/**
 * A stack rule: every Synapse workspace has `setting` claimed by the tag of an ARM deployment targeting it, or
 * declared by compliant `typed` resources.
 */
function workspaceSettingPolicy(
  meta: RuleMetadata,
  setting: WorkspaceSetting,
  typed?: { readonly type: string; readonly problem: (props: Record<string, unknown>) => string | undefined },
) {
  SETTINGS.push(setting);
  return stackPolicy(meta, (args, report) => {
    const workspaces = ofType(args.resources, WORKSPACE);
    if (workspaces.length === 0) args.notApplicable("the stack has no Synapse workspaces");
    const deployments = ofType(args.resources, DEPLOYMENT);
    const typedOn = (r: PolicyResource, ws: PolicyResource) =>
      refersTo(r, ws, { properties: ["workspaceName"], byName: { nameKeys: ["workspaceName"] } });
    // A typed declaration this rule cannot tie to a workspace yet may be a weaker one overwriting a good setting.
    if (typed)
      requirePlaced(
        ofType(args.resources, typed.type),
        (r) => workspaces.some((ws) => typedOn(r, ws)),
        "workspaceName",
      );
    for (const ws of workspaces) {
      // The claim is checked against the template by synapseSqlSecurityDeclared, which sees the deployment's inputs
      // (the outputs a stack rule sees carry no template).
      const claimed = deployments.some((d) => deploymentTargets(d, ws) && claimedSettings(d).includes(setting.key));
      // Every declaration writes the same singleton, so each must be compliant: a weaker typed one next to the
      // deployment would overwrite the good one.
      const typedProblems = typed
        ? ofType(args.resources, typed.type)
            .filter((r) => typedOn(r, ws))
            .map((r) => typed.problem(r.props as Record<string, unknown>))
        : [];
      const problems = typedProblems.filter((p): p is string => p !== undefined);
      if ((claimed || typedProblems.length > 0) && problems.length === 0) continue;
      report(
        problems.length > 0
          ? `${who(ws)} ${problems.join("; ")}.`
          : `${who(ws)} has no ${setting.what}: ${setting.remedy}`,
        ws.urn,
      );
    }
  });
}

export const synapseAuditing = workspaceSettingPolicy(
  {
    name: "azure-native-synapse-workspace-require-sql-auditing",
    description:
      "Every Synapse workspace audits its SQL (logins, failed logins, every batch) to Azure Monitor, whose diagnostic settings keep the events in Log Analytics.",
    severity: "high",
    pci: ["10.2.1", "10.2.1.1", "10.2.1.2", "10.2.1.4"],
    gdpr: ["5(2)", "32(1)(b)"],
    soc2: ["CC7.2"],
    service: "synapse",
    remediationSteps:
      'Declare `Microsoft.Synapse/workspaces/extendedAuditingSettings` "default" with `state: "Enabled"`, `isAzureMonitorTargetEnabled: true` and the audit action groups (an ARM deployment, `resources.Deployment`, with `parameters.workspaceName` = the workspace and the tag `synapse-sql-security` naming `auditing`: stack policies see the tags of a deployment, never its template), and route `SQLSecurityAuditEvents` with a diagnostic setting.',
    url: `${DOCS}/sql/audit-logs`,
  },
  {
    key: "auditing",
    what: "SQL auditing",
    armTypes: [
      "Microsoft.Synapse/workspaces/extendedAuditingSettings",
      "Microsoft.Synapse/workspaces/auditingSettings",
    ],
    problem: (p) => {
      if (!sameText(p.state, "Enabled")) return `has SQL auditing ${show(p.state)}: set state to "Enabled"`;
      if (p.isAzureMonitorTargetEnabled !== true)
        return "audits to no Azure Monitor target: set isAzureMonitorTargetEnabled to true";
      // Compared case-insensitively, as the SQL auditing rule does (the service takes any case).
      const groups = Array.isArray(p.auditActionsAndGroups)
        ? p.auditActionsAndGroups.map((g) => String(g).toUpperCase())
        : [];
      const missing = [
        "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP",
        "FAILED_DATABASE_AUTHENTICATION_GROUP",
        "BATCH_COMPLETED_GROUP",
      ].filter((g) => !groups.includes(g));
      // auditActionsAndGroups absent = the service default, which is these three.
      return groups.length > 0 && missing.length > 0
        ? `does not audit ${missing.join(", ")}: add them to auditActionsAndGroups`
        : undefined;
    },
    remedy:
      'add Microsoft.Synapse/workspaces/extendedAuditingSettings "default" with state "Enabled" and isAzureMonitorTargetEnabled true (an ARM deployment whose workspaceName parameter is this workspace, its synapse-sql-security tag naming the setting).',
  },
);

export const synapseThreatDetection = workspaceSettingPolicy(
  {
    name: "azure-native-synapse-workspace-require-threat-detection",
    description:
      "Every Synapse workspace has Microsoft Defender for SQL threat detection on, with every alert type enabled and e-mailed.",
    severity: "high",
    pci: ["10.7.2", "11.5.1"],
    gdpr: ["32(1)(d)", "33"],
    soc2: ["CC7.2", "CC7.3"],
    service: "synapse",
    remediationSteps:
      'Declare `Microsoft.Synapse/workspaces/securityAlertPolicies` "Default" with `state: "Enabled"`, `disabledAlerts: []` and `emailAddresses` (an ARM deployment whose `workspaceName` parameter is the workspace, tagged `synapse-sql-security` naming `threat-detection`).',
    url: `${DOCS}/sql/threat-detection-overview`,
  },
  {
    key: "threat-detection",
    what: "threat detection",
    armTypes: ["Microsoft.Synapse/workspaces/securityAlertPolicies"],
    problem: (p) => {
      if (!sameText(p.state, "Enabled")) return `has threat detection ${show(p.state)}: set state to "Enabled"`;
      const disabled = Array.isArray(p.disabledAlerts) ? p.disabledAlerts.filter((a) => String(a).length > 0) : [];
      if (disabled.length > 0) return `disables threat alerts ${disabled.join(", ")}: set disabledAlerts to []`;
      // An ARM expression (a parameter) counts as addresses; an empty or absent list with admins off mails nobody.
      const emails = p.emailAddresses;
      const nobody =
        p.emailAccountAdmins !== true &&
        (emails === undefined || (Array.isArray(emails) && emails.filter((e) => String(e).length > 0).length === 0));
      return nobody
        ? "e-mails its threat alerts to nobody: set emailAddresses or emailAccountAdmins to true"
        : undefined;
    },
    remedy:
      'add Microsoft.Synapse/workspaces/securityAlertPolicies "Default" with state "Enabled" (an ARM deployment whose workspaceName parameter is this workspace, its synapse-sql-security tag naming the setting).',
  },
);

const vaProblem = (p: Record<string, unknown>): string | undefined => {
  if (valueAt(p, "recurringScans", "isEnabled") !== true)
    return "runs no recurring vulnerability scans: set recurringScans.isEnabled to true";
  if (presence(p, "storageAccountAccessKey") !== "absent" || presence(p, "storageContainerSasKey") !== "absent")
    return "gives vulnerability assessment a storage key or SAS: remove it and grant the workspace identity Storage Blob Data Contributor instead";
  return undefined;
};

export const synapseVulnerabilityAssessment = workspaceSettingPolicy(
  {
    name: "azure-native-synapse-workspace-require-vulnerability-assessment",
    description:
      "Every Synapse workspace scans its SQL for vulnerabilities on a recurring schedule, without storage keys or SAS tokens.",
    severity: "high",
    pci: ["6.3.1", "11.3.1"],
    gdpr: ["32(1)(d)"],
    soc2: ["CC7.1"],
    service: "synapse",
    remediationSteps:
      'Declare `Microsoft.Synapse/workspaces/vulnerabilityAssessments` "default" (or `synapse.WorkspaceManagedSqlServerVulnerabilityAssessment`) with `storageContainerPath` on a private container the workspace identity can write, `recurringScans.isEnabled: true`, and no `storageAccountAccessKey`/`storageContainerSasKey` (a deployment tagged `synapse-sql-security` naming `vulnerability-assessment`).',
    url: "https://learn.microsoft.com/azure/defender-for-cloud/sql-azure-vulnerability-assessment-overview",
  },
  {
    key: "vulnerability-assessment",
    what: "vulnerability assessment",
    armTypes: ["Microsoft.Synapse/workspaces/vulnerabilityAssessments"],
    problem: vaProblem,
    remedy:
      'add Microsoft.Synapse/workspaces/vulnerabilityAssessments "default" with recurringScans.isEnabled true (an ARM deployment tagged synapse-sql-security: vulnerability-assessment, or synapse.WorkspaceManagedSqlServerVulnerabilityAssessment).',
  },
  { type: TYPED_VA, problem: vaProblem },
);

export const synapseSqlSecurityDeclared = resourcePolicy(
  {
    name: "azure-native-resources-deployment-require-declared-synapse-sql-security",
    description: `Every ARM deployment that declares Synapse workspace SQL security (auditing, threat detection, vulnerability assessment) declares it compliant, and its \`${SYNAPSE_SQL_SECURITY_TAG}\` tag, which the workspace rules read, claims only settings its template declares for that workspace with no condition, or one that evaluates to true. The workspace rules trust the tag: keep this rule mandatory.`,
    severity: "high",
    pci: ["10.2.1", "11.3.1", "11.5.1"],
    gdpr: ["32(1)(d)"],
    soc2: ["CC7.2"],
    service: "synapse",
    remediationSteps: `Declare each claimed setting in the template, named for the workspaceName parameter, without a condition (or one that evaluates to true), compliant as the workspace rules describe; set the tag \`${SYNAPSE_SQL_SECURITY_TAG}\` to the settings it declares (${SYNAPSE_SQL_SECURITY_SETTINGS.join(", ")}), comma-separated.`,
    url: `${DOCS}/sql/audit-logs`,
  },
  DEPLOYMENT,
  (props, args, report) => {
    const inputs = props as Record<string, unknown>;
    const claims = claimedSettings({ props: inputs });
    // A claim is checked against the whole template: part of it unknown during preview, the rule can't run yet.
    if (claims.length > 0) requireKnownTemplate(inputs);
    const entries = templateResources({ props: inputs });
    const ofSetting = (s: WorkspaceSetting) => entries.filter((r) => s.armTypes.some((t) => sameText(r.type, t)));
    if (claims.length === 0 && SETTINGS.every((s) => ofSetting(s).length === 0)) {
      args.notApplicable("the deployment declares no Synapse SQL security and claims none");
    }
    const unknownClaims = claims.filter((c) => !(SYNAPSE_SQL_SECURITY_SETTINGS as readonly string[]).includes(c));
    if (unknownClaims.length > 0) {
      report(
        `${who(args)} has ${SYNAPSE_SQL_SECURITY_TAG} ${show(unknownClaims.join(","))}: the settings are ${SYNAPSE_SQL_SECURITY_SETTINGS.join(", ")}.`,
      );
    }
    for (const setting of SETTINGS) {
      const declared = ofSetting(setting);
      for (const r of declared) {
        const problem = setting.problem(r.properties);
        if (problem !== undefined) report(`${who(args)} declares ${setting.what} that ${problem}.`);
      }
      if (!claims.includes(setting.key)) continue;
      // The workspace rules tie the deployment to a workspace by its workspaceName parameter: the claimed entry
      // must be that workspace's child, not another one's.
      const forWorkspace = declared.filter((r) => namesWorkspaceParameter(r.name, inputs));
      if (!forWorkspace.some((r) => r.deployed === true)) {
        report(
          forWorkspace.length > 0
            ? `${who(args)} claims ${setting.what} (${SYNAPSE_SQL_SECURITY_TAG}) but declares it only under a condition the pack cannot evaluate (${forWorkspace.map((r) => r.condition ?? "").join(", ")}): make the entry unconditional.`
            : declared.length > 0
              ? `${who(args)} claims ${setting.what} (${SYNAPSE_SQL_SECURITY_TAG}) but its template declares it for another workspace (${declared.map((r) => r.name).join(", ")}): name the entry [concat(parameters('workspaceName'), '/default')].`
              : `${who(args)} claims ${setting.what} (${SYNAPSE_SQL_SECURITY_TAG}) but its template does not declare it: ${setting.remedy}`,
        );
      }
    }
  },
);

export const synapseVaStorageKeys = resourcePolicy(
  {
    name: "azure-native-synapse-vulnerabilityassessment-disallow-storage-keys",
    description:
      "A Synapse workspace's typed vulnerability assessment writes its scans with the workspace identity, never with a storage account key or SAS token (write-only inputs, which no stack rule can see in the outputs).",
    severity: "high",
    pci: ["8.3.2", "8.6.2"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "synapse",
    remediationSteps:
      "Remove `storageAccountAccessKey` and `storageContainerSasKey`, and grant the workspace identity Storage Blob Data Contributor on the scan container instead.",
    url: "https://learn.microsoft.com/azure/azure-sql/database/sql-database-vulnerability-assessment-storage",
  },
  TYPED_VA,
  (props, args, report) => {
    const keys = ["storageAccountAccessKey", "storageContainerSasKey"].filter((k) => presence(props, k) !== "absent");
    if (keys.length > 0) {
      report(
        `${who(args)} gives vulnerability assessment ${keys.join(" and ")}: remove it and grant the workspace identity Storage Blob Data Contributor instead.`,
      );
    }
  },
);

export const synapsePoolGeoBackup = resourcePolicy<synapse.SqlPoolArgs>(
  {
    name: "azure-native-synapse-sqlpool-require-geo-backup",
    description:
      "Every dedicated SQL pool in a production stack keeps geo-backups (GRS backup storage), so it can be restored in the paired region after a regional outage.",
    severity: "high",
    pci: ["12.10.1"],
    gdpr: ["32(1)(b)", "32(1)(c)"],
    soc2: ["A1.2", "A1.3"],
    service: "synapse",
    remediationSteps:
      'Set `storageAccountType: "GRS"` on the pool (create-only) in production stacks; the pair of an EU region stays in the EU (westeurope/northeurope).',
    url: `${DOCS}/sql-data-warehouse/backup-and-restore#geo-backups-and-disaster-recovery`,
    config: { prodStacks: prodStacksKnob("Stacks whose dedicated pools must keep geo-backups.") },
  },
  "azure-native:synapse:SqlPool",
  (props, args, report) => {
    if (!isProdStack(args)) args.notApplicable("not a production stack (prodStacks)");
    // Absent ⇒ violation: the evidence an assessor needs is the explicit GRS choice.
    if (presence(props, "storageAccountType") === "unknown") requireKnown(props, "storageAccountType");
    if (!sameText(props.storageAccountType, "GRS")) {
      report(
        `${who(args)} keeps no geo-backups (storageAccountType ${show(props.storageAccountType)}): set storageAccountType to "GRS".`,
      );
    }
  },
);

export const synapseSqlPolicies: Policies = [
  synapseAuditing,
  synapseThreatDetection,
  synapseVulnerabilityAssessment,
  synapseSqlSecurityDeclared,
  synapseVaStorageKeys,
  synapsePoolGeoBackup,
];
