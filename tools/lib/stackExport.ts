/**
 * The `pulumi stack export` format, both ways: the offline run written as the CLI writes an export (version 3, or 4
 * with the features its resources use; secrets as envelopes), and an export (ours or the CLI's) read back into the
 * records the policy pack evaluates, refused as the CLI refuses it.
 */
import * as fs from "node:fs";
import { scrub, SECRET_SIG, SECRET_SIG_VALUE, UNKNOWN, urnParts, type ProgramRun } from "./engine";
import type { ResourceRecord } from "./policyRunner";

/** One resource of a `pulumi stack export` (apitype.ResourceV3, deployment versions 3 and 4). */
export interface ExportedResource {
  urn: string;
  custom: boolean;
  id?: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: string;
  protect?: boolean;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  provider?: string;
  ignoreChanges?: string[];
  replaceOnChanges?: string[];
  retainOnDelete?: boolean;
  customTimeouts?: { create?: number; update?: number; delete?: number; read?: number };
  additionalSecretOutputs?: string[];
  aliases?: string[];
  deletedWith?: string;
  replaceWith?: string[];
}

/**
 * The deployment features a CLI of this project's release (.pulumi.version) reads (pulumi pkg/resource/stack/
 * deployment.go, `supportedFeatures`): a version-4 export naming another is refused, as the CLI refuses it.
 */
export const EXPORT_FEATURES = [
  "refreshBeforeUpdate",
  "views",
  "hooks",
  "taint",
  "replaceWith",
  "snippets-prototype",
] as const;

/**
 * A `pulumi stack export`. The CLI writes version 3, or version 4 with the features its resources use (deployment.go,
 * `SerializeDeploymentWithMetadata`: `version = DeploymentSchemaVersionLatest` when any `ApplyFeatures` found one):
 * this program's stacks always use `replaceWith` (the Event Hubs private endpoint and its DNS zone group), so their
 * exports are version 4 with `features: ["replaceWith"]`.
 */
export interface StackExport {
  version: 3 | 4;
  features?: string[];
  deployment: {
    manifest: { time: string; magic: string; version: string };
    secrets_providers?: { type: string };
    resources: ExportedResource[];
  };
}

const secretEnvelope = () => ({ [SECRET_SIG]: SECRET_SIG_VALUE, ciphertext: "[secret]" });

function setAt(obj: Record<string, unknown>, pathText: string, value: unknown): void {
  const parts = pathText.match(/[^.[\]]+/g) ?? [];
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    cur = (cur as Record<string, unknown> | undefined)?.[parts[i]];
    if (cur === undefined || cur === null) return;
  }
  if (cur && typeof cur === "object" && parts.length > 0)
    (cur as Record<string, unknown>)[parts[parts.length - 1]] = value;
}

/** The run as a `pulumi stack export` document; secrets appear only as encrypted-style envelopes. */
export function toStackExport(run: ProgramRun): StackExport {
  const resources = run.resources.map((r) => {
    const inputs = structuredClone(r.inputs);
    for (const p of r.secretKeys ?? []) setAt(inputs, p, secretEnvelope());
    const outputs = structuredClone(r.outputs);
    for (const p of r.secretOutputKeys ?? []) setAt(outputs, p, secretEnvelope());
    const out: ExportedResource = {
      urn: r.urn,
      custom: r.custom,
      ...(r.id ? { id: r.id } : {}),
      type: r.type,
      inputs,
      outputs,
      ...(r.parent ? { parent: r.parent } : {}),
      protect: r.protect,
      dependencies: [...r.dependencies],
      propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, [...v]])),
      ...(r.ignoreChanges?.length ? { ignoreChanges: [...r.ignoreChanges] } : {}),
      ...(r.replaceOnChanges?.length ? { replaceOnChanges: [...r.replaceOnChanges] } : {}),
      // apitype.ResourceV3: `retainOnDelete,omitempty`; `customTimeouts` only when one is set (deployment.go).
      ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
      ...(r.customTimeouts ? { customTimeouts: { ...r.customTimeouts } } : {}),
      // apitype.ResourceV3: `additionalSecretOutputs,omitempty`.
      ...(r.additionalSecretOutputs?.length ? { additionalSecretOutputs: [...r.additionalSecretOutputs] } : {}),
      // apitype.ResourceV3 has `aliases` (URNs), but a real state drops them once URNs are normalised
      // (apitype/core.go): the offline export keeps the program's own for `npm run changes`, which reads nothing else.
      ...(r.aliases?.length ? { aliases: [...r.aliases] } : {}),
      // apitype.ResourceV3: `deletedWith,omitempty`, `replaceWith,omitempty`.
      ...(r.deletedWith ? { deletedWith: r.deletedWith } : {}),
      ...(r.replaceWith?.length ? { replaceWith: [...r.replaceWith] } : {}),
    };
    return out;
  });
  // deployment.go ApplyFeatures: a resource with `replaceWith` makes the deployment need that feature (the only one
  // a program can set of those the offline engine records), and any feature makes it version 4.
  const features = resources.some((r) => r.replaceWith) ? ["replaceWith"] : [];
  return scrub(
    {
      version: features.length > 0 ? 4 : 3,
      ...(features.length > 0 ? { features } : {}),
      deployment: {
        manifest: { time: "1970-01-01T00:00:00.000Z", magic: "", version: "offline-preview" },
        secrets_providers: { type: "service" },
        resources,
      },
    },
    run.secrets,
  );
}

