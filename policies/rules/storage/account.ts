/**
 * Storage accounts: HTTPS and TLS 1.2 only, no public blob access or network, no shared keys, infrastructure encryption, a customer-managed key, no cross-tenant replication, a zone-redundant SKU.
 */
import type * as storage from "@pulumi/azure-native/storage";
import { ipv4Range, minPrefixLengthKnob } from "../../lib/network";
import { checkExemption, exemptionSchema, type Exemption } from "../../lib/exemptions";
import { resourcePolicy } from "../../lib/policy";
import { isSet, oneOf, presence, requireKnown, sameText, show, valueAt, who } from "../../lib/values";
import { inScopeKnob, skipOutOfScope } from "../../lib/scope";
import { ACCOUNT, URL } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// The account
// ---------------------------------------------------------------------------------------------------------------

export const httpsOnly = resourcePolicy<storage.StorageAccountArgs>(
  {
    name: "azure-native-storage-storageaccount-require-https-traffic-only",
    description: "Storage accounts accept only HTTPS requests (secure transfer required).",
    severity: "high",
    pci: ["4.2.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "storage",
    remediationSteps:
      "Set `enableHttpsTrafficOnly: true` (or leave it unset: true is the default since API 2019-04-01).",
    url: `${URL}/storage-require-secure-transfer`,
  },
  ACCOUNT,
  (props, args, report) => {
    // Absent = true (the default since API version 2019-04-01; azure-native v3 uses far newer API versions).
    if (props.enableHttpsTrafficOnly === false) {
      report(`${who(args)} allows plain HTTP (enableHttpsTrafficOnly false): set enableHttpsTrafficOnly to true.`);
    }
  },
);

export const minimumTls = resourcePolicy<storage.StorageAccountArgs>(
  {
    name: "azure-native-storage-storageaccount-enforce-minimum-tls-version",
    description: "Storage accounts refuse TLS versions older than 1.2.",
    severity: "high",
    pci: ["4.2.1", "2.2.7"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "storage",
    remediationSteps: 'Set `minimumTlsVersion: "TLS1_2"`.',
    url: `${URL}/transport-layer-security-configure-minimum-version`,
  },
  ACCOUNT,
  (props, args, report) => {
    // Absent = TLS 1.0 ("the default interpretation is TLS 1.0 for this property"): a violation.
    if (!oneOf(props.minimumTlsVersion, ["TLS1_2", "TLS1_3"])) {
      report(
        `${who(args)} accepts TLS '${props.minimumTlsVersion ?? "TLS1_0 (default)"}': set minimumTlsVersion to "TLS1_2".`,
      );
    }
  },
);

export const blobPublicAccess = resourcePolicy<storage.StorageAccountArgs>(
  {
    name: "azure-native-storage-storageaccount-disallow-blob-public-access",
    description: "Storage accounts forbid anonymous (public) read access to blobs and containers.",
    severity: "critical",
    pci: ["1.4.4", "7.2.1"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.1"],
    service: "storage",
    remediationSteps: "Set `allowBlobPublicAccess: false`.",
    url: "https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent",
  },
  ACCOUNT,
  (props, args, report) => {
    // Absent: the current API treats it as false, but older API versions and existing accounts default to true, so
    // the pack requires the explicit `false` (it is also the evidence an assessor looks for).
    if (props.allowBlobPublicAccess !== false) {
      report(`${who(args)} may allow anonymous blob access: set allowBlobPublicAccess to false.`);
    }
  },
);

export const storageNetwork = resourcePolicy<storage.StorageAccountArgs>(
  {
    name: "azure-native-storage-storageaccount-disallow-public-network-access",
    description:
      "Storage accounts are not reachable from the public internet: public network access is disabled, or the firewall denies by default, admits no broad IP range, and no wildcard resource instance rule; a network security perimeter (SecuredByPerimeter) is not accepted; and trusted Azure services do not bypass the firewall unless the account is configured for it.",
    severity: "high",
    pci: ["1.3.1", "1.4.2", "1.4.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "storage",
    remediationSteps:
      'Set `publicNetworkAccess: "Disabled"` and use private endpoints, or at least `networkRuleSet: { defaultAction: "Deny", bypass: "None" }` with no `ipRules` entry shorter than /`minPrefixLength` and `resourceAccessRules` that name each resource instance by its full id (no `*`); keep `bypass: "None"` also with public access disabled, except on accounts listed in `azureServicesBypassAccounts`.',
    url: `${URL}/storage-network-security`,
    config: {
      minPrefixLength: minPrefixLengthKnob("a networkRuleSet.ipRules entry"),
      azureServicesBypassAccounts: {
        ...exemptionSchema,
        description:
          'Accounts (resource name pattern, `*` wildcard, each with a reason) whose networkRuleSet.bypass may include "AzureServices", where Microsoft requires trusted services to reach the account (none by default).',
      },
    },
  },
  ACCOUNT,
  (props, args, report) => {
    // Trusted Azure services pass the firewall with bypass "AzureServices", which the SDK sets when bypass is absent
    // (networkRuleSetArgsProvideDefaults in @pulumi/azure-native types/input.js). Checked whatever publicNetworkAccess
    // says: with "Disabled", "trusted access" stays "Allowed" (private-link/network-security-perimeter-transition,
    // the table for a resource not associated with a perimeter).
    const { minPrefixLength, azureServicesBypassAccounts } = args.getConfig<{
      minPrefixLength: number;
      azureServicesBypassAccounts: Exemption[];
    }>();
    if (presence(props, "networkRuleSet", "bypass") === "unknown") requireKnown(props, "networkRuleSet", "bypass");
    const bypass = valueAt(props, "networkRuleSet", "bypass");
    const bypassed = typeof bypass === "string" ? bypass.split(",").map((b) => b.trim()) : ["AzureServices"];
    if (
      bypassed.some((b) => sameText(b, "AzureServices")) &&
      checkExemption(azureServicesBypassAccounts, args.name) === undefined
    ) {
      report(
        `${who(args)} lets trusted Azure services bypass its firewall (networkRuleSet.bypass ${typeof bypass === "string" ? show(bypass) : 'unset, "AzureServices" by default'}): set networkRuleSet.bypass to "None", or, where Microsoft requires it, list the account in azureServicesBypassAccounts with the reason.`,
      );
    }
    // publicNetworkAccess absent = Enabled; networkRuleSet absent = Allow. "Disabled" blocks traffic from all networks
    // on the public endpoint (storage-network-security-set-default-access), which is what the firewall's IP and
    // resource instance rules govern ("Azure Storage firewall rules provide ... control over network access to your
    // storage account's public endpoint", storage-network-security): with it, they admit nobody.
    if (sameText(props.publicNetworkAccess, "Disabled")) return;
    // "SecuredByPerimeter": "Public access is granted in accordance with the access rules defined by the associated
    // perimeter profile" (private-link/network-security-perimeter-transition): a public endpoint the pack does not
    // check, refused as the SQL server and Cosmos DB rules refuse it.
    if (sameText(props.publicNetworkAccess, "SecuredByPerimeter")) {
      report(
        `${who(args)} has publicNetworkAccess "SecuredByPerimeter": its public endpoint admits what a network security perimeter's access rules allow, which the pack does not check; set publicNetworkAccess to "Disabled" (or "Enabled" with networkRuleSet.defaultAction "Deny").`,
      );
      return;
    }
    if (!sameText(props.networkRuleSet?.defaultAction, "Deny")) {
      report(
        `${who(args)} accepts public traffic (publicNetworkAccess ${show(props.publicNetworkAccess)}, networkRuleSet.defaultAction ${show(props.networkRuleSet?.defaultAction)}): set publicNetworkAccess to "Disabled" (or networkRuleSet.defaultAction to "Deny").`,
      );
      return;
    }
    // Deny by default, but the firewall's IP rules still admit what they name: no broad range (the Cosmos DB and Key
    // Vault rules hold the same line).
    const rules = valueAt(props, "networkRuleSet", "ipRules");
    const entries = Array.isArray(rules) ? rules : [];
    for (let i = 0; i < entries.length; i++) {
      const value = valueAt(entries, String(i), "iPAddressOrRange");
      if (typeof value !== "string") continue;
      const range = ipv4Range(value);
      if (range === undefined || range.prefix < minPrefixLength) {
        report(
          `${who(args)} admits the broad range ${value} (networkRuleSet.ipRules[${i}].iPAddressOrRange): narrow it to /${minPrefixLength} or longer, or remove it.`,
        );
      }
    }
    // Resource instance rules admit the resources their id names; a `*` in it admits every match in the tenant
    // ("/subscriptions/*/resourceGroups/*/providers/Microsoft.Synapse/workspaces/*": every workspace;
    // storage-network-security-resource-instances); whose resources they name, in which tenant: networkRules.ts. Ids
    // unknown during preview (another resource's output): undecided.
    const instancesPath = ["networkRuleSet", "resourceAccessRules"];
    if (presence(props, ...instancesPath) === "unknown") requireKnown(props, ...instancesPath);
    const instances = valueAt(props, ...instancesPath);
    for (let i = 0; i < (Array.isArray(instances) ? instances.length : 0); i++) {
      if (presence(instances, String(i), "resourceId") === "unknown") requireKnown(instances, String(i), "resourceId");
      const id = valueAt(instances, String(i), "resourceId");
      if (typeof id === "string" && id.includes("*")) {
        report(
          `${who(args)} admits every resource matching the wildcard networkRuleSet.resourceAccessRules[${i}].resourceId ${show(id)}: name one resource instance by its full id.`,
        );
      }
    }
  },
);

export const sharedKey = resourcePolicy<storage.StorageAccountArgs>(
  {
    name: "azure-native-storage-storageaccount-disable-shared-key-access",
    description:
      "Storage accounts refuse Shared Key (account key and SAS) authorisation and have no local users (SFTP), so every request is authorised with a Microsoft Entra identity.",
    severity: "high",
    pci: ["7.2.2", "8.2.2", "8.3.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "storage",
    remediationSteps:
      "Set `allowSharedKeyAccess: false` (and `defaultToOAuthAuthentication: true` for the portal), and leave `isLocalUserEnabled` and `isSftpEnabled` off.",
    url: `${URL}/shared-key-authorization-prevent`,
  },
  ACCOUNT,
  (props, args, report) => {
    // Absent = null, "which is equivalent to true": a violation.
    if (props.allowSharedKeyAccess !== false) {
      report(`${who(args)} allows Shared Key authorisation: set allowSharedKeyAccess to false.`);
    }
    // Local users sign in to SFTP with a password or an SSH key, never with Entra ID (secure-file-transfer-protocol-
    // support: "SFTP doesn't support ... Microsoft Entra ID"), whatever allowSharedKeyAccess says.
    if (props.isLocalUserEnabled === true || props.isSftpEnabled === true) {
      report(
        `${who(args)} enables ${props.isSftpEnabled === true ? "SFTP" : "local users"}, who authenticate with passwords or SSH keys instead of Microsoft Entra ID: set isLocalUserEnabled and isSftpEnabled to false.`,
      );
    }
  },
);

export const infrastructureEncryption = resourcePolicy<storage.StorageAccountArgs>(
  {
    name: "azure-native-storage-storageaccount-require-infrastructure-encryption",
    description: "Storage accounts encrypt data twice at rest (service and infrastructure layers).",
    severity: "medium",
    pci: ["3.5.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "storage",
    remediationSteps:
      "Set `encryption.requireInfrastructureEncryption: true` (only possible when the account is created).",
    url: `${URL}/infrastructure-encryption-enable`,
  },
  ACCOUNT,
  (props, args, report) => {
    // An encryption block that is not known during preview (it carries key outputs) is judged at update time: reading
    // it reports "can't run during preview" rather than passing.
    if (presence(props, "encryption", "requireInfrastructureEncryption") === "unknown")
      requireKnown(props, "encryption", "requireInfrastructureEncryption");
    // Absent = false (single encryption).
    if (valueAt(props, "encryption", "requireInfrastructureEncryption") !== true) {
      report(`${who(args)} has no infrastructure encryption: set encryption.requireInfrastructureEncryption to true.`);
    }
  },
);

export const customerManagedKey = resourcePolicy<storage.StorageAccountArgs>(
  {
    name: "azure-native-storage-storageaccount-require-customer-managed-key",
    description:
      "Storage accounts in PCI scope (tag `pci-scope` in the configured scopes, or none) encrypt data with a customer-managed key from Key Vault, their queue and table services included (keyType Account).",
    severity: "high",
    pci: ["3.5.1", "3.6.1", "3.7.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "storage",
    remediationSteps:
      'Set `encryption.keySource: "Microsoft.Keyvault"` and `encryption.keyVaultProperties.keyName` and `.keyVaultUri`, and `encryption.services.queue` and `.table` with `keyType: "Account"` (set at creation only: otherwise queues and tables use a Microsoft-managed key); the identity that reads the key (`encryption.encryptionIdentity.encryptionUserAssignedIdentity`, or the account\'s system-assigned identity) needs Key Vault Crypto Service Encryption User on it.',
    url: `${URL}/customer-managed-keys-overview`,
    // The same scope knob, default and fail-closed reading as every other customer-managed-key rule (lib/scope.ts).
    config: { inScopeTagValues: inScopeKnob() },
  },
  ACCOUNT,
  (props, args, report) => {
    skipOutOfScope(props, args);
    const enc = props.encryption;
    // keySource absent = Microsoft.Storage (platform-managed keys).
    if (!sameText(enc?.keySource, "Microsoft.Keyvault")) {
      report(
        `${who(args)} uses platform-managed keys: set encryption.keySource to "Microsoft.Keyvault" with encryption.keyVaultProperties.`,
      );
    } else if (!isSet(enc?.keyVaultProperties, "keyName") || !isSet(enc?.keyVaultProperties, "keyVaultUri")) {
      report(
        `${who(args)} names no key: set encryption.keyVaultProperties.keyName and encryption.keyVaultProperties.keyVaultUri.`,
      );
    }
    // Queue and table data use the account's key only with keyType Account: "By default, Queue storage and Table
    // storage use a key that is scoped to the service and managed by Microsoft … The scope of the encryption key
    // cannot be changed after the account is created" (account-encryption-key-create). So an account that does not
    // list them keeps any queue or table created later under Microsoft's key, for good.
    if (sameText(enc?.keySource, "Microsoft.Keyvault"))
      for (const service of ["queue", "table"]) {
        requireKnown(props, "encryption", "services", service, "keyType");
        const keyType = valueAt(props, "encryption", "services", service, "keyType");
        if (!sameText(keyType, "Account"))
          report(
            `${who(args)} encrypts ${service} data with a Microsoft-managed service key (encryption.services.${service}.keyType ${show(keyType)}): set it to "Account" at creation.`,
          );
      }
  },
);

export const crossTenantReplication = resourcePolicy<storage.StorageAccountArgs>(
  {
    name: "azure-native-storage-storageaccount-disallow-cross-tenant-replication",
    description:
      "Storage accounts do not replicate objects to accounts in other Microsoft Entra tenants, keeping data inside the organisation's control.",
    severity: "medium",
    pci: ["1.3.2", "3.2.1"],
    gdpr: ["28", "32", "44"],
    soc2: ["CC6.1"],
    service: "storage",
    remediationSteps:
      "Set `allowCrossTenantReplication: false` (or leave it unset: false is the default for new accounts).",
    url: "https://learn.microsoft.com/azure/storage/blobs/object-replication-prevent-cross-tenant-policies",
  },
  ACCOUNT,
  (props, args, report) => {
    // Absent = false ("the default interpretation is false for new accounts"); only an explicit true fails.
    if (props.allowCrossTenantReplication === true) {
      report(`${who(args)} allows cross-tenant object replication: set allowCrossTenantReplication to false.`);
    }
  },
);

export const DEFAULT_ALLOWED_SKUS = ["Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS", "Premium_ZRS"];

export const storageSku = resourcePolicy<storage.StorageAccountArgs>(
  {
    name: "azure-native-storage-storageaccount-enforce-allowed-sku",
    description:
      "Storage accounts use an allowed redundancy SKU: zone-redundant for availability, and geo-replicated only to the paired EU region.",
    severity: "medium",
    pci: ["12.10.1"],
    gdpr: ["32(1)(b)", "32(1)(c)", "44"],
    soc2: ["A1.2"],
    service: "storage",
    remediationSteps:
      "Set `sku.name` to one of the allowed SKUs (config `allowedSkus`, default Standard_ZRS, Standard_GZRS, Standard_RAGZRS, Premium_ZRS); geo-redundant SKUs replicate to the region pair, which stays in the EU for westeurope/northeurope.",
    url: `${URL}/storage-redundancy`,
    config: {
      allowedSkus: {
        type: "array",
        items: { type: "string" },
        default: DEFAULT_ALLOWED_SKUS,
        description: "Allowed values of sku.name.",
      },
    },
  },
  ACCOUNT,
  (props, args, report) => {
    const { allowedSkus } = args.getConfig<{ allowedSkus: string[] }>();
    const sku = props.sku?.name;
    if (!oneOf(sku, allowedSkus)) {
      report(`${who(args)} uses SKU '${sku ?? "unset"}': set sku.name to one of ${allowedSkus.join(", ")}.`);
    }
  },
);
