/**
 * Key Vault: the vault that holds the platform's customer-managed keys (storage, SQL TDE, Event Hubs, ML) and its
 * secrets. PCI DSS requirement 3.6/3.7 (key management) and GDPR Art. 32 (encryption, recoverability).
 * All vault settings live under `properties` in azure-native v3 (`keyvault.VaultPropertiesArgs`), as do the key
 * and secret settings (`KeyPropertiesArgs`, `SecretPropertiesArgs`).
 */
import type { Policies } from "@pulumi/policy";
import { vaultExpiryAlerts } from "../keyvaultEvents";
import { vaultRecoverability, vaultRbac, vaultPlatformAccess, vaultNetwork, vaultPremium } from "./vaults";
import { keyStrength, keyHsm, keyExpiry, keyUse, keyRotation } from "./keys";
import { secretExpiry, secretContentType } from "./secrets";

export { KEY_EXPIRY_EVENTS, vaultExpiryAlerts } from "../keyvaultEvents";
export * from "./vaults";
export * from "./keys";
export * from "./secrets";

export const keyvaultPolicies: Policies = [
  vaultRecoverability,
  vaultRbac,
  vaultPlatformAccess,
  vaultNetwork,
  vaultPremium,
  keyStrength,
  keyHsm,
  keyExpiry,
  keyUse,
  keyRotation,
  secretExpiry,
  secretContentType,
  vaultExpiryAlerts,
];
