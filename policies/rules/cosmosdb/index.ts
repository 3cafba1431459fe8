/**
 * Azure Cosmos DB (NoSQL; sessions, API logs, fraud features, webhook events): private access only, Entra (RBAC)
 * authentication only, no key-based control-plane writes, no broad IP rules, a customer-managed key, TLS 1.2,
 * EU-only replication and continuous backup (catalogue rows 27–34); custom data-plane roles with exact actions.
 */
import type { Policies } from "@pulumi/policy";
import {
  cosmosPublicNetwork,
  cosmosLocalAuth,
  cosmosMetadataWrites,
  cosmosIpRules,
  cosmosCmk,
  cosmosMinimalTls,
  cosmosEuLocations,
  cosmosContinuousBackup,
} from "./account";
import { cosmosCmkVaultReachable } from "./keyVault";
import { cosmosRoleExactActions, cosmosItemExpiry, cosmosWriteRoleScope } from "./dataPlane";

export * from "./shared";
export * from "./account";
export * from "./keyVault";
export * from "./dataPlane";

export const cosmosdbPolicies: Policies = [
  cosmosPublicNetwork,
  cosmosLocalAuth,
  cosmosMetadataWrites,
  cosmosIpRules,
  cosmosCmk,
  cosmosMinimalTls,
  cosmosEuLocations,
  cosmosContinuousBackup,
  cosmosCmkVaultReachable,
  cosmosRoleExactActions,
  cosmosItemExpiry,
  cosmosWriteRoleScope,
];
