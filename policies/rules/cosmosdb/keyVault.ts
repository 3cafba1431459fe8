/**
 * The vault holding an account's customer-managed key is one Cosmos DB can reach: not private-endpoint-only, and behind a deny-by-default firewall only with trusted services allowed.
 */
import type { PolicyResource } from "@pulumi/policy";
import { ofType, refersTo, stackPolicy } from "../../lib/policy";
import { isSet, sameText, show, valueAt, who } from "../../lib/values";
import { ACCOUNT, DOCS } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// The key's vault
// ---------------------------------------------------------------------------------------------------------------

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
