/** What the capacity model's files share: the row, how a row gets its headroom, the numbers as the rows print them. */

export interface CapacityRow {
  readonly tier: string;
  readonly resource: string;
  /** What is compared (e.g. "RU/s (autoscale maximum)"). */
  readonly metric: string;
  readonly capacity: number;
  readonly load: number;
  readonly unit: string;
  /** capacity / load (Infinity when there is no load). */
  readonly headroom: number;
  /** How capacity and load were derived, and where the figures come from. */
  readonly basis: string;
}

export const AN = "azure-native";

export const row = (r: Omit<CapacityRow, "headroom">): CapacityRow => ({
  ...r,
  headroom: r.load > 0 ? r.capacity / r.load : Infinity,
});

export const fmt = (n: number) =>
  !Number.isFinite(n) ? "∞" : n < 100 ? String(Number(n.toFixed(1))) : Math.round(n).toLocaleString("en-US");
