/**
 * Platform base: the resource groups, network, private DNS, Key Vault with the customer-managed keys and their
 * identities, Log Analytics, Entra ID groups and the alert action groups (one per priority) that every other tier
 * builds on. One file per concern in this folder: network.ts (subnets, NSGs, routes, VNet), privateDns.ts (the zones,
 * or the hub's, and their links), firewall.ts,
 * monitoring.ts (workspace, private link scope, the pipeline logs role), flowLogs.ts (the VNet's flow logs),
 * identity.ts (Entra groups), keys.ts and keyVaults.ts.
 * Tiers receive the typed outputs below; they never rebuild ids or names from strings.
 */
import * as monitor from "@pulumi/azure-native/monitor";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { centralPrivateDns, type SubnetRole } from "../../lib/config";
import type { PrivateDnsZoneName } from "../../lib/privateLink";
import { severityActionGroups, type AlertRouting } from "../operations/routing";
import {
  BuiltInRoles,
  deployer,
  diagnosticSetting,
  type DataServiceArgs,
  type DiagnosticSettingsTarget,
  type IntegrationSubnet,
  type PrivateEndpointTarget,
  type StackContext,
} from "../shared";
import { Serial } from "../shared/serial";
import { egressFirewall } from "./firewall";
import { vnetFlowLogs } from "./flowLogs";
import { entraGroups, type GroupRole } from "./identity";
import {
  alwaysEncryptedColumnMasterKey,
  MANUAL_ROTATION_KEYS,
  platformVaults,
  serviceKeys,
  type CmkService,
  type ServiceKeys,
} from "./keys";
import { keyExpiryAlerts, type PlatformVault } from "./keyVaults";
import { logWorkspace, monitorScope, pipelineLogsReader } from "./monitoring";
import { endpointGroupMembership, hubDnsLinkTarget, platformNetwork } from "./network";
import { hubZones, privateDnsZones } from "./privateDns";

