/**
 * The estimator and the capacity model for a whole stack (reading its usage and load config the way the CLI
 * passes config to the program), and the difference between two estimates (`npm run cost:diff`).
 */
import { loadSchema, usageSchema, type LoadConfig, type UsageConfig } from "../../../lib/usage";
import type { ResourceRecord } from "../policyRunner";
import { loadStackConfig } from "../stackConfig";
import { capacity, type CapacityRow } from "./capacity";
import { estimate, usd, type CostLine, type Estimate, type Unpriced } from "./estimate";

/** Bad `usage`/`load` config (reported as a config error, exit 2, by the tools). */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

function parseKey<T>(
  project: string,
  config: Readonly<Record<string, string>>,
  key: string,
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
): T {
  const text = config[`${project}:${key}`];
  let raw: unknown;
  try {
    raw = text === undefined ? undefined : JSON.parse(text);
  } catch {
    throw new ConfigError([`config ${project}:${key}: must be valid YAML/JSON of the documented shape`]);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      // As lib/config words it: the setting's path in parentheses, none for the key itself (an unknown setting).
      parsed.error.issues.map(
        (i) => `config ${project}:${key}${i.path.length > 0 ? ` (${i.path.map(String).join(".")})` : ""}: ${i.message}`,
      ),
    );
  }
  return parsed.data;
}

/** The `usage` and `load` config (seed defaults where absent) of a flat config map, validated as the program does. */
function assumptionsOf(
  project: string,
  config: Readonly<Record<string, string>>,
): { usage: UsageConfig; load: LoadConfig } {
  return {
    usage: parseKey(project, config, "usage", usageSchema),
    load: parseKey(project, config, "load", loadSchema),
  };
}

/** The stack's `usage` and `load` config (seed defaults where absent), validated as the program validates them. */
export function stackAssumptions(
  stack: string,
  root: string,
  stackFile?: string,
): { usage: UsageConfig; load: LoadConfig } {
  const { config, project } = loadStackConfig(root, stack, stackFile);
  return assumptionsOf(project, config);
}

/** A stack's estimate and capacity table. */
export interface StackCost {
  readonly estimate: Estimate;
  readonly capacity: CapacityRow[];
}

/** Estimate and capacity table of a stack's resources under its own config. */
export function costOfStack(
  resources: readonly ResourceRecord[],
  opts: { stack: string; root: string; stackFile?: string },
): StackCost {
  const { config, project } = loadStackConfig(opts.root, opts.stack, opts.stackFile);
  return costOfConfig(resources, { stack: opts.stack, project, config });
}

/** `costOfStack` from the flat config map a program run was given (the deployed view's worker has it already). */
export function costOfConfig(
  resources: readonly ResourceRecord[],
  opts: { stack: string; project: string; config: Readonly<Record<string, string>> },
): StackCost {
  const { usage, load } = assumptionsOf(opts.project, opts.config);
  return { estimate: estimate(resources, { stack: opts.stack, usage }), capacity: capacity(resources, load) };
}

export interface CostChange {
  readonly tier: string;
  readonly name: string;
  readonly meter: string;
  readonly kind: "added" | "removed" | "changed";
  readonly list: number;
  readonly committed: number;
}

export interface CostDiff {
  readonly base: Estimate["total"];
  readonly head: Estimate["total"];
  readonly delta: Estimate["total"];
  readonly tiers: readonly { tier: string; list: number; committed: number }[];
  readonly changes: readonly CostChange[];
  /**
   * Resources the head has and the estimator cannot price that the base priced or did not have: $0 above, not free
   * (`new`: the base did not have it; otherwise it was priced there).
   */
  readonly notEstimated: { readonly added: readonly (Unpriced & { readonly new: boolean })[] };
}

/**
 * Two meters that differ only in their numbers, as one: each word that changed written `old → new` ("Compute
 * BC_Gen5 8 vCores" and "… 16 vCores" → "Compute BC_Gen5 8 → 16 vCores"; "Dedicated pool DW500c" and "… DW300c" →
 * "Dedicated pool DW500c → DW300c", a number inside a word keeping its word). A trailing comma stays outside.
 */
export function fromTo(before: string, after: string): string {
  const words = (text: string) => text.split(/(\s+)/);
  const was = words(before);
  const now = words(after);
  if (was.length !== now.length) return after;
  return now
    .map((w, i) => {
      if (w === was[i]) return w;
      const [, a, comma] = /^(.*?)(,?)$/.exec(was[i]) ?? [];
      const [, b, comma2] = /^(.*?)(,?)$/.exec(w) ?? [];
      return comma === comma2 ? `${a} → ${b}${comma2}` : `${was[i]} → ${w}`;
    })
    .join("");
}

const key = (l: CostLine) => `${l.urn}\u0000${l.priceId}\u0000${l.meter.replace(/[\d,.]+/g, "#")}`;
const r2 = (n: number) => Math.round(n * 100) / 100;

/**
 * What the head adds or removes per month against the base, line by line and per tier. `moved` maps base URNs to the
 * head's URN of the same resource (renamed or moved: tools/lib/changes/ `movedUrns`), so its lines compare as one.
 */