export class ExportFormatError extends Error {
  override name = "ExportFormatError";
}

/** What reading an export found that the CLI's analyzer would have seen otherwise. */
export interface ExportReading {
  /** Secret values the export holds encrypted only (no `--show-secrets`): rules reading them cannot decide. */
  encryptedSecrets: number;
  /** The strings of the secrets it holds in plaintext, masked in the verdict as the offline preview masks its own. */
  readonly plaintexts: Set<string>;
}

/**
 * The string values of a secret (its leaves): what must never be printed. Not its keys, which are the value's shape
 * (`name`, `serviceUri`): masking them would mask those words in every message of the verdict.
 */
function stringsOf(value: unknown, into: Set<string>): void {
  if (typeof value === "string") into.add(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, into);
  else if (value && typeof value === "object") for (const v of Object.values(value)) stringsOf(v, into);
}

/**
 * A value of an export as the analyzer receives it. A secret is its value: the CLI exports it as the JSON text of the
 * serialised value, in `plaintext` with `--show-secrets` (pulumi pkg/resource/stack/deployment.go,
 * `SerializePropertyValue`: `bytes, err := json.Marshal(value) … plaintext := string(bytes)`), and the policy SDK
 * hands rules the unwrapped value (pulumi-policy sdk/nodejs/policy/deserialize.ts, `specialSecretSig`). Without it
 * only the ciphertext is there, which no rule may decide on: the value is unknown, so a rule reading it reports that
 * it cannot run instead of judging a made-up value.
 */
function unwrapExported(value: unknown, reading: ExportReading): unknown {
  if (Array.isArray(value)) return value.map((v) => unwrapExported(v, reading));
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o[SECRET_SIG] === SECRET_SIG_VALUE) {
      if (typeof o.plaintext !== "string") {
        reading.encryptedSecrets++;
        return UNKNOWN;
      }
      let inner: unknown;
      try {
        inner = JSON.parse(o.plaintext);
      } catch {
        throw new ExportFormatError(
          "a secret's plaintext is not the JSON text the CLI writes (its value is not shown)",
        );
      }
      stringsOf(inner, reading.plaintexts);
      return unwrapExported(inner, reading);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapExported(v, reading)]));
  }
  return value;
}

/**
 * A resource's inputs or outputs as the analyzer receives them: unwrapped, without the top-level internal keys
 * (`__…`), which the engine leaves out of what it sends (pulumi sdk/go/common/resource/plugin/rpc.go,
 * `SkipInternalKeys`: "Only skip top level internal keys").
 */
function propertiesOf(props: Record<string, unknown> | undefined, reading: ExportReading): Record<string, unknown> {
  const unwrapped = unwrapExported(props ?? {}, reading) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(unwrapped).filter(([k]) => !k.startsWith("__")));
}

