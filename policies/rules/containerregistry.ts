/**
 * Azure Container Registry (training and scoring images of the ML tier): no shared admin credentials or anonymous
 * pulls, and no public network access (private endpoints only). PCI DSS 1.3/1.4 (network), 7/8 (authentication);
 * GDPR Art. 25 and 32.
 */
import type * as containerregistry from "@pulumi/azure-native/containerregistry";
import type { Policies } from "@pulumi/policy";
import { resourcePolicy } from "../lib/policy";
import { requireKnown, sameText, show, valueAt, who } from "../lib/values";

const REGISTRY = "azure-native:containerregistry:Registry";
const TOKEN = "azure-native:containerregistry:Token";
const DOCS = "https://learn.microsoft.com/azure/container-registry";

export const registryAdminUser = resourcePolicy<containerregistry.RegistryArgs>(
  {
    name: "azure-native-containerregistry-registry-disable-admin-user",
    description:
      "Container registries have the admin user and anonymous pull disabled, so every push and pull is made by a Microsoft Entra identity with an Azure role on the registry.",
    severity: "high",
    pci: ["7.2.2", "8.2.2", "8.3.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "containerregistry",
    remediationSteps:
      "Set `adminUserEnabled: false` and `anonymousPullEnabled: false`; grant AcrPull/AcrPush to the identities that need them.",
    url: `${DOCS}/container-registry-authentication#admin-account`,
  },
  REGISTRY,
  (props, args, report) => {
    // Absent ⇒ false for both (the service defaults).
    if (props.adminUserEnabled === true) {
      report(
        `${who(args)} has the admin user enabled (one shared password with push and pull rights): set adminUserEnabled to false.`,
      );
    }
    if (props.anonymousPullEnabled === true) {
      report(`${who(args)} allows anonymous (unauthenticated) pulls: set anonymousPullEnabled to false.`);
    }
  },
);

export const registryExport = resourcePolicy<containerregistry.RegistryArgs>(
  {
    name: "azure-native-containerregistry-registry-disable-artifact-export",
    description:
      "Container registries have their export policy disabled, so their images (the ML tier's training and scoring images) cannot be imported into another registry (`az acr import`) nor moved out through an ACR Transfer export pipeline: they leave only through pulls inside the network.",
    severity: "medium",
    pci: ["1.3.2", "1.4.4"],
    gdpr: ["32(1)(b)", "44"],
    soc2: ["CC6.7"],
    service: "containerregistry",
    remediationSteps:
      'Set `policies.exportPolicy.status: "disabled"` (Premium SKU, with `publicNetworkAccess: "Disabled"`).',
    url: `${DOCS}/data-loss-prevention`,
  },
  REGISTRY,
  (props, args, report) => {
    // Absent = "enabled": "When a registry is created, the exportPolicy status is set to enabled by default" (the page
    // above); the SDK sends the same (exportPolicyArgsProvideDefaults).
    requireKnown(props, "policies", "exportPolicy", "status");
    const status = valueAt(props, "policies", "exportPolicy", "status");
    if (!sameText(status, "disabled")) {
      report(
        `${who(args)} allows artifacts to be exported (policies.exportPolicy.status ${show(status ?? "enabled (default)")}): set it to "disabled".`,
      );
    }
  },
);

export const registryPublicNetwork = resourcePolicy<containerregistry.RegistryArgs>(
  {
    name: "azure-native-containerregistry-registry-disallow-public-network-access",
    description:
      "Container registries are not reachable from the public internet: public network access is disabled and they are reached through private endpoints (Premium SKU).",
    severity: "high",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "containerregistry",
    remediationSteps:
      'Set `publicNetworkAccess: "Disabled"` (Premium SKU) and add a private endpoint (group id `registry`); keep `networkRuleSet.defaultAction` "Deny".',
    url: `${DOCS}/container-registry-private-link`,
  },
  REGISTRY,
  (props, args, report) => {
    // Absent ⇒ violation: the service default is "Enabled".
    if (!sameText(props.publicNetworkAccess, "Disabled")) {
      report(
        `${who(args)} accepts public traffic (publicNetworkAccess ${show(props.publicNetworkAccess)}): set publicNetworkAccess to "Disabled" and use a private endpoint.`,
      );
    }
    if (!sameText(props.sku?.name, "Premium")) {
      report(
        `${who(args)} uses the ${show(props.sku?.name)} SKU, which has no private endpoints or network rules: set sku.name to "Premium".`,
      );
    }
  },
);

export const registryTokens = resourcePolicy<containerregistry.TokenArgs>(
  {
    name: "azure-native-containerregistry-token-disallow-enabled",
    description:
      "Container registries carry no enabled repository-scoped tokens: a token signs in with a generated password, outside Microsoft Entra ID, like the admin user the registry rule refuses.",
    severity: "high",
    pci: ["7.2.2", "8.2.2", "8.3.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "containerregistry",
    remediationSteps:
      'Remove the `containerregistry.Token` (or set `status: "disabled"`) and grant the identity that pulls or pushes a role on the registry (AcrPull, AcrPush).',
    url: `${DOCS}/container-registry-token-based-repository-permissions`,
  },
  TOKEN,
  (props, args, report) => {
    // Absent ⇒ enabled (a token works once created unless disabled).
    if (!sameText(props.status, "disabled")) {
      report(
        `${who(args)} is an enabled registry token (a password outside Microsoft Entra ID): remove it or set status to "disabled", and grant a role to an Entra identity instead.`,
      );
    }
  },
);

export const containerRegistryPolicies: Policies = [
  registryAdminUser,
  registryPublicNetwork,
  registryExport,
  registryTokens,
];
