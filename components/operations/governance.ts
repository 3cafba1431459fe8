/**
 * Cost and subscription governance.
 * - The stack's budget (every stack): a Cost Management budget on the subscription filtered to the stack's resource
 *   groups, actual 50/80/100 % and forecast 100 %, to the priority action groups (API 2024-08-01; the Consumption
 *   budgets are on the path to deprecation: https://learn.microsoft.com/azure/cost-management-billing/automate/transition-consumption-apis-cost-management-apis).
 *   The start date (config, or the first day of the month of creation) is ignored after creation ("Start date of
 *   budgets cannot be updated").
 * - Subscription-wide pieces (one owning stack, `operations.subscriptionGovernance`): the activity log to the
 *   workspace (Sentinel's Azure Activity data), Defender for Cloud plans for the services in use with the security
 *   contact, and the built-in PCI DSS v4.0.1 initiative assigned in audit mode, so drift made outside Pulumi shows at run
 *   time. They belong to the subscription, not the stack: a second stack in the subscription that also set the flag
 *   would fight over the same singletons (pricings, the "default" contact), so exactly one stack owns them: prod, the
 *   subscription of the cardholder data environment.
 *
 * The Defender plans and the security contact go through one ARM deployment at subscription scope, not
 * `security.Pricing` / `security.SecurityContact`: every plan always exists (at the Free tier) and the `default`
 * contact usually does, and azure-native refuses to create a resource whose GET answers 200 unless it has no DELETE
 * operation ("cannot create already existing resource"; the 2024-01-01 pricings API has a DELETE for resource-scope
 * plans, so the provider does not treat the plan as a singleton: pulumi-azure-native provider/pkg/gen/schema.go
 * `isSingleton`, provider/pkg/azure/client_azcore.go `CanCreate`). A deployment PUTs them as they are, one plan at a
 * time (`dependsOn` chain: a subscription takes one pricing update at a time, 409 otherwise), and deleting it
 * leaves them in place (a subscription's plan cannot be deleted, only set to Free).
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as costmanagement from "@pulumi/azure-native/costmanagement";
import * as monitor from "@pulumi/azure-native/monitor";
import * as resources from "@pulumi/azure-native/resources";
import * as security from "@pulumi/azure-native/security";
import * as pulumi from "@pulumi/pulumi";
import type { AlertPriority } from "../../lib/config";
import { CreationOnlyError, deployedOrNone, DIAGNOSTIC_SETTING_NAME, readOrWarn } from "../shared";
import type { AlertRouting } from "./routing";

/** Budget notifications: threshold (%), actual or forecast, and the priority that hears it. */
export const BUDGET_NOTIFICATIONS = [
  { key: "actual-50", threshold: 50, thresholdType: "Actual", priority: "p3" },
  { key: "actual-80", threshold: 80, thresholdType: "Actual", priority: "p2" },
  // P2, not a page: an overspend is answered within the hour, not in 15 minutes. And prod's budget is the cost issue's
  // $12,000 target while its committed estimate is far above it (docs/cost.md; the owner's decision): a P1 would page
  // every month around its sixth day.
  { key: "actual-100", threshold: 100, thresholdType: "Actual", priority: "p2" },
  { key: "forecast-100", threshold: 100, thresholdType: "Forecasted", priority: "p2" },
] as const satisfies readonly {
  key: string;
  threshold: number;
  thresholdType: "Actual" | "Forecasted";
  priority: AlertPriority;
}[];

/** Activity log categories sent to the workspace (those of Microsoft's Azure Activity connector policy 2465583e-…). */
export const ACTIVITY_LOG_CATEGORIES = [
  "Administrative",
  "Security",
  "ServiceHealth",
  "Alert",
  "Recommendation",
  "Policy",
  "Autoscale",
  "ResourceHealth",
] as const;

/**
 * Defender for Cloud plans for the services this program runs: SQL (Azure SQL and Synapse dedicated pools), Cosmos
 * DB, Key Vault, Storage (the lake, function hosts) and Resource Manager. Sub-plans set explicitly
 * (https://learn.microsoft.com/rest/api/defenderforcloud/pricings/update).
 */
