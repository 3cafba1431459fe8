/**
 * `privateDns.mode: central` (lib/config/network.ts): the dev stack using the hub's private DNS zones, as Azure Landing
 * Zones keeps them, instead of its own: what it creates, where its endpoints register, how its VNet resolves them,
 * and what it hands the hub's owner.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { parseConfig, PROD_PRIVATE_ENDPOINTS, PROJECT } from "../lib/config";
import { PACK_ENFORCEMENT_LEVEL, policies } from "../policies/policies";
import { peeringApproved } from "../policies/rules/network";
import { privateLinkZoneWithCentralZones, zoneGroupApprovedZones } from "../policies/rules/privateDns";
import { resolvePolicies, type PackConfig } from "../tools/lib/policyRunner";
import { zoneLinkName, zoneLinkOptions } from "../components/platform/privateDns";
import { CENTRAL_ZONES } from "../lib/privateLink";
import { stackPolicyConfig, type PreviewResult } from "../tools/lib/preview";
import { rawOf } from "./helpers/config";
import { byName, CENTRAL_DNS, input, ofType, previewCentralDevOf, previewOf, waitsFor } from "./helpers/stacks";

const { hub: HUB, zonesResourceGroupId: ZONES, dnsServers: DNS_SERVERS } = CENTRAL_DNS;

type ZoneConfig = { readonly name: string; readonly privateDnsZoneId: string };

/** The zone names the stack's zone groups register in, sorted. */
function zonesUsed(run: PreviewResult["run"]): string[] {
  const zones = ofType(run.resources, "azure-native:network:PrivateDnsZoneGroup").flatMap((g) =>
    (input(g, "privateDnsZoneConfigs") as ZoneConfig[]).map((c) => c.privateDnsZoneId.split("/").pop() as string),
  );
  return [...new Set(zones)].sort();
}

