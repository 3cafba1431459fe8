/**
 * Object schemas that refuse settings they do not declare. zod's plain objects drop unknown keys silently, so a
 * misspelt setting (`autoPauseDelayMinute`) would leave the default in force with no word said; here it is an error
 * naming the key, the closest declared one and the settings allowed at that place.
 */
import { z } from "zod";

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The declared name closest to `key` (case ignored), when it is close enough to be a misspelling. */
export function closest(key: string, declared: readonly string[]): string | undefined {
  const scored = declared
    .map((d) => ({ d, score: editDistance(key.toLowerCase(), d.toLowerCase()) }))
    .sort((x, y) => x.score - y.score);
  const best = scored[0];
  return best && best.score <= Math.max(2, Math.floor(key.length / 4)) ? best.d : undefined;
}

/** What is said of settings a place does not declare (one sentence per key, then the allowed ones). */
export function unknownSettingsMessage(keys: readonly string[], declared: readonly string[]): string {
  const each = keys.map((k) => {
    const near = closest(k, declared);
    return `${JSON.stringify(k)} is not a setting${near ? ` (did you mean ${near}?)` : ""}`;
  });
  return `${each.join("; ")}; the settings here are ${declared.join(", ")}`;
}

/** `z.strictObject` whose unknown-key error names each key, its likely intended name and the declared settings. */
export function settings<S extends z.ZodRawShape>(shape: S) {
  const declared = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? unknownSettingsMessage(issue.keys, declared) : undefined),
  });
}
