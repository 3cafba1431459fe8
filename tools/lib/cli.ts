/**
 * Shared command-line plumbing for the offline tools: argument parsing, the exit-code contract
 * (0 no mandatory violation, 1 mandatory violations, 2 bad usage / bad config / program error) and
 * one-line errors (stack traces only with --verbose).
 */
import * as fs from "node:fs";
import { closest } from "../../lib/closest";
import * as path from "node:path";

export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * A whole-number option (`--attempts`, `--delay-seconds`): its default when absent, else the number given, which must
 * be at least `min` (a bad value would otherwise make a wait loop run forever: `attempt >= NaN` is never true).
 */
export function intOption(
  values: Readonly<Record<string, string>>,
  name: string,
  fallback: number,
  min: number,
): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name} must be a whole number of at least ${min} (got '${text}')`);
  return n;
}

/** Error kinds by class name (the classes live in modules this file must not load: it stays cheap to import). */
const KINDS: Readonly<Record<string, string>> = {
  UsageError: "usage",
  ConfigError: "config",
  StackConfigError: "config",
  PolicyConfigError: "policy config",
  ExportFormatError: "export",
  ShipError: "ship",
  EnvironmentError: "environment",
};

/** What the machine lacks for a command (a tool not installed, a network not reached): printed without a stack hint. */
export class EnvironmentError extends Error {
  override name = "EnvironmentError";
}

/** What each command the tools run needs, for the error when it is not installed. */
const COMMANDS: Readonly<Record<string, string>> = {
  az: 'the Azure CLI: install it and `az login` (README, "Deploying for real")',
  pulumi: 'the Pulumi CLI: install it and `pulumi login` (README, "Deploying for real")',
  git: "git",
};

/**
 * A command the tool runs that is not there (`spawnSync az ENOENT`): what the operator has to install, in one line,
 * instead of a program error. (A request that reached no server is an EnvironmentError where it is made.)
 */
export function environmentProblem(e: unknown): string | undefined {
  const err = e as { code?: unknown; syscall?: unknown; path?: unknown; message?: unknown; cause?: unknown };
  if (err?.code === "ENOENT" && typeof err.syscall === "string" && err.syscall.startsWith("spawn")) {
    const command = String(err.path ?? err.syscall.split(" ").pop());
    return `'${command}' is not installed or not on PATH: this command needs ${COMMANDS[command] ?? command}`;
  }
  return undefined;
}

export interface ParsedArgs {
  readonly values: Record<string, string>;
  readonly flags: Set<string>;
}

/**
 * Parses `--name value` options and `--flag` switches; rejects anything not declared (naming the closest declared
 * one), and an option given twice. `env` is the environment npm ran the tool in: `npm run <script> --stack dev`
 * (the `--` forgotten) takes `--stack` as an npm setting (`npm_config_stack`) and hands the tool `dev` alone, which the
 * error then explains.
 */
export function parseArgs(
  argv: readonly string[],
  options: readonly string[],
  flags: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): ParsedArgs {
  const values: Record<string, string> = {};
  const set = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [key, inline] = arg.startsWith("--") ? arg.slice(2).split(/=(.*)/s, 2) : [undefined, undefined];
    if (key && flags.includes(key) && inline === undefined) {
      set.add(key);
    } else if (key && options.includes(key)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${key} needs a value`);
      if (key in values && values[key] !== value)
        throw new UsageError(`--${key} given twice ('${values[key]}', then '${value}'): give it once`);
      values[key] = value;
    } else if (key && flags.includes(key)) {
      throw new UsageError(`--${key} takes no value (got '${arg}')`);
    } else if (key) {
      const near = closest(key, [...options, ...flags]);
      throw new UsageError(`unknown argument '${arg}'${near ? ` (did you mean --${near}?)` : ""}`);
    } else {
      // An option npm took for its own: its name is in the environment as an npm setting.
      const script = env.npm_lifecycle_event;
      const swallowed = options.find((o) => env[`npm_config_${o.replace(/-/g, "_")}`] !== undefined);
      throw new UsageError(
        `unknown argument '${arg}'` +
          (script && swallowed
            ? ` (npm took --${swallowed} for itself: options go after --, as in npm run ${script} -- --${swallowed} ${arg})`
            : ""),
      );
    }
  }
  return { values, flags: set };
}

