/**
 * The internet-facing ingestion path (flow 1): what the App Gateway, WAF policy and function app rules in
 * network.ts and streaming.ts do not check yet — bot protection on the WAF, TLS certificates held in Key Vault (never
 * a PFX in the deployment state), and two function app hardening settings (remote debugging, CORS). PCI DSS 2.2,
 * 3.6/3.7 (keys held in a key store), 4.2.1, 6.4.2; GDPR Art. 32.
 */
import type { Policies } from "@pulumi/policy";
import type * as network from "@pulumi/azure-native/network";
import type * as web from "@pulumi/azure-native/web";
import { resourcePolicy } from "../lib/policy";
import { isSet, sameText, who } from "../lib/values";
import { versionAtLeast } from "./network";

const APP_GATEWAY = "azure-native:network:ApplicationGateway";
const WAF_POLICY = "azure-native:network:WebApplicationFirewallPolicy";
const WEB_APP = "azure-native:web:WebApp";
/** Deployment slots are sites of their own: the same rules apply. */
const WEB_SITES = [WEB_APP, "azure-native:web:WebAppSlot"];

export const wafBotProtection = resourcePolicy<network.WebApplicationFirewallPolicyArgs>(
  {
    name: "azure-native-network-webapplicationfirewallpolicy-require-bot-protection",
    description:
      "WAF policies include Microsoft's bot manager rule set, which blocks known-bad bots (credential stuffing, card testing) from threat intelligence.",
    severity: "high",
    pci: ["6.4.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "network",
    remediationSteps:
      'Add `{ ruleSetType: "Microsoft_BotManagerRuleSet", ruleSetVersion: "1.1" }` to `managedRules.managedRuleSets` (config `minimumVersion`).',
    url: "https://learn.microsoft.com/azure/web-application-firewall/ag/bot-protection-overview",
    config: {
      minimumVersion: { type: "string", default: "1.0", description: "Lowest accepted bot manager rule set version." },
    },
  },
  WAF_POLICY,
  (props, args, report) => {
    const { minimumVersion } = args.getConfig<{ minimumVersion: string }>();
    const sets = props.managedRules?.managedRuleSets ?? [];
    const bot = sets.find((s) => sameText(s.ruleSetType, "Microsoft_BotManagerRuleSet"));
    if (!bot) {
      report(
        `${who(args)} has no bot protection: add managedRules.managedRuleSets { ruleSetType: "Microsoft_BotManagerRuleSet", ruleSetVersion: "1.1" }.`,
      );
    } else if (!versionAtLeast(String(bot.ruleSetVersion), minimumVersion)) {
      report(
        `${who(args)} uses Microsoft_BotManagerRuleSet ${bot.ruleSetVersion}: set ruleSetVersion to ${minimumVersion} or later.`,
      );
    } else if ((bot.ruleGroupOverrides ?? []).some((g) => (g.rules ?? []).length === 0)) {
      report(`${who(args)} disables a whole bot manager rule group: override individual rules only.`);
    }
  },
);

/** What a WAF policy's log scrubbing must blank out by default: every value a request can carry a card number in. */
export const SCRUBBED_BY_DEFAULT = [
  "RequestJSONArgNames",
  "RequestArgNames",
  "RequestPostArgNames",
  "RequestHeaderNames",
  "RequestCookieNames",
];

export const wafLogScrubbing = resourcePolicy<network.WebApplicationFirewallPolicyArgs>(
  {
    name: "azure-native-network-webapplicationfirewallpolicy-require-log-scrubbing",
    description:
      "WAF policies scrub request values from their logs (log scrubbing enabled, every element of each required variable: `EqualsAny`), so that a triggered rule never writes a card number or personal data sent in an argument, header or cookie to the workspace in clear text.",
    severity: "high",
    // 3.5.1 covers PAN in "non-primary storage (backup, audit logs, exception, or troubleshooting logs)".
    pci: ["3.3.1", "3.5.1"],
    gdpr: ["5(1)(c)", "32(1)(a)"],
    soc2: ["CC6.1"],
    service: "network",
    remediationSteps:
      'Set `policySettings.logScrubbing` to `{ state: "Enabled", scrubbingRules: [...] }` with one enabled rule per required variable (config `variables`), `selectorMatchOperator: "EqualsAny"`.',
    url: "https://learn.microsoft.com/azure/web-application-firewall/ag/waf-sensitive-data-protection",
    config: {
      variables: {
        type: "array",
        items: { type: "string" },
        default: SCRUBBED_BY_DEFAULT,
        description: "Match variables whose every element must be scrubbed (ScrubbingRuleEntryMatchVariable values).",
      },
    },
  },
  WAF_POLICY,
  (props, args, report) => {
    const { variables } = args.getConfig<{ variables: string[] }>();
    const scrubbing = props.policySettings?.logScrubbing;
    // The service's default state is Enabled ("Default value is Enabled"), but without rules nothing is scrubbed.
    if (!scrubbing || sameText(scrubbing.state, "Disabled")) {
      report(
        `${who(args)} logs matched request data in clear text: set policySettings.logScrubbing { state: "Enabled", scrubbingRules } scrubbing ${variables.join(", ")} (EqualsAny).`,
      );
      return;
    }
    const rules = scrubbing.scrubbingRules ?? [];
    const missing = variables.filter(
      (v) =>
        !rules.some(
          (r) =>
            sameText(r.matchVariable, v) &&
            sameText(r.selectorMatchOperator, "EqualsAny") &&
            !sameText(r.state, "Disabled"),
        ),
    );
    if (missing.length > 0)
      report(
        `${who(args)} does not scrub every ${missing.join(", ")} from its logs: add an enabled scrubbing rule with selectorMatchOperator "EqualsAny" for each.`,
      );
  },
);

export const appGatewayKeyVaultCertificates = resourcePolicy<network.ApplicationGatewayArgs>(
  {
    name: "azure-native-network-applicationgateway-require-key-vault-certificate",
    description:
      "Application Gateway TLS certificates come from Key Vault through a managed identity (versionless secret id, so rotations are picked up); no certificate or password is embedded in the deployment.",
    severity: "high",
    pci: ["3.6.1", "3.7.1", "4.2.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1", "CC6.7"],
    service: "network",
    remediationSteps:
      'For each `sslCertificates[*]`, set `keyVaultSecretId` (e.g. `https://<vault>.vault.azure.net/secrets/<name>`) and remove `data` and `password`; give the gateway `identity: { type: "UserAssigned", userAssignedIdentities: [<id>] }` with Key Vault Secrets User on the secret.',
    url: "https://learn.microsoft.com/azure/application-gateway/key-vault-certs",
  },
  APP_GATEWAY,
  (props, args, report) => {
    const certs = props.sslCertificates ?? [];
    if (certs.length === 0) args.notApplicable("no TLS certificates");
    certs.forEach((cert, i) => {
      const name = cert.name ?? String(i);
      // data/password present (even secret) = a PFX in the program, its state and every template.
      if (cert.data !== undefined || cert.password !== undefined) {
        report(
          `${who(args)} sslCertificates '${name}' embeds the certificate: remove data/password and set keyVaultSecretId.`,
        );
      } else if (!isSet(cert, "keyVaultSecretId")) {
        report(`${who(args)} sslCertificates '${name}' has no keyVaultSecretId: reference the Key Vault secret.`);
      } else if (
        typeof cert.keyVaultSecretId === "string" &&
        /\/secrets\/[^/]+\/[0-9a-f]{32}$/i.test(cert.keyVaultSecretId)
      ) {
        report(
          `${who(args)} sslCertificates '${name}' pins a secret version: use the versionless id so Key Vault rotations are picked up.`,
        );
      }
    });
    const type = props.identity?.type;
    if (certs.some((c) => isSet(c, "keyVaultSecretId")) && (type === undefined || sameText(type, "None"))) {
      report(
        `${who(args)} reads Key Vault certificates without an identity: set identity to a user-assigned identity.`,
      );
    }
  },
);

/** The last segment of a sub-resource reference's id (its name), or undefined while the id is unknown. */
const refName = (ref: { id?: unknown } | undefined): string | undefined =>
  typeof ref?.id === "string" ? ref.id.split("/").pop() : undefined;

export const appGatewayClientCertificates = resourcePolicy<network.ApplicationGatewayArgs>(
  {
    name: "azure-native-network-applicationgateway-require-client-certificate-authentication",
    description:
      "HTTPS listeners authenticate their clients with certificates (mutual TLS: an SSL profile with client authentication, trusted client certificate authorities and a revocation check), so an API serving machine clients such as merchants knows who calls it. Advisory: a listener for browsers cannot ask for certificates.",
    severity: "high",
    pci: ["8.3.1", "8.6.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "network",
    enforcementLevel: "advisory",
    remediationSteps:
      'Add `trustedClientCertificates` (the issuing CA, base64 of its PEM file) and an `sslProfiles` entry with `clientAuthConfiguration: { verifyClientCertIssuerDN: true, verifyClientRevocation: "OCSP" }` referencing them; point each HTTPS listener\'s `sslProfile` at it (this program: `ingestion.gateway.merchantCertificateAuthorities`).',
    url: "https://learn.microsoft.com/azure/application-gateway/mutual-authentication-overview",
  },
  APP_GATEWAY,
  (props, args, report) => {
    const https = (props.httpListeners ?? []).filter((l) => sameText(l.protocol, "Https"));
    if (https.length === 0) args.notApplicable("no HTTPS listener");
    const profiles = new Map((props.sslProfiles ?? []).map((p) => [String(p.name), p]));
    const trusted = new Set((props.trustedClientCertificates ?? []).map((c) => String(c.name)));
    https.forEach((listener, i) => {
      const name = `${who(args)} HTTPS listener '${listener.name ?? i}'`;
      if (!isSet(listener, "sslProfile")) {
        report(`${name} asks no client certificate: reference an SSL profile with clientAuthConfiguration.`);
        return;
      }
      const profileName = refName(listener.sslProfile as { id?: unknown });
      if (profileName === undefined) return; // id unknown until deployed: nothing to decide on
      const profile = profiles.get(profileName);
      const auth = profile?.clientAuthConfiguration as
        { verifyClientCertIssuerDN?: unknown; verifyClientRevocation?: unknown } | undefined;
      const cas = ((profile?.trustedClientCertificates ?? []) as { id?: unknown }[]).map(refName);
      if (!profile || !auth) {
        report(
          `${name} uses SSL profile '${profileName}', which has no clientAuthConfiguration: clients are not authenticated.`,
        );
      } else if (cas.length === 0 || cas.some((c) => c !== undefined && !trusted.has(c))) {
        report(
          `${name}: SSL profile '${profileName}' must reference trusted client certificate authorities declared on the gateway (trustedClientCertificates).`,
        );
      } else if (!sameText(auth.verifyClientRevocation, "OCSP")) {
        report(`${name}: SSL profile '${profileName}' does not check revocation: set verifyClientRevocation to OCSP.`);
      } else if (auth.verifyClientCertIssuerDN !== true) {
        report(
          `${name}: SSL profile '${profileName}' does not verify the issuer name: set verifyClientCertIssuerDN to true.`,
        );
      }
    });
  },
);

export const webRemoteDebugging = resourcePolicy<web.WebAppArgs>(
  {
    name: "azure-native-web-webapp-disable-remote-debugging",
    description: "Web and function apps keep remote debugging off (it opens debugger ports into production code).",
    severity: "high",
    pci: ["2.2.4", "2.2.5"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "web",
    remediationSteps: "Set `siteConfig.remoteDebuggingEnabled: false` (or leave it unset).",
    url: "https://learn.microsoft.com/azure/app-service/overview-security",
  },
  WEB_SITES,
  (props, args, report) => {
    // Absent = false (the platform default); only an explicit true fails.
    if (props.siteConfig?.remoteDebuggingEnabled === true) {
      report(`${who(args)} allows remote debugging: set siteConfig.remoteDebuggingEnabled to false.`);
    }
  },
);

export const webCors = resourcePolicy<web.WebAppArgs>(
  {
    name: "azure-native-web-webapp-disallow-wildcard-cors",
    description:
      "Web and function apps allow cross-origin calls only from listed HTTPS origins: no wildcard origin, no plain-HTTP origin.",
    severity: "high",
    pci: ["6.2.4"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "web",
    remediationSteps:
      "List exact `https://` origins in `siteConfig.cors.allowedOrigins` (or leave `cors` unset: no cross-origin calls).",
    url: "https://learn.microsoft.com/azure/app-service/app-service-web-tutorial-rest-api#add-cors-functionality",
  },
  WEB_SITES,
  (props, args, report) => {
    // cors absent = no cross-origin calls allowed.
    for (const origin of props.siteConfig?.cors?.allowedOrigins ?? []) {
      if (typeof origin !== "string") continue;
      if (origin.includes("*")) {
        report(`${who(args)} allows any origin ('${origin}'): list exact origins in siteConfig.cors.allowedOrigins.`);
      } else if (/^http:\/\//i.test(origin)) {
        report(`${who(args)} allows the plain-HTTP origin '${origin}': use https:// origins only.`);
      }
    }
  },
);

export const ingressPolicies: Policies = [
  wafBotProtection,
  wafLogScrubbing,
  appGatewayKeyVaultCertificates,
  appGatewayClientCertificates,
  webRemoteDebugging,
  webCors,
];
