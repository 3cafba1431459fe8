/**
 * Azure Synapse Analytics (the OLAP tier, dedicated SQL pools): network isolation through the managed virtual
 * network, data exfiltration protection, a customer-managed workspace key, Entra-only authentication, no IP
 * firewall rules, and transparent data encryption on every dedicated SQL pool (catalogue rows 18–24).
 * Synapse SQL auditing, its minimum TLS version and Defender for SQL have no azure-native v3 classes (row 26):
 * they are assigned through Azure Policy instead.
 */
import type * as synapse from "@pulumi/azure-native/synapse";
import type { Policies } from "@pulumi/policy";
import { allowedCidrsKnob, firewallRuleProblem } from "../lib/network";
import { ofType, refersTo, resourcePolicy, stackPolicy } from "../lib/policy";
import { inScopeKnob, skipOutOfScope } from "../lib/scope";
import {
  oneOf,
  presence,
  requireKnown,
  requireKnownElements,
  sameText,
  show,
  stringsAt,
  valueAt,
  who,
} from "../lib/values";

const WORKSPACE = "azure-native:synapse:Workspace";
const SQL_POOL = "azure-native:synapse:SqlPool";
const SQL_POOL_TDE = "azure-native:synapse:SqlPoolTransparentDataEncryption";
const DOCS = "https://learn.microsoft.com/azure/synapse-analytics";

/** A SQL pool child (its TDE setting) names its pool in `sqlPoolName`, in the same `workspaceName`. */
const POOL_CHILD = {
  properties: ["sqlPoolName"],
  byName: { nameKeys: ["sqlPoolName"], siblingKeys: ["workspaceName"] },
};

export const synapsePublicNetwork = resourcePolicy<synapse.WorkspaceArgs>(
  {
    name: "azure-native-synapse-workspace-disallow-public-network-access",
    description:
      "Every Synapse workspace has public network access disabled, lets no trusted Azure service bypass its firewall, and is reached through private endpoints (Sql, SqlOnDemand, Dev) and a private link hub.",
    severity: "critical",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32"],
    soc2: ["CC6.6"],
    service: "synapse",
    remediationSteps:
      'Set `publicNetworkAccess` to "Disabled", leave `trustedServiceBypassEnabled` false, and add private endpoints for the `Sql`, `SqlOnDemand` and `Dev` group ids.',
    url: `${DOCS}/security/connectivity-settings#public-network-access`,
  },
  WORKSPACE,
  (props, args, report) => {
    // Absent ⇒ violation: the service default is "Enabled".
    if (!sameText(props.publicNetworkAccess, "Disabled")) {
      report(
        `${who(args)} allows public network access (publicNetworkAccess ${show(props.publicNetworkAccess)}): set publicNetworkAccess to "Disabled" and reach it through private endpoints.`,
      );
    }
    // Trusted Azure services around the workspace's firewall, as the storage and Cosmos DB rules refuse their bypass
    // ("Is trustedServiceBypassEnabled for the workspace": the SDK's WorkspaceArgs; absent is off).
    if (presence(props, "trustedServiceBypassEnabled") === "unknown")
      requireKnown(props, "trustedServiceBypassEnabled");
    if (props.trustedServiceBypassEnabled === true) {
      report(
        `${who(args)} lets trusted Azure services bypass its firewall (trustedServiceBypassEnabled true): set it to false and reach the workspace through its private endpoints.`,
      );
    }
  },
);

