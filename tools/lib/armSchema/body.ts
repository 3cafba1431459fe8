/**
 * The ARM request body of an azure-native resource, built from its inputs and guided by the ARM schema itself:
 * - an input the resource definition declares goes where it is declared (`location`, `sku`, `properties`, ...);
 * - one it does not, but its `properties` bag does, goes into `properties` (the SDK flattens the bag into
 *   top-level inputs), and the same holds at every nesting level (subnets, IP configurations, rule collections);
 * - a list of user-assigned identity ids becomes the map ARM takes (`{ "<id>": {} }`);
 * - SDK names that differ from the REST names (`x-ms-client-name`) are renamed (see RENAMES);
 * - an input that finds no place is reported, never dropped silently.
 * Every input leaf is recorded with the body path it landed at, so a test can prove nothing was lost.
 */
import type { Located, Schema, SchemaStore } from "./store";

/**
 * SDK property names that azure-native takes from the REST spec's `x-ms-client-name`, per schema definition
 * (file name without the API version, so they hold across versions): SDK name → REST name.
 */
export const RENAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // keyvault.KeyAttributesArgs: "Expiry date in seconds since 1970-01-01T00:00:00Z" is `exp` on the wire.
  "Microsoft.KeyVault.json#/definitions/KeyAttributes": { expires: "exp", notBefore: "nbf" },
  // storage.StorageAccountArgs and its encryption block.
  "Microsoft.Storage.json#/definitions/StorageAccountPropertiesCreateParameters": {
    enableHttpsTrafficOnly: "supportsHttpsTrafficOnly",
    networkRuleSet: "networkAcls",
  },
  "Microsoft.Storage.json#/definitions/Encryption": {
    encryptionIdentity: "identity",
    keyVaultProperties: "keyvaultproperties",
  },
  "Microsoft.Storage.json#/definitions/EncryptionIdentity": {
    encryptionUserAssignedIdentity: "userAssignedIdentity",
    encryptionFederatedIdentityClientId: "federatedIdentityClientId",
  },
  "Microsoft.Storage.json#/definitions/KeyVaultProperties": {
    keyName: "keyname",
    keyVaultUri: "keyvaulturi",
    keyVersion: "keyversion",
  },
  // applicationinsights.ComponentArgs: the REST properties keep their historical capitalisation.
  "Microsoft.Insights.Application.json#/definitions/ApplicationInsightsComponentProperties": {
    applicationType: "Application_Type",
    disableIpMasking: "DisableIpMasking",
    disableLocalAuth: "DisableLocalAuth",
    flowType: "Flow_Type",
    forceCustomerStorageForProfiler: "ForceCustomerStorageForProfiler",
    hockeyAppId: "HockeyAppId",
    immediatePurgeDataOn30Days: "ImmediatePurgeDataOn30Days",
    ingestionMode: "IngestionMode",
    requestSource: "Request_Source",
    retentionInDays: "RetentionInDays",
    samplingPercentage: "SamplingPercentage",
    workspaceResourceId: "WorkspaceResourceId",
  },
};

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
    const fitting = list.filter((b) => {
      const r = this.store.resolve({ schema: b, file });
      const ps = isObject(r.schema.properties) ? (r.schema.properties as Record<string, Schema>) : {};
      return Object.entries(ps).every(([k, p]) => {
        const e = this.store.resolve({ schema: p, file: r.file }).schema.enum;
        return !(Array.isArray(e) && e.length === 1 && k in value && value[k] !== e[0]);
      });
    });
    return fitting.length > 0 ? fitting : [...list];
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
    const bag = shape.props.get("properties");
    const bagShape = bag ? this.shape(bag) : undefined;
    for (const [key, x] of Object.entries(v)) {
      if (x === undefined) continue;
      const name = shape.renames[key] ?? key;
      const inner = bagShape?.renames[key] ?? key;
      const at = join(inPath, key);
      if (shape.props.has(name)) {
        const mapped = this.value(x, shape.props.get(name), at, join(outPath, name));
        // `properties` given as an input and flattened members placed into it before: one bag.
        out[name] = isObject(out[name]) && isObject(mapped) ? { ...out[name], ...mapped } : mapped;
      } else if (bag && bagShape && !bagShape.open && bagShape.props.has(inner)) {
        const props = (out.properties ??= {}) as Record<string, unknown>;
        props[inner] = this.value(x, bagShape.props.get(inner), at, join(join(outPath, "properties"), inner));
      } else if (shape.additional) {
        out[name] = this.value(x, shape.additional, at, join(outPath, name));
      } else {
        this.unplaced.push(at);
      }
    }
    return out;
  }
}
