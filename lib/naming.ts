/**
 * Resource naming (pure): Cloud Adoption Framework abbreviations, environment and region, and the per-service
 * length and character rules Azure enforces, checked at plan time with clear errors.
 * Pattern: `<abbr>-<workload>-<env>-<region>[-<qualifier>][-<suffix>]`, hyphens dropped where a service forbids them.
 */

/** CAF abbreviations (https://learn.microsoft.com/azure/cloud-adoption-framework/ready/azure-best-practices/resource-abbreviations). */
export const CAF = {
  resourceGroup: "rg",
  virtualNetwork: "vnet",
  subnet: "snet",
  networkSecurityGroup: "nsg",
  privateEndpoint: "pep",
  privateDnsZoneLink: "pdnslink",
  keyVault: "kv",
  key: "key",
  logAnalytics: "log",
  monitorPrivateLinkScope: "ampls",
  applicationInsights: "appi",
  userAssignedIdentity: "id",
  actionGroup: "ag",
  sqlServer: "sql",
  sqlDatabase: "sqldb",
  sqlFailoverGroup: "fog",
  cosmosAccount: "cosmos",
  cosmosDatabase: "cosmosdb",
  synapseWorkspace: "synw",
  synapseSqlPool: "syndp",
  synapsePrivateLinkHub: "synplh",
  dataFactory: "adf",
  storageAccount: "st",
  eventHubNamespace: "evhns",
  eventHub: "evh",
  streamAnalytics: "asa",
  functionApp: "func",
  appServicePlan: "asp",
  applicationGateway: "agw",
  wafPolicy: "waf",
  publicIp: "pip",
  applicationSecurityGroup: "asg",
  firewall: "afw",
  firewallPolicy: "afwp",
  routeTable: "rt",
  ddosPlan: "ddos",
  mlWorkspace: "mlw",
  containerRegistry: "cr",
  lock: "lock",
  budget: "budget",
  alert: "alert",
  alertProcessingRule: "apr",
  dashboard: "dash",
  eventGridSystemTopic: "egst",
  /** A Network Watcher flow log (not in the CAF list). */
  flowLog: "fl",
  /** The Cosmos DB key vault (`kv` + `c`: a qualifier would not fit Key Vault's 24 characters with a 5-letter workload). */
  cosmosKeyVault: "kvc",
  /** The vault of the ML workspace's customer-managed key (`kv` + `m`, for the same reason). */
  mlKeyVault: "kvm",
  /** The ML workspace's own vault, its connection secrets (`kv` + `w`: `kv-…-ml-…` would pass 24 characters). */
  mlWorkspaceKeyVault: "kvw",
} as const;

export type ResourceKind = keyof typeof CAF;

/** Short region codes used in names. */
export const REGION_SHORT: Readonly<Record<string, string>> = {
  westeurope: "weu",
  northeurope: "neu",
  francecentral: "frc",
  francesouth: "frs",
  germanywestcentral: "gwc",
  germanynorth: "gno",
  swedencentral: "sdc",
  swedensouth: "sds",
  italynorth: "itn",
  polandcentral: "plc",
  spaincentral: "spc",
  austriaeast: "ate",
  belgiumcentral: "bec",
  denmarkeast: "dke",
};

/**
 * Azure's display names of the EU regions (`az account list-locations`), as Service Health names impacted regions.
 * The newest three are checked against Microsoft's pages: Austria East and Belgium Central in the Azure regions list
 * (https://learn.microsoft.com/azure/reliability/regions-list, programmatic names `austriaeast`, `belgiumcentral`),
 * Denmark East as the Azure SDK's `AzureLocation.DenmarkEast` names it
 * (https://learn.microsoft.com/dotnet/api/azure.core.azurelocation.denmarkeast); a subscription's own
 * `az account list-locations` is the final word.
 */
export const REGION_DISPLAY_NAMES: Readonly<Record<string, string>> = {
  westeurope: "West Europe",
  northeurope: "North Europe",
  francecentral: "France Central",
  francesouth: "France South",
  germanywestcentral: "Germany West Central",
  germanynorth: "Germany North",
  swedencentral: "Sweden Central",
  swedensouth: "Sweden South",
  italynorth: "Italy North",
  polandcentral: "Poland Central",
  spaincentral: "Spain Central",
  austriaeast: "Austria East",
  belgiumcentral: "Belgium Central",
  denmarkeast: "Denmark East",
};

interface NameRule {
  readonly min: number;
  readonly max: number;
  /** Hyphens are not allowed (storage accounts, registries): segments are concatenated. */
  readonly noHyphens?: boolean;
  readonly pattern: RegExp;
  /** Must be unique across Azure (needs the random suffix). */
  readonly global?: boolean;
}

const DEFAULT_RULE: NameRule = { min: 1, max: 80, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/ };

