import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  armPairs,
  checkSchemas,
  message,
  type CheckedResource,
  type SchemaCheck,
  UNPUBLISHED_SCHEMAS,
} from "../tools/lib/armSchema/check";
import { apiVersionOf, armIdentityFromId, pathParameters } from "../tools/lib/armSchema/identity";
import { externalFiles, stripExpression } from "../tools/lib/armSchema/schemaDoc";
import { CACHE_SALT, checkSources, SchemaStore, VENDOR_DIR } from "../tools/lib/armSchema/store";
import { sourceAt, vendorSchemas } from "../tools/lib/armSchema/vendor";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { previewStack } from "../tools/lib/preview";
import { RETIREMENTS } from "../tools/lib/retirements";
import type { verdictJson } from "../tools/lib/report";
import { byName, previewOf } from "./helpers/stacks";
import { tempDir } from "./helpers/tmp";

const ROOT = path.resolve(__dirname, "..");
const TS_RUN = path.join(ROOT, "scripts", "ts-run.cjs");
const STACKS = ["dev", "prod"] as const;

async function schemaOf(stack: "dev" | "prod"): Promise<SchemaCheck> {
  const { schema } = await previewOf(stack);
  assert.ok(schema, "the preview runs the ARM schema check by default");
  return schema;
}

/** Every leaf of a value (scalars, empty objects and lists), with its path in the SDK's dotted form. */
function leaves(v: unknown, at: string, out: Map<string, unknown>): void {
  if (Array.isArray(v) && v.length > 0) v.forEach((x, i) => leaves(x, `${at}[${i}]`, out));
  else if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0)
    for (const [k, x] of Object.entries(v)) leaves(x, at ? `${at}.${k}` : k, out);
  else if (v !== undefined) out.set(at, v);
}

/**
 * Reads `a.b[0]["key"]` from a body. A map key may itself hold dots (a user-assigned identity's resource id):
 * at each level the longest key of the object that the path continues with is taken.
 */
function at(body: unknown, p: string): unknown {
  let cur: unknown = body;
  let rest = p;
  while (rest.length > 0) {
    if (rest.startsWith(".")) rest = rest.slice(1);
    const bracket = /^\[(?:"([^"]*)"|(\d+))\]/.exec(rest);
    if (!cur || typeof cur !== "object") return undefined;
    if (bracket) {
      cur = (cur as Record<string, unknown>)[bracket[1] ?? bracket[2]];
      rest = rest.slice(bracket[0].length);
      continue;
    }
    const key = Object.keys(cur)
      .filter((k) => rest === k || rest.startsWith(`${k}.`) || rest.startsWith(`${k}[`))
      .sort((a, b) => b.length - a.length)[0];
    if (key === undefined) return undefined;
    cur = (cur as Record<string, unknown>)[key];
    rest = rest.slice(key.length);
  }
  return cur;
}

