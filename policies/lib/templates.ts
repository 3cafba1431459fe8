/**
 * The resources an ARM deployment's inline template declares: read by the rules that accept a setting made through
 * a deployment (Synapse SQL security, the Defender for SQL plan) and by the offline tools (the cost of Defender
 * plans, the resource providers a stack needs). One reader, so all of them see the same entries.
 */
import type { PolicyResource } from "@pulumi/policy";
import { presence, safeGet, valueAt } from "./values";

/** Whether a template entry is deployed: its `condition` is true (or absent), or an expression not evaluated here. */
export type Deployed = true | "unknown";

/** A resource declared in an ARM deployment's template: its type, name and properties. */
export interface TemplateResource {
  readonly type: string;
  /** The entry's `name` (an ARM expression for child resources). */
  readonly name: string;
  readonly properties: Record<string, unknown>;
  /**
   * `true` when the entry is deployed whatever the parameters (no condition, or one that evaluates to true);
   * `"unknown"` when its condition is an expression this reader cannot evaluate: count its settings as deployed
   * when they are a problem, never as evidence that a control is on.
   */
  readonly deployed: Deployed;
  /** The entry's condition as written, when it has one (for messages). */
  readonly condition?: string;
}

/**
 * The resources an ARM deployment's inline template deploys (none when the template is unknown or linked). An entry
 * whose `condition` evaluates to false, with the deployment's parameter values or the template's defaults, is not
 * deployed and is left out; one whose condition cannot be evaluated is kept with `deployed: "unknown"`.
 */
export function templateResources(deployment: Pick<PolicyResource, "props">): TemplateResource[] {
  if (presence(deployment.props, "properties", "template", "resources") !== "set") return [];
  const template = valueAt(deployment.props, "properties", "template");
  const resources = valueAt(template, "resources");
  if (!Array.isArray(resources)) return [];
  const scope: Scope = { template, parameters: parametersOf(deployment.props), depth: 0 };
  const out: TemplateResource[] = [];
  for (let i = 0; i < resources.length; i++) {
    // An entry unknown during preview cannot be read (not even its type): nothing to check.
    if (presence(resources, String(i)) !== "set") continue;
    const entry = safeGet(resources, String(i));
    if (!entry || typeof entry !== "object") continue;
    const raw = read(entry, "condition");
    const condition =
      raw.state === "absent" ? true : raw.state === "unknown" ? "unknown" : truth(evaluate(raw.value, scope));
    if (condition === false) continue;
    const properties = read(entry, "properties");
    out.push({
      type: String(read(entry, "type").value ?? ""),
      name: String(read(entry, "name").value ?? ""),
      properties: (properties.value && typeof properties.value === "object" ? properties.value : {}) as Record<
        string,
        unknown
      >,
      deployed: condition === true ? true : "unknown",
      ...(raw.state === "absent"
        ? {}
        : { condition: raw.state === "unknown" ? "(unknown during preview)" : describe(raw.value) }),
    });
  }
  return out;
}

