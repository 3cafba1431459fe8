/**
 * Off hours (pure): the window the alerts of what `olap.pauseSchedule.alsoStop` stops are silenced in. Shared by the
 * config's cross-key checks (lib/config: before any resource registers) and the ETL tier's alert processing rule
 * (components/etl/offHours.ts), so both refuse the same schedules with the same arithmetic.
 */
import type { OffHoursTarget } from "../pipelines/etl/contract";

/** Minutes without a successful merchant refresh run before the alert fires (it runs every minute). */
export const MERCHANT_REFRESH_STALE_MINUTES = 15;
/** The window of the stalled scorer alert (accepted payments, no successful scorer run). */
export const SCORER_STALLED_WINDOW_MINUTES = 15;

/** Minutes of a `HH:MM` time since midnight. */
export function minutesOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

/** `HH:MM` of minutes since midnight. */
export function timeOfDay(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** `HH:MM` plus minutes, as `HH:MM:SS` (the alert processing rule's time format). */
export function addMinutes(hhmm: string, minutes: number): string {
  const total = minutesOfDay(hhmm) + minutes;
  if (total >= 24 * 60) throw new Error(`off hours: ${hhmm} + ${minutes} min passes midnight`);
  return `${timeOfDay(total)}:00`;
}

/**
 * The end of the daily silenced window, `HH:MM:SS`: the start (`resumeAt`) plus `quietMinutes`, which must come
 * before the next stop (`pauseAt`) on the same day. Throws, saying which, when it does not.
 */
export function silencedWindowEnd(
  schedule: { readonly resumeAt: string; readonly pauseAt: string },
  quietMinutes: number,
): string {
  const end = addMinutes(schedule.resumeAt, quietMinutes);
  if (end >= `${schedule.pauseAt}:00`) {
    throw new Error(
      `off hours: alerts silenced until ${end.slice(0, 5)} (resumeAt + ${quietMinutes} min) would run into pauseAt ${schedule.pauseAt}`,
    );
  }
  return end;
}

/**
 * Minutes after a target starts before its alerts mean something again (their longest evaluation window): the longer
 * of the merchant refresh's staleness window and the stalled scorer alert's for the fraud scorer, the streaming
 * freshness alert's threshold for the job; a stopped gateway has no alert to silence.
 */
export function offHoursQuietMinutes(streamingFreshnessMinutes: number): Readonly<Record<OffHoursTarget, number>> {
  return {
    fraudScoring: Math.max(MERCHANT_REFRESH_STALE_MINUTES, SCORER_STALLED_WINDOW_MINUTES),
    streamingJob: streamingFreshnessMinutes,
    gateway: 0,
  };
}