export const synapseManagedVnet = resourcePolicy<synapse.WorkspaceArgs>(
  {
    name: "azure-native-synapse-workspace-enable-managed-virtual-network",
    description:
      "Every Synapse workspace runs its Spark and pipeline compute in a managed virtual network, isolated from other tenants.",
    severity: "high",
    pci: ["1.3.1", "1.4.1"],
    gdpr: ["25"],
    soc2: ["CC6.6"],
    service: "synapse",
    remediationSteps: 'Set `managedVirtualNetwork` to "default" (only possible when the workspace is created).',
    url: `${DOCS}/security/synapse-workspace-managed-vnet`,
  },
  WORKSPACE,
  (props, args, report) => {
    // Absent ⇒ violation: no managed VNet (shared compute), and it cannot be added after creation.
    if (props.managedVirtualNetwork !== "default") {
      report(
        `${who(args)} has no managed virtual network (managedVirtualNetwork ${show(props.managedVirtualNetwork)}): set managedVirtualNetwork to "default" when creating the workspace.`,
      );
    }
  },
);

export const synapseExfiltration = resourcePolicy<synapse.WorkspaceArgs>(
  {
    name: "azure-native-synapse-workspace-enable-data-exfiltration-protection",
    description:
      "Every Synapse workspace prevents data exfiltration: managed private endpoints may only reach approved Entra tenants.",
    severity: "high",
    pci: ["1.3.2"],
    gdpr: ["32", "44"],
    soc2: ["CC6.6"],
    service: "synapse",
    remediationSteps:
      "Set `managedVirtualNetworkSettings.preventDataExfiltration` to true and keep `managedVirtualNetworkSettings.allowedAadTenantIdsForLinking` within the policy's `allowedTenantIds` (the workspace's own tenant is always allowed).",
    url: `${DOCS}/security/workspace-data-exfiltration-protection`,
    config: {
      allowedTenantIds: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Entra tenant ids the workspace may link to besides its own (allowedAadTenantIdsForLinking).",
      },
    },
  },
  WORKSPACE,
  (props, args, report) => {
    // Absent ⇒ violation: exfiltration protection is off by default and can only be set at creation.
    // Unknown during preview: undecided (advisory), not passed.
    if (presence(props, "managedVirtualNetworkSettings", "preventDataExfiltration") === "unknown")
      requireKnown(props, "managedVirtualNetworkSettings", "preventDataExfiltration");
    if (valueAt(props, "managedVirtualNetworkSettings", "preventDataExfiltration") !== true) {
      report(
        `${who(args)} does not prevent data exfiltration: set managedVirtualNetworkSettings.preventDataExfiltration to true.`,
      );
    }
    const { allowedTenantIds } = args.getConfig<{ allowedTenantIds: string[] }>();
    const extra = stringsAt(props, "managedVirtualNetworkSettings", "allowedAadTenantIdsForLinking").filter(
      (t) => !oneOf(t, allowedTenantIds),
    );
    if (extra.length > 0) {
      report(
        `${who(args)} allows linking to unapproved tenants ${extra.join(", ")}: remove them from managedVirtualNetworkSettings.allowedAadTenantIdsForLinking or add them to the policy's allowedTenantIds.`,
      );
    }
    // A list or a tenant id unknown during preview (another resource's output): undecided, never passed, once the
    // known ids are reported.
    requireKnownElements(props, "managedVirtualNetworkSettings", "allowedAadTenantIdsForLinking");
  },
);

