/**
 * Azure Cosmos DB (NoSQL; sessions, API logs, fraud features, webhook events): private access only, Entra (RBAC)
 * authentication only, no key-based control-plane writes, no broad IP rules, a customer-managed key, TLS 1.2,
 * EU-only replication and continuous backup (catalogue rows 27–34); custom data-plane roles with exact actions.
 */
import type * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import type { Policies, PolicyResource } from "@pulumi/policy";
import { ipv4Range, minPrefixLengthKnob } from "../lib/network";
import { ofType, refersTo, resourcePolicy, stackPolicy } from "../lib/policy";
import { inScopeKnob, isProdStack, prodStacksKnob, skipOutOfScope } from "../lib/scope";
import {
  isSet,
  normaliseLocation,
  oneOf,
  presence,
  requireKnown,
  safeGet,
  sameText,
  show,
  valueAt,
  who,
} from "../lib/values";
import { EU_LOCATIONS } from "./general";

const ACCOUNT = "azure-native:cosmosdb:DatabaseAccount";
const DOCS = "https://learn.microsoft.com/azure/cosmos-db";

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

const VAULT = "azure-native:keyvault:Vault";
const KEY = "azure-native:keyvault:Key";

/** The vault name in a key URI (`https://<vault>.vault.azure.net/keys/...`), when known. */
function vaultNameOfUri(uri: unknown): string | undefined {
  return typeof uri === "string" ? /^https:\/\/([^./]+)\.vault\./i.exec(uri)?.[1] : undefined;
}

/**
 * The vault in the stack that holds a Cosmos DB account's key: through the Key resource its `keyVaultKeyUri` comes
 * from (a property dependency during preview, or the same URI), else by the vault name in the URI.
 */
function cmkVaultOf(
  account: PolicyResource,
  keys: readonly PolicyResource[],
  vaults: readonly PolicyResource[],
): PolicyResource | undefined {
  const uri = valueAt(account.props, "keyVaultKeyUri");
  const key = keys.find(
    (k) =>
      refersTo(account, k, { properties: ["keyVaultKeyUri"] }) ||
      (typeof uri === "string" && ["keyUri", "keyUriWithVersion"].some((o) => sameText(valueAt(k.props, o), uri))),
  );
  if (key) {
    const vault = vaults.find((v) =>
      refersTo(key, v, { properties: ["vaultName"], byName: { nameKeys: ["vaultName"] } }),
    );
    if (vault) return vault;
  }
  const name = vaultNameOfUri(uri);
  // The vault's Azure name: its `name` output (`vaultName` is part of its path, not an output; `v.name` is the
  // Pulumi name), else the last segment of its id, else its input where visible.
  const azureName = (v: PolicyResource) => [
    valueAt(v.props, "name"),
    /\/vaults\/([^/]+)$/i.exec(String(valueAt(v.props, "id") ?? ""))?.[1],
    valueAt(v.props, "vaultName"),
  ];
  return name ? vaults.find((v) => azureName(v).some((n) => sameText(n, name))) : undefined;
}

