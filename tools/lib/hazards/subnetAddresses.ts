/**
 * A subnet must have a free address for every address a private endpoint placed in it takes, or Azure refuses the
 * endpoint's creation (`SubnetIsFull`: "Subnet … with address prefix … does not have enough capacity for N IP
 * addresses", MicrosoftDocs/azure-docs#88211). Azure reserves five addresses of every subnet ("the first four
 * addresses and the last address", learn.microsoft.com/azure/virtual-network/virtual-networks-faq), and an endpoint
 * takes one address per name its target serves, more than one for some targets (`endpointAddresses`). The default
 * `privateEndpoints` subnet is a /24; a custom one (config `subnets`, a /26 or larger) may not hold what the stack puts
 * there: this counts it from the run's endpoints. Only private endpoints are counted (the stack puts nothing else in
 * their subnet); addresses taken outside the program (an endpoint made by hand) are not known here.
 */
import { parseCidr, size } from "../../../lib/cidr";
import { SUBNET_RESERVED_ADDRESSES } from "../../../lib/config/subnetSizes";
import type { ResourceRecord } from "../policyRunner";
import { sdkTypeOf } from "../sdkType";
import { at, lower, type Rule } from "./common";

/** The addresses a private endpoint takes and why. */
export interface EndpointAddresses {
  readonly addresses: number;
  /** What the count rests on (the source, or that it is an inference). */
  readonly basis: string;
}

const ofType = (all: readonly ResourceRecord[], type: string) => all.filter((r) => sdkTypeOf(r) === type);
const byId = (all: readonly ResourceRecord[], id: string | undefined) =>
  id === undefined ? undefined : all.find((r) => lower(r.id) === id);

/**
 * The addresses one private endpoint takes in its subnet, from its target's type and group id (and, where the count
 * grows with the target, the target's records in the run):
 * - Azure Monitor Private Link Scope (`azuremonitor`): 11 for a first Log Analytics region ("requires at least 11
 *   more IP addresses even if you're connecting to a single workspace", azure-monitor/fundamentals/private-link-configure,
 *   "Network subnet size"), 3 more per other region of its workspaces (inferred: since Endpoint Compression each of the
 *   oms, ods and agentsvc endpoints takes "a single IP address, per region … for all workspaces in that region",
 *   azure-monitor/logs/private-link-security), 3 per data collection endpoint (not stated by Microsoft: a support
 *   table in MicrosoftDocs/azure-docs#121651 gives "up to 3" for each additional one); Application Insights
 *   components share the scope's global endpoints;
 * - Cosmos DB (any API's group): one for the account's global endpoint and one per region ("Multiple IP addresses
 *   are created per private endpoint", cosmos-db/how-to-configure-private-endpoints);
 * - Container Registry (`registry`): 2 (the registry and its home region's data endpoint) and one more per
 *   geo-replication (container-registry-private-link, "Plan subnet IP capacity for private endpoints"; regional
 *   endpoints would add one more per replica, a registry property azure-native 3.28's Registry does not take);
 * - Azure Machine Learning (`amlworkspace`): 3, the API (its `cert` name shares it), notebooks and inference names,
 *   inferred from the example of machine-learning/how-to-custom-dns (no page states the number);
 * - every other target here (Key Vault, Storage per service, SQL, Event Hubs, Synapse, Data Factory, App Service,
 *   whose app and SCM names share one): 1.
 */
export function endpointAddresses(endpoint: ResourceRecord, all: readonly ResourceRecord[]): EndpointAddresses {
  // An endpoint has one connection, automatic or manual (approved by the target's owner).
  const connection = [
    at(endpoint.inputs, "privateLinkServiceConnections"),
    at(endpoint.inputs, "manualPrivateLinkServiceConnections"),
  ].flatMap((list) => (Array.isArray(list) ? list : []))[0];
  const targetId = lower(at(connection, "privateLinkServiceId"));
  const groups = [at(connection, "groupIds")].flat().map(lower);
  const type = targetId?.split("/providers/")[1]?.split("/").slice(0, 2).join("/");
  const target = byId(all, targetId);
  if (type === "microsoft.insights/privatelinkscopes" && groups.includes("azuremonitor")) {
    const linked = scopeLinks(target, all).map((s) => lower(at(s.inputs, "linkedResourceId")) ?? "");
    const workspaces = linked.filter((id) => id.includes("/microsoft.operationalinsights/workspaces/"));
    const regions = new Set(workspaces.map((id) => regionOf(byId(all, id), all) ?? id));
    const collectionEndpoints = linked.filter((id) => id.includes("/microsoft.insights/datacollectionendpoints/"));
    return {
      addresses: 11 + 3 * Math.max(0, regions.size - 1) + 3 * collectionEndpoints.length,
      basis:
        `Azure Monitor: 11 for its first workspace region (Microsoft's minimum), 3 per other region ` +
        `(${Math.max(0, regions.size - 1)}) and per data collection endpoint (${collectionEndpoints.length}), inferred`,
    };
  }
  if (type === "microsoft.documentdb/databaseaccounts" && groups.some((g) => g && COSMOS_GROUPS.includes(g))) {
    const locations = at(target?.inputs, "locations");
    const regions = Array.isArray(locations) ? locations.length : 1;
    return { addresses: 1 + regions, basis: `Cosmos DB: one global and one per region (${regions})` };
  }
  if (type === "microsoft.containerregistry/registries" && groups.includes("registry")) {
    const registryName = lower(at(target?.inputs, "registryName"));
    const replications = ofType(all, "azure-native:containerregistry:Replication").filter(
      (r) =>
        (registryName !== undefined && lower(at(r.inputs, "registryName")) === registryName) ||
        (target !== undefined && (r.propertyDependencies["registryName"] ?? []).includes(target.urn)),
    ).length;
    return {
      addresses: 2 + replications,
      basis: `Container Registry: 2 and one per geo-replication (${replications})`,
    };
  }
  if (type === "microsoft.machinelearningservices/workspaces" && groups.includes("amlworkspace"))
    return { addresses: 3, basis: "Azure Machine Learning: API, notebooks and inference names, inferred" };
  return { addresses: 1, basis: "one" };
}

