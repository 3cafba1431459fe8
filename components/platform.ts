/**
 * Platform base: the resource groups, network, private DNS, Key Vault with the customer-managed keys and their
 * identities, Log Analytics, Entra ID groups and the alert action groups (one per priority) that every other tier
 * builds on.
 * Tiers receive the typed outputs below; they never rebuild ids or names from strings.
 */
import * as azuread from "@pulumi/azuread";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as monitor from "@pulumi/azure-native/monitor";
import * as network from "@pulumi/azure-native/network";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as resources from "@pulumi/azure-native/resources";
import type * as types from "@pulumi/azure-native/types";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { SubnetRole } from "../lib/config";
import { nthAddress, parseCidr, type Cidr } from "../lib/cidr";
import { publicIpDdosMode } from "../lib/ddos";
import { kebabCase } from "../lib/naming";
import { ML_COMPUTE_EGRESS, mlComputeEgress, regionalTag } from "../lib/mlEgress";
import { PRIVATE_DNS_ZONES, type PrivateDnsZoneName } from "../lib/privateLink";
import { keyExpiryAlerts, platformVault, type PlatformVault } from "./keyVaults";
import { severityActionGroups, type AlertRouting } from "./operations/routing";
import {
  BuiltInRoles,
  customerManagedKey,
  deployer,
  diagnosticSetting,
  lockFor,
  managementLock,
  privateEndpoint,
  roleAssignment,
  type CustomerManagedKey,
  type DataServiceArgs,
  type DiagnosticSettingsTarget,
  type PrivateEndpointTarget,
  type StackContext,
  vaultKey,
} from "./shared";

/** Resource groups by lifecycle: what is deployed, changed and deleted together. */
export const RESOURCE_GROUP_ROLES = [
  "network",
  "security",
  "monitoring",
  "data",
  "integration",
  "ml",
  "ingestion",
] as const;
export type ResourceGroupRole = (typeof RESOURCE_GROUP_ROLES)[number];

/** Services that get a customer-managed key (one key and one identity each, least privilege). */
export const CMK_SERVICES = ["sql", "cosmos", "synapse", "dataFactory", "storage", "eventHubs", "ml"] as const;
export type CmkService = (typeof CMK_SERVICES)[number];
/** Keys Cosmos DB uses, which therefore live in the vault that admits trusted Azure services (not private-only). */
// Event Hubs wraps its keys from the service, not from the VNet: it reaches a firewalled vault only as a trusted
// service (Key Vault's trusted services list: "Azure Event Hubs ... customer-managed keys scenario").
export const TRUSTED_SERVICES_KEYS: readonly CmkService[] = ["cosmos", "ml", "eventHubs"];

/** Entra ID groups of the platform. */
export const GROUP_ROLES = ["platformAdmins", "dataEngineers", "analysts", "fraudMl"] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

const GROUP_DESCRIPTIONS: Readonly<Record<GroupRole, string>> = {
  platformAdmins: "Platform administrators: Entra admins of the data stores, Key Vault administrators.",
  dataEngineers: "Data engineers: build and run pipelines; read/write on the data stores through Entra auth.",
  analysts: "Analysts: read-only access to the analytical store.",
  fraudMl: "Fraud/ML team: Azure ML workspace users; read fraud features.",
};

/** Subnet naming and behaviour per role. */
interface SubnetSpec {
  readonly name: string;
  /** Qualifier of the subnet's NSG name (`nsg-<workload>-<env>-<region>-<qualifier>`). */
  readonly nsgQualifier: string;
  readonly delegation?: string;
  /** NSG rules in addition to the final deny-all inbound. */
  readonly allowInbound: readonly {
    name: string;
    source: string;
    ports: string;
    protocol: network.SecurityRuleProtocol;
  }[];
  /** Azure forbids an NSG on some subnets (AzureFirewallSubnet). */
  readonly nsg: boolean;
  /** Send internet-bound traffic through Azure Firewall when it is enabled (workload subnets). */
  readonly egressViaFirewall?: boolean;
  /**
   * Outbound allow-list of the NSG (priority 100+), followed by a deny of everything else to the Internet; absent =
   * Azure's default outbound rules. Service tags may contain `{region}` (see lib/mlEgress.ts).
   */
  readonly allowOutbound?: readonly {
    name: string;
    destination: string;
    ports: readonly string[];
    protocol: network.SecurityRuleProtocol;
  }[];
}

