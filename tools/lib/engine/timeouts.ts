/**
 * Custom timeouts as the CLI reads them from a registration: Go's `time.ParseDuration`, step for step, and the
 * seconds the engine keeps.
 */

/** Nanoseconds per unit of Go's `time.ParseDuration` (time/format.go `unitMap`; µ as U+00B5 or U+03BC). */
const GO_DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const TWO_63 = 1n << 63n;
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/**
 * Go's `time.ParseDuration` (time/format.go), step for step in nanoseconds as a uint64: an optional sign, then
 * numbers each with a unit (`12h`, `1h30m`, `1.5s`; a bare `0`); undefined where Go returns an error, which includes a
 * whole or a running sum beyond its range (about 2562047h). Each fraction is added as Go adds it, through a float64
 * and truncated to the nanosecond.
 */
export function goParseDuration(value: string): bigint | undefined {
  let s = value;
  let d = 0n;
  let neg = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return undefined;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) return undefined;
    // leadingInt: [0-9]*, failing past 1<<63.
    let v = 0n;
    let i = 0;
    for (; isDigit(s[i]); i++) {
      if (v > TWO_63 / 10n) return undefined;
      v = v * 10n + BigInt(s[i]);
      if (v > TWO_63) return undefined;
    }
    const pre = i > 0;
    s = s.slice(i);
    // leadingFraction: (\.[0-9]*)?, which stops taking precision rather than failing.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === ".") {
      s = s.slice(1);
      let overflow = false;
      let j = 0;
      for (; isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > (TWO_63 - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s[j]);
        if (y > TWO_63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) return undefined;
    let u = 0;
    while (u < s.length && s[u] !== "." && !isDigit(s[u])) u++;
    if (u === 0) return undefined;
    const unit = Object.hasOwn(GO_DURATION_UNITS, s.slice(0, u)) ? GO_DURATION_UNITS[s.slice(0, u)] : undefined;
    s = s.slice(u);
    if (unit === undefined) return undefined;
    if (v > TWO_63 / unit) return undefined;
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) return undefined;
    }
    // uint64 arithmetic: a sum of two values at 1<<63 wraps to 0, as Go's does.
    d = BigInt.asUintN(64, d + v);
    if (d > TWO_63) return undefined;
  }
  if (neg) return BigInt.asIntN(64, -BigInt.asIntN(64, d));
  return d > TWO_63 - 1n ? undefined : d;
}

/**
 * A custom timeout in seconds, as the CLI reads it from a registration (pkg/resource/deploy/source_eval.go
 * `generateTimeoutInSeconds`: `time.ParseDuration`, then `Duration.Seconds()`), failing with its resource monitor's
 * error ("unable to parse customTimeout Value …").
 */
export function customTimeoutSeconds(value: string): number {
  const ns = goParseDuration(value);
  if (ns === undefined) throw new Error(`unable to parse customTimeout Value ${value}`);
  // time.Duration.Seconds: whole seconds plus the remaining nanoseconds, each as a float64.
  const second = 1_000_000_000n;
  return Number(ns / second) + Number(ns % second) / 1e9;
}

/**
 * A registration's custom timeouts in seconds, as the CLI keeps them (resource.CustomTimeouts: create, update, delete,
 * read, a zero left out). Parsed in the resource monitor's order (source_eval.go: create, delete, update, read), so that
 * of two unparseable values the error names the one the CLI names.
 */
export function customTimeoutsOf(
  timeouts: { getCreate(): string; getUpdate(): string; getDelete(): string; getRead(): string } | undefined,
) {
  if (!timeouts) return undefined;
  const seconds = (v: string) => (v === "" ? 0 : customTimeoutSeconds(v));
  const create = seconds(timeouts.getCreate());
  const del = seconds(timeouts.getDelete());
  const update = seconds(timeouts.getUpdate());
  const read = seconds(timeouts.getRead());
  const out: { create?: number; update?: number; delete?: number; read?: number } = {};
  if (create !== 0) out.create = create;
  if (update !== 0) out.update = update;
  if (del !== 0) out.delete = del;
  if (read !== 0) out.read = read;
  return Object.keys(out).length > 0 ? out : undefined;
}
