/** The protection rules' type lists, the key role's id and the `stacks` knob. */
import type { PolicyConfigSchema } from "@pulumi/policy";

/** Key Vault Crypto Service Encryption User: the role a service's identity wraps and unwraps its key with. */
export const CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6";

/** Stateful resources whose loss destroys cardholder or personal data or the audit trail. */
export const STATEFUL_TYPES = [
  "azure-native:sql:Server",
  "azure-native:sql:Database",
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:synapse:Workspace",
  "azure-native:synapse:SqlPool",
  "azure-native:storage:StorageAccount",
  "azure-native:keyvault:Vault",
  "azure-native:eventhub:Namespace",
  "azure-native:operationalinsights:Workspace",
  "azure-native:machinelearningservices:Workspace",
];

/**
 * What the lock rule checks by default: the stateful types but an Azure ML workspace. A lock on a workspace applies
 * to its child resources (online deployments, compute), which a model release deletes (Microsoft asks for locks to be
 * lifted before deleting Azure ML resources: machine-learning/how-to-managed-network.md, Limitations); what the
 * workspace stores lives in its storage account and key vault, which stay on the list. `protect` still applies.
 */
export const LOCKED_TYPES = STATEFUL_TYPES.filter((t) => t !== "azure-native:machinelearningservices:Workspace");

/**
 * Identities others are bound to: a user-assigned identity deleted and re-created under its name is another principal,
 * so the database users created for it, the sites, gateway and workspace that reference it and its role assignments
 * stop working (components/shared/identity.ts). Protected and locked like the stateful types.
 */
export const IDENTITY_TYPES = ["azure-native:managedidentity:UserAssignedIdentity"];

/**
 * Children that hold the data themselves: protecting the parent does not stop Pulumi deleting a child the program
 * drops or renames (a Cosmos DB database or container, an event hub with events in flight). `protect` only: the
 * parent's lock already covers them in Azure. Not blob containers: most hold deployment packages; the lake's file
 * systems are protected by its component, and every storage account by this rule.
 */
export const PROTECTED_CHILD_TYPES = [
  "azure-native:cosmosdb:SqlResourceSqlDatabase",
  "azure-native:cosmosdb:SqlResourceSqlContainer",
  "azure-native:eventhub:EventHub",
];

export const stackKnob: PolicyConfigSchema["properties"] = {
  protectedStacks: {
    type: "array",
    items: { type: "string" },
    default: ["prod"],
    description: "Stacks (the stack segment of the URN) where stateful resources must be protected.",
  },
  resourceTypes: {
    type: "array",
    items: { type: "string" },
    default: STATEFUL_TYPES,
    description: "Type tokens of the stateful resources the rule checks.",
  },
};

export interface StackConfig {
  protectedStacks: string[];
  resourceTypes: string[];
}
