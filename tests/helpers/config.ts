/** Shared by the config specs: the committed stacks' config as the program reads it, and the refusal assertion. */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { ConfigError, parseConfig, PROJECT, readRaw, type RawConfig } from "../../lib/config";
import { loadStackConfig } from "../../tools/lib/stackConfig";

const ROOT = path.resolve(__dirname, "../..");

/** The committed stack's config as the program reads it (stack file + Pulumi.yaml defaults). */
export function rawOf(stack: "dev" | "prod"): RawConfig {
  const { config } = loadStackConfig(ROOT, stack);
  return readRaw((key) => config[`${PROJECT}:${key}`]) as RawConfig;
}

/** Asserts that parsing fails with a ConfigError whose message matches `expected` (the key, the value, what is allowed). */
export function rejectsConfig(raw: Record<string, unknown>, stack: string, expected: RegExp): void {
  assert.throws(
    () => parseConfig(raw, stack),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      assert.match(e.message, expected);
      return true;
    },
  );
}
