/**
 * Who gets which role on which resource of the ML tier (pure): the table the component turns into role
 * assignments before the workspace is created (Azure ML checks its identity's access at creation).
 *
 * Workspace identity: Microsoft's table for a user-assigned workspace identity
 * (https://learn.microsoft.com/azure/machine-learning/how-to-identity-based-service-authentication,
 * "User-assigned managed identity"), plus Storage File Data Privileged Contributor for identity-based file shares
 * and Azure AI Enterprise Network Connection Approver on every target of a managed private endpoint (no longer
 * granted automatically since 2025-04-30; how-to-managed-network). The managed network's required endpoints include
 * one to the workspace itself (`__SYS_PE_<workspace>_amlworkspace`), and `provisionNetworkNow` builds them while the
 * workspace is created, before any grant can be scoped to it: the approver role is therefore granted on the tier's
 * resource group (the ML tier's resources only: the workspace and its storage, key vault, registry and Application
 * Insights), and on the Cosmos DB account of the feature store. On the platform vault that holds `cmk-ml`, what
 * Microsoft asks of a user-assigned workspace identity with a customer-managed key: the Contributor role on the vault
 * and the key permissions of the key's creator (how-to-setup-customer-managed-keys, "Create a key": "If you plan to
 * use a user-assigned managed identity for your workspace, the managed identity must also be assigned these roles and
 * access policies"; Microsoft's quickstart template machine-learning-dependencies-role-assignment grants Contributor
 * on the CMK vault), narrowed to Key Vault Contributor on the vault (its management plane: no data access in an RBAC
 * vault) and Key Vault Crypto Officer on `cmk-ml` alone (no other key of that vault).
 * Cluster identity: job data and image pulls. Endpoint identity: model files and image pulls.
 */
import type * as pulumi from "@pulumi/pulumi";
import { BuiltInRoles, type RoleAssignmentSpec } from "../shared";

/** The resources roles are granted on (ARM ids). */
export interface GrantTargets {
  readonly storage: pulumi.Input<string>;
  readonly keyVault: pulumi.Input<string>;
  readonly registry: pulumi.Input<string>;
  readonly appInsights: pulumi.Input<string>;
  /** The Cosmos DB account the managed network reaches by private endpoint. */
  readonly featureStore: pulumi.Input<string>;
  /** The tier's resource group: the workspace and its dependencies. */
  readonly resourceGroup: pulumi.Input<string>;
  /** The platform vault that holds the workspace's customer-managed key. */
  readonly cmkVault: pulumi.Input<string>;
  /** The customer-managed key itself (`<vault id>/keys/cmk-ml`). */
  readonly cmkKey: pulumi.Input<string>;
}

/** The tier's identities (principal ids). */
export interface GrantPrincipals {
  readonly workspace: pulumi.Input<string>;
  readonly compute: pulumi.Input<string>;
  readonly endpoint: pulumi.Input<string>;
}

export interface Grant {
  /** Short name of the target, used in the logical name (`ml-<target>-ra-<key>`). */
  readonly target: keyof GrantTargets;
  readonly spec: RoleAssignmentSpec;
}

type Row = [target: keyof GrantTargets, key: string, who: keyof GrantPrincipals, role: string, why: string];

const ROWS: readonly Row[] = [
  ["storage", "workspace-contributor", "workspace", BuiltInRoles.Contributor, "Azure ML manages its storage."],
  ["storage", "workspace-blob", "workspace", BuiltInRoles.StorageBlobDataContributor, "Workspace blob data."],
  ["storage", "workspace-file", "workspace", BuiltInRoles.StorageFileDataPrivilegedContributor, "Workspace files."],
  ["keyVault", "workspace-contributor", "workspace", BuiltInRoles.Contributor, "Azure ML manages its key vault."],
  ["keyVault", "workspace-admin", "workspace", BuiltInRoles.KeyVaultAdministrator, "Workspace connection secrets."],
  ["registry", "workspace-contributor", "workspace", BuiltInRoles.Contributor, "Azure ML pushes and pulls images."],
  ["appInsights", "workspace-contributor", "workspace", BuiltInRoles.Contributor, "Azure ML writes telemetry."],
  ...(["resourceGroup", "featureStore"] as const).map((target): Row => [
    target,
    "workspace-pe-approver",
    "workspace",
    BuiltInRoles.AzureAiEnterpriseNetworkConnectionApprover,
    "Approves the managed network's private endpoints to the resources here.",
  ]),
  [
    "cmkVault",
    "workspace-kv-contributor",
    "workspace",
    BuiltInRoles.KeyVaultContributor,
    "Microsoft's CMK requirement.",
  ],
  [
    "cmkKey",
    "workspace-crypto-officer",
    "workspace",
    BuiltInRoles.KeyVaultCryptoOfficer,
    "Microsoft's CMK requirement.",
  ],
  ["storage", "compute-blob", "compute", BuiltInRoles.StorageBlobDataContributor, "Training job data."],
  ["registry", "compute-pull", "compute", BuiltInRoles.AcrPull, "Training images."],
  ["storage", "endpoint-blob", "endpoint", BuiltInRoles.StorageBlobDataReader, "Model files."],
  ["registry", "endpoint-pull", "endpoint", BuiltInRoles.AcrPull, "Scoring images."],
];

/** The grants of the tier's identities on its resources. */
export function tierGrants(principals: GrantPrincipals): Grant[] {
  return ROWS.map(([target, key, who, role, why]) => ({
    target,
    spec: {
      key,
      principalId: principals[who],
      principalType: "ServicePrincipal",
      roleDefinitionId: role,
      description: why,
    },
  }));
}

/** Logical-name segment of each grant target (matches the resources' own names: `ml-st`, `ml-kv`, ...). */
export const GRANT_NAMES: Readonly<Record<keyof GrantTargets, string>> = {
  storage: "st",
  keyVault: "kv",
  registry: "cr",
  appInsights: "appi",
  featureStore: "cosmos",
  resourceGroup: "rg",
  cmkVault: "cmk-kv",
  cmkKey: "cmk-key",
};
