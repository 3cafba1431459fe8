/**
 * First-deploy hazards: declarations the mock engine accepts but a real `pulumi up` against Azure refuses, because of
 * how the azure-native provider or the service behaves, not because of the request's schema (the ARM schema check
 * covers that). Each rule names the evidence; the offline preview lists what it finds and fails like a schema error.
 *
 * - azure-native reads a resource before creating it and refuses when the read answers 200, unless the API path has
 *   no DELETE (a "singleton") or a known default state (pulumi-azure-native provider/pkg/azure/client_azcore.go
 *   `CanCreate`, provider/pkg/gen/schema.go `isSingleton`, provider/pkg/openapi/defaults/defaultResourcesState.go):
 *   a resource Azure creates implicitly, with a DELETE in its API, cannot be declared as a typed resource.
 * - azure-native fills in `location` from the resource group on every resource whose body can carry one, the generic
 *   `resources.Resource` included (auto-location, off only for resource-group deployments: pulumi-azure-native#654).
 * - Flex Consumption rejects some site configuration properties (ARM 51021) and has no diagnostic settings.
 * - A standby SQL geo-secondary exists on provisioned GP/BC only and takes no read-scale routing.
 * - NSG rule priorities run from 100 to 4096, one rule per priority and direction (the schema states the range in a
 *   description only, so the schema check cannot see it).
 * - Some parents take one change of their children at a time (SERIALISED_CHILDREN): children that do not wait for
 *   each other race.
 * - A replacement (replaceOnChanges) of a resource with a fixed name must delete the old one first: not a first-deploy
 *   failure, but the update that changes the property fails the same way.
 * - A VNet whose custom DNS servers lie outside it resolves nothing until a peering reaches them; its public Application
 *   Gateway resolves its Key Vault through Azure DNS all the same, from the zones linked to the VNet.
 * - A resource whose ARM id lies under another resource of the program (a child, an extension, a role assignment on
 *   it) must wait for it: names passed as plain strings carry no dependency, and the engine may create the child
 *   first (ParentResourceNotFound, ResourceGroupNotFound, ResourceNotFound). Storage accounts' service singletons
 *   (`blobServices/default`, ...) exist with their account.
 * - Likewise a resource whose inputs name another resource of the program, or something under it, by its ARM id (a
 *   subnet of a VNet, a workspace, a key vault) must wait for it, or Azure may meet a reference to nothing
 *   (LinkedResourceNotFound and the like). Storage resource instance rules name a resource that may come later
 *   (docs/operations.md, first-deploy checks): not asked.
 * - Two resources of the program are one Azure resource (the same ARM id, which Azure compares without case): the
 *   second create is refused as existing (above), or, where azure-native creates without that read, each `up`
 *   overwrites the other's body.
 */
import { contains, parseCidr } from "../../lib/cidr";
import { STANDBY_SKUS } from "../../lib/config/data";
import { AZURE_PROVIDED_DNS } from "../../lib/config/network";
import { PRIVATE_LINK } from "../../lib/privateLink";
import { UNKNOWN } from "./engine";
import type { ResourceRecord } from "./policyRunner";
import { isAzureNative, sdkTypeOf } from "./sdkType";

export interface Hazard {
  readonly rule: string;
  readonly urn: string;
  readonly name: string;
  readonly message: string;
}

/** Site config properties Flex Consumption apps reject with ARM 51021 (verbatim rejection lists, see each source). */
export const FLEX_REJECTED_SITE_CONFIG = [
  // microsoft/azure-pipelines-tasks#21032, Azure/terraform-azurerm-avm-res-web-site#360 (Microsoft Q&A 2277522)
  "ftpsState",
  "use32BitWorkerProcess",
  "netFrameworkVersion",
  "functionsRuntimeScaleMonitoringEnabled",
  "preWarmedInstanceCount",
  // Azure/terraform-azurerm-avm-res-web-site#283 and #345
  "linuxFxVersion",
  "windowsFxVersion",
  "alwaysOn",
] as const;

/** A nested value by its keys (undefined where a level is missing). */
export const at = (o: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), o);

/** A web app on a Flex Consumption plan (it carries `functionAppConfig`, which only Flex apps have). */
const isFlexApp = (r: ResourceRecord) =>
  sdkTypeOf(r) === "azure-native:web:WebApp" && at(r.inputs, "functionAppConfig") !== undefined;

interface Rule {
  readonly id: string;
  /** The message when `r` is a hazard in `all`, else undefined. */
  readonly check: (r: ResourceRecord, all: readonly ResourceRecord[]) => string | undefined;
}

const EXISTS = "azure-native refuses to create a resource that already exists (a GET answering 200)";
const VIA_DEPLOYMENT = "PUT it through an ARM deployment (resources.Deployment or DeploymentAtSubscriptionScope)";