/**
 * The usage error of a required option left out; when npm took it for itself (`npm run x --stack=dev`, the `--`
 * forgotten: npm keeps it as `npm_config_stack`), the error says so.
 */
export function missingOption(
  name: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): UsageError {
  const swallowed = env[`npm_config_${name.replace(/-/g, "_")}`];
  const script = env.npm_lifecycle_event;
  return new UsageError(
    `--${name} is required` +
      (swallowed !== undefined && script
        ? ` (npm took --${name} for itself: options go after --, as in npm run ${script} -- --${name} <value>)`
        : ""),
  );
}

/**
 * The stack and project two exports are of (from their URNs, `urn:pulumi:<stack>::<project>::…`), refused when they
 * differ: `changes` and `cost:diff` compare two versions of one stack (a dev base against a prod head would list every
 * resource as deleted and created). An empty export says nothing and is taken.
 */
export function sameStackExports(
  base: readonly { readonly urn: string }[],
  head: readonly { readonly urn: string }[],
): void {
  const of = (records: readonly { readonly urn: string }[]) => {
    const [stackPart, project] = records[0]?.urn.split("::") ?? [];
    return stackPart ? `${stackPart.split(":")[2]}/${project}` : undefined;
  };
  const [b, h] = [of(base), of(head)];
  if (b && h && b !== h)
    throw new UsageError(
      `the base export is of stack ${b} and the head of ${h}: compare two exports of one stack (stack/project)`,
    );
}

/** The repository's root (this file is tools/lib/cli.ts). */
const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * What a generator's command does with the files it renders (`[path, content]`): writes them, or with `check` writes
 * nothing and answers 1 naming each file that differs (or is missing) with the command that regenerates it.
 */
export function writeOrCheck(files: readonly (readonly [string, string])[], check: boolean, command: string): number {
  // Named from the repository's root, as `npm run` runs the command there.
  const rel = (f: string) => path.relative(REPO_ROOT, f);
  if (check) {
    const stale = files.filter(([f, t]) => !fs.existsSync(f) || fs.readFileSync(f, "utf8") !== t);
    for (const [f] of stale) console.error(`${rel(f)} is stale: run \`${command}\``);
    if (stale.length === 0) console.log(`${files.map(([f]) => rel(f)).join(", ")}: up to date`);
    return stale.length > 0 ? 1 : 0;
  }
  for (const [f, t] of files) writeFile(f, t);
  console.log(`wrote ${files.map(([f]) => rel(f)).join(", ")}`);
  return 0;
}

export function writeFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, content);
}

/** Runs a tool's main function with the exit-code contract. */
export function runCli(usage: string, main: (argv: string[]) => Promise<number>): void {
  const argv = process.argv.slice(2);
  const verbose = argv.includes("--verbose");
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    process.exit(0);
  }
  const fail = (e: unknown) => {
    const err = e as Error;
    const environment = environmentProblem(e);
    const kind = environment ? "environment" : (KINDS[err?.name] ?? "program");
    const message = (environment ?? err?.message ?? String(e)).split("\n").join("\n       ");
    console.error(`error (${kind}): ${message}`);
    if (kind === "usage") console.error(usage);
    if (verbose && err?.stack) {
      console.error(err.stack);
      // Without source maps the frames of the project's modules give lines of their transpiled JavaScript.
      if (!process.sourceMapsEnabled)
        console.error(
          "       (the JavaScript's lines: NODE_OPTIONS=--enable-source-maps for the TypeScript's, slower)",
        );
    } else if (kind === "program") console.error("       (run with --verbose for the stack trace)");
    process.exit(2);
  };
  // A rejection nobody handles, outside a program run (the offline engine listens while it runs the program and
  // reports what it hears there): an error of the tool or of a program's apply that settled after the run. Node
  // would crash with exit 1, the code of mandatory violations; it is an error like any other (exit 2).
  const unhandled = (e: unknown) => {
    if (process.listenerCount("unhandledRejection") > 1) return;
    fail(e);
  };
  process.on("unhandledRejection", unhandled);
  main(argv).then((code) => process.exit(code), fail);
}
