/**
 * The platform's monitoring base: the central Log Analytics workspace (every diagnostic setting targets it; public
 * ingestion and query off, local auth off) and the Azure Monitor Private Link Scope in PrivateOnly mode with its
 * private endpoint, through which people, agents and Application Insights components reach it.
 */
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as pulumi from "@pulumi/pulumi";
import {
  lockFor,
  managementLock,
  privateEndpoint,
  type LockSpec,
  type PrivateEndpointResources,
  type PrivateEndpointTarget,
  type StackContext,
  type Tags,
} from "../shared";

export function logWorkspace(
  name: string,
  args: {
    readonly context: StackContext;
    readonly resourceGroupName: pulumi.Input<string>;
    readonly protect: boolean;
    /**
     * Microsoft Sentinel is onboarded on the workspace (`operations.sentinel`): no management lock then, since "The
     * Log Analytics workspace must not have a resource lock applied ... resource locks aren't supported when
     * enabling Microsoft Sentinel" (MicrosoftDocs/azure-docs articles/sentinel/prerequisites.md). `protect` and the
     * workspace's 14-day soft delete remain.
     */
    readonly sentinel: boolean;
    /** The workspace holds the audit trail: restricted, CDE. */
    readonly tags: Tags;
  },
  parent: pulumi.Resource,
): operationalinsights.Workspace {
  const { context, protect } = args;
  const cfg = context.config;
  const location = cfg.location;
  const rg = args.resourceGroupName;
  const securityTags = args.tags;
  const workspace = new operationalinsights.Workspace(
    `${name}-log`,
    {
      workspaceName: context.name("logAnalytics"),
      resourceGroupName: rg,
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
    { parent, protect },
  );
  const lock: LockSpec = args.sentinel ? { kind: "None" } : lockFor(protect, "the audit log workspace");
  managementLock(`${name}-log`, workspace.id, lock, parent, workspace);
  return workspace;
}

/**
 * The scope (PrivateOnly), the workspace's link to it, and its private endpoint, in that order: an endpoint created
 * while a scoped resource is being added fails ("Mismatching RequiredMembers in Request"; Azure/bicep#13851, fixed
 * in Microsoft's AVM module by making the endpoint wait for the scoped resources, Azure/bicep-registry-modules#3348).
 * `lastOperation` is what the next change of the scope waits for (`Platform.linkToMonitorScope`).
 */
export function monitorScope(
  name: string,
  args: {
    readonly context: StackContext;
    readonly resourceGroupName: pulumi.Input<string>;
    readonly workspaceId: pulumi.Input<string>;
    readonly privateEndpoints: PrivateEndpointTarget;
    readonly tags: Tags;
  },
  parent: pulumi.Resource,
): {
  readonly scope: monitor.PrivateLinkScope;
  readonly workspaceLink: monitor.PrivateLinkScopedResource;
  readonly endpoint: PrivateEndpointResources;
  readonly lastOperation: pulumi.Resource;
} {
  const { context, tags } = args;
  const rg = args.resourceGroupName;
  const ampls = new monitor.PrivateLinkScope(
    `${name}-ampls`,
    {
      scopeName: context.name("monitorPrivateLinkScope"),
      resourceGroupName: rg,
      location: "global",
      accessModeSettings: {
        ingestionAccessMode: monitor.AccessMode.PrivateOnly,
        queryAccessMode: monitor.AccessMode.PrivateOnly,
      },
      tags,
    },
    { parent },
  );
  const link = new monitor.PrivateLinkScopedResource(
    `${name}-ampls-log`,
    {
      name: "log-analytics",
      scopeName: ampls.name,
      resourceGroupName: rg,
      linkedResourceId: args.workspaceId,
      kind: monitor.ScopedResourceKind.Resource,
    },
    { parent },
  );
  const endpoint = privateEndpoint(
    `${name}-ampls`,
    {
      service: "azureMonitor",
      targetId: ampls.id,
      targetName: ampls.name,
      target: args.privateEndpoints,
      tags,
      dependsOn: [link],
    },
    parent,
  );
  return { scope: ampls, workspaceLink: link, endpoint, lastOperation: endpoint.zoneGroup };
}
