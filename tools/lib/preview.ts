/**
 * The offline preview and analysis pipeline shared by the CLIs, the benchmarks and the tests:
 * stack config → program under mocks → recorded resources → policy pack in-process → verdict.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, policies } from "../../policies/policies";
import { deployedView, programOf, type DeployedView } from "./deployedView";
import { runProgram, scrub, type ProgramRun } from "./engine";
import {
  mandatoryViolations,
  parsePolicyPackConfig,
  PolicyConfigError,
  resolvePolicies,
  runPolicies,
  type PackConfig,
  type ResourceRecord,
  type RunOptions,
  type Verdict,
  type Violation,
} from "./policyRunner";
import type { StackCost } from "./cost/stack";
import type { SchemaCheck } from "./armSchema/check";
import { fromStackExport, withoutPendingDeletes, type ExportReading } from "./stackExport";

/** The ARM schema check, loaded on first use (it is skipped with --skip-schema). */
const armSchemaCheck = (resources: ProgramRun["resources"]): SchemaCheck =>
  (require("./armSchema/check") as typeof import("./armSchema/check")).checkSchemas(resources);

export { PACK_NAME };
export { secondCoreFree } from "./deployedView";
// The export format's API, for the tools and tests that read and write exports alongside previews.
export {
  EXPORT_FEATURES,
  ExportFormatError,
  fromStackExport,
  readExportFile,
  toStackExport,
  withoutPendingDeletes,
  type ExportedResource,
  type ExportReading,
  type StackExport,
} from "./stackExport";

/** The project root (where Pulumi.yaml is). */
export const ROOT = path.resolve(__dirname, "..", "..");

/** The pack version (policies/package.json, which is what the pack reports to the CLI), shown in verdicts. */
export function packVersion(root: string = ROOT): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "policies", "package.json"), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

