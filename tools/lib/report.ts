/**
 * What the tools print and write: a `pulumi preview`-like resource tree, the policy verdict for a person, the
 * verdict as JSON, and as Markdown per PCI DSS requirement (for a pull request comment or a job summary).
 */
import type { ResourceRecord, Verdict, Violation } from "./policyRunner";
import { mandatoryViolations } from "./policyRunner";
import type { SchemaCheck } from "./armSchema/check";
import { schemaJson, schemaMarkdown } from "./armSchema/report";

/** Resource tree in creation order, children under their parent. */
export function formatTree(resources: readonly ResourceRecord[]): string {
  const children = new Map<string | undefined, ResourceRecord[]>();
  const urns = new Set(resources.map((r) => r.urn));
  for (const r of resources) {
    const parent = r.parent && urns.has(r.parent) ? r.parent : undefined;
    const list = children.get(parent) ?? [];
    list.push(r);
    children.set(parent, list);
  }
  const width = Math.min(70, Math.max(...resources.map((r) => r.type.length + 12), 20));
  const lines = [`     ${"Type".padEnd(width)} Name`];
  const walk = (parent: string | undefined, prefix: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      const branch = parent === undefined ? "" : last ? "└─ " : "├─ ";
      const lock = r.protect ? " 🔒" : "";
      lines.push(` +   ${`${prefix}${branch}${r.type}`.padEnd(width)} ${r.name}${lock}`);
      walk(r.urn, parent === undefined ? prefix : prefix + (last ? "   " : "│  "));
    });
  };
  walk(undefined, "");
  return lines.join("\n");
}

