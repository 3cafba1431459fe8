import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { structSample } from "./helpers/structSample";
import {
  customTimeoutSeconds,
  customTimeoutsOf,
  declaredAliases,
  DuplicateUrn,
  goParseDuration,
  lazyTransferProperties,
  leanDebuggablePromise,
  resourceUrn,
  runProgram,
  structKeys,
  structStandIn,
  structValue,
} from "../tools/lib/engine";
import { programOf } from "../tools/lib/deployedView";
import { options, runPolicies, type ResourceRecord } from "../tools/lib/policyRunner";
import { fromStackExport, toStackExport } from "../tools/lib/preview";
import type { PolicyResourceOptions } from "@pulumi/policy";

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

type Resolver = (...args: unknown[]) => void;
type Transfer = (
  onto: Record<string, unknown>,
  label: string,
  props: Record<string, unknown>,
) => Record<string, Resolver>;
const { transferProperties } = require("@pulumi/pulumi/runtime/rpc") as { transferProperties: Transfer };
/** The members of an Output the SDK itself reads (output.js OutputImpl). */
interface OutputInternals {
  promise(withUnknowns?: boolean): Promise<unknown>;
  readonly isKnown: Promise<boolean>;
  readonly isSecret: Promise<boolean>;
  allResources(): Promise<Set<unknown>>;
}
const internals = (o: unknown) => o as OutputInternals;

describe("offline engine: the SDK's transferProperties with each Output made on first read", () => {
  const lazy = lazyTransferProperties(transferProperties);
  const props = () => ({ id: undefined, urn: undefined, name: "n", tags: { a: "b" }, location: undefined });
  const settled = async (o: unknown) => {
    const out = internals(o);
    return [await out.promise(true), await out.isKnown, await out.isSecret, (await out.allResources()).size];
  };
  const dep = {} as pulumi.Resource;

  it("gives the same properties, Outputs and values as the SDK's, read before or after the answer", async () => {
    const sdkOnto: Record<string, unknown> = {};
    const lazyOnto: Record<string, unknown> = {};
    const sdk = transferProperties(sdkOnto, "resource:x", props());
    const ours = lazy(lazyOnto, "resource:x", props());
    assert.deepEqual(Object.keys(ours), Object.keys(sdk));
    assert.deepEqual(Object.keys(lazyOnto), Object.keys(sdkOnto));
    assert.ok(Object.getOwnPropertyDescriptor(lazyOnto, "tags")?.get, "not made before it is read");
    const early = lazyOnto.name;
    assert.ok(pulumi.Output.isInstance(early));
    assert.equal(lazyOnto.name, early, "made once, then a plain property");
    const shape = (o: Record<string, unknown>) => ({ ...Object.getOwnPropertyDescriptor(o, "name"), value: "" });
    assert.deepEqual(shape(lazyOnto), shape(sdkOnto));
    for (const [k, args] of [
      ["name", ["n", true, false, [dep]]],
      ["tags", [{ a: "b" }, true, true]],
      ["location", [undefined, false, false]],
    ] as const) {
      sdk[k](...args);
      ours[k](...args);
    }
    for (const k of ["name", "tags", "location"]) {
      assert.deepEqual(await settled(lazyOnto[k]), await settled(sdkOnto[k]), k);
      assert.ok(pulumi.Output.isInstance(lazyOnto[k]));
    }
    lazyOnto.location = "assigned";
    assert.equal(lazyOnto.location, "assigned");
  });

  it("settles an Output read before the answer in the same turn as the SDK's", async () => {
    for (const first of ["sdk", "lazy"] as const) {
      const order: string[] = [];
      const sdkOnto: Record<string, unknown> = {};
      const lazyOnto: Record<string, unknown> = {};
      const resolvers = {
        sdk: transferProperties(sdkOnto, "resource:x", { name: undefined }),
        lazy: lazy(lazyOnto, "resource:x", { name: undefined }),
      };
      const done = [
        (lazyOnto.name as pulumi.Output<unknown>).apply(() => order.push("lazy")),
        (sdkOnto.name as pulumi.Output<unknown>).apply(() => order.push("sdk")),
      ];
      const second = first === "sdk" ? "lazy" : "sdk";
      for (const k of [first, second] as const) resolvers[k].name("v", true, false);
      await Promise.all(done.map((o) => internals(o).promise()));
      assert.deepEqual(order, [first, second]);
    }
  });

  it("rejects as the SDK's on a failed registration, and refuses a property already set", async () => {
    const sdkOnto: Record<string, unknown> = {};
    const lazyOnto: Record<string, unknown> = {};
    const sdk = transferProperties(sdkOnto, "resource:x", { name: undefined });
    const ours = lazy(lazyOnto, "resource:x", { name: undefined });
    const err = new Error("failed");
    sdk.name(undefined, true, false, [], err);
    ours.name(undefined, true, false, [], err);
    const outcome = (o: unknown) =>
      internals(o)
        .promise()
        .then(
          () => "resolved",
          (e: unknown) => e,
        );
    assert.equal(await outcome(lazyOnto.name), await outcome(sdkOnto.name));
    const taken = { name: 1 };
    assert.throws(() => lazy(taken, "resource:y", { name: undefined }), /Property 'name' is already initialized/);
    assert.throws(
      () => transferProperties(taken, "resource:y", { name: undefined }),
      /Property 'name' is already initialized/,
    );
    const unprintable = { bad: Object.create(null) as unknown };
    assert.throws(() => transferProperties({}, "resource:z", unprintable), TypeError);
    assert.throws(() => lazy({}, "resource:z", unprintable), TypeError);
  });
});

