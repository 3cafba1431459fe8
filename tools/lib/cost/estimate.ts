/**
 * The estimator: every custom resource of a stack → monthly lines at list and committed prices, per tier, with
 * the resources that cost nothing of their own and those it cannot price listed with the reason (never a silent 0).
 * Works on the offline preview's records and on any `pulumi stack export` (same ResourceRecord shape).
 */
import type { ResourceRecord } from "../policyRunner";
import { DEFAULT_USAGE, type UsageConfig } from "../../../lib/usage";
import { DAYS_PER_MONTH, HOURS_PER_MONTH, price, type PriceRow } from "./prices";
import { offHoursSchedule, tierOf, type LineSpec, type RuleContext, type RuleResult } from "./model";
import { FREE, NOT_ESTIMATED } from "./freeTypes";
import { RULES } from "./rules";
import { sdkTypeOf } from "../sdkType";

export interface CostLine {
  readonly urn: string;
  readonly name: string;
  readonly type: string;
  readonly tier: string;
  readonly meter: string;
  readonly priceId: string;
  readonly quantity: number;
  readonly unit: string;
  /** Monthly cost at pay-as-you-go prices, USD. */
  readonly list: number;
  /** Monthly cost at the committed prices (reservation term and hybrid benefit from usage.commitment), USD. */
  readonly committed: number;
  /** Which price the committed figure uses. */
  readonly basis: "list" | "reserved1y" | "reserved3y" | "hybridBenefit";
  readonly note?: string;
  /** The resource's own region (its `location` input, lower-case without spaces), when it has one. */
  readonly location?: string;
}

/** The region the price table is for: its rows are West Europe's (or stand-ins for them, the price table says which). */
export const PRICE_REGION = "westeurope";

/** Priced lines of resources in another region than the table's: their figures are West Europe's rates. */
export interface OtherRegion {
  readonly region: string;
  readonly lines: number;
  readonly list: number;
}

export interface Unpriced {
  readonly urn: string;
  readonly name: string;
  readonly type: string;
  readonly tier: string;
  readonly reason: string;
}

export interface Totals {
  readonly list: number;
  readonly committed: number;
}

