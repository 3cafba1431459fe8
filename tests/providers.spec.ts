import { strict as assert } from "node:assert";
import { UsageError } from "../tools/lib/cli";
import { checkedAz, stackSubscription } from "../tools/lib/etlOps";
import {
  flexProblems,
  INDIRECT_PROVIDERS,
  regionNeeds,
  regionProblems,
  registrationPlan,
  requiredProviders,
} from "../tools/lib/providers";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { previewOf } from "./helpers/stacks";

const SUB = "/subscriptions/00000000-0000-4000-8000-000000000001";
const record = (type: string, id: string, inputs: Record<string, unknown> = {}): ResourceRecord => ({
  urn: `urn:pulumi:prod::p::${type}::${id.split("/").pop()}`,
  type,
  name: String(id.split("/").pop()),
  custom: true,
  id,
  dependencies: [],
  propertyDependencies: {},
  inputs,
  outputs: {},
  protect: false,
});

describe("resource providers a stack needs (tools/lib/providers.ts)", () => {
  it("names each resource's ARM namespace once, whatever its case in the id, with the types that need it", () => {
    const required = requiredProviders([
      record(
        "azure-native:storage:StorageAccount",
        `${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st`,
      ),
      record(
        "azure-native:storage:BlobContainer",
        `${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/blobServices/default/containers/c`,
      ),
      record(
        "azure-native:monitor:DiagnosticSetting",
        `${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/providers/microsoft.insights/diagnosticSettings/d`,
      ),
    ]);
    assert.deepEqual(
      required.map((p) => p.namespace),
      ["microsoft.insights", "Microsoft.Storage"],
    );
    assert.deepEqual(required[1].reasons, [
      "Microsoft.Storage/storageAccounts",
      "Microsoft.Storage/storageAccounts/blobServices/containers",
    ]);
  });

  it("adds what an ARM deployment's template declares and what Azure needs behind a type (Flex, ML CMK)", () => {
    const deployment = record(
      "azure-native:resources:DeploymentAtSubscriptionScope",
      `${SUB}/providers/Microsoft.Resources/deployments/defender`,
      { properties: { template: { resources: [{ type: "Microsoft.Security/pricings", name: "SqlServers" }] } } },
    );
    const plan = record(
      "azure-native:web:AppServicePlan",
      `${SUB}/resourceGroups/rg/providers/Microsoft.Web/serverfarms/p`,
    );
    const names = requiredProviders([deployment, plan]).map((p) => p.namespace);
    assert.deepEqual(names, ["Microsoft.App", "Microsoft.Resources", "Microsoft.Security", "Microsoft.Web"]);
    // A customer-managed-key ML workspace brings Microsoft-managed Cosmos DB and AI Search behind it.
    const ml = record(
      "azure-native:machinelearningservices:Workspace",
      `${SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w`,
    );
    assert.deepEqual(
      requiredProviders([ml]).map((p) => p.namespace),
      ["Microsoft.DocumentDB", "Microsoft.MachineLearningServices", "Microsoft.Search"],
    );
    assert.ok(INDIRECT_PROVIDERS.every((p) => p.why.length > 0 && p.when.startsWith("azure-native:")));
  });

  it("registers only what is not Registered yet, in order", () => {
    const required = ["Microsoft.App", "Microsoft.Security", "Microsoft.Web"].map((namespace) => ({
      namespace,
      reasons: [],
    }));
    assert.deepEqual(registrationPlan(required, { "Microsoft.App": "NotRegistered", "Microsoft.Web": "Registered" }), [
      "Microsoft.App",
      "Microsoft.Security",
    ]);
    assert.deepEqual(registrationPlan(required, { "Microsoft.App": "Registering" }).length, 3);
  });

  for (const stack of ["dev", "prod"] as const)
    it(`${stack}: every namespace the stack's resources and templates use, and Microsoft.App for Flex`, async () => {
      const { run } = await previewOf(stack);
      const names = requiredProviders(run.resources).map((p) => p.namespace.toLowerCase());
      for (const ns of [
        "microsoft.app",
        "microsoft.keyvault",
        "microsoft.sql",
        "microsoft.synapse",
        "microsoft.datafactory",
        "microsoft.eventhub",
        "microsoft.streamanalytics",
        "microsoft.machinelearningservices",
        "microsoft.documentdb",
        "microsoft.search",
        "microsoft.web",
        "microsoft.insights",
        "microsoft.operationalinsights",
      ])
        assert.ok(names.includes(ns), `${stack} needs ${ns}`);
      // prod owns the Defender plans (a subscription deployment's template): Microsoft.Security comes from it.
      assert.equal(names.includes("microsoft.security"), stack === "prod");
    });
});

