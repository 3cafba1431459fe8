import * as network from "@pulumi/azure-native/network";

/**
 * The DDoS protection mode of the stack's public IPs: `Enabled` (DDoS IP Protection, no plan) when the stack protects
 * per IP, else `VirtualNetworkInherited` (the VNet's Network Protection plan, when there is one).
 */
export function publicIpDdosMode(cfg: {
  readonly enableDdosProtection: boolean;
  readonly ddosProtectionMode: "network" | "ip";
}): network.DdosSettingsProtectionMode {
  return cfg.enableDdosProtection && cfg.ddosProtectionMode === "ip"
    ? network.DdosSettingsProtectionMode.Enabled
    : network.DdosSettingsProtectionMode.VirtualNetworkInherited;
}
