/** Key Vault rules: the vaults (recoverability, platform access, RBAC, network, Premium for HSM keys). */
import type * as keyvault from "@pulumi/azure-native/keyvault";
import { resourcePolicy, stackOfUrn } from "../../lib/policy";
import { isProdStack, prodStacksKnob } from "../../lib/scope";
import { requireKnown, sameText, show, valueAt, who } from "../../lib/values";
import { MANAGED_HSM, PROD_STACKS, VAULT } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Vault
// ---------------------------------------------------------------------------------------------------------------

export const vaultRecoverability = resourcePolicy<keyvault.VaultArgs>(
  {
    name: "azure-native-keyvault-vault-enable-purge-protection",
    description:
      "Key vaults and Managed HSM pools have soft delete and purge protection on, with a soft-delete retention of at least the configured number of days, so keys protecting cardholder data cannot be destroyed irrecoverably.",
    severity: "high",
    pci: ["3.6.1", "3.7.3"],
    gdpr: ["32(1)(b)", "32(1)(c)"],
    soc2: ["A1.2"],
    service: "keyvault",
    remediationSteps:
      "Set `properties.enablePurgeProtection: true`, leave `properties.enableSoftDelete` unset or `true`, and set `properties.softDeleteRetentionInDays` to at least 90 (policy config `minSoftDeleteRetentionDays`).",
    url: "https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview",
    config: {
      minSoftDeleteRetentionDays: {
        type: "integer",
        minimum: 7,
        maximum: 90,
        default: 90,
        description: "Minimum soft-delete retention in days (Azure allows 7–90).",
      },
    },
  },
  [VAULT, MANAGED_HSM],
  (props, args, report) => {
    const { minSoftDeleteRetentionDays: min } = args.getConfig<{ minSoftDeleteRetentionDays: number }>();
    const p = props.properties;
    // enablePurgeProtection absent = off for a vault (Azure default; it can only ever be turned on), on for a Managed
    // HSM pool (the SDK sends true: managedHsmPropertiesArgsProvideDefaults).
    if ((p?.enablePurgeProtection ?? args.type === MANAGED_HSM) !== true) {
      report(`${who(args)} has purge protection off: set properties.enablePurgeProtection to true.`);
    }
    // enableSoftDelete absent = true (Azure turns it on for new vaults and it cannot be turned off); only false fails.
    if (p?.enableSoftDelete === false) {
      report(`${who(args)} disables soft delete: remove properties.enableSoftDelete or set it to true.`);
    }
    // softDeleteRetentionInDays absent = 90 days (Azure default).
    const days = p?.softDeleteRetentionInDays ?? 90;
    if (days < min) {
      report(
        `${who(args)} keeps deleted objects ${days} days: set properties.softDeleteRetentionInDays to at least ${min}.`,
      );
    }
  },
);

/** The vault flags that let a platform service read its secrets or unwrap its keys on behalf of a caller. */
const PLATFORM_ACCESS_FLAGS = [
  ["enabledForDeployment", "virtual machines to retrieve certificates stored as secrets"],
  ["enabledForTemplateDeployment", "Resource Manager to retrieve secrets for any template deployment"],
  ["enabledForDiskEncryption", "Azure Disk Encryption to retrieve secrets and unwrap keys"],
] as const;

