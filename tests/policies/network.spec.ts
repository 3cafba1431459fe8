import { strict as assert } from "node:assert";
import {
  appGatewayHttp,
  appGatewayTls,
  appGatewayWaf,
  firewallThreatProtection,
  networkPolicies,
  nsgPublicInbound,
  nsgRestrictedPorts,
  peeringApproved,
  portRanges,
  perimeterAssociation,
  privateEndpointCoverage,
  subnetDefaultOutbound,
  subnetNsg,
  versionAtLeast,
  wafMode,
  wafRuleSet,
} from "../../policies/rules/network";
import { POLICY_NAME } from "../../policies/lib/policy";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import {
  appGateway,
  appGatewayNsg,
  firewallPolicy,
  HUB_VNET_ID,
  hubPeering,
  privateEndpointStack,
  securityRule,
  subnet,
  virtualNetwork,
  wafPolicy,
} from "./fixtures/network";
import { vault } from "./fixtures/keyvault";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, inStack, mutate, UNKNOWN } from "./helpers";

describe("policies/network", () => {
  it("exports well-named policies with metadata", () => {
    assert.equal(networkPolicies.length, 13);
    for (const p of networkPolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  describe("helpers", () => {
    it("portRanges parses single ports, ranges, lists and *", () => {
      assert.deepEqual(portRanges("443"), [[443, 443]]);
      assert.deepEqual(portRanges("65200-65535"), [[65200, 65535]]);
      assert.deepEqual(portRanges("80, 443"), [
        [80, 80],
        [443, 443],
      ]);
      assert.deepEqual(portRanges("*"), [[0, 65535]]);
      assert.deepEqual(portRanges("http"), [[0, 65535]]);
    });
    it("versionAtLeast compares numerically", () => {
      assert.equal(versionAtLeast("3.2", "3.2"), true);
      assert.equal(versionAtLeast("3.10", "3.2"), true);
      assert.equal(versionAtLeast("3.1", "3.2"), false);
      assert.equal(versionAtLeast("2.1", "2.1"), true);
      assert.equal(versionAtLeast("2", "2.1"), false);
    });
  });

  describe(subnetNsg.name, () => {
    it("passes the VNet (Azure-managed subnet exempt) and the standalone subnet with an unknown NSG id", async () => {
      await expectPass(subnetNsg, virtualNetwork());
      await expectPass(subnetNsg, subnet());
    });
    it("fails an inline subnet without an NSG", () =>
      expectFail(
        subnetNsg,
        mutate(virtualNetwork(), "subnets.0.networkSecurityGroup", undefined),
        /vnet-pay-dev-weu .*subnet 'snet-app' has no NSG: set networkSecurityGroup\.id/,
      ));
    it("fails a standalone subnet without an NSG", () =>
      expectFail(
        subnetNsg,
        mutate(subnet(), "networkSecurityGroup", undefined),
        /snet-pay-dev-weu-pep .*subnet 'snet-pep' has no NSG/,
      ));
    it("is not applicable to an exempt standalone subnet", () =>
      expectNotApplicable(
        subnetNsg,
        mutate(mutate(subnet(), "subnetName", "GatewaySubnet"), "networkSecurityGroup", undefined),
      ));
    it("honours exemptSubnetNames", () =>
      expectPass(subnetNsg, mutate(virtualNetwork(), "subnets.0.networkSecurityGroup", undefined), {
        exemptSubnetNames: ["snet-app", "AzureFirewallSubnet"],
      }));
    it("is not applicable to a VNet without inline subnets, or to NSGs", async () => {
      await expectNotApplicable(subnetNsg, mutate(virtualNetwork(), "subnets", undefined));
      await expectNotApplicable(subnetNsg, appGatewayNsg());
    });
  });

  describe(subnetDefaultOutbound.name, () => {
    it("passes the VNet and the subnet", async () => {
      await expectPass(subnetDefaultOutbound, virtualNetwork());
      await expectPass(subnetDefaultOutbound, subnet());
    });
    it("fails when defaultOutboundAccess is absent (Azure default true)", () =>
      expectFail(
        subnetDefaultOutbound,
        mutate(subnet(), "defaultOutboundAccess", undefined),
        /snet-pay-dev-weu-pep .*subnet 'snet-pep' has default outbound access: set defaultOutboundAccess to false/,
      ));
    it("fails an inline subnet with default outbound access", () =>
      expectFail(
        subnetDefaultOutbound,
        mutate(virtualNetwork(), "subnets.0.defaultOutboundAccess", true),
        /'snet-app'/,
      ));
    it("is not applicable to key vaults", () => expectNotApplicable(subnetDefaultOutbound, vault()));
  });

  describe(nsgPublicInbound.name, () => {
    it("passes the App Gateway NSG (443 from Internet allowed by default) and a private standalone rule", async () => {
      await expectPass(nsgPublicInbound, appGatewayNsg());
      await expectPass(nsgPublicInbound, securityRule());
    });
    it("fails SSH from the internet on an NSG rule", () =>
      expectFail(
        nsgPublicInbound,
        mutate(appGatewayNsg(), "securityRules.1.destinationPortRange", "22"),
        /nsg-pay-dev-weu-agw .*securityRules 'allow-https-internet' allows inbound Tcp from 'Internet' to port\(s\) 22/,
      ));
    it("fails a standalone rule open to 0.0.0.0/0", () =>
      expectFail(
        nsgPublicInbound,
        mutate(securityRule(), "sourceAddressPrefixes", ["10.0.0.0/8", "0.0.0.0/0"]),
        /nsgsr-pay-dev-weu-app-bastion .*rule allows inbound Tcp from '0\.0\.0\.0\/0' to port\(s\) 22,3389/,
      ));
    it("fails the internet split into wide CIDRs (a /7, or halves that add up to everything)", async () => {
      await expectFail(
        nsgPublicInbound,
        mutate(securityRule(), "sourceAddressPrefixes", ["0.0.0.0/1", "128.0.0.0/1"]),
        /rule allows inbound Tcp from '0\.0\.0\.0\/1', '128\.0\.0\.0\/1' to port\(s\) 22,3389/,
      );
      await expectFail(
        nsgPublicInbound,
        mutate(securityRule(), "sourceAddressPrefixes", ["20.0.0.0/7"]),
        /from '20\.0\.0\.0\/7'/,
      );
      // 64 /8s together are a quarter of the IPv4 space: as open as one /2.
      const quarter = Array.from({ length: 64 }, (_, i) => `${i + 1}.0.0.0/8`);
      await expectFail(
        nsgPublicInbound,
        mutate(securityRule(), "sourceAddressPrefixes", quarter),
        /rule allows inbound Tcp from '1\.0\.0\.0\/8', .*'64\.0\.0\.0\/8' to port\(s\) 22,3389/,
      );
      // Private ranges of ordinary width stay private.
      await expectPass(
        nsgPublicInbound,
        mutate(securityRule(), "sourceAddressPrefixes", ["10.20.0.0/16", "10.21.0.0/16"]),
      );
    });
    it("never takes a standalone rule's own name for its NSG's (an exception is the NSG's, by its name)", async () => {
      const https = mutate(
        mutate(mutate(securityRule(), "sourceAddressPrefixes", ["Internet"]), "destinationPortRanges", ["443"]),
        "networkSecurityGroupName",
        "nsg-pay-dev-weu-data",
      );
      await expectFail(
        nsgPublicInbound,
        { ...https, name: "agw-https-in", urn: https.urn.replace(/::[^:]+$/, "::agw-https-in") },
        /allows inbound Tcp from 'Internet' to port\(s\) 443/,
      );
      // On the gateway's NSG the same rule is the listener's exception.
      await expectPass(nsgPublicInbound, mutate(https, "networkSecurityGroupName", "nsg-pay-dev-weu-agw"));
    });
    it("fails a rule from AzureCloud or a regional AzureCloud tag (every Azure tenant's addresses)", async () => {
      await expectFail(
        nsgPublicInbound,
        mutate(securityRule(), "sourceAddressPrefixes", ["AzureCloud"]),
        /rule allows inbound Tcp from 'AzureCloud' to port\(s\) 22,3389/,
      );
      await expectFail(
        nsgPublicInbound,
        mutate(securityRule(), "sourceAddressPrefixes", ["AzureCloud.WestEurope"]),
        /from 'AzureCloud\.WestEurope'/,
      );
      // Other service tags stay private (the gateway's GatewayManager, the load balancer's probes).
      await expectPass(nsgPublicInbound, mutate(securityRule(), "sourceAddressPrefixes", ["AzureLoadBalancer"]));
    });
    it("fails a standalone rule open to IPv6 ::/0, which the default openSources names", async () => {
      await expectFail(
        nsgPublicInbound,
        mutate(securityRule(), "sourceAddressPrefixes", ["::/0"]),
        /rule allows inbound Tcp from '::\/0' to port\(s\) 22,3389/,
      );
      for (const p of [nsgPublicInbound, nsgRestrictedPorts]) {
        assert.ok((p.configSchema?.properties.openSources.default as string[]).includes("::/0"), p.name);
      }
    });
    it("reads direction and access case-insensitively (lower-case allow still fails)", () =>
      expectFail(
        nsgPublicInbound,
        mutate(
          mutate(mutate(securityRule(), "sourceAddressPrefixes", ["Internet"]), "access", "allow"),
          "direction",
          "inbound",
        ),
        /rule allows inbound Tcp from 'Internet' to port\(s\) 22,3389/,
      ));
    it("fails a rule with no source and no ASG (treated as *)", () =>
      expectFail(nsgPublicInbound, mutate(securityRule(), "sourceAddressPrefixes", undefined), /from '\*'/));
    it("fails Internet:443 on an NSG that does not match the allowed name pattern", () =>
      expectFail(
        nsgPublicInbound,
        { ...appGatewayNsg(), name: "nsg-pay-dev-weu-app" },
        /nsg-pay-dev-weu-app .*'allow-https-internet' allows inbound Tcp from 'Internet' to port\(s\) 443/,
      ));
    it("fails a range wider than the allowed one", () =>
      expectFail(
        nsgPublicInbound,
        mutate(appGatewayNsg(), "securityRules.1.destinationPortRange", "443-445"),
        /443-445/,
      ));
    it("fails any protocol when the exception is TCP only", () =>
      expectFail(
        nsgPublicInbound,
        mutate(appGatewayNsg(), "securityRules.1.protocol", "*"),
        /allows inbound \* from 'Internet'/,
      ));
    it("ignores deny and outbound rules", () =>
      expectPass(nsgPublicInbound, mutate(appGatewayNsg(), "securityRules.1", undefined)));
    it("honours allowedPublicInbound", () =>
      expectPass(nsgPublicInbound, mutate(appGatewayNsg(), "securityRules.1.destinationPortRange", "80"), {
        allowedPublicInbound: [{ source: "Internet", ports: "80,443", protocol: "Tcp", nsgNamePattern: "*-agw" }],
      }));
    it("honours openSources", () =>
      expectFail(nsgPublicInbound, appGatewayNsg(), /from 'AzureLoadBalancer'/, {
        openSources: ["*", "Internet", "AzureLoadBalancer"],
      }));
    it("rejects an allowedPublicInbound entry without ports", async () => {
      await assert.rejects(
        evaluatePolicy(nsgPublicInbound, appGatewayNsg(), { allowedPublicInbound: [{ source: "Internet" }] }),
        /allowedPublicInbound\[0\]\.ports is required/,
      );
    });
    it("is not applicable to subnets", () => expectNotApplicable(nsgPublicInbound, subnet()));
  });

  describe(nsgRestrictedPorts.name, () => {
    const open = (protocol: string, port: string, source = "Internet") =>
      mutate(
        mutate(
          mutate(appGatewayNsg(), "securityRules.1.protocol", protocol),
          "securityRules.1.destinationPortRange",
          port,
        ),
        "securityRules.1.sourceAddressPrefix",
        source,
      );
    it("passes HTTPS from the internet to the App Gateway and private sources on management ports", async () => {
      await expectPass(nsgRestrictedPorts, appGatewayNsg());
      await expectPass(nsgRestrictedPorts, securityRule()); // 22,3389 from private ranges only
      await expectPass(nsgRestrictedPorts, open("Tcp", "22", "VirtualNetwork"));
    });
    it("fails TCP from the internet to SSH", () =>
      expectFail(
        nsgRestrictedPorts,
        open("Tcp", "22"),
        /nsg-pay-dev-weu-agw .*securityRules 'allow-https-internet' allows inbound Tcp from 'Internet' to 22 \(SSH\): management and data ports/,
      ));
    it("fails UDP from the internet to the SQL Browser", () =>
      expectFail(
        nsgRestrictedPorts,
        open("Udp", "1434"),
        /allows inbound Udp from 'Internet' to 1433-1434 \(SQL Server/,
      ));
    it("fails any protocol (*) from any source to SQL", () =>
      expectFail(nsgRestrictedPorts, open("*", "1433", "*"), /allows inbound \* from '\*' to 1433-1434/));
    it("fails a port range that covers RDP", () =>
      expectFail(nsgRestrictedPorts, open("Tcp", "3000-4000"), /3389 \(RDP\)/));
    it("fails all ports (*) from 0.0.0.0/0, naming every restricted port", () =>
      expectFail(nsgRestrictedPorts, open("Tcp", "*", "0.0.0.0/0"), /to 22 \(SSH\), 23 \(Telnet\), 3389 \(RDP\),/));
    it("fails a standalone rule open to the internet on a data port", () =>
      expectFail(
        nsgRestrictedPorts,
        mutate(mutate(securityRule(), "sourceAddressPrefixes", ["Internet"]), "destinationPortRanges", ["5432"]),
        /rule allows inbound Tcp from 'Internet' to 5432 \(PostgreSQL\)/,
      ));
    it("is not lifted by the other rule's allowedPublicInbound exceptions", () =>
      expectFail(nsgRestrictedPorts, open("Tcp", "22"), /22 \(SSH\)/, {}));
    it("fails SSH from IPv6 ::/0, and an allow written in lower case", async () => {
      await expectFail(nsgRestrictedPorts, open("Tcp", "22", "::/0"), /allows inbound Tcp from '::\/0' to 22 \(SSH\)/);
      await expectFail(
        nsgRestrictedPorts,
        mutate(mutate(open("Tcp", "22"), "securityRules.1.access", "allow"), "securityRules.1.direction", "inbound"),
        /allows inbound Tcp from 'Internet' to 22 \(SSH\)/,
      );
    });
    it("ignores protocols without ports (ICMP) and deny rules", async () => {
      await expectPass(nsgRestrictedPorts, open("Icmp", "*"));
      await expectPass(nsgRestrictedPorts, mutate(open("Tcp", "22"), "securityRules.1.access", "Deny"));
    });
    it("honours restrictedPorts", () =>
      expectFail(nsgRestrictedPorts, appGatewayNsg(), /443 \(HTTPS\)/, {
        restrictedPorts: [{ ports: "443", service: "HTTPS" }],
      }));
    it("is not applicable to subnets", () => expectNotApplicable(nsgRestrictedPorts, subnet()));
  });

  describe(appGatewayWaf.name, () => {
    it("passes the compliant gateway", () => expectPass(appGatewayWaf, appGateway()));
    it("fails the Standard_v2 tier", () =>
      expectFail(
        appGatewayWaf,
        mutate(appGateway(), "sku", { name: "Standard_v2", tier: "Standard_v2" }),
        /agw-pay-dev-weu .*tier 'Standard_v2': set sku\.tier \(and sku\.name\) to "WAF_v2"/,
      ));
    it("fails without a WAF policy, flagging the legacy configuration", () =>
      expectFail(
        appGatewayWaf,
        mutate(mutate(appGateway(), "firewallPolicy", undefined), "webApplicationFirewallConfiguration", {
          enabled: true,
          firewallMode: "Prevention",
          ruleSetType: "OWASP",
          ruleSetVersion: "3.2",
        }),
        /agw-pay-dev-weu .*no WAF policy: set firewallPolicy\.id .*legacy/,
      ));
    it("is not applicable to WAF policies", () => expectNotApplicable(appGatewayWaf, wafPolicy()));
  });

  describe(appGatewayTls.name, () => {
    it("passes the compliant gateway", () => expectPass(appGatewayTls, appGateway()));
    it("fails without sslPolicy", () =>
      expectFail(appGatewayTls, mutate(appGateway(), "sslPolicy", undefined), /agw-pay-dev-weu .*has no sslPolicy/));
    it("fails an old predefined policy", () =>
      expectFail(
        appGatewayTls,
        mutate(appGateway(), "sslPolicy.policyName", "AppGwSslPolicy20150501"),
        /agw-pay-dev-weu .*sslPolicy uses 'AppGwSslPolicy20150501': set sslPolicy\.policyName/,
      ));
    it("fails a custom policy allowing TLS 1.1", () =>
      expectFail(
        appGatewayTls,
        mutate(appGateway(), "sslPolicy", { policyType: "Custom", minProtocolVersion: "TLSv1_1" }),
        /agw-pay-dev-weu .*sslPolicy allows 'TLSv1_1': set sslPolicy\.minProtocolVersion to "TLSv1_2"/,
      ));
    it("fails a custom TLS 1.2 policy with CBC or 3DES suites, passes one with ECDHE-GCM suites only", async () => {
      const custom = (cipherSuites: string[]) =>
        mutate(appGateway(), "sslPolicy", { policyType: "CustomV2", minProtocolVersion: "TLSv1_2", cipherSuites });
      await expectPass(
        appGatewayTls,
        custom(["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]),
      );
      await expectFail(
        appGatewayTls,
        custom(["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"]),
        /sslPolicy allows weak cipher suites TLS_RSA_WITH_3DES_EDE_CBC_SHA/,
      );
    });
    it("fails a weak SSL profile", () =>
      expectFail(
        appGatewayTls,
        mutate(appGateway(), "sslProfiles.0.sslPolicy.minProtocolVersion", "TLSv1_0"),
        /sslProfiles\[strict\]\.sslPolicy allows 'TLSv1_0'/,
      ));
    it("honours allowedPredefinedPolicies", () =>
      expectFail(appGatewayTls, appGateway(), /AppGwSslPolicy20220101S/, {
        allowedPredefinedPolicies: ["AppGwSslPolicy20220101"],
      }));
    it("is not applicable to NSGs", () => expectNotApplicable(appGatewayTls, appGatewayNsg()));
  });

  describe(appGatewayHttp.name, () => {
    const https = () => {
      let g = mutate(appGateway(), "httpListeners", [(appGateway().inputs.httpListeners as unknown[])[1]]);
      g = mutate(g, "requestRoutingRules", [(appGateway().inputs.requestRoutingRules as unknown[])[1]]);
      g = mutate(g, "redirectConfigurations", undefined);
      return mutate(g, "frontendPorts", [{ name: "port-443", port: 443 }]);
    };
    const redirects = { allowHttpRedirect: true };
    it("passes a gateway with HTTPS listeners only", () => expectPass(appGatewayHttp, https()));
    it("fails any HTTP listener by default, even one that only redirects (its request crossed in clear text)", () =>
      expectFail(
        appGatewayHttp,
        appGateway(),
        /agw-pay-dev-weu .*has HTTP listener 'listener-http': a client's request to it crosses the internet in clear text before any redirect answers/,
      ));
    it("passes an HTTP listener that redirects to the HTTPS listener where allowHttpRedirect allows it", () =>
      expectPass(appGatewayHttp, appGateway(), redirects));
    it("fails an HTTP listener routed to a backend pool, even with allowHttpRedirect", () =>
      expectFail(
        appGatewayHttp,
        mutate(
          mutate(appGateway(), "requestRoutingRules.0.redirectConfiguration", undefined),
          "requestRoutingRules.0.backendAddressPool",
          {
            id: "x/backendAddressPools/api",
          },
        ),
        /agw-pay-dev-weu .*HTTP listener 'listener-http' through rule 'rule-http' without a redirect to HTTPS/,
        redirects,
      ));
    it("fails a redirect to another HTTP listener", () =>
      expectFail(
        appGatewayHttp,
        mutate(appGateway(), "redirectConfigurations.0.targetListener.id", "x/httpListeners/listener-http"),
        /listener-http' through rule 'rule-http'/,
        redirects,
      ));
    it("passes a redirect to an https:// URL where allowed", async () => {
      let g = mutate(appGateway(), "redirectConfigurations.0.targetListener", undefined);
      g = mutate(g, "redirectConfigurations.0.targetUrl", "https://api.pay.example.eu");
      await expectPass(appGatewayHttp, g, redirects);
    });
    it("degrades to an advisory when listener ids are unknown during preview", async () => {
      const r = await evaluatePolicy(
        appGatewayHttp,
        mutate(appGateway(), "requestRoutingRules.0.httpListener.id", UNKNOWN),
        redirects,
      );
      assert.equal(r.violations.length, 1);
      assert.equal(r.violations[0].enforcementLevel, "advisory");
      assert.match(r.messages[0], /can't run policy .* during preview/);
    });
    it("is not applicable to WAF policies", () => expectNotApplicable(appGatewayHttp, wafPolicy()));
  });

  describe(wafMode.name, () => {
    it("passes the compliant policy", () => expectPass(wafMode, wafPolicy()));
    it("fails a disabled policy", () =>
      expectFail(
        wafMode,
        mutate(wafPolicy(), "policySettings.state", "Disabled"),
        /waf-pay-dev-weu .*'Disabled': set policySettings\.state to "Enabled"/,
      ));
    it("fails Detection mode by default", () =>
      expectFail(
        wafMode,
        mutate(wafPolicy(), "policySettings.mode", "Detection"),
        /waf-pay-dev-weu .*'Detection' mode: set policySettings\.mode to "Prevention"/,
      ));
    it("allows Detection with allowedModes", () =>
      expectPass(wafMode, mutate(wafPolicy(), "policySettings.mode", "Detection"), {
        allowedModes: ["Prevention", "Detection"],
      }));
    it("fails without request body inspection", () =>
      expectFail(
        wafMode,
        mutate(wafPolicy(), "policySettings.requestBodyCheck", undefined),
        /waf-pay-dev-weu .*set policySettings\.requestBodyCheck to true/,
      ));
    it("fails a custom Allow rule for any client address (it skips the managed rules), passes a narrow one", async () => {
      const allowRule = (values: string[]) =>
        mutate(wafPolicy(), "customRules", [
          {
            name: "allowPartners",
            priority: 10,
            ruleType: "MatchRule",
            action: "Allow",
            matchConditions: [
              { matchVariables: [{ variableName: "RemoteAddr" }], operator: "IPMatch", matchValues: values },
            ],
          },
        ]);
      await expectFail(wafMode, allowRule(["0.0.0.0/0"]), /custom rule 'allowPartners' allows any client address/);
      // Every IPv6 client is anyone too.
      await expectFail(wafMode, allowRule(["::/0"]), /custom rule 'allowPartners' allows any client address/);
      await expectFail(
        wafMode,
        allowRule(["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"]),
        /allows any client/,
      );
      await expectPass(wafMode, allowRule(["203.0.113.0/24"]));
      // A negated narrow match allows everyone else; operator Any matches every request.
      await expectFail(
        wafMode,
        mutate(allowRule(["192.0.2.1"]), "customRules.0.matchConditions.0.negationConditon", true),
        /allows any client/,
      );
      await expectFail(
        wafMode,
        mutate(allowRule(["192.0.2.1"]), "customRules.0.matchConditions.0.operator", "Any"),
        /allows any client/,
      );
      // Not over-reported: a Block rule however broad (it adds to the managed rules), and an Allow rule that matches on
      // something other than the client's address (a path, a header) with a non-Any operator.
      await expectPass(wafMode, mutate(allowRule(["0.0.0.0/0"]), "customRules.0.action", "Block"));
      await expectPass(
        wafMode,
        mutate(allowRule(["/health"]), "customRules.0.matchConditions.0", {
          matchVariables: [{ variableName: "RequestUri" }],
          operator: "BeginsWith",
          matchValues: ["/health"],
        }),
      );
      // Conditions are ANDed: a partner's address and any path is still the partner only.
      await expectPass(
        wafMode,
        mutate(allowRule(["203.0.113.7/32"]), "customRules.0.matchConditions.1", {
          matchVariables: [{ variableName: "RequestUri" }],
          operator: "BeginsWith",
          matchValues: ["/"],
        }),
      );
      // A path test every request passes is the WAF switched off too.
      for (const [operator, value] of [
        ["BeginsWith", "/"],
        ["Contains", "/"],
        ["Regex", ".*"],
      ])
        await expectFail(
          wafMode,
          mutate(allowRule(["/"]), "customRules.0.matchConditions.0", {
            matchVariables: [{ variableName: "RequestUri" }],
            operator,
            matchValues: [value],
          }),
          /custom rule 'allowPartners' allows any client address or any request/,
        );
    });
    it("is not applicable to gateways", () => expectNotApplicable(wafMode, appGateway()));
  });

  describe(wafRuleSet.name, () => {
    it("passes DRS 2.1 with a single-rule override", () => expectPass(wafRuleSet, wafPolicy()));
    it("fails an EqualsAny exclusion that takes a whole request field away from every rule; a scoped one passes", async () => {
      const everyArgument = { matchVariable: "RequestArgValues", selectorMatchOperator: "EqualsAny", selector: "*" };
      await expectFail(
        wafRuleSet,
        mutate(wafPolicy(), "managedRules.exclusions", [everyArgument]),
        /waf-pay-dev-weu .*excludes every RequestArgValues value from every managed rule/,
      );
      await expectFail(
        wafRuleSet,
        mutate(wafPolicy(), "managedRules.exclusions", [{ ...everyArgument, selectorMatchOperator: "equalsany" }]),
        /excludes every RequestArgValues value/,
      );
      // Scoped to a whole rule set, it still reaches every rule of the set.
      await expectFail(
        wafRuleSet,
        mutate(wafPolicy(), "managedRules.exclusions", [
          {
            ...everyArgument,
            exclusionManagedRuleSets: [{ ruleSetType: "Microsoft_DefaultRuleSet", ruleSetVersion: "2.1" }],
          },
        ]),
        /excludes every RequestArgValues value from every managed rule of a whole rule set/,
      );
      await expectPass(
        wafRuleSet,
        mutate(wafPolicy(), "managedRules.exclusions", [
          { matchVariable: "RequestArgNames", selectorMatchOperator: "Equals", selector: "returnUrl" },
          {
            ...everyArgument,
            exclusionManagedRuleSets: [
              {
                ruleSetType: "Microsoft_DefaultRuleSet",
                ruleSetVersion: "2.1",
                ruleGroups: [{ ruleGroupName: "SQLI", rules: [{ ruleId: "942440" }] }],
              },
            ],
          },
        ]),
      );
    });
    it("passes OWASP 3.2", () =>
      expectPass(
        wafRuleSet,
        mutate(wafPolicy(), "managedRules.managedRuleSets.0", { ruleSetType: "OWASP", ruleSetVersion: "3.2" }),
      ));
    it("fails OWASP 3.1", () =>
      expectFail(
        wafRuleSet,
        mutate(wafPolicy(), "managedRules.managedRuleSets.0", { ruleSetType: "OWASP", ruleSetVersion: "3.1" }),
        /waf-pay-dev-weu .*no current managed rule set \(has: OWASP 3\.1, Microsoft_BotManagerRuleSet 1\.0\): add managedRules\.managedRuleSets/,
      ));
    it("fails a whole rule group disabled", () =>
      expectFail(
        wafRuleSet,
        mutate(wafPolicy(), "managedRules.managedRuleSets.0.ruleGroupOverrides.0.rules", undefined),
        /waf-pay-dev-weu .*disables the whole rule group 'SQLI'/,
      ));
    it("fails a group disarmed rule by rule: more than maxDisarmedRulesPerGroup disabled or set to Log", async () => {
      const sqli = (rules: Record<string, unknown>[]) =>
        mutate(wafPolicy(), "managedRules.managedRuleSets.0.ruleGroupOverrides.0", { ruleGroupName: "SQLI", rules });
      const ids = ["942100", "942110", "942120", "942130"];
      // Three tuned rules (the default allowance) pass; a fourth, disabled or only logged, fails.
      await expectPass(wafRuleSet, sqli(ids.slice(0, 3).map((ruleId) => ({ ruleId, state: "Disabled" }))));
      await expectFail(
        wafRuleSet,
        sqli([
          ...ids.slice(0, 3).map((ruleId) => ({ ruleId, state: "Disabled" })),
          { ruleId: "942130", state: "Enabled", action: "Log" },
        ]),
        /waf-pay-dev-weu .*disarms 4 rules of group 'SQLI' of Microsoft_DefaultRuleSet 2\.1 \(disabled, or Log\/Allow: 942100, 942110, 942120, 942130\), more than maxDisarmedRulesPerGroup \(3\)/,
      );
      // Rules overridden to keep blocking do not count; the allowance is a knob.
      await expectPass(wafRuleSet, sqli(ids.map((ruleId) => ({ ruleId, state: "Enabled", action: "Block" }))));
      await expectFail(wafRuleSet, sqli([{ ruleId: "942100", state: "Disabled" }]), /disarms 1 rule of group 'SQLI'/, {
        maxDisarmedRulesPerGroup: 0,
      });
    });
    it("fails the Log4j rule disabled (state absent = Disabled)", () =>
      expectFail(
        wafRuleSet,
        mutate(wafPolicy(), "managedRules.managedRuleSets.0.ruleGroupOverrides.0", {
          ruleGroupName: "JAVA",
          rules: [{ ruleId: "944240", action: "Log" }],
        }),
        /waf-pay-dev-weu .*disables protected rule 944240 in group 'JAVA'/,
      ));
    it("fails the Log4j rule enabled but set to Log (it no longer blocks)", () =>
      expectFail(
        wafRuleSet,
        mutate(wafPolicy(), "managedRules.managedRuleSets.0.ruleGroupOverrides.0", {
          ruleGroupName: "JAVA",
          rules: [{ ruleId: "944240", state: "Enabled", action: "Log" }],
        }),
        /waf-pay-dev-weu .*sets protected rule 944240 in group 'JAVA' to 'Log', which does not block/,
      ));
    it("passes a protected rule overridden to Block or AnomalyScoring (it still blocks)", async () => {
      for (const action of ["Block", "AnomalyScoring"])
        await expectPass(
          wafRuleSet,
          mutate(wafPolicy(), "managedRules.managedRuleSets.0.ruleGroupOverrides.0", {
            ruleGroupName: "JAVA",
            rules: [{ ruleId: "944240", state: "Enabled", action }],
          }),
        );
    });
    it("honours minimumVersions", () =>
      expectFail(wafRuleSet, wafPolicy(), /Microsoft_DefaultRuleSet >= 2\.2/, {
        minimumVersions: { Microsoft_DefaultRuleSet: "2.2" },
      }));
    it("is not applicable to gateways", () => expectNotApplicable(wafRuleSet, appGateway()));
  });

  describe(firewallThreatProtection.name, () => {
    it("passes the Premium Deny policy, in prod too", async () => {
      await expectPass(firewallThreatProtection, firewallPolicy());
      await expectPass(firewallThreatProtection, firewallPolicy("prod"));
    });
    const firewall = (stack = "dev", props: Record<string, unknown> = {}) =>
      resourceRecord(
        "azure-native:network:AzureFirewall",
        "afw-pay-dev-weu",
        {
          resourceGroupName: "rg",
          location: "westeurope",
          sku: { name: "AZFW_VNet", tier: "Premium" },
          firewallPolicy: {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/firewallPolicies/afwp",
          },
          ...props,
        },
        { stack },
      );
    it("passes a Premium firewall that uses a policy, in prod too", async () => {
      await expectPass(firewallThreatProtection, firewall());
      await expectPass(firewallThreatProtection, firewall("prod"));
    });
    it("fails a firewall with classic rules (no policy), and a Standard firewall in prod", async () => {
      await expectFail(
        firewallThreatProtection,
        mutate(firewall(), "firewallPolicy", undefined),
        /afw-pay-dev-weu .*uses no firewall policy \(classic rules\): attach one with firewallPolicy\.id/,
      );
      await expectFail(
        firewallThreatProtection,
        mutate(firewall("prod"), "sku.tier", "Standard"),
        /afw-pay-dev-weu .*is Standard in a production stack: set sku\.tier to "Premium"/,
      );
      await expectPass(firewallThreatProtection, mutate(firewall(), "sku.tier", "Standard"));
    });
    it("fails threat intelligence left at the Alert default", () =>
      expectFail(
        firewallThreatProtection,
        mutate(firewallPolicy(), "threatIntelMode", undefined),
        /afwp-pay-dev-weu .*threat intelligence is 'Alert': set threatIntelMode to "Deny"/,
      ));
    it("fails IDPS off on Premium", () =>
      expectFail(
        firewallThreatProtection,
        mutate(firewallPolicy(), "intrusionDetection", undefined),
        /afwp-pay-dev-weu .*IDPS is 'Off': set intrusionDetection\.mode to "Deny"/,
      ));
    it("fails a Standard firewall in prod", () =>
      expectFail(
        firewallThreatProtection,
        mutate(firewallPolicy("prod"), "sku.tier", "Standard"),
        /afwp-pay-dev-weu .*not Premium in a production stack: set sku\.tier to "Premium"/,
      ));
    it("fails an IDPS bypass for any address, a signature turned off, and a wildcard threat-intel allow list", async () => {
      await expectFail(
        firewallThreatProtection,
        mutate(firewallPolicy(), "intrusionDetection.configuration.bypassTrafficSettings", [
          { name: "everything", protocol: "ANY", sourceAddresses: ["*"], destinationAddresses: ["*"] },
        ]),
        /IDPS bypass 'everything' skips inspection for any source/,
      );
      await expectPass(
        firewallThreatProtection,
        mutate(firewallPolicy(), "intrusionDetection.configuration.bypassTrafficSettings", [
          { name: "backup", protocol: "TCP", sourceAddresses: ["10.0.1.4"], destinationAddresses: ["10.0.2.0/28"] },
        ]),
      );
      await expectFail(
        firewallThreatProtection,
        mutate(firewallPolicy(), "intrusionDetection.configuration.signatureOverrides", [
          { id: "2024897", mode: "Off" },
        ]),
        /sets IDPS signature 2024897 to 'Off', which does not block/,
      );
      // Under Deny, Alert does not block either; a bypass named by IP groups only is specific; half-internet
      // prefixes and a whole top-level domain are not.
      await expectFail(
        firewallThreatProtection,
        mutate(firewallPolicy(), "intrusionDetection.configuration.signatureOverrides", [
          { id: "2024897", mode: "Alert" },
        ]),
        /sets IDPS signature 2024897 to 'Alert'/,
      );
      // A signature forced to Deny blocks: not reported.
      await expectPass(
        firewallThreatProtection,
        mutate(firewallPolicy(), "intrusionDetection.configuration.signatureOverrides", [
          { id: "2024897", mode: "Deny" },
        ]),
      );
      await expectPass(
        firewallThreatProtection,
        mutate(firewallPolicy(), "intrusionDetection.configuration.bypassTrafficSettings", [
          { name: "groups", protocol: "TCP", sourceIpGroups: [UNKNOWN], destinationIpGroups: ["/ipGroups/backup"] },
        ]),
      );
      await expectFail(
        firewallThreatProtection,
        mutate(firewallPolicy(), "intrusionDetection.configuration.bypassTrafficSettings", [
          {
            name: "halves",
            protocol: "ANY",
            sourceAddresses: ["0.0.0.0/1", "128.0.0.0/1"],
            destinationAddresses: ["10.0.0.4"],
          },
        ]),
        /IDPS bypass 'halves' skips inspection for any source/,
      );
      await expectFail(
        firewallThreatProtection,
        mutate(firewallPolicy(), "threatIntelWhitelist", { fqdns: ["*.com"] }),
        /exempts every address \(or a whole top-level domain\)/,
      );
      await expectFail(
        firewallThreatProtection,
        mutate(firewallPolicy(), "threatIntelWhitelist", { ipAddresses: ["*"] }),
        /exempts every address \(or a whole top-level domain\) from threat intelligence/,
      );
      // IPv6's any address, on either list.
      await expectFail(
        firewallThreatProtection,
        mutate(firewallPolicy(), "threatIntelWhitelist", { ipAddresses: ["::/0"] }),
        /exempts every address/,
      );
      await expectFail(
        firewallThreatProtection,
        mutate(firewallPolicy(), "intrusionDetection.configuration.bypassTrafficSettings", [
          { name: "v6", protocol: "ANY", sourceAddresses: ["::/0"], destinationAddresses: ["10.0.0.4"] },
        ]),
        /IDPS bypass 'v6' skips inspection for any source/,
      );
    });
    it("passes a Standard firewall outside premiumStacks", () =>
      expectPass(firewallThreatProtection, mutate(firewallPolicy("dev"), "sku.tier", "Standard")));
    it("honours allowedThreatIntelModes", () =>
      expectPass(firewallThreatProtection, mutate(firewallPolicy(), "threatIntelMode", "Alert"), {
        allowedThreatIntelModes: ["Alert", "Deny"],
      }));
    it("is not applicable to WAF policies", () => expectNotApplicable(firewallThreatProtection, wafPolicy()));
  });

  describe(peeringApproved.name, () => {
    const approved = { allowedRemoteVirtualNetworks: [HUB_VNET_ID] };
    it("passes a peering with an approved hub that offers no gateway transit", () =>
      expectPass(peeringApproved, hubPeering(), approved));
    it("matches the approved ids as case-insensitive globs", () =>
      expectPass(peeringApproved, hubPeering(), {
        allowedRemoteVirtualNetworks: [
          "/subscriptions/*/resourcegroups/RG-HUB/providers/Microsoft.Network/virtualNetworks/*",
        ],
      }));
    it("fails a peering no one approved (none is by default)", async () => {
      const r = await expectFail(
        peeringApproved,
        hubPeering(),
        /peering 'peer-to-hub' connects to .*vnet-hub-weu, which is not in allowedRemoteVirtualNetworks \(none approved\)/,
      );
      assert.equal(r.enforcementLevel, "mandatory");
    });
    it("fails a peering with another network than the approved ones", () =>
      expectFail(
        peeringApproved,
        mutate(hubPeering(), "remoteVirtualNetwork.id", HUB_VNET_ID.replace("vnet-hub-weu", "vnet-partner")),
        /connects to .*vnet-partner, which is not in allowedRemoteVirtualNetworks \(.*vnet-hub-weu\)/,
        approved,
      ));
    it("fails a peering that offers this network's gateway as a transit", () =>
      expectFail(peeringApproved, mutate(hubPeering(), "allowGatewayTransit", true), /allowGatewayTransit/, approved));
    it("fails a peering with no remote network", () =>
      expectFail(
        peeringApproved,
        mutate(hubPeering(), "remoteVirtualNetwork", undefined),
        /names no remote/,
        approved,
      ));
    it("cannot decide during preview when the peer's id is another resource's output", () =>
      expectUndecided(peeringApproved, mutate(hubPeering(), "remoteVirtualNetwork.id", UNKNOWN), approved));
    it("checks peerings declared inline on a virtual network", async () => {
      const inline = mutate(virtualNetwork(), "virtualNetworkPeerings", [
        { name: "peer-to-hub", remoteVirtualNetwork: { id: HUB_VNET_ID }, allowGatewayTransit: true },
      ]);
      await expectFail(peeringApproved, inline, /peering 'peer-to-hub' offers this network's gateway/, approved);
      await expectFail(
        peeringApproved,
        mutate(inline, "virtualNetworkPeerings.0.allowGatewayTransit", false),
        /peering 'peer-to-hub' connects to .*, which is not in allowedRemoteVirtualNetworks/,
      );
    });
    it("cannot decide during preview when the inline list or the transit flag is another resource's output", async () => {
      await expectUndecided(peeringApproved, mutate(virtualNetwork(), "virtualNetworkPeerings", UNKNOWN), approved);
      await expectUndecided(peeringApproved, mutate(hubPeering(), "allowGatewayTransit", UNKNOWN), approved);
    });
    it("is not applicable to a virtual network without inline peerings", () =>
      expectNotApplicable(peeringApproved, virtualNetwork()));
  });

  describe(privateEndpointCoverage.name, () => {
    it("passes when both services have an endpoint (by URN with unknown ids, and by id)", () =>
      expectPass(privateEndpointCoverage, privateEndpointStack().all));
    it("fails a vault without an endpoint, naming its URN", async () => {
      const { kv, st, stPe } = privateEndpointStack();
      const r = await expectFail(
        privateEndpointCoverage,
        [kv, st, stPe],
        /kv-pay-dev-weu \(urn:pulumi:dev::payments-data-platform::azure-native:keyvault:Vault::kv-pay-dev-weu\) has no private endpoint/,
      );
      assert.equal(r.violations[0].urn, kv.urn);
    });
    it("fails a storage account whose endpoint points elsewhere", () => {
      const { kv, st, kvPe, stPe } = privateEndpointStack();
      return expectFail(
        privateEndpointCoverage,
        [kv, st, kvPe, mutate(stPe, "privateLinkServiceConnections.0.privateLinkServiceId", "/subscriptions/x/other")],
        /stpaydevweu \(urn:.*StorageAccount::stpaydevweu\) has no private endpoint/,
      );
    });
    it("counts manual connections", () => {
      const { kv, st, kvPe, stPe } = privateEndpointStack();
      const manual = mutate(
        mutate(stPe, "privateLinkServiceConnections", undefined),
        "manualPrivateLinkServiceConnections",
        [{ name: "blob", privateLinkServiceId: st.outputs.id, groupIds: ["blob"] }],
      );
      return expectPass(privateEndpointCoverage, [kv, st, kvPe, manual]);
    });
    it("does not count an endpoint to a service whose name starts with this one's (an id prefix)", () => {
      const { kv, st, kvPe, stPe } = privateEndpointStack();
      const sibling = `${String(st.outputs.id)}archive`;
      return expectFail(
        privateEndpointCoverage,
        [kv, st, kvPe, mutate(stPe, "privateLinkServiceConnections.0.privateLinkServiceId", sibling)],
        /stpaydevweu \(urn:.*StorageAccount::stpaydevweu\) has no private endpoint/,
      );
    });
    it("matches the service's id case-insensitively, and an unknown id through the property dependency", async () => {
      const { kv, st, kvPe, stPe } = privateEndpointStack();
      const upper = String(st.outputs.id).toUpperCase();
      await expectPass(privateEndpointCoverage, [
        kv,
        st,
        kvPe,
        mutate(stPe, "privateLinkServiceConnections.0.privateLinkServiceId", upper),
      ]);
      // The vault's endpoint: its privateLinkServiceId is unknown, wired by URN; without the wiring it counts no more.
      await expectFail(
        privateEndpointCoverage,
        [kv, st, stPe, { ...kvPe, propertyDependencies: {}, dependencies: [kv.urn] }],
        /kv-pay-dev-weu .*has no private endpoint/,
      );
    });
    it("fails a Cosmos DB account, Event Hubs namespace or key vault without an endpoint (default resourceTypes)", async () => {
      for (const type of [
        "azure-native:cosmosdb:DatabaseAccount",
        "azure-native:eventhub:Namespace",
        "azure-native:keyvault:Vault",
      ]) {
        await expectFail(
          privateEndpointCoverage,
          [resourceRecord(type, "data-dev", { resourceGroupName: "rg" })],
          new RegExp(
            `data-dev \\(urn:pulumi:dev::payments-data-platform::${type}::data-dev\\) has no private endpoint`,
          ),
        );
      }
    });
    it("honours resourceTypes", () => {
      const { kv, st, stPe } = privateEndpointStack();
      return expectPass(privateEndpointCoverage, [kv, st, stPe], {
        resourceTypes: ["azure-native:storage:StorageAccount"],
      });
    });
    it("reports an exempted resource instead of a violation", async () => {
      const { kv, st, stPe } = privateEndpointStack();
      const r = await evaluatePolicy(privateEndpointCoverage, [kv, st, stPe], {
        exemptions: [{ pattern: "kv-pay-dev-*", reason: "RISK-12: dev vault reached from the build agent until 2027" }],
      });
      assert.deepEqual(r.messages, []);
      assert.equal(r.exemptions.length, 1);
      assert.equal(r.exemptions[0].urn, kv.urn);
    });
    it("is not applicable to a stack without data services", () =>
      expectNotApplicable(privateEndpointCoverage, [virtualNetwork(), inStack(subnet(), "dev")]));
  });

  describe(perimeterAssociation.name, () => {
    const nsp = { location: "westeurope", resourceGroupName: "rg-pay-dev-weu", networkSecurityPerimeterName: "nsp" };
    const perimeter = () => resourceRecord("azure-native:network:NetworkSecurityPerimeter", "nsp", { ...nsp });
    const internet = () =>
      resourceRecord("azure-native:network:NetworkSecurityPerimeterAccessRule", "nsp-internet", {
        ...nsp,
        profileName: "p",
        direction: "Inbound",
        addressPrefixes: ["0.0.0.0/0"],
      });
    const association = (accessMode?: string) =>
      resourceRecord(
        "azure-native:network:NetworkSecurityPerimeterAssociation",
        "nsp-sql",
        {
          ...nsp,
          ...(accessMode ? { accessMode } : {}),
          privateLinkResource: { id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-pay-dev" },
          profile: {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityPerimeters/nsp/profiles/p",
          },
        },
        // Deployed: the perimeter's name is a path input, not an output; the association's id names it.
        {
          id: "/subscriptions/s/resourceGroups/rg-pay-dev-weu/providers/Microsoft.Network/networkSecurityPerimeters/nsp/resourceAssociations/nsp-sql",
        },
      );
    it("passes a perimeter nothing is associated with (it governs nothing)", () =>
      expectPass(perimeterAssociation, [perimeter(), internet()]));
    it("fails an association, in Enforced mode or in the default Learning mode, even to a private-only server", async () => {
      await expectFail(
        perimeterAssociation,
        [perimeter(), internet(), association("Enforced")],
        /nsp-sql .*associates \/subscriptions\/s\/resourceGroups\/rg\/providers\/Microsoft\.Sql\/servers\/sql-pay-dev with network security perimeter "nsp" \(accessMode "Enforced"\): the perimeter's access rules.*remove the association/,
      );
      await expectFail(perimeterAssociation, [association()], /\(accessMode unset, "Learning" by default\)/);
    });
    it("is not applicable to a stack without a network security perimeter", () =>
      expectNotApplicable(perimeterAssociation, [virtualNetwork()]));
  });
});
