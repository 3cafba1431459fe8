/** What the pricing rules share: the provider's type prefix and the off-hours schedule that stops a resource. */
import type { ResourceRecord } from "../../policyRunner";
import { armIdOf, type RuleContext } from "../model";

export const GIB = 1024 ** 3;
export const AN = "azure-native";

/** The stack's off-hours schedule when it stops this resource (olap.pauseSchedule.alsoStop), else undefined. */
export const stoppingSchedule = (r: ResourceRecord | undefined, ctx: RuleContext) => {
  const id = r && armIdOf(r);
  return id !== undefined && ctx.offHours?.stoppedIds.has(id) ? ctx.offHours : undefined;
};
