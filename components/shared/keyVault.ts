/**
 * The key vault posture every vault of the platform shares: RBAC authorisation, purge protection, 90-day soft
 * delete, no public network access (private endpoint only) and a closed firewall with the trusted-services bypass.
 */
import * as keyvault from "@pulumi/azure-native/keyvault";
import type * as pulumi from "@pulumi/pulumi";
import type * as types from "@pulumi/azure-native/types";

/** Vault properties with the platform's posture, for a tenant and SKU. */
export function privateVaultProperties(
  tenantId: pulumi.Input<string>,
  sku: "standard" | "premium",
): types.input.keyvault.VaultPropertiesArgs {
  return {
    tenantId,
    sku: {
      family: keyvault.SkuFamily.A,
      name: sku === "premium" ? keyvault.SkuName.Premium : keyvault.SkuName.Standard,
    },
    enableRbacAuthorization: true,
    enableSoftDelete: true,
    softDeleteRetentionInDays: 90,
    enablePurgeProtection: true,
    publicNetworkAccess: "Disabled",
    // Trusted Microsoft services (SQL TDE, Cosmos DB, Storage CMK) reach the vault through the bypass.
    networkAcls: {
      defaultAction: keyvault.NetworkRuleAction.Deny,
      bypass: keyvault.NetworkRuleBypassOptions.AzureServices,
    },
  };
}
