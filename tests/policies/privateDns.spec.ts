import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { POLICY_NAME } from "../../policies/lib/policy";
import {
  azureMonitorOnSharedZones,
  inApprovedGroup,
  isPrivateLinkZone,
  privateDnsPolicies,
  privateDnsZoneIdParts,
  privateDnsServers,
  privateLinkZoneWithCentralZones,
  zoneGroupApprovedZones,
} from "../../policies/rules/privateDns";
import { peeringApproved } from "../../policies/rules/network";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, policies } from "../../policies/policies";
import {
  evaluatePolicy,
  mandatoryViolations,
  resourceRecord,
  runPolicies,
  type PackConfig,
  type ResourceRecord,
} from "../../tools/lib/policyRunner";
import { packVersion, stackPolicyConfig, stackTagsFor, type PreviewResult } from "../../tools/lib/preview";
import {
  deployedZoneGroup,
  HUB_DNS_RG_ID,
  hubZoneId,
  monitorEndpoint,
  privateZone,
  stackZoneId,
  vaultEndpoint,
  zoneGroup,
  zoneLink,
} from "./fixtures/privateDns";
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
import { CENTRAL_DNS, previewCentralDevOf, previewOf } from "../helpers/stacks";

/** A pattern matching exactly `text`. */
const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

const VAULT_ZONE = "privatelink.vaultcore.azure.net";
const MONITOR_ZONES = ["privatelink.monitor.azure.com", "privatelink.oms.opinsights.azure.com"];
const approved = { allowedPrivateDnsZoneResourceGroups: [HUB_DNS_RG_ID] };

/** The platform's stack mode as a first preview sends it: the stack's zones with their links, ids unknown. */
function stackMode() {
  const kvZone = privateZone(VAULT_ZONE, { preview: true });
  const monitorZones = MONITOR_ZONES.map((z) => privateZone(z, { preview: true }));
  const kvPe = vaultEndpoint();
  const amplsPe = monitorEndpoint();
  const zones = [kvZone, ...monitorZones];
  return {
    kvZone,
    monitorZones,
    kvPe,
    amplsPe,
    kvGroup: zoneGroup(kvPe, [kvZone]),
    amplsGroup: zoneGroup(amplsPe, monitorZones),
    all: [...zones, ...zones.map(zoneLink), kvPe, amplsPe, zoneGroup(kvPe, [kvZone]), zoneGroup(amplsPe, monitorZones)],
  };
}

/** Central mode: no zones of the stack, the zone group names the hub's zone. */
function centralMode(rg = HUB_DNS_RG_ID) {
  const kvPe = vaultEndpoint();
  const kvGroup = zoneGroup(kvPe, [hubZoneId(VAULT_ZONE, rg)]);
  return { kvPe, kvGroup, all: [kvPe, kvGroup] };
}

const zoneGroupMessage = (group: string, ids: string, list: string) =>
  exactly(
    `${group} (azure-native:network:PrivateDnsZoneGroup) registers in ${ids}, outside this stack and not in allowedPrivateDnsZoneResourceGroups (${list}): add the zones' resource group to the stack's policy config once the security team approves it (the records of cardholder data environment endpoints then live in another subscription).`,
  );

