/**
 * The price table: every figure the estimator uses, as data, with its meter, unit, region, currency, the date it
 * was read and the public source it came from. `list` is pay-as-you-go; `reserved1y`/`reserved3y` are the unit
 * prices under a 1- or 3-year reservation where Azure sells one for the meter; `hybridBenefit` is the unit price
 * with Azure Hybrid Benefit where it applies (the SQL licence meter drops to 0).
 *
 * Sources, in order of preference: Microsoft Learn / pricing pages; the Infracost golden files (Infracost prices
 * from the Azure Retail Prices API, pinned here by commit); the figures collected in the team's wave-2 facts
 * (section 7). Where Microsoft publishes no West Europe figure in a stored source, the row says which region the
 * figure is for (East US figures are ~10 % below West Europe for Azure SQL: see the `sql-gp-compute` note), or it is
 * derived for West Europe and its note starts "DERIVED, not read" (Business Critical SQL compute: East US × that 10 %).
 * Refresh: `npm run cost:retail -- --write` (network access) asks the Azure Retail Prices API in West Europe for the
 * derived rows and the other-region rows its RETAIL_QUERIES name (retail.ts; RETAIL_NOT_ASKED lists, with the reason,
 * the other-region rows the stacks use that it does not ask for) and records the answers in retail-overrides.json,
 * which `PRICES` applies over the stored rows (`STORED_PRICES`, from the family files) (`applyOverrides`); for any other row, update `list`, `date` and
 * `source` together by hand.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { RETAIL_API, type RetailOverrides } from "../retail";
import { ANALYTICS_ROWS } from "./analytics";
import { COMPUTE_ROWS } from "./compute";
import { DATABASE_ROWS } from "./databases";
import { MONITORING_ROWS } from "./monitoring";
import { NETWORK_ROWS } from "./network";
import type { PriceRow } from "./sources";

export { LOG_COMMITMENT_TIERS, type PriceRow } from "./sources";

/**
 * The rows as stored, before the Retail Prices API overrides, by service family (databases.ts, network.ts,
 * monitoring.ts, analytics.ts, compute.ts).
 */
export const STORED_PRICES: readonly PriceRow[] = [
  ...DATABASE_ROWS,
  ...NETWORK_ROWS,
  ...MONITORING_ROWS,
  ...ANALYTICS_ROWS,
  ...COMPUTE_ROWS,
];

/**
 * The West Europe figures `npm run cost:retail -- --write` recorded from the Azure Retail Prices API: each replaces
 * its row's list price, region, date and source, and scales the row's reservation prices with it (the discount
 * holds). Committed with the table; absent until someone with network access runs the command.
 */
export const RETAIL_OVERRIDES_FILE = path.join(__dirname, "..", "retail-overrides.json");

/** The rows with the overrides applied; an override naming no row is an error (a renamed row must be re-read). */
export function applyOverrides(rows: readonly PriceRow[], o: RetailOverrides | undefined): PriceRow[] {
  if (!o) return [...rows];
  const unknown = Object.keys(o.rows).filter((id) => !rows.some((r) => r.id === id));
  if (unknown.length > 0)
    throw new Error(`${path.basename(RETAIL_OVERRIDES_FILE)}: no price row ${unknown.map((u) => `'${u}'`).join(", ")}`);
  return rows.map((r) => {
    const x = o.rows[r.id];
    if (!x) return r;
    const k = r.list > 0 ? x.list / r.list : 1;
    const scale = (v: number | undefined) => (v === undefined ? undefined : Number((v * k).toPrecision(6)));
    return {
      ...r,
      list: x.list,
      reserved1y: scale(r.reserved1y),
      reserved3y: scale(r.reserved3y),
      hybridBenefit: scale(r.hybridBenefit),
      region: x.region,
      date: x.date,
      source: `${RETAIL_API} (${x.item})`,
      note: `Retail Prices API, ${x.region}; replaces the stored ${r.region} figure ${r.list} (${r.source}).${r.note ? ` Stored note: ${r.note}` : ""}`,
    };
  });
}

function readOverrides(file: string): RetailOverrides | undefined {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as RetailOverrides) : undefined;
}

/** The price table the estimator uses: the stored rows with the recorded Retail Prices API figures. */
export const PRICES: readonly PriceRow[] = applyOverrides(STORED_PRICES, readOverrides(RETAIL_OVERRIDES_FILE));

const byId = new Map(PRICES.map((p) => [p.id, p]));

/** The price row with this id; throws when a rule refers to a row that does not exist (a bug, caught by tests). */
export function price(id: string): PriceRow {
  const p = byId.get(id);
  if (!p) throw new Error(`no price row '${id}' in tools/lib/cost/prices/`);
  return p;
}

/** Whether the table has a row with this id. */
export const hasPrice = (id: string): boolean => byId.has(id);

/** Hours in a month, as Azure's pricing pages count them. */
export const HOURS_PER_MONTH = 730;
/** Days in a month (730 h / 24). */
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
