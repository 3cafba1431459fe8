/**
 * The ARM schema check of the offline preview: every azure-native resource's request body, validated against
 * Microsoft's ARM JSON schema for its (ARM type, API version), with the errors Azure would answer at deploy time:
 * a wrong enum value, a wrong type, a missing required property, a name outside the allowed pattern. Inputs
 * without a place in the schema and resources without a vendored schema are errors too.
 */
import type { ErrorObject } from "ajv";
import type { ResourceRecord } from "../policyRunner";
import { BodyMapper } from "./body";
import { apiVersionOf, armIdentityFromId, pathParameters, type ArmIdentity } from "./identity";
import { SchemaStore, schemaVersion, type Schema } from "./store";

/** Input values the engine does not know during a preview (outputs of resources not created yet). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type SchemaErrorKind = "schema" | "unplaced-input" | "no-schema";

export interface SchemaError {
  readonly urn: string;
  /** Logical name of the resource. */
  readonly resource: string;
  /** `Microsoft.KeyVault/vaults@2024-11-01` */
  readonly armType: string;
  readonly kind: SchemaErrorKind;
  /** Where in the ARM request body (dotted), or the SDK input path for an unplaced input. */
  readonly path: string;
  /** The SDK input the value came from, when its path differs from the body's (`retentionInDays`). */
  readonly input?: string;
  readonly message: string;
}

export interface CheckedResource {
  readonly urn: string;
  readonly sdkType: string;
  readonly armType: string;
  readonly apiVersion: string;
  readonly file?: string;
  /** The request body validated (name, type, apiVersion and the mapped inputs). */
  readonly body?: Record<string, unknown>;
  readonly placed?: ReadonlyMap<string, string>;
  readonly pathParameters: readonly string[];
}

export interface SchemaCheck {
  /** Resources validated, and those that could not be (no ARM identity: not azure-native). */
  readonly resources: readonly CheckedResource[];
  readonly errors: readonly SchemaError[];
  /** Schema files used (under the vendored schemas/ folder). */
  readonly files: readonly string[];
}

export interface ArmPair {
  readonly armType: string;
  readonly version: string;
}

interface Target extends ArmIdentity {
  readonly record: ResourceRecord;
  readonly version: string;
}

function targets(records: readonly ResourceRecord[]): Target[] {
  const out: Target[] = [];
  for (const r of records) {
    if (!r.custom || !r.type.startsWith("azure-native:") || !r.id) continue;
    const identity = armIdentityFromId(r.id);
    const version = apiVersionOf(r.type, r.inputs);
    if (!identity || !version) throw new Error(`no ARM type or API version for ${r.type} (id ${r.id})`);
    out.push({ ...identity, record: r, version });
  }
  return out;
}

/** The (ARM type, API version) pairs of a run's azure-native resources. */
export function armPairs(records: readonly ResourceRecord[]): ArmPair[] {
  const pairs = new Map<string, ArmPair>();
  for (const t of targets(records)) pairs.set(`${t.armType}@${t.version}`, { armType: t.armType, version: t.version });
  return [...pairs.values()];
}

const pointerToPath = (p: string) =>
  p
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : s))
    .join(".")
    .replace(/\.\[/g, "[");

function valueAt(body: unknown, pointer: string): unknown {
  return pointer
    .split("/")
    .slice(1)
    .reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), body);
}

/** One message per ajv error, naming what is allowed (the validator is built without its own messages). */
export function message(e: Pick<ErrorObject, "keyword" | "params">): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "enum":
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "required":
      return `required property '${String(p.missingProperty)}' is missing`;
    case "type":
      return `must be ${String(p.type)}`;
    case "pattern":
      return `must match pattern "${String(p.pattern)}"`;
    case "format":
      return `must match format "${String(p.format)}"`;
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return `must be ${String(p.comparison)} ${String(p.limit)}`;
    case "minLength":
    case "minItems":
    case "minProperties":
      return `must have at least ${String(p.limit)} ${e.keyword === "minLength" ? "characters" : e.keyword === "minItems" ? "items" : "properties"}`;
    case "maxLength":
    case "maxItems":
    case "maxProperties":
      return `must have at most ${String(p.limit)} ${e.keyword === "maxLength" ? "characters" : e.keyword === "maxItems" ? "items" : "properties"}`;
    case "multipleOf":
      return `must be a multiple of ${String(p.multipleOf)}`;
    case "uniqueItems":
      return `must not have duplicate items (items ${String(p.j)} and ${String(p.i)} are identical)`;
    case "additionalProperties":
      return `must not have property '${String(p.additionalProperty)}'`;
    case "oneOf":
      return "must match exactly one of the allowed shapes";
    case "anyOf":
      return "must match one of the allowed shapes";
    case "not":
      return "must not match the excluded shape";
    default:
      return `fails '${e.keyword}' ${JSON.stringify(p)}`;
  }
}

/**
 * Keeps the errors a person needs: a oneOf/anyOf failure is explained by its branches' errors when they are
 * there; duplicates (the same rule on the same path through two branches) are dropped.
 */
