/**
 * Private Link facts (pure): the private endpoint group id(s) of each service and the private DNS zone(s) its
 * endpoint registers in (Azure public cloud). Source: Microsoft "Azure Private Endpoint private DNS zone values".
 */

export const PRIVATE_LINK = {
  sqlServer: { groupIds: ["sqlServer"], zones: ["privatelink.database.windows.net"] },
  synapseSql: { groupIds: ["Sql"], zones: ["privatelink.sql.azuresynapse.net"] },
  synapseSqlOnDemand: { groupIds: ["SqlOnDemand"], zones: ["privatelink.sql.azuresynapse.net"] },
  synapseDev: { groupIds: ["Dev"], zones: ["privatelink.dev.azuresynapse.net"] },
  synapseWeb: { groupIds: ["Web"], zones: ["privatelink.azuresynapse.net"] },
  cosmosSql: { groupIds: ["Sql"], zones: ["privatelink.documents.azure.com"] },
  dataFactory: { groupIds: ["dataFactory"], zones: ["privatelink.datafactory.azure.net"] },
  dataFactoryPortal: { groupIds: ["portal"], zones: ["privatelink.adf.azure.com"] },
  mlWorkspace: { groupIds: ["amlworkspace"], zones: ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"] },
  keyVault: { groupIds: ["vault"], zones: ["privatelink.vaultcore.azure.net"] },
  storageBlob: { groupIds: ["blob"], zones: ["privatelink.blob.core.windows.net"] },
  storageDfs: { groupIds: ["dfs"], zones: ["privatelink.dfs.core.windows.net"] },
  storageFile: { groupIds: ["file"], zones: ["privatelink.file.core.windows.net"] },
  storageQueue: { groupIds: ["queue"], zones: ["privatelink.queue.core.windows.net"] },
  storageTable: { groupIds: ["table"], zones: ["privatelink.table.core.windows.net"] },
  eventHubs: { groupIds: ["namespace"], zones: ["privatelink.servicebus.windows.net"] },
  containerRegistry: { groupIds: ["registry"], zones: ["privatelink.azurecr.io"] },
  appService: { groupIds: ["sites"], zones: ["privatelink.azurewebsites.net"] },
  /** Azure Monitor Private Link Scope (Log Analytics queries and ingestion over private link). */
  azureMonitor: {
    groupIds: ["azuremonitor"],
    zones: [
      "privatelink.monitor.azure.com",
      "privatelink.oms.opinsights.azure.com",
      "privatelink.ods.opinsights.azure.com",
      "privatelink.agentsvc.azure-automation.net",
      "privatelink.blob.core.windows.net",
    ],
  },
} as const satisfies Record<string, { groupIds: readonly string[]; zones: readonly string[] }>;

export type PrivateLinkService = keyof typeof PRIVATE_LINK;

/**
 * The TCP ports clients reach the private endpoints on, which their subnet's NSG admits from the network (PCI DSS
 * 1.3.1: only what is needed). 443: every HTTPS service (storage, Key Vault, the registry and its data endpoint, the
 * apps and their scm site, Azure Monitor, Azure ML, Synapse Dev and Studio, Data Factory, Event Hubs' REST and tokens,
 * Cosmos DB in gateway mode, the only mode of @azure/cosmos and the Functions extension's default:
 * cosmos-db/nosql/sdk-connection-modes, functions-bindings-cosmosdb-v2); 1433: SQL and Synapse SQL; 5671: Event
 * Hubs' AMQP over TLS, the Functions extension's default transport (event-hubs/troubleshooting-guide: "AMQP | 5671
 * and 5672", "HTTPS | 443"). Not 5672 (AMQP without TLS) or 9093 (Kafka): nothing here uses them.
 */
export const PRIVATE_ENDPOINT_PORTS = ["443", "1433", "5671"] as const;

/**
 * Endpoints that take ports beyond PRIVATE_ENDPOINT_PORTS: each group's endpoints join an application security group
 * of their own, which one NSG rule names with the group's ports.
 */
export const ENDPOINT_PORT_GROUPS = {
  /**
   * SQL's redirect through a private endpoint: "inbound communication to the VNET hosting the private endpoint to port
   * range 1433 to 65535" (azure-sql/database/private-endpoint-overview); the SQL trigger's SqlClient can redirect.
   * Synapse SQL's connection policy is Default and cannot be changed (synapse-analytics/security/connectivity-settings).
   * An NSG on private endpoints takes "destination port ranges supported up to a factor of 250 K" (sources ×
   * destinations × port ranges: private-endpoint-overview, Limitations); whether this one range counts once or by its
   * 64,103 ports, Microsoft's examples do not settle: the first deploy checks (docs/operations.md).
   */
  sql: { qualifier: "pepsql", services: ["sqlServer", "synapseSql", "synapseSqlOnDemand"], ports: ["1433-65535"] },
  /**
   * Compute instances through the workspace's private endpoint: "*.instances.azureml.ms | TCP | 443, 8787, 18881 ...
   * only needed when your workspace has a private endpoint" (machine-learning/how-to-access-azureml-behind-firewall).
   */
  ml: { qualifier: "pepml", services: ["mlWorkspace"], ports: ["8787", "18881"] },
  /** SMB mounts of a file share ("445 | SMB traffic used to access file shares", the same page). */
  smb: { qualifier: "pepsmb", services: ["storageFile"], ports: ["445"] },
} as const satisfies Record<
  string,
  { qualifier: string; services: readonly PrivateLinkService[]; ports: readonly string[] }
>;
export type EndpointPortGroup = keyof typeof ENDPOINT_PORT_GROUPS;
export type PrivateDnsZoneName = (typeof PRIVATE_LINK)[PrivateLinkService]["zones"][number];

/**
 * The zones only the Azure Monitor Private Link Scope uses. Linked to a hub, they would send every hub workload's
 * Azure Monitor traffic to this stack's scope, which admits only its own workspace ("A virtual network can connect to
 * only one AMPLS object"; networks that share DNS share the scope: azure-monitor/logs/private-link-design).
 */
export const AZURE_MONITOR_ONLY_ZONES: readonly PrivateDnsZoneName[] = PRIVATE_LINK.azureMonitor.zones.filter(
  (zone) =>
    !Object.entries(PRIVATE_LINK).some(
      ([service, s]) => service !== "azureMonitor" && (s.zones as readonly string[]).includes(zone),
    ),
);

/** Every private DNS zone the platform needs, sorted and without duplicates. */
export const PRIVATE_DNS_ZONES: readonly PrivateDnsZoneName[] = [
  ...new Set(Object.values(PRIVATE_LINK).flatMap((s) => s.zones as readonly PrivateDnsZoneName[])),
].sort();

/** Azure allows one DNS zone group per private endpoint with at most 5 zone configs. */
export const MAX_ZONES_PER_GROUP = 5;

/**
 * The zones a stack in `privateDns.mode: central` takes from the hub (every zone but the Azure Monitor scope's own:
 * the stack then has no scope, and the hub's scope owns those names for every network sharing the zones).
 */
export const CENTRAL_ZONES: readonly PrivateDnsZoneName[] = PRIVATE_DNS_ZONES.filter(
  (zone) => !AZURE_MONITOR_ONLY_ZONES.includes(zone),
);

/**
 * The ids of the hub's zones in a resource group (`privateDns.zonesResourceGroupId`), by zone name: the form Azure
 * Landing Zones' Deploy-Private-DNS-Zones policies build (`/subscriptions/{0}/resourceGroups/{1}/providers/
 * Microsoft.Network/privateDnsZones/{zone}`, Azure/Azure-Landing-Zones-Library's Deploy-Private-DNS-Zones set).
 */
export function centralZoneIds(zonesResourceGroupId: string): Readonly<Partial<Record<PrivateDnsZoneName, string>>> {
  return Object.fromEntries(
    CENTRAL_ZONES.map((zone) => [zone, `${zonesResourceGroupId}/providers/Microsoft.Network/privateDnsZones/${zone}`]),
  );
}

/**
 * The zone a public Application Gateway resolves through Azure-provided DNS even when its VNet has custom DNS servers:
 * "The DNS queries for Azure domain names, which include `azure.net`, are redirected to Azure-provided DNS", so "the
 * private DNS zone must remain linked to the application gateway virtual network to allow resolution to private IP"
 * (learn.microsoft.com/azure/application-gateway/application-gateway-dns-resolution, "Using custom DNS servers"). The
 * gateway reads its certificate from the platform vault (`*.vault.azure.net`); its backend (`*.azurewebsites.net`) is
 * not an Azure management suffix on that page and follows the VNet's servers. In `privateDns.mode: central` the stack
 * links the hub's zone of this name to its VNet.
 */
export const GATEWAY_AZURE_DNS_ZONES: readonly PrivateDnsZoneName[] = ["privatelink.vaultcore.azure.net"];
