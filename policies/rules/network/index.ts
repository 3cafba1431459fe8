/**
 * Network segmentation and the internet edge: subnets and NSGs (PCI DSS 1.2–1.4), the Application Gateway WAF_v2 with
 * its WAF policy and TLS policy (6.4.1/6.4.2, 4.2.1), the Azure Firewall policy (11.5.1), and private endpoints for
 * every data service (1.3.1, 1.4.4), virtual network peerings with approved networks only (1.2.2, 1.2.3). GDPR Art. 25
 * (data protection by design) and 32.
 */
import type { Policies } from "@pulumi/policy";
import { subnetNsg, subnetDefaultOutbound } from "./subnets";
import { nsgPublicInbound, nsgRestrictedPorts } from "./nsg";
import { appGatewayWaf, appGatewayTls, appGatewayHttp, wafMode, wafRuleSet } from "./gateway";
import { firewallThreatProtection } from "./firewall";
import { peeringApproved, privateEndpointCoverage, perimeterAssociation } from "./links";

export * from "./subnets";
export * from "./nsg";
export * from "./gateway";
export * from "./firewall";
export * from "./links";

export const networkPolicies: Policies = [
  subnetNsg,
  subnetDefaultOutbound,
  nsgPublicInbound,
  nsgRestrictedPorts,
  appGatewayWaf,
  appGatewayTls,
  appGatewayHttp,
  wafMode,
  wafRuleSet,
  firewallThreatProtection,
  peeringApproved,
  privateEndpointCoverage,
  perimeterAssociation,
];
