/**
 * The platform's Entra ID groups (platform admins, data engineers, analysts, fraud/ML): created here unless the stack
 * config names existing ones, whose display names are then read from Entra.
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { kebabCase } from "../../lib/naming";
import type { StackContext } from "../shared";

/** Entra ID groups of the platform. */
export const GROUP_ROLES = ["platformAdmins", "dataEngineers", "analysts", "fraudMl"] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

const GROUP_DESCRIPTIONS: Readonly<Record<GroupRole, string>> = {
  platformAdmins: "Platform administrators: Entra admins of the data stores, Key Vault administrators.",
  dataEngineers: "Data engineers: build and run pipelines; read/write on the data stores through Entra auth.",
  analysts: "Analysts: read-only access to the analytical store.",
  fraudMl: "Fraud/ML team: Azure ML workspace users; read fraud features.",
};

export function entraGroups(
  name: string,
  args: { readonly context: StackContext },
  parent: pulumi.Resource,
): {
  readonly objectIds: Readonly<Record<GroupRole, pulumi.Output<string>>>;
  readonly displayNames: Readonly<Record<GroupRole, pulumi.Output<string>>>;
} {
  const cfg = args.context.config;
  const existing: Readonly<Record<GroupRole, string | undefined>> = {
    platformAdmins: cfg.platformAdminsGroupId,
    dataEngineers: cfg.dataEngineersGroupId,
    analysts: cfg.analystsGroupId,
    fraudMl: cfg.fraudMlGroupId,
  };
  const groupIds = {} as Record<GroupRole, pulumi.Output<string>>;
  const groupNames = {} as Record<GroupRole, pulumi.Output<string>>;
  for (const role of GROUP_ROLES) {
    const given = existing[role];
    if (given) {
      groupIds[role] = pulumi.output(given);
      groupNames[role] = azuread.getGroupOutput({ objectId: given }, { parent }).displayName;
      continue;
    }
    const group = new azuread.Group(
      `${name}-grp-${role}`,
      {
        displayName: `grp-${cfg.workload}-${cfg.environment}-${kebabCase(role)}`,
        description: GROUP_DESCRIPTIONS[role],
        securityEnabled: true,
        mailEnabled: false,
        preventDuplicateNames: true,
      },
      { parent },
    );
    groupIds[role] = group.objectId;
    groupNames[role] = group.displayName;
  }
  return { objectIds: groupIds, displayNames: groupNames };
}
