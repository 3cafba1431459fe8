/**
 * In protected stacks, the Sentinel workspace and every ML workspace (neither takes a management lock) have an Azure Policy denyAction assignment that refuses their deletion.
 */
import type { PolicyResource } from "@pulumi/policy";
import { enforcedAssignments, ofType, pointsAt, stackPolicy } from "../../lib/policy";
import { inStacks } from "../../lib/scope";
import { typeIn } from "../../lib/typeToken";
import { sameText, valueAt } from "../../lib/values";
import { stackKnob, type StackConfig } from "./shared";
import { sentinelHost } from "./locks";

// ---------------------------------------------------------------------------------------------------------------
// Delete guards
// ---------------------------------------------------------------------------------------------------------------

const POLICY_DEFINITION_TYPE = "azure-native:authorization:PolicyDefinition";

/**
 * Whether a custom policy definition refuses deleting resources of `armType`: effect `denyAction` with `delete` among
 * its actionNames, and a condition that names the type (its `if` is not evaluated further).
 */
function deniesDelete(definition: PolicyResource, armType: string): boolean {
  const rule = valueAt(definition.props, "policyRule");
  if (!rule || typeof rule !== "object") return false;
  const then = (rule as { then?: { effect?: unknown; details?: { actionNames?: unknown } } }).then;
  const actions = then?.details?.actionNames;
  return (
    typeof then?.effect === "string" &&
    sameText(then.effect, "denyAction") &&
    Array.isArray(actions) &&
    actions.some((a) => typeof a === "string" && sameText(a, "delete")) &&
    JSON.stringify((rule as { if?: unknown }).if ?? null)
      .toLowerCase()
      .includes(`"${armType.toLowerCase()}"`)
  );
}

/**
 * The `targets` no enforced policy assignment of the stack guards: one scoped to the target whose definition refuses
 * deleting resources of `armType`.
 */
function unguarded(
  resources: readonly PolicyResource[],
  targets: readonly PolicyResource[],
  armType: string,
): PolicyResource[] {
  const definitions = ofType(resources, POLICY_DEFINITION_TYPE).filter((r) => deniesDelete(r, armType));
  const assignments = enforcedAssignments(resources).filter((r) =>
    definitions.some((d) => pointsAt(r, d, ["policyDefinitionId"])),
  );
  return targets.filter((t) => !assignments.some((a) => pointsAt(a, t, ["scope"])));
}

export const requireWorkspaceDeleteGuard = stackPolicy(
  {
    name: "azure-native-operationalinsights-workspace-require-delete-guard-without-lock",
    description:
      "In protected stacks, a Log Analytics workspace Microsoft Sentinel is onboarded on (which cannot take a management lock) has an Azure Policy denyAction assignment on it that refuses its deletion, so a forced delete cannot destroy the audit trail.",
    severity: "high",
    pci: ["10.3.3", "10.5.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["A1.2", "CC8.1"],
    service: "operationalinsights",
    remediationSteps:
      'Assign, on the workspace, a custom policy definition (mode Indexed) whose rule is `if type equals Microsoft.OperationalInsights/workspaces then denyAction` with `actionNames: ["delete"]` (components/platform/monitoring.ts `workspaceDeleteGuard`).',
    url: "https://learn.microsoft.com/azure/governance/policy/concepts/effect-deny-action",
    config: { protectedStacks: stackKnob.protectedStacks },
  },
  (args, report) => {
    const { protectedStacks } = args.getConfig<Pick<StackConfig, "protectedStacks">>();
    const hostsSentinel = sentinelHost(args.resources);
    const targets = args.resources.filter((r) => inStacks(r.urn, protectedStacks) && hostsSentinel(r));
    if (targets.length === 0)
      args.notApplicable(
        "no Log Analytics workspace with Sentinel on it in a protected stack (the lock rule covers the others)",
      );
    for (const ws of unguarded(args.resources, targets, "Microsoft.OperationalInsights/workspaces"))
      report(
        `${ws.name} (${ws.urn}) holds Sentinel, so it cannot be locked, and no enforced denyAction policy assignment on it refuses its deletion: assign one (effect-deny-action).`,
        ws.urn,
      );
  },
);

const ML_WORKSPACE_TYPE = "azure-native:machinelearningservices:Workspace";

export const requireMlWorkspaceDeleteGuard = stackPolicy(
  {
    name: "azure-native-machinelearningservices-workspace-require-delete-guard",
    description:
      "In protected stacks, every Azure Machine Learning workspace (which takes no management lock: a lock would refuse deleting its online deployments) has an Azure Policy denyAction assignment on it that refuses its deletion: a deleted workspace with only user-assigned identities cannot be recovered, and takes its run history and model registry with it.",
    severity: "high",
    pci: ["6.5.1"],
    gdpr: ["32(1)(b)", "32(1)(c)"],
    soc2: ["A1.2", "CC8.1"],
    service: "machinelearningservices",
    remediationSteps:
      'Assign, on the workspace, a custom policy definition (mode Indexed) whose rule is `if type equals Microsoft.MachineLearningServices/workspaces then denyAction` with `actionNames: ["delete"]` (components/shared/protection.ts `deleteGuard`).',
    url: "https://learn.microsoft.com/azure/machine-learning/concept-soft-delete",
    config: { protectedStacks: stackKnob.protectedStacks },
  },
  (args, report) => {
    const { protectedStacks } = args.getConfig<Pick<StackConfig, "protectedStacks">>();
    const targets = args.resources.filter(
      (r) => typeIn([ML_WORKSPACE_TYPE], r.type) && inStacks(r.urn, protectedStacks),
    );
    if (targets.length === 0) args.notApplicable("no Azure Machine Learning workspace in a protected stack");
    for (const ws of unguarded(args.resources, targets, "Microsoft.MachineLearningServices/workspaces"))
      report(
        `${ws.name} (${ws.urn}) is an Azure ML workspace in a protected stack with no enforced denyAction policy assignment on it refusing its deletion, which would be permanent (no soft delete with user-assigned identities only): assign one (effect-deny-action).`,
        ws.urn,
      );
  },
);
