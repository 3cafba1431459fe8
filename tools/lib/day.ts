/**
 * Calendar days (pure, no dependencies: the preview parses `--on` with it before anything heavy loads, so that its
 * deployed-view worker starts loading the SDK first).
 */

/** `YYYY-MM-DD` as a UTC day, refusing anything else (the `--on` option's check). */
export function parseDay(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!d || d.toISOString().slice(0, 10) !== text) throw new Error(`not a date (YYYY-MM-DD): ${text}`);
  return d;
}