describe("offline engine: Struct.fromJavaScript without the protobuf map, during a run", () => {
  const standIn = structStandIn(Struct.fromJavaScript);
  const sample = structSample({ nan: true });
  const inherited = sample.inherited;
  const values: unknown[] = [sample, {}, null, undefined, "ab", [1, { x: 2 }], inherited];

  it("reads as the real Struct: the same values, keys in the same order, a new object from the second read on", () => {
    for (const v of values) {
      const real = Struct.fromJavaScript(v as never);
      const ours = standIn(v as never);
      assert.ok(ours instanceof Struct);
      const first = ours.toJavaScript();
      assert.ok(isDeepStrictEqual(first, real.toJavaScript()), JSON.stringify(v));
      assert.equal(JSON.stringify(first), JSON.stringify(real.toJavaScript()));
      const second = ours.toJavaScript();
      assert.ok(isDeepStrictEqual(second, first));
      if (Object.keys(first).length > 0) assert.notEqual(second, first);
    }
  });

  it("names the keys of a Struct's value without copying it (structKeys), and throws as structValue", () => {
    for (const v of values.filter((x) => typeof x === "object" && x !== null && !Array.isArray(x)))
      assert.deepEqual(structKeys(v as Record<string, unknown>), Object.keys(structValue(v) as object));
    for (const bad of [{ a: undefined }, { b: { c: [1, undefined] } }, { f: () => 1 }])
      assert.throws(() => structKeys(bad), /^Error: Unexpected struct type\.$/);
  });

  it("throws where the real one throws, and is a request's object as a real one is", () => {
    for (const bad of [{ a: undefined }, { a: [1, undefined] }, { f: () => 1 }, { n: 1n }]) {
      assert.throws(() => Struct.fromJavaScript(bad as never), /^Error: Unexpected struct type\.$/);
      assert.throws(() => standIn(bad as never), /^Error: Unexpected struct type\.$/);
    }
    const req = new RegisterResourceRequest();
    const ours = standIn({ a: 1 });
    req.setObject(ours);
    assert.equal(req.getObject(), ours);
  });

  it("becomes a real Struct when its map is read (the SDK's getResource answer)", () => {
    for (const v of values) {
      for (const readFirst of [false, true]) {
        const real = Struct.fromJavaScript(v as never);
        const ours = standIn(v as never);
        if (readFirst) ours.toJavaScript();
        const map = ours.getFieldsMap();
        assert.deepEqual(
          map.getEntryList().map(([k]) => k),
          real
            .getFieldsMap()
            .getEntryList()
            .map(([k]) => k),
        );
        assert.deepEqual(ours.serializeBinary(), real.serializeBinary());
        assert.equal(JSON.stringify(ours.toJavaScript()), JSON.stringify(real.toJavaScript()));
        assert.equal(ours.getFieldsMap(), map);
      }
    }
  });
});

