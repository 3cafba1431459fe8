/**
 * Function app hosting, written once for every tier that runs Azure Functions (ingestion's payment API and fraud
 * scorer, streaming's change-feed relay): a Flex Consumption plan and app, its private host storage, a
 * workspace-based Application Insights component linked to the Azure Monitor Private Link Scope (the app's own
 * telemetry: no diagnostic setting on a Flex app, see below), a private endpoint, the host storage's diagnostics, and the
 * hardening the policy pack checks (HTTPS only, TLS 1.2, FTP and basic-auth publishing off,
 * remote debugging off, no CORS, no public network access, VNet-integrated outbound traffic).
 *
 * Why Flex Consumption (FC1) rather than Elastic Premium:
 * - Every connection is identity-based. Flex deploys from a blob container read with the app's user-assigned
 *   identity and has no Azure Files content share; Elastic Premium's content share needs
 *   WEBSITE_CONTENTAZUREFILECONNECTIONSTRING, an account-key connection string, which a storage account with
 *   `allowSharedKeyAccess: false` cannot serve.
 * - Always-ready instances remove cold starts on the hot path while the rest scales per function (to 1000
 *   instances), billed per execution instead of per pre-warmed EP instance.
 * - VNet integration (subnet delegated to Microsoft.App/environments) and inbound private endpoints are supported.
 * Limits we accept (learn.microsoft.com/azure/azure-functions/flex-consumption-plan#considerations): Linux only, no
 * deployment slots (blue/green is a second app behind the gateway), no EasyAuth (callers are authenticated by the
 * gateway and the code), CORS unsupported (none is set), regional availability (`az functionapp
 * list-flexconsumption-locations`; West and North Europe offer it).
 *
 * Host storage (AzureWebJobsStorage) uses identity-based connection settings
 * (learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity): blob
 * and table service URIs with `credential = managedidentity` and the identity's client id. The identity gets Storage
 * Blob Data Owner ("covers the basic needs of Functions host storage": leases, timer locks, Event Hubs checkpoints, the
 * deployment package) and Storage Table Data Contributor (the host's diagnostic events), on this account only. No
 * queue role, queue endpoint or queue URI: only the blob trigger and Durable Functions use the host's queues
 * (includes/functions-azurewebjobsstorage-permissions.md), and these apps use HTTP, SQL, Cosmos DB, Event Hubs and
 * timer triggers (their leases live in SQL's `az_func` schema and the Cosmos DB `leases` container). Microsoft's
 * Flex Consumption quickstarts (Azure-Samples functions-quickstart-*-azd) likewise enable the blob service only.
 */
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import type * as monitor from "@pulumi/azure-native/monitor";
import * as storage from "@pulumi/azure-native/storage";
import * as web from "@pulumi/azure-native/web";
import * as pulumi from "@pulumi/pulumi";
import type { PrivateLinkService } from "../../lib/privateLink";
import type { StackContext } from "./context";
import { storageServiceDiagnostics } from "./diagnostics";
import type {
  CustomerManagedKey,
  DiagnosticSettingsTarget,
  ManagedIdentity,
  PrivateEndpointTarget,
  Tags,
} from "./interfaces";
import { privateEndpoint, type PrivateEndpointResources } from "./privateEndpoint";
import { Serial } from "./serial";
import { lockFor, managementLock } from "./protection";
import { BuiltInRoles, roleAssignment } from "./rbac";
import { hardenedStorageAccount } from "./storage";

/** Storage data-plane roles the Functions host needs on its own account (identity-based host storage). */
export const HOST_STORAGE_ROLES = {
  "blob-data-owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  "table-data-contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
} as const;

/** The storage services the host uses, each with a private endpoint (no queue: no blob trigger, no Durable). */
export const HOST_STORAGE_SERVICES = ["blob", "table"] as const;
const STORAGE_PRIVATE_LINK: Readonly<Record<(typeof HOST_STORAGE_SERVICES)[number], PrivateLinkService>> = {
  blob: "storageBlob",
  table: "storageTable",
};

/** Blob container the Flex deployment packages are uploaded to (and read from, with the app's identity). */
export const DEPLOYMENT_CONTAINER = "app-package";

