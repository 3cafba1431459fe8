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

/**
 * The "+ N to create" of a new stack's `pulumi preview`: the CLI counts every logical step that is not internal
 * (pkg/engine/update.go `OnResourceStepPost`, `isInternalStep`): the stack itself, components and custom resources,
 * explicit providers, but not default providers.
 */
export function createCount(resources: readonly ResourceRecord[]): number {
  return resources.filter((r) => !(r.type.startsWith("pulumi:providers:") && r.name.startsWith("default"))).length;
}

/** Count of custom resources per type, most first. */
export function typeCounts(resources: readonly ResourceRecord[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of resources) if (r.custom) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function nameOf(urn: string | undefined): string {
  // The URN's name is everything after its third `::` (urn.go `Name`), which may itself hold `::`.
  return urn ? urn.split("::").slice(3).join("::") || urn : "(stack)";
}

/** The verdict for a person: grouped by policy, with level, resource and message; then one summary line. */
export function formatVerdict(verdict: Verdict, pack: string): string {
  const lines: string[] = [`Policies:`, `    ${pack}`];
  const byPolicy = new Map<string, Violation[]>();
  for (const v of verdict.violations) byPolicy.set(v.policy, [...(byPolicy.get(v.policy) ?? []), v]);
  if (byPolicy.size === 0) lines.push(`        ✓ no violations`);
  for (const [policy, list] of [...byPolicy.entries()].sort()) {
    const mandatory = list.filter((v) => v.enforcementLevel === "mandatory").length;
    const level = mandatory > 0 ? "mandatory" : list[0].enforcementLevel;
    // A mandatory rule's "can't run during preview" entries are advisory: the count says which are which.
    const count =
      mandatory > 0 && mandatory < list.length
        ? `${mandatory} mandatory, ${list.length - mandatory} advisory`
        : `${list.length}`;
    lines.push(`        - [${level}] ${policy} (${count})`);
    for (const v of list)
      lines.push(
        `            ${nameOf(v.urn)}: ${v.enforcementLevel !== level ? `[${v.enforcementLevel}] ` : ""}${v.message}`,
      );
  }
  if (verdict.exemptions.length > 0) {
    lines.push(`    Exemptions (reported, not enforced):`);
    for (const e of verdict.exemptions)
      lines.push(`        - ${e.policy} on ${nameOf(e.urn)} (pattern '${e.pattern}'): ${e.reason}`);
  }
  lines.push("", summaryLine(verdict));
  return lines.join("\n");
}

/** What the deployed-view lines say the violations are: the same rules over ids and outputs known as after `up`. */
const ONCE_DEPLOYED =
  "Once deployed (the pack over the deployed view: ids and outputs known, as `pulumi up` analyses what it creates " +
  "and any later `pulumi preview` of the stack sees it)";

/**
 * The mandatory violations found only in the deployed view (PreviewResult.onceDeployed), for a person: each rule
 * with its resources and messages, or that there are none.
 */
export function formatOnceDeployed(violations: readonly Violation[]): string {
  if (violations.length === 0) return `${ONCE_DEPLOYED}: no further mandatory violation`;
  const n = violations.length;
  const lines = [`${ONCE_DEPLOYED}: ${n} mandatory violation${n === 1 ? "" : "s"} the first preview could not decide`];
  const byPolicy = new Map<string, Violation[]>();
  for (const v of violations) byPolicy.set(v.policy, [...(byPolicy.get(v.policy) ?? []), v]);
  for (const [policy, list] of [...byPolicy.entries()].sort()) {
    lines.push(`        - [mandatory, once deployed] ${policy} (${list.length})`);
    for (const v of list) lines.push(`            ${nameOf(v.urn)}: ${v.message}`);
  }
  return lines.join("\n");
}

export function summaryLine(verdict: Verdict): string {
  const mandatory = mandatoryViolations(verdict).length;
  const advisory = verdict.violations.length - mandatory;
  const statuses = verdict.policies.map((p) => ruleStatus(verdict, p.name));
  const applied = statuses.filter((s) => s !== "disabled" && s !== "not applicable").length;
  const notApplicable = statuses.filter((s) => s === "not applicable").length;
  const disabled = statuses.filter((s) => s === "disabled").length;
  return (
    `Summary: stack ${verdict.stack ?? "?"}: ${verdict.resourceCount} resources (the components and the stack left out), ` +
    `${verdict.policies.length} policies: ${applied} evaluated, ${notApplicable} not applicable` +
    `${disabled > 0 ? `, ${disabled} disabled` : ""}; ` +
    `${mandatory} mandatory and ${advisory} advisory violations, ${verdict.exemptions.length} exemptions`
  );
}

/** What a rule's verdict means for an auditor. */
export type RuleStatus = "passed" | "failed" | "advisory" | "exempted" | "not applicable" | "disabled";

/**
 * A rule's status: `passed` only when it evaluated at least one resource and reported nothing; a rule with nothing
 * to evaluate in the stack (no resource of its types, or every one marked not applicable) is `not applicable`.
 */
export function ruleStatus(verdict: Verdict, name: string): RuleStatus {
  const info = verdict.policies.find((p) => p.name === name);
  if (info?.enforcementLevel === "disabled") return "disabled";
  const vs = verdict.violations.filter((v) => v.policy === name);
  if (vs.some((v) => v.enforcementLevel === "mandatory")) return "failed";
  if (vs.length > 0) return "advisory";
  if (verdict.exemptions.some((e) => e.policy === name)) return "exempted";
  return (verdict.evaluated[name] ?? 0) > 0 ? "passed" : "not applicable";
}

const STATUS_LABEL: Readonly<Record<RuleStatus, string>> = {
  passed: "✅ passed",
  failed: "❌ failed",
  advisory: "⚠️ advisory",
  exempted: "➖ exempted",
  "not applicable": "⚪ not applicable",
  disabled: "⏸ disabled",
};

/** The verdict document written by `--json` (with the ARM schema check's errors when it ran). */
export function verdictJson(
  verdict: Verdict,
  schema?: SchemaCheck,
  /** The first-deploy hazards, when checked (they fail the preview like a mandatory violation). */
  hazards?: readonly { readonly rule: string; readonly urn: string; readonly name: string; readonly message: string }[],
  /** The mandatory violations found only in the deployed view (they fail the preview too), when it was built. */
  onceDeployed?: readonly Violation[],
) {
  return {
    stack: verdict.stack,
    resourceCount: verdict.resourceCount,
    policies: verdict.policies.map((p) => ({
      ...p,
      status: ruleStatus(verdict, p.name),
      evaluatedResources: verdict.evaluated[p.name] ?? 0,
    })),
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
      rules: Object.fromEntries(
        (Object.keys(STATUS_LABEL) as RuleStatus[]).map((st) => [
          st,
          verdict.policies.filter((p) => ruleStatus(verdict, p.name) === st).length,
        ]),
      ),
      ...(schema ? { schemaErrors: schema.errors.length } : {}),
      ...(hazards ? { hazards: hazards.length } : {}),
      ...(onceDeployed ? { mandatoryOnceDeployed: onceDeployed.length } : {}),
    },
    ...(onceDeployed
      ? {
          onceDeployed: {
            view: "deployed",
            violations: onceDeployed.map((v) => ({
              policy: v.policy,
              enforcementLevel: v.enforcementLevel,
              urn: v.urn,
              message: v.message,
            })),
          },
        }
      : {}),
    ...(schema ? { schema: schemaJson(schema) } : {}),
    ...(hazards
      ? { hazards: hazards.map((h) => ({ rule: h.rule, urn: h.urn, name: h.name, message: h.message })) }
      : {}),
  };
}

