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
 * deployment slots (blue/green is a second app behind the gateway), CORS unsupported (none is set); no EasyAuth is
 * used either (callers are authenticated by the gateway and the code), regional availability (`az functionapp
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
import * as storage from "@pulumi/azure-native/storage";
import * as web from "@pulumi/azure-native/web";
import * as pulumi from "@pulumi/pulumi";
import type { PrivateLinkService } from "../../lib/privateLink";
import { storageServiceDiagnostics } from "./diagnostics";
import {
  DEPLOYMENT_CONTAINER,
  HOST_STORAGE_ROLES,
  PACKAGE_WRITER_DATA_ACTIONS,
  checkPackageWriter,
  packageWritesRefusedCondition,
  type FunctionPackageWriter,
  HOST_STORAGE_SERVICES,
  dropSdkSiteConfigDefaults,
  hostStorageSettings,
  validateFunctionAppArgs,
  type FunctionAppArgs,
  type FunctionAppResources,
} from "./functionAppSettings";
import { privateEndpoint } from "./privateEndpoint";
import { Serial } from "./serial";
import { lockFor, managementLock } from "./protection";
import type { StackContext } from "./context";
import { BuiltInRoles, customRole, deployer, roleAssignment } from "./rbac";
import { hardenedStorageAccount } from "./storage";

/** Days a deleted or overwritten blob of a function app's host storage (its deployment package among them) is kept. */
export const HOST_STORAGE_SOFT_DELETE_DAYS = 30;
export * from "./functionAppSettings";

const STORAGE_PRIVATE_LINK: Readonly<Record<(typeof HOST_STORAGE_SERVICES)[number], PrivateLinkService>> = {
  blob: "storageBlob",
  table: "storageTable",
};

/**
 * Creates the app and everything it needs as children of `parent`, logical names `${name}-…`:
 * `-st` (+ `-st-<svc>-pep`, `-st-ra-*`, `-st-<svc>-diag`), `-appi`, `-plan`, `-app` (+ `-app-pep`, `-app-diag`,
 * `-app-ftp`, `-app-scm`).
 */
export function functionApp(name: string, args: FunctionAppArgs, parent: pulumi.Resource): FunctionAppResources {
  validateFunctionAppArgs(args);
  const { context, identity, tags } = args;
  const cfg = context.config;
  checkPackageWriter(cfg.functionPackageWrites, args.packageWriter, args.qualifier);
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
          // 30 days: an overwritten or deleted deployment package stays recoverable, as evidence, for as long as an
          // incident may take to be noticed (the app's identity owns this account: docs/runbook.md, containment).
          deleteRetentionPolicy: { enabled: true, days: HOST_STORAGE_SOFT_DELETE_DAYS },
          containerDeleteRetentionPolicy: { enabled: true, days: HOST_STORAGE_SOFT_DELETE_DAYS },
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
  // With `functionPackageWrites: deploy-window`, the blob role refuses every write in the package container: code
  // running as the app cannot replace the package its next start boots; the deploy workflow's grant writes it.
  const window = cfg.functionPackageWrites === "deploy-window";
  const storageGrants = Object.entries(HOST_STORAGE_ROLES).map(([key, role]) =>
    roleAssignment(
      `${name}-st`,
      account.id,
      {
        key,
        principalId: identity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: role,
        description:
          `Functions host storage of ${args.qualifier} (identity-based AzureWebJobsStorage)` +
          (window && key === "blob-data-owner" ? `; no write in ${DEPLOYMENT_CONTAINER} (deploy window).` : "."),
        ...(window && key === "blob-data-owner" ? { condition: packageWritesRefusedCondition() } : {}),
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
      // Sent either way: Azure changes it on an existing Flex plan, restarting the app ("Changing the zone redundancy
      // of your app requires a restart, which causes downtime in your app", azure-functions/functions-zone-redundancy),
      // and no page says what a PUT that leaves it out does to a zone-redundant plan.
      zoneRedundant: args.plan.zoneRedundant ?? false,
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
            // functions-app-settings.md, "Flex Consumption plan deprecations"); newer regions reject it.
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
            ...(scopeLink ? [scopeLink] : []),
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
  // A refresh reads every setting of the site (POST config/appsettings/list), one added by hand in the portal too (a
  // storage key, a SAS URL): its outputs are secret, so such a value is encrypted in the state and shown as [secret]
  // in a refreshed preview's diff (the job summary prod's approvers read), as the action groups' receivers are. The
  // inputs stay plain: every value the program sets is a name, an id or an endpoint, and reviewers read their diff.
  const appSettings = (dependsOn: pulumi.Input<pulumi.Resource>[]) =>
    new web.WebAppApplicationSettings(
      `${name}-app-settings`,
      { name: app.name, resourceGroupName: args.resourceGroupName, properties: settings },
      { parent, additionalSecretOutputs: ["properties"], ...(dependsOn.length > 0 ? { dependsOn } : {}) },
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
    ...(args.packageWriter.roleDefinitionId ? { packageWriterRoleId: args.packageWriter.roleDefinitionId } : {}),
  };
}

/**
 * The package writer role of one resource group that hosts function apps (`${name}-package-writer`; call it once per
 * group, before its apps): a custom role of blob data actions only (PACKAGE_WRITER_DATA_ACTIONS: no container or
 * account action, which a condition could not limit), assignable in that group only. Nothing in the stack assigns
 * it: the deploy workflow grants it to an app's identity for a ship (`npm run functions:ops -- ship`), on the group
 * with `packageWriterCondition` (that app's account and package container only), and deletes the grant after. None
 * with `functionPackageWrites: always`.
 */
export function functionPackageWriterRole(
  name: string,
  args: {
    readonly context: StackContext;
    readonly resourceGroupName: pulumi.Input<string>;
    /** The group's tier, in the role's name (role names are unique in the tenant). */
    readonly tier: string;
  },
  parent: pulumi.Resource,
): FunctionPackageWriter {
  const cfg = args.context.config;
  if (cfg.functionPackageWrites !== "deploy-window") return {};
  const { assignableId } = customRole(
    `${name}-package-writer`,
    {
      scope: pulumi.interpolate`/subscriptions/${deployer().subscriptionId}/resourceGroups/${args.resourceGroupName}`,
      idKey: "function-package-writer",
      roleName: `Function package writer (${cfg.workload}-${cfg.environment}-${args.tier})`,
      description:
        "Writes a function app's deployment package: granted by the deploy workflow for a ship only, limited by its condition to one app's package container. Managed by Pulumi.",
      permissions: [{ actions: [], notActions: [], dataActions: [...PACKAGE_WRITER_DATA_ACTIONS], notDataActions: [] }],
    },
    parent,
  );
  return { roleDefinitionId: assignableId };
}
