/**
 * Key Vault: the vault that holds the platform's customer-managed keys (storage, SQL TDE, Event Hubs, ML) and its
 * secrets. PCI DSS requirement 3.6/3.7 (key management) and GDPR Art. 32 (encryption, recoverability).
 * All vault settings live under `properties` in azure-native v3 (`keyvault.VaultPropertiesArgs`), as do the key
 * and secret settings (`KeyPropertiesArgs`, `SecretPropertiesArgs`).
 */
import type { Policies } from "@pulumi/policy";
import type * as keyvault from "@pulumi/azure-native/keyvault";
import { isoDurationDays, KEY_VAULT_CALENDAR } from "../lib/duration";
import { resourcePolicy, stackOfUrn } from "../lib/policy";
import { isProdStack, prodStacksKnob } from "../lib/scope";
import { vaultExpiryAlerts } from "./keyvaultEvents";
import { isSet, oneOf, presence, requireKnown, sameText, show, stringsAt, valueAt, who } from "../lib/values";

export { KEY_EXPIRY_EVENTS, vaultExpiryAlerts } from "./keyvaultEvents";

const VAULT = "azure-native:keyvault:Vault";
/** A Managed HSM pool: its `properties` carry the same purge protection, soft delete and network settings. */
const MANAGED_HSM = "azure-native:keyvault:ManagedHsm";
const KEY = "azure-native:keyvault:Key";
const SECRET = "azure-native:keyvault:Secret";

/** Key Vault counts a year as 365 days and a month as 30 in rotation policies. */
const durationDays = (text: unknown) => isoDurationDays(text, KEY_VAULT_CALENDAR);

/** How this module describes its `prodStacks` knob. */
const PROD_STACKS = "Stacks (the stack segment of the URN) that hold the cardholder data environment.";

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

// ---------------------------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------------------------

const RSA_TYPES = ["RSA", "RSA-HSM"];
const EC_TYPES = ["EC", "EC-HSM"];
const HSM_TYPES = ["RSA-HSM", "EC-HSM"];

