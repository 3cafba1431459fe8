/**
 * The offline engine: runs the real program (index.ts) under Pulumi's mock monitor, with the stack's config,
 * and records every registration the way the real engine sees it (type, name, URN, parent, dependencies,
 * property dependencies, inputs, protect), plus the stack outputs. Secret values are tracked so no output of
 * the tools ever prints them.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { RegisterResourceResponse } from "@pulumi/pulumi/proto/resource_pb";
import { setArmReader } from "../../../components/shared/armRead";
import { ARM_READ, mockArmRead, mockCall, mockResource } from "../azureMocks";
import { deployedOutputs, previewOutputs } from "../outputShape";
import type { ResourceRecord } from "../policyRunner";
import { programFailure, quiet, stalledError, watchStall } from "./progress";
import { debuggable, lazyTransferProperties, leanDebuggablePromise, rpc, sdkState } from "./sdk";
import { customTimeoutsOf } from "./timeouts";
import {
  declaredAliases,
  DuplicateUrn,
  resourceUrn,
  urnOfResource,
  urnParts,
  withoutAliases,
  type DeclaredAlias,
} from "./urns";
import {
  isSecretValue,
  SECRET_SIG,
  SECRET_SIG_VALUE,
  structKeys,
  structPb,
  structStandIn,
  structValue,
  UNKNOWN,
  unwrap,
} from "./values";

export interface ProgramRun {
  readonly project: string;
  readonly stack: string;
  readonly resources: ResourceRecord[];
  readonly stackOutputs: Record<string, unknown>;
  /**
   * The invokes the program made (token and arguments), in order: what it asked Azure about; its own ARM reads
   * (components/shared/armRead.ts) among them, as token ARM_READ with `resourceId` and `apiVersion`.
   */
  readonly invokes: readonly { readonly token: string; readonly inputs: Record<string, unknown> }[];
  /** Plaintext values that must never be printed (config secrets and secret inputs). */
  readonly secrets: ReadonlySet<string>;
}

export interface RunProgramOptions {
  readonly project: string;
  readonly stack: string;
  /** Flat config map as the CLI gives it to the program (`<namespace>:<key>` → string). */
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
  /** Absolute path of the program's entry module. */
  readonly program: string;
  /** The root of the project; the program's modules under it are re-loaded on each run. */
  readonly root: string;
  /** Full stack traces, mapped through source maps, while the program runs (slow; for --verbose). */
  readonly debug?: boolean;
  /**
   * Answer as the engine does during the first `pulumi preview` of a new stack: every id and every computed output
   * is unknown; an azure-native resource's outputs are what its Create returns for a preview (PreviewOutputs: its
   * output properties, each the input of the same name or unknown, tools/lib/outputShape.ts), other providers echo
   * their inputs; so inputs derived from other resources' outputs reach the policy pack as unknowns.
   */
  readonly firstPreview?: boolean;
  /**
   * How long the program may wait with registrations outstanding and nothing happening (no registration, outputs or
   * invoke, counted in event-loop turns of this length, so a long synchronous stretch of the program is not idleness)
   * before the run is ended as stalled. Default: STALL_MS.
   */
  readonly stallMs?: number;
  /**
   * Leave out the program's warnings (`pulumi.log.warn`, which the SDK prints as `warning: [runtime] …` with no
   * engine attached): for a second run of the same program (the deployed view), whose first run printed them, so a
   * user reads each once, as the CLI prints them once.
   */
  readonly quietWarnings?: boolean;
  /**
   * false: the program runs as the update of `pulumi up` runs it (`pulumi.runtime.isDryRun()` false: the engine's
   * RunRequest `dryRun`), not as a preview. Default true; the tools preview only, tests use it for what a program
   * does differently when it changes Azure (lib/config/placeholders.ts).
   */
  readonly dryRun?: boolean;
}