const requirementOrder = (a: string, b: string) =>
  a.split(".").map(Number).join(".").localeCompare(b.split(".").map(Number).join("."), undefined, { numeric: true });

/**
 * Evidence per PCI DSS requirement: for each requirement, the rules that check it and whether they passed (evaluated
 * at least one resource, no finding), failed (with the findings), had nothing to evaluate in this stack (not
 * applicable) or were exempted for some resources.
 */
export function verdictMarkdown(
  verdict: Verdict,
  pack: string,
  schema?: SchemaCheck,
  /** The mandatory violations found only in the deployed view, when it was built. */
  onceDeployed?: readonly Violation[],
): string {
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
  const status = (name: string) => STATUS_LABEL[ruleStatus(verdict, name)];
  const mandatory = mandatoryViolations(verdict).length;
  const lines = [
    `## Policy verdict: ${verdict.stack ?? ""} ${mandatory === 0 && !onceDeployed?.length && !schema?.errors.length ? "✅" : "❌"}`,
    "",
    `Pack \`${pack}\` · PCI DSS v4.0.1 / GDPR · ${verdict.resourceCount} resources · ${verdict.policies.length} rules`,
    "",
    summaryLine(verdict),
    "",
    "| PCI DSS requirement | Rules | Passed | Failed (mandatory) | Advisory | Not applicable | Exempted |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const req of [...byReq.keys()].sort(requirementOrder)) {
    const names = byReq.get(req) ?? [];
    const s = names.map(status);
    lines.push(
      `| ${req} | ${names.length} | ${s.filter((x) => x.startsWith("✅")).length} | ${s.filter((x) => x.startsWith("❌")).length} | ${s.filter((x) => x.startsWith("⚠️")).length} | ${s.filter((x) => x.startsWith("⚪")).length} | ${names.filter((n) => exempted.has(n)).length} |`,
    );
  }
  lines.push(
    "",
    "Failed: a mandatory finding, which blocks the merge. Advisory: findings that do not, among them the rules the " +
      'first preview could not decide ("can\'t run during preview"), which the deployed view decides.',
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
    // What blocks the merge first: the mandatory findings, then the advisories (each group in the verdict's order).
    const rank = (v: Violation) => (v.enforcementLevel === "mandatory" ? 0 : 1);
    for (const v of [...verdict.violations].sort((a, b) => rank(a) - rank(b))) {
      lines.push(
        `| ${v.enforcementLevel} | \`${v.policy}\` | \`${nameOf(v.urn)}\` | ${v.message.replace(/\|/g, "\\|")} |`,
      );
    }
  }
  if (onceDeployed && onceDeployed.length === 0)
    lines.push(
      "",
      "### Mandatory once deployed (deployed view)",
      "",
      "None: the whole pack, run again over the deployed view (ids and outputs known), finds no mandatory violation " +
        "the first preview did not.",
    );
  if (onceDeployed?.length) {
    lines.push(
      "",
      "### Mandatory once deployed (deployed view)",
      "",
      'The first preview could not decide these rules (its "can\'t run during preview" advisories); over the deployed ' +
        "view (ids and outputs known, as `pulumi up` analyses what it creates) they fail.",
      "",
      "| Level | Rule | Resource | Message |",
      "|---|---|---|---|",
    );
    for (const v of onceDeployed)
      lines.push(
        `| ${v.enforcementLevel} | \`${v.policy}\` | \`${nameOf(v.urn)}\` | ${v.message.replace(/\|/g, "\\|")} |`,
      );
  }
  if (verdict.exemptions.length > 0) {
    lines.push("", "### Exemptions", "", "| Rule | Resource | Pattern | Reason |", "|---|---|---|---|");
    for (const e of verdict.exemptions)
      lines.push(`| \`${e.policy}\` | \`${nameOf(e.urn)}\` | \`${e.pattern}\` | ${e.reason} |`);
  }
  if (schema) lines.push(schemaMarkdown(schema).trimEnd());
  return lines.join("\n") + "\n";
}
