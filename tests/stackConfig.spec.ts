/**
 * The offline stack-config loader applies the Pulumi CLI's project-config rules, so the offline preview refuses a
 * stack where `pulumi preview`/`pulumi up` would, in each case below. Each expectation quotes the CLI's behaviour from
 * pulumi/pulumi sdk/go/common/workspace (config.go `mergeConfig`, `formatMissingKeys`,
 * `validateStackConfigValue`; project.go `(*Project).Validate`, `ValidateConfigValue`, `InferFullTypeName`) and
 * the "validating stack config: …" wrapping of pkg/cmd/pulumi/operations/preview.go and up.go.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { goJson } from "../tools/lib/goJson";
import { parseGoYaml, resolvePlain } from "../tools/lib/goYaml";
import { loadStackConfig, secretPlaceholder, StackConfigError } from "../tools/lib/stackConfig";
import { tempDir } from "./helpers/tmp";

const ROOT = path.resolve(__dirname, "..");
const PROJECT = "payments-data-platform";

/** A throwaway project directory with this Pulumi.yaml `config:` block and this stack file `config:` block. */
function project(config: string, stackConfig: string, stack = "dev"): string {
  const dir = tempDir("stack-config-");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: proj\nruntime: nodejs\n${config}`);
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stackConfig);
  return dir;
}

function fails(dir: string, expected: string | RegExp, stack = "dev"): void {
  assert.throws(
    () => loadStackConfig(dir, stack),
    (e: unknown) => {
      assert.ok(e instanceof StackConfigError, `expected StackConfigError, got ${String(e)}`);
      if (typeof expected === "string") assert.equal(e.message, expected);
      else assert.match(e.message, expected);
      return true;
    },
  );
}

describe("stack config loader (the CLI's project-config rules)", () => {
  it("loads both committed stacks: every declared key without a default is set by the stack", () => {
    for (const stack of ["dev", "prod"]) {
      const { config } = loadStackConfig(ROOT, stack);
      assert.equal(config[`${PROJECT}:environment`], stack);
      // Structured keys reach the program as JSON, defaults are applied.
      assert.equal(typeof JSON.parse(config[`${PROJECT}:sql`]), "object");
      assert.equal(config[`${PROJECT}:workload`], "pay");
    }
  });

  it("Pulumi.yaml declares no key the CLI would require of a stack that leaves an optional setting unset", () => {
    // config.go mergeConfig: a project key with neither `default` nor `value` is required. Optional keys must not
    // be declared that way (the desk review found alertWebhookUrl and the four *GroupId keys declared so).
    const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { default?: unknown; secret?: boolean; type?: string }>;
      requiredPulumiVersion?: string;
    };
    const required = Object.entries(doc.config)
      .filter(([, d]) => d.default === undefined)
      .map(([k]) => k)
      .sort();
    // `operations` has no default on purpose: its budget start date must be pinned per stack (docs/configuration.md).
    assert.deepEqual(required, ["alertEmails", "cosmos", "costCenter", "environment", "olap", "operations", "sql"]);
    for (const [key, d] of Object.entries(doc.config)) {
      assert.ok(!(d.secret && d.default !== undefined), `${key}: a secret key with a plaintext default always fails`);
    }
    // The structured keys both stacks set are declared as objects (CLI >= 3.187), and the project says so.
    assert.equal(doc.config.sql.type, "object");
    assert.equal(doc.config.cosmos.type, "object");
    assert.equal(doc.config.extraTags.type, "object");
    // 3.202.0: the CLI version whose config checks the offline loader imitates (validateStackConfigValues); 3.207.0:
    // the first with the replaceWith option the program uses (the SDK throws on an older CLI).
    assert.equal(doc.requiredPulumiVersion, ">=3.207.0");
    const usesReplaceWith = fs
      .readFileSync(path.join(ROOT, "components/shared/privateEndpoint.ts"), "utf8")
      .includes("replaceWith");
    assert.ok(usesReplaceWith, "drop the requirement to 3.202.0 when nothing uses replaceWith any more");
  });

  it("hands a structured value to the program as Go writes a map: keys sorted at every depth, HTML characters escaped", () => {
    // plaintext.go marshalText: json.Marshal over map[string]any sorts keys by their UTF-8 bytes.
    const { config } = loadStackConfig(
      project("config: {}\n", "config:\n  proj:k:\n    b: 1\n    a:\n      d: [{z: 1, y: 2}]\n      c: 2\n"),
      "dev",
    );
    assert.equal(config["proj:k"], '{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}');
    // UTF-8 byte order, not JavaScript's UTF-16 order: U+FFFD (EF BF BD) before U+1F600 (F0 9F 98 80).
    assert.equal(goJson({ "\u{1F600}": 1, "\uFFFD": 2, z: 3 }), '{"z":3,"\uFFFD":2,"\u{1F600}":1}');
    assert.equal(goJson({ q: "a<b>&c\u2028" }), '{"q":"a\\u003cb\\u003e\\u0026c\\u2028"}');
    // Integer-like keys too, which a JavaScript object would order numerically.
    assert.equal(goJson({ b: 1, "10": 2, "9": 3, "-1": 4 }), '{"-1":4,"10":2,"9":3,"b":1}');
    // A `secure:` value is a map of that one key holding a string (object.go isSecureValue): `{secure: 5}` is data.
    const data = loadStackConfig(project("config: {}\n", "config:\n  proj:k:\n    secure: 5\n"), "dev");
    assert.equal(data.config["proj:k"], '{"secure":5}');
    assert.deepEqual(data.secretKeys, []);
  });

  it("a secure leaf of a typed list passes its item type, as its decrypted value would (config.go checks the plaintext)", () => {
    const decl = "config:\n  ports:\n    type: array\n    items:\n      type: integer\n";
    const ok = loadStackConfig(project(decl, "config:\n  proj:ports:\n    - 1\n    - secure: v1:abc\n"), "dev");
    assert.deepEqual(ok.secretKeys, ["proj:ports"]);
    assert.deepEqual(JSON.parse(ok.config["proj:ports"]), [1, secretPlaceholder("proj:ports")]);
    // A plain leaf is still held to the type.
    fails(
      project(decl, "config:\n  proj:ports:\n    - x\n    - secure: v1:abc\n"),
      "validating stack config: Stack 'dev' with configuration key 'ports' must be of type 'array<integer>'",
    );
  });

  it("reports every missing key at once, sorted, in the CLI's words (formatMissingKeys)", () => {
    const decl = "config:\n  b:\n    type: string\n  a:\n    type: string\n  c:\n    type: string\n";
    fails(
      project(decl, "config: {}\n"),
      "validating stack config: Stack 'dev' is missing configuration values 'a', 'b' and 'c'",
    );
    fails(
      project(decl, "config:\n  proj:c: x\n"),
      "validating stack config: Stack 'dev' is missing configuration values 'a' and 'b'",
    );
    fails(
      project(decl, "config:\n  proj:a: x\n  proj:c: x\n"),
      "validating stack config: Stack 'dev' is missing configuration value 'b'",
    );
  });

  it("the Pulumi.yaml the review found (optional keys declared without default) stops a stack that omits them", () => {
    const old =
      "config:\n  alertWebhookUrl:\n    type: string\n    secret: true\n  fraudMlGroupId:\n    type: string\n";
    fails(
      project(old, "config: {}\n"),
      "validating stack config: Stack 'dev' is missing configuration values 'alertWebhookUrl' and 'fraudMlGroupId'",
    );
  });

  it("a key of another namespace is never required; its project `value` applies when the stack sets none", () => {
    const { config } = loadStackConfig(
      project("config:\n  azure-native:location: westeurope\n", "config: {}\n"),
      "dev",
    );
    assert.equal(config["azure-native:location"], "westeurope");
  });

  it("a typed secret key with a plaintext default fails, as does a plaintext value; a secure value passes; an untyped one is not checked", () => {
    const decl = "config:\n  hook:\n    type: string\n    secret: true\n    default: https://example.com\n";
    fails(
      project(decl, "config: {}\n"),
      "validating stack config: Stack 'dev' with configuration key 'hook' must be encrypted as it's secret",
    );
    fails(
      project(decl, "config:\n  proj:hook: https://plain.example.com\n"),
      "validating stack config: Stack 'dev' with configuration key 'hook' must be encrypted as it's secret",
    );
    const ok = loadStackConfig(project(decl, "config:\n  proj:hook:\n    secure: v1:abc\n"), "dev");
    assert.equal(ok.config["proj:hook"], secretPlaceholder("proj:hook"));
    assert.deepEqual(ok.secretKeys, ["proj:hook"]);
    // Only a key declared with a `type` is checked (config.go: `if projectConfigType.IsExplicitlyTyped()`): an untyped
    // `secret: true` key's plaintext default or value passes the CLI, and so the loader (lib/config refuses it).
    const untyped = "config:\n  hook:\n    secret: true\n    default: https://example.com\n";
    assert.equal(loadStackConfig(project(untyped, "config: {}\n"), "dev").config["proj:hook"], "https://example.com");
    const plain = loadStackConfig(project(untyped, "config:\n  proj:hook: https://plain.example.com\n"), "dev");
    assert.equal(plain.config["proj:hook"], "https://plain.example.com");
    // A secure scalar's type: unknown offline for a scalar type (its decrypted text may be `5` or `abc`), but never
    // an object or a list (the CLI JSON-decodes only structured values: the text is a string).
    const typed = (type: string) =>
      `config:\n  k:\n    type: ${type}\n${type === "array" ? "    items:\n      type: string\n" : ""}`;
    const secure = "config:\n  proj:k:\n    secure: v1:abc\n";
    for (const type of ["string", "integer", "boolean"])
      assert.deepEqual(loadStackConfig(project(typed(type), secure), "dev").secretKeys, ["proj:k"], type);
    fails(
      project(typed("object"), secure),
      "validating stack config: Stack 'dev' with configuration key 'k' must be of type 'object'",
    );
    fails(
      project(typed("array"), secure),
      "validating stack config: Stack 'dev' with configuration key 'k' must be of type 'array<string>'",
    );
  });

  describe("checks each stack value against its declared type (ValidateConfigValue on the stored text)", () => {
    const cases: [string, string, string, string, string?][] = [
      // [type declaration, stack value, accepted?, type name in the message, the value the program reads when
      // accepted: a string, structured values as compact JSON, as the CLI hands config to the program]
      ["type: integer", "90", "yes", "integer", "90"],
      ["type: integer", '"90"', "yes", "integer", "90"], // text that strconv.Atoi accepts
      ["type: integer", "90.5", "no", "integer"],
      ["type: integer", "ninety", "no", "integer"],
      ["type: boolean", "true", "yes", "boolean", "true"],
      ["type: boolean", "yes", "no", "boolean"], // YAML 1.2: a string, not "true"/"false"
      ["type: string", "1234", "yes", "string", "1234"], // a scalar is stored as text
      ["type: string", "{a: 1}", "no", "string"],
      ["type: array\n    items:\n      type: string", "[a@example.com]", "yes", "array<string>", '["a@example.com"]'],
      ["type: array\n    items:\n      type: string", "[1]", "no", "array<string>"],
      ["type: array\n    items:\n      type: string", "a@example.com", "no", "array<string>"],
      ["type: object", "{sku: {name: BC_Gen5}}", "yes", "object", '{"sku":{"name":"BC_Gen5"}}'],
      ["type: object", "[1, 2]", "no", "object"],
      ["type: object", "BC_Gen5", "no", "object"],
    ];
    for (const [decl, value, accepted, typeName, read] of cases) {
      it(`${decl.replace(/\n\s+/g, " ")} with ${value}: ${accepted === "yes" ? "accepted" : "refused"}`, () => {
        const dir = project(`config:\n  k:\n    ${decl}\n`, `config:\n  proj:k: ${value}\n`);
        if (accepted === "yes") assert.equal(loadStackConfig(dir, "dev").config["proj:k"], read);
        else
          fails(dir, `validating stack config: Stack 'dev' with configuration key 'k' must be of type '${typeName}'`);
      });
    }
  });

  it("validates the project's declarations like (*Project).Validate and the project schema", () => {
    fails(
      project("config:\n  n:\n    type: integer\n    default: many\n", "config: {}\n"),
      "The default value specified for configuration key 'n' is not of the expected type 'integer'",
    );
    fails(
      project("config:\n  l:\n    type: array\n", "config: {}\n"),
      "The configuration key 'l' declares an array but does not specify the underlying type via the 'items' attribute",
    );
    fails(
      project("config:\n  n:\n    default: 1\n    value: 2\n", "config: {}\n"),
      "project config 'n' cannot have both a 'default' and 'value' attribute",
    );
    fails(
      project("config:\n  aws:region:\n    type: string\n    value: x\n", "config: {}\n"),
      "Configuration key 'aws:region' is not namespaced by the project and should not define a type",
    );
    fails(
      project("config:\n  n:\n    type: map\n", "config: {}\n"),
      /type 'map' is not one of string, integer, boolean, array, object/,
    );
    fails(
      project("config:\n  n:\n    type: string\n    required: true\n", "config: {}\n"),
      /attribute 'required' not allowed/,
    );
  });

  it("applies defaults as the CLI stores them: scalars as text, structured defaults as JSON", () => {
    const { config } = loadStackConfig(
      project(
        "config:\n  n: 5\n  o:\n    type: object\n    default: {}\n  b:\n    type: boolean\n    default: false\n",
        "config: {}\n",
      ),
      "dev",
    );
    assert.deepEqual(
      { n: config["proj:n"], o: config["proj:o"], b: config["proj:b"] },
      { n: "5", o: "{}", b: "false" },
    );
  });

  it("reads keys as the CLI's ParseKey does: bare keys are the project's, `ns:config:name` is `ns:name`, others refused", () => {
    // loaders.go stackConfigNamespacedWithProject, then config/key.go ParseKey.
    const sc = loadStackConfig(project("", "config:\n  a: x\n  proj:config:b: y\n  aws:region: z\n"), "dev");
    assert.deepEqual(sc.config, { "proj:a": "x", "proj:b": "y", "aws:region": "z" });
    fails(
      project("", "config:\n  proj:a:b: x\n"),
      "getting stack configuration: could not unmarshal map: could not parse proj:a:b as a configuration key (configuration keys should be of the form `<namespace>:<name>`)",
    );
    // A declared key set through the old form satisfies the declaration.
    const declared = loadStackConfig(
      project("config:\n  n:\n    type: integer\n", "config:\n  proj:config:n: 3\n"),
      "dev",
    );
    assert.equal(declared.config["proj:n"], "3");
  });

  it("a key with no value is the empty string, with the CLI's warning (checkForEmptyConfig)", () => {
    const sc = loadStackConfig(project("config:\n  s:\n    type: string\n", "config:\n  proj:s:\n  t: ~\n"), "dev");
    assert.equal(sc.config["proj:s"], "");
    assert.equal(sc.config["proj:t"], "");
    assert.deepEqual(sc.warnings, [
      'No value for configuration keys "proj:s" and "proj:t". This is currently treated as an empty string `""`, but will be treated as `null` in a future version of pulumi.\nSet the values to `""` to avoid this warning.',
    ]);
    assert.deepEqual(loadStackConfig(ROOT, "dev").warnings, []);
  });

  it("gives the policy pack the stack tags the CLI sends: project, runtime, description, pulumi:tags", () => {
    const dev = loadStackConfig(ROOT, "dev");
    const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { description: string };
    assert.deepEqual(dev.tags, {
      "pulumi:project": PROJECT,
      "pulumi:runtime": "nodejs",
      "pulumi:description": doc.description,
    });
    const tagged = loadStackConfig(project("", "config:\n  pulumi:tags:\n    team: payments\n"), "dev");
    assert.deepEqual(tagged.tags, { "pulumi:project": "proj", "pulumi:runtime": "nodejs", team: "payments" });
    fails(project("", "config:\n  pulumi:tags:\n    n: 3\n"), "pulumi:tags[n] must be a string");
  });

  it("refuses a stack that imports Pulumi ESC environments, which it cannot open offline", () =>
    fails(
      project("", "environment:\n  - payments/dev\nconfig: {}\n"),
      /`environment` imports Pulumi ESC environments/,
    ));

  it("refuses a project shorthand the project schema refuses (a float or an empty value)", () => {
    fails(project("config:\n  r: 0.5\n", "config: {}\n"), /config 'r': 0.5 is not a string, an integer, a boolean/);
    fails(project("config:\n  r:\n", "config: {}\n"), /config 'r': null is not a string/);
  });

  it("takes the deprecated `config: <dir>` as the stack files' folder, and refuses it beside stackConfigDir", () => {
    // project.go RewriteConfigPathIntoStackConfigDir.
    const dir = tempDir("stack-config-dir-");
    fs.mkdirSync(path.join(dir, "stacks"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: proj\nruntime: nodejs\nconfig: stacks\n");
    fs.writeFileSync(path.join(dir, "stacks", "Pulumi.dev.yaml"), "config:\n  proj:a: x\n");
    assert.deepEqual(loadStackConfig(dir, "dev").config, { "proj:a": "x" });
    for (const both of ["stackConfigDir: stacks", "stackConfigDir:"]) {
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: proj\nruntime: nodejs\nconfig: stacks\n${both}\n`);
      fails(
        dir,
        "Should not use both config and stackConfigDir to define the stack directory. Use only stackConfigDir instead.",
      );
    }
  });

  it("uses the fixture project next to a stack file when there is one", () => {
    const sc = loadStackConfig(ROOT, "insecure", path.join(ROOT, "tests/fixtures/insecure/Pulumi.insecure.yaml"));
    assert.deepEqual(Object.keys(sc.config), ["azure-native:location"]);
  });
});

