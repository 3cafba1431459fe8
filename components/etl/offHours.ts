/**
 * Off hours (dev): what the pool's pause schedule also stops (`olap.pauseSchedule.alsoStop`), beyond the pipelines
 * and triggers the generator emits (pipelines/etl/operations.ts):
 *
 *  - a least-privilege custom role per target (read, stop, start), defined in the target's resource group and
 *    assigned to the factory's ETL identity on the target only, in place of Website Contributor or Contributor, and
 *    for a target whose start joins a subnet (the gateway), a role with that join alone on that subnet;
 *  - an alert processing rule that removes the action groups of the alerts a stopped target fires (the merchant
 *    refresh's, the streaming freshness alert; a stopped job reports no watermark and a stopped gateway no metrics or
 *    access logs, so their other alerts stay quiet), from
 *    the stop until the start plus the longest alert window, so nobody is paged for a stop that was planned. The
 *    alerts still fire and show in the portal; they are stateless (the tiers' `sleepsOffHours`), so one that still
 *    fails after the window pages again.
 */
import * as alertsmanagement from "@pulumi/azure-native/alertsmanagement";
import * as authorization from "@pulumi/azure-native/authorization";
import type * as types from "@pulumi/azure-native/types";
import * as pulumi from "@pulumi/pulumi";
import type { OffHoursTarget } from "../../pipelines/etl/contract";
import { addMinutes, silencedWindowEnd } from "../../lib/offHours";
import { customRole, roleAssignment, type StackContext, type Tags } from "../shared";

/** One thing the schedule stops. */
export interface OffHoursTargetSpec {
  /**
   * ARM id of the function app, the Stream Analytics job or the Application Gateway (the pipelines' global parameter;
   * the role's scope).
   */
  readonly resourceId: pulumi.Input<string>;
  /** The alert rules that fire while it is stopped: silenced off hours. */
  readonly alertRuleIds: readonly pulumi.Input<string>[];
  /** Minutes after the start before those alerts mean something again (their longest evaluation window). */
  readonly quietMinutes: number;
  /**
   * The subnet the target is deployed in, when starting it needs the right to join that subnet: Application Gateway
   * checks `Microsoft.Network/virtualNetworks/subnets/join/action` on its subnet "during both creation and management
   * operations" (https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure, Virtual network
   * permission). A second role, with that action only, is assigned on the subnet.
   */
  readonly joinedSubnetId?: pulumi.Input<string>;
}

export interface OffHoursArgs {
  /** The pool's pause schedule: targets stop at `pauseAt` and start at `resumeAt`, on weekdays only or every day. */
  readonly schedule: {
    readonly timeZone: string;
    readonly resumeAt: string;
    readonly pauseAt: string;
    readonly weekdaysOnly: boolean;
  };
  /** Exactly the targets of `alsoStop` (the definitions' off-hours global parameters). */
  readonly targets: Readonly<Partial<Record<OffHoursTarget, OffHoursTargetSpec>>>;
  /** Where the silenced alerts' target resources live: the Log Analytics workspace their log queries run on. */
  readonly alertScopes: readonly pulumi.Input<string>[];
}

/**
 * The actions of the role assigned on a target's subnet (`joinedSubnetId`): the join the gateway's virtual network
 * permission check asks for, with the read Microsoft's permissions table pairs it with for an existing subnet
 * (application-gateway/configuration-infrastructure, Permissions).
 */
export const SUBNET_JOIN_ACTIONS = [
  "Microsoft.Network/virtualNetworks/subnets/read",
  "Microsoft.Network/virtualNetworks/subnets/join/action",
] as const;

/** The actions each target's operator role grants (and nothing else: no app settings, no query, no scale). */
export const OFF_HOURS_OPERATOR_ACTIONS: Readonly<Record<OffHoursTarget, readonly string[]>> = {
  fraudScoring: ["Microsoft.Web/sites/read", "Microsoft.Web/sites/stop/action", "Microsoft.Web/sites/start/action"],
  streamingJob: [
    "Microsoft.StreamAnalytics/streamingjobs/read",
    "Microsoft.StreamAnalytics/streamingjobs/stop/action",
    "Microsoft.StreamAnalytics/streamingjobs/start/action",
  ],
  gateway: [
    "Microsoft.Network/applicationGateways/read",
    "Microsoft.Network/applicationGateways/stop/action",
    "Microsoft.Network/applicationGateways/start/action",
  ],
};

