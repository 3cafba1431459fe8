/**
 * Cross-cutting rules that apply to every azure-native resource: EU data residency (GDPR Chapter V) and the
 * tags that scope PCI DSS controls and record ownership.
 */
import type { Policies } from "@pulumi/policy";
import { allowedLocations } from "./locations";
import { requiredTags } from "./tags";
import { untypedResources, defenderPlans } from "./untyped";
import { defaultApiVersion, unreviewedTypes, unreviewedProviders } from "./reviewed";

export * from "./locations";
export * from "./tags";
export * from "./untyped";
export * from "./reviewed";

export const generalPolicies: Policies = [
  allowedLocations,
  requiredTags,
  untypedResources,
  defenderPlans,
  defaultApiVersion,
  unreviewedTypes,
  unreviewedProviders,
];
