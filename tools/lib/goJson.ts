/**
 * JSON text as Go's `encoding/json` writes it for the CLI's structured config values (pulumi sdk/go/common/resource/
 * config/plaintext.go `marshalText`: `json.Marshal(c.GoValue())`, whose maps are `map[string]any`): object keys sorted
 * at every depth in byte order of their UTF-8 ("The map keys are sorted", encoding/json `Marshal`), and `<`, `>`, `&`,
 * U+2028 and U+2029 escaped as `\u003c`-style sequences (Go's default HTML-safe escaping). The program reads the same
 * value either way; the order is what a program iterating a config map sees, so the offline run registers in the
 * order the real one does. The object text is written here, key by key: a JavaScript object would put integer-like
 * keys (`"9"`, `"10"`) first in numeric order whatever order they were added in.
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
  return JSON.stringify(value ?? null);
}