/** Reads a `pulumi stack export` (ours or the CLI's) into resource records. */
export function fromStackExport(
  doc: unknown,
  reading: ExportReading = { encryptedSecrets: 0, plaintexts: new Set() },
): ResourceRecord[] {
  const d = doc as (Omit<Partial<StackExport>, "version"> & { version?: unknown }) | undefined;
  // The CLI's own refusals first (deployment.go UnmarshalUntypedDeployment), with its errors' texts (a CLI command may
  // word them further, FormatDeploymentDeserializationError).
  if (d && typeof d.version === "number" && d.version > 4)
    throw new ExportFormatError("this stack's deployment version is too new");
  if (d?.version === 4) {
    const unsupported = (Array.isArray(d.features) ? d.features : []).filter(
      (f) => !(EXPORT_FEATURES as readonly unknown[]).includes(f),
    );
    if (unsupported.length > 0)
      throw new ExportFormatError(
        `this stack's deployment needs support for the following features: ${unsupported.join(", ")}`,
      );
  }
  if (!d || (d.version !== 3 && d.version !== 4) || !Array.isArray(d.deployment?.resources)) {
    throw new ExportFormatError(
      "not a `pulumi stack export` file: expected {version: 3 or 4, deployment: {resources: [...]}}",
    );
  }
  return d.deployment.resources.map((r, i) => {
    if (typeof r.urn !== "string" || typeof r.type !== "string") {
      throw new ExportFormatError(`resource #${i} has no urn or type`);
    }
    return {
      urn: r.urn,
      type: r.type,
      name: urnParts(r.urn).name || r.urn,
      custom: r.custom !== false,
      ...(r.id ? { id: r.id } : {}),
      ...(r.parent ? { parent: r.parent } : {}),
      dependencies: r.dependencies ?? [],
      propertyDependencies: r.propertyDependencies ?? {},
      inputs: propertiesOf(r.inputs, reading),
      outputs: propertiesOf(r.outputs, reading),
      protect: r.protect === true,
      ...(r.provider ? { provider: r.provider } : {}),
      ignoreChanges: r.ignoreChanges ?? [],
      replaceOnChanges: r.replaceOnChanges ?? [],
      ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
      ...(r.customTimeouts ? { customTimeouts: { ...r.customTimeouts } } : {}),
      ...(r.additionalSecretOutputs?.length ? { additionalSecretOutputs: [...r.additionalSecretOutputs] } : {}),
      ...(r.aliases?.length ? { aliases: r.aliases.filter((a): a is string => typeof a === "string") } : {}),
      ...(typeof r.deletedWith === "string" && r.deletedWith ? { deletedWith: r.deletedWith } : {}),
      ...(Array.isArray(r.replaceWith) && r.replaceWith.length > 0
        ? { replaceWith: r.replaceWith.filter((u): u is string => typeof u === "string") }
        : {}),
    } satisfies ResourceRecord;
  });
}

/**
 * The resources of an export file (fromStackExport) without those pending deletion (withoutPendingDeletes: a real
 * `pulumi stack export` after an interrupted replacement holds the old copy under the same URN, which `changes` would
 * otherwise read as a second resource and `cost:diff` price twice); ExportFormatError when it is missing or not JSON.
 * `role` (`--base`, `--head`) names which of a tool's two files an error is about.
 */
export function readExportFile(file: string, role?: string): ResourceRecord[] {
  const which = role ? `${role} ${file}: ` : "";
  if (!fs.existsSync(file)) throw new ExportFormatError(`${which}export file not found: ${file}`);
  try {
    return fromStackExport(withoutPendingDeletes(JSON.parse(fs.readFileSync(file, "utf8"))));
  } catch (e) {
    if (e instanceof SyntaxError) throw new ExportFormatError(`${which || `${file} `}is not valid JSON: ${e.message}`);
    if (e instanceof ExportFormatError && role) throw new ExportFormatError(`${which}${e.message}`);
    throw e;
  }
}

/**
 * An export without the resources it marks `delete: true` (an old copy a replacement has yet to delete): the CLI's
 * snapshot analysis skips them for both the per-resource and the stack policies (pkg/resource/deploy/
 * analyze_snapshot.go, `if res.Delete { continue }`). Anything that is not an export is left for fromStackExport to refuse.
 */
export function withoutPendingDeletes(doc: unknown): unknown {
  const d = doc as { deployment?: { resources?: unknown } } | null;
  const resources = d?.deployment?.resources;
  if (!Array.isArray(resources)) return doc;
  const kept = resources.filter((r) => (r as { delete?: unknown } | null)?.delete !== true);
  return kept.length === resources.length ? doc : { ...d, deployment: { ...d?.deployment, resources: kept } };
}
