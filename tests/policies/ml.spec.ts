import { strict as assert } from "node:assert";
import {
  mlCmk,
  mlComputeLocalAuth,
  mlComputePublicAccess,
  mlHbiWorkspace,
  mlManagedNetwork,
  mlPolicies,
  mlPublicNetwork,
} from "../../policies/rules/ml";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import * as f from "./fixtures/ml";
import { expectNotApplicable, expectPass, failCases, mutate, otherResource, UNKNOWN } from "./helpers";

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
    ]);
    failCases(mlComputePublicAccess, instance, [
      [
        "the instance's SSH port is public",
        "properties.properties.sshSettings.sshPublicAccess",
        "Enabled",
        /mlw-pay-dev-weu-ci-analyst .*set properties\.properties\.sshSettings\.sshPublicAccess to "Disabled"/,
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
});
