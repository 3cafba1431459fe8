/**
 * The streaming path (Flow 3 and the fraud-scoring functions): Event Hubs namespaces, Stream Analytics jobs with
 * their inputs/outputs, and App Service / Function apps (`web.WebApp`, `kind: "functionapp,linux"`). PCI DSS 1.3/1.4
 * (network), 3.5/3.6 (encryption, CMK), 4.2.1 (transport), 7.2/8.2/8.6 (no shared keys, managed identities);
 * GDPR Art. 25 and 32. The catalogue has no rows for these services; the rules mirror the storage/Key Vault ones.
 */
import type { Policies } from "@pulumi/policy";
import { eventHubLocalAuth, eventHubNetwork, eventHubTls, eventHubCmk, eventHubRetention } from "./eventhubs";
import { asaIdentity, asaJobStorage, asaDatasourceAuth, asaGenericJob } from "./streamAnalytics";
import {
  webHttpsOnly,
  webTls,
  webFtp,
  webPublicAccess,
  webVnet,
  webIdentity,
  webBasicAuth,
  webBasicAuthCoverage,
  webSettingsNoSecrets,
} from "./functions";

export * from "./shared";
export * from "./eventhubs";
export * from "./streamAnalytics";
export * from "./functions";

export const streamingPolicies: Policies = [
  eventHubLocalAuth,
  eventHubNetwork,
  eventHubTls,
  eventHubCmk,
  eventHubRetention,
  asaIdentity,
  asaJobStorage,
  asaDatasourceAuth,
  webHttpsOnly,
  webTls,
  webFtp,
  webPublicAccess,
  webVnet,
  webIdentity,
  webBasicAuth,
  webBasicAuthCoverage,
  webSettingsNoSecrets,
  asaGenericJob,
];
