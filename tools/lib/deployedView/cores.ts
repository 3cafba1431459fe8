/**
 * Whether a second core is free for the deployed view's worker: the load average, what runs elsewhere at an instant
 * (/proc), what other processes used since the loader started this one.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import { UsageError } from "../cli";
import { TS_RUN } from "./common";

interface CpuSample {
  readonly at: bigint;
  readonly busyMs: number;
  readonly idleMs: number;
  readonly ownUs: number;
}

/** The shortest time over which othersBusySinceStart tells (the kernel counts the machine's CPU time in 10 ms ticks). */
const MEASURE_MS = 100;

/**
 * The CPU time other processes used since the loader started this process (scripts/ts-run.cjs), in cores on
 * average: the machine's busy time less this process's own. Undefined when not started by the loader, or too
 * recently to tell (under MEASURE_MS; with `wait`, it waits for the rest of that time instead: a preview whose
 * caches are warm asks sooner), or where the machine's CPU times are not known.
 */
export function othersBusySinceStart(wait = false): number | undefined {
  let loader: { cpuAtStart?: () => CpuSample | undefined; cpuSample?: () => CpuSample };
  try {
    loader = require(TS_RUN) as typeof loader;
  } catch {
    return undefined;
  }
  const start = loader.cpuAtStart?.();
  let now = loader.cpuSample?.();
  if (!start || !now || now.busyMs + now.idleMs === 0) return undefined;
  let ms = Number(now.at - start.at) / 1e6;
  if (ms < MEASURE_MS && wait && loader.cpuSample) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.ceil(MEASURE_MS - ms));
    now = loader.cpuSample();
    ms = Number(now.at - start.at) / 1e6;
  }
  if (ms < MEASURE_MS) return undefined;
  return Math.max(0, now.busyMs - start.busyMs - (now.ownUs - start.ownUs) / 1000) / ms;
}

/**
 * Whether a core is free for the deployed view's worker thread: the machine has a second one and is not already
 * busy. On a busy machine the worker would only compete with this thread and load every module a second time, so
 * the two views then run one after the other in this thread. First guess (at once, so that the worker loads the SDK
 * while this thread loads the policy pack): the 1-minute load average leaves a core. That average still counts
 * processes that just ended (a bench, the tests run before), so when it says busy, `measured` asks again, by what
 * other processes used of the machine since this one started (over at least 0.1 s: asked sooner, which a preview
 * with warm caches does, it waits for the rest rather than guess one thread): at most half a core on two (a core and
 * a half free), and the worker starts then. `PREVIEW_THREADS=1` or `=2` overrides both (one thread, or
 * the worker), e.g. to compare measurements.
 */
export function secondCoreFree(measured = false): boolean {
  // The measure decides past the load average: not one more instant's reading of what runs (secondCore).
  const first = measured ? secondCore({ runnable: undefined }) : secondCore();
  if (first !== "maybe") return first === "yes";
  if (!measured) return false;
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  const others = othersBusySinceStart(true);
  return others !== undefined && others <= cores - 1.5;
}

/**
 * secondCoreFree's first guess, asked at once: "yes" (forced, or the load average leaves a core, or it does not but
 * nothing else runs at this instant, see runnableNow), "no" (forced, or a single core), or "maybe": the load average says busy, which
 * it also says for a minute after a busy process ended, and something else is running, so the measure
 * (`secondCoreFree(true)`) decides. One instant reads a process busy part of the time as idle as often as it idles (a
 * loop busy 60% of the time: 8 times in 20), which is what the load average says of it too (about 0.6: a core free);
 * a machine whose cores are all busy never reads idle. `npm run preview:offline` starts the worker on "maybe" as well, gated
 * (`startDeployedView`): it boots while this thread loads the policy pack and waits there, then loads the SDK if the
 * measure says go, or ends (`stopStartedViews`): a worker's start-up spent for nothing on a busy machine, against
 * that start-up saved on a machine that was only busy a minute ago. `now` stands in for the machine's readings (tests).
 */
export function secondCore(
  /** The machine's load average, and what runs elsewhere right now (runnableNow). */
  now: { readonly loadAverage?: number; readonly runnable?: number | undefined } = {},
): "yes" | "maybe" | "no" {
  const forced = process.env.PREVIEW_THREADS;
  if (forced === "1" || forced === "2") return forced === "2" ? "yes" : "no";
  if (forced) throw new UsageError(`PREVIEW_THREADS must be 1 (one thread) or 2 (the worker), not '${forced}'`);
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  if (cores < 2) return "no";
  if ((now.loadAverage ?? os.loadavg()[0]) <= cores - 1) return "yes";
  // The load average lags a minute behind: a machine whose only runnable thread is this one was busy, not is.
  // Read twice: the count and the threads' states are read apart, and a parent going to sleep in between reads as
  // someone else running.
  return ("runnable" in now ? now.runnable : Math.min(runnableNow() ?? 1, runnableNow() ?? 1)) === 0 ? "yes" : "maybe";
}

/** Reading Linux's /proc (tests stand in for it). */
export interface ProcFs {
  readonly read: (file: string) => string;
  readonly list: (dir: string) => string[];
}

const PROC: ProcFs = { read: (f) => fs.readFileSync(f, "utf8"), list: (d) => fs.readdirSync(d) };

/**
 * How many threads of the machine are runnable right now outside this process and its parents (npm and its shell,
 * which may still be finishing their start when this one begins): /proc/loadavg's count of runnable threads
 * (`running/total`, proc(5)) less the threads of this process and of up to three ancestors in state R
 * (/proc/<pid>/task/<tid>/stat). Undefined where /proc is not readable (not Linux).
 */
export function runnableNow(proc: ProcFs = PROC): number | undefined {
  try {
    const total = /^\S+ \S+ \S+ (\d+)\/\d+ /.exec(proc.read("/proc/loadavg"));
    if (!total) return undefined;
    let ours = 0;
    let pid = process.pid;
    // Threads and ancestors come and go while this reads (a V8 helper thread ends between the listing and its stat,
    // npm exits): one that has ended runs nothing, and an ancestor that has ended ends the walk.
    const readOrNone = (file: string) => {
      try {
        return proc.read(file);
      } catch {
        return undefined;
      }
    };
    for (let level = 0; level < 4 && pid > 1; level++) {
      let tids: string[];
      try {
        tids = proc.list(`/proc/${pid}/task`);
      } catch {
        break;
      }
      for (const tid of tids) {
        const stat = readOrNone(`/proc/${pid}/task/${tid}/stat`);
        // The state follows the command name, which is in parentheses and may hold any character.
        if (stat !== undefined && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "R") ours += 1;
      }
      const own = readOrNone(`/proc/${pid}/stat`);
      if (own === undefined) break;
      pid = Number(own.slice(own.lastIndexOf(")") + 2).split(" ")[1]);
    }
    return Math.max(0, Number(total[1]) - ours);
  } catch {
    return undefined;
  }
}