export const cosmosCmkVaultReachable = stackPolicy(
  {
    name: "azure-native-cosmosdb-databaseaccount-require-reachable-cmk-vault",
    description:
      "The key vault holding a Cosmos DB account's customer-managed key is one Cosmos DB can reach: not private-endpoint-only (public network access Disabled), and behind a deny-by-default firewall only with the trusted-services bypass.",
    severity: "high",
    pci: ["3.6.1", "3.7.1"],
    gdpr: ["32(1)(a)", "32(1)(c)"],
    soc2: ["A1.2", "CC6.1"],
    service: "cosmosdb",
    remediationSteps:
      'Put the Cosmos DB key in a vault with `properties.publicNetworkAccess: "Enabled"`, `properties.networkAcls: { defaultAction: "Deny", bypass: "AzureServices", ipRules: [] }` and a private endpoint; keep every other key in the private-only vault.',
    url: `${DOCS}/how-to-setup-customer-managed-keys`,
  },
  (args, report) => {
    // isSet: during a first preview the key URI is an unknown output, yet the account has a key and its vault is
    // found through the property dependency on the key.
    const accounts = ofType(args.resources, ACCOUNT).filter((a) => isSet(a.props, "keyVaultKeyUri"));
    if (accounts.length === 0) args.notApplicable("the stack has no Cosmos DB account with a customer-managed key");
    const keys = ofType(args.resources, KEY);
    const vaults = ofType(args.resources, VAULT);
    let checked = 0;
    for (const account of accounts) {
      const vault = cmkVaultOf(account, keys, vaults);
      if (!vault) continue;
      checked++;
      const access = valueAt(vault.props, "properties", "publicNetworkAccess");
      const acls = valueAt(vault.props, "properties", "networkAcls");
      if (sameText(access, "Disabled")) {
        report(
          `${who(account)} keeps its customer-managed key in ${who(vault)}, which only private endpoints reach (properties.publicNetworkAccess "Disabled"): Cosmos DB cannot use such a vault; set publicNetworkAccess "Enabled" with networkAcls defaultAction "Deny" and bypass "AzureServices".`,
          account.urn,
        );
      } else if (
        sameText(valueAt(acls, "defaultAction"), "Deny") &&
        !sameText(valueAt(acls, "bypass"), "AzureServices")
      ) {
        report(
          `${who(account)} keeps its customer-managed key in ${who(vault)}, whose firewall denies by default without the trusted-services bypass (networkAcls.bypass ${show(valueAt(acls, "bypass"))}): set properties.networkAcls.bypass to "AzureServices".`,
          account.urn,
        );
      }
    }
    if (checked === 0) args.notApplicable("the vaults holding the Cosmos DB keys are not in the stack");
  },
);

const ROLE_DEFINITION = "azure-native:cosmosdb:SqlResourceSqlRoleDefinition";

