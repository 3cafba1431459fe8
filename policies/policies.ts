/**
 * The list of policies in the pack. Kept apart from `index.ts` (which constructs the PolicyPack and starts its
 * gRPC server) so that the offline preview, `policy:analyze`, benchmarks and tests can import the rules.
 * Each rules module exports one array per service; add a new module's array here.
 */
import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { generalPolicies } from "./rules/general";
import { sqlPolicies } from "./rules/sql";
import { sqlAuditArchivePolicies } from "./rules/sqlAuditArchive";
import { synapsePolicies } from "./rules/synapse";
import { synapseSqlPolicies } from "./rules/synapseSql";
import { cosmosdbPolicies } from "./rules/cosmosdb";
import { datafactoryPolicies } from "./rules/datafactory";
import { mlPolicies } from "./rules/ml";
import { keyvaultPolicies } from "./rules/keyvault";
import { storagePolicies } from "./rules/storage";
import { networkRulePolicies } from "./rules/networkRules";
import { storageLifecyclePolicies } from "./rules/storageLifecycle";
import { pciScopePolicies } from "./rules/pciScope";
import { destinationPolicies } from "./rules/destinations";
import { destinationHostPolicies } from "./rules/destinationHosts";
import { monitorPolicies } from "./rules/monitor";
import { networkPolicies } from "./rules/network";
import { privateDnsPolicies } from "./rules/privateDns";
import { flowLogPolicies } from "./rules/flowLogs";
import { nsgPortPolicies } from "./rules/nsgPorts";
import { streamingPolicies } from "./rules/streaming";
import { functionPackagePolicies } from "./rules/functionPackages";
import { protectionPolicies } from "./rules/protection";
import { containerRegistryPolicies } from "./rules/containerregistry";
import { ingressPolicies } from "./rules/ingress";
import { operationsPolicies } from "./rules/operations";
import { egressPolicies } from "./rules/egress";
import { egressRoutePolicies } from "./rules/egressRoutes";
import { ddosPolicies } from "./rules/ddos";
import { corsPolicies } from "./rules/cors";
import { authorizationPolicies } from "./rules/authorization";
import { secretOutputPolicies } from "./rules/secretOutputs";
import { baselinePolicies } from "./rules/baseline";

export const PACK_NAME = "payments-pci-gdpr";
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "mandatory";

export const policies: Policies = [
  ...generalPolicies,
  ...sqlPolicies,
  ...sqlAuditArchivePolicies,
  ...synapsePolicies,
  ...synapseSqlPolicies,
  ...cosmosdbPolicies,
  ...datafactoryPolicies,
  ...mlPolicies,
  ...keyvaultPolicies,
  ...storagePolicies,
  ...networkRulePolicies,
  ...storageLifecyclePolicies,
  ...pciScopePolicies,
  ...destinationPolicies,
  ...destinationHostPolicies,
  ...monitorPolicies,
  ...networkPolicies,
  ...privateDnsPolicies,
  ...flowLogPolicies,
  ...nsgPortPolicies,
  ...egressPolicies,
  ...egressRoutePolicies,
  ...ddosPolicies,
  ...corsPolicies,
  ...streamingPolicies,
  ...functionPackagePolicies,
  ...protectionPolicies,
  ...containerRegistryPolicies,
  ...ingressPolicies,
  ...operationsPolicies,
  ...authorizationPolicies,
  ...secretOutputPolicies,
  ...baselinePolicies,
];