describe("platform with the hub's private DNS zones (privateDns.mode central)", function () {
  // The program's preview and deployed views, the schema check: allow for a loaded machine.
  this.timeout(120_000);
  let result: PreviewResult;
  before(async () => {
    result = await previewCentralDevOf();
  });

  it("creates no private DNS zone or Azure Monitor Private Link Scope of its own", () => {
    const { resources } = result.run;
    for (const type of [
      "azure-native:privatedns:PrivateZone",
      "azure-native:monitor:PrivateLinkScope",
      "azure-native:monitor:PrivateLinkScopedResource",
    ])
      assert.deepEqual(
        ofType(resources, type).map((r) => r.name),
        [],
        type,
      );
    const monitorEndpoints = ofType(resources, "azure-native:network:PrivateEndpoint").filter((pe) =>
      JSON.stringify(pe.inputs.privateLinkServiceConnections).includes('"azuremonitor"'),
    );
    assert.deepEqual(
      monitorEndpoints.map((r) => r.name),
      [],
    );
  });

  it("registers every other endpoint, one zone group each, in the hub's zones only", async () => {
    const { resources } = result.run;
    const endpoints = ofType(resources, "azure-native:network:PrivateEndpoint");
    const groups = ofType(resources, "azure-native:network:PrivateDnsZoneGroup");
    // The same endpoints as the dev stack in mode stack, less the Azure Monitor scope's.
    const stackMode = ofType((await previewOf("dev")).run.resources, "azure-native:network:PrivateEndpoint");
    assert.deepEqual(
      endpoints.map((e) => e.name),
      stackMode.map((e) => e.name).filter((n) => n !== "platform-ampls-pep"),
    );
    assert.equal(groups.length, endpoints.length);
    for (const group of groups) {
      const configs = input(group, "privateDnsZoneConfigs") as ZoneConfig[];
      assert.ok(configs.length > 0, group.name);
      for (const c of configs) {
        const zone = c.privateDnsZoneId.split("/").pop() as (typeof CENTRAL_ZONES)[number];
        assert.equal(c.privateDnsZoneId, `${ZONES}/providers/Microsoft.Network/privateDnsZones/${zone}`, group.name);
        assert.ok(CENTRAL_ZONES.includes(zone), `${group.name}: ${zone}`);
      }
    }
  });

  it("links the hub's vault zone to its VNet, in the hub's subscription: the gateway resolves the vault through Azure DNS", () => {
    const { resources } = result.run;
    const links = ofType(resources, "azure-native:privatedns:VirtualNetworkLink");
    assert.deepEqual(
      links.map((l) => l.name),
      ["platform-dns-vaultcore-azure-net-central-link"],
    );
    const [link] = links;
    const vnet = byName(resources, "platform-vnet");
    assert.deepEqual(
      {
        zone: link.inputs.privateZoneName,
        group: link.inputs.resourceGroupName,
        vnet: input(link, "virtualNetwork.id"),
        registration: link.inputs.registrationEnabled,
        policy: link.inputs.resolutionPolicy,
      },
      {
        zone: "privatelink.vaultcore.azure.net",
        group: "rg-hub-dns-westeurope",
        vnet: vnet.id,
        registration: false,
        policy: "NxDomainRedirect",
      },
    );
    // Through a provider for the hub's subscription; nothing else uses it.
    const provider = byName(resources, "platform-hub-dns");
    assert.equal(provider.type, "pulumi:providers:azure-native");
    assert.equal(provider.inputs.subscriptionId, "00000000-0000-4000-8000-0000000000aa");
    assert.ok(link.provider?.startsWith(`${provider.urn}::`), link.provider);
    assert.deepEqual(
      resources.filter((r) => r.provider?.startsWith(`${provider.urn}::`)).map((r) => r.name),
      [link.name],
    );
    // The vault's zone group waits for the link, and the gateway, which reads its certificate at creation, for the
    // vault's endpoint and zone group directly.
    const vaultGroup = byName(resources, "platform-kv-pep-dns");
    const gateway = ofType(resources, "azure-native:network:ApplicationGateway")[0];
    assert.ok(waitsFor(resources, vaultGroup, link));
    const vaultEndpoint = byName(resources, "platform-kv-pep");
    for (const r of [vaultEndpoint, vaultGroup]) assert.ok(gateway.dependencies.includes(r.urn), r.name);
  });

  it("moves the vault zone's link between the modes in one up: each link aliases the other's and goes first", async () => {
    // Azure refuses a VNet linked to two zones of one name: the old link must be deleted before the new one exists.
    const stackMode = (await previewOf("dev")).run.resources;
    const own = byName(stackMode, zoneLinkName("platform", "privatelink.vaultcore.azure.net", "stack"));
    const hub = byName(result.run.resources, zoneLinkName("platform", "privatelink.vaultcore.azure.net", "central"));
    for (const link of [own, hub]) assert.equal(link.deleteBeforeReplace, true, link.name);
    assert.deepEqual(zoneLinkOptions("platform", "privatelink.vaultcore.azure.net", "stack"), {
      aliases: [{ name: hub.name }],
      deleteBeforeReplace: true,
    });
    assert.deepEqual(zoneLinkOptions("platform", "privatelink.vaultcore.azure.net", "central"), {
      aliases: [{ name: own.name }],
      deleteBeforeReplace: true,
    });
    // The zones linked in mode stack only keep their links' default options.
    assert.deepEqual(zoneLinkOptions("platform", "privatelink.blob.core.windows.net", "stack"), {});
    const blob = byName(stackMode, zoneLinkName("platform", "privatelink.blob.core.windows.net", "stack"));
    assert.notEqual(blob.deleteBeforeReplace, true);
  });

  it("resolves through the hub's DNS servers, reached across the hub peering", () => {
    const vnet = byName(result.run.resources, "platform-vnet");
    assert.deepEqual(input(vnet, "dhcpOptions"), { dnsServers: DNS_SERVERS });
    const peering = byName(result.run.resources, "platform-hub-peering");
    assert.equal(input(peering, "remoteVirtualNetwork.id"), HUB);
  });

  it("keeps the stack's own DNS servers in mode stack: Azure-provided DNS, with its zones linked", async () => {
    const { resources } = (await previewOf("dev")).run;
    assert.equal(input(byName(resources, "platform-vnet"), "dhcpOptions"), undefined);
    // The gateway reads its certificate through the vault's endpoint in this mode too: it waits for its DNS record.
    const gateway = ofType(resources, "azure-native:network:ApplicationGateway")[0];
    for (const name of ["platform-kv-pep", "platform-kv-pep-dns"])
      assert.ok(gateway.dependencies.includes(byName(resources, name).urn), name);
  });

  it("hands the hub's owner the workspace and every Application Insights component for the hub's scope", () => {
    const { run } = result;
    const exported = run.stackOutputs.azureMonitorScopedResourceIds as string[];
    const expected = [
      byName(run.resources, "platform-log").id,
      ...ofType(run.resources, "azure-native:applicationinsights:Component").map((c) => c.id),
    ];
    assert.ok(expected.length >= 4, expected.join(", "));
    assert.deepEqual([...exported].sort(), [...expected].sort());
  });

  it("starts each function app after the same resources as in mode stack, less the scope link", async () => {
    // Its host reads storage and sends telemetry at start-up: what it waited for in the stack's zones still holds.
    const deps = (run: PreviewResult["run"], app: string) => {
      const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
      return byName(run.resources, app).dependencies.map((u) => {
        const d = byUrn.get(u);
        assert.ok(d, `${app} waits for ${u}, a resource of the stack`);
        return `${d.type} ${d.name}`;
      });
    };
    const stackMode = (await previewOf("dev")).run;
    const apps = ofType(result.run.resources, "azure-native:web:WebApp").map((a) => a.name);
    assert.ok(apps.length >= 3, apps.join(", "));
    for (const app of apps) {
      const own = deps(stackMode, app);
      assert.ok(
        own.some((d) => d.startsWith("azure-native:monitor:PrivateLinkScopedResource ")),
        app,
      );
      // Besides the hub peering (dev has no hub), which everything joining a subnet waits for.
      const peering = "azure-native:network:VirtualNetworkPeering platform-hub-peering";
      const central = deps(result.run, app);
      assert.ok(central.includes(peering), app);
      assert.deepEqual(
        central.filter((d) => d !== peering),
        own.filter((d) => !d.startsWith("azure-native:monitor:PrivateLinkScopedResource ")),
        app,
      );
    }
  });

  it("passes the ARM schema check, the VNet's DNS servers and the zone groups included", () => {
    const schema = result.schema;
    assert.ok(schema, "the schema check ran");
    assert.deepEqual(
      schema.errors.map((e) => `${e.resource} ${e.path}: ${e.message}`),
      [],
    );
    const checked = new Set(schema.resources.map((r) => r.armType));
    assert.ok(checked.has("Microsoft.Network/virtualNetworks"), [...checked].join(", "));
    assert.ok(checked.has("Microsoft.Network/privateEndpoints/privateDnsZoneGroups"), [...checked].join(", "));
  });

  it("uses the zones docs/operations.md asks the hub's owner for, in both stacks, and the count of zone groups it moves", async () => {
    const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "operations.md"), "utf8");
    // Item 1's list alone: from its count to the sentence after it, each zone a whole back-quoted name.
    const item = doc.slice(doc.indexOf("endpoints use these"), doc.indexOf("ALZ's default list has them all"));
    const listed = [...(item.match(/`privatelink\.[a-z0-9.-]+`/g) ?? [])].map((z) => z.slice(1, -1)).sort();
    assert.equal(new Set(listed).size, listed.length, "each zone listed once");
    assert.deepEqual(zonesUsed(result.run), listed);
    // Prod in mode central has prod's endpoints less the scope's (as dev, above), in the hub's zones of the same names:
    // the zones prod's own zone groups use, less the scope's.
    const prod = (await previewOf("prod")).run.resources;
    const zoneName = new Map(
      ofType(prod, "azure-native:privatedns:PrivateZone").map((z) => [z.id, String(z.inputs.privateZoneName)]),
    );
    const prodZones = ofType(prod, "azure-native:network:PrivateDnsZoneGroup")
      .filter((g) => g.name !== "platform-ampls-pep-dns")
      .flatMap((g) => (input(g, "privateDnsZoneConfigs") as ZoneConfig[]).map((c) => zoneName.get(c.privateDnsZoneId)));
    assert.deepEqual([...new Set(prodZones)].sort(), listed);
    assert.match(item, new RegExp(`^endpoints use these ${listed.length} \\(both stacks`));
    const endpoints = ofType(prod, "azure-native:network:PrivateEndpoint").length - 1;
    assert.equal(endpoints, PROD_PRIVATE_ENDPOINTS - 1);
    assert.match(doc, new RegExp(`the ${endpoints}\\s+zone\\s+groups\\s+move\\s+to\\s+the\\s+hub.s\\s+zones`));
  });
});