describe("policies/privateDns", () => {
  it("exports well-named policies with metadata, mandatory by default", () => {
    assert.equal(privateDnsPolicies.length, 4);
    for (const p of privateDnsPolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
      assert.equal(p.enforcementLevel, "mandatory", p.name);
    }
  });

  describe("helpers", () => {
    it("privateDnsZoneIdParts splits a zone id into its resource group and zone, and nothing else", () => {
      assert.deepEqual(privateDnsZoneIdParts(hubZoneId(VAULT_ZONE)), {
        resourceGroupId: HUB_DNS_RG_ID,
        zone: VAULT_ZONE,
      });
      assert.deepEqual(privateDnsZoneIdParts(`${hubZoneId(VAULT_ZONE).toLowerCase()}/`), {
        resourceGroupId: HUB_DNS_RG_ID.toLowerCase(),
        zone: VAULT_ZONE,
      });
      assert.equal(privateDnsZoneIdParts(`${hubZoneId(VAULT_ZONE)}/A/kv`), undefined, "a record set");
      assert.equal(privateDnsZoneIdParts(VAULT_ZONE), undefined);
    });
    it("inApprovedGroup matches the zone's whole resource group id as a case-insensitive glob", () => {
      const id = hubZoneId(VAULT_ZONE);
      assert.equal(inApprovedGroup(id, [HUB_DNS_RG_ID]), true);
      assert.equal(inApprovedGroup(id, [`${HUB_DNS_RG_ID.toUpperCase()}/`]), true);
      assert.equal(inApprovedGroup(id, ["/subscriptions/*/resourceGroups/rg-hub-dns-*"]), true);
      assert.equal(inApprovedGroup(id, []), false);
      // A group whose name starts with the approved one's is another group.
      assert.equal(inApprovedGroup(hubZoneId(VAULT_ZONE, `${HUB_DNS_RG_ID}-shadow`), [HUB_DNS_RG_ID]), false);
      assert.equal(inApprovedGroup(`${HUB_DNS_RG_ID}/providers/Microsoft.Network/dnsZones/x`, [HUB_DNS_RG_ID]), false);
    });
    it("isPrivateLinkZone reads a privatelink label anywhere in the name", () => {
      assert.equal(isPrivateLinkZone("privatelink.blob.core.windows.net"), true);
      assert.equal(isPrivateLinkZone("westeurope.data.privatelink.azurecr.io"), true);
      assert.equal(isPrivateLinkZone("PrivateLink.Database.Windows.Net"), true);
      assert.equal(isPrivateLinkZone("payments.internal"), false);
      assert.equal(isPrivateLinkZone("notprivatelink.example.com"), false);
    });
  });

  describe(zoneGroupApprovedZones.name, () => {
    it("passes the stack's own zones wired in a first preview (ids unknown, one zone per id)", () =>
      expectPass(zoneGroupApprovedZones, stackMode().all));
    it("passes the deployed stack's own zones by their known ids, in any case", async () => {
      const zone = privateZone(VAULT_ZONE);
      const pe = vaultEndpoint();
      await expectPass(zoneGroupApprovedZones, [zone, pe, deployedZoneGroup(pe, [zone])]);
      const upper = zoneGroup(pe, [stackZoneId(VAULT_ZONE).toUpperCase()]);
      await expectPass(zoneGroupApprovedZones, [zone, pe, upper]);
    });
    it("passes the hub's zones under an approved resource group (id or glob)", async () => {
      await expectPass(zoneGroupApprovedZones, centralMode().all, approved);
      await expectPass(zoneGroupApprovedZones, centralMode().all, {
        allowedPrivateDnsZoneResourceGroups: ["/subscriptions/*/resourcegroups/RG-HUB-DNS-*"],
      });
    });
    it("fails the hub's zones when no resource group is approved (none is by default), naming the zone group", async () => {
      const { kvGroup, all } = centralMode();
      const r = await expectFail(
        zoneGroupApprovedZones,
        all,
        zoneGroupMessage("platform-kv-pep-dns", hubZoneId(VAULT_ZONE), "none approved"),
      );
      assert.equal(r.urn, kvGroup.urn);
      assert.equal(r.enforcementLevel, "mandatory");
    });
    it("fails zones of another resource group than the approved ones, listing every outside zone once per group", async () => {
      const other = "/subscriptions/00000000-0000-4000-8000-0000000000bb/resourceGroups/rg-partner-dns";
      const pe = monitorEndpoint();
      const ids = MONITOR_ZONES.map((z) => hubZoneId(z, other));
      await expectFail(
        zoneGroupApprovedZones,
        [pe, zoneGroup(pe, ids)],
        zoneGroupMessage("platform-ampls-pep-dns", ids.join(", "), HUB_DNS_RG_ID),
        approved,
      );
      // A group named like the approved one plus a suffix is not under it.
      const shadow = hubZoneId(VAULT_ZONE, `${HUB_DNS_RG_ID}-shadow`);
      await expectFail(
        zoneGroupApprovedZones,
        centralMode(`${HUB_DNS_RG_ID}-shadow`).all,
        zoneGroupMessage("platform-kv-pep-dns", shadow, HUB_DNS_RG_ID),
        approved,
      );
    });
    it("fails a literal id of a zone that is neither the stack's nor approved, beside the stack's own zone of that name", () => {
      const pe = vaultEndpoint();
      return expectFail(
        zoneGroupApprovedZones,
        [privateZone(VAULT_ZONE), pe, zoneGroup(pe, [hubZoneId(VAULT_ZONE)])],
        zoneGroupMessage("platform-kv-pep-dns", hubZoneId(VAULT_ZONE), "none approved"),
      );
    });
    it("cannot decide during preview an unknown id no zone of the stack stands behind", async () => {
      const pe = vaultEndpoint();
      const unwired = mutate(
        zoneGroup(pe, [hubZoneId(VAULT_ZONE)]),
        "privateDnsZoneConfigs.0.privateDnsZoneId",
        UNKNOWN,
      );
      await expectUndecided(zoneGroupApprovedZones, [pe, unwired], approved);
      // Two unknown ids, one zone behind them: the second is not the stack's for sure.
      const zone = privateZone(VAULT_ZONE, { preview: true });
      const two = mutate(zoneGroup(pe, [zone]), "privateDnsZoneConfigs.1", { name: "x", privateDnsZoneId: UNKNOWN });
      await expectUndecided(zoneGroupApprovedZones, [zone, pe, two]);
      await expectUndecided(zoneGroupApprovedZones, [pe, mutate(unwired, "privateDnsZoneConfigs", UNKNOWN)]);
    });
    it("cannot decide during preview a literal id a zone of the stack, not created yet, may have; passes it when approved", async () => {
      const zone = privateZone(VAULT_ZONE, { preview: true });
      const { kvPe, kvGroup } = centralMode();
      await expectUndecided(zoneGroupApprovedZones, [zone, kvPe, kvGroup]);
      await expectPass(zoneGroupApprovedZones, [zone, kvPe, kvGroup], approved);
    });
    it("reports what the known ids show before it leaves the rest undecided", async () => {
      const { kvPe, kvGroup } = centralMode();
      const amplsPe = monitorEndpoint();
      const unwired = zoneGroup(amplsPe, [UNKNOWN]);
      const r = await evaluatePolicy(zoneGroupApprovedZones, [kvPe, kvGroup, amplsPe, unwired]);
      assert.equal(r.messages.length, 2, JSON.stringify(r.messages));
      assert.match(r.messages[0], zoneGroupMessage("platform-kv-pep-dns", hubZoneId(VAULT_ZONE), "none approved"));
      assert.match(
        r.messages[1],
        /^can't run policy 'azure-native-network-privatednszonegroup-require-approved-zones'/,
      );
      assert.deepEqual(
        r.violations.map((v) => v.enforcementLevel),
        ["mandatory", "advisory"],
      );
    });
    it("reports an exempted zone group instead of a violation", async () => {
      const r = await evaluatePolicy(zoneGroupApprovedZones, centralMode().all, {
        exemptions: [{ pattern: "platform-kv-pep-dns", reason: "RISK-31: hub zones approved in the change record" }],
      });
      assert.deepEqual(r.messages, []);
      assert.equal(r.exemptions.length, 1);
    });
    it("is not applicable to a stack without zone groups", () =>
      expectNotApplicable(zoneGroupApprovedZones, [privateZone(VAULT_ZONE), vaultEndpoint()]));
  });

  describe(privateLinkZoneWithCentralZones.name, () => {
    it("fails a privatelink zone of the stack's own once the hub's zones are approved", async () => {
      const r = await expectFail(
        privateLinkZoneWithCentralZones,
        privateZone("privatelink.blob.core.windows.net"),
        exactly(
          `platform-dns-privatelink-blob-core-windows-net (azure-native:privatedns:PrivateZone) creates private DNS zone 'privatelink.blob.core.windows.net' while allowedPrivateDnsZoneResourceGroups approves the hub's zones (${HUB_DNS_RG_ID}): a privatelink zone of the stack's own splits resolution from the hub's zones (networks resolving through one do not see the records registered in the other); remove it and register the endpoints in the hub's zone.`,
        ),
        approved,
      );
      assert.equal(r.enforcementLevel, "mandatory");
    });
    it("fails a zone with an inner privatelink label, and an auto-named one by its resource name", async () => {
      await expectFail(
        privateLinkZoneWithCentralZones,
        privateZone("westeurope.data.privatelink.azurecr.io"),
        /creates private DNS zone 'westeurope\.data\.privatelink\.azurecr\.io' while/,
        approved,
      );
      const autoNamed = resourceRecord("azure-native:privatedns:PrivateZone", "privatelink.queue.core.windows.net", {
        resourceGroupName: "rg",
        location: "global",
      });
      await expectFail(
        privateLinkZoneWithCentralZones,
        autoNamed,
        /creates private DNS zone 'privatelink\.queue\.core\.windows\.net' while/,
        approved,
      );
    });
    it("passes a zone of the stack's own names (not Private Link's)", () =>
      expectPass(privateLinkZoneWithCentralZones, privateZone("payments.internal"), approved));
    it("cannot decide during preview a zone name that is another resource's output", () =>
      expectUndecided(
        privateLinkZoneWithCentralZones,
        mutate(privateZone(VAULT_ZONE), "privateZoneName", UNKNOWN),
        approved,
      ));
    it("is not applicable while no hub zones are approved (the committed stacks' own zones)", async () => {
      await expectNotApplicable(privateLinkZoneWithCentralZones, privateZone(VAULT_ZONE));
      await expectNotApplicable(privateLinkZoneWithCentralZones, privateZone(VAULT_ZONE), {
        allowedPrivateDnsZoneResourceGroups: [],
      });
    });
    it("is not applicable to other resource types", () =>
      expectNotApplicable(privateLinkZoneWithCentralZones, otherResource(), approved));
  });

  describe(privateDnsServers.name, () => {
    const vnet = (dnsServers?: unknown) =>
      resourceRecord("azure-native:network:VirtualNetwork", "platform-vnet", {
        resourceGroupName: "rg-pay-dev-weu-network",
        addressSpace: { addressPrefixes: ["10.20.0.0/16"] },
        ...(dnsServers === undefined ? {} : { dhcpOptions: { dnsServers } }),
      });
    it("passes the hub's resolver or firewall (private addresses) and Azure-provided DNS", async () => {
      await expectPass(privateDnsServers, vnet(["10.0.0.68", "172.16.4.4", "192.168.1.53"]));
      await expectPass(privateDnsServers, vnet(["168.63.129.16"]));
    });
    it("fails a public server, naming only the servers outside the private ranges", async () => {
      const r = await expectFail(
        privateDnsServers,
        vnet(["10.0.0.68", "8.8.8.8", "100.64.0.10"]),
        exactly(
          "platform-vnet (azure-native:network:VirtualNetwork) sends its DNS queries to 8.8.8.8, 100.64.0.10, outside the private address ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16): every name its hosts look up, the cardholder data environment's endpoints included, leaves the network; use the hub's resolver or firewall, or Azure-provided DNS.",
        ),
      );
      assert.equal(r.enforcementLevel, "mandatory");
      await expectFail(
        privateDnsServers,
        vnet(["dns.example.com"]),
        /sends its DNS queries to dns\.example\.com, outside/,
      );
    });
    it("cannot decide during preview a server that is another resource's output", () =>
      expectUndecided(privateDnsServers, vnet(["10.0.0.68", UNKNOWN])));
    it("is not applicable to a VNet on Azure-provided DNS, or to other resource types", async () => {
      await expectNotApplicable(privateDnsServers, vnet());
      await expectNotApplicable(privateDnsServers, vnet([]));
      await expectNotApplicable(privateDnsServers, otherResource());
    });
  });

  describe(azureMonitorOnSharedZones.name, () => {
    const message = (ids: string) =>
      exactly(
        `platform-ampls-pep (azure-native:network:PrivateEndpoint) connects to an Azure Monitor Private Link Scope (group id azuremonitor) and registers in ${ids}, outside this stack: it overrides the hub's Azure Monitor records for every network sharing these zones; remove the stack's scope and its endpoint and have the hub's scope admit this stack's workspace and components (the azureMonitorScopedResourceIds output).`,
      );
    const hubMonitorZones = MONITOR_ZONES.map((z) => hubZoneId(z));

    it("passes the stack's scope registering in the stack's own zones (first preview and deployed)", async () => {
      await expectPass(azureMonitorOnSharedZones, stackMode().all);
      const zones = MONITOR_ZONES.map((z) => privateZone(z));
      const pe = monitorEndpoint();
      await expectPass(azureMonitorOnSharedZones, [...zones, pe, deployedZoneGroup(pe, zones)]);
    });
    it("fails the scope's endpoint registering in the hub's zones (the rule has no approval to give)", async () => {
      const pe = monitorEndpoint();
      const group = zoneGroup(pe, hubMonitorZones);
      const r = await expectFail(azureMonitorOnSharedZones, [pe, group], message(hubMonitorZones.join(", ")));
      assert.equal(r.urn, pe.urn);
      assert.equal(r.enforcementLevel, "mandatory");
      // Only the zones outside the stack are named.
      const own = privateZone(MONITOR_ZONES[0]);
      await expectFail(
        azureMonitorOnSharedZones,
        [own, pe, zoneGroup(pe, [String(own.outputs.id), hubMonitorZones[1]])],
        message(hubMonitorZones[1]),
      );
    });
    it("finds the scope by its id or the dependency when the group id is missing, and the zone group by its id once deployed", async () => {
      const bare = mutate(monitorEndpoint(), "privateLinkServiceConnections.0.groupIds", []);
      const group = zoneGroup(bare, hubMonitorZones);
      await expectFail(azureMonitorOnSharedZones, [bare, group], message(hubMonitorZones.join(", ")));
      const scope = resourceRecord("azure-native:monitor:PrivateLinkScope", "platform-ampls", { location: "global" });
      const wired: ResourceRecord = {
        ...mutate(bare, "privateLinkServiceConnections.0.privateLinkServiceId", UNKNOWN),
        propertyDependencies: { privateLinkServiceConnections: [scope.urn] },
      };
      await expectFail(azureMonitorOnSharedZones, [scope, wired, group], message(hubMonitorZones.join(", ")));
      // Deployed: the group's outputs hold neither the endpoint's name nor a dependency, its id is under the endpoint's.
      const peId = armId("Microsoft.Network", "privateEndpoints/pep-platform-ampls-pep");
      const deployedPe: ResourceRecord = { ...monitorEndpoint(), outputs: { ...monitorEndpoint().outputs, id: peId } };
      const deployedGroup: ResourceRecord = {
        ...group,
        propertyDependencies: {},
        dependencies: [],
        outputs: {
          id: `${peId}/privateDnsZoneGroups/default`,
          name: "default",
          privateDnsZoneConfigs: group.outputs.privateDnsZoneConfigs,
        },
      };
      await expectFail(azureMonitorOnSharedZones, [deployedPe, deployedGroup], message(hubMonitorZones.join(", ")));
    });
    it("cannot decide during preview where the scope's records land, or which scope an endpoint wired from another resource joins", async () => {
      const pe = monitorEndpoint();
      await expectUndecided(azureMonitorOnSharedZones, [pe, zoneGroup(pe, [UNKNOWN])]);
      const vault = resourceRecord("azure-native:keyvault:Vault", "platform-kv", { location: "westeurope" });
      const unknownGroups: ResourceRecord = {
        ...mutate(vaultEndpoint(), "privateLinkServiceConnections.0.groupIds", UNKNOWN),
        propertyDependencies: { privateLinkServiceConnections: [vault.urn] },
      };
      await expectUndecided(azureMonitorOnSharedZones, [
        vault,
        unknownGroups,
        zoneGroup(unknownGroups, [hubZoneId(VAULT_ZONE)]),
      ]);
    });
    it("is not applicable without an Azure Monitor endpoint, even where other endpoints use the hub's zones", async () => {
      await expectNotApplicable(azureMonitorOnSharedZones, centralMode().all);
      // A first preview's computed, unset connection list (no property dependency) is no connection.
      const { kvPe, kvGroup } = centralMode();
      const computed = mutate(kvPe, "manualPrivateLinkServiceConnections", UNKNOWN);
      await expectNotApplicable(azureMonitorOnSharedZones, [computed, kvGroup]);
      // Connections unknown but every record in the stack's own zones: nothing can land outside.
      const { kvZone, kvGroup: ownGroup } = stackMode();
      const unknownGroups = mutate(vaultEndpoint(), "privateLinkServiceConnections.0.groupIds", UNKNOWN);
      await expectNotApplicable(azureMonitorOnSharedZones, [kvZone, unknownGroups, ownGroup]);
      await expectNotApplicable(azureMonitorOnSharedZones, [otherResource()]);
    });
  });

  describe("the dev stack with the hub's zones (privateDns.mode central)", function () {
    // The program's preview and deployed views: allow for a loaded machine.
    this.timeout(120_000);
    const base = stackPolicyConfig("dev");
    /** dev.json with the hub peering and the hub's zones approved, as the security team would set it. */
    const approvedConfig: PackConfig = {
      ...base,
      [peeringApproved.name]: { allowedRemoteVirtualNetworks: [CENTRAL_DNS.hub] },
      [zoneGroupApprovedZones.name]: approved,
      [privateLinkZoneWithCentralZones.name]: approved,
    };
    const packWith = (config: PackConfig, resources: readonly ResourceRecord[]) =>
      runPolicies(policies, resources, {
        config,
        packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
        stackTags: stackTagsFor("payments-data-platform"),
        stack: "dev",
        pack: { name: PACK_NAME, version: packVersion() },
      });
    let result: PreviewResult;
    before(async () => {
      result = await previewCentralDevOf();
    });

    it("passes the whole pack once the hub's zones and peering are approved, first preview and deployed", async () => {
      const first = await packWith(approvedConfig, result.previewRun.resources);
      const deployed = await packWith(approvedConfig, result.run.resources);
      for (const verdict of [first, deployed])
        assert.deepEqual(
          mandatoryViolations(verdict).map((v) => `${v.policy}: ${v.message}`),
          [],
        );
      assert.ok((first.evaluated[zoneGroupApprovedZones.name] ?? 0) > 0);
      // No zone of its own and no Azure Monitor endpoint: nothing for the other two rules.
      assert.equal(first.evaluated[privateLinkZoneWithCentralZones.name], 0);
      assert.equal(first.evaluated[azureMonitorOnSharedZones.name], 0);
    });

    it("fails every zone group, and nothing else, while the committed config approves neither the hub nor its zones", () => {
      const groups = result.previewRun.resources.filter((r) => r.type === "azure-native:network:PrivateDnsZoneGroup");
      assert.ok(groups.length >= 30, `${groups.length} zone groups`);
      const mandatory = mandatoryViolations(result.verdict);
      assert.deepEqual(
        mandatory.filter((v) => v.policy === zoneGroupApprovedZones.name).map((v) => v.urn),
        groups.map((g) => g.urn),
      );
      assert.deepEqual(
        mandatory.filter((v) => v.policy !== zoneGroupApprovedZones.name).map((v) => v.policy),
        [peeringApproved.name],
      );
      for (const { message: m } of mandatory.filter((v) => v.policy === zoneGroupApprovedZones.name)) {
        assert.match(
          m,
          /^\S+ \(azure-native:network:PrivateDnsZoneGroup\) registers in \/subscriptions\/00000000-0000-4000-8000-0000000000aa\/resourceGroups\/rg-hub-dns-westeurope\/providers\/Microsoft\.Network\/privateDnsZones\/privatelink\.[^,]+(, \S+)?, outside this stack and not in allowedPrivateDnsZoneResourceGroups \(none approved\): /,
        );
      }
    });
  });

  describe("committed stacks and their policy configs", () => {
    const KNOB_RULES = [zoneGroupApprovedZones.name, privateLinkZoneWithCentralZones.name];

    it("every policy config approves the same hub zones for both rules that read allowedPrivateDnsZoneResourceGroups", () => {
      const dir = path.resolve(__dirname, "..", "..", "policies", "config");
      for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
        const config = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as Record<
          string,
          { allowedPrivateDnsZoneResourceGroups?: string[] } | undefined
        >;
        const values = KNOB_RULES.map((name) => config[name]?.allowedPrivateDnsZoneResourceGroups ?? []);
        assert.deepEqual(values[1], values[0], `${file}: ${KNOB_RULES.join(" and ")} disagree`);
      }
    });

    for (const stack of ["dev", "prod"] as const)
      it(`${stack}: the stack's own zones pass the zone group and Azure Monitor rules, and the privatelink rule is not applicable`, async () => {
        const { verdict, onceDeployed } = await previewOf(stack);
        const names = privateDnsPolicies.map((p) => p.name);
        assert.deepEqual(
          verdict.violations.filter((v) => names.includes(v.policy)),
          [],
        );
        assert.deepEqual(
          (onceDeployed ?? []).filter((v) => names.includes(v.policy)),
          [],
        );
        assert.ok((verdict.evaluated[zoneGroupApprovedZones.name] ?? 0) > 0);
        assert.ok((verdict.evaluated[azureMonitorOnSharedZones.name] ?? 0) > 0);
        assert.equal(verdict.evaluated[privateLinkZoneWithCentralZones.name], 0);
      });
  });
});