export const RULES: readonly Rule[] = [
  {
    id: "defender-plan-exists",
    check: (r) =>
      sdkTypeOf(r) === "azure-native:security:Pricing"
        ? `every Defender plan exists on every subscription (Free tier) and the pricings API has a DELETE, so ${EXISTS}: ${VIA_DEPLOYMENT}`
        : undefined,
  },
  {
    id: "security-contact-exists",
    check: (r) =>
      sdkTypeOf(r) === "azure-native:security:SecurityContact" && at(r.inputs, "securityContactName") === "default"
        ? `the subscription's "default" security contact usually exists already, and ${EXISTS}: ${VIA_DEPLOYMENT}`
        : undefined,
  },
  {
    id: "synapse-sql-admin-exists",
    check: (r) =>
      sdkTypeOf(r) === "azure-native:synapse:WorkspaceSqlAadAdmin"
        ? `Azure makes the workspace's creator its SQL Entra admin when it creates the workspace (azure-native's own doc), so ${EXISTS}: ${VIA_DEPLOYMENT}, after the workspace is active`
        : undefined,
  },
  {
    id: "synapse-cmk-key-exists",
    check: (r, all) => {
      if (sdkTypeOf(r) !== "azure-native:synapse:Key") return undefined;
      const name = at(r.inputs, "keyName");
      const owner = all.find(
        (w) =>
          sdkTypeOf(w) === "azure-native:synapse:Workspace" &&
          at(w.inputs, "encryption", "cmk", "key", "name") === name,
      );
      return owner
        ? `workspace ${owner.name} was created with customer-managed key '${String(name)}' and already holds that key object (pending activation), so ${EXISTS}: activate it with ${VIA_DEPLOYMENT}`
        : undefined;
    },
  },
  {
    // Custom tables (_CL), search results (_SRCH) and restored logs (_RST) are created by their PUT; every other table
    // is Azure's, made with the workspace's services and diagnostic settings (manage-logs-tables), with a DELETE in the
    // Tables API: components/operations/retention.ts sets their retention through a deployment.
    id: "log-analytics-azure-table-exists",
    check: (r) => {
      if (sdkTypeOf(r) !== "azure-native:operationalinsights:Table") return undefined;
      const table = at(r.inputs, "tableName");
      return typeof table === "string" && !/_(CL|SRCH|RST)$/.test(table)
        ? `'${table}' is an Azure table, which Azure creates in the workspace itself ("Azure Monitor Logs creates Azure tables automatically", manage-logs-tables), so ${EXISTS} once it exists: set its retention through an ARM deployment (resources.Deployment, as components/operations/retention.ts does)`
        : undefined;
    },
  },
  {
    id: "adf-global-parameter-wiped",
    check: (r) =>
      sdkTypeOf(r) === "azure-native:datafactory:GlobalParameter"
        ? "a later PUT of the factory (any change to it, a tag included) wipes global parameters created through their own API, and Pulumi does not see it (the Data Factory team, Azure/bicep-registry-modules#4268): set them in the factory's `globalParameters`"
        : undefined,
  },
  {
    id: "generic-child-auto-location",
    check: (r) =>
      sdkTypeOf(r) === "azure-native:resources:Resource" &&
      typeof at(r.inputs, "parentResourcePath") === "string" &&
      String(at(r.inputs, "parentResourcePath")).length > 0 &&
      at(r.inputs, "location") === undefined
        ? `azure-native adds the resource group's location to a generic resource (auto-location), and this child resource (${String(at(r.inputs, "resourceType"))} under ${String(at(r.inputs, "parentResourcePath"))}) may not accept one: ${VIA_DEPLOYMENT}`
        : undefined,
  },
  {
    id: "nsg-rule-priority",
    check: (r) => {
      const rules =
        sdkTypeOf(r) === "azure-native:network:NetworkSecurityGroup"
          ? ((at(r.inputs, "securityRules") ?? []) as Record<string, unknown>[])
          : sdkTypeOf(r) === "azure-native:network:SecurityRule"
            ? [r.inputs]
            : [];
      if (!Array.isArray(rules)) return undefined;
      const problems: string[] = [];
      const seen = new Map<string, string>();
      for (const rule of rules) {
        const { priority, direction, name } = rule as { priority?: unknown; direction?: unknown; name?: unknown };
        if (typeof priority !== "number") continue; // unknown until deployed, or missing (the schema requires it)
        if (!Number.isInteger(priority) || priority < 100 || priority > 4096)
          problems.push(`rule ${String(name)} has priority ${priority}`);
        const key = `${String(direction)}:${priority}`;
        if (seen.has(key))
          problems.push(`rules ${seen.get(key)} and ${String(name)} share ${String(direction)} priority ${priority}`);
        else seen.set(key, String(name));
      }
      return problems.length > 0
        ? `NSG rule priorities must be whole numbers from 100 to 4096, one rule per priority and direction (SecurityRule priority: "The value can be between 100 and 4096", Microsoft.Network API); ${problems.join("; ")}`
        : undefined;
    },
  },
  {
    id: "sql-standby-read-scale",
    check: (r) =>
      sdkTypeOf(r) === "azure-native:sql:Database" &&
      at(r.inputs, "secondaryType") === "Standby" &&
      at(r.inputs, "readScale") === "Enabled"
        ? 'a standby geo-secondary takes no read-scale routing (InvalidStandbyGeoReadScale in the SQL error list for database operations): set readScale "Disabled" on it (a standby replica serves no reads)'
        : undefined,
  },
  {
    id: "sql-standby-unsupported-sku",
    check: (r) => {
      if (sdkTypeOf(r) !== "azure-native:sql:Database" || at(r.inputs, "secondaryType") !== "Standby") return undefined;
      const sku = at(r.inputs, "sku", "name");
      return typeof sku === "string" && !STANDBY_SKUS.includes(sku)
        ? `a standby replica needs a provisioned General Purpose or Business Critical database (GP_Gen5, BC_Gen5), not ${sku} (standby-replica-how-to-configure, Limitations): use secondaryType "Geo"`
        : undefined;
    },
  },
  {
    // "MuteActionsDuration of 0 minutes is not supported. Supported values are: 5, 10, 15, 30, 45, 60, 120, 180, 240,
    // 300, 360, 1440, 2880" (Azure's refusal, quoted in Azure/azure-cli#22055 and Azure/azure-powershell#17796);
    // "EvaluationFrequency cannot be greater than MuteActionsDuration" (Azure/azure-cli#26581); "Auto mitigation must
    // be disabled when action suppression is set" (Azure/azure-powershell#22583; terraform-provider-azurerm's
    // scheduled query rule v2 makes that check before it sends the rule).
    id: "log-alert-mute-duration",
    check: (r) => {
      if (sdkTypeOf(r) !== "azure-native:monitor:ScheduledQueryRule") return undefined;
      const mute = at(r.inputs, "muteActionsDuration");
      if (typeof mute !== "string" || mute === UNKNOWN) return undefined;
      const minutes = isoMinutes(mute);
      if (minutes === undefined || !MUTE_MINUTES.includes(minutes))
        return `muteActionsDuration ${mute} is not one Azure takes (minutes: ${MUTE_MINUTES.join(", ")}): use one of them, e.g. PT1H or P1D`;
      const frequency = at(r.inputs, "evaluationFrequency");
      const every = typeof frequency === "string" ? isoMinutes(frequency) : undefined;
      if (every !== undefined && every > minutes)
        return `muteActionsDuration ${mute} is shorter than the rule's evaluationFrequency ${String(frequency)}, which Azure refuses ("EvaluationFrequency cannot be greater than MuteActionsDuration"): mute for at least one evaluation period`;
      // autoMitigate defaults to true (the SDK's description of the property): only an explicit false allows a mute.
      const autoMitigate = at(r.inputs, "autoMitigate");
      return autoMitigate === false || autoMitigate === UNKNOWN
        ? undefined
        : `muteActionsDuration ${mute} with autoMitigate ${autoMitigate === undefined ? "unset (true by default)" : String(autoMitigate)}, which Azure refuses ("Auto mitigation must be disabled when action suppression is set"): set autoMitigate false`;
    },
  },
  {
    id: "flex-rejected-site-config",
    check: (r) => {
      if (!isFlexApp(r)) return undefined;
      const siteConfig = at(r.inputs, "siteConfig");
      const bad = FLEX_REJECTED_SITE_CONFIG.filter((k) => at(siteConfig, k) !== undefined);
      return bad.length > 0
        ? `Flex Consumption rejects siteConfig.${bad.join(", siteConfig.")} (ARM 51021); azure-native's SDK injects netFrameworkVersion into every siteConfig: drop them (components/shared/functionAppSettings.ts dropSdkSiteConfigDefaults)`
        : undefined;
    },
  },
  {
    // Every resource of this program has a deterministic Azure name, so a replacement creates the new resource under
    // the old one's name while the old one still exists (Pulumi creates before it deletes unless told otherwise).
    id: "replacement-under-same-name",
    check: (r) =>
      r.custom && isAzureNative(r) && (r.replaceOnChanges?.length ?? 0) > 0 && !r.deleteBeforeReplace
        ? `a change of ${r.replaceOnChanges?.join(", ")} replaces it under the same Azure name, created before the old one is deleted, and ${EXISTS}: set deleteBeforeReplace`
        : undefined,
  },
  {
    // A VNet with custom DNS servers gives them to everything in it ("up to five" for App Service's VNet integration,
    // learn.microsoft.com/azure/app-service/overview-name-resolution), in place of Azure DNS: servers outside its
    // address space (the hub's resolver or firewall, config privateDns.dnsServers) answer only once a peering to their
    // network is Connected, which needs the hub's side too. A peering inline in `virtualNetworkPeerings` does not
    // count: Azure does not create it (Azure/bicep#7622, components/platform/network.ts).
    id: "custom-dns-without-peering",
    check: (r, all) => {
      if (sdkTypeOf(r) !== "azure-native:network:VirtualNetwork") return undefined;
      const remote = remoteDnsServers(r);
      if (remote.length === 0) return undefined;
      const peered = all.some((p) => sdkTypeOf(p) === "azure-native:network:VirtualNetworkPeering" && peersFrom(p, r));
      return peered
        ? undefined
        : `its DNS servers (dhcpOptions.dnsServers ${remote.join(", ")}) lie outside its address space and no VirtualNetworkPeering of the stack names it: everything in the VNet sends its queries there, so until a peering to their network is Connected it resolves nothing, not even public names, and the first deploy's apps, gateway and private endpoint clients fail; declare the peering (config hub); the hub's side, which Azure accepts once this VNet exists, and the resolver or firewall answering this address space follow the first up's first pass`;
    },
  },
  {
    // A public Application Gateway resolves Azure names (`*.azure.net`: the Key Vault of its certificate) through
    // Azure-provided DNS whatever its VNet's DNS servers, so "the private DNS zone must remain linked to the application
    // gateway virtual network" (learn.microsoft.com/azure/application-gateway/application-gateway-dns-resolution,
    // "Using custom DNS servers"): without a link of the vault's zone to the VNet the gateway reads the vault's public
    // address, which a private-only vault refuses, and its creation fails (privateDns.mode central links the hub's zone).
    id: "gateway-vault-zone-not-linked",
    check: (r, all) => {
      if (sdkTypeOf(r) !== "azure-native:network:ApplicationGateway") return undefined;
      const vaultCertificates = [at(r.inputs, "sslCertificates")]
        .flat()
        .some((c) => typeof at(c, "keyVaultSecretId") === "string");
      if (!vaultCertificates) return undefined;
      const subnets = [at(r.inputs, "gatewayIPConfigurations")].flat().map((c) => at(c, "subnet", "id"));
      const vnet = all.find(
        (v) =>
          sdkTypeOf(v) === "azure-native:network:VirtualNetwork" &&
          v.id !== undefined &&
          subnets.some(
            (id) => typeof id === "string" && id.toLowerCase().startsWith(`${v.id?.toLowerCase()}/subnets/`),
          ),
      );
      if (!vnet || remoteDnsServers(vnet).length === 0) return undefined;
      const linked = all.some(
        (l) =>
          sdkTypeOf(l) === "azure-native:privatedns:VirtualNetworkLink" &&
          sameId(at(l.inputs, "virtualNetwork", "id"), vnet.id) &&
          at(l.inputs, "privateZoneName") === VAULT_ZONE,
      );
      return linked
        ? undefined
        : `it reads its certificate from Key Vault through Azure-provided DNS whatever ${vnet.name}'s DNS servers (dhcpOptions.dnsServers ${remoteDnsServers(vnet).join(", ")}), and no ${VAULT_ZONE} zone is linked to that VNet: it would resolve the vault's public address, which the private vault refuses, and fail; link the vault's private DNS zone (the hub's, with privateDns.mode central) to the VNet`;
    },
  },
  {
    id: "flex-diagnostic-setting",
    check: (r, all) => {
      if (sdkTypeOf(r) !== "azure-native:monitor:DiagnosticSetting") return undefined;
      const app = all.find((a) => isFlexApp(a) && a.id !== undefined && at(r.inputs, "resourceUri") === a.id);
      return app
        ? `diagnostic settings aren't supported on Flex Consumption (flex-consumption-plan.md, Considerations, until a recent version; unconfirmed since, a first-deploy check in docs/operations.md): send ${app.name}'s telemetry through Application Insights`
        : undefined;
    },
  },
];

