import { strict as assert } from "node:assert";
import { foreignNetworkRules, networkRulePolicies } from "../../policies/rules/networkRules";
import { POLICY_NAME } from "../../policies/lib/policy";
import { resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { vault } from "./fixtures/keyvault";
import { virtualNetwork } from "./fixtures/network";
import { armId, TENANT } from "./fixtures/protection";
import { storageAccount } from "./fixtures/storage";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

const VNET_ID = armId("Microsoft.Network", "virtualNetworks/vnet-pay-dev-weu");
const SUBNET_ID = `${VNET_ID}/subnets/snet-app`;
const WORKSPACE_ID = armId("Microsoft.Synapse", "workspaces/synw-pay-dev-weu");
const FOREIGN_SUB = "11111111-2222-4333-8444-555555555555";
const FOREIGN_TENANT = "99999999-0000-4000-8000-000000000bad";
const FOREIGN_WORKSPACE = `/subscriptions/${FOREIGN_SUB}/resourceGroups/rg-x/providers/Microsoft.Synapse/workspaces/evil`;
const FOREIGN_SUBNET = `/subscriptions/${FOREIGN_SUB}/resourceGroups/rg-x/providers/Microsoft.Network/virtualNetworks/v/subnets/s`;

/** The VNet fixture deployed: its id known, so its inline subnets' ids are too. */
const vnet = (): ResourceRecord => {
  const v = virtualNetwork();
  return { ...v, outputs: { ...v.outputs, id: VNET_ID } };
};
const workspace = (): ResourceRecord =>
  resourceRecord("azure-native:synapse:Workspace", "olap-synapse", { location: "westeurope", id: WORKSPACE_ID });
/** The lake as the program declares it: public endpoint, deny by default, one instance rule for the workspace. */
const lake = (resourceId: string = WORKSPACE_ID, tenantId: string = TENANT): ResourceRecord =>
  mutate(mutate(storageAccount(), "publicNetworkAccess", "Enabled"), "networkRuleSet", {
    defaultAction: "Deny",
    bypass: "None",
    ipRules: [],
    resourceAccessRules: [{ tenantId, resourceId }],
  });
const stack = (...extra: ResourceRecord[]): ResourceRecord[] => [vault(), vnet(), workspace(), ...extra];

describe("policies/networkRules", () => {
  it("exports one well-named stack policy with metadata", () => {
    assert.equal(networkRulePolicies.length, 1);
    for (const p of networkRulePolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  describe(foreignNetworkRules.name, () => {
    it("passes the lake's instance rule for the stack's own workspace in the stack's tenant", async () => {
      await expectPass(foreignNetworkRules, stack(lake()));
    });

    it("passes virtual network rules naming the stack's subnets, on each service's own path", async () => {
      await expectPass(
        foreignNetworkRules,
        stack(
          mutate(storageAccount(), "networkRuleSet.virtualNetworkRules", [{ virtualNetworkResourceId: SUBNET_ID }]),
          mutate(vault(), "properties.networkAcls.virtualNetworkRules", [{ id: SUBNET_ID.toUpperCase() }]),
          resourceRecord("azure-native:cosmosdb:DatabaseAccount", "nosql-cosmos", {
            virtualNetworkRules: [{ id: `${SUBNET_ID}/` }],
          }),
          resourceRecord("azure-native:eventhub:NamespaceNetworkRuleSet", "streaming-evhns-net", {
            virtualNetworkRules: [{ subnet: { id: SUBNET_ID } }],
          }),
        ),
      );
    });

    it("fails an instance rule naming a workspace of another subscription", async () => {
      const r = await expectFail(
        foreignNetworkRules,
        stack(lake(FOREIGN_WORKSPACE)),
        /stpaydevweu .* admits the resource ".*\/workspaces\/evil" \(networkRuleSet\.resourceAccessRules\[0\]\.resourceId\), which is not one of the stack's own resources: .*allowedResources/,
      );
      assert.equal(r.urn, lake().urn);
    });

    it("fails an instance rule naming the stack's workspace in another tenant", async () => {
      await expectFail(
        foreignNetworkRules,
        stack(lake(WORKSPACE_ID, FOREIGN_TENANT)),
        /in the tenant "99999999-0000-4000-8000-000000000bad" \(networkRuleSet\.resourceAccessRules\[0\]\.tenantId\), not the stack's own \(00000000-0000-0000-0000-0000000000aa\)/,
      );
    });

    it("fails a tenant it cannot compare when the stack has no vault or identity, naming the knob", async () => {
      await expectFail(
        foreignNetworkRules,
        [vnet(), workspace(), lake()],
        /no Key Vault or user-assigned identity to tell its own tenant: list the tenant in allowedTenantIds/,
      );
      await expectPass(foreignNetworkRules, [vnet(), workspace(), lake()], { allowedTenantIds: [TENANT] });
    });

    it("fails a virtual network rule naming another subscription's subnet, on each service", async () => {
      const cases: readonly [ResourceRecord, RegExp][] = [
        [
          mutate(storageAccount(), "networkRuleSet.virtualNetworkRules", [
            { virtualNetworkResourceId: FOREIGN_SUBNET },
          ]),
          /networkRuleSet\.virtualNetworkRules\[0\]\.virtualNetworkResourceId/,
        ],
        [
          mutate(vault(), "properties.networkAcls.virtualNetworkRules", [{ id: FOREIGN_SUBNET }]),
          /properties\.networkAcls\.virtualNetworkRules\[0\]\.id/,
        ],
        [
          resourceRecord("azure-native:cosmosdb:DatabaseAccount", "nosql-cosmos", {
            virtualNetworkRules: [{ id: FOREIGN_SUBNET }],
          }),
          /nosql-cosmos .* \(virtualNetworkRules\[0\]\.id\)/,
        ],
        [
          resourceRecord("azure-native:keyvault:ManagedHsm", "platform-hsm", {
            properties: { networkAcls: { virtualNetworkRules: [{ id: FOREIGN_SUBNET }] } },
          }),
          /platform-hsm .* \(properties\.networkAcls\.virtualNetworkRules\[0\]\.id\)/,
        ],
        [
          resourceRecord("azure-native:eventhub:NamespaceNetworkRuleSet", "streaming-evhns-net", {
            virtualNetworkRules: [{ subnet: { id: FOREIGN_SUBNET } }],
          }),
          /streaming-evhns-net .* \(virtualNetworkRules\[0\]\.subnet\.id\)/,
        ],
      ];
      for (const [resource, path] of cases) {
        const r = await expectFail(
          foreignNetworkRules,
          resource.type === "azure-native:keyvault:Vault" ? [vnet(), workspace(), resource] : stack(resource),
          /admits the subnet ".*\/subnets\/s" .*which is not one of the stack's own subnets/,
        );
        assert.match(r.message, path);
      }
    });

    it("fails a Cosmos DB bypass resource id of another subscription, passes the stack's own", async () => {
      const cosmos = (id: string) =>
        resourceRecord("azure-native:cosmosdb:DatabaseAccount", "nosql-cosmos", {
          networkAclBypass: "AzureServices",
          networkAclBypassResourceIds: [id],
        });
      await expectPass(foreignNetworkRules, stack(cosmos(WORKSPACE_ID)));
      await expectFail(
        foreignNetworkRules,
        stack(cosmos(FOREIGN_WORKSPACE)),
        /nosql-cosmos .* admits the resource ".*\/workspaces\/evil" \(networkAclBypassResourceIds\[0\]\), which is not one of the stack's own resources/,
      );
      await expectUndecided(foreignNetworkRules, stack(cosmos(UNKNOWN)));
    });

    it("is undecided, not failed, while a stack resource the rule may name has no id yet (created by this update)", async () => {
      // The program builds the job's id from names (known in a preview) before the job exists.
      const newWorkspace = mutate(workspace(), "id", UNKNOWN);
      await expectUndecided(foreignNetworkRules, [vault(), vnet(), newWorkspace, lake()]);
      // A subnet of a VNet created by this update: its inline subnets' ids come from the VNet's.
      const newVnet = mutate(vnet(), "id", UNKNOWN);
      await expectUndecided(foreignNetworkRules, [
        vault(),
        newVnet,
        workspace(),
        mutate(storageAccount(), "networkRuleSet.virtualNetworkRules", [{ virtualNetworkResourceId: SUBNET_ID }]),
      ]);
    });

    it("passes a foreign resource or subnet listed in allowedResources with a reason, and its tenant in allowedTenantIds", async () => {
      const config = {
        allowedResources: [
          {
            pattern: `/subscriptions/${FOREIGN_SUB}/*`,
            reason: "the shared build agents of the platform subscription",
          },
        ],
        allowedTenantIds: [FOREIGN_TENANT],
      };
      await expectPass(foreignNetworkRules, stack(lake(FOREIGN_WORKSPACE, FOREIGN_TENANT)), config);
      // Without the tenant, the listed resource still fails on its tenant; a pattern of another subscription admits nothing.
      await expectFail(foreignNetworkRules, stack(lake(FOREIGN_WORKSPACE, FOREIGN_TENANT)), /not the stack's own/, {
        allowedResources: config.allowedResources,
      });
      await expectFail(foreignNetworkRules, stack(lake(FOREIGN_WORKSPACE)), /not one of the stack's own resources/, {
        allowedResources: [{ pattern: "/subscriptions/22222222-*", reason: "the shared build agents' subscription" }],
      });
    });

    it("is undecided while an instance rule's id or tenant, or a rule list, is unknown (a first preview)", async () => {
      await expectUndecided(foreignNetworkRules, stack(lake(UNKNOWN)));
      await expectUndecided(foreignNetworkRules, stack(lake(WORKSPACE_ID, UNKNOWN)));
      await expectUndecided(foreignNetworkRules, stack(mutate(storageAccount(), "networkRuleSet", UNKNOWN)));
    });

    it("is not applicable to a stack whose firewalls name no subnet or resource", async () => {
      await expectNotApplicable(foreignNetworkRules, [vault(), vnet(), storageAccount(), otherResource()]);
    });
  });
});
