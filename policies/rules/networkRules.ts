/**
 * The service firewalls' allow entries that are not addresses: a storage account's resource instance rules, a Cosmos
 * DB account's bypass resource ids, and the virtual network rules of storage accounts, Key Vaults, Managed HSMs,
 * Cosmos DB accounts and Event Hubs namespaces. Each admits
 * what it names through the service's public endpoint, whatever tenant or subscription that is: a rule naming a
 * Synapse workspace or a subnet of another subscription (or tenant) opens the data to it, and the per-resource rules
 * only see that the name is not a wildcard. PCI DSS 1.3.1 and 1.4.2 (inbound traffic to the CDE restricted to what
 * is necessary), 7.2.1; GDPR Art. 32(1)(b) and 44.
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import { idAllowListKnob, listedId, normalId, type Exemption } from "../lib/exemptions";
import { subnetsById } from "../lib/network";
import { ofType, stackPolicy, stringListKnob } from "../lib/policy";
import { idPending, presence, requireId, requireKnown, show, valueAt, who } from "../lib/values";

/** One allow entry of a service firewall that names a resource or a subnet. */
interface NamedEntry {
  readonly owner: PolicyResource;
  /** The property path of the entry's id, for the message (`networkRuleSet.virtualNetworkRules[0].virtualNetworkResourceId`). */
  readonly path: string;
  readonly id: string;
  /** What the entry names: a subnet (virtual network rule) or a resource instance. */
  readonly kind: "subnet" | "resource";
  /** The tenant a storage resource instance rule names (`tenantId`), when the entry has one. */
  readonly tenantId?: string;
}

/**
 * Where each reviewed type keeps its virtual network rules and the property naming the subnet, as the 3.28 SDK's
 * input types declare them (storage `VirtualNetworkRuleArgs.virtualNetworkResourceId`, Key Vault, Managed HSM and Cosmos
 * DB `VirtualNetworkRuleArgs.id`, Event Hubs `NWRuleSetVirtualNetworkRulesArgs.subnet.id`; the Event Hubs namespace
 * itself has no network rules in 3.28, only its NamespaceNetworkRuleSet child).
 */
const VNET_RULES: readonly { type: string; list: readonly string[]; id: readonly string[] }[] = [
  {
    type: "azure-native:storage:StorageAccount",
    list: ["networkRuleSet", "virtualNetworkRules"],
    id: ["virtualNetworkResourceId"],
  },
  { type: "azure-native:keyvault:Vault", list: ["properties", "networkAcls", "virtualNetworkRules"], id: ["id"] },
  { type: "azure-native:keyvault:ManagedHsm", list: ["properties", "networkAcls", "virtualNetworkRules"], id: ["id"] },
  { type: "azure-native:cosmosdb:DatabaseAccount", list: ["virtualNetworkRules"], id: ["id"] },
  { type: "azure-native:eventhub:NamespaceNetworkRuleSet", list: ["virtualNetworkRules"], id: ["subnet", "id"] },
];

const INSTANCE_RULES = ["networkRuleSet", "resourceAccessRules"] as const;
/**
 * Cosmos DB's resource instance exception: with `networkAclBypass: "AzureServices"`, the resources listed pass the
 * account's firewall (the 3.28 SDK: "the Resource Ids for Network Acl Bypass for the Cosmos DB account").
 */
const COSMOS_BYPASS_IDS = ["networkAclBypassResourceIds"] as const;

/**
 * Every named entry of the stack's service firewalls. An entry's id (or tenant) unknown during preview, another
 * resource's output, makes the rule undecided (`requireKnown`): the deployed view, which `pulumi up` and the offline
 * gate evaluate, has it.
 */