/** The Key Vault private DNS zone (lib/privateLink.ts PRIVATE_LINK.keyVault). */
const VAULT_ZONE = PRIVATE_LINK.keyVault.zones[0];

/** Whether two ARM ids are the same (ARM compares them without case); unknown or absent ids are never the same. */
const sameId = (a: unknown, b: unknown) =>
  typeof a === "string" && typeof b === "string" && a !== UNKNOWN && a.toLowerCase() === b.toLowerCase();

/**
 * The DNS servers of a VNet (`dhcpOptions.dnsServers`) that lie outside its address space: reached only through a
 * peering (or a gateway the program does not declare). Unknown values are left out (not judged).
 */
export function remoteDnsServers(vnet: ResourceRecord): string[] {
  const servers = at(vnet.inputs, "dhcpOptions", "dnsServers");
  const prefixes = at(vnet.inputs, "addressSpace", "addressPrefixes");
  const own = (Array.isArray(prefixes) ? prefixes : []).flatMap((p) =>
    typeof p === "string" ? (parseCidr(p) ?? []) : [],
  );
  return (Array.isArray(servers) ? servers : []).filter((s): s is string => {
    if (typeof s !== "string" || s === UNKNOWN || s.trim() === AZURE_PROVIDED_DNS) return false;
    const address = parseCidr(`${s.trim()}/32`);
    return !(address && own.some((range) => contains(range, address)));
  });
}

