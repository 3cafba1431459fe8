/** The pool's working hours (olap.pauseSchedule): whether a deploy runs outside them, and should put things back to sleep. */
import { WINDOWS_TIME_ZONES } from "../../../lib/timeZones";

export { WINDOWS_TIME_ZONES };

/** The pool's pause schedule (olap.pauseSchedule), as far as working hours go. */
export interface WorkingHours {
  readonly timeZone: string;
  readonly resumeAt: string;
  readonly pauseAt: string;
  readonly weekdaysOnly: boolean;
}

/**
 * Whether `now` is outside the schedule's working hours, in its time zone: before `resumeAt`, from `pauseAt` on, or
 * at the weekend when the schedule runs on weekdays only. A time zone it cannot map is an error naming the key.
 */
export function isOffHours(schedule: WorkingHours, now: Date): boolean {
  const zone = WINDOWS_TIME_ZONES[schedule.timeZone];
  if (!zone)
    throw new Error(
      `olap.pauseSchedule.timeZone: '${schedule.timeZone}' is not one of ${Object.keys(WINDOWS_TIME_ZONES).join(", ")}`,
    );
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  if (schedule.weekdaysOnly && (parts.weekday === "Sat" || parts.weekday === "Sun")) return true;
  const hhmm = `${parts.hour}:${parts.minute}`;
  return hhmm < schedule.resumeAt || hhmm >= schedule.pauseAt;
}

/** Minutes before `resumeAt` within which a deploy leaves things awake (the morning start is about to run). */
export const SLEEP_MARGIN_MINUTES = 30;

/**
 * Whether a deploy now should put the off-hours targets back to sleep: off hours now and still off hours
 * `SLEEP_MARGIN_MINUTES` later. Just before `resumeAt` a stop run could outlast the morning start, which finds
 * everything running and leaves, and dev would then sleep all day.
 */
export function sleepsNow(schedule: WorkingHours, now: Date, marginMinutes = SLEEP_MARGIN_MINUTES): boolean {
  return isOffHours(schedule, now) && isOffHours(schedule, new Date(now.getTime() + marginMinutes * 60_000));
}
