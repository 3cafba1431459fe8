import { strict as assert } from "node:assert";
import { mlComputeRules } from "../components/platform/firewall";
import * as path from "node:path";
import { PRIVATE_DNS_ZONES } from "../lib/privateLink";
import { roleAssignmentName } from "../lib/uuid";
import { hubDnsLinkTarget, hubPeering, nsgRules, PIPELINE_LOG_TABLES, SUBNETS } from "../components/platform";
import { paymentApiEndpointRules } from "../components/platform/subnets";
import { checkSchemas } from "../tools/lib/armSchema/check";
import { armIdentityFromId } from "../tools/lib/armSchema/identity";
import { BuiltInRoles, initialExpiry, lockFor, rotationPolicy, zonesFor } from "../components/shared";
import { SUBSCRIPTION_ID } from "../tools/lib/azureMocks";
import { costOfStack } from "../tools/lib/cost/stack";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, policies } from "../policies/policies";
import { routeFirewallNextHop } from "../policies/rules/egress";
import { peeringApproved } from "../policies/rules/network";
import { packVersion, previewStack, stackPolicyConfig, stackTagsFor } from "../tools/lib/preview";
import { evaluatePolicy, runPolicies } from "../tools/lib/policyRunner";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import type { SubnetRole } from "../lib/config";
import {
  assertChainedPairwise,
  byName,
  configOf,
  input,
  ofType,
  previewEdited,
  previewOf,
  waitsFor,
} from "./helpers/stacks";

const ROOT = path.resolve(__dirname, "..");

describe("the payment API's private endpoint: the gateway and the code's runners only", () => {
  const base = configOf("prod");
  const withGateway = (gateway: Record<string, unknown>) => ({
    subnets: base.subnets,
    ingestion: { ...base.ingestion, gateway: { ...base.ingestion.gateway, ...gateway } },
  });
  it("restricts it whenever the runners' ranges are set, with or without merchant authentication", () => {
    for (const gateway of [
      { paymentApiDeploySources: ["10.40.0.0/27"] },
      {
        paymentApiDeploySources: ["10.40.0.0/27"],
        merchantCertificateAuthorities: [{ name: "ca", certificate: "-----BEGIN CERTIFICATE-----" }],
      },
    ]) {
      const rules = paymentApiEndpointRules(withGateway(gateway), "asg-id");
      assert.deepEqual(
        rules.map((r) => [r.name, r.priority, r.access, r.destinationPortRange]),
        [
          ["allow-gateway-and-deploy-to-payment-api", 100, "Allow", "443"],
          ["deny-others-to-payment-api", 110, "Deny", "*"],
        ],
      );
      assert.deepEqual(rules[0].sourceAddressPrefixes, [base.subnets.appGateway, "10.40.0.0/27"]);
      assert.deepEqual(rules[1].destinationApplicationSecurityGroups, [{ id: "asg-id" }]);
    }
  });
  it("leaves it open to the network without them (the code could not be shipped): prod as committed", () => {
    assert.deepEqual(paymentApiEndpointRules(withGateway({ paymentApiDeploySources: undefined }), "asg-id"), []);
    assert.deepEqual(paymentApiEndpointRules(withGateway({ paymentApiDeploySources: [] }), "asg-id"), []);
  });
});

describe("shared interfaces", () => {
  it("private endpoints: the zones of a service, or an error naming the missing zone", () => {
    const target = {
      subnetId: "snet",
      resourceGroupName: "rg",
      location: "westeurope",
      privateDnsZoneIds: { "privatelink.api.azureml.ms": "z1" },
    };
    assert.throws(() => zonesFor("mlWorkspace", target), /needs the private DNS zone privatelink.notebooks.azure.net/);
    assert.deepEqual(
      zonesFor("mlWorkspace", {
        ...target,
        privateDnsZoneIds: { ...target.privateDnsZoneIds, "privatelink.notebooks.azure.net": "z2" },
      }),
      [
        { zone: "privatelink.api.azureml.ms", id: "z1" },
        { zone: "privatelink.notebooks.azure.net", id: "z2" },
      ],
    );
  });
  it("locks only when protection is on", () => {
    assert.equal(lockFor(true, "x").kind, "CanNotDelete");
    assert.equal(lockFor(false, "x").kind, "None");
  });
  it("key rotation: rotate after N days, notify 30 days before expiry, expiry on a day boundary", () => {
    assert.deepEqual(rotationPolicy({ hsm: true, keySize: 3072, rotationDays: 180, expiryDays: 365 }), {
      attributes: { expiryTime: "P365D" },
      lifetimeActions: [
        { action: { type: "rotate" }, trigger: { timeAfterCreate: "P180D" } },
        { action: { type: "notify" }, trigger: { timeBeforeExpiry: "P30D" } },
      ],
    });
    assert.equal(initialExpiry(10, new Date("2026-11-25T19:44:00Z")), Date.UTC(2026, 11, 5) / 1000);
  });
  it("NSGs deny all inbound by default and allow only what the role needs", () => {
    const agw = nsgRules(SUBNETS.appGateway, "westeurope");
    assert.deepEqual(agw.at(-1), {
      name: "deny-all-inbound",
      priority: 4096,
      direction: "Inbound",
      access: "Deny",
      protocol: "*",
      sourceAddressPrefix: "*",
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: "*",
    });
    assert.deepEqual(
      agw.filter((r) => r.access === "Allow").map((r) => [r.sourceAddressPrefix, r.destinationPortRange]),
      [
        ["Internet", "443"],
        ["GatewayManager", "65200-65535"],
        ["AzureLoadBalancer", "*"],
      ],
    );
    assert.equal(nsgRules(SUBNETS.functions, "westeurope").length, 1, "integration subnets take no inbound traffic");
    assert.equal(
      nsgRules(SUBNETS.flexFunctions, "westeurope").length,
      1,
      "integration subnets take no inbound traffic",
    );
    assert.equal(SUBNETS.flexFunctions.delegation, "Microsoft.App/environments", "Flex Consumption delegation");
    // The ML compute nodes admit each other on every port, and no one else: the subnet's own range, not the network.
    const ml = nsgRules(SUBNETS.mlCompute, "westeurope", 100, "10.20.3.0/24").find(
      (r) => r.name === "allow-vnet-intra-cluster",
    );
    assert.deepEqual([ml?.sourceAddressPrefix, ml?.destinationPortRange], ["10.20.3.0/24", "*"]);
    assert.throws(
      () => nsgRules(SUBNETS.mlCompute, "westeurope"),
      /admits the subnet's own range, which nsgRules was not given/,
    );
    // Only the gateway subnet admits anything from the internet, and only HTTPS (no plain HTTP, not even a redirect).
    const dev = configOf("dev");
    for (const [role, spec] of Object.entries(SUBNETS)) {
      const fromInternet = nsgRules(spec, "westeurope", 100, dev.subnets[role as SubnetRole]).filter(
        (r) => r.access === "Allow" && r.sourceAddressPrefix === "Internet",
      );
      if (role === "appGateway") {
        assert.deepEqual(
          fromInternet.map((r) => [r.protocol, r.destinationPortRange]),
          [["Tcp", "443"]],
        );
      } else assert.deepEqual(fromInternet, [], `${role} admits internet traffic`);
      // A subnet routed to the firewall: its VirtualNetwork tag may hold the default route, i.e. any address.
      if (spec.egressViaFirewall)
        assert.deepEqual(
          nsgRules(spec, "westeurope", 100, dev.subnets[role as SubnetRole])
            .filter(
              (r) => r.access === "Allow" && r.direction === "Inbound" && r.sourceAddressPrefix === "VirtualNetwork",
            )
            .map((r) => r.name),
          [],
          `${role} admits the VirtualNetwork tag behind its default route`,
        );
    }
    assert.ok(Object.values(SUBNETS).filter((s) => s.egressViaFirewall).length >= 3);
  });
});

