/**
 * A client for the policy pack's real analyzer server (what `pulumi preview --policy-pack policies` talks to):
 * starts `policies/index.ts` as the CLI would, then speaks the engine's gRPC analyzer protocol to it. Tests use
 * it to prove the in-process runner gives the same verdict as the real server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { Policies } from "@pulumi/policy";
import type { PackConfig, ResourceRecord } from "../../tools/lib/policyRunner";

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated protobuf modules have no usable typings here */
const analyzerPb: any = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc: any = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const emptyPb: any = require("google-protobuf/google/protobuf/empty_pb");
const structPb: any = require("google-protobuf/google/protobuf/struct_pb");

const ROOT = path.resolve(__dirname, "..", "..");
const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

export interface ServerDiagnostic {
  policy: string;
  enforcementLevel: string;
  urn: string;
  message: string;
}

export class AnalyzerServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: any,
  ) {}

  /** Starts the pack like the CLI does (cwd = the pack folder) and connects to the port it prints. */
  static async start(): Promise<AnalyzerServer> {
    const child = spawn(process.execPath, ["--require", "tsx/cjs", "index.ts"], {
      cwd: path.join(ROOT, "policies"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      let err = "";
      child.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
      child.on("exit", (code) => reject(new Error(`policy pack exited (${code}) before listening: ${err}`)));
    });
    const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new AnalyzerServer(child, client);
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

  async info(): Promise<{
    name: string;
    policies: { name: string; enforcementLevel: string; hasConfigSchema: boolean }[];
  }> {
    const res: any = await this.call("getAnalyzerInfo", new emptyPb.Empty());
    return {
      name: res.getName(),
      policies: res.getPoliciesList().map((p: any) => ({
        name: p.getName(),
        enforcementLevel: LEVELS[p.getEnforcementlevel()],
        hasConfigSchema: !!p.getConfigschema(),
      })),
    };
  }

  /** Configures the pack as the CLI does: each policy's level and its knobs with configSchema defaults filled. */
  async configure(policies: Policies, config: PackConfig = {}): Promise<void> {
    const req = new analyzerPb.ConfigureAnalyzerRequest();
    const map = req.getPolicyconfigMap();
    const all = config["all"];
    for (const p of policies) {
      const own = config[p.name];
      const entry = typeof own === "string" ? { enforcementLevel: own } : (own ?? {});
      const { enforcementLevel, ...knobs } = entry;
      const defaults = Object.fromEntries(
        Object.entries(p.configSchema?.properties ?? {})
          .filter(([, s]) => s.default !== undefined)
          .map(([k, s]) => [k, s.default]),
      );
      const level =
        enforcementLevel ??
        (typeof all === "string" ? all : all?.enforcementLevel) ??
        p.enforcementLevel ??
        "mandatory";
      const pc = new analyzerPb.PolicyConfig();
      pc.setEnforcementlevel(LEVELS.indexOf(level));
      pc.setProperties(structPb.Struct.fromJavaScript({ ...defaults, ...knobs }));
      map.set(p.name, pc);
    }
    await this.call("configure", req);
  }

  private options(r: ResourceRecord): unknown {
    const o = new analyzerPb.AnalyzerResourceOptions();
    o.setProtect(r.protect);
    o.setIgnorechangesList([...(r.ignoreChanges ?? [])]);
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

  /** Analyze (resource policies, on inputs) for every resource, then AnalyzeStack (stack policies, on outputs). */
  async analyzeAll(resources: readonly ResourceRecord[]): Promise<ServerDiagnostic[]> {
    const out: ServerDiagnostic[] = [];
    for (const r of resources) {
      const req = new analyzerPb.AnalyzeRequest();
      req.setType(r.type);
      req.setProperties(structPb.Struct.fromJavaScript(r.inputs));
      req.setUrn(r.urn);
      req.setName(r.name);
      req.setOptions(this.options(r));
      out.push(...this.diagnostics(await this.call("analyze", req)).map((d) => ({ ...d, urn: d.urn || r.urn })));
    }
    const stack = new analyzerPb.AnalyzeStackRequest();
    stack.setResourcesList(
      resources.map((r) => {
        const a = new analyzerPb.AnalyzerResource();
        a.setType(r.type);
        a.setProperties(structPb.Struct.fromJavaScript(r.outputs));
        a.setUrn(r.urn);
        a.setName(r.name);
        a.setOptions(this.options(r));
        if (r.parent) a.setParent(r.parent);
        a.setDependenciesList([...r.dependencies]);
        const deps = a.getPropertydependenciesMap();
        for (const [k, urns] of Object.entries(r.propertyDependencies)) {
          const pd = new analyzerPb.AnalyzerPropertyDependencies();
          pd.setUrnsList([...urns]);
          deps.set(k, pd);
        }
        return a;
      }),
    );
    out.push(...this.diagnostics(await this.call("analyzeStack", stack)));
    return out;
  }
}