/** A condition as written, for messages. */
function describe(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A key of an object that may hold preview unknowns: absent, unknown, or its value (never a throw). */
function read(obj: unknown, key: string): { state: "absent" | "unknown" | "value"; value?: unknown } {
  if (obj === null || typeof obj !== "object" || !(key in obj)) return { state: "absent" };
  try {
    const value = (obj as Record<string, unknown>)[key];
    return value === undefined ? { state: "absent" } : { state: "value", value };
  } catch {
    return { state: "unknown" };
  }
}

/**
 * The deployment's parameter values: its inline `parameters`, or UNKNOWN when they are unknown during preview or
 * come from a `parametersLink` (then no template default may stand in for them).
 */
function parametersOf(props: unknown): unknown {
  const properties = valueAt(props, "properties");
  const inline = read(properties, "parameters");
  if (inline.state === "unknown") return UNKNOWN;
  if (inline.state === "value") return inline.value;
  return read(properties, "parametersLink").state === "absent" ? {} : UNKNOWN;
}

// ---------------------------------------------------------------------------------------------------------------
// A small evaluator for template conditions: literals, `parameters()`, `variables()`, `not`, `and`, `or`, `equals`,
// `bool`, `if`, `true()`, `false()` (learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-
// logical, -comparison, -deployment). Anything else is UNKNOWN, never a guess.
// ---------------------------------------------------------------------------------------------------------------

const UNKNOWN = Symbol("unknown");
type Value = string | number | boolean | null | object | typeof UNKNOWN;

interface Scope {
  readonly template: unknown;
  readonly parameters: unknown;
  /** Expression nesting through parameter defaults and variables (bounded: a template can refer to itself). */
  readonly depth: number;
}

/**
 * A condition's truth: booleans only. ARM documents `condition` as a boolean; whether it coerces a string is not
 * documented, so a string is unknown (`bool()` converts one explicitly).
 */
function truth(v: Value): boolean | "unknown" {
  return typeof v === "boolean" ? v : "unknown";
}

/** A template value: an expression string `[...]` is evaluated; `[[` escapes a literal bracket. */
function evaluate(value: unknown, scope: Scope): Value {
  if (value === undefined) return UNKNOWN;
  if (typeof value !== "string") return value as Value;
  if (!value.startsWith("[") || value.startsWith("[[") || !value.endsWith("]")) return value;
  if (scope.depth > 8) return UNKNOWN;
  try {
    const parser = new Parser(value.slice(1, -1));
    const node = parser.expression();
    parser.end();
    return run(node, { ...scope, depth: scope.depth + 1 });
  } catch {
    return UNKNOWN;
  }
}

type Node = { kind: "literal"; value: string | number } | { kind: "call"; name: string; args: Node[] };

/** Parses function calls and string/number literals; property access (`.x`, `[0]`) is not supported (throws). */
class Parser {
  private i = 0;
  constructor(private readonly text: string) {}

  expression(): Node {
    this.space();
    const c = this.text[this.i];
    if (c === "'") return { kind: "literal", value: this.string() };
    const number = /^-?\d+/.exec(this.text.slice(this.i));
    if (number) {
      this.i += number[0].length;
      return { kind: "literal", value: Number(number[0]) };
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.i));
    if (!name) throw new Error(`unexpected ${c ?? "end"}`);
    this.i += name[0].length;
    this.space();
    this.expect("(");
    const args: Node[] = [];
    this.space();
    if (this.text[this.i] !== ")") {
      for (;;) {
        args.push(this.expression());
        this.space();
        if (this.text[this.i] === ",") {
          this.i++;
          continue;
        }
        break;
      }
    }
    this.expect(")");
    return { kind: "call", name: name[0].toLowerCase(), args };
  }

  end(): void {
    this.space();
    if (this.i !== this.text.length) throw new Error("trailing text (property access is not evaluated)");
  }

  private string(): string {
    let out = "";
    this.i++;
    for (;;) {
      const c = this.text[this.i++];
      if (c === undefined) throw new Error("unterminated string");
      if (c === "'") {
        if (this.text[this.i] === "'") {
          out += "'";
          this.i++;
          continue;
        }
        return out;
      }
      out += c;
    }
  }

  private space(): void {
    while (this.text[this.i] === " ") this.i++;
  }

  private expect(c: string): void {
    this.space();
    if (this.text[this.i] !== c) throw new Error(`expected ${c}`);
    this.i++;
  }
}

/**
 * The entry of `obj` named `name`, case-insensitively (ARM parameter and variable names are): absent, UNKNOWN when
 * `obj` or the entry is unknown during preview, else its value.
 */
function entryOf(obj: unknown, name: string): { state: "absent" | "unknown" | "value"; value?: unknown } {
  if (obj === UNKNOWN) return { state: "unknown" };
  if (obj === null || typeof obj !== "object") return { state: "absent" };
  let keys: string[];
  try {
    keys = Object.keys(obj);
  } catch {
    return { state: "unknown" };
  }
  const key = keys.find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? { state: "absent" } : read(obj, key);
}

function run(node: Node, scope: Scope): Value {
  if (node.kind === "literal") return node.value;
  const args = () => node.args.map((a) => run(a, scope));
  switch (node.name) {
    case "true":
      return node.args.length === 0 ? true : UNKNOWN;
    case "false":
      return node.args.length === 0 ? false : UNKNOWN;
    case "parameters": {
      const [name] = args();
      if (typeof name !== "string" || node.args.length !== 1) return UNKNOWN;
      // The deployment's value (a Key Vault reference or an unknown output stays unknown), else the default.
      const given = entryOf(scope.parameters, name);
      if (given.state === "unknown") return UNKNOWN;
      if (given.state === "value") {
        const v = read(given.value, "value");
        return v.state === "value" ? (v.value as Value) : UNKNOWN;
      }
      const declared = entryOf(read(scope.template, "parameters").value ?? {}, name);
      if (declared.state !== "value") return UNKNOWN;
      const fallback = read(declared.value, "defaultValue");
      return fallback.state === "value" ? evaluate(fallback.value, scope) : UNKNOWN;
    }
    case "variables": {
      const [name] = args();
      if (typeof name !== "string" || node.args.length !== 1) return UNKNOWN;
      const variables = read(scope.template, "variables");
      if (variables.state === "unknown") return UNKNOWN;
      const variable = entryOf(variables.value ?? {}, name);
      return variable.state === "value" ? evaluate(variable.value, scope) : UNKNOWN;
    }
    case "not": {
      const [v] = args();
      const t = node.args.length === 1 ? truth(v) : "unknown";
      return t === "unknown" ? UNKNOWN : !t;
    }
    case "and":
    case "or": {
      if (node.args.length < 2) return UNKNOWN;
      const values = args().map(truth);
      const decisive = node.name === "and" ? false : true;
      if (values.includes(decisive)) return decisive;
      return values.includes("unknown") ? UNKNOWN : !decisive;
    }
    case "bool": {
      // bool('true'), bool('false'), bool(1), bool(0) (template-functions-logical#bool).
      const [v] = args();
      if (node.args.length !== 1) return UNKNOWN;
      if (typeof v === "number") return v !== 0;
      if (typeof v === "boolean") return v;
      if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
      return UNKNOWN;
    }
    case "equals": {
      const [a, b] = args();
      if (node.args.length !== 2 || a === UNKNOWN || b === UNKNOWN) return UNKNOWN;
      if (typeof a === "object" || typeof b === "object") return UNKNOWN;
      // Different types (a "true" string against true()): ARM may have converted the value to the parameter's
      // declared type, so no guess.
      if (typeof a !== typeof b) return UNKNOWN;
      // Strings that differ only in case: ARM's case rules for equals() are not documented, so no guess.
      if (typeof a === "string" && typeof b === "string" && a !== b && a.toLowerCase() === b.toLowerCase()) {
        return UNKNOWN;
      }
      return a === b;
    }
    case "if": {
      const [c, a, b] = args();
      const t = node.args.length === 3 ? truth(c) : "unknown";
      return t === "unknown" ? UNKNOWN : t ? a : b;
    }
    default:
      return UNKNOWN;
  }
}