/**
 * App settings Flex Consumption rejects or ignores (moved into `functionAppConfig`, or meaningless without a
 * content share): `functions-app-settings#flex-consumption-plan-deprecations`.
 */
export const FLEX_DEPRECATED_SETTINGS = [
  "FUNCTIONS_EXTENSION_VERSION",
  "FUNCTIONS_WORKER_RUNTIME",
  "FUNCTIONS_WORKER_RUNTIME_VERSION",
  "FUNCTIONS_MAX_HTTP_CONCURRENCY",
  "FUNCTIONS_WORKER_PROCESS_COUNT",
  "SCALE_CONTROLLER_LOGGING_ENABLED",
  "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
  "WEBSITE_CONTENTOVERVNET",
  "WEBSITE_CONTENTSHARE",
  "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
  "WEBSITE_NODE_DEFAULT_VERSION",
  "WEBSITE_RUN_FROM_PACKAGE",
  "WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
  "WEBSITE_VNET_ROUTE_ALL",
  "AzureWebJobsStorage",
] as const;

/**
 * Site config properties the azure-native SDK adds to every `siteConfig` as defaults (`siteConfigArgsProvideDefaults`:
 * `netFrameworkVersion: "v4.6"`, `localMySqlEnabled: false`) that a Flex Consumption app does not set. West Europe's
 * Flex stamps reject `netFrameworkVersion` with ARM error 51021 ("The following site configuration property
 * (Site.SiteConfig.NetFrameworkVersion) for Flex Consumption sites is invalid"; pulumi/pulumi-azure-native#4168,
 * microsoft/azure-pipelines-tasks#21032); `localMySqlEnabled` is Windows in-app MySQL, meaningless on Linux.
 */
export const SDK_SITE_CONFIG_DEFAULTS_FLEX_OMITS = ["netFrameworkVersion", "localMySqlEnabled"] as const;

/** `siteConfig` without the SDK's injected defaults a Flex app must not send (pure; unit-tested). */
export function withoutSdkSiteConfigDefaults(siteConfig: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(siteConfig).filter(
      ([key]) => !(SDK_SITE_CONFIG_DEFAULTS_FLEX_OMITS as readonly string[]).includes(key),
    ),
  );
}

/**
 * Site properties the SDK sets to `false` on every web app (`isXenon`, `hyperV`: Windows container sandboxes) that
 * Microsoft's Flex Consumption deprecations table lists as not valid for Flex apps
 * (functions-app-settings#flex-consumption-plan-deprecations). Accepted today (only `netFrameworkVersion` failed in
 * pulumi/pulumi-azure-native#4168), but Flex stamps tighten their checks region by region: not sent.
 */
export const SDK_SITE_DEFAULTS_FLEX_OMITS = ["isXenon", "hyperV"] as const;

/**
 * A resource transformation (run by the SDK before the resource registers, so the offline preview sees the same body
 * the provider sends) that drops `SDK_SITE_CONFIG_DEFAULTS_FLEX_OMITS` from a web app's `siteConfig` and, on a Flex
 * app (one with `functionAppConfig`), `SDK_SITE_DEFAULTS_FLEX_OMITS` from the site.
 */
export const dropSdkSiteConfigDefaults: pulumi.ResourceTransformation = ({ props, opts }) => ({
  props: {
    ...(props.functionAppConfig === undefined
      ? props
      : Object.fromEntries(
          Object.entries(props).filter(([key]) => !(SDK_SITE_DEFAULTS_FLEX_OMITS as readonly string[]).includes(key)),
        )),
    siteConfig:
      props.siteConfig === undefined
        ? undefined
        : pulumi
            .output(props.siteConfig as pulumi.Input<Record<string, unknown>>)
            // The SDK always passes an Output, whose value is undefined when the app sets no siteConfig.
            .apply((siteConfig) => (siteConfig === undefined ? undefined : withoutSdkSiteConfigDefaults(siteConfig))),
  },
  opts,
});

/** Links a monitoring resource to the platform's Azure Monitor Private Link Scope (`Platform.linkToMonitorScope`). */
export type LinkToMonitorScope = (
  name: string,
  resourceId: pulumi.Input<string>,
  parent: pulumi.Resource,
) => monitor.PrivateLinkScopedResource;