describe("offline engine: the SDK code it stands in for", () => {
  const digest = (f: (...args: never[]) => unknown) =>
    createHash("sha256").update(f.toString()).digest("hex").slice(0, 16);
  // tools/lib/engine/ repeats MockMonitor.registerResource step for step (run.ts) and debuggablePromise without its labels (sdk.ts),
  // as written in @pulumi/pulumi 3.248.0. A new SDK that changes either fails here, for a review of the engine.
  it("is MockMonitor.registerResource and debuggablePromise as the engine was written against", () => {
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as {
      MockMonitor: { prototype: { registerResource: (...args: never[]) => unknown } };
    };
    assert.equal(digest(MockMonitor.prototype.registerResource), "8f7dad51cedba58f");
    // A read's URN comes from `this.newUrn`, which the engine replaces with the engine's rule (resourceUrn).
    const { MockMonitor: M } = require("@pulumi/pulumi/runtime/mocks") as {
      MockMonitor: { prototype: { readResource: (...args: never[]) => unknown } };
    };
    assert.match(
      M.prototype.readResource.toString(),
      /const urn = this\.newUrn\(req\.getParent\(\), req\.getType\(\), req\.getName\(\)\);/,
    );
    assert.equal(digest(debuggablePromise), "bf5c7b37cd7aea03");
    // lazyTransferProperties wraps transferProperties, which runtime/resource.js calls through the module's exports.
    assert.equal(digest(transferProperties), "b3b1e2c206b5fca7");
    const resourceJs = fs.readFileSync(require.resolve("@pulumi/pulumi/runtime/resource.js"), "utf8");
    assert.equal(resourceJs.match(/rpc_1\.transferProperties\(/g)?.length, 1);
  });

  it("is google-protobuf's Struct, and the SDK reads every Struct of a run with toJavaScript or getFieldsMap", () => {
    // structStandIn stands in for Struct.fromJavaScript during a run (google-protobuf 3.21.4). Every line of the
    // SDK's runtime that makes or reads a Struct is pinned: a new reader (serializeBinary, getFieldsMap...) fails here.
    const pb = require(
      require.resolve("google-protobuf/google/protobuf/struct_pb", {
        paths: [path.dirname(require.resolve("@pulumi/pulumi/runtime/resource"))],
      }),
    ) as typeof import("google-protobuf/google/protobuf/struct_pb");
    assert.equal(pb.Struct, Struct);
    assert.deepEqual(
      [
        pb.Struct.fromJavaScript,
        pb.Struct.prototype.toJavaScript,
        pb.Value.fromJavaScript,
        pb.ListValue.fromJavaScript,
      ].map(digest),
      ["22ce8e2dc8e907cf", "030224937e0bfef7", "5447217473a92020", "04e865291daa4980"],
    );
    const dir = path.dirname(require.resolve("@pulumi/pulumi/runtime/resource"));
    const lines: string[] = [];
    for (const f of fs
      .readdirSync(dir)
      .filter((n) => n.endsWith(".js"))
      .sort()) {
      for (const l of fs.readFileSync(path.join(dir, f), "utf8").split("\n"))
        if (/Struct|toJavaScript|getFieldsMap/.test(l)) lines.push(`${f}: ${l.trim()}`);
    }
    assert.equal(createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 16), "14d10139a88c51ab");
  });
});

