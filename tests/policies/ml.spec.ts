import { strict as assert } from "node:assert";
import {
  mlCmk,
  mlComputeLocalAuth,
  mlComputePublicAccess,
  mlHbiWorkspace,
  mlEndpointAuth,
  mlEndpointPublicNetwork,
  mlManagedNetwork,
  mlOutboundRules,
  mlPolicies,
  mlPublicNetwork,
} from "../../policies/rules/ml";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import * as f from "./fixtures/ml";
import { expectNotApplicable, expectPass, expectUndecided, failCases, mutate, otherResource, UNKNOWN } from "./helpers";

describe("policies/ml", () => {
  const ws = f.mlWorkspace();
  const cluster = f.mlCluster();
  const instance = f.mlInstance();

  it("exports uniquely named policies", () => {
    const names = mlPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => n.startsWith("azure-native-machinelearningservices-")));
  });

  describe(mlPublicNetwork.name, () => {
    it("passes the compliant workspace", () => expectPass(mlPublicNetwork, ws));
    failCases(mlPublicNetwork, ws, [
      [
        "publicNetworkAccess is unset (defaults to Enabled)",
        "publicNetworkAccess",
        undefined,
        /mlw-pay-dev-weu \(azure-native:machinelearningservices:Workspace\) allows public network access .*set publicNetworkAccess to "Disabled"/,
      ],
      [
        "public access is allowed behind the VNet",
        "allowPublicAccessWhenBehindVnet",
        true,
        /mlw-pay-dev-weu .*set allowPublicAccessWhenBehindVnet to false/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(mlPublicNetwork, otherResource()));
  });

  describe(mlManagedNetwork.name, () => {
    it("passes the compliant workspace", () => expectPass(mlManagedNetwork, ws));
    failCases(mlManagedNetwork, ws, [
      [
        "managedNetwork is unset",
        "managedNetwork",
        undefined,
        /mlw-pay-dev-weu .*managedNetwork\.isolationMode unset: set managedNetwork\.isolationMode to "AllowOnlyApprovedOutbound"/,
      ],
      [
        "internet outbound is allowed",
        "managedNetwork.isolationMode",
        "AllowInternetOutbound",
        /mlw-pay-dev-weu .*"AllowInternetOutbound": set managedNetwork\.isolationMode to "AllowOnlyApprovedOutbound"/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(mlManagedNetwork, cluster));
    it("cannot decide during a first preview when managedNetwork.isolationMode is unknown (advisory, not a pass)", () =>
      expectUndecided(mlManagedNetwork, mutate(ws, "managedNetwork.isolationMode", UNKNOWN)));
  });

  describe(mlCmk.name, () => {
    it("passes the compliant workspace", () => expectPass(mlCmk, ws));
    it("passes a key identifier that is unknown during preview", () =>
      expectPass(mlCmk, mutate(ws, "encryption.keyVaultProperties.keyIdentifier", UNKNOWN)));
    failCases(mlCmk, ws, [
      [
        "encryption status is Disabled",
        "encryption.status",
        "Disabled",
        /mlw-pay-dev-weu .*\(encryption\.status "Disabled"\): set encryption\.status to "Enabled"/,
      ],
      [
        "the key identifier is unset",
        "encryption.keyVaultProperties.keyIdentifier",
        undefined,
        /mlw-pay-dev-weu .*set encryption\.keyVaultProperties\.keyIdentifier/,
      ],
    ]);
    it("fails twice when encryption is unset", async () => {
      const r = await evaluatePolicy(mlCmk, mutate(ws, "encryption", undefined));
      assert.equal(r.messages.length, 2);
    });
    it("is not applicable to out-of-scope workspaces", () =>
      expectNotApplicable(mlCmk, mutate(mutate(ws, "encryption", undefined), "tags.pci-scope", "out-of-scope")));
    it("is not applicable to other types", () => expectNotApplicable(mlCmk, cluster));
  });

  describe(mlHbiWorkspace.name, () => {
    it("passes the compliant workspace", () => expectPass(mlHbiWorkspace, ws));
    failCases(mlHbiWorkspace, ws, [
      [
        "hbiWorkspace is unset",
        "hbiWorkspace",
        undefined,
        /mlw-pay-dev-weu .*\(hbiWorkspace unset\): set hbiWorkspace to true/,
      ],
    ]);
    it("honours inScopeTagValues", () =>
      expectNotApplicable(mlHbiWorkspace, mutate(ws, "hbiWorkspace", false), { inScopeTagValues: ["connected"] }));
    it("is not applicable to other types", () => expectNotApplicable(mlHbiWorkspace, cluster));
  });

  describe(mlComputeLocalAuth.name, () => {
    it("cannot decide during a first preview when properties.disableLocalAuth is unknown (advisory, not a pass)", () =>
      expectUndecided(mlComputeLocalAuth, mutate(cluster, "properties.disableLocalAuth", UNKNOWN)));
    it("passes the compliant cluster and instance", async () => {
      await expectPass(mlComputeLocalAuth, cluster);
      await expectPass(mlComputeLocalAuth, instance);
    });
    failCases(mlComputeLocalAuth, cluster, [
      [
        "disableLocalAuth is unset",
        "properties.disableLocalAuth",
        undefined,
        /mlw-pay-dev-weu-cpu-cluster .*\(properties\.disableLocalAuth unset\): set properties\.disableLocalAuth to true/,
      ],
    ]);
    failCases(mlComputeLocalAuth, instance, [
      [
        "an instance keeps local auth",
        "properties.disableLocalAuth",
        false,
        /mlw-pay-dev-weu-ci-analyst .*set properties\.disableLocalAuth to true/,
      ],
    ]);
    it("also applies to attached compute", () =>
      expectPass(
        mlComputeLocalAuth,
        resourceRecord("azure-native:machinelearningservices:Compute", "mlw-aks", {
          workspaceName: "mlw",
          resourceGroupName: "rg",
          properties: { computeType: "AKS", disableLocalAuth: true },
        }),
      ));
    it("is not applicable to other types", () => expectNotApplicable(mlComputeLocalAuth, ws));
  });

  describe(mlComputePublicAccess.name, () => {
    it("passes the compliant cluster and instance", async () => {
      await expectPass(mlComputePublicAccess, cluster);
      await expectPass(mlComputePublicAccess, instance);
    });
    failCases(mlComputePublicAccess, cluster, [
      [
        "the cluster has no subnet",
        "properties.properties.subnet",
        undefined,
        /mlw-pay-dev-weu-cpu-cluster .*not in a virtual network: set properties\.properties\.subnet\.id/,
      ],
      [
        "enableNodePublicIp is unset (defaults to true)",
        "properties.properties.enableNodePublicIp",
        undefined,
        /mlw-pay-dev-weu-cpu-cluster .*public IPs \(properties\.properties\.enableNodePublicIp unset\): set properties\.properties\.enableNodePublicIp to false/,
      ],
      [
        "the SSH port is public",
        "properties.properties.remoteLoginPortPublicAccess",
        "Enabled",
        /mlw-pay-dev-weu-cpu-cluster .*exposes SSH publicly .*set properties\.properties\.remoteLoginPortPublicAccess to "Disabled"/,
      ],
      [
        "the SSH port is public, spelt in lower case (the SDK's types take any string)",
        "properties.properties.remoteLoginPortPublicAccess",
        "enabled",
        /mlw-pay-dev-weu-cpu-cluster .*exposes SSH publicly/,
      ],
    ]);
    failCases(mlComputePublicAccess, instance, [
      [
        "the instance's SSH port is public",
        "properties.properties.sshSettings.sshPublicAccess",
        "Enabled",
        /mlw-pay-dev-weu-ci-analyst .*set properties\.properties\.sshSettings\.sshPublicAccess to "Disabled"/,
      ],
      [
        "the instance's SSH port is public, in lower case",
        "properties.properties.sshSettings.sshPublicAccess",
        "enabled",
        /mlw-pay-dev-weu-ci-analyst .*exposes SSH publicly/,
      ],
      [
        "the instance has no subnet",
        "properties.properties.subnet",
        undefined,
        /mlw-pay-dev-weu-ci-analyst .*set properties\.properties\.subnet\.id/,
      ],
    ]);
    it("treats NotSpecified SSH as closed only inside a subnet", async () => {
      await expectPass(
        mlComputePublicAccess,
        mutate(cluster, "properties.properties.remoteLoginPortPublicAccess", undefined),
      );
      const r = await evaluatePolicy(
        mlComputePublicAccess,
        mutate(
          mutate(cluster, "properties.properties.remoteLoginPortPublicAccess", "NotSpecified"),
          "properties.properties.subnet",
          undefined,
        ),
      );
      assert.equal(r.messages.length, 2);
      assert.match(r.messages[1], /exposes SSH publicly/);
    });
    it("honours requireSubnet (managed network workspaces)", () =>
      expectPass(mlComputePublicAccess, mutate(instance, "properties.properties.subnet", undefined), {
        requireSubnet: false,
      }));
    it("is not applicable to attached compute", () =>
      expectNotApplicable(
        mlComputePublicAccess,
        resourceRecord("azure-native:machinelearningservices:Compute", "mlw-aks", {
          workspaceName: "mlw",
          resourceGroupName: "rg",
          properties: { computeType: "AKS", disableLocalAuth: true },
        }),
      ));
    it("is not applicable to other types", () => expectNotApplicable(mlComputePublicAccess, ws));
  });

  describe(mlOutboundRules.name, () => {
    const rule = f.mlOutboundRule();
    it("passes the compliant workspace (private endpoint and specific service tag rules)", () =>
      expectPass(mlOutboundRules, ws));
    it("passes a reviewed FQDN listed in allowedFqdns (globs too)", async () => {
      await expectPass(mlOutboundRules, rule, { allowedFqdns: ["pypi.org"] });
      await expectPass(mlOutboundRules, mutate(rule, "properties.destination", "files.pythonhosted.org"), {
        allowedFqdns: ["*.pythonhosted.org"],
      });
    });
    it("passes a private endpoint target that is unknown during preview", () =>
      expectPass(
        mlOutboundRules,
        mutate(ws, "managedNetwork.outboundRules.fraud-features-cosmos.destination.serviceResourceId", UNKNOWN),
      ));
    failCases(mlOutboundRules, ws, [
      [
        "a service tag rule opens the internet",
        "managedNetwork.outboundRules.azure-monitor-tag.destination.serviceTag",
        "Internet",
        /mlw-pay-dev-weu .*outbound rule 'azure-monitor-tag' allows outbound traffic to "Internet": name a specific service tag/,
      ],
      [
        "a service tag rule lists 0.0.0.0/0",
        "managedNetwork.outboundRules.azure-monitor-tag.destination.addressPrefixes",
        ["0.0.0.0/0"],
        /outbound rule 'azure-monitor-tag' allows outbound traffic to "0\.0\.0\.0\/0"/,
      ],
      [
        "a service tag rule to AzureCloud (every Azure tenant's addresses)",
        "managedNetwork.outboundRules.azure-monitor-tag.destination.serviceTag",
        "AzureCloud.WestEurope",
        /outbound rule 'azure-monitor-tag' allows outbound traffic to "AzureCloud\.WestEurope"/,
      ],
      [
        "a service tag rule lists the internet in two halves",
        "managedNetwork.outboundRules.azure-monitor-tag.destination.addressPrefixes",
        ["0.0.0.0/1", "128.0.0.0/1"],
        /allows outbound traffic to "0\.0\.0\.0\/1", "128\.0\.0\.0\/1"/,
      ],
      [
        "a private endpoint rule names no target",
        "managedNetwork.outboundRules.fraud-features-cosmos.destination.serviceResourceId",
        undefined,
        /outbound rule 'fraud-features-cosmos' names no destination\.serviceResourceId/,
      ],
      [
        "the workspace allows an unreviewed FQDN inline",
        "managedNetwork.outboundRules.any-site",
        { type: "FQDN", destination: "*" },
        /outbound rule 'any-site' allows the FQDN "\*", which is not in allowedFqdns/,
      ],
    ]);
    failCases(mlOutboundRules, rule, [
      [
        "an outbound rule resource allows an FQDN that is not allowed",
        "properties.destination",
        "pypi.org",
        /pypi \(azure-native:machinelearningservices:OutboundRule\) allows the FQDN "pypi\.org", which is not in allowedFqdns/,
      ],
    ]);
    it("passes private address space, however wide, and narrow public prefixes", () =>
      expectPass(
        mlOutboundRules,
        mutate(ws, "managedNetwork.outboundRules.azure-monitor-tag.destination.addressPrefixes", [
          "10.0.0.0/8",
          "203.0.113.0/24",
        ]),
      ));
    it("is not applicable to a workspace without outbound rules of its own", () =>
      expectNotApplicable(mlOutboundRules, mutate(ws, "managedNetwork.outboundRules", undefined)));
    it("is not applicable to other types", () => expectNotApplicable(mlOutboundRules, cluster));
  });

  describe(mlEndpointPublicNetwork.name, () => {
    const endpoint = f.mlOnlineEndpoint();
    it("passes the compliant endpoint", () => expectPass(mlEndpointPublicNetwork, endpoint));
    it("cannot decide during a first preview when properties.publicNetworkAccess is unknown (advisory, not a pass)", () =>
      expectUndecided(mlEndpointPublicNetwork, mutate(endpoint, "properties.publicNetworkAccess", UNKNOWN)));
    failCases(mlEndpointPublicNetwork, endpoint, [
      [
        "publicNetworkAccess is unset (defaults to Enabled)",
        "properties.publicNetworkAccess",
        undefined,
        /fraud-pay-dev \(azure-native:machinelearningservices:OnlineEndpoint\) accepts scoring requests from the internet \(properties\.publicNetworkAccess unset\)/,
      ],
      [
        "public network access is Enabled",
        "properties.publicNetworkAccess",
        "Enabled",
        /"Enabled"\): set properties\.publicNetworkAccess to "Disabled"/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(mlEndpointPublicNetwork, ws));
  });

  describe(mlEndpointAuth.name, () => {
    const endpoint = f.mlOnlineEndpoint();
    it("passes Entra token auth", () => expectPass(mlEndpointAuth, endpoint));
    it("cannot decide during a first preview when properties.authMode is unknown (advisory, not a pass)", () =>
      expectUndecided(mlEndpointAuth, mutate(endpoint, "properties.authMode", UNKNOWN)));
    failCases(mlEndpointAuth, endpoint, [
      [
        "callers use static keys",
        "properties.authMode",
        "Key",
        /fraud-pay-dev .*authenticates callers with "Key": set properties\.authMode to "AADToken"/,
      ],
      [
        "callers use workspace-issued tokens",
        "properties.authMode",
        "AMLToken",
        /authenticates callers with "AMLToken"/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(mlEndpointAuth, ws));
  });
});