/**
 * Whether `peering` (a standalone VirtualNetworkPeering) is a peering of `vnet`: its `virtualNetworkName` wired from
 * the VNet (the property dependency), or naming it in the same resource group (names compare in lower case, as Azure
 * does; the VNet's Azure name is its `virtualNetworkName`, else its `name` output, else its resource name).
 */
function peersFrom(peering: ResourceRecord, vnet: ResourceRecord): boolean {
  if ((peering.propertyDependencies["virtualNetworkName"] ?? []).includes(vnet.urn)) return true;
  const lower = (v: unknown) => (typeof v === "string" && v !== UNKNOWN ? v.toLowerCase() : undefined);
  const name = lower(at(peering.inputs, "virtualNetworkName"));
  const names = [at(vnet.inputs, "virtualNetworkName"), at(vnet.outputs, "name"), vnet.name].map(lower);
  const [group, vnetGroup] = [peering, vnet].map((x) => lower(at(x.inputs, "resourceGroupName")));
  return (
    name !== undefined &&
    names.includes(name) &&
    (group === undefined || vnetGroup === undefined || group === vnetGroup)
  );
}

/** The mute durations Azure takes for a log alert's actions, in minutes. */
export const MUTE_MINUTES: readonly number[] = [5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440, 2880];

/** Minutes of an ISO 8601 duration of days, hours and minutes (`P1D`, `PT12H`, `PT30M`); undefined otherwise. */
export function isoMinutes(duration: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(duration);
  if (!m || duration === "P" || duration.endsWith("T")) return undefined;
  return Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/**
 * Children Azure changes one at a time on their parent, keyed by the inputs that name the parent: two of them that
 * do not wait for each other race, and the second gets 409/412 (components/shared/serial.ts has the evidence).
 */
export const SERIALISED_CHILDREN: readonly {
  /** One type, or several whose writes land on the same parent. */
  readonly type: string | readonly string[];
  /**
   * The inputs naming the parent, or a function giving its key (undefined: not a child of this kind of parent), or
   * the keys of every parent the write lands on (`{ several: [...] }`, a failover group on each of its databases).
   */
  readonly parent:
    | readonly string[]
    | ((
        r: ResourceRecord,
        records: readonly ResourceRecord[],
      ) => readonly unknown[] | { readonly several: readonly (readonly unknown[])[] } | undefined);
  /**
   * The types whose writes are parent-level operations, which must not overlap any other write to the parent; the
   * others may run alongside one another. Absent: every pair must be ordered.
   */
  readonly exclusive?: readonly string[];
  readonly what: string;
}[] = [
  {
    // Role definitions take the same account lock as assignments (hashicorp/terraform-provider-azurerm#15842, fixed
    // by locking both in #15862).
    type: ["azure-native:cosmosdb:SqlResourceSqlRoleAssignment", "azure-native:cosmosdb:SqlResourceSqlRoleDefinition"],
    parent: ["resourceGroupName", "accountName"],
    what: "Cosmos DB data-plane role definitions and assignments of one account (412 'another user operation in progress')",
  },
  {
    // Database-scoped management operations run one at a time (components/oltp/index.ts). Creating a geo-secondary
    // and a failover group are operations on the primary database too (the Microsoft.Sql spec's errors:
    // 409 ConflictingDatabaseOperation, 400 UpdateNotAllowedIfGeoDrOperationInProgress, DatabaseBeingAddedToFailoverGroup).
    type: [
      "azure-native:sql:Database",
      "azure-native:sql:TransparentDataEncryption",
      "azure-native:sql:DataMaskingPolicy",
      "azure-native:sql:BackupShortTermRetentionPolicy",
      "azure-native:sql:LongTermRetentionPolicy",
      "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy",
      "azure-native:sql:FailoverGroup",
    ],
    parent: primaryDatabase,
    what: "operations on one SQL database: its settings, its geo-secondary and its failover group (409 ConflictingDatabaseOperation)",
  },
  {
    // A private endpoint adds a connection to the server: another server-level write.
    type: [
      "azure-native:sql:EncryptionProtector",
      "azure-native:sql:OutboundFirewallRule",
      "azure-native:sql:ExtendedServerBlobAuditingPolicy",
      "azure-native:sql:ServerSecurityAlertPolicy",
      "azure-native:network:PrivateEndpoint",
    ],
    parent: childOrEndpoint("microsoft.sql/servers", "serverName"),
    what: "settings and private endpoint connections of one SQL server (409 ConflictingServerOperation)",
  },
  {
    // Workspace-level writes: private endpoint connections and the dedicated pool (components/olap/warehouse.ts).
    type: ["azure-native:synapse:SqlPool", "azure-native:network:PrivateEndpoint"],
    parent: childOrEndpoint("microsoft.synapse/workspaces", "workspaceName"),
    what: "private endpoint connections and dedicated pools of one Synapse workspace",
  },
  {
    type: [
      "azure-native:synapse:SqlPoolTransparentDataEncryption",
      "azure-native:synapse:SqlPoolWorkloadGroup",
      "azure-native:synapse:SqlPoolWorkloadClassifier",
    ],
    parent: ["resourceGroupName", "workspaceName", "sqlPoolName"],
    what: "settings, workload groups and classifiers of one dedicated SQL pool (one operation at a time on a pool)",
  },
  {
    type: "azure-native:datafactory:ManagedPrivateEndpoint",
    parent: ["resourceGroupName", "factoryName", "managedVirtualNetworkName"],
    what: "managed private endpoints of one Data Factory managed virtual network",
  },
  {
    type: "azure-native:network:FirewallPolicyRuleCollectionGroup",
    parent: ["resourceGroupName", "firewallPolicyName"],
    what: "rule collection groups of one firewall policy",
  },
  {
    type: "azure-native:eventgrid:SystemTopicEventSubscription",
    parent: ["resourceGroupName", "systemTopicName"],
    what: "event subscriptions of one system topic",
  },
  {
    type: [
      "azure-native:storage:BlobContainer",
      "azure-native:storage:BlobServiceProperties",
      "azure-native:storage:ManagementPolicy",
      "azure-native:storage:BlobContainerImmutabilityPolicy",
      "azure-native:network:PrivateEndpoint",
    ],
    parent: childOrEndpoint("microsoft.storage/storageaccounts", "accountName"),
    what: "containers, blob settings and private endpoint connections of one storage account (409 StorageAccountOperationInProgress)",
  },
  {
    // Each app's VNet integration takes the subnet's service association link lease; a second app joining while
    // the first holds it fails with 409 Conflict, which the provider does not retry (pulumi-azure-native#3653).
    type: "azure-native:web:WebApp",
    parent: ["virtualNetworkSubnetId"],
    what: "apps joining one integration subnet (409 'Failed to acquire ServiceAssociationLinkLease', hashicorp/terraform-provider-azurerm#32089)",
  },
  {
    type: [
      "azure-native:web:WebAppApplicationSettings",
      "azure-native:web:WebAppFtpAllowed",
      "azure-native:web:WebAppScmAllowed",
    ],
    parent: ["resourceGroupName", "name"],
    what: "writes to one site (409 'Cannot modify this site because another operation is in progress', Azure/terraform-azurerm-avm-res-web-site#272)",
  },
  {
    // Entities (hubs, consumer groups) may be created side by side; a namespace update (its network rule set, a
    // private endpoint connection) overlapping any other write fails with 409 "Namespace update failed with conflict
    // in backend" or 429 "Namespace provisioning in transition" (learn.microsoft.com/azure/event-hubs/resource-manager-exceptions).
    type: [
      "azure-native:eventhub:EventHub",
      "azure-native:eventhub:ConsumerGroup",
      "azure-native:eventhub:NamespaceNetworkRuleSet",
      "azure-native:network:PrivateEndpoint",
    ],
    parent: childOrEndpoint("microsoft.eventhub/namespaces", "namespaceName"),
    exclusive: ["azure-native:eventhub:NamespaceNetworkRuleSet", "azure-native:network:PrivateEndpoint"],
    what: "writes to one Event Hubs namespace",
  },
  {
    // Private endpoint connections (ours, and Data Factory's managed ones) are account-level writes that take the
    // account's exclusive lock (components/nosql/index.ts); databases and containers may be created side by side.
    type: [
      "azure-native:cosmosdb:SqlResourceSqlDatabase",
      "azure-native:cosmosdb:SqlResourceSqlContainer",
      "azure-native:network:PrivateEndpoint",
      "azure-native:datafactory:ManagedPrivateEndpoint",
    ],
    parent: (r) =>
      sdkTypeOf(r) === "azure-native:datafactory:ManagedPrivateEndpoint"
        ? resourceKey(at(r.inputs, "properties", "privateLinkResourceId"), "microsoft.documentdb/databaseaccounts")
        : childOrEndpoint("microsoft.documentdb/databaseaccounts", "accountName")(r),
    exclusive: ["azure-native:network:PrivateEndpoint", "azure-native:datafactory:ManagedPrivateEndpoint"],
    what: "databases, containers and private endpoint connections of one Cosmos DB account (412 'exclusive lock')",
  },
  {
    type: "azure-native:monitor:PrivateLinkScopedResource",
    parent: ["resourceGroupName", "scopeName"],
    what: "resources linked to one Azure Monitor Private Link Scope",
  },
  {
    // Keys, secrets and private endpoint connections all change the vault resource: "ConflictError | You're requesting
    // multiple operations on the same item, for example, Key Vault, secret, key, certificate, or common components
    // within a Key Vault like VNET. It's recommended to sequence operations or to implement retry logic"
    // (learn.microsoft.com/azure/key-vault/general/common-error-codes); secrets created in a loop fail so
    // (pulumi/pulumi-azure-native#1013), and azure-native retries a 409 only for AnotherOperationInProgress
    // (pulumi/pulumi-azure-native#3653). Role assignments on a vault or key are Microsoft.Authorization writes.
    // An Event Grid subscription on the vault's system topic writes to the vault too: "Microsoft.KeyVault/vaults/
    // eventGridFilters/write | Notifies Microsoft.KeyVault that a new EventGrid Subscription for Key Vault is being
    // created" (Key Vault's resource provider operations).
    type: [
      "azure-native:keyvault:Key",
      "azure-native:keyvault:Secret",
      "azure-native:network:PrivateEndpoint",
      "azure-native:eventgrid:SystemTopicEventSubscription",
    ],
    parent: (r, records) =>
      sdkTypeOf(r) === "azure-native:eventgrid:SystemTopicEventSubscription"
        ? topicSource(r, records, "microsoft.keyvault/vaults")
        : childOrEndpoint("microsoft.keyvault/vaults", "vaultName")(r),
    what: "keys, secrets, private endpoint connections and event subscriptions of one key vault (409 ConflictError)",
  },
];

/**
 * The parent key of a child that names its parent in `nameInput` (with `resourceGroupName`), or of a private endpoint
 * that connects to a resource of `providerType`: both land on the same parent.
 */
function childOrEndpoint(
  providerType: string,
  nameInput: string,
): (r: ResourceRecord) => readonly unknown[] | undefined {
  return (r) =>
    sdkTypeOf(r) === "azure-native:network:PrivateEndpoint"
      ? privateLinkTarget(r, providerType)
      : [at(r.inputs, "resourceGroupName"), at(r.inputs, nameInput)];
}

/**
 * The [resource group, name] of the resource a private endpoint connects to, when it is of `providerType` (e.g.
 * "microsoft.eventhub/namespaces", compared in lower case); undefined otherwise or while its id is unknown.
 */
function privateLinkTarget(r: ResourceRecord, providerType: string): readonly string[] | undefined {
  const connections = at(r.inputs, "privateLinkServiceConnections");
  return resourceKey(Array.isArray(connections) ? at(connections[0], "privateLinkServiceId") : undefined, providerType);
}

/**
 * The [resource group, name] of the source of an event subscription's system topic (found by the topic's name and
 * group among the records), when that source is of `providerType`; undefined otherwise.
 */
function topicSource(
  r: ResourceRecord,
  records: readonly ResourceRecord[],
  providerType: string,
): readonly string[] | undefined {
  const topic = records.find(
    (t) =>
      sdkTypeOf(t) === "azure-native:eventgrid:SystemTopic" &&
      String(at(t.inputs, "systemTopicName")).toLowerCase() === String(at(r.inputs, "systemTopicName")).toLowerCase() &&
      String(at(t.inputs, "resourceGroupName")).toLowerCase() ===
        String(at(r.inputs, "resourceGroupName")).toLowerCase(),
  );
  return topic ? resourceKey(at(topic.inputs, "source"), providerType) : undefined;
}

/** The [resource group, name] of a resource id of `providerType` (lower case); undefined for anything else. */
function resourceKey(id: unknown, providerType: string): readonly string[] | undefined {
  if (typeof id !== "string") return undefined;
  const m = /\/resourcegroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)$/.exec(id.toLowerCase());
  return m && m[2] === providerType ? [m[1], m[3]] : undefined;
}

