/**
 * The factory itself: no public network access, a customer-managed key, no git repository configured outside the pipeline.
 */
import type * as datafactory from "@pulumi/azure-native/datafactory";
import { resourcePolicy } from "../../lib/policy";
import { inScopeKnob, isProdStack, prodStacksKnob, skipOutOfScope } from "../../lib/scope";
import { presence, show, who } from "../../lib/values";
import { FACTORY, DOCS } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// The factory
// ---------------------------------------------------------------------------------------------------------------

export const factoryPublicNetwork = resourcePolicy<datafactory.FactoryArgs>(
  {
    name: "azure-native-datafactory-factory-disallow-public-network-access",
    description:
      "Every Data Factory has public network access disabled; authoring and the integration runtimes reach it through private endpoints.",
    severity: "high",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25"],
    soc2: ["CC6.6"],
    service: "datafactory",
    remediationSteps:
      'Set `publicNetworkAccess` to "Disabled" and add private endpoints for the `dataFactory` and `portal` group ids.',
    url: `${DOCS}/data-factory-private-link`,
  },
  FACTORY,
  (props, args, report) => {
    // Absent ⇒ violation: the service default is "Enabled".
    if (props.publicNetworkAccess !== "Disabled") {
      report(
        `${who(args)} allows public network access (publicNetworkAccess ${show(props.publicNetworkAccess)}): set publicNetworkAccess to "Disabled" and reach it through private endpoints.`,
      );
    }
  },
);

export const factoryCmk = resourcePolicy<datafactory.FactoryArgs>(
  {
    name: "azure-native-datafactory-factory-require-customer-managed-key",
    description:
      "Every in-scope Data Factory encrypts its metadata (linked services, pipelines, credentials) with a customer-managed Key Vault key.",
    severity: "high",
    pci: ["3.5.1", "3.6.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "datafactory",
    remediationSteps:
      'Set `encryption` to `{ vaultBaseUrl, keyName, identity: { userAssignedIdentity: <identity id> } }` and `identity` to `{ type: "UserAssigned", userAssignedIdentities: { <identity id>: {} } }` when the factory is created.',
    url: `${DOCS}/enable-customer-managed-key`,
    config: { inScopeTagValues: inScopeKnob() },
  },
  FACTORY,
  (props, args, report) => {
    skipOutOfScope(props, args);
    // Vault URL and key name are usually Outputs of the vault/key (unknown in preview): presence is enough.
    const missing = (["vaultBaseUrl", "keyName"] as const).filter((k) => presence(props, "encryption", k) === "absent");
    if (missing.length > 0) {
      report(
        `${who(args)} has no customer-managed key (encryption.${missing.join(", encryption.")} unset): set encryption.vaultBaseUrl and encryption.keyName.`,
      );
    }
    // encryption.identity absent ⇒ the factory's system-assigned identity is used, so the factory needs one.
    if (presence(props, "identity", "type") === "absent") {
      report(
        `${who(args)} has no managed identity to reach its key: set identity.type to "UserAssigned" (or "SystemAssigned") and encryption.identity.userAssignedIdentity.`,
      );
    }
  },
);

export const factoryRepoConfiguration = resourcePolicy<datafactory.FactoryArgs>(
  {
    name: "azure-native-datafactory-factory-require-repo-configuration",
    description:
      "Every non-production Data Factory is connected to a Git repository, so pipeline changes are versioned and reviewed before they are published.",
    severity: "low",
    pci: ["6.5.1", "6.5.2"],
    soc2: ["CC8.1"],
    service: "datafactory",
    remediationSteps:
      "Set `repoConfiguration` to a `FactoryVSTSConfiguration` or `FactoryGitHubConfiguration` (collaborationBranch, rootFolder, repositoryName) with `disablePublish: true`; production factories are deployed by CI and need none.",
    url: `${DOCS}/source-control`,
    enforcementLevel: "advisory",
    config: { prodStacks: prodStacksKnob() },
  },
  FACTORY,
  (props, args, report) => {
    // Microsoft's CI/CD guidance: only the development factory is Git-integrated; test/prod are published by CI.
    if (isProdStack(args)) args.notApplicable("production factories are published by CI/CD, not Git-integrated");
    if (presence(props, "repoConfiguration") === "absent") {
      report(
        `${who(args)} is not under version control: set repoConfiguration to a FactoryGitHubConfiguration or FactoryVSTSConfiguration.`,
      );
    }
  },
);