export const SUBNETS: Readonly<Record<SubnetRole, SubnetSpec>> = {
  privateEndpoints: {
    name: "snet-private-endpoints",
    nsgQualifier: "pep",
    nsg: true,
    allowInbound: [
      {
        name: "allow-vnet-to-private-endpoints",
        source: "VirtualNetwork",
        ports: "*",
        protocol: network.SecurityRuleProtocol.Tcp,
      },
    ],
  },
  functions: {
    name: "snet-functions",
    nsgQualifier: "func",
    delegation: "Microsoft.Web/serverFarms",
    nsg: true,
    allowInbound: [],
    egressViaFirewall: true,
  },
  appGateway: {
    name: "snet-app-gateway",
    nsgQualifier: "agw",
    nsg: true,
    allowInbound: [
      {
        name: "allow-https-from-internet",
        source: "Internet",
        ports: "443",
        protocol: network.SecurityRuleProtocol.Tcp,
      },
      {
        // Only the HTTP listener that answers with a permanent redirect to HTTPS (no backend behind it: the policy
        // azure-native-network-applicationgateway-disallow-http-listener holds it to that). Without it, a client
        // that types http:// gets a timeout instead of the redirect.
        name: "allow-http-redirect-from-internet",
        source: "Internet",
        ports: "80",
        protocol: network.SecurityRuleProtocol.Tcp,
      },
      {
        name: "allow-gateway-manager",
        source: "GatewayManager",
        ports: "65200-65535",
        protocol: network.SecurityRuleProtocol.Tcp,
      },
      {
        name: "allow-azure-load-balancer",
        source: "AzureLoadBalancer",
        ports: "*",
        protocol: network.SecurityRuleProtocol.Asterisk,
      },
    ],
  },
  mlCompute: {
    name: "snet-ml-compute",
    nsgQualifier: "ml",
    nsg: true,
    egressViaFirewall: true,
    // Exactly Microsoft's required outbound list for VNet-injected Azure ML compute (lib/mlEgress.ts); the
    // workspace's own compute runs in its managed network instead and never uses this subnet.
    allowOutbound: ML_COMPUTE_EGRESS.map((rule) => ({
      name: `allow-${rule.name}`,
      destination: rule.serviceTag,
      ports: rule.ports,
      protocol: rule.protocol === "UDP" ? network.SecurityRuleProtocol.Udp : network.SecurityRuleProtocol.Tcp,
    })),
    allowInbound: [
      {
        name: "allow-vnet-intra-cluster",
        source: "VirtualNetwork",
        ports: "*",
        protocol: network.SecurityRuleProtocol.Tcp,
      },
    ],
  },
  streamAnalytics: {
    name: "snet-stream-analytics",
    nsgQualifier: "asa",
    delegation: "Microsoft.StreamAnalytics/streamingJobs",
    nsg: true,
    allowInbound: [],
  },
  firewall: { name: "AzureFirewallSubnet", nsgQualifier: "afw", nsg: false, allowInbound: [] },
  // Flex Consumption VNet integration (outbound only: the apps are reached through private endpoints in the PE
  // subnet). Flex needs the Microsoft.App/environments delegation (not Microsoft.Web/serverFarms) and the
  // Microsoft.App resource provider registered; one /24 leaves room for every Flex app's instances.
  flexFunctions: {
    name: "snet-functions-flex",
    nsgQualifier: "flex",
    delegation: "Microsoft.App/environments",
    nsg: true,
    allowInbound: [],
    egressViaFirewall: true,
  },
};

/**
 * NSG rules for a subnet: its allows from priority 100, then deny all inbound at 4096 (deny by default); with an
 * outbound allow-list, those allows from priority 100 and a deny to the Internet at 4096. `location` fills regional
 * service tags (`{region}`).
 */
export function nsgRules(spec: SubnetSpec, location = "westeurope"): types.input.network.SecurityRuleArgs[] {
  const allows = spec.allowInbound.map((rule, i) => ({
    name: rule.name,
    priority: 100 + i * 10,
    direction: network.SecurityRuleDirection.Inbound,
    access: network.SecurityRuleAccess.Allow,
    protocol: rule.protocol,
    sourceAddressPrefix: rule.source,
    sourcePortRange: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: rule.ports,
  }));
  return [
    ...allows,
    {
      name: "deny-all-inbound",
      priority: 4096,
      direction: network.SecurityRuleDirection.Inbound,
      access: network.SecurityRuleAccess.Deny,
      protocol: network.SecurityRuleProtocol.Asterisk,
      sourceAddressPrefix: "*",
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: "*",
    },
    ...outboundRules(spec, location),
  ];
}