/**
 * The SQL databases an operation lands on: a geo-secondary's creation on its source and on itself, a failover
 * group's on each of its databases and on their namesakes on its partner servers (the secondaries), otherwise the
 * database the resource names (a database itself, or a setting of one).
 */
function primaryDatabase(r: ResourceRecord): { readonly several: readonly (readonly unknown[])[] } {
  const ofId = (id: unknown) => {
    if (typeof id !== "string") return undefined;
    const m = /\/resourcegroups\/([^/]+)\/providers\/microsoft\.sql\/servers\/([^/]+)(?:\/databases\/([^/]+))?$/.exec(
      id.toLowerCase(),
    );
    return m ? { group: m[1], server: m[2], database: m[3] } : undefined;
  };
  const own = ["resourceGroupName", "serverName", "databaseName"].map((k) => at(r.inputs, k));
  if (sdkTypeOf(r) === "azure-native:sql:FailoverGroup") {
    const list = at(r.inputs, "databases");
    const databases = (Array.isArray(list) ? list : []).map(ofId).filter((d) => d?.database !== undefined);
    const partners = at(r.inputs, "partnerServers");
    const servers = (Array.isArray(partners) ? partners : []).map((p) => ofId(at(p, "id"))).filter((x) => x);
    return {
      several: databases.flatMap((d) => [
        [d?.group, d?.server, d?.database],
        ...servers.map((p) => [p?.group, p?.server, d?.database]),
      ]),
    };
  }
  const source = at(r.inputs, "sourceDatabaseId");
  if (sdkTypeOf(r) === "azure-native:sql:Database" && source !== undefined) {
    const d = ofId(source);
    return { several: [...(d?.database !== undefined ? [[d.group, d.server, d.database]] : []), own] };
  }
  return { several: [own] };
}