export const synapseCmk = resourcePolicy<synapse.WorkspaceArgs>(
  {
    name: "azure-native-synapse-workspace-require-customer-managed-key",
    description: "Every in-scope Synapse workspace double-encrypts its data with a customer-managed Key Vault key.",
    severity: "high",
    pci: ["3.5.1", "3.6.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "synapse",
    remediationSteps:
      "Set `encryption.cmk.key` to `{ name, keyVaultUrl }` and `encryption.cmk.kekIdentity` to `{ useSystemAssignedIdentity: true }`; after creation grant the workspace identity Key Vault Crypto Service Encryption User on the key and activate the workspace key (`isActiveCMK`). A user-assigned identity only works when the vault has no firewall.",
    url: `${DOCS}/security/workspaces-encryption`,
    config: { inScopeTagValues: inScopeKnob() },
  },
  WORKSPACE,
  (props, args, report) => {
    skipOutOfScope(props, args);
    // A key URL that is an Output of the vault (unknown in preview) counts as set.
    const missing = (["keyVaultUrl", "name"] as const).filter(
      (k) => presence(props, "encryption", "cmk", "key", k) === "absent",
    );
    if (missing.length > 0) {
      report(
        `${who(args)} has no customer-managed key (encryption.cmk.key.${missing.join(", encryption.cmk.key.")} unset): set encryption.cmk.key.keyVaultUrl and encryption.cmk.key.name.`,
      );
    }
    // kekIdentity absent ⇒ the system-assigned identity unwraps the key, which is acceptable.
    const useSystem = valueAt(props, "encryption", "cmk", "kekIdentity", "useSystemAssignedIdentity");
    if (
      presence(props, "encryption", "cmk", "kekIdentity") === "set" &&
      (useSystem === false || useSystem === "false") &&
      presence(props, "encryption", "cmk", "kekIdentity", "userAssignedIdentity") === "absent"
    ) {
      report(
        `${who(args)} turns the system identity off for its key but names no other: set encryption.cmk.kekIdentity.userAssignedIdentity to the identity with access to the key.`,
      );
    }
  },
);

export const synapseEntraOnly = resourcePolicy<synapse.WorkspaceArgs>(
  {
    name: "azure-native-synapse-workspace-require-entra-only-authentication",
    description: "Every Synapse workspace accepts Microsoft Entra authentication only on all its SQL endpoints.",
    severity: "critical",
    pci: ["8.2.2", "8.3.1", "8.6.2"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "synapse",
    remediationSteps:
      "Set `azureADOnlyAuthentication` to true when the workspace is created (later changes are not applied by the provider: pulumi-azure-native #1330, #2541).",
    url: `${DOCS}/sql/active-directory-authentication`,
  },
  WORKSPACE,
  (props, args, report) => {
    // Absent ⇒ violation: SQL authentication stays enabled by default.
    if (presence(props, "azureADOnlyAuthentication") === "unknown") requireKnown(props, "azureADOnlyAuthentication");
    if (props.azureADOnlyAuthentication !== true) {
      report(
        `${who(args)} allows SQL authentication (azureADOnlyAuthentication ${show(props.azureADOnlyAuthentication)}): set azureADOnlyAuthentication to true.`,
      );
    }
  },
);

export const synapseNoSqlPassword = resourcePolicy<synapse.WorkspaceArgs>(
  {
    name: "azure-native-synapse-workspace-disallow-sql-admin-password",
    description:
      "No Synapse workspace is given a SQL administrator password; administration goes through Microsoft Entra.",
    severity: "high",
    pci: ["8.2.2", "8.3.1", "8.6.2"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "synapse",
    remediationSteps:
      "Remove `sqlAdministratorLoginPassword`, set `azureADOnlyAuthentication: true` and make an Entra group the SQL admin with a PUT of `workspaces/sqlAdministrators/activeDirectory` (an ARM deployment after the workspace is active: Azure sets the creator as admin at creation, so azure-native's `synapse.WorkspaceSqlAadAdmin` is refused as already existing).",
    url: `${DOCS}/sql/active-directory-authentication`,
  },
  WORKSPACE,
  (props, args, report) => {
    // A password unknown during preview (e.g. a random.RandomPassword result) counts as supplied.
    if (presence(props, "sqlAdministratorLoginPassword") !== "absent") {
      report(
        `${who(args)} supplies a SQL administrator password: remove sqlAdministratorLoginPassword and use Entra-only authentication (azureADOnlyAuthentication true).`,
      );
    }
  },
);

export const synapseIpFirewallRule = resourcePolicy<synapse.IpFirewallRuleArgs>(
  {
    name: "azure-native-synapse-ipfirewallrule-disallow-public-access",
    description:
      "No Synapse workspace IP firewall rule opens the workspace endpoints, except ranges explicitly allowed in the policy config.",
    severity: "critical",
    pci: ["1.3.1", "1.4.2"],
    gdpr: ["25"],
    soc2: ["CC6.6"],
    service: "synapse",
    remediationSteps:
      "Delete the `synapse.IpFirewallRule` (the workspace is reached through private endpoints), or add an approved admin range to the policy's `allowedCidrs`.",
    url: `${DOCS}/security/synapse-workspace-ip-firewall`,
    config: { allowedCidrs: allowedCidrsKnob() },
  },
  "azure-native:synapse:IpFirewallRule",
  (props, args, report) => {
    const problem = firewallRuleProblem(props, args.getConfig<{ allowedCidrs: string[] }>().allowedCidrs);
    if (problem) {
      report(
        `${who(args)} ${problem}: delete the firewall rule and connect through private endpoints, or set startIpAddress/endIpAddress inside an allowedCidrs range.`,
      );
    }
  },
);

export const synapseSqlPoolTde = resourcePolicy<synapse.SqlPoolTransparentDataEncryptionArgs>(
  {
    name: "azure-native-synapse-sqlpooltransparentdataencryption-enable-encryption",
    description: "Transparent data encryption is enabled on every Synapse dedicated SQL pool that declares it.",
    severity: "critical",
    pci: ["3.5.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "synapse",
    remediationSteps: 'Set `status` to "Enabled".',
    url: "https://learn.microsoft.com/azure/azure-sql/database/transparent-data-encryption-tde-overview",
  },
  SQL_POOL_TDE,
  (props, args, report) => {
    // Absent ⇒ violation: dedicated pools are created with TDE off unless it is requested.
    if (presence(props, "status") === "unknown") requireKnown(props, "status");
    if (!sameText(props.status, "Enabled")) {
      report(`${who(args)} has status ${show(props.status)}: set status to "Enabled".`);
    }
  },
);

export const synapseSqlPoolTdePresent = stackPolicy(
  {
    name: "azure-native-synapse-sqlpool-require-transparent-data-encryption",
    description:
      "Every Synapse dedicated SQL pool in the stack has a SqlPoolTransparentDataEncryption resource with status Enabled.",
    severity: "critical",
    pci: ["3.5.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "synapse",
    remediationSteps:
      'Add a `synapse.SqlPoolTransparentDataEncryption` with `workspaceName` and `sqlPoolName` set to the pool and `status: "Enabled"`.',
    url: "https://learn.microsoft.com/azure/azure-sql/database/transparent-data-encryption-tde-overview",
  },
  (args, report) => {
    const pools = ofType(args.resources, SQL_POOL);
    if (pools.length === 0) args.notApplicable("the stack has no Synapse dedicated SQL pools");
    const tdes = ofType(args.resources, SQL_POOL_TDE);
    for (const pool of pools) {
      const linked = tdes.filter((t) => refersTo(t, pool, POOL_CHILD));
      // A status unknown during preview counts as enabled; the resource rule checks literal values.
      if (
        linked.some((t) => presence(t.props, "status") === "unknown" || sameText(valueAt(t.props, "status"), "Enabled"))
      ) {
        continue;
      }
      report(
        linked.length > 0
          ? `${who(pool)} has transparent data encryption turned off (${linked.map((t) => t.name).join(", ")}): set status to "Enabled".`
          : `${who(pool)} has no transparent data encryption: add an azure-native:synapse:SqlPoolTransparentDataEncryption with sqlPoolName set to this pool and status "Enabled".`,
        pool.urn,
      );
    }
  },
);

export const synapsePolicies: Policies = [
  synapsePublicNetwork,
  synapseManagedVnet,
  synapseExfiltration,
  synapseCmk,
  synapseEntraOnly,
  synapseNoSqlPassword,
  synapseIpFirewallRule,
  synapseSqlPoolTde,
  synapseSqlPoolTdePresent,
];
