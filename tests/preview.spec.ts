import { strict as assert } from "node:assert";
import type { ReportViolation, ResourceValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ARM_TYPES } from "../tools/lib/azureMocks";
import {
  checkGroups,
  checkShare,
  deployedViewInWorker,
  mergeChecks,
  programOf,
  startDeployedView,
} from "../tools/lib/deployedView";
import { costOfStack } from "../tools/lib/cost/stack";
import { endpointAddresses } from "../tools/lib/hazards";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { checkSchemas } from "../tools/lib/armSchema/check";
import { runProgram } from "../tools/lib/engine";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { isDeepStrictEqual } from "node:util";
import { SECRET_SIG, structValue, UNKNOWN } from "../tools/lib/engine";
import {
  mandatoryViolations,
  mergeVerdicts,
  PolicyConfigError,
  runPolicies,
  type ResourceRecord,
} from "../tools/lib/policyRunner";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, policies } from "../policies/policies";
import {
  analyzeExport,
  fromStackExport,
  onceDeployedViolations,
  packVersion,
  previewExitCode,
  previewResultLine,
  previewStack,
  stackPolicyConfig,
  toStackExport,
} from "../tools/lib/preview";
import { formatTree, verdictJson } from "../tools/lib/report";
import { secretPlaceholder } from "../tools/lib/stackConfig";
import { previewOf } from "./helpers/stacks";
import { structSample } from "./helpers/structSample";
import { tempDir } from "./helpers/tmp";

const ROOT = path.resolve(__dirname, "..");
/** The loader `npm run preview:offline` / `policy:analyze` start the tools with. */
const TS_RUN = path.join(ROOT, "scripts", "ts-run.cjs");
/**
 * The small insecure fixture program, for the tests of the deployed view's worker life cycle (its size is not under
 * test; dev's runs would make up most of their time).
 */
const FIXTURE = {
  stack: "insecure",
  stackFile: path.join(ROOT, "tests/fixtures/insecure/Pulumi.insecure.yaml"),
  program: path.join(ROOT, "tests/fixtures/insecure/index.ts"),
} as const;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(tool: "preview" | "analyze", args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TS_RUN, `tools/${tool}.ts`, ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stdout, stderr });
      },
    );
  });
}

