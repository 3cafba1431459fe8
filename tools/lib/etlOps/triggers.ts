/** The factory's triggers: which to stop before `up` and start after it, and doing so until Azure reports it done. */
import { ADF_API, ARM, list, type Az } from "./common";

/** A trigger of the factory (REST `triggers` list item). */
export interface TriggerInfo {
  readonly name: string;
  readonly properties: { readonly runtimeState?: string };
}

export const triggersToStart = (triggers: readonly TriggerInfo[]) =>
  triggers.filter((t) => t.properties.runtimeState !== "Started");
export const triggersToStop = (triggers: readonly TriggerInfo[]) =>
  triggers.filter((t) => t.properties.runtimeState === "Started");

export function triggersOf(az: Az, factoryId: string): TriggerInfo[] {
  return list<TriggerInfo>(az, `${factoryId}/triggers?api-version=${ADF_API}`);
}

export function setTrigger(az: Az, factoryId: string, trigger: string, action: "start" | "stop"): void {
  az(["rest", "--method", "post", "--url", `${ARM}${factoryId}/triggers/${trigger}/${action}?api-version=${ADF_API}`]);
}

/**
 * Stops (or starts) every trigger of the factory that needs it, then reads them back until none does: `Triggers_Start`
 * and `Triggers_Stop` are long-running operations (x-ms-long-running-operation in the 2018-06-01 Data Factory spec)
 * and `az rest` does not wait for them, so `pulumi up` could otherwise meet a trigger still started, which Azure
 * refuses to update. Returns the triggers it acted on; throws naming those still left after `attempts` reads.
 */
export async function setTriggers(
  az: Az,
  factoryId: string,
  action: "start" | "stop",
  opts: { readonly attempts: number; readonly delayMs: number; readonly log: (line: string) => void },
): Promise<string[]> {
  const pending = (ts: readonly TriggerInfo[]) => (action === "stop" ? triggersToStop(ts) : triggersToStart(ts));
  const acted = pending(triggersOf(az, factoryId)).map((t) => t.name);
  for (const name of acted) {
    setTrigger(az, factoryId, name, action);
    opts.log(`${action === "stop" ? "stopped" : "started"} trigger ${name} of ${factoryId.split("/").pop()}`);
  }
  if (acted.length === 0) return acted;
  for (let attempt = 1; ; attempt++) {
    // Only the triggers acted on, and not a Disabled one (a start does not make it Started: it is reported, not
    // waited for).
    const left = pending(triggersOf(az, factoryId))
      .filter((t) => acted.includes(t.name) && t.properties.runtimeState !== "Disabled")
      .map((t) => `${t.name} (${t.properties.runtimeState ?? "?"})`);
    if (left.length === 0) return acted;
    if (attempt >= opts.attempts)
      throw new Error(
        `triggers not ${action === "stop" ? "stopped" : "started"} after ${attempt} checks: ${left.join(", ")}`,
      );
    await new Promise((r) => setTimeout(r, opts.delayMs));
  }
}