export const DEFENDER_PLANS: readonly {
  readonly name: string;
  readonly subPlan?: string;
  readonly extensions?: readonly { name: string; isEnabled: "True" | "False" }[];
}[] = [
  { name: "SqlServers" },
  { name: "CosmosDbs" },
  { name: "KeyVaults", subPlan: "PerKeyVault" },
  {
    name: "StorageAccounts",
    subPlan: "DefenderForStorageV2",
    // Sensitive data discovery finds card data where it should not be; on-upload malware scanning is billed per GB
    // scanned and the lake receives only pipeline output: off.
    extensions: [
      { name: "SensitiveDataDiscovery", isEnabled: "True" },
      { name: "OnUploadMalwareScanning", isEnabled: "False" },
    ],
  },
  { name: "Arm", subPlan: "PerSubscription" },
];

/**
 * The built-in "PCI DSS v4.0.1" initiative (Azure/azure-policy `PCI_DSS_v4.0.1.json`, 204 policies, 201 automated):
 * the version of the standard an assessor uses since PCI SSC retired v4.0 at the end of 2024 (the "PCI DSS v4"
 * initiative, `c676748e-…`, grades 27 automated policies). No deny; three members have a fixed DeployIfNotExists
 * effect, so the assignment carries an identity (given no role: nothing is ever remediated).
 */
export const PCI_DSS_INITIATIVE =
  "/providers/Microsoft.Authorization/policySetDefinitions/a06d5deb-24aa-4991-9d58-fa7563154e31";

export interface BudgetArgs {
  readonly budgetName: string;
  readonly subscriptionId: pulumi.Input<string>;
  readonly amount: number;
  readonly startDate: string;
  /** When the program runs: the month a budget created now starts in at the earliest (budgetStartRefusal). */
  readonly now: Date;
  readonly resourceGroupNames: readonly pulumi.Input<string>[];
  readonly routing: AlertRouting;
}

/**
 * The budget's first day: the configured one, else the first day (UTC) of `now`'s month, which Azure accepts at
 * creation (a past start date must lie in the current month). Pure; unit-tested.
 */
export function budgetStartDate(configured: string | undefined, now: Date): string {
  if (configured !== undefined) return configured;
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, "0")}-01`;
}

/**
 * Why Azure would refuse to create a monthly budget starting on `startDate` (YYYY-MM-01) at `now`, or undefined:
 * "Future start date should not be more than twelve months. Past start date should be selected within the timegrain
 * period" (`timePeriod.startDate`, costmanagement 2024-08-01), so the current month's first day up to twelve months
 * ahead. Pure; unit-tested.
 */
export function budgetStartRefusal(startDate: string, now: Date): string | undefined {
  const [year, month] = startDate.split("-").map(Number);
  const ahead = (year - now.getUTCFullYear()) * 12 + (month - 1 - now.getUTCMonth());
  const current = budgetStartDate(undefined, now);
  if (ahead < 0)
    return `${startDate} is a past month, and a budget can start in a past month only while it is the current one (${current})`;
  if (ahead > 12) return `${startDate} is more than twelve months ahead`;
  return undefined;
}

/**
 * The budget's name once its start date is known to be one Azure creates a budget with (budgetStartRefusal), or the
 * budget exists already (its own start date stays: the program ignores changes of it), so that a preview refuses a
 * configured `operations.budget.startDate` Azure would refuse at the budget's creation, naming the key, instead of
 * an `up` failing there. Read only when the date is one Azure refuses (never with the default, the current month);
 * a failed read warns and goes on. A budget replaced under a new name is created with the start date in the state
 * (`ignoreChanges`), which this cannot see: docs/runbook.md#budget.
 */
export function checkedBudgetName(args: BudgetArgs, now: Date, parent: pulumi.Resource): pulumi.Output<string> {
  return pulumi.output(args.subscriptionId).apply(async (subscriptionId) => {
    const refusal = budgetStartRefusal(args.startDate, now);
    if (refusal === undefined) return args.budgetName;
    const found = await readOrWarn(
      async () => ({
        exists:
          (await deployedOrNone(() =>
            costmanagement.getBudget(
              { scope: `/subscriptions/${subscriptionId}`, budgetName: args.budgetName },
              { parent },
            ),
          )) !== undefined,
      }),
      (error) =>
        `the budget '${args.budgetName}': operations.budget.startDate ${refusal}, which Azure refuses when it creates the budget, and the budget could not be read to tell whether it exists already (${error}): if it does not, set the key to a month from ${budgetStartDate(undefined, now)} on, at most twelve ahead, or remove it (the month of creation).`,
      parent,
    );
    if (found?.exists === false)
      throw new CreationOnlyError([
        `operations.budget.startDate: ${refusal}, and the budget '${args.budgetName}' does not exist yet: Azure creates a monthly budget only from the current month's first day up to twelve months ahead ("Future start date should not be more than twelve months. Past start date should be selected within the timegrain period"). Set it to a month from ${budgetStartDate(undefined, now)} on, at most twelve ahead, or remove it (the month the budget is created in).`,
      ]);
    return args.budgetName;
  });
}

