/**
 * JSON text as Go's `encoding/json` writes it for the CLI's structured config values (pulumi sdk/go/common/resource/
 * config/plaintext.go `marshalText`: `json.Marshal(c.GoValue())`, whose maps are `map[string]any`): object keys sorted
 * at every depth in byte order of their UTF-8 ("The map keys are sorted", encoding/json `Marshal`), and `<`, `>`, `&`,
 * U+2028 and U+2029 escaped as `\u003c`-style sequences (Go's default HTML-safe escaping). The program reads the same
 * value either way; the order is what a program iterating a config map sees, so the offline run registers in the
 * order the real one does. The object text is written here, key by key: a JavaScript object would put integer-like
 * keys (`"9"`, `"10"`) first in numeric order whatever order they were added in. An integer past 2^53 (a bigint
 * from tools/lib/goYaml.ts) is written exactly, as Go writes an int64 or uint64; NaN and the infinities are refused
 * with Go's error (`GoJsonError`).
 */
export function goJson(value: unknown): string {
  return text(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function text(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(text).join(",")}]`;
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${text(o[k])}`).join(",")}}`;
  }
  if (typeof value === "bigint") return String(value);
  if (typeof value === "number" && !Number.isFinite(value)) throw new GoJsonError(value);
  // Go writes a negative zero float as `-0` (strconv's 'f' format); JSON.stringify drops the sign.
  if (Object.is(value, -0)) return "-0";
  return JSON.stringify(value ?? null);
}

/**
 * `json.Marshal`'s refusal of a float JSON cannot write (encoding/json `UnsupportedValueError`, the value as
 * `strconv.FormatFloat(f, 'g', -1, 64)` writes it): a stack value of `.nan` or `.inf`.
 */
export class GoJsonError extends Error {
  override name = "GoJsonError";
  constructor(value: number) {
    super(`json: unsupported value: ${Number.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf"}`);
  }
}