describe("offline engine: URNs as the engine forms them (deployment.go generateURN)", () => {
  const stackUrn = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev";
  it("leaves the root stack's type out and prefixes a child with its parent's full qualified type", () => {
    assert.equal(resourceUrn("dev", "p", "", "pulumi:pulumi:Stack", "p-dev"), stackUrn);
    assert.equal(
      resourceUrn("dev", "p", stackUrn, "payments:etl:Etl", "etl"),
      "urn:pulumi:dev::p::payments:etl:Etl::etl",
    );
    const inner = resourceUrn("dev", "p", "urn:pulumi:dev::p::a:b:Outer::o", "a:b:Inner", "i");
    assert.equal(inner, "urn:pulumi:dev::p::a:b:Outer$a:b:Inner::i");
    assert.equal(
      resourceUrn("dev", "p", inner, "random:index/randomString:RandomString", "leaf"),
      "urn:pulumi:dev::p::a:b:Outer$a:b:Inner$random:index/randomString:RandomString::leaf",
    );
  });

  describe("additionalSecretOutputs, as the CLI's step executor applies them", function () {
    this.timeout(60000);
    const program = programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/secretOutputs.ts") });
    for (const firstPreview of [true, false]) {
      it(`makes the listed outputs secret (never \`id\`), and what the program builds from one a secret input (${firstPreview ? "first preview" : "deployed"})`, async () => {
        const { resources } = await runProgram({ ...program, firstPreview });
        const [first, second] = ["first", "second"].map((n) => resources.find((r) => r.name === n));
        assert.deepEqual(first?.secretOutputKeys, ["name"], "id cannot be made secret (pulumi/pulumi#2717)");
        assert.deepEqual(first?.secretKeys, [], "the inputs stay as they were");
        // In a first preview the output is unknown, and the SDK serialises an unknown secret as plain unknown (its
        // serializeProperty): only once deployed does the tag arrive as a secret input.
        assert.deepEqual(second?.secretKeys, firstPreview ? [] : ["tags.from"]);
      });
    }

    it("hands the policy pack the options the CLI does, and keeps additionalSecretOutputs through an export", async () => {
      const run = await runProgram(program);
      const { resources } = run;
      const [first, second, third] = ["first", "second", "third"].map((n) => resources.find((r) => r.name === n));
      assert.ok(first && second && third);
      // step_generator.go: `AdditionalSecretOutputs: new.AdditionalSecretOutputs` (the registered list, `id` too);
      // `DeleteBeforeReplace: goal.DeleteBeforeReplace`, nil unless the program set it (server.js then leaves it out).
      assert.deepEqual(options(first).additionalSecretOutputs, ["name", "id"]);
      assert.ok(!("deleteBeforeReplace" in options(first)));
      assert.equal(options(second).deleteBeforeReplace, true);
      assert.equal(options(third).deleteBeforeReplace, false);
      assert.deepEqual(options(second).additionalSecretOutputs, []);
      // apitype.ResourceV3 `additionalSecretOutputs,omitempty`; policy:analyze over the export hands it on too.
      const exported = toStackExport(run).deployment.resources;
      assert.deepEqual(exported.find((r) => r.urn === first.urn)?.additionalSecretOutputs, ["name", "id"]);
      assert.ok(!("additionalSecretOutputs" in (exported.find((r) => r.urn === second.urn) ?? {})));
      // The program's own alias is kept as the state keeps it (a URN), the SDK's API-version aliases are not.
      assert.deepEqual(third.aliases, [third.urn.replace("::third", "::third-before-rename")]);
      assert.equal(first.aliases, undefined);
      assert.deepEqual(exported.find((r) => r.urn === third.urn)?.aliases, third.aliases);
      assert.deepEqual(
        declaredAliases([
          { type: "azure-native:resources/v20220901:ResourceGroup" },
          { name: "old" },
          "urn:pulumi:dev::p::t::x",
          { parent: "urn:pulumi:dev::p::t::elsewhere" },
          { parent: pulumi.output("urn:pulumi:dev::p::t::later") },
          { parent: undefined, stack: "other" },
          { type: "azure-native:network:PrivateZone" },
          { type: "test:x:Old" },
        ]),
        [
          { name: "old" },
          "urn:pulumi:dev::p::t::x",
          { parent: "urn:pulumi:dev::p::t::elsewhere" },
          { noParent: true, stack: "other" },
          { type: "azure-native:network:PrivateZone" },
          { type: "test:x:Old" },
        ],
        "the SDK's API-version aliases go; its former-module ones move a resource across an SDK upgrade, and stay",
      );
      const back = fromStackExport({ version: 3, deployment: { resources: exported } });
      assert.deepEqual(options(back.find((r) => r.urn === first.urn) ?? first).additionalSecretOutputs, ["name", "id"]);
    });
  });

  it("gives a child the aliases its renamed parent's alias implies (Pulumi's inherited child aliases)", async function () {
    this.timeout(60000);
    const { resources } = await runProgram(
      programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/aliasedComponent.ts") }),
    );
    const P = "urn:pulumi:dev::payments-data-platform::";
    const outer = resources.find((r) => r.type === "test:aliased:Outer");
    const inner = resources.find((r) => r.name === "inner");
    assert.deepEqual(outer?.aliases, [`${P}test:aliased:Outer::outer`, `${P}test:aliased:OldOuter::outer-renamed`]);
    assert.equal(inner?.urn, `${P}test:aliased:Outer$azure-native:resources:ResourceGroup::inner`);
    assert.deepEqual(inner?.aliases, [`${P}test:aliased:OldOuter$azure-native:resources:ResourceGroup::inner`]);
    // A child named after its parent takes the parent's old name in its own (step_generator.go inheritedChildAlias).
    const named = resources.find((r) => r.name === "outer-renamed-rg");
    assert.deepEqual(named?.aliases, [
      `${P}test:aliased:Outer$azure-native:resources:ResourceGroup::outer-rg`,
      `${P}test:aliased:OldOuter$azure-native:resources:ResourceGroup::outer-renamed-rg`,
    ]);
    // An alias to another parent (step_generator.go collapseAliasToUrn): the URN under that parent, and under the
    // parent's own old URNs; `{ parent: undefined }` is the top; a parent known only as an Output is not followed.
    const aliasesOf = (name: string) => resources.find((r) => r.name === name)?.aliases;
    assert.deepEqual(aliasesOf("moved"), [
      `${P}test:aliased:Outer$azure-native:resources:ResourceGroup::moved`,
      `${P}test:aliased:OldOuter$azure-native:resources:ResourceGroup::moved`,
    ]);
    assert.deepEqual(aliasesOf("lifted"), [`${P}azure-native:resources:ResourceGroup::lifted-before`]);
    assert.equal(aliasesOf("unfollowed"), undefined);
  });

  describe("a program with nested components", function () {
    this.timeout(60000);
    const program = programOf({ stack: "dev", program: path.join(__dirname, "fixtures/programs/nestedComponents.ts") });
    afterEach(() => delete process.env.NESTED_DUPLICATE);

    for (const firstPreview of [true, false]) {
      it(`gives same-named grandchildren distinct URNs, with no stack prefix at the top (${firstPreview ? "first preview" : "deployed"})`, async () => {
        const { resources } = await runProgram({ ...program, firstPreview });
        const urnOf = (type: string) => resources.filter((r) => r.type === type).map((r) => r.urn);
        const P = "urn:pulumi:dev::payments-data-platform::";
        assert.deepEqual(urnOf("test:nested:OuterA"), [`${P}test:nested:OuterA::a`]);
        assert.deepEqual(urnOf("test:nested:OuterB"), [`${P}test:nested:OuterB::b`]);
        assert.deepEqual(
          resources.filter((r) => r.type === "random:index/randomString:RandomString").map((r) => r.urn),
          [
            `${P}test:nested:OuterA$test:nested:Inner$random:index/randomString:RandomString::leaf`,
            `${P}test:nested:OuterB$test:nested:Inner$random:index/randomString:RandomString::leaf`,
          ],
        );
        // Every record's parent is a recorded URN: nothing is lost or merged.
        const urns = new Set(resources.map((r) => r.urn));
        assert.equal(urns.size, resources.length);
        for (const r of resources.slice(1)) assert.ok(r.parent && urns.has(r.parent), r.urn);
        assert.equal(resources.length, 7);
      });
    }

    it("lets an earlier run's program go: no cached module keeps one of its modules as a child (the heap stays flat run after run)", async () => {
      await runProgram(program);
      await runProgram(program);
      // Node appends a module to its requirer's `children`; a run forgets the last run's modules from require.cache,
      // and a `children` entry left behind would keep that whole run alive.
      const listed = Object.values(require.cache).flatMap((m) => m?.children ?? []);
      const stale = listed.filter((c) => c.filename === program.program && require.cache[c.filename] !== c);
      assert.equal(stale.length, 0, `${stale.length} earlier run(s) of the program still referenced`);
      assert.equal(listed.filter((c) => c.filename === program.program).length, 1);
      // Nor as a parent (the first requirer of a module the program loaded first).
      const ROOT = path.resolve(__dirname, "..");
      const projectModule = (f: string) =>
        f === program.program ||
        ["components", "lib", "pipelines"].some((d) => f.startsWith(path.join(ROOT, d) + path.sep));
      const staleParents = Object.values(require.cache).filter(
        (m) => m?.parent && projectModule(m.parent.filename) && require.cache[m.parent.filename] !== m.parent,
      );
      assert.deepEqual(
        staleParents.map((m) => m?.filename),
        [],
      );
    });

    it("fails the run on a duplicate URN with the engine's error, as the CLI's deployment fails", async () => {
      process.env.NESTED_DUPLICATE = "1";
      for (const firstPreview of [true, false]) {
        await assert.rejects(runProgram({ ...program, firstPreview }), (e: unknown) => {
          assert.ok(e instanceof DuplicateUrn);
          assert.equal(
            e.message,
            "Duplicate resource URN 'urn:pulumi:dev::payments-data-platform::test:nested:OuterA$test:nested:Inner::shared'; try giving it a unique name",
          );
          return true;
        });
      }
    });
  });
});

