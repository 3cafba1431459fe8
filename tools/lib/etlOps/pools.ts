/** The stack's dedicated SQL pools: woken before `up` where the schedule pauses them, and paused again after it. */
import { ARM, list, resourceIds, type Az, type StackResources } from "./common";

/** API version of the dedicated SQL pool operations (the one the factory's pool pipelines call). */
export const SYNAPSE_POOL_API = "2021-06-01";

/** A dedicated SQL pool (REST `sqlPools` list item). */
export interface PoolInfo {
  readonly id: string;
  readonly properties: { readonly status?: string };
}

/** The dedicated SQL pools of the stack's Synapse workspaces (none before the first `up`). */
export function poolsOf(az: Az, s: StackResources): PoolInfo[] {
  return resourceIds(az, s.dataResourceGroup, "Microsoft.Synapse/workspaces").flatMap((ws) =>
    list<PoolInfo>(az, `${ws}/sqlPools?api-version=${SYNAPSE_POOL_API}`),
  );
}

/** A pool's current status (`Online`, `Paused`, `Resuming`, …), read from Resource Manager. */
const poolStatus = (az: Az, poolId: string): string | undefined =>
  (az(["rest", "--method", "get", "--url", `${ARM}${poolId}?api-version=${SYNAPSE_POOL_API}`]) as PoolInfo | null)
    ?.properties.status;

/** What a pool in `status` needs before a refresh can read it: nothing (Online), a resume (Paused), or a wait. */
export function poolStep(status: string | undefined): "online" | "resume" | "wait" {
  if (status === "Online") return "online";
  if (status === "Paused") return "resume";
  return "wait";
}

/** Checks of a pool still Paused after its resume before the resume is sent again (a resume that failed quietly). */
export const RESUME_AGAIN_AFTER = 4;

/**
 * Brings every paused pool of the stack online before `pulumi up` (dev pauses its pool outside working hours, and a
 * refresh or update reads its TDE setting and workload groups, which live in the pool's database): resumes the paused
 * ones and waits until each is Online. Returns the ids of the pools it resumed, for `pausePools` after `up`.
 */
export async function wakePools(
  az: Az,
  s: StackResources,
  opts: {
    readonly attempts: number;
    readonly delayMs: number;
    readonly log: (line: string) => void;
    /** Told the pools resumed so far, after each resume: a later failure must not hide one it left running. */
    readonly resumed?: (poolIds: readonly string[]) => void;
  },
): Promise<string[]> {
  const resumed: string[] = [];
  for (const pool of poolsOf(az, s)) {
    // One resume at a time: Azure answers 202 and may still report Paused a check later, and a second resume while
    // the first runs can be refused (409), failing the deploy. Sent again if the pool went back to Paused after
    // showing progress (a resume that failed), or still reads Paused RESUME_AGAIN_AFTER checks later (one that failed
    // between two checks).
    let resumePending = false;
    let pausedSinceResume = 0;
    for (let attempt = 1; ; attempt++) {
      const status = poolStatus(az, pool.id);
      const step = poolStep(status);
      if (step === "online") break;
      if (step === "resume" && resumePending && ++pausedSinceResume >= RESUME_AGAIN_AFTER) resumePending = false;
      if (step === "resume" && !resumePending) {
        az(["rest", "--method", "post", "--url", `${ARM}${pool.id}/resume?api-version=${SYNAPSE_POOL_API}`]);
        resumePending = true;
        pausedSinceResume = 0;
        if (!resumed.includes(pool.id)) resumed.push(pool.id);
        opts.resumed?.([...resumed]);
        opts.log(`resuming ${pool.id.split("/").pop()} (was Paused)`);
      } else if (step === "wait" && resumed.includes(pool.id)) {
        resumePending = false;
      }
      if (attempt >= opts.attempts)
        throw new Error(`pool ${pool.id} is still ${status ?? "in no state"} after ${attempt} checks`);
      await new Promise((r) => setTimeout(r, opts.delayMs));
    }
  }
  return [...new Set(resumed)];
}

/**
 * Pauses the pools `wakePools` resumed (after `up`, whatever its outcome): the schedule had them paused. Only a pool
 * that is Online (one already paused, or pausing, is left alone), and a failure is a warning, never an error: it
 * must not fail the dev job, which would hold prod's deploy back; the schedule's next pause catches the pool.
 * Returns the pools it paused.
 */
export function pausePools(az: Az, poolIds: readonly string[], log: (line: string) => void): string[] {
  const paused: string[] = [];
  for (const id of poolIds) {
    const name = id.split("/").pop();
    try {
      const status = poolStatus(az, id);
      if (poolStep(status) !== "online") {
        log(`${name} is ${status ?? "in no state"}: left as it is`);
        continue;
      }
      az(["rest", "--method", "post", "--url", `${ARM}${id}/pause?api-version=${SYNAPSE_POOL_API}`]);
      paused.push(id);
      log(`pausing ${name} again`);
    } catch (e) {
      log(`::warning::could not pause ${name} again (${(e as Error).message}); the pause schedule will`);
    }
  }
  return paused;
}
