import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const DIR = path.resolve(__dirname, "..", ".github", "workflows");

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  strategy?: { matrix?: { stack?: string[] } };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const load = (file: string) => parse(fs.readFileSync(path.join(DIR, file), "utf8")) as Workflow;
const pulumiSteps = (w: Workflow) =>
  Object.values(w.jobs).flatMap((j) => j.steps.filter((s) => s.uses?.startsWith("pulumi/actions@")));

describe("GitHub workflows", () => {
  const pr = load("pull-request.yml");
  const deploy = load("deploy.yml");
  const drift = load("drift.yml");

  it("pull requests: npm ci then npm test", () => {
    assert.ok("pull_request" in pr.on);
    assert.deepEqual(pr.permissions, { contents: "read" });
    const runs = pr.jobs.test.steps.map((s) => s.run).filter(Boolean);
    assert.deepEqual(runs, ["npm ci", "npm test"]);
  });

  it("pull requests: offline preview of both stacks, Markdown verdict into the job summary", () => {
    const job = pr.jobs["offline-preview"];
    assert.deepEqual(job.strategy?.matrix?.stack, ["dev", "prod"]);
    const preview = job.steps.find((s) => s.run?.includes("npm run preview:offline"));
    assert.ok(preview?.run?.includes("--stack ${{ matrix.stack }}"));
    assert.ok(preview?.run?.includes("--markdown out/${{ matrix.stack }}-verdict.md"));
    const summary = job.steps.find((s) => s.run?.includes("GITHUB_STEP_SUMMARY"));
    assert.equal(summary?.if, "always()");
  });

  it("pull requests: real pulumi preview with the policy pack, only with OIDC credentials, commented on the PR", () => {
    const job = pr.jobs["pulumi-preview"];
    assert.match(String(job.if), /vars\.AZURE_CLIENT_ID != ''/);
    assert.deepEqual(job.permissions, { contents: "read", "id-token": "write", "pull-requests": "write" });
    assert.equal(job.env?.ARM_USE_OIDC, "true");
    assert.ok(!Object.values(job.env ?? {}).some((v) => /CLIENT_SECRET/i.test(v)), "no client secret: OIDC only");
    const step = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.equal(step?.with?.command, "preview");
    assert.equal(step?.with?.["comment-on-pr"], true);
  });

  it("main: pulumi up for dev, then prod behind an environment approval", () => {
    assert.deepEqual((deploy.on.push as { branches: string[] }).branches, ["main"]);
    const dev = deploy.jobs["up-dev"];
    const prod = deploy.jobs["up-prod"];
    assert.equal(prod.needs, "up-dev");
    assert.equal(prod.environment, "production");
    assert.match(String(pulumiSteps({ ...deploy, jobs: { dev } })[0].with?.["stack-name"]), /\/dev$/);
    assert.match(String(pulumiSteps({ ...deploy, jobs: { prod } })[0].with?.["stack-name"]), /\/prod$/);
    assert.ok(pulumiSteps(deploy).every((s) => s.with?.command === "up"));
  });

  it("main: the flow 1 functions are built and shipped after each stack's up, from a VNet runner with OIDC", () => {
    for (const stack of ["dev", "prod"] as const) {
      const job = deploy.jobs[`functions-${stack}`] as Job & { "runs-on"?: string };
      assert.equal(job.needs, `up-${stack}`);
      assert.equal(job.environment, stack === "dev" ? "development" : "production");
      assert.match(String(job.if), /vars\.VNET_RUNNER_LABEL != ''/);
      assert.equal(job["runs-on"], "${{ vars.VNET_RUNNER_LABEL }}", "private sites: a runner inside the VNet");
      const build = job.steps.find((s) => s.run?.includes("npm run build"));
      assert.ok(build?.run?.includes("npm prune --omit=dev"), "ships production dependencies only");
      assert.ok(
        job.steps.some((s) => s.uses === "azure/login@v2" && !("creds" in (s.with ?? {}))),
        "OIDC login",
      );
      const ship = job.steps.find((s) => s.run?.includes("config-zip"));
      assert.ok(ship, "one deploy of the zip package");
      const upJob = deploy.jobs[`up-${stack}`] as Job & { outputs?: Record<string, string> };
      assert.ok(upJob.outputs?.functionAppNames?.includes("steps.up.outputs.functionAppNames"));
    }
  });

  it("nightly drift check: refresh + preview --expect-no-changes per stack", () => {
    assert.ok(Array.isArray(drift.on.schedule));
    const step = pulumiSteps(drift)[0];
    assert.equal(step.with?.["expect-no-changes"], true);
    assert.equal(step.with?.refresh, true);
    assert.deepEqual(drift.jobs.drift.strategy?.matrix?.stack, ["dev", "prod"]);
  });

  it("every pulumi run uses the policy pack with the stack's policy config, and the pack installs its dependencies", () => {
    for (const [name, w] of Object.entries({ pr, deploy, drift })) {
      const steps = pulumiSteps(w);
      assert.ok(steps.length > 0, name);
      for (const s of steps) {
        assert.equal(s.with?.policyPacks, "policies", `${name}: --policy-pack`);
        assert.match(
          String(s.with?.policyPackConfigs),
          /^policies\/config\/(\$\{\{ matrix\.stack \}\}|dev|prod)\.json$/,
          `${name}: --policy-pack-config`,
        );
      }
      for (const job of Object.values(w.jobs)) {
        if (job.steps.some((s) => s.uses?.startsWith("pulumi/actions@"))) {
          assert.ok(
            job.steps.some((s) => s.run === "npm ci --prefix policies"),
            `${name}: policy pack dependencies`,
          );
        }
      }
    }
    for (const stack of ["dev", "prod"])
      assert.ok(fs.existsSync(path.resolve(DIR, "../../policies/config", `${stack}.json`)));
  });

  it("pins every action to a major version", () => {
    for (const w of [pr, deploy, drift]) {
      for (const job of Object.values(w.jobs)) {
        for (const s of job.steps) if (s.uses) assert.match(s.uses, /^[\w-]+\/[\w-]+@v\d+$/, s.uses);
      }
    }
  });
});