/**
 * Every resource `r` waits for, directly or through others (the engine's order): its dependencies, and a custom
 * resource that is its Pulumi parent (the Node SDK registers a child once its parent's URN resolves, after the
 * parent's registration). The memo holds a set before it is complete, which is only right on an acyclic graph: Pulumi
 * refuses cycles, so a run's dependencies have none.
 */
function ancestors(r: ResourceRecord, byUrn: ReadonlyMap<string, ResourceRecord>, memo: Map<string, Set<string>>) {
  const known = memo.get(r.urn);
  if (known) return known;
  const set = new Set<string>();
  memo.set(r.urn, set);
  const parent = r.parent ? byUrn.get(r.parent) : undefined;
  for (const d of parent?.custom ? [...r.dependencies, parent.urn] : r.dependencies) {
    set.add(d);
    const dep = byUrn.get(d);
    if (dep) for (const a of ancestors(dep, byUrn, memo)) set.add(a);
  }
  return set;
}

/** What each resource of a run waits for, directly or through others (one memo for every rule of a run). */
type WaitsFor = (r: ResourceRecord) => ReadonlySet<string>;

function waitsForOf(records: readonly ResourceRecord[]): WaitsFor {
  const byUrn = new Map(records.map((r) => [r.urn, r]));
  const memo = new Map<string, Set<string>>();
  return (r) => ancestors(r, byUrn, memo);
}