export const vaultPlatformAccess = resourcePolicy<keyvault.VaultArgs>(
  {
    name: "azure-native-keyvault-vault-disallow-platform-secret-retrieval",
    description:
      "Key vaults do not let virtual machines, Resource Manager template deployments or Azure Disk Encryption retrieve their secrets (enabledForDeployment, enabledForTemplateDeployment, enabledForDiskEncryption are off): the platform has no VM, and a template deployment could read a secret with a deploy permission instead of a data-plane role.",
    severity: "medium",
    pci: ["3.6.1", "7.2.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      "Leave `properties.enabledForDeployment`, `properties.enabledForTemplateDeployment` and `properties.enabledForDiskEncryption` unset or `false`; give the identity that needs a secret the Key Vault Secrets User role on that secret.",
    // "the user who deploys the template must have the Microsoft.KeyVault/vaults/deploy/action permission" (held by
    // Contributor and Owner), not a data-plane role on the secret.
    url: "https://learn.microsoft.com/azure/azure-resource-manager/templates/key-vault-parameter",
  },
  VAULT,
  (props, args, report) => {
    // Absent = false for all three (the ARM defaults; https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults).
    for (const [flag, what] of PLATFORM_ACCESS_FLAGS) {
      requireKnown(props, "properties", flag);
      if (valueAt(props, "properties", flag) === true) {
        report(`${who(args)} allows ${what} (properties.${flag} true): set it to false.`);
      }
    }
  },
);

export const vaultRbac = resourcePolicy<keyvault.VaultArgs>(
  {
    name: "azure-native-keyvault-vault-enable-rbac-authorization",
    description:
      "Key vaults authorise data-plane access with Azure RBAC and carry no access policies, so key custodians are managed and reviewed like every other role assignment.",
    severity: "high",
    pci: ["3.6.1.3", "7.2.1", "7.2.2"],
    gdpr: ["32(1)(b)", "32(4)"],
    soc2: ["CC6.3"],
    service: "keyvault",
    remediationSteps:
      "Set `properties.enableRbacAuthorization: true`, remove `properties.accessPolicies`, and grant access with `authorization.RoleAssignment` (e.g. Key Vault Crypto Service Encryption User).",
    url: "https://learn.microsoft.com/azure/key-vault/general/rbac-guide",
  },
  VAULT,
  (props, args, report) => {
    const p = props.properties;
    // enableRbacAuthorization absent = false (the API default documented in azure-native v3): a violation.
    if (p?.enableRbacAuthorization !== true) {
      report(
        `${who(args)} uses vault access policies (properties.enableRbacAuthorization ${show(p?.enableRbacAuthorization)}, false by default): set properties.enableRbacAuthorization to true.`,
      );
    }
    if (Array.isArray(p?.accessPolicies) && p.accessPolicies.length > 0) {
      report(
        `${who(args)} defines ${p.accessPolicies.length} properties.accessPolicies: remove them and use RBAC role assignments.`,
      );
    }
  },
);

export const vaultNetwork = resourcePolicy<keyvault.VaultArgs>(
  {
    name: "azure-native-keyvault-vault-disallow-public-network-access",
    description:
      "Key vaults and Managed HSM pools are not reachable from the public internet: public network access is disabled, or the firewall denies by default and admits no IP range.",
    severity: "high",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "keyvault",
    remediationSteps:
      'Set `properties.publicNetworkAccess: "Disabled"` and reach the vault through a private endpoint, or (for a vault a service must reach through the trusted-services bypass) set `properties.networkAcls.defaultAction: "Deny"` with no `ipRules`.',
    url: "https://learn.microsoft.com/azure/key-vault/general/network-security",
  },
  [VAULT, MANAGED_HSM],
  (props, args, report) => {
    const p = props.properties;
    // publicNetworkAccess absent = Enabled; networkAcls absent = defaultAction Allow (Azure defaults).
    if (sameText(p?.publicNetworkAccess, "Disabled")) return;
    if (!sameText(p?.networkAcls?.defaultAction, "Deny")) {
      report(
        `${who(args)} accepts public traffic: set properties.publicNetworkAccess to "Disabled" (or properties.networkAcls.defaultAction to "Deny").`,
      );
      return;
    }
    // Public access on behind a deny-by-default firewall (e.g. a vault Cosmos DB must reach through the trusted
    // services bypass): any IP rule admits internet addresses. VNet rules and the bypass are not public (whose subnets
    // VNet rules name: networkRules.ts).
    const ipRules = Array.isArray(p?.networkAcls?.ipRules) ? p.networkAcls.ipRules : [];
    if (ipRules.length > 0) {
      report(
        `${who(args)} admits internet addresses through ${ipRules.length} properties.networkAcls.ipRules: remove them and reach the vault through its private endpoint.`,
      );
    }
  },
);

export const vaultPremium = resourcePolicy<keyvault.VaultArgs>(
  {
    name: "azure-native-keyvault-vault-require-premium-sku",
    description:
      "Key vaults in production stacks use the premium SKU, so keys protecting cardholder data can be HSM-backed (FIPS 140 Level 3).",
    severity: "medium",
    pci: ["3.6.1", "3.6.1.2"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      'Set `properties.sku.name: "premium"` (family "A") on vaults in the stacks listed in `prodStacks`.',
    url: "https://learn.microsoft.com/azure/key-vault/keys/about-keys",
    config: { prodStacks: prodStacksKnob(PROD_STACKS) },
  },
  VAULT,
  (props, args, report) => {
    if (!isProdStack(args)) args.notApplicable(`stack '${stackOfUrn(args.urn)}' is not in prodStacks`);
    const sku = props.properties?.sku?.name;
    if (!sameText(sku, "premium")) {
      report(
        `${who(args)} uses the '${sku ?? "unset"}' SKU in stack '${stackOfUrn(args.urn)}': set properties.sku.name to "premium".`,
      );
    }
  },
);
