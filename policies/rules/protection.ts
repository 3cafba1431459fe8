/**
 * Protection of stateful data resources in production stacks: Pulumi `protect` (a `pulumi destroy` or a refactor
 * that drops the resource fails instead of deleting cardholder or personal data) and an Azure management lock
 * (`CanNotDelete`) so that a portal/CLI/other-pipeline deletion fails too. Both are needed: `protect` only guards the
 * Pulumi program, the lock only guards Azure Resource Manager.
 *
 * This module also exports the small helpers the other rules modules of this pack share (stack scoping, "is this
 * input set", reference matching that tolerates unknown values). They are candidates for `policies/lib/policy.ts`.
 */
import type { Policies, PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import { references, resourcePolicy, safeGet, stackOfUrn, stackPolicy } from "../lib/policy";

// ---------------------------------------------------------------------------------------------------------------
// Shared helpers (used by keyvault, storage, monitor, network, streaming and this module)
// ---------------------------------------------------------------------------------------------------------------

/**
 * True when `obj[key]` is set: present and not null/empty. An unknown value (an output of another resource during
 * preview) counts as set, because the program did wire something in; reading it is not needed to know that.
 */
export function isSet(obj: unknown, key: string): boolean {
  if (obj === null || typeof obj !== "object") return false;
  if (!(key in obj)) return false;
  try {
    const value = (obj as Record<string, unknown>)[key];
    return value !== undefined && value !== null && value !== "";
  } catch {
    return true; // UnknownValueError from the engine's unknown-checking proxy: set, value not known yet
  }
}

/** Case-insensitive string comparison (Azure enum values are case-insensitive on the wire). */
export function sameText(value: unknown, expected: string): boolean {
  return typeof value === "string" && value.toLowerCase() === expected.toLowerCase();
}

/** True when `value` (case-insensitively) is one of `allowed`. */
export function oneOf(value: unknown, allowed: readonly string[]): boolean {
  return allowed.some((a) => sameText(value, a));
}

/** True when the resource's stack (from its URN) is one of `stacks`. */
export function inStacks(urn: string, stacks: readonly string[] | undefined): boolean {
  return (stacks ?? []).includes(stackOfUrn(urn));
}

/**
 * `references` from lib/policy for each of `properties` (no property = any dependency or id in the props). A value
 * that is unknown during preview makes `references` throw while it serialises the props; that is treated as "no
 * match through this property" so the remaining properties (and the URN-based property dependencies) still count.
 */
export function refersTo(a: PolicyResource, b: PolicyResource, ...properties: (string | undefined)[]): boolean {
  const list = properties.length === 0 ? [undefined] : properties;
  return list.some((property) => {
    try {
      return references(a, b, property);
    } catch {
      return false;
    }
  });
}

/** Shell-style glob (`*` only), case-insensitive. */
export function globMatch(pattern: string, value: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`, "i").test(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------------------------

/** Stateful resources whose loss destroys cardholder or personal data or the audit trail. */
export const STATEFUL_TYPES = [
  "azure-native:sql:Server",
  "azure-native:sql:Database",
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:synapse:Workspace",
  "azure-native:synapse:SqlPool",
  "azure-native:storage:StorageAccount",
  "azure-native:keyvault:Vault",
  "azure-native:eventhub:Namespace",
  "azure-native:operationalinsights:Workspace",
];

const stackKnob: PolicyConfigSchema["properties"] = {
  protectedStacks: {
    type: "array",
    items: { type: "string" },
    default: ["prod"],
    description: "Stacks (the stack segment of the URN) where stateful resources must be protected.",
  },
  resourceTypes: {
    type: "array",
    items: { type: "string" },
    default: STATEFUL_TYPES,
    description: "Type tokens of the stateful resources the rule checks.",
  },
};

interface StackConfig {
  protectedStacks: string[];
  resourceTypes: string[];
}

export const requireProtect = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-general-resource-require-protect",
    description:
      "Stateful data resources (databases, storage, key vaults, event hubs, log workspaces) in protected stacks have the Pulumi `protect` option set, so no update or destroy can delete them.",
    severity: "high",
    pci: ["6.5.1", "10.5.1"],
    gdpr: ["32(1)(b)", "32(1)(c)"],
    soc2: ["A1.2", "CC8.1"],
    service: "general",
    remediationSteps:
      "Pass `{ protect: true }` in the resource options of every stateful resource in the prod stack (the program's component `protect` flag); to delete one deliberately, unprotect it first in a reviewed change.",
    url: "https://www.pulumi.com/docs/iac/concepts/options/protect/",
    config: stackKnob,
  },
  [], // every azure-native type; narrowed by the `resourceTypes` knob below
  (_props, args, report) => {
    const { protectedStacks, resourceTypes } = args.getConfig<StackConfig>();
    if (!resourceTypes.includes(args.type)) args.notApplicable("not a stateful resource type (resourceTypes)");
    if (!inStacks(args.urn, protectedStacks)) {
      args.notApplicable(`stack '${stackOfUrn(args.urn)}' is not in protectedStacks`);
    }
    // `protect` absent means false (Pulumi's default).
    if (args.opts.protect !== true) {
      report(
        `${args.name} (${args.type}) in stack '${stackOfUrn(args.urn)}' is not protected: set the resource option \`protect: true\`.`,
      );
    }
  },
);