export const keyStrength = resourcePolicy<keyvault.KeyArgs>(
  {
    name: "azure-native-keyvault-key-enforce-minimum-key-strength",
    description:
      "Key Vault keys are strong: RSA keys have at least the configured size (3072 bits by default) and EC keys use an allowed NIST curve.",
    severity: "high",
    pci: ["3.5.1", "3.6.1", "4.2.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      "Set `properties.kty` explicitly; for `RSA`/`RSA-HSM` set `properties.keySize` to 3072 or 4096 (config `minRsaKeySize`); for `EC`/`EC-HSM` set `properties.curveName` to an allowed curve (P-256, P-384, P-521).",
    url: "https://learn.microsoft.com/azure/key-vault/keys/about-keys-details",
    config: {
      minRsaKeySize: { type: "integer", minimum: 2048, default: 3072, description: "Minimum RSA modulus in bits." },
      allowedCurves: {
        type: "array",
        items: { type: "string" },
        default: ["P-256", "P-384", "P-521"],
        description: "Elliptic curves allowed for EC keys (P-256K is not a NIST curve).",
      },
    },
  },
  KEY,
  (props, args, report) => {
    const { minRsaKeySize, allowedCurves } = args.getConfig<{ minRsaKeySize: number; allowedCurves: string[] }>();
    const p = props.properties;
    const kty = p?.kty;
    // kty absent: the key type is left to the service; require it so the strength can be assessed.
    if (kty === undefined) {
      report(`${who(args)} has no properties.kty: set it to "RSA-HSM", "RSA", "EC-HSM" or "EC".`);
      return;
    }
    if (oneOf(kty, RSA_TYPES)) {
      // keySize absent = 2048 (Azure default for RSA keys).
      const size = p?.keySize ?? 2048;
      if (size < minRsaKeySize) {
        report(`${who(args)} is a ${size}-bit ${kty} key: set properties.keySize to at least ${minRsaKeySize}.`);
      }
    } else if (oneOf(kty, EC_TYPES)) {
      // curveName absent = P-256 (Azure default for EC keys).
      const curve = p?.curveName ?? "P-256";
      if (!oneOf(curve, allowedCurves)) {
        report(`${who(args)} uses curve '${curve}': set properties.curveName to one of ${allowedCurves.join(", ")}.`);
      }
    } else {
      report(`${who(args)} has key type '${kty}': set properties.kty to an RSA or EC key type.`);
    }
  },
);

export const keyHsm = resourcePolicy<keyvault.KeyArgs>(
  {
    name: "azure-native-keyvault-key-require-hsm-backed-key",
    description:
      "Key Vault keys in production stacks are HSM-protected (RSA-HSM or EC-HSM), as PCI DSS 3.6.1.2 expects for keys that encrypt cardholder data.",
    severity: "high",
    pci: ["3.6.1.2"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      'Set `properties.kty` to `"RSA-HSM"` or `"EC-HSM"` (the vault needs `properties.sku.name: "premium"`) in the stacks listed in `prodStacks`.',
    url: "https://learn.microsoft.com/azure/key-vault/keys/about-keys",
    config: { prodStacks: prodStacksKnob(PROD_STACKS) },
  },
  KEY,
  (props, args, report) => {
    if (!isProdStack(args)) args.notApplicable(`stack '${stackOfUrn(args.urn)}' is not in prodStacks`);
    const kty = props.properties?.kty;
    if (!oneOf(kty, HSM_TYPES)) {
      report(
        `${who(args)} is a software-protected key ('${kty ?? "unset"}') in stack '${stackOfUrn(args.urn)}': set properties.kty to "RSA-HSM" or "EC-HSM".`,
      );
    }
  },
);

export const keyExpiry = resourcePolicy<keyvault.KeyArgs>(
  {
    name: "azure-native-keyvault-key-require-expiration-date",
    description: "Key Vault keys have an expiration date, which bounds their cryptoperiod.",
    severity: "medium",
    pci: ["3.6.1", "3.7.4"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      "Set `properties.attributes.expires` (seconds since 1970-01-01T00:00:00Z), and let the rotation policy (`properties.rotationPolicy.attributes.expiryTime`) set it for new versions.",
    url: "https://learn.microsoft.com/azure/key-vault/keys/about-keys-details#key-attributes",
  },
  KEY,
  (props, args, report) => {
    // attributes.expires absent = the key never expires.
    if (!isSet(props.properties?.attributes, "expires")) {
      report(`${who(args)} never expires: set properties.attributes.expires.`);
    }
  },
);

/** Operations a key may allow: wrapping data keys (every CMK), and signing (the Always Encrypted column master key). */
const KEY_OPERATIONS = ["wrapKey", "unwrapKey", "sign", "verify"];

export const keyUse = resourcePolicy<keyvault.KeyArgs>(
  {
    name: "azure-native-keyvault-key-disallow-export-and-extra-operations",
    description:
      "Key Vault keys stay in the vault and serve one purpose: not exportable, no release policy, and their operations limited to wrapping keys (and signing, for Always Encrypted's column master key): no encrypt, decrypt or export.",
    severity: "high",
    pci: ["3.6.1", "3.6.1.2", "3.7.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      'Leave `properties.attributes.exportable` unset or false and `properties.releasePolicy` unset, and set `properties.keyOps` to `["wrapKey", "unwrapKey"]` (plus `"sign", "verify"` for an Always Encrypted column master key).',
    url: "https://learn.microsoft.com/azure/key-vault/keys/about-keys-details",
  },
  KEY,
  (props, args, report) => {
    const p = props.properties;
    // "Indicates if the private key can be exported" (the SDK's KeyAttributes); a release policy is what lets it out.
    if (p?.attributes?.exportable === true)
      report(`${who(args)} is exportable: leave properties.attributes.exportable unset or false.`);
    if (presence(props, "properties", "releasePolicy") === "set")
      report(`${who(args)} has a release policy (the key can leave the vault): remove properties.releasePolicy.`);
    // keyOps absent: every operation the key type supports, so require the list.
    if (presence(props, "properties", "keyOps") === "unknown") requireKnown(props, "properties", "keyOps");
    const ops = stringsAt(props, "properties", "keyOps");
    if (ops.length === 0) {
      report(`${who(args)} allows every operation (no properties.keyOps): set keyOps to ["wrapKey", "unwrapKey"].`);
      return;
    }
    const extra = ops.filter((o) => !KEY_OPERATIONS.some((k) => sameText(k, o)));
    if (extra.length > 0)
      report(`${who(args)} allows ${extra.join(", ")}: limit properties.keyOps to ${KEY_OPERATIONS.join(", ")}.`);
  },
);

export const keyRotation = resourcePolicy<keyvault.KeyArgs>(
  {
    name: "azure-native-keyvault-key-configure-rotation-policy",
    description:
      "Key Vault keys have a rotation policy with an automatic Rotate action and a new-version expiry no longer than the maximum cryptoperiod (P365D by default), rotating before the key expires.",
    severity: "medium",
    pci: ["3.6.1", "3.7.4"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      'Set `properties.rotationPolicy.lifetimeActions` with `{ action: { type: "rotate" }, trigger: { timeAfterCreate: "P335D" } }` (or `timeBeforeExpiry`) and `properties.rotationPolicy.attributes.expiryTime` to at most `P365D` (config `maxExpiryTime`).',
    url: "https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation",
    config: {
      maxExpiryTime: {
        type: "string",
        default: "P365D",
        description: "Longest allowed cryptoperiod, as an ISO 8601 duration (e.g. P365D, P1Y, P90D).",
      },
    },
  },
  KEY,
  (props, args, report) => {
    const { maxExpiryTime } = args.getConfig<{ maxExpiryTime: string }>();
    const maxDays = durationDays(maxExpiryTime);
    if (maxDays === undefined) throw new Error(`maxExpiryTime '${maxExpiryTime}' is not an ISO 8601 duration`);
    const policy = props.properties?.rotationPolicy;
    // rotationPolicy absent = the key is never rotated automatically.
    if (policy === undefined) {
      report(
        `${who(args)} has no rotation policy: set properties.rotationPolicy with a "rotate" lifetime action and attributes.expiryTime ≤ ${maxExpiryTime}.`,
      );
      return;
    }
    const rotate = (policy.lifetimeActions ?? []).find((a) => sameText(a?.action?.type, "rotate"));
    if (!rotate || (!isSet(rotate.trigger, "timeAfterCreate") && !isSet(rotate.trigger, "timeBeforeExpiry"))) {
      report(
        `${who(args)} has no automatic rotation: add a properties.rotationPolicy.lifetimeActions entry with action.type "rotate" and a trigger (timeAfterCreate or timeBeforeExpiry).`,
      );
    }
    const expiryTime = policy.attributes?.expiryTime;
    const expiryDays = durationDays(expiryTime);
    if (expiryDays === undefined) {
      report(
        `${who(args)} has no valid properties.rotationPolicy.attributes.expiryTime ('${expiryTime ?? "unset"}'): set an ISO 8601 duration ≤ ${maxExpiryTime}.`,
      );
    } else if (expiryDays > maxDays) {
      report(
        `${who(args)} has a cryptoperiod of ${expiryTime}: set properties.rotationPolicy.attributes.expiryTime to at most ${maxExpiryTime}.`,
      );
    } else if (rotate) {
      const after = durationDays(rotate.trigger?.timeAfterCreate);
      if (after !== undefined && after >= expiryDays) {
        report(
          `${who(args)} rotates after ${rotate.trigger?.timeAfterCreate}, not before its versions expire (${expiryTime}): set the rotate trigger.timeAfterCreate below expiryTime.`,
        );
      }
    }
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------------------------

export const secretExpiry = resourcePolicy<keyvault.SecretArgs>(
  {
    name: "azure-native-keyvault-secret-require-expiration-date",
    description:
      "Key Vault secrets have an expiration date no further off than the configured validity, so credentials stored in them are changed periodically.",
    severity: "medium",
    // 8.6.3 (system and application account credentials), not 8.3.9 (user passwords, every 90 days).
    pci: ["8.6.3"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      "Set `properties.attributes.expires` (seconds since 1970-01-01T00:00:00Z) at most `maxValidityDays` ahead and rotate the secret before it.",
    url: "https://learn.microsoft.com/azure/key-vault/secrets/secrets-best-practices",
    config: {
      maxValidityDays: {
        type: "integer",
        minimum: 1,
        maximum: 3650,
        default: 365,
        description:
          "The longest a secret may stay valid from the preview (PCI DSS 8.6.3: changed periodically, at a frequency the entity defines).",
      },
    },
  },
  SECRET,
  (props, args, report) => {
    const { maxValidityDays } = args.getConfig<{ maxValidityDays: number }>();
    // attributes.expires absent = the secret never expires.
    if (!isSet(props.properties?.attributes, "expires")) {
      report(`${who(args)} never expires: set properties.attributes.expires.`);
      return;
    }
    // A date far off expires in name only (2100 passes "has an expiry"). A value computed from other resources cannot
    // be judged during a first preview (the runner reports it undecided, advisory).
    const expires = props.properties?.attributes?.expires;
    if (typeof expires === "number") {
      const days = Math.floor((expires * 1000 - Date.now()) / 86_400_000);
      if (days > maxValidityDays) {
        report(
          `${who(args)} expires in ${days} days, beyond the ${maxValidityDays}-day maximum validity: set properties.attributes.expires at most ${maxValidityDays} days ahead and rotate the secret before it.`,
        );
      }
    }
  },
);

export const secretContentType = resourcePolicy<keyvault.SecretArgs>(
  {
    name: "azure-native-keyvault-secret-require-content-type",
    description:
      "Key Vault secrets declare a content type, so their kind (password, connection string, certificate) and rotation procedure can be identified.",
    severity: "low",
    pci: ["8.6.3"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps: 'Set `properties.contentType` (e.g. `"text/plain; kind=password"` or `"application/x-pkcs12"`).',
    url: "https://learn.microsoft.com/azure/key-vault/secrets/about-secrets",
    enforcementLevel: "advisory",
  },
  SECRET,
  (props, args, report) => {
    if (!isSet(props.properties, "contentType")) {
      report(`${who(args)} has no content type: set properties.contentType.`);
    }
  },
);

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
