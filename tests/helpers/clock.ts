/**
 * The clock moved ahead for the length of a run: `new Date()` and `Date.now()` read `offsetMs` later, every other
 * use of `Date` (a given time, `Date.UTC`, `Date.parse`) is unchanged. Mocha keeps its own `Date` (it captures it
 * at load), so the test's timing and timeouts are not affected.
 */
export async function withClockAhead<T>(offsetMs: number, run: () => Promise<T>): Promise<T> {
  const RealDate = globalThis.Date;
  class Later extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + offsetMs);
      else if (args.length === 1) super(args[0] as string | number | Date);
      else super(...(args as [number, number, ...number[]]));
    }
    static override now(): number {
      return RealDate.now() + offsetMs;
    }
  }
  globalThis.Date = Later as DateConstructor;
  try {
    return await run();
  } finally {
    globalThis.Date = RealDate;
  }
}
