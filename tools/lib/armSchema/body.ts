/**
 * The ARM request body of an azure-native resource, built from its inputs and guided by the ARM schema itself:
 * - an input the resource definition declares goes where it is declared (`location`, `sku`, `properties`, ...);
 * - one it does not, but its `properties` bag does, goes into `properties` (the SDK flattens the bag into
 *   top-level inputs), and the same holds at every nesting level (subnets, IP configurations, rule collections) and
 *   for Data Factory's `typeProperties` bags (FLATTENED_BAGS);
 * - a list of user-assigned identity ids becomes the map ARM takes (`{ "<id>": {} }`);
 * - SDK names that differ from the REST names (`x-ms-client-name`) are renamed (see RENAMES);
 * - an input that finds no place is reported, never dropped silently.
 * Every input leaf is recorded with the body path it landed at, so a test can prove nothing was lost.
 */
import type { Located, Schema } from "./schemaDoc";
import type { SchemaStore } from "./store";

/**
 * SDK property names that azure-native takes from the REST spec's `x-ms-client-name`, per schema definition
 * (file name without the API version, so they hold across versions): SDK name → REST name.
 */
export const RENAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // keyvault.KeyAttributesArgs: "Expiry date in seconds since 1970-01-01T00:00:00Z" is `exp` on the wire.
  "Microsoft.KeyVault.json#/definitions/KeyAttributes": { expires: "exp", notBefore: "nbf" },
  "Microsoft.Storage.json#/definitions/StorageAccountPropertiesCreateParameters": {
    enableHttpsTrafficOnly: "supportsHttpsTrafficOnly",
    networkRuleSet: "networkAcls",
  },
  "Microsoft.Storage.json#/definitions/Encryption": {
    encryptionIdentity: "identity",
    keyVaultProperties: "keyvaultproperties",
  },
  "Microsoft.Storage.json#/definitions/KeyVaultProperties": {
    keyName: "keyname",
    keyVaultUri: "keyvaulturi",
    keyVersion: "keyversion",
  },
  // applicationinsights.ComponentArgs: the REST names of a component's properties are PascalCase or snake-ish.
  "Microsoft.Insights.Application.json#/definitions/ApplicationInsightsComponentProperties": {
    applicationType: "Application_Type",
    flowType: "Flow_Type",
    requestSource: "Request_Source",
    disableIpMasking: "DisableIpMasking",
    disableLocalAuth: "DisableLocalAuth",
    ingestionMode: "IngestionMode",
    workspaceResourceId: "WorkspaceResourceId",
    retentionInDays: "RetentionInDays",
    samplingPercentage: "SamplingPercentage",
    immediatePurgeDataOn30Days: "ImmediatePurgeDataOn30Days",
    forceCustomerStorageForProfiler: "ForceCustomerStorageForProfiler",
    hockeyAppId: "HockeyAppId",
  },
  "Microsoft.Storage.json#/definitions/EncryptionIdentity": {
    encryptionUserAssignedIdentity: "userAssignedIdentity",
    encryptionFederatedIdentityClientId: "federatedIdentityClientId",
  },
  // authorization.RoleDefinition: `roleType` is the role definition's `properties.type` (BuiltInRole/CustomRole).
  "Microsoft.Authorization.json#/definitions/RoleDefinitionProperties": { roleType: "type" },
  // monitor.MetricAlert criteria: the discriminator `odata.type` is `odataType` in the SDK.
  "Microsoft.Insights.json#/definitions/MetricAlertCriteria": { odataType: "odata.type" },
};

/**
 * Bags whose members the SDK flattens into the enclosing object (`x-ms-client-flatten`): a resource's `properties`
 * and, in Data Factory, the `typeProperties` of linked services, datasets, triggers, integration runtimes and
 * activities (at any depth).
 */
export const FLATTENED_BAGS = ["properties", "typeProperties"] as const;

export interface BodyMapping {
  /** The body ARM receives (without `name`, `type`, `apiVersion`, added by the caller). */
  readonly body: Record<string, unknown>;
  /** Input leaf path → body path, for every leaf placed. */
  readonly placed: ReadonlyMap<string, string>;
  /** Input paths that found no place in the schema. */
  readonly unplaced: readonly string[];
}

