/**
 * The Cosmos DB account: no public network access or IP rules beyond the allowed ranges, no local (key) authentication or metadata writes by keys, a customer-managed key, TLS 1.2, EU regions, continuous backup.
 */
import type * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import { ipv4Range, minPrefixLengthKnob } from "../../lib/network";
import { resourcePolicy } from "../../lib/policy";
import { inScopeKnob, isProdStack, prodStacksKnob, skipOutOfScope } from "../../lib/scope";
import {
  normaliseLocation,
  oneOf,
  presence,
  requireKnown,
  safeGet,
  sameText,
  show,
  valueAt,
  who,
} from "../../lib/values";
import { EU_LOCATIONS } from "../general";
import { ACCOUNT, DOCS } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// The account
// ---------------------------------------------------------------------------------------------------------------

export const cosmosPublicNetwork = resourcePolicy<cosmosdb.DatabaseAccountArgs>(
  {
    name: "azure-native-cosmosdb-databaseaccount-disallow-public-network-access",
    description:
      "Every Cosmos DB account has public network access disabled and is reached only through private endpoints.",
    severity: "critical",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32"],
    soc2: ["CC6.6"],
    service: "cosmosdb",
    remediationSteps:
      'Set `publicNetworkAccess` to "Disabled" and add a private endpoint (group id `Sql`, zone privatelink.documents.azure.com).',
    url: `${DOCS}/how-to-configure-private-endpoints`,
  },
  ACCOUNT,
  (props, args, report) => {
    // Absent ⇒ violation: the service default is "Enabled"; "SecuredByPerimeter" keeps a public endpoint.
    if (props.publicNetworkAccess !== "Disabled") {
      report(
        `${who(args)} allows public network access (publicNetworkAccess ${show(props.publicNetworkAccess)}): set publicNetworkAccess to "Disabled" and reach it through a private endpoint.`,
      );
    }
  },
);

