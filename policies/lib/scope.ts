/**
 * Which resources a rule applies to beyond their type: production stacks (by the stack part of the URN) and the
 * PCI DSS scope tag. The knobs are declared here once so that every rule names and shapes them the same way.
 */
import type { ResourceValidationArgs } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { stackOfUrn, stringListKnob } from "./policy";
import { valueAt } from "./values";

/** True when the stack of `urn` is one of `stacks`. */
export function inStacks(urn: string, stacks: readonly string[] | undefined): boolean {
  return (stacks ?? []).includes(stackOfUrn(urn));
}

/**
 * Knob `prodStacks`: the stacks that count as production (default `["prod"]`), matched against the URN's stack name.
 * Rules may word the description for what production means to them.
 */
export const prodStacksKnob = (
  description = "Stack names that count as production (matched against the stack part of the URN).",
): PolicyConfigJSONSchema => stringListKnob(description, ["prod"]);

/** True when the resource's stack is one of the rule's configured `prodStacks` (see `prodStacksKnob`). */
export function isProdStack(args: { urn: string; getConfig<T extends object>(): T }): boolean {
  return inStacks(args.urn, args.getConfig<{ prodStacks: string[] }>().prodStacks);
}

/** Tag that scopes PCI DSS controls (`cde`, `connected`, `out-of-scope`; see lib/tags.ts). */
export const PCI_SCOPE_TAG = "pci-scope";
/** The values the `pci-scope` tag may take (the tags rule reports any other). */
export const PCI_SCOPE_VALUES = ["cde", "connected", "out-of-scope"] as const;

/** Tag recording how sensitive a resource's data is (lib/tags.ts `DataClassification` in the program). */
export const DATA_CLASSIFICATION_TAG = "data-classification";
/** The values `data-classification` may take, least to most sensitive. */
export const DATA_CLASSIFICATION_VALUES = ["public", "internal", "confidential", "restricted"] as const;
/** The classifications a `pci-scope: cde` resource may carry (cardholder data is never `public` or `internal`). */
export const CDE_CLASSIFICATIONS = ["confidential", "restricted"] as const;

/** Knob `inScopeTagValues`: which `pci-scope` tag values put a resource in scope of a CDE-only rule. */
export const inScopeKnob = (): PolicyConfigJSONSchema =>
  stringListKnob(
    "Values of the resource's `pci-scope` tag that put it in scope of this rule; a resource without the tag (or a child resource that takes no tags) is in scope.",
    ["cde", "connected"],
  );

/**
 * The resource's `pci-scope` tag when it is a valid scope value (`PCI_SCOPE_VALUES`) and not one of
 * `inScopeTagValues` (the resource is out of scope); undefined when the resource is in scope: no tag, an unknown
 * tag, an in-scope value, or a value that is no scope at all ("tbd", a typo), which fails closed (the tags rule
 * reports it). Compared case-insensitively: "CDE" is in scope.
 */
export function outOfScopeTag(props: unknown, inScopeTagValues: readonly string[]): string | undefined {
  const scope = valueAt(props, "tags", PCI_SCOPE_TAG);
  if (typeof scope !== "string") return undefined;
  if (inScopeTagValues.some((v) => v.toLowerCase() === scope.toLowerCase())) return undefined;
  // Only an exact valid value (lower case, as the tags rule requires) takes a resource out of scope.
  return (PCI_SCOPE_VALUES as readonly string[]).includes(scope) ? scope : undefined;
}

/** Marks the resource not applicable when its `pci-scope` tag is known and not one of `inScopeTagValues`. */
export function skipOutOfScope(props: unknown, args: ResourceValidationArgs): void {
  const { inScopeTagValues } = args.getConfig<{ inScopeTagValues: string[] }>();
  const scope = outOfScopeTag(props, inScopeTagValues);
  if (scope !== undefined) {
    args.notApplicable(`${PCI_SCOPE_TAG} tag is '${scope}', not one of ${inScopeTagValues.join(", ")}`);
  }
}