interface Shape {
  /** Declared properties (through allOf / oneOf / anyOf), each with the file its `$ref`s resolve in. */
  readonly props: Map<string, Located>;
  /** `additionalProperties` schema of a map-like object. */
  readonly additional?: Located;
  readonly items?: Located;
  readonly types: Set<string>;
  /** True when the schema says nothing about the value's structure (free-form). */
  readonly open: boolean;
  /** SDK name → REST name for the definitions reached. */
  readonly renames: Readonly<Record<string, string>>;
}

type Json = unknown;
const isObject = (v: Json): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const join = (base: string, key: string | number) =>
  typeof key === "number" ? `${base}[${key}]` : base === "" ? key : `${base}.${key}`;

const normal = (k: string) => k.toLowerCase().replace(/_/g, "");

/**
 * The REST name of an SDK property whose name differs only in case and underscores (`applicationType` is
 * `Application_Type`, `keyVaultProperties` is `keyvaultproperties`), else the name itself.
 */
function sameName(props: ReadonlyMap<string, Located>, key: string): string {
  if (props.has(key)) return key;
  const n = normal(key);
  return [...props.keys()].find((k) => normal(k) === n) ?? key;
}

export class BodyMapper {
  private readonly placed = new Map<string, string>();
  private readonly unplaced: string[] = [];

  constructor(private readonly store: SchemaStore) {}

  /** Maps the body inputs of a resource onto its resource definition. */
  map(inputs: Readonly<Record<string, unknown>>, definition: Located): BodyMapping {
    const body = this.object(inputs, definition, "", "") as Record<string, unknown>;
    return { body, placed: this.placed, unplaced: this.unplaced };
  }

  private shape(node: Located, value?: Json): Shape {
    const props = new Map<string, Located>();
    const types = new Set<string>();
    let additional: Located | undefined;
    let items: Located | undefined;
    let constrained = false;
    let renames: Record<string, string> = {};
    const visit = (n: Located, depth: number) => {
      if (depth > 20) return;
      const r = this.store.resolve(n);
      if (r.ref && RENAMES[r.ref]) renames = { ...renames, ...RENAMES[r.ref] };
      const s = r.schema;
      if (typeof s.type === "string") types.add(s.type);
      if (Array.isArray(s.type)) s.type.forEach((t) => types.add(String(t)));
      if (isObject(s.properties)) {
        constrained = true;
        for (const [k, v] of Object.entries(s.properties))
          if (!props.has(k)) props.set(k, { schema: v as Schema, file: r.file });
      }
      if (isObject(s.additionalProperties)) additional ??= { schema: s.additionalProperties as Schema, file: r.file };
      if (isObject(s.items)) items ??= { schema: s.items as Schema, file: r.file };
      if (s.enum || s.pattern) constrained = true;
      for (const key of ["allOf", "oneOf", "anyOf"] as const) {
        const list = s[key];
        if (!Array.isArray(list)) continue;
        const branches = key === "allOf" ? list : this.matching(list as Schema[], r.file, value);
        for (const b of branches) visit({ schema: b as Schema, file: r.file }, depth + 1);
      }
    };
    visit(node, 0);
    const open = !constrained && !additional && !items && (types.size === 0 || types.has("object"));
    return { props, additional, items, types, open, renames };
  }

  /** Of a oneOf/anyOf, the branches whose discriminator (a single-value enum property) matches the value. */
  private matching(list: readonly Schema[], file: string, value: Json): Schema[] {
    if (!isObject(value)) return [...list];
    const fitting = list.filter((b) =>
      [...this.discriminators({ schema: b, file }, 0)].every(([k, d]) => !(k in value) || value[k] === d),
    );
    return fitting.length > 0 ? fitting : [...list];
  }