/** The outbound allow-list of a subnet's NSG and the final deny to the Internet (none without a list). */
function outboundRules(spec: SubnetSpec, location: string): types.input.network.SecurityRuleArgs[] {
  if (!spec.allowOutbound) return [];
  return [
    ...spec.allowOutbound.map((rule, i) => ({
      name: rule.name,
      priority: 100 + i * 10,
      direction: network.SecurityRuleDirection.Outbound,
      access: network.SecurityRuleAccess.Allow,
      protocol: rule.protocol,
      sourceAddressPrefix: "VirtualNetwork",
      sourcePortRange: "*",
      destinationAddressPrefix: regionalTag(rule.destination, location),
      destinationPortRanges: [...rule.ports],
    })),
    {
      name: "deny-internet-outbound",
      priority: 4096,
      direction: network.SecurityRuleDirection.Outbound,
      access: network.SecurityRuleAccess.Deny,
      protocol: network.SecurityRuleProtocol.Asterisk,
      sourceAddressPrefix: "*",
      sourcePortRange: "*",
      destinationAddressPrefix: "Internet",
      destinationPortRange: "*",
    },
  ];
}

/**
 * Service tags every workload subnet may reach through the firewall (HTTPS): Entra ID tokens, Resource Manager, Azure
 * Monitor. What only the ML compute subnet needs (AzureMachineLearning, MicrosoftContainerRegistry, Front Door) is in
 * its own rule collection (`mlComputeEgress`), sourced from that subnet alone, so the function apps cannot reach it.
 */
export const EGRESS_SERVICE_TAGS = ["AzureActiveDirectory", "AzureResourceManager", "AzureMonitor"] as const;

export interface PlatformArgs {
  /** Names, tags and the validated stack config. */
  readonly context: StackContext;
}

export interface ResourceGroupRef {
  readonly name: pulumi.Output<string>;
  readonly id: pulumi.Output<string>;
  /** The group's Azure name, known before it exists (for ids built ahead of their resource). */
  readonly azureName: string;
}

export class Platform extends pulumi.ComponentResource {
  /** Resource groups by lifecycle role. */
  public readonly resourceGroups: Readonly<Record<ResourceGroupRole, ResourceGroupRef>>;
  public readonly vnetId: pulumi.Output<string>;
  public readonly vnetName: pulumi.Output<string>;
  /** Subnet ids by role (the firewall subnet only when the firewall is enabled). */
  public readonly subnetIds: Readonly<Partial<Record<SubnetRole, pulumi.Output<string>>>>;
  /** Private DNS zone ids by zone name. */
  public readonly privateDnsZoneIds: Readonly<Record<PrivateDnsZoneName, pulumi.Output<string>>>;
  /** Where tiers put their private endpoints. */
  public readonly privateEndpointTarget: PrivateEndpointTarget;
  /** Where tiers send their diagnostics. */
  public readonly diagnostics: DiagnosticSettingsTarget;
  /** The main vault (private endpoint only): every customer-managed key but Cosmos DB's. */
  public readonly keyVault: PlatformVault["ref"];
  /** The vault of Cosmos DB's customer-managed key (trusted Azure services admitted; see components/keyVaults.ts). */
  public readonly cosmosKeyVault: PlatformVault["ref"];
  public readonly logAnalytics: {
    readonly id: pulumi.Output<string>;
    readonly customerId: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
  };
  /**
   * The Always Encrypted column master key of the OLTP database: ARM id (scope for key-level role assignments) and
   * the versioned key URI the T-SQL column master key metadata uses.
   */
  public readonly alwaysEncryptedKey: {
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly keyUriWithVersion: pulumi.Output<string>;
  };
  /** A customer-managed key and its identity per service. */
  public readonly customerManagedKeys: Readonly<Record<CmkService, CustomerManagedKey>>;
  /** Entra group object ids by role (created, or existing ones from config). */
  public readonly groupObjectIds: Readonly<Record<GroupRole, pulumi.Output<string>>>;
  /** Entra group display names by role (read from Entra for existing groups). */
  public readonly groupDisplayNames: Readonly<Record<GroupRole, pulumi.Output<string>>>;
  /** The action group of each alert priority (P1/P2/P3): every tier routes its alerts by severity through it. */
  public readonly alertRouting: AlertRouting;
  /**
   * The Azure Monitor Private Link Scope (PrivateOnly): every Application Insights component a tier creates must be
   * added to it (`linkToMonitorScope`, serialised), or clients in the VNet cannot reach the component.
   */
  public readonly monitorPrivateLinkScope: {
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly resourceGroupName: pulumi.Output<string>;
  };
  /** The DDoS Network Protection plan on the VNet (when enabled): public IPs in the VNet inherit it. */
  public readonly ddosProtectionPlanId?: pulumi.Output<string>;
  /** Random suffix for globally unique names, stable for the life of the stack. */
  public readonly suffix: pulumi.Output<string>;
  public readonly tenantId: pulumi.Output<string>;
  private readonly context: StackContext;
  /** The last resource linked to the private link scope: links are added one at a time (Azure serialises them). */
  private lastScopeLink?: pulumi.Resource;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("payments:platform:Platform", name, {}, opts);
    const { context } = args;
    this.context = context;
    const cfg = context.config;
    const protect = cfg.protectStatefulResources;
    const location = cfg.location;
    const tags = context.tags({ dataClassification: "confidential", pciScope: "connected", component: "platform" });
    const securityTags = context.tags({ dataClassification: "restricted", pciScope: "cde", component: "platform" });

