import { strict as assert } from "node:assert";
import * as path from "node:path";
import { REVIEWED_TYPES } from "../../policies/lib/reviewedTypes";
import { outOfScopeTag } from "../../policies/lib/scope";
import {
  allowedLocations,
  defenderPlans,
  GLOBAL_TYPES,
  requiredTags,
  TAGGABLE_TYPES,
  UNLOCATED_TYPES,
  UNTAGGED_TYPES,
  untypedResources,
} from "../../policies/rules/general";
import { sdkInputsOf } from "../../tools/lib/sdkSwitches";
import { defenderTemplate, DEFENDER_PLANS } from "../../components/operations/governance";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, mutate, UNKNOWN } from "./helpers";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import { TAGS } from "./fixtures/protection";

const vault = (inputs: Record<string, unknown>) =>
  resourceRecord("azure-native:keyvault:Vault", "kv-pay-dev-weu", { location: "westeurope", tags: TAGS, ...inputs });

describe("policies/general", () => {
  describe(allowedLocations.name, () => {
    it("passes North Europe and fails East US (asserted through the shared helpers)", async () => {
      await expectPass(allowedLocations, vault({ location: "northeurope" }));
      await expectFail(allowedLocations, vault({ location: "eastus" }), /eastus/);
    });
    it("passes an EU region", async () => {
      const r = await evaluatePolicy(allowedLocations, vault({ location: "West Europe" }));
      assert.deepEqual(r.messages, []);
      assert.equal(r.applicable, true);
    });
    it("passes global resources (private DNS zones, action groups: not in a region)", async () => {
      for (const location of ["global", "Global"])
        for (const type of ["azure-native:privatedns:PrivateZone", "azure-native:monitor:ActionGroup"]) {
          const r = await evaluatePolicy(allowedLocations, resourceRecord(type, "g", { location, tags: TAGS }));
          assert.deepEqual(r.messages, [], `${type} ${location}`);
          assert.equal(r.applicable, true);
        }
    });
    it("fails `global` on a regional service (a Translator account would process text outside the EU)", async () => {
      await expectFail(
        allowedLocations,
        resourceRecord("azure-native:cognitiveservices:Account", "translator", {
          location: "global",
          kind: "TextTranslation",
        }),
        /^translator \(azure-native:cognitiveservices:Account\) is in 'global', which only global services may use/,
      );
      await expectFail(allowedLocations, vault({ location: "Global" }), /only global services may use/);
    });
    it("fails a region below the top of the inputs (an API Management gateway, a Service Bus geo-replica), naming the path", async () => {
      await expectFail(
        allowedLocations,
        resourceRecord("azure-native:apimanagement:ApiManagementService", "apim", {
          location: "westeurope",
          additionalLocations: [{ location: "northeurope" }, { location: "East US" }],
        }),
        /^apim \(azure-native:apimanagement:ApiManagementService\) places additionalLocations\[1\]\.location in 'East US', outside the EU regions this stack allows/,
      );
      await expectFail(
        allowedLocations,
        resourceRecord("azure-native:servicebus:Namespace", "sb", {
          location: "westeurope",
          geoDataReplication: { locations: [{ locationName: "eastus", roleType: "Secondary" }] },
        }),
        /places geoDataReplication\.locations\[0\]\.locationName in 'eastus'/,
      );
      await expectFail(
        allowedLocations,
        resourceRecord("azure-native:servicebus:Namespace", "sb", {
          location: "westeurope",
          geoDataReplication: { locations: [{ locationName: "global" }] },
        }),
        /locationName in 'global'/,
      );
      // Event Hubs' geo-replicas, on a local package of an API version that has them (the default 3.28 class does not).
      await expectFail(
        allowedLocations,
        resourceRecord("azure-native_eventhub_v20250501preview:eventhub:Namespace", "evh", {
          location: "westeurope",
          geoDataReplication: { locations: [{ locationName: "westeurope" }, { locationName: "eastus2" }] },
        }),
        /places geoDataReplication\.locations\[1\]\.locationName in 'eastus2'/,
      );
      // A managed integration runtime (no location of its own) computing in East US fails; resolving to the factory's
      // region passes. Keys that name no region (a tag, a web test's probe) are not read; Cosmos DB's regions are its
      // own rule's (no second message).
      const runtime = (location: string) =>
        resourceRecord("azure-native:datafactory:IntegrationRuntime", "ir", {
          factoryName: "adf",
          properties: { type: "Managed", computeProperties: { location } },
        });
      await expectFail(
        allowedLocations,
        runtime("eastus"),
        /^ir .* places properties\.computeProperties\.location in 'eastus'/,
      );
      await expectPass(allowedLocations, runtime("AutoResolve"));
      await expectPass(allowedLocations, runtime("northeurope"));
      await expectPass(allowedLocations, vault({ tags: { ...TAGS, location: "Amsterdam office" } }));
      await expectPass(
        allowedLocations,
        resourceRecord("azure-native:applicationinsights:WebTest", "probe", {
          location: "westeurope",
          locations: [{ location: "emea-nl-ams-azr" }],
        }),
      );
      await expectPass(
        allowedLocations,
        resourceRecord("azure-native:cosmosdb:DatabaseAccount", "cosmos", {
          location: "westeurope",
          tags: TAGS,
          locations: [{ locationName: "eastus" }],
        }),
      );
    });
    it("allows `global` on the global services' real type tokens only", () => {
      for (const t of GLOBAL_TYPES) {
        const [, module, cls] = t.split(":");
        const sdk = require(`@pulumi/azure-native/${module}`) as Record<string, { __pulumiType?: string } | undefined>;
        assert.equal(sdk[cls]?.__pulumiType, t, `${t} is not an azure-native resource class`);
      }
    });
    it("fails a non-EU region and names the region", async () => {
      const r = await evaluatePolicy(allowedLocations, vault({ location: "eastus" }));
      assert.equal(r.messages.length, 1);
      assert.match(r.messages[0], /kv-pay-dev-weu .* is in 'eastus', outside the EU regions this stack allows \(/);
    });
    it("honours a narrower allowedLocations config, saying an EU region left out is the stack's policy config's to add", async () => {
      const r = await evaluatePolicy(allowedLocations, vault({ location: "francecentral" }), {
        allowedLocations: ["westeurope", "northeurope"],
      });
      assert.equal(r.messages.length, 1);
      assert.match(
        r.messages[0],
        /is in 'francecentral', an EU region outside this stack's allowedLocations \(westeurope, northeurope\): set location to one of them, or add it to allowedLocations in policies\/config\/<stack>\.json/,
      );
    });
    it("is not open to Norway (EEA, not EU)", async () => {
      await expectFail(allowedLocations, vault({ location: "norwayeast" }), /outside the EU regions this stack allows/);
    });
    it("fails a top-level resource with no location (it takes the provider's default or its resource group's)", async () => {
      const r = await evaluatePolicy(allowedLocations, resourceRecord("azure-native:sql:Database", "db", {}));
      assert.equal(r.messages.length, 1);
      assert.match(
        r.messages[0],
        /db .*has no location input, so it takes the provider's default or its resource group's/,
      );
    });
    it("is undecided on a location not known yet (another resource's output), never passed or not applicable", () =>
      expectUndecided(allowedLocations, vault({ location: UNKNOWN })));
    it("is not applicable to child resources without a location, or outside azure-native", async () => {
      await expectNotApplicable(
        allowedLocations,
        resourceRecord("azure-native:keyvault:Secret", "s", { vaultName: "kv" }),
      );
      const fog = await evaluatePolicy(allowedLocations, resourceRecord("azure-native:sql:FailoverGroup", "fog", {}));
      assert.equal(fog.applicable, false, "a failover group has no location input");
      const other = await evaluatePolicy(
        allowedLocations,
        resourceRecord("random:index/randomString:RandomString", "s", { location: "eastus" }),
      );
      assert.equal(other.applicable, false);
    });
    it("reports an exempted resource instead of a violation", async () => {
      const r = await evaluatePolicy(allowedLocations, vault({ location: "eastus" }), {
        exemptions: [{ pattern: "kv-pay-*", reason: "RISK-42: temporary DR test, expires 2027-01" }],
      });
      assert.deepEqual(r.messages, []);
      assert.equal(r.exemptions.length, 1);
      assert.match(r.exemptions[0].reason, /RISK-42/);
    });
    it("rejects an exemption without a real reason, naming the policy and key", async () => {
      await assert.rejects(
        evaluatePolicy(allowedLocations, vault({ location: "eastus" }), {
          exemptions: [{ pattern: "*", reason: "because" }],
        }),
        /azure-native-general-resource-enforce-eu-location\.exemptions\[0\]\.reason must have at least 10 characters/,
      );
    });
  });

  describe(requiredTags.name, () => {
    it("passes a fully tagged resource, fails an untagged one, ignores a child that takes no tags (shared helpers)", async () => {
      await expectPass(requiredTags, vault({}));
      await expectFail(requiredTags, vault({ tags: undefined }), /missing required tags/);
      await expectNotApplicable(requiredTags, resourceRecord("azure-native:sql:ServerKey", "key", {}));
    });
    it("passes a fully tagged resource", async () => {
      assert.deepEqual((await evaluatePolicy(requiredTags, vault({}))).messages, []);
    });
    it("checks workbooks, system topics and the monitor private link scope too", async () => {
      for (const type of [
        "azure-native:applicationinsights:Workbook",
        "azure-native:eventgrid:SystemTopic",
        "azure-native:monitor:PrivateLinkScope",
      ]) {
        const r = await evaluatePolicy(requiredTags, resourceRecord(type, "x", { location: "westeurope" }));
        assert.equal(r.messages.length, 1, type);
        assert.match(r.messages[0], /is missing required tags/);
        const ok = await evaluatePolicy(
          requiredTags,
          resourceRecord(type, "x", { location: "westeurope", tags: TAGS }),
        );
        assert.deepEqual(ok.messages, [], type);
      }
    });
    it("fails a pci-scope that is no scope ('tbd', 'CDE'), which every scoped rule then treats as in scope", async () => {
      for (const value of ["tbd", "CDE"]) {
        const r = await evaluatePolicy(requiredTags, vault({ tags: { ...TAGS, "pci-scope": value } }));
        assert.equal(r.messages.length, 1, value);
        assert.match(r.messages[0], new RegExp(`pci-scope '${value}': set it to one of cde, connected, out-of-scope`));
      }
      assert.equal(outOfScopeTag({ tags: { "pci-scope": "CDE" } }, ["cde", "connected"]), undefined, "CDE is in scope");
      assert.equal(outOfScopeTag({ tags: { "pci-scope": "tbd" } }, ["cde", "connected"]), undefined, "fails closed");
      assert.equal(outOfScopeTag({ tags: { "pci-scope": "out-of-scope" } }, ["cde", "connected"]), "out-of-scope");
      assert.equal(outOfScopeTag({ tags: { "pci-scope": "OUT-OF-SCOPE" } }, ["cde"]), undefined, "only exact values");
      assert.equal(outOfScopeTag({ tags: { "pci-scope": "Connected" } }, ["cde"]), undefined, "only exact values");
    });
    it("fails a data-classification that is not one of the four, naming them", async () => {
      for (const value of ["secret", "Confidential", "pii"]) {
        const r = await evaluatePolicy(requiredTags, vault({ tags: { ...TAGS, "data-classification": value } }));
        assert.deepEqual(r.messages.length, 1, value);
        assert.match(
          r.messages[0],
          new RegExp(
            `data-classification '${value}': set it to one of public, internal, confidential, restricted \\(lower case\\)`,
          ),
        );
      }
    });
    it("fails a cardholder data environment resource classified below confidential (the review's mutation #111)", async () => {
      for (const value of ["public", "internal"])
        await expectFail(
          requiredTags,
          vault({ tags: { ...TAGS, "pci-scope": "cde", "data-classification": value } }),
          new RegExp(
            `is in the cardholder data environment \\(pci-scope 'cde'\\) but has data-classification '${value}': set it to confidential or restricted\\.`,
          ),
        );
      await expectPass(
        requiredTags,
        vault({ tags: { ...TAGS, "pci-scope": "cde", "data-classification": "restricted" } }),
      );
      await expectPass(
        requiredTags,
        vault({ tags: { ...TAGS, "pci-scope": "connected", "data-classification": "internal" } }),
      );
    });
    for (const tag of Object.keys(TAGS)) {
      it(`fails when '${tag}' is missing`, async () => {
        const tags: Record<string, string> = { ...TAGS };
        delete tags[tag];
        const r = await evaluatePolicy(requiredTags, vault({ tags }));
        assert.equal(r.messages.length, 1);
        assert.match(r.messages[0], new RegExp(`missing required tags: ${tag}\\.`));
      });
    }
    it("is not applicable to child resources that take no tags", async () => {
      const r = await evaluatePolicy(requiredTags, resourceRecord("azure-native:sql:ServerKey", "key", {}));
      assert.equal(r.applicable, false);
    });

    describe("its types, read from the installed SDK's inputs", () => {
      const sdk = path.dirname(require.resolve("@pulumi/azure-native/package.json"));
      const inputs = new Map(REVIEWED_TYPES.map((t) => [t, sdkInputsOf(sdk, t)]));

      it("reads every reviewed type's inputs from the SDK (none skipped for a file it cannot find)", () => {
        assert.deepEqual(
          REVIEWED_TYPES.filter((t) => inputs.get(t) === undefined),
          [],
        );
        assert.ok(inputs.get("azure-native:securityinsights:ASCDataConnector"), "an acronym class");
      });

      it("checks every reviewed type that takes tags (an IP group, a flow log, a slot), or says why not", () => {
        const missing = REVIEWED_TYPES.filter(
          (t) => inputs.get(t)?.includes("tags") && !TAGGABLE_TYPES.includes(t) && !(t in UNTAGGED_TYPES),
        );
        assert.deepEqual(missing, [], "add each to TAGGABLE_TYPES, or to UNTAGGED_TYPES with the reason");
        for (const t of ["network:IpGroup", "network:FlowLog", "network:ApplicationSecurityGroup", "web:WebAppSlot"])
          assert.ok(TAGGABLE_TYPES.includes(`azure-native:${t}`), t);
      });

      it("lists only types that take tags, and requires a location of each one that takes one", () => {
        for (const t of [...TAGGABLE_TYPES, ...Object.keys(UNTAGGED_TYPES)]) {
          const own = inputs.get(t) ?? sdkInputsOf(sdk, t);
          assert.ok(own, `${t} is no class of the installed SDK`);
          assert.ok(own.includes("tags"), `${t} takes no tags`);
        }
        for (const t of TAGGABLE_TYPES) {
          const own = inputs.get(t) ?? sdkInputsOf(sdk, t) ?? [];
          assert.equal(
            UNLOCATED_TYPES.includes(t),
            !own.includes("location"),
            `${t}: location input vs UNLOCATED_TYPES`,
          );
        }
      });

      it("fails an untagged IP group and a flow log without a location", async () => {
        await expectFail(
          requiredTags,
          resourceRecord("azure-native:network:IpGroup", "ipg", { location: "westeurope" }),
          /is missing required tags: environment, owner, cost-center, data-classification, pci-scope/,
        );
        await expectFail(
          allowedLocations,
          resourceRecord("azure-native:network:FlowLog", "fl", { tags: TAGS }),
          /has no location input, so it takes the provider's default or its resource group's/,
        );
      });
    });
  });

  describe(defenderPlans.name, () => {
    const subscriptionDeployment = (template: Record<string, unknown>) =>
      resourceRecord(
        "azure-native:resources:DeploymentAtSubscriptionScope",
        "operations-governance-defender",
        {
          deploymentName: "defender-for-cloud-plans",
          location: "westeurope",
          properties: { mode: "Incremental", template },
        },
        { stack: "prod" },
      );
    const program = () => defenderTemplate(DEFENDER_PLANS, ["soc@payments.example.com"]);
    type Entry = Record<string, unknown> & { properties: Record<string, unknown> };
    const edited = (change: (resources: Entry[]) => void) => {
      const t = structuredClone(program()) as { resources: Entry[] };
      change(t.resources);
      return subscriptionDeployment(t);
    };
    it("passes the program's Defender template (every plan Standard, the contact enabled with addresses)", () =>
      expectPass(defenderPlans, subscriptionDeployment(program())));
    it("fails a plan set to Free, a disabled contact and a contact without addresses", async () => {
      await expectFail(
        defenderPlans,
        edited((r) => (r[0].properties.pricingTier = "Free")),
        /operations-governance-defender .*template sets the Defender plan \w+ to Free: set properties\.pricingTier to "Standard"/,
      );
      await expectFail(
        defenderPlans,
        edited((r) => (r[r.length - 1].properties.isEnabled = false)),
        /template disables the security contact default/,
      );
      await expectFail(
        defenderPlans,
        edited((r) => (r[r.length - 1].properties.emails = "")),
        /security contact default names no address/,
      );
    });
    it("fails a governance stack's template without a required plan (Defender for SQL runs the servers' assessment)", async () => {
      const withoutSql = edited((r) =>
        r.splice(
          r.findIndex((x) => x.name === "SqlServers"),
          1,
        ),
      );
      await expectFail(
        defenderPlans,
        withoutSql,
        /operations-governance-defender .*template sets the Defender plans but not SqlServers, which stack 'prod' must hold \(requiredPlans\)/,
      );
      // The Defender deployment emptied of its plans (or left with the contact only) is checked all the same.
      await expectFail(defenderPlans, subscriptionDeployment({ resources: [] }), /but not SqlServers, CosmosDbs/);
      await expectFail(
        defenderPlans,
        edited((r) => r.splice(0, r.length - 1)),
        /but not SqlServers, CosmosDbs, KeyVaults, StorageAccounts, Arm/,
      );
      // Outside the governance stacks, or with another list, the plans it sets are enough.
      await expectPass(defenderPlans, withoutSql, { governanceStacks: [] });
      await expectPass(defenderPlans, withoutSql, { requiredPlans: ["CosmosDbs"] });
      assert.deepEqual(
        DEFENDER_PLANS.map((p) => p.name).sort(),
        ["Arm", "CosmosDbs", "KeyVaults", "SqlServers", "StorageAccounts"],
        "the pack's default requiredPlans are the program's plans",
      );
    });
    it("is not applicable to a template without plans or contact, or to other types", async () => {
      await expectNotApplicable(defenderPlans, subscriptionDeployment({ resources: [] }), { governanceStacks: [] });
      await expectNotApplicable(
        defenderPlans,
        mutate(subscriptionDeployment({ resources: [] }), "deploymentName", "another-deployment"),
      );
      await expectNotApplicable(defenderPlans, resourceRecord("azure-native:resources:ResourceGroup", "rg", {}));
    });
    it(`${untypedResources.name} reads subscription-scope deployments too: a storage account in one fails`, async () => {
      await expectPass(untypedResources, subscriptionDeployment(program()));
      await expectFail(
        untypedResources,
        edited((r) =>
          r.push({ type: "Microsoft.Storage/storageAccounts", name: "st", location: "westeurope", properties: {} }),
        ),
        /template declares Microsoft\.Storage\/storageAccounts \(st\), which no rule of the pack reads in a template/,
      );
    });
  });

  describe(untypedResources.name, () => {
    const deployment = (resources: unknown[], extra: Record<string, unknown> = {}) =>
      resourceRecord("azure-native:resources:Deployment", "olap-key-activation", {
        resourceGroupName: "rg",
        properties: { mode: "Incremental", template: { resources }, ...extra },
      });
    const keyActivation = {
      type: "Microsoft.Synapse/workspaces/keys",
      apiVersion: "2021-06-01",
      name: "[concat(parameters('workspaceName'), '/cmk')]",
      properties: { isActiveCMK: true },
    };
    it("passes the program's templates (Synapse singletons, the factory's managed VNet)", async () => {
      await expectPass(untypedResources, deployment([keyActivation]));
      await expectPass(
        untypedResources,
        deployment([{ type: "Microsoft.DataFactory/factories/managedVirtualNetworks", name: "[x]", properties: {} }]),
      );
    });
    it("fails a template that creates what typed rules would check (a public storage account), or outside the EU", async () => {
      await expectFail(
        untypedResources,
        deployment([
          {
            type: "Microsoft.Storage/storageAccounts",
            name: "stpublic",
            location: "westeurope",
            properties: { publicNetworkAccess: "Enabled", allowBlobPublicAccess: true },
          },
        ]),
        /olap-key-activation .*template declares Microsoft\.Storage\/storageAccounts \(stpublic\), which no rule of the pack reads in a template/,
      );
      await expectFail(
        untypedResources,
        deployment([{ ...keyActivation, location: "eastus" }]),
        /template resource 0 is in 'eastus', outside the allowed EU regions/,
      );
    });
    it("fails a template that names its resources (languageVersion 2.0), and waits for properties not known yet", async () => {
      await expectFail(
        untypedResources,
        resourceRecord("azure-native:resources:Deployment", "d", {
          resourceGroupName: "rg",
          properties: { mode: "Incremental", template: { languageVersion: "2.0", resources: { st: { type: "x" } } } },
        }),
        /template names its resources \(languageVersion 2\.0\), which the pack cannot read/,
      );
      await expectUndecided(
        untypedResources,
        resourceRecord("azure-native:resources:Deployment", "d", { resourceGroupName: "rg", properties: UNKNOWN }),
      );
    });
    it("fails a linked template the pack cannot read", () =>
      expectFail(
        untypedResources,
        deployment([], { templateLink: { uri: "https://example.com/t.json" } }),
        /deploys a linked template the pack cannot read/,
      ));
    it("cannot decide while a generic resource's namespace or type is unknown (never passed)", async () => {
      for (const key of ["resourceProviderNamespace", "resourceType"])
        await expectUndecided(
          untypedResources,
          resourceRecord("azure-native:resources:Resource", "generic", {
            resourceProviderNamespace: "Microsoft.Storage",
            resourceType: "storageAccounts",
            [key]: UNKNOWN,
          }),
        );
    });
    it("fails a generic resource unless its type is allow-listed", async () => {
      const generic = resourceRecord("azure-native:resources:Resource", "st-generic", {
        resourceGroupName: "rg",
        resourceProviderNamespace: "Microsoft.Storage",
        resourceType: "storageAccounts",
        location: "eastus",
      });
      await expectFail(
        untypedResources,
        generic,
        /st-generic .*creates Microsoft\.Storage\/storageAccounts as a generic resource, which no typed rule of the pack checks/,
      );
      await expectPass(untypedResources, generic, { allowedGenericTypes: ["Microsoft.Storage/storageAccounts"] });
    });
    it("is not applicable to typed resources", () => expectNotApplicable(untypedResources, vault({})));
  });
});