/** Reads a policy pack config file (the `--policy-pack-config` shape). */
export function readPolicyConfig(file: string): PackConfig {
  if (!fs.existsSync(file)) throw new PolicyConfigError(`policy config file not found: ${file}`);
  const text = fs.readFileSync(file, "utf8");
  // Empty content is no config, as the CLI allows (config.go `parsePolicyPackConfig`).
  if (text.trim() === "") return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PolicyConfigError(`policy config ${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parsePolicyPackConfig(doc);
}

/** The stack's policy config: policies/config/<stack>.json when present, else the pack defaults. */
export function stackPolicyConfig(stack: string, root: string = ROOT): PackConfig {
  const file = path.join(root, "policies", "config", `${stack}.json`);
  return fs.existsSync(file) ? readPolicyConfig(file) : {};
}

export interface PreviewOptions {
  readonly stack: string;
  readonly root?: string;
  /** Stack file to use instead of Pulumi.<stack>.yaml (e.g. a test fixture). */
  readonly stackFile?: string;
  /** Program entry (default: <root>/index.ts). */
  readonly program?: string;
  /** Policy config (default: policies/config/<stack>.json). */
  readonly policyConfig?: PackConfig;
  /** Full, source-mapped stack traces from the program (slower; --verbose). */
  readonly debug?: boolean;
  /**
   * Also run the program as deployed (ids and outputs known, as after `pulumi up`) for `run`: needed for
   * `--export` and the tests that read wired values. Default true; without it `run` is the preview view.
   */
  readonly deployedView?: boolean;
  /** Skip the ARM schema check of the request bodies (--skip-schema). */
  readonly skipSchema?: boolean;
  /** Run the deployed view and the schema check in a worker thread, beside the first preview (see secondCoreFree). */
  readonly parallel?: boolean;
  /** With `parallel`: the worker also computes the cost estimate over the deployed view (`cost` in the result). */
  readonly cost?: boolean;
  /** Leave out the program's warnings (a tool's second preview of a stack whose warnings it printed already). */
  readonly quietWarnings?: boolean;
}

export interface PreviewResult {
  /** The stack as deployed: realistic ids and outputs (the view `--export` writes). */
  readonly run: ProgramRun;
  /** The stack as the first `pulumi preview` sends it to the pack: ids and computed outputs unknown. */
  readonly previewRun: ProgramRun;
  /**
   * The pack's verdict over `previewRun`: what a new stack's first `pulumi preview --policy-pack` reports (a preview
   * of a deployed stack, and `pulumi up`'s analysis of what it creates, see known ids and outputs: `onceDeployed`).
   */
  readonly verdict: Verdict;
  /**
   * The mandatory violations the pack finds over `run` (the deployed view) that `verdict` does not report: rules the
   * first preview could not decide (its "can't run during preview" advisories), decided once ids and outputs are
   * known. Undefined when the deployed view was not built (`run` is the preview view).
   */
  readonly onceDeployed?: readonly Violation[];
  /** The ARM schema check (tools/lib/armSchema), unless skipped. */
  readonly schema?: SchemaCheck;
  /** `costOfStack(run.resources)`, when the worker computed it (`cost` with `parallel`); else the caller does. */
  readonly cost?: StackCost;
}

/**
 * The stack tags a policy pack receives: the stack config's (`tags` of loadStackConfig: project, runtime,
 * description, `pulumi:tags`) when known, else the project and runtime (an exported stack without its project).
 */
export function stackTagsFor(project: string, tags?: Readonly<Record<string, string>>): ReadonlyMap<string, string> {
  return new Map(Object.entries(tags ?? { "pulumi:project": project, "pulumi:runtime": "nodejs" }));
}

/**
 * The mandatory violations of the deployed view that the preview view's verdict does not report (by rule and
 * resource): what `pulumi up`'s analysis, and any later `pulumi preview` of the deployed stack, fail on, where the
 * first preview only said "can't run during preview" or decided on a value it could not know. The whole pack runs
 * again (about 80 ms on prod with the runner's type fast path): a narrower scope missed violations, because the pack's
 * helpers read an unknown input as absent and decide (policies/lib/values.ts safeGet), so no input unknown in the
 * preview can be assumed unread.
 */
export async function onceDeployedViolations(
  verdict: Verdict,
  deployedResources: readonly ResourceRecord[],
  opts: RunOptions,
  evaluate: (opts: RunOptions) => Promise<Verdict> = (o) => runPolicies(policies, deployedResources, o),
): Promise<Violation[]> {
  const deployed = await evaluate(opts);
  const known = new Set(mandatoryViolations(verdict).map((v) => `${v.policy}\u0000${v.urn ?? ""}`));
  return mandatoryViolations(deployed).filter((v) => !known.has(`${v.policy}\u0000${v.urn ?? ""}`));
}

/** Runs the program offline for a stack and evaluates the pack over what it registered. */
export async function previewStack(opts: PreviewOptions): Promise<PreviewResult> {
  const root = opts.root ?? ROOT;
  const program = programOf({ ...opts, root });
  // The verdict is computed on the offline engine's model of a first preview (unknown ids and computed outputs);
  // tests/policies/conformance.spec.ts proves the pack started by the CLI's own launcher gives the same verdict on
  // that view (not that a real `pulumi preview` sends exactly this view: no recorded CLI run here).
  // The rules that view leaves undecided are decided over the deployed view (onceDeployed), as `pulumi up` and a later
  // `pulumi preview` decide them; the first view's verdict stays what a new stack's first preview reports.
  // The ARM schema check reads the deployed view: the ids name each resource's ARM type, and every input is known.
  // The cost estimate reads it too (an SKU or a schedule the preview view leaves unknown is priced wrong).
  const needDeployed = !(opts.deployedView === false && opts.skipSchema && opts.cost !== true);
  // In parallel (the CLI, when a core is free): the deployed view and the schema check run in a worker thread while this one runs the
  // first preview. Its failures are reported after this thread's, which name the same config or program errors.
  // The worker evaluates the pack over its view with this thread too (the "once deployed" violations).
  const inWorker =
    needDeployed && opts.parallel
      ? deployedView(program, { schema: !opts.skipSchema, cost: opts.cost === true, verdict: true })
      : undefined;
  inWorker?.catch(() => undefined);
  try {
    // The policy config is checked before the program runs, as the stack config is before any resource registers: a
    // typo in it (an unknown policy or setting, a bad level or value) answers at once, not after a whole preview.
    // After the worker's job is taken over, so that the job is released when this fails.
    const policyConfig = opts.policyConfig ?? stackPolicyConfig(opts.stack, root);
    resolvePolicies(policies, policyConfig, PACK_ENFORCEMENT_LEVEL);
    return await previewWith(opts, program, policyConfig, needDeployed, inWorker);
  } finally {
    // The worker waits for this thread's share of the verdict: on a path that never asked for it (an error), it ends.
    inWorker?.then(
      (view) => view.release(),
      () => undefined,
    );
  }
}

async function previewWith(
  opts: PreviewOptions,
  program: ReturnType<typeof programOf>,
  policyConfig: PackConfig,
  needDeployed: boolean,
  inWorker: Promise<DeployedView> | undefined,
): Promise<PreviewResult> {
  const root = opts.root ?? ROOT;
  const runOptions: RunOptions = {
    config: policyConfig,
    packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
    stackTags: stackTagsFor(program.project, program.tags),
    stack: opts.stack,
    pack: { name: PACK_NAME, version: packVersion(root) },
  };
  // The worker begins its share of the deployed view's verdict as soon as its run, schema share and cost are done,
  // while this thread still evaluates the preview view (it joins when free; the options are the same either way).
  // (`begin` keeps what could stop it for `verdict` to report, so nothing is lost here.)
  inWorker?.then((view) => view.begin?.(runOptions)).catch(() => undefined);
  const previewRun = await runProgram({ ...program, firstPreview: true, quietWarnings: opts.quietWarnings });
  // The pack evaluates the preview view, so with a worker it runs while the worker finishes (the worker, which
  // loads the SDK a second time and runs the schema check too, is the longer thread); its failure is reported after
  // the worker's, as when it ran after it.
  const evaluate = async () => runPolicies(policies, previewRun.resources, runOptions);
  const early = inWorker
    ? evaluate().then(
        (v) => ({ v }),
        (e: unknown) => ({ e }),
      )
    : undefined;
  const deployed = inWorker ? await inWorker : undefined;
  const run = deployed?.run ?? (needDeployed ? await runProgram({ ...program, quietWarnings: true }) : previewRun);
  const outcome = early ? await early : undefined;
  if (outcome && "e" in outcome) throw outcome.e;
  const verdict = outcome ? outcome.v : await evaluate();
  // With a worker, this thread takes its share of the pack's evaluation of the deployed view and then joins the
  // schema check the worker began, before it waits for the worker's share of either (which the worker sends once its
  // schema groups and the cost are done).
  const deployedVerdict =
    run === previewRun ? undefined : onceDeployedViolations(verdict, run.resources, runOptions, deployed?.verdict);
  deployedVerdict?.catch(() => undefined);
  const check = opts.skipSchema ? undefined : deployed?.check ? await deployed.check() : armSchemaCheck(run.resources);
  const onceDeployed = deployedVerdict ? await deployedVerdict : undefined;
  const secrets = new Set([...run.secrets, ...previewRun.secrets]);
  // Bodies hold plaintext like the inputs; what gets printed (the errors) is scrubbed.
  const schema = check && { ...check, errors: scrub(check.errors, secrets) };
  const cost = deployed?.cost ? await deployed.cost() : undefined;
  return {
    run,
    previewRun,
    verdict: scrub(verdict, secrets),
    ...(onceDeployed ? { onceDeployed: scrub(onceDeployed, secrets) } : {}),
    ...(schema ? { schema } : {}),
    ...(cost ? { cost } : {}),
  };
}

/** Runs the pack over an export file. The stack comes from `stack` or the first URN. */
export async function analyzeExport(
  doc: unknown,
  opts: { stack?: string; policyConfig?: PackConfig; root?: string } = {},
): Promise<{ resources: ResourceRecord[]; verdict: Verdict; reading: ExportReading }> {
  const reading: ExportReading = { encryptedSecrets: 0, plaintexts: new Set() };
  const resources = fromStackExport(withoutPendingDeletes(doc), reading);
  const stack = opts.stack ?? resources[0]?.urn.split("::")[0].split(":")[2] ?? "unknown";
  const project = resources[0]?.urn.split("::")[1] ?? "unknown";
  const verdict = await runPolicies(policies, resources, {
    config: opts.policyConfig ?? stackPolicyConfig(stack, opts.root ?? ROOT),
    packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
    stackTags: stackTagsFor(project),
    stack,
    pack: { name: PACK_NAME, version: packVersion(opts.root ?? ROOT) },
  });
  return { resources, verdict: scrub(verdict, reading.plaintexts), reading };
}

/**
 * The offline preview's last line: its exit code and what decided it, so that a failing run says why at its end (the
 * findings themselves are above, in their sections).
 */
export function previewResultLine(
  verdict: Verdict,
  schema: Pick<SchemaCheck, "errors"> | undefined,
  hazards: readonly unknown[] | undefined,
  onceDeployed?: readonly Violation[],
  passedRetirements?: readonly { readonly retirement: { readonly id: string } }[],
): string {
  const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
  const mandatory = mandatoryViolations(verdict).length;
  const reasons = [
    ...(mandatory > 0 ? [n(mandatory, "mandatory violation")] : []),
    ...((onceDeployed?.length ?? 0) > 0
      ? [n(onceDeployed?.length ?? 0, "mandatory violation") + " once deployed"]
      : []),
    ...((schema?.errors.length ?? 0) > 0 ? [n(schema?.errors.length ?? 0, "ARM schema error")] : []),
    ...((hazards?.length ?? 0) > 0 ? [n(hazards?.length ?? 0, "first-deploy hazard")] : []),
    ...((passedRetirements?.length ?? 0) > 0
      ? [
          `${n(passedRetirements?.length ?? 0, "passed retirement")} (${(passedRetirements ?? []).map((r) => r.retirement.id).join(", ")})`,
        ]
      : []),
  ];
  return reasons.length > 0
    ? `Result: exit 1 (${reasons.join(", ")})`
    : "Result: exit 0 (no mandatory violation, schema error, first-deploy hazard or passed retirement)";
}

/**
 * The offline preview's exit code: 1 when the pull request must not merge (a mandatory violation of the first
 * preview or once deployed, an ARM schema error or a first-deploy hazard), else 0. Advisory violations never fail it:
 * dev's first preview always carries some (the "can't run during preview" ones, which the deployed view decides), and
 * the PR gate would then never pass.
 */
export function previewExitCode(
  verdict: Verdict,
  schema: Pick<SchemaCheck, "errors"> | undefined,
  hazards: readonly unknown[] | undefined,
  /** The mandatory violations found once deployed (PreviewResult.onceDeployed). */
  onceDeployed?: readonly Violation[],
  /** Retirements whose date has passed and after which a deploy fails or the service stops (retirements.ts `blocking`). */
  passedRetirements?: readonly unknown[],
): 0 | 1 {
  return mandatoryViolations(verdict).length > 0 ||
    (onceDeployed?.length ?? 0) > 0 ||
    (schema?.errors.length ?? 0) > 0 ||
    (hazards?.length ?? 0) > 0 ||
    (passedRetirements?.length ?? 0) > 0
    ? 1
    : 0;
}
