import { strict as assert } from "node:assert";
import {
  synapseCmk,
  synapseEntraOnly,
  synapseExfiltration,
  synapseIpFirewallRule,
  synapseManagedVnet,
  synapseNoSqlPassword,
  synapsePolicies,
  synapsePublicNetwork,
  synapseSqlPoolTde,
  synapseSqlPoolTdePresent,
} from "../../policies/rules/synapse";
import { evaluatePolicy } from "../../tools/lib/policyRunner";
import * as f from "./fixtures/synapse";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  failCases,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

describe("policies/synapse", () => {
  const ws = f.synapseWorkspace();

  it("exports uniquely named policies", () => {
    const names = synapsePolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => n.startsWith("azure-native-synapse-")));
  });

  describe(synapsePublicNetwork.name, () => {
    it("passes the compliant workspace", () => expectPass(synapsePublicNetwork, ws));
    failCases(synapsePublicNetwork, ws, [
      [
        "publicNetworkAccess is unset (defaults to Enabled)",
        "publicNetworkAccess",
        undefined,
        /synw-pay-dev-weu \(azure-native:synapse:Workspace\) allows public network access .*set publicNetworkAccess to "Disabled"/,
      ],
      [
        "publicNetworkAccess is Enabled",
        "publicNetworkAccess",
        "Enabled",
        /synw-pay-dev-weu .*"Enabled"\): set publicNetworkAccess to "Disabled"/,
      ],
      [
        "trusted Azure services bypass its firewall",
        "trustedServiceBypassEnabled",
        true,
        /synw-pay-dev-weu .* lets trusted Azure services bypass its firewall \(trustedServiceBypassEnabled true\)/,
      ],
    ]);
    it("passes the bypass off or unset, is undecided while it is unknown", async () => {
      await expectPass(synapsePublicNetwork, mutate(ws, "trustedServiceBypassEnabled", false));
      await expectUndecided(synapsePublicNetwork, mutate(ws, "trustedServiceBypassEnabled", UNKNOWN));
    });
    it("is not applicable to other types", () => expectNotApplicable(synapsePublicNetwork, otherResource()));
  });

  describe(synapseManagedVnet.name, () => {
    it("passes the compliant workspace", () => expectPass(synapseManagedVnet, ws));
    failCases(synapseManagedVnet, ws, [
      [
        "managedVirtualNetwork is unset",
        "managedVirtualNetwork",
        undefined,
        /synw-pay-dev-weu .*no managed virtual network .*set managedVirtualNetwork to "default"/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(synapseManagedVnet, otherResource()));
  });

  describe(synapseExfiltration.name, () => {
    const tenant = "99999999-0000-0000-0000-000000000000";
    it("passes the compliant workspace", () => expectPass(synapseExfiltration, ws));
    failCases(synapseExfiltration, ws, [
      [
        "preventDataExfiltration is false",
        "managedVirtualNetworkSettings.preventDataExfiltration",
        false,
        /synw-pay-dev-weu .*set managedVirtualNetworkSettings\.preventDataExfiltration to true/,
      ],
      [
        "managedVirtualNetworkSettings is unset",
        "managedVirtualNetworkSettings",
        undefined,
        /synw-pay-dev-weu .*preventDataExfiltration to true/,
      ],
      [
        "an unapproved tenant may be linked",
        "managedVirtualNetworkSettings.allowedAadTenantIdsForLinking",
        [tenant],
        /synw-pay-dev-weu .*unapproved tenants 99999999-.*remove them from managedVirtualNetworkSettings\.allowedAadTenantIdsForLinking/,
      ],
    ]);
    it("honours allowedTenantIds", () =>
      expectPass(
        synapseExfiltration,
        mutate(ws, "managedVirtualNetworkSettings.allowedAadTenantIdsForLinking", [tenant]),
        {
          allowedTenantIds: [tenant.toUpperCase()],
        },
      ));
    it("is not applicable to other types", () => expectNotApplicable(synapseExfiltration, otherResource()));
  });

  describe(synapseCmk.name, () => {
    it("passes the compliant workspace", () => expectPass(synapseCmk, ws));
    it("passes a key URL that is unknown during preview", () =>
      expectPass(synapseCmk, mutate(ws, "encryption.cmk.key.keyVaultUrl", UNKNOWN)));
    it("accepts the system identity (kekIdentity unset)", () =>
      expectPass(synapseCmk, mutate(ws, "encryption.cmk.kekIdentity", undefined)));
    failCases(synapseCmk, ws, [
      [
        "encryption is unset",
        "encryption",
        undefined,
        /synw-pay-dev-weu .*no customer-managed key .*set encryption\.cmk\.key\.keyVaultUrl and encryption\.cmk\.key\.name/,
      ],
      [
        "the key has no vault URL",
        "encryption.cmk.key.keyVaultUrl",
        undefined,
        /encryption\.cmk\.key\.keyVaultUrl unset/,
      ],
      [
        "the key identity is missing",
        "encryption.cmk.kekIdentity.userAssignedIdentity",
        undefined,
        /synw-pay-dev-weu .*set encryption\.cmk\.kekIdentity\.userAssignedIdentity/,
      ],
    ]);
    it("is not applicable to out-of-scope workspaces", () =>
      expectNotApplicable(synapseCmk, mutate(mutate(ws, "encryption", undefined), "tags.pci-scope", "out-of-scope")));
    it("is not applicable to other types", () => expectNotApplicable(synapseCmk, otherResource()));
  });

  describe(synapseEntraOnly.name, () => {
    it("passes the compliant workspace", () => expectPass(synapseEntraOnly, ws));
    failCases(synapseEntraOnly, ws, [
      [
        "azureADOnlyAuthentication is unset",
        "azureADOnlyAuthentication",
        undefined,
        /synw-pay-dev-weu .*set azureADOnlyAuthentication to true/,
      ],
      [
        "azureADOnlyAuthentication is false",
        "azureADOnlyAuthentication",
        false,
        /synw-pay-dev-weu .*\(azureADOnlyAuthentication false\)/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(synapseEntraOnly, otherResource()));
  });

  describe(synapseNoSqlPassword.name, () => {
    it("passes the compliant workspace", () => expectPass(synapseNoSqlPassword, ws));
    failCases(synapseNoSqlPassword, ws, [
      [
        "a generated password is supplied",
        "sqlAdministratorLoginPassword",
        UNKNOWN,
        /synw-pay-dev-weu .*remove sqlAdministratorLoginPassword/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(synapseNoSqlPassword, otherResource()));
  });

  describe(synapseIpFirewallRule.name, () => {
    const rule = f.synapseIpFirewallRule();
    const allowed = { allowedCidrs: [f.SYNAPSE_FIREWALL_CIDR] };
    it("passes a rule inside allowedCidrs", () => expectPass(synapseIpFirewallRule, rule, allowed));
    it("fails any rule by default", () =>
      expectFail(
        synapseIpFirewallRule,
        rule,
        /synw-pay-dev-weu-fw-admin .*opens the public endpoint to 198\.51\.100\.1–198\.51\.100\.14.*delete the firewall rule/,
      ));
    failCases(
      synapseIpFirewallRule,
      rule,
      [
        [
          "it opens the whole internet",
          "startIpAddress",
          "0.0.0.0",
          /opens the public endpoint to 0\.0\.0\.0–198\.51\.100\.14/,
        ],
        ["startIpAddress is unset", "startIpAddress", undefined, /has no complete address range/],
      ],
      allowed,
    );
    it("is not applicable to other types", () => expectNotApplicable(synapseIpFirewallRule, ws));
  });

  describe(synapseSqlPoolTde.name, () => {
    const tde = f.synapseSqlPoolTde();
    it("passes the compliant resource", () => expectPass(synapseSqlPoolTde, tde));
    failCases(synapseSqlPoolTde, tde, [
      ["status is Disabled", "status", "Disabled", /syndp_pay_dev-tde .*"Disabled": set status to "Enabled"/],
      ["status is unset", "status", undefined, /syndp_pay_dev-tde .*status unset: set status to "Enabled"/],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(synapseSqlPoolTde, f.synapseSqlPool()));
  });

  describe(synapseSqlPoolTdePresent.name, () => {
    const pool = f.synapseSqlPool("prod");
    it("passes a pool with TDE enabled (matched by sqlPoolName)", () =>
      expectPass(synapseSqlPoolTdePresent, [ws, pool, f.synapseSqlPoolTde("prod")]));
    it("fails a pool without TDE, reporting its URN", async () => {
      const v = await expectFail(
        synapseSqlPoolTdePresent,
        [pool],
        /^syndp_pay_prod \(azure-native:synapse:SqlPool\) has no transparent data encryption: add an azure-native:synapse:SqlPoolTransparentDataEncryption/,
      );
      assert.equal(v.urn, pool.urn);
    });
    it("fails a pool whose TDE is disabled", () =>
      expectFail(
        synapseSqlPoolTdePresent,
        [pool, mutate(f.synapseSqlPoolTde("prod"), "status", "Disabled")],
        /turned off \(syndp_pay_prod-tde\)/,
      ));
    it("does not count a same-named pool's TDE in another workspace", () =>
      expectFail(
        synapseSqlPoolTdePresent,
        [pool, mutate(f.synapseSqlPoolTde("prod"), "workspaceName", "synw-pay-prod-neu")],
        /has no transparent data encryption/,
      ));
    it("is not applicable to a stack without dedicated SQL pools", () =>
      expectNotApplicable(synapseSqlPoolTdePresent, [ws, f.synapseSqlPoolTde("prod")]));
    it("only reports the pool that lacks TDE", async () => {
      const other = f.synapseSqlPool("prod", "syndp_pay_prod_archive");
      const v = await expectFail(
        synapseSqlPoolTdePresent,
        [pool, other, f.synapseSqlPoolTde("prod")],
        /^syndp_pay_prod_archive /,
      );
      assert.equal(v.urn, other.urn);
    });
    it("matches through propertyDependencies when sqlPoolName is unknown", () =>
      expectPass(synapseSqlPoolTdePresent, [
        pool,
        {
          ...mutate(f.synapseSqlPoolTde("prod"), "sqlPoolName", UNKNOWN),
          propertyDependencies: { sqlPoolName: [pool.urn] },
        },
      ]));
    it("is not applicable to a stack without dedicated SQL pools", async () => {
      const r = await evaluatePolicy(synapseSqlPoolTdePresent, [ws]);
      assert.equal(r.applicable, false);
    });
  });
});