export function diffEstimates(
  base: Estimate,
  head: Estimate,
  moved: ReadonlyMap<string, string> = new Map(),
): CostDiff {
  const b = new Map(base.lines.map((l) => [key({ ...l, urn: moved.get(l.urn) ?? l.urn }), l]));
  const h = new Map(head.lines.map((l) => [key(l), l]));
  const changes: CostChange[] = [];
  for (const [k, l] of h) {
    const old = b.get(k);
    if (!old)
      changes.push({ tier: l.tier, name: l.name, meter: l.meter, kind: "added", list: l.list, committed: l.committed });
    else if (old.list !== l.list || old.committed !== l.committed)
      changes.push({
        tier: l.tier,
        name: l.name,
        // The size it had, where the meter names one ("Compute BC_Gen5 8 → 16 vCores").
        meter: old.meter === l.meter ? l.meter : fromTo(old.meter, l.meter),
        kind: "changed",
        list: r2(l.list - old.list),
        committed: r2(l.committed - old.committed),
      });
  }
  for (const [k, l] of b)
    if (!h.has(k))
      changes.push({
        tier: l.tier,
        name: l.name,
        meter: l.meter,
        kind: "removed",
        list: -l.list,
        committed: -l.committed,
      });
  const tiers = new Map<string, { list: number; committed: number }>();
  for (const c of changes) {
    const t = tiers.get(c.tier) ?? { list: 0, committed: 0 };
    t.list += c.list;
    t.committed += c.committed;
    tiers.set(c.tier, t);
  }
  const as = (urn: string) => moved.get(urn) ?? urn;
  const baseUnpriced = new Set(base.notEstimated.map((u) => as(u.urn)));
  const baseKnown = new Set([...base.lines, ...base.free, ...base.notEstimated].map((x) => as(x.urn)));
  const notEstimated = {
    added: head.notEstimated.filter((u) => !baseUnpriced.has(u.urn)).map((u) => ({ ...u, new: !baseKnown.has(u.urn) })),
  };
  return {
    notEstimated,
    base: base.total,
    head: head.total,
    delta: { list: r2(head.total.list - base.total.list), committed: r2(head.total.committed - base.total.committed) },
    tiers: [...tiers.entries()].map(([tier, t]) => ({ tier, list: r2(t.list), committed: r2(t.committed) })),
    changes,
  };
}

const signed = (n: number) => `${n >= 0 ? "+" : "−"}${usd(Math.abs(n))}`;

/** The diff for a person (terminal) or a pull request (Markdown). */
export function formatDiff(d: CostDiff, stack: string, markdown: boolean): string {
  if (!markdown) {
    const lines = [
      `Cost change for '${stack}' (USD/month): list ${signed(d.delta.list)} (${usd(d.base.list)} → ${usd(d.head.list)}), ` +
        `committed ${signed(d.delta.committed)} (${usd(d.base.committed)} → ${usd(d.head.committed)})`,
    ];
    for (const t of d.tiers)
      lines.push(`    ${t.tier.padEnd(12)} list ${signed(t.list)}  committed ${signed(t.committed)}`);
    for (const c of d.changes) lines.push(`      ${c.kind.padEnd(7)} ${c.name}: ${c.meter} (${signed(c.list)} list)`);
    for (const u of d.notEstimated.added)
      lines.push(`      not estimated, ${u.new ? "added" : "no longer priced"}: ${u.name} (${u.type}): ${u.reason}`);
    if (d.changes.length === 0 && d.notEstimated.added.length === 0) lines.push("    no change");
    return lines.join("\n");
  }
  const lines = [
    `## Cost change: ${stack}`,
    "",
    `| | Base | Head | Change |`,
    `|---|---:|---:|---:|`,
    `| List | ${usd(d.base.list)} | ${usd(d.head.list)} | ${signed(d.delta.list)} |`,
    `| Committed | ${usd(d.base.committed)} | ${usd(d.head.committed)} | ${signed(d.delta.committed)} |`,
    "",
  ];
  if (d.notEstimated.added.length > 0)
    lines.push(
      `**Not estimated: ${d.notEstimated.added.length} resource${d.notEstimated.added.length === 1 ? "" : "s"} this change adds or no longer prices, counted as $0 above (not free):**`,
      "",
      ...d.notEstimated.added.map(
        (u) => `- \`${u.name}\` (\`${u.type}\`, ${u.tier}${u.new ? "" : ", priced before this change"}): ${u.reason}`,
      ),
      "",
    );
  if (d.changes.length === 0)
    lines.push(d.notEstimated.added.length > 0 ? "No priced line changes." : "No cost change.");
  else {
    lines.push("| Tier | Resource | Meter | Change | List/month | Committed/month |", "|---|---|---|---|---:|---:|");
    for (const c of d.changes)
      lines.push(`| ${c.tier} | \`${c.name}\` | ${c.meter} | ${c.kind} | ${signed(c.list)} | ${signed(c.committed)} |`);
  }
  return lines.join("\n") + "\n";
}
