/**
 * The vendored schema files themselves: where a namespace's types are (candidateFiles), which definition declares an
 * ARM type (definitionsOf), what other files one refers to (externalFiles), and the two rewrites every node gets as
 * it is reached (stripExpression, openDiscriminatedBase). Pure functions of the files' JSON.
 */
import type { ArmScope } from "./identity";

/** The base of the schemas' ids and cross-file `$ref`s. */
export const SCHEMA_BASE = "https://schema.management.azure.com/schemas/";
const EXPRESSION_REF = `${SCHEMA_BASE}common/definitions.json#/definitions/expression`;

export type Schema = Record<string, unknown>;

/** Sections of a schema file, in the order tried for a scope. */
export const SECTIONS: Record<ArmScope, readonly string[]> = {
  resourceGroup: ["resourceDefinitions", "extension_resourceDefinitions"],
  extension: ["extension_resourceDefinitions", "resourceDefinitions"],
  subscription: ["subscription_resourceDefinitions", "extension_resourceDefinitions", "resourceDefinitions"],
  managementGroup: ["managementGroup_resourceDefinitions", "extension_resourceDefinitions"],
  tenant: ["tenant_resourceDefinitions"],
};
export const ALL_SECTIONS = [
  "resourceDefinitions",
  "extension_resourceDefinitions",
  "subscription_resourceDefinitions",
  "managementGroup_resourceDefinitions",
  "tenant_resourceDefinitions",
] as const;

/** A resource definition inside a schema file. */
export interface DefinitionRef {
  /** Path under `schemas/`, e.g. `2024-11-01/Microsoft.KeyVault.json`. */
  readonly file: string;
  /** The schema's API version; differs from the one asked for when Microsoft publishes no schema for it. */
  readonly version: string;
  readonly section: string;
  readonly name: string;
  readonly schema: Schema;
}

/** A schema node and the file its local `$ref`s resolve against. */
export interface Located {
  readonly schema: Schema;
  readonly file: string;
  /** The definition reached through the last `$ref` followed: `Microsoft.KeyVault.json#/definitions/KeyAttributes`. */
  readonly ref?: string;
}

/** The files of `schemas/<version>/` that can hold a namespace's types (`Microsoft.Network.NRP.json`, ...). */
export function candidateFiles(names: readonly string[], namespace: string): string[] {
  const ns = namespace.toLowerCase();
  return names
    .filter((n) => n.endsWith(".json") && (n.toLowerCase() === `${ns}.json` || n.toLowerCase().startsWith(`${ns}.`)))
    .sort((a, b) => a.length - b.length || a.localeCompare(b));
}

/** The resource definitions of a parsed schema file that declare an ARM type (case-insensitive), by section. */
export function definitionsOf(doc: Schema, armType: string): { section: string; name: string; schema: Schema }[] {
  const want = armType.toLowerCase();
  const out: { section: string; name: string; schema: Schema }[] = [];
  for (const section of ALL_SECTIONS) {
    const defs = (doc[section] ?? {}) as Record<string, Schema>;
    for (const [name, def] of Object.entries(defs)) {
      const type = (def.properties as Record<string, Schema> | undefined)?.type;
      const values = (type?.enum as unknown[] | undefined) ?? [];
      if (values.some((v) => typeof v === "string" && v.toLowerCase() === want))
        out.push({ section, name, schema: def });
    }
  }
  return out;
}

/** Cross-file `$ref` targets of a schema file (paths under `schemas/`), expression references excluded. */
export function externalFiles(text: string, self: string): string[] {
  const files = new Set<string>();
  for (const m of text.matchAll(/"\$ref"\s*:\s*"https:\/\/schema\.management\.azure\.com\/schemas\/([^"#]+)#/g)) {
    if (m[1] !== self) files.add(m[1]);
  }
  return [...files].sort();
}

const isExpression = (x: unknown) => !!x && typeof x === "object" && (x as Schema).$ref === EXPRESSION_REF;

/**
 * Drops the "or an ARM template expression" alternative the schemas put beside every value (`oneOf: [X,
 * {$ref: expression}]` becomes `allOf: [X]`) at one level: request bodies never hold expressions, and without it an
 * error names the real rule instead of "must match exactly one schema in oneOf". Applied to every node as it is
 * reached (`SchemaStore.resolve`), so files are never walked whole.
 */
export function stripExpression(node: Schema): Schema {
  const lists = (["oneOf", "anyOf"] as const).filter((k) => Array.isArray(node[k]) && node[k].some(isExpression));
  if (lists.length === 0) return node;
  const out: Schema = { ...node };
  for (const k of lists) {
    const kept = (node[k] as unknown[]).filter((x) => !isExpression(x));
    delete out[k];
    if (kept.length === 1) out.allOf = [...((out.allOf as unknown[]) ?? []), kept[0]];
    else if (kept.length > 1) out[k] = kept;
  }
  return out;
}

/**
 * Opens the base of a discriminated union: the generator writes `allOf: [{ properties: <common>,
 * additionalProperties: false }, { oneOf: [<one branch per discriminator value>] }]`, where the base's
 * `additionalProperties: false` would reject every branch's own properties (an ML workspace outbound rule's
 * `destination`, an AmlCompute's `properties`) although ARM accepts them. The branches keep their own rules.
 */
export function openDiscriminatedBase(node: Schema): Schema {
  const all = node.allOf;
  if (!Array.isArray(all) || !all.some((m) => m && typeof m === "object" && Array.isArray((m as Schema).oneOf)))
    return node;
  if (!all.some((m) => m && typeof m === "object" && (m as Schema).additionalProperties === false)) return node;
  return {
    ...node,
    allOf: all.map((m) => {
      if (!m || typeof m !== "object" || (m as Schema).additionalProperties !== false) return m;
      const { additionalProperties: _closed, ...open } = m as Schema;
      return open;
    }),
  };
}