/** Azure's naming rules for the kinds that have strict ones. */
export const NAME_RULES: Partial<Record<ResourceKind, NameRule>> = {
  storageAccount: { min: 3, max: 24, noHyphens: true, pattern: /^[a-z0-9]+$/, global: true },
  containerRegistry: { min: 5, max: 50, noHyphens: true, pattern: /^[a-z0-9]+$/, global: true },
  keyVault: { min: 3, max: 24, pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/, global: true },
  cosmosKeyVault: { min: 3, max: 24, pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/, global: true },
  mlKeyVault: { min: 3, max: 24, pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/, global: true },
  mlWorkspaceKeyVault: { min: 3, max: 24, pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/, global: true },
  sqlServer: { min: 1, max: 63, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/, global: true },
  cosmosAccount: { min: 3, max: 44, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/, global: true },
  synapseWorkspace: { min: 1, max: 45, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/, global: true },
  dataFactory: { min: 3, max: 63, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/, global: true },
  eventHubNamespace: { min: 6, max: 50, pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/, global: true },
  functionApp: { min: 2, max: 60, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/, global: true },
  sqlFailoverGroup: { min: 1, max: 63, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/, global: true },
  mlWorkspace: { min: 3, max: 33, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/ },
  synapseSqlPool: { min: 1, max: 60, noHyphens: true, pattern: /^[a-z0-9_]+$/ },
  synapsePrivateLinkHub: { min: 1, max: 45, noHyphens: true, pattern: /^[a-z0-9]+$/, global: true },
};

/** Length of the random suffix appended to globally unique names. */
export const SUFFIX_LENGTH = 4;

export interface NameContext {
  /** Short workload code, lower-case letters and digits (e.g. `pay`). */
  readonly workload: string;
  /** `dev` or `prod`. */
  readonly environment: string;
  /** Azure region name (e.g. `westeurope`). */
  readonly location: string;
}

export interface NameOptions {
  /** Distinguishes several resources of a kind (e.g. `data`, `sql`). */
  readonly qualifier?: string;
  /** Random suffix for globally unique names. */
  readonly suffix?: string;
}

export function regionShort(location: string): string {
  const short = REGION_SHORT[location.replace(/\s+/g, "").toLowerCase()];
  if (!short)
    throw new Error(`no short code for region '${location}' (known: ${Object.keys(REGION_SHORT).join(", ")})`);
  return short;
}

/** Builds and validates a name; throws naming the kind, the name and the rule it breaks. */
export function resourceName(kind: ResourceKind, ctx: NameContext, opts: NameOptions = {}): string {
  const rule = NAME_RULES[kind] ?? DEFAULT_RULE;
  const segments = [CAF[kind], ctx.workload, ctx.environment, regionShort(ctx.location), opts.qualifier, opts.suffix]
    .filter((s): s is string => typeof s === "string" && s.length > 0)
    .map((s) => s.toLowerCase());
  const name = segments.join(rule.noHyphens ? "" : "-");
  if (name.length < rule.min || name.length > rule.max) {
    throw new Error(`name '${name}' for ${kind} must be ${rule.min}–${rule.max} characters (has ${name.length})`);
  }
  if (!rule.pattern.test(name)) {
    throw new Error(`name '${name}' for ${kind} does not match ${rule.pattern}`);
  }
  return name;
}

/** True when the kind's name must be unique across Azure (so a random suffix is appended). */
export function isGloballyUnique(kind: ResourceKind): boolean {
  return NAME_RULES[kind]?.global === true;
}

/** `fraudMl` → `fraud-ml`: config and role keys (camelCase) as they appear in names. */
export function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * The subscription id and name of a resource group's id (`/subscriptions/<id>/resourceGroups/<name>`); undefined for
 * anything else.
 */
export function parseResourceGroupId(
  resourceGroupId: string,
): { subscriptionId: string; resourceGroupName: string } | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)$/i.exec(resourceGroupId);
  return m ? { subscriptionId: m[1], resourceGroupName: m[2] } : undefined;
}

/** `parseResourceGroupId` of an id known to be a resource group's (validated config); throws otherwise. */
export function resourceGroupParts(resourceGroupId: string): { subscriptionId: string; resourceGroupName: string } {
  const parts = parseResourceGroupId(resourceGroupId);
  if (!parts)
    throw new Error(`not a resource group's id (/subscriptions/<id>/resourceGroups/<name>): ${resourceGroupId}`);
  return parts;
}

/**
 * The ARM id of a resource in a resource group, from names known before it exists (a firewall's resource instance
 * rule that names a service the same `pulumi up` creates). `type` is `<namespace>/<type>`, e.g.
 * `Microsoft.Synapse/workspaces`.
 */
export function armResourceId(subscriptionId: string, resourceGroupName: string, type: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/${type}/${name}`;
}