/** Creates `${name}-budget`. */
export function stackBudget(name: string, args: BudgetArgs, parent: pulumi.Resource): costmanagement.Budget {
  return new costmanagement.Budget(
    `${name}-budget`,
    {
      budgetName: checkedBudgetName(args, args.now, parent),
      scope: pulumi.interpolate`/subscriptions/${args.subscriptionId}`,
      category: costmanagement.CategoryType.Cost,
      amount: args.amount,
      timeGrain: costmanagement.TimeGrainType.Monthly,
      timePeriod: { startDate: `${args.startDate}T00:00:00Z` },
      filter: {
        dimensions: {
          name: "ResourceGroupName",
          operator: costmanagement.BudgetOperatorType.In,
          values: [...args.resourceGroupNames],
        },
      },
      notifications: Object.fromEntries(
        BUDGET_NOTIFICATIONS.map((n) => [
          n.key,
          {
            enabled: true,
            operator: costmanagement.BudgetNotificationOperatorType.GreaterThanOrEqualTo,
            threshold: n.threshold,
            thresholdType: costmanagement.ThresholdType[n.thresholdType],
            // The action group carries the receivers (e-mail, the incident webhook).
            contactEmails: [],
            contactGroups: [args.routing.actionGroupIds[n.priority]],
          },
        ]),
      ),
    },
    // Azure refuses to change a budget's start date ("400: Start date of budgets cannot be updated").
    { parent, ignoreChanges: ["timePeriod.startDate"] },
  );
}

export interface SubscriptionGovernanceArgs {
  readonly subscriptionId: pulumi.Input<string>;
  /** The keys' rotation period (`keyRotationDays`): the initiative's key rotation policy grades against it. */
  readonly keyRotationDays: number;
  readonly workspaceId: pulumi.Input<string>;
  /** The security contact's addresses; undefined: the stack sets no contact (`operations.securityContact: false`). */
  readonly securityContactEmails?: readonly string[];
  /** Where ARM keeps the subscription deployment's metadata (a subscription-scope deployment needs a location). */
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** ARM API versions of the deployment's resources (the versions azure-native 3.28's `security` module uses). */
export const DEFENDER_API_VERSIONS = {
  pricings: "2024-01-01",
  securityContacts: "2023-12-01-preview",
} as const;

/** Name of the subscription deployment that sets the plans and the contact (one per subscription, updated in place). */
export const DEFENDER_DEPLOYMENT_NAME = "defender-for-cloud-plans";

/**
 * The subscription-scope ARM template of the Defender plans (each waiting for the previous one) and, given its
 * addresses, the `default` security contact (high and medium alerts to them and the subscription owners); without
 * them the template leaves the contact as it is (an incremental deployment deletes nothing). Pure; unit-tested.
 */
