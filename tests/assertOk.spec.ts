import { strict as assert } from "node:assert";
import { callerLine } from "./helpers/assertOk";

describe("assert.ok without a message (tests/helpers/assertOk.ts, loaded before every spec)", () => {
  it("fails at once, naming the calling expression, instead of Node re-parsing the spec", () => {
    const started = Date.now();
    assert.throws(
      () => assert.ok([1, 2].every((n) => n < 2)),
      (e: unknown) =>
        e instanceof assert.AssertionError &&
        /falsy value \(tests\/assertOk\.spec\.ts:\d+: .*assert\.ok\(\[1, 2\]\.every\(\(n\) => n < 2\)\)/.test(
          e.message,
        ),
    );
    assert.ok(Date.now() - started < 1_000);
  });

  it("takes a null message as none, marks its message generated, and puts the spec's line first in the stack", () => {
    assert.throws(
      () => assert.ok(0, null as unknown as string),
      (e: unknown) => e instanceof assert.AssertionError && /falsy value \(tests\/assertOk\.spec\.ts/.test(e.message),
    );
    assert.throws(
      () => assert.ok(false),
      (e: unknown) =>
        (e as assert.AssertionError).generatedMessage === true &&
        /assertOk\.spec\.ts/.test(String((e as Error).stack).split("\n")[1]),
    );
    assert.throws(
      () => assert.ok(false, "with a message"),
      (e: unknown) => /assertOk\.spec\.ts/.test(String((e as Error).stack).split("\n")[1]),
      "the spec's frame first, not the wrapper's",
    );
  });

  it("keeps Node's behaviour with a message, or a truthy value", () => {
    assert.throws(() => assert.ok(0, "zero"), /^AssertionError \[ERR_ASSERTION\]: zero$/);
    assert.doesNotThrow(() => assert.ok(1));
    assert.throws(() => (assert.ok as (...a: unknown[]) => void)(), /No value argument passed/);
  });

  it("reads the caller's line from a stack frame", () => {
    assert.equal(callerLine("Error\n    at nowhere (node:internal/x:1:1)"), undefined);
    assert.match(String(callerLine(new Error().stack)), /assertOk\.spec\.ts:\d+: assert\.match\(String\(callerLine/);
  });
});
