import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { DATABASE_TIMEOUTS } from "../components/oltp";
import { customTimeoutSeconds } from "../tools/lib/engine";
import { VALIDATOR_CACHE_DIR } from "../tools/lib/armSchema/store";
import { tempDir } from "./helpers/tmp";

const DIR = path.resolve(__dirname, "..", ".github", "workflows");

interface Step {
  id?: string;
  name?: string;
  env?: Record<string, string>;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  strategy?: { matrix?: { stack?: string[] } };
  env?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const load = (file: string) => parse(fs.readFileSync(path.join(DIR, file), "utf8")) as Workflow;
/** Steps that run a Pulumi command through pulumi/actions. */
const pulumiSteps = (w: Workflow) =>
  Object.values(w.jobs).flatMap((j) => j.steps.filter((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command));
/** pulumi/actions without a command: it only installs the CLI, for a step that runs it itself. */
const cliInstallSteps = (w: Workflow) =>
  Object.values(w.jobs).flatMap((j) =>
    j.steps.filter((s) => s.uses?.startsWith("pulumi/actions@") && !s.with?.command),
  );

/** The position of the one step of an up job that `pred` picks, failing with `what` when there is none. */
const stepOf = (stack: string, steps: readonly Step[]) => (pred: (s: Step) => boolean, what: string) => {
  const i = steps.findIndex(pred);
  assert.ok(i >= 0, `${stack}: ${what}`);
  return i;
};

describe("GitHub workflows", () => {
  const pr = load("pull-request.yml");
  const deploy = load("deploy.yml");
  const drift = load("drift.yml");

  it("prod's deploy outlasts the provider's database timeouts (the provider gives up first, not GitHub)", () => {
    const job = deploy.jobs["up-prod"] as Job & { "timeout-minutes"?: number };
    const minutes = (d: string) => customTimeoutSeconds(d) / 60;
    assert.equal(job["timeout-minutes"], 360, "GitHub's maximum for a hosted runner's job");
    // The geo-secondary's update waits for the primary's: both in one up, with half an hour for the rest of the job.
    assert.ok(2 * minutes(DATABASE_TIMEOUTS.update) + 30 <= job["timeout-minutes"]!);
    assert.ok(2 * minutes(DATABASE_TIMEOUTS.create) + 30 <= job["timeout-minutes"]!);
  });

  it("the drift check logs the Pulumi CLI out after reading the deployed commit, before npm ci", () => {
    const steps = drift.jobs.drift.steps;
    const read = steps.findIndex((s) => s.run?.includes("deployed-commit.cjs"));
    assert.ok(read >= 0);
    assert.match(steps[read].run ?? "", /^trap 'pulumi logout >\/dev\/null 2>&1 \|\| true' EXIT\n/);
    assert.ok(steps.findIndex((s) => s.run?.startsWith("npm ci")) > read);
  });

  it("a job that can ask for an OIDC token runs no test and no install script: npm test runs in a job of its own, without credentials, before dev's up", () => {
    // docs/ci.md, hardening checklist item 5: any step of a job with `id-token: write` can ask for the job's OIDC
    // token, so the packages' install scripts and the suite (its hooks, tsconfig, every test) stay out of such jobs.
    const installs: string[] = [];
    for (const [file, w] of Object.entries({ pr, deploy, drift }))
      for (const [id, job] of Object.entries(w.jobs)) {
        const commands = job.steps.flatMap((s) => (s.run ?? "").split("\n")).map((l) => l.trim());
        if (job.permissions?.["id-token"] !== "write") continue;
        assert.ok(!commands.some((c) => /\bnpm (run )?test\b/.test(c)), `${file}/${id}: no npm test`);
        // Anywhere in a line (`cd x && npm ci`); an install that could run scripts some other way is refused outright.
        for (const c of commands) {
          assert.doesNotMatch(c, /\bnpm (install|i|add|rebuild|update)\b/, `${file}/${id}: ${c}`);
          if (!/\bnpm ci\b/.test(c)) continue;
          assert.match(c, /\bnpm ci --ignore-scripts\b/, `${file}/${id}: ${c}`);
          installs.push(`${file}/${id}`);
        }
      }
    assert.ok(installs.length >= 8, `the check met the installs (${installs.length})`);
    const test = deploy.jobs.test;
    assert.deepEqual(test.permissions, { contents: "read" });
    assert.equal(test.environment, undefined, "no environment: none of its variables or secrets");
    assert.doesNotMatch(JSON.stringify(test), /secrets\.|vars\.AZURE/);
    assert.deepEqual(test.steps.map((s) => s.run).filter(Boolean), ["npm ci", "npm test"]);
    assert.equal(deploy.jobs["up-dev"].needs, "test", "dev deploys only what passed");
    // Without a status function GitHub adds `success()`: `always()` or `failure()` there would deploy a failed test.
    assert.doesNotMatch(String(deploy.jobs["up-dev"].if), /\b(always|failure|cancelled|success)\(/);
    // The function package ships its node_modules as installed without scripts: none of its packages declares one.
    const lock = JSON.parse(
      fs.readFileSync(path.resolve(DIR, "../../pipelines/functions/package-lock.json"), "utf8"),
    ) as { packages: Record<string, { hasInstallScript?: boolean }> };
    assert.deepEqual(
      Object.entries(lock.packages)
        .filter(([, p]) => p.hasInstallScript)
        .map(([name]) => name),
      [],
    );
  });

  it("every checkout leaves no token in .git/config, and no step fetches or pushes with git", () => {
    const checkouts = [pr, deploy, drift].flatMap((w) =>
      Object.values(w.jobs).flatMap((j) => j.steps.filter((s) => s.uses?.startsWith("actions/checkout@"))),
    );
    assert.ok(checkouts.length >= 8, `${checkouts.length} checkouts`);
    for (const c of checkouts) assert.equal(c.with?.["persist-credentials"], false);
    const runs = [pr, deploy, drift].flatMap((w) =>
      Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.run ?? "")),
    );
    for (const r of runs) assert.doesNotMatch(r, /\bgit (fetch|push|pull|clone|remote)\b/, r.slice(0, 80));
  });

  it("a run script interpolates nothing but the job's matrix: other values reach it through env", () => {
    // GitHub's "Secure use reference": an expression in a script is pasted into it before the shell reads it, so a
    // value with quotes or `$(...)` (a variable, a step output, an event field) becomes code; through `env:` it stays a
    // value. The matrix values are the workflow's own constants.
    let scripts = 0;
    for (const [file, w] of Object.entries({ pr, deploy, drift }))
      for (const [id, job] of Object.entries(w.jobs))
        for (const s of job.steps.filter((x) => x.run !== undefined)) {
          scripts++;
          for (const m of (s.run ?? "").matchAll(/\$\{\{([\s\S]*?)\}\}/g))
            assert.match(m[1], /^\s*matrix\.\w+\s*$/, `${file}/${id}: ${s.name ?? s.run?.slice(0, 60)}`);
        }
    assert.ok(scripts > 40, `the check read the scripts (${scripts})`);
  });

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

  it("pull requests: the base branch's offline preview reads the schema check's cache the head's preview filled", () => {
    // A clean runner's first preview compiles every validator (prod: 12 s instead of 3 s here): the base branch's
    // preview reads the folder where the check keeps them (store.ts's VALIDATOR_CACHE_DIR) through a link made after
    // its own `npm ci`.
    const job = pr.jobs["offline-preview"];
    const dir = path.relative(path.resolve(DIR, "../.."), VALIDATOR_CACHE_DIR);
    const base = job.steps.find((s) => s.env?.BASE_SHA === "${{ github.event.pull_request.base.sha }}");
    assert.ok(base);
    const lines = (base.run ?? "").split("\n");
    const ci = lines.findIndex((l) => l.includes("npm ci"));
    const link = lines.findIndex((l) => l.includes(`ln -sfn "$GITHUB_WORKSPACE/${dir}" ${dir}`));
    const basePreview = lines.findIndex((l) => l.includes("npm run preview:offline"));
    assert.ok(ci >= 0 && ci < link && link < basePreview, `${ci} ${link} ${basePreview}`);
  });

  it("caches: main's deploy saves npm test's caches (node_modules/.cache) from a clean install; pull requests restore them after npm ci and save none", () => {
    // The static checks' caches, tsc's build info, the schema check's and the loader's: all under node_modules/.cache,
    // all keyed by content (scripts/static-checks.sh, tools/lib/armSchema/store.ts, scripts/ts-run.cjs). They hold
    // code the tests run and results they trust: only main's reviewed code writes them (a pull request could otherwise
    // plant entries its later commits' checks would trust).
    const dir = path.dirname(path.relative(path.resolve(DIR, "../.."), VALIDATOR_CACHE_DIR));
    assert.equal(dir, "node_modules/.cache");
    const checks = fs.readFileSync(path.resolve(DIR, "../../scripts/static-checks.sh"), "utf8");
    assert.match(checks, /^cache=node_modules\/\.cache\/static-checks$/m);
    const saves = (w: Workflow) =>
      Object.entries(w.jobs).flatMap(([id, job]) =>
        job.steps.filter((s) => s.uses?.startsWith("actions/cache/save@")).map((s) => ({ id, job, s })),
      );
    assert.deepEqual(saves(pr), [], "a pull request saves no cache");
    const [save, ...more] = saves(deploy);
    assert.ok(save && more.length === 0, "one save, in the deploy workflow");
    const at = (job: Job, s: unknown) => job.steps.indexOf(s as Step);
    const install = save.job.steps.find((s) => s.run === "npm ci");
    const test = save.job.steps.find((s) => s.run === "npm test");
    assert.ok(
      install && test && at(save.job, install) < at(save.job, test) && at(save.job, test) < at(save.job, save.s),
    );
    assert.equal(save.job.if, "${{ vars.PULUMI_ORG != '' && github.ref == 'refs/heads/main' }}", "main only");
    assert.deepEqual(Object.keys(deploy.on).sort(), ["push", "workflow_dispatch"]);
    assert.equal(save.s.with?.path, dir);
    assert.equal(save.s.if, "${{ !cancelled() }}");
    assert.match(String(save.s.with?.key), /^npm-cache-\$\{\{ github\.sha \}\}-/);
    // Both pull request jobs restore that folder (the same path, or the cache's version differs) between npm ci and
    // what uses it, by the saved keys' prefix.
    for (const [id, use] of [
      ["test", (s: Step) => s.run === "npm test"],
      ["offline-preview", (s: Step) => !!s.run?.includes("npm run preview:offline") && s.run.includes("--cost")],
    ] as const) {
      const job = pr.jobs[id];
      const restore = job.steps.find((s) => s.uses?.startsWith("actions/cache/restore@"));
      const npmCi = job.steps.find((s) => s.run === "npm ci");
      const user = job.steps.find(use);
      assert.ok(restore && npmCi && user, id);
      assert.equal(restore.with?.path, dir, id);
      assert.equal(restore.if, undefined, `${id}: on every run`);
      assert.equal(restore.with?.["restore-keys"], "npm-cache-", id);
      assert.ok(at(job, npmCi) < at(job, restore) && at(job, restore) < at(job, user), id);
    }
  });

  it("pull requests: the cost estimate and the cost change against the base branch go into the job summary", () => {
    const job = pr.jobs["offline-preview"];
    const preview = job.steps.find((s) => s.run?.includes("npm run preview:offline") && s.run.includes("--cost"));
    assert.ok(preview?.run?.includes("--cost out/${{ matrix.stack }}-cost.json"));
    const base = job.steps.find((s) => s.env?.BASE_SHA === "${{ github.event.pull_request.base.sha }}");
    assert.ok(base?.run?.includes("--export"), "the base branch's offline preview exports its resources");
    const diff = job.steps.find((s) => s.run?.includes("npm run cost:diff"));
    assert.ok(diff?.run?.includes("--base out/${{ matrix.stack }}-base-export.json"));
    assert.ok(diff?.run?.includes("--head out/${{ matrix.stack }}-export.json"));
    assert.ok(diff?.run?.includes("GITHUB_STEP_SUMMARY"));
    assert.equal(diff?.if, "always()");
    // And what it deletes or replaces in Azure, from the same two exports.
    const changes = job.steps.find((s) => s.run?.includes("npm run changes"));
    assert.ok(changes?.run?.includes("--base out/${{ matrix.stack }}-base-export.json"));
    assert.ok(changes?.run?.includes("--head out/${{ matrix.stack }}-export.json"));
    assert.ok(changes?.run?.includes('>> "$GITHUB_STEP_SUMMARY"'));
    assert.equal(changes?.if, "always()");
    assert.equal((changes as { "continue-on-error"?: boolean })["continue-on-error"], true, "informational");
    assert.equal((diff as { "continue-on-error"?: boolean })["continue-on-error"], true, "informational");
    // The summary opens with what would fail `up` or lose data, then the verdict, then the cost change; each says so
    // when it has nothing to show (a preview that stopped, a base with no export), never an empty section.
    const at = (s: { run?: string } | undefined) => job.steps.indexOf(s as (typeof job.steps)[number]);
    const verdict = job.steps.find((s) => s.run?.includes("-verdict.md >>"));
    assert.ok(at(changes) < at(verdict) && at(verdict) < at(diff), `${at(changes)} ${at(verdict)} ${at(diff)}`);
    assert.match(verdict?.run ?? "", /no verdict/);
    assert.match(
      changes?.run ?? "",
      /Not compared: the base branch's or this branch's offline preview produced no export/,
    );
  });

  it("pull requests: real pulumi preview with the policy pack, read-only identity, not from forks, commented", () => {
    const job = pr.jobs["pulumi-preview"];
    assert.match(String(job.if), /vars\.PULUMI_ORG != ''/);
    assert.match(String(job.if), /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/);
    // Dependabot's runs have no Pulumi token (Dependabot secrets only): skipped, not failed.
    assert.match(String(job.if), /github\.actor != 'dependabot\[bot\]'/);
    assert.equal(job.environment, "pr-preview");
    assert.deepEqual(job.permissions, { contents: "read", "id-token": "write", "pull-requests": "write" });
    assert.equal(job.env?.ARM_USE_OIDC, "true");
    assert.equal(job.env?.ARM_CLIENT_ID, "${{ vars.AZURE_PREVIEW_CLIENT_ID }}");
    const step = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.equal(step?.with?.command, "preview");
    assert.equal(step?.with?.["comment-on-pr"], true);
  });

  it("separates identities: previews read-only, a deploy identity per environment, no secret outside OIDC", () => {
    const all = { pr, deploy, drift };
    for (const [file, w] of Object.entries(all)) {
      // Nothing at workflow level may grant tokens or credentials: each job asks for what it needs.
      assert.ok(!w.permissions?.["id-token"], `${file}: id-token is granted per job, not per workflow`);
      for (const [id, job] of Object.entries(w.jobs)) {
        const text = JSON.stringify(job);
        assert.doesNotMatch(text, /CLIENT_SECRET|ARM_CLIENT_CERTIFICATE/, `${file}/${id}: OIDC only`);
        const secrets = [...text.matchAll(/secrets\.(\w+)/g)].map((m) => m[1]);
        assert.deepEqual(
          [...new Set(secrets)].filter((s) => !["PULUMI_ACCESS_TOKEN", "GITHUB_TOKEN"].includes(s)),
          [],
          `${file}/${id}: only the Pulumi token and the workflow's GitHub token`,
        );
        // A job reaches Azure or Pulumi through its steps (whatever its env says): an Azure login, a Pulumi command, or
        // the Pulumi CLI installed for a tool that runs it.
        const logins = job.steps.filter((s) => s.uses?.startsWith("azure/login@") === true);
        const pulumiRuns = pulumiSteps({ ...w, jobs: { job } });
        const cliInstalls = cliInstallSteps({ ...w, jobs: { job } });
        if (logins.length + pulumiRuns.length + cliInstalls.length === 0) continue;
        assert.equal(job.permissions?.["id-token"], "write", `${file}/${id}: OIDC token`);
        // deploy.yml's prod preview (for the approval) is read-only, like the pull-request and drift jobs.
        const readOnly = file !== "deploy" || id === "preview-prod";
        const identity = readOnly ? "AZURE_PREVIEW_CLIENT_ID" : "AZURE_DEPLOY_CLIENT_ID";
        for (const login of logins) {
          assert.equal(login.with?.["client-id"], `\${{ vars.${identity} }}`, `${file}/${id}: login identity`);
          assert.equal(login.with?.["tenant-id"], "${{ vars.AZURE_TENANT_ID }}", `${file}/${id}: login tenant`);
          assert.ok(login.with?.["subscription-id"], `${file}/${id}: login subscription`);
          assert.ok(!("creds" in (login.with ?? {})), `${file}/${id}: OIDC, no credentials JSON`);
        }
        if (pulumiRuns.length + cliInstalls.length > 0) {
          // The Pulumi token only on the steps that run the CLI (a Pulumi command, the tools that run it), never
          // job-wide where `npm ci`'s install scripts and the tests would read it (CI review); a missing one fails
          // every preview or up.
          assert.equal(job.env?.PULUMI_ACCESS_TOKEN, undefined, `${file}/${id}: no job-wide Pulumi token`);
          for (const step of job.steps) {
            const runsCli =
              (step.uses?.startsWith("pulumi/actions@") === true && step.with?.command !== undefined) ||
              /stream:ops|deployed-commit\.cjs/.test(step.run ?? "");
            assert.equal(
              step.env?.PULUMI_ACCESS_TOKEN,
              runsCli ? "${{ secrets.PULUMI_ACCESS_TOKEN }}" : undefined,
              `${file}/${id}: ${step.name ?? step.uses ?? step.run}: Pulumi token ${runsCli ? "needed" : "not given"}`,
            );
          }
          assert.equal(job.env?.ARM_USE_OIDC, "true", `${file}/${id}: ARM_USE_OIDC`);
          assert.equal(job.env?.ARM_CLIENT_ID, `\${{ vars.${identity} }}`, `${file}/${id}: ARM_CLIENT_ID`);
          assert.equal(job.env?.ARM_TENANT_ID, "${{ vars.AZURE_TENANT_ID }}", `${file}/${id}: ARM_TENANT_ID`);
          assert.match(
            job.env?.ARM_SUBSCRIPTION_ID ?? "",
            /vars\.AZURE_\w*SUBSCRIPTION_ID/,
            `${file}/${id}: subscription`,
          );
        }
        if (!readOnly) {
          assert.ok(["development", "production"].includes(String(job.environment)), `${file}/${id}: environment`);
          assert.ok(pulumiRuns.every((s) => s.with?.command === "up"));
        } else {
          // Pull requests and the drift check never touch a deploy identity or a deploy environment.
          assert.equal(job.environment, "pr-preview", `${file}/${id}: read-only environment`);
          assert.doesNotMatch(text, /AZURE_DEPLOY_CLIENT_ID|production|development/);
          assert.ok(pulumiRuns.every((s) => s.with?.command === "preview"));
        }
      }
    }
    assert.equal(deploy.jobs["up-dev"].environment, "development");
    assert.equal(deploy.jobs["up-prod"].environment, "production");
  });

  it("passes the GitHub token to every Pulumi step (plugin downloads, PR comments)", () => {
    for (const [file, w] of Object.entries({ pr, deploy, drift })) {
      for (const s of pulumiSteps(w)) {
        assert.equal(s.with?.["github-token"], "${{ secrets.GITHUB_TOKEN }}", file);
        assert.equal(s.env?.GITHUB_TOKEN, "${{ secrets.GITHUB_TOKEN }}", file);
      }
      for (const s of cliInstallSteps(w)) {
        assert.equal(s.env?.GITHUB_TOKEN, "${{ secrets.GITHUB_TOKEN }}", `${file}: CLI install`);
        // A CLI install runs nothing: its only input is the version (pinned below).
        assert.deepEqual(Object.keys(s.with ?? {}), ["pulumi-version-file"], `${file}: a CLI install runs nothing`);
      }
    }
    assert.equal(cliInstallSteps(deploy).length, 2, "one CLI install per up job (stream:ops previews)");
  });

  it("documents the identities, federated credentials, Graph permissions and the prod approval", () => {
    const ci = fs.readFileSync(path.resolve(DIR, "../../docs/ci.md"), "utf8");
    for (const env of ["pr-preview", "development", "production"])
      assert.ok(ci.includes(`repo:<owner>/<repo>:environment:${env}`), `federated credential for ${env}`);
    for (const v of ["AZURE_PREVIEW_CLIENT_ID", "AZURE_DEPLOY_CLIENT_ID", "Group.Read.All", "Group.ReadWrite.All"])
      assert.ok(ci.includes(v), v);
    const readme = fs.readFileSync(path.resolve(DIR, "../../README.md"), "utf8");
    assert.match(readme, /### Prod approval prerequisites[\s\S]*required reviewers/);
  });

  it("main: pulumi up for dev, then prod behind an environment approval", () => {
    assert.deepEqual((deploy.on.push as { branches: string[] }).branches, ["main"]);
    const dev = deploy.jobs["up-dev"];
    // A manual run from another branch deploys nothing (everything else needs up-dev).
    assert.match(String(dev.if), /github\.ref == 'refs\/heads\/main'/);
    const prod = deploy.jobs["up-prod"];
    assert.deepEqual(prod.needs, ["up-dev", "preview-prod"]);
    assert.equal(prod.environment, "production");
    assert.match(String(pulumiSteps({ ...deploy, jobs: { dev } })[0].with?.["stack-name"]), /\/dev$/);
    assert.match(String(pulumiSteps({ ...deploy, jobs: { prod } })[0].with?.["stack-name"]), /\/prod$/);
    assert.ok(pulumiSteps({ ...deploy, jobs: { dev, prod } }).every((s) => s.with?.command === "up"));
  });

  it("main: prod's reviewers approve after a refreshed preview of prod with the policy verdict, run read-only", () => {
    const job = deploy.jobs["preview-prod"];
    assert.equal(job.needs, "up-dev");
    assert.equal(job.environment, "pr-preview", "the read-only identity, never prod's deploy identity");
    assert.equal(job.env?.ARM_SUBSCRIPTION_ID, "${{ vars.AZURE_PROD_SUBSCRIPTION_ID }}");
    const [preview] = pulumiSteps({ ...deploy, jobs: { job } });
    assert.deepEqual(
      [
        preview?.with?.command,
        preview?.with?.["stack-name"],
        preview?.with?.refresh,
        preview?.with?.["comment-on-summary"],
        preview?.with?.policyPacks,
        preview?.with?.policyPackConfigs,
      ],
      [
        "preview",
        "${{ vars.PULUMI_ORG }}/payments-data-platform/prod",
        true,
        true,
        "policies",
        "policies/config/prod.json",
      ],
    );
    // up-prod, which waits for the approval, starts only after it.
    assert.ok([deploy.jobs["up-prod"].needs].flat().includes("preview-prod"));
  });

  it("main: one deploy run at a time, for the whole run (no job-level groups that would interleave two runs)", () => {
    // main's runs share `deploy`; a manual run from another branch (which no environment admits) gets its own group,
    // so it never cancels main's pending run.
    assert.deepEqual((deploy as Workflow & { concurrency?: unknown }).concurrency, {
      group: "${{ github.ref == 'refs/heads/main' && 'deploy' || format('deploy-{0}', github.ref) }}",
      "cancel-in-progress": false,
    });
    for (const [name, j] of Object.entries(deploy.jobs))
      assert.equal((j as Job & { concurrency?: unknown }).concurrency, undefined, name);
  });

  it("every pulumi/actions step runs the CLI release of the pinned SDK (.pulumi.version), never whatever is newest", () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const pinned = fs.readFileSync(path.resolve(__dirname, "../.pulumi.version"), "utf8").trim();
    assert.equal(pinned, pkg.dependencies["@pulumi/pulumi"], "the CLI and the Node.js SDK are released together");
    // The drift check's preview runs after it checks out the deployed commit, which may predate the file (a missing
    // version file fails the step): it uses the CLI its install step pinned, on the default branch, before.
    const driftSteps = drift.jobs.drift.steps;
    const checkout = driftSteps.findIndex((s) => s.name === "check out the deployed commit");
    const afterCheckout = driftSteps.slice(checkout).filter((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.ok(checkout > 0 && afterCheckout.length === 1);
    assert.equal(
      afterCheckout[0].with?.["pulumi-version-file"],
      undefined,
      "drift: no version file after the checkout",
    );
    assert.ok(
      driftSteps.slice(0, checkout).some((s) => s.uses?.startsWith("pulumi/actions@") && !s.with?.command),
      "drift: the CLI is installed (pinned) before the checkout",
    );
    const steps = [pr, deploy, drift]
      .flatMap((w) => [...pulumiSteps(w), ...cliInstallSteps(w)])
      .filter((s) => s !== afterCheckout[0]);
    assert.ok(steps.length >= 9, `${steps.length} pulumi/actions steps`);
    for (const step of steps) {
      assert.equal(step.with?.["pulumi-version-file"], ".pulumi.version", step.id ?? step.name ?? step.uses);
      assert.equal(step.with?.["pulumi-version"], undefined, "one source of the version");
    }
  });

  it("nightly drift check: skipped while a deploy runs, every step after the check gated on it", () => {
    const job = drift.jobs.drift as Job & { concurrency?: unknown };
    assert.equal(job.concurrency, undefined, "no group shared with the deploy jobs (a queued check would cancel it)");
    assert.equal(job.permissions?.actions, "read");
    const i = job.steps.findIndex((s) => s.id === "busy");
    assert.ok(i >= 0);
    // A run applying its commit or about to start (GitHub's "List workflow runs", `status` filter). Not one waiting for
    // prod's approval or pending behind the deploy group: it applies nothing until it starts, possibly days later, and
    // the check runs on the deployed commit meanwhile.
    assert.match(
      job.steps[i].run ?? "",
      /for status in in_progress queued requested; do[\s\S]*gh run list .*--workflow deploy\.yml --status "\$status"/,
    );
    assert.match(job.steps[i].run ?? "", /deploying=true" >> "\$GITHUB_OUTPUT"/);
    for (const s of job.steps.slice(i + 1)) {
      assert.match(s.if ?? "", /steps\.busy\.outputs\.deploying != 'true'/, s.uses ?? s.run ?? "");
      if (/always\(\)/.test(s.if ?? "")) assert.match(s.if ?? "", /steps\.busy\.outcome == 'success'/);
    }
  });

  it("nightly drift check: a failed or timed-out scheduled check opens the stack's drift issue, or comments on the open one", () => {
    // docs/ci.md, hardening checklist item 6: a failed scheduled run notifies only whoever last edited its cron line.
    const job = drift.jobs["drift-report"] as Job & { "runs-on"?: string };
    assert.equal(job.needs, "drift");
    // Its own job: the check runs the deployed commit's code, which must not hold a token that can close the issue.
    assert.deepEqual(job.permissions, { issues: "write" });
    assert.equal(drift.jobs.drift.permissions?.issues, undefined);
    // After a failure or a cancellation (the check's timeout), of a scheduled run only; a skip during a deploy passes.
    assert.equal(
      job.if,
      "${{ always() && github.event_name == 'schedule' && (needs.drift.result == 'failure' || needs.drift.result == 'cancelled') }}",
    );
    const [step] = job.steps;
    assert.equal(job.steps.length, 1);
    assert.deepEqual(step.env, {
      GH_TOKEN: "${{ secrets.GITHUB_TOKEN }}",
      STACK: "${{ github.event.schedule == '15 6 * * 1-5' && 'dev' || 'prod' }}",
      RESULT: "${{ needs.drift.result }}",
      RUN_URL: "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}",
    });
    // The stack is the one the drift job's matrix picks for that schedule.
    assert.match(
      String(drift.jobs.drift.strategy?.matrix?.stack),
      /github\.event\.schedule == '15 6 \* \* 1-5' && '\["dev"\]'/,
    );
    const script = step.run ?? "";
    assert.match(script, /^title="Drift check failed: \$STACK"$/m);
    assert.match(script, /^body=".*\$RESULT: \$RUN_URL/m);
    // Open issues only: a closed one (the stack was back in line) is not reopened by a comment.
    assert.match(script, /gh issue list --repo "\$GITHUB_REPOSITORY" --state open /);
  });

  it("nightly drift check: the drift issue's script comments on the open issue of that exact title, else opens one", function () {
    // The script as a shell runs it, against a stand-in `gh` that answers the issue list as GitHub's CLI would
    // (`--jq` applied, with jq: GitHub's runners have it; without it here, the case is skipped, not passed).
    try {
      execFileSync("jq", ["--version"], { stdio: "ignore" });
    } catch {
      this.skip();
    }
    const script = drift.jobs["drift-report"].steps[0].run ?? "";
    const run = (open: { number: number; title: string }[]) => {
      const dir = tempDir("gh-");
      const gh = path.join(dir, "gh");
      fs.writeFileSync(
        gh,
        [
          "#!/usr/bin/env bash",
          'if [ "$1 $2" = "issue list" ]; then',
          '  while [ "$1" != "--jq" ]; do shift; done',
          `  echo '${JSON.stringify(open)}' | jq -r "$2"`,
          "else",
          '  echo "$@" >> "$CALLS"',
          "fi",
        ].join("\n"),
        { mode: 0o755 },
      );
      const calls = path.join(dir, "calls");
      execFileSync("bash", ["-c", script], {
        env: {
          ...process.env,
          PATH: `${dir}:${process.env.PATH}`,
          CALLS: calls,
          STACK: "prod",
          RESULT: "failure",
          RUN_URL: "https://run/1",
          GITHUB_REPOSITORY: "o/r",
        },
      });
      return fs.readFileSync(calls, "utf8").trim();
    };
    assert.match(
      run([{ number: 9, title: "Drift check failed: prod (old)" }]),
      /^issue create --repo o\/r --title Drift check failed: prod --body The scheduled drift check of the prod stack ended failure: https:\/\/run\/1\./,
    );
    assert.match(
      run([{ number: 7, title: "Drift check failed: prod" }]),
      /^issue comment 7 --repo o\/r --body The scheduled/,
    );
  });

  it("main: dev's paused pool is resumed before anything refreshes and paused again after up, failed or not", () => {
    const steps = deploy.jobs["up-dev"].steps;
    const at = stepOf("dev", steps);
    const stopTriggers = at((s) => s.id === "stop-triggers", "stop triggers");
    const wake = at((s) => s.id === "wake", "wake the pool");
    const streamPreview = at((s) => s.id === "stream-stop", "the stream job's refreshing preview");
    const up = at((s) => s.id === "up", "up");
    const pause = at((s) => /etl:ops -- pause-pool/.test(s.run ?? ""), "pause the pool");
    assert.equal(steps[wake].run, "npm run etl:ops -- wake-pool --stack dev");
    // After the pause trigger is stopped (it would pause the pool mid-update), before the first refresh.
    const startTriggers = at((s) => s.run === "npm run etl:ops -- start-triggers --stack dev", "start triggers");
    assert.ok(stopTriggers < wake && wake < streamPreview && streamPreview < up && up < pause);
    // Paused before the triggers start again (a nightly run in between would be paused under its queries).
    assert.ok(pause < startTriggers);
    assert.equal(steps[pause].if, "${{ always() && steps.wake.outputs.woken != '' }}");
    assert.match(steps[pause].run ?? "", /--pools "\$POOLS"/);
    assert.equal(steps[pause].env?.POOLS, "${{ steps.wake.outputs.woken }}");
    // prod's pool never pauses: nothing to wake there.
    assert.ok(!deploy.jobs["up-prod"].steps.some((s) => /wake-pool|pause-pool/.test(s.run ?? "")));
  });

  it("main: every up refreshes first, so ignored properties (rotated SQL keys, ML traffic) are never sent stale", () => {
    const ups = pulumiSteps(deploy).filter((s) => s.with?.command === "up");
    assert.equal(ups.length, 4);
    for (const up of ups) assert.equal(up.with?.refresh, true, String(up.with?.["stack-name"]));
  });

  it("main: after a new stack's first up, a second up gives the stream job its Event Hubs input and output", () => {
    for (const stack of ["dev", "prod"] as const) {
      const steps = deploy.jobs[`up-${stack}`].steps;
      const up = steps.findIndex((s) => s.id === "up");
      const second = steps.findIndex((s) => s.id === "up-stream-endpoints");
      assert.equal(second, up + 1, `${stack}: straight after up`);
      // Only when the first one reports the endpoints pending (the stack output of components/streaming).
      assert.equal(
        steps[second].if,
        "${{ steps.up.outcome == 'success' && fromJSON(steps.up.outputs.streamingPath).streamAnalyticsEndpointsConnected == false }}",
      );
      // The same update as the first: stack, refresh, policy pack and its config.
      const { command, ...rest } = steps[second].with ?? {};
      const { command: firstCommand, ...first } = steps[up].with ?? {};
      assert.deepEqual([command, rest], [firstCommand, first]);
    }
  });

  it("main: the function package is built once, on a GitHub-hosted runner without credentials, and shipped unchanged", () => {
    const job = deploy.jobs["functions-package"] as Job & { "runs-on"?: string };
    assert.equal(job["runs-on"], "ubuntu-latest", "not the shared VNet runner that holds the deploy identities");
    assert.deepEqual(job.permissions, { contents: "read" });
    assert.equal(job.environment, undefined);
    assert.doesNotMatch(JSON.stringify(job), /secrets\./);
    const build = job.steps.find((s) => s.id === "package");
    assert.ok(build?.run?.includes("npm prune --omit=dev"), "ships production dependencies only");
    assert.match(
      String(build?.run),
      /^echo "sha256=\$\(sha256sum function-app\.zip \| cut -d ' ' -f 1\)" >> "\$GITHUB_OUTPUT"$/m,
    );
    assert.equal(job.outputs?.sha256, "${{ steps.package.outputs.sha256 }}");
    const upload = job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    assert.deepEqual(upload?.with, {
      name: "function-app",
      path: "pipelines/functions/function-app.zip",
      "if-no-files-found": "error",
      // "Re-run all jobs" uploads again under the same name in the same run.
      overwrite: true,
    });
    for (const stack of ["dev", "prod"] as const) {
      const ship = deploy.jobs[`functions-${stack}`];
      assert.ok(!ship.steps.some((s) => /npm run build|\bzip -/.test(s.run ?? "")), `${stack}: builds nothing`);
      const at = stepOf(`functions-${stack}`, ship.steps);
      const download = at((s) => s.uses?.startsWith("actions/download-artifact@") === true, "download");
      // download-artifact's own check (its default, written out: `error`) is not turned off.
      assert.deepEqual(ship.steps[download].with, { name: "function-app", path: "pipelines/functions" });
      const check = at((s) => s.name === "check the package is the one built", "digest check");
      assert.equal(
        ship.steps[check].run,
        'echo "$BUILT  pipelines/functions/function-app.zip" | sha256sum --check --strict',
      );
      assert.equal(ship.steps[check].env?.BUILT, "${{ needs.functions-package.outputs.sha256 }}");
      // It runs, and its failure stops the job.
      assert.ok(!("if" in ship.steps[check]) && !("continue-on-error" in ship.steps[check]), stack);
      assert.doesNotMatch(
        String(ship.if),
        /\b(always|failure|cancelled|success)\(/,
        `${stack}: never without the package`,
      );
      const login = at((s) => s.uses?.startsWith("azure/login@") === true, "login");
      assert.ok(download < check && check < login, `${stack}: the package checked before any login`);
    }
  });

  it("main: the flow 1 functions are shipped after each stack's up, from a VNet runner with OIDC", () => {
    for (const stack of ["dev", "prod"] as const) {
      const job = deploy.jobs[`functions-${stack}`] as Job & { "runs-on"?: string };
      // prod's code ships only after dev's shipped; both ship the one package built.
      assert.deepEqual(
        job.needs,
        stack === "dev" ? ["up-dev", "functions-package"] : ["up-prod", "functions-dev", "functions-package"],
      );
      assert.equal(job.environment, stack === "dev" ? "development" : "production");
      assert.match(String(job.if), /vars\.VNET_RUNNER_LABEL != ''/);
      assert.equal(job["runs-on"], "${{ vars.VNET_RUNNER_LABEL }}", "private sites: a runner inside the VNet");
      assert.ok(
        job.steps.some((s) => s.uses?.startsWith("azure/login@") === true && !("creds" in (s.with ?? {}))),
        "OIDC login",
      );
      const upJob = deploy.jobs[`up-${stack}`] as Job & { outputs?: Record<string, string> };
      assert.ok(upJob.outputs?.functionAppNames?.includes("steps.up.outputs.functionAppNames"));
      assert.equal(
        upJob.outputs?.functionPackageWriterRoleIds,
        "${{ steps.up.outputs.functionPackageWriterRoleIds }}",
        "each app's package writer role, for the ship's grant",
      );
      // Each of the three apps is shipped by the ship tool (its deploy window), with its own role, from the zip built.
      const at = stepOf(`functions-${stack}`, job.steps);
      const install = at((s) => s.run === "npm ci --ignore-scripts --no-audit --no-fund", "the repository's tools");
      const shipAt = at((s) => s.id === "ship", "ship");
      assert.ok(install < shipAt);
      const ship = job.steps[shipAt];
      assert.ok(!ship.run?.includes("az functionapp deployment"), "no deploy outside the tool's window");
      const apps = [
        ["RESOURCE_GROUP", "PAYMENT_API", "paymentApi"],
        ["RESOURCE_GROUP", "FRAUD_SCORING", "fraudScoring"],
        ["STREAMING_GROUP", "RELAY", "relay"],
      ] as const;
      for (const [group, app, key] of apps) {
        assert.ok(
          ship.run?.includes(
            `npm run functions:ops -- ship --stack ${stack} --resource-group "$${group}" --app "$${app}" --role "$${app}_ROLE" --src "$zip"`,
          ),
          `${stack}: ${app} shipped in its window`,
        );
        assert.equal(
          job.env?.[`${app}_ROLE`],
          `\${{ fromJSON(needs.up-${stack}.outputs.functionPackageWriterRoleIds).${key} }}`,
        );
      }
      assert.match(
        String(ship.run),
        /^zip=pipelines\/functions\/function-app\.zip$/m,
        "the package downloaded and checked",
      );
      // A cancelled or failed ship closes every window it may have left open.
      const closeAt = at((s) => s.name === "close the deploy windows", "close");
      const close = job.steps[closeAt];
      const closing = "${{ always() && steps.ship.outcome != 'success' && steps.ship.outcome != 'skipped' }}";
      assert.equal(close.if, closing);
      // Signed in again first (a long job's first token may have expired), under the same condition.
      const relogin = job.steps[closeAt - 1];
      assert.ok(relogin.uses?.startsWith("azure/login@") && relogin.if === closing, "a fresh login before the close");
      // Every app's window closed even when one close fails, and the step fails then.
      for (const [group, app] of apps)
        assert.ok(
          close.run?.includes(
            `npm run functions:ops -- close --stack ${stack} --resource-group "$${group}" --app "$${app}" --role "$${app}_ROLE" || failed=1`,
          ),
        );
      assert.match(String(close.run), /^failed=0\n[\s\S]*\nexit \$failed\n$/);
      // Three ships, each waiting up to ~11 minutes for its grant, fit the job's time.
      assert.equal((job as Job & { "timeout-minutes"?: number })["timeout-minutes"], 60);
      assert.ok(!close.env && !ship.env, "both read the job's apps and roles");
    }
  });

  it("nightly drift check: refresh + preview --expect-no-changes per stack", () => {
    assert.ok(Array.isArray(drift.on.schedule));
    const step = pulumiSteps(drift)[0];
    assert.equal(step.with?.["expect-no-changes"], true);
    assert.equal(step.with?.refresh, true);
  });

  it("drift check: prod every night, dev on working days inside its pause schedule's hours, both on a manual run", () => {
    // The matrix is a GitHub expression of the event: evaluated here with its operators' JavaScript meaning (GitHub's
    // `&&`/`||` return an operand, like JavaScript's; `fromJSON` parses).
    const expr = /^\$\{\{(.*)\}\}$/s.exec(String(drift.jobs.drift.strategy?.matrix?.stack))?.[1];
    assert.ok(expr, "the stack list is an expression of the event");
    const stacksFor = (event: string, cron?: string): unknown =>
      new Function(
        `return ${expr
          .replace(/github\.event_name/g, JSON.stringify(event))
          .replace(/github\.event\.schedule/g, JSON.stringify(cron ?? ""))
          .replace(/fromJSON/g, "JSON.parse")}`,
      )();
    const crons = (drift.on.schedule as { cron: string }[]).map((c) => c.cron);
    assert.deepEqual(
      crons.map((c) => stacksFor("schedule", c)),
      [["prod"], ["dev"]],
    );
    assert.deepEqual(stacksFor("workflow_dispatch"), ["dev", "prod"]);
    // dev's check runs Monday to Friday between 07:00 and 19:00 in Amsterdam in winter (UTC+1) and summer (UTC+2),
    // where dev's config keeps the fraud scorer, and so the serverless database, awake.
    const [minute, hour, , , days] = crons[1].split(" ");
    assert.equal(days, "1-5");
    assert.ok(Number(hour) + 1 >= 7 && Number(hour) + 2 < 19 && /^\d+$/.test(minute), crons[1]);
    const dev = fs.readFileSync(path.resolve(DIR, "../../Pulumi.dev.yaml"), "utf8");
    assert.match(dev, /resumeAt: "07:00"\n\s+pauseAt: "19:00"\n\s+weekdaysOnly: true/);
    assert.match(dev, /alsoStop: \[fraudScoring,/);
  });

  it("nightly drift check: runs the code of the stack's last update, checked out before anything installs", () => {
    const steps = drift.jobs.drift.steps;
    const at = stepOf("drift", steps);
    const checkout = at((s) => s.uses?.startsWith("actions/checkout@") === true, "checkout");
    assert.equal(steps[checkout].with?.["fetch-depth"], 0, "the whole history: the deployed commit may be behind");
    const node = at((s) => s.uses?.startsWith("actions/setup-node@") === true, "Node.js");
    const cli = at((s) => s.uses?.startsWith("pulumi/actions@") === true && !s.with?.command, "Pulumi CLI install");
    const deployed = at((s) => s.name === "check out the deployed commit", "deployed commit");
    assert.equal(
      steps[deployed].run,
      "trap 'pulumi logout >/dev/null 2>&1 || true' EXIT\n" + 'node scripts/deployed-commit.cjs "$PULUMI_STACK"\n',
    );
    assert.equal(
      steps[deployed].env?.PULUMI_STACK,
      "${{ vars.PULUMI_ORG }}/payments-data-platform/${{ matrix.stack }}",
    );
    const install = at((s) => s.run === "npm ci --ignore-scripts", "npm ci");
    const pack = at((s) => s.run === "npm ci --ignore-scripts --prefix policies", "policy pack");
    const preview = at((s) => s.with?.command === "preview", "preview");
    const etl = at((s) => /etl:ops -- check/.test(s.run ?? ""), "ETL check");
    // The deployed commit's dependencies, program, config, policy pack and ETL check: all after its checkout.
    assert.ok(checkout < node && node < cli && cli < deployed, "checkout → Node → CLI → deployed commit");
    assert.ok(
      deployed < install && install < pack && pack < preview && preview < etl,
      "then install, preview, ETL check",
    );
    assert.equal(
      steps[preview].with?.["stack-name"],
      "${{ vars.PULUMI_ORG }}/payments-data-platform/${{ matrix.stack }}",
    );
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
            job.steps.some((s) => s.run === "npm ci --ignore-scripts --prefix policies"),
            `${name}: policy pack dependencies`,
          );
        }
      }
    }
    for (const stack of ["dev", "prod"])
      assert.ok(fs.existsSync(path.resolve(DIR, "../../policies/config", `${stack}.json`)));
  });

  it("pins every action to the full commit of a recorded release on Node 24 and gives it only inputs that release declares", () => {
    // A tag can be moved to other code by whoever controls the action's repository; a full commit SHA cannot ("the only
    // way to use an action as an immutable release", GitHub's "Security hardening for GitHub Actions"). The deploy jobs
    // hold identities that can change prod, so every `uses:` names a commit, with its release in a comment for readers.
    // tests/fixtures/actions/inputs.json: each pinned commit's action.yml (its inputs and `runs.using`), read from the
    // action's repository. GitHub retires Node 20 for actions: these are the first majors running on Node 24. A `with:`
    // key the action does not declare is ignored by GitHub with a warning only (a misspelt `expect-no-changes` would
    // turn the drift check into a plain preview); a pin the fixture does not know must be recorded first.
    const recorded = (
      JSON.parse(fs.readFileSync(path.resolve(__dirname, "fixtures/actions/inputs.json"), "utf8")) as {
        actions: Record<string, { release: string; major: string; runsUsing: string; inputs: string[] }>;
      }
    ).actions;
    const seen = new Map<string, Set<string>>();
    const files = { "pull-request.yml": pr, "deploy.yml": deploy, "drift.yml": drift };
    for (const [file, w] of Object.entries(files)) {
      const text = fs.readFileSync(path.resolve(DIR, file), "utf8");
      for (const [id, job] of Object.entries(w.jobs)) {
        for (const s of job.steps) {
          if (!s.uses) continue;
          const m = /^([\w-]+\/[\w-]+(?:\/[\w-]+)*)@([0-9a-f]{40})$/.exec(s.uses);
          assert.ok(m, `${file}/${id}: ${s.uses}: pin by full commit SHA`);
          const release = recorded[s.uses];
          assert.ok(
            release,
            `${file}/${id}: ${s.uses} is not in tests/fixtures/actions/inputs.json: record its action.yml`,
          );
          assert.match(
            release.release,
            new RegExp(`^${release.major}\\.\\d+\\.\\d+$`),
            `${s.uses}: a release of its major`,
          );
          // Every line naming the commit says which release it is (what Dependabot and reviewers read).
          for (const line of text.split("\n").filter((l) => l.includes(s.uses as string)))
            assert.match(
              line,
              new RegExp(`@${m[2]} # ${release.release.replace(/\./g, "\\.")}\\b`),
              `${file}: ${line.trim()}`,
            );
          assert.equal(release.runsUsing, "node24", `${s.uses}: runs on Node 24`);
          for (const key of Object.keys(s.with ?? {}))
            assert.ok(release.inputs.includes(key), `${file}/${id}: ${s.uses} has no input \`${key}\``);
          seen.set(m[1], (seen.get(m[1]) ?? new Set()).add(m[2]));
        }
      }
    }
    for (const [action, commits] of seen) assert.equal(commits.size, 1, `${action} pinned consistently`);
    assert.ok(seen.has("pulumi/actions") && seen.has("actions/upload-artifact"));
  });

  it("changes to main: the documented required checks are the pull request's job names, and every code-owner pattern matches a file", () => {
    // docs/ci.md lists the status checks the branch ruleset requires; GitHub names a check after its job's `name`
    // (one per matrix value). A renamed job would leave a required check that never reports (no merge possible) or,
    // once removed from the ruleset by hand, a gate that nobody requires.
    const doc = fs.readFileSync(path.resolve(DIR, "../../docs/ci.md"), "utf8");
    const section = /## Changes to main\n([\s\S]*?)\n## /.exec(doc)?.[1] ?? "";
    const listed = [
      ...(/Require status checks to pass[\s\S]*?These are the jobs' names/.exec(section)?.[0] ?? "").matchAll(
        /`([^`]+)`/g,
      ),
    ]
      .map((m) => m[1])
      .filter((n) => n !== "PULUMI_ORG");
    // Every job's check, except the Pulumi previews' matrix (skipped by its `if` on a fork's pull request, when GitHub
    // reports it under its unexpanded name): the ruleset requires its always-running summary instead.
    const checks = Object.entries(pr.jobs)
      .filter(([id]) => id !== "pulumi-preview")
      .flatMap(([, job]) => {
        const name = (job as Job & { name: string }).name;
        const stacks = (job as Job).strategy?.matrix?.stack;
        return Array.isArray(stacks) ? stacks.map((st: string) => name.replace("${{ matrix.stack }}", st)) : [name];
      });
    assert.deepEqual([...listed].sort(), [...checks].sort());
    const summary = pr.jobs["pulumi-preview-result"] as Job & { name: string; needs?: unknown; if?: string };
    assert.equal(summary.name, "pulumi preview");
    assert.equal(summary.needs, "pulumi-preview");
    assert.equal(summary.if, "${{ always() }}");
    // It passes on success or skipped, fails on anything else.
    const script = summary.steps.map((st) => st.run ?? "").join("\n");
    assert.match(script, /if \[ "\$RESULT" != "success" \] && \[ "\$RESULT" != "skipped" \]; then[\s\S]*exit 1/);
    assert.ok(summary.steps.some((st) => st.env?.RESULT === "${{ needs.pulumi-preview.result }}"));
    // CODEOWNERS: a pattern that matches no file protects nothing (a moved folder would silently drop its owners).
    const root = path.resolve(DIR, "../..");
    const owners = fs
      .readFileSync(path.resolve(DIR, "../CODEOWNERS"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(/\s+/));
    // The repository's files (git's list: a local build output is not the repository's).
    const files = execFileSync("git", ["ls-files"], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
    // A rooted pattern as GitHub reads it: `*` within one path segment, a trailing `/` for a folder and what is in it.
    const covers = (pattern: string, file: string) => {
      const body = pattern
        .replace(/^\//, "")
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*");
      return new RegExp(`^${body}${pattern.endsWith("/") ? "" : "$"}`).test(file);
    };
    for (const [pattern, ...teams] of owners) {
      assert.ok(teams.length > 0 && teams.every((t) => /^@[\w-]+\/[\w-]+$/.test(t)), pattern);
      if (pattern !== "*")
        assert.ok(
          files.some((f) => covers(pattern, f)),
          `CODEOWNERS: ${pattern} matches nothing`,
        );
    }
    // Every stack settings file, now and any added later (a `--config-file` deploys a stack too), is the security team's.
    assert.ok(covers("/Pulumi.*.yaml", "Pulumi.prod-neu.yaml") && !covers("/Pulumi.*.yaml", "docs/Pulumi.x.yaml"));
    const security = (p: string) =>
      owners
        .find(([pattern]) => pattern === p || (pattern.includes("*") && pattern !== "*" && covers(pattern, p.slice(1))))
        ?.some((t) => t.endsWith("/security"));
    // Everything deployed, or deciding what is deployed, is also the security team's: every top-level entry of the
    // repository but the docs, the tests and the vendored schemas (data) is under a pattern they own.
    const exempt = new Set([
      "docs",
      "tests",
      "vendor",
      "README.md",
      ".gitignore",
      // How GitHub shows the generated files in a pull request (linguist-generated), like the editor settings.
      ".gitattributes",
      ".prettierignore",
      ".prettierrc.json",
      ".editorconfig",
      ".mocharc.json",
      "eslint.config.mjs",
      "tsconfig.json",
    ]);
    // The repository's own top-level entries.
    const tracked = new Set(files.map((f) => f.split("/")[0]));
    for (const entry of [...tracked].filter((e) => !exempt.has(e)))
      assert.ok(
        security(`/${entry}${fs.statSync(path.join(root, entry)).isDirectory() ? "/" : ""}`),
        `${entry}: the security team reviews it (add it to .github/CODEOWNERS, or to this test's exemptions if nothing deployed depends on it)`,
      );
    assert.equal(owners[0][0], "*", "the catch-all comes first (the last matching pattern wins)");
  });

  it("Dependabot proposes new action pins and every npm project's dependencies", () => {
    const config = parse(fs.readFileSync(path.resolve(DIR, "../dependabot.yml"), "utf8")) as {
      version: number;
      updates: {
        "package-ecosystem": string;
        directory: string;
        schedule: { interval: string };
        cooldown?: { "default-days"?: number };
      }[];
    };
    assert.equal(config.version, 2);
    // A release waits a week before Dependabot proposes it (version updates only; security updates come at once).
    for (const u of config.updates) assert.equal(u.cooldown?.["default-days"], 7, u.directory);
    const root = path.resolve(DIR, "../..");
    const lockfiles = execFileSync("git", ["ls-files", "package-lock.json", "**/package-lock.json"], {
      cwd: root,
      encoding: "utf8",
    })
      .split("\n")
      .filter(Boolean)
      .map((f) => `/${path.dirname(f)}`.replace(/\/\.$/, "/"));
    assert.deepEqual(
      config.updates
        .filter((u) => u["package-ecosystem"] === "npm")
        .map((u) => u.directory)
        .sort(),
      lockfiles.sort(),
      "one npm entry per lockfile",
    );
    assert.ok(config.updates.some((u) => u["package-ecosystem"] === "github-actions" && u.directory === "/"));
  });

  it("never runs on pull_request_target (a fork's code with the repository's secrets)", () => {
    for (const [file, w] of Object.entries({ pr, deploy, drift }))
      assert.ok(!("pull_request_target" in w.on), `${file}: pull_request_target`);
    assert.deepEqual(Object.keys(pr.on), ["pull_request"]);
  });

  it("pull requests: the base branch's preview has the history it checks out (fetch-depth 0)", () => {
    const steps = pr.jobs["offline-preview"].steps;
    const checkout = steps.findIndex((s) => s.uses?.startsWith("actions/checkout@"));
    const base = steps.findIndex(
      (s) =>
        /git worktree add \/tmp\/base "\$BASE_SHA"/.test(s.run ?? "") &&
        s.env?.BASE_SHA === "${{ github.event.pull_request.base.sha }}",
    );
    assert.ok(checkout >= 0 && checkout < base, "checkout, then the base branch's worktree");
    assert.equal(steps[checkout].with?.["fetch-depth"], 0, "a shallow clone has no base commit to add a worktree for");
  });

  it("pull requests: a failed real preview (no PR comment from pulumi/actions) is reported in the job summary", () => {
    const steps = pr.jobs["pulumi-preview"].steps;
    const preview = steps.findIndex((s) => s.id === "preview");
    assert.equal(steps[preview]?.with?.command, "preview");
    const report = steps.findIndex((s) => s.name === "failed preview into the job summary");
    assert.ok(report > preview, "after the preview");
    assert.equal(steps[report].if, "${{ failure() && steps.preview.outcome == 'failure' }}");
    assert.match(steps[report].run ?? "", /::error::[\s\S]*>> "\$GITHUB_STEP_SUMMARY"/);
  });

  it("main: the ETL tier's triggers are stopped before each up, endpoints approved and triggers started after it", () => {
    for (const stack of ["dev", "prod"] as const) {
      const steps = deploy.jobs[`up-${stack}`].steps;
      const index = stepOf(stack, steps);
      const login = index((s) => s.uses?.startsWith("azure/login@") === true, "Azure login (OIDC)");
      assert.equal(steps[login].with?.["client-id"], "${{ vars.AZURE_DEPLOY_CLIENT_ID }}");
      const stop = index((s) => s.run === `npm run etl:ops -- stop-triggers --stack ${stack}`, "stop triggers");
      const up = index((s) => s.uses?.startsWith("pulumi/actions@") === true && s.with?.command === "up", "pulumi up");
      const approve = index((s) => s.run === `npm run etl:ops -- approve-endpoints --stack ${stack}`, "approve");
      const start = index((s) => s.run === `npm run etl:ops -- start-triggers --stack ${stack}`, "start triggers");
      const schema = index((s) => s.run === `npm run etl:ops -- schema-deploy --stack ${stack}`, "schema deploy");
      assert.ok(
        login < stop && stop < up && up < approve && approve < schema && schema < start,
        `${stack}: login → stop → up → approve → schema → start`,
      );
      // The generated SQL follows the pipelines `up` changed, only after a successful `up` and approvals; when it
      // fails, the triggers stay stopped (new pipelines must not meet the previous procedures).
      assert.equal(steps[schema].id, "schema");
      assert.equal(steps[schema].if, "${{ steps.up.outcome == 'success' && success() }}");
      if (stack === "dev") {
        const pause = index((s) => (s.run ?? "").startsWith("npm run etl:ops -- pause-pool"), "pause pool");
        assert.ok(schema < pause, "dev: the schema is deployed while the pool is still online");
      }
      // The CLI's OIDC session does not outlive a long `up`: a second login between up and the steps that use az.
      const relogin = steps.findIndex((s, i) => i > up && s.uses?.startsWith("azure/login@") === true);
      assert.ok(relogin > up && relogin < approve, `${stack}: a fresh login after up, before the az steps`);
      assert.equal(steps[relogin].if, "${{ always() && steps.up.outcome != 'skipped' }}");
      assert.deepEqual(steps[relogin].with, steps[login].with);
      // A failed `up` (or a failed step between) still restarts the triggers this job stopped, and approves what the
      // up created: the nightly ETL must not stay off until the next successful deploy.
      assert.equal(steps[stop].id, "stop-triggers");
      assert.equal(
        steps[start].if,
        "${{ always() && steps.stop-triggers.outcome == 'success' && (steps.up.outcome != 'success' || steps.schema.outcome == 'success') }}",
      );
      assert.equal(steps[approve].if, "${{ always() && steps.up.outcome != 'skipped' }}");
    }
  });

  it("previews and drift checks read each stack in its own subscription (dev and prod are separate)", () => {
    // No fallback: an unset prod variable leaves the subscription empty (never dev's), and the job's first step fails
    // naming the variable.
    const expression =
      "${{ matrix.stack == 'prod' && vars.AZURE_PROD_SUBSCRIPTION_ID || matrix.stack == 'dev' && vars.AZURE_DEV_SUBSCRIPTION_ID || '' }}";
    for (const [name, job] of [
      ["pull-request.yml pulumi-preview", pr.jobs["pulumi-preview"]],
      ["drift.yml drift", drift.jobs.drift],
    ] as const) {
      assert.equal(job.env?.ARM_SUBSCRIPTION_ID, expression, name);
      assert.match(
        job.steps[0].run ?? "",
        /if \[ -z "\$ARM_SUBSCRIPTION_ID" \]; then[\s\S]*SUBSCRIPTION_ID is not set[\s\S]*exit 1/,
      );
      for (const s of job.steps.filter((s) => s.uses?.startsWith("azure/login@") === true))
        assert.equal(s.with?.["subscription-id"], "${{ env.ARM_SUBSCRIPTION_ID }}", name);
    }
    const ci = fs.readFileSync(path.resolve(__dirname, "..", "docs", "ci.md"), "utf8");
    assert.match(
      ci,
      /`pr-preview`: variables `AZURE_PREVIEW_CLIENT_ID`, `AZURE_DEV_SUBSCRIPTION_ID` and\s+`AZURE_PROD_SUBSCRIPTION_ID`/,
    );
  });

  it("main: the stack's resource providers are registered after login and before each up", () => {
    for (const stack of ["dev", "prod"] as const) {
      const steps = deploy.jobs[`up-${stack}`].steps;
      const index = stepOf(stack, steps);
      const login = index((s) => s.uses?.startsWith("azure/login@") === true, "Azure login (OIDC)");
      const register = index((s) => s.run === `npm run providers -- register --stack ${stack}`, "register providers");
      const up = index((s) => s.uses?.startsWith("pulumi/actions@") === true && s.with?.command === "up", "pulumi up");
      assert.ok(login < register && register < up, `${stack}: login → register providers → up`);
    }
  });

  it("main: a dev deploy outside working hours puts what the off-hours schedule stops back to sleep, after the restarts", () => {
    const steps = deploy.jobs["up-dev"].steps;
    const at = stepOf("dev", steps);
    const up = at((s) => s.with?.command === "up", "pulumi up");
    const restart = at((s) => s.run === "npm run stream:ops -- start --stack dev", "stream job restart");
    const sleep = at((s) => s.run === "npm run etl:ops -- sleep-if-off-hours --stack dev", "back to sleep");
    assert.ok(up < restart && restart < sleep, "up → restart → back to sleep");
    // Also after a failed up (it may have woken the gateway before failing), not when up never ran.
    assert.equal(steps[sleep].if, "${{ always() && steps.up.outcome != 'skipped' }}");
    // prod sleeps never (olap.pauseSchedule must be absent there): no such step.
    assert.ok(!deploy.jobs["up-prod"].steps.some((s) => /sleep-if-off-hours/.test(s.run ?? "")));
    // The function shipping job does not start the streaming job again off hours: it reads the step's answer.
    assert.equal(steps[sleep].id, "sleep");
    assert.equal(deploy.jobs["up-dev"].outputs?.offHours, "${{ steps.sleep.outputs.offHours }}");
    const start = deploy.jobs["functions-dev"].steps.find((s) => s.name === "stream job (start)");
    assert.equal(start?.if, "${{ needs.up-dev.outputs.offHours != 'true' }}");
  });

  it("main: the function shipping jobs start the stream job with the repository's tool, after login and shipping", () => {
    for (const stack of ["dev", "prod"] as const) {
      const steps = deploy.jobs[`functions-${stack}`].steps;
      const start = steps.findIndex((s) => s.name === "stream job (start)");
      const login = steps.findIndex((s) => s.uses?.startsWith("azure/login@") === true);
      const ship = steps.findIndex((s) => s.id === "ship");
      assert.ok(login >= 0 && login < ship && ship < start, `${stack}: login → ship → start`);
      // `az stream-analytics` is a CLI extension the runner may not have (or fetch, inside the VNet): the tool goes
      // through `az rest` and shares the state rules of the restart after `up` (tests/streamOps.spec.ts), installed
      // before the ship.
      assert.equal(steps[start].run, `npm run stream:ops -- start --stack ${stack}\n`);
      const install = steps.findIndex((s) => s.run === "npm ci --ignore-scripts --no-audit --no-fund");
      assert.ok(install >= 0 && install < ship, "the tools installed first");
      for (const step of steps) assert.doesNotMatch(step.run ?? "", /az stream-analytics/, `${stack}: ${step.name}`);
    }
  });

  it("main: a running stream job the update changes is stopped before up (CLI preview) and restarted after it", () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(DIR, "../../package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    assert.equal(pkg.scripts["stream:ops"], "node scripts/ts-run.cjs tools/streamOps.ts");
    assert.equal(pkg.scripts["functions:ops"], "node scripts/ts-run.cjs tools/functionsOps.ts");
    for (const stack of ["dev", "prod"] as const) {
      const steps = deploy.jobs[`up-${stack}`].steps;
      const at = stepOf(stack, steps);
      const login = at((s) => s.uses?.startsWith("azure/login@") === true, "Azure login");
      const install = at((s) => s.uses?.startsWith("pulumi/actions@") === true && !s.with?.command, "CLI install");
      const stop = at((s) => s.id === "stream-stop", "stop for update");
      assert.equal(
        steps[stop].run,
        `npm run stream:ops -- stop-for-update --stack ${stack} --pulumi-stack "$PULUMI_STACK"`,
      );
      assert.equal(steps[stop].env?.PULUMI_STACK, `\${{ vars.PULUMI_ORG }}/payments-data-platform/${stack}`);
      assert.equal(steps[stop].env?.GITHUB_TOKEN, "${{ secrets.GITHUB_TOKEN }}", "plugin downloads authenticated");
      const up = at((s) => s.with?.command === "up", "pulumi up");
      assert.equal(steps[up].with?.["stack-name"], `\${{ vars.PULUMI_ORG }}/payments-data-platform/${stack}`);
      const restart = at((s) => s.run === `npm run stream:ops -- start --stack ${stack}`, "restart");
      assert.equal(steps[restart].if, "${{ always() && steps.stream-stop.outputs.stopped == 'true' }}");
      assert.ok(
        login < install && install < stop && stop < up && up < restart,
        `${stack}: login → CLI → stop → up → restart`,
      );
    }
  });

  it("nightly drift check: fails when a managed endpoint is not approved or a trigger not started, read-only", () => {
    const steps = drift.jobs.drift.steps;
    const check = steps.findIndex((s) => s.run === "npm run etl:ops -- check --stack ${{ matrix.stack }}");
    const login = steps.findIndex((s) => s.uses?.startsWith("azure/login@") === true);
    assert.ok(login >= 0 && login < check, "logged in before the check");
    assert.equal(steps[login].with?.["client-id"], "${{ vars.AZURE_PREVIEW_CLIENT_ID }}");
    assert.match(steps[check].if ?? "", /^\$\{\{ always\(\) && /, "reported even when the preview found drift");
    const pkg = JSON.parse(fs.readFileSync(path.resolve(DIR, "../../package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    assert.equal(pkg.scripts["etl:ops"], "node scripts/ts-run.cjs tools/etlOps.ts");
    // The function apps' package grants, checked the same way, whatever the ETL check found.
    // `--if-present`: a deployed commit from before the script checks nothing rather than failing the run.
    const packages = steps.findIndex(
      (s) => s.run === "npm run --if-present functions:ops -- check --stack ${{ matrix.stack }}",
    );
    assert.ok(packages > login, "the package check, logged in");
    assert.equal(steps[packages].if, steps[check].if);
  });
});

describe("scripts/deployed-commit.cjs (the drift check's checkout)", () => {
  const { decide } = require("../scripts/deployed-commit.cjs") as {
    decide: (history: unknown, hasCommit: (sha: string) => boolean) => { commit?: string; annotations: string[] };
  };
  const A = "a".repeat(40);
  const B = "b".repeat(40);
  const op = (kind: string, env: Record<string, string> = {}) => ({ kind, environment: env, result: "succeeded" });

  it("takes the newest update's commit, past refreshes (newest first, as `pulumi stack history --json` prints)", () => {
    const d = decide(
      [op("refresh", { "git.head": B }), op("update", { "git.head": A }), op("update", { "git.head": B })],
      () => true,
    );
    assert.equal(d.commit, A);
    assert.deepEqual(d.annotations, [`::notice::checking the commit of the stack's last update, ${A}`]);
  });

  it("checks out a failed update's commit too (the state moved towards it), and warns on uncommitted changes", () => {
    const failed = { ...op("update", { "git.head": A, "git.dirty": "true" }), result: "failed" };
    const d = decide([failed], () => true);
    assert.equal(d.commit, A);
    assert.match(d.annotations[1], /^::warning::.*uncommitted changes: they show as drift$/);
  });

  it("stays on the default branch, with a warning, for no update, no recorded commit or a commit it does not have", () => {
    for (const [history, has, reason] of [
      [[op("refresh", { "git.head": A })], true, /no update among/],
      [[op("update", {})], true, /recorded no commit/],
      [[op("update", { "git.head": "not-a-sha; rm -rf /" })], true, /recorded no commit/],
      [[op("update", { "git.head": A })], false, /which this repository does not have/],
      [null, true, /no update among/],
    ] as const) {
      const d = decide(history, () => has);
      assert.equal(d.commit, undefined);
      assert.equal(d.annotations.length, 1);
      assert.match(d.annotations[0], /^::warning::/);
      assert.match(d.annotations[0], reason);
    }
  });

  it("end to end: asks the CLI for the stack's history and checks the deployed commit out of a real clone", function () {
    this.timeout(20000);
    const dir = tempDir("deployed-commit-");
    try {
      const git = (...args: string[]) =>
        execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], {
          cwd: dir,
          encoding: "utf8",
        }).trim();
      git("init", "-q");
      fs.writeFileSync(path.join(dir, "f"), "deployed\n");
      git("add", "f");
      git("commit", "-qm", "deployed");
      const deployed = git("rev-parse", "HEAD");
      fs.writeFileSync(path.join(dir, "f"), "not yet deployed\n");
      git("commit", "-qam", "head");
      // A fake `pulumi` that records its arguments and prints a history whose newest update is the first commit.
      const fake = path.join(dir, "fake-pulumi");
      const history = JSON.stringify([op("refresh"), op("update", { "git.head": deployed, "git.dirty": "false" })]);
      fs.writeFileSync(fake, `#!/bin/sh\necho "$@" > "${dir}/args"\ncat <<'JSON'\n${history}\nJSON\n`, { mode: 0o755 });
      const out = execFileSync(
        process.execPath,
        [path.resolve(__dirname, "../scripts/deployed-commit.cjs"), "org/payments-data-platform/prod"],
        {
          cwd: dir,
          env: { ...process.env, PULUMI: fake },
          encoding: "utf8",
        },
      );
      assert.equal(
        fs.readFileSync(path.join(dir, "args"), "utf8").trim(),
        "stack history --stack org/payments-data-platform/prod --json --page-size 20",
      );
      assert.equal(git("rev-parse", "HEAD"), deployed);
      assert.equal(fs.readFileSync(path.join(dir, "f"), "utf8"), "deployed\n");
      assert.match(out, new RegExp(`^::notice::checking the commit of the stack's last update, ${deployed}$`, "m"));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
