/**
 * Plays the Pulumi CLI's part to the policy pack, over the real analyzer protocol, the way
 * `pulumi preview --policy-pack policies --policy-pack-config <file>` does with the Node.js language host
 * (pulumi/pulumi, read from source):
 *
 * - Start: `sdk/nodejs/cmd/pulumi-language-nodejs/main.go` `RunPlugin` (kind analyzer) runs
 *   `node <@pulumi/pulumi/cmd/run-policy-pack resolved from the pack directory> <engine address> <pack directory>`
 *   with the pack directory as working directory and `PULUMI_NODEJS_{ORGANIZATION,PROJECT,STACK,DRY_RUN}` and
 *   `PULUMI_CONFIG` in the environment. The launcher registers ts-node with type-checking on (the pack's
 *   tsconfig.json, TypeScript from node_modules) and requires the pack; a type error fails the start.
 * - Port handshake: the pack prints its port on the first line of stdout; the host's policy proxy
 *   (`sdk/policy_proxy.go`) reads it, answers `Handshake` itself and forwards `ConfigureStack` (stack, project,
 *   organization, stack config and its secret keys, stack tags, dry-run) before anything else.
 * - Configuration: the engine (`pkg/engine/update.go`) calls `GetAnalyzerInfo`, reconciles the policy config file
 *   with the policies' defaults (`pkg/resource/analyzer/config.go` `ReconcilePolicyPackConfig`, ported below) and
 *   calls `Configure`.
 * - Analysis: `Analyze` per resource on its inputs after the provider's check, then `AnalyzeStack` on all outputs,
 *   properties marshalled with `KeepUnknowns` and `KeepSecrets` (`pkg/resource/plugin/analyzer_plugin.go`): secrets
 *   travel as secret envelopes, unknowns as the unknown sentinel.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { PackConfig, ResourceRecord } from "../../tools/lib/policyRunner";
import { SECRET_SIG, SECRET_SIG_VALUE } from "../../tools/lib/engine";

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated protobuf modules have no usable typings here */
const analyzerPb: any = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc: any = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const emptyPb: any = require("google-protobuf/google/protobuf/empty_pb");
const structPb: any = require("google-protobuf/google/protobuf/struct_pb");

const ROOT = path.resolve(__dirname, "..", "..");
export const PACK_DIR = path.join(ROOT, "policies");
/** proto `EnforcementLevel`: ADVISORY = 0, MANDATORY = 1, DISABLED = 2, REMEDIATE = 3. */
const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;
type Level = (typeof LEVELS)[number];

export interface ServerDiagnostic {
  policy: string;
  enforcementLevel: string;
  urn: string;
  message: string;
}

