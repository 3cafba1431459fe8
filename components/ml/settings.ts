/**
 * Pure settings of the ML tier: the workspace's managed network (outbound rules), the training cluster and the
 * fraud-scoring endpoint, the custom scoring role, and the names Azure constrains. No resources here: the
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
