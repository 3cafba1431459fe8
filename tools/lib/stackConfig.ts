/**
 * Reads a stack's configuration without the CLI: Pulumi.<stack>.yaml values, then Pulumi.yaml `config:` defaults
 * for keys the stack does not set (the CLI's precedence). Structured values become JSON strings (as the
 * CLI passes them to programs); `secure:` values cannot be decrypted offline and become marked placeholders.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export interface StackConfig {
  readonly project: string;
  readonly stack: string;
  /** `<namespace>:<key>` → string value. */
  readonly config: Record<string, string>;
  /** Keys whose values are secret. */
  readonly secretKeys: string[];
}

export class StackConfigError extends Error {
  override name = "StackConfigError";
}

/** Placeholder given to the program for a `secure:` value. */
export function secretPlaceholder(key: string): string {
  return `https://secret.invalid/${encodeURIComponent(key)}`;
}

function readYaml(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new StackConfigError(`${path.basename(file)} not found in ${path.dirname(file)}`);
  try {
    return (parse(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new StackConfigError(`${path.basename(file)} is not valid YAML: ${(e as Error).message}`);
  }
}

function toConfigString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Loads `Pulumi.yaml` and `Pulumi.<stack>.yaml` (or `stackFile`) from `dir`. */
export function loadStackConfig(dir: string, stack: string, stackFile?: string): StackConfig {
  const project = readYaml(path.join(dir, "Pulumi.yaml"));
  const name = project.name;
  if (typeof name !== "string") throw new StackConfigError("Pulumi.yaml has no project name");
  const file = stackFile ?? path.join(dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    const stacks = fs
      .readdirSync(dir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => !!s);
    throw new StackConfigError(`unknown stack '${stack}': no ${path.basename(file)} (stacks: ${stacks.join(", ")})`);
  }
  const stackYaml = readYaml(file);
  const values = (stackYaml.config ?? {}) as Record<string, unknown>;
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(values)) {
    const key = rawKey.includes(":") ? rawKey : `${name}:${rawKey}`;
    if (value && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      config[key] = secretPlaceholder(key);
      secretKeys.push(key);
    } else {
      config[key] = toConfigString(value);
    }
  }
  const declared = (project.config ?? {}) as Record<string, unknown>;
  for (const [rawKey, decl] of Object.entries(declared)) {
    const key = rawKey.includes(":") ? rawKey : `${name}:${rawKey}`;
    if (key in config) continue;
    if (decl && typeof decl === "object" && !Array.isArray(decl)) {
      const d = decl as Record<string, unknown>;
      if ("default" in d) config[key] = toConfigString(d.default);
      else if ("value" in d) config[key] = toConfigString(d.value);
    } else if (decl !== undefined && decl !== null) {
      config[key] = toConfigString(decl);
    }
  }
  return { project: name, stack, config, secretKeys };
}
