/**
 * Pure settings of the ML tier: the workspace's managed network (outbound rules), the training cluster and the
 * fraud-scoring endpoint, the custom scoring and team roles, and the names Azure constrains. No resources here: the
 * component (./index.ts) turns these into resources, and tests check them directly.
 */
import * as ml from "@pulumi/azure-native/machinelearningservices";
import type * as pulumi from "@pulumi/pulumi";
import type * as types from "@pulumi/azure-native/types";
import type { MlConfig } from "../../lib/config";

/** Name of the training cluster inside the workspace (3–24 characters, unique in the workspace). */
export const TRAINING_CLUSTER_NAME = "cpu-train";

/** The data-plane action a caller of a managed online endpoint with Entra token auth needs (and nothing else). */
export const SCORE_ACTION = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action";

/** A private-endpoint outbound rule of the workspace's managed network (user-defined). */
export interface PrivateEndpointRuleSpec {
  /** Rule name (unique in the workspace). */
  readonly name: string;
  /** ARM id of the target resource. */
  readonly serviceResourceId: pulumi.Input<string>;
  /** Its private link sub-resource (group id), e.g. `Sql` for Cosmos DB for NoSQL. */
  readonly subresourceTarget: string;
}

/**
 * The managed network: only approved outbound traffic. In this mode Azure ML itself creates the private-endpoint
 * rules to the workspace and its default storage (blob, file), key vault and container registry as "Required"
 * rules, plus the required service-tag rules (AzureMachineLearning, BatchNodeManagement.<region>, ...); we add only
 * user-defined private-endpoint rules (the Cosmos DB account of `fraud_features`). No FQDN rule, so Azure deploys
 * no managed Azure Firewall (its cost only starts with the first FQDN rule); should one be added, the Basic SKU is
 * already selected (Standard is the default and costs more).
 * Source: https://learn.microsoft.com/azure/machine-learning/how-to-managed-network ("List of required rules",
 * "Pricing", "Select an Azure Firewall version").
 */
export function managedNetwork(
  rules: readonly PrivateEndpointRuleSpec[],
): types.input.machinelearningservices.ManagedNetworkSettingsArgs {
  const names = new Set<string>();
  const outboundRules: Record<string, types.input.machinelearningservices.PrivateEndpointOutboundRuleArgs> = {};
  for (const rule of rules) {
    if (names.has(rule.name)) throw new Error(`managed network: outbound rule '${rule.name}' is defined twice`);
    names.add(rule.name);
    outboundRules[rule.name] = {
      type: "PrivateEndpoint",
      category: ml.RuleCategory.UserDefined,
      destination: {
        serviceResourceId: rule.serviceResourceId,
        subresourceTarget: rule.subresourceTarget,
        sparkEnabled: false,
      },
    };
  }
  return {
    isolationMode: ml.IsolationMode.AllowOnlyApprovedOutbound,
    firewallSku: ml.FirewallSku.Basic,
    outboundRules,
  };
}

/** ISO 8601 duration of whole seconds (`PT120S`), the format AmlCompute takes for the idle time. */
export function isoSeconds(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`not a whole number of seconds: ${seconds}`);
  return `PT${seconds}S`;
}

/**
 * Inputs of the training cluster a PUT does not change (a change replaces the cluster): the VM size and priority are
 * set at creation, and the scale settings change only through the compute PATCH (`Update-AzMLWorkspaceCompute`),
 * while a PUT of an existing compute is accepted without updating its properties (Azure/bicep-types-az#2543; the
 * service team, in Azure/azure-rest-api-specs#23042: "we have plan in place to support update on compute through
 * PUT/PATCH"). azure-native updates with a PUT, so an in-place change would be ignored and come back on every refresh.
 */
export const CLUSTER_CREATION_ONLY = [
  "properties.properties.vmSize",
  "properties.properties.vmPriority",
  "properties.properties.scaleSettings",
];

/**
 * The training cluster: scales to zero when idle, no public IP or public SSH, Entra-only (local auth off), in the
 * workspace's managed network (so no subnet: compute of a managed-network workspace cannot be placed in our VNet).
 */
export function trainingCluster(compute: MlConfig["compute"]): types.input.machinelearningservices.AmlComputeArgs {
  return {
    computeType: "AmlCompute",
    description: "Fraud model training; scales to zero when idle.",
    disableLocalAuth: true,
    properties: {
      // In the case Azure answers it (it returns VM sizes upper-cased: "Got STANDARD_DS2_V2 in response, expect
      // Standard_DS2_V2", Azure/azure-rest-api-specs#20336), so a refresh never reads a "new" size, which would
      // replace the cluster on every up (vmSize is replaceOnChanges; terraform-provider-azurerm#17562).
      vmSize: compute.vmSize.toUpperCase(),
      vmPriority: ml.VmPriority[compute.vmPriority],
      osType: ml.OsType.Linux,
      scaleSettings: {
        minNodeCount: 0,
        maxNodeCount: compute.maxNodes,
        nodeIdleTimeBeforeScaleDown: isoSeconds(compute.idleSecondsBeforeScaleDown),
      },
      enableNodePublicIp: false,
      remoteLoginPortPublicAccess: ml.RemoteLoginPortPublicAccess.Disabled,
    },
  };
}

