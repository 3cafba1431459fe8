/**
 * Edges of the platform, OLTP, NoSQL, OLAP and ML tiers that a second mutation audit found unasserted: who
 * administers the vaults, zone redundancy, firewalls that stay closed behind a disabled public endpoint, create-only
 * settings and wirings from config that could change without any other spec failing. Reads the shared previews.
 */
import { strict as assert } from "node:assert";
import { groupOwnership } from "../components/platform/identity";
import { BuiltInRoles } from "../components/shared";
import { SUBSCRIPTION_ID } from "../tools/lib/azureMocks";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import {
  byName,
  configOf,
  DEPLOY_PRINCIPAL_ID,
  input,
  ofType,
  previewEdited,
  previewOf,
  prodWithDeployPrincipalOf,
} from "./helpers/stacks";

const roleId = (guid: string) =>
  `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

for (const stack of ["dev", "prod"] as const) {
  describe(`tier edges 2 (${stack})`, () => {
    const prod = stack === "prod";
    let resources: ResourceRecord[];
    const one = (name: string) => byName(resources, name);

    before(async () => {
      resources = (await previewOf(stack)).run.resources;
    });

    describe("platform", () => {
      it("the platform admins group holds Key Vault Administrator on each vault, scoped to that vault alone", () => {
        const admins = ofType(resources, "azuread:index/group:Group").find((g) =>
          String(g.inputs.displayName).endsWith("-platform-admins"),
        );
        assert.ok(admins, "the platform admins group");
        for (const vault of ["platform-kv", "platform-kv-cosmos", "platform-kv-ml", "ml-kv"]) {
          const ra = one(`${vault}-ra-platform-admins-kv-admin`);
          assert.deepEqual(
            [ra.inputs.scope, ra.inputs.principalId, ra.inputs.principalType, ra.inputs.roleDefinitionId],
            [one(vault).id, admins.outputs.objectId, "Group", roleId(BuiltInRoles.KeyVaultAdministrator)],
            `${vault}: Key Vault Administrator (data plane: keys, rotation, recovery), not Contributor`,
          );
        }
      });

      it(`${prod ? "spreads the firewall and its public IP over the three availability zones" : "has no firewall"}`, () => {
        if (!prod) return assert.deepEqual(ofType(resources, "azure-native:network:AzureFirewall"), []);
        for (const name of ["platform-afw", "platform-afw-pip"])
          assert.deepEqual(one(name).inputs.zones, ["1", "2", "3"], `${name}: zone redundant`);
      });

      it("creates Entra groups that refuse a duplicate display name (a group's name says what it grants)", () => {
        const groups = ofType(resources, "azuread:index/group:Group");
        assert.equal(groups.length, 5);
        for (const g of groups) assert.equal(g.inputs.preventDuplicateNames, true, String(g.inputs.displayName));
      });

      it(
        prod
          ? "makes the deploy identity the created groups' sole owner with operations.deployPrincipalId (groupOwnership says what to warn without it)"
          : "leaves the created groups' owner to azuread without operations.deployPrincipalId, and says nothing in dev",
        async function () {
          this.timeout(120_000);
          const owners = (rs: readonly ResourceRecord[]) =>
            ofType(rs, "azuread:index/group:Group").map((g) => g.inputs.owners);
          assert.deepEqual(owners(resources), [undefined, undefined, undefined, undefined, undefined]);
          // Set at creation only: an `up` never rewrites an existing group's owners (Graph refuses to remove its last
          // user owner, so the handover of groups a person created stays a manual step).
          for (const g of ofType(resources, "azuread:index/group:Group"))
            assert.deepEqual(g.ignoreChanges, ["owners"], String(g.inputs.displayName));
          const cfg = configOf(stack);
          const warning = groupOwnership(cfg).warning;
          if (!prod) return assert.equal(warning, undefined);
          assert.match(
            warning ?? "",
            /^operations\.deployPrincipalId is not set: the Entra groups this stack creates are owned by whoever runs the first `pulumi up`/,
          );
          // Every group given by id: nothing created, nothing to say.
          const given = "11111111-2222-4333-8444-555555555555";
          assert.deepEqual(
            groupOwnership({
              ...cfg,
              platformAdminsGroupId: given,
              databaseAdminsGroupId: given,
              dataEngineersGroupId: given,
              analystsGroupId: given,
              fraudMlGroupId: given,
            }),
            {},
          );
          const withDeploy = (await prodWithDeployPrincipalOf()).run.resources;
          assert.deepEqual(owners(withDeploy), Array(5).fill([DEPLOY_PRINCIPAL_ID]));
        },
      );

      it("names every private endpoint's DNS zone group `default` (an endpoint has one; a rename replaces it)", () => {
        const zoneGroups = ofType(resources, "azure-native:network:PrivateDnsZoneGroup");
        assert.ok(zoneGroups.length > 20, `${zoneGroups.length} zone groups`);
        for (const z of zoneGroups) assert.equal(z.inputs.privateDnsZoneGroupName, "default", z.name);
      });
    });

    describe("oltp", () => {
      it("creates the database with the catalog collation the DDL expects (create-only)", () => {
        const db = one("oltp-db");
        assert.deepEqual(
          [db.inputs.collation, db.inputs.catalogCollation],
          ["SQL_Latin1_General_CP1_CI_AS", "SQL_Latin1_General_CP1_CI_AS"],
        );
      });
    });

    describe("nosql", () => {
      it("never takes the subscription's one free-tier account (create-only; billing assumes none)", () => {
        assert.equal(one("nosql-account").inputs.enableFreeTier, false);
      });
    });

    describe("olap", () => {
      it("classifies each workload group's member at the importance of its group (BI high, ETL normal)", () => {
        for (const key of ["bi", "etl"]) {
          const group = one(`olap-wg-${key}`);
          const classifier = one(`olap-wc-${key}`);
          assert.equal(classifier.inputs.importance, group.inputs.importance, `wc_${key}`);
        }
        assert.equal(one("olap-wc-bi").inputs.importance, "high");
      });

      it("encrypts every service of the lake with the account's (customer-managed) key, queues and tables included", () => {
        assert.deepEqual(input(one("olap-lake"), "encryption.services"), {
          blob: { enabled: true, keyType: "Account" },
          file: { enabled: true, keyType: "Account" },
          queue: { enabled: true, keyType: "Account" },
          table: { enabled: true, keyType: "Account" },
        });
      });
    });

    describe("ml", () => {
      it(`keeps the registry's firewall closed behind its disabled public endpoint, ${prod ? "zone redundant" : "in one zone"}, untagged images kept 30 days`, () => {
        const cr = one("ml-cr");
        assert.deepEqual(cr.inputs.networkRuleSet, { defaultAction: "Deny", ipRules: [] });
        assert.equal(cr.inputs.networkRuleBypassOptions, "AzureServices", "Microsoft's bypass for Azure ML");
        assert.equal(cr.inputs.zoneRedundancy, prod ? "Enabled" : "Disabled");
        assert.deepEqual(input(cr, "policies.retentionPolicy"), { status: "enabled", days: 30 });
      });

      it("turns the workspace's v1 legacy mode off (v1 APIs bypass the managed network's isolation)", () => {
        assert.equal(one("ml-workspace").inputs.v1LegacyMode, false);
      });
    });
  });
}

describe("tier edges 2: a stack that asks for a ledger database", () => {
  it("creates the OLTP database as a ledger database (the flag is read from config, never assumed off)", async function () {
    this.timeout(300_000);
    // dev's stack file with `sql.ledger: true`, as an operator would set it (irreversible: docs/configuration.md).
    const { run } = await previewEdited(
      "dev",
      (config) => ((config["payments-data-platform:sql"] as Record<string, unknown>).ledger = true),
      { deployedView: false, skipSchema: true },
    );
    assert.equal(byName(run.resources, "oltp-db").inputs.isLedgerOn, true);
  });
});
