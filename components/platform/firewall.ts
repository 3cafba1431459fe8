/**
 * Azure Firewall Premium (egress control, IDPS in Deny mode, threat intelligence Deny) with its policy and the egress
 * allow-list: the workload subnets reach Entra ID only over HTTPS (not Resource Manager or Azure Monitor, whose public
 * endpoints take any tenant's data: subnets.ts `EGRESS_SERVICE_TAGS`), the function apps the extension bundle CDN, the
 * ML compute subnet exactly Microsoft's required list (Resource Manager and Azure Monitor included, from that subnet
 * alone, and only with `ml.vnetComputeEgress`); everything else is denied.
 */
import * as network from "@pulumi/azure-native/network";
import type * as types from "@pulumi/azure-native/types";
import * as pulumi from "@pulumi/pulumi";
import type { SubnetRole } from "../../lib/config";
import { publicIpDdosMode } from "../../lib/ddos";
import { mlComputeEgress } from "../../lib/mlEgress";
import { diagnosticSetting, type DiagnosticSettingsTarget, type StackContext, type Tags } from "../shared";
import { EGRESS_SERVICE_TAGS, SUBNETS } from "./network";

export interface EgressFirewallArgs {
  readonly context: StackContext;
  readonly resourceGroupName: pulumi.Input<string>;
  /** AzureFirewallSubnet. */
  readonly firewallSubnetId: pulumi.Input<string>;
  /** The subnet roles of the stack (those routed through the firewall are the allow-list's sources). */
  readonly roles: readonly SubnetRole[];
  readonly diagnostics: DiagnosticSettingsTarget;
  readonly tags: Tags;
}

/** FQDNs the function apps reach through the firewall (everything else they use has a private endpoint). */
export const FUNCTIONS_EGRESS_FQDNS = ["cdn.functions.azure.com"] as const;

/**
 * Microsoft's required outbound list for Azure ML compute injected into our VNet (`lib/mlEgress.ts`), from the ML
 * compute subnet alone: created only with `ml.vnetComputeEgress` (its tags reach other tenants' resources too).
 */
export function mlComputeRules(
  mlSubnet: string,
  location: string,
): types.input.network.FirewallPolicyFilterRuleCollectionArgs {
  return {
    ruleCollectionType: "FirewallPolicyFilterRuleCollection",
    name: "allow-azure-ml-compute",
    priority: 300,
    action: { type: network.FirewallPolicyFilterRuleCollectionActionType.Allow },
    rules: mlComputeEgress(location).map((rule) => ({
      ruleType: "NetworkRule",
      name: `ml-${rule.name}`,
      ipProtocols: [
        rule.protocol === "UDP"
          ? network.FirewallPolicyRuleNetworkProtocol.UDP
          : network.FirewallPolicyRuleNetworkProtocol.TCP,
      ],
      sourceAddresses: [mlSubnet],
      destinationAddresses: [rule.destination],
      destinationPorts: [...rule.ports],
    })),
  };
}

/**
 * The Functions host downloads an extension bundle its instance does not already hold (host.json asks for
 * [4.*, 5.0.0)) from Microsoft's CDN: "the cdn.functions.azure.com endpoint must be accessible to your function app"
 * (https://learn.microsoft.com/azure/azure-functions/extension-bundles). An application rule (the FQDN matched on the
 * TLS SNI), HTTPS only, from the Flex subnet only.
 */
export function extensionBundleRules(flexSubnet: string): types.input.network.FirewallPolicyFilterRuleCollectionArgs {
  return {
    ruleCollectionType: "FirewallPolicyFilterRuleCollection",
    name: "allow-functions-extension-bundles",
    priority: 250,
    action: { type: network.FirewallPolicyFilterRuleCollectionActionType.Allow },
    rules: [
      {
        ruleType: "ApplicationRule",
        name: "functions-extension-bundle-cdn",
        sourceAddresses: [flexSubnet],
        targetFqdns: [...FUNCTIONS_EGRESS_FQDNS],
        protocols: [{ protocolType: network.FirewallPolicyRuleApplicationProtocolType.Https, port: 443 }],
      },
    ],
  };
}