export interface Estimate {
  readonly stack: string;
  readonly currency: "USD";
  readonly commitment: UsageConfig["commitment"];
  readonly lines: readonly CostLine[];
  readonly free: readonly Unpriced[];
  readonly notEstimated: readonly Unpriced[];
  readonly tiers: readonly ({ readonly tier: string } & Totals)[];
  readonly total: Totals;
  /** The price table's region (`PRICE_REGION`). */
  readonly priceRegion: string;
  /** Lines priced at the table's rates for resources elsewhere (a secondary region, a stack in another region). */
  readonly otherRegions: readonly OtherRegion[];
  /**
   * The SQL vCores the committed total prices under Azure Hybrid Benefit (licences the owner must hold: SQL Server
   * Enterprise cores with Software Assurance for Business Critical): 0 when none is declared or applies.
   */
  readonly hybridBenefitVcores: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function committedUnit(
  row: PriceRow,
  c: UsageConfig["commitment"],
  noReservation: boolean,
  noHybridBenefit: boolean,
): [number, CostLine["basis"]] {
  if (c.hybridBenefit && !noHybridBenefit && row.hybridBenefit !== undefined)
    return [row.hybridBenefit, "hybridBenefit"];
  if (!noReservation && c.term === "3y" && row.reserved3y !== undefined) return [row.reserved3y, "reserved3y"];
  if (!noReservation && c.term !== "none" && row.reserved1y !== undefined) return [row.reserved1y, "reserved1y"];
  return [row.list, "list"];
}

export function ruleFor(type: string, r: ResourceRecord, ctx: RuleContext): RuleResult {
  const rule = RULES[type];
  if (rule) return rule(r, ctx);
  if (FREE[type]) return { kind: "free", reason: FREE[type] };
  if (NOT_ESTIMATED[type]) return { kind: "not-estimated", reason: NOT_ESTIMATED[type] };
  return { kind: "not-estimated", reason: `no pricing rule for ${type} (tools/lib/cost/rules/)` };
}

/** A priced line of a resource at list and committed prices. */
function costLine(
  base: Pick<CostLine, "urn" | "name" | "type" | "tier">,
  location: string,
  l: LineSpec,
  usage: UsageConfig,
): CostLine {
  const row = price(l.priceId);
  const [unit, basis] = committedUnit(row, usage.commitment, l.noReservation === true, l.noHybridBenefit === true);
  return {
    ...base,
    meter: l.meter,
    priceId: l.priceId,
    quantity: l.quantity,
    unit: row.unit,
    list: round2(l.quantity * row.list),
    committed: round2(l.quantity * unit),
    basis,
    ...(l.note ? { note: l.note } : {}),
    ...(location ? { location } : {}),
  };
}

/** Estimates the monthly cost of the custom resources of a stack. */
export function estimate(
  resources: readonly ResourceRecord[],
  opts: { stack: string; usage?: UsageConfig } = { stack: "unknown" },
): Estimate {
  const usage = opts.usage ?? DEFAULT_USAGE;
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const memo = new Map<string, ResourceRecord[]>();
  const ctx: RuleContext = {
    usage,
    resources,
    offHours: offHoursSchedule(resources),
    ofType(type) {
      let list = memo.get(type);
      if (!list) memo.set(type, (list = resources.filter((r) => r.custom && sdkTypeOf(r) === type)));
      return list;
    },
  };
  const lines: CostLine[] = [];
  /** Days of each workspace's commitment tier its lines bill, by workspace URN and price row. */
  const tierDays = new Map<string, number>();
  const freeList: Unpriced[] = [];
  const notEstimated: Unpriced[] = [];
  for (const r of resources) {
    if (!r.custom || r.type.startsWith("pulumi:")) continue;
    const tier = tierOf(r, byUrn);
    const base = { urn: r.urn, name: r.name, type: r.type, tier };
    const location = typeof r.inputs.location === "string" ? r.inputs.location.replace(/\s+/g, "").toLowerCase() : "";
    const result = ruleFor(sdkTypeOf(r), r, ctx);
    if (result.kind === "free") freeList.push({ ...base, reason: result.reason });
    else if (result.kind === "not-estimated") notEstimated.push({ ...base, reason: result.reason });
    else {
      if (result.unpriced?.length) notEstimated.push({ ...base, reason: `in part: ${result.unpriced.join("; ")}` });
      for (const l of result.lines) {
        lines.push(costLine(base, location, l, usage));
        if (l.commitmentOf) {
          const key = `${l.commitmentOf}\n${l.priceId}`;
          tierDays.set(key, (tierDays.get(key) ?? 0) + l.quantity);
        }
      }
    }
  }
  // A commitment tier bills every day at least the tier's GB: the part its lines leave unused, on the workspace.
  for (const [key, used] of tierDays) {
    const [urn, priceId] = key.split("\n");
    const ws = byUrn.get(urn);
    if (!ws || used >= DAYS_PER_MONTH) continue;
    const level = /-(\d+)$/.exec(priceId)?.[1];
    const what = priceId.startsWith("sentinel-") ? "Sentinel analysis" : "Log Analytics ingestion";
    const location = typeof ws.inputs.location === "string" ? ws.inputs.location.replace(/\s+/g, "").toLowerCase() : "";
    lines.push(
      costLine(
        { urn: ws.urn, name: ws.name, type: ws.type, tier: tierOf(ws, byUrn) },
        location,
        {
          meter: `${what}: the unused part of the ${level} GB/day commitment tier`,
          priceId,
          quantity: DAYS_PER_MONTH - used,
          note: `the tier bills ${level} GB a day whatever is sent; the stack's lines fill ${((100 * used) / DAYS_PER_MONTH).toFixed(0)} % of it`,
        },
        usage,
      ),
    );
  }
  const tiers = new Map<string, { list: number; committed: number }>();
  for (const l of lines) {
    const t = tiers.get(l.tier) ?? { list: 0, committed: 0 };
    t.list += l.list;
    t.committed += l.committed;
    tiers.set(l.tier, t);
  }
  const sum = (k: "list" | "committed") => round2(lines.reduce((s, l) => s + l[k], 0));
  const elsewhere = new Map<string, { lines: number; list: number }>();
  for (const l of lines) {
    if (!l.location || l.location === PRICE_REGION || l.location === "global") continue;
    const o = elsewhere.get(l.location) ?? { lines: 0, list: 0 };
    o.lines++;
    o.list += l.list;
    elsewhere.set(l.location, o);
  }
  return {
    stack: opts.stack,
    currency: "USD",
    commitment: usage.commitment,
    lines,
    free: freeList,
    notEstimated,
    tiers: [...tiers.entries()]
      .map(([tier, t]) => ({ tier, list: round2(t.list), committed: round2(t.committed) }))
      .sort((a, b) => b.list - a.list || a.tier.localeCompare(b.tier)),
    total: { list: sum("list"), committed: sum("committed") },
    priceRegion: PRICE_REGION,
    hybridBenefitVcores: round2(
      lines
        .filter((l) => l.basis === "hybridBenefit" && l.unit === "vCore-hour")
        .reduce((n, l) => n + l.quantity / HOURS_PER_MONTH, 0),
    ),
    otherRegions: [...elsewhere.entries()]
      .map(([region, o]) => ({ region, lines: o.lines, list: round2(o.list) }))
      .sort((a, b) => b.list - a.list || a.region.localeCompare(b.region)),
  };
}

/** The licences the committed total takes for granted (a readable geo-secondary needs its own). */
const hybridCaveat = (e: Estimate) =>
  `committed assumes Azure Hybrid Benefit on ${e.hybridBenefitVcores} SQL vCores: hold as many SQL Server core licences with Software Assurance (Enterprise for Business Critical), or the committed SQL licence lines are list`;

/** What a reader must know of the regions: lines for resources elsewhere are priced at West Europe's rates. */
function regionCaveat(e: Estimate): string | undefined {
  if (e.otherRegions.length === 0) return undefined;
  const where = e.otherRegions.map((o) => `${o.lines} in ${o.region} (${usd0(o.list)} list)`).join(", ");
  return `priced at ${e.priceRegion} rates, the price table's only region: ${where}; Azure's prices differ by region (npm run cost:retail reads West Europe's only)`;
}

export const usd = (n: number) =>
  `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const usd0 = (n: number) => `$${Math.round(n).toLocaleString("en-US")}`;

const commitLabel = (c: UsageConfig["commitment"]) =>
  `${c.term === "none" ? "no reservation" : `${c.term} reservations`}${c.hybridBenefit ? " + declared Azure Hybrid Benefit" : ""}`;

/** Per-tier totals for a person (printed under the verdict). */
export function formatEstimate(e: Estimate): string {
  const width = Math.max(10, ...e.tiers.map((t) => t.tier.length));
  const lines = [
    `Cost estimate (USD/month, ${commitLabel(e.commitment)} for committed):`,
    `    ${"tier".padEnd(width)}  ${"list".padStart(12)}  ${"committed".padStart(12)}`,
  ];
  for (const t of e.tiers)
    lines.push(`    ${t.tier.padEnd(width)}  ${usd0(t.list).padStart(12)}  ${usd0(t.committed).padStart(12)}`);
  lines.push(
    `    ${"total".padEnd(width)}  ${usd0(e.total.list).padStart(12)}  ${usd0(e.total.committed).padStart(12)}`,
  );
  const caveat = regionCaveat(e);
  if (caveat) lines.push(`    ${caveat}`);
  if (e.hybridBenefitVcores > 0) lines.push(`    ${hybridCaveat(e)}`);
  lines.push(
    `    ${e.lines.length} priced lines, ${e.free.length} resources with no charge of their own, ` +
      `${e.notEstimated.length} not estimated${e.notEstimated.length ? ":" : ""}`,
  );
  const reasons = new Map<string, number>();
  for (const n of e.notEstimated) {
    const key = `${n.type}: ${n.reason}`;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  for (const [k, n] of reasons) lines.push(`        - ${n} × ${k}`);
  return lines.join("\n");
}

/** The JSON written by `--cost FILE`. */
export function estimateJson(e: Estimate) {
  return { ...e, generatedBy: "tools/lib/cost (offline estimate; prices in tools/lib/cost/prices/)" };
}

/** The Markdown cost section (appended to the verdict report and used in the job summary). */
export function estimateMarkdown(e: Estimate): string {
  const lines = [
    `## Cost estimate: ${e.stack}`,
    "",
    `USD per month; committed = ${commitLabel(e.commitment)}. Prices: \`tools/lib/cost/prices/\` (each with its source and date).`,
    ...(regionCaveat(e) ? ["", `Regions: ${regionCaveat(e)}.`] : []),
    ...(e.hybridBenefitVcores > 0 ? ["", `Licences: ${hybridCaveat(e)}.`] : []),
    "",
    "| Tier | List | Committed |",
    "|---|---:|---:|",
    ...e.tiers.map((t) => `| ${t.tier} | ${usd0(t.list)} | ${usd0(t.committed)} |`),
    `| **Total** | **${usd0(e.total.list)}** | **${usd0(e.total.committed)}** |`,
    "",
    "<details><summary>Lines</summary>",
    "",
    "| Tier | Resource | Meter | Quantity | Unit | List | Committed |",
    "|---|---|---|---:|---|---:|---:|",
    ...e.lines.map(
      (l) =>
        `| ${l.tier} | \`${l.name}\` | ${l.meter} | ${Number(l.quantity.toFixed(2)).toLocaleString("en-US")} | ${l.unit} | ${usd(l.list)} | ${usd(l.committed)} |`,
    ),
    "",
    "</details>",
  ];
  if (e.notEstimated.length > 0) {
    lines.push("", "**Not estimated**", "", "| Resource | Type | Reason |", "|---|---|---|");
    for (const n of e.notEstimated) lines.push(`| \`${n.name}\` | \`${n.type}\` | ${n.reason} |`);
  }
  return lines.join("\n") + "\n";
}