export function namedEntries(resources: readonly PolicyResource[]): NamedEntry[] {
  const out: NamedEntry[] = [];
  for (const { type, list, id } of VNET_RULES) {
    for (const owner of ofType(resources, type)) {
      if (presence(owner.props, ...list) === "unknown") requireKnown(owner.props, ...list);
      const rules = valueAt(owner.props, ...list);
      if (!Array.isArray(rules)) continue;
      rules.forEach((_, i) => {
        if (presence(rules, String(i), ...id) === "unknown") requireKnown(rules, String(i), ...id);
        const value = valueAt(rules, String(i), ...id);
        if (typeof value === "string" && value !== "")
          out.push({ owner, path: `${list.join(".")}[${i}].${id.join(".")}`, id: value, kind: "subnet" });
      });
    }
  }
  for (const owner of ofType(resources, "azure-native:cosmosdb:DatabaseAccount")) {
    if (presence(owner.props, ...COSMOS_BYPASS_IDS) === "unknown") requireKnown(owner.props, ...COSMOS_BYPASS_IDS);
    const ids = valueAt(owner.props, ...COSMOS_BYPASS_IDS);
    if (!Array.isArray(ids)) continue;
    ids.forEach((_, i) => {
      if (presence(ids, String(i)) === "unknown") requireKnown(ids, String(i));
      const value = valueAt(ids, String(i));
      if (typeof value === "string" && value !== "")
        out.push({ owner, path: `${COSMOS_BYPASS_IDS[0]}[${i}]`, id: value, kind: "resource" });
    });
  }
  for (const owner of ofType(resources, "azure-native:storage:StorageAccount")) {
    if (presence(owner.props, ...INSTANCE_RULES) === "unknown") requireKnown(owner.props, ...INSTANCE_RULES);
    const rules = valueAt(owner.props, ...INSTANCE_RULES);
    if (!Array.isArray(rules)) continue;
    rules.forEach((_, i) => {
      for (const key of ["resourceId", "tenantId"])
        if (presence(rules, String(i), key) === "unknown") requireKnown(rules, String(i), key);
      const value = valueAt(rules, String(i), "resourceId");
      const tenant = valueAt(rules, String(i), "tenantId");
      if (typeof value === "string" && value !== "")
        out.push({
          owner,
          path: `${INSTANCE_RULES.join(".")}[${i}].resourceId`,
          id: value,
          kind: "resource",
          ...(typeof tenant === "string" ? { tenantId: tenant } : {}),
        });
    });
  }
  return out;
}

/** The ids of the stack's resources and subnets (VNet-inline subnets included), as Azure reported them. */
export function stackIds(resources: readonly PolicyResource[]): Set<string> {
  const ids = new Set<string>(subnetsById(resources).keys());
  for (const r of resources) {
    const id = valueAt(r.props, "id");
    if (typeof id === "string" && id !== "") ids.add(normalId(id));
  }
  return ids;
}

/**
 * A resource of the stack whose id is not known yet (created or replaced by this update) that an entry of this kind
 * could name: an entry built from names (`/subscriptions/<client config>/…/streamingjobs/<name>`, known in a
 * preview) names such a resource before its id is. Any custom resource for a resource entry; for a subnet, a
 * standalone subnet or a VNet (whose inline subnets' ids come from its own).
 */
export function unknownIdOf(
  resources: readonly PolicyResource[],
  kind: NamedEntry["kind"],
): PolicyResource | undefined {
  const candidates =
    kind === "subnet"
      ? ofType(resources, "azure-native:network:Subnet", "azure-native:network:VirtualNetwork")
      : resources.filter((r) => r.type.startsWith("azure-native"));
  return candidates.find((r) => idPending(r.props));
}

/**
 * The stack's own Entra tenant: what its Key Vaults (`properties.tenantId`, the tenant that authenticates their
 * requests) and user-assigned identities (`tenantId`, an output) say.
 */
export function stackTenants(resources: readonly PolicyResource[]): Set<string> {
  const tenants = new Set<string>();
  const add = (v: unknown) => typeof v === "string" && v !== "" && tenants.add(v.toLowerCase());
  for (const v of ofType(resources, "azure-native:keyvault:Vault")) add(valueAt(v.props, "properties", "tenantId"));
  for (const i of ofType(resources, "azure-native:managedidentity:UserAssignedIdentity"))
    add(valueAt(i.props, "tenantId"));
  return tenants;
}

const allowedResourcesKnob = idAllowListKnob(
  "Resources or subnets outside the stack that a network rule may name, by ARM id pattern (`*` wildcard, case-insensitive), each with a reason (e.g. a shared build agents' subnet of the platform subscription).",
);