export const cosmosLocalAuth = resourcePolicy<cosmosdb.DatabaseAccountArgs>(
  {
    name: "azure-native-cosmosdb-databaseaccount-disable-local-auth",
    description:
      "Every Cosmos DB account refuses account keys and resource tokens, so data access goes through Microsoft Entra identities and Cosmos DB RBAC only.",
    severity: "high",
    pci: ["7.2.2", "8.2.2", "8.3.1"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "cosmosdb",
    remediationSteps:
      "Set `disableLocalAuth` to true and grant data access with `cosmosdb.SqlResourceSqlRoleAssignment`.",
    url: `${DOCS}/how-to-setup-rbac#disable-local-auth`,
  },
  ACCOUNT,
  (props, args, report) => {
    // Absent ⇒ violation: keys are enabled by default.
    // Unknown during preview: undecided (advisory), not passed.
    if (presence(props, "disableLocalAuth") === "unknown") requireKnown(props, "disableLocalAuth");
    if (props.disableLocalAuth !== true) {
      report(
        `${who(args)} accepts account keys (disableLocalAuth ${show(props.disableLocalAuth)}): set disableLocalAuth to true.`,
      );
    }
  },
);

export const cosmosMetadataWrites = resourcePolicy<cosmosdb.DatabaseAccountArgs>(
  {
    name: "azure-native-cosmosdb-databaseaccount-disable-key-based-metadata-write-access",
    description:
      "No Cosmos DB account lets SDK clients change databases, containers or throughput with account keys; such changes go through the deployment pipeline.",
    severity: "medium",
    pci: ["6.5.1", "7.2.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC8.1"],
    service: "cosmosdb",
    remediationSteps: "Set `disableKeyBasedMetadataWriteAccess` to true.",
    url: `${DOCS}/role-based-access-control#prevent-sdk-changes`,
  },
  ACCOUNT,
  (props, args, report) => {
    // Absent ⇒ violation: metadata writes with keys are allowed by default. Unknown during preview: undecided.
    if (presence(props, "disableKeyBasedMetadataWriteAccess") === "unknown")
      requireKnown(props, "disableKeyBasedMetadataWriteAccess");
    if (props.disableKeyBasedMetadataWriteAccess !== true) {
      report(
        `${who(args)} allows key-based metadata writes (disableKeyBasedMetadataWriteAccess ${show(props.disableKeyBasedMetadataWriteAccess)}): set disableKeyBasedMetadataWriteAccess to true.`,
      );
    }
  },
);

export const cosmosIpRules = resourcePolicy<cosmosdb.DatabaseAccountArgs>(
  {
    name: "azure-native-cosmosdb-databaseaccount-disallow-broad-ip-rules",
    description:
      "No Cosmos DB account admits all Azure datacenters (0.0.0.0) or a broad IP range through its firewall, or lets Azure services bypass it unless configured.",
    severity: "high",
    pci: ["1.3.1", "1.4.2"],
    gdpr: ["25"],
    soc2: ["CC6.6"],
    service: "cosmosdb",
    remediationSteps:
      'Remove `ipRules` entries that are `0.0.0.0` or shorter than /`minPrefixLength`, and set `networkAclBypass` to "None".',
    url: `${DOCS}/how-to-configure-firewall`,
    config: {
      minPrefixLength: minPrefixLengthKnob("an ipRules entry"),
      allowAzureServicesBypass: {
        type: "boolean",
        default: false,
        description: 'Allow networkAclBypass "AzureServices" (e.g. for Synapse Link or Azure portal access).',
      },
    },
  },
  ACCOUNT,
  (props, args, report) => {
    const { minPrefixLength, allowAzureServicesBypass } = args.getConfig<{
      minPrefixLength: number;
      allowAzureServicesBypass: boolean;
    }>();
    // Unknown during preview (the list, an entry's range, the bypass): undecided, not passed.
    if (presence(props, "ipRules") === "unknown") requireKnown(props, "ipRules");
    if (presence(props, "networkAclBypass") === "unknown") requireKnown(props, "networkAclBypass");
    const rules = valueAt(props, "ipRules");
    const entries = Array.isArray(rules) ? rules : [];
    for (let i = 0; i < entries.length; i++) {
      if (presence(entries, String(i), "ipAddressOrRange") === "unknown")
        requireKnown(entries, String(i), "ipAddressOrRange");
      const value = valueAt(entries, String(i), "ipAddressOrRange");
      if (typeof value !== "string") continue;
      const range = ipv4Range(value);
      if (value.trim() === "0.0.0.0") {
        report(
          `${who(args)} admits all Azure datacenters (ipRules[${i}].ipAddressOrRange "0.0.0.0"): remove ipRules[${i}] and use private endpoints.`,
        );
      } else if (range === undefined) {
        report(
          `${who(args)} has an invalid ipRules[${i}].ipAddressOrRange ${show(value)}: set it to an IPv4 address or CIDR.`,
        );
      } else if (range.prefix < minPrefixLength) {
        report(
          `${who(args)} admits the broad range ${value} (ipRules[${i}].ipAddressOrRange): narrow it to /${minPrefixLength} or longer, or remove it.`,
        );
      }
    }
    // Absent ⇒ "None" (the service default).
    const bypass = safeGet(props, "networkAclBypass");
    if (sameText(bypass, "AzureServices") && !allowAzureServicesBypass) {
      report(`${who(args)} lets Azure services bypass its firewall: set networkAclBypass to "None".`);
    }
  },
);

export const cosmosCmk = resourcePolicy<cosmosdb.DatabaseAccountArgs>(
  {
    name: "azure-native-cosmosdb-databaseaccount-require-customer-managed-key",
    description:
      "Every in-scope Cosmos DB account encrypts its data with a customer-managed Key Vault key reached through a managed identity.",
    severity: "high",
    pci: ["3.5.1", "3.6.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "cosmosdb",
    remediationSteps:
      'Set `keyVaultKeyUri` to the versionless key URI and `defaultIdentity` to "UserAssignedIdentity=<identity resource id>" (listed in `identity.userAssignedIdentities`, with Key Vault Crypto Service Encryption User on the key).',
    url: `${DOCS}/how-to-setup-customer-managed-keys`,
    config: { inScopeTagValues: inScopeKnob() },
  },
  ACCOUNT,
  (props, args, report) => {
    skipOutOfScope(props, args);
    // The key URI is usually an Output of a Key Vault key (unknown in preview): presence is enough.
    if (presence(props, "keyVaultKeyUri") === "absent") {
      report(`${who(args)} uses service-managed keys: set keyVaultKeyUri to the customer-managed Key Vault key URI.`);
    }
    // Absent ⇒ "FirstPartyIdentity", which needs Key Vault access policies (the platform's vaults use RBAC).
    const identity = valueAt(props, "defaultIdentity");
    const idPresence = presence(props, "defaultIdentity");
    if (idPresence === "absent" || (typeof identity === "string" && identity === "FirstPartyIdentity")) {
      report(
        `${who(args)} reaches its key with defaultIdentity ${show(identity)}: set defaultIdentity to "UserAssignedIdentity=<identity resource id>".`,
      );
    }
  },
);

export const cosmosMinimalTls = resourcePolicy<cosmosdb.DatabaseAccountArgs>(
  {
    name: "azure-native-cosmosdb-databaseaccount-enforce-minimal-tls-version",
    description: "Every Cosmos DB account refuses client connections below TLS 1.2.",
    severity: "high",
    pci: ["4.2.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "cosmosdb",
    remediationSteps: 'Set `minimalTlsVersion` to "Tls12".',
    url: `${DOCS}/self-serve-minimum-tls-enforcement`,
  },
  ACCOUNT,
  (props, args, report) => {
    // Absent ⇒ violation: the default is Tls12 only for accounts created recently; older ones keep "Tls", so pin it.
    if (presence(props, "minimalTlsVersion") === "unknown") requireKnown(props, "minimalTlsVersion");
    if (props.minimalTlsVersion !== "Tls12") {
      report(`${who(args)} has minimalTlsVersion ${show(props.minimalTlsVersion)}: set minimalTlsVersion to "Tls12".`);
    }
  },
);

export const cosmosEuLocations = resourcePolicy<cosmosdb.DatabaseAccountArgs>(
  {
    name: "azure-native-cosmosdb-databaseaccount-enforce-eu-locations",
    description:
      "Every Cosmos DB account replicates its data only to allowed EU regions, so personal and cardholder data stay in the EU.",
    severity: "critical",
    pci: ["12.5.2"],
    gdpr: ["44", "45", "46"],
    soc2: ["C1.1"],
    service: "cosmosdb",
    remediationSteps:
      "Set every `locations[*].locationName` to an allowed EU region (policy config `allowedLocations`), e.g. West Europe and North Europe.",
    url: `${DOCS}/distribute-data-globally`,
    config: {
      allowedLocations: {
        type: "array",
        // A subset of the EU regions: the config narrows the rule, it cannot open it to another region (GDPR 44).
        items: { type: "string", enum: EU_LOCATIONS },
        default: EU_LOCATIONS,
        description: "Azure regions (lower-case, no spaces) the account may replicate to.",
      },
    },
  },
  ACCOUNT,
  (props, args, report) => {
    const allowed = args.getConfig<{ allowedLocations: string[] }>().allowedLocations.map(normaliseLocation);
    // Unknown during preview: undecided (advisory), never "not applicable" or passed.
    if (presence(props, "locations") === "unknown") requireKnown(props, "locations");
    const locations = valueAt(props, "locations");
    const entries = Array.isArray(locations) ? locations : [];
    // Without a list the account replicates nowhere: the general location rule checks its `location`.
    if (entries.length === 0) args.notApplicable("the account lists no locations (its location is the general rule's)");
    const unknown = entries.map((_, i) => String(i)).filter((i) => presence(entries, i, "locationName") === "unknown");
    // Every region unknown: nothing was checked, so undecided.
    if (unknown.length === entries.length) requireKnown(entries, unknown[0], "locationName");
    let outside = 0;
    for (let i = 0; i < entries.length; i++) {
      if (presence(entries, String(i), "locationName") === "unknown") continue;
      const name = valueAt(entries, String(i), "locationName");
      if (typeof name !== "string" || !allowed.includes(normaliseLocation(name))) {
        outside++;
        report(
          `${who(args)} replicates to ${show(name)} (locations[${i}].locationName), outside the allowed EU regions: set locations[${i}].locationName to an EU region.`,
        );
      }
    }
    // Some regions known and allowed, another unknown: that one is undecided, not passed.
    if (outside === 0 && unknown.length > 0) requireKnown(entries, unknown[0], "locationName");
  },
);

export const cosmosContinuousBackup = resourcePolicy<cosmosdb.DatabaseAccountArgs>(
  {
    name: "azure-native-cosmosdb-databaseaccount-enable-continuous-backup",
    description:
      "Every in-scope Cosmos DB account uses continuous backup (point-in-time restore), with the 30-day tier in production.",
    severity: "medium",
    pci: ["12.10.1"],
    gdpr: ["32(1)(c)"],
    soc2: ["A1.2"],
    service: "cosmosdb",
    remediationSteps:
      'Set `backupPolicy` to `{ type: "Continuous", continuousModeProperties: { tier: "Continuous30Days" } }` (Continuous7Days is enough outside production).',
    url: `${DOCS}/continuous-backup-restore-introduction`,
    config: {
      inScopeTagValues: inScopeKnob(),
      prodStacks: prodStacksKnob(),
      prodTiers: {
        type: "array",
        items: { type: "string", enum: ["Continuous7Days", "Continuous30Days"] },
        default: ["Continuous30Days"],
        description: "Continuous backup tiers allowed in production stacks.",
      },
    },
  },
  ACCOUNT,
  (props, args, report) => {
    skipOutOfScope(props, args);
    if (presence(props, "backupPolicy") === "unknown") requireKnown(props, "backupPolicy");
    // Absent ⇒ violation: the default is periodic backup (no point-in-time restore).
    const type = valueAt(props, "backupPolicy", "type");
    // Compared without case, as every enum of the pack (Azure's enums are case-insensitive on the wire).
    if (!sameText(type, "Continuous")) {
      report(
        `${who(args)} uses ${type === undefined ? "the default periodic" : show(type)} backup: set backupPolicy.type to "Continuous".`,
      );
      return;
    }
    if (!isProdStack(args)) return;
    // Tier absent ⇒ the service default, Continuous30Days.
    // Unknown during preview: undecided, not the 30-day default.
    if (presence(props, "backupPolicy", "continuousModeProperties", "tier") === "unknown")
      requireKnown(props, "backupPolicy", "continuousModeProperties", "tier");
    const tier = valueAt(props, "backupPolicy", "continuousModeProperties", "tier") ?? "Continuous30Days";
    const { prodTiers } = args.getConfig<{ prodTiers: string[] }>();
    if (typeof tier === "string" && !oneOf(tier, prodTiers)) {
      report(
        `${who(args)} keeps continuous backups with tier ${show(tier)} in a production stack: set backupPolicy.continuousModeProperties.tier to ${prodTiers.map((t) => `"${t}"`).join(" or ")}.`,
      );
    }
  },
);
