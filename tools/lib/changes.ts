/**
 * What a change deletes or replaces in Azure, from two exports of one stack (the offline preview's `--export` of the
 * base branch and of the pull request, or two real `pulumi stack export`s): the part of a `pulumi preview` a reviewer
 * most needs and the offline gate could not show, since the offline preview starts from no state.
 *
 * - Deleted: a resource in Azure or Entra of the base that the head no longer has under its URN (its logical name,
 *   type or parent changed, or it is gone), unless the base keeps it on delete (`retainOnDelete`: Pulumi only forgets
 *   it); not a package's local resources (`time` waits, `random` values). The offline engine drops aliases (tools/lib/engine.ts `withoutAliases`), so a
 *   resource renamed with an alias shows here as deleted although the real preview would move it.
 * - Replaced: a custom resource of both whose Azure id changed (a new name or resource group is a new resource), or
 *   whose value changed at a path the program declares `replaceOnChanges`, or at one the azure-native provider
 *   always replaces on (pulumi-azure-native provider/pkg/gen/replacement.go `forceNewMap`, plus `location`). The
 *   provider also replaces on properties its Azure API spec marks create-only (`x-ms-mutability`), which an export
 *   does not carry: the real preview remains the authority, and this list is what is known without it.
 *
 * Each names whether the base protects it (Pulumi then refuses the delete or replacement: the `up` fails until a
 * reviewed change unprotects it) and whether it is one of the stateful types the pack protects.
 */
import { STATEFUL_TYPES } from "../../policies/rules/protection";
import type { ResourceRecord } from "./policyRunner";

export interface PlannedChange {
  readonly kind: "delete" | "replace";
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** The base protects it: `pulumi up` refuses to delete or replace it. */
  readonly protected: boolean;
  /** One of the stateful types (policies/rules/protection.ts): its data goes with it. */
  readonly stateful: boolean;
  /** What makes it a replacement: `id` or the changed property paths. */
  readonly because?: readonly string[];
}

/** Property paths the azure-native provider replaces on, whatever the API spec says (replacement.go, `location`). */
export const PROVIDER_FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  "*": ["location"],
  "azure-native:storage:StorageAccount": ["isHnsEnabled"],
  "azure-native:web:WebApp": ["kind"],
  "azure-native:network:PublicIPAddress": ["sku"],
  "azure-native:network:PrivateEndpoint": ["subnet"],
};

/** The value at a dotted path (`sku.name`); `[*]` and indexes are not followed (compared as a whole above them). */
function valueAt(o: unknown, path: string): unknown {
  let v = o;
  for (const k of path.replace(/\[[^\]]*\].*$/, "").split(".")) {
    if (!v || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** Stable JSON (keys sorted) for comparing two values. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "undefined";
}

/** Resources in Azure or Entra: not providers, and not a package's local ones (`time` waits, `random` values). */
const inAzure = (r: ResourceRecord) => r.type.startsWith("azure-native:") || r.type.startsWith("azuread:");

export function plannedChanges(base: readonly ResourceRecord[], head: readonly ResourceRecord[]): PlannedChange[] {
  const heads = new Map(head.map((r) => [r.urn, r]));
  const stateful = new Set<string>(STATEFUL_TYPES);
  const out: PlannedChange[] = [];
  for (const b of base) {
    if (!b.custom || !inAzure(b)) continue;
    const h = heads.get(b.urn);
    const common = { urn: b.urn, type: b.type, name: b.name, protected: b.protect, stateful: stateful.has(b.type) };
    if (!h) {
      // `retainOnDelete`: Pulumi forgets it and leaves it in Azure; not a deletion there.
      if (!b.retainOnDelete) out.push({ kind: "delete", ...common });
      continue;
    }
    const because: string[] = [];
    if (b.id && h.id && b.id.toLowerCase() !== h.id.toLowerCase()) because.push("id");
    const paths = new Set([
      ...(h.replaceOnChanges ?? []),
      ...(PROVIDER_FORCE_NEW["*"] ?? []),
      ...(PROVIDER_FORCE_NEW[h.type] ?? []),
    ]);
    for (const p of paths) {
      const before = valueAt(b.inputs, p);
      const after = valueAt(h.inputs, p);
      if (before === undefined && after === undefined) continue;
      if (canonical(before) !== canonical(after)) because.push(p);
    }
    if (because.length > 0) out.push({ kind: "replace", ...common, because });
  }
  return out;
}

function line(c: PlannedChange, markdown: boolean): string {
  const what = c.kind === "delete" ? "deleted" : `replaced (${(c.because ?? []).join(", ")})`;
  const flags = [
    c.stateful ? "stateful: its data goes with it" : undefined,
    c.protected ? "protected: `pulumi up` refuses it until a reviewed change unprotects it" : undefined,
  ].filter(Boolean);
  const name = markdown ? `\`${c.name}\` (\`${c.type}\`)` : `${c.name} (${c.type})`;
  return `${markdown ? "- " : "  "}${name}: ${what}${flags.length ? `; ${flags.join("; ")}` : ""}`;
}

/** The list for a person or a job summary; says so when nothing is deleted or replaced. */
export function formatChanges(changes: readonly PlannedChange[], stack: string, markdown: boolean): string {
  const title = markdown ? `### Deleted or replaced in Azure (${stack})` : `Deleted or replaced in Azure (${stack}):`;
  if (changes.length === 0)
    return `${title}\n${markdown ? "\n" : "  "}Nothing this change deletes or replaces, as far as two exports show (the real preview also knows the provider's create-only properties).`;
  const risky = changes.filter((c) => c.protected || c.stateful).length;
  return [
    title,
    ...(markdown ? [""] : []),
    ...changes.map((c) => line(c, markdown)),
    ...(markdown ? [""] : []),
    `${markdown ? "" : "  "}${changes.length} resource${changes.length === 1 ? "" : "s"}, ${risky} stateful or protected. A resource renamed with an alias shows as deleted here (the offline engine does not keep aliases); the real preview is the authority.`,
  ].join("\n");
}
