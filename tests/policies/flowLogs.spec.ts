import { strict as assert } from "node:assert";
import { flowLogPolicies, vnetFlowLog } from "../../policies/rules/flowLogs";
import { POLICY_NAME } from "../../policies/lib/policy";
import { resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { virtualNetwork } from "./fixtures/network";
import { armId } from "./fixtures/protection";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  inStack,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

const VNET_ID = armId("Microsoft.Network", "virtualNetworks/vnet-pay-dev-weu");
const WORKSPACE_ID = armId("Microsoft.OperationalInsights", "workspaces/log-pay-dev-weu");

/** The VNet fixture with its id known (the deployed view). */
const vnet = (stack = "dev"): ResourceRecord => {
  const v = virtualNetwork(stack);
  return { ...v, id: VNET_ID, outputs: { ...v.outputs, id: VNET_ID } };
};

/** A compliant flow log of the VNet: enabled, 90 days, traffic analytics into the workspace. */
const flowLog = (stack = "dev", days = 90): ResourceRecord =>
  resourceRecord(
    "azure-native:network:FlowLog",
    "platform-flowlog",
    {
      networkWatcherName: "NetworkWatcher_westeurope",
      resourceGroupName: "NetworkWatcherRG",
      location: "westeurope",
      targetResourceId: VNET_ID,
      storageId: armId("Microsoft.Storage", "storageAccounts/stpaydevweuflow0000"),
      enabled: true,
      format: { type: "JSON", version: 2 },
      retentionPolicy: { enabled: true, days },
      flowAnalyticsConfiguration: {
        networkWatcherFlowAnalyticsConfiguration: {
          enabled: true,
          workspaceResourceId: WORKSPACE_ID,
          trafficAnalyticsInterval: 60,
        },
      },
    },
    { stack },
  );

describe("policies/flowLogs", () => {
  it("exports well-named policies with metadata", () => {
    assert.equal(flowLogPolicies.length, 1);
    for (const p of flowLogPolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  describe(vnetFlowLog.name, () => {
    it("passes a VNet whose flow log is enabled, keeps 90 days and feeds traffic analytics", () =>
      expectPass(vnetFlowLog, [vnet(), flowLog()]));

    it("passes a prod VNet whose flow log keeps 365 days, and one kept for ever (no retention, or 0 days)", async () => {
      await expectPass(vnetFlowLog, [vnet("prod"), flowLog("prod", 365)]);
      await expectPass(vnetFlowLog, [vnet("prod"), mutate(flowLog("prod"), "retentionPolicy.enabled", false)]);
      await expectPass(vnetFlowLog, [vnet("prod"), flowLog("prod", 0)]);
    });

    it("finds the flow log of a VNet whose id is not known yet by the dependency the engine records (first preview)", () => {
      const log = mutate(flowLog(), "targetResourceId", UNKNOWN);
      return expectPass(vnetFlowLog, [
        virtualNetwork(),
        { ...log, propertyDependencies: { targetResourceId: [virtualNetwork().urn] } },
      ]);
    });

    it("is not applicable to a stack without a virtual network", () =>
      expectNotApplicable(vnetFlowLog, [otherResource(), flowLog()]));

    it("fails a VNet without a flow log, naming it", async () => {
      const r = await expectFail(vnetFlowLog, [vnet(), otherResource()], /vnet-pay-dev-weu .* has no flow log/);
      assert.equal(r.urn, vnet().urn);
      // A flow log of another network does not count.
      await expectFail(
        vnetFlowLog,
        [vnet(), mutate(flowLog(), "targetResourceId", `${VNET_ID}-other`)],
        /has no flow log/,
      );
    });

    it("fails a flow log that is disabled", async () => {
      const r = await expectFail(
        vnetFlowLog,
        [vnet(), mutate(flowLog(), "enabled", false)],
        /platform-flowlog .*the flow log of vnet-pay-dev-weu, is not enabled \(enabled false: set it to true\)/,
      );
      assert.equal(r.urn, flowLog().urn);
    });

    it("fails a flow log kept less than 90 days, and less than 365 in prod", async () => {
      await expectFail(vnetFlowLog, [vnet(), flowLog("dev", 30)], /keeps its records 30 days .*at least 90/);
      await expectFail(vnetFlowLog, [vnet("prod"), flowLog("prod", 90)], /keeps its records 90 days .*at least 365/);
      // Another stack is not a production one unless the config says so.
      await expectPass(vnetFlowLog, [inStack(vnet(), "staging"), inStack(flowLog(), "staging")]);
      await expectFail(vnetFlowLog, [inStack(vnet(), "staging"), inStack(flowLog(), "staging")], /at least 365/, {
        prodStacks: ["prod", "staging"],
      });
    });

    it("fails a flow log without traffic analytics, or with it but no workspace, unless the config accepts storage only", async () => {
      const off = mutate(
        flowLog(),
        "flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration.enabled",
        false,
      );
      await expectFail(vnetFlowLog, [vnet(), off], /sends nothing to traffic analytics/);
      await expectFail(
        vnetFlowLog,
        [
          vnet(),
          mutate(
            flowLog(),
            "flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration.workspaceResourceId",
            undefined,
          ),
        ],
        /names no workspace for traffic analytics/,
      );
      await expectPass(vnetFlowLog, [vnet(), off], { requireTrafficAnalytics: false });
    });

    it("lists every problem of the flow log in one message, and passes when a second flow log does it all", async () => {
      const bad = mutate(mutate(flowLog("dev", 7), "enabled", false), "flowAnalyticsConfiguration", undefined);
      await expectFail(
        vnetFlowLog,
        [vnet(), bad],
        /is not enabled .*; keeps its records 7 days .*; sends nothing to traffic analytics/,
      );
      const good = resourceRecord("azure-native:network:FlowLog", "second-flowlog", flowLog().inputs);
      await expectPass(vnetFlowLog, [vnet(), bad, good]);
    });

    it("fails a flow log that records only what a filter keeps, unless the config accepts filtering", async () => {
      const filtered = mutate(flowLog(), "enabledFilteringCriteria", "Action == 'Deny'");
      await expectFail(
        vnetFlowLog,
        [vnet(), filtered],
        /records only the flows its filter keeps \(enabledFilteringCriteria "Action == 'Deny'": remove it\)/,
      );
      await expectPass(vnetFlowLog, [vnet(), filtered], { allowFiltering: true });
      await expectPass(vnetFlowLog, [vnet(), mutate(flowLog(), "enabledFilteringCriteria", "")]);
      // A first preview shows an unset filter as unknown (a computed output): only a known filter decides there; the
      // deployed view's evaluation (the "once deployed" verdict) sees the real value.
      await expectPass(vnetFlowLog, [vnet(), mutate(flowLog(), "enabledFilteringCriteria", UNKNOWN)]);
    });

    it("fails a subnet's flow log that overrides the VNet's with less (subnet > virtual network), naming the subnet", async () => {
      const subnetLog = (enabled: boolean) =>
        resourceRecord("azure-native:network:FlowLog", "subnet-flowlog", {
          ...flowLog().inputs,
          targetResourceId: `${VNET_ID}/subnets/snet-app`,
          enabled,
        });
      const r = await expectFail(
        vnetFlowLog,
        [vnet(), flowLog(), subnetLog(false)],
        /subnet-flowlog .*the flow log of a subnet of vnet-pay-dev-weu \(".*\/subnets\/snet-app"\), which overrides the VNet's there, is not enabled/,
      );
      assert.equal(r.urn, subnetLog(false).urn);
      await expectPass(vnetFlowLog, [vnet(), flowLog(), subnetLog(true)]);
      // A subnet's flow log alone does not cover the VNet.
      await expectFail(vnetFlowLog, [vnet(), subnetLog(true)], /vnet-pay-dev-weu .* has no flow log/);
    });

    it("cannot decide while the flow log's enabled flag or retention is unknown (first preview)", async () => {
      await expectUndecided(vnetFlowLog, [vnet(), mutate(flowLog(), "enabled", UNKNOWN)]);
      await expectUndecided(vnetFlowLog, [vnet(), mutate(flowLog(), "retentionPolicy.days", UNKNOWN)]);
    });

    it("takes the workspace while its id is unknown (a first preview) as named", () =>
      expectPass(vnetFlowLog, [
        vnet(),
        mutate(
          flowLog(),
          "flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration.workspaceResourceId",
          UNKNOWN,
        ),
      ]));

    it("drops an exempted VNet's violation and records the exemption", async () => {
      const r = await expectPass(vnetFlowLog, [vnet()], {
        exemptions: [{ pattern: "vnet-pay-dev-*", reason: "a lab network with no cardholder data (RISK-12)" }],
      });
      assert.deepEqual(
        r.exemptions.map((e) => e.urn),
        [vnet().urn],
      );
    });
  });
});