/** Count of custom resources per type, most first. */
export function typeCounts(resources: readonly ResourceRecord[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of resources) if (r.custom) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function nameOf(urn: string | undefined): string {
  return urn ? (urn.split("::").pop() ?? urn) : "(stack)";
}

/** The verdict for a person: grouped by policy, with level, resource and message; then one summary line. */
export function formatVerdict(verdict: Verdict, pack: string): string {
  const lines: string[] = [`Policies:`, `    ${pack}`];
  const byPolicy = new Map<string, Violation[]>();
  for (const v of verdict.violations) byPolicy.set(v.policy, [...(byPolicy.get(v.policy) ?? []), v]);
  if (byPolicy.size === 0) lines.push(`        ✓ no violations`);
  for (const [policy, list] of [...byPolicy.entries()].sort()) {
    const level = list.some((v) => v.enforcementLevel === "mandatory") ? "mandatory" : list[0].enforcementLevel;
    lines.push(`        - [${level}] ${policy} (${list.length})`);
    for (const v of list) lines.push(`            ${nameOf(v.urn)}: ${v.message}`);
  }
  if (verdict.exemptions.length > 0) {
    lines.push(`    Exemptions (reported, not enforced):`);
    for (const e of verdict.exemptions)
      lines.push(`        - ${e.policy} on ${nameOf(e.urn)} (pattern '${e.pattern}'): ${e.reason}`);
  }
  lines.push("", summaryLine(verdict));
  return lines.join("\n");
}

export function summaryLine(verdict: Verdict): string {
  const mandatory = mandatoryViolations(verdict).length;
  const advisory = verdict.violations.length - mandatory;
  const evaluated = verdict.policies.filter((p) => p.enforcementLevel !== "disabled").length;
  return (
    `Summary: stack ${verdict.stack ?? "?"}: ${verdict.resourceCount} resources, ${evaluated} policies evaluated, ` +
    `${mandatory} mandatory and ${advisory} advisory violations, ${verdict.exemptions.length} exemptions`
  );
}

/** The verdict document written by `--json` (with the ARM schema check's errors when it ran). */
export function verdictJson(verdict: Verdict, schema?: SchemaCheck) {
  return {
    stack: verdict.stack,
    resourceCount: verdict.resourceCount,
    policies: verdict.policies,
    violations: verdict.violations.map((v) => ({
      policy: v.policy,
      enforcementLevel: v.enforcementLevel,
      urn: v.urn,
      message: v.message,
    })),
    exemptions: verdict.exemptions,
    summary: {
      mandatory: mandatoryViolations(verdict).length,
      advisory: verdict.violations.length - mandatoryViolations(verdict).length,
      exemptions: verdict.exemptions.length,
      ...(schema ? { schemaErrors: schema.errors.length } : {}),
    },
    ...(schema ? { schema: schemaJson(schema) } : {}),
  };
}

const requirementOrder = (a: string, b: string) =>
  a.split(".").map(Number).join(".").localeCompare(b.split(".").map(Number).join("."), undefined, { numeric: true });

/**
 * Evidence per PCI DSS requirement: for each requirement, the rules that check it and whether they passed,
 * failed (with the findings) or were exempted for some resources.
 */
export function verdictMarkdown(verdict: Verdict, pack: string, schema?: SchemaCheck): string {
  const failed = new Map<string, Violation[]>();
  for (const v of verdict.violations) failed.set(v.policy, [...(failed.get(v.policy) ?? []), v]);
  const exempted = new Map<string, number>();
  for (const e of verdict.exemptions) exempted.set(e.policy, (exempted.get(e.policy) ?? 0) + 1);
  const byReq = new Map<string, string[]>();
  for (const p of verdict.policies) {
    for (const tag of p.tags ?? []) {
      if (!tag.startsWith("pci-dss:")) continue;
      const req = tag.slice("pci-dss:".length);
      byReq.set(req, [...(byReq.get(req) ?? []), p.name]);
    }
  }
  const status = (name: string) => {
    const info = verdict.policies.find((p) => p.name === name);
    if (info?.enforcementLevel === "disabled") return "⏸ disabled";
    const vs = failed.get(name) ?? [];
    if (vs.some((v) => v.enforcementLevel === "mandatory")) return "❌ failed";
    if (vs.length > 0) return "⚠️ advisory";
    if (exempted.has(name)) return "➖ exempted";
    return "✅ passed";
  };
  const mandatory = mandatoryViolations(verdict).length;
  const lines = [
    `## Policy verdict: ${verdict.stack ?? ""} ${mandatory === 0 && !schema?.errors.length ? "✅" : "❌"}`,
    "",
    `Pack \`${pack}\` · PCI DSS v4.0.1 / GDPR · ${verdict.resourceCount} resources · ${verdict.policies.length} rules`,
    "",
    summaryLine(verdict),
    "",
    "| PCI DSS requirement | Rules checked | Passed | Failed | Exempted |",
    "|---|---|---|---|---|",
  ];
  for (const req of [...byReq.keys()].sort(requirementOrder)) {
    const names = byReq.get(req) ?? [];
    const s = names.map(status);
    lines.push(
      `| ${req} | ${names.length} | ${s.filter((x) => x.startsWith("✅")).length} | ${s.filter((x) => x.startsWith("❌") || x.startsWith("⚠️")).length} | ${names.filter((n) => exempted.has(n)).length} |`,
    );
  }
  lines.push(
    "",
    "<details><summary>Rules</summary>",
    "",
    "| Rule | Severity | PCI DSS | Status |",
    "|---|---|---|---|",
  );
  for (const p of verdict.policies) {
    const reqs = (p.tags ?? [])
      .filter((t) => t.startsWith("pci-dss:"))
      .map((t) => t.slice(8))
      .join(", ");
    lines.push(`| \`${p.name}\` | ${p.severity ?? ""} | ${reqs} | ${status(p.name)} |`);
  }
  lines.push("", "</details>");
  if (verdict.violations.length > 0) {
    lines.push("", "### Findings", "", "| Level | Rule | Resource | Message |", "|---|---|---|---|");
    for (const v of verdict.violations) {
      lines.push(
        `| ${v.enforcementLevel} | \`${v.policy}\` | \`${nameOf(v.urn)}\` | ${v.message.replace(/\|/g, "\\|")} |`,
      );
    }
  }
  if (verdict.exemptions.length > 0) {
    lines.push("", "### Exemptions", "", "| Rule | Resource | Pattern | Reason |", "|---|---|---|---|");
    for (const e of verdict.exemptions)
      lines.push(`| \`${e.policy}\` | \`${nameOf(e.urn)}\` | \`${e.pattern}\` | ${e.reason} |`);
  }
  if (schema) lines.push(schemaMarkdown(schema).trimEnd());
  return lines.join("\n") + "\n";
}