export const cosmosRoleExactActions = resourcePolicy<cosmosdb.SqlResourceSqlRoleDefinitionArgs>(
  {
    name: "azure-native-cosmosdb-sqlroledefinition-disallow-wildcard-data-actions",
    description:
      "Custom Cosmos DB data-plane roles name their data actions one by one: a wildcard grants every item operation (delete, query, change feed, stored procedures) and whatever Azure adds later.",
    severity: "medium",
    pci: ["7.2.1", "7.2.2"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.3"],
    service: "cosmosdb",
    remediationSteps:
      "List each action in `permissions[*].dataActions` (e.g. `Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/create`, plus `Microsoft.DocumentDB/databaseAccounts/readMetadata`); for full item access assign the built-in Data Contributor (00000000-0000-0000-0000-000000000002) instead.",
    url: `${DOCS}/nosql/security/reference-data-plane-actions`,
  },
  ROLE_DEFINITION,
  (props, args, report) => {
    requireKnown(props, "permissions");
    const permissions = valueAt(props, "permissions");
    if (!Array.isArray(permissions) || permissions.length === 0) args.notApplicable("the role grants no permissions");
    for (const permission of permissions as unknown[]) {
      requireKnown(permission, "dataActions");
      const actions = valueAt(permission, "dataActions");
      for (const action of Array.isArray(actions) ? actions : []) {
        if (typeof action === "string" && action.includes("*")) {
          report(`${who(args)} grants '${action}': name the data actions the role needs instead of a wildcard.`);
        }
      }
    }
  },
);

const CONTAINER = "azure-native:cosmosdb:SqlResourceSqlContainer";
/** 400 days: the longest expiry the platform's model gives a container (the fraud features' look-back). */
export const MAX_ITEM_TTL_SECONDS = 400 * 86_400;

export const cosmosItemExpiry = resourcePolicy<cosmosdb.SqlResourceSqlContainerArgs>(
  {
    name: "azure-native-cosmosdb-sqlresourcesqlcontainer-enforce-maximum-item-ttl",
    description:
      "Cosmos DB containers expire their items: a default time to live (`resource.defaultTtl`) of at least one second and at most the configured maximum, and an analytical store (if on) no longer, so personal data (sessions, API logs, webhook events, fraud features) is not kept longer than needed; only the containers named in the config (the change feed's lease container) keep items without expiry.",
    severity: "medium",
    pci: ["3.2.1"],
    gdpr: ["5(1)(e)", "25"],
    soc2: ["C1.2"],
    service: "cosmosdb",
    remediationSteps:
      "Set `resource.defaultTtl` to the container's retention in seconds (not -1, which keeps items without their own `ttl` for ever); a container that must keep its items goes in `containersWithoutExpiry` with the reason in the stack's policy config.",
    url: `${DOCS}/nosql/time-to-live`,
    config: {
      maxTtlSeconds: {
        type: "integer",
        minimum: 1,
        maximum: 2_147_483_647,
        default: MAX_ITEM_TTL_SECONDS,
        description: "Longest default time to live, in seconds (default 400 days).",
      },
      containersWithoutExpiry: {
        type: "array",
        items: { type: "string" },
        default: ["leases"],
        description:
          "Container ids (exact, case-insensitive) allowed to keep items without expiry: the change feed processor's lease container holds continuation tokens, not data.",
      },
    },
  },
  CONTAINER,
  (props, args, report) => {
    const { maxTtlSeconds, containersWithoutExpiry } = args.getConfig<{
      maxTtlSeconds: number;
      containersWithoutExpiry: string[];
    }>();
    requireKnown(props, "resource", "id");
    const id = valueAt(props, "resource", "id");
    if (oneOf(id, containersWithoutExpiry))
      args.notApplicable(`container '${String(id)}' is in containersWithoutExpiry`);
    // The analytical store keeps its own copy: "-1: the analytical store retains all historical data, irrespective of
    // the retention of the data in the transactional store" (analytical-store-introduction). Absent or 0 = off.
    requireKnown(props, "resource", "analyticalStorageTtl");
    const analytical = valueAt(props, "resource", "analyticalStorageTtl");
    if (typeof analytical === "number" && (analytical < 0 || analytical > maxTtlSeconds)) {
      report(
        `${who(args)} container '${String(id)}' keeps its analytical store ${analytical < 0 ? "for ever" : `${analytical} seconds`} (resource.analyticalStorageTtl ${analytical}): set it to at most ${maxTtlSeconds}, or 0 to turn it off.`,
      );
    }
    requireKnown(props, "resource", "defaultTtl");
    // Absent = time to live off (items never expire); -1 = on, but an item without its own ttl never expires.
    const ttl = valueAt(props, "resource", "defaultTtl");
    if (typeof ttl !== "number" || ttl < 1) {
      report(
        `${who(args)} container '${String(id)}' keeps items without expiry (resource.defaultTtl ${show(ttl)}): set it to the retention in seconds, at most ${maxTtlSeconds}.`,
      );
    } else if (ttl > maxTtlSeconds) {
      report(
        `${who(args)} container '${String(id)}' keeps items ${ttl} seconds (resource.defaultTtl), more than the ${maxTtlSeconds} allowed (maxTtlSeconds).`,
      );
    }
  },
);

const ROLE_ASSIGNMENT = "azure-native:cosmosdb:SqlResourceSqlRoleAssignment";
/** The built-in Cosmos DB Built-in Data Reader role's id (the last segment of its roleDefinitionId). */
export const COSMOS_DATA_READER = "00000000-0000-0000-0000-000000000001";
/** The built-in Cosmos DB Built-in Data Contributor role's id. */
export const COSMOS_DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002";
/** Data actions that read only (reference-data-plane-actions): anything else writes or runs code. */
const READ_ACTIONS = [
  "Microsoft.DocumentDB/databaseAccounts/readMetadata",
  "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read",
  "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/executeQuery",
  "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/readChangeFeed",
];
/** A data-plane scope naming one container: `<account id>/dbs/<database>/colls/<container>`. */
const CONTAINER_SCOPE = /\/dbs\/[^/]+\/colls\/[^/]+$/i;

export const cosmosWriteRoleScope = stackPolicy(
  {
    name: "azure-native-cosmosdb-sqlroleassignment-require-container-scope-for-write-roles",
    description:
      "A Cosmos DB for NoSQL data-plane role that writes (the built-in Data Contributor, a custom role with any data action beyond reading metadata, items, queries and the change feed, or a custom role the stack does not declare) is assigned on the containers its principal writes, never on the whole account or a database: least privilege for the identities that hold card and payment events.",
    severity: "high",
    pci: ["7.2.1", "7.2.2"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.3"],
    service: "cosmosdb",
    remediationSteps:
      "Set the assignment's `scope` to `<account id>/dbs/<database>/colls/<container>`, one assignment per container the principal writes (the NoSQL tier's `containers` of a data-plane principal); read-only roles may keep the account scope.",
    url: `${DOCS}/nosql/security/reference-data-plane-actions`,
  },
  (args, report) => {
    const assignments = ofType(args.resources, ROLE_ASSIGNMENT);
    if (assignments.length === 0) args.notApplicable("the stack assigns no Cosmos DB data-plane role");
    const definitions = ofType(args.resources, ROLE_DEFINITION);
    let writers = 0;
    let reported = 0;
    // What a first preview cannot know yet (a role id built from the account's, a custom role's actions, a scope):
    // decided after every known assignment, so that one unknown never hides a known violation.
    const undecided: { readonly obj: unknown; readonly path: string[] }[] = [];
    for (const a of assignments) {
      if (presence(a.props, "roleDefinitionId") === "unknown") {
        undecided.push({ obj: a.props, path: ["roleDefinitionId"] });
        continue;
      }
      const roleId = String(valueAt(a.props, "roleDefinitionId") ?? "");
      const guid = roleId.split("/").pop()?.toLowerCase() ?? "";
      if (guid === COSMOS_DATA_READER) continue;
      let writes = guid === COSMOS_DATA_CONTRIBUTOR;
      if (!writes) {
        const definition = definitions.find(
          (d) => refersTo(a, d, { properties: ["roleDefinitionId"] }) || sameText(valueAt(d.props, "id"), roleId),
        );
        if (definition && presence(definition.props, "permissions") === "unknown") {
          undecided.push({ obj: definition.props, path: ["permissions"] });
          continue;
        }
        // A custom role the stack does not declare: its actions are unknown, so it counts as writing.
        const actions = definition
          ? (valueAt(definition.props, "permissions") as { dataActions?: unknown }[] | undefined)?.flatMap((p) =>
              Array.isArray(p?.dataActions) ? (p.dataActions as unknown[]) : [],
            )
          : undefined;
        writes = actions === undefined || actions.some((x) => !oneOf(x, READ_ACTIONS));
      }
      if (!writes) continue;
      writers++;
      if (presence(a.props, "scope") === "unknown") {
        undecided.push({ obj: a.props, path: ["scope"] });
        continue;
      }
      const scope = String(valueAt(a.props, "scope") ?? "");
      if (!CONTAINER_SCOPE.test(scope)) {
        reported++;
        report(
          `${who(a)} assigns a role that writes (${guid === COSMOS_DATA_CONTRIBUTOR ? "the built-in Data Contributor" : `custom role ${guid}`}) on ${/\/dbs\/[^/]+$/i.test(scope) ? "a whole database" : "the whole account"} (${scope}): assign it on each container the principal writes instead (<account id>/dbs/<database>/colls/<container>).`,
          a.urn,
        );
      }
    }
    if (reported === 0 && undecided.length > 0) requireKnown(undecided[0].obj, ...undecided[0].path);
    if (writers === 0) args.notApplicable("every Cosmos DB data-plane role the stack assigns only reads");
  },
);

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
