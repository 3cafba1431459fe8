/**
 * Operations rules: Sentinel on the production workspace, and the subscription governance a stack owns (the activity
 * log, Defender plans, the PCI DSS initiative).
 */
import type { StackValidationArgs } from "@pulumi/policy";
import { ofType, POLICY_ASSIGNMENT_TYPE, refersTo, stackOfUrn, stackPolicy, stringListKnob } from "../../lib/policy";
import { DEFENDER_DEPLOYMENT_NAMES } from "../general";
import { scopeKind } from "../authorization";
import { prodStacksKnob } from "../../lib/scope";
import { presence, requireKnown, sameText, valueAt, who } from "../../lib/values";
import { SENTINEL, SUBSCRIPTION_DIAGNOSTIC_SETTING, WORKSPACE } from "./shared";

export const prodSentinel = stackPolicy(
  {
    name: "azure-native-operationalinsights-workspace-require-sentinel-in-prod",
    description:
      "In production stacks, the Log Analytics workspace that receives the audit logs runs Microsoft Sentinel (onboardingStates/default), so security events of the cardholder data environment are analysed and raise incidents.",
    severity: "high",
    pci: ["10.4.1", "10.4.1.1", "12.10.1"],
    gdpr: ["32(1)(d)", "33"],
    soc2: ["CC7.2"],
    service: "monitor",
    remediationSteps:
      'Set `operations.sentinel: true` in the prod stack (the operations tier adds `securityinsights.SentinelOnboardingState` "default" on the workspace with the analytics rules).',
    url: "https://learn.microsoft.com/azure/sentinel/quickstart-onboard",
    config: { prodStacks: prodStacksKnob() },
  },
  (args, report) => {
    const { prodStacks } = args.getConfig<{ prodStacks: string[] }>();
    const workspaces = ofType(args.resources, WORKSPACE).filter((w) => prodStacks.includes(stackOfUrn(w.urn)));
    if (workspaces.length === 0) args.notApplicable("no Log Analytics workspace in a production stack");
    const onboardings = ofType(args.resources, SENTINEL);
    for (const ws of workspaces) {
      // By name, in the same resource group where both are known (workspace names are unique per group only).
      const onboarded = onboardings.some((o) =>
        refersTo(o, ws, {
          properties: ["workspaceName"],
          byName: { nameKeys: ["workspaceName"], siblingKeys: ["resourceGroupName"] },
        }),
      );
      if (!onboarded) {
        report(
          `${who(ws)} is a production workspace without Microsoft Sentinel: onboard it (securityinsights.SentinelOnboardingState "default" with workspaceName set to it; operations.sentinel: true).`,
          ws.urn,
        );
      }
    }
  },
);

/** The stacks that own their subscription's governance pieces (the program's `operations.subscriptionGovernance`). */
const governanceStacksKnob = stringListKnob(
  "Stacks (the stack segment of the URN) that own their subscription's activity log export and PCI DSS initiative; a stack whose security team owns them elsewhere is left out (with the reason in its policy config).",
  ["prod"],
);

/** The governance stacks among the stack's resources, or not applicable. */
function governanceStack(args: StackValidationArgs): string {
  const { governanceStacks } = args.getConfig<{ governanceStacks: string[] }>();
  const stack = args.resources.map((r) => stackOfUrn(r.urn)).find((s) => governanceStacks.includes(s));
  if (stack === undefined) args.notApplicable("not a stack listed in governanceStacks");
  return stack as string;
}

export const governanceActivityLog = stackPolicy(
  {
    name: "azure-native-monitor-subscriptiondiagnosticsetting-missing-in-governance-stack",
    description:
      "A stack that owns its subscription's governance exports the subscription's activity log to a Log Analytics workspace (a SubscriptionDiagnosticSetting with a workspace), so turning the export off is a reviewed policy exception, not a config flip.",
    severity: "high",
    pci: ["10.2.1.2", "10.2.2", "10.5.1"],
    gdpr: ["5(2)", "32(1)(b)"],
    soc2: ["CC7.2"],
    service: "monitor",
    remediationSteps:
      "Keep `operations.subscriptionGovernance: true` in the stack (the operations tier adds `monitor.SubscriptionDiagnosticSetting` to the workspace), or, where the security team exports the activity log centrally, remove the stack from `governanceStacks` in its policy config with the reason.",
    url: "https://learn.microsoft.com/azure/azure-monitor/platform/activity-log",
    config: { governanceStacks: governanceStacksKnob },
  },
  (args, report) => {
    const stack = governanceStack(args);
    const exports = ofType(args.resources, SUBSCRIPTION_DIAGNOSTIC_SETTING).filter(
      (d) => presence(d.props, "workspaceId") !== "absent",
    );
    if (exports.length === 0) {
      report(
        `stack '${stack}' owns its subscription's governance but exports no activity log to a workspace: add a SubscriptionDiagnosticSetting with workspaceId (operations.subscriptionGovernance: true).`,
      );
    }
  },
);

const SUBSCRIPTION_DEPLOYMENT = "azure-native:resources:DeploymentAtSubscriptionScope";

