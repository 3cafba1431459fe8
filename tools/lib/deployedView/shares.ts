/**
 * What the two threads share out: the schema check's groups of records and the pack's policies, each taken off a queue
 * they share, and how the parts are put together.
 */
import type { SchemaCheck } from "../armSchema/check";
import type { ResourceRecord, RunOptions, Verdict } from "../policyRunner";
import type { CheckPart } from "./common";

/**
 * The records of a run in groups for the shared schema check: one per provider namespace of the type, so that the
 * two threads read different schema files, the costliest first (checking a body takes time with its size, so the
 * size of the group's inputs as JSON stands for it), so that the last group taken is a small one. checkSchemas
 * checks every record on its own (a resource's errors and entry depend on its record only), which is what lets the
 * groups be checked apart.
 */
export function checkGroups(records: readonly ResourceRecord[]): ResourceRecord[][] {
  const groups = new Map<string, { records: ResourceRecord[]; size: number }>();
  for (const r of records) {
    const ns = r.type.split(":")[1] ?? "";
    let group = groups.get(ns);
    if (!group) groups.set(ns, (group = { records: [], size: 0 }));
    group.records.push(r);
    group.size += JSON.stringify(r.inputs).length;
  }
  return [...groups.values()].sort((a, b) => b.size - a.size).map((g) => g.records);
}

/**
 * This thread's share of a check: takes the next group off the queue the two threads share, checks it, and again
 * until none is left, so that the thread free first takes more. One schema store for all of its groups.
 */
export function checkShare(groups: readonly (readonly ResourceRecord[])[], queue: SharedArrayBuffer): CheckPart[] {
  const { checkSchemas } = require("../armSchema/check") as typeof import("../armSchema/check");
  const { SchemaStore } = require("../armSchema/store") as typeof import("../armSchema/store");
  const next = new Int32Array(queue);
  const store = new SchemaStore();
  const parts: CheckPart[] = [];
  for (let i = Atomics.add(next, 0, 1); i < groups.length; i = Atomics.add(next, 0, 1))
    parts.push([i, checkSchemas(groups[i], store, false)]);
  // Once, after every group this thread took (a directory listing each time otherwise), and only when it wrote to
  // the cache: a thread that took no group, or found every result recorded, leaves it as it was.
  if (store.wroteCache) store.trimCache();
  return parts;
}

/**
 * checkSchemas over all the records, from its answers over groups of them: the checked resources and the errors in
 * the order of the records (each resource's own errors in their order), the schema files sorted.
 */
export function mergeChecks(records: readonly ResourceRecord[], parts: readonly SchemaCheck[]): SchemaCheck {
  const index = new Map(records.map((r, i) => [r.urn, i]));
  const at = (urn: string) => index.get(urn) ?? -1;
  return {
    resources: parts.flatMap((p) => p.resources).sort((a, b) => at(a.urn) - at(b.urn)),
    errors: parts.flatMap((p) => p.errors).sort((a, b) => at(a.urn) - at(b.urn)),
    files: [...new Set(parts.flatMap((p) => p.files))].sort(),
  };
}

/**
 * Where in the pack the policy a runner error names stands (`policy '<name>' failed on …`,
 * tools/lib/policyRunner/evaluate.ts); after every policy when the error names none.
 */
export function failedPolicyIndex(e: Error): number {
  const { policies } = require("../../../policies/policies") as typeof import("../../../policies/policies");
  const name = /^policy '([^']+)'/.exec(e.message)?.[1];
  const i = name === undefined ? -1 : policies.findIndex((p) => p.name === name);
  return i < 0 ? policies.length : i;
}

/**
 * This thread's share of a verdict over `resources`: the policies it takes off the queue it shares with the worker.
 */
export async function verdictShare(
  resources: readonly ResourceRecord[],
  options: RunOptions,
  queue: SharedArrayBuffer,
): Promise<Verdict> {
  const { runPolicies } = require("../policyRunner") as typeof import("../policyRunner");
  const { policies } = require("../../../policies/policies") as typeof import("../../../policies/policies");
  const next = new Int32Array(queue);
  // The calling thread validated this config before it ran the program (previewStack): not again in each thread.
  return runPolicies(policies, resources, {
    ...options,
    configValidated: true,
    take: () => Atomics.add(next, 0, 1),
  });
}