/** Pairs of serialised children of one parent that do not wait for each other (pure). */
function racingChildren(records: readonly ResourceRecord[], waits: WaitsFor = waitsForOf(records)): Hazard[] {
  const out: Hazard[] = [];
  for (const spec of SERIALISED_CHILDREN) {
    const groups = new Map<string, ResourceRecord[]>();
    const types: readonly string[] = typeof spec.type === "string" ? [spec.type] : spec.type;
    for (const r of records.filter((x) => types.includes(sdkTypeOf(x)))) {
      const found =
        typeof spec.parent === "function" ? spec.parent(r, records) : spec.parent.map((k) => at(r.inputs, k));
      const keys = found === undefined ? [] : "several" in found ? found.several : [found];
      for (const parts of keys) {
        // Only children whose parent is known (the deployed view): unknown names would put every child in one group.
        // Names compare in lower case, as Azure does.
        if (!parts.every((p) => typeof p === "string" && p !== UNKNOWN)) continue;
        const key = JSON.stringify(parts.map((p) => String(p).toLowerCase()));
        groups.set(key, [...(groups.get(key) ?? []), r]);
      }
    }
    const mustOrder = (a: ResourceRecord, b: ResourceRecord) =>
      !spec.exclusive || spec.exclusive.includes(sdkTypeOf(a)) || spec.exclusive.includes(sdkTypeOf(b));
    for (const group of groups.values())
      for (let i = 0; i < group.length; i++)
        for (let j = i + 1; j < group.length; j++) {
          const [a, b] = [group[i], group[j]];
          if (!mustOrder(a, b)) continue;
          if (waits(b).has(a.urn) || waits(a).has(b.urn)) continue;
          out.push({
            rule: "serialised-children-race",
            urn: b.urn,
            name: b.name,
            message: `${a.name} and ${b.name} are ${spec.what}, which Azure changes one at a time, and neither waits for the other: chain them with dependsOn (components/shared/serial.ts)`,
          });
        }
  }
  return out;
}

/** Children Azure creates with their parent: what lies under them needs only the parent's parent. */
const IMPLICIT_CHILD =
  /\/providers\/microsoft\.storage\/storageaccounts\/[^/]+\/(blob|file|queue|table)services\/default$/;

/** An Azure resource of the program whose ARM id is known (the deployed view): Entra and local ones have none. */
const withArmId = (r: ResourceRecord): r is ResourceRecord & { readonly id: string } =>
  r.custom && isAzureNative(r) && r.id?.startsWith("/") === true && !r.id.includes(UNKNOWN);

/** The run's Azure resources with a known id, by id in lower case (Azure compares ids without case). */
const byArmId = (records: readonly ResourceRecord[]) =>
  new Map(records.filter(withArmId).map((r) => [r.id.toLowerCase(), r]));

/**
 * The resource of the program a lower-case id names: itself, or the nearest one it lies under (a subnet declared in
 * its VNet is the VNet's), past a storage service singleton to its account.
 */
function declaredUnder(byId: ReadonlyMap<string, ResourceRecord>, id: string): ResourceRecord | undefined {
  const segments = id.split("/");
  for (let i = segments.length; i > 3; i--) {
    const prefix = segments.slice(0, i).join("/");
    const found = byId.get(prefix);
    if (found && !IMPLICIT_CHILD.test(prefix)) return found;
  }
  return undefined;
}

/**
 * Resources that lie under another resource of the program (their ARM id starts with its id: a child, an extension
 * resource, a role assignment on it) without waiting for it, directly or through others (pure). Only ids known (the
 * deployed view), compared without case.
 */
