/**
 * The platform's Entra ID groups (platform admins, database admins, data engineers, analysts, fraud/ML): created here
 * unless the stack config names existing ones, whose display names are then read from Entra.
 *
 * Database admins are apart from platform admins on purpose: the group is the Entra admin of the SQL engines and has
 * the ETL deployment identity as a member (it deploys the generated schema), while platform admins hold Key Vault
 * Administrator on the vaults, the Always Encrypted column master key's included. One standing workload identity
 * must not hold both the data and its keys (PCI DSS 3.6.1, 7.2.2).
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { kebabCase } from "../../lib/naming";
import type { StackContext } from "../shared";

/** Entra ID groups of the platform. */
export const GROUP_ROLES = ["platformAdmins", "databaseAdmins", "dataEngineers", "analysts", "fraudMl"] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

const GROUP_DESCRIPTIONS: Readonly<Record<GroupRole, string>> = {
  platformAdmins: "Platform administrators: Key Vault administrators, owners of the platform's resources.",
  databaseAdmins:
    "Database administrators: Entra admins of the SQL servers and the Synapse workspace (people who administer databases, and the ETL deployment identity). No Azure role.",
  dataEngineers: "Data engineers: build and run pipelines; read/write on the data stores through Entra auth.",
  analysts: "Analysts: read-only access to the analytical store.",
  fraudMl: "Fraud/ML team: Azure ML workspace users; read fraud features.",
};

/** Who owns the groups the stack creates (pure): the config's deploy identity, or a warning in prod without one. */
export function groupOwnership(
  cfg: Pick<StackContext["config"], "isProd" | "operations"> &
    Partial<Record<`${GroupRole}GroupId`, string | undefined>>,
): { readonly owners?: readonly string[]; readonly warning?: string } {
  // The deploy identity owns the groups the stack creates (operations.deployPrincipalId): without `owners`, azuread
  // makes whoever runs the create the sole owner ("The calling principal is the default owner if no others are
  // specified", terraform-provider-azuread internal/services/groups/group_resource.go), and an owner can add
  // themselves to the platform or database admins at any time. Set, a group is created with that identity as its
  // sole owner: a person who runs the first `up` is not made one (their Groups Administrator role, which azuread needs
  // anyway, lets them finish the create). At creation only (`ignoreChanges` below): on a group that already exists,
  // azuread would add the identity and then remove the person, and Microsoft Graph refuses to remove a group's last
  // user owner ("The group must have at least one owner", hashicorp/terraform-provider-azuread#1435), which would fail
  // every `up` of a stack whose groups a person created; those groups are handed over by hand (README, "Deploying for
  // real").
  const deployPrincipal = cfg.operations.deployPrincipalId;
  if (deployPrincipal) return { owners: [deployPrincipal] };
  const creates = GROUP_ROLES.some((role) => !cfg[`${role}GroupId`]);
  return cfg.isProd && creates
    ? {
        warning:
          "operations.deployPrincipalId is not set: the Entra groups this stack creates are owned by whoever runs the first `pulumi up`, and an owner can add themselves to the platform or database admins; set it to the deploy workflow's service principal's object id, which then owns them (docs/operations.md, \"Before the first prod deployment\")",
      }
    : {};
}

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
    databaseAdmins: cfg.databaseAdminsGroupId,
    dataEngineers: cfg.dataEngineersGroupId,
    analysts: cfg.analystsGroupId,
    fraudMl: cfg.fraudMlGroupId,
  };
  const ownership = groupOwnership(cfg);
  if (ownership.warning) void pulumi.log.warn(ownership.warning);
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
        ...(ownership.owners ? { owners: [...ownership.owners] } : {}),
      },
      // Where stateful resources are protected (prod), a group the stack stops declaring stays in Entra: an operator
      // who adopts the created group through `<role>GroupId` (handing it to the identity team) would otherwise delete
      // it, and with the database admins' group the only Entra admin of both SQL servers. dev deletes its groups with
      // the stack (a kept group would block the next dev's `preventDuplicateNames`).
      // `owners` is set at creation only (groupOwnership): an `up` never rewrites a group's owners.
      { parent, retainOnDelete: cfg.protectStatefulResources, ignoreChanges: ["owners"] },
    );
    groupIds[role] = group.objectId;
    groupNames[role] = group.displayName;
  }
  return { objectIds: groupIds, displayNames: groupNames };
}