/**
 * 10 s: the mocks answer at once, so a program that has done nothing for that long while resources still wait waits
 * on a promise that never settles (a read, an Output made by hand). The CLI's Node process ends there, its event loop
 * empty, and the SDK's exit check fails the run with its leaked-promises error; the offline engine would otherwise
 * wait for ever (a pull-request gate that never answers).
 */
export const STALL_MS = 10_000;

interface StructLike {
  toJavaScript(): Record<string, unknown>;
}
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): StructLike | undefined;
  getProtect(): boolean;
  getDependenciesList(): string[];
  getProvider(): string;
  getImportid(): string;
  getPropertydependenciesMap(): { entries(): Iterable<[string, { getUrnsList(): string[] }]> } | undefined;
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
  getAdditionalsecretoutputsList(): string[];
  getDeletedwith(): string;
  getReplaceWithList(): string[];
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string; getRead(): string } | undefined;
}
interface OutputsRequest {
  getUrn(): string;
  getOutputs(): StructLike | undefined;
}
type Callback<T> = (err: Error | null, res?: T) => void;
type Struct = NonNullable<ReturnType<RegisterResourceResponse["getObject"]>>;
/** A stand-in for a protobuf Struct, for readers that only call `toJavaScript()` on it (and never change the value). */
const asStruct = (js: Record<string, unknown>) => ({ toJavaScript: () => js }) as unknown as Struct;
/** The parts of @pulumi/pulumi's MockMonitor (runtime/mocks.js) the engine uses. */
interface MockMonitorLike {
  registerResource(req: RegisterRequest, cb: Callback<RegisterResourceResponse>): Promise<void> | void;
  registerResourceOutputs(req: OutputsRequest, cb: Callback<unknown>): void;
  readonly resources: Map<string, { urn: string; id: string | null; state: unknown }>;
  newUrn(parent: string, type: string, name: string): string;
}
/**
 * Forgets the program's own modules (the entry, index.ts, components/, lib/, pipelines/ and the test fixtures, which
 * wrap index.ts) so it runs again from scratch: a fixture that requires index.ts must not get the cached module of
 * an earlier run, which would register nothing. Forgotten modules are taken out of every cached module's `children`
 * and `parent` too: Node appends each new module to its requirer's list (this module's, for the entry) and records
 * the first requirer of a module as its parent, which would keep earlier runs' modules, and with their exports the
 * whole run, alive (about 25 MB a prod run under the tests' loader;
 * the heap, and the collector's time, grew with every run of a test worker).
 */
