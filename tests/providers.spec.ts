import { strict as assert } from "node:assert";
import { UsageError } from "../tools/lib/cli";
import { checkedAz, stackSubscription } from "../tools/lib/etlOps";
import { INDIRECT_PROVIDERS, registrationPlan, requiredProviders } from "../tools/lib/providers";
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
