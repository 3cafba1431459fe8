/**
 * Microsoft Sentinel on the central workspace: onboarding (onboardingStates/default, API 2024-09-01), the Defender
 * for Cloud alerts connector, and scheduled analytics rules for the threats that matter to card data. Azure Activity
 * has no connector resource: it is the subscription's activity log sent to the workspace (governance.ts), so the
 * rule that reads it exists only where that setting sends to this workspace. Every Sentinel child waits for the
 * onboarding ("Workspace … is not onboarded to Microsoft Sentinel" otherwise; Azure/azure-quickstart-templates#14256).
 * Onboarding also installs the built-in Fusion rule; none of ours is named like it. The Defender for Cloud connector
 * needs at least one Defender plan on the subscription (Learn, "Ingest Microsoft Defender for Cloud subscription-based
 * alerts", Prerequisites): it waits for the plans it is given.
 * The rules themselves, and why each reads its table through a fuzzy union, are in detections.ts.
 */
import * as securityinsights from "@pulumi/azure-native/securityinsights";
import * as pulumi from "@pulumi/pulumi";
import { uuidv5 } from "../../lib/uuid";
import { analyticsRules, type SentinelSources } from "./detections";
import { DEPLOYERS_TOKEN, PACKAGE_WRITER_ROLES_TOKEN } from "./watched";

export * from "./kql";
export * from "./detections";
export * from "./watched";

export interface SentinelArgs {
  readonly workspaceName: pulumi.Input<string>;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly subscriptionId: pulumi.Input<string>;
  readonly sources: SentinelSources;
  /** Stable seed for rule ids (stack + workspace logical name). */
  readonly idSeed: string;
  /** What must exist before the rules (the diagnostic settings that create their tables). */
  readonly after?: readonly pulumi.Resource[];
  /** The subscription's Defender for Cloud plans, where this stack sets them: the connector needs one enabled. */
  readonly defenderPlans?: readonly pulumi.Resource[];
  /** The package writer roles (`sources.functionPackages`): their grants are the ships the package rule allows. */
  readonly packageWriterRoleIds?: readonly pulumi.Input<string>[];
  /** The deploy identity's object id (`sources.packageWriterGrants`): the only one that grants the writer roles. */
  readonly deployPrincipals?: readonly pulumi.Input<string>[];
}

/**
 * A rule's query with the stack's ids in place of its tokens (pure): the package writer roles' GUIDs for
 * PACKAGE_WRITER_ROLES_TOKEN, the deploy identity's ids for DEPLOYERS_TOKEN, each quoted and comma-separated.
 */
export function withStackIds(query: string, roleIds: readonly string[], deployers: readonly string[] = []): string {
  let out = query;
  if (out.includes(PACKAGE_WRITER_ROLES_TOKEN)) {
    const guids = roleIds.map((id) => (id.split("/").pop() ?? "").toLowerCase());
    if (guids.length === 0 || guids.some((g) => !/^[0-9a-f-]{36}$/.test(g)))
      throw new Error(`the package rules need the package writer roles' ids, got ${JSON.stringify(roleIds)}`);
    out = out.replace(PACKAGE_WRITER_ROLES_TOKEN, guids.map((g) => `"${g}"`).join(", "));
  }
  if (out.includes(DEPLOYERS_TOKEN)) {
    if (deployers.length === 0 || deployers.some((d) => !/^[0-9A-Za-z-]+$/.test(d)))
      throw new Error(
        `the package writer grant rule needs the deploy identity's ids, got ${JSON.stringify(deployers)}`,
      );
    out = out.replace(DEPLOYERS_TOKEN, deployers.map((d) => `"${d.toLowerCase()}"`).join(", "));
  }
  return out;
}

/**
 * Creates `${name}-sentinel`, `${name}-sentinel-defender`, `${name}-rule-<key>` and `${name}-rule-defender-incidents`,
 * children of `parent`.
 */
