/**
 * Role assignments with deterministic names: the Azure name is the UUIDv5 of scope + principal + role, so a
 * re-run, a refresh or a re-import never creates a duplicate assignment.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import * as types from "@pulumi/azure-native/types";
import { roleAssignmentName, uuidv5 } from "../../lib/uuid";
import type { RoleAssignmentSpec } from "./interfaces";

/** Built-in Azure role definition GUIDs used by the platform. */
export const BuiltInRoles = {
  Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  KeyVaultAdministrator: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
  /** Manages key vaults (management plane only; no access to keys, secrets or certificates in an RBAC vault). */
  KeyVaultContributor: "f25e0fa2-a7c8-4377-a976-54943a77a395",
  KeyVaultCryptoOfficer: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
  KeyVaultCryptoServiceEncryptionUser: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
  KeyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  LogAnalyticsReader: "73c42c96-874c-492b-b04d-ab87d138a893",
  MonitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
  StorageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  StorageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  EventHubsDataSender: "2b629674-e913-4c01-ae53-ef4638d8f975",
  EventHubsDataReceiver: "a638d3c7-ab3a-418d-83e6-5f17a39d4fde",
  Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  StorageFileDataPrivilegedContributor: "69566ab7-960f-475b-8e7c-b3118f30c6bd",
  AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  AzureMlDataScientist: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
  /** AzureML Metrics Writer (preview): an online endpoint's identity writes its deployments' metrics to the workspace. */
  AzureMlMetricsWriter: "635dd51f-9968-44d3-b7fb-6d9a6bd613ae",
  /** Approves the private endpoints a managed network creates (Storage, Key Vault, ACR, Cosmos DB, SQL, AML). */
  AzureAiEnterpriseNetworkConnectionApprover: "b556d68e-0be0-4f35-a333-ad7ee1ce17ea",
} as const;

let clientConfig: pulumi.Output<authorization.GetClientConfigResult> | undefined;

/** The deploying principal's tenant, subscription and object id (one invoke per program run). */
export function deployer(): pulumi.Output<authorization.GetClientConfigResult> {
  clientConfig ??= authorization.getClientConfigOutput();
  return clientConfig;
}

/** Full role definition id for a built-in role GUID (or passes a full id, e.g. a custom role's output, through). */
export function roleDefinitionId(role: pulumi.Input<string>): pulumi.Output<string> {
  if (typeof role === "string") {
    if (role.startsWith("/")) return pulumi.output(role);
    return pulumi.interpolate`/subscriptions/${deployer().subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`;
  }
  return pulumi.output(role);
}

/** Grants `spec.roleDefinitionId` to `spec.principalId` on `scope`; logical name `${name}-ra-${spec.key}`. */
export function roleAssignment(
  name: string,
  scope: pulumi.Input<string>,
  spec: RoleAssignmentSpec,
  parent: pulumi.Resource,
): authorization.RoleAssignment {
  const roleId = roleDefinitionId(spec.roleDefinitionId);
  return new authorization.RoleAssignment(
    `${name}-ra-${spec.key}`,
    {
      scope,
      principalId: spec.principalId,
      principalType: authorization.PrincipalType[spec.principalType],
      roleDefinitionId: roleId,
      roleAssignmentName: pulumi
        .all([scope, spec.principalId, roleId])
        .apply(([s, p, r]) => roleAssignmentName(s, p, r)),
      description: spec.description,
      ...(spec.condition === undefined ? {} : { condition: spec.condition, conditionVersion: "2.0" }),
    },
    { parent },
  );
}

/** The module's `roleAssignments` block: each spec on `scope`, children of `parent`. */
export function roleAssignments(
  name: string,
  scope: pulumi.Input<string>,
  specs: readonly RoleAssignmentSpec[] | undefined,
  parent: pulumi.Resource,
): authorization.RoleAssignment[] {
  const keys = new Set<string>();
  return (specs ?? []).map((spec) => {
    if (keys.has(spec.key)) throw new Error(`${name}: roleAssignments has the key '${spec.key}' twice`);
    keys.add(spec.key);
    return roleAssignment(name, scope, spec, parent);
  });
}

/**
 * How long a new custom role definition takes to be usable everywhere. Role definitions are eventually consistent
 * (Azure/azure-rest-api-specs#2135; an assignment made right away can fail with RoleDefinitionDoesNotExist), and
 * the time to wait is "around 5m" (hashicorp/terraform-provider-azurerm#5038).
 */
export const ROLE_DEFINITION_PROPAGATION_DELAY = "5m";

/**
 * The id role assignments use for a custom role (its subscription-level id, whatever scope defined it), known only
 * once the definition has had time to replicate: an assignment that uses it waits for `${name}-propagation`.
 */
export function customRoleAssignableId(
  name: string,
  role: authorization.RoleDefinition,
  subscriptionId: pulumi.Input<string>,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  const settled = new time.Sleep(
    `${name}-propagation`,
    { createDuration: ROLE_DEFINITION_PROPAGATION_DELAY, triggers: { role: role.id } },
    { parent },
  );
  return pulumi
    .all([subscriptionId, role.name, settled.id])
    .apply(([sub, roleName]) => `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${roleName}`);
}

/** A custom role defined at, and assignable only in, one scope (a resource group). */
export interface CustomRoleSpec {
  /** The scope it is defined at and the only one it can be assigned in. */
  readonly scope: pulumi.Input<string>;
  /** Its id is the UUIDv5 of `<scope>/<idKey>`: the same role on every run, one per scope. */
  readonly idKey: string;
  readonly roleName: pulumi.Input<string>;
  readonly description: string;
  readonly permissions: types.input.authorization.PermissionArgs[];
}

/**
 * A custom role (`name`), and the id role assignments use for it once it has replicated (customRoleAssignableId,
 * which waits in `${name}-propagation`).
 */
export function customRole(
  name: string,
  spec: CustomRoleSpec,
  parent: pulumi.Resource,
): { role: authorization.RoleDefinition; assignableId: pulumi.Output<string> } {
  const role = new authorization.RoleDefinition(
    name,
    {
      scope: spec.scope,
      roleDefinitionId: pulumi.output(spec.scope).apply((s) => uuidv5(`${s}/${spec.idKey}`)),
      roleName: spec.roleName,
      description: spec.description,
      roleType: "CustomRole",
      permissions: spec.permissions,
      assignableScopes: [spec.scope],
    },
    { parent },
  );
  return { role, assignableId: customRoleAssignableId(name, role, deployer().subscriptionId, parent) };
}