const ROLE_NAMES: Readonly<Record<OffHoursTarget, string>> = {
  fraudScoring: "Fraud scoring app off-hours operator",
  streamingJob: "Stream Analytics job off-hours operator",
  gateway: "API gateway off-hours operator",
};
/** What each target is, for a person. */
const TARGET_NOUNS: Readonly<Record<OffHoursTarget, string>> = {
  fraudScoring: "function app",
  streamingJob: "Stream Analytics job",
  gateway: "Application Gateway",
};

// The window's arithmetic is pure and shared with the config's cross-key checks (lib/config), which refuse a schedule
// whose window does not fit before any resource registers.
export { addMinutes };

/**
 * The recurrences of the silenced window (alert processing rules take Windows time zone ids, as Data Factory does):
 * every day from the stop to the start plus `quietMinutes` (a Daily window whose end is before its start spans
 * midnight), and all of Saturday and Sunday when the schedule runs on weekdays only. The shape is Microsoft's
 * "remove all action groups outside business hours" example (azure-rest-api-specs, Microsoft.AlertsManagement
 * 2021-08-08, AlertProcessingRules_Create_or_update_remove_all_action_groups_outside_business_hours.json).
 */
export function silencedRecurrences(
  schedule: OffHoursArgs["schedule"],
  quietMinutes: number,
): (types.input.alertsmanagement.DailyRecurrenceArgs | types.input.alertsmanagement.WeeklyRecurrenceArgs)[] {
  const end = silencedWindowEnd(schedule, quietMinutes);
  return [
    { recurrenceType: alertsmanagement.RecurrenceType.Daily, startTime: `${schedule.pauseAt}:00`, endTime: end },
    ...(schedule.weekdaysOnly
      ? [
          {
            recurrenceType: alertsmanagement.RecurrenceType.Weekly,
            daysOfWeek: [alertsmanagement.DaysOfWeek.Saturday, alertsmanagement.DaysOfWeek.Sunday],
          },
        ]
      : []),
  ];
}

/** Checks the off-hours arguments (pure): the targets it stops have alerts and windows that fit the day. */
export function offHoursProblems(o: OffHoursArgs): string[] {
  const problems: string[] = [];
  const targets = Object.entries(o.targets) as [OffHoursTarget, OffHoursTargetSpec][];
  if (targets.length === 0) problems.push("offHours.targets: names no target (leave offHours out instead)");
  if (targets.some(([, t]) => t.alertRuleIds.length > 0) && o.alertScopes.length === 0)
    problems.push("offHours.alertScopes: required to silence the targets' alerts");
  try {
    silencedRecurrences(o.schedule, Math.max(0, ...targets.map(([, t]) => t.quietMinutes)));
  } catch (e) {
    problems.push(`offHours: ${(e as Error).message.replace(/^off hours: /, "")}`);
  }
  return problems;
}

/**
 * The operator roles and their assignments to `principalId` (the factory's ETL identity), and the alert processing
 * rule. Children of `parent`, named `${name}-offhours-…`.
 */
