/** The program a view runs: a stack's config and entry. */
import * as path from "node:path";
import type { RunProgramOptions } from "../engine";
import { ROOT } from "./common";

/** The program run of a stack: its config (Pulumi.yaml and the stack file) and entry. */
export function programOf(opts: {
  readonly stack: string;
  readonly root?: string;
  readonly stackFile?: string;
  readonly program?: string;
  readonly debug?: boolean;
}): RunProgramOptions & { readonly warnings?: readonly string[]; readonly tags?: Readonly<Record<string, string>> } {
  const root = opts.root ?? ROOT;
  // Loaded here, not with this module: the worker, which gets the program's options, never parses YAML.
  const { loadStackConfig } = require("../stackConfig") as typeof import("../stackConfig");
  const sc = loadStackConfig(root, opts.stack, opts.stackFile);
  return { ...sc, program: opts.program ?? path.join(root, "index.ts"), root, debug: opts.debug };
}