for (const stack of ["dev", "prod"] as const) {
  describe(`platform (${stack})`, () => {
    let resources: ResourceRecord[];
    const prod = stack === "prod";
    before(async () => {
      resources = (await previewOf(stack)).run.resources;
    });
    // The platform's own resources (logical names `platform-…`): tiers add vaults, workspaces, ... of their own.
    const one = (type: string) => {
      const list = ofType(resources, `azure-native:${type}`).filter((r) => r.name.startsWith("platform-"));
      assert.equal(list.length, 1, `one ${type}`);
      return list[0];
    };

    it("creates resource groups by lifecycle in the primary EU region (and prod's SQL geo-secondary's in the secondary)", () => {
      const rgs = ofType(resources, "azure-native:resources:ResourceGroup");
      const platformGroups = rgs.filter((r) => r.name.startsWith("platform-"));
      assert.deepEqual(platformGroups.map((r) => r.inputs.resourceGroupName).sort(), [
        `rg-pay-${stack}-weu-data`,
        `rg-pay-${stack}-weu-ingestion`,
        `rg-pay-${stack}-weu-integration`,
        `rg-pay-${stack}-weu-ml`,
        `rg-pay-${stack}-weu-monitoring`,
        `rg-pay-${stack}-weu-network`,
        `rg-pay-${stack}-weu-security`,
      ]);
      assert.ok(platformGroups.every((r) => r.inputs.location === "westeurope"));
      // Every other group is the OLTP tier's geo-secondary's (prod's failover group), in its own region.
      assert.deepEqual(
        rgs
          .filter((r) => !platformGroups.includes(r))
          .map((r) => [r.name, r.inputs.resourceGroupName, r.inputs.location]),
        prod ? [["oltp-secondary-rg", "rg-pay-prod-neu-data", "northeurope"]] : [],
      );
    });

    it("Key Vault: RBAC, purge protection, 90-day soft delete, no public access, SKU by environment", () => {
      const kv = byName(resources, "platform-kv");
      assert.deepEqual(
        { ...(kv.inputs.properties as Record<string, unknown>), tenantId: undefined },
        {
          tenantId: undefined,
          sku: { family: "A", name: prod ? "premium" : "standard" },
          enableRbacAuthorization: true,
          enableSoftDelete: true,
          enabledForDeployment: false,
          enabledForDiskEncryption: false,
          enabledForTemplateDeployment: false,
          softDeleteRetentionInDays: 90,
          enablePurgeProtection: true,
          publicNetworkAccess: "Disabled",
          networkAcls: { defaultAction: "Deny", bypass: "AzureServices", ipRules: [], virtualNetworkRules: [] },
        },
      );
      assert.match(String(kv.inputs.vaultName), new RegExp(`^kv-pay-${stack}-weu-[a-z0-9]{4}$`));
    });

    it("the keys Cosmos DB and Event Hubs use (NoSQL, the Premium namespace, and Azure ML metadata in a vault of its own) live in vaults the services can reach; every other key stays in the private vault", async () => {
      const main = byName(resources, "platform-kv");
      const cosmos = byName(resources, "platform-kv-cosmos");
      assert.match(String(cosmos.inputs.vaultName), new RegExp(`^kvc-pay-${stack}-weu-[a-z0-9]{4}$`));
      const p = cosmos.inputs.properties as Record<string, unknown>;
      // Public network access on, but the firewall denies every network: only trusted Azure services get through.
      assert.equal(p.publicNetworkAccess, "Enabled");
      assert.deepEqual(p.networkAcls, {
        defaultAction: "Deny",
        bypass: "AzureServices",
        ipRules: [],
        virtualNetworkRules: [],
      });
      assert.equal(p.enablePurgeProtection, true);
      assert.equal(p.enableRbacAuthorization, true);
      assert.deepEqual(p.sku, { family: "A", name: prod ? "premium" : "standard" });
      assert.equal(cosmos.protect, prod);
      // The private endpoint is kept (people and workloads in the VNet use it).
      const pe = byName(resources, "platform-kv-cosmos-pep");
      assert.equal(
        (pe.inputs.privateLinkServiceConnections as Record<string, unknown>[])[0].privateLinkServiceId,
        cosmos.id,
      );
      const vaultOf = (keyName: string) =>
        ofType(resources, "azure-native:keyvault:Key").find((k) => k.inputs.keyName === keyName)?.inputs.vaultName;
      assert.equal(vaultOf("cmk-cosmos"), cosmos.inputs.vaultName);
      assert.equal(vaultOf("cmk-event-hubs"), cosmos.inputs.vaultName);
      // The ML workspace's key: reached the same way, in a vault of its own (its identity holds Key Vault Contributor
      // there, as Microsoft asks, without reaching the other services' vault).
      const ml = byName(resources, "platform-kv-ml");
      assert.match(String(ml.inputs.vaultName), new RegExp(`^kvm-pay-${stack}-weu-[a-z0-9]{4}$`));
      assert.deepEqual(
        (ml.inputs.properties as Record<string, unknown>).networkAcls,
        p.networkAcls,
        "the same trusted-services firewall",
      );
      assert.equal((ml.inputs.properties as Record<string, unknown>).publicNetworkAccess, "Enabled");
      assert.equal(ml.protect, prod);
      assert.equal(vaultOf("cmk-ml"), ml.inputs.vaultName);
      assert.deepEqual(
        ofType(resources, "azure-native:keyvault:Key")
          .filter((k) => k.inputs.vaultName === ml.inputs.vaultName)
          .map((k) => k.inputs.keyName),
        ["cmk-ml"],
      );
      const trusted = ["cmk-cosmos", "cmk-ml", "cmk-event-hubs"];
      for (const k of ofType(resources, "azure-native:keyvault:Key").filter(
        (k) => !trusted.includes(String(k.inputs.keyName)),
      )) {
        assert.equal(k.inputs.vaultName, main.inputs.vaultName, `${String(k.inputs.keyName)} in the private vault`);
      }
      // The pack checks exactly that on the stack (applicable, no violation).
      const { verdict } = await previewOf(stack);
      const rule = "azure-native-cosmosdb-databaseaccount-require-reachable-cmk-vault";
      assert.ok((verdict.evaluated[rule] ?? 0) > 0, `${rule} evaluated the stack`);
      assert.deepEqual(
        verdict.violations.filter((v) => v.policy === rule),
        [],
      );
      const account = ofType(resources, "azure-native:cosmosdb:DatabaseAccount")[0];
      assert.ok(
        String(account.inputs.keyVaultKeyUri).startsWith(`https://${String(cosmos.inputs.vaultName)}.vault.azure.net/`),
      );
    });

    it("every key is deleted with its vault (a destroy never calls the private vault's data plane)", () => {
      const keys = ofType(resources, "azure-native:keyvault:Key");
      assert.ok(keys.length >= 8, `${keys.length} keys`);
      for (const k of keys) {
        const vault = ofType(resources, "azure-native:keyvault:Vault").find(
          (v) => v.inputs.vaultName === k.inputs.vaultName,
        );
        assert.ok(vault, `${k.name}: its vault`);
        assert.equal(k.deletedWith, vault.urn, `${k.name} deletedWith its vault`);
      }
    });

    it("writes to one key vault go one at a time: its keys, then its private endpoint, which no key or grant wait waits for", () => {
      // Key Vault refuses overlapping operations on one vault (409 ConflictError), which azure-native does not retry.
      const keys = ofType(resources, "azure-native:keyvault:Key");
      const endpoints = ofType(resources, "azure-native:network:PrivateEndpoint");
      const vaults = ofType(resources, "azure-native:keyvault:Vault");
      assert.equal(vaults.length, 4, "the platform's three vaults and the ML workspace's");
      const perVault = vaults.map((vault) => {
        const own = keys.filter((k) => k.inputs.vaultName === vault.inputs.vaultName);
        const pep = endpoints.filter(
          (e) => input(e, "privateLinkServiceConnections.0.privateLinkServiceId") === vault.id,
        );
        assert.equal(pep.length, 1, `${vault.name}: one private endpoint`);
        // Its key-expiry event subscriptions write to the vault too (eventGridFilters/write): in the same line.
        const topic = ofType(resources, "azure-native:eventgrid:SystemTopic").find((t) => t.inputs.source === vault.id);
        const subscriptions = ofType(resources, "azure-native:eventgrid:SystemTopicEventSubscription").filter(
          (e) => topic !== undefined && e.inputs.systemTopicName === topic.inputs.systemTopicName,
        );
        assert.ok(subscriptions.length > 0, `${vault.name}: expiry subscriptions`);
        // In registration order: each key after every earlier one, the endpoint after all of them, then the
        // subscriptions (removals in reverse).
        assertChainedPairwise([...own, ...pep, ...subscriptions]);
        return [vault.name, own.length] as const;
      });
      // Sorted by name: the vaults' registration order is the engine's, not the program's to keep.
      perVault.sort((a, b) => a[0].localeCompare(b[0]));
      assert.deepEqual(perVault, [
        ["ml-kv", 0],
        ["platform-kv", 5],
        ["platform-kv-cosmos", 2],
        ["platform-kv-ml", 1],
      ]);
      // Keys → grants → the 10-minute RBAC wait → services: no step of it waits for a vault's endpoint.
      const vaultEndpoints = endpoints.filter((e) =>
        vaults.some((v) => input(e, "privateLinkServiceConnections.0.privateLinkServiceId") === v.id),
      );
      const waits = ofType(resources, "time:index/sleep:Sleep").filter((s) => s.name.endsWith("grant-propagation"));
      assert.ok(waits.length >= 6, `${waits.length} grant waits`);
      for (const later of [...keys, ...waits])
        for (const pep of vaultEndpoints)
          assert.ok(!waitsFor(resources, later, pep), `${later.name} does not wait for ${pep.name}`);
    });

    it(
      prod
        ? "protects every key and keeps it in its vault if the program drops it (a service may still encrypt with it)"
        : "leaves dev's keys unprotected",
      () => {
        const keys = ofType(resources, "azure-native:keyvault:Key");
        assert.ok(
          keys.some((k) => k.inputs.keyName === "ae-cmk-oltp"),
          "the Always Encrypted master key included",
        );
        for (const k of keys) {
          assert.equal(k.protect, prod, `${k.name} protect`);
          assert.equal(k.retainOnDelete ?? false, prod, `${k.name} retainOnDelete`);
        }
      },
    );

    it(
      prod
        ? "protects and locks every identity a service reaches its customer-managed key with (its loss cuts the key)"
        : "leaves dev's key identities unprotected and unlocked",
      () => {
        // The identities granted Key Vault Crypto Service Encryption User on a key: the CMK identities.
        const grants = ofType(resources, "azure-native:authorization:RoleAssignment").filter((r) =>
          String(r.inputs.roleDefinitionId).endsWith("e147488a-f6f5-4113-8e2d-b22465e65bf6"),
        );
        const identities = ofType(resources, "azure-native:managedidentity:UserAssignedIdentity").filter((i) =>
          grants.some((g) => g.inputs.principalId === i.outputs.principalId),
        );
        assert.ok(identities.length >= 6, `${identities.length} key identities`);
        assert.ok(identities.some((i) => String(i.inputs.resourceName).includes("cmk-sql")));
        const locks = ofType(resources, "azure-native:authorization:ManagementLockByScope");
        for (const id of identities) {
          assert.equal(id.protect ?? false, prod, `${id.name} protect`);
          assert.deepEqual(
            locks.filter((l) => l.inputs.scope === id.id).map((l) => l.inputs.level),
            prod ? ["CanNotDelete"] : [],
            `${id.name} lock`,
          );
        }
      },
    );

    it(
      prod
        ? "protects and locks every other user-assigned identity too (a re-created one is another principal)"
        : "leaves dev's identities unprotected and unlocked",
      () => {
        const identities = ofType(resources, "azure-native:managedidentity:UserAssignedIdentity");
        // The apps', the gateway's, the relay's, the ETL's, the flow log's and Azure ML's, beside the key identities.
        for (const name of [
          "ingestion-id-payment-api",
          "ingestion-id-gateway",
          "streaming-id-relay",
          "etl-identity",
          "etl-deploy-identity",
          "platform-flowlog-id",
          "ml-id-workspace",
        ])
          assert.ok(
            identities.some((i) => i.name === name),
            name,
          );
        const locks = ofType(resources, "azure-native:authorization:ManagementLockByScope");
        for (const id of identities) {
          assert.equal(id.protect ?? false, prod, `${id.name} protect`);
          assert.equal(locks.filter((l) => l.inputs.scope === id.id).length, prod ? 1 : 0, `${id.name} lock`);
        }
      },
    );

    it("links resources to the monitor private link scope one at a time, each after every earlier link (removals too)", () => {
      // After the workspace's own link and the scope's private endpoint, which the chain starts from.
      const links = ofType(resources, "azure-native:monitor:PrivateLinkScopedResource").filter(
        (l) => l.name !== "platform-ampls-log",
      );
      assert.ok(links.length >= 4, `${links.length} scope links`);
      assert.ok(
        links[0].dependencies.includes(byName(resources, "platform-ampls-pep-dns").urn),
        "the first link after the scope's endpoint",
      );
      // The scope's endpoint after the workspace's own link (Azure changes a scope one operation at a time).
      assert.ok(
        byName(resources, "platform-ampls-pep").dependencies.includes(byName(resources, "platform-ampls-log").urn),
        "the scope's endpoint after the workspace link",
      );
      assertChainedPairwise(links);
    });

    it("hands out each private DNS zone only once its VNet links exist (a VNet resolves a zone only through a link)", () => {
      const zones = ofType(resources, "azure-native:privatedns:PrivateZone");
      const links = ofType(resources, "azure-native:privatedns:VirtualNetworkLink");
      const groups = ofType(resources, "azure-native:network:PrivateDnsZoneGroup");
      assert.ok(groups.length > 10, `${groups.length} DNS zone groups`);
      for (const group of groups) {
        const zoneUrns = group.dependencies.filter((u) => zones.some((z) => z.urn === u));
        assert.ok(zoneUrns.length > 0, `${group.name}: names a zone`);
        for (const zoneUrn of zoneUrns) {
          const zone = zones.find((z) => z.urn === zoneUrn) as (typeof zones)[number];
          const own = links.filter((l) => l.name.startsWith(`${zone.name}-`) && l.name.endsWith("link"));
          assert.ok(own.length > 0, `${zone.name}: its links`);
          for (const link of own) assert.ok(waitsFor(resources, group, link), `${group.name} waits for ${link.name}`);
        }
      }
    });

    it("routes each vault's key and secret expiry events to the on-call action group (Azure Monitor alerts)", async () => {
      const { verdict } = await previewOf(stack);
      const rule = "azure-native-keyvault-vault-require-key-expiry-alerts";
      assert.ok((verdict.evaluated[rule] ?? 0) > 0, `${rule} evaluated the stack`);
      assert.deepEqual(
        verdict.violations.filter((v) => v.policy === rule),
        [],
      );
      const group = (priority: string) => byName(resources, `platform-ag-${priority}`);
      const topics = ofType(resources, "azure-native:eventgrid:SystemTopic");
      const vaults = ofType(resources, "azure-native:keyvault:Vault");
      assert.deepEqual(
        topics.map((t) => t.inputs.source).sort(),
        vaults.map((v) => v.id).sort(),
        "one topic per vault",
      );
      for (const topic of topics) {
        assert.equal(topic.inputs.topicType, "Microsoft.KeyVault.vaults");
        assert.equal(topic.inputs.location, "westeurope");
        const subs = ofType(resources, "azure-native:eventgrid:SystemTopicEventSubscription").filter(
          (s) => s.inputs.systemTopicName === topic.inputs.systemTopicName,
        );
        // The private vault's topic also notifies each new key version: three of its keys' services stay on theirs.
        const privateVault = topic.inputs.source === byName(resources, "platform-kv").id;
        assert.deepEqual(
          subs.map((s) => [
            (s.inputs.filter as { includedEventTypes: string[] }).includedEventTypes,
            input(s, "destination.severity"),
          ]),
          [
            [
              [
                "Microsoft.KeyVault.KeyNearExpiry",
                "Microsoft.KeyVault.SecretNearExpiry",
                "Microsoft.KeyVault.CertificateNearExpiry",
              ],
              "Sev2",
            ],
            [
              [
                "Microsoft.KeyVault.KeyExpired",
                "Microsoft.KeyVault.SecretExpired",
                "Microsoft.KeyVault.CertificateExpired",
              ],
              "Sev1",
            ],
            ...(privateVault ? [[["Microsoft.KeyVault.KeyNewVersionCreated"], "Sev3"]] : []),
          ],
        );
        for (const sub of subs) {
          assert.equal(sub.inputs.eventDeliverySchema, "CloudEventSchemaV1_0", "the only schema Monitor alerts take");
          assert.equal(input(sub, "destination.endpointType"), "MonitorAlert");
          // Severity routing: near expiry (Sev2) to the P2 group, expired (Sev1) pages P1, a new version (Sev3) P3.
          const priority = { Sev1: "p1", Sev2: "p2", Sev3: "p3" }[String(input(sub, "destination.severity"))] ?? "?";
          assert.deepEqual(input(sub, "destination.actionGroups"), [group(priority).id]);
        }
        for (let i = 1; i < subs.length; i++)
          assert.ok(subs[i].dependencies.includes(subs[i - 1].urn), "one subscription at a time on a topic");
        if (privateVault) {
          // It names the keys that need a step, and each of them is a key of that vault.
          const description = String(input(subs[2], "destination.description"));
          const vaultName = byName(resources, "platform-kv").inputs.vaultName;
          for (const key of ["cmk-synapse", "cmk-data-factory", "ae-cmk-oltp"]) {
            assert.match(description, new RegExp(`\\b${key}\\b`));
            const k = ofType(resources, "azure-native:keyvault:Key").find((r) => r.inputs.keyName === key);
            assert.equal(k?.inputs.vaultName, vaultName, `${key} is in the private vault`);
          }
          assert.match(description, /docs\/runbook\.md#key-rotated/);
        }
      }
    });

    it("Key Vault has a private endpoint in the PE subnet, registered in the vault zone", () => {
      const kv = byName(resources, "platform-kv");
      const pe = byName(resources, "platform-kv-pep");
      const vnet = one("network:VirtualNetwork");
      assert.deepEqual((pe.inputs.privateLinkServiceConnections as Record<string, unknown>[])[0].groupIds, ["vault"]);
      assert.equal(
        (pe.inputs.privateLinkServiceConnections as Record<string, unknown>[])[0].privateLinkServiceId,
        kv.id,
      );
      assert.equal(input(pe, "subnet.id"), `${vnet.id}/subnets/snet-private-endpoints`);
      const zone = ofType(resources, "azure-native:privatedns:PrivateZone").find(
        (z) => z.inputs.privateZoneName === "privatelink.vaultcore.azure.net",
      );
      const group = byName(resources, "platform-kv-pep-dns");
      assert.deepEqual(group.inputs.privateDnsZoneConfigs, [
        { name: "privatelink-vaultcore-azure-net", privateDnsZoneId: zone?.id },
      ]);
    });

    it("Log Analytics: retention by environment, local auth off, ingestion closed", () => {
      const log = one("operationalinsights:Workspace");
      assert.equal(log.inputs.retentionInDays, prod ? 365 : 90);
      assert.deepEqual(log.inputs.features, {
        disableLocalAuth: true,
        enableLogAccessUsingOnlyResourcePermissions: true,
      });
      assert.equal(log.inputs.publicNetworkAccessForIngestion, "Disabled");
    });

    it("sends Key Vault and NSG diagnostics to the central workspace", () => {
      const log = one("operationalinsights:Workspace");
      const kv = byName(resources, "platform-kv");
      const diags = ofType(resources, "azure-native:monitor:DiagnosticSetting");
      const kvDiag = diags.find((d) => d.inputs.resourceUri === kv.id);
      assert.ok(kvDiag, "key vault diagnostic setting");
      assert.equal(kvDiag.inputs.workspaceId, log.id);
      assert.deepEqual(kvDiag.inputs.logs, [{ categoryGroup: "allLogs", enabled: true }]);
      assert.deepEqual(kvDiag.inputs.metrics, [{ category: "AllMetrics", enabled: true }]);
      for (const nsg of ofType(resources, "azure-native:network:NetworkSecurityGroup")) {
        assert.ok(
          diags.some((d) => d.inputs.resourceUri === nsg.id && d.inputs.workspaceId === log.id),
          `diagnostics for ${nsg.name}`,
        );
      }
      // Who queried the audit trail (the workspace's audit group, LAQueryLogs), the public IPs' DDoS logs, and the
      // expiry topics' delivery failures, all in the workspace too.
      const logDiag = diags.find((d) => d.inputs.resourceUri === log.id);
      assert.deepEqual(logDiag?.inputs.logs, [{ categoryGroup: "audit", enabled: true }]);
      assert.equal(logDiag?.inputs.workspaceId, log.id);
      for (const r of [
        ...ofType(resources, "azure-native:network:PublicIPAddress"),
        ...ofType(resources, "azure-native:eventgrid:SystemTopic"),
      ])
        assert.ok(
          diags.some((d) => d.inputs.resourceUri === r.id && d.inputs.workspaceId === log.id),
          `diagnostics for ${r.name}`,
        );
      assert.equal(ofType(resources, "azure-native:eventgrid:SystemTopic").length >= 2, true);
      // The VNet's log category and its (DDoS) metrics (the PCI DSS initiative's diagnostic audit lists VNets), in the
      // default (AzureDiagnostics) mode.
      const vnet = byName(resources, "platform-vnet");
      const vnetDiag = diags.find((d) => d.inputs.resourceUri === vnet.id);
      assert.equal(vnetDiag?.inputs.workspaceId, log.id);
      assert.deepEqual(vnetDiag?.inputs.logs, [{ categoryGroup: "allLogs", enabled: true }]);
      assert.deepEqual(vnetDiag?.inputs.metrics, [{ category: "AllMetrics", enabled: true }]);
      assert.equal(vnetDiag?.inputs.logAnalyticsDestinationType, undefined);
    });

    it("sends the logs of types without resource-specific tables to AzureDiagnostics, every other type's to their own tables", () => {
      // Public IPs' DDoS logs, the VNet's, NSGs' and the Stream Analytics job's (Azure Monitor's supported-logs pages,
      // the Stream Analytics monitoring reference), and the SQL databases' audit (oltp.spec.ts): Azure takes a
      // `Dedicated` request for them and reads it back unset (Azure/azure-rest-api-specs#9281).
      const legacy = new Set([
        "microsoft.network/publicipaddresses",
        "microsoft.network/virtualnetworks",
        "microsoft.network/networksecuritygroups",
        "microsoft.streamanalytics/streamingjobs",
        "microsoft.sql/servers/databases",
      ]);
      const byType = new Map<string, Set<unknown>>();
      for (const d of ofType(resources, "azure-native:monitor:DiagnosticSetting")) {
        const type =
          armIdentityFromId(String(d.inputs.resourceUri))?.armType.toLowerCase() ?? String(d.inputs.resourceUri);
        byType.set(type, (byType.get(type) ?? new Set()).add(d.inputs.logAnalyticsDestinationType));
      }
      for (const [type, destinations] of byType)
        assert.deepEqual([...destinations], [legacy.has(type) ? undefined : "Dedicated"], type);
      for (const type of ["microsoft.network/publicipaddresses", "microsoft.streamanalytics/streamingjobs"])
        assert.ok(byType.has(type), `${type} has a setting`);
    });

    it("storage services' diagnostic settings name the metric categories Azure holds for them; AllMetrics elsewhere", () => {
      const diags = ofType(resources, "azure-native:monitor:DiagnosticSetting");
      const storageServices = diags.filter((d) =>
        /\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+\/(blob|file|queue|table)Services\/default$/.test(
          String(d.inputs.resourceUri),
        ),
      );
      // The function apps' host storage, the lake, the ML workspace's storage, the stream job's storage.
      assert.ok(storageServices.length >= 8, `${storageServices.length} storage service settings`);
      for (const d of storageServices) {
        const service = String(d.inputs.resourceUri).match(/(\w+)Services\/default$/)?.[1];
        assert.deepEqual(
          d.inputs.metrics,
          (service === "file" ? ["Capacity", "SLI", "Transaction"] : ["Capacity", "Transaction"]).map((category) => ({
            category,
            enabled: true,
          })),
          d.name,
        );
      }
      for (const d of diags.filter((x) => !storageServices.includes(x) && x.name !== "nosql-account-diag")) {
        const metrics = d.inputs.metrics as { category: string }[];
        if (metrics.length > 0) assert.deepEqual(metrics, [{ category: "AllMetrics", enabled: true }], d.name);
      }
    });

    it("VNet: one subnet per role (the firewall's too, empty without it), an NSG on each (except the firewall's), no default outbound access", () => {
      const vnet = one("network:VirtualNetwork");
      const subnets = vnet.inputs.subnets as Record<string, unknown>[];
      const expected = [
        "snet-private-endpoints",
        "snet-functions",
        "snet-app-gateway",
        "snet-ml-compute",
        "snet-stream-analytics",
        // Also in dev, which has no firewall: turning `enableFirewall` off must not remove a subnet the firewall still
        // uses when the VNet is updated (Pulumi deletes the firewall last; Azure refuses InUseSubnetCannotBeDeleted).
        "AzureFirewallSubnet",
        "snet-functions-flex",
      ];
      // The order is part of the contract: the VNet's ignored paths below (`subnets[*]…`) match old and new subnets by
      // position, so a role inserted mid-list would be sent with its neighbour's gateway configuration or delegation
      // links. New roles go at the end of SUBNETS (components/platform/subnets.ts).
      assert.deepEqual(
        subnets.map((s) => s.name),
        expected,
        "subnet order changed: append new roles at the end of SUBNETS (the ignored subnets[*] paths match by position)",
      );
      for (const s of subnets) {
        assert.equal(s.defaultOutboundAccess, false, `${String(s.name)} defaultOutboundAccess`);
        assert.equal(s.networkSecurityGroup === undefined, s.name === "AzureFirewallSubnet", `${String(s.name)} NSG`);
      }
      // What Azure writes into the inline children never shows as drift (each path under an input the program sets):
      // etags, the gateway's and the delegated apps' back-references on their subnets, provisioning states.
      assert.deepEqual(vnet.ignoreChanges, [
        "subnets[*].etag",
        "subnets[*].delegations[*].etag",
        "subnets[*].applicationGatewayIPConfigurations",
        "subnets[*].serviceAssociationLinks",
        "subnets[*].resourceNavigationLinks",
        "subnets[*].provisioningState",
      ]);
      for (const nsg of ofType(resources, "azure-native:network:NetworkSecurityGroup")) {
        assert.deepEqual(nsg.ignoreChanges, ["securityRules[*].etag", "securityRules[*].provisioningState"], nsg.name);
        assert.ok(Array.isArray(nsg.inputs.securityRules), nsg.name);
      }
      for (const rt of ofType(resources, "azure-native:network:RouteTable"))
        assert.deepEqual(rt.ignoreChanges, ["routes[*].etag", "routes[*].provisioningState"], rt.name);
      assert.equal(subnets[0].privateEndpointNetworkPolicies, "Enabled");
      assert.deepEqual(subnets[1].delegations, [{ name: "delegation", serviceName: "Microsoft.Web/serverFarms" }]);
      assert.deepEqual((vnet.inputs.addressSpace as { addressPrefixes: string[] }).addressPrefixes, [
        prod ? "10.30.0.0/16" : "10.20.0.0/16",
      ]);
    });

    it("private DNS: every platform zone, linked to the VNet without auto-registration", () => {
      const zones = ofType(resources, "azure-native:privatedns:PrivateZone");
      assert.deepEqual(zones.map((z) => z.inputs.privateZoneName).sort(), [...PRIVATE_DNS_ZONES]);
      const vnet = one("network:VirtualNetwork");
      const links = ofType(resources, "azure-native:privatedns:VirtualNetworkLink");
      assert.equal(links.length, zones.length);
      assert.ok(
        links.every((l) => input(l, "virtualNetwork.id") === vnet.id && l.inputs.registrationEnabled === false),
        "every link on the VNet, without auto-registration",
      );
    });

    it("Firewall and DDoS protection only where the stack enables them (prod: DDoS IP Protection, no plan)", () => {
      assert.equal(ofType(resources, "azure-native:network:AzureFirewall").length, prod ? 1 : 0);
      // prod protects per IP (ddosProtectionMode: ip, docs/cost.md): no plan, each public IP Enabled.
      assert.equal(ofType(resources, "azure-native:network:DdosProtectionPlan").length, 0);
      const vnet = one("network:VirtualNetwork");
      assert.equal(vnet.inputs.enableDdosProtection ?? false, false);
      // Every IP states its mode (an absent setting would leave IP Protection on after a switch to the plan).
      for (const pip of ofType(resources, "azure-native:network:PublicIPAddress"))
        assert.equal(input(pip, "ddosSettings.protectionMode"), prod ? "Enabled" : "VirtualNetworkInherited", pip.name);
    });

    it(
      prod
        ? "routes workload egress through the firewall, which allows only Azure service tags"
        : "has no egress route table without the firewall",
      () => {
        const rts = ofType(resources, "azure-native:network:RouteTable");
        assert.equal(rts.length, prod ? 1 : 0);
        if (!prod) return;
        // No route learnt over BGP (a hub's gateway) may undercut the default route to the firewall.
        assert.equal(rts[0].inputs.disableBgpRoutePropagation, true);
        assert.deepEqual(rts[0].inputs.routes, [
          {
            name: "default-to-firewall",
            addressPrefix: "0.0.0.0/0",
            nextHopType: "VirtualAppliance",
            nextHopIpAddress: "10.30.4.68",
          },
        ]);
        const subnets = one("network:VirtualNetwork").inputs.subnets as Record<string, unknown>[];
        assert.deepEqual(
          subnets.filter((s) => (s.routeTable as { id?: string } | undefined)?.id === rts[0].id).map((s) => s.name),
          ["snet-functions", "snet-ml-compute", "snet-functions-flex"],
        );
        // Threat intelligence and IDPS block, not only alert (PCI DSS 11.5.1).
        const policy = byName(resources, "platform-afwp");
        assert.equal(policy.inputs.threatIntelMode, "Deny");
        assert.equal(input(policy, "intrusionDetection.mode"), "Deny");
        const group = one("network:FirewallPolicyRuleCollectionGroup");
        // Azure Firewall takes no parallel updates of a policy and its firewall: the firewall waits for the rules.
        assert.ok(
          one("network:AzureFirewall").dependencies.includes(group.urn),
          "firewall after its rule collection group",
        );
        const rule = (group.inputs.ruleCollections as { rules: Record<string, unknown>[] }[])[0].rules[0];
        assert.deepEqual(rule.sourceAddresses, ["10.30.1.0/26", "10.30.3.0/24", "10.30.5.0/24"]);
        assert.deepEqual(rule.destinationPorts, ["443"]);
        // Least privilege: every workload subnet reaches Entra ID only (the public Azure Monitor and Resource Manager
        // endpoints take any tenant's data); the ML compute subnet's own list exists only with ml.vnetComputeEgress.
        assert.deepEqual(rule.destinationAddresses, ["AzureActiveDirectory"]);
        const mlCollection = (
          group.inputs.ruleCollections as { name: string; rules: Record<string, unknown>[] }[]
        ).find((c) => c.name === "allow-azure-ml-compute");
        assert.equal(mlCollection, undefined, "no ML compute allow-list while nothing computes in the subnet");
        for (const r of mlComputeRules("10.30.3.0/24", "westeurope").rules as { sourceAddresses: string[] }[])
          assert.deepEqual(r.sourceAddresses, ["10.30.3.0/24"]);
        // The Functions host fetches extension bundles from Microsoft's CDN: allowed by FQDN, HTTPS, Flex subnet only.
        const bundles = (group.inputs.ruleCollections as { name: string; rules: Record<string, unknown>[] }[]).find(
          (c) => c.name === "allow-functions-extension-bundles",
        );
        assert.ok(bundles, "extension bundle collection");
        assert.deepEqual(bundles.rules, [
          {
            ruleType: "ApplicationRule",
            name: "functions-extension-bundle-cdn",
            sourceAddresses: ["10.30.5.0/24"],
            targetFqdns: ["cdn.functions.azure.com"],
            protocols: [{ protocolType: "Https", port: 443 }],
          },
        ]);
        const priorities = (group.inputs.ruleCollections as { priority: number }[]).map((c) => c.priority);
        assert.equal(new Set(priorities).size, priorities.length, "rule collection priorities are unique");
        // The function apps join the Flex subnet (one at a time) only once the firewall its default route points to
        // exists: a host started earlier could not fetch its extension bundle.
        const flexSubnet = subnets.find((s) => s.name === "snet-functions-flex");
        const apps = ofType(resources, "azure-native:web:WebApp").filter((a) =>
          String(a.inputs.virtualNetworkSubnetId ?? "").endsWith(`/subnets/${String(flexSubnet?.name)}`),
        );
        assert.ok(apps.length >= 3, "the Flex apps");
        const appUrns = new Set(apps.map((a) => a.urn));
        const first = apps.filter((a) => !a.dependencies.some((d) => appUrns.has(d)));
        assert.equal(first.length, 1, "one chain");
        assert.ok(first[0].dependencies.includes(one("network:AzureFirewall").urn), "the first app after the firewall");
      },
    );

    if (prod)
      it("sends the egress route to the firewall subnet's first usable address, which the pack compares with the deployed firewall's", async () => {
        // The route takes the firewall subnet's first usable address before the firewall exists (the VNet cannot
        // wait for the firewall, which sits in one of its subnets); the deployed view's firewall reports the address
        // Azure assigns, and the pack's rule compares the two once it is known.
        const firewall = one("network:AzureFirewall");
        const [config] = firewall.outputs.ipConfigurations as { privateIPAddress: string }[];
        assert.equal(config.privateIPAddress, "10.30.4.68");
        const verdict = await evaluatePolicy(routeFirewallNextHop, resources);
        assert.deepEqual(verdict.messages, []);
        assert.ok(verdict.applicable, "the rule decided on the deployed route");
        // Had Azure placed the firewall elsewhere, every egress subnet would lose the internet: the pack says so.
        const elsewhere = resources.map((r) =>
          r === firewall
            ? { ...r, outputs: { ...r.outputs, ipConfigurations: [{ ...config, privateIPAddress: "10.30.4.69" }] } }
            : r,
        );
        const moved = await evaluatePolicy(routeFirewallNextHop, elsewhere);
        assert.deepEqual(moved.messages, [
          "platform-rt-egress (azure-native:network:RouteTable) route 'default-to-firewall' sends 0.0.0.0/0 to 10.30.4.68, in the subnet of platform-afw (azure-native:network:AzureFirewall) (10.30.4.64/26), whose private IP is 10.30.4.69: that is not the firewall's load-balanced address, so the traffic the route covers is dropped; set nextHopIpAddress to 10.30.4.69.",
        ]);
      });

    it("services wait for their key grant to propagate before checking key access", () => {
      const ra = byName(resources, "platform-cmk-sql-ra-crypto-user");
      const sleep = byName(resources, "platform-cmk-sql-grant-propagation");
      // Azure RBAC changes can take up to 10 minutes to take effect, and SQL and Cosmos DB check key access once.
      assert.equal(sleep.inputs.createDuration, "10m");
      assert.ok(sleep.dependencies.includes(ra.urn));
      const server = ofType(resources, "azure-native:sql:Server")[0];
      assert.ok(server.dependencies.includes(sleep.urn), "the SQL server waits for the propagation");
      const cosmos = ofType(resources, "azure-native:cosmosdb:DatabaseAccount")[0];
      assert.ok(cosmos.dependencies.includes(byName(resources, "platform-cmk-cosmos-grant-propagation").urn));
    });

    it("exports every resource in the Azure Monitor scope (workspace first), for the hub's owner to add to the hub's scope", async () => {
      const { run } = await previewOf(stack);
      const exported = run.stackOutputs.azureMonitorScopedResourceIds as string[];
      const linked = ofType(resources, "azure-native:monitor:PrivateLinkScopedResource").map((r) =>
        String(r.inputs.linkedResourceId),
      );
      assert.deepEqual([...exported].sort(), [...linked].sort());
      assert.match(exported[0], /\/providers\/Microsoft\.OperationalInsights\/workspaces\/log-pay-/);
      // The workspace and the function apps' and ML's Application Insights components.
      assert.equal(exported.filter((id) => /\/Microsoft\.Insights\/components\//.test(id)).length, exported.length - 1);
      assert.ok(exported.length >= 4, exported.join(", "));
    });

    it("Always Encrypted column master key: in the private vault, RSA-HSM in prod, exported by its versioned URI", async () => {
      const key = byName(resources, "platform-ae-cmk");
      const p = key.inputs.properties as Record<string, unknown>;
      assert.equal(key.inputs.keyName, "ae-cmk-oltp");
      assert.equal(key.inputs.vaultName, byName(resources, "platform-kv").inputs.vaultName);
      assert.equal(p.kty, prod ? "RSA-HSM" : "RSA");
      assert.equal(p.keySize, 3072);
      // Clients wrap/unwrap the column encryption keys and sign/verify the column master key metadata.
      assert.deepEqual(p.keyOps, ["wrapKey", "unwrapKey", "sign", "verify"]);
      assert.equal((p.rotationPolicy as { attributes: { expiryTime: string } }).attributes.expiryTime, "P365D");
      const { run } = await previewOf(stack);
      assert.equal(run.stackOutputs.alwaysEncryptedColumnMasterKeyId, key.outputs.keyUriWithVersion);
      assert.match(
        String(run.stackOutputs.alwaysEncryptedColumnMasterKeyId),
        new RegExp(`^https://kv-pay-${stack}-weu-[a-z0-9]{4}\\.vault\\.azure\\.net/keys/ae-cmk-oltp/[0-9a-f]{32}$`),
      );
    });

    it("customer-managed keys: HSM in prod, RSA 3072, wrap/unwrap only, rotation and expiry", () => {
      const keys = ofType(resources, "azure-native:keyvault:Key").filter((k) =>
        String(k.inputs.keyName).startsWith("cmk-"),
      );
      assert.deepEqual(keys.map((k) => k.inputs.keyName).sort(), [
        "cmk-cosmos",
        "cmk-data-factory",
        "cmk-event-hubs",
        "cmk-ml",
        "cmk-sql",
        "cmk-storage",
        "cmk-synapse",
      ]);
      for (const k of keys) {
        const p = k.inputs.properties as Record<string, unknown>;
        assert.equal(p.kty, prod ? "RSA-HSM" : "RSA");
        assert.equal(p.keySize, 3072);
        assert.deepEqual(p.keyOps, ["wrapKey", "unwrapKey"]);
        assert.equal((p.rotationPolicy as { attributes: { expiryTime: string } }).attributes.expiryTime, "P365D");
        assert.equal(typeof (p.attributes as { expires: number }).expires, "number");
        assert.deepEqual(k.ignoreChanges, ["properties.attributes.expires"]);
      }
    });

    it("grants each CMK identity the crypto role on its own key, with a deterministic assignment name", () => {
      const key = byName(resources, "platform-cmk-sql-key");
      const id = byName(resources, "platform-cmk-sql-id");
      const ra = byName(resources, "platform-cmk-sql-ra-crypto-user");
      const roleId = `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles.KeyVaultCryptoServiceEncryptionUser}`;
      assert.equal(ra.inputs.scope, key.id);
      assert.equal(ra.inputs.principalId, id.outputs.principalId);
      assert.equal(ra.inputs.principalType, "ServicePrincipal");
      assert.equal(ra.inputs.roleDefinitionId, roleId);
      assert.equal(
        ra.inputs.roleAssignmentName,
        roleAssignmentName(String(key.id), String(id.outputs.principalId), roleId),
      );
    });

    it("grants data engineers Reader on each data service through the tiers' roleAssignments block", () => {
      const server = ofType(resources, "azure-native:sql:Server")[0];
      const account = ofType(resources, "azure-native:cosmosdb:DatabaseAccount")[0];
      const engineers = ofType(resources, "azuread:index/group:Group").find((g) =>
        /data-engineers$/.test(String(g.inputs.displayName)),
      );
      const readerId = `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles.Reader}`;
      for (const [name, scope] of [
        ["oltp-server-ra-data-engineers-reader", server],
        ["nosql-account-ra-data-engineers-reader", account],
      ] as const) {
        const ra = byName(resources, name);
        assert.equal(ra.inputs.scope, scope.id);
        assert.equal(ra.inputs.principalId, engineers?.outputs.objectId);
        assert.equal(ra.inputs.principalType, "Group");
        assert.equal(
          ra.inputs.roleAssignmentName,
          roleAssignmentName(String(scope.id), String(engineers?.outputs.objectId), readerId),
        );
      }
      // The pipelines' logs only, read-only (PCI DSS 10.3.1: audit logs to a job-related need; 10.3.2: never changed):
      // a custom role naming the tables, assigned on the workspace, never Log Analytics Reader (every table).
      const logReader = byName(resources, "platform-log-ra-data-engineers-pipeline-logs");
      const workspace = ofType(resources, "azure-native:operationalinsights:Workspace")[0];
      assert.equal(logReader.inputs.scope, workspace.id);
      assert.equal(logReader.inputs.principalId, engineers?.outputs.objectId);
      assert.equal(logReader.inputs.principalType, "Group");
      const role = byName(resources, "platform-pipeline-logs-role");
      assert.equal(
        logReader.inputs.roleDefinitionId,
        `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${role.inputs.roleDefinitionId}`,
      );
      const [permission] = role.inputs.permissions as {
        actions: string[];
        notActions: string[];
        dataActions: string[];
      }[];
      const tables = permission.actions
        .map((a) => /^Microsoft\.OperationalInsights\/workspaces\/query\/(\w+)\/read$/.exec(a)?.[1])
        .filter((t): t is string => t !== undefined);
      assert.deepEqual(tables, [...PIPELINE_LOG_TABLES]);
      assert.deepEqual(
        permission.actions.filter((a) => !/\/query\/\w+\/read$/.test(a)),
        ["Microsoft.OperationalInsights/workspaces/read", "Microsoft.OperationalInsights/workspaces/query/read"],
      );
      assert.deepEqual([permission.notActions, permission.dataActions], [[], []]);
      // None of the audit, access or security tables.
      for (const t of [
        "SQLSecurityAuditEvents",
        "AzureDiagnostics",
        "AZKVAuditLogs",
        "AzureActivity",
        "SigninLogs",
        "SecurityIncident",
        "SecurityAlert",
        "StorageBlobLogs",
        "CDBDataPlaneRequests",
        "AGWAccessLogs",
      ])
        assert.ok(!(tables as string[]).includes(t), t);
      assert.ok(
        !ofType(resources, "azure-native:authorization:RoleAssignment").some((r) =>
          String(r.inputs.roleDefinitionId).endsWith(BuiltInRoles.LogAnalyticsReader),
        ),
        "nobody gets Log Analytics Reader",
      );
    });

    it("gives every NSG rule a priority Azure accepts (100-4096), unique per direction", () => {
      for (const nsg of ofType(resources, "azure-native:network:NetworkSecurityGroup")) {
        const rules = nsg.inputs.securityRules as { name: string; priority: number; direction: string }[];
        for (const r of rules)
          assert.ok(r.priority >= 100 && r.priority <= 4096, `${nsg.name} ${r.name}: ${r.priority}`);
        const keys = rules.map((r) => `${r.direction}:${r.priority}`);
        assert.equal(new Set(keys).size, keys.length, `${nsg.name}: duplicate priorities`);
      }
    });

    it(`creates the Entra groups and one action group per alert priority (P1, P2, P3)${prod ? ", and security operations' (Sentinel)" : ""}`, () => {
      const groups = ofType(resources, "azuread:index/group:Group");
      assert.deepEqual(groups.map((g) => g.inputs.displayName).sort(), [
        `grp-pay-${stack}-analysts`,
        `grp-pay-${stack}-data-engineers`,
        `grp-pay-${stack}-database-admins`,
        `grp-pay-${stack}-fraud-ml`,
        `grp-pay-${stack}-platform-admins`,
      ]);
      assert.ok(groups.every((g) => g.inputs.securityEnabled === true && g.inputs.mailEnabled === false));
      const groups_ = ofType(resources, "azure-native:monitor:ActionGroup");
      assert.deepEqual(
        groups_.map((g) => [g.name, g.inputs.groupShortName]),
        [
          ...["p1", "p2", "p3"].map((p) => [`platform-ag-${p}`, `pay${stack}-${p}`]),
          ...(prod ? [["platform-ag-security", "payprod-sec"]] : []),
        ],
      );
      for (const ag of groups_) assert.equal((ag.inputs.emailReceivers as unknown[]).length, prod ? 2 : 1);
    });

    it(
      prod
        ? "protects and locks the vaults; protects the Sentinel log workspace without a lock"
        : "does not protect or lock anything",
      () => {
        const locks = ofType(resources, "azure-native:authorization:ManagementLockByScope");
        const kv = byName(resources, "platform-kv");
        const cosmosKv = byName(resources, "platform-kv-cosmos");
        const log = one("operationalinsights:Workspace");
        assert.equal(kv.protect, prod);
        assert.equal(cosmosKv.protect, prod);
        assert.equal(log.protect, prod);
        if (prod) {
          for (const r of [kv, cosmosKv]) {
            const lock = locks.find((l) => l.inputs.scope === r.id);
            assert.equal(lock?.inputs.level, "CanNotDelete", `lock on ${r.name}`);
          }
          // Sentinel (on in prod) does not support a locked workspace (sentinel/prerequisites.md).
          assert.equal(ofType(resources, "azure-native:securityinsights:SentinelOnboardingState").length, 1);
          assert.equal(locks.filter((l) => l.inputs.scope === log.id).length, 0);
          // Instead, a denyAction policy assigned on the workspace refuses its DELETE (and its group's).
          const guards = ofType(resources, "azure-native:authorization:PolicyAssignment").filter(
            (a) => a.inputs.scope === log.id,
          );
          assert.equal(guards.length, 1);
          const definition = ofType(resources, "azure-native:authorization:PolicyDefinition").find(
            (d) => d.id === guards[0].inputs.policyDefinitionId,
          );
          assert.ok(definition, "the assignment names the custom definition");
          assert.equal(definition.inputs.mode, "Indexed", "cascadeBehaviors needs an Indexed definition");
          assert.equal(definition.inputs.policyType, "Custom");
          assert.deepEqual(definition.inputs.policyRule, {
            if: { field: "type", equals: "Microsoft.OperationalInsights/workspaces" },
            then: {
              effect: "denyAction",
              details: { actionNames: ["delete"], cascadeBehaviors: { resourceGroup: "deny" } },
            },
          });
          assert.equal(guards[0].inputs.enforcementMode, "Default", "enforced, not audit");
        } else {
          assert.equal(locks.length, 0);
          assert.equal(ofType(resources, "azure-native:authorization:PolicyDefinition").length, 0);
        }
      },
    );
  });
}

describe("platform with a DDoS Network Protection plan (prod switched from per-IP protection)", function () {
  this.timeout(60_000);
  it("every public IP, the firewall's included, inherits from the VNet's plan, said explicitly", async () => {
    const { run } = await previewEdited(
      "prod",
      (config) => (config["payments-data-platform:ddosProtectionMode"] = "network"),
      { skipSchema: true },
    );
    assert.equal(ofType(run.resources, "azure-native:network:DdosProtectionPlan").length, 1);
    const ips = ofType(run.resources, "azure-native:network:PublicIPAddress");
    assert.ok(
      ips.some((ip) => ip.name === "platform-afw-pip"),
      "the firewall's IP is among them",
    );
    // Absent, IP Protection switched on before would stay on (and billed per IP) under the plan.
    for (const ip of ips) assert.equal(input(ip, "ddosSettings.protectionMode"), "VirtualNetworkInherited", ip.name);
  });
});

describe("platform joining an existing DDoS Network Protection plan (ddosProtectionPlanId: a hub's)", function () {
  this.timeout(60_000);
  const PLAN =
    "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-hub/providers/Microsoft.Network/ddosProtectionPlans/ddos-hub";
  it("creates no plan: the VNet joins the given one, every public IP inherits it, and the stack pays for no plan", async () => {
    const { run } = await previewEdited(
      "prod",
      (config) => {
        config["payments-data-platform:ddosProtectionMode"] = "network";
        config["payments-data-platform:ddosProtectionPlanId"] = PLAN;
      },
      { skipSchema: true },
    );
    assert.equal(ofType(run.resources, "azure-native:network:DdosProtectionPlan").length, 0);
    const vnet = byName(run.resources, "platform-vnet");
    assert.equal(vnet.inputs.enableDdosProtection, true);
    assert.equal(input(vnet, "ddosProtectionPlan.id"), PLAN);
    for (const ip of ofType(run.resources, "azure-native:network:PublicIPAddress"))
      assert.equal(input(ip, "ddosSettings.protectionMode"), "VirtualNetworkInherited", ip.name);
    // Priced: no plan and no IP Protection in this stack; the gateway's WAF at the Standard_v2 rates under the plan.
    const { estimate } = costOfStack(run.resources, { stack: "prod", root: ROOT });
    const ids = estimate.lines.map((l) => l.priceId);
    assert.ok(!ids.includes("ddos-plan") && !ids.includes("ddos-ip-protection"), ids.join(", "));
    assert.ok(ids.includes("appgw-standard-v2") && !ids.includes("appgw-waf-v2"), ids.join(", "));
  });
});

describe("platform with existing Entra groups, peered with a hub", function () {
  // Two runs of the whole program (preview and deployed views): allow for a loaded machine.
  this.timeout(120000);
  const HUB =
    "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub-weu";
  let run: Awaited<ReturnType<typeof previewStack>>["run"];
  let result: Awaited<ReturnType<typeof previewStack>>;
  before(async () => {
    result = await previewStack({
      stack: "dev",
      stackFile: path.join(ROOT, "tests/fixtures/Pulumi.dev-existing-groups.yaml"),
      skipSchema: true,
    });
    ({ run } = result);
  });
  it("is refused by the policy pack until the security team approves the hub in the stack's policy config", async () => {
    const mandatory = result.verdict.violations.filter((v) => v.enforcementLevel === "mandatory");
    assert.deepEqual(
      mandatory.map((v) => [v.policy, v.urn?.split("::").pop()]),
      [[peeringApproved.name, "platform-hub-peering"]],
    );
    assert.match(mandatory[0].message, /not in allowedRemoteVirtualNetworks \(none approved\)/);
    const approved = await runPolicies(policies, result.previewRun.resources, {
      config: { ...stackPolicyConfig("dev"), [peeringApproved.name]: { allowedRemoteVirtualNetworks: [HUB] } },
      packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
      stackTags: stackTagsFor("payments-data-platform"),
      stack: "dev",
      pack: { name: PACK_NAME, version: packVersion() },
    });
    assert.deepEqual(
      approved.violations.filter((v) => v.enforcementLevel === "mandatory"),
      [],
    );
  });
  it("peers the VNet with the hub as its own resource after the VNet, never as a transit for the hub", async () => {
    const vnet = byName(run.resources, "platform-vnet");
    const peering = byName(run.resources, "platform-hub-peering");
    assert.equal(peering.type, "azure-native:network:VirtualNetworkPeering");
    assert.deepEqual(peering.inputs, {
      resourceGroupName: vnet.inputs.resourceGroupName,
      virtualNetworkName: vnet.inputs.virtualNetworkName,
      virtualNetworkPeeringName: "peer-to-hub",
      remoteVirtualNetwork: { id: HUB },
      allowVirtualNetworkAccess: true,
      allowForwardedTraffic: true,
      allowGatewayTransit: false,
      useRemoteGateways: false,
    });
    // Its status (Initiated, then Connected once the hub's side exists; sync level and address spaces) is Azure's.
    assert.deepEqual(peering.ignoreChanges, [
      "peeringState",
      "peeringSyncLevel",
      "remoteAddressSpace",
      "remoteVirtualNetworkAddressSpace",
      "remoteBgpCommunities",
      "localAddressSpace",
      "localVirtualNetworkAddressSpace",
    ]);
    // It names the VNet through the VNet's output, so it waits for it: a VNet update and a peering update never overlap.
    assert.ok(peering.dependencies.includes(vnet.urn));
    // Whatever joins a subnet waits for the peering (a subnet join is a VNet update Azure refuses a peering during).
    const joiners = [
      ...ofType(run.resources, "azure-native:network:PrivateEndpoint"),
      ...ofType(run.resources, "azure-native:network:ApplicationGateway"),
      ...ofType(run.resources, "azure-native:web:WebApp"),
    ];
    assert.ok(joiners.length > 10);
    for (const j of joiners) assert.ok(j.dependencies.includes(peering.urn), `${j.name} waits for the peering`);
    // Azure ignores peerings declared inline on a VNet (Azure/bicep#7622), and an explicit list would make
    // azure-native send it on each update instead of keeping the live peering: the VNet leaves the property unset.
    assert.equal(vnet.inputs.virtualNetworkPeerings, undefined);
    // Its request body matches Microsoft's schema of virtualNetworks/virtualNetworkPeerings.
    const check = checkSchemas([peering]);
    assert.deepEqual(check.errors, []);
    assert.equal(check.resources[0]?.armType, "Microsoft.Network/virtualNetworks/virtualNetworkPeerings");
    assert.ok(check.resources[0]?.file, "validated against a schema file");
    // The committed stacks have no hub: no peering.
    const dev = (await previewOf("dev")).run.resources;
    assert.equal(ofType(dev, "azure-native:network:VirtualNetworkPeering").length, 0);
    assert.equal(byName(dev, "platform-vnet").inputs.virtualNetworkPeerings, undefined);
  });
  it("uses the hub's gateway and links the zones to the hub only when the stack says so", () => {
    const hub = { virtualNetworkId: HUB, useRemoteGateways: true, linkPrivateDnsZones: false };
    assert.equal(hubPeering(hub).useRemoteGateways, true);
    assert.equal(hubPeering({ ...hub, useRemoteGateways: false }).useRemoteGateways, false);
    assert.equal(hubDnsLinkTarget(hub), undefined);
    assert.equal(hubDnsLinkTarget({ ...hub, linkPrivateDnsZones: true }), HUB);
    assert.equal(hubDnsLinkTarget(undefined), undefined);
  });
  it("links every private DNS zone but the Azure Monitor scope's own to the hub as well, one link of a zone at a time", () => {
    const zones = ofType(run.resources, "azure-native:privatedns:PrivateZone");
    const links = ofType(run.resources, "azure-native:privatedns:VirtualNetworkLink");
    const toHub = links.filter((l) => (l.inputs.virtualNetwork as { id: string }).id === HUB);
    // The hub keeps its own Azure Monitor path: a VNet resolves to one scope, and ours admits only its workspace.
    const monitorOnly = [
      "privatelink.agentsvc.azure-automation.net",
      "privatelink.monitor.azure.com",
      "privatelink.ods.opinsights.azure.com",
      "privatelink.oms.opinsights.azure.com",
    ];
    const zoneOf = (l: ResourceRecord) => String(l.inputs.privateZoneName);
    assert.deepEqual(
      zones
        .map((z) => String(z.inputs.privateZoneName))
        .filter((z) => !toHub.some((l) => zoneOf(l) === z))
        .sort(),
      monitorOnly,
    );
    assert.ok(
      toHub.some((l) => zoneOf(l) === "privatelink.blob.core.windows.net"),
      "storage's blob zone still is",
    );
    for (const l of toHub) {
      assert.equal(l.inputs.registrationEnabled, false);
      // A name the zone does not hold falls back to public DNS for hub clients (no NXDOMAIN for others' accounts).
      assert.equal(l.inputs.resolutionPolicy, "NxDomainRedirect");
      const own = byName(run.resources, l.name.replace(/-hub-link$/, "-link"));
      assert.ok(l.dependencies.includes(own.urn), `${l.name} after ${own.name}`);
      // Two links of one zone: two names (a second link of the same name would replace the first).
      assert.notEqual(l.inputs.virtualNetworkLinkName, own.inputs.virtualNetworkLinkName);
    }
  });
  it("prices the data across the peering, each way", () => {
    const { estimate } = costOfStack(run.resources, { stack: "dev", root: ROOT });
    const lines = estimate.lines.filter((l) => l.name === "platform-hub-peering");
    assert.deepEqual(
      lines.map((l) => [l.priceId, l.quantity]),
      [
        ["vnet-peering-intra-region", 50],
        ["vnet-peering-intra-region", 50],
      ],
    );
  });
  it("uses the configured object ids instead of creating groups", () => {
    const groups = ofType(run.resources, "azuread:index/group:Group");
    assert.deepEqual(
      groups.map((g) => g.inputs.displayName),
      ["grp-pay-dev-database-admins", "grp-pay-dev-data-engineers", "grp-pay-dev-analysts", "grp-pay-dev-fraud-ml"],
    );
    const ra = byName(run.resources, "platform-kv-ra-platform-admins-kv-admin");
    assert.equal(ra.inputs.principalId, "11111111-2222-4333-8444-555555555555");
  });
});