describe("offline engine: custom timeouts as the CLI reads them (Go's time.ParseDuration, in seconds)", () => {
  it("parses every form Go accepts and refuses the others with the resource monitor's error", () => {
    const cases: [string, number][] = [
      ["12h", 43200],
      ["1h30m", 5400],
      ["1.5s", 1.5],
      ["300ms", 0.3],
      ["+5m", 300],
      ["-1.5h", -5400],
      ["0", 0],
      ["1.s", 1],
      [".5m", 30],
      ["2h45m10s", 9910],
      ["1\u00b5s", 1e-6],
    ];
    for (const [text, seconds] of cases) assert.ok(Math.abs(customTimeoutSeconds(text) - seconds) < 1e-9, text);
    for (const bad of ["", "12", "1d", "h", ".s", "1hh", "1 h", "-"])
      assert.throws(() => customTimeoutSeconds(bad), new RegExp(`^Error: unable to parse customTimeout Value ${bad}$`));
  });

  it("holds Go's range: a duration past 1<<63 ns fails, as a whole or as a running sum, where the CLI fails", () => {
    const max = 2n ** 63n - 1n;
    assert.equal(goParseDuration("2562047h"), 2562047n * 3_600_000_000_000n);
    assert.equal(goParseDuration("2562048h"), undefined);
    assert.equal(goParseDuration("9223372036854775807ns"), max);
    assert.equal(goParseDuration("9223372036854775808ns"), undefined);
    assert.equal(goParseDuration("-9223372036854775808ns"), -(2n ** 63n));
    assert.equal(goParseDuration("2000000h2000000h"), undefined, "each part in range, their sum not");
    assert.equal(goParseDuration("99999999999999999999ns"), undefined, "leadingInt overflows");
    assert.throws(() => customTimeoutSeconds("2562048h"), /^Error: unable to parse customTimeout Value 2562048h$/);
    // Fractions as Go adds them: through a float64, truncated to the nanosecond, digits past its precision ignored.
    assert.equal(goParseDuration("1.0000000009s"), 1_000_000_000n);
    assert.equal(goParseDuration("0.0000000005s"), 0n);
    assert.equal(goParseDuration("1.5h"), 5_400_000_000_000n);
    assert.equal(goParseDuration(`1.${"0".repeat(30)}1h`), 3_600_000_000_000n);
    // Duration.Seconds: whole seconds plus the nanoseconds left, each a float64, which rounds otherwise than one
    // division of the nanoseconds (1.1179999999999999, not 1.118).
    assert.equal(customTimeoutSeconds("1.118s"), 1 + 0.118);
    assert.notEqual(customTimeoutSeconds("1.118s"), 1_118_000_000 / 1e9);
    assert.equal(customTimeoutSeconds("1ns"), 1e-9);
  });

  it("parses a registration's timeouts in the resource monitor's order (create, delete, update, read) and keeps read", () => {
    const timeouts = (create: string, update: string, del: string, read: string) => ({
      getCreate: () => create,
      getUpdate: () => update,
      getDelete: () => del,
      getRead: () => read,
    });
    // Two bad values: the error names the delete timeout, which source_eval.go parses before the update one.
    assert.throws(() => customTimeoutsOf(timeouts("", "bad-update", "bad-delete", "")), /Value bad-delete$/);
    assert.throws(() => customTimeoutsOf(timeouts("", "bad-update", "", "bad-read")), /Value bad-update$/);
    // resource.CustomTimeouts' fields in its order, a zero left out (`omitempty`), read among them.
    const kept = customTimeoutsOf(timeouts("1h", "0", "30m", "5m"));
    assert.deepEqual(kept, { create: 3600, delete: 1800, read: 300 });
    assert.deepEqual(Object.keys(kept ?? {}), ["create", "delete", "read"]);
    assert.deepEqual(Object.keys(customTimeoutsOf(timeouts("1s", "2s", "3s", "4s")) ?? {}), [
      "create",
      "update",
      "delete",
      "read",
    ]);
    assert.equal(customTimeoutsOf(timeouts("", "0s", "", "")), undefined);
  });

  it("records the registration's timeouts and hands them to policies in seconds, zeros when none", async () => {
    const record = (timeouts?: ResourceRecord["customTimeouts"]): ResourceRecord => ({
      urn: "urn:pulumi:prod::payments-data-platform::azure-native:sql:Database::oltp-db",
      type: "azure-native:sql:Database",
      name: "oltp-db",
      custom: true,
      dependencies: [],
      propertyDependencies: {},
      protect: true,
      inputs: {},
      outputs: {},
      ...(timeouts ? { customTimeouts: timeouts } : {}),
    });
    const seen: PolicyResourceOptions["customTimeouts"][] = [];
    const probe = {
      name: "probe",
      description: "reads the options",
      enforcementLevel: "advisory" as const,
      validateResource: (args: { opts: PolicyResourceOptions }) => void seen.push(args.opts.customTimeouts),
    };
    await runPolicies([probe], [record({ create: 43200, update: 43200 }), record()]);
    assert.deepEqual(seen, [
      { createSeconds: 43200, updateSeconds: 43200, deleteSeconds: 0 },
      { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    ]);
  });
});