const LOCK_TYPES = [
  "azure-native:authorization:ManagementLockAtResourceLevel",
  "azure-native:authorization:ManagementLockByScope",
];
const RG_LOCK_TYPE = "azure-native:authorization:ManagementLockAtResourceGroupLevel";
const RG_TYPE = "azure-native:resources:ResourceGroup";

/** Resource groups a resource depends on (through `resourceGroupName` or a plain dependency). */
function resourceGroupsOf(r: PolicyResource): string[] {
  const deps = [...(r.propertyDependencies["resourceGroupName"] ?? []), ...r.dependencies];
  return deps.filter((d) => d.type === RG_TYPE).map((d) => d.urn);
}

export const requireManagementLock = stackPolicy(
  {
    name: "azure-native-authorization-managementlock-missing-for-stateful-resource",
    description:
      "Every stateful data resource in a protected stack has an Azure management lock (CanNotDelete) on it, so it cannot be deleted outside the Pulumi program either.",
    severity: "high",
    pci: ["6.5.1", "10.5.1"],
    gdpr: ["32(1)(b)", "32(1)(c)"],
    soc2: ["A1.2", "CC8.1"],
    service: "authorization",
    remediationSteps:
      'Add an `authorization.ManagementLockAtResourceLevel` (or `ManagementLockByScope` with `scope` = the resource id) with `level: "CanNotDelete"` whose inputs come from the resource (resourceName/scope from its outputs), e.g. through the component\'s `lock` option.',
    url: "https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources",
    config: {
      ...stackKnob,
      allowedLevels: {
        type: "array",
        items: { type: "string", enum: ["CanNotDelete", "ReadOnly"] },
        default: ["CanNotDelete", "ReadOnly"],
        description: "Lock levels that count (NotSpecified never does).",
      },
      acceptResourceGroupLocks: {
        type: "boolean",
        default: true,
        description:
          "Count a ManagementLockAtResourceGroupLevel on the resource group the resource depends on (through resourceGroupName).",
      },
    },
  },
  (args, report) => {
    const { protectedStacks, resourceTypes, allowedLevels, acceptResourceGroupLocks } = args.getConfig<
      StackConfig & { allowedLevels: string[]; acceptResourceGroupLocks: boolean }
    >();
    const targets = args.resources.filter((r) => resourceTypes.includes(r.type) && inStacks(r.urn, protectedStacks));
    if (targets.length === 0) args.notApplicable("no stateful resources in a protected stack");
    // An absent or unknown level is not a valid lock (the level is a literal, so it is known during preview).
    const locks = args.resources.filter(
      (r) => [...LOCK_TYPES, RG_LOCK_TYPE].includes(r.type) && oneOf(safeGet(r.props, "level"), allowedLevels),
    );
    for (const target of targets) {
      const groups = resourceGroupsOf(target);
      const locked = locks.some((lock) =>
        lock.type === RG_LOCK_TYPE
          ? acceptResourceGroupLocks && resourceGroupsOf(lock).some((g) => groups.includes(g))
          : refersTo(lock, target, undefined, "resourceName", "scope"),
      );
      if (!locked) {
        report(
          `${target.name} (${target.urn}) has no management lock: add an authorization.ManagementLockAtResourceLevel with level "CanNotDelete" that references it.`,
          target.urn,
        );
      }
    }
  },
);

export const protectionPolicies: Policies = [requireProtect, requireManagementLock];