/**
 * Online endpoint names are unique within an Azure region: 3–32 characters, a letter first, then letters, digits
 * and hyphens, no trailing hyphen. The stack's random suffix makes the name unique.
 */
export function endpointName(workload: string, environment: string, suffix: string): string {
  const name = `fraud-${workload}-${environment}-${suffix}`;
  if (!/^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/.test(name)) {
    throw new Error(`online endpoint name '${name}' must be 3–32 letters, digits or hyphens, starting with a letter`);
  }
  return name;
}

/** The scoring endpoint's properties: Entra token auth only, reachable only through the workspace's private endpoint. */
export function scoringEndpointProperties(): types.input.machinelearningservices.OnlineEndpointPropertiesArgs {
  return {
    authMode: ml.EndpointAuthMode.AADToken,
    publicNetworkAccess: ml.PublicNetworkAccessType.Disabled,
    description:
      "Fraud scoring for flow 1. Callers need the fraud-scoring invoker role (score/action) on this endpoint.",
  };
}

/** The custom role that allows exactly one thing: calling the scoring endpoints in its assignable scope. */
export function scoringRolePermissions(): types.input.authorization.PermissionArgs[] {
  return [{ actions: [SCORE_ACTION], notActions: [], dataActions: [], notDataActions: [] }];
}

/**
 * The built-in AzureML Data Scientist role (f6c7c914-8db3-469d-8ca1-694a8f32e121; Learn, "Azure built-in roles for AI
 * + machine learning"): every action inside a workspace but creating or deleting compute and changing or deleting the
 * workspace itself. Copied as Microsoft publishes it (updated 2023-05-31), for the team's role below.
 */
export const DATA_SCIENTIST_ACTIONS = [
  "Microsoft.MachineLearningServices/workspaces/*/read",
  "Microsoft.MachineLearningServices/workspaces/*/action",
  "Microsoft.MachineLearningServices/workspaces/*/delete",
  "Microsoft.MachineLearningServices/workspaces/*/write",
] as const;
export const DATA_SCIENTIST_NOT_ACTIONS = [
  "Microsoft.MachineLearningServices/workspaces/delete",
  "Microsoft.MachineLearningServices/workspaces/write",
  "Microsoft.MachineLearningServices/workspaces/computes/*/write",
  "Microsoft.MachineLearningServices/workspaces/computes/*/delete",
  "Microsoft.MachineLearningServices/workspaces/computes/listKeys/action",
  "Microsoft.MachineLearningServices/workspaces/listKeys/action",
  "Microsoft.MachineLearningServices/workspaces/hubs/write",
  "Microsoft.MachineLearningServices/workspaces/hubs/delete",
  "Microsoft.MachineLearningServices/workspaces/featurestores/write",
  "Microsoft.MachineLearningServices/workspaces/featurestores/delete",
] as const;

/**
 * What the team's role withholds besides: Data Scientist's writes and actions on anything in a workspace also change the
 * workspace's network, so a member could add an outbound rule to the managed network (an FQDN or private endpoint
 * to anywhere: a way out for data, and a managed Azure Firewall billed to the subscription) or approve a private
 * endpoint to the workspace from another network, bypassing the one network allowed in. Those belong to the stack
 * (`pulumi up`, reviewed). The operation names are Microsoft's: the managed network's from the built-in "Azure AI
 * Enterprise Networking Outbound Rules Operator" role (25cabde7-1a6c-4350-8877-cb6fe59f1399), the private endpoint
 * connections' from how-to-managed-network ("requires the following Azure RBAC actions to create private
 * endpoints"): none is a guess at an operation name. Rules are written through `PUT …/workspaces/<ws>/outboundRules/
 * <rule>` (the GA API, azure-native's ManagedNetworkSettingsRule); the built-in operator role, made for managing
 * them, grants only the `managedNetworks/…` operations, so those are what Azure checks there. No operation named
 * `workspaces/outboundRules/write` is published: one left out rather than guessed (an unknown operation may make
 * Azure refuse the role); the first dev deploy can confirm with `az ml workspace outbound-rule set` as a team member.
 */
export const TEAM_NETWORK_NOT_ACTIONS = [
  "Microsoft.MachineLearningServices/workspaces/managedNetworks/write",
  "Microsoft.MachineLearningServices/workspaces/managedNetworks/outboundRules/write",
  "Microsoft.MachineLearningServices/workspaces/managedNetworks/outboundRules/delete",
  "Microsoft.MachineLearningServices/workspaces/managedNetworks/batchOutboundRules/action",
  "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections/write",
] as const;

/**
 * The fraud/ML team's role on the workspace: AzureML Data Scientist (train, register, deploy and shift traffic)
 * without the workspace's network (TEAM_NETWORK_NOT_ACTIONS).
 */
export function teamRolePermissions(): types.input.authorization.PermissionArgs[] {
  return [
    {
      actions: [...DATA_SCIENTIST_ACTIONS],
      notActions: [...DATA_SCIENTIST_NOT_ACTIONS, ...TEAM_NETWORK_NOT_ACTIONS],
      dataActions: [],
      notDataActions: [],
    },
  ];
}