function forgetProjectModules(root: string, program: string): void {
  const entries = new Set([program, path.join(root, "index.ts")]);
  const dirs = ["components", "lib", "pipelines", path.join("tests", "fixtures")].map(
    (d) => path.join(root, d) + path.sep,
  );
  const forgotten = new Set<NodeModule>();
  for (const key of Object.keys(require.cache)) {
    if (entries.has(key) || dirs.some((d) => key.startsWith(d))) {
      const m = require.cache[key];
      if (m) forgotten.add(m);
      delete require.cache[key];
    }
  }
  for (const m of Object.values(require.cache)) {
    if (m?.children?.some((c) => forgotten.has(c))) m.children = m.children.filter((c) => !forgotten.has(c));
    // A module first required by one of them (an SDK module a component loaded first) names it as its parent.
    if (m?.parent && forgotten.has(m.parent)) m.parent = null;
  }
}
/** Runs the program once under mocks and returns what it registered. */
export async function runProgram(opts: RunProgramOptions): Promise<ProgramRun> {
  const secrets = new Set<string>();
  for (const key of opts.secretKeys) {
    const v = opts.config[key];
    if (v) secrets.add(v);
  }
  pulumi.runtime.setAllConfig({ ...opts.config }, [...opts.secretKeys]);
  // What the mock gave each resource, by ARM id: outputs Azure derives from another resource (a firewall's private IP
  // from its subnet's range) read it.
  const mocked = new Map<string, Record<string, unknown>>();
  const newResource = (args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } => {
    const urnGuess = `urn:pulumi:${opts.stack}::${opts.project}::${args.type}::${args.name}`;
    const { id, state } = mockResource(
      args.type,
      args.name,
      urnGuess,
      args.inputs as Record<string, unknown>,
      (other) => mocked.get(other.toLowerCase()),
    );
    mocked.set(id.toLowerCase(), state);
    return { id, state };
  };
  const invokes: { token: string; inputs: Record<string, unknown> }[] = [];
  // The program's own ARM reads (components/shared/armRead.ts), answered as the mocks answer the invokes and listed
  // with them under ARM_READ; installed for each run (a run abandoned by the tool keeps reading from the mocks).
  setArmReader((resourceId, apiVersion) => {
    invokes.push({ token: ARM_READ, inputs: { resourceId, apiVersion } });
    return Promise.resolve(mockArmRead(resourceId));
  });
  await pulumi.runtime.setMocks(
    {
      newResource,
      call: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        invokes.push({ token: args.token, inputs });
        return mockCall(args.token, inputs, { firstPreview: opts.firstPreview === true });
      },
    },
    opts.project,
    opts.stack,
    opts.dryRun ?? true,
  );

  const records = new Map<string, ResourceRecord>();
  /** The program's own aliases (declaredAliases), by `type::name`, until the resource registers. */
  const aliasesByName = new Map<string, DeclaredAlias[]>();
  /**
   * The URNs a resource's own aliases name, and those it inherits from its parent's (the same type and name under
   * each of the parent's old URNs: Pulumi's inherited child aliases, step_generator.go `generateAliases`), as the
   * engine matches them against the old state. Only `npm run changes` reads them (a real state drops aliases once the
   * URNs are normalised, apitype/core.go); the export writes them for it.
   */
  const aliasUrns = (urn: string, parent: string, type: string, name: string): { aliases?: string[] } => {
    const parentAliases = (p: string) => records.get(p)?.aliases ?? [];
    // step_generator.go `collapseAliasToUrn`: each unset part is the resource's own; an alias's parent that moved
    // itself is taken under its old URN (the engine knows which one matched; this lists each), the root stack as none.
    const collapse = (a: DeclaredAlias): string[] => {
      if (typeof a === "string") return [a];
      const parents = a.noParent ? [""] : a.parent ? [a.parent, ...parentAliases(a.parent)] : [parent];
      return parents.map((p) =>
        resourceUrn(a.stack ?? opts.stack, a.project ?? opts.project, p, a.type ?? type, a.name ?? name),
      );
    };
    const own = (aliasesByName.get(`${type}::${name}`) ?? []).flatMap(collapse);
    // step_generator.go `generateAliases` and `inheritedChildAlias`: under each old URN of the parent, the resource
    // and each of its own aliases, with the parent's old name in place of its current one where the name starts with
    // it (`${name}-rg` children).
    const parentName = records.get(parent)?.name;
    const inherited = parentAliases(parent).flatMap((p) =>
      [{ type, name }, ...own.map(urnParts)].map((child) => {
        const childName =
          parentName !== undefined && child.name.startsWith(parentName)
            ? urnParts(p).name + child.name.slice(parentName.length)
            : child.name;
        return resourceUrn(opts.stack, opts.project, p, child.type, childName);
      }),
    );
    const urns = [...own, ...inherited].filter((u) => u !== urn);
    return urns.length > 0 ? { aliases: [...new Set(urns)] } : {};
  };
  const order: string[] = [];
  let stackOutputs: Record<string, unknown> = {};
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
  const failures: unknown[] = [];
  let failed: () => void = () => undefined;
  const firstFailure = new Promise<void>((resolve) => (failed = resolve));
  // Every URN of the run, registrations and reads alike (MockMonitor.readResource calls `this.newUrn` too), formed as
  // the engine forms it; a second one fails the run with the engine's error, a program error like any other.
  const urns = new Set<string>();
  monitor.newUrn = (parent, type, name) => {
    const urn = resourceUrn(opts.stack, opts.project, parent, type, name);
    if (urns.has(urn)) {
      const err = new DuplicateUrn(urn);
      failures.push(err);
      failed();
      throw err;
    }
    urns.add(urn);
    return urn;
  };
  // MockMonitor.registerResource (@pulumi/pulumi runtime/mocks.js) step for step, with its awaits in the same places
  // (so registrations interleave exactly as they did through it), and the registration recorded before the SDK gets
  // the answer. Two things are cheaper: the request's Struct is converted once, for the mock's inputs and the record
  // alike, and the response's object is not built as a protobuf Struct only to be converted back: the SDK reads it
  // once, with `toJavaScript()` (resolveOutputs → deserializeProperties in runtime/resource.js), and gets the very
  // value `Struct.fromJavaScript(state).toJavaScript()` would give (structValue).
  monitor.registerResource = async (req, callback) => {
    try {
      const struct = req.getObject();
      const inputsJs = struct ? struct.toJavaScript() : {};
      const result = await newResource({
        type: req.getType(),
        name: req.getName(),
        // Without a Struct (the SDK always sets one) this throws as MockMonitor's call does.
        inputs: pulumi.runtime.deserializeProperties(struct ? asStruct(inputsJs) : (struct as unknown as Struct)),
        provider: req.getProvider(),
        custom: req.getCustom(),
        id: req.getImportid(),
      });
      const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
      const serializedState = await pulumi.runtime.serializeProperties("", result.state);
      monitor.resources.set(urn, { urn, id: result.id ?? null, state: serializedState });
      const response = new RegisterResourceResponse();
      response.setUrn(urn);
      response.setId(result.id || "");
      const secretPaths = new Set<string>();
      const inputs = unwrap(inputsJs, secrets, secretPaths) as Record<string, unknown>;
      let outputsJs: Record<string, unknown>;
      let outputs: Record<string, unknown>;
      let outputSecretPaths = new Set<string>();
      if (opts.firstPreview) {
        // A create during preview (Create with preview=true): no id yet. azure-native answers PreviewOutputs: its
        // output properties only, each the input of the same name in the response's shape or unknown; path and
        // write-only inputs are not outputs (tools/lib/outputShape.ts). Other providers (azuread, random) echo the
        // inputs (unknowns stay unknown) and every output they compute (the random suffix...) is unknown: only the
        // names of the mock's outputs matter, in the order the Struct would give them.
        const shapedJs = req.getCustom() ? previewOutputs(req.getType(), inputsJs, UNKNOWN as unknown) : undefined;
        if (shapedJs) {
          outputsJs = shapedJs;
          outputs = previewOutputs(req.getType(), inputs, UNKNOWN as unknown) ?? {};
        } else {
          const computed = req.getCustom()
            ? structKeys(serializedState).filter((k) => !(k in inputsJs) && k !== "id")
            : [];
          const unknowns = Object.fromEntries(computed.map((k) => [k, UNKNOWN]));
          outputsJs = { ...inputsJs, ...unknowns };
          outputs = { ...inputs, ...unknowns };
        }
        outputSecretPaths = new Set(secretPaths);
        response.setId("");
      } else {
        const state = structValue(serializedState) as Record<string, unknown>;
        // A deployed azure-native resource keeps its output properties only (and its id), as its state does.
        outputsJs = (req.getCustom() ? deployedOutputs(req.getType(), state) : undefined) ?? state;
        outputs = unwrap(outputsJs, secrets, outputSecretPaths) as Record<string, unknown>;
      }
      // The engine makes each listed top-level output secret once the step has run (step_executor.go: "Ensure that
      // any secrets properties in the output are marked as such"; `id` never), inputs untouched.
      // The program gets them back as secrets too (the response carries the step's new state), so what it builds from
      // one (an app setting from a connection string) is a secret input in turn.
      const madeSecret = req
        .getAdditionalsecretoutputsList()
        .filter((k) => k !== "id" && Object.prototype.hasOwnProperty.call(outputs, k));
      for (const k of madeSecret) outputSecretPaths.add(k);
      const answered = madeSecret.length
        ? {
            ...outputsJs,
            ...Object.fromEntries(
              madeSecret
                .filter((k) => !isSecretValue(outputsJs[k]))
                .map((k) => [k, { [SECRET_SIG]: SECRET_SIG_VALUE, value: outputsJs[k] }]),
            ),
          }
        : outputsJs;
      response.getObject = () => asStruct(answered);
      const propertyDependencies: Record<string, string[]> = {};
      for (const [k, v] of req.getPropertydependenciesMap()?.entries() ?? []) propertyDependencies[k] = v.getUrnsList();
      const provider = req.getProvider();
      const timeouts = customTimeoutsOf(req.getCustomtimeouts());
      const record: ResourceRecord = {
        urn,
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        ...(req.getCustom() ? { id: response.getId() } : {}),
        ...(req.getParent() ? { parent: req.getParent() } : {}),
        dependencies: req.getDependenciesList(),
        propertyDependencies,
        inputs,
        outputs: req.getCustom() ? outputs : {},
        protect: req.getProtect(),
        ...(provider ? { provider } : {}),
        secretKeys: [...secretPaths],
        secretOutputKeys: [...outputSecretPaths],
        ignoreChanges: req.getIgnorechangesList(),
        replaceOnChanges: req.getReplaceonchangesList(),
        ...(req.getRetainondelete() ? { retainOnDelete: true } : {}),
        ...(timeouts ? { customTimeouts: timeouts } : {}),
        // Set when the program set it, true or false (source_eval.go: `DeleteBeforeReplaceDefined ||
        // DeleteBeforeReplace`), as the goal the CLI hands the policy pack keeps it.
        ...(req.getDeletebeforereplacedefined() || req.getDeletebeforereplace()
          ? { deleteBeforeReplace: req.getDeletebeforereplace() }
          : {}),
        ...(req.getAdditionalsecretoutputsList().length > 0
          ? { additionalSecretOutputs: req.getAdditionalsecretoutputsList() }
          : {}),
        ...aliasUrns(urn, req.getParent(), req.getType(), req.getName()),
        ...(req.getDeletedwith() ? { deletedWith: req.getDeletedwith() } : {}),
        ...(req.getReplaceWithList().length > 0 ? { replaceWith: req.getReplaceWithList() } : {}),
      };
      order.push(urn);
      records.set(urn, record);
      callback(null, response);
    } catch (err) {
      // The engine answers a duplicate's registration with nothing: it has bailed out of the deployment, and the
      // SDK sees its resource monitor shut down (runtime/resource.js reports nothing more); the run fails with it.
      if (err instanceof DuplicateUrn) return;
      callback(err as Error, undefined);
    }
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  let outputsRegistered = 0;
  monitor.registerResourceOutputs = (req, cb) => {
    outputsRegistered++;
    const urn = req.getUrn();
    const outputs = unwrap(req.getOutputs()?.toJavaScript() ?? {}, secrets) as Record<string, unknown>;
    const rec = records.get(urn);
    if (rec) records.set(urn, { ...rec, outputs });
    if (rec?.type === "pulumi:pulumi:Stack") stackOutputs = outputs;
    registerOutputs(req, cb);
  };

  forgetProjectModules(opts.root, opts.program);
  const onRejection = (reason: unknown) => {
    failures.push(reason);
    failed();
  };
  process.on("unhandledRejection", onRejection);
  // The SDK captures stack traces eagerly (a source position per resource, a debug trace per promise); building
  // them, and mapping them through source maps, was most of the offline preview's time. Neither is needed offline,
  // so they are off unless `debug` (--verbose) asks for full, mapped traces. The source position is captured by
  // `Resource.callsites`, which lifts the stack trace limit for it: it answers "no position" instead (the engine
  // only shows it in diagnostics; nothing recorded here, nor anything the policy pack sees, carries it). The debug
  // trace goes with the rest of the SDK's per-promise debugging labels (leanDebuggablePromise).
  const sourceMaps = process.sourceMapsEnabled;
  const stackTraceLimit = Error.stackTraceLimit;
  const resourceClass = pulumi.Resource as unknown as { callsites: () => unknown[] };
  const callsites = resourceClass.callsites;
  const debuggablePromise = debuggable.debuggablePromise;
  const transferProperties = rpc.transferProperties;
  const fromJavaScript = structPb.Struct.fromJavaScript;
  structPb.Struct.fromJavaScript = structStandIn(fromJavaScript);
  if (!opts.debug) {
    process.setSourceMapsEnabled(false);
    Error.stackTraceLimit = 0;
    resourceClass.callsites = () => [];
    if (!debuggable.debugPromiseLeaks) {
      // Its first call schedules the SDK's leak check at exit, which must stay: let the original make it.
      void debuggablePromise(Promise.resolve(), "offline preview");
      debuggable.debuggablePromise = leanDebuggablePromise;
      // The same condition: with the debugging labels, every Output is there to be reported as a leak.
      rpc.transferProperties = lazyTransferProperties(transferProperties);
    }
  }
  // The program runs until its stack's outputs are known (runInPulumiStack) and every outstanding registration
  // (resources whose inputs waited on other resources' outputs) has drained. Two ways it never gets there, both of
  // which end the CLI's Node process because its event loop empties:
  // - after an error in the program (an unhandled rejection: an apply that threw), what waits on the failed
  //   resource's outputs never registers; cmd/run/run.js has logged the error in its unhandledRejection handler and
  //   lets the loop run out. Here the run ends once the program has gone quiet after its first error: no
  //   registration, outputs or invoke for five 20 ms timer turns (quiet);
  // - a program that never errs but waits on a promise that never settles; the SDK's check at exit fails the run
  //   with its leaked-promises error. Here the run ends once the program has done nothing for `stallMs` (STALL_MS).
  const activity = () => records.size + invokes.length + outputsRegistered;
  const stallMs = opts.stallMs ?? STALL_MS;
  const stall = watchStall(activity, stallMs);
  const warn = console.warn;
  if (opts.quietWarnings)
    console.warn = (...a: unknown[]) => {
      if (!(typeof a[0] === "string" && a[0].startsWith("warning: [runtime] "))) warn(...a);
    };
  try {
    const program = (async () => {
      await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
          const own = declaredAliases(args.opts.aliases, (r) => urnOfResource(r, opts.stack, opts.project));
          if (own.length > 0) aliasesByName.set(`${args.type}::${args.name}`, own);
          return withoutAliases(args);
        });
        return require(opts.program);
      });
      await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    })();
    // An abandoned run's program may still fail later, with nobody left to hear it.
    program.catch(() => undefined);
    try {
      await Promise.race([
        program,
        firstFailure.then(() => quiet(activity)),
        stall.idle.then(() => void failures.push(stalledError(stallMs))),
      ]);
    } finally {
      stall.stop();
    }
    // Node reports a rejection once the microtask queue has drained: the last registration's own failure (an apply
    // of a resource nothing waits on) is reported after waitForRPCs has resolved, so give it that turn.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    console.warn = warn;
    process.off("unhandledRejection", onRejection);
    process.setSourceMapsEnabled(sourceMaps);
    Error.stackTraceLimit = stackTraceLimit;
    resourceClass.callsites = callsites;
    debuggable.debuggablePromise = debuggablePromise;
    rpc.transferProperties = transferProperties;
    structPb.Struct.fromJavaScript = fromJavaScript;
  }
  if (failures.length > 0) {
    // The run is abandoned, as the CLI's process ends: what waited on the failed resource never settles, and the
    // SDK's check at exit would report those promises as leaked by the tool (runs are serialised: none are another's).
    sdkState.getStore().leakCandidates.clear();
    throw programFailure(failures);
  }
  return {
    project: opts.project,
    stack: opts.stack,
    resources: order.map((u) => records.get(u) as ResourceRecord),
    stackOutputs,
    invokes,
    secrets,
  };
}