describe("ARM schema check", function () {
  // The first test pays for the stack preview it shares with other specs (the ETL tier added ~40 resources); on two
  // busy cores that alone can pass a minute.
  this.timeout(180000);

  for (const stack of STACKS) {
    it(`${stack}: every azure-native resource's request body matches its ARM schema, no input without a place`, async () => {
      const { run } = await previewOf(stack);
      const schema = await schemaOf(stack);
      assert.deepEqual(
        schema.errors.map((e) => `${e.resource} ${e.armType} ${e.path}: ${e.message}`),
        [],
      );
      const azure = run.resources.filter((r) => r.custom && r.type.startsWith("azure-native:"));
      assert.equal(schema.resources.length, azure.length);
      for (const r of schema.resources) {
        // Types Microsoft publishes no resource schema for (Sentinel) are listed, never silently passed.
        if (r.unpublished)
          assert.ok(UNPUBLISHED_SCHEMAS[r.armType.toLowerCase()], `${r.urn} is a known unpublished type`);
        else assert.ok(r.file && r.body, `${r.urn} was validated against a schema file`);
      }
    });

    it(`${stack}: every input leaf lands in the validated body with its value (no silent drop)`, async () => {
      const { run } = await previewOf(stack);
      const schema = await schemaOf(stack);
      const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
      let checked = 0;
      for (const c of schema.resources as CheckedResource[]) {
        if (c.unpublished) continue;
        const record = byUrn.get(c.urn) as ResourceRecord;
        const inputs = new Map<string, unknown>();
        for (const [k, v] of Object.entries(record.inputs)) if (!c.pathParameters.includes(k)) leaves(v, k, inputs);
        for (const [input, value] of inputs) {
          const bodyPath = c.placed?.get(input);
          assert.ok(bodyPath, `${record.name}: input ${input} has no place in the body`);
          const key = /\["([^"]*)"\]$/.exec(bodyPath)?.[1];
          if (key !== undefined) assert.equal(key, value, `${record.name}: ${input} → ${bodyPath}`);
          else assert.deepEqual(at(c.body, bodyPath), value, `${record.name}: ${input} → ${bodyPath}`);
          checked++;
        }
      }
      assert.ok(checked > 1000, `only ${checked} leaves checked`);
    });
  }

  it("has a vendored schema for every (ARM type, API version) pair the stacks use, and no other file", async () => {
    const store = new SchemaStore();
    const used = new Set<string>(["common/definitions.json"]);
    for (const stack of STACKS) {
      const { run } = await previewOf(stack);
      for (const r of run.resources.filter((x) => x.custom && x.type.startsWith("azure-native:"))) {
        const id = armIdentityFromId(r.id ?? "");
        const version = apiVersionOf(r.type, r.inputs);
        assert.ok(id && version, `${r.type}: ARM type and API version`);
        if (UNPUBLISHED_SCHEMAS[id.armType.toLowerCase()]) continue;
        const def = store.definition(id.armType, version, id.scope);
        assert.ok(def, `no vendored schema for ${id.armType}@${version}: npm run schemas:vendor -- --from <copy>`);
        used.add(def.file);
      }
    }
    // And the pairs a retirement's fix moves resources to, vendored ahead of it.
    for (const { armType, version } of RETIREMENTS.flatMap((r) => r.fixedBy ?? [])) {
      const def = store.definition(armType, version, "resourceGroup");
      assert.ok(def, `no vendored schema for ${armType}@${version}, a retirement's fix: npm run schemas:vendor`);
      assert.equal(def.version, version, `${armType}@${version}: its own schema, not an older stand-in`);
      used.add(def.file);
    }
    for (const file of [...used])
      for (const other of externalFiles(fs.readFileSync(path.join(VENDOR_DIR, "schemas", file), "utf8"), file))
        used.add(other);
    const vendored = fs
      .readdirSync(path.join(VENDOR_DIR, "schemas"))
      .flatMap((d) => fs.readdirSync(path.join(VENDOR_DIR, "schemas", d)).map((f) => `${d}/${f}`));
    assert.deepEqual(vendored.sort(), [...used].sort(), "vendor exactly the files in use (schemas:vendor --prune)");
    assert.match(fs.readFileSync(path.join(VENDOR_DIR, "LICENSE"), "utf8"), /MIT License/);
  });

  it("the Key Vault retirement's fix: prod's vaults and keys, declared with the 2026-02-01 local package, validate against that version's schema", async () => {
    const { run } = await previewOf("prod");
    const current = run.resources.filter((r) => r.custom && r.type.startsWith("azure-native:keyvault:"));
    assert.deepEqual([...new Set(current.map((r) => r.type))].sort(), [
      "azure-native:keyvault:Key",
      "azure-native:keyvault:Vault",
    ]);
    // The tokens `pulumi package add azure-native keyvault 2026-02-01` registers (docs/operations.md), same inputs.
    const fixed = current.map((r) => ({
      ...r,
      type: r.type.replace("azure-native:keyvault:", "azure-native_keyvault_v20260201:keyvault:"),
    }));
    const store = new SchemaStore();
    const check = checkSchemas(fixed, store, false);
    assert.deepEqual(
      check.errors.map((e) => `${e.resource} ${e.armType} ${e.path}: ${e.message}`),
      [],
    );
    assert.equal(check.resources.length, current.length);
    for (const c of check.resources) {
      assert.equal(c.apiVersion, "2026-02-01", c.urn);
      assert.equal(c.file, "2026-02-01/Microsoft.KeyVault.json", c.urn);
      assert.equal(c.schemaVersion, undefined, `${c.urn}: no stand-in schema`);
    }
    // Not vacuous: a value the 2026-02-01 schema refuses is reported against it.
    const vault = fixed.find((r) => r.type.endsWith(":Vault")) as ResourceRecord;
    const bad = {
      ...vault,
      inputs: {
        ...vault.inputs,
        properties: { ...(vault.inputs.properties as object), sku: { family: "A", name: "gold" } },
      },
    };
    const refused = checkSchemas([bad], store, false);
    assert.ok(
      refused.errors.some((e) => e.armType === "Microsoft.KeyVault/vaults@2026-02-01" && /sku\.name/.test(e.path)),
      JSON.stringify(refused.errors),
    );
  });

  it("reports the same on a resource of every prod type and the insecure fixture with validators compiled, loaded from the cache, or recorded results", async () => {
    const insecure = await previewStack({
      stack: "insecure",
      stackFile: path.join(ROOT, "tests", "fixtures", "insecure", "Pulumi.insecure.yaml"),
      program: path.join(ROOT, "tests", "fixtures", "insecure", "index.ts"),
      skipSchema: true,
    });
    // One resource of each type prod declares: every schema file and definition prod reaches, 84 of the 117
    // validators all of prod compiles (they are per definition and body shape; the other shapes go through the cache
    // in whatever mode the prod spec above finds it, never compared across modes here). All of prod took 13 s on a
    // clean clone, this 5 s.
    const prodTypes = new Map<string, ResourceRecord>();
    for (const r of (await previewOf("prod")).run.resources) if (!prodTypes.has(r.type)) prodTypes.set(r.type, r);
    const runs = [insecure.run.resources, [...prodTypes.values()]];
    const dir = tempDir("arm-schema-cache-");
    try {
      // Compiled once per validator (one store for both runs), each written into the cache as standalone code.
      const compiling = new SchemaStore(VENDOR_DIR, dir);
      const compiled = runs.map((resources) => checkSchemas(resources, compiling));
      assert.ok(compiled.every((c) => c.resources.length > 5));
      assert.ok(compiled[0].errors.length > 0, "the insecure fixture has schema errors to compare");
      // Every body through a validator loaded from its cache file (the recorded results and verdicts removed).
      const recorded = new Map(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
      for (const f of fs.readdirSync(dir)) if (!f.endsWith(".js")) fs.rmSync(path.join(dir, f));
      const loading = new SchemaStore(VENDOR_DIR, dir);
      for (const f of fs.readdirSync(dir)) fs.utimesSync(path.join(dir, f), 0, 0);
      assert.deepEqual(
        runs.map((resources) => checkSchemas(resources, loading)),
        compiled,
      );
      assert.ok(
        fs
          .readdirSync(dir)
          .filter((f) => f.endsWith(".js"))
          .every((f) => fs.statSync(path.join(dir, f)).mtimeMs === 0),
        "loaded, not compiled again (a compile rewrites the file)",
      );
      // Answered from the recorded results alone.
      for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
      for (const [f, bytes] of recorded) if (f.endsWith(".check.json")) fs.writeFileSync(path.join(dir, f), bytes);
      assert.deepEqual(
        runs.map((resources) => checkSchemas(resources, new SchemaStore(VENDOR_DIR, dir))),
        compiled,
      );
      assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith(".js")).length, 0, "no validator was needed");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("planted faults in a copy of the dev stack", () => {
    let check: SchemaCheck;
    let copy: ResourceRecord[];
    /** The resources with a planted fault and a few sound ones, for the cache tests (validators of all take seconds). */
    let some: ResourceRecord[];
    let someCheck: SchemaCheck;
    before(async () => {
      const { run } = await previewOf("dev");
      copy = structuredClone(run.resources);
      const find = (name: string) => byName(copy, name) as ResourceRecord & { id: string };
      // Wrong type, in a flattened nested bag (subnet properties).
      const vnet = find("platform-vnet");
      (vnet.inputs.subnets as Record<string, unknown>[])[0].addressPrefix = 10;
      // Wrong enum value, in a list inside a flattened bag (NSG rule protocol).
      const nsg = find("platform-nsg-functions");
      (nsg.inputs.securityRules as Record<string, unknown>[])[0].protocol = "TCPX";
      // Missing required property (a container's id).
      const container = copy.find((r) => r.type === "azure-native:cosmosdb:SqlResourceSqlContainer") as ResourceRecord;
      delete (container.inputs.resource as Record<string, unknown>).id;
      // An input the schema does not know.
      const identity = copy.find(
        (r) => r.type === "azure-native:managedidentity:UserAssignedIdentity",
      ) as ResourceRecord;
      identity.inputs.federatedCredential = { issuer: "https://example.invalid" };
      // A name Azure refuses (vault names are 3-24 characters).
      const kv = find("platform-kv");
      Object.assign(kv, { id: kv.id.replace(/vaults\/[^/]+$/, "vaults/kv-this-name-is-far-too-long") });
      // Through the preview's own cache (filled by the dev preview above): the unchanged resources are answered from
      // their recorded results, the changed ones checked afresh. That a cached answer equals a compiled one is the
      // equivalence test's; `someCheck` below is compiled in memory.
      check = checkSchemas(copy, new SchemaStore());
      assert.equal(container.name.length > 0, true);
      const faulty = new Set(check.errors.map((e) => e.urn));
      some = copy.filter((r, i) => faulty.has(r.urn) || (r.type.startsWith("azure-native:") && i % 25 === 0));
      someCheck = checkSchemas(some, new SchemaStore(VENDOR_DIR, false));
      assert.equal(someCheck.errors.length, check.errors.length, "every planted fault is in the sample");
      // Compiled into a cache once (validators, verdicts and results); each cache test starts from a copy of the part
      // it needs.
      filledDir = tempDir("arm-schema-cache-");
      filled = checkSchemas(some, new SchemaStore(VENDOR_DIR, filledDir));
    });
    after(() => fs.rmSync(filledDir, { recursive: true, force: true }));
    let filledDir: string;
    let filled: SchemaCheck;
    /** A new cache directory holding the files of the filled cache whose names end in one of `kinds`. */
    const cacheWith = (...kinds: string[]) => {
      const dir = tempDir("arm-schema-cache-");
      for (const f of fs.readdirSync(filledDir))
        if (kinds.some((k) => f.endsWith(k))) fs.copyFileSync(path.join(filledDir, f), path.join(dir, f));
      return dir;
    };

    const errors = () => check.errors.map((e) => `${e.kind} ${e.resource} ${e.armType} ${e.path}: ${e.message}`);

    it("reports a wrong type at its ARM body path, naming the SDK input", () => {
      const e = check.errors.find((x) => x.resource === "platform-vnet");
      assert.deepEqual(
        { ...e, urn: undefined },
        {
          urn: undefined,
          resource: "platform-vnet",
          armType: "Microsoft.Network/virtualNetworks@2024-05-01",
          kind: "schema",
          path: "properties.subnets[0].properties.addressPrefix",
          input: "subnets[0].addressPrefix",
          message: "must be string",
        },
      );
    });

    it("reports a wrong enum value with the allowed values", () => {
      assert.ok(
        errors().includes(
          "schema platform-nsg-functions Microsoft.Network/networkSecurityGroups@2024-05-01 " +
            'properties.securityRules[0].properties.protocol: must be one of "Tcp", "Udp", "Icmp", "Esp", "*", "Ah"',
        ),
        errors().join("\n"),
      );
    });

    it("reports a missing required property", () => {
      assert.ok(
        errors().some((e) =>
          /^schema .* Microsoft\.DocumentDB\/databaseAccounts\/sqlDatabases\/containers@2025-10-15 properties\.resource\.id: required property 'id' is missing$/.test(
            e,
          ),
        ),
        errors().join("\n"),
      );
    });

    it("reports an input without a place instead of dropping it", () => {
      assert.ok(
        errors().some((e) =>
          /^unplaced-input .* Microsoft\.ManagedIdentity\/userAssignedIdentities@2023-01-31 federatedCredential: input 'federatedCredential' has no place/.test(
            e,
          ),
        ),
        errors().join("\n"),
      );
    });

    it("reports a resource name outside the schema's pattern", () => {
      assert.ok(
        errors().includes(
          'schema platform-kv Microsoft.KeyVault/vaults@2024-11-01 name: must match pattern "^[a-zA-Z0-9-]{3,24}$"',
        ),
        errors().join("\n"),
      );
    });

    it("reports nothing but the planted faults", () => {
      assert.equal(check.errors.length, 5, errors().join("\n"));
    });

    it("reports the same with validators compiled in memory, compiled into the cache and loaded from it", () => {
      const files = fs.readdirSync(filledDir).filter((f) => f.endsWith(".js"));
      assert.ok(files.length > 5, "the first run keeps every validator it compiled");
      assert.deepEqual(filled, someCheck);
      // Loaded, not compiled: Ajv never runs (a compile would rewrite the files). Without the recorded results and
      // verdicts, so that every body goes through its validator.
      const dir = cacheWith(".js");
      try {
        const cached = () => checkSchemas(some, new SchemaStore(VENDOR_DIR, dir));
        for (const f of files) fs.utimesSync(path.join(dir, f), 0, 0);
        assert.deepEqual(cached(), someCheck);
        assert.ok(files.every((f) => fs.statSync(path.join(dir, f)).mtimeMs === 0));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    /** `some` with the planted protocol fault fixed, and its check with validators compiled in memory (once). */
    let fixedProtocol: { records: ResourceRecord[]; check: SchemaCheck } | undefined;
    /** Fixes the planted protocol fault and expects `cached` to see exactly one fault less, as an uncached check. */
    const checksFixedProtocol = (cached: (r: ResourceRecord[]) => SchemaCheck) => {
      if (!fixedProtocol) {
        const records = structuredClone(some);
        const nsg = byName(records, "platform-nsg-functions") as ResourceRecord;
        (nsg.inputs.securityRules as Record<string, unknown>[])[0].protocol = "Tcp";
        fixedProtocol = { records, check: checkSchemas(records, new SchemaStore(VENDOR_DIR, false)) };
      }
      const fixed = cached(fixedProtocol.records);
      assert.equal(fixed.errors.length, check.errors.length - 1);
      assert.deepEqual(fixed, fixedProtocol.check);
    };

    it("answers a body already judged from the verdict cache, the planted faults included, and judges a changed one", () => {
      const verdicts = fs.readdirSync(filledDir).filter((f) => f.endsWith(".verdict.json"));
      assert.ok(verdicts.length > 5, "the first run keeps every verdict");
      // Without a single validator (nor the recorded results), the verdicts alone give the same check, errors and all.
      const dir = cacheWith(".verdict.json");
      try {
        const cached = (records: ResourceRecord[]) => checkSchemas(records, new SchemaStore(VENDOR_DIR, dir));
        assert.deepEqual(cached(some), someCheck);
        assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith(".js")).length, 0, "no validator was needed");
        // A body never judged is validated (compiled again here), not answered from another body's verdict.
        checksFixedProtocol(cached);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
    it("answers a resource already checked from its recorded result, planted faults included, and checks a changed one", () => {
      const results = fs.readdirSync(filledDir).filter((f) => f.endsWith(".check.json"));
      assert.equal(results.length, someCheck.resources.length, "one recorded result per resource");
      // Without validators or verdicts: the results alone give the same check, errors and all, and need nothing.
      const dir = cacheWith(".check.json");
      try {
        const cached = (records: ResourceRecord[]) => checkSchemas(records, new SchemaStore(VENDOR_DIR, dir));
        assert.deepEqual(cached(some), someCheck);
        assert.deepEqual(fs.readdirSync(dir).sort(), [...results].sort(), "no validator or verdict was needed");
        // A changed input is checked again, not answered from the recorded result.
        checksFixedProtocol(cached);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("keys the recorded results by the vendored schemas too: a changed schema file is a different key", () => {
      const vendor = tempDir("arm-schema-vendor-");
      try {
        fs.cpSync(VENDOR_DIR, vendor, { recursive: true });
        const before = new SchemaStore(vendor, false).resultSalt();
        assert.equal(new SchemaStore(vendor, false).resultSalt(), before, "the same files: the same key");
        const file = path.join(vendor, "fallbacks.json");
        fs.writeFileSync(file, `${fs.readFileSync(file, "utf8")}\n`);
        assert.notEqual(new SchemaStore(vendor, false).resultSalt(), before);
      } finally {
        fs.rmSync(vendor, { recursive: true, force: true });
      }
    });

    it("keys the recorded results by every module of the check and of the mocks (their ARM type tables), each there", () => {
      const sources = checkSources();
      // The mocks' ARM type tables name the path parameters, which are not body: they decide the check too.
      for (const dir of ["armSchema", "azureMocks"].map((d) => path.resolve(__dirname, "../tools/lib", d)))
        for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".ts")))
          assert.ok(sources.includes(path.join(dir, f)), `${f} decides the check: its source keys the results`);
      // A file that is not there would key every state of the code alike ("missing").
      for (const f of sources) assert.ok(fs.existsSync(f), `${f} is read for the key but missing`);
      assert.ok(
        sources.some((f) => /export const ARM_TYPES\b/.test(fs.readFileSync(f, "utf8"))),
        "the mocks' ARM type table keys the results",
      );
    });

    it("keys the compiled validators by the store's own source too (a changed way of building them reads none of the old)", () => {
      const source = fs.readFileSync(path.resolve(__dirname, "../tools/lib/armSchema/store.ts"));
      const hash = crypto.createHash("sha256").update(source).digest("hex");
      assert.equal((JSON.parse(CACHE_SALT) as unknown[])[0], hash);
    });

    it("trims the cache past its limit: the oldest files first, never one used by this check or recently", () => {
      // The validators compiled already; this first check judges every body with them and records it all.
      const dir = cacheWith(".js");
      try {
        checkSchemas(some, new SchemaStore(VENDOR_DIR, dir));
        const filled = fs.readdirSync(dir).length;
        // Left behind by older trees: 30 verdicts nobody needs any more, the oldest first.
        const junk = Array.from({ length: 30 }, (_, i) =>
          path.join(dir, `${String(i).padStart(40, "0")}.verdict.json`),
        );
        junk.forEach((f, i) => {
          fs.writeFileSync(f, "{}");
          fs.utimesSync(f, 1000 + i, 1000 + i);
        });
        const store = new SchemaStore(VENDOR_DIR, dir);
        const check = checkSchemas(some, store);
        const used = fs
          .readdirSync(dir)
          .filter((f) => f.endsWith(".verdict.json") && !junk.includes(path.join(dir, f)));
        const grace = { graceMs: 60_000 };
        assert.equal(store.trimCache({ maxFiles: filled + 30, keepFiles: 0, ...grace }), 0, "at the limit: none");
        assert.equal(store.trimCache({ maxFiles: filled + 10, keepFiles: filled + 5, ...grace }), 25);
        assert.deepEqual(
          junk.map((f) => fs.existsSync(f)),
          junk.map((_, i) => i >= 25),
          "the 25 oldest are removed",
        );
        for (const f of used) assert.ok(fs.existsSync(path.join(dir, f)), `${f} (used by this check) is kept`);
        // A check beside this one (the preview's other thread: its own store, which used none of them) removes only
        // the old files, not what was written or used within the grace period.
        const before = fs.readdirSync(dir).length;
        assert.equal(new SchemaStore(VENDOR_DIR, dir).trimCache({ maxFiles: 0, keepFiles: 0, ...grace }), 5);
        assert.equal(fs.readdirSync(dir).length, before - 5);
        // What is left still answers the check.
        assert.deepEqual(checkSchemas(some, new SchemaStore(VENDOR_DIR, dir)), check);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("command line", function () {
    // Two fresh processes, in parallel.
    this.timeout(120000);
    const tmp = tempDir("schema-");
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) =>
        execFile(process.execPath, [TS_RUN, "tools/preview.ts", ...args], { cwd: ROOT }, (err, stdout) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stdout }),
        ),
      );
    let faults: { code: number; stdout: string };
    let skipped: { code: number; stdout: string };
    before(async () => {
      const program = [
        "--stack",
        "schema-faults",
        "--stack-file",
        "tests/fixtures/schema-faults/Pulumi.schema-faults.yaml",
        "--program",
        "tests/fixtures/schema-faults/index.ts",
        "--policy-config",
        "policies/config/dev.json",
        "--quiet",
        // The retirements are checked as of a fixed day, so the outputs do not move with the calendar.
        "--on",
        "2026-12-05",
      ];
      [faults, skipped] = await Promise.all([
        cli([...program, "--json", path.join(tmp, "v.json"), "--markdown", path.join(tmp, "v.md")]),
        cli([...program, "--skip-schema"]),
      ]);
    });

    it("exits 1 on schema errors alone and prints resource, type@version, path and message", () => {
      assert.equal(faults.code, 1, faults.stdout);
      // The one advisory: the destinations rule cannot read the fixture's diagnostic setting's unset storage account
      // in a first preview (decided once deployed); no other policy speaks.
      assert.match(faults.stdout, /0 mandatory and 1 advisory violations/);
      assert.match(
        faults.stdout,
        /\[advisory\] azure-native-general-stack-disallow-foreign-data-destinations \(1\)\n.*can't be known during preview/,
      );
      for (const line of [
        "- faults-log (Microsoft.OperationalInsights/workspaces@2023-09-01)",
        "properties.retentionInDays (input retentionInDays): must be integer",
        'properties.sku.name (input sku.name): must be one of "Free", "Standard", "Premium", "PerNode", "PerGB2018"',
        "- faults-log-nosku (Microsoft.OperationalInsights/workspaces@2023-09-01)",
        "properties.sku.name: required property 'name' is missing",
      ])
        assert.ok(faults.stdout.includes(line), `missing '${line}' in:\n${faults.stdout}`);
    });

    it("writes the schema errors into the JSON verdict and the Markdown report", () => {
      const verdict = JSON.parse(fs.readFileSync(path.join(tmp, "v.json"), "utf8")) as ReturnType<typeof verdictJson>;
      assert.equal(verdict.summary.schemaErrors, 3);
      assert.deepEqual(verdict.schema?.errors.map((e) => `${e.resource} ${e.path}`).sort(), [
        "faults-log properties.retentionInDays",
        "faults-log properties.sku.name",
        "faults-log-nosku properties.sku.name",
      ]);
      const md = fs.readFileSync(path.join(tmp, "v.md"), "utf8");
      assert.match(md, /## Policy verdict: schema-faults ❌/);
      // The retirements ahead, as of --on, in all three outputs (the fixture declares nothing that retires).
      assert.match(md, /^## Retirements ahead\n\nNone as of 2026-12-05\.$/m);
      assert.deepEqual((verdict as unknown as { retirements: unknown }).retirements, {
        asOf: "2026-12-05",
        findings: [],
      });
      assert.match(
        faults.stdout,
        /^Retirements ahead \(dated announcements matched against the stack, as of 2026-12-05\): none$/m,
      );
      assert.match(
        md,
        /\| `faults-log` \| Microsoft\.OperationalInsights\/workspaces@2023-09-01 \| `properties\.retentionInDays \(input retentionInDays\)` \| must be integer \|/,
      );
    });

    it("--skip-schema skips the check and says so, and nothing else: the same estimate and hazard check", () => {
      assert.equal(skipped.code, 0, skipped.stdout);
      assert.match(skipped.stdout, /ARM schemas: not checked \(--skip-schema\)/);
      // The estimate is priced over the deployed view either way (the preview view leaves SKUs and schedules unknown).
      const total = (out: string) => /^ {4}total .*$/m.exec(out)?.[0];
      assert.ok(total(faults.stdout), faults.stdout);
      assert.equal(total(skipped.stdout), total(faults.stdout));
      assert.doesNotMatch(skipped.stdout, /First-deploy hazards: not checked/);
    });
  });

  describe("building blocks", () => {
    it("reads ARM type, name and scope from ids", () => {
      const sub = "/subscriptions/s";
      assert.deepEqual(armIdentityFromId(`${sub}/resourceGroups/rg`), {
        armType: "Microsoft.Resources/resourceGroups",
        name: "rg",
        path: "rg",
        scope: "subscription",
      });
      assert.deepEqual(armIdentityFromId(`${sub}/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/db`), {
        armType: "Microsoft.Sql/servers/databases",
        name: "db",
        path: "s1/db",
        scope: "resourceGroup",
      });
      const kv = `${sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv`;
      assert.equal(armIdentityFromId(`${kv}/providers/Microsoft.Authorization/roleAssignments/ra`)?.scope, "extension");
      assert.equal(armIdentityFromId(`${sub}/providers/Microsoft.Authorization/locks/l`)?.scope, "subscription");
      assert.equal(armIdentityFromId("not-an-arm-id"), undefined);
    });

    it("takes the API version from the SDK class, and a generic resource's from its input", () => {
      assert.match(apiVersionOf("azure-native:keyvault:Vault", {}) ?? "", /^\d{4}-\d{2}-\d{2}/);
      assert.equal(apiVersionOf("azure-native:resources:Resource", { apiVersion: "2023-01-01" }), "2023-01-01");
      assert.equal(apiVersionOf("random:index/randomString:RandomString", {}), undefined);
    });

    it("knows path parameters are not body", () => {
      assert.deepEqual([...pathParameters("azure-native:keyvault:Key")].sort(), [
        "keyName",
        "resourceGroupName",
        "vaultName",
      ]);
      assert.deepEqual([...pathParameters("azure-native:authorization:RoleAssignment")].sort(), [
        "roleAssignmentName",
        "scope",
      ]);
    });

    it("words every error with what is allowed", () => {
      assert.equal(message({ keyword: "maximum", params: { comparison: "<=", limit: 24 } }), "must be <= 24");
      assert.equal(message({ keyword: "maxLength", params: { limit: 24 } }), "must have at most 24 characters");
      assert.equal(message({ keyword: "minItems", params: { limit: 1 } }), "must have at least 1 items");
      assert.equal(message({ keyword: "format", params: { format: "uuid" } }), 'must match format "uuid"');
    });

    it("drops the template-expression alternative so errors name the real rule", () => {
      const expr = {
        $ref: "https://schema.management.azure.com/schemas/common/definitions.json#/definitions/expression",
      };
      assert.deepEqual(stripExpression({ description: "d", oneOf: [{ type: "integer" }, expr] }), {
        description: "d",
        allOf: [{ type: "integer" }],
      });
      assert.deepEqual(stripExpression({ oneOf: [{ type: "integer" }, { type: "string" }, expr] }), {
        oneOf: [{ type: "integer" }, { type: "string" }],
      });
    });

    it("schemas:vendor copies exactly the files the pairs need from a copy, then only what changed", async () => {
      const { run } = await previewOf("dev");
      const pairs = armPairs(run.resources);
      const src = tempDir("arm-src-");
      fs.cpSync(path.join(VENDOR_DIR, "schemas"), path.join(src, "schemas"), { recursive: true });
      fs.copyFileSync(path.join(VENDOR_DIR, "LICENSE"), path.join(src, "LICENSE"));
      // A decoy file of the same namespace and version that declares nothing the stack uses.
      fs.writeFileSync(path.join(src, "schemas", "2024-11-01", "Microsoft.KeyVault.Decoy.json"), "{}");
      const out = tempDir("arm-out-");
      fs.mkdirSync(path.join(out, "schemas", "2000-01-01"), { recursive: true });
      fs.writeFileSync(path.join(out, "schemas", "2000-01-01", "Stale.json"), "{}");
      const first = vendorSchemas(sourceAt(src), pairs, out, { prune: true });
      assert.deepEqual(first.missing, []);
      assert.equal(first.pruned, 1);
      assert.equal(first.files.get("Microsoft.KeyVault/vaults@2024-11-01"), "2024-11-01/Microsoft.KeyVault.json");
      const dev = await schemaOf("dev");
      assert.deepEqual(
        first.needed.filter((f) => f !== "common/definitions.json"),
        dev.files,
      );
      assert.equal(first.written, first.needed.length);
      assert.ok(fs.existsSync(path.join(out, "LICENSE")) && fs.existsSync(path.join(out, "README.md")));
      const again = vendorSchemas(
        sourceAt(src),
        [
          ...pairs,
          { armType: "Microsoft.Foo/bars", version: "2024-11-01" },
          // No schema published for this version: the newest older one declaring the type stands in.
          { armType: "Microsoft.KeyVault/vaults", version: "2025-02-01" },
        ],
        out,
      );
      assert.equal(again.written, 0);
      assert.deepEqual(again.missing, ["Microsoft.Foo/bars@2024-11-01"]);
      // The stack's own stand-ins (recorded in the vendored fallbacks.json, e.g. Microsoft.Web) plus the planted one.
      const recorded = JSON.parse(fs.readFileSync(path.join(VENDOR_DIR, "fallbacks.json"), "utf8")) as Record<
        string,
        string
      >;
      assert.deepEqual(
        [...again.fallbacks].filter(([pair]) => !(pair in recorded)),
        [["Microsoft.KeyVault/vaults@2025-02-01", "2024-11-01"]],
      );
      const standIn = new SchemaStore(out).definition("Microsoft.KeyVault/vaults", "2025-02-01", "resourceGroup");
      assert.deepEqual([standIn?.file, standIn?.version], ["2024-11-01/Microsoft.KeyVault.json", "2024-11-01"]);
    });
  });
});
