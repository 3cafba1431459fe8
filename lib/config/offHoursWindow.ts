/**
 * A rule across keys of the stack config (schema.ts applies it): the off-hours silenced window against the pause
 * schedule and the streaming freshness.
 */
import { list } from "./common";
import type { OlapConfig } from "./data";
import { FRESHNESS_MINUTES } from "./services";
import { minutesOfDay, offHoursQuietMinutes, silencedWindowEnd, timeOfDay } from "../offHours";

/**
 * The off-hours silenced window (pure): with `olap.pauseSchedule.alsoStop`, the alerts of what it stops are silenced
 * from `pauseAt` until `resumeAt` plus the longest of their windows (lib/offHours.ts, the same check the ETL tier's
 * alert processing rule makes), which must end before `pauseAt` on the same day. One issue, at the key whose change
 * fixes it most directly, naming every way out with its latest or earliest allowed value.
 */
export function offHoursWindowIssues(
  schedule: OlapConfig["pauseSchedule"],
  freshnessMinutes: number,
): { readonly path: readonly string[]; readonly message: string }[] {
  // Without targets nothing is silenced; pauseAt not after resumeAt is olapIssues' own (naming pauseAt).
  if (!schedule || schedule.alsoStop.length === 0 || schedule.pauseAt <= schedule.resumeAt) return [];
  const quietOf = offHoursQuietMinutes(freshnessMinutes);
  const windowOf = (targets: readonly (keyof typeof quietOf)[]) => Math.max(0, ...targets.map((t) => quietOf[t]));
  const quiet = windowOf(schedule.alsoStop);
  let reason: string;
  try {
    silencedWindowEnd(schedule, quiet);
    return [];
  } catch (e) {
    reason = (e as Error).message.replace(/^off hours: /, "");
  }
  const longest = schedule.alsoStop.filter((t) => quietOf[t] === quiet);
  const [resume, pause] = [minutesOfDay(schedule.resumeAt), minutesOfDay(schedule.pauseAt)];
  const day = 24 * 60;
  const fixes: string[] = [];
  if (pause - quiet - 1 >= 0) fixes.push(`olap.pauseSchedule.resumeAt ${timeOfDay(pause - quiet - 1)} at the latest`);
  if (resume + quiet + 1 < day)
    fixes.push(`olap.pauseSchedule.pauseAt ${timeOfDay(resume + quiet + 1)} at the earliest`);
  if (longest.includes("streamingJob")) {
    const others = windowOf(schedule.alsoStop.filter((t) => t !== "streamingJob"));
    const fits = FRESHNESS_MINUTES.filter((f) => resume + Math.max(others, f) < pause);
    if (fits.length > 0)
      fixes.push(`streaming.freshnessMinutes ${fits[fits.length - 1]} at most (of ${list(FRESHNESS_MINUTES)})`);
  }
  const rest = schedule.alsoStop.filter((t) => !longest.includes(t));
  if (resume + windowOf(rest) < pause)
    fixes.push(`olap.pauseSchedule.alsoStop without ${list(longest)} (it names ${list(schedule.alsoStop)})`);
  const windows = longest.map((t) =>
    t === "streamingJob" ? `streaming.freshnessMinutes ${quiet}` : `the merchant refresh's ${quiet}-minute window`,
  );
  const path =
    resume + quiet < day
      ? ["olap", "pauseSchedule", "pauseAt"]
      : longest.includes("streamingJob")
        ? ["streaming", "freshnessMinutes"]
        : ["olap", "pauseSchedule", "resumeAt"];
  return [
    {
      path,
      message: `the alerts of olap.pauseSchedule.alsoStop ${list(longest)} are silenced each day from pauseAt until olap.pauseSchedule.resumeAt ${schedule.resumeAt} + ${quiet} min (${windows.join(", ")}), which must end before olap.pauseSchedule.pauseAt ${schedule.pauseAt}: ${reason}; set ${fixes.length > 0 ? fixes.join(", or ") : "a shorter window"}`,
    },
  ];
}
