import { strict as assert } from "node:assert";
import { unknownCheckingProxy, type PolicyResource, type ResourceValidationArgs } from "@pulumi/policy";
import { AVERAGE_CALENDAR, isoDurationDays, KEY_VAULT_CALENDAR } from "../../policies/lib/duration";
import { checkExemption } from "../../policies/lib/exemptions";
import { firewallRangeProblem, firewallRuleProblem, ipv4, ipv4Range } from "../../policies/lib/network";
import {
  enforcedAssignments,
  listPointsAt,
  POLICY_ASSIGNMENT_TYPE,
  pointsAt,
  extensionScopeOf,
  kqlFiltersOn,
  logAlertWatches,
  stripKqlComments,
  references,
  refersTo,
  stackOfUrn,
  stringListKnob,
} from "../../policies/lib/policy";
import {
  inScopeKnob,
  inStacks,
  isProdStack,
  outOfScopeTag,
  prodStacksKnob,
  skipOutOfScope,
} from "../../policies/lib/scope";
import {
  globMatch,
  idPending,
  isSet,
  normaliseLocation,
  oneOf,
  presence,
  requireId,
  safeGet,
  sameText,
  show,
  stringsAt,
  valueAt,
  who,
} from "../../policies/lib/values";
import { resourceRecord } from "../../tools/lib/policyRunner";
import { mutate, UNKNOWN } from "./helpers";

/** A stack-policy resource as the engine passes it: outputs behind the unknown-checking proxy. */
function resource(
  name: string,
  props: Record<string, unknown>,
  deps: { dependencies?: PolicyResource[]; propertyDependencies?: Record<string, PolicyResource[]> } = {},
): PolicyResource {
  return {
    type: "azure-native:test:Resource",
    name,
    urn: `urn:pulumi:dev::p::azure-native:test:Resource::${name}`,
    props: unknownCheckingProxy(props),
    opts: {} as PolicyResource["opts"],
    dependencies: deps.dependencies ?? [],
    propertyDependencies: deps.propertyDependencies ?? {},
    isType: () => false,
    asType: () => undefined,
  } as PolicyResource;
}