export interface AnalyzerInfo {
  name: string;
  version: string;
  supportsConfig: boolean;
  policies: {
    name: string;
    kind: "resource" | "stack";
    enforcementLevel: Level;
    configSchema?: { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  }[];
  initialConfig: Record<string, PolicyConfig>;
}

/** The engine's `plugin.AnalyzerPolicyConfig`. */
export interface PolicyConfig {
  enforcementLevel?: Level;
  properties?: Record<string, unknown>;
}

export interface StackConfiguration {
  stack: string;
  project: string;
  organization: string;
  /** `<namespace>:<key>` → value, as the engine passes the stack config. */
  config: Record<string, string>;
  configSecretKeys: string[];
  tags: ReadonlyMap<string, string>;
  dryRun: boolean;
}

export interface AnalysisResult {
  diagnostics: ServerDiagnostic[];
  /** Per policy: how many resources (or 1 for the stack) it applied to, i.e. did not report not applicable. */
  applicable: Record<string, number>;
}

/** `parsePolicyPackConfig`: a string is an enforcement level, an object may carry one; empty entries are dropped. */
export function parsePolicyPackConfig(file: PackConfig): Record<string, PolicyConfig> {
  const out: Record<string, PolicyConfig> = {};
  for (const [k, v] of Object.entries(file)) {
    if (typeof v === "string") {
      out[k] = { enforcementLevel: v };
      continue;
    }
    const { enforcementLevel, ...rest } = v;
    const properties = Object.keys(rest).length > 0 ? rest : undefined;
    if (enforcementLevel === undefined && properties === undefined) continue;
    out[k] = { ...(enforcementLevel ? { enforcementLevel } : {}), ...(properties ? { properties } : {}) };
  }
  return out;
}

/** `ReconcilePolicyPackConfig` (without the JSON-schema validation, which only rejects): defaults, initial, file. */
export function reconcilePolicyPackConfig(
  info: AnalyzerInfo,
  config: Record<string, PolicyConfig>,
): Record<string, PolicyConfig> {
  let result: Record<string, PolicyConfig> = {};
  for (const p of info.policies) {
    const defaults = Object.entries(p.configSchema?.properties ?? {}).filter(([, s]) => "default" in s);
    result[p.name] = {
      enforcementLevel: p.enforcementLevel,
      ...(defaults.length > 0 ? { properties: Object.fromEntries(defaults.map(([k, s]) => [k, s.default])) } : {}),
    };
  }
  const apply = (given: Record<string, PolicyConfig>) => {
    const next = { ...result };
    const all = given["all"];
    if (all?.enforcementLevel) {
      for (const k of Object.keys(next)) next[k] = { ...next[k], enforcementLevel: all.enforcementLevel };
    }
    // As in the engine, every key is applied, "all" and names the pack does not have included.
    for (const [policy, g] of Object.entries(given)) {
      const cur = next[policy] ?? {};
      next[policy] = {
        enforcementLevel: g.enforcementLevel ?? cur.enforcementLevel,
        properties:
          g.properties && Object.keys(g.properties).length > 0
            ? { ...(cur.properties ?? {}), ...g.properties }
            : cur.properties,
      };
    }
    return next;
  };
  result = apply(info.initialConfig);
  result = apply(config);
  return result;
}

/** A value as the engine marshals it: secrets at the given paths wrapped in the secret envelope. */
function withSecretEnvelopes(value: Record<string, unknown>, secretPaths: readonly string[]): Record<string, unknown> {
  const out = structuredClone(value);
  // Deepest paths first, so an outer envelope wraps already-wrapped inner values only once.
  for (const p of [...secretPaths].sort((a, b) => b.length - a.length)) {
    if (p === "") continue;
    const parts = p.match(/[^.[\]]+/g) ?? [];
    let cur: unknown = out;
    for (const part of parts.slice(0, -1)) cur = (cur as Record<string, unknown> | undefined)?.[part];
    const last = parts[parts.length - 1];
    const holder = cur as Record<string, unknown> | undefined;
    if (holder && last in holder && !isEnvelope(holder[last])) {
      holder[last] = { [SECRET_SIG]: SECRET_SIG_VALUE, value: holder[last] };
    }
  }
  return out;
}

function isEnvelope(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_SIG_VALUE;
}

/** Drops `__`-prefixed keys (`SkipInternalKeys`) and undefined values, as the engine's marshalling does. */
function engineStruct(value: Record<string, unknown>): unknown {
  const props = Object.fromEntries(Object.entries(value).filter(([k, v]) => !k.startsWith("__") && v !== undefined));
  return structPb.Struct.fromJavaScript(props);
}

export class PolicyPackHost {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: any,
    /** What the pack printed after the port, and on stderr (diagnostics on failure). */
    readonly output: { stdout: string; stderr: string },
  ) {}