export function offHoursOperations(
  name: string,
  args: OffHoursArgs & {
    readonly context: StackContext;
    readonly resourceGroupName: pulumi.Input<string>;
    readonly principalId: pulumi.Input<string>;
    readonly tags: Tags;
  },
  parent: pulumi.Resource,
): {
  readonly roleAssignments: authorization.RoleAssignment[];
  readonly silence?: alertsmanagement.AlertProcessingRuleByName;
} {
  const { context } = args;
  const targets = Object.entries(args.targets) as [OffHoursTarget, OffHoursTargetSpec][];
  /** The resource group of an id: where a role is defined and assignable (only there). */
  const groupOf = (id: pulumi.Input<string>, key: string) =>
    pulumi.output(id).apply((value) => {
      const m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)\//i.exec(value);
      if (!m) throw new Error(`offHours.targets.${key}: '${value}' is not a resource id`);
      return m[1];
    });
  const subnetJoins = targets.flatMap(([target, spec]) => {
    if (spec.joinedSubnetId === undefined) return [];
    const role = customRole(
      `${name}-offhours-${target}-subnet-role`,
      {
        scope: groupOf(spec.joinedSubnetId, `${target}.joinedSubnetId`),
        idKey: `off-hours-subnet-join/${target}`,
        roleName: `${ROLE_NAMES[target]} subnet join (${context.config.workload}-${context.config.environment})`,
        description: `Joins the subnet of the ${TARGET_NOUNS[target]} it starts off hours (its virtual network permission check). Managed by Pulumi.`,
        permissions: [{ actions: [...SUBNET_JOIN_ACTIONS], notActions: [], dataActions: [], notDataActions: [] }],
      },
      parent,
    );
    return [
      roleAssignment(
        `${name}-offhours-${target}-subnet`,
        spec.joinedSubnetId,
        {
          key: "adf-etl-off-hours-subnet-join",
          principalId: args.principalId,
          principalType: "ServicePrincipal",
          roleDefinitionId: role.assignableId,
          description: `The ETL factory starts the ${TARGET_NOUNS[target]} in this subnet outside working hours (olap.pauseSchedule.alsoStop).`,
        },
        parent,
      ),
    ];
  });
  const operatorAssignments = targets.map(([target, spec]) => {
    // Defined where the target lives (its resource group, from its id) and assignable only there.
    const rgScope = groupOf(spec.resourceId, `${target}.resourceId`);
    const role = customRole(
      `${name}-offhours-${target}-role`,
      {
        scope: rgScope,
        idKey: `off-hours-operator/${target}`,
        roleName: `${ROLE_NAMES[target]} (${context.config.workload}-${context.config.environment})`,
        description: `Reads, stops and starts the ${TARGET_NOUNS[target]} it is assigned on (the off-hours schedule). Managed by Pulumi.`,
        permissions: [
          { actions: [...OFF_HOURS_OPERATOR_ACTIONS[target]], notActions: [], dataActions: [], notDataActions: [] },
        ],
      },
      parent,
    );
    return roleAssignment(
      `${name}-offhours-${target}`,
      spec.resourceId,
      {
        key: "adf-etl-off-hours",
        principalId: args.principalId,
        principalType: "ServicePrincipal",
        // Once the new role has replicated (customRole).
        roleDefinitionId: role.assignableId,
        description: `The ETL factory stops and starts it outside working hours (olap.pauseSchedule.alsoStop).`,
      },
      parent,
    );
  });
  const roleAssignments = [...operatorAssignments, ...subnetJoins];

  const alertRuleIds = targets.flatMap(([, t]) => t.alertRuleIds);
  if (alertRuleIds.length === 0) return { roleAssignments };
  const quiet = Math.max(...targets.map(([, t]) => t.quietMinutes));
  const silence = new alertsmanagement.AlertProcessingRuleByName(
    `${name}-offhours-silence`,
    {
      alertProcessingRuleName: context.name("alertProcessingRule", "offhours"),
      resourceGroupName: args.resourceGroupName,
      location: "Global",
      properties: {
        description:
          `Removes the action groups of the alerts that ${targets
            .filter(([, t]) => t.alertRuleIds.length > 0)
            .map(([t]) => t)
            .join(" and ")} fire while stopped ` +
          `outside working hours (olap.pauseSchedule.alsoStop), until ${quiet} min after the start. docs/operations.md#off-hours-dev`,
        enabled: true,
        scopes: [...args.alertScopes],
        conditions: [
          {
            field: alertsmanagement.Field.AlertRuleId,
            operator: alertsmanagement.Operator.Equals,
            values: [...alertRuleIds],
          },
        ],
        actions: [{ actionType: alertsmanagement.ActionType.RemoveAllActionGroups }],
        schedule: { timeZone: args.schedule.timeZone, recurrences: silencedRecurrences(args.schedule, quiet) },
      },
      tags: args.tags,
    },
    { parent },
  );
  return { roleAssignments, silence };
}

/**
 * The off-hours arguments of a stack: undefined without a pause schedule or when it stops nothing, else the schedule
 * with the specs of exactly the targets `alsoStop` names (index.ts passes the specs of every target it could stop).
 */
export function offHoursOf(
  schedule: (OffHoursArgs["schedule"] & { readonly alsoStop: readonly OffHoursTarget[] }) | undefined,
  specs: Readonly<Record<OffHoursTarget, OffHoursTargetSpec>>,
  alertScopes: readonly pulumi.Input<string>[],
): OffHoursArgs | undefined {
  if (!schedule || schedule.alsoStop.length === 0) return undefined;
  const { alsoStop, ...times } = schedule;
  return { schedule: times, targets: Object.fromEntries(alsoStop.map((t) => [t, specs[t]])), alertScopes };
}
