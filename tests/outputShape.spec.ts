import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ADF_INTEGRATION_RUNTIME } from "../pipelines/etl/contract";
import { SECRET_SIG, SECRET_SIG_VALUE, UNKNOWN } from "../tools/lib/engine";
import {
  cachedShape,
  deployedOutputs,
  outputNames,
  outputShape,
  previewOutputs,
  SHAPE_CACHE_DIR,
  shapeCacheFile,
  type Shape,
} from "../tools/lib/outputShape";
import { byName, ofType, previewOf } from "./helpers/stacks";
import { tempDir } from "./helpers/tmp";

const LTR = "azure-native:sql:LongTermRetentionPolicy";

describe("output shape: what azure-native returns as outputs (tools/lib/outputShape.ts)", () => {
  it("reads a class's outputs from the SDK: response properties, not path or write-only inputs", () => {
    const names = outputNames(LTR);
    assert.ok(names);
    for (const k of ["weeklyRetention", "monthlyRetention", "name", "type", "azureApiVersion"])
      assert.ok(names.has(k), k);
    for (const k of ["resourceGroupName", "serverName", "databaseName", "policyName"]) assert.ok(!names.has(k), k);
    assert.ok(outputNames("azure-native:securityinsights:ASCDataConnector")?.has("dataTypes"), "acronym class file");
    assert.equal(outputNames("random:index/randomString:RandomString"), undefined, "bridged providers echo inputs");
    assert.equal(outputNames("azure-native:nosuchmodule:Thing"), undefined);
  });

  it("answers a preview as PreviewOutputs does: inputs of output names, unknown for the rest, path inputs dropped", () => {
    const out = previewOutputs<string>(LTR, { serverName: "s", databaseName: "d", weeklyRetention: "P12W" }, UNKNOWN);
    assert.ok(out);
    assert.equal(out.weeklyRetention, "P12W");
    assert.equal(out.name, UNKNOWN);
    assert.equal(out.monthlyRetention, UNKNOWN, "an output the program did not set is unknown during a preview");
    assert.ok(!("serverName" in out) && !("databaseName" in out));
  });

  it("keeps a deployment's properties in DeploymentPropertiesExtendedResponse's shape: no template", () => {
    const inputs = {
      properties: { mode: "Incremental", template: { resources: [] }, parameters: { a: { value: 1 } } },
    };
    const preview = previewOutputs<unknown>("azure-native:resources:Deployment", inputs, UNKNOWN) as {
      properties: Record<string, unknown>;
    };
    assert.equal(preview.properties.mode, "Incremental");
    assert.deepEqual(preview.properties.parameters, { a: { value: 1 } });
    assert.ok(!("template" in preview.properties));
    assert.equal(preview.properties.outputResources, UNKNOWN);
    const deployed = deployedOutputs<unknown>("azure-native:resources:DeploymentAtSubscriptionScope", {
      id: "/subscriptions/s/providers/Microsoft.Resources/deployments/d",
      location: "westeurope",
      ...inputs,
    }) as { id: string; properties: Record<string, unknown> };
    assert.deepEqual(Object.keys(deployed.properties).sort(), ["mode", "parameters"]);
    assert.match(deployed.id, /deployments\/d$/);
  });

  it("reads nested shapes from the SDK's output types: objects, arrays, maps, primitives; unions as they are", () => {
    const account = outputShape("azure-native:storage:StorageAccount");
    assert.equal(account?.kind, "object");
    const props = (account as Extract<Shape, { kind: "object" }>).props;
    assert.deepEqual(props.tags, { kind: "map", value: { kind: "string" } });
    const rules = props.networkRuleSet as Extract<Shape, { kind: "object" }>;
    assert.equal(rules.kind, "object");
    assert.deepEqual(rules.props.defaultAction, { kind: "string" });
    assert.equal(rules.props.ipRules.kind, "array");
    const deployment = outputShape("azure-native:resources:Deployment") as Extract<Shape, { kind: "object" }>;
    const properties = deployment.props.properties as Extract<Shape, { kind: "object" }>;
    assert.ok(!("template" in properties.props), "DeploymentPropertiesExtendedResponse has no template");
    assert.deepEqual(properties.props.parameters, { kind: "any" });
  });

  it("maps a preview input into the response shape: a mismatched primitive or an absent property is unknown", () => {
    const out = previewOutputs<unknown>(
      "azure-native:storage:StorageAccount",
      { accountName: "st", minimumTlsVersion: 12, networkRuleSet: { defaultAction: "Deny", extra: 1 } },
      UNKNOWN,
    ) as Record<string, Record<string, unknown> | unknown>;
    assert.ok(!("accountName" in out));
    assert.equal(out.minimumTlsVersion, UNKNOWN, "a number where the response has a string");
    const rules = out.networkRuleSet as Record<string, unknown>;
    assert.equal(rules.defaultAction, "Deny");
    assert.equal(rules.ipRules, UNKNOWN, "a response property the input does not set");
    assert.ok(!("extra" in rules), "an input-only nested property is dropped");
  });

  it("answers a response constant (a rule's kind) whatever the input, as previewOutputValue does", () => {
    const rule = "azure-native:securityinsights:ScheduledAlertRule";
    const shape = outputShape(rule) as Extract<Shape, { kind: "object" }>;
    assert.deepEqual(shape.props.kind, { kind: "const", value: "Scheduled" });
    assert.equal(previewOutputs<unknown>(rule, {}, UNKNOWN)?.kind, "Scheduled", "absent input");
    assert.equal(previewOutputs<unknown>(rule, { kind: UNKNOWN }, UNKNOWN)?.kind, "Scheduled", "unknown input");
  });

  it("shapes the value inside a secret envelope and keeps the envelope", () => {
    const secret = (value: unknown) => ({ [SECRET_SIG]: SECRET_SIG_VALUE, value });
    const out = previewOutputs<unknown>(
      "azure-native:storage:StorageAccount",
      { minimumTlsVersion: secret("TLS1_2"), networkRuleSet: secret({ defaultAction: "Deny", extra: 1 }) },
      UNKNOWN,
    ) as Record<string, { value: Record<string, unknown> | string }>;
    assert.equal(out.minimumTlsVersion.value, "TLS1_2");
    const rules = out.networkRuleSet.value as Record<string, unknown>;
    assert.equal(rules.defaultAction, "Deny");
    assert.ok(!("extra" in rules));
  });

  it("keeps each type's shape in the cache directory, reads it back, and recomputes an invalid file", () => {
    const dir = tempDir("shape-");
    const file = shapeCacheFile(LTR, dir);
    const computed = cachedShape(LTR, dir);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), computed, "written when computed");
    const marker: Shape = { kind: "object", props: { marker: { kind: "string" } } };
    fs.writeFileSync(file, JSON.stringify(marker));
    assert.deepEqual(cachedShape(LTR, dir), marker, "read back from the file");
    fs.writeFileSync(file, "null");
    assert.deepEqual(cachedShape(LTR, dir), computed, "an invalid file is recomputed");
    assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), computed, "and rewritten");
    assert.ok(SHAPE_CACHE_DIR.includes(path.join("node_modules", ".cache", "output-shape")));
    // Keyed by the SDK's version and this derivation's source: an edit of tools/lib/outputShape.ts reads none of the
    // shapes an earlier version wrote.
    const source = fs.readFileSync(path.resolve(__dirname, "../tools/lib/outputShape.ts"));
    const hash = crypto.createHash("sha256").update(source).digest("hex").slice(0, 12);
    const sdk = (require("@pulumi/azure-native/package.json") as { version: string }).version;
    assert.equal(path.basename(SHAPE_CACHE_DIR), `${sdk}-${hash}`);
  });

  describe("in the offline preview (prod)", () => {
    let preview: Awaited<ReturnType<typeof previewOf>>;
    before(async () => {
      preview = await previewOf("prod");
    });
    it("the first preview's outputs have no path inputs; the inputs keep them", () => {
      const ltr = byName(preview.previewRun.resources, "oltp-db-ltr");
      assert.equal(typeof ltr.inputs.databaseName, "string");
      assert.ok(!("serverName" in ltr.outputs) && !("resourceGroupName" in ltr.outputs));
      assert.equal(ltr.outputs.weeklyRetention, "P12W");
    });
    it("a deployment's template is in its inputs only, in both views; its tags and parameters are outputs", () => {
      for (const run of [preview.previewRun, preview.run]) {
        const security = ofType(run.resources, "azure-native:resources:Deployment").find((d) =>
          d.name.endsWith("-sql-security"),
        );
        assert.ok(security);
        assert.ok((security.inputs.properties as Record<string, unknown>).template);
        assert.ok(!("template" in (security.outputs.properties as Record<string, unknown>)));
        assert.ok("parameters" in (security.outputs.properties as Record<string, unknown>));
        assert.ok((security.outputs.tags as Record<string, string>)["synapse-sql-security"]);
      }
    });
    it("a linked service takes its runtime's name from the runtime, so stack rules can tell which one during a first preview", () => {
      const ir = ofType(preview.previewRun.resources, "azure-native:datafactory:IntegrationRuntime")[0];
      for (const ls of ofType(preview.previewRun.resources, "azure-native:datafactory:LinkedService")) {
        assert.ok(ls.propertyDependencies.properties?.includes(ir.urn), ls.name);
      }
      for (const ls of ofType(preview.run.resources, "azure-native:datafactory:LinkedService")) {
        const connectVia = (ls.inputs.properties as { connectVia: { referenceName: string } }).connectVia;
        assert.equal(connectVia.referenceName, ADF_INTEGRATION_RUNTIME, ls.name);
      }
    });
    it("the deployed view keeps ids and output properties only", () => {
      const ltr = byName(preview.run.resources, "oltp-db-ltr");
      assert.match(String(ltr.outputs.id), /\/databases\/payments\/backupLongTermRetentionPolicies\/default$/);
      assert.ok(!("serverName" in ltr.outputs));
    });
  });
});
