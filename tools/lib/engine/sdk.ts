/**
 * The SDK's own bookkeeping made lighter for a mocked run: its debuggable promises without their debugging labels and
 * its output properties made on first read. Installed by runProgram for the run, unless --verbose.
 */
import * as pulumi from "@pulumi/pulumi";

/** @pulumi/pulumi's runtime/debuggable.js and runtime/state.js (internal modules; every caller reads the export). */
export const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
  debuggablePromise<T>(p: Promise<T>, ctx: string): Promise<T>;
  readonly debugPromiseLeaks: boolean;
};
export const sdkState = require("@pulumi/pulumi/runtime/state") as {
  getStore(): { leakCandidates: Set<Promise<unknown>> };
};

/**
 * The SDK's `debuggablePromise` (runtime/debuggable.js) without its debugging labels: the same leak-candidate
 * bookkeeping (what its exit-time leak check reads) and the same `then`/`catch` chain (so every registration settles
 * in the same turn as before), but not the three properties it defines on every promise (an id, a context string and
 * a `new Error().stack`), which only `PULUMI_DEBUG_PROMISE_LEAKS` prints, and with which it stays. Every Output
 * property of every resource goes through it four times: dropping the labels took about 0.5 s off the prod
 * preview's 4.5 s of CPU time (runs interleaved), with their garbage collection.
 */
export function leanDebuggablePromise<T>(p: Promise<T>): Promise<T> {
  const localStore = sdkState.getStore();
  localStore.leakCandidates.add(p);
  return p
    .then((val) => {
      localStore.leakCandidates.delete(p);
      return val;
    })
    .catch((err: { promise?: Promise<T> }) => {
      localStore.leakCandidates.delete(p);
      err.promise = p;
      throw err;
    });
}

/** A resolver `transferProperties` returns for one output property: `(value, isKnown, isSecret, deps, err)`. */
type PropertyResolver = (...args: unknown[]) => void;
export type TransferProperties = (
  onto: Record<string, unknown>,
  label: string,
  props: Record<string, unknown>,
) => Record<string, PropertyResolver>;

/** @pulumi/pulumi's runtime/rpc.js (an internal module; runtime/resource.js calls it through its exports). */
export const rpc = require("@pulumi/pulumi/runtime/rpc") as { transferProperties: TransferProperties };

/**
 * The SDK's `transferProperties` (runtime/rpc.js) with each output property's Output made on first read instead of
 * at construction. The SDK gives a custom resource one Output per property of its type as soon as it is constructed
 * (four promises with their debugging wrappers, the Output's own promise chain and a Proxy: about 20 promises
 * each), which stay pending until the registration is answered, so every young-generation collection copies them;
 * a program reads few of them (the prod stack reads about 200 of its 8,000). Here the property is a getter until
 * first read: then the SDK's own `transferProperties` makes its Output (a plain data property, as before) and
 * replays the resolution if it came first. An Output read before the registration is answered, which is when the
 * program reads them, settles in the same order as before, and one never read settles nothing anyone observes; one
 * first read after the answer settles a few promise jobs later than a ready-made one would have (the same values).
 * The property's label string is still made (`safeToString` can throw, as before), and assigning the property
 * replaces it as before.
 */
export function lazyTransferProperties(transfer: TransferProperties): TransferProperties {
  return (onto, label, props) => {
    const resolvers: Record<string, PropertyResolver> = {};
    for (const k of Object.keys(props)) {
      if (k === "id" || k === "urn") continue;
      if (Object.prototype.hasOwnProperty.call(onto, k))
        throw new Error(`Property '${k}' is already initialized on target '${label}`);
      const value = props[k];
      // The SDK's label of the property's promises: only its exceptions matter (an object that cannot be a string).
      if (!pulumi.Output.isInstance(value)) void `${value}`;
      const replay: unknown[][] = [];
      let resolve: PropertyResolver | undefined;
      const data = (v: unknown) =>
        Object.defineProperty(onto, k, { value: v, writable: true, enumerable: true, configurable: true });
      Object.defineProperty(onto, k, {
        enumerable: true,
        configurable: true,
        get: () => {
          delete onto[k];
          resolve = transfer(onto, label, { [k]: value })[k];
          for (const args of replay) resolve(...args);
          replay.length = 0;
          return onto[k];
        },
        set: data,
      });
      resolvers[k] = (...args) => (resolve ? resolve(...args) : void replay.push(args));
    }
    return resolvers;
  };
}