export function sentinel(name: string, args: SentinelArgs, parent: pulumi.Resource) {
  const onboarding = new securityinsights.SentinelOnboardingState(
    `${name}-sentinel`,
    {
      resourceGroupName: args.resourceGroupName,
      workspaceName: args.workspaceName,
      sentinelOnboardingStateName: "default",
    },
    { parent },
  );
  const defender = new securityinsights.ASCDataConnector(
    `${name}-sentinel-defender`,
    {
      kind: "AzureSecurityCenter",
      dataConnectorId: uuidv5(`${args.idSeed}/sentinel/defender-for-cloud`),
      resourceGroupName: args.resourceGroupName,
      workspaceName: args.workspaceName,
      subscriptionId: args.subscriptionId,
      dataTypes: { alerts: { state: securityinsights.DataTypeState.Enabled } },
    },
    { parent, dependsOn: [onboarding, ...(args.defenderPlans ?? [])] },
  );
  const rules = analyticsRules(args.sources).map(
    (rule) =>
      new securityinsights.ScheduledAlertRule(
        `${name}-rule-${rule.key}`,
        {
          kind: "Scheduled",
          ruleId: uuidv5(`${args.idSeed}/sentinel/${rule.key}`),
          resourceGroupName: args.resourceGroupName,
          workspaceName: args.workspaceName,
          displayName: rule.displayName,
          description: rule.description,
          enabled: true,
          severity: rule.severity,
          query:
            rule.query.includes(PACKAGE_WRITER_ROLES_TOKEN) || rule.query.includes(DEPLOYERS_TOKEN)
              ? pulumi
                  .all([
                    pulumi.all([...(args.packageWriterRoleIds ?? [])]),
                    pulumi.all([...(args.deployPrincipals ?? [])]),
                  ])
                  .apply(([ids, deployers]) => withStackIds(rule.query, ids, deployers))
              : rule.query,
          queryFrequency: rule.queryFrequency,
          queryPeriod: rule.queryPeriod,
          triggerOperator: securityinsights.TriggerOperator.GreaterThan,
          triggerThreshold: 0,
          suppressionEnabled: false,
          suppressionDuration: "PT1H",
          tactics: [...rule.tactics],
          techniques: [...rule.techniques],
          entityMappings: rule.entities.map((e) => ({
            entityType: e.type,
            fieldMappings: [{ identifier: e.identifier, columnName: e.column }],
          })),
          incidentConfiguration: {
            createIncident: true,
            groupingConfiguration: {
              enabled: true,
              reopenClosedIncident: false,
              lookbackDuration: "PT5H",
              matchingMethod: securityinsights.MatchingMethod.AllEntities,
            },
          },
        },
        { parent, dependsOn: [onboarding, ...(args.after ?? [])] },
      ),
  );
  // The connector only brings Defender for Cloud's alerts into SecurityAlert; a Microsoft incident creation rule makes
  // incidents of them, so they reach security operations beside the rules' (Learn, "Automatically create incidents
  // from Microsoft security alerts"). High and medium only: low and informational alerts stay in Defender for Cloud.
  const defenderIncidents = new securityinsights.MicrosoftSecurityIncidentCreationAlertRule(
    `${name}-rule-defender-incidents`,
    {
      kind: "MicrosoftSecurityIncidentCreation",
      ruleId: uuidv5(`${args.idSeed}/sentinel/defender-incidents`),
      resourceGroupName: args.resourceGroupName,
      workspaceName: args.workspaceName,
      displayName: "Incidents from Microsoft Defender for Cloud alerts (high and medium)",
      description: "Creates a Sentinel incident for each high or medium severity Defender for Cloud alert.",
      enabled: true,
      productFilter: securityinsights.MicrosoftSecurityProductName.Azure_Security_Center,
      severitiesFilter: [securityinsights.AlertSeverity.High, securityinsights.AlertSeverity.Medium],
    },
    // Connecting Defender XDR (and the move of Sentinel to the Defender portal, where Microsoft incident creation
    // rules are not supported) turns this rule off (learn.microsoft.com/azure/sentinel/microsoft-365-defender-sentinel-integration):
    // Azure's `enabled: false` is then kept, neither reported by the nightly drift check nor switched back on by the
    // next `up`, which would duplicate the incidents Defender XDR raises (docs/operations.md).
    { parent, dependsOn: [onboarding, defender], ignoreChanges: ["enabled"] },
  );
  return { onboarding, defender, rules, defenderIncidents };
}
