/**
 * How a run ends: a program that stopped making progress (STALL_MS), quiet after its first error, and the error a
 * failed run reports, as the CLI's Node process would.
 */

/** The run ended because the program stopped making progress before it had finished (STALL_MS). */
export class ProgramStalled extends Error {
  override readonly name = "ProgramStalled";
}
/**
 * The error a run ends with: its first failure, whose message lists every distinct one in order, as the CLI logs each
 * error once (cmd/run/run.js `isErrorReported`) and fails the preview with all of them. The first keeps its class, so
 * a config error still reads as one.
 */
export function programFailure(failures: readonly unknown[]): unknown {
  const text = (f: unknown) => (f instanceof Error ? f.message : String(f));
  const byText = new Map<string, unknown>();
  for (const f of failures) if (!byText.has(text(f))) byText.set(text(f), f);
  const distinct = [...byText.values()];
  const [first] = distinct;
  if (distinct.length > 1 && first instanceof Error) first.message = distinct.map(text).join("\n");
  return first;
}

/**
 * Resolves once `activity` (a count of what the program did) has not changed over `turns` consecutive 20 ms timer
 * turns (100 ms by default): after a program's first error, long enough for what is still settling (another
 * apply's failure a few promise jobs and a timer later) to be reported too. Its timer ends with it.
 */
export function quiet(activity: () => number, turns = 5): Promise<void> {
  return watchStall(activity, 20 * turns, turns).idle;
}

/**
 * Watches `activity` (a count of what the program did): `idle` resolves once it has not changed over `turns`
 * consecutive timer turns of `ms / turns` each. Counted in turns, not by the clock: a turn that a long synchronous
 * stretch of the program delays is one turn, so a busy program is never taken for a stalled one. `stop` clears the
 * timer (`idle` then never resolves).
 */
export function watchStall(activity: () => number, ms: number, turns = 10): { idle: Promise<void>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const idle = new Promise<void>((resolve) => {
    let count = 0;
    let seen = activity();
    const tick = () => {
      const now = activity();
      count = now === seen ? count + 1 : 0;
      seen = now;
      if (count >= turns) resolve();
      else if (!stopped) timer = setTimeout(tick, ms / turns);
    };
    timer = setTimeout(tick, ms / turns);
  });
  return {
    idle,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** What a stalled run ends with: what the offline engine saw, and what the CLI would report there. */
export function stalledError(ms: number): ProgramStalled {
  return new ProgramStalled(
    `the program stopped making progress: for ${ms / 1000} s it registered nothing, read nothing and completed no ` +
      "component before it had finished; the mocks answer at once, so it almost certainly waits on a promise that " +
      "never settles (an Output or a read that never resolves, or two resources that wait on each other). The Pulumi CLI's Node " +
      "process ends there, its event loop empty, and the SDK fails the run at exit with its leaked-promises error " +
      '("The Pulumi runtime detected that … promises were still active at the time that the process exited").',
  );
}
