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
import type { Schema } from "./schemaDoc";
import { SchemaStore } from "./store";
import { isAzureNative } from "../sdkType";

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
  /** The API version of the schema used when Microsoft publishes none for `apiVersion` (see fallbacks.json). */
  readonly schemaVersion?: string;
  /** The request body validated (name, type, apiVersion and the mapped inputs). */
  readonly body?: Record<string, unknown>;
  readonly placed?: ReadonlyMap<string, string>;
  readonly pathParameters: readonly string[];
  /** Why the body was not validated: Microsoft publishes no resource schema for the type (UNPUBLISHED_SCHEMAS). */
  readonly unpublished?: string;
}

/**
 * ARM types for which Microsoft's schema repository declares no resource definition in any API version, so nothing
 * can validate their bodies offline: the check lists them as not validated instead of failing. Evidence: every
 * `schemas/<version>/Microsoft.SecurityInsights.json` of Azure/azure-resource-manager-schemas (2019-01-01-preview …
 * 2025-09-01, at a1454431) has only `definitions` (property shapes), no `resourceDefinitions` or
 * `extension_resourceDefinitions`. Their request bodies follow the REST spec
 * (azure-rest-api-specs: specification/securityinsights), checked by the component tests instead.
 */
export const UNPUBLISHED_SCHEMAS: Readonly<Record<string, string>> = {
  "microsoft.securityinsights/onboardingstates": "Microsoft.SecurityInsights publishes property definitions only",
  "microsoft.securityinsights/dataconnectors": "Microsoft.SecurityInsights publishes property definitions only",
  "microsoft.securityinsights/alertrules": "Microsoft.SecurityInsights publishes property definitions only",
};

/** Why Microsoft publishes no schema for an ARM type (`UNPUBLISHED_SCHEMAS`, any case), or undefined. */
export const unpublishedReason = (armType: string): string | undefined => UNPUBLISHED_SCHEMAS[armType.toLowerCase()];

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
    if (!r.custom || !isAzureNative(r) || !r.id) continue;
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
 * Keeps the errors a person needs: of a failed oneOf/anyOf, the errors of its closest branch (the one with the
 * fewest), which then explain the failure; duplicates (the same rule on the same path) are dropped.
 */
function relevant(errors: readonly ErrorObject[], body: unknown): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const unions = errors
    .filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf")
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const u of unions) {
    if (dropped.has(u)) continue;
    const branches = new Map<string, ErrorObject[]>();
    for (const e of errors) {
      if (dropped.has(e) || !e.schemaPath.startsWith(`${u.schemaPath}/`)) continue;
      const branch = e.schemaPath.slice(u.schemaPath.length + 1).split("/")[0];
      branches.set(branch, [...(branches.get(branch) ?? []), e]);
    }
    const closest = [...branches.values()].sort((a, b) => a.length - b.length)[0];
    for (const list of branches.values()) if (list !== closest) list.forEach((e) => dropped.add(e));
    if (closest) dropped.add(u);
  }
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (dropped.has(e) || valueAt(body, e.instancePath) === UNKNOWN) continue;
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
  const patterns: string[] = [];
  const visit = (node: Schema, f: string, depth: number) => {
    if (depth > 6) return;
    const r = store.resolve({ schema: node, file: f });
    const pattern = member(r.schema, "name", store, r.file)?.pattern;
    if (typeof pattern === "string") patterns.push(pattern);
    for (const key of ["allOf", "oneOf", "anyOf"] as const)
      for (const b of Array.isArray(r.schema[key]) ? (r.schema[key] as Schema[]) : []) visit(b, r.file, depth + 1);
  };
  visit(def, file, 0);
  // Fixed-name children with several names (`sites/config`: appsettings, web, ...) are a oneOf of such branches.
  return patterns.some((p) => p.startsWith("^.*/"));
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

/**
 * What the check finds for one resource, apart from the record it was found on (urn and logical name): what is
 * kept between runs (SchemaStore.result), as JSON.
 */
