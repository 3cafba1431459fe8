/**
 * Outbound traffic Azure Machine Learning compute needs when it runs in a virtual network that we control (pure).
 *
 * Source: Microsoft, "Configure inbound and outbound network traffic" (Azure Machine Learning), basic configuration,
 * outbound table, plus its "hbi_workspace" scenario (`Keyvault.<region>`), ms.date 2026-03-19:
 * https://learn.microsoft.com/azure/machine-learning/how-to-access-azureml-behind-firewall
 * Tags are written with the canonical names of Azure's service tag list (`AzureFrontDoor.Frontend`, which the page
 * spells `AzureFrontDoor.FrontEnd`; `AzureKeyVault.<region>`, which it calls `Keyvault.<region>`).
 *
 * Which path applies to what:
 * - The workspace of this platform uses a **managed network** (AllowOnlyApprovedOutbound): its compute cluster and
 *   its managed online deployments run in a Microsoft-managed VNet, and Microsoft adds these same service tags there
 *   as "Required" outbound rules. That egress never touches our VNet, firewall or NSGs.
 * - These rules are for compute **injected into our VNet** (`snet-ml-compute`), e.g. a second workspace without a
 *   managed network: prod's Azure Firewall allows exactly this list from that subnet only, and the subnet's NSG
 *   allows exactly this list outbound (dev, where there is no firewall and no default outbound access, has no path
 *   to the internet at all, so the NSG list is the whole allow-list when an egress path is added).
 */

export type EgressProtocol = "TCP" | "UDP";

/** One destination service tag with its ports and protocol, and why Azure ML needs it. */
export interface MlEgressRule {
  /** Rule name (kebab-case, unique). */
  readonly name: string;
  /** Azure service tag; `{region}` is replaced by the region's tag suffix (e.g. `WestEurope`). */
  readonly serviceTag: string;
  readonly protocol: EgressProtocol;
  readonly ports: readonly string[];
  readonly purpose: string;
}

/** Microsoft's required outbound service tags for compute instances and clusters (no public IP). */
export const ML_COMPUTE_EGRESS: readonly MlEgressRule[] = [
  {
    name: "entra-id",
    serviceTag: "AzureActiveDirectory",
    protocol: "TCP",
    ports: ["80", "443"],
    purpose: "Authentication with Microsoft Entra ID.",
  },
  {
    name: "azure-ml",
    serviceTag: "AzureMachineLearning",
    protocol: "TCP",
    ports: ["443", "8787", "18881"],
    purpose: "Azure Machine Learning services (8787 RStudio, 18881 notebook language server).",
  },
  {
    name: "azure-ml-udp",
    serviceTag: "AzureMachineLearning",
    protocol: "UDP",
    ports: ["5831"],
    purpose: "Creating, updating and deleting compute instances.",
  },
  {
    name: "batch-node-management",
    serviceTag: "BatchNodeManagement.{region}",
    protocol: "TCP",
    ports: ["443"],
    purpose: "The Azure Batch back end of compute instances and clusters (regional tag).",
  },
  {
    name: "resource-manager",
    serviceTag: "AzureResourceManager",
    protocol: "TCP",
    ports: ["443"],
    purpose: "Creation of Azure resources by Azure Machine Learning.",
  },
  {
    name: "storage-regional",
    serviceTag: "Storage.{region}",
    protocol: "TCP",
    ports: ["443", "445"],
    purpose: "Compute access to storage (445: SMB file shares when a firewall sits between compute and storage).",
  },
  {
    name: "front-door-frontend",
    serviceTag: "AzureFrontDoor.Frontend",
    protocol: "TCP",
    ports: ["443"],
    purpose: "Global entry point of Azure Machine Learning studio; AutoML images and environments.",
  },
  {
    name: "microsoft-container-registry",
    serviceTag: "MicrosoftContainerRegistry",
    protocol: "TCP",
    ports: ["443"],
    purpose: "Docker images provided by Microsoft.",
  },
  {
    name: "front-door-first-party",
    serviceTag: "AzureFrontDoor.FirstParty",
    protocol: "TCP",
    ports: ["443"],
    purpose: "Docker images provided by Microsoft.",
  },
  {
    name: "azure-monitor",
    serviceTag: "AzureMonitor",
    protocol: "TCP",
    ports: ["443"],
    purpose: "Monitoring, metrics and support-incident logs.",
  },
  {
    name: "key-vault-regional",
    serviceTag: "AzureKeyVault.{region}",
    protocol: "TCP",
    ports: ["443"],
    purpose: "High-business-impact workspaces: the key vault of the Azure Batch back end.",
  },
];

/** Region names → the suffix Azure uses in regional service tags (EU regions the platform allows). */
export const SERVICE_TAG_REGION: Readonly<Record<string, string>> = {
  westeurope: "WestEurope",
  northeurope: "NorthEurope",
  francecentral: "FranceCentral",
  francesouth: "FranceSouth",
  germanywestcentral: "GermanyWestCentral",
  germanynorth: "GermanyNorth",
  swedencentral: "SwedenCentral",
  swedensouth: "SwedenSouth",
  italynorth: "ItalyNorth",
  polandcentral: "PolandCentral",
  spaincentral: "SpainCentral",
  austriaeast: "AustriaEast",
  belgiumcentral: "BelgiumCentral",
  denmarkeast: "DenmarkEast",
};

/** A service tag in a region (`BatchNodeManagement.{region}` → `BatchNodeManagement.WestEurope`). */
export function regionalTag(tag: string, location: string): string {
  if (!tag.includes("{region}")) return tag;
  const suffix = SERVICE_TAG_REGION[location];
  if (!suffix) {
    throw new Error(`no service tag region for '${location}' (known: ${Object.keys(SERVICE_TAG_REGION).join(", ")})`);
  }
  return tag.replace("{region}", suffix);
}

/** The ML egress rules resolved for a region (regional tags filled in). */
export function mlComputeEgress(location: string): (MlEgressRule & { readonly destination: string })[] {
  return ML_COMPUTE_EGRESS.map((rule) => ({ ...rule, destination: regionalTag(rule.serviceTag, location) }));
}