describe("resource types offered where the stack puts them (npm run providers -- regions)", () => {
  it("prod: each type per region, the geo-secondary server in North Europe, nothing global", async () => {
    const { run } = await previewOf("prod");
    const needs = regionNeeds(run.resources);
    const of = (armType: string) =>
      needs.filter((n) => n.armType.toLowerCase() === armType.toLowerCase()).map((n) => n.location);
    assert.deepEqual(of("Microsoft.Sql/servers"), ["northeurope", "westeurope"]);
    assert.ok(needs.every((n) => n.location !== "global" && n.resources.length > 0));
    // Offered everywhere the stack goes: no problem.
    const everywhere = Object.fromEntries(needs.map((n) => [n.armType.toLowerCase(), ["West Europe", "North Europe"]]));
    assert.deepEqual(regionProblems(needs, everywhere), []);
    // A type its provider does not offer in the stack's region is named with the resources that need it.
    const noSynapse = { ...everywhere, "microsoft.synapse/workspaces": ["North Europe", "Sweden Central"] };
    assert.deepEqual(
      regionProblems(needs, noSynapse).map((p) => p.split(":")[0]),
      ["Microsoft.Synapse/workspaces is not offered in westeurope"],
    );
    assert.match(
      regionProblems(needs, noSynapse)[0],
      /olap-workspace .*\(offered in 2 regions, e\.g\. North Europe, Sweden Central\)/,
    );
    // A type listed without locations is global or unlisted: not judged; one not listed at all is reported.
    assert.deepEqual(regionProblems(needs, { ...everywhere, "microsoft.synapse/workspaces": [] }), []);
    // A child type left out of its provider's list is judged by its parent's regions.
    const noPools = { ...everywhere };
    delete noPools["microsoft.synapse/workspaces/sqlpools"];
    assert.deepEqual(regionProblems(needs, noPools), []);
    assert.match(
      regionProblems(needs, { ...noPools, "microsoft.synapse/workspaces": ["North Europe"] }).join("\n"),
      /Microsoft\.Synapse\/workspaces\/sqlPools is not offered in westeurope/,
    );
    const missing = { ...everywhere };
    delete missing["microsoft.synapse/workspaces"];
    assert.match(
      regionProblems(needs, missing)[0],
      /Microsoft\.Synapse\/workspaces: its provider lists no such resource type/,
    );
  });

  it("a zone-redundant Flex Consumption plan needs a region that offers one zone-redundant", async () => {
    const { run } = await previewOf("prod");
    const plans = run.resources.filter((r) => r.type === "azure-native:web:AppServicePlan");
    assert.ok(
      plans.some((p) => p.inputs.zoneRedundant === true),
      "prod's plans are zone-redundant",
    );
    assert.deepEqual(flexProblems(run.resources, ["West Europe"], ["West Europe"]), []);
    const problems = flexProblems(run.resources, ["West Europe"], ["North Europe"]);
    assert.ok(problems.length > 0);
    assert.ok(
      problems.every((p) => /a zone-redundant Flex Consumption plan is not offered in westeurope$/.test(p)),
      problems.join("\n"),
    );
  });
});

describe("the ops tools act in the stack's subscription (providers, etl:ops, stream:ops)", () => {
  const PROD = "11111111-2222-4333-8444-555555555555";
  const DEV = "99999999-2222-4333-8444-555555555555";

  it("reads it as azure-native does: the stack's azure-native:subscriptionId, else ARM_SUBSCRIPTION_ID", () => {
    assert.equal(stackSubscription({ "azure-native:subscriptionId": PROD }, { ARM_SUBSCRIPTION_ID: DEV }), PROD);
    assert.equal(stackSubscription({}, { ARM_SUBSCRIPTION_ID: PROD }), PROD);
    assert.equal(stackSubscription({}, {}), undefined);
  });

  it("refuses an Azure CLI on another subscription before its first call, naming both and the fix", () => {
    const calls: string[][] = [];
    const az = (current: string) => (args: readonly string[]) => {
      calls.push([...args]);
      return args[0] === "account" ? current : "Registered";
    };
    // Left on dev's subscription while registering prod's providers: nothing is asked of Azure but the check.
    const wrong = checkedAz(az(DEV), "prod", PROD);
    assert.throws(
      () => wrong(["provider", "show", "--namespace", "Microsoft.Sql"]),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message ===
          `the Azure CLI is on subscription ${DEV}, stack prod deploys to ${PROD} (azure-native:subscriptionId, else ARM_SUBSCRIPTION_ID): run \`az account set --subscription ${PROD}\` first`,
    );
    assert.deepEqual(calls, [["account", "show", "--query", "id"]]);
    // On the stack's subscription (any case): checked once, then every call goes through.
    calls.length = 0;
    const right = checkedAz(az(PROD.toUpperCase()), "prod", PROD);
    assert.equal(right(["provider", "show"]), "Registered");
    right(["provider", "register"]);
    assert.deepEqual(
      calls.map((c) => c[0]),
      ["account", "provider", "provider"],
    );
    // No subscription configured: azure-native takes the CLI's, so the tools do too, without asking.
    calls.length = 0;
    checkedAz(az(DEV), "dev", undefined)(["group", "exists"]);
    assert.deepEqual(calls, [["group", "exists"]]);
  });
});
