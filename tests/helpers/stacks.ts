/**
 * One offline preview per stack (and per edited stack several specs read) for the whole test run (each takes a couple
 * of seconds): spec files share the cached result. Uses the same pipeline as `npm run preview:offline`.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { parseConfig, PROJECT, readRaw, type PlatformConfig } from "../../lib/config";
import { prodWithAuditArchive } from "../../tools/costDocs";
import { programOf } from "../../tools/lib/deployedView";
import { runProgram, type ProgramRun } from "../../tools/lib/engine";
import { previewStack, type PreviewOptions, type PreviewResult } from "../../tools/lib/preview";
import type { ResourceRecord } from "../../tools/lib/policyRunner";
import { loadStackConfig } from "../../tools/lib/stackConfig";
import { withClockAhead } from "./clock";
import { tempDir } from "./tmp";

const cache = new Map<string, Promise<unknown>>();

/** Runs `run` once for the whole test run under `key`, after the runs started before it. */
function once<T>(key: string, run: () => Promise<T>): Promise<T> {
  let p = cache.get(key) as Promise<T> | undefined;
  if (!p) {
    // Runs are serialised: the mock engine is process-global.
    const previous = [...cache.values()].pop() ?? Promise.resolve();
    p = previous.catch(() => undefined).then(run);
    cache.set(key, p);
  }
  return p;
}

let exclusiveRuns = 0;
/**
 * Runs `run` with the mock engine to itself, after the shared runs started before it and before any started after:
 * a test that sets its own mocks or config. Each call runs again (not cached).
 */
export function exclusively<T>(run: () => Promise<T>): Promise<T> {
  const key = `exclusive#${++exclusiveRuns}`;
  const p = once(key, run);
  // Chained like the shared runs, but not kept: the next run waits for it to settle, not for its result.
  cache.set(
    key,
    p.then(
      () => undefined,
      () => undefined,
    ),
  );
  return p;
}

/** Runs (once) and returns the offline preview of a committed stack. */
export function previewOf(stack: "dev" | "prod"): Promise<PreviewResult> {
  // Quiet: the program's warnings (placeholders, routing) would print once per worker in every run; tests that are
  // about a warning capture it from a run of their own.
  return once(stack, () => previewStack({ stack, quietWarnings: true }));
}

/**
 * Runs (once) a committed stack's program as deployed (ids and outputs known, the view `previewOf(stack).run` is) with
 * the clock `days` ahead: what the program asks of Azure at a later `pulumi up` of the unchanged stack.
 */
export function deployedRunLater(stack: "dev" | "prod", days: number): Promise<ProgramRun> {
  return once(`${stack}+${days}d`, () =>
    withClockAhead(days * 86_400_000, () => runProgram({ ...programOf({ stack }), quietWarnings: true })),
  );
}

/** The hub a stack with `privateDns.mode: central` peers with, and the resource group of the hub's zones. */
export const CENTRAL_DNS = {
  hub: "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub-weu",
  zonesResourceGroupId: "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-hub-dns-westeurope",
  dnsServers: ["10.0.0.68"],
} as const;

/** Edits a stack file's config into `privateDns.mode: central`, peered with the hub, as docs/configuration.md sets it. */
function useCentralDns(config: Record<string, unknown>): void {
  config["payments-data-platform:hub"] = { virtualNetworkId: CENTRAL_DNS.hub };
  config["payments-data-platform:privateDns"] = {
    mode: "central",
    zonesResourceGroupId: CENTRAL_DNS.zonesResourceGroupId,
    dnsServers: [...CENTRAL_DNS.dnsServers],
  };
}

/**
 * Runs (once) and returns the dev stack using the hub's private DNS zones (`useCentralDns`), with the committed policy
 * config (which approves neither the hub nor its zones): the platform's, the pack's and the hazards' tests read it.
 */
export function previewCentralDevOf(): Promise<PreviewResult> {
  return once("dev+privateDns.central", () => previewEdited("dev", useCentralDns));
}

/** The deploy identity's object id `prodWithDeployPrincipalOf` sets (`operations.deployPrincipalId`). */
export const DEPLOY_PRINCIPAL_ID = "44444444-aaaa-4bbb-8ccc-000000000004";