export function egressFirewall(name: string, args: EgressFirewallArgs, parent: pulumi.Resource): network.AzureFirewall {
  const { context, tags, roles } = args;
  const cfg = context.config;
  const location = cfg.location;
  const rg = args.resourceGroupName;
  const pip = new network.PublicIPAddress(
    `${name}-afw-pip`,
    {
      publicIpAddressName: context.name("publicIp", "afw"),
      resourceGroupName: rg,
      location,
      sku: { name: network.PublicIPAddressSkuName.Standard, tier: network.PublicIPAddressSkuTier.Regional },
      publicIPAllocationMethod: network.IPAllocationMethod.Static,
      zones: ["1", "2", "3"],
      // DDoS IP Protection on this IP when the stack protects per IP (ddosProtectionMode: ip); otherwise
      // VirtualNetworkInherited (the VNet's plan covers it). Always sent, like the gateway's IP: an absent setting
      // would leave IP Protection on (and billed per IP) after a switch from `ip` to `network`.
      ddosSettings: { protectionMode: publicIpDdosMode(cfg) },
      tags,
    },
    { parent },
  );
  // Premium for IDPS signatures (Deny) and threat intelligence (Deny). No TLS inspection (`transportSecurity`): it
  // needs an intermediate CA in a vault the firewall reads and trusted by every client, and the only egress here is
  // HTTPS to Microsoft endpoints by tag or SNI, so IDPS sees those flows' headers and SNI, not their payloads.
  const policy = new network.FirewallPolicy(
    `${name}-afwp`,
    {
      firewallPolicyName: context.name("firewallPolicy"),
      resourceGroupName: rg,
      location,
      sku: { tier: network.FirewallPolicySkuTier.Premium },
      threatIntelMode: network.AzureFirewallThreatIntelMode.Deny,
      intrusionDetection: { mode: network.FirewallPolicyIntrusionDetectionStateType.Deny },
      tags,
    },
    { parent },
  );
  // Egress allow-list (everything else is denied). The workload subnets reach Entra ID over HTTPS, and nothing else
  // public (their telemetry goes through the monitor scope's private endpoint). HTTPS to a few tags is NOT what Azure ML compute needs: VNet-injected compute
  // (snet-ml-compute) gets exactly Microsoft's required list in its own collection below, with ml.vnetComputeEgress only (regional
  // BatchNodeManagement, Storage and Key Vault tags, AzureMachineLearning on 443/8787/18881 and UDP 5831, ...;
  // lib/mlEgress.ts). The platform's ML workspace itself uses a managed network, whose compute egress is
  // Microsoft-managed and never crosses this firewall.
  const egressRules = new network.FirewallPolicyRuleCollectionGroup(
    `${name}-afwp-egress`,
    {
      ruleCollectionGroupName: "platform-egress",
      firewallPolicyName: policy.name,
      resourceGroupName: rg,
      priority: 200,
      ruleCollections: [
        {
          ruleCollectionType: "FirewallPolicyFilterRuleCollection",
          name: "allow-azure-control-plane",
          priority: 200,
          action: { type: network.FirewallPolicyFilterRuleCollectionActionType.Allow },
          rules: [
            {
              ruleType: "NetworkRule",
              name: "azure-service-tags-https",
              ipProtocols: [network.FirewallPolicyRuleNetworkProtocol.TCP],
              sourceAddresses: roles.filter((r) => SUBNETS[r].egressViaFirewall).map((r) => cfg.subnets[r]),
              destinationAddresses: [...EGRESS_SERVICE_TAGS],
              destinationPorts: ["443"],
            },
          ],
        },
        ...(roles.includes("flexFunctions") ? [extensionBundleRules(cfg.subnets.flexFunctions)] : []),
        // Only while compute is injected into the ML subnet (`ml.vnetComputeEgress`): the list's tags reach other
        // tenants' storage and monitoring too.
        ...(cfg.ml.vnetComputeEgress ? [mlComputeRules(cfg.subnets.mlCompute, location)] : []),
      ],
    },
    { parent },
  );
  const firewall = new network.AzureFirewall(
    `${name}-afw`,
    {
      azureFirewallName: context.name("firewall"),
      resourceGroupName: rg,
      location,
      sku: { name: network.AzureFirewallSkuName.AZFW_VNet, tier: network.AzureFirewallSkuTier.Premium },
      firewallPolicy: { id: policy.id },
      zones: ["1", "2", "3"],
      ipConfigurations: [{ name: "ipconfig", subnet: { id: args.firewallSubnetId }, publicIPAddress: { id: pip.id } }],
      tags,
    },
    // Azure Firewall does not support parallel updates of a policy and the firewall using it: a rule collection
    // group PUT racing the firewall PUT that attaches the policy fails ("another operation in progress"). The
    // firewall waits for the rules (so it starts with the egress allow-list in force); a further rule
    // collection group must likewise wait for the previous one.
    { parent, dependsOn: [egressRules] },
  );
  diagnosticSetting(`${name}-afw`, firewall.id, args.diagnostics, parent);
  // The public IP's DDoS logs (notifications, mitigation flows and reports), as the gateway's IP has them, in the
  // AzureDiagnostics table: they have no resource-specific table (azure-monitor/reference/supported-logs/
  // microsoft-network-publicipaddresses-logs); Azure takes a `Dedicated` request for such a type and reads it back
  // unset (Azure/azure-rest-api-specs#9281).
  diagnosticSetting(`${name}-afw-pip`, pip.id, { ...args.diagnostics, destination: "AzureDiagnostics" }, parent);
  return firewall;
}
