import { strict as assert } from "node:assert";
import * as path from "node:path";
import { policies, PACK_NAME } from "../../policies/policies";
import { previewStack } from "../../tools/lib/preview";
import { AnalyzerServer } from "../helpers/analyzer";
import { previewOf } from "../helpers/stacks";

const ROOT = path.resolve(__dirname, "..", "..");

/** `policy urn message` lines, sorted, for comparing verdicts. */
const lines = (vs: readonly { policy: string; urn?: string; message: string; enforcementLevel: string }[]) =>
  vs.map((v) => `${v.enforcementLevel} ${v.policy} ${v.urn ?? ""} ${v.message}`).sort();

describe("policy pack under the real analyzer protocol", function () {
  this.timeout(60000);
  let server: AnalyzerServer;
  before(async () => {
    server = await AnalyzerServer.start();
  });
  after(() => server?.stop());

  it("starts as the CLI starts it and describes every policy", async () => {
    const info = await server.info();
    assert.equal(info.name, PACK_NAME);
    assert.deepEqual(
      info.policies.map((p) => p.name),
      policies.map((p) => p.name),
    );
    assert.ok(info.policies.every((p) => p.hasConfigSchema));
  });

  it("gives the same verdict as the offline runner on the insecure fixture", async () => {
    const { run, verdict } = await previewStack({
      stack: "insecure",
      stackFile: path.join(ROOT, "tests/fixtures/insecure/Pulumi.insecure.yaml"),
      program: path.join(ROOT, "tests/fixtures/insecure/index.ts"),
    });
    await server.configure(policies);
    const real = await server.analyzeAll(run.resources);
    assert.ok(real.length > 20, "the fixture trips many rules");
    assert.deepEqual(lines(real), lines(verdict.violations));
  });

  it("gives the same (clean) verdict on the prod stack with its policy config", async () => {
    const { run, verdict } = await previewOf("prod");
    await server.configure(policies, require("../../policies/config/prod.json"));
    const real = await server.analyzeAll(run.resources);
    assert.deepEqual(lines(real), lines(verdict.violations));
  });
});
