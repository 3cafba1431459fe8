/**
 * Function app hosting's pure part (shared by every tier that runs functions): the host storage roles and settings,
 * the Flex Consumption settings and SDK defaults a Flex app must not send, the argument types and their validation.
 * The resources are created in `functionApp.ts`.
 */
import type * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import type * as monitor from "@pulumi/azure-native/monitor";
import type * as storage from "@pulumi/azure-native/storage";
import type * as web from "@pulumi/azure-native/web";
import * as pulumi from "@pulumi/pulumi";
import { ZONE_REDUNDANT_MIN_ALWAYS_READY } from "../../lib/config";
import { BLOB_WRITE_DATA_ACTIONS } from "../../policies/lib/abac";
import type { StackContext } from "./context";
import type {
  CustomerManagedKey,
  DiagnosticSettingsTarget,
  ManagedIdentity,
  PrivateEndpointTarget,
  Tags,
} from "./interfaces";
import type { PrivateEndpointResources } from "./privateEndpoint";

/** Storage data-plane roles the Functions host needs on its own account (identity-based host storage). */
export const HOST_STORAGE_ROLES = {
  "blob-data-owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  "table-data-contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
} as const;

/** The storage services the host uses, each with a private endpoint (no queue: no blob trigger, no Durable). */
export const HOST_STORAGE_SERVICES = ["blob", "table"] as const;

/** Blob container the Flex deployment packages are uploaded to (and read from, with the app's identity). */
export const DEPLOYMENT_CONTAINER = "app-package";

import type { FunctionPackageWrites } from "../../lib/config";
export { FUNCTION_PACKAGE_WRITES, type FunctionPackageWrites } from "../../lib/config";

const BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

/** The blob data actions that change a blob (the pack's list): refused in the package container outside a ship. */
export const PACKAGE_WRITE_DATA_ACTIONS = BLOB_WRITE_DATA_ACTIONS;

/**
 * How a ship's grant describes itself (`npm run functions:ops -- ship`): the Sentinel rule that watches package writes
 * finds the ships in the activity log by it.
 */
export const DEPLOY_WINDOW_MARK = "Deploy window:";

/**
 * The package writer role's data actions (a custom role, data actions only: no container or account action that a
 * condition could not limit): what a one deploy writes, and reads back.
 */
export const PACKAGE_WRITER_DATA_ACTIONS = [
  `${BLOBS}/read`,
  `${BLOBS}/write`,
  `${BLOBS}/add/action`,
  `${BLOBS}/delete`,
];

const CONTAINER_NAME = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]";
const ACCOUNT_NAME = "@Resource[Microsoft.Storage/storageAccounts:name]";
const quoted = (value: string): string => {
  if (!/^[a-z0-9-]+$/.test(value)) throw new Error(`not a storage account or container name: '${value}'`);
  return `'${value}'`;
};
const noneOf = (actions: readonly string[]): string => actions.map((a) => `!(ActionMatches{'${a}'})`).join(" AND ");

/**
 * The ABAC condition on the app identity's Storage Blob Data Owner assignment (pure): every action allowed, except a
 * write-class blob action in `container`. Microsoft's form ("Read, write, or delete blobs in named containers",
 * storage-auth-abac-examples) with `StringNotEquals`: a request passes when it is none of the listed actions, or is
 * outside the container. Conditions limit data actions only: the identity can still delete the container (its
 * soft delete keeps it 30 days), not write into one of that name.
 */
export function packageWritesRefusedCondition(container: string = DEPLOYMENT_CONTAINER): string {
  return `((${noneOf(PACKAGE_WRITE_DATA_ACTIONS)}) OR (${CONTAINER_NAME} StringNotEquals ${quoted(container)}))`;
}

/**
 * The condition of the deploy window's grant (pure): the package writer role, given on the app's resource group
 * (a CanNotDelete lock on the account would refuse to delete a grant made on it: MicrosoftDocs/azure-docs#110791),
 * acts in the app's package container of its host storage account only.
 */
export function packageWriterCondition(account: string, container: string = DEPLOYMENT_CONTAINER): string {
  return (
    `((${noneOf(PACKAGE_WRITER_DATA_ACTIONS)}) OR ` +
    `(${ACCOUNT_NAME} StringEquals ${quoted(account)} AND ${CONTAINER_NAME} StringEquals ${quoted(container)}))`
  );
}

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

/**
 * Links a monitoring resource to the platform's Azure Monitor Private Link Scope (`Platform.linkToMonitorScope`);
 * undefined when the stack has no scope of its own (`privateDns.mode: central`: the hub's scope serves it).
 */
export type LinkToMonitorScope = (
  name: string,
  resourceId: pulumi.Input<string>,
  parent: pulumi.Resource,
) => monitor.PrivateLinkScopedResource | undefined;

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
  /**
   * A zone-redundant plan (Azure changes it in place, restarting the app): always-ready instances spread over at least two zones. The
   * platform then keeps two always-ready instances in every function group: list every group in `alwaysReady` with
   * at least 2 (validateFunctionAppArgs refuses fewer), so that the program declares what Azure bills.
   */
  readonly zoneRedundant?: boolean;
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
  /**
   * The package writer role of the app's resource group (`functionPackageWriterRole`, one per group): the deploy
   * window's grant. Required with `functionPackageWrites: deploy-window`, absent with `always`.
   */
  readonly packageWriter: FunctionPackageWriter;
  /** Application security groups the app's own private endpoint joins (not its storage's). */
  readonly endpointApplicationSecurityGroupIds?: readonly pulumi.Input<string>[];
  readonly tags: Tags;
}

/** A resource group's package writer role (`functionPackageWriterRole`); no role with `functionPackageWrites: always`. */
export interface FunctionPackageWriter {
  /** The role's id as role assignments name it (its subscription-level id). */
  readonly roleDefinitionId?: pulumi.Output<string>;
}

/**
 * The package writer an app gets must match the stack's `functionPackageWrites` (pure): a role with `deploy-window`
 * (its ships need it), none with `always`; throws naming the app and the setting otherwise.
 */
export function checkPackageWriter(
  mode: FunctionPackageWrites,
  writer: FunctionPackageWriter,
  qualifier: string,
): void {
  if ((mode === "deploy-window") !== (writer.roleDefinitionId !== undefined))
    throw new Error(
      `function app ${qualifier}: packageWriter must come from functionPackageWriterRole for its resource group ` +
        `(functionPackageWrites is ${mode}: ${mode === "deploy-window" ? "a role is needed" : "no role is made"})`,
    );
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
  /** The role the deploy workflow grants for a ship (`npm run functions:ops -- ship --role`); none with `always`. */
  readonly packageWriterRoleId?: pulumi.Output<string>;
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
    else if (args.plan.zoneRedundant && group.instanceCount < ZONE_REDUNDANT_MIN_ALWAYS_READY)
      problems.push(
        `plan.alwaysReady '${group.name}' count ${group.instanceCount} must be at least ${ZONE_REDUNDANT_MIN_ALWAYS_READY} on a zone-redundant plan (Azure keeps and bills two per function group)`,
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
