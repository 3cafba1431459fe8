/**
 * The internet edge: the Application Gateway WAF_v2 with its WAF policy and TLS policy (PCI DSS 6.4.1/6.4.2, 4.2.1).
 */
import type * as network from "@pulumi/azure-native/network";
import { resourcePolicy, type Props } from "../../lib/policy";
import { anyAddress, ipv4Range } from "../../lib/network";
import { isSet, oneOf, sameText, stringsAt, valueAt, who } from "../../lib/values";

const APP_GATEWAY = "azure-native:network:ApplicationGateway";
const WAF_POLICY = "azure-native:network:WebApplicationFirewallPolicy";

// ---------------------------------------------------------------------------------------------------------------
// Application Gateway
// ---------------------------------------------------------------------------------------------------------------

export const appGatewayWaf = resourcePolicy<network.ApplicationGatewayArgs>(
  {
    name: "azure-native-network-applicationgateway-require-waf-v2",
    description:
      "Application Gateways use the WAF_v2 tier with an associated WAF policy, so public-facing web traffic is inspected by a web application firewall.",
    severity: "critical",
    pci: ["6.4.1", "6.4.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      'Set `sku: { name: "WAF_v2", tier: "WAF_v2" }` and `firewallPolicy: { id: <WebApplicationFirewallPolicy id> }` (the legacy `webApplicationFirewallConfiguration` does not count).',
    url: "https://learn.microsoft.com/azure/web-application-firewall/ag/policy-overview",
  },
  APP_GATEWAY,
  (props, args, report) => {
    // sku absent = no WAF tier.
    if (!sameText(props.sku?.tier, "WAF_v2")) {
      report(`${who(args)} uses tier '${props.sku?.tier ?? "unset"}': set sku.tier (and sku.name) to "WAF_v2".`);
    }
    if (!isSet(props.firewallPolicy, "id")) {
      report(
        `${who(args)} has no WAF policy: set firewallPolicy.id to a network.WebApplicationFirewallPolicy${props.webApplicationFirewallConfiguration ? " (webApplicationFirewallConfiguration is legacy)" : ""}.`,
      );
    }
  },
);

type SslPolicy = NonNullable<Props<network.ApplicationGatewayArgs>["sslPolicy"]>;

export const DEFAULT_SSL_POLICIES = ["AppGwSslPolicy20220101", "AppGwSslPolicy20220101S"];

export const appGatewayTls = resourcePolicy<network.ApplicationGatewayArgs>(
  {
    name: "azure-native-network-applicationgateway-enforce-tls-policy",
    description:
      "Application Gateways (and their SSL profiles) negotiate TLS 1.2 or later with strong ciphers: a predefined 2022 policy, or a custom policy with minProtocolVersion TLSv1_2 and only ECDHE-GCM cipher suites.",
    severity: "high",
    pci: ["4.2.1", "2.2.7"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "network",
    remediationSteps:
      'Set `sslPolicy: { policyType: "Predefined", policyName: "AppGwSslPolicy20220101S" }` (config `allowedPredefinedPolicies`), or `policyType: "CustomV2"` with `minProtocolVersion: "TLSv1_2"`; the same for every `sslProfiles[*].sslPolicy`.',
    url: "https://learn.microsoft.com/azure/application-gateway/application-gateway-ssl-policy-overview",
    config: {
      allowedPredefinedPolicies: {
        type: "array",
        items: { type: "string" },
        default: DEFAULT_SSL_POLICIES,
        description: "Predefined SSL policies allowed (the 2017 ones keep CBC ciphers or TLS 1.0).",
      },
    },
  },
  APP_GATEWAY,
  (props, args, report) => {
    const { allowedPredefinedPolicies } = args.getConfig<{ allowedPredefinedPolicies: string[] }>();
    const check = (where: string, policy: SslPolicy | undefined) => {
      // sslPolicy absent: the default depends on the API version (TLS 1.0 on older ones); require it explicitly.
      if (policy === undefined) {
        report(
          `${who(args)} has no ${where}: set it to the predefined policy "AppGwSslPolicy20220101S" or a custom policy with minProtocolVersion "TLSv1_2".`,
        );
        return;
      }
      const predefined =
        sameText(policy.policyType, "Predefined") ||
        (policy.policyType === undefined && policy.policyName !== undefined);
      if (predefined) {
        if (!oneOf(policy.policyName, allowedPredefinedPolicies)) {
          report(
            `${who(args)} ${where} uses '${policy.policyName ?? "unset"}': set ${where}.policyName to one of ${allowedPredefinedPolicies.join(", ")}.`,
          );
        }
      } else {
        if (!oneOf(policy.minProtocolVersion, ["TLSv1_2", "TLSv1_3"])) {
          report(
            `${who(args)} ${where} allows '${policy.minProtocolVersion ?? "unset"}': set ${where}.minProtocolVersion to "TLSv1_2".`,
          );
        }
        // A custom policy names its TLS 1.2 suites: only forward-secret AEAD ones (ECDHE with GCM), as the 2022
        // predefined policies; CBC and 3DES suites are weak cryptography (PCI DSS 4.2.1).
        const weak = (policy.cipherSuites ?? []).filter(
          (c) => !/^TLS_ECDHE_(ECDSA|RSA)_WITH_AES_(128|256)_GCM_SHA(256|384)$/i.test(String(c)),
        );
        if (weak.length > 0) {
          report(
            `${who(args)} ${where} allows weak cipher suites ${weak.join(", ")}: keep only TLS_ECDHE_*_WITH_AES_*_GCM_* suites (or use "AppGwSslPolicy20220101S").`,
          );
        }
      }
    };
    check("sslPolicy", props.sslPolicy);
    (props.sslProfiles ?? []).forEach((profile, i) => {
      // A profile without its own sslPolicy inherits the gateway's, checked above.
      if (profile.sslPolicy !== undefined) check(`sslProfiles[${profile.name ?? i}].sslPolicy`, profile.sslPolicy);
    });
  },
);

/** The sub-resource name at the end of an App Gateway child id (`.../httpListeners/<name>`). */
function childName(ref: { id?: string } | undefined): string | undefined {
  const id = ref?.id;
  return typeof id === "string" ? id.split("/").pop() : undefined;
}

export const appGatewayHttp = resourcePolicy<network.ApplicationGatewayArgs>(
  {
    name: "azure-native-network-applicationgateway-disallow-http-listener",
    description:
      "Application Gateways have no HTTP listener: a client's request to one crosses the internet in clear text (headers and body) before any redirect could answer it. A stack may allow HTTP listeners that only redirect to HTTPS (`allowHttpRedirect`, for browsers), never one routed to a backend.",
    severity: "high",
    pci: ["4.2.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "network",
    remediationSteps:
      'Remove every `httpListeners[*]` with `protocol: "Http"`, its frontend port, routing rule and redirect, and the NSG rule opening port 80, so a plain HTTP connection fails before any byte is sent. Where browsers need the redirect, set `allowHttpRedirect` and route each HTTP listener with a `redirectConfiguration` whose `targetListener` is the HTTPS listener (or `targetUrl` starting with https://), never a backend pool.',
    url: "https://learn.microsoft.com/azure/application-gateway/redirect-http-to-https-portal",
    config: {
      allowHttpRedirect: {
        type: "boolean",
        default: false,
        description:
          "Allow HTTP listeners whose every routing rule redirects to HTTPS (a browser-facing gateway; never for an API, whose first request would cross in clear text). Port 80 must then also be an allowedPublicInbound entry of the NSG rule.",
      },
    },
  },
  APP_GATEWAY,
  (props, args, report) => {
    const { allowHttpRedirect } = args.getConfig<{ allowHttpRedirect: boolean }>();
    // Sub-resource ids are read directly: when unknown during preview the engine turns this into an advisory.
    const listeners = props.httpListeners ?? [];
    const protocolOf = new Map(listeners.map((l) => [l.name, l.protocol]));
    const redirects = new Map((props.redirectConfigurations ?? []).map((r) => [r.name, r]));
    for (const listener of listeners) {
      // protocol absent: Azure requires it; treat as Http to be safe.
      if (listener.protocol !== undefined && !sameText(listener.protocol, "Http")) continue;
      if (!allowHttpRedirect) {
        report(
          `${who(args)} has HTTP listener '${listener.name}': a client's request to it crosses the internet in clear text before any redirect answers; remove the listener (and its port 80), or set allowHttpRedirect for a browser-facing gateway.`,
        );
        continue;
      }
      const rules = (props.requestRoutingRules ?? []).filter((r) => childName(r.httpListener) === listener.name);
      for (const rule of rules) {
        const redirect = redirects.get(childName(rule.redirectConfiguration));
        const target = redirect?.targetListener ? protocolOf.get(childName(redirect.targetListener)) : undefined;
        const toHttps =
          sameText(target, "Https") ||
          (typeof redirect?.targetUrl === "string" && /^https:\/\//i.test(redirect.targetUrl));
        if (!toHttps) {
          report(
            `${who(args)} serves HTTP listener '${listener.name}' through rule '${rule.name}' without a redirect to HTTPS: set the rule's redirectConfiguration to a redirect whose targetListener is an Https listener.`,
          );
        }
      }
    }
  },
);

// ---------------------------------------------------------------------------------------------------------------
// WAF policy
// ---------------------------------------------------------------------------------------------------------------

export const wafMode = resourcePolicy<network.WebApplicationFirewallPolicyArgs>(
  {
    name: "azure-native-network-webapplicationfirewallpolicy-enable-prevention-mode",
    description:
      "WAF policies are enabled, block attacks (Prevention mode, unless the stack allows Detection with alert review), inspect request bodies, and have no custom Allow rule for any client address or any request path.",
    severity: "critical",
    pci: ["6.4.2", "11.5.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6", "CC7.2"],
    service: "network",
    remediationSteps:
      'Set `policySettings: { state: "Enabled", mode: "Prevention", requestBodyCheck: true }` (config `allowedModes` may add "Detection" where alerts are reviewed, as PCI DSS 6.4.2 allows).',
    url: "https://learn.microsoft.com/azure/web-application-firewall/ag/ag-overview",
    config: {
      allowedModes: {
        type: "array",
        items: { type: "string", enum: ["Prevention", "Detection"] },
        default: ["Prevention"],
        description: "WAF modes allowed.",
      },
    },
  },
  WAF_POLICY,
  (props, args, report) => {
    const { allowedModes } = args.getConfig<{ allowedModes: string[] }>();
    const s = props.policySettings;
    // Each setting absent = violation: the policySettings defaults differ by API version, and the explicit value is
    // the evidence an assessor looks for.
    if (!sameText(s?.state, "Enabled")) {
      report(`${who(args)} is '${s?.state ?? "unset"}': set policySettings.state to "Enabled".`);
    }
    if (!oneOf(s?.mode, allowedModes)) {
      report(`${who(args)} runs in '${s?.mode ?? "unset"}' mode: set policySettings.mode to "${allowedModes[0]}".`);
    }
    if (s?.requestBodyCheck !== true) {
      report(`${who(args)} does not inspect request bodies: set policySettings.requestBodyCheck to true.`);
    }
    // A custom Allow rule skips every managed rule for what it matches: one that matches any client address is the
    // WAF switched off.
    // Read without spreading: values unknown during preview are skipped, not a reason to abandon the rule.
    const customRules = valueAt(props, "customRules");
    for (const rule of Array.isArray(customRules) ? customRules : []) {
      if (!sameText(valueAt(rule, "action"), "Allow")) continue;
      const conditions = valueAt(rule, "matchConditions");
      const list = Array.isArray(conditions) ? conditions : [];
      // Conditions are ANDed: a path test every path passes (every URI begins with, or contains, "/"; ".*") opens the
      // rule to everyone only when every other condition does too.
      const everyRequest = list.length > 0 && list.every((c) => sameText(valueAt(c, "operator"), "Any") || everyUri(c));
      const anyone =
        everyRequest ||
        list.some((c) => {
          // Operator Any matches every request, whatever its variables.
          if (sameText(valueAt(c, "operator"), "Any")) return true;
          const vars = valueAt(c, "matchVariables");
          const onAddress = (Array.isArray(vars) ? vars : []).some((v) =>
            oneOf(valueAt(v, "variableName"), ["RemoteAddr", "SocketAddr"]),
          );
          if (!onAddress || !sameText(valueAt(c, "operator"), "IPMatch")) return false;
          const values = stringsAt(c, "matchValues");
          // A negated address match allows everyone but the few it lists.
          if (valueAt(c, "negationConditon") === true) return values.length > 0;
          const wide = values.filter((v) => ipv4Range(v) !== undefined && v.includes("/"));
          const covered = wide.reduce((n, v) => n + 2 ** (32 - (ipv4Range(v)?.prefix ?? 32)), 0);
          return values.some(anyAddress) || covered >= 2 ** 30;
        });
      if (anyone) {
        report(
          `${who(args)} custom rule '${rule.name ?? "?"}' allows any client address or any request, which skips the managed rules for everyone: narrow its match conditions or remove the rule.`,
        );
      }
    }
  },
);

/** A WAF match condition on the request URI that every request satisfies (not negated). */
function everyUri(c: unknown): boolean {
  if (valueAt(c, "negationConditon") === true) return false;
  const vars = valueAt(c, "matchVariables");
  const onUri = (Array.isArray(vars) ? vars : []).some((v) => oneOf(valueAt(v, "variableName"), ["RequestUri"]));
  if (!onUri) return false;
  const values = stringsAt(c, "matchValues");
  const op = valueAt(c, "operator");
  if (oneOf(op, ["BeginsWith", "Contains"])) return values.some((v) => v === "/" || v === "");
  if (oneOf(op, ["Regex"])) return values.some((v) => /^\^?\.\*\$?$/.test(v) || v === "");
  return false;
}

/** Numeric comparison of dotted versions ("3.2" < "3.10"); non-numeric parts compare as 0. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const b = minimum.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

export const wafRuleSet = resourcePolicy<network.WebApplicationFirewallPolicyArgs>(
  {
    name: "azure-native-network-webapplicationfirewallpolicy-require-managed-rule-set",
    description:
      "WAF policies use a current managed rule set (OWASP CRS 3.2+ or Microsoft Default Rule Set 2.1+), without whole rule groups, more than a few rules of a group (`maxDisarmedRulesPerGroup`) or critical rules (e.g. Log4j 944240) disabled or set to an action that does not block, and without an exclusion that takes a whole request field (`EqualsAny`) away from every rule.",
    severity: "high",
    pci: ["6.4.1", "6.4.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.8"],
    service: "network",
    remediationSteps:
      'Add `managedRules.managedRuleSets: [{ ruleSetType: "Microsoft_DefaultRuleSet", ruleSetVersion: "2.1" }]` (or OWASP 3.2); in `ruleGroupOverrides` list individual rules (never a group without `rules`) and keep rules in `protectedRuleIds` `state: "Enabled"`.',
    url: "https://learn.microsoft.com/azure/web-application-firewall/ag/application-gateway-crs-rulegroups-rules",
    config: {
      minimumVersions: {
        type: "object",
        additionalProperties: { type: "string" },
        default: { OWASP: "3.2", Microsoft_DefaultRuleSet: "2.1" },
        description: "Accepted rule set types with their minimum version.",
      },
      protectedRuleIds: {
        type: "array",
        items: { type: "string" },
        default: ["944240"],
        description: "Managed rule ids that must never be disabled by an override.",
      },
      maxDisarmedRulesPerGroup: {
        type: "integer",
        minimum: 0,
        default: 3,
        description:
          "Most rules of one rule group an override may disable or set to an action that does not block (tuning a false positive names one or two); more disarms the group rule by rule, as disabling it whole would.",
      },
    },
  },
  WAF_POLICY,
  (props, args, report) => {
    const { minimumVersions, protectedRuleIds, maxDisarmedRulesPerGroup } = args.getConfig<{
      minimumVersions: Record<string, string>;
      protectedRuleIds: string[];
      maxDisarmedRulesPerGroup: number;
    }>();
    const sets = props.managedRules?.managedRuleSets ?? [];
    const current = sets.filter((s) => {
      const type = Object.keys(minimumVersions).find((t) => sameText(s.ruleSetType, t));
      return type !== undefined && versionAtLeast(String(s.ruleSetVersion), minimumVersions[type]);
    });
    if (current.length === 0) {
      const have = sets.map((s) => `${s.ruleSetType} ${s.ruleSetVersion}`).join(", ") || "none";
      report(
        `${who(args)} has no current managed rule set (has: ${have}): add managedRules.managedRuleSets with ${Object.entries(
          minimumVersions,
        )
          .map(([t, v]) => `${t} >= ${v}`)
          .join(" or ")}.`,
      );
    }
    for (const set of current) {
      for (const group of set.ruleGroupOverrides ?? []) {
        // An override without rules disables the whole group (Azure semantics).
        if ((group.rules ?? []).length === 0) {
          report(
            `${who(args)} disables the whole rule group '${group.ruleGroupName}' of ${set.ruleSetType} ${set.ruleSetVersion}: list the individual rules in ruleGroupOverrides[].rules instead.`,
          );
        }
        // An overridden rule's state absent = Disabled (Azure semantics); an action that does not block (Log, Allow)
        // disarms it as surely.
        const disarmed = (group.rules ?? []).filter(
          (r) => !sameText(r.state, "Enabled") || oneOf(r.action, ["Log", "Allow"]),
        );
        if (disarmed.length > maxDisarmedRulesPerGroup) {
          report(
            `${who(args)} disarms ${disarmed.length} rule${disarmed.length === 1 ? "" : "s"} of group '${group.ruleGroupName}' of ${set.ruleSetType} ${set.ruleSetVersion} (disabled, or Log/Allow: ${disarmed
              .slice(0, 5)
              .map((r) => r.ruleId)
              .join(
                ", ",
              )}${disarmed.length > 5 ? ", ..." : ""}), more than maxDisarmedRulesPerGroup (${maxDisarmedRulesPerGroup}): fix the false positives with exclusions scoped to the rules and fields that raise them, and keep the group's rules blocking.`,
          );
        }
        for (const rule of group.rules ?? []) {
          if (!protectedRuleIds.includes(String(rule.ruleId))) continue;
          if (!sameText(rule.state, "Enabled")) {
            report(
              `${who(args)} disables protected rule ${rule.ruleId} in group '${group.ruleGroupName}': set its state to "Enabled" or remove the override.`,
            );
          } else if (oneOf(rule.action, ["Log", "Allow"])) {
            report(
              `${who(args)} sets protected rule ${rule.ruleId} in group '${group.ruleGroupName}' to '${rule.action}', which does not block: remove the action (the rule set's default blocks) or set it to "Block"/"AnomalyScoring".`,
            );
          }
        }
      }
    }
    // An `EqualsAny` exclusion drops every value of that request field (all arguments, all headers, all cookies) from
    // inspection, and one without exclusionManagedRuleSets applies to every rule (application-gateway-waf-
    // configuration, "Exclusion lists"): the managed rules no longer see that field at all.
    for (const e of props.managedRules?.exclusions ?? []) {
      // Scoped to whole rule sets (a set without ruleGroups) it still reaches every rule of the set.
      const sets = e.exclusionManagedRuleSets ?? [];
      if (
        sameText(e.selectorMatchOperator, "EqualsAny") &&
        (sets.length === 0 || sets.some((r) => (r.ruleGroups ?? []).length === 0))
      ) {
        report(
          `${who(args)} excludes every ${e.matchVariable} value from every managed rule${sets.length > 0 ? " of a whole rule set" : ""} (selectorMatchOperator "EqualsAny" with no rule groups named): name the selector and scope the exclusion to the rules that need it.`,
        );
      }
    }
  },
);
