/** The per-resource first-deploy hazards (index.ts has the list of what they catch, with the evidence). */
import { contains, parseCidr } from "../../../lib/cidr";
import { STANDBY_SKUS } from "../../../lib/config/data";
import { AZURE_PROVIDED_DNS } from "../../../lib/config/network";
import { PRIVATE_LINK } from "../../../lib/privateLink";
import { UNKNOWN } from "../engine";
import type { ResourceRecord } from "../policyRunner";
import { isAzureNative, sdkTypeOf } from "../sdkType";
import { at, EXISTS, lower, VIA_DEPLOYMENT, type Rule } from "./common";
import { SUBNET_ADDRESS_RULES } from "./subnetAddresses";

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

/** A web app on a Flex Consumption plan (it carries `functionAppConfig`, which only Flex apps have). */
const isFlexApp = (r: ResourceRecord) =>
  sdkTypeOf(r) === "azure-native:web:WebApp" && at(r.inputs, "functionAppConfig") !== undefined;

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
  ...SUBNET_ADDRESS_RULES,
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
