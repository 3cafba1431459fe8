/**
 * `assert.ok(value)` without a message, made cheap when it fails. Node builds that message by re-reading and parsing
 * the caller's source from the failing line onwards (lib/assert.js `getErrMessage`), which under tsx's source maps can
 * spin for minutes in a large spec: a synchronous loop no mocha timeout interrupts, so a failing test hung the run
 * instead of failing (platform.spec.ts, found by a mutation audit). Loaded before every spec (`.mocharc.json`
 * `require`): a failure without a message names the calling line instead.
 */
import nodeAssert from "node:assert";
import { readFileSync } from "node:fs";

const original = nodeAssert.ok;

/** The source line that called `assert.ok`, from the stack (file:line as tsx maps it), or undefined. */
export function callerLine(stack: string | undefined): string | undefined {
  const frame = (stack ?? "")
    .split("\n")
    .find((l, i) => i > 0 && !l.includes("assertOk.ts") && /\(?\/.+:\d+:\d+\)?$/.test(l));
  const m = frame ? /\(?((?:file:\/\/)?\/[^()]+?):(\d+):\d+\)?$/.exec(frame.trim()) : null;
  if (!m) return undefined;
  try {
    const lines = readFileSync(m[1].replace(/^file:\/\//, ""), "utf8").split("\n");
    // The call's lines, until its parentheses close (at most 12): a multi-line expression reads whole.
    const call: string[] = [];
    let depth = 0;
    for (let i = Number(m[2]) - 1; i < lines.length && call.length < 12; i++) {
      call.push(lines[i].trim());
      depth += (lines[i].match(/\(/g) ?? []).length - (lines[i].match(/\)/g) ?? []).length;
      if (depth <= 0) break;
    }
    return call.length === 0 ? undefined : `${m[1].split("/").slice(-2).join("/")}:${m[2]}: ${call.join(" ")}`;
  } catch {
    return undefined;
  }
}

function ok(this: unknown, ...args: unknown[]): void {
  // Node treats a null or undefined message as none (lib/assert.js innerOk: `message == null`).
  if (args.length === 0 || args[1] != null || args[0]) {
    try {
      (original as (...a: unknown[]) => void).apply(this, args);
    } catch (error) {
      // The spec's line first, not this wrapper's.
      if (error instanceof Error) Error.captureStackTrace(error, ok);
      throw error;
    }
    return;
  }
  const where = callerLine(new Error().stack);
  const error = new nodeAssert.AssertionError({
    message: `The expression evaluated to a falsy value${where ? ` (${where})` : ""}`,
    actual: args[0],
    expected: true,
    operator: "==",
    stackStartFn: ok,
  });
  // As Node marks the message it builds itself.
  error.generatedMessage = true;
  throw error;
}

// `node:assert` is itself `ok`, with `ok` and `strict.ok` pointing at it: specs call them through the module.
for (const target of [nodeAssert, nodeAssert.strict] as unknown as { ok: unknown }[]) {
  Object.defineProperty(target, "ok", { value: ok, writable: true, configurable: true, enumerable: true });
}
