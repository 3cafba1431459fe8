/**
 * Object schemas that refuse settings they do not declare. zod's plain objects drop unknown keys silently, so a
 * misspelt setting (`autoPauseDelayMinute`) would leave the default in force with no word said; here it is an error
 * naming the key, the closest declared one and the settings allowed at that place.
 */
import { z } from "../zod";

/** Edit distance (insertions, deletions, substitutions, and a swap of two neighbours), for "did you mean". */
export function editDistance(a: string, b: string): number {
  // Optimal string alignment: the Levenshtein table with a transposition step, so "sotrage" is one edit from "storage".
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The declared name closest to `key` (case ignored), when it is close enough to be a misspelling: at most one edit in
 * three characters of the shorter of the two names (at least one edit), so a short key is not "corrected" into an
 * unrelated short name (`db` is not `hub`, `sku` is not `sql`).
 */
export function closest(key: string, declared: readonly string[]): string | undefined {
  const scored = declared
    .map((d) => ({ d, score: editDistance(key.toLowerCase(), d.toLowerCase()) }))
    .filter(({ d, score }) => score <= Math.max(1, Math.floor(Math.min(key.length, d.length) / 3)))
    .filter(({ d, score }) => score < Math.min(key.length, d.length))
    .sort((x, y) => x.score - y.score);
  return scored[0]?.d;
}

/** What is said of settings a place does not declare (one sentence per key, then the allowed ones). */
export function unknownSettingsMessage(keys: readonly string[], declared: readonly string[]): string {
  const each = keys.map((k) => {
    const near = closest(k, declared);
    return `${JSON.stringify(k)} is not a setting${near ? ` (did you mean ${near}?)` : ""}`;
  });
  return `${each.join("; ")}; the settings here are ${declared.join(", ")}`;
}

/**
 * The settings a place declares, as its unknown-key error lists them: every key of its shape but a removed setting
 * (`z.never().optional()`, refused with its own message), which is not offered as one to use. tests/configDocs.spec.ts
 * reads it to hold docs/configuration.md to the settings the validator accepts.
 */
export function declaredSettings(shape: z.ZodRawShape): string[] {
  const removed = (s: unknown) => s instanceof z.ZodOptional && s.unwrap() instanceof z.ZodNever;
  return Object.keys(shape).filter((k) => !removed(shape[k]));
}

/** `z.strictObject` whose unknown-key error names each key, its likely intended name and the declared settings. */
export function settings<S extends z.ZodRawShape>(shape: S) {
  const declared = declaredSettings(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? unknownSettingsMessage(issue.keys, declared) : undefined),
  });
}