interface ResourceResult {
  readonly checked: Omit<CheckedResource, "urn" | "sdkType" | "placed"> & { readonly placed?: [string, string][] };
  readonly errors: readonly Omit<SchemaError, "urn" | "resource" | "armType">[];
}

/** Checks one resource: its body mapped from the inputs, validated against its definition. */
function checkOne(t: Target, store: SchemaStore): ResourceResult {
  const r = t.record;
  const params = pathParameters(r.type);
  const def = store.definition(t.armType, t.version, t.scope);
  if (!def) {
    // Not validated: either Microsoft publishes no resource schema for the type (listed), or one is missing here.
    const unpublished = unpublishedReason(t.armType);
    return {
      checked: {
        armType: t.armType,
        apiVersion: t.version,
        pathParameters: [...params],
        ...(unpublished ? { unpublished } : {}),
      },
      errors: unpublished
        ? []
        : [
            {
              kind: "no-schema",
              path: "",
              message: `no vendored ARM schema for ${t.armType}@${t.version} (run npm run schemas:vendor -- --from <copy>)`,
            },
          ],
    };
  }
  const errors: ResourceResult["errors"][number][] = [];
  const inputs = Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !params.has(k)));
  const mapping = new BodyMapper(store).map(inputs, { schema: def.schema, file: def.file });
  const body = {
    ...withPropertiesBag(mapping.body, def.schema, store, def.file),
    name: templateName(def.schema, store, def.file) ? t.path : t.name,
    type: t.armType,
    // A stand-in schema (older API version) declares its own version.
    apiVersion: def.version,
  };
  for (const p of mapping.unplaced) {
    errors.push({ kind: "unplaced-input", path: p, message: `input '${p}' has no place in the ARM schema` });
  }
  const verdict = store.verdict(def, body);
  if (!verdict.valid) {
    for (const e of relevant(verdict.errors, body)) {
      const at = e.keyword === "required" ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath;
      const bodyPath = pointerToPath(at);
      const input = [...mapping.placed.entries()].find(([, out]) => out === bodyPath)?.[0];
      errors.push({
        kind: "schema",
        path: bodyPath,
        ...(input && input !== bodyPath ? { input } : {}),
        message: message(e),
      });
    }
  }
  return {
    checked: {
      armType: t.armType,
      apiVersion: t.version,
      file: def.file,
      ...(def.version !== t.version ? { schemaVersion: def.version } : {}),
      body,
      placed: [...mapping.placed.entries()],
      pathParameters: [...params],
    },
    errors,
  };
}

/**
 * Validates every azure-native resource of a run against its vendored ARM schema. What it finds for a resource is
 * kept in the cache beside the validators, keyed by the resource's type, id and inputs and by everything else that
 * decides it (SchemaStore.resultSalt): a resource checked before with the same inputs gets its recorded result
 * without loading its schema files, so an unchanged tree is checked in a few milliseconds per resource.
 */
export function checkSchemas(
  records: readonly ResourceRecord[],
  store: SchemaStore = new SchemaStore(),
  /**
   * Trim the cache after this check when it wrote to it (`false`: the caller checks more with the same store and trims
   * once, at the end).
   */
  trim = true,
): SchemaCheck {
  const resources: CheckedResource[] = [];
  const errors: SchemaError[] = [];
  const files = new Set<string>();
  for (const t of targets(records)) {
    const r = t.record;
    const kept = store.result<ResourceResult>(r);
    const found = kept.value ?? checkOne(t, store);
    if (!kept.value) kept.keep(found);
    const { placed, ...checked } = found.checked;
    if (checked.file) files.add(checked.file);
    const armType = `${t.armType}@${t.version}`;
    for (const e of found.errors) errors.push({ urn: r.urn, resource: r.name, armType, ...e });
    resources.push({ urn: r.urn, sdkType: r.type, ...checked, ...(placed ? { placed: new Map(placed) } : {}) });
  }
  if (trim && store.wroteCache) store.trimCache();
  return { resources, errors, files: [...files].sort() };
}
