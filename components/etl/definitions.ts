/**
 * Pure conversion of the generated Data Factory definitions (pipelines/etl/, REST shape: what
 * `az datafactory pipeline|dataset|trigger create` and the ARM API take) into the azure-native input shape, and the
 * reference graph that orders their creation. No resources here; unit-tested in tests/etl.spec.ts.
 *
 * azure-native flattens every `typeProperties` bag (`x-ms-client-flatten` in the Data Factory REST spec) into its
 * parent: an activity's `typeProperties.source` is `source` on the activity (`CopyActivityArgs`), a dataset's
 * `typeProperties.location` is `properties.location` (`ParquetDatasetArgs`), a schedule trigger's
 * `typeProperties.recurrence` is `properties.recurrence` (`ScheduleTriggerArgs`), at every depth: the activities of
 * a ForEach / Until (`activities`), an IfCondition (`ifTrueActivities`, `ifFalseActivities`) and a Switch
 * (`cases[].activities`, `defaultActivities`) are activities too (node_modules/@pulumi/azure-native/types/input.d.ts,
 * `ForEachActivityArgs`, `IfConditionActivityArgs`, `UntilActivityArgs`, `SwitchActivityArgs`). A key present in
 * both the outer object and its `typeProperties` cannot be expressed: the converter refuses it, naming the path.
 */
import type * as datafactory from "@pulumi/azure-native/datafactory";
import { ADF_PIPELINE_MAX_BYTES, type AdfDefinitions, type AdfResource } from "../../pipelines/etl/contract";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** Keys of a control activity's `typeProperties` that hold activities (converted recursively). */
const NESTED_ACTIVITY_KEYS = ["activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities"] as const;

/** Merges `typeProperties` into `outer`, refusing a key present in both. */
function flatten(outer: Json, where: string): Json {
  const { typeProperties, ...rest } = outer;
  if (typeProperties === undefined) return rest;
  if (!isObject(typeProperties)) throw new Error(`${where}.typeProperties must be an object`);
  for (const key of Object.keys(typeProperties)) {
    if (key in rest) {
      throw new Error(
        `${where}: typeProperties.${key} collides with ${key} on the same object once azure-native flattens typeProperties` +
          (key === "schema"
            ? " (a SQL dataset's schema name cannot be set through azure-native, pulumi-azure-native#2006: use tableName '[schema].[table]' or a query)"
            : ""),
      );
    }
  }
  return { ...rest, ...typeProperties };
}

/** One activity (and the activities it contains) in the azure-native shape. */
export function convertActivity(activity: unknown, where: string): Json {
  if (!isObject(activity)) throw new Error(`${where} must be an object`);
  const name = typeof activity.name === "string" ? activity.name : "?";
  const here = `${where}(${name})`;
  const flat = flatten(activity, here);
  for (const key of NESTED_ACTIVITY_KEYS) {
    if (flat[key] !== undefined) flat[key] = convertActivities(flat[key], `${here}.${key}`);
  }
  if (flat.cases !== undefined) {
    if (!Array.isArray(flat.cases)) throw new Error(`${here}.cases must be an array`);
    flat.cases = flat.cases.map((c: unknown, i) => {
      if (!isObject(c)) throw new Error(`${here}.cases[${i}] must be an object`);
      return c.activities === undefined
        ? { ...c }
        : { ...c, activities: convertActivities(c.activities, `${here}.cases[${i}].activities`) };
    });
  }
  return flat;
}

function convertActivities(list: unknown, where: string): Json[] {
  if (!Array.isArray(list)) throw new Error(`${where} must be an array of activities`);
  return list.map((a, i) => convertActivity(a, `${where}[${i}]`));
}

/** A pipeline's members in the azure-native shape: `datafactory.PipelineArgs` without its scope. */
export type PipelineMembers = Omit<datafactory.PipelineArgs, "factoryName" | "resourceGroupName" | "pipelineName">;

/*
 * The definitions are data (JSON from the generator), so the SDK types are asserted here, once: the preview's ARM
 * schema check validates every converted body against Microsoft's schema, and tests/etl.spec.ts the conversion.
 */

/** A pipeline's `properties` as `datafactory.PipelineArgs` members (a pipeline has no `typeProperties` itself). */
export function convertPipeline(resource: AdfResource): PipelineMembers {
  const where = `pipeline ${resource.name}`;
  const { activities, ...rest } = resource.properties;
  if ("typeProperties" in rest) throw new Error(`${where}: a pipeline has no typeProperties`);
  const members = {
    ...rest,
    ...(activities === undefined ? {} : { activities: convertActivities(activities, where) }),
  };
  return members as PipelineMembers;
}

function convertTyped(kind: "dataset" | "trigger", resource: AdfResource): Json {
  if (typeof resource.properties.type !== "string")
    throw new Error(`${kind} ${resource.name}: properties.type is required`);
  return flatten(resource.properties, `${kind} ${resource.name}`);
}

