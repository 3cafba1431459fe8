/**
 * Keeps the schema check cheap: a resource definition reaches hundreds of definitions (a virtual network's subnet
 * reaches network interfaces, load balancers, application gateways, ...), and compiling them is most of the check's
 * cost, yet a body touches a few. The validator of a body is compiled from the schema pruned to the body's shape:
 * the declared properties the body has (with `required`, types, enums, patterns and the other keywords kept), with
 * `$ref`s inlined. For a value of that shape it accepts and rejects exactly what the whole schema does: properties
 * the body does not have are never validated. Bodies of the same shape (44 DNS zones, ...) share one validator.
 */
import type { Located, Schema } from "./schemaDoc";
import type { SchemaStore } from "./store";

/** The structure of a JSON value: which keys its objects have, what its arrays hold, whether it has scalars. */
export interface ShapeNode {
  leaf?: true;
  object?: Record<string, ShapeNode>;
  /** Merged shape of the elements; `{}` for an empty list. */
  array?: ShapeNode;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function merge(a: ShapeNode | undefined, b: ShapeNode): ShapeNode {
  if (!a) return b;
  const out: ShapeNode = { ...(a.leaf || b.leaf ? { leaf: true as const } : {}) };
  if (a.object || b.object) {
    const keys = new Set([...Object.keys(a.object ?? {}), ...Object.keys(b.object ?? {})]);
    out.object = {};
    for (const k of [...keys].sort()) {
      const x = a.object?.[k];
      const y = b.object?.[k];
      out.object[k] = x && y ? merge(x, y) : ((x ?? y) as ShapeNode);
    }
  }
  if (a.array || b.array) out.array = a.array && b.array ? merge(a.array, b.array) : (a.array ?? b.array);
  return out;
}

/** The shape of a value (object keys sorted, so equal shapes serialise equally). */
export function shapeOf(v: unknown): ShapeNode {
  if (Array.isArray(v)) return { array: v.map(shapeOf).reduce<ShapeNode | undefined>(merge, undefined) ?? {} };
  if (isObject(v)) {
    const object: Record<string, ShapeNode> = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) object[k] = shapeOf(v[k]);
    return { object };
  }
  return { leaf: true };
}

/** Keywords whose value is a schema or a list of schemas, handled below; everything else is copied. */
const STRUCTURAL = new Set([
  "$ref",
  "properties",
  "additionalProperties",
  "patternProperties",
  "items",
  "additionalItems",
  "allOf",
  "anyOf",
  "oneOf",
  "not",
  "definitions",
  "dependencies",
  "id",
]);

/** The schema pruned to a value shape, without `$ref`s. */
export function prune(store: SchemaStore, node: Located, shape: ShapeNode, depth = 0): Schema {
  if (depth > 200) throw new Error(`schema nesting too deep in schemas/${node.file}`);
  const r = store.resolve(node);
  const s = r.schema;
  const sub = (x: unknown, sh: ShapeNode) => prune(store, { schema: x as Schema, file: r.file }, sh, depth + 1);
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    // `const` (a draft-06 discriminator some newer schemas use) is `enum: [x]` in draft-04.
    if (k === "const") out.enum = [v];
    else if (!STRUCTURAL.has(k)) out[k] = v;
  }
  const props = isObject(s.properties) ? s.properties : {};
  const keys = Object.keys(shape.object ?? {});
  const declared = keys.filter((k) => k in props);
  if (declared.length > 0)
    out.properties = Object.fromEntries(declared.map((k) => [k, sub(props[k], shape.object![k])]));
  // Properties a oneOf/anyOf branch declares are the branch's (a discriminated union written as a sibling oneOf, e.g.
  // a metric alert's `criteria`): the level's `additionalProperties` does not apply to them.
  const inBranches = new Set<string>();
  for (const key of ["oneOf", "anyOf"] as const) {
    const branches = s[key];
    if (!Array.isArray(branches) || !isObject(s.additionalProperties)) continue;
    for (const b of branches) {
      const declaredHere = store.resolve({ schema: b as Schema, file: r.file }).schema.properties;
      if (isObject(declaredHere)) Object.keys(declaredHere).forEach((k) => inBranches.add(k));
    }
  }
  const extra = keys.filter((k) => !(k in props) && !inBranches.has(k));
  // `additionalProperties: false` is left out: inputs without a place are the body mapper's findings (named after
  // the SDK input), and newer schemas put it on a discriminated base whose subtypes declare the rest in a sibling
  // `allOf` member, where draft-04 would reject every subtype's own properties.
  if (isObject(s.additionalProperties) && extra.length > 0)
    out.additionalProperties = sub(
      s.additionalProperties,
      extra.map((k) => shape.object![k]).reduce<ShapeNode | undefined>(merge, undefined) as ShapeNode,
    );
  if (isObject(s.patternProperties) && keys.length > 0) {
    const all = keys.map((k) => shape.object![k]).reduce<ShapeNode | undefined>(merge, undefined) as ShapeNode;
    out.patternProperties = Object.fromEntries(Object.entries(s.patternProperties).map(([p, x]) => [p, sub(x, all)]));
  }
  if (s.items !== undefined && shape.array) {
    const items = shape.array;
    out.items = Array.isArray(s.items) ? s.items.map((x) => sub(x, items)) : sub(s.items, items);
    if (isObject(s.additionalItems)) out.additionalItems = sub(s.additionalItems, items);
    else if (typeof s.additionalItems === "boolean") out.additionalItems = s.additionalItems;
  }
  for (const key of ["allOf", "anyOf", "oneOf"] as const)
    if (Array.isArray(s[key])) out[key] = (s[key] as unknown[]).map((x) => sub(x, shape));
  if (isObject(s.not)) out.not = sub(s.not, shape);
  if (isObject(s.dependencies))
    out.dependencies = Object.fromEntries(
      Object.entries(s.dependencies).map(([k, d]) => [k, Array.isArray(d) ? d : sub(d, shape)]),
    );
  return out;
}