/** Just enough of ResourceValidationArgs for the scope helpers. */
function validationArgs(urn: string, config: Record<string, unknown>) {
  return {
    urn,
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason}`);
    },
  } as unknown as ResourceValidationArgs;
}

describe("policies/lib", () => {
  describe("values", () => {
    const props = unknownCheckingProxy({
      a: UNKNOWN,
      b: "",
      c: null,
      d: "x",
      nested: { list: ["one", UNKNOWN, 3, "two"], deep: { value: UNKNOWN } },
    });

    it("isSet treats unknown values as set and empty values as unset", () => {
      const props = unknownCheckingProxy({ a: UNKNOWN, b: "", c: null, d: "x" });
      assert.equal(isSet(props, "a"), true);
      assert.equal(isSet(props, "b"), false);
      assert.equal(isSet(props, "c"), false);
      assert.equal(isSet(props, "d"), true);
      assert.equal(isSet(props, "missing"), false);
      assert.equal(isSet(undefined, "a"), false);
    });
    it("presence tells absent, unknown and set apart along a path", () => {
      assert.equal(presence(props, "a"), "unknown");
      assert.equal(presence(props, "b"), "absent");
      assert.equal(presence(props, "c"), "absent");
      assert.equal(presence(props, "d"), "set");
      assert.equal(presence(props, "nested", "deep", "value"), "unknown");
      assert.equal(presence(props, "nested", "missing", "value"), "absent");
      assert.equal(presence(props, "d", "length"), "absent", "a string has no properties");
      assert.equal(presence(undefined, "a"), "absent");
    });
    it("valueAt and safeGet read unknowns as undefined, never throwing", () => {
      assert.equal(valueAt(props, "a"), undefined);
      assert.equal(valueAt(props, "d"), "x");
      assert.equal(valueAt(props, "nested", "deep", "value"), undefined);
      assert.equal(valueAt(props, "d", "length"), undefined);
      assert.equal(safeGet(props, "a"), undefined);
      assert.equal(safeGet(undefined, "a"), undefined);
    });
    it("stringsAt keeps the known strings of a list", () => {
      assert.deepEqual(stringsAt(props, "nested", "list"), ["one", "two"]);
      assert.deepEqual(stringsAt(props, "d"), []);
      assert.deepEqual(stringsAt(props, "missing"), []);
    });
    it("requireId and idPending: an unknown id, or none in a create's preview outputs, waits; a known id or a hand-made record does not", () => {
      const created = unknownCheckingProxy({ id: "/subscriptions/s/x", etag: "e" });
      const pendingId = unknownCheckingProxy({ id: UNKNOWN, name: "n" });
      const previewed = unknownCheckingProxy({ name: "n", provisioningState: UNKNOWN });
      const handMade = unknownCheckingProxy({ name: "n" });
      assert.doesNotThrow(() => requireId(created));
      assert.doesNotThrow(() => requireId(handMade));
      assert.throws(() => requireId(pendingId), /can't be known during preview/);
      assert.throws(() => requireId(previewed), /provisioningState can't be known during preview/);
      assert.deepEqual([created, pendingId, previewed, handMade].map(idPending), [false, true, true, false]);
    });
    it("sameText and oneOf compare case-insensitively, and only strings", () => {
      assert.equal(sameText("DISABLED", "Disabled"), true);
      assert.equal(sameText(undefined, "Disabled"), false);
      assert.equal(oneOf("tls1_2", ["TLS1_2", "TLS1_3"]), true);
      assert.equal(oneOf("TLS1_1", ["TLS1_2", "TLS1_3"]), false);
    });
    it("globMatch is case-insensitive with * wildcards", () => {
      assert.equal(globMatch("*agw*", "NSG-pay-AGW"), true);
      assert.equal(globMatch("nsg-*", "snet-x"), false);
    });
    it("globMatch can match case-sensitively, and escapes regular-expression characters", () => {
      assert.equal(globMatch("sql-*", "SQL-pay", { caseSensitive: true }), false);
      assert.equal(globMatch("sql-*", "sql-pay", { caseSensitive: true }), true);
      assert.equal(globMatch("a.b(c)", "axb(c)"), false);
      assert.equal(globMatch("a.b(c)*", "a.b(c)-1"), true);
    });
    it("formats names, values and locations for messages", () => {
      assert.equal(
        who({ name: "sql-pay-dev-weu", type: "azure-native:sql:Server" }),
        "sql-pay-dev-weu (azure-native:sql:Server)",
      );
      assert.equal(show(undefined), "unset");
      assert.equal(show(null), "unset");
      assert.equal(show("Enabled"), '"Enabled"');
      assert.equal(show(false), "false");
      assert.equal(normaliseLocation("West Europe"), "westeurope");
    });
  });

  describe("duration", () => {
    it("measures ISO 8601 durations in days", () => {
      assert.equal(isoDurationDays("P12W"), 84);
      assert.equal(isoDurationDays("PT0S"), 0);
      assert.equal(isoDurationDays("P10Y"), 3652.5);
      assert.equal(isoDurationDays("12 months"), undefined);
    });
    it("averages years and months by default, and takes upper-case designators only", () => {
      assert.equal(isoDurationDays("P1Y"), isoDurationDays("P1Y", AVERAGE_CALENDAR));
      assert.equal(isoDurationDays("P1M"), 30.4375);
      assert.equal(isoDurationDays("p1y"), undefined);
      assert.equal(isoDurationDays(" P30D "), 30);
    });
    describe("with Key Vault's calendar", () => {
      const days = (text: unknown) => isoDurationDays(text, KEY_VAULT_CALENDAR);
      it("parses the usual forms", () => {
        assert.equal(days("P365D"), 365);
        assert.equal(days("P1Y"), 365);
        assert.equal(days("P2M"), 60);
        assert.equal(days("P1W"), 7);
        assert.equal(days("PT12H"), 0.5);
        assert.equal(days("P1Y1D"), 366);
        assert.equal(days("p1y"), 365);
      });
      it("rejects non-durations", () => {
        for (const bad of ["", "P", "PT", "365", "P1.5D", 365, undefined]) assert.equal(days(bad), undefined);
      });
    });
  });

  describe("network", () => {
    it("parses IPv4 CIDRs", () => {
      assert.deepEqual(ipv4Range("10.0.0.0/8"), { first: 167772160, last: 184549375, prefix: 8 });
      assert.equal(ipv4Range("10.0.0.300"), undefined);
      assert.equal(ipv4Range("10.0.0.0/33"), undefined);
    });
    it("parses addresses, and single addresses as /32", () => {
      assert.equal(ipv4("0.0.0.1"), 1);
      assert.equal(ipv4("1.2.3"), undefined);
      assert.deepEqual(ipv4Range("10.0.0.7"), { first: 167772167, last: 167772167, prefix: 32 });
      assert.equal(ipv4Range("10.0.0.0/8/1"), undefined);
    });
    it("explains firewall ranges", () => {
      assert.match(firewallRangeProblem("0.0.0.0", "0.0.0.0", []) ?? "", /all Azure services/);
      assert.match(firewallRangeProblem("0.0.0.0", "255.255.255.255", []) ?? "", /whole internet/);
      assert.equal(firewallRangeProblem("203.0.113.1", "203.0.113.9", ["203.0.113.0/24"]), undefined);
      assert.match(
        firewallRangeProblem("203.0.113.1", "203.0.114.9", ["203.0.113.0/24"]) ?? "",
        /not in the policy's allowedCidrs/,
      );
      assert.match(firewallRangeProblem("10.0.0.9", "10.0.0.1", []) ?? "", /invalid range/);
    });
    it("explains firewall rules, which need both ends", () => {
      assert.equal(
        firewallRuleProblem({ startIpAddress: "203.0.113.1" }, []),
        "has no complete address range (startIpAddress and endIpAddress)",
      );
      assert.equal(
        firewallRuleProblem({ startIpAddress: "203.0.113.1", endIpAddress: "203.0.113.2" }, ["203.0.113.0/24"]),
        undefined,
      );
    });
  });

  describe("scope", () => {
    it("inStacks reads the stack from the URN", () => {
      assert.equal(inStacks("urn:pulumi:prod::p::azure-native:sql:Server::s", ["prod"]), true);
      assert.equal(inStacks("urn:pulumi:dev::p::azure-native:sql:Server::s", ["prod"]), false);
      assert.equal(inStacks("urn:pulumi:dev::p::azure-native:sql:Server::s", undefined), false);
      assert.equal(stackOfUrn("urn:pulumi:staging::p::azure-native:sql:Server::s"), "staging");
    });
    it("isProdStack reads the rule's prodStacks knob", () => {
      const urn = "urn:pulumi:prod::p::azure-native:sql:Server::s";
      assert.equal(isProdStack(validationArgs(urn, { prodStacks: ["prod"] })), true);
      assert.equal(isProdStack(validationArgs(urn, { prodStacks: ["live"] })), false);
    });
    it("declares the prodStacks knob once, with a default description rules may reword", () => {
      assert.deepEqual(prodStacksKnob(), stringListKnob(prodStacksKnob().description as string, ["prod"]));
      assert.match(prodStacksKnob().description ?? "", /count as production/);
      assert.equal(prodStacksKnob("Stacks of the CDE.").description, "Stacks of the CDE.");
      assert.deepEqual(prodStacksKnob("Stacks of the CDE.").default, ["prod"]);
      assert.deepEqual(inScopeKnob().default, ["cde", "connected"]);
    });
    it("outOfScopeTag and skipOutOfScope skip only a known out-of-scope pci-scope tag", () => {
      const inScope = ["cde", "connected"];
      assert.equal(outOfScopeTag({ tags: { "pci-scope": "out-of-scope" } }, inScope), "out-of-scope");
      assert.equal(outOfScopeTag({ tags: { "pci-scope": "cde" } }, inScope), undefined);
      assert.equal(outOfScopeTag({}, inScope), undefined);
      assert.equal(outOfScopeTag(unknownCheckingProxy({ tags: { "pci-scope": UNKNOWN } }), inScope), undefined);
      const args = validationArgs("urn:pulumi:dev::p::t::n", { inScopeTagValues: inScope });
      assert.throws(
        () => skipOutOfScope({ tags: { "pci-scope": "out-of-scope" } }, args),
        /not applicable: pci-scope tag is 'out-of-scope', not one of cde, connected/,
      );
      assert.doesNotThrow(() => skipOutOfScope({ tags: { "pci-scope": "connected" } }, args));
    });
  });

  describe("enforcedAssignments", () => {
    it("keeps the policy assignments that enforce (Default, as Azure reads an absent mode), not DoNotEnforce or Enroll", () => {
      const assignment = (name: string, props: Record<string, unknown>) => ({
        ...resource(name, props),
        type: POLICY_ASSIGNMENT_TYPE,
      });
      const stack = [
        assignment("default", { enforcementMode: "Default" }),
        assignment("absent", {}),
        assignment("lower", { enforcementMode: "default" }),
        assignment("audit", { enforcementMode: "DoNotEnforce" }),
        assignment("enroll", { enforcementMode: "Enroll" }),
        resource("not-an-assignment", { enforcementMode: "Default" }),
      ];
      assert.deepEqual(
        enforcedAssignments(stack).map((a) => a.name),
        ["default", "absent", "lower"],
      );
    });
  });

  describe("fixtures as the engine shows them to stack rules (resourceRecord, mutate)", () => {
    const db = (inputs: Record<string, unknown> = {}) =>
      resourceRecord("azure-native:sql:Database", "oltp-db", {
        resourceGroupName: "rg-pay-dev-weu",
        serverName: "sql-pay-dev-weu",
        databaseName: "payments",
        sku: { name: "GP_S_Gen5", tier: "GeneralPurpose", capacity: 2 },
        ...inputs,
      });
    it("keeps a deployed resource's response properties and its ARM id, never its path inputs", () => {
      const r = db();
      assert.equal(r.inputs.serverName, "sql-pay-dev-weu");
      for (const path of ["resourceGroupName", "serverName", "databaseName"])
        assert.equal(path in r.outputs, false, path);
      assert.match(
        String(r.outputs.id),
        /\/resourceGroups\/rg-pay-dev-weu\/providers\/Microsoft\.Sql\/servers\/sql-pay-dev-weu\/databases\/payments$/,
      );
      assert.equal(r.outputs.name, "payments");
      assert.deepEqual(r.outputs.sku, { name: "GP_S_Gen5", tier: "GeneralPurpose", capacity: 2 });
    });
    it("gives a create in a first preview (an unknown input) no id, and its other response properties unknown", () => {
      const r = db({ serverName: UNKNOWN });
      assert.equal("id" in r.outputs, false);
      assert.equal(r.outputs.status, UNKNOWN);
      // Typed objects property by property: what the input leaves out is unknown too.
      assert.deepEqual(r.outputs.sku, {
        name: "GP_S_Gen5",
        tier: "GeneralPurpose",
        capacity: 2,
        family: UNKNOWN,
        size: UNKNOWN,
      });
    });
    /** A VNet `vnet` in group `rg` with more inputs, under the test's id if given. */
    const vnetRecord = (name: string, inputs: Record<string, unknown>, id?: string) =>
      resourceRecord(
        "azure-native:network:VirtualNetwork",
        name,
        { resourceGroupName: "rg", virtualNetworkName: "vnet", ...inputs },
        id ? { id } : {},
      );
    it("takes a test's id, deriving the mock's id-based outputs from it, and names a type the mocks do not know by its id", () => {
      const vnetId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet";
      const vnet = vnetRecord("platform-vnet", { subnets: [{ name: "snet-a", addressPrefix: "10.0.0.0/24" }] }, vnetId);
      assert.equal(vnet.outputs.id, vnetId);
      assert.equal((vnet.outputs.subnets as { id: string }[])[0].id, `${vnetId}/subnets/snet-a`);
      const rule = (id?: string) =>
        resourceRecord(
          "azure-native:network:SecurityRule",
          "rule",
          { networkSecurityGroupName: "nsg", securityRuleName: "allow-x", priority: 100 },
          id ? { id } : {},
        );
      assert.deepEqual(rule().outputs, { priority: 100 });
      assert.deepEqual(rule(`${vnetId}/x/allow-x`).outputs, {
        priority: 100,
        id: `${vnetId}/x/allow-x`,
        name: "allow-x",
      });
    });
    it("rewrites the mock's id only where it is a whole id or a child's start, and names the resource by the test's id", () => {
      const mock = vnetRecord("v", {}).outputs.id as string;
      const peered = vnetRecord(
        "v",
        {
          subnets: [{ name: "a", addressPrefix: "10.0.0.0/24" }],
          virtualNetworkPeerings: [{ name: "to-hub", remoteVirtualNetwork: { id: `${mock}-hub` } }],
        },
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/spoke",
      );
      assert.equal(peered.outputs.name, "spoke");
      assert.match(String((peered.outputs.subnets as { id: string }[])[0].id), /virtualNetworks\/spoke\/subnets\/a$/);
      const peering = (peered.outputs.virtualNetworkPeerings as { remoteVirtualNetwork: { id: string } }[])[0];
      assert.equal(peering.remoteVirtualNetwork.id, `${mock}-hub`);
    });
    it("echoes the inputs of other providers (azuread, random)", () => {
      const g = resourceRecord("azuread:index/group:Group", "g", { displayName: "x", securityEnabled: true });
      assert.deepEqual(g.outputs, g.inputs);
    });
    it("mutate derives the outputs from the new inputs and keeps what a test set in them by hand", () => {
      const moved = mutate(db(), "serverName", "sql-pay-prod-weu");
      assert.equal("serverName" in moved.outputs, false);
      assert.match(String(moved.outputs.id), /servers\/sql-pay-prod-weu\/databases\/payments$/);
      const byHand = { ...db(), outputs: { ...db().outputs, status: "Paused" } };
      assert.equal(mutate(byHand, "sku.capacity", 4).outputs.status, "Paused");
      assert.equal((mutate(byHand, "sku.capacity", 4).outputs.sku as { capacity: number }).capacity, 4);
      // An output set by hand follows the inputs once the test mutates a path under it.
      const skuByHand = { ...db(), outputs: { ...db().outputs, sku: { name: "GP_S_Gen5" } } };
      assert.equal((mutate(skuByHand, "sku.capacity", 8).outputs.sku as { capacity: number }).capacity, 8);
    });
  });

  describe("references and refersTo", () => {
    const ID = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv";
    const target = resource("kv", { id: ID, name: "kv" });

    it("refersTo survives unknown values while serialising the referencing props", () => {
      const target = {
        urn: "urn:t",
        props: { id: "/subscriptions/x/vaults/kv" },
        dependencies: [],
        propertyDependencies: {},
      } as unknown as PolicyResource;
      const pe = {
        urn: "urn:pe",
        props: unknownCheckingProxy({ privateLinkServiceConnections: [{ privateLinkServiceId: UNKNOWN }] }),
        dependencies: [],
        propertyDependencies: {},
      } as unknown as PolicyResource;
      assert.equal(refersTo(pe, target, { properties: ["privateLinkServiceConnections"] }), false);
    });
    it("references does not throw when the referencing value holds an unknown", () => {
      const pe = resource("pe", { connections: [{ id: UNKNOWN, name: "x" }], other: UNKNOWN });
      assert.doesNotThrow(() => references(pe, target));
      assert.equal(references(pe, target), false);
      assert.equal(references(pe, target, "connections"), false);
      assert.equal(refersTo(pe, target), false);
    });
    it("references finds the id, case-insensitively, in a property or anywhere in the props", () => {
      const pe = resource("pe", { connections: [{ privateLinkServiceId: ID.toUpperCase() }], location: "westeurope" });
      assert.equal(references(pe, target, "connections"), true);
      assert.equal(references(pe, target), true);
      assert.equal(references(pe, target, "location"), false);
      assert.equal(references(pe, resource("no-id", { name: "x" })), false);
    });
    it("references follows dependencies: the property's, or any without a property", () => {
      const byProperty = resource(
        "diag",
        { resourceUri: UNKNOWN },
        { propertyDependencies: { resourceUri: [target] } },
      );
      assert.equal(references(byProperty, target, "resourceUri"), true);
      assert.equal(references(byProperty, target, "workspaceId"), false);
      assert.equal(references(byProperty, target), true, "any property dependency counts without a property");
      const plain = resource("lock", { scope: UNKNOWN }, { dependencies: [target] });
      assert.equal(references(plain, target), true);
      assert.equal(references(plain, target, "scope"), false);
    });
    it("refersTo matches through any of the given properties", () => {
      const pe = resource("pe", { manual: [{ privateLinkServiceId: ID }] });
      assert.equal(refersTo(pe, target, { properties: ["connections", "manual"] }), true);
      assert.equal(refersTo(pe, target, { properties: ["connections"] }), false);
      assert.equal(refersTo(pe, target, { properties: [] }), true, "no properties = any");
    });
    describe("byName", () => {
      const server = resource("sql-a", { id: "/servers/sql-a", name: "sql-a", serverName: "sql-a" });
      const db = resource("db", { id: "/servers/sql-a/databases/orders", name: "orders", serverName: "sql-a" });
      const CHILD = {
        properties: ["databaseName"],
        byName: { nameKeys: ["databaseName"], siblingKeys: ["serverName"] },
      };

      it("matches the property's value against the parent's name keys, case-insensitively", () => {
        assert.equal(
          refersTo(resource("audit", { serverName: "SQL-A" }), server, { properties: ["serverName"], byName: {} }),
          true,
        );
        assert.equal(
          refersTo(resource("audit", { serverName: "sql-b" }), server, { properties: ["serverName"], byName: {} }),
          false,
        );
        assert.equal(
          refersTo(resource("audit", { serverName: "sql-b" }), server, { properties: ["serverName"] }),
          false,
        );
      });
      it("requires the sibling keys to agree where both sides know them", () => {
        assert.equal(refersTo(resource("ltr", { databaseName: "orders", serverName: "sql-a" }), db, CHILD), true);
        assert.equal(refersTo(resource("ltr", { databaseName: "orders", serverName: "sql-b" }), db, CHILD), false);
        assert.equal(refersTo(resource("ltr", { databaseName: "orders", serverName: UNKNOWN }), db, CHILD), true);
      });
      it("once deployed (the parent's name is a path input, not an output), a child matches its parent by ids", () => {
        const dbId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-a/databases/orders";
        const deployedDb = resource("db", { id: dbId, name: "orders" });
        const ltrWithId = (id: string) => resource("ltr", { id, name: "default" });
        assert.equal(refersTo(ltrWithId(`${dbId}/backupLongTermRetentionPolicies/default`), deployedDb, CHILD), true);
        assert.equal(
          refersTo(ltrWithId(`${dbId}-copy/backupLongTermRetentionPolicies/default`), deployedDb, CHILD),
          false,
          "a sibling database whose name starts with this one's",
        );
        assert.equal(
          refersTo(ltrWithId(`${dbId}/x/y/backupLongTermRetentionPolicies/default`), deployedDb, CHILD),
          false,
          "a grandchild",
        );
        const workspace = resource("ws", {
          id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log",
        });
        const onboarding = resource("onboarding", {
          id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log/providers/Microsoft.SecurityInsights/onboardingStates/default",
        });
        assert.equal(
          refersTo(onboarding, workspace, { properties: ["workspaceName"], byName: {} }),
          true,
          "an extension resource",
        );
        const unknown = resource("ltr", { id: UNKNOWN }, { dependencies: [deployedDb] });
        assert.equal(refersTo(unknown, deployedDb, CHILD), true, "id unknown: the plain dependency still decides");
      });
      it("when a sibling key is unknown on a side, requires the recorded sources to meet where both recorded one", () => {
        const serverB = resource("sql-b", { id: "/servers/sql-b", name: "sql-b" });
        const dbOnA = resource(
          "db-a",
          { name: "orders", serverName: UNKNOWN },
          { propertyDependencies: { serverName: [server] } },
        );
        const ltrFrom = (source: typeof server) =>
          resource(
            "ltr",
            { databaseName: "orders", serverName: UNKNOWN },
            { propertyDependencies: { serverName: [source] } },
          );
        assert.equal(refersTo(ltrFrom(serverB), dbOnA, CHILD), false, "same database name, the other server");
        assert.equal(refersTo(ltrFrom(server), dbOnA, CHILD), true, "same server");
        const unrecorded = resource("ltr", { databaseName: "orders", serverName: UNKNOWN });
        assert.equal(refersTo(unrecorded, dbOnA, CHILD), true, "nothing recorded: cannot tell them apart");
        const suffix = { ...resource("suffix", { result: UNKNOWN }), type: "random:index/randomString:RandomString" };
        assert.equal(refersTo(ltrFrom(suffix), dbOnA, CHILD), true, "sources of different types: cannot tell");
      });
      it("a name mismatch wins over a plain dependency, but a property dependency wins over the name", () => {
        const wrongName = resource("ltr", { databaseName: "other" }, { dependencies: [db] });
        assert.equal(refersTo(wrongName, db, CHILD), false);
        const wired = resource("ltr", { databaseName: "other" }, { propertyDependencies: { databaseName: [db] } });
        assert.equal(refersTo(wired, db, CHILD), true);
      });
      it("falls back to a plain dependency when the name is unknown and no property dependency was recorded", () => {
        const unknownName = resource("ltr", { databaseName: UNKNOWN }, { dependencies: [db] });
        assert.equal(refersTo(unknownName, db, CHILD), true);
        const elsewhere = resource(
          "ltr",
          { databaseName: UNKNOWN },
          {
            dependencies: [db],
            propertyDependencies: { databaseName: [server] },
          },
        );
        assert.equal(refersTo(elsewhere, db, CHILD), false);
        assert.equal(refersTo(resource("ltr", { databaseName: UNKNOWN }), db, CHILD), false);
      });
    });
  });

  describe("pointsAt, listPointsAt and logAlertWatches (exact ids)", () => {
    const ID = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/cosmos";
    const target = resource("cosmos", { id: ID });
    const unknownId = resource("cosmos-new", { id: UNKNOWN });
    const child = `${ID}/sqlDatabases/payments`;
    const sibling = `${ID}-replica`;

    it("pointsAt reads a nested path, and falls back on its first segment's property dependency", () => {
      const solution = (workspaceResourceId: string, deps: Record<string, PolicyResource[]> = {}) =>
        resource("solution", { properties: { workspaceResourceId } }, { propertyDependencies: deps });
      const at = ["properties", "workspaceResourceId"];
      assert.equal(pointsAt(solution(ID.toUpperCase()), target, at), true);
      assert.equal(pointsAt(solution(child, { properties: [target] }), target, at), false, "known value decides");
      assert.equal(pointsAt(solution(UNKNOWN, { properties: [target] }), target, at), true);
      assert.equal(pointsAt(solution(UNKNOWN), target, at), false);
    });

    it("pointsAt takes a deployed extension resource's scope from its own id (resourceUri and scope are not outputs)", () => {
      const deployedSetting = (scope: string) =>
        resource(
          "diag",
          { id: `${scope}/providers/microsoft.insights/diagnosticSettings/to-law`, name: "to-law" },
          { propertyDependencies: { resourceUri: [target] } },
        );
      assert.equal(pointsAt(deployedSetting(ID), target, "resourceUri"), true);
      assert.equal(
        pointsAt(deployedSetting(child), target, "resourceUri"),
        false,
        "a child's setting, wired to the parent",
      );
      assert.equal(
        pointsAt(deployedSetting(`${ID}/blobServices/default`), target, "resourceUri", ["/blobServices/default"]),
        true,
      );
      assert.equal(extensionScopeOf(deployedSetting(child)), child);
      assert.equal(extensionScopeOf(resource("x", { id: UNKNOWN })), undefined);
    });

    describe("listPointsAt", () => {
      it("matches one element exactly, case-insensitively, never a child or a sibling whose name extends it", () => {
        assert.equal(listPointsAt(resource("alert", { scopes: ["/other", ID.toUpperCase()] }), target, "scopes"), true);
        assert.equal(listPointsAt(resource("alert", { scopes: [child, sibling] }), target, "scopes"), false);
        assert.equal(listPointsAt(resource("alert", { scopes: [`${ID}/`] }), target, "scopes"), true, "trailing /");
        assert.equal(listPointsAt(resource("alert", { scopes: [] }), target, "scopes"), false);
        assert.equal(listPointsAt(resource("alert", {}), target, "scopes"), false);
      });
      it("reads each element's key, and accepts the given sub-resource suffixes", () => {
        const pe = (id: string) => resource("pe", { connections: [{ name: "c", privateLinkServiceId: id }] });
        const opts = { key: "privateLinkServiceId" };
        assert.equal(listPointsAt(pe(ID), target, "connections", opts), true);
        assert.equal(listPointsAt(pe(sibling), target, "connections", opts), false);
        assert.equal(listPointsAt(pe(ID), target, "connections"), false, "the element itself is not a string");
        const suffixes = ["/sqlDatabases/payments"];
        assert.equal(listPointsAt(resource("a", { scopes: [child] }), target, "scopes", { suffixes }), true);
      });
      it("lets the property dependency decide when the list, an element or the id is unknown, without throwing", () => {
        const wired = { propertyDependencies: { scopes: [target] } };
        const plainDep = { dependencies: [target] };
        assert.equal(listPointsAt(resource("a", { scopes: UNKNOWN }, wired), target, "scopes"), true);
        assert.equal(listPointsAt(resource("a", { scopes: ["/other", UNKNOWN] }, wired), target, "scopes"), true);
        assert.equal(listPointsAt(resource("a", { scopes: [UNKNOWN] }, plainDep), target, "scopes"), false);
        assert.equal(listPointsAt(resource("a", { scopes: [child] }, wired), target, "scopes"), false, "known wins");
        const pe = resource("pe", { connections: [{ privateLinkServiceId: UNKNOWN }] });
        assert.doesNotThrow(() => listPointsAt(pe, target, "connections", { key: "privateLinkServiceId" }));
        const scoped = resource("a", { scopes: [ID] }, { propertyDependencies: { scopes: [unknownId] } });
        assert.equal(listPointsAt(scoped, unknownId, "scopes"), true, "b's id unknown: the dependency decides");
      });
    });

    describe("logAlertWatches and kqlFiltersOn", () => {
      const criteria = (query: unknown, dimensions: unknown[] = []) => ({ allOf: [{ query, dimensions }] });
      const q = (text: string) => resource("alert", { criteria: criteria(text) }, { dependencies: [target] });
      it("counts a positive filter on the id (==, =~, in, in~), an Include dimension, or a scope on the target", () => {
        assert.equal(logAlertWatches(q(`T | where _ResourceId =~ "${ID.toUpperCase()}"`), target), true);
        assert.equal(logAlertWatches(q(`T | where _ResourceId == '${ID}'`), target), true);
        assert.equal(logAlertWatches(q(`T | where _ResourceId in~ ('/other', '${ID}')`), target), true);
        const dimension = resource("alert", {
          criteria: criteria("T", [{ name: "_ResourceId", operator: "Include", values: [ID] }]),
        });
        assert.equal(logAlertWatches(dimension, target), true);
        assert.equal(logAlertWatches(resource("alert", { scopes: [ID], criteria: criteria("T") }), target), true);
      });
      it("does not count a negated filter, a comment, an Exclude dimension, a child's or a sibling's id", () => {
        assert.equal(logAlertWatches(q(`T | where _ResourceId != "${ID}"`), target), false);
        assert.equal(logAlertWatches(q(`T | where _ResourceId !~ "${ID}"`), target), false);
        assert.equal(logAlertWatches(q(`T | where _ResourceId !in ("${ID}")`), target), false);
        assert.equal(logAlertWatches(q(`T | where not(_ResourceId == "${ID}")`), target), false);
        assert.equal(logAlertWatches(q(`T | where not (_ResourceId in ("${ID}"))`), target), false);
        assert.equal(
          logAlertWatches(q(`T | where not(x) and _ResourceId == "${ID}"`), target),
          true,
          "after a closed not()",
        );
        assert.equal(logAlertWatches(q(`T // where _ResourceId =~ "${ID}"\n| take 1`), target), false);
        assert.equal(logAlertWatches(q(`T | extend note = "${ID}"`), target), false);
        const excluded = resource("alert", {
          criteria: criteria("T", [{ name: "_ResourceId", operator: "Exclude", values: [ID] }]),
        });
        assert.equal(logAlertWatches(excluded, target), false);
        const otherColumn = resource("alert", {
          criteria: criteria("T", [{ name: "Computer", operator: "Include", values: [ID] }]),
        });
        assert.equal(logAlertWatches(otherColumn, target), false, "a dimension on another column");
        assert.equal(logAlertWatches(q(`T | where _ResourceId =~ "${child}"`), target), false);
        assert.equal(logAlertWatches(q(`T | where _ResourceId =~ "${sibling}"`), target), false);
        assert.equal(logAlertWatches(q(`T | where _ResourceId startswith "${ID}/"`), target), false);
      });
      it("keeps string literals with // intact when stripping comments", () => {
        const query = `T | where Url == "https://x" // comment "${ID}"\n| where _ResourceId =~ "${ID}"`;
        assert.equal(kqlFiltersOn(query, ID), true);
        assert.equal(stripKqlComments(`a "b//c" // d`), `a "b//c" \n`);
      });
      it("lets the property dependency decide when the query or the id is unknown, without throwing", () => {
        const wired = { propertyDependencies: { criteria: [target] } };
        const partly = resource("alert", { criteria: criteria(UNKNOWN) }, wired);
        assert.doesNotThrow(() => logAlertWatches(partly, target));
        assert.equal(logAlertWatches(partly, target), true);
        assert.equal(logAlertWatches(resource("alert", { criteria: UNKNOWN }, wired), target), true);
        assert.equal(logAlertWatches(resource("alert", { criteria: criteria(UNKNOWN) }), target), false);
        const known = resource("alert", { criteria: criteria(`T | where _ResourceId =~ "${child}"`) }, wired);
        assert.equal(logAlertWatches(known, target), false, "a known query decides");
        const forNew = resource(
          "alert",
          { criteria: criteria("T") },
          { propertyDependencies: { criteria: [unknownId] } },
        );
        assert.equal(logAlertWatches(forNew, unknownId), true, "b's id unknown: the dependency decides");
      });
    });
  });

  describe("exemptions", () => {
    it("match names by glob, case-sensitively, and only with a real reason", () => {
      const exemptions = [
        { pattern: "sql-pay-*", reason: "CHG-881: planned server migration" },
        { pattern: "kv-*", reason: "short" },
      ];
      assert.equal(checkExemption(exemptions, "sql-pay-prod-weu")?.pattern, "sql-pay-*");
      assert.equal(checkExemption(exemptions, "SQL-pay-prod-weu"), undefined);
      assert.equal(checkExemption(exemptions, "kv-pay-dev-weu"), undefined);
      assert.equal(checkExemption(undefined, "kv-pay-dev-weu"), undefined);
    });
  });
});
