import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { policies } from "../../policies/policies";
import { APPLIES_TO } from "../../policies/lib/policy";
import { SDK_SWITCHES } from "../../policies/lib/sdkSwitches";
import {
  baselineLocalAuth,
  baselinePublicNetwork,
  baselineTls,
  OWN_LOCAL_AUTH_RULE,
  OWN_NETWORK_RULE,
  OWN_TLS_RULE,
  tls12OrLater,
} from "../../policies/rules/baseline";
import { currentSdkSwitches, SDK_SWITCHES_FILE } from "../../tools/sdkSwitches";
import { resourceRecord } from "../../tools/lib/policyRunner";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, otherResource, UNKNOWN } from "./helpers";

const rec = (type: string, inputs: Record<string, unknown>) =>
  resourceRecord(type, "new-tier", { location: "westeurope", ...inputs }, { stack: "prod" });

describe("policies: baseline switches on every type", () => {
  describe(baselinePublicNetwork.name, () => {
    it("passes a service whose public network access is Disabled, at the top, under properties or network", async () => {
      await expectPass(
        baselinePublicNetwork,
        rec("azure-native:servicebus:Namespace", { publicNetworkAccess: "Disabled" }),
      );
      await expectPass(
        baselinePublicNetwork,
        rec("azure-native:cognitiveservices:Account", { properties: { publicNetworkAccess: "Disabled" } }),
      );
      await expectPass(
        baselinePublicNetwork,
        rec("azure-native:dbforpostgresql:Server", { network: { publicNetworkAccess: "Disabled" } }),
      );
      // Deployments with no public data plane that cannot or need not say Disabled.
      for (const [type, inputs] of [
        ["azure-native:apimanagement:ApiManagementService", { virtualNetworkType: "Internal" }],
        ["azure-native:app:ManagedEnvironment", { vnetConfiguration: { internal: true } }],
        ["azure-native:containerservice:ManagedCluster", { apiServerAccessProfile: { enablePrivateCluster: true } }],
        ["azure-native:dbforpostgresql:Server", { network: { delegatedSubnetResourceId: "/subscriptions/0/x" } }],
        ["azure-native:compute:Disk", { networkAccessPolicy: "DenyAll" }],
        ["azure-native:automation:AutomationAccount", { publicNetworkAccess: false }],
        ["azure-native:hardwaresecuritymodules:CloudHsmCluster", {}],
      ] as const)
        await expectPass(baselinePublicNetwork, rec(type, inputs));
    });

    it("fails an open or unset switch (Azure's default is Enabled), naming the path", async () => {
      await expectFail(
        baselinePublicNetwork,
        rec("azure-native:servicebus:Namespace", { publicNetworkAccess: "Enabled" }),
        /^new-tier \(azure-native:servicebus:Namespace\) sets publicNetworkAccess to 'Enabled': set it to "Disabled"/,
      );
      await expectFail(
        baselinePublicNetwork,
        rec("azure-native:redis:Redis", {}),
        /leaves publicNetworkAccess unset, and Azure's default is Enabled/,
      );
      await expectFail(
        baselinePublicNetwork,
        rec("azure-native:dbforpostgresql:Server", { network: { publicNetworkAccess: "Enabled" } }),
        /sets network\.publicNetworkAccess to 'Enabled'/,
      );
      await expectFail(
        baselinePublicNetwork,
        rec("azure-native:apimanagement:ApiManagementService", { virtualNetworkType: "External" }),
        /leaves publicNetworkAccess unset/,
      );
      // Types that keep the switch one level down are judged when it is unset too; a boolean switch on is open.
      await expectFail(
        baselinePublicNetwork,
        rec("azure-native:cognitiveservices:Account", { kind: "OpenAI" }),
        /leaves publicNetworkAccess unset/,
      );
      await expectFail(
        baselinePublicNetwork,
        rec("azure-native:dbforpostgresql:Server", {}),
        /leaves publicNetworkAccess unset/,
      );
      await expectFail(
        baselinePublicNetwork,
        rec("azure-native:automation:AutomationAccount", { publicNetworkAccess: true }),
        /sets publicNetworkAccess to 'true'/,
      );
      await expectUndecided(
        baselinePublicNetwork,
        rec("azure-native:search:Service", { publicNetworkAccess: UNKNOWN }),
      );
    });

    it("is not applicable to a type without the switch, or one its own rule judges (a trusted-services vault)", async () => {
      await expectNotApplicable(baselinePublicNetwork, rec("azure-native:network:RouteTable", {}));
      await expectNotApplicable(
        baselinePublicNetwork,
        rec("azure-native:keyvault:Vault", { properties: { publicNetworkAccess: "Enabled" } }),
      );
      // A parent unknown during preview on a type that nests no switch there: not undecided.
      await expectNotApplicable(
        baselinePublicNetwork,
        rec("azure-native:alertsmanagement:AlertProcessingRuleByName", { properties: UNKNOWN }),
      );
    });
  });

  describe(baselineLocalAuth.name, () => {
    it("passes keys switched off, whichever switch the service has", async () => {
      for (const [type, inputs] of [
        ["azure-native:servicebus:Namespace", { disableLocalAuth: true }],
        ["azure-native:redis:Redis", { disableAccessKeyAuthentication: true }],
        ["azure-native:redisenterprise:Database", { accessKeysAuthentication: "Disabled" }],
        [
          "azure-native:dbforpostgresql:Server",
          { authConfig: { passwordAuth: "Disabled", activeDirectoryAuth: "Enabled" } },
        ],
        ["azure-native:containerservice:ManagedCluster", { disableLocalAccounts: true }],
        ["azure-native:batch:BatchAccount", { allowedAuthenticationModes: ["AAD", "TaskAuthenticationToken"] }],
        ["azure-native:cognitiveservices:Account", { properties: { disableLocalAuth: true } }],
        ["azure-native:signalrservice:SignalR", { disableLocalAuth: true, disableAadAuth: false }],
      ] as const)
        await expectPass(baselineLocalAuth, rec(type, inputs));
    });

    it("fails keys, SAS or passwords left on or unset, naming what to set", async () => {
      await expectFail(
        baselineLocalAuth,
        rec("azure-native:servicebus:Namespace", { disableLocalAuth: false }),
        /^new-tier \(azure-native:servicebus:Namespace\) sets disableLocalAuth to false, which keeps local keys or passwords on: set it to true\.$/,
      );
      await expectFail(
        baselineLocalAuth,
        rec("azure-native:appconfiguration:ConfigurationStore", {}),
        /^new-tier \(azure-native:appconfiguration:ConfigurationStore\) leaves disableLocalAuth unset, and Azure's default keeps keys on/,
      );
      await expectFail(
        baselineLocalAuth,
        rec("azure-native:redis:Redis", {}),
        /leaves disableAccessKeyAuthentication unset/,
      );
      // Another switch set does not stand in for the one that turns keys off.
      await expectFail(
        baselineLocalAuth,
        rec("azure-native:signalrservice:SignalR", { disableAadAuth: false }),
        /leaves disableLocalAuth unset/,
      );
      await expectFail(
        baselineLocalAuth,
        rec("azure-native:cognitiveservices:Account", { properties: {} }),
        /leaves properties\.disableLocalAuth unset/,
      );
      await expectFail(
        baselineLocalAuth,
        rec("azure-native:batch:BatchAccount", { allowedAuthenticationModes: ["SharedKey", "AAD"] }),
        /allowedAuthenticationModes .*: set it to a list without SharedKey\./,
      );
      await expectFail(
        baselineLocalAuth,
        rec("azure-native:dbforpostgresql:Server", { authConfig: { passwordAuth: "Enabled" } }),
        /authConfig\.passwordAuth to "Enabled"/,
      );
    });

    it("is not applicable to a type without keys, or one its own rule judges", async () => {
      await expectNotApplicable(baselineLocalAuth, rec("azure-native:network:VirtualNetwork", {}));
      await expectNotApplicable(baselineLocalAuth, rec("azure-native:eventhub:Namespace", { disableLocalAuth: false }));
    });
  });

  describe(baselineTls.name, () => {
    it("passes TLS 1.2 or later in any of the services' spellings", async () => {
      await expectPass(baselineTls, rec("azure-native:servicebus:Namespace", { minimumTlsVersion: "1.2" }));
      await expectPass(
        baselineTls,
        rec("azure-native:redis:Redis", { minimumTlsVersion: "1.2", enableNonSslPort: false }),
      );
      await expectPass(baselineTls, rec("azure-native:eventgrid:Topic", { minimumTlsVersionAllowed: "1.2" }));
      // Services that take nothing older than 1.2 whatever the input says.
      await expectPass(baselineTls, rec("azure-native:redisenterprise:RedisEnterprise", {}));
      await expectPass(baselineTls, rec("azure-native:eventgrid:Namespace", {}));
      for (const v of ["1.2", "1.3", "TLS1_2", "TLS1_3", "Tls12", "tls1.2"]) assert.ok(tls12OrLater(v), v);
      for (const v of ["1.0", "1.1", "TLS1_0", "Tls11", "", "12"]) assert.ok(!tls12OrLater(v), v);
    });

    it("fails an old or unset minimum version, and a plaintext port", async () => {
      await expectFail(
        baselineTls,
        rec("azure-native:servicebus:Namespace", { minimumTlsVersion: "1.0" }),
        /sets minimumTlsVersion to '1\.0': set it to TLS 1\.2 or later\./,
      );
      await expectFail(baselineTls, rec("azure-native:eventgrid:Topic", {}), /minimum TLS version unset/);
      await expectFail(
        baselineTls,
        rec("azure-native:redis:Redis", { minimumTlsVersion: "1.2", enableNonSslPort: true }),
        /opens its plaintext port \(enableNonSslPort\): set it to false\./,
      );
    });

    it("is not applicable to a type without a TLS setting, or one its own rule judges", async () => {
      await expectNotApplicable(baselineTls, otherResource());
      await expectNotApplicable(baselineTls, rec("azure-native:sql:Server", { minimalTlsVersion: "1.0" }));
    });
  });

  it("judges the switches the SDK keeps one level down (read from its input types), set or unset", async () => {
    await expectFail(
      baselinePublicNetwork,
      rec("azure-native:iothub:IotHubResource", { properties: {} }),
      /leaves publicNetworkAccess unset/,
    );
    await expectFail(
      baselinePublicNetwork,
      rec("azure-native:recoveryservices:Vault", { properties: { publicNetworkAccess: "Enabled" } }),
      /sets properties\.publicNetworkAccess to 'Enabled'/,
    );
    await expectPass(
      baselinePublicNetwork,
      rec("azure-native:dashboard:Grafana", { properties: { publicNetworkAccess: "Disabled" } }),
    );
    await expectFail(
      baselineLocalAuth,
      rec("azure-native:maps:Account", { properties: {} }),
      /leaves properties\.disableLocalAuth unset/,
    );
    await expectFail(
      baselineLocalAuth,
      rec("azure-native:dbforpostgresql:ServerGroupCluster", {}),
      /leaves authConfig\.passwordAuth unset/,
    );
    // A required `properties` (IoT DPS) and a union of input types (ML compute) are read too.
    await expectFail(
      baselinePublicNetwork,
      rec("azure-native:deviceprovisioningservices:IotDpsResource", { properties: { publicNetworkAccess: "Enabled" } }),
      /sets properties\.publicNetworkAccess to 'Enabled'/,
    );
    for (const t of [
      "azure-native:iothub:IotHubResource",
      "azure-native:mongocluster:MongoCluster",
      "azure-native:healthcareapis:Service",
      "azure-native:attestation:AttestationProvider",
    ])
      assert.ok((SDK_SWITCHES.publicNetworkAccessInProperties as readonly string[]).includes(t), t);
  });

  it("leaves to a type's own rule exactly the types it reads (lists kept in step with the pack)", () => {
    const tokens = [
      ...new Set([...Object.values(SDK_SWITCHES).flat(), ...OWN_NETWORK_RULE, ...OWN_LOCAL_AUTH_RULE, ...OWN_TLS_RULE]),
    ];
    const typesOf = (suffix: RegExp) =>
      tokens
        .filter((t) =>
          policies.some((p) => {
            if (!suffix.test(p.name) || p.name.startsWith("azure-native-general-")) return false;
            const applies = (p as { validateResource?: Record<string, (t: string) => boolean> }).validateResource?.[
              APPLIES_TO
            ];
            return applies !== undefined && !applies("azure-native:zzz:None") && applies(t);
          }),
        )
        .sort();
    assert.deepEqual(typesOf(/-disallow-public-network-access$/), [...OWN_NETWORK_RULE].sort());
    assert.deepEqual(typesOf(/-(disable-local-auth|disable-shared-key-access)$/), [...OWN_LOCAL_AUTH_RULE].sort());
    assert.deepEqual(
      typesOf(/-(enforce-minimum-tls-version|enforce-minimal-tls-version|enforce-tls-policy)$/),
      [...OWN_TLS_RULE].sort(),
    );
  });

  it("reads the SDK's switches from the installed azure-native (npm run policy:sdk-switches after an upgrade)", () => {
    assert.equal(fs.readFileSync(SDK_SWITCHES_FILE, "utf8"), currentSdkSwitches());
    for (const t of ["azure-native:servicebus:Namespace", "azure-native:redis:Redis", "azure-native:search:Service"])
      assert.ok((SDK_SWITCHES.publicNetworkAccess as readonly string[]).includes(t), t);
    assert.ok(
      (SDK_SWITCHES.localAuth as readonly string[]).includes("azure-native:appconfiguration:ConfigurationStore"),
    );
    assert.ok((SDK_SWITCHES.minimumTls as readonly string[]).includes("azure-native:eventgrid:Topic"));
  });
});
