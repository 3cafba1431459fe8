/** The clock as the test process started with it (a moved clock is never captured as the real one). */
const REAL_DATE = globalThis.Date;

/**
 * The clock moved ahead for the length of a run: `new Date()`, `Date()` and `Date.now()` read `offsetMs` later, every
 * other use of `Date` (a given time, `Date.UTC`, `Date.parse`, `instanceof Date`) is unchanged. Mocha's test timeouts
 * keep its own `Date` (captured at load), its run statistics read the global one: the real clock is put back when the
 * run settles, and after `limitMs` even if it never does (a timed-out run would otherwise leave every later spec file
 * of the worker process on the moved clock). Runs do not nest.
 */
export async function withClockAhead<T>(offsetMs: number, run: () => Promise<T>, limitMs = 120_000): Promise<T> {
  if (globalThis.Date !== REAL_DATE) throw new Error("withClockAhead: the clock is already moved (runs do not nest)");
  const now = () => REAL_DATE.now() + offsetMs;
  const later = new Proxy(REAL_DATE, {
    construct: (target, args, newTarget) =>
      Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget) as object,
    // `Date()` called as a function: the current time as a string.
    apply: () => new REAL_DATE(now()).toString(),
    get: (target, key, receiver) => (key === "now" ? now : Reflect.get(target, key, receiver)),
  });
  const restore = () => {
    if (globalThis.Date === later) globalThis.Date = REAL_DATE;
  };
  globalThis.Date = later;
  const guard = setTimeout(restore, limitMs);
  guard.unref();
  try {
    return await run();
  } finally {
    clearTimeout(guard);
    restore();
  }
}