/** The private endpoint groups of a Cosmos DB account's APIs (each endpoint serves the account's regions). */
const COSMOS_GROUPS = ["sql", "mongodb", "cassandra", "gremlin", "table"];

/**
 * The links of a monitor private link scope in the run: by id once deployed (`<scope>/scopedResources/<name>`), by
 * the recorded dependency of their `scopeName` on it, or by its name in its resource group; none for a scope outside
 * the program (its first region is counted only).
 */
function scopeLinks(scope: ResourceRecord | undefined, all: readonly ResourceRecord[]): ResourceRecord[] {
  if (!scope) return [];
  const scopeId = lower(scope.id);
  const [name, group] = [lower(at(scope.inputs, "scopeName")), lower(at(scope.inputs, "resourceGroupName"))];
  return ofType(all, "azure-native:monitor:PrivateLinkScopedResource").filter(
    (s) =>
      (scopeId !== undefined && lower(s.id)?.startsWith(`${scopeId}/scopedresources/`)) ||
      (s.propertyDependencies["scopeName"] ?? []).includes(scope.urn) ||
      (name !== undefined &&
        lower(at(s.inputs, "scopeName")) === name &&
        lower(at(s.inputs, "resourceGroupName")) === group),
  );
}

/**
 * A resource's region as Azure names it (`West Europe` and `westeurope` alike), from its `location` or, without one
 * (azure-native takes the resource group's), its resource group's in the run.
 */
function regionOf(r: ResourceRecord | undefined, all: readonly ResourceRecord[]): string | undefined {
  const region = (v: unknown) => lower(v)?.replace(/\s+/g, "");
  const own = region(at(r?.inputs, "location"));
  if (own !== undefined || r === undefined) return own;
  const group = lower(at(r.inputs, "resourceGroupName"));
  const rg = ofType(all, "azure-native:resources:ResourceGroup").find(
    (g) => group !== undefined && (lower(at(g.inputs, "resourceGroupName")) ?? lower(at(g.outputs, "name"))) === group,
  );
  return region(at(rg?.inputs, "location"));
}

/** The addresses a subnet of this prefix has for endpoints, or undefined when the prefix is not a CIDR. */
export function usableAddresses(prefix: string): number | undefined {
  const cidr = parseCidr(prefix);
  return cidr ? size(cidr) - SUBNET_RESERVED_ADDRESSES : undefined;
}

/** A VNet's inline subnets and standalone subnets, each with its ARM id (lower case) and address prefix. */
function subnetsOf(r: ResourceRecord): { name: string; id: string; prefix: string }[] {
  const type = sdkTypeOf(r);
  const id = lower(r.id);
  if (id === undefined) return [];
  if (type === "azure-native:network:Subnet") {
    const prefix = [at(r.inputs, "addressPrefix"), at(r.inputs, "addressPrefixes")]
      .flat()
      .find((p) => typeof p === "string");
    const name = at(r.inputs, "subnetName");
    return typeof prefix === "string" ? [{ name: typeof name === "string" ? name : r.name, id, prefix }] : [];
  }
  if (type !== "azure-native:network:VirtualNetwork") return [];
  return [at(r.inputs, "subnets")].flat().flatMap((s) => {
    const name = at(s, "name");
    const prefix = [at(s, "addressPrefix"), at(s, "addressPrefixes")].flat().find((p) => typeof p === "string");
    return typeof name === "string" && typeof prefix === "string"
      ? [{ name, id: `${id}/subnets/${name.toLowerCase()}`, prefix }]
      : [];
  });
}

export const SUBNET_ADDRESS_RULES: readonly Rule[] = [
  {
    id: "private-endpoint-subnet-full",
    check: (r, all) => {
      const subnets = subnetsOf(r);
      if (subnets.length === 0) return undefined;
      const endpoints = ofType(all, "azure-native:network:PrivateEndpoint");
      const full: string[] = [];
      for (const subnet of subnets) {
        const inIt = endpoints.filter((e) => lower(at(e.inputs, "subnet", "id")) === subnet.id);
        const usable = usableAddresses(subnet.prefix);
        if (inIt.length === 0 || usable === undefined) continue;
        const counted = inIt.map((e) => ({ e, ...endpointAddresses(e, all) }));
        const needed = counted.reduce((n, c) => n + c.addresses, 0);
        if (needed <= usable) continue;
        const several = counted
          .filter((c) => c.addresses > 1)
          .map((c) => `${c.e.name} ${c.addresses} (${c.basis})`)
          .join("; ");
        full.push(
          `subnet ${subnet.name} (${subnet.prefix}) has ${usable} addresses for endpoints (Azure keeps ${SUBNET_RESERVED_ADDRESSES}) ` +
            `and the stack's ${inIt.length} private endpoints there take ${needed}` +
            (several ? `, some several: ${several}` : "") +
            `: Azure refuses the endpoints past the last free address (SubnetIsFull) and the up stops there; ` +
            `give the subnet a larger range before the first up (config subnets.privateEndpoints; Azure refuses to ` +
            `change the range of a subnet that holds endpoints)`,
        );
      }
      return full.length > 0 ? full.join("; ") : undefined;
    },
  },
];