/** A dataset's `properties` in the azure-native shape (`DatasetArgs.properties`). */
export function convertDataset(resource: AdfResource): datafactory.DatasetArgs["properties"] {
  return convertTyped("dataset", resource) as unknown as datafactory.DatasetArgs["properties"];
}

/** A trigger's `properties` in the azure-native shape (`TriggerArgs.properties`). */
export function convertTrigger(resource: AdfResource): datafactory.TriggerArgs["properties"] {
  return convertTyped("trigger", resource) as unknown as datafactory.TriggerArgs["properties"];
}

/** What a definition references by name, collected from every `{ referenceName, type }` in it. */
export interface References {
  readonly pipelines: ReadonlySet<string>;
  readonly datasets: ReadonlySet<string>;
  readonly linkedServices: ReadonlySet<string>;
  readonly integrationRuntimes: ReadonlySet<string>;
}

const REFERENCE_KINDS = {
  PipelineReference: "pipelines",
  DatasetReference: "datasets",
  LinkedServiceReference: "linkedServices",
  IntegrationRuntimeReference: "integrationRuntimes",
} as const satisfies Record<string, keyof References>;

/** Collects the references of a definition (REST or converted shape: the reference objects are the same). */
export function referencesOf(value: unknown): References {
  const found = {
    pipelines: new Set<string>(),
    datasets: new Set<string>(),
    linkedServices: new Set<string>(),
    integrationRuntimes: new Set<string>(),
  };
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObject(v)) return;
    const kind = typeof v.type === "string" ? REFERENCE_KINDS[v.type as keyof typeof REFERENCE_KINDS] : undefined;
    if (kind && typeof v.referenceName === "string") found[kind].add(v.referenceName);
    Object.values(v).forEach(walk);
  };
  walk(value);
  return found;
}

/**
 * Checks that every reference resolves (to a definition, or to a linked service / integration runtime the factory
 * provides) and returns the pipelines in creation order (a pipeline after those it executes). Data Factory refuses a
 * definition that references one that does not exist yet, so resources are created in this order.
 */
export function checkDefinitions(
  defs: AdfDefinitions,
  provided: { readonly linkedServices: readonly string[]; readonly integrationRuntimes: readonly string[] },
): { readonly pipelineOrder: readonly string[] } {
  const problems: string[] = [];
  const names = {
    pipelines: new Set(defs.pipelines.map((p) => p.name)),
    datasets: new Set(defs.datasets.map((d) => d.name)),
    linkedServices: new Set(provided.linkedServices),
    integrationRuntimes: new Set(provided.integrationRuntimes),
  };
  // Data Factory refuses a pipeline object over 200 KB, and support cannot raise it (azure-docs
  // includes/azure-data-factory-limits.md: "Bytes per object for pipeline objects | 200 KB | 200 KB").
  for (const p of defs.pipelines) {
    const bytes = Buffer.byteLength(JSON.stringify(p), "utf8");
    if (bytes > ADF_PIPELINE_MAX_BYTES)
      problems.push(`pipeline ${p.name} is ${bytes} bytes, over Data Factory's ${ADF_PIPELINE_MAX_BYTES} per pipeline`);
  }
  for (const [kind, list] of [
    ["pipeline", defs.pipelines],
    ["dataset", defs.datasets],
    ["trigger", defs.triggers],
  ] as const) {
    const seen = new Set<string>();
    for (const r of list) {
      if (seen.has(r.name)) problems.push(`${kind} ${r.name} is defined twice`);
      seen.add(r.name);
      const refs = referencesOf(r.properties);
      for (const k of Object.keys(names) as (keyof References)[]) {
        for (const ref of refs[k])
          if (!names[k].has(ref)) problems.push(`${kind} ${r.name} references ${k} '${ref}', which does not exist`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`Data Factory definitions: ${problems.join("; ")}`);

  // Topological order of pipelines (Execute Pipeline references); a cycle is an error.
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const byName = new Map(defs.pipelines.map((p) => [p.name, p]));
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting")
      throw new Error(
        `Data Factory definitions: pipelines execute each other in a cycle: ${[...path, name].join(" → ")}`,
      );
    state.set(name, "visiting");
    for (const dep of [...referencesOf(byName.get(name)?.properties).pipelines].sort()) visit(dep, [...path, name]);
    state.set(name, "done");
    order.push(name);
  };
  for (const p of defs.pipelines) visit(p.name, []);
  return { pipelineOrder: order };
}

/** A global parameter's value must have the type the definitions declare (`String`, `Int`, `Bool`). */
export function checkGlobalParameterValue(name: string, type: string, value: unknown): string | undefined {
  if (value === undefined)
    return `global parameter '${name}' (${type}) has no value: the factory must define every one the definitions read`;
  if (typeof value === "object") return undefined; // an Output: typed by its producer
  const ok =
    (type === "String" && typeof value === "string") ||
    (type === "Int" && Number.isInteger(value)) ||
    (type === "Bool" && typeof value === "boolean");
  return ok ? undefined : `global parameter '${name}' is declared ${type} but its value is ${JSON.stringify(value)}`;
}