/**
 * Tag with which an ARM deployment states which Synapse workspace SQL security settings its template declares
 * (comma-separated: `auditing`, `threat-detection`, `vulnerability-assessment`). Stack policies see a deployment's
 * outputs, and azure-native's outputs of a deployment carry no template (DeploymentPropertiesExtendedResponse; during
 * a preview too, provider/pkg/convert/previewOutputs.go), but they carry its tags: the stack rules count the claim,
 * and a resource rule, which sees the deployment's inputs, checks that the template declares what the tag claims.
 */
export const SYNAPSE_SQL_SECURITY_TAG = "synapse-sql-security";
export const SYNAPSE_SQL_SECURITY_SETTINGS = ["auditing", "threat-detection", "vulnerability-assessment"] as const;
export type SynapseSqlSecuritySetting = (typeof SYNAPSE_SQL_SECURITY_SETTINGS)[number];

/** The settings a deployment's tag claims (unknown or absent tags claim nothing); unknown words are kept. */
export function claimedSettings(deployment: Pick<PolicyResource, "props">): string[] {
  const tags = read(deployment.props, "tags");
  const value = tags.state === "value" ? read(tags.value, SYNAPSE_SQL_SECURITY_TAG) : { state: "absent" as const };
  if (value.state !== "value" || typeof value.value !== "string") return [];
  return value.value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Throws the engine's unknown-value error when a deployment's template, its resource list or one of its entries is
 * unknown during preview (a rule that must see them then "can't run during preview", never decides on a part).
 */
export function requireKnownTemplate(props: Record<string, unknown>): void {
  // Reading an unknown value makes the engine report the rule as undecided during preview.
  if (presence(props, "properties") === "unknown") void props.properties;
  const template = valueAt(props, "properties");
  if (presence(props, "properties", "template") === "unknown") void (template as Record<string, unknown>).template;
  const resources = valueAt(props, "properties", "template", "resources");
  if (presence(props, "properties", "template", "resources") === "unknown") {
    void (valueAt(props, "properties", "template") as Record<string, unknown>).resources;
  }
  if (Array.isArray(resources)) {
    for (let i = 0; i < resources.length; i++) if (presence(resources, String(i)) === "unknown") void resources[i];
  }
}

/**
 * Whether a template entry's `name` makes it a child of the workspace the deployment's `workspaceName` parameter
 * names: `[concat(parameters('workspaceName'), '/<child>')]`, `[format('{0}/<child>', parameters('workspaceName'))]`,
 * or a literal `<workspace>/<child>` where the parameter's value is known and equal.
 */
export function namesWorkspaceParameter(name: string, props: Record<string, unknown>): boolean {
  const n = name.replace(/\s+/g, "");
  if (/^\[concat\(parameters\('workspaceName'\),'\/[^/']+'\)\]$/i.test(n)) return true;
  if (/^\[format\('\{0\}\/[^/']+',parameters\('workspaceName'\)\)\]$/i.test(n)) return true;
  const value = read(valueAt(props, "properties", "parameters", "workspaceName"), "value");
  const [workspace, child, extra] = name.split("/");
  return (
    !name.startsWith("[") &&
    extra === undefined &&
    child !== undefined &&
    value.state === "value" &&
    typeof value.value === "string" &&
    workspace.toLowerCase() === value.value.toLowerCase()
  );
}
