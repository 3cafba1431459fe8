import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { leanDebuggablePromise } from "../tools/lib/engine";

const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable") as {
  debuggablePromise<T>(p: Promise<T>, ctx: string): Promise<T>;
};
const { getStore } = require("@pulumi/pulumi/runtime/state") as {
  getStore(): { leakCandidates: Set<Promise<unknown>> };
};

describe("offline engine: the SDK's debuggablePromise without its debugging labels", () => {
  const settleOrder = async (first: "sdk" | "lean", rejected: boolean) => {
    const order: string[] = [];
    const make = () => (rejected ? Promise.reject(new Error("x")) : Promise.resolve(1));
    const via = {
      sdk: () => debuggablePromise(make(), "test"),
      lean: () => leanDebuggablePromise(make()),
    };
    const second = first === "sdk" ? "lean" : "sdk";
    const done = [first, second].map((k) =>
      via[k as "sdk" | "lean"]().then(
        () => order.push(k),
        () => order.push(k),
      ),
    );
    await Promise.all(done);
    return order;
  };

  it("settles in the same turn as the SDK's, resolved or rejected", async () => {
    for (const rejected of [false, true]) {
      assert.deepEqual(await settleOrder("sdk", rejected), ["sdk", "lean"]);
      assert.deepEqual(await settleOrder("lean", rejected), ["lean", "sdk"]);
    }
  });

  it("keeps the leak candidates the SDK's exit-time check reads, and marks a rejection with its promise", async () => {
    let release: (v: number) => void = () => undefined;
    const pending = new Promise<number>((resolve) => (release = resolve));
    const wrapped = leanDebuggablePromise(pending);
    assert.ok(getStore().leakCandidates.has(pending));
    release(7);
    assert.equal(await wrapped, 7);
    assert.ok(!getStore().leakCandidates.has(pending));
    const failing = Promise.reject(new Error("boom"));
    const err = (await leanDebuggablePromise(failing).catch((e: unknown) => e)) as Error & { promise?: unknown };
    assert.equal(err.message, "boom");
    assert.equal(err.promise, failing);
    assert.ok(!getStore().leakCandidates.has(failing));
  });
});

describe("offline engine: the SDK code it stands in for", () => {
  // tools/lib/engine.ts repeats MockMonitor.registerResource step for step and debuggablePromise without its labels,
  // as written in @pulumi/pulumi 3.248.0. A new SDK that changes either fails here, for a review of the engine.
  it("is MockMonitor.registerResource and debuggablePromise as the engine was written against", () => {
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as {
      MockMonitor: { prototype: { registerResource: (...args: never[]) => unknown } };
    };
    const digest = (f: (...args: never[]) => unknown) =>
      createHash("sha256").update(f.toString()).digest("hex").slice(0, 16);
    assert.equal(digest(MockMonitor.prototype.registerResource), "8f7dad51cedba58f");
    assert.equal(digest(debuggablePromise), "bf5c7b37cd7aea03");
  });
});
