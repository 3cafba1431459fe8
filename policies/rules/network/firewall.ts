/**
 * The Azure Firewall policy: threat intelligence and IDPS (PCI DSS 11.5.1).
 */
import type * as network from "@pulumi/azure-native/network";
import { resourcePolicy } from "../../lib/policy";
import { inStacks } from "../../lib/scope";
import { anyAddress } from "../../lib/network";
import { oneOf, presence, requireKnownElements, sameText, stringsAt, valueAt, who } from "../../lib/values";

const FIREWALL_POLICY = "azure-native:network:FirewallPolicy";
const AZURE_FIREWALL = "azure-native:network:AzureFirewall";

// ---------------------------------------------------------------------------------------------------------------
// Azure Firewall policy
// ---------------------------------------------------------------------------------------------------------------

export const firewallThreatProtection = resourcePolicy<network.FirewallPolicyArgs>(
  {
    name: "azure-native-network-firewallpolicy-enable-threat-protection",
    description:
      "Azure Firewall policies block traffic to and from known-malicious addresses (threat intelligence Deny, no wildcard allow list), and in production stacks run the Premium tier with intrusion detection and prevention in Deny mode, with no bypass for any address and no signature turned off; every Azure Firewall uses such a policy (no classic rules), on the Premium tier in production stacks.",
    severity: "high",
    pci: ["1.4.2", "11.5.1"],
    gdpr: ["32(1)(b)", "33"],
    soc2: ["CC6.6", "CC7.2"],
    service: "network",
    remediationSteps:
      'Set `threatIntelMode: "Deny"`; in prod stacks set `sku.tier: "Premium"` and `intrusionDetection: { mode: "Deny" }` (configs `allowedThreatIntelModes`, `allowedIdpsModes`, `premiumStacks`).',
    url: "https://learn.microsoft.com/azure/firewall/premium-features",
    config: {
      allowedThreatIntelModes: {
        type: "array",
        items: { type: "string" },
        default: ["Deny"],
        description:
          "Threat intelligence modes the firewall policy may use (`Alert` only reports known-malicious traffic).",
      },
      allowedIdpsModes: {
        type: "array",
        items: { type: "string" },
        default: ["Deny"],
        description:
          "Intrusion detection (IDPS) modes a Premium firewall policy may use, in any stack (premiumStacks only decides where Premium is required).",
      },
      premiumStacks: {
        type: "array",
        items: { type: "string" },
        default: ["prod"],
        description: "Stacks where the firewall must be Premium (IDPS).",
      },
    },
  },
  [FIREWALL_POLICY, AZURE_FIREWALL],
  (props, args, report) => {
    const cfg = args.getConfig<{
      allowedThreatIntelModes: string[];
      allowedIdpsModes: string[];
      premiumStacks: string[];
    }>();
    if (args.type === AZURE_FIREWALL) {
      // The firewall itself: its protections live in the policy it uses. Classic rules (no policy) have no IDPS, and
      // their threat intelligence is the firewall's own `threatIntelMode`; a Standard firewall ignores a Premium
      // policy's IDPS.
      if (presence(props, "firewallPolicy", "id") === "absent") {
        report(
          `${who(args)} uses no firewall policy (classic rules): attach one with firewallPolicy.id, where threat intelligence and IDPS are set.`,
        );
      }
      const tier = valueAt(props, "sku", "tier");
      if (!sameText(tier, "Premium") && inStacks(args.urn, cfg.premiumStacks)) {
        report(
          `${who(args)} is ${String(tier ?? "Standard")} in a production stack: set sku.tier to "Premium" (IDPS runs on Premium firewalls only).`,
        );
      }
      return;
    }
    // threatIntelMode absent = "Alert" (Azure default).
    const ti = props.threatIntelMode ?? "Alert";
    if (!oneOf(ti, cfg.allowedThreatIntelModes)) {
      report(
        `${who(args)} threat intelligence is '${ti}': set threatIntelMode to "${cfg.allowedThreatIntelModes[0]}".`,
      );
    }
    // sku absent = Standard tier.
    const premium = sameText(props.sku?.tier, "Premium");
    if (!premium && inStacks(args.urn, cfg.premiumStacks)) {
      report(`${who(args)} is not Premium in a production stack: set sku.tier to "Premium" to get IDPS.`);
    }
    // intrusionDetection absent = Off.
    const idps = props.intrusionDetection?.mode ?? "Off";
    if (premium && !oneOf(idps, cfg.allowedIdpsModes)) {
      report(`${who(args)} IDPS is '${idps}': set intrusionDetection.mode to "${cfg.allowedIdpsModes[0]}".`);
    }
    // What the modes leave open: IDPS bypass for any address, signatures turned off, a threat-intelligence allow list
    // that admits everything.
    // Lists are read element by element: an IP group id unknown during preview counts as named, not as a failure.
    // An address unknown during preview may be "*": the rule is undecided then, never passed, but only after every
    // violation the known values show is reported (`undecidedUnless` at the end).
    const unknownLists: (() => void)[] = [];
    const bypasses = valueAt(props, "intrusionDetection", "configuration", "bypassTrafficSettings");
    for (const b of Array.isArray(bypasses) ? bypasses : []) {
      const side = (addresses: string, groups: string) => {
        const named = presence(b, addresses) !== "absent" || presence(b, groups) !== "absent";
        unknownLists.push(() => requireKnownElements(b, addresses));
        return !named || stringsAt(b, addresses).some(anyAddress);
      };
      const anySource = side("sourceAddresses", "sourceIpGroups");
      if (anySource || side("destinationAddresses", "destinationIpGroups")) {
        report(
          `${who(args)} IDPS bypass '${String(valueAt(b, "name") ?? "?")}' skips inspection for any ${anySource ? "source" : "destination"}: name specific addresses or IP groups on both sides.`,
        );
      }
    }
    // Under Deny, an override to Alert stops blocking that signature as surely as Off.
    const overrides = valueAt(props, "intrusionDetection", "configuration", "signatureOverrides");
    const weaker = sameText(idps, "Deny") ? ["Off", "Alert"] : ["Off"];
    for (const o of Array.isArray(overrides) ? overrides : []) {
      const mode = valueAt(o, "mode");
      if (oneOf(mode, weaker)) {
        report(
          `${who(args)} sets IDPS signature ${String(valueAt(o, "id") ?? "?")} to '${String(mode)}', which does not block: remove the override or set its mode to "Deny".`,
        );
      }
    }
    const broadFqdn = (f: string) => f === "*" || /^\*\.[^.]+$/.test(f);
    if (
      stringsAt(props, "threatIntelWhitelist", "ipAddresses").some(anyAddress) ||
      stringsAt(props, "threatIntelWhitelist", "fqdns").some(broadFqdn)
    ) {
      report(
        `${who(args)} exempts every address (or a whole top-level domain) from threat intelligence: remove it from threatIntelWhitelist.`,
      );
    }
    // An allow-list entry unknown during preview may admit everything: undecided, never passed (after the reports).
    unknownLists.push(
      () => requireKnownElements(props, "threatIntelWhitelist", "ipAddresses"),
      () => requireKnownElements(props, "threatIntelWhitelist", "fqdns"),
    );
    for (const undecidedUnless of unknownLists) undecidedUnless();
  },
);