export const foreignNetworkRules = stackPolicy(
  {
    name: "azure-native-network-stack-disallow-foreign-network-rules",
    description:
      "The service firewalls' virtual network rules (storage accounts, Key Vaults, Managed HSMs, Cosmos DB accounts, Event Hubs namespaces), storage resource instance rules and Cosmos DB's bypass resource ids name the stack's own subnets and resources, in the stack's tenant, or ones listed with a reason: such a rule admits what it names through the public endpoint, whatever subscription it is in.",
    severity: "high",
    pci: ["1.3.1", "1.4.2", "7.2.1"],
    gdpr: ["32(1)(b)", "44"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      "Name the stack's own resource (`resourceId: <workspace>.id, tenantId: <client config>.tenantId`) or subnet (`<subnet>.id`) in the rule, or reach the service through its private endpoint; a resource or subnet of another subscription that must be admitted goes in `allowedResources` (and its tenant, if another, in `allowedTenantIds`) in policies/config/<stack>.json, with the reason, in a reviewed change.",
    // "Resource instances must be in the same tenant as your storage account, but they can belong to any subscription
    // in the tenant" and the virtual network rules' subnets "can be in any subscription" of the tenant, or another
    // tenant's (storage-network-security-resource-instances, storage-network-security-virtual-networks).
    url: "https://learn.microsoft.com/azure/storage/common/storage-network-security-resource-instances",
    config: {
      allowedResources: allowedResourcesKnob,
      allowedTenantIds: stringListKnob(
        "Entra tenant ids accepted as the stack's own beyond those its Key Vaults and user-assigned identities name (for a stack with neither). Storage admits resource instances of the account's own tenant only, so another tenant in an instance rule is a mistake that admits nothing.",
        [],
      ),
    },
  },
  (args, report) => {
    const { allowedResources, allowedTenantIds } = args.getConfig<{
      allowedResources: Exemption[];
      allowedTenantIds: string[];
    }>();
    const entries = namedEntries(args.resources);
    if (entries.length === 0)
      args.notApplicable("no service firewall of the stack has a virtual network or resource instance rule");
    const ids = stackIds(args.resources);
    const tenants = stackTenants(args.resources);
    const tenantsAllowed = new Set([...tenants, ...allowedTenantIds.map((t) => t.toLowerCase())]);
    for (const e of entries) {
      const listed = listedId(allowedResources, e.id);
      if (!ids.has(normalId(e.id)) && listed === undefined) {
        // Not one of the ids known: undecided while one of the stack's could still be it (a first preview).
        const pending = unknownIdOf(args.resources, e.kind);
        if (pending !== undefined) requireId(pending.props);
        report(
          `${who(e.owner)} admits ${e.kind === "subnet" ? "the subnet" : "the resource"} ${show(e.id)} (${e.path}), which is not one of the stack's own ${e.kind === "subnet" ? "subnets" : "resources"}: name the stack's ${e.kind}, or list it in allowedResources with the reason.`,
          e.owner.urn,
        );
      }
      if (e.kind !== "resource" || e.tenantId === undefined) continue;
      if (tenantsAllowed.size === 0) {
        report(
          `${who(e.owner)} admits ${show(e.id)} in the tenant ${show(e.tenantId)} (${e.path.replace(/resourceId$/, "tenantId")}), and the stack has no Key Vault or user-assigned identity to tell its own tenant: list the tenant in allowedTenantIds.`,
          e.owner.urn,
        );
      } else if (!tenantsAllowed.has(e.tenantId.toLowerCase())) {
        report(
          `${who(e.owner)} admits ${show(e.id)} in the tenant ${show(e.tenantId)} (${e.path.replace(/resourceId$/, "tenantId")}), not the stack's own (${[...tenants].join(", ") || "unknown"}): name a resource of the stack's tenant, or list the tenant in allowedTenantIds with the reason in the change.`,
          e.owner.urn,
        );
      }
    }
  },
);

export const networkRulePolicies: Policies = [foreignNetworkRules];