    this.suffix = new random.RandomString(
      `${name}-suffix`,
      { length: 4, special: false, upper: false, numeric: true, lower: true },
      { parent: this },
    ).result;
    this.tenantId = deployer().tenantId;

    // Resource groups by lifecycle.
    const groups = {} as Record<ResourceGroupRole, ResourceGroupRef>;
    for (const role of RESOURCE_GROUP_ROLES) {
      const azureName = context.name("resourceGroup", role);
      const rg = new resources.ResourceGroup(
        `${name}-rg-${role}`,
        { resourceGroupName: azureName, location, tags },
        { parent: this },
      );
      groups[role] = { name: rg.name, id: rg.id, azureName };
    }
    this.resourceGroups = groups;

    // Log Analytics: the central workspace every diagnostic setting targets.
    const workspace = new operationalinsights.Workspace(
      `${name}-log`,
      {
        workspaceName: context.name("logAnalytics"),
        resourceGroupName: groups.monitoring.name,
        location,
        sku: { name: operationalinsights.WorkspaceSkuNameEnum.PerGB2018 },
        retentionInDays: cfg.logRetentionDays,
        features: { disableLocalAuth: true, enableLogAccessUsingOnlyResourcePermissions: true },
        // Resource logs arrive through diagnostic settings on the Azure backbone (not gated by these flags), and
        // log alert rules run inside Azure Monitor. People and agents reach the workspace only through the Azure
        // Monitor Private Link Scope below (private endpoint in the VNet), with Entra auth (local auth is off).
        publicNetworkAccessForIngestion: operationalinsights.PublicNetworkAccessType.Disabled,
        publicNetworkAccessForQuery: operationalinsights.PublicNetworkAccessType.Disabled,
        tags: securityTags,
      },
      { parent: this, protect },
    );
    managementLock(`${name}-log`, workspace.id, lockFor(protect, "the audit log workspace"), this, workspace);
    this.logAnalytics = { id: workspace.id, customerId: workspace.customerId, name: workspace.name };
    this.diagnostics = { workspaceId: workspace.id };