describe("docs/configuration.md: the privateDns example", () => {
  const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "configuration.md"), "utf8");
  const section = doc.slice(doc.indexOf("### `privateDns`"), doc.indexOf("### `flowLogs`"));
  const block = (lang: string) => {
    const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(section);
    assert.ok(m, `a ${lang} block in the section`);
    return m[1];
  };

  it("is a valid stack config in mode central, and the policy config that approves the same hub and zones", () => {
    const stack = (parseYaml(block("yaml")) as { config: Record<string, unknown> }).config;
    const raw = { ...rawOf("dev") } as Record<string, unknown>;
    for (const [key, value] of Object.entries(stack)) raw[key.replace(`${PROJECT}:`, "")] = value;
    const c = parseConfig(raw, "dev");
    assert.equal(c.privateDns.mode, "central");
    const hub = c.hub?.virtualNetworkId as string;
    const zones = c.privateDns.zonesResourceGroupId as string;

    const example = JSON.parse(block("json")) as PackConfig;
    // Merged into the committed dev config as the docs say: the pack accepts every rule and setting.
    const merged = { ...stackPolicyConfig("dev"), ...example };
    resolvePolicies(policies, merged, PACK_ENFORCEMENT_LEVEL);
    const setting = (rule: string, key: string) => (example[rule] as Record<string, unknown>)[key];
    assert.deepEqual(setting(peeringApproved.name, "allowedRemoteVirtualNetworks"), [hub]);
    for (const rule of [zoneGroupApprovedZones.name, privateLinkZoneWithCentralZones.name])
      assert.deepEqual(setting(rule, "allowedPrivateDnsZoneResourceGroups"), [zones]);
  });
});