export function defenderTemplate(
  plans: typeof DEFENDER_PLANS,
  securityContactEmails: readonly string[] | undefined,
): Record<string, unknown> {
  const planId = (name: string) => `[subscriptionResourceId('Microsoft.Security/pricings', '${name}')]`;
  return {
    $schema: "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    resources: [
      ...plans.map((plan, i) => ({
        type: "Microsoft.Security/pricings",
        apiVersion: DEFENDER_API_VERSIONS.pricings,
        name: plan.name,
        ...(i > 0 ? { dependsOn: [planId(plans[i - 1].name)] } : {}),
        properties: {
          pricingTier: security.PricingTier.Standard,
          ...(plan.subPlan ? { subPlan: plan.subPlan } : {}),
          ...(plan.extensions ? { extensions: plan.extensions.map((e) => ({ ...e })) } : {}),
        },
      })),
      ...(securityContactEmails
        ? [
            {
              type: "Microsoft.Security/securityContacts",
              apiVersion: DEFENDER_API_VERSIONS.securityContacts,
              name: "default",
              properties: {
                emails: securityContactEmails.join(";"),
                isEnabled: true,
                notificationsByRole: { state: security.State.On, roles: [security.SecurityContactRole.Owner] },
                notificationsSources: [{ sourceType: "Alert", minimalSeverity: security.MinimalSeverity.Medium }],
              },
            },
          ]
        : []),
    ],
  };
}

/**
 * Creates `${name}-activity-log`, `${name}-defender` (the plans and the security contact, one ARM deployment) and
 * `${name}-pci-dss`.
 */
export function subscriptionGovernance(name: string, args: SubscriptionGovernanceArgs, parent: pulumi.Resource) {
  const activityLog = new monitor.SubscriptionDiagnosticSetting(
    `${name}-activity-log`,
    {
      name: DIAGNOSTIC_SETTING_NAME,
      workspaceId: args.workspaceId,
      logs: ACTIVITY_LOG_CATEGORIES.map((category) => ({ category, enabled: true })),
    },
    { parent },
  );
  const defender = new resources.DeploymentAtSubscriptionScope(
    `${name}-defender`,
    {
      deploymentName: DEFENDER_DEPLOYMENT_NAME,
      location: args.location,
      properties: {
        mode: resources.DeploymentMode.Incremental,
        template: defenderTemplate(DEFENDER_PLANS, args.securityContactEmails),
      },
      tags: { ...args.tags },
    },
    // Its name is fixed, so a replacement must delete the old record first (created first, azure-native refuses it:
    // "cannot create already existing resource"); deleting a deployment's record leaves what it deployed. The
    // runbook re-applies the plans with `pulumi up --replace` after someone set one back to Free (docs/runbook.md).
    { parent, deleteBeforeReplace: true },
  );
  const pci = new authorization.PolicyAssignment(
    `${name}-pci-dss`,
    {
      policyAssignmentName: "pci-dss-v4-0-1-audit",
      scope: pulumi.interpolate`/subscriptions/${args.subscriptionId}`,
      policyDefinitionId: PCI_DSS_INITIATIVE,
      displayName: "PCI DSS v4.0.1 (audit)",
      // The guidance is in the description, with no `nonComplianceMessages`: "Custom messages for non-compliance are
      // only supported on definitions or initiatives with Resource Manager modes definitions" (azure-docs
      // governance/policy/concepts/assignment-structure.md), and this initiative holds resource provider mode members
      // (the Key Vault key rotation definition d8cf8476 is `Microsoft.KeyVault.Data`), as the ETL tier's allow-list does.
      description:
        "Built-in PCI DSS v4.0.1 initiative in audit mode: compliance of resources changed outside Pulumi shows in Defender for Cloud's regulatory compliance dashboard. A resource not compliant is fixed in the Pulumi program (payments-data-platform).",
      // Its policies audit; DoNotEnforce also guarantees no deployment is ever blocked or remediated by it.
      enforcementMode: authorization.EnforcementMode.DoNotEnforce,
      // Required by its DeployIfNotExists members (an assignment holding one needs a managed identity, and so a
      // location); granted no role.
      identity: { type: authorization.ResourceIdentityType.SystemAssigned },
      location: args.location,
      // Graded against what the platform chose, not the initiative's defaults: keys rotate every keyRotationDays
      // (default limit 30 days), the WAF blocks (the default requires Detection).
      parameters: {
        "maximumDaysToRotate-d8cf8476-a2ec-4916-896e-992351803c44": { value: args.keyRotationDays },
        "modeRequirement-12430be1-6cc8-4527-a9a8-e3d38f250096": { value: "Prevention" },
      },
    },
    { parent },
  );
  return { activityLog, plans: [defender], pci };
}
