import { strict as assert } from "node:assert";
import * as path from "node:path";
import { PACK_NAME, policies } from "../../policies/policies";
import { UNKNOWN } from "../../tools/lib/engine";
import { resolvePolicies, type PackConfig, type Verdict } from "../../tools/lib/policyRunner";
import { packVersion, previewStack, stackTagsFor, type PreviewResult } from "../../tools/lib/preview";
import { loadStackConfig } from "../../tools/lib/stackConfig";
import { PolicyPackHost, type StackConfiguration } from "../helpers/analyzer";
import { previewOf } from "../helpers/stacks";

const ROOT = path.resolve(__dirname, "..", "..");
const INSECURE = {
  stack: "insecure",
  stackFile: path.join(ROOT, "tests/fixtures/insecure/Pulumi.insecure.yaml"),
  program: path.join(ROOT, "tests/fixtures/insecure/index.ts"),
};

/**
 * What the engine's ConfigureStack carries for a stack during `pulumi preview` (its tags without the `vcs:*` ones the
 * CLI derives from the git remote).
 */
function stackConfiguration(stack: string, stackFile?: string): StackConfiguration {
  const sc = loadStackConfig(ROOT, stack, stackFile);
  return {
    stack,
    project: sc.project,
    organization: "payments",
    config: { ...sc.config },
    configSecretKeys: [...sc.secretKeys],
    tags: stackTagsFor(sc.project, sc.tags),
    dryRun: true,
  };
}

// One launch for the whole run, started as soon as the run starts: ts-node type-checks the pack on start-up
// (about 10 s of CPU), which overlaps with the specs that run before this one. The pack keeps no state between
// cases except what ConfigureStack and Configure set, and every case sends both, as the engine does per preview.
let launched: Promise<PolicyPackHost> | undefined;
before(() => {
  launched = PolicyPackHost.launch(stackConfiguration("prod"));
  launched.catch(() => undefined); // reported by the test that awaits it
});
after(async () => (await launched?.catch(() => undefined))?.stop());

/** `level policy resource message` lines, sorted, for comparing verdicts. */
const lines = (vs: readonly { policy: string; urn?: string; message: string; enforcementLevel: string }[]) =>
  vs.map((v) => `${v.enforcementLevel} ${v.policy} ${v.urn ?? ""} ${v.message}`).sort();

/** Per policy, the resources it applied to, as the offline runner counts them (disabled policies left out). */
const applicable = (verdict: Verdict) =>
  Object.fromEntries(
    verdict.policies
      .filter((p) => p.enforcementLevel !== "disabled")
      .map((p) => [p.name, verdict.evaluated[p.name] ?? 0]),
  );

async function conforms(result: PreviewResult, stack: StackConfiguration, config: PackConfig): Promise<void> {
  const host = await launched;
  assert.ok(host);
  await host.configureStack(stack);
  const sent = await host.configure(config);
  const real = await host.analyzeAll(result.previewRun.resources, sent);
  const { verdict } = result;
  assert.deepEqual(lines(real.diagnostics), lines(verdict.violations), "same findings at the same levels");
  // Which policies could not decide during preview is part of the findings (advisories naming the pack).
  assert.deepEqual(
    real.diagnostics
      .filter((d) => d.message.includes("during preview"))
      .map((d) => `${d.policy} ${d.urn}`)
      .sort(),
    verdict.violations
      .filter((v) => v.message.includes("during preview"))
      .map((v) => `${v.policy} ${v.urn ?? ""}`)
      .sort(),
  );
  assert.deepEqual(real.applicable, applicable(verdict), "same rules applicable to the same number of resources");
}

describe("policy pack started by the CLI's own launcher agrees with the offline verdict", function () {
  this.timeout(180000);

  it("starts through @pulumi/pulumi's run-policy-pack (ts-node type-checking), hands over its port, describes every policy", async () => {
    const host = await launched;
    assert.ok(host);
    const info = await host.info();
    assert.equal(info.name, PACK_NAME);
    assert.equal(info.version, packVersion());
    assert.ok(info.supportsConfig);
    assert.deepEqual(
      info.policies.map((p) => p.name),
      policies.map((p) => p.name),
    );
    assert.ok(info.policies.every((p) => p.configSchema?.properties?.exemptions));
  });

  it("sends resources as a first preview does: unknown ids and computed outputs, secrets in envelopes", async () => {
    const { previewRun, run } = await previewOf("dev");
    const custom = previewRun.resources.filter((r) => r.custom);
    assert.ok(
      custom.every((r) => !r.id),
      "no id is known before the first update",
    );
    assert.ok(
      run.resources.filter((r) => r.custom).every((r) => r.id),
      "the deployed view has ids",
    );
    const pe = previewRun.resources.find((r) => r.type === "azure-native:network:PrivateEndpoint");
    assert.ok(pe);
    const connection = (pe.inputs.privateLinkServiceConnections as Record<string, unknown>[])[0];
    assert.equal(connection.privateLinkServiceId, UNKNOWN, "an input wired from another resource's id is unknown");
    const vault = previewRun.resources.find((r) => r.type === "azure-native:keyvault:Vault");
    assert.equal(vault?.outputs.name, UNKNOWN, "the Azure name output is computed by the provider");
    const { previewRun: insecure } = await previewStack({ ...INSECURE, deployedView: false });
    assert.ok(
      insecure.resources.some((r) => (r.secretKeys ?? []).length > 0),
      "the fixture's secret input travels in a secret envelope",
    );
  });

  it("same verdict on the insecure fixture (no policy config, as `pulumi preview --policy-pack policies`)", async () => {
    const result = await previewStack({ ...INSECURE, policyConfig: {} });
    assert.ok(result.verdict.violations.length > 20, "the fixture trips many rules");
    await conforms(result, stackConfiguration("insecure", INSECURE.stackFile), {});
  });

  it("is deliberately stricter than the CLI about unknown policy names and settings in a pack config", async () => {
    const host = await launched;
    assert.ok(host);
    const typo = { "azure-native-keyvault-vault-enable-purge-protections": "mandatory" } as PackConfig;
    const extra = { "azure-native-keyvault-vault-enable-purge-protection": { retentionDays: 7 } } as PackConfig;
    // The CLI reconciles and sends both to the pack, which accepts them without a word...
    await host.configure(typo);
    await host.configure(extra);
    // ...while the offline tools refuse them, naming the policy and the key.
    assert.throws(
      () => resolvePolicies(policies, typo),
      /unknown policy 'azure-native-keyvault-vault-enable-purge-protections'/,
    );
    assert.throws(() => resolvePolicies(policies, extra), /has no setting 'retentionDays'/);
  });

  for (const stack of ["dev", "prod"] as const) {
    it(`same verdict on the ${stack} stack with policies/config/${stack}.json`, async () => {
      const config = require(`../../policies/config/${stack}.json`) as PackConfig;
      await conforms(await previewOf(stack), stackConfiguration(stack), config);
    });
  }
});
