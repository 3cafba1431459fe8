/**
 * The resources an ARM deployment's inline template declares: read by the rules that accept a setting made through
 * a deployment (Synapse SQL security, the Defender for SQL plan) and by the offline tools (the cost of Defender
 * plans, the resource providers a stack needs). One reader, so all of them see the same entries.
 */
import type { PolicyResource } from "@pulumi/policy";
import { valueAt } from "./values";

/** A resource declared in an ARM deployment's template: its type, name and properties. */
export interface TemplateResource {
  readonly type: string;
  /** The entry's `name` (an ARM expression for child resources). */
  readonly name: string;
  readonly properties: Record<string, unknown>;
}

/**
 * The resources an ARM deployment's inline template deploys (none when the template is unknown or linked). An entry
 * whose `condition` is literally false is not deployed and is left out; an expression counts as deployed.
 */
export function templateResources(deployment: Pick<PolicyResource, "props">): TemplateResource[] {
  const resources = valueAt(deployment.props, "properties", "template", "resources");
  if (!Array.isArray(resources)) return [];
  return resources
    .filter((r): r is Record<string, unknown> => !!r && typeof r === "object")
    .filter((r) => r.condition !== false && String(r.condition).toLowerCase() !== "false")
    .map((r) => ({
      type: String(r.type ?? ""),
      name: String(r.name ?? ""),
      properties: (r.properties && typeof r.properties === "object" ? r.properties : {}) as Record<string, unknown>,
    }));
}