/**
 * The files are read as go-yaml v3 reads them (pulumi sdk/go/common/encoding/marshal.go imports gopkg.in/yaml.v3);
 * each expectation quotes go-yaml's resolve.go `resolve` or decode.go.
 */
describe("stack files read as the CLI's YAML library reads them (go-yaml v3)", () => {
  const load = (stackConfig: string, config = "") => loadStackConfig(project(config, stackConfig), "dev").config;

  it("reads the committed files exactly as a YAML 1.2 parser does (they use none of the forms that differ)", () => {
    for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"]) {
      const text = fs.readFileSync(path.join(ROOT, file), "utf8");
      assert.deepEqual(parseGoYaml(text), parse(text), file);
    }
  });

  it("numbers: underscores dropped, then Go's ParseInt with base 0 (a leading zero is octal), ParseUint, a float", () => {
    const c = load(
      [
        "config:",
        "  proj:octal: 0365", // "Octals from the 1.1 spec, spelled as 0777, are still decoded by default in v3"
        "  proj:separated: 1_024", // plain := strings.Replace(in, "_", "", -1)
        "  proj:binary: 0b101",
        "  proj:hex: 0x1F",
        "  proj:octal12: 0o17",
        "  proj:notOctal: 09", // ParseInt fails, yamlStyleFloat matches: the float 9
        "  proj:negative: -0365",
        "  proj:float: 1.5e3",
        "  proj:dotFloat: .5",
        "  proj:zero: 0",
        "  proj:quoted: '0365'",
        "",
      ].join("\n"),
    );
    assert.deepEqual(
      [
        c["proj:octal"],
        c["proj:separated"],
        c["proj:binary"],
        c["proj:hex"],
        c["proj:octal12"],
        c["proj:notOctal"],
        c["proj:negative"],
        c["proj:float"],
        c["proj:dotFloat"],
        c["proj:zero"],
        c["proj:quoted"],
      ],
      ["245", "1024", "5", "31", "15", "9", "-245", "1500", "0.5", "0", "0365"],
    );
    // A typed integer key takes `1_024` as the CLI does (the stack holds 1024), where YAML 1.2 reads a string.
    assert.equal(load("config:\n  proj:size: 1_024\n", "config:\n  size:\n    type: integer\n")["proj:size"], "1024");
  });

  it("integers past 2^53 reach the program exactly, as go-yaml's int64 and uint64 and Go's JSON write them", () => {
    const c = load(
      [
        "config:",
        "  proj:int64: 9223372036854775807",
        "  proj:uint64: 12345678901234567891",
        "  proj:negative: -9007199254740993",
        "  proj:pastUint64: 123456789012345678901234", // ParseUint fails: the float64 Go's JSON writes with an exponent
        "  proj:list: [12345678901234567891, 1]",
        "  proj:map: {id: 9007199254740993}",
        "",
      ].join("\n"),
    );
    assert.deepEqual(
      [c["proj:int64"], c["proj:uint64"], c["proj:negative"], c["proj:pastUint64"], c["proj:list"], c["proj:map"]],
      [
        "9223372036854775807",
        "12345678901234567891",
        "-9007199254740993",
        "1.2345678901234569e+23",
        "[12345678901234567891,1]",
        '{"id":9007199254740993}',
      ],
    );
    // A typed integer: the stored text must pass strconv.Atoi (int64), so a uint64 fails as it does in the CLI; in a
    // list, Go's json.Unmarshal makes it a whole float64, which passes.
    const integer = "config:\n  n:\n    type: integer\n";
    assert.equal(load("config:\n  n: 9223372036854775807\n", integer)["proj:n"], "9223372036854775807");
    fails(
      project(integer, "config:\n  n: 9223372036854775808\n"),
      "validating stack config: Stack 'dev' with configuration key 'n' must be of type 'integer'",
    );
    const list = "config:\n  l:\n    type: array\n    items:\n      type: integer\n";
    assert.equal(load("config:\n  l: [12345678901234567891]\n", list)["proj:l"], "[12345678901234567891]");
    // A project default: go-yaml's int is text (createConfigValue's isPrimitiveValue), a uint64 JSON, which a typed
    // default's check (ValidateConfigValue on the YAML value: no `int`, no float64) refuses.
    assert.equal(load("config: {}\n", "config:\n  big: 9007199254740993\n")["proj:big"], "9007199254740993");
    assert.equal(load("config: {}\n", "config:\n  big: 12345678901234567891\n")["proj:big"], "12345678901234567891");
    fails(
      project("config:\n  n:\n    type: integer\n    default: 12345678901234567891\n", "config: {}\n"),
      "The default value specified for configuration key 'n' is not of the expected type 'integer'",
    );
  });

  it("refuses `.nan` and `.inf` as Go's JSON does, in the CLI's words, before any key error", () => {
    fails(
      project("", "config:\n  proj:a: .nan\n"),
      "getting stack configuration: could not unmarshal map: json: unsupported value: NaN",
    );
    fails(
      project("", "config:\n  proj:a: [1, -.inf]\n"),
      "getting stack configuration: could not unmarshal map: json: unsupported value: -Inf",
    );
    // Every value is read before any key is parsed (config/map.go), in key order (the re-marshalled file's).
    fails(
      project("", "config:\n  proj:x:y: 1\n  proj:b: .inf\n  proj:a: {v: .nan}\n"),
      "getting stack configuration: could not unmarshal map: json: unsupported value: NaN",
    );
    // In the order of the namespaced keys, as loaders.go re-marshals them: `proj:zz` before `q:a` (raw, `q:a` first).
    fails(
      project("", "config:\n  zz: .nan\n  q:a: .inf\n"),
      "getting stack configuration: could not unmarshal map: json: unsupported value: NaN",
    );
    // A negative zero float keeps its sign, as Go's JSON writes it; an integer `-0` is 0.
    assert.deepEqual(
      (({ "proj:f": f, "proj:i": i, "proj:l": l }) => [f, i, l])(
        loadStackConfig(project("", "config:\n  proj:f: -0.0\n  proj:i: -0\n  proj:l: [-0.0]\n"), "dev").config,
      ),
      ["-0", "0", "[-0]"],
    );
    // A project default Go cannot write fails when it is applied (mergeConfig's createConfigValue).
    fails(
      project("config:\n  r:\n    default: .nan\n", "config: {}\n"),
      "validating stack config: json: unsupported value: NaN",
    );
  });

  it("booleans and nulls as YAML 1.2 (`yes`, `on`, `07:00` stay text, unlike YAML 1.1)", () => {
    const c = load(
      "config:\n  proj:a: yes\n  proj:b: on\n  proj:c: 07:00\n  proj:d: True\n  proj:e: FALSE\n  proj:f: [~, Null, x]\n",
    );
    assert.deepEqual(
      [c["proj:a"], c["proj:b"], c["proj:c"], c["proj:d"], c["proj:e"], c["proj:f"]],
      ["yes", "on", "07:00", "true", "false", '[null,null,"x"]'],
    );
    assert.deepEqual(["yes", "On", "07:00", "1:30", "Y", "0x", "+", "-", "1.2.3", "1e", "0b2"].map(resolvePlain), [
      "yes",
      "On",
      "07:00",
      "1:30",
      "Y",
      "0x",
      "+",
      "-",
      "1.2.3",
      "1e",
      "0b2",
    ]);
  });

  it("`<<` merges maps: the map's own keys first, then the earlier maps of a list (decode.go mergeTag)", () => {
    const c = load(
      [
        "config:",
        "  proj:base: &base { sku: GP, maxSizeGb: 32, zone: false }",
        "  proj:other: &other { zone: true, tier: hot }",
        "  proj:sql:",
        "    maxSizeGb: 64",
        "    <<: [*base, *other]",
        "",
      ].join("\n"),
    );
    assert.deepEqual(JSON.parse(c["proj:sql"]), { sku: "GP", maxSizeGb: 64, zone: false, tier: "hot" });
    assert.throws(() => parseGoYaml("a: &x 1\nb:\n  <<: *x\n"), /map merge requires map or sequence of maps/);
    // An alias to a list of maps is refused (decode.go `merge`: an alias must name a map), a list written there is not.
    assert.throws(() => parseGoYaml("l: &l [{x: 1}]\nb: {<<: *l}\n"), /map merge requires map or sequence of maps/);
    assert.deepEqual(parseGoYaml("m: &m {x: 1}\nb: {<<: [*m, {y: 2}]}\n"), { m: { x: 1 }, b: { x: 1, y: 2 } });
  });

  it("refuses an unquoted date (a Go time to the CLI, not its text) and an explicit tag, naming the file and the fix", () => {
    fails(
      project("", "config:\n  proj:start: 2027-01-31\n"),
      /^Pulumi\.dev\.yaml: `2027-01-31` is a timestamp .*quote it/,
    );
    assert.equal(load("config:\n  proj:start: '2027-01-31'\n")["proj:start"], "2027-01-31");
    // Not a calendar date to Go's time.Parse: go-yaml keeps the text.
    assert.deepEqual(["2027-13-45", "2027-02-30", "2027-01-31 25:00:00"].map(resolvePlain), [
      "2027-13-45",
      "2027-02-30",
      "2027-01-31 25:00:00",
    ]);
    fails(project("", "config:\n  proj:n: !!int 3\n"), /^Pulumi\.dev\.yaml: the explicit tag tag:yaml\.org,2002:int/);
    // A duplicate key is an error, as go-yaml's "mapping key … already defined".
    fails(project("", "config:\n  proj:a: 1\n  proj:a: 2\n"), /^Pulumi\.dev\.yaml is not valid YAML: .*unique/i);
  });
});