export function parentsNotAwaited(records: readonly ResourceRecord[], waits: WaitsFor = waitsForOf(records)): Hazard[] {
  const byId = byArmId(records);
  const out: Hazard[] = [];
  for (const r of records.filter(withArmId)) {
    // The nearest resource of the program it lies under, if it does not wait for it (a parent waits for its own
    // parents: what lies further out is that parent's to wait for, and reported there).
    const parent = declaredUnder(byId, r.id.toLowerCase().split("/").slice(0, -1).join("/"));
    if (!parent || waits(r).has(parent.urn)) continue;
    out.push({
      rule: "parent-not-awaited",
      urn: r.urn,
      name: r.name,
      message: `${r.name} lies under ${parent.name} (${parent.id}) but does not wait for it: the engine may create it first, and Azure refuses a child of a resource that does not exist yet; pass ${parent.name}'s outputs (its name or id) instead of a plain string, or add dependsOn`,
    });
  }
  return out;
}

/**
 * Input paths that name a resource which may be created later, or hold an id as data: a storage account's resource
 * instance rules and a Cosmos DB account's network bypass (each names a service that needs the account first), and
 * a Data Factory global parameter's value (a string the pipelines read).
 */
const MAY_COME_LATER =
  /^(networkRuleSet\.resourceAccessRules\[\d+\]\.resourceId|networkAclBypassResourceIds\[\d+\]|globalParameters\.[^.]+\.value)$/;

/**
 * Resources whose inputs name another resource of the program by its ARM id (anywhere in the inputs, without case)
 * without waiting for it, directly or through others (pure). Only ids known (the deployed view).
 */
export function referencesNotAwaited(
  records: readonly ResourceRecord[],
  waits: WaitsFor = waitsForOf(records),
): Hazard[] {
  const byId = byArmId(records);
  const out: Hazard[] = [];
  // The path is kept as a stack of segments and written out only for a reference (inputs hold whole pipelines).
  const at: string[] = [];
  const pathOf = () => at.join("").replace(/^\./, "");
  for (const r of records.filter((x) => x.custom && isAzureNative(x))) {
    // What it lies under is the parent rule's to report.
    const own = r.id?.toLowerCase() ?? "";
    const walk = (v: unknown): void => {
      if (Array.isArray(v))
        v.forEach((e, i) => {
          at.push(`[${i}]`);
          walk(e);
          at.pop();
        });
      else if (v && typeof v === "object")
        for (const [k, e] of Object.entries(v)) {
          at.push(`.${k}`);
          walk(e);
          at.pop();
        }
      else if (typeof v === "string" && /^\/subscriptions\//i.test(v)) {
        const named = declaredUnder(byId, v.toLowerCase());
        if (!named || named === r || own.startsWith(`${named.id?.toLowerCase()}/`)) return;
        const path = pathOf();
        if (MAY_COME_LATER.test(path) || waits(r).has(named.urn)) return;
        out.push({
          rule: "reference-not-awaited",
          urn: r.urn,
          name: r.name,
          message: `${r.name}'s ${path} names ${v.toLowerCase() === named.id?.toLowerCase() ? named.name : `${v}, of ${named.name}`} (${named.id}) but ${r.name} does not wait for it: the engine may create ${r.name} first, and Azure refuses a reference to a resource that does not exist yet; pass ${named.name}'s id output instead of a plain string, or add dependsOn`,
        });
      }
    };
    walk(r.inputs);
  }
  return out;
}

/**
 * Resources of the program that are one Azure resource: the same ARM id, compared without case as Azure does (pure).
 * Only Azure resources with a known id (the deployed view): Entra objects and local resources carry no ARM id.
 */
export function sharedAzureIds(records: readonly ResourceRecord[]): Hazard[] {
  const byId = new Map<string, ResourceRecord[]>();
  for (const r of records.filter(withArmId)) {
    const key = r.id.toLowerCase();
    byId.set(key, [...(byId.get(key) ?? []), r]);
  }
  return [...byId.values()]
    .filter((same) => same.length > 1)
    .flatMap(([first, ...others]) =>
      others.map((r) => ({
        rule: "one-azure-resource-twice",
        urn: r.urn,
        name: r.name,
        message: `${first.name} and ${r.name} are the same Azure resource (${first.id}): the second create is refused (${EXISTS}), or, where azure-native creates without that read, each \`up\` overwrites the other's settings; declare it once`,
      })),
    );
}

/**
 * The hazards among a run's resources, in registration order, then the races between serialised children, the
 * children and the references that do not wait for what they name, and the resources declared twice (pure).
 */
export function firstDeployHazards(records: readonly ResourceRecord[]): Hazard[] {
  const out: Hazard[] = [];
  for (const r of records)
    for (const rule of RULES) {
      const message = rule.check(r, records);
      if (message) out.push({ rule: rule.id, urn: r.urn, name: r.name, message });
    }
  const waits = waitsForOf(records);
  return [
    ...out,
    ...racingChildren(records, waits),
    ...parentsNotAwaited(records, waits),
    ...referencesNotAwaited(records, waits),
    ...sharedAzureIds(records),
  ];
}

/** The preview's section. */
export function formatHazards(hazards: readonly Hazard[]): string {
  if (hazards.length === 0) return "First-deploy hazards (provider and service behaviour the schemas don't show): none";
  return [
    `First-deploy hazards (provider and service behaviour the schemas don't show): ${hazards.length}`,
    ...hazards.map((h) => `    ✗ ${h.name} [${h.rule}]: ${h.message}`),
  ].join("\n");
}

/** The Markdown report's section (the pull-request job summary). */
export function hazardsMarkdown(hazards: readonly Hazard[]): string {
  if (hazards.length === 0) return "## First-deploy hazards\n\nNone.\n";
  return [
    "## First-deploy hazards",
    "",
    "Declarations the schemas accept but azure-native or the service refuses at `pulumi up` (tools/lib/hazards.ts):",
    "",
    ...hazards.map((h) => `- **${h.name}** (\`${h.rule}\`): ${h.message}`),
    "",
  ].join("\n");
}