describe("offline preview", function () {
  this.timeout(180000);

  for (const stack of ["dev", "prod"] as const) {
    it(`${stack}: the real program previews with no mandatory violation`, async () => {
      const { run, verdict, onceDeployed } = await previewOf(stack);
      const mandatory = mandatoryViolations(verdict);
      assert.deepEqual(
        mandatory.map((v) => `${v.policy}: ${v.message}`),
        [],
      );
      // Nor once deployed: what the first preview leaves undecided passes over the deployed view.
      assert.deepEqual(
        onceDeployed?.map((v) => `${v.policy}: ${v.message}`),
        [],
      );
      assert.ok(verdict.policies.length > 0);
      assert.equal(verdict.stack, stack);
      assert.equal(verdict.resourceCount, run.resources.filter((r) => r.custom).length);
      const root = run.resources[0];
      assert.equal(root.type, "pulumi:pulumi:Stack");
      assert.equal(
        root.urn,
        `urn:pulumi:${stack}::payments-data-platform::pulumi:pulumi:Stack::payments-data-platform-${stack}`,
      );
    });
  }

  it("has realistic mock ids and outputs for every resource type the program uses", async () => {
    for (const stack of ["dev", "prod"] as const) {
      const { run } = await previewOf(stack);
      const types = new Set(run.resources.filter((r) => r.custom).map((r) => r.type));
      const missing = [...types].filter((t) => !(t in ARM_TYPES));
      assert.deepEqual(missing, [], `add these types to ARM_TYPES in tools/lib/azureMocks/ (${stack})`);
      for (const r of run.resources.filter((x) => x.custom && x.type.startsWith("azure-native:"))) {
        assert.match(
          String(r.id),
          /^\/subscriptions\/[0-9a-f-]{36}\/(resourceGroups|providers)\//,
          `${r.name} has an ARM id`,
        );
      }
    }
  });

  it("records parents, dependencies and property dependencies as the engine sees them", async () => {
    const { run } = await previewOf("dev");
    const urns = new Set(run.resources.map((r) => r.urn));
    for (const r of run.resources.slice(1))
      assert.ok(r.parent && urns.has(r.parent), `${r.name} has a recorded parent`);
    const pe = run.resources.find((r) => r.name === "platform-kv-pep");
    const kv = run.resources.find((r) => r.type === "azure-native:keyvault:Vault" && r.name === "platform-kv");
    assert.ok(pe && kv);
    assert.ok(pe.dependencies.includes(kv.urn));
    assert.ok(pe.propertyDependencies.privateLinkServiceConnections.includes(kv.urn));
    assert.match(
      formatTree(run.resources),
      /^ \+ {3}│ {2}[├└]─ azure-native:network:PrivateDnsZoneGroup\s+platform-kv-pep-dns$/m,
    );
  });

  it("exports the `pulumi stack export` format (version 4 with its replaceWith feature), which policy:analyze reads back to the same verdict", async () => {
    const { run, verdict } = await previewOf("prod");
    const doc = toStackExport(run);
    // The Event Hubs private endpoint and its DNS zone group are replaced with the namespace (`replaceWith`): the CLI
    // then writes version 4 naming that feature (deployment.go ApplyFeatures, SerializeDeploymentWithMetadata).
    assert.equal(doc.version, 4);
    assert.deepEqual(doc.features, ["replaceWith"]);
    const replaced = doc.deployment.resources.filter((r) => r.replaceWith);
    assert.deepEqual(
      replaced.map((r) => r.urn.split("::").pop()),
      ["streaming-evhns-pep", "streaming-evhns-pep-dns"],
    );
    const namespace = doc.deployment.resources.find((r) => r.type === "azure-native:eventhub:Namespace");
    assert.deepEqual(replaced[0].replaceWith, [namespace?.urn]);
    assert.deepEqual(
      fromStackExport(JSON.parse(JSON.stringify(doc)))
        .filter((r) => r.replaceWith)
        .map((r) => r.replaceWith),
      replaced.map((r) => r.replaceWith),
      "read back",
    );
    const kv = doc.deployment.resources.find((r) => r.type === "azure-native:keyvault:Vault");
    assert.ok(kv);
    assert.deepEqual(Object.keys(kv).sort(), [
      "custom",
      "dependencies",
      "id",
      "inputs",
      "outputs",
      "parent",
      "propertyDependencies",
      "protect",
      "type",
      "urn",
    ]);
    assert.equal(kv.protect, true);
    assert.match(
      String(kv.id),
      /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/rg-pay-prod-weu-security\/providers\/Microsoft\.KeyVault\/vaults\/kv-pay-prod-weu-[a-z0-9]{4}$/,
    );
    assert.equal(fromStackExport(JSON.parse(JSON.stringify(doc))).length, run.resources.length);
    const again = await analyzeExport(JSON.parse(JSON.stringify(doc)), { stack: "prod" });
    // The export is the deployed view: what a first preview could not know (the "can't run during preview"
    // advisories, e.g. the lake's encryption built from a vault URI) is known there, and nothing else differs.
    const decided = verdictJson(verdict).violations.filter(
      (v) => !/can't run policy .* during preview/.test(v.message),
    );
    assert.deepEqual(verdictJson(again.verdict).violations, decided);
    const undecided = new Set(
      verdict.violations.filter((v) => !decided.some((d) => d.policy === v.policy)).map((v) => v.policy),
    );
    // A new stack's first `up` creates the Stream Analytics job without its Event Hubs input and output (their grants
    // come after the job: components/streaming/streamAnalytics.ts), so the rule on their authentication has nothing
    // to evaluate in a first preview and evaluates the deployed job.
    const bareInFirstPreview = "azure-native-streamanalytics-inputoutput-require-managed-identity-auth";
    assert.equal(verdict.evaluated[bareInFirstPreview] ?? 0, 0);
    assert.equal(again.verdict.evaluated[bareInFirstPreview], 1);
    // An assignment of a custom role the stack defines names the role by an id unknown in a first preview (the
    // definition's name): the assignment rule cannot tell it from a built-in Owner id built from an unknown value, so
    // each such assignment is undecided there ("can't run during preview", never "passed"), and the deployed view
    // decides exactly those.
    const assignmentRule = "azure-native-authorization-roleassignment-disallow-privileged-role";
    const customRoleNames = new Set(
      doc.deployment.resources
        .filter((r) => r.type === "azure-native:authorization:RoleDefinition")
        .map((r) => String((r.outputs as Record<string, unknown>).name)),
    );
    const customAssignments = doc.deployment.resources.filter(
      (r) =>
        r.type === "azure-native:authorization:RoleAssignment" &&
        customRoleNames.has(
          String((r.inputs as Record<string, unknown>).roleDefinitionId)
            .split("/")
            .pop() ?? "",
        ),
    );
    assert.ok(customAssignments.length > 0);
    assert.deepEqual(
      verdict.violations
        .filter((v) => v.policy === assignmentRule)
        .map((v) => [v.urn, /can't run policy .* during preview: .*\.roleDefinitionId/.test(v.message)])
        .sort(),
      customAssignments.map((r) => [r.urn, true]).sort(),
    );
    assert.ok(undecided.has(assignmentRule));
    assert.equal(again.verdict.evaluated[assignmentRule], verdict.evaluated[assignmentRule]);
    // Which subnet hosts an endpoint is known by ids only: not applicable in a first preview, decided once deployed.
    const byIds = "azure-native-network-subnet-require-private-endpoint-network-policies";
    assert.equal(verdict.evaluated[byIds] ?? 0, 0);
    assert.ok((again.verdict.evaluated[byIds] ?? 0) > 0);
    // Which account a container is on is known by ids (or the account's name, an output) only: the same.
    const rawByIds = "azure-native-storage-managementpolicy-require-delete-of-raw-data";
    assert.equal(verdict.evaluated[rawByIds] ?? 0, 0);
    assert.ok((again.verdict.evaluated[rawByIds] ?? 0) > 0);
    const evaluatedExcept = (e: Readonly<Record<string, number>>) =>
      Object.entries(e).filter(([p]) => !undecided.has(p) && p !== bareInFirstPreview && p !== byIds && p !== rawByIds);
    assert.deepEqual(evaluatedExcept(again.verdict.evaluated), evaluatedExcept(verdict.evaluated));
  });

  it("the private endpoint subnet's size error (PROD_PRIVATE_ENDPOINTS) and the docs name the stacks' real count of private endpoints and their addresses", async () => {
    const { PROD_PRIVATE_ENDPOINTS } = require("../lib/config") as typeof import("../lib/config");
    const counts = await Promise.all(
      (["prod", "dev"] as const).map(async (stack) => {
        const { run } = await previewOf(stack);
        const endpoints = run.resources.filter((r) => r.type === "azure-native:network:PrivateEndpoint");
        const addresses = endpoints.reduce((n, e) => n + endpointAddresses(e, run.resources).addresses, 0);
        return { endpoints: endpoints.length, addresses };
      }),
    );
    const [{ endpoints, addresses }] = counts;
    assert.equal(PROD_PRIVATE_ENDPOINTS, endpoints, "lib/config PROD_PRIVATE_ENDPOINTS");
    assert.deepEqual(counts[1], counts[0], "dev's endpoints take what prod's take (the docs say 'in either stack')");
    const docs = fs.readFileSync(path.join(ROOT, "docs", "configuration.md"), "utf8");
    // Prose wraps anywhere: words apart by any whitespace.
    const prose = (text: string) => new RegExp(text.split(" ").join("\\s+"));
    assert.match(docs, prose(`the stack's ${endpoints} private endpoints take ${addresses} in either stack`));
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    assert.match(
      readme,
      prose(`The stacks' ${endpoints} endpoints take ${addresses} addresses, which a /26 \\(59\\) holds`),
    );
  });

  it("links every child to its parent on a deployed stack even without dependencies (literal parent names)", async () => {
    // Path inputs (serverName, resourceUri, scope...) are not outputs, so stack rules link a deployed child to its
    // parent by ids: strip every recorded dependency, as a program writing literal names would have none.
    const { run } = await previewOf("prod");
    const doc = toStackExport(run);
    for (const r of doc.deployment.resources) {
      r.dependencies = [];
      r.propertyDependencies = {};
    }
    const stripped = await analyzeExport(JSON.parse(JSON.stringify(doc)), { stack: "prod" });
    // The findings of the deployed stack are the advisories that hold until Data Factory's outbound allow-list has
    // passed dev's trial (etl.outboundAllowList) and the owner configures the merchants' certificate authority
    // (ingestion.gateway.merchantCertificateAuthorities); nothing links wrongly.
    assert.deepEqual(
      verdictJson(stripped.verdict).violations.map((v) => [v.policy, v.enforcementLevel]),
      [
        ["azure-native-datafactory-factory-require-outbound-allow-list", "advisory"],
        ["azure-native-network-applicationgateway-require-client-certificate-authentication", "advisory"],
      ],
    );
  });

  it("gives the same views, verdict and schema check with the deployed view in a worker thread", async () => {
    const inThread = await previewOf("dev");
    // Started ahead, as `npm run preview:offline` does when a core is free; previewStack takes it over.
    void startDeployedView(programOf({ stack: "dev" }), { schema: true, cost: true, verdict: true });
    const inWorker = await previewStack({ stack: "dev", parallel: true, cost: true });
    assert.deepEqual(inWorker.run, inThread.run);
    assert.deepEqual(inWorker.previewRun, inThread.previewRun);
    assert.deepEqual(inWorker.verdict, inThread.verdict);
    assert.deepEqual(inWorker.onceDeployed, inThread.onceDeployed);
    assert.deepEqual(inWorker.schema, inThread.schema);
    // The worker's cost estimate over the deployed view is the one this thread computes from the stack's files.
    assert.deepEqual(inWorker.cost, costOfStack(inThread.run.resources, { stack: "dev", root: ROOT }));
    assert.equal(inThread.cost, undefined, "in one thread the caller computes it");
  });

  it("finds once deployed what a rule decided in the preview on an input it could not know (read as absent there)", async () => {
    // The pack's helpers read an unknown input as absent and decide (safeGet): here the factory's linked service's
    // authentication is unknown in the preview view and SQL authentication once deployed. The first preview passes it;
    // `pulumi up` fails on the mandatory rule, and so must the gate.
    const { run, previewRun, verdict } = await previewOf("prod");
    const authentication = (resources: readonly ResourceRecord[], value: string) =>
      resources.map((r) =>
        r.name === "etl-ls-oltp"
          ? {
              ...r,
              inputs: { ...r.inputs, properties: { ...(r.inputs.properties as object), authenticationType: value } },
            }
          : r,
      );
    const opts = {
      config: stackPolicyConfig("prod"),
      packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
      stack: "prod",
      pack: { name: PACK_NAME, version: packVersion() },
    };
    const firstPreview = await runPolicies(policies, authentication(previewRun.resources, UNKNOWN), opts);
    assert.deepEqual(
      firstPreview.violations.filter((v) => v.urn?.endsWith("::etl-ls-oltp")),
      [],
      "decided in the first preview, with no advisory",
    );
    const found = await onceDeployedViolations(firstPreview, authentication(run.resources, "SQL"), opts);
    assert.deepEqual(
      found.map((v) => [v.policy, v.urn?.split("::").pop()]),
      [["azure-native-datafactory-linkedservice-require-managed-identity", "etl-ls-oltp"]],
    );
    assert.deepEqual(await onceDeployedViolations(verdict, run.resources, opts), [], "none on prod as committed");
  });

  it("one view evaluated by two callers off a shared queue of policies, merged, is exactly one evaluation's verdict", async () => {
    // What the deployed view's worker and the main thread do (tools/lib/deployedView/shares.ts): each takes the next
    // policy.
    const { run, verdict: first } = await previewOf("prod");
    const config = stackPolicyConfig("prod");
    // An exemption too, so that the merge of exemptions is exercised: the first rule that applies to prod.
    const exempted = policies.find((p) => (first.evaluated[p.name] ?? 0) > 0 && "validateResource" in p);
    assert.ok(exempted);
    const own = config[exempted.name];
    const opts = {
      config: {
        ...config,
        [exempted.name]: {
          ...(typeof own === "string" ? { enforcementLevel: own } : own),
          exemptions: [{ pattern: "*", reason: "a test of the merged verdict" }],
        },
      },
      packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
      stack: "prod",
      pack: { name: PACK_NAME, version: packVersion() },
    };
    const once = await runPolicies(policies, run.resources, opts);
    assert.ok(once.violations.length > 0 && once.exemptions.length > 0);
    // Each thread has its own pack (exemptions are drained per thread), so the two callers run one after the other
    // here, taking alternate policies as two threads may.
    const alternate = (from: number) => {
      let i = from - 2;
      return () => (i += 2);
    };
    const parts = [
      await runPolicies(policies, run.resources, { ...opts, take: alternate(0) }),
      await runPolicies(policies, run.resources, { ...opts, take: alternate(1) }),
    ];
    for (const part of parts) {
      const taken = Object.keys(part.evaluated).length;
      assert.ok(taken > 0 && taken < Object.keys(once.evaluated).length, `each took some: ${taken}`);
    }
    const merged = mergeVerdicts(parts);
    assert.deepEqual(merged, once);
    assert.deepEqual(Object.keys(merged.evaluated), Object.keys(once.evaluated), "in the pack's order");
    assert.throws(() => mergeVerdicts([]), /no verdict to merge/);
  });

  /**
   * Runs a TypeScript script through the loader in a fresh process (a folder of its own under out/, two levels below
   * the repository) and gives its output; it fails if the process does not end within 50 s (a worker keeping it alive).
   */
  const runScript = (name: string, source: string): string => {
    // out/ may not exist yet (a clean clone; the parallel suite gives no spec file another's leftovers).
    fs.mkdirSync(path.join(ROOT, "out"), { recursive: true });
    const dir = fs.mkdtempSync(path.join(ROOT, "out", `${name}-`));
    try {
      const script = path.join(dir, `${name}.ts`);
      fs.writeFileSync(script, source);
      return execFileSync(process.execPath, [TS_RUN, script], { cwd: ROOT, encoding: "utf8", timeout: 50_000 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  /** The run options a preview of dev evaluates the pack with (previewStack's). */
  const devRunOptions = () => ({
    config: stackPolicyConfig("dev"),
    packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
    stack: "dev",
    pack: { name: PACK_NAME, version: packVersion() },
  });

  it("the deployed view's worker shares the pack's evaluation of its view, and ends when released instead", async () => {
    const program = programOf({ stack: "dev" });
    const opts = devRunOptions();
    const view = await deployedViewInWorker(program, { schema: false, verdict: true });
    assert.ok(view.verdict);
    const shared = await view.verdict(opts);
    assert.deepEqual(shared, await runPolicies(policies, view.run.resources, opts));
    view.release(); // a no-op once asked
    // Released before asking: the worker ends without its share, so a late ask fails instead of waiting forever.
    const released = await deployedViewInWorker(program, { schema: false, verdict: true });
    released.release();
    await assert.rejects(
      released.verdict?.(opts) ?? Promise.resolve(),
      /the deployed view was released: its verdict can no longer be asked for/,
    );
  });

  it("the worker begins its share of the verdict ahead of the caller, who joins with the same options", async () => {
    const program = programOf({ stack: "dev" });
    const opts = devRunOptions();
    const view = await deployedViewInWorker(program, { schema: false, verdict: true });
    assert.ok(view.begin && view.verdict);
    assert.equal(view.policiesTaken(), 0, "nothing is taken before the options are handed over");
    view.begin(opts);
    assert.throws(() => view.begin?.(opts), /already begun or asked for/);
    await assert.rejects(view.verdict({ ...opts }), /begun with other options than it is asked for/);
    // The worker takes the policies on its own, the caller not having joined: here all of them.
    for (const until = Date.now() + 60_000; view.policiesTaken() < policies.length;) {
      assert.ok(Date.now() < until, `the worker took ${view.policiesTaken()} of ${policies.length} policies`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The caller joins late and takes none: the verdict is still exactly one evaluation's.
    assert.deepEqual(await view.verdict(opts), await runPolicies(policies, view.run.resources, opts));
    // Begun, then released before the caller joins (an error on its side): the worker takes no further policy and
    // ends, and the process is not kept waiting for a whole evaluation.
    const released = await deployedViewInWorker(program, { schema: false, verdict: true });
    released.begin?.(opts);
    released.release();
    assert.ok(released.policiesTaken() > policies.length, "the queue is closed");
    await assert.rejects(
      released.verdict?.(opts) ?? Promise.resolve(),
      /the deployed view was released: its verdict can no longer be asked for/,
    );
  });

  it("a worker started ahead is stopped at once when the preview finds no core free after all", async () => {
    const { deployedView, stopStartedViews } =
      require("../tools/lib/deployedView") as typeof import("../tools/lib/deployedView");
    // The worker's life cycle, not the stack's size, is under test: the small insecure fixture runs in a fraction of
    // dev's time (each of the five runs here would be dev's second and a half).
    const program = programOf(FIXTURE);
    const tasks = { schema: false, verdict: false };
    const ran = async (view: Promise<{ readonly run: { readonly resources: readonly { readonly name: string }[] } }>) =>
      (await view).run.resources.some((r) => r.name === "insecure-kv");
    const first = startDeployedView(program, tasks);
    // Taken over before it is stopped: the job is the one started ahead, and it runs to the end.
    const kept = deployedView(program, tasks);
    assert.equal(kept, first);
    stopStartedViews();
    assert.ok(await ran(kept));
    // Stopped before it was taken over: the worker is terminated, and a later ask starts a fresh one.
    const stopped = startDeployedView(program, tasks);
    stopStartedViews();
    await assert.rejects(stopped, /the deployed-view worker was stopped \(no core free after all\)/);
    const fresh = deployedView(program, tasks);
    assert.notEqual(fresh, stopped);
    assert.ok(await ran(fresh));
    // Started on a guess (gated): it waits before the SDK's load for the decision, then goes on when taken over, or
    // ends when stopped.
    const gated = startDeployedView(program, tasks, { gated: true });
    const goes = deployedView(program, tasks);
    assert.equal(goes, gated);
    assert.ok(await ran(goes));
    const gatedStopped = startDeployedView(program, tasks, { gated: true });
    stopStartedViews();
    await assert.rejects(gatedStopped, /the deployed-view worker was stopped \(no core free after all\)/);
    // Undecided, a gated worker waits: no run comes, however long (the fixture's run in a worker takes under half a
    // second here, its first one included).
    const waiting = startDeployedView(program, tasks, { gated: true });
    const first2s = await Promise.race([
      waiting.then(() => "ran"),
      new Promise((resolve) => setTimeout(() => resolve("waits"), 2000)),
    ]);
    assert.equal(first2s, "waits");
    assert.ok(await ran(deployedView(program, tasks)), "and goes on once taken over");
  });

  it("a gated worker taken over keeps the process alive until its view comes (outside mocha's own timers)", function () {
    this.timeout(60_000);
    const out = runScript(
      "gated",
      `import { deployedView, programOf, startDeployedView } from "../../tools/lib/deployedView";\n` +
        `const program = programOf(${JSON.stringify(FIXTURE)});\n` +
        `const tasks = { schema: false, cost: false, verdict: false };\n` +
        `startDeployedView(program, tasks, { gated: true });\n` +
        `setTimeout(() => deployedView(program, tasks).then((v) => console.log("run " + v.run.resources.map((r) => r.name).join(" "))), 200);\n`,
    );
    assert.match(out, /^run .*\binsecure-kv\b/m);
  });

  it("when both threads' shares fail, the one of the first failing policy in the pack is reported, as one evaluation's", () => {
    const { failedPolicyIndex } = require("../tools/lib/deployedView") as typeof import("../tools/lib/deployedView");
    const error = (i: number) => new Error(`policy '${policies[i].name}' failed on urn:x: boom`);
    assert.equal(failedPolicyIndex(error(3)), 3);
    assert.equal(failedPolicyIndex(error(120)), 120);
    assert.equal(failedPolicyIndex(new Error("the deployed-view worker exited with code 1")), policies.length);
    const reported = [error(120), error(3)].sort((a, b) => failedPolicyIndex(a) - failedPolicyIndex(b))[0];
    assert.match(reported.message, new RegExp(`^policy '${policies[3].name}'`));
  });

  it("a worker nobody asks for its share of the verdict never keeps the process alive", function () {
    // A job started ahead and then not taken over (another set of tasks), and one taken over by a preview that fails
    // on its policy config before it asks: the process ends as soon as its own work does.
    this.timeout(60_000);
    const out = runScript(
      "orphan",
      `import { programOf, startDeployedView } from "../../tools/lib/deployedView";\n` +
        `import { previewStack } from "../../tools/lib/preview";\n` +
        `const program = programOf(${JSON.stringify(FIXTURE)});\n` +
        `startDeployedView(program, { schema: false, verdict: true });\n` +
        // Started on a guess and never decided on (the preview failed first): it must not keep the process alive.
        `startDeployedView(program, { schema: false, cost: false, verdict: false }, { gated: true });\n` +
        `startDeployedView(program, { schema: true, cost: true, verdict: true });\n` +
        `previewStack({ ...${JSON.stringify(FIXTURE)}, parallel: true, cost: true, policyConfig: { "no-such-rule": "mandatory" } })` +
        `.then(() => console.log("resolved"), (e: Error) => console.log("rejected: " + e.message));\n`,
    );
    assert.match(out, /rejected: policy config: unknown policy 'no-such-rule'/);
  });

  it("a stack rule reads each resource's options, parent and dependencies as the analyzer server sets them", async () => {
    // The runner builds them on first read (tools/lib/policyRunner/evaluate.ts, accessors of each resource's object):
    // own, enumerable, writable.
    const { run } = await previewOf("dev");
    const seen: Record<string, unknown>[] = [];
    const probe: StackValidationPolicy = {
      name: "probe",
      description: "reads every resource's links",
      enforcementLevel: "advisory",
      validateStack: (args) => {
        for (const r of args.resources) {
          const copy = { ...r };
          seen.push({
            urn: r.urn,
            keys: Object.keys(copy),
            parent: r.parent?.urn,
            protect: r.opts.protect,
            dependencies: r.dependencies.map((d) => d.urn),
            propertyDependencies: Object.fromEntries(
              Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.map((d) => d.urn)]),
            ),
            spreadDependencies: copy.dependencies.map((d) => d.urn),
          });
        }
        const [r] = args.resources;
        r.dependencies = [];
        assert.deepEqual(r.dependencies, [], "a write replaces the value");
        // Whatever is written holds, undefined and null included, read or not before (the analyzer's plain members).
        const [, s, t] = args.resources;
        const loose = (x: unknown) => x as Record<string, unknown>;
        loose(s).opts = undefined;
        loose(s).propertyDependencies = null;
        assert.equal(s.opts, undefined);
        assert.equal(s.propertyDependencies, null);
        void t.dependencies;
        loose(t).dependencies = undefined;
        assert.equal(t.dependencies, undefined);
      },
    };
    await runPolicies([probe], run.resources);
    const urns = new Set(run.resources.map((r) => r.urn));
    assert.equal(seen.length, run.resources.length);
    run.resources.forEach((r, i) => {
      const s = seen[i];
      assert.equal(s.urn, r.urn);
      // In the analyzer server's order (@pulumi/policy server.js, the stack's resources), parent last as it sets it.
      assert.deepEqual(s.keys, [
        "type",
        "props",
        "urn",
        "name",
        "opts",
        "dependencies",
        "propertyDependencies",
        "isType",
        "asType",
        ...(r.parent && urns.has(r.parent) ? ["parent"] : []),
      ]);
      assert.equal(s.parent, r.parent && urns.has(r.parent) ? r.parent : undefined);
      assert.equal(s.protect, r.protect);
      assert.deepEqual(
        s.dependencies,
        r.dependencies.filter((d) => urns.has(d)),
      );
      assert.deepEqual(s.spreadDependencies, s.dependencies);
      assert.deepEqual(
        s.propertyDependencies,
        Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.filter((d) => urns.has(d))])),
      );
    });
    assert.ok(seen.some((s) => (s.dependencies as string[]).length > 0) && seen.some((s) => s.parent !== undefined));
  });

  it("the runner's applicability fast path gives exactly the verdict and counts of calling every rule on every resource", async () => {
    // The pack's rules mark a resource outside their types not applicable; the runner skips such pairs without the
    // call (APPLIES_TO). Without the predicate (a plain wrapper) every rule sees every resource, as under the real CLI.
    const { previewRun } = await previewOf("prod");
    const opts = {
      config: stackPolicyConfig("prod"),
      packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
      stack: "prod",
      pack: { name: PACK_NAME, version: packVersion() },
    };
    const unfiltered = policies.map((p) => {
      if (!("validateResource" in p) || typeof p.validateResource !== "function") return p;
      const validate = p.validateResource;
      return {
        ...p,
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => validate(args, report),
      };
    });
    const fast = await runPolicies(policies, previewRun.resources, opts);
    const slow = await runPolicies(unfiltered, previewRun.resources, opts);
    assert.deepEqual(fast.violations, slow.violations);
    assert.deepEqual(fast.evaluated, slow.evaluated);
    assert.ok(
      Object.values(fast.evaluated).some((n) => n === 0),
      "some rule applies to no prod resource",
    );
  });

  it("bad usage config stops the worker's run before any estimate, naming the key (as the program does)", async () => {
    const stackFile = path.join(tempDir("usage-"), "Pulumi.dev.yaml");
    const doc = parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
      config: Record<string, Record<string, unknown>>;
    };
    doc.config["payments-data-platform:usage"] = {
      ...doc.config["payments-data-platform:usage"],
      cosmosAutoscaleBilledFraction: 5,
    };
    fs.writeFileSync(stackFile, stringifyYaml(doc));
    await assert.rejects(
      deployedViewInWorker(programOf({ stack: "dev", stackFile }), { schema: false, cost: true }),
      /usage \(cosmosAutoscaleBilledFraction\): got 5; must be between 0\.1 and 1/,
    );
  });

  it("PREVIEW_THREADS forces one thread (1) or the worker (2), and names the allowed values otherwise", () => {
    const { secondCore, secondCoreFree } =
      require("../tools/lib/deployedView") as typeof import("../tools/lib/deployedView");
    const saved = process.env.PREVIEW_THREADS;
    try {
      process.env.PREVIEW_THREADS = "1";
      assert.equal(secondCoreFree(), false);
      assert.equal(secondCoreFree(true), false);
      assert.equal(secondCore(), "no");
      process.env.PREVIEW_THREADS = "2";
      assert.equal(secondCoreFree(), true);
      assert.equal(secondCore(), "yes");
      process.env.PREVIEW_THREADS = "two";
      assert.throws(() => secondCoreFree(), /PREVIEW_THREADS must be 1 \(one thread\) or 2 \(the worker\), not 'two'/);
      assert.throws(() => secondCore(), /PREVIEW_THREADS must be 1/);
      // Unforced: the load average first; past it, what runs right now (this thread alone: the machine was busy).
      delete process.env.PREVIEW_THREADS;
      const cores = (require("node:os") as typeof import("node:os")).availableParallelism();
      if (cores >= 2) {
        // A load average that leaves no core free on this machine, whatever its count of cores.
        const busy = cores + 0.5;
        assert.equal(secondCore({ loadAverage: 0.3, runnable: 5 }), "yes");
        assert.equal(secondCore({ loadAverage: busy, runnable: 0 }), "yes", "busy a minute ago, idle now");
        assert.equal(secondCore({ loadAverage: busy, runnable: 1 }), "maybe");
        assert.equal(secondCore({ loadAverage: busy, runnable: undefined }), "maybe", "not known (not Linux)");
      }
      const { runnableNow } = require("../tools/lib/deployedView") as typeof import("../tools/lib/deployedView");
      // A fake /proc: this process (two threads, one running), its parent (npm's shell, waiting) and npm (running),
      // under init; the machine counts three runnable threads, so one runs elsewhere.
      const [me, sh, npm] = [process.pid, 900001, 900002];
      const files: Record<string, string> = {
        "/proc/loadavg": "2.08 2.38 2.01 3/93 27403\n",
        [`/proc/${me}/stat`]: `${me} (node) R ${sh} 1 1`,
        [`/proc/${me}/task/${me}/stat`]: `${me} (node) R ${sh}`,
        [`/proc/${me}/task/7/stat`]: `7 (node (V8) worker) S ${sh}`,
        [`/proc/${sh}/stat`]: `${sh} (sh) S ${npm} 1 1`,
        [`/proc/${sh}/task/${sh}/stat`]: `${sh} (sh) S ${npm}`,
        [`/proc/${npm}/stat`]: `${npm} (npm run) R 1 1 1`,
        [`/proc/${npm}/task/${npm}/stat`]: `${npm} (npm run) R 1`,
      };
      const proc = {
        read: (f: string) => {
          if (!(f in files)) throw new Error(`ENOENT ${f}`);
          return files[f];
        },
        list: (d: string) => (d === `/proc/${me}/task` ? [String(me), "7"] : [d.split("/")[2]]),
      };
      assert.equal(runnableNow(proc), 1, "three runnable, of which this thread and npm's");
      files["/proc/loadavg"] = "2.08 2.38 2.01 2/93 27403\n";
      assert.equal(runnableNow(proc), 0, "only this thread and npm's: nothing else runs");
      // A thread that ends between the listing and its stat runs nothing; an ancestor that has ended ends the walk.
      const vanishing = { ...proc, list: (d: string) => [...proc.list(d), "999999"] };
      assert.equal(runnableNow(vanishing), 0, "a thread gone since the listing");
      delete files[`/proc/${sh}/stat`];
      files["/proc/loadavg"] = "2.08 2.38 2.01 3/93 27403\n";
      assert.equal(runnableNow(proc), 2, "npm's shell gone: npm's running thread is no longer seen as ours");
      const listingFails = {
        ...proc,
        list: (d: string) => {
          if (d === `/proc/${sh}/task`) throw new Error(`ENOENT ${d}`);
          return proc.list(d);
        },
      };
      files[`/proc/${sh}/stat`] = `${sh} (sh) S ${npm} 1 1`;
      assert.equal(
        runnableNow(listingFails),
        2,
        "the shell's threads unlisted (it has just ended): the walk stops there",
      );
      files["/proc/loadavg"] = "garbage";
      assert.equal(runnableNow(proc), undefined);
      assert.equal(
        runnableNow({
          read: () => {
            throw new Error("ENOENT");
          },
          list: () => [],
        }),
        undefined,
        "not Linux",
      );
      // On this machine: with /proc (Linux), a count from the kernel's own files, never below zero; without, none.
      const here = runnableNow();
      if (fs.existsSync("/proc/loadavg")) assert.ok(Number.isInteger(here) && (here ?? -1) >= 0, String(here));
      else assert.equal(here, undefined);
    } finally {
      if (saved === undefined) delete process.env.PREVIEW_THREADS;
      else process.env.PREVIEW_THREADS = saved;
    }
  });

  it("checks the schemas in groups shared by two threads to the very check of all resources at once", async () => {
    const faults = await runProgram(
      programOf({
        stack: "schema-faults",
        stackFile: path.join(ROOT, "tests/fixtures/schema-faults/Pulumi.schema-faults.yaml"),
        program: path.join(ROOT, "tests/fixtures/schema-faults/index.ts"),
      }),
    );
    for (const records of [(await previewOf("prod")).run.resources, faults.resources]) {
      const whole = checkSchemas(records);
      const groups = checkGroups(records);
      assert.equal(groups.flat().length, records.length);
      // One thread taking every other group, the other the rest, in any order: the same check.
      const queue = new SharedArrayBuffer(4);
      const first = checkShare(groups.slice(0, 1), queue);
      const rest = groups
        .map((g, i) => [i, checkSchemas(g)] as const)
        .slice(1)
        .reverse();
      const merged = mergeChecks(
        records,
        [...rest, ...first].map(([, c]) => c),
      );
      assert.deepEqual(merged, whole);
      assert.equal(JSON.stringify(merged), JSON.stringify(whole));
      assert.equal(new Int32Array(queue)[0], 2, "the queue is taken until it is empty");
    }
    const errors = checkSchemas(faults.resources).errors;
    assert.ok(new Set(errors.map((e) => e.urn)).size >= 2, "the fixture has errors, of several resources");
  });

  it("answers the SDK with exactly what a protobuf Struct round trip of the mock's state gives", async () => {
    const viaStruct = (v: Record<string, unknown>) => Struct.fromJavaScript(v as never).toJavaScript();
    const same = (v: Record<string, unknown>) => {
      const ours = structValue(v);
      // Equal values, and keys in the same order (the Struct's map iterates its keys sorted).
      assert.ok(isDeepStrictEqual(ours, viaStruct(v)), JSON.stringify(v).slice(0, 200));
      assert.equal(JSON.stringify(ours), JSON.stringify(viaStruct(v)));
    };
    same(structSample());
    for (const stack of ["dev", "prod"] as const) {
      for (const r of (await previewOf(stack)).run.resources) {
        same(r.inputs);
        same(r.outputs);
      }
    }
    for (const bad of [{ a: undefined }, { a: [1, undefined] }, { f: () => 1 }]) {
      assert.throws(() => viaStruct(bad));
      assert.throws(() => structValue(bad), /Unexpected struct type/);
    }
  });

  it("checks the policy config before the program runs: a typo answers at once, before any resource registers", async () => {
    // A program that never finishes: only a check made before it starts can answer.
    const started = Date.now();
    await assert.rejects(
      previewStack({
        stack: "dev",
        program: path.join(__dirname, "fixtures/programs/neverSettles.ts"),
        policyConfig: { "azure-native-storage-storageaccount-disalow-public-network-access": "mandatory" },
        skipSchema: true,
        deployedView: false,
      }),
      (e: unknown) =>
        e instanceof PolicyConfigError &&
        /unknown policy 'azure-native-storage-storageaccount-disalow-public-network-access'/.test(e.message),
    );
    assert.ok(Date.now() - started < 5_000, "answered without running the program");
  });

  it("warns of a setting stored as a secret that the program reads as plain text (it reaches tags in the clear)", async () => {
    const dir = tempDir("plain-secret-");
    const file = path.join(dir, "Pulumi.dev.yaml");
    const text = fs.readFileSync(path.join(ROOT, "tests/fixtures/Pulumi.dev-secret.yaml"), "utf8");
    fs.writeFileSync(
      file,
      text.replace(
        /^ {2}payments-data-platform:costCenter: CC-DATA-DEV$/m,
        "  payments-data-platform:costCenter: CC-DATA-DEV\n  payments-data-platform:owner:\n    secure: v1:bm90LWEtcmVhbC1jaXBoZXJ0ZXh0:b3duZXI=",
      ),
    );
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warned.push(String(a[0]));
    try {
      await previewStack({ stack: "dev", stackFile: file, deployedView: false, skipSchema: true });
    } finally {
      console.warn = warn;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const about = (key: string) =>
      warned.filter((w) => w.includes(`payments-data-platform:${key}: is stored as a secret`));
    assert.equal(about("owner").length, 1, warned.join("\n"));
    assert.match(about("owner")[0], /reads it as plain text: its value reaches resource inputs and tags/);
    // The webhook, a secret read as one, is not named.
    assert.equal(about("alertWebhookUrl").length, 0);
  });

  it("never prints or exports a secret: secure values become marked placeholders", async () => {
    const { run, verdict } = await previewStack({
      stack: "dev",
      stackFile: path.join(ROOT, "tests/fixtures/Pulumi.dev-secret.yaml"),
    });
    const placeholder = secretPlaceholder("payments-data-platform:alertWebhookUrl");
    const ag = run.resources.find((r) => r.name === "platform-ag-p1");
    assert.ok(
      ag?.secretKeys?.some((k) => k.startsWith("webhookReceivers")),
      "the webhook is recorded as a secret input",
    );
    const exported = JSON.stringify(toStackExport(run));
    assert.ok(!exported.includes(placeholder), "no plaintext secret in the export");
    assert.ok(exported.includes(SECRET_SIG), "secret envelope in the export");
    assert.ok(!JSON.stringify(verdictJson(verdict)).includes(placeholder));
  });

  it("exports the outputs a resource lists in additionalSecretOutputs as secrets, as the engine makes them, never its inputs", async () => {
    const { run } = await previewOf("prod");
    const doc = toStackExport(run);
    const byName = (name: string) => doc.deployment.resources.find((r) => r.urn.endsWith(`::${name}`));
    const isEnvelope = (v: unknown) => typeof v === "object" && v !== null && SECRET_SIG in v;
    // A refresh reads every app setting, a hand-made one too: encrypted in the state, [secret] in a refreshed diff.
    for (const name of [
      "ingestion-payapi-app-settings",
      "ingestion-fraud-app-settings",
      "streaming-relay-app-settings",
    ]) {
      const settings = byName(name);
      assert.ok(settings, name);
      assert.ok(isEnvelope(settings.outputs?.properties), `${name}: its refreshed settings are secret`);
      assert.ok(
        !isEnvelope(settings.inputs?.properties),
        `${name}: the program's own settings stay readable in a diff`,
      );
    }
    // The action groups' credential receivers (routing.ts): those the provider returns.
    assert.ok(isEnvelope(byName("platform-ag-p1")?.outputs?.webhookReceivers));
    // Nothing else is made secret by it: a vault's outputs are plain.
    const kv = doc.deployment.resources.find((r) => r.type === "azure-native:keyvault:Vault");
    assert.ok(!JSON.stringify(kv?.outputs).includes(SECRET_SIG));
  });

  it("exits 0 on advisories alone and 1 on a mandatory violation, an ARM schema error or a first-deploy hazard", async () => {
    // dev's real verdict: advisories only (the first preview's unknowns), which must never fail the PR gate.
    const { verdict } = await previewOf("dev");
    assert.ok(verdict.violations.length > 0 && mandatoryViolations(verdict).length === 0, "advisories only");
    assert.equal(previewExitCode(verdict, { errors: [] }, []), 0);
    assert.equal(previewExitCode(verdict, undefined, undefined), 0, "--skip-schema: nothing checked, nothing failed");
    const mandatory = {
      ...verdict,
      violations: [{ ...verdict.violations[0], enforcementLevel: "mandatory" as const }],
    };
    assert.equal(previewExitCode(mandatory, { errors: [] }, []), 1);
    assert.equal(previewExitCode(verdict, { errors: [{} as never] }, []), 1, "a schema error");
    assert.equal(previewExitCode(verdict, { errors: [] }, [{ id: "nsg-rule-priority" }]), 1, "a first-deploy hazard");
    assert.equal(previewExitCode(verdict, { errors: [] }, [], []), 0, "nothing more once deployed");
    const onceDeployed = [{ ...verdict.violations[0], enforcementLevel: "mandatory" as const }];
    assert.equal(previewExitCode(verdict, { errors: [] }, [], onceDeployed), 1, "a mandatory violation once deployed");
    // The run's last line says which, with the exit code.
    assert.equal(
      previewResultLine(verdict, { errors: [] }, []),
      "Result: exit 0 (no mandatory violation, schema error, first-deploy hazard or passed retirement)",
    );
    assert.equal(
      previewResultLine(mandatory, { errors: [{} as never, {} as never] }, [{}], onceDeployed, [
        { retirement: { id: "keyvault-control-plane-api" } },
      ]),
      "Result: exit 1 (1 mandatory violation, 1 mandatory violation once deployed, 2 ARM schema errors, 1 first-deploy hazard, 1 passed retirement (keyvault-control-plane-api))",
    );
  });

  describe("command line", () => {
    const tmp = tempDir("preview-");
    let insecure: CliResult;
    let usage: CliResult;
    let badConfig: CliResult;
    let analyzed: CliResult;
    let analyzedTypo: CliResult;
    let duplicate: CliResult;
    let undecided: CliResult;
    // Only the rule on infrastructure encryption, mandatory: the fixture's one finding is that rule's.
    const onlyInfraEncryption = path.join(tmp, "only-infra-encryption.json");
    const infraRule = "azure-native-storage-storageaccount-require-infrastructure-encryption";
    before(async () => {
      fs.writeFileSync(
        onlyInfraEncryption,
        JSON.stringify(
          Object.fromEntries(policies.map((p) => [p.name, p.name === infraRule ? "mandatory" : "disabled"])),
        ),
      );
      // Fresh processes, in parallel: the exit-code contract is part of the product.
      [insecure, usage, badConfig, analyzed, analyzedTypo, duplicate, undecided] = await Promise.all([
        cli("preview", [
          "--stack",
          "insecure",
          "--stack-file",
          "tests/fixtures/insecure/Pulumi.insecure.yaml",
          "--program",
          "tests/fixtures/insecure/index.ts",
          "--json",
          path.join(tmp, "insecure.json"),
          "--export",
          path.join(tmp, "insecure-export.json"),
          "--markdown",
          path.join(tmp, "insecure.md"),
          "--cost",
          path.join(tmp, "insecure-cost.json"),
        ]),
        cli("preview", ["--stak", "dev"]),
        cli("preview", ["--stack", "dev", "--stack-file", "tests/fixtures/Pulumi.dev-bad-region.yaml"]),
        cli("analyze", ["--file", "tests/fixtures/export-small.json", "--json", path.join(tmp, "small.json")]),
        cli("analyze", ["--file", "tests/fixtures/export-small.json", "--stack", "staging"]),
        cli("preview", ["--stack", "dev", "--program", "tests/fixtures/programs/nestedComponents.ts", "--quiet"], {
          NESTED_DUPLICATE: "1",
        }),
        cli("preview", [
          "--stack",
          "dev",
          "--program",
          "tests/fixtures/programs/undecidedInPreview.ts",
          "--policy-config",
          onlyInfraEncryption,
          "--quiet",
          "--json",
          path.join(tmp, "undecided.json"),
          "--markdown",
          path.join(tmp, "undecided.md"),
        ]),
      ]);
    });

    it("exits 1 on the insecure fixture, with the expected violations in the verdict", () => {
      assert.equal(insecure.code, 1, insecure.stderr);
      const verdict = JSON.parse(fs.readFileSync(path.join(tmp, "insecure.json"), "utf8")) as ReturnType<
        typeof verdictJson
      >;
      const found = new Set(
        verdict.violations
          .filter((v) => v.enforcementLevel === "mandatory")
          .map((v) => `${v.policy} ${v.urn?.split("::").pop()}`),
      );
      // Every insecure setting of the fixture is caught, by the rule that owns it, and nothing else fires.
      assert.deepEqual([...found].sort(), [
        "azure-native-general-resource-enforce-eu-location insecure-kv",
        "azure-native-general-resource-enforce-eu-location insecure-rg",
        "azure-native-general-resource-missing-required-tags insecure-kv",
        "azure-native-general-resource-missing-required-tags insecure-nsg",
        "azure-native-general-resource-missing-required-tags insecure-rg",
        "azure-native-general-resource-missing-required-tags insecure-sql",
        "azure-native-general-resource-missing-required-tags insecure-st",
        "azure-native-keyvault-vault-disallow-public-network-access insecure-kv",
        "azure-native-keyvault-vault-enable-purge-protection insecure-kv",
        "azure-native-keyvault-vault-enable-rbac-authorization insecure-kv",
        "azure-native-keyvault-vault-require-key-expiry-alerts insecure-kv",
        "azure-native-monitor-diagnosticsetting-missing-for-data-resource insecure-kv",
        "azure-native-monitor-diagnosticsetting-missing-for-data-resource insecure-nsg",
        "azure-native-monitor-diagnosticsetting-missing-for-data-resource insecure-sql",
        "azure-native-monitor-diagnosticsetting-missing-for-data-resource insecure-st",
        "azure-native-network-networksecuritygroup-disallow-internet-to-management-ports insecure-nsg",
        "azure-native-network-networksecuritygroup-disallow-public-inbound insecure-nsg",
        "azure-native-network-privateendpoint-missing-for-data-service insecure-kv",
        "azure-native-network-privateendpoint-missing-for-data-service insecure-sql",
        "azure-native-network-privateendpoint-missing-for-data-service insecure-st",
        "azure-native-sql-firewallrule-disallow-public-access insecure-sql-open",
        "azure-native-sql-server-disallow-public-network-access insecure-sql",
        "azure-native-sql-server-disallow-sql-admin-credentials insecure-sql",
        "azure-native-sql-server-enforce-minimal-tls-version insecure-sql",
        "azure-native-sql-server-require-auditing-policy insecure-sql",
        "azure-native-sql-server-require-customer-managed-key insecure-sql",
        "azure-native-sql-server-require-entra-only-authentication insecure-sql",
        "azure-native-sql-server-require-security-alert-policy insecure-sql",
        "azure-native-storage-storageaccount-disable-shared-key-access insecure-st",
        "azure-native-storage-storageaccount-disallow-blob-public-access insecure-st",
        "azure-native-storage-storageaccount-disallow-public-network-access insecure-st",
        "azure-native-storage-storageaccount-enforce-allowed-sku insecure-st",
        "azure-native-storage-storageaccount-enforce-minimum-tls-version insecure-st",
        "azure-native-storage-storageaccount-missing-blob-service-properties insecure-st",
        "azure-native-storage-storageaccount-require-customer-managed-key insecure-st",
        "azure-native-storage-storageaccount-require-https-traffic-only insecure-st",
        "azure-native-storage-storageaccount-require-infrastructure-encryption insecure-st",
      ]);
      assert.match(
        insecure.stdout,
        /Summary: stack insecure: 6 resources \(the components and the stack left out\), \d+ policies: \d+ evaluated, \d+ not applicable; \d+ mandatory/,
      );
      assert.ok(
        !fs.readFileSync(path.join(tmp, "insecure-export.json"), "utf8").includes("P@ssw0rd-in-code!"),
        "no plaintext password in the export",
      );
      assert.match(
        fs.readFileSync(path.join(tmp, "insecure.md"), "utf8"),
        /\| PCI DSS requirement \| Rules \| Passed \| Failed \(mandatory\) \| Advisory \| Not applicable \| Exempted \|/,
      );
      // The run's last line, and the job summary's first: what decided the exit code.
      assert.match(insecure.stdout, /\n\nResult: exit 1 \(\d+ mandatory violations[^)]*\)\n$/);
      assert.match(
        fs.readFileSync(path.join(tmp, "insecure.md"), "utf8"),
        /^\*\*Result: exit 1 \(\d+ mandatory violations/,
      );
    });

    it("prints the cost estimate under the verdict, writes it with --cost and adds it to the Markdown report", () => {
      assert.match(insecure.stdout, /Summary: stack insecure[\s\S]*\n\nCost estimate \(USD\/month/);
      const cost = JSON.parse(fs.readFileSync(path.join(tmp, "insecure-cost.json"), "utf8")) as {
        stack: string;
        lines: { list: number }[];
        total: { list: number };
        capacity: unknown[];
      };
      assert.equal(cost.stack, "insecure");
      assert.ok(cost.lines.length > 0 && Array.isArray(cost.capacity));
      assert.equal(cost.total.list, Math.round(cost.lines.reduce((t, l) => t + l.list, 0) * 100) / 100);
      assert.match(fs.readFileSync(path.join(tmp, "insecure.md"), "utf8"), /## Cost estimate: insecure\n/);
    });

    it("exits 2 with one clear line and the usage on bad arguments", () => {
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /^error \(usage\): unknown argument '--stak' \(did you mean --stack\?\)\n/);
      assert.doesNotMatch(usage.stderr, /\n\s+at /, "no stack trace without --verbose");
    });

    it("exits 2 naming the config key on bad stack config", () => {
      assert.equal(badConfig.code, 2);
      assert.match(
        badConfig.stderr,
        /^error \(config\): config payments-data-platform:platformAdminGroupId: is not a setting of this project \(did you mean platformAdminsGroupId\?\)/,
      );
      // Misspelt settings are named with their likely intended key, in the same error as every other problem (the
      // CLI passes unknown keys through, and a misspelt one would leave its default in force without a word).
      assert.match(badConfig.stderr, /\n\s+config payments-data-platform:location: got "eastus"; must be an EU region/);
      assert.match(
        badConfig.stderr,
        /\n\s+config payments-data-platform:sql: "autoPauseDelayMinute" is not a setting \(did you mean autoPauseDelayMinutes\?\); the settings here are sku, minCapacity, autoPauseDelayMinutes,/,
      );
      assert.doesNotMatch(badConfig.stderr, /\n\s+at /);
    });

    it("exits 1 on a mandatory violation found once deployed that the first preview could not decide", () => {
      // The reviewer's probe: requireInfrastructureEncryption false in an `encryption` that also names a vault URI.
      // A first `pulumi preview` leaves the rule undecided (an advisory); `pulumi up` analyses the created account,
      // and any later preview the deployed one, and fail. The first preview's verdict stays as it is.
      assert.equal(undecided.code, 1, undecided.stderr + undecided.stdout);
      assert.match(undecided.stdout, /0 mandatory and 1 advisory violations/);
      assert.match(
        undecided.stdout,
        /\nOnce deployed \(the pack over the deployed view[^\n]*\): 1 mandatory violation the first preview could not decide\n {8}- \[mandatory, once deployed\] azure-native-storage-storageaccount-require-infrastructure-encryption \(1\)\n {12}stundecided: stundecided \(azure-native:storage:StorageAccount\) has no infrastructure encryption/,
      );
      const json = JSON.parse(fs.readFileSync(path.join(tmp, "undecided.json"), "utf8")) as ReturnType<
        typeof verdictJson
      >;
      assert.equal(json.summary.mandatory, 0);
      assert.equal(json.summary.mandatoryOnceDeployed, 1);
      assert.equal(json.onceDeployed?.view, "deployed");
      assert.deepEqual(
        json.onceDeployed?.violations.map((v) => [v.policy, v.enforcementLevel, v.urn?.split("::").pop()]),
        [[infraRule, "mandatory", "stundecided"]],
      );
      assert.match(String(json.onceDeployed?.violations[0].message), /has no infrastructure encryption/);
      const md = fs.readFileSync(path.join(tmp, "undecided.md"), "utf8");
      assert.match(md, /^## Policy verdict: dev ❌$/m);
      assert.match(
        md,
        /### Mandatory once deployed \(deployed view\)\n[\s\S]*\n\| mandatory \| `azure-native-storage-storageaccount-require-infrastructure-encryption` \| `stundecided` \| stundecided \(azure-native:storage:StorageAccount\) has no infrastructure encryption/,
      );
    });

    it("exits 2 on a duplicate URN with the engine's message, a program error (the CLI's preview fails there)", () => {
      assert.equal(duplicate.code, 2, duplicate.stderr);
      assert.match(
        duplicate.stderr,
        /^error \(program\): Duplicate resource URN 'urn:pulumi:dev::payments-data-platform::test:nested:OuterA\$test:nested:Inner::shared'; try giving it a unique name\n/,
      );
      assert.doesNotMatch(duplicate.stdout, /Summary:/, "no verdict over a run the engine refused");
    });

    it("policy:analyze checks a hand-written `pulumi stack export` and exits 1 on mandatory violations", () => {
      assert.equal(analyzed.code, 1, analyzed.stderr);
      const verdict = JSON.parse(fs.readFileSync(path.join(tmp, "small.json"), "utf8")) as ReturnType<
        typeof verdictJson
      >;
      assert.equal(verdict.stack, "prod");
      assert.equal(verdict.resourceCount, 3);
      const byRule = verdict.violations.map((v) => `${v.policy} ${v.urn?.split("::").pop()}`).sort();
      // A prod export without the subscription's governance pieces (this one holds three resources) fails the three
      // stack rules that require them in prod, with no resource to name.
      assert.deepEqual(byRule, [
        "azure-native-authorization-policyassignment-missing-for-pci-dss-initiative undefined",
        "azure-native-general-resource-enforce-eu-location rg-dr-us",
        "azure-native-general-resource-missing-required-tags rg-dr-us",
        "azure-native-monitor-subscriptiondiagnosticsetting-missing-in-governance-stack undefined",
        "azure-native-resources-deploymentatsubscriptionscope-missing-for-defender-plans undefined",
      ]);
      assert.ok(!analyzed.stdout.includes("v1:AAAA"), "ciphertext is not printed");
      assert.match(analyzed.stdout, /\n\nResult: exit 1 \(5 mandatory violations\)\n$/);
    });

    it("policy:analyze refuses a --stack with no policy config (a typo would drop the stack's waivers silently)", () => {
      assert.equal(analyzedTypo.code, 2, analyzedTypo.stderr);
      assert.match(
        analyzedTypo.stderr,
        /^error \(usage\): --stack staging: no policies\/config\/staging\.json \(stacks with a policy config: dev, prod\); or pass --policy-config FILE$/m,
      );
    });
  });
});
