/** The capacity rows for a person (the preview's line) and for docs/capacity.md (a Markdown table). */
import { fmt, type CapacityRow } from "./common";

export const headroomText = (h: number) => (Number.isFinite(h) ? `${h.toFixed(2)}×` : "∞");

/** One line for a person: every row carries the target load, or which do not. */
export function formatCapacity(rows: readonly CapacityRow[]): string {
  const short = rows.filter((r) => r.headroom < 1);
  if (rows.length === 0) return "Capacity vs target load: no tier with a capacity model";
  if (short.length === 0)
    return `Capacity vs target load: all ${rows.length} rows carry it (lowest headroom ${headroomText(Math.min(...rows.map((r) => r.headroom)))})`;
  return [
    `Capacity vs target load: ${short.length} of ${rows.length} rows below it:`,
    ...short.map(
      (r) =>
        `    - ${r.resource} ${r.metric}: ${fmt(r.capacity)} < ${fmt(r.load)} ${r.unit} (${headroomText(r.headroom)})`,
    ),
  ].join("\n");
}

/** The capacity rows as a Markdown table. */
export function capacityMarkdown(rows: readonly CapacityRow[]): string {
  const lines = [
    "| Tier | Resource | Metric | Capacity | Load | Headroom | Basis |",
    "|---|---|---|---:|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.tier} | ${r.resource} | ${r.metric} | ${fmt(r.capacity)} ${r.unit} | ${fmt(r.load)} ${r.unit} | ` +
        `${r.headroom < 1 ? "❌ " : ""}${headroomText(r.headroom)} | ${r.basis} |`,
    ),
  ];
  return lines.join("\n") + "\n";
}