/**
 * Runs (once) and returns prod with `operations.deployPrincipalId` set: the operations tier's Sentinel rule and the
 * platform's group owners read it.
 */
export function prodWithDeployPrincipalOf(): Promise<PreviewResult> {
  return once("prod+deployPrincipalId", () =>
    previewEdited("prod", (config) => {
      (config[`${PROJECT}:operations`] as Record<string, unknown>).deployPrincipalId = DEPLOY_PRINCIPAL_ID;
    }),
  );
}

/**
 * Runs (once) and returns tools/costDocs.ts's prod stack with the audit archive on (the resources docs/cost.md prices
 * for that lever): the cost docs' test and the OLTP tier's test read the same preview.
 */
export function prodWithAuditArchiveOf(): Promise<readonly ResourceRecord[]> {
  return once("prod+archiveTriggerAudit", prodWithAuditArchive);
}

/** The invokes of `token` a run made (with their inputs), in order. */
export function invokesOf<I extends { readonly token: string }>(
  run: { readonly invokes: readonly I[] },
  token: string,
): I[] {
  return run.invokes.filter((i) => i.token === token);
}

/** Resources of a type (type token), in registration order. */
export function ofType(resources: readonly ResourceRecord[], type: string): ResourceRecord[] {
  return resources.filter((r) => r.type === type);
}

/** Whether `later` waits for `earlier`, directly or through a chain of dependencies (what the engine orders on). */
export function waitsFor(
  resources: readonly ResourceRecord[],
  later: ResourceRecord,
  earlier: ResourceRecord,
): boolean {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const queue = [...later.dependencies];
  while (queue.length > 0) {
    const urn = queue.pop() as string;
    if (urn === earlier.urn) return true;
    if (seen.has(urn)) continue;
    seen.add(urn);
    queue.push(...(byUrn.get(urn)?.dependencies ?? []));
  }
  return false;
}

/**
 * Asserts that each resource of `chain` (in registration order) depends directly on every earlier one, as a
 * `Serial` chain gives them: Pulumi orders deletes on direct dependencies only.
 */
export function assertChainedPairwise(chain: readonly ResourceRecord[]): void {
  for (let j = 1; j < chain.length; j++)
    for (let i = 0; i < j; i++)
      assert.ok(chain[j].dependencies.includes(chain[i].urn), `${chain[j].name} waits directly for ${chain[i].name}`);
}

/** The single resource with this logical name; fails loudly when absent. */
export function byName(resources: readonly ResourceRecord[], name: string): ResourceRecord {
  const r = resources.find((x) => x.name === name);
  if (!r)
    throw new Error(
      `no resource named '${name}' (have: ${resources
        .map((x) => x.name)
        .slice(0, 20)
        .join(", ")}, ...)`,
    );
  return r;
}

/** Reads a nested input by dotted path (`properties.sku.name`). */
export function input(r: ResourceRecord, pathText: string): unknown {
  return pathText
    .split(".")
    .reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), r.inputs);
}

/** The validated config of a committed stack (pure, no engine). */
export function configOf(stack: "dev" | "prod"): PlatformConfig {
  const sc = loadStackConfig(path.resolve(__dirname, "..", ".."), stack);
  return parseConfig(
    readRaw((key) => sc.config[`${PROJECT}:${key}`]),
    stack,
  );
}

/**
 * The preview of a committed stack whose stack file is edited first, as an operator would edit it (`edit` changes the
 * `config` map in place): a temporary copy, removed afterwards.
 */
export async function previewEdited(
  stack: "dev" | "prod",
  edit: (config: Record<string, unknown>) => void,
  options: Omit<PreviewOptions, "stack" | "stackFile"> = {},
): Promise<PreviewResult> {
  const doc = parseYaml(fs.readFileSync(path.resolve(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  edit(doc.config);
  const dir = tempDir(`edited-${stack}-`);
  try {
    const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(stackFile, stringifyYaml(doc));
    return await previewStack({ quietWarnings: true, ...options, stack, stackFile });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
