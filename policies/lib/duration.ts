/** ISO 8601 durations (`P12W`, `P12M`, `P10Y`, `P30D`, `PT12H`) as the services take them in retention settings. */

/** How long a year and a month count, and whether lower-case designators are accepted. */
export interface DurationCalendar {
  readonly yearDays: number;
  readonly monthDays: number;
  readonly ignoreCase: boolean;
}

/** Calendar averages (a year of 365.25 days, a month of 30.4375); upper-case designators only. The default. */
export const AVERAGE_CALENDAR: DurationCalendar = { yearDays: 365.25, monthDays: 30.4375, ignoreCase: false };

/** Key Vault's own approximation (a year of 365 days, a month of 30); designators in either case. */
export const KEY_VAULT_CALENDAR: DurationCalendar = { yearDays: 365, monthDays: 30, ignoreCase: true };

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const DURATION_ANY_CASE = new RegExp(DURATION.source, "i");

/**
 * Length in days of an ISO 8601 duration (`PT0S` = 0), with years and months counted as `calendar` says; undefined
 * when `text` is not a string or not a duration (including the empty `P` and a `T` without a time part).
 */
export function isoDurationDays(text: unknown, calendar: DurationCalendar = AVERAGE_CALENDAR): number | undefined {
  if (typeof text !== "string") return undefined;
  const trimmed = text.trim();
  const m = (calendar.ignoreCase ? DURATION_ANY_CASE : DURATION).exec(trimmed);
  if (!m || trimmed.toUpperCase() === "P" || /T$/i.test(trimmed)) return undefined;
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  return y * calendar.yearDays + mo * calendar.monthDays + w * 7 + d + h / 24 + mi / 1440 + s / 86400;
}

/** Azure SQL long-term retention's maximum, 10 years ("up to 10 years", long-term-retention-overview), in days. */
export const SQL_LTR_MAX_DAYS = 3653;
