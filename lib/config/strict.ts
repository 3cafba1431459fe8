/**
 * Object schemas that refuse settings they do not declare. zod's plain objects drop unknown keys silently, so a
 * misspelt setting (`autoPauseDelayMinute`) would leave the default in force with no word said; here it is an error
 * naming the key, the closest declared one and the settings allowed at that place.
 */
import { closest } from "../closest";
import { z } from "../zod";

export { closest, editDistance } from "../closest";

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