    // Network: NSG per subnet (deny by default), subnets inline in the VNet (never also as Subnet resources).
    // A DDoS Network Protection plan on the VNet, unless the stack protects each public IP instead (ddosProtectionMode).
    const withPlan = cfg.enableDdosProtection && cfg.ddosProtectionMode === "network";
    const ddosPlan = withPlan
      ? new network.DdosProtectionPlan(
          `${name}-ddos`,
          { ddosProtectionPlanName: context.name("ddosPlan"), resourceGroupName: groups.network.name, location, tags },
          { parent: this },
        )
      : undefined;
    this.ddosProtectionPlanId = ddosPlan?.id;
    const roles = (Object.keys(SUBNETS) as SubnetRole[]).filter((r) => r !== "firewall" || cfg.enableFirewall);
    const nsgs = {} as Record<SubnetRole, network.NetworkSecurityGroup>;
    for (const role of roles) {
      if (!SUBNETS[role].nsg) continue;
      nsgs[role] = new network.NetworkSecurityGroup(
        `${name}-nsg-${role}`,
        {
          networkSecurityGroupName: context.name("networkSecurityGroup", SUBNETS[role].nsgQualifier),
          resourceGroupName: groups.network.name,
          location,
          securityRules: nsgRules(SUBNETS[role], location),
          tags,
        },
        { parent: this },
      );
      // NSG logs only go to the AzureDiagnostics table, and NSGs have no metrics.
      diagnosticSetting(
        `${name}-nsg-${role}`,
        nsgs[role].id,
        { ...this.diagnostics, metrics: false, destination: "AzureDiagnostics" },
        this,
      );
    }
    // With the firewall on, workload subnets send internet-bound traffic to it. Its private IP is the first usable
    // address of AzureFirewallSubnet (Azure assigns it), so the route does not wait for the firewall itself.
    const firewallIp = cfg.enableFirewall ? nthAddress(parseCidr(cfg.subnets.firewall) as Cidr, 4) : undefined;
    const egressRoutes = firewallIp
      ? new network.RouteTable(
          `${name}-rt-egress`,
          {
            routeTableName: context.name("routeTable", "egress"),
            resourceGroupName: groups.network.name,
            location,
            disableBgpRoutePropagation: true,
            routes: [
              {
                name: "default-to-firewall",
                addressPrefix: "0.0.0.0/0",
                nextHopType: network.RouteNextHopType.VirtualAppliance,
                nextHopIpAddress: firewallIp,
              },
            ],
            tags,
          },
          { parent: this },
        )
      : undefined;
    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        virtualNetworkName: context.name("virtualNetwork"),
        resourceGroupName: groups.network.name,
        location,
        addressSpace: { addressPrefixes: [cfg.vnetAddressSpace] },
        ...(ddosPlan ? { ddosProtectionPlan: { id: ddosPlan.id }, enableDdosProtection: true } : {}),
        subnets: roles.map((role) => ({
          name: SUBNETS[role].name,
          addressPrefix: cfg.subnets[role],
          defaultOutboundAccess: false,
          ...(nsgs[role] ? { networkSecurityGroup: { id: nsgs[role].id } } : {}),
          ...(role === "privateEndpoints"
            ? { privateEndpointNetworkPolicies: network.VirtualNetworkPrivateEndpointNetworkPolicies.Enabled }
            : {}),
          ...(SUBNETS[role].delegation
            ? { delegations: [{ name: "delegation", serviceName: SUBNETS[role].delegation }] }
            : {}),
          ...(egressRoutes && SUBNETS[role].egressViaFirewall ? { routeTable: { id: egressRoutes.id } } : {}),
        })),
        tags,
      },
      { parent: this },
    );
    this.vnetId = vnet.id;
    this.vnetName = vnet.name;
    this.subnetIds = Object.fromEntries(
      roles.map((role) => [role, pulumi.interpolate`${vnet.id}/subnets/${SUBNETS[role].name}`]),
    ) as Partial<Record<SubnetRole, pulumi.Output<string>>>;

    // Private DNS: one zone per service, linked to the VNet (no auto-registration).
    const zoneIds = {} as Record<PrivateDnsZoneName, pulumi.Output<string>>;
    for (const zone of PRIVATE_DNS_ZONES) {
      const key = zone.replace(/^privatelink\./, "").replace(/\./g, "-");
      const pz = new privatedns.PrivateZone(
        `${name}-dns-${key}`,
        { privateZoneName: zone, resourceGroupName: groups.network.name, location: "global", tags },
        { parent: this },
      );
      new privatedns.VirtualNetworkLink(
        `${name}-dns-${key}-link`,
        {
          virtualNetworkLinkName: context.name("privateDnsZoneLink"),
          privateZoneName: pz.name,
          resourceGroupName: groups.network.name,
          location: "global",
          virtualNetwork: { id: vnet.id },
          registrationEnabled: false,
          tags,
        },
        { parent: this },
      );
      zoneIds[zone] = pz.id;
    }
    this.privateDnsZoneIds = zoneIds;
    const peSubnet = this.subnetIds.privateEndpoints as pulumi.Output<string>;
    this.privateEndpointTarget = {
      subnetId: peSubnet,
      privateDnsZoneIds: zoneIds,
      resourceGroupName: groups.network.name,
      location,
    };

    // Azure Monitor Private Link Scope: private-only query and ingestion for the workspace, via the VNet.
    const ampls = new monitor.PrivateLinkScope(
      `${name}-ampls`,
      {
        scopeName: context.name("monitorPrivateLinkScope"),
        resourceGroupName: groups.monitoring.name,
        location: "global",
        accessModeSettings: {
          ingestionAccessMode: monitor.AccessMode.PrivateOnly,
          queryAccessMode: monitor.AccessMode.PrivateOnly,
        },
        tags,
      },
      { parent: this },
    );
    this.monitorPrivateLinkScope = { id: ampls.id, name: ampls.name, resourceGroupName: groups.monitoring.name };
    this.lastScopeLink = new monitor.PrivateLinkScopedResource(
      `${name}-ampls-log`,
      {
        name: "log-analytics",
        scopeName: ampls.name,
        resourceGroupName: groups.monitoring.name,
        linkedResourceId: workspace.id,
        kind: monitor.ScopedResourceKind.Resource,
      },
      { parent: this },
    );
    privateEndpoint(
      `${name}-ampls`,
      { service: "azureMonitor", targetId: ampls.id, targetName: ampls.name, target: this.privateEndpointTarget, tags },
      this,
    );

    // Azure Firewall (egress control) behind a flag.
    if (cfg.enableFirewall) {
      const pip = new network.PublicIPAddress(
        `${name}-afw-pip`,
        {
          publicIpAddressName: context.name("publicIp", "afw"),
          resourceGroupName: groups.network.name,
          location,
          sku: { name: network.PublicIPAddressSkuName.Standard, tier: network.PublicIPAddressSkuTier.Regional },
          publicIPAllocationMethod: network.IPAllocationMethod.Static,
          zones: ["1", "2", "3"],
          // DDoS IP Protection on this IP when the stack protects per IP (ddosProtectionMode: ip); otherwise the Azure
          // default (VirtualNetworkInherited) covers it through the VNet's plan.
          ...(publicIpDdosMode(cfg) === network.DdosSettingsProtectionMode.Enabled
            ? { ddosSettings: { protectionMode: network.DdosSettingsProtectionMode.Enabled } }
            : {}),
          tags,
        },
        { parent: this },
      );
      const policy = new network.FirewallPolicy(
        `${name}-afwp`,
        {
          firewallPolicyName: context.name("firewallPolicy"),
          resourceGroupName: groups.network.name,
          location,
          sku: { tier: network.FirewallPolicySkuTier.Premium },
          threatIntelMode: network.AzureFirewallThreatIntelMode.Deny,
          intrusionDetection: { mode: network.FirewallPolicyIntrusionDetectionStateType.Deny },
          tags,
        },
        { parent: this },
      );
      // Egress allow-list (everything else is denied). The workload subnets reach Entra ID, Azure Resource Manager
      // and Azure Monitor over HTTPS. HTTPS to a few tags is NOT what Azure ML compute needs: VNet-injected compute
      // (snet-ml-compute) gets exactly Microsoft's required list in its own collection below (regional
      // BatchNodeManagement, Storage and Key Vault tags, AzureMachineLearning on 443/8787/18881 and UDP 5831, ...;
      // lib/mlEgress.ts). The platform's ML workspace itself uses a managed network, whose compute egress is
      // Microsoft-managed and never crosses this firewall.
      const egressRules = new network.FirewallPolicyRuleCollectionGroup(
        `${name}-afwp-egress`,
        {
          ruleCollectionGroupName: "platform-egress",
          firewallPolicyName: policy.name,
          resourceGroupName: groups.network.name,
          priority: 200,
          ruleCollections: [
            {
              ruleCollectionType: "FirewallPolicyFilterRuleCollection",
              name: "allow-azure-control-plane",
              priority: 200,
              action: { type: network.FirewallPolicyFilterRuleCollectionActionType.Allow },
              rules: [
                {
                  ruleType: "NetworkRule",
                  name: "azure-service-tags-https",
                  ipProtocols: [network.FirewallPolicyRuleNetworkProtocol.TCP],
                  sourceAddresses: roles.filter((r) => SUBNETS[r].egressViaFirewall).map((r) => cfg.subnets[r]),
                  destinationAddresses: [...EGRESS_SERVICE_TAGS],
                  destinationPorts: ["443"],
                },
              ],
            },
            {
              ruleCollectionType: "FirewallPolicyFilterRuleCollection",
              name: "allow-azure-ml-compute",
              priority: 300,
              action: { type: network.FirewallPolicyFilterRuleCollectionActionType.Allow },
              rules: mlComputeEgress(location).map((rule) => ({
                ruleType: "NetworkRule",
                name: `ml-${rule.name}`,
                ipProtocols: [
                  rule.protocol === "UDP"
                    ? network.FirewallPolicyRuleNetworkProtocol.UDP
                    : network.FirewallPolicyRuleNetworkProtocol.TCP,
                ],
                sourceAddresses: [cfg.subnets.mlCompute],
                destinationAddresses: [rule.destination],
                destinationPorts: [...rule.ports],
              })),
            },
          ],
        },
        { parent: this },
      );
      const firewall = new network.AzureFirewall(
        `${name}-afw`,
        {
          azureFirewallName: context.name("firewall"),
          resourceGroupName: groups.network.name,
          location,
          sku: { name: network.AzureFirewallSkuName.AZFW_VNet, tier: network.AzureFirewallSkuTier.Premium },
          firewallPolicy: { id: policy.id },
          zones: ["1", "2", "3"],
          ipConfigurations: [
            { name: "ipconfig", subnet: { id: this.subnetIds.firewall }, publicIPAddress: { id: pip.id } },
          ],
          tags,
        },
        // Azure Firewall does not support parallel updates of a policy and the firewall using it: a rule collection
        // group PUT racing the firewall PUT that attaches the policy fails ("another operation in progress"). The
        // firewall waits for the rules (so it starts with the egress allow-list in force); a further rule
        // collection group must likewise wait for the previous one.
        { parent: this, dependsOn: [egressRules] },
      );
      diagnosticSetting(`${name}-afw`, firewall.id, this.diagnostics, this);
    }

    // Entra ID groups: created here unless config names existing ones.
    const existing: Readonly<Record<GroupRole, string | undefined>> = {
      platformAdmins: cfg.platformAdminsGroupId,
      dataEngineers: cfg.dataEngineersGroupId,
      analysts: cfg.analystsGroupId,
      fraudMl: cfg.fraudMlGroupId,
    };
    const groupIds = {} as Record<GroupRole, pulumi.Output<string>>;
    const groupNames = {} as Record<GroupRole, pulumi.Output<string>>;
    for (const role of GROUP_ROLES) {
      const given = existing[role];
      if (given) {
        groupIds[role] = pulumi.output(given);
        groupNames[role] = azuread.getGroupOutput({ objectId: given }, { parent: this }).displayName;
        continue;
      }
      const group = new azuread.Group(
        `${name}-grp-${role}`,
        {
          displayName: `grp-${cfg.workload}-${cfg.environment}-${kebabCase(role)}`,
          description: GROUP_DESCRIPTIONS[role],
          securityEnabled: true,
          mailEnabled: false,
          preventDuplicateNames: true,
        },
        { parent: this },
      );
      groupIds[role] = group.objectId;
      groupNames[role] = group.displayName;
    }
    this.groupObjectIds = groupIds;
    this.groupDisplayNames = groupNames;
    // Key vaults (components/keyVaults.ts): the main vault is reachable only through its private endpoint; Cosmos
    // DB's key has a vault of its own whose firewall also admits trusted Azure services, because Cosmos DB cannot
    // use a vault that only private endpoints reach. Every other key stays in the private vault.
    const vaultArgs = {
      resourceGroupName: groups.security.name,
      location,
      tenantId: this.tenantId,
      premium: cfg.keyVaultSku === "premium",
      protect,
      privateEndpoints: this.privateEndpointTarget,
      diagnostics: this.diagnostics,
      adminGroupId: groupIds.platformAdmins,
      tags: securityTags,
    };
    const mainVault = platformVault(
      `${name}-kv`,
      {
        ...vaultArgs,
        vaultName: context.globalName("keyVault", this.suffix),
        network: "privateEndpointOnly",
        purpose: "the key vault holding the customer-managed keys",
      },
      this,
    );
    const cosmosVault = platformVault(
      `${name}-kv-cosmos`,
      {
        ...vaultArgs,
        vaultName: context.globalName("cosmosKeyVault", this.suffix),
        network: "trustedServices",
        purpose: "the key vault holding the keys Cosmos DB uses (NoSQL tier, Azure ML metadata)",
      },
      this,
    );
    this.keyVault = mainVault.ref;
    this.cosmosKeyVault = cosmosVault.ref;
    roleAssignment(
      `${name}-log`,
      workspace.id,
      {
        key: "data-engineers-log-reader",
        principalId: groupIds.dataEngineers,
        principalType: "Group",
        roleDefinitionId: BuiltInRoles.LogAnalyticsReader,
        description: "Data engineers read platform logs.",
      },
      this,
    );

    // Customer-managed keys: one key + identity per service.
    const keys = {} as Record<CmkService, CustomerManagedKey>;
    for (const service of CMK_SERVICES) {
      const kebab = kebabCase(service);
      keys[service] = customerManagedKey(
        `${name}-cmk-${kebab}`,
        {
          // Cosmos DB reads its key over the vault's firewall (trusted services), and so does Azure ML's: without
          // service-side encryption, the workspace metadata lives in a Microsoft-managed Cosmos DB account encrypted
          // with cmk-ml (docs/ml-operations.md).
          vault: TRUSTED_SERVICES_KEYS.includes(service) ? this.cosmosKeyVault : this.keyVault,
          keyName: `cmk-${kebab}`,
          identityName: context.name("userAssignedIdentity", `cmk-${kebab}`),
          resourceGroupName: groups.security.name,
          location,
          policy: {
            hsm: cfg.hsmKeys,
            keySize: cfg.cmkKeySize,
            rotationDays: cfg.keyRotationDays,
            expiryDays: cfg.keyExpiryDays,
          },
          tags: securityTags,
        },
        this,
      );
    }
    this.customerManagedKeys = keys;

    // Always Encrypted column master key (OLTP): in the private vault, RSA-HSM in prod. SQL never sees it: clients
    // (the apps, the ETL identity, the key provisioning script) wrap and unwrap the column encryption keys with it
    // and sign/verify the key metadata. The T-SQL `CREATE COLUMN MASTER KEY` names its versioned URI (stack output
    // `alwaysEncryptedColumnMasterKeyId`). No service identity is granted here: readers get Key Vault Crypto User on
    // this key (get, unwrapKey, verify), provisioners Key Vault Crypto Officer (docs/operations.md).
    const aeKey = vaultKey(
      `${name}-ae-cmk`,
      {
        vaultName: this.keyVault.name,
        keyName: "ae-cmk-oltp",
        resourceGroupName: groups.security.name,
        policy: {
          hsm: cfg.hsmKeys,
          keySize: cfg.cmkKeySize,
          rotationDays: cfg.keyRotationDays,
          expiryDays: cfg.keyExpiryDays,
        },
        keyOps: [
          keyvault.JsonWebKeyOperation.WrapKey,
          keyvault.JsonWebKeyOperation.UnwrapKey,
          keyvault.JsonWebKeyOperation.Sign,
          keyvault.JsonWebKeyOperation.Verify,
        ],
        tags: securityTags,
      },
      this,
    );
    this.alwaysEncryptedKey = { id: aeKey.id, name: aeKey.name, keyUriWithVersion: aeKey.keyUriWithVersion };

    // Alerts: one action group per priority (P1 paged in 15 min, P2 1 h, P3 24 h; components/operations/routing.ts).
    // Built here, before any tier, so every tier's alerts route by severity to the same groups.
    this.alertRouting = severityActionGroups(
      name,
      {
        context,
        resourceGroupName: groups.monitoring.name,
        webhookUrl: cfg.secrets.alertWebhookUrl,
        tags,
      },
      this,
    );

    // Key expiry reaches on-call: each vault's near-expiry and expired events become Azure Monitor alerts.
    for (const [suffix, vault] of [
      ["kv", mainVault],
      ["kv-cosmos", cosmosVault],
    ] as const) {
      keyExpiryAlerts(
        `${name}-${suffix}`,
        {
          systemTopicName: context.name("eventGridSystemTopic", suffix),
          vaultId: vault.vault.id,
          location,
          resourceGroupName: groups.security.name,
          routing: this.alertRouting,
          tags: securityTags,
        },
        this,
      );
    }

    this.registerOutputs({
      vnetId: this.vnetId,
      keyVaultUri: this.keyVault.uri,
      logAnalyticsWorkspaceId: this.logAnalytics.id,
      actionGroupIds: this.alertRouting.actionGroupIds,
    });
  }

  /**
   * Links a monitoring resource (a workspace-based Application Insights component) to the platform's Azure Monitor
   * Private Link Scope, so its ingestion and queries go through the scope's private endpoint. Links are chained
   * (each waits for the previous one): concurrent updates of one scope conflict. Creates `${name}-ampls-link`, a
   * child of `parent`.
   */
  linkToMonitorScope(
    name: string,
    linkedResourceId: pulumi.Input<string>,
    parent: pulumi.Resource,
  ): monitor.PrivateLinkScopedResource {
    const link = new monitor.PrivateLinkScopedResource(
      `${name}-ampls-link`,
      {
        name: name.slice(0, 64),
        scopeName: this.monitorPrivateLinkScope.name,
        resourceGroupName: this.monitorPrivateLinkScope.resourceGroupName,
        linkedResourceId,
        kind: monitor.ScopedResourceKind.Resource,
      },
      { parent, dependsOn: this.lastScopeLink ? [this.lastScopeLink] : [] },
    );
    this.lastScopeLink = link;
    return link;
  }

  /**
   * What a data tier receives from the platform (the shared interfaces, filled in): its resource group, the
   * private endpoint subnet and DNS zones, the central workspace, its customer-managed key, names and protection.
   */
  dataServiceArgs(service: CmkService, group: ResourceGroupRole = "data"): DataServiceArgs {
    return {
      context: this.context,
      resourceGroupName: this.resourceGroups[group].name,
      suffix: this.suffix,
      privateEndpoints: this.privateEndpointTarget,
      diagnosticSettings: this.diagnostics,
      customerManagedKey: this.customerManagedKeys[service],
      protect: this.context.config.protectStatefulResources,
      // Data engineers see every data service in the portal and its metrics (data access is granted separately).
      roleAssignments: [
        {
          key: "data-engineers-reader",
          principalId: this.groupObjectIds.dataEngineers,
          principalType: "Group",
          roleDefinitionId: BuiltInRoles.Reader,
          description: "Data engineers read the service's configuration and metrics.",
        },
      ],
    };
  }
}
