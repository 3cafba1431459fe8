/**
 * Azure Data Factory (ETL): private access, a customer-managed key, Git integration, credentials kept in Key Vault
 * rather than inline in linked services, managed identities for Azure data stores, and managed integration
 * runtimes inside the factory's managed virtual network (catalogue rows 35–40); linked services on a named
 * (managed-VNet) runtime, encrypted SQL connections, and pipelines without inline secrets (the ETL tier).
 *
 * azure-native flattens a linked service's ARM `typeProperties` into `properties` (e.g. `properties.password`,
 * `properties.connectionString`); the rules read both shapes.
 */
import type { Policies } from "@pulumi/policy";
import { factoryPublicNetwork, factoryCmk, factoryRepoConfiguration } from "./factory";
import {
  linkedServiceInlineSecrets,
  linkedServiceManagedIdentity,
  integrationRuntimeManagedVnet,
  linkedServiceIntegrationRuntime,
  linkedServiceEncryptedSql,
} from "./linkedServices";
import {
  pipelineInlineSecrets,
  linkedServiceDeclaredRuntime,
  factoryOutboundAllowList,
  factoryGlobalParameterSecrets,
} from "./pipelines";

export * from "./shared";
export * from "./factory";
export * from "./linkedServices";
export * from "./pipelines";

export const datafactoryPolicies: Policies = [
  factoryPublicNetwork,
  factoryCmk,
  factoryRepoConfiguration,
  factoryOutboundAllowList,
  linkedServiceInlineSecrets,
  linkedServiceManagedIdentity,
  integrationRuntimeManagedVnet,
  linkedServiceIntegrationRuntime,
  linkedServiceDeclaredRuntime,
  linkedServiceEncryptedSql,
  pipelineInlineSecrets,
  factoryGlobalParameterSecrets,
];
