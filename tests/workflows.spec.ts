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

  it("nightly drift check: refresh + preview --expect-no-changes per stack", () => {
    assert.ok(Array.isArray(drift.on.schedule));
    const step = pulumiSteps(drift)[0];
    assert.equal(step.with?.["expect-no-changes"], true);
    assert.equal(step.with?.refresh, true);
    assert.deepEqual(drift.jobs.drift.strategy?.matrix?.stack, ["dev", "prod"]);
  });

  it("nightly drift check: fails while a private endpoint connection on the data lake is not approved", () => {
    const steps = drift.jobs.drift.steps;
    const check = steps.find((s) => s.run?.includes("privateEndpointConnections"));
    assert.ok(check, "a lake approval check");
    assert.match(check.run ?? "", /pulumi stack output lakeAccountName/);
    assert.match(check.run ?? "", /status!='Approved'/);
    assert.match(check.run ?? "", /exit 1/);
    const login = steps.findIndex((s) => s.uses?.startsWith("azure/login@"));
    assert.ok(login >= 0 && login < steps.indexOf(check), "az is logged in (OIDC) first");
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