export const governanceDefenderPlans = stackPolicy(
  {
    name: "azure-native-resources-deploymentatsubscriptionscope-missing-for-defender-plans",
    description:
      "A stack that owns its subscription's governance sets the Defender for Cloud plans (its subscription deployment of them): Defender for SQL is what runs the SQL servers' vulnerability assessment and threat detection here (no server declares its own assessment), so a stack without it would leave them unscanned with every rule green. The template's plans are held to Standard, with the required ones present, by `…-deployment-require-defender-standard-plans`.",
    severity: "high",
    pci: ["11.3.1", "11.5.1"],
    gdpr: ["32(1)(d)"],
    soc2: ["CC7.1"],
    service: "general",
    remediationSteps:
      "Keep `operations.subscriptionGovernance: true` (the operations tier deploys `defender-for-cloud-plans` at the subscription), or, where the security team sets the plans centrally, remove the stack from `governanceStacks` in its policy config with the reason.",
    url: "https://learn.microsoft.com/azure/defender-for-cloud/sql-azure-vulnerability-assessment-overview",
    config: {
      governanceStacks: governanceStacksKnob,
      deploymentNames: stringListKnob(
        "Names of the subscription deployments that set the Defender plans.",
        DEFENDER_DEPLOYMENT_NAMES,
      ),
    },
  },
  (args, report) => {
    const stack = governanceStack(args);
    const { deploymentNames } = args.getConfig<{ deploymentNames: string[] }>();
    // The deployment's Azure name: its `name` output (the `deploymentName` input where a view carries inputs).
    const deployments = ofType(args.resources, SUBSCRIPTION_DEPLOYMENT);
    const found = deployments.some((d) =>
      [valueAt(d.props, "name"), valueAt(d.props, "deploymentName")].some((n) =>
        deploymentNames.some((name) => sameText(n, name)),
      ),
    );
    if (!found) {
      // A deployment whose name is not known yet (a first preview: `name` is an output) may be it: undecided.
      const unnamed = deployments.find((d) => presence(d.props, "name") === "unknown");
      if (unnamed) requireKnown(unnamed.props, "name");
      report(
        `stack '${stack}' owns its subscription's governance but sets no Defender for Cloud plans (no subscription deployment named ${deploymentNames.join(" or ")}): without Defender for SQL its SQL servers get no vulnerability assessment; keep operations.subscriptionGovernance: true.`,
      );
    }
  },
);

/** Microsoft's built-in PCI DSS v4.0.1 initiative (Regulatory Compliance). */
export const PCI_DSS_INITIATIVE_ID = "a06d5deb-24aa-4991-9d58-fa7563154e31";

export const governancePciInitiative = stackPolicy(
  {
    name: "azure-native-authorization-policyassignment-missing-for-pci-dss-initiative",
    description:
      "A stack that owns its subscription's governance assigns Microsoft's PCI DSS v4.0.1 initiative at the subscription (audit mode is enough), so changes made outside Pulumi show in Defender for Cloud's regulatory compliance dashboard.",
    severity: "medium",
    pci: ["2.2.1"],
    gdpr: ["5(2)", "32(1)(d)"],
    soc2: ["CC4.1"],
    service: "authorization",
    remediationSteps:
      "Keep `operations.subscriptionGovernance: true` (the operations tier assigns `/providers/Microsoft.Authorization/policySetDefinitions/a06d5deb-24aa-4991-9d58-fa7563154e31` to the subscription with `enforcementMode: DoNotEnforce`), or list another initiative's id in `initiativeIds`.",
    url: "https://learn.microsoft.com/azure/governance/policy/samples/pci-dss-4-0-1",
    config: {
      governanceStacks: governanceStacksKnob,
      initiativeIds: stringListKnob("Policy set definition GUIDs that count as the PCI DSS initiative.", [
        PCI_DSS_INITIATIVE_ID,
      ]),
    },
  },
  (args, report) => {
    const stack = governanceStack(args);
    const { initiativeIds } = args.getConfig<{ initiativeIds: string[] }>();
    const wanted = new Set(initiativeIds.map((id) => id.toLowerCase()));
    const assignments = ofType(args.resources, POLICY_ASSIGNMENT_TYPE).filter((a) => {
      const definition = valueAt(a.props, "policyDefinitionId");
      return typeof definition === "string" && wanted.has((definition.split("/").pop() ?? "").toLowerCase());
    });
    for (const a of assignments) if (presence(a.props, "scope") === "unknown") requireKnown(a.props, "scope");
    // An absent scope is no scope (not the root): only a subscription or management group scope counts.
    const atSubscription = assignments.filter(
      (a) =>
        presence(a.props, "scope") === "set" && scopeKind(String(valueAt(a.props, "scope"))) === "subscriptionOrWider",
    );
    if (atSubscription.length === 0) {
      report(
        `stack '${stack}' owns its subscription's governance but assigns no PCI DSS initiative at the subscription: assign policy set ${PCI_DSS_INITIATIVE_ID} (operations.subscriptionGovernance: true).`,
      );
    }
  },
);