/**
 * The subnet Flex apps integrate with, and the order they join it in. Each app's VNet integration takes the subnet's
 * service association link lease: a second app joining while the first holds it fails with 409 Conflict ("Failed to
 * acquire ServiceAssociationLinkLease", hashicorp/terraform-provider-azurerm#32089), which azure-native does not
 * retry (it retries only named 409 codes, pulumi-azure-native#3653). The platform keeps one chain per subnet, so the
 * apps of every tier join one at a time (`Platform.flexFunctionsSubnet`).
 */
export interface IntegrationSubnet {
  readonly id: pulumi.Input<string>;
  /** Creates the app with `dependsOn` the previous app joining this subnet (nothing for the first); returns it. */
  join<T extends pulumi.Resource>(create: (after: pulumi.Resource[]) => T): T;
}

/** Flex Consumption sizing of one app. */
export interface FunctionPlanSpec {
  /** Instance memory: 512, 2048 or 4096 MB. */
  readonly instanceMemoryMB: number;
  /**
   * Scale-out ceiling of on-demand instances per function group (1–1000, event-driven-scaling). Always-ready instances
   * are not counted in it: "Always ready instances aren't limited by the maximum instance count and don't count toward
   * it" (same page).
   */
  readonly maximumInstanceCount: number;
  /**
   * Always-ready instances per trigger group: `http` for all HTTP functions, `function:<name>` for another trigger's
   * function (an empty list scales every group from zero).
   */
  readonly alwaysReady?: readonly { readonly name: string; readonly instanceCount: number }[];
}

export interface FunctionAppArgs {
  /** Names and tags. */
  readonly context: StackContext;
  /** Short qualifier of the app in every name (`payapi` → `func-pay-dev-weu-payapi-<suffix>`), a-z0-9, ≤ 8. */
  readonly qualifier: string;
  /** Resource group of the app, its plan, storage and Application Insights. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** The stack's random suffix (globally unique names). */
  readonly suffix: pulumi.Output<string>;
  /**
   * The user-assigned identity the app runs as (storage, SQL, Cosmos DB, Event Hubs, ML): created by the caller so
   * data tiers can grant it before the app exists.
   */
  readonly identity: ManagedIdentity;
  /** Runtime stack (default `node` 22). */
  readonly runtime?: { readonly name: web.RuntimeName; readonly version: string };
  readonly plan: FunctionPlanSpec;
  /** Subnet for outbound VNet integration (delegated to Microsoft.App/environments); apps join it one at a time. */
  readonly integrationSubnet: IntegrationSubnet;
  /** Where the app's and its storage's private endpoints go. */
  readonly privateEndpoints: PrivateEndpointTarget;
  /** The central Log Analytics workspace. */
  readonly diagnosticSettings: DiagnosticSettingsTarget;
  /** Links the Application Insights component to the platform's Azure Monitor Private Link Scope. */
  readonly linkToMonitorScope: LinkToMonitorScope;
  /** Customer-managed key of the host storage account (the platform's `storage` key); none = Microsoft-managed. */
  readonly customerManagedKey?: CustomerManagedKey;
  /** Zone-redundant host storage (ZRS) — always; geo-redundancy is pointless for packages and leases. */
  readonly storageSku?: storage.SkuName;
  /**
   * The app's own settings: identity-based connections (`<Connection>__fullyQualifiedNamespace`,
   * `__accountEndpoint`, `__credential`, `__clientId`), endpoints, tuning. Never keys or connection strings with
   * secrets; the host storage and Application Insights settings are added here.
   */
  readonly appSettings?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Pulumi `protect` and a CanNotDelete lock on the host storage (prod): it holds the deployed packages, so deleting
   * it takes the app down.
   */
  readonly protect?: boolean;
  /** Resources the app must wait for (e.g. data-plane grants its triggers need at start-up). */
  readonly dependsOn?: readonly pulumi.Resource[];
  /**
   * What the app's settings wait for, besides the site (e.g. a gateway that must rewrite headers before the app
   * trusts them); a promise of a resource created later is allowed (Pulumi awaits `dependsOn` inputs). The settings
   * then come last, after the app's private endpoint, so that such a resource may itself wait for the endpoint.
   */
  readonly settingsDependsOn?: readonly pulumi.Input<pulumi.Resource>[];
  /** Application security groups the app's own private endpoint joins (not its storage's). */
  readonly endpointApplicationSecurityGroupIds?: readonly pulumi.Input<string>[];
  readonly tags: Tags;
}

