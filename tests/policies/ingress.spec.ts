import { strict as assert } from "node:assert";
import { POLICY_NAME } from "../../policies/lib/policy";
import {
  appGatewayClientCertificates,
  appGatewayKeyVaultCertificates,
  ingressPolicies,
  wafBotProtection,
  wafLogScrubbing,
  webCors,
  webRemoteDebugging,
} from "../../policies/rules/ingress";
import { appGateway, mtlsGateway, wafPolicy } from "./fixtures/network";
import { functionApp } from "./fixtures/streaming";
import { expectFail, expectNotApplicable, expectPass, failCases, mutate, otherResource } from "./helpers";

describe("policies/ingress", () => {
  it("exports well-named policies with metadata", () => {
    assert.equal(ingressPolicies.length, 6);
    for (const p of ingressPolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  describe(wafBotProtection.name, () => {
    it("passes a policy with the bot manager rule set", () => expectPass(wafBotProtection, wafPolicy()));
    it("is not applicable to other types", () => expectNotApplicable(wafBotProtection, otherResource()));
    failCases(wafBotProtection, wafPolicy(), [
      [
        "the bot manager rule set is missing",
        "managedRules.managedRuleSets.1",
        undefined,
        /waf-pay-dev-weu .*has no bot protection: add managedRules\.managedRuleSets \{ ruleSetType: "Microsoft_BotManagerRuleSet"/,
      ],
      [
        "the version is older than the minimum",
        "managedRules.managedRuleSets.1.ruleSetVersion",
        "0.1",
        /uses Microsoft_BotManagerRuleSet 0\.1: set ruleSetVersion to 1\.0 or later/,
      ],
      [
        "a whole bot rule group is disabled",
        "managedRules.managedRuleSets.1.ruleGroupOverrides",
        [{ ruleGroupName: "BadBots" }],
        /disables a whole bot manager rule group/,
      ],
    ]);
    it("fails a version below a stricter configured minimum", () =>
      expectFail(wafBotProtection, wafPolicy(), /set ruleSetVersion to 1\.1 or later/, { minimumVersion: "1.1" }));
  });

  describe(wafLogScrubbing.name, () => {
    it("passes a policy that scrubs every argument, header and cookie value", () =>
      expectPass(wafLogScrubbing, wafPolicy()));
    it("is not applicable to other types", () => expectNotApplicable(wafLogScrubbing, otherResource()));
    failCases(wafLogScrubbing, wafPolicy(), [
      [
        "log scrubbing is absent",
        "policySettings.logScrubbing",
        undefined,
        /waf-pay-dev-weu .*logs matched request data in clear text: set policySettings\.logScrubbing/,
      ],
      [
        "log scrubbing is disabled",
        "policySettings.logScrubbing.state",
        "Disabled",
        /logs matched request data in clear text/,
      ],
      [
        "JSON arguments are scrubbed only by name",
        "policySettings.logScrubbing.scrubbingRules.0",
        { matchVariable: "RequestJSONArgNames", selectorMatchOperator: "Equals", selector: "pan", state: "Enabled" },
        /does not scrub every RequestJSONArgNames from its logs/,
      ],
      [
        "the header rule is disabled",
        "policySettings.logScrubbing.scrubbingRules.3.state",
        "Disabled",
        /does not scrub every RequestHeaderNames/,
      ],
    ]);
    it("asks for the variables its config names", () =>
      expectFail(wafLogScrubbing, wafPolicy(), /does not scrub every RequestIPAddress/, {
        variables: ["RequestJSONArgNames", "RequestIPAddress"],
      }));
  });

  describe(appGatewayKeyVaultCertificates.name, () => {
    it("passes a versionless Key Vault secret read with a user-assigned identity", () =>
      expectPass(appGatewayKeyVaultCertificates, appGateway()));
    it("is not applicable to a gateway without TLS certificates", () =>
      expectNotApplicable(appGatewayKeyVaultCertificates, mutate(appGateway(), "sslCertificates", [])));
    failCases(appGatewayKeyVaultCertificates, appGateway(), [
      [
        "the certificate is embedded as a PFX",
        "sslCertificates.0",
        { name: "api", data: "MIIK...", password: "secret" },
        /agw-pay-dev-weu .*sslCertificates 'api' embeds the certificate: remove data\/password and set keyVaultSecretId/,
      ],
      [
        "no Key Vault secret is referenced",
        "sslCertificates.0.keyVaultSecretId",
        undefined,
        /sslCertificates 'api' has no keyVaultSecretId/,
      ],
      [
        "a secret version is pinned",
        "sslCertificates.0.keyVaultSecretId",
        "https://kv-pay-dev-weu-abcd.vault.azure.net/secrets/agw-api-tls/0123456789abcdef0123456789abcdef",
        /pins a secret version: use the versionless id/,
      ],
      ["the gateway has no identity", "identity", undefined, /reads Key Vault certificates without an identity/],
    ]);
  });

  describe(appGatewayClientCertificates.name, () => {
    const mtls = mtlsGateway;
    it("passes an HTTPS listener whose profile authenticates clients against a declared authority, with OCSP", () =>
      expectPass(appGatewayClientCertificates, mtls()));
    it("is not applicable to a gateway without HTTPS listeners", () =>
      expectNotApplicable(
        appGatewayClientCertificates,
        mutate(appGateway(), "httpListeners", [{ name: "listener-http", protocol: "Http" }]),
      ));
    it("is advisory: a listener for browsers cannot ask for certificates", () =>
      assert.equal(appGatewayClientCertificates.enforcementLevel, "advisory"));
    failCases(appGatewayClientCertificates, mtls(), [
      [
        "the HTTPS listener has no SSL profile",
        "httpListeners.1.sslProfile",
        undefined,
        /agw-pay-dev-weu .*HTTPS listener 'listener-https' asks no client certificate/,
      ],
      [
        "the profile has no client authentication",
        "sslProfiles.2.clientAuthConfiguration",
        undefined,
        /uses SSL profile 'merchant-mtls', which has no clientAuthConfiguration/,
      ],
      [
        "the profile trusts no authority",
        "sslProfiles.2.trustedClientCertificates",
        [],
        /must reference trusted client certificate authorities declared on the gateway/,
      ],
      [
        "the profile's authority is not declared on the gateway",
        "trustedClientCertificates",
        [],
        /must reference trusted client certificate authorities declared on the gateway/,
      ],
      [
        "revocation is not checked",
        "sslProfiles.2.clientAuthConfiguration.verifyClientRevocation",
        "None",
        /does not check revocation: set verifyClientRevocation to OCSP/,
      ],
      [
        "the issuer name is not verified",
        "sslProfiles.2.clientAuthConfiguration.verifyClientCertIssuerDN",
        false,
        /does not verify the issuer name/,
      ],
    ]);
  });

  describe(webRemoteDebugging.name, () => {
    it("passes the compliant function app (remote debugging off)", async () => {
      await expectPass(webRemoteDebugging, functionApp());
      await expectPass(webRemoteDebugging, mutate(functionApp(), "siteConfig.remoteDebuggingEnabled", false));
    });
    it("is not applicable to other types", () => expectNotApplicable(webRemoteDebugging, otherResource()));
    it("checks a deployment slot too", () => {
      const app = mutate(functionApp(), "siteConfig.remoteDebuggingEnabled", true);
      return expectFail(
        webRemoteDebugging,
        { ...app, type: "azure-native:web:WebAppSlot", urn: app.urn.replace("web:WebApp::", "web:WebAppSlot::") },
        /allows remote debugging/,
      );
    });
    failCases(webRemoteDebugging, functionApp(), [
      [
        "remote debugging is on",
        "siteConfig.remoteDebuggingEnabled",
        true,
        /func-pay-dev-weu .*allows remote debugging: set siteConfig\.remoteDebuggingEnabled to false/,
      ],
    ]);
  });

  describe(webCors.name, () => {
    it("passes no CORS block and exact HTTPS origins", async () => {
      await expectPass(webCors, functionApp());
      await expectPass(
        webCors,
        mutate(functionApp(), "siteConfig.cors", { allowedOrigins: ["https://dashboard.payments.example.com"] }),
      );
    });
    it("is not applicable to other types", () => expectNotApplicable(webCors, otherResource()));
    failCases(webCors, functionApp(), [
      [
        "any origin is allowed",
        "siteConfig.cors",
        { allowedOrigins: ["*"] },
        /func-pay-dev-weu .*allows any origin \('\*'\): list exact origins/,
      ],
      [
        "a wildcard subdomain is allowed",
        "siteConfig.cors",
        { allowedOrigins: ["https://*.example.com"] },
        /allows any origin \('https:\/\/\*\.example\.com'\)/,
      ],
      [
        "a plain-HTTP origin is allowed",
        "siteConfig.cors",
        { allowedOrigins: ["http://dashboard.example.com"] },
        /allows the plain-HTTP origin 'http:\/\/dashboard\.example\.com': use https:\/\/ origins only/,
      ],
    ]);
  });
});
