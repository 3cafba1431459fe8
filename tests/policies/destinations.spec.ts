import { strict as assert } from "node:assert";
import { POLICY_NAME } from "../../policies/lib/policy";
import { destinationPolicies, DESTINATIONS, foreignDestinations } from "../../policies/rules/destinations";
import { resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { armId } from "./fixtures/protection";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

const LAKE_ID = armId("Microsoft.Storage", "storageAccounts/stpaydevweulake");
const WORKSPACE_ID = armId("Microsoft.OperationalInsights", "workspaces/log-pay-dev-weu");
const NAMESPACE_ID = armId("Microsoft.EventHub", "namespaces/evhns-pay-dev-weu");
const FOREIGN = "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/x/providers";

/** The stack's own destinations, deployed (their ids known). */
const own = (): ResourceRecord[] => [
  resourceRecord("azure-native:storage:StorageAccount", "olap-lake", { id: LAKE_ID }),
  resourceRecord("azure-native:operationalinsights:Workspace", "platform-log", { id: WORKSPACE_ID }),
  resourceRecord("azure-native:eventhub:Namespace", "streaming-evhns", { id: NAMESPACE_ID }),
];
const synapse = (resourceId: string) =>
  resourceRecord("azure-native:synapse:Workspace", "olap-workspace", {
    defaultDataLakeStorage: { resourceId, accountUrl: "https://x.dfs.core.windows.net", filesystem: "synapse" },
  });
const setting = (inputs: Record<string, unknown>) =>
  resourceRecord("azure-native:monitor:DiagnosticSetting", "oltp-db-diag", { resourceUri: LAKE_ID, ...inputs });

describe("policies/destinations", () => {
  it("exports one well-named stack policy with metadata, over paths the SDK declares", () => {
    assert.equal(destinationPolicies.length, 1);
    for (const p of destinationPolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
    assert.ok(DESTINATIONS.length >= 10);
  });

  describe(foreignDestinations.name, () => {
    it("passes destinations that are the stack's resources, or below one (a namespace's authorization rule)", () =>
      expectPass(foreignDestinations, [
        ...own(),
        synapse(LAKE_ID.toUpperCase()),
        setting({ workspaceId: WORKSPACE_ID, eventHubAuthorizationRuleId: `${NAMESPACE_ID}/authorizationRules/send` }),
      ]));

    it("fails a default lake, a diagnostic workspace, a capture account, a private endpoint target or a partner server of another subscription", async () => {
      const cases: readonly [ResourceRecord, RegExp][] = [
        [
          synapse(`${FOREIGN}/Microsoft.Storage/storageAccounts/evil`),
          /olap-workspace .* \(defaultDataLakeStorage\.resourceId\)/,
        ],
        [
          setting({ workspaceId: `${FOREIGN}/Microsoft.OperationalInsights/workspaces/evil` }),
          /oltp-db-diag .* \(workspaceId\)/,
        ],
        [
          resourceRecord("azure-native:eventhub:EventHub", "streaming-evh", {
            captureDescription: {
              destination: { storageAccountResourceId: `${FOREIGN}/Microsoft.Storage/storageAccounts/evil` },
            },
          }),
          /\(captureDescription\.destination\.storageAccountResourceId\)/,
        ],
        [
          resourceRecord("azure-native:datafactory:ManagedPrivateEndpoint", "etl-mpe-lake", {
            properties: { privateLinkResourceId: `${FOREIGN}/Microsoft.Storage/storageAccounts/evil`, groupId: "blob" },
          }),
          /\(properties\.privateLinkResourceId\)/,
        ],
        [
          resourceRecord("azure-native:machinelearningservices:Workspace", "ml-workspace", {
            managedNetwork: {
              outboundRules: {
                exfil: {
                  type: "PrivateEndpoint",
                  destination: { serviceResourceId: `${FOREIGN}/Microsoft.Storage/storageAccounts/evil` },
                },
              },
            },
          }),
          /\(managedNetwork\.outboundRules\.exfil\.destination\.serviceResourceId\)/,
        ],
        [
          resourceRecord("azure-native:network:FlowLog", "platform-flowlog", {
            storageId: LAKE_ID,
            flowAnalyticsConfiguration: {
              networkWatcherFlowAnalyticsConfiguration: {
                enabled: true,
                workspaceResourceId: `${FOREIGN}/Microsoft.OperationalInsights/workspaces/evil`,
              },
            },
          }),
          /platform-flowlog .* \(flowAnalyticsConfiguration\.networkWatcherFlowAnalyticsConfiguration\.workspaceResourceId\)/,
        ],
        [
          resourceRecord("azure-native:operationalinsights:DataExport", "operations-export", {
            workspaceName: "log-pay-prod-weu",
            tableNames: ["AzureDiagnostics"],
            resourceId: `${FOREIGN}/Microsoft.Storage/storageAccounts/evil`,
          }),
          /operations-export .* \(resourceId\)/,
        ],
        [
          resourceRecord("azure-native:eventgrid:SystemTopicEventSubscription", "platform-kv-events-archive", {
            destination: { endpointType: "MonitorAlert", actionGroups: ["ag"] },
            deadLetterDestination: {
              endpointType: "StorageBlob",
              resourceId: `${FOREIGN}/Microsoft.Storage/storageAccounts/evil`,
              blobContainerName: "dl",
            },
          }),
          /platform-kv-events-archive .* \(deadLetterDestination\.resourceId\)/,
        ],
        [
          resourceRecord("azure-native:eventgrid:EventSubscription", "lake-events", {
            deliveryWithResourceIdentity: {
              identity: { type: "SystemAssigned" },
              destination: {
                endpointType: "EventHub",
                resourceId: `${FOREIGN}/Microsoft.EventHub/namespaces/evil/eventhubs/e`,
              },
            },
          }),
          /lake-events .* \(deliveryWithResourceIdentity\.destination\.resourceId\)/,
        ],
        [
          resourceRecord("azure-native:sql:FailoverGroup", "oltp-fog", {
            partnerServers: [{ id: `${FOREIGN}/Microsoft.Sql/servers/evil` }],
          }),
          /oltp-fog .* \(partnerServers\[0\]\.id\), which is not one of the stack's resources/,
        ],
      ];
      for (const [resource, pattern] of cases) await expectFail(foreignDestinations, [...own(), resource], pattern);
    });

    it("passes a foreign destination listed in allowedDestinations with a reason", () =>
      expectPass(
        foreignDestinations,
        [...own(), setting({ workspaceId: `${FOREIGN}/Microsoft.OperationalInsights/workspaces/soc` })],
        {
          allowedDestinations: [
            {
              pattern: `${FOREIGN}/microsoft.operationalinsights/workspaces/soc`,
              reason: "the SOC's central workspace (SEC-12)",
            },
          ],
        },
      ));

    it("is undecided on a destination unknown in a preview, or one a resource not created yet may be", async () => {
      await expectUndecided(foreignDestinations, [...own(), synapse(UNKNOWN)]);
      // Unknown but recorded as depending on a resource of the stack (workspaceId: workspace.id): the stack's own,
      // once the setting's other destinations are known (outputs where only workspaceId is unknown).
      const known = setting({});
      const wired = {
        ...known,
        outputs: { ...known.outputs, workspaceId: UNKNOWN },
        propertyDependencies: { workspaceId: [own()[1].urn] },
      };
      await expectPass(foreignDestinations, [...own(), wired]);
      // A setting created in a first preview: the provider answers every destination it was not given as unknown.
      await expectUndecided(foreignDestinations, [
        ...own(),
        { ...setting({ workspaceId: UNKNOWN }), propertyDependencies: wired.propertyDependencies },
      ]);
      const newLake = mutate(own()[0], "id", UNKNOWN);
      await expectUndecided(foreignDestinations, [newLake, synapse(LAKE_ID)]);
    });

    it("is not applicable to a stack that sends nothing anywhere", () =>
      expectNotApplicable(foreignDestinations, [...own(), otherResource()]));
  });
});