export interface FunctionAppResources {
  readonly app: web.WebApp;
  readonly plan: web.AppServicePlan;
  readonly storageAccount: storage.StorageAccount;
  readonly appInsights: applicationinsights.Component;
  /** `func-…azurewebsites.net`: resolves to the private endpoint inside the VNet. */
  readonly defaultHostName: pulumi.Output<string>;
  /** The app's private endpoint and its DNS zone group: a client in the VNet reaches the app once both exist. */
  readonly privateEndpoint: PrivateEndpointResources;
  readonly name: pulumi.Output<string>;
  readonly id: pulumi.Output<string>;
}

/** Checks the arguments before any resource is registered; throws naming the argument and what is allowed. */
export function validateFunctionAppArgs(args: Pick<FunctionAppArgs, "qualifier" | "plan" | "appSettings">): void {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9]{1,7}$/.test(args.qualifier))
    problems.push(`qualifier '${args.qualifier}' must be 2–8 lower-case letters/digits starting with a letter`);
  const { instanceMemoryMB, maximumInstanceCount, alwaysReady = [] } = args.plan;
  if (![512, 2048, 4096].includes(instanceMemoryMB))
    problems.push(`plan.instanceMemoryMB ${instanceMemoryMB} must be 512, 2048 or 4096`);
  if (!Number.isInteger(maximumInstanceCount) || maximumInstanceCount < 1 || maximumInstanceCount > 1000)
    problems.push(`plan.maximumInstanceCount ${maximumInstanceCount} must be a whole number between 1 and 1000`);
  const groups = new Set<string>();
  for (const group of alwaysReady) {
    if (!/^(http|durable|blob|function:[A-Za-z][A-Za-z0-9_-]*)$/.test(group.name))
      problems.push(`plan.alwaysReady '${group.name}' must be http, durable, blob or function:<name>`);
    if (groups.has(group.name)) problems.push(`plan.alwaysReady '${group.name}' is listed twice`);
    groups.add(group.name);
    // Not bounded by maximumInstanceCount: always-ready instances are outside it (event-driven-scaling).
    if (!Number.isInteger(group.instanceCount) || group.instanceCount < 0 || group.instanceCount > 1000)
      problems.push(
        `plan.alwaysReady '${group.name}' count ${group.instanceCount} must be a whole number between 0 and 1000`,
      );
  }
  for (const [key, value] of Object.entries(args.appSettings ?? {})) {
    if ((FLEX_DEPRECATED_SETTINGS as readonly string[]).includes(key) || key.startsWith("WEBSITE_CONTENT"))
      problems.push(
        `appSettings.${key} is not supported on Flex Consumption (set it through functionAppConfig, or use identity-based settings)`,
      );
    // The value, when it is known here (a plain string): an Output is another resource's, never typed-in secret text.
    if (typeof value === "string" && /(AccountKey|SharedAccessKey|Password|Pwd)=/i.test(value))
      problems.push(
        `appSettings.${key}: connection strings with secrets are not allowed (use identity-based settings)`,
      );
  }
  if (problems.length > 0) throw new Error(`FunctionApp ${args.qualifier}: ${problems.join("; ")}`);
}

/**
 * The identity-based host storage settings (no `AzureWebJobsStorage` connection string): the blob and table service
 * URIs (the account's private endpoints serve those two), and its name too. With the URIs alone the host can fail to
 * create its blob client during early startup (a race in the host's configuration loading); "Setting
 * `AzureWebJobsStorage__accountName` (instead of, or in addition to, `__blobServiceUri`) avoids the failure and is a
 * known workaround" (Azure/azure-functions-host#11787, by its maintainer; #11782 saw it on Flex Consumption as an
 * unhealthy host answering 401).
 */
