/** Shared by the config specs: the committed stacks' config as the program reads it, and the refusal assertion. */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { ConfigError, parseConfig, PROJECT, readRaw, type RawConfig } from "../../lib/config";
import { loadStackConfig } from "../../tools/lib/stackConfig";

const ROOT = path.resolve(__dirname, "../..");

const loaded = new Map<string, RawConfig>();

/**
 * The committed stack's config as the program reads it (stack file + Pulumi.yaml defaults): a copy of its own for
 * each call (callers edit it), the files read once per test process (about a hundred calls, 40 ms each to parse).
 */
export function rawOf(stack: "dev" | "prod"): RawConfig {
  let raw = loaded.get(stack);
  if (!raw) {
    const { config } = loadStackConfig(ROOT, stack);
    raw = readRaw((key) => config[`${PROJECT}:${key}`]) as RawConfig;
    loaded.set(stack, raw);
  }
  return structuredClone(raw);
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

/** dev's subnets as the config carves them from 10.20.0.0/16 (never reordered: adding a role moves none). */
export const CARVED_DEV_SUBNETS = {
  privateEndpoints: "10.20.0.0/24",
  functions: "10.20.1.0/26",
  appGateway: "10.20.2.0/24",
  mlCompute: "10.20.3.0/24",
  streamAnalytics: "10.20.4.0/26",
  firewall: "10.20.4.64/26",
  flexFunctions: "10.20.5.0/24",
} as const;
