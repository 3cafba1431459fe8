/** The ARM schema check in the preview's outputs: text for a person, JSON for the verdict file, Markdown. */
import type { SchemaCheck, SchemaError } from "./check";

const pairsOf = (check: SchemaCheck) => new Set(check.resources.map((r) => `${r.armType}@${r.apiVersion}`)).size;
const failing = (check: SchemaCheck) => new Set(check.errors.map((e) => e.urn)).size;

/** Pairs validated against an older API version's schema (none published for theirs): `type@v → older`. */
export function standIns(check: SchemaCheck): string[] {
  const out = new Set<string>();
  for (const r of check.resources)
    if (r.schemaVersion) out.add(`${r.armType}@${r.apiVersion} → schema of ${r.schemaVersion}`);
  return [...out].sort();
}

/** Types not validated because Microsoft publishes no resource schema for them: `type@v (reason)`. */
export function unpublished(check: SchemaCheck): string[] {
  const out = new Set<string>();
  for (const r of check.resources) if (r.unpublished) out.add(`${r.armType}@${r.apiVersion} (${r.unpublished})`);
  return [...out].sort();
}

export function schemaSummary(check: SchemaCheck): string {
  return (
    `Schema: ${check.resources.length} azure-native resources (${pairsOf(check)} type@version pairs) against ` +
    `${check.files.length} ARM schema files: ${check.errors.length} errors in ${failing(check)} resources`
  );
}

const where = (e: SchemaError) => `${e.path || "(body)"}${e.input ? ` (input ${e.input})` : ""}`;

/** Errors grouped by resource: resource, ARM type@version, property path, message. */
export function formatSchemaCheck(check: SchemaCheck): string {
  const lines = ["ARM schemas:"];
  if (check.errors.length === 0) lines.push("        ✓ every request body matches its schema");
  let last = "";
  for (const e of check.errors) {
    if (e.urn !== last) lines.push(`        - ${e.resource} (${e.armType})`);
    last = e.urn;
    lines.push(`            ${where(e)}: ${e.message}`);
  }
  const stand = standIns(check);
  if (stand.length > 0) {
    lines.push("    Validated against an older API version's schema (Microsoft publishes none for theirs):");
    for (const x of stand) lines.push(`        ~ ${x}`);
  }
  const none = unpublished(check);
  if (none.length > 0) {
    lines.push("    Not validated (Microsoft publishes no resource schema for the type):");
    for (const x of none) lines.push(`        ? ${x}`);
  }
  lines.push("", schemaSummary(check));
  return lines.join("\n");
}

/** The `schema` member of the JSON verdict. */
export function schemaJson(check: SchemaCheck) {
  return {
    resources: check.resources.length,
    pairs: [...new Set(check.resources.map((r) => `${r.armType}@${r.apiVersion}`))].sort(),
    files: check.files,
    standIns: standIns(check),
    unpublished: unpublished(check),
    errors: check.errors.map((e) => ({
      urn: e.urn,
      resource: e.resource,
      armType: e.armType,
      kind: e.kind,
      path: e.path,
      ...(e.input ? { input: e.input } : {}),
      message: e.message,
    })),
  };
}

export function schemaMarkdown(check: SchemaCheck): string {
  const lines = ["", `### ARM schema check ${check.errors.length === 0 ? "✅" : "❌"}`, "", schemaSummary(check)];
  const stand = standIns(check);
  if (stand.length > 0)
    lines.push("", "Validated against an older API version's schema (none published for theirs): " + stand.join("; "));
  const none = unpublished(check);
  if (none.length > 0)
    lines.push("", "Not validated (Microsoft publishes no resource schema for the type): " + none.join("; "));
  if (check.errors.length > 0) {
    lines.push("", "| Resource | ARM type@version | Property | Message |", "|---|---|---|---|");
    for (const e of check.errors) {
      const cell = (s: string) => s.replace(/\|/g, "\\|");
      lines.push(`| \`${e.resource}\` | ${e.armType} | \`${cell(where(e))}\` | ${cell(e.message)} |`);
    }
  }
  return lines.join("\n") + "\n";
}