function relevant(errors: readonly ErrorObject[], body: unknown): ErrorObject[] {
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === "oneOf" || e.keyword === "anyOf" || e.keyword === "if") {
      const explained = errors.some(
        (x) => x !== e && x.instancePath.startsWith(e.instancePath) && x.keyword !== e.keyword,
      );
      if (explained) continue;
    }
    if (valueAt(body, e.instancePath) === UNKNOWN) continue;
    const key = `${e.instancePath}|${message(e)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

/** A definition's member schema, through the allOf wrappers left by stripping expression alternatives. */
function member(def: Schema, key: string, store: SchemaStore, file: string): Schema | undefined {
  const p = (def.properties as Record<string, Schema> | undefined)?.[key];
  if (!p) return undefined;
  let r = store.resolve({ schema: p, file }).schema;
  while (Array.isArray(r.allOf) && r.allOf.length === 1 && !r.type)
    r = store.resolve({ schema: r.allOf[0] as Schema, file }).schema;
  return r;
}

/**
 * The schemas are written for templates, where a child resource declared at the top level is named
 * `parent/child`; most name patterns describe the child's own name (the PUT URL's last segment), but fixed-name
 * children (`^.*\/current$`) describe the template form.
 */
function templateName(def: Schema, store: SchemaStore, file: string): boolean {
  // The resource definition itself may be alternatives, one per fixed child name (sites/config: `appsettings`,
  // `web`, …; basicPublishingCredentialsPolicies: `ftp`, `scm`), each with its own name pattern.
  const variants = [def, ...asList(def.oneOf), ...asList(def.anyOf)].filter((v): v is Schema => v !== undefined);
  return variants.some((variant) => {
    const name = member(variant, "name", store, file);
    // A single pattern, or alternatives (a pattern or a template expression).
    const patterns = [name?.pattern, ...[...asList(name?.oneOf), ...asList(name?.anyOf)].map((x) => x?.pattern)];
    return patterns.some((p) => typeof p === "string" && p.startsWith("^.*/"));
  });
}

function asList(v: unknown): (Schema | undefined)[] {
  return Array.isArray(v) ? (v as (Schema | undefined)[]) : [];
}

/**
 * Templates must give `properties` where the schema lists it as required even when all its members are optional;
 * the REST API takes a body without the bag as an empty one (a resource group is created with a location only).
 * The bag defaults to `{}`, so a required member inside it is still reported.
 */
function withPropertiesBag(body: Record<string, unknown>, def: Schema, store: SchemaStore, file: string) {
  const required = Array.isArray(def.required) && def.required.includes("properties");
  const bag = member(def, "properties", store, file);
  return required && body.properties === undefined && bag && (bag.type === "object" || bag.properties)
    ? { ...body, properties: {} }
    : body;
}

/** Validates every azure-native resource of a run against its vendored ARM schema. */
export function checkSchemas(records: readonly ResourceRecord[], store: SchemaStore = new SchemaStore()): SchemaCheck {
  const resources: CheckedResource[] = [];
  const errors: SchemaError[] = [];
  const files = new Set<string>();
  for (const t of targets(records)) {
    const r = t.record;
    const armType = `${t.armType}@${t.version}`;
    const base = { urn: r.urn, resource: r.name, armType };
    const params = pathParameters(r.type);
    const def = store.definition(t.armType, t.version, t.scope);
    if (!def) {
      errors.push({
        ...base,
        kind: "no-schema",
        path: "",
        message: `no vendored ARM schema for ${armType} (run npm run schemas:vendor -- --from <copy>)`,
      });
      resources.push({
        urn: r.urn,
        sdkType: r.type,
        armType: t.armType,
        apiVersion: t.version,
        pathParameters: [...params],
      });
      continue;
    }
    files.add(def.file);
    const inputs = Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !params.has(k)));
    const mapping = new BodyMapper(store).map(inputs, { schema: def.schema, file: def.file });
    const body = {
      ...withPropertiesBag(mapping.body, def.schema, store, def.file),
      name: templateName(def.schema, store, def.file) ? t.path : t.name,
      type: t.armType,
      // The version whose schema is checked (a declared fallback when Microsoft published none: SCHEMA_FALLBACK).
      apiVersion: schemaVersion(t.armType.split("/")[0], t.version),
    };
    for (const p of mapping.unplaced) {
      errors.push({ ...base, kind: "unplaced-input", path: p, message: `input '${p}' has no place in the ARM schema` });
    }
    const validate = store.validator(def, body);
    if (!validate(body)) {
      for (const e of relevant(validate.errors ?? [], body)) {
        const at = e.keyword === "required" ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath;
        const bodyPath = pointerToPath(at);
        const input = [...mapping.placed.entries()].find(([, out]) => out === bodyPath)?.[0];
        errors.push({
          ...base,
          kind: "schema",
          path: bodyPath,
          ...(input && input !== bodyPath ? { input } : {}),
          message: message(e),
        });
      }
    }
    resources.push({
      urn: r.urn,
      sdkType: r.type,
      armType: t.armType,
      apiVersion: t.version,
      file: def.file,
      body,
      placed: mapping.placed,
      pathParameters: [...params],
    });
  }
  return { resources, errors, files: [...files].sort() };
}
