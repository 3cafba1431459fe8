/**
 * The shared interfaces every tier accepts, after Azure Verified Modules' common interfaces (RMFR4/RMFR5):
 * `privateEndpoints`, `diagnosticSettings`, `customerManagedKey` (which carries the user-assigned identity the
 * service runs as), `roleAssignments`, `lock` and `tags`. A tier never creates what these point at (the workspace, the vault, the DNS zones): the platform
 * base does, and passes ids.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context";
import type { PrivateDnsZoneName, PrivateLinkService } from "../../lib/privateLink";

/** Where private endpoints go and which DNS zones they register in. */
export interface PrivateEndpointTarget {
  /** Id of the subnet that hosts private endpoints. */
  readonly subnetId: pulumi.Input<string>;
  /** Ids of the platform's private DNS zones by zone name. */
  readonly privateDnsZoneIds: Readonly<Partial<Record<PrivateDnsZoneName, pulumi.Input<string>>>>;
  /** Resource group and region of the endpoint (the VNet's). */
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  /**
   * Application security groups an endpoint of a service joins: the subnet's NSG admits the ports that service takes
   * beyond the common ones to that group only (lib/privateLink.ts ENDPOINT_PORT_GROUPS).
   */
  readonly applicationSecurityGroupIds?: Readonly<Partial<Record<PrivateLinkService, readonly pulumi.Input<string>[]>>>;
}

/** Diagnostic settings: send logs (category groups) and metrics to the central Log Analytics workspace. */
export interface DiagnosticSettingsTarget {
  readonly workspaceId: pulumi.Input<string>;
  /** Log category groups; defaults to `allLogs` (which includes `audit`). */
  readonly logCategoryGroups?: readonly ("allLogs" | "audit")[];
  /**
   * Log categories by name, instead of category groups, where the service's docs name the categories to send (e.g.
   * `SQLSecurityAuditEvents` and `DevOpsOperationsAudit` on a SQL server's master database, or a Synapse dedicated pool's categories, which have no category groups).
   */
  readonly logCategories?: readonly string[];
  /** Send metrics (default true: `AllMetrics` unless the tier names its categories; some types, e.g. NSGs, have none). */
  readonly metrics?: boolean;
  /**
   * Resource-specific tables (`Dedicated`, default) or the legacy `AzureDiagnostics` table, for types whose logs
   * only go there (NSGs, SQL databases).
   */
  readonly destination?: "Dedicated" | "AzureDiagnostics";
}

/**
 * A customer-managed key in a platform vault (created by the platform base). A service that must reach its key with
 * its own system-assigned identity (Synapse, whose user-assigned identity cannot pass a vault firewall) gets this
 * alone and grants its identity on `keyId` once the resource exists.
 */
export interface ServiceKey {
  readonly keyVaultId: pulumi.Output<string>;
  /** `https://<vault>.vault.azure.net/` */
  readonly keyVaultUri: pulumi.Output<string>;
  /** ARM id of the key (the scope of a key-level role assignment). */
  readonly keyId: pulumi.Output<string>;
  readonly keyName: pulumi.Output<string>;
  /** Versionless key URI: services that support auto-rotation follow the latest version. */
  readonly keyUri: pulumi.Output<string>;
  readonly keyUriWithVersion: pulumi.Output<string>;
}

/** A customer-managed key and the user-assigned identity allowed to use it (created by the platform base). */
export interface CustomerManagedKey extends ServiceKey {
  /** The user-assigned identity granted `Key Vault Crypto Service Encryption User` on the key. */
  readonly identity: ManagedIdentity;
  /**
   * Done when that grant has propagated (it waits RBAC_PROPAGATION_DELAY after the role assignment): services
   * that check key access once at creation (SQL, Cosmos DB) depend on it.
   */
  readonly accessGrant: pulumi.Resource;
}

/** A user-assigned managed identity's handles. */
export interface ManagedIdentity {
  readonly id: pulumi.Output<string>;
  readonly principalId: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
}

/** A role assignment on the resource the module creates. */
export interface RoleAssignmentSpec {
  /** Stable key used in the logical name (e.g. `data-engineers-reader`). */
  readonly key: string;
  readonly principalId: pulumi.Input<string>;
  readonly principalType: "User" | "Group" | "ServicePrincipal";
  /** Built-in role GUID (see `BuiltInRoles`) or full role definition id (an output for a custom role). */
  readonly roleDefinitionId: pulumi.Input<string>;
  readonly description?: string;
  /**
   * An ABAC condition limiting the assignment's data actions (AVM's `condition`; sent with `conditionVersion` 2.0,
   * the only version: role-based-access-control/conditions-format).
   */
  readonly condition?: pulumi.Input<string>;
}

/** Protection of stateful resources: `protect` in Pulumi and a management lock in Azure. */
export interface LockSpec {
  readonly kind: "CanNotDelete" | "ReadOnly" | "None";
  readonly notes?: string;
}

/** Tags applied to every resource the module creates. */
export type Tags = Readonly<Record<string, string>>;

/**
 * The arguments every data-service tier shares (AVM's common interfaces, written once). A tier's own args extend
 * this with what is specific to the service.
 */
export interface DataServiceArgs<K extends ServiceKey = CustomerManagedKey> {
  /** Names, tags and the validated stack config. */
  readonly context: StackContext;
  /** Resource group of the tier's resources (one of the platform's groups). */
  readonly resourceGroupName: pulumi.Input<string>;
  /** The stack's random suffix for globally unique names (the platform's). */
  readonly suffix: pulumi.Output<string>;
  /** Where the tier's private endpoints go (the platform's PE subnet and private DNS zones). */
  readonly privateEndpoints: PrivateEndpointTarget;
  /** Where the tier's diagnostics go (the central Log Analytics workspace). */
  readonly diagnosticSettings: DiagnosticSettingsTarget;
  /** The service's customer-managed key and, for most services, the identity allowed to use it (the platform's). */
  readonly customerManagedKey: K;
  /** Management lock on the stateful resources; default CanNotDelete when `protect` is set, none otherwise. */
  readonly lock?: LockSpec;
  /** Pulumi `protect` on the stateful resources (prod). */
  readonly protect?: boolean;
  /** Tags of every resource; default `context.tags(...)` with the tier's classification. */
  readonly tags?: Tags;
  /** Azure RBAC role assignments on the tier's main resource (control plane), with deterministic names. */
  readonly roleAssignments?: readonly RoleAssignmentSpec[];
}