export function hostStorageSettings(accountName: string, clientId: string): Record<string, string> {
  return {
    AzureWebJobsStorage__accountName: accountName,
    AzureWebJobsStorage__blobServiceUri: `https://${accountName}.blob.core.windows.net`,
    AzureWebJobsStorage__tableServiceUri: `https://${accountName}.table.core.windows.net`,
    AzureWebJobsStorage__credential: "managedidentity",
    AzureWebJobsStorage__clientId: clientId,
  };
}

/**
 * Creates the app and everything it needs as children of `parent`, logical names `${name}-…`:
 * `-st` (+ `-st-<svc>-pep`, `-st-ra-*`, `-st-<svc>-diag`), `-appi`, `-plan`, `-app` (+ `-app-pep`, `-app-diag`,
 * `-app-ftp`, `-app-scm`).
 */
export function functionApp(name: string, args: FunctionAppArgs, parent: pulumi.Resource): FunctionAppResources {
  validateFunctionAppArgs(args);
  const { context, identity, tags } = args;
  const cfg = context.config;
  const location = cfg.location;
  const cmk = args.customerManagedKey;

  // Host storage: the platform's hardened account (private, Entra-only, CMK-encrypted), zone-redundant. Holds
  // deployment packages, host leases and timers; no business data.
  const account = hardenedStorageAccount(
    `${name}-st`,
    {
      accountName: context.globalName("storageAccount", args.suffix, args.qualifier),
      resourceGroupName: args.resourceGroupName,
      location,
      sku: args.storageSku ?? storage.SkuName.Standard_ZRS,
      customerManagedKey: cmk,
      protect: args.protect,
      tags,
    },
    parent,
  );
  managementLock(
    `${name}-st`,
    account.id,
    lockFor(args.protect ?? false, `the host storage of function app ${args.qualifier}`),
    parent,
    account,
  );
  // One management operation on the account at a time (a second one gets 409 StorageAccountOperationInProgress):
  // the blob service settings, the package container and each private endpoint's connection wait in line.
  const onAccount = new Serial();
  onAccount.next(
    (dependsOn) =>
      new storage.BlobServiceProperties(
        `${name}-st-blob`,
        {
          accountName: account.name,
          resourceGroupName: args.resourceGroupName,
          blobServicesName: "default",
          deleteRetentionPolicy: { enabled: true, days: 7 },
          containerDeleteRetentionPolicy: { enabled: true, days: 7 },
        },
        { parent, dependsOn },
      ),
  );
  const container = onAccount.next(
    (dependsOn) =>
      new storage.BlobContainer(
        `${name}-st-package`,
        {
          accountName: account.name,
          resourceGroupName: args.resourceGroupName,
          containerName: DEPLOYMENT_CONTAINER,
          publicAccess: storage.PublicAccess.None,
        },
        { parent, dependsOn },
      ),
  );
  const storageGrants = Object.entries(HOST_STORAGE_ROLES).map(([key, role]) =>
    roleAssignment(
      `${name}-st`,
      account.id,
      {
        key,
        principalId: identity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: role,
        description: `Functions host storage of ${args.qualifier} (identity-based AzureWebJobsStorage).`,
      },
      parent,
    ),
  );
  const storageEndpoints = HOST_STORAGE_SERVICES.map((service) => {
    const pe = privateEndpoint(
      `${name}-st-${service}`,
      {
        service: STORAGE_PRIVATE_LINK[service],
        targetId: account.id,
        targetName: account.name,
        target: args.privateEndpoints,
        tags,
        dependsOn: onAccount.tail,
      },
      parent,
    );
    onAccount.next(() => pe.endpoint);
    return pe.zoneGroup;
  });
  // Storage logs (reads, writes, deletes, authorisation failures) and transaction metrics are per service; the
  // account itself has metrics only.
  for (const service of HOST_STORAGE_SERVICES) {
    storageServiceDiagnostics(`${name}-st-${service}`, account.id, service, args.diagnosticSettings, parent);
  }

  // Workspace-based Application Insights, private-only (through the platform's private link scope), Entra-only
  // ingestion (the app's identity publishes with Monitoring Metrics Publisher).
  const appInsights = new applicationinsights.Component(
    `${name}-appi`,
    {
      resourceName: context.name("applicationInsights", args.qualifier),
      resourceGroupName: args.resourceGroupName,
      location,
      kind: "web",
      applicationType: applicationinsights.ApplicationType.Web,
      workspaceResourceId: args.diagnosticSettings.workspaceId,
      ingestionMode: applicationinsights.IngestionMode.LogAnalytics,
      disableLocalAuth: true,
      disableIpMasking: false,
      publicNetworkAccessForIngestion: applicationinsights.PublicNetworkAccessType.Disabled,
      publicNetworkAccessForQuery: applicationinsights.PublicNetworkAccessType.Disabled,
      tags,
    },
    { parent },
  );
  const scopeLink = args.linkToMonitorScope(`${name}-appi`, appInsights.id, parent);
  const telemetryGrant = roleAssignment(
    `${name}-appi`,
    appInsights.id,
    {
      key: "metrics-publisher",
      principalId: identity.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: BuiltInRoles.MonitoringMetricsPublisher,
      description: `Lets ${args.qualifier} send telemetry with Entra authentication (local auth is off).`,
    },
    parent,
  );

  // One Flex Consumption plan per app (Flex hosts a single app per plan).
  const plan = new web.AppServicePlan(
    `${name}-plan`,
    {
      name: context.name("appServicePlan", args.qualifier),
      resourceGroupName: args.resourceGroupName,
      location,
      kind: "functionapp",
      reserved: true,
      sku: { name: "FC1", tier: "FlexConsumption" },
      tags,
    },
    { parent },
  );

  // Node.js 22 LTS: Node.js 20 left community support on 2026-04-30, after which Azure Functions no longer patches it
  // (functions-versions.md, language support policy; PCI DSS 6.3.3 asks for supported, patched components).
  const runtime = args.runtime ?? { name: web.RuntimeName.Node, version: "22" };
  const settings: Record<string, pulumi.Input<string>> = {
    ...args.appSettings,
    ...Object.fromEntries(
      Object.keys(hostStorageSettings("x", "y")).map((key) => [
        key,
        pulumi.all([account.name, identity.clientId]).apply(([a, c]) => hostStorageSettings(a, c)[key]),
      ]),
    ),
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.connectionString,
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: pulumi.interpolate`ClientId=${identity.clientId};Authorization=AAD`,
    AZURE_CLIENT_ID: identity.clientId,
  };
  const app = args.integrationSubnet.join(
    (after) =>
      new web.WebApp(
        `${name}-app`,
        {
          name: context.globalName("functionApp", args.suffix, args.qualifier),
          resourceGroupName: args.resourceGroupName,
          location,
          kind: "functionapp,linux",
          serverFarmId: plan.id,
          identity: { type: web.ManagedServiceIdentityType.UserAssigned, userAssignedIdentities: [identity.id] },
          keyVaultReferenceIdentity: identity.id,
          httpsOnly: true,
          // Reached only through its private endpoint (the gateway's backend, or other VNet clients).
          publicNetworkAccess: "Disabled",
          clientCertEnabled: false,
          virtualNetworkSubnetId: args.integrationSubnet.id,
          // Microsoft's Flex deprecations table lists vnetRouteAllEnabled (this flag's old name) as not used for
          // networking on Flex, whose integrated apps send their traffic through the VNet without it; kept because it
          // is harmless there and states the intent the pack's VNet-egress rule checks on every web app.
          outboundVnetRouting: { applicationTraffic: true },
          functionAppConfig: {
            deployment: {
              storage: {
                type: web.FunctionsDeploymentStorageType.BlobContainer,
                value: pulumi.interpolate`https://${account.name}.blob.core.windows.net/${container.name}`,
                authentication: {
                  type: web.AuthenticationType.UserAssignedIdentity,
                  userAssignedIdentityResourceId: identity.id,
                },
              },
            },
            runtime: { name: runtime.name, version: runtime.version },
            scaleAndConcurrency: {
              instanceMemoryMB: args.plan.instanceMemoryMB,
              maximumInstanceCount: args.plan.maximumInstanceCount,
              alwaysReady: (args.plan.alwaysReady ?? []).map((g) => ({ name: g.name, instanceCount: g.instanceCount })),
            },
          },
          siteConfig: {
            minTlsVersion: web.SupportedTlsVersions.SupportedTlsVersions_1_2,
            scmMinTlsVersion: web.SupportedTlsVersions.SupportedTlsVersions_1_2,
            // No ftpsState: Flex has no FTP and lists the property as not to be used ("FTPS not supported",
            // flex-consumption-plan.md, "Deprecated properties and settings"); newer regions reject it.
            remoteDebuggingEnabled: false,
            http20Enabled: true,
            // No CORS block: Flex does not support CORS settings, and the API is called server to server.
          },
          tags,
        },
        {
          parent,
          transformations: [dropSdkSiteConfigDefaults],
          // "Only one app is allowed per Flex Consumption plan" (flex-consumption-plan.md, Considerations): a
          // replacement (a rename) creates the new app once the old one is gone, not beside it in the same plan.
          deleteBeforeReplace: true,
          // The host reads its storage and the package at start-up: grants and private DNS first.
          dependsOn: [
            ...storageGrants,
            ...storageEndpoints,
            telemetryGrant,
            scopeLink,
            ...(args.dependsOn ?? []),
            ...after,
          ],
        },
      ),
  );
  // The site's own writes go one at a time: App Service refuses a write while another runs on the same site (409
  // "Cannot modify this site because another operation is in progress", which the provider does not retry;
  // Azure/terraform-azurerm-avm-res-web-site#272 retries it), and an app settings write restarts the site.
  // App settings as their own resource (Microsoft.Web/sites/config/appsettings), as Microsoft's Flex samples do:
  // values known only after deployment (connection string, client ids) stay out of the site's own diff.
  // Settings first, unless they wait for something else (`settingsDependsOn`): then they come last, after the
  // private endpoint, which that something may itself need (a gateway probing the app through it).
  const appSettings = (dependsOn: pulumi.Input<pulumi.Resource>[]) =>
    new web.WebAppApplicationSettings(
      `${name}-app-settings`,
      { name: app.name, resourceGroupName: args.resourceGroupName, properties: settings },
      { parent, ...(dependsOn.length > 0 ? { dependsOn } : {}) },
    );
  const settingsLast = args.settingsDependsOn !== undefined;
  // The site's own operations, one at a time (a `Serial`).
  const onSite = new Serial();
  if (!settingsLast) onSite.next(appSettings);
  // Basic-auth publishing off (FTP and SCM): deployments authenticate with Entra ID.
  for (const [suffix, Policy] of [
    ["ftp", web.WebAppFtpAllowed],
    ["scm", web.WebAppScmAllowed],
  ] as const) {
    onSite.next(
      (dependsOn) =>
        new Policy(
          `${name}-app-${suffix}`,
          { name: app.name, resourceGroupName: args.resourceGroupName, allow: false },
          { parent, ...(dependsOn.length > 0 ? { dependsOn } : {}) },
        ),
    );
  }
  const endpoint = privateEndpoint(
    `${name}-app`,
    {
      service: "appService",
      targetId: app.id,
      targetName: app.name,
      target: args.privateEndpoints,
      tags,
      dependsOn: onSite.tail,
      applicationSecurityGroupIds: args.endpointApplicationSecurityGroupIds,
    },
    parent,
  );
  if (settingsLast) appSettings([endpoint.endpoint, endpoint.zoneGroup, ...(args.settingsDependsOn ?? [])]);
  // No diagnostic setting on the app: "Diagnostic settings aren't currently supported" on Flex Consumption, said
  // Microsoft's page (azure-functions/flex-consumption-plan.md, Considerations) until a recent version dropped the
  // line; azure-functions-host#11434 (2025-10) reports them working. Unconfirmed either way, so none is created (a
  // refused one would fail the deploy): the first dev deploy checks it (docs/operations.md). The app's logs, requests
  // and dependencies reach the platform workspace through its workspace-based Application Insights component above;
  // its host storage's diagnostics stay.

  return {
    app,
    plan,
    storageAccount: account,
    appInsights,
    defaultHostName: app.defaultHostName,
    privateEndpoint: endpoint,
    name: app.name,
    id: app.id,
  };
}
