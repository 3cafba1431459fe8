/**
 * Data lakes with a customer-managed key and a narrow copy scope, and encryption scopes with a customer-managed key and infrastructure encryption.
 */
import type * as storage from "@pulumi/azure-native/storage";
import { resourcePolicy } from "../../lib/policy";
import { isSet, oneOf, requireKnown, sameText, show, who } from "../../lib/values";
import { ACCOUNT, ENCRYPTION_SCOPE, URL } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// The data lake and encryption scopes
// ---------------------------------------------------------------------------------------------------------------

export const dataLakeCustomerManagedKey = resourcePolicy<storage.StorageAccountArgs>(
  {
    name: "azure-native-storage-storageaccount-require-customer-managed-key-for-data-lake",
    description:
      "Every data lake (a storage account with a hierarchical namespace) encrypts with a customer-managed key reached through a user-assigned identity, whatever its PCI scope tag: lakes hold copies of every tier's data.",
    severity: "high",
    pci: ["3.5.1", "3.6.1", "3.7.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "storage",
    remediationSteps:
      'Set `encryption.keySource: "Microsoft.Keyvault"`, `encryption.keyVaultProperties.keyName` and `.keyVaultUri`, and `encryption.encryptionIdentity.encryptionUserAssignedIdentity` to an identity holding Key Vault Crypto Service Encryption User on the key (granted before the account is created).',
    url: `${URL}/customer-managed-keys-configure-new-account`,
  },
  ACCOUNT,
  (props, args, report) => {
    // isHnsEnabled absent = false (a plain blob account): the general CMK rule covers those by PCI scope.
    if (props.isHnsEnabled !== true) args.notApplicable("not a data lake (isHnsEnabled is not true)");
    const enc = props.encryption;
    if (!sameText(enc?.keySource, "Microsoft.Keyvault")) {
      report(
        `${who(args)} is a data lake with platform-managed keys: set encryption.keySource to "Microsoft.Keyvault" with encryption.keyVaultProperties.`,
      );
      return;
    }
    if (!isSet(enc?.keyVaultProperties, "keyName") || !isSet(enc?.keyVaultProperties, "keyVaultUri")) {
      report(
        `${who(args)} names no key: set encryption.keyVaultProperties.keyName and encryption.keyVaultProperties.keyVaultUri.`,
      );
    }
    // A system-assigned identity cannot hold the key before the account exists, so creation would fail or wait.
    if (!isSet(enc?.encryptionIdentity, "encryptionUserAssignedIdentity")) {
      report(
        `${who(args)} reaches its key with no user-assigned identity: set encryption.encryptionIdentity.encryptionUserAssignedIdentity.`,
      );
    }
  },
);

export const dataLakeCopyScope = resourcePolicy<storage.StorageAccountArgs>(
  {
    name: "azure-native-storage-storageaccount-require-copy-scope-for-data-lake",
    description:
      "Every data lake (a storage account with a hierarchical namespace) takes copies only from accounts in the same Microsoft Entra tenant or reached through a private link to the same network (allowedCopyScope), so nobody with write access can copy data into it from another tenant's account (unwanted or malicious data landing in the lake). It does not govern copies out of the lake: the destination account's own setting does, which is why the lake has no public endpoint.",
    severity: "medium",
    pci: ["1.4.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "storage",
    remediationSteps:
      'Set `allowedCopyScope: "PrivateLink"` (copies only from accounts reached through private endpoints in the same virtual network) or `"AAD"` (from accounts of the same tenant).',
    url: `${URL}/security-restrict-copy-operations`,
  },
  ACCOUNT,
  (props, args, report) => {
    if (props.isHnsEnabled !== true) args.notApplicable("not a data lake (isHnsEnabled is not true)");
    // "The allowedCopyScope property of a storage account defines the environments from which data can be copied to
    // the account" (the page above); absent (or "All") = from any account, whatever its tenant or network.
    requireKnown(props, "allowedCopyScope");
    if (!oneOf(props.allowedCopyScope, ["PrivateLink", "AAD"])) {
      report(
        `${who(args)} is a data lake that takes copies from any account (allowedCopyScope ${show(props.allowedCopyScope)}): set allowedCopyScope to "PrivateLink" or "AAD".`,
      );
    }
  },
);

export const encryptionScopeKey = resourcePolicy<storage.EncryptionScopeArgs>(
  {
    name: "azure-native-storage-encryptionscope-require-customer-managed-key",
    description:
      "Encryption scopes use a customer-managed key from Key Vault and infrastructure encryption: a container or blob written under a scope is encrypted with the scope's key, not the account's, so a scope on Microsoft-managed keys would undo the account's customer-managed key for the data it covers.",
    severity: "high",
    pci: ["3.5.1", "3.6.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "storage",
    remediationSteps:
      'Set `source: "Microsoft.KeyVault"` with `keyVaultProperties.keyUri`, and `requireInfrastructureEncryption: true`.',
    url: "https://learn.microsoft.com/azure/storage/blobs/encryption-scope-overview",
  },
  ENCRYPTION_SCOPE,
  (props, args, report) => {
    // source absent = Microsoft.Storage (Microsoft-managed keys).
    if (!sameText(props.source, "Microsoft.KeyVault")) {
      report(
        `${who(args)} encrypts with Microsoft-managed keys (source ${props.source === undefined ? "unset" : `"${String(props.source)}"`}): set source to "Microsoft.KeyVault" with keyVaultProperties.keyUri.`,
      );
    } else if (!isSet(props.keyVaultProperties, "keyUri")) {
      report(`${who(args)} names no key: set keyVaultProperties.keyUri.`);
    }
    if (props.requireInfrastructureEncryption !== true) {
      report(`${who(args)} has no infrastructure encryption: set requireInfrastructureEncryption to true.`);
    }
  },
);