  /** The single-value properties (`enum: [x]` or `const`) of a union branch, through `allOf` and `$ref`s. */
  private discriminators(node: Located, depth: number, out = new Map<string, unknown>()): Map<string, unknown> {
    if (depth > 10) return out;
    const r = this.store.resolve(node);
    for (const [k, p] of Object.entries(isObject(r.schema.properties) ? r.schema.properties : {})) {
      const q = this.store.resolve({ schema: p as Schema, file: r.file }).schema;
      const inner =
        Array.isArray(q.allOf) && q.allOf.length === 1
          ? this.store.resolve({ schema: q.allOf[0] as Schema, file: r.file }).schema
          : q;
      for (const c of [q, inner]) {
        if ("const" in c) out.set(k, c.const);
        else if (Array.isArray(c.enum) && c.enum.length === 1) out.set(k, c.enum[0]);
      }
    }
    for (const m of Array.isArray(r.schema.allOf) ? r.schema.allOf : [])
      this.discriminators({ schema: m as Schema, file: r.file }, depth + 1, out);
    return out;
  }

  private value(v: Json, node: Located | undefined, inPath: string, outPath: string): Json {
    if (node === undefined) return this.leaves(v, inPath, outPath);
    if (Array.isArray(v)) return this.array(v, node, inPath, outPath);
    if (isObject(v)) return this.object(v, node, inPath, outPath);
    this.placed.set(inPath, outPath);
    return v;
  }

  /** Records a free-form value's leaves as placed as they are. */
  private leaves(v: Json, inPath: string, outPath: string): Json {
    if (Array.isArray(v) && v.length > 0) v.forEach((x, i) => this.leaves(x, join(inPath, i), join(outPath, i)));
    else if (isObject(v) && Object.keys(v).length > 0)
      for (const [k, x] of Object.entries(v)) this.leaves(x, join(inPath, k), join(outPath, k));
    else this.placed.set(inPath, outPath);
    return v;
  }

  private array(v: readonly Json[], node: Located, inPath: string, outPath: string): Json {
    if (v.length === 0) return this.leaves(v, inPath, outPath);
    const shape = this.shape(node);
    if (shape.items) return v.map((x, i) => this.value(x, shape.items, join(inPath, i), join(outPath, i)));
    if (shape.additional && v.every((x) => typeof x === "string")) {
      // userAssignedIdentities: a list of ids in the SDK, a map of id → {} in ARM.
      const out: Record<string, unknown> = {};
      v.forEach((id, i) => {
        out[id as string] = {};
        this.placed.set(join(inPath, i), `${outPath}["${String(id)}"]`);
      });
      return out;
    }
    return this.leaves(v, inPath, outPath);
  }

  private object(v: Readonly<Record<string, unknown>>, node: Located, inPath: string, outPath: string): Json {
    if (Object.keys(v).length === 0) return this.leaves(v, inPath, outPath);
    const shape = this.shape(node, v);
    if (shape.open) return this.leaves(v, inPath, outPath);
    const out: Record<string, unknown> = {};
    const bags = FLATTENED_BAGS.flatMap((b) => {
      const node = shape.props.get(b);
      const bagShape = node ? this.shape(node) : undefined;
      return bagShape && !bagShape.open ? [{ name: b, shape: bagShape }] : [];
    });
    for (const [key, x] of Object.entries(v)) {
      if (x === undefined) continue;
      const name = shape.renames[key] ?? sameName(shape.props, key);
      const at = join(inPath, key);
      const bag = bags.find((b) => b.shape.props.has(b.shape.renames[key] ?? sameName(b.shape.props, key)));
      // The envelope's `type` is the ARM resource type, which the caller adds; an SDK input named `type` on a
      // resource is a property in its bag (e.g. a Cosmos DB SQL role definition's `type: "CustomRole"`).
      const envelopeType = inPath === "" && key === "type" && !!bag;
      if (shape.props.has(name) && !envelopeType) {
        const mapped = this.value(x, shape.props.get(name), at, join(outPath, name));
        // A bag given as an input and flattened members placed into it before: one bag.
        out[name] = isObject(out[name]) && isObject(mapped) ? { ...out[name], ...mapped } : mapped;
      } else if (bag) {
        const inner = bag.shape.renames[key] ?? sameName(bag.shape.props, key);
        const props = (out[bag.name] ??= {}) as Record<string, unknown>;
        props[inner] = this.value(x, bag.shape.props.get(inner), at, join(join(outPath, bag.name), inner));
      } else if (shape.additional) {
        out[name] = this.value(x, shape.additional, at, join(outPath, name));
      } else {
        this.unplaced.push(at);
      }
    }
    return out;
  }
}