export {
  EGRESS_SERVICE_TAGS,
  hubDnsLinkTarget,
  hubPeering,
  HUB_PEERING_NAME,
  nsgRules,
  SUBNETS,
  type SubnetSpec,
} from "./network";
export { GROUP_ROLES, type GroupRole } from "./identity";
export { PIPELINE_LOG_TABLES } from "./monitoring";
export {
  CMK_SERVICES,
  OWN_VAULT_KEYS,
  SYSTEM_IDENTITY_KEYS,
  TRUSTED_SERVICES_KEYS,
  type CmkService,
  type ServiceKeys,
} from "./keys";

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
  /**
   * The application security group the payment API's private endpoint joins: with merchant authentication, the
   * private endpoint subnet admits only the gateway and the deploy runners to it (network.ts paymentApiEndpointRules).
   */
  public readonly paymentApiEndpointAsgId: pulumi.Output<string>;
  /** The Flex Consumption integration subnet, which every tier's function apps join one at a time. */
  public readonly flexFunctionsSubnet: IntegrationSubnet;
  /**
   * Private DNS zone ids by zone name: the stack's own zones, or with `privateDns.mode: central` the hub's (every zone
   * but the Azure Monitor scope's own, lib/privateLink.ts CENTRAL_ZONES).
   */
  public readonly privateDnsZoneIds: Readonly<Partial<Record<PrivateDnsZoneName, pulumi.Input<string>>>>;
  /** Where tiers put their private endpoints. */
  public readonly privateEndpointTarget: PrivateEndpointTarget;
  /** Where tiers send their diagnostics. */
  public readonly diagnostics: DiagnosticSettingsTarget;
  /** The main vault (private endpoint only): every customer-managed key but Cosmos DB's, Event Hubs' and ML's. */
  public readonly keyVault: PlatformVault["ref"];
  /**
   * The main vault's private endpoint and DNS zone group: what a client in the VNet that reads the vault while it is
   * created (the Application Gateway's certificate) waits for. Its zone id waits for the zone's link to the VNet, in
   * the hub's zone too (`privateDns.mode: central`, privateDns.ts `hubZones`).
   */
  public readonly keyVaultReachable: readonly pulumi.Resource[];
  /**
   * The vault of Cosmos DB's and Event Hubs' customer-managed keys (trusted Azure services admitted; see
   * components/platform/keyVaults.ts).
   */
  public readonly cosmosKeyVault: PlatformVault["ref"];
  /** The vault of the ML workspace's customer-managed key (trusted Azure services admitted, a vault of its own). */
  public readonly mlKeyVault: PlatformVault["ref"];
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
  public readonly customerManagedKeys: ServiceKeys;
  /** Entra group object ids by role (created, or existing ones from config). */
  public readonly groupObjectIds: Readonly<Record<GroupRole, pulumi.Output<string>>>;
  /** Entra group display names by role (read from Entra for existing groups). */
  public readonly groupDisplayNames: Readonly<Record<GroupRole, pulumi.Output<string>>>;
  /** The action group of each alert priority (P1/P2/P3): every tier routes its alerts by severity through it. */
  public readonly alertRouting: AlertRouting;
  /**
   * The Azure Monitor Private Link Scope (PrivateOnly): every Application Insights component a tier creates must be
   * added to it (`linkToMonitorScope`, serialised), or clients in the VNet cannot reach the component. None with
   * `privateDns.mode: central`: the hub's scope serves the VNet (`monitorScopedResourceIds` lists what it must add).
   */
  public readonly monitorPrivateLinkScope?: {
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
  /** The scope's links, one at a time (creates and deletes): components/shared/serial.ts. */
  private scopeLinks?: Serial;
  /**
   * Every resource in the scope (the workspace, then each component `linkToMonitorScope` adds), for the hub's own
   * scope: a network resolves Azure Monitor to one scope, so operators in the hub query this stack's workspace and
   * components only once the hub's owner adds them there too (docs/operations.md, "Reaching the private endpoints").
   */
  public readonly monitorScopedResourceIds: pulumi.Input<string>[] = [];

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
    const workspace = logWorkspace(
      name,
      {
        context,
        resourceGroupName: groups.monitoring.name,
        protect,
        sentinel: context.config.operations.sentinel,
        tags: securityTags,
      },
      this,
    );
    this.logAnalytics = { id: workspace.id, customerId: workspace.customerId, name: workspace.name };
    this.diagnostics = { workspaceId: workspace.id };
    // Who queried the audit trail (LAQueryLogs, the workspace's "audit" group) is logged in the workspace itself:
    // PCI DSS 10.2.1.3, access to audit logs (azure-monitor/logs/query-audit).
    diagnosticSetting(`${name}-log`, workspace.id, { ...this.diagnostics, logCategoryGroups: ["audit"] }, this);

    // Network: NSG per subnet (deny by default), subnets inline in the VNet, the egress route table, the DDoS plan.
    // Subnet joins wait for the VNet's flow log, created below once the storage key exists.
    const [flowLogged, resolveFlowLogged] = pulumi.deferredOutput<string>();
    const net = platformNetwork(
      name,
      { context, resourceGroupName: groups.network.name, diagnostics: this.diagnostics, joinsAfter: flowLogged, tags },
      this,
    );
    this.ddosProtectionPlanId = net.ddosProtectionPlanId;
    this.vnetId = net.vnet.id;
    this.vnetName = net.vnet.name;
    this.subnetIds = net.subnetIds;
    this.paymentApiEndpointAsgId = net.paymentApiEndpointAsgId;

    // Private DNS: one zone per service, linked to the VNet (no auto-registration); or the hub's zones, which the VNet
    // resolves through the hub's DNS servers (network.ts sets them) across the peering (config `privateDns`).
    const central = centralPrivateDns(cfg.privateDns);
    const zoneIds = central
      ? hubZones(name, { context, central, vnetId: net.vnet.id, tags }, this)
      : privateDnsZones(
          name,
          {
            context,
            resourceGroupName: groups.network.name,
            vnetId: net.vnet.id,
            hubVnetId: hubDnsLinkTarget(cfg.hub),
            tags,
          },
          this,
        );
    this.privateDnsZoneIds = zoneIds;
    this.privateEndpointTarget = {
      subnetId: this.subnetIds.privateEndpoints as pulumi.Output<string>,
      privateDnsZoneIds: zoneIds,
      resourceGroupName: groups.network.name,
      location,
      // The endpoints whose services take more than the subnet's common ports join their group's ASG.
      applicationSecurityGroupIds: endpointGroupMembership(net.endpointPortGroupAsgIds),
    };

    // Azure Monitor Private Link Scope: private-only query and ingestion for the workspace, via the VNet. Not with the
    // hub's zones: the scope's endpoint would rewrite the hub's Azure Monitor records (monitor.azure.com, the
    // workspaces' oms/ods names, blob) for every network sharing them, for a scope that admits only this stack's
    // workspace ("setting up a private link on any of them would update the DNS and affect traffic across all
    // networks": azure-monitor/logs/private-link-design); the hub's own scope adds `monitorScopedResourceIds`.
    if (!central) {
      const ampls = monitorScope(
        name,
        {
          context,
          resourceGroupName: groups.monitoring.name,
          workspaceId: workspace.id,
          privateEndpoints: this.privateEndpointTarget,
          tags,
        },
        this,
      );
      this.monitorPrivateLinkScope = {
        id: ampls.scope.id,
        name: ampls.scope.name,
        resourceGroupName: groups.monitoring.name,
      };
      this.scopeLinks = new Serial([ampls.lastOperation]);
    }
    this.monitorScopedResourceIds.push(workspace.id);

    // Azure Firewall (egress control) behind a flag.
    const firewall = cfg.enableFirewall
      ? egressFirewall(
          name,
          {
            context,
            resourceGroupName: groups.network.name,
            firewallSubnetId: this.subnetIds.firewall as pulumi.Output<string>,
            roles: net.roles,
            diagnostics: this.diagnostics,
            tags,
          },
          this,
        )
      : undefined;
    // Function apps join the Flex subnet once its default route (0.0.0.0/0 to the firewall) leads somewhere: a host
    // that starts earlier cannot fetch its extension bundle, nor reach anything else outside the VNet.
    const flexJoins = new Serial(firewall ? [firewall] : []);
    this.flexFunctionsSubnet = {
      id: this.subnetIds.flexFunctions as pulumi.Output<string>,
      join: (create) => flexJoins.next(create),
    };

    // Entra ID groups: created here unless config names existing ones.
    const entra = entraGroups(name, { context }, this);
    this.groupObjectIds = entra.objectIds;
    this.groupDisplayNames = entra.displayNames;

    // Key vaults (keys.ts, keyVaults.ts): the main vault is reachable only through its private endpoint; Cosmos DB's
    // and Event Hubs' keys are in a vault whose firewall also admits trusted Azure services, the ML workspace's in a
    // vault of its own likewise. Every other key stays in the private vault.
    const keyArgs = { context, resourceGroupName: groups.security.name, tags: securityTags };
    const vaults = platformVaults(
      name,
      {
        ...keyArgs,
        tenantId: this.tenantId,
        suffix: this.suffix,
        privateEndpoints: this.privateEndpointTarget,
        diagnostics: this.diagnostics,
        adminGroupId: entra.objectIds.platformAdmins,
      },
      this,
    );
    this.keyVault = vaults.main.ref;
    this.cosmosKeyVault = vaults.cosmos.ref;
    this.mlKeyVault = vaults.ml.ref;
    // Data engineers read the pipelines' logs, not the audit trail (monitoring.ts pipelineLogsReader).
    pipelineLogsReader(
      name,
      { context, scopeId: groups.monitoring.id, workspaceId: workspace.id, principalId: entra.objectIds.dataEngineers },
      this,
    );

    // Customer-managed keys: one key per service, with its user-assigned identity where the service uses one.
    this.customerManagedKeys = serviceKeys(
      name,
      {
        ...keyArgs,
        vaults: {
          main: { ...this.keyVault, resource: vaults.main.vault, writes: vaults.main.writes },
          cosmos: { ...this.cosmosKeyVault, resource: vaults.cosmos.vault, writes: vaults.cosmos.writes },
          ml: { ...this.mlKeyVault, resource: vaults.ml.vault, writes: vaults.ml.writes },
        },
      },
      this,
    );

    // VNet flow logs (flowLogs.ts): the VNet's flows Azure records, to an account of their own and to the workspace, before
    // anything joins a subnet.
    const flowLogs = vnetFlowLogs(
      name,
      {
        context,
        resourceGroup: groups.network,
        suffix: this.suffix,
        vnetId: net.readyId,
        workspace: { id: workspace.id, customerId: workspace.customerId, location: workspace.location },
        storageKey: this.customerManagedKeys.storage,
        privateEndpoints: this.privateEndpointTarget,
        diagnostics: this.diagnostics,
        readerGroupId: entra.objectIds.platformAdmins,
        tags: securityTags,
      },
      this,
    );
    resolveFlowLogged(flowLogs.ready);

    // Always Encrypted column master key (OLTP): in the private vault (keys.ts).
    const aeKey = alwaysEncryptedColumnMasterKey(
      name,
      { ...keyArgs, vaultName: this.keyVault.name, vault: vaults.main.vault, writes: vaults.main.writes },
      this,
    );
    this.alwaysEncryptedKey = { id: aeKey.id, name: aeKey.name, keyUriWithVersion: aeKey.keyUriWithVersion };
    // Each vault's private endpoint last, after its keys: one write to a vault at a time (keyVaults.ts
    // `PlatformVault.writes`), and the keys, which grants and the RBAC wait follow, do not wait for an endpoint.
    for (const vault of [vaults.main, vaults.cosmos, vaults.ml]) vault.connectPrivateEndpoint();
    this.keyVaultReachable = vaults.main.privateEndpointResources();

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
    // (Topic qualifiers: `kv-ml` is the ML tier's own vault's topic, so the platform's ML key vault's is `kvm`.)
    for (const [suffix, vault, topic] of [
      ["kv", vaults.main, "kv"],
      ["kv-cosmos", vaults.cosmos, "kv-cosmos"],
      ["kv-ml", vaults.ml, "kvm"],
    ] as const) {
      keyExpiryAlerts(
        `${name}-${suffix}`,
        {
          systemTopicName: context.name("eventGridSystemTopic", topic),
          vaultId: vault.vault.id,
          location,
          resourceGroupName: groups.security.name,
          routing: this.alertRouting,
          diagnostics: this.diagnostics,
          // The private vault holds the keys whose services stay on a version (Synapse, Always Encrypted, Data Factory).
          manualRotationKeys: vault === vaults.main ? MANUAL_ROTATION_KEYS : undefined,
          writes: vault.writes,
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
   * (each waits for every earlier one, so removals go one at a time too): concurrent updates of one scope conflict.
   * Creates `${name}-ampls-link`, a child of `parent`. With `privateDns.mode: central` there is no scope of the
   * stack's: the id is only listed in `monitorScopedResourceIds`, for the hub's scope, and nothing is created.
   */
  linkToMonitorScope(
    name: string,
    linkedResourceId: pulumi.Input<string>,
    parent: pulumi.Resource,
  ): monitor.PrivateLinkScopedResource | undefined {
    this.monitorScopedResourceIds.push(linkedResourceId);
    const scope = this.monitorPrivateLinkScope;
    if (scope === undefined) return undefined;
    const chain = (this.scopeLinks ??= new Serial());
    return chain.next(
      (dependsOn) =>
        new monitor.PrivateLinkScopedResource(
          `${name}-ampls-link`,
          {
            name: name.slice(0, 64),
            scopeName: scope.name,
            resourceGroupName: scope.resourceGroupName,
            linkedResourceId,
            kind: monitor.ScopedResourceKind.Resource,
          },
          { parent, dependsOn },
        ),
    );
  }

  /**
   * What a data tier receives from the platform (the shared interfaces, filled in): its resource group, the
   * private endpoint subnet and DNS zones, the central workspace, its customer-managed key, names and protection.
   */
  dataServiceArgs<S extends CmkService>(
    service: S,
    group: ResourceGroupRole = "data",
  ): DataServiceArgs<ServiceKeys[S]> {
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