  /**
   * Starts the pack exactly as the Node.js language host's `RunPlugin` does for a policy pack, and performs the
   * port handshake. `launch` resolves once the pack listens (after ts-node has type-checked it).
   */
  static launch(stackConfig: StackConfiguration, engineAddress = "127.0.0.1:0"): Promise<PolicyPackHost> {
    const launcher = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK_DIR] });
    const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_NODEJS_TYPESCRIPT: "true" };
    delete env.NODE_OPTIONS; // the host passes its own environment, never a test runner's loader
    const set = (k: string, v: string) => {
      if (v !== "") env[k] = v;
    };
    set("PULUMI_NODEJS_ORGANIZATION", stackConfig.organization);
    set("PULUMI_NODEJS_PROJECT", stackConfig.project);
    set("PULUMI_NODEJS_STACK", stackConfig.stack);
    set("PULUMI_NODEJS_DRY_RUN", String(stackConfig.dryRun));
    set("PULUMI_CONFIG", JSON.stringify(stackConfig.config));
    // For policy analyzers the host passes its arguments (the engine address) first and the pack directory last.
    const child = spawn(process.execPath, [launcher, engineAddress, PACK_DIR], {
      cwd: PACK_DIR,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = { stdout: "", stderr: "" };
    child.stderr?.on("data", (d: Buffer) => (output.stderr += d.toString()));
    return new Promise((resolve, reject) => {
      let buffered = "";
      let port: number | undefined;
      child.stdout?.on("data", (d: Buffer) => {
        if (port !== undefined) {
          output.stdout += d.toString();
          return;
        }
        buffered += d.toString();
        const nl = buffered.indexOf("\n");
        if (nl < 0) return;
        // The proxy reads `%d\n` from the first line; everything after it is the pack's ordinary output.
        port = Number(buffered.slice(0, nl));
        output.stdout += buffered.slice(nl + 1);
        if (!Number.isInteger(port) || port <= 0) {
          reject(new Error(`could not read policy pack port from '${buffered.slice(0, nl)}': ${output.stderr}`));
          return;
        }
        const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        resolve(new PolicyPackHost(child, client, output));
      });
      child.on("exit", (code) => {
        if (port === undefined) reject(new Error(`policy pack exited (${code}) before listening:\n${output.stderr}`));
      });
    });
  }

  stop(): void {
    this.client.close();
    this.child.kill();
  }

  private call<T>(method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) =>
      this.client[method](req, (e: Error | null, res: T) => (e ? reject(e) : resolve(res))),
    );
  }

  /** The `ConfigureStack` call the proxy forwards before any other. */
  async configureStack(c: StackConfiguration): Promise<void> {
    const req = new analyzerPb.AnalyzerStackConfigureRequest();
    req.setStack(c.stack);
    req.setProject(c.project);
    req.setOrganization(c.organization);
    req.setDryRun(c.dryRun);
    const config = req.getConfigMap();
    for (const [k, v] of Object.entries(c.config)) config.set(k, v);
    req.setConfigSecretKeysList([...c.configSecretKeys]);
    const tags = req.getTagsMap();
    for (const [k, v] of c.tags) tags.set(k, v);
    await this.call("configureStack", req);
  }

  async info(): Promise<AnalyzerInfo> {
    const res: any = await this.call("getAnalyzerInfo", new emptyPb.Empty());
    const initial: Record<string, PolicyConfig> = {};
    for (const [k, v] of res.getInitialconfigMap().entries()) {
      initial[k] = { enforcementLevel: LEVELS[v.getEnforcementlevel()], properties: v.getProperties()?.toJavaScript() };
    }
    return {
      name: res.getName(),
      version: res.getVersion(),
      supportsConfig: res.getSupportsconfig(),
      policies: res.getPoliciesList().map((p: any) => ({
        name: p.getName(),
        kind: p.getPolicyType() === analyzerPb.PolicyType.POLICY_TYPE_STACK ? "stack" : "resource",
        enforcementLevel: LEVELS[p.getEnforcementlevel()],
        configSchema: p.getConfigschema()
          ? {
              properties: p.getConfigschema().getProperties()?.toJavaScript(),
              required: p.getConfigschema().getRequiredList(),
            }
          : undefined,
      })),
      initialConfig: initial,
    };
  }

  /** What the engine does after loading a local pack: GetAnalyzerInfo, reconcile the config file, Configure. */
  async configure(file: PackConfig = {}): Promise<Record<string, PolicyConfig>> {
    const info = await this.info();
    const config = reconcilePolicyPackConfig(info, parsePolicyPackConfig(file));
    const req = new analyzerPb.ConfigureAnalyzerRequest();
    const map = req.getPolicyconfigMap();
    for (const [name, c] of Object.entries(config)) {
      const pc = new analyzerPb.PolicyConfig();
      pc.setEnforcementlevel(LEVELS.indexOf(c.enforcementLevel ?? "advisory"));
      pc.setProperties(structPb.Struct.fromJavaScript(c.properties ?? {}));
      map.set(name, pc);
    }
    await this.call("configure", req);
    return config;
  }

  private options(r: ResourceRecord): unknown {
    const o = new analyzerPb.AnalyzerResourceOptions();
    // As the CLI marshals them (analyzer_plugin.go marshalResourceOptions); aliases left empty, as the runner does.
    o.setProtect(r.protect);
    o.setIgnorechangesList([...(r.ignoreChanges ?? [])]);
    if (r.deleteBeforeReplace !== undefined) {
      o.setDeletebeforereplace(r.deleteBeforeReplace);
      o.setDeletebeforereplacedefined(true);
    }
    o.setAdditionalsecretoutputsList([...(r.additionalSecretOutputs ?? [])]);
    const t = new analyzerPb.AnalyzerResourceOptions.CustomTimeouts();
    t.setCreate(r.customTimeouts?.create ?? 0);
    t.setUpdate(r.customTimeouts?.update ?? 0);
    t.setDelete(r.customTimeouts?.delete ?? 0);
    // sdk/go/common/resource/plugin/analyzer_plugin.go sends the read timeout too (the pack's options have no field).
    t.setRead(r.customTimeouts?.read ?? 0);
    o.setCustomtimeouts(t);
    if (r.parent) o.setParent(r.parent);
    return o;
  }

  /** The server prefixes each message with the policy's description and a newline (as the CLI shows it). */
  private diagnostics(res: any): ServerDiagnostic[] {
    return res.getDiagnosticsList().map((d: any) => {
      const description: string = d.getDescription();
      const message: string = d.getMessage();
      return {
        policy: d.getPolicyname(),
        enforcementLevel: LEVELS[d.getEnforcementlevel()],
        urn: d.getUrn(),
        message: message.startsWith(`${description}\n`) ? message.slice(description.length + 1) : message,
      };
    });
  }

  private notApplicable(res: any): Set<string> {
    return new Set(res.getNotApplicableList().map((n: any) => n.getPolicyName() as string));
  }

  /**
   * `Analyze` (resource policies, on inputs) for every resource, then `AnalyzeStack` (stack policies, on outputs),
   * as the engine sends them. `config` is what `configure` sent, to know which policies run at all.
   */
  async analyzeAll(
    resources: readonly ResourceRecord[],
    config: Record<string, PolicyConfig>,
  ): Promise<AnalysisResult> {
    const info = await this.info();
    const enabled = info.policies.filter((p) => config[p.name]?.enforcementLevel !== "disabled").map((p) => p.name);
    const diagnostics: ServerDiagnostic[] = [];
    const resourceApplicable: Record<string, number> = {};
    for (const r of resources) {
      const req = new analyzerPb.AnalyzeRequest();
      req.setType(r.type);
      req.setProperties(engineStruct(withSecretEnvelopes(r.inputs, r.secretKeys ?? [])));
      req.setUrn(r.urn);
      req.setName(r.name);
      req.setOptions(this.options(r));
      const res = await this.call("analyze", req);
      diagnostics.push(...this.diagnostics(res).map((d) => ({ ...d, urn: d.urn || r.urn })));
      const na = this.notApplicable(res);
      for (const name of enabled) if (!na.has(name)) resourceApplicable[name] = (resourceApplicable[name] ?? 0) + 1;
    }
    const stack = new analyzerPb.AnalyzeStackRequest();
    stack.setResourcesList(
      resources.map((r) => {
        const a = new analyzerPb.AnalyzerResource();
        a.setType(r.type);
        a.setProperties(engineStruct(withSecretEnvelopes(r.outputs, r.secretOutputKeys ?? [])));
        a.setUrn(r.urn);
        a.setName(r.name);
        a.setOptions(this.options(r));
        if (r.parent) a.setParent(r.parent);
        a.setDependenciesList([...r.dependencies]);
        const deps = a.getPropertydependenciesMap();
        for (const [k, urns] of Object.entries(r.propertyDependencies)) {
          if (urns.length === 0) continue; // the engine skips properties without dependencies
          const pd = new analyzerPb.AnalyzerPropertyDependencies();
          pd.setUrnsList([...urns]);
          deps.set(k, pd);
        }
        return a;
      }),
    );
    const stackRes = await this.call("analyzeStack", stack);
    diagnostics.push(...this.diagnostics(stackRes));
    const stackNa = this.notApplicable(stackRes);
    // A stack policy applies to the stack (counted as every resource, as the offline runner counts it) unless
    // AnalyzeStack reported it not applicable; a resource policy to each resource Analyze did not exclude.
    const applicable: Record<string, number> = {};
    for (const p of info.policies) {
      if (!enabled.includes(p.name)) continue;
      applicable[p.name] =
        p.kind === "stack" ? (stackNa.has(p.name) ? 0 : resources.length) : (resourceApplicable[p.name] ?? 0);
    }
    return { diagnostics, applicable };
  }
}
